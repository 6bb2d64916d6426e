"""Paired per-seed comparison of a sources study: the 5-class source against the 1-class one, per
method, on the real set (accuracy, AUC, false alarms) and the synthetic test set.

Usage: python paired.py build/exp-sources-fixed/sources.json
"""
import json
import sys

import numpy as np
from scipy import stats


def paired(values_one, values_five):
    """Mean of the per-seed differences (five - one) and its 95 % t half-width."""
    diff = np.asarray(values_five) - np.asarray(values_one)
    half = stats.t.ppf(0.975, len(diff) - 1) * diff.std(ddof=1) / np.sqrt(len(diff))
    return diff.mean(), half


def main(path):
    result = json.load(open(path))
    one, five = result["variants"][0], result["variants"][1]
    rows = {(r["source_classes"], r["row"]): r for r in result["rows"]}
    print("| method | figure | 1-class (per seed) | 5-class (per seed) | paired difference, 95 % CI |")
    print("| --- | --- | --- | --- | --- |")
    for method in result["methods"]:
        a, b = rows[(one, method)]["runs"], rows[(five, method)]["runs"]
        assert [r["seed"] for r in a] == [r["seed"] for r in b]
        for label, get in (("synthetic %", lambda r: 100 * r["accuracy"]),
                           ("real %", lambda r: 100 * r["real"]["accuracy"]),
                           ("real AUC", lambda r: r["real"]["auc"]),
                           ("real false alarms %", lambda r: 100 * r["real"]["false_alarms"])):
            va, vb = [get(r) for r in a], [get(r) for r in b]
            mean, half = paired(va, vb)
            fmt = "{:.3f}" if "AUC" in label else "{:.1f}"
            print(f"| {rows[(one, method)]['name'].split(' [')[0]} | {label} | "
                  f"{fmt.format(np.mean(va))} ({' / '.join(fmt.format(v) for v in va)}) | "
                  f"{fmt.format(np.mean(vb))} ({' / '.join(fmt.format(v) for v in vb)}) | "
                  f"{mean:+.3f} ± {half:.3f} |" if "AUC" in label else
                  f"| {rows[(one, method)]['name'].split(' [')[0]} | {label} | "
                  f"{fmt.format(np.mean(va))} ({' / '.join(fmt.format(v) for v in va)}) | "
                  f"{fmt.format(np.mean(vb))} ({' / '.join(fmt.format(v) for v in vb)}) | "
                  f"{mean:+.1f} ± {half:.1f} |")


if __name__ == "__main__":
    main(sys.argv[1])
