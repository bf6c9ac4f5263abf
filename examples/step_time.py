"""Step time of forward-gradient SGD vs the hand-written backprop baseline (the paper's T_f / T_b).

    python examples/step_time.py --model mlp                 # paper MLP 784-1024-1024-10, batch 64
    python examples/step_time.py --model cnn --channels 64 --hidden 1024
    python examples/step_time.py --model mlp --rank 1 --distribution rademacher   # low-rank directions

Forward and backprop steps are interleaved (so background load hits both alike) after a warm-up that
includes code generation; the medians are reported. One step = gradient (one JVP, or forward+backward)
plus the parameter update.
"""

import argparse
import json
import time

import numpy as np

from tangent_fwd.data import load_mnist
from tangent_fwd.training import SGD, get_model


def measure(
    model_name,
    batch_size=64,
    steps=40,
    warmup=3,
    seed=0,
    distribution="normal",
    directions=1,
    vectorized=False,
    rank=None,
    **size,
):
    x, y, _, _ = load_mnist()
    model = get_model(model_name)
    fwd = SGD(
        model.loss,
        model.init(seed, **size),
        lr=1e-5,
        rng=seed,
        distribution=distribution,
        directions=directions,
        vectorized=vectorized,
        rank=rank,
    )
    bp = SGD(model.loss, model.init(seed, **size), lr=1e-5, grad_fn=model.loss_and_grad)
    rng = np.random.default_rng(seed)
    tf, tb, tp = [], [], []
    for i in range(warmup + steps):
        idx = rng.choice(len(x), batch_size, replace=False)
        xb, yb = x[idx], y[idx]
        times = []
        for opt in (fwd, bp):
            t0 = time.perf_counter()
            opt.step(xb, yb)
            times.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        model.loss(fwd.params, xb, yb)  # the primal alone, for reference
        times.append(time.perf_counter() - t0)
        if i >= warmup:
            tf.append(times[0])
            tb.append(times[1])
            tp.append(times[2])
    f, b, p = (float(np.median(t)) for t in (tf, tb, tp))
    return {
        "model": model_name,
        "size": size,
        "batch_size": batch_size,
        "steps": steps,
        "distribution": distribution,
        "directions": directions,
        "vectorized": vectorized,
        "rank": rank,
        "forward_ms": 1e3 * f,
        "backprop_ms": 1e3 * b,
        "primal_loss_ms": 1e3 * p,
        "tf_over_tb": f / b,
    }


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--model", choices=["logreg", "mlp", "cnn"], default="mlp")
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--steps", type=int, default=40)
    p.add_argument("--distribution", choices=["normal", "rademacher"], default="normal")
    p.add_argument("--directions", type=int, default=1)
    p.add_argument("--vectorized", action="store_true")
    p.add_argument("--rank", type=int, default=None, help="low-rank directions (see docs/lowrank.md)")
    p.add_argument("--width", type=int, default=None)
    p.add_argument("--channels", type=int, default=None)
    p.add_argument("--hidden", type=int, default=None)
    args = p.parse_args(argv)
    size = {
        k: v for k, v in (("width", args.width), ("channels", args.channels), ("hidden", args.hidden)) if v is not None
    }
    r = measure(
        args.model,
        args.batch_size,
        args.steps,
        distribution=args.distribution,
        directions=args.directions,
        vectorized=args.vectorized,
        rank=args.rank,
        **size,
    )
    print(json.dumps(r, indent=1))
    print(
        f"{args.model} batch {args.batch_size}, K={args.directions}{' vectorized' if args.vectorized else ''}"
        f"{f' rank-{args.rank}' if args.rank else ''} "
        f"{args.distribution} directions: forward-gradient step {r['forward_ms']:.2f} ms, backprop step "
        f"{r['backprop_ms']:.2f} ms, T_f/T_b = {r['tf_over_tb']:.2f} (primal loss alone {r['primal_loss_ms']:.2f} ms)"
    )
    return r


if __name__ == "__main__":
    main()
