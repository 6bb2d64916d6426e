"""When in the clip: frame-level event probabilities from the clip-level tagger, and events.

The paper's network reads the MFCC frames in order with two LSTMs and answers once, from the
last step of the upper LSTM. The same output layer applied to *every* step of the upper LSTM gives
a running probability: at frame t, the tagger's answer had the clip ended at frame t, i.e. the
evidence that an event occurred in the frames read so far. Nothing is retrained and the paper's
clip-level answers are unchanged: **the last frame's running probability is the clip
probability** (exactly; the test checks it). Because an LSTM trained on weak labels must
remember an event until the end of the clip, the running probability rises at an event and
stays up after it: it locates *onsets* (what DCASE 2017 Task 2 scores), not offsets.

Two rules place the events (``EventRule.onsets``):

``strength`` (the default since 2026-12-06): the tagger decides *whether* a window holds an
event; *where* is the window's strongest spectral rise, the frame where the cepstrally smoothed
log-mel spectrogram gets louder most sharply (``features.onset_strength``; the frames touched by
the window's zero padding excluded): one event per tagged window, from that onset to the
window's end (:func:`onset_events`; in a stream, :class:`OnsetTracker`). Model-free, so it works
with any tagger (also ``clip_mean`` ones, whose running probability does not rise at the event);
it assumes the event is the sharpest onset of a window it is tagged in, and finds one event per
window. Measured against the running rule in docs/results.md ("Onsets from the spectrum").

``running``, post-processing of the running probability (:func:`detect_events`, parameters in
:class:`EventRule`):
  1. the first ``warmup_s`` of a window are given the running probability reached at
     ``warmup_s`` (an LSTM that has read a few frames has no evidence yet; its first outputs
     hover around 0.5 whatever the audio);
  2. a median filter over ``median_s``;
  3. frames at or above ``threshold`` (the model's decision threshold) are active;
  4. active runs separated by less than ``min_gap_s`` are joined, runs shorter than
     ``min_event_s`` are dropped;
  5. each run is an event from its first to its last frame. Offsets are where the running
     probability falls again (often the end of the window): not a measurement of the event's end.
The rule's values were chosen before any measurement, not tuned on a test set.

Long recordings are read in windows of the model's clip length with hop = half a clip; every
frame is judged by one window, the one that has read at least ``hop`` of audio before it (the
first window judges its whole length): :func:`judged_frames`.
"""
from __future__ import annotations

import dataclasses
from typing import List, Tuple

import keras
import numpy as np

from components.audio import features, onset
from components.model import event_metrics, tagger
from components.model import fusion as onset_fusion

FRAME_PERIOD_S = features.HOP_LENGTH / features.SAMPLE_RATE   # seconds between MFCC frames
ONSET_RULES = ("strength", "running")
# Frames whose analysis window reaches into the zero padding before a window's first sample
# (librosa's centred frames), and the one after them: their rise is the padding's, not sound's.
PADDED_FRAMES = onset.PADDED_FRAMES


@dataclasses.dataclass(frozen=True)
class EventRule:
    """How events are placed (see the module docstring): ``onsets`` 'strength' (the tagged
    window's strongest spectral rise; ``threshold`` decides the clips, ``min_gap_s`` joins
    onsets) or 'running' (every field: post-processing of the running probability)."""
    threshold: float = 0.5
    warmup_s: float = 0.1
    median_s: float = 0.25
    min_event_s: float = 0.1
    min_gap_s: float = 1.0
    onsets: str = "strength"

    def __post_init__(self):
        if not 0.0 <= self.threshold <= 1.0 or np.isnan(self.threshold):
            raise ValueError(f"threshold must be in [0, 1], got {self.threshold}")
        if self.onsets not in ONSET_RULES:
            raise ValueError(f"onsets must be one of {', '.join(ONSET_RULES)}, got "
                             f"{self.onsets!r}")
        for name in ("warmup_s", "median_s", "min_event_s", "min_gap_s"):
            value = getattr(self, name)
            if not np.isfinite(value) or value < 0:
                raise ValueError(f"{name} must be a finite number >= 0, got {value}")


@keras.saving.register_keras_serializable(package="fewshot")
class RepeatSteps(keras.layers.Layer):
    """Each of the upper LSTM's steps repeated ``factor`` times, cut to the input's frames:
    with the ``conv`` front end one step stands for ``factor`` MFCC frames."""

    def __init__(self, factor: int, **kwargs):
        super().__init__(**kwargs)
        self.factor = int(factor)

    def call(self, steps, frames_like):
        repeated = keras.ops.repeat(steps, self.factor, axis=1)
        return repeated[:, :keras.ops.shape(frames_like)[1]]

    def get_config(self):
        return super().get_config() | {"factor": self.factor}


