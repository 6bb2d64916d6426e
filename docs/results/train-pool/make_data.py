"""The embedded corpus with real ambiences among its training backgrounds: a data folder for the
"real training backgrounds" study (docs/results.md, "Real ambiences among the training
backgrounds").

Takes the corpus as ``python -m pipeline export-corpus`` writes it (DCASE 2017 layout) and the
pool of real ambiences ``python -m pipeline real-audio --set train-pool`` builds (23 loops from
megaglest-data and flare-game; no package shared with the default or the held-out real set),
and writes a folder in the same layout whose ``devtrain`` backgrounds are the corpus's plus
every pool file twice: once under a scene of the source task and once under a scene of the
target task (dealt round robin over each task's seven scenes, in file order). The test
backgrounds and every event are the corpus's, unchanged: the synthetic test sets stay those of
the embedded corpus (as exported), and no recording of either real evaluation set is used.
Files are hard-linked (copied across file systems).

Usage (repository root):
  .venv/bin/python -m pipeline export-corpus --output build/corpus_export
  .venv/bin/python -m pipeline real-audio --set train-pool
  .venv/bin/python docs/results/train-pool/make_data.py build/corpus_export \\
      build/real_audio_train_pool build/corpus_train_pool
"""
import json
import os
import shutil
import sys

import yaml

from components.audio.records import SOURCE_SCENES, TARGET_SCENES


def link(source, target):
    os.makedirs(os.path.dirname(target), exist_ok=True)
    try:
        os.link(source, target)
    except OSError:
        shutil.copyfile(source, target)


def copy_corpus(corpus_dir, output_dir):
    """Hard-link the exported corpus's ``source_data`` into a new ``output_dir``; returns the new
    ``source_data`` folder (refuses an existing ``output_dir``)."""
    corpus = os.path.join(corpus_dir, "source_data")
    target = os.path.join(output_dir, "source_data")
    if os.path.exists(output_dir):
        raise SystemExit(f"{output_dir}: exists; remove it first")
    for root, _, files in os.walk(corpus):
        for name in files:
            full = os.path.join(root, name)
            link(full, os.path.join(target, os.path.relpath(full, corpus)))
    return target


def main(corpus_dir, pool_dir, output_dir):
    target = copy_corpus(corpus_dir, output_dir)
    pool = [r for r in json.load(open(os.path.join(pool_dir, "real_audio.json")))["files"]
            if r["kind"] == "background"]
    train_yaml = os.path.join(target, "cv_setup", "bgs_devtrain.yaml")
    entries = yaml.safe_load(open(train_yaml))
    os.remove(train_yaml)           # a hard link: write a new file, leave the export's alone
    meta_path = os.path.join(target, "bgs", "meta.txt")
    meta = open(meta_path).read()
    os.remove(meta_path)
    added = []
    for k, row in enumerate(pool):
        stem = os.path.basename(row["path"])[:-4].replace("_", "")
        for scenes in (SOURCE_SCENES, TARGET_SCENES):
            scene = scenes[k % len(scenes)]
            name = f"pool{stem}{scene.replace('/', '').replace('_', '')}_0.wav"
            link(os.path.join(pool_dir, row["path"]), os.path.join(target, "bgs", "audio", name))
            entries.append({"classname": scene, "filepath": f"audio/{name}"})
            meta += f"audio/{name}\t{scene}\n"
            added.append({"file": row["path"], "label": row["label"], "scene": scene,
                          "as": f"bgs/audio/{name}"})
    with open(train_yaml, "w") as handle:
        yaml.safe_dump(entries, handle, sort_keys=False)
    with open(meta_path, "w") as handle:
        handle.write(meta)
    shutil.copyfile(os.path.join(pool_dir, "ATTRIBUTION.md"),
                    os.path.join(output_dir, "ATTRIBUTION-train-pool.md"))
    with open(os.path.join(output_dir, "train_pool.json"), "w") as handle:
        json.dump({"corpus": os.path.abspath(corpus_dir), "pool": os.path.abspath(pool_dir),
                   "added": added}, handle, indent=1)
    print(f"{output_dir}: the corpus plus {len(added)} training backgrounds "
          f"({len(pool)} real ambiences, each in one source and one target scene)")


if __name__ == "__main__":
    main(*sys.argv[1:])
