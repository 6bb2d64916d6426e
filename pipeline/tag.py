"""``python -m pipeline tag``: tag audio files with a pushed model or through TF Serving's REST API.

Any format libsndfile reads (WAV of any bit depth, FLAC, OGG, MP3) is converted to mono (channel
mean) at 44.1 kHz (soxr resampling) and cut into consecutive windows of the model's clip length;
when the length does not divide evenly the last window is aligned to the end of the audio, and a
file shorter than one clip is zero-padded by the model. Each window's probability and decision
is reported with its start time and the class the model tags (its ``model_info``). A bad file
is reported on one line and the other files are still tagged; the exit code is non-zero when any
file failed.

``--events``: onsets and offsets instead of windows (``components.model.localize``). The file is
streamed (blocks of 1.5 s, resampled on the fly), in windows of the model's clip length
every half clip, so memory stays bounded for recordings of any length. With ``--onsets
strength`` (the default) each window the model tags (``predict_waveform``'s decision, or the
site threshold's) gives one onset, its strongest spectral rise (``features.onset_strength`` of
the window's MFCCs, computed here), kept when it falls in the frames that window judges or no
earlier window gave it (``localize.OnsetTracker``); with ``--onsets running`` the
``localize_waveform`` signature's running probability is thresholded. Events are written as a
DCASE event list (tab-separated ``filename onset offset event_label``, ``events.csv``) and as
``events.json`` in ``--events-dir``.
"""
from __future__ import annotations

import json
import os
import sys
import urllib.error
import urllib.request
from typing import Dict, Iterator, List, Sequence, Tuple

import numpy as np

from components.audio.audio_io import first_line
from components.audio.features import HOP_LENGTH, n_frames

SAMPLE_RATE = 44100
REQUEST_WINDOWS = 16   # windows per REST request
PROGRESS_MIN_S = 300.0  # files longer than this show progress on stderr
MIN_SAMPLE_RATE, MAX_SAMPLE_RATE = 4000, 768000   # outside: the header is taken to be wrong
MAX_DURATION_S = 3600.0  # default cap on a file read whole (--events streams any length)
# Below this rate a recording has nothing above half of it, and the models (networks and onset
# fusion alike, trained on full-band 44.1 kHz audio) miss most events in it: docs/results.md,
# "The recording chain".
BAND_LIMITED_BELOW_HZ = 32000


class TagError(RuntimeError):
    """One file or the server could not be used; the message says which and why."""


class ModelError(TagError):
    """The --model folder is not a usable tagger (exit 3)."""


class ServerError(TagError):
    """The server cannot be reached or gave an answer that is not a tagger's (exit 4)."""


class SiteThresholded:
    """A model whose decisions use a site's threshold (``calibrate-site``) instead of its own."""

    def __init__(self, model, threshold: float):
        self._model = model
        self.threshold = threshold
        self.clip_samples, self.event_class = model.clip_samples, model.event_class
        self.highpass_hz = model.highpass_hz        # its features' (the onsets' in --events)

    def predict(self, batch: np.ndarray) -> Dict[str, np.ndarray]:
        probability = self._model.predict(batch)["probability"]
        return {"probability": probability,
                "decision": (probability >= np.float32(self.threshold)).astype(np.int64)}

    def localize(self, batch: np.ndarray) -> np.ndarray:
        return self._model.localize(batch)


def display_path(path: str) -> str:
    """``path`` printable on any console and valid in JSON (undecodable bytes shown as U+FFFD)."""
    return os.fsencode(path).decode("utf-8", "replace")


def finite_or_none(value: float):
    """JSON has no NaN: a non-finite number becomes null."""
    return float(value) if np.isfinite(value) else None


