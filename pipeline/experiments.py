"""Reproducing the paper's Table 1 and Figure 2 with repeated seeds.

Data comes from the same Beam job as the pipeline and models from the same Trainer ``run_fn``s
(called with TFX ``FnArgs``), so every number is produced by a training run of this study.
Each seed draws its own source and target training sets and initial weights and pre-trains its own
source model; the target test set is the same fixed set for every row and seed.

A study can be resumed: its folder records the settings (``study.json``) and every finished data
set and training run (``done.json`` beside it, with what it was made from). Running the same
command again reuses what finished, starts again what was interrupted, and refuses a folder that
holds a study with other settings.

With ``onset_fusion=1`` (the quick and smoke profiles) the target models are trained as the
pipeline trains them: each target training set gets its ``calibration`` split, each target
Trainer fits the fusion on it, and every figure is the model's answer through
``serving_default``; the networks alone (``predict_mfcc``, the paper's comparison) are recorded
beside it (``network_*``).
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import os
import shutil
import time
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

from components.audio import datasets, examples
from components.audio.features import N_MFCC
from components.model import plots, serving
from components.model.training import gate_auc, roc_auc
from components.model.machine import describe_machine, machine
from components.tfx import beam_mixtures
from pipeline.cli_errors import UsageError
from pipeline.configs import PipelineConfig, changed_settings

PAPER_TABLE1 = {"scratch_limited": 62.4, "pretrain_all": 72.4, "pretrain_fix_low": 58.6,
                "parallel_low": 83.4, "scratch_full": 94.6}
ROW_LABELS = {"scratch_limited": "from scratch (limited)", "pretrain_all": "(a) pre-train all",
              "pretrain_fix_low": "(b) low-level fix", "parallel_low": "(c) parallel low",
              "scratch_full": "from scratch (full)"}
EBRS = (-6.0, 0.0, 6.0)
DEFAULT_CURVE_SIZES = (2, 4, 8, 16, 36, 64, 128)
STUDY_FILE = "study.json"
DONE_FILE = "done.json"
# Settings that say where or how a study runs, not what it measures: a study may be resumed with
# other values of these (e.g. more Beam workers, or the real set's folder on another machine).
EXECUTION_SETTINGS = frozenset({
    "output_dir", "pipeline_name", "pipeline_root_dir", "serving_base_dir", "model_name",
    "schema_path", "beam_pipeline_args", "beam_worker_image", "trainer_cpu", "trainer_memory",
    "trainer_gpus", "accuracy_threshold", "max_accuracy_drop", "real_accuracy_threshold",
    "max_impact_false_alarms", "real_audio"})
# Settings that do not decide a study's results either: a study never refuses a weak source
# model (its target Trainers run without ``min_source_auc``; table1 flags such seeds instead);
# ``real_impacts`` adds figures from a test set of its own and changes none.
NOT_RESULT_SETTINGS = EXECUTION_SETTINGS | {"min_source_auc", "real_impacts"}


def _manifest_digest(folder: str) -> str:
    """SHA-256 of a data folder's manifests: what the set holds, wherever it lies."""
    digest = hashlib.sha256()
    for name in ("backgrounds.csv", "events.csv"):
        path = os.path.join(folder, name)
        if os.path.exists(path):
            with open(path, "rb") as handle:
                digest.update(name.encode() + b"\0" + handle.read())
    return digest.hexdigest()


class StudyMismatch(UsageError):
    """A study folder holds work made with other settings than the command asks for."""


# Settings added after studies were recorded, with the value the code before them behaved as: a
# recorded study without one is read as having that value (so it can be resumed and merged).
ADDED_SETTINGS = {"warmup_epochs": 0, "weight_decay": 0.0, "decoys": 0, "hard_negatives": 0,
                  "hard_negative_classes": "",
                  "n_mfcc": N_MFCC, "target_ensemble": 1, "negative_frames": 0.0, "locator": 0,
                  "event_onsets": "running", "onset_channel": 0, "onset_fusion": 0,
                  "recording_chain": 0, "highpass_hz": 0, "fusion_centroid_cap_khz": 0.0}
# Settings that decide nothing unless another one is on (then they are compared; else dropped).
ONLY_WITH = {"calibration_clips": "onset_fusion", "calibration_seed": "onset_fusion",
             "fusion_centroid_cap_khz": "onset_fusion"}


def study_settings(config: PipelineConfig) -> Dict:
    """The settings that decide a study's results (JSON types), without the execution ones."""
    settings = dataclasses.asdict(config)
    return json.loads(json.dumps({k: v for k, v in settings.items()
                                  if k not in NOT_RESULT_SETTINGS
                                  and (k not in ONLY_WITH or settings[ONLY_WITH[k]])}))


def with_added_settings(recorded: Dict) -> Dict:
    """A recorded study's settings with :data:`ADDED_SETTINGS` it predates filled in (those
    that decide nothing there, :data:`ONLY_WITH`, left out as :func:`study_settings` does)."""
    settings = {**ADDED_SETTINGS, **recorded}
    return {k: v for k, v in settings.items() if k not in ONLY_WITH or settings.get(ONLY_WITH[k])}


def _differences(recorded: Dict, wanted: Dict) -> str:
    """The first three differing settings, those that others depend on (:data:`ONLY_WITH`)
    first: ``onset_fusion`` before the calibration settings it brings."""
    names = sorted((k for k in set(recorded) | set(wanted) if recorded.get(k) != wanted.get(k)),
                   key=lambda k: (k in ONLY_WITH, k))
    return "; ".join(f"{k}={recorded.get(k)!r} there, {wanted.get(k)!r} here" for k in names[:3]) + (
        f"; and {len(names) - 3} more" if len(names) > 3 else "")


def mean_ci(values: List[float]) -> Dict[str, float]:
    """Mean, sample standard deviation and the 95 % t-interval half-width."""
    from scipy import stats
    arr = np.asarray(values, dtype=float)
    std = float(arr.std(ddof=1)) if len(arr) > 1 else 0.0
    half = float(stats.t.ppf(0.975, len(arr) - 1) * std / math.sqrt(len(arr))) if len(arr) > 1 else 0.0
    return {"mean": float(arr.mean()), "std": std, "ci95": half, "n": int(len(arr))}


def predict(serving_model_dir: str, mfcc: np.ndarray, batch: int = 64,
            centroid_khz: Optional[np.ndarray] = None) -> Dict[str, np.ndarray]:
    """``decision`` and ``probability`` of the exported model for every clip: its
    ``predict_mfcc`` (the network alone), or, given each clip's ``centroid_khz`` (the examples'
    ``onset_centroid_khz``), its ``serving_default`` on tf.Examples of the two (what TF Serving
    answers: fused in a model with an onset fusion)."""
    import tensorflow as tf
    return _signature_outputs(tf.saved_model.load(serving_model_dir), mfcc, batch, centroid_khz)


def _signature_outputs(loaded, mfcc: np.ndarray, batch: int = 64,
                       centroid_khz: Optional[np.ndarray] = None) -> Dict[str, np.ndarray]:
    """:func:`predict` on a loaded SavedModel (one load serves several calls)."""
    if centroid_khz is None:
        name, values = "predict_mfcc", mfcc
    else:
        name, values = "serving_default", np.array(
            [examples.onset_example(m, c) for m, c in zip(mfcc, centroid_khz)], dtype=object)
    outputs = [serving.call_signature(loaded, name, values[i:i + batch])
               for i in range(0, len(values), batch)]
    return {key: np.concatenate([o[key] for o in outputs]) for key in ("decision", "probability")}


def model_outputs(serving_model_dir: str, mfcc: np.ndarray, meta: List[Dict]
                  ) -> Tuple[Dict[str, np.ndarray], Optional[Dict[str, np.ndarray]]]:
    """(the model's answer, the network's alone or None) for every clip of ``mfcc`` whose
    metadata (``examples.load_split``) is ``meta``. They differ only in a model with an onset
    fusion (``model_info``), whose answer comes through ``serving_default`` with each clip's
    centroid: the network alone is then its ``predict_mfcc``."""
    import tensorflow as tf
    return _loaded_outputs(tf.saved_model.load(serving_model_dir), mfcc, meta)


def _loaded_outputs(loaded, mfcc: np.ndarray, meta: List[Dict], network_too: bool = True
                    ) -> Tuple[Dict[str, np.ndarray], Optional[Dict[str, np.ndarray]]]:
    """:func:`model_outputs` on a loaded SavedModel; ``network_too=False`` skips the network
    alone of a fused model (None in its place)."""
    if not serving.model_info(loaded)["onset_fusion"]:
        return _signature_outputs(loaded, mfcc), None
    centroid = np.array([m[examples.ONSET_CENTROID_KEY] for m in meta], np.float32)
    return (_signature_outputs(loaded, mfcc, centroid_khz=centroid),
            _signature_outputs(loaded, mfcc) if network_too else None)


