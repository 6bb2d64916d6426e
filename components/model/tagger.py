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

Front ends (``front_end``, the network's "low level" in brackets):
  lstm   the paper's network, unchanged: the MFCC frames go straight into lstm_1 [lstm_1]
  conv   the paper's proposal for future work (section 4): conv_k -> bn_k -> relu_k -> pool_k
         for k = 1, 2 (Conv1D(64, 5, 'same', no bias), BatchNormalization, ReLU,
         MaxPooling1D(4, 'same'): 16x fewer time steps) before the same lstm_1 -> lstm_2 ->
         output [conv_1, bn_1, conv_2, bn_2, lstm_1]. Training at the paper's 2584 frames is
         about 8x faster on two CPU cores (docs/results.md). The batch normalisation is what
         makes it train on the MFCCs as they are (c0 around -400): without it the ReLU outputs
         reached the hundreds, the LSTM gates saturated, training sat at chance for many epochs
         and the frozen copied layers of (b)/(c) passed on an almost constant lstm_1 state
         (docs/results.md, "Batch normalisation in the conv front end"). A frozen bn_k runs in
         inference mode (the source's statistics); momentum 0.9 so that a target stage's few
         steps (36 clips: 2-3 batches an epoch) forget the initial statistics.
  conv_nobn  the same convolutions without the normalisation: conv_k (with bias, ReLU) ->
         pool_k [conv_1, conv_2, lstm_1]. At 3 s it trains worse than ``conv`` (above); at 30 s
         (36 clips) it is the one that generalises: ``conv`` memorises there, from scratch and in
         every transfer method (validation sets; docs/results.md, "Batch normalisation in the
         conv front end"). It starts on a plateau at chance, and whether a 36-clip stage leaves
         it within 300 epochs depends on the order of the batches (docs/results.md,
         "paper_cpu with conv_nobn").

Methods (layer names in brackets; LOW is the front end's low level above):
  scratch           fresh network [normalize, LOW, lstm_2, output]
  pretrain_all      (a) every layer initialised from the source model, all trained
  pretrain_fix_low  (b) LOW copied from the source and frozen; lstm_2 and output fresh
  parallel_low      (c) LOW_source (each low layer under the name <layer>_source) copied and
                    frozen beside a fresh trainable LOW, concatenated before lstm_2; lstm_2 and
                    output fresh
With a multi-class source model, (a) copies normalize, LOW and lstm_2 and leaves the one-unit
output fresh (the source's K-unit output has no unit for the target class); (b) and (c) copy
exactly what they copy from a one-class source. Source and target stages need the same front end.
"""
from __future__ import annotations

from typing import Dict, List, Optional, Sequence, Tuple

import keras
import numpy as np

from components.audio import onset

METHODS = ("scratch", "pretrain_all", "pretrain_fix_low", "parallel_low")
FRONT_ENDS = ("lstm", "conv", "conv_nobn")
UNITS = 100
INPUT_DROPOUT = 0.1
N_MFCC = 20
CONV_FILTERS = 64
CONV_KERNEL = 5
CONV_POOLS = (4, 4)            # pool size after conv_1 and after conv_2
# The low level of each front end: what (b) freezes and (c) runs twice (copied + fresh).
LOW_LAYERS: Dict[str, Tuple[str, ...]] = {"lstm": ("lstm_1",),
                                          "conv": ("conv_1", "bn_1", "conv_2", "bn_2", "lstm_1"),
                                          "conv_nobn": ("conv_1", "conv_2", "lstm_1")}
# A 36-clip target stage takes 2-3 batches an epoch: 0.9 forgets the initial statistics (mean 0,
# variance 1) within about 40 steps; Keras' 0.99 would keep 16 % of them after 180.
BN_MOMENTUM = 0.9
SOURCE_SUFFIX = "_source"
# Copied only when the source layer has the target layer's shapes (a one-class source).
COPIED_IF_SAME_SHAPE = ("output",)


def copied_layers(method: str, front_end: str = "lstm") -> Dict[str, str]:
    """Target layer name -> the source layer copied into it, for ``method``."""
    low = LOW_LAYERS[front_end]
    if method == "pretrain_all":
        names = ("normalize",) + low + ("lstm_2", "output")
        return {name: name for name in names}
    if method == "pretrain_fix_low":
        return {name: name for name in ("normalize",) + low}
    if method == "parallel_low":
        return {"normalize": "normalize", **{name + SOURCE_SUFFIX: name for name in low}}
    return {}


def frozen_layers(method: str, front_end: str = "lstm") -> Tuple[str, ...]:
    """The copied layers that stay fixed while the target stage trains (besides normalize)."""
    low = LOW_LAYERS[front_end]
    if method == "pretrain_fix_low":
        return low
    if method == "parallel_low":
        return tuple(name + SOURCE_SUFFIX for name in low)
    return ()


def needs_base_model(method: str) -> bool:
    """True for the transfer methods (they copy layers from a source model)."""
    return bool(copied_layers(method))


def time_reduction(front_end: str) -> int:
    """How many MFCC frames one step of lstm_1 and lstm_2 stands for."""
    return int(np.prod(CONV_POOLS)) if is_convolutional(front_end) else 1


def is_convolutional(front_end: str) -> bool:
    """True for the front ends that pool in time before the LSTMs (their low level has
    convolutions)."""
    return "conv_1" in LOW_LAYERS[front_end]


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


def conv_layer(name: str, seed: int, normalized: bool = True) -> keras.layers.Conv1D:
    """One convolution of a convolutional front end (time-preserving: 'same' padding).
    ``normalized`` (``conv``): linear and without bias, the batch normalisation after it has
    the offset; else (``conv_nobn``) with bias and ReLU."""
    return keras.layers.Conv1D(CONV_FILTERS, CONV_KERNEL, padding="same",
                               use_bias=not normalized,
                               activation=None if normalized else "relu",
                               kernel_initializer=keras.initializers.GlorotNormal(seed=seed),
                               name=name)


def low_level(inputs, front_end: str, seed: int, suffix: str = ""):
    """The front end's low level (``LOW_LAYERS``) on ``inputs``; layer names get ``suffix``.

    Seeds: the convolutions take ``seed + 100 + k``, apart from the LSTM's ``seed`` and
    ``seed + 1``."""
    steps = inputs
    if is_convolutional(front_end):
        normalized = front_end == "conv"
        for index, pool in enumerate(CONV_POOLS, start=1):
            steps = conv_layer(f"conv_{index}{suffix}", seed + 100 + index, normalized)(steps)
            if normalized:
                steps = keras.layers.BatchNormalization(momentum=BN_MOMENTUM,
                                                        name=f"bn_{index}{suffix}")(steps)
                steps = keras.layers.Activation("relu", name=f"relu_{index}{suffix}")(steps)
            steps = keras.layers.MaxPooling1D(pool, padding="same",
                                              name=f"pool_{index}{suffix}")(steps)
    return lstm_layer(f"lstm_1{suffix}", True, seed)(steps)


@keras.saving.register_keras_serializable(package="fewshot")
class ClipMeanSubtraction(keras.layers.Layer):
    """Subtract each clip's mean over time from every MFCC coefficient (cepstral mean
    normalisation): a steady background colour or recording channel becomes zero."""

    def call(self, inputs):
        return inputs - keras.ops.mean(inputs, axis=1, keepdims=True)


@keras.saving.register_keras_serializable(package="fewshot")
class RunningMeanSubtraction(keras.layers.Layer):
    """Subtract from each frame the mean of the frames up to and including it (a causal
    cepstral mean normalisation): a steady background colour or channel becomes zero, and no
    frame depends on later ones, so the running probability of every frame stays causal (the
    whole-clip mean carries an event into the frames before it)."""

    def call(self, inputs):
        count = keras.ops.cumsum(keras.ops.ones_like(inputs[:, :, :1]), axis=1)
        return inputs - keras.ops.cumsum(inputs, axis=1) / count


# clip_mean setting -> (layer class, layer name); 0: no mean subtraction (the paper)
CLIP_MEAN_LAYERS = {1: (ClipMeanSubtraction, "clip_mean"),
                    2: (RunningMeanSubtraction, "clip_mean_running")}


@keras.saving.register_keras_serializable(package="fewshot")
class OnsetStrengthChannel(keras.layers.Layer):
    """The frames with one more value each: ``log(1 + onset strength)``, the spectral flux
    ``features.onset_strength`` computes in NumPy (how sharply the sound gets louder at the
    frame; 0 at the first frame). Read from the MFCCs as they come in (a clip's mean does not
    change it)."""

    def call(self, inputs):
        return keras.ops.log1p(onset.onset_strength_tf(inputs))[..., None]


@keras.saving.register_keras_serializable(package="fewshot")
class LastStep(keras.layers.Layer):
    """The last step of a sequence, [batch, steps, units] -> [batch, units]: what an LSTM
    without ``return_sequences`` gives, for an upper LSTM that also returns every step."""

    def call(self, steps):
        return steps[:, -1]


def build_tagger(method: str = "scratch", seed: int = 0, frames: Optional[int] = None,
                 n_classes: int = 1, clip_mean: int = 0, front_end: str = "lstm",
                 n_features: int = N_MFCC, every_step: bool = False,
                 onset_channel: bool = False) -> keras.Model:
    """The network for ``method`` with fresh (Glorot-normal, seeded) weights, uncompiled.

    ``frames`` fixes the sequence length of the input; ``None`` accepts any length.
    ``n_classes`` sigmoid outputs (more than one: a multi-class source model). ``clip_mean``
    1 puts :class:`ClipMeanSubtraction` (layer ``clip_mean``), 2 :class:`RunningMeanSubtraction`
    (layer ``clip_mean_running``) before the standardisation (not in the paper; options
    measured against real recordings). ``front_end``: see the module docstring.
    ``n_features``: values per frame (the paper's 20 MFCCs). ``every_step``: ``lstm_2`` returns
    every step and layer ``last_step`` takes the last one for ``output`` (the same function and
    weights; lets a training loss reach the running probability:
    :func:`negative_frames_trainer`). ``onset_channel``: after the standardisation every frame
    gets one more value, its onset strength (:class:`OnsetStrengthChannel`, layer
    ``onset_strength``; not in the paper), so the low level reads ``n_features + 1`` values.
    """
    if n_classes < 1:
        raise ValueError(f"n_classes must be at least 1, got {n_classes}")
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; expected one of {METHODS}")
    if front_end not in FRONT_ENDS:
        raise ValueError(f"unknown front_end {front_end!r}; expected one of {FRONT_ENDS}")
    inputs = keras.Input(shape=(frames, n_features), name="mfcc")
    if int(clip_mean) not in (0, *CLIP_MEAN_LAYERS):
        raise ValueError(f"clip_mean must be one of {(0, *CLIP_MEAN_LAYERS)}, got {clip_mean!r}")
    if int(clip_mean):
        layer_class, layer_name = CLIP_MEAN_LAYERS[int(clip_mean)]
        features = layer_class(name=layer_name)(inputs)
    else:
        features = inputs
    normalized = keras.layers.Normalization(axis=-1, name="normalize")(features)
    if onset_channel:
        normalized = keras.layers.Concatenate(name="with_onset_strength")(
            [normalized, OnsetStrengthChannel(name="onset_strength")(inputs)])
    if method == "parallel_low":
        fixed = low_level(normalized, front_end, seed + 10, SOURCE_SUFFIX)
        fresh = low_level(normalized, front_end, seed + 20)
        low = keras.layers.Concatenate(name="concat")([fixed, fresh])
    else:
        low = low_level(normalized, front_end, seed + 20)
    high = lstm_layer("lstm_2", every_step, seed + 30)(low)
    if every_step:
        high = LastStep(name="last_step")(high)
    outputs = keras.layers.Dense(n_classes, activation="sigmoid", name="output",
                                 kernel_initializer=keras.initializers.GlorotNormal(seed=seed + 40)
                                 )(high)
    return keras.Model(inputs, outputs, name=f"tagger_{method}_{front_end}")


@keras.saving.register_keras_serializable(package="fewshot")
class NegativeFramesPenalty(keras.layers.Layer):
    """Passes the clip probability through and adds ``weight`` x the mean binary cross-entropy
    of every step's probability against 0, over the outputs whose clip label is 0.

    A clip without an event has none in any prefix, so its running probability (the answer had
    the clip ended at that step) should be 0 at every step: a weak label says that much about
    every frame of a negative clip. The paper's loss reaches only the last step."""

    def __init__(self, weight: float, **kwargs):
        super().__init__(**kwargs)
        self.weight = float(weight)

    def call(self, inputs):
        clip, steps, labels = inputs
        quiet = 1.0 - keras.ops.expand_dims(keras.ops.cast(labels, steps.dtype), axis=1)
        log_quiet = keras.ops.log(keras.ops.clip(1.0 - steps, 1e-7, 1.0))
        self.add_loss(-self.weight * keras.ops.mean(quiet * log_quiet))
        return clip

    def get_config(self):
        return super().get_config() | {"weight": self.weight}


def negative_frames_trainer(network: keras.Model, weight: float) -> keras.Model:
    """A model for training ``network`` (built with ``every_step``) with its clip loss plus
    :class:`NegativeFramesPenalty`: inputs ``[mfcc, labels [batch, classes]]``, output the clip
    probability; it shares every layer with ``network``, which is what gets saved."""
    if "last_step" not in {layer.name for layer in network.layers}:
        raise ValueError("negative_frames_trainer needs a tagger built with every_step=True")
    labels = keras.Input(shape=(n_outputs(network),), name="labels")
    steps = network.get_layer("output")(network.get_layer("lstm_2").output)
    clip = NegativeFramesPenalty(weight, name="negative_frames")([network.output, steps, labels])
    return keras.Model([network.input, labels], clip, name=f"{network.name}_negative_frames")


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
    target_front_end = front_end_of(target)
    copies = copied_layers(method, target_front_end)
    copied: List[str] = []
    if copies and source is None:
        raise TransferError(f"method {method!r} needs a base (source) model, but none was given; "
                            f"it copies layers {sorted(set(copies.values()))}")
    if copies and front_end_of(source) != target_front_end:
        raise TransferError(f"method {method!r}: the base model has front_end="
                            f"{front_end_of(source)!r}, this stage has front_end="
                            f"{target_front_end!r}; both stages need the same front end")
    if copies and clip_mean_of(source) != clip_mean_of(target):
        raise TransferError(f"method {method!r}: the base model was trained with clip_mean="
                            f"{clip_mean_of(source)}, this stage has clip_mean="
                            f"{clip_mean_of(target)}; both stages need the same setting")
    if copies and onset_channel_of(source) != onset_channel_of(target):
        raise TransferError(f"method {method!r}: the base model was trained with "
                            f"onset_channel={int(onset_channel_of(source))}, this stage has "
                            f"onset_channel={int(onset_channel_of(target))}; both stages need "
                            "the same setting")
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
    for name in frozen_layers(method, target_front_end):
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


def average_taggers(members: Sequence[keras.Model]) -> keras.Model:
    """One tagger whose output is the mean of the ``members``' outputs (several trainings of the
    same network on the same data: layer ``member_mean`` over nested models ``member_<i>``).
    A real recording's score depends on a 36-clip training's luck (docs/results.md, "The same
    data, five trainings"); the mean of several is steadier."""
    if len(members) < 2:
        raise ValueError(f"an average needs at least two taggers, got {len(members)}")
    wrapped = [keras.Model(m.input, m.output, name=f"member_{i}") for i, m in enumerate(members)]
    inputs = keras.Input(shape=members[0].input_shape[1:], name="mfcc")
    outputs = keras.layers.Average(name="member_mean")([m(inputs) for m in wrapped])
    return keras.Model(inputs, outputs, name=f"{members[0].name}_x{len(members)}")


def members_of(model: keras.Model) -> List[keras.Model]:
    """The taggers a :func:`average_taggers` model averages; ``[model]`` for a single one."""
    members = [layer for layer in model.layers if layer.name.startswith("member_")
               and isinstance(layer, keras.Model)]
    return members or [model]


def clip_mean_of(model: keras.Model) -> int:
    """The tagger's ``clip_mean`` setting, read from its layers (0: none, 1: whole-clip mean,
    2: running mean)."""
    names = {layer.name for layer in members_of(model)[0].layers}
    return next((setting for setting, (_, name) in CLIP_MEAN_LAYERS.items() if name in names), 0)


def onset_channel_of(model: keras.Model) -> bool:
    """Whether the tagger reads the onset strength channel (``build_tagger(onset_channel)``)."""
    return "onset_strength" in {layer.name for layer in members_of(model)[0].layers}


def front_end_of(model: keras.Model) -> str:
    """The tagger's front end: 'conv' (convolutions with batch normalisation), 'conv_nobn'
    (convolutions without) or 'lstm'."""
    names = {layer.name for layer in members_of(model)[0].layers}
    if "conv_1" not in names:
        return "lstm"
    return "conv" if "bn_1" in names else "conv_nobn"


def n_outputs(model: keras.Model) -> int:
    """Number of classes a tagger outputs."""
    return int(members_of(model)[0].get_layer("output").units)


@keras.saving.register_keras_serializable(package="fewshot")
class LinearWarmup(keras.optimizers.schedules.LearningRateSchedule):
    """``learning_rate * min(1, (step + 1) / warmup_steps)``: a linear rise to the paper's rate.

    RMSprop's first steps move every weight by about ``3 * learning_rate`` whatever its gradient
    (its running mean square starts at zero); on inputs as large as raw MFCCs (c0 near -400) that
    is a large change of the first layers' outputs, which a warm-up makes gradual. Measured
    (docs/results.md, "Where conv_nobn gets stuck"): it freed one stuck source model, no stuck
    target model."""

    def __init__(self, learning_rate: float, warmup_steps: int):
        self.learning_rate = float(learning_rate)
        self.warmup_steps = int(warmup_steps)

    def __call__(self, step):
        import tensorflow as tf
        ramp = tf.cast(step + 1, "float32") / float(self.warmup_steps)
        return self.learning_rate * tf.minimum(1.0, ramp)

    def get_config(self):
        return {"learning_rate": self.learning_rate, "warmup_steps": self.warmup_steps}


def compile_tagger(model: keras.Model, learning_rate: float = 0.001,
                   warmup_steps: int = 0, weight_decay: float = 0.0) -> None:
    """Binary cross-entropy and RMSprop, as in the paper; ``warmup_steps`` > 0: the rate rises
    linearly over that many steps first (:class:`LinearWarmup`); ``weight_decay`` > 0: Keras'
    decoupled weight decay on every weight (neither is in the paper)."""
    rate = LinearWarmup(learning_rate, warmup_steps) if warmup_steps > 0 else learning_rate
    model.compile(optimizer=keras.optimizers.RMSprop(learning_rate=rate,
                                                     weight_decay=weight_decay or None),
                  loss="binary_crossentropy",
                  metrics=[keras.metrics.BinaryAccuracy(name="accuracy"),
                           keras.metrics.AUC(name="auc")])
