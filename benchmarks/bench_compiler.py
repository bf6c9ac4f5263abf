"""Compiler benchmarks: transform time, per-call overhead on scalars, and f+JVP of an MLP loss vs hand-written.

1. **Transform time** (cold: a new ``compiler.Unit`` every repeat; ``build()`` = parse -> activity ->
   generated source, and ``build()`` + ``compile()``) of a ~30-line function (2-layer MLP loss with a
   loop, an ``if`` and softmax cross-entropy; ``realistic_loss`` below) and of the MLP loss. Target <= 10 ms.
2. **Per-call f+JVP on Python floats** of ``sin(x)*x**2 + exp(x)/x`` (``math``): the public
   ``forward_diff`` callable vs the generated function called directly vs hand-written Python f+JVP vs
   plain f, ``number`` loops per repeat. Target <= 0.5 us. JAX / autograd rows when importable (never
   installed by this script).
   (``bench_compile.py`` reports the same two measurements, through the functions here, for the three
   model losses of the training issue.)
3. **f+JVP of the MLP loss** 784-1024-1024-10 (ReLU, softmax cross-entropy with max shift, batch 64,
   float32, first 64 bundled MNIST training images) w.r.t. all weights (dict W1,b1,W2,b2,W3,b3): the
   public ``forward_diff`` callable vs a hand-written NumPy f+JVP vs plain f, interleaved in every
   repeat. The JVPs are checked to agree (allclose) before timing. Target tangent_fwd / hand <= 1.05.

Everything is compared within one run; times are medians over repeats after warm-up, spread = IQR
(and min/max in the JSON).

BLAS environment: if ``OPENBLAS_CORETYPE`` or ``OPENBLAS_L2_SIZE`` is set, the script re-executes itself
once with both removed (for its own process only; the calling shell is not changed) -- they pin an
older kernel set that slows current OpenBLAS. The BLAS actually loaded (``threadpoolctl``), NumPy,
Python, CPU model and core count go into the JSON and the Markdown.

    python benchmarks/bench_compiler.py [--quick] [--out benchmarks/results] [--repeats N]

writes ``compiler.json`` and ``compiler.md`` into ``--out``.
"""

import argparse
import inspect
import math
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import machine, reexec_without_blas_overrides, summary, timeit, write  # noqa: E402

reexec_without_blas_overrides()

import numpy as np  # noqa: E402

import tangent_fwd  # noqa: E402
from tangent_fwd import backends, compiler  # noqa: E402
from tangent_fwd.training.models import mlp_loss  # noqa: E402  (the MLP of the training issue)


# ------------------------------------------------------------------------------------ functions
def realistic_loss(params, x, y, n_refine=2, l2=1e-4, dropout_mask=None):
    """A 2-layer MLP loss with a refinement loop, an if, and softmax cross-entropy (~30 lines)."""
    W1, b1 = params["W1"], params["b1"]
    W2, b2 = params["W2"], params["b2"]
    n = x.shape[0]
    # input normalisation (not differentiated)
    mu = x.mean(axis=0, keepdims=True)
    sd = x.std(axis=0, keepdims=True) + 1e-6
    xn = (x - mu) / sd
    h = np.tanh(xn @ W1 + b1)
    # a few residual refinement steps sharing W1's bias
    for i in range(n_refine):
        g = np.maximum(h, 0.0)
        h = h + 0.5 * np.tanh(g + b1) / (i + 1)
    if dropout_mask is not None:
        h = h * dropout_mask
    logits = h @ W2 + b2
    # softmax cross-entropy, max-shifted
    m = logits.max(axis=1, keepdims=True)
    s = logits - m
    e = np.exp(s)
    z = e.sum(axis=1, keepdims=True)
    logp = s - np.log(z)
    nll = -logp[np.arange(n), y].mean()
    # weight decay
    reg = 0.0
    if l2 > 0:
        reg = l2 * (np.sum(W1 * W1) + np.sum(W2 * W2))
    acc_hint = np.mean(np.argmax(logits, axis=1) == y)  # not differentiated
    if acc_hint > 0.99:
        reg = reg * 0.5
    return nll + reg


