# The pipeline image for Kubeflow Pipelines: every component (ExampleGen with Beam, TFDV, Trainers,
# TFMA Evaluator, Pusher) runs from it. Trainers get a GPU through the compiled spec.
#
# Base: Ubuntu 22.04, whose system Python is 3.10 (TFX 1.16 supports Python 3.9-3.10 only), with
# TensorFlow 2.16.2's CUDA 12 / cuDNN libraries from the pinned `tensorflow[and-cuda]` wheels
# (kubeflow/requirements-gpu.txt). The node provides the NVIDIA driver.
FROM ubuntu:22.04

ENV DEBIAN_FRONTEND=noninteractive PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 \
    TF_CPP_MIN_LOG_LEVEL=2 PYTHONHASHSEED=0
RUN apt-get update && apt-get install -y --no-install-recommends \
        python3.10 python3.10-venv python3-pip libsndfile1 ca-certificates && \
    rm -rf /var/lib/apt/lists/* && \
    ln -sf /usr/bin/python3.10 /usr/local/bin/python

WORKDIR /opt/fewshot
COPY requirements.txt kubeflow/requirements-gpu.txt /tmp/
RUN python -m pip install -U "pip>=24" && \
    python -m pip install -r /tmp/requirements.txt -r /tmp/requirements-gpu.txt

# The project, installed so that dotted run_fn paths (components.tfx.trainer_source.run_fn) import;
# schemas stay at /opt/fewshot/schemas/<profile>/schema.pbtxt for ImportSchemaGen.
COPY pyproject.toml README.md ./
COPY components ./components
COPY pipeline ./pipeline
COPY schemas ./schemas
COPY kubeflow ./kubeflow
RUN python -m pip install --no-deps --no-build-isolation . && \
    python -c "import components.tfx.trainer_source, components.tfx.trainer_target, pipeline.pipeline"
