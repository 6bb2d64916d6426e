"""``make bench``: data, training and serving speed on this machine, as one comparable JSON.

data   recipe + mix + MFCC through the Beam job (DirectRunner) in clips/s and times real time per
       core: a worst case (each clip on its own background, 1 and 2 workers) and the paper_cpu
       source job (2300 clips, 2 workers), the steps of a clip one by one, and librosa's own
       MFCC time per clip next to ours; 30 s clips as in the paper.
train  sequences/s and seconds per epoch for each front end and method at the paper's sequence
       length (2584 frames), extrapolated to the paper's 1800-clip and 36-clip epochs, next to
       the paper's K80 figures; and the conv front end's scratch model at larger batches.
memory peak resident memory of the source stage on 1 and on 4 shards of 30 s clips (256 and
       1024 clips: the Trainer's shuffle buffer holds 256), each in a fresh process: the
       Trainer's ``run_fn`` (streamed input) and, for comparison, the same stage on arrays
       loaded whole (what the Trainers did before they streamed).
serve  per front end: predict_waveform latency at batch 1 on a 30 s clip (p50 and p95 over 50
       calls) and where it goes (the in-graph MFCC alone vs predict_mfcc alone), and clips/s at
       batch 64.
"""
from __future__ import annotations

import json
import os
import tempfile
import time
from typing import Dict, List, Tuple

import numpy as np

from components.model.machine import machine

PAPER_K80 = {"pretrain_epoch_s_1800_clips": 100.0, "finetune_epoch_s": 20.0}


def bench_data(clips: int, clip_s: float = 30.0, step_backgrounds: int = 36,
               data: str = "embedded") -> Dict:
    """Beam job throughput: the worst case (``clips`` clips, each on a background of its own)
    with 1 and 2 workers; the paper_cpu source job (2300 clips of 30 s) with 2 workers, and its
    steps one by one on its first ``step_backgrounds`` backgrounds; MFCC time per clip.

    ``data``: 'embedded' (the corpus synthesized as the job goes) or a DCASE-layout folder (e.g.
    ``make corpus``'s export of the same corpus: recordings read from disk)."""
    from components.audio import datasets, features
    source = datasets.load_source_data(data, 2017)
    recipes = datasets.split_recipes(source, "target", clips, 1, 1, 2, clip_s)
    recipes.pop("eval")
    result = {"data": data, "clips": clips, "clip_seconds": clip_s}
    for workers in (1, 2):
        seconds = _time_mixture_job(recipes, source.data_root, workers)
        result[f"workers_{workers}"] = {"beam_args": _beam_args(workers), "seconds": seconds,
                                        "clips_per_second": clips / seconds,
                                        "times_real_time": clips * clip_s / seconds,
                                        "times_real_time_per_core": clips * clip_s / seconds / workers}
        print(f"data: worst case, {workers} worker(s): {clips / seconds:.2f} clips/s, "
              f"{clips * clip_s / seconds / workers:.0f}x real time per core", flush=True)
    result["source_workload"] = _bench_source_workload(source, step_backgrounds)
    y = np.random.default_rng(0).uniform(-0.3, 0.3, features.clip_samples(clip_s)).astype(np.float32)
    bands = features.mel_bands()
    for key, compute in (("librosa_mfcc_seconds_per_clip", lambda: features.mfcc_librosa(y)),
                         ("mfcc_seconds_per_clip", lambda: features.mfcc(y, bands=bands))):
        compute()   # warm-up
        seconds = []
        for _ in range(9):
            start = time.perf_counter()
            compute()
            seconds.append(time.perf_counter() - start)
        result[key] = float(np.median(seconds))
    print(f"data: MFCC per {clip_s:g} s clip (median of 9): librosa "
          f"{1000 * result['librosa_mfcc_seconds_per_clip']:.1f} ms, the data job's float32 "
          f"{1000 * result['mfcc_seconds_per_clip']:.1f} ms", flush=True)
    return result


