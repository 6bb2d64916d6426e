"""Choosing source data, the classes and scenes of each task, and drawing their recipes (no TFX,
no Beam).

A task is (data, classes). Its scenes are chosen by :func:`task_scenes`: the paper's scene list of
the task where the data has those scenes (the embedded corpus, DCASE 2017, a manifest with TUT
scene names), else every scene of the data; when the two tasks then share scene names and come
from the same folder, the shared scenes are dealt out alternately (sorted by name: the source
task takes the 1st, 3rd, ... the target the 2nd, 4th, ...) so the tasks stay disjoint. When they
cannot (one shared scene, or two folders naming the same scene) both tasks keep it and the run
records ``scenes_disjoint: false``, which the report states.
"""
from __future__ import annotations

import dataclasses
from typing import Dict, List, Optional, Sequence, Tuple

from components.audio import augmentation, corpus, dcase, hard_negatives, mixing
from components.audio import decoys as decoy_draws
from components.audio.audio_io import AudioDataError
from components.audio.records import (DEFAULT_TASK_CLASSES, PAPER_TASK_SCENES, EventRecord,
                                      SourceData)

EMBEDDED = "embedded"
TASKS = ("source", "target", "real")


RECIPE_MODES = ("default", "dcase2017")


def load_source_data(data: str, corpus_seed: int, bg_screening: bool = True) -> SourceData:
    """``'embedded'`` for the synthesized corpus, else a folder in the DCASE or manifest layout
    (``bg_screening``: honour a DCASE folder's ``bgs/bg_screening.csv``)."""
    if data == EMBEDDED:
        return corpus.embedded_source_data(corpus_seed)
    return dcase.read_source_data(data, bg_screening=bg_screening)


def parse_classes(text: str) -> Tuple[str, ...]:
    """``'babycry, dogbark'`` -> ``('babycry', 'dogbark')`` (order kept, duplicates refused)."""
    names = tuple(name.strip() for name in str(text).split(",") if name.strip())
    if not names:
        raise ValueError(f"no class named in {text!r}; expected comma-separated class names")
    if len(set(names)) != len(names):
        raise ValueError(f"a class is named twice in {text!r}")
    return names


@dataclasses.dataclass(frozen=True)
class TaskSpec:
    """One task of a run: its data, classes (one output each) and background scenes."""
    name: str                      # 'source' | 'target' | 'real'
    data: str                      # 'embedded' or a folder
    classes: Tuple[str, ...]
    scenes: Tuple[str, ...]
    scenes_disjoint: bool = True   # no scene of this task is a scene of the other task


def _paper_or_all(task: str, data_scenes: Sequence[str]) -> List[str]:
    paper = [s for s in data_scenes if s in PAPER_TASK_SCENES.get(task, ())]
    return paper or list(data_scenes)


def task_scenes(task: str, own: SourceData, other: Optional[SourceData] = None
                ) -> Tuple[Tuple[str, ...], bool]:
    """The background scenes of ``task`` on data ``own`` given the other task's data ``other``
    (see the module doc); returns ``(scenes, disjoint)``."""
    mine = _paper_or_all(task, own.scenes())
    if task == "real" or other is None:
        return tuple(mine), True
    theirs = _paper_or_all("target" if task == "source" else "source", other.scenes())
    shared = sorted(set(mine) & set(theirs))
    if not shared:
        return tuple(mine), True
    if own.data_root == other.data_root and len(shared) >= 2:
        dealt = set(shared[0::2] if task == "source" else shared[1::2])
        return tuple(s for s in mine if s not in shared or s in dealt), True
    return tuple(mine), False


