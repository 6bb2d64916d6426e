"""End to end: the smoke profile through LocalDagRunner, caching, baseline gate, anomalies."""
import json
import os
import re

import numpy as np
import pytest
import tensorflow as tf

from components.model import serving
from components.tfx import evaluation
from pipeline import __main__ as cli
from pipeline import configs, mlmd_reader
from pipeline import report as report_module

TRAINERS = ("SourceTrainer", "TransferTrainer", "ScratchTrainer")


def _run(output_dir, *extra):
    return cli.main(["run", "--profile", "smoke", "--output-dir", str(output_dir), *extra])


def _latest(output_dir, **settings):
    config = configs.get_config("smoke", output_dir=str(output_dir), **settings)
    return config, mlmd_reader.read_run(config.metadata_path, config.pipeline_id)


@pytest.fixture(scope="module")
def runs(tmp_path_factory, real_fixture_set):
    """First run, a run with an unreachable real-audio threshold and a two-class source task
    (multi-class pre-training), a run with a new seed and an unreachable accuracy threshold, and
    the first run's settings again, in one pipeline root;
    every run evaluates on the real-audio set built from the fixture packages."""
    out = tmp_path_factory.mktemp("e2e")
    real = ("--set", f"real_audio={real_fixture_set[0]}", "--set", "real_excerpts=1")
    results = {}
    assert _run(out, *real) == 0
    results["first"] = _latest(out)[1]
    # a new source task (two classes) makes a new candidate; the target data stays cached
    assert _run(out, *real, "--set", "real_accuracy_threshold=1.0",
                "--set", "max_impact_false_alarms=0.0",
                "--source-classes", "babycry,dogbark") == 0
    results["strict_real"] = _latest(out)[1]
    # after the RealAudioGate's refusal: the baseline must still be the first run's model
    # (its target models are each the average of two trainings: target_ensemble=2)
    assert _run(out, *real, "--seed", "5", "--set", "accuracy_threshold=1.0",
                "--set", "target_ensemble=2") == 0
    results["strict"] = _latest(out)[1]
    # the first settings again: the same model, judged against itself, already served
    assert _run(out, *real) == 0
    results["again"] = _latest(out)[1]
    # 40 MFCCs per frame: a pipeline of its own (no baseline reading 20), not pushed
    assert _run(out, *real, "--set", "n_mfcc=40", "--set", "accuracy_threshold=1.0") == 0
    results["mfcc40"] = _latest(out, n_mfcc=40)[1]
    return out, results


def _report(out, run):
    folder = report_module.report_directory(configs.get_config("smoke", output_dir=str(out)),
                                            run.run_id)
    with open(os.path.join(folder, "report.json")) as handle:
        return folder, json.load(handle)


def test_every_component_succeeds_and_the_pushed_model_answers(runs):
    out, results = runs
    first = results["first"]
    assert len(first.nodes) == 26       # with the two real-impact Evaluators
    assert {n: r.state for n, r in first.nodes.items()} == {n: "COMPLETE" for n in first.nodes}
    pushed = first.output("Pusher", "pushed_model")
    assert pushed.properties["pushed"] == 1
    path = pushed.properties["pushed_destination"]
    assert os.path.dirname(path) == os.path.join(str(out), "serving", "glassbreak_tagger")
    loaded = tf.saved_model.load(path)
    info = serving.model_info(loaded)
    assert info["classes"] == ["glassbreak"]
    assert info["onset_fusion"] == 1          # the profile's default: fitted, served, reported
    gen = json.loads(first.output("TargetExampleGen", "examples").properties["generation"])
    assert gen["clips"]["calibration"] == 16 and gen["calibration_seed"] == 4242
    trained = json.load(open(os.path.join(first.output("TransferTrainer", "model").uri,
                                          "metrics.json")))
    assert trained["onset_fusion"]["calibration"]["clips"] == 16
    # the profile's centroid cap: fitted with it, served with it
    assert trained["onset_fusion"]["weights"]["centroid_cap_khz"] == 2.0
    assert info["fusion_centroid_cap_khz"] == 2.0
    assert "Onset fusion (`onset_fusion=1`" in open(
        os.path.join(_report(out, first)[0], "report.md")).read()
    wave = np.zeros((1, info["clip_samples"]), np.float32)
    wave[0, ::97] = 0.3
    by_wave = serving.call_signature(loaded, "predict_waveform", wave)
    mfcc = serving.call_signature(loaded, "predict_mfcc",
                                  np.zeros((1, info["frames"], 20), np.float32))
    assert by_wave["probability"].shape == (1,) and mfcc["decision"].shape == (1,)
    assert "serving_default" in loaded.signatures
    frames = serving.call_signature(loaded, "localize_waveform", wave)
    assert frames["frame_probability"].shape == (1, info["frames"])


