"""Data stage: corpus splits, reference mixing, determinism, MFCC, DCASE reader, bad input."""
import glob
import os
import warnings

import librosa
import numpy as np
import pytest
import soundfile
import yaml

from components.audio import corpus, datasets, dcase, examples, features, mixing, onset
from components.tfx import beam_mixtures, schema
from components.audio.audio_io import SAMPLE_RATE, AudioDataError
from components.audio.records import SOURCE_SCENES, TARGET_SCENES, BackgroundRecord, EventRecord
from pipeline import configs
from tests.conftest import write_wav

CORPUS_SEED = 2017


@pytest.fixture(scope="module")
def embedded():
    return corpus.embedded_source_data(CORPUS_SEED)


@pytest.fixture(scope="module")
def loader():
    return mixing.audio_loader("", CORPUS_SEED)


def test_splits_are_disjoint_by_location_author_and_scene(embedded):
    train_locations = {b.location for b in embedded.backgrounds["train"]}
    test_locations = {b.location for b in embedded.backgrounds["test"]}
    assert train_locations and test_locations and not train_locations & test_locations
    train_authors = {e.author for e in embedded.events["train"]}
    test_authors = {e.author for e in embedded.events["test"]}
    assert train_authors and test_authors and not train_authors & test_authors
    assert not set(SOURCE_SCENES) & set(TARGET_SCENES)
    source_scenes, _ = datasets.task_scenes("source", embedded, embedded)
    target_scenes, _ = datasets.task_scenes("target", embedded, embedded)
    assert (set(source_scenes), set(target_scenes)) == (set(SOURCE_SCENES), set(TARGET_SCENES))
    for subset in ("train", "test"):
        assert {b.scene for b in embedded.backgrounds_in(subset, source_scenes)} == set(SOURCE_SCENES)
        assert {b.scene for b in embedded.backgrounds_in(subset, target_scenes)} == set(TARGET_SCENES)
    recipes = datasets.split_recipes(embedded, "target", 40, 40, 1, 2, 3.0)
    assert not ({r.bg_location for r in recipes["train"]} & {r.bg_location for r in recipes["eval"]})
    assert not ({r.event_author for r in recipes["train"] if r.label}
                & {r.event_author for r in recipes["eval"] if r.label})


def test_event_counts_and_lengths_follow_the_paper(embedded):
    for task, cls, n_train, n_test, mean in (("source", "babycry", 106, 42, 2.25),
                                             ("target", "glassbreak", 96, 43, 1.16)):
        train, test = embedded.events_of("train", cls), embedded.events_of("test", cls)
        assert (len(train), len(test)) == (n_train, n_test)
        lengths = [e.length_s for e in train + test]
        assert abs(np.mean(lengths) - mean) < 0.25


def test_presence_is_exactly_balanced(embedded):
    for n in (2, 36, 100):
        recipes = mixing.task_recipes(embedded, "source", ["babycry"], SOURCE_SCENES, "train",
                                      "train", n, 5, 30.0)
        assert sum(r.label for r in recipes) == n // 2
        assert {r.ebr_db for r in recipes if r.label} <= {-6.0, 0.0, 6.0}


def _background_segment(recipe, load):
    start = int(round(recipe.bg_offset_s * SAMPLE_RATE))
    return load(recipe.bg_uri)[start:start + int(round(recipe.duration_s * SAMPLE_RATE))]


def test_positive_mixtures_reach_their_ebr_and_negatives_are_scaled_backgrounds(embedded, loader):
    recipes = mixing.task_recipes(embedded, "target", ["glassbreak"], TARGET_SCENES, "train", "train",
                                  12, 3, 4.0)
    for recipe in recipes:
        mixture, final = mixing.render(recipe, loader)
        bg = _background_segment(recipe, loader)
        if not recipe.label:
            assert np.array_equal(mixture, 0.2 * bg)
            continue
        onset = int(recipe.event_onset_s * SAMPLE_RATE)
        length = int(round(recipe.event_duration_s * SAMPLE_RATE))
        outside = np.ones(len(bg), bool)
        outside[onset:onset + length] = False
        gain = np.dot(mixture[outside], bg[outside]) / np.dot(bg[outside], bg[outside])
        added = mixture[onset:onset + length] / gain - bg[onset:onset + length]
        measured = 20 * np.log10(mixing.rms(added) / mixing.rms(bg[onset:onset + length]))
        assert abs(measured - recipe.ebr_db) < 0.01, recipe.mixture_id
        assert final.scale > 0


