"""Forward gradient vs true gradient on the Beale and Rosenbrock functions (Baydin et al. 2022, Figs. 2-3).

    python examples/beale_rosenbrock.py                       # paper settings: Beale 1000 its, Rosenbrock 25000
    python examples/beale_rosenbrock.py --rosenbrock-iters 5000 --out-dir runs/toy

Plain SGD (the paper's Algorithm 1, no decay): Beale lr 0.01, Rosenbrock lr 5e-4. The forward gradient is
(∇f·v)v with v ~ N(0, I) and ∇f·v from tangent_fwd.jvp on the source below; the baseline uses the exact,
hand-written gradient. Writes beale.png, rosenbrock.png (loss vs iteration, loss vs time, trajectories on
the contour plot) and toy_results.json.
"""

import argparse
import json
import pathlib
import sys
import time

import numpy as np


def beale(x):
    a = 1.5 - x[0] + x[0] * x[1]
    b = 2.25 - x[0] + x[0] * x[1] ** 2
    c = 2.625 - x[0] + x[0] * x[1] ** 3
    return a**2 + b**2 + c**2


def beale_grad(x):
    x0, x1 = x
    a = 1.5 - x0 + x0 * x1
    b = 2.25 - x0 + x0 * x1**2
    c = 2.625 - x0 + x0 * x1**3
    return beale(x), np.array(
        [
            2 * a * (x1 - 1) + 2 * b * (x1**2 - 1) + 2 * c * (x1**3 - 1),
            2 * a * x0 + 4 * b * x0 * x1 + 6 * c * x0 * x1**2,
        ]
    )


def rosenbrock(x):
    return (1.0 - x[0]) ** 2 + 100.0 * (x[1] - x[0] ** 2) ** 2


def rosenbrock_grad(x):
    x0, x1 = x
    return rosenbrock(x), np.array([-2 * (1 - x0) - 400 * x0 * (x1 - x0**2), 200 * (x1 - x0**2)])


PROBLEMS = {
    # name: (f, exact gradient, start, lr, iterations, minimum, plot window)
    "beale": (beale, beale_grad, (1.0, 1.5), 0.01, 1000, (3.0, 0.5), ((-0.5, 3.5), (-0.5, 2.0))),
    "rosenbrock": (rosenbrock, rosenbrock_grad, (-1.2, 1.0), 5e-4, 25000, (1.0, 1.0), ((-1.6, 1.4), (-0.4, 1.6))),
}


def optimize(f, grad_fn, start, lr, iterations, seed):
    """SGD from ``start``; ``grad_fn=None`` means forward gradients. Returns losses, times, trajectory."""
    import tangent_fwd
    from tangent_fwd.training import SGD

    x = np.array(start, dtype=np.float64)
    if grad_fn is None:  # generate the JVP code before the clock starts (a one-off ~10 ms)
        tangent_fwd.jvp(f, (x.copy(),), (np.ones_like(x),))
    opt = SGD(f, x, lr=lr, grad_fn=grad_fn, rng=seed)
    losses, times, path = [], [], [x.copy()]
    clock = 0.0
    for _ in range(iterations):
        t0 = time.perf_counter()
        loss = opt.step()
        clock += time.perf_counter() - t0
        losses.append(float(loss))
        times.append(clock)
        path.append(x.copy())
    losses.append(float(f(x)))
    return np.array(losses), np.array(times), np.array(path)


def plot(name, f, runs, minimum, window, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 3, figsize=(15, 4.2))
    colors = {"forward gradient": "tab:blue", "true gradient": "tab:orange"}
    for label, (losses, times, traj) in runs.items():
        c = colors[label]
        axes[0].plot(np.arange(len(losses)), losses, color=c, label=label)
        axes[1].plot(np.concatenate([[0.0], times]), losses, color=c, label=label)
        axes[2].plot(traj[:, 0], traj[:, 1], color=c, lw=1, label=label)
    (x0, x1), (y0, y1) = window
    gx, gy = np.meshgrid(np.linspace(x0, x1, 300), np.linspace(y0, y1, 300))
    z = f(np.stack([gx, gy]))
    axes[2].contour(gx, gy, np.log10(z + 1e-12), levels=30, cmap="gray", linewidths=0.5)
    axes[2].plot(*minimum, "k*", ms=12, label="minimum")
    start = next(iter(runs.values()))[2][0]
    axes[2].plot(*start, "ko", ms=6, label="start")
    axes[0].set_xlabel("iteration")
    axes[1].set_xlabel("time (s)")
    for ax in axes[:2]:
        ax.set_ylabel(name)
        ax.set_yscale("log")
    axes[2].set_xlabel("x")
    axes[2].set_ylabel("y")
    for ax in axes:
        ax.grid(alpha=0.3)
        ax.legend()
    fig.suptitle(f"{name}: forward gradient vs true gradient (SGD)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--beale-iters", type=int, default=1000)
    p.add_argument("--rosenbrock-iters", type=int, default=25000)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out-dir", default="runs/toy")
    args = p.parse_args(argv)
    if args.beale_iters < 1 or args.rosenbrock_iters < 1:
        p.error("iteration counts must be positive")
    out = pathlib.Path(args.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    summary = {}
    for name, (f, g, start, lr, iters, minimum, window) in PROBLEMS.items():
        iters = args.beale_iters if name == "beale" else args.rosenbrock_iters
        runs = {
            "forward gradient": optimize(f, None, start, lr, iters, args.seed),
            "true gradient": optimize(f, g, start, lr, iters, args.seed),
        }
        plot(name, f, runs, minimum, window, out / f"{name}.png")
        summary[name] = {
            "lr": lr,
            "iterations": iters,
            "start": list(start),
            **{
                label: {
                    "final_loss": float(l[-1]),
                    "final_x": t[-1].tolist(),
                    "time_s": float(ti[-1]),
                    "time_per_iteration_s": float(ti[-1] / iters),
                }
                for label, (l, ti, t) in runs.items()
            },
        }
        for label, s in summary[name].items():
            if isinstance(s, dict):
                print(
                    f"{name:10s} {label:16s} final loss {s['final_loss']:.3e} at {np.round(s['final_x'], 4)}, "
                    f"{1e6 * s['time_per_iteration_s']:.1f} µs/iteration"
                )
    (out / "toy_results.json").write_text(json.dumps(summary, indent=1))
    print(f"wrote {out / 'beale.png'}, {out / 'rosenbrock.png'}, {out / 'toy_results.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
