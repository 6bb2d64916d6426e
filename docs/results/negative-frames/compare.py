"""negative_frames=1 against the same studies without it, paired by seed (same data seeds, same
initial weights, same host in one session): synthetic accuracy (Table 1 study), event onsets on
the synthetic eval split (each Trainer's DCASE 2017 Task 2 scoring), and both real sets
(docs/results/holdout/measure.py's JSON, threshold 0.5).

Pairs: clip_mean=0 (`build/exp-ensemble4`, network 1 alone, "x1"; its synthetic accuracy and
events are not per network, so those columns are left empty) against `build/exp-nf`;
clip_mean=1 (`build/exp-clipmean`) against `build/exp-clipmean-nf`.

Usage (repository root): .venv/bin/python docs/results/negative-frames/compare.py \\
    > docs/results/negative-frames/compare.md
"""
import glob
import json
import os

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
MEASURES = os.path.join(HERE, "..", "holdout")
ROWS = (("scratch_limited", "scratch"), ("parallel_low", "(c)"))
# (label, study folder, measure JSON, key prefix in it, per-network synthetic/events known)
STUDIES = (("clip_mean=0", "build/exp-ensemble4", "measure-exp-ensemble4.json", "x1", False),
           ("clip_mean=0, negative_frames=1", "build/exp-nf", "measure-exp-nf.json", "x1", True),
           ("clip_mean=1", "build/exp-clipmean", "measure-exp-clipmean.json", "x1", True),
           ("clip_mean=1, negative_frames=1", "build/exp-clipmean-nf",
            "measure-exp-clipmean-nf.json", "x1", True))


def synthetic(study, row):
    """Per-seed synthetic test accuracy of a Table 1 study's row."""
    table = json.load(open(os.path.join(study, "table1.json")))
    runs = next(r for r in table["rows"] if r["row"] == row)["runs"]
    return {f"s{run['seed']}": run["accuracy"] for run in runs}


def events(study, row):
    """Per-seed event error rate and F1 on the synthetic eval split (the Trainer's scoring)."""
    found = {}
    for path in sorted(glob.glob(f"{study}/runs/s*-{row}/model/metrics.json")):
        seed = os.path.basename(os.path.dirname(os.path.dirname(path))).split("-")[0]
        overall = json.load(open(path)).get("events", {}).get("overall")
        if overall:
            found[seed] = (overall["error_rate"], overall["f1"])
    return found


def mean(values):
    return float(np.mean(values)) if values else float("nan")


def main():
    print("| setting | model | synthetic % | ER | F1 % | default: acc. % | AUC | FA % | "
          "held out: acc. % | AUC | FA % | found % (held out, per EBR -6/0/+6) |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for label, study, measure, prefix, per_network in STUDIES:
        scores = json.load(open(os.path.join(MEASURES, measure)))
        for row, name in ROWS:
            real = scores[f"{name} {prefix}"]
            cells = []
            if per_network:
                cells.append(f"{100 * mean(list(synthetic(study, row).values())):.1f}")
                found = list(events(study, row).values())
                cells += [f"{mean([e for e, _ in found]):.2f}",
                          f"{100 * mean([f for _, f in found]):.1f}"]
            else:
                cells += ["", "", ""]
            for subset in ("default", "holdout"):
                seeds = [v for k, v in sorted(real[subset].items()) if k.startswith("s")]
                cells += [f"{100 * mean([s['accuracy'] for s in seeds]):.1f}",
                          f"{mean([s['auc'] for s in seeds]):.3f}",
                          f"{100 * mean([s['false_alarms'] for s in seeds]):.1f}"]
            held = [v for k, v in sorted(real["holdout"].items()) if k.startswith("s")]
            cells.append(" / ".join(f"{100 * mean([s['found_per_ebr'][e] for s in held]):.0f}"
                                    for e in ("-6.0", "0.0", "6.0")))
            print(f"| {label} | {name} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
