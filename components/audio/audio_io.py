"""Reading source audio safely: mono, at least 44.1 kHz, inside the data root, with clear errors."""
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
    """Read a mono file as float64 at ``sample_rate``; higher rates are resampled down.

    Raises AudioDataError naming the file when it is missing, empty, unreadable, not mono or
    sampled below ``min_sample_rate``.
    """
    duration_s(path, min_sample_rate)   # header checks: exists, not empty, readable, mono, rate
    try:
        audio, rate = soundfile.read(path, dtype="float64", always_2d=True)
    except Exception as err:  # libsndfile raises several types for corrupt data
        raise AudioDataError(f"{path}: not a readable audio file ({err})") from err
    mono = audio[:, 0]
    if rate != sample_rate:
        mono = resample(mono, rate, sample_rate)
    return mono


def resample(audio: np.ndarray, orig_sr: int, target_sr: int) -> np.ndarray:
    """Resample with librosa's default (soxr high quality), as the reference synthesizer does."""
    import librosa
    return librosa.resample(audio, orig_sr=orig_sr, target_sr=target_sr)


def duration_s(path: str, min_sample_rate: int = SAMPLE_RATE) -> Tuple[float, int]:
    """(duration in seconds, sample rate) from the file header, with the same errors as read_mono.

    Reading only the header lets a reader reject a bad file before any Beam job starts.
    """
    if not os.path.exists(path):
        raise AudioDataError(f"{path}: file does not exist")
    if os.path.getsize(path) == 0:
        raise AudioDataError(f"{path}: file is empty; expected a mono WAV/FLAC recording")
    try:
        info = soundfile.info(path)
    except Exception as err:
        raise AudioDataError(f"{path}: not a readable audio file ({err})") from err
    if info.channels != 1:
        raise AudioDataError(f"{path}: has {info.channels} channels; expected mono (1 channel)")
    if info.samplerate < min_sample_rate:
        raise AudioDataError(f"{path}: sample rate {info.samplerate} Hz; expected at least "
                             f"{min_sample_rate} Hz (audio is resampled down, never up)")
    if info.frames == 0:
        raise AudioDataError(f"{path}: contains no samples")
    return info.frames / float(info.samplerate), info.samplerate
