"""The real-audio set: builder on fixture packages of each source format, group reader, errors,
and the factorial evaluation design (real dpkg-deb, apt-get, pip, soundfile; nothing mocked)."""
import csv
import dataclasses
import os
import subprocess
import sys

import numpy as np
import pytest
import soundfile

from components.audio import datasets, dcase, mixing, ocg, real_audio
from tests.conftest import SR


def _rows(path):
    with open(path, newline="") as handle:
        return list(csv.DictReader(handle))


def test_builder_writes_mono_44k_wavs_trimmed_events_and_looped_backgrounds(real_fixture_set):
    folder, _ = real_fixture_set
    for name in ("fixture_break", "fixture_shatter", "fixture_hum", "fixture_birds",
                 "fixture_street"):
        info = soundfile.info(str(folder / "audio" / f"{name}.wav"))
        assert (info.channels, info.samplerate) == (1, SR), name
    # 0.3 s of silence, then a 0.6 s burst, stereo at 48 kHz: trimmed to the burst.
    brk = soundfile.info(str(folder / "audio" / "fixture_break.wav")).duration
    assert 0.55 <= brk <= 0.63
    for name in ("fixture_hum", "fixture_birds", "fixture_street"):
        assert soundfile.info(str(folder / "audio" / f"{name}.wav")).duration >= \
            real_audio.MIN_BACKGROUND_S


def test_builder_writes_the_manifest_and_the_credits_from_each_package(real_fixture_set):
    folder, _ = real_fixture_set
    events = _rows(folder / "events.csv")
    assert [(r["path"], r["class"], r["author"], r["subset"]) for r in events] == [
        ("audio/fixture_break.wav", "glassbreak", "alice", "test"),
        ("audio/fixture_shatter.wav", "glassbreak", "carol", "test"),
        ("audio/fixture_knock.wav", "door", "2020 Bob Builder; 2021 Eve", "test")]
    backgrounds = _rows(folder / "backgrounds.csv")
    assert [(r["scene"], r["subset"]) for r in backgrounds] == [
        ("hum", "test"), ("birdsong", "test"), ("street", "test")]
    attribution = (folder / "ATTRIBUTION.md").read_text()
    for expected in ("http://www.freesound.org/people/alice/sounds/101/", "CC BY 3.0",
                     "http://www.freesound.org/people/carol/sounds/2/", "2020 Bob Builder",
                     "GPL-2+", "MIT License", "2020 Dave", "fixture-sounds (1.0-1)",
                     "fixture-util (0.1)", "Hits.ocg/Glass.ocg/Shatter.ogg",
                     "2 ch -> mono", "48000 Hz -> 44100 Hz"):
        assert expected in attribution, expected
    data = dcase.read_source_data(str(folder))
    assert len(data.backgrounds["test"]) == 3 and len(data.events["test"]) == 3
    assert not data.backgrounds["train"] and not data.events["train"]


def test_a_complete_set_is_reused_and_not_rebuilt(real_fixture_set, tmp_path):
    folder, files = real_fixture_set
    before = os.path.getmtime(folder / "audio" / "fixture_break.wav")
    real_audio.build_real_audio(str(folder), str(tmp_path / "empty-cache"), files,
                                log=lambda m: None)
    assert os.path.getmtime(folder / "audio" / "fixture_break.wav") == before
    assert not (tmp_path / "empty-cache").exists()


def test_group_reader_reads_nested_members_and_names_a_missing_one(tmp_path):
    path = str(tmp_path / "Sound.ocg")
    ocg.write_group_file(path, {"A.ocg": {"B.ocg": {"x.ogg": b"abc"}}, "authors.txt": b"me"})
    with open(path, "rb") as handle:
        assert handle.read(2) == ocg.OCG_MAGIC
    assert ocg.read_members(path, ["A.ocg/B.ocg/x.ogg", "authors.txt"]) == {
        "A.ocg/B.ocg/x.ogg": b"abc", "authors.txt": b"me"}
    with pytest.raises(ocg.GroupFormatError, match="A.ocg/nope.ogg"):
        ocg.read_members(path, ["A.ocg/nope.ogg"])
    (tmp_path / "bad.ocg").write_bytes(b"PK\x03\x04")
    with pytest.raises(ocg.GroupFormatError, match="not an OpenClonk group"):
        ocg.read_members(str(tmp_path / "bad.ocg"), ["x"])


