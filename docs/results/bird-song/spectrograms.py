"""Spectrograms behind the corpus's bird song (CORPUS_VERSION 2026-12-06): the two real sets'
birdsong, a real and an embedded glass break, and the same park recording of the embedded corpus
before (commit d22be83) and after the change. Writes ``spectrograms.png`` beside this script.

Usage (repository root, after ``make real-audio`` and ``make real-audio-holdout``):
  .venv/bin/python docs/results/bird-song/spectrograms.py build/real_audio build/real_audio_holdout
"""
import importlib.util
import os
import subprocess
import sys
import tempfile

import librosa
import librosa.display
import matplotlib
import numpy as np
import soundfile

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from components.audio import corpus  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
BEFORE = "d22be83"
SECONDS = 6.0


def corpus_before():
    """The embedded corpus's module as it was at ``BEFORE`` (before the bird song)."""
    source = subprocess.run(["git", "show", f"{BEFORE}:components/audio/corpus.py"], check=True,
                            capture_output=True, text=True).stdout
    path = os.path.join(tempfile.mkdtemp(), "corpus_before.py")
    with open(path, "w") as handle:
        handle.write(source)
    spec = importlib.util.spec_from_file_location("corpus_before", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def excerpt(path, start_s):
    audio, rate = soundfile.read(path, always_2d=True)
    return audio.mean(axis=1)[int(start_s * rate):int((start_s + SECONDS) * rate)]


def main(default_dir, holdout_dir):
    old = corpus_before()
    panels = [
        ("real birdsong, default set (openclonk BirdsLoop)",
         excerpt(os.path.join(default_dir, "audio", "openclonk_birdsong.wav"), 2.0)),
        ("real birdsong, held-out set (scorched3d birds1)",
         excerpt(os.path.join(holdout_dir, "audio", "scorched3d_birds1.wav"), 2.0)),
        ("a real glass break (minetest 2)",
         excerpt(os.path.join(default_dir, "audio", "minetest_break_glass_2.wav"), 0.0)),
        ("embedded corpus before: park01, recording 0",
         old.synthesize_background(2017, "park", "park01", 0, SECONDS)),
        ("embedded corpus after: park01, recording 0 (bird song added)",
         corpus.synthesize_background(2017, "park", "park01", 0, SECONDS)),
        ("an embedded glass break",
         corpus.synthesize_glass_break(2017, "gb_a00", "embedded:events/glassbreak/gb_a00_0.wav",
                                       1.2)),
    ]
    fig, axes = plt.subplots(len(panels), 1, figsize=(12, 2.3 * len(panels)))
    for ax, (title, audio) in zip(axes, panels):
        power = np.abs(librosa.stft(audio.astype(np.float32), n_fft=1024, hop_length=256))
        librosa.display.specshow(librosa.amplitude_to_db(power, ref=np.max), sr=44100,
                                 hop_length=256, y_axis="linear", x_axis="time", ax=ax, vmin=-70)
        ax.set_title(title)
    fig.tight_layout()
    fig.savefig(os.path.join(HERE, "spectrograms.png"), dpi=45)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