def _beam_args(workers: int) -> List[str]:
    return ([f"--direct_num_workers={workers}", "--direct_running_mode=multi_processing"]
            if workers > 1 else ["--direct_num_workers=1", "--direct_running_mode=in_memory"])


def _time_mixture_job(recipes: Dict, data_root: str, workers: int) -> float:
    """Wall seconds of the pipeline's Beam job on ``recipes`` (2 shards), start to finish."""
    from components.tfx import beam_mixtures
    with tempfile.TemporaryDirectory() as out:
        start = time.time()
        beam_mixtures.run_mixture_job(recipes, out, data_root, 2017, 2, _beam_args(workers))
        return time.time() - start


def _bench_source_workload(source, step_backgrounds: int) -> Dict:
    """The paper_cpu source job's recipes (1800 train + 500 test clips of 30 s, seeds as the
    profile's): the Beam job with 2 workers (start to finish, as the ExampleGen runs it), and
    each step of a clip timed in this process (CPU seconds) on the clips of its first
    ``step_backgrounds`` backgrounds (about 8 clips each)."""
    from components.audio import datasets, examples, features, mixing
    from components.tfx import beam_mixtures
    drawn = datasets.split_recipes(source, "source", 1800, 500, 1, 1000, 30.0)
    job = {split: drawn[split] for split in ("train", "eval")}
    job_clips = sum(len(v) for v in job.values())
    seconds = _time_mixture_job(job, source.data_root, 2)
    result = {"clips": job_clips, "backgrounds": len({r.bg_uri for v in job.values() for r in v}),
              "seconds_2_workers": seconds, "clips_per_second": job_clips / seconds,
              "times_real_time_per_core": job_clips * 30.0 / seconds / 2}
    print(f"data: paper_cpu source job, {job_clips} clips on {result['backgrounds']} backgrounds, "
          f"2 workers: {seconds:.1f} s, {job_clips / seconds:.2f} clips/s, "
          f"{job_clips * 30.0 / seconds / 2:.0f}x real time per core", flush=True)
    by_background: Dict[str, list] = {}
    for split in ("train", "eval"):
        for recipe in drawn[split]:
            by_background.setdefault(recipe.bg_uri, []).append((split, recipe))
    chosen = sorted(by_background)[:step_backgrounds]
    clips = sum(len(by_background[bg]) for bg in chosen)
    result["steps_timed_on"] = {"backgrounds": len(chosen), "clips": clips}
    load = mixing.audio_loader(source.data_root, 2017, beam_mixtures.AUDIO_CACHE_BYTES)
    load_background = mixing.audio_loader(source.data_root, 2017)
    bands = features.mel_bands()
    steps = dict.fromkeys(("background", "events_and_mix", "mfcc", "encode"), 0.0)
    with beam_mixtures.blas_threadpools().limit(limits=1):   # as the job runs the steps
        for bg in chosen:
            start = time.process_time()
            background = load_background(bg)
            steps["background"] += time.process_time() - start
            for _, recipe in by_background[bg]:
                start = time.process_time()
                audio, final = mixing.render(recipe, load, background=background)
                middle = time.process_time()
                coefficients = features.mfcc(audio, bands=bands)
                end = time.process_time()
                examples.serialize_mixture_example(final, coefficients)
                final.to_json()
                steps["events_and_mix"] += middle - start
                steps["mfcc"] += end - middle
                steps["encode"] += time.process_time() - end
    result["cpu_ms_per_clip"] = {k: 1000 * v / clips for k, v in steps.items()}
    total = sum(result["cpu_ms_per_clip"].values())
    result["cpu_ms_per_clip"]["sum"] = total
    result["times_real_time_per_core_without_beam"] = 30000.0 / total
    # What the job costs beyond the steps: worker start-up, moving examples between stages,
    # writing the shards, shutting down (core-milliseconds per clip on 2 workers; approximate:
    # the steps are timed on a subset, whose clips per background differ a little).
    result["beam_overhead_core_ms_per_clip"] = 2000.0 * seconds / job_clips - total
    print("data: per clip (CPU ms, 1 process): " + ", ".join(
        f"{k} {v:.1f}" for k, v in result["cpu_ms_per_clip"].items())
        + f" = {30000.0 / total:.0f}x real time without Beam; Beam job beyond the steps "
        f"{result['beam_overhead_core_ms_per_clip']:.1f} core-ms per clip", flush=True)
    return result


