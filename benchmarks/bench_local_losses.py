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

For each method: plain SGD at each step size of its grid, trained on the training images minus a
held-out validation split; the step size is the one with the best validation accuracy (never the test
set), and the test accuracy of that run is reported. Also: the step time of every method measured
interleaved on one batch (relative to backprop), and the relative variance of each estimate at the
initial parameters, E‖ĝ − g‖² / ‖g‖², against the exact gradient of the method's own objective.

    python benchmarks/bench_local_losses.py --epochs 30 --train 4000 --val 500 --seeds 2   # the issue's runs
    python benchmarks/bench_local_losses.py --smoke      # 1 epoch on 1,000 images, 1 seed (minutes)
"""

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import machine, reexec_without_blas_overrides, summary, timeit, write  # noqa: E402
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
ACT_GRID = (0.003, 0.01, 0.03, 0.1)


def _global(p):
    return {k: v for k, v in p.items() if k[0] in "Wb"}


def methods():
    """(label, local model?, lr grid, make(params, seed) -> (optimizer-ready kwargs, grad(params, x, y)))."""

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
    return [
        ("backprop", False, BP_GRID, bp),
        ("backprop, local losses", True, BP_GRID, bp_local),
        ("weights, dense normal", False, WEIGHT_GRID, weights(None, "normal")),
        ("weights, rank-1 Rademacher", False, WEIGHT_GRID, weights(1, "rademacher")),
        ("activations, global loss, K=1", False, ACT_GRID, act(L.mlp_losses, None, 1)),
        ("activations, local, fg heads, K=1", True, ACT_GRID, act(L.local_mlp_losses, None, 1)),
        ("activations, local, exact heads, K=1", True, ACT_GRID, act(L.local_mlp_losses, heads, 1)),
        ("activations, local, fg heads, K=16", True, ACT_GRID, act(L.local_mlp_losses, None, 16)),
        ("activations, local, exact heads, K=16", True, ACT_GRID, act(L.local_mlp_losses, heads, 16)),
    ]


def init(local, width, seed):
    p = L.local_mlp_init(seed, width=width)
    return p if local else _global(p)


def loss_of(local):
    return L.local_mlp_losses if local else models.mlp_loss


def logits_of(local):
    return L.local_mlp_logits if local else models.mlp_logits


def accuracy(local, p, x, y):
    return float(np.mean(np.argmax(logits_of(local)(p, x), axis=1) == y))


def train_one(make, local, lr, seed, width, data, epochs, batch):
    xtr, ytr, xval, yval, xte, yte = data
    p = init(local, width, seed)
    kw, _ = make(p, seed)
    opt = SGD(loss_of(local), p, lr, **kw)
    rng = np.random.default_rng(seed + 1000)
    t0 = time.perf_counter()
    with np.errstate(all="ignore"):  # a step size that diverges is detected and reported as such
        steps, diverged = _epochs(opt, xtr, ytr, rng, epochs, batch)
    wall = time.perf_counter() - t0
    if diverged:
        return dict(lr=lr, val=0.0, test=0.0, steps=steps, wall_s=wall, diverged=True)
    return dict(lr=lr, val=accuracy(local, p, xval, yval), test=accuracy(local, p, xte, yte), steps=steps, wall_s=wall)


def _epochs(opt, xtr, ytr, rng, epochs, batch):
    steps = 0
    for _ in range(epochs):
        order = rng.permutation(len(xtr))
        for i in range(0, len(order) - batch + 1, batch):
            idx = order[i : i + batch]
            value = opt.step(xtr[idx], ytr[idx])
            steps += 1
            if not np.isfinite(float(value)):
                return steps, True
    return steps, False


def learning(args, data):
    rows = []
    for label, local, grid, make in methods():
        per_seed = []
        for seed in range(args.seeds):
            runs = [train_one(make, local, lr, seed, args.width, data, args.epochs, args.batch) for lr in grid]
            best = max(runs, key=lambda r: r["val"])
            per_seed.append(dict(best=best, grid=runs))
            print(f"  {label} seed {seed}: lr {best['lr']} val {best['val']:.3f} test {best['test']:.3f}", flush=True)
        rows.append(
            dict(
                method=label,
                lr=[s["best"]["lr"] for s in per_seed],
                val=float(np.mean([s["best"]["val"] for s in per_seed])),
                test=float(np.mean([s["best"]["test"] for s in per_seed])),
                train_s=float(np.mean([s["best"]["wall_s"] for s in per_seed])),
                seeds=per_seed,
            )
        )
    return rows


def step_costs(args, x, y):
    """Median time of one gradient computation per method, interleaved (batch ``args.batch``)."""
    fns = {}
    for label, local, _, make in methods():
        p = init(local, args.width, 0)
        _, g = make(p, 0)
        fns[label] = (lambda g=g, p=p: g(p, x, y)) if callable(g) else None
    samples = timeit(fns, args.repeats, number=3)
    base = summary(samples["backprop"])["median"]
    return {k: dict(summary(v), ratio_to_backprop=summary(v)["median"] / base) for k, v in samples.items()}


def variances(args, x, y):
    """E‖ĝ − g‖² / ‖g‖² at the initial parameters, against the exact gradient of the method's objective."""
    out = {}
    for label, local, _, make in methods():
        if label.startswith("backprop"):
            continue
        p = init(local, args.width, 0)
        _, true = (L.local_mlp_loss_and_grad if local else backprop.mlp_loss_and_grad)(p, x, y)
        true = {k: np.asarray(v, np.float64) for k, v in true.items()}
        _, g = make(p, 0)
        n = args.var_samples_weights if label.startswith("weights") else args.var_samples
        rel, se = L.relative_variance(lambda g=g, p=p: g(p, x, y)[1], true, n)
        out[label] = dict(relative_variance=rel, standard_error=se, samples=n)
        print(f"  {label}: relative variance {rel:.4g} ± {se:.2g} ({n} samples)", flush=True)
    return out


