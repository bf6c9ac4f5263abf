"""Cold transform of realistic_loss and mlp_loss with this process's CPU time (time.process_time): one
line per process, min / first quartile / median over 25 fresh ``compiler.Unit(...).build().compile()``
after 5 warm-up builds. ``cold_ab.sh`` runs it alternately on two source trees (before / after), so that
both see the same load; used for docs/benchmarks.md (issue 15, second round).

    PYTHONPATH=TREE python cold_ab.py TREE
"""

import statistics
import sys
import time

sys.path.insert(0, sys.argv[1] + "/benchmarks")
from bench_compiler import realistic_loss  # noqa: E402

from tangent_fwd import backends, compiler  # noqa: E402
from tangent_fwd.training.models import mlp_loss  # noqa: E402

b = backends.get("numpy")
for _ in range(5):
    compiler.Unit(realistic_loss, ("params",), b).build().compile()
out = []
for fn in (realistic_loss, mlp_loss):
    ts = []
    for _ in range(25):
        t0 = time.process_time()
        compiler.Unit(fn, ("params",), b).build().compile()
        ts.append(time.process_time() - t0)
    ts.sort()
    out.append(f"{fn.__name__} min {ts[0] * 1e3:.2f} q1 {ts[6] * 1e3:.2f} med {statistics.median(ts) * 1e3:.2f}")
print(" | ".join(out))
