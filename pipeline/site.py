"""``python -m pipeline calibrate-site``: a decision threshold for one deployment site.

The pushed model (``--model``) or the served one (``--server``) scores event-free audio recorded
at the site (files or folders of them; any format ``tag`` reads) in windows of its clip length
every quarter clip; the threshold is set just above those scores so that at most
``--false-alarm-rate`` of the windows reach it (components/model/site_threshold.py), and written
with what it was made from to ``--output`` (``site.json``). ``tag --site-threshold site.json``
then decides with it; it refuses a record made for another model.

The audio must hold no event of the model's class: every window of it is taken as a false alarm
if it fires. A bad file fails the whole calibration (nothing is written), named on one line.
"""
from __future__ import annotations

import hashlib
import json
import os
import sys
from typing import Dict, List, Sequence

import numpy as np

from components.model import site_threshold
from pipeline import tag

AUDIO_EXTENSIONS = (".wav", ".flac", ".ogg", ".oga", ".mp3", ".aif", ".aiff")
HOP_FRACTION = 0.25   # calibration windows start every quarter clip


def audio_files(paths: Sequence[str]) -> List[str]:
    """``paths`` with each folder replaced by the audio files under it (sorted)."""
    found = []
    for path in paths:
        if os.path.isdir(path):
            inside = sorted(os.path.join(root, name) for root, _, names in os.walk(path)
                            for name in names if name.lower().endswith(AUDIO_EXTENSIONS))
            if not inside:
                raise tag.TagError(f"{tag.display_path(path)}: no audio files "
                                   f"({', '.join(AUDIO_EXTENSIONS)}) in this folder")
            found.extend(inside)
        else:
            found.append(path)
    return found


def calibration_starts(n_samples: int, clip_samples: int,
                       hop_fraction: float = HOP_FRACTION) -> List[int]:
    """Window starts every ``hop_fraction`` of a clip, the last window ending at the end of the
    audio; audio shorter than one clip is one (padded) window, as ``tag`` does."""
    if n_samples <= clip_samples:
        return [0]
    hop = max(1, int(clip_samples * hop_fraction))
    starts = list(range(0, n_samples - clip_samples + 1, hop))
    if starts[-1] + clip_samples < n_samples:
        starts.append(n_samples - clip_samples)
    return starts


def model_identity(model) -> Dict:
    """What a site record must match: the class, the clip and the probe probabilities."""
    probe = site_threshold.probe_waveforms(model.clip_samples)
    probabilities = model.predict(probe)["probability"]
    return {"event_class": model.event_class, "clip_samples": int(model.clip_samples),
            "model_threshold": float(model.threshold),
            "probe_probabilities": [round(float(p), 7) for p in probabilities]}


def score_file(path: str, model, max_duration_s: float) -> np.ndarray:
    """Probabilities of every calibration window of one file."""
    audio = tag.read_audio(path, max_duration_s)
    starts = calibration_starts(len(audio), model.clip_samples)
    scores = []
    for first in range(0, len(starts), tag.REQUEST_WINDOWS):
        chunks = [audio[s:s + model.clip_samples]
                  for s in starts[first:first + tag.REQUEST_WINDOWS]]
        scores.append(model.predict(tag.pad_batch(chunks, model.clip_samples))["probability"])
    return np.concatenate(scores)


def sha256(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def load_threshold(path: str, model) -> float:
    """The threshold of the site record at ``path`` for ``model``; TagError (one line) when the
    file is unreadable or was made for another model."""
    try:
        with open(path, "r", encoding="utf-8") as handle:
            record = json.load(handle)
    except OSError as err:
        raise tag.TagError(f"--site-threshold {path}: {err.strerror}") from None
    except ValueError as err:
        raise tag.TagError(f"--site-threshold {path}: not JSON ({err})") from None
    try:
        return site_threshold.check_record(record, model_identity(model),
                                           f"--site-threshold {path}")
    except ValueError as err:
        raise tag.TagError(str(err)) from None


def _check_args(args) -> str:
    if not 0.0 <= args.false_alarm_rate < 1.0:
        return f"--false-alarm-rate {args.false_alarm_rate}: expected 0 <= rate < 1"
    if args.min_windows < 1:
        return f"--min-windows {args.min_windows}: expected at least 1"
    folder = os.path.dirname(os.path.abspath(args.output))
    if not os.path.isdir(folder):
        return f"--output {args.output}: folder {folder} does not exist"
    return tag.check_args(args)


def main(args) -> int:
    """Exit codes as ``tag``: 0 written; 1 a file could not be used or the audio cannot
    calibrate (nothing written); 2 a bad flag; 3 a bad --model; 4 the server."""
    problem = _check_args(args)
    if problem:
        print(f"error: {problem}", file=sys.stderr)
        return 2
    try:
        model = (tag.LocalModel(args.model) if args.model
                 else tag.ServingClient(args.server, args.model_name, args.timeout_s))
    except tag.TagError as err:
        print(f"error: {err}", file=sys.stderr)
        return 4 if isinstance(err, tag.ServerError) else 3
    try:
        files = audio_files(args.files)
        scores, described = [], []
        for path in files:
            file_scores = score_file(path, model, args.max_duration_s)
            scores.append(file_scores)
            described.append({"path": os.path.abspath(path), "sha256": sha256(path),
                              "windows": int(file_scores.size)})
            print(f"[site] {tag.display_path(path)}: {file_scores.size} windows, highest "
                  f"probability {file_scores.max():.4f}", file=sys.stderr, flush=True)
        identity = model_identity(model)
    except tag.TagError as err:
        print(f"error: {err}", file=sys.stderr)
        return tag.failure_code(err)
    values = np.concatenate(scores)
    if values.size < args.min_windows:
        needed_s = ((1 + (args.min_windows - 1) * HOP_FRACTION) * model.clip_samples
                    / tag.SAMPLE_RATE)
        print(f"error: {values.size} calibration windows from {len(files)} file(s); expected at "
              f"least --min-windows {args.min_windows} (about {needed_s:.0f} s of event-free "
              "audio of the site)", file=sys.stderr)
        return 1
    try:
        threshold = site_threshold.threshold_for_rate(values, args.false_alarm_rate)
    except ValueError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    record = site_threshold.site_record(threshold, args.false_alarm_rate, values, described,
                                        identity)
    partial = args.output + ".partial"
    with open(partial, "w", encoding="utf-8") as handle:
        json.dump(record, handle, indent=2, allow_nan=False)
    os.replace(partial, args.output)
    print(f"[site] threshold {threshold:.6g} (the model's own: {model.threshold:g}) from "
          f"{values.size} windows of {len(files)} file(s); "
          f"{100 * record['false_alarm_rate_calibration']:.1f} % of them reach it (target "
          f"{100 * args.false_alarm_rate:g} %); written to {args.output}", file=sys.stderr)
    return 0