def test_report_accuracies_equal_what_tfma_wrote(runs):
    import tensorflow_model_analysis as tfma
    out, results = runs
    first = results["first"]
    folder, report = _report(out, first)
    assert report["run_id"] == first.run_id
    assert os.path.exists(os.path.join(folder, "report.png"))
    text = open(os.path.join(folder, "report.md")).read()
    # what the run ran on (the vector instructions TensorFlow's CPU kernels dispatch on)
    assert isinstance(report["machine"]["vector_flags"], list) and "- ran on: " in text
    assert "Gain of transfer over scratch" in text
    # event onsets: the Trainers' DCASE-style scores on the test set, and the timeline plot
    assert "## Where in the clip: event onsets" in text
    assert os.path.getsize(os.path.join(folder, "events.png")) > 0
    for name in ("transfer", "scratch"):
        events = report["models"][name]["events"]["overall"]
        assert events["reference_events"] > 0 and events["files"] > events["reference_events"]
    for name, evaluator in (("transfer", "TransferEvaluator"), ("scratch", "ScratchEvaluator")):
        result = tfma.load_eval_result(first.output(evaluator, "evaluation").uri)
        overall = [m for key, m in result.slicing_metrics if not key][0]
        tfma_accuracy = overall[""][""]["binary_accuracy"]["doubleValue"]
        assert report["models"][name]["slices"]["overall"]["binary_accuracy"] == tfma_accuracy
    t = report["models"]["transfer"]["slices"]["overall"]["binary_accuracy"]
    s = report["models"]["scratch"]["slices"]["overall"]["binary_accuracy"]
    assert report["gain_pp"] == pytest.approx(100 * (t - s))
    assert report["pushed_version"] and report["blessed"] is True


def test_the_real_branch_scores_both_models_on_real_recordings_and_reports_it(runs):
    import tensorflow_model_analysis as tfma
    out, results = runs
    first = results["first"]
    folder, report = _report(out, first)
    real = report["real"]
    # the fixture set's knock (class door) is mixed into 3 x 3 more clips without a break
    assert real["evaluated"] and real["data"]["clips"] == {"eval": 2 * 3 * 3 * 1 * 2,
                                                           "impacts": 1 * 3 * 3 * 1}
    assert real["backgrounds"] == ["birdsong", "hum", "street"]
    for name, node in (("transfer", "TransferRealEvaluator"), ("scratch", "ScratchRealEvaluator")):
        result = tfma.load_eval_result(first.output(node, "evaluation").uri)
        overall = [m for key, m in result.slicing_metrics if not key][0]
        assert (real["models"][name]["overall"]["binary_accuracy"]
                == overall[""][""]["binary_accuracy"]["doubleValue"])
        for bg in real["backgrounds"]:
            assert f"label=0,scene={bg}" in real["models"][name]
            assert 0.0 <= real["models"][name][f"scene={bg}"]["auc"] <= 1.0
    text = open(os.path.join(folder, "report.md")).read()
    assert "## On real recordings" in text and "| birdsong |" in text
    assert "transfer AUC" in text and "scratch AUC" in text       # AUC within each background
    # the real-audio gain and the backgrounds where the pushed model would fire most of the time
    real_accuracy = {n: real["models"][n]["overall"]["binary_accuracy"] for n in real["models"]}
    assert real["gain_pp"] == pytest.approx(100 * (real_accuracy["transfer"] - real_accuracy["scratch"]))
    assert "Gain of transfer over scratch on real recordings" in text
    false_alarms = {bg: 1 - real["models"]["transfer"][f"label=0,scene={bg}"]["binary_accuracy"]
                    for bg in real["backgrounds"]}
    firing = {bg: rate for bg, rate in false_alarms.items() if rate >= 0.5}
    assert real["transfer_fires_in"] == pytest.approx(firing)
    # the impacts: both models scored on them apart, per kind and background, as TFMA wrote
    for name, node in (("transfer", "TransferImpactEvaluator"),
                       ("scratch", "ScratchImpactEvaluator")):
        result = tfma.load_eval_result(first.output(node, "evaluation").uri)
        overall = [m for key, m in result.slicing_metrics if not key][0]
        counts = overall[""][""]["example_count"]["doubleValue"]
        impacts = real["impacts"][name]
        assert counts == 9 and impacts["impact=door"]["example_count"] == 9
        assert impacts["overall"]["binary_accuracy"] == (
            overall[""][""]["binary_accuracy"]["doubleValue"])
        assert {f"scene={bg}" for bg in real["backgrounds"]} <= set(impacts)
    assert "**Sharp sounds that are not glassbreak**" in text and "| door |" in text
    warning = report_module.real_audio_warning(report)
    if firing or real["gain_pp"] < 0:
        assert warning.startswith("Warning: on real recordings the transfer model scores")
        assert all(bg in warning and bg in text for bg in firing)
    else:
        assert warning is None
    assert os.path.exists(os.path.join(folder, "real.png"))
    gate = first.output("RealAudioGate", "real_blessing")
    assert gate.properties["blessed"] == 1
    assert first.nodes["Pusher"].inputs["model_blessing"][0].uri == gate.uri


