"""locator=1 against the same study without it, paired by seed (same data seeds, same initial
weights, same host type): clip_mean=1, negative_frames=1 (`build/exp-clipmean-nf`) and the same
with locator=1 (`build/exp-locator`). The tagger is trained the same way in both, so every clip
figure should agree; the events change: each Trainer's DCASE 2017 Task 2 scoring on the
synthetic eval split, and `experiment events` on the synthetic and the real test sets
(`build/exp-clipmean-nf-events`, `build/exp-locator-events`).

Usage (repository root): .venv/bin/python docs/results/locator/compare.py \\
    > docs/results/locator/compare.md
"""
import json
import os

import numpy as np

ROWS = (("scratch_limited", "scratch"), ("parallel_low", "(c)"))
STUDIES = (("without locator", "build/exp-clipmean-nf"), ("locator=1", "build/exp-locator"))


def runs(study, row):
    """Per-seed runs of a Table 1 study's row, by seed."""
    table = json.load(open(os.path.join(study, "table1.json")))
    return {run["seed"]: run for run in next(r for r in table["rows"] if r["row"] == row)["runs"]}


def trainer_summary(study, row, seed):
    """The target Trainer's metrics.json of one run."""
    return json.load(open(os.path.join(study, "runs", f"s{seed}-{row}", "model", "metrics.json")))


def events_study(study, row):
    """Per-seed `experiment events` scores of a row, {seed: {set: overall}}, or {}."""
    path = f"{study}-events/events.json"
    if not os.path.exists(path):
        return {}
    result = json.load(open(path))
    return {r["seed"]: {name: r[name]["overall"] for name in result["sets"]}
            for r in result["rows"][row]["runs"]}


def cell(values, digits=1, scale=1.0):
    values = [v for v in values if v is not None]
    return "n/a" if not values else f"{scale * np.mean(values):.{digits}f}"


def main():
    print("| model | setting | synthetic % | default real: acc. % / AUC / FA % | "
          "events, synthetic eval split (Trainer): ER / F1 % | synthetic test set: ER / F1 % | "
          "real set: ER / F1 % | s/epoch (tagger + locator) |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    identical = []
    for row, name in ROWS:
        paired = [runs(study, row) for _, study in STUDIES]
        seeds = sorted(set(paired[0]) & set(paired[1]))
        identical += [paired[0][s]["accuracy"] == paired[1][s]["accuracy"]
                      and paired[0][s]["real"]["accuracy"] == paired[1][s]["real"]["accuracy"]
                      for s in seeds]
        for (label, study), by_seed in zip(STUDIES, paired):
            summaries = [trainer_summary(study, row, s) for s in seeds]
            scored = events_study(study, row)
            real = [by_seed[s]["real"] for s in seeds]
            seconds = [m["seconds_per_epoch"] + (m.get("locator") or {}).get("seconds_per_epoch", 0)
                       for m in summaries]
            sets = {part: (cell([scored[s][part]["error_rate"] for s in seeds if s in scored], 2),
                           cell([scored[s][part]["f1"] for s in seeds if s in scored], 1, 100))
                    for part in ("synthetic", "real")}
            print(f"| {name} | {label} | {cell([by_seed[s]['accuracy'] for s in seeds], 1, 100)} | "
                  f"{cell([r['accuracy'] for r in real], 1, 100)} / "
                  f"{cell([r['auc'] for r in real], 3)} / "
                  f"{cell([r['false_alarms'] for r in real], 1, 100)} | "
                  f"{cell([m['events']['overall']['error_rate'] for m in summaries], 2)} / "
                  f"{cell([m['events']['overall']['f1'] for m in summaries], 1, 100)} | "
                  f"{sets['synthetic'][0]} / {sets['synthetic'][1]} | "
                  f"{sets['real'][0]} / {sets['real'][1]} | {cell(seconds, 2)} |")
    print()
    print(f"Seeds: {len(identical)} pairs (rows x seeds); clip figures (synthetic and real "
          f"accuracy) identical with and without the locator in {sum(identical)} of them.")


if __name__ == "__main__":
    main()