def mlp_jvp_hand(params, x, y, dparams):
    """Hand-written NumPy f+JVP of mlp_loss: one mask per ReLU, tangent matmuls summed, and the
    cross-entropy tangent as -mean(dz[y] - sum_j softmax_j dz_j) (the max shift's tangent cancels)."""
    W2, W3 = params["W2"], params["W3"]
    z1 = x @ params["W1"] + params["b1"]
    dz1 = x @ dparams["W1"] + dparams["b1"]
    m1 = z1 > 0
    h1 = z1 * m1
    dh1 = dz1 * m1
    z2 = h1 @ W2 + params["b2"]
    dz2 = dh1 @ W2 + h1 @ dparams["W2"] + dparams["b2"]
    m2 = z2 > 0
    h2 = z2 * m2
    dh2 = dz2 * m2
    logits = h2 @ W3 + params["b3"]
    dlogits = dh2 @ W3 + h2 @ dparams["W3"] + dparams["b3"]
    s = logits - logits.max(axis=1, keepdims=True)
    e = np.exp(s)
    z = e.sum(axis=1)
    r = np.arange(x.shape[0])
    loss = -(s[r, y] - np.log(z)).mean()
    dloss = -(dlogits[r, y] - (e * dlogits).sum(axis=1) / z).mean()
    return loss, dloss


def mlp_jvp_hand_where(params, x, y, dparams):
    """Diagnostic variant of mlp_jvp_hand using the compiler's ReLU tangent, np.where(z >= 0, dz, 0),
    instead of dz * (z > 0); everything else identical."""
    W2, W3 = params["W2"], params["W3"]
    z1 = x @ params["W1"] + params["b1"]
    dz1 = x @ dparams["W1"] + dparams["b1"]
    h1 = np.maximum(z1, 0)
    dh1 = np.where(z1 >= 0, dz1, 0)
    z2 = h1 @ W2 + params["b2"]
    dz2 = dh1 @ W2 + h1 @ dparams["W2"] + dparams["b2"]
    h2 = np.maximum(z2, 0)
    dh2 = np.where(z2 >= 0, dz2, 0)
    logits = h2 @ W3 + params["b3"]
    dlogits = dh2 @ W3 + h2 @ dparams["W3"] + dparams["b3"]
    s = logits - logits.max(axis=1, keepdims=True)
    e = np.exp(s)
    z = e.sum(axis=1)
    r = np.arange(x.shape[0])
    loss = -(s[r, y] - np.log(z)).mean()
    dloss = -(dlogits[r, y] - (e * dlogits).sum(axis=1) / z).mean()
    return loss, dloss


def scalar_f(x):
    return math.sin(x) * x**2 + math.exp(x) / x


def scalar_hand(x, dx):
    s, c, e = math.sin(x), math.cos(x), math.exp(x)
    x2 = x * x
    ex = e / x
    return s * x2 + ex, dx * (c * x2 + 2.0 * x * s + ex - ex / x)


# --------------------------------------------------------------------------------------- timers
_clock = time.perf_counter  # what "first in process" is measured with (--timer)


def _cpu_timeit(fns, repeats, number=1, warmup=2):
    """_common.timeit (interleaved, ``number`` calls per sample) with this process's CPU time
    (``--timer cpu``)."""
    import _common  # (this module's `timeit` is rebound to this function under --timer cpu)

    return _common.timeit(fns, repeats, number, warmup, clock=time.process_time)


def _summ_us(samples, scale=1e6):
    s = summary(samples)
    return {k: (v * scale if k != "n" else v) for k, v in s.items()}


