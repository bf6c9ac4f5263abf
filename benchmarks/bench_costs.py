"""The paper's cost table (Baydin et al. 2022, Table 2 style) on CPU, batch 64, float32, MNIST.

For logreg, the MLP (784-1024-1024-10) and the CNN (the library's CPU default 16 ch / 128 hidden, and the
paper's 64 ch / 1024 hidden): median time of

* ``f``               the loss (``tangent_fwd.training.models``)
* ``f+JVP tangent_fwd``  ``forward_diff(loss, wrt="params")`` (the generated code, called directly)
* ``f+JVP jvp()``     ``tangent_fwd.jvp`` (the checked API the forward-gradient optimizer calls)
* ``f+JVP hand``      hand-written NumPy JVPs (below, in this file)
* ``f+grad backprop`` the hand-written backward passes (``tangent_fwd.training.backprop``)
* ``FG step``         one forward-gradient SGD step (sample v, JVP, update; ``training.optim.SGD``)
* ``BP step``         one backprop SGD step (gradient + the same update)

Rf = T(f+JVP)/T(f), Rb = T(f+grad)/T(f). All measurements are interleaved inside each repeat after a
warm-up. Before timing, the JVP along a random v is checked against grad·v from backprop, and the
hand-written JVP against tangent_fwd's.

    python benchmarks/bench_costs.py [--quick] [--out benchmarks/results] [--repeats 30] [--no-paper-cnn]
"""

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import machine, reexec_without_blas_overrides, summary, timeit, write  # noqa: E402
from _paper_common import add_blas_threads_arg, git_head, loadavg, set_blas_threads  # noqa: E402

reexec_without_blas_overrides()

import numpy as np  # noqa: E402
from numpy.lib.stride_tricks import sliding_window_view  # noqa: E402

import tangent_fwd  # noqa: E402
from tangent_fwd.data import load_mnist  # noqa: E402
from tangent_fwd.training import models  # noqa: E402
from tangent_fwd.training.optim import SGD  # noqa: E402

PAPER = {"logreg": {"Rf": 2.435, "Rb": 4.389}, "mlp": {"Rf": 2.468, "Rb": 4.165}, "cnn": {"Rf": 1.434, "Rb": 2.211}}


# ------------------------------------------------------------------------------ hand-written JVPs
def _xent_jvp(logits, dlogits, y):
    """Value and tangent of the mean softmax cross-entropy: d = -mean(dz[y] - sum_j p_j dz_j)."""
    n = logits.shape[0]
    s = logits - logits.max(axis=1, keepdims=True)
    e = np.exp(s)
    z = e.sum(axis=1, keepdims=True)
    r = np.arange(n)
    loss = -(s[r, y] - np.log(z[:, 0])).mean()
    dl = -(dlogits[r, y] - (e * dlogits).sum(axis=1) / z[:, 0]).mean()
    return loss, dl


def logreg_jvp(params, x, y, v):
    logits = x @ params["W"] + params["b"]
    dlogits = x @ v["W"] + v["b"]
    return _xent_jvp(logits, dlogits, y)


def mlp_jvp(params, x, y, v):
    z1 = x @ params["W1"] + params["b1"]
    dz1 = x @ v["W1"] + v["b1"]
    m1 = z1 > 0
    h1 = z1 * m1
    dh1 = dz1 * m1
    z2 = h1 @ params["W2"] + params["b2"]
    dz2 = dh1 @ params["W2"] + h1 @ v["W2"] + v["b2"]
    m2 = z2 > 0
    h2 = z2 * m2
    dh2 = dz2 * m2
    logits = h2 @ params["W3"] + params["b3"]
    dlogits = dh2 @ params["W3"] + h2 @ v["W3"] + v["b3"]
    return _xent_jvp(logits, dlogits, y)


