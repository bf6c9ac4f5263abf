"""Depth sweep (the paper's Figure on MLP depth): MLPs with L hidden ReLU layers of width W
(784 -> W -> ... -> W -> 10), batch 64, float32, for L in 1 2 5 10 20 50 100:

* time of f, f+JVP (``tangent_fwd.forward_diff`` w.r.t. the params) and f+gradient (a hand-written
  backprop in this file, which keeps the activations of every layer: the tape) -> Rf, Rb, Rf/Rb;
* PEAK MEMORY of one call of each, measured with ``tracemalloc`` (NumPy reports its array buffers to
  it): the peak during the call minus the memory traced just before it. The inputs (params, x, the
  tangent v) exist before the call and are not counted; outputs are (the gradient of f+grad is as big
  as the params; it is reported separately as ``output_bytes``).

Checks: the hand-written backprop against central finite differences (float64, tiny case), and at
every depth the JVP along v against grad·v.

    python benchmarks/bench_depth.py [--width 256] [--depths 1 2 5 10 20 50 100] [--quick] [--out DIR]
"""

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import machine, peak_bytes, reexec_without_blas_overrides, summary, timeit, write  # noqa: E402
from _paper_common import add_blas_threads_arg, git_head, loadavg, set_blas_threads  # noqa: E402

reexec_without_blas_overrides()

import numpy as np  # noqa: E402

import tangent_fwd  # noqa: E402
from tangent_fwd.training.backprop import _softmax_xent_and_grad  # noqa: E402


# --------------------------------------------------------------------------------- the model
def deep_loss(params, x, y):
    """Mean softmax cross-entropy of an MLP with ``len(params["W"])`` hidden ReLU layers."""
    h = x
    for W, b in zip(params["W"], params["b"]):
        h = np.maximum(h @ W + b, 0)
    logits = h @ params["Wo"] + params["bo"]
    s = logits - logits.max(axis=1, keepdims=True)
    logp = s - np.log(np.exp(s).sum(axis=1, keepdims=True))
    return -logp[np.arange(x.shape[0]), y].mean()


def deep_loss_and_grad(params, x, y):
    """Hand-written backprop: forward pass storing every pre-activation and input (the tape), then
    the backward pass."""
    hs, zs = [x], []
    h = x
    for W, b in zip(params["W"], params["b"]):
        z = h @ W + b
        zs.append(z)
        h = np.maximum(z, 0)
        hs.append(h)
    logits = h @ params["Wo"] + params["bo"]
    loss, d = _softmax_xent_and_grad(np, logits, y)  # the backprop baseline's own cross-entropy gradient
    g = {"Wo": hs[-1].T @ d, "bo": d.sum(axis=0)}
    d = d @ params["Wo"].T
    gW, gb = [None] * len(zs), [None] * len(zs)
    for i in range(len(zs) - 1, -1, -1):
        d = d * (zs[i] > 0)
        gW[i], gb[i] = hs[i].T @ d, d.sum(axis=0)
        if i:
            d = d @ params["W"][i].T
    g["W"], g["b"] = gW, gb
    return loss, g


def deep_loss_jvp_hand(params, x, y, v):
    """Hand-written JVP (value, tangent): the first layer has no incoming tangent (x is data)."""
    h, dh = x, None
    for W, b, dW, db in zip(params["W"], params["b"], v["W"], v["b"]):
        z = h @ W
        z += b
        dz = h @ dW
        if dh is not None:
            dz += dh @ W
        dz += db
        m = z > 0
        h = z * m
        dh = dz * m
    logits = h @ params["Wo"] + params["bo"]
    dlogits = dh @ params["Wo"] + h @ v["Wo"] + v["bo"]
    n = x.shape[0]
    s = logits - logits.max(axis=1, keepdims=True)
    e = np.exp(s)
    z = e.sum(axis=1, keepdims=True)
    r = np.arange(n)
    loss = -(s[r, y] - np.log(z[:, 0])).mean()
    return loss, -(dlogits[r, y] - (e * dlogits).sum(axis=1) / z[:, 0]).mean()