def frame_tagger(network: keras.Model) -> keras.Model:
    """A model giving the tagger's running probability at every MFCC frame,
    [batch, frames, classes].

    Shares every weight with ``network`` (the upper LSTM is a twin with ``return_sequences``,
    holding the same weight values; for a network built with ``every_step``, its own). With the
    ``conv`` front end the LSTMs run on pooled steps of ``tagger.time_reduction`` frames; each
    frame gets the value of the step it belongs to, so the last frame still holds the clip
    probability. An average of taggers (``tagger.average_taggers``) gives the mean of its
    members' running probabilities.
    """
    members = tagger.members_of(network)
    if len(members) > 1:
        inputs = keras.Input(shape=network.input_shape[1:], name="mfcc")
        outputs = keras.layers.Average(name="member_mean_steps")(
            [frame_tagger(member)(inputs) for member in members])
        return keras.Model(inputs, outputs, name=f"{network.name}_frames")
    upper = network.get_layer("lstm_2")
    if upper.return_sequences:          # built with every_step: the steps are there already
        outputs = network.get_layer("output")(upper.output)
        every_step = None
    else:
        config = upper.get_config()
        config["return_sequences"] = True
        config["name"] = "lstm_2_steps"
        every_step = keras.layers.LSTM.from_config(config)
        outputs = network.get_layer("output")(every_step(upper.input))
    factor = tagger.time_reduction(tagger.front_end_of(network))
    if factor > 1:
        outputs = RepeatSteps(factor, name="repeat_steps")(outputs, network.input)
    model = keras.Model(network.input, outputs, name=f"{network.name}_frames")
    if every_step is not None:
        every_step.set_weights(upper.get_weights())
    return model


def frame_times(n_frames: int, hop_length: int = features.HOP_LENGTH,
                sr: int = features.SAMPLE_RATE) -> np.ndarray:
    """Time in seconds of each MFCC frame's centre (librosa's centred frames)."""
    return np.arange(n_frames, dtype=np.float64) * hop_length / sr


def _median_filter(values: np.ndarray, width: int) -> np.ndarray:
    """Running median over an odd ``width`` with edge values repeated."""
    if width <= 1 or len(values) == 0:
        return values
    half = width // 2
    padded = np.concatenate([np.full(half, values[0]), values, np.full(half, values[-1])])
    windows = np.lib.stride_tricks.sliding_window_view(padded, 2 * half + 1)
    return np.median(windows, axis=1)


def smooth(probability: np.ndarray, rule: EventRule, frame_rate: float) -> np.ndarray:
    """Steps 1 and 2 of the rule on one window's running probability [frames]."""
    values = np.asarray(probability, dtype=np.float64).copy()
    warm = int(round(rule.warmup_s * frame_rate))
    if 0 < warm < len(values):
        values[:warm] = values[warm]
    width = int(round(rule.median_s * frame_rate)) | 1
    return _median_filter(values, width)


class EventTracker:
    """Steps 3-5 of the rule, fed frame by frame in order (bounded memory for any length):
    ``feed(times, smoothed)`` for consecutive frames, then ``finish()``; events closed so far
    are taken with ``pop_events()``."""

    def __init__(self, rule: EventRule, frame_period: float):
        self._rule, self._period = rule, frame_period
        self._open: List[float] = []       # [onset, offset] of the event being built
        self._closed: List[Tuple[float, float]] = []

    def feed(self, times: np.ndarray, smoothed: np.ndarray) -> None:
        for time, value in zip(np.asarray(times, float), np.asarray(smoothed, float)):
            if value < self._rule.threshold:
                if self._open and time - self._open[1] >= self._rule.min_gap_s:
                    self._close()
                continue
            if self._open and time - self._open[1] < self._rule.min_gap_s:
                self._open[1] = time + self._period
            else:
                self._close()
                self._open = [time, time + self._period]

    def _close(self) -> None:
        if self._open and self._open[1] - self._open[0] >= self._rule.min_event_s:
            self._closed.append((round(self._open[0], 4), round(self._open[1], 4)))
        self._open = []

    def pop_events(self) -> List[Tuple[float, float]]:
        events, self._closed = self._closed, []
        return events

    def finish(self) -> List[Tuple[float, float]]:
        self._close()
        return self.pop_events()


def detect_events(probability: np.ndarray, rule: EventRule, start_s: float = 0.0,
                  hop_length: int = features.HOP_LENGTH, sr: int = features.SAMPLE_RATE
                  ) -> List[Tuple[float, float]]:
    """Events (onset_s, offset_s) in one window's running probability [frames]."""
    frame_period = hop_length / sr
    smoothed = smooth(probability, rule, 1.0 / frame_period)
    tracker = EventTracker(rule, frame_period)
    tracker.feed(start_s + frame_times(len(smoothed), hop_length, sr), smoothed)
    return tracker.finish()


