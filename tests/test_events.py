"""Events from the clip-level tagger: the post-processing rule, streaming long files, and the
DCASE 2017 Task 2 scoring (sed_eval)."""
import argparse
import json
import math
import os

import numpy as np
import pytest
import soundfile

from components.audio import features
from components.model import event_metrics, localize, serving, tagger
from pipeline import tag

CLIP_S = 1.0
PERIOD = features.HOP_LENGTH / features.SAMPLE_RATE


def test_event_scores_match_a_hand_counted_answer():
    # a: onset 0.3 s late (inside the 500 ms collar: a hit); b: estimate 2 s early (a deletion
    # and an insertion); c: no reference, one estimate (an insertion); d: a missed event.
    reference = {"a": [(1.0, 2.0)], "b": [(5.0, 6.0)], "c": [], "d": [(2.0, 2.5)]}
    estimated = {"a": [(1.3, 3.0)], "b": [(3.0, 3.5)], "c": [(2.0, 2.2)], "d": []}
    scores = event_metrics.score_events(reference, estimated, "glassbreak")
    # 3 reference events, 1 hit: D = 2, I = 2, ER = (0 + 2 + 2) / 3; P = R = F1 = 1/3
    assert scores["error_rate"] == pytest.approx(4 / 3)
    assert scores["f1"] == pytest.approx(1 / 3)
    assert scores["precision"] == pytest.approx(1 / 3)
    assert scores["recall"] == pytest.approx(1 / 3)
    assert scores["deletion_rate"] == pytest.approx(2 / 3)
    assert scores["insertion_rate"] == pytest.approx(2 / 3)
    assert scores["median_onset_error_ms"] == pytest.approx(300.0)
    assert (scores["reference_events"], scores["estimated_events"]) == (3, 3)


def test_rule_joins_short_gaps_drops_short_runs_and_ignores_the_warmup():
    rule = localize.EventRule(threshold=0.5, warmup_s=0.1, median_s=0.05, min_event_s=0.1,
                              min_gap_s=0.5)
    frames = 259
    p = np.full(frames, 0.2)
    p[:5] = 0.9                     # inside the warm-up: replaced by the value at 0.1 s
    p[50:60] = 0.9                  # 0.58-0.70 s
    p[70:80] = 0.9                  # gap of 0.12 s: joined with the run before
    p[150:153] = 0.9                # 35 ms: shorter than min_event_s, and median-filtered away
    p[200:259] = 0.9                # runs to the end of the window
    events = localize.detect_events(p, rule)
    assert len(events) == 2
    assert events[0][0] == pytest.approx(50 * PERIOD, abs=3 * PERIOD)
    assert events[0][1] == pytest.approx(80 * PERIOD, abs=3 * PERIOD)
    assert events[1][0] == pytest.approx(200 * PERIOD, abs=3 * PERIOD)
    assert events[1][1] == pytest.approx(259 * PERIOD, abs=PERIOD)


def test_tracker_fed_in_pieces_gives_the_same_events_as_at_once():
    rule = localize.EventRule(min_gap_s=0.3)
    rng = np.random.default_rng(0)
    values = (rng.random(2000) > 0.97).astype(float).repeat(3)[:2000]
    times = localize.frame_times(len(values))
    whole = localize.EventTracker(rule, PERIOD)
    whole.feed(times, values)
    pieces = localize.EventTracker(rule, PERIOD)
    got = []
    for start in range(0, len(values), 137):
        pieces.feed(times[start:start + 137], values[start:start + 137])
        got += pieces.pop_events()
    assert got + pieces.finish() == whole.finish()


def test_judged_frames_cover_a_stream_once():
    frames, hop = 259, 129
    covered = []
    for index in range(4):
        judged = localize.judged_frames(index, frames, hop)
        covered += [index * hop + i for i in range(frames)[judged]]
    assert covered == list(range(frames + 3 * hop))


@pytest.fixture(scope="module")
def smoke_model(tmp_path_factory):
    """An untrained tagger with the localize signature (weights do not matter here)."""
    network = tagger.build_tagger("scratch", seed=0)
    frames = features.n_frames(features.clip_samples(CLIP_S))
    rng = np.random.default_rng(0)
    tagger.adapt_normalization(network, rng.standard_normal((4, frames, 20)) * 30 - 200)
    path = str(tmp_path_factory.mktemp("events_model") / "Format-Serving")
    serving.export_tagger(network, path, CLIP_S, decision_threshold=0.5, classes=("glassbreak",))
    return path


