"""Per-background AUC and score medians of trained Keras taggers on a table1 experiment's real-test set
(quick profile, 259 frames).
Usage, from the repository root: .venv/bin/python docs/results/clipmean-quick/per_background.py EXP_DIR RUN [RUN...]
(RUN: a folder under EXP_DIR/runs, e.g. s0-parallel_low)."""
import os, sys
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, os.getcwd())
import numpy as np, keras
from sklearn.metrics import roc_auc_score
from components.audio import examples
from components.model import tagger  # registers layers
exp = sys.argv[1]
x, y, meta = examples.load_split(f"{exp}/data/real-test", "eval", 259)
bgs = np.array([m["scene"] for m in meta])
for run in sys.argv[2:]:
    model = keras.models.load_model(f"{exp}/runs/{run}/model/Format-Keras/tagger.keras")
    p = model.predict(x, verbose=0).ravel()
    print(run, "overall AUC %.3f" % roc_auc_score(y, p))
    for b in sorted(set(bgs)):
        m = bgs == b
        print("  %-10s AUC %.3f  neg median %.3f  pos median %.3f" % (b, roc_auc_score(y[m], p[m]), np.median(p[m & (y == 0)]), np.median(p[m & (y == 1)])))
