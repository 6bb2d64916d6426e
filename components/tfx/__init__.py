"""Thin TFX and Beam wrappers: ExampleGen and Beam job, Trainer modules, gates, evaluation glue."""
