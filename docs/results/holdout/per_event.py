"""Breaks found per real event file (at the model's threshold 0.5, mean over seeds and EBRs) on
the default and the held-out real set, for network 1 of each model of a study.

Usage (repository root; about 3 min on 2 cores):
  .venv/bin/python docs/results/holdout/per_event.py build/real_audio build/real_audio_holdout \\
      build/exp-ensemble4 > docs/results/holdout/per_event.txt
"""
import dataclasses
import glob
import os
import runpy
import sys

import numpy as np

from components.audio import datasets, features, mixing
from pipeline import configs

HERE = os.path.dirname(os.path.abspath(__file__))
MEASURE = runpy.run_path(os.path.join(HERE, "measure.py"))


def clips_by_event(real_dir):
    config = dataclasses.replace(configs.get_config("quick"), real_audio=real_dir)
    job = config.data_jobs()["Real"]
    recipes = [r for r in datasets.plan_task(**job).recipes["eval"] if r.label]
    load = mixing.audio_loader(real_dir, job["corpus_seed"], cache_bytes=1 << 30)
    bands = features.mel_bands()
    x = np.stack([features.mfcc(mixing.render(r, load)[0].astype(np.float32), bands=bands)
                  for r in recipes])
    return x, np.array([os.path.basename(r.event_uri)[:-4] for r in recipes])


def main(default_dir, holdout_dir, study):
    sets = {name: clips_by_event(d) for name, d in (("default", default_dir),
                                                    ("holdout", holdout_dir))}
    for row, short in MEASURE["ROWS"]:
        found = {}
        for run_dir in sorted(glob.glob(os.path.join(study, "runs", f"s*-{row}"))):
            score, _ = MEASURE["keras_members"](os.path.join(run_dir, "model"))
            for name, (x, events) in sets.items():
                hit = score(x, 1) >= 0.5
                for event in sorted(set(events)):
                    found.setdefault((name, event), []).append(float(np.mean(hit[events == event])))
        for (name, event), values in found.items():
            print(f"{short:8s} {name:8s} {event:28s} found {100 * np.mean(values):5.1f} % "
                  f"(seeds: {' / '.join(f'{100 * v:.0f}' for v in values)})")


if __name__ == "__main__":
    main(*sys.argv[1:])