def read_audio(path: str, max_duration_s: float = MAX_DURATION_S) -> np.ndarray:
    """Mono float32 at 44.1 kHz from any libsndfile format; refuses files longer than
    ``max_duration_s`` (they are read whole)."""
    with _open_audio(path) as handle:
        rate = handle.samplerate
        if handle.frames / rate > max_duration_s:
            raise TagError(f"{display_path(path)}: {handle.frames / rate:.0f} s long; more than "
                           f"--max-duration-s {max_duration_s:g} (use --events, which streams "
                           "files of any length, or raise the cap)")
        try:
            audio = handle.read(dtype="float32", always_2d=True)
        except Exception as err:
            raise TagError(f"{display_path(path)}: not a readable audio file "
                           f"({first_line(err)})") from err
    mono = audio.mean(axis=1)
    if not np.isfinite(mono).all():
        raise TagError(f"{display_path(path)}: contains NaN or infinite samples")
    if rate != SAMPLE_RATE:
        import librosa
        mono = librosa.resample(mono, orig_sr=rate, target_sr=SAMPLE_RATE)
    return mono.astype(np.float32)


def _open_audio(path: str):
    """An open SoundFile after the header checks; warns (one line) when the file's framing says
    it was cut short (only the part that decodes is tagged)."""
    import soundfile
    from components.audio.audio_io import declared_frames_mismatch
    shown = display_path(path)
    if not os.path.exists(path):
        raise TagError(f"{shown}: file does not exist")
    if os.path.isdir(path):
        raise TagError(f"{shown}: is a folder; expected an audio file")
    if os.path.getsize(path) == 0:
        raise TagError(f"{shown}: file is empty")
    try:
        handle = soundfile.SoundFile(os.fsencode(path))   # bytes: any file name, even not UTF-8
    except Exception as err:
        raise TagError(f"{shown}: not a readable audio file ({first_line(err)})") from err
    if not MIN_SAMPLE_RATE <= handle.samplerate <= MAX_SAMPLE_RATE:
        handle.close()
        raise TagError(f"{shown}: sample rate {handle.samplerate} Hz in its header; expected "
                       f"{MIN_SAMPLE_RATE} to {MAX_SAMPLE_RATE} Hz")
    if handle.frames == 0:
        handle.close()
        raise TagError(f"{shown}: contains no samples")
    problem = declared_frames_mismatch(path)
    if problem:
        print(f"warning: {shown}: {problem}; tagging the {handle.frames / handle.samplerate:.1f} "
              "s that decode", file=sys.stderr, flush=True)
    if handle.samplerate < BAND_LIMITED_BELOW_HZ:
        print(f"warning: {shown}: {band_limit_warning(handle.samplerate)}", file=sys.stderr,
              flush=True)
    return handle


def band_limit_warning(sample_rate: int) -> str:
    """Why a recording at ``sample_rate`` (below BAND_LIMITED_BELOW_HZ) is tagged less well."""
    return (f"recorded at {sample_rate} Hz, so nothing above {sample_rate / 2000:.3g} kHz; the "
            "models are trained on 44.1 kHz audio and find far fewer events in band-limited "
            "recordings (the quick profile's found 1-4 % of synthetic breaks at 8-11 kHz, 45 % "
            "at 16 kHz, 74 % at 22.05 kHz; docs/results.md, \"The recording chain\")")


