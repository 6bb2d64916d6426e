"""The onset descriptors (components.audio.onset) and the onset fusion (components.model.fusion):
NumPy and TensorFlow agree, a bright crack has a higher centroid than a dull thud, the fusion
fits and separates, and a served model with a fusion answers with it."""
import dataclasses

import numpy as np
import pytest
import tensorflow as tf

from components.audio import features, onset
from components.model import fusion

SR = features.SAMPLE_RATE


def clip_with_burst(cutoff_hz: float, at_s: float = 0.8, seconds: float = 2.0, seed: int = 0):
    """Quiet noise with a decaying burst of noise low-passed (or, negative, high-passed) at
    ``|cutoff_hz|`` from ``at_s``."""
    rng = np.random.default_rng(seed)
    y = 0.003 * rng.standard_normal(int(seconds * SR))
    n = int(0.15 * SR)
    burst = rng.standard_normal(n) * np.exp(-np.arange(n) / (0.03 * SR))
    spectrum = np.fft.rfft(burst)
    freqs = np.fft.rfftfreq(n, 1 / SR)
    spectrum[freqs > cutoff_hz if cutoff_hz > 0 else freqs < -cutoff_hz] = 0
    start = int(at_s * SR)
    y[start:start + n] += 0.5 * np.fft.irfft(spectrum, n)[:len(y) - start]   # cut at the end
    return y.astype(np.float32)


def test_onset_frame_is_the_burst_and_centroid_tells_bright_from_dull():
    bright, dull = clip_with_burst(-4000.0), clip_with_burst(800.0)
    for y in (bright, dull):
        frame, _ = onset.onset_frame_and_peak(features.mfcc(y))
        assert abs(frame * features.HOP_LENGTH / SR - 0.8) < 0.03
    _, c_bright = onset.descriptors(bright, features.mfcc(bright))
    _, c_dull = onset.descriptors(dull, features.mfcc(dull))
    assert c_bright > 4.0 > 0.8 > c_dull > 0.0


def test_tensorflow_twin_gives_the_numpy_descriptors():
    waves = np.stack([clip_with_burst(-4000.0, 0.5, seed=1), clip_with_burst(800.0, 1.3, seed=2),
                      clip_with_burst(-2000.0, 1.95, seed=3)])
    mel = tf.constant(features.mel_matrix())
    power = features.power_spectrogram_tf(tf.constant(waves))
    mfcc_tf = features.mfcc_from_power_tf(power, mel)
    peak_tf, centroid_tf = (t.numpy() for t in onset.descriptors_tf(power, mfcc_tf))
    for i, y in enumerate(waves):
        peak, centroid = onset.descriptors(y, features.mfcc(y))
        assert peak_tf[i] == pytest.approx(peak, rel=2e-3)
        assert centroid_tf[i] == pytest.approx(centroid, rel=2e-3)


def test_fusion_fits_separates_and_its_tensorflow_twin_agrees():
    rng = np.random.default_rng(0)
    labels = np.r_[np.ones(100), np.zeros(100)]
    centroid = np.where(labels == 1, 6.0, 2.0) + rng.normal(0, 1.0, 200)
    peak = rng.uniform(5, 50, 200)
    probability = rng.uniform(0.2, 0.8, 200)       # an uninformative network
    fitted = fusion.fit_fusion(probability, peak, centroid, labels)
    assert fitted.w_centroid > 0
    p = fusion.fused_probability(fitted, probability, peak, centroid)
    assert np.mean((p >= 0.5) == labels) > 0.9
    measured = fusion.measure(fitted, probability, peak, centroid, labels)
    assert measured["clips"] == 200 and measured["fused_accuracy"] == np.mean((p >= 0.5) == labels)
    assert measured["fused_auc"] > 0.95 > 0.7 > measured["network_auc"]
    weights = tf.constant([fitted.w_logit, fitted.w_peak, fitted.w_centroid, fitted.bias],
                          tf.float32)
    p_tf = fusion.fused_probability_tf(weights, tf.constant(probability, tf.float32),
                                       tf.constant(peak, tf.float32),
                                       tf.constant(centroid, tf.float32)).numpy()
    np.testing.assert_allclose(p_tf, p, atol=1e-5)


