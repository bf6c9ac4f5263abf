"""Low-rank (factored) directions vs dense directions vs backprop, on CPU, float32, batch 64 (issue #8).

Part ``steps``: for the MLP 784-1024-1024-10 and the CNN (CPU default 16 ch / 128 hidden; ``--paper-cnn``
adds the paper's 64 / 1024), the median time of

* ``f``, ``f+grad`` (hand-written backprop), ``f+JVP`` along a dense direction, along a rank-1 and a
  rank-4 factored direction (``tangent_fwd.LowRank``: the generated code keeps it factored);
* one SGD step: backprop, forward gradient with dense normal / Rademacher directions, and with rank-1
  normal / Rademacher and rank-4 Rademacher directions (sampling, JVP and update all included).

Each timing sample is 5 consecutive calls of one method (the steady state of a training loop, whose
weights stay in cache from one step to the next: interleaving single calls of 11 methods, each with
its own 7 MB of weights, evicts them), and the samples of all methods are interleaved per repeat. Before timing: the factored JVP equals the JVP
along the same direction made dense, and the dense JVP equals grad·v from backprop.

Part ``learning``: SGD on the bundled MNIST (5,000 training / 1,000 test images) for the MLP with
backprop and with each kind of direction, each at the best step size of a small grid (chosen by short
pilot runs on the same data); loss against wall time and iterations (PNG), final test accuracy, and the
estimators' quality at the initial parameters: cosine to the true gradient and relative variance
E‖g − ∇f‖² / ‖∇f‖² over many directions. Tf/Tb is reported two ways: the wall time of the same
number of steps, and the time to first reach a common loss (the paper compares runs by both).

    python benchmarks/bench_lowrank.py [--part steps|learning|all] [--quick] [--out benchmarks/results]
"""

import argparse
import math
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import machine, reexec_without_blas_overrides, summary, timeit, write  # noqa: E402
from _paper_common import add_blas_threads_arg, git_head, loadavg, set_blas_threads  # noqa: E402

reexec_without_blas_overrides()

import numpy as np  # noqa: E402

import tangent_fwd  # noqa: E402
from tangent_fwd import lowrank  # noqa: E402
from tangent_fwd.data import load_mnist  # noqa: E402
from tangent_fwd.training import models  # noqa: E402
from tangent_fwd.training.forward_gradient import DirectionSampler, forward_gradient  # noqa: E402
from tangent_fwd.training.optim import SGD  # noqa: E402
from tangent_fwd.training.runner import TrainConfig, train  # noqa: E402

STEADY = 5
# (label, distribution, rank) of the forward-gradient variants
VARIANTS = [
    ("dense normal", "normal", None),
    ("dense Rademacher", "rademacher", None),
    ("rank-1 normal", "normal", 1),
    ("rank-1 Rademacher", "rademacher", 1),
    ("rank-4 Rademacher", "rademacher", 4),
]


def _models(paper_cnn):
    out = [("mlp 784-1024-1024-10", "mlp", {"width": 1024}), ("cnn 16ch/128 (CPU default)", "cnn", {})]
    if paper_cnn:
        out.append(("cnn 64ch/1024 (paper)", "cnn", {"channels": 64, "hidden": 1024}))
    return out


def _copy(p):
    return {k: v.copy() for k, v in p.items()}


