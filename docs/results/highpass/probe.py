"""Before training anything: the bird-song study's (c) models on mixtures high-passed whole.

Every clip of a study's test set (``data/<set>/recipes``) is mixed again with the project's
mixer and, for each cut-off, filtered by a 4th-order Butterworth high-pass (zero phase) before
the models tag it through ``predict_waveform`` (what ``tag`` does; 0 Hz: as it is). The models
were trained on the whole spectrum, so this is a mismatch on purpose: it asks whether the band
below the cut-off helps or hurts them. Printed per cut-off, mean of seeds: accuracy, ROC AUC,
birdsong false alarms and breaks found.

Usage (repository root):
  .venv/bin/python docs/results/highpass/probe.py STUDY SET DATA_ROOT [CUT_HZ ...]
  e.g. build/exp-bird real-test build/real_audio 0 100 150 300
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
from components.model.training import roc_auc


def main(study, test_set, data_root, cuts):
    import tensorflow as tf
    recipes = [mixing.Recipe.from_json(line) for path in sorted(glob.glob(
        os.path.join(study, "data", test_set, "recipes", "*.jsonl"))) for line in open(path)]
    load = mixing.audio_loader(data_root, 2017)
    clips = np.stack([mixing.render(recipe, load)[0] for recipe in recipes]).astype(np.float32)
    labels = np.array([recipe.label for recipe in recipes])
    birdsong = np.array([recipe.bg_scene == "birdsong" for recipe in recipes]) & (labels == 0)
    result = json.load(open(os.path.join(study, "table1.json")))
    runs = next(r for r in result["rows"] if r["row"] == "parallel_low")["runs"]
    models = [tf.saved_model.load(run["run"] if os.path.isabs(run["run"])
                                  else os.path.join(study, run["run"])) for run in runs]
    print(f"{study}, {test_set} ({len(recipes)} clips), (c), mean of {len(models)} seeds")
    for cut in cuts:
        waves = clips if cut == 0 else sosfiltfilt(butter(
            4, cut, "highpass", fs=SAMPLE_RATE, output="sos"), clips, axis=1).astype(np.float32)
        figures = []
        for model in models:
            outputs = [serving.call_signature(model, "predict_waveform", waves[i:i + 50])
                       for i in range(0, len(waves), 50)]
            p = np.concatenate([o["probability"] for o in outputs])
            d = np.concatenate([o["decision"] for o in outputs])
            figures.append((np.mean(d == labels), roc_auc(labels, p),
                            np.mean(d[birdsong]) if birdsong.any() else np.nan,
                            np.mean(d[labels == 1])))
        accuracy, auc, birds, found = np.mean(figures, axis=0)
        per_seed = [round(100 * f[0], 1) for f in figures]
        print(f"  high-pass {cut:4.0f} Hz: accuracy {100 * accuracy:5.1f} %  AUC {auc:.3f}  "
              f"birdsong false alarms {100 * birds:5.1f} %  breaks found {100 * found:5.1f} %"
              f"  (accuracy per seed {per_seed})", flush=True)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3], [float(c) for c in sys.argv[4:]] or [0.0])