def test_mixing_peak_normalises_only_when_clipping():
    bg = np.linspace(-7.0, 7.0, 1000)          # 0.2 x 7 = 1.4 would clip
    clipped = mixing.mix(bg, None, 0, 0.0)
    assert np.isclose(np.max(np.abs(clipped)), 1.0)
    np.testing.assert_allclose(clipped, bg / 7.0)
    quiet = mixing.mix(np.full(1000, 0.5), None, 0, 0.0)
    assert np.array_equal(quiet, np.full(1000, 0.1))


def test_recipe_recreates_the_same_mixture(embedded, loader):
    recipe = next(r for r in mixing.task_recipes(embedded, "source", ["babycry"], SOURCE_SCENES,
                                                  "test", "eval", 6, 9, 3.0)
                  if r.label)
    first, final = mixing.render(recipe, loader)
    again, _ = mixing.render(mixing.Recipe.from_json(final.to_json()), loader)
    assert np.array_equal(first, again)


def _run_job(embedded, out, seed):
    recipes = datasets.split_recipes(embedded, "target", 6, 4, seed, 77, 1.0)
    beam_mixtures.run_mixture_job(recipes, str(out), embedded.data_root, CORPUS_SEED, 2, [])
    return sorted(glob.glob(os.path.join(str(out), "**", "*.*"), recursive=True))


def test_the_job_writes_as_many_mfccs_as_asked_and_the_first_twenty_are_the_papers(embedded,
                                                                                 tmp_path):
    recipes = datasets.split_recipes(embedded, "target", 4, 2, 3, 77, 1.0)
    for folder, n_mfcc in (("a", 20), ("b", 40)):
        beam_mixtures.run_mixture_job(recipes, str(tmp_path / folder), embedded.data_root,
                                      CORPUS_SEED, 1, [], n_mfcc=n_mfcc)
    frames = features.n_frames(SAMPLE_RATE)
    paper, _, _ = examples.load_split(str(tmp_path / "a"), "train", frames)
    wide, _, _ = examples.load_split(str(tmp_path / "b"), "train", frames, n_mfcc=40)
    assert paper.shape == (4, frames, 20) and wide.shape == (4, frames, 40)
    np.testing.assert_array_equal(wide[..., :20], paper)     # the DCT is truncated, nothing else
    with pytest.raises(ValueError, match=f"expected {frames} x 20"):
        examples.load_split(str(tmp_path / "b"), "train", frames)
    text = schema.schema_text(frames, 1.0, n_mfcc=40)
    assert f"value_count {{ min: {frames * 40} max: {frames * 40} }}" in text
    assert "n_mfcc=40" in text and schema.schema_text(frames, 1.0, 20) == schema.schema_text(
        frames, 1.0)


def test_same_seed_gives_byte_identical_tfrecords_and_recipes(embedded, tmp_path):
    first = _run_job(embedded, tmp_path / "a", seed=11)
    second = _run_job(embedded, tmp_path / "b", seed=11)
    other = _run_job(embedded, tmp_path / "c", seed=12)
    names = [os.path.relpath(p, tmp_path / "a") for p in first]
    assert names == [os.path.relpath(p, tmp_path / "b") for p in second]
    assert any(n.endswith(".gz") for n in names) and any(n.endswith(".jsonl") for n in names)
    for a, b in zip(first, second):
        assert open(a, "rb").read() == open(b, "rb").read(), a
    assert sorted(os.listdir(tmp_path / "a")) == ["Split-eval", "Split-train", "recipes"]
    train_a = [p for p in first if "Split-train" in p]
    train_c = [p for p in other if "Split-train" in p]
    assert [open(p, "rb").read() for p in train_a] != [open(p, "rb").read() for p in train_c]
    x, y, meta = examples.load_split(str(tmp_path / "a"), "train", features.n_frames(SAMPLE_RATE))
    assert x.shape == (6, 87, 20) and y.sum() == 3
    assert all(m["ebr_db"] in (-6.0, 0.0, 6.0) for m, label in zip(meta, y) if label)


