"""MFCC features as the paper's librosa call, in NumPy and in TensorFlow.

``librosa.feature.mfcc(y, sr=44100, n_mfcc=20, n_fft=2048, hop_length=512)``: periodic Hann
window, centred frames with zero padding, power spectrogram, 128 Slaney mel filters with Slaney
area normalisation, ``power_to_db(ref=1, amin=1e-10, top_db=80)`` relative to the clip's maximum,
orthonormal DCT-II, first 20 coefficients. A 30 s clip (1,323,000 samples) gives 2584 frames.
:func:`mfcc` (the data job's) and :func:`mfcc_tf` (the serving graph's) compute exactly these
steps in float32 and equal :func:`mfcc_librosa`, the call itself, to about 1e-4.
"""
from __future__ import annotations

from typing import Optional, Sequence, Tuple

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
         hop_length: int = HOP_LENGTH,
         bands: Optional[Sequence[Tuple[int, int, np.ndarray]]] = None) -> np.ndarray:
    """The paper's features of a mono float clip, as (frames, n_mfcc) float32.

    librosa's MFCC (:func:`mfcc_librosa`, every step of the module docstring) computed in
    single precision: a float32 FFT (librosa's goes through NumPy's float64 FFT) and the mel
    filters applied band by band (each filter is non-zero on a few contiguous bins), a block of
    frames at a time (:func:`mel_spectrogram`). Equal to librosa's to about 1e-4 absolute
    (tests/test_data.py). ``bands`` is :func:`mel_bands` of ``sr`` and ``n_fft``, to compute
    once for many clips.
    """
    mel = mel_spectrogram(y, bands if bands is not None else mel_bands(sr, n_fft, N_MELS),
                          n_fft, hop_length)
    log_mel = 10.0 * np.log10(np.maximum(mel, np.float32(AMIN)))
    log_mel = np.maximum(log_mel, log_mel.max() - np.float32(TOP_DB))
    import scipy.fft
    return np.ascontiguousarray(scipy.fft.dct(log_mel, type=2, norm="ortho", axis=1)[:, :n_mfcc],
                                dtype=np.float32)


def mel_spectrogram(y: np.ndarray, bands: Sequence[Tuple[int, int, np.ndarray]],
                    n_fft: int = N_FFT, hop_length: int = HOP_LENGTH,
                    block_frames: int = 256) -> np.ndarray:
    """Mel power (frames, n_mels) float32 of ``y``: librosa's power spectrogram of
    :func:`centred_frames` (:func:`frames_power`) through :func:`mel_power`, ``block_frames``
    frames at a time so that a block's windowed frames and spectrum stay in the CPU cache (one
    pass over the whole clip gives the same numbers to float32 rounding)."""
    frames = centred_frames(y, n_fft, hop_length)
    window = hann_window(n_fft)
    mel = np.empty((len(frames), len(bands)), dtype=np.float32)
    for start in range(0, len(frames), block_frames):
        block = frames[start:start + block_frames]
        mel[start:start + len(block)] = mel_power(frames_power(block, window), bands)
    return mel


