"""The product's onset fusion (``onset_fusion=1``) on both real sets, per model of a Table 1 study
and for a model a pipeline run pushed.

For every scratch and (c) model of the studies (Keras copies, every seed), exactly what a target
Trainer with ``onset_fusion=1`` does (components/tfx/trainer_stage.py ``fit_onset_fusion``): the
quick profile's ``calibration`` split (``calibration_clips`` 400 mixtures of the corpus's
*training* recordings, ``calibration_seed`` 4242; not the synthetic test set, not any real
clip) scored by the network; the clip's peak onset strength and the centroid after it
(``components.audio.onset``); the fusion fitted by ``components.model.fusion.fit_fusion``.
Then scored, nothing refitted, on:

- both real sets (``eval`` clips and impacts; issue 9's figures, false alarms per background,
  false alarms on real impacts, AUC of breaks against impacts), network alone and fused;
- the quick profile's synthetic target test set (200 clips; measured, not fitted on).

With ``--pushed DIR`` (a serving folder such as ``build/run-fusion/serving/glassbreak_tagger``)
the latest version is scored through its ``predict_waveform`` signature (the fusion computed in
the served graph from the waveform) on both real sets: the end-to-end check.

Results to ``measure.json`` beside this script, a table to standard output.

Usage (repository root):
  .venv/bin/python docs/results/onset-fusion/measure.py build/real_audio \\
      build/real_audio_holdout build/exp-clipmean-nf [more studies] \\
      [--pushed build/run-fusion/serving/glassbreak_tagger] > docs/results/onset-fusion/measure.txt
"""
import dataclasses
import json
import os
import runpy
import sys

import numpy as np

from components.audio import datasets, mixing, onset
from components.model import fusion
from components.model.training import roc_auc
from pipeline import configs

HERE = os.path.dirname(os.path.abspath(__file__))
MEASURE = runpy.run_path(os.path.join(HERE, "..", "real-impacts", "measure.py"))
SITE = MEASURE["SITE"]


def with_descriptors(waves):
    """MFCCs, peak onset strengths and centroids (kHz) of a batch of clips, as the Beam job."""
    x = SITE["mfccs"](waves)
    peak, centroid = zip(*(onset.descriptors(w, m) for w, m in zip(waves, x)))
    return x, np.array(peak), np.array(centroid)


def synthetic_splits():
    """The quick profile's target ``calibration`` and ``eval`` splits as the pipeline draws them
    with ``onset_fusion=1`` (no training split: the study models have theirs)."""
    config = configs.get_config("quick", onset_fusion=1)
    job = dict(config.data_jobs()["Target"], train_clips=0)
    plan = datasets.plan_task(**job)
    load = mixing.audio_loader(plan.data.data_root, config.corpus_seed, cache_bytes=1 << 30)
    out = {}
    for split in ("calibration", "eval"):
        recipes = plan.recipes[split]
        waves = np.stack([mixing.render(r, load)[0].astype(np.float32) for r in recipes])
        out[split] = (*with_descriptors(waves), np.array([r.label for r in recipes]))
    return out


def real_set(real_dir):
    splits = MEASURE["render"](real_dir)
    (rec_eval, w_eval), (rec_imp, w_imp) = splits["eval"], splits["impacts"]
    return {"eval": with_descriptors(w_eval), "impacts": with_descriptors(w_imp),
            "waves": (w_eval, w_imp),
            "meta": (np.array([r.label for r in rec_eval]), np.array([r.bg_scene for r in rec_eval]),
                     np.array([r.impact["event_class"] for r in rec_imp]),
                     np.array([r.impact["ebr_db"] for r in rec_imp]),
                     np.array([r.bg_scene for r in rec_imp]))}


def real_figures(p_eval, p_imp, s):
    f = MEASURE["figures"](p_eval, p_imp, *s["meta"])
    return {k: f[k] for k in ("accuracy", "auc", "false_alarms", "false_alarms_per_background",
                              "impact_false_alarms", "impact_false_alarms_per_kind",
                              "auc_breaks_vs_impacts", "accuracy_with_impacts")}


def synthetic_figures(p, y):
    return {"accuracy": float(np.mean((p >= 0.5) == y)), "auc": roc_auc(y, p)}


