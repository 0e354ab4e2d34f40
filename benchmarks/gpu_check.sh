#!/usr/bin/env bash
# The GPU check (benchmarks/gpu_check.py) within 8 minutes: on a CUDA machine its figures, elsewhere one line
# ("no CUDA device ...") and exit 0. Usage: RNNKIT_DATA_DIR=../shared/data bash benchmarks/gpu_check.sh
set -euo pipefail
cd "$(dirname "$0")/.."
export KERAS_BACKEND=torch
exec timeout 480 python benchmarks/gpu_check.py "$@"
