"""One-off diagnostic (2026-12-03): conv front-end variants, source -> target, in memory.

Usage, from the repository root, after the quick data exist (an `experiment table1 --profile quick
--seeds 1 --set front_end=conv --out build/exp-conv-v0` run, then `make_val.py build/exp-conv-v0`):
    .venv/bin/python docs/results/conv-bn/conv_diag.py build/exp-conv-v0 VARIANT \
        scratch,pretrain_all,pretrain_fix_low,parallel_low
VARIANT: none (the conv front end before 2026-12-03), bn90 / bn99 (batch normalisation after each
convolution, momentum 0.9 / 0.99), std (per-coefficient input standardisation), lstm (the
paper's network). Builds its own networks (not components.model.tagger's), so it stays
runnable for every variant. 'val' is a 200-clip set drawn from the TRAINING locations and authors
with its own seed (make_val.py): no test clip is used to choose anything.
"""
import os, sys, time
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
import numpy as np, keras
sys.path.insert(0, os.getcwd())
from components.audio import examples
from components.model import tagger, training

D = sys.argv[1]          # experiment folder with data/
variant = sys.argv[2]    # none | bn99 | bn90 | std | lstm
MOM = {"bn99": 0.99, "bn90": 0.9}.get(variant)
BN = MOM is not None
methods = sys.argv[3].split(",")
seed = int(sys.argv[4]) if len(sys.argv) > 4 else 0
FR = 259
xs, ys, _ = examples.load_split(f"{D}/data/source-s{seed}", "train", FR)
xse, yse, _ = examples.load_split(f"{D}/data/source-s{seed}", "eval", FR)
xt, yt, _ = examples.load_split(f"{D}/data/target-limited-s{seed}", "train", FR)
xte, yte, _ = examples.load_split(f"{D}/data/target-val", "train", FR)  # validation: training material, own seed
xr, yr, mr = examples.load_split(f"{D}/data/real-test", "eval", FR)
print("mfcc stats: c0 mean %.1f std %.1f; c1..19 mean |x| %.1f" % (xs[..., 0].mean(), xs[..., 0].std(), np.abs(xs[..., 1:]).mean()))

def low_level(inputs, seed, suffix=""):
    steps = inputs
    if variant == "lstm":
        return tagger.lstm_layer(f"lstm_1{suffix}", True, seed)(steps)
    for i, pool in enumerate(tagger.CONV_POOLS, start=1):
        steps = keras.layers.Conv1D(64, 5, padding="same", use_bias=not BN,
                                    activation=None if BN else "relu",
                                    kernel_initializer=keras.initializers.GlorotNormal(seed=seed + i),
                                    name=f"conv_{i}{suffix}")(steps)
        if BN:
            steps = keras.layers.BatchNormalization(momentum=MOM, name=f"bn_{i}{suffix}")(steps)
            steps = keras.layers.Activation("relu", name=f"relu_{i}{suffix}")(steps)
        steps = keras.layers.MaxPooling1D(pool, padding="same", name=f"pool_{i}{suffix}")(steps)
    return tagger.lstm_layer(f"lstm_1{suffix}", True, seed)(steps)

LOW = ["conv_1", "conv_2", "lstm_1"] + (["bn_1", "bn_2"] if BN else [])

def build(method, seed):
    inp = keras.Input((FR, 20), name="mfcc")
    norm = keras.layers.Normalization(axis=-1, name="normalize")(inp)
    if method == "parallel_low":
        low = keras.layers.Concatenate()([low_level(norm, seed + 10, "_source"), low_level(norm, seed + 20)])
    else:
        low = low_level(norm, seed + 20)
    high = tagger.lstm_layer("lstm_2", False, seed + 30)(low)
    out = keras.layers.Dense(1, activation="sigmoid", name="output",
                             kernel_initializer=keras.initializers.GlorotNormal(seed=seed + 40))(high)
    return keras.Model(inp, out)

def fit(model, x, y, epochs, bs, seed):
    keras.utils.set_random_seed(seed)
    tagger.compile_tagger(model)
    h = model.fit(x, y, batch_size=bs, epochs=epochs, verbose=0, shuffle=True)
    return h.history

def acc(m, x, y):
    p = m.predict(x, batch_size=128, verbose=0)[:, 0]
    return float(np.mean((p >= 0.5) == y)), p

def auc(y, s):
    from sklearn.metrics import roc_auc_score
    return roc_auc_score(y, s)

t = time.time()
keras.utils.set_random_seed(7)
src = build("scratch", 7)
if variant == "std":
    src.get_layer("normalize").adapt(xs)
h = fit(src, xs, ys, 40, 16, 7)
a, _ = acc(src, xse, yse)
print(f"[{variant}] source acc {a:.3f} train_acc_last {h['accuracy'][-1]:.3f} ({time.time()-t:.0f}s)", flush=True)
# activations on target data
if variant != "lstm":
  sub = keras.Model(src.input, [src.get_layer("lstm_1").output, src.get_layer("conv_2").output])
  l1, c2 = sub.predict(xt, verbose=0)
  print(f"[{variant}] on target clips: conv_2 out mean {c2.mean():.2f} max {c2.max():.1f}; lstm_1 |h|>0.95 share {np.mean(np.abs(l1)>0.95):.3f}, std over time {l1.std(axis=1).mean():.3f}")
for method, mseed in [(mm, ss) for ss in (8, 108) for mm in methods]:
    t = time.time()
    m = build(method, mseed)
    if method == "scratch" and variant == "std":
        m.get_layer("normalize").adapt(xt)
    if method != "scratch":
        for layer in m.layers:
            base = layer.name.replace("_source", "")
            if method == "parallel_low" and not layer.name.endswith("_source") and layer.name != "normalize":
                continue
            if method == "pretrain_fix_low" and base not in LOW + ["normalize"]:
                continue
            try:
                s = src.get_layer(base)
            except ValueError:
                continue
            if s.get_weights():
                tagger.set_layer_weights(layer, s.get_weights())
                if method != "pretrain_all" or base == "normalize":
                    layer.trainable = False
    h = fit(m, xt, yt, 60, 16, mseed)
    a, _ = acc(m, xte, yte)
    ar, pr = acc(m, xr, yr)
    fa = float(np.mean(pr[yr == 0] >= 0.5))
    print(f"[{variant}] s{mseed} {method:16s} train {h['accuracy'][-1]:.3f} val {a:.3f} real {ar:.3f} AUC {auc(yr, pr):.3f} FA {fa:.3f} ({time.time()-t:.0f}s)", flush=True)
