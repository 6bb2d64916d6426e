"""One configuration object per profile (smoke, quick, paper, paper_cpu), overridable from the
command line.

The ``paper`` profile is the paper's protocol exactly (30 s clips, 1800 source clips, 36 target
clips, 500 test clips, 300 epochs per stage, the paper's LSTM network) and is meant for a GPU.
``paper_cpu`` is the same protocol (same clips, counts and epochs) with a convolutional front
end (``front_end=conv_nobn``, 16x fewer LSTM steps) and a source batch of 128, so that it runs on two
CPU cores in under an hour (docs/results.md). ``quick`` is the default of
``make run``: shorter clips and fewer epochs so the whole DAG finishes in about ten minutes on two
CPU cores (measured figures, and what they show of the transfer effect: docs/results.md). ``smoke`` is
seconds-scale, for tests.
"""
from __future__ import annotations

import dataclasses
import json
import math
import os
from typing import Dict, List, Optional, Tuple

from components.audio.features import N_MELS, N_MFCC, clip_samples, n_frames

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# The real-audio set and the packages it is built from are shared by every run and profile.
REAL_AUDIO_DIR = os.path.join(REPO_ROOT, "build", "real_audio")
# Where ``real-audio --set NAME`` writes each set (components.audio.real_audio.REAL_SETS).
REAL_AUDIO_DIRS = {"default": REAL_AUDIO_DIR,
                   "holdout": os.path.join(REPO_ROOT, "build", "real_audio_holdout"),
                   "train-pool": os.path.join(REPO_ROOT, "build", "real_audio_train_pool")}
# The ``real_audio`` settings that build (or reuse) a set there, and which set.
REAL_AUDIO_SETTINGS = {"auto": "default", "holdout": "holdout"}
REAL_AUDIO_CACHE_DIR = os.path.join(REPO_ROOT, "build", "real_audio_cache")
PROFILES = ("smoke", "quick", "paper", "paper_cpu")
METHODS = ("scratch", "pretrain_all", "pretrain_fix_low", "parallel_low")   # tagger.METHODS
FRONT_ENDS = ("lstm", "conv", "conv_nobn")                                # tagger.FRONT_ENDS
RECIPE_MODES = ("default", "dcase2017")
MAX_CLIPS = 1_000_000
MAX_EPOCHS = 100_000
MAX_SEED = 2 ** 32 - 1          # numpy.random.RandomState's range
MAX_CLIP_DURATION_S = 30.0      # the DCASE / embedded background recordings are 30 s long
PAPER_CLIP_S = 30.0             # the paper's clips (its input: 30 s, 20 MFCCs)


class ConfigError(ValueError):
    """A setting has an impossible value; the message names the setting and what is expected."""


