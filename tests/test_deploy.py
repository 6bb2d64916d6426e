"""Deploy: Kubeflow spec, local pipeline untouched, tagging client (local model and REST body)."""
import importlib.util
import json
import os

import numpy as np
import pytest
import soundfile
import tensorflow as tf
from google.protobuf import json_format
from kfp.pipeline_spec import pipeline_spec_pb2

from components.model import serving
from pipeline import __main__ as cli
from pipeline import configs, tag
from pipeline.pipeline import TRAINER_IDS, beam_args_with_worker_image, create_pipeline

REPO = configs.REPO_ROOT


def _compiler():
    spec = importlib.util.spec_from_file_location(
        "compile_pipeline", os.path.join(REPO, "kubeflow", "compile_pipeline.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def compiled(tmp_path_factory):
    out = tmp_path_factory.mktemp("kfp") / "spec" / "pipeline.json"
    compiler = _compiler()
    assert compiler.main(["compile", "--profile", "paper", "--image", "registry.example/tagger:1",
                          "--pipeline-root", "gs://bucket/root", "--serving-dir", "gs://bucket/serving",
                          "--data", "gs://bucket/dcase2017", "--output", str(out),
                          "--source-classes", "babycry,gunshot", "--target-class", "glassbreak",
                          "--real-audio", "gs://bucket/real_audio",
                          "--beam-arg=--runner=DataflowRunner", "--beam-arg=--region=europe-west4"]) == 0
    with open(out) as handle:
        return json.load(handle)


def test_kubeflow_spec_parses_and_holds_every_component(compiled):
    spec = json_format.ParseDict(compiled["pipelineSpec"], pipeline_spec_pb2.PipelineSpec(),
                                 ignore_unknown_fields=True)
    tasks = set(spec.root.dag.tasks)
    local_ids = {c.id for c in create_pipeline(configs.get_config("paper")).components}
    for node in local_ids - {"LatestBlessedModelResolver"}:
        assert node in tasks, node
    assert any(t.startswith("LatestBlessedModelResolver") for t in tasks)
    for node in ("RealExampleGen", "TransferRealEvaluator", "ScratchRealEvaluator",
                 "TransferImpactEvaluator", "ScratchImpactEvaluator", "RealAudioGate"):
        assert node in tasks, node
    # the compile flags name the tasks: the source ExampleGen gets both source classes
    assert "babycry,gunshot" in json.dumps(compiled["pipelineSpec"]["root"]["dag"]["tasks"]
                                           ["SourceExampleGen"])


def test_kubeflow_spec_requests_gpus_for_trainers_and_names_the_image(compiled):
    executors = compiled["pipelineSpec"]["deploymentSpec"]["executors"]
    for name, executor in executors.items():
        container = executor.get("container")
        if not container:
            continue      # resolvers run in the KFP backend
        assert container["image"] == "registry.example/tagger:1"
        accelerator = container.get("resources", {}).get("accelerator")
        if name.split("_executor")[0] in TRAINER_IDS:
            assert accelerator == {"count": "1", "type": "nvidia.com/gpu"}
            assert container["resources"]["memoryLimit"] >= 8
        else:
            assert accelerator is None, name


def test_kubeflow_spec_uses_dotted_trainer_code_and_no_local_paths(compiled):
    text = json.dumps(compiled)
    assert "components.tfx.trainer_source.run_fn" in text
    assert "components.tfx.trainer_target.run_fn" in text
    assert REPO not in text and "/tmp/" not in text and "module_file" not in text
    assert "DataflowRunner" in text and "gs://bucket/dcase2017" in text
    assert "gs://bucket/real_audio" in text
    assert "/opt/fewshot/schemas/paper/schema.pbtxt" in text


def test_beam_workers_run_the_pipeline_image(compiled):
    """Dataflow/Flink/Spark workers run the image (which holds TFX and the project), so TFX
    ships no package of its own installation."""
    assert "--sdk_container_image=registry.example/tagger:1" in json.dumps(compiled)


def test_beam_args_name_the_worker_image_unless_they_say_how_workers_get_their_code():
    assert beam_args_with_worker_image(["--runner=DataflowRunner"], "img:1") == [
        "--runner=DataflowRunner", "--sdk_container_image=img:1"]
    for given in (["--setup_file=./setup.py"], ["--extra_package", "dist/x.tar.gz"],
                  ["--sdk_container_image=mine:2"], ["--requirements_file=r.txt"]):
        assert beam_args_with_worker_image(given, "img:1") == given
    local = create_pipeline(configs.get_config("smoke")).beam_pipeline_args
    assert "--sdk_container_image=fewshot-tagging:latest" in local


def test_local_pipeline_never_gets_the_kubeflow_platform_settings(compiled):
    for component in create_pipeline(configs.get_config("smoke")).components:
        assert getattr(component, "platform_config", None) is None, component.id


@pytest.fixture(scope="module")
def audio_files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("audio")
    rng = np.random.default_rng(1)
    t = np.arange(int(2.5 * 44100)) / 44100
    signal = (0.3 * np.sin(2 * np.pi * 880 * t) * (t > 1.2) + 0.05 * rng.standard_normal(len(t)))
    files = {"wav16": (folder / "a16.wav", signal, 44100, "PCM_16"),
             "wav24": (folder / "a24.wav", signal, 44100, "PCM_24"),
             "flac": (folder / "a.flac", signal, 44100, "PCM_16"),
             "stereo48k": (folder / "s48.wav",
                           np.stack([signal[:int(2 * 48000)], 0.5 * signal[:int(2 * 48000)]], 1),
                           48000, "PCM_16")}
    for path, data, rate, subtype in files.values():
        soundfile.write(str(path), data, rate, subtype=subtype)
    return {k: str(v[0]) for k, v in files.items()}


def _direct(model_dir, path):
    """The documented conversion by hand, then predict_waveform called directly."""
    import librosa
    data, rate = soundfile.read(path, dtype="float32", always_2d=True)
    mono = data.mean(axis=1)
    if rate != 44100:
        mono = librosa.resample(mono, orig_sr=rate, target_sr=44100)
    loaded = tf.saved_model.load(model_dir)
    clip = serving.model_info(loaded)["clip_samples"]
    # documented windows: consecutive clips, the last one aligned to the end of the audio
    starts = list(range(0, len(mono) - clip + 1, clip))
    if starts[-1] + clip < len(mono):
        starts.append(len(mono) - clip)
    probabilities = [serving.call_signature(loaded, "predict_waveform",
                                            mono[s:s + clip][None].astype(np.float32))
                     ["probability"][0] for s in starts]
    return np.asarray(probabilities), [s / 44100 for s in starts]


def _tag(capsys, *argv):
    code = cli.main(["tag", *argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.mark.parametrize("kind", ["wav16", "wav24", "flac", "stereo48k"])
def test_tag_with_model_matches_predict_waveform(capsys, pushed_model, audio_files, kind):
    code, out, err = _tag(capsys, audio_files[kind], "--model", pushed_model, "--json")
    assert code == 0, err
    rows = json.loads(out)
    expected, starts = _direct(os.path.join(pushed_model, "1700000000"), audio_files[kind])
    # 1 s clips: 2.5 s of audio gives 0, 1 and the end-aligned 1.5; the 2 s stereo file 0 and 1
    assert len(expected) == (2 if kind == "stereo48k" else 3)
    assert [r["start_s"] for r in rows] == [round(s, 3) for s in starts]
    np.testing.assert_allclose([r["probability"] for r in rows], expected, atol=1e-5)
    assert {r["class"] for r in rows} == {"glassbreak"}   # the model's model_info names it


def test_band_limited_recording_is_tagged_with_one_warning_naming_its_rate(capsys, pushed_model,
                                                                        audio_files, tmp_path):
    path = tmp_path / "phone16k.wav"
    t = np.arange(2 * 16000) / 16000
    soundfile.write(str(path), 0.2 * np.sin(2 * np.pi * 440 * t), 16000, subtype="PCM_16")
    code, out, err = _tag(capsys, str(path), audio_files["wav16"], "--model", pushed_model,
                          "--json")
    assert code == 0, err
    warnings = [line for line in err.splitlines() if line.startswith("warning:")]
    assert len(warnings) == 1
    assert "phone16k.wav: recorded at 16000 Hz, so nothing above 8 kHz" in warnings[0]
    assert {row["file"] for row in json.loads(out)} == {str(path), audio_files["wav16"]}


def test_windows_of_long_audio_are_never_padded_and_short_audio_is_one_window():
    assert tag.window_starts(25, 10) == [0, 10, 15]
    assert tag.window_starts(30, 10) == [0, 10, 20]
    assert tag.window_starts(7, 10) == [0]


def test_rest_body_is_what_tf_serving_predict_expects(pushed_model, audio_files):
    local = tag.LocalModel(pushed_model)
    audio = tag.read_audio(audio_files["wav24"])
    batch = tag.pad_batch(tag.windows(audio, local.clip_samples), local.clip_samples)
    body = json.loads(json.dumps(tag.predict_request(batch)))
    # TF Serving REST, row format: {"signature_name": ..., "instances": [one value per row]}
    # where, for a signature with a single input, each instance is that input's value.
    assert set(body) == {"signature_name", "instances"}
    assert body["signature_name"] == "predict_waveform"
    loaded = tf.saved_model.load(os.path.join(pushed_model, "1700000000"))
    signature = loaded.signatures[body["signature_name"]]
    (input_name, spec), = signature.structured_input_signature[1].items()
    tensor = tf.constant(np.asarray(body["instances"], dtype=spec.dtype.as_numpy_dtype))
    assert spec.is_compatible_with(tensor)
    from_body = signature(**{input_name: tensor})
    np.testing.assert_allclose(from_body["probability"].numpy(),
                               local.predict(batch)["probability"], atol=1e-6)
    # --events sends the same rows to localize_waveform; the row format needs every output to
    # have the batch as its first dimension (TF Serving answers one dict per instance)
    localize_body = {"signature_name": "localize_waveform", "instances": body["instances"]}
    frames = loaded.signatures[localize_body["signature_name"]](
        waveform=tf.constant(np.asarray(localize_body["instances"], np.float32)))
    assert {k: v.shape[0] for k, v in frames.items()} == {
        k: len(batch) for k in ("probability", "decision", "frame_probability", "frame_time_s")}
    np.testing.assert_allclose(frames["frame_probability"].numpy(), local.localize(batch),
                               atol=1e-6)
    info_body = {"signature_name": "model_info", "instances": [""]}
    info = loaded.signatures["model_info"](request=tf.constant(info_body["instances"]))
    assert int(info["clip_samples"][0]) == local.clip_samples


def test_bad_files_are_reported_and_the_others_still_tagged(capsys, pushed_model, audio_files,
                                                           tmp_path):
    (tmp_path / "notes.wav").write_text("this is not audio\n" * 20)
    (tmp_path / "empty.wav").write_bytes(b"")
    code, out, err = _tag(capsys, str(tmp_path / "missing.wav"), str(tmp_path / "notes.wav"),
                          str(tmp_path / "empty.wav"), audio_files["wav16"], "--model", pushed_model)
    assert code != 0
    lines = err.strip().splitlines()
    assert len(lines) == 3
    assert "missing.wav: file does not exist" in lines[0]
    assert "notes.wav: not a readable audio file" in lines[1]
    assert "empty.wav: file is empty" in lines[2]
    assert audio_files["wav16"] in out


def test_unreachable_server_is_a_one_line_error(capsys, audio_files):
    code, out, err = _tag(capsys, audio_files["wav16"], "--server", "http://127.0.0.1:9",
                          "--timeout-s", "2")
    assert code != 0
    assert len(err.strip().splitlines()) == 1 and "unreachable" in err
