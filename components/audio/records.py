"""Typed records for source audio: backgrounds, events and the task splits they form."""
from __future__ import annotations

import dataclasses
from typing import Dict, List, Sequence, Tuple

# The paper's source/target split of the 15 TUT Acoustic Scenes 2016 classes (section 3.3).
# "tram" is used by neither task.
SOURCE_SCENES = ("beach", "bus", "cafe/restaurant", "car", "city_center", "forest_path",
                 "grocery_store")
TARGET_SCENES = ("home", "library", "metro_station", "office", "park", "residential_area",
                 "train")
ALL_SCENES = SOURCE_SCENES + TARGET_SCENES + ("tram",)

# The paper's tasks: the defaults when a run names no classes.
DEFAULT_TASK_CLASSES = {"source": ("babycry",), "target": ("glassbreak",)}
# Scenes the paper gives each task; a task uses these when its data has them (see
# components.audio.datasets.task_scenes).
PAPER_TASK_SCENES = {"source": SOURCE_SCENES, "target": TARGET_SCENES}


@dataclasses.dataclass(frozen=True)
class BackgroundRecord:
    """One background recording: ``uri`` is a path relative to the data root or ``embedded:...``."""
    uri: str
    scene: str
    location: str
    duration_s: float


@dataclasses.dataclass(frozen=True)
class EventRecord:
    """One isolated event: the annotated ``segment`` (start_s, end_s) of the file at ``uri``."""
    uri: str
    event_class: str
    author: str
    segment: Tuple[float, float]

    @property
    def length_s(self) -> float:
        return float(self.segment[1] - self.segment[0])


@dataclasses.dataclass(frozen=True)
class SourceData:
    """Background and event records of one dataset, split into train and test subsets."""
    data_root: str
    backgrounds: Dict[str, List[BackgroundRecord]]   # subset ('train'|'test') -> records
    events: Dict[str, List[EventRecord]]             # subset -> records (all classes)
    screened_out: Tuple[str, ...] = ()               # backgrounds left out by bg_screening.csv

    def backgrounds_in(self, subset: str, scenes: Sequence[str]) -> List[BackgroundRecord]:
        """Backgrounds of ``subset`` ('train'|'test') whose scene is one of ``scenes``."""
        return [b for b in self.backgrounds[subset] if b.scene in set(scenes)]

    def events_of(self, subset: str, event_class: str) -> List[EventRecord]:
        """Events of ``subset`` of one class."""
        return [e for e in self.events[subset] if e.event_class == event_class]

    def scenes(self) -> List[str]:
        """Every scene with a background in either subset, sorted."""
        return sorted({b.scene for records in self.backgrounds.values() for b in records})

    def event_classes(self) -> List[str]:
        """Every event class with an event in either subset, sorted."""
        return sorted({e.event_class for records in self.events.values() for e in records})


def normalise_scene(label: str) -> str:
    """Map DCASE scene spellings ('city center', 'cafe/restaurant') to the names used here."""
    key = label.strip().lower().replace(" ", "_")
    aliases = {"city_centre": "city_center", "cafe": "cafe/restaurant",
               "cafe_restaurant": "cafe/restaurant", "lakeside_beach": "beach",
               "urban_park": "park"}
    return aliases.get(key, key)
