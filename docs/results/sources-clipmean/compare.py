"""Per-clip mean normalisation (clip_mean=1) with one- and five-class source pre-training, against
the same study without it (clip_mean=0), paired per seed (same data and model seeds).

Usage (from the repository root):
  .venv/bin/python docs/results/sources-clipmean/compare.py \
      docs/results/sources-fixed/sources.json build/exp-sources-clipmean/sources.json \
      [build/exp-sources-clipmean]
The optional study folder adds the ROC AUC within each real background of every clip_mean=1 model
(scored again from its exported model on the study's real test set).
"""
import json
import os
import sys

import numpy as np
from scipy import stats


def paired(off, on):
    """Mean of the per-seed differences (on - off) and its 95 % t half-width."""
    diff = np.asarray(on) - np.asarray(off)
    return diff.mean(), stats.t.ppf(0.975, len(diff) - 1) * diff.std(ddof=1) / np.sqrt(len(diff))


FIGURES = (("synthetic %", lambda r: 100 * r["accuracy"], "{:.1f}"),
           ("real %", lambda r: 100 * r["real"]["accuracy"], "{:.1f}"),
           ("real AUC", lambda r: r["real"]["auc"], "{:.3f}"),
           ("real false alarms %", lambda r: 100 * r["real"]["false_alarms"], "{:.1f}"))


def rows_of(result):
    return {(r["source_classes"], r["row"]): r for r in result["rows"]}


def label(key, result):
    classes, row = key
    return row if not classes else f"{row} [{len(classes.split(','))}-class source]"


def compare(off, on):
    a, b = rows_of(off), rows_of(on)
    print("| row | figure | clip_mean=0 (per seed) | clip_mean=1 (per seed) | paired difference (1 - 0), 95 % CI |")
    print("| --- | --- | --- | --- | --- |")
    for key in a:
        if key not in b:
            continue
        ra, rb = a[key]["runs"], b[key]["runs"]
        assert [r["seed"] for r in ra] == [r["seed"] for r in rb], key
        for name, get, fmt in FIGURES:
            va, vb = [get(r) for r in ra], [get(r) for r in rb]
            mean, half = paired(va, vb)
            print(f"| {label(key, off)} | {name} | {fmt.format(np.mean(va))} "
                  f"({' / '.join(fmt.format(v) for v in va)}) | {fmt.format(np.mean(vb))} "
                  f"({' / '.join(fmt.format(v) for v in vb)}) | "
                  + (f"{mean:+.3f} ± {half:.3f} |" if "AUC" in name else f"{mean:+.1f} ± {half:.1f} |"))


def per_background(on, study_dir):
    from components.audio import examples
    from components.model.training import roc_auc
    from pipeline import configs, experiments
    frames = configs.get_config(on["profile"]).frames
    x, y, meta = examples.load_split(os.path.join(study_dir, "data", "real-test"), "eval", frames)
    scenes = sorted({m["scene"] for m in meta})
    print("\nROC AUC within each real background, clip_mean=1 (mean over seeds; per seed):\n")
    print("| row | " + " | ".join(scenes) + " | false alarms % " + " / ".join(scenes) + " |")
    print("| --- |" + " --- |" * (len(scenes) + 1))
    for key, row in rows_of(on).items():
        aucs = {s: [] for s in scenes}
        for run in row["runs"]:
            scores = experiments.predict(run["run"], x)["probability"]
            for s in scenes:
                idx = np.asarray([m["scene"] == s for m in meta])
                aucs[s].append(roc_auc(y[idx], scores[idx]))
        fa = [100 * row["real"][f"false_alarms:{s}"] for s in scenes]
        print(f"| {label(key, on)} | " + " | ".join(
            f"{np.mean(v):.3f} ({' / '.join(f'{a:.2f}' for a in v)})" for v in aucs.values())
            + " | " + " / ".join(f"{v:.0f}" for v in fa) + " |")


if __name__ == "__main__":
    off_result, on_result = (json.load(open(p)) for p in sys.argv[1:3])
    compare(off_result, on_result)
    if len(sys.argv) > 3:
        per_background(on_result, sys.argv[3])
