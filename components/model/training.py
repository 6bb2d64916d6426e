"""Training one stage of the tagger (pure Keras and tf.data; the Trainer modules wrap it).

:func:`train_on_batches` trains from ``tf.data`` datasets of ``(mfcc, labels)`` batches, so a
Trainer streams its TFRecords and never holds a split in memory; :func:`train_stage` is the same
on in-memory arrays (tests, benchmarks)."""
from __future__ import annotations

import dataclasses
import json
import time
from typing import Callable, Dict, List, Optional, Tuple

import keras
import numpy as np

from components.model import tagger


@dataclasses.dataclass(frozen=True)
class StageConfig:
    """Hyperparameters of one training stage (the paper: 300 epochs, RMSprop 0.001)."""
    method: str = "scratch"
    epochs: int = 300
    batch_size: int = 32
    learning_rate: float = 0.001
    warmup_epochs: int = 0       # > 0: linear learning-rate warm-up over these first epochs
    weight_decay: float = 0.0    # > 0: RMSprop's decoupled weight decay
    seed: int = 0
    decision_threshold: float = 0.5
    validation_freq: int = 1     # evaluate the eval split every N epochs for the curves; 0: never
    classes: Tuple[str, ...] = ("event",)   # one output each (several: multi-class source)
    clip_mean: int = 0           # 1: subtract each clip's mean MFCC first, 2: the mean of the
                                 # frames so far (causal); not in the paper (tagger.build_tagger)
    n_mfcc: int = 20             # values per frame in the examples (the paper's 20 MFCCs)
    highpass_hz: int = 0         # the examples' MFCCs ignore the spectrum below this (the
                                 # served model's waveform signatures do the same); 0: paper
    standardize: bool = False    # scratch: per-coefficient mean/variance of x_train in the
                                 # ``normalize`` layer (not in the paper); off: identity
    front_end: str = "lstm"      # 'lstm' (the paper's network), 'conv' or 'conv_nobn' (tagger)
    shuffle_buffer: int = 256    # clips held for shuffling a streamed training set
    min_source_auc: float = 0.0  # target stage: refuse a base model whose ROC AUC on its own
                                 # eval split (its metrics.json) is below this; 0: no check
    ensemble: int = 1            # > 1: train this many networks (seeds seed + 1000 i) on the
                                 # same data and keep the mean of their outputs (not in the paper)
    negative_frames: float = 0.0  # > 0: add this weight x the loss of every step's running
                                  # probability against 0 in clips without an event
                                  # (tagger.NegativeFramesPenalty; not in the paper); the
                                  # fit's loss curves include it, ``metrics`` do not
    locator: bool = False        # also train a network of the paper's kind (no clip_mean, no
                                 # negative_frames) on the same data to locate the events: the
                                 # tags come from the first (not in the paper; trainer_stage)
    onset_channel: bool = False  # the network also reads each frame's onset strength
                                 # (tagger.OnsetStrengthChannel; not in the paper)
    event_onsets: str = "strength"  # how the target stage's eval events are placed:
                                    # localize.EventRule.onsets ('strength' or 'running')
    onset_fusion: bool = False   # target stage: fuse the network's probability with the
                                 # sharpest onset's two numbers, fitted on the ``calibration``
                                 # split (components.model.fusion; not in the paper)
    fusion_centroid_cap_khz: float = 0.0  # > 0: the fusion reads the onset centroid capped at
                                          # this many kHz (fusion.OnsetFusion; 0: as it is)

    @classmethod
    def from_dict(cls, values: Dict) -> "StageConfig":
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(values) - names)
        if unknown:
            raise ValueError(f"unknown training setting(s) {unknown}; expected {sorted(names)}")
        values = dict(values)
        if "classes" in values:
            values["classes"] = tuple(values["classes"])
        return cls(**values)


