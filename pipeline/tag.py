"""``python -m pipeline tag``: tag audio files with a pushed model or through TF Serving's REST API.

Any format libsndfile reads (WAV of any bit depth, FLAC, OGG, MP3) is converted to mono (channel
mean) at 44.1 kHz (soxr resampling) and cut into consecutive windows of the model's clip length;
when the length does not divide evenly the last window is aligned to the end of the audio, and a
file shorter than one clip is zero-padded by the model. Each window's probability and decision
is reported with its start time and the class the model tags (its ``model_info``). A bad file is reported on one line and the other files are still tagged; the
exit code is non-zero when any file failed.
"""
from __future__ import annotations

import json
import os
import sys
import urllib.error
import urllib.request
from typing import Dict, List, Sequence

import numpy as np

SAMPLE_RATE = 44100
REQUEST_WINDOWS = 16   # windows per REST request


class TagError(RuntimeError):
    """One file or the server could not be used; the message says which and why."""


def read_audio(path: str) -> np.ndarray:
    """Mono float32 at 44.1 kHz from any libsndfile format."""
    import soundfile
    if not os.path.exists(path):
        raise TagError(f"{path}: file does not exist")
    if os.path.getsize(path) == 0:
        raise TagError(f"{path}: file is empty")
    try:
        audio, rate = soundfile.read(path, dtype="float32", always_2d=True)
    except Exception as err:
        raise TagError(f"{path}: not a readable audio file ({str(err).splitlines()[0]})") from err
    if audio.shape[0] == 0:
        raise TagError(f"{path}: contains no samples")
    mono = audio.mean(axis=1)
    if rate != SAMPLE_RATE:
        import librosa
        mono = librosa.resample(mono, orig_sr=rate, target_sr=SAMPLE_RATE)
    return mono.astype(np.float32)


def window_starts(n_samples: int, clip_samples: int) -> List[int]:
    """Start samples of the windows: consecutive clips; when the audio does not divide evenly,
    the last window ends at the end of the audio (overlapping the one before), so that no window
    of a long file is padded with silence. Audio shorter than one clip is one (padded) window."""
    if n_samples <= clip_samples:
        return [0]
    starts = list(range(0, n_samples - clip_samples + 1, clip_samples))
    if starts[-1] + clip_samples < n_samples:
        starts.append(n_samples - clip_samples)
    return starts


def windows(audio: np.ndarray, clip_samples: int) -> List[np.ndarray]:
    """The windows at :func:`window_starts` (only a short file's single window is shorter)."""
    return [audio[s:s + clip_samples] for s in window_starts(len(audio), clip_samples)]


def pad_batch(chunks: Sequence[np.ndarray], clip_samples: int) -> np.ndarray:
    """Stack windows into [batch, clip_samples], zero-padding at the end (as the model does)."""
    batch = np.zeros((len(chunks), clip_samples), np.float32)
    for row, chunk in enumerate(chunks):
        batch[row, :len(chunk)] = chunk[:clip_samples]
    return batch


def predict_request(batch: np.ndarray) -> Dict:
    """TF Serving REST predict body (row format) for the ``predict_waveform`` signature."""
    return {"signature_name": "predict_waveform", "instances": batch.tolist()}


class LocalModel:
    """A SavedModel directory (a version folder, or a base folder whose newest version is used)."""

    def __init__(self, path: str):
        import tensorflow as tf
        from components.model import serving
        if not os.path.exists(os.path.join(path, "saved_model.pb")):
            versions = sorted((d for d in os.listdir(path) if d.isdigit()), key=int) \
                if os.path.isdir(path) else []
            if not versions:
                raise TagError(f"{path}: no SavedModel (saved_model.pb) here or in version folders")
            path = os.path.join(path, versions[-1])
        self.path = path
        self._model = tf.saved_model.load(path)
        info = serving.model_info(self._model)
        self.clip_samples = int(info["clip_samples"])
        self.event_class = ",".join(info["classes"]) or "event"

    def predict(self, batch: np.ndarray) -> Dict[str, np.ndarray]:
        from components.model import serving
        return serving.call_signature(self._model, "predict_waveform", batch)


class ServingClient:
    """TF Serving's REST API: ``<server>/v1/models/<name>:predict``."""

    def __init__(self, server: str, model_name: str, timeout_s: float):
        self.url = f"{server.rstrip('/')}/v1/models/{model_name}:predict"
        self._timeout = timeout_s
        info = _rows(self._post({"signature_name": "model_info", "instances": [""]}))[0]
        self.clip_samples = int(info["clip_samples"])
        self.event_class = str(info.get("classes") or "event")

    def _post(self, body: Dict) -> Dict:
        request = urllib.request.Request(self.url, data=json.dumps(body).encode("utf-8"),
                                         headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=self._timeout) as response:
                return json.loads(response.read().decode("utf-8"))
        except urllib.error.HTTPError as err:
            raise TagError(f"{self.url}: server answered HTTP {err.code}: "
                           f"{err.read().decode('utf-8', 'replace')[:200]}") from err
        except (urllib.error.URLError, OSError) as err:
            reason = getattr(err, "reason", err)
            raise TagError(f"{self.url}: server unreachable ({reason})") from err

    def predict(self, batch: np.ndarray) -> Dict[str, np.ndarray]:
        rows = _rows(self._post(predict_request(batch)))
        return {"probability": np.asarray([r["probability"] for r in rows], np.float32),
                "decision": np.asarray([r["decision"] for r in rows], np.int64)}


def _rows(response: Dict) -> List[Dict]:
    """Row-format predictions; a single-output model answers with bare values."""
    predictions = response.get("predictions")
    if predictions is None:
        raise TagError(f"unexpected TF Serving answer: {str(response)[:200]}")
    return [p if isinstance(p, dict) else {"probability": p} for p in predictions]


def tag_file(path: str, model) -> List[Dict]:
    """One row per window: file, start_s, probability, decision."""
    audio = read_audio(path)
    starts = window_starts(len(audio), model.clip_samples)
    chunks = [audio[s:s + model.clip_samples] for s in starts]
    rows = []
    for first in range(0, len(chunks), REQUEST_WINDOWS):
        part = chunks[first:first + REQUEST_WINDOWS]
        outputs = model.predict(pad_batch(part, model.clip_samples))
        for offset, (p, d) in enumerate(zip(outputs["probability"], outputs["decision"])):
            start = starts[first + offset] / SAMPLE_RATE
            rows.append({"file": path, "start_s": round(start, 3), "class": model.event_class,
                         "probability": float(p), "decision": int(d)})
    return rows


def main(args) -> int:
    try:
        model = (LocalModel(args.model) if args.model
                 else ServingClient(args.server, args.model_name, args.timeout_s))
    except TagError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    results, failures = [], 0
    for path in args.files:
        try:
            results.extend(tag_file(path, model))
        except TagError as err:
            failures += 1
            print(f"error: {err}", file=sys.stderr)
    if args.json:
        print(json.dumps(results, indent=2))
    else:
        width = max([len(r["file"]) for r in results] + [4])
        print(f"{'file':<{width}}  {'start_s':>8}  {'probability':>11}  decision")
        for r in results:
            print(f"{r['file']:<{width}}  {r['start_s']:>8.2f}  {r['probability']:>11.4f}  "
                  f"{r['class'] if r['decision'] else '-'}")
    return 1 if failures else 0
