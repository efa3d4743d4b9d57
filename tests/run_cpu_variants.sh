#!/usr/bin/env bash
# Runs tests under the CPU settings that change TensorFlow's kernels and the order of its float
# sums, so that a check which holds on one machine only (bit-equality where the math allows
# reordering, one of several right error messages) shows up before it fails elsewhere:
#   OMP_NUM_THREADS=1 TF_NUM_INTRAOP_THREADS=1   one thread: sums in another order
#   TF_ENABLE_ONEDNN_OPTS=0                       TensorFlow's Eigen kernels instead of oneDNN's
# (the third kind of difference, AVX2-only CPUs against AVX-512 ones, needs another machine).
#
# Usage, from anywhere:
#   tests/run_cpu_variants.sh                          # the whole suite but slow tests, each way
#   tests/run_cpu_variants.sh tests/models/test_gan.py -k generate   # any pytest arguments
# Exits non-zero if any variant fails.
set -uo pipefail
cd "$(dirname "$0")/.."
if [ $# -eq 0 ]; then
    set -- -q -m "not slow" tests
fi
status=0
for variant in "OMP_NUM_THREADS=1 TF_NUM_INTRAOP_THREADS=1" "TF_ENABLE_ONEDNN_OPTS=0"; do
    echo "== $variant python -m pytest $*"
    env $variant python -m pytest -p no:cacheprovider "$@" || status=1
done
exit $status
