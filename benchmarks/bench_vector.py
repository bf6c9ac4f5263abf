"""Vector mode: K directions in one generated pass vs K single JVPs, on the MLP loss
(784-1024-1024-10, ReLU, softmax cross-entropy, batch 64, float32).

    python benchmarks/bench_vector.py [--k 16] [--quick] [--out benchmarks/results]
"""

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
from _common import machine, reexec_without_blas_overrides, summary, timeit, write  # noqa: E402

reexec_without_blas_overrides()

import numpy as np  # noqa: E402

import tangent_fwd  # noqa: E402
from tangent_fwd.training.models import mlp_loss  # noqa: E402  (the MLP of the training issue)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--k", type=int, default=16)
    ap.add_argument("--width", type=int, default=1024)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--repeats", type=int, default=15)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "results"))
    a = ap.parse_args(argv)
    if a.quick:
        a.width, a.repeats, a.k = 64, 3, 4
    rng = np.random.default_rng(0)
    f32 = np.float32
    sizes = [(784, a.width), (a.width, a.width), (a.width, 10)]
    params = {}
    for i, (m, n) in enumerate(sizes, 1):
        params[f"W{i}"] = (rng.standard_normal((m, n)) / np.sqrt(m)).astype(f32)
        params[f"b{i}"] = np.zeros(n, f32)
    x = rng.random((a.batch, 784), dtype=f32)
    y = rng.integers(0, 10, a.batch)
    V = {k: rng.standard_normal((a.k,) + v.shape).astype(f32) for k, v in params.items()}
    vec = tangent_fwd.forward_diff(mlp_loss, wrt="params", vectorized=True)
    one = tangent_fwd.forward_diff(mlp_loss, wrt="params")
    singles = [{k: V[k][i] for k in V} for i in range(a.k)]

    def run_vector():
        return vec(params, x, y, V)

    def run_singles():
        return [one(params, x, y, s)[1] for s in singles]

    got = run_vector()[1]
    want = np.array(run_singles(), dtype=np.float64)
    np.testing.assert_allclose(got, want, rtol=2e-3, atol=1e-4)
    times = timeit({"vector": run_vector, "singles": run_singles, "f": lambda: mlp_loss(params, x, y)}, a.repeats)
    s = {k: summary(v) for k, v in times.items()}
    speedup = s["singles"]["median"] / s["vector"]["median"]
    payload = {
        "machine": machine(),
        "config": vars(a),
        "times": s,
        "speedup_vector_over_singles": speedup,
        "check": "vector tangents == K single JVPs (rtol 2e-3, float32)",
    }
    md = [
        f"# Vector mode: K={a.k} directions, MLP 784-{a.width}-{a.width}-10, batch {a.batch}, float32",
        "",
        "| what | median ms | IQR ms |",
        "|---|---|---|",
    ]
    for k, label in (
        ("f", "f alone"),
        ("vector", f"f + {a.k} JVPs, one vectorized pass"),
        ("singles", f"{a.k} separate f + JVP passes"),
    ):
        md.append(f"| {label} | {s[k]['median'] * 1e3:.2f} | {s[k]['q1'] * 1e3:.2f}–{s[k]['q3'] * 1e3:.2f} |")
    md += [
        "",
        f"speed-up of the vectorized pass over {a.k} single passes: **{speedup:.2f}×**",
        "",
        f"machine: {payload['machine']['cpu']}, {payload['machine']['cores']} cores, BLAS {payload['machine']['blas']}",
        "",
    ]
    write(a.out, "vector", payload, "\n".join(md))
    print("\n".join(md))
    return payload


if __name__ == "__main__":
    main()