def bench_transform(repeats, cases=None):
    """Cold transform time of each ``name -> (function, wrt)`` in ``cases`` (default: realistic_loss and
    the MLP loss). The one implementation of this measurement: bench_compile.py (the paper-reproduction
    report, per model loss) calls it too."""
    numpy_backend = backends.get("numpy")
    if cases is None:
        cases = {"realistic_loss": (realistic_loss, ("params",)), "mlp_loss": (mlp_loss, ("params",))}
    out = {}
    for name, (fn, wrt) in cases.items():
        # first transform in this process (includes one-off caches: NumPy name table, rule lookups)
        t0 = _clock()
        u = compiler.Unit(fn, wrt, numpy_backend).build()
        u.compile()
        first = _clock() - t0
        lines = len(u.source.splitlines())
        src_lines = len([l for l in inspect.getsource(fn).splitlines() if l.strip()])
        fns = {
            "build": lambda: compiler.Unit(fn, wrt, numpy_backend).build(),
            "build+compile": lambda: compiler.Unit(fn, wrt, numpy_backend).build().compile(),
        }
        t = timeit(fns, repeats, warmup=2)
        out[name] = {
            "source_lines": src_lines,
            "generated_lines": lines,
            "first_in_process_ms": first * 1e3,
            "build_ms": _summ_us(t["build"], 1e3),
            "build_compile_ms": _summ_us(t["build+compile"], 1e3),
        }
    return out


def bench_scalar(repeats, number):
    """Per-call f+JVP on Python floats (also the source of bench_compile.py's per-call table)."""
    x, dx = 1.3, 1.0
    fd = tangent_fwd.forward_diff(scalar_f)
    gen = fd.generated_function()
    v_fd, d_fd = fd(x, dx)
    v_h, d_h = scalar_hand(x, dx)
    h = 1e-6
    fdiff = (scalar_f(x + h) - scalar_f(x - h)) / (2 * h)
    assert math.isclose(v_fd, scalar_f(x), rel_tol=1e-14) and math.isclose(v_h, scalar_f(x), rel_tol=1e-14)
    assert math.isclose(d_fd, d_h, rel_tol=1e-12) and math.isclose(d_fd, fdiff, rel_tol=1e-6), (d_fd, d_h, fdiff)
    fns = {
        "f": lambda: scalar_f(x),
        "f+JVP hand-written": lambda: scalar_hand(x, dx),
        "f+JVP forward_diff (public callable)": lambda: fd(x, dx),
        "f+JVP generated function (direct)": lambda: gen(x, dx),
        "f+JVP tangent_fwd.jvp()": lambda: tangent_fwd.jvp(scalar_f, (x,), (dx,)),
    }
    # the lambda wrapper costs the same for every row; measure it and subtract it
    fns["(empty lambda)"] = lambda: None
    rows, others = {}, {}
    try:
        import jax

        jax.config.update("jax_enable_x64", True)
        import jax.numpy as jnp

        def jf(x):
            return jnp.sin(x) * x**2 + jnp.exp(x) / x

        jj = jax.jit(lambda x, dx: jax.jvp(jf, (x,), (dx,)))
        jj(x, dx)
        fns["f+JVP jax.jit(jax.jvp)"] = lambda: jj(x, dx)
        others["jax"] = jax.__version__
    except ImportError:
        others["jax"] = "not installed"
    try:
        import autograd.numpy as anp
        from autograd.differential_operators import make_jvp

        def af(x):
            return anp.sin(x) * x**2 + anp.exp(x) / x

        aj = make_jvp(af)
        fns["f+JVP autograd make_jvp"] = lambda: aj(x)(dx)
        others["autograd"] = "installed"
    except ImportError:
        others["autograd"] = "not installed"
    # timeit-style: `number` calls per sample, all rows interleaved in each repeat
    t = timeit(fns, repeats, number=number, warmup=2)
    empty = statistics.median(t.pop("(empty lambda)"))
    for k, s in t.items():
        rows[k] = _summ_us([v - empty for v in s])
    return {
        "x": x,
        "dx": dx,
        "value": v_fd,
        "tangent": d_fd,
        "number": number,
        "lambda_overhead_us_subtracted": empty * 1e6,
        "times_us": rows,
        "frameworks": others,
    }


