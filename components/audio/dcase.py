"""Readers for the DCASE 2017 Task 2 source-data layout and for a simple CSV manifest layout.

DCASE layout (``<root>/source_data`` or ``<root>`` itself)::

    bgs/audio/a001_0_30.wav ...           location = file name prefix before the first '_'
    bgs/meta.txt                          "<audio file>\\t<scene label>"
    events/<class>/<id>.wav (+ <id>.yaml) annotated segments and source metadata
    cv_setup/bgs_devtrain.yaml, bgs_devtest.yaml        [{filepath, classname, classid}]
    cv_setup/events_devtrain.yaml, events_devtest.yaml  {class: [{audio_filename, segment}]}

Manifest layout (``<root>/backgrounds.csv`` and ``<root>/events.csv``)::

    backgrounds.csv: path,scene,location[,subset]
    events.csv:      path,class,author,segment_start_s,segment_end_s[,subset]

``subset`` is ``train`` or ``test``; when the column is absent, whole locations and whole authors
are assigned to test by a stable hash (about one in four).
"""
from __future__ import annotations

import csv
import hashlib
import os
from typing import Dict, List

import yaml

from components.audio.audio_io import AudioDataError, duration_s, resolve_under_root
from components.audio.records import (BackgroundRecord, EventRecord, SourceData,
                                     normalise_scene)

SUBSET_FILES = {"train": "devtrain", "test": "devtest"}


def _load_yaml(path: str):
    if not os.path.exists(path):
        raise AudioDataError(f"{path}: file does not exist (expected DCASE 2017 cv_setup YAML)")
    try:
        with open(path, "r", encoding="utf-8") as handle:
            return yaml.safe_load(handle)
    except yaml.YAMLError as err:
        raise AudioDataError(f"{path}: malformed YAML ({err})") from err


def find_source_data_dir(data_root: str) -> str:
    """The folder that holds ``bgs/``, ``events/`` and ``cv_setup/`` below ``data_root``."""
    for candidate in (os.path.join(data_root, "source_data"), data_root,
                      os.path.join(data_root, "data", "source_data")):
        if os.path.isdir(os.path.join(candidate, "cv_setup")):
            return candidate
    raise AudioDataError(f"{data_root}: no DCASE 2017 source_data layout found "
                         "(expected a cv_setup/ folder in it or in source_data/)")