def check_classes(task: str, data: SourceData, classes: Sequence[str], where: str) -> None:
    """Refuse a class the data does not have, or has no train or no test events of."""
    known = data.event_classes()
    for name in classes:
        other_case = [k for k in known if k.lower() == name.lower() and k != name]
        if other_case:
            raise ValueError(f"{task} class {name!r} differs only in case from the class "
                             f"{other_case[0]!r} of {where}; class names are case-sensitive")
        if name not in known:
            raise ValueError(f"{task} class {name!r} is not in {where} (its event classes: "
                             f"{', '.join(known) or 'none'})")
        for subset in ("train", "test"):
            if not data.events_of(subset, name):
                raise AudioDataError(f"{task} class {name!r} has no {subset} events in {where}; "
                                     "each class needs events in both subsets")


def resolve_tasks(source_data: str, source_classes: str, target_data: str, target_class: str,
                  corpus_seed: int) -> Dict[str, TaskSpec]:
    """Check a run's tasks and choose their scenes before any data job runs.

    Raises AudioDataError (class without events, no backgrounds) or ValueError (unknown or
    mis-cased class, malformed class list, target class also a source class) with one line.
    """
    sources = parse_classes(source_classes)
    targets = parse_classes(target_class)
    if len(targets) != 1:
        raise ValueError(f"target_class {target_class!r}: the target task tags one class")
    if targets[0] in sources:
        raise ValueError(f"target class {targets[0]!r} is also a source class; the target must "
                         "be a class the source stage has not learnt")
    loaded = {"source": load_source_data(source_data, corpus_seed)}
    loaded["target"] = (loaded["source"] if target_data == source_data
                        else load_source_data(target_data, corpus_seed))
    specs = {}
    for task, data, classes in (("source", source_data, sources),
                                ("target", target_data, targets)):
        check_classes(task, loaded[task], classes, data)
        other = loaded["target" if task == "source" else "source"]
        scenes, disjoint = task_scenes(task, loaded[task], other)
        for subset in ("train", "test"):
            if not loaded[task].backgrounds_in(subset, scenes):
                raise AudioDataError(f"{task} task: no {subset} backgrounds in its scenes "
                                     f"({', '.join(scenes) or 'none'}) in {data}")
        specs[task] = TaskSpec(task, data, classes, scenes, disjoint)
    return specs


def unused_backgrounds(data: SourceData, used_scenes: Sequence[str]) -> Dict[str, int]:
    """Background rows of ``data`` in scenes no task uses: scene -> count (the run warns)."""
    counts: Dict[str, int] = {}
    for records in data.backgrounds.values():
        for b in records:
            if b.scene not in set(used_scenes):
                counts[b.scene] = counts.get(b.scene, 0) + 1
    return counts


