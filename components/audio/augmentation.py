"""Seeded augmentation of training mixtures: what microphones, rooms and levels do to a recording.

An augmentation is a small dict drawn per recipe and stored in it (``Recipe.augmentation``), so
every augmented mixture can be recreated from its recipe alone:

    event_rt60_s, event_direct_db   reverberation of the event (a room), before the EBR scaling
    event_lowpass_hz                a distant or muffled event (0: none)
    tilt_db_per_octave              spectral tilt of the whole mixture (microphone, EQ)
    lowpass_hz, highpass_hz         band limits of the whole mixture (0: none)
    gain_db                         recording level of the whole mixture
    noise_seed                      seeds the reverberation tail
    background_tilt_db_per_octave   spectral tilt of the background alone, before the event is
                                    scaled against it (the scene's own colour: rain and
                                    birdsong are much brighter than the corpus's scenes);
                                    recipes drawn before it existed have none (0)
    chain_rate_hz                   a recording chain: the whole mixture as a recording made
                                    at this sample rate keeps it (nothing above 0.45 x the
                                    rate, brick-wall); absent or 0: full band
                                    (``chain_recipes``, the target's ``recording_chain``)

The draws use their own generator, so the reference synthesizer's parameter draws of a recipe
(events, backgrounds, onsets, EBRs) are the same with and without augmentation.
"""
from __future__ import annotations

import dataclasses
from typing import Dict, List, Sequence

import numpy as np

from components.audio.audio_io import SAMPLE_RATE

AUGMENTATION_STREAM = 0xA06   # separates the augmentation draws from the recipe draws
CHAIN_STREAM = 0xC4A1         # the recording chain's draws, apart from both
CHAIN_RATES_HZ = (8000, 11025, 16000, 22050)   # common low rates of real recordings
CHAIN_BAND = 0.45             # share of the rate a resampled recording keeps (anti-alias filter)
# dB per octave around 1 kHz. The corpus's scenes fall by 3.5 to 8 dB per octave; +6 makes them
# about as bright as real rain and birdsong (MFCC c1 near 40-60, against 100-220 untilted).
BACKGROUND_TILT_RANGE = (-2.0, 6.0)


def draw_augmentation(rng: np.random.Generator) -> Dict[str, float]:
    """One augmentation (see the module doc for the fields and their ranges)."""
    reverberant = rng.random() < 0.3
    return {
        "event_rt60_s": round(float(rng.uniform(0.1, 0.5)), 4) if reverberant else 0.0,
        "event_direct_db": round(float(rng.uniform(0, 10)), 3),
        "event_lowpass_hz": round(float(rng.uniform(2500, 8000)), 1) if rng.random() < 0.1 else 0.0,
        "tilt_db_per_octave": round(float(rng.uniform(-2, 2)), 3),
        "lowpass_hz": round(float(rng.uniform(4000, 16000)), 1) if rng.random() < 0.2 else 0.0,
        "highpass_hz": round(float(rng.uniform(40, 300)), 1) if rng.random() < 0.2 else 0.0,
        "gain_db": round(float(rng.uniform(-12, 6)), 3),
        "noise_seed": int(rng.integers(0, 2 ** 31 - 1)),
        # drawn last, so the fields above are what they were before it existed
        "background_tilt_db_per_octave": round(float(rng.uniform(*BACKGROUND_TILT_RANGE)), 3),
    }


def augment_recipes(recipes: Sequence, seed: int) -> List:
    """Copies of ``recipes`` with an augmentation each, drawn from ``seed``."""
    rng = np.random.default_rng([int(seed), AUGMENTATION_STREAM])
    return [dataclasses.replace(recipe, augmentation=draw_augmentation(rng)) for recipe in recipes]


def neutral_augmentation() -> Dict[str, float]:
    """An augmentation that changes nothing (a base for a recording chain alone)."""
    return {"event_rt60_s": 0.0, "event_direct_db": 0.0, "event_lowpass_hz": 0.0,
            "tilt_db_per_octave": 0.0, "lowpass_hz": 0.0, "highpass_hz": 0.0, "gain_db": 0.0,
            "noise_seed": 0, "background_tilt_db_per_octave": 0.0}


