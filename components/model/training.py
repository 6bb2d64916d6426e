"""Training one stage of the tagger on arrays (pure Keras; the Trainer modules wrap it)."""
from __future__ import annotations

import dataclasses
import json
import time
from typing import Dict, Optional, Tuple

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
    seed: int = 0
    decision_threshold: float = 0.5
    validation_freq: int = 1     # evaluate the eval split every N epochs for the curves; 0: never
    classes: Tuple[str, ...] = ("event",)   # one output each (several: multi-class source)
    clip_mean: bool = False      # subtract each clip's mean MFCC first (not in the paper)
    standardize: bool = False    # scratch: per-coefficient mean/variance of x_train in the
                                 # ``normalize`` layer (not in the paper); off: identity

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


def train_stage(x_train: np.ndarray, y_train: np.ndarray, x_eval: Optional[np.ndarray],
                y_eval: Optional[np.ndarray], config: StageConfig,
                base_model: Optional[keras.Model] = None, log_dir: Optional[str] = None,
                label: str = "train") -> Dict:
    """Build the method's network, transfer from ``base_model``, train; return model and results.

    ``y_train``/``y_eval`` are [N] (one class) or [N, K] (``config.classes`` has K names).
    Returns ``{"model", "history", "metrics", "seconds_per_epoch", "copied_layers"}``;
    ``metrics`` holds the final
    loss/accuracy/AUC on the train and eval arrays.
    """
    keras.utils.set_random_seed(config.seed)
    network = tagger.build_tagger(config.method, seed=config.seed,
                                  n_classes=len(config.classes), clip_mean=config.clip_mean)
    if config.method == "scratch" and config.standardize:
        tagger.adapt_normalization(network, x_train)
    copied = tagger.transfer_weights(network, base_model, config.method)
    tagger.compile_tagger(network, config.learning_rate)
    callbacks = [EpochProgress(label, config.epochs, every=max(1, config.epochs // 10))]
    if log_dir:
        callbacks.append(keras.callbacks.TensorBoard(log_dir=log_dir))
    validation = None
    if x_eval is not None and config.validation_freq > 0:
        validation = (x_eval, y_eval.astype(np.float32))
    start = time.time()
    history = network.fit(x_train, y_train.astype(np.float32), epochs=config.epochs,
                          batch_size=config.batch_size, shuffle=True, verbose=0,
                          validation_data=validation,
                          validation_freq=max(1, config.validation_freq), callbacks=callbacks)
    seconds_per_epoch = (time.time() - start) / max(1, config.epochs)
    metrics = {"train": _evaluate(network, x_train, y_train, config.batch_size)}
    if x_eval is not None:
        metrics["eval"] = _evaluate(network, x_eval, y_eval, config.batch_size)
    return {"model": network, "history": {k: [float(v) for v in vs]
                                          for k, vs in history.history.items()},
            "metrics": metrics, "seconds_per_epoch": seconds_per_epoch,
            "copied_layers": list(copied)}


def _evaluate(network: keras.Model, x: np.ndarray, y: np.ndarray, batch_size: int) -> Dict:
    values = network.evaluate(x, y.astype(np.float32), batch_size=batch_size, verbose=0,
                              return_dict=True)
    return {k: float(v) for k, v in values.items()} | {"examples": int(len(y))}


def write_json(path: str, payload: Dict) -> None:
    """Write ``payload`` as indented JSON (through tf.io.gfile, so gs:// works too)."""
    import tensorflow as tf
    with tf.io.gfile.GFile(path, "w") as handle:
        handle.write(json.dumps(payload, indent=2, sort_keys=True))