@dataclasses.dataclass(frozen=True)
class PipelineConfig:
    """Everything one run of the pipeline needs; ``dataclasses.replace`` makes variants."""
    profile: str
    # tasks: a task is (data, classes); data is 'embedded' or a folder (DCASE 2017 or manifest)
    source_data: str = "embedded"
    source_classes: str = "babycry"        # comma-separated; several: multi-class pre-training
    target_data: str = "embedded"
    target_class: str = "glassbreak"
    corpus_seed: int = 2017
    clip_duration_s: float = 30.0
    source_train_clips: int = 1800
    source_eval_clips: int = 500
    target_train_clips: int = 36
    target_eval_clips: int = 500
    train_seed: int = 1                    # draws the training mixtures (source: seed, target: seed+1)
    eval_seed: int = 1000                  # fixes the test mixtures
    num_shards: int = 2
    augment: int = 0                       # 1: seeded augmentation of the training mixtures
                                           # (off: measured worse on real recordings, with and
                                           # without the background colour; corpus card)
    decoys: int = 0                        # 1: grains of the target's training events scattered
                                           # over half of its training clips, with or without
                                           # an event (components.audio.decoys; off: measured
                                           # worse on real recordings, corpus card)
    recording_chain: int = 0               # 1: about half of the target's training clips as
                                           # recorded at 8-22.05 kHz (nothing above 0.45 x the
                                           # rate; components.audio.augmentation.chain_recipes)
    hard_negatives: int = 0                # 1: a loud synthetic sharp sound (door slam, clink,
                                           # keys, step, click) in half of the target's
                                           # training clips without an event
                                           # (components.audio.hard_negatives)
    hard_negative_classes: str = ""        # with hard_negatives=1: the target data's training
                                           # recordings of these classes (comma-separated;
                                           # e.g. real doors and knocks) instead of the
                                           # synthetic sounds
    recipe_mode: str = "default"           # 'dcase2017': the DCASE 2017 reference
                                           # synthesizer's draws exactly (components.audio.
                                           # mixing.dcase2017_recipes; DCASE data, 30 s clips)
    bg_screening: int = 1                  # DCASE data: drop backgrounds bgs/bg_screening.csv
                                           # lists as already holding an event (as the
                                           # reference does); 0: keep them
    # models
    method: str = "parallel_low"
    front_end: str = "lstm"                # 'lstm': the paper's network; 'conv': Conv1D +
                                           # batch norm + pooling (16x fewer steps) before the
                                           # same LSTMs; 'conv_nobn': without the batch norm
    source_epochs: int = 300
    target_epochs: int = 300
    batch_size: int = 32                   # the target stage's (and the source's, see below)
    source_batch_size: int = 0             # > 0: the source stage's batch size instead
    learning_rate: float = 0.001
    warmup_epochs: int = 0                 # > 0: the learning rate rises linearly from
                                           # learning_rate / steps to learning_rate over these
                                           # first epochs of every stage (not in the paper;
                                           # docs/results.md, "Where conv_nobn gets stuck")
    weight_decay: float = 0.0              # > 0: RMSprop's decoupled weight decay, every stage
                                           # (not in the paper; docs/results.md, "Where
                                           # conv_nobn gets stuck")
    negative_frames: float = 0.0           # > 0: every stage also trains the running
                                           # probability of clips without an event towards 0
                                           # at every step, with this weight (not in the paper)
    locator: int = 0                       # 1: every stage also trains a network of the
                                           # paper's kind (no clip_mean, no negative_frames) on
                                           # the same data; the model tags clips with the first
                                           # and locates events (tag --events, the report's
                                           # 'Where in the clip') with it (not in the paper)
    onset_channel: int = 0                 # 1: the networks of every stage also read each
                                           # frame's onset strength, the spectral flux the
                                           # 'strength' onsets use (not in the paper)
    event_onsets: str = "strength"         # where an event starts, in the windows the model
                                           # tags: 'strength', the strongest spectral rise of
                                           # the window (model-free); 'running', the running
                                           # probability rule (the locator's where there is
                                           # one; components/model/localize.py)
    shuffle_buffer: int = 256              # clips a Trainer holds to shuffle its stream
    model_seed: int = 7
    decision_threshold: float = 0.5
    clip_mean: int = 0                     # 1: subtract each clip's mean MFCC before the
                                           # standardisation, 2: at each frame the mean of the
                                           # frames so far (causal, yet the event onsets
                                           # still fail: docs/results.md); both stages; not
                                           # in the paper
    n_mfcc: int = 20                       # MFCC coefficients per frame: the paper's 20; up to
                                           # 128 (every band: the log-mel spectrogram, rotated);
                                           # 40 measured no better on real recordings
    highpass_hz: int = 0                   # > 0: the MFCC and the onset centroid ignore the
                                           # spectrum below this many Hz (rumble, wind, a
                                           # blow's thud), in the data job and in the served
                                           # model alike; 0: the paper's librosa MFCC
    standardize: int = 0                   # 1: standardise each MFCC coefficient with the
                                           # training data's mean/variance in models trained
                                           # from scratch (not in the paper, which feeds the
                                           # MFCCs as they are; transfer models always use
                                           # their source model's statistics)
    validation_freq: int = 10
    target_ensemble: int = 1               # > 1: every target Trainer trains this many networks
                                           # (seeds apart) on its data and exports the mean of
                                           # their probabilities (not in the paper; steadies
                                           # a 36-clip model's real-audio figures)
    onset_fusion: int = 0                  # 1: every target model answers with its network's
                                           # probability fused with two numbers about the
                                           # clip's sharpest onset (components.model.fusion),
                                           # fitted on a calibration split (not in the paper)
    calibration_clips: int = 400           # with onset_fusion: mixtures of the target's
                                           # training recordings the fusion is fitted on
    calibration_seed: int = 4242           # draws them (never the test recordings)
    fusion_centroid_cap_khz: float = 0.0   # > 0: the fusion reads the onset centroid capped at
                                           # this many kHz ("bright enough"; bright bird song
                                           # and rain no longer outrank darker real breaks;
                                           # 2 in the quick and smoke profiles, chosen on the
                                           # scratch rows on the default real set, as issue 9
                                           # allows: docs/results.md, "The onset centroid
                                           # capped"); 0: as it is
    min_source_auc: float = 0.75           # the target Trainers refuse a source model whose
                                           # ROC AUC on its own test set is below this (it has
                                           # not learned its task: nothing would transfer); 0: off
    # evaluation gate
    accuracy_threshold: float = 0.6        # absolute lower bound on test accuracy
    max_accuracy_drop: float = 0.02        # allowed drop against the latest blessed model
    # evaluation on real recordings (components.audio.real_audio)
    real_audio: str = "auto"               # 'auto': build/reuse the set under build/ (the CLI
                                           # skips it with one line if it cannot be fetched);
                                           # 'holdout': the same with the held-out set; 'off';
                                           # or a folder holding a built set
    real_excerpts: int = 2                 # excerpts per (background, event, EBR), and as many
                                           # without an event
    real_seed: int = 3000                  # draws the real mixtures' excerpts and onsets
    real_impacts: int = 1                  # 1: the real set's sounds of other classes (doors,
                                           # knocks ...) mixed into clips without the target,
                                           # an 'impacts' split scored apart (false alarms)
    max_impact_false_alarms: float = 1.0   # < 1: the RealAudioGate also requires the transfer
                                           # model to tag at most this share of the real
                                           # impacts (1: report only)
    real_accuracy_threshold: float = 0.0   # > 0: pushing also needs this accuracy on real audio
    # locations
    pipeline_name: str = ""                # default: fewshot-<target_class> (pipeline_id)
    output_dir: str = os.path.join(REPO_ROOT, "build")
    pipeline_root_dir: str = ""            # default: <output_dir>/tfx/<pipeline_id>
    serving_base_dir: str = ""             # default: <output_dir>/serving
    model_name: str = ""                   # default: <target_class>_tagger
    schema_path: str = ""                  # default: schemas/<profile>/schema.pbtxt
    beam_pipeline_args: Tuple[str, ...] = ("--direct_running_mode=in_memory",
                                           "--direct_num_workers=1")
    beam_worker_image: str = "fewshot-tagging:latest"   # the Dockerfile's image: what remote Beam
                                           # workers run unless beam_pipeline_args say otherwise
                                           # (pipeline.beam_args_with_worker_image); the
                                           # DirectRunner does not use it
    # Kubeflow only: resources of the Trainers
    trainer_cpu: float = 4.0
    trainer_memory: str = "16G"
    trainer_gpus: int = 1

    @property
    def frames(self) -> int:
        return n_frames(clip_samples(self.clip_duration_s))

    @property
    def pipeline_id(self) -> str:
        """The TFX pipeline name: one per target class and input (clip length, MFCCs per
        frame), so that a model is only ever judged against the blessed models of its own task
        (LatestBlessedModelResolver) that read the same examples: a baseline of another clip
        length or width cannot be evaluated on the candidate's examples (TFMA fails). The
        paper's input (30 s, 20 MFCCs) adds nothing: ``fewshot-glassbreak``; the quick
        profile's 3 s clips: ``fewshot-glassbreak-3s``; 2.5 s and 40 MFCCs: ``-2p5s-mfcc40``."""
        contract = ""
        if self.clip_duration_s != PAPER_CLIP_S:
            contract += "-" + f"{self.clip_duration_s:g}".replace(".", "p") + "s"
        if self.n_mfcc != N_MFCC:
            contract += f"-mfcc{self.n_mfcc}"
        if self.highpass_hz:
            contract += f"-hp{self.highpass_hz}"
        return self.pipeline_name or f"fewshot-{self.target_class}{contract}"

    @property
    def serving_model_name(self) -> str:
        """The model's name under the serving directory and in TF Serving."""
        return self.model_name or f"{self.target_class}_tagger"

    @property
    def source_class_list(self) -> List[str]:
        return [c.strip() for c in self.source_classes.split(",") if c.strip()]

    @property
    def real_audio_data(self) -> str:
        """The folder of the real-audio set this run evaluates on, or '' (no real branch).

        'auto' and 'holdout' must have been resolved to a folder or 'off' by the caller (the CLI
        builds it).
        """
        if self.real_audio in ("off", "") or self.real_audio in REAL_AUDIO_SETTINGS:
            return ""
        return self.real_audio

    @property
    def pipeline_root(self) -> str:
        return self.pipeline_root_dir or os.path.join(self.output_dir, "tfx", self.pipeline_id)

    @property
    def metadata_path(self) -> str:
        return os.path.join(self.output_dir, "tfx", self.pipeline_id, "metadata.sqlite")

    @property
    def serving_dir(self) -> str:
        return self.serving_base_dir or os.path.join(self.output_dir, "serving")

    @property
    def report_dir(self) -> str:
        return os.path.join(self.output_dir, "reports")

    @property
    def schema_file(self) -> str:
        return self.schema_path or os.path.join(REPO_ROOT, "schemas", self.profile,
                                                "schema.pbtxt")

    def data_jobs(self) -> Dict[str, Dict]:
        """The arguments of each data branch's ExampleGen (``Source``, ``Target`` and, with a
        real-audio set, ``Real``): ``components.audio.datasets.plan_task`` takes the same, so the
        CLI draws every job's recipes before anything runs."""
        common = {"corpus_seed": self.corpus_seed, "clip_duration_s": float(self.clip_duration_s),
                  "augment": int(self.augment), "recipe_mode": self.recipe_mode,
                  "bg_screening": int(self.bg_screening)}
        jobs = {
            "Source": dict(common, task="source", data=self.source_data,
                           classes=self.source_classes, paired_data=self.target_data,
                           train_clips=self.source_train_clips,
                           eval_clips=self.source_eval_clips, train_seed=self.train_seed,
                           eval_seed=self.eval_seed, excerpts=1),
            "Target": dict(common, task="target", data=self.target_data,
                           classes=self.target_class, paired_data=self.source_data,
                           train_clips=self.target_train_clips,
                           eval_clips=self.target_eval_clips, train_seed=self.train_seed + 1,
                           eval_seed=self.eval_seed, excerpts=1,
                           **self.target_training_extras())}
        if self.real_audio_data:
            jobs["Real"] = dict(common, task="real", data=self.real_audio_data,
                                classes=self.target_class, paired_data="", train_clips=0,
                                eval_clips=0, train_seed=0, eval_seed=self.real_seed,
                                excerpts=self.real_excerpts, recipe_mode="default",
                                impacts=int(self.real_impacts))
        return jobs

    def example_encoding(self) -> Dict:
        """How the examples encode a clip, beyond the paper's 20 MFCCs of the whole spectrum:
        ``n_mfcc`` and ``highpass_hz``, each only when set, so that the ExampleGens' and
        Trainers' cache keys (and an experiment study's data key) stay as before."""
        return {**({"n_mfcc": self.n_mfcc} if self.n_mfcc != N_MFCC else {}),
                **({"highpass_hz": self.highpass_hz} if self.highpass_hz else {})}

    def target_training_extras(self) -> Dict:
        """What the target task's training data get beyond its clips, as ``plan_task``
        arguments: decoys, hard negatives, the onset fusion's calibration split, the recording
        chain. Each only when set, so that the Target ExampleGen's cache key (and an experiment
        study's data key, ``pipeline.experiments.Study``) stays as before for the others."""
        return {**({"decoys": 1} if self.decoys else {}),
                **({"hard_negatives": 1} if self.hard_negatives else {}),
                **({"hard_negative_classes": self.hard_negative_classes}
                   if self.hard_negative_classes else {}),
                **({"calibration_clips": self.calibration_clips,
                    "calibration_seed": self.calibration_seed} if self.onset_fusion else {}),
                **({"recording_chain": 1} if self.recording_chain else {})}

    def stage_config(self, stage: str, method: str) -> Dict:
        """The Trainer ``custom_config`` of one stage (see components.model.training.StageConfig)."""
        classes = self.source_class_list if stage == "source" else [self.target_class]
        batch_size = (self.source_batch_size if stage == "source" and self.source_batch_size
                      else self.batch_size)
        return {"method": method, "batch_size": batch_size, "classes": classes,
                "front_end": self.front_end, "shuffle_buffer": self.shuffle_buffer,
                # 0/1 as booleans, as before setting 2 existed: cached Trainer runs stay valid
                "clip_mean": self.clip_mean if self.clip_mean > 1 else bool(self.clip_mean),
                "standardize": bool(self.standardize),
                # only when set: the Trainers' custom_config (a cache key) stays as before
                **self.example_encoding(),
                "epochs": self.source_epochs if stage == "source" else self.target_epochs,
                "learning_rate": self.learning_rate,
                "seed": self.model_seed + (0 if stage == "source" else 1),
                "decision_threshold": self.decision_threshold,
                "validation_freq": self.validation_freq,
                "min_source_auc": self.min_source_auc,
                "clip_duration_s": self.clip_duration_s,
                # only when set: the Trainers' custom_config (a cache key) stays as before
                **({"warmup_epochs": self.warmup_epochs} if self.warmup_epochs else {}),
                **({"weight_decay": self.weight_decay} if self.weight_decay else {}),
                **({"negative_frames": self.negative_frames} if self.negative_frames else {}),
                **({"locator": True} if self.locator else {}),
                **({"event_onsets": self.event_onsets} if self.event_onsets != "strength"
                   else {}),
                **({"onset_channel": True} if self.onset_channel else {}),
                **({"ensemble": self.target_ensemble}
                   if stage == "target" and self.target_ensemble > 1 else {}),
                **({"onset_fusion": True} if stage == "target" and self.onset_fusion else {}),
                **({"fusion_centroid_cap_khz": float(self.fusion_centroid_cap_khz)}
                   if stage == "target" and self.onset_fusion and self.fusion_centroid_cap_khz
                   else {})}


