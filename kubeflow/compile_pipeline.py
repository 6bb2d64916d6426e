"""Compile ``create_pipeline(config)`` into a Kubeflow Pipelines (v2) spec with GPU Trainers.

    python kubeflow/compile_pipeline.py --profile paper --image REGISTRY/fewshot-tagging:TAG \\
        --pipeline-root gs://BUCKET/tfx --data gs://BUCKET/dcase2017 \\
        --serving-dir gs://BUCKET/serving --output build/pipeline.json \\
        --beam-arg=--runner=DataflowRunner --beam-arg=--project=PROJECT ...

The Trainers request one GPU (and CPU and memory); Beam stages take the runner arguments given
with ``--beam-arg``. Trainer code is referenced by dotted path (``components.trainer_*.run_fn``)
and imported from the project installed in the image. The platform settings are applied here
only, so LocalDagRunner never sees them.

This folder is deliberately not a Python package (no ``__init__.py``), so it cannot shadow the
Kubeflow SDK's own names.
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

IMAGE_PROJECT_ROOT = "/opt/fewshot"   # where the Dockerfile installs the project


def apply_trainer_resources(pipeline, config) -> None:
    """Ask for GPUs, CPU and memory on every Trainer (Kubeflow only)."""
    from kfp.pipeline_spec import pipeline_spec_pb2
    from pipeline.pipeline import TRAINER_IDS
    resource_spec = pipeline_spec_pb2.PipelineDeploymentConfig.PipelineContainerSpec.ResourceSpec
    for component in pipeline.components:
        if component.id in TRAINER_IDS:
            spec = resource_spec(cpu_limit=config.trainer_cpu,
                                 memory_limit=_gigabytes(config.trainer_memory))
            if config.trainer_gpus:
                spec.accelerator.CopyFrom(resource_spec.AcceleratorConfig(
                    type="nvidia.com/gpu", count=config.trainer_gpus))
            component.with_platform_config(spec)


def _gigabytes(memory: str) -> float:
    units = {"G": 1.0, "Gi": 1.073741824, "M": 0.001, "Mi": 0.001048576}
    for unit in sorted(units, key=len, reverse=True):
        if memory.endswith(unit):
            return float(memory[:-len(unit)]) * units[unit]
    return float(memory)


def compile_pipeline(args) -> str:
    from tfx import v1 as tfx
    from pipeline import configs
    from pipeline.pipeline import create_pipeline
    overrides = configs.parse_overrides(args.set)
    config = configs.get_config(
        args.profile, data=args.data, source_data=args.source_data,
        source_classes=args.source_classes, target_data=args.target_data,
        target_class=args.target_class, pipeline_root_dir=args.pipeline_root,
        serving_base_dir=args.serving_dir,
        schema_path=args.schema_path or os.path.join(IMAGE_PROJECT_ROOT, "schemas", args.profile,
                                                     "schema.pbtxt"),
        beam_pipeline_args=tuple(args.beam_arg or ()), beam_worker_image=args.image,
        method=args.method,
        real_audio=args.real_audio or "off", **overrides)
    pipeline = create_pipeline(config)
    pipeline.metadata_connection_config = None   # Kubeflow brings its own ML Metadata
    apply_trainer_resources(pipeline, config)
    output_dir, output_file = os.path.split(os.path.abspath(args.output))
    os.makedirs(output_dir, exist_ok=True)
    runner = tfx.orchestration.experimental.KubeflowV2DagRunner(
        config=tfx.orchestration.experimental.KubeflowV2DagRunnerConfig(default_image=args.image),
        output_dir=output_dir, output_filename=output_file)
    runner.run(pipeline, write_out=True)
    return os.path.join(output_dir, output_file)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=["compile"])
    parser.add_argument("--profile", default="paper")
    parser.add_argument("--image", required=True, help="the pipeline container image")
    parser.add_argument("--pipeline-root", required=True, help="e.g. gs://bucket/tfx-root")
    parser.add_argument("--data", default="embedded",
                        help="'embedded' or a DCASE/manifest folder the workers can read")
    parser.add_argument("--source-data", default=None, help="the source task's data (as --data)")
    parser.add_argument("--source-classes", default=None,
                        help="source classes, comma-separated (default babycry)")
    parser.add_argument("--target-data", default=None, help="the target task's data (as --data)")
    parser.add_argument("--target-class", default=None, help="the class to tag (default glassbreak)")
    parser.add_argument("--serving-dir", required=True,
                        help="base folder the Pusher writes <model name>/<version> into")
    parser.add_argument("--schema-path", default=None,
                        help=f"schema inside the image (default {IMAGE_PROJECT_ROOT}/schemas/"
                             "<profile>/schema.pbtxt)")
    parser.add_argument("--method", default=None)
    parser.add_argument("--real-audio", default=None,
                        help="a folder (e.g. gs://bucket/real_audio) holding a set written by "
                             "'python -m pipeline real-audio': adds the real-audio branch "
                             "(with its impacts split: --set real_impacts=0 for a set that "
                             "holds no recordings of other classes)")
    parser.add_argument("--beam-arg", action="append", default=None,
                        help="Beam argument for the Beam stages (repeat)")
    parser.add_argument("--set", action="append", default=None, metavar="NAME=VALUE")
    parser.add_argument("--output", default="build/pipeline.json")
    return parser


def main(argv=None) -> int:
    import warnings
    warnings.filterwarnings("ignore", category=FutureWarning)
    args = build_parser().parse_args(argv)
    path = compile_pipeline(args)
    print(f"Wrote the Kubeflow Pipelines spec to {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
