"""Does averaging several trainings on the same 36 clips steady the real-audio figures? Scores
the models of the model-seed studies (data seed 1, model seeds 8-11) on the real set alone and
as the average of their probabilities (all of one row; threshold 0.5, nothing tuned).

Then a site threshold, what a device could do where it is installed: for each real background,
the threshold is set just above the highest score of half of its event-free excerpts (the
calibration half, alternate excerpts), and the other half and every clip with a break in that
background are scored with it (then the halves swap; both folds averaged). This uses event-free
audio of the test recordings themselves (a device's own site): it is not a figure for an unseen
environment.

Usage (from the repository root, with the study folders and their models):
  .venv/bin/python docs/results/modelseed-spread/average.py build/exp-modelseed-{8,9,10,11}
"""
import json
import os
import sys

import numpy as np

from components.audio import examples
from components.model.training import roc_auc
from pipeline import configs, experiments

ROWS = ("scratch_limited", "parallel_low")


def main(study_dirs):
    frames = configs.get_config("quick").frames
    x, y, meta = examples.load_split(os.path.join(study_dirs[0], "data", "real-test"), "eval",
                                     frames)
    scenes = np.array([m["scene"] for m in meta])
    for row in ROWS:
        probabilities = []
        for folder in study_dirs:
            result = json.load(open(os.path.join(folder, "table1.json")))
            run = next(r for r in result["rows"] if r["row"] == row)["runs"][0]
            probabilities.append(experiments.predict(run["run"], x)["probability"])
        candidates = [(f"model seed {os.path.basename(f).split('-')[-1]}", q)
                      for f, q in zip(study_dirs, probabilities)]
        candidates.append((f"average of the {len(probabilities)}", np.mean(probabilities, 0)))
        for name, p in candidates:
            within = " / ".join(f"{roc_auc(y[scenes == s], p[scenes == s]):.2f}"
                                for s in sorted(set(scenes)))
            print(f"{row:16s} {name:18s} real {100 * np.mean((p >= 0.5) == y):.1f} %, "
                  f"AUC {roc_auc(y, p):.3f}, false alarms {100 * np.mean(p[y == 0] >= 0.5):.1f} %"
                  f", AUC within {'/'.join(sorted(set(scenes)))} {within}")
        for name, p in candidates:
            print(f"{row:16s} {name:18s} with site thresholds: " + site_thresholds(p, y, scenes))


def site_thresholds(p, y, scenes) -> str:
    """Per background: threshold above the calibration half's event-free scores, two folds;
    the accuracy weighs clips with and without a break equally (as the real set does)."""
    parts, balanced = [], []
    for scene in sorted(set(scenes)):
        negatives = np.flatnonzero((scenes == scene) & (y == 0))
        positives = np.flatnonzero((scenes == scene) & (y == 1))
        false_alarms, found = [], []
        for fold in (0, 1):
            calibrate, held = negatives[fold::2], negatives[1 - fold::2]
            threshold = np.nextafter(np.float32(p[calibrate].max()), np.float32(1))
            false_alarms.append(np.mean(p[held] >= threshold))
            found.append(np.mean(p[positives] >= threshold))
        balanced.append((np.mean(found) + 1 - np.mean(false_alarms)) / 2)
        parts.append(f"{scene} FA {100 * np.mean(false_alarms):.0f} % found "
                     f"{100 * np.mean(found):.0f} %")
    return f"accuracy {100 * np.mean(balanced):.1f} %; " + ", ".join(parts)


if __name__ == "__main__":
    main(sys.argv[1:])