def split_recipes(data: SourceData, task: str, train_clips: int, eval_clips: int,
                  train_seed: int, eval_seed: int, clip_duration_s: float,
                  excerpts: int = 1, augment: bool = False,
                  classes: Optional[Sequence[str]] = None,
                  scenes: Optional[Sequence[str]] = None,
                  recipe_mode: str = "default", decoys: bool = False,
                  impacts: bool = False, hard_negative_clips: bool = False,
                  corpus_seed: int = 0, hard_negative_classes: Sequence[str] = (),
                  calibration_clips: int = 0, calibration_seed: int = 0,
                  recording_chain: bool = False) -> Dict[str, List[mixing.Recipe]]:
    """Recipes of the ``train`` split (train records) and the ``eval`` split (test records).

    ``classes`` and ``scenes`` default to the paper's task (babycry or glassbreak; the paper's
    scenes of the task where the data has them). Train and test draw on disjoint locations and
    authors; ``eval_seed`` fixes the test set so that every model of a study is measured on the
    same clips. Task ``real`` is an evaluation set only: every event of the task's class in the
    test records at every EBR over ``excerpts`` excerpts of every test background, plus as many
    excerpts without an event (the clip counts are not used); ``impacts`` adds an ``impacts``
    split: every test event of the data's other classes (real sounds that are not the task's, e.g.
    doors and knocks) at every EBR over ``excerpts`` excerpts of every test background, labelled
    0 (``mixing.factorial_recipes``; the ``eval`` split is the same with and without it; no
    split when the data has no other class). ``augment`` gives every ``train``
    recipe an augmentation drawn from ``train_seed`` (components.audio.augmentation); test sets
    are never augmented. ``decoys`` (task ``target`` only) gives about half of the ``train``
    recipes, with and without an event, a decoy drawn from ``train_seed``: grains of a training
    event of the task's class scattered over the clip (components.audio.decoys); test sets never
    have one. ``hard_negative_clips`` (task ``target`` only) gives half of the ``train``
    recipes without an event a loud synthetic sharp sound that is not the event (door slam,
    clink, keys, step, click of corpus ``corpus_seed``; components.audio.hard_negatives), or
    with ``hard_negative_classes`` one of the data's training recordings of those classes.
    ``calibration_clips`` > 0 (task ``target`` only) adds a ``calibration`` split: that many
    plain mixtures of the *training* records drawn from ``calibration_seed`` (no augmentation,
    decoy or hard negative), on which a target Trainer fits its onset fusion
    (components.model.fusion); never the test records. ``recording_chain`` (task ``target``
    only) sends about half of the ``train`` recipes through a recording chain at a low sample
    rate drawn from ``train_seed`` (``augmentation.chain_recipes``); other splits never.
    ``recipe_mode='dcase2017'``: the reference synthesizer's draws
    (``mixing.dcase2017_recipes``: seed 42 per subset, every background of the subset; the
    seeds and scenes given here are not used) for the source and target tasks.
    """
    if task not in TASKS:
        raise ValueError(f"task must be one of {TASKS}, got {task!r}")
    if impacts and task != "real":
        raise ValueError(f"impacts are for the real evaluation set, not task {task!r}")
    if recipe_mode not in RECIPE_MODES:
        raise ValueError(f"recipe_mode must be one of {RECIPE_MODES}, got {recipe_mode!r}")
    if calibration_clips and task != "target":
        raise ValueError(f"a calibration split is for the target task, not task {task!r}")
    classes = tuple(classes or DEFAULT_TASK_CLASSES["target" if task == "real" else task])
    if scenes is None:
        scenes = task_scenes(task, data)[0]
    calibration = {}
    if calibration_clips:
        calibration["calibration"] = mixing.task_recipes(
            data, task, classes, scenes, "train", "calibration", calibration_clips,
            calibration_seed, clip_duration_s)
    if task == "real":
        events = [e for e in data.events["test"] if e.event_class in classes]
        others = [e for e in data.events["test"] if e.event_class not in classes]
        backgrounds = data.backgrounds_in("test", scenes)
        design = mixing.factorial_recipes(backgrounds, events, excerpts, eval_seed,
                                          clip_duration_s, impacts=others if impacts else ())
        split = {"eval": [r for r in design if r.impact is None]}
        if impacts and others:
            split["impacts"] = [r for r in design if r.impact is not None]
        return split
    if recipe_mode == "dcase2017" and task != "real":
        recipes = {}
        if train_clips > 0:
            recipes["train"] = mixing.dcase2017_recipes(data, "train", "train", train_clips,
                                                        task, classes)
        recipes["eval"] = mixing.dcase2017_recipes(data, "test", "eval", eval_clips, task,
                                                   classes)
        return dict(_train_extras(recipes, data, task, classes, train_seed, augment, decoys,
                                  hard_negative_clips, corpus_seed, hard_negative_classes,
                                  recording_chain), **calibration)
    recipes = {}
    if train_clips > 0:
        recipes["train"] = mixing.task_recipes(data, task, classes, scenes, "train", "train",
                                               train_clips, train_seed, clip_duration_s)
    recipes["eval"] = mixing.task_recipes(data, task, classes, scenes, "test", "eval",
                                          eval_clips, eval_seed, clip_duration_s)
    return dict(_train_extras(recipes, data, task, classes, train_seed, augment, decoys,
                              hard_negative_clips, corpus_seed, hard_negative_classes,
                              recording_chain), **calibration)


