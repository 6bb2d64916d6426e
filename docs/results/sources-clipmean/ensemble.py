"""Do averaged models do better on the real recordings? Scores every exported model of a finished
sources study on its real and synthetic test sets, alone and as averages of the probabilities of
models of the same seed (scratch + (c), (c) of both sources, scratch + both (c), all seven).
No training; nothing is tuned (threshold 0.5).

Usage (from the repository root; needs the study folder with its models):
  .venv/bin/python docs/results/sources-clipmean/ensemble.py build/exp-sources-clipmean
Output of that command: ensemble.txt beside this script.
"""
import json, sys, os
import numpy as np
from components.audio import examples
from components.model.training import roc_auc
from pipeline import configs, experiments

study = sys.argv[1]
res = json.load(open(os.path.join(study, "sources.json")))
frames = configs.get_config(res["profile"]).frames
sets = {"real": examples.load_split(os.path.join(study, "data", "real-test"), "eval", frames)}
syn = [d for d in os.listdir(os.path.join(study, "data")) if d.startswith("target-test")]
sets["synthetic"] = examples.load_split(os.path.join(study, "data", syn[0]), "eval", frames)
rows = {(r["source_classes"], r["row"]): r for r in res["rows"]}
name = {k: ("scratch" if not k[0] else f"{k[1]}[{len(k[0].split(','))}]") for k in rows}
seeds = len(next(iter(rows.values()))["runs"])
combos = {"scratch+c1": ["scratch", "parallel_low[1]"], "c1+c5": ["parallel_low[1]", "parallel_low[5]"],
          "scratch+c1+c5": ["scratch", "parallel_low[1]", "parallel_low[5]"],
          "all7": list(name.values())}
out = {}
for k in range(seeds):
    probs = {s: {} for s in sets}
    for key, r in rows.items():
        for s, (x, y, meta) in sets.items():
            probs[s][name[key]] = experiments.predict(r["runs"][k]["run"], x)["probability"]
    for s, (x, y, meta) in sets.items():
        scenes = sorted({m["scene"] for m in meta})
        for label, members in [(n, [n]) for n in name.values()] + list(combos.items()):
            p = np.mean([probs[s][m] for m in members], axis=0)
            entry = {"acc": float(np.mean((p >= 0.5) == (y == 1))), "auc": roc_auc(y, p)}
            if s == "real":
                for sc in scenes:
                    idx = np.asarray([m["scene"] == sc for m in meta])
                    entry[sc] = roc_auc(y[idx], p[idx])
                entry["fa"] = float(np.mean(p[y == 0] >= 0.5))
            out.setdefault((s, label), []).append(entry)
for (s, label), entries in out.items():
    keys = entries[0].keys()
    print(s, f"{label:22s}", " ".join(f"{kk}={np.mean([e[kk] for e in entries]):.3f}" for kk in keys),
          " acc/seed=" + "/".join(f"{e['acc']:.3f}" for e in entries))
