#!/usr/bin/env bash
# The device check of issue 14, one command for a machine with one NVIDIA GPU (H100/H200), no network, and a
# python3 that has CuPy 14, NumPy, SciPy, matplotlib, tqdm, pytest, mpi4py and threadpoolctl but not gast/astor:
#
#     benchmarks/gpu_check.sh [OUT_DIR] [WHEEL_DIR]      (defaults: gpu_check_out, benchmarks/wheels)
#
# WHEEL_DIR must hold the gast and astor wheels (benchmarks/fetch_gpu_wheels.sh downloads them, on a machine
# with network). Steps, each under its own time limit and all within 8 minutes:
#   0. install: pip --no-index gast/astor from WHEEL_DIR, then the project (--no-deps -e .; PYTHONPATH otherwise)
#   1. the gpu-marked tests: training on real CuPy first, then the corpus on CuPy (fused code against NumPy;
#      a spread sample of GPU_CORPUS_SAMPLE=200 cases by default, 0 for all)
#   2. benchmarks/bench_gpu.py: Rf, Rb, T_f/T_b of logreg/MLP/CNN at batch 64 and 1024, fused and unfused
#   3. 1-epoch MLP and CNN runs with --backend cupy, first-step loss checked against a CPU run of the same seed
# and writes OUT_DIR/gpu_check.json and OUT_DIR/gpu_check.md (plus each step's log). Exit status 0 when all passed.
# GPU_CHECK_REHEARSAL=1 runs the same steps on the CPU (NumPy backend, small benchmark models) to test the script.
set -uo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-gpu_check_out}
WHEELS=${2:-benchmarks/wheels}
PY=${PYTHON:-python3}
BUDGET=${GPU_CHECK_BUDGET:-470}  # seconds for everything (8 minutes, less a margin for the report)
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
SITE="$OUT/site-packages"
: >"$OUT/steps.tsv"
START=$SECONDS

# step NAME LIMIT LOG COMMAND...: run COMMAND with at most LIMIT seconds (less if the budget is nearly spent),
# output to OUT/LOG, and record "NAME<TAB>exit status<TAB>seconds" in steps.tsv (124: timed out).
step() {
    local name=$1 limit=$2 log=$3
    shift 3
    local left=$((BUDGET - (SECONDS - START)))
    if [ "$left" -lt "$limit" ]; then
        limit=$left
    fi
    local t=$SECONDS rc=124
    if [ "$limit" -gt 5 ]; then
        echo "== $name (at most ${limit}s)"
        # (through bash -c: COMMAND may be one of the exported functions below)
        timeout --signal=INT --kill-after=10 "$limit" bash -c '"$@"' _ "$@" >"$OUT/$log" 2>&1
        rc=$?
    else
        echo "== $name: skipped, the time budget is spent" | tee "$OUT/$log"
    fi
    printf '%s\t%s\t%s\n' "$name" "$rc" "$((SECONDS - t))" >>"$OUT/steps.tsv"
    tail -n 3 "$OUT/$log"
}

do_install() {
    if ! ls "$WHEELS"/gast-*.whl "$WHEELS"/astor-*.whl >/dev/null 2>&1; then
        echo "no gast/astor wheels in $WHEELS: run benchmarks/fetch_gpu_wheels.sh $WHEELS where there is network"
        return 1
    fi
    if "$PY" -m pip install --no-index --find-links "$WHEELS" "gast~=0.7.0" "astor~=0.8.1"; then
        "$PY" -m pip install --no-deps --no-build-isolation -e . ||
            echo "editable install failed (no setuptools offline?): using PYTHONPATH=$PWD instead"
    else  # an externally managed python: put the two packages in a folder of their own
        echo "pip cannot install into this python: gast and astor go to $SITE (on PYTHONPATH)"
        "$PY" -m pip install --no-index --find-links "$WHEELS" --target "$SITE" "gast~=0.7.0" "astor~=0.8.1"
    fi
}
export -f do_install
export PY WHEELS SITE
step "install" 60 install.txt do_install
export PYTHONPATH="$PWD:$SITE${PYTHONPATH:+:$PYTHONPATH}"
BACKEND=cupy
BENCH=()
if [ -n "${GPU_CHECK_REHEARSAL:-}" ]; then
    BACKEND=numpy
    BENCH=(--backend numpy --small)
    echo "rehearsal on the CPU: --backend numpy" >"$OUT/device.txt"
else
    "$PY" -c "import cupy; assert cupy.is_available(), 'no CUDA device'; print('CuPy', cupy.__version__)" \
        >"$OUT/device.txt" 2>&1 || { cat "$OUT/device.txt"; echo "no usable GPU: stopping"; exit 2; }
    nvidia-smi >>"$OUT/device.txt" 2>&1 || true
fi

gpu_tests() {
    "$PY" -m pytest -q -p no:cacheprovider -m gpu tests/training
    local a=$?
    # a spread sample of the corpus (each case compiles its own CUDA kernels); 0 runs all of it
    TANGENT_FWD_GPU_CORPUS_SAMPLE=${GPU_CORPUS_SAMPLE:-200} "$PY" -m pytest -q -p no:cacheprovider -m gpu \
        tests/test_backend_strict.py
    local b=$?
    return $((a > b ? a : b))
}
export -f gpu_tests
step "gpu-marked tests" 170 pytest_gpu.txt gpu_tests
step "bench_gpu.py" 130 bench.txt "$PY" benchmarks/bench_gpu.py ${BENCH[@]+"${BENCH[@]}"} --quick --budget 90 \
    --out "$OUT"
for model in mlp cnn; do
    size=()
    if [ "$model" = cnn ]; then
        size=(--channels 64 --hidden 1024)  # the paper's CNN
    fi
    step "train $model $BACKEND (1 epoch)" 45 "train_${model}_cupy.txt" "$PY" -m tangent_fwd.cli train \
        --model "$model" ${size[@]+"${size[@]}"} --backend "$BACKEND" --epochs 1 --seed 0 --no-progress \
        --out-dir "$OUT/train_${model}_cupy"
    step "train $model numpy (first step)" 25 "train_${model}_numpy.txt" "$PY" -m tangent_fwd.cli train \
        --model "$model" ${size[@]+"${size[@]}"} --backend numpy --epochs 1 --max-steps 1 --seed 0 --no-progress \
        --out-dir "$OUT/train_${model}_numpy"
done
"$PY" benchmarks/bench_gpu.py --report "$OUT" >"$OUT/report.txt" 2>&1
cat "$OUT/report.txt"
echo "total: $((SECONDS - START)) s; reports: $OUT/gpu_check.json, $OUT/gpu_check.md"
"$PY" -c "import json, sys; sys.exit(0 if json.load(open('$OUT/gpu_check.json'))['ok'] else 1)"
