"""Small user-style functions with activity-perturbation sites, for the marker tests."""

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

import tangent_fwd
from tangent_fwd import perturb


def two_layer(params, x, y):
    z1 = perturb(x @ params["W1"] + params["b1"], name="z1")
    h1 = np.tanh(z1)
    z2 = perturb(h1 @ params["W2"] + params["b2"], name="z2")
    s = z2 - z2.max(axis=1, keepdims=True)
    logp = s - np.log(np.exp(s).sum(axis=1, keepdims=True))
    return -logp[np.arange(x.shape[0]), y]


def two_layer_shifted(params, x, y, e, u1, u2):
    """two_layer with the sites moved by e·u (what the injected JVP differentiates)."""
    z1 = x @ params["W1"] + params["b1"] + e * u1
    h1 = np.tanh(z1)
    z2 = h1 @ params["W2"] + params["b2"] + e * u2
    s = z2 - z2.max(axis=1, keepdims=True)
    logp = s - np.log(np.exp(s).sum(axis=1, keepdims=True))
    return -logp[np.arange(x.shape[0]), y]


def two_layer_plain(params, x, y):
    h1 = np.tanh(x @ params["W1"] + params["b1"])
    z2 = h1 @ params["W2"] + params["b2"]
    s = z2 - z2.max(axis=1, keepdims=True)
    logp = s - np.log(np.exp(s).sum(axis=1, keepdims=True))
    return -logp[np.arange(x.shape[0]), y]


def conv_site(params, x):
    n = x.shape[0]
    c = params["K"].shape[2]
    patches = sliding_window_view(x.reshape(n, 6, 6), (3, 3), axis=(1, 2))  # (n, 4, 4, 3, 3)
    conv = (patches.reshape(n * 16, 9) @ params["K"].reshape(9, c)).reshape(n, 4, 4, c) + params["bk"]
    z = perturb(conv, name="conv")
    return np.sin(z).sum(axis=(1, 2, 3))


def einsum_site(params, x):
    z = perturb(np.einsum("bi,ij->bj", x, params["W"]), name="e")
    return (z**2).sum(axis=1)


def named_then_marked(params, x):
    z = np.dot(x, params["W"]) + params["b"]
    z = perturb(z, name="z")
    return np.cos(z).sum(axis=1)


def not_linear(params, x):
    z = perturb(np.tanh(x @ params["W"]), name="z")
    return z.sum(axis=1)


def no_name(params, x):
    z = perturb(x @ params["W"])
    return z.sum(axis=1)


def in_a_loop(params, x):
    h = x
    out = 0.0
    for _ in range(2):
        z = perturb(x @ params["W"], name="z")
        out = out + z.sum(axis=1)
    return out + h.sum(axis=1) * 0.0


def _block(h, W):
    return perturb(h @ W, name="inner")


def in_callee(params, x):
    return _block(x, np.ones((3, 2))).sum(axis=1) + (x @ params["W"]).sum(axis=1)


def stopped(params, x):
    h = tangent_fwd.stop_gradient(x @ params["W"])
    z = perturb(h @ params["V"], name="z")
    return (z**2).sum(axis=1)


def inline_input(params, x):
    z = perturb(np.tanh(x) @ params["W"], name="z")
    return z.sum(axis=1)


def scaled_site(params, x, s):
    z = perturb(x @ params["W"], name="z")
    return (z * s).sum(axis=1)


def tanh_site(W, x):
    z = perturb(x @ W, name="z")
    return np.sum(np.tanh(z))


def tanh_plain(W, x):
    return np.sum(np.tanh(x @ W))


def marker_then_method(params, x):
    z = perturb(x @ params["W"] + params["b"], name="z").reshape(-1)
    return np.sin(z).sum()


def two_layer_problem(seed=0, batch=5, tangents=False):
    """Parameters, inputs, labels and site directions for :func:`two_layer` (and, with ``tangents``,
    parameter tangents drawn after them from the same generator)."""
    r = np.random.default_rng(seed)
    p = {"W1": r.standard_normal((4, 3)), "b1": r.standard_normal(3), "W2": r.standard_normal((3, 6))}
    p["b2"] = r.standard_normal(6)
    x, y = r.standard_normal((batch, 4)), r.integers(0, 6, batch)
    u = {"z1": r.standard_normal((batch, 3)), "z2": r.standard_normal((batch, 6))}
    if not tangents:
        return p, x, y, u
    return p, x, y, u, {k: r.standard_normal(v.shape) for k, v in p.items()}
