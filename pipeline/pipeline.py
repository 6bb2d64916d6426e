"""The TFX pipeline: one ``create_pipeline(config)`` for every runner.

The source task (``source_data``, ``source_classes``) and the target task (``target_data``,
``target_class``) each get a data branch; the pushed model is named after the target class.

    SourceExampleGen ─ SourceStatisticsGen ─ SourceExampleValidator ─ SourceAnomaliesGate
          │                                          (schema: ImportSchemaGen)      │
          └──────────────────────────── SourceTrainer ◄─────────────────────────────┘
                                              │ base_model
    TargetExampleGen ─ TargetStatisticsGen ─ TargetExampleValidator ─ TargetAnomaliesGate
          │                                                                        │
          ├── TransferTrainer (method, base_model) ◄──────────────────────────────┤
          └── ScratchTrainer (baseline) ◄─────────────────────────────────────────┘
    LatestBlessedModelResolver ─┐
    TransferTrainer ─── TransferEvaluator (thresholds, baseline) ─── Pusher
    ScratchTrainer ──── ScratchEvaluator ─┬─ TransferGain
    TransferEvaluator ────────────────────┘

With a real-audio set (``config.real_audio_data``) a third branch joins:

    RealExampleGen ─ RealStatisticsGen ─ RealExampleValidator ─ RealAnomaliesGate
          ├── TransferRealEvaluator (transfer model on real recordings) ─┐
          └── ScratchRealEvaluator (scratch model on real recordings)     │
    TransferEvaluator blessing ───────────────────────────── RealAudioGate ─── Pusher
"""
from __future__ import annotations

from typing import List, Sequence

import tensorflow_model_analysis as tfma
from tfx import v1 as tfx

from components.audio import datasets, examples
from components.tfx.atomic_pusher import AtomicPusher
from components.tfx.gates import AnomaliesGate, RealAudioGate, TransferGain
from components.tfx.mixture_example_gen import MixtureExampleGen
from pipeline.configs import PipelineConfig

SOURCE_RUN_FN = "components.tfx.trainer_source.run_fn"
TARGET_RUN_FN = "components.tfx.trainer_target.run_fn"
TRAINER_IDS = ("SourceTrainer", "TransferTrainer", "ScratchTrainer")
SLICE_FEATURES = (("ebr_db",), ("scene",))
# On real recordings the scene is the background; (label) and (scene, label) give the false alarms
# (label 0) and the detections (label 1) per background.
REAL_SLICE_FEATURES = (("ebr_db",), ("label",), ("scene",), ("scene", "label"))
# The real impacts (clips without the event holding a sharp sound of another kind): every clip is
# labelled 0, so accuracy is 1 - false alarms, per kind of sound and per background.
IMPACT_SLICE_FEATURES = (("impact",), ("scene",))


def eval_config(config: PipelineConfig, gated: bool,
                slice_features=SLICE_FEATURES) -> tfma.EvalConfig:
    """TFMA config: accuracy, AUC, precision, recall, sliced by ``slice_features``.

    ``gated`` adds the blessing thresholds: an absolute accuracy floor, and a limit on how much
    accuracy may drop against the latest blessed model (used once a baseline exists).
    """
    threshold = None
    if gated:
        threshold = tfma.MetricThreshold(
            value_threshold=tfma.GenericValueThreshold(
                lower_bound={"value": config.accuracy_threshold}),
            change_threshold=tfma.GenericChangeThreshold(
                direction=tfma.MetricDirection.HIGHER_IS_BETTER,
                absolute={"value": -config.max_accuracy_drop}))
    metrics = [tfma.MetricConfig(class_name="BinaryAccuracy", threshold=threshold),
               tfma.MetricConfig(class_name="AUC"),
               tfma.MetricConfig(class_name="Precision"),
               tfma.MetricConfig(class_name="Recall"),
               tfma.MetricConfig(class_name="ExampleCount")]
    return tfma.EvalConfig(
        model_specs=[tfma.ModelSpec(signature_name="serving_default", label_key="label",
                                    prediction_key="probability")],
        slicing_specs=[tfma.SlicingSpec()] + [tfma.SlicingSpec(feature_keys=list(keys))
                                              for keys in slice_features],
        metrics_specs=[tfma.MetricsSpec(metrics=metrics)])


