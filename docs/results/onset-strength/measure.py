"""Event onsets in the windows a model tags: three rules on the same models and clips.

- ``running`` (the rule until 2026-12-06): frames whose running probability (the locator's where
  the model has one, 0 in untagged clips) reaches the threshold, ``localize.detect_events``;
- ``relative 0.5`` (analysis only, not in the product): the same frames judged against half of
  the clip's own peak running probability instead of a fixed threshold;
- ``strength`` (``localize.EventRule(onsets="strength")``): one event at the strongest spectral
  rise (``features.onset_strength`` of the clip's MFCCs) of every clip the tagger tags.

Scores the exported models of finished ``experiment table1`` studies (5 seeds, scratch and (c))
on the synthetic target test set, the default real set and the held-out real set (built here
with each study's settings), DCASE 2017 Task 2 scoring (sed_eval, onset only, 500 ms collar).
Nothing is tuned: each rule is scored as written.

    .venv/bin/python docs/results/onset-strength/measure.py OUT STUDY [STUDY ...]

OUT: a folder for the held-out real test set and the caches. Writes measure.{txt,json} here.
"""
from __future__ import annotations

import dataclasses
import json
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))
sys.path.insert(0, REPO)

from components.audio import examples  # noqa: E402
from components.model import event_metrics, localize  # noqa: E402
from pipeline import configs, experiments  # noqa: E402

ROWS = ("scratch_limited", "parallel_low")
SEEDS = 5


def study_config(study_dir: str, real_audio: str):
    with open(os.path.join(study_dir, "study.json")) as handle:
        settings = experiments.with_added_settings(json.load(handle)["settings"])
    fields = {f.name for f in dataclasses.fields(configs.PipelineConfig)}
    overrides = {k: v for k, v in settings.items() if k in fields and k != "profile"}
    overrides["real_audio"] = real_audio
    return configs.get_config(settings["profile"], **overrides)


def study_windows(study_dir: str, out: str, holdout: str):
    """{set: (windows [models][clips], metadata)} and the model folders (5 seeds x 2 rows)."""
    import tensorflow as tf
    cache = os.path.join(out, f"windows-{os.path.basename(study_dir.rstrip('/'))}.npz")
    config = study_config(study_dir, os.path.join(REPO, "build", "real_audio"))
    study = experiments.Study(config, study_dir, reading=True)
    dirs = {"synthetic": study.target_test(), "real": study.real_test()}
    held = experiments.Study(study_config(study_dir, holdout), os.path.join(
        out, "holdout-" + os.path.basename(study_dir.rstrip("/"))))
    dirs["held out"] = held.real_test()
    sets = {name: examples.load_split(d, "eval", config.frames, n_mfcc=config.n_mfcc)
            for name, d in dirs.items()}
    models = [os.path.join(study_dir, "runs", f"s{k}-{row}", "model", "Format-Serving")
              for k in range(SEEDS) for row in ROWS]
    if not os.path.exists(cache):
        arrays = {}
        for m, model_dir in enumerate(models):
            loaded = tf.saved_model.load(model_dir)
            for name, (x, _, _) in sets.items():
                windows = experiments.clip_windows(loaded, x, model_dir)
                arrays[f"{name}|{m}|decision"] = np.array([w.decision for w in windows])
                arrays[f"{name}|{m}|running"] = np.stack([w.running for w in windows])
                arrays[f"{name}|{m}|strength"] = np.stack([w.strength for w in windows])
            print(f"  scored {model_dir}", flush=True)
        np.savez_compressed(cache, **arrays)
    stored = np.load(cache)
    result = {}
    for name, (_, _, meta) in sets.items():
        per_model = []
        for m in range(len(models)):
            decision, running, strength = (stored[f"{name}|{m}|{key}"]
                                           for key in ("decision", "running", "strength"))
            per_model.append([localize.ClipWindow(bool(d), r, s)
                              for d, r, s in zip(decision, running, strength)])
        result[name] = (per_model, meta)
    return models, result


def relative_events(window: localize.ClipWindow, rule: localize.EventRule):
    """The running rule against half of the clip's peak smoothed running probability."""
    smoothed = localize.smooth(window.running, rule, 1.0 / localize.FRAME_PERIOD_S)
    peak = float(smoothed.max())
    if peak <= 0.0:
        return []
    relative = dataclasses.replace(rule, threshold=0.5, warmup_s=0.0, median_s=0.0)
    return localize.detect_events(smoothed / peak, relative)


RULES = {"running": (localize.EventRule(onsets="running"), localize.clip_events),
         "relative 0.5": (localize.EventRule(onsets="running"), relative_events),
         "strength": (localize.EventRule(onsets="strength"), localize.clip_events)}


def main(out: str, studies):
    os.makedirs(out, exist_ok=True)
    holdout = os.path.join(REPO, "build", "real_audio_holdout")
    lines, result = [], {}
    for study_dir in studies:
        models, sets = study_windows(study_dir, out, holdout)
        result[study_dir] = {}
        lines += ["", f"study {study_dir} (mean of {SEEDS} seeds; ER / F1 % / deletion rate / "
                  "insertion rate)", "",
                  "| row | rule | " + " | ".join(sets) + " |",
                  "| --- | --- | " + " | ".join("---" for _ in sets) + " |"]
        for row in ROWS:
            picks = [i for i, m in enumerate(models) if f"-{row}{os.sep}" in m]
            for label, (rule, detect) in RULES.items():
                cells, record = [], {}
                for name, (per_model, meta) in sets.items():
                    scores = [event_metrics.score_clips(per_model[i], meta, rule, "glassbreak",
                                                        detect)["overall"] for i in picks]
                    # sed_eval's F1 is undefined (None) when a model finds no event at all: 0
                    mean = {k: float(np.mean([s[k] or 0.0 for s in scores]))
                            for k in ("error_rate", "f1", "deletion_rate", "insertion_rate")}
                    record[name] = {"mean": mean, "per_seed": [
                        {k: s[k] for k in ("error_rate", "f1", "median_onset_error_ms")}
                        for s in scores]}
                    cells.append(f"{mean['error_rate']:.2f} / {100 * mean['f1']:.1f} / "
                                 f"{mean['deletion_rate']:.2f} / {mean['insertion_rate']:.2f}")
                result[study_dir][f"{row} {label}"] = record
                lines.append(f"| {row} | {label} | " + " | ".join(cells) + " |")
    text = "\n".join(lines).strip() + "\n"
    print(text)
    with open(os.path.join(HERE, "measure.txt"), "w") as handle:
        handle.write(text)
    with open(os.path.join(HERE, "measure.json"), "w") as handle:
        json.dump(result, handle, indent=1)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2:])