PAPER = PipelineConfig(profile="paper")

# The default profile (make run). Since 2026-12-06 its models are the ones measured best on both
# real sets (docs/results.md, "Two networks: tags and onsets"): clip_mean=1 and negative_frames=1
# for the clip tags; the onsets come from the spectrum in the clips they tag (event_onsets=
# strength, docs/results.md "Onsets from the spectrum"), so no locator is trained. Since the same
# day's late morning the target models answer with the onset fusion (onset_fusion=1; docs/
# results.md, "The onset fusion in the product": real AUC 0.78 -> 0.95 on the default set). Since
# 2026-12-07 the fusion reads the onset centroid capped at 2 kHz (fusion_centroid_cap_khz=2;
# docs/results.md, "The onset centroid capped": default real set 89.1 -> 91.0 %, AUC 0.963 ->
# 0.985, birdsong false alarms 14 -> 9 %; real bangs tagged 26 -> 38 %). `paper`
# and `paper_cpu` keep the paper's network alone; `--set clip_mean=0 --set negative_frames=0
# --set onset_fusion=0` gives it here.
QUICK = PipelineConfig(
    profile="quick", clip_duration_s=3.0, source_train_clips=400, source_eval_clips=200,
    target_train_clips=36, target_eval_clips=200, source_epochs=40, target_epochs=60,
    batch_size=16, validation_freq=5, accuracy_threshold=0.6,
    clip_mean=1, negative_frames=1.0, onset_fusion=1, fusion_centroid_cap_khz=2.0,
    beam_pipeline_args=("--direct_running_mode=multi_processing", "--direct_num_workers=2"))