def _pool2_jvp(a, da, axis):
    """Max over a length-2 axis and its tangent (the first maximum wins ties). The primal is computed
    exactly as the model's loss does (``a.max(axis)``), so only the derivative code differs; the tangent
    is an arithmetic blend of the two halves (``np.where`` on a random mask is branch-mispredict bound)."""
    i0, i1 = (slice(None),) * axis + (0,), (slice(None),) * axis + (1,)
    d0, d1 = da[i0], da[i1]
    return a.max(axis=axis), d1 + (a[i0] >= a[i1]) * (d0 - d1)


def cnn_jvp(params, x, y, v):
    n = x.shape[0]
    k = params["K"]
    c = k.shape[2]
    cols = sliding_window_view(x.reshape(n, 28, 28), (3, 3), axis=(1, 2)).reshape(n * 676, 9)
    conv = (cols @ k.reshape(9, c)).reshape(n, 26, 26, c) + params["bk"]
    dconv = (cols @ v["K"].reshape(9, c)).reshape(n, 26, 26, c) + v["bk"]
    m = conv > 0
    a = (conv * m).reshape(n, 13, 2, 13, 2, c)
    da = (dconv * m).reshape(n, 13, 2, 13, 2, c)
    p, dp = _pool2_jvp(a, da, 4)
    p, dp = _pool2_jvp(p, dp, 2)
    flat, dflat = p.reshape(n, -1), dp.reshape(n, -1)
    z1 = flat @ params["W1"] + params["b1"]
    dz1 = dflat @ params["W1"] + flat @ v["W1"] + v["b1"]
    m1 = z1 > 0
    h, dh = z1 * m1, dz1 * m1
    logits = h @ params["W2"] + params["b2"]
    dlogits = dh @ params["W2"] + h @ v["W2"] + v["b2"]
    return _xent_jvp(logits, dlogits, y)


HAND_JVP = {"logreg": logreg_jvp, "mlp": mlp_jvp, "cnn": cnn_jvp}


# ------------------------------------------------------------------------------------ one model
def verification_params(model, size, seed=0):
    """Default init, with every bias set to small non-zero noise: at the zero-bias init the CNN has
    exact zeros (blank patches) where ReLU/max-pool are not differentiable and tangent_fwd's
    subgradient (where(x >= 0), ties averaged) differs from backprop's (x > 0, first max)."""
    p = model.init(seed, **size)
    r = np.random.default_rng(seed + 100)
    for k in p:
        if k.startswith("b"):
            p[k] = (0.01 * r.standard_normal(p[k].shape)).astype(p[k].dtype)
    return p


def flat_dot(g, v):
    return float(sum(np.dot(g[k].astype(np.float64).ravel(), v[k].astype(np.float64).ravel()) for k in g))


