"""The fusion of fusion_across.py fitted on synthetic training clips only: does a detector
calibrated without any real recording carry over to both real sets?

The fusion's inputs (the tagger's logit, log(1 + the clip's peak onset strength), the spectral
centroid of the 100 ms after that onset) are fitted, class weights balanced, on 400 synthetic
target clips drawn from the embedded corpus's *training* recordings (``train_seed`` 4242, not
the synthetic test set, not the 36 clips any model trained on), half with a glass break at
-6/0/+6 dB. Variants: the two model-free inputs alone; with the tagger of each study model
(scratch and (c), every seed). Each with the centroid from the STFT (as fusion_across.py) and
from the MFCCs alone (``mel centroid``: the cepstrally smoothed mel spectrum of the same frames,
``features.log_mel_basis``, weighted by the bands' centre frequencies; what a served model,
which sees MFCCs in its example signature, could compute in its graph). Scored at 0.5 on both
real sets (``eval`` clips and impacts): nothing real was fitted on; and on the synthetic test set
(the quick profile's 200 target test clips, as every Table 1 study scores; measured, not fitted
on): does the fused detector keep issue 9's synthetic floor? Results to ``fusion_synthetic.json``
beside this script.

Usage (repository root):
  .venv/bin/python docs/results/impact-pool/fusion_synthetic.py build/real_audio \\
      build/real_audio_holdout build/exp-clipmean-nf build/exp-impactpool
"""
import json
import os
import runpy
import sys

import librosa
import numpy as np

from components.audio import corpus, datasets, features, mixing
from components.model import localize
from components.model.training import roc_auc
from pipeline import configs

HERE = os.path.dirname(os.path.abspath(__file__))
ACROSS = runpy.run_path(os.path.join(HERE, "fusion_across.py"))
SYNTHETIC_SEED = 4242
SYNTHETIC_CLIPS = 400


def mel_centroid_after_onset(x, frames=9):
    """Centroid (kHz) of the cepstrally smoothed mel spectrum (from the first 20 MFCCs) over the
    ``frames`` frames from the clip's sharpest onset (``features.onset_strength``)."""
    coefficients = np.asarray(x[..., :features.N_MFCC], np.float64)
    strength = features.onset_strength(coefficients)[:, localize.PADDED_FRAMES:]
    onsets = np.argmax(strength, axis=1) + localize.PADDED_FRAMES
    power = 10.0 ** ((coefficients @ features.log_mel_basis(features.N_MFCC)) / 10.0)
    centres = librosa.mel_frequencies(n_mels=features.N_MELS + 2,
                                      fmax=features.SAMPLE_RATE / 2)[1:-1] / 1000
    out = []
    for clip, k in zip(power, onsets):
        window = clip[k:k + frames].sum(axis=0)
        out.append(float((centres * window).sum() / (window.sum() + 1e-20)))
    return np.array(out)


def with_mel(s, prefix=""):
    """Add ``mel_centroid{_eval,_imp}`` (or ``mel_centroid``) to a clip dictionary."""
    if "x" in s:
        s["mel_centroid"] = mel_centroid_after_onset(s["x"])
    else:
        s["mel_centroid_eval"] = mel_centroid_after_onset(s["x_eval"])
        s["mel_centroid_imp"] = mel_centroid_after_onset(s["x_imp"])
    return s


def synthetic_clips():
    """Descriptors and labels of 400 synthetic target clips from the corpus's training records."""
    config = configs.get_config("quick")
    data = corpus.embedded_source_data(config.corpus_seed)
    recipes = datasets.split_recipes(data, "target", SYNTHETIC_CLIPS, 1, SYNTHETIC_SEED,
                                     config.eval_seed, config.clip_duration_s)["train"]
    load = mixing.audio_loader(data.data_root, config.corpus_seed, cache_bytes=1 << 30)
    waves = np.stack([mixing.render(r, load)[0].astype(np.float32) for r in recipes])
    x, peak, centroid = ACROSS["descriptors"](waves)
    return {"x": x, "peak": peak, "centroid": centroid, "y": np.array([r.label for r in recipes])}


def synthetic_test_clips():
    """Descriptors and labels of the quick profile's synthetic target test set (the pipeline's
    target ``eval`` split, which every Table 1 study scores)."""
    config = configs.get_config("quick")
    job = dict(config.data_jobs()["Target"], train_clips=0)
    data = datasets.plan_task(**job)
    recipes = data.recipes["eval"]
    load = mixing.audio_loader(data.data.data_root, config.corpus_seed, cache_bytes=1 << 30)
    waves = np.stack([mixing.render(r, load)[0].astype(np.float32) for r in recipes])
    x, peak, centroid = ACROSS["descriptors"](waves)
    return {"x": x, "peak": peak, "centroid": centroid, "y": np.array([r.label for r in recipes])}


