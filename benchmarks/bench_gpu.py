"""GPU benchmark (CuPy) of the paper's Table 2 quantities, device-synchronised.

For logistic regression, the paper's MLP (1024 wide) and the paper's CNN (64 channels, dense 1024), at
batch 64 and 1024, float32, on the device:

* ``f``: the loss (written against the arrays' namespace, ``models.loss_on_namespace``);
* ``f+JVP``: the generated JVP, fused (``cupy.fuse`` kernels) and unfused;
* ``f+grad``: the hand-written backprop baseline (forward + backward);
* forward-gradient SGD steps: normal fused and unfused, Rademacher and rank-1 (fused on CuPy);
* the backprop SGD step.

Derived: ``Rf = T(f+JVP)/T(f)``, ``Rb = T(f+grad)/T(f)``, ``T_f/T_b = T(fg step)/T(backprop step)``
(per direction kind), and the fusion gain of the step, ``1 - T(fused)/T(unfused)``. Times are medians
of ``cupyx.profiler.benchmark``'s GPU times (CUDA events around each call), never host wall time around
asynchronous launches.

    python benchmarks/bench_gpu.py [--quick] [--out DIR] [--budget SECONDS]
    python benchmarks/bench_gpu.py --backend numpy --small --quick --out DIR   # CPU dry run (smoke test)
    python benchmarks/bench_gpu.py --report DIR                                # assemble gpu_check.{json,md}

Without CuPy and a device it says so and exits 0 (unless ``--backend numpy``). ``--report`` merges the
pieces ``benchmarks/gpu_check.sh`` leaves in DIR into one JSON and one markdown report.
"""

import argparse
import json
import math
import os
import pathlib
import re
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from _common import machine, write  # noqa: E402

PAPER_SIZES = {"logreg": {}, "mlp": {"width": 1024}, "cnn": {"channels": 64, "hidden": 1024}}
SMALL_SIZES = {"logreg": {}, "mlp": {"width": 64}, "cnn": {"channels": 4, "hidden": 32}}
STEPS = {  # label: (optimizer keyword arguments, fused: True only / False never / None the default path)
    "fg step normal fused": ({"distribution": "normal"}, True),
    "fg step normal unfused": ({"distribution": "normal"}, False),
    "fg step rademacher": ({"distribution": "rademacher"}, None),
    "fg step rank-1": ({"distribution": "rademacher", "rank": 1}, None),
}


def _cupy():
    try:
        import cupy

        return cupy if cupy.is_available() else None
    except ImportError:
        return None


class Timer:
    """Median seconds per call: CUDA-event GPU times on CuPy, the host clock on NumPy (synchronous)."""

    def __init__(self, xp, repeat, warmup):
        self.xp, self.repeat, self.warmup = xp, repeat, warmup

    def __call__(self, fn):
        import numpy as np

        if self.xp is np:
            for _ in range(self.warmup):
                fn()
            ts = []
            for _ in range(self.repeat):
                t0 = time.perf_counter()
                fn()
                ts.append(time.perf_counter() - t0)
            return float(np.median(ts))
        from cupyx.profiler import benchmark

        r = benchmark(fn, n_repeat=self.repeat, n_warmup=self.warmup)
        return float(np.median(r.gpu_times[0]))


def _jvp_functions(model, backend, fused_too):
    """{fused: generated f+JVP function} for ``model.loss`` w.r.t. params."""
    from tangent_fwd import backends
    from tangent_fwd.api import _wrt_names
    from tangent_fwd.compiler import Unit

    out = {}
    for fuse in (True, False) if fused_too else (False,):
        fn, _ = Unit(model.loss, _wrt_names(model.loss, "params"), backends.get(backend), fuse=fuse).build().compile()
        out[fuse] = fn
    return out