class Study:
    """Data and training helpers for one experiment study in ``out_dir``.

    ``settings`` are what the folder records and a resumed study must match (default: the
    config's own; an experiment whose studies vary a setting passes the experiment's).
    ``reading``: the folder is another experiment's finished study, whose runs are scored with
    this config (its settings are not compared) and to which only missing test sets are added;
    a folder from before studies were recorded (no ``study.json``) is taken as it is.
    ``announce``: say "resuming" when the folder already holds the study (off for the further
    studies of one experiment that share the folder the first one opened).
    """

    def __init__(self, config: PipelineConfig, out_dir: str, settings: Optional[Dict] = None,
                 reading: bool = False, announce: bool = True):
        self.config = config
        self.out = out_dir
        self.tasks = datasets.resolve_tasks(config.source_data, config.source_classes,
                                            config.target_data, config.target_class,
                                            config.corpus_seed)
        self.data = {"source": datasets.load_source_data(config.source_data, config.corpus_seed)}
        self.data["target"] = (self.data["source"] if config.target_data == config.source_data
                               else datasets.load_source_data(config.target_data,
                                                              config.corpus_seed))
        self.timings: Dict[str, List[float]] = {}
        self._test = None
        self._test_arrays = None
        self._real_arrays = None
        self._impact_arrays = None
        self.real = (datasets.load_source_data(config.real_audio_data, config.corpus_seed)
                     if config.real_audio_data else None)
        self.reused = 0
        self.reading = reading
        self.legacy = reading and not os.path.exists(os.path.join(out_dir, STUDY_FILE))
        self._open_folder(settings if settings is not None else study_settings(config), announce)

    def _open_folder(self, settings: Dict, announce: bool = True) -> None:
        """Start a study in an empty or new folder, or resume the one it holds (same settings)."""
        path = os.path.join(self.out, STUDY_FILE)
        if self.reading:
            return
        if os.path.exists(path):
            with open(path) as handle:
                recorded = with_added_settings(json.load(handle).get("settings", {}))
            if recorded != settings:
                raise StudyMismatch(f"{path}: the folder holds a study with other settings "
                                    f"({_differences(recorded, settings)}); resume it with the "
                                    f"same settings or give a new --out")
            if announce:
                print(f"  resuming the study in {self.out}", flush=True)
            return
        if os.path.isdir(self.out) and os.listdir(self.out):
            raise StudyMismatch(f"{self.out}: exists and holds no study ({STUDY_FILE}); give a "
                                f"new or empty --out")
        os.makedirs(self.out, exist_ok=True)
        with open(path, "w") as handle:
            json.dump({"settings": settings}, handle, indent=1, sort_keys=True)

    def _encoding(self) -> Dict:
        """How the study's examples are encoded, where it differs from the paper (a key of its
        data steps: a study resumed with another encoding refuses its earlier data)."""
        return self.config.example_encoding()

    def _finished(self, folder: str, made_from: Dict) -> Optional[Dict]:
        """The record of a finished step in ``folder``, or None (an interrupted step's folder is
        removed); StudyMismatch if it finished from something else than ``made_from``."""
        made_from = json.loads(json.dumps(made_from))
        path = os.path.join(folder, DONE_FILE)
        if not os.path.exists(path):
            if self.legacy and os.path.isdir(folder):
                return {"made_from": made_from, "result": {"seconds": 0.0, "wall_seconds": 0.0}}
            if self.reading and os.path.isdir(folder):
                raise StudyMismatch(f"{folder}: did not finish; resume that study first")
            if os.path.isdir(folder):
                shutil.rmtree(folder)
            return None
        with open(path) as handle:
            record = json.load(handle)
        if record["made_from"] != made_from:
            raise StudyMismatch(f"{folder}: finished earlier from other inputs "
                                f"({_differences(record['made_from'], made_from)}); give a new "
                                f"--out")
        self.reused += 1
        return record

    def _record_done(self, folder: str, made_from: Dict, result: Dict) -> None:
        temporary = os.path.join(folder, DONE_FILE + ".tmp")
        with open(temporary, "w") as handle:
            json.dump({"made_from": made_from, "result": result}, handle, indent=1)
        os.replace(temporary, os.path.join(folder, DONE_FILE))

    def _relative(self, path: Optional[str]) -> Optional[str]:
        """``path`` relative to the study folder when inside it (a study folder can move)."""
        if path is None:
            return None
        relative = os.path.relpath(path, self.out)
        return path if relative.startswith("..") else relative

    def _timed(self, stage: str, seconds: float) -> None:
        self.timings.setdefault(stage, []).append(seconds)

    def synthesize(self, name: str, task: str, train_clips: int, train_seed: int,
                   eval_clips: int = 0) -> str:
        """Write a dataset with the pipeline's Beam job (or reuse the study's finished one);
        returns its folder."""
        folder = os.path.join(self.out, "data", name)
        # the target task's training data get the config's extras (decoys, hard negatives,
        # calibration split, recording chain), as the Target ExampleGen's do
        extras = (self.config.target_training_extras()
                  if task == "target" and train_clips > 0 else {})
        made_from = {"task": task, "train_clips": train_clips, "train_seed": train_seed,
                     "eval_clips": eval_clips, **self._encoding(), **extras}
        done = self._finished(folder, made_from)
        if done is not None:
            self._timed("data", done["result"]["seconds"])
            print(f"  data {name}: finished earlier, reused", flush=True)
            return folder
        spec, data = self.tasks[task], self.data[task]
        recipes = datasets.split_recipes(
            data, task, train_clips, max(eval_clips, 1), train_seed, self.config.eval_seed,
            self.config.clip_duration_s, augment=bool(self.config.augment),
            classes=spec.classes, scenes=spec.scenes, corpus_seed=self.config.corpus_seed,
            **datasets.training_extras_arguments(**extras))
        if not eval_clips:
            recipes.pop("eval")
        self._timed("data", self._mix(folder, made_from, recipes, name, data.data_root))
        return folder

    def target_test(self) -> str:
        if self._test is None:
            self._test = self.synthesize("target-test", "target", 0, 0,
                                         eval_clips=self.config.target_eval_clips)
        return self._test

    def real_test(self) -> Optional[str]:
        """The real-recordings test set (same Beam job, factorial design), or None."""
        if self.real is None:
            return None
        folder = os.path.join(self.out, "data", "real-test")
        made_from = self._real_made_from()
        if self._finished(folder, made_from) is None:
            self._mix(folder, made_from, self._real_recipes(impacts=False), "real-test",
                      self.real.data_root)
        return folder

    def real_impacts_test(self) -> Optional[str]:
        """The real impacts (the real set's sounds of other classes mixed into clips without the
        event, ``split_recipes(impacts=True)``) in a data step of their own, or None when
        ``real_impacts`` is off or the set has no other classes."""
        if self.real is None or not self.config.real_impacts:
            return None
        folder = os.path.join(self.out, "data", "real-impacts")
        made_from = self._real_made_from()
        if self._finished(folder, made_from) is None:
            recipes = self._real_recipes(impacts=True)
            if "impacts" not in recipes:
                return None
            self._mix(folder, made_from, {"impacts": recipes["impacts"]}, "real-impacts",
                      self.real.data_root)
        return folder

    def _real_made_from(self) -> Dict:
        """What a real test set is made from (its data step's key)."""
        return {"real_set": _manifest_digest(self.config.real_audio_data), **self._encoding()}

    def _real_recipes(self, impacts: bool) -> Dict[str, List]:
        """The real branch's factorial design on the study's real set (``impacts``: with the
        ``impacts`` split)."""
        return datasets.split_recipes(self.real, "real", 0, 0, 0, self.config.real_seed,
                                      self.config.clip_duration_s, self.config.real_excerpts,
                                      classes=(self.config.target_class,), impacts=impacts)

    def _mix(self, folder: str, made_from: Dict, recipes: Dict, name: str,
             data_root: str) -> float:
        """Run the Beam job of a data step, record it as done and return its seconds."""
        start = time.time()
        beam_mixtures.run_mixture_job(recipes, folder, data_root,
                                      self.config.corpus_seed, self.config.num_shards,
                                      list(self.config.beam_pipeline_args),
                                      n_mfcc=self.config.n_mfcc,
                                      highpass_hz=self.config.highpass_hz)
        seconds = time.time() - start
        clips = sum(len(r) for r in recipes.values())
        self._record_done(folder, made_from, {"clips": clips, "seconds": seconds})
        print(f"  data {name}: {clips} clips in {seconds:.0f} s", flush=True)
        return seconds

    def real_breakdown(self, serving_model_dir: str) -> Optional[Dict]:
        """Accuracy, AUC, false alarms per background and detection per EBR on real recordings."""
        if self.real is None:
            return None
        if self._real_arrays is None:
            self._real_arrays = examples.load_split(self.real_test(), "eval", self.config.frames,
                                                    n_mfcc=self.config.n_mfcc)
            impacts = self.real_impacts_test()
            self._impact_arrays = (examples.load_split(impacts, "impacts", self.config.frames,
                                                       n_mfcc=self.config.n_mfcc)
                                   if impacts else None)
        import tensorflow as tf
        loaded = tf.saved_model.load(serving_model_dir)     # once for both test sets
        x, y, meta = self._real_arrays
        outputs, network = _loaded_outputs(loaded, x, meta)
        decisions, scores = outputs["decision"], outputs["probability"]
        result = {"accuracy": float(np.mean(decisions == y)), "auc": roc_auc(y, scores),
                  "false_alarms": float(np.mean(decisions[y == 0] == 1)),
                  "detected": float(np.mean(decisions[y == 1] == 1))}
        if network is not None:      # an onset fusion: the network alone beside it
            result.update({
                "network_accuracy": float(np.mean(network["decision"] == y)),
                "network_auc": roc_auc(y, network["probability"]),
                "network_false_alarms": float(np.mean(network["decision"][y == 0] == 1)),
                "network_detected": float(np.mean(network["decision"][y == 1] == 1))})
        for scene in sorted({m["scene"] for m in meta}):
            idx = np.asarray([m["scene"] == scene for m in meta])
            result[f"false_alarms:{scene}"] = float(np.mean(decisions[idx & (y == 0)] == 1))
            result[f"detected:{scene}"] = float(np.mean(decisions[idx & (y == 1)] == 1))
            scene_auc = roc_auc(y[idx], scores[idx])     # NaN: the scene lacks a label
            result[f"auc:{scene}"] = None if math.isnan(scene_auc) else scene_auc
        for ebr in EBRS:
            idx = [i for i, m in enumerate(meta) if m["ebr_db"] == ebr]
            result[f"ebr_{int(ebr)}"] = float(np.mean(decisions[idx] == 1)) if idx else None
        if self._impact_arrays is not None:
            result.update(impact_figures(
                _loaded_outputs(loaded, self._impact_arrays[0], self._impact_arrays[2],
                                network_too=False)[0],
                [m["impact"] for m in self._impact_arrays[2]], scores[y == 1]))
        return result

    def schema_path(self) -> str:
        """The examples' schema for this study's clip length (written once under its folder)."""
        from components.tfx import schema
        path = os.path.join(self.out, "schema", "schema.pbtxt")
        if not os.path.exists(path):
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "w") as handle:
                handle.write(schema.schema_text(self.config.frames, self.config.clip_duration_s,
                                                self.config.n_mfcc))
        return path

    def train(self, name: str, stage: str, method: str, train_dir: str, eval_dir: str,
              seed: int, base_model: Optional[str] = None, epochs: Optional[int] = None) -> Dict:
        """Run the Trainer's run_fn (or reuse the study's finished run); return its
        metrics.json plus the model path and the training's wall time."""
        from tfx.components.trainer.fn_args_utils import FnArgs
        from components.tfx import trainer_source, trainer_stage, trainer_target
        run_dir = os.path.join(self.out, "runs", name)
        custom = self.config.stage_config(stage, method)
        custom["seed"] = seed
        custom.pop("min_source_auc")     # a study records every row; table1 flags weak sources
        if epochs is not None:
            custom["epochs"] = epochs
        made_from = {"stage": stage, "train": self._relative(train_dir),
                     "eval": self._relative(eval_dir), "base_model": self._relative(base_model),
                     "custom_config": custom}
        done = self._finished(run_dir, made_from)
        if done is not None:
            self._timed(f"train_{stage}", done["result"]["wall_seconds"])
            print(f"  run {name}: finished earlier, reused", flush=True)
            return self._metrics(run_dir, done["result"]["wall_seconds"])
        args = FnArgs(train_files=[os.path.join(train_dir, "Split-train", "*")],
                      eval_files=[os.path.join(eval_dir, "Split-eval", "*")],
                      serving_model_dir=os.path.join(run_dir, "model", "Format-Serving"),
                      model_run_dir=os.path.join(run_dir, "logs"), base_model=base_model,
                      custom_config=custom, schema_path=self.schema_path(),
                      data_accessor=trainer_stage.local_data_accessor())
        start = time.time()
        (trainer_source if stage == "source" else trainer_target).run_fn(args)
        seconds = time.time() - start
        self._timed(f"train_{stage}", seconds)
        self._record_done(run_dir, made_from, {"wall_seconds": seconds})
        return self._metrics(run_dir, seconds)

    @staticmethod
    def _metrics(run_dir: str, wall_seconds: float) -> Dict:
        with open(os.path.join(run_dir, "model", "metrics.json")) as handle:
            metrics = json.load(handle)
        metrics["serving_model_dir"] = os.path.join(run_dir, "model", "Format-Serving")
        metrics.setdefault("copied_layers", None)
        metrics["wall_seconds"] = wall_seconds
        return metrics

    def test_breakdown(self, serving_model_dir: str) -> Dict:
        """Accuracy on the fixed target test set through the exported model, and per-EBR
        detection rates (positives only)."""
        if self._test_arrays is None:
            self._test_arrays = examples.load_split(self.target_test(), "eval", self.config.frames,
                                                    n_mfcc=self.config.n_mfcc)
        x, y, meta = self._test_arrays
        outputs, network = model_outputs(serving_model_dir, x, meta)
        decisions = outputs["decision"]
        result = {"accuracy": float(np.mean(decisions == y))}
        if network is not None:      # an onset fusion: the network alone beside it
            result["network_accuracy"] = float(np.mean(network["decision"] == y))
        for ebr in EBRS:
            idx = [i for i, m in enumerate(meta) if m["ebr_db"] == ebr]
            result[f"ebr_{int(ebr)}"] = float(np.mean(decisions[idx] == 1)) if idx else None
        negatives = np.flatnonzero(y == 0)
        result["negatives"] = float(np.mean(decisions[negatives] == 0))
        return result


