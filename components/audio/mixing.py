"""Mixture recipes and mixing, following the DCASE 2017 Task 2 reference synthesizer.

Per task and subset one seeded ``numpy.random.RandomState`` draws, in this order: events with
replacement, backgrounds, a permutation of presence flags (exactly half present), each event's
onset uniformly in [0, clip - event length], and EBRs from {-6, 0, 6} dB. When the clip is shorter
than the 30 s background recording, the background excerpt's start is drawn last.
Mixing: ``scale = 10**(ebr/20) / (rms(event) / rms(bg[onset:onset+len(event)]))`` and
``mixture = 0.2 * (bg + scale * event placed at onset)``, peak-normalised only if it clips.

A task of several classes (multi-class source pre-training) draws the first class exactly as
above and every further class ``k`` (in the task's class order) with its own
``RandomState([seed, k])``: events with replacement, a permutation of presence flags (exactly
``presence_rate`` of the clips hold that class, independently of the other classes), onsets and
EBRs. A clip may so hold several events (each scaled against the background under it) or none;
the recipe lists the first present event in its ``event_*`` fields, the others in
``more_events``, and the task's ``classes`` with their 0/1 ``labels``.
A recipe with an ``augmentation`` (training splits; components.audio.augmentation) also has its
background coloured and its event reverberated/muffled before the scaling, and the mixture shaped
and levelled after it. A recipe with a ``decoy`` (training splits of the target task;
components.audio.decoys) has grains of an event of its class scattered over its background
before any event is scaled against it.

``dcase2017_recipes`` (recipe mode ``dcase2017``) reproduces the reference synthesizer's draws
exactly instead, quirks included; see its docstring.
"""
from __future__ import annotations

import dataclasses
import json
from typing import Callable, List, Optional, Sequence, Tuple

import numpy as np

from components.audio import augmentation, decoys
from components.audio.audio_io import SAMPLE_RATE, AudioDataError
from components.audio.records import BackgroundRecord, EventRecord, SourceData

ANTI_CLIPPING_FACTOR = 0.2
EBRS_DB = (-6.0, 0.0, 6.0)
EVENT_KEYS = ("event_uri", "event_class", "event_author", "segment_start_s", "segment_end_s",
              "event_onset_s", "event_duration_s", "ebr_db", "scale")


@dataclasses.dataclass
class Recipe:
    """Everything needed to recreate one mixture (``scale`` is filled in when it is mixed)."""
    mixture_id: str
    task: str
    split: str
    index: int
    seed: int
    label: int
    duration_s: float
    bg_uri: str
    bg_scene: str
    bg_location: str
    bg_offset_s: float
    event_uri: Optional[str] = None
    event_class: Optional[str] = None
    event_author: Optional[str] = None
    segment_start_s: Optional[float] = None
    segment_end_s: Optional[float] = None
    event_onset_s: Optional[float] = None
    event_duration_s: Optional[float] = None
    ebr_db: Optional[float] = None
    scale: Optional[float] = None
    augmentation: Optional[dict] = None   # see components.audio.augmentation; None: as drawn
    classes: Optional[List[str]] = None   # the task's classes, in order
    labels: Optional[List[int]] = None    # 1 where that class is present in the clip
    more_events: Optional[List[dict]] = None   # events after the first, same keys (EVENT_KEYS)
    mode: Optional[str] = None            # 'dcase2017': cut and mix as the reference does
    decoy: Optional[dict] = None          # see components.audio.decoys; None: no decoy
    impact: Optional[dict] = None         # a sound that is not of the task's classes, mixed into
                                          # a clip labelled 0 (EVENT_KEYS; real set only)

    def to_json(self) -> str:
        fields = dataclasses.asdict(self)
        for key in ("mode", "decoy", "impact"):   # recipes without them keep their earlier JSON
            if fields[key] is None:
                del fields[key]
        return json.dumps(fields, sort_keys=True)

    @classmethod
    def from_json(cls, line: str) -> "Recipe":
        return cls(**json.loads(line))


def _check_sources(backgrounds: Sequence[BackgroundRecord], events: Sequence[EventRecord],
                   duration_s: float, what: str) -> None:
    """Refuse empty record lists and backgrounds shorter than the clip, naming ``what``."""
    if not backgrounds:
        raise AudioDataError(f"no background recordings for {what}")
    if not events:
        raise AudioDataError(f"no event recordings for {what}")
    short = [b.uri for b in backgrounds if b.duration_s + 1e-6 < duration_s]
    if short:
        raise AudioDataError(f"{short[0]}: background is shorter than the clip length "
                             f"{duration_s} s ({len(short)} such files)")


