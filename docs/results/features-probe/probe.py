"""Does the MFCC's truncation to 20 coefficients cost the real recordings? A probe before any
plumbing: the quick profile's from-scratch row (36 target clips of 3 s, 60 epochs, batch 16,
RMSprop 0.001, model seed 8, the pipeline's target recipes for data seeds 1-5) trained on the
first 20, 40 or all 128 DCT coefficients of the same log-mel spectrogram (128 coefficients: the
log-mel itself up to an orthonormal rotation), scored on the synthetic test clips (200, eval seed
1000) and on the real set (`make real-audio`, the pipeline's real recipes). In-memory arrays
(`training.train_stage`), so the n=20 row is this probe's own control, not the pipeline's models.

Usage (from the repository root): .venv/bin/python docs/results/features-probe/probe.py [seeds]
"""
import collections
import json
import sys

import numpy as np
from sklearn.metrics import roc_auc_score

from components.audio import datasets, features, mixing
from components.model import training

VARIANTS = (20, 40, 128)


def render_all(plan, split):
    load = mixing.audio_loader(plan.data.data_root, 2017, cache_bytes=200 * 2 ** 20)
    bands = features.mel_bands()
    x, y, scenes = [], [], []
    for recipe in plan.recipes[split]:
        audio, _ = mixing.render(recipe, load)
        x.append(features.mfcc(audio, n_mfcc=128, bands=bands))
        y.append(recipe.label)
        scenes.append(recipe.bg_scene)
    return np.stack(x), np.array(y), np.array(scenes)


def scores(model, x):
    return np.asarray(model.predict(x, batch_size=64, verbose=0))[:, 0]


def summary(p, y, scenes=None):
    out = {"accuracy": float(np.mean((p >= 0.5) == y)), "auc": float(roc_auc_score(y, p))}
    if scenes is not None:
        out["false_alarms"] = float(np.mean(p[y == 0] >= 0.5))
        for scene in sorted(set(scenes)):
            m = scenes == scene
            out[f"fa:{scene}"] = float(np.mean(p[m & (y == 0)] >= 0.5))
            out[f"auc:{scene}"] = float(roc_auc_score(y[m], p[m]))
    return out


def main(n_seeds):
    real_plan = datasets.plan_task("real", "build/real_audio", 2017, 0, 0, 0, 3000, 3.0,
                                   excerpts=2)
    x_real, y_real, s_real = render_all(real_plan, "eval")
    results = collections.defaultdict(list)
    for seed in range(1, n_seeds + 1):
        plan = datasets.plan_task("target", "embedded", 2017, 36, 200, seed + 1, 1000, 3.0,
                                  classes="glassbreak", paired_data="embedded")
        x_train, y_train, _ = render_all(plan, "train")
        if seed == 1:
            x_eval, y_eval, _ = render_all(plan, "eval")
        for n in VARIANTS:
            config = training.StageConfig(method="scratch", epochs=60, batch_size=16, seed=8,
                                          validation_freq=0)
            model = training.train_stage(x_train[..., :n], y_train, None, None, config,
                                         label=f"n={n} seed {seed}")["model"]
            row = {"seed": seed,
                   "synthetic": summary(scores(model, x_eval[..., :n]), y_eval),
                   "real": summary(scores(model, x_real[..., :n]), y_real, s_real)}
            results[n].append(row)
            print(f"n={n:3d} seed {seed}: synthetic {100 * row['synthetic']['accuracy']:.1f} %, "
                  f"real {100 * row['real']['accuracy']:.1f} %, AUC {row['real']['auc']:.3f}, "
                  f"false alarms {100 * row['real']['false_alarms']:.0f} %", flush=True)
    print("\n| coefficients | synthetic % | real % | real AUC | real false alarms % | AUC within "
          "birdsong / crowd / rain / street / wind |\n| --- | --- | --- | --- | --- | --- |")
    for n in VARIANTS:
        rows = results[n]
        mean = lambda f: np.mean([f(r) for r in rows])
        within = " / ".join(f"{mean(lambda r: r['real'][f'auc:{s}']):.2f}"
                            for s in ("birdsong", "crowd", "rain", "street", "wind"))
        print(f"| {n} | {100 * mean(lambda r: r['synthetic']['accuracy']):.1f} | "
              f"{100 * mean(lambda r: r['real']['accuracy']):.1f} ("
              + " / ".join(f"{100 * r['real']['accuracy']:.1f}" for r in rows) + ") | "
              f"{mean(lambda r: r['real']['auc']):.3f} ("
              + " / ".join(f"{r['real']['auc']:.3f}" for r in rows) + ") | "
              f"{100 * mean(lambda r: r['real']['false_alarms']):.1f} | {within} |")
    json.dump(results, open("docs/results/features-probe/probe.json", "w"), indent=1)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 5)
