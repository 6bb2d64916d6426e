"""What a figure was measured on: the machine, its vector instructions, the numeric library
settings and the installed packages, recorded beside every study and benchmark.

TensorFlow's CPU kernels (oneDNN's) and NumPy's float64 math choose their code by the
processor's instruction set, so the same seeded study synthesizes data equal only to rounding
and trains other models on a machine with other vector instructions (docs/results.md, "What the
processor changes"); and the host under one name is not always equally fast. Compare figures
only where these records agree, and speeds in proportion to the recorded yardstick.
"""
from __future__ import annotations

import hashlib
import os
import platform
import subprocess
from typing import Dict, List, Optional

# The processor flags that change which code TensorFlow's kernels and NumPy's math run.
VECTOR_FLAGS = ("sse4_2", "avx", "avx2", "fma", "avx512f", "avx512bw", "avx512vl", "avx512_vnni",
                "avx512_bf16", "avx_vnni", "amx_tile", "amx_bf16", "amx_int8")
# Environment variables that change TensorFlow's CPU numerics or threading.
NUMERIC_SETTINGS = ("TF_ENABLE_ONEDNN_OPTS", "ONEDNN_MAX_CPU_ISA", "TF_DETERMINISTIC_OPS",
                    "OMP_NUM_THREADS", "PYTHONHASHSEED")


def cpu_info(cpuinfo_text: str) -> Dict:
    """Model name and the vector-instruction flags of ``/proc/cpuinfo``'s first processor."""
    model, flags = None, []
    for line in cpuinfo_text.splitlines():
        key, _, value = line.partition(":")
        key = key.strip()
        if key == "model name" and model is None:
            model = value.strip()
        elif key == "flags" and not flags:
            present = set(value.split())
            flags = [flag for flag in VECTOR_FLAGS if flag in present]
    return {"cpu_model": model or platform.processor() or None, "vector_flags": flags}


def packages_digest(distributions: Optional[List[str]] = None) -> Dict:
    """Count and a short SHA-256 of the sorted ``name==version`` list of installed packages:
    two environments with the same digest have the same packages at the same versions."""
    if distributions is None:
        from importlib import metadata
        distributions = [f"{d.metadata['Name'].lower()}=={d.version}"
                         for d in metadata.distributions() if d.metadata["Name"]]
    listing = "\n".join(sorted(set(distributions)))
    return {"count": len(set(distributions)),
            "sha256": hashlib.sha256(listing.encode()).hexdigest()[:16]}


def source_revision(folder: str) -> Dict:
    """The git commit of ``folder`` and whether tracked files differ from it (None outside git)."""
    def git(*args):
        return subprocess.run(["git", "-C", folder, *args], capture_output=True, text=True,
                              timeout=20)
    try:
        head = git("rev-parse", "HEAD")
        if head.returncode != 0:
            return {"commit": None, "modified": None}
        status = git("status", "--porcelain", "--untracked-files=no")
        return {"commit": head.stdout.strip(), "modified": bool(status.stdout.strip())}
    except (OSError, subprocess.SubprocessError):
        return {"commit": None, "modified": None}


def speed_yardstick(repeats: int = 5) -> Dict:
    """The host's speed now: milliseconds of ``librosa.feature.mfcc`` on a fixed 30 s clip
    (the paper's call; median of ``repeats`` after a warm-up). The machine under one name has
    run the same code 36 % slower in one session than in another (docs/results.md): speed
    figures of different records compare only in proportion to this one."""
    import time

    import numpy as np
    from components.audio import features
    clip = np.random.default_rng(0).uniform(-0.3, 0.3, features.clip_samples(30.0)).astype(
        np.float32)
    features.mfcc_librosa(clip)   # warm-up
    seconds = []
    for _ in range(repeats):
        start = time.perf_counter()
        features.mfcc_librosa(clip)
        seconds.append(time.perf_counter() - start)
    return {"librosa_mfcc_30s_ms": round(1000 * float(np.median(seconds)), 2)}


def machine() -> Dict:
    """What the figures were measured on (recorded in every study's and benchmark's JSON)."""
    import tensorflow as tf
    info = {"platform": platform.platform(), "python": platform.python_version(),
            "cpu_count": os.cpu_count(), "tensorflow": tf.__version__,
            "gpus": [d.name for d in tf.config.list_physical_devices("GPU")]}
    try:
        with open("/proc/cpuinfo") as handle:
            info.update(cpu_info(handle.read()))
        with open("/proc/meminfo") as handle:
            info["memory_gib"] = round(int(handle.readline().split()[1]) / 1024 ** 2, 1)
    except OSError:
        info.update({"cpu_model": platform.processor() or None, "vector_flags": None})
    info["numeric_settings"] = {name: os.environ.get(name) for name in NUMERIC_SETTINGS}
    info["packages"] = packages_digest()
    info["source"] = source_revision(os.path.dirname(os.path.dirname(os.path.dirname(
        os.path.abspath(__file__)))))
    info["speed"] = speed_yardstick()
    return info


def describe_machine(info: Optional[Dict]) -> str:
    """One line naming what a study ran on (its ``machine`` record)."""
    if not info:
        return "not recorded (a study from before machines were recorded)"
    source = info.get("source") or {}
    commit = (source.get("commit") or "?")[:10] + (" with local changes"
                                                   if source.get("modified") else "")
    flags = info.get("vector_flags")
    settings = [f"{name}={value}" for name, value in (info.get("numeric_settings") or {}).items()
                if value is not None and name != "PYTHONHASHSEED"]
    speed = (info.get("speed") or {}).get("librosa_mfcc_30s_ms")
    timed = f" (librosa MFCC of 30 s in {speed:.0f} ms)" if speed else ""
    tensorflow = ", ".join([f"TensorFlow {info.get('tensorflow')}", *settings])
    return (f"{info.get('cpu_model')}, {info.get('cpu_count')} cores{timed}, vector instructions "
            f"{' '.join(flags) if flags else 'unknown'}; {tensorflow}; "
            f"packages {(info.get('packages') or {}).get('sha256')}; commit {commit}")
