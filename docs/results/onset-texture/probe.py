"""Before building anything: does a third number about the clip's onsets, how much the sharpest
one stands out from the clip's other onsets, help the onset fusion tell glass from bird song?

For each seed's (c) model of a study, the fusion is refitted on that seed's calibration split
(the target's training recordings only, as the Trainer does) with each candidate added to its
three inputs, and the fused model is scored on the study's real test sets and synthetic test set.
Candidates, from the onset strength (``features.onset_strength``, the frames the fusion's peak
is taken over):
  - ``second``: log(1 + peak) - log(1 + the strongest onset farther than GAP frames from it)
  - ``median``: log(1 + peak) - log(1 + the median onset strength)
  - ``busy``: the share of frames whose onset strength is above half the peak
  - ``breadth``: how evenly the sharpest onset's rise spreads over the mel bands (entropy of
    the rise per band, over log of the bands: 1 all bands alike, 0 one band)
  - ``wide``: the share of mel bands rising by more than 3 dB at the sharpest onset
Nothing is tuned on a test set: the fusion is fitted on the calibration split alone, the
threshold is the balanced 0.5 as in the product.

Usage (repository root):
  .venv/bin/python docs/results/onset-texture/probe.py STUDY HOLDOUT_STUDY
  e.g. build/exp-bird build/exp-bird-holdout      (output: probe.txt, about 1.5 min)
       build/exp-hp build/exp-hp-holdout          (output: probe_hp150.txt)
"""
import json
import os
import sys

import numpy as np

from components.audio import examples, features, onset
from components.model import fusion, serving
from components.model.training import roc_auc

FRAMES = features.n_frames(features.clip_samples(3.0))
GAP = onset.WINDOW_FRAMES


def texture(mfcc):
    """[N, 3]: second, median, busy (see the module docstring)."""
    strength = features.onset_strength(np.asarray(mfcc)[..., :onset.ONSET_MFCC])
    strength = strength[..., onset.PADDED_FRAMES:]
    frame = np.argmax(strength, axis=-1)
    peak = strength[np.arange(len(strength)), frame]
    index = np.arange(strength.shape[-1])[None, :]
    far = np.abs(index - frame[:, None]) > GAP
    second = np.where(far, strength, 0).max(axis=-1)
    median = np.median(strength, axis=-1)
    busy = (strength > 0.5 * peak[:, None]).mean(axis=-1)
    coefficients = np.asarray(mfcc, np.float64)[..., :onset.ONSET_MFCC]
    log_mel = coefficients @ features.log_mel_basis(coefficients.shape[-1])
    at = frame + onset.PADDED_FRAMES
    rows = np.arange(len(at))
    rise = np.maximum(log_mel[rows, at] - log_mel[rows, at - 1], 0.0)
    share = rise / (rise.sum(axis=-1, keepdims=True) + 1e-12)
    breadth = -(share * np.log(share + 1e-12)).sum(axis=-1) / np.log(rise.shape[-1])
    wide = (rise > 3.0).mean(axis=-1)
    return np.c_[np.log1p(peak) - np.log1p(second), np.log1p(peak) - np.log1p(median), busy,
                 breadth, wide]


def inputs(network, files):
    p, peak, centroid, extra, labels, meta = [], [], [], [], [], []
    for mfcc, label, m in examples.iter_batches(files, FRAMES, 0, 256):
        p.append(np.asarray(network(mfcc, training=False)).reshape(-1))
        peak.append(onset.onset_frame_and_peak(mfcc)[1])
        centroid.append([x[examples.ONSET_CENTROID_KEY] for x in m])
        extra.append(texture(mfcc))
        labels.append(label)
        meta += m
    base = fusion.fusion_inputs(np.concatenate(p), np.concatenate(peak),
                                np.concatenate(centroid))
    return base, np.concatenate(extra), np.concatenate(labels), meta


def files(study, name, split):
    return examples.split_files(os.path.join(study, "data", name), split)


def figures(score, labels, meta):
    decision = score >= 0.5
    scenes = sorted({m["scene"] for m in meta})
    fa = {s: float(np.mean([d for d, l, m in zip(decision, labels, meta)
                            if l == 0 and m["scene"] == s] or [np.nan])) for s in scenes}
    return {"accuracy": float(np.mean(decision == labels)), "auc": roc_auc(labels, score),
            "found": float(np.mean(decision[labels == 1])), "fa": fa}