def test_a_real_audio_threshold_blocks_the_push_and_says_why(runs):
    out, results = runs
    run = results["strict_real"]
    assert run.output("TransferEvaluator", "blessing").properties.get("blessed") == 1
    gate = run.output("RealAudioGate", "real_blessing")
    assert gate.properties["blessed"] == 0
    assert "below real_accuracy_threshold 1.0000" in gate.properties["reason"]
    # the gate also read the false alarms on the real impacts, and names them when above 0
    impacts = evaluation.read_metrics(run.output("TransferImpactEvaluator", "evaluation").uri)
    alarms = 1.0 - impacts["overall"]["binary_accuracy"]
    assert gate.properties["impact_false_alarms"] == pytest.approx(alarms, abs=1e-5)
    assert ("above max_impact_false_alarms 0.0000" in gate.properties["reason"]) == (alarms > 0)
    assert run.output("Pusher", "pushed_model").properties.get("pushed") == 0
    folder, report = _report(out, run)
    assert report["pushed"] is False and "real_accuracy_threshold" in report["real"]["gate_reason"]
    assert "false alarms on real impacts <= 0.00" in open(os.path.join(folder, "report.md")).read()


def test_a_two_class_source_model_has_two_outputs_and_the_transfer_copies_its_low_layer(runs):
    _, results = runs
    run = results["strict_real"]
    generation = json.loads(run.output("SourceExampleGen", "examples").properties["generation"])
    assert generation["classes"] == ["babycry", "dogbark"]
    source_uri = run.output("SourceTrainer", "model").uri
    source = tf.saved_model.load(os.path.join(source_uri, "Format-Serving"))
    assert serving.model_info(source)["classes"] == ["babycry", "dogbark"]
    with open(os.path.join(run.output("TransferTrainer", "model").uri, "metrics.json")) as handle:
        transfer = json.load(handle)
    assert transfer["classes"] == ["glassbreak"]
    assert sorted(transfer["copied_layers"]) == ["lstm_1_source", "normalize"]
    # where it trained: the Trainer's own machine record (a Kubeflow node writes its own)
    trained_on = transfer["machine"]
    assert isinstance(trained_on["gpus"], list) and trained_on["cpu_count"] >= 1
    assert len(trained_on["packages"]["sha256"]) == 16 and "commit" in trained_on["source"]


def test_forty_mfccs_reach_every_component_in_a_pipeline_of_their_own(runs):
    _, results = runs
    run, first = results["mfcc40"], results["first"]
    assert {n: r.state for n, r in run.nodes.items()} == {n: "COMPLETE" for n in run.nodes}
    for prefix in ("Source", "Target", "Real"):
        examples = run.output(f"{prefix}ExampleGen", "examples")
        assert json.loads(examples.properties["generation"])["n_mfcc"] == 40
    for trainer in TRAINERS:
        model_dir = os.path.join(run.output(trainer, "model").uri, "Format-Serving")
        assert serving.model_info(tf.saved_model.load(model_dir))["n_mfcc"] == 40
    assert configs.get_config("smoke", n_mfcc=40).pipeline_id == "fewshot-glassbreak-2s-mfcc40"
    assert run.run_id != first.run_id
    assert not run.nodes["TransferEvaluator"].inputs.get("baseline_model"), \
        "judged against a baseline of 20 MFCCs"
    assert run.output("Pusher", "pushed_model").properties.get("pushed") == 0


