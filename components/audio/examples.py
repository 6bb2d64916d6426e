"""``tf.train.Example`` encoding of mixtures and reading them back as arrays.

Features: ``mfcc`` (float list, frames x 20, row-major), ``label`` (int64: any of the task's
classes present), ``labels`` (int64 list: one 0/1 per class of the task, in the task's order;
the multi-class source stage learns these), ``scene``, ``location``, ``mixture_id`` (bytes) on
every example; ``ebr_db``, ``event_onset_s``,
``event_duration_s`` (float) and ``event_author`` (bytes) only when an event is present (those of
the recipe's first event when a multi-class clip holds several), so that slicing by ``ebr_db``
groups the positive clips by their EBR.
"""
from __future__ import annotations

import glob
import os
from typing import Dict, Iterator, List, Tuple

import numpy as np

from components.audio.mixing import Recipe

MFCC_KEY = "mfcc"
LABEL_KEY = "label"
LABELS_KEY = "labels"


def mixture_example(recipe: Recipe, coefficients: np.ndarray):
    """Encode one mixture's MFCC matrix and recipe metadata as a ``tf.train.Example``."""
    import tensorflow as tf

    def floats(values):
        return tf.train.Feature(float_list=tf.train.FloatList(value=values))

    def ints(values):
        return tf.train.Feature(int64_list=tf.train.Int64List(value=values))

    def text(value: str):
        return tf.train.Feature(bytes_list=tf.train.BytesList(value=[value.encode("utf-8")]))

    feature = {
        MFCC_KEY: float_array_feature(coefficients),
        LABEL_KEY: ints([int(recipe.label)]),
        LABELS_KEY: ints([int(v) for v in (recipe.labels or [recipe.label])]),
        "scene": text(recipe.bg_scene),
        "location": text(recipe.bg_location),
        "mixture_id": text(recipe.mixture_id),
    }
    if recipe.label:
        feature["ebr_db"] = floats([recipe.ebr_db])
        feature["event_onset_s"] = floats([recipe.event_onset_s])
        feature["event_duration_s"] = floats([recipe.event_duration_s])
        feature["event_author"] = text(recipe.event_author)
    return tf.train.Example(features=tf.train.Features(feature=feature))


def float_array_feature(values: np.ndarray):
    """A float-list ``tf.train.Feature`` of an array, built from its packed wire bytes.

    The same message as ``Feature(float_list=FloatList(value=values))`` (tests/test_data.py);
    filling the repeated field from NumPy goes value by value (3 ms for a 30 s clip's 51,680
    coefficients), parsing the packed little-endian float32 bytes is one copy (25 us).
    """
    import tensorflow as tf
    packed = np.ascontiguousarray(values, dtype="<f4").tobytes()
    float_list = b"\x0a" + _varint(len(packed)) + packed            # FloatList.value: field 1
    return tf.train.Feature.FromString(b"\x12" + _varint(len(float_list)) + float_list)  # field 2


def _varint(value: int) -> bytes:
    """Protocol-buffer base-128 varint of a non-negative integer."""
    out = bytearray()
    while True:
        low, value = value & 0x7F, value >> 7
        out.append(low | (0x80 if value else 0))
        if not value:
            return bytes(out)


def split_files(examples_uri: str, split: str) -> List[str]:
    """The gzipped TFRecord files of one split of an Examples artifact (sorted)."""
    files = sorted(glob.glob(os.path.join(examples_uri, f"Split-{split}", "*.gz")))
    if not files:
        raise FileNotFoundError(f"{examples_uri}: no TFRecord files in Split-{split}/")
    return files


def parse_spec(frames: int) -> Dict[str, object]:
    """Parsing spec for training: the MFCC matrix and the label."""
    import tensorflow as tf
    return {MFCC_KEY: tf.io.FixedLenFeature([frames * 20], tf.float32),
            LABEL_KEY: tf.io.FixedLenFeature([1], tf.int64)}


def load_split(examples_uri: str, split: str, frames: int, n_classes: int = 0
               ) -> Tuple[np.ndarray, np.ndarray, List[dict]]:
    """All examples of a split of an Examples artifact; see :func:`load_examples`."""
    return load_examples(split_files(examples_uri, split), frames, n_classes)


def load_examples(file_patterns: List[str], frames: int, n_classes: int = 0
                  ) -> Tuple[np.ndarray, np.ndarray, List[dict]]:
    """Examples from gzipped TFRecords as (mfcc [N, frames, 20], labels, metadata).

    ``n_classes`` 0: labels are ``label`` [N]; else ``labels`` [N, n_classes] (multi-class).
    Raises ValueError naming the file when an example's MFCC or labels have the wrong length.
    """
    batches = list(iter_batches(file_patterns, frames, n_classes, batch_size=256))
    return (np.concatenate([b[0] for b in batches]), np.concatenate([b[1] for b in batches]),
            [meta for b in batches for meta in b[2]])


def iter_batches(file_patterns: List[str], frames: int, n_classes: int = 0,
                 batch_size: int = 64) -> Iterator[Tuple[np.ndarray, np.ndarray, List[dict]]]:
    """The examples of :func:`load_examples` in file order, ``batch_size`` at a time (bounded
    memory for any number of examples)."""
    batch: List[Tuple[np.ndarray, object, dict]] = []
    for item in iter_examples(file_patterns, frames, n_classes):
        batch.append(item)
        if len(batch) == batch_size:
            yield _stack(batch)
            batch = []
    if batch:
        yield _stack(batch)


def _stack(batch):
    return (np.stack([b[0] for b in batch]), np.asarray([b[1] for b in batch], dtype=np.int64),
            [b[2] for b in batch])


def iter_examples(file_patterns: List[str], frames: int, n_classes: int = 0
                  ) -> Iterator[Tuple[np.ndarray, object, dict]]:
    """One (mfcc [frames, 20], label or labels, metadata) per example, read straight from the
    gzipped TFRecords in sorted file order; see :func:`load_examples`."""
    import tensorflow as tf
    paths = sorted(p for pattern in file_patterns for p in tf.io.gfile.glob(pattern))
    if not paths:
        raise FileNotFoundError(f"no TFRecord files match {file_patterns}")
    for path in paths:
        for record in tf.data.TFRecordDataset(path, compression_type="GZIP"):
            example = tf.train.Example.FromString(record.numpy())
            fmap = example.features.feature
            values = np.asarray(fmap[MFCC_KEY].float_list.value, dtype=np.float32)
            if values.size != frames * 20:
                raise ValueError(f"{path}: example {fmap['mixture_id'].bytes_list.value[:1]} has "
                                 f"{values.size} MFCC values; expected {frames} x 20")
            if n_classes:
                label = list(fmap[LABELS_KEY].int64_list.value)
                if len(label) != n_classes:
                    raise ValueError(f"{path}: example {fmap['mixture_id'].bytes_list.value[:1]} "
                                     f"has {len(label)} class labels; expected {n_classes}")
            else:
                label = int(fmap[LABEL_KEY].int64_list.value[0])
            meta = {"scene": fmap["scene"].bytes_list.value[0].decode(),
                    "mixture_id": fmap["mixture_id"].bytes_list.value[0].decode(),
                    "ebr_db": (float(fmap["ebr_db"].float_list.value[0])
                               if "ebr_db" in fmap else None),
                    "event_onset_s": (float(fmap["event_onset_s"].float_list.value[0])
                                      if "event_onset_s" in fmap else None),
                    "event_duration_s": (float(fmap["event_duration_s"].float_list.value[0])
                                         if "event_duration_s" in fmap else None)}
            yield values.reshape(frames, 20), label, meta
