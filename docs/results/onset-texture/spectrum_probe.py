"""Before building anything: numbers from the power spectrum at the clip's sharpest onset that
might tell a glass break's crash (a broadband burst) from a bird's note (a narrow sweep).

The onset frame is the fusion's (``onset.onset_frame_and_peak`` on the MFCC); from the STFT
power (the MFCC's frames) between 1 and 16 kHz:
  - ``flat_rise``: the spectral flatness (geometric over arithmetic mean) of the power's rise
    into the onset frame from the frame before (only the bins that rise; others count as a
    tiny floor), in log10: 0 flat, very negative peaky;
  - ``flat_onset``: the spectral flatness (log10) of the onset frame's power;
  - ``flat_window``: the same over the 9-frame window the centroid is taken over.
For each seed's (c) model of a study, the fusion is refitted on the seed's calibration split
(mixed again exactly as the Beam job does) with each number added, and scored on the real test
sets (mixed again from the study's recipes) and the synthetic test set. Networks not retrained.

Usage (repository root):
  .venv/bin/python docs/results/onset-texture/spectrum_probe.py STUDY HOLDOUT_STUDY
      REAL_SET HOLDOUT_REAL_SET
  e.g. build/exp-bird build/exp-bird-holdout build/real_audio build/real_audio_holdout
  (output: spectrum_probe.txt, about 3.5 min)
"""
import glob
import json
import os
import sys

import numpy as np

from components.audio import features, mixing, onset
from components.model import fusion, serving

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import probe  # noqa: E402  (same folder: the scoring helpers)

CORPUS_SEED = 2017
BAND_HZ = (1000.0, 16000.0)
NAMES = ("flat_rise", "flat_onset", "flat_window")


def flatness(power, axis=-1):
    power = np.maximum(power, 1e-12)
    return np.log10(np.exp(np.mean(np.log(power), axis=axis)) / np.mean(power, axis=axis))


def spectrum_numbers(audio, coefficients):
    frame = int(onset.onset_frame_and_peak(coefficients)[0])
    frames = features.centred_frames(audio)[frame - 1:frame + onset.WINDOW_FRAMES]
    power = features.frames_power(np.array(frames), features.hann_window()).astype(np.float64)
    freqs = np.arange(power.shape[-1]) * features.SAMPLE_RATE / features.N_FFT
    band = (freqs >= BAND_HZ[0]) & (freqs <= BAND_HZ[1])
    power = power[:, band]
    rise = np.maximum(power[1] - power[0], 0.0) + 1e-9 * power[1].mean()
    return [flatness(rise), flatness(power[1]), flatness(power[1:].sum(axis=0))]


def read_recipes(study, name):
    return sorted((mixing.Recipe.from_json(line) for path in glob.glob(os.path.join(
        study, "data", name, "recipes", "*.jsonl")) for line in open(path)),
        key=lambda r: (r.split, r.index))


def featurize(recipes, data_root):
    load = mixing.audio_loader(data_root, CORPUS_SEED)
    mfcc, centroid, extra, meta = [], [], [], []
    for recipe in recipes:
        audio, _ = mixing.render(recipe, load)
        coefficients = features.mfcc(audio)
        mfcc.append(coefficients)
        centroid.append(onset.descriptors(audio, coefficients)[1])
        extra.append(spectrum_numbers(audio, coefficients))
        meta.append({"scene": recipe.bg_scene})
    return (np.stack(mfcc), np.asarray(centroid), np.asarray(extra),
            np.array([r.label for r in recipes]), meta)


def main(study, holdout, real_set, holdout_set):
    from sklearn.linear_model import LogisticRegression
    sets = {"calibration": featurize([r for r in read_recipes(study, "target-limited-s0")
                                      if r.split == "calibration"], "embedded"),
            "default": featurize(read_recipes(study, "real-test"), real_set),
            "impacts": featurize(read_recipes(study, "real-impacts"), real_set),
            "held out": featurize(read_recipes(holdout, "real-test"), holdout_set),
            "synthetic": featurize(read_recipes(study, "target-test"), "embedded")}
    for name, (_, _, extra, labels, meta) in sets.items():
        print(name, {n: (round(float(np.median(extra[labels == 1, k])), 2) if (labels == 1).any()
                         else None, round(float(np.median(extra[labels == 0, k])), 2))
                     for k, n in enumerate(NAMES)}, flush=True)
    scenes = np.array([m["scene"] for m in sets["default"][4]])
    bird = (scenes == "birdsong") & (sets["default"][3] == 0)
    print("default birdsong without a break", {n: round(float(np.median(
        sets["default"][2][bird, k])), 2) for k, n in enumerate(NAMES)}, flush=True)
    runs = next(r for r in json.load(open(os.path.join(study, "table1.json")))["rows"]
                if r["row"] == "parallel_low")["runs"]
    variants = {"product (3 inputs)": [], **{f"+ {n}": [k] for k, n in enumerate(NAMES)},
                "+ all three": [0, 1, 2]}
    rows = {v: [] for v in variants}
    for seed, run in enumerate(runs):
        model_dir = run["run"] if os.path.isabs(run["run"]) else os.path.join(study, run["run"])
        network = serving.load_keras_tagger(model_dir)
        inputs = {}
        for name, (mfcc, centroid, extra, labels, meta) in sets.items():
            p = np.asarray(network(mfcc, training=False)).reshape(-1)
            inputs[name] = (fusion.fusion_inputs(p, onset.onset_frame_and_peak(mfcc)[1],
                                                 centroid), extra, labels, meta)
        base, extra, labels, _ = inputs["calibration"]
        for variant, columns in variants.items():
            model = LogisticRegression(class_weight="balanced").fit(
                np.c_[base, extra[:, columns]], labels)
            out = {"weights": model.coef_[0].round(2).tolist()}
            for name in ("default", "impacts", "held out", "synthetic"):
                b, e, y, m = inputs[name]
                out[name] = probe.figures(model.predict_proba(np.c_[b, e[:, columns]])[:, 1],
                                          y, m)
            rows[variant].append(out)
            probe.print_seed(seed, variant, out, 20)
    probe.summary(rows)


if __name__ == "__main__":
    main(*sys.argv[1:5])
