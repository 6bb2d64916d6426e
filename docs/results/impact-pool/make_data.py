"""The embedded corpus with real impacts among its training recordings: a data folder for the
"real impacts as hard negatives" study (docs/results.md, "Real impacts as hard negatives").

Takes the corpus as ``python -m pipeline export-corpus`` writes it (DCASE 2017 layout) and the
training pool ``python -m pipeline real-audio --set train-pool`` builds, and writes a folder in
the same layout whose training events (``cv_setup/events_devtrain.yaml``) are the corpus's plus
the pool's 48 real impacts (doors, footsteps, metal, wood and stone hit, sword clashes; flare-game
and megaglest-data, no package shared with either evaluation set; overlap.py checks them for
shared recordings), each under its own class. Everything else is the corpus's, unchanged: with
``hard_negative_classes`` naming the pool's classes, the target task's recipes are those of the
embedded corpus except the hard negatives' sounds. Files are hard-linked (copied across file
systems).

Usage (repository root):
  .venv/bin/python -m pipeline export-corpus --output build/corpus_export
  .venv/bin/python -m pipeline real-audio --set train-pool
  .venv/bin/python docs/results/impact-pool/make_data.py build/corpus_export \\
      build/real_audio_train_pool build/corpus_impact_pool
"""
import json
import os
import runpy
import shutil
import sys

import yaml

TRAIN_POOL = runpy.run_path(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..",
                                         "train-pool", "make_data.py"))
link, copy_corpus = TRAIN_POOL["link"], TRAIN_POOL["copy_corpus"]


def main(corpus_dir, pool_dir, output_dir):
    target = copy_corpus(corpus_dir, output_dir)
    pool = [r for r in json.load(open(os.path.join(pool_dir, "real_audio.json")))["files"]
            if r["kind"] == "event"]
    train_yaml = os.path.join(target, "cv_setup", "events_devtrain.yaml")
    by_class = yaml.safe_load(open(train_yaml))
    os.remove(train_yaml)           # a hard link: write a new file, leave the export's alone
    for row in pool:
        if row["label"] in ("glassbreak",) or row["label"] in by_class:
            raise SystemExit(f"{row['path']}: class {row['label']!r} is one of the corpus's")
    added = {}
    for row in pool:
        name = os.path.basename(row["path"])
        link(os.path.join(pool_dir, row["path"]),
             os.path.join(target, "events", row["label"], name))
        entry = {"audio_filename": name, "author": row["package"],
                 "segment": [0.0, float(row["duration_s"])]}
        added.setdefault(row["label"], []).append(entry)
    by_class.update(added)
    with open(train_yaml, "w") as handle:
        yaml.safe_dump(by_class, handle, sort_keys=False)
    shutil.copyfile(os.path.join(pool_dir, "ATTRIBUTION.md"),
                    os.path.join(output_dir, "ATTRIBUTION-train-pool.md"))
    with open(os.path.join(output_dir, "impact_pool.json"), "w") as handle:
        json.dump({"corpus": os.path.abspath(corpus_dir), "pool": os.path.abspath(pool_dir),
                   "classes": sorted(added), "added": {k: [e["audio_filename"] for e in v]
                                                       for k, v in sorted(added.items())}},
                  handle, indent=1)
    print(f"{output_dir}: the corpus plus {len(pool)} real training impacts in "
          f"{len(added)} classes: hard_negative_classes={','.join(sorted(added))}")


if __name__ == "__main__":
    main(*sys.argv[1:])