def test_synthesize_command_writes_24_bit_wavs_equal_to_the_mixtures(embedded, loader, tmp_path):
    from pipeline import __main__ as cli
    out = tmp_path / "syn"
    assert cli.main(["synthesize", "--task", "target", "--output", str(out), "--train-clips", "2",
                     "--eval-clips", "2", "--clip-duration-s", "1", "--write-wav"]) == 0
    recipes = [mixing.Recipe.from_json(line) for line in
               (out / "recipes" / "train-00000.jsonl").read_text().splitlines()]
    recipes += [mixing.Recipe.from_json(line) for line in
                (out / "recipes" / "train-00001.jsonl").read_text().splitlines()]
    assert len(recipes) == 2
    for recipe in recipes:
        info = soundfile.info(str(out / "audio-train" / f"{recipe.mixture_id}.wav"))
        assert (info.subtype, info.samplerate, info.channels) == ("PCM_24", 44100, 1)
        written, _ = soundfile.read(str(out / "audio-train" / f"{recipe.mixture_id}.wav"))
        expected, _ = mixing.render(recipe, loader)
        assert np.max(np.abs(written - expected)) < 2 ** -22


def test_30_second_clip_gives_2584_by_20_mfcc_equal_to_librosa():
    y = np.random.default_rng(1).uniform(-0.5, 0.5, 30 * SAMPLE_RATE).astype(np.float32)
    reference = librosa.feature.mfcc(y=y, sr=44100, n_mfcc=20, n_fft=2048, hop_length=512).T
    np.testing.assert_array_equal(features.mfcc_librosa(y), reference)
    ours = features.mfcc(y)
    assert ours.shape == (2584, 20) and ours.dtype == np.float32
    np.testing.assert_allclose(ours, reference, atol=1e-4, rtol=0)


@pytest.mark.parametrize("kind", ["noise", "chirp", "impulse", "zeros", "shorter_than_a_frame",
                                  "mixture"])
def test_data_job_mfcc_equals_librosa(kind):
    """The float32 MFCC of the data job is librosa's to 1e-3 on every kind of input."""
    rng = np.random.default_rng(2)
    n = 3 * SAMPLE_RATE
    t = np.arange(n) / SAMPLE_RATE
    y = {"noise": lambda: 0.3 * rng.standard_normal(n),
         "chirp": lambda: 0.5 * np.sin(2 * np.pi * (100 * t + 3000 * t ** 2)),
         "impulse": lambda: np.where(np.arange(n) == n // 2, 1e-3, 0.0),
         "zeros": lambda: np.zeros(n),
         "shorter_than_a_frame": lambda: rng.standard_normal(700),
         "mixture": lambda: _glass_break_mixture()}[kind]()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)   # librosa: n_fft too large for 700 samples
        reference = features.mfcc_librosa(y)
    ours = features.mfcc(y, bands=features.mel_bands())
    assert ours.shape == reference.shape
    np.testing.assert_allclose(ours, reference, atol=1e-3, rtol=0)
    np.testing.assert_array_equal(features.mfcc(y), ours)


def test_mel_spectrogram_in_blocks_equals_one_pass():
    """Blocks of frames (the cache-sized default and odd sizes) give the one-pass numbers to
    float32 rounding (BLAS sums a short block in another order); a block size gives fixed bits."""
    y = np.random.default_rng(3).standard_normal(3 * SAMPLE_RATE)   # 259 frames
    bands = features.mel_bands()
    whole = features.mel_spectrogram(y, bands, block_frames=10 ** 6)
    for block_frames in (256, 100, 1):
        blocked = features.mel_spectrogram(y, bands, block_frames=block_frames)
        np.testing.assert_allclose(blocked, whole, rtol=1e-6, atol=0)
        np.testing.assert_array_equal(
            features.mel_spectrogram(y, bands, block_frames=block_frames), blocked)


