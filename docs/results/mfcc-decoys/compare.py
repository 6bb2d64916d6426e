"""Studies against the paper's input, paired per seed: scratch and (c), quick profile, the same
data seeds and initial weights, on the synthetic test set and the real set.

Usage (from the repository root):
  .venv/bin/python docs/results/mfcc-decoys/compare.py \
      docs/results/table1-quick-2026-12-04e/table1.json NAME=STUDY/table1.json [NAME=...]
The first file is the reference (the paper's 20 MFCCs, no decoys); each NAME=file a study of the
same seeds with one setting changed. Per-background figures: the mean over seeds of the study's
own `false_alarms:<scene>` and `auc:<scene>`.
"""
import json
import os
import runpy
import sys

import numpy as np

ROWS = ("scratch_limited", "parallel_low")
SCENES = ("birdsong", "crowd", "rain", "street", "wind")
# the paired t-interval and the figures of the per-clip mean comparison
_BASE = runpy.run_path(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..",
                                    "sources-clipmean", "compare.py"))
paired, FIGURES = _BASE["paired"], _BASE["FIGURES"]


def runs_of(path):
    return {r["row"]: {run["seed"]: run for run in r["runs"]}
            for r in json.load(open(path))["rows"] if r["row"] in ROWS}


def cell(values, fmt):
    return fmt.format(np.mean(values)) + " (" + " / ".join(fmt.format(v) for v in values) + ")"


def main(reference_path, studies):
    reference = runs_of(reference_path)
    loaded = {name: runs_of(path) for name, path in studies}
    names = [name for name, _ in studies]
    print("| row | figure | reference | " + " | ".join(
        f"{n} | {n} - reference, 95 % CI" for n in names) + " |")
    print("| --- | --- | --- |" + " --- | --- |" * len(names))
    for row in ROWS:
        seeds = sorted(set.intersection(*(set(s[row]) for s in loaded.values())))
        for title, get, fmt in FIGURES:
            ref = [get(reference[row][s]) for s in seeds]
            cells = [cell(ref, fmt)]
            for name in names:
                got = [get(loaded[name][row][s]) for s in seeds]
                mean, half = paired(ref, got)
                cells += [cell(got, fmt), (f"{mean:+.3f} ± {half:.3f}" if "AUC" in title
                                           else f"{mean:+.1f} ± {half:.1f}")]
            print(f"| {row} | {title} | " + " | ".join(cells) + " |")
    print(f"\nSeeds: {', '.join(str(s) for s in seeds)}. Per background (mean over those seeds), "
          "false alarms % / AUC within it:")
    for name, runs in [("reference", reference)] + list(loaded.items()):
        for row in ROWS:
            parts = []
            for scene in SCENES:
                fa = [runs[row][s]["real"].get(f"false_alarms:{scene}") for s in seeds]
                auc = [runs[row][s]["real"].get(f"auc:{scene}") for s in seeds]
                auc_text = ("-" if any(a is None for a in auc)
                            else f"{np.mean(auc):.2f}")
                parts.append(f"{scene} {100 * np.mean(fa):.0f} % / {auc_text}")
            print(f"- {name}, {row}: " + ", ".join(parts))


if __name__ == "__main__":
    main(sys.argv[1], [tuple(arg.split("=", 1)) for arg in sys.argv[2:]])
