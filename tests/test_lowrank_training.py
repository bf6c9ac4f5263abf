"""Low-rank directions in forward-gradient training: E[v vᵀ] = I, unbiased estimates (statistical tests
with tolerances from the estimator's own variance), the optimizers' factored updates, the CLI."""

import math

import numpy as np
import pytest

from tangent_fwd import LowRank
from tangent_fwd.data import load_mnist
from tangent_fwd.training import SGD, make_optimizer
from tangent_fwd.training.forward_gradient import DirectionSampler, factored_shape, forward_gradient
from tangent_fwd.training.models import logreg_init, logreg_loss, mlp_init, mlp_loss

rng0 = np.random.default_rng(0)
X = rng0.standard_normal((12, 100))
Y = rng0.standard_normal((12, 4))


def lsq(p, x, y):
    """0.5 mean |x W + b - y|² (+ a quartic term so the gradient is not linear in W)."""
    r = x @ p["W"] + p["b"]
    return 0.5 * ((r - y) ** 2).sum() / x.shape[0] + 0.1 * (p["W"] ** 4).sum()


def lsq_grad(p, x, y):
    r = x @ p["W"] + p["b"] - y
    return {"W": x.T @ r / x.shape[0] + 0.4 * p["W"] ** 3, "b": r.sum(axis=0) / x.shape[0]}


def _params():
    r = np.random.default_rng(1)
    return {"W": 0.3 * r.standard_normal((100, 4)), "b": r.standard_normal(4)}


def test_factored_shape():
    assert factored_shape((784, 1024), 1) == ((784,), (1024,))
    assert factored_shape((3, 3, 64, 128), 1) == ((3, 3, 64), (128,))  # conv kernel: one filter x output channels
    assert factored_shape((3, 3, 16), 1) is None  # 9 inputs: the dense tangent is faster
    assert factored_shape((1024,), 1) is None  # vectors stay dense
    assert factored_shape((2, 2), 1) is None  # a factored direction would not be cheaper
    assert factored_shape((64, 4), 1) == ((64,), (4,)) and factored_shape((64, 4), 3) is None
    assert factored_shape((5, 4), 1) is None
    assert factored_shape((784, 1024), None) is None


@pytest.mark.parametrize("distribution", ["normal", "rademacher"])
@pytest.mark.parametrize("rank", [1, 3])
def test_lowrank_directions_have_identity_second_moment(rank, distribution):
    """E[v_i v_j] = δ_ij over the entries of a factored (100, 5) leaf; each estimate of a second
    moment from N samples has standard error about sqrt(Var(v_i v_j) / N), Var <= 9 for these laws."""
    like = {"W": np.zeros((100, 5)), "b": np.zeros(3)}
    s = DirectionSampler(like, distribution, np.random.default_rng(5), rank=rank)
    n = 15000
    flat = np.empty((n, 503))
    for i in range(n):
        v = s.sample()
        assert isinstance(v["W"], LowRank) and v["W"].rank == rank
        flat[i, :500] = v["W"].dense().ravel()
        flat[i, 500:] = v["b"]
    m = flat.T @ flat / n
    se = 3.0 / math.sqrt(n)
    assert np.max(np.abs(m - np.eye(503))) < 6.5 * se
    assert np.max(np.abs(flat.mean(axis=0))) < 6 / math.sqrt(n)


@pytest.mark.parametrize("distribution", ["normal", "rademacher"])
@pytest.mark.parametrize("rank", [1, 2, 3])
def test_lowrank_forward_gradient_is_unbiased(rank, distribution):
    """The mean of N forward-gradient estimates is within 5 standard errors of ∇f in every entry
    (404 entries: a false alarm has probability ~2e-4), and the estimator is really random."""
    p = _params()
    g = lsq_grad(p, X, Y)
    fg = forward_gradient(lsq, rank=rank, distribution=distribution, rng=11)
    n = 3000
    est = {k: np.empty((n,) + v.shape) for k, v in p.items()}
    for i in range(n):
        value, e = fg(p, X, Y)
        for k in p:
            est[k][i] = e[k]
    assert value == lsq(p, X, Y)
    for k in p:
        mean, se = est[k].mean(axis=0), est[k].std(axis=0) / math.sqrt(n)
        assert np.all(se > 0)
        z = np.abs(mean - g[k]) / se
        assert np.max(z) < 5, (k, np.max(z))