def class_aucs(serving_model_dir: str, examples_dir: str, frames: int,
               classes: List[str], n_mfcc: int = N_MFCC) -> Dict[str, float]:
    """ROC AUC of each output of a (multi-class) source model on an Examples folder's eval split."""
    x, y, _ = examples.load_split(examples_dir, "eval", frames,
                                  len(classes) if len(classes) > 1 else 0, n_mfcc=n_mfcc)
    scores = predict(serving_model_dir, x)["probability"]
    if len(classes) == 1:
        return {classes[0]: roc_auc(y, scores)}
    return {name: roc_auc(y[:, k], scores[:, k]) for k, name in enumerate(classes)}


def impact_figures(outputs: Dict, kinds: Sequence[str], break_scores: np.ndarray) -> Dict:
    """False alarms on the real impacts (clips without the event holding a sharp sound of
    another kind), overall and per kind, and the ROC AUC of the clips with a break against
    them (``break_scores``: the model's scores of the clips with a break)."""
    decisions, scores = outputs["decision"], outputs["probability"]
    kinds = np.asarray(kinds)
    result = {"impact_false_alarms": float(np.mean(decisions == 1)),
              "auc_breaks_vs_impacts": roc_auc(
                  np.r_[np.ones(len(break_scores)), np.zeros(len(scores))],
                  np.r_[break_scores, scores])}
    for kind in sorted(set(kinds)):
        result[f"impact_false_alarms:{kind}"] = float(np.mean(decisions[kinds == kind] == 1))
    return result


def _background_auc_lines(real_rows: List[Dict]) -> List[str]:
    """A Markdown table of each row's ROC AUC within each real background (mean over seeds),
    or nothing when the rows' runs were scored before that figure was recorded."""
    scenes = sorted(k.split(":", 1)[1] for k in (real_rows[0]["real"] if real_rows else {})
                    if k.startswith("auc:"))
    if not scenes:
        return []
    lines = ["", "ROC AUC within each real background (excerpts with a real event against those "
             "without, in that background; mean over seeds; - where undefined):", "",
             "| method | " + " | ".join(scenes) + " |", "| --- |" + " --- |" * len(scenes)]
    for r in real_rows:
        lines.append(f"| {r['name']} | " + " | ".join(
            "-" if r["real"].get("auc:" + s) is None else f"{r['real']['auc:' + s]:.3f}"
            for s in scenes) + " |")
    return lines


def _impact_lines(real_rows: List[Dict]) -> List[str]:
    """A Markdown table of each row's false alarms on the real impacts, or nothing without."""
    if not real_rows or "impact_false_alarms" not in real_rows[0]["real"]:
        return []
    kinds = sorted(k.split(":", 1)[1] for k in real_rows[0]["real"]
                   if k.startswith("impact_false_alarms:"))
    lines = ["", "Real impacts (sharp sounds that are not the event, mixed into excerpts "
             "without it at -6/0/+6 dB; `real_impacts`): false alarms %, overall and per kind, "
             "and the ROC AUC of the excerpts with an event against them (means over seeds):",
             "", "| method | false alarms % | " + " | ".join(kinds) + " | AUC events vs impacts |",
             "| --- |" + " --- |" * (len(kinds) + 2)]
    for r in real_rows:
        q = r["real"]
        lines.append(f"| {r['name']} | {100 * q['impact_false_alarms']:.1f} | "
                     + " | ".join(f"{100 * q['impact_false_alarms:' + k]:.1f}" for k in kinds)
                     + f" | {q['auc_breaks_vs_impacts']:.3f} |")
    return lines


