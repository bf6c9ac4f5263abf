"""Compile-time and call-overhead costs of the source transformation.

1. Cold transform of each model's loss (``tangent_fwd.training.models``) w.r.t. ``params``:
   ``Unit(func, ("params",), backends.get("numpy")).build()`` (parse -> generated source) and
   ``.build()`` + ``.compile()`` (-> a callable). A fresh ``Unit`` each time (tangent_fwd caches
   nothing below ``Unit``); the very first build in the process (import-time effects, cold
   ``inspect``/``linecache``) is reported separately. Target: <= 10 ms.
2. Per-call cost of ``forward_diff`` on the scalar function ``sin(x)*x**2 + exp(x)/x`` (``math``):
   f alone, a hand-written JVP, the generated function called directly, and the ``forward_diff``
   object (dispatch included). Target: f+JVP via ``forward_diff`` <= 0.5 µs.

    python benchmarks/bench_compile.py [--quick] [--out DIR]
"""
import argparse
import math
import os
import statistics
import sys
import time
import timeit as _timeit

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _paper_common import add_blas_threads_arg, git_head, loadavg, set_blas_threads  # noqa: E402
from _common import machine, reexec_without_blas_overrides, summary, write  # noqa: E402

reexec_without_blas_overrides()

import tangent_fwd  # noqa: E402
from tangent_fwd import backends  # noqa: E402
from tangent_fwd.compiler import Unit  # noqa: E402
from tangent_fwd.training import models  # noqa: E402


def scalar_f(x):
    return math.sin(x) * x ** 2 + math.exp(x) / x


def scalar_f_jvp_hand(x, dx):
    s, e = math.sin(x), math.exp(x)
    x2 = x * x
    return s * x2 + e / x, (math.cos(x) * x2 + 2.0 * s * x) * dx + (e / x - e / x2) * dx


def cold_transform(func, repeats):
    """(first build ms, first build+compile ms, [build ms], [build+compile ms]) with fresh Units."""
    be = backends.get("numpy")
    t0 = time.perf_counter()
    Unit(func, ("params",), be).build()
    first_build = time.perf_counter() - t0
    t0 = time.perf_counter()
    Unit(func, ("params",), be).build().compile()
    first_both = time.perf_counter() - t0
    builds, both = [], []
    for _ in range(repeats):
        t0 = time.perf_counter()
        u = Unit(func, ("params",), be).build()
        t1 = time.perf_counter()
        u.compile()
        t2 = time.perf_counter()
        builds.append(t1 - t0)
        t0 = time.perf_counter()
        Unit(func, ("params",), be).build().compile()
        both.append(time.perf_counter() - t0)
    return first_build, first_both, builds, both