def test_a_package_the_archive_does_not_have_gives_one_clear_line(tmp_path):
    with pytest.raises(real_audio.RealAudioUnavailable) as err:
        real_audio.fetch_deb("no-such-package-fewshot-tagging", str(tmp_path))
    message = str(err.value)
    assert "\n" not in message
    assert "no-such-package-fewshot-tagging" in message and "apt-get update" in message


@pytest.mark.parametrize("real_set,first_package", [("default", "lmms-common"),
                                                    ("holdout", "brainparty-data")])
def test_cli_with_unreachable_archives_prints_one_line_and_exits_4(tmp_path, real_set,
                                                                   first_package):
    lists = tmp_path / "lists"
    (lists / "partial").mkdir(parents=True)
    (tmp_path / "parts").mkdir()
    conf = tmp_path / "apt.conf"
    conf.write_text(f'Dir::State::Lists "{lists}";\nDir::Etc::SourceList "/dev/null";\n'
                    f'Dir::Etc::SourceParts "{tmp_path / "parts"}";\n'
                    'Dir::Cache::pkgcache "";\nDir::Cache::srcpkgcache "";\n')
    env = dict(os.environ, APT_CONFIG=str(conf), PIP_INDEX_URL="http://127.0.0.1:9/simple")
    result = subprocess.run([sys.executable, "-m", "pipeline", "real-audio", "--set", real_set,
                             "--output", str(tmp_path / "set"), "--cache",
                             str(tmp_path / "cache")],
                            capture_output=True, text=True, env=env, timeout=300)
    assert result.returncode == 4   # unavailable (pipeline.cli_errors)
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"real-audio: apt-get download {first_package}")
    assert not (tmp_path / "set").exists()


def test_the_three_real_sets_share_no_package_and_no_file():
    sets = real_audio.REAL_SETS
    assert set(sets) == {"default", "holdout", "train-pool"}
    for one, other in (("default", "holdout"), ("default", "train-pool"),
                       ("holdout", "train-pool")):
        assert not {f.package for f in sets[one]} & {f.package for f in sets[other]}, (one, other)
        assert not {f.stem for f in sets[one]} & {f.stem for f in sets[other]}, (one, other)
    pool = sets["train-pool"]
    assert {f.kind for f in pool} == {"background", "event"}
    assert "glassbreak" not in {f.label for f in pool if f.kind == "event"}, \
        "the pool's events are hard negatives: sounds that are not the event"
    holdout = sets["holdout"]
    kinds = [f.kind for f in holdout]
    assert kinds.count("event") >= 3 and kinds.count("background") >= 5
    labels = [f.label for f in holdout if f.kind == "event"]
    assert labels.count("glassbreak") == 3
    # both evaluation sets hold real impacts: sharp sounds of other kinds, none a glass break
    for name in ("default", "holdout"):
        others = {f.label for f in sets[name] if f.kind == "event"} - {"glassbreak"}
        assert len(others) >= 3, name
        assert not any("break" in label or "shatter" in label for label in others), name
    assert len({f.label for f in holdout if f.kind == "background"}) == kinds.count("background")


