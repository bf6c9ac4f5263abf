"""forward_gradient(perturb="activations"): unbiased (the mean of many seeded estimates is within a few
standard errors of backprop's gradient, element by element), exact heads exact, the optimizers, the
strict backend, and the refusals."""

import pathlib
import sys

import numpy as np
import pytest

import tangent_fwd
from tangent_fwd.errors import ArgumentError
from tangent_fwd.training import backprop, optim
from tangent_fwd.training import local_losses as L

sys.path.insert(0, str(pathlib.Path(__file__).parents[1]))
import strict_np  # noqa: E402

from tangent_fwd import backends  # noqa: E402

backends.register("strict", strict_np)

B, N_IN, W = 6, 8, 5


def data(seed=0):
    r = np.random.default_rng(seed)
    return r.standard_normal((B, N_IN)), r.integers(0, 10, B)


def local_params(seed=1):
    return L.local_mlp_init(seed, width=W, n_in=N_IN, dtype=np.float64)


def global_params(seed=1):
    return {k: v for k, v in local_params(seed).items() if k[0] in "Wb"}


def assert_unbiased(fg, params, x, y, true, n):
    """Mean of n estimates vs the true gradient: every element within 5 standard errors (seeded)."""
    acc = {k: np.zeros_like(v) for k, v in true.items()}
    sq = {k: np.zeros_like(v) for k, v in true.items()}
    norm2 = sum(float((t**2).sum()) for t in true.values())
    proj = []
    for _ in range(n):
        _, g = fg(params, x, y)
        proj.append(sum(float((g[k] * true[k]).sum()) for k in true) / norm2)
        for k in true:
            acc[k] += g[k]
            sq[k] += g[k] ** 2
    for k, t in true.items():
        mean = acc[k] / n
        se = np.sqrt(np.maximum(sq[k] / n - mean**2, 0) / n)
        assert np.all(np.abs(mean - t) <= 5 * se + 1e-12), (k, np.max(np.abs(mean - t) / (se + 1e-300)))
        assert np.any(se > 0), k  # a random estimate, not the gradient itself
    # the whole estimate projected on the true gradient: mean 1 within 4.5 standard errors (this is the
    # powerful check: with K = 16 a 5% scale error is ~5 standard errors)
    proj = np.array(proj)
    se = proj.std() / np.sqrt(n)
    assert abs(proj.mean() - 1) <= 4.5 * se, (proj.mean(), se)


@pytest.mark.parametrize(
    "distribution,k,vectorized", [("normal", 1, None), ("rademacher", 16, None), ("normal", 2, False)]
)
def test_global_loss_estimate_is_unbiased(distribution, k, vectorized):
    x, y = data()
    p = global_params()
    loss, true = backprop.mlp_loss_and_grad(p, x, y)
    fg = tangent_fwd.forward_gradient(
        L.mlp_losses, perturb="activations", directions=k, distribution=distribution, rng=3, vectorized=vectorized
    )
    value, g = fg(p, x, y)
    assert value == pytest.approx(float(loss), rel=1e-12) and set(g) == set(p)
    assert all(g[key].shape == p[key].shape and g[key].dtype == p[key].dtype for key in p)
    assert_unbiased(fg, p, x, y, true, 600)


@pytest.mark.parametrize("k", [1, 16])
def test_local_loss_estimate_is_unbiased_for_the_local_objective(k):
    x, y = data(1)
    p = local_params(2)
    loss, true = L.local_mlp_loss_and_grad(p, x, y)
    fg = tangent_fwd.forward_gradient(L.local_mlp_losses, perturb="activations", rng=4, directions=k)
    value, _ = fg(p, x, y)
    assert value == pytest.approx(float(loss), rel=1e-12)
    assert_unbiased(fg, p, x, y, true, 600)


def test_two_layer_blocks_estimate_is_unbiased():
    """Two sites scored by one block loss: each site's estimate uses that loss's directional derivative."""
    x, y = data(5)
    p = L.deep_local_mlp_init(4, width=W, n_in=N_IN, dtype=np.float64)
    _, true = L.deep_local_mlp_loss_and_grad(p, x, y)
    fg = tangent_fwd.forward_gradient(
        L.deep_local_mlp_losses, perturb="activations", rng=9, directions=16, exact=L.exact_heads()
    )
    _, g = fg(p, x, y)
    for key in ("H1", "c1", "H2", "c2", "W5", "b5"):
        np.testing.assert_allclose(g[key], true[key], rtol=1e-10, atol=1e-14)
    assert_unbiased(fg, p, x, y, {k: true[k] for k in true if k[0] in "Wb" and k not in ("W5", "b5")}, 400)


