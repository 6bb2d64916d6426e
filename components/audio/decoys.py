"""Decoys: grains of a training event scattered over a clip, a hard negative made from the event.

The few-shot models learn "bright, many small onsets" for a glass break and so fire on real
birdsong and rain (docs/results.md). A decoy takes short windowed grains (10-80 ms) of a training
event of the task's class, some reversed, and scatters them at random times over the clip: the
event's spectrum and its small onsets without the one coherent break. It is added to the
background before any event is scaled against it, in about half of the training clips **with and
without** an event, so the grains alone say nothing about the label; only the intact event does.

A decoy is a small dict stored in its recipe (``Recipe.decoy``), so every mixture can be
recreated from its recipe alone:

    event_uri, segment_start_s, segment_end_s   the event whose grains are scattered
    ebr_db     the level: every grain keeps the amplitude it has in the event when the whole
               event is scaled to this EBR against the clip's background
    grains     how many grains
    seed       seeds the grains' lengths, sources, gains, reversals and places

The draws use their own generator, so a recipe's other draws are the same with and without decoys.
"""
from __future__ import annotations

import dataclasses
from typing import Dict, List, Sequence

import numpy as np

from components.audio.audio_io import SAMPLE_RATE
from components.audio.records import EventRecord

DECOY_STREAM = 0xDEC0   # separates the decoy draws from the recipe and augmentation draws
DECOY_RATE = 0.5        # share of the training clips that get a decoy, whatever their label
GRAINS_RANGE = (6, 30)  # grains per decoy, both included
GRAIN_LENGTH_S = (0.01, 0.08)
GRAIN_GAIN_DB = (-12.0, 0.0)


def draw_decoy(rng: np.random.Generator, events: Sequence[EventRecord],
               ebrs_db: Sequence[float]) -> Dict:
    """One decoy (see the module doc) made from one of ``events``."""
    event = events[int(rng.integers(len(events)))]
    return {"event_uri": event.uri,
            "segment_start_s": float(event.segment[0]), "segment_end_s": float(event.segment[1]),
            "ebr_db": float(rng.choice(np.asarray(ebrs_db, dtype=float))),
            "grains": int(rng.integers(GRAINS_RANGE[0], GRAINS_RANGE[1] + 1)),
            "seed": int(rng.integers(0, 2 ** 31 - 1))}


def add_decoys(recipes: Sequence, events: Sequence[EventRecord], seed: int,
               ebrs_db: Sequence[float], rate: float = DECOY_RATE) -> List:
    """Copies of ``recipes`` where each, with probability ``rate`` and independently of its
    label, carries a decoy drawn from ``events``; the draws come from ``seed`` alone."""
    if not events:
        raise ValueError("decoys need at least one event recording of the task's class")
    rng = np.random.default_rng([int(seed), DECOY_STREAM])
    out = []
    for recipe in recipes:
        chosen = rng.random() < rate
        decoy = draw_decoy(rng, events, ebrs_db)   # drawn for every recipe: stable streams
        out.append(dataclasses.replace(recipe, decoy=decoy) if chosen else recipe)
    return out


def scatter_grains(event: np.ndarray, n_samples: int, grains: int, seed: int) -> np.ndarray:
    """``grains`` Hann-windowed grains of ``event`` (10-80 ms, from anywhere in it, -12..0 dB,
    half of them reversed) placed at random over ``n_samples`` samples, overlapping freely."""
    rng = np.random.default_rng(int(seed))
    out = np.zeros(n_samples, dtype=np.float64)
    if len(event) == 0 or n_samples == 0:
        return out
    for _ in range(int(grains)):
        length = int(rng.uniform(*GRAIN_LENGTH_S) * SAMPLE_RATE)
        length = max(2, min(length, len(event), n_samples))
        start = int(rng.integers(0, len(event) - length + 1))
        grain = event[start:start + length] * np.hanning(length)
        if rng.random() < 0.5:
            grain = grain[::-1]
        grain = grain * 10 ** (rng.uniform(*GRAIN_GAIN_DB) / 20)
        place = int(rng.integers(0, n_samples - length + 1))
        out[place:place + length] += grain
    return out
