"""DCASE 2017 conformance: bg_screening.csv, stereo input, and the dcase2017 recipe mode against
the reference synthesizer's algorithm (facts section 7), on a small fixture in the DCASE layout."""
import os

import numpy as np
import pytest
import soundfile
import yaml

from components.audio import audio_io, datasets, dcase, mixing
from tests.conftest import SR, write_wav

CLASSES = ("babycry", "glassbreak", "gunshot")


@pytest.fixture(scope="module")
def dcase_three_classes(tmp_path_factory):
    """DCASE layout with the reference's three classes, several events per class (so that the
    draws repeat events), 30 s backgrounds (a few, short files: 30 s of silence-free noise at a
    low rate of writing), and a bg_screening.csv marking one background."""
    rng = np.random.default_rng(3)
    base = tmp_path_factory.mktemp("dcase3") / "data" / "source_data"
    meta = []
    for subset, stem in (("train", "devtrain"), ("test", "devtest")):
        entries = []
        for k in range(4):
            name = f"{'ab'[subset == 'test']}{k:03d}_0_30.wav"
            write_wav(str(base / "bgs" / "audio" / name), 0.02 * rng.standard_normal(30 * SR))
            entries.append({"filepath": f"audio/{name}", "classname": "home", "classid": 0})
            meta.append(f"audio/{name}\thome\n")
        (base / "cv_setup").mkdir(parents=True, exist_ok=True)
        (base / "cv_setup" / f"bgs_{stem}.yaml").write_text(yaml.safe_dump(entries))
        by_class = {}
        for cls in CLASSES:
            for k in range(3):
                name = f"{cls}_{subset}_{k}.wav"
                write_wav(str(base / "events" / cls / name), 0.3 * rng.standard_normal(2 * SR))
                start = round(0.1 * k, 3)
                by_class.setdefault(cls, []).append({"audio_filename": name,
                                                     "segment": [start, start + 1.0 + 0.2 * k]})
        (base / "cv_setup" / f"events_{stem}.yaml").write_text(yaml.safe_dump(by_class))
    (base / "bgs" / "meta.txt").write_text("".join(meta))
    (base / "bgs" / "bg_screening.csv").write_text(
        "filename,babycry,glassbreak,gunshot\n"
        "audio/a001_0_30.wav,,x,\n"          # marked: left out by default
        "audio/a002_0_30.wav,,,\n")          # listed, nothing marked: kept
    return str(base.parent)


def reference_draws(cv_setup: str, subset_stem: str, mixtures: int, seed: int = 42,
                    screened=()):
    """The reference synthesizer's recipe draws, structured as the reference does them: lists of
    event dicts, ``choice`` over those lists (so repeated draws share one dict), each drawn
    event's offset written into its dict, the presence flags permuted, EBRs last."""
    with open(os.path.join(cv_setup, f"events_{subset_stem}.yaml")) as handle:
        classwise = yaml.safe_load(handle)
    with open(os.path.join(cv_setup, f"bgs_{subset_stem}.yaml")) as handle:
        all_bgs = [b for b in yaml.safe_load(handle)
                   if os.path.basename(b["filepath"]) not in screened]
    r = np.random.RandomState(seed)
    out = {}
    for classname in CLASSES:
        class_events = []
        for event in classwise[classname]:
            event = dict(event, classname=classname,
                         length_seconds=np.diff(event["segment"])[0])
            class_events.append(event)
        events = r.choice(class_events, int(round(mixtures * 0.5)))
        bgs = r.choice(all_bgs, mixtures)
        flags = np.hstack((np.ones(len(events)), np.zeros(len(bgs) - len(events)))).astype(bool)
        flags = r.permutation(flags)
        for event in events:
            event["offset_seconds"] = (30 - event["length_seconds"]) * r.rand()
        starts = [event["offset_seconds"] for event in events]
        ebrs = r.choice([-6, 0, 6], size=int(np.sum(flags)))
        rows, k = [], 0
        for index in range(mixtures):
            row = {"bg": bgs[index]["filepath"], "present": bool(flags[index])}
            if flags[index]:
                row.update(event=events[k]["audio_filename"], onset=float(starts[k]),
                           ebr=float(ebrs[k]), segment=list(events[k]["segment"]))
                k += 1
            rows.append(row)
        out[classname] = rows
    return out


def _ours(recipes):
    rows = []
    for r in recipes:
        row = {"bg": r.bg_uri.split("bgs/", 1)[1], "present": bool(r.label)}
        if r.label:
            row.update(event=os.path.basename(r.event_uri), onset=r.event_onset_s, ebr=r.ebr_db,
                       segment=[r.segment_start_s, r.segment_end_s])
        rows.append(row)
    return rows


@pytest.mark.parametrize("subset, stem, mixtures", [("train", "devtrain", 24),
                                                    ("test", "devtest", 17)])