SMOKE = PipelineConfig(
    profile="smoke", clip_duration_s=2.0, source_train_clips=24, source_eval_clips=16,
    target_train_clips=12, target_eval_clips=16, source_epochs=2, target_epochs=2,
    batch_size=8, validation_freq=1, accuracy_threshold=0.0, max_accuracy_drop=1.0,
    min_source_auc=0.0, onset_fusion=1, calibration_clips=16, fusion_centroid_cap_khz=2.0,
    num_shards=1)

# The paper's protocol on CPU. Batch sizes: the paper gives none (Keras' default is 32). The
# target stages keep 32 (36 clips: two updates per epoch, 600 in 300 epochs, as the paper's Keras
# default would do); the source stage, which is 97 % of the training work, uses 128: 4200 RMSprop
# updates in 300 epochs (16800 at 32) at 1.5x the sequences/s of batch 32 with the conv front end
# (312 vs 206 on 2 cores, measured on 512/256 sequences; docs/results.md "Speed"). The learning
# rate stays the paper's 0.001 (RMSprop adapts its step per weight; no scaling rule is
# established for it, and no tuning was done on any test set). Front end: the convolutions
# without batch normalisation. With it (``conv``) every 30 s model memorised
# its 36 clips (validation 50-58 %: scratch, (b), (c)); without it, on the same VALIDATION set
# (200 clips of 30 s, seed 4242; never the test set), scratch 95-97.5 % and (c) 94.5-95 %
# (docs/results.md, "Batch normalisation in the conv front end"). Its plateau at chance is
# left within 300 epochs or not depending on the batch order (one run: (c) 95.6 %, scratch 50 %).
PAPER_CPU = dataclasses.replace(
    PAPER, profile="paper_cpu", front_end="conv_nobn", source_batch_size=128, batch_size=32,
    beam_pipeline_args=("--direct_running_mode=multi_processing", "--direct_num_workers=2"))

