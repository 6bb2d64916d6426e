"""Trainer module of the target stage (transfer or scratch on the scarce task): ``run_fn``."""
from components.tfx.trainer_stage import run_stage


def run_fn(fn_args) -> None:
    """TFX Trainer entry point for the target stage; ``base_model`` is the source model."""
    run_stage(fn_args, stage="target")