def test_averaged_target_models_run_through_every_component(runs):
    out, results = runs
    run = results["strict"]
    states = {n: r.state for n, r in run.nodes.items()}
    # a new seed: new synthetic data and models; the real branch's data stays cached
    assert set(states.values()) <= {"COMPLETE", "CACHED"}, states
    for node in ("TargetExampleGen", "SourceTrainer", "TransferTrainer", "ScratchTrainer",
                 "TransferEvaluator", "ScratchEvaluator", "TransferRealEvaluator",
                 "ScratchRealEvaluator", "Pusher"):
        assert states[node] == "COMPLETE", (node, states)
    for trainer in ("TransferTrainer", "ScratchTrainer"):
        model_uri = run.output(trainer, "model").uri
        with open(os.path.join(model_uri, "metrics.json")) as handle:
            trained = json.load(handle)
        assert [m["seed"] for m in trained["members"]] == [
            trained["config"]["seed"], trained["config"]["seed"] + 1000]
        info = serving.model_info(tf.saved_model.load(os.path.join(model_uri, "Format-Serving")))
        assert info["networks"] == 2
    source_uri = run.output("SourceTrainer", "model").uri
    with open(os.path.join(source_uri, "metrics.json")) as handle:
        assert "members" not in json.load(handle)        # the source stage trains one network
    _, report = _report(out, run)
    assert report["models"]["transfer"]["networks"] == 2
    assert report["models"]["transfer"]["slices"]["overall"]["binary_accuracy"] is not None


# A rerun reusing cached components: tests/test_faults.py (the run started again after kills).


def test_new_seed_gives_a_candidate_judged_against_the_blessed_baseline_and_not_pushed(runs):
    out, results = runs
    first, strict = results["first"], results["strict"]
    assert strict.nodes["TargetExampleGen"].state == "COMPLETE"
    assert (strict.output("TransferTrainer", "model").uri
            != first.output("TransferTrainer", "model").uri)
    baseline = strict.nodes["TransferEvaluator"].inputs.get("baseline_model")
    assert baseline, "the evaluator got no baseline model"
    assert baseline[0].uri == first.output("TransferTrainer", "model").uri
    assert strict.output("TransferEvaluator", "blessing").properties.get("blessed") == 0
    assert strict.output("Pusher", "pushed_model").properties.get("pushed") == 0
    folder, _ = _report(out, strict)
    text = open(os.path.join(folder, "report.md")).read()
    assert "blessed: **no**" in text and "pushed: no" in text
    # the reason names the metric, the slice, the value and the bound it missed
    assert re.search(r"binary_accuracy \(overall\) = [01]\.\d{4}, needs >= 1", text), text


def test_a_rerun_of_the_served_model_is_recorded_as_pushed_but_not_copied_again(runs):
    out, results = runs
    first, again = results["first"], results["again"]
    assert (again.output("TransferTrainer", "model").uri
            == first.output("TransferTrainer", "model").uri)           # reused, not retrained
    pushed, before = again.output("Pusher", "pushed_model"), first.output("Pusher", "pushed_model")
    assert pushed.properties["pushed"] == 1 and pushed.properties["already_served"] == 1
    assert pushed.properties["pushed_version"] == before.properties["pushed_version"]
    serving_dir = os.path.join(str(out), "serving", "glassbreak_tagger")
    assert os.listdir(serving_dir) == [before.properties["pushed_version"]]
    folder, report = _report(out, again)
    assert report["already_served"] is True
    assert "not copied again" in open(os.path.join(folder, "report.md")).read()


def test_the_baseline_is_the_model_last_pushed_not_one_a_gate_refused(runs):
    _, results = runs
    first, refused, strict = results["first"], results["strict_real"], results["strict"]
    # the refused candidate: blessed by the TransferEvaluator, stopped by the RealAudioGate
    assert refused.output("TransferEvaluator", "blessing").properties.get("blessed") == 1
    assert refused.output("Pusher", "pushed_model").properties.get("pushed") == 0
    # the next run is judged against the model last pushed, the first run's
    baseline = strict.nodes["TransferEvaluator"].inputs.get("baseline_model")
    assert [b.uri for b in baseline] == [first.output("TransferTrainer", "model").uri]
    assert baseline[0].uri != refused.output("TransferTrainer", "model").uri


def test_example_validator_anomaly_stops_the_run_before_training(tmp_path, capsys):
    wrong_schema = configs.get_config("paper").schema_file   # expects 30 s clips, smoke has 2 s
    code = _run(tmp_path, "--set", f"schema_path={wrong_schema}", "--set", "real_audio=off")
    assert code == 1
    err = capsys.readouterr().err
    assert "anomalies" in err and "'mfcc'" in err
    _, run = _latest(tmp_path)
    assert not any(t in run.nodes for t in TRAINERS)
    assert "Pusher" not in run.nodes
