"""Seed by seed, networks trained with ``recording_chain=1`` (half of the target's 36 training
clips band-limited) against the same study without it (build/exp-bird: the same source models,
test sets and seeds; the training clips' draws are the same, half of them through the chain),
from the two probe outputs beside this script: the networks alone, the product's fusion
(``centroid plain``) and the fusion fitted on chain-augmented calibration clips
(``centroid plain+chain``), on the synthetic test set (full band and through the chain, per
rate) and both real sets. Differences are chain minus without, mean ± 95 % t-interval.

Usage (repository root): .venv/bin/python docs/results/recording-chain/paired.py \\
    > docs/results/recording-chain/paired.txt
"""
import json
import os

import numpy as np

from pipeline.experiments import mean_ci

HERE = os.path.dirname(os.path.abspath(__file__))
WAYS = ("network alone", "centroid plain", "centroid plain+chain")
RATES = ("8000", "11025", "16000", "22050")


def figures(entry):
    """The figures of one model and way, as percentages (AUC as is)."""
    out = {"synthetic accuracy": 100 * entry["test"]}
    per_rate = entry["test chain per rate"]
    out |= {f"synthetic found at {int(r) / 1000:g} kHz": 100 * per_rate[r]["found"]
            for r in RATES}
    for name in ("default", "held out"):
        real = entry[name]
        out |= {f"{name} accuracy": 100 * real["accuracy"], f"{name} AUC": real["auc"],
                f"{name} worst FA": 100 * max(real["false_alarms_per_background"].values()),
                f"{name} found": 100 * real["found"],
                f"{name} impacts tagged": 100 * real["impact_false_alarms"]}
    return out


def main():
    before = json.load(open(os.path.join(HERE, "probe-exp-bird.json")))
    after = json.load(open(os.path.join(HERE, "probe-exp-chain.json")))
    for row in ("scratch", "(c)"):
        for way in WAYS:
            key = f"{row} {way}"
            print(key)
            x = [figures(e) for e in before[key]]
            y = [figures(e) for e in after[key]]
            for name in x[0]:
                a, b = np.array([f[name] for f in x]), np.array([f[name] for f in y])
                d = mean_ci(b - a)
                print(f"  {name:32s} without {a.mean():7.3f}  chain {b.mean():7.3f}  "
                      f"difference {d['mean']:+7.3f} ± {d['ci95']:.3f}")


if __name__ == "__main__":
    main()
