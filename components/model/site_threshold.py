"""A decision threshold set where the tagger is deployed, from that site's own event-free audio.

On real recordings a tagger's probabilities carry an offset that depends on the background:
the same model ranks breaks above event-free excerpts well *within* a background (AUC 0.8-1.0 on
crowd, street, wind) yet fires on much of the birdsong and stays quiet on street noise, so one
threshold for every site gives many false alarms at some and misses at others (docs/results.md,
"Real recordings, 2026-12-05 (afternoon)"). A device usually has plenty of event-free audio of its
own site; the threshold is set just above the scores of that audio, for a chosen false-alarm rate.

The record (``site.json``) holds the threshold and what it was made from, and a fingerprint of the
model (its probabilities on a fixed, seeded probe) so that a threshold is never applied to
another model. Pure numpy: the callers (``pipeline.site``, ``pipeline.tag``) score the audio.
"""
from __future__ import annotations

from typing import Dict, List, Sequence

import numpy as np

FORMAT = "fewshot-site-threshold/1"
PROBE_SEED = 20171
PROBE_WINDOWS = 3
PROBE_TOLERANCE = 1e-4   # CPU builds and TF Serving agree to ~1e-6; another model differs far more


def threshold_for_rate(scores: Sequence[float], rate: float) -> float:
    """The lowest threshold at which at most ``rate`` of ``scores`` (event-free
    windows) reach it (``decision = probability >= threshold``): just above the
    ``floor(rate * n) + 1``-th highest score. Raises ValueError when no threshold in (0, 1]
    can keep to the rate (event-free windows scored 1.0)."""
    values = np.sort(np.asarray(scores, np.float32))[::-1]
    if values.size == 0:
        raise ValueError("no event-free windows to calibrate on")
    if not np.isfinite(values).all():
        raise ValueError("event-free windows scored NaN or infinity")
    if not 0.0 <= rate < 1.0:
        raise ValueError(f"false-alarm rate {rate}: expected 0 <= rate < 1")
    allowed = int(np.floor(rate * values.size))
    threshold = float(np.nextafter(values[allowed], np.float32(2.0)))
    if threshold > 1.0:
        raise ValueError(f"{allowed + 1} of {values.size} event-free windows scored 1.0; no "
                         f"threshold keeps false alarms to {rate:g} here")
    return threshold


def false_alarm_rate(scores: Sequence[float], threshold: float) -> float:
    """Fraction of event-free ``scores`` that reach ``threshold``."""
    return float(np.mean(np.asarray(scores, np.float32) >= np.float32(threshold)))


def probe_waveforms(clip_samples: int, seed: int = PROBE_SEED,
                    n_windows: int = PROBE_WINDOWS) -> np.ndarray:
    """A fixed batch [n_windows, clip_samples] of seeded noise at three levels, with a decaying
    burst in the last window: the model's probabilities on it fingerprint the model."""
    rng = np.random.RandomState(seed)
    batch = rng.standard_normal((n_windows, clip_samples)).astype(np.float32)
    batch *= np.float32(0.02) * (np.arange(1, n_windows + 1, dtype=np.float32) ** 2)[:, None]
    onset = clip_samples // 3
    decay = np.exp(-np.arange(clip_samples - onset, dtype=np.float32) / (0.05 * 44100))
    batch[-1, onset:] += 0.5 * rng.standard_normal(clip_samples - onset).astype(np.float32) * decay
    return batch


def site_record(threshold: float, false_alarm_rate_target: float, scores: Sequence[float],
                files: List[Dict], model: Dict) -> Dict:
    """The JSON record of one site's threshold: the threshold, the target rate and the rate
    measured on the calibration windows, score quantiles, the files (path, sha256, windows) and
    the model it belongs to (class, clip samples, its own threshold, probe probabilities)."""
    values = np.asarray(scores, np.float32)
    return {"format": FORMAT, "threshold": float(threshold),
            "false_alarm_rate_target": float(false_alarm_rate_target),
            "false_alarm_rate_calibration": false_alarm_rate(values, threshold),
            "windows": int(values.size),
            "score_quantiles": {q: float(np.quantile(values, float(q)))
                                for q in ("0.5", "0.9", "0.99", "1.0")},
            "files": files, "model": model}


def check_record(record, model: Dict, source: str) -> float:
    """The record's threshold after checking that it is a site record made for ``model``
    (class, clip samples, probe probabilities within PROBE_TOLERANCE); ValueError naming
    ``source`` and the field otherwise."""
    if not isinstance(record, dict) or record.get("format") != FORMAT:
        raise ValueError(f"{source}: not a site-threshold record (format {FORMAT!r} expected); "
                         "make one with 'python -m pipeline calibrate-site'")
    threshold = record.get("threshold")
    if not isinstance(threshold, (int, float)) or not 0.0 < threshold <= 1.0:
        raise ValueError(f"{source}: field threshold {threshold!r}; expected a number in (0, 1]")
    made_for = record.get("model")
    if not isinstance(made_for, dict):
        raise ValueError(f"{source}: field model missing; expected the model it was made for")
    for field in ("event_class", "clip_samples"):
        if made_for.get(field) != model[field]:
            raise ValueError(f"{source}: made for a model with {field} {made_for.get(field)!r};"
                             f" this model has {model[field]!r}")
    probe = made_for.get("probe_probabilities")
    if (not isinstance(probe, list) or len(probe) != len(model["probe_probabilities"])
            or not all(isinstance(p, (int, float)) for p in probe)):
        raise ValueError(f"{source}: field model.probe_probabilities missing or malformed; "
                         "re-calibrate with 'python -m pipeline calibrate-site'")
    gap = float(np.max(np.abs(np.asarray(probe) - np.asarray(model["probe_probabilities"]))))
    if gap > PROBE_TOLERANCE:
        raise ValueError(f"{source}: made for another model (its probe probabilities differ by "
                         f"{gap:.2g}); re-calibrate this model on the site's event-free audio")
    return float(threshold)
