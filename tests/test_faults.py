"""Faults: a push killed midway never shows TF Serving a partial version; runs killed inside a
Trainer and inside the Pusher (SIGKILL), then started again, complete, reuse what finished and
leave no execution RUNNING in ML Metadata; two runs cannot share one pipeline root."""
import json
import os
import signal
import subprocess
import sys
import time

import pytest

from components.model import publish
from pipeline import configs, mlmd_reader

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _model_folder(root, big_mb=0):
    """A SavedModel-shaped folder (saved_model.pb, variables/); ``big_mb`` makes the copy slow."""
    os.makedirs(os.path.join(root, "variables"))
    with open(os.path.join(root, "saved_model.pb"), "wb") as handle:
        handle.write(b"pb" * 1000)
    with open(os.path.join(root, "variables", "variables.data-00000-of-00001"), "wb") as handle:
        for _ in range(big_mb):
            handle.write(os.urandom(1 << 20))
    return root


def _complete(version_dir, model_dir):
    names = lambda d: sorted(os.path.relpath(os.path.join(r, f), d)
                             for r, _, files in os.walk(d) for f in files)
    if names(version_dir) != names(model_dir):
        return False
    return all(os.path.getsize(os.path.join(version_dir, n)) ==
               os.path.getsize(os.path.join(model_dir, n)) for n in names(model_dir))


def test_a_push_killed_midway_leaves_no_version_and_the_next_push_is_complete(tmp_path):
    model = _model_folder(str(tmp_path / "model"), big_mb=400)
    base = str(tmp_path / "serving" / "glassbreak_tagger")
    code = ("import sys; from components.model import publish; "
            "publish.publish_version(sys.argv[1], sys.argv[2], '100')")
    pusher = subprocess.Popen([sys.executable, "-c", code, model, base], cwd=REPO)
    seen_partial = False
    deadline = time.time() + 60
    while time.time() < deadline and pusher.poll() is None:
        names = os.listdir(base) if os.path.isdir(base) else []
        assert not [n for n in names if n.isdigit()]       # never a numeric folder mid-copy
        if any(n.startswith(publish.PARTIAL_PREFIX) for n in names):
            seen_partial = True
            time.sleep(0.05)
            pusher.kill()
            break
        time.sleep(0.005)
    pusher.wait()
    assert seen_partial, "the copy finished before it could be killed; make the model bigger"
    assert publish.versions(base) == []                     # TF Serving sees nothing
    assert publish.remove_partial_versions(base)            # the next push clears the remains
    final = publish.publish_version(model, base, publish.next_version(base))
    assert _complete(final, model) and os.listdir(base) == [os.path.basename(final)]


def test_versions_increase_even_within_one_second(tmp_path):
    base = str(tmp_path / "b")
    model = _model_folder(str(tmp_path / "m"))
    first = publish.publish_version(model, base, publish.next_version(base, now=1000))
    second = publish.publish_version(model, base, publish.next_version(base, now=1000))
    assert [os.path.basename(first), os.path.basename(second)] == ["1000", "1001"]
    with pytest.raises(FileExistsError):
        publish.publish_version(model, base, "1001")


def test_the_served_version_is_found_only_for_the_same_files(tmp_path):
    base = str(tmp_path / "b")
    model = _model_folder(str(tmp_path / "m"))
    assert publish.served_version_of(model, base) is None            # nothing served yet
    publish.publish_version(model, base, "1000")
    assert publish.served_version_of(model, base) == "1000"
    other = _model_folder(str(tmp_path / "other"))
    with open(os.path.join(other, "variables", "extra"), "w") as handle:
        handle.write("a retrained model differs somewhere")
    assert publish.served_version_of(other, base) is None
    publish.publish_version(other, base, "1001")
    assert publish.served_version_of(model, base) is None            # only the newest counts


def _run_argv(out, own):
    return [sys.executable, "-m", "pipeline", "run", "--profile", "smoke", "--output-dir",
            str(out), "--set", "real_audio=off", "--target-data", own, "--target-class",
            "doorbell"]


def _start(argv):
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    return subprocess.Popen(argv, cwd=REPO, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, start_new_session=True)


def _kill_when(process, node, config=None, timeout_s=600):
    """SIGKILL the run's whole process group once it prints that ``node`` started and, with
    ``config``, once ML Metadata shows the node's execution RUNNING (so the kill lands inside
    it)."""
    lines = []
    deadline = time.time() + timeout_s
    for line in process.stdout:
        lines.append(line)
        if f"] {node} ..." in line:
            while config is not None and time.time() < deadline and not any(
                    o.endswith(f"/{node}") for o in mlmd_reader.unfinished_executions(
                        config.metadata_path, config.pipeline_id)):
                time.sleep(0.05)
            os.killpg(process.pid, signal.SIGKILL)
            break
        assert time.time() < deadline, "".join(lines)
    process.wait()
    return "".join(lines)


