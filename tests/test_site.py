"""Site thresholds: ``calibrate-site`` sets a threshold from a site's event-free audio and
``tag --site-threshold`` decides with it, only for the model it was made for."""
import json
import os

import numpy as np
import pytest

from components.model import site_threshold
from pipeline import __main__ as cli
from pipeline import site, tag
from tests.conftest import write_wav


def _run(capsys, *argv):
    code = cli.main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_threshold_keeps_false_alarms_to_the_rate_and_no_lower_threshold_does():
    scores = np.linspace(0.05, 0.8, 40).astype(np.float32)
    for rate in (0.0, 0.05, 0.1, 0.5):
        threshold = site_threshold.threshold_for_rate(scores, rate)
        assert site_threshold.false_alarm_rate(scores, threshold) <= rate
        lower = np.nextafter(np.float32(threshold), np.float32(0))
        assert site_threshold.false_alarm_rate(scores, lower) > rate
    assert site_threshold.threshold_for_rate(scores, 0.0) > scores.max()
    with pytest.raises(ValueError, match="scored 1.0"):
        site_threshold.threshold_for_rate(np.ones(10), 0.0)
    with pytest.raises(ValueError, match="false-alarm rate"):
        site_threshold.threshold_for_rate(scores, 1.0)


def test_calibration_windows_cover_the_audio_every_quarter_clip():
    assert site.calibration_starts(100, 40) == [0, 10, 20, 30, 40, 50, 60]
    assert site.calibration_starts(105, 40) == [0, 10, 20, 30, 40, 50, 60, 65]
    assert site.calibration_starts(30, 40) == [0]
    # every window tag decides on is one of the calibration windows
    for n in (100, 105, 250):
        assert set(tag.window_starts(n, 40)) <= set(site.calibration_starts(n, 40))


@pytest.fixture(scope="module")
def site_audio(tmp_path_factory):
    """Event-free audio of one site (hum and noise, two files in a folder) and a loud file."""
    folder = tmp_path_factory.mktemp("site")
    rng = np.random.default_rng(7)
    t = np.arange(6 * 44100) / 44100
    for name, level in (("morning.wav", 0.02), ("evening.flac", 0.04)):
        write_wav(str(folder / "recordings" / name),
                  level * rng.standard_normal(len(t)) + 0.05 * np.sin(2 * np.pi * 120 * t))
    write_wav(str(folder / "other.wav"), 0.3 * np.sin(2 * np.pi * 880 * t[:3 * 44100]))
    return folder


def test_site_threshold_is_above_the_site_audio_and_tag_decides_with_it(
        capsys, pushed_model, site_audio, tmp_path):
    record_path = str(tmp_path / "site.json")
    code, _, err = _run(capsys, "calibrate-site", str(site_audio / "recordings"), "--model",
                        pushed_model, "--output", record_path, "--false-alarm-rate", "0")
    assert code == 0, err
    record = json.load(open(record_path))
    assert record["windows"] == 2 * 21   # 6 s of 1 s clips every 0.25 s, two files
    assert [os.path.basename(f["path"]) for f in record["files"]] == ["evening.flac",
                                                                      "morning.wav"]
    assert record["false_alarm_rate_calibration"] == 0.0
    assert record["model"]["event_class"] == "glassbreak"
    threshold = record["threshold"]
    files = [str(site_audio / "recordings" / n) for n in ("morning.wav", "evening.flac")]
    files.append(str(site_audio / "other.wav"))
    code, out, err = _run(capsys, "tag", *files, "--model", pushed_model, "--site-threshold",
                          record_path, "--json")
    assert code == 0, err
    assert f"site threshold {threshold:.6g}" in err
    rows = json.loads(out)
    assert all(r["decision"] == int(r["probability"] >= np.float32(threshold)) for r in rows)
    assert not any(r["decision"] for r in rows if "other.wav" not in r["file"])
    code, plain, _ = _run(capsys, "tag", *files, "--model", pushed_model, "--json")
    assert [r["probability"] for r in json.loads(plain)] == [r["probability"] for r in rows]


def test_a_record_is_refused_for_another_model_in_one_line(capsys, pushed_model, site_audio,
                                                           tmp_path):
    record_path = str(tmp_path / "site.json")
    assert _run(capsys, "calibrate-site", str(site_audio / "recordings"), "--model",
                pushed_model, "--output", record_path)[0] == 0
    record = json.load(open(record_path))
    other = dict(record, model=dict(record["model"], probe_probabilities=[
        p + 0.01 for p in record["model"]["probe_probabilities"]]))
    cases = {"other.json": (other, "made for another model"),
             "class.json": (dict(record, model=dict(record["model"], event_class="dogbark")),
                            "made for a model with event_class 'dogbark'"),
             "junk.json": ({"threshold": 0.5}, "not a site-threshold record")}
    for name, (content, message) in cases.items():
        json.dump(content, open(tmp_path / name, "w"))
        code, out, err = _run(capsys, "tag", str(site_audio / "other.wav"), "--model",
                              pushed_model, "--site-threshold", str(tmp_path / name))
        assert code == 2 and out == ""
        assert err.count("\n") == 1 and message in err, err


def test_too_little_or_bad_audio_writes_nothing(capsys, pushed_model, site_audio, tmp_path):
    record_path = tmp_path / "site.json"
    code, _, err = _run(capsys, "calibrate-site", str(site_audio / "other.wav"), "--model",
                        pushed_model, "--output", str(record_path))
    assert code == 1 and "expected at least --min-windows 20" in err.splitlines()[-1]
    (tmp_path / "notes.wav").write_text("not audio\n")
    code, _, err = _run(capsys, "calibrate-site", str(site_audio / "recordings"),
                        str(tmp_path / "notes.wav"), "--model", pushed_model,
                        "--output", str(record_path))
    assert code == 1 and "notes.wav: not a readable audio file" in err.splitlines()[-1]
    code, _, err = _run(capsys, "calibrate-site", str(site_audio / "recordings"), "--model",
                        pushed_model, "--output", str(record_path), "--false-alarm-rate", "1")
    assert code == 2 and err.count("\n") == 1
    assert not record_path.exists() and not os.path.exists(str(record_path) + ".partial")


def test_events_use_the_site_threshold(capsys, pushed_model, site_audio, tmp_path):
    record_path = str(tmp_path / "site.json")
    assert _run(capsys, "calibrate-site", str(site_audio / "recordings"), "--model",
                pushed_model, "--output", record_path)[0] == 0
    record = json.load(open(record_path))
    counts = {}
    for threshold in (1e-6, 1.0):      # every window tagged / none can be
        for onsets in ("strength", "running"):
            json.dump(dict(record, threshold=threshold), open(record_path, "w"))
            code, out, err = _run(capsys, "tag", str(site_audio / "other.wav"), "--model",
                                  pushed_model, "--site-threshold", record_path, "--events",
                                  "--onsets", onsets, "--events-dir", str(tmp_path / "events"),
                                  "--json")
            assert code == 0, err
            counts[threshold, onsets] = len(json.loads(out))
    # strength: an onset in every tagged window (those closer than 1 s are one event);
    # running: every frame active, one event over the whole file
    assert counts[1e-6, "strength"] >= 1 and counts[1e-6, "running"] == 1
    assert counts[1.0, "strength"] == counts[1.0, "running"] == 0