class EpochProgress(keras.callbacks.Callback):
    """One readable line per epoch (Keras' own bar is off), with elapsed time."""

    def __init__(self, label: str, epochs: int, every: int):
        super().__init__()
        self._label, self._epochs, self._every = label, epochs, max(1, every)
        self._start = time.time()

    def on_epoch_end(self, epoch, logs=None):
        if (epoch + 1) % self._every and epoch + 1 != self._epochs:
            return
        shown = " ".join(f"{k}={v:.4f}" for k, v in sorted((logs or {}).items())
                         if isinstance(v, (int, float)))
        print(f"[{self._label}] epoch {epoch + 1}/{self._epochs} {shown} "
              f"({time.time() - self._start:.0f} s)", flush=True)


def array_batches(x: np.ndarray, y: np.ndarray, batch_size: int, shuffle: bool = False,
                  seed: int = 0):
    """In-memory arrays as a ``tf.data`` dataset of ``(mfcc, labels)`` batches (float32
    labels), reshuffled every epoch when ``shuffle``."""
    import tensorflow as tf
    dataset = tf.data.Dataset.from_tensor_slices((np.asarray(x, np.float32),
                                                  np.asarray(y, np.float32)))
    if shuffle:
        dataset = dataset.shuffle(len(y), seed=seed, reshuffle_each_iteration=True)
    return dataset.batch(batch_size)


def seed_stage(seed: int) -> None:
    """Seed Python, NumPy, TensorFlow and Keras for one training stage, before its datasets
    are made: the stage's shuffling, initial weights and dropout then depend on ``seed`` alone,
    not on what trained earlier in the same process (the local TFX runner and the experiments
    train many stages in one process; a dataset's shuffle seed pairs its own seed with the
    global one in force when it is made)."""
    keras.utils.set_random_seed(seed)


def train_stage(x_train: np.ndarray, y_train: np.ndarray, x_eval: Optional[np.ndarray],
                y_eval: Optional[np.ndarray], config: StageConfig,
                base_model: Optional[keras.Model] = None, log_dir: Optional[str] = None,
                label: str = "train") -> Dict:
    """:func:`train_on_batches` on arrays: ``y_train``/``y_eval`` are [N] (one class) or
    [N, K] (``config.classes`` has K names)."""
    def make_train(seed):
        seed_stage(seed)
        return array_batches(x_train, y_train, config.batch_size, True, seed)

    evaluation = (array_batches(x_eval, y_eval, config.batch_size)
                  if x_eval is not None else None)
    return train_ensemble(make_train, evaluation, config, base_model, log_dir, label)


ENSEMBLE_SEED_STEP = 1000


def member_seeds(config: StageConfig) -> List[int]:
    """The seed of each network of a stage: ``seed``, ``seed + 1000``, ... (``ensemble`` of
    them)."""
    return [config.seed + ENSEMBLE_SEED_STEP * i for i in range(config.ensemble)]


def train_ensemble(make_train: Callable[[int], object], evaluation, config: StageConfig,
                   base_model: Optional[keras.Model] = None, log_dir: Optional[str] = None,
                   label: str = "train") -> Dict:
    """:func:`train_on_batches` once per seed of :func:`member_seeds`, each on
    ``make_train(seed)`` (the training batches, shuffled with that seed); with more than one
    network the result's ``model`` is their average (``tagger.average_taggers``), its
    ``metrics`` the average's, ``history`` the first network's, and ``members`` holds each
    network's seed, metrics and seconds per epoch."""
    if config.ensemble < 1:
        raise ValueError(f"ensemble {config.ensemble}: expected at least 1 network")
    if config.ensemble == 1:
        return train_on_batches(make_train(config.seed), evaluation, config, base_model,
                                log_dir, label)
    results = []
    for index, seed in enumerate(member_seeds(config)):
        member = dataclasses.replace(config, seed=seed, ensemble=1)
        results.append(train_on_batches(
            make_train(seed), evaluation, member, base_model,
            log_dir and f"{log_dir.rstrip('/')}/member_{index}",
            f"{label} {index + 1}/{config.ensemble}"))
    network = tagger.average_taggers([r["model"] for r in results])
    tagger.compile_tagger(network, config.learning_rate)   # for evaluate(); never trained
    metrics = {"train": _evaluate(network, with_cardinality(make_train(config.seed)),
                                  config.classes)}
    if evaluation is not None:
        metrics["eval"] = _evaluate(network, with_cardinality(evaluation), config.classes)
    return {"model": network, "history": results[0]["history"], "metrics": metrics,
            "seconds_per_epoch": float(sum(r["seconds_per_epoch"] for r in results)),
            "copied_layers": results[0]["copied_layers"],
            "members": [{"seed": seed, "metrics": r["metrics"],
                         "seconds_per_epoch": r["seconds_per_epoch"]}
                        for seed, r in zip(member_seeds(config), results)]}