def _train_rate(method: str, front_end: str, source, x, y, batch_size: int) -> float:
    """Sequences/s of one epoch of ``method`` on ``x`` after a warm-up batch."""
    import keras
    from components.model import tagger
    keras.utils.set_random_seed(0)
    network = tagger.build_tagger(method, front_end=front_end)
    tagger.transfer_weights(network, source, method)
    tagger.compile_tagger(network)
    network.fit(x[:batch_size], y[:batch_size], epochs=1, batch_size=batch_size, verbose=0)
    start = time.time()
    network.fit(x, y, epochs=1, batch_size=batch_size, verbose=0)
    return len(y) / (time.time() - start)


def bench_train(sequences: int = 128, batch_size: int = 32, frames: int = 2584,
                conv_batches=(64, 128, 256)) -> Dict:
    """Training speed per front end and method at the paper's sequence length."""
    from components.model import tagger
    rng = np.random.default_rng(0)
    x = rng.standard_normal((max(sequences, 4 * max(conv_batches)), frames, 20)
                            ).astype(np.float32)
    y = (np.arange(len(x)) % 2).astype(np.float32)
    result = {"frames": frames, "batch_size": batch_size, "sequences": sequences,
              "paper_k80": PAPER_K80, "front_ends": {}}
    for front_end in tagger.FRONT_ENDS:
        source = tagger.build_tagger("scratch", front_end=front_end)
        rows = result["front_ends"][front_end] = {"methods": {}}
        for method in tagger.METHODS:
            rate = _train_rate(method, front_end, source, x[:sequences], y[:sequences],
                               batch_size)
            rows["methods"][method] = {"sequences_per_second": rate,
                                       "epoch_seconds_1800_clips": 1800 / rate,
                                       "epoch_seconds_36_clips": 36 / rate}
            print(f"train: {front_end:4s} {method:17s} batch {batch_size}: {rate:6.1f} seq/s; "
                  f"epoch of 1800 clips {1800 / rate:6.1f} s (K80: 100 s), of 36 clips "
                  f"{36 / rate:5.2f} s (K80: 20 s)", flush=True)
    by_batch = result["front_ends"]["conv"]["scratch_by_batch"] = {}
    for batch in conv_batches:
        rate = _train_rate("scratch", "conv", None, x[:4 * batch], y[:4 * batch], batch)
        by_batch[str(batch)] = rate
        print(f"train: conv scratch            batch {batch}: {rate:6.1f} seq/s; epoch of "
              f"1800 clips {1800 / rate:6.1f} s", flush=True)
    return result


def _latencies_ms(call, runs: int) -> Dict:
    call()   # warm-up / tracing
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        call()
        times.append(1000 * (time.perf_counter() - start))
    return {"p50_ms": float(np.percentile(times, 50)), "p95_ms": float(np.percentile(times, 95)),
            "calls": runs}