def _real_summary(runs: List[Dict]) -> Optional[Dict]:
    """Mean over seeds of the real-recordings figures, or None without a real set."""
    reals = [r["real"] for r in runs if r.get("real")]
    if not reals:
        return None
    # figures every run has (a resumed or merged study may hold runs scored before a figure
    # was added) and that are defined in every run
    keys = [k for k in reals[0] if all(r.get(k) is not None for r in reals)]
    return {k: mean_ci([r[k] for r in reals])["mean"] for k in keys} | {
        "accuracy_std": mean_ci([r["accuracy"] for r in reals])["std"],
        "accuracy_ci95": mean_ci([r["accuracy"] for r in reals])["ci95"]}


def run_table1(config: PipelineConfig, seeds: int, out_dir: str,
               full_clips: Optional[int] = None, rows: Optional[List[str]] = None,
               first_seed: int = 1) -> Dict:
    """The rows of Table 1 (default all five) over ``seeds`` seeds numbered from ``first_seed``
    (seed k draws data seed ``train_seed + 100 (k - 1)``: studies of different seeds, on other
    machines or days, can be merged with :func:`merge_table1`), on the synthetic test set and,
    when the config names a real-audio set, on real recordings; writes table1.{json,md,png}."""
    if first_seed < 1:
        raise UsageError(f"--first-seed {first_seed}: expected 1 or more")
    seed_indices = range(first_seed - 1, first_seed - 1 + seeds)
    rows_wanted = rows or list(PAPER_TABLE1)
    unknown = sorted(set(rows_wanted) - set(PAPER_TABLE1))
    if unknown:
        raise ValueError(f"--rows: unknown row(s) {unknown}; expected some of {list(PAPER_TABLE1)}")
    study = Study(config, out_dir)
    full_clips = full_clips or config.source_train_clips
    started, measured_on = time.time(), machine()   # the code and host this study starts with
    per_row: Dict[str, List[Dict]] = {row: [] for row in PAPER_TABLE1 if row in rows_wanted}
    sources: List[Dict] = []

    def score(k: int, row: str, trained: Dict, source: Optional[Dict]) -> None:
        breakdown = study.test_breakdown(trained["serving_model_dir"])
        breakdown.update({"seed": k, "run": trained["serving_model_dir"],
                          "keras_eval_accuracy": trained["metrics"]["eval"]["accuracy"],
                          "train_accuracy": trained["metrics"]["train"]["accuracy"],
                          "wall_seconds": trained["wall_seconds"],
                          "source_eval_accuracy": (source["metrics"]["eval"]["accuracy"]
                                                   if source else None),
                          "real": study.real_breakdown(trained["serving_model_dir"])})
        per_row[row].append(breakdown)
        real = breakdown["real"]
        print(f"[table1] seed {k + 1}: {ROW_LABELS[row]:24s} "
              f"{100 * breakdown['accuracy']:.1f} % {target_test_label(config.target_data)}" + (
                  f", {100 * real['accuracy']:.1f} % real (AUC {real['auc']:.3f}, false "
                  f"alarms {100 * real['false_alarms']:.1f} %)" if real else ""), flush=True)

    # The rows on the limited data of every seed first, the costly full-data row after them:
    # an interrupted study then has whole seeds of the transfer comparison to resume from.
    limited_rows = [row for row in PAPER_TABLE1 if row != "scratch_full" and row in rows_wanted]
    for k in (seed_indices if limited_rows else ()):
        seed = config.train_seed + 100 * k
        model_seed = config.model_seed + 100 * k
        print(f"[table1] seed {k + 1} of {seed_indices[0] + 1}-{seed_indices[-1] + 1} (data seed "
              f"{seed}, model seed {model_seed})", flush=True)
        source_dir = study.synthesize(f"source-s{k}", "source", config.source_train_clips, seed,
                                      eval_clips=config.source_eval_clips)
        source = study.train(f"s{k}-source", "source", "scratch", source_dir, source_dir,
                             model_seed)
        sources.append({"seed": k, "accuracy": source["metrics"]["eval"]["accuracy"],
                        "auc": gate_auc(source["metrics"]["eval"])})
        if _weak_source(sources[-1], config.min_source_auc):
            print(f"[table1] seed {k + 1}: warning: the source model scored ROC AUC "
                  f"{sources[-1]['auc']:.3f} on its own test set (below min_source_auc="
                  f"{config.min_source_auc}); this seed's transfer rows start from a source that "
                  f"did not learn its task", flush=True)
        limited = study.synthesize(f"target-limited-s{k}", "target", config.target_train_clips,
                                   seed + 1)
        for row in limited_rows:
            method = "scratch" if row == "scratch_limited" else row
            base = None if method == "scratch" else source["serving_model_dir"]
            trained = study.train(f"s{k}-{row}", "target", method, limited, study.target_test(),
                                  model_seed + 1, base_model=base)
            score(k, row, trained, source)
    for k in (seed_indices if "scratch_full" in rows_wanted else ()):
        seed = config.train_seed + 100 * k
        model_seed = config.model_seed + 100 * k
        print(f"[table1] seed {k + 1}, full data (data seed {seed + 2}, model seed "
              f"{model_seed + 1})", flush=True)
        full = study.synthesize(f"target-full-s{k}", "target", full_clips, seed + 2)
        trained = study.train(f"s{k}-scratch_full", "target", "scratch", full,
                              study.target_test(), model_seed + 1, epochs=config.source_epochs)
        score(k, "scratch_full", trained, None)
    result = {"experiment": "table1", "machine": measured_on, "profile": config.profile,
              "seeds": seeds,
              "seed_numbers": [k + 1 for k in seed_indices], "rows": _table1_rows(per_row),
              "config": dataclasses.asdict(config), "full_clips": full_clips,
              "target_test_clips": config.target_eval_clips,
              "sources": sources, "real_audio": config.real_audio_data or None,
              "stage_seconds": {k: mean_ci(v) for k, v in study.timings.items()},
              "wall_seconds": time.time() - started, "reused_steps": study.reused}
    _write_table1(result, out_dir)
    return result


def _fusion_lines(rows: List[Dict]) -> List[str]:
    """A Markdown table of every row's network alone against the model with its onset fusion
    (synthetic and real accuracy, real AUC and false alarms), or nothing when the study's
    models have none."""
    fused = [r for r in rows if "network_accuracy" in r]
    if not fused:
        return []
    real = all((r.get("real") or {}).get("network_accuracy") is not None for r in fused)
    lines = ["", "## The networks alone and with the onset fusion", "",
             "Every figure above is the model's answer as the pipeline pushes it: the network's "
             "probability fused with the clip's sharpest onset (`onset_fusion=1`, fitted by each "
             "target Trainer on its calibration split; scored through `serving_default`). The "
             "paper's comparison is between the networks (`predict_mfcc`): network alone -> "
             "fused, mean over seeds.", "",
             "| method | synthetic accuracy % |" + (
                 " real accuracy % | real AUC | real false alarms % | real detected % |"
                 if real else ""),
             "| --- | --- |" + (" --- | --- | --- | --- |" if real else "")]
    for r in fused:
        line = f"| {r['name']} | {100 * r['network_accuracy']:.1f} -> {100 * r['accuracy']:.1f} |"
        if real:
            q = r["real"]
            line += (f" {100 * q['network_accuracy']:.1f} -> {100 * q['accuracy']:.1f} |"
                     f" {q['network_auc']:.3f} -> {q['auc']:.3f} |"
                     f" {100 * q['network_false_alarms']:.1f} -> {100 * q['false_alarms']:.1f} |"
                     f" {100 * q['network_detected']:.1f} -> {100 * q['detected']:.1f} |")
        lines.append(line)
    return lines


def _weak_source(source: Dict, min_auc: float) -> bool:
    """A seed's source model (``{"auc": ...}``) that scored below ``min_auc`` on its own test
    set (what the pipeline's target Trainers would refuse)."""
    return source["auc"] is not None and source["auc"] < min_auc


def _table1_rows(per_row: Dict[str, List[Dict]]) -> List[Dict]:
    """Each row's summary over its runs (one run per seed)."""
    rows = []
    for row, runs in per_row.items():
        summary = mean_ci([r["accuracy"] for r in runs])
        ebr = {f"ebr_{int(e)}": mean_ci([r[f"ebr_{int(e)}"] for r in runs])["mean"] for e in EBRS}
        rows.append({"row": row, "name": ROW_LABELS[row], "paper": PAPER_TABLE1[row],
                     "accuracy": summary["mean"], "std": summary["std"], "ci95": summary["ci95"],
                     "per_ebr_detection": ebr,
                     "negatives": mean_ci([r["negatives"] for r in runs])["mean"],
                     **({"network_accuracy": mean_ci([r["network_accuracy"] for r in runs])["mean"]}
                        if all("network_accuracy" in r for r in runs) else {}),
                     "real": _real_summary(runs), "runs": runs})
    return rows


