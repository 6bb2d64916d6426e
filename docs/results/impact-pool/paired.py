"""Paired differences, over the data/model seeds, between a study and the same settings without
its change (same seeds, same embedded source models, same real test clips).

Reads the studies' ``table1.json`` (synthetic test accuracy) and real-impacts/measure.py's
``measure-<set>.json`` for both real sets, copied beside this script (the runs here:
measure-real_audio{,_holdout}.{json,txt}); prints mean difference and 95 % t-interval per row.

Usage (repository root, after real-impacts/measure.py on both sets with both studies):
  .venv/bin/python docs/results/impact-pool/paired.py build/exp-clipmean-nf build/exp-impactpool
"""
import json
import os
import sys

import numpy as np
from scipy import stats

HERE = os.path.dirname(os.path.abspath(__file__))
MEASURES = HERE
ROWS = (("scratch_limited", "scratch"), ("parallel_low", "(c)"))
METRICS = (("accuracy", "accuracy pp", 100), ("auc", "AUC", 1),
           ("false_alarms", "false alarms pp", 100),
           ("impact_false_alarms", "impacts: false alarms pp", 100),
           ("auc_breaks_vs_impacts", "AUC breaks vs impacts", 1))


def interval(differences):
    d = np.asarray(differences, dtype=float)
    half = stats.t.ppf(0.975, len(d) - 1) * d.std(ddof=1) / np.sqrt(len(d))
    return float(d.mean()), float(half)


def synthetic(study, row):
    rows = json.load(open(os.path.join(study, "table1.json")))["rows"]
    return {r["seed"]: r["accuracy"] for r in next(x for x in rows if x["row"] == row)["runs"]}


def main(base, changed):
    a, b = (os.path.basename(os.path.normpath(s)) for s in (base, changed))
    out = {}
    print(f"{b} minus {a}: mean difference ± 95 % t-interval over the seeds")
    print("| model | set | " + " | ".join(m[1] for m in METRICS) + " |")
    print("|" + " --- |" * (len(METRICS) + 2))
    for row, short in ROWS:
        base_syn, new_syn = synthetic(base, row), synthetic(changed, row)
        mean, half = interval([new_syn[s] - base_syn[s] for s in base_syn])
        out[f"{short} synthetic accuracy pp"] = (100 * mean, 100 * half)
        for set_name, label in (("real_audio", "default"), ("real_audio_holdout", "held out")):
            measured = json.load(open(os.path.join(MEASURES, f"measure-{set_name}.json")))
            x, y = measured[f"{a} {short}"], measured[f"{b} {short}"]
            cells = []
            for key, _, scale in METRICS:
                mean, half = interval([y[s][key] - x[s][key] for s in x])
                out[f"{short} {label} {key}"] = (scale * mean, scale * half)
                digits = 1 if scale == 100 else 3
                cells.append(f"{scale * mean:+.{digits}f} ± {scale * half:.{digits}f}")
            print(f"| {short} | {label} | " + " | ".join(cells) + " |")
    for row, short in ROWS:
        mean, half = out[f"{short} synthetic accuracy pp"]
        print(f"{short}: synthetic accuracy {mean:+.1f} ± {half:.1f} pp")
    with open(os.path.join(HERE, f"paired-{b}-vs-{a}.json"), "w") as handle:
        json.dump({k: {"mean": v[0], "ci95": v[1]} for k, v in out.items()}, handle, indent=1)


if __name__ == "__main__":
    main(*sys.argv[1:])
