"""The same models on the default real set and on the held-out real set (``real-audio --set
holdout``: 3 other real glass breaks, 7 other ambiences from 7 other packages), paired in one
session on one host.

Every choice of the project about real audio (corpus textures, decoys, clip_mean, site
thresholds, averaging trainings) was calibrated on the default set; the held-out set was built
after them and nothing is tuned on it. This measures what carries over.

Test clips: the pipeline's real branch exactly (``PipelineConfig.data_jobs()['Real']`` of the
quick profile with ``real_audio`` pointed at each set: every break at -6/0/+6 dB over 2 excerpts
of every background, and as many excerpts without a break; seed 3000), rendered in process with
``components.audio.mixing`` and MFCCs by ``components.audio.features.mfcc`` (equal to the served
graph's to ~1e-4). Per model at its threshold 0.5: accuracy, balanced accuracy (mean over
backgrounds of (found + quiet) / 2), AUC, false alarms per background, breaks found per EBR; and
with site thresholds (site-threshold/measure.py: threshold on one half of each background at
1 % false alarms, scored on the other half, folds swapped).

Models: a Table 1 study's scratch and (c) runs (with ``target_ensemble=4``: network 1 alone and
the mean of the 4) and, when given, the model ``make run`` pushed (waveform signature, as
``tag``). The results go to ``measure-<study folder name>.json`` beside this script.

Usage (repository root; on 2 cores shared with a study: 65 min for the 4-network study, 13 min
for a one-network one):
  .venv/bin/python docs/results/holdout/measure.py build/real_audio build/real_audio_holdout \\
      build/exp-ensemble4 [build/serving/glassbreak_tagger] \\
      > docs/results/holdout/measure-exp-ensemble4.txt
"""
import dataclasses
import glob
import json
import os
import runpy
import sys

import numpy as np

from components.audio import datasets, mixing
from components.model import serving, tagger
from components.model.training import roc_auc
from pipeline import configs

HERE = os.path.dirname(os.path.abspath(__file__))
SITE = runpy.run_path(os.path.join(HERE, "..", "site-threshold", "measure.py"))
ROWS = (("scratch_limited", "scratch"), ("parallel_low", "(c)"))


def render_real_set(real_dir):
    """The recipes and mixtures (float32) of the pipeline's real test set on ``real_dir``."""
    config = dataclasses.replace(configs.get_config("quick"), real_audio=real_dir)
    job = config.data_jobs()["Real"]
    recipes = datasets.plan_task(**job).recipes["eval"]
    load = mixing.audio_loader(real_dir, job["corpus_seed"], cache_bytes=1 << 30)
    return recipes, np.stack([mixing.render(r, load)[0].astype(np.float32) for r in recipes])


def real_clips(real_dir):
    """Mixtures, MFCCs, labels, background names and EBRs of the pipeline's real test set."""
    recipes, waves = render_real_set(real_dir)
    return (waves, SITE["mfccs"](waves), np.array([int(r.label) for r in recipes]),
            np.array([r.bg_scene for r in recipes]),
            np.array([r.ebr_db if r.event_uri else np.nan for r in recipes], dtype=float))


def figures(p, y, bgs, ebrs):
    hit = p >= 0.5
    per_bg = {b: float(np.mean(hit[(bgs == b) & (y == 0)])) for b in sorted(set(bgs))}
    found_bg = {b: float(np.mean(hit[(bgs == b) & (y == 1)])) for b in sorted(set(bgs))}
    return {"accuracy": float(np.mean(hit == y)), "auc": roc_auc(y, p),
            "balanced": float(np.mean([(found_bg[b] + 1 - per_bg[b]) / 2 for b in per_bg])),
            "false_alarms": float(np.mean(hit[y == 0])), "false_alarms_per_background": per_bg,
            "found_per_ebr": {str(e): float(np.mean(hit[ebrs == e]))
                              for e in sorted(set(ebrs[y == 1]))}}


def site_figures(folds, cal, test):
    rows = SITE["background_rows"](folds, list(zip(cal, test)), SITE["site_rule"])
    return {"site_balanced": SITE["balanced_accuracy"](rows),
            "site_false_alarms": {k: r["false_alarms"] for k, r in rows.items()},
            "site_found": {k: r["found"] for k, r in rows.items()}}


