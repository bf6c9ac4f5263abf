"""Releasing compiler temporaries at the end of loop bodies (optimize.release_temporaries): a
temporary last read by the final statement of a loop body used to stay bound across the back-edge,
so the next iteration allocated its own arrays while the previous ones were still held."""

import os
import sys
import textwrap

import gast
import numpy as np

import tangent_fwd
from tangent_fwd import nodes, optimize

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "benchmarks"))
from _common import peak_bytes  # noqa: E402  (the depth benchmark's measurement)


def deep_loss(params, x):
    h = x
    for W, b in zip(params["W"], params["b"]):
        h = np.maximum(h @ W + b, 0)
    return (h * h).sum()


def _params(depth, width, n_in, dtype, seed=0):
    r = np.random.default_rng(seed)
    W, b, fan = [], [], n_in
    for _ in range(depth):
        W.append((r.standard_normal((fan, width)) / np.sqrt(fan)).astype(dtype))
        b.append((0.1 * r.standard_normal(width)).astype(dtype))
        fan = width
    return {"W": W, "b": b}


def _loop_body(src):
    fdef = gast.parse(src).body[0]
    loop = next(s for s in fdef.body if isinstance(s, (gast.For, gast.While)))
    return [nodes.to_source(s).strip() for s in loop.body]


def test_loop_body_temporaries_are_deleted_before_the_back_edge():
    body = _loop_body(tangent_fwd.source(deep_loss, wrt="params"))
    last = body[-1]
    assert last.startswith("del "), body
    deleted = {n.strip() for n in last[4:].split(",")}
    # the pre-activation and its tangent, both read by the ReLU statements just before
    assert len(deleted) == 2 and all(n.startswith(("t", "dt")) for n in deleted), body


def test_deep_loop_jvp_matches_central_differences():
    p = _params(3, 6, 5, np.float64)
    x = np.random.default_rng(1).standard_normal((4, 5))
    r = np.random.default_rng(2)
    v = {"W": [r.standard_normal(a.shape) for a in p["W"]], "b": [r.standard_normal(a.shape) for a in p["b"]]}
    fd = tangent_fwd.forward_diff(deep_loss, wrt="params")
    val, dval = fd(p, x, v)
    eps = 1e-6
    shift = lambda s: {k: [a + s * d for a, d in zip(p[k], v[k])] for k in p}  # noqa: E731
    fdiff = (deep_loss(shift(eps), x) - deep_loss(shift(-eps), x)) / (2 * eps)
    assert np.isclose(val, deep_loss(p, x))
    assert np.isclose(dval, fdiff, rtol=1e-6, atol=1e-8)


def test_deep_loop_jvp_peak_memory_does_not_hold_the_previous_layer():
    # width 256, batch 64, float32: one activation is 64 KiB. Holding the previous layer's
    # pre-activation and its tangent across the back-edge made the peak 8 activations (~513 KiB);
    # without them it is 6 (~385 KiB). Memory counts from tracemalloc are deterministic (no timing).
    p = _params(4, 256, 784, np.float32)
    x = np.random.default_rng(1).random((64, 784), dtype=np.float32)
    r = np.random.default_rng(2)
    v = {k: [r.standard_normal(a.shape).astype(np.float32) for a in p[k]] for k in p}
    fd = tangent_fwd.forward_diff(deep_loss, wrt="params")
    fd(p, x, v)
    act = 64 * 256 * 4
    assert peak_bytes(lambda: fd(p, x, v), reps=1) < 7 * act


def _release(src, temps):
    fdef = gast.parse(textwrap.dedent(src)).body[0]
    optimize.release_temporaries(fdef, set(temps))
    return nodes.to_source(fdef)


def test_end_of_loop_release_fires_on_a_temporary_assigned_then_read_in_the_body():
    out = _release(
        """
        def f(xs, xp):
            s = 0
            for a in xs:
                t1 = xp.exp(a)
                s = s + t1
            return s
        """,
        {"t1"},
    )
    assert "del t1" in out


def test_no_release_for_a_temporary_read_before_it_is_assigned_in_the_body():
    # t1 is carried from one iteration to the next: deleting it after its last read at the end of
    # the body would make the next iteration's first statement fail
    out = _release(
        """
        def f(xs, xp):
            t1 = xp.zeros(3)
            s = 0
            for a in xs:
                s = s + t1
                t1 = xp.exp(a)
                s = s * t1
            return s
        """,
        {"t1"},
    )
    ns = {}
    exec(out, ns)
    xs = [np.full(3, 0.5)] * 3
    e = np.exp(0.5)
    assert np.allclose(ns["f"](xs, np), ((0 * e + e) * e + e) * e)
    assert not any(s.startswith("del") for s in _loop_body(out)), out


def test_no_release_for_a_temporary_read_after_the_loop():
    out = _release(
        """
        def f(xs, xp):
            for a in xs:
                t1 = xp.exp(a)
                u = t1 + 1
            return t1
        """,
        {"t1"},
    )
    assert "del" not in out


def test_no_release_at_the_end_of_a_function_body():
    out = _release(
        """
        def f(a, xp):
            t1 = xp.exp(a)
            print(t1)
        """,
        {"t1"},
    )
    assert "del" not in out