def merge_table1(folders: List[str], out_dir: str) -> Dict:
    """One Table 1 from the ``table1.json`` of studies of different seeds (``--first-seed``)
    or rows (``--rows``): their runs side by side, summaries recomputed, every row any study
    has, in the paper's order (a row measured on fewer seeds than another says so in the
    Markdown). Refuses (UsageError) studies of other settings, profiles or test sets, and a
    seed of a row found twice."""
    results = []
    for folder in folders:
        path = os.path.join(folder, "table1.json")
        if not os.path.exists(path):
            raise UsageError(f"--merge: {path} not found; expected the folder of a finished "
                             f"'experiment table1'")
        with open(path) as handle:
            results.append(json.load(handle))
    if len(results) < 2:
        raise UsageError("--merge: expected two or more table1 folders, separated by commas")
    def settings(result):
        return {k: v for k, v in with_added_settings(result["config"]).items()
                if k not in NOT_RESULT_SETTINGS}
    first = results[0]
    for folder, result in zip(folders[1:], results[1:]):
        for key in ("profile", "full_clips", "target_test_clips"):
            if result[key] != first[key]:
                raise UsageError(f"--merge: {folder} has {key}={result[key]!r}, {folders[0]} "
                                 f"{first[key]!r}")
        if settings(result) != settings(first):
            raise UsageError(f"--merge: {folder} was made with other settings than {folders[0]} "
                             f"({_differences(settings(first), settings(result))})")
    present = {r["row"] for result in results for r in result["rows"]}
    per_row: Dict[str, List[Dict]] = {row: [] for row in ROW_LABELS if row in present}
    for folder, result in zip(folders, results):
        for row in result["rows"]:
            seen = {run["seed"] for run in per_row[row["row"]]}
            twice = sorted(seen & {run["seed"] for run in row["runs"]})
            if twice:
                raise UsageError(f"--merge: seed {twice[0] + 1} of row {row['row']} is in "
                                 f"{folder} and in an earlier folder")
            per_row[row["row"]].extend(row["runs"])
    for runs in per_row.values():
        runs.sort(key=lambda run: run["seed"])
    seeds = sorted({run["seed"] for runs in per_row.values() for run in runs})
    stages: Dict[str, Dict[str, float]] = {}
    for result in results:
        for stage, t in result.get("stage_seconds", {}).items():
            total = stages.setdefault(stage, {"sum": 0.0, "n": 0})
            total["sum"] += t["mean"] * t["n"]
            total["n"] += t["n"]
    merged = dict(first, seeds=len(seeds), seed_numbers=[k + 1 for k in seeds],
                  rows=_table1_rows(per_row),
                  sources=sorted((s for r in results for s in r.get("sources", [])),
                                 key=lambda s: s["seed"]),
                  stage_seconds={k: {"mean": v["sum"] / v["n"], "std": 0.0, "ci95": 0.0,
                                     "n": v["n"]} for k, v in stages.items()},
                  wall_seconds=sum(r["wall_seconds"] for r in results),
                  reused_steps=sum(r.get("reused_steps", 0) for r in results),
                  merged_from=[os.path.abspath(f) for f in folders],
                  machines=[r.get("machine") for r in results])
    merged.pop("machine", None)
    os.makedirs(out_dir, exist_ok=True)
    _write_table1(merged, out_dir)
    return merged


def target_test_label(target_data: str) -> str:
    """What a study's target test set is called in its lines and tables: ``synthetic`` for the
    embedded corpus, ``target test`` for a folder of recordings (which may be real)."""
    return "synthetic" if target_data == "embedded" else "target test"


def _machine_lines(result: Dict) -> List[str]:
    """The 'Measured on' lines of a study's Markdown (one per merged study), with a warning when
    merged studies ran on machines with other vector instructions or packages."""
    if "machines" not in result:
        return [f"Measured on: {describe_machine(result.get('machine'))}.", ""]
    lines = [f"Measured on, study {i + 1}: {describe_machine(info)}."
             for i, info in enumerate(result["machines"])]
    kinds = {json.dumps([(info or {}).get("vector_flags"),
                         ((info or {}).get("packages") or {}).get("sha256")])
             for info in result["machines"]}
    if len(kinds) > 1:
        lines.append("**The merged studies ran with other vector instructions or packages (or "
                     "one did not record them): TensorFlow's CPU kernels differ between them, so a "
                     "seed run again on another of these machines may give other models.**")
    return lines + [""]


def _settings_lines(result: Dict) -> List[str]:
    """The 'Settings' line of a study's Markdown: the settings that differ from its profile's
    (``--set``), so a table read alone says what it measured."""
    if "config" not in result:
        return []
    changed = changed_settings(result["profile"], result["config"])
    if not changed:
        return [f"Settings: the `{result['profile']}` profile's, none changed.", ""]
    return [f"Settings other than the `{result['profile']}` profile's: "
            + ", ".join(f"`{name}={value}`" for name, value in changed.items()) + ".", ""]


def _plot_title(subject: str, result: Dict) -> str:
    """A study plot's title: its subject, profile, seeds and changed settings (the data folders
    left out: the Markdown names them)."""
    changed = changed_settings(result["profile"], result.get("config") or {})
    shown = [f"{name}={value}" for name, value in changed.items()
             if name not in ("real_audio", "source_data", "target_data")]
    return (f"{subject} ({result['profile']}, {result['seeds']} seeds"
            + "".join(f", {item}" for item in shown) + ")")


def _write_table1(result: Dict, out_dir: str) -> None:
    with open(os.path.join(out_dir, "table1.json"), "w") as handle:
        json.dump(result, handle, indent=2)
    numbers = result.get("seed_numbers") or list(range(1, result["seeds"] + 1))
    row_seeds = {r["row"]: ", ".join(str(run["seed"] + 1) for run in r["runs"])
                 for r in result["rows"]}
    uneven = len(set(row_seeds.values())) > 1      # merged studies of other rows and seeds
    target_data = result["config"].get("target_data", "embedded")
    on_data = ("the embedded corpus" if target_data == "embedded"
               else f"the target data `{target_data}`")
    lines = [f"# Table 1 on {on_data} ({result['profile']} profile, "
             f"{result['seeds']} seeds: " + ", ".join(map(str, numbers)) + ")", "",
             f"Target test set: {result['target_test_clips']} fixed clips. Limited data: "
             f"{result['config']['target_train_clips']} clips; full data: {result['full_clips']} "
             "clips. Mean, standard deviation and 95 % t-interval over seeds"
             + (" (each row over the seeds its column names: **not every row was measured "
                "on every seed**)." if uneven else "."), "",
             *_machine_lines(result), *_settings_lines(result),
             "| method | accuracy % | std | 95 % CI | paper % | EBR -6 | EBR 0 | EBR +6 | negatives |"
             + (" seeds |" if uneven else ""),
             "| --- | --- | --- | --- | --- | --- | --- | --- | --- |" + (" --- |" if uneven else "")]
    for r in result["rows"]:
        e = r["per_ebr_detection"]
        lines.append(f"| {r['name']} | {100 * r['accuracy']:.1f} | {100 * r['std']:.1f} | "
                     f"±{100 * r['ci95']:.1f} | {r['paper']:.1f} | {100 * e['ebr_-6']:.1f} | "
                     f"{100 * e['ebr_0']:.1f} | {100 * e['ebr_6']:.1f} | "
                     f"{100 * r['negatives']:.1f} |" + (f" {row_seeds[r['row']]} |" if uneven else ""))
    lines += ["", "EBR columns: share of positive test clips detected at that EBR; negatives: share "
              "of event-free clips correctly rejected. " + (
                  "These are synthetic test clips: on their own not evidence that a model works "
                  "on real recordings." if target_data == "embedded" else
                  f"The test clips are the test subset of `{target_data}`, mixed by the same job: "
                  "what they say about other recordings depends on how many recordings it holds.")]
    if result.get("sources"):
        floor = result["config"].get("min_source_auc", 0.0)
        weak = [s for s in result["sources"] if _weak_source(s, floor)]
        several = "," in result["config"].get("source_classes", "")
        lines += ["", "Source models on their own test set, per seed"
                  + (" (AUC: the best class's, as the source gate judges a multi-class source)"
                     if several else "") + ": " + "; ".join(
            f"seed {s['seed'] + 1}: accuracy {100 * s['accuracy']:.1f} %, AUC "
            + (f"{s['auc']:.3f}" if s["auc"] is not None else "-") for s in result["sources"])
            + "." + (f" **Below min_source_auc={floor} (not learned; the pipeline's target "
                     f"Trainers would refuse them): seed(s) "
                     + ", ".join(str(s["seed"] + 1) for s in weak)
                     + "; those seeds' transfer rows start from an untrained source.**"
                     if weak else "")]
    real_rows = [r for r in result["rows"] if r.get("real")]
    if real_rows:
        scenes = sorted(k.split(":", 1)[1] for k in real_rows[0]["real"]
                        if k.startswith("false_alarms:"))
        lines += ["", f"## On real recordings ({result['real_audio']})", "",
                  "| method | accuracy % | 95 % CI | AUC | false alarms % | detected % | "
                  + " | ".join(f"FA {s}" for s in scenes) + " | EBR -6 | EBR 0 | EBR +6 |",
                  "| --- |" + " --- |" * (8 + len(scenes))]
        for r in real_rows:
            q = r["real"]
            lines.append(f"| {r['name']} | {100 * q['accuracy']:.1f} | ±{100 * q['accuracy_ci95']:.1f} | "
                         f"{q['auc']:.3f} | {100 * q['false_alarms']:.1f} | {100 * q['detected']:.1f} | "
                         + " | ".join(f"{100 * q['false_alarms:' + s]:.1f}" for s in scenes)
                         + f" | {100 * q['ebr_-6']:.1f} | {100 * q['ebr_0']:.1f} | {100 * q['ebr_6']:.1f} |")
        lines += ["", "FA: false alarms (share of excerpts without an event tagged as glass break) "
                  "per real background; means over seeds."] + _background_auc_lines(real_rows)
        lines += _impact_lines(real_rows)
    lines += _fusion_lines(result["rows"])
    lines += ["", "| stage | mean s | runs |", "| --- | --- | --- |"]
    for stage, t in result["stage_seconds"].items():
        lines.append(f"| {stage} | {t['mean']:.1f} | {t['n']} |")
    reused = (f" ({result['reused_steps']} data sets and runs finished by an earlier invocation "
              "were reused; the stage times above are theirs)") if result.get("reused_steps") else ""
    if result.get("merged_from"):
        not_counted = (f"; {result['reused_steps']} data sets and runs that they reused from "
                       "earlier invocations are not in this sum, their stage times above are"
                       if result.get("reused_steps") else "")
        reused = (" (the sum of the merged studies' last invocations: "
                  + ", ".join(f"`{f}`" for f in result["merged_from"]) + not_counted + ")")
    lines += ["", f"Wall time of this invocation: {result['wall_seconds']:.0f} s{reused}.", "",
              "![table1](table1.png)", ""]
    with open(os.path.join(out_dir, "table1.md"), "w") as handle:
        handle.write("\n".join(lines))
    plots.accuracy_bars(result["rows"], os.path.join(out_dir, "table1.png"),
                        _plot_title("Table 1", result),
                        reference_key="paper")


