"""Throwaway: how saturated is the conv_nobn tagger at initialisation, per seed and input scale?
For each seed, the tagger (scratch, conv_nobn, 30 s) on 32 validation clips: conv_2's largest
output, its channels never positive, and how much lstm_1's output varies between clips (max over
channels of the std over clips of the time-mean)."""
import os, sys
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, os.getcwd())
import numpy as np, keras
from components.audio import examples
from components.model import tagger
FR = 2584
x, y, _ = examples.load_split("build/conv30s/data/target-val", "train", FR)
x = x[:32]
seeds = [int(s) for s in sys.argv[1].split(",")]
scales = [float(s) for s in sys.argv[2].split(",")]
for seed in seeds:
    keras.utils.set_random_seed(seed)
    model = tagger.build_tagger("scratch", seed=seed, frames=FR, front_end="conv_nobn")
    probe = keras.Model(model.input, [model.get_layer("conv_2").output, model.get_layer("lstm_1").output, model.output])
    row = []
    for scale in scales:
        c2, l1, out = probe.predict(x * scale, batch_size=8, verbose=0)
        dead = float(np.mean(c2.max(axis=(0, 1)) <= 0))
        spread = float((l1.mean(axis=1)).std(axis=0).max())
        row.append(f"x{scale:g}: conv2 max {c2.max():7.1f} dead {dead:.2f} lstm1 spread {spread:.2e} out {out.min():.3f}-{out.max():.3f}")
    print(f"seed {seed:4d} | " + " | ".join(row), flush=True)