def _write_noise(path, seconds, rate, seed=0):
    rng = np.random.default_rng(seed)
    with soundfile.SoundFile(path, "w", samplerate=rate, channels=1, subtype="PCM_16") as out:
        for _ in range(int(math.ceil(seconds / 10))):
            out.write((0.1 * rng.standard_normal(10 * rate)).astype(np.float32))


def _peak_rss_growth_mb(run):
    """Peak resident memory during ``run()`` above the resident memory before it (Linux)."""
    def status(key):
        for line in open("/proc/self/status"):
            if line.startswith(key):
                return int(line.split()[1]) / 1024.0
    before = status("VmRSS:")
    with open("/proc/self/clear_refs", "w") as handle:
        handle.write("5")    # reset the peak (VmHWM) to the current size
    result = run()
    return status("VmHWM:") - before, result


def test_events_stream_a_ten_minute_file_in_bounded_memory(smoke_model, tmp_path):
    model = tag.LocalModel(smoke_model)
    # every frame active: events must still be sane
    rule = localize.EventRule(threshold=0.0, onsets="running")
    one_min, ten_min = str(tmp_path / "one.wav"), str(tmp_path / "ten.wav")
    _write_noise(one_min, 60, 22050)
    _write_noise(ten_min, 600, 22050)       # resampled to 44.1 kHz on the fly
    tag.localize_file(one_min, model, rule, progress=False)     # warm up TensorFlow
    short_growth, _ = _peak_rss_growth_mb(
        lambda: tag.localize_file(one_min, model, rule, progress=False))
    long_growth, (events, duration) = _peak_rss_growth_mb(
        lambda: tag.localize_file(ten_min, model, rule, progress=False))
    # Bound: the peak while tagging 10 minutes exceeds the peak for 1 minute by less than
    # 40 MB (measured: 3-17 MB; TensorFlow's transient buffers per call are about 50 MB in
    # both), where decoding the whole file would add 95 MB at 44.1 kHz float32.
    assert long_growth - short_growth < 40.0, (short_growth, long_growth)
    assert long_growth < 106.0, long_growth
    assert duration == pytest.approx(600.0, abs=0.01)
    assert events and all(0.0 <= on < off <= duration for on, off in events)
    # threshold 0 makes every frame active: one event over the whole file
    assert len(events) == 1 and events[0][0] == 0.0
    assert events[0][1] == pytest.approx(duration, abs=2 * PERIOD)


def test_events_of_a_one_window_file_are_the_rule_applied_to_localize_waveform(smoke_model,
                                                                              tmp_path):
    model = tag.LocalModel(smoke_model)
    path = str(tmp_path / "clip.wav")
    rng = np.random.default_rng(5)
    audio = (0.1 * rng.standard_normal(features.clip_samples(CLIP_S))).astype(np.float32)
    soundfile.write(path, audio, features.SAMPLE_RATE, subtype="FLOAT")
    running = model.localize(audio[None])[0]
    rule = localize.EventRule(threshold=float(np.median(running)), min_gap_s=0.05,
                              onsets="running")
    events, duration = tag.localize_file(path, model, rule, progress=False)
    assert duration == pytest.approx(CLIP_S)
    expected = [(on, off) for on, off in localize.detect_events(running, rule) if on < CLIP_S]
    assert [e[0] for e in events] == pytest.approx([e[0] for e in expected], abs=1e-3)


def test_tag_events_writes_a_dcase_event_list_and_valid_json(smoke_model, tmp_path, capsys):
    path = str(tmp_path / "clip.wav")
    _write_noise(path, 4, 44100)
    args = argparse.Namespace(files=[path, str(tmp_path / "missing.wav")], model=smoke_model,
                              server=None, json=True, events=True,
                              events_dir=str(tmp_path / "ev"), event_threshold=0.0,
                              median_s=0.25, min_event_s=0.1, min_gap_s=1.0, onsets="running")
    assert tag.main(args) == 1            # the missing file fails, the other is tagged
    captured = capsys.readouterr()
    rows = json.loads(captured.out)
    assert rows == json.load(open(tmp_path / "ev" / "events.json"))
    assert rows and rows[0]["class"] == "glassbreak"
    lines = open(tmp_path / "ev" / "events.csv").read().splitlines()
    assert lines[0].split("\t") == [path, f"{rows[0]['onset_s']:.3f}",
                                    f"{rows[0]['offset_s']:.3f}", "glassbreak"]
    assert "missing.wav: file does not exist" in captured.err


