"""The paper's LSTM tagger and its transfer methods, in pure Keras 3 (no TFX).

Base network (Diment & Virtanen 2017, section 2): LSTM(100, tanh) -> LSTM(100, tanh) ->
Dense(1, sigmoid), 10 % dropout on the LSTM inputs and none recurrent, Glorot-normal
initialisation, binary cross-entropy, RMSprop (lr 0.001). A non-trainable per-coefficient
standardisation layer (``normalize``) sits in front: the identity unless a model trained from
scratch is told to standardise (``StageConfig.standardize``, not in the paper, which feeds the
MFCCs as they are); its statistics travel with the model into every transfer method. The LSTMs keep the cuDNN-eligible configuration
(tanh, sigmoid gates, no recurrent dropout, no unroll, bias on), so a GPU runs the fused kernel.

A source model may learn several classes at once (multi-class pre-training): its ``output`` is
Dense(K, sigmoid), one unit per class, trained with the same binary cross-entropy on the clips'
0/1 class labels. The target model always has one output.

Methods (layer names in brackets):
  scratch           fresh network [normalize, lstm_1, lstm_2, output]
  pretrain_all      (a) every layer initialised from the source model, all trained
  pretrain_fix_low  (b) lstm_1 copied from the source and frozen; lstm_2 and output fresh
  parallel_low      (c) lstm_1_source copied and frozen beside a fresh trainable lstm_1,
                    concatenated before lstm_2; lstm_2 and output fresh
With a multi-class source model, (a) copies normalize, lstm_1 and lstm_2 and leaves the one-unit
output fresh (the source's K-unit output has no unit for the target class); (b) and (c) copy
exactly what they copy from a one-class source.
"""
from __future__ import annotations

from typing import Dict, List, Optional, Tuple

import keras
import numpy as np

METHODS = ("scratch", "pretrain_all", "pretrain_fix_low", "parallel_low")
UNITS = 100
INPUT_DROPOUT = 0.1
N_MFCC = 20

# For each method: target layer name -> source layer name copied into it, and frozen layers.
COPIED_LAYERS: Dict[str, Dict[str, str]] = {
    "scratch": {},
    "pretrain_all": {"normalize": "normalize", "lstm_1": "lstm_1", "lstm_2": "lstm_2",
                     "output": "output"},
    "pretrain_fix_low": {"normalize": "normalize", "lstm_1": "lstm_1"},
    "parallel_low": {"normalize": "normalize", "lstm_1_source": "lstm_1"},
}
# Copied only when the source layer has the target layer's shapes (a one-class source).
COPIED_IF_SAME_SHAPE = ("output",)
FROZEN_LAYERS: Dict[str, Tuple[str, ...]] = {
    "scratch": (), "pretrain_all": (), "pretrain_fix_low": ("lstm_1",),
    "parallel_low": ("lstm_1_source",),
}


class TransferError(ValueError):
    """A transfer method cannot be set up (missing base model, missing or mismatched layer)."""


def lstm_layer(name: str, return_sequences: bool, seed: int) -> keras.layers.LSTM:
    """One LSTM(100) of the paper, in the cuDNN-eligible configuration."""
    return keras.layers.LSTM(
        UNITS, activation="tanh", recurrent_activation="sigmoid", dropout=INPUT_DROPOUT,
        recurrent_dropout=0.0, unroll=False, use_bias=True, return_sequences=return_sequences,
        kernel_initializer=keras.initializers.GlorotNormal(seed=seed),
        recurrent_initializer=keras.initializers.GlorotNormal(seed=seed + 1),
        name=name)


@keras.saving.register_keras_serializable(package="fewshot")
class ClipMeanSubtraction(keras.layers.Layer):
    """Subtract each clip's mean over time from every MFCC coefficient (cepstral mean
    normalisation): a steady background colour or recording channel becomes zero."""

    def call(self, inputs):
        return inputs - keras.ops.mean(inputs, axis=1, keepdims=True)