def read_scene_meta(meta_path: str) -> Dict[str, str]:
    """Map background file name (basename) to normalised scene from ``bgs/meta.txt``."""
    if not os.path.exists(meta_path):
        raise AudioDataError(f"{meta_path}: file does not exist (expected '<file>\\t<scene>' lines)")
    scenes = {}
    with open(meta_path, "r", encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            fields = line.rstrip("\n").split("\t")
            if len(fields) < 2:
                raise AudioDataError(f"{meta_path}:{number}: expected '<audio file>\\t<scene label>'")
            scenes[os.path.basename(fields[0])] = normalise_scene(fields[1])
    return scenes


def location_of(filename: str) -> str:
    """TUT recordings are named '<location>_<start>_<end>.wav'; the prefix is the location id."""
    return os.path.basename(filename).split("_")[0]


def _event_author(entry: dict, sidecar_path: str) -> str:
    for key in ("author", "user", "username"):
        if entry.get(key):
            return str(entry[key])
    if os.path.exists(sidecar_path):
        with open(sidecar_path, "r", encoding="utf-8") as handle:
            try:
                meta = yaml.safe_load(handle) or {}
            except yaml.YAMLError as err:
                raise AudioDataError(f"{sidecar_path}: malformed YAML ({err})") from err
        source = meta.get("source", meta) if isinstance(meta, dict) else {}
        for key in ("author", "user", "username"):
            if isinstance(source, dict) and source.get(key):
                return str(source[key])
    return "unknown"


def read_dcase_source_data(data_root: str, event_classes=None) -> SourceData:
    """Read the DCASE 2017 Task 2 source data below ``data_root`` into typed records.

    ``event_classes``: the classes to read (default: every class the cv_setup YAML lists, i.e.
    babycry, glassbreak and gunshot for the challenge's data).
    """
    base = find_source_data_dir(data_root)
    bgs_dir = os.path.join(base, "bgs")
    scenes = read_scene_meta(os.path.join(bgs_dir, "meta.txt"))
    backgrounds: Dict[str, List[BackgroundRecord]] = {}
    events: Dict[str, List[EventRecord]] = {}
    for subset, stem in SUBSET_FILES.items():
        bg_yaml = os.path.join(base, "cv_setup", f"bgs_{stem}.yaml")
        entries = _load_yaml(bg_yaml)
        if not isinstance(entries, list):
            raise AudioDataError(f"{bg_yaml}: expected a list of {{filepath, classname}} entries")
        records = []
        for index, entry in enumerate(entries):
            if not isinstance(entry, dict) or "filepath" not in entry:
                raise AudioDataError(f"{bg_yaml}: entry {index} has no 'filepath'")
            rel = os.path.join("bgs", entry["filepath"])
            full = resolve_under_root(base, rel, named_in=bg_yaml)
            scene = normalise_scene(str(entry.get("classname")
                                        or scenes.get(os.path.basename(full), "")))
            if not scene:
                raise AudioDataError(f"{full}: no scene label in {bg_yaml} or bgs/meta.txt")
            length, _ = duration_s(full)
            records.append(BackgroundRecord(uri=os.path.relpath(full, os.path.realpath(base)),
                                            scene=scene, location=location_of(full),
                                            duration_s=length))
        backgrounds[subset] = records

        ev_yaml = os.path.join(base, "cv_setup", f"events_{stem}.yaml")
        by_class = _load_yaml(ev_yaml)
        if not isinstance(by_class, dict):
            raise AudioDataError(f"{ev_yaml}: expected a mapping of class -> list of events")
        records_ev = []
        for event_class in (event_classes or sorted(by_class)):
            for index, entry in enumerate(by_class.get(event_class) or []):
                if not isinstance(entry, dict) or "audio_filename" not in entry:
                    raise AudioDataError(f"{ev_yaml}: {event_class} entry {index} has no "
                                         "'audio_filename'")
                segment = entry.get("segment")
                if (not isinstance(segment, (list, tuple)) or len(segment) != 2
                        or not float(segment[1]) > float(segment[0]) >= 0):
                    raise AudioDataError(f"{ev_yaml}: {event_class} entry {index} "
                                         f"({entry['audio_filename']}): segment {segment!r} is not "
                                         "[start_s, end_s] with end > start >= 0")
                rel = os.path.join("events", event_class, entry["audio_filename"])
                full = resolve_under_root(base, rel, named_in=ev_yaml)
                length, _ = duration_s(full)
                if float(segment[1]) > length + 1e-3:
                    raise AudioDataError(f"{full}: segment end {segment[1]} s is past the file's "
                                         f"end ({length:.3f} s), named in {ev_yaml}")
                author = _event_author(entry, os.path.splitext(full)[0] + ".yaml")
                records_ev.append(EventRecord(uri=os.path.relpath(full, os.path.realpath(base)),
                                              event_class=event_class, author=author,
                                              segment=(float(segment[0]), float(segment[1]))))
        events[subset] = records_ev
    return SourceData(data_root=os.path.realpath(base), backgrounds=backgrounds, events=events)


def _hash_subset(key: str) -> str:
    return "test" if int(hashlib.sha256(key.encode()).hexdigest(), 16) % 4 == 0 else "train"


def _read_csv(path: str, required: List[str]) -> List[dict]:
    if not os.path.exists(path):
        raise AudioDataError(f"{path}: file does not exist")
    with open(path, "r", encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        missing = [c for c in required if c not in (reader.fieldnames or [])]
        if missing:
            raise AudioDataError(f"{path}: missing column(s) {missing}; expected {required}")
        return list(reader)


def read_manifest_source_data(data_root: str) -> SourceData:
    """Read ``backgrounds.csv`` and ``events.csv`` below ``data_root`` into typed records."""
    bg_csv = os.path.join(data_root, "backgrounds.csv")
    ev_csv = os.path.join(data_root, "events.csv")
    backgrounds: Dict[str, List[BackgroundRecord]] = {"train": [], "test": []}
    for number, row in enumerate(_read_csv(bg_csv, ["path", "scene", "location"]), start=2):
        full = resolve_under_root(data_root, row["path"], named_in=f"{bg_csv}:{number}")
        subset = (row.get("subset") or "").strip() or _hash_subset("loc:" + row["location"])
        if subset not in backgrounds:
            raise AudioDataError(f"{bg_csv}:{number}: subset {subset!r}; expected train or test")
        length, _ = duration_s(full)
        backgrounds[subset].append(BackgroundRecord(
            uri=os.path.relpath(full, os.path.realpath(data_root)),
            scene=normalise_scene(row["scene"]), location=row["location"], duration_s=length))
    events: Dict[str, List[EventRecord]] = {"train": [], "test": []}
    required = ["path", "class", "author", "segment_start_s", "segment_end_s"]
    for number, row in enumerate(_read_csv(ev_csv, required), start=2):
        full = resolve_under_root(data_root, row["path"], named_in=f"{ev_csv}:{number}")
        try:
            segment = (float(row["segment_start_s"]), float(row["segment_end_s"]))
        except ValueError as err:
            raise AudioDataError(f"{ev_csv}:{number}: segment is not numeric ({err})") from err
        if not segment[1] > segment[0] >= 0:
            raise AudioDataError(f"{ev_csv}:{number}: segment {segment} needs end > start >= 0")
        subset = (row.get("subset") or "").strip() or _hash_subset("author:" + row["author"])
        if subset not in events:
            raise AudioDataError(f"{ev_csv}:{number}: subset {subset!r}; expected train or test")
        duration_s(full)
        events[subset].append(EventRecord(uri=os.path.relpath(full, os.path.realpath(data_root)),
                                          event_class=row["class"], author=row["author"],
                                          segment=segment))
    return SourceData(data_root=os.path.realpath(data_root), backgrounds=backgrounds,
                      events=events)


def read_source_data(data_root: str) -> SourceData:
    """Read either layout: a manifest when ``backgrounds.csv`` exists, else DCASE 2017."""
    if os.path.exists(os.path.join(data_root, "backgrounds.csv")):
        return read_manifest_source_data(data_root)
    return read_dcase_source_data(data_root)