def test_credits_read_the_named_copyright_stanza_and_check_a_stated_credit():
    text = ("Format: x\n\nFiles: *\nCopyright: 2001 Game Author\nLicense: GPL-2+\n\n"
            "Files: data/mod/*\nCopyright: Mod team\nLicense: CC-BY-SA-3\n\n")
    mod = real_audio.read_credit(text, real_audio.Credit("debian_copyright", "copyright",
                                                         "data/mod/*"))
    assert (mod["author"], mod["licence"]) == ("Mod team", "CC-BY-SA-3")
    whole = real_audio.read_credit(text, real_audio.Credit("debian_copyright", "copyright"))
    assert (whole["author"], whole["licence"]) == ("2001 Game Author", "GPL-2+")
    with pytest.raises(real_audio.RealAudioUnavailable, match="no 'Files: sounds/\\*' stanza"):
        real_audio.read_credit(text, real_audio.Credit("debian_copyright", "copyright",
                                                       "sounds/*"))
    stated = real_audio.Credit("stated", "copyright", "GPL-2+", author="A", licence="GPL-2")
    assert real_audio.read_credit(text, stated)["author"] == "A"
    with pytest.raises(real_audio.RealAudioUnavailable, match="does not say 'MIT'"):
        real_audio.read_credit(text, dataclasses.replace(stated, key="MIT"))