def test_runs_killed_in_a_trainer_and_in_the_pusher_complete_when_started_again(tmp_path,
                                                                               capsys):
    """Your own sound, end to end (source: the embedded corpus; target: a manifest folder of a
    new class with new scene names), with two kills on the way: in the SourceTrainer, then in
    the Pusher. The third start completes, reuses what finished, leaves nothing RUNNING, and
    pushes a complete doorbell_tagger whose model_info names its class."""
    import tensorflow as tf
    from components.model import serving
    from pipeline import report as report_module
    from tests.conftest import write_own_sound_manifest
    own = write_own_sound_manifest(tmp_path / "own")
    out = tmp_path / "out"
    argv = _run_argv(out, own)
    config = configs.get_config("smoke", output_dir=str(out), target_data=own,
                                target_class="doorbell", real_audio="off")
    log = _kill_when(_start(argv), "SourceTrainer", config)
    orphans = mlmd_reader.unfinished_executions(config.metadata_path, config.pipeline_id)
    assert [o.rsplit("/", 1)[1] for o in orphans] == ["SourceTrainer"], log[-2000:]

    # the second start cancels the orphan, reuses the data stages and is killed in the Pusher
    log = _kill_when(_start(argv), "Pusher")
    assert "Marked 1 execution(s) of an earlier, killed run as CANCELED" in log, log[-2000:]
    assert "/SourceTrainer" in log and "reused cached result" in log
    serving_dir = os.path.join(str(out), "serving", "doorbell_tagger")
    for version in publish.versions(serving_dir):   # whatever TF Serving can see is complete
        assert os.path.exists(os.path.join(serving_dir, str(version), "saved_model.pb"))
    killed_in_pusher = mlmd_reader.unfinished_executions(config.metadata_path,
                                                         config.pipeline_id)
    assert [o.rsplit("/", 1)[1] for o in killed_in_pusher] in ([], ["Pusher"])

    # the third start, in this process (nothing to kill): it completes
    from pipeline import __main__ as cli
    assert cli.main(argv[3:]) == 0
    third = capsys.readouterr()
    if killed_in_pusher:   # the kill landed inside the Pusher's execution
        assert "Marked 1 execution(s)" in third.out and "/Pusher" in third.out
    assert mlmd_reader.unfinished_executions(config.metadata_path, config.pipeline_id) == []
    run = mlmd_reader.read_run(config.metadata_path, config.pipeline_id)
    states = {node: record.state for node, record in run.nodes.items()}
    assert states["Pusher"] == "COMPLETE" and set(states.values()) <= {"COMPLETE", "CACHED"}
    for node in ("SourceExampleGen", "TargetExampleGen", "SourceTrainer", "TransferTrainer"):
        # finished in an earlier start: reused
        assert states[node] == "CACHED", (node, states)
    pushed = run.output("Pusher", "pushed_model")
    assert pushed.properties["pushed"] == 1
    version_dir = pushed.properties["pushed_destination"]
    assert os.path.dirname(version_dir) == serving_dir
    model_dir = os.path.join(run.output("TransferTrainer", "model").uri, "Format-Serving")
    assert _complete(version_dir, model_dir)
    assert [n for n in os.listdir(serving_dir) if not n.isdigit()] == []
    assert serving.model_info(tf.saved_model.load(version_dir))["classes"] == ["doorbell"]
    generation = json.loads(run.output("TargetExampleGen", "examples").properties["generation"])
    assert generation["classes"] == ["doorbell"] and generation["scenes"] == ["garage", "kitchen"]
    assert generation["scenes_disjoint"] is True
    folder = report_module.report_directory(config, run.run_id)
    with open(os.path.join(folder, "report.json")) as handle:
        assert json.load(handle)["run_id"] == run.run_id
    text = open(os.path.join(folder, "report.md")).read()
    assert text.startswith("# Run report: doorbell tagger")
    assert "Models on the doorbell test set" in text


def test_a_second_run_on_the_same_root_is_refused_while_the_first_is_alive(tmp_path, capsys):
    from pipeline import __main__ as cli
    from pipeline import local_runner
    out = tmp_path / "out"
    config = configs.get_config("smoke", output_dir=str(out), real_audio="off")
    with local_runner.run_lock(config):
        code = cli.main(["run", "--profile", "smoke", "--output-dir", str(out),
                         "--set", "real_audio=off"])
    err = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    assert code == 2 and len(err) == 1 and "another run of this pipeline is in progress" in err[0]
