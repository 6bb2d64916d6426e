"""What both Trainer modules do: stream examples, train one stage, export, write metrics and plots.
``metrics.json`` records the machine the stage trained on (``components.model.machine``), so a
model trained on a Kubeflow node (its CPU, GPUs, packages, commit) says where it came from.

Thin TFX glue over ``components.model.training`` and ``components.model.serving``; ``custom_config`` carries
the stage's settings (see ``StageConfig``) plus ``clip_duration_s``. The training and eval splits
are read through the Trainer's ``fn_args.data_accessor`` (``tf_dataset_factory`` with the
schema): shuffled, batched and prefetched by tf.data, never held in memory as a whole.
"""
from __future__ import annotations

import dataclasses
import json
import os
from typing import Dict, Optional

import numpy as np
import tensorflow as tf

from components.audio import examples, features, onset
from components.model import event_metrics, fusion, localize, plots, serving, training
from components.model.machine import machine
from components.model.tagger import TransferError, copied_layers, n_outputs, needs_base_model

# The features a Trainer reads (the rest of the schema is metadata for slicing and events).
TRAINING_FEATURES = (examples.MFCC_KEY, examples.LABEL_KEY, examples.LABELS_KEY)


def training_schema(schema_path: str):
    """The schema at ``schema_path`` cut to :data:`TRAINING_FEATURES`, where a feature with a
    fixed number of values (``mfcc``, ``label``) gets that ``shape`` so that TFXIO parses it as
    a dense tensor (a ``value_count`` alone gives a sparse one)."""
    from tensorflow_metadata.proto.v0 import schema_pb2
    from tfx.utils import io_utils
    if not schema_path:
        raise ValueError("the Trainer needs a schema (Trainer(schema=...)) to stream its examples")
    schema = io_utils.parse_pbtxt_file(schema_path, schema_pb2.Schema())
    kept = [f for f in schema.feature if f.name in TRAINING_FEATURES]
    for feature in kept:
        count = feature.value_count
        if count.min and count.min == count.max:
            feature.ClearField("value_count")
            feature.shape.dim.add().size = count.min
    del schema.feature[:]
    schema.feature.extend(kept)
    return schema


def stream_batches(fn_args, files, frames: int, n_classes: int, config: training.StageConfig,
                   shuffle: bool):
    """``(mfcc [B, frames, n_mfcc], labels [B] or [B, K])`` batches of ``files`` through the
    Trainer's data accessor; one pass per iteration, reshuffled each pass when ``shuffle``."""
    from tfx_bsl.public import tfxio
    options = tfxio.TensorFlowDatasetOptions(
        batch_size=config.batch_size, shuffle=shuffle, shuffle_seed=config.seed,
        shuffle_buffer_size=config.shuffle_buffer, num_epochs=1)
    dataset = fn_args.data_accessor.tf_dataset_factory(
        files, options, training_schema(fn_args.schema_path))

    def pair(parsed):
        mfcc = tf.reshape(parsed[examples.MFCC_KEY], [-1, frames, config.n_mfcc])
        if n_classes:
            labels = tf.sparse.to_dense(parsed[examples.LABELS_KEY])
            labels = tf.ensure_shape(labels, [None, n_classes])
        else:
            labels = tf.reshape(parsed[examples.LABEL_KEY], [-1])
        return mfcc, tf.cast(labels, tf.float32)

    return dataset.map(pair, num_parallel_calls=tf.data.AUTOTUNE)


def local_data_accessor():
    """The data accessor a TFX Trainer gets for tf.Example TFRecords, for calling a ``run_fn``
    outside a pipeline (experiments)."""
    from tfx.components.trainer.fn_args_utils import DataAccessor
    from tfx.components.util import tfxio_utils
    from tfx.types import standard_artifacts
    artifact = standard_artifacts.Examples()
    artifact.set_string_custom_property("payload_format", "FORMAT_TF_EXAMPLE")
    factory = tfxio_utils.get_tf_dataset_factory_from_artifact([artifact], ["fewshot"])
    return DataAccessor(tf_dataset_factory=factory, record_batch_factory=None,
                        data_view_decode_fn=None)


