"""Kernel fusion for CuPy: the generated source groups elementwise statements into @xp.fuse() kernels;
the fused code, run on a CPU stand-in whose fuse() is the identity, equals the unfused code on the
whole corpus; with a GPU, real CuPy fused == unfused (gpu marker)."""

import zlib

import golden_cases as G
import higher_cases as H
import numpy as np
import pytest
from corpus import load
from fusion_backend import fusetest
from gpu_support import cupy_available

import tangent_fwd
from tangent_fwd import backends
from tangent_fwd.fuse import estimate_launches

backends.register("fusetest", fusetest, array_module="numpy_fusetest")
CASES = load()


_launches = estimate_launches


def test_cupy_source_can_be_shown_without_a_gpu_and_fuses_elementwise_runs():
    src = tangent_fwd.source(G.mlp_loss, wrt="params", backend="cupy")
    assert src.count("@xp.fuse()") >= 3
    assert "import numpy" not in src and "np." not in src
    unfused = tangent_fwd.source(G.mlp_loss, wrt="params", backend="numpy")
    assert _launches(src) <= (2 / 3) * _launches(unfused), (_launches(src), _launches(unfused))


def _inputs(case):
    rng = np.random.default_rng(zlib.crc32(case.name.encode()))
    args = case.args(rng)

    def direction(x):
        if isinstance(x, dict):
            return {k: direction(v) for k, v in x.items()}
        if isinstance(x, (list, tuple)):
            return type(x)(direction(v) for v in x)
        if isinstance(x, np.ndarray):
            return rng.standard_normal(x.shape).astype(x.dtype)
        return float(rng.standard_normal())

    return args, tuple(direction(a) if i in case.wrt else None for i, a in enumerate(args))


def _close(a, b):
    if isinstance(a, dict):
        for k in a:
            _close(a[k], b[k])
    elif isinstance(a, (list, tuple)):
        for x, y in zip(a, b):
            _close(x, y)
    elif isinstance(a, (str, bytes, type(None))):
        assert a == b
    else:
        np.testing.assert_allclose(np.asarray(a, dtype=float), np.asarray(b, dtype=float), rtol=1e-12, atol=1e-13)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_fused_code_equals_unfused_on_corpus(case):
    import copy

    args, tangents = _inputs(case)
    want = tangent_fwd.jvp(case.func, copy.deepcopy(args), copy.deepcopy(tangents), backend="numpy")
    fd = tangent_fwd.forward_diff(case.func, wrt=case.wrt, backend="fusetest")
    got = fd(*copy.deepcopy(args), *[copy.deepcopy(t) for t in tangents if t is not None])
    _close(got, want)


def test_fused_kernels_actually_run():
    fusetest.calls.clear()
    rng = np.random.default_rng(0)
    x = rng.standard_normal(4)
    A = rng.standard_normal((4, 4))
    tangent_fwd.forward_diff(H.vec_energy, backend="fusetest")(x, A, np.ones(4))
    assert fusetest.calls, "no fused kernel was called"


@pytest.mark.gpu
@pytest.mark.skipif(not cupy_available(), reason="needs CuPy with a usable CUDA device (cupy.is_available())")
def test_fused_equals_unfused_on_cupy():
    import cupy

    from tangent_fwd.api import _wrt_names
    from tangent_fwd.compiler import Unit

    rng = np.random.default_rng(0)
    p = {
        "W1": rng.standard_normal((5, 4)),
        "b1": rng.standard_normal(4),
        "W2": rng.standard_normal((4, 3)),
        "b2": rng.standard_normal(3),
    }
    dp = {k: rng.standard_normal(v.shape) for k, v in p.items()}
    x, y = rng.standard_normal((6, 5)), rng.integers(0, 3, 6)
    to = lambda t: {k: cupy.asarray(v) for k, v in t.items()}  # noqa: E731
    outs = []
    for fuse in (True, False):
        fn, _ = Unit(G.mlp_loss, _wrt_names(G.mlp_loss, "params"), backends.get("cupy"), fuse=fuse).build().compile()
        v, t = fn(to(p), cupy.asarray(x), cupy.asarray(y), to(dp))
        outs.append((float(v), float(t)))
    assert outs[0] == pytest.approx(outs[1], rel=1e-12)
