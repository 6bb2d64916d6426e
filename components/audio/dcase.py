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
are assigned to test by a stable hash (about one in four). A file listed twice, or in both
subsets, is refused (it would leak the test set into training); so is a segment that is not
finite or ends past the file's end.

``bgs/bg_screening.csv`` (DCASE data): as the reference synthesizer does, a background whose row
has any entry after the file name (an event already audible in it) is left out; pass
``bg_screening=False`` to keep them.
"""
from __future__ import annotations

import csv
import hashlib
import math
import os
from typing import Dict, List, Set

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


def read_bg_screening(path: str) -> Set[str]:
    """Background file names (basenames) that ``bg_screening.csv`` marks: any non-empty entry
    after the first column (the reference synthesizer's rule); empty set without the file."""
    if not os.path.exists(path):
        return set()
    marked = set()
    with open(path, "r", encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    for row in rows[1:]:   # the first row is the header
        if row and row[0].strip() and any(cell.strip() for cell in row[1:]):
            marked.add(os.path.basename(row[0].strip()))
    return marked


def parse_segment(segment, where: str) -> tuple:
    """``[start_s, end_s]`` as finite floats with end > start >= 0, or AudioDataError."""
    try:
        if not isinstance(segment, (list, tuple)) or len(segment) != 2:
            raise ValueError
        start, end = (float(segment[0]), float(segment[1]))
    except (TypeError, ValueError, IndexError, KeyError):
        raise AudioDataError(f"{where}: segment {segment!r} is not [start_s, end_s]") from None
    if not (math.isfinite(start) and math.isfinite(end)) or not end > start >= 0:
        raise AudioDataError(f"{where}: segment {segment!r} needs finite end > start >= 0")
    return start, end


def _check_segment_in_file(full: str, segment: tuple, where: str) -> None:
    length, _ = duration_s(full)
    if segment[1] > length + 1e-3:
        raise AudioDataError(f"{where}: segment end {segment[1]} s is past the end of {full} "
                             f"({length:.3f} s)")


def _refuse_repeats(rows: List[tuple], what: str) -> None:
    """``rows`` of (key, subset, where): refuse a key listed twice or in both subsets."""
    seen: Dict[str, tuple] = {}
    for key, subset, where in rows:
        if key in seen:
            first_subset, first_where = seen[key]
            kind = ("in both subsets (train and test): the test set would leak into training"
                    if first_subset != subset else "twice")
            raise AudioDataError(f"{where}: {what} {key} is listed {kind} (also {first_where})")
        seen[key] = (subset, where)


def read_dcase_source_data(data_root: str, event_classes=None,
                           bg_screening: bool = True) -> SourceData:
    """Read the DCASE 2017 Task 2 source data below ``data_root`` into typed records.

    ``event_classes``: the classes to read (default: every class the cv_setup YAML lists, i.e.
    babycry, glassbreak and gunshot for the challenge's data).
    """
    base = find_source_data_dir(data_root)
    bgs_dir = os.path.join(base, "bgs")
    scenes = read_scene_meta(os.path.join(bgs_dir, "meta.txt"))
    screened = read_bg_screening(os.path.join(bgs_dir, "bg_screening.csv")) if bg_screening \
        else set()
    backgrounds: Dict[str, List[BackgroundRecord]] = {}
    events: Dict[str, List[EventRecord]] = {}
    screened_out: List[str] = []
    listed_bgs: List[tuple] = []
    listed_events: List[tuple] = []
    for subset, stem in SUBSET_FILES.items():
        bg_yaml = os.path.join(base, "cv_setup", f"bgs_{stem}.yaml")
        entries = _load_yaml(bg_yaml)
        if not isinstance(entries, list):
            raise AudioDataError(f"{bg_yaml}: expected a list of {{filepath, classname}} entries")
        records = []
        for index, entry in enumerate(entries):
            if not isinstance(entry, dict) or "filepath" not in entry:
                raise AudioDataError(f"{bg_yaml}: entry {index} has no 'filepath'")
            rel = os.path.join("bgs", str(entry["filepath"]))
            full = resolve_under_root(base, rel, named_in=bg_yaml)
            listed_bgs.append((rel, subset, f"{bg_yaml} entry {index}"))
            if os.path.basename(full) in screened:
                screened_out.append(rel)
                continue
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
                where = f"{ev_yaml}: {event_class} entry {index} ({entry['audio_filename']})"
                segment = parse_segment(entry.get("segment"), where)
                rel = os.path.join("events", event_class, str(entry["audio_filename"]))
                full = resolve_under_root(base, rel, named_in=ev_yaml)
                _check_segment_in_file(full, segment, where)
                listed_events.append((rel, subset, where, segment))
                author = _event_author(entry, os.path.splitext(full)[0] + ".yaml")
                records_ev.append(EventRecord(uri=os.path.relpath(full, os.path.realpath(base)),
                                              event_class=event_class, author=author,
                                              segment=segment))
        events[subset] = records_ev
    _refuse_repeats(listed_bgs, "background")
    _refuse_repeated_events(listed_events)
    return SourceData(data_root=os.path.realpath(base), backgrounds=backgrounds, events=events,
                      screened_out=tuple(screened_out))


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


def _require_cells(row: dict, names, where: str) -> None:
    empty = [name for name in names if not (row.get(name) or "").strip()]
    if empty:
        raise AudioDataError(f"{where}: empty {', '.join(empty)}; every row needs them")


def _refuse_repeated_events(listed: List[tuple]) -> None:
    """``listed`` of (file, subset, where, segment): the same segment twice is refused, and so is
    one file in both subsets (several segments of one file in one subset are fine)."""
    _refuse_repeats([(f"{path} {list(segment)}", subset, where)
                     for path, subset, where, segment in listed], "event segment")
    first: Dict[str, tuple] = {}
    for path, subset, where, _ in listed:
        first.setdefault(path, (subset, where))
        if first[path][0] != subset:
            _refuse_repeats([(path, first[path][0], first[path][1]), (path, subset, where)],
                            "event file")


def read_manifest_source_data(data_root: str) -> SourceData:
    """Read ``backgrounds.csv`` and ``events.csv`` below ``data_root`` into typed records."""
    bg_csv = os.path.join(data_root, "backgrounds.csv")
    ev_csv = os.path.join(data_root, "events.csv")
    backgrounds: Dict[str, List[BackgroundRecord]] = {"train": [], "test": []}
    listed: List[tuple] = []
    for number, row in enumerate(_read_csv(bg_csv, ["path", "scene", "location"]), start=2):
        where = f"{bg_csv}:{number}"
        _require_cells(row, ("path", "scene", "location"), where)
        full = resolve_under_root(data_root, row["path"], named_in=where)
        subset = (row.get("subset") or "").strip() or _hash_subset("loc:" + row["location"])
        if subset not in backgrounds:
            raise AudioDataError(f"{where}: subset {subset!r}; expected train or test")
        listed.append((os.path.relpath(full, os.path.realpath(data_root)), subset, where))
        length, _ = duration_s(full)
        backgrounds[subset].append(BackgroundRecord(
            uri=os.path.relpath(full, os.path.realpath(data_root)),
            scene=normalise_scene(row["scene"]), location=row["location"], duration_s=length))
    events: Dict[str, List[EventRecord]] = {"train": [], "test": []}
    required = ["path", "class", "author", "segment_start_s", "segment_end_s"]
    _refuse_repeats(listed, "background")
    listed = []
    for number, row in enumerate(_read_csv(ev_csv, required), start=2):
        where = f"{ev_csv}:{number}"
        _require_cells(row, ("path", "class"), where)
        full = resolve_under_root(data_root, row["path"], named_in=where)
        segment = parse_segment((row["segment_start_s"], row["segment_end_s"]), where)
        subset = (row.get("subset") or "").strip() or _hash_subset("author:" + row["author"])
        if subset not in events:
            raise AudioDataError(f"{where}: subset {subset!r}; expected train or test")
        _check_segment_in_file(full, segment, where)
        listed.append((os.path.relpath(full, os.path.realpath(data_root)), subset, where,
                       segment))
        events[subset].append(EventRecord(uri=os.path.relpath(full, os.path.realpath(data_root)),
                                          event_class=row["class"].strip(),
                                          author=row["author"], segment=segment))
    _refuse_repeated_events(listed)
    return SourceData(data_root=os.path.realpath(data_root), backgrounds=backgrounds,
                      events=events)


def read_source_data(data_root: str, bg_screening: bool = True) -> SourceData:
    """Read either layout: a manifest when ``backgrounds.csv`` exists, else DCASE 2017."""
    if not os.path.isdir(data_root):
        raise AudioDataError(f"{data_root}: no such folder; expected 'embedded' or a folder in "
                             "the DCASE 2017 or manifest layout")
    if os.path.exists(os.path.join(data_root, "backgrounds.csv")):
        return read_manifest_source_data(data_root)
    return read_dcase_source_data(data_root, bg_screening=bg_screening)
