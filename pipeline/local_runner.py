"""Run ``create_pipeline(config)`` locally: LocalDagRunner, ML Metadata in SQLite, Beam DirectRunner."""
from __future__ import annotations

import os

from tfx import v1 as tfx

from pipeline.configs import PipelineConfig
from pipeline.pipeline import create_pipeline


def run_local(config: PipelineConfig) -> None:
    """Run the whole DAG; cached components are reused when their inputs are unchanged."""
    os.makedirs(os.path.dirname(config.metadata_path), exist_ok=True)
    tfx.orchestration.LocalDagRunner().run(create_pipeline(config))