TRANSFER_ROWS = ("pretrain_all", "pretrain_fix_low", "parallel_low")


def run_sources(config: PipelineConfig, seeds: int, out_dir: str,
                variants: List[str], methods: Optional[List[str]] = None) -> Dict:
    """Methods (a), (b), (c) (or ``methods``) after pre-training on each source class set of
    ``variants`` (e.g. one class vs five), over ``seeds`` seeds; for every seed all variants
    share the limited target training set, the target test set and the real test set, and the
    from-scratch row is trained once. Writes sources.{json,md,png}."""
    import dataclasses as dc
    methods = list(methods or TRANSFER_ROWS)
    unknown = sorted(set(methods) - set(TRANSFER_ROWS))
    if unknown:
        raise ValueError(f"--rows: unknown method(s) {unknown}; expected some of {TRANSFER_ROWS}")
    if len(variants) < 1:
        raise ValueError("--variants: expected at least one source class set")
    settings = study_settings(config) | {"variants": variants}
    studies = {v: Study(dc.replace(config, source_classes=v), out_dir, settings,
                        announce=(i == 0)) for i, v in enumerate(variants)}
    first = studies[variants[0]]
    started, measured_on = time.time(), machine()   # the code and host this study starts with
    per_row: Dict[str, List[Dict]] = {"scratch_limited": []}
    per_row.update({f"{v}|{row}": [] for v in variants for row in methods})
    for k in range(seeds):
        seed = config.train_seed + 100 * k
        model_seed = config.model_seed + 100 * k
        print(f"[sources] seed {k + 1}/{seeds} (data seed {seed}, model seed {model_seed})",
              flush=True)
        limited = first.synthesize(f"target-limited-s{k}", "target", config.target_train_clips,
                                   seed + 1)
        trained = first.train(f"s{k}-scratch", "target", "scratch", limited, first.target_test(),
                              model_seed + 1)
        per_row["scratch_limited"].append(_row_run(first, trained, k, None))
        for v_index, variant in enumerate(variants):
            study = studies[variant]
            study._test, study._test_arrays = first._test, first._test_arrays
            study._real_arrays = first._real_arrays
            study._impact_arrays = first._impact_arrays
            source_dir = study.synthesize(f"source-v{v_index}-s{k}", "source",
                                          config.source_train_clips, seed,
                                          eval_clips=config.source_eval_clips)
            source = study.train(f"s{k}-v{v_index}-source", "source", "scratch", source_dir,
                                 source_dir, model_seed)
            source["class_auc"] = class_aucs(source["serving_model_dir"], source_dir,
                                             config.frames, variant.split(","),
                                             config.n_mfcc)
            print(f"[sources] seed {k + 1}: source model AUC per class on its test set: "
                  + ", ".join(f"{c} {a:.3f}" for c, a in source["class_auc"].items()),
                  flush=True)
            for row in methods:
                trained = study.train(f"s{k}-v{v_index}-{row}", "target", row, limited,
                                      first.target_test(), model_seed + 1,
                                      base_model=source["serving_model_dir"])
                run = _row_run(study, trained, k, source)
                per_row[f"{variant}|{row}"].append(run)
                real = run["real"]
                print(f"[sources] seed {k + 1}: {len(variant.split(','))}-class source, "
                      f"{ROW_LABELS[row]:20s} {100 * run['accuracy']:.1f} % "
                      f"{target_test_label(config.target_data)}" + (
                          f", {100 * real['accuracy']:.1f} % real (AUC {real['auc']:.3f}, "
                          f"false alarms {100 * real['false_alarms']:.1f} %)" if real else ""),
                      flush=True)
            first._real_arrays = first._real_arrays or study._real_arrays
            first._impact_arrays = first._impact_arrays or study._impact_arrays
    rows = []
    for key, runs in per_row.items():
        variant, row = key.split("|") if "|" in key else ("", key)
        summary = mean_ci([r["accuracy"] for r in runs])
        rows.append({"row": row, "source_classes": variant,
                     "name": ROW_LABELS[row] + (f" [{len(variant.split(','))}-class source]"
                                                if variant else ""),
                     "paper": PAPER_TABLE1[row], "accuracy": summary["mean"],
                     "std": summary["std"], "ci95": summary["ci95"],
                     "source_eval_accuracy": (mean_ci([r["source_eval_accuracy"] for r in runs])
                                              ["mean"] if variant else None),
                     "real": _real_summary(runs), "runs": runs})
    timings: Dict[str, List[float]] = {}
    for study in studies.values():
        for stage, values in study.timings.items():
            timings.setdefault(stage, []).extend(values)
    result = {"experiment": "sources", "machine": measured_on, "profile": config.profile,
              "seeds": seeds,
              "variants": variants, "methods": methods, "config": dataclasses.asdict(config), "rows": rows,
              "real_audio": config.real_audio_data or None,
              "stage_seconds": {k: mean_ci(v) for k, v in timings.items()},
              "wall_seconds": time.time() - started}
    _write_sources(result, out_dir)
    return result


def _row_run(study: "Study", trained: Dict, seed_index: int, source: Optional[Dict]) -> Dict:
    """One trained target model measured on the synthetic and (if any) the real test set."""
    breakdown = study.test_breakdown(trained["serving_model_dir"])
    breakdown.update({"seed": seed_index, "run": trained["serving_model_dir"],
                      "train_accuracy": trained["metrics"]["train"]["accuracy"],
                      "wall_seconds": trained["wall_seconds"],
                      "copied_layers": trained.get("copied_layers"),
                      "source_eval_accuracy": (source["metrics"]["eval"]["accuracy"]
                                               if source else None),
                      "source_class_auc": source.get("class_auc") if source else None,
                      "real": study.real_breakdown(trained["serving_model_dir"])})
    return breakdown


