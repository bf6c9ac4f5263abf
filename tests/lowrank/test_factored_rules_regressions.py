"""Regression tests for wrong factored JVPs found by the adversarial reviews (each was silently wrong
or crashed before its fix): the factored JVP must equal the dense one and finite differences."""

import copy

import numpy as np
import pytest

import tangent_fwd as tf
from tangent_fwd import LowRank, lowrank


# np.dot(W, X) with an N-d X: the rank axis was contracted with X's batch axis
def dot_nd(W, X):
    return (np.dot(W, X) ** 2).sum() + (W.dot(X) * 0.5).sum()


# conditional expressions and and/or with a factored branch (lowered to an `if` without densifying)
def ifexp_other_branch_dense(W, x, c=False):
    V = W.T if c else W * 2.0
    return ((x @ V) ** 2).sum()


def ifexp_factored_branch(W, x, c=True):
    V = W.T if c else W * 2.0
    return ((x @ V) ** 2).sum()


def boolop_factored(W, x, c=True):
    V = c and W.T
    return ((x @ V) ** 2).sum()


# in-place writes through views made by function-call forms
def view_transpose(W, x):
    V = np.transpose(W)
    V[0, 1] = 0.0  # also writes W[1, 0]
    return ((x @ W) ** 2).sum()


def view_reshape(W, x):
    V = np.reshape(W, (2, 8))
    V[0, 1] = 0.0
    return ((x @ W) ** 2).sum()


def view_einsum(W, x):
    V = np.einsum("ij->ji", W)
    V[0, 1] = 0.0
    return ((x @ W) ** 2).sum()


# in-place writes across user-function calls
def _scale(W):
    W *= 2.0
    return 0.0


def _forward(W):
    return _scale(W)


def _identity(W):
    return W


def callee_writes_expression_argument(params, x):
    c = _scale(params["W"])
    return ((x @ params["W"]) ** 2).sum() + c


def callee_writes_one_call_deeper(W, x):
    c = _forward(W)
    return ((x @ W) ** 2).sum() + c


def write_through_returned_alias(W, x):
    V = _identity(W)
    V[0, 0] = 0.0
    return ((x @ W) ** 2).sum()


# second round: aliases the syntactic alias analysis missed (now: nothing stays factored in a function
# that writes in place, itself or through a callee)
def real_view(W, x):
    V = W.T
    U = V.real  # a view of W
    U[0, 1] = 0.0
    return ((x @ W) ** 2).sum()


def tuple_unpack(W, x):
    V = W
    A, B = V, x
    A[0, 1] = 0.0
    return ((x @ W) ** 2).sum()


def container_append(W, x):
    V = W
    L = []
    L.append(V)
    L[0][0, 1] = 0.0
    return ((x @ W) ** 2).sum()


def for_over_literal(W, x):
    V = W.T
    for A in (V, x):
        A[0, 1] = A[0, 1] * 0.0
    return ((x @ W) ** 2).sum()


def ifexp_alias(W, x, c=True):
    V = W
    U = V if c else x
    U[0, 1] = 0.0
    return ((x @ W) ** 2).sum()


def _wrap(a):
    return [a]


def subscript_of_call(W, x):
    V = W
    U = _wrap(V)[0]
    U[0, 1] = 0.0
    return ((x @ W) ** 2).sum()


def _write_first(L):
    L[0][0, 1] = 0.0
    return 0.0


def callee_writes_into_a_literal(W, x):
    V = W
    c = _write_first([V])
    return ((x @ W) ** 2).sum() + c


CASES = [
    (real_view, (3, 4)),
    (tuple_unpack, (3, 4)),
    (container_append, (3, 4)),
    (for_over_literal, (4, 4)),
    (ifexp_alias, (3, 4)),
    (subscript_of_call, (3, 4)),
    (callee_writes_into_a_literal, (3, 4)),
    (dot_nd, (4, 5)),
    (ifexp_other_branch_dense, (3, 4)),
    (ifexp_factored_branch, (3, 4)),
    (boolop_factored, (3, 4)),
    (view_transpose, (3, 4)),
    (view_reshape, (3, 4)),
    (view_einsum, (3, 4)),
    (callee_writes_one_call_deeper, (3, 4)),
    (write_through_returned_alias, (3, 4)),
]


def _check(f, arg, x, t):
    got = tf.jvp(f, (copy.deepcopy(arg), x), (t, None))[1]
    want = tf.jvp(f, (copy.deepcopy(arg), x), (lowrank.dense(t), None))[1]
    h = 1e-6

    def shifted(s):
        if isinstance(arg, dict):
            return {k: arg[k] + s * lowrank.dense(t[k]) for k in arg}
        return arg + s * lowrank.dense(t)

    fd = (f(shifted(h), x) - f(shifted(-h), x)) / (2 * h)
    assert np.isclose(got, want, rtol=1e-10, atol=1e-10), (got, want)
    assert np.isclose(got, fd, rtol=1e-6, atol=1e-6), (got, fd)


@pytest.mark.parametrize("rank", [1, 2, 3])
@pytest.mark.parametrize("f, xshape", CASES, ids=[c[0].__name__ for c in CASES])
def test_factored_equals_dense(f, xshape, rank):
    rng = np.random.default_rng(0)
    W = rng.standard_normal((4, 4))
    x = rng.standard_normal((2, 4, 5) if f is dot_nd else xshape)
    t = LowRank(rng.standard_normal((4, rank)), rng.standard_normal((4, rank)))
    _check(f, W, x, t)


def test_callee_writing_an_expression_argument():
    rng = np.random.default_rng(1)
    params = {"W": rng.standard_normal((4, 4))}
    t = {"W": LowRank(rng.standard_normal((4, 2)), rng.standard_normal((4, 2)))}
    _check(callee_writes_expression_argument, params, rng.standard_normal((3, 4)), t)


def branches_of_different_rank(A, B, x, c=True):
    V = B if c else A
    return ((x @ V) ** 2).sum()


def test_branches_holding_factored_tangents_of_different_ranks():
    rng = np.random.default_rng(2)
    A, B, x = rng.standard_normal((4, 4)), rng.standard_normal((4, 4)), rng.standard_normal((3, 4))
    tA = LowRank(rng.standard_normal((4, 1)), rng.standard_normal((4, 1)))
    tB = LowRank(rng.standard_normal((4, 3)), rng.standard_normal((4, 3)))
    got = tf.jvp(branches_of_different_rank, (A, B, x), (tA, tB, None))[1]
    want = tf.jvp(branches_of_different_rank, (A, B, x), (tA.dense(), tB.dense(), None))[1]
    assert np.isclose(got, want, rtol=1e-10)


def namedtuple_sum(p, x):
    return (p[0] * x).sum() + (p[1] ** 2).sum()


def test_namedtuple_tangents_are_accepted():
    from collections import namedtuple

    P = namedtuple("P", "W b")
    rng = np.random.default_rng(3)
    p, x = P(rng.standard_normal(4), rng.standard_normal(4)), rng.standard_normal(4)
    t = P(rng.standard_normal(4), rng.standard_normal(4))
    v, d = tf.jvp(namedtuple_sum, (p, x), (t, None))
    assert np.isclose(d, (t.W * x).sum() + (2 * p.b * t.b).sum())
