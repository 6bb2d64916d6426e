"""The Beam job: recipes -> mixtures -> MFCC (and the spectral centroid after the sharpest onset,
``components.audio.onset``) -> sharded TFRecords in gzip files (+ recipe JSON lines).

Recipes are grouped by background so each recording is loaded (or synthesized) once per job,
and each worker keeps the events it used last (``AUDIO_CACHE_BYTES``), so an event shared by
many mixtures is synthesized or decoded once per worker. A clip's steps run with NumPy's and
SciPy's BLAS limited to one thread (``threadpoolctl``, scoped to the steps): the matrices are small,
so OpenBLAS's extra thread mostly spun, and with one worker per core it competed with the other
worker (docs/results.md, "One BLAS thread per worker").
Output is deterministic: example ``i`` goes to shard ``i % num_shards`` and each shard is written
sorted by index, so the same recipes give byte-identical files on any runner.
The examples themselves do not travel through the runner's shuffle: each background's examples
are staged in files (one per shard, named by the shard and the group's first index, so a retried
bundle rewrites the same bytes) under ``<output>/.staging-<split>/``, and only their paths are
grouped by shard; the shard writer reads and sorts them, and the folder is removed when every
shard is written (the pattern of Beam's file sinks). Moving the examples through the
GroupByKey cost about 9 % of the paper_cpu source job (docs/results.md, "The data stage, sixth
round").
Any bad clip fails the job with the file and the problem named; nothing is silently dropped.

The workers never import TensorFlow (several seconds each): examples are encoded by
``examples.serialize_mixture_example`` and the shards written by ``write_tfrecords`` (TFRecord
framing, a gzip stream of stored blocks: ``GZIP_LEVEL`` 0, as readable as any ``.gz`` shard;
deflating float32 MFCCs saved 7 % of the bytes for 8 ms a clip, about 10 % of the job);
files go through Beam's ``FileSystems`` (local, gs://, ...). docs/results.md, "The data stage,
fourth round".
"""
from __future__ import annotations

import os
from typing import Iterable, List, Optional, Sequence, Tuple

import apache_beam as beam

from components.audio import examples, features, mixing, onset

TFRECORD_PATTERN = "data_tfrecord-{shard:05d}-of-{count:05d}.gz"
GZIP_LEVEL = 0
AUDIO_CACHE_BYTES = 256 * 2 ** 20
RECIPES_DIR = "recipes"
STAGING_PREFIX = ".staging-"


class RenderMixtures(beam.DoFn):
    """(background uri, recipes) -> (shard, staged file) for each shard the background's clips
    go to; a staged file holds that shard's (index, serialized example, final recipe JSON) rows
    of the background (:func:`stage_rows`)."""

    def __init__(self, data_root: str, corpus_seed: int, num_shards: int, staging_dir: str,
                 wav_dir: Optional[str] = None, n_mfcc: int = features.N_MFCC,
                 highpass_hz: int = 0):
        self._data_root = data_root
        self._n_mfcc = n_mfcc
        self._highpass_hz = highpass_hz
        self._corpus_seed = corpus_seed
        self._num_shards = num_shards
        self._staging_dir = staging_dir
        self._wav_dir = wav_dir
        self._clips = beam.metrics.Metrics.counter("mixtures", "clips_rendered")
        self._load = None
        self._load_background = None
        self._mel_bands = None
        self._threadpools = None

    def setup(self):
        self._load = mixing.audio_loader(self._data_root, self._corpus_seed, AUDIO_CACHE_BYTES)
        self._load_background = mixing.audio_loader(self._data_root, self._corpus_seed)
        self._mel_bands = features.mel_bands(highpass_hz=self._highpass_hz)
        self._threadpools = blas_threadpools()

    def render(self, bg_uri: str, recipes: Iterable[mixing.Recipe]):
        """The background's clips as (index, serialized example, final recipe JSON) rows."""
        try:
            with self._threadpools.limit(limits=1):
                background = self._load_background(bg_uri)   # once per job: not cached
        except Exception as err:
            raise RuntimeError(f"mixture job: cannot load background {bg_uri}: {err}") from err
        for recipe in recipes:
            try:
                with self._threadpools.limit(limits=1):
                    audio, final = mixing.render(recipe, self._load, background=background)
                    coefficients = features.mfcc(audio, n_mfcc=self._n_mfcc,
                                                 bands=self._mel_bands)
                    _, centroid_khz = onset.descriptors(audio, coefficients,
                                                        highpass_hz=self._highpass_hz)
            except Exception as err:
                raise RuntimeError(f"mixture job: {recipe.mixture_id} (background {bg_uri}, "
                                   f"event {recipe.event_uri}): {err}") from err
            if self._wav_dir:
                write_wav_24(os.path.join(self._wav_dir, f"{recipe.mixture_id}.wav"), audio)
            serialized = examples.serialize_mixture_example(final, coefficients, centroid_khz)
            self._clips.inc()
            yield recipe.index, serialized, final.to_json()

    def process(self, element: Tuple[str, Iterable[mixing.Recipe]]):
        bg_uri, recipes = element
        by_shard = {}
        for row in self.render(bg_uri, recipes):
            by_shard.setdefault(row[0] % self._num_shards, []).append(row)
        for shard, rows in sorted(by_shard.items()):
            path = os.path.join(self._staging_dir, f"{shard:05d}-{rows[0][0]:09d}.rows")
            stage_rows(path, rows)
            yield shard, path


