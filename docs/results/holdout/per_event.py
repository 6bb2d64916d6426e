"""Breaks found per real event file (at the model's threshold 0.5, mean over seeds and EBRs) on
the default and the held-out real set, for network 1 of each model of a study.

Usage (repository root; about 3 min on 2 cores):
  .venv/bin/python docs/results/holdout/per_event.py build/real_audio build/real_audio_holdout \\
      build/exp-ensemble4 > docs/results/holdout/per_event.txt
"""
import glob
import os
import runpy
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
MEASURE = runpy.run_path(os.path.join(HERE, "measure.py"))


def clips_by_event(real_dir):
    """MFCCs of the real test set's clips with a break, and each one's event file stem."""
    recipes, waves = MEASURE["render_real_set"](real_dir)
    with_event = np.array([bool(r.label) for r in recipes])
    return (MEASURE["SITE"]["mfccs"](waves[with_event]),
            np.array([os.path.basename(r.event_uri)[:-4] for r in recipes if r.label]))


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