def bench_case(name, batch, xp, backend, sizes, timer, seed=0):
    """The measurements of one model at one batch size (seconds) and the derived ratios."""
    import numpy as np

    from tangent_fwd.training.models import get_model, loss_on_namespace
    from tangent_fwd.training.optim import make_optimizer

    model = get_model(name)
    host = model.init(seed, **sizes)
    put = (lambda a: a) if xp is np else xp.asarray
    params = {k: put(v) for k, v in host.items()}
    rng = np.random.default_rng(seed)
    x = put(rng.random((batch, 784), dtype=np.float32))
    y = put(rng.integers(0, 10, batch))
    fused_too = hasattr(xp, "fuse")
    jvps = _jvp_functions(model, backend, fused_too)
    v = {k: put(rng.standard_normal(p.shape).astype(p.dtype)) for k, p in host.items()}
    values = {f: float(fn(params, x, y, v)[1]) for f, fn in jvps.items()}
    if len(values) == 2:  # fused and unfused agree (float32 accumulation order may differ)
        a, b = values[True], values[False]
        assert abs(a - b) <= 1e-3 * max(1.0, abs(b)), ("fused and unfused JVPs differ", a, b)
    t = {"f": timer(lambda: loss_on_namespace(model, params, x, y))}
    for fuse, fn in jvps.items():
        t["f+JVP " + ("fused" if fuse else "unfused")] = timer(lambda fn=fn: fn(params, x, y, v))
    t["f+grad (backprop)"] = timer(lambda: model.loss_and_grad(params, x, y))

    def fresh():
        return {k: put(a.copy()) for k, a in host.items()}

    bp = make_optimizer("sgd", model.loss, fresh(), 1e-6, grad_fn=model.loss_and_grad)
    t["backprop step"] = timer(lambda: bp.step(x, y))
    for label, (kw, fuse) in STEPS.items():
        if fuse and not fused_too:  # the backend does not fuse: the unfused step is this one
            continue
        if fuse is False:  # the unfused generated code, injected as the JVP
            fn = jvps[False]
            kw = dict(kw, jvp_fn=lambda func, primals, tangents, fn=fn, **_: fn(*primals, tangents[0]))
        opt = make_optimizer("sgd", model.loss, fresh(), 1e-6, rng=seed, **kw)
        t[label] = timer(lambda opt=opt: opt.step(x, y))
    jvp = t.get("f+JVP fused", t["f+JVP unfused"])
    ratios = {
        "Rf": jvp / t["f"],
        "Rf_unfused": t["f+JVP unfused"] / t["f"],
        "Rb": t["f+grad (backprop)"] / t["f"],
    }
    for label in STEPS:
        if label in t:
            ratios["T_f/T_b " + label[len("fg step ") :]] = t[label] / t["backprop step"]
    if "fg step normal fused" in t:
        ratios["fusion gain (step)"] = 1 - t["fg step normal fused"] / t["fg step normal unfused"]
    return {
        "model": name,
        "batch": batch,
        "sizes": sizes,
        "ms": {k: 1e3 * s for k, s in t.items()},
        "ratios": ratios,
        "jvp_check": values,
    }


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--backend", choices=("cupy", "numpy"), default="cupy")
    ap.add_argument("--quick", action="store_true", help="fewer repeats")
    ap.add_argument("--small", action="store_true", help="small models (a CPU dry run)")
    ap.add_argument("--batches", default="64,1024")
    ap.add_argument("--models", default="logreg,mlp,cnn")
    ap.add_argument("--budget", type=float, default=None, help="stop starting new cases after this many seconds")
    ap.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "results"))
    ap.add_argument("--report", metavar="DIR", default=None, help="assemble DIR's pieces into gpu_check.json/.md")
    a = ap.parse_args(argv)
    if a.report:
        return report(pathlib.Path(a.report))
    import numpy as np

    if a.backend == "cupy":
        cupy = _cupy()
        if cupy is None:
            print(
                "bench_gpu: no usable CUDA device through CuPy (cupy missing or cupy.is_available() is False); "
                "it would time f, f+JVP (fused/unfused), backprop and forward-gradient steps of logreg, the MLP "
                "and the CNN at batch 64 and 1024 on the GPU. (--backend numpy runs the same code on the CPU.)"
            )
            return None
        xp = cupy
        dev = cupy.cuda.runtime.getDeviceProperties(0)["name"]
        dev = dev.decode() if isinstance(dev, bytes) else dev
    else:
        xp, dev = np, "CPU (NumPy)"
    timer = Timer(xp, repeat=(5 if a.small else 30) if a.quick else 100, warmup=2 if a.quick else 5)
    sizes = SMALL_SIZES if a.small else PAPER_SIZES
    t_start = time.perf_counter()
    rows, skipped = [], []
    for name in a.models.split(","):
        for batch in (int(b) for b in a.batches.split(",")):
            if a.budget is not None and time.perf_counter() - t_start > a.budget:
                skipped.append(f"{name}@{batch}")
                continue
            rows.append(bench_case(name, batch, xp, a.backend, sizes[name], timer))
            print(_row_md(rows[-1]), flush=True)
    payload = {
        "device": dev,
        "backend": a.backend,
        "machine": machine(),
        "timing": "median GPU time per call, cupyx.profiler.benchmark (CUDA events)"
        if xp is not np
        else "median host time per call (NumPy is synchronous)",
        "repeat": timer.repeat,
        "rows": rows,
        "skipped_for_time": skipped,
        "seconds": time.perf_counter() - t_start,
    }
    md = _markdown(payload)
    write(a.out, "gpu", payload, md)
    print(md)
    return payload