# ------------------------------------------------------------------------------------------ steps
def bench_steps(args, x, y):
    rows = []
    for label, name, size in _models(args.paper_cnn):
        m = models.get_model(name)
        p = m.init(0, **size)
        xb, yb = x[:64], y[:64]
        fd = tangent_fwd.forward_diff(m.loss, wrt="params")
        dense = DirectionSampler(p, "normal", np.random.default_rng(1)).sample()
        dense = _copy(dense)
        lr1 = DirectionSampler(p, "rademacher", np.random.default_rng(2), rank=1).sample()
        lr4 = DirectionSampler(p, "rademacher", np.random.default_rng(3), rank=4).sample()
        # checks before timing
        _, g = m.loss_and_grad(p, xb, yb)
        d_dense = float(fd(p, xb, yb, dense)[1])
        gv = float(sum(np.sum(g[k].astype(np.float64) * dense[k]) for k in p))
        assert abs(d_dense - gv) <= 2e-3 * max(1.0, abs(gv)), (label, d_dense, gv)
        checks = {}
        for tag, t in (("rank-1", lr1), ("rank-4", lr4)):
            a = float(fd(p, xb, yb, t)[1])
            b = float(fd(p, xb, yb, lowrank.dense(t))[1])
            assert abs(a - b) <= 2e-3 * max(1.0, abs(b)), (label, tag, a, b)
            checks[tag] = {"factored": a, "dense": b}
        src = tangent_fwd.source(m.loss, wrt="params", tangents=lr1)
        assert "lowrank.dense" not in src
        lr = 1e-7  # the parameters barely move: every step does the same work
        opts = {"BP step": SGD(m.loss, _copy(p), lr, grad_fn=m.loss_and_grad)}
        for vlabel, dist, rank in VARIANTS:
            opts[f"FG step, {vlabel}"] = SGD(m.loss, _copy(p), lr, rng=0, distribution=dist, rank=rank)
        fns = {
            "f": lambda: m.loss(p, xb, yb),
            "f+grad": lambda: m.loss_and_grad(p, xb, yb),
            "f+JVP dense": lambda: fd(p, xb, yb, dense),
            "f+JVP rank-1": lambda: fd(p, xb, yb, lr1),
            "f+JVP rank-4": lambda: fd(p, xb, yb, lr4),
        }
        for k, o in opts.items():
            fns[k] = lambda o=o: o.step(xb, yb)
        # each sample: STEADY consecutive calls of one method (what training does: its weights stay in
        # cache from step to step); the samples of the different methods are interleaved
        samples = timeit(fns, args.repeats, number=STEADY, warmup=2)
        stats = {k: summary(v) for k, v in samples.items()}
        med = {k: s["median"] for k, s in stats.items()}
        ratios = {k: med[k] / med["BP step"] for k in med if k.startswith("FG step")}
        rows.append(
            {
                "model": label,
                "params": int(sum(v.size for v in p.values())),
                "stats": stats,
                "ratios_to_bp_step": ratios,
                "jvp_checks": checks,
                "grad_dot_v": gv,
                "jvp_dense": d_dense,
                "f+JVP rank-1 / f+grad": med["f+JVP rank-1"] / med["f+grad"],
                "f+JVP rank-1 / f+JVP dense": med["f+JVP rank-1"] / med["f+JVP dense"],
            }
        )
        print(f"{label}: " + ", ".join(f"{k} {v * 1e3:.3f} ms" for k, v in med.items()), flush=True)
    return rows


def steps_markdown(rows, args):
    def ms(s):
        return f"{s['median'] * 1e3:.3f} ({s['q1'] * 1e3:.3f}–{s['q3'] * 1e3:.3f})"

    cols = ["f", "f+grad", "f+JVP dense", "f+JVP rank-1", "f+JVP rank-4", "BP step"] + [
        f"FG step, {v[0]}" for v in VARIANTS
    ]
    out = [
        f"repeats: {args.repeats} samples of {STEADY} consecutive calls each, interleaved; median ms per call (IQR)",
        "",
        "| model | " + " | ".join(cols) + " |",
        "|---|" + "---|" * len(cols),
    ]
    for r in rows:
        out.append(f"| {r['model']} | " + " | ".join(ms(r["stats"][c]) for c in cols) + " |")
    out += [
        "",
        "Step time relative to the backprop step (medians of the same run):",
        "",
        "| model | f+JVP rank-1 / f+grad | f+JVP rank-1 / f+JVP dense | " + " | ".join(v[0] for v in VARIANTS) + " |",
        "|---|---|---|" + "---|" * len(VARIANTS),
    ]
    for r in rows:
        out.append(
            f"| {r['model']} | {r['f+JVP rank-1 / f+grad']:.3f} | {r['f+JVP rank-1 / f+JVP dense']:.3f} | "
            + " | ".join(f"{r['ratios_to_bp_step'][f'FG step, {v[0]}']:.3f}" for v in VARIANTS)
            + " |"
        )
    return "\n".join(out) + "\n"