def stream_audio(path: str, block_s: float = 1.5) -> Iterator[np.ndarray]:
    """Mono float32 44.1 kHz blocks of about ``block_s`` seconds, read and resampled one block
    at a time (bounded memory for any file length)."""
    handle = _open_audio(path)
    with handle:
        resampler = None
        if handle.samplerate != SAMPLE_RATE:
            import soxr
            resampler = soxr.ResampleStream(handle.samplerate, SAMPLE_RATE, 1, dtype="float32",
                                            quality="HQ")
        block = max(1, int(block_s * handle.samplerate))
        while True:
            try:
                data = handle.read(block, dtype="float32", always_2d=True)
            except Exception as err:
                raise TagError(f"{display_path(path)}: decoding failed at "
                               f"{handle.tell() / handle.samplerate:.1f} s "
                               f"({first_line(err)})") from err
            last = len(data) < block
            mono = data.mean(axis=1) if len(data) else np.zeros(0, np.float32)
            if not np.isfinite(mono).all():
                raise TagError(f"{display_path(path)}: contains NaN or infinite samples")
            if resampler is not None:
                mono = resampler.resample_chunk(mono, last=last)
            if len(mono):
                yield np.asarray(mono, np.float32)
            if last:
                return


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
        if not os.path.isdir(path):
            raise ModelError(f"--model {path}: no such folder; expected a SavedModel folder or "
                             "a serving base folder of version folders")
        if not os.path.exists(os.path.join(path, "saved_model.pb")):
            versions = sorted((d for d in os.listdir(path) if d.isdigit()
                               and os.path.exists(os.path.join(path, d, "saved_model.pb"))),
                              key=int)
            if not versions:
                raise ModelError(f"--model {path}: no SavedModel (saved_model.pb) here or in "
                                 "version folders")
            path = os.path.join(path, versions[-1])
        self.path = path
        try:
            self._model = tf.saved_model.load(path)
        except Exception as err:
            raise ModelError(f"--model {path}: not a loadable SavedModel "
                             f"({first_line(err)[:200]})") from None
        if "model_info" not in getattr(self._model, "signatures", {}):
            raise ModelError(f"--model {path}: a SavedModel without this project's model_info "
                             "signature; expected a model pushed by this pipeline")
        try:
            info = serving.model_info(self._model)
            self.clip_samples = int(info["clip_samples"])
            self.threshold = float(info["threshold"])
            self.event_class = ",".join(info["classes"]) or "event"
            self.highpass_hz = int(info["highpass_hz"])
        except Exception as err:
            raise ModelError(f"--model {path}: its model_info is unusable "
                             f"({first_line(err)[:200]})") from None
        if self.clip_samples <= 0 or not 0.0 < self.threshold < 1.0:
            raise ModelError(f"--model {path}: model_info gives clip_samples "
                             f"{self.clip_samples} and threshold {self.threshold}; expected "
                             "positive samples and a threshold in (0, 1)")

    def predict(self, batch: np.ndarray) -> Dict[str, np.ndarray]:
        from components.model import serving
        return serving.call_signature(self._model, "predict_waveform", batch)

    def localize(self, batch: np.ndarray) -> np.ndarray:
        """Running probability per frame, [batch, frames]."""
        from components.model import serving
        if "localize_waveform" not in self._model.signatures:
            raise TagError(f"{self.path}: this model has no localize_waveform signature "
                           "(exported before --events existed); re-run the pipeline")
        return serving.call_signature(self._model, "localize_waveform",
                                      batch)["frame_probability"]


class ServingClient:
    """TF Serving's REST API: ``<server>/v1/models/<name>:predict``. Every answer is checked:
    anything that is not this tagger's answer is a ServerError naming the URL."""

    def __init__(self, server: str, model_name: str, timeout_s: float):
        if not server.startswith(("http://", "https://")):
            raise ServerError(f"--server {server}: expected an http:// or https:// URL")
        self.url = f"{server.rstrip('/')}/v1/models/{model_name}:predict"
        self._timeout = timeout_s
        rows = _rows(self._post({"signature_name": "model_info", "instances": [""]}), self.url, 1)
        try:
            info = rows[0]
            self.clip_samples = int(info["clip_samples"])
            self.threshold = float(info.get("threshold", 0.5))
            self.event_class = str(info.get("classes") or "event")
            self.highpass_hz = int(info.get("highpass_hz", 0))
        except (KeyError, TypeError, ValueError, AttributeError):
            raise ServerError(f"{self.url}: the model_info answer is not this project's "
                              f"({str(rows)[:200]})") from None
        if self.clip_samples <= 0 or not 0.0 < self.threshold < 1.0:
            raise ServerError(f"{self.url}: model_info gives clip_samples {self.clip_samples} "
                              f"and threshold {self.threshold}")

    def _post(self, body: Dict) -> Dict:
        request = urllib.request.Request(self.url, data=json.dumps(body).encode("utf-8"),
                                         headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=self._timeout) as response:
                text = response.read().decode("utf-8", "replace")
        except urllib.error.HTTPError as err:
            detail = " ".join(err.read().decode("utf-8", "replace").split())[:200]
            raise ServerError(f"{self.url}: server answered HTTP {err.code}: {detail}") from None
        except (urllib.error.URLError, OSError, ValueError) as err:
            reason = getattr(err, "reason", err)
            raise ServerError(f"{self.url}: server unreachable ({reason})") from None
        try:
            return json.loads(text)
        except ValueError:
            raise ServerError(f"{self.url}: the answer is not JSON "
                              f"({' '.join(text.split())[:120]!r})") from None

    def localize(self, batch: np.ndarray) -> np.ndarray:
        """Running probability per frame through the ``localize_waveform`` signature."""
        rows = _rows(self._post({"signature_name": "localize_waveform",
                                 "instances": batch.tolist()}), self.url, len(batch))
        try:
            frames = np.asarray([r["frame_probability"] for r in rows], np.float32)
        except (KeyError, ValueError, TypeError) as err:
            raise ServerError(f"{self.url}: the localize_waveform answer has no frame_probability "
                              f"rows ({str(rows[:1])[:200]})") from err
        if frames.ndim != 2 or not np.isfinite(frames).all():
            raise ServerError(f"{self.url}: the localize_waveform answer is not finite rows of "
                              "frame probabilities")
        return frames

    def predict(self, batch: np.ndarray) -> Dict[str, np.ndarray]:
        rows = _rows(self._post(predict_request(batch)), self.url, len(batch))
        try:
            probability = np.asarray([float(r["probability"]) for r in rows], np.float32)
            decision = np.asarray([int(r["decision"]) for r in rows], np.int64)
        except (KeyError, TypeError, ValueError) as err:
            raise ServerError(f"{self.url}: the predict_waveform answer is not rows of "
                              f"probability and decision ({str(rows[:1])[:200]})") from err
        if not (np.isfinite(probability).all() and ((probability >= 0) & (probability <= 1)).all()):
            raise ServerError(f"{self.url}: the answer holds probabilities outside [0, 1]")
        return {"probability": probability, "decision": decision}


