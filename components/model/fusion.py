"""The onset fusion: the tagger's probability joined with two numbers about the clip's sharpest
onset (``components.audio.onset``) by a logistic regression.

    fused = sigmoid(w_logit * logit(p) + w_peak * log(1 + peak) + w_centroid * c + b)

``p`` is the network's probability (clipped to [1e-6, 1 - 1e-6]); ``c`` is the centroid in kHz,
capped at ``centroid_cap_khz`` when that is > 0 (0: as it is). The cap says "bright enough":
above it a brighter onset is no more glass-like, so bright ambience (bird song, rain: 4.7-5.8
kHz) is not pushed up past real breaks, many of which are darker (docs/results.md, "The onset
centroid capped"); it is a setting, not fitted. The four numbers are fitted by
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
    centroid_cap_khz: float = 0.0   # > 0: the centroid is read capped at this (not fitted)

    def as_dict(self) -> Dict[str, float]:
        return dataclasses.asdict(self)


def fusion_inputs(probability: np.ndarray, peak: np.ndarray, centroid_khz: np.ndarray,
                  centroid_cap_khz: float = 0.0) -> np.ndarray:
    """[N, 3]: logit of the clipped probability, log(1 + peak), centroid in kHz (capped at
    ``centroid_cap_khz`` when > 0)."""
    p = np.clip(np.asarray(probability, np.float64), PROBABILITY_CLIP, 1 - PROBABILITY_CLIP)
    centroid = np.asarray(centroid_khz, np.float64)
    if centroid_cap_khz:
        centroid = np.minimum(centroid, float(centroid_cap_khz))
    return np.c_[np.log(p / (1 - p)), np.log1p(np.asarray(peak, np.float64)), centroid]


def fit_fusion(probability: np.ndarray, peak: np.ndarray, centroid_khz: np.ndarray,
               labels: np.ndarray, centroid_cap_khz: float = 0.0) -> OnsetFusion:
    """Fit the fusion on clips with labels 0/1 (both classes needed; ValueError otherwise),
    the centroid read capped at ``centroid_cap_khz`` when > 0."""
    from sklearn.linear_model import LogisticRegression
    labels = np.asarray(labels).astype(int).reshape(-1)
    if set(np.unique(labels)) != {0, 1}:
        raise ValueError(f"the onset fusion needs calibration clips with and without the event; "
                         f"got labels {sorted(set(labels.tolist()))}")
    model = LogisticRegression(class_weight="balanced").fit(
        fusion_inputs(probability, peak, centroid_khz, centroid_cap_khz), labels)
    w = model.coef_[0]
    return OnsetFusion(float(w[0]), float(w[1]), float(w[2]), float(model.intercept_[0]),
                       float(centroid_cap_khz))


def fused_probability(fusion: OnsetFusion, probability: np.ndarray, peak: np.ndarray,
                      centroid_khz: np.ndarray) -> np.ndarray:
    """The fused probability per clip (float64)."""
    z = fusion_inputs(probability, peak, centroid_khz, fusion.centroid_cap_khz) @ np.array(
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


def fused_probability_tf(weights, probability, peak, centroid_khz, centroid_cap_khz: float = 0.0):
    """TensorFlow twin of :func:`fused_probability`; ``weights`` a float32 [4] tensor
    (w_logit, w_peak, w_centroid, bias), ``centroid_cap_khz`` the fusion's."""
    import tensorflow as tf
    p = tf.clip_by_value(probability, PROBABILITY_CLIP, 1 - PROBABILITY_CLIP)
    if centroid_cap_khz:
        centroid_khz = tf.minimum(centroid_khz, float(centroid_cap_khz))
    z = (weights[0] * tf.math.log(p / (1 - p)) + weights[1] * tf.math.log1p(peak)
         + weights[2] * centroid_khz + weights[3])
    return tf.math.sigmoid(z)