def accuracy_auc(p, y):
    return {"accuracy": float(np.mean((p >= 0.5) == y)), "auc": roc_auc(y, p)}


def main(default_dir, holdout_dir, *studies):
    synthetic = synthetic_clips()
    test = with_mel(synthetic_test_clips())
    print(f"synthetic: {len(synthetic['y'])} clips ({int(synthetic['y'].sum())} with a break)",
          file=sys.stderr, flush=True)
    synthetic = with_mel(synthetic)
    real = {"default": with_mel(ACROSS["clips"](default_dir)),
            "held out": with_mel(ACROSS["clips"](holdout_dir))}
    results = {}
    for centroid in ("centroid", "mel_centroid"):
        fit_free = ACROSS["LogisticRegression"](class_weight="balanced").fit(
            np.c_[np.log1p(synthetic["peak"]), synthetic[centroid]], synthetic["y"])
        results[f"peak + {centroid}, no model"] = {"-": {
            name: ACROSS["summary"](
                fit_free.predict_proba(np.c_[np.log1p(s["peak_eval"]),
                                             s[f"{centroid}_eval"]])[:, 1],
                fit_free.predict_proba(np.c_[np.log1p(s["peak_imp"]),
                                             s[f"{centroid}_imp"]])[:, 1], s)
            for name, s in real.items()}}
        results[f"peak + {centroid}, no model"]["-"]["synthetic test"] = accuracy_auc(
            fit_free.predict_proba(np.c_[np.log1p(test["peak"]), test[centroid]])[:, 1],
            test["y"])
    for name, short, seed, score in ACROSS["MEASURE"]["study_models"](studies):
        p_synthetic, p_test = score(synthetic["x"], 1), score(test["x"], 1)
        entry = {"synthetic test, alone": accuracy_auc(p_test, test["y"])}
        for set_name, s in real.items():
            entry[f"{set_name}, alone"] = ACROSS["summary"](
                score(s["x_eval"], 1), score(s["x_imp"], 1), s)
        for centroid in ("centroid", "mel_centroid"):
            fit = ACROSS["LogisticRegression"](class_weight="balanced").fit(
                ACROSS["inputs"](p_synthetic, synthetic["peak"], synthetic[centroid]),
                synthetic["y"])
            for set_name, s in real.items():
                p_eval, p_imp = score(s["x_eval"], 1), score(s["x_imp"], 1)
                entry[f"{set_name}, fused ({centroid})"] = ACROSS["summary"](
                    fit.predict_proba(ACROSS["inputs"](p_eval, s["peak_eval"],
                                                       s[f"{centroid}_eval"]))[:, 1],
                    fit.predict_proba(ACROSS["inputs"](p_imp, s["peak_imp"],
                                                       s[f"{centroid}_imp"]))[:, 1], s)
            entry[f"synthetic test, fused ({centroid})"] = accuracy_auc(fit.predict_proba(
                ACROSS["inputs"](p_test, test["peak"], test[centroid]))[:, 1], test["y"])
            entry[f"weights with {centroid} (logit, log1p peak, kHz, intercept)"] = [
                *map(float, fit.coef_[0]), float(fit.intercept_[0])]
        results.setdefault(f"{name} {short}", {})[seed] = entry
        print(f"scored {name} {short} {seed}", file=sys.stderr, flush=True)
    with open(os.path.join(HERE, "fusion_synthetic.json"), "w") as handle:
        json.dump(results, handle, indent=1, sort_keys=True)
    print("fitted on 400 synthetic training clips only; mean over seeds; "
          "acc % / AUC / FA ambience % / FA impacts % / AUC breaks vs impacts")
    for model, seeds in results.items():
        for way in next(iter(seeds.values())):
            if way.startswith(("weights", "synthetic test")):
                continue
            print(f"{model:32s} {way:32s} {ACROSS['mean_line'](seeds, way)}")
    print("\nthe synthetic test set (200 clips; measured, not fitted on): accuracy % / AUC")
    for model, seeds in results.items():
        for way in next(iter(seeds.values())):
            if way.startswith("synthetic test"):
                print(f"{model:32s} {way:32s} "
                      f"{100 * np.mean([s[way]['accuracy'] for s in seeds.values()]):5.1f} "
                      f"{np.mean([s[way]['auc'] for s in seeds.values()]):.3f}")


if __name__ == "__main__":
    main(*sys.argv[1:])
