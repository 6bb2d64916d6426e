"""The embedded corpus: procedurally synthesized backgrounds and events in the DCASE 2017 layout.

Nothing is downloaded. Every sound is a pure function of ``(corpus_seed, uri)``: backgrounds are
``embedded:bgs/<location>_<k>.wav`` (a location is one parameter draw of its scene's generator),
events are ``embedded:events/<class>/<author>_<k>.wav`` (an author is one parameter draw of its
class's generator). ``embedded_source_data`` lists them as the same typed records the DCASE reader
returns, and ``export_corpus`` writes them as real files in the DCASE 2017 source-data layout.

How each sound is made is described in ``docs/corpus_card.md``.
"""
from __future__ import annotations

import hashlib
import os
from typing import Dict, List, Optional, Tuple

import numpy as np
import scipy.fft

from components.audio.audio_io import SAMPLE_RATE
from components.audio.records import (ALL_SCENES, BackgroundRecord, EventRecord, SourceData)

EMBEDDED_PREFIX = "embedded:"
# Part of the pipeline's cache key for data made from this corpus (datasets.data_version): change
# it whenever the synthesis of any sound changes, so that no cached mixtures of the old sounds
# are reused.
CORPUS_VERSION = "2026-12-06"
BACKGROUND_DURATION_S = 30.0
LOCATIONS_PER_SCENE = 10
TEST_LOCATIONS_PER_SCENE = 3
RECORDINGS_PER_LOCATION = 4
# (train events, test events, train authors, test authors, mean length s, std length s)
# babycry and glassbreak follow the DCASE 2017 counts and the paper's lengths; the four further
# source classes (for multi-class pre-training) are ours: different acoustic properties each
# (docs/corpus_card.md). Gunshot, the third DCASE class, is not synthesized.
EVENT_PLAN = {
    "babycry": (106, 42, 30, 12, 2.25, 0.98),
    "glassbreak": (96, 43, 28, 12, 1.16, 0.71),
    "dogbark": (90, 36, 24, 10, 1.3, 0.6),
    "speech": (90, 36, 24, 10, 2.0, 0.8),
    "alarm": (90, 36, 24, 10, 2.0, 0.8),
    "knock": (90, 36, 24, 10, 1.0, 0.45),
}
EVENT_LENGTH_LIMITS = {"babycry": (0.6, 5.5), "glassbreak": (0.3, 3.5), "dogbark": (0.3, 3.0),
                       "speech": (0.6, 4.0), "alarm": (0.5, 4.0), "knock": (0.3, 2.5)}
EVENT_PREFIX = {"babycry": "bc", "glassbreak": "gb", "dogbark": "db", "speech": "sp",
                "alarm": "al", "knock": "kn"}
# The embedded corpus's source classes for multi-class pre-training (``--source-classes``).
MULTI_SOURCE_CLASSES = ("babycry", "dogbark", "speech", "alarm", "knock")
EVENT_PADDING_S = 0.25   # silence around each event in its file; the segment excludes it

SCENE_SLUGS = {scene: scene.replace("/", "").replace("_", "") for scene in ALL_SCENES}
SLUG_SCENES = {slug: scene for scene, slug in SCENE_SLUGS.items()}


def stable_rng(corpus_seed: int, key: str) -> np.random.Generator:
    """A NumPy generator that depends only on the corpus seed and a string key."""
    digest = int(hashlib.sha256(key.encode("utf-8")).hexdigest()[:16], 16)
    return np.random.default_rng([int(corpus_seed), digest])


# ----------------------------------------------------------------------------- building blocks

def shaped_noise(n: int, rng: np.random.Generator, tilt_db_per_octave: float,
                 low_hz: float = 20.0, high_hz: float = 20000.0,
                 peaks: Tuple[Tuple[float, float, float], ...] = ()) -> np.ndarray:
    """White noise shaped in frequency: a spectral tilt, a band (18 dB/octave above ``high_hz``,
    24 dB/octave below ``low_hz``), and Gaussian peaks (hz, width, dB).

    The noise is drawn directly as a complex Gaussian spectrum (no forward FFT) and returned with
    unit standard deviation.
    """
    bins = n // 2 + 1
    spectrum = np.empty(bins, dtype=np.complex64)   # real parts drawn first, then imaginary
    spectrum.real = rng.standard_normal(bins, dtype=np.float32)
    spectrum.imag = rng.standard_normal(bins, dtype=np.float32)
    freqs = np.fft.rfftfreq(n, 1.0 / SAMPLE_RATE).astype(np.float32)
    octaves = np.log2(np.maximum(freqs, 1.0) / 1000.0)
    gain_db = tilt_db_per_octave * octaves
    for centre, width, level_db in peaks:
        gain_db = gain_db + level_db * np.exp(-0.5 * ((freqs - centre) / width) ** 2)
    # Smooth roll-offs outside the band (as microphones and rooms give), not brick walls: a hard
    # cut would leave an empty band in which any event stands out.
    gain_db = gain_db - 18.0 * np.log2(np.maximum(freqs, high_hz) / high_hz)
    gain_db = gain_db - 24.0 * np.log2(low_hz / np.clip(freqs, 1.0, low_hz))
    gain = (10.0 ** (gain_db / 20.0)).astype(np.float32)
    out = scipy.fft.irfft(spectrum * gain, n).astype(np.float64)
    return out / (np.std(out) + 1e-12)


def fractional_part(x: np.ndarray, out: Optional[np.ndarray] = None) -> np.ndarray:
    """``x % 1.0`` for ``x >= 0``, bit for bit (both are exact), about 6x faster than NumPy's
    floating-point remainder; into ``out`` when given (``out=x``: in place)."""
    return np.subtract(x, np.floor(x), out=out)


