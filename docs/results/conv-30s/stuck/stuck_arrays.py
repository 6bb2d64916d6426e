"""One-off: the seed-3 scratch model of paper_cpu's Table 1 (conv_nobn, model seed 208, seed 3's
36 clips) trained on arrays with Keras' shuffling: stuck as in the pipeline, or not? Logs conv_2's
largest output and lstm_1's spread between clips as it trains; VALIDATION set only.
Usage: stuck_arrays.py MODEL_SEED TRAIN_DATA_DIR [INPUT_SCALE [RMSPROP_OPTION=VALUE]]"""
import os, sys
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, os.getcwd())
import numpy as np, keras
from components.audio import examples
from components.model import tagger, training
FR = 2584
seed = int(sys.argv[1]) if len(sys.argv) > 1 else 208
data = sys.argv[2] if len(sys.argv) > 2 else "build/t1-seed3/data/target-limited-s2"
xt, yt, _ = examples.load_split(data, "train", FR)
scale = float(sys.argv[3]) if len(sys.argv) > 3 else 1.0
xv, yv, _ = examples.load_split("build/conv30s/data/target-val", "train", FR)
xt, xv = xt * scale, xv * scale
training.seed_stage(seed)
model = tagger.build_tagger("scratch", seed=seed, frames=FR, front_end="conv_nobn")
tagger.compile_tagger(model, 0.001)
option = sys.argv[4] if len(sys.argv) > 4 else ""     # "epsilon=1e-3" or "weight_decay=1e-3"
if option:                                             # RMSprop with that option instead
    name, value = option.split("=")
    model.compile(optimizer=keras.optimizers.RMSprop(learning_rate=0.001, **{name: float(value)}),
                  loss="binary_crossentropy", metrics=["accuracy"])
probe = keras.Model(model.input, [model.get_layer("conv_2").output, model.get_layer("lstm_1").output])
def stats(tag):
    c2, l1 = probe.predict(xv[:32], batch_size=8, verbose=0)
    p = model.predict(xv, batch_size=16, verbose=0)[:, 0]
    pt = model.predict(xt, batch_size=16, verbose=0)[:, 0]
    print(f"{tag}: conv2 max {c2.max():8.1f} dead {np.mean(c2.max(axis=(0, 1)) <= 0):.2f} "
          f"lstm1 spread {l1.mean(axis=1).std(axis=0).max():.2e} train {np.mean((pt >= .5) == yt):.2f} "
          f"val {np.mean((p >= .5) == yv):.3f} p {p.min():.3f}-{p.max():.3f}", flush=True)
stats("epoch 0")
done = 0
for n in (1, 1, 3, 5, 40, 50, 100, 100):
    model.fit(xt, yt, batch_size=32, epochs=n, verbose=0, shuffle=True)
    done += n
    stats(f"epoch {done}")
