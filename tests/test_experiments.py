"""Experiments: table1, curve, budget and sources on the smoke profile, from fresh training runs."""
import dataclasses
import json
import os
import time

import pytest

from pipeline import __main__ as cli
from pipeline import configs, experiments


def _run(tmp_path, *argv, real_audio="off", seeds=2):
    assert cli.main(["experiment", *argv, "--profile", "smoke", "--seeds", str(seeds),
                     "--set", f"real_audio={real_audio}", "--set", "real_excerpts=1",
                     "--output-dir", str(tmp_path), "--out", str(tmp_path / "exp")]) == 0
    return tmp_path / "exp"


def _metrics_of(run_dir):
    with open(os.path.join(os.path.dirname(run_dir.rstrip("/")), "metrics.json")) as handle:
        return json.load(handle)


@pytest.fixture(scope="module")
def table1_study(tmp_path_factory, real_fixture_set):
    """A table1 study (two rows, two seeds, with the real set); (folder, start time, argv)."""
    tmp_path = tmp_path_factory.mktemp("table1")
    started = time.time()
    argv = ("table1", "--rows", "parallel_low,scratch_limited")
    out = _run(tmp_path, *argv, real_audio=str(real_fixture_set[0]))
    return tmp_path, out, started, argv


def test_table1_rows_come_from_training_runs_of_this_invocation(table1_study, real_fixture_set):
    tmp_path, out, started, _ = table1_study
    result = json.loads((out / "table1.json").read_text())
    assert (out / "table1.png").stat().st_size > 0
    markdown = (out / "table1.md").read_text()
    # the rows asked for, in the paper's order (the other two methods train the same way)
    assert [r["row"] for r in result["rows"]] == ["scratch_limited", "parallel_low"]
    for row in result["rows"]:
        assert row["paper"] and f"{row['paper']:.1f}" in markdown
        assert len(row["runs"]) == 2 and {r["seed"] for r in row["runs"]} == {0, 1}
        for run in row["runs"]:
            assert run["run"].startswith(str(out))
            metrics = _metrics_of(run["run"])
            assert os.path.getmtime(os.path.join(run["run"], "saved_model.pb")) >= started
            assert metrics["metrics"]["eval"]["accuracy"] == run["keras_eval_accuracy"]
            # the smoke profile's models have an onset fusion (fitted on the study's
            # calibration split): a run is scored as the pushed model answers, through
            # serving_default, equal to the Trainer's own fused figure; the network alone
            # (predict_mfcc) is the Trainer's Keras accuracy
            assert metrics["onset_fusion"]["calibration"]["clips"] == 16
            assert abs(run["network_accuracy"] - run["keras_eval_accuracy"]) < 1e-6
            assert abs(run["accuracy"] - metrics["onset_fusion"]["eval"]["fused_accuracy"]) < 1e-6
            assert set(run) >= {"ebr_-6", "ebr_0", "ebr_6", "negatives"}
        accuracies = [r["accuracy"] for r in row["runs"]]
        assert row["accuracy"] == pytest.approx(sum(accuracies) / 2)
        assert row["runs"][0]["run"] != row["runs"][1]["run"]
    assert set(result["stage_seconds"]) >= {"data", "train_source", "train_target"}
    assert "## On real recordings" in markdown and "ROC AUC within each real background" in markdown
    assert "Real impacts (sharp sounds that are not the event" in markdown
    assert "## The networks alone and with the onset fusion" in markdown
    assert all("network_accuracy" in row and "network_auc" in row["real"]
               for row in result["rows"])
    # what it ran on: the vector instructions TensorFlow's kernels dispatch on, the packages
    machine = result["machine"]
    assert isinstance(machine["vector_flags"], list) and len(machine["packages"]["sha256"]) == 16
    assert "commit" in machine["source"] and "Measured on: " in markdown
    # what it measured: the settings changed from the profile (--set), not the folders it wrote
    assert (f"Settings other than the `smoke` profile's: `real_audio={real_fixture_set[0]}`, "
            "`real_excerpts=1`." in markdown)
    for row in result["rows"]:
        reals = [run["real"] for run in row["runs"]]
        assert all(0 <= r["accuracy"] <= 1 and 0 <= r["auc"] <= 1 for r in reals)
        assert {"false_alarms:hum", "false_alarms:birdsong", "false_alarms:street"} <= set(reals[0])
        for scene in ("hum", "birdsong", "street"):      # AUC within each real background
            assert all(r[f"auc:{scene}"] is None or 0 <= r[f"auc:{scene}"] <= 1 for r in reals)
        assert row["real"]["accuracy"] == pytest.approx(sum(r["accuracy"] for r in reals) / 2)
        # the fixture set's knock, mixed into clips without a break, scored apart
        assert all(0 <= r["impact_false_alarms"] == r["impact_false_alarms:door"] <= 1
                   and 0 <= r["auc_breaks_vs_impacts"] <= 1 for r in reals)
    first = result["rows"][0]["runs"]
    data = out / "data"
    seed0 = (data / "target-limited-s0" / "Split-train").iterdir().__next__().read_bytes()
    seed1 = (data / "target-limited-s1" / "Split-train").iterdir().__next__().read_bytes()
    assert seed0 != seed1, "different seeds must draw different training data"
    assert _metrics_of(first[0]["run"])["config"]["seed"] != _metrics_of(first[1]["run"])["config"]["seed"]

    # experiment events scores the same models (no training) on both test sets
    assert cli.main(["experiment", "events", "--profile", "smoke", "--seeds", "2",
                     "--set", f"real_audio={real_fixture_set[0]}", "--set", "real_excerpts=1",
                     "--output-dir", str(tmp_path), "--runs-from", str(out),
                     "--out", str(tmp_path / "events")]) == 0
    events = json.loads((tmp_path / "events" / "events.json").read_text())
    assert (tmp_path / "events" / "events.png").stat().st_size > 0
    assert "DCASE 2017 Task 2" in (tmp_path / "events" / "events.md").read_text()
    assert events["sets"] == ["synthetic", "real"]
    for row in ("parallel_low", "scratch_limited"):
        runs = events["rows"][row]["runs"]
        assert [r["seed"] for r in runs] == [0, 1]
        for run in runs:
            # the exported localize_mfcc signature scores as the Trainer's Keras model did
            trainer = _metrics_of(run["run"])["events"]["overall"]
            assert run["synthetic"]["overall"] == pytest.approx(trainer, nan_ok=True)
            assert set(run["synthetic"]["per_ebr"]) == {"-6", "0", "6"}
            assert run["real"]["overall"]["reference_events"] > 0