CONTROL_STEP = 64   # samples per control-rate value for slow envelopes and pitch contours


def control_interp(n: int, knots: np.ndarray) -> np.ndarray:
    """Spread ``knots`` evenly over ``n`` samples: linear at control rate, then held per step."""
    steps = n // CONTROL_STEP + 1
    coarse = np.interp(np.arange(steps), np.linspace(0, steps, len(knots)), knots)
    return np.repeat(coarse, CONTROL_STEP)[:n]


def slow_envelope(n: int, rng: np.random.Generator, rate_hz: float, depth: float) -> np.ndarray:
    """A smooth random gain between 1 - depth and 1, changing about ``rate_hz`` times a second."""
    points = max(4, int(n / SAMPLE_RATE * rate_hz) + 2)
    return control_interp(n, rng.uniform(1.0 - depth, 1.0, points))


def harmonic_tone(f0: np.ndarray, n_harmonics: int, rolloff: float,
                  formants: Tuple[Tuple[float, float], ...], rng: np.random.Generator) -> np.ndarray:
    """A harmonic sound from a per-sample f0 contour, harmonics weighted by rolloff and formants.

    Each harmonic is ``weight * sin(k * phase + random phase)``, computed in one reused buffer
    (the same operations in the same order as with temporaries: the same bits, faster)."""
    phase = 2 * np.pi * np.cumsum(f0) / SAMPLE_RATE
    out = np.zeros_like(f0)
    harmonic = np.empty_like(phase)
    mean_f0 = float(np.mean(f0))
    for k in range(1, n_harmonics + 1):
        fk = k * mean_f0
        if fk > 16000:
            break
        weight = k ** -rolloff
        for centre, width in formants:
            weight *= 1.0 + 4.0 * np.exp(-0.5 * ((fk - centre) / width) ** 2)
        np.multiply(k, phase, out=harmonic)
        harmonic += rng.uniform(0, 2 * np.pi)
        np.sin(harmonic, out=harmonic)
        harmonic *= weight
        out += harmonic
    return out


def contour(n: int, rng: np.random.Generator, base_hz: float, spread: float,
            rate_hz: float) -> np.ndarray:
    """A smooth random pitch contour around ``base_hz`` (relative spread)."""
    points = max(3, int(n / SAMPLE_RATE * rate_hz) + 2)
    return control_interp(n, base_hz * np.exp(rng.normal(0.0, spread, points)))


def damped_partials(n: int, rng: np.random.Generator, freqs: np.ndarray,
                    decays_s: np.ndarray) -> np.ndarray:
    """Sum of exponentially decaying sinusoids (struck glass, metal, cutlery)."""
    t = np.arange(n) / SAMPLE_RATE
    out = np.zeros(n)
    for freq, decay in zip(freqs, decays_s):
        out += np.exp(-t / decay) * np.sin(2 * np.pi * freq * t + rng.uniform(0, 2 * np.pi))
    return out / max(1, len(freqs)) ** 0.5


