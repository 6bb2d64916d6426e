"""Does a training impact share a source recording with an event of an evaluation set?

For every event of the training pool (``real-audio --set train-pool``) against every event
(breaks and impacts) of each evaluation set: the largest normalised cross-correlation over all
lags, at 8 kHz (``max |a * b| / (|a| |b|)``; 1 = the same waveform). Short impulses correlate
by chance (a click with any click), so each pair is also scored against the evaluation event
played backwards (same length and spectrum, cannot share the waveform): a shared recording
shows as a forward score well above the backward one. Prints the largest pairs both ways and
writes overlap.json.

Usage (repository root):
  .venv/bin/python docs/results/impact-pool/overlap.py build/real_audio_train_pool \\
      build/real_audio build/real_audio_holdout
"""
import csv
import json
import os
import sys

import numpy as np
import scipy.signal

from components.audio.audio_io import SAMPLE_RATE, read_mono, resample

RATE = 8000


def events(folder):
    with open(os.path.join(folder, "events.csv")) as handle:
        rows = list(csv.DictReader(handle))
    out = {}
    for row in rows:
        audio = resample(read_mono(os.path.join(folder, row["path"])), SAMPLE_RATE, RATE)
        out[f"{os.path.basename(folder)}/{row['path']} ({row['class']})"] = audio - audio.mean()
    return out


def max_ncc(a, b):
    corr = scipy.signal.fftconvolve(a, b[::-1], mode="full")
    return float(np.abs(corr).max() / (np.linalg.norm(a) * np.linalg.norm(b) + 1e-12))


def main(pool_dir, *eval_dirs):
    pool = events(pool_dir)
    pairs = []
    for eval_dir in eval_dirs:
        for name, audio in events(eval_dir).items():
            for pool_name, pool_audio in pool.items():
                pairs.append((max_ncc(pool_audio, audio), max_ncc(pool_audio, audio[::-1]),
                              pool_name, name))
    within = [max_ncc(a, b) for i, (_, a) in enumerate(pool.items())
              for j, (_, b) in enumerate(pool.items()) if i < j]
    pairs.sort(reverse=True)
    print("largest forward scores (forward / backward):")
    for score, backward, pool_name, name in pairs[:10]:
        print(f"{score:.3f} / {backward:.3f}  {pool_name}  <->  {name}")
    print("largest forward - backward:")
    for score, backward, pool_name, name in sorted(pairs, key=lambda p: p[1] - p[0])[:10]:
        print(f"{score:.3f} / {backward:.3f}  {pool_name}  <->  {name}")
    forward = [p[0] for p in pairs]
    print(f"{len(pairs)} pairs against the evaluation sets: median {np.median(forward):.3f}, "
          f"95th percentile {np.percentile(forward, 95):.3f}, largest {pairs[0][0]:.3f}; "
          f"largest forward - backward {max(p[0] - p[1] for p in pairs):.3f}; within the pool "
          f"(other files, some edits of one recording): median {np.median(within):.3f}, "
          f"largest {max(within):.3f}")
    here = os.path.dirname(os.path.abspath(__file__))
    with open(os.path.join(here, "overlap.json"), "w") as handle:
        json.dump({"rate_hz": RATE, "pairs": [{"ncc": round(s, 4), "ncc_backward": round(b, 4),
                                           "pool": p, "eval": e} for s, b, p, e in pairs],
                   "within_pool_largest": round(max(within), 4)}, handle, indent=1)


if __name__ == "__main__":
    main(*sys.argv[1:])