def build_tagger(method: str = "scratch", seed: int = 0, frames: Optional[int] = None,
                 n_classes: int = 1, clip_mean: bool = False) -> keras.Model:
    """The network for ``method`` with fresh (Glorot-normal, seeded) weights, uncompiled.

    ``frames`` fixes the sequence length of the input; ``None`` accepts any length.
    ``n_classes`` sigmoid outputs (more than one: a multi-class source model). ``clip_mean``
    puts :class:`ClipMeanSubtraction` (layer ``clip_mean``) before the standardisation (not in
    the paper; an option measured against real recordings).
    """
    if n_classes < 1:
        raise ValueError(f"n_classes must be at least 1, got {n_classes}")
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; expected one of {METHODS}")
    inputs = keras.Input(shape=(frames, N_MFCC), name="mfcc")
    features = ClipMeanSubtraction(name="clip_mean")(inputs) if clip_mean else inputs
    normalized = keras.layers.Normalization(axis=-1, name="normalize")(features)
    if method == "parallel_low":
        fixed = lstm_layer("lstm_1_source", True, seed + 10)(normalized)
        fresh = lstm_layer("lstm_1", True, seed + 20)(normalized)
        low = keras.layers.Concatenate(name="concat")([fixed, fresh])
    else:
        low = lstm_layer("lstm_1", True, seed + 20)(normalized)
    high = lstm_layer("lstm_2", False, seed + 30)(low)
    outputs = keras.layers.Dense(n_classes, activation="sigmoid", name="output",
                                 kernel_initializer=keras.initializers.GlorotNormal(seed=seed + 40)
                                 )(high)
    return keras.Model(inputs, outputs, name=f"tagger_{method}")


def adapt_normalization(model: keras.Model, mfcc: np.ndarray) -> None:
    """Set the standardisation statistics from training MFCCs ``[N, frames, 20]``."""
    model.get_layer("normalize").adapt(np.asarray(mfcc, dtype=np.float32))


def transfer_weights(target: keras.Model, source: Optional[keras.Model], method: str
                     ) -> Tuple[str, ...]:
    """Copy the method's layers from ``source`` into ``target`` and freeze the method's layers;
    returns the names of the target layers copied.

    Raises TransferError naming the method and the layer when the source model is missing or a
    layer is absent or has other shapes (except ``output``, which stays fresh when the source
    has another number of classes).
    """
    copies = COPIED_LAYERS[method]
    copied: List[str] = []
    if copies and source is None:
        raise TransferError(f"method {method!r} needs a base (source) model, but none was given; "
                            f"it copies layers {sorted(set(copies.values()))}")
    if copies and has_clip_mean(source) != has_clip_mean(target):
        raise TransferError(f"method {method!r}: the base model was trained with clip_mean="
                            f"{int(has_clip_mean(source))}, this stage has clip_mean="
                            f"{int(has_clip_mean(target))}; both stages need the same setting")
    for target_name, source_name in copies.items():
        try:
            source_layer = source.get_layer(source_name)
        except ValueError as err:
            raise TransferError(f"method {method!r}: the base model has no layer "
                                f"{source_name!r} (it has {[l.name for l in source.layers]})"
                                ) from err
        target_layer = target.get_layer(target_name)
        source_weights = source_layer.get_weights()
        target_shapes = [w.shape for w in target_layer.get_weights()]
        if ([w.shape for w in source_weights] != target_shapes
                and target_name in COPIED_IF_SAME_SHAPE):
            continue
        if [w.shape for w in source_weights] != target_shapes:
            raise TransferError(f"method {method!r}: layer {source_name!r} of the base model has "
                                f"weight shapes {[w.shape for w in source_weights]}; "
                                f"layer {target_name!r} needs {target_shapes}")
        set_layer_weights(target_layer, source_weights)
        copied.append(target_name)
    for name in FROZEN_LAYERS[method]:
        target.get_layer(name).trainable = False
    if copies:
        # The standardisation statistics travel with the copied layers.
        target.get_layer("normalize").trainable = False
    return tuple(copied)


def set_layer_weights(layer: keras.layers.Layer, weights: List[np.ndarray]) -> None:
    """``layer.set_weights`` that also takes effect for a Normalization layer.

    Keras 3's Normalization computes with mean and variance tensors derived from its variables
    by ``finalize_state`` (which ``adapt`` and loading call, but ``set_weights`` does not): without
    it the copied statistics would be stored, saved and reloaded, yet never used in training.
    """
    layer.set_weights(weights)
    if isinstance(layer, keras.layers.Normalization):
        layer.finalize_state()


def has_clip_mean(model: keras.Model) -> bool:
    """True when the tagger subtracts each clip's mean before standardising."""
    return any(layer.name == "clip_mean" for layer in model.layers)


def n_outputs(model: keras.Model) -> int:
    """Number of classes a tagger outputs."""
    return int(model.get_layer("output").units)


def compile_tagger(model: keras.Model, learning_rate: float = 0.001) -> None:
    """Binary cross-entropy and RMSprop, as in the paper."""
    model.compile(optimizer=keras.optimizers.RMSprop(learning_rate=learning_rate),
                  loss="binary_crossentropy",
                  metrics=[keras.metrics.BinaryAccuracy(name="accuracy"),
                           keras.metrics.AUC(name="auc")])
