"""Checks shared by tests/language/test_with_try.py, test_out_argument.py and test_dataclasses.py: the
generated function's value equals the user's bit for bit (arguments end in the same state), its JVP
matches float64 central differences along seeded random directions, vector mode matches single JVPs,
and jacfwd / hessian match finite differences of the JVP (for one float or array argument)."""

import copy

import numpy as np

import tangent_fwd

H = 1e-6
RTOL = 1e-6


def _leaves(x):
    if isinstance(x, dict):
        return [v for k in sorted(x) for v in _leaves(x[k])]
    if hasattr(x, "__dataclass_fields__"):
        return [v for k in x.__dataclass_fields__ for v in _leaves(getattr(x, k))]
    if isinstance(x, (list, tuple)):  # namedtuples too
        return [v for e in x for v in _leaves(e)]
    return [x]


def _map(f, *xs):
    x = xs[0]
    if isinstance(x, dict):
        return {k: _map(f, *[y[k] for y in xs]) for k in x}
    if hasattr(x, "_fields"):
        return type(x)(*[_map(f, *es) for es in zip(*xs)])
    if hasattr(x, "__dataclass_fields__"):
        return type(x)(**{k: _map(f, *[getattr(y, k) for y in xs]) for k in x.__dataclass_fields__})
    if isinstance(x, (list, tuple)):
        return type(x)(_map(f, *es) for es in zip(*xs))
    return f(*xs)


def same(a, b):
    """Bitwise equality of two values (nested containers, arrays, floats, dataclasses)."""
    la, lb = _leaves(a), _leaves(b)
    assert len(la) == len(lb), (a, b)
    for x, y in zip(la, lb):
        if isinstance(x, np.ndarray) or isinstance(y, np.ndarray):
            assert np.asarray(x).dtype == np.asarray(y).dtype and np.array_equal(x, y, equal_nan=True), (x, y)
        elif isinstance(x, float) and np.isnan(x):
            assert np.isnan(y)
        else:
            assert type(x) is type(y) and x == y, (x, y)


def direction(x, rng):
    return _map(
        lambda v: rng.standard_normal(np.shape(v)) if isinstance(v, np.ndarray) else float(rng.standard_normal()), x
    )


def _axpy(a, d, x):
    return _map(lambda xi, di: xi + a * di, x, d)


def close(a, b, rtol=RTOL, what=""):
    la, lb = _leaves(a), _leaves(b)
    assert len(la) == len(lb)
    scale = max([1.0] + [float(np.max(np.abs(v))) if np.size(v) else 0.0 for v in la])
    for x, y in zip(la, lb):
        np.testing.assert_allclose(x, y, rtol=rtol, atol=rtol * scale, err_msg=what)


def check(f, args, wrt=(0,), seed=0, second=True, rtol=RTOL):
    """Primal equality, FD, vector mode, and (single float/array argument, float output) jacfwd and hessian."""
    rng = np.random.default_rng(seed)
    ref_args = copy.deepcopy(args)
    ref = f(*ref_args)
    tans = [direction(a, rng) if i in wrt else None for i, a in enumerate(args)]
    run_args = copy.deepcopy(args)
    value, tangent = tangent_fwd.jvp(f, run_args, tans)
    same(value, ref)
    same(run_args, ref_args)  # the same side effects on the arguments
    plus = [_axpy(H, t, a) if t is not None else copy.deepcopy(a) for a, t in zip(args, tans)]
    minus = [_axpy(-H, t, a) if t is not None else copy.deepcopy(a) for a, t in zip(args, tans)]
    fd = _map(lambda p, m: (np.asarray(p, float) - np.asarray(m, float)) / (2 * H), f(*plus), f(*minus))
    close(tangent, fd, rtol, "JVP vs central differences")
    # vector mode: two directions at once equal two single JVPs
    tans2 = [direction(a, rng) if i in wrt else None for i, a in enumerate(args)]
    stacked = [
        _map(lambda u, v: np.stack([np.asarray(u), np.asarray(v)]), t1, t2) if t1 is not None else None
        for t1, t2 in zip(tans, tans2)
    ]
    _, tangent2 = tangent_fwd.jvp(f, copy.deepcopy(args), tans2)
    vvalue, vtan = tangent_fwd.jvp(f, copy.deepcopy(args), stacked, vectorized=True)
    same(vvalue, ref)
    close(vtan, _map(lambda u, v: np.stack([np.asarray(u), np.asarray(v)]), tangent, tangent2), 1e-10, "vector mode")
    if len(wrt) == 1 and isinstance(args[wrt[0]], (float, np.ndarray)) and second:
        i = wrt[0]
        x = args[i]
        if not isinstance(ref, (float, np.floating, np.ndarray)):
            return  # jacfwd/hessian take array or float results
        jac = tangent_fwd.jacfwd(f, i)(*copy.deepcopy(args))
        cols = []
        for j in range(np.size(x)):
            e = np.zeros(np.shape(x))
            e.flat[j] = 1.0
            e = float(e) if isinstance(x, float) else e
            cols.append(
                np.asarray(
                    tangent_fwd.jvp(f, copy.deepcopy(args), [e if k == i else None for k in range(len(args))])[1]
                )
            )
        expect = np.stack(cols, axis=-1).reshape(np.shape(ref) + np.shape(x))
        close(jac, expect, 1e-10, "jacfwd")
        if np.ndim(ref) == 0:
            hess = tangent_fwd.hessian(f, i)(*copy.deepcopy(args))
            g = tangent_fwd.jacfwd(f, i)
            d = direction(x, rng)
            gp = g(*[_axpy(H, d, a) if k == i else copy.deepcopy(a) for k, a in enumerate(args)])
            gm = g(*[_axpy(-H, d, a) if k == i else copy.deepcopy(a) for k, a in enumerate(args)])
            fd_h = (np.asarray(gp) - np.asarray(gm)) / (2 * H)
            hv = np.tensordot(np.asarray(hess), np.asarray(d), axes=np.ndim(x)) if np.ndim(x) else np.asarray(hess) * d
            close(hv, fd_h, 1e-5, "hessian")


def refused(f, args, wrt, match, cls=tangent_fwd.TransformError):
    """The call is refused with ``cls`` whose message names this file and contains ``match``."""
    import pytest

    tans = [direction(a, np.random.default_rng(0)) if i in wrt else None for i, a in enumerate(args)]
    with pytest.raises(cls) as info:
        tangent_fwd.jvp(f, copy.deepcopy(args), tans)
    msg = str(info.value)
    assert match in msg, msg
    return msg
