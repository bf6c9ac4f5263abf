"""Checks shared by the adversarial tests of factored tangents: the JVP along a LowRank tangent against
the JVP along the same tangent made dense and against float64 central finite differences."""

import copy

import numpy as np

import tangent_fwd as tf
from tangent_fwd import LowRank, lowrank


def rand_lowrank(rng, shape, rank=2, split=None):
    k = len(shape) - 1 if split is None else split
    return LowRank(rng.standard_normal(tuple(shape[:k]) + (rank,)), rng.standard_normal(tuple(shape[k:]) + (rank,)))


def _axpy(a, h, t):
    if t is None:
        return a
    if isinstance(a, dict):
        return {k: _axpy(a[k], h, t[k]) for k in a}
    if isinstance(a, (list, tuple)):
        return type(a)([_axpy(x, h, y) for x, y in zip(a, t)])
    return a + h * t


def _flat(x):
    if isinstance(x, dict):
        return np.concatenate([_flat(x[k]) for k in sorted(x)])
    if isinstance(x, (list, tuple)):
        return np.concatenate([_flat(v) for v in x])
    return np.atleast_1d(np.asarray(x, np.float64)).ravel()


def _fd(f, args, tangents, h=1e-6):
    tangents = [lowrank.dense(t) for t in tangents]
    plus = [_axpy(copy.deepcopy(a), h, t) for a, t in zip(args, tangents)]
    minus = [_axpy(copy.deepcopy(a), -h, t) for a, t in zip(args, tangents)]
    return (_flat(f(*plus)) - _flat(f(*minus))) / (2 * h)


def check_factored(f, args, tangents):
    v1, d1 = tf.jvp(f, copy.deepcopy(args), copy.deepcopy(tangents))
    v2, d2 = tf.jvp(f, copy.deepcopy(args), tuple(lowrank.dense(t) for t in copy.deepcopy(tangents)))
    d1, d2, fd = _flat(d1), _flat(d2), _fd(f, args, tangents)
    scale = max(1.0, float(np.max(np.abs(fd))))
    assert np.allclose(_flat(v1), _flat(v2), rtol=1e-12, atol=1e-12 * scale)
    assert d1.shape == d2.shape == fd.shape
    assert np.allclose(d1, d2, rtol=1e-10, atol=1e-10 * scale), (d1, d2)
    assert np.allclose(d1, fd, rtol=1e-5, atol=1e-6 * scale), (d1, fd)
