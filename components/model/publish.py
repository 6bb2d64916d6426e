"""Publishing a SavedModel as a TF Serving version folder, atomically (no TF, no TFX).

TF Serving watches ``<base>/<version>/`` and loads the highest numeric version. A copy made in
place can be seen half-written; here the model is copied into ``<base>/.partial-<version>``
(a name TF Serving ignores: not a number) and renamed to ``<base>/<version>`` only when the copy
is complete, so a version folder appears complete or not at all. ``rename`` is atomic on a local
(POSIX) filesystem; object stores (gs://, s3://) have no atomic folder rename, and there the
caller falls back to copying ``saved_model.pb`` last, as TFX's own Pusher does.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import time
from typing import List, Optional

PARTIAL_PREFIX = ".partial-"


def is_local(path: str) -> bool:
    return "://" not in path


def versions(base_dir: str) -> List[int]:
    """Numeric version folders of ``base_dir``, ascending (what TF Serving would consider)."""
    if not os.path.isdir(base_dir):
        return []
    return sorted(int(name) for name in os.listdir(base_dir)
                  if name.isdigit() and os.path.isdir(os.path.join(base_dir, name)))


def next_version(base_dir: str, now: Optional[float] = None) -> str:
    """The Unix time in seconds, or one more than the newest version when that is not older
    (two pushes in one second, or a clock set back, still get increasing versions)."""
    stamp = int(time.time() if now is None else now)
    existing = versions(base_dir)
    return str(max([stamp] + [v + 1 for v in existing[-1:]]))


def remove_partial_versions(base_dir: str) -> List[str]:
    """Delete what killed pushes left behind (``.partial-*`` folders); return their names."""
    if not os.path.isdir(base_dir):
        return []
    removed = [name for name in os.listdir(base_dir) if name.startswith(PARTIAL_PREFIX)]
    for name in removed:
        shutil.rmtree(os.path.join(base_dir, name), ignore_errors=True)
    return removed


def _fsync_tree(folder: str) -> None:
    for root, _, files in os.walk(folder):
        for name in files:
            with open(os.path.join(root, name), "rb") as handle:
                os.fsync(handle.fileno())


def publish_version(model_dir: str, base_dir: str, version: str) -> str:
    """Copy ``model_dir`` to ``<base_dir>/<version>`` atomically (module doc); returns the
    version folder. Refuses a model folder without ``saved_model.pb`` and an existing version."""
    if not os.path.exists(os.path.join(model_dir, "saved_model.pb")):
        raise FileNotFoundError(f"{model_dir}: no saved_model.pb; not a SavedModel folder")
    final = os.path.join(base_dir, version)
    if os.path.exists(final):
        raise FileExistsError(f"{final}: version folder exists already")
    os.makedirs(base_dir, exist_ok=True)
    partial = os.path.join(base_dir, f"{PARTIAL_PREFIX}{version}-{os.getpid()}")
    shutil.rmtree(partial, ignore_errors=True)
    shutil.copytree(model_dir, partial)
    _fsync_tree(partial)
    os.rename(partial, final)
    return final


def tree_digest(folder: str) -> str:
    """SHA-256 over a folder's relative file paths and their bytes (sorted): equal digests, the
    same SavedModel."""
    digest = hashlib.sha256()
    for root, dirs, files in os.walk(folder):
        dirs.sort()
        for name in sorted(files):
            path = os.path.join(root, name)
            digest.update(os.path.relpath(path, folder).encode() + b"\0")
            with open(path, "rb") as handle:
                for block in iter(lambda: handle.read(1 << 20), b""):
                    digest.update(block)
            digest.update(b"\0")
    return digest.hexdigest()


def served_version_of(model_dir: str, base_dir: str) -> Optional[str]:
    """The newest version of ``base_dir`` (the one TF Serving serves) when it holds exactly
    ``model_dir``'s files, else None: pushing the same model again would only add a copy."""
    existing = versions(base_dir)
    if not existing:
        return None
    newest = str(existing[-1])
    return newest if tree_digest(os.path.join(base_dir, newest)) == tree_digest(model_dir) else None