def centred_frames(y: np.ndarray, n_fft: int = N_FFT, hop_length: int = HOP_LENGTH
                   ) -> np.ndarray:
    """librosa's centred frames (zero padding of n_fft/2 each side) as a read-only strided
    view (frames, n_fft) float32."""
    padded = np.pad(np.asarray(y, dtype=np.float32), n_fft // 2)
    count = 1 + (len(padded) - n_fft) // hop_length
    return np.lib.stride_tricks.as_strided(
        padded, (count, n_fft), (hop_length * padded.itemsize, padded.itemsize), writeable=False)


def hann_window(n_fft: int = N_FFT) -> np.ndarray:
    """The periodic Hann window librosa's STFT uses, float32."""
    import scipy.signal
    return scipy.signal.get_window("hann", n_fft, fftbins=True).astype(np.float32)


def frames_power(frames: np.ndarray, window: np.ndarray) -> np.ndarray:
    """|rfft(frames * window)|^2 per frame, (frames, 1 + n_fft/2) float32 (real^2 + imag^2:
    no square root)."""
    import scipy.fft
    spectrum = scipy.fft.rfft(frames * window, axis=1, overwrite_x=True)
    power = np.square(spectrum.real)
    power += np.square(spectrum.imag)
    return power


def mel_bands(sr: int = SAMPLE_RATE, n_fft: int = N_FFT, n_mels: int = N_MELS,
              highpass_hz: float = 0.0) -> Tuple[Tuple[int, int, np.ndarray], ...]:
    """librosa's Slaney mel filters (without the bins below ``highpass_hz``: :func:`mel_matrix`)
    as (first bin, end bin, weights) of their non-zero band."""
    matrix = mel_matrix(sr, n_fft, n_mels, highpass_hz)
    bands = []
    for column in matrix.T:
        bins = np.flatnonzero(column)
        first, end = (int(bins[0]), int(bins[-1]) + 1) if len(bins) else (0, 0)
        bands.append((first, end, np.ascontiguousarray(column[first:end])))
    return tuple(bands)


def mel_power(power: np.ndarray, bands: Sequence[Tuple[int, int, np.ndarray]]) -> np.ndarray:
    """Mel energies (frames, n_mels) of a power spectrogram (frames, bins), filter by filter."""
    by_bin = power.T
    out = np.empty((len(bands), power.shape[0]), dtype=np.float32)
    for row, (first, end, weights) in enumerate(bands):
        out[row] = weights @ by_bin[first:end] if end > first else 0.0
    return out.T


def mfcc_librosa(y: np.ndarray, sr: int = SAMPLE_RATE, n_mfcc: int = N_MFCC, n_fft: int = N_FFT,
                 hop_length: int = HOP_LENGTH) -> np.ndarray:
    """The paper's own call, ``librosa.feature.mfcc``, as (frames, n_mfcc) float32: the
    reference :func:`mfcc` and :func:`mfcc_tf` are checked against."""
    import librosa
    coefficients = librosa.feature.mfcc(y=np.asarray(y, dtype=np.float32), sr=sr, n_mfcc=n_mfcc,
                                        n_fft=n_fft, hop_length=hop_length)
    return np.ascontiguousarray(coefficients.T, dtype=np.float32)


def mel_matrix(sr: int = SAMPLE_RATE, n_fft: int = N_FFT, n_mels: int = N_MELS,
               highpass_hz: float = 0.0) -> np.ndarray:
    """librosa's Slaney mel filterbank, (1 + n_fft/2, n_mels) float32; with ``highpass_hz`` > 0
    the FFT bins below it weigh 0 (:func:`passband`): the MFCC of a high-passed clip."""
    import librosa
    matrix = librosa.filters.mel(sr=sr, n_fft=n_fft, n_mels=n_mels).T.astype(np.float32)
    return matrix * passband(matrix.shape[0], sr, highpass_hz)[:, None]


def passband(n_bins: int, sr: int = SAMPLE_RATE, highpass_hz: float = 0.0) -> np.ndarray:
    """float32 [n_bins] weights of the FFT bins of a power spectrum (``n_bins`` = 1 + n_fft/2):
    0 for a bin below ``highpass_hz``, 1 from it on (all 1 when ``highpass_hz`` is 0). A
    high-pass in the spectrum: what is below the cut-off (rumble, handling and wind noise, a
    blow's thud) counts neither in the MFCC nor in the onset's centroid."""
    freqs = np.arange(n_bins) * sr / (2.0 * (n_bins - 1))
    return (freqs >= highpass_hz).astype(np.float32)


def mfcc_tf(waveforms, mel_weights, n_mfcc: int = N_MFCC, n_fft: int = N_FFT,
            hop_length: int = HOP_LENGTH):
    """TensorFlow twin of :func:`mfcc` for a float32 batch ``[batch, samples]``.

    ``mel_weights`` is :func:`mel_matrix` held as a constant. Returns ``[batch, frames, n_mfcc]``.
    Not ``tf.signal.linear_to_mel_weight_matrix`` (HTK, unnormalised) and not
    ``tf.signal.mfccs_from_log_mel_spectrograms`` (not orthonormal).
    """
    return mfcc_from_power_tf(power_spectrogram_tf(waveforms, n_fft, hop_length), mel_weights,
                              n_mfcc)


def power_spectrogram_tf(waveforms, n_fft: int = N_FFT, hop_length: int = HOP_LENGTH):
    """librosa's power spectrogram of centred frames (periodic Hann window) of a float32 batch
    ``[batch, samples]``: ``[batch, frames, 1 + n_fft/2]``."""
    import tensorflow as tf
    pad = n_fft // 2
    padded = tf.pad(waveforms, [[0, 0], [pad, pad]])
    stft = tf.signal.stft(padded, frame_length=n_fft, frame_step=hop_length, fft_length=n_fft,
                          window_fn=lambda length, dtype: tf.signal.hann_window(
                              length, periodic=True, dtype=dtype), pad_end=False)
    return tf.math.square(tf.math.abs(stft))


def mfcc_from_power_tf(power, mel_weights, n_mfcc: int = N_MFCC):
    """The MFCC ``[batch, frames, n_mfcc]`` of :func:`power_spectrogram_tf`'s output."""
    import tensorflow as tf
    mel = tf.linalg.matmul(power, mel_weights)
    log_mel = 10.0 * tf.math.log(tf.math.maximum(mel, AMIN)) / tf.math.log(10.0)
    clip_max = tf.math.reduce_max(log_mel, axis=[1, 2], keepdims=True)
    log_mel = tf.math.maximum(log_mel, clip_max - TOP_DB)
    return tf.signal.dct(log_mel, type=2, norm="ortho")[..., :n_mfcc]


def log_mel_basis(n_coefficients: int, n_used: Optional[int] = None, n_mels: int = N_MELS
                  ) -> np.ndarray:
    """[n_coefficients, n_mels]: a frame's MFCCs times this matrix is its log-mel spectrum (in
    dB) rebuilt from the first ``n_used`` of them (default all) by the inverse orthonormal
    DCT-II, the coefficients beyond taken as 0: the cepstrally smoothed spectrum."""
    import scipy.fft
    used = n_coefficients if n_used is None else min(n_used, n_coefficients)
    basis = np.zeros((n_coefficients, n_mels))
    basis[:used] = scipy.fft.idct(np.eye(used, n_mels), type=2, norm="ortho", axis=-1)
    return basis


def onset_strength(mfcc: np.ndarray, n_mels: int = N_MELS) -> np.ndarray:
    """Spectral flux of the cepstrally smoothed log-mel spectrogram, per frame: the mel
    spectrogram (in dB) rebuilt from ``mfcc`` [..., frames, n_mfcc] (:func:`log_mel_basis`),
    its rise from the previous frame summed over the ``n_mels`` bands where it rises. Frame 0
    has no previous frame and gets 0.
    Returns [..., frames] float32: how sharply the sound gets louder at each frame (librosa's
    ``onset.onset_strength`` is the same idea on the full mel spectrogram). The event rules
    read it from the paper's 20 coefficients whatever a model was trained on."""
    coefficients = np.asarray(mfcc, np.float64)
    log_mel = coefficients @ log_mel_basis(coefficients.shape[-1], n_mels=n_mels)
    rise = np.maximum(np.diff(log_mel, axis=-2), 0.0).sum(axis=-1)
    first = np.zeros(rise.shape[:-1] + (1,))
    return np.concatenate([first, rise], axis=-1).astype(np.float32)
