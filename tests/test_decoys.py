"""Decoys: grains of a training event scattered over training clips (components.audio.decoys)."""
import dataclasses
import json

import numpy as np
import pytest

from components.audio import corpus, datasets, decoys, mixing
from components.audio.audio_io import SAMPLE_RATE
from pipeline import __main__ as cli
from pipeline import configs


def _target_recipes(with_decoys, train_clips=40):
    data = corpus.embedded_source_data(2017)
    return data, datasets.split_recipes(data, "target", train_clips, 4, 5, 1000, 2.0,
                                        decoys=with_decoys)


def test_decoys_are_recorded_seeded_label_blind_and_leave_the_other_draws_alone():
    _, plain = _target_recipes(False)
    _, with_decoys = _target_recipes(True)
    _, again = _target_recipes(True)
    train = with_decoys["train"]
    assert all(r.decoy is None for r in plain["train"] + with_decoys["eval"]), \
        "test sets never have decoys"
    for a, b in zip(plain["train"], train):
        assert dataclasses.replace(b, decoy=None) == a
    chosen = [r for r in train if r.decoy]
    assert 0.25 * len(train) <= len(chosen) <= 0.75 * len(train)
    assert {r.label for r in chosen} == {0, 1}, "decoys in clips with and without an event"
    assert all(r.decoy["event_uri"].split("/")[-2] == "glassbreak" for r in chosen)
    assert all(decoys.GRAINS_RANGE[0] <= r.decoy["grains"] <= decoys.GRAINS_RANGE[1]
               for r in chosen)
    assert [r.to_json() for r in again["train"]] == [r.to_json() for r in train]
    assert mixing.Recipe.from_json(chosen[0].to_json()) == chosen[0]
    assert "decoy" not in json.loads(plain["train"][0].to_json()), \
        "recipes without a decoy keep their earlier JSON"


def test_a_decoy_adds_only_its_grains_to_the_mixture_and_is_recreated_from_its_recipe():
    data, with_decoys = _target_recipes(True)
    load = mixing.audio_loader(data.data_root, 2017)
    recipe = next(r for r in with_decoys["train"] if r.decoy and not r.label)
    first, _ = mixing.render(recipe, load)
    second, _ = mixing.render(mixing.Recipe.from_json(recipe.to_json()), load)
    plain, _ = mixing.render(dataclasses.replace(recipe, decoy=None), load)
    assert np.array_equal(first, second)
    added = first - plain
    assert np.any(added != 0)
    # the grains cover at most grains x 80 ms of the clip; elsewhere the mixture is unchanged
    covered = np.mean(np.abs(added) > 1e-12)
    assert covered <= recipe.decoy["grains"] * decoys.GRAIN_LENGTH_S[1] * SAMPLE_RATE / len(first)