def bench_model(label, name, size, x, y, repeats, step_repeats, lr=1e-4):
    model = models.get_model(name)
    params = verification_params(model, size)
    rng = np.random.default_rng(1)
    v = {k: rng.standard_normal(p.shape).astype(p.dtype) for k, p in params.items()}
    fd = tangent_fwd.forward_diff(model.loss, wrt="params")
    hand = HAND_JVP[name]

    # ---- correctness of everything that is timed
    f_val = model.loss(params, x, y)
    val_t, d_t = fd(params, x, y, v)
    val_j, d_j = tangent_fwd.jvp(model.loss, (params, x, y), (v, None, None))
    val_h, d_h = hand(params, x, y, v)
    loss_b, g = model.loss_and_grad(params, x, y)
    gv = flat_dot(g, v)
    scale = max(abs(gv), 1e-3)
    checks = {
        "value_tangent_fwd_eq_f": bool(np.isclose(val_t, f_val, rtol=1e-5)),
        "value_hand_eq_f": bool(np.isclose(val_h, f_val, rtol=1e-5)),
        "value_backprop_eq_f": bool(np.isclose(loss_b, f_val, rtol=1e-5)),
        "jvp_tangent_fwd_eq_grad_dot_v": bool(abs(float(d_t) - gv) <= 2e-3 * scale),
        "jvp_api_eq_forward_diff": bool(abs(float(d_j) - float(d_t)) <= 1e-5 * scale),
        "jvp_hand_eq_tangent_fwd": bool(abs(float(d_h) - float(d_t)) <= 2e-3 * scale),
    }
    # the zero-bias default init: do tangent_fwd and backprop agree there too? (reported, not required)
    p0 = model.init(0, **size)
    d0 = float(fd(p0, x, y, v)[1])
    gv0 = flat_dot(model.loss_and_grad(p0, x, y)[1], v)
    at_init = {"jvp": d0, "grad_dot_v": gv0, "agree": bool(abs(d0 - gv0) <= 2e-3 * max(abs(gv0), 1e-3))}
    numbers = {
        "f": float(f_val),
        "jvp_tangent_fwd": float(d_t),
        "jvp_api": float(d_j),
        "jvp_hand": float(d_h),
        "grad_dot_v": gv,
    }
    if not all(checks.values()):
        raise AssertionError(f"{label}: correctness check failed: {checks} {numbers}")

    # ---- training steps (separate parameter copies, tiny lr: the point is the cost of a step)
    p_fg = {k: a.copy() for k, a in params.items()}
    p_bp = {k: a.copy() for k, a in params.items()}
    p_fr = {k: a.copy() for k, a in params.items()}
    opt_fg = SGD(model.loss, p_fg, lr, rng=0)
    opt_fr = SGD(model.loss, p_fr, lr, rng=0, distribution="rademacher")
    opt_bp = SGD(model.loss, p_bp, lr, grad_fn=model.loss_and_grad)

    fns = {
        "f": lambda: model.loss(params, x, y),
        "jvp_tangent_fwd": lambda: fd(params, x, y, v),
        "jvp_api": lambda: tangent_fwd.jvp(model.loss, (params, x, y), (v, None, None)),
        "jvp_hand": lambda: hand(params, x, y, v),
        "grad_backprop": lambda: model.loss_and_grad(params, x, y),
    }
    t = {k: summary(s) for k, s in timeit(fns, repeats, warmup=3).items()}
    steps = timeit(
        {
            "step_forward_gradient": lambda: opt_fg.step(x, y),
            "step_forward_gradient_rademacher": lambda: opt_fr.step(x, y),
            "step_backprop": lambda: opt_bp.step(x, y),
        },
        step_repeats,
        warmup=3,
    )
    t.update({k: summary(s) for k, s in steps.items()})
    med = {k: s["median"] for k, s in t.items()}
    rf = med["jvp_tangent_fwd"] / med["f"]
    rb = med["grad_backprop"] / med["f"]
    ratios = {
        "Rf": rf,
        "Rb": rb,
        "Rf_over_Rb": rf / rb,
        "Rf_hand": med["jvp_hand"] / med["f"],
        "Rf_api": med["jvp_api"] / med["f"],
        "jvp_tangent_fwd_over_hand": med["jvp_tangent_fwd"] / med["jvp_hand"],
        "jvp_api_over_hand": med["jvp_api"] / med["jvp_hand"],
        "fg_step_over_bp_step": med["step_forward_gradient"] / med["step_backprop"],
        "fg_rademacher_step_over_bp_step": med["step_forward_gradient_rademacher"] / med["step_backprop"],
    }
    mn = {k: s["min"] for k, s in t.items()}
    ratios_min = {  # the same ratios from the fastest sample of each: least affected by other jobs on the CPU
        "Rf": mn["jvp_tangent_fwd"] / mn["f"],
        "Rb": mn["grad_backprop"] / mn["f"],
        "Rf_over_Rb": mn["jvp_tangent_fwd"] / mn["grad_backprop"],
        "Rf_hand": mn["jvp_hand"] / mn["f"],
        "jvp_tangent_fwd_over_hand": mn["jvp_tangent_fwd"] / mn["jvp_hand"],
        "fg_step_over_bp_step": mn["step_forward_gradient"] / mn["step_backprop"],
        "fg_rademacher_step_over_bp_step": mn["step_forward_gradient_rademacher"] / mn["step_backprop"],
    }
    n_params = int(sum(p.size for p in params.values()))
    return {
        "label": label,
        "model": name,
        "size": size,
        "n_params": n_params,
        "checks": checks,
        "check_numbers": numbers,
        "at_zero_bias_init": at_init,
        "times": t,
        "ratios": ratios,
        "ratios_from_min": ratios_min,
        "paper": PAPER[name],
    }