def main(study, holdout):
    from sklearn.linear_model import LogisticRegression
    runs = next(r for r in json.load(open(os.path.join(study, "table1.json")))["rows"]
                if r["row"] == "parallel_low")["runs"]
    variants = {"product (3 inputs)": [], "+ second": [0], "+ median": [1], "+ busy": [2],
                "+ breadth": [3], "+ wide": [4], "+ median + breadth": [1, 3],
                "+ all five": [0, 1, 2, 3, 4]}
    rows = {v: [] for v in variants}
    for seed, run in enumerate(runs):
        model_dir = run["run"] if os.path.isabs(run["run"]) else os.path.join(study, run["run"])
        network = serving.load_keras_tagger(model_dir)
        calibration = inputs(network, files(study, f"target-limited-s{seed}", "calibration"))
        sets = {"default": inputs(network, files(study, "real-test", "eval")),
                "impacts": inputs(network, files(study, "real-impacts", "impacts")),
                "held out": inputs(network, files(holdout, "real-test", "eval")),
                "synthetic": inputs(network, files(study, "target-test", "eval"))}
        for name, columns in variants.items():
            x = np.c_[calibration[0], calibration[1][:, columns]]
            model = LogisticRegression(class_weight="balanced").fit(x, calibration[2])
            out = {"weights": model.coef_[0].round(2).tolist()}
            for set_name, (base, extra, labels, meta) in sets.items():
                score = model.predict_proba(np.c_[base, extra[:, columns]])[:, 1]
                out[set_name] = figures(score, labels, meta)
            rows[name].append(out)
            print_seed(seed, name, out, 20)
    summary(rows)

def print_seed(seed, name, out, width):
    """One seed's line: the variant (``name`` padded to ``width``), its weights, and its
    default-set accuracy, AUC, birdsong false alarms and breaks found."""
    print(f"seed {seed} {name:{width}s} weights {out['weights']}  default "
          f"{100 * out['default']['accuracy']:.1f} % AUC {out['default']['auc']:.3f} "
          f"birdsong {100 * out['default']['fa']['birdsong']:.0f} % found "
          f"{100 * out['default']['found']:.0f} %", flush=True)


def summary(rows):
    """Print the mean of seeds of each variant (``rows``: name -> one dict per seed)."""
    print("\nmean of seeds (fusion refitted on each seed's calibration split)")
    for name, outs in rows.items():
        d = [o["default"] for o in outs]
        h = [o["held out"] for o in outs]
        meets = sum(o["default"]["accuracy"] >= 0.9 and o["default"]["auc"] >= 0.95
                    and max(o["default"]["fa"].values()) <= 0.1
                    and o["synthetic"]["accuracy"] >= 0.9 for o in outs)
        print(f"{name:28s} default {100 * np.mean([x['accuracy'] for x in d]):5.1f} % "
              f"(per seed {[round(100 * x['accuracy'], 1) for x in d]}) AUC "
              f"{np.mean([x['auc'] for x in d]):.3f} birdsong "
              f"{100 * np.mean([x['fa']['birdsong'] for x in d]):4.1f} % "
              f"(per seed {[round(100 * x['fa']['birdsong']) for x in d]}) worst FA "
              f"{100 * np.mean([max(x['fa'].values()) for x in d]):4.1f} % found "
              f"{100 * np.mean([x['found'] for x in d]):4.1f} % | impacts tagged "
              f"{100 * np.mean([1 - o['impacts']['accuracy'] for o in outs]):4.1f} % | "
              f"held out {100 * np.mean([x['accuracy'] for x in h]):5.1f} % AUC "
              f"{np.mean([x['auc'] for x in h]):.3f} found "
              f"{100 * np.mean([x['found'] for x in h]):4.1f} %"
              + (f" impacts tagged {100 * np.mean([1 - o['held-out impacts']['accuracy'] for o in outs]):4.1f} %"
                 if "held-out impacts" in outs[0] else "")
              + f" | synthetic "
              f"{100 * np.mean([o['synthetic']['accuracy'] for o in outs]):5.1f} % | "
              f"seeds meeting issue 9: {meets} of {len(outs)}")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
