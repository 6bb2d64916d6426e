"""``make bench``: data, training and serving speed on this machine, as one comparable JSON.

data   recipe + mix + MFCC through the Beam job (DirectRunner, 1 and 2 workers) in clips/s and
       times real time, next to librosa's own MFCC time per clip; 30 s clips as in the paper.
train  sequences/s and seconds per epoch for each method at the paper's sequence length
       (2584 frames), extrapolated to the paper's 1800-clip and 36-clip epochs, next to the
       paper's K80 figures.
serve  predict_waveform clips/s and per-clip latency at batch 1 and 64.
"""
from __future__ import annotations

import json
import os
import platform
import tempfile
import time
from typing import Dict

import numpy as np

PAPER_K80 = {"pretrain_epoch_s_1800_clips": 100.0, "finetune_epoch_s": 20.0}


def machine() -> Dict:
    """What the figures were measured on."""
    import tensorflow as tf
    info = {"platform": platform.platform(), "python": platform.python_version(),
            "cpu_count": os.cpu_count(), "tensorflow": tf.__version__,
            "gpus": [d.name for d in tf.config.list_physical_devices("GPU")]}
    try:
        with open("/proc/cpuinfo") as handle:
            names = [l.split(":", 1)[1].strip() for l in handle if l.startswith("model name")]
        info["cpu_model"] = names[0] if names else platform.processor()
        with open("/proc/meminfo") as handle:
            info["memory_gib"] = round(int(handle.readline().split()[1]) / 1024 ** 2, 1)
    except OSError:
        pass
    return info


def bench_data(clips: int, clip_s: float = 30.0) -> Dict:
    """Beam job throughput with 1 and 2 workers, and librosa MFCC time per clip."""
    from components.audio import datasets, features
    from components.tfx import beam_mixtures
    source = datasets.load_source_data("embedded", 2017)
    recipes = datasets.split_recipes(source, "target", clips, 1, 1, 2, clip_s)
    recipes.pop("eval")
    result = {"clips": clips, "clip_seconds": clip_s}
    for workers in (1, 2):
        args = ([f"--direct_num_workers={workers}", "--direct_running_mode=multi_processing"]
                if workers > 1 else ["--direct_num_workers=1", "--direct_running_mode=in_memory"])
        with tempfile.TemporaryDirectory() as out:
            start = time.time()
            beam_mixtures.run_mixture_job(recipes, out, source.data_root, 2017, 2, args)
            seconds = time.time() - start
        result[f"workers_{workers}"] = {"beam_args": args, "seconds": seconds,
                                        "clips_per_second": clips / seconds,
                                        "times_real_time": clips * clip_s / seconds}
        print(f"data: {workers} worker(s): {clips / seconds:.2f} clips/s, "
              f"{clips * clip_s / seconds:.0f}x real time", flush=True)
    y = np.random.default_rng(0).uniform(-0.3, 0.3, features.clip_samples(clip_s)).astype(np.float32)
    features.mfcc(y)   # warm-up (numba)
    start = time.time()
    for _ in range(5):
        features.mfcc(y)
    result["librosa_mfcc_seconds_per_clip"] = (time.time() - start) / 5
    print(f"data: librosa MFCC {1000 * result['librosa_mfcc_seconds_per_clip']:.0f} ms per "
          f"{clip_s:g} s clip", flush=True)
    return result


def bench_train(sequences: int = 32, batch_size: int = 32, frames: int = 2584) -> Dict:
    """Training speed per method at the paper's sequence length."""
    import keras
    from components.model import tagger
    rng = np.random.default_rng(0)
    x = rng.standard_normal((sequences, frames, 20)).astype(np.float32)
    y = (np.arange(sequences) % 2).astype(np.float32)
    source = tagger.build_tagger("scratch")
    tagger.adapt_normalization(source, x[:4])
    result = {"frames": frames, "batch_size": batch_size, "sequences": sequences,
              "paper_k80": PAPER_K80, "methods": {}}
    for method in tagger.METHODS:
        keras.utils.set_random_seed(0)
        network = tagger.build_tagger(method)
        if method == "scratch":
            tagger.adapt_normalization(network, x[:4])
        tagger.transfer_weights(network, source, method)
        tagger.compile_tagger(network)
        network.fit(x[:batch_size], y[:batch_size], epochs=1, batch_size=batch_size, verbose=0)
        start = time.time()
        network.fit(x, y, epochs=1, batch_size=batch_size, verbose=0)
        seconds = time.time() - start
        rate = sequences / seconds
        result["methods"][method] = {"sequences_per_second": rate,
                                     "epoch_seconds_1800_clips": 1800 / rate,
                                     "epoch_seconds_36_clips": 36 / rate}
        print(f"train: {method:17s} {rate:6.1f} seq/s; epoch of 1800 clips {1800 / rate:6.0f} s "
              f"(K80: 100 s), of 36 clips {36 / rate:5.1f} s (K80: 20 s)", flush=True)
    return result


def bench_serve(clip_s: float = 30.0) -> Dict:
    """predict_waveform speed at batch 1 and 64 on an exported (untrained) tagger."""
    import tensorflow as tf
    from components.audio import features
    from components.model import tagger, serving
    network = tagger.build_tagger("scratch")
    tagger.adapt_normalization(network, np.zeros((1, 10, 20), np.float32) + 1)
    result = {"clip_seconds": clip_s}
    with tempfile.TemporaryDirectory() as out:
        path = os.path.join(out, "Format-Serving")
        serving.export_tagger(network, path, clip_s)
        fn = tf.saved_model.load(path).signatures["predict_waveform"]
        samples = features.clip_samples(clip_s)
        for batch in (1, 64):
            wave = tf.constant(np.random.default_rng(1).uniform(-0.3, 0.3, (batch, samples))
                               .astype(np.float32))
            fn(waveform=wave)   # warm-up / tracing
            runs = 5 if batch == 1 else 2
            start = time.time()
            for _ in range(runs):
                fn(waveform=wave)
            seconds = (time.time() - start) / runs
            result[f"batch_{batch}"] = {"seconds_per_call": seconds,
                                        "clips_per_second": batch / seconds,
                                        "latency_ms_per_clip": 1000 * seconds / batch}
            print(f"serve: predict_waveform batch {batch:2d}: {batch / seconds:6.1f} clips/s, "
                  f"{1000 * seconds / batch:7.1f} ms per clip", flush=True)
    return result


def main(args) -> int:
    parts = args.only or ["data", "train", "serve"]
    report = {"machine": machine(), "started": time.strftime("%Y-%m-%dT%H:%M:%S")}
    if "data" in parts:
        report["data"] = bench_data(args.clips)
    if "train" in parts:
        report["train"] = bench_train()
    if "serve" in parts:
        report["serve"] = bench_serve()
    os.makedirs(os.path.dirname(os.path.abspath(args.output)), exist_ok=True)
    with open(args.output, "w") as handle:
        json.dump(report, handle, indent=2)
    print(f"Benchmark figures written to {args.output}")
    return 0
