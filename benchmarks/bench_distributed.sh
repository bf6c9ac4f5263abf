#!/usr/bin/env bash
# Time per step of tangent_fwd.training.distributed on 1 vs 2 ranks (docs/distributed.md).
#   bash benchmarks/bench_distributed.sh [OUT_DIR]      (needs: pip install mpi4py mpich)
# Settings (environment variables):
#   MODELS="logreg mlp cnn"  BATCHES="64 256"  REPS=2  RANKS="1 2"
#   THREADS=N   pass --threads-per-rank N (default: the trainer divides the cores among the ranks on the node)
#   EXTRA="..."  more options, e.g. EXTRA="--width 256" or EXTRA="--distribution rademacher"
# The table in docs/distributed.md was taken with THREADS=1 (one BLAS thread per rank, as OMP_NUM_THREADS=1
# did before the trainer limited threads itself); the threads-per-rank table with MODELS=mlp BATCHES=64
# EXTRA="--width 256" and THREADS unset vs THREADS=$(nproc) (every rank's BLAS on every core).
# PARTS=1: instead, the single-thread cost of each part of a step (draw a direction, update, JVP per batch),
# the "Where the time goes" table (DIST=rademacher: Rademacher directions).
set -euo pipefail
if [ -n "${PARTS:-}" ]; then
  exec python - ${MODELS:-logreg mlp cnn} <<'PY'
import os, sys, time
import numpy as np
from threadpoolctl import threadpool_limits
from tangent_fwd.api import jvp
from tangent_fwd.data import load_mnist
from tangent_fwd.training import models
from tangent_fwd.training.forward_gradient import DirectionSampler
from tangent_fwd.training.optim import make_optimizer

def median_ms(fn, reps):
    fn()
    ts = []
    for _ in range(reps):
        t0 = time.perf_counter(); fn(); ts.append(time.perf_counter() - t0)
    return 1000 * float(np.median(ts))

threadpool_limits(1)
x, y, _, _ = load_mnist()
print(f"{'model':7s} {'draw':>8s} {'update':>8s} " + " ".join(f"{'jvp b' + str(b):>9s}" for b in (32, 64, 128, 256)))
for name in sys.argv[1:]:
    model = models.get_model(name)
    params = model.init(0)
    sampler = DirectionSampler(params, os.environ.get("DIST", "normal"), np.random.default_rng(0))
    v = sampler.sample()
    grads = {k: np.array(a) for k, a in v.items()}
    opt = make_optimizer("sgd", model.loss, params, 1e-6, decay=0.0)
    row = [median_ms(sampler.sample, 10), median_ms(lambda: opt.update(grads), 10)]
    for b in (32, 64, 128, 256):
        row.append(median_ms(lambda: jvp(model.loss, (params, x[:b], y[:b]), (v, None, None)), 10))
    print(f"{name:7s} " + " ".join(f"{t:8.2f}" if i < 2 else f"{t:9.2f}" for i, t in enumerate(row)))
PY
fi
out=${1:-runs/bench_distributed}
launcher=$(command -v mpiexec || command -v mpirun)
extra=()
if "$launcher" --version 2>&1 | grep -qi "open mpi\|openrte\|prte"; then
  extra=(--oversubscribe)
  export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
fi
threads=()
[ -n "${THREADS:-}" ] && threads=(--threads-per-rank "$THREADS")
read -r -a more <<< "${EXTRA:-}"
printf "%-7s %6s %5s %7s %4s %10s %12s %12s\n" model batch ranks threads rep ms/step comm_ms/step bytes/step
for m in ${MODELS:-logreg mlp cnn}; do
  steps=40; [ "$m" = logreg ] && steps=300
  for bs in ${BATCHES:-64 256}; do
    for rep in $(seq 1 "${REPS:-2}"); do
      for n in ${RANKS:-1 2}; do
        d="$out/$m-$bs-$n-$rep"
        "$launcher" "${extra[@]}" -n "$n" python -m tangent_fwd.training.distributed --model "$m" --steps "$steps" \
          --batch-size "$bs" --no-eval --no-progress --check-every 0 --out-dir "$d" \
          "${threads[@]}" "${more[@]}" > /dev/null
        python - "$d/distributed_${m}_sgd.json" "$m" "$bs" "$n" "$rep" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
m, bs, n, rep = sys.argv[2:]
print(f"{m:7s} {bs:>6s} {n:>5s} {r['threads_per_rank']!s:>7s} {rep:>4s} {1000 * r['step_time']:10.3f} "
      f"{1000 * r['comm_time'] / r['steps']:12.3f} {r['bytes_per_step']:>12d}")
PY
      done
    done
  done
done
