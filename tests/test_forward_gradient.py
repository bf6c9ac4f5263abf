"""forward_gradient: unbiasedness (statistical test with tolerance from the estimator's variance),
reproducibility, pytrees, direction dtypes, and argument errors."""

import numpy as np
import pytest

from tangent_fwd.training import DISTRIBUTIONS, forward_gradient, sample_directions
from tangent_fwd.training.backprop import logreg_loss_and_grad
from tangent_fwd.training.models import logreg_loss


def quad(w, A, c):
    """0.5 wᵀAw + c·w, gradient Aw + c."""
    return 0.5 * (w @ (A @ w)) + c @ w


def pair_loss(ab, x):
    return (ab[0] * x).sum() ** 2 + np.tanh(ab[1] @ x)


def hand_jvp(func, primals, tangents):
    """Hand-written JVP of ``quad`` (injected instead of tangent_fwd.jvp)."""
    assert func is quad
    w, A, c = primals
    dw = tangents[0]
    return func(w, A, c), (A @ w + c) @ dw


@pytest.fixture
def problem():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((8, 3))
    y = rng.integers(0, 4, 8)
    p = {"W": rng.standard_normal((3, 4)), "b": rng.standard_normal(4)}
    _, g = logreg_loss_and_grad(p, x, y)
    return p, x, y, g


@pytest.mark.parametrize("distribution", DISTRIBUTIONS)
@pytest.mark.parametrize("k", [1, 3])
def test_unbiased(problem, distribution, k):
    p, x, y, g = problem
    n = 2500
    fg = forward_gradient(logreg_loss, directions=k, distribution=distribution, rng=123)
    acc = {key: np.zeros_like(a) for key, a in p.items()}
    for _ in range(n):
        value, est = fg(p, x, y)
        for key in acc:
            acc[key] += est[key]
    assert np.isclose(value, logreg_loss(p, x, y))
    total = sum(np.sum(a * a) for a in g.values())
    for key in p:
        mean = acc[key] / n
        # per-coordinate variance of (g·v)v_i: normal |g|² + g_i², Rademacher |g|² - g_i²; divided by K
        var = (total + g[key] ** 2 if distribution == "normal" else total - g[key] ** 2) / k
        tol = 5 * np.sqrt(var / n) + 1e-12
        assert np.all(np.abs(mean - g[key]) <= tol), (key, mean - g[key], tol)
    # and the estimator is not trivially the true gradient
    assert not np.allclose(est["W"], g["W"])


def test_k_directions_is_mean_of_single_estimates(problem):
    p, x, y, _ = problem
    fg3 = forward_gradient(logreg_loss, directions=3, rng=5)
    _, est3 = fg3(p, x, y)
    fg1 = forward_gradient(logreg_loss, directions=1, rng=5)
    singles = [fg1(p, x, y)[1] for _ in range(3)]
    for key in p:
        assert np.allclose(est3[key], sum(s[key] for s in singles) / 3)
    # each estimate lies along its direction: est = (g·v) v
    assert len(fg3.last_jvps) == 3


def test_reproducible_and_not_aliased(problem):
    p, x, y, _ = problem
    a = forward_gradient(logreg_loss, rng=42)
    b = forward_gradient(logreg_loss, rng=np.random.default_rng(42))
    ea1, eb1 = a(p, x, y)[1], b(p, x, y)[1]
    saved = {k: v.copy() for k, v in ea1.items()}
    ea2 = a(p, x, y)[1]
    for key in p:
        assert np.array_equal(ea1[key], eb1[key])
        assert np.array_equal(ea1[key], saved[key])  # a second call does not overwrite the first
        assert not np.array_equal(ea1[key], ea2[key])


def test_direction_dtypes_and_values():
    like = {"a": np.zeros((50, 40), np.float32), "b": [np.zeros(7), np.zeros((), np.float32)]}
    v = sample_directions(like, "rademacher", rng=0)
    assert v["a"].dtype == np.float32 and v["b"][0].dtype == np.float64
    assert set(np.unique(v["a"])) == {-1.0, 1.0}
    assert abs(v["a"].mean()) < 0.1
    n = sample_directions(like, "normal", rng=0)
    assert n["a"].dtype == np.float32 and abs(n["a"].std() - 1) < 0.05
    assert isinstance(n["b"], list) and n["b"][1].shape == ()


def test_pytree_tuple_argument_and_wrt_name():
    rng = np.random.default_rng(1)
    ab = (rng.standard_normal(4), rng.standard_normal(4))
    x = rng.standard_normal(4)
    fg = forward_gradient(pair_loss, wrt="ab", rng=0, directions=2)
    value, est = fg(ab, x)
    assert isinstance(est, tuple) and est[0].shape == (4,)
    assert np.isclose(value, pair_loss(ab, x))