HEADER = (
    "| model | batch | f ms | f+JVP fused | f+JVP unfused | f+grad | bp step | fg step normal fused / unfused | "
    "fg step rademacher | fg step rank-1 | Rf | Rf unfused | Rb | T_f/T_b normal / rademacher / rank-1 | "
    "fusion gain |"
)


def _fmt(v, spec=".3f"):
    return "—" if v is None or (isinstance(v, float) and math.isnan(v)) else format(v, spec)


def _row_md(r):
    m, q = r["ms"], r["ratios"]
    return (
        f"| {r['model']} | {r['batch']} | {_fmt(m['f'])} | {_fmt(m.get('f+JVP fused'))} | "
        f"{_fmt(m['f+JVP unfused'])} | {_fmt(m['f+grad (backprop)'])} | {_fmt(m['backprop step'])} | "
        f"{_fmt(m.get('fg step normal fused'))} / {_fmt(m['fg step normal unfused'])} | "
        f"{_fmt(m.get('fg step rademacher'))} | {_fmt(m.get('fg step rank-1'))} | "
        f"{_fmt(q['Rf'], '.2f')} | {_fmt(q['Rf_unfused'], '.2f')} | {_fmt(q['Rb'], '.2f')} | "
        f"{_fmt(q.get('T_f/T_b normal fused', q.get('T_f/T_b normal unfused')), '.2f')} / "
        f"{_fmt(q.get('T_f/T_b rademacher'), '.2f')} / {_fmt(q.get('T_f/T_b rank-1'), '.2f')} | "
        f"{_fmt(q.get('fusion gain (step)'), '.0%')} |"
    )


def _markdown(p):
    lines = [
        f"# GPU benchmark: {p['device']} ({p['backend']}), float32",
        "",
        f"Times in ms: {p['timing']}, {p['repeat']} repeats. Rf = T(f+JVP)/T(f) (fused where the backend "
        "fuses), Rb = T(f+grad)/T(f), T_f/T_b = forward-gradient SGD step / backprop SGD step.",
        "",
        HEADER,
        "|" + "---|" * (HEADER.count("|") - 1),
    ]
    lines += [_row_md(r) for r in p["rows"]]
    if p["skipped_for_time"]:
        lines += ["", f"Skipped (time budget): {', '.join(p['skipped_for_time'])}"]
    return "\n".join(lines) + "\n"


# ------------------------------------------------------------------------------------------ the report
def _read_json(path):
    try:
        return json.loads(pathlib.Path(path).read_text())
    except (OSError, ValueError):
        return None


