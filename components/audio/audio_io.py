"""Reading source audio safely: channels averaged to mono, at least 44.1 kHz, inside the data root,
with clear errors; a whole-file content check for the files a run will use."""
from __future__ import annotations

import os
from typing import Tuple

import numpy as np
import soundfile

SAMPLE_RATE = 44100


class AudioDataError(ValueError):
    """Bad input audio or metadata; the message names the file and what was expected."""


def resolve_under_root(data_root: str, relative_path: str, named_in: str = "") -> str:
    """Join ``relative_path`` to ``data_root``, refusing absolute paths and ``..`` escapes."""
    where = f" (named in {named_in})" if named_in else ""
    if os.path.isabs(relative_path):
        raise AudioDataError(f"{relative_path}{where}: absolute paths are not allowed; "
                             f"expected a path relative to {data_root}")
    root = os.path.realpath(data_root)
    full = os.path.realpath(os.path.join(root, relative_path))
    if os.path.commonpath([root, full]) != root:
        raise AudioDataError(f"{relative_path}{where}: path escapes the data root {data_root}")
    return full


def read_mono(path: str, min_sample_rate: int = SAMPLE_RATE,
              sample_rate: int = SAMPLE_RATE) -> np.ndarray:
    """Read a file as mono float64 at ``sample_rate`` (channels averaged, as the DCASE reference
    synthesizer does); higher rates are resampled down.

    Raises AudioDataError naming the file when it is missing, empty, unreadable, sampled below
    ``min_sample_rate``, longer than MAX_RECORDING_S, or holds NaN/infinite samples.
    """
    duration_s(path, min_sample_rate)   # header checks: exists, not empty, readable, rate, length
    try:
        audio, rate = soundfile.read(os.fsencode(path), dtype="float64", always_2d=True)
    except Exception as err:  # libsndfile raises several types for corrupt data
        raise AudioDataError(f"{path}: not a readable audio file ({first_line(err)})") from err
    mono = audio.mean(axis=1) if audio.shape[1] > 1 else audio[:, 0]
    if not np.isfinite(mono).all():
        raise AudioDataError(f"{path}: contains NaN or infinite samples")
    if rate != sample_rate:
        mono = resample(mono, rate, sample_rate)
    return mono


def resample(audio: np.ndarray, orig_sr: int, target_sr: int) -> np.ndarray:
    """Resample with librosa's default (soxr high quality), as the reference synthesizer does."""
    import librosa
    return librosa.resample(audio, orig_sr=orig_sr, target_sr=target_sr)


MAX_SAMPLE_RATE = 768000        # above this a header is taken to be wrong
MAX_RECORDING_S = 3600.0        # source recordings are read whole: refuse longer ones


def first_line(err: Exception) -> str:
    """The first line of an exception's message (its type's name when it has none)."""
    return (str(err).strip().splitlines() or [type(err).__name__])[0]


def duration_s(path: str, min_sample_rate: int = SAMPLE_RATE,
               max_duration_s: float = MAX_RECORDING_S) -> Tuple[float, int]:
    """(duration in seconds, sample rate) from the file header, with the same errors as read_mono.

    Reading only the header lets a reader reject a bad file before any Beam job starts.
    """
    if not os.path.exists(path):
        raise AudioDataError(f"{path}: file does not exist")
    if os.path.isdir(path):
        raise AudioDataError(f"{path}: is a folder; expected an audio file")
    if os.path.getsize(path) == 0:
        raise AudioDataError(f"{path}: file is empty; expected a WAV/FLAC/OGG recording")
    try:
        info = soundfile.info(os.fsencode(path))
    except Exception as err:
        raise AudioDataError(f"{path}: not a readable audio file ({first_line(err)})") from err
    if info.channels < 1:
        raise AudioDataError(f"{path}: declares {info.channels} channels")
    if info.samplerate < min_sample_rate or info.samplerate > MAX_SAMPLE_RATE:
        raise AudioDataError(f"{path}: sample rate {info.samplerate} Hz; expected "
                             f"{min_sample_rate} to {MAX_SAMPLE_RATE} Hz (audio is resampled "
                             "down, never up)")
    if info.frames <= 0:
        raise AudioDataError(f"{path}: contains no samples")
    length = info.frames / float(info.samplerate)
    if length > max_duration_s:
        raise AudioDataError(f"{path}: {length:.0f} s long; recordings longer than "
                             f"{max_duration_s:.0f} s are refused (cut them into parts)")
    return length, info.samplerate


def declared_frames_mismatch(path: str) -> str:
    """'' when the file's own framing agrees with its data, else what is wrong (one phrase).

    WAV: the ``data`` chunk's declared size against the bytes present (libsndfile silently
    shortens a truncated file). OGG: the last page must carry the end-of-stream flag (a cut
    OGG file decodes without error up to its last complete page).
    """
    with open(path, "rb") as handle:
        head = handle.read(12)
        size = os.fstat(handle.fileno()).st_size
        if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
            position = 12
            while position + 8 <= size:
                handle.seek(position)
                chunk = handle.read(8)
                chunk_id, chunk_size = chunk[:4], int.from_bytes(chunk[4:8], "little")
                if chunk_id == b"data":
                    present = size - position - 8
                    if chunk_size != 0xFFFFFFFF and chunk_size > present:
                        return (f"its header declares {chunk_size} bytes of audio data but "
                                f"{present} are present (truncated file?)")
                    return ""
                position += 8 + chunk_size + (chunk_size & 1)
            return ""
        if head[:4] == b"OggS":
            handle.seek(max(0, size - 65536))
            tail = handle.read()
            last = tail.rfind(b"OggS")
            if last < 0 or last + 5 >= len(tail) or not tail[last + 5] & 0x04:
                return "its last Ogg page has no end-of-stream mark (truncated file?)"
    return ""


def check_audio_content(path: str, min_sample_rate: int = SAMPLE_RATE,
                        block_s: float = 10.0) -> float:
    """Decode the whole file in blocks and refuse what would break a mixture later: a truncated
    file (see :func:`declared_frames_mismatch`), fewer samples than the header declares,
    NaN/infinite samples, or silence throughout. Returns the duration in seconds."""
    length, rate = duration_s(path, min_sample_rate)
    problem = declared_frames_mismatch(path)
    if problem:
        raise AudioDataError(f"{path}: {problem}")
    decoded, peak = 0, 0.0
    try:
        with soundfile.SoundFile(os.fsencode(path)) as handle:
            declared = handle.frames
            block = max(1, int(block_s * rate))
            while True:
                data = handle.read(block, dtype="float32", always_2d=True)
                if len(data) == 0:
                    break
                if not np.isfinite(data).all():
                    raise AudioDataError(f"{path}: contains NaN or infinite samples (near "
                                         f"{decoded / rate:.1f} s)")
                peak = max(peak, float(np.max(np.abs(data))))
                decoded += len(data)
                if len(data) < block:
                    break
    except AudioDataError:
        raise
    except Exception as err:
        raise AudioDataError(f"{path}: decoding failed after {decoded / rate:.1f} s "
                             f"({first_line(err)})") from err
    if decoded != declared:
        raise AudioDataError(f"{path}: declares {declared} samples but {decoded} decode "
                             "(truncated or corrupt file?)")
    if peak == 0.0:
        raise AudioDataError(f"{path}: is silent (every sample is 0); expected a recording")
    return length
