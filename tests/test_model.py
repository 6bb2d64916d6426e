"""Models: in-graph MFCC, signatures, transfer methods, learning, Trainer base-model errors."""
import json
import os

import keras
import librosa
import numpy as np
import pytest
import tensorflow as tf
from tfx.components.trainer.fn_args_utils import FnArgs

from components.audio import corpus, examples, features, mixing
from components.model import localize, serving, tagger, training
from components.tfx import schema, trainer_stage, trainer_target
from pipeline import configs
from components.audio.audio_io import SAMPLE_RATE
from components.audio.records import TARGET_SCENES

CLIP_S = 1.0
FRAMES = features.n_frames(features.clip_samples(CLIP_S))


def _tf_mfcc(y):
    mel = tf.constant(features.mel_matrix())
    return features.mfcc_tf(tf.constant(y[None].astype(np.float32)), mel).numpy()[0]


def _librosa_mfcc(y):
    return librosa.feature.mfcc(y=y.astype(np.float32), sr=44100, n_mfcc=20, n_fft=2048,
                                hop_length=512).T


@pytest.mark.parametrize("kind", ["noise", "chirp", "silence", "mixture"])
def test_in_graph_mfcc_equals_librosa(kind):
    n = 3 * SAMPLE_RATE
    t = np.arange(n) / SAMPLE_RATE
    if kind == "noise":
        y = 0.3 * np.random.default_rng(0).standard_normal(n)
    elif kind == "chirp":
        y = 0.5 * np.sin(2 * np.pi * (100 * t + 3000 * t ** 2))
    elif kind == "silence":
        y = np.zeros(n)
        y[n // 2] = 1e-3   # top_db floor: all but one frame sit at max - 80 dB
    else:
        data = corpus.embedded_source_data(2017)
        recipe = next(r for r in mixing.task_recipes(data, "target", ["glassbreak"], TARGET_SCENES,
                                                      "test", "eval", 4, 3, 3.0)
                      if r.label)
        y, _ = mixing.render(recipe, mixing.audio_loader("", 2017))
    np.testing.assert_allclose(_tf_mfcc(y), _librosa_mfcc(y), atol=1e-3, rtol=0)


def _learnable_set(n, seed, frames=FRAMES):
    """Clips whose positives carry a burst in one coefficient somewhere in time."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, frames, 20)).astype(np.float32)
    y = np.arange(n) % 2
    for i in np.flatnonzero(y):
        start = rng.integers(0, frames - 10)
        x[i, start:start + 10, 2] += 3.0
    return x, y


@pytest.fixture(scope="module")
def source_model():
    x, y = _learnable_set(32, 0)
    return training.train_stage(x, y, None, None, training.StageConfig(epochs=2, batch_size=8),
                                label="source")["model"]


@pytest.fixture(scope="module")
def exported(source_model, tmp_path_factory):
    path = str(tmp_path_factory.mktemp("model") / "Format-Serving")
    serving.export_tagger(source_model, path, CLIP_S, decision_threshold=0.5)
    return path


def test_three_signatures_agree(exported):
    loaded = tf.saved_model.load(exported)
    y = 0.2 * np.random.default_rng(3).standard_normal(features.clip_samples(CLIP_S))
    mfcc = features.mfcc(y)
    recipe = mixing.Recipe("m0", "target", "eval", 0, 0, 0, CLIP_S, "bg", "home", "home01", 0.0)
    serialized = examples.mixture_example(recipe, mfcc).SerializeToString()
    by_example = serving.call_signature(loaded, "serving_default", [serialized])
    by_mfcc = serving.call_signature(loaded, "predict_mfcc", mfcc[None])
    by_wave = serving.call_signature(loaded, "predict_waveform", y[None].astype(np.float32))
    for out in (by_example, by_mfcc, by_wave):
        assert set(out) == {"probability", "decision"}
    np.testing.assert_allclose(by_example["probability"], by_mfcc["probability"], atol=1e-4)
    np.testing.assert_allclose(by_wave["probability"], by_mfcc["probability"], atol=1e-4)
    assert by_wave["decision"][0] == int(by_wave["probability"][0] >= 0.5)
    info = serving.model_info(loaded)
    assert info["clip_samples"] == SAMPLE_RATE and info["threshold"] == 0.5
    # documented rule: longer input is cropped to the first clip_samples, shorter is zero-padded
    longer = np.concatenate([y, np.ones(5000)]).astype(np.float32)[None]
    np.testing.assert_allclose(serving.call_signature(loaded, "predict_waveform", longer)
                               ["probability"], by_wave["probability"], atol=1e-6)


def test_a_tagger_of_forty_mfccs_serves_forty_in_every_signature(exported, tmp_path):
    x, y = _learnable_set(8, 1)
    wide = np.concatenate([x, x], axis=-1)                       # 40 values per frame
    model = training.train_stage(wide, y, None, None, training.StageConfig(
        epochs=1, batch_size=4))["model"]
    assert model.input_shape[-1] == 40
    path = str(tmp_path / "Format-Serving")
    serving.export_tagger(model, path, CLIP_S)
    loaded = tf.saved_model.load(path)
    info = serving.model_info(loaded)
    assert info["n_mfcc"] == 40
    assert serving.model_info(tf.saved_model.load(exported))["n_mfcc"] == 20
    wave = 0.2 * np.random.default_rng(4).standard_normal(features.clip_samples(CLIP_S))
    mfcc = features.mfcc(wave, n_mfcc=40)
    recipe = mixing.Recipe("m0", "target", "eval", 0, 0, 0, CLIP_S, "bg", "home", "home01", 0.0)
    serialized = examples.mixture_example(recipe, mfcc).SerializeToString()
    by_mfcc = serving.call_signature(loaded, "predict_mfcc", mfcc[None])
    by_example = serving.call_signature(loaded, "serving_default", [serialized])
    by_wave = serving.call_signature(loaded, "predict_waveform", wave[None].astype(np.float32))
    np.testing.assert_allclose(by_example["probability"], by_mfcc["probability"], atol=1e-4)
    np.testing.assert_allclose(by_wave["probability"], by_mfcc["probability"], atol=1e-4)
    with pytest.raises(Exception):
        serving.call_signature(loaded, "predict_mfcc", mfcc[None, :, :20])


def test_a_target_stage_refuses_a_source_model_of_another_number_of_mfccs(tmp_path, exported):
    args = _fn_args(tmp_path, base_model=exported)              # the source reads 20 MFCCs
    args.custom_config = dict(args.custom_config, n_mfcc=40)
    with pytest.raises(tagger.TransferError, match="20 MFCCs per frame.*40"):
        trainer_target.run_fn(args)


def test_a_target_stage_refuses_a_source_model_of_another_high_pass(tmp_path, exported):
    args = _fn_args(tmp_path, base_model=exported)              # the source: the whole spectrum
    args.custom_config = dict(args.custom_config, highpass_hz=150)
    with pytest.raises(tagger.TransferError, match="high-passed at 0 Hz.*at 150 Hz"):
        trainer_target.run_fn(args)


def test_a_target_stage_with_an_onset_fusion_refuses_examples_without_a_calibration_split(
        tmp_path, exported):
    args = _fn_args(tmp_path, base_model=exported)              # train and eval splits only
    args.custom_config = dict(args.custom_config, onset_fusion=True)
    with pytest.raises(FileNotFoundError, match="no calibration split beside .*calibration_clips"):
        trainer_target.run_fn(args)
    assert not os.path.exists(args.serving_model_dir)


def test_a_target_stage_refuses_a_fusion_centroid_cap_without_the_fusion(tmp_path, exported):
    args = _fn_args(tmp_path, base_model=exported)
    args.custom_config = dict(args.custom_config, fusion_centroid_cap_khz=2.0)
    with pytest.raises(ValueError, match="fusion_centroid_cap_khz .*set onset_fusion too"):
        trainer_target.run_fn(args)
    assert not os.path.exists(args.serving_model_dir)


def test_localize_gives_one_running_probability_per_frame_ending_at_the_clip_probability(exported):
    loaded = tf.saved_model.load(exported)
    y = (0.2 * np.random.default_rng(4).standard_normal((2, features.clip_samples(CLIP_S)))
         ).astype(np.float32)
    clip = serving.call_signature(loaded, "predict_waveform", y)
    frames = serving.call_signature(loaded, "localize_waveform", y)
    assert frames["frame_probability"].shape == (2, FRAMES)
    assert frames["frame_time_s"].shape == (2, FRAMES)
    np.testing.assert_allclose(frames["frame_time_s"][0, :3], [0.0, 512 / 44100, 1024 / 44100],
                               rtol=1e-6)
    # the documented relation: the last frame's running probability is the clip probability
    np.testing.assert_allclose(frames["frame_probability"][:, -1], clip["probability"], atol=1e-5)
    np.testing.assert_array_equal(frames["decision"], clip["decision"])
    by_mfcc = serving.call_signature(loaded, "localize_mfcc", np.stack([features.mfcc(w) for w in y]))
    np.testing.assert_allclose(by_mfcc["frame_probability"], frames["frame_probability"], atol=1e-4)



def test_a_model_with_a_locator_tags_with_its_tagger_and_locates_with_its_locator(
        source_model, tmp_path):
    """export_tagger(locator=...): every probability and decision is the tagger's; the frames
    are the locator's running probability in the clips the tagger tags and 0 in the others;
    model_info says so and the locator's Keras copy is saved beside the tagger's."""
    x, y = _learnable_set(16, 9)
    tagger_network = training.train_stage(x, y, None, None, training.StageConfig(
        epochs=1, batch_size=8, seed=3, clip_mean=1), label="tagger")["model"]
    wave = (0.2 * np.random.default_rng(5).standard_normal((6, features.clip_samples(CLIP_S)))
            ).astype(np.float32)
    mfcc = np.stack([features.mfcc(w) for w in wave])
    tagged = tagger_network.predict(mfcc, verbose=0)[:, 0]
    threshold = float(np.median(tagged))                   # some clips tagged, some not
    path = str(tmp_path / "model" / "Format-Serving")
    serving.export_tagger(tagger_network, path, CLIP_S, decision_threshold=threshold,
                          locator=source_model)
    loaded = tf.saved_model.load(path)
    clip = serving.call_signature(loaded, "predict_waveform", wave)
    frames = serving.call_signature(loaded, "localize_waveform", wave)
    np.testing.assert_allclose(clip["probability"], tagged, atol=1e-4)
    np.testing.assert_allclose(frames["probability"], clip["probability"], atol=1e-6)
    np.testing.assert_array_equal(frames["decision"], clip["decision"])
    assert 0 < clip["decision"].sum() < len(wave)
    running = np.asarray(localize.frame_tagger(source_model)(mfcc))[..., 0]
    want = localize.gated_running(running, clip["probability"], threshold)
    np.testing.assert_allclose(frames["frame_probability"], want, atol=1e-4)
    assert not frames["frame_probability"][clip["decision"] == 0].any()
    assert serving.model_info(loaded)["locator"] == 1
    assert serving.model_info(tf.saved_model.load(exported_path(source_model, tmp_path)))[
        "locator"] == 0
    copy = serving.load_keras_locator(path)
    np.testing.assert_allclose(copy.predict(mfcc, verbose=0),
                               source_model.predict(mfcc, verbose=0), atol=1e-6)
    assert serving.load_keras_locator(exported_path(source_model, tmp_path)) is None


def exported_path(network, tmp_path):
    """``network`` exported without a locator under ``tmp_path``."""
    path = str(tmp_path / "plain" / "Format-Serving")
    if not os.path.exists(path):
        serving.export_tagger(network, path, CLIP_S)
    return path


def test_stages_with_a_locator_train_it_from_the_source_locator_and_score_its_events(tmp_path):
    """locator=True in both stages: the source Trainer saves a locator beside its model, the
    target Trainer warm-starts its own locator from it with the stage's method (no clip_mean),
    records it in metrics.json and scores the events with it; a source model without a
    locator is refused in one line naming it and the setting."""
    from components.tfx import trainer_source
    source_args = _fn_args(tmp_path / "source")
    source_args.custom_config = dict(source_args.custom_config, method="scratch", clip_mean=1,
                                      negative_frames=1.0, locator=True)
    trainer_source.run_fn(source_args)
    base = source_args.serving_model_dir
    source_locator = serving.load_keras_locator(base)
    assert tagger.clip_mean_of(source_locator) == 0
    assert tagger.clip_mean_of(serving.load_keras_tagger(base)) == 1
    target_args = _fn_args(tmp_path / "target", base_model=base)
    target_args.custom_config = dict(target_args.custom_config, clip_mean=1, locator=True,
                                     event_onsets="running")   # events from the locator
    trainer_target.run_fn(target_args)
    summary = json.load(open(os.path.join(os.path.dirname(target_args.serving_model_dir),
                                          "metrics.json")))
    assert summary["locator"]["config"]["clip_mean"] == 0
    assert summary["locator"]["config"]["method"] == "parallel_low"
    assert summary["locator"]["copied_layers"]
    assert "overall" in summary["events"]
    target_locator = serving.load_keras_locator(target_args.serving_model_dir)
    for name in tagger.frozen_layers("parallel_low"):
        for got, want in zip(target_locator.get_layer(name).get_weights(),
                             source_locator.get_layer(
                                 tagger.copied_layers("parallel_low")[name]).get_weights()):
            np.testing.assert_array_equal(got, want)
    plain = _fn_args(tmp_path / "plain-source")
    plain.custom_config = dict(plain.custom_config, method="scratch")
    trainer_source.run_fn(plain)
    refused = _fn_args(tmp_path / "refused", base_model=plain.serving_model_dir)
    refused.custom_config = dict(refused.custom_config, locator=True)
    with pytest.raises(tagger.TransferError) as err:
        trainer_target.run_fn(refused)
    message = str(err.value)
    assert "\n" not in message and plain.serving_model_dir in message
    assert "locator=1" in message
    assert "locator" not in configs.get_config("paper").stage_config("target", "scratch")
    assert configs.get_config("paper", locator=1).stage_config("source", "scratch")["locator"]
    quick = configs.get_config("quick")     # the default: onsets from the spectrum, no locator
    assert "locator" not in quick.stage_config("target", "parallel_low")
    assert "event_onsets" not in quick.stage_config("target", "parallel_low")
    assert configs.setting_warnings(quick) == []
    assert configs.get_config("quick", event_onsets="running").stage_config(
        "target", "parallel_low")["event_onsets"] == "running"
    with pytest.raises(configs.ConfigError, match="event_onsets='peak'"):
        configs.get_config("quick", event_onsets="peak")
    with pytest.raises(configs.ConfigError, match="locator=2"):
        configs.get_config("quick", locator=2)


def _weights(model, name):
    return [w.copy() for w in model.get_layer(name).get_weights()]


def test_pretrain_all_starts_from_exactly_the_source_weights(source_model):
    network = tagger.build_tagger("pretrain_all", seed=5)
    tagger.transfer_weights(network, source_model, "pretrain_all")
    for name in ("normalize", "lstm_1", "lstm_2", "output"):
        for got, want in zip(_weights(network, name), _weights(source_model, name)):
            assert np.array_equal(got, want), name


@pytest.fixture(scope="module")
def mfcc_scaled_source():
    x, y = _learnable_set(16, 2)
    x = x * 40.0 + 120.0
    return x, training.train_stage(x, y, None, None, training.StageConfig(epochs=1, batch_size=8),
                                   label="source")["model"]


@pytest.mark.parametrize("method, copied_low", [
    ("pretrain_fix_low", "lstm_1"), ("parallel_low", "lstm_1_source")])
def test_copied_low_level_computes_what_it_computed_in_the_source(method, copied_low, tmp_path,
                                                                  mfcc_scaled_source):
    # MFCC-like scale (far from standard normal), so a standardisation that is stored but not
    # used (Keras' Normalization after set_weights) would show.
    x, source = mfcc_scaled_source
    network = tagger.build_tagger(method, seed=3)
    tagger.transfer_weights(network, source, method)

    def output_of(model, name):
        return np.asarray(keras.Model(model.input, model.get_layer(name).output)(x[:4]))
    np.testing.assert_allclose(output_of(network, "normalize"), output_of(source, "normalize"),
                               atol=1e-5)
    np.testing.assert_allclose(output_of(network, copied_low), output_of(source, "lstm_1"),
                               atol=1e-5)
    if method != "parallel_low":
        return
    # the Keras copy a later stage loads computes what the trained network computes
    path = str(tmp_path / "Format-Serving")
    serving.export_tagger(network, path, CLIP_S)
    reloaded = serving.load_keras_tagger(path)
    np.testing.assert_allclose(np.asarray(reloaded(x[:4])), np.asarray(network(x[:4])), atol=1e-5)


@pytest.mark.parametrize("method, frozen, trainable", [
    ("pretrain_fix_low", "lstm_1", ["lstm_2", "output"]),
    ("parallel_low", "lstm_1_source", ["lstm_1", "lstm_2", "output"]),
])
def test_frozen_layer_stays_bit_identical_while_the_rest_trains(source_model, method, frozen,
                                                                 trainable):
    x, y = _learnable_set(16, 1)
    keras.utils.set_random_seed(0)
    network = tagger.build_tagger(method, seed=1)
    tagger.transfer_weights(network, source_model, method)
    before = {n: _weights(network, n) for n in [frozen] + trainable}
    assert all(np.array_equal(a, b) for a, b in zip(before[frozen], _weights(source_model, "lstm_1")))
    tagger.compile_tagger(network)
    network.fit(x, y.astype(np.float32), epochs=2, batch_size=8, verbose=0)
    for got, want in zip(_weights(network, frozen), before[frozen]):
        assert np.array_equal(got, want)
    for name in trainable:
        assert any(not np.array_equal(a, b) for a, b in zip(_weights(network, name), before[name])), name


def test_parallel_low_has_two_first_layer_lstms_feeding_the_second():
    network = tagger.build_tagger("parallel_low")
    concat = network.get_layer("concat")
    feeding = sorted(node.operation.name for tensor in concat.input
                     for node in [tensor._keras_history.operation._inbound_nodes[0]])
    assert feeding == ["lstm_1", "lstm_1_source"]
    assert network.get_layer("lstm_2").input.shape[-1] == 200
    assert isinstance(network.get_layer("lstm_1_source"), keras.layers.LSTM)


def test_lstm_configuration_is_cudnn_eligible():
    for layer in tagger.build_tagger("parallel_low").layers:
        if isinstance(layer, keras.layers.LSTM):
            assert (layer.activation.__name__, layer.recurrent_activation.__name__) == ("tanh", "sigmoid")
            assert layer.cell.recurrent_dropout == 0 and not layer.unroll and layer.use_bias
            assert layer.cell.dropout == pytest.approx(0.1)


def test_training_lowers_loss_and_beats_chance_on_held_out_data():
    x, y = _learnable_set(48, 2, frames=40)
    x_test, y_test = _learnable_set(40, 3, frames=40)
    result = training.train_stage(x, y, x_test, y_test,
                                  training.StageConfig(epochs=15, batch_size=8, seed=0))
    assert result["history"]["loss"][-1] < result["history"]["loss"][0]
    assert result["metrics"]["eval"]["accuracy"] >= 0.75


def test_a_stage_depends_on_its_seed_alone_not_on_what_trained_before_it():
    x, y = _learnable_set(24, 2, frames=40)
    config = training.StageConfig(epochs=2, batch_size=8, seed=5)

    def trained_scores():
        return training.train_stage(x, y, None, None, config)["model"].predict(x, verbose=0)
    first = trained_scores()
    training.train_stage(x, y, None, None, training.StageConfig(epochs=1, batch_size=8, seed=9))
    np.testing.assert_array_equal(trained_scores(), first)


def test_warmup_and_weight_decay_are_off_by_default_and_act_when_set():
    schedule = tagger.LinearWarmup(0.001, 4)
    assert [float(schedule(step)) for step in range(6)] == pytest.approx(
        [0.00025, 0.0005, 0.00075, 0.001, 0.001, 0.001])
    assert training.StageConfig().warmup_epochs == 0
    assert "warmup_epochs" not in configs.get_config("quick").stage_config("target", "scratch")
    x, y = _learnable_set(16, 2, frames=40)
    config = training.StageConfig(epochs=2, batch_size=8, seed=5, warmup_epochs=1)
    model = training.train_stage(x, y, None, None, config)["model"]
    rate = model.optimizer.learning_rate           # after 2 epochs of 2 steps: past the ramp
    assert float(rate) == pytest.approx(0.001)
    assert isinstance(model.optimizer._learning_rate, tagger.LinearWarmup)
    assert model.optimizer.weight_decay is None                  # off unless asked for
    decayed = training.train_stage(x, y, None, None, training.StageConfig(
        epochs=1, batch_size=8, seed=5, weight_decay=0.01))["model"]
    assert decayed.optimizer.weight_decay == pytest.approx(0.01)
    assert "weight_decay" not in configs.get_config("quick").stage_config("target", "scratch")


def _fn_args(tmp_path, base_model=None):
    examples_dir = tmp_path / "examples"
    if not examples_dir.exists():
        x, y = _learnable_set(4, 4)
        recipe = mixing.Recipe("m", "target", "train", 0, 0, 0, CLIP_S, "bg", "home", "h", 0.0)
        for split in ("train", "eval"):
            (examples_dir / f"Split-{split}").mkdir(parents=True)
            with tf.io.TFRecordWriter(str(examples_dir / f"Split-{split}" / "d.gz"),
                                      tf.io.TFRecordOptions(compression_type="GZIP")) as writer:
                for xi, yi in zip(x, y):
                    recipe.label = int(yi)
                    recipe.ebr_db, recipe.event_onset_s, recipe.event_duration_s = 0.0, 0.1, 0.2
                    recipe.event_author = "a"
                    writer.write(examples.mixture_example(recipe, xi).SerializeToString())
    schema_path = tmp_path / "schema.pbtxt"
    schema_path.write_text(schema.schema_text(FRAMES, CLIP_S))
    config = {"method": "parallel_low", "epochs": 1, "batch_size": 4, "clip_duration_s": CLIP_S}
    return FnArgs(train_files=[str(examples_dir / "Split-train" / "*")],
                  eval_files=[str(examples_dir / "Split-eval" / "*")],
                  serving_model_dir=str(tmp_path / "model" / "Format-Serving"),
                  model_run_dir=str(tmp_path / "run"), base_model=base_model,
                  custom_config=config, schema_path=str(schema_path),
                  data_accessor=trainer_stage.local_data_accessor())


def test_streamed_batches_are_the_examples_read_straight_from_the_tfrecords(tmp_path):
    args = _fn_args(tmp_path)
    x, y, _ = examples.load_examples(args.train_files, FRAMES)
    config = training.StageConfig(batch_size=3, seed=5)
    in_order = list(trainer_stage.stream_batches(args, args.train_files, FRAMES, 0, config,
                                                 shuffle=False))
    assert [len(b[1]) for b in in_order] == [3, 1]
    np.testing.assert_array_equal(np.concatenate([b[0] for b in in_order]), x)
    np.testing.assert_array_equal(np.concatenate([b[1] for b in in_order]), y)
    shuffled = trainer_stage.stream_batches(args, args.train_files, FRAMES, 0, config,
                                            shuffle=True)
    first, second = ([np.concatenate([b[0] for b in shuffled])] for _ in range(2))
    order = [int(np.argmin(np.abs(x - clip).sum(axis=(1, 2)))) for clip in first[0]]
    assert sorted(order) == list(range(len(y)))            # every example once per pass
    assert order != list(range(len(y)))                     # in another order
    assert not np.array_equal(first[0], second[0])          # reshuffled each pass


def test_target_trainer_without_base_model_names_the_method(tmp_path):
    with pytest.raises(tagger.TransferError, match="parallel_low.*base"):
        trainer_target.run_fn(_fn_args(tmp_path))


def test_target_trainer_with_mismatched_base_model_names_the_missing_layer(tmp_path):
    inputs = keras.Input((None, 20), name="mfcc")
    normalized = keras.layers.Normalization(name="normalize")(inputs)
    outputs = keras.layers.Dense(1, name="output")(keras.layers.GRU(8, name="gru_1")(normalized))
    other = keras.Model(inputs, outputs)
    other.get_layer("normalize").adapt(np.zeros((2, 5, 20), np.float32) + 1)
    base_dir = str(tmp_path / "base" / "Format-Serving")
    os.makedirs(os.path.dirname(serving.keras_model_path(base_dir)))
    other.save(serving.keras_model_path(base_dir))   # the Keras copy is what a Trainer reads
    with pytest.raises(tagger.TransferError) as err:
        trainer_target.run_fn(_fn_args(tmp_path, base_model=base_dir))
    assert "parallel_low" in str(err.value) and "'lstm_1'" in str(err.value)


def test_target_trainer_writes_model_metrics_and_tensorboard_logs(tmp_path, exported):
    args = _fn_args(tmp_path, base_model=exported)
    trainer_target.run_fn(args)
    assert tf.saved_model.load(args.serving_model_dir).signatures["predict_waveform"]
    root = os.path.dirname(args.serving_model_dir)
    assert os.path.exists(os.path.join(root, "metrics.json"))
    assert os.path.exists(os.path.join(args.model_run_dir, "learning_curves.png"))
    assert any("events.out.tfevents" in f for _, _, fs in os.walk(args.model_run_dir) for f in fs)


def test_target_trainer_refuses_a_source_model_that_did_not_learn_its_task(tmp_path, exported):
    """min_source_auc: a source model whose recorded eval AUC (its Trainer's metrics.json) is
    below the floor is refused with one line naming the model, its AUC and the setting; at or
    above the floor it is used."""
    import shutil
    shutil.copytree(os.path.dirname(exported), str(tmp_path / "source"))   # + its Keras copy
    base = str(tmp_path / "source" / "Format-Serving")
    with open(str(tmp_path / "source" / "metrics.json"), "w") as handle:
        json.dump({"stage": "source", "metrics": {"eval": {"auc": 0.512, "accuracy": 0.5}}},
                  handle)
    assert trainer_stage.source_model_auc(base) == 0.512
    args = _fn_args(tmp_path, base_model=base)
    args.custom_config["min_source_auc"] = 0.75
    with pytest.raises(tagger.TransferError) as err:
        trainer_target.run_fn(args)
    message = str(err.value)
    assert "\n" not in message and base in message and "0.512" in message
    assert "min_source_auc=0.75" in message
    assert not os.path.exists(args.serving_model_dir)            # nothing trained or exported
    args.custom_config["min_source_auc"] = 0.5
    trainer_target.run_fn(args)
    assert tf.saved_model.load(args.serving_model_dir).signatures["predict_waveform"]


def test_source_gate_judges_a_multi_class_source_by_its_best_class():
    """A multi-class source whose pooled AUC is low but one class is learned passes the gate; one
    at chance on every class is refused (its best class's AUC is what the gate reads)."""
    assert training.gate_auc({"auc": 0.74, "class_auc": {"a": 0.79, "b": 0.6}}) == 0.79
    assert training.gate_auc({"auc": 0.74, "class_auc": {"a": 0.52, "b": None}}) == 0.52
    assert training.gate_auc({"auc": 0.74, "class_auc": {"a": float("nan")}}) == 0.74
    assert training.gate_auc({"auc": 0.512}) == 0.512
    assert training.gate_auc({}) is None


def test_clip_mean_ignores_a_steady_offset_and_transfer_refuses_a_mismatch():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((8, 30, 20)).astype(np.float32)
    y = np.arange(8) % 2
    result = training.train_stage(x, y, None, None, training.StageConfig(
        epochs=1, batch_size=4, clip_mean=True))
    model = result["model"]
    assert tagger.clip_mean_of(model) == 1
    offset = x + rng.standard_normal((1, 1, 20)).astype(np.float32) * 5.0   # a channel colour
    np.testing.assert_allclose(model.predict(x, verbose=0), model.predict(offset, verbose=0),
                               atol=1e-5)
    with pytest.raises(tagger.TransferError, match="clip_mean=1, this stage has clip_mean=0"):
        training.train_stage(x, y, None, None, training.StageConfig(
            method="parallel_low", epochs=1, batch_size=4), model)
    with pytest.raises(tagger.TransferError, match="clip_mean=1, this stage has clip_mean=2"):
        training.train_stage(x, y, None, None, training.StageConfig(
            method="parallel_low", epochs=1, batch_size=4, clip_mean=2), model)


def test_an_onset_channel_is_the_event_rules_onset_strength_and_travels_with_the_model(
        tmp_path):
    """onset_channel: every frame gets log(1 + the onset strength the 'strength' event rule
    reads), computed in the graph; the low level reads one more value; the model saves, loads
    and exports with it; transfer between models with and without it is refused."""
    rng = np.random.default_rng(6)
    clips = [rng.standard_normal(features.clip_samples(CLIP_S)) * (0.01 + (i % 2))
             for i in range(6)]
    x = np.stack([features.mfcc(c.astype(np.float32)) for c in clips])
    y = np.arange(6) % 2
    model = training.train_stage(x, y, None, None, training.StageConfig(
        epochs=1, batch_size=3, clip_mean=1, onset_channel=True))["model"]
    assert tagger.onset_channel_of(model)
    channel = keras.Model(model.input, model.get_layer("onset_strength").output)
    np.testing.assert_allclose(channel.predict(x, verbose=0)[..., 0],
                               np.log1p(features.onset_strength(x)), rtol=1e-4, atol=1e-3)
    assert model.get_layer("lstm_1").get_weights()[0].shape[0] == 21
    path = str(tmp_path / "onset.keras")
    model.save(path)
    np.testing.assert_allclose(keras.models.load_model(path).predict(x, verbose=0),
                               model.predict(x, verbose=0), atol=1e-6)
    served = str(tmp_path / "Format-Serving")
    serving.export_tagger(model, served, CLIP_S, decision_threshold=0.5, classes=("glassbreak",))
    np.testing.assert_allclose(serving.call_signature(tf.saved_model.load(served), "predict_mfcc",
                                                      x)["probability"],
                               model.predict(x, verbose=0)[:, 0], atol=1e-5)
    with pytest.raises(tagger.TransferError, match="onset_channel=1, this stage has "
                                                   "onset_channel=0"):
        training.train_stage(x, y, None, None, training.StageConfig(
            method="parallel_low", epochs=1, batch_size=3, clip_mean=1), model)
    config = configs.get_config("quick", onset_channel=1)
    assert config.stage_config("source", "scratch")["onset_channel"] is True
    assert "onset_channel" not in configs.get_config("quick").stage_config("source", "scratch")
    with pytest.raises(configs.ConfigError, match="onset_channel=2"):
        configs.get_config("quick", onset_channel=2)


def test_a_running_clip_mean_ignores_a_steady_offset_and_keeps_every_frame_causal(tmp_path):
    """clip_mean=2: each frame minus the mean of the frames so far. A channel colour vanishes as
    with the whole-clip mean, but a frame's running probability no longer depends on later
    frames (the whole-clip mean carries an event into the frames before it)."""
    rng = np.random.default_rng(4)
    x = rng.standard_normal((8, 30, 20)).astype(np.float32)
    model = training.train_stage(x, np.arange(8) % 2, None, None, training.StageConfig(
        epochs=1, batch_size=4, clip_mean=2))["model"]
    assert tagger.clip_mean_of(model) == 2
    offset = x + rng.standard_normal((1, 1, 20)).astype(np.float32) * 5.0
    np.testing.assert_allclose(model.predict(x, verbose=0), model.predict(offset, verbose=0),
                               atol=1e-5)
    every_frame = localize.frame_tagger(model)
    later_event = x.copy()
    later_event[:, 20:] += 4.0                  # something happens from frame 20 on
    before, after = np.asarray(every_frame(x)), np.asarray(every_frame(later_event))
    np.testing.assert_array_equal(before[:, :20], after[:, :20])
    assert np.abs(before[:, 20:] - after[:, 20:]).max() > 1e-3
    np.testing.assert_allclose(before[:, -1], model.predict(x, verbose=0), atol=1e-6)
    whole_clip = training.train_stage(x, np.arange(8) % 2, None, None, training.StageConfig(
        epochs=1, batch_size=4, clip_mean=1))["model"]
    frames = localize.frame_tagger(whole_clip)     # the whole-clip mean is not causal
    assert np.abs(np.asarray(frames(x))[:, :20] - np.asarray(frames(later_event))[:, :20]).max() > 1e-4
    path = str(tmp_path / "Format-Serving")          # served with its layer, signatures and all
    serving.export_tagger(model, path, CLIP_S)
    assert tagger.clip_mean_of(serving.load_keras_tagger(path)) == 2
    loaded = tf.saved_model.load(path)
    wave = np.random.default_rng(5).uniform(-0.3, 0.3, (2, features.clip_samples(CLIP_S)))
    clip = serving.call_signature(loaded, "predict_waveform", wave.astype(np.float32))
    running = serving.call_signature(loaded, "localize_waveform", wave.astype(np.float32))
    np.testing.assert_allclose(running["frame_probability"][:, -1], clip["probability"], atol=1e-6)


def test_negative_frames_keeps_the_running_probability_of_background_low_before_an_event(
        tmp_path):
    """negative_frames=1 also trains every step of clips without an event towards 0. On clips
    whose event (8 frames at a random onset) follows background, the running probability before
    the onset and in clips without an event stays under 0.03 with it; with the paper's loss (last
    step only) it is several times higher. The kept network is the plain tagger: its output is
    the last frame's."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((64, 60, 20)).astype(np.float32)
    y = (np.arange(64) % 2).astype(np.float32)
    onsets = rng.integers(10, 45, 64)
    for i in np.flatnonzero(y):
        x[i, onsets[i]:onsets[i] + 8] += 2.5
    before_onset, quiet_clips = {}, {}
    for weight in (0.0, 1.0):
        result = training.train_stage(x, y, x, y, training.StageConfig(
            epochs=25, batch_size=16, validation_freq=0, negative_frames=weight))
        running = np.asarray(localize.frame_tagger(result["model"])(x))[..., 0]
        before_onset[weight] = np.mean([running[i, 3:onsets[i]].mean() for i in np.flatnonzero(y)])
        quiet_clips[weight] = running[y == 0].mean()
        assert result["metrics"]["train"]["accuracy"] == 1.0
        np.testing.assert_allclose(running[:, -1], result["model"].predict(x, verbose=0)[:, 0],
                                   atol=1e-5)
    assert before_onset[1.0] < 0.03 < 0.1 < before_onset[0.0]
    assert quiet_clips[1.0] < 0.03 < 0.05 < quiet_clips[0.0]
    model = result["model"]
    assert [l.name for l in model.layers if l.name in ("last_step", "negative_frames")] == [
        "last_step"]
    path = str(tmp_path / "Format-Serving")
    serving.export_tagger(model, path, CLIP_S)
    loaded = tf.saved_model.load(path)
    wave = np.random.default_rng(8).uniform(-0.3, 0.3, (2, features.clip_samples(CLIP_S)))
    clip = serving.call_signature(loaded, "predict_waveform", wave.astype(np.float32))
    running = serving.call_signature(loaded, "localize_waveform", wave.astype(np.float32))
    np.testing.assert_allclose(running["frame_probability"][:, -1], clip["probability"], atol=1e-6)
    assert "negative_frames" not in configs.get_config("paper").stage_config("target", "scratch")
    assert configs.get_config("quick", negative_frames=1.0).stage_config(
        "source", "scratch")["negative_frames"] == 1.0
    with pytest.raises(configs.ConfigError, match="negative_frames=-1.0"):
        configs.get_config("quick", negative_frames=-1.0)


def test_standardize_is_off_by_default_as_in_the_paper_and_adapts_when_on(mfcc_scaled_source):
    x, default = mfcc_scaled_source            # trained with the default StageConfig
    model = training.train_stage(x[:8], np.arange(8) % 2, None, None, training.StageConfig(
        epochs=1, batch_size=8, standardize=True), label="s")["model"]
    normalize = {standardize: np.asarray(keras.Model(m.input, m.get_layer("normalize").output)(x[:2]))
                 for standardize, m in ((False, default), (True, model))}
    np.testing.assert_allclose(normalize[False], x[:2], atol=1e-4)    # MFCCs as they are
    assert abs(float(normalize[True].mean())) < 0.5 and 0.5 < float(normalize[True].std()) < 2


def _assert_frozen_copies_of_source(model, source, method, front_end):
    """Every layer ``method`` freezes is frozen and holds the source layer's weights."""
    for frozen in tagger.frozen_layers(method, front_end):
        assert not model.get_layer(frozen).trainable
        source_name = tagger.copied_layers(method, front_end)[frozen]
        for got, want in zip(model.get_layer(frozen).get_weights(),
                             source.get_layer(source_name).get_weights()):
            np.testing.assert_array_equal(got, want)


def test_conv_nobn_front_end_has_no_normalisation_and_transfers_its_low_level():
    """conv_nobn: the conv front end's convolutions (with bias and ReLU) without batch
    normalisation; every method copies and freezes [conv_1, conv_2, lstm_1]; a conv (batch
    normalised) source is refused with both front ends named."""
    source = tagger.build_tagger("scratch", 1, FRAMES, front_end="conv_nobn")
    assert tagger.front_end_of(source) == "conv_nobn"
    assert not any(isinstance(l, keras.layers.BatchNormalization) for l in source.layers)
    assert tagger.time_reduction("conv_nobn") == tagger.time_reduction("conv") == 16
    assert source.get_layer("conv_1").use_bias and source.get_layer("conv_1").activation.__name__ == "relu"
    assert source.predict(np.zeros((1, FRAMES, 20), np.float32), verbose=0).shape == (1, 1)
    for method in tagger.METHODS:
        target = tagger.build_tagger(method, 2, FRAMES, front_end="conv_nobn")
        copied = tagger.transfer_weights(target, source, method)
        assert sorted(copied) == sorted(tagger.copied_layers(method, "conv_nobn"))
        _assert_frozen_copies_of_source(target, source, method, "conv_nobn")
    assert tagger.frozen_layers("parallel_low", "conv_nobn") == (
        "conv_1_source", "conv_2_source", "lstm_1_source")
    with pytest.raises(tagger.TransferError, match="front_end='conv'.*front_end='conv_nobn'"):
        tagger.transfer_weights(tagger.build_tagger("parallel_low", 3, FRAMES, front_end="conv_nobn"),
                                tagger.build_tagger("scratch", 1, FRAMES, front_end="conv"),
                                "parallel_low")


def test_conv_front_end_trains_every_method_exports_every_signature_and_warm_starts(tmp_path):
    x, y = _learnable_set(8, 6)
    source = training.train_stage(x, y, None, None, training.StageConfig(
        epochs=1, batch_size=4, front_end="conv"))["model"]
    low = ["conv_1", "bn_1", "conv_2", "bn_2", "lstm_1"]
    expected_copies = {"scratch": [], "pretrain_all": ["normalize"] + low + ["lstm_2", "output"],
                       "pretrain_fix_low": ["normalize"] + low,
                       "parallel_low": ["normalize"] + [f"{n}_source" for n in low]}
    wave = np.random.default_rng(0).uniform(-0.3, 0.3, (2, features.clip_samples(CLIP_S)))
    for method, copies in expected_copies.items():
        result = training.train_stage(x, y, None, None, training.StageConfig(
            method=method, epochs=1, batch_size=4, front_end="conv"), source)
        model = result["model"]
        assert tagger.front_end_of(model) == "conv"
        assert sorted(result["copied_layers"]) == sorted(copies)
        _assert_frozen_copies_of_source(model, source, method, "conv")
        path = str(tmp_path / method / "Format-Serving")
        serving.export_tagger(model, path, CLIP_S)
        loaded = tf.saved_model.load(path)
        assert set(loaded.signatures) == {"serving_default", "predict_mfcc", "predict_waveform",
                                          "localize_waveform", "localize_mfcc", "model_info"}
        clip = serving.call_signature(loaded, "predict_waveform", wave.astype(np.float32))
        frames = serving.call_signature(loaded, "localize_waveform", wave.astype(np.float32))
        assert frames["frame_probability"].shape == (2, FRAMES)
        # the running probability's last frame is the clip probability (pooled steps repeated)
        np.testing.assert_allclose(frames["frame_probability"][:, -1], clip["probability"],
                                   atol=1e-6)
        assert serving.load_keras_tagger(path).count_params() == model.count_params()
    with pytest.raises(tagger.TransferError, match="front_end='conv'.*front_end='lstm'"):
        training.train_stage(x, y, None, None, training.StageConfig(
            method="parallel_low", epochs=1, batch_size=4, front_end="lstm"), source)


def test_an_average_of_trainings_serves_the_mean_of_its_networks_everywhere(tmp_path):
    x, y = _learnable_set(12, 3)
    result = training.train_stage(x, y, x, y, training.StageConfig(
        epochs=1, batch_size=4, seed=5, ensemble=3, validation_freq=0))
    model = result["model"]
    members = tagger.members_of(model)
    assert len(members) == 3 and [m["seed"] for m in result["members"]] == [5, 1005, 2005]
    single = training.train_stage(x, y, None, None, training.StageConfig(
        epochs=1, batch_size=4, seed=5))["model"]
    np.testing.assert_allclose(members[0](x).numpy(), single(x).numpy(), atol=1e-6)
    mean = np.mean([m(x).numpy() for m in members], axis=0)
    np.testing.assert_allclose(model(x).numpy(), mean, atol=1e-6)
    assert result["metrics"]["eval"]["examples"] == 12
    path = str(tmp_path / "Format-Serving")
    serving.export_tagger(model, path, CLIP_S)
    loaded = tf.saved_model.load(path)
    assert serving.model_info(loaded)["networks"] == 3
    by_mfcc = serving.call_signature(loaded, "predict_mfcc", x)
    np.testing.assert_allclose(by_mfcc["probability"], mean[:, 0], atol=1e-5)
    frames = serving.call_signature(loaded, "localize_mfcc", x)["frame_probability"]
    np.testing.assert_allclose(frames[:, -1], by_mfcc["probability"], atol=1e-5)
    reloaded = serving.load_keras_tagger(path)
    np.testing.assert_allclose(reloaded(x).numpy(), mean, atol=1e-6)
    assert tagger.n_outputs(reloaded) == 1 and tagger.front_end_of(reloaded) == "lstm"


def test_only_the_target_stage_averages_trainings():
    config = configs.get_config("quick", target_ensemble=4)
    assert config.stage_config("target", "parallel_low")["ensemble"] == 4
    assert "ensemble" not in config.stage_config("source", "scratch")
    # the default leaves the Trainers' custom_config (their cache key) as it was
    assert "ensemble" not in configs.get_config("quick").stage_config("target", "parallel_low")