def test_a_capped_centroid_gives_no_more_evidence_above_the_cap_in_numpy_and_tensorflow():
    """``centroid_cap_khz``: the fit reads the centroid capped and records the cap; above it a
    brighter onset changes nothing, below it the centroid counts as without a cap."""
    rng = np.random.default_rng(1)
    labels = np.r_[np.ones(100), np.zeros(100)]
    centroid = np.where(labels == 1, 6.0, 1.0) + rng.normal(0, 1.0, 200)
    peak = rng.uniform(5, 50, 200)
    probability = rng.uniform(0.2, 0.8, 200)
    fitted = fusion.fit_fusion(probability, peak, centroid, labels, centroid_cap_khz=2.0)
    assert fitted.centroid_cap_khz == 2.0 and fitted.as_dict()["centroid_cap_khz"] == 2.0
    assert fitted.w_centroid > 0
    bright = fusion.fused_probability(fitted, np.full(3, 0.5), np.full(3, 20.0),
                                      np.array([2.0, 5.0, 9.0]))
    assert bright[0] == bright[1] == bright[2]
    uncapped = dataclasses.replace(fitted, centroid_cap_khz=0.0)
    dull = np.array([0.5, 1.5])
    np.testing.assert_array_equal(
        fusion.fused_probability(fitted, np.full(2, 0.5), np.full(2, 20.0), dull),
        fusion.fused_probability(uncapped, np.full(2, 0.5), np.full(2, 20.0), dull))
    assert (fusion.fused_probability(uncapped, np.full(1, 0.5), np.full(1, 20.0), [9.0])
            > bright[2])
    weights = tf.constant([fitted.w_logit, fitted.w_peak, fitted.w_centroid, fitted.bias],
                          tf.float32)
    p_tf = fusion.fused_probability_tf(weights, tf.constant(probability, tf.float32),
                                       tf.constant(peak, tf.float32),
                                       tf.constant(centroid, tf.float32), 2.0).numpy()
    np.testing.assert_allclose(p_tf, fusion.fused_probability(fitted, probability, peak,
                                                               centroid), atol=1e-5)


def test_fusion_refuses_calibration_clips_of_one_class():
    with pytest.raises(ValueError, match="with and without the event"):
        fusion.fit_fusion(np.full(4, 0.5), np.ones(4), np.ones(4), np.ones(4))


@pytest.mark.parametrize("centroid_cap_khz", [0.0, 3.0])
def test_a_served_model_with_a_fusion_answers_fused_in_its_waveform_and_example_signatures(
        tmp_path, centroid_cap_khz):
    from components.audio import examples, mixing
    from components.model import serving, tagger
    clip_s = 2.0
    network = tagger.build_tagger("scratch", 1, features.n_frames(features.clip_samples(clip_s)))
    fitted = fusion.OnsetFusion(w_logit=0.5, w_peak=-0.3, w_centroid=0.8, bias=-2.0,
                                centroid_cap_khz=centroid_cap_khz)
    path = str(tmp_path / "Format-Serving")
    serving.export_tagger(network, path, clip_s, classes=("glassbreak",), fusion=fitted)
    loaded = tf.saved_model.load(path)
    info = serving.model_info(loaded)
    assert info["onset_fusion"] == 1 and info["fusion_centroid_cap_khz"] == centroid_cap_khz
    waves = np.stack([clip_with_burst(-4000.0, 0.7, seed=5), clip_with_burst(800.0, 1.1, seed=6)])
    mfcc = np.stack([features.mfcc(w) for w in waves])
    alone = serving.call_signature(loaded, "predict_mfcc", mfcc)["probability"]
    peaks, centroids = zip(*(onset.descriptors(w, m) for w, m in zip(waves, mfcc)))
    expected = fusion.fused_probability(fitted, alone, np.array(peaks), np.array(centroids))
    if centroid_cap_khz:    # the bright burst's centroid is above the cap: the cap is in use
        assert max(centroids) > centroid_cap_khz > min(centroids)
    by_wave = serving.call_signature(loaded, "predict_waveform", waves)
    np.testing.assert_allclose(by_wave["probability"], expected, atol=2e-3)
    np.testing.assert_array_equal(by_wave["decision"], (by_wave["probability"] >= 0.5))
    recipe = mixing.Recipe("m0", "target", "eval", 0, 0, 0, clip_s, "bg", "home", "home01", 0.0)
    serialized = [examples.mixture_example(recipe, m, c).SerializeToString()
                  for m, c in zip(mfcc, centroids)]
    by_example = serving.call_signature(loaded, "serving_default", serialized)
    np.testing.assert_allclose(by_example["probability"], expected, atol=1e-4)
    located = serving.call_signature(loaded, "localize_waveform", waves)
    np.testing.assert_allclose(located["probability"], by_wave["probability"], atol=1e-5)
    assert np.all(located["frame_probability"][by_wave["decision"] == 0] == 0)