@pytest.mark.parametrize("size", [0, 1, 31, 2584 * 20])
def test_float_array_feature_is_the_float_list_feature(size):
    """The packed-bytes MFCC feature is the message (and the bytes) FloatList(value=...) gives."""
    import tensorflow as tf
    values = np.random.default_rng(size).standard_normal(size).astype(np.float32)
    want = tf.train.Feature(float_list=tf.train.FloatList(value=values))
    got = examples.float_array_feature(values.reshape(-1, 1) if size else values)
    assert got == want
    assert got.SerializeToString(deterministic=True) == want.SerializeToString(deterministic=True)


def _tf_mixture_example(recipe, coefficients):
    """The Example built field by field with TensorFlow's classes (the reference encoding)."""
    import tensorflow as tf
    floats = lambda v: tf.train.Feature(float_list=tf.train.FloatList(value=v))
    ints = lambda v: tf.train.Feature(int64_list=tf.train.Int64List(value=v))
    text = lambda v: tf.train.Feature(bytes_list=tf.train.BytesList(value=[v.encode("utf-8")]))
    feature = {"mfcc": floats(np.asarray(coefficients, np.float32).ravel()),
               "label": ints([recipe.label]), "labels": ints(recipe.labels or [recipe.label]),
               "scene": text(recipe.bg_scene), "location": text(recipe.bg_location),
               "mixture_id": text(recipe.mixture_id)}
    if recipe.label:
        feature.update(ebr_db=floats([recipe.ebr_db]),
                       event_onset_s=floats([recipe.event_onset_s]),
                       event_duration_s=floats([recipe.event_duration_s]),
                       event_author=text(recipe.event_author))
    return tf.train.Example(features=tf.train.Features(feature=feature))


def test_the_examples_bytes_are_tensorflows_without_tensorflow(embedded):
    """serialize_mixture_example gives the bytes TensorFlow's deterministic serialization gives
    (positive and negative clips, one and several classes, non-ASCII text, odd float values)."""
    import dataclasses
    recipes = datasets.split_recipes(embedded, "target", 6, 1, 3, 77, 1.0)["train"]
    positive = next(r for r in recipes if r.label)
    negative = next(r for r in recipes if not r.label)
    cases = [positive, negative,
             dataclasses.replace(positive, labels=[1, 0, 1], ebr_db=-6.0, event_onset_s=1e-7,
                                 event_author="Jürgen ☃", bg_scene="café"),
             dataclasses.replace(negative, labels=[0, 0], mixture_id="m" * 300)]
    rng = np.random.default_rng(5)
    for recipe in cases:
        mfcc = rng.standard_normal((13, 20)).astype(np.float32) * 100
        want = _tf_mixture_example(recipe, mfcc).SerializeToString(deterministic=True)
        assert examples.serialize_mixture_example(recipe, mfcc) == want
        assert examples.mixture_example(recipe, mfcc).SerializeToString(deterministic=True) == want


def test_the_tfrecord_writer_gives_records_tensorflow_reads(tmp_path):
    """The job's own TFRecord framing (masked CRC32C) and gzip stream (stored blocks, level 0)
    read back with TensorFlow, record for record, with its checksums verified."""
    import tensorflow as tf
    records = [b"", b"x", bytes(range(256)) * 900, np.random.default_rng(1).bytes(206_000)]
    path = str(tmp_path / "data_tfrecord-00000-of-00001.gz")
    beam_mixtures.write_tfrecords(path, records)
    read = [r.numpy() for r in tf.data.TFRecordDataset(path, compression_type="GZIP")]
    assert read == records
    with open(path, "rb") as handle:
        assert handle.read(2) == b"\x1f\x8b"                       # a gzip stream
    assert os.path.getsize(path) < sum(len(r) for r in records) + 16 * len(records) + 100