def bench_mlp(repeats, width, x, y):
    rng = np.random.default_rng(0)
    n_in = x.shape[1]
    shapes = {"W1": (n_in, width), "b1": (width,), "W2": (width, width), "b2": (width,), "W3": (width, 10), "b3": (10,)}
    params = {}
    for k, sh in shapes.items():
        fan_in = sh[0] if len(sh) == 2 else 1
        scale = math.sqrt(2.0 / fan_in) if len(sh) == 2 else 0.01  # He init; small non-zero biases
        params[k] = (scale * rng.standard_normal(sh)).astype(np.float32)
    v = {k: rng.standard_normal(p.shape).astype(np.float32) for k, p in params.items()}
    fd = tangent_fwd.forward_diff(mlp_loss, wrt="params")

    f_val = mlp_loss(params, x, y)
    val_t, d_t = fd(params, x, y, v)
    val_h, d_h = mlp_jvp_hand(params, x, y, v)
    d_hw = mlp_jvp_hand_where(params, x, y, v)[1]
    # float64 finite difference as an independent reference
    p64 = {k: a.astype(np.float64) for k, a in params.items()}
    eps = 1e-6
    fd_ref = (
        mlp_loss({k: p64[k] + eps * v[k] for k in p64}, x.astype(np.float64), y)
        - mlp_loss({k: p64[k] - eps * v[k] for k in p64}, x.astype(np.float64), y)
    ) / (2 * eps)
    assert np.allclose(val_t, f_val, rtol=1e-5) and np.allclose(val_h, f_val, rtol=1e-5), (val_t, val_h, f_val)
    assert np.allclose(d_t, d_h, rtol=1e-3, atol=1e-4 * max(1.0, abs(float(d_h)))), (d_t, d_h)
    assert np.allclose(d_hw, d_h, rtol=1e-3, atol=1e-4 * max(1.0, abs(float(d_h)))), (d_hw, d_h)
    assert np.allclose(d_t, fd_ref, rtol=1e-2, atol=1e-3), (d_t, fd_ref)
    for a in (val_t, d_t, val_h, d_h, f_val):
        assert np.asarray(a).dtype == np.float32, np.asarray(a).dtype

    fns = {
        "f": lambda: mlp_loss(params, x, y),
        "f+JVP hand-written": lambda: mlp_jvp_hand(params, x, y, v),
        "f+JVP forward_diff": lambda: fd(params, x, y, v),
        "(diagnostic) f+JVP hand-written with np.where ReLU tangent": lambda: mlp_jvp_hand_where(params, x, y, v),
    }
    raw = timeit(fns, repeats, warmup=5)
    t = {k: _summ_us(s, 1e3) for k, s in raw.items()}
    med = {k: s["median"] for k, s in t.items()}
    ratios = {
        "tangent_fwd_over_hand": med["f+JVP forward_diff"] / med["f+JVP hand-written"],
        "Rf_tangent_fwd": med["f+JVP forward_diff"] / med["f"],
        "Rf_hand": med["f+JVP hand-written"] / med["f"],
    }
    # per-repeat paired ratio (each repeat times both back to back): a drift-free spread for the ratio
    paired = summary([a / b for a, b in zip(raw["f+JVP forward_diff"], raw["f+JVP hand-written"])])
    return {
        "paired_ratio_tangent_fwd_over_hand": paired,
        "width": width,
        "batch": int(x.shape[0]),
        "dtype": "float32",
        "n_params": int(sum(p.size for p in params.values())),
        "check": {
            "f": float(f_val),
            "jvp_tangent_fwd": float(d_t),
            "jvp_hand": float(d_h),
            "jvp_finite_difference_f64": float(fd_ref),
        },
        "times_ms": t,
        "ratios": ratios,
        "generated_source": fd.source,
    }