_BY_NAME = {"smoke": SMOKE, "quick": QUICK, "paper": PAPER, "paper_cpu": PAPER_CPU}

# (setting, lowest, highest) of the whole-number settings, both bounds included.
_INT_RANGES = (
    ("source_train_clips", 2, MAX_CLIPS), ("source_eval_clips", 2, MAX_CLIPS),
    ("target_train_clips", 2, MAX_CLIPS), ("target_eval_clips", 2, MAX_CLIPS),
    ("source_epochs", 1, MAX_EPOCHS), ("target_epochs", 1, MAX_EPOCHS),
    ("warmup_epochs", 0, MAX_EPOCHS),
    ("batch_size", 1, 65536), ("source_batch_size", 0, 65536), ("shuffle_buffer", 1, 10 ** 7),
    ("validation_freq", 1, MAX_EPOCHS), ("num_shards", 1, 1024), ("real_excerpts", 1, 1000),
    ("corpus_seed", 0, MAX_SEED), ("train_seed", 0, MAX_SEED - 1), ("eval_seed", 0, MAX_SEED),
    ("model_seed", 0, MAX_SEED - 1), ("real_seed", 0, MAX_SEED), ("trainer_gpus", 0, 64),
    ("onset_fusion", 0, 1), ("calibration_clips", 2, MAX_CLIPS),
    ("calibration_seed", 0, MAX_SEED),
    ("n_mfcc", 1, N_MELS), ("highpass_hz", 0, 2000), ("augment", 0, 1), ("decoys", 0, 1),
    ("recording_chain", 0, 1),
    ("real_impacts", 0, 1),
    ("hard_negatives", 0, 1), ("clip_mean", 0, 2),
    ("locator", 0, 1), ("onset_channel", 0, 1), ("standardize", 0, 1), ("bg_screening", 0, 1),
    ("target_ensemble", 1, 16))
