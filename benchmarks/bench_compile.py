"""Compile time and call overhead for the paper-reproduction report (issue 6), per model loss.

The measurements themselves live in ``bench_compiler.py`` (one implementation, shared): this script
runs ``bench_compiler.bench_transform`` on the three model losses of ``tangent_fwd.training.models``
(w.r.t. ``params``) and ``bench_compiler.bench_scalar`` (per-call f+JVP of ``sin(x)*x**2 + exp(x)/x``
on Python floats), checks the targets of issue 6 and writes ``compile.json`` / ``compile.md``.

1. Cold transform: a fresh ``compiler.Unit`` every repeat, ``build()`` (parse -> generated source) and
   ``build()`` + ``compile()``; the first transform in the process is reported separately.
   Target: <= 10 ms per model loss.
2. Per call: f alone, hand-written f+JVP, the generated function called directly, the ``forward_diff``
   object and ``tangent_fwd.jvp`` (the empty timing lambda's cost subtracted). Target: f+JVP via
   ``forward_diff`` <= 0.5 µs.

    python benchmarks/bench_compile.py [--quick] [--profile] [--out DIR]
"""

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import machine, reexec_without_blas_overrides, write  # noqa: E402
from _paper_common import add_blas_threads_arg, git_head, loadavg, set_blas_threads  # noqa: E402

reexec_without_blas_overrides()

import bench_compiler  # noqa: E402  (the shared measurements)

import tangent_fwd  # noqa: E402
from tangent_fwd import backends  # noqa: E402
from tangent_fwd.compiler import Unit  # noqa: E402
from tangent_fwd.training import models  # noqa: E402

ROWS = {
    "f": "f(x)",
    "f+JVP hand-written": "hand-written f+JVP",
    "f+JVP generated function (direct)": "generated f+JVP called directly",
    "f+JVP forward_diff (public callable)": "`forward_diff(f)(x, dx)`",
    "f+JVP tangent_fwd.jvp()": "`tangent_fwd.jvp(f, (x,), (dx,))`",
}


def profile_build(func):
    """Top functions (own time) of 20 cold build+compiles, for the write-up."""
    import cProfile
    import io
    import pstats

    pr = cProfile.Profile()
    pr.enable()
    for _ in range(20):
        Unit(func, ("params",), backends.get("numpy")).build().compile()
    pr.disable()
    s = io.StringIO()
    pstats.Stats(pr, stream=s).sort_stats("tottime").print_stats(15)
    return s.getvalue()


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeats", type=int, default=30)
    ap.add_argument("--number", type=int, default=200_000)
    ap.add_argument("--call-repeats", type=int, default=15)
    ap.add_argument("--profile", action="store_true", help="store a cProfile of the CNN build in the JSON")
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

    cases = {name: (models.get_model(name).loss, ("params",)) for name in models.MODEL_NAMES}
    transform = bench_compiler.bench_transform(a.repeats, cases)
    for name, v in transform.items():
        print(
            f"{name}: build {v['build_ms']['median']:.2f} ms, +compile {v['build_compile_ms']['median']:.2f} ms "
            f"(first in process {v['first_in_process_ms']:.2f} ms)",
            flush=True,
        )
    scalar = bench_compiler.bench_scalar(a.call_repeats, a.number)  # asserts value/tangent vs hand and FD
    calls = scalar["times_us"]
    med = {k: v["median"] for k, v in calls.items()}
    fd_row, hand_row, gen_row = (
        "f+JVP forward_diff (public callable)",
        "f+JVP hand-written",
        "f+JVP generated function (direct)",
    )
    overhead = {
        "forward_diff_minus_hand_us": med[fd_row] - med[hand_row],
        "forward_diff_minus_generated_us": med[fd_row] - med[gen_row],
        "forward_diff_over_hand": med[fd_row] / med[hand_row],
        "forward_diff_over_f": med[fd_row] / med["f"],
    }
    mach["loadavg_end"] = loadavg()
    payload = {
        "machine": mach,
        "config": vars(a),
        "transform": transform,
        "scalar": scalar,
        "scalar_source": tangent_fwd.source(bench_compiler.scalar_f),
        "overhead": overhead,
        "checks_passed": True,  # bench_scalar raises on a wrong value or tangent
        "targets": {
            "cold_build_compile_le_10ms": all(v["build_compile_ms"]["median"] <= 10.0 for v in transform.values()),
            "scalar_f_jvp_le_0.5us": med[fd_row] <= 0.5,
        },
        "measured_by": "bench_compiler.bench_transform / bench_compiler.bench_scalar",
        "command": "python " + " ".join([os.path.relpath(__file__)] + (argv if argv is not None else sys.argv[1:])),
    }
    if a.profile:
        payload["profile_cnn_build"] = profile_build(models.get_model("cnn").loss)
    md = [
        "# Compile time and per-call overhead",
        "",
        f"machine: {mach['cpu']}, {mach['cores']} cores; python {mach['python']}, numpy {mach['numpy']}; "
        f"tangent_fwd {mach['tangent_fwd_commit']}",
        "",
        f"Cold transform of each model loss w.r.t. params (fresh `Unit` each time, {a.repeats} repeats; "
        "median, IQR in ms; measured by `bench_compiler.bench_transform`):",
        "",
        "| model | source lines | generated lines | build (parse→source) | build + compile | first in process |",
        "|---|---|---|---|---|---|",
    ]
    for name, v in transform.items():
        b, bc = v["build_ms"], v["build_compile_ms"]
        md.append(
            f"| {name} | {v['source_lines']} | {v['generated_lines']} | {b['median']:.2f} ({b['q1']:.2f}–{b['q3']:.2f}) | "
            f"{bc['median']:.2f} ({bc['q1']:.2f}–{bc['q3']:.2f}) | {v['first_in_process_ms']:.2f} |"
        )
    md += [
        "",
        f"Per call, scalar `sin(x)*x**2 + exp(x)/x` with `math` ({a.number:,} calls × {a.call_repeats} "
        f"repeats, median ns, IQR; the empty timing lambda's {scalar['lambda_overhead_us_subtracted'] * 1e3:.0f} ns "
        "subtracted; measured by `bench_compiler.bench_scalar`):",
        "",
        "| what | ns/call |",
        "|---|---|",
    ]
    for k, lab in ROWS.items():
        c = calls[k]
        md.append(f"| {lab} | {c['median'] * 1e3:.0f} ({c['q1'] * 1e3:.0f}–{c['q3'] * 1e3:.0f}) |")
    md += [
        "",
        f"forward_diff − hand-written: {overhead['forward_diff_minus_hand_us'] * 1e3:.0f} ns; "
        f"forward_diff − generated: {overhead['forward_diff_minus_generated_us'] * 1e3:.0f} ns "
        "(the dispatch of the ForwardDiff object)",
        "",
        f"targets: cold build+compile ≤ 10 ms: {'met' if payload['targets']['cold_build_compile_le_10ms'] else 'MISSED'}; "
        f"scalar f+JVP ≤ 0.5 µs: {'met' if payload['targets']['scalar_f_jvp_le_0.5us'] else 'MISSED'}",
        "",
        "Generated code for the scalar function:",
        "",
        "```python",
        payload["scalar_source"].rstrip(),
        "```",
        "",
    ]
    md = "\n".join(md)
    write(a.out, "compile", payload, md)
    print(md)
    return payload


if __name__ == "__main__":
    main()
