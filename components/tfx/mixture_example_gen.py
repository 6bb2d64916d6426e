"""TFX component: the mixture Beam job as an ExampleGen with ``train`` and ``eval`` splits (and a
target task's ``calibration`` split for the onset fusion).

It uses the pipeline's Beam arguments, so the same job runs on DirectRunner, Flink, Spark or
Dataflow. Recipes are drawn in the driver (cheap, seeded); mixing and MFCC run in Beam.
"""
import json

import apache_beam as beam
from tfx import v1 as tfx
from tfx.types import artifact_utils, standard_artifacts

from components.audio import datasets, features
from components.tfx import beam_mixtures


@tfx.dsl.components.component(use_beam=True)
def MixtureExampleGen(
    examples: tfx.dsl.components.OutputArtifact[standard_artifacts.Examples],
    task: tfx.dsl.components.Parameter[str],
    data: tfx.dsl.components.Parameter[str],
    corpus_seed: tfx.dsl.components.Parameter[int],
    train_clips: tfx.dsl.components.Parameter[int],
    eval_clips: tfx.dsl.components.Parameter[int],
    train_seed: tfx.dsl.components.Parameter[int],
    eval_seed: tfx.dsl.components.Parameter[int],
    clip_duration_s: tfx.dsl.components.Parameter[float],
    num_shards: tfx.dsl.components.Parameter[int] = 2,
    excerpts: tfx.dsl.components.Parameter[int] = 1,
    augment: tfx.dsl.components.Parameter[int] = 0,
    classes: tfx.dsl.components.Parameter[str] = "",
    paired_data: tfx.dsl.components.Parameter[str] = "",
    recipe_mode: tfx.dsl.components.Parameter[str] = "default",
    bg_screening: tfx.dsl.components.Parameter[int] = 1,
    data_version: tfx.dsl.components.Parameter[str] = "",
    decoys: tfx.dsl.components.Parameter[int] = 0,
    impacts: tfx.dsl.components.Parameter[int] = 0,
    hard_negatives: tfx.dsl.components.Parameter[int] = 0,
    hard_negative_classes: tfx.dsl.components.Parameter[str] = "",
    n_mfcc: tfx.dsl.components.Parameter[int] = features.N_MFCC,
    calibration_clips: tfx.dsl.components.Parameter[int] = 0,
    calibration_seed: tfx.dsl.components.Parameter[int] = 0,
    recording_chain: tfx.dsl.components.Parameter[int] = 0,
    highpass_hz: tfx.dsl.components.Parameter[int] = 0,
    beam_pipeline: tfx.dsl.components.BeamComponentParameter[beam.Pipeline] = None,
) -> None:
    """Synthesize ``task`` mixtures and write MFCC tf.Examples; seeds and sizes are recorded.

    ``task`` is ``source``, ``target`` or ``real`` (an eval split only: see
    ``datasets.split_recipes``; ``excerpts`` is used by ``real`` alone). ``classes``: the task's
    classes, comma-separated (default: the paper's class of the task). ``paired_data``: the other
    task's data, so that both tasks choose disjoint scenes (``datasets.task_scenes``).
    ``recipe_mode``: 'default' or 'dcase2017' (the reference synthesizer's draws);
    ``bg_screening``: 1 honours a DCASE folder's ``bg_screening.csv``. ``data_version``: what
    the data folders held when the pipeline was made (``datasets.data_version``); unused here,
    it is part of the cache key, so changed recordings are mixed again instead of reused.
    ``decoys``: 1 gives the target task's training clips decoys (components.audio.decoys).
    ``impacts``: 1 adds the ``real`` task's ``impacts`` split (sounds of other classes mixed
    into clips labelled 0; ``datasets.split_recipes``). ``hard_negatives``: 1 gives half of the
    target task's training clips without an event a loud synthetic sharp sound
    (components.audio.hard_negatives), or with ``hard_negative_classes`` (comma-separated) one
    of the data's training recordings of those classes.
    ``n_mfcc``: MFCC coefficients per frame (the paper's 20). ``highpass_hz`` > 0: the MFCC
    and the onset centroid ignore the spectrum below it (``features.mel_matrix``).
    ``calibration_clips`` > 0 (target task): a ``calibration`` split of that many mixtures of
    the training recordings drawn from ``calibration_seed``, for the onset fusion.
    ``recording_chain``: 1 sends about half of the target task's training clips through a
    recording chain at a low sample rate (``augmentation.chain_recipes``).
    """
    plan = datasets.plan_task(task, data, corpus_seed, train_clips, eval_clips, train_seed,
                              eval_seed, clip_duration_s, excerpts, bool(augment), classes,
                              paired_data, recipe_mode, bool(bg_screening), bool(decoys),
                              bool(impacts), bool(hard_negatives), hard_negative_classes,
                              calibration_clips, calibration_seed, bool(recording_chain))
    source, scenes, disjoint, recipes = plan.data, plan.scenes, plan.scenes_disjoint, plan.recipes
    first = next(iter(recipes.values()))[0]
    print(f"[{task}] mixing {', '.join(f'{len(r)} {s}' for s, r in recipes.items())} clips "
          f"of {clip_duration_s:g} s of {', '.join(first.classes)} from {data}", flush=True)
    with beam_pipeline as pipeline:
        for split, split_list in recipes.items():
            beam_mixtures.write_split(pipeline, split_list, examples.uri, split,
                                      source.data_root, corpus_seed, num_shards,
                                      n_mfcc=n_mfcc, highpass_hz=highpass_hz)
    examples.split_names = artifact_utils.encode_split_names(list(recipes))
    examples.set_string_custom_property("payload_format", "FORMAT_TF_EXAMPLE")
    examples.set_string_custom_property("file_format", "tfrecords_gzip")
    frames = features.n_frames(features.clip_samples(clip_duration_s))
    examples.set_string_custom_property("generation", json.dumps({
        "task": task, "data": data, "corpus_seed": corpus_seed, "train_seed": train_seed,
        "eval_seed": eval_seed, "clip_duration_s": clip_duration_s, "frames": frames,
        "excerpts": excerpts if task == "real" else None, "augment": bool(augment),
        "decoys": bool(decoys), "impacts": bool(impacts),
        "hard_negatives": bool(hard_negatives),
        "hard_negative_classes": hard_negative_classes, "n_mfcc": n_mfcc,
        "highpass_hz": highpass_hz,
        "recipe_mode": recipe_mode, "bg_screening": bool(bg_screening),
        "data_version": data_version, "calibration_seed": calibration_seed,
        "recording_chain": bool(recording_chain),
        "screened_out": len(source.screened_out),
        "classes": list(first.classes), "scenes": list(scenes), "scenes_disjoint": disjoint,
        "clips": {split: len(r) for split, r in recipes.items()}}, sort_keys=True))
    examples.set_int_custom_property("frames", frames)
    examples.set_int_custom_property("n_mfcc", n_mfcc)
    examples.set_int_custom_property("highpass_hz", highpass_hz)