def _rows(response, url: str = "", expected: int = -1) -> List[Dict]:
    """Row-format predictions (a single-output model answers with bare values); ``expected``
    rows, or ServerError."""
    predictions = response.get("predictions") if isinstance(response, dict) else None
    if not isinstance(predictions, list):
        detail = response.get("error") if isinstance(response, dict) else None
        raise ServerError(f"{url}: unexpected TF Serving answer "
                          f"({' '.join(str(detail or response).split())[:200]})")
    if expected >= 0 and len(predictions) != expected:
        raise ServerError(f"{url}: {len(predictions)} prediction rows for {expected} inputs")
    return [p if isinstance(p, dict) else {"probability": p} for p in predictions]


def tag_file(path: str, model, max_duration_s: float = MAX_DURATION_S) -> List[Dict]:
    """One row per window: file, start_s, probability, decision."""
    audio = read_audio(path, max_duration_s)
    starts = window_starts(len(audio), model.clip_samples)
    chunks = [audio[s:s + model.clip_samples] for s in starts]
    rows = []
    for first in range(0, len(chunks), REQUEST_WINDOWS):
        part = chunks[first:first + REQUEST_WINDOWS]
        outputs = model.predict(pad_batch(part, model.clip_samples))
        for offset, (p, d) in enumerate(zip(outputs["probability"], outputs["decision"])):
            start = starts[first + offset] / SAMPLE_RATE
            rows.append({"file": display_path(path), "start_s": round(start, 3),
                         "class": model.event_class, "probability": finite_or_none(p),
                         "decision": int(d)})
    return rows