def strongest_onset(strength: np.ndarray, decision: bool) -> "int | None":
    """The ``strength`` rule in one window: the frame (index into the window) where the onset
    strength (``features.onset_strength``) peaks, past the :data:`PADDED_FRAMES`; ``None`` when
    the tagger's ``decision`` is no or nothing rises."""
    values = np.asarray(strength, np.float64)
    if not decision or len(values) <= PADDED_FRAMES:
        return None
    frame = PADDED_FRAMES + int(np.argmax(values[PADDED_FRAMES:]))
    if values[frame] <= 0.0:     # nothing gets louder anywhere (silence): no onset
        return None
    return frame


def onset_events(strength: np.ndarray, decision: bool, rule: EventRule, start_s: float = 0.0,
                 frame_period: float = FRAME_PERIOD_S) -> List[Tuple[float, float]]:
    """The ``strength`` rule on one clip-length window: one event from its strongest onset to the
    window's end where the tagger tags it, none elsewhere (offsets are not measured)."""
    frame = strongest_onset(strength, decision)
    if frame is None:
        return []
    return [(round(start_s + frame * frame_period, 4),
             round(start_s + len(strength) * frame_period, 4))]


class OnsetTracker:
    """The ``strength`` rule over a stream of windows, in order: ``offer(...)`` each tagged
    window's strongest onset, then ``finish()``. An onset in the frames the window judges
    (:func:`judged_frames`) is taken; one in its context (the frames the previous window judged)
    only when no onset was taken within ``rule.min_gap_s`` of it (the previous window did not
    tag it, or found another). Onsets closer than ``rule.min_gap_s`` to the open event's are
    the same event; an event ends at its last window's end or at the next event's onset."""

    def __init__(self, rule: EventRule):
        self._rule = rule
        self._open: List[float] = []
        self._closed: List[Tuple[float, float]] = []
        self._last_onset: "float | None" = None

    def offer(self, onset_s: float, offset_s: float, judged: bool) -> None:
        known = (self._last_onset is not None
                 and abs(onset_s - self._last_onset) < self._rule.min_gap_s)
        if judged or not known:
            self.feed(onset_s, offset_s)

    def feed(self, onset_s: float, offset_s: float) -> None:
        self._last_onset = onset_s
        if self._open and onset_s - self._open[0] < self._rule.min_gap_s:
            self._open[1] = max(self._open[1], offset_s)
            return
        if self._open:
            self._closed.append((round(self._open[0], 4), round(min(self._open[1], onset_s), 4)))
        self._open = [onset_s, offset_s]

    def pop_events(self) -> List[Tuple[float, float]]:
        events, self._closed = self._closed, []
        return events

    def finish(self) -> List[Tuple[float, float]]:
        if self._open:
            self._closed.append((round(self._open[0], 4), round(self._open[1], 4)))
            self._open = []
        return self.pop_events()


def clip_events(window: "ClipWindow", rule: EventRule) -> List[Tuple[float, float]]:
    """Events of one clip-length window by ``rule.onsets``: its strongest onset where tagged
    (``strength``) or the running-probability rule (``running``, :func:`detect_events`)."""
    if rule.onsets == "running":
        return detect_events(window.running, rule)
    return onset_events(window.strength, window.decision, rule)


@dataclasses.dataclass(frozen=True)
class ClipWindow:
    """What the event rules read of one clip: the tagger's decision, the running probability
    [frames] (the locator's where there is one) and the onset strength [frames]."""
    decision: bool
    running: np.ndarray
    strength: np.ndarray


def judged_frames(window_index: int, frames_per_window: int, hop_frames: int) -> slice:
    """The frames of window ``window_index`` that it judges in a stream of windows of
    ``frames_per_window`` frames every ``hop_frames`` frames: the first window all of its
    frames up to where the second takes over; every later one the ``hop_frames`` frames after
    its first ``frames_per_window - hop_frames`` (so each judged frame has that much context)."""
    context = frames_per_window - hop_frames
    if window_index == 0:
        return slice(0, frames_per_window)
    return slice(context, frames_per_window)


def gated_running(running: np.ndarray, probability: np.ndarray, threshold: float) -> np.ndarray:
    """A locator's running probability [clips, frames] kept in the clips whose tagger
    ``probability`` [clips] reaches ``threshold`` and 0 in the others (as the exported model's
    localize signatures give it: ``components.model.serving``)."""
    tagged = np.asarray(probability, np.float32).reshape(-1) >= np.float32(threshold)
    return np.asarray(running, np.float32) * tagged[:, None].astype(np.float32)