def test_wrt_other_argument_and_injected_jvp():
    rng = np.random.default_rng(2)
    A = rng.standard_normal((3, 3))
    A = A @ A.T
    w, c = rng.standard_normal(3), rng.standard_normal(3)
    real = forward_gradient(quad, rng=9)
    fake = forward_gradient(quad, rng=9, jvp_fn=hand_jvp)
    assert np.allclose(real(w, A, c)[1], fake(w, A, c)[1])
    # gradient with respect to c is w: estimate along the sampled direction
    fc = forward_gradient(quad, wrt=2, rng=0, distribution="rademacher")
    value, est = fc(w, A, c)
    v = sample_directions(c, "rademacher", rng=0)
    assert np.allclose(est, (w @ v) * v)


def test_errors():
    with pytest.raises(ValueError, match="valid distributions: normal, rademacher"):
        forward_gradient(quad, distribution="uniform")
    with pytest.raises(ValueError, match="positive integer"):
        forward_gradient(quad, directions=0)
    with pytest.raises(ValueError, match="not a parameter"):
        forward_gradient(quad, wrt="z")
    with pytest.raises(ValueError, match="scalar function"):
        forward_gradient(lambda_free_vector, rng=0)(np.ones(3))
    with pytest.raises(TypeError, match="floating-point"):
        forward_gradient(quad, rng=0)(np.arange(3), np.eye(3), np.ones(3))


def lambda_free_vector(w):
    return w * 2.0


def scalar_fn(x, y):
    return x * x * y + np.sin(x)


@pytest.mark.parametrize("distribution", DISTRIBUTIONS)
def test_scalar_argument(distribution):
    g = forward_gradient(scalar_fn, rng=0, distribution=distribution)
    est = np.array([g(1.5, 2.0)[1] for _ in range(2000)])
    true = 2 * 1.5 * 2.0 + np.cos(1.5)
    if distribution == "rademacher":  # v = ±1 so (f'·v)v = f' exactly
        assert np.allclose(est, true)
    else:  # variance 2 f'^2
        assert abs(est.mean() - true) < 5 * np.sqrt(2 * true**2 / 2000)


def test_optimizer_buffers_match_public_estimate(problem):
    """The optimizers' allocation-free path gives the same update as the public estimate, for K > 1."""
    from tangent_fwd.training import SGD

    p, x, y, _ = problem
    mine = {k: v.copy() for k, v in p.items()}
    opt = SGD(logreg_loss, mine, lr=0.1, directions=3, distribution="rademacher", rng=4)
    opt.step(x, y)
    _, est = forward_gradient(logreg_loss, directions=3, distribution="rademacher", rng=4)(p, x, y)
    for k in p:
        assert np.allclose(mine[k], p[k] - 0.1 * est[k], rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("distribution", DISTRIBUTIONS)
def test_vectorized_matches_sequential(problem, distribution):
    """Vector mode draws the same K directions from the same stream: the same estimate in one pass."""
    p, x, y, _ = problem
    seq = forward_gradient(logreg_loss, directions=4, distribution=distribution, rng=11)
    vec = forward_gradient(logreg_loss, directions=4, distribution=distribution, rng=11, vectorized=True)
    for _ in range(2):
        (v1, e1), (v2, e2) = seq(p, x, y), vec(p, x, y)
        assert np.isclose(v1, v2)
        assert np.allclose(seq.last_jvps, vec.last_jvps, rtol=1e-10)
        for k in p:
            assert np.allclose(e1[k], e2[k], rtol=1e-10, atol=1e-12)
    g = forward_gradient(scalar_fn, rng=0, directions=3, distribution=distribution, vectorized=True)
    h = forward_gradient(scalar_fn, rng=0, directions=3, distribution=distribution)
    assert np.isclose(g(1.5, 2.0)[1], h(1.5, 2.0)[1])


def test_vectorized_optimizer_step(problem):
    from tangent_fwd.training import Adam

    p, x, y, _ = problem
    a = {k: v.astype(np.float32) for k, v in p.items()}
    b = {k: v.copy() for k, v in a.items()}
    x32 = x.astype(np.float32)
    Adam(logreg_loss, a, lr=0.01, directions=3, rng=2).step(x32, y)
    Adam(logreg_loss, b, lr=0.01, directions=3, rng=2, vectorized=True).step(x32, y)
    for k in a:
        assert a[k].dtype == np.float32 and np.allclose(a[k], b[k], rtol=1e-5, atol=1e-6)


def test_runner_uses_the_vector_mode_by_default_for_several_directions(monkeypatch):
    """--vectorized defaults to one vector-mode pass when K > 1 (and K passes with --no-vectorized)."""
    from tangent_fwd.training import runner

    made = []
    original = runner.make_optimizer

    def spy(*args, **kwargs):
        made.append(original(*args, **kwargs))
        return made[-1]

    monkeypatch.setattr(runner, "make_optimizer", spy)
    for vectorized, expected in ((None, True), (False, False)):
        cfg = runner.TrainConfig(model="logreg", directions=3, max_steps=2, epochs=1, vectorized=vectorized)
        runner.train(cfg, progress=False, log=None)
        assert made[-1]._fg.vectorized is expected
