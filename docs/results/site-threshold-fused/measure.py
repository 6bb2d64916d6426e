"""A site threshold (``calibrate-site``) for the models the pipeline pushes, with the onset
fusion: every scratch and (c) model of a fused Table 1 study, on both real sets.

The protocol is ``docs/results/site-threshold/measure.py``'s (functions reused from it): each
real background recording is cut in halves of its original length; ``calibrate-site``'s rule
(target 1 % false alarms; with fewer than 100 windows, just above the highest score) sets the
threshold on one half's event-free windows, and the other half is scored: all its event-free
windows, and 8 excerpts of 3 s each mixed with each real glass break at -6 / 0 / +6 dB; then
the halves swap and the folds are pooled. Everything goes through the exported
``predict_waveform`` signature (the fusion computed in the served graph), as ``tag`` does.

Reported per set, row and rule (the model's own threshold, the site threshold), as the mean
over the study's seeds: false alarms and breaks found per background, and the balanced
accuracy (mean over backgrounds of (found + quiet) / 2). Results to ``measure.json`` beside
this script (or ``--out FILE``), a table to standard output.

Usage (repository root):
  .venv/bin/python docs/results/site-threshold-fused/measure.py [--out FILE] STUDY REAL_SET [REAL_SET ...]
"""
import json
import os
import runpy
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
SITE = runpy.run_path(os.path.join(HERE, "..", "site-threshold", "measure.py"))
ROWS = (("scratch_limited", "scratch"), ("parallel_low", "(c)"))
RULES = (("model threshold", lambda cal_p: 0.5), ("site threshold", SITE["site_rule"]))


def study_models(study_dir):
    """(row label, seed, SavedModel folder) of every scratch and (c) run of a Table 1 study."""
    result = json.load(open(os.path.join(study_dir, "table1.json")))
    models = []
    for row, label in ROWS:
        for run in next(r for r in result["rows"] if r["row"] == row)["runs"]:
            path = run["run"] if os.path.isabs(run["run"]) else os.path.join(study_dir, run["run"])
            models.append((label, run["seed"], path))
    return models


def main(study_dir, real_dirs, out_path=os.path.join(HERE, "measure.json")):
    models = study_models(study_dir)
    report = {"study": study_dir, "sets": {}}
    for real_dir in real_dirs:
        folds = SITE["site_folds"](real_dir)
        per_model = {}
        for label, seed, path in models:
            scorer = SITE["Scorer"](path)
            per_fold = [(scorer(cal), scorer(clips)) for _, cal, clips, _, _ in folds]
            per_model[f"{label} seed {seed + 1}"] = {
                rule: SITE["background_rows"](folds, per_fold, threshold_of)
                for rule, threshold_of in RULES}
            print(f"scored {label} seed {seed + 1} on {real_dir}", file=sys.stderr, flush=True)
        summary = {}
        for _, label in ROWS:
            names = [n for n in per_model if n.startswith(label + " seed")]
            for rule, _ in RULES:
                rows = [per_model[n][rule] for n in names]
                backgrounds = sorted(rows[0])
                mean = {bg: {key: float(np.mean([r[bg][key] for r in rows]))
                             for key in ("false_alarms", "found")} for bg in backgrounds}
                balanced = [SITE["balanced_accuracy"](r) for r in rows]
                summary[f"{label}, {rule}"] = {
                    "balanced_accuracy": float(np.mean(balanced)),
                    "balanced_accuracy_per_seed": balanced, "per_background": mean,
                    "calibration_windows": {bg: rows[0][bg]["calibration_windows"]
                                            for bg in backgrounds},
                    "worst_false_alarms": max(m["false_alarms"] for m in mean.values())}
                print(f"{real_dir:28s} {label:8s} {rule:16s} balanced "
                      f"{100 * np.mean(balanced):5.1f} % | " + ", ".join(
                          f"{bg} FA {100 * m['false_alarms']:.0f} found {100 * m['found']:.0f}"
                          for bg, m in mean.items()), flush=True)
        report["sets"][real_dir] = {"summary": summary, "per_model": per_model}
    with open(out_path, "w") as handle:
        json.dump(report, handle, indent=1)


if __name__ == "__main__":
    if sys.argv[1] == "--out":
        main(sys.argv[3], sys.argv[4:], sys.argv[2])
    else:
        main(sys.argv[1], sys.argv[2:])