def test_table1_names_its_test_set_after_the_target_data(table1_study, tmp_path):
    """On the embedded corpus the table says its clips are synthetic; on a folder of recordings
    (e.g. a user's own, real) it names the folder instead of calling them synthetic."""
    from pipeline import experiments
    _, out, _, _ = table1_study
    result = json.loads((out / "table1.json").read_text())
    assert "Table 1 on the embedded corpus" in (out / "table1.md").read_text()
    assert "These are synthetic test clips" in (out / "table1.md").read_text()
    result["config"]["target_data"] = "/data/my_recordings"
    experiments._write_table1(result, str(tmp_path))
    markdown = (tmp_path / "table1.md").read_text()
    assert "Table 1 on the target data `/data/my_recordings`" in markdown
    assert "synthetic test clips" not in markdown
    assert experiments.target_test_label("embedded") == "synthetic"
    assert experiments.target_test_label("/data/my_recordings") == "target test"


def test_a_study_gives_its_target_training_data_the_extras_the_target_example_gen_gets(
        table1_study):
    """The study's data key and the Target ExampleGen's arguments come from one builder
    (``PipelineConfig.target_training_extras``): the smoke profile's calibration split is in
    both, and in neither for the target test set."""
    _, out, _, _ = table1_study
    config = configs.get_config("smoke")
    extras = config.target_training_extras()
    assert extras == {"calibration_clips": config.calibration_clips,
                      "calibration_seed": config.calibration_seed}
    target_job = config.data_jobs()["Target"]
    assert {key: target_job[key] for key in extras} == extras

    def made_from(name):
        return json.loads((out / "data" / name / "done.json").read_text())["made_from"]

    for seed in (0, 1):
        assert {key: made_from(f"target-limited-s{seed}")[key] for key in extras} == extras
    assert not set(extras) & set(made_from("target-test"))


