"""Paired comparison of two Table 1 studies with the same data seeds (per seed: study B - study A)
for the synthetic accuracy and the real-set accuracy, AUC and false alarms, and the false alarms
per real background.

    .venv/bin/python docs/results/onset-channel/compare.py STUDY_A STUDY_B
"""
import json
import os
import sys

import numpy as np
from scipy import stats


def runs(study):
    with open(os.path.join(study, "table1.json")) as handle:
        rows = json.load(handle)["rows"]
    return {row["row"]: {run["seed"]: run for run in row["runs"]} for row in rows}


def figure(run, key):
    if key == "synthetic":
        return run["accuracy"]
    return run["real"][key]


def main(a, b):
    first, second = runs(a), runs(b)
    keys = ("synthetic", "accuracy", "auc", "false_alarms", "false_alarms:birdsong",
            "false_alarms:crowd", "false_alarms:rain", "false_alarms:street", "false_alarms:wind")
    print(f"A = {a}\nB = {b}\n")
    print("| row | figure | A | B | B - A (95 % CI) | per seed B - A |\n| --- | --- | --- | --- | --- | --- |")
    for row in first:
        seeds = sorted(set(first[row]) & set(second.get(row, {})))
        for key in keys:
            x = np.array([figure(first[row][s], key) for s in seeds])
            y = np.array([figure(second[row][s], key) for s in seeds])
            d = y - x
            half = (stats.t.ppf(0.975, len(d) - 1) * d.std(ddof=1) / np.sqrt(len(d))
                    if len(d) > 1 else float("nan"))
            scale = 1.0 if key == "auc" else 100.0
            digits = 3 if key == "auc" else 1
            print(f"| {row} | {key} | {scale * x.mean():.{digits}f} | {scale * y.mean():.{digits}f} | "
                  f"{scale * d.mean():+.{digits}f} ± {scale * half:.{digits}f} | "
                  + " / ".join(f"{scale * v:+.{digits}f}" for v in d) + " |")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