def source_model_record(base_model_dir: str) -> Optional[Dict]:
    """The ``metrics.json`` a source model's Trainer wrote beside its SavedModel; None when
    there is none (a model from elsewhere)."""
    path = os.path.join(os.path.dirname(base_model_dir.rstrip("/")), "metrics.json")
    if not tf.io.gfile.exists(path):
        return None
    with tf.io.gfile.GFile(path) as handle:
        return json.load(handle)


def source_model_auc(base_model_dir: str):
    """The ROC AUC a source model scored on its own eval split (its best class's when it has
    several: ``training.gate_auc``), from its Trainer's record; None without one."""
    record = source_model_record(base_model_dir)
    return None if record is None else training.gate_auc(
        record.get("metrics", {}).get("eval", {}))


def source_model_highpass(base_model_dir: str) -> int:
    """The ``highpass_hz`` a source model's examples had, from its Trainer's record (0 when it
    records none: the paper's MFCC, or a model from elsewhere)."""
    return int((source_model_record(base_model_dir) or {}).get("config", {})
               .get("highpass_hz", 0))


def check_source_model(base_model_dir: str, min_auc: float) -> None:
    """Refuse (TransferError) a source model that has not learned its own task: its eval ROC AUC
    below ``min_auc`` (0: no check). A model without a recorded AUC passes with a warning."""
    if min_auc <= 0:
        return
    auc = source_model_auc(base_model_dir)
    if auc is None:
        print(f"warning: the source model {base_model_dir} has no recorded eval AUC; "
              f"min_source_auc={min_auc} not checked", flush=True)
    elif auc < min_auc:
        raise TransferError(f"the source model {base_model_dir} scored ROC AUC {auc:.3f} (its best "
                            f"class's, if it has several) on its "
                            f"own test set, below min_source_auc={min_auc}: it has not learned "
                            f"the source task, so nothing would transfer; train the source stage "
                            f"again (another model_seed or more epochs) or lower min_source_auc")


def locator_config(config: training.StageConfig) -> training.StageConfig:
    """The settings of a stage's locator (``StageConfig.locator``): the stage's, as the paper
    trains it (no ``clip_mean``, no ``negative_frames``, one network)."""
    return dataclasses.replace(config, clip_mean=0, negative_frames=0.0, ensemble=1,
                               locator=False)


def split_files_beside(file_patterns, split: str):
    """The file patterns of another split of the same Examples artifact as ``file_patterns``
    (``.../Split-train/*`` -> ``.../Split-<split>/*``); FileNotFoundError when it has none."""
    patterns = [os.path.join(os.path.dirname(os.path.dirname(p.rstrip("/"))), f"Split-{split}",
                             "*") for p in file_patterns]
    if not any(tf.io.gfile.glob(p) for p in patterns):
        raise FileNotFoundError(f"no {split} split beside {file_patterns[0]}: onset_fusion=1 "
                                f"needs the target ExampleGen's {split} split (calibration_clips "
                                f"> 0)")
    return patterns


def onset_inputs(network, file_patterns, frames: int, config: training.StageConfig):
    """(network probability, peak onset strength, onset centroid, label) of every example of
    ``file_patterns``, as arrays (examples without ``onset_centroid_khz`` are refused)."""
    p, peak, centroid, labels = [], [], [], []
    for mfcc, label, meta in examples.iter_batches(file_patterns, frames, 0, config.batch_size,
                                                   config.n_mfcc):
        missing = [m["mixture_id"] for m in meta if m[examples.ONSET_CENTROID_KEY] is None]
        if missing:
            raise ValueError(f"{file_patterns[0]}: example {missing[0]} has no "
                             f"{examples.ONSET_CENTROID_KEY}; mix the data again (examples "
                             f"format {examples.EXAMPLE_FORMAT})")
        p.append(np.asarray(network(mfcc, training=False)).reshape(-1))
        peak.append(onset.onset_frame_and_peak(mfcc)[1])
        centroid.append([m[examples.ONSET_CENTROID_KEY] for m in meta])
        labels.append(label)
    return tuple(np.concatenate(v).astype(float) for v in (p, peak, centroid, labels))