def markdown(args, rows, costs, var, info):
    kind = "SMOKE RUN (not the issue's experiment)" if args.smoke else "run"
    lines = [
        f"# Local losses and activity perturbation: {kind}",
        "",
        f"MLP 784-{args.width}-{args.width}-10, float32, plain SGD, batch {args.batch}, {args.epochs} epoch(s) on "
        f"{args.train} training images ({args.val} of them held out to choose the step size), "
        f"{args.seeds} seed(s), test accuracy on {args.test} test images. Generated by "
        f"`benchmarks/bench_local_losses.py` at {info['git']}; machine load {info['loadavg']}.",
        "",
    ]
    if args.smoke:
        lines += [
            "**Smoke run:** sizes far below the issue's (30 epochs, 4,000 images, 2 seeds): the accuracies show "
            "that the pipeline works, not what the methods reach.",
            "",
        ]
    lines += [
        "| method | lr (chosen on val.) | val. acc. | test acc. | step (ms) | step / backprop | "
        "rel. variance at init |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        c = costs[r["method"]]
        v = var.get(r["method"], {}).get("relative_variance")
        se = var.get(r["method"], {}).get("standard_error")
        lines.append(
            f"| {r['method']} | {', '.join(map(str, r['lr']))} | {100 * r['val']:.1f}% | {100 * r['test']:.1f}% | "
            f"{1000 * c['median']:.2f} | {c['ratio_to_backprop']:.2f} | "
            f"{'0 (exact)' if v is None else f'{v:.4g} ± {se:.2g}'} |"
        )
    lines += [
        "",
        f"Step: the median of {args.repeats} interleaved samples (3 calls each) of one gradient computation "
        f"on the same batch (the update, the same for all, left out). Relative variance E‖ĝ − g‖² / ‖g‖² at "
        f"the initial parameters on one batch of {args.batch}, against the exact gradient of the method's own "
        f"objective (end-to-end loss, or the sum of the local losses with stop-gradient); "
        f"{args.var_samples} estimates per activity method, {args.var_samples_weights} per weight method "
        "(± one standard error of that mean).",
        "",
    ]
    return "\n".join(lines)


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
    ap.add_argument("--repeats", type=int, default=15, help="interleaved timing samples per method")
    ap.add_argument("--var-samples", type=int, default=200)
    ap.add_argument("--var-samples-weights", type=int, default=60)
    ap.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "results"))
    add_blas_threads_arg(ap)
    args = ap.parse_args()
    if args.smoke:
        args.epochs, args.train, args.val, args.seeds = 1, 1000, 200, 1
    if not 0 < args.val < args.train:
        ap.error("--val must be between 0 and --train")
    blas = set_blas_threads(args.blas_threads)
    xtr, ytr, xte, yte = load_mnist()
    xtr, ytr = xtr[: args.train], ytr[: args.train]
    cut = args.train - args.val
    data = (xtr[:cut], ytr[:cut], xtr[cut:], ytr[cut:], xte[: args.test], yte[: args.test])
    info = dict(git=git_head(), loadavg=loadavg(), machine=machine(), blas_threads=blas)
    xb, yb = xtr[: args.batch], ytr[: args.batch]
    print("relative variance at init:", flush=True)
    var = variances(args, xb, yb)
    print("step costs:", flush=True)
    costs = step_costs(args, xb, yb)
    print("learning:", flush=True)
    rows = learning(args, data)
    name = "local_losses_smoke" if args.smoke else "local_losses"
    payload = dict(args=vars(args), info=info, learning=rows, step_costs=costs, variance=var)
    md = markdown(args, rows, costs, var, info)
    write(args.out, name, payload, md)
    print(md)


if __name__ == "__main__":
    main()