# ------------------------------------------------------------------------------------------ learning
def estimator_quality(m, p, x, y, n_dirs):
    """Cosine to the true gradient and relative variance of each estimator, at ``p`` on ``x, y``."""
    _, g = m.loss_and_grad(p, x, y)
    gflat = np.concatenate([g[k].ravel() for k in p]).astype(np.float64)
    gn = np.linalg.norm(gflat)
    out = {}
    for vlabel, dist, rank in VARIANTS:
        fg = forward_gradient(m.loss, rank=rank, distribution=dist, rng=5)
        cos, err = [], []
        for _ in range(n_dirs):
            _, e = fg(p, x, y)
            ef = np.concatenate([e[k].ravel() for k in p]).astype(np.float64)
            cos.append(float(ef @ gflat / (np.linalg.norm(ef) * gn)))
            err.append(float(np.sum((ef - gflat) ** 2)) / gn**2)
        out[vlabel] = {
            "cosine_mean": float(np.mean(cos)),
            "cosine_abs_mean": float(np.mean(np.abs(cos))),
            "relative_variance": float(np.mean(err)),
            "n": n_dirs,
        }
    return out


SAME_LR = "backprop, same lr"


def _time_to(losses, times, target):
    for l, t in zip(losses, times):
        if l <= target:
            return t
    return None


