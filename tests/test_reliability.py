"""Bad input gets one clear stderr line, a documented exit code (pipeline.cli_errors) and no
partial output: settings of ``run``, data for ``synthesize``, files and models for ``tag``, replies
of a TF Serving ``--server``, ``export-corpus``. docs/reliability.md lists every case."""
import http.server
import json
import os
import subprocess
import sys
import threading

import numpy as np
import pytest
import soundfile

from components.audio import features
from components.model import serving, tagger
from pipeline import __main__ as cli
from tests.conftest import SR, write_own_sound_manifest, write_wav

USAGE, BAD_DATA, UNAVAILABLE, FAILED = 2, 3, 4, 1


def _cli(capsys, *argv):
    code = cli.main(list(argv))
    captured = capsys.readouterr()
    lines = [line for line in captured.err.splitlines() if line.strip()]
    return code, captured.out, lines


def _one_clear_line(lines, *words):
    assert len(lines) == 1, lines
    assert "Traceback" not in lines[0]
    for word in words:
        assert word in lines[0], lines[0]


# ------------------------------------------------------------------------ run: every setting

@pytest.mark.parametrize("flags, code, words", [
    (["--set", "target_epochs=-1"], USAGE, ["target_epochs", "whole number"]),
    (["--set", "source_epochs=0"], USAGE, ["source_epochs"]),
    (["--set", "decision_threshold=nan"], USAGE, ["decision_threshold", "finite"]),
    (["--set", "decision_threshold=1.5"], USAGE, ["decision_threshold"]),
    (["--set", "learning_rate=0"], USAGE, ["learning_rate"]),
    (["--set", "learning_rate=inf"], USAGE, ["learning_rate"]),
    (["--set", "batch_size=0"], USAGE, ["batch_size"]),
    (["--set", "batch_size=abc"], USAGE, ["batch_size", "whole number"]),
    (["--set", "target_train_clips=0"], USAGE, ["target_train_clips"]),
    (["--set", "num_shards=0"], USAGE, ["num_shards"]),
    (["--set", "clip_duration_s=0"], USAGE, ["clip_duration_s"]),
    (["--set", "clip_duration_s=45"], USAGE, ["clip_duration_s"]),
    (["--set", "accuracy_threshold=2"], USAGE, ["accuracy_threshold"]),
    (["--set", "shuffle_buffer=0"], USAGE, ["shuffle_buffer"]),
    (["--set", "augment=2"], USAGE, ["augment"]),
    (["--set", "front_end=cnn"], USAGE, ["front_end", "lstm, conv"]),
    (["--set", "foo=1"], USAGE, ["unknown setting 'foo'"]),
    (["--set", "target_epochs"], USAGE, ["NAME=VALUE"]),
    (["--set", "batch_size=4", "--set", "batch_size=8"], USAGE, ["given twice"]),
    (["--method", "bogus"], USAGE, ["method", "parallel_low"]),
    (["--profile", "bogus"], USAGE, ["unknown profile"]),
    (["--seed", "-1"], USAGE, ["train_seed"]),
    (["--set", "recipe_mode=dcase2017"], USAGE, ["recipe_mode=dcase2017", "clip_duration_s=30"]),
    (["--set", "real_audio=/nonexistent/real"], USAGE, ["real_audio"]),
    (["--data", "/nonexistent/data"], BAD_DATA, ["/nonexistent/data", "no such folder"]),
    (["--target-class", "GlassBreak"], USAGE, ["'GlassBreak'", "case"]),
])
def test_run_refuses_impossible_settings_before_anything_runs(tmp_path, capsys, flags, code,
                                                              words):
    out = tmp_path / "out"
    argv = ["run", "--profile", "smoke", "--output-dir", str(out), "--set", "real_audio=off"]
    if "--profile" in flags:
        argv = ["run", "--output-dir", str(out)]
    got, _, lines = _cli(capsys, *argv, *flags)
    assert got == code
    _one_clear_line(lines, *words)
    assert not out.exists()


@pytest.mark.parametrize("argv, words", [
    (["run", "--seed", "abc"], ["--seed", "invalid int value"]),
    (["synthesize", "--task", "bogus", "--output", "x"], ["--task", "invalid choice"]),
    (["tag"], ["required: files"]),
    (["bogus"], ["invalid choice"]),
])
def test_a_malformed_command_line_is_one_line_not_a_usage_dump(capsys, argv, words):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(argv)
    assert exit_info.value.code == USAGE
    _one_clear_line([line for line in capsys.readouterr().err.splitlines() if line.strip()],
                    *words, "--help")


