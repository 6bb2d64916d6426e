"""Tasks as data: free classes and scenes, source and target from different data, multi-class
source pre-training, and the errors a bad task gets before any Beam job."""
import os

import numpy as np
import pytest
import tensorflow as tf

from components.audio import corpus, datasets, features, mixing
from components.audio.audio_io import AudioDataError
from components.audio.records import SOURCE_SCENES, TARGET_SCENES
from components.model import serving, tagger, training
from pipeline import __main__ as cli
from tests.conftest import write_own_sound_manifest

FRAMES_1S = features.n_frames(features.clip_samples(1.0))


@pytest.fixture(scope="module")
def embedded():
    return corpus.embedded_source_data(2017)


def test_the_embedded_corpus_has_five_source_classes_besides_the_target(embedded):
    assert len(corpus.MULTI_SOURCE_CLASSES) >= 5 and "glassbreak" not in corpus.MULTI_SOURCE_CLASSES
    for name in corpus.MULTI_SOURCE_CLASSES:
        for subset in ("train", "test"):
            events = embedded.events_of(subset, name)
            assert events, (name, subset)
        audio = corpus.synthesize_file(2017, embedded.events_of("train", name)[0].uri)
        assert np.isfinite(audio).all() and np.max(np.abs(audio)) > 0.1
    train_authors = {e.author for e in embedded.events["train"]}
    assert not train_authors & {e.author for e in embedded.events["test"]}


def test_one_class_task_draws_exactly_what_the_reference_draw_gives(embedded):
    backgrounds = embedded.backgrounds_in("train", SOURCE_SCENES)
    events = embedded.events_of("train", "babycry")
    reference = mixing.generate_recipes(backgrounds, events, 20, 4, 3.0, "source", "train")
    task = mixing.generate_task_recipes(backgrounds, [("babycry", events)], 20, 4, 3.0,
                                        "source", "train")
    for ref, new in zip(reference, task):
        assert new.classes == ["babycry"] and new.labels == [ref.label]
        skip = ("classes", "labels")
        assert ({k: v for k, v in vars(new).items() if k not in skip}
                == {k: v for k, v in vars(ref).items() if k not in skip})


def test_multi_class_recipes_hold_each_class_in_half_the_clips_and_mix_every_event(embedded):
    classes = ["babycry", "dogbark", "alarm"]
    recipes = datasets.split_recipes(embedded, "source", 20, 4, 7, 1000, 3.0, classes=classes)
    train = recipes["train"]
    labels = np.asarray([r.labels for r in train])
    assert labels.sum(axis=0).tolist() == [10, 10, 10]
    assert [r.label for r in train] == [int(row.any()) for row in labels]
    several = next(r for r in train if sum(r.labels) >= 2)
    present = [several.event_class] + [e["event_class"] for e in several.more_events]
    assert sorted(present) == sorted(c for c, v in zip(classes, several.labels) if v)
    load = mixing.audio_loader(embedded.data_root, 2017)
    audio, final = mixing.render(several, load)
    assert final.scale > 0 and all(e["scale"] > 0 for e in final.more_events)
    assert mixing.Recipe.from_json(final.to_json()) == final
    # the same seed gives the same recipes
    again = datasets.split_recipes(embedded, "source", 20, 4, 7, 1000, 3.0, classes=classes)
    assert [r.to_json() for r in again["train"]] == [r.to_json() for r in train]


def test_scenes_follow_the_paper_where_the_data_has_them_and_are_dealt_out_otherwise(
        embedded, tmp_path):
    assert datasets.task_scenes("source", embedded, embedded) == (SOURCE_SCENES, True)
    assert datasets.task_scenes("target", embedded, embedded) == (TARGET_SCENES, True)
    own = datasets.load_source_data(write_own_sound_manifest(tmp_path / "own"), 0)
    # a folder of free scene names as the target of the embedded corpus: all its scenes
    assert datasets.task_scenes("target", own, embedded) == (("garage", "kitchen"), True)
    # the same folder for both tasks: its shared scenes are dealt out alternately
    assert datasets.task_scenes("source", own, own) == (("garage",), True)
    assert datasets.task_scenes("target", own, own) == (("kitchen",), True)
    # two folders naming the same scenes cannot be kept apart: recorded as not disjoint
    other = datasets.load_source_data(write_own_sound_manifest(tmp_path / "other", "chime"), 0)
    assert datasets.task_scenes("target", own, other) == (("garage", "kitchen"), False)