def per_call(fns, number, repeats):
    """Interleaved: each repeat runs every statement ``number`` times; seconds per call."""
    timers = {k: _timeit.Timer(stmt, globals=g) for k, (stmt, g) in fns.items()}
    for t in timers.values():
        t.timeit(number // 10 or 1)
    out = {k: [] for k in fns}
    for _ in range(repeats):
        for k, t in timers.items():
            out[k].append(t.timeit(number) / number)
    return out


def profile_build(func):
    """Top functions (cumulative) of a cold build+compile, for the write-up."""
    import cProfile
    import io
    import pstats
    pr = cProfile.Profile()
    pr.enable()
    for _ in range(20):
        Unit(func, ("params",), backends.get("numpy")).build().compile()
    pr.disable()
    s = io.StringIO()
    pstats.Stats(pr, stream=s).sort_stats("tottime").print_stats(12)
    return s.getvalue()


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeats", type=int, default=30)
    ap.add_argument("--number", type=int, default=200_000)
    ap.add_argument("--call-repeats", type=int, default=15)
    ap.add_argument("--profile", action="store_true", help="store a cProfile of the MLP build in the JSON")
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "results"))
    add_blas_threads_arg(ap)
    a = ap.parse_args(argv)
    blas_threads = set_blas_threads(a.blas_threads)
    if a.quick:
        a.repeats, a.number, a.call_repeats = 3, 5_000, 3
    mach = machine()
    mach["blas_threads_setting"] = blas_threads
    mach["loadavg_start"] = loadavg()
    mach["tangent_fwd_commit"] = git_head()
    print(f"machine: {mach}", flush=True)

    transform = {}
    for name in models.MODEL_NAMES:
        loss = models.get_model(name).loss
        fb, fbc, b, bc = cold_transform(loss, a.repeats)
        n_lines = Unit(loss, ("params",), backends.get("numpy")).build().source.count("\n")
        transform[name] = {"first_build_s": fb, "first_build_compile_s": fbc, "build": summary(b),
                           "build_compile": summary(bc), "generated_lines": n_lines}
        print(f"{name}: build {statistics.median(b) * 1e3:.2f} ms, +compile {statistics.median(bc) * 1e3:.2f} ms "
              f"(first: {fb * 1e3:.2f} / {fbc * 1e3:.2f} ms)", flush=True)

    fd = tangent_fwd.forward_diff(scalar_f, wrt=0)
    x0 = 1.3
    val, d = fd(x0, 1.0)
    hv, hd = scalar_f_jvp_hand(x0, 1.0)
    h = 1e-6
    fdiff = (scalar_f(x0 + h) - scalar_f(x0 - h)) / (2 * h)
    checks = {"value": math.isclose(val, scalar_f(x0), rel_tol=1e-12),
              "tangent_eq_hand": math.isclose(d, hd, rel_tol=1e-12),
              "tangent_eq_finite_diff": math.isclose(d, fdiff, rel_tol=1e-6),
              "hand_value": math.isclose(hv, val, rel_tol=1e-12)}
    if not all(checks.values()):
        raise AssertionError(f"scalar JVP check failed: {checks}")
    gen = fd.generated_function()
    g = {"f": scalar_f, "fd": fd, "gen": gen, "hand": scalar_f_jvp_hand, "x": x0}
    calls = per_call({"f": ("f(x)", g), "hand_jvp": ("hand(x, 1.0)", g), "generated_jvp": ("gen(x, 1.0)", g),
                      "forward_diff": ("fd(x, 1.0)", g), "empty_call": ("f", g)}, a.number, a.call_repeats)
    calls = {k: summary(v) for k, v in calls.items()}
    med = {k: v["median"] for k, v in calls.items()}
    overhead = {"forward_diff_minus_hand_s": med["forward_diff"] - med["hand_jvp"],
                "forward_diff_minus_generated_s": med["forward_diff"] - med["generated_jvp"],
                "forward_diff_over_hand": med["forward_diff"] / med["hand_jvp"],
                "forward_diff_over_f": med["forward_diff"] / med["f"]}
    mach["loadavg_end"] = loadavg()
    payload = {"machine": mach, "config": vars(a), "transform": transform, "scalar_checks": checks,
               "scalar_source": tangent_fwd.source(scalar_f), "per_call": calls, "overhead": overhead,
               "checks_passed": all(checks.values()),
               "targets": {"cold_build_compile_le_10ms": all(v["build_compile"]["median"] <= 0.010
                                                            for v in transform.values()),
                           "scalar_f_jvp_le_0.5us": med["forward_diff"] <= 0.5e-6},
               "command": "python " + " ".join([os.path.relpath(__file__)] + (argv if argv is not None else sys.argv[1:]))}
    if a.profile:
        payload["profile_mlp_build"] = profile_build(models.get_model("mlp").loss)
    md = ["# Compile time and per-call overhead", "",
          f"machine: {mach['cpu']}, {mach['cores']} cores; python {mach['python']}, numpy {mach['numpy']}", "",
          f"Cold transform of each model loss w.r.t. params (fresh `Unit` each time, {a.repeats} repeats; "
          "median, IQR in ms; 'first' = first build in the process):", "",
          "| model | generated lines | build (parse→source) | build + compile | first build | first build+compile |",
          "|---|---|---|---|---|---|"]
    for name, v in transform.items():
        b, bc = v["build"], v["build_compile"]
        md.append(f"| {name} | {v['generated_lines']} | {b['median'] * 1e3:.2f} ({b['q1'] * 1e3:.2f}–{b['q3'] * 1e3:.2f}) | "
                  f"{bc['median'] * 1e3:.2f} ({bc['q1'] * 1e3:.2f}–{bc['q3'] * 1e3:.2f}) | "
                  f"{v['first_build_s'] * 1e3:.2f} | {v['first_build_compile_s'] * 1e3:.2f} |")
    md += ["", f"Per call, scalar `sin(x)*x**2 + exp(x)/x` with `math` ({a.number:,} calls × {a.call_repeats} "
               "repeats, median ns, IQR):", "", "| what | ns/call |", "|---|---|"]
    labels = {"empty_call": "(loop overhead: name lookup only)", "f": "f(x)", "hand_jvp": "hand-written f+JVP",
              "generated_jvp": "generated f+JVP called directly", "forward_diff": "`forward_diff(f)(x, dx)`"}
    for k, lab in labels.items():
        c = calls[k]
        md.append(f"| {lab} | {c['median'] * 1e9:.0f} ({c['q1'] * 1e9:.0f}–{c['q3'] * 1e9:.0f}) |")
    md += ["", f"forward_diff − hand-written: {overhead['forward_diff_minus_hand_s'] * 1e9:.0f} ns; "
               f"forward_diff − generated: {overhead['forward_diff_minus_generated_s'] * 1e9:.0f} ns "
               "(the dispatch of the ForwardDiff object)", "",
           f"targets: cold build+compile ≤ 10 ms: {'met' if payload['targets']['cold_build_compile_le_10ms'] else 'MISSED'}; "
           f"scalar f+JVP ≤ 0.5 µs: {'met' if payload['targets']['scalar_f_jvp_le_0.5us'] else 'MISSED'}", "",
           "Generated code for the scalar function:", "", "```python", payload["scalar_source"].rstrip(), "```", ""]
    md = "\n".join(md)
    write(a.out, "compile", payload, md)
    print(md)
    return payload


if __name__ == "__main__":
    main()
