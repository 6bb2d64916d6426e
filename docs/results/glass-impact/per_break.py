"""Which real glass breaks the models find: per break file, the share of its mixtures in a
study's real test set that each row's models tag (the served answer: the onset fusion through
``serving_default``, as the study scores them), mean over seeds; and, per break, the share of
its energy below 100 Hz and 1 kHz.

Usage (repository root):
  .venv/bin/python docs/results/glass-impact/per_break.py REAL_SET STUDY [STUDY ...]
"""
import glob
import json
import os
import sys

import numpy as np
import soundfile

from components.audio import examples
from pipeline import configs, experiments

ROWS = (("scratch_limited", "scratch"), ("parallel_low", "(c)"))


def energy_share_below(path, hz):
    """The share of a file's energy below ``hz``."""
    audio, rate = soundfile.read(path)
    power = np.abs(np.fft.rfft(audio)) ** 2
    return float(power[np.fft.rfftfreq(len(audio), 1.0 / rate) < hz].sum() / power.sum())


def break_of_clip(study):
    """mixture id -> event file of every clip with a break in the study's real test set."""
    found = {}
    for path in glob.glob(os.path.join(study, "data", "real-test", "recipes", "*.jsonl")):
        for line in open(path):
            recipe = json.loads(line)
            if recipe["label"]:
                found[recipe["mixture_id"]] = recipe["event_uri"]
    return found


def main(real_set, studies):
    import tensorflow as tf
    frames = configs.get_config("quick").frames
    for study in studies:
        x, y, meta = examples.load_split(os.path.join(study, "data", "real-test"), "eval",
                                         frames, n_mfcc=20)
        breaks = break_of_clip(study)
        event = np.array([breaks.get(m["mixture_id"], "") for m in meta])
        names = sorted(set(event) - {""})
        result = json.load(open(os.path.join(study, "table1.json")))
        print(f"{study}: breaks found %, mean of seeds (share of the break's energy below "
              f"100 Hz / 1 kHz)")
        for row, label in ROWS:
            runs = next(r for r in result["rows"] if r["row"] == row)["runs"]
            found = {name: [] for name in names}
            for run in runs:
                path = run["run"] if os.path.isabs(run["run"]) else os.path.join(study, run["run"])
                decisions = experiments._loaded_outputs(tf.saved_model.load(path), x, meta,
                                                        network_too=False)[0]["decision"]
                for name in names:
                    found[name].append(float(np.mean(decisions[(event == name) & (y == 1)])))
            for name in names:
                audio = os.path.join(real_set, name)
                print(f"  {label:8s} {os.path.basename(name):32s} {100 * np.mean(found[name]):5.1f}"
                      f"  per seed {np.round(100 * np.array(found[name])).astype(int).tolist()}"
                      f"  ({100 * energy_share_below(audio, 100):4.1f} % / "
                      f"{100 * energy_share_below(audio, 1000):4.1f} %)", flush=True)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2:])