def train_on_batches(train, evaluation, config: StageConfig,
                     base_model: Optional[keras.Model] = None, log_dir: Optional[str] = None,
                     label: str = "train") -> Dict:
    """Build the method's network, transfer from ``base_model``, train; return model and results.

    ``train`` and ``evaluation`` (or None) are ``tf.data`` datasets of ``(mfcc [B, frames, n],
    labels [B] or [B, K])`` batches; one pass over ``train`` (finite, shuffled by its maker) is
    one epoch. The network reads as many values per frame as ``train``'s batches hold.
    Returns ``{"model", "history", "metrics", "seconds_per_epoch", "copied_layers"}``;
    ``metrics`` holds the final loss/accuracy/AUC on the train and eval sets.
    """
    seed_stage(config.seed)
    network = tagger.build_tagger(config.method, seed=config.seed,
                                  n_classes=len(config.classes), clip_mean=config.clip_mean,
                                  front_end=config.front_end,
                                  n_features=int(train.element_spec[0].shape[-1]),
                                  every_step=config.negative_frames > 0,
                                  onset_channel=bool(config.onset_channel))
    if config.method == "scratch" and config.standardize:
        # streamed: Normalization.adapt accumulates mean and variance batch by batch
        network.get_layer("normalize").adapt(train.map(lambda x, y: x))
    copied = tagger.transfer_weights(network, base_model, config.method)
    if evaluation is not None:
        evaluation = with_cardinality(evaluation)   # else Keras warns it "ran out of data"
    trained, fit_train, fit_evaluation = network, train, evaluation
    if config.negative_frames > 0:
        # trains the same layers with the penalty on every step; ``network`` is what is kept
        trained = tagger.negative_frames_trainer(network, config.negative_frames)
        fit_train = train.map(_labels_as_input)
        fit_evaluation = evaluation.map(_labels_as_input) if evaluation is not None else None
        tagger.compile_tagger(network, config.learning_rate)   # for evaluate(); never fitted
    tagger.compile_tagger(trained, config.learning_rate,
                          warmup_steps=config.warmup_epochs * batches_per_pass(train),
                          weight_decay=config.weight_decay)
    callbacks = [EpochProgress(label, config.epochs, every=max(1, config.epochs // 10))]
    if log_dir:
        callbacks.append(keras.callbacks.TensorBoard(log_dir=log_dir))
    # One iterator for the whole fit: each pass over ``train`` is one epoch of an endless stream
    # (reshuffled per pass by its maker). Re-creating a streamed iterator every epoch stalled
    # training on tf.data's iterator teardown (measured: epochs of 8 s took up to 14 s).
    fit_args = {"steps_per_epoch": batches_per_pass(train)}
    if evaluation is not None and config.validation_freq > 0:
        fit_args.update(validation_data=fit_evaluation.repeat(),
                        validation_steps=batches_per_pass(evaluation),
                        validation_freq=config.validation_freq)
    start = time.time()
    history = trained.fit(fit_train.repeat(), epochs=config.epochs, verbose=0,
                          callbacks=callbacks, **fit_args)
    seconds_per_epoch = (time.time() - start) / max(1, config.epochs)
    metrics = {"train": _evaluate(network, with_cardinality(train), config.classes)}
    if evaluation is not None:
        metrics["eval"] = _evaluate(network, evaluation, config.classes)
    return {"model": network, "history": {k: [float(v) for v in vs]
                                          for k, vs in history.history.items()},
            "metrics": metrics, "seconds_per_epoch": seconds_per_epoch,
            "copied_layers": list(copied)}


def _labels_as_input(mfcc, labels):
    """``(mfcc, labels)`` -> ``((mfcc, labels [batch, classes]), labels)`` for
    :func:`tagger.negative_frames_trainer`."""
    import tensorflow as tf
    columns = tf.reshape(tf.cast(labels, tf.float32), [tf.shape(labels)[0], -1])
    return (mfcc, columns), labels


def batches_per_pass(batches) -> int:
    """How many batches one pass over a finite dataset gives (counted when tf.data does not
    know)."""
    known = int(batches.cardinality())
    if known >= 0:
        return known
    return int(batches.reduce(0, lambda n, _: n + 1))


def with_cardinality(batches):
    """``batches`` with its number of batches known to tf.data (and so to Keras)."""
    import tensorflow as tf
    return batches.apply(tf.data.experimental.assert_cardinality(batches_per_pass(batches)))


def _evaluate(network: keras.Model, batches, classes: Tuple[str, ...] = ("event",)) -> Dict:
    """Loss, accuracy and AUC of ``network`` on ``batches`` (Keras's AUC pools every output);
    with several classes also ``class_auc``, the ROC AUC of each output on its own."""
    import tensorflow as tf
    values = network.evaluate(batches, verbose=0, return_dict=True)
    examples = int(batches.reduce(0, lambda n, batch: n + tf.shape(batch[1])[0]))
    result = {k: float(v) for k, v in values.items()} | {"examples": examples}
    if len(classes) > 1:
        scores, labels = [], []
        for x, y in batches:
            scores.append(network(x, training=False).numpy())
            labels.append(y.numpy())
        scores, labels = np.concatenate(scores), np.concatenate(labels)
        aucs = {name: roc_auc(labels[:, k], scores[:, k]) for k, name in enumerate(classes)}
        # None, not NaN, for a class without positives or negatives here: strict JSON
        result["class_auc"] = {name: (None if auc != auc else auc) for name, auc in aucs.items()}
    return result


def gate_auc(evaluation: Dict) -> Optional[float]:
    """The ROC AUC by which a source model is judged to have learned its task, from its eval
    metrics: its best class's (``class_auc``) when it has several, since a model stuck at chance
    is at chance on every class while Keras's pooled ``auc`` also drags down a source that
    learned some classes well and ambiguous ones less; else ``auc``; None when neither."""
    per_class = [float(v) for v in (evaluation.get("class_auc") or {}).values()
                 if v is not None and v == v]
    if per_class:
        return max(per_class)
    return None if evaluation.get("auc") is None else float(evaluation["auc"])


def roc_auc(labels: np.ndarray, scores: np.ndarray) -> float:
    """Area under the ROC curve (rank statistic; ties count one half)."""
    from scipy.stats import rankdata
    labels = np.asarray(labels)
    positives, negatives = int(np.sum(labels == 1)), int(np.sum(labels == 0))
    if not positives or not negatives:
        return float("nan")
    ranks = rankdata(scores)
    return float((ranks[labels == 1].sum() - positives * (positives + 1) / 2)
                 / (positives * negatives))


def write_json(path: str, payload: Dict) -> None:
    """Write ``payload`` as indented JSON (through tf.io.gfile, so gs:// works too)."""
    import tensorflow as tf
    with tf.io.gfile.GFile(path, "w") as handle:
        handle.write(json.dumps(payload, indent=2, sort_keys=True))
