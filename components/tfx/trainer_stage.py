"""What both Trainer modules do: read examples, train one stage, export, write metrics and plots.

Thin TFX glue over ``components.model.training`` and ``components.model.serving``; ``custom_config`` carries
the stage's settings (see ``StageConfig``) plus ``clip_duration_s``.
"""
from __future__ import annotations

import os

from components.audio import examples, features
from components.model import event_metrics, localize, plots, serving, training
from components.model.tagger import COPIED_LAYERS, TransferError, n_outputs


def run_stage(fn_args, stage: str) -> None:
    """Train the ``stage`` ('source' or 'target') model described by ``fn_args``."""
    settings = dict(fn_args.custom_config or {})
    clip_duration_s = float(settings.pop("clip_duration_s"))
    config = training.StageConfig.from_dict(settings)
    frames = features.n_frames(features.clip_samples(clip_duration_s))
    base_model = None
    if COPIED_LAYERS[config.method]:
        if not fn_args.base_model:
            raise TransferError(f"method {config.method!r} needs a base (source) model through "
                                "the Trainer's base_model channel, but none was given; it copies "
                                f"layers {sorted(set(COPIED_LAYERS[config.method].values()))}")
        base_model = serving.load_keras_tagger(fn_args.base_model)
    if stage == "target" and len(config.classes) != 1:
        raise ValueError(f"the target stage tags one class; got classes {config.classes}")
    multi = len(config.classes) if len(config.classes) > 1 else 0
    x_train, y_train, _ = examples.load_examples(fn_args.train_files, frames, multi)
    x_eval, y_eval, eval_meta = examples.load_examples(fn_args.eval_files, frames, multi)
    label = f"{stage}:{config.method}"
    positives = (", ".join(f"{int(n)} {c}" for c, n in zip(config.classes, y_train.sum(axis=0)))
                 if multi else f"{int(y_train.sum())} {config.classes[0]}")
    print(f"[{label}] training on {len(y_train)} clips ({positives}), "
          f"{config.epochs} epochs, batch {config.batch_size}", flush=True)
    result = training.train_stage(x_train, y_train, x_eval, y_eval, config, base_model,
                                  log_dir=fn_args.model_run_dir, label=label)
    if base_model is not None:
        print(f"[{label}] copied from the {n_outputs(base_model)}-class source "
              f"model: {', '.join(result['copied_layers'])}", flush=True)
    serving.export_tagger(result["model"], fn_args.serving_model_dir, clip_duration_s,
                          config.decision_threshold, config.classes)
    summary = {"stage": stage, "method": config.method, "config": vars(config),
               "classes": list(config.classes), "copied_layers": result["copied_layers"],
               "clip_duration_s": clip_duration_s, "metrics": result["metrics"],
               "seconds_per_epoch": result["seconds_per_epoch"], "history": result["history"]}
    model_root = os.path.dirname(fn_args.serving_model_dir.rstrip("/"))
    timelines = None
    if stage == "target":
        rule = localize.EventRule(threshold=config.decision_threshold)
        summary["events"], running = localize.clip_event_scores(
            result["model"], x_eval, eval_meta, rule, config.classes[0])
        timelines = localize.example_timelines(x_eval, running, eval_meta, rule)
        print(f"[{label}] events on the eval split (DCASE 2017 Task 2 scoring, onset, 500 ms "
              f"collar): {event_metrics.summary_line(summary['events']['overall'])}", flush=True)
    for folder in (model_root, fn_args.model_run_dir):
        training.write_json(os.path.join(folder, "metrics.json"), summary)
    if timelines and not model_root.startswith("gs://"):
        plots.event_timelines(timelines, os.path.join(model_root, "events.png"),
                              config.decision_threshold, localize.FRAME_PERIOD_S)
    if not fn_args.model_run_dir.startswith("gs://"):
        plots.learning_curves(result["history"], os.path.join(fn_args.model_run_dir,
                                                              "learning_curves.png"),
                              f"{stage} stage, method {config.method}", config.validation_freq)