def fit_onset_fusion(network, calibration_files, eval_files, frames: int,
                     config: training.StageConfig, label: str):
    """Fit the onset fusion on the calibration split; return it and what it measured there and
    on the eval split (the network alone and fused, at the decision threshold)."""
    calibration = onset_inputs(network, calibration_files, frames, config)
    fitted = fusion.fit_fusion(*calibration, centroid_cap_khz=config.fusion_centroid_cap_khz)
    measured = {name: fusion.measure(fitted, *inputs, threshold=config.decision_threshold)
                for name, inputs in (("calibration", calibration),
                                     ("eval", onset_inputs(network, eval_files, frames, config)))}
    c, e = measured["calibration"], measured["eval"]
    cap = (f" capped at {fitted.centroid_cap_khz:g} kHz" if fitted.centroid_cap_khz else "")
    print(f"[{label}] onset fusion fitted on {c['clips']} calibration clips (weights logit "
          f"{fitted.w_logit:.2f}, log1p peak {fitted.w_peak:.2f}, centroid/kHz{cap} "
          f"{fitted.w_centroid:.2f}, bias {fitted.bias:.2f}); eval accuracy "
          f"{e['network_accuracy']:.1%} network alone, {e['fused_accuracy']:.1%} fused",
          flush=True)
    return fitted, dict(measured, weights=fitted.as_dict())


