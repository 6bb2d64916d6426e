"""One-off diagnostic (2026-12-03): the conv transfer methods (b) and (c) at 30 s (paper_cpu's
target stage: 36 clips of 30 s, 300 epochs, batch 32, RMSprop 0.001) from a conv source model
trained here, judged on a VALIDATION set (200 clips of 30 s from the training locations and
authors, seed 4242, the one of scratch30_diag.py), never the test set.

Usage, from the repository root:
    .venv/bin/python docs/results/conv-30s/transfer30_diag.py OUT_DIR SOURCE_EPOCHS METHOD[,...] [SEEDS]
The source model (the tagger's conv front end with batch normalisation, paper_cpu's 1800 baby cry
clips of 30 s, batch 128) is trained for SOURCE_EPOCHS (the profile: 300; fewer to keep the
diagnostic short; its accuracy on 200 held-out source clips is printed) and kept under
OUT_DIR/source.keras. METHOD: pretrain_fix_low (b), parallel_low (c), pretrain_all (a).
SEEDS: target model seeds, default 8,108.
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

out, source_epochs, methods = sys.argv[1], int(sys.argv[2]), sys.argv[3].split(",")
seeds = [int(s) for s in (sys.argv[4] if len(sys.argv) > 4 else "8,108").split(",")]
cfg = dataclasses.replace(configs.PAPER_CPU, real_audio="off")
FR = cfg.frames
study = Study(cfg, out)
dirs = {name: os.path.join(out, "data", name) for name in ("source-s0", "target-limited-s0", "target-val")}
if not os.path.isdir(dirs["source-s0"]):
    study.synthesize("source-s0", "source", cfg.source_train_clips, cfg.train_seed, eval_clips=200)
if not os.path.isdir(dirs["target-limited-s0"]):
    study.synthesize("target-limited-s0", "target", cfg.target_train_clips, cfg.train_seed + 1)
if not os.path.isdir(dirs["target-val"]):
    study.synthesize("target-val", "target", 200, 4242)

source_path = os.path.join(out, f"source-{source_epochs}.keras")
if not os.path.exists(source_path):
    xs, ys, _ = examples.load_split(dirs["source-s0"], "train", FR)
    xe, ye, _ = examples.load_split(dirs["source-s0"], "eval", FR)
    start = time.time()
    keras.utils.set_random_seed(cfg.model_seed)
    source = tagger.build_tagger("scratch", cfg.model_seed, FR, front_end="conv")
    tagger.compile_tagger(source, cfg.learning_rate)
    source.fit(xs, ys, batch_size=cfg.source_batch_size, epochs=source_epochs, verbose=0, shuffle=True)
    accuracy = float(np.mean((source.predict(xe, batch_size=64, verbose=0)[:, 0] >= 0.5) == ye))
    print(f"source: {len(ys)} clips, {source_epochs} epochs, held-out accuracy {accuracy:.3f} "
          f"({time.time() - start:.0f} s)", flush=True)
    source.save(source_path)
    del xs, ys
source = keras.models.load_model(source_path)
xt, yt, _ = examples.load_split(dirs["target-limited-s0"], "train", FR)
xv, yv, _ = examples.load_split(dirs["target-val"], "train", FR)
print(f"target train {len(yt)} clips ({int(yt.sum())} with an event), validation {len(yv)}", flush=True)

for method in methods:
    for seed in seeds:
        start = time.time()
        keras.utils.set_random_seed(seed)
        model = tagger.build_tagger(method, seed, FR, front_end="conv")
        tagger.transfer_weights(model, source, method)
        tagger.compile_tagger(model, cfg.learning_rate)
        curve = []
        for block in range(6):       # 6 x 50 epochs, validation after each block
            history = model.fit(xt, yt, batch_size=cfg.batch_size, epochs=50, verbose=0, shuffle=True)
            pt = model.predict(xt, batch_size=64, verbose=0)[:, 0]
            p = model.predict(xv, batch_size=64, verbose=0)[:, 0]
            curve.append((history.history["accuracy"][-1], float(np.mean((pt >= 0.5) == yt)),
                          float(np.mean((p >= 0.5) == yv))))
        print(f"[{method}] seed {seed}: train (fit) / train (inference) / val accuracy every 50 "
              "epochs " + " ".join(f"{a:.2f}/{i:.2f}/{v:.3f}" for a, i, v in curve)
              + f" ({time.time() - start:.0f} s)", flush=True)
