#!/usr/bin/env sh
# The same server on one machine: serve every version the Pusher wrote under build/serving.
# REST on 8501, gRPC on 8500. Needs a Docker engine (not available on the CI machines).
SERVING_DIR="${1:-$(pwd)/build/serving}"
exec docker run --rm -p 8501:8501 -p 8500:8500 \
  -v "${SERVING_DIR}/glassbreak_tagger:/models/glassbreak_tagger:ro" \
  -e MODEL_NAME=glassbreak_tagger tensorflow/serving:2.16.1
