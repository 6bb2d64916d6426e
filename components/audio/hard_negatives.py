"""Hard negatives: a loud, sharp sound that is not the event in training clips without it.

Every model of the project tags real doors, knocks and footsteps far more often than real
ambience (docs/results.md, "Real sharp sounds that are not glass"): with 36 training clips, "a
sharp onset" is what tells most glass-break clips apart, and the corpus's door slams, clinks and
keys sit in its backgrounds near the background's level, rarely as loud as the event. A hard
negative puts one of those sounds, as loud as an event (-6/0/+6 dB against the background under
it), into half of the training clips without an event, so that "a bang" alone no longer
says "glass". Test sets never get one.

The sounds are the embedded corpus's own generators of the glass break's distractors
(``corpus.SHORT_SOUNDS``: door slam, clink, keys, footstep, click), ``VARIANTS`` seeded variants
of each, addressed as ``embedded:sounds/<name>_<k>.wav`` so any data folder can use them. The
draw is stored in the recipe as ``Recipe.impact`` (the same fields as an event), so every
mixture can be recreated from its recipe alone; it uses its own generator, so a recipe's other
draws are the same with and without hard negatives.
"""
from __future__ import annotations

import dataclasses
from typing import List, Sequence

import numpy as np

from components.audio import corpus, mixing
from components.audio.audio_io import SAMPLE_RATE
from components.audio.records import EventRecord

HARD_NEGATIVE_STREAM = 0xBA9   # separates these draws from the recipe, augmentation and decoy draws
HARD_NEGATIVE_RATE = 0.5       # share of the training clips without an event that get one
SOUNDS = ("door", "clink", "keys", "step", "click")
VARIANTS = 20


def sound_records(corpus_seed: int, sounds: Sequence[str] = SOUNDS,
                  variants: int = VARIANTS) -> List[EventRecord]:
    """The synthetic sharp sounds as event records (whole file = the sound)."""
    records = []
    for name in sounds:
        for k in range(variants):
            uri = f"{corpus.EMBEDDED_PREFIX}sounds/{name}_{k}.wav"
            length = len(corpus.synthesize_file(corpus_seed, uri)) / SAMPLE_RATE
            records.append(EventRecord(uri, name, "corpus", (0.0, float(length))))
    return records


def add_hard_negatives(recipes, sounds: Sequence[EventRecord], seed: int,
                       ebrs_db: Sequence[float]):
    """Copies of ``recipes`` in which :data:`HARD_NEGATIVE_RATE` of those without an event (chosen
    at random) hold one of ``sounds`` at one of ``ebrs_db`` (``Recipe.impact``)."""
    rng = np.random.default_rng([int(seed), HARD_NEGATIVE_STREAM])
    negatives = [k for k, recipe in enumerate(recipes) if not recipe.label]
    chosen = set(rng.choice(negatives, size=int(round(HARD_NEGATIVE_RATE * len(negatives))),
                            replace=False).tolist()) if negatives else set()
    out = []
    for k, recipe in enumerate(recipes):
        if k not in chosen:
            out.append(recipe)
            continue
        sound = sounds[int(rng.integers(len(sounds)))]
        length = min(sound.length_s, recipe.duration_s)
        onset = (recipe.duration_s - length) * rng.random()
        ebr = ebrs_db[int(rng.integers(len(ebrs_db)))]
        out.append(dataclasses.replace(recipe, impact=mixing.event_fields(sound, onset, length,
                                                                          ebr)))
    return out