def _write_sources(result: Dict, out_dir: str) -> None:
    with open(os.path.join(out_dir, "sources.json"), "w") as handle:
        json.dump(result, handle, indent=2)
    has_real = any(r.get("real") for r in result["rows"])
    scenes = []
    if has_real:
        first_real = next(r["real"] for r in result["rows"] if r.get("real"))
        scenes = sorted(k.split(":", 1)[1] for k in first_real if k.startswith("false_alarms:"))
    lines = [f"# Single-class vs multi-class source pre-training ({result['profile']} profile, "
             f"{result['seeds']} seeds)", "",
             "Source class sets: " + "; ".join(f"`{v}`" for v in result["variants"]) + ". "
             "Every variant of a seed uses the same limited target training set and the same "
             "test sets; mean and 95 % t-interval over seeds. Synthetic: the embedded corpus's "
             "fixed target test set (not evidence about real audio on its own)." + (
                 f" Real: the real-recordings set `{result['real_audio']}`." if has_real else
                 " No real-recordings set was given: synthetic figures only."), "",
             *_machine_lines(result), *_settings_lines(result),
             "| method | source accuracy % | synthetic % | 95 % CI | " + (
                 "real % | 95 % CI | AUC | FA % | " + " | ".join(f"FA {s}" for s in scenes)
                 + " |" if has_real else ""),
             "| --- |" + " --- |" * (3 + (4 + len(scenes) if has_real else 0))]
    for r in result["rows"]:
        src = "-" if r["source_eval_accuracy"] is None else f"{100 * r['source_eval_accuracy']:.1f}"
        line = (f"| {r['name']} | {src} | {100 * r['accuracy']:.1f} | ±{100 * r['ci95']:.1f} |")
        q = r.get("real")
        if q:
            line += (f" {100 * q['accuracy']:.1f} | ±{100 * q['accuracy_ci95']:.1f} | "
                     f"{q['auc']:.3f} | {100 * q['false_alarms']:.1f} | "
                     + " | ".join(f"{100 * q['false_alarms:' + s]:.1f}" for s in scenes) + " |")
        lines.append(line)
    lines += _background_auc_lines([r for r in result["rows"] if r.get("real")])
    lines += ["", "Source model ROC AUC per class on its own test set (mean over seeds):", ""]
    for variant in result["variants"]:
        runs = next(r["runs"] for r in result["rows"] if r["source_classes"] == variant)
        aucs = [run["source_class_auc"] for run in runs if run.get("source_class_auc")]
        if aucs:
            lines.append(f"- `{variant}`: " + ", ".join(
                f"{c} {np.mean([a[c] for a in aucs]):.3f}" for c in aucs[0]))
    lines += ["", "Source accuracy: the source model's binary accuracy on its own test set "
              "(averaged over its classes). FA: false alarms, the share of event-free real "
              "excerpts tagged as the target class, overall and per real background.", "",
              "| stage | mean s | runs |", "| --- | --- | --- |"]
    for stage, t in result["stage_seconds"].items():
        lines.append(f"| {stage} | {t['mean']:.1f} | {t['n']} |")
    lines += ["", f"Wall time: {result['wall_seconds']:.0f} s.", "", "![sources](sources.png)", ""]
    with open(os.path.join(out_dir, "sources.md"), "w") as handle:
        handle.write("\n".join(lines))
    methods = result["methods"]
    groups = [ROW_LABELS[row] for row in methods]
    series = {}
    for variant in result["variants"]:
        label = f"{len(variant.split(','))}-class source"
        by_row = {r["row"]: r for r in result["rows"] if r["source_classes"] == variant}
        series[f"{label}: synthetic"] = [by_row[row]["accuracy"] for row in methods]
        if has_real:
            series[f"{label}: real"] = [by_row[row]["real"]["accuracy"] for row in methods]
    plots.grouped_bars(groups, series, os.path.join(out_dir, "sources.png"),
                       _plot_title("Source pre-training: one vs several classes", result),
                       "accuracy %")


EVENT_ROWS = ("parallel_low", "scratch_limited")


def clip_windows(loaded, mfcc: np.ndarray, serving_model_dir: str, batch: int = 64,
                 meta: Optional[List[Dict]] = None) -> List:
    """What the event rules read of each clip (``localize.ClipWindow``) from a loaded
    SavedModel's ``localize_mfcc`` (decision, running probability per frame) and the clips'
    onset strength (``features.onset_strength``). In a model with an onset fusion the decision
    is its answer through ``serving_default`` with the clips' centroids (``meta``), as the
    Trainer's event scores take it (``localize.clip_event_scores``)."""
    from components.audio import features
    from components.model import localize
    if "localize_mfcc" not in loaded.signatures:
        raise ValueError(f"{serving_model_dir}: no localize_mfcc signature (exported before "
                         "events existed); train it again")
    answers = [serving.call_signature(loaded, "localize_mfcc", mfcc[i:i + batch])
               for i in range(0, len(mfcc), batch)]
    decisions = np.concatenate([a["decision"] for a in answers]).reshape(-1)
    if meta is not None and serving.model_info(loaded)["onset_fusion"]:
        centroid = np.array([m[examples.ONSET_CENTROID_KEY] for m in meta], np.float32)
        decisions = _signature_outputs(loaded, mfcc, batch, centroid)["decision"].reshape(-1)
    running = np.concatenate([a["frame_probability"] for a in answers])
    strength = features.onset_strength(mfcc[..., :features.N_MFCC])   # as tag computes it
    return [localize.ClipWindow(bool(d), r, s) for d, r, s in zip(decisions, running, strength)]


def run_events(config: PipelineConfig, seeds: int, out_dir: str,
               runs_from: Optional[str] = None) -> Dict:
    """Event detection (DCASE 2017 Task 2 scoring) of the transfer (c) and from-scratch models
    on the synthetic target test set and, where there is one, the real-recordings set; the
    models are trained here (``seeds`` seeds, as Table 1 does) or taken from the finished
    ``experiment table1`` output ``runs_from``. Writes events.{json,md,png}."""
    import tensorflow as tf
    from components.model import event_metrics, localize
    study = Study(config, runs_from, reading=True) if runs_from else Study(config, out_dir)
    os.makedirs(out_dir, exist_ok=True)
    rule = localize.EventRule(threshold=config.decision_threshold, onsets=config.event_onsets)
    label = config.target_class
    started, measured_on = time.time(), machine()   # the code and host this study starts with
    sets = {"synthetic": examples.load_split(study.target_test(), "eval", config.frames,
                                             n_mfcc=config.n_mfcc)}
    real_dir = study.real_test()
    if real_dir:
        sets["real"] = examples.load_split(real_dir, "eval", config.frames,
                                           n_mfcc=config.n_mfcc)
    per_row: Dict[str, List[Dict]] = {row: [] for row in EVENT_ROWS}
    timelines = []
    for k in range(seeds):
        for row in EVENT_ROWS:
            model_dir = os.path.join(study.out, "runs", f"s{k}-{row}", "model", "Format-Serving")
            if runs_from is None:
                model_dir = _train_event_row(study, config, k, row)
            elif not os.path.isdir(model_dir):
                raise ValueError(f"--runs-from {runs_from}: no model {model_dir}; run "
                                 f"'experiment table1' with at least {seeds} seed(s) first")
            scored = {"seed": k, "run": model_dir}
            loaded = tf.saved_model.load(model_dir)
            for name, (x, _, meta) in sets.items():
                windows = clip_windows(loaded, x, model_dir, meta=meta)
                scored[name] = event_metrics.score_clips(windows, meta, rule, label,
                                                         localize.clip_events)
                if k == 0 and row == "parallel_low":
                    timelines += [dict(item, title=f"{name}: {item['title']}") for item in
                                  localize.example_timelines(x, windows, meta, rule, count=3)]
            per_row[row].append(scored)
            print(f"[events] seed {k + 1}: {ROW_LABELS[row]:24s} " + "; ".join(
                f"{name} {event_metrics.summary_line(scored[name]['overall'])}"
                for name in sets), flush=True)
    result = {"experiment": "events", "machine": measured_on, "profile": config.profile,
              "seeds": seeds, "config": dataclasses.asdict(config),
              "rule": dataclasses.asdict(rule), "collar_s": event_metrics.COLLAR_S,
              "runs_from": runs_from, "real_audio": config.real_audio_data or None,
              "sets": list(sets), "rows": {row: {"name": ROW_LABELS[row],
                                                 "summary": _events_summary(runs, list(sets)),
                                                 "runs": runs}
                                           for row, runs in per_row.items()},
              "wall_seconds": time.time() - started}
    with open(os.path.join(out_dir, "events.json"), "w") as handle:
        json.dump(result, handle, indent=2)
    with open(os.path.join(out_dir, "events.md"), "w") as handle:
        handle.write(_events_markdown(result))
    if timelines:
        plots.event_timelines(timelines, os.path.join(out_dir, "events.png"),
                              frame_period=localize.FRAME_PERIOD_S,
                              **localize.timeline_curve(rule))
    return result


def _train_event_row(study: "Study", config: PipelineConfig, k: int, row: str) -> str:
    """Train seed ``k``'s source (once) and the row's target model as Table 1 does."""
    seed, model_seed = config.train_seed + 100 * k, config.model_seed + 100 * k
    limited = study.synthesize(f"target-limited-s{k}", "target", config.target_train_clips,
                               seed + 1)
    base = None
    if row != "scratch_limited":
        source_model = os.path.join(study.out, "runs", f"s{k}-source", "model", "Format-Serving")
        if not os.path.isdir(source_model):
            source_dir = study.synthesize(f"source-s{k}", "source", config.source_train_clips,
                                          seed, eval_clips=config.source_eval_clips)
            study.train(f"s{k}-source", "source", "scratch", source_dir, source_dir, model_seed)
        base = source_model
    method = "scratch" if row == "scratch_limited" else row
    return study.train(f"s{k}-{row}", "target", method, limited, study.target_test(),
                       model_seed + 1, base_model=base)["serving_model_dir"]


EVENT_KEYS = ("error_rate", "f1", "median_onset_error_ms")


