#!/usr/bin/env bash
# Download the two pure-Python wheels benchmarks/gpu_check.sh installs offline (gast, astor) into a folder
# (default benchmarks/wheels), on a machine with network:   benchmarks/fetch_gpu_wheels.sh [DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
DIR=${1:-benchmarks/wheels}
mkdir -p "$DIR"
${PYTHON:-python3} -m pip download --only-binary=:all: --no-deps --dest "$DIR" "gast~=0.7.0" "astor~=0.8.1"
ls -l "$DIR"