def test_estimate_into_with_factored_leaves():
    p = _params()
    fg = forward_gradient(lsq, rank=1, directions=2, rng=3)
    out = [np.empty_like(p["W"]), np.empty_like(p["b"])]
    # the same stream gives the same directions: replay them to build the estimate by hand
    value = fg.estimate_into((p, X, Y), out, scale=0.5)
    s = DirectionSampler(p, "normal", np.random.default_rng(3), rank=1)
    want = {k: np.zeros_like(v) for k, v in p.items()}
    g = lsq_grad(p, X, Y)
    for d_seen in fg.last_jvps:
        v = s.sample()
        dense = {"W": v["W"].dense(), "b": v["b"]}
        d = sum(np.sum(g[k] * dense[k]) for k in p)
        assert np.isclose(d, d_seen, rtol=1e-10)
        for k in p:
            want[k] += 0.5 * d / 2 * dense[k]
    assert value == lsq(p, X, Y)
    np.testing.assert_allclose(out[0], want["W"], rtol=1e-10)
    np.testing.assert_allclose(out[1], want["b"], rtol=1e-10)


@pytest.mark.parametrize("rank", [1, 2])
def test_sgd_with_lowrank_directions_is_algorithm_1(rank):
    p = _params()
    opt = SGD(lsq, p, lr=0.05, decay=0.1, rng=4, rank=rank)
    ref = _params()
    s = DirectionSampler(ref, "normal", np.random.default_rng(4), rank=rank)
    for i in range(3):
        v = s.sample()
        dense = {"W": v["W"].dense(), "b": v["b"].copy()}
        g = lsq_grad(ref, X, Y)
        d = sum(np.sum(g[k] * dense[k]) for k in ref)
        eta = 0.05 * math.exp(-0.1 * i)
        ref = {k: ref[k] - eta * d * dense[k] for k in ref}
        opt.step(X, Y)
    for k in p:
        np.testing.assert_allclose(p[k], ref[k], rtol=1e-10)


@pytest.mark.parametrize("name", ["momentum", "adam"])
def test_other_optimizers_take_lowrank_directions(name):
    p = _params()
    opt = make_optimizer(name, lsq, p, lr=1e-4, rank=1, rng=0)
    before = lsq(p, X, Y)
    for _ in range(200):
        opt.step(X, Y)
    assert lsq(p, X, Y) < before


def test_lowrank_training_lowers_the_mnist_loss():
    x, y, _, _ = load_mnist()
    x, y = x[:640], y[:640]
    p = mlp_init(0, width=64)
    before = mlp_loss(p, x, y)
    opt = SGD(mlp_loss, p, lr=1e-3, rank=1, rng=0)
    order = np.random.default_rng(0).permutation(len(x))
    for i in range(300):
        idx = order[(i * 32) % len(x) : (i * 32) % len(x) + 32]
        opt.step(x[idx], y[idx])
    assert mlp_loss(p, x, y) < before - 0.1
    assert p["W1"].dtype == np.float32


def test_rank_errors():
    with pytest.raises(ValueError, match="rank must be a positive integer"):
        forward_gradient(lsq, rank=0)
    with pytest.raises(ValueError, match="vectorized"):
        forward_gradient(lsq, rank=1, directions=2, vectorized=True)
    with pytest.raises(ValueError, match="batched"):
        DirectionSampler(_params(), batch=2, rank=1)
    fg = forward_gradient(lsq, rank=1, directions=3)
    assert not fg.vectorized  # K passes, not vector mode
    p = logreg_init()
    with pytest.raises(ValueError, match="rank"):
        from tangent_fwd.training.runner import TrainConfig

        TrainConfig(rank=1, vectorized=True).validate()
    assert logreg_loss(p, np.zeros((2, 784), np.float32), np.array([0, 1])) > 0


def test_cli_rank(tmp_path):
    from tangent_fwd.cli import main

    rc = main(
        ["train", "--model", "logreg", "--rank", "1", "--max-steps", "20", "--out-dir", str(tmp_path), "--no-progress"]
    )
    assert rc in (0, None)
    import json

    out = json.loads((tmp_path / "logreg_forward_sgd.json").read_text())
    assert out["config"]["rank"] == 1
    with pytest.raises(SystemExit):
        main(["train", "--rank", "0"])
