"""Where a source model at chance stops: activations of each layer on 32 clips of its own test set.

Usage (repository root): python docs/results/table1-paper-cpu-seeds1-2/source_saturation_diag.py
    <study>/runs/s0-source/model/Format-Serving <study>/data/source-s0
"""
import sys, numpy as np
sys.path.insert(0, ".")   # run from the repository root
from components.model import serving
from components.audio import examples
import keras
base = sys.argv[1]; data = sys.argv[2]
m = serving.load_keras_tagger(base)
print([l.name for l in m.layers])
x, y, _ = examples.load_examples([data + "/Split-eval/*"], 2584)
x = x[:32]
for name in [l.name for l in m.layers if l.name.startswith(("conv", "lstm", "normalize", "pool"))]:
    sub = keras.Model(m.inputs, m.get_layer(name).output)
    a = sub.predict(x, verbose=0)
    flat = a.reshape(-1, a.shape[-1])
    print(name, a.shape, "mean %.3g max %.3g" % (flat.mean(), flat.max()),
          "channels never >0: %d/%d" % (int((flat.max(axis=0) <= 0).sum()), flat.shape[1]),
          "std over clips of channel means %.3g" % a.mean(axis=1).std(axis=0).mean())
for l in m.layers:
    if l.name.startswith("conv"):
        w, b = l.get_weights()
        print(l.name, "w |max| %.3g" % np.abs(w).max(), "bias min %.3g max %.3g mean %.3g" % (b.min(), b.max(), b.mean()))
print("outputs", m.predict(x, verbose=0).ravel()[:8])