def run_stage(fn_args, stage: str) -> None:
    """Train the ``stage`` ('source' or 'target') model described by ``fn_args``."""
    settings = dict(fn_args.custom_config or {})
    clip_duration_s = float(settings.pop("clip_duration_s"))
    config = training.StageConfig.from_dict(settings)
    frames = features.n_frames(features.clip_samples(clip_duration_s))
    base_model = base_locator = None
    if needs_base_model(config.method):
        if not fn_args.base_model:
            raise TransferError(f"method {config.method!r} needs a base (source) model through "
                                "the Trainer's base_model channel, but none was given; it copies "
                                f"layers {sorted(set(copied_layers(config.method).values()))}")
        base_model = serving.load_keras_tagger(fn_args.base_model)
        check_source_model(fn_args.base_model, config.min_source_auc)
        if int(base_model.input_shape[-1]) != config.n_mfcc:
            raise TransferError(f"{fn_args.base_model}: the source model reads "
                                f"{base_model.input_shape[-1]} MFCCs per frame, this stage "
                                f"{config.n_mfcc}; train both stages with the same n_mfcc")
        source_highpass = source_model_highpass(fn_args.base_model)
        if source_highpass != config.highpass_hz:
            raise TransferError(f"{fn_args.base_model}: the source model's MFCCs were "
                                f"high-passed at {source_highpass} Hz, this stage's at "
                                f"{config.highpass_hz} Hz; train both stages with the same "
                                "highpass_hz")
        if config.locator:
            base_locator = serving.load_keras_locator(fn_args.base_model)
            if base_locator is None:
                raise TransferError(f"{fn_args.base_model}: the source model has no locator "
                                    f"network ({serving.LOCATOR_FILE}); train the source stage "
                                    "with the locator too (setting locator=1)")
    if stage == "target" and len(config.classes) != 1:
        raise ValueError(f"the target stage tags one class; got classes {config.classes}")
    calibration_files = None
    if config.onset_fusion:     # refused before any training
        if stage != "target":
            raise ValueError("onset_fusion is a target-stage setting")
        calibration_files = split_files_beside(fn_args.train_files, "calibration")
    elif config.fusion_centroid_cap_khz:
        raise ValueError("fusion_centroid_cap_khz is a setting of the onset fusion; set "
                         "onset_fusion too")
    multi = len(config.classes) if len(config.classes) > 1 else 0
    label = f"{stage}:{config.method}"
    n_batches = []

    def make_train(seed: int):
        """The training stream shuffled with ``seed`` (seeded before it is made: its
        shuffling depends on the global seed too), its batches per pass known."""
        training.seed_stage(seed)
        stream = stream_batches(fn_args, fn_args.train_files, frames, multi,
                                dataclasses.replace(config, seed=seed), shuffle=True)
        if not n_batches:
            labels = np.concatenate([y.numpy().reshape(len(y), -1) for _, y in stream])
            n_batches.append(-(-len(labels) // config.batch_size))
            positives = ", ".join(f"{int(n)} {c}"
                                  for c, n in zip(config.classes, labels.sum(axis=0)))
            networks = f", {config.ensemble} networks averaged" if config.ensemble > 1 else ""
            print(f"[{label}] training on {len(labels)} clips ({positives}), {config.epochs} "
                  f"epochs, batch {config.batch_size}, front end {config.front_end}{networks}, "
                  "streamed", flush=True)
        return stream.apply(tf.data.experimental.assert_cardinality(n_batches[0]))

    evaluation = stream_batches(fn_args, fn_args.eval_files, frames, multi, config,
                                shuffle=False)
    result = training.train_ensemble(make_train, evaluation, config, base_model,
                                     log_dir=fn_args.model_run_dir, label=label)
    if base_model is not None:
        print(f"[{label}] copied from the {n_outputs(base_model)}-class source "
              f"model: {', '.join(result['copied_layers'])}", flush=True)
    located = None
    if config.locator:
        located_config = locator_config(config)
        located = training.train_ensemble(
            make_train, evaluation, located_config, base_locator,
            log_dir=os.path.join(fn_args.model_run_dir, "locator"), label=f"{label} locator")
    fitted = fused = None
    if calibration_files:
        fitted, fused = fit_onset_fusion(result["model"], calibration_files,
                                         fn_args.eval_files, frames, config, label)
    serving.export_tagger(result["model"], fn_args.serving_model_dir, clip_duration_s,
                          config.decision_threshold, config.classes,
                          locator=located and located["model"], fusion=fitted,
                          highpass_hz=config.highpass_hz)
    summary = {"stage": stage, "method": config.method, "config": vars(config),
               "classes": list(config.classes), "copied_layers": result["copied_layers"],
               "clip_duration_s": clip_duration_s, "metrics": result["metrics"],
               "seconds_per_epoch": result["seconds_per_epoch"], "history": result["history"],
               "machine": machine(),   # where it trained (a Kubeflow node: its GPUs too)
               **({"members": result["members"]} if "members" in result else {}),
               **({"onset_fusion": fused} if fused else {}),
               **({"locator": {key: located[key] for key in
                               ("copied_layers", "metrics", "seconds_per_epoch", "history")}
                   | {"config": vars(located_config)}} if located else {})}
    model_root = os.path.dirname(fn_args.serving_model_dir.rstrip("/"))
    timelines = None
    if stage == "target":
        rule = localize.EventRule(threshold=config.decision_threshold,
                                  onsets=config.event_onsets)
        summary["events"], windows, eval_meta = localize.clip_event_scores(
            result["model"], examples.iter_batches(fn_args.eval_files, frames, 0,
                                                   config.batch_size, config.n_mfcc),
            rule, config.classes[0], locator=located and located["model"], fusion=fitted)
        plotted = set(localize.timeline_indices(eval_meta))
        mfcc_of = {i: mfcc for i, (mfcc, _, _) in
                   enumerate(examples.iter_examples(fn_args.eval_files, frames,
                                                    n_mfcc=config.n_mfcc))
                   if i in plotted}
        timelines = localize.example_timelines(mfcc_of, windows, eval_meta, rule)
        where = (" (the strongest onset of each clip the tagger tags)"
                 if rule.onsets == "strength" else
                 " (the locator's frames in the clips the tagger tags)" if located else "")
        print(f"[{label}] events on the eval split{where} (DCASE 2017 Task 2 scoring, onset, "
              f"500 ms collar): {event_metrics.summary_line(summary['events']['overall'])}",
              flush=True)
    for folder in (model_root, fn_args.model_run_dir):
        training.write_json(os.path.join(folder, "metrics.json"), summary)
    if timelines and not model_root.startswith("gs://"):
        plots.event_timelines(timelines, os.path.join(model_root, "events.png"),
                              frame_period=localize.FRAME_PERIOD_S,
                              **localize.timeline_curve(rule))
    if not fn_args.model_run_dir.startswith("gs://"):
        plots.learning_curves(result["history"], os.path.join(fn_args.model_run_dir,
                                                              "learning_curves.png"),
                              f"{stage} stage, method {config.method}"
                              + (f" (first of {config.ensemble} networks)"
                                 if config.ensemble > 1 else ""), config.validation_freq)