def generate_recipes(backgrounds: Sequence[BackgroundRecord], events: Sequence[EventRecord],
                     n_clips: int, seed: int, duration_s: float, task: str, split: str,
                     presence_rate: float = 0.5, ebrs_db: Sequence[float] = EBRS_DB) -> List[Recipe]:
    """Draw ``n_clips`` recipes exactly as the reference synthesizer does (see module doc)."""
    if n_clips < 1:
        raise ValueError(f"n_clips must be at least 1, got {n_clips}")
    _check_sources(backgrounds, events, duration_s, f"task {task!r}, split {split!r}")
    rng = np.random.RandomState(seed)
    n_present = int(round(n_clips * presence_rate))
    event_ids = rng.choice(len(events), n_present)
    bg_ids = rng.choice(len(backgrounds), n_clips)
    flags = _presence_flags(rng, n_clips, n_present)
    lengths, onsets, ebrs = _placements(rng, events, event_ids, duration_s, ebrs_db)
    bg_offsets = [(backgrounds[i].duration_s - duration_s) * rng.rand()
                  if backgrounds[i].duration_s > duration_s else 0.0 for i in bg_ids]
    recipes, k = [], 0
    for index in range(n_clips):
        bg = backgrounds[bg_ids[index]]
        recipe = Recipe(mixture_id=f"{task}-{split}-s{seed}-{index:05d}", task=task, split=split,
                        index=index, seed=int(seed), label=int(flags[index]),
                        duration_s=float(duration_s), bg_uri=bg.uri, bg_scene=bg.scene,
                        bg_location=bg.location, bg_offset_s=round(float(bg_offsets[index]), 6))
        if flags[index]:
            ev = events[event_ids[k]]
            recipe.event_uri, recipe.event_class, recipe.event_author = (
                ev.uri, ev.event_class, ev.author)
            recipe.segment_start_s, recipe.segment_end_s = ev.segment
            recipe.event_onset_s = float(onsets[k])
            recipe.event_duration_s = float(lengths[k])
            recipe.ebr_db = float(ebrs[k])
            k += 1
        recipes.append(recipe)
    return recipes


def _presence_flags(rng: np.random.RandomState, n_clips: int, n_present: int) -> np.ndarray:
    """A random permutation of ``n_present`` True and ``n_clips - n_present`` False."""
    return rng.permutation(np.hstack([np.ones(n_present), np.zeros(n_clips - n_present)])
                           .astype(bool))


def _placements(rng: np.random.RandomState, events: Sequence[EventRecord], event_ids,
                duration_s: float, ebrs_db: Sequence[float]):
    """Lengths (cut to the clip), onsets and EBRs of the drawn events, in the reference order."""
    lengths = [min(events[i].length_s, duration_s) for i in event_ids]
    onsets = [(duration_s - length) * rng.rand() for length in lengths]
    ebrs = rng.choice(np.asarray(ebrs_db, dtype=float), size=len(event_ids))
    return lengths, onsets, ebrs


