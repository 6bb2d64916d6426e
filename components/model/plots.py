"""PNG plots for people: learning curves, accuracy bars, per-EBR breakdowns (matplotlib, Agg)."""
from __future__ import annotations

from typing import Dict, List, Optional, Sequence


def _pyplot():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


def learning_curves(history: Dict[str, List[float]], path: str, title: str,
                    validation_freq: int = 1) -> None:
    """Loss and accuracy per epoch for the training data and, when present, the eval split."""
    plt = _pyplot()
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.6))
    for ax, metric in zip(axes, ("loss", "accuracy")):
        if metric in history:
            ax.plot(range(1, len(history[metric]) + 1), history[metric], label="train")
        if "val_" + metric in history:
            epochs = [validation_freq * (i + 1) for i in range(len(history["val_" + metric]))]
            ax.plot(epochs, history["val_" + metric], label="eval", marker=".")
        ax.set_xlabel("epoch")
        ax.set_ylabel(metric)
        ax.grid(alpha=0.3)
        ax.legend()
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def accuracy_bars(rows: Sequence[dict], path: str, title: str,
                  reference_key: Optional[str] = None) -> None:
    """Bars of ``row['accuracy']`` (with ``row['ci95']`` error bars if present) per ``row['name']``,
    the paper's value as a marker when ``reference_key`` is given."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(max(6, 1.5 * len(rows)), 4))
    names = [r["name"] for r in rows]
    values = [100 * r["accuracy"] for r in rows]
    errors = [100 * r.get("ci95", 0.0) for r in rows]
    ax.bar(names, values, yerr=errors, capsize=4, color="#4c72b0", label="measured")
    if reference_key:
        refs = [r.get(reference_key) for r in rows]
        xs = [i for i, v in enumerate(refs) if v is not None]
        ax.scatter(xs, [refs[i] for i in xs], color="#dd8452", zorder=3, label="paper")
    for i, v in enumerate(values):
        ax.text(i, v + 1, f"{v:.1f}", ha="center", fontsize=8)
    ax.set_ylim(0, 105)
    ax.set_ylabel("test accuracy (%)")
    ax.axhline(50, color="grey", lw=0.8, ls="--")
    ax.set_title(title)
    ax.legend(loc="lower right")
    plt.setp(ax.get_xticklabels(), rotation=15, ha="right")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def grouped_bars(groups: Sequence[str], series: Dict[str, Sequence[float]], path: str,
                 title: str, ylabel: str) -> None:
    """One group of bars per entry of ``groups`` (e.g. EBR), one bar per series (e.g. model)."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(max(8, 1.2 * len(groups) * max(1, len(series)) / 2), 4.2))
    width = 0.8 / max(1, len(series))
    for k, (name, values) in enumerate(series.items()):
        xs = [i + k * width for i in range(len(groups))]
        heights = [100 * v if v is not None else 0 for v in values]
        ax.bar(xs, heights, width, label=name)
        for x, h, v in zip(xs, heights, values):
            ax.text(x, h + 1, "n/a" if v is None else f"{h:.0f}", ha="center", fontsize=7)
    ax.set_xticks([i + width * (len(series) - 1) / 2 for i in range(len(groups))])
    ax.set_xticklabels(groups)
    ax.set_ylim(0, 105)
    ax.set_ylabel(ylabel)
    ax.set_title(title, fontsize=10)
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.0, 1.0))   # beside, not over, bars
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def curve(xs: Sequence[float], series: Dict[str, tuple], path: str, title: str) -> None:
    """Accuracy against training-set size: ``series[name] = (means, stds)``."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7, 4))
    for name, (means, stds) in series.items():
        means = [100 * m for m in means]
        stds = [100 * s for s in stds]
        ax.errorbar(xs, means, yerr=stds, marker="o", capsize=3, label=name)
    ax.set_xscale("log", base=2)
    ax.set_xlabel("target training clips")
    ax.set_ylabel("test accuracy (%)")
    ax.axhline(50, color="grey", lw=0.8, ls="--")
    ax.grid(alpha=0.3)
    ax.set_title(title)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def spectrograms(items: Sequence[tuple], path: str, sample_rate: int = 44100) -> None:
    """A grid of log-mel spectrograms: ``items`` are (title, mono waveform)."""
    import librosa
    import numpy as np
    plt = _pyplot()
    cols = 2
    rows = (len(items) + cols - 1) // cols
    fig, axes = plt.subplots(rows, cols, figsize=(11, 2.2 * rows), squeeze=False)
    for ax, (title, audio) in zip(axes.flat, items):
        mel = librosa.feature.melspectrogram(y=np.asarray(audio, np.float32), sr=sample_rate,
                                             n_fft=2048, hop_length=512)
        ax.imshow(librosa.power_to_db(mel, ref=np.max), origin="lower", aspect="auto",
                  extent=[0, len(audio) / sample_rate, 0, mel.shape[0]], cmap="magma")
        ax.set_title(title, fontsize=9)
        ax.set_xlabel("s", fontsize=8)
        ax.set_yticks([])
    for ax in list(axes.flat)[len(items):]:
        ax.axis("off")
    fig.tight_layout()
    fig.savefig(path, dpi=80)
    plt.close(fig)


def event_timelines(items: Sequence[dict], path: str, threshold: "float | None",
                    frame_period: float, curve_label: str = "running p") -> None:
    """Per test clip: a mel spectrogram (cepstrally smoothed: rebuilt from the 20 MFCCs) and
    under it the curve the event rule reads (``curve_label``; the running probability with
    its ``threshold``, or without one the onset strength), the true events (green) and the
    detected events (red). ``items``: dicts with title, mfcc [frames, 20], running [frames]
    (the curve), reference [(on, off)], detected [(on, off)]."""
    import librosa
    import numpy as np
    plt = _pyplot()
    fig, axes = plt.subplots(2, len(items), figsize=(4.2 * len(items), 4.4), squeeze=False,
                             gridspec_kw={"height_ratios": [2, 1.3]}, sharex="col")
    for col, item in enumerate(items):
        mfcc = np.asarray(item["mfcc"], np.float64)
        seconds = len(mfcc) * frame_period
        log_mel = librosa.feature.inverse.mfcc_to_mel(mfcc.T, n_mels=64)
        top, bottom = axes[0, col], axes[1, col]
        top.imshow(librosa.power_to_db(log_mel, ref=np.max), origin="lower", aspect="auto",
                   extent=[0, seconds, 0, 64], cmap="magma")
        top.set_title(item["title"], fontsize=8)
        top.set_yticks([])
        times = np.arange(len(item["running"])) * frame_period
        bottom.plot(times, item["running"], color="black", linewidth=1, label=curve_label)
        if threshold is not None:
            bottom.axhline(threshold, color="grey", linestyle=":", linewidth=1)
        for on, off in item["reference"]:
            bottom.axvspan(on, off, ymin=0.0, ymax=0.12, color="tab:green", alpha=0.8)
            top.axvline(on, color="tab:green", linewidth=1)
        for on, off in item["detected"]:
            bottom.axvspan(on, min(off, seconds), ymin=0.14, ymax=0.26, color="tab:red",
                           alpha=0.8)
            top.axvline(on, color="tab:red", linewidth=1, linestyle="--")
        bottom.set_ylim(0, 1)
        bottom.set_xlim(0, seconds)
        bottom.set_xlabel("s", fontsize=8)
        if col == 0:
            bottom.set_ylabel(curve_label, fontsize=8)
    fig.suptitle("green: true event (onset line), red: detected (dashed onset); "
                 "spectrogram rebuilt from the MFCCs", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=80)
    plt.close(fig)
