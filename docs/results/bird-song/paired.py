"""Seed by seed, the corpus with bird song against the corpus before it: the same study
(quick profile, 5 seeds, scratch and (c), onset fusion) on each, scored on both real sets.

The data of a seed differ between the two (the corpus changed), so the pairs share their seeds,
not their clips; differences are bird song minus before, mean ± 95 % t-interval over seeds.
The same comparison serves the later studies that changed one thing on this corpus
(:data:`LATER_STUDIES`): each against the bird-song study (``bird``), on the default and the
held-out real sets, then how many seeds meet issue 9's goals.

Usage (repository root):
  .venv/bin/python docs/results/bird-song/paired.py > docs/results/bird-song/paired.txt
  .venv/bin/python docs/results/bird-song/paired.py FOLDER > docs/results/FOLDER/paired.txt
  (FOLDER one of :data:`LATER_STUDIES`: ensemble-fused, glass-impact, highpass, centroid-cap)
"""
import json
import os
import sys

import numpy as np

from pipeline.experiments import mean_ci

HERE = os.path.dirname(os.path.abspath(__file__))
RESULTS = os.path.dirname(HERE)
# results folder -> (its study's folder in it, the names of the pair, the synthetic line's label)
LATER_STUDIES = {
    # the mean of four trainings (target_ensemble=4) against one (the first of the four, the
    # same network to the bit): data, source model and first network shared
    "ensemble-fused": ("ensemble4", ("one", "four"), "synthetic test set"),
    # the glass breaks with the thud of the blow (impact_thud, the patch in that folder):
    # source data and models shared, the target clips differ only in the thud
    "glass-impact": ("impact", ("without", "impact"), "synthetic test set (each corpus its own)"),
    # the features without the band below 150 Hz (highpass_hz=150): the same mixtures, only
    # their features differ
    "highpass": ("hp150", ("whole", "hp150"), "synthetic test set"),
    # the onset fusion's centroid capped at 2 kHz (fusion_centroid_cap_khz=2): the same
    # mixtures and networks, only the fusion reads the centroid otherwise
    "centroid-cap": ("cap2", ("uncapped", "cap 2 kHz"), "synthetic test set"),
}
FIGURES = (("accuracy", 100), ("auc", 1), ("false_alarms", 100), ("detected", 100),
           ("false_alarms:birdsong", 100), ("impact_false_alarms", 100),
           ("network_accuracy", 100), ("network_auc", 1))


def runs(folder):
    """Per row, the runs of the study whose table1.json is in ``folder``."""
    result = json.load(open(os.path.join(folder, "table1.json")))
    return {row["row"]: row["runs"] for row in result["rows"]}


def compare(before, after, names, title, synthetic=""):
    """Print, per row and figure, the real-set means of the studies ``before`` and ``after``
    (their runs, as ``runs`` gives them), per seed, and after minus before; ``names`` labels
    the two, ``title`` the real set; ``synthetic``, when given, labels a line with each row's
    synthetic test accuracy."""
    for row in ("scratch_limited", "parallel_low"):
        print(f"{title}, {row}")
        for key, scale in FIGURES:
            x = np.array([r["real"][key] * scale for r in before[row]])
            y = np.array([r["real"][key] * scale for r in after[row]])
            difference = mean_ci(y - x)
            diff, half = difference["mean"], difference["ci95"]
            print(f"  {key:22s} {names[0]} {x.mean():7.3f}  {names[1]} {y.mean():7.3f}  "
                  f"difference {diff:+7.3f} ± {half:.3f}   per seed {np.round(x, 3).tolist()}"
                  f" -> {np.round(y, 3).tolist()}")
        if synthetic:
            x = [100 * r["accuracy"] for r in before[row]]
            y = [100 * r["accuracy"] for r in after[row]]
            print(f"  {synthetic} {names[0]} {np.mean(x):.1f}  {names[1]} {np.mean(y):.1f}")


GOALS = ("issue 9's goals (real accuracy >= 90 %, AUC >= 0.95, false alarms <= 10 % on every "
         "background, synthetic accuracy >= 90 %)")


def meets_goals(run):
    """Whether one run of a study meets issue 9's goals (:data:`GOALS`) on its real set."""
    real = run["real"]
    worst = max(v for k, v in real.items() if k.startswith("false_alarms:"))
    return (real["accuracy"] >= 0.90 and real["auc"] >= 0.95 and worst <= 0.10
            and run["accuracy"] >= 0.90)


def compare_on_both_sets(before, after, names, synthetic):
    """:func:`compare` of the studies in the folders ``before`` and ``after`` on the default
    real set, then of ``before-holdout`` and ``after-holdout`` (the same studies resumed on the
    held-out set), each followed by how many seeds of each row meet issue 9's goals;
    ``synthetic`` labels the default set's synthetic line."""
    for set_name, suffix in (("default real set", ""), ("held-out real set", "-holdout")):
        first, second = runs(before + suffix), runs(after + suffix)
        compare(first, second, names, set_name, "" if suffix else synthetic)
        for row in first:
            print(f"{set_name}, {row}: seeds meeting {GOALS}: {names[0]} "
                  f"{sum(map(meets_goals, first[row]))} of {len(first[row])}, {names[1]} "
                  f"{sum(map(meets_goals, second[row]))} of {len(second[row])}")


def main():
    for set_name, suffix in (("default real set", ""), ("held-out real set", "-holdout")):
        compare(runs(os.path.join(HERE, "base" + suffix)),
                runs(os.path.join(HERE, "bird" + suffix)), ("before", "bird song"), set_name,
                "" if suffix else "synthetic test set (each corpus its own)")


def main_later(folder):
    """:func:`compare_on_both_sets` of the bird-song study and the later study of ``folder``."""
    if folder not in LATER_STUDIES:
        raise SystemExit(f"paired.py: unknown results folder {folder!r}; expected one of "
                         f"{', '.join(LATER_STUDIES)}")
    study, names, synthetic = LATER_STUDIES[folder]
    compare_on_both_sets(os.path.join(HERE, "bird"), os.path.join(RESULTS, folder, study), names,
                         synthetic)


if __name__ == "__main__":
    if len(sys.argv) > 1:
        main_later(sys.argv[1])
    else:
        main()