def bench_logreg_api(repeats, number=20):
    """The checked API users reach first, ``tangent_fwd.jvp``, against the ``forward_diff`` object it
    calls and a hand-written f+JVP, on the logistic-regression loss (784 inputs, 10 classes, batch 64,
    float32): target ``jvp`` within 10 us of the object (issue 15)."""
    from bench_costs import logreg_jvp

    from tangent_fwd.training.models import logreg_loss

    rng = np.random.default_rng(0)
    params = {
        "W": (0.01 * rng.standard_normal((784, 10))).astype(np.float32),
        "b": np.zeros(10, np.float32),
    }
    v = {k: rng.standard_normal(p.shape).astype(np.float32) for k, p in params.items()}
    x = rng.random((64, 784), dtype=np.float32)
    y = rng.integers(0, 10, 64)
    fd = tangent_fwd.forward_diff(logreg_loss, wrt="params")
    a, b, c = (
        fd(params, x, y, v),
        tangent_fwd.jvp(logreg_loss, (params, x, y), (v, None, None)),
        logreg_jvp(params, x, y, v),
    )
    assert a[0] == b[0] and a[1] == b[1] and np.allclose(a[1], c[1], rtol=1e-3, atol=1e-5), (a, b, c)
    fns = {
        "f+JVP hand-written": lambda: logreg_jvp(params, x, y, v),
        "f+JVP forward_diff object": lambda: fd(params, x, y, v),
        "f+JVP tangent_fwd.jvp()": lambda: tangent_fwd.jvp(logreg_loss, (params, x, y), (v, None, None)),
    }
    t = {k: _summ_us(s) for k, s in timeit(fns, repeats, number=number, warmup=5).items()}
    med = {k: r["median"] for k, r in t.items()}
    return {
        "times_us": t,
        "jvp_minus_object_us": med["f+JVP tangent_fwd.jvp()"] - med["f+JVP forward_diff object"],
        "object_over_hand": med["f+JVP forward_diff object"] / med["f+JVP hand-written"],
        "jvp_over_hand": med["f+JVP tangent_fwd.jvp()"] / med["f+JVP hand-written"],
    }


def _api_markdown(r):
    md = [
        "",
        "## 4. The checked API on logreg (batch 64, float32): `tangent_fwd.jvp` vs the `forward_diff` object "
        "(target: within 10 µs)",
        "",
        "| row | µs per call, median (IQR) | / hand-written |",
        "|---|---|---|",
    ]
    h = r["times_us"]["f+JVP hand-written"]["median"]
    for k, t in r["times_us"].items():
        md.append(f"| {k} | {_iqr(t, '', '{:.2f}').strip()} | {t['median'] / h:.3f} |")
    md += ["", f"`jvp` − object = **{r['jvp_minus_object_us']:.2f} µs** (difference of medians, one run).", ""]
    return "\n".join(md)


# --------------------------------------------------------------------------------------- report
def _iqr(s, unit, fmt="{:.3f}"):
    return f"{fmt.format(s['median'])} ({fmt.format(s['q1'])}–{fmt.format(s['q3'])}) {unit}"


