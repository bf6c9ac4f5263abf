"""GPU benchmark (CuPy): for the MLP and CNN of the training issue, device-synchronised times of f,
f+JVP and a forward-gradient step, with and without kernel fusion, plus kernel launches per call
(estimated from the generated source with tangent_fwd.fuse.estimate_launches).

    python benchmarks/bench_gpu.py [--quick] [--out benchmarks/results]

Needs CuPy with a usable device (``pip install -e ".[cuda12]"``); elsewhere it says so and exits 0
after printing what it would measure. Results go to ``gpu.json`` / ``gpu.md``.
"""

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
from _common import machine, write  # noqa: E402


def _cupy():
    try:
        import cupy

        return cupy if cupy.is_available() else None
    except ImportError:
        return None


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "results"))
    a = ap.parse_args(argv)
    cupy = _cupy()
    if cupy is None:
        print(
            "bench_gpu: no usable CUDA device through CuPy (cupy missing or cupy.is_available() is False); "
            "it would time f, f+JVP and a forward-gradient step of the MLP and CNN on the GPU, fused vs unfused."
        )
        return None
    import numpy as np
    from cupyx.profiler import benchmark

    import tangent_fwd
    from tangent_fwd import backends
    from tangent_fwd.api import _wrt_names
    from tangent_fwd.compiler import Unit
    from tangent_fwd.training.models import get_model

    rows = []
    repeat = 20 if a.quick else 200
    for name in ("mlp", "cnn"):
        model = get_model(name)
        params = {k: cupy.asarray(v) for k, v in model.init(0).items()}
        rng = np.random.default_rng(0)
        x = cupy.asarray(rng.random((a.batch, 784), dtype=np.float32))
        y = cupy.asarray(rng.integers(0, 10, a.batch))
        v = {k: cupy.random.standard_normal(p.shape, dtype=p.dtype) for k, p in params.items()}
        fns = {}
        for fuse in (True, False):
            fn, _ = (
                Unit(model.loss, _wrt_names(model.loss, "params"), backends.get("cupy"), fuse=fuse).build().compile()
            )
            fns[fuse] = fn
        fused_t = float(fns[True](params, x, y, v)[1])
        unfused_t = float(fns[False](params, x, y, v)[1])
        assert abs(fused_t - unfused_t) <= 1e-4 * max(1.0, abs(unfused_t)), (fused_t, unfused_t)
        sgd = tangent_fwd.training.make_optimizer("sgd", model.loss, params, lr=1e-4)
        cases = {
            "f": lambda: model.loss(params, x, y),
            "f+JVP fused": lambda: fns[True](params, x, y, v),
            "f+JVP unfused": lambda: fns[False](params, x, y, v),
            "forward-gradient step": lambda: sgd.step(x, y),
        }
        res = {}
        for label, fn in cases.items():
            r = benchmark(fn, n_repeat=repeat, n_warmup=5)
            res[label] = float(np.median(r.gpu_times)) * 1e3
        from tangent_fwd.fuse import estimate_launches

        launches = {
            "f+JVP fused": estimate_launches(tangent_fwd.source(model.loss, wrt="params", backend="cupy")),
            "f+JVP unfused": estimate_launches(tangent_fwd.source(model.loss, wrt="params", backend="numpy")),
        }
        rows.append(
            {
                "model": name,
                "ms": res,
                "launches": launches,
                "rf_fused": res["f+JVP fused"] / res["f"],
                "rf_unfused": res["f+JVP unfused"] / res["f"],
            }
        )
    dev = cupy.cuda.runtime.getDeviceProperties(0)["name"]
    dev = dev.decode() if isinstance(dev, bytes) else dev
    md = [
        f"# GPU: {dev}, batch {a.batch}, float32 (cupyx.profiler.benchmark, median GPU time)",
        "",
        "| model | f ms | f+JVP fused ms | f+JVP unfused ms | fwd-grad step ms | Rf fused | Rf unfused | launches fused / unfused |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        m = r["ms"]
        md.append(
            f"| {r['model']} | {m['f']:.3f} | {m['f+JVP fused']:.3f} | {m['f+JVP unfused']:.3f} | "
            f"{m['forward-gradient step']:.3f} | {r['rf_fused']:.2f} | {r['rf_unfused']:.2f} | "
            f"{r['launches']['f+JVP fused']} / {r['launches']['f+JVP unfused']} |"
        )
    payload = {"device": dev, "machine": machine(), "rows": rows}
    write(a.out, "gpu", payload, "\n".join(md) + "\n")
    print("\n".join(md))
    return payload


if __name__ == "__main__":
    main()
