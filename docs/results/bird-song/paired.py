"""Seed by seed, the corpus with bird song against the corpus before it: the same study
(quick profile, 5 seeds, scratch and (c), onset fusion) on each, scored on both real sets.

The data of a seed differ between the two (the corpus changed), so the pairs share their seeds,
not their clips; differences are bird song minus before, mean ± 95 % t-interval over seeds.

Usage (repository root): .venv/bin/python docs/results/bird-song/paired.py > docs/results/bird-song/paired.txt
"""
import json
import os

import numpy as np

from pipeline.experiments import mean_ci

HERE = os.path.dirname(os.path.abspath(__file__))
FIGURES = (("accuracy", 100), ("auc", 1), ("false_alarms", 100), ("detected", 100),
           ("false_alarms:birdsong", 100), ("impact_false_alarms", 100),
           ("network_accuracy", 100), ("network_auc", 1))


def runs(folder):
    result = json.load(open(os.path.join(HERE, folder, "table1.json")))
    return {row["row"]: row["runs"] for row in result["rows"]}


def main():
    for set_name, suffix in (("default real set", ""), ("held-out real set", "-holdout")):
        before, after = runs("base" + suffix), runs("bird" + suffix)
        for row in ("scratch_limited", "parallel_low"):
            print(f"{set_name}, {row}")
            for key, scale in FIGURES:
                x = np.array([r["real"][key] * scale for r in before[row]])
                y = np.array([r["real"][key] * scale for r in after[row]])
                difference = mean_ci(y - x)
                diff, half = difference["mean"], difference["ci95"]
                print(f"  {key:22s} before {x.mean():7.3f}  bird song {y.mean():7.3f}  "
                      f"difference {diff:+7.3f} ± {half:.3f}   per seed {np.round(x, 3).tolist()}"
                      f" -> {np.round(y, 3).tolist()}")
            if not suffix:
                x = [100 * r["accuracy"] for r in before[row]]
                y = [100 * r["accuracy"] for r in after[row]]
                print(f"  synthetic test set (each corpus its own) before {np.mean(x):.1f}  "
                      f"bird song {np.mean(y):.1f}")


if __name__ == "__main__":
    main()