def test_an_output_dir_that_is_a_file_and_a_missing_schema_are_refused(tmp_path, capsys):
    afile = tmp_path / "afile"
    afile.write_text("x")
    code, _, lines = _cli(capsys, "run", "--profile", "smoke", "--output-dir", str(afile))
    assert code == USAGE
    _one_clear_line(lines, "output_dir", "is a file")
    code, _, lines = _cli(capsys, "run", "--profile", "smoke", "--output-dir",
                          str(tmp_path / "o"), "--set", "schema_path=/nonexistent.pbtxt")
    assert code == USAGE
    _one_clear_line(lines, "schema_path", "no such file")


def test_each_input_gets_a_pipeline_of_its_own_named_for_it():
    """A baseline is judged on the candidate's examples, so it must read the same clips."""
    from pipeline import configs
    assert configs.get_config("paper").pipeline_id == "fewshot-glassbreak"
    assert configs.get_config("paper_cpu").pipeline_id == "fewshot-glassbreak"
    assert configs.get_config("quick").pipeline_id == "fewshot-glassbreak-3s"
    assert configs.get_config("smoke", clip_duration_s=2.5, n_mfcc=40).pipeline_id == \
        "fewshot-glassbreak-2p5s-mfcc40"
    assert configs.get_config("quick", target_class="doorbell").pipeline_id == "fewshot-doorbell-3s"
    assert configs.get_config("quick", pipeline_name="mine").pipeline_id == "mine"


def test_a_clip_length_of_its_own_gets_a_schema_of_its_own(tmp_path, capsys):
    from components.tfx import schema
    from pipeline import configs
    config = configs.get_config("smoke", output_dir=str(tmp_path), clip_duration_s=1.5)
    given = cli.schema_for_clip(config)
    assert given.schema_path.startswith(config.pipeline_root)
    assert open(given.schema_path).read() == schema.schema_text(given.frames, 1.5)
    assert "Schema for 1.5 s clips" in capsys.readouterr().out
    same = configs.get_config("smoke", output_dir=str(tmp_path))
    staged = cli.schema_for_clip(same).schema_path       # the committed schema fits: no note
    assert open(staged).read() == open(same.schema_file).read()
    assert "Schema for" not in capsys.readouterr().out


def test_a_changed_schema_is_imported_from_a_new_path_not_a_stale_cache(tmp_path):
    # ImportSchemaGen's cache key holds the schema's path: a schema whose content changed (here
    # an edited copy given as schema_path) must come from another path
    from pipeline import configs
    config = configs.get_config("smoke", output_dir=str(tmp_path))
    committed = open(config.schema_file).read()
    mine = tmp_path / "mine.pbtxt"
    mine.write_text(committed)
    first = cli.schema_for_clip(configs.get_config("smoke", output_dir=str(tmp_path),
                                                   schema_path=str(mine))).schema_path
    mine.write_text(committed + "# edited\n")
    second = cli.schema_for_clip(configs.get_config("smoke", output_dir=str(tmp_path),
                                                    schema_path=str(mine))).schema_path
    assert first != second and open(second).read().endswith("# edited\n")
    assert open(first).read() == committed


# ------------------------------------------------------------------------ synthesize: data

def _manifest(root):
    write_own_sound_manifest(str(root))
    return root


def _rewrite(path, old, new):
    text = path.read_text()
    assert old in text, text
    path.write_text(text.replace(old, new, 1))