def _read_steps(path):
    """``{step: {"rc": exit status, "seconds": s}}`` from gpu_check.sh's ``steps.tsv`` (name, rc, seconds)."""
    steps = {}
    if path.exists():
        for line in path.read_text().splitlines():
            parts = line.split("\t")
            if len(parts) == 3:
                steps[parts[0]] = {"rc": int(parts[1]), "seconds": int(parts[2])}
    return steps


def _training(out):
    """The 1-epoch device runs and the 1-step CPU runs of gpu_check.sh: accuracy, step time, first loss."""
    rows = []
    for model in ("mlp", "cnn"):
        gpu = _read_json(out / f"train_{model}_cupy" / f"{model}_forward_sgd.json")
        cpu = _read_json(out / f"train_{model}_numpy" / f"{model}_forward_sgd.json")
        row = {"model": model, "gpu_ran": gpu is not None, "cpu_ran": cpu is not None}
        if gpu:
            row.update(
                status=gpu.get("status"),
                device=gpu.get("device"),
                test_accuracy=gpu.get("final_test_accuracy"),
                step_ms=1e3 * gpu["step_time"] if gpu.get("step_time") else None,
                steps=gpu.get("steps"),
                first_loss_gpu=gpu.get("first_loss"),
            )
        if cpu:
            row["first_loss_cpu"] = cpu.get("first_loss")
        a, b = row.get("first_loss_gpu"), row.get("first_loss_cpu")
        row["first_loss_match"] = a is not None and b is not None and abs(a - b) <= 1e-4 * max(1.0, abs(b))
        rows.append(row)
    return rows


def report(out):
    """Merge what gpu_check.sh left in ``out`` into ``gpu_check.json`` and ``gpu_check.md``."""
    out.mkdir(parents=True, exist_ok=True)
    steps = _read_steps(out / "steps.tsv")
    tests = (out / "pytest_gpu.txt").read_text(errors="replace") if (out / "pytest_gpu.txt").exists() else ""
    # one summary line per pytest run (training tests, then the corpus sample)
    summary = [
        line
        for line in tests.splitlines()
        if re.search(r"\b(passed|failed|errors?|skipped|deselected)\b.* in [0-9.]+s", line)
    ]
    bench = _read_json(out / "gpu.json")
    training = _training(out)
    ok = (
        all(s.get("rc") == 0 for s in steps.values())
        and bool(bench)
        and all(r["first_loss_match"] and r.get("status") == "ok" for r in training)
    )
    payload = {
        "ok": ok,
        "steps": steps,
        "gpu_tests": summary,
        "bench": bench,
        "training": training,
    }
    (out / "gpu_check.json").write_text(json.dumps(payload, indent=1, default=str))
    md = [f"# GPU check: {'OK' if ok else 'FAILED or incomplete'}", ""]
    md += ["| step | exit status | seconds |", "|---|---|---|"]
    md += [f"| {k} | {s.get('rc')} | {s.get('seconds')} |" for k, s in steps.items()]
    md += ["", f"gpu-marked tests: {'; '.join(summary) or 'no summary (see pytest_gpu.txt)'}", ""]
    md += [_markdown(bench) if bench else "bench_gpu.py wrote no results (see bench.txt)", ""]
    md += [
        "## 1-epoch training with --backend cupy (first-step loss checked against the CPU, same seed)",
        "",
        "| model | status | test accuracy | ms/step | first loss GPU | first loss CPU | match (1e-4) |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in training:
        md.append(
            f"| {r['model']} | {r.get('status', 'did not run')} | {_fmt(r.get('test_accuracy'), '.4f')} | "
            f"{_fmt(r.get('step_ms'))} | {_fmt(r.get('first_loss_gpu'), '.6f')} | "
            f"{_fmt(r.get('first_loss_cpu'), '.6f')} | {'yes' if r['first_loss_match'] else 'NO'} |"
        )
    (out / "gpu_check.md").write_text("\n".join(md) + "\n")
    print("\n".join(md))
    return payload


if __name__ == "__main__":
    main()
