"""Activity perturbation and local losses vs weight perturbation vs backprop (issue 18), on CPU, float32.

The comparison of the issue's table, for the paper's MLP (784-w-w-10, ReLU):

* ``backprop``: end to end (hand-written backward pass);
* ``backprop, local losses``: the same local-loss model (a linear 10-way head per block, stop-gradient
  between blocks) trained by its hand-written local backward passes;
* ``weights, dense`` / ``weights, rank-1``: the paper's weight-perturbed forward gradient (normal, and
  rank-1 Rademacher directions);
* ``activations, global``: activity perturbation of the end-to-end loss (one Rademacher direction per
  example at each pre-activation, ``forward_gradient(..., perturb="activations")``, as the issue's
  prototype);
* ``activations, local, fg heads`` / ``exact heads``, K = 1 and K = 16 directions per example.

For each method: plain SGD at each step size of its grid with seed 0, trained on the training images
minus a held-out validation split; the step size is the one with the best validation accuracy after
training (never the test set), and the other seeds run at it; the mean test accuracy of the seeds is
reported, with per-epoch validation/test accuracy and training wall time (the plot). ``--decay-to``
sets the schedule (exponential decay to that fraction of the step size; 1 = constant) and ``--combine``
chooses the schedule per method on the validation accuracy too. Also: the step time of every method
measured interleaved on one batch (relative to backprop; ``--memory``: peak allocation of a step), and
the relative variance of each estimate at the initial parameters, E‖ĝ − g‖² / ‖g‖², against the exact
gradient of the method's own objective. ``--deep`` adds the blocks-of-two-layers model.

The issue's runs (results in benchmarks/results/local_losses*.md, plots in docs/img/)::

    python benchmarks/bench_local_losses.py --jobs 2                                 # decay to 0.1x
    python benchmarks/bench_local_losses.py --jobs 2 --decay-to 1 --tag constant
    python benchmarks/bench_local_losses.py --combine benchmarks/results/local_losses.json \\
        benchmarks/results/local_losses_constant.json
    python benchmarks/bench_local_losses.py --deep --methods 2-layer --tag deep --jobs 2   # (+ --decay-to 1)
    python benchmarks/bench_local_losses.py --costs-only --memory --repeats 31 --tag memory
    python benchmarks/bench_local_losses.py --smoke      # 1 epoch on 1,000 images, 1 seed (minutes)
"""

import argparse
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import machine, peak_bytes, reexec_without_blas_overrides, summary, timeit, write  # noqa: E402
from _paper_common import add_blas_threads_arg, git_head, loadavg, set_blas_threads  # noqa: E402

reexec_without_blas_overrides()

import numpy as np  # noqa: E402

from tangent_fwd.data import load_mnist  # noqa: E402
from tangent_fwd.training import backprop, models  # noqa: E402
from tangent_fwd.training import local_losses as L  # noqa: E402
from tangent_fwd.training.forward_gradient import forward_gradient  # noqa: E402
from tangent_fwd.training.optim import SGD  # noqa: E402

BP_GRID = (0.03, 0.1, 0.3)
WEIGHT_GRID = (1e-4, 3e-4, 1e-3)
ACT_GRID = (0.003, 0.01, 0.03, 0.1, 0.3)


def _global(p):
    return {k: v for k, v in p.items() if k[0] in "Wb"}