def chain_recipes(recipes: Sequence, seed: int, share: float = 0.5) -> List:
    """Copies of ``recipes`` of which about ``share`` (drawn from ``seed``) go through a
    recording chain at a rate drawn from CHAIN_RATES_HZ (kept with any other augmentation
    the recipe has); the rest unchanged."""
    rng = np.random.default_rng([int(seed), CHAIN_STREAM])
    out = []
    for recipe in recipes:
        chained, rate = rng.random() < share, int(rng.choice(CHAIN_RATES_HZ))
        if chained:
            base = dict(recipe.augmentation or neutral_augmentation())
            recipe = dataclasses.replace(recipe, augmentation=dict(base, chain_rate_hz=rate))
        out.append(recipe)
    return out


def band_limit(sound: np.ndarray, rate_hz: float) -> np.ndarray:
    """``sound`` with nothing above CHAIN_BAND x ``rate_hz`` (brick-wall, in one FFT): what a
    recording made at ``rate_hz`` and resampled to 44.1 kHz keeps."""
    if not rate_hz or len(sound) == 0:
        return sound
    spectrum = np.fft.rfft(sound)
    spectrum[np.fft.rfftfreq(len(sound), 1.0 / SAMPLE_RATE) > CHAIN_BAND * rate_hz] = 0
    return np.fft.irfft(spectrum, len(sound))


def reverberate(sound: np.ndarray, rt60_s: float, direct_db: float,
                rng: np.random.Generator) -> np.ndarray:
    """Add an exponentially decaying noise tail (-60 dB at ``rt60_s``) at ``direct_db``
    direct-to-reverberant ratio; the result keeps the sound's length."""
    if rt60_s <= 0 or len(sound) == 0:
        return sound
    from scipy.signal import fftconvolve
    m = max(1, int(rt60_s * SAMPLE_RATE))
    tail = rng.standard_normal(m) * np.exp(-6.91 * np.arange(m) / m)
    wet = fftconvolve(sound, tail)[:len(sound)]
    wet *= np.sqrt(np.mean(sound ** 2)) / (np.sqrt(np.mean(wet ** 2)) + 1e-12)
    return sound + 10 ** (-direct_db / 20) * wet


def spectral_shape(sound: np.ndarray, tilt_db_per_octave: float = 0.0, lowpass_hz: float = 0.0,
                   highpass_hz: float = 0.0) -> np.ndarray:
    """A tilt around 1 kHz and smooth (4th-order magnitude) low- and high-pass limits."""
    if not (tilt_db_per_octave or lowpass_hz or highpass_hz) or len(sound) == 0:
        return sound
    n = len(sound)
    freqs = np.fft.rfftfreq(n, 1.0 / SAMPLE_RATE)
    gain = 10 ** (tilt_db_per_octave * np.log2(np.maximum(freqs, 20.0) / 1000.0) / 20)
    if lowpass_hz:
        gain = gain / np.sqrt(1.0 + (freqs / lowpass_hz) ** 4)
    if highpass_hz:
        gain = gain / np.sqrt(1.0 + (highpass_hz / np.maximum(freqs, 1e-3)) ** 4)
    return np.fft.irfft(np.fft.rfft(sound) * gain, n)


def augment_event(event: np.ndarray, augmentation: Dict) -> np.ndarray:
    """The event as the augmentation's room and distance make it (before the EBR scaling)."""
    rng = np.random.default_rng(int(augmentation["noise_seed"]))
    out = reverberate(event, augmentation["event_rt60_s"], augmentation["event_direct_db"], rng)
    return spectral_shape(out, lowpass_hz=augmentation["event_lowpass_hz"])


def augment_background(background: np.ndarray, augmentation: Dict) -> np.ndarray:
    """The background in the augmentation's scene colour (before any event is scaled to it)."""
    return spectral_shape(background, augmentation.get("background_tilt_db_per_octave", 0.0))


def augment_mixture(mixture: np.ndarray, augmentation: Dict) -> np.ndarray:
    """The mixture through the augmentation's microphone and level, peak-normalised only if it
    would clip (as the reference synthesizer does)."""
    out = spectral_shape(mixture, augmentation["tilt_db_per_octave"],
                         augmentation["lowpass_hz"], augmentation["highpass_hz"])
    out = band_limit(out, augmentation.get("chain_rate_hz", 0))
    out = out * 10 ** (augmentation["gain_db"] / 20)
    peak = float(np.max(np.abs(out))) if len(out) else 0.0
    return out / peak if peak >= 1.0 else out