def _corrupt(root, case):
    """Make one kind of bad input in a fresh manifest folder; return the words the line names."""
    bgs, evs = root / "backgrounds.csv", root / "events.csv"
    if case == "nan_samples":
        audio = 0.1 * np.random.default_rng(0).standard_normal(3 * SR)
        audio[SR] = np.nan
        soundfile.write(str(root / "bgs" / "bg0.wav"), audio, SR, subtype="FLOAT")
        return ["bg0.wav", "NaN"]
    if case == "silent":
        write_wav(str(root / "bgs" / "bg0.wav"), np.zeros(3 * SR))
        return ["bg0.wav", "silent"]
    if case == "truncated_wav":
        data = (root / "bgs" / "bg0.wav").read_bytes()
        (root / "bgs" / "bg0.wav").write_bytes(data[:len(data) // 2])
        return ["bg0.wav", "truncated"]
    if case == "one_hz_header":
        data = bytearray((root / "bgs" / "bg0.wav").read_bytes())
        data[24:28] = (1).to_bytes(4, "little")
        data[28:32] = (2).to_bytes(4, "little")
        (root / "bgs" / "bg0.wav").write_bytes(bytes(data))
        return ["bg0.wav", "sample rate 1 Hz"]
    if case == "segment_past_end":
        _rewrite(evs, "0.1,1.7,train", "0.1,9.5,train")
        return ["events.csv:2", "past the end"]
    if case == "segment_inf":
        _rewrite(evs, "0.1,1.7,train", "0.1,inf,train")
        return ["events.csv:2", "finite"]
    if case == "segment_text":
        _rewrite(evs, "0.1,1.7,train", "0.1,end,train")
        return ["events.csv:2", "segment"]
    if case == "segment_reversed":
        _rewrite(evs, "0.1,1.7,train", "1.7,0.1,train")
        return ["events.csv:2", "end > start"]
    if case == "duplicate_background":
        bgs.write_text(bgs.read_text() + bgs.read_text().splitlines()[1] + "\n")
        return ["backgrounds.csv:6", "twice"]
    if case == "leaking_event":
        evs.write_text(evs.read_text() + "events/doorbell0.wav,doorbell,x,0.1,1.7,test\n")
        return ["events.csv:6", "both subsets"]
    if case == "leaking_background":
        rows = bgs.read_text().splitlines()
        bgs.write_text("\n".join(rows + [rows[1].replace(",train", ",test")]) + "\n")
        return ["backgrounds.csv:6", "both subsets"]
    if case == "bad_subset":
        _rewrite(bgs, ",train\n", ",training\n")
        return ["backgrounds.csv:2", "'training'"]
    if case == "missing_column":
        bgs.write_text(bgs.read_text().replace("path,scene,location,subset", "path,scene,subset"))
        return ["backgrounds.csv", "location"]
    if case == "empty_cell":
        _rewrite(bgs, "bgs/bg0.wav,kitchen", "bgs/bg0.wav,")
        return ["backgrounds.csv:2", "empty scene"]
    if case == "absolute_path":
        _rewrite(bgs, "bgs/bg0.wav", str(root / "bgs" / "bg0.wav"))
        return ["absolute paths are not allowed"]
    if case == "escaping_path":
        _rewrite(bgs, "bgs/bg0.wav", "../../etc/passwd")
        return ["escapes the data root"]
    if case == "missing_file":
        os.remove(root / "bgs" / "bg1.wav")
        return ["bg1.wav", "does not exist"]
    if case == "not_audio":
        (root / "bgs" / "bg1.wav").write_text("not audio at all\n" * 10)
        return ["bg1.wav", "not a readable audio file"]
    if case == "folder_as_file":
        os.remove(root / "bgs" / "bg1.wav")
        (root / "bgs" / "bg1.wav").mkdir()
        return ["bg1.wav", "is a folder"]
    raise AssertionError(case)


SYNTH_DATA_CASES = ["nan_samples", "silent", "truncated_wav", "one_hz_header",
                    "segment_past_end", "segment_inf", "segment_text", "segment_reversed",
                    "duplicate_background", "leaking_event", "leaking_background", "bad_subset",
                    "missing_column", "empty_cell", "absolute_path", "escaping_path",
                    "missing_file", "not_audio", "folder_as_file"]


@pytest.mark.parametrize("case", SYNTH_DATA_CASES)
def test_synthesize_refuses_bad_data_in_one_line_and_writes_nothing(tmp_path, capsys, case):
    root = _manifest(tmp_path / "data")
    words = _corrupt(root, case)
    out = tmp_path / "out"
    code, _, lines = _cli(capsys, "synthesize", "--task", "target", "--data", str(root),
                          "--classes", "doorbell", "--output", str(out), "--train-clips", "4",
                          "--eval-clips", "4", "--clip-duration-s", "1", "--num-shards", "1")
    assert code == BAD_DATA
    _one_clear_line(lines, *words)
    assert not out.exists() and not [p for p in os.listdir(tmp_path) if "partial" in p]


@pytest.mark.parametrize("flags, words", [
    (["--eval-clips", "1"], ["--eval-clips 1"]),
    (["--train-clips", "-3"], ["--train-clips -3"]),
    (["--num-shards", "0"], ["--num-shards 0"]),
    (["--clip-duration-s", "60"], ["--clip-duration-s 60"]),
    (["--clip-duration-s", "nan"], ["--clip-duration-s nan"]),
    (["--recipe-mode", "dcase2017"], ["dcase2017", "30"]),
    (["--calibration-clips", "1"], ["--calibration-clips 1", "at least 2"]),
    (["--calibration-clips", "-2"], ["--calibration-clips -2"]),
    (["--calibration-seed", "-1"], ["--calibration-seed -1"]),
])
def test_synthesize_refuses_impossible_numbers(tmp_path, capsys, flags, words):
    code, _, lines = _cli(capsys, "synthesize", "--task", "target", "--output",
                          str(tmp_path / "out"), "--clip-duration-s", "2", *flags)
    assert code == USAGE
    _one_clear_line(lines, *words)
    assert not (tmp_path / "out").exists()


def test_synthesize_refuses_a_non_empty_output_and_replaces_it_when_told(tmp_path, capsys):
    root = _manifest(tmp_path / "data")
    out = tmp_path / "out"
    out.mkdir()
    (out / "old-shard.gz").write_text("from an earlier job")
    argv = ["synthesize", "--task", "target", "--data", str(root), "--classes", "doorbell",
            "--output", str(out), "--train-clips", "2", "--eval-clips", "2",
            "--clip-duration-s", "2", "--num-shards", "1"]
    code, _, lines = _cli(capsys, *argv)
    assert code == USAGE
    _one_clear_line(lines, "not empty", "--overwrite")
    assert os.listdir(out) == ["old-shard.gz"]
    code, _, _ = _cli(capsys, *argv, "--overwrite")
    assert code == 0
    assert sorted(os.listdir(out)) == ["Split-eval", "Split-train", "recipes"]
    assert not [p for p in os.listdir(tmp_path) if "partial" in p]


def test_synthesize_unknown_class_and_malformed_yaml(tmp_path, capsys, dcase_fixture):
    code, _, lines = _cli(capsys, "synthesize", "--task", "target", "--data",
                          str(dcase_fixture), "--classes", "whistle", "--output",
                          str(tmp_path / "a"), "--clip-duration-s", "2")
    assert code == USAGE
    _one_clear_line(lines, "'whistle'", "babycry, glassbreak")
    cv = dcase_fixture / "source_data" / "cv_setup" / "events_devtest.yaml"
    cv.write_text("glassbreak: [unclosed\n")
    code, _, lines = _cli(capsys, "synthesize", "--task", "target", "--data",
                          str(dcase_fixture), "--output", str(tmp_path / "b"),
                          "--clip-duration-s", "2")
    assert code == BAD_DATA
    _one_clear_line(lines, "events_devtest.yaml", "malformed YAML")


def test_export_corpus_refuses_a_non_empty_output(tmp_path, capsys):
    (tmp_path / "source_data").mkdir()
    (tmp_path / "source_data" / "keep.txt").write_text("mine")
    code, _, lines = _cli(capsys, "export-corpus", "--output", str(tmp_path))
    assert code == USAGE
    _one_clear_line(lines, "not empty", "--overwrite")
    assert os.listdir(tmp_path / "source_data") == ["keep.txt"]


def test_a_mis_cased_class_is_refused_and_unused_scenes_are_counted(tmp_path, capsys):
    root = _manifest(tmp_path / "data")
    code, _, lines = _cli(capsys, "run", "--profile", "smoke", "--output-dir",
                          str(tmp_path / "out"), "--set", "real_audio=off", "--target-data",
                          str(root), "--target-class", "Doorbell")
    assert code == USAGE
    _one_clear_line(lines, "'Doorbell'", "'doorbell'", "case")
    # rows in a scene of the paper's target task: the task keeps to those, and the run says
    # in one line how many rows of the other scenes it does not mix
    bgs = root / "backgrounds.csv"
    bgs.write_text(bgs.read_text() + "bgs/bg0.wav,home,h-1,train\nbgs/bg2.wav,home,h-2,test\n"
                   .replace("bgs/bg0.wav,home", "bgs/bg1.wav,home"))
    rows = bgs.read_text().splitlines()
    bgs.write_text("\n".join([rows[0]] + [r for r in rows[1:] if not r.startswith(
        ("bgs/bg1.wav,garage", "bgs/bg2.wav,kitchen"))]) + "\n")
    from pipeline import configs
    config = configs.get_config("smoke", target_data=str(root), target_class="doorbell",
                                real_audio="off")
    cli.check_data_jobs(config)
    lines = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    _one_clear_line(lines, "warning: 2 background row(s)", str(root), "garage: 1",
                    "kitchen: 1")


# ------------------------------------------------------------------------ tag: files and models

@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    """An untrained 1 s tagger exported with every signature (weights do not matter here)."""
    network = tagger.build_tagger("scratch", seed=0)
    frames = features.n_frames(features.clip_samples(1.0))
    rng = np.random.default_rng(0)
    tagger.adapt_normalization(network, rng.standard_normal((4, frames, 20)) * 30 - 200)
    path = str(tmp_path_factory.mktemp("rel_model") / "1")
    serving.export_tagger(network, path, 1.0, decision_threshold=0.5, classes=("glassbreak",))
    return path


def _noise_file(path, seconds=1.5, rate=SR, subtype="PCM_16", fmt=None):
    audio = 0.1 * np.random.default_rng(1).standard_normal(int(seconds * rate))
    soundfile.write(path, audio, rate, subtype=subtype, format=fmt)
    return path


def test_tag_refuses_nan_audio_and_prints_valid_json(tmp_path, capsys, model_dir):
    bad = str(tmp_path / "nan.wav")
    audio = np.zeros(SR, np.float32)
    audio[10] = np.inf
    soundfile.write(bad, audio, SR, subtype="FLOAT")
    good = _noise_file(str(tmp_path / "ok.wav"))
    code, out, lines = _cli(capsys, "tag", bad, good, "--model", model_dir, "--json")
    assert code == FAILED
    _one_clear_line(lines, "nan.wav", "NaN or infinite")
    rows = json.loads(out)
    assert {r["file"] for r in rows} == {good}


@pytest.mark.parametrize("case, words", [
    ("one_hz", ["sample rate 1 Hz"]), ("folder", ["is a folder"]), ("empty", ["is empty"]),
    ("missing", ["does not exist"]), ("long", ["--max-duration-s", "--events"]),
])
def test_tag_refuses_bad_files_one_line_each(tmp_path, capsys, model_dir, case, words):
    path = str(tmp_path / f"{case}.wav")
    extra = []
    if case == "one_hz":
        data = bytearray(open(_noise_file(path), "rb").read())
        data[24:28] = (1).to_bytes(4, "little")
        data[28:32] = (2).to_bytes(4, "little")
        open(path, "wb").write(bytes(data))
    elif case == "folder":
        os.mkdir(path)
    elif case == "empty":
        open(path, "wb").close()
    elif case == "long":
        _noise_file(path, seconds=3.0)
        extra = ["--max-duration-s", "2"]
    code, out, lines = _cli(capsys, "tag", path, "--model", model_dir, "--json", *extra)
    assert code == FAILED
    _one_clear_line(lines, f"{case}.wav", *words)
    assert json.loads(out) == []


def test_tag_warns_about_a_truncated_ogg_and_tags_what_decodes(tmp_path, capsys, model_dir):
    whole = _noise_file(str(tmp_path / "whole.ogg"), seconds=3.0, subtype="VORBIS", fmt="OGG")
    data = open(whole, "rb").read()
    cut = str(tmp_path / "cut.ogg")
    open(cut, "wb").write(data[:len(data) // 2])
    code, out, lines = _cli(capsys, "tag", cut, "--model", model_dir, "--json")
    assert code == 0
    _one_clear_line(lines, "warning", "cut.ogg", "end-of-stream", "truncated")
    assert json.loads(out) and json.loads(out)[0]["file"] == cut


def test_tag_a_file_whose_name_is_not_utf8(tmp_path, capsys, model_dir):
    name = os.fsdecode(os.path.join(os.fsencode(str(tmp_path)), b"caf\xe9.wav"))
    os.rename(_noise_file(str(tmp_path / "plain.wav")), name)
    code, out, lines = _cli(capsys, "tag", name, "--model", model_dir, "--json")
    assert code == 0 and lines == []
    rows = json.loads(out)
    assert rows[0]["file"].endswith("caf\ufffd.wav")
    code, out, _ = _cli(capsys, "tag", name, "--model", model_dir)   # the table prints too
    assert code == 0 and "caf\ufffd.wav" in out


@pytest.mark.parametrize("case, words", [
    ("empty_folder", ["no SavedModel"]), ("junk_saved_model", ["not a loadable SavedModel"]),
    ("missing", ["no such folder"]), ("foreign_model", ["model_info"]),
])
def test_tag_refuses_a_bad_model_folder(tmp_path, capsys, model_dir, case, words):
    folder = tmp_path / "model"
    folder.mkdir()
    if case == "junk_saved_model":
        (folder / "saved_model.pb").write_bytes(b"\x00junk" * 50)
    elif case == "missing":
        folder.rmdir()
    elif case == "foreign_model":
        import tensorflow as tf
        module = tf.Module()
        module.f = tf.function(lambda x: x * 2, input_signature=[tf.TensorSpec([None],
                                                                               tf.float32)])
        tf.saved_model.save(module, str(folder / "1"), signatures={"serving_default": module.f})
    wav = _noise_file(str(tmp_path / "a.wav"))
    code, _, lines = _cli(capsys, "tag", wav, "--model", str(folder))
    assert code == BAD_DATA
    _one_clear_line(lines, "--model", *words)


def test_tag_refuses_bad_flags(tmp_path, capsys, model_dir):
    wav = _noise_file(str(tmp_path / "a.wav"))
    code, _, lines = _cli(capsys, "tag", wav, "--model", model_dir, "--timeout-s", "0")
    assert code == USAGE
    _one_clear_line(lines, "--timeout-s")
    code, _, lines = _cli(capsys, "tag", wav, "--model", model_dir, "--events",
                          "--median-s", "-1", "--events-dir", str(tmp_path / "ev"))
    assert code == USAGE
    _one_clear_line(lines, "median_s")
    (tmp_path / "afile").write_text("x")
    code, _, lines = _cli(capsys, "tag", wav, "--model", model_dir, "--events",
                          "--events-dir", str(tmp_path / "afile"))
    assert code == USAGE
    _one_clear_line(lines, "--events-dir", "is a file")


# ------------------------------------------------------------------------ tag --server replies

class _Replies(http.server.BaseHTTPRequestHandler):
    """Answers model_info like a tagger and predict_waveform as the test says (server.case)."""

    def log_message(self, *args):
        pass

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        case = self.server.case
        rows = len(body["instances"])
        info = {"clip_samples": SR, "frames": 87, "threshold": 0.5, "classes": "glassbreak"}
        if body["signature_name"] == "model_info":
            reply = {"predictions": [{"threshold": 0.5}]} if case == "info_without_clip" \
                else {"predictions": [info]}
        elif case == "not_json":
            return self._send(200, b"<html>proxy error</html>")
        elif case == "http_500":
            return self._send(500, b'{"error": "model is loading"}')
        elif case == "error_field":
            reply = {"error": "Servable not found for request"}
        elif case == "missing_decision":
            reply = {"predictions": [{"probability": 0.2}] * rows}
        elif case == "wrong_rows":
            reply = {"predictions": [{"probability": 0.2, "decision": 0}] * (rows + 1)}
        elif case == "out_of_range":
            reply = {"predictions": [{"probability": 1.7, "decision": 1}] * rows}
        else:
            reply = {"predictions": [{"probability": 0.25, "decision": 0}] * rows}
        self._send(200, json.dumps(reply).encode())

    def _send(self, status, payload):
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)


@pytest.fixture(scope="module")
def fake_server():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Replies)
    server.case = "ok"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()


@pytest.mark.parametrize("case, words", [
    ("not_json", ["not JSON"]), ("http_500", ["HTTP 500", "model is loading"]),
    ("error_field", ["Servable not found"]), ("missing_decision", ["probability and decision"]),
    ("wrong_rows", ["prediction rows"]), ("out_of_range", ["outside [0, 1]"]),
    ("info_without_clip", ["model_info"]),
])
def test_tag_names_a_bad_server_answer_in_one_line(tmp_path, capsys, fake_server, case, words):
    fake_server.case = case
    wav = _noise_file(str(tmp_path / "a.wav"))
    url = f"http://127.0.0.1:{fake_server.server_address[1]}"
    code, out, lines = _cli(capsys, "tag", wav, "--server", url, "--json")
    assert code == UNAVAILABLE
    _one_clear_line(lines, url, *words)
    if case != "info_without_clip":
        assert json.loads(out) == []


def test_tag_through_a_well_behaved_server_and_a_bad_url(tmp_path, capsys, fake_server):
    fake_server.case = "ok"
    wav = _noise_file(str(tmp_path / "a.wav"))
    url = f"http://127.0.0.1:{fake_server.server_address[1]}"
    code, out, lines = _cli(capsys, "tag", wav, "--server", url, "--json")
    assert code == 0 and lines == []
    assert [r["probability"] for r in json.loads(out)] == [0.25, 0.25]
    code, _, lines = _cli(capsys, "tag", wav, "--server", "localhost:8501")
    assert code == UNAVAILABLE
    _one_clear_line(lines, "http://")


# ------------------------------------------------------------------------ internal errors

def test_an_internal_error_is_one_line_with_the_trace_in_a_file(tmp_path, capsys, monkeypatch):
    from pipeline import cli_errors
    monkeypatch.setattr(cli_errors, "crash_log_dir", lambda: str(tmp_path))
    # a bug stands in for any unexpected error inside a command
    monkeypatch.setattr(cli, "cmd_bench", lambda args: {}["no such key"])
    code, _, lines = _cli(capsys, "bench", "--output", str(tmp_path / "b.json"))
    assert code == 70
    _one_clear_line(lines, "internal error", "KeyError", "full trace in")
    trace = [p for p in os.listdir(tmp_path) if p.startswith("crash-")]
    assert len(trace) == 1 and "Traceback" in (tmp_path / trace[0]).read_text()


def test_a_refused_model_is_explained_by_metric_slice_value_and_bound():
    from tensorflow_model_analysis.proto import config_pb2, validation_result_pb2
    from pipeline.report import validation_failures_text
    result = validation_result_pb2.ValidationResult(validation_ok=False)
    for scene in (None, b"park", b"park"):
        per_slice = result.metric_validations_per_slice.add()
        if scene:
            per_slice.slice_key.single_slice_keys.add(column="scene", bytes_value=scene)
        failure = per_slice.failures.add()
        failure.metric_key.name = "binary_accuracy"
        failure.metric_value.double_value.value = 0.5342
        failure.metric_threshold.value_threshold.lower_bound.value = 0.6
        failure.metric_threshold.change_threshold.absolute.value = -0.05
        failure.metric_threshold.change_threshold.direction = (
            config_pb2.MetricDirection.HIGHER_IS_BETTER)
    text = validation_failures_text(result)
    assert text == ("binary_accuracy (overall) = 0.5342, needs >= 0.6 and change against the "
                    "baseline needs >= -0.05; binary_accuracy (scene=park) = 0.5342, needs >= 0.6 "
                    "and change against the baseline needs >= -0.05")
    assert "failed" in validation_failures_text(validation_result_pb2.ValidationResult())


def test_quiet_console_drops_tfmas_empty_slice_warning_here_and_in_children_and_keeps_others():
    from pipeline import console
    _, _, module = console.TFMA_EMPTY_SLICE_WARNING
    warn_both = ("import warnings\n"
                 f"warnings.warn_explicit('invalid value encountered in divide', RuntimeWarning, "
                 f"'tfma.py', 1, module='{module}')\n"
                 "warnings.warn_explicit('invalid value encountered in divide', RuntimeWarning, "
                 "'ours.py', 1, module='ours')\n")
    in_process = subprocess.run(
        [sys.executable, "-c", "from pipeline import console\nconsole.quiet_console()\n" + warn_both],
        capture_output=True, text=True, cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))), env=dict(os.environ, PYTHONWARNINGS=""))
    child = subprocess.run([sys.executable, "-c", warn_both], capture_output=True, text=True,
                           env=dict(os.environ, PYTHONWARNINGS=console.CHILD_WARNINGS))
    for run in (in_process, child):
        assert "ours.py:1: RuntimeWarning" in run.stderr
        assert "tfma.py" not in run.stderr


def test_experiment_refuses_bad_data_in_one_line_before_its_study_starts(tmp_path, capsys):
    root = _manifest(tmp_path / "data")
    words = _corrupt(root, "nan_samples")
    out = tmp_path / "exp"
    code, _, lines = _cli(capsys, "experiment", "table1", "--profile", "smoke", "--seeds", "1",
                          "--output-dir", str(tmp_path), "--set", "real_audio=off",
                          "--target-data", str(root), "--target-class", "doorbell",
                          "--out", str(out))
    assert code == BAD_DATA
    _one_clear_line(lines, *words)
    assert not out.exists()