@pytest.mark.parametrize("overrides, expected", [
    (["--target-class", "whistle"], "target class 'whistle' is not in embedded"),
    (["--source-classes", "babycry,gunshot"], "source class 'gunshot' is not in embedded"),
    (["--source-classes", "babycry,glassbreak"], "target class 'glassbreak' is also a source class"),
    (["--source-classes", "babycry,,babycry"], "a class is named twice"),
])
def test_a_bad_task_gets_one_clear_line_before_any_beam_job(tmp_path, capsys, overrides,
                                                            expected):
    code = cli.main(["run", "--profile", "smoke", "--output-dir", str(tmp_path / "out"),
                     "--set", "real_audio=off", *overrides])
    assert code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and expected in err[0] and "Traceback" not in err[0]
    assert not os.path.exists(tmp_path / "out" / "tfx")


def test_a_class_without_test_events_is_refused_naming_the_subset(tmp_path):
    root = write_own_sound_manifest(tmp_path / "own")
    rows = open(os.path.join(root, "events.csv")).read().replace(",test\n", ",train\n")
    open(os.path.join(root, "events.csv"), "w").write(rows)
    with pytest.raises(AudioDataError, match="target class 'doorbell' has no test events"):
        datasets.resolve_tasks("embedded", "babycry", root, "doorbell", 2017)


def _stage_data(n_classes, n=24, frames=40, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, frames, 20)).astype(np.float32)
    y = rng.integers(0, 2, (n, n_classes)) if n_classes > 1 else rng.integers(0, 2, n)
    x[..., 0] += 2.0 * (y if n_classes == 1 else y[:, 0])[:, None]
    return x, y


def test_a_multi_class_source_has_one_output_per_class_and_the_methods_copy_its_lower_layers(
        tmp_path):
    x, y = _stage_data(5)
    trained = training.train_stage(x, y, x, y, training.StageConfig(
        epochs=1, batch_size=8, classes=tuple("abcde")))
    source = trained["model"]
    assert source.output_shape == (None, 5)
    # each class's own ROC AUC is recorded (the source gate judges the best one)
    scores = source.predict(x, verbose=0)
    for k, name in enumerate("abcde"):
        assert trained["metrics"]["eval"]["class_auc"][name] == pytest.approx(
            training.roc_auc(y[:, k], scores[:, k]), abs=1e-6)
    serving_dir = str(tmp_path / "source" / "Format-Serving")
    serving.export_tagger(source, serving_dir, 1.0, 0.5, tuple("abcde"))
    loaded = tf.saved_model.load(serving_dir)
    assert serving.model_info(loaded)["classes"] == list("abcde")
    assert serving.call_signature(loaded, "predict_mfcc",
                                  np.zeros((3, FRAMES_1S, 20), np.float32)
                                  )["probability"].shape == (3, 5)
    base = serving.load_keras_tagger(serving_dir)
    xt, yt = _stage_data(1, seed=1)
    expected = {"pretrain_all": ["normalize", "lstm_1", "lstm_2"],
                "pretrain_fix_low": ["normalize", "lstm_1"],
                "parallel_low": ["normalize", "lstm_1_source"]}
    for method, copied in expected.items():
        result = training.train_stage(xt, yt, None, None, training.StageConfig(
            method=method, epochs=1, batch_size=8, classes=("target",)), base)
        model = result["model"]
        assert sorted(result["copied_layers"]) == sorted(copied)
        assert model.output_shape == (None, 1)
        for frozen in tagger.frozen_layers(method):
            source_name = tagger.copied_layers(method)[frozen]
            for got, want in zip(model.get_layer(frozen).get_weights(),
                                 base.get_layer(source_name).get_weights()):
                np.testing.assert_array_equal(got, want)


# The own-sound end-to-end run (a manifest folder of a new class, pushed as doorbell_tagger) is
# tests/test_faults.py::test_runs_killed_in_a_trainer_and_in_the_pusher_complete_when_started_again.