def bench_serve(clip_s: float = 30.0, calls: int = 50) -> Dict:
    """predict_waveform latency at batch 1 (p50/p95 over ``calls``), its split into the
    in-graph MFCC and the network, and clips/s at batch 64, per front end, on exported
    (untrained) taggers."""
    import tensorflow as tf
    from components.audio import features
    from components.model import tagger, serving
    samples = features.clip_samples(clip_s)
    rng = np.random.default_rng(1)
    one = tf.constant(rng.uniform(-0.3, 0.3, (1, samples)).astype(np.float32))
    many = tf.constant(rng.uniform(-0.3, 0.3, (64, samples)).astype(np.float32))
    mel = tf.constant(features.mel_matrix())
    mfcc_only = tf.function(lambda w: features.mfcc_tf(w, mel))
    one_mfcc = mfcc_only(one)
    result = {"clip_seconds": clip_s, "threads": {
        "intra_op": tf.config.threading.get_intra_op_parallelism_threads(),
        "inter_op": tf.config.threading.get_inter_op_parallelism_threads()},
        "mfcc_in_graph_batch_1": _latencies_ms(lambda: mfcc_only(one), calls)}
    print(f"serve: in-graph MFCC alone, batch 1: p50 "
          f"{result['mfcc_in_graph_batch_1']['p50_ms']:.1f} ms", flush=True)
    for front_end in tagger.FRONT_ENDS:
        network = tagger.build_tagger("scratch", front_end=front_end)
        with tempfile.TemporaryDirectory() as out:
            path = os.path.join(out, "Format-Serving")
            serving.export_tagger(network, path, clip_s)
            loaded = tf.saved_model.load(path)
            waveform = loaded.signatures["predict_waveform"]
            from_mfcc = loaded.signatures["predict_mfcc"]
            row = {"predict_waveform_batch_1": _latencies_ms(lambda: waveform(waveform=one),
                                                             calls),
                   "predict_mfcc_batch_1": _latencies_ms(lambda: from_mfcc(mfcc=one_mfcc),
                                                         calls)}
            batch = _latencies_ms(lambda: waveform(waveform=many), 3)
            row["predict_waveform_batch_64"] = dict(batch,
                                                    clips_per_second=64000 / batch["p50_ms"])
        result[front_end] = row
        print(f"serve: {front_end:4s} predict_waveform batch 1: p50 "
              f"{row['predict_waveform_batch_1']['p50_ms']:.1f} ms, p95 "
              f"{row['predict_waveform_batch_1']['p95_ms']:.1f} ms (network alone, "
              f"predict_mfcc: p50 {row['predict_mfcc_batch_1']['p50_ms']:.1f} ms); batch 64: "
              f"{row['predict_waveform_batch_64']['clips_per_second']:.1f} clips/s", flush=True)
    return result


_TRAINER_CHILD = """
import json, os
from tfx.components.trainer.fn_args_utils import FnArgs
from components.audio import examples
from components.model import training
from components.tfx import trainer_source, trainer_stage
examples_dir, shards, schema_path, out, streamed, epochs = {args!r}
custom = {{"method": "scratch", "epochs": epochs, "batch_size": 32, "front_end": "conv",
          "validation_freq": 0, "classes": ["babycry"], "clip_duration_s": 30.0}}
train_files = [os.path.join(examples_dir, "Split-train", shards)]
eval_files = [os.path.join(examples_dir, "Split-eval", "*")]
if streamed:   # the Trainer as it is
    args = FnArgs(
        train_files=train_files, eval_files=eval_files,
        serving_model_dir=os.path.join(out, "model", "Format-Serving"),
        model_run_dir=os.path.join(out, "logs"), custom_config=custom, schema_path=schema_path,
        data_accessor=trainer_stage.local_data_accessor())
    trainer_source.run_fn(args)
    with open(os.path.join(out, "model", "metrics.json")) as handle:
        seconds = json.load(handle)["seconds_per_epoch"]
else:          # the Trainer before streaming: both splits loaded as arrays, then trained
    x, y, _ = examples.load_examples(train_files, 2584)
    xe, ye, _ = examples.load_examples(eval_files, 2584)
    custom.pop("clip_duration_s")
    seconds = training.train_stage(x, y, xe, ye, training.StageConfig.from_dict(custom)
                                   )["seconds_per_epoch"]
# VmHWM, not ru_maxrss: Linux carries ru_maxrss over execve from the parent process
print([l for l in open("/proc/self/status") if l.startswith("VmHWM:")][0].split()[1], seconds)
"""