def generate_task_recipes(backgrounds: Sequence[BackgroundRecord],
                          events_by_class: Sequence[Tuple[str, Sequence[EventRecord]]],
                          n_clips: int, seed: int, duration_s: float, task: str, split: str,
                          presence_rate: float = 0.5, ebrs_db: Sequence[float] = EBRS_DB
                          ) -> List[Recipe]:
    """Recipes of a task of one or more classes ``[(class, its events), ...]`` (module doc).

    With one class this is :func:`generate_recipes` exactly, plus ``classes`` and ``labels``.
    """
    if not events_by_class:
        raise ValueError("a task needs at least one event class")
    classes = [name for name, _ in events_by_class]
    recipes = generate_recipes(backgrounds, events_by_class[0][1], n_clips, seed, duration_s,
                               task, split, presence_rate, ebrs_db)
    per_clip = [[_event_fields(r)] if r.label else [] for r in recipes]
    for k, (name, events) in enumerate(events_by_class[1:], start=1):
        if not events:
            raise AudioDataError(f"no event recordings of class {name!r} for task {task!r}, "
                                 f"split {split!r}")
        rng = np.random.RandomState([int(seed), k])
        n_present = int(round(n_clips * presence_rate))
        event_ids = rng.choice(len(events), n_present)
        flags = _presence_flags(rng, n_clips, n_present)
        lengths, onsets, ebrs = _placements(rng, events, event_ids, duration_s, ebrs_db)
        for j, index in enumerate(np.flatnonzero(flags)):
            ev = events[event_ids[j]]
            per_clip[index].append({
                "event_uri": ev.uri, "event_class": ev.event_class, "event_author": ev.author,
                "segment_start_s": ev.segment[0], "segment_end_s": ev.segment[1],
                "event_onset_s": float(onsets[j]), "event_duration_s": float(lengths[j]),
                "ebr_db": float(ebrs[j]), "scale": None})
    for recipe, present in zip(recipes, per_clip):
        recipe.classes = list(classes)
        recipe.labels = [int(any(e["event_class"] == name for e in present)) for name in classes]
        recipe.label = int(bool(present))
        if present:
            for key in EVENT_KEYS:
                setattr(recipe, key, present[0][key])
            recipe.more_events = present[1:] or None
    return recipes


def _event_fields(recipe: Recipe) -> dict:
    return {key: getattr(recipe, key) for key in EVENT_KEYS}


def event_fields(event: EventRecord, onset_s: float, duration_s: float, ebr_db: float) -> dict:
    """The recipe fields (:data:`EVENT_KEYS` but ``scale``) of ``event`` placed at ``onset_s``
    for ``duration_s`` at ``ebr_db``: a ``Recipe.impact``."""
    return {"event_uri": event.uri, "event_class": event.event_class,
            "event_author": event.author, "segment_start_s": event.segment[0],
            "segment_end_s": event.segment[1], "event_onset_s": float(onset_s),
            "event_duration_s": float(duration_s), "ebr_db": float(ebr_db)}


def factorial_recipes(backgrounds: Sequence[BackgroundRecord], events: Sequence[EventRecord],
                      excerpts: int, seed: int, duration_s: float, task: str = "real",
                      split: str = "eval", ebrs_db: Sequence[float] = EBRS_DB,
                      impacts: Sequence[EventRecord] = ()) -> List[Recipe]:
    """Every event at every EBR over ``excerpts`` excerpts of every background, plus as many
    excerpts of each background without an event (an evaluation design, not a random draw);
    then, when ``impacts`` are given (sounds of other classes), every impact at every EBR over
    ``excerpts`` excerpts of every background, labelled 0 (``Recipe.impact``).

    One seeded ``RandomState`` draws, recipe by recipe, the excerpt start and (with an event or
    an impact) the onset, so the same seed gives the same set; the impact clips come after all
    others, so the clips without them are the same with and without ``impacts``. Positives and
    negatives alternate per background.
    """
    if excerpts < 1:
        raise ValueError(f"excerpts must be at least 1, got {excerpts}")
    _check_sources(backgrounds, events, duration_s, f"task {task!r}")
    rng = np.random.RandomState(seed)
    classes = sorted({ev.event_class for ev in events})
    plan = []   # (background, sound, EBR, the sound is an impact)
    for bg in backgrounds:
        for ev in events:
            for ebr in ebrs_db:
                plan += [(bg, ev, float(ebr), False), (bg, None, None, False)] * excerpts
    plan += [(bg, ev, float(ebr), True) for bg in backgrounds for ev in impacts
             for ebr in ebrs_db for _ in range(excerpts)]
    recipes = []
    for index, (bg, ev, ebr, is_impact) in enumerate(plan):
        offset = (bg.duration_s - duration_s) * rng.rand() if bg.duration_s > duration_s else 0.0
        placed = {}
        if ev is not None:
            length = min(ev.length_s, duration_s)
            placed = event_fields(ev, (duration_s - length) * rng.rand(), length, ebr)
        label = int(ev is not None and not is_impact)
        recipes.append(Recipe(
            mixture_id=f"{task}-{split}-s{seed}-{index:05d}", task=task, split=split,
            index=index, seed=int(seed), label=label, duration_s=float(duration_s),
            bg_uri=bg.uri, bg_scene=bg.scene, bg_location=bg.location,
            bg_offset_s=round(float(offset), 6), classes=classes,
            labels=[int(bool(label) and ev.event_class == c) for c in classes],
            impact=placed if is_impact else None, **({} if is_impact else placed)))
    return recipes


