"""``tf.train.Example`` encoding of mixtures and reading them back as arrays.

Features: ``mfcc`` (float list, frames x n_mfcc, row-major; the paper's 20 by default),
``label`` (int64: any of the task's classes present), ``labels`` (int64 list: one 0/1 per class
of the task, in the task's order; the multi-class source stage learns these), ``scene``,
``location``, ``mixture_id`` (bytes) on every example; ``ebr_db``, ``event_onset_s``,
``event_duration_s`` (float) and ``event_author`` (bytes) only when an event is present (those of
the recipe's first event when a multi-class clip holds several), so that slicing by ``ebr_db``
groups the positive clips by their EBR; ``impact`` (bytes: what the sound is) only on a real
clip without an event that holds an impact (``Recipe.impact``); ``onset_centroid_khz`` (float)
on every example the Beam job writes: the spectral centroid after the clip's sharpest onset
(``components.audio.onset``), which a model with an onset fusion reads beside the MFCC.
"""
from __future__ import annotations

import glob
import os
from typing import Dict, Iterator, List, Optional, Tuple

import numpy as np

from components.audio.features import N_MFCC
from components.audio.mixing import Recipe

MFCC_KEY = "mfcc"
LABEL_KEY = "label"
LABELS_KEY = "labels"
ONSET_CENTROID_KEY = "onset_centroid_khz"
# What the Beam job writes; part of the ExampleGens' cache key (pipeline.pipeline), so examples
# written before a change of format are mixed again instead of reused. 2: onset_centroid_khz.
EXAMPLE_FORMAT = 2


def mixture_example(recipe: Recipe, coefficients: np.ndarray,
                    onset_centroid_khz: Optional[float] = None):
    """One mixture's MFCC matrix and recipe metadata as a ``tf.train.Example`` (parsed from
    :func:`serialize_mixture_example`)."""
    import tensorflow as tf
    return tf.train.Example.FromString(serialize_mixture_example(recipe, coefficients,
                                                                 onset_centroid_khz))


def serialize_mixture_example(recipe: Recipe, coefficients: np.ndarray,
                              onset_centroid_khz: Optional[float] = None) -> bytes:
    """The wire bytes of one mixture's ``tf.train.Example``, without TensorFlow.

    The bytes ``tf.train.Example.SerializeToString(deterministic=True)`` gives for the same
    features (tests/test_data.py): the Beam job's workers need not import TensorFlow (seconds
    each) to encode, and the MFCC goes in as one packed copy (``float_array_feature``).
    """
    feature = {
        MFCC_KEY: _float_list(np.ascontiguousarray(coefficients, dtype="<f4").tobytes()),
        LABEL_KEY: _int64_list([int(recipe.label)]),
        LABELS_KEY: _int64_list([int(v) for v in (recipe.labels or [recipe.label])]),
        "scene": _bytes_list(recipe.bg_scene.encode("utf-8")),
        "location": _bytes_list(recipe.bg_location.encode("utf-8")),
        "mixture_id": _bytes_list(recipe.mixture_id.encode("utf-8")),
    }
    if recipe.label:
        feature["ebr_db"] = _float_list(np.asarray([recipe.ebr_db], dtype="<f4").tobytes())
        feature["event_onset_s"] = _float_list(
            np.asarray([recipe.event_onset_s], dtype="<f4").tobytes())
        feature["event_duration_s"] = _float_list(
            np.asarray([recipe.event_duration_s], dtype="<f4").tobytes())
        feature["event_author"] = _bytes_list(recipe.event_author.encode("utf-8"))
    if onset_centroid_khz is not None:
        feature[ONSET_CENTROID_KEY] = _float_list(
            np.asarray([onset_centroid_khz], dtype="<f4").tobytes())
    if recipe.impact:
        feature["impact"] = _bytes_list(recipe.impact["event_class"].encode("utf-8"))
    return _example_bytes(feature)


def onset_example(coefficients: np.ndarray, onset_centroid_khz: float) -> bytes:
    """The wire bytes of a ``tf.train.Example`` holding only what a served model with an onset
    fusion parses (``parse_spec(with_onset=True)``): the MFCC matrix and the centroid. What a
    client that computed both sends to TF Serving's classify (``serving_default``)."""
    feature = {MFCC_KEY: _float_list(np.ascontiguousarray(coefficients, dtype="<f4").tobytes()),
               ONSET_CENTROID_KEY: _float_list(
                   np.asarray([onset_centroid_khz], dtype="<f4").tobytes())}
    return _example_bytes(feature)


def _example_bytes(feature: dict) -> bytes:
    """A ``tf.train.Example`` of encoded features {name: Feature bytes}, keys sorted as
    ``SerializeToString(deterministic=True)`` sorts a map."""
    entries = b"".join(_field(1, _field(1, key.encode("utf-8")) + _field(2, value))
                       for key, value in sorted(feature.items()))
    return _field(1, entries)                     # Example.features = Features{feature: map}