def test_scattered_grains_stay_within_the_event_and_the_clip():
    event = np.sin(np.linspace(0, 200 * np.pi, SAMPLE_RATE // 2))
    grains = decoys.scatter_grains(event, 3 * SAMPLE_RATE, 12, seed=4)
    assert len(grains) == 3 * SAMPLE_RATE
    assert np.array_equal(grains, decoys.scatter_grains(event, 3 * SAMPLE_RATE, 12, seed=4))
    assert not np.array_equal(grains, decoys.scatter_grains(event, 3 * SAMPLE_RATE, 12, seed=5))
    assert np.max(np.abs(grains)) <= 12 * np.max(np.abs(event))
    assert np.mean(grains != 0) <= 12 * decoys.GRAIN_LENGTH_S[1] * SAMPLE_RATE / len(grains)
    assert not np.any(decoys.scatter_grains(event, 3 * SAMPLE_RATE, 0, seed=4))


def test_decoys_are_a_target_setting_refused_elsewhere_in_one_line(tmp_path, capsys):
    data = corpus.embedded_source_data(2017)
    with pytest.raises(ValueError, match="target task"):
        datasets.split_recipes(data, "source", 8, 4, 5, 1000, 2.0, decoys=True)
    config = configs.get_config("smoke", decoys=1)
    jobs = config.data_jobs()
    assert jobs["Target"]["decoys"] == 1 and "decoys" not in jobs["Source"]
    assert "decoys" not in configs.get_config("smoke").data_jobs()["Target"], \
        "unset, the ExampleGen's cache key stays as before"
    code = cli.main(["synthesize", "--task", "source", "--decoys", "--output",
                     str(tmp_path / "x")])
    lines = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    assert code == 2 and len(lines) == 1 and "--decoys" in lines[0], lines
    code = cli.main(["run", "--profile", "smoke", "--output-dir", str(tmp_path / "o"),
                     "--set", "decoys=2"])
    lines = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    assert code == 2 and len(lines) == 1 and "decoys" in lines[0], lines
    assert not (tmp_path / "x").exists() and not (tmp_path / "o").exists()


# ------------------------------------------------------------------ hard negatives (same family)

def test_hard_negatives_go_to_clips_without_an_event_are_seeded_and_add_only_their_sound(
        tmp_path, capsys):
    from components.audio import hard_negatives
    data = corpus.embedded_source_data(2017)

    def recipes(hard):
        return datasets.split_recipes(data, "target", 40, 4, 5, 1000, 2.0,
                                      hard_negative_clips=hard, corpus_seed=2017)
    plain, hard, again = recipes(False), recipes(True), recipes(True)
    assert all(r.impact is None for r in plain["train"] + hard["eval"]), \
        "test sets never have one"
    for a, b in zip(plain["train"], hard["train"]):
        assert dataclasses.replace(b, impact=None) == a, "the other draws are unchanged"
    chosen = [r for r in hard["train"] if r.impact]
    negatives = [r for r in hard["train"] if not r.label]
    assert {r.label for r in chosen} == {0}, "only clips without an event"
    assert len(chosen) == round(hard_negatives.HARD_NEGATIVE_RATE * len(negatives))
    assert {r.impact["event_class"] for r in chosen} <= set(hard_negatives.SOUNDS)
    assert {r.impact["ebr_db"] for r in chosen} <= set(mixing.EBRS_DB)
    assert [r.to_json() for r in again["train"]] == [r.to_json() for r in hard["train"]]
    load = mixing.audio_loader(data.data_root, 2017)
    recipe = chosen[0]
    with_sound, _ = mixing.render(mixing.Recipe.from_json(recipe.to_json()), load)
    without, _ = mixing.render(dataclasses.replace(recipe, impact=None), load)
    added = with_sound - without
    start = int(recipe.impact["event_onset_s"] * SAMPLE_RATE)
    end = start + int(recipe.impact["event_duration_s"] * SAMPLE_RATE) + 1
    assert np.any(added[start:end]) and not np.any(added[:start]) and not np.any(added[end:])
    with pytest.raises(ValueError, match="target task"):
        datasets.split_recipes(data, "source", 8, 4, 5, 1000, 2.0, hard_negative_clips=True)
    jobs = configs.get_config("smoke", hard_negatives=1).data_jobs()
    assert jobs["Target"]["hard_negatives"] == 1 and "hard_negatives" not in jobs["Source"]
    planned = datasets.plan_task(**jobs["Target"]).recipes["train"]   # what the ExampleGen runs
    assert any(r.impact for r in planned)
    assert "hard_negatives" not in configs.get_config("smoke").data_jobs()["Target"]
    code = cli.main(["synthesize", "--task", "source", "--hard-negatives", "--output",
                     str(tmp_path / "x")])
    lines = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    assert code == 2 and len(lines) == 1 and "--hard-negatives" in lines[0], lines
    assert not (tmp_path / "x").exists()


def test_hard_negatives_can_be_the_datas_own_recordings_of_other_classes(tmp_path, capsys):
    data = corpus.embedded_source_data(2017)

    def recipes(classes):
        return datasets.split_recipes(data, "target", 40, 4, 5, 1000, 2.0,
                                      hard_negative_clips=True, corpus_seed=2017,
                                      hard_negative_classes=classes)
    synthetic, own = recipes(()), recipes(("knock", "dogbark"))
    for a, b in zip(synthetic["train"], own["train"]):
        assert (a.impact is None) == (b.impact is None), "the same clips get one"
        assert dataclasses.replace(a, impact=None) == dataclasses.replace(b, impact=None)
    sounds = [r.impact for r in own["train"] if r.impact]
    training = {e.uri for c in ("knock", "dogbark") for e in data.events_of("train", c)}
    assert {s["event_class"] for s in sounds} <= {"knock", "dogbark"}
    assert {s["event_uri"] for s in sounds} <= training, "training recordings only"
    assert all(r.impact is None for r in own["eval"])
    with pytest.raises(ValueError, match="no training recording of class 'gunshot'"):
        recipes(("gunshot",))
    with pytest.raises(ValueError, match="is a class of the task"):
        recipes(("glassbreak",))
    job = configs.get_config("smoke", hard_negatives=1,
                             hard_negative_classes="knock").data_jobs()["Target"]
    planned = datasets.plan_task(**job).recipes["train"]   # what the ExampleGen runs
    assert {r.impact["event_class"] for r in planned if r.impact} == {"knock"}
    from pipeline.pipeline import create_pipeline
    built = create_pipeline(configs.get_config("smoke", hard_negatives=1,
                                               hard_negative_classes="knock",
                                               output_dir=str(tmp_path / "p")))
    generator = next(c for c in built.components if c.id == "TargetExampleGen")
    assert generator.exec_properties["hard_negative_classes"] == "knock"
    for bad, says in (({"hard_negative_classes": "knock"}, "needs hard_negatives=1"),
                      ({"hard_negatives": 1, "hard_negative_classes": "glassbreak"},
                       "names the target class")):
        with pytest.raises(configs.ConfigError, match=says):
            configs.get_config("smoke", **bad)
    code = cli.main(["synthesize", "--task", "target", "--hard-negative-classes", "gunshot",
                     "--train-clips", "4", "--eval-clips", "2", "--output", str(tmp_path / "y")])
    lines = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    assert code == 2 and len(lines) == 1 and "gunshot" in lines[0], lines
    assert not (tmp_path / "y").exists()