REFERENCE_CLASSES = ("babycry", "glassbreak", "gunshot")   # the reference's class order
REFERENCE_SEED = 42
REFERENCE_CLIP_S = 30.0


def dcase2017_recipes(data: SourceData, subset: str, split: str, n_clips: int, task: str,
                      classes: Sequence[str], seed: int = REFERENCE_SEED,
                      presence_rate: float = 0.5, ebrs_db: Sequence[float] = EBRS_DB
                      ) -> List[Recipe]:
    """The DCASE 2017 Task 2 reference synthesizer's draws for ``subset``, exactly.

    One ``RandomState(seed)`` per subset (the reference's seed is 42 for devtrain and devtest),
    carried on through the classes in the reference's order (babycry, glassbreak, gunshot): per
    class, ``n_clips`` mixtures over every background of the subset (in cv_setup order; no scene
    split), events drawn with replacement in cv_setup order, onsets in [0, 30 s - segment length].
    Returned: the mixtures of ``classes`` (one class per recipe, as the reference writes them).

    Reference quirk, reproduced: it draws each event's onset into the event's shared record, so
    a mixture whose event was drawn several times gets the onset drawn for that event's LAST
    occurrence. Mixing follows it too (``mode='dcase2017'``): segments cut at
    ``int(start*fs):int(end*fs)``, and a mixture without an event is ``0.2 * background`` with
    no peak normalisation.
    """
    missing = [c for c in REFERENCE_CLASSES if not data.events_of(subset, c)]
    if missing:
        raise AudioDataError(f"{data.data_root}: recipe_mode=dcase2017 needs {subset} events of "
                             f"each of {', '.join(REFERENCE_CLASSES)} (drawn in that order); "
                             f"none of {', '.join(missing)}")
    unknown = [c for c in classes if c not in REFERENCE_CLASSES]
    if unknown:
        raise AudioDataError(f"recipe_mode=dcase2017 draws only {', '.join(REFERENCE_CLASSES)}; "
                             f"not {', '.join(unknown)}")
    backgrounds = list(data.backgrounds[subset])
    _check_sources(backgrounds, data.events_of(subset, REFERENCE_CLASSES[0]), REFERENCE_CLIP_S,
                   f"task {task!r}, split {split!r}")
    rng = np.random.RandomState(seed)
    recipes = []
    for class_name in REFERENCE_CLASSES:
        events = data.events_of(subset, class_name)
        too_long = [e.uri for e in events if e.length_s >= REFERENCE_CLIP_S]
        if too_long:
            raise AudioDataError(f"{too_long[0]}: segment is {REFERENCE_CLIP_S:g} s or longer; "
                                 "the reference needs shorter events")
        n_present = int(round(n_clips * presence_rate))
        event_ids = rng.choice(len(events), n_present)
        bg_ids = rng.choice(len(backgrounds), n_clips)
        flags = _presence_flags(rng, n_clips, n_present)
        onset_of_event = {}
        for i in event_ids:   # the last draw for an event is the one every mixture of it keeps
            onset_of_event[int(i)] = (REFERENCE_CLIP_S - events[i].length_s) * rng.rand()
        ebrs = rng.choice(np.asarray(ebrs_db, dtype=float), size=int(np.sum(flags)))
        if class_name not in classes:
            continue
        k = 0
        for index in range(n_clips):
            bg = backgrounds[bg_ids[index]]
            recipe = Recipe(mixture_id=f"{task}-{split}-dcase2017-s{seed}-{class_name}-"
                                       f"{index:05d}",
                            task=task, split=split, index=len(recipes), seed=int(seed),
                            label=int(flags[index]), duration_s=REFERENCE_CLIP_S,
                            bg_uri=bg.uri, bg_scene=bg.scene, bg_location=bg.location,
                            bg_offset_s=0.0, classes=list(classes),
                            labels=[int(flags[index] and c == class_name) for c in classes],
                            mode="dcase2017")
            if flags[index]:
                ev = events[event_ids[k]]
                recipe.event_uri, recipe.event_class, recipe.event_author = (
                    ev.uri, ev.event_class, ev.author)
                recipe.segment_start_s, recipe.segment_end_s = ev.segment
                recipe.event_onset_s = float(onset_of_event[int(event_ids[k])])
                recipe.event_duration_s = float(np.diff(ev.segment)[0])
                recipe.ebr_db = float(ebrs[k])
                k += 1
            recipes.append(recipe)
    return recipes


