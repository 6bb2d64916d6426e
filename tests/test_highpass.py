"""The ``highpass_hz`` setting: the MFCC and the onset centroid without the spectrum below a
cut-off, the same in the data job (NumPy) and in the served model (TensorFlow), carried from
the configuration to every ExampleGen, Trainer and exported model."""
import numpy as np
import pytest
import tensorflow as tf

from components.audio import examples, features, mixing, onset
from components.model import fusion, serving, training
from pipeline import configs
from tests.test_onset import clip_with_burst

SR = features.SAMPLE_RATE
CUT_HZ = 150


def with_rumble(y: np.ndarray, hz: float = 40.0, amplitude: float = 0.3) -> np.ndarray:
    """``y`` plus a slowly swelling low tone (wind or traffic rumble, a thud's body)."""
    t = np.arange(len(y)) / SR
    rumble = amplitude * np.sin(2 * np.pi * hz * t) * (1 + 0.5 * np.sin(2 * np.pi * 0.7 * t))
    return (y + rumble).astype(np.float32)


def test_the_mel_filters_lose_the_bins_below_the_cut_off_and_keep_the_rest():
    full, cut = features.mel_matrix(), features.mel_matrix(highpass_hz=CUT_HZ)
    freqs = np.arange(full.shape[0]) * SR / features.N_FFT
    assert not cut[freqs < CUT_HZ].any()
    np.testing.assert_array_equal(cut[freqs >= CUT_HZ], full[freqs >= CUT_HZ])
    np.testing.assert_array_equal(features.mel_matrix(highpass_hz=0), full)


def test_a_rumble_below_the_cut_off_hardly_moves_the_high_passed_mfcc_and_centroid():
    clean = clip_with_burst(-4000.0)
    rumbling = with_rumble(clean)
    change, centroids = {}, {}
    for cut in (0, CUT_HZ):
        bands = features.mel_bands(highpass_hz=cut)
        a, b = features.mfcc(clean, bands=bands), features.mfcc(rumbling, bands=bands)
        change[cut] = float(np.mean(np.abs(a - b)))
        centroids[cut] = (onset.descriptors(clean, a, highpass_hz=cut)[1],
                          onset.descriptors(rumbling, b, highpass_hz=cut)[1])
    assert change[CUT_HZ] < 0.15 * change[0]
    assert centroids[0][1] < 0.7 * centroids[0][0]                  # the rumble pulls it down
    assert centroids[CUT_HZ][1] == pytest.approx(centroids[CUT_HZ][0], rel=1e-3)


def test_tensorflow_twin_gives_the_numpy_high_passed_mfcc_and_descriptors():
    waves = np.stack([with_rumble(clip_with_burst(-4000.0, 0.5, seed=1)),
                      with_rumble(clip_with_burst(800.0, 1.3, seed=2), 90.0, 0.05)])
    power = features.power_spectrogram_tf(tf.constant(waves))
    mfcc_tf = features.mfcc_from_power_tf(power, tf.constant(features.mel_matrix(
        highpass_hz=CUT_HZ)))
    peak_tf, centroid_tf = (t.numpy() for t in onset.descriptors_tf(power, mfcc_tf, CUT_HZ))
    bands = features.mel_bands(highpass_hz=CUT_HZ)
    for i, y in enumerate(waves):
        mfcc = features.mfcc(y, bands=bands)
        np.testing.assert_allclose(mfcc_tf.numpy()[i], mfcc, atol=2e-2)
        peak, centroid = onset.descriptors(y, mfcc, highpass_hz=CUT_HZ)
        assert peak_tf[i] == pytest.approx(peak, rel=2e-3)
        assert centroid_tf[i] == pytest.approx(centroid, rel=2e-3)


def test_a_served_model_high_passes_its_waveforms_as_its_examples_were(tmp_path):
    clip_s = 1.0
    rng = np.random.default_rng(0)
    waves = [with_rumble(clip_with_burst(c, 0.4, clip_s, seed=k))
             for k, c in enumerate((-4000.0, 800.0) * 4)]
    bands = features.mel_bands(highpass_hz=CUT_HZ)
    mfcc = np.stack([features.mfcc(w, bands=bands) for w in waves])
    labels = np.array([1, 0] * 4, np.float32)
    network = training.train_stage(mfcc, labels, None, None, training.StageConfig(
        epochs=1, batch_size=4, highpass_hz=CUT_HZ))["model"]
    centroids = np.array([onset.descriptors(w, m, highpass_hz=CUT_HZ)[1]
                          for w, m in zip(waves, mfcc)])
    peaks = onset.onset_frame_and_peak(mfcc)[1]
    fitted = fusion.fit_fusion(rng.uniform(0.2, 0.8, 8), peaks, centroids, labels)
    path = str(tmp_path / "Format-Serving")
    serving.export_tagger(network, path, clip_s, classes=("glassbreak",), fusion=fitted,
                          highpass_hz=CUT_HZ)
    loaded = tf.saved_model.load(path)
    assert serving.model_info(loaded)["highpass_hz"] == CUT_HZ
    by_wave = serving.call_signature(loaded, "predict_waveform", np.stack(waves))
    recipe = mixing.Recipe("m0", "target", "eval", 0, 0, 0, clip_s, "bg", "home", "home01", 0.0)
    serialized = [examples.mixture_example(recipe, m, c).SerializeToString()
                  for m, c in zip(mfcc, centroids)]
    by_example = serving.call_signature(loaded, "serving_default", serialized)
    np.testing.assert_allclose(by_wave["probability"], by_example["probability"], atol=2e-3)
    plain = str(tmp_path / "plain")
    serving.export_tagger(network, plain, clip_s)
    assert serving.model_info(tf.saved_model.load(plain))["highpass_hz"] == 0
    # tag --events computes its onsets from the model's features, with or without a site
    # threshold
    from pipeline import tag
    assert tag.LocalModel(path).highpass_hz == CUT_HZ
    assert tag.SiteThresholded(tag.LocalModel(path), 0.3).highpass_hz == CUT_HZ
    assert tag.LocalModel(plain).highpass_hz == 0


def test_the_setting_reaches_every_example_gen_and_trainer_and_names_the_pipeline(tmp_path):
    from pipeline.pipeline import create_pipeline
    config = configs.get_config("smoke", highpass_hz=CUT_HZ, output_dir=str(tmp_path / "p"))
    assert config.pipeline_id.endswith(f"-hp{CUT_HZ}")
    components = {c.id: c for c in create_pipeline(config).components}
    generators = [c for name, c in components.items() if name.endswith("ExampleGen")]
    trainers = [c for name, c in components.items() if name.endswith("Trainer")]
    assert generators and trainers
    for generator in generators:
        assert generator.exec_properties["highpass_hz"] == CUT_HZ
    for trainer in trainers:
        assert '"highpass_hz": 150' in trainer.exec_properties["custom_config"]
    # off (the paper's MFCC): no component's parameters, so no cache key, change
    default = configs.get_config("smoke", output_dir=str(tmp_path / "q"))
    assert default.example_encoding() == {} and "-hp" not in default.pipeline_id
    assert "highpass_hz" not in default.stage_config("target", "parallel_low")
    with pytest.raises(configs.ConfigError, match="highpass_hz"):
        configs.get_config("smoke", highpass_hz=-1)
