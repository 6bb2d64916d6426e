"""Trainer module of the source stage (pre-training on the abundant task): ``run_fn``."""
from components.tfx.trainer_stage import run_stage


def run_fn(fn_args) -> None:
    """TFX Trainer entry point for the source stage."""
    run_stage(fn_args, stage="source")
