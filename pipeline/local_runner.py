"""Run ``create_pipeline(config)`` locally: LocalDagRunner, ML Metadata in SQLite, Beam DirectRunner.

Kill-safe: a run holds an exclusive lock on ``<pipeline root>/run.lock`` (``flock``: the kernel
releases it when the process dies, even by SIGKILL). Holding it, a new run knows no other run is
alive, so every execution ML Metadata still shows NEW or RUNNING belongs to a killed run: it is
marked CANCELED (its pending outputs ABANDONED) with a note, before the DAG starts. The
LocalDagRunner then reuses every execution that finished (its cache) and re-runs the rest.
"""
from __future__ import annotations

import contextlib
import datetime
import fcntl
import os
from typing import Iterator, List

from pipeline.cli_errors import UsageError
from pipeline.configs import PipelineConfig

LOCK_FILE = "run.lock"


@contextlib.contextmanager
def run_lock(config: PipelineConfig) -> Iterator[None]:
    """Hold the pipeline root's run lock, or UsageError when another live run holds it."""
    os.makedirs(config.pipeline_root, exist_ok=True)
    path = os.path.join(config.pipeline_root, LOCK_FILE)
    with open(path, "a+", encoding="utf-8") as handle:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            raise UsageError(f"{config.pipeline_root}: another run of this pipeline is in "
                             f"progress ({holder}); wait for it or use another --output-dir"
                             ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()} since {datetime.datetime.now():%Y-%m-%d %H:%M:%S}\n")
        handle.flush()
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def cancel_orphans(config: PipelineConfig) -> List[str]:
    """Mark the unfinished executions of killed runs CANCELED (call holding the run lock)."""
    from pipeline import mlmd_reader
    note = (f"cancelled at {datetime.datetime.now():%Y-%m-%d %H:%M:%S} by the run of pid "
            f"{os.getpid()}: its process ended before it finished (killed)")
    return mlmd_reader.cancel_orphans(config.metadata_path, config.pipeline_id, note)


def run_local(config: PipelineConfig, on_orphans=None) -> None:
    """Run the whole DAG under the run lock; cached components are reused when their inputs are
    unchanged. ``on_orphans(list)`` is told which killed executions were marked cancelled."""
    from tfx import v1 as tfx
    from pipeline.pipeline import create_pipeline
    with run_lock(config):
        os.makedirs(os.path.dirname(config.metadata_path), exist_ok=True)
        orphans = cancel_orphans(config)
        if orphans and on_orphans:
            on_orphans(orphans)
        tfx.orchestration.LocalDagRunner().run(create_pipeline(config))