def test_dcase2017_mode_draws_exactly_what_the_reference_draws(dcase_three_classes, subset,
                                                               stem, mixtures):
    data = datasets.load_source_data(dcase_three_classes, 0)
    cv_setup = os.path.join(dcase_three_classes, "source_data", "cv_setup")
    expected = reference_draws(cv_setup, stem, mixtures, screened={"a001_0_30.wav"})
    split = "train" if subset == "train" else "eval"
    for cls in CLASSES:
        ours = mixing.dcase2017_recipes(data, subset, split, mixtures, "target", [cls])
        assert _ours(ours) == expected[cls], cls
    # the quirk is exercised: some event drawn twice, and both of its mixtures share the onset
    glass = [r for r in expected["glassbreak"] if r["present"]]
    onsets = {}
    for row in glass:
        onsets.setdefault(row["event"], set()).add(row["onset"])
    assert len(glass) > len(onsets) and all(len(v) == 1 for v in onsets.values())
    # several classes at once: each recipe holds one class, labelled in the task's class order
    both = mixing.dcase2017_recipes(data, subset, split, mixtures, "source",
                                    ["babycry", "gunshot"])
    assert _ours(both) == expected["babycry"] + expected["gunshot"]
    assert {tuple(r.labels) for r in both if r.label} == {(1, 0), (0, 1)}


def test_dcase2017_mode_mixes_as_the_reference_does(dcase_three_classes):
    data = datasets.load_source_data(dcase_three_classes, 0)
    recipes = mixing.dcase2017_recipes(data, "test", "eval", 6, "target", ["glassbreak"])
    load = mixing.audio_loader(data.data_root, 0)
    for recipe in recipes:
        audio, final = mixing.render(recipe, load)
        bg = load(recipe.bg_uri)
        if not recipe.label:   # the reference writes 0.2 * bg as it is
            assert np.array_equal(audio, 0.2 * bg)
            continue
        event = load(recipe.event_uri)[int(recipe.segment_start_s * SR):
                                       int(recipe.segment_end_s * SR)]
        onset = int(recipe.event_onset_s * SR)
        part = bg[onset:onset + len(event)]
        scale = 10 ** (recipe.ebr_db / 20) / (np.sqrt(np.mean(event ** 2))
                                              / np.sqrt(np.mean(part ** 2)))
        expected = bg.copy()
        expected[onset:onset + len(event)] += scale * event
        expected *= 0.2
        if np.max(np.abs(expected)) >= 1:
            expected /= np.max(np.abs(expected))
        assert final.scale == pytest.approx(scale, rel=1e-12)
        np.testing.assert_allclose(audio, expected, rtol=0, atol=1e-12)


def test_dcase2017_mode_refuses_data_without_the_reference_classes(dcase_fixture):
    data = datasets.load_source_data(str(dcase_fixture), 0)   # babycry and glassbreak only
    with pytest.raises(audio_io.AudioDataError, match="gunshot"):
        mixing.dcase2017_recipes(data, "train", "train", 4, "target", ["glassbreak"])


def test_default_mode_recipes_are_unchanged_by_the_mode_field(dcase_fixture):
    data = datasets.load_source_data(str(dcase_fixture), 0)
    recipe = datasets.split_recipes(data, "target", 4, 4, 1, 1000, 1.0)["train"][0]
    assert "mode" not in recipe.to_json()
    assert mixing.Recipe.from_json(recipe.to_json()) == recipe


def test_bg_screening_leaves_marked_backgrounds_out_and_can_be_switched_off(
        dcase_three_classes):
    screened = datasets.load_source_data(dcase_three_classes, 0)
    kept = datasets.load_source_data(dcase_three_classes, 0, bg_screening=False)
    names = lambda data: [os.path.basename(b.uri) for b in data.backgrounds["train"]]
    assert "a001_0_30.wav" not in names(screened) and "a002_0_30.wav" in names(screened)
    assert screened.screened_out == ("bgs/audio/a001_0_30.wav",)
    assert "a001_0_30.wav" in names(kept) and kept.screened_out == ()


def test_stereo_input_is_read_as_the_mean_of_its_channels(tmp_path):
    rng = np.random.default_rng(0)
    stereo = 0.2 * rng.standard_normal((SR, 2))
    path = str(tmp_path / "stereo.wav")
    soundfile.write(path, stereo, SR, subtype="FLOAT")
    mono = audio_io.read_mono(path)
    np.testing.assert_allclose(mono, stereo.mean(axis=1), atol=1e-7)
    assert audio_io.check_audio_content(path) == pytest.approx(1.0)
    # a DCASE reader accepts a stereo background
    assert audio_io.duration_s(path) == (pytest.approx(1.0), SR)


def test_segment_bounds_of_the_dcase_reader(dcase_fixture):
    cv = os.path.join(str(dcase_fixture), "source_data", "cv_setup", "events_devtest.yaml")
    with open(cv) as handle:
        by_class = yaml.safe_load(handle)
    for bad, message in (([0.1, float("inf")], "finite"), ([0.1, 9.0], "past the end"),
                         ("0.1-0.6", "not \\[start_s, end_s\\]")):
        by_class["glassbreak"][0]["segment"] = bad
        with open(cv, "w") as handle:
            yaml.safe_dump(by_class, handle)
        with pytest.raises(audio_io.AudioDataError, match=message):
            dcase.read_source_data(str(dcase_fixture))
