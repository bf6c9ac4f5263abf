"""The max-shift tangent is dropped exactly where every use of the shifted value is shift-invariant
(tangent_fwd/shift.py): the JVP stays equal to finite differences and to the JVP with the pass off, and
the shift's tangent is still computed wherever it does not cancel."""

import numpy as np
import pytest

import tangent_fwd as tf
from tangent_fwd import shift, transform


def log_softmax_inline(x):
    s = x - x.max(axis=1, keepdims=True)
    return (s - np.log(np.exp(s).sum(axis=1, keepdims=True))).sum()


def log_softmax_named(x, w):
    z = x * w
    m = np.max(z, axis=1, keepdims=True)
    s = z - m
    e = np.exp(s)
    lse = np.log(np.sum(e, axis=1, keepdims=True))
    logp = s - lse
    return (logp[np.arange(x.shape[0]), np.arange(x.shape[0]) % 3] * 2.0).mean()


def softmax_axis0(x):
    s = x - x.min(axis=0, keepdims=True)
    e = np.exp(s)
    p = e / e.sum(axis=0, keepdims=True)
    return (p * x).sum()


def softmax_xent(x):
    s = x - np.amax(x, axis=-1, keepdims=True)
    t = np.exp(s)
    q = t / np.sum(t, axis=-1, keepdims=True)
    return -np.log(q[:, 0]).sum()


POSITIVE = [log_softmax_inline, log_softmax_named, softmax_axis0, softmax_xent]


def returns_shift(x):
    s = x - x.max(axis=1, keepdims=True)
    return s.sum()


def other_axis_sum(x):
    s = x - x.max(axis=1, keepdims=True)
    return np.log(np.exp(s).sum(axis=0, keepdims=True)).sum()


def no_keepdims_sum(x):
    s = x - x.max(axis=1, keepdims=True)
    return (s - np.log(np.exp(s).sum(axis=1))[:, None]).sum()


def scaled_shift(x):
    s = x - x.max(axis=1, keepdims=True)
    return (s * 2.0 - np.log(np.exp(s).sum(axis=1, keepdims=True))).sum()


def returns_exp(x):
    s = x - x.max(axis=1, keepdims=True)
    return np.exp(s).sum()


def branch_use(x, flag=True):
    s = x - x.max(axis=1, keepdims=True)
    if flag:
        return (s - np.log(np.exp(s).sum(axis=1, keepdims=True))).sum()
    return s.sum()


def helper(v):
    return v.sum()


def passed_on(x):
    s = x - x.max(axis=1, keepdims=True)
    return helper(s) + (s - np.log(np.exp(s).sum(axis=1, keepdims=True))).sum()


def closure_use(x):
    s = x - x.max(axis=1, keepdims=True)

    def g():
        return s.sum()

    return g() + (s - np.log(np.exp(s).sum(axis=1, keepdims=True))).sum()


def mutated(x):
    s = x - x.max(axis=1, keepdims=True)
    e = np.exp(s)
    e[0, 0] = 1.0
    return np.log(e.sum(axis=1, keepdims=True)).sum()


def other_array(x, y):
    s = x - y.max(axis=1, keepdims=True)
    return (s - np.log(np.exp(s).sum(axis=1, keepdims=True))).sum()


def indexed_shift(x):
    s = x - x.max(axis=1, keepdims=True)
    return (s[0] - np.log(np.exp(s).sum(axis=1, keepdims=True))[0]).sum()


def broadcast_shift(x, z):
    s = x - x.max(axis=1, keepdims=True)
    t = s + z  # z (3, 4, 5) adds a leading axis: s's axis 1 is t's axis 2
    r = t - np.log(np.exp(t).sum(axis=1, keepdims=True))
    return r[0, 1, 2]


def broadcast_shift_negative_axis(x, z):
    s = x - x.max(axis=-1, keepdims=True)
    t = s + z  # with axis=-1 the shifted axis stays the last one
    r = t - np.log(np.exp(t).sum(axis=-1, keepdims=True))
    return r[0, 1, 2]


POSITIVE.append(broadcast_shift_negative_axis)