# (setting, lowest, highest, lowest included, highest included) of the real-valued settings.
_FLOAT_RANGES = (
    ("clip_duration_s", 0.5, MAX_CLIP_DURATION_S, True, True),
    ("learning_rate", 0.0, 10.0, False, True), ("decision_threshold", 0.0, 1.0, False, False),
    ("accuracy_threshold", 0.0, 1.0, True, True), ("max_accuracy_drop", 0.0, 1.0, True, True),
    ("real_accuracy_threshold", 0.0, 1.0, True, True),
    ("max_impact_false_alarms", 0.0, 1.0, True, True), ("trainer_cpu", 0.0, 1024.0, False, True),
    ("min_source_auc", 0.0, 1.0, True, True), ("weight_decay", 0.0, 1.0, True, True),
    ("negative_frames", 0.0, 100.0, True, True),
    ("fusion_centroid_cap_khz", 0.0, 22.05, True, True))


# Where an event starts in a tagged window (components.model.localize.ONSET_RULES).
EVENT_ONSETS = ("strength", "running")


def validate_config(config: PipelineConfig) -> PipelineConfig:
    """Refuse impossible settings before anything runs (ConfigError naming the setting)."""
    for name, low, high in _INT_RANGES:
        value = getattr(config, name)
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise ConfigError(f"setting {name}={value!r}: expected a whole number from {low} "
                              f"to {high}")
    for name, low, high, low_included, high_included in _FLOAT_RANGES:
        value = getattr(config, name)
        ok = (isinstance(value, (int, float)) and not isinstance(value, bool)
              and math.isfinite(value)
              and (value >= low if low_included else value > low)
              and (value <= high if high_included else value < high))
        if not ok:
            raise ConfigError(f"setting {name}={value!r}: expected a finite number in "
                              f"{'[' if low_included else '('}{low:g}, {high:g}"
                              f"{']' if high_included else ')'}")
    choices = (("method", METHODS[1:]), ("front_end", FRONT_ENDS), ("recipe_mode", RECIPE_MODES),
               ("event_onsets", EVENT_ONSETS))
    for name, allowed in choices:
        if getattr(config, name) not in allowed:
            raise ConfigError(f"setting {name}={getattr(config, name)!r}: expected one of "
                              f"{', '.join(allowed)}")
    for name in ("source_data", "target_data", "source_classes", "target_class"):
        if not str(getattr(config, name)).strip():
            raise ConfigError(f"setting {name} is empty")
    if not config.output_dir.strip():
        raise ConfigError("setting output_dir is empty")
    if os.path.isfile(config.output_dir):
        raise ConfigError(f"setting output_dir={config.output_dir!r}: is a file; expected a "
                          "folder")
    if (config.real_audio not in (*REAL_AUDIO_SETTINGS, "off") and "://" not in config.real_audio
            and not os.path.isdir(config.real_audio)):
        raise ConfigError(f"setting real_audio={config.real_audio!r}: expected 'auto', "
                          "'holdout', 'off' or a folder written by 'python -m pipeline "
                          "real-audio'")
    if config.hard_negative_classes and not config.hard_negatives:
        raise ConfigError(f"setting hard_negative_classes={config.hard_negative_classes!r} "
                          "needs hard_negatives=1")
    if config.target_class in [c.strip() for c in config.hard_negative_classes.split(",")]:
        raise ConfigError(f"setting hard_negative_classes={config.hard_negative_classes!r} "
                          f"names the target class {config.target_class!r}; expected classes "
                          "that are not the event")
    if config.recipe_mode == "dcase2017" and config.clip_duration_s != MAX_CLIP_DURATION_S:
        raise ConfigError(f"setting recipe_mode=dcase2017 needs clip_duration_s=30 (the "
                          f"reference synthesizer's clips), got {config.clip_duration_s:g}")
    if config.trainer_memory and not config.trainer_memory[:-1].replace(".", "", 1).isdigit():
        raise ConfigError(f"setting trainer_memory={config.trainer_memory!r}: expected a size "
                          "such as 16G")
    return config


