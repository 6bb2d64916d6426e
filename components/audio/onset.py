"""Two model-free numbers about a clip's sharpest onset, in NumPy and in TensorFlow.

- ``peak``: the clip's strongest onset strength (``features.onset_strength``: the spectral
  flux of the cepstrally smoothed log-mel spectrogram rebuilt from the clip's first 20 MFCCs),
  over the frames past :data:`PADDED_FRAMES`;
- ``centroid_khz``: the spectral centroid (kHz) of the STFT power of the :data:`WINDOW_FRAMES`
  frames (about 100 ms) from that onset's frame on: glass rings high, a door or a thud does not.

They are what separated real glass breaks from real impacts and ambience better than any
tagger trained on the embedded corpus (docs/results.md, "Two numbers about the sharpest
onset"). The centroid needs the power spectrum (20 MFCCs keep too little of it: measured much
weaker), so it is computed where the waveform is: in the Beam job (written into every example
as ``onset_centroid_khz``) and in a served model's waveform signatures (:func:`descriptors_tf`,
the same numbers to float32 rounding: tests/test_onset.py). The frames are the MFCC's (librosa's
centred frames, ``features.N_FFT`` / ``features.HOP_LENGTH``).
"""
from __future__ import annotations

from typing import Tuple

import numpy as np

from components.audio import features

# Frames whose analysis window reaches into the zero padding before the clip's first sample
# (librosa's centred frames), and the one after them: their rise is the padding's.
PADDED_FRAMES = features.N_FFT // (2 * features.HOP_LENGTH) + 1
WINDOW_FRAMES = 9                  # about 100 ms of frames at 44.1 kHz, hop 512
ONSET_MFCC = features.N_MFCC       # the onset reads the paper's 20 coefficients (or fewer)


def onset_frame_and_peak(mfcc: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
    """The frame of the strongest onset and its strength, per clip of ``mfcc``
    [..., frames, n_mfcc] (its first :data:`ONSET_MFCC` coefficients); frames before
    :data:`PADDED_FRAMES` are not considered. Returns (int64 [...], float32 [...])."""
    strength = features.onset_strength(np.asarray(mfcc)[..., :ONSET_MFCC])[..., PADDED_FRAMES:]
    frame = np.argmax(strength, axis=-1)
    peak = np.take_along_axis(strength, frame[..., None], axis=-1)[..., 0]
    return (frame + PADDED_FRAMES).astype(np.int64), peak.astype(np.float32)


def centroid_khz(power: np.ndarray, frame: int, sr: int = features.SAMPLE_RATE,
                 window_frames: int = WINDOW_FRAMES, highpass_hz: float = 0.0) -> float:
    """Spectral centroid (kHz) of the power spectrogram ``power`` [frames, 1 + n_fft/2] summed
    over ``window_frames`` frames from ``frame`` (fewer at the clip's end), without the bins
    below ``highpass_hz`` (``features.passband``)."""
    n_fft = 2 * (power.shape[-1] - 1)
    freqs_khz = np.arange(power.shape[-1], dtype=np.float64) * sr / n_fft / 1000.0
    window = np.asarray(power[frame:frame + window_frames], np.float64).sum(axis=0)
    if highpass_hz:
        window = window * features.passband(power.shape[-1], sr, highpass_hz)
    return float((freqs_khz * window).sum() / (window.sum() + 1e-20))


def descriptors(y: np.ndarray, mfcc: np.ndarray, sr: int = features.SAMPLE_RATE,
                n_fft: int = features.N_FFT, hop_length: int = features.HOP_LENGTH,
                highpass_hz: float = 0.0) -> Tuple[float, float]:
    """``(peak, centroid_khz)`` of one mono clip ``y`` whose MFCC is ``mfcc`` [frames, n_mfcc]
    (see the module docstring; ``highpass_hz`` as the MFCC's, ``features.mel_matrix``). Only
    the window's frames are transformed."""
    frame, peak = onset_frame_and_peak(mfcc)
    frames = features.centred_frames(y, n_fft, hop_length)[int(frame):int(frame) + WINDOW_FRAMES]
    power = features.frames_power(np.array(frames), features.hann_window(n_fft))
    return float(peak), centroid_khz(power, 0, sr, highpass_hz=highpass_hz)


def onset_strength_tf(mfcc):
    """TensorFlow twin of ``features.onset_strength`` on the first :data:`ONSET_MFCC`
    coefficients of ``mfcc`` [batch, frames, n_mfcc]: [batch, frames], 0 at frame 0."""
    import tensorflow as tf
    coefficients = mfcc[..., :ONSET_MFCC]
    basis = tf.constant(features.log_mel_basis(int(coefficients.shape[-1])), tf.float32)
    log_mel = tf.linalg.matmul(coefficients, basis)
    rise = tf.reduce_sum(tf.nn.relu(log_mel[:, 1:] - log_mel[:, :-1]), axis=-1)
    return tf.pad(rise, [[0, 0], [1, 0]])


def onset_frame_and_peak_tf(mfcc):
    """TensorFlow twin of :func:`onset_frame_and_peak` for ``mfcc`` [batch, frames, n_mfcc]:
    (int32 [batch], float32 [batch])."""
    import tensorflow as tf
    strength = onset_strength_tf(mfcc)[:, PADDED_FRAMES:]
    frame = tf.argmax(strength, axis=-1, output_type=tf.int32)
    return frame + PADDED_FRAMES, tf.reduce_max(strength, axis=-1)


def centroid_khz_tf(power, frame, sr: int = features.SAMPLE_RATE,
                    window_frames: int = WINDOW_FRAMES, highpass_hz: float = 0.0):
    """TensorFlow twin of :func:`centroid_khz` for ``power`` [batch, frames, bins] and
    ``frame`` int32 [batch]: float32 [batch]."""
    import tensorflow as tf
    bins = int(power.shape[-1])
    freqs_khz = tf.constant(np.arange(bins) * sr / (2 * (bins - 1)) / 1000.0, tf.float32)
    index = tf.range(tf.shape(power)[1])[None, :]
    inside = (index >= frame[:, None]) & (index < frame[:, None] + window_frames)
    window = tf.reduce_sum(power * tf.cast(inside, power.dtype)[..., None], axis=1)
    if highpass_hz:
        window = window * tf.constant(features.passband(bins, sr, highpass_hz), power.dtype)
    return tf.reduce_sum(window * freqs_khz, axis=-1) / (tf.reduce_sum(window, axis=-1) + 1e-20)


def descriptors_tf(power, mfcc, highpass_hz: float = 0.0):
    """``(peak, centroid_khz)`` float32 [batch] from the power spectrogram ``power``
    [batch, frames, bins] (``features.power_spectrogram_tf``) and the MFCC computed from it
    (with ``highpass_hz``, ``features.mel_matrix``)."""
    frame, peak = onset_frame_and_peak_tf(mfcc)
    return peak, centroid_khz_tf(power, frame, highpass_hz=highpass_hz)