def bench_learning(args, data):
    x, y, xt, yt = data
    width = args.width
    m = models.get_model("mlp")
    methods = [("backprop", "backprop", "normal", None)] + [(v[0], "forward", v[1], v[2]) for v in VARIANTS]
    grids = {"backprop": [0.03, 0.1, 0.3], "forward": [3e-5, 1e-4, 3e-4, 1e-3]}
    runs, chosen, pilots = {}, {}, {}
    for label, method, dist, rank in methods:
        best = None
        for lr in grids[method]:
            cfg = TrainConfig(
                model="mlp",
                method=method,
                lr=lr,
                decay=0.0,
                epochs=100,
                max_steps=args.pilot_steps,
                distribution=dist,
                rank=rank,
                width=width,
                seed=0,
            )
            r = train(cfg, data=data, progress=False, log=None)
            tail = r["losses"][-max(1, len(r["losses"]) // 3) :]
            score = float(np.mean(tail)) if r["status"] == "ok" else math.inf
            pilots.setdefault(label, {})[lr] = score
            if best is None or score < best[0]:
                best = (score, lr)
        lr = best[1]
        while True:  # a step size that is fine for the pilot may still diverge later: back off
            cfg = TrainConfig(
                model="mlp",
                method=method,
                lr=lr,
                decay=0.0,
                epochs=args.epochs,
                distribution=dist,
                rank=rank,
                width=width,
                seed=0,
            )
            r = train(cfg, data=data, progress=False, log=None)
            if r["status"] == "ok" or lr < min(grids[method]) / 30:
                break
            print(f"{label}: lr {lr:g} diverged at step {r['steps']}; retrying with {lr / 3:g}", flush=True)
            lr /= 3
        chosen[label] = lr
        r.pop("params")
        runs[label] = r
        print(
            f"{label}: lr {lr:g}, {r['steps']} steps, {r['train_time']:.1f} s, final test accuracy "
            f"{r['final_test_accuracy']:.4f}, step {r['step_time'] * 1e3:.2f} ms",
            flush=True,
        )
    # backprop also at the step size the forward runs use (the paper compares at a common step size)
    common = max(set(chosen[k] for k in chosen if k != "backprop"), key=list(chosen.values()).count)
    cfg = TrainConfig(model="mlp", method="backprop", lr=common, decay=0.0, epochs=args.epochs, width=width, seed=0)
    r = train(cfg, data=data, progress=False, log=None)
    r.pop("params")
    runs[SAME_LR] = r
    chosen[SAME_LR] = common
    print(f"{SAME_LR}: lr {common:g}, final test accuracy {r['final_test_accuracy']:.4f}", flush=True)
    # common loss target: the best (lowest) smoothed loss that every run reaches
    smooth = {k: _smooth(r["losses"]) for k, r in runs.items()}
    target = max(min(s) for s in smooth.values())
    tb = _time_to(smooth["backprop"], runs["backprop"]["times"], target)
    tb_same = _time_to(smooth[SAME_LR], runs[SAME_LR]["times"], target)
    for k, r in runs.items():
        r["time_to_target"] = tt = _time_to(smooth[k], r["times"], target)
        r["Tf/Tb (same steps)"] = r["train_time"] / runs[SAME_LR]["train_time"]
        r["Tf/Tb (to target, vs best backprop)"] = (tt / tb) if (tb and tt) else None
        r["Tf/Tb (to target, vs backprop at the same lr)"] = (tt / tb_same) if (tb_same and tt) else None
    p0 = m.init(0, width=width)
    quality = estimator_quality(m, p0, x[:256], y[:256], args.quality_dirs)
    return {
        "width": width,
        "epochs": args.epochs,
        "chosen_lr": chosen,
        "pilot_scores": pilots,
        "loss_target": target,
        "runs": runs,
        "estimator_quality_at_init": quality,
    }


def _smooth(losses, k=5):
    a = np.asarray(losses, np.float64)
    if len(a) < k:
        return a.tolist()
    c = np.convolve(a, np.ones(k) / k, mode="valid")
    return np.concatenate([a[: k - 1], c]).tolist()


def learning_markdown(res):
    out = [
        f"MLP 784-{res['width']}-{res['width']}-10, SGD, batch 64, {res['epochs']} epochs of the bundled 5,000 "
        f"images; step size per method: the best of a small grid by short pilot runs. Common loss target "
        f"(smoothed minibatch loss every run reaches): {res['loss_target']:.4f}.",
        "",
        "Tf/Tb: forward-gradient time over backprop time, for the same number of steps (backprop at the same "
        "step size) and to reach the target (against backprop at its best step size, and at the same one).",
        "",
        "| method | lr | step (ms) | train time (s) | final test acc. | time to target (s) | Tf/Tb same steps | "
        "Tf/Tb to target (best BP) | Tf/Tb to target (BP same lr) | cos(g, ∇f) at init | E‖g−∇f‖²/‖∇f‖² at init |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    q = res["estimator_quality_at_init"]
    for k, r in res["runs"].items():
        tt = r["time_to_target"]
        tf = r["Tf/Tb (to target, vs best backprop)"]
        tf2 = r["Tf/Tb (to target, vs backprop at the same lr)"]
        qq = q.get(k)
        tt_s = "—" if tt is None else f"{tt:.1f}"
        tf_s = "—" if tf is None else f"{tf:.2f}"
        tf_s += " | " + ("—" if tf2 is None else f"{tf2:.2f}")
        cos_s = "1 (exact)" if qq is None else f"{qq['cosine_mean']:.4f}"
        var_s = "0" if qq is None else f"{qq['relative_variance']:.0f}"
        out.append(
            f"| {k} | {res['chosen_lr'][k]:g} | {r['step_time'] * 1e3:.2f} | {r['train_time']:.1f} | "
            f"{r['final_test_accuracy'] * 100:.1f}% | {tt_s} | {r['Tf/Tb (same steps)']:.2f} | {tf_s} | "
            f"{cos_s} | {var_s} |"
        )
    return "\n".join(out) + "\n"


def plot_learning(res, paths):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 3, figsize=(16, 4.5))
    for k, r in res["runs"].items():
        axes[0].plot(r["times"], _smooth(r["losses"]), label=k, lw=1.4)
        axes[1].plot(r["iterations"], _smooth(r["losses"]), label=k, lw=1.4)
        axes[2].plot(
            [e["time"] for e in r["epochs"]], [100 * e["test_accuracy"] for e in r["epochs"]], marker="o", ms=3, label=k
        )
    axes[0].set_xlabel("training time (s)")
    axes[1].set_xlabel("iteration")
    for ax in axes[:2]:
        ax.set_ylabel("training loss (minibatch, smoothed)")
        ax.axhline(res["loss_target"], color="grey", lw=0.8, ls=":")
    axes[2].set_xlabel("training time (s)")
    axes[2].set_ylabel("test accuracy (%)")
    axes[0].legend(fontsize=8)
    fig.suptitle(
        f"MLP 784-{res['width']}-{res['width']}-10 on the bundled MNIST subset: backprop vs forward "
        f"gradients with dense and low-rank directions"
    )
    fig.tight_layout()
    for p in paths:
        os.makedirs(os.path.dirname(p), exist_ok=True)
        fig.savefig(p, dpi=110)
    plt.close(fig)


# ------------------------------------------------------------------------------------------ main
def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--part", choices=["steps", "learning", "all"], default="all")
    ap.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "results"))
    ap.add_argument("--repeats", type=int, default=30)
    ap.add_argument("--paper-cnn", action="store_true", help="also time the paper's CNN (64 ch / 1024 hidden)")
    ap.add_argument("--width", type=int, default=1024, help="MLP width for the learning runs")
    ap.add_argument("--epochs", type=int, default=30)
    ap.add_argument("--pilot-steps", type=int, default=300)
    ap.add_argument("--quality-dirs", type=int, default=200)
    ap.add_argument(
        "--docs-img",
        default=os.path.join(
            os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "docs", "img", "lowrank_learning.png"
        ),
    )
    ap.add_argument("--quick", action="store_true", help="tiny sizes (a smoke test)")
    add_blas_threads_arg(ap)
    args = ap.parse_args(argv)
    if args.quick:
        args.repeats, args.width, args.epochs, args.pilot_steps, args.quality_dirs = 3, 32, 1, 10, 5
    blas = set_blas_threads(args.blas_threads)
    data = load_mnist()
    mach = machine()
    head = (
        f"machine: {mach.get('cpu')}, {mach.get('cores')} cores; numpy {mach['numpy']}, python {mach['python']}; "
        f"BLAS env: {mach['blas_env']}; BLAS: {mach['blas']}; BLAS threads {blas}; load avg at start "
        f"{loadavg()}; tangent_fwd at {git_head()}\n\n"
    )
    payload = {"machine": mach, "blas_threads": blas, "git": git_head(), "started": time.time()}
    md = ["# Low-rank directions: step time and learning (issue #8)\n\n", head]
    if args.part in ("steps", "all"):
        if args.quick:
            global _models
            _models = lambda paper: [("mlp 784-32-32-10", "mlp", {"width": 32})]  # noqa: E731
        rows = bench_steps(args, data[0], data[1])
        payload["steps"] = rows
        md += ["## Step time (batch 64, float32)\n\n", steps_markdown(rows, args), "\n"]
    if args.part in ("learning", "all"):
        res = bench_learning(args, data)
        payload["learning"] = res
        md += ["## Learning on MNIST\n\n", learning_markdown(res), "\n"]
        plot_learning(res, [os.path.join(args.out, "lowrank_learning.png")] + ([] if args.quick else [args.docs_img]))
    name = "lowrank_quick" if args.quick else ("lowrank" if args.part == "all" else f"lowrank_{args.part}")
    write(args.out, name, payload, "".join(md))
    print(f"wrote {os.path.join(args.out, name)}.json/.md")


if __name__ == "__main__":
    main()
