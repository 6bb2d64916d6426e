"""Where should the onset fusion's four weights come from? The product fits them on the quick
profile's synthetic ``calibration`` split; two sources with real audio in them, measured here
on the 5 scratch and (c) models of ``build/exp-clipmean-nf`` (docs/results.md, "The onset
fusion in the product", "Calibrating on real audio"):

- **the default real set itself** (issue 9 allows calibrating on it): fitted on all its
  ``eval`` clips (in-sample there, so its default figures are optimistic) and scored on the
  held-out set and the synthetic test set; and, for an honest default figure, **grouped
  cross-validation**: each clip scored by a fit that saw neither its background recording nor
  (for a clip with a break) its break recording; also a fit with a 10x stronger L2 penalty
  (C = 0.1); and the synthetic calibration split and the default set pooled;
- **real training backgrounds**: the calibration split drawn, exactly as the pipeline draws it
  (``calibration_clips`` 400, ``calibration_seed`` 4242), from ``build/corpus_train_pool``
  (docs/results/train-pool/make_data.py: the corpus plus the 23 real ambiences of
  megaglest-data and flare-game among its training backgrounds; no package of either real set).

Every fit is ``fusion.fit_fusion``'s (logistic regression, classes balanced, C = 1 unless said).
Output: ``calibration_sources.txt`` beside this script; mean over the 5 seeds; per real set:
accuracy %, AUC, breaks found %, the worst background's false alarms %, birdsong's, real
impacts tagged %; then the synthetic test accuracy % and the weights (logit, log1p peak,
centroid, bias).

Usage (repository root, ~8 min on 2 cores; needs build/real_audio, build/real_audio_holdout,
build/exp-clipmean-nf and build/corpus_train_pool):
  .venv/bin/python docs/results/onset-fusion/calibration_sources.py \\
      > docs/results/onset-fusion/calibration_sources.txt
"""
import dataclasses
import os
import runpy
import sys

import numpy as np
from sklearn.linear_model import LogisticRegression

from components.audio import datasets, mixing
from components.model import fusion
from pipeline import configs

HERE = os.path.dirname(os.path.abspath(__file__))
FUSION = runpy.run_path(os.path.join(HERE, "measure.py"))
MEASURE = FUSION["MEASURE"]
SETS = {"default": "build/real_audio", "held out": "build/real_audio_holdout"}


def calibration_split(target_data="embedded"):
    """The quick profile's target ``calibration`` split on ``target_data``: (mfccs, peak,
    centroid, labels) and which clips lie on a train-pool background."""
    config = configs.get_config("quick", onset_fusion=1, target_data=target_data)
    plan = datasets.plan_task(**dict(config.data_jobs()["Target"], train_clips=0))
    recipes = plan.recipes["calibration"]
    load = mixing.audio_loader(plan.data.data_root, config.corpus_seed, cache_bytes=1 << 30)
    waves = np.stack([mixing.render(r, load)[0].astype(np.float32) for r in recipes])
    pool = np.array([("megaglest" in r.bg_uri) or ("flare" in r.bg_uri) for r in recipes])
    return (*FUSION["with_descriptors"](waves), np.array([r.label for r in recipes])), pool


def default_groups():
    """Break recording ('' without a break) and background of every default ``eval`` clip."""
    config = dataclasses.replace(configs.get_config("quick"), real_audio=SETS["default"],
                                 real_impacts=1)
    recipes = datasets.plan_task(**config.data_jobs()["Real"]).recipes["eval"]
    return (np.array([r.event_uri if r.label else "" for r in recipes]),
            np.array([r.bg_uri for r in recipes]))


def fit(inputs, labels, c=1.0):
    model = LogisticRegression(class_weight="balanced", C=c).fit(inputs, labels)
    return fusion.OnsetFusion(*map(float, model.coef_[0]), float(model.intercept_[0]))


def apply(fitted, inputs):
    return fusion.fused_probability(fitted, *inputs)


