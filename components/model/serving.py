"""Exporting the tagger as a SavedModel with skew-free signatures, and loading it back.

Signatures (each returns ``probability`` float32 [batch] and ``decision`` int64 [batch], the
decision being ``probability >= threshold`` with the threshold stored in the model; a multi-class
source model returns [batch, classes] for both):

  serving_default   ``examples``: serialized tf.train.Example [batch] (TFMA, TF Serving classify)
  predict_mfcc      ``mfcc``: float32 [batch, frames, n_mfcc] (the paper's 20 MFCCs unless the
                    model was trained on another number: ``model_info``); the network alone
                    in a model with an onset fusion (below)
  model_info        ``request``: any string [batch] (ignored; lets REST clients call it):
                    ``clip_samples``, ``sample_rate``, ``frames``, ``n_mfcc``, ``threshold``,
                    ``classes`` (the class names, comma-separated: the target class),
                    ``networks`` (how many trainings the probability averages),
                    ``locator`` (1: the frames come from a locator network, below),
                    ``onset_fusion`` (1: the model has one, below), ``highpass_hz`` and
                    ``fusion_centroid_cap_khz`` (the fusion's centroid cap, 0: none) per row
  predict_waveform  ``waveform``: float32 [batch, samples], mono 44.1 kHz; the MFCC is computed in
                    the graph exactly as librosa does. Clips are cropped to the model's clip length
                    (the first ``clip_samples`` samples are kept) or zero-padded at the end.
  localize_waveform ``waveform`` as ``predict_waveform``; also returns ``frame_probability``
                    float32 [batch, frames] (the running probability at every MFCC frame, see
                    ``components.model.localize``; its last frame equals ``probability``) and
                    ``frame_time_s`` float32 [batch, frames] (each frame's centre, seconds from
                    the clip's start)
  localize_mfcc     the same from ``mfcc`` [batch, frames, n_mfcc] (the network alone in a
                    model with an onset fusion)

A model exported with an onset ``fusion`` (``components.model.fusion``; ``onset_fusion=1``)
answers with the fused probability in ``serving_default`` (which then also reads each example's
``onset_centroid_khz``, written by the Beam job), ``predict_waveform`` and ``localize_waveform``
(which compute the onset's two numbers in the graph, ``components.audio.onset``); its
``frame_probability`` is the network's running probability in the clips the fused decision tags
and 0 in the others. ``predict_mfcc`` and ``localize_mfcc`` see no waveform and answer with the
network alone (what Table 1's studies compare).

A model exported with a ``locator`` (a second network of the paper's kind trained on the same
data, ``StageConfig.locator``) answers "whether" and "where" with different networks: every
``probability`` and ``decision`` are the tagger's, ``frame_probability`` is the locator's running
probability in clips the tagger tags and 0 in the others (per class), so events are only found
where the clip is tagged; its last frame is then not ``probability``.

Next to the SavedModel (``Format-Serving``) the Keras model is saved as ``Format-Keras/tagger.keras``
so a later Trainer can copy its layers by name.
"""
from __future__ import annotations

import os

import keras
import numpy as np
import tensorflow as tf

from components.audio import examples as example_codec
from components.audio import features
from components.audio import onset
from components.model import fusion as onset_fusion
from components.model import localize, tagger

KERAS_DIR = "Format-Keras"
KERAS_FILE = "tagger.keras"
LOCATOR_FILE = "locator.keras"


def keras_model_path(serving_model_dir: str, file_name: str = KERAS_FILE) -> str:
    """Where the Keras copy of a Trainer's model (or with ``LOCATOR_FILE``, of its locator)
    lives, given its ``Format-Serving`` dir."""
    return os.path.join(os.path.dirname(serving_model_dir.rstrip("/")), KERAS_DIR, file_name)