def keras_members(model_dir):
    """``score(inputs, size)``: the mean probability of the model's first ``size`` networks
    (each network's probabilities computed once per input array), and the number of networks."""
    network = serving.load_keras_tagger(os.path.join(model_dir, "Format-Serving"))
    members = tagger.members_of(network)
    cache = {}

    def member_p(inputs, k):
        key = (id(inputs), k)
        if key not in cache:
            cache[key] = np.concatenate([np.asarray(members[k](inputs[i:i + 64], training=False))
                                         .reshape(-1) for i in range(0, len(inputs), 64)])
        return cache[key]

    def score(inputs, size):
        return np.mean([member_p(inputs, k) for k in range(size)], axis=0)
    return score, len(members)


def main(default_dir, holdout_dir, study, pushed=None):
    sets = {}
    for name, real_dir in (("default", default_dir), ("holdout", holdout_dir)):
        waves, x, y, bgs, ebrs = real_clips(real_dir)
        folds = SITE["site_folds"](real_dir)
        sets[name] = (waves, x, y, bgs, ebrs, folds)
        print(f"{name}: {len(y)} clips ({int(y.sum())} with a break), backgrounds "
              f"{', '.join(sorted(set(bgs)))}", file=sys.stderr, flush=True)
    site_inputs = {name: ([SITE["mfccs"](f[1]) for f in folds],
                          [SITE["mfccs"](f[2]) for f in folds])
                   for name, (*_, folds) in sets.items()}
    results = {}
    for row, short in ROWS:
        for run_dir in sorted(glob.glob(os.path.join(study, "runs", f"s*-{row}"))):
            seed = os.path.basename(run_dir).split("-")[0]
            score, networks = keras_members(os.path.join(run_dir, "model"))
            for size in sorted({1, networks}):
                for name, (_, x, y, bgs, ebrs, folds) in sets.items():
                    cal_x, test_x = site_inputs[name]
                    entry = figures(score(x, size), y, bgs, ebrs)
                    entry.update(site_figures(folds, [score(c, size) for c in cal_x],
                                              [score(t, size) for t in test_x]))
                    results.setdefault(f"{short} x{size}", {}).setdefault(name, {})[seed] = entry
            print(f"scored {row} {seed}", file=sys.stderr, flush=True)
    if pushed:
        version = max((d for d in os.listdir(pushed) if d.isdigit()), key=int)
        scorer = SITE["Scorer"](os.path.join(pushed, version))
        for name, (waves, _, y, bgs, ebrs, folds) in sets.items():
            entry = figures(scorer(waves), y, bgs, ebrs)
            entry.update(site_figures(folds, [scorer(f[1]) for f in folds],
                                      [scorer(f[2]) for f in folds]))
            results.setdefault("pushed (make run)", {}).setdefault(name, {})["run"] = entry
        print("scored the pushed model", file=sys.stderr, flush=True)
    name = os.path.basename(os.path.normpath(study))
    with open(os.path.join(HERE, f"measure-{name}.json"), "w") as handle:
        json.dump(results, handle, indent=1, sort_keys=True)
    report(results)


def _mean(entries, key, scale=100):
    return scale * float(np.mean([e[key] for e in entries.values()]))


def report(results):
    print("model              set      accuracy balanced  AUC   FA@0.5 | site-threshold balanced")
    for model, sets in results.items():
        for name, seeds in sets.items():
            print(f"{model:18s} {name:8s} {_mean(seeds, 'accuracy'):6.1f} %  "
                  f"{_mean(seeds, 'balanced'):5.1f} %  {_mean(seeds, 'auc', 1):.3f} "
                  f"{_mean(seeds, 'false_alarms'):5.1f} % | {_mean(seeds, 'site_balanced'):5.1f} %"
                  f"   (n={len(seeds)})")
    print()
    print("False alarms per background at 0.5 / with the site threshold; breaks found per EBR "
          "at 0.5 (mean over seeds):")
    for model, sets in results.items():
        for name, seeds in sets.items():
            first = next(iter(seeds.values()))

            def mean(key, inner):
                return 100 * np.mean([s[key][inner] for s in seeds.values()])
            alarms = ", ".join(f"{b} {mean('false_alarms_per_background', b):.0f}/"
                               f"{mean('site_false_alarms', b):.0f}"
                               for b in first["false_alarms_per_background"])
            found = ", ".join(f"{e} dB {mean('found_per_ebr', e):.0f}"
                              for e in first["found_per_ebr"])
            print(f"{model:18s} {name:8s} FA % {alarms}; found % {found}")


if __name__ == "__main__":
    main(*sys.argv[1:])
