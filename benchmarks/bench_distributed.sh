#!/usr/bin/env bash
# Time per step of tangent_fwd.training.distributed on 1 vs 2 ranks (docs/distributed.md).
#   bash benchmarks/bench_distributed.sh [OUT_DIR]      (needs: pip install mpi4py mpich)
# Run it on a quiet machine: every rank is single-threaded (OMP_NUM_THREADS=1), and one core per rank.
set -euo pipefail
out=${1:-runs/bench_distributed}
launcher=$(command -v mpiexec || command -v mpirun)
extra=()
if "$launcher" --version 2>&1 | grep -qi "open mpi\|openrte\|prte"; then
  extra=(--oversubscribe)
  export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
fi
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1
printf "%-7s %6s %5s %4s %10s %12s %12s\n" model batch ranks rep ms/step comm_ms/step bytes/step
for m in logreg mlp cnn; do
  steps=40; [ "$m" = logreg ] && steps=300
  for bs in 64 256; do
    for rep in 1 2; do
      for n in 1 2; do
        d="$out/$m-$bs-$n-$rep"
        "$launcher" "${extra[@]}" -n "$n" python -m tangent_fwd.training.distributed --model "$m" --steps "$steps" \
          --batch-size "$bs" --no-eval --check-every 0 --out-dir "$d" > /dev/null
        python - "$d/distributed_${m}_sgd.json" "$m" "$bs" "$n" "$rep" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
m, bs, n, rep = sys.argv[2:]
print(f"{m:7s} {bs:>6s} {n:>5s} {rep:>4s} {1000 * r['step_time']:10.3f} {1000 * r['comm_time'] / r['steps']:12.3f} "
      f"{r['bytes_per_step']:>12d}")
PY
      done
    done
  done
done