def export_tagger(network: keras.Model, serving_model_dir: str, clip_duration_s: float,
                  decision_threshold: float = 0.5, classes=("event",),
                  locator: keras.Model = None,
                  fusion: "onset_fusion.OnsetFusion" = None, highpass_hz: int = 0) -> None:
    """Write the SavedModel with its signatures, and the Keras copy beside it.

    ``classes`` names the model's outputs in order (one for a target model). ``locator``: the
    network whose running probability the localize signatures give (see the module docstring);
    its Keras copy is saved too. ``fusion``: the onset fusion the model answers with (see the
    module docstring; one class only). ``highpass_hz``: the cut-off below which the waveform
    signatures' MFCC and onset centroid ignore the spectrum, as the examples it trained on
    (``features.mel_matrix``; 0: the paper's MFCC).
    """
    classes = tuple(classes)
    for model in [m for m in (network, locator) if m is not None]:
        if len(classes) != tagger.n_outputs(model):
            raise ValueError(f"{len(classes)} class names {classes} for a model with "
                             f"{tagger.n_outputs(model)} outputs")
    if fusion is not None and len(classes) != 1:
        raise ValueError(f"an onset fusion is for a one-class model, not {classes}")
    if locator is not None and locator.input_shape[1:] != network.input_shape[1:]:
        raise ValueError(f"the locator reads {locator.input_shape[1:]}, the tagger "
                         f"{network.input_shape[1:]}; both need the same input")
    samples = features.clip_samples(clip_duration_s)
    frames = features.n_frames(samples)
    n_mfcc = int(network.input_shape[-1])   # the coefficients it was trained on
    mel = tf.constant(features.mel_matrix(highpass_hz=highpass_hz), name="slaney_mel_weights")
    threshold = tf.Variable(float(decision_threshold), trainable=False, name="decision_threshold",
                            dtype=tf.float32)
    every_frame = localize.frame_tagger(network if locator is None else locator)
    times = tf.constant(localize.frame_times(frames), tf.float32)
    archive = keras.export.ExportArchive()
    archive.track(network)
    archive.track(every_frame)
    if locator is not None:
        archive.track(locator)
    archive.track(threshold)
    fusion_weights = None
    if fusion is not None:
        fusion_weights = tf.Variable(
            [fusion.w_logit, fusion.w_peak, fusion.w_centroid, fusion.bias], trainable=False,
            name="onset_fusion_weights", dtype=tf.float32)
        archive.track(fusion_weights)

    def answer(mfcc, centroid_khz=None):
        """The network's answer, or with ``centroid_khz`` [batch] the fused one."""
        probability = network(mfcc, training=False)
        if len(classes) == 1:
            probability = tf.reshape(probability, [-1])
        if centroid_khz is not None:
            _, peak = onset.onset_frame_and_peak_tf(mfcc)
            probability = onset_fusion.fused_probability_tf(
                fusion_weights, probability, peak, centroid_khz, fusion.centroid_cap_khz)
        return {"probability": probability,
                "decision": tf.cast(probability >= threshold, tf.int64)}

    def localize_answer(mfcc, centroid_khz=None):
        running = every_frame(mfcc, training=False)
        if len(classes) == 1:
            running = running[..., 0]
        if locator is None and centroid_khz is None:
            probability = running[:, -1]
        else:   # the tagger (or the fusion) decides whether, the running probability where
            probability = answer(mfcc, centroid_khz)["probability"]
            running = running * tf.cast(probability >= threshold, tf.float32)[:, None]
        return {"probability": probability,
                "decision": tf.cast(probability >= threshold, tf.int64),
                "frame_probability": running,
                "frame_time_s": tf.tile(times[None], [tf.shape(mfcc)[0], 1])}

    def from_examples(serialized):
        parsed = tf.io.parse_example(serialized, example_codec.parse_spec(
            frames, n_mfcc, with_onset=fusion is not None))
        mfcc = tf.reshape(parsed[example_codec.MFCC_KEY], [-1, frames, n_mfcc])
        if fusion is None:
            return answer(mfcc)
        return answer(mfcc, tf.reshape(parsed[example_codec.ONSET_CENTROID_KEY], [-1]))

    def clip_mfcc(waveform):
        """(MFCC [batch, frames, n_mfcc], onset centroid [batch] or None) of a waveform batch."""
        waveform = waveform[:, :samples]
        waveform = tf.pad(waveform, [[0, 0], [0, samples - tf.shape(waveform)[1]]])
        waveform = tf.ensure_shape(waveform, [None, samples])
        power = features.power_spectrogram_tf(waveform)
        mfcc = features.mfcc_from_power_tf(power, mel, n_mfcc=n_mfcc)
        if fusion is None:
            return mfcc, None
        return mfcc, onset.descriptors_tf(power, mfcc, highpass_hz)[1]

    def from_waveform(waveform):
        return answer(*clip_mfcc(waveform))

    archive.add_endpoint("serving_default", from_examples,
                         input_signature=[tf.TensorSpec([None], tf.string, name="examples")])
    archive.add_endpoint("predict_mfcc", answer, input_signature=[
        tf.TensorSpec([None, frames, n_mfcc], tf.float32, name="mfcc")])
    archive.add_endpoint("predict_waveform", from_waveform, input_signature=[
        tf.TensorSpec([None, None], tf.float32, name="waveform")])
    archive.add_endpoint("localize_waveform", lambda w: localize_answer(*clip_mfcc(w)),
                         input_signature=[tf.TensorSpec([None, None], tf.float32,
                                                        name="waveform")])
    archive.add_endpoint("localize_mfcc", localize_answer, input_signature=[
        tf.TensorSpec([None, frames, n_mfcc], tf.float32, name="mfcc")])
    clip_samples = tf.constant(samples, tf.int64)
    class_names = tf.constant(",".join(classes))
    networks = tf.constant(len(tagger.members_of(network)), tf.int64)
    has_locator = tf.constant(int(locator is not None), tf.int64)
    has_fusion = tf.constant(int(fusion is not None), tf.int64)
    centroid_cap = tf.constant(float(fusion.centroid_cap_khz) if fusion is not None else 0.0,
                               tf.float32)

    def model_info(request):
        rows = tf.shape(request)[:1]
        return {"clip_samples": tf.fill(rows, clip_samples),
                "sample_rate": tf.fill(rows, tf.constant(features.SAMPLE_RATE, tf.int64)),
                "frames": tf.fill(rows, tf.constant(frames, tf.int64)),
                "n_mfcc": tf.fill(rows, tf.constant(n_mfcc, tf.int64)),
                "highpass_hz": tf.fill(rows, tf.constant(int(highpass_hz), tf.int64)),
                "threshold": tf.fill(rows, tf.identity(threshold)),
                "classes": tf.fill(rows, class_names),
                "networks": tf.fill(rows, networks),
                "locator": tf.fill(rows, has_locator),
                "onset_fusion": tf.fill(rows, has_fusion),
                "fusion_centroid_cap_khz": tf.fill(rows, centroid_cap)}

    archive.add_endpoint("model_info", model_info, input_signature=[
        tf.TensorSpec([None], tf.string, name="request")])
    archive.write_out(serving_model_dir, verbose=False)
    keras_path = keras_model_path(serving_model_dir)
    tf.io.gfile.makedirs(os.path.dirname(keras_path))
    network.save(keras_path)
    if locator is not None:
        locator.save(keras_model_path(serving_model_dir, LOCATOR_FILE))