def _train_extras(recipes: Dict[str, List[mixing.Recipe]], data: SourceData, task: str,
                  classes: Sequence[str], train_seed: int, augment: bool, decoys: bool,
                  hard_negative_clips: bool = False, corpus_seed: int = 0,
                  hard_negative_classes: Sequence[str] = (), recording_chain: bool = False
                  ) -> Dict[str, List[mixing.Recipe]]:
    """The ``train`` split's augmentation, decoys, hard negatives and recording chain (see
    :func:`split_recipes`)."""
    if decoys and task != "target":
        raise ValueError(f"decoys are for the target task's training clips, not task {task!r}")
    if hard_negative_clips and task != "target":
        raise ValueError(f"hard negatives are for the target task's training clips, not task "
                         f"{task!r}")
    if hard_negative_classes and not hard_negative_clips:
        raise ValueError("hard_negative_classes needs hard negatives")
    if recording_chain and task != "target":
        raise ValueError(f"the recording chain is for the target task's training clips, not "
                         f"task {task!r}")
    if "train" not in recipes:
        return recipes
    if augment:
        recipes["train"] = augmentation.augment_recipes(recipes["train"], train_seed)
    if decoys:
        events = [e for c in classes for e in data.events_of("train", c)]
        recipes["train"] = decoy_draws.add_decoys(recipes["train"], events, train_seed,
                                                  mixing.EBRS_DB)
    if hard_negative_clips:
        sounds = (hard_negative_records(data, hard_negative_classes, classes)
                  if hard_negative_classes else hard_negatives.sound_records(corpus_seed))
        recipes["train"] = hard_negatives.add_hard_negatives(recipes["train"], sounds,
                                                             train_seed, mixing.EBRS_DB)
    if recording_chain:
        recipes["train"] = augmentation.chain_recipes(recipes["train"], train_seed)
    return recipes


def hard_negative_records(data: SourceData, hard_negative_classes: Sequence[str],
                          classes: Sequence[str]) -> List[EventRecord]:
    """The training recordings of ``hard_negative_classes`` in ``data`` (the sounds that are not
    the event, e.g. real doors and knocks); ValueError naming a class that is one of the task's
    ``classes`` or that has no training recording."""
    records = []
    for name in hard_negative_classes:
        if name in classes:
            raise ValueError(f"hard_negative_classes: {name!r} is a class of the task; expected "
                             "classes that are not the event")
        found = data.events_of("train", name)
        if not found:
            have = sorted({e.event_class for e in data.events["train"]} - set(classes))
            raise ValueError(f"hard_negative_classes: {data.data_root} has no training "
                             f"recording of class {name!r}; other classes it has: "
                             f"{', '.join(have) or 'none'}")
        records.extend(found)
    return records


def impact_classes(data: str, classes: str, corpus_seed: int) -> Optional[List[str]]:
    """The event classes of ``data``'s test recordings other than ``classes`` (comma-separated):
    what the real task mixes in as impacts (see :func:`split_recipes`); None for a remote folder
    (``scheme://``), which is not read before the pipeline runs."""
    if "://" in data:
        return None
    return other_test_classes(load_source_data(data, corpus_seed), parse_classes(classes))


def other_test_classes(source: SourceData, classes: Sequence[str]) -> List[str]:
    """The event classes of ``source``'s test recordings that are not ``classes``, sorted."""
    return sorted({e.event_class for e in source.events["test"]} - set(classes))


@dataclasses.dataclass(frozen=True)
class TaskPlan:
    """What one data job of a task will mix: its data, scenes and recipes per split."""
    data: SourceData
    scenes: Tuple[str, ...]
    scenes_disjoint: bool
    recipes: Dict[str, List[mixing.Recipe]]