def test_exact_heads_give_the_heads_their_exact_gradient():
    x, y = data(2)
    p = local_params(3)
    _, true = L.local_mlp_loss_and_grad(p, x, y)
    fg = tangent_fwd.forward_gradient(L.local_mlp_losses, perturb="activations", rng=5, exact=L.exact_heads())
    _, g = fg(p, x, y)
    for key in ("H1", "c1", "H2", "c2", "W3", "b3"):
        np.testing.assert_allclose(g[key], true[key], rtol=1e-10, atol=1e-14)
    assert not np.allclose(g["W1"], true["W1"])  # the blocks' own layers are still estimated
    assert_unbiased(fg, p, x, y, {k: true[k] for k in ("W1", "b1", "W2", "b2")}, 400)


def test_local_cnn_estimate_is_unbiased_and_its_heads_exact():
    r = np.random.default_rng(9)
    p = L.local_cnn_init(9, channels=2, hidden=5, dtype=np.float64)
    x, y = r.random((3, 784)), r.integers(0, 10, 3)
    _, true = L.local_cnn_loss_and_grad(p, x, y)
    exact = tangent_fwd.forward_gradient(
        L.local_cnn_losses, perturb="activations", rng=2, exact=L.exact_heads(L.CNN_HEAD_SITES)
    )
    _, g = exact(p, x, y)
    for key in ("H1", "c1", "H2", "c2", "W2", "b2"):
        np.testing.assert_allclose(g[key], true[key], rtol=1e-10, atol=1e-14)
    fg = tangent_fwd.forward_gradient(L.local_cnn_losses, perturb="activations", rng=3, directions=16)
    assert_unbiased(fg, p, x, y, true, 250)  # the conv site: K estimated as colsᵀ ĝ_z through its reshapes


def test_global_cnn_estimate_is_unbiased():
    from tangent_fwd.training import models

    r = np.random.default_rng(10)
    p = models.cnn_init(10, channels=2, hidden=5, dtype=np.float64)
    x, y = r.random((3, 784)), r.integers(0, 10, 3)
    loss, true = backprop.cnn_loss_and_grad(p, x, y)
    fg = tangent_fwd.forward_gradient(L.cnn_losses, perturb="activations", rng=4, directions=16)
    value, _ = fg(p, x, y)
    assert value == pytest.approx(float(loss), rel=1e-12)
    assert_unbiased(fg, p, x, y, true, 200)


def test_optimizers_take_the_activity_estimate():
    x, y = data(3)
    for name in ("sgd", "momentum", "adam"):
        p = local_params(4)
        fg = tangent_fwd.forward_gradient(L.local_mlp_losses, perturb="activations", rng=6, exact=L.exact_heads())
        opt = optim.make_optimizer(name, L.local_mlp_losses, p, 0.02 if name == "adam" else 0.2, grad_fn=fg)
        first = float(L.local_mlp_loss_and_grad(p, x, y)[0])
        for _ in range(60):
            opt.step(x, y)
        assert float(L.local_mlp_loss_and_grad(p, x, y)[0]) < 0.7 * first, name
    # one momentum step is the documented update with the estimate drawn from the same seed
    p, q = local_params(5), local_params(5)
    est = tangent_fwd.forward_gradient(L.local_mlp_losses, perturb="activations", rng=7)
    opt = optim.Momentum(
        L.local_mlp_losses,
        p,
        0.1,
        grad_fn=tangent_fwd.forward_gradient(L.local_mlp_losses, perturb="activations", rng=7),
    )
    opt.step(x, y)
    _, g = est(q, x, y)
    for key in p:
        np.testing.assert_allclose(p[key], q[key] - 0.1 * g[key], rtol=1e-12)