def markdown(p):
    m = p["machine"]
    blas = ", ".join(
        f"{b.get('internal_api')} {b.get('version')} ({b.get('num_threads')} threads, {b.get('architecture')})"
        for b in (m["blas"] if isinstance(m["blas"], list) else [])
    )
    md = [
        "# Compiler benchmarks",
        "",
        f"command: `{p['command']}`",
        "",
        f"machine: {m['cpu']}, {m['cores']} cores; python {m['python']}, numpy {m['numpy']}; BLAS: {blas}; "
        f"BLAS env: {m['blas_env']}; BLAS thread limit: {m['blas_threads_limit'] or 'none (as loaded)'}; "
        f"load average (1/5/15 min) at start {m['loadavg_start']}, at end {m['loadavg_end']}; "
        f"cores kept busy by other processes during the run (from /proc/stat): "
        f"{m['other_processes_cores_busy']}",
        "",
        "Medians over repeats after warm-up, IQR in parentheses; all rows of a table timed interleaved "
        "in the same run; "
        + (
            "times are this process's CPU time (`--timer cpu`: time.process_time), not wall-clock time."
            if p["config"].get("timer") == "cpu"
            else "wall-clock times (time.perf_counter)."
        ),
        "",
        *(
            [
                f"**Warning: other processes kept {m['other_processes_cores_busy']} cores busy during this run with "
                "BLAS threads as loaded; matmul timings are likely inflated and bimodal (see the IQR). Rerun on "
                "an idle machine or with `--blas-threads 1`.**",
                "",
            ]
            if (m.get("other_processes_cores_busy") or 0) > 0.5
            and not m.get("blas_threads_limit")
            and m["cores"]
            and m["cores"] <= 2 * max(1, m["other_processes_cores_busy"])
            else []
        ),
        "## 1. Transform time (cold: new `compiler.Unit` each repeat; target ≤ 10 ms)",
        "",
        "| function | source lines | generated lines | build (parse → source) | build + compile | first in process |",
        "|---|---|---|---|---|---|",
    ]
    for k, r in p["transform"].items():
        md.append(
            f"| `{k}` | {r['source_lines']} | {r['generated_lines']} | {_iqr(r['build_ms'], 'ms')} | "
            f"{_iqr(r['build_compile_ms'], 'ms')} | {r['first_in_process_ms']:.1f} ms |"
        )
    s = p["scalar"]
    md += [
        "",
        "## 2. Per call on Python floats: `sin(x)*x**2 + exp(x)/x` (target ≤ 0.5 µs)",
        "",
        f"{s['number']} calls per sample; the cost of the empty timing lambda "
        f"({s['lambda_overhead_us_subtracted']:.3f} µs) is subtracted from every row.",
        "",
        "| row | µs per call, median (IQR) | min | vs f | vs hand-written |",
        "|---|---|---|---|---|",
    ]
    f0 = s["times_us"]["f"]["median"]
    h0 = s["times_us"]["f+JVP hand-written"]["median"]
    for k, r in s["times_us"].items():
        md.append(
            f"| {k} | {_iqr(r, '', '{:.3f}').strip()} | {r['min']:.3f} | {r['median'] / f0:.2f} | "
            f"{r['median'] / h0:.2f} |"
        )
    md.append("")
    md.append("Other frameworks: " + ", ".join(f"{k}: {v}" for k, v in s["frameworks"].items()))
    r = p["mlp"]
    md += [
        "",
        f"## 3. MLP loss f+JVP: 784-{r['width']}-{r['width']}-10, batch {r['batch']}, float32, "
        f"w.r.t. all {r['n_params']:,} weights (target tangent_fwd / hand ≤ 1.05)",
        "",
        "| row | ms, median (IQR) | min | / f | / hand-written |",
        "|---|---|---|---|---|",
    ]
    fm = r["times_ms"]["f"]["median"]
    hm = r["times_ms"]["f+JVP hand-written"]["median"]
    for k, t in r["times_ms"].items():
        md.append(f"| {k} | {_iqr(t, '').strip()} | {t['min']:.3f} | {t['median'] / fm:.3f} | {t['median'] / hm:.3f} |")
    q = r["ratios"]
    pr = r["paired_ratio_tangent_fwd_over_hand"]
    md += [
        "",
        f"tangent_fwd / hand-written = **{q['tangent_fwd_over_hand']:.3f}** (ratio of medians); "
        f"paired per-repeat ratio {pr['median']:.3f} (IQR {pr['q1']:.3f}–{pr['q3']:.3f}); "
        f"Rf = (f+JVP)/f: tangent_fwd {q['Rf_tangent_fwd']:.3f}, hand-written {q['Rf_hand']:.3f}.",
        "",
        f"Check before timing: JVP tangent_fwd {r['check']['jvp_tangent_fwd']:.6g}, hand-written "
        f"{r['check']['jvp_hand']:.6g}, float64 central difference {r['check']['jvp_finite_difference_f64']:.6g} "
        "(allclose asserted).",
        "",
    ]
    if "api" in p:
        md.append(_api_markdown(p["api"]))
    return "\n".join(md)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="few repeats, small MLP (smoke run, a few seconds)")
    ap.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "results"))
    ap.add_argument("--repeats", type=int, default=None, help="repeats (default 50; 3 with --quick)")
    ap.add_argument(
        "--blas-threads",
        type=int,
        default=None,
        help="limit BLAS threads (threadpoolctl) for the whole run; default: leave as loaded "
        "(1 with --quick, so a smoke run stays fast on a busy machine)",
    )
    ap.add_argument(
        "--timer",
        choices=("wall", "cpu"),
        default="wall",
        help="wall: time.perf_counter (default); cpu: time.process_time, the CPU time of this process, which "
        "time spent waiting for a core does not inflate (for a machine that other processes keep busy; the "
        "work itself still competes for caches and memory bandwidth)",
    )
    a = ap.parse_args(argv)
    if a.timer == "cpu":
        global timeit, _clock
        timeit, _clock = _cpu_timeit, time.process_time
    if a.blas_threads is None and a.quick:
        a.blas_threads = 1
    if a.blas_threads is not None:
        from threadpoolctl import threadpool_limits

        _LIMITS.append(threadpool_limits(limits=a.blas_threads, user_api="blas"))
    reps = a.repeats or (3 if a.quick else 50)
    number = 2000 if a.quick else 200_000
    width = 64 if a.quick else 1024
    if a.quick:
        rng = np.random.default_rng(0)
        x = rng.random((64, 784), dtype=np.float32)
        y = rng.integers(0, 10, 64)
        data = "random"
    else:
        from tangent_fwd.data import load_mnist

        xt, yt, _, _ = load_mnist()
        x, y = xt[:64], yt[:64]
        data = "bundled MNIST, first 64 training images"
    mach = machine()
    mach["blas_threads_limit"] = a.blas_threads
    mach["loadavg_start"] = _loadavg()
    snap = _cpu_snapshot()
    print(f"machine: {mach}", flush=True)
    if mach["loadavg_start"] and mach["loadavg_start"][0] > 0.5 and a.blas_threads is None:
        print(
            f"WARNING: the machine is busy (1-min load average {mach['loadavg_start'][0]:.2f}): with as many BLAS threads "
            "as cores, "
            "small matmuls can slow down by orders of magnitude; rerun on an idle machine or with "
            "--blas-threads 1",
            flush=True,
        )
    transform = bench_transform(reps if not a.quick else 3)
    print("transform:", {k: round(v["build_compile_ms"]["median"], 3) for k, v in transform.items()}, flush=True)
    scalar = bench_scalar(max(reps // 2, 3) if not a.quick else 3, number)
    print("scalar us:", {k: round(v["median"], 3) for k, v in scalar["times_us"].items()}, flush=True)
    api = bench_logreg_api(max(reps, 20))
    print("api us:", {k: round(v["median"], 2) for k, v in api["times_us"].items()}, flush=True)
    mlp = bench_mlp(reps, width, x, y)
    print("mlp ms:", {k: round(v["median"], 3) for k, v in mlp["times_ms"].items()}, mlp["ratios"], flush=True)
    mach["loadavg_end"] = _loadavg()
    mach["other_processes_cores_busy"] = _others_load(snap)
    cmd = "python " + " ".join(
        [os.path.relpath(os.path.abspath(__file__))] + (argv if argv is not None else sys.argv[1:])
    )
    payload = {
        "command": cmd,
        "machine": mach,
        "config": {
            "timer": a.timer,
            "quick": a.quick,
            "repeats": reps,
            "scalar_number": number,
            "mlp_width": width,
            "batch": 64,
            "data": data,
        },
        "transform": transform,
        "scalar": scalar,
        "mlp": mlp,
        "api": api,
    }
    md = markdown(payload)
    write(a.out, "compiler", payload, md)
    print(md)
    return payload


_LIMITS = []


def _cpu_snapshot():
    """(wall, busy CPU seconds of the whole machine, CPU seconds of this process) for _others_load."""
    try:
        with open("/proc/stat") as fh:
            f = [int(v) for v in fh.readline().split()[1:]]
        busy = (sum(f[:8]) - f[3] - f[4]) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError):
        busy = None
    t = os.times()
    return time.perf_counter(), busy, t.user + t.system


def _others_load(start):
    """Average number of cores kept busy by *other* processes while this run measured (None if unknown)."""
    end = _cpu_snapshot()
    if start[1] is None or end[1] is None:
        return None
    return round(((end[1] - start[1]) - (end[2] - start[2])) / (end[0] - start[0]), 2)


def _loadavg():
    try:
        return [round(v, 2) for v in os.getloadavg()]
    except OSError:
        return None


if __name__ == "__main__":
    main()