def localize_file(path: str, model, rule, progress: bool = True
                  ) -> Tuple[List[Tuple[float, float]], float]:
    """Events (onset_s, offset_s) in one file and its duration, streaming (see module doc)."""
    from components.audio import features
    from components.model import localize
    clip = model.clip_samples
    frames = n_frames(clip)
    hop_frames = max(1, (clip // 2) // HOP_LENGTH)
    hop = hop_frames * HOP_LENGTH
    frame_period = localize.FRAME_PERIOD_S
    window_times = localize.frame_times(frames)
    tracker = (localize.OnsetTracker(rule) if rule.onsets == "strength"
               else localize.EventTracker(rule, frame_period))
    bands = features.mel_bands(highpass_hz=model.highpass_hz)   # the model's, once per file
    stream = stream_audio(path)
    buffer, buffer_start, total = np.zeros(0, np.float32), 0, None
    pending: List[Tuple[int, int, np.ndarray]] = []
    shown = 0.0

    def flush():
        if not pending:
            return
        batch = pad_batch([w for _, _, w in pending], clip)
        if rule.onsets == "strength":
            decisions = model.predict(batch)["decision"]
            for (index, start, _), decision, samples in zip(pending, decisions, batch):
                strength = features.onset_strength(features.mfcc(samples, bands=bands))
                frame = localize.strongest_onset(strength, bool(decision))
                onset = None if frame is None else (start + frame * HOP_LENGTH) / SAMPLE_RATE
                if onset is not None and (total is None or onset < total / SAMPLE_RATE):
                    judged = localize.judged_frames(index, frames, hop_frames)
                    # offsets past the end are cut to the file's duration on return
                    tracker.offer(onset, (start + clip) / SAMPLE_RATE,
                                  judged.start <= frame < judged.stop)
            pending.clear()
            return
        running = model.localize(batch)
        for (index, start, _), probability in zip(pending, running):
            smoothed = localize.smooth(probability, rule, 1.0 / frame_period)
            judged = localize.judged_frames(index, frames, hop_frames)
            times = start / SAMPLE_RATE + window_times[judged]
            values = smoothed[judged]
            if total is not None:
                keep = times < total / SAMPLE_RATE
                times, values = times[keep], values[keep]
            tracker.feed(times, values)
        pending.clear()

    index = 0
    while True:
        start = index * hop
        while total is None and buffer_start + len(buffer) < start + clip:
            block = next(stream, None)
            if block is None:
                total = buffer_start + len(buffer)
            else:
                buffer = np.concatenate([buffer, block])
        if index > 0 and total is not None and start + (frames - hop_frames) * HOP_LENGTH >= total:
            break
        window = buffer[start - buffer_start:start - buffer_start + clip]
        pending.append((index, start, window.copy()))
        drop = min(len(buffer), start + hop - buffer_start)
        buffer, buffer_start = buffer[drop:], buffer_start + drop
        if len(pending) == REQUEST_WINDOWS:
            flush()
            seconds = start / SAMPLE_RATE
            if progress and seconds >= PROGRESS_MIN_S and seconds - shown >= PROGRESS_MIN_S:
                shown = seconds
                print(f"[tag] {path}: {seconds / 60:.0f} min read", file=sys.stderr, flush=True)
        index += 1
    flush()
    duration = total / SAMPLE_RATE
    return [(on, min(off, round(duration, 4))) for on, off in tracker.finish()], duration


def event_rows(path: str, events, event_class: str) -> List[Dict]:
    """JSON-able rows of one file's events."""
    return [{"file": display_path(path), "onset_s": round(on, 3), "offset_s": round(off, 3),
             "class": event_class} for on, off in events]


def write_event_lists(rows: List[Dict], directory: str) -> Tuple[str, str]:
    """``events.csv`` (DCASE event list: tab-separated filename, onset, offset, label) and
    ``events.json`` in ``directory``."""
    os.makedirs(directory, exist_ok=True)
    csv_path, json_path = (os.path.join(directory, "events.csv"),
                           os.path.join(directory, "events.json"))
    with open(csv_path, "w", encoding="utf-8") as handle:
        for r in rows:
            handle.write(f"{r['file']}\t{r['onset_s']:.3f}\t{r['offset_s']:.3f}\t{r['class']}\n")
    with open(json_path, "w", encoding="utf-8") as handle:
        json.dump(rows, handle, indent=2, allow_nan=False)
    return csv_path, json_path


def _print_rows(rows: List[Dict], as_json: bool, columns) -> None:
    """Rows as JSON, or as a table: the file, then ``columns`` of (title, width, cell(row))."""
    if as_json:
        print(json.dumps(rows, indent=2, allow_nan=False))
        return
    width = max([len(r["file"]) for r in rows] + [4])
    print("  ".join([f"{'file':<{width}}"] + [f"{title:>{w}}" for title, w, _ in columns]))
    for r in rows:
        print("  ".join([f"{r['file']:<{width}}"] + [f"{cell(r):>{w}}" for _, w, cell in columns]))


def main_events(args, model) -> int:
    """``tag --events``: stream every file, write the event lists, print them."""
    from components.model import localize
    try:
        rule = localize.EventRule(threshold=model.threshold if args.event_threshold is None
                                  else args.event_threshold,
                                  median_s=args.median_s, min_event_s=args.min_event_s,
                                  min_gap_s=args.min_gap_s,
                                  onsets=getattr(args, "onsets", "strength"))
    except ValueError as err:
        print(f"error: --events: {err}", file=sys.stderr)
        return 2
    if os.path.exists(args.events_dir) and not os.path.isdir(args.events_dir):
        print(f"error: --events-dir {args.events_dir}: is a file; expected a folder",
              file=sys.stderr)
        return 2
    rows, codes = [], []
    for path in args.files:
        try:
            events, duration = localize_file(path, model, rule)
        except TagError as err:
            codes.append(failure_code(err))
            print(f"error: {err}", file=sys.stderr)
            continue
        print(f"[tag] {display_path(path)}: {len(events)} {model.event_class} event(s) in "
              f"{duration:.1f} s", file=sys.stderr, flush=True)
        rows.extend(event_rows(path, events, model.event_class))
    csv_path, json_path = write_event_lists(rows, args.events_dir)
    _print_rows(rows, args.json, [("onset_s", 8, lambda r: f"{r['onset_s']:.2f}"),
                                  ("offset_s", 8, lambda r: f"{r['offset_s']:.2f}"),
                                  ("class", 0, lambda r: r["class"])])
    print(f"[tag] events written to {csv_path} and {json_path}", file=sys.stderr)
    return max(codes, default=0)


def failure_code(err: TagError) -> int:
    """A file that could not be tagged: 1; the server failing on it: 4 (pipeline.cli_errors)."""
    return 4 if isinstance(err, ServerError) else 1


def check_args(args) -> str:
    """'' or the first bad flag's one-line message."""
    timeout = getattr(args, "timeout_s", 30.0)
    if not timeout > 0 or not np.isfinite(timeout):
        return f"--timeout-s {timeout}: expected a positive number of seconds"
    limit = getattr(args, "max_duration_s", MAX_DURATION_S)
    if not limit > 0 or not np.isfinite(limit):
        return f"--max-duration-s {limit}: expected a positive number of seconds"
    return ""


def main(args) -> int:
    """Exit codes: 0 every file tagged; 1 some file could not be (each named on stderr, the
    others tagged); 2 a bad flag; 3 a bad --model; 4 the server (pipeline.cli_errors)."""
    problem = check_args(args)
    if problem:
        print(f"error: {problem}", file=sys.stderr)
        return 2
    try:
        model = (LocalModel(args.model) if args.model
                 else ServingClient(args.server, args.model_name, args.timeout_s))
    except TagError as err:
        print(f"error: {err}", file=sys.stderr)
        return 4 if isinstance(err, ServerError) else 3
    if getattr(args, "site_threshold", None):
        from pipeline import site
        try:
            threshold = site.load_threshold(args.site_threshold, model)
        except TagError as err:
            print(f"error: {err}", file=sys.stderr)
            return 4 if isinstance(err, ServerError) else 2
        print(f"[tag] deciding at the site threshold {threshold:.6g} of {args.site_threshold} "
              f"(the model's own: {model.threshold:g})", file=sys.stderr, flush=True)
        model = SiteThresholded(model, threshold)
    if getattr(args, "events", False):
        return main_events(args, model)
    results, codes = [], []
    for path in args.files:
        try:
            results.extend(tag_file(path, model, getattr(args, "max_duration_s",
                                                         MAX_DURATION_S)))
        except TagError as err:
            codes.append(failure_code(err))
            print(f"error: {err}", file=sys.stderr)
    _print_rows(results, args.json, [
        ("start_s", 8, lambda r: f"{r['start_s']:.2f}"),
        ("probability", 11, lambda r: "nan" if r["probability"] is None
         else f"{r['probability']:.4f}"),
        ("decision", 0, lambda r: r["class"] if r["decision"] else "-")])
    return max(codes, default=0)