def methods(deep=False, select=None):
    """(label, model: False end-to-end / True local losses / "deep" blocks of two layers, lr grid,
    make(params, seed) -> (optimizer-ready kwargs, grad(params, x, y))). ``deep``: also the two-layer-block
    model's local backprop and activity perturbation (exact heads, K = 1); ``select``: only the labels
    containing one of these strings."""

    def bp(p, seed):
        return dict(grad_fn=backprop.mlp_loss_and_grad), backprop.mlp_loss_and_grad

    def bp_local(p, seed):
        return dict(grad_fn=L.local_mlp_loss_and_grad), L.local_mlp_loss_and_grad

    def weights(rank, distribution):
        def make(p, seed):
            g = forward_gradient(models.mlp_loss, rng=seed, rank=rank, distribution=distribution)
            return dict(rng=seed, rank=rank, distribution=distribution), g

        return make

    def act(f, exact, k):
        def make(p, seed):
            g = forward_gradient(
                f, perturb="activations", rng=seed, directions=k, exact=exact, distribution="rademacher"
            )
            return dict(grad_fn=g), g

        return make

    heads = L.exact_heads()
    deep_heads = L.exact_heads(("b1/head", "b2/head", "out/z"))

    def bp_deep(p, seed):
        return dict(grad_fn=L.deep_local_mlp_loss_and_grad), L.deep_local_mlp_loss_and_grad

    extra = [
        ("2-layer blocks: backprop, local losses", "deep", BP_GRID, bp_deep),
        ("2-layer blocks: activations, local, exact heads, K=1", "deep", ACT_GRID,
         act(L.deep_local_mlp_losses, deep_heads, 1)),
    ]  # fmt: skip
    out = [
        ("backprop", False, BP_GRID, bp),
        ("backprop, local losses", True, BP_GRID, bp_local),
        ("weights, dense normal", False, WEIGHT_GRID, weights(None, "normal")),
        ("weights, rank-1 Rademacher", False, WEIGHT_GRID, weights(1, "rademacher")),
        ("activations, global loss, K=1", False, ACT_GRID, act(L.mlp_losses, None, 1)),
        ("activations, local, fg heads, K=1", True, ACT_GRID, act(L.local_mlp_losses, None, 1)),
        ("activations, local, exact heads, K=1", True, ACT_GRID, act(L.local_mlp_losses, heads, 1)),
        ("activations, local, fg heads, K=16", True, ACT_GRID, act(L.local_mlp_losses, None, 16)),
        ("activations, local, exact heads, K=16", True, ACT_GRID, act(L.local_mlp_losses, heads, 16)),
    ] + (extra if deep else [])
    return [m for m in out if not select or any(s in m[0] for s in select)]


def init(local, width, seed):
    if local == "deep":
        return L.deep_local_mlp_init(seed, width=width)
    p = L.local_mlp_init(seed, width=width)
    return p if local else _global(p)


def loss_of(local):
    if local == "deep":
        return L.deep_local_mlp_losses
    return L.local_mlp_losses if local else models.mlp_loss


def logits_of(local):
    if local == "deep":
        return L.deep_local_mlp_logits
    return L.local_mlp_logits if local else models.mlp_logits


def accuracy(local, p, x, y):
    return float(np.mean(np.argmax(logits_of(local)(p, x), axis=1) == y))


