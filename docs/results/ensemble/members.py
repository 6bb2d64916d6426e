"""One training against the mean of two and of four, on the same data: the networks of the
`target_ensemble=4` study, taken apart.

Each target model of the study averages 4 networks trained on the same 36 clips with seeds 1000
apart; its first network is exactly the model `target_ensemble=1` trains (the same seed and
calls: tests/test_model.py checks it on arrays), so the comparison is paired on the same data,
host and first network. For every data seed and row this scores the first network alone, the
mean of the first two and the mean of all four:
  - on the study's real test set (the pipeline's real branch: `data/real-test`) at the model's
    threshold 0.5: balanced accuracy as the real set weighs it (as many clips without a break as
    with), AUC, false alarms;
  - with a site threshold set on halves of each real background and scored on the other halves
    (docs/results/site-threshold/measure.py, whose clips and rule it reuses).
Probabilities come from the Keras copy on MFCCs computed by ``components.audio.features.mfcc``
(equal to the served graph's to ~1e-4).

Usage (repository root; 25 min on 2 cores for 10 models of 4 networks):
  .venv/bin/python docs/results/ensemble/members.py build/real_audio build/exp-ensemble4 \
      > docs/results/ensemble/members.txt
"""
import glob
import json
import os
import runpy
import sys

import numpy as np

from components.audio import examples
from components.model import serving, tagger
from components.model.training import roc_auc
from pipeline import configs

HERE = os.path.dirname(os.path.abspath(__file__))
SITE = runpy.run_path(os.path.join(HERE, "..", "site-threshold", "measure.py"))
ROWS = ("scratch_limited", "parallel_low")
SIZES = (1, 2, 4)


def member_probabilities(model_dir, inputs):
    """[members, clips] probabilities of each network of the model."""
    network = serving.load_keras_tagger(os.path.join(model_dir, "Format-Serving"))
    return np.stack([np.concatenate([np.asarray(m(inputs[i:i + 64], training=False)).reshape(-1)
                                     for i in range(0, len(inputs), 64)])
                     for m in tagger.members_of(network)])


def site_balanced(folds, cal_p, test_p):
    """Balanced accuracy over backgrounds with the site threshold, and false alarms per
    background (site-threshold/measure.py's rows)."""
    rows = SITE["background_rows"](folds, list(zip(cal_p, test_p)), SITE["site_rule"])
    return SITE["balanced_accuracy"](rows), {k: r["false_alarms"] for k, r in rows.items()}


def main(real_dir, study):
    frames = configs.get_config("quick").frames
    x, y, meta = examples.load_split(os.path.join(study, "data", "real-test"), "eval", frames)
    folds = SITE["site_folds"](real_dir)
    cal_x = [SITE["mfccs"](f[1]) for f in folds]
    test_x = [SITE["mfccs"](f[2]) for f in folds]
    results = {}
    for row in ROWS:
        for run_dir in sorted(glob.glob(os.path.join(study, "runs", f"s*-{row}"))):
            seed = os.path.basename(run_dir).split("-")[0]
            model_dir = os.path.join(run_dir, "model")
            if not os.path.exists(os.path.join(model_dir, "metrics.json")):
                continue    # still training
            real = member_probabilities(model_dir, x)
            cal = [member_probabilities(model_dir, c) for c in cal_x]
            test = [member_probabilities(model_dir, t) for t in test_x]
            for size in SIZES:
                p = real[:size].mean(0)
                balanced, alarms = site_balanced(
                    folds, [c[:size].mean(0) for c in cal], [t[:size].mean(0) for t in test])
                results.setdefault(row, {}).setdefault(size, {})[seed] = {
                    "real_accuracy": float(np.mean((p >= 0.5) == y)),
                    "real_auc": roc_auc(y, p),
                    "real_false_alarms": float(np.mean(p[y == 0] >= 0.5)),
                    "site_balanced": float(balanced), "site_false_alarms": alarms}
            print(f"scored {row} {seed}", file=sys.stderr, flush=True)
    with open(os.path.join(HERE, "members.json"), "w") as handle:
        json.dump(results, handle, indent=1)
    for row in ROWS:
        for size in SIZES:
            seeds = results[row][size]
            cells = []
            for key, scale, fmt in (("real_accuracy", 100, "{:.1f}"), ("real_auc", 1, "{:.3f}"),
                                    ("real_false_alarms", 100, "{:.1f}"),
                                    ("site_balanced", 100, "{:.1f}")):
                values = [scale * seeds[s][key] for s in sorted(seeds)]
                cells.append(f"{key} {fmt.format(np.mean(values))} ("
                             + " / ".join(fmt.format(v) for v in values) + ")")
            alarms = {bg: np.mean([seeds[s]["site_false_alarms"][bg] for s in seeds])
                      for bg in next(iter(seeds.values()))["site_false_alarms"]}
            print(f"{row:16s} networks {size}: " + "; ".join(cells) + "; site false alarms "
                  + ", ".join(f"{bg} {100 * v:.0f} %" for bg, v in alarms.items()))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