def _events_summary(runs: List[Dict], sets: List[str]) -> Dict:
    """Mean and 95 % interval over seeds of ER, F1 and median onset error, overall and per EBR."""
    summary: Dict = {}
    for name in sets:
        parts = {"overall": [r[name]["overall"] for r in runs]}
        for ebr in runs[0][name]["per_ebr"]:
            parts[f"ebr {ebr}"] = [r[name]["per_ebr"][ebr] for r in runs]
        summary[name] = {part: {key: mean_ci([s[key] for s in scores if s[key] is not None])
                                if any(s[key] is not None for s in scores) else None
                                for key in EVENT_KEYS}
                         for part, scores in parts.items()}
    return summary


def _events_markdown(result: Dict) -> str:
    rule = result["rule"]
    lines = [f"# Where in the clip: event onsets ({result['profile']} profile, "
             f"{result['seeds']} seed(s))", "",
             "DCASE 2017 Task 2 scoring (sed_eval): event-based, onset only, "
             f"{1000 * result['collar_s']:.0f} ms collar; ER = (S + D + I) / reference events. "
             "Overall: every test clip (clips without an event can only add insertions); per EBR: "
             "the clips with an event at that EBR. Mean over seeds (± 95 % t-interval). Events: "
             + ("one per clip the model tags, at the clip's strongest spectral rise "
                "(event_onsets=strength"
                if rule.get("onsets", "running") == "strength" else
                f"running probability, warm-up {rule['warmup_s']} s, median {rule['median_s']} "
                f"s, threshold {rule['threshold']}, gaps < {rule['min_gap_s']} s joined, events "
                f"< {rule['min_event_s']} s dropped (event_onsets=running")
             + "; components/model/localize.py). The DCASE 2017 "
             "baseline reached glass break ER 0.22 / F1 88.5 % on the development set.", "",
             *_machine_lines(result), *_settings_lines(result)]
    for name in result["sets"]:
        caption = ("synthetic target test set (the embedded corpus: not evidence about real "
                   "audio on its own)" if name == "synthetic" else
                   f"real recordings ({result['real_audio']})")
        lines += [f"## {caption}", "", "| method | part | ER | F1 % | median onset error ms |",
                  "| --- | --- | --- | --- | --- |"]
        for row in result["rows"].values():
            for part, values in row["summary"][name].items():
                def cell(key, scale=1.0, digits=2):
                    v = values[key]
                    return "n/a" if v is None else (f"{scale * v['mean']:.{digits}f} "
                                                    f"± {scale * v['ci95']:.{digits}f}")
                lines.append(f"| {row['name']} | {part} | {cell('error_rate')} | "
                             f"{cell('f1', 100, 1)} | {cell('median_onset_error_ms', 1, 0)} |")
        lines.append("")
    lines += [f"Wall time: {result['wall_seconds']:.0f} s.", "", "![events](events.png)", ""]
    return "\n".join(lines)


def run_curve(config: PipelineConfig, seeds: int, out_dir: str,
              sizes=DEFAULT_CURVE_SIZES) -> Dict:
    """Accuracy of (c) and from-scratch against target training clips; curve.{json,png}."""
    study = Study(config, out_dir)
    started, measured_on = time.time(), machine()   # the code and host this study starts with
    points = {method: {n: [] for n in sizes} for method in ("scratch", "parallel_low")}
    for k in range(seeds):
        seed = config.train_seed + 100 * k
        model_seed = config.model_seed + 100 * k
        source_dir = study.synthesize(f"source-s{k}", "source", config.source_train_clips, seed,
                                      eval_clips=config.source_eval_clips)
        source = study.train(f"s{k}-source", "source", "scratch", source_dir, source_dir,
                             model_seed)
        for n in sizes:
            data = study.synthesize(f"target-n{n}-s{k}", "target", n, seed + 1)
            for method in points:
                base = source["serving_model_dir"] if method != "scratch" else None
                trained = study.train(f"s{k}-n{n}-{method}", "target", method, data,
                                      study.target_test(), model_seed + 1, base_model=base)
                accuracy = study.test_breakdown(trained["serving_model_dir"])["accuracy"]
                points[method][n].append({"seed": k, "accuracy": accuracy,
                                          "run": trained["serving_model_dir"]})
                print(f"[curve] seed {k + 1}/{seeds} n={n:4d} {method:13s} "
                      f"{100 * accuracy:.1f} %", flush=True)
    series = {}
    for method, by_size in points.items():
        stats = [mean_ci([p["accuracy"] for p in by_size[n]]) for n in sizes]
        series[method] = {"sizes": list(sizes), "mean": [s["mean"] for s in stats],
                          "std": [s["std"] for s in stats], "ci95": [s["ci95"] for s in stats],
                          "runs": {str(n): by_size[n] for n in sizes}}
    result = {"experiment": "curve", "machine": measured_on, "profile": config.profile,
              "seeds": seeds,
              "config": dataclasses.asdict(config), "series": series,
              "reference": "Diment & Virtanen 2017, Figure 2: (c) above scratch at every size, "
                           "largest gain around 32 clips; no per-point values published",
              "wall_seconds": time.time() - started}
    with open(os.path.join(out_dir, "curve.json"), "w") as handle:
        json.dump(result, handle, indent=2)
    plots.curve(list(sizes), {"(c) parallel low": (series["parallel_low"]["mean"],
                                                   series["parallel_low"]["std"]),
                              "from scratch": (series["scratch"]["mean"], series["scratch"]["std"])},
                os.path.join(out_dir, "curve.png"),
                _plot_title("Accuracy vs target training clips", result))
    return result


def run_budget(config: PipelineConfig, out_dir: str, limited_epochs: int,
               full_epochs: int, full_clips: Optional[int] = None) -> Dict:
    """From scratch on the limited and the full target data with longer training (one seed):
    separates 'too little training' from 'too little data'. Writes budget.json."""
    study, measured_on = Study(config, out_dir), machine()
    full_clips = full_clips or config.source_train_clips
    seed, model_seed = config.train_seed, config.model_seed
    results = {}
    # Same data seeds as Table 1's first seed (limited: seed + 1, full: seed + 2).
    for name, clips, epochs, data_seed in (
            ("scratch_limited", config.target_train_clips, limited_epochs, seed + 1),
            ("scratch_full", full_clips, full_epochs, seed + 2)):
        data = study.synthesize(f"target-{name}", "target", clips, data_seed)
        trained = study.train(f"{name}-{epochs}ep", "target", "scratch", data, study.target_test(),
                              model_seed + 1, epochs=epochs)
        breakdown = study.test_breakdown(trained["serving_model_dir"])
        breakdown.update({"clips": clips, "epochs": epochs, "run": trained["serving_model_dir"],
                          "train_accuracy": trained["metrics"]["train"]["accuracy"],
                          "wall_seconds": trained["wall_seconds"]})
        results[f"{name}_{epochs}ep"] = breakdown
        print(f"[budget] {name}: {clips} clips, {epochs} epochs: test {100 * breakdown['accuracy']:.1f} %, "
              f"train {100 * breakdown['train_accuracy']:.1f} %", flush=True)
    with open(os.path.join(out_dir, "budget.json"), "w") as handle:
        json.dump({"experiment": "budget", "machine": measured_on,
                   "profile": config.profile,
                   "config": dataclasses.asdict(config), "results": results}, handle, indent=2)
    return results


def main(args, config: PipelineConfig) -> int:
    stamp = time.strftime("%Y%m%d-%H%M%S")
    out = args.out or os.path.join(config.output_dir, "experiments", f"{args.which}-{config.profile}-{stamp}")
    if (args.merge or args.first_seed != 1) and args.which != "table1":
        raise UsageError("--merge and --first-seed apply to 'experiment table1' only")
    if args.which == "sources":
        variants = [v.strip() for v in args.variants.split(";") if v.strip()]
        run_sources(config, args.seeds, out, variants,
                    args.rows.split(",") if args.rows else None)
        print(open(os.path.join(out, "sources.md")).read())
    elif args.which == "table1" and args.merge:
        merge_table1([f for f in args.merge.split(",") if f], out)
        print(open(os.path.join(out, "table1.md")).read())
    elif args.which == "table1":
        rows = args.rows.split(",") if args.rows else None
        result = run_table1(config, args.seeds, out, args.full_clips, rows, args.first_seed)
        print(open(os.path.join(out, "table1.md")).read())
    elif args.which == "events":
        run_events(config, args.seeds, out, args.runs_from)
        print(open(os.path.join(out, "events.md")).read())
    elif args.which == "budget":
        run_budget(config, out, args.limited_epochs, args.full_epochs, args.full_clips)
    else:
        sizes = tuple(int(s) for s in args.sizes.split(",")) if args.sizes else DEFAULT_CURVE_SIZES
        result = run_curve(config, args.seeds, out, sizes)
        for method, s in result["series"].items():
            print(method, " ".join(f"{n}:{100 * m:.1f}" for n, m in zip(s["sizes"], s["mean"])))
    print(f"Results in {out}")
    return 0