def test_a_worker_renders_and_writes_a_shard_without_importing_tensorflow(tmp_path):
    """The job's worker steps (render, encode, write the shard and its recipes) never import
    TensorFlow: a fresh interpreter runs them and finds no ``tensorflow`` module loaded."""
    import subprocess
    import sys
    code = f"""
import sys
from components.audio import corpus, datasets
from components.tfx import beam_mixtures
data = datasets.load_source_data("embedded", {CORPUS_SEED})
recipes = datasets.split_recipes(data, "target", 2, 1, 3, 77, 1.0)["train"]
render = beam_mixtures.RenderMixtures("", {CORPUS_SEED}, 1, {str(tmp_path)!r})
render.setup()
staged = [path for bg in sorted({{r.bg_uri for r in recipes}})
          for _, path in render.process((bg, [r for r in recipes if r.bg_uri == bg]))]
write = beam_mixtures.WriteShard({str(tmp_path)!r}, {str(tmp_path)!r}, "train", 1)
print(list(write.process((0, staged))))
assert "tensorflow" not in sys.modules, "tensorflow was imported"
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    assert done.returncode == 0, done.stderr[-2000:]
    import tensorflow as tf
    shard = os.path.join(str(tmp_path), "data_tfrecord-00000-of-00001.gz")
    assert len(list(tf.data.TFRecordDataset(shard, compression_type="GZIP"))) == 2


def test_fractional_part_is_the_remainder_bit_for_bit():
    """The corpus's fast fractional part gives NumPy's x % 1.0 exactly for x >= 0 (so the
    embedded corpus keeps its bits): integers, tiny values, a 30 s phase's large sums."""
    rng = np.random.default_rng(7)
    x = np.concatenate([rng.uniform(0, 1, 1000), rng.uniform(0, 1e7, 1000),
                        np.cumsum(rng.uniform(95, 240, 30 * SAMPLE_RATE)) / SAMPLE_RATE,
                        [0.0, 1.0, 2.0, 5e-324, 1 - 2 ** -53, 2.0 ** 52 + 1]])
    assert np.array_equal(corpus.fractional_part(x), x % 1.0)
    in_place = x.copy()
    assert corpus.fractional_part(in_place, out=in_place) is in_place
    assert np.array_equal(in_place, x % 1.0)


def _glass_break_mixture():
    data = corpus.embedded_source_data(2017)
    recipe = next(r for r in mixing.task_recipes(data, "target", ["glassbreak"], TARGET_SCENES,
                                                  "test", "eval", 4, 3, 3.0) if r.label)
    return mixing.render(recipe, mixing.audio_loader("", 2017))[0]


def test_dcase_reader_reads_the_real_layout(dcase_fixture):
    data = dcase.read_dcase_source_data(str(dcase_fixture))
    assert {b.location for b in data.backgrounds["train"]} == {"a001", "b002"}
    assert {b.scene for b in data.backgrounds["test"]} == {"home", "beach"}
    assert all(abs(b.duration_s - 2.0) < 1e-6 for b in data.backgrounds["train"])
    glass = data.events_of("train", "glassbreak")
    assert [(e.author, e.segment) for e in glass] == [("alice", (0.1, 0.6))]
    assert data.events_of("test", "babycry")[0].author == "dave"
    assert data.backgrounds_in("train", ("home",))[0].uri == "bgs/audio/a001_0_30.wav"
    recipes = datasets.split_recipes(data, "target", 4, 2, 1, 2, 1.0)
    load = mixing.audio_loader(data.data_root, 0)
    mixture, _ = mixing.render(recipes["train"][0], load)
    assert mixture.shape == (SAMPLE_RATE,)


def test_data_version_changes_when_the_recordings_change_and_keys_the_example_gens(dcase_fixture):
    from pipeline.pipeline import create_pipeline
    folder = str(dcase_fixture / "source_data")
    first = datasets.data_version(folder)
    assert datasets.data_version(folder) == first and len(first) == 16
    recording = dcase_fixture / "source_data" / "bgs" / "audio" / "a001_0_30.wav"
    write_wav(str(recording), 0.05 * np.ones(3 * SAMPLE_RATE))      # edited: another length
    edited = datasets.data_version(folder)
    os.utime(recording, ns=(1, 1))                                  # same size, other time
    touched = datasets.data_version(folder)
    (dcase_fixture / "source_data" / "bgs" / "audio" / "e005_0_30.wav").write_bytes(b"")
    added = datasets.data_version(folder)
    assert len({first, edited, touched, added}) == 4
    assert datasets.data_version("gs://bucket/source_data") == ""
    assert datasets.data_version("embedded") == f"embedded-{corpus.CORPUS_VERSION}"

    # the ExampleGens carry it as a parameter: TFX's cache key changes with the folder's content
    def versions():
        config = configs.get_config("smoke", source_data=folder, target_data="embedded",
                                    real_audio="off")
        return {c.id: c.exec_properties["data_version"]
                for c in create_pipeline(config).components if c.id.endswith("ExampleGen")}
    before = versions()
    fmt = f"examples-{examples.EXAMPLE_FORMAT}"     # a new examples format is a new key too
    assert before == {"SourceExampleGen": f"{added}|embedded-{corpus.CORPUS_VERSION}|{fmt}",
                      "TargetExampleGen": f"embedded-{corpus.CORPUS_VERSION}|{added}|{fmt}"}
    os.utime(recording, ns=(2, 2))
    assert all(before[k] != v for k, v in versions().items())