def task_recipes(data: SourceData, task: str, classes: Sequence[str], scenes: Sequence[str],
                 subset: str, split: str, n_clips: int, seed: int, duration_s: float
                 ) -> List[Recipe]:
    """Recipes for ``task`` (its ``classes`` over backgrounds of its ``scenes``) from the
    ``subset`` ('train'|'test') records."""
    backgrounds = data.backgrounds_in(subset, scenes)
    if not backgrounds:
        raise AudioDataError(f"no {subset} background recordings in the scenes of task {task!r} "
                             f"({', '.join(scenes)}) in {data.data_root}")
    return generate_task_recipes(backgrounds, [(c, data.events_of(subset, c)) for c in classes],
                                 n_clips, seed, duration_s, task, split)


def rms(signal: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(signal, dtype=np.float64))))


def event_scale(event: np.ndarray, bg_part: np.ndarray, ebr_db: float, bg_name: str = "") -> float:
    """Amplitude factor that puts ``event`` at ``ebr_db`` against the background under it."""
    bg_rms, ev_rms = rms(bg_part), rms(event)
    if bg_rms == 0.0:
        raise AudioDataError(f"{bg_name}: background is silent under the event; EBR is undefined")
    if ev_rms == 0.0:
        raise AudioDataError("event segment is silent; EBR is undefined")
    return 10.0 ** (ebr_db / 20.0) / (ev_rms / bg_rms)


def mix(background: np.ndarray, event: Optional[np.ndarray], onset: int, scale: float
        ) -> np.ndarray:
    """``0.2 * (background + scale * event at onset)``, peak-normalised only when it clips."""
    return mix_events(background, [] if event is None else [(event, onset, scale)])


def mix_events(background: np.ndarray, placed: Sequence[Tuple[np.ndarray, int, float]]
               ) -> np.ndarray:
    """``0.2 * (background + sum of scale * event at onset)``, peak-normalised only when it
    clips; ``placed`` lists ``(event, onset, scale)``."""
    mixture = np.array(background, dtype=np.float64)   # one copy; the steps below in place
    for event, onset, scale in placed:
        if onset + len(event) > len(background):
            raise ValueError(f"event of {len(event)} samples at {onset} runs past the clip end "
                             f"({len(background)} samples)")
        mixture[onset:onset + len(event)] += scale * event
    mixture *= ANTI_CLIPPING_FACTOR
    peak = max(float(mixture.max()), -float(mixture.min()))
    if peak >= 1.0:
        mixture /= peak
    return mixture


def render(recipe: Recipe, load: Callable[[str], np.ndarray],
           background: Optional[np.ndarray] = None) -> Tuple[np.ndarray, Recipe]:
    """Mix one recipe. ``load(uri)`` returns a mono float array at 44.1 kHz.

    Returns the mixture and the recipe with ``scale`` filled in. Pass ``background`` to reuse a
    recording already loaded for another recipe.
    """
    if background is None:
        background = load(recipe.bg_uri)
    start = int(round(recipe.bg_offset_s * SAMPLE_RATE))
    length = int(round(recipe.duration_s * SAMPLE_RATE))
    bg = background[start:start + length]
    if len(bg) != length:
        raise AudioDataError(f"{recipe.bg_uri}: {len(background) / SAMPLE_RATE:.2f} s long; the "
                             f"recipe needs {recipe.bg_offset_s + recipe.duration_s:.2f} s")
    result = dataclasses.replace(recipe)
    aug = recipe.augmentation
    if aug:
        bg = augmentation.augment_background(bg, aug)
    if recipe.decoy:
        bg = bg + _decoy_audio(recipe.decoy, load, bg, recipe.bg_uri)
    if recipe.impact:
        bg = bg + _impact_audio(recipe.impact, load, bg, recipe.bg_uri)
    if not recipe.label and recipe.mode == "dcase2017":   # the reference: 0.2 * bg, as it is
        return ANTI_CLIPPING_FACTOR * bg.astype(np.float64), result
    if not recipe.label:
        mixture = mix(bg, None, 0, 0.0)
        return (augmentation.augment_mixture(mixture, aug) if aug else mixture), result
    placed = [_placed(fields, load, aug, bg, recipe.bg_uri, trim=recipe.mode != "dcase2017")
              for fields in [_event_fields(recipe)] + list(recipe.more_events or [])]
    result.scale = placed[0][2]
    if recipe.more_events:
        result.more_events = [dict(fields, scale=scale) for fields, (_, _, scale)
                              in zip(recipe.more_events, placed[1:])]
    mixture = mix_events(bg, placed)
    return (augmentation.augment_mixture(mixture, aug) if aug else mixture), result