def clip_event_scores(network: keras.Model, batches, rule: EventRule, label: str,
                      locator: keras.Model = None, fusion=None):
    """DCASE 2017 Task 2 scores of the tagger's events on clip-length test examples.

    ``batches`` yields (mfcc, labels, metadata) as ``examples.iter_batches`` does (streamed:
    only what the rule reads is kept). Each clip's decision is the tagger's at
    ``rule.threshold``; with ``rule.onsets`` ``running`` the running probability is the
    tagger's, or with a ``locator`` the locator's gated by that decision (:func:`gated_running`).
    With an onset ``fusion`` (``components.model.fusion.OnsetFusion``) the decision is the fused
    probability's, as the served model's (the examples' ``onset_centroid_khz`` is read).
    Returns (scores, a :class:`ClipWindow` per clip, metadata in the same order).
    """
    every_frame = None
    if rule.onsets == "running":
        every_frame = frame_tagger(network if locator is None else locator)
    windows, metadata = [], []
    for mfcc, _, meta in batches:
        probability = np.asarray(network(mfcc, training=False))[:, 0]
        strengths = features.onset_strength(np.asarray(mfcc)[..., :features.N_MFCC])
        if fusion is not None:
            probability = onset_fusion.fused_probability(
                fusion, probability, strengths[:, PADDED_FRAMES:].max(axis=-1),
                np.array([m["onset_centroid_khz"] for m in meta])).astype(np.float32)
        if every_frame is None:
            running = np.zeros(mfcc.shape[:2], np.float32)
        else:
            running = np.asarray(every_frame(mfcc, training=False))[..., 0]
            if locator is not None:
                running = gated_running(running, probability, rule.threshold)
        decisions = probability >= np.float32(rule.threshold)
        windows += [ClipWindow(bool(d), r, s) for d, r, s in zip(decisions, running, strengths)]
        metadata += meta
    scores = event_metrics.score_clips(windows, metadata, rule, label, clip_events)
    scores["rule"] = dataclasses.asdict(rule)
    return scores, windows, metadata


def curve_of(window: ClipWindow, rule: EventRule) -> np.ndarray:
    """What a timeline plots under a clip for ``rule``: the running probability (``running``),
    or the onset strength scaled to its peak past the padded frames in a tagged clip and 0 in
    an untagged one (``strength``)."""
    if rule.onsets == "running":
        return np.asarray(window.running, np.float64)
    strength = np.asarray(window.strength, np.float64)
    peak = float(strength[PADDED_FRAMES:].max()) if len(strength) > PADDED_FRAMES else 0.0
    if not window.decision or peak <= 0.0:
        return np.zeros_like(strength)
    return np.clip(strength / peak, 0.0, 1.0)


def timeline_curve(rule: EventRule) -> dict:
    """The threshold line and curve label ``plots.event_timelines`` draws for ``rule``."""
    if rule.onsets == "running":
        return {"threshold": rule.threshold, "curve_label": "running p"}
    return {"threshold": None, "curve_label": "onset strength"}


def timeline_indices(metadata, count: int = 3) -> List[int]:
    """The clips :func:`example_timelines` draws: the first ``count - 1`` clips with an event,
    one per EBR where possible, and the first clip without one."""
    chosen, ebrs = [], set()
    for index, meta in enumerate(metadata):
        if meta.get("event_onset_s") is not None and meta["ebr_db"] not in ebrs:
            chosen.append(index)
            ebrs.add(meta["ebr_db"])
        if len(chosen) == count - 1:
            break
    return chosen + [i for i, m in enumerate(metadata) if m.get("event_onset_s") is None][:1]


def example_timelines(mfcc_of, windows: List[ClipWindow], metadata, rule: EventRule,
                      count: int = 3) -> List[dict]:
    """Items for ``plots.event_timelines`` for the clips of :func:`timeline_indices`;
    ``mfcc_of`` maps a clip's index to its MFCC matrix (an array [clips, frames, 20] or a dict)."""
    references = event_metrics.clip_references(metadata)
    items = []
    for index in timeline_indices(metadata, count):
        meta = metadata[index]
        ebr = "no event" if meta.get("event_onset_s") is None else f"EBR {meta['ebr_db']:+g} dB"
        items.append({"title": f"{meta['mixture_id']} ({meta['scene']}, {ebr})",
                      "mfcc": mfcc_of[index], "running": curve_of(windows[index], rule),
                      "reference": references[meta["mixture_id"]],
                      "detected": clip_events(windows[index], rule)})
    return items