def test_manifest_reader(tmp_path):
    rng = np.random.default_rng(2)
    write_wav(str(tmp_path / "bg" / "k1.wav"), 0.1 * rng.standard_normal(SAMPLE_RATE * 2))
    write_wav(str(tmp_path / "ev" / "g1.wav"), 0.1 * rng.standard_normal(SAMPLE_RATE))
    (tmp_path / "backgrounds.csv").write_text("path,scene,location,subset\nbg/k1.wav,Home,k1,train\n")
    (tmp_path / "events.csv").write_text(
        "path,class,author,segment_start_s,segment_end_s,subset\nev/g1.wav,glassbreak,me,0.1,0.9,train\n")
    data = dcase.read_source_data(str(tmp_path))
    assert data.backgrounds["train"][0].scene == "home"
    assert data.events["train"][0].segment == (0.1, 0.9)


def _break(fixture, how):
    base = fixture / "source_data"
    target = base / "events" / "glassbreak" / "111.wav"
    if how == "corrupt":
        target.write_bytes(b"RIFF\x00\x00not really a wave file" * 10)
    elif how == "empty":
        target.write_bytes(b"")
    elif how == "8khz":
        soundfile.write(str(target), np.zeros(8000), 8000)
    elif how == "missing":
        target.unlink()
    elif how == "escape":
        events = yaml.safe_load((base / "cv_setup" / "events_devtrain.yaml").read_text())
        events["glassbreak"][0]["audio_filename"] = "../../../../outside.wav"
        (base / "cv_setup" / "events_devtrain.yaml").write_text(yaml.safe_dump(events))
    elif how == "yaml":
        (base / "cv_setup" / "events_devtrain.yaml").write_text("glassbreak: [unclosed\n  - :")
    return target


@pytest.mark.parametrize("how, expected, names", [
    ("corrupt", "not a readable audio file", "111.wav"),
    ("empty", "file is empty", "111.wav"),
    ("8khz", "sample rate 8000 Hz", "111.wav"),
    ("missing", "does not exist", "111.wav"),
    ("escape", "escapes the data root", "outside.wav"),
    ("yaml", "malformed YAML", "events_devtrain.yaml"),
])
def test_bad_input_is_named(dcase_fixture, how, expected, names):
    _break(dcase_fixture, how)
    with pytest.raises(AudioDataError) as err:
        dcase.read_dcase_source_data(str(dcase_fixture))
    assert expected in str(err.value) and names in str(err.value)


def test_beam_job_fails_on_a_bad_clip_instead_of_dropping_it(dcase_fixture, tmp_path):
    data = dcase.read_dcase_source_data(str(dcase_fixture))
    recipes = datasets.split_recipes(data, "target", 4, 2, 1, 2, 1.0)
    # The file gets NaN samples after it was listed and checked: only the Beam workers notice.
    bad = dcase_fixture / "source_data" / "events" / "glassbreak" / "111.wav"
    soundfile.write(str(bad), np.full(SAMPLE_RATE, np.nan), SAMPLE_RATE, subtype="FLOAT")
    with pytest.raises(Exception) as err:
        beam_mixtures.run_mixture_job(recipes, str(tmp_path / "out"), data.data_root, 0, 1, [])
    assert "111.wav" in str(err.value) and "NaN" in str(err.value)


