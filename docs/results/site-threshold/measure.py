"""A site threshold measured on audio it was not set on: each real background recording is cut
in two halves of its original (unlooped) length; ``calibrate-site``'s rule sets the threshold on
windows of one half (every quarter clip, as ``pipeline.site`` does), and mixtures made from the
other half only are scored with it (then the halves swap; the two folds are pooled).

Test clips: without an event, every 3 s window of the test half every 0.75 s (the windows the
other fold calibrates on); with an event, 8 excerpts of 3 s evenly spread over the test half,
each with each real break at -6 / 0 / +6 dB (onset seeded), mixed with the project's mixer
(``components.audio.mixing``: EBR against the background under the event, then x0.2; the
event-free windows get the same x0.2). Everything goes through the exported ``predict_waveform``
signature, as ``tag`` does. Compared: each model's own threshold (0.5) against the site
threshold at a target of 1 % false alarms (with fewer than 100 calibration windows: just above
the highest); and, as analysis only (the product exports one model), the average of the (c)
models' probabilities.

What this cannot show: the halves are the same recording (same microphone, same place, minutes
apart at most), which is what a device at one site sees, but the crowd and street recordings
are 10 s long (halves of 5 s: 4 calibration windows, test excerpts within 2 s of each other).

Usage (repository root; the model-seed study folders and the pushed model):
  .venv/bin/python docs/results/site-threshold/measure.py build/real_audio \\
      build/serving/glassbreak_tagger build/exp-modelseed-{8,9,10,11}
"""
import json
import os
import sys

import numpy as np
import soundfile

from components.audio import features, mixing
from components.model import serving, site_threshold
from pipeline import site

SR = 44100
CLIP = 3 * SR
EBRS = (-6.0, 0.0, 6.0)
EXCERPTS = 8
RATE = 0.01
SEED = 5


def load(path):
    audio, rate = soundfile.read(path, dtype="float64", always_2d=True)
    assert rate == SR, path
    return audio.mean(axis=1)


def halves(real_dir):
    """Per background: (label, [first half, second half]) of the original recording."""
    rows = json.load(open(os.path.join(real_dir, "real_audio.json")))["files"]
    out = []
    for row in rows:
        if row["kind"] != "background":
            continue
        original = load(os.path.join(real_dir, row["path"]))[
            :int(row["processing"]["original_s"] * SR)]
        middle = len(original) // 2
        out.append((row["label"], [original[:middle], original[middle:]]))
    # the glass breaks only: the sets' impacts (other kinds of sound, since 2026-12-06) are not
    # the event
    events = [load(os.path.join(real_dir, r["path"])) for r in rows
              if r["kind"] == "event" and r["label"] == "glassbreak"]
    return sorted(out), events


def mfccs(clips):
    """MFCCs of a batch of clips, as ``components.audio.features.mfcc`` computes them (equal to
    the served graph's to ~1e-4): the input of the Keras copies of the models."""
    bands = features.mel_bands()
    return np.stack([features.mfcc(c.astype(np.float32), bands=bands) for c in clips])


def calibration_windows(audio):
    starts = site.calibration_starts(len(audio), CLIP)
    return np.stack([mixing.mix(audio[s:s + CLIP], None, 0, 0.0) for s in starts])


def test_clips(audio, events, rng):
    """(clips, labels, ebr) of the test half: its event-free windows, and excerpts with each
    break at each EBR."""
    negatives = calibration_windows(audio)
    clips, labels, ebrs = list(negatives), [0] * len(negatives), [np.nan] * len(negatives)
    for s in np.linspace(0, len(audio) - CLIP, EXCERPTS).astype(int):
        part = audio[s:s + CLIP]
        for event in events:
            for ebr in EBRS:
                onset = int(rng.randint(0, CLIP - len(event)))
                scale = mixing.event_scale(event, part[onset:onset + len(event)], ebr)
                clips.append(mixing.mix(part, event, onset, scale))
                labels.append(1)
                ebrs.append(ebr)
    return np.stack(clips), np.array(labels), np.array(ebrs)


class Scorer:
    def __init__(self, path):
        import tensorflow as tf
        self.model = tf.saved_model.load(path)

    def __call__(self, batch):
        return np.concatenate([serving.call_signature(self.model, "predict_waveform",
                                                      batch[i:i + 32].astype(np.float32))
                               ["probability"] for i in range(0, len(batch), 32)])