def stage_rows(path: str, rows: List[Tuple[int, bytes, str]]) -> None:
    """Write rendered rows to a staging file (a pickle: read back only by :func:`read_staged`)."""
    import pickle
    with _create(path) as handle:
        handle.write(pickle.dumps(rows, protocol=pickle.HIGHEST_PROTOCOL))


def read_staged(path: str) -> List[Tuple[int, bytes, str]]:
    """The rows of a staging file written by :func:`stage_rows`."""
    import pickle

    from apache_beam.io.filesystem import CompressionTypes
    from apache_beam.io.filesystems import FileSystems
    with FileSystems.open(path, compression_type=CompressionTypes.UNCOMPRESSED) as handle:
        return pickle.loads(handle.read())


def blas_threadpools():
    """A ``threadpoolctl.ThreadpoolController`` over the BLAS libraries the clip steps use
    (NumPy's and SciPy's OpenBLAS, both loaded first); ``.limit(limits=1)`` scopes a limit."""
    import scipy.fft  # noqa: F401  (SciPy loads its own OpenBLAS: load it before looking)
    import scipy.signal  # noqa: F401
    from threadpoolctl import ThreadpoolController
    return ThreadpoolController()


def write_wav_24(path: str, audio) -> None:
    """Write a mixture as 24-bit PCM WAV at 44.1 kHz, as the reference synthesizer does."""
    import io

    import soundfile
    buffer = io.BytesIO()
    soundfile.write(buffer, audio, features.SAMPLE_RATE, subtype="PCM_24", format="WAV")
    with _create(path) as handle:
        handle.write(buffer.getvalue())


def _create(path: str):
    """A binary write channel on any Beam file system, written as given (no compression by
    file name)."""
    from apache_beam.io.filesystem import CompressionTypes
    from apache_beam.io.filesystems import FileSystems
    return FileSystems.create(path, compression_type=CompressionTypes.UNCOMPRESSED)


def _makedirs(path: str) -> None:
    from apache_beam.io.filesystems import FileSystems
    if not FileSystems.exists(path):
        FileSystems.mkdirs(path)


