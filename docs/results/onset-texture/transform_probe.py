"""Before building anything: the onset fusion's three inputs in other forms.

The product fits ``logit(p)``, ``log(1 + peak)`` and the centroid (kHz) linearly. On the real
sets the network's logit is compressed (real breaks -3 to +6, against +5 to +8 on the synthetic
calibration split) and the centroid of real birdsong and rain (4.7-5.8 kHz) is as high as a
break's, so both push bright ambience up. Variants, each refitted on each seed's calibration
split (as the Trainer does) and scored on the study's real test sets and synthetic test set:
  - the centroid saturated at 1.5-4 kHz (above it, "bright enough": no more evidence), or its
    logarithm;
  - the network's logit clipped to [-4, 4], or its probability instead of the logit;
  - the product's three plus peak x centroid.

Usage (repository root):
  .venv/bin/python docs/results/onset-texture/transform_probe.py STUDY HOLDOUT_STUDY [ROW]
  (ROW: the Table 1 row whose models are probed, default parallel_low, i.e. (c))
  e.g. build/exp-bird build/exp-bird-holdout                  (output: transform_probe.txt)
       build/exp-bird build/exp-bird-holdout scratch_limited  (transform_probe_scratch.txt)
"""
import json
import os
import sys

import numpy as np

from components.model import serving

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import probe  # noqa: E402  (same folder: the scoring helpers)


def transforms():
    """name -> function of the product's inputs [N, 3] (logit, log1p peak, centroid)."""
    def saturated(limit):
        return lambda x: np.c_[x[:, :2], np.minimum(x[:, 2], limit)]
    return {"product (3 inputs)": lambda x: x,
            "centroid saturated at 1.5 kHz": saturated(1.5),
            "centroid saturated at 2 kHz": saturated(2.0),
            "centroid saturated at 2.5 kHz": saturated(2.5),
            "centroid saturated at 3 kHz": saturated(3.0),
            "centroid saturated at 4 kHz": saturated(4.0),
            "log of the centroid": lambda x: np.c_[x[:, :2], np.log(np.maximum(x[:, 2], 0.05))],
            "logit clipped to +-4": lambda x: np.c_[np.clip(x[:, 0], -4, 4), x[:, 1:]],
            "probability, not logit": lambda x: np.c_[1 / (1 + np.exp(-x[:, 0])), x[:, 1:]],
            "+ peak x centroid": lambda x: np.c_[x, x[:, 1] * x[:, 2]]}


def main(study, holdout, row="parallel_low"):
    from sklearn.linear_model import LogisticRegression
    runs = next(r for r in json.load(open(os.path.join(study, "table1.json")))["rows"]
                if r["row"] == row)["runs"]
    rows = {name: [] for name in transforms()}
    for seed, run in enumerate(runs):
        model_dir = run["run"] if os.path.isabs(run["run"]) else os.path.join(study, run["run"])
        network = serving.load_keras_tagger(model_dir)
        calibration = probe.inputs(network, probe.files(study, f"target-limited-s{seed}",
                                                        "calibration"))
        sets = {"default": probe.inputs(network, probe.files(study, "real-test", "eval")),
                "impacts": probe.inputs(network, probe.files(study, "real-impacts", "impacts")),
                "held out": probe.inputs(network, probe.files(holdout, "real-test", "eval")),
                "held-out impacts": probe.inputs(network, probe.files(holdout, "real-impacts",
                                                                      "impacts")),
                "synthetic": probe.inputs(network, probe.files(study, "target-test", "eval"))}
        for name, form in transforms().items():
            model = LogisticRegression(class_weight="balanced").fit(form(calibration[0]),
                                                                    calibration[2])
            out = {"weights": model.coef_[0].round(2).tolist()}
            for set_name, (base, _, labels, meta) in sets.items():
                out[set_name] = probe.figures(model.predict_proba(form(base))[:, 1], labels, meta)
            rows[name].append(out)
            probe.print_seed(seed, name, out, 28)
    probe.summary(rows)


if __name__ == "__main__":
    main(*sys.argv[1:4])
