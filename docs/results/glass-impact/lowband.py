"""Why two of the default real set's five breaks are missed: their energy below 150 Hz.

Every mixture with a break in a study's real test set is made three ways, with the project's
mixer: as it is; with the break's part below 150 Hz removed (4th-order Butterworth high-pass,
zero phase) but the rest as loud as in the first (the same scale); and with the high-passed
break mixed at the recipe's EBR (its glass part then louder, since the EBR no longer counts the
low part). Each study's (c) models tag them through ``predict_waveform`` (what ``tag`` does);
printed: breaks found %, per break file, mean of seeds. A probe of the test audio, not a
change to any data set.

Usage (repository root):
  .venv/bin/python docs/results/glass-impact/lowband.py REAL_SET STUDY [STUDY ...]
"""
import glob
import json
import os
import sys

import numpy as np
from scipy.signal import butter, sosfiltfilt

from components.audio import mixing
from components.audio.audio_io import SAMPLE_RATE
from components.model import serving

CUT_HZ = 150.0


def mixtures(study, real_set, corpus_seed=2017):
    """(event file, [as is, low part removed, high-passed at its EBR]) per break mixture."""
    load = mixing.audio_loader(real_set, corpus_seed)
    sos = butter(4, CUT_HZ, "highpass", fs=SAMPLE_RATE, output="sos")

    recipes = [mixing.Recipe.from_json(line) for path in sorted(glob.glob(
        os.path.join(study, "data", "real-test", "recipes", "*.jsonl"))) for line in open(path)]
    recipes = [recipe for recipe in recipes if recipe.label]
    break_files = {recipe.event_uri for recipe in recipes}

    def high_passed(uri):
        audio = load(uri)
        return sosfiltfilt(sos, audio) if uri in break_files else audio

    out = []
    for recipe in recipes:
        as_is, _ = mixing.render(recipe, load)
        start = int(round(recipe.bg_offset_s * SAMPLE_RATE))
        bg = load(recipe.bg_uri)[start:start + int(round(recipe.duration_s * SAMPLE_RATE))]
        event, onset, scale = mixing._placed(mixing._event_fields(recipe), load, None, bg,
                                             recipe.bg_uri)
        same_level = mixing.mix(bg, sosfiltfilt(sos, event), onset, scale)
        at_ebr, _ = mixing.render(recipe, high_passed)
        out.append((recipe.event_uri, [as_is, same_level, at_ebr]))
    return out


def main(real_set, studies):
    import tensorflow as tf
    variants = ("as is", f"below {CUT_HZ:.0f} Hz removed, same level",
                "high-passed, at its EBR")
    for study in studies:
        clips = mixtures(study, real_set)
        names = np.array([name for name, _ in clips])
        result = json.load(open(os.path.join(study, "table1.json")))
        runs = next(r for r in result["rows"] if r["row"] == "parallel_low")["runs"]
        found = np.zeros((len(runs), len(variants), len(clips)))
        for k, run in enumerate(runs):
            path = run["run"] if os.path.isabs(run["run"]) else os.path.join(study, run["run"])
            model = tf.saved_model.load(path)
            for v in range(len(variants)):
                waves = np.stack([c[1][v] for c in clips]).astype(np.float32)
                found[k, v] = np.concatenate([
                    serving.call_signature(model, "predict_waveform", waves[i:i + 32])["decision"]
                    for i in range(0, len(waves), 32)])
        print(f"{study}, (c), breaks found %, mean of {len(runs)} seeds")
        for name in sorted(set(names)):
            cells = "  ".join(f"{variant} {100 * found[:, v, names == name].mean():5.1f}"
                              for v, variant in enumerate(variants))
            print(f"  {os.path.basename(name):32s} {cells}", flush=True)
        cells = "  ".join(f"{variant} {100 * found[:, v].mean():5.1f}"
                          for v, variant in enumerate(variants))
        print(f"  {'all breaks':32s} {cells}", flush=True)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2:])