def float_array_feature(values: np.ndarray):
    """A float-list ``tf.train.Feature`` of an array, built from its packed wire bytes.

    The same message as ``Feature(float_list=FloatList(value=values))`` (tests/test_data.py);
    filling the repeated field from NumPy goes value by value (3 ms for a 30 s clip's 51,680
    coefficients), parsing the packed little-endian float32 bytes is one copy (25 us).
    """
    import tensorflow as tf
    return tf.train.Feature.FromString(
        _float_list(np.ascontiguousarray(values, dtype="<f4").tobytes()))


# Protocol-buffer wire format of tf.train.Feature (bytes_list = 1, float_list = 2,
# int64_list = 3; each list's values are its field 1, numbers packed as proto3 does).

def _field(number: int, payload: bytes) -> bytes:
    """A length-delimited field (wire type 2)."""
    return _varint(number << 3 | 2) + _varint(len(payload)) + payload


def _bytes_list(value: bytes) -> bytes:
    return _field(1, _field(1, value))


def _float_list(packed_float32: bytes) -> bytes:
    return _field(2, _field(1, packed_float32) if packed_float32 else b"")


def _int64_list(values: List[int]) -> bytes:
    packed = b"".join(_varint(v & 0xFFFFFFFFFFFFFFFF) for v in values)  # int64: two's complement
    return _field(3, _field(1, packed) if packed else b"")


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


def parse_spec(frames: int, n_mfcc: int = N_MFCC, with_onset: bool = False
               ) -> Dict[str, object]:
    """Parsing spec for serving: the MFCC matrix (and with ``with_onset`` the onset centroid).
    The label is not read: a request to a served model has none."""
    import tensorflow as tf
    spec = {MFCC_KEY: tf.io.FixedLenFeature([frames * n_mfcc], tf.float32)}
    if with_onset:
        spec[ONSET_CENTROID_KEY] = tf.io.FixedLenFeature([1], tf.float32)
    return spec


def load_split(examples_uri: str, split: str, frames: int, n_classes: int = 0,
               n_mfcc: int = N_MFCC) -> Tuple[np.ndarray, np.ndarray, List[dict]]:
    """All examples of a split of an Examples artifact; see :func:`load_examples`."""
    return load_examples(split_files(examples_uri, split), frames, n_classes, n_mfcc)


def load_examples(file_patterns: List[str], frames: int, n_classes: int = 0,
                  n_mfcc: int = N_MFCC) -> Tuple[np.ndarray, np.ndarray, List[dict]]:
    """Examples from gzipped TFRecords as (mfcc [N, frames, n_mfcc], labels, metadata).

    ``n_classes`` 0: labels are ``label`` [N]; else ``labels`` [N, n_classes] (multi-class).
    Raises ValueError naming the file when an example's MFCC or labels have the wrong length.
    """
    batches = list(iter_batches(file_patterns, frames, n_classes, batch_size=256,
                                n_mfcc=n_mfcc))
    return (np.concatenate([b[0] for b in batches]), np.concatenate([b[1] for b in batches]),
            [meta for b in batches for meta in b[2]])


def iter_batches(file_patterns: List[str], frames: int, n_classes: int = 0,
                 batch_size: int = 64, n_mfcc: int = N_MFCC
                 ) -> Iterator[Tuple[np.ndarray, np.ndarray, List[dict]]]:
    """The examples of :func:`load_examples` in file order, ``batch_size`` at a time (bounded
    memory for any number of examples)."""
    batch: List[Tuple[np.ndarray, object, dict]] = []
    for item in iter_examples(file_patterns, frames, n_classes, n_mfcc):
        batch.append(item)
        if len(batch) == batch_size:
            yield _stack(batch)
            batch = []
    if batch:
        yield _stack(batch)


def _stack(batch):
    return (np.stack([b[0] for b in batch]), np.asarray([b[1] for b in batch], dtype=np.int64),
            [b[2] for b in batch])


def iter_examples(file_patterns: List[str], frames: int, n_classes: int = 0,
                  n_mfcc: int = N_MFCC) -> Iterator[Tuple[np.ndarray, object, dict]]:
    """One (mfcc [frames, n_mfcc], label or labels, metadata) per example, read straight from the
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
            if values.size != frames * n_mfcc:
                raise ValueError(f"{path}: example {fmap['mixture_id'].bytes_list.value[:1]} has "
                                 f"{values.size} MFCC values; expected {frames} x {n_mfcc}")
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
                                         if "event_duration_s" in fmap else None),
                    "impact": (fmap["impact"].bytes_list.value[0].decode()
                               if "impact" in fmap else None),
                    ONSET_CENTROID_KEY: (float(fmap[ONSET_CENTROID_KEY].float_list.value[0])
                                         if ONSET_CENTROID_KEY in fmap else None)}
            yield values.reshape(frames, n_mfcc), label, meta