def init(depth, width, rng, dtype=np.float32, n_in=784, n_out=10):
    r = np.random.default_rng(rng)
    W, b, fan = [], [], n_in
    for _ in range(depth):
        W.append((r.standard_normal((fan, width)) * np.sqrt(2.0 / fan)).astype(dtype))
        b.append((0.01 * r.standard_normal(width)).astype(dtype))
        fan = width
    return {
        "W": W,
        "b": b,
        "Wo": (r.standard_normal((fan, n_out)) * np.sqrt(1.0 / fan)).astype(dtype),
        "bo": np.zeros(n_out, dtype),
    }


def tree_leaves(t):
    return t["W"] + t["b"] + [t["Wo"], t["bo"]]


def tree_like(t, fn):
    return {"W": [fn(a) for a in t["W"]], "b": [fn(a) for a in t["b"]], "Wo": fn(t["Wo"]), "bo": fn(t["bo"])}


def tree_dot(g, v):
    return float(
        sum(
            np.dot(a.astype(np.float64).ravel(), b.astype(np.float64).ravel())
            for a, b in zip(tree_leaves(g), tree_leaves(v))
        )
    )


def check_backprop_fd():
    """Hand-written backprop vs central finite differences, float64, depth 3, width 5, batch 4."""
    rng = np.random.default_rng(0)
    p = init(3, 5, 0, np.float64, n_in=7, n_out=4)
    x = rng.standard_normal((4, 7))
    y = np.array([0, 1, 3, 2])
    _, g = deep_loss_and_grad(p, x, y)
    worst = 0.0
    for _ in range(5):
        v = tree_like(p, lambda a: rng.standard_normal(a.shape))
        eps = 1e-6
        plus = {
            "W": [a + eps * d for a, d in zip(p["W"], v["W"])],
            "b": [a + eps * d for a, d in zip(p["b"], v["b"])],
            "Wo": p["Wo"] + eps * v["Wo"],
            "bo": p["bo"] + eps * v["bo"],
        }
        minus = {
            "W": [a - eps * d for a, d in zip(p["W"], v["W"])],
            "b": [a - eps * d for a, d in zip(p["b"], v["b"])],
            "Wo": p["Wo"] - eps * v["Wo"],
            "bo": p["bo"] - eps * v["bo"],
        }
        fd = (deep_loss(plus, x, y) - deep_loss(minus, x, y)) / (2 * eps)
        worst = max(worst, abs(fd - tree_dot(g, v)) / max(abs(fd), 1e-8))
    return {"passed": bool(worst < 1e-6), "max_rel_err": worst}


def nbytes(tree):
    if isinstance(tree, dict):
        return sum(nbytes(v) for v in tree.values())
    if isinstance(tree, (list, tuple)):
        return sum(nbytes(v) for v in tree)
    return getattr(tree, "nbytes", 8)


def run_depth(depth, width, batch, repeats, x, y):
    params = init(depth, width, depth)
    rng = np.random.default_rng(depth + 1)
    v = tree_like(params, lambda a: rng.standard_normal(a.shape).astype(a.dtype))
    fd = tangent_fwd.forward_diff(deep_loss, wrt="params")
    val, d = fd(params, x, y, v)
    d_hand = float(deep_loss_jvp_hand(params, x, y, v)[1])
    loss, g = deep_loss_and_grad(params, x, y)
    gv = tree_dot(g, v)
    checks = {
        "value_eq_f": bool(np.isclose(val, deep_loss(params, x, y), rtol=1e-5)),
        "backprop_value_eq_f": bool(np.isclose(loss, val, rtol=1e-5)),
        "jvp_eq_grad_dot_v": bool(abs(float(d) - gv) <= 5e-3 * max(abs(gv), 1e-3)),
        "hand_jvp_eq_jvp": bool(abs(float(d) - d_hand) <= 5e-3 * max(abs(gv), 1e-3)),
    }
    if not all(checks.values()):
        raise AssertionError(f"depth {depth}: {checks} jvp={float(d)} grad.v={gv}")
    fns = {
        "f": lambda: deep_loss(params, x, y),
        "f_jvp": lambda: fd(params, x, y, v),
        "f_grad": lambda: deep_loss_and_grad(params, x, y),
        "f_jvp_hand": lambda: deep_loss_jvp_hand(params, x, y, v),
    }
    t = {k: summary(s) for k, s in timeit(fns, repeats, warmup=2).items()}
    mem = {k: peak_bytes(f) for k, f in fns.items()}
    med = {k: s["median"] for k, s in t.items()}
    rf, rb = med["f_jvp"] / med["f"], med["f_grad"] / med["f"]
    mn = {k: s["min"] for k, s in t.items()}
    return {
        "depth": depth,
        "n_params": int(sum(a.size for a in tree_leaves(params))),
        "checks": checks,
        "jvp": float(d),
        "grad_dot_v": gv,
        "times": t,
        "Rf": rf,
        "Rb": rb,
        "Rf_over_Rb": rf / rb,
        "from_min": {
            "Rf": mn["f_jvp"] / mn["f"],
            "Rb": mn["f_grad"] / mn["f"],
            "Rf_over_Rb": mn["f_jvp"] / mn["f_grad"],
            "jvp_over_hand": mn["f_jvp"] / mn["f_jvp_hand"],
        },
        "peak_bytes": mem,
        "output_bytes": {"f_grad": nbytes(g)},
        "mem_ratio_jvp_over_f": mem["f_jvp"] / mem["f"],
        "mem_ratio_hand_jvp_over_f": mem["f_jvp_hand"] / mem["f"],
        "jvp_over_hand_jvp_time": med["f_jvp"] / med["f_jvp_hand"],
        "mem_ratio_grad_over_f": mem["f_grad"] / mem["f"],
        "tape_bytes_grad_excl_output": mem["f_grad"] - nbytes(g),
    }