def test_the_holdout_set_has_no_fewshot_split(tmp_path):
    result = subprocess.run([sys.executable, "-m", "pipeline", "real-audio", "--set", "holdout",
                             "--output", str(tmp_path / "set"), "--fewshot-output",
                             str(tmp_path / "fewshot")], capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 2
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "--fewshot-output" in lines[0], result.stderr
    assert not (tmp_path / "set").exists()


def test_factorial_design_covers_every_event_ebr_and_background_and_is_seeded(real_fixture_set):
    folder, _ = real_fixture_set
    data = dcase.read_source_data(str(folder))
    recipes = datasets.split_recipes(data, "real", 0, 0, 0, 3000, 2.0, excerpts=2)["eval"]
    positives = [r for r in recipes if r.label]
    assert len(positives) == 2 * 3 * 3 * 2 and len(recipes) == 2 * len(positives)
    combos = {(r.bg_uri, r.event_uri, r.ebr_db) for r in positives}
    assert len(combos) == 3 * 2 * 3
    for bg in data.backgrounds["test"]:
        mine = [r for r in recipes if r.bg_uri == bg.uri]
        assert sum(r.label for r in mine) == len(mine) // 2
    again = datasets.split_recipes(data, "real", 0, 0, 0, 3000, 2.0, excerpts=2)["eval"]
    assert [r.to_json() for r in again] == [r.to_json() for r in recipes]
    breaks = [e for e in data.events["test"] if e.event_class == "glassbreak"]
    other = mixing.factorial_recipes(data.backgrounds["test"], breaks, 2, 3001, 2.0)
    assert [r.bg_offset_s for r in other] != [r.bg_offset_s for r in recipes]
    audio, final = mixing.render(positives[0], mixing.audio_loader(data.data_root, 0))
    assert len(audio) == 2 * SR and final.scale > 0 and np.all(np.isfinite(audio))


def test_impacts_are_every_other_sound_at_every_ebr_in_every_background_labelled_0(
        real_fixture_set):
    from components.audio import examples
    folder, _ = real_fixture_set
    data = dcase.read_source_data(str(folder))
    plain = datasets.split_recipes(data, "real", 0, 0, 0, 3000, 2.0, excerpts=2)
    both = datasets.split_recipes(data, "real", 0, 0, 0, 3000, 2.0, excerpts=2, impacts=True)
    assert set(plain) == {"eval"} and set(both) == {"eval", "impacts"}
    # the clips without impacts are the same with and without them
    assert [r.to_json() for r in both["eval"]] == [r.to_json() for r in plain["eval"]]
    impacts = both["impacts"]
    assert len(impacts) == 1 * 3 * 3 * 2          # the knock x EBRs x backgrounds x excerpts
    assert {(r.bg_uri, r.impact["ebr_db"]) for r in impacts} == {
        (b.uri, e) for b in data.backgrounds["test"] for e in mixing.EBRS_DB}
    assert all(r.label == 0 and r.event_uri is None and r.impact["event_class"] == "door"
               for r in impacts)
    assert len({r.mixture_id for r in both["eval"] + impacts}) == len(both["eval"]) + len(impacts)
    load = mixing.audio_loader(data.data_root, 0)
    with_knock, _ = mixing.render(impacts[0], load)
    without = mixing.render(dataclasses.replace(impacts[0], impact=None), load)[0]
    start = int(impacts[0].impact["event_onset_s"] * SR)
    knock = slice(start, start + int(0.2 * SR))
    added = with_knock - without                   # the knock alone, at -6 dB
    assert np.sum(added[knock] ** 2) > 0.1 * np.sum(without[knock] ** 2)
    assert not np.any(added[:start]) and not np.any(added[start + int(0.35 * SR):])
    example = examples.mixture_example(impacts[0], np.zeros((3, 20), np.float32))
    assert example.features.feature["impact"].bytes_list.value == [b"door"]
    assert "ebr_db" not in example.features.feature
    with pytest.raises(ValueError, match="real evaluation set"):
        datasets.split_recipes(data, "target", 4, 4, 1, 2, 2.0, impacts=True)


def test_the_fewshot_folder_splits_the_set_by_package_and_serves_as_a_target_task(
        real_fixture_set, tmp_path):
    folder, _ = real_fixture_set
    out = tmp_path / "fewshot"
    real_audio.write_fewshot_set(str(folder), str(out), train_packages=("fixture-group",))
    events = {r["path"]: r["subset"] for r in _rows(out / "events.csv")}
    backgrounds = {r["path"]: r["subset"] for r in _rows(out / "backgrounds.csv")}
    assert events == {"audio/fixture_break.wav": "test", "audio/fixture_shatter.wav": "train",
                      "audio/fixture_knock.wav": "test"}
    assert backgrounds == {"audio/fixture_hum.wav": "test", "audio/fixture_birds.wav": "train",
                           "audio/fixture_street.wav": "test"}
    assert (out / "ATTRIBUTION.md").read_text() == (folder / "ATTRIBUTION.md").read_text()
    tasks = datasets.resolve_tasks("embedded", "babycry", str(out), "glassbreak", 2017)
    assert set(tasks["target"].scenes) == {"birdsong", "hum", "street"}
    assert tasks["target"].scenes_disjoint
    with pytest.raises(real_audio.RealAudioUnavailable, match="no event for the test subset"):
        real_audio.write_fewshot_set(str(folder), str(tmp_path / "bad"),
                                     train_packages=("fixture-group", "fixture-sounds"))


def test_a_run_whose_target_is_made_of_the_real_set_skips_the_real_evaluation(
        real_fixture_set, tmp_path, capsys):
    from pipeline import __main__ as cli
    from pipeline import configs
    folder, _ = real_fixture_set
    fewshot = tmp_path / "fewshot"
    real_audio.write_fewshot_set(str(folder), str(fewshot), train_packages=("fixture-group",))
    config = configs.get_config("smoke", target_data=str(fewshot), real_audio=str(folder))
    assert cli.resolve_real_audio(config).real_audio == "off"
    assert "own training recordings" in capsys.readouterr().err
    other = configs.get_config("smoke", real_audio=str(folder))
    assert cli.resolve_real_audio(other).real_audio == str(folder)


def test_real_audio_holdout_is_a_valid_setting_and_a_misspelt_one_is_refused():
    from pipeline import configs
    config = configs.validate_config(dataclasses.replace(configs.get_config("smoke"),
                                                         real_audio="holdout"))
    assert config.real_audio_data == ""     # no real branch until the CLI has built the set
    with pytest.raises(configs.ConfigError, match="'auto', 'holdout', 'off' or a folder"):
        configs.validate_config(dataclasses.replace(config, real_audio="heldout"))
