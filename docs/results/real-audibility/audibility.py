"""How audible is each real glass break in the real-audio set? A model-free measure per real
background and EBR, to tell what any detector could do from what ours does.

For every clip with an event of the pipeline's real branch (the same recipes: `plan_task('real',
...)`, seed 3000, 2 excerpts), the background excerpt and the scaled event are analysed apart, in
the 128-band mel power spectrogram the MFCCs are computed from (2048-point FFT, hop 512). Over the
event's active frames (within 30 dB of its loudest frame), it counts the time-frequency bins where
the event is stronger than the background ("event-dominated bins", % of the event's bins that
hold energy within 40 dB of its peak bin), and the best band's event-to-background ratio at the
event's loudest frame. The clips without an event are not needed.

Usage (from the repository root, after `make real-audio`):
    .venv/bin/python docs/results/real-audibility/audibility.py build/real_audio
"""
import collections
import sys

import numpy as np

from components.audio import datasets, features, mixing
from components.audio.audio_io import SAMPLE_RATE


def print_table(title, by_cell, scenes, ebrs, field, show):
    """One Markdown table: a row per background, a column per EBR, ``show(values)`` per cell."""
    print(title)
    print("| background | " + " | ".join(f"{e:+g} dB" for e in ebrs) + " |")
    print("| --- |" + " --- |" * len(ebrs))
    for scene in scenes:
        print(f"| {scene} | " + " | ".join(
            show(np.array([v[field] for v in by_cell[(scene, ebr)]])) for ebr in ebrs) + " |")


def main(real_folder):
    plan = datasets.plan_task("real", real_folder, 2017, 0, 0, 0, 3000, 3.0, excerpts=2)
    load = mixing.audio_loader(plan.data.data_root, 2017)
    bands = features.mel_bands()
    by_cell = collections.defaultdict(list)
    for recipe in plan.recipes["eval"]:
        if not recipe.label:
            continue
        _, mixed = mixing.render(recipe, load)
        background = load(recipe.bg_uri)
        start = int(round(recipe.bg_offset_s * SAMPLE_RATE))
        length = int(round(recipe.duration_s * SAMPLE_RATE))
        bg = np.asarray(background[start:start + length], dtype=np.float64)
        event_file = load(recipe.event_uri)
        event = event_file[int(recipe.segment_start_s * SAMPLE_RATE):
                           int(recipe.segment_end_s * SAMPLE_RATE)]
        event = event[:int(round(recipe.event_duration_s * SAMPLE_RATE))]
        onset = min(int(recipe.event_onset_s * SAMPLE_RATE), len(bg) - len(event))
        placed = np.zeros_like(bg)
        placed[onset:onset + len(event)] = mixed.scale * event
        ev_mel = features.mel_spectrogram(placed, bands)
        bg_mel = features.mel_spectrogram(bg, bands)
        frame_energy = ev_mel.sum(axis=0)
        active = frame_energy >= frame_energy.max() * 10 ** (-30 / 10)
        ev_bins, bg_bins = ev_mel[:, active], bg_mel[:, active]
        holds = ev_bins >= ev_bins.max() * 10 ** (-40 / 10)
        dominated = 100.0 * np.mean((ev_bins > bg_bins)[holds])
        loudest = int(np.argmax(frame_energy))
        best_band_db = float(np.max(10 * np.log10((ev_mel[:, loudest] + 1e-20)
                                                   / (bg_mel[:, loudest] + 1e-20))))
        by_cell[(recipe.bg_scene, recipe.ebr_db)].append((dominated, best_band_db))
    scenes = sorted({scene for scene, _ in by_cell})
    ebrs = sorted({ebr for _, ebr in by_cell})
    print_table("Event-dominated bins, % of the event's bins (median over the clips; min-max):",
                by_cell, scenes, ebrs, 0,
                lambda d: f"{np.median(d):.0f} ({d.min():.0f}-{d.max():.0f})")
    print()
    print_table("Best band's event-to-background ratio at the event's loudest frame, dB "
                "(median; min):", by_cell, scenes, ebrs, 1,
                lambda b: f"{np.median(b):+.0f} ({b.min():+.0f})")
    print(f"\n{sum(len(v) for v in by_cell.values())} clips with an event")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "build/real_audio")