def _data_branch(prefix: str, config: PipelineConfig, schema) -> List:
    job = config.data_jobs()[prefix]
    # The cache key of a TFX component is its parameters and inputs: the version of the data
    # folders (files, sizes, times) makes changed recordings a new key, not a stale cache hit.
    version = "|".join([datasets.data_version(data) for data in (job["data"], job["paired_data"])
                        if data] + [f"examples-{examples.EXAMPLE_FORMAT}"])
    example_gen = MixtureExampleGen(num_shards=config.num_shards, data_version=version,
                                    **job, **config.example_encoding()
                                    ).with_id(f"{prefix}ExampleGen")
    statistics = tfx.components.StatisticsGen(
        examples=example_gen.outputs["examples"]).with_id(f"{prefix}StatisticsGen")
    validator = tfx.components.ExampleValidator(
        statistics=statistics.outputs["statistics"], schema=schema
    ).with_id(f"{prefix}ExampleValidator")
    gate = AnomaliesGate(anomalies=validator.outputs["anomalies"]).with_id(f"{prefix}AnomaliesGate")
    return [example_gen, statistics, validator, gate]


def create_pipeline(config: PipelineConfig) -> tfx.dsl.Pipeline:
    """The whole DAG for ``config`` (the transfer model uses ``config.method``)."""
    schema_gen = tfx.components.ImportSchemaGen(schema_file=config.schema_file)
    schema = schema_gen.outputs["schema"]
    source = _data_branch("Source", config, schema)
    target = _data_branch("Target", config, schema)
    source_examples = source[0].outputs["examples"]
    target_examples = target[0].outputs["examples"]

    source_trainer = tfx.components.Trainer(
        run_fn=SOURCE_RUN_FN, examples=source_examples, schema=schema,
        custom_config=config.stage_config("source", "scratch"),
    ).with_id("SourceTrainer")
    source_trainer.add_upstream_node(source[3])
    transfer_trainer = tfx.components.Trainer(
        run_fn=TARGET_RUN_FN, examples=target_examples, schema=schema,
        base_model=source_trainer.outputs["model"],
        custom_config=config.stage_config("target", config.method),
    ).with_id("TransferTrainer")
    transfer_trainer.add_upstream_node(target[3])
    scratch_trainer = tfx.components.Trainer(
        run_fn=TARGET_RUN_FN, examples=target_examples, schema=schema,
        custom_config=config.stage_config("target", "scratch"),
    ).with_id("ScratchTrainer")
    scratch_trainer.add_upstream_node(target[3])

    # The baseline is the latest model the Pusher was allowed to push: a TransferTrainer model
    # with a positive blessing from the node that gates the Pusher (the RealAudioGate when there
    # is a real branch). Unfiltered channels would also take a model the TransferEvaluator
    # blessed but the RealAudioGate refused, though it was never pushed.
    gate_id, gate_key = (("RealAudioGate", "real_blessing") if config.real_audio_data
                         else ("TransferEvaluator", "blessing"))
    baseline_resolver = tfx.dsl.Resolver(
        strategy_class=tfx.dsl.experimental.LatestBlessedModelStrategy,
        model=tfx.dsl.Channel(type=tfx.types.standard_artifacts.Model,
                              producer_component_id="TransferTrainer", output_key="model"),
        model_blessing=tfx.dsl.Channel(type=tfx.types.standard_artifacts.ModelBlessing,
                                       producer_component_id=gate_id, output_key=gate_key),
    ).with_id("LatestBlessedModelResolver")
    transfer_evaluator = tfx.components.Evaluator(
        examples=target_examples, model=transfer_trainer.outputs["model"],
        baseline_model=baseline_resolver.outputs["model"],
        eval_config=eval_config(config, gated=True),
    ).with_id("TransferEvaluator")
    scratch_evaluator = tfx.components.Evaluator(
        examples=target_examples, model=scratch_trainer.outputs["model"],
        eval_config=eval_config(config, gated=False),
    ).with_id("ScratchEvaluator")
    gain = TransferGain(transfer_evaluation=transfer_evaluator.outputs["evaluation"],
                        scratch_evaluation=scratch_evaluator.outputs["evaluation"])
    blessing = transfer_evaluator.outputs["blessing"]
    real_nodes = []
    if config.real_audio_data:
        real = _data_branch("Real", config, schema)
        real_evaluators = []
        for name, trainer in (("Transfer", transfer_trainer), ("Scratch", scratch_trainer)):
            evaluator = tfx.components.Evaluator(
                examples=real[0].outputs["examples"], model=trainer.outputs["model"],
                eval_config=eval_config(config, gated=False, slice_features=REAL_SLICE_FEATURES),
            ).with_id(f"{name}RealEvaluator")
            evaluator.add_upstream_node(real[3])
            real_evaluators.append(evaluator)
        impact_evaluators = []
        # a local set without other classes has no impacts split; a remote one is taken to
        # have one (the CLI notes a local set's lack; --set real_impacts=0 for a remote one)
        if config.real_impacts and datasets.impact_classes(
                config.real_audio_data, config.target_class, config.corpus_seed) != []:
            for name, trainer in (("Transfer", transfer_trainer), ("Scratch", scratch_trainer)):
                evaluator = tfx.components.Evaluator(
                    examples=real[0].outputs["examples"], model=trainer.outputs["model"],
                    example_splits=["impacts"],
                    eval_config=eval_config(config, gated=False,
                                            slice_features=IMPACT_SLICE_FEATURES),
                ).with_id(f"{name}ImpactEvaluator")
                evaluator.add_upstream_node(real[3])
                impact_evaluators.append(evaluator)
        real_gate = RealAudioGate(
            model=transfer_trainer.outputs["model"], blessing=blessing,
            real_evaluation=real_evaluators[0].outputs["evaluation"],
            real_accuracy_threshold=float(config.real_accuracy_threshold),
            **({"impact_evaluation": impact_evaluators[0].outputs["evaluation"],
                "max_impact_false_alarms": float(config.max_impact_false_alarms)}
               if impact_evaluators else {}))
        blessing = real_gate.outputs["real_blessing"]
        real_nodes = real + real_evaluators + impact_evaluators + [real_gate]
    pusher = AtomicPusher(
        model=transfer_trainer.outputs["model"],
        model_blessing=blessing,
        push_destination=tfx.proto.PushDestination(
            filesystem=tfx.proto.PushDestination.Filesystem(
                base_directory=f"{config.serving_dir}/{config.serving_model_name}"))
    ).with_id("Pusher")

    components = (source + target + [schema_gen, source_trainer, transfer_trainer,
                                     scratch_trainer, baseline_resolver, transfer_evaluator,
                                     scratch_evaluator, gain, pusher] + real_nodes)
    return tfx.dsl.Pipeline(
        pipeline_name=config.pipeline_id, pipeline_root=config.pipeline_root,
        components=components, enable_cache=True,
        metadata_connection_config=tfx.orchestration.metadata.sqlite_metadata_connection_config(
            config.metadata_path),
        beam_pipeline_args=beam_args_with_worker_image(config.beam_pipeline_args,
                                                       config.beam_worker_image))


# Beam options by which TFX sees that the workers already have TFX and the project's code
# (tfx.utils.dependency_utils.make_beam_dependency_flags). Without one, every Beam-based component
# of every run first builds a throwaway sdist of the TFX installation to ship to the workers
# (about 2 s each, ten components a run), also on the DirectRunner, which needs none.
BEAM_DEPENDENCY_OPTIONS = ("extra_package", "extra_packages", "setup_file", "requirements_file",
                           "sdk_container_image", "worker_harness_container_image")


def beam_args_with_worker_image(beam_args: Sequence[str], image: str) -> List[str]:
    """``beam_args`` plus ``--sdk_container_image=image``, unless they already say how the
    workers get their code. The image (the Dockerfile's) holds TFX and this project, which is
    what Dataflow, Flink or Spark workers need; the DirectRunner runs this environment's code
    and does not read the option."""
    given = {arg.split("=", 1)[0].lstrip("-") for arg in beam_args if arg.startswith("--")}
    if given & set(BEAM_DEPENDENCY_OPTIONS) or not image:
        return list(beam_args)
    return list(beam_args) + [f"--sdk_container_image={image}"]
