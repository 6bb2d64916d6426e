"""A quiet console: our progress lines, warnings that matter, and nothing else.

TensorFlow 2.16's CPU wheel prints three "Unable to register cuDNN/cuFFT/cuBLAS factory" lines
from C++ when it is imported (error level, so TF_CPP_MIN_LOG_LEVEL=2 keeps them, and 3 would hide
real errors too). :func:`filter_native_stderr` routes file descriptor 2 through a thread that drops
exactly those lines and passes every other byte on; child processes (Beam's worker processes)
inherit the filtered descriptor. Python warnings that say nothing about the user's run
(FutureWarning and DeprecationWarning from google-api-core, Beam, TFX; TFMA's 0/0 on slices
without positives or negatives) are turned off here and, through PYTHONWARNINGS, in every child
process.
"""
from __future__ import annotations

import atexit
import os
import sys
import threading
import warnings
from typing import Sequence

# Lines dropped from fd 2 (bytes that must all occur in the line).
NOISE_LINES = (
    (b"Unable to register cuDNN factory",),
    (b"Unable to register cuFFT factory",),
    (b"Unable to register cuBLAS factory",),
    (b"TF-TRT Warning: Could not find TensorRT",),
    (b"oneDNN custom operations are on",),
)
# TFMA computes recall and false-positive rate on every slice; a slice without positives (or
# without negatives, e.g. each EBR slice) divides 0 by 0 there and numpy warns on every batch.
TFMA_EMPTY_SLICE_WARNING = ("invalid value encountered in divide", RuntimeWarning,
                            "tensorflow_model_analysis.metrics.confusion_matrix_metrics")
CHILD_WARNINGS = ("ignore::FutureWarning,ignore::DeprecationWarning,"
                  "ignore:{}:{}:{}".format(TFMA_EMPTY_SLICE_WARNING[0],
                                           TFMA_EMPTY_SLICE_WARNING[1].__name__,
                                           TFMA_EMPTY_SLICE_WARNING[2]))


def is_noise(line: bytes, patterns: Sequence[Sequence[bytes]] = NOISE_LINES) -> bool:
    """True when ``line`` holds every part of one of ``patterns``."""
    return any(all(part in line for part in parts) for parts in patterns)


class StderrFilter:
    """fd 2 -> pipe -> a thread that writes the non-noise lines to the original stderr."""

    def __init__(self, patterns: Sequence[Sequence[bytes]] = NOISE_LINES):
        self._patterns = patterns
        self._original = os.dup(2)
        read_end, write_end = os.pipe()
        os.dup2(write_end, 2)
        os.close(write_end)
        self._read_end = read_end
        self._thread = threading.Thread(target=self._pump, name="stderr-filter", daemon=True)
        self._thread.start()
        atexit.register(self.close)

    def _pump(self) -> None:
        pending = b""
        while True:
            try:
                chunk = os.read(self._read_end, 65536)
            except OSError:
                break
            if not chunk:
                break
            pending += chunk
            *lines, pending = pending.split(b"\n")
            kept = b"".join(line + b"\n" for line in lines if not is_noise(line, self._patterns))
            if kept:
                os.write(self._original, kept)
        if pending and not is_noise(pending, self._patterns):
            os.write(self._original, pending)
        os.close(self._read_end)

    def close(self) -> None:
        """Restore fd 2 and let the thread pass on what is left (waits at most 2 s)."""
        try:
            sys.stderr.flush()
        except (OSError, ValueError):
            pass
        if self._original is None:
            return
        os.dup2(self._original, 2)   # closes our write end of the pipe
        self._thread.join(timeout=2.0)
        self._original = None


def quiet_console() -> None:
    """Install the stderr filter (once per process) and turn off library warnings here and
    in child processes; FEWSHOT_RAW_STDERR=1 leaves stderr untouched for debugging."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    existing = os.environ.get("PYTHONWARNINGS", "")
    if CHILD_WARNINGS not in existing:
        os.environ["PYTHONWARNINGS"] = ",".join(filter(None, [existing, CHILD_WARNINGS]))
    warnings.filterwarnings("ignore", category=FutureWarning)
    warnings.filterwarnings("ignore", category=DeprecationWarning)
    message, category, module = TFMA_EMPTY_SLICE_WARNING
    warnings.filterwarnings("ignore", message, category, module)
    if os.environ.get("FEWSHOT_RAW_STDERR") == "1" or _already_filtered():
        return
    try:
        StderrFilter()
    except OSError:
        return
    # a second call (or a child that inherits fd 2) must not stack another filter on it
    os.environ[_FILTERED_FD] = _fd_identity(2)


_FILTERED_FD = "_FEWSHOT_FILTERED_STDERR"


def _fd_identity(fd: int) -> str:
    info = os.fstat(fd)
    return f"{info.st_dev}:{info.st_ino}"


def _already_filtered() -> bool:
    try:
        return os.environ.get(_FILTERED_FD) == _fd_identity(2)
    except OSError:
        return False