def grouped_cv(inputs, labels, breaks, backgrounds):
    """Each clip scored by a fit without its background recording and its break recording."""
    out = np.zeros(len(labels))
    for b in sorted(set(backgrounds)):
        for e in sorted(set(breaks)):
            test = (backgrounds == b) & (breaks == e)
            if not test.any():
                continue
            train = (backgrounds != b) & ((breaks != e) | (breaks == ""))
            fitted = fit(fusion.fusion_inputs(*(a[train] for a in inputs)), labels[train])
            out[test] = apply(fitted, tuple(a[test] for a in inputs))
    return out


def figures(p, p_imp, meta):
    y, bgs = meta[0], meta[1]
    fa = {b: float(np.mean(p[(bgs == b) & (y == 0)] >= 0.5)) for b in sorted(set(bgs))}
    from components.model.training import roc_auc
    return np.array([np.mean((p >= 0.5) == y), roc_auc(y, p), np.mean(p[y == 1] >= 0.5),
                     max(fa.values()), fa.get("birdsong", np.nan),
                     np.mean(p_imp >= 0.5) if p_imp is not None else np.nan])


def main():
    synthetic = FUSION["synthetic_splits"]()
    pool_split, pool = calibration_split(os.path.abspath("build/corpus_train_pool"))
    real = {name: FUSION["real_set"](folder) for name, folder in SETS.items()}
    breaks, backgrounds = default_groups()
    print(f"pool calibration: {int(pool.sum())} of {len(pool)} clips on a real pool background",
          file=sys.stderr, flush=True)
    rows = {}
    for _, short, seed, score in MEASURE["study_models"](["build/exp-clipmean-nf"]):
        def inputs(x, peak, centroid):
            return score(x, 1), peak, centroid
        syn_cal = inputs(*synthetic["calibration"][:3])
        y_cal = synthetic["calibration"][3]
        default = inputs(*real["default"]["eval"])
        y_default = real["default"]["meta"][0]
        fits = {
            "synthetic calibration (product)": fit(fusion.fusion_inputs(*syn_cal), y_cal),
            "default real set (in-sample there)": fit(fusion.fusion_inputs(*default), y_default),
            "default real set, C=0.1": fit(fusion.fusion_inputs(*default), y_default, 0.1),
            "synthetic + default pooled": fit(
                np.r_[fusion.fusion_inputs(*syn_cal), fusion.fusion_inputs(*default)],
                np.r_[y_cal, y_default]),
            "real pool backgrounds": fit(fusion.fusion_inputs(*inputs(*pool_split[:3])),
                                         pool_split[3]),
        }
        x_t, peak_t, centroid_t, y_t = synthetic["eval"]
        for way, fitted in fits.items():
            entry = {name: figures(apply(fitted, inputs(*s["eval"])),
                                   apply(fitted, inputs(*s["impacts"])), s["meta"])
                     for name, s in real.items()}
            entry["synthetic"] = np.mean((apply(fitted, inputs(x_t, peak_t, centroid_t)) >= 0.5)
                                         == y_t)
            entry["weights"] = np.array(list(fitted.as_dict().values()))
            rows.setdefault((short, way), []).append(entry)
        cv = grouped_cv(default, y_default, breaks, backgrounds)
        rows.setdefault((short, "default real set, grouped CV"), []).append(
            {"default": figures(cv, None, real["default"]["meta"])})
        print(f"scored {short} {seed}", file=sys.stderr, flush=True)
    print("mean over 5 seeds of exp-clipmean-nf; per real set: acc % / AUC / breaks found % / "
          "worst background FA % / birdsong FA % / real impacts tagged %; synthetic test acc %; "
          "weights logit, log1p peak, centroid, bias")
    for (short, way), entries in rows.items():
        line = f"{short:8s} {way:36s}"
        for name in SETS:
            if name in entries[0]:
                a = np.mean([e[name] for e in entries], axis=0)
                line += (f" | {name}: {100 * a[0]:5.1f} {a[1]:.3f} {100 * a[2]:5.1f} "
                         f"{100 * a[3]:5.1f} {100 * a[4]:5.1f} " +
                         ("    -" if np.isnan(a[5]) else f"{100 * a[5]:5.1f}"))
        if "synthetic" in entries[0]:
            line += (f" | syn {100 * np.mean([e['synthetic'] for e in entries]):5.1f} | w " +
                     " ".join(f"{v:.2f}" for v in np.mean([e["weights"] for e in entries], 0)))
        print(line)


if __name__ == "__main__":
    main()
