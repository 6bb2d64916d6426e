"""Analysis, not in the product: a logistic regression of (the tagger's logit, log(1 + the clip's
peak onset strength)) fitted per model on the default real set (issue 9's calibration set), then
scored on the synthetic test set, the default real set (where it was fitted: optimistic) and the
held-out real set. Asks: what would leaning on "the sharpest onset" buy on real audio, and what
would it cost where the corpus has impulsive distractors (door slams, clinks, keys)?

    .venv/bin/python docs/results/onset-strength/fusion_probe.py STUDY SYNTHETIC_DIR REAL_DIR HELDOUT_DIR
"""
import os
import sys

import numpy as np
import tensorflow as tf
from sklearn.linear_model import LogisticRegression

from components.audio import examples, features
from components.model import localize, serving
from components.model.training import roc_auc

ROWS = ("scratch_limited", "parallel_low")


def main(study, dirs):
    sets = {n: examples.load_split(d, "eval", 259, n_mfcc=20)
            for n, d in zip(("synthetic", "default real", "held-out real"), dirs)}
    peak = {n: np.log1p(features.onset_strength(x[..., :features.N_MFCC])
                        [:, localize.PADDED_FRAMES:].max(1)) for n, (x, _, _) in sets.items()}
    label = {n: np.array([m.get("event_onset_s") is not None for m in meta], float)
             for n, (_, _, meta) in sets.items()}
    results = {}
    for k in range(5):
        for row in ROWS:
            loaded = tf.saved_model.load(os.path.join(study, "runs", f"s{k}-{row}", "model",
                                                      "Format-Serving"))
            logit = {}
            for n, (x, _, _) in sets.items():
                p = np.concatenate([serving.call_signature(loaded, "predict_mfcc", x[i:i + 64])
                                    ["probability"] for i in range(0, len(x), 64)])
                p = np.clip(p, 1e-6, 1 - 1e-6)
                logit[n] = np.log(p / (1 - p))
            both = {n: np.stack([logit[n], peak[n]], 1) for n in sets}
            fit = LogisticRegression().fit(both["default real"], label["default real"])
            print(f"seed {k + 1} {row}: weights tagger logit {fit.coef_[0][0]:.2f}, log peak "
                  f"{fit.coef_[0][1]:.2f}, bias {fit.intercept_[0]:.2f}")
            for n in sets:
                fused, y = fit.decision_function(both[n]), label[n]
                results.setdefault((row, n), []).append(
                    (roc_auc(y, logit[n]), np.mean((logit[n] >= 0) == y),
                     np.mean(logit[n][y == 0] >= 0), roc_auc(y, fused), np.mean((fused >= 0) == y),
                     np.mean(fused[y == 0] >= 0)))
    print("\n| model | set | tagger AUC / acc. % / FA % | fused AUC / acc. % / FA % |\n"
          "| --- | --- | --- | --- |")
    for (row, n), values in results.items():
        m = np.mean(values, axis=0)
        print(f"| {row} | {n} | {m[0]:.3f} / {100 * m[1]:.1f} / {100 * m[2]:.1f} | "
              f"{m[3]:.3f} / {100 * m[4]:.1f} / {100 * m[5]:.1f} |")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2:5])
