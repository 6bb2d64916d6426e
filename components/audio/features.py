"""MFCC features exactly as the paper's librosa call, and the same computation in TensorFlow.

``librosa.feature.mfcc(y, sr=44100, n_mfcc=20, n_fft=2048, hop_length=512)``: periodic Hann
window, centred frames with zero padding, power spectrogram, 128 Slaney mel filters with Slaney
area normalisation, ``power_to_db(ref=1, amin=1e-10, top_db=80)`` relative to the clip's maximum,
orthonormal DCT-II, first 20 coefficients. A 30 s clip (1,323,000 samples) gives 2584 frames.
"""
from __future__ import annotations

import numpy as np

SAMPLE_RATE = 44100
N_MFCC = 20
N_FFT = 2048
HOP_LENGTH = 512
N_MELS = 128
AMIN = 1e-10
TOP_DB = 80.0


def n_frames(n_samples: int, hop_length: int = HOP_LENGTH) -> int:
    """Frames librosa produces for ``n_samples`` with ``center=True``."""
    return 1 + n_samples // hop_length


def clip_samples(duration_s: float, sr: int = SAMPLE_RATE) -> int:
    """Samples in a clip of ``duration_s`` seconds."""
    return int(round(duration_s * sr))


def mfcc(y: np.ndarray, sr: int = SAMPLE_RATE, n_mfcc: int = N_MFCC, n_fft: int = N_FFT,
         hop_length: int = HOP_LENGTH) -> np.ndarray:
    """The paper's features: librosa MFCC of a mono float clip, as (frames, n_mfcc) float32."""
    import librosa
    coefficients = librosa.feature.mfcc(y=np.asarray(y, dtype=np.float32), sr=sr, n_mfcc=n_mfcc,
                                        n_fft=n_fft, hop_length=hop_length)
    return np.ascontiguousarray(coefficients.T, dtype=np.float32)


def mel_matrix(sr: int = SAMPLE_RATE, n_fft: int = N_FFT, n_mels: int = N_MELS) -> np.ndarray:
    """librosa's Slaney mel filterbank, (1 + n_fft/2, n_mels), for the TensorFlow twin."""
    import librosa
    return librosa.filters.mel(sr=sr, n_fft=n_fft, n_mels=n_mels).T.astype(np.float32)


def mfcc_tf(waveforms, mel_weights, n_mfcc: int = N_MFCC, n_fft: int = N_FFT,
            hop_length: int = HOP_LENGTH):
    """TensorFlow twin of :func:`mfcc` for a float32 batch ``[batch, samples]``.

    ``mel_weights`` is :func:`mel_matrix` held as a constant. Returns ``[batch, frames, n_mfcc]``.
    Not ``tf.signal.linear_to_mel_weight_matrix`` (HTK, unnormalised) and not
    ``tf.signal.mfccs_from_log_mel_spectrograms`` (not orthonormal).
    """
    import tensorflow as tf
    pad = n_fft // 2
    padded = tf.pad(waveforms, [[0, 0], [pad, pad]])
    stft = tf.signal.stft(padded, frame_length=n_fft, frame_step=hop_length, fft_length=n_fft,
                          window_fn=lambda length, dtype: tf.signal.hann_window(
                              length, periodic=True, dtype=dtype), pad_end=False)
    power = tf.math.square(tf.math.abs(stft))
    mel = tf.linalg.matmul(power, mel_weights)
    log_mel = 10.0 * tf.math.log(tf.math.maximum(mel, AMIN)) / tf.math.log(10.0)
    clip_max = tf.math.reduce_max(log_mel, axis=[1, 2], keepdims=True)
    log_mel = tf.math.maximum(log_mel, clip_max - TOP_DB)
    return tf.signal.dct(log_mel, type=2, norm="ortho")[..., :n_mfcc]