def test_table1_resumes_its_study_and_refuses_other_settings(table1_study, real_fixture_set,
                                                             capsys):
    tmp_path, out, _, argv = table1_study
    real = str(real_fixture_set[0])
    runs = out / "runs"
    models = sorted(runs.glob("*/model/Format-Serving/saved_model.pb"))
    assert len(models) == 6                          # 2 sources, 2 x 2 rows
    finished = {path: path.stat().st_mtime_ns for path in models}
    before = json.loads((out / "table1.json").read_text())

    # the same command again: every data set and run is reused, nothing trains
    _run(tmp_path, *argv, real_audio=real)
    again = json.loads((out / "table1.json").read_text())
    assert {path: path.stat().st_mtime_ns for path in models} == finished
    # runs; source and limited data; test sets (synthetic, real, real impacts)
    assert again["reused_steps"] == 6 + 4 + 3
    assert [r["accuracy"] for r in again["rows"]] == [r["accuracy"] for r in before["rows"]]
    assert "were reused" in (out / "table1.md").read_text()
    # a study recorded before a setting existed (its study.json lacks it) reads as the old
    # behaviour of that setting and resumes
    recorded = json.loads((out / "study.json").read_text())
    assert recorded["settings"].pop("warmup_epochs") == 0
    (out / "study.json").write_text(json.dumps(recorded))
    _run(tmp_path, *argv, real_audio=real)
    assert {path: path.stat().st_mtime_ns for path in models} == finished

    # an interrupted run (no done.json) starts again from an empty folder, and trains the same
    # model: a run depends on its seed, not on what trained before it in the process
    parallel = runs / "s1-parallel_low"
    (parallel / "done.json").unlink()
    (parallel / "left-by-the-interruption").write_text("")
    _run(tmp_path, *argv, real_audio=real)
    assert (parallel / "done.json").exists()
    assert not (parallel / "left-by-the-interruption").exists()
    retrained = json.loads((out / "table1.json").read_text())["rows"][1]["runs"][1]
    original = before["rows"][1]["runs"][1]
    assert retrained["run"] == original["run"] and retrained["seed"] == 1
    assert retrained["accuracy"] == original["accuracy"]
    assert retrained["train_accuracy"] == original["train_accuracy"]

    # other settings: one line naming the setting, exit 2, nothing changed
    capsys.readouterr()
    recorded = (out / "study.json").read_text()
    assert cli.main(["experiment", *argv, "--profile", "smoke", "--seeds", "2",
                     "--set", f"real_audio={real}", "--set", "real_excerpts=1",
                     "--set", "clip_mean=1", "--output-dir", str(tmp_path),
                     "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "clip_mean=0 there, 1 here" in err
    assert (out / "study.json").read_text() == recorded
    # a folder that holds something else is not taken for a study
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "notes.txt").write_text("mine")
    assert cli.main(["experiment", "table1", "--profile", "smoke", "--seeds", "1",
                     "--set", "real_audio=off", "--output-dir", str(tmp_path),
                     "--out", str(tmp_path / "other")]) == 2
    assert "holds no study" in capsys.readouterr().err
    assert (tmp_path / "other" / "notes.txt").read_text() == "mine"


def test_table1_seeds_run_as_separate_studies_and_merge_into_the_same_table(table1_study,
                                                                           real_fixture_set,
                                                                           capsys):
    """--first-seed runs seed k alone (the data and model seeds of seed k of a longer study);
    --merge puts such studies' runs side by side: the same table as one study of both seeds."""
    import shutil
    tmp_path, out, _, argv = table1_study
    real = str(real_fixture_set[0])
    whole = json.loads((out / "table1.json").read_text())
    parts = []
    for first_seed in (1, 2):          # copies of the finished study: every run is reused
        part = tmp_path / f"seed{first_seed}"
        shutil.copytree(out, part)
        assert cli.main(["experiment", *argv, "--profile", "smoke", "--seeds", "1",
                         "--first-seed", str(first_seed), "--set", f"real_audio={real}",
                         "--set", "real_excerpts=1", "--output-dir", str(tmp_path),
                         "--out", str(part)]) == 0
        alone = json.loads((part / "table1.json").read_text())
        assert alone["seed_numbers"] == [first_seed] and alone["reused_steps"] > 0
        assert [[run["seed"] for run in row["runs"]] for row in alone["rows"]] == [[first_seed - 1]] * 2
        parts.append(str(part))
    merged_dir = tmp_path / "merged"
    assert cli.main(["experiment", "table1", "--merge", ",".join(parts),
                     "--out", str(merged_dir)]) == 0
    merged = json.loads((merged_dir / "table1.json").read_text())
    assert merged["seed_numbers"] == [1, 2] and (merged_dir / "table1.png").stat().st_size > 0
    for got, want in zip(merged["rows"], whole["rows"]):
        assert got["row"] == want["row"]
        assert [r["accuracy"] for r in got["runs"]] == [r["accuracy"] for r in want["runs"]]
        assert got["accuracy"] == pytest.approx(want["accuracy"])
        assert got["ci95"] == pytest.approx(want["ci95"])
        assert got["real"]["auc"] == pytest.approx(want["real"]["auc"])
    assert "seeds: 1, 2" in (merged_dir / "table1.md").read_text()
    # each study's own record (the speed yardstick is measured anew by every invocation)
    assert [dict(m, speed=None) for m in merged["machines"]] == [dict(whole["machine"],
                                                                      speed=None)] * 2
    assert "machine" not in merged and all(m["speed"]["librosa_mfcc_30s_ms"] > 0
                                           for m in merged["machines"])
    assert "Measured on, study 2: " in (merged_dir / "table1.md").read_text()
    # studies of other rows merge too (e.g. a long row run on its own): every row, in the
    # paper's order, each over its own seeds, and the Markdown says which
    only_scratch = tmp_path / "seed2-scratch"
    shutil.copytree(out, only_scratch)
    assert cli.main(["experiment", "table1", "--rows", "scratch_limited", "--profile", "smoke",
                     "--seeds", "1", "--first-seed", "2", "--set", f"real_audio={real}",
                     "--set", "real_excerpts=1", "--output-dir", str(tmp_path),
                     "--out", str(only_scratch)]) == 0
    assert cli.main(["experiment", "table1", "--merge", f"{parts[0]},{only_scratch}",
                     "--out", str(tmp_path / "uneven")]) == 0
    uneven = json.loads((tmp_path / "uneven" / "table1.json").read_text())
    assert [r["row"] for r in uneven["rows"]] == ["scratch_limited", "parallel_low"]
    assert [[run["seed"] for run in r["runs"]] for r in uneven["rows"]] == [[0, 1], [0]]
    assert uneven["rows"][0]["accuracy"] == pytest.approx(whole["rows"][0]["accuracy"])
    markdown = (tmp_path / "uneven" / "table1.md").read_text()
    assert "not every row was measured on every seed" in markdown
    assert "| 1, 2 |" in markdown and "| 1 |" in markdown
    assert "not every row" not in (merged_dir / "table1.md").read_text()
    # a seed in two of the merged studies: one line, exit 2, nothing written
    capsys.readouterr()
    assert cli.main(["experiment", "table1", "--merge", f"{parts[0]},{parts[0]}",
                     "--out", str(tmp_path / "twice")]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "seed 1" in err and "twice" not in os.listdir(tmp_path)


def test_curve_covers_both_methods_and_every_size(tmp_path):
    out = _run(tmp_path, "curve", "--sizes", "2,4", seeds=1)
    result = json.loads((out / "curve.json").read_text())
    assert (out / "curve.png").stat().st_size > 0
    for method in ("scratch", "parallel_low"):
        series = result["series"][method]
        assert series["sizes"] == [2, 4] and len(series["mean"]) == 2
        for size in ("2", "4"):
            runs = series["runs"][size]
            assert [r["seed"] for r in runs] == [0]
            assert all(os.path.exists(os.path.join(r["run"], "saved_model.pb")) for r in runs)


def test_budget_trains_scratch_longer_on_limited_and_full_data(tmp_path):
    assert cli.main(["experiment", "budget", "--profile", "smoke", "--set", "real_audio=off",
                     "--limited-epochs", "3",
                     "--full-epochs", "2", "--full-clips", "16", "--output-dir", str(tmp_path),
                     "--out", str(tmp_path / "budget")]) == 0
    result = json.loads((tmp_path / "budget" / "budget.json").read_text())["results"]
    assert set(result) == {"scratch_limited_3ep", "scratch_full_2ep"}
    assert result["scratch_full_2ep"]["clips"] == 16
    for run in result.values():
        assert os.path.exists(os.path.join(run["run"], "saved_model.pb"))
        assert _metrics_of(run["run"])["config"]["epochs"] == run["epochs"]


def test_a_study_recorded_before_the_onset_fusion_resumes_without_it_and_not_with_it(tmp_path):
    """A study recorded before ``onset_fusion`` existed (its models have none) reads as
    ``onset_fusion=0`` and resumes so; its calibration settings decide nothing without the
    fusion and are not compared; with the fusion on, the study is refused (other models)."""
    quick = configs.get_config("quick")
    recorded = experiments.study_settings(dataclasses.replace(quick, onset_fusion=0))
    assert "calibration_clips" not in recorded and "calibration_seed" not in recorded
    recorded.pop("onset_fusion")
    (tmp_path / "old").mkdir()
    (tmp_path / "old" / experiments.STUDY_FILE).write_text(json.dumps({"settings": recorded}))
    experiments.Study(dataclasses.replace(quick, onset_fusion=0, calibration_clips=50),
                      str(tmp_path / "old"))
    with pytest.raises(experiments.StudyMismatch, match="onset_fusion=0 there, 1 here"):
        experiments.Study(quick, str(tmp_path / "old"))
    assert experiments.study_settings(quick)["calibration_clips"] == 400


def test_a_study_recorded_before_the_fusion_centroid_cap_resumes_only_uncapped(tmp_path):
    """A fused study recorded before ``fusion_centroid_cap_khz`` existed reads as 0: it resumes
    with the cap off and is refused, naming the setting, with the quick profile's 2 kHz."""
    quick = configs.get_config("quick")
    uncapped = dataclasses.replace(quick, fusion_centroid_cap_khz=0.0)
    recorded = experiments.study_settings(uncapped)
    recorded.pop("fusion_centroid_cap_khz")
    (tmp_path / "old").mkdir()
    (tmp_path / "old" / experiments.STUDY_FILE).write_text(json.dumps({"settings": recorded}))
    experiments.Study(uncapped, str(tmp_path / "old"))
    with pytest.raises(experiments.StudyMismatch,
                       match="fusion_centroid_cap_khz=0.0 there, 2.0 here"):
        experiments.Study(quick, str(tmp_path / "old"))


def test_changed_settings_name_what_differs_from_the_profile_not_where_it_wrote():
    recorded = dataclasses.asdict(configs.get_config("quick", clip_mean=0, output_dir="/elsewhere"))
    recorded.pop("weight_decay")     # a record written before the setting existed
    assert configs.changed_settings("quick", json.loads(json.dumps(recorded))) == {"clip_mean": 0}


def test_a_setting_with_a_measured_cost_is_named_before_the_run():
    assert configs.setting_warnings(configs.get_config("paper")) == []
    # clip_mean breaks only the running-probability onsets
    assert configs.setting_warnings(configs.get_config("paper", clip_mean=1)) == []
    running = {"event_onsets": "running"}
    [line] = configs.setting_warnings(configs.get_config("paper", clip_mean=1, **running))
    assert line.startswith("warning: clip_mean=1 with event_onsets=running breaks the event")
    [line] = configs.setting_warnings(configs.get_config("paper", clip_mean=2, **running))
    assert line.startswith("warning: clip_mean=2 with event_onsets=running breaks the event")
    [line] = configs.setting_warnings(configs.get_config("paper", negative_frames=1.0))
    assert line.startswith("warning: negative_frames=1 without clip_mean measured no real-audio")
    [line] = configs.setting_warnings(configs.get_config("paper", clip_mean=1, negative_frames=1.0,
                                                         **running))
    assert "locator=1" in line
    assert configs.setting_warnings(configs.get_config("paper", clip_mean=1, negative_frames=1.0,
                                                       locator=1, **running)) == []
    [line] = configs.setting_warnings(configs.get_config("paper", clip_mean=1, negative_frames=1.0,
                                                         locator=1))
    assert line.startswith("warning: locator=1 with event_onsets=strength")
    [line] = configs.setting_warnings(configs.get_config("paper", locator=1))
    assert line.startswith("warning: locator=1 without clip_mean or negative_frames")


def test_a_real_summary_averages_only_the_figures_every_run_has():
    old = {"accuracy": 0.5, "auc": 0.6}                       # scored before auc:<scene>
    new = {"accuracy": 0.7, "auc": 0.8, "auc:rain": 0.9, "auc:wind": None}
    summary = experiments._real_summary([{"real": new}, {"real": old}])
    assert summary["accuracy"] == pytest.approx(0.6) and summary["auc"] == pytest.approx(0.7)
    assert "auc:rain" not in summary and "auc:wind" not in summary
    assert experiments._real_summary([{"real": new}, {"real": dict(new, **{"auc:rain": 0.7})}])[
        "auc:rain"] == pytest.approx(0.8)


def test_sources_compares_class_sets_on_the_same_target_data(tmp_path, capsys, monkeypatch):
    out = tmp_path / "exp"
    # the machine record (its commit, its speed) is taken when the study starts, before any
    # training: a commit made during a long study is not recorded as the code that ran it
    records, record_machine = [], experiments.machine
    monkeypatch.setattr(experiments, "machine", lambda: records.append(
        sorted(p.name for p in out.glob("runs/*"))) or record_machine())
    assert cli.main(["experiment", "sources", "--profile", "smoke", "--seeds", "1",
                     "--set", "real_audio=off", "--variants", "babycry;babycry,dogbark",
                     "--rows", "parallel_low", "--output-dir", str(tmp_path),
                     "--out", str(out)]) == 0
    assert "resuming" not in capsys.readouterr().out      # a new study does not say it resumes
    result = json.loads((out / "sources.json").read_text())
    rows = {(r["source_classes"], r["row"]): r for r in result["rows"]}
    assert set(rows) == {("", "scratch_limited"), ("babycry", "parallel_low"),
                         ("babycry,dogbark", "parallel_low")}
    one, two = rows[("babycry", "parallel_low")], rows[("babycry,dogbark", "parallel_low")]
    for row, classes in ((one, ["babycry"]), (two, ["babycry", "dogbark"])):
        run = row["runs"][0]
        assert sorted(run["copied_layers"]) == ["lstm_1_source", "normalize"]
        source_dir = run["run"].replace("parallel_low", "source")
        assert _metrics_of(source_dir)["classes"] == classes
        assert set(run["source_class_auc"]) == set(classes)
    # both variants trained their target model on the same limited target data
    assert _metrics_of(one["runs"][0]["run"])["metrics"]["train"]["examples"] == \
        _metrics_of(two["runs"][0]["run"])["metrics"]["train"]["examples"]
    assert len(list((out / "data").glob("target-limited-*"))) == 1
    assert (out / "sources.png").stat().st_size > 0 and "2-class source" in (out / "sources.md").read_text()
    assert records == [[]]
    markdown = (out / "sources.md").read_text()
    assert "Measured on: " in markdown
    assert "Settings other than the `smoke` profile's: `real_audio=off`." in markdown
