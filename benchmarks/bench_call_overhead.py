"""What the soundness checks cost a call: ``forward_diff(f)(...)`` against the generated function it
runs, called directly, in the same run (interleaved repeats after warm-up, medians).

Every call of a ForwardDiff object checks that the names its code was specialised on (callees,
modules, builtins a global may shadow) still denote the same objects and that no function's
``__code__`` was swapped; this measures that check on the training models' losses at batch 1 (where the
call overhead matters most) and at batch 64.

    python benchmarks/bench_call_overhead.py [--repeats 200] [--out benchmarks/results]
"""

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import machine, reexec_without_blas_overrides, summary, timeit, write  # noqa: E402

reexec_without_blas_overrides()

import numpy as np  # noqa: E402

import tangent_fwd  # noqa: E402
from tangent_fwd.parse import still_valid  # noqa: E402
from tangent_fwd.training import models  # noqa: E402


def _problem(name, batch, rng):
    m = models.get_model(name)
    size = {"mlp": {"width": 256}, "cnn": {"channels": 4, "hidden": 32}}.get(name, {})
    params = {k: v.astype(np.float32) for k, v in m.init(0, **size).items()}
    x = rng.random((batch, 784), dtype=np.float32)
    y = rng.integers(0, 10, batch)
    v = {k: rng.standard_normal(p.shape).astype(np.float32) for k, p in params.items()}
    return m, params, x, y, v


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=200)
    ap.add_argument("--number", type=int, default=20, help="calls per timed sample")
    ap.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "results"))
    a = ap.parse_args()
    rng = np.random.default_rng(0)
    rows = []
    for name in ("logreg", "mlp", "cnn"):
        for batch in (1, 64):
            m, params, x, y, v = _problem(name, batch, rng)
            fd = tangent_fwd.forward_diff(m.loss, wrt="params")
            fd(params, x, y, v)
            direct = fd.generated_function()
            deps = fd._deps
            t = timeit(
                {
                    "forward_diff call": lambda: fd(params, x, y, v),  # noqa: B023
                    "generated function": lambda: direct(params, x, y, v),  # noqa: B023
                    "validity check alone": lambda: still_valid(deps),  # noqa: B023
                },
                a.repeats,
                number=a.number,
            )
            s = {k: summary(vs) for k, vs in t.items()}
            call, gen, check = (
                s[k]["median"] for k in ("forward_diff call", "generated function", "validity check alone")
            )
            rows.append(
                {
                    "model": name,
                    "batch": batch,
                    "dependencies": len(deps),
                    "times": s,
                    "overhead_us": (call - gen) * 1e6,
                    "check_us": check * 1e6,
                    "ratio": call / gen,
                }
            )
            print(
                f"{name:7s} batch {batch:3d}: call {call * 1e6:8.1f} us, generated {gen * 1e6:8.1f} us, "
                f"ratio {call / gen:5.3f}, validity check {check * 1e6:5.2f} us ({len(deps)} names)",
                flush=True,
            )
    md = [
        "# Call overhead of forward_diff (validity check included) vs the generated function",
        "",
        f"machine: {machine()}",
        "",
        "| model | batch | names checked | forward_diff call (us) | generated fn (us) | ratio | check alone (us) |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        md.append(
            f"| {r['model']} | {r['batch']} | {r['dependencies']} | {r['times']['forward_diff call']['median'] * 1e6:.1f} "
            f"| {r['times']['generated function']['median'] * 1e6:.1f} | {r['ratio']:.3f} | {r['check_us']:.2f} |"
        )
    md.append("")
    md.append(f"Medians over {a.repeats} samples of {a.number} calls each, interleaved, after warm-up.")
    write(a.out, "call_overhead", {"machine": machine(), "rows": rows}, "\n".join(md) + "\n")


if __name__ == "__main__":
    main()