def plan_task(task: str, data: str, corpus_seed: int, train_clips: int, eval_clips: int,
              train_seed: int, eval_seed: int, clip_duration_s: float, excerpts: int = 1,
              augment: bool = False, classes: str = "", paired_data: str = "",
              recipe_mode: str = "default", bg_screening: bool = True,
              decoys: bool = False, impacts: bool = False,
              hard_negatives: bool = False, hard_negative_classes: str = "",
              calibration_clips: int = 0, calibration_seed: int = 0,
              recording_chain: bool = False) -> TaskPlan:
    """Load ``data``, choose the task's scenes (against ``paired_data``, the other task's data)
    and draw its recipes: what the ExampleGen does before its Beam job, and what the CLI does
    for every task before anything runs, so a bad input fails at once."""
    source = load_source_data(data, corpus_seed, bg_screening)
    class_list = parse_classes(classes) if classes else None
    other = None
    if paired_data:
        other = source if paired_data == data else load_source_data(paired_data, corpus_seed,
                                                                     bg_screening)
    if class_list and task != "real":
        check_classes(task, source, class_list, data)
    scenes, disjoint = task_scenes(task, source, other)
    if recipe_mode == "dcase2017" and task != "real":
        scenes, disjoint = tuple(source.scenes()), False
    recipes = split_recipes(source, task, train_clips, eval_clips, train_seed, eval_seed,
                            clip_duration_s, excerpts, augment, classes=class_list,
                            scenes=scenes, recipe_mode=recipe_mode, impacts=impacts,
                            corpus_seed=corpus_seed, **training_extras_arguments(
                                decoys, hard_negatives, hard_negative_classes,
                                calibration_clips, calibration_seed, recording_chain))
    return TaskPlan(source, tuple(scenes), disjoint, recipes)


def training_extras_arguments(decoys: bool = False, hard_negatives: bool = False,
                              hard_negative_classes: str = "", calibration_clips: int = 0,
                              calibration_seed: int = 0, recording_chain: bool = False) -> Dict:
    """:func:`split_recipes`' keyword arguments for the training data's extras, given as a
    data job names them (``plan_task``'s arguments; ``PipelineConfig.target_training_extras``
    gives those that are set)."""
    return {"decoys": bool(decoys), "hard_negative_clips": bool(hard_negatives),
            "hard_negative_classes": (parse_classes(hard_negative_classes)
                                      if hard_negative_classes else ()),
            "calibration_clips": calibration_clips, "calibration_seed": calibration_seed,
            "recording_chain": bool(recording_chain)}


def data_version(data: str) -> str:
    """A digest of what ``data`` holds, so that cached data made from it are not reused once it
    changed: for a local folder the path, size and modification time of every file under it
    (an edited, added or removed recording changes it); for the embedded corpus its
    ``corpus.CORPUS_VERSION``; '' for a remote folder (``scheme://``), taken as unchanging."""
    import hashlib
    import os
    if data == EMBEDDED:
        return f"embedded-{corpus.CORPUS_VERSION}"
    if "://" in data:
        return ""
    digest = hashlib.sha256()
    for folder, subfolders, files in os.walk(data):
        subfolders.sort()
        for name in sorted(files):
            path = os.path.join(folder, name)
            stat = os.stat(path)
            digest.update(f"{os.path.relpath(path, data)}\0{stat.st_size}\0"
                          f"{stat.st_mtime_ns}\n".encode("utf-8", "surrogateescape"))
    return digest.hexdigest()[:16]


def recipe_files(plan: TaskPlan) -> List[str]:
    """The audio files (under the data root) the plan's recipes read, sorted; embedded audio is
    synthesized and has none."""
    import os
    uris = set()
    for recipes in plan.recipes.values():
        for r in recipes:
            uris.add(r.bg_uri)
            uris.update(u for u in [r.event_uri, (r.impact or {}).get("event_uri")]
                        + [e["event_uri"] for e in r.more_events or []] if u)
    return sorted(os.path.join(plan.data.data_root, u) for u in uris
                  if not u.startswith(corpus.EMBEDDED_PREFIX))