def fade(sound: np.ndarray, attack_s: float, release_s: float) -> np.ndarray:
    """Linear fade-in and fade-out, so placed sounds do not click."""
    n = len(sound)
    a = min(n // 2, max(1, int(attack_s * SAMPLE_RATE)))
    r = min(n // 2, max(1, int(release_s * SAMPLE_RATE)))
    env = np.ones(n)
    env[:a] = np.linspace(0, 1, a)
    env[n - r:] = np.linspace(1, 0, r)
    return sound * env


def place(track: np.ndarray, sound: np.ndarray, start: int, gain: float) -> None:
    """Add ``gain * sound`` into ``track`` at ``start``, cropped at the end."""
    end = min(len(track), start + len(sound))
    if end > start >= 0:
        track[start:end] += gain * sound[: end - start]


# ----------------------------------------------------------------------------- short sounds

def sound_clink(rng: np.random.Generator) -> np.ndarray:
    """A cup, cutlery or glass tap: a few high damped partials (distractor for glass break)."""
    n = int(rng.uniform(0.08, 0.35) * SAMPLE_RATE)
    base = rng.uniform(1800, 6000)
    freqs = base * np.array([1.0, rng.uniform(2.2, 2.9), rng.uniform(4.1, 5.3)])
    return damped_partials(n, rng, freqs, rng.uniform(0.02, 0.12, 3))


def sound_keys(rng: np.random.Generator) -> np.ndarray:
    """A key jingle: a short cluster of metallic clinks (distractor for glass break)."""
    n = int(rng.uniform(0.2, 0.6) * SAMPLE_RATE)
    out = np.zeros(n)
    for _ in range(rng.integers(3, 8)):
        place(out, sound_clink(rng), int(rng.uniform(0, 0.7) * n), rng.uniform(0.3, 1.0))
    return out


def sound_step(rng: np.random.Generator) -> np.ndarray:
    """A footstep or door knock: a low-passed noise thud."""
    n = int(rng.uniform(0.04, 0.12) * SAMPLE_RATE)
    noise = shaped_noise(n, rng, -9.0, 40, rng.uniform(800, 3000))
    return noise * np.exp(-np.arange(n) / (0.02 * SAMPLE_RATE))


def sound_click(rng: np.random.Generator) -> np.ndarray:
    """A keyboard key or page turn: a very short broadband click."""
    n = int(rng.uniform(0.004, 0.015) * SAMPLE_RATE)
    return shaped_noise(n, rng, 0.0, 500, 12000) * np.hanning(n)


def sound_chirp(rng: np.random.Generator) -> np.ndarray:
    """A bird chirp: a fast frequency sweep with a harmonic."""
    n = int(rng.uniform(0.05, 0.25) * SAMPLE_RATE)
    f = np.linspace(rng.uniform(2000, 5000), rng.uniform(2500, 7000), n)
    phase = 2 * np.pi * np.cumsum(f) / SAMPLE_RATE
    return fade(np.sin(phase) + 0.3 * np.sin(2 * phase), 0.005, 0.02)


def sound_song(rng: np.random.Generator) -> np.ndarray:
    """A bird's song phrase: a trill of 3-30 short notes (10-60 ms, 6-25 a second) at 1.2-10 kHz.

    Each note is a fast frequency sweep (mostly downwards) with a sharp attack and a weak second
    harmonic; pitch and level wander from note to note and drift over the phrase. Real birdsong
    trills are many small bright onsets, as a glass break's falling shards are: a tagger should
    learn that they are not glass."""
    rate_hz = rng.uniform(6.0, 25.0)
    count = int(rng.integers(3, 31))
    note_s = min(rng.uniform(0.01, 0.06), 0.85 / rate_hz)
    base_hz = rng.uniform(2000.0, 8000.0)
    sweep = rng.uniform(-0.6, 0.3)          # relative change of frequency over one note
    drift = rng.uniform(-0.3, 0.2)          # relative change of the notes' pitch over the phrase
    jitter = rng.uniform(0.0, 0.15)         # note-to-note pitch wander (warble when large)
    second = rng.uniform(0.0, 0.4)          # second harmonic's weight
    m = max(8, int(note_s * SAMPLE_RATE))
    shape = np.linspace(0.0, 1.0, m)
    attack = max(1, int(rng.uniform(0.001, 0.005) * SAMPLE_RATE))
    envelope = np.minimum(1.0, np.arange(m) / attack) * (1.0 - shape) ** rng.uniform(0.5, 2.0)
    out = np.zeros(int((count / rate_hz + note_s) * SAMPLE_RATE) + m)
    for k in range(count):
        start_hz = base_hz * (1.0 + drift * k / max(1, count - 1)) * np.exp(rng.normal(0, jitter))
        f = np.clip(start_hz * (1.0 + sweep * shape), 1200.0, 10000.0)
        phase = 2 * np.pi * np.cumsum(f) / SAMPLE_RATE
        note = (np.sin(phase) + second * np.sin(2 * phase)) * envelope
        place(out, note, int(k / rate_hz * SAMPLE_RATE), rng.uniform(0.5, 1.0))
    return out


def sound_call(rng: np.random.Generator, base_hz: Tuple[float, float]) -> np.ndarray:
    """An animal call (gull, cat, crow): a short voiced sound with a fast pitch sweep.

    A distractor for baby cry: harmonic like a cry, but shorter, higher and sweeping.
    """
    n = int(rng.uniform(0.15, 0.5) * SAMPLE_RATE)
    sweep = np.linspace(rng.uniform(0.7, 1.0), rng.uniform(1.1, 1.5), n)
    f0 = rng.uniform(*base_hz) * (sweep if rng.random() < 0.5 else sweep[::-1])
    formants = ((rng.uniform(1500, 2500), 400.0), (rng.uniform(3500, 5000), 600.0))
    tone = harmonic_tone(f0, 10, 1.6, formants, rng)
    return fade(tone, 0.02, 0.08)


def sound_beep(rng: np.random.Generator) -> np.ndarray:
    """A checkout or door beep: a pure tone."""
    n = int(rng.uniform(0.08, 0.3) * SAMPLE_RATE)
    return fade(np.sin(2 * np.pi * rng.uniform(900, 3200) * np.arange(n) / SAMPLE_RATE),
                0.005, 0.005)


def sound_door(rng: np.random.Generator) -> np.ndarray:
    """A door slam or dropped object: a broadband impact with a short rattle (distractor for
    glass break: a sharp onset without the glassy ringing)."""
    n = int(rng.uniform(0.15, 0.5) * SAMPLE_RATE)
    t = np.arange(n) / SAMPLE_RATE
    thump = shaped_noise(n, rng, -6.0, 40, rng.uniform(3000, 9000)) * np.exp(-t / rng.uniform(0.02, 0.08))
    rattle = damped_partials(n, rng, rng.uniform(150, 900, 4), rng.uniform(0.03, 0.15, 4))
    return fade(thump + 0.4 * rattle, 0.001, 0.02)


def sound_voice(rng: np.random.Generator) -> np.ndarray:
    """One talker's phrase (a shout, a call across the room, a TV voice): voiced, 0.4-1.8 s
    (distractor for baby cry, and a salient non-glass event in homes and offices)."""
    n = int(rng.uniform(0.4, 1.8) * SAMPLE_RATE)
    f0 = contour(n, rng, rng.uniform(110, 300), 0.15, 5)
    formants = ((rng.uniform(400, 800), 200.0), (rng.uniform(1100, 2000), 300.0))
    syllables = slow_envelope(n, rng, rng.uniform(3, 6), 0.9)
    return fade(harmonic_tone(f0, 16, 1.0, formants, rng) * syllables, 0.03, 0.08)


SHORT_SOUNDS = {
    "clink": sound_clink,
    "keys": sound_keys,
    "step": sound_step,
    "click": sound_click,
    "chirp": sound_chirp,
    "song": sound_song,
    "call": lambda rng: sound_call(rng, (650.0, 1300.0)),
    "beep": sound_beep,
    "door": sound_door,
    "voice": sound_voice,
}


# ----------------------------------------------------------------------------- textures

def texture_babble(n: int, rng: np.random.Generator, voices: int) -> np.ndarray:
    """Voice babble: several voiced sawtooth sources with syllabic gating and speech formants."""
    out = np.zeros(n)
    for _ in range(voices):
        f0 = contour(n, rng, rng.uniform(95, 240), 0.15, 4)
        # saw * syllables**2 * level with saw = 2 frac(cumsum(f0) / sr) - 1, computed in place
        # (the same operations in the same order: the same bits, fewer passes over memory)
        saw = np.cumsum(f0)
        saw /= SAMPLE_RATE
        fractional_part(saw, out=saw)
        saw *= 2.0
        saw -= 1.0
        syllables = slow_envelope(n, rng, rng.uniform(3, 6), 1.0)
        np.square(syllables, out=syllables)
        saw *= syllables
        saw *= rng.uniform(0.4, 1.0)
        out += saw
    spectrum = scipy.fft.rfft(out.astype(np.float32))
    shaped = scipy.fft.irfft(spectrum * _formant_gain(n).astype(np.float32), n).astype(np.float64)
    return shaped / (np.std(shaped) + 1e-12)


def _formant_gain(n: int) -> np.ndarray:
    freqs = np.fft.rfftfreq(n, 1.0 / SAMPLE_RATE)
    gain = np.zeros_like(freqs)
    for centre, width in ((550, 250), (1500, 400), (2600, 500)):
        gain += np.exp(-0.5 * ((freqs - centre) / width) ** 2)
    gain[freqs < 80] = 0
    return gain


def texture_hum(n: int, rng: np.random.Generator, f0: float) -> np.ndarray:
    """Mains or engine hum: a few harmonics of ``f0`` with slow wobble."""
    t = np.arange(n, dtype=np.float32) / SAMPLE_RATE
    wobble = 1.0 + 0.002 * np.sin(2 * np.pi * rng.uniform(0.05, 0.3) * t)
    out = sum((k ** -1.2) * np.sin(2 * np.pi * k * f0 * t * wobble + rng.uniform(0, 6.28))
              for k in range(1, 6))
    return out / (np.std(out) + 1e-12)


# Per scene: base noise (tilt dB/octave, low Hz, high Hz), modulation (rate Hz, depth),
# textures {name: level dB}, short sounds {name: events per minute}, and the short sounds'
# level (dB; +3 dB gives their mean RMS ratio to the background, cf. the events' EBR).
SCENE_RECIPES: Dict[str, dict] = {
    "beach": dict(noise=(-4.5, 30, 12000), mod=(0.12, 0.8), textures={"wind": -6},
                  sounds={"voice": 4, "call": 3, "step": 10, "chirp": 4, "song": 6}, level=-8),
    "bus": dict(noise=(-7.0, 25, 8000), mod=(0.3, 0.3), textures={"hum": -2, "babble": -10},
                sounds={"voice": 4, "door": 3, "call": 2, "beep": 2, "step": 6}, level=-10),
    "cafe/restaurant": dict(noise=(-5.0, 60, 10000), mod=(1.0, 0.3), textures={"babble": 0},
                            sounds={"voice": 8, "call": 3, "clink": 25, "step": 8}, level=-9),
    "car": dict(noise=(-8.0, 20, 6000), mod=(0.2, 0.3), textures={"hum": 0},
                sounds={"door": 2, "voice": 2, "click": 4, "beep": 1}, level=-12),
    "city_center": dict(noise=(-6.0, 25, 12000), mod=(0.3, 0.5),
                        textures={"hum": -8, "babble": -6},
                        sounds={"voice": 6, "door": 3, "call": 3, "step": 30, "beep": 2}, level=-8),
    "forest_path": dict(noise=(-3.5, 80, 14000), mod=(0.15, 0.6), textures={"wind": -4},
                        sounds={"voice": 2, "chirp": 40, "step": 20, "call": 3, "song": 40}, level=-8),
    "grocery_store": dict(noise=(-5.5, 50, 10000), mod=(0.5, 0.3),
                          textures={"babble": -4, "hum": -10},
                          sounds={"voice": 6, "door": 3, "beep": 10, "call": 4, "clink": 4, "step": 10}, level=-9),
    "home": dict(noise=(-6.5, 30, 9000), mod=(0.2, 0.3), textures={"hum": -12, "babble": -16},
                 sounds={"door": 8, "voice": 8, "clink": 12, "keys": 3, "step": 12, "click": 10}, level=-8),
    "library": dict(noise=(-6.0, 40, 9000), mod=(0.1, 0.2), textures={"hum": -14},
                    sounds={"door": 4, "voice": 3, "click": 20, "step": 10, "clink": 3, "keys": 2}, level=-12),
    "metro_station": dict(noise=(-6.5, 25, 10000), mod=(0.1, 0.6),
                          textures={"hum": -4, "babble": -8},
                          sounds={"door": 8, "voice": 6, "step": 30, "beep": 3, "clink": 4, "keys": 2}, level=-9),
    "office": dict(noise=(-6.0, 40, 10000), mod=(0.2, 0.2), textures={"hum": -10, "babble": -12},
                   sounds={"door": 6, "voice": 8, "click": 60, "clink": 8, "keys": 3, "step": 8}, level=-11),
    "park": dict(noise=(-4.0, 40, 12000), mod=(0.2, 0.5), textures={"wind": -6, "babble": -14},
                 sounds={"voice": 6, "door": 2, "chirp": 20, "step": 15, "clink": 3, "keys": 2,
                          "song": 30}, level=-9),
    "residential_area": dict(noise=(-5.5, 25, 12000), mod=(0.15, 0.5),
                             textures={"hum": -10, "wind": -10},
                             sounds={"door": 6, "voice": 4, "chirp": 10, "step": 10, "keys": 3, "clink": 3,
                                     "song": 15}, level=-9),
    "train": dict(noise=(-7.5, 20, 8000), mod=(0.5, 0.3), textures={"hum": -2, "babble": -14},
                  sounds={"door": 5, "voice": 6, "click": 6, "clink": 5, "step": 5, "keys": 1}, level=-10),
    "tram": dict(noise=(-7.0, 20, 9000), mod=(0.4, 0.3), textures={"hum": -3, "babble": -12},
                 sounds={"door": 4, "voice": 4, "beep": 4, "step": 6, "clink": 3}, level=-10),
}


def location_params(corpus_seed: int, scene: str, location: str) -> dict:
    """One parameter draw of a scene's generator: what makes one recording location distinct."""
    rng = stable_rng(corpus_seed, "location:" + location)
    recipe = SCENE_RECIPES[scene]
    tilt, low, high = recipe["noise"]
    return dict(
        tilt=tilt + rng.normal(0, 0.8),
        low=low * rng.uniform(0.7, 1.4),
        high=min(20000.0, high * rng.uniform(0.7, 1.3)),
        peaks=tuple((rng.uniform(100, 4000), rng.uniform(30, 400), rng.uniform(-3, 8))
                    for _ in range(rng.integers(1, 4))),
        mod_rate=recipe["mod"][0] * rng.uniform(0.6, 1.6),
        mod_depth=float(np.clip(recipe["mod"][1] * rng.uniform(0.6, 1.3), 0, 0.95)),
        hum_f0=float(rng.choice([50.0, 60.0]) if scene in ("home", "office", "library")
                     else rng.uniform(28, 110)),
        texture_db={k: v + rng.normal(0, 2.0) for k, v in recipe["textures"].items()},
        sound_rates={k: v * rng.uniform(0.5, 1.6) for k, v in recipe["sounds"].items()},
        sound_db=recipe["level"] + 3.0 + rng.normal(0, 2.0),
        gain_db=rng.uniform(-32, -20),
        voices=int(rng.integers(2, 7)),
    )


def synthesize_background(corpus_seed: int, scene: str, location: str, recording: int,
                          duration_s: float = BACKGROUND_DURATION_S) -> np.ndarray:
    """One background recording of ``scene`` at ``location``: float64 mono at 44.1 kHz."""
    p = location_params(corpus_seed, scene, location)
    rng = stable_rng(corpus_seed, f"background:{location}:{recording}")
    n = int(round(duration_s * SAMPLE_RATE))
    out = shaped_noise(n, rng, p["tilt"], p["low"], p["high"], p["peaks"])
    out *= slow_envelope(n, rng, p["mod_rate"], p["mod_depth"])
    for name, level_db in p["texture_db"].items():
        gain = 10 ** (level_db / 20)
        if name == "babble":
            texture = texture_babble(n, rng, p["voices"])
        elif name == "hum":
            texture = texture_hum(n, rng, p["hum_f0"])
        elif name == "wind":
            texture = shaped_noise(n, rng, -9.0, 20, 2000)
            texture *= slow_envelope(n, rng, 0.5, 0.9)
        else:
            continue
        texture *= gain
        out += texture
    # Short sounds sit at a distractor-to-background ratio (RMS, like the events' EBR) around the
    # scene's level, so that loudness alone does not give the target events away.
    background_rms = float(np.sqrt(np.mean(out ** 2)))
    for name, per_minute in p["sound_rates"].items():
        count = rng.poisson(per_minute * duration_s / 60.0)
        for _ in range(count):
            sound = SHORT_SOUNDS[name](rng)
            ratio_db = p["sound_db"] + rng.normal(0, 3)
            gain = background_rms * 10 ** (ratio_db / 20) / (np.sqrt(np.mean(sound ** 2)) + 1e-12)
            place(out, sound, int(rng.integers(0, n)), gain)
    out /= np.sqrt(np.mean(out ** 2)) + 1e-12
    out *= 10 ** (p["gain_db"] / 20)
    return out


# ----------------------------------------------------------------------------- target events

def author_params(corpus_seed: int, event_class: str, author: str) -> dict:
    """One parameter draw of an event class's generator: one author's recording character."""
    rng = stable_rng(corpus_seed, f"author:{event_class}:{author}")
    if event_class == "babycry":
        return dict(f0=rng.uniform(330, 560), spread=rng.uniform(0.05, 0.18),
                    vibrato=rng.uniform(4, 9), rolloff=rng.uniform(0.7, 1.4),
                    formants=((rng.uniform(900, 1500), 300.0), (rng.uniform(2500, 3800), 500.0)),
                    breath_db=rng.uniform(-30, -14), phrases=rng.uniform(1.0, 2.5),
                    room_tilt=rng.uniform(-3, 1))
    if event_class != "glassbreak":
        return source_author_params(event_class, rng)
    return dict(brightness=rng.uniform(2500, 6500), partials=int(rng.integers(8, 24)),
                decay=rng.uniform(0.05, 0.3), crash_db=rng.uniform(-6, 3),
                shards=rng.uniform(8, 30), shard_decay=rng.uniform(0.015, 0.08),
                room_tilt=rng.uniform(-3, 1))


def source_author_params(event_class: str, rng: np.random.Generator) -> dict:
    """Parameter draws of the further source classes (dog bark, speech, alarm, knock)."""
    if event_class == "dogbark":
        return dict(f0=rng.uniform(250, 700), size=rng.uniform(0.6, 1.4), rough_db=rng.uniform(-12, -3),
                    bark_s=rng.uniform(0.12, 0.3), gap_s=rng.uniform(0.1, 0.5),
                    formant=rng.uniform(700, 1600), room_tilt=rng.uniform(-3, 1))
    if event_class == "speech":
        return dict(f0=rng.uniform(95, 260), spread=rng.uniform(0.08, 0.2),
                    syllable_hz=rng.uniform(3.0, 6.0), f1=rng.uniform(450, 800),
                    f2=rng.uniform(1100, 2200), fricative_db=rng.uniform(-24, -10),
                    room_tilt=rng.uniform(-3, 1))
    if event_class == "alarm":
        return dict(freq=rng.uniform(600, 3500), second=rng.uniform(0.6, 1.6),
                    beep_s=rng.uniform(0.06, 0.4), duty=rng.uniform(0.3, 0.7),
                    square=rng.uniform(0.0, 1.0), room_tilt=rng.uniform(-3, 1))
    body_hz = rng.uniform(120, 450)
    rng.integers(2, 6)   # a draw kept so the measured corpus stays the same (was a knock count)
    return dict(body_hz=body_hz, spacing_s=rng.uniform(0.12, 0.35),
                hardness=rng.uniform(0.004, 0.02), room_tilt=rng.uniform(-3, 1))


def event_length_s(corpus_seed: int, event_class: str, uri: str) -> float:
    """The event's annotated length, drawn from the paper's mean and standard deviation."""
    mean, std = EVENT_PLAN[event_class][4:6]
    low, high = EVENT_LENGTH_LIMITS[event_class]
    rng = stable_rng(corpus_seed, "length:" + uri)
    return round(float(np.clip(rng.normal(mean, std), low, high)), 1)  # 100 ms annotation step


def synthesize_baby_cry(corpus_seed: int, author: str, uri: str, length_s: float) -> np.ndarray:
    """A baby cry: one to three voiced phrases, rising-falling pitch with vibrato, formants."""
    p = author_params(corpus_seed, "babycry", author)
    rng = stable_rng(corpus_seed, "event:" + uri)
    n = int(length_s * SAMPLE_RATE)
    out = np.zeros(n)
    phrases = max(1, min(3, int(round(length_s / p["phrases"]))))
    bounds = np.sort(rng.uniform(0, 1, phrases - 1)) * n
    edges = np.concatenate([[0], bounds, [n]]).astype(int)
    for start, end in zip(edges[:-1], edges[1:]):
        gap = int(min(0.2 * SAMPLE_RATE, 0.15 * (end - start))) if end < n else 0
        m = end - start - gap
        if m < 0.1 * SAMPLE_RATE:
            continue
        t = np.arange(m) / SAMPLE_RATE
        arc = np.sin(np.pi * np.arange(m) / m) ** 0.5
        f0 = (contour(m, rng, p["f0"], p["spread"], 3) * (0.85 + 0.25 * arc)
              * (1 + 0.02 * np.sin(2 * np.pi * p["vibrato"] * t)))
        phrase = harmonic_tone(f0, 20, p["rolloff"], p["formants"], rng)
        phrase += 10 ** (p["breath_db"] / 20) * shaped_noise(m, rng, -2, 300, 8000)
        out[start:start + m] = fade(phrase * arc, 0.05, 0.1)
    return _finish_event(out, p["room_tilt"], rng)


def synthesize_glass_break(corpus_seed: int, author: str, uri: str, length_s: float) -> np.ndarray:
    """A glass break: a broadband crash, inharmonic ringing partials and a tail of falling shards."""
    p = author_params(corpus_seed, "glassbreak", author)
    rng = stable_rng(corpus_seed, "event:" + uri)
    n = int(length_s * SAMPLE_RATE)
    t = np.arange(n) / SAMPLE_RATE
    crash = shaped_noise(n, rng, 1.0, 1000, 18000) * np.exp(-t / rng.uniform(0.02, 0.07))
    freqs = p["brightness"] * rng.uniform(0.5, 2.4, p["partials"])
    ring = damped_partials(n, rng, freqs, p["decay"] * rng.uniform(0.3, 1.5, p["partials"]))
    out = 10 ** (p["crash_db"] / 20) * crash + ring
    shards = rng.poisson(p["shards"] * length_s)
    for _ in range(shards):
        start = int(n * rng.uniform(0, 1) ** 1.7)   # denser at the start
        m = int(rng.uniform(0.02, 0.12) * SAMPLE_RATE)
        shard = damped_partials(m, rng, p["brightness"] * rng.uniform(0.8, 3.0, 3),
                                np.full(3, p["shard_decay"]))
        place(out, shard, start, rng.uniform(0.1, 0.6) * np.exp(-start / n))
    return _finish_event(fade(out, 0.001, 0.03), p["room_tilt"], rng)


def synthesize_dog_bark(corpus_seed: int, author: str, uri: str, length_s: float) -> np.ndarray:
    """Dog barks: short loud voiced bursts with a falling pitch, a noisy rough edge and a gap."""
    p = author_params(corpus_seed, "dogbark", author)
    rng = stable_rng(corpus_seed, "event:" + uri)
    n = int(length_s * SAMPLE_RATE)
    out = np.zeros(n)
    start = 0
    while start < n - int(0.08 * SAMPLE_RATE):
        m = min(n - start, int(p["bark_s"] * rng.uniform(0.7, 1.3) * SAMPLE_RATE))
        fall = np.linspace(rng.uniform(1.1, 1.4), rng.uniform(0.6, 0.85), m)
        tone = harmonic_tone(p["f0"] * fall, 14, 1.1 * p["size"], ((p["formant"], 350.0),), rng)
        rough = shaped_noise(m, rng, -3.0, 200, 7000)
        burst = (tone / (np.std(tone) + 1e-12) + 10 ** (p["rough_db"] / 20) * rough)
        burst *= np.exp(-np.arange(m) / (0.35 * m))
        out[start:start + m] += fade(burst, 0.004, 0.04)
        start += m + int(p["gap_s"] * rng.uniform(0.6, 1.4) * SAMPLE_RATE)
    return _finish_event(out, p["room_tilt"], rng)


def synthesize_speech(corpus_seed: int, author: str, uri: str, length_s: float) -> np.ndarray:
    """One talker: voiced syllables (pitch contour, two moving formants) and fricative bursts."""
    p = author_params(corpus_seed, "speech", author)
    rng = stable_rng(corpus_seed, "event:" + uri)
    n = int(length_s * SAMPLE_RATE)
    f0 = contour(n, rng, p["f0"], p["spread"], 4)
    f1 = p["f1"] * rng.uniform(0.8, 1.2)
    f2 = p["f2"] * rng.uniform(0.8, 1.2)
    voiced = harmonic_tone(f0, 24, 1.0, ((f1, 150.0), (f2, 250.0)), rng)
    syllables = slow_envelope(n, rng, p["syllable_hz"], 0.95) ** 2
    out = voiced / (np.std(voiced) + 1e-12) * syllables
    for _ in range(rng.poisson(p["syllable_hz"] * length_s * 0.4)):
        m = int(rng.uniform(0.04, 0.12) * SAMPLE_RATE)
        hiss = shaped_noise(m, rng, 2.0, 3000, 10000) * np.hanning(m)
        place(out, hiss, int(rng.uniform(0, 1) * n), 10 ** (p["fricative_db"] / 20) * 3)
    return _finish_event(fade(out, 0.03, 0.08), p["room_tilt"], rng)


def synthesize_alarm(corpus_seed: int, author: str, uri: str, length_s: float) -> np.ndarray:
    """An alarm or timer: a steady pattern of beeps (one or two pitches), sine to square-ish."""
    p = author_params(corpus_seed, "alarm", author)
    rng = stable_rng(corpus_seed, "event:" + uri)
    n = int(length_s * SAMPLE_RATE)
    t = np.arange(n) / SAMPLE_RATE
    period = p["beep_s"] / p["duty"]
    index = np.floor(t / period).astype(int)
    gate = ((t % period) < p["beep_s"]).astype(float)
    freq = np.where(index % 2 == 1, p["freq"] * p["second"], p["freq"])
    phase = 2 * np.pi * np.cumsum(freq) / SAMPLE_RATE
    tone = np.sin(phase) + p["square"] * (np.sin(3 * phase) / 3 + np.sin(5 * phase) / 5)
    ramp = int(0.004 * SAMPLE_RATE)
    smooth = np.convolve(gate, np.ones(ramp) / ramp, mode="same")
    return _finish_event(tone * smooth * rng.uniform(0.8, 1.0), p["room_tilt"], rng)


def synthesize_knock(corpus_seed: int, author: str, uri: str, length_s: float) -> np.ndarray:
    """Knocks on a door or table: a few sharp wooden impacts (a low body resonance and a click)."""
    p = author_params(corpus_seed, "knock", author)
    rng = stable_rng(corpus_seed, "event:" + uri)
    n = int(length_s * SAMPLE_RATE)
    out = np.zeros(n)
    start = 0
    while start < n - int(0.05 * SAMPLE_RATE):
        m = min(n - start, int(0.15 * SAMPLE_RATE))
        t = np.arange(m) / SAMPLE_RATE
        body = damped_partials(m, rng, p["body_hz"] * np.array([1.0, 2.3, 3.9]),
                               np.array([0.04, 0.02, 0.01]))
        click = shaped_noise(m, rng, -3.0, 300, 8000) * np.exp(-t / p["hardness"])
        out[start:start + m] += rng.uniform(0.6, 1.0) * (body + 0.7 * click)
        start += int(p["spacing_s"] * rng.uniform(0.8, 1.25) * SAMPLE_RATE)
    return _finish_event(fade(out, 0.001, 0.02), p["room_tilt"], rng)


EVENT_SYNTHESIZERS = {"babycry": synthesize_baby_cry, "glassbreak": synthesize_glass_break,
                      "dogbark": synthesize_dog_bark, "speech": synthesize_speech,
                      "alarm": synthesize_alarm, "knock": synthesize_knock}


def _finish_event(sound: np.ndarray, room_tilt: float, rng: np.random.Generator) -> np.ndarray:
    """Recording colour of the author's set-up, then a peak level like an isolated Freesound clip."""
    coloured = np.fft.irfft(np.fft.rfft(sound) * _tilt_gain(len(sound), room_tilt), len(sound))
    return coloured / (np.max(np.abs(coloured)) + 1e-12) * rng.uniform(0.3, 0.9)


def _tilt_gain(n: int, tilt_db_per_octave: float) -> np.ndarray:
    freqs = np.fft.rfftfreq(n, 1.0 / SAMPLE_RATE)
    return 10 ** (tilt_db_per_octave * np.log2(np.maximum(freqs, 20.0) / 1000.0) / 20)


# ----------------------------------------------------------------------------- records and I/O

def _parse_uri(uri: str) -> Tuple[str, List[str]]:
    if not uri.startswith(EMBEDDED_PREFIX):
        raise ValueError(f"{uri}: not an embedded corpus uri (expected '{EMBEDDED_PREFIX}...')")
    path = uri[len(EMBEDDED_PREFIX):]
    return path, os.path.splitext(os.path.basename(path))[0].split("_")


def synthesize_file(corpus_seed: int, uri: str) -> np.ndarray:
    """The whole 'file' behind an embedded uri (an event file includes its padding)."""
    path, parts = _parse_uri(uri)
    if path.startswith("sounds/"):   # a short sound of the backgrounds, alone (hard_negatives)
        name, variant = parts[0], int(parts[1])
        if name not in SHORT_SOUNDS:
            raise ValueError(f"{uri}: no short sound {name!r} (known: {sorted(SHORT_SOUNDS)})")
        sound = SHORT_SOUNDS[name](stable_rng(corpus_seed, f"sound:{name}:{variant}"))
        return sound / (np.max(np.abs(sound)) + 1e-12) * 0.5
    if path.startswith("bgs/"):
        location, recording = parts[0], int(parts[1])
        scene = SLUG_SCENES[location.rstrip("0123456789")]
        return synthesize_background(corpus_seed, scene, location, recording)
    event_class = path.split("/")[1]
    author = parts[0]
    length = event_length_s(corpus_seed, event_class, uri)
    event = EVENT_SYNTHESIZERS[event_class](corpus_seed, author, uri, length)
    pad = np.zeros(int(EVENT_PADDING_S * SAMPLE_RATE))
    return np.concatenate([pad, event, pad])


def embedded_source_data(corpus_seed: int) -> SourceData:
    """List the embedded corpus as typed records (no audio is synthesized here)."""
    backgrounds: Dict[str, List[BackgroundRecord]] = {"train": [], "test": []}
    for scene in ALL_SCENES:
        for loc in range(LOCATIONS_PER_SCENE):
            location = f"{SCENE_SLUGS[scene]}{loc:02d}"
            subset = "test" if loc >= LOCATIONS_PER_SCENE - TEST_LOCATIONS_PER_SCENE else "train"
            for rec in range(RECORDINGS_PER_LOCATION):
                backgrounds[subset].append(BackgroundRecord(
                    uri=f"{EMBEDDED_PREFIX}bgs/{location}_{rec}.wav", scene=scene,
                    location=location, duration_s=BACKGROUND_DURATION_S))
    events: Dict[str, List[EventRecord]] = {"train": [], "test": []}
    for event_class, (n_train, n_test, a_train, a_test, _, _) in EVENT_PLAN.items():
        prefix = EVENT_PREFIX[event_class]
        for subset, count, authors, first in (("train", n_train, a_train, 0),
                                              ("test", n_test, a_test, a_train)):
            rng = stable_rng(corpus_seed, f"authorship:{event_class}:{subset}")
            owners = np.concatenate([np.arange(authors),
                                     rng.integers(0, authors, count - authors)])
            per_author: Dict[int, int] = {}
            for owner in sorted(owners.tolist()):
                k = per_author.get(owner, 0)
                per_author[owner] = k + 1
                author = f"{prefix}author{first + owner:03d}"
                uri = f"{EMBEDDED_PREFIX}events/{event_class}/{author}_{k}.wav"
                length = event_length_s(corpus_seed, event_class, uri)
                events[subset].append(EventRecord(
                    uri=uri, event_class=event_class, author=author,
                    segment=(EVENT_PADDING_S, round(EVENT_PADDING_S + length, 4))))
    return SourceData(data_root=f"{EMBEDDED_PREFIX}seed={int(corpus_seed)}",
                      backgrounds=backgrounds, events=events)


def export_corpus(corpus_seed: int, output_dir: str, subtype: str = "PCM_24") -> SourceData:
    """Write the embedded corpus as real files in the DCASE 2017 Task 2 source-data layout."""
    import soundfile
    import yaml
    data = embedded_source_data(corpus_seed)
    base = os.path.join(output_dir, "source_data")
    os.makedirs(os.path.join(base, "bgs", "audio"), exist_ok=True)
    os.makedirs(os.path.join(base, "cv_setup"), exist_ok=True)
    meta_lines = []
    for subset, stem in (("train", "devtrain"), ("test", "devtest")):
        entries = []
        for index, bg in enumerate(data.backgrounds[subset]):
            name = os.path.basename(bg.uri)
            soundfile.write(os.path.join(base, "bgs", "audio", name),
                            synthesize_file(corpus_seed, bg.uri), SAMPLE_RATE, subtype=subtype)
            entries.append({"filepath": f"audio/{name}", "classname": bg.scene,
                            "classid": ALL_SCENES.index(bg.scene)})
            meta_lines.append(f"audio/{name}\t{bg.scene}\n")
        with open(os.path.join(base, "cv_setup", f"bgs_{stem}.yaml"), "w") as handle:
            yaml.safe_dump(entries, handle, default_flow_style=False)
        by_class: Dict[str, list] = {}
        for ev in data.events[subset]:
            name = os.path.basename(ev.uri)
            folder = os.path.join(base, "events", ev.event_class)
            os.makedirs(folder, exist_ok=True)
            soundfile.write(os.path.join(folder, name), synthesize_file(corpus_seed, ev.uri),
                            SAMPLE_RATE, subtype=subtype)
            with open(os.path.join(folder, name[:-4] + ".yaml"), "w") as handle:
                yaml.safe_dump({"valid_segments": [list(ev.segment)],
                                "source": {"author": ev.author, "generator": "embedded corpus",
                                           "corpus_seed": int(corpus_seed)}}, handle)
            by_class.setdefault(ev.event_class, []).append(
                {"audio_filename": name, "segment": list(ev.segment), "author": ev.author})
        with open(os.path.join(base, "cv_setup", f"events_{stem}.yaml"), "w") as handle:
            yaml.safe_dump(by_class, handle, default_flow_style=False)
    with open(os.path.join(base, "bgs", "meta.txt"), "w") as handle:
        handle.writelines(meta_lines)
    return data