def plots(results, out_dir, width):
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return []
    ds = [r["depth"] for r in results]
    files = []
    fig, ax = plt.subplots(figsize=(5.5, 3.8))
    ax.plot(ds, [r["Rf"] for r in results], "o-", label="Rf = (f+JVP)/f")
    ax.plot(ds, [r["Rb"] for r in results], "s-", label="Rb = (f+grad)/f")
    ax.plot(ds, [r["Rf_over_Rb"] for r in results], "^-", label="Rf/Rb")
    ax.set_xscale("log")
    ax.set_xlabel("hidden layers")
    ax.set_ylabel("cost ratio")
    ax.set_title(f"MLP depth sweep, width {width}, batch 64")
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    p = os.path.join(out_dir, "depth_ratios.png")
    fig.savefig(p, dpi=110)
    plt.close(fig)
    files.append(p)
    fig, ax = plt.subplots(figsize=(5.5, 3.8))
    for k, lab, m in (
        ("f", "f", "o-"),
        ("f_jvp", "f+JVP (tangent_fwd)", "s-"),
        ("f_jvp_hand", "f+JVP (hand-written)", "d:"),
        ("f_grad", "f+grad (backprop)", "^-"),
    ):
        ax.plot(ds, [r["peak_bytes"][k] / 2**20 for r in results], m, label=lab)
    ax.plot(
        ds,
        [r["tape_bytes_grad_excl_output"] / 2**20 for r in results],
        "x--",
        label="f+grad minus its output (gradient)",
    )
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("hidden layers")
    ax.set_ylabel("peak memory during one call (MiB)")
    ax.set_title(f"Peak memory (tracemalloc), width {width}, batch 64")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    p = os.path.join(out_dir, "depth_memory.png")
    fig.savefig(p, dpi=110)
    plt.close(fig)
    files.append(p)
    return files


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--width", type=int, default=256)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--depths", type=int, nargs="+", default=[1, 2, 5, 10, 20, 50, 100])
    ap.add_argument("--repeats", type=int, default=21)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "results"))
    add_blas_threads_arg(ap)
    a = ap.parse_args(argv)
    blas_threads = set_blas_threads(a.blas_threads)
    if a.quick:
        a.width, a.depths, a.repeats = 32, [1, 2, 5], 3
    os.makedirs(a.out, exist_ok=True)
    mach = machine()
    mach["blas_threads_setting"] = blas_threads
    mach["loadavg_start"] = loadavg()
    mach["tangent_fwd_commit"] = git_head()
    print(f"machine: {mach}", flush=True)
    fd_check = check_backprop_fd()
    if not fd_check["passed"]:
        raise AssertionError(f"hand-written deep backprop disagrees with finite differences: {fd_check}")
    rng = np.random.default_rng(0)
    try:
        from tangent_fwd.data import load_mnist

        xt, yt, _, _ = load_mnist()
        x, y = xt[: a.batch], yt[: a.batch]
    except Exception:  # pragma: no cover - the bundled data is part of the package
        x, y = rng.random((a.batch, 784), dtype=np.float32), rng.integers(0, 10, a.batch)
    results = []
    t0 = time.perf_counter()
    for depth in a.depths:
        reps = a.repeats if depth <= 20 else max(5, a.repeats // 2)
        r = run_depth(depth, a.width, a.batch, reps, x, y)
        r["repeats"] = reps
        results.append(r)
        print(
            f"depth {depth}: Rf {r['Rf']:.3f} Rb {r['Rb']:.3f} Rf/Rb {r['Rf_over_Rb']:.3f}  peak KiB f "
            f"{r['peak_bytes']['f'] / 1024:.0f} jvp {r['peak_bytes']['f_jvp'] / 1024:.0f} grad "
            f"{r['peak_bytes']['f_grad'] / 1024:.0f} (jvp/f {r['mem_ratio_jvp_over_f']:.2f})",
            flush=True,
        )
    files = plots(results, a.out, a.width)
    mach["loadavg_end"] = loadavg()
    payload = {
        "machine": mach,
        "config": vars(a),
        "backprop_fd_check": fd_check,
        "results": results,
        "plots": [os.path.basename(f) for f in files],
        "seconds": time.perf_counter() - t0,
        "checks_passed": fd_check["passed"] and all(all(r["checks"].values()) for r in results),
        "target_mem_jvp_le_2.2x_f": all(r["mem_ratio_jvp_over_f"] <= 2.2 for r in results),
        "command": "python " + " ".join([os.path.relpath(__file__)] + (argv if argv is not None else sys.argv[1:])),
    }
    m = mach
    md = [
        f"# Depth sweep: MLP 784-{a.width}x L-10, batch {a.batch}, float32",
        "",
        f"machine: {m['cpu']}, {m['cores']} cores; numpy {m['numpy']}; BLAS env {m['blas_env']}; "
        f"BLAS threads {m.get('blas_threads_setting')}; load avg at start {m.get('loadavg_start')}; "
        f"backprop vs finite differences: max rel err {fd_check['max_rel_err']:.1e}",
        "",
        "| L | params | f ms | f+JVP ms | f+grad ms | Rf | Rb | Rf/Rb | peak f KiB | peak f+JVP KiB | "
        "peak f+grad KiB (of which gradient) | JVP/f mem | grad/f mem | hand JVP ms | peak hand JVP KiB |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        t, pk = r["times"], r["peak_bytes"]
        md.append(
            f"| {r['depth']} | {r['n_params']:,} | {t['f']['median'] * 1e3:.3f} | {t['f_jvp']['median'] * 1e3:.3f} | "
            f"{t['f_grad']['median'] * 1e3:.3f} | {r['Rf']:.2f} | {r['Rb']:.2f} | {r['Rf_over_Rb']:.2f} | "
            f"{pk['f'] / 1024:.0f} | {pk['f_jvp'] / 1024:.0f} | {pk['f_grad'] / 1024:.0f} "
            f"({r['output_bytes']['f_grad'] / 1024:.0f}) | {r['mem_ratio_jvp_over_f']:.2f} | "
            f"{r['mem_ratio_grad_over_f']:.2f} | {t['f_jvp_hand']['median'] * 1e3:.3f} | "
            f"{pk['f_jvp_hand'] / 1024:.0f} |"
        )
    md += [
        "",
        "Ratios from the minimum of each timing (least disturbed by other jobs):",
        "",
        "| L | Rf | Rb | Rf/Rb | f+JVP tangent_fwd / hand |",
        "|---|---|---|---|---|",
    ]
    for r in results:
        q = r["from_min"]
        md.append(
            f"| {r['depth']} | {q['Rf']:.2f} | {q['Rb']:.2f} | {q['Rf_over_Rb']:.2f} | {q['jvp_over_hand']:.2f} |"
        )
    md += [
        "",
        f"target peak(f+JVP) <= 2.2 x peak(f) at every depth: "
        f"{'met' if payload['target_mem_jvp_le_2.2x_f'] else 'MISSED'}",
        "IQR of the timings is in depth.json. Plots: " + ", ".join(payload["plots"]),
        "",
    ]
    md = "\n".join(md)
    write(a.out, "depth", payload, md)
    print(md)
    return payload


if __name__ == "__main__":
    main()