def _decoy_audio(decoy: dict, load: Callable[[str], np.ndarray], bg: np.ndarray,
                 bg_name: str) -> np.ndarray:
    """The decoy's grains over the clip, each as loud as in its event at the decoy's EBR."""
    event = _event_audio(decoy, load, None, trim=False)   # the whole annotated segment
    scale = event_scale(event, bg, decoy["ebr_db"], bg_name)
    return scale * decoys.scatter_grains(event, len(bg), decoy["grains"], decoy["seed"])


def _impact_audio(impact: dict, load: Callable[[str], np.ndarray], bg: np.ndarray,
                  bg_name: str) -> np.ndarray:
    """The impact at its onset, scaled to its EBR against the background under it, as a track
    as long as ``bg``."""
    event, onset, scale = _placed(impact, load, None, bg, bg_name)
    track = np.zeros(len(bg))
    track[onset:onset + len(event)] = scale * event
    return track


def _placed(fields: dict, load: Callable[[str], np.ndarray], aug: Optional[dict],
            bg: np.ndarray, bg_name: str, trim: bool = True) -> Tuple[np.ndarray, int, float]:
    """One event of a recipe as (audio, onset sample, scale): its segment, placed at its onset
    (kept inside the clip) and scaled to its EBR against the background under it."""
    event = _event_audio(fields, load, aug, trim=trim)
    onset = min(int(fields["event_onset_s"] * SAMPLE_RATE), len(bg) - len(event))
    scale = event_scale(event, bg[onset:onset + len(event)], fields["ebr_db"], bg_name)
    return event, onset, scale


def _event_audio(fields: dict, load: Callable[[str], np.ndarray], aug: Optional[dict],
                 trim: bool = True) -> np.ndarray:
    """The annotated segment of one event of a recipe, cut to its drawn duration (``trim``;
    the reference cuts at the segment's bounds only)."""
    event_file = load(fields["event_uri"])
    event = event_file[int(fields["segment_start_s"] * SAMPLE_RATE):
                       int(fields["segment_end_s"] * SAMPLE_RATE)]
    if trim:
        event = event[:int(round(fields["event_duration_s"] * SAMPLE_RATE))]
    if len(event) == 0:
        raise AudioDataError(f"{fields['event_uri']}: annotated segment is empty")
    return augmentation.augment_event(event, aug) if aug else event


def audio_loader(data_root: str, corpus_seed: int,
                 cache_bytes: int = 0) -> Callable[[str], np.ndarray]:
    """A ``load(uri)`` for recipes: embedded uris are synthesized, others read under the root.

    ``cache_bytes`` > 0 keeps the most recently used files (up to that many bytes of audio) so
    that the mixtures that share an event or a background synthesize or decode it once; the
    cached arrays are read-only, and the mixtures are the same bits with or without the cache.
    """
    import collections
    from components.audio import corpus
    from components.audio.audio_io import read_mono, resolve_under_root
    cache: "collections.OrderedDict[str, np.ndarray]" = collections.OrderedDict()

    def read(uri: str) -> np.ndarray:
        if uri.startswith(corpus.EMBEDDED_PREFIX):
            return corpus.synthesize_file(corpus_seed, uri)
        return read_mono(resolve_under_root(data_root, uri))

    def load(uri: str) -> np.ndarray:
        if cache_bytes <= 0:
            return read(uri)
        if uri in cache:
            cache.move_to_end(uri)
            return cache[uri]
        audio = read(uri)
        audio.setflags(write=False)
        cache[uri] = audio
        while len(cache) > 1 and sum(a.nbytes for a in cache.values()) > cache_bytes:
            cache.popitem(last=False)
        return audio
    return load