def line(entries, key):
    """Mean over seeds of one way: acc % / AUC / FA % / worst background FA % / impacts FA %."""
    rows = [e[key] for e in entries]
    worst = [max(r["false_alarms_per_background"].values()) for r in rows]
    return (f"{100 * np.mean([r['accuracy'] for r in rows]):5.1f} "
            f"{np.mean([r['auc'] for r in rows]):.3f} "
            f"{100 * np.mean([r['false_alarms'] for r in rows]):5.1f} "
            f"{100 * np.mean(worst):5.1f} "
            f"{100 * np.mean([r['impact_false_alarms'] for r in rows]):5.1f}")


def main(argv):
    pushed = None
    if "--pushed" in argv:
        at = argv.index("--pushed")
        pushed, argv = argv[at + 1], argv[:at] + argv[at + 2:]
    default_dir, holdout_dir, *studies = argv
    synthetic = synthetic_splits()
    real = {"default": real_set(default_dir), "held out": real_set(holdout_dir)}
    print(f"calibration {len(synthetic['calibration'][3])} clips, synthetic test "
          f"{len(synthetic['eval'][3])}", file=sys.stderr, flush=True)
    results = {}
    for name, short, seed, score in MEASURE["study_models"](studies):
        x_cal, peak_cal, centroid_cal, y_cal = synthetic["calibration"]
        fitted = fusion.fit_fusion(score(x_cal, 1), peak_cal, centroid_cal, y_cal)
        entry = {"weights": fitted.as_dict()}
        x_t, peak_t, centroid_t, y_t = synthetic["eval"]
        p_t = score(x_t, 1)
        entry["synthetic test, network"] = synthetic_figures(p_t, y_t)
        entry["synthetic test, fused"] = synthetic_figures(
            fusion.fused_probability(fitted, p_t, peak_t, centroid_t), y_t)
        for set_name, s in real.items():
            p_e, p_i = score(s["eval"][0], 1), score(s["impacts"][0], 1)
            entry[f"{set_name}, network"] = real_figures(p_e, p_i, s)
            entry[f"{set_name}, fused"] = real_figures(
                fusion.fused_probability(fitted, p_e, *s["eval"][1:]),
                fusion.fused_probability(fitted, p_i, *s["impacts"][1:]), s)
        results.setdefault(f"{name} {short}", {})[seed] = entry
        print(f"scored {name} {short} {seed}", file=sys.stderr, flush=True)
    if pushed:
        version = max((d for d in os.listdir(pushed) if d.isdigit()), key=int)
        scorer = SITE["Scorer"](os.path.join(pushed, version))
        results["pushed"] = {version: {
            f"{set_name}, fused": real_figures(scorer(s["waves"][0]), scorer(s["waves"][1]), s)
            for set_name, s in real.items()}}
    with open(os.path.join(HERE, "measure.json"), "w") as handle:
        json.dump(results, handle, indent=1, sort_keys=True)
    print("fusion fitted on the calibration split only (400 synthetic clips); mean over seeds;\n"
          "acc % / AUC / FA ambience % / worst background FA % / FA real impacts %")
    for model, seeds in results.items():
        ways = next(iter(seeds.values()))
        for way in ways:
            if way == "weights" or way.startswith("synthetic"):
                continue
            print(f"{model:24s} n={len(seeds)} {way:20s} {line(seeds.values(), way)}")
    print("\nper background, false alarms % (mean over seeds), fused:")
    for model, seeds in results.items():
        for way in [w for w in next(iter(seeds.values())) if w.endswith("fused")
                    and not w.startswith("synthetic")]:
            per = {}
            for e in seeds.values():
                for b, v in e[way]["false_alarms_per_background"].items():
                    per.setdefault(b, []).append(v)
            print(f"{model:24s} {way:20s} " + ", ".join(
                f"{b} {100 * np.mean(v):.0f}" for b, v in per.items()))
    print("\nsynthetic test set (measured, not fitted on): accuracy % / AUC")
    for model, seeds in results.items():
        for way in ("synthetic test, network", "synthetic test, fused"):
            rows = [e[way] for e in seeds.values() if way in e]
            if rows:
                print(f"{model:24s} {way:24s} {100 * np.mean([r['accuracy'] for r in rows]):5.1f} "
                      f"{np.mean([r['auc'] for r in rows]):.3f}")
    print("\nweights (mean over seeds): logit, log1p peak, centroid/kHz, bias")
    for model, seeds in results.items():
        rows = [e["weights"] for e in seeds.values() if "weights" in e]
        if rows:
            print(f"{model:24s} " + " ".join(
                f"{np.mean([r[k] for r in rows]):6.2f}"
                for k in ("w_logit", "w_peak", "w_centroid", "bias")))


if __name__ == "__main__":
    main(sys.argv[1:])
