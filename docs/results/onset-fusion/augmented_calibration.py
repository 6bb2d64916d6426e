"""The calibration split through a recording chain: does fitting the onset fusion on augmented
calibration clips (the product's training augmentation, ``augmentation.augment_recipes`` with
``calibration_seed``: room reverb, muffled events, tilt, band limits, level) help the darker and
band-limited real breaks? Plain (the product), augmented, and both (800 clips), fitted the
product's way for the 5 scratch and (c) models of build/exp-clipmean-nf, scored on both real
sets and the synthetic test set. Output: augmented_calibration.txt beside this script.
Usage (repository root, ~11 min):
  .venv/bin/python docs/results/onset-fusion/augmented_calibration.py \
      > docs/results/onset-fusion/augmented_calibration.txt
"""
import os, runpy, sys, numpy as np
from components.audio import augmentation, datasets, mixing
from components.model import fusion
from pipeline import configs
F = runpy.run_path("docs/results/onset-fusion/measure.py")
M = F["MEASURE"]
config = configs.get_config("quick", onset_fusion=1)
plan = datasets.plan_task(**dict(config.data_jobs()["Target"], train_clips=0))
load = mixing.audio_loader(plan.data.data_root, config.corpus_seed, cache_bytes=1 << 30)
def render(recipes):
    w = np.stack([mixing.render(r, load)[0].astype(np.float32) for r in recipes])
    return (*F["with_descriptors"](w), np.array([r.label for r in recipes]))
cal = plan.recipes["calibration"]
splits = {"plain": render(cal), "augmented": render(augmentation.augment_recipes(cal, config.calibration_seed)),
          "test": render(plan.recipes["eval"])}
real = {"default": F["real_set"]("build/real_audio"), "held out": F["real_set"]("build/real_audio_holdout")}
print("rendered", file=sys.stderr, flush=True)
res = {}
for name, short, seed, score in M["study_models"](["build/exp-clipmean-nf"]):
    for way in ("plain", "augmented", "plain+augmented"):
        parts = [splits[w] for w in way.split("+")]
        x = np.concatenate([p[0] for p in parts]); pk = np.concatenate([p[1] for p in parts])
        ce = np.concatenate([p[2] for p in parts]); y = np.concatenate([p[3] for p in parts])
        fit = fusion.fit_fusion(score(x, 1), pk, ce, y)
        xt, pt_, ct, yt = splits["test"]
        r = {"syn": float(np.mean((fusion.fused_probability(fit, score(xt, 1), pt_, ct) >= .5) == yt)),
             "w": [fit.w_logit, fit.w_peak, fit.w_centroid, fit.bias]}
        for sn, s in real.items():
            r[sn] = F["real_figures"](fusion.fused_probability(fit, score(s["eval"][0], 1), *s["eval"][1:]),
                                      fusion.fused_probability(fit, score(s["impacts"][0], 1), *s["impacts"][1:]), s)
        res.setdefault((short, way), []).append(r)
    print("scored", short, seed, file=sys.stderr, flush=True)
print("calibration split plain / augmented (the product's training augmentation) / both; 5 seeds of exp-clipmean-nf")
print("acc % / AUC / FA % / worst background FA / impacts FA %")
for (short, way), rows in res.items():
    line = f"{short:8s} {way:16s} syn {100*np.mean([r['syn'] for r in rows]):5.1f} "
    for sn in ("default", "held out"):
        per = {}
        for r in rows:
            for b, v in r[sn]["false_alarms_per_background"].items(): per.setdefault(b, []).append(v)
        worst = max(per, key=lambda b: np.mean(per[b]))
        line += (f"| {sn}: {100*np.mean([r[sn]['accuracy'] for r in rows]):5.1f} {np.mean([r[sn]['auc'] for r in rows]):.3f} "
                 f"FA {100*np.mean([r[sn]['false_alarms'] for r in rows]):4.1f} {worst} {100*np.mean(per[worst]):4.1f} "
                 f"imp {100*np.mean([r[sn]['impact_false_alarms'] for r in rows]):4.1f} ")
    print(line + "w " + " ".join(f"{v:.2f}" for v in np.mean([r['w'] for r in rows], axis=0)))
