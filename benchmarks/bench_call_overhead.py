"""What the soundness checks cost a call: ``forward_diff(f)(...)`` against the generated function it
runs, called directly, in the same run (interleaved repeats after warm-up, medians).

Every call of a ForwardDiff object checks that the names its code was specialised on (callees,
modules, builtins a global may shadow) still denote the same objects and that no function's
``__code__`` was swapped; this measures that check on the training models' losses at batch 1 (where the
call overhead matters most) and at batch 64.

A second table (``library_entry``) times a library callable passed straight to the API,
``tangent_fwd.jvp(np.sin, (x,), (dx,))``, against the same call through a one-line user function
``def f(x): return np.sin(x)`` (and likewise ``forward_diff(np.sin)`` against ``forward_diff(f)``), in one
run; the ratio of medians is the cost of the generated one-call wrapper's lookup (target <= 1).

    python benchmarks/bench_call_overhead.py [--repeats 200] [--out benchmarks/results] [--only library]
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


def user_sin(x):
    return np.sin(x)


def bench_library_entry(repeats, number):
    """``jvp(np.sin, ...)`` vs ``jvp(user_sin, ...)`` and the forward_diff objects, interleaved in one run."""
    rng = np.random.default_rng(1)
    rows = []
    for n in (1, 64):
        x, dx = rng.standard_normal(n), rng.standard_normal(n)
        direct = tangent_fwd.jvp(np.sin, (x,), (dx,))
        user = tangent_fwd.jvp(user_sin, (x,), (dx,))
        assert np.array_equal(direct[0], user[0]) and np.array_equal(direct[1], user[1])
        fd_lib, fd_user = tangent_fwd.forward_diff(np.sin), tangent_fwd.forward_diff(user_sin)
        t = timeit(
            {
                "jvp(np.sin)": lambda: tangent_fwd.jvp(np.sin, (x,), (dx,)),  # noqa: B023
                "jvp(user_sin)": lambda: tangent_fwd.jvp(user_sin, (x,), (dx,)),  # noqa: B023
                "forward_diff(np.sin)": lambda: fd_lib(x, dx),  # noqa: B023
                "forward_diff(user_sin)": lambda: fd_user(x, dx),  # noqa: B023
            },
            repeats,
            number=number,
        )
        s = {k: summary(v) for k, v in t.items()}
        med = {k: v["median"] for k, v in s.items()}
        row = {
            "n": n,
            "times": s,
            "jvp_ratio": med["jvp(np.sin)"] / med["jvp(user_sin)"],
            "forward_diff_ratio": med["forward_diff(np.sin)"] / med["forward_diff(user_sin)"],
        }
        rows.append(row)
        print(
            f"n={n:3d}: jvp(np.sin) {med['jvp(np.sin)'] * 1e6:.2f} us, jvp(user_sin) {med['jvp(user_sin)'] * 1e6:.2f} us "
            f"(ratio {row['jvp_ratio']:.3f}); forward_diff ratio {row['forward_diff_ratio']:.3f}",
            flush=True,
        )
    return rows


def _library_markdown(rows, repeats, number):
    md = [
        "# A library callable passed straight to the API vs the same call in a one-line user function",
        "",
        "Written by `python benchmarks/bench_call_overhead.py --only library`.",
        "",
        f"machine: {machine()}",
        "",
        "| n | jvp(np.sin) (us) | jvp(user_sin) (us) | ratio | forward_diff(np.sin) (us) "
        "| forward_diff(user_sin) (us) | ratio |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        t = r["times"]
        md.append(
            f"| {r['n']} | {t['jvp(np.sin)']['median'] * 1e6:.2f} | {t['jvp(user_sin)']['median'] * 1e6:.2f} "
            f"| {r['jvp_ratio']:.3f} | {t['forward_diff(np.sin)']['median'] * 1e6:.2f} "
            f"| {t['forward_diff(user_sin)']['median'] * 1e6:.2f} | {r['forward_diff_ratio']:.3f} |"
        )
    md.append("")
    md.append(f"Medians over {repeats} samples of {number} calls each, interleaved, after warm-up (ratio of medians).")
    return "\n".join(md) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=200)
    ap.add_argument("--number", type=int, default=20, help="calls per timed sample")
    ap.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "results"))
    ap.add_argument("--only", choices=("models", "library"), default=None, help="run one of the two tables")
    a = ap.parse_args()
    if a.only != "models":
        rows = bench_library_entry(a.repeats, a.number)
        payload = {"machine": machine(), "repeats": a.repeats, "number": a.number, "rows": rows}
        write(a.out, "library_entry", payload, _library_markdown(rows, a.repeats, a.number))
        if a.only == "library":
            return
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