def test_strict_backend_estimate_is_assembled_on_the_device():
    x, y = data(4)
    p = local_params(6)
    s = strict_np.asarray
    ps = {k: s(v) for k, v in p.items()}
    fg = tangent_fwd.forward_gradient(L.local_mlp_losses, perturb="activations", rng=8, backend="strict")
    with strict_np.guard_host_sync():  # no implicit device->host read in a step
        value, g = fg(ps, s(x), s(y))
        vector = tangent_fwd.forward_gradient(
            L.local_mlp_losses, perturb="activations", rng=8, distribution="rademacher", directions=3
        )
        _, gv = vector(ps, s(x), s(y))
    assert vector.last_sites["b1/z"].tangent.shape == (3, B, W) and all(k in gv for k in p)
    assert all(isinstance(v, strict_np.ndarray) for v in g.values())
    # the same directions on the host give the same estimate
    u = {name: rec.tangent.get() for name, rec in fg.last_sites.items()}
    fixed = tangent_fwd.forward_gradient(L.local_mlp_losses, perturb="activations")
    drawn = iter([u[n] for n in L.LOCAL_SITES])
    fixed._draw = lambda xp, shape, dtype: next(drawn)
    _, gh = fixed(p, x, y)
    for key in p:
        np.testing.assert_allclose(g[key].get(), gh[key], rtol=1e-10, atol=1e-14)


def test_refusals():
    x, y = data()
    p = global_params()
    with pytest.raises(ValueError, match="unknown perturb='neurons'; valid values: 'weights', 'activations'"):
        tangent_fwd.forward_gradient(L.mlp_losses, perturb="neurons")
    with pytest.raises(ValueError, match="cannot be combined with rank="):
        tangent_fwd.forward_gradient(L.mlp_losses, perturb="activations", rank=2)
    with pytest.raises(ValueError, match="exact= .* needs perturb='activations'"):
        tangent_fwd.forward_gradient(L.mlp_losses, exact=L.exact_heads())
    with pytest.raises(ValueError, match="wrt=0 or wrt='params', got 'x'"):
        tangent_fwd.forward_gradient(L.mlp_losses, "x", perturb="activations")
    assert tangent_fwd.forward_gradient(L.mlp_losses, "params", perturb="activations")(p, x, y)[1].keys() == p.keys()
    mean_loss = tangent_fwd.forward_gradient(lambda_free_mean_loss, perturb="activations")
    with pytest.raises(ArgumentError, match=r"per-example losses.*shape \(B,\)"):
        mean_loss(p, x, y)
    in_callee = tangent_fwd.forward_gradient(sites_in_a_callee, perturb="activations")
    with pytest.raises(ArgumentError, match="'z1', 'z2', 'z3' ran in code that tangent_fwd did not differentiate"):
        in_callee(p, x, y)  # no differentiated value enters mlp_losses: its markers would be skipped
    extra = dict(p, V=np.ones(3))
    with pytest.raises(ArgumentError, match="'V' are not the weight or bias of any"):
        tangent_fwd.forward_gradient(L.mlp_losses, perturb="activations")(extra, x, y)
    with pytest.raises(ArgumentError, match="site 'z1': .* none named"):
        tangent_fwd.forward_gradient(wrong_loss_names, perturb="activations")(p, x, y)


def lambda_free_mean_loss(params, x, y):
    z = tangent_fwd.perturb(x @ params["W1"] + params["b1"], name="z1")
    h = np.maximum(z, 0)
    z2 = tangent_fwd.perturb(h @ params["W2"] + params["b2"], name="z2")
    h2 = np.maximum(z2, 0)
    z3 = tangent_fwd.perturb(h2 @ params["W3"] + params["b3"], name="z3")
    return L.per_example_cross_entropy(z3, y).mean()


def wrong_loss_names(params, x, y):
    z = tangent_fwd.perturb(x @ params["W1"] + params["b1"], name="z1")
    return {"block": (z**2).sum(axis=1)}


def sites_in_a_callee(params, x, y):
    return L.mlp_losses(params, x, y) * 1.0


def test_relative_variance_of_a_known_estimator():
    r = np.random.default_rng(12)
    true = {"a": np.array([3.0, 4.0]), "b": np.array([[0.0]])}  # ‖g‖² = 25
    noise = 2.0  # per element: E‖ĝ − g‖² = 3 · 4 = 12, relative 0.48

    def estimate():
        return {k: v + noise * r.standard_normal(v.shape) for k, v in true.items()}

    rel, se = L.relative_variance(estimate, true, 4000)
    assert abs(rel - 0.48) <= 5 * se and se < 0.02
    with pytest.raises(ValueError, match="true gradient is zero"):
        L.relative_variance(estimate, {"a": np.zeros(2)}, 3)
