"""Model-free probe: how well does a clip's strongest onset alone separate clips with a break
from clips without one? ROC AUC of the clip's peak onset strength (``features.onset_strength``
of its 20 MFCCs, past the padded frames), overall and within each background, on the synthetic
target test set, the default real set and the held-out real set (the TFRecords of
``measure.py``'s studies). No model, nothing fitted.

    .venv/bin/python docs/results/onset-strength/peak_probe.py SYNTHETIC_DIR REAL_DIR HELDOUT_DIR
"""
import sys

import numpy as np

from components.audio import examples, features
from components.model import localize
from components.model.training import roc_auc


def main(dirs):
    for name, folder in zip(("synthetic", "default real", "held-out real"), dirs):
        x, _, meta = examples.load_split(folder, "eval", 259, n_mfcc=20)
        peak = features.onset_strength(x[..., :features.N_MFCC])[:, localize.PADDED_FRAMES:].max(1)
        label = np.array([m.get("event_onset_s") is not None for m in meta], float)
        scene = np.array([m["scene"] for m in meta])
        within = {s: roc_auc(label[scene == s], peak[scene == s]) for s in sorted(set(scene))}
        print(f"{name}: AUC {roc_auc(label, peak):.3f}; within " + ", ".join(
            f"{s} {v:.2f}" for s, v in within.items()))


if __name__ == "__main__":
    main(sys.argv[1:4])