def model_paths(pushed, study_dirs):
    models = []
    if pushed:
        version = max((d for d in os.listdir(pushed) if d.isdigit()), key=int)
        models.append(("pushed (c), make run", os.path.join(pushed, version)))
    for row, short in (("parallel_low", "(c)"), ("scratch_limited", "scratch")):
        for folder in study_dirs:
            result = json.load(open(os.path.join(folder, "table1.json")))
            run = next(r for r in result["rows"] if r["row"] == row)["runs"][0]
            models.append((f"{short} model seed {folder.rsplit('-', 1)[-1]}", run["run"]))
    return models


def site_rule(cal_p):
    """The site threshold of one calibration half (``calibrate-site``'s rule)."""
    return site_threshold.threshold_for_rate(cal_p, RATE)


def background_rows(folds, per_fold, threshold_of):
    """Per background, both folds pooled: breaks found (overall and per EBR), false alarms and
    window counts, deciding each fold at ``threshold_of(its calibration probabilities)``;
    ``per_fold`` holds (calibration, test) probabilities in the order of ``folds``."""
    rows = {}
    for label in sorted({f[0] for f in folds}):
        found, alarms, per_ebr, windows = [], [], {e: [] for e in EBRS}, 0
        for (bg, _, _, labels, ebrs), (cal_p, p) in zip(folds, per_fold):
            if bg != label:
                continue
            windows += len(cal_p)
            hit = p >= threshold_of(cal_p)
            found.extend(hit[labels == 1])
            alarms.extend(hit[labels == 0])
            for e in EBRS:
                per_ebr[e].extend(hit[ebrs == e])
        rows[label] = {"found": float(np.mean(found)), "false_alarms": float(np.mean(alarms)),
                       "found_per_ebr": {str(e): float(np.mean(v)) for e, v in per_ebr.items()},
                       "calibration_windows": windows // 2, "test_positives": len(found),
                       "test_negatives": len(alarms)}
    return rows


def balanced_accuracy(rows):
    """Mean over backgrounds of (breaks found + windows left quiet) / 2."""
    return float(np.mean([(r["found"] + 1 - r["false_alarms"]) / 2 for r in rows.values()]))


def site_folds(real_dir):
    """Per background and fold: (label, calibration windows of one half, test clips, labels and
    EBRs of the other half); the onsets are drawn from one generator seeded SEED, in this order."""
    backgrounds, events = halves(real_dir)
    rng = np.random.RandomState(SEED)
    folds = []
    for label, parts in backgrounds:
        for fold in (0, 1):
            clips, labels, ebrs = test_clips(parts[1 - fold], events, rng)
            folds.append((label, calibration_windows(parts[fold]), clips, labels, ebrs))
    return folds


def main(real_dir, pushed, study_dirs):
    folds = site_folds(real_dir)
    scores = {}
    for name, path in model_paths(pushed, study_dirs):
        scorer = Scorer(path)
        scores[name] = [(scorer(cal), scorer(clips)) for _, cal, clips, _, _ in folds]
        print(f"scored {name}", file=sys.stderr, flush=True)
    averaged = [n for n in scores if n.startswith("(c) model seed")]
    if averaged:
        scores[f"average of the {len(averaged)} (c)"] = [
            tuple(np.mean([scores[n][i][k] for n in averaged], 0) for k in (0, 1))
            for i in range(len(folds))]
    report = {}
    for name, per_fold in scores.items():
        report[name] = {}
        for rule, threshold_of in (("model threshold 0.5", lambda cal_p: 0.5),
                                   ("site threshold", site_rule)):
            rows = background_rows(folds, per_fold, threshold_of)
            balanced = balanced_accuracy(rows)
            report[name][rule] = {"balanced_accuracy": balanced, "per_background": rows}
            print(f"{name:24s} {rule:19s} balanced {100 * balanced:5.1f} % | " + ", ".join(
                f"{bg} FA {100 * r['false_alarms']:.0f} % found {100 * r['found']:.0f} %"
                for bg, r in rows.items()))
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "measure.json")
    with open(out, "w") as handle:
        json.dump(report, handle, indent=1)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3:])
