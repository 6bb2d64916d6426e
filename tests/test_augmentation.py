"""Seeded augmentation of training mixtures (components.audio.augmentation)."""
import dataclasses

import numpy as np
import pytest

from components.audio import augmentation, corpus, datasets, features, mixing
from components.audio.audio_io import SAMPLE_RATE


def _target_recipes(augment):
    data = corpus.embedded_source_data(2017)
    return data, datasets.split_recipes(data, "target", 12, 4, 5, 1000, 2.0, augment=augment)


def test_augmentation_is_recorded_seeded_and_leaves_the_reference_draws_alone():
    _, plain = _target_recipes(False)
    _, augmented = _target_recipes(True)
    _, again = _target_recipes(True)
    assert all(r.augmentation is None for r in plain["train"] + plain["eval"])
    assert all(r.augmentation for r in augmented["train"])
    assert all(r.augmentation is None for r in augmented["eval"]), "test sets are never augmented"
    for a, b in zip(plain["train"], augmented["train"]):
        assert dataclasses.replace(b, augmentation=None) == a
    assert [r.to_json() for r in again["train"]] == [r.to_json() for r in augmented["train"]]
    restored = mixing.Recipe.from_json(augmented["train"][0].to_json())
    assert restored.augmentation == augmented["train"][0].augmentation


def test_an_augmented_mixture_is_recreated_from_its_recipe_and_differs_from_the_plain_one():
    data, augmented = _target_recipes(True)
    load = mixing.audio_loader(data.data_root, 2017)
    recipe = next(r for r in augmented["train"] if r.label)
    first, final = mixing.render(recipe, load)
    second, _ = mixing.render(mixing.Recipe.from_json(recipe.to_json()), load)
    plain, _ = mixing.render(dataclasses.replace(recipe, augmentation=None), load)
    assert np.array_equal(first, second)
    assert not np.allclose(first, plain)
    assert np.max(np.abs(first)) <= 1.0 and final.scale > 0


def test_augmentation_gain_and_band_limits_do_what_they_say():
    rng = np.random.default_rng(0)
    noise = 0.01 * rng.standard_normal(SAMPLE_RATE)
    aug = dict(augmentation.draw_augmentation(rng), tilt_db_per_octave=0.0, lowpass_hz=2000.0,
               highpass_hz=0.0, gain_db=20.0)
    out = augmentation.augment_mixture(noise, aug)
    spectrum = np.abs(np.fft.rfft(out)) ** 2
    freqs = np.fft.rfftfreq(len(out), 1 / SAMPLE_RATE)
    assert spectrum[freqs > 8000].mean() < 0.01 * spectrum[freqs < 1000].mean()
    low = np.abs(np.fft.rfft(noise)) ** 2
    assert spectrum[freqs < 500].mean() / low[freqs < 500].mean() > 80   # +20 dB = x100 power
    loud = augmentation.augment_mixture(0.5 * np.ones(100), dict(aug, lowpass_hz=0.0))
    assert np.max(np.abs(loud)) <= 1.0


def test_background_tilt_brightens_the_background_alone_and_the_event_is_scaled_against_it():
    data, augmented = _target_recipes(True)
    load = mixing.audio_loader(data.data_root, 2017)
    tilts = [r.augmentation["background_tilt_db_per_octave"] for r in augmented["train"]]
    low, high = augmentation.BACKGROUND_TILT_RANGE
    assert all(low <= t <= high for t in tilts) and len(set(tilts)) == len(tilts)
    neutral = {"event_rt60_s": 0.0, "event_direct_db": 0.0, "event_lowpass_hz": 0.0,
               "tilt_db_per_octave": 0.0, "lowpass_hz": 0.0, "highpass_hz": 0.0, "gain_db": 0.0,
               "noise_seed": 0}
    silent = next(r for r in augmented["train"] if not r.label)
    dark, _ = mixing.render(dataclasses.replace(silent, augmentation=dict(
        neutral, background_tilt_db_per_octave=0.0)), load)
    bright, _ = mixing.render(dataclasses.replace(silent, augmentation=dict(
        neutral, background_tilt_db_per_octave=6.0)), load)
    # c1 of the MFCC measures the spectral slope: +6 dB per octave lowers it by well over 80
    assert features.mfcc(dark)[:, 1].mean() - features.mfcc(bright)[:, 1].mean() > 80
    # the event is scaled against the background as coloured, so the EBR holds against it
    positive = next(r for r in augmented["train"] if r.label)
    recipe = dataclasses.replace(positive, augmentation=dict(
        neutral, background_tilt_db_per_octave=6.0))
    _, rendered = mixing.render(recipe, load)
    start = int(round(recipe.bg_offset_s * SAMPLE_RATE))
    bg = augmentation.spectral_shape(
        load(recipe.bg_uri)[start:start + int(round(recipe.duration_s * SAMPLE_RATE))], 6.0)
    event = mixing._event_audio(mixing._event_fields(recipe), load, None)
    onset = min(int(recipe.event_onset_s * SAMPLE_RATE), len(bg) - len(event))
    expected = mixing.event_scale(event, bg[onset:onset + len(event)], recipe.ebr_db,
                                  recipe.bg_uri)
    assert np.isclose(rendered.scale, expected)
    _, untilted = mixing.render(dataclasses.replace(positive, augmentation=dict(
        neutral, background_tilt_db_per_octave=0.0)), load)
    assert not np.isclose(rendered.scale, untilted.scale)