def _masked_crc32c(data: bytes) -> bytes:
    """TFRecord's checksum: CRC32C rotated right by 15 bits plus 0xa282ead8, little-endian."""
    import struct

    import google_crc32c
    crc = google_crc32c.value(data)
    return struct.pack("<I", (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF)


def write_tfrecords(path: str, records: Iterable[bytes], level: int = GZIP_LEVEL) -> None:
    """Write ``records`` as a gzip-compressed TFRecord file, as ``tf.io.TFRecordWriter`` with
    ``compression_type="GZIP"`` frames them (length, masked CRC32C of the length, data, masked
    CRC32C of the data), without TensorFlow; ``level`` is zlib's (0: stored blocks)."""
    import struct
    import zlib
    stream = zlib.compressobj(level, zlib.DEFLATED, 31)   # wbits 31: a gzip header and trailer
    with _create(path) as handle:
        for record in records:
            length = struct.pack("<Q", len(record))
            handle.write(stream.compress(length + _masked_crc32c(length)))
            handle.write(stream.compress(record))
            handle.write(stream.compress(_masked_crc32c(record)))
        handle.write(stream.flush())


class WriteShard(beam.DoFn):
    """(shard, staged files) -> the shard's examples (sorted by index) and their recipes, written;
    yields the shard's path. The staged files stay until every shard is written (a retried
    bundle can read them again); :func:`write_split` removes them."""

    def __init__(self, split_dir: str, recipes_dir: str, split: str, num_shards: int):
        self._split_dir = split_dir
        self._recipes_dir = recipes_dir
        self._split = split
        self._num_shards = num_shards

    def process(self, element):
        shard, staged = element
        staged = sorted(staged)
        rows = sorted((row for path in staged for row in read_staged(path)),
                      key=lambda row: row[0])
        path = os.path.join(self._split_dir,
                            TFRECORD_PATTERN.format(shard=shard, count=self._num_shards))
        write_tfrecords(path, (serialized for _, serialized, _ in rows))
        recipe_path = os.path.join(self._recipes_dir, f"{self._split}-{shard:05d}.jsonl")
        with _create(recipe_path) as handle:
            handle.write("".join(recipe_json + "\n" for _, _, recipe_json in rows).encode("utf-8"))
        yield path


def _remove_staging(shard_paths: List[str], staging_dir: str) -> List[str]:
    """Delete the staging folder once every shard is written; pass the shards' paths on."""
    from apache_beam.io.filesystems import FileSystems
    if FileSystems.exists(staging_dir):
        FileSystems.delete([staging_dir])
    return shard_paths


def write_split(pipeline: beam.Pipeline, recipes: Sequence[mixing.Recipe], output_uri: str,
                split: str, data_root: str, corpus_seed: int, num_shards: int,
                write_wav: bool = False, n_mfcc: int = features.N_MFCC, highpass_hz: int = 0):
    """Add the steps that render ``recipes`` into ``<output_uri>/Split-<split>/``, ``n_mfcc``
    coefficients per frame (the paper's 20 by default), of the spectrum from ``highpass_hz`` on
    (0: all of it, the paper's; ``features.mel_matrix``).

    With ``write_wav`` the mixtures are also written as 24-bit WAV to ``<output_uri>/audio-<split>/``.
    """
    split_dir = os.path.join(output_uri, f"Split-{split}")
    recipes_dir = os.path.join(output_uri, RECIPES_DIR)
    staging_dir = os.path.join(output_uri, STAGING_PREFIX + split)
    wav_dir = os.path.join(output_uri, f"audio-{split}") if write_wav else None
    for folder in (split_dir, recipes_dir, staging_dir) + ((wav_dir,) if wav_dir else ()):
        _makedirs(folder)
    by_background = {}
    for recipe in recipes:
        by_background.setdefault(recipe.bg_uri, []).append(recipe)
    return (pipeline
            | f"Recipes[{split}]" >> beam.Create(sorted(by_background.items()))
            | f"Spread[{split}]" >> beam.Reshuffle()
            | f"MixAndMfcc[{split}]" >> beam.ParDo(RenderMixtures(data_root, corpus_seed,
                                                                 num_shards, staging_dir, wav_dir,
                                                                 n_mfcc, highpass_hz))
            | f"ByShard[{split}]" >> beam.GroupByKey()
            | f"Write[{split}]" >> beam.ParDo(WriteShard(split_dir, recipes_dir, split,
                                                        num_shards))
            | f"AllWritten[{split}]" >> beam.combiners.ToList()
            | f"Unstage[{split}]" >> beam.Map(_remove_staging, staging_dir))


def run_mixture_job(split_recipes: dict, output_uri: str, data_root: str, corpus_seed: int,
                    num_shards: int, beam_args: List[str], write_wav: bool = False,
                    n_mfcc: int = features.N_MFCC, highpass_hz: int = 0) -> None:
    """Standalone run (``python -m pipeline synthesize``): one Beam pipeline for all splits."""
    from apache_beam.options.pipeline_options import PipelineOptions
    with beam.Pipeline(options=PipelineOptions(beam_args)) as pipeline:
        for split, recipes in split_recipes.items():
            write_split(pipeline, recipes, output_uri, split, data_root, corpus_seed, num_shards,
                        write_wav, n_mfcc, highpass_hz)
