"""Real glass breaks against the embedded corpus's: energy per band, decay, centroid, onsets.

Usage (repository root, after `make real-audio`):
    .venv/bin/python docs/results/corpus-impact/descriptors.py [build/real_audio]
Prints each real break's descriptors, then the 10th/50th/90th percentiles over the first 60
training glass breaks of the embedded corpus (seed 2017) of the checked-out code.
"""
import glob
import sys

import librosa
import numpy as np

sys.path.insert(0, ".")
from components.audio import audio_io, corpus  # noqa: E402

SR = corpus.SAMPLE_RATE
BANDS_HZ = (0, 1000, 2000, 4000, 8000, 16000, 22050)


def descriptors(y: np.ndarray) -> dict:
    """Band energy shares (dB of the total), time to fall 20 dB below the peak frame, the
    energy-weighted spectral centroid, and the number of onsets librosa finds."""
    y = y / (np.max(np.abs(y)) + 1e-12)
    power = np.abs(librosa.stft(y, n_fft=2048, hop_length=512)) ** 2
    frame_db = 10 * np.log10(power.sum(axis=0) + 1e-12)
    peak = int(np.argmax(frame_db))
    below = np.flatnonzero(frame_db[peak:] < frame_db[peak] - 20)
    decay_s = (below[0] if len(below) else len(frame_db) - peak) * 512 / SR
    weights = power.sum(axis=0) / power.sum()
    centroid = float((librosa.feature.spectral_centroid(S=np.sqrt(power), sr=SR)[0] * weights).sum())
    freqs = librosa.fft_frequencies(sr=SR, n_fft=2048)
    bands = [10 * np.log10(power[(freqs >= lo) & (freqs < hi)].sum() / power.sum() + 1e-12)
             for lo, hi in zip(BANDS_HZ[:-1], BANDS_HZ[1:])]
    return dict(bands_db=np.round(bands, 1).tolist(), decay20_s=round(decay_s, 3),
                centroid_hz=round(centroid), onsets=len(librosa.onset.onset_detect(y=y, sr=SR)))


def main(real_dir: str) -> None:
    print("bands (Hz):", BANDS_HZ)
    print("real glass breaks")
    for path in sorted(glob.glob(real_dir + "/audio/*glass*.wav")):
        print(" ", path.rsplit("/", 1)[-1], descriptors(audio_io.read_mono(path)))
    data = corpus.embedded_source_data(2017)
    found = []
    for event in data.events_of("train", "glassbreak")[:60]:
        y = corpus.synthesize_file(2017, event.uri)
        found.append(descriptors(y[int(event.segment[0] * SR):int(event.segment[1] * SR)]))
    print("embedded glass breaks (60), percentiles 10 / 50 / 90")
    for key in ("decay20_s", "centroid_hz", "onsets"):
        print(" ", key, np.percentile([d[key] for d in found], [10, 50, 90]).round(3).tolist())
    bands = np.array([d["bands_db"] for d in found])
    for q in (10, 50, 90):
        print("  bands_db p%d" % q, np.percentile(bands, q, axis=0).round(1).tolist())


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "build/real_audio")