def test_the_calibration_split_mixes_training_recordings_only_and_is_seeded():
    from components.audio import corpus, datasets
    data = corpus.embedded_source_data(2017)
    draw = lambda seed: datasets.split_recipes(data, "target", 6, 4, 1, 1000, 1.0,
                                               calibration_clips=12, calibration_seed=seed)
    recipes = draw(4242)
    assert set(recipes) == {"train", "eval", "calibration"} and len(recipes["calibration"]) == 12
    train_backgrounds = {b.uri for b in data.backgrounds["train"]}
    train_events = {e.uri for e in data.events["train"]}
    calibration = recipes["calibration"]
    assert all(r.bg_uri in train_backgrounds for r in calibration)
    assert {r.event_uri for r in calibration if r.label} <= train_events
    assert {r.label for r in calibration} == {0, 1}
    assert [r.to_json() for r in draw(4242)["calibration"]] == [r.to_json() for r in calibration]
    assert [r.to_json() for r in draw(1)["calibration"]] != [r.to_json() for r in calibration]
    assert "calibration" not in datasets.split_recipes(data, "target", 6, 4, 1, 1000, 1.0)
    with pytest.raises(ValueError, match="calibration split is for the target task"):
        datasets.split_recipes(data, "source", 6, 4, 1, 1000, 1.0, calibration_clips=4)


def test_synthesize_writes_the_calibration_split_with_its_seed_and_refuses_it_for_the_source(
        tmp_path, capsys):
    """``synthesize --calibration-clips`` writes the split the pipeline's target ExampleGen adds
    with ``onset_fusion=1`` (the same recipes, each carrying its seed); the source task has none."""
    import dataclasses
    from components.audio import datasets, examples, mixing
    from pipeline import __main__ as cli
    out = tmp_path / "syn"
    assert cli.main(["synthesize", "--task", "target", "--output", str(out), "--train-clips", "2",
                     "--eval-clips", "2", "--clip-duration-s", "1", "--calibration-clips", "6",
                     "--calibration-seed", "77", "--num-shards", "1"]) == 0
    written = [mixing.Recipe.from_json(line) for path in sorted((out / "recipes").glob(
        "calibration-*.jsonl")) for line in path.read_text().splitlines()]
    expected = datasets.plan_task("target", "embedded", 2017, 2, 2, 1, 1000, 1.0,
                                  classes="glassbreak", calibration_clips=6,
                                  calibration_seed=77).recipes["calibration"]
    unscaled = sorted(dataclasses.replace(r, scale=None).to_json() for r in written)  # the job
    assert unscaled == sorted(r.to_json() for r in expected)                  # fills in the scale
    assert {r.seed for r in written} == {77}
    x, y, meta = examples.load_split(str(out), "calibration", features.n_frames(SR))
    assert len(y) == 6 and set(y.tolist()) == {0, 1}
    assert all(np.isfinite(m["onset_centroid_khz"]) for m in meta)
    capsys.readouterr()
    assert cli.main(["synthesize", "--task", "source", "--output", str(tmp_path / "src"),
                     "--calibration-clips", "6"]) == 2
    lines = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    assert len(lines) == 1 and "--calibration-clips" in lines[0] and "target" in lines[0]
    assert not (tmp_path / "src").exists()


def test_an_onset_example_is_the_tf_example_of_the_mfcc_and_centroid():
    """``examples.onset_example``: the bytes TensorFlow writes for the two features a fused
    model's ``serving_default`` parses (what a study sends it)."""
    from components.audio import examples
    mfcc = np.random.default_rng(3).standard_normal((5, 20)).astype(np.float32)
    expected = tf.train.Example(features=tf.train.Features(feature={
        examples.MFCC_KEY: tf.train.Feature(float_list=tf.train.FloatList(value=mfcc.ravel())),
        examples.ONSET_CENTROID_KEY: tf.train.Feature(
            float_list=tf.train.FloatList(value=[4.25]))}))
    assert examples.onset_example(mfcc, 4.25) == expected.SerializeToString(deterministic=True)


def test_the_fusion_centroid_cap_reaches_the_target_trainer_only_with_the_fusion():
    """The setting is the target stage's, only with ``onset_fusion=1`` (else it decides
    nothing: absent from every Trainer's config and from a study's settings), in range."""
    from pipeline import configs, experiments
    capped = configs.get_config("quick", onset_fusion=1, fusion_centroid_cap_khz=2.5)
    assert capped.stage_config("target", "parallel_low")["fusion_centroid_cap_khz"] == 2.5
    assert "fusion_centroid_cap_khz" not in capped.stage_config("source", "scratch")
    assert experiments.study_settings(capped)["fusion_centroid_cap_khz"] == 2.5
    without = configs.get_config("quick", onset_fusion=0, fusion_centroid_cap_khz=2.5)
    assert "fusion_centroid_cap_khz" not in without.stage_config("target", "parallel_low")
    assert "fusion_centroid_cap_khz" not in experiments.study_settings(without)
    off = configs.get_config("quick", onset_fusion=1, fusion_centroid_cap_khz=0)
    assert "fusion_centroid_cap_khz" not in off.stage_config("target", "parallel_low")
    with pytest.raises(configs.ConfigError, match="fusion_centroid_cap_khz"):
        configs.get_config("quick", fusion_centroid_cap_khz=-1.0)