def test_committed_schemas_match_the_profiles():
    for name in configs.PROFILES:
        config = configs.get_config(name)
        with open(config.schema_file) as handle:
            assert handle.read() == schema.schema_text(config.frames, config.clip_duration_s)


def test_the_audio_cache_gives_the_same_mixtures_and_read_only_arrays(embedded):
    recipes = datasets.split_recipes(embedded, "source", 12, 2, 3, 1000, 2.0)["train"]
    plain = mixing.audio_loader("", CORPUS_SEED)
    cached = mixing.audio_loader("", CORPUS_SEED, cache_bytes=64 * 2 ** 20)
    for recipe in recipes + recipes[:3]:   # the repeats come from the cache
        want, _ = mixing.render(recipe, plain)
        got, _ = mixing.render(recipe, cached)
        assert np.array_equal(want, got)
    uri = next(r.event_uri for r in recipes if r.label)
    assert cached(uri) is cached(uri) and not cached(uri).flags.writeable
    tiny = mixing.audio_loader("", CORPUS_SEED, cache_bytes=1)   # keeps only the newest file
    one, two = sorted({r.bg_uri for r in recipes})[:2]
    first = tiny(one)
    tiny(two)
    assert tiny(one) is not first and np.array_equal(tiny(one), first)


def test_the_mixture_step_limits_blas_to_one_thread_only_while_it_runs(embedded):
    from threadpoolctl import threadpool_info
    recipes = datasets.split_recipes(embedded, "target", 4, 1, 5, 77, 1.0)["train"]
    render = beam_mixtures.RenderMixtures("", CORPUS_SEED, 2, "")
    render.setup()
    before = [(pool["filepath"], pool["num_threads"]) for pool in threadpool_info()]
    inside = []
    loader = render._load
    def spying_loader(uri):   # the real loader; records the BLAS threads while a clip renders
        inside.extend(pool["num_threads"] for pool in threadpool_info()
                      if pool["user_api"] == "blas")
        return loader(uri)
    render._load = spying_loader
    for bg_uri in sorted({r.bg_uri for r in recipes}):
        group = [r for r in recipes if r.bg_uri == bg_uri]
        outputs = list(render.render(bg_uri, group))
        for (index, serialized, _), recipe in zip(outputs, group):
            audio, final = mixing.render(recipe, loader)   # the same clip outside the limit
            coefficients = features.mfcc(audio)
            want = examples.mixture_example(final, coefficients,
                                            onset.descriptors(audio, coefficients)[1])
            assert serialized == want.SerializeToString(deterministic=True)
    assert inside and set(inside) == {1}
    after = dict((pool["filepath"], pool["num_threads"]) for pool in threadpool_info())
    # Libraries loaded meanwhile (TensorFlow's first import brings OpenMP) are not compared.
    assert [(path, after[path]) for path, _ in before] == before


def test_bird_song_is_a_trill_of_short_bright_notes():
    """``sound_song``: the same generator state gives the same phrase; its energy lies at 1.2-20
    kHz (the notes at 1.2-10 kHz, so no harmonic aliases); it holds 3-30 separate notes; the
    recipes of the four outdoor scenes with birds name it, no other scene's does."""
    for seed in range(20):
        song = corpus.sound_song(np.random.default_rng(seed))
        assert np.array_equal(song, corpus.sound_song(np.random.default_rng(seed)))
        power = np.abs(np.fft.rfft(song)) ** 2
        freqs = np.fft.rfftfreq(len(song), 1.0 / SAMPLE_RATE)
        assert power[(freqs >= 1200) & (freqs <= 20000)].sum() > 0.99 * power.sum()
        frames = librosa.util.frame(np.r_[song, np.zeros(512)], frame_length=256,
                                    hop_length=64)
        active = np.sqrt(np.mean(frames ** 2, axis=0)) > 0.05
        notes = int(np.sum(active[1:] & ~active[:-1])) + int(active[0])
        assert 3 <= notes <= 30, (seed, notes)
    scenes_with_song = {scene for scene, recipe in corpus.SCENE_RECIPES.items()
                        if "song" in recipe["sounds"]}
    assert scenes_with_song == {"beach", "forest_path", "park", "residential_area"}
