"""Optimizers: hand-computed updates on small cases, in-place updates, loss decreases, reproducibility."""

import math

import numpy as np
import pytest

from tangent_fwd.data import load_mnist
from tangent_fwd.training import SGD, Adam, Momentum, make_optimizer
from tangent_fwd.training.backprop import logreg_loss_and_grad
from tangent_fwd.training.forward_gradient import DirectionSampler
from tangent_fwd.training.models import logreg_init, logreg_loss


def sq(p, t):
    """0.5 |w - t|² + 0.5 b²; gradient (w - t, b)."""
    return 0.5 * ((p["w"] - t) ** 2).sum() + 0.5 * (p["b"] ** 2).sum()


def sq_grad(p, t):
    return sq(p, t), {"w": p["w"] - t, "b": p["b"].copy()}


def _p():
    return {"w": np.array([1.0, -2.0, 0.5]), "b": np.array([3.0])}


T = np.array([0.0, 1.0, 2.0])


def test_sgd_is_algorithm_1():
    """θ_{i+1} = θ_i − η_i (∇f·v_i) v_i with η_i = η_0 e^{−ik}, v_i from the seeded sampler."""
    p = _p()
    w_obj, b_obj = p["w"], p["b"]
    opt = SGD(sq, p, lr=0.1, decay=0.5, rng=3)
    ref = _p()
    sampler = DirectionSampler(ref, "normal", np.random.default_rng(3))
    for i in range(3):
        v = sampler.sample()
        _, g = sq_grad(ref, T)
        d = sum(np.sum(g[k] * v[k]) for k in ref)
        eta = 0.1 * math.exp(-i * 0.5)
        ref = {k: ref[k] - eta * d * v[k] for k in ref}
        assert np.isclose(opt.lr, eta)
        before = {k: v.copy() for k, v in p.items()}
        assert np.isclose(opt.step(T), sq(before, T))
    for k in p:
        assert np.allclose(p[k], ref[k], rtol=1e-12)
    assert p["w"] is w_obj and p["b"] is b_obj  # updated in place
    assert opt.step_count == 3


def test_sgd_with_true_gradient():
    p = _p()
    opt = SGD(sq, p, lr=0.25, grad_fn=sq_grad)
    loss = opt.step(T)
    assert loss == sq(_p(), T)
    assert np.allclose(p["w"], _p()["w"] - 0.25 * (_p()["w"] - T))
    assert np.allclose(p["b"], [3.0 * 0.75])


def test_momentum_hand_computed():
    p = _p()
    opt = Momentum(sq, p, lr=0.1, momentum=0.9, grad_fn=sq_grad)
    w0 = _p()["w"]
    g0 = w0 - T
    w1 = w0 - 0.1 * g0
    opt.step(T)
    assert np.allclose(p["w"], w1)
    g1 = w1 - T
    buf = 0.9 * g0 + g1
    opt.step(T)
    assert np.allclose(p["w"], w1 - 0.1 * buf)


def test_adam_hand_computed():
    p = _p()
    opt = Adam(sq, p, lr=0.01, betas=(0.9, 0.999), eps=1e-8, decay=0.1, grad_fn=sq_grad)
    w = _p()["w"]
    m = s = np.zeros(3)
    for t in (1, 2):
        g = w - T
        m = 0.9 * m + 0.1 * g
        s = 0.999 * s + 0.001 * g * g
        mh, sh = m / (1 - 0.9**t), s / (1 - 0.999**t)
        w = w - 0.01 * math.exp(-(t - 1) * 0.1) * mh / (np.sqrt(sh) + 1e-8)
        opt.step(T)
        assert np.allclose(p["w"], w, rtol=1e-12)
    # first Adam step moves every coordinate by ~lr
    assert np.allclose(np.abs(_p()["w"] - (_p()["w"] - 0.01 * np.sign(_p()["w"] - T))), 0.01)


@pytest.fixture(scope="module")
def mnist_small():
    x, y, xt, yt = load_mnist()
    return x[:640], y[:640]


def _train(name, seed, data, steps=300, **kw):
    x, y = data
    p = logreg_init()
    opt = make_optimizer(name, logreg_loss, p, rng=seed, **kw)
    order = np.random.default_rng(seed).permutation(len(x))
    losses = []
    for i in range(steps):
        idx = order[(i * 32) % len(x) : (i * 32) % len(x) + 32]
        losses.append(opt.step(x[idx], y[idx]))
    return p, losses


@pytest.mark.parametrize("name, lr", [("sgd", 3e-3), ("momentum", 3e-4), ("adam", 3e-3)])
def test_forward_training_lowers_loss(name, lr, mnist_small):
    x, y = mnist_small
    before = logreg_loss(logreg_init(), x, y)
    p, losses = _train(name, 0, mnist_small, lr=lr, distribution="rademacher" if name == "adam" else "normal")
    after = logreg_loss(p, x, y)
    assert after < before - 0.2, (before, after)
    assert p["W"].dtype == np.float32


def test_backprop_training_lowers_loss(mnist_small):
    x, y = mnist_small
    p, _ = _train("sgd", 0, mnist_small, lr=0.5, grad_fn=logreg_loss_and_grad)
    assert logreg_loss(p, x, y) < 0.8


def test_reproducible_from_seed(mnist_small):
    a, la = _train("adam", 7, mnist_small, steps=10, lr=1e-3)
    b, lb = _train("adam", 7, mnist_small, steps=10, lr=1e-3)
    c, _ = _train("adam", 8, mnist_small, steps=10, lr=1e-3)
    assert la == lb and all(np.array_equal(a[k], b[k]) for k in a)
    assert not np.array_equal(a["W"], c["W"])


def test_errors():
    with pytest.raises(ValueError, match="valid optimizers: sgd, momentum, adam"):
        make_optimizer("rmsprop", sq, _p(), lr=0.1)
    for bad in (0, -1.0, float("nan")):
        with pytest.raises(ValueError, match="lr must be a positive number"):
            SGD(sq, _p(), lr=bad)
    with pytest.raises(ValueError, match="decay"):
        SGD(sq, _p(), lr=0.1, decay=-1)
    with pytest.raises(ValueError, match="momentum"):
        Momentum(sq, _p(), lr=0.1, momentum=1.5)
    with pytest.raises(TypeError, match="in place"):
        SGD(sq, {"w": 1.0}, lr=0.1)
    with pytest.raises(ValueError, match="valid distributions"):
        SGD(sq, _p(), lr=0.1, distribution="cauchy")