def decay_rate(decay_to, epochs, n, batch):
    """The per-step rate k of SGD's schedule η_i = η_0 e^{-ik} that ends the run at ``decay_to`` × η_0."""
    steps = epochs * (n // batch)
    return 0.0 if decay_to >= 1 or steps < 2 else -np.log(decay_to) / (steps - 1)


def train_one(make, local, lr, seed, width, data, epochs, batch, decay=0.0):
    """One run; after every epoch the validation and test accuracy and the training wall time so far (the
    evaluations not counted) are recorded as a curve. Only the validation accuracy chooses anything."""
    xtr, ytr, xval, yval, xte, yte = data
    p = init(local, width, seed)
    kw, _ = make(p, seed)
    opt = SGD(loss_of(local), p, lr, decay=decay, **kw)
    rng = np.random.default_rng(seed + 1000)
    wall, steps, curve = 0.0, 0, []
    with np.errstate(all="ignore"):  # a step size that diverges is detected and reported as such
        for epoch in range(epochs):
            t0 = time.perf_counter()
            n, diverged = _epoch(opt, xtr, ytr, rng, batch)
            wall += time.perf_counter() - t0
            steps += n
            if diverged:
                return dict(lr=lr, seed=seed, val=0.0, test=0.0, steps=steps, wall_s=wall, diverged=True, curve=curve)
            curve.append(
                dict(
                    epoch=epoch + 1, wall_s=wall, val=accuracy(local, p, xval, yval), test=accuracy(local, p, xte, yte)
                )
            )
    return dict(lr=lr, seed=seed, val=curve[-1]["val"], test=curve[-1]["test"], steps=steps, wall_s=wall, curve=curve)


def _epoch(opt, xtr, ytr, rng, batch):
    steps = 0
    order = rng.permutation(len(xtr))
    for i in range(0, len(order) - batch + 1, batch):
        idx = order[i : i + batch]
        value = opt.step(xtr[idx], ytr[idx])
        steps += 1
        if not np.isfinite(float(value)):
            return steps, True
    return steps, False


_WORKER = {}


def _init_worker(blas_threads, data, args):
    set_blas_threads(blas_threads)
    _WORKER.update(data=data, args=args)


def _run_task(task):
    label, lr, seed = task
    args = _WORKER["args"]
    _, local, _, make = next(m for m in methods(args.deep) if m[0] == label)
    decay = decay_rate(args.decay_to, args.epochs, len(_WORKER["data"][0]), args.batch)
    r = train_one(make, local, lr, seed, args.width, _WORKER["data"], args.epochs, args.batch, decay)
    print(f"  {label} seed {seed} lr {lr}: val {r['val']:.3f} test {r['test']:.3f} ({r['wall_s']:.0f} s)", flush=True)
    return label, r


def _map(tasks, args, data):
    """Run (label, lr, seed) tasks in ``args.jobs`` processes (each with its own BLAS thread limit)."""
    tasks = sorted(tasks, key=lambda t: -_COST.get(t[0], 0.5))  # the slow ones first, for balance
    if args.jobs <= 1:
        _init_worker(args.blas_threads, data, args)
        return [_run_task(t) for t in tasks]
    import multiprocessing as mp

    with mp.get_context("fork").Pool(args.jobs, _init_worker, (args.blas_threads, data, args)) as pool:
        return list(pool.imap_unordered(_run_task, tasks))


# relative cost of an epoch (measured: one epoch of each method, one BLAS thread), to schedule slow runs first
_COST = {
    "backprop": 1.7,
    "backprop, local losses": 2.0,
    "weights, dense normal": 5.3,
    "weights, rank-1 Rademacher": 2.1,
    "activations, local, fg heads, K=16": 4.7,
    "activations, local, exact heads, K=16": 4.3,
}


def learning(args, data):
    """The step size of each method is chosen on the validation split with seed 0 (its whole grid); the
    other seeds run at that step size only."""
    chosen_methods = methods(args.deep, args.methods)
    grid_tasks = [(label, lr, 0) for label, _, grid, _ in chosen_methods for lr in grid]
    first = _map(grid_tasks, args, data)
    rows = []
    chosen = {}
    for label, *_ in chosen_methods:
        runs = sorted((r for lab, r in first if lab == label), key=lambda r: r["lr"])
        chosen[label] = max(runs, key=lambda r: r["val"])
        rows.append(dict(method=label, grid=runs))
    rest = [(label, chosen[label]["lr"], s) for label in chosen for s in range(1, args.seeds)]
    later = _map(rest, args, data) if rest else []
    for row in rows:
        label = row["method"]
        seeds = [chosen[label]] + sorted((r for lab, r in later if lab == label), key=lambda r: r["seed"])
        row.update(
            lr=chosen[label]["lr"],
            val=float(np.mean([r["val"] for r in seeds])),
            test=float(np.mean([r["test"] for r in seeds])),
            test_per_seed=[r["test"] for r in seeds],
            train_s=float(np.mean([r["wall_s"] for r in seeds])),
            seeds=seeds,
        )
    return rows


def step_costs(args, x, y):
    """Median time of one gradient computation per method, interleaved (batch ``args.batch``), plus the
    blocks-of-two-layers model (``deep_local_mlp``): its local backprop and its activity-perturbed
    estimate with exact heads, where forward mode saves the block's backward pass."""
    fns = {}
    for label, local, _, make in methods():
        p = init(local, args.width, 0)
        _, g = make(p, 0)
        fns[label] = lambda g=g, p=p: g(p, x, y)
    pd = L.deep_local_mlp_init(0, width=args.width)
    deep_heads = {"b1/head": L.head_gradient, "b2/head": L.head_gradient, "out/z": L.head_gradient}
    gd = forward_gradient(
        L.deep_local_mlp_losses, perturb="activations", rng=0, exact=deep_heads, distribution="rademacher"
    )
    fns["2-layer blocks: backprop, local losses"] = lambda: L.deep_local_mlp_loss_and_grad(pd, x, y)
    fns["2-layer blocks: activations, local, exact heads, K=1"] = lambda: gd(pd, x, y)
    samples = timeit(fns, args.repeats, number=3)
    peaks = {k: peak_bytes(f) for k, f in fns.items()} if getattr(args, "memory", False) else {}
    base = summary(samples["backprop"])["median"]
    out = {k: dict(summary(v), ratio_to_backprop=summary(v)["median"] / base, samples=v) for k, v in samples.items()}
    for k, b in peaks.items():  # peak memory one gradient computation allocates (tracemalloc; NumPy arrays traced)
        out[k]["peak_bytes"] = b
    for k, v in samples.items():  # the ratio's spread: per-repeat ratios (each repeat times every method once)
        r = [a / b for a, b in zip(v, samples["backprop"])]
        out[k]["per_repeat_ratio"] = dict((q, val) for q, val in summary(r).items() if q != "n")
    dl = samples["2-layer blocks: backprop, local losses"]
    r = [a / b for a, b in zip(samples["2-layer blocks: activations, local, exact heads, K=1"], dl)]
    out["2-layer blocks: activations, local, exact heads, K=1"]["per_repeat_ratio_to_local_backprop"] = {
        q: val for q, val in summary(r).items() if q != "n"
    }
    return out


def variances(args, x, y):
    """E‖ĝ − g‖² / ‖g‖² at the initial parameters, against the exact gradient of the method's objective."""
    out = {}
    for label, local, _, make in methods(args.deep, args.methods):
        if "backprop" in label:
            continue
        p = init(local, args.width, 0)
        exact = {True: L.local_mlp_loss_and_grad, False: backprop.mlp_loss_and_grad}
        _, true = exact.get(local, L.deep_local_mlp_loss_and_grad)(p, x, y)
        true = {k: np.asarray(v, np.float64) for k, v in true.items()}
        _, g = make(p, 0)
        n = args.var_samples_weights if label.startswith("weights") else args.var_samples
        rel, se = L.relative_variance(lambda g=g, p=p: g(p, x, y)[1], true, n)
        out[label] = dict(relative_variance=rel, standard_error=se, samples=n)
        print(f"  {label}: relative variance {rel:.4g} ± {se:.2g} ({n} samples)", flush=True)
    return out


def _ratio(c):
    q = c["per_repeat_ratio"]
    return f"{c['ratio_to_backprop']:.2f} ({q['q1']:.2f}–{q['q3']:.2f})"


def markdown(args, rows, costs, var, info):
    kind = "SMOKE RUN (not the issue's experiment)" if args.smoke else "run"
    decay = (
        "constant step size"
        if args.decay_to >= 1
        else f"step size decayed exponentially to {args.decay_to} × its start"
    )
    lines = [
        f"# Local losses and activity perturbation: {kind}",
        "",
        f"MLP 784-{args.width}-{args.width}-10, float32, plain SGD ({decay}), batch {args.batch}, "
        f"{args.epochs} epoch(s) on {args.train - args.val} training images ({args.val} more held out to choose "
        f"the step size), {args.seeds} seed(s), test accuracy on {args.test} test images. The step size of each "
        f"method is the one of its grid with the best validation accuracy at the end of training with seed 0; "
        f"the other seeds run at that step size. Generated by `benchmarks/bench_local_losses.py` at "
        f"{info['git']}; {args.jobs} training process(es), BLAS {info['blas_threads']} "
        f"({_blas(info)}); machine load at the start {info['loadavg']}, at the end {info.get('loadavg_end')}.",
        "",
    ]
    if args.smoke:
        lines += [
            "**Smoke run:** sizes far below the issue's (30 epochs, 4,000 images, 2 seeds): the accuracies show "
            "that the pipeline works, not what the methods reach.",
            "",
        ]
    lines += [
        "| method | lr (chosen on val.) | val. acc. | test acc. (mean) | test acc. per seed | train time (s) | "
        "step (ms) | step / backprop (IQR) | rel. variance at init |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        c = costs[r["method"]]
        v = var.get(r["method"], {}).get("relative_variance")
        se = var.get(r["method"], {}).get("standard_error")
        lines.append(
            f"| {r['method']} | {r['lr']} | {100 * r['val']:.1f}% | {100 * r['test']:.1f}% | "
            f"{', '.join(f'{100 * t:.1f}%' for t in r['test_per_seed'])} | {r['train_s']:.0f} | "
            f"{1000 * c['median']:.2f} | {_ratio(c)} | "
            f"{'0 (exact)' if v is None else f'{v:.4g} ± {se:.2g}'} |"
        )
    lines += ["", "Validation accuracy (seed 0) over each method's grid:", ""]
    for r in rows:
        cells = ", ".join(
            f"{g['lr']}: " + ("diverged" if g.get("diverged") else f"{100 * g['val']:.1f}%") for g in r["grid"]
        )
        lines.append(f"* {r['method']}: {cells}")
    lines += ["", "Step cost of the blocks-of-two-layers model (`deep_local_mlp`, 784-w-w | w-w | out):", ""]
    for k, c in costs.items():
        if k.startswith("2-layer"):
            lines.append(f"* {k}: {1000 * c['median']:.2f} ms, {_ratio(c)} × the end-to-end backprop step")
    dk = "2-layer blocks: activations, local, exact heads, K=1"
    if dk in costs:
        q = costs[dk]["per_repeat_ratio_to_local_backprop"]
        lines.append(
            f"* its activity-perturbed step / its local-backprop step: median {q['median']:.2f} "
            f"(IQR {q['q1']:.2f}–{q['q3']:.2f})"
        )
    lines += [
        "",
        f"Step: the median of {args.repeats} interleaved samples (3 calls each) of one gradient computation "
        f"on the same batch (the update, the same for all, left out), measured before training on a quiet "
        f"machine with one BLAS thread; in brackets the quartiles of the per-repeat ratio to backprop. Train "
        f"time: the wall time of the training loop (evaluations excluded) with {args.jobs} runs in parallel on "
        f"the machine's cores, so it includes their contention. Relative variance E‖ĝ − g‖² / ‖g‖² at the "
        f"initial parameters on one batch of {args.batch}, against the exact gradient of the method's own "
        f"objective (end-to-end loss, or the sum of the local losses with stop-gradient); "
        f"{args.var_samples} estimates per activity method, {args.var_samples_weights} per weight method "
        "(± one standard error of that mean).",
        "",
    ]
    return "\n".join(lines)


def costs_markdown(args, costs, info):
    lines = [
        "# Local losses and activity perturbation: step cost (a separate measurement)",
        "",
        f"MLP 784-{args.width}-{args.width}-10, float32, batch {args.batch}: one gradient computation per method "
        f"on the same batch, {args.repeats} interleaved repeats of 3 calls, one BLAS thread ({_blas(info)}); "
        f"git {info['git']}; machine load at the start {info['loadavg']}, at the end {info['loadavg_end']}.",
        "",
        "| method | median step (ms) | step / backprop: ratio of medians | per-repeat ratio, quartiles | "
        "peak memory of a step (MB) |",
        "|---|---|---|---|---|",
    ]
    for k, c in costs.items():
        q = c["per_repeat_ratio"]
        mem = f"{c['peak_bytes'] / 1e6:.1f}" if "peak_bytes" in c else "not measured"
        lines.append(
            f"| {k} | {1000 * c['median']:.2f} | {c['ratio_to_backprop']:.3f} | {q['q1']:.3f}–{q['q3']:.3f} | {mem} |"
        )
    q = costs["2-layer blocks: activations, local, exact heads, K=1"]["per_repeat_ratio_to_local_backprop"]
    lines += ["", f"2-layer blocks, activity-perturbed / local backprop: median {q['median']:.3f} "
              f"(IQR {q['q1']:.3f}–{q['q3']:.3f}).", ""]  # fmt: skip
    return "\n".join(lines)


def _blas(info):
    b = info["machine"].get("blas") if isinstance(info.get("machine"), dict) else None
    if not isinstance(b, list):
        return str(b)
    return "; ".join(f"{x.get('internal_api')} {x.get('version')} {x.get('architecture')}" for x in b)


def plot(rows, path, title):
    """Test accuracy against training wall time, mean over seeds at each method's chosen step size."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 5))
    for r in rows:
        curves = [s["curve"] for s in r["seeds"] if s.get("curve")]
        n = min(len(c) for c in curves) if curves else 0
        if not n:
            continue
        t = np.mean([[e["wall_s"] for e in c[:n]] for c in curves], axis=0)
        a = np.mean([[e["test"] for e in c[:n]] for c in curves], axis=0)
        style = "-" if r["method"].startswith(("backprop", "activations, local")) else "--"
        sched = f", {r['schedule']}" if r.get("schedule") else ""
        ax.plot(t, 100 * a, style, marker=".", markersize=3, label=f"{r['method']} (lr {r['lr']}{sched})")
    ax.set_xscale("log")
    ax.set_xlabel("training wall time (s, log scale)")
    ax.set_ylabel("test accuracy (%)")
    ax.set_title(title, fontsize=9)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def combine(paths, out, img, name="local_losses_combined"):
    """The step-size schedule as one more hyperparameter chosen on the held-out split: for each method, the
    run (schedule and lr) of the given result files with the best seed-0 validation accuracy (a tie goes
    to the file listed first); its seeds' test accuracies are reported. Step costs and variances: the
    first file's."""
    runs = [json.load(open(p)) for p in paths]
    rows, lines = [], []
    base = runs[0]
    for row in base["learning"]:
        cands = [(d, next(r for r in d["learning"] if r["method"] == row["method"])) for d in runs]
        d, best = max(cands, key=lambda c: c[1]["seeds"][0]["val"])  # max keeps the first of equals
        sched = "constant" if d["args"]["decay_to"] >= 1 else f"decay to {d['args']['decay_to']}×"
        vals = " / ".join(f"{100 * c[1]['seeds'][0]['val']:.1f}%" for c in cands)
        rows.append({**best, "schedule": sched, "seed0_val_per_file": vals})
    a = base["args"]
    lines += [
        "# Local losses and activity perturbation: schedule and step size chosen on the held-out split",
        "",
        f"Combines {', '.join(f'`{os.path.basename(p)}`' for p in paths)} (same protocol, differing in the "
        f"step-size schedule): for each method the schedule and step size with the best validation accuracy "
        f"(seed 0, {a['val']} held-out training images; a tie goes to the first file), and the test accuracy "
        f"of its {a['seeds']} seeds. MLP 784-{a['width']}-{a['width']}-10, plain SGD, batch {a['batch']}, "
        f"{a['epochs']} epochs on {a['train'] - a['val']} images. Written by `bench_local_losses.py --combine`.",
        "",
        "| method | schedule | lr | seed-0 val. per file | test acc. (mean) | per seed | step / backprop | "
        "rel. variance at init |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        c = base["step_costs"][r["method"]]
        v = base["variance"].get(r["method"])
        var = "0 (exact)" if v is None else f"{v['relative_variance']:.4g} ± {v['standard_error']:.2g}"
        lines.append(
            f"| {r['method']} | {r['schedule']} | {r['lr']} | {r['seed0_val_per_file']} | {100 * r['test']:.1f}% | "
            f"{', '.join(f'{100 * t:.1f}%' for t in r['test_per_seed'])} | {_ratio(c)} | {var} |"
        )
    lines.append("")
    md = "\n".join(lines)
    write(out, name, dict(sources=[os.path.basename(p) for p in paths], learning=rows), md)
    plot(
        rows,
        os.path.join(img, name + ".png"),
        f"MLP 784-{a['width']}-{a['width']}-10, {a['epochs']} epochs, {a['train'] - a['val']} images, mean of "
        f"{a['seeds']} seeds, schedule and lr chosen on held-out data",
    )
    print(md)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--smoke", action="store_true", help="1 epoch, 1,000 training images (200 held out), 1 seed")
    ap.add_argument("--epochs", type=int, default=30)
    ap.add_argument("--train", type=int, default=4000, help="training images used (the held-out split included)")
    ap.add_argument("--val", type=int, default=500, help="training images held out to choose the step size")
    ap.add_argument("--test", type=int, default=1000)
    ap.add_argument("--seeds", type=int, default=2)
    ap.add_argument("--width", type=int, default=1024)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--decay-to", type=float, default=0.1, help="final step size / initial (1 = constant)")
    ap.add_argument("--jobs", type=int, default=1, help="training runs in parallel (processes)")
    ap.add_argument("--repeats", type=int, default=31, help="interleaved timing samples per method")
    ap.add_argument("--var-samples", type=int, default=200)
    ap.add_argument("--var-samples-weights", type=int, default=60)
    default_out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results")
    ap.add_argument("--out", default=default_out)
    ap.add_argument("--plot", default=None, help="PNG path (default: docs/img/ for the default --out, else --out)")
    ap.add_argument(
        "--memory", action="store_true", help="also the peak memory one gradient computation allocates (tracemalloc)"
    )
    ap.add_argument("--deep", action="store_true", help="also train the blocks-of-two-layers model")
    ap.add_argument("--methods", nargs="*", default=None, help="only the methods whose label contains one of these")
    ap.add_argument("--combine", nargs="+", default=None, metavar="JSON", help="combine result files (see combine)")
    ap.add_argument("--tag", default="", help="suffix of the output names (local_losses_<tag>.json/.md/.png)")
    ap.add_argument(
        "--costs-only",
        action="store_true",
        help="only the interleaved step costs (local_losses_step_cost[_<tag>].json/.md): a separate measurement",
    )
    add_blas_threads_arg(ap)
    args = ap.parse_args()
    if args.combine:
        img = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "docs", "img")
        name = "local_losses_combined" + (f"_{args.tag}" if args.tag else "")
        return combine(args.combine, args.out, img if args.out == default_out else args.out, name)
    if args.smoke:
        args.epochs, args.train, args.val, args.seeds = 1, 1000, 200, 1
    if not 0 < args.val < args.train:
        ap.error("--val must be between 0 and --train")
    if not 0 < args.decay_to <= 1:
        ap.error("--decay-to must be in (0, 1]")
    blas = set_blas_threads(args.blas_threads)
    xtr, ytr, xte, yte = load_mnist()
    xtr, ytr = xtr[: args.train], ytr[: args.train]
    cut = args.train - args.val
    data = (xtr[:cut], ytr[:cut], xtr[cut:], ytr[cut:], xte[: args.test], yte[: args.test])
    info = dict(git=git_head(), loadavg=loadavg(), machine=machine(), blas_threads=blas)
    xb, yb = xtr[: args.batch], ytr[: args.batch]
    print("step costs:", flush=True)
    costs = step_costs(args, xb, yb)
    for k, c in costs.items():
        print(f"  {k}: {1000 * c['median']:.2f} ms, {_ratio(c)}", flush=True)
    if args.costs_only:
        info.update(loadavg_end=loadavg())
        name = "local_losses_step_cost" + (f"_{args.tag}" if args.tag else "")
        write(args.out, name, dict(args=vars(args), info=info, step_costs=costs), costs_markdown(args, costs, info))
        print(costs_markdown(args, costs, info))
        return
    print("relative variance at init:", flush=True)
    var = variances(args, xb, yb)
    print("learning:", flush=True)
    t0 = time.perf_counter()
    rows = learning(args, data)
    info.update(loadavg_end=loadavg(), learning_wall_s=time.perf_counter() - t0)
    name = ("local_losses_smoke" if args.smoke else "local_losses") + (f"_{args.tag}" if args.tag else "")
    payload = dict(args=vars(args), info=info, learning=rows, step_costs=costs, variance=var)
    md = markdown(args, rows, costs, var, info)
    write(args.out, name, payload, md)
    img = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "docs", "img")
    path = args.plot or os.path.join(img if args.out == default_out else args.out, name + ".png")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    plot(
        rows,
        path,
        f"MLP 784-{args.width}-{args.width}-10, {args.epochs} epochs, {args.train - args.val} images, "
        f"mean of {args.seeds} seed(s), chosen lr",
    )
    print(md)


if __name__ == "__main__":
    main()