def rebound_between(x, y):
    m = x.max(axis=1, keepdims=True)  # x (4, 5) -> m (4, 1)
    x = y * 1.0  # rebound to a (3, 4, 5) array: m gains a leading axis in s
    s = x - m
    r = s - np.log(np.sum(np.exp(s), axis=1, keepdims=True))
    return r[0, 1, 2]


NEGATIVE = [
    broadcast_shift,
    rebound_between,
    returns_shift,
    other_axis_sum,
    no_keepdims_sum,
    scaled_shift,
    returns_exp,
    branch_use,
    passed_on,
    closure_use,
    mutated,
    indexed_shift,
]


def _fd(f, args, tangents, h=1e-6):
    plus = [a + h * t if t is not None else a for a, t in zip(args, tangents)]
    minus = [a - h * t if t is not None else a for a, t in zip(args, tangents)]
    return (f(*plus) - f(*minus)) / (2 * h)


def _args(f):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((4, 5))
    if f is log_softmax_named:
        return (x, rng.standard_normal((4, 5))), (rng.standard_normal((4, 5)), rng.standard_normal((4, 5)))
    if f is other_array:
        return (x, rng.standard_normal((4, 5))), (rng.standard_normal((4, 5)), rng.standard_normal((4, 5)))
    if f in (broadcast_shift, broadcast_shift_negative_axis, rebound_between):
        return (x, rng.standard_normal((3, 4, 5))), (rng.standard_normal((4, 5)), None)
    return (x,), (rng.standard_normal((4, 5)),)


def _without_pass(monkeypatch, f, args, tangents):
    monkeypatch.setattr(transform, "shift_free_names", lambda body, resolve: set())
    tf.api._UNITS.clear()
    tf.api._JVP.clear()
    try:
        return tf.jvp(f, args, tangents)
    finally:
        monkeypatch.undo()
        tf.api._UNITS.clear()
        tf.api._JVP.clear()


@pytest.mark.parametrize("f", POSITIVE, ids=lambda f: f.__name__)
def test_shift_tangent_dropped_and_jvp_unchanged(f, monkeypatch):
    args, tangents = _args(f)
    wrt = tuple(range(len(args)))
    src = tf.source(f, wrt=wrt)
    assert "extremum_jvp" not in src, src
    v, d = tf.jvp(f, args, tangents)
    assert v == f(*args)
    assert np.isclose(d, _fd(f, args, tangents), rtol=1e-6, atol=1e-8)
    v0, d0 = _without_pass(monkeypatch, f, args, tangents)
    assert v0 == v and np.isclose(d0, d, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("f", NEGATIVE + [other_array], ids=lambda f: f.__name__)
def test_shift_tangent_kept_where_it_does_not_cancel(f):
    args, tangents = _args(f)
    wrt = tuple(range(len(args)))
    src = tf.source(f, wrt=wrt)
    assert "extremum_jvp" in src, src
    v, d = tf.jvp(f, args, tangents)
    assert np.isclose(d, _fd(f, args, tangents), rtol=1e-6, atol=1e-8)


def test_shift_free_names_directly():
    import inspect
    import textwrap

    import gast

    def names(f):
        node = gast.parse(textwrap.dedent(inspect.getsource(f))).body[0]
        g = f.__globals__
        from tangent_fwd.parse import MISSING

        def resolve(n):
            if isinstance(n, gast.Name):
                return g.get(n.id, MISSING)
            if isinstance(n, gast.Attribute):
                base = resolve(n.value)
                return MISSING if base is MISSING else getattr(base, n.attr, MISSING)
            return MISSING

        return shift.shift_free_names(node.body, resolve)

    assert names(log_softmax_inline) == {"s"}
    assert names(log_softmax_named) == {"s"}
    assert names(softmax_axis0) == {"s"}
    for f in NEGATIVE + [other_array]:
        assert names(f) == set(), f.__name__


def test_model_losses_skip_the_shift_tangent():
    from tangent_fwd.training import models

    src = tf.source(models.mlp_loss, wrt="params")
    assert "extremum_jvp" not in src and "ds = dlogits" in src
