"""Model-free descriptors of the clip's sharpest onset: which tell real breaks from real impacts?

Seven descriptors of the ~100 ms after the clip's sharpest onset (librosa's onset strength on
the mel power in dB), each scored alone by its AUC between the clips with a break and the impact
clips, and between the clips with a break and the ambience excerpts, on both real sets (the
pipeline's real branch, rendered as real-impacts/measure.py does). Both sets were looked at:
the held-out set is not clean for a descriptor chosen here (fusion_across.py and
fusion_synthetic.py use the centroid, the one that did well on both). Output:
descriptor_probe.txt.

Usage (repository root):
  .venv/bin/python docs/results/impact-pool/descriptor_probe.py build/real_audio \\
      build/real_audio_holdout > docs/results/impact-pool/descriptor_probe.txt
"""
import os
import runpy
import sys

import librosa
import numpy as np

from components.audio.audio_io import SAMPLE_RATE
from components.model.training import roc_auc

HERE = os.path.dirname(os.path.abspath(__file__))
MEASURE = runpy.run_path(os.path.join(HERE, "..", "real-impacts", "measure.py"))
NAMES = ("share above 4 kHz", "share above 8 kHz", "centroid", "frames to -20 dB",
         "frames to -20 dB above 4 kHz", "onsets in the next second", "flatness")


def descriptors(waves):
    out = []
    for x in waves:
        power = np.abs(librosa.stft(x, n_fft=2048, hop_length=512)) ** 2
        freqs = librosa.fft_frequencies(sr=SAMPLE_RATE, n_fft=2048)
        envelope = librosa.onset.onset_strength(
            S=librosa.power_to_db(librosa.feature.melspectrogram(S=power, sr=SAMPLE_RATE)),
            sr=SAMPLE_RATE)
        k = int(np.argmax(envelope[3:-3])) + 3
        window = power[:, k:k + 9]
        total = power.sum(0)
        below = np.where(total[k:] < total[k] * 1e-2)[0]
        high = power[freqs > 4000].sum(0)
        high_below = np.where(high[k:] < high[k:k + 3].max() * 1e-2)[0]
        out.append([window[freqs > 4000].sum() / window.sum(),
                    window[freqs > 8000].sum() / window.sum(),
                    (freqs[:, None] * window).sum() / window.sum(),
                    below[0] if len(below) else len(total) - k,
                    high_below[0] if len(high_below) else len(high) - k,
                    np.sum(envelope[k + 2:k + 88] > 0.3 * envelope[k]),
                    librosa.feature.spectral_flatness(S=window).mean()])
    return np.array(out, dtype=float)


def main(*real_dirs):
    for real_dir in real_dirs:
        splits = MEASURE["render"](real_dir)
        (rec_eval, w_eval), (_, w_imp) = splits["eval"], splits["impacts"]
        y = np.array([r.label for r in rec_eval])
        breaks, ambience, impacts = (descriptors(w_eval[y == 1]), descriptors(w_eval[y == 0]),
                                     descriptors(w_imp))
        print(os.path.basename(os.path.normpath(real_dir)))
        for j, name in enumerate(NAMES):
            vs_impacts = roc_auc(np.r_[np.ones(len(breaks)), np.zeros(len(impacts))],
                                 np.r_[breaks[:, j], impacts[:, j]])
            vs_ambience = roc_auc(np.r_[np.ones(len(breaks)), np.zeros(len(ambience))],
                                  np.r_[breaks[:, j], ambience[:, j]])
            print(f"  {name:30s} AUC breaks vs impacts {vs_impacts:.3f}  vs ambience "
                  f"{vs_ambience:.3f}")


if __name__ == "__main__":
    main(*sys.argv[1:])
