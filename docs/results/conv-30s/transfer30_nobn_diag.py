One-off diagnostic (2026-12-04): the conv transfer methods (b) and (c) at 30 s with the
UNNORMALISED conv front end (scratch30_diag.py's ``nobn``: Conv1D with bias and ReLU, no batch
normalisation, the front end before 2026-12-03), paper_cpu's target stage (36 clips of 30 s, 300
epochs, batch 32, RMSprop 0.001), judged on the VALIDATION set of the other two diagnostics (200
clips of 30 s, seed 4242), never the test set.

Usage, from the repository root (reuses transfer30_diag.py's data under OUT_DIR/data):
    .venv/bin/python docs/results/conv-30s/transfer30_nobn_diag.py OUT_DIR SOURCE_EPOCHS [SEEDS [METHODS [SCALE]]]
The source model (nobn, paper_cpu's 1800 baby cry clips of 30 s, batch 128) is trained for
SOURCE_EPOCHS and kept under OUT_DIR/source-nobn-EPOCHS.keras. METHODS (default fix_low,parallel):
all (a: every layer initialised from the source, all trained), fix_low (b: the source's
convolutions and lstm_1 copied and frozen; lstm_2 and output fresh) and parallel (c: the frozen
copy beside a fresh nobn low level, concatenated, as tagger.build_tagger's parallel_low).
SEEDS: target model seeds, default 8,108. SCALE (default 1): the target models' MFCCs multiplied
by it first (a fixed Rescaling, not centred), to see whether smaller inputs shorten the plateau
at chance; with SCALE != 1 only scratch is meaningful (the source saw unscaled input). With
METHODS "scratch" alone no source model is made or loaded (added 2026-12-04, night, for the
input-scale sweep of docs/results.md "Where conv_nobn gets stuck": `... build/conv30s 60
8,108,208 scratch 0.1` and `... scratch 0.3`).
"""
import dataclasses, os, sys, time
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, os.getcwd())
import numpy as np
import keras
from pipeline import configs
from pipeline.experiments import Study
from components.audio import examples
from components.model import tagger

out, source_epochs = sys.argv[1], int(sys.argv[2])
seeds = [int(s) for s in (sys.argv[3] if len(sys.argv) > 3 else "8,108").split(",")]
SCALE = float(sys.argv[5]) if len(sys.argv) > 5 else 1.0
cfg = dataclasses.replace(configs.PAPER_CPU, real_audio="off")
FR = cfg.frames
study = Study(cfg, out)
dirs = {name: os.path.join(out, "data", name) for name in ("source-s0", "target-limited-s0", "target-val")}
if not os.path.isdir(dirs["source-s0"]) and sys.argv[4:5] != ["scratch"]:
    study.synthesize("source-s0", "source", cfg.source_train_clips, cfg.train_seed, eval_clips=200)
if not os.path.isdir(dirs["target-limited-s0"]):
    study.synthesize("target-limited-s0", "target", cfg.target_train_clips, cfg.train_seed + 1)
if not os.path.isdir(dirs["target-val"]):
    study.synthesize("target-val", "target", 200, 4242)


def nobn_low(steps, seed, suffix=""):
    for k, pool in enumerate(tagger.CONV_POOLS, start=1):
        steps = keras.layers.Conv1D(tagger.CONV_FILTERS, tagger.CONV_KERNEL, padding="same",
                                    activation="relu", name=f"conv_{k}{suffix}",
                                    kernel_initializer=keras.initializers.GlorotNormal(seed=seed + 100 + k))(steps)
        steps = keras.layers.MaxPooling1D(pool, padding="same", name=f"pool_{k}{suffix}")(steps)
    return tagger.lstm_layer(f"lstm_1{suffix}", True, seed)(steps)


LOW = tuple(f"conv_{k}" for k in range(1, len(tagger.CONV_POOLS) + 1)) + ("lstm_1",)


def build(method, seed, source=None):
    inputs = keras.Input((FR, tagger.N_MFCC), name="mfcc")
    scaled = keras.layers.Rescaling(SCALE, name="scale")(inputs) if SCALE != 1 else inputs
    steps = keras.layers.Normalization(axis=-1, name="normalize")(scaled)
    if method == "parallel":
        fixed = nobn_low(steps, seed + 10, "_source")
        low = keras.layers.Concatenate()([fixed, nobn_low(steps, seed + 20)])
    else:
        low = nobn_low(steps, seed + 20)
    high = tagger.lstm_layer("lstm_2", False, seed + 30)(low)
    outputs = keras.layers.Dense(1, activation="sigmoid", name="output",
                                 kernel_initializer=keras.initializers.GlorotNormal(seed=seed + 40))(high)
    model = keras.Model(inputs, outputs)
    if method == "all":
        for layer in source.layers:
            if layer.weights:
                model.get_layer(layer.name).set_weights(layer.get_weights())
    suffix = {"fix_low": "", "parallel": "_source"}.get(method)
    if suffix is not None:
        for name in LOW:
            layer = model.get_layer(name + suffix)
            layer.set_weights(source.get_layer(name).get_weights())
            layer.trainable = False
    return model


METHODS = sys.argv[4].split(",") if len(sys.argv) > 4 else ["fix_low", "parallel"]
source_path = os.path.join(out, f"source-nobn-{source_epochs}.keras")
if METHODS == ["scratch"]:
    source = None
elif not os.path.exists(source_path):
    xs, ys, _ = examples.load_split(dirs["source-s0"], "train", FR)
    xe, ye, _ = examples.load_split(dirs["source-s0"], "eval", FR)
    start = time.time()
    keras.utils.set_random_seed(cfg.model_seed)
    source = build("scratch", cfg.model_seed)
    tagger.compile_tagger(source, cfg.learning_rate)
    source.fit(xs, ys, batch_size=cfg.source_batch_size, epochs=source_epochs, verbose=0, shuffle=True)
    accuracy = float(np.mean((source.predict(xe, batch_size=64, verbose=0)[:, 0] >= 0.5) == ye))
    print(f"source (nobn): {len(ys)} clips, {source_epochs} epochs, held-out accuracy "
          f"{accuracy:.3f} ({time.time() - start:.0f} s)", flush=True)
    source.save(source_path)
    del xs, ys
if METHODS != ["scratch"]:
    source = keras.models.load_model(source_path)
xt, yt, _ = examples.load_split(dirs["target-limited-s0"], "train", FR)
xv, yv, _ = examples.load_split(dirs["target-val"], "train", FR)
print(f"target train {len(yt)} clips ({int(yt.sum())} with an event), validation {len(yv)}", flush=True)

for method in (sys.argv[4].split(",") if len(sys.argv) > 4 else ("fix_low", "parallel")):
    for seed in seeds:
        start = time.time()
        keras.utils.set_random_seed(seed)
        model = build(method, seed, source)
        tagger.compile_tagger(model, cfg.learning_rate)
        curve = []
        for block in range(6):       # 6 x 50 epochs, validation after each block
            history = model.fit(xt, yt, batch_size=cfg.batch_size, epochs=50, verbose=0, shuffle=True)
            pt = model.predict(xt, batch_size=64, verbose=0)[:, 0]
            p = model.predict(xv, batch_size=64, verbose=0)[:, 0]
            curve.append((history.history["accuracy"][-1], float(np.mean((pt >= 0.5) == yt)),
                          float(np.mean((p >= 0.5) == yv))))
        print(f"[nobn {method}{'' if SCALE == 1 else f' x{SCALE:g}'}] seed {seed}: train (fit) / train (inference) / val accuracy every 50 "
              "epochs " + " ".join(f"{a:.2f}/{i:.2f}/{v:.3f}" for a, i, v in curve)
              + f" ({time.time() - start:.0f} s)", flush=True)