def get_config(profile: str, **overrides) -> PipelineConfig:
    """The named profile with ``overrides`` (field name -> value; None values are ignored)."""
    if profile not in _BY_NAME:
        raise ConfigError(f"--profile {profile!r}: unknown profile; expected one of "
                          f"{', '.join(PROFILES)}")
    fields = {f.name for f in dataclasses.fields(PipelineConfig)}
    unknown = sorted(set(overrides) - fields - {"data"})
    if unknown:
        raise ConfigError(f"unknown setting(s) {unknown}")
    values = {k: v for k, v in overrides.items() if v is not None}
    if "data" in values:   # one folder for both tasks
        data = values.pop("data")
        values.setdefault("source_data", data)
        values.setdefault("target_data", data)
    if "beam_pipeline_args" in values:
        values["beam_pipeline_args"] = tuple(values["beam_pipeline_args"])
    return validate_config(dataclasses.replace(_BY_NAME[profile], **values))


def setting_warnings(config: PipelineConfig) -> List[str]:
    """One line per setting whose measured cost a user should hear about before a run."""
    warnings = []
    if config.clip_mean and not config.locator and config.event_onsets == "running":
        warnings.append(f"warning: clip_mean={config.clip_mean} with event_onsets=running breaks "
                        "the event onsets (tag --events, the report's 'Where in the clip'): "
                        "synthetic ER about 2 with it (1 or 2), 0.15-0.21 without "
                        "(docs/results.md, 'Per-clip mean with one- and five-class sources'); "
                        "event_onsets=strength (the default) or locator=1 locate them")
    if config.negative_frames and not config.clip_mean:
        warnings.append(f"warning: negative_frames={config.negative_frames:g} without clip_mean "
                        "measured no real-audio gain and worse event onsets (synthetic ER 0.36 / "
                        "0.53 for scratch / (c), against 0.15 / 0.21 without it; docs/results.md, "
                        "'Training every frame of the clips without an event')")
    if config.locator and not (config.clip_mean or config.negative_frames):
        warnings.append("warning: locator=1 without clip_mean or negative_frames trains a second "
                        "network of the same kind as the first: twice the training, nothing "
                        "gained")
    elif config.locator and config.event_onsets == "strength":
        warnings.append("warning: locator=1 with event_onsets=strength: the events do not read "
                        "the locator (only the localize signatures' frame_probability does): "
                        "twice the training for the same events")
    return warnings


