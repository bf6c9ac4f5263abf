"""Functions whose generated source is pinned by tests/test_golden.py (tests/golden/<name>.py)."""

import math

import numpy as np


def tanh_layer(x, W):
    return np.tanh(W @ x)


def scalar_expr(x):
    return math.sin(x) * x**2 + math.exp(x) / x


def power_sum(x, n):
    acc = 0.0
    for i in range(n):
        acc = acc + x**i
    return acc


def squares(x):
    ys = []
    for xi in x:
        ys.append(xi * xi)
    return sum(ys)


def closure(x, y):
    def inner(z):
        return z * x

    return inner(y) + inner(2.0)


def halvings(x, n):
    if n == 0:
        return x
    return halvings(x * x, n - 1) * 0.5


def mlp_loss(params, x, y):
    h = np.maximum(x @ params["W1"] + params["b1"], 0)
    logits = h @ params["W2"] + params["b2"]
    z = logits - logits.max(axis=1, keepdims=True)
    logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    return -logp[np.arange(x.shape[0]), y].mean()


def branchy(x, flag):
    if flag:
        y = x * 3.0
    else:
        y = 1.0
    return y + x


# (function, wrt) pairs pinned by the golden tests
CASES = {
    "tanh_layer_wrt_W": (tanh_layer, "W"),
    "scalar_expr": (scalar_expr, 0),
    "power_sum": (power_sum, "x"),
    "squares": (squares, 0),
    "closure": (closure, ("x", "y")),
    "halvings": (halvings, 0),
    "mlp_loss": (mlp_loss, "params"),
    "branchy": (branchy, "x"),
}
