"""Before building anything: the onset fusion fitted on a calibration split whose clips without
an event hold a loud sharp sound that is not glass (components.audio.hard_negatives).

Why: on the bird-song study's calibration split (the target's training recordings, plain
mixtures), the sharpest onset of a clip without an event has a median centroid of 0.4 kHz, a
glass break's 6.1 kHz; the real birdsong's onsets sit at 5.8 kHz. So the fusion learns "a bright
onset is glass" and the network's own "no" (logit -4 to -6 on birdsong) is outvoted. With hard
negatives (door, clink, keys, step, click; the synthetic corpus's own sounds, as loud as an
event) in half of the calibration clips without an event, the fusion sees bright sharp onsets
that are not glass.

For each seed's (c) model, the fusion is refitted on (a) the study's calibration split as it is
(the product: reproduces the study's figures) and (b) the same recipes with hard negatives,
mixed and featurized here exactly as the Beam job does, and (c) the same recipes with every
break 3 or 6 dB quieter than its recipe's EBR (harder positives: the real breaks at a given EBR
are harder to hear than the synthetic ones); each is scored on the study's real test
sets and synthetic test set. The networks are the study's (not retrained).

Usage (repository root):
  .venv/bin/python docs/results/onset-texture/calibration_probe.py STUDY HOLDOUT_STUDY [SOUNDS]
  e.g. build/exp-bird build/exp-bird-holdout door,clink,keys,step,click
  (an empty SOUNDS, "", leaves the hard negatives out; output: calibration_probe.txt, ~6 min)
"""
import dataclasses
import glob
import json
import os
import sys

import numpy as np

from components.audio import features, hard_negatives, mixing, onset
from components.model import fusion, serving

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import probe  # noqa: E402  (same folder: the scoring helpers)

CORPUS_SEED = 2017
CALIBRATION_SEED = 4242
QUIETER_DB = (3.0, 6.0)   # the calibration breaks this much under their recipe's EBR


def featurize(recipes):
    """(mfcc [N, frames, 20], centroid_khz [N], labels [N]) as the Beam job makes them."""
    load = mixing.audio_loader("embedded", CORPUS_SEED)
    mfcc, centroid = [], []
    for recipe in recipes:
        audio, _ = mixing.render(recipe, load)
        coefficients = features.mfcc(audio)
        mfcc.append(coefficients)
        centroid.append(onset.descriptors(audio, coefficients)[1])
    return np.stack(mfcc), np.asarray(centroid), np.array([r.label for r in recipes])


def inputs_from(network, mfcc, centroid):
    p = np.asarray(network(mfcc, training=False)).reshape(-1)
    return fusion.fusion_inputs(p, onset.onset_frame_and_peak(mfcc)[1], centroid)


def main(study, holdout, sounds):
    from sklearn.linear_model import LogisticRegression
    recipes = [mixing.Recipe.from_json(line) for path in sorted(glob.glob(os.path.join(
        study, "data", "target-limited-s0", "recipes", "calibration-*.jsonl")))
        for line in open(path)]
    recipes.sort(key=lambda r: r.index)
    with_hard = hard_negatives.add_hard_negatives(
        recipes, hard_negatives.sound_records(CORPUS_SEED, sounds), CALIBRATION_SEED,
        mixing.EBRS_DB) if sounds else recipes
    print(f"{len(recipes)} calibration recipes; {sum(r.impact is not None for r in with_hard)} "
          f"get a hard negative ({', '.join(sounds) or 'none'})", flush=True)
    quieter = {shift: [dataclasses.replace(r, ebr_db=r.ebr_db - shift) if r.label else r
                       for r in recipes] for shift in QUIETER_DB}
    calibrations = {"plain (product)": featurize(recipes),
                    **({"hard negatives": featurize(with_hard)} if sounds else {}),
                    **{f"events {shift:g} dB quieter": featurize(quieter[shift])
                       for shift in QUIETER_DB}}
    runs = next(r for r in json.load(open(os.path.join(study, "table1.json")))["rows"]
                if r["row"] == "parallel_low")["runs"]
    rows = {name: [] for name in calibrations}
    for seed, run in enumerate(runs):
        model_dir = run["run"] if os.path.isabs(run["run"]) else os.path.join(study, run["run"])
        network = serving.load_keras_tagger(model_dir)
        sets = {"default": probe.inputs(network, probe.files(study, "real-test", "eval")),
                "impacts": probe.inputs(network, probe.files(study, "real-impacts", "impacts")),
                "held out": probe.inputs(network, probe.files(holdout, "real-test", "eval")),
                "synthetic": probe.inputs(network, probe.files(study, "target-test", "eval"))}
        for name, (mfcc, centroid, labels) in calibrations.items():
            model = LogisticRegression(class_weight="balanced").fit(
                inputs_from(network, mfcc, centroid), labels)
            out = {"weights": model.coef_[0].round(2).tolist() + [round(
                float(model.intercept_[0]), 2)]}
            for set_name, (base, _, set_labels, meta) in sets.items():
                out[set_name] = probe.figures(model.predict_proba(base)[:, 1], set_labels, meta)
            rows[name].append(out)
            probe.print_seed(seed, name, out, 18)
    probe.summary(rows)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2],
         tuple(s for s in sys.argv[3].split(",") if s) if len(sys.argv) > 3
         else hard_negatives.SOUNDS)
