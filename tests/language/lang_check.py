"""Checks shared by the language tests: every derivative against float64 central differences along
seeded random directions, in scalar mode, vector mode, jacfwd and hessian, and the primal bit for bit."""

import copy

import numpy as np

import tangent_fwd as tf

EPS = 1e-6


def _direction(x, rng):
    return rng.normal(size=np.shape(x)) if np.ndim(x) else float(rng.normal())


def _shift(args, index, t, h):
    out = list(copy.deepcopy(args))
    out[index] = out[index] + h * t
    return tuple(out)


def fd(f, args, index, t):
    """Central difference of ``f`` along tangent ``t`` of argument ``index``."""
    plus, minus = f(*_shift(args, index, t, EPS)), f(*_shift(args, index, t, -EPS))
    return (np.asarray(plus) - np.asarray(minus)) / (2 * EPS)


def close(a, b, rtol=1e-6, atol=1e-7):
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    scale = max(1.0, float(np.max(np.abs(b)))) if b.size else 1.0
    assert a.shape == b.shape, (a.shape, b.shape)
    np.testing.assert_allclose(a, b, rtol=rtol, atol=atol * scale)


def check_all(f, args, wrt=0, hessian=True, seed=0, rtol=1e-6):
    """Scalar JVP (and primal), vector mode, jacfwd and (scalar outputs) hessian of ``f`` w.r.t. ``args[wrt]``."""
    rng = np.random.default_rng(seed)
    args = tuple(args)
    expected = f(*copy.deepcopy(args))
    t = _direction(args[wrt], rng)
    tangents = tuple(t if i == wrt else None for i in range(len(args)))
    value, tangent = tf.jvp(f, copy.deepcopy(args), tangents)
    assert np.array_equal(np.asarray(value), np.asarray(expected)), (value, expected)
    close(tangent, fd(f, args, wrt, t), rtol=rtol, atol=1e-7)
    # vector mode: K directions in one pass equal K separate JVPs
    dirs = np.stack([np.asarray(_direction(args[wrt], rng)) for _ in range(3)])
    vt = tuple(dirs if i == wrt else None for i in range(len(args)))
    vvalue, vtan = tf.jvp(f, copy.deepcopy(args), vt, vectorized=True)
    assert np.array_equal(np.asarray(vvalue), np.asarray(expected))
    for k in range(3):
        close(np.asarray(vtan)[k], fd(f, args, wrt, dirs[k]), rtol=rtol)
    # jacfwd against finite differences along each unit direction
    x = np.asarray(args[wrt], dtype=float)
    jac = np.asarray(tf.jacfwd(f, wrt)(*copy.deepcopy(args)))
    out_shape = np.shape(expected)
    flat = jac.reshape(out_shape + (x.size,)) if x.size else jac
    for j in range(x.size):
        e = np.zeros(x.size)
        e[j] = 1.0
        unit = e.reshape(x.shape) if x.shape else 1.0
        close(flat[..., j], fd(f, args, wrt, unit), rtol=rtol)
    if hessian and out_shape == ():
        hess = np.asarray(tf.hessian(f, wrt)(*copy.deepcopy(args))).reshape(x.size, x.size)
        grad = lambda *a: np.asarray(tf.jacfwd(f, wrt)(*a)).reshape(-1)  # noqa: E731
        for j in range(x.size):
            e = np.zeros(x.size)
            e[j] = 1.0
            unit = e.reshape(x.shape) if x.shape else 1.0
            close(hess[:, j], fd(grad, args, wrt, unit), rtol=1e-5, atol=1e-6)
    return value, tangent
