"""Functions for tests/test_higher_order.py (the compiler needs real source)."""

import math

import numpy as np

import tangent_fwd


def poly(x):
    return 3.0 * x**4 - 2.0 * x**3 + x - 7.0


def trig(x):
    return math.sin(x) * math.exp(0.3 * x) / (1.0 + x * x)


def looped(x):
    acc = 0.0
    for k in range(1, 5):
        acc = acc + math.cos(k * x) / k
    return acc


def branchy(x):
    if x > 0:
        return x**3
    return -x * x


def vec_energy(x, A):
    return 0.5 * x @ (A @ x) + np.sum(np.log1p(x * x))


def softmax_xent(w, X, y):
    z = X @ w
    z = z - z.max(axis=1, keepdims=True)
    logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    return -logp[np.arange(X.shape[0]), y].mean()


def tuple_out(x):
    return np.sin(x), x.sum() * x


d_poly = tangent_fwd.forward_diff(poly)
d_trig = tangent_fwd.forward_diff(trig)
d_looped = tangent_fwd.forward_diff(looped)
d_branchy = tangent_fwd.forward_diff(branchy)


def second_poly(x):
    return d_poly(x, 1.0)[1]


def second_trig(x):
    return d_trig(x, 1.0)[1]


def second_looped(x):
    return d_looped(x, 1.0)[1]


def second_branchy(x):
    return d_branchy(x, 1.0)[1]


SCALAR = [(poly, second_poly), (trig, second_trig), (looped, second_looped), (branchy, second_branchy)]