def _chained_recipes(seed=5, augment=False):
    data = corpus.embedded_source_data(2017)
    return data, datasets.split_recipes(data, "target", 24, 4, seed, 1000, 2.0, augment=augment,
                                        recording_chain=True, calibration_clips=6,
                                        calibration_seed=4242)


def test_recording_chain_band_limits_about_half_the_training_clips_seeded_and_recorded():
    data, chained = _chained_recipes()
    _, again = _chained_recipes()
    rates = [r.augmentation["chain_rate_hz"] for r in chained["train"] if r.augmentation]
    assert 6 <= len(rates) <= 18 and set(rates) <= set(augmentation.CHAIN_RATES_HZ)
    assert all(r.augmentation is None for r in chained["eval"] + chained["calibration"])
    assert [r.to_json() for r in again["train"]] == [r.to_json() for r in chained["train"]]
    # the chain changes no draw of the recipe but its own field
    unchained = datasets.split_recipes(data, "target", 24, 4, 5, 1000, 2.0)
    for a, b in zip(unchained["train"], chained["train"]):
        assert dataclasses.replace(b, augmentation=None) == a
    # rendered: nothing above 0.45 x the rate, the band below it untouched
    load = mixing.audio_loader(data.data_root, 2017)
    recipe = next(r for r in chained["train"] if r.augmentation and r.label)
    rendered, _ = mixing.render(mixing.Recipe.from_json(recipe.to_json()), load)
    full, _ = mixing.render(dataclasses.replace(recipe, augmentation=None), load)
    freqs = np.fft.rfftfreq(len(rendered), 1.0 / SAMPLE_RATE)
    above = freqs > augmentation.CHAIN_BAND * recipe.augmentation["chain_rate_hz"]
    spectrum, full_spectrum = np.abs(np.fft.rfft(rendered)), np.abs(np.fft.rfft(full))
    assert spectrum[above].max() < 1e-9 * spectrum.max()
    np.testing.assert_allclose(spectrum[~above], full_spectrum[~above], atol=1e-6)


def test_recording_chain_keeps_an_augmentation_and_is_refused_outside_the_target_task():
    _, both = _chained_recipes(augment=True)
    chained = [r.augmentation for r in both["train"] if "chain_rate_hz" in r.augmentation]
    assert chained and all(a["gain_db"] != 0 for a in chained)   # the augmentation is kept
    data = corpus.embedded_source_data(2017)
    with pytest.raises(ValueError, match="recording chain is for the target task"):
        datasets.split_recipes(data, "source", 8, 4, 5, 1000, 2.0, recording_chain=True)


def test_recording_chain_setting_reaches_the_target_example_gen_alone(tmp_path):
    from pipeline import configs
    from pipeline.pipeline import create_pipeline
    config = configs.get_config("smoke", recording_chain=1, output_dir=str(tmp_path / "p"))
    planned = datasets.plan_task(**config.data_jobs()["Target"]).recipes   # the ExampleGen's
    assert any(r.augmentation and r.augmentation.get("chain_rate_hz") for r in planned["train"])
    generators = {c.id: c for c in create_pipeline(config).components
                  if c.id.endswith("ExampleGen")}
    assert generators["TargetExampleGen"].exec_properties["recording_chain"] == 1
    assert not generators["SourceExampleGen"].exec_properties.get("recording_chain")
    with pytest.raises(configs.ConfigError, match="recording_chain"):
        configs.get_config("smoke", recording_chain=2)