def _bursts(seconds, onsets_s, floor=0.01, seed=3):
    """Quiet noise (``floor``: its level; 0: silence) with a loud 0.3 s noise burst (a sharp
    onset) at each of ``onsets_s``."""
    rng = np.random.default_rng(seed)
    audio = floor * rng.standard_normal(int(seconds * features.SAMPLE_RATE))
    for onset in onsets_s:
        start = int(onset * features.SAMPLE_RATE)
        audio[start:start + int(0.3 * features.SAMPLE_RATE)] += rng.standard_normal(
            int(0.3 * features.SAMPLE_RATE))
    return audio.astype(np.float32)


def test_onset_strength_peaks_at_a_sharp_onset_and_ignores_the_padding():
    audio = _bursts(CLIP_S, [0.6])
    strength = features.onset_strength(features.mfcc(audio))
    assert strength.shape == (features.n_frames(len(audio)),) and strength[0] == 0.0
    frame = localize.strongest_onset(strength, True)
    assert frame * PERIOD == pytest.approx(0.6, abs=2 * PERIOD)
    # the same clips in a batch give the same rows
    batch = features.onset_strength(np.stack([features.mfcc(audio)] * 2))
    np.testing.assert_allclose(batch[1], strength, rtol=1e-6)
    # a rise in the padded first frames is not an onset; untagged or unjudged: none
    padded = strength.copy()
    padded[1] = 10 * strength.max()
    assert localize.strongest_onset(padded, True) == frame
    assert localize.strongest_onset(strength, False) is None
    assert localize.strongest_onset(np.zeros_like(strength), True) is None


def test_strength_rule_gives_one_event_per_tagged_clip_from_its_onset_to_its_end():
    strength = np.zeros(87, np.float32)
    strength[40] = 5.0
    rule = localize.EventRule()
    assert rule.onsets == "strength"
    window = localize.ClipWindow(True, np.zeros(87), strength)
    assert localize.clip_events(window, rule) == [(round(40 * PERIOD, 4), round(87 * PERIOD, 4))]
    assert localize.clip_events(localize.ClipWindow(False, np.ones(87), strength), rule) == []
    with pytest.raises(ValueError, match="onsets must be one of strength, running"):
        localize.EventRule(onsets="peak")
    # one list of rules behind the setting, the tag flag and the rule
    from pipeline import __main__ as cli, configs
    tag_parser = next(a for a in cli.build_parser()._subparsers._group_actions[0].choices[
        "tag"]._actions if a.dest == "onsets")
    assert configs.EVENT_ONSETS == localize.ONSET_RULES == tuple(tag_parser.choices)


def test_onset_tracker_joins_close_onsets_and_ends_an_event_at_the_next():
    tracker = localize.OnsetTracker(localize.EventRule(min_gap_s=1.0))
    tracker.offer(1.0, 3.0, judged=True)
    tracker.offer(1.0, 4.5, judged=False)   # the same onset in the next window's context
    tracker.offer(1.4, 4.5, judged=True)    # close to it: the same event
    tracker.offer(4.0, 6.0, judged=True)    # a new one: the first ends at its onset
    assert tracker.pop_events() == [(1.0, 4.0)]
    # an onset in a window's context that no window gave yet (its own window did not tag it)
    tracker.offer(6.2, 9.0, judged=False)
    assert tracker.finish() == [(4.0, 6.0), (6.2, 9.0)]


def test_tag_events_strength_finds_each_burst_of_a_stream_once(smoke_model, tmp_path):
    path = str(tmp_path / "bursts.wav")
    onsets = [0.7, 2.3, 4.1]
    # silence between the bursts: every window is tagged, but only a window that holds a rise
    # has an onset, and each burst is reported by the one window that judges it
    soundfile.write(path, _bursts(5.5, onsets, floor=0.0), features.SAMPLE_RATE, subtype="FLOAT")
    model = tag.SiteThresholded(tag.LocalModel(smoke_model), 0.0)
    events, duration = tag.localize_file(path, model, localize.EventRule(), progress=False)
    assert duration == pytest.approx(5.5)
    assert [on for on, _ in events] == pytest.approx(onsets, abs=2 * PERIOD)
    assert all(on < off <= duration for on, off in events)