def load_keras_locator(serving_model_dir: str):
    """The Keras locator saved next to a Trainer's ``Format-Serving`` directory, or None when
    the model was trained without one."""
    path = keras_model_path(serving_model_dir, LOCATOR_FILE)
    if not tf.io.gfile.exists(path):
        return None
    return keras.saving.load_model(path, compile=False)


def load_keras_tagger(serving_model_dir: str) -> keras.Model:
    """The Keras model saved next to a Trainer's ``Format-Serving`` directory."""
    path = keras_model_path(serving_model_dir)
    if not tf.io.gfile.exists(path):
        raise FileNotFoundError(f"{path}: no Keras model beside the base model's SavedModel "
                                f"{serving_model_dir}")
    return keras.saving.load_model(path, compile=False)


def model_info(saved_model) -> dict:
    """Clip length, sample rate, frames, MFCCs per frame, threshold, class names, networks
    averaged and whether it has a locator and an onset fusion, stored in a loaded SavedModel
    (``classes`` is a list; models exported before it had one say ``[]``, before ``n_mfcc`` the
    paper's 20, before ``networks`` 1, before ``locator``, ``onset_fusion``, ``highpass_hz`` or
    ``fusion_centroid_cap_khz`` 0)."""
    outputs = saved_model.signatures["model_info"](request=tf.constant([""]))
    info = {k: v.numpy()[0] for k, v in outputs.items()}
    info = {k: (v.decode("utf-8").split(",") if isinstance(v, bytes) else v.item())
            for k, v in info.items()}
    info.setdefault("classes", [])
    info.setdefault("n_mfcc", features.N_MFCC)
    info.setdefault("networks", 1)
    info.setdefault("locator", 0)
    info.setdefault("onset_fusion", 0)
    info.setdefault("highpass_hz", 0)
    info.setdefault("fusion_centroid_cap_khz", 0.0)
    return info


def call_signature(saved_model, name: str, value) -> dict:
    """Call a signature with one input tensor; return numpy outputs."""
    fn = saved_model.signatures[name]
    input_name = list(fn.structured_input_signature[1])[0]
    outputs = fn(**{input_name: tf.constant(value)})
    return {k: np.asarray(v) for k, v in outputs.items()}
