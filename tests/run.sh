#!/usr/bin/env bash
# The test command (README, CI): the whole suite on TensorFlow, then on JAX what the backend
# changes -- the engine and every family, the backend seam, losses, regularizers, layers, the
# tf.data pipeline and the streaming metric (learning tests and notebooks run on TensorFlow;
# test_cross_backend.py compares the two backends from the TensorFlow run).
set -euo pipefail
cd "$(dirname "$0")/.."
python -m pytest -n 2 -q "$@"
KERAS_BACKEND=jax python -m pytest -n 2 -q -m "not slow" "$@" \
    tests/models tests/test_backend.py tests/test_regularizers.py tests/test_losses.py \
    tests/layers tests/datasets/test_pipeline.py tests/datasets/test_data_augmentation.py \
    tests/metrics/test_keras_metrics.py keras_mmgan/backend keras_mmgan/models
