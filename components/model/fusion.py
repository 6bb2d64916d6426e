"""The onset fusion: the tagger's probability joined with two numbers about the clip's sharpest
onset (``components.audio.onset``) by a logistic regression.

    fused = sigmoid(w_logit * logit(p) + w_peak * log(1 + peak) + w_centroid * centroid_khz + b)

``p`` is the network's probability (clipped to [1e-6, 1 - 1e-6]). The four numbers are fitted by
:func:`fit_fusion` on a calibration split (clips the network did not train on; the target
ExampleGen's ``calibration`` split, drawn from the training recordings only, never from the test
recordings), with the classes weighted to balance (so 0.5 is the balanced threshold) and
scikit-learn's default L2 penalty (C = 1): what docs/results.md measured. A served model applies
them in its graph (``components.model.serving``).
"""
from __future__ import annotations

import dataclasses
from typing import Dict

import numpy as np

PROBABILITY_CLIP = 1e-6


@dataclasses.dataclass(frozen=True)
class OnsetFusion:
    """The fitted weights (see the module docstring)."""
    w_logit: float
    w_peak: float
    w_centroid: float
    bias: float

    def as_dict(self) -> Dict[str, float]:
        return dataclasses.asdict(self)


def fusion_inputs(probability: np.ndarray, peak: np.ndarray, centroid_khz: np.ndarray
                  ) -> np.ndarray:
    """[N, 3]: logit of the clipped probability, log(1 + peak), centroid in kHz."""
    p = np.clip(np.asarray(probability, np.float64), PROBABILITY_CLIP, 1 - PROBABILITY_CLIP)
    return np.c_[np.log(p / (1 - p)), np.log1p(np.asarray(peak, np.float64)),
                 np.asarray(centroid_khz, np.float64)]


def fit_fusion(probability: np.ndarray, peak: np.ndarray, centroid_khz: np.ndarray,
               labels: np.ndarray) -> OnsetFusion:
    """Fit the fusion on clips with labels 0/1 (both classes needed; ValueError otherwise)."""
    from sklearn.linear_model import LogisticRegression
    labels = np.asarray(labels).astype(int).reshape(-1)
    if set(np.unique(labels)) != {0, 1}:
        raise ValueError(f"the onset fusion needs calibration clips with and without the event; "
                         f"got labels {sorted(set(labels.tolist()))}")
    model = LogisticRegression(class_weight="balanced").fit(
        fusion_inputs(probability, peak, centroid_khz), labels)
    w = model.coef_[0]
    return OnsetFusion(float(w[0]), float(w[1]), float(w[2]), float(model.intercept_[0]))


def fused_probability(fusion: OnsetFusion, probability: np.ndarray, peak: np.ndarray,
                      centroid_khz: np.ndarray) -> np.ndarray:
    """The fused probability per clip (float64)."""
    z = fusion_inputs(probability, peak, centroid_khz) @ np.array(
        [fusion.w_logit, fusion.w_peak, fusion.w_centroid]) + fusion.bias
    return 1.0 / (1.0 + np.exp(-z))


def measure(fusion: OnsetFusion, probability: np.ndarray, peak: np.ndarray,
            centroid_khz: np.ndarray, labels: np.ndarray, threshold: float = 0.5
            ) -> Dict[str, float]:
    """Clips, and accuracy (at ``threshold``) and ROC AUC of the network alone and fused."""
    from components.model.training import roc_auc
    labels = np.asarray(labels).reshape(-1)
    fused = fused_probability(fusion, probability, peak, centroid_khz)
    return {"clips": int(len(labels)),
            "network_accuracy": float(np.mean((probability >= threshold) == labels)),
            "network_auc": roc_auc(labels, probability),
            "fused_accuracy": float(np.mean((fused >= threshold) == labels)),
            "fused_auc": roc_auc(labels, fused)}


def fused_probability_tf(weights, probability, peak, centroid_khz):
    """TensorFlow twin of :func:`fused_probability`; ``weights`` a float32 [4] tensor
    (w_logit, w_peak, w_centroid, bias)."""
    import tensorflow as tf
    p = tf.clip_by_value(probability, PROBABILITY_CLIP, 1 - PROBABILITY_CLIP)
    z = (weights[0] * tf.math.log(p / (1 - p)) + weights[1] * tf.math.log1p(peak)
         + weights[2] * centroid_khz + weights[3])
    return tf.math.sigmoid(z)
