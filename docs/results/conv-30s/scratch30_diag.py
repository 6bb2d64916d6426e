"""One-off diagnostic (2026-12-03): the conv front end from scratch at 30 s (paper_cpu's target
stage: 36 clips of 30 s, 300 epochs, batch 32, RMSprop 0.001), judged on a VALIDATION set (200
clips of 30 s from the training locations and authors, seed 4242), never the test set.

Usage, from the repository root:
    .venv/bin/python docs/results/conv-30s/scratch30_diag.py OUT_DIR VARIANT[,VARIANT...] [SEEDS]
VARIANT: bn (the tagger's conv front end: Conv1D -> BatchNormalization(0.9) -> ReLU -> pool),
nobn (the front end before 2026-12-03: Conv1D with bias and ReLU, no normalisation), bn_gmp
(bn, with lstm_2 returning its sequence and a global max over time before the output),
bn_drop (bn, with 50 % dropout on lstm_2's inputs), cm_nobn (nobn after the tagger's
ClipMeanSubtraction: each clip's mean MFCC subtracted, which removes c0's offset of about -400),
std_nobn (nobn on inputs standardised per coefficient with statistics of the 36 training clips),
cm_bn (bn after ClipMeanSubtraction). Each check also gives the training clips' accuracy in
inference mode (moving batch statistics), to tell memorisation from a train/inference mismatch. SEEDS: model seeds, default 8,108,208.
Data are made once under OUT_DIR/data with the pipeline's Beam job (paper_cpu profile).
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

out, variants = sys.argv[1], sys.argv[2].split(",")
seeds = [int(s) for s in (sys.argv[3] if len(sys.argv) > 3 else "8,108,208").split(",")]
cfg = dataclasses.replace(configs.PAPER_CPU, real_audio="off")
FR = cfg.frames
study = Study(cfg, out)
train_dir = os.path.join(out, "data", "target-limited-s0")
val_dir = os.path.join(out, "data", "target-val")
if not os.path.isdir(train_dir):
    study.synthesize("target-limited-s0", "target", cfg.target_train_clips, cfg.train_seed + 1)
if not os.path.isdir(val_dir):
    study.synthesize("target-val", "target", 200, 4242)
xt, yt, _ = examples.load_split(train_dir, "train", FR)
xv, yv, _ = examples.load_split(val_dir, "train", FR)
print(f"train {len(yt)} clips ({int(yt.sum())} with an event), validation {len(yv)}", flush=True)


def build(variant, seed):
    inputs = keras.Input((FR, tagger.N_MFCC), name="mfcc")
    features = tagger.ClipMeanSubtraction(name="clip_mean")(inputs) if variant.startswith("cm_") else inputs
    normalize = keras.layers.Normalization(axis=-1, name="normalize")
    if variant.startswith("std_"):
        normalize.adapt(xt)
    steps = normalize(features)
    if variant.endswith("nobn"):
        for k, pool in enumerate(tagger.CONV_POOLS, start=1):
            steps = keras.layers.Conv1D(tagger.CONV_FILTERS, tagger.CONV_KERNEL, padding="same",
                                        activation="relu", kernel_initializer=keras.initializers.GlorotNormal(seed=seed + 100 + k))(steps)
            steps = keras.layers.MaxPooling1D(pool, padding="same")(steps)
        low = tagger.lstm_layer("lstm_1", True, seed)(steps)
    else:
        low = tagger.low_level(steps, "conv", seed)
    if variant == "bn_drop":
        low = keras.layers.Dropout(0.5, seed=seed + 50)(low)
    if variant == "bn_gmp":
        high = tagger.lstm_layer("lstm_2", True, seed + 30)(low)
        high = keras.layers.GlobalMaxPooling1D()(high)
    else:
        high = tagger.lstm_layer("lstm_2", False, seed + 30)(low)
    outputs = keras.layers.Dense(1, activation="sigmoid",
                                 kernel_initializer=keras.initializers.GlorotNormal(seed=seed + 40))(high)
    return keras.Model(inputs, outputs)


for variant in variants:
    for seed in seeds:
        start = time.time()
        keras.utils.set_random_seed(seed)
        model = build(variant, seed)
        tagger.compile_tagger(model, cfg.learning_rate)
        curve = []
        for block in range(6):       # 6 x 50 epochs, validation after each block
            history = model.fit(xt, yt, batch_size=cfg.batch_size, epochs=50, verbose=0, shuffle=True)
            p = model.predict(xv, batch_size=64, verbose=0)[:, 0]
            pt = model.predict(xt, batch_size=64, verbose=0)[:, 0]
            curve.append((history.history["accuracy"][-1], float(np.mean((pt >= 0.5) == yt)),
                          float(np.mean((p >= 0.5) == yv))))
        print(f"[{variant}] seed {seed}: train (fit) / train (inference) / val accuracy every 50 epochs "
              + " ".join(f"{a:.2f}/{i:.2f}/{v:.3f}" for a, i, v in curve)
              + f" ({time.time() - start:.0f} s)", flush=True)