def _trainer_peak_rss_mb(examples_dir: str, shards: str, schema_path: str, out: str,
                         streamed: bool, epochs: int) -> Tuple[float, float]:
    """Train the source stage (conv, ``epochs`` epochs) on ``shards`` of ``examples_dir`` in a
    fresh Python process, streamed (the Trainer) or from arrays (as before streaming); its peak
    resident memory in MB and the seconds of an epoch."""
    import subprocess
    import sys
    code = _TRAINER_CHILD.format(args=(examples_dir, shards, schema_path, out, streamed, epochs))
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    peak_kb, seconds = done.stdout.split()[-2:]
    return int(peak_kb) / 1024.0, float(seconds)


def bench_memory(clips: int = 1024, shards: int = 4) -> Dict:
    """Peak memory of the source stage on ``clips / shards`` and on ``clips`` clips of 30 s,
    streamed and from arrays, after the same number of training steps (``shards`` epochs on
    the smaller set, one on the whole): the peak also grows with the steps taken, by about
    400 MB over the first hundred (TensorFlow's allocations warming up; measured on random
    MFCCs: 1315 MB after 8 steps, 1720 after 96, 1694 after 240, on the same 256 clips)."""
    from components.audio import datasets
    from components.tfx import beam_mixtures, schema
    data = datasets.load_source_data("embedded", 2017)
    recipes = datasets.split_recipes(data, "source", clips, 8, 1, 2, 30.0)
    result = {"clips_all": clips, "shards": shards, "clip_seconds": 30.0,
              "array_mb_of_all_clips": clips * 2584 * 20 * 4 / 2 ** 20}
    with tempfile.TemporaryDirectory() as out:
        beam_mixtures.run_mixture_job(recipes, out, data.data_root, 2017, shards,
                                      ["--direct_num_workers=2",
                                       "--direct_running_mode=multi_processing"])
        schema_path = os.path.join(out, "schema.pbtxt")
        with open(schema_path, "w") as handle:
            handle.write(schema.schema_text(2584, 30.0))
        for mode, streamed in (("streamed", True), ("arrays", False)):
            row = result[mode] = {}
            for name, pattern, count, epochs in (
                    ("one_shard", "*-00000-of-*", clips // shards, shards),
                    ("all_shards", "*", clips, 1)):
                peak, seconds = _trainer_peak_rss_mb(out, pattern, schema_path,
                                                     os.path.join(out, mode + name), streamed,
                                                     epochs)
                row[name] = {"clips": count, "epochs": epochs, "steps": -(-count // 32) * epochs,
                             "peak_rss_mb": peak, "epoch_seconds": seconds}
            row["growth_mb"] = row["all_shards"]["peak_rss_mb"] - row["one_shard"]["peak_rss_mb"]
            print(f"memory: source stage ({mode}) peak RSS "
                  f"{row['one_shard']['peak_rss_mb']:.0f} MB on {clips // shards} clips, "
                  f"{row['all_shards']['peak_rss_mb']:.0f} MB on {clips} clips "
                  f"(+{row['growth_mb']:.0f} MB; same number of steps); epoch of {clips} clips "
                  f"{row['all_shards']['epoch_seconds']:.1f} s", flush=True)
    return result


def main(args) -> int:
    parts = args.only or ["data", "train", "serve", "memory"]
    report = {"machine": machine(), "started": time.strftime("%Y-%m-%dT%H:%M:%S")}
    if "data" in parts:
        report["data"] = bench_data(args.clips, data=args.data)
    if "train" in parts:
        report["train"] = bench_train()
    if "serve" in parts:
        report["serve"] = bench_serve()
    if "memory" in parts:
        report["memory"] = bench_memory()
    os.makedirs(os.path.dirname(os.path.abspath(args.output)), exist_ok=True)
    with open(args.output, "w") as handle:
        json.dump(report, handle, indent=2)
    print(f"Benchmark figures written to {args.output}")
    return 0