# ------------------------------------------------------------------------------- optional others
def optional_frameworks():
    """Rows for PyTorch / JAX / autograd when importable (never installed by this script)."""
    out = {}
    for mod in ("torch", "jax", "autograd"):
        try:
            __import__(mod)
            out[mod] = "importable (rows not implemented in this run)"
        except ImportError:
            out[mod] = "not installed"
    return out


def fmt_ms(s):
    return f"{s['median'] * 1e3:.3f} ({s['q1'] * 1e3:.3f}–{s['q3'] * 1e3:.3f})"


def markdown(payload):
    m = payload["machine"]
    rows = payload["models"]
    md = [
        f"# Cost table: forward gradient vs backprop (batch {payload['config']['batch']}, float32, MNIST)",
        "",
        f"machine: {m['cpu']}, {m['cores']} cores; numpy {m['numpy']}, python {m['python']}; "
        f"BLAS env: {m['blas_env']}; BLAS: "
        + ", ".join(
            f"{b.get('internal_api')} {b.get('version')} ({b.get('num_threads')} threads, {b.get('architecture')})"
            for b in (m["blas"] if isinstance(m["blas"], list) else [])
        )
        + f"; BLAS threads {m.get('blas_threads_setting')}; load avg at start {m.get('loadavg_start')}",
        "",
        f"repeats: {payload['config']['repeats']} (kernels), {payload['config']['step_repeats']} (steps); "
        "median ms (IQR)",
        "",
        "| model | params | f | f+JVP tangent_fwd | f+JVP `jvp()` | f+JVP hand | f+grad backprop | FG step (normal v) | "
        "FG step (Rademacher v) | BP step |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        t = r["times"]
        md.append(
            f"| {r['label']} | {r['n_params']:,} | {fmt_ms(t['f'])} | {fmt_ms(t['jvp_tangent_fwd'])} | "
            f"{fmt_ms(t['jvp_api'])} | {fmt_ms(t['jvp_hand'])} | {fmt_ms(t['grad_backprop'])} | "
            f"{fmt_ms(t['step_forward_gradient'])} | {fmt_ms(t['step_forward_gradient_rademacher'])} | "
            f"{fmt_ms(t['step_backprop'])} |"
        )
    md += [
        "",
        "| model | Rf (ours) | Rb (ours) | Rf/Rb (ours) | Rf paper | Rb paper | Rf/Rb paper | "
        "Rf hand | tangent_fwd / hand JVP | FG step / BP step (normal) | (Rademacher) |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        q, p = r["ratios"], r["paper"]
        md.append(
            f"| {r['label']} | {q['Rf']:.3f} | {q['Rb']:.3f} | {q['Rf_over_Rb']:.3f} | {p['Rf']:.3f} | "
            f"{p['Rb']:.3f} | {p['Rf'] / p['Rb']:.3f} | {q['Rf_hand']:.3f} | "
            f"{q['jvp_tangent_fwd_over_hand']:.3f} | {q['fg_step_over_bp_step']:.3f} | "
            f"{q['fg_rademacher_step_over_bp_step']:.3f} |"
        )
    md += [
        "",
        "The same ratios from the minimum of each measurement (least disturbed by other jobs on a shared CPU):",
        "",
        "| model | Rf | Rb | Rf/Rb | Rf hand | tangent_fwd / hand JVP | FG step / BP step (normal) | (Rademacher) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        q = r["ratios_from_min"]
        md.append(
            f"| {r['label']} | {q['Rf']:.3f} | {q['Rb']:.3f} | {q['Rf_over_Rb']:.3f} | {q['Rf_hand']:.3f} | "
            f"{q['jvp_tangent_fwd_over_hand']:.3f} | {q['fg_step_over_bp_step']:.3f} | "
            f"{q['fg_rademacher_step_over_bp_step']:.3f} |"
        )
    md += [
        "",
        "Checks before timing (all passed): value of every path == f; tangent_fwd JVP along v == "
        "grad·v from backprop (rel 2e-3); `jvp()` == `forward_diff`; hand-written JVP == tangent_fwd's.",
        "At the zero-bias default init: "
        + "; ".join(
            f"{r['label']}: JVP {r['at_zero_bias_init']['jvp']:.5g} vs grad·v "
            f"{r['at_zero_bias_init']['grad_dot_v']:.5g} ({'agree' if r['at_zero_bias_init']['agree'] else 'DIFFER'})"
            for r in rows
        ),
        "",
        "Other frameworks: " + ", ".join(f"{k}: {v}" for k, v in payload["frameworks"].items()),
        "",
    ]
    return "\n".join(md)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--repeats", type=int, default=30)
    ap.add_argument("--step-repeats", type=int, default=30)
    ap.add_argument("--no-paper-cnn", action="store_true", help="skip the 64-channel / 1024-hidden CNN")
    ap.add_argument("--quick", action="store_true", help="small sizes, few repeats (smoke run)")
    ap.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "results"))
    add_blas_threads_arg(ap)
    a = ap.parse_args(argv)
    blas_threads = set_blas_threads(a.blas_threads)
    configs = [
        ("logreg", "logreg", {}),
        ("mlp 784-1024-1024-10", "mlp", {"width": 1024}),
        ("cnn 16ch/128 (CPU default)", "cnn", {"channels": 16, "hidden": 128}),
    ]
    if not a.no_paper_cnn:
        configs.append(("cnn 64ch/1024 (paper)", "cnn", {"channels": 64, "hidden": 1024}))
    if a.quick:
        a.repeats, a.step_repeats = 3, 3
        configs = [
            ("logreg", "logreg", {}),
            ("mlp 784-64-64-10", "mlp", {"width": 64}),
            ("cnn 4ch/16", "cnn", {"channels": 4, "hidden": 16}),
        ]
    x_train, y_train, _, _ = load_mnist()
    x, y = x_train[: a.batch], y_train[: a.batch]
    mach = machine()
    mach["blas_threads_setting"] = blas_threads
    mach["loadavg_start"] = loadavg()
    mach["tangent_fwd_commit"] = git_head()
    print(f"machine: {mach}", flush=True)
    results = []
    for label, name, size in configs:
        reps, sreps = a.repeats, a.step_repeats
        r = bench_model(label, name, size, x, y, reps, sreps)
        r["repeats"], r["step_repeats"] = reps, sreps
        results.append(r)
        print(
            f"{label}: Rf {r['ratios']['Rf']:.3f} Rb {r['ratios']['Rb']:.3f} "
            f"tf/hand {r['ratios']['jvp_tangent_fwd_over_hand']:.3f} "
            f"FG/BP step {r['ratios']['fg_step_over_bp_step']:.3f}",
            flush=True,
        )
    mach["loadavg_end"] = loadavg()
    payload = {
        "machine": mach,
        "config": vars(a),
        "models": results,
        "frameworks": optional_frameworks(),
        "checks_passed": all(all(r["checks"].values()) for r in results),
        "command": "python " + " ".join([os.path.relpath(__file__)] + (argv if argv is not None else sys.argv[1:])),
    }
    md = markdown(payload)
    write(a.out, "costs", payload, md)
    print(md)
    return payload


if __name__ == "__main__":
    main()
