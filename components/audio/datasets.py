"""Choosing source data and drawing the train/eval recipes of one task (no TFX, no Beam)."""
from __future__ import annotations

from typing import Dict, List

from components.audio import augmentation, corpus, dcase, mixing
from components.audio.records import TASK_EVENT_CLASS, SourceData

EMBEDDED = "embedded"


def load_source_data(data: str, corpus_seed: int) -> SourceData:
    """``'embedded'`` for the synthesized corpus, else a folder in the DCASE or manifest layout."""
    if data == EMBEDDED:
        return corpus.embedded_source_data(corpus_seed)
    return dcase.read_source_data(data)


def split_recipes(data: SourceData, task: str, train_clips: int, eval_clips: int,
                  train_seed: int, eval_seed: int, clip_duration_s: float,
                  excerpts: int = 1, augment: bool = False) -> Dict[str, List[mixing.Recipe]]:
    """Recipes of the ``train`` split (train records) and the ``eval`` split (test records).

    Train and test draw on disjoint locations and authors; ``eval_seed`` fixes the test set so
    that every model of a study is measured on the same clips. Task ``real`` is an evaluation
    set only: every target-class event of the test records at every EBR over ``excerpts``
    excerpts of every test background, plus as many excerpts without an event (the clip counts
    are not used). ``augment`` gives every ``train`` recipe an augmentation drawn from
    ``train_seed`` (components.audio.augmentation); test sets are never augmented.
    """
    if task == "real":
        events = [e for e in data.events["test"] if e.event_class == TASK_EVENT_CLASS["target"]]
        return {"eval": mixing.factorial_recipes(data.backgrounds["test"], events, excerpts,
                                                 eval_seed, clip_duration_s)}
    if task not in ("source", "target"):
        raise ValueError(f"task must be 'source', 'target' or 'real', got {task!r}")
    recipes = {}
    if train_clips > 0:
        recipes["train"] = mixing.task_recipes(data, task, "train", "train", train_clips,
                                               train_seed, clip_duration_s)
    recipes["eval"] = mixing.task_recipes(data, task, "test", "eval", eval_clips, eval_seed,
                                          clip_duration_s)
    if augment and "train" in recipes:
        recipes["train"] = augmentation.augment_recipes(recipes["train"], train_seed)
    return recipes