# Settings that decide where a run writes and what it may use, not what it computes.
PLACEMENT_SETTINGS = ("output_dir", "pipeline_root_dir", "serving_base_dir", "pipeline_name",
                      "model_name", "beam_pipeline_args", "beam_worker_image", "trainer_cpu",
                      "trainer_memory", "trainer_gpus")


def changed_settings(profile: str, recorded: Dict) -> Dict:
    """The settings of a recorded configuration (``dataclasses.asdict`` of a config, as a study's
    JSON holds it) whose values differ from the named profile's, name -> recorded value;
    placement settings (:data:`PLACEMENT_SETTINGS`) and settings the record does not hold
    (added later) are left out."""
    profile_values = json.loads(json.dumps(dataclasses.asdict(_BY_NAME[profile])))
    return {name: value for name, value in recorded.items()
            if name in profile_values and name not in PLACEMENT_SETTINGS
            and json.loads(json.dumps(value)) != profile_values[name]}


def parse_overrides(pairs: Optional[List[str]]) -> Dict:
    """``['target_epochs=5', 'clip_duration_s=3']`` -> typed overrides by the field's type."""
    types = {f.name: f.type for f in dataclasses.fields(PipelineConfig)}
    result = {}
    for pair in pairs or []:
        if "=" not in pair:
            raise ConfigError(f"--set {pair!r}: expected NAME=VALUE")
        name, raw = pair.split("=", 1)
        if name not in types or name == "profile":
            raise ConfigError(f"--set {pair!r}: unknown setting {name!r}; "
                              f"expected one of {sorted(set(types) - {'profile'})}")
        if name in result:
            raise ConfigError(f"--set {name}: given twice")
        kind = types[name]
        if kind in ("int", int):
            try:
                result[name] = int(raw)
            except ValueError:
                raise ConfigError(f"--set {pair!r}: expected a whole number") from None
        elif kind in ("float", float):
            try:
                result[name] = float(raw)
            except ValueError:
                raise ConfigError(f"--set {pair!r}: expected a number") from None
        elif name == "beam_pipeline_args":
            result[name] = tuple(raw.split())
        else:
            result[name] = raw
    return result
