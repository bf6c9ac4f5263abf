"""The hand-written backprop baselines (and the model losses tangent_fwd differentiates) against central
finite differences in float64."""

import numpy as np
import pytest

import tangent_fwd
from tangent_fwd.data import load_mnist
from tangent_fwd.training import models

SIZES = {"logreg": {}, "mlp": {"width": 6}, "cnn": {"channels": 3, "hidden": 5}}


@pytest.fixture(scope="module")
def batch():
    x, y, _, _ = load_mnist()
    return x[:5].astype(np.float64), y[:5]


def _params(name, seed=0):
    m = models.get_model(name)
    p = {k: v.astype(np.float64) for k, v in m.init(seed, **SIZES[name]).items()}
    rng = np.random.default_rng(seed + 1)
    for k in p:  # non-zero everywhere: no ReLU kinks or max-pool ties at exactly 0
        p[k] = p[k] + 0.1 * rng.standard_normal(p[k].shape)
    return m, p


def _fd(loss, p, x, y, key, d, eps=1e-6):
    plus = dict(p, **{key: p[key] + eps * d})
    minus = dict(p, **{key: p[key] - eps * d})
    return (loss(plus, x, y) - loss(minus, x, y)) / (2 * eps)


@pytest.mark.parametrize("name", models.MODEL_NAMES)
def test_backprop_matches_finite_differences(name, batch):
    m, p = _params(name)
    x, y = batch
    loss, grads = m.loss_and_grad(p, x, y)
    assert np.isclose(loss, m.loss(p, x, y), rtol=1e-12)
    assert set(grads) == set(p)
    rng = np.random.default_rng(7)
    for key in p:
        assert grads[key].shape == p[key].shape and grads[key].dtype == np.float64
        d = rng.standard_normal(p[key].shape)
        fd = _fd(m.loss, p, x, y, key, d)
        assert np.isclose(np.sum(grads[key] * d), fd, rtol=1e-6, atol=1e-8), key
    # a few single coordinates too
    for key in p:
        idx = tuple(rng.integers(0, s) for s in p[key].shape)
        d = np.zeros_like(p[key])
        d[idx] = 1.0
        assert np.isclose(grads[key][idx], _fd(m.loss, p, x, y, key, d), rtol=1e-5, atol=1e-8), (key, idx)


@pytest.mark.parametrize("name", models.MODEL_NAMES)
def test_jvp_of_model_loss_matches_backprop(name, batch):
    m, p = _params(name, seed=3)
    x, y = batch
    _, grads = m.loss_and_grad(p, x, y)
    rng = np.random.default_rng(11)
    v = {k: rng.standard_normal(a.shape) for k, a in p.items()}
    value, dvalue = tangent_fwd.jvp(m.loss, (p, x, y), (v, None, None))
    assert np.isclose(value, m.loss(p, x, y), rtol=1e-12)
    assert np.isclose(dvalue, sum(np.sum(grads[k] * v[k]) for k in p), rtol=1e-9)


@pytest.mark.parametrize("name", models.MODEL_NAMES)
def test_float32_models(name, batch):
    m = models.get_model(name)
    p = m.init(0, **SIZES[name])
    x, y = batch[0].astype(np.float32), batch[1]
    loss, grads = m.loss_and_grad(p, x, y)
    assert all(g.dtype == np.float32 for g in grads.values())
    assert np.isclose(loss, m.loss(p, x, y), rtol=1e-5)
    assert m.logits(p, x).shape == (5, 10)
    assert 0.0 <= models.accuracy(m, p, x, y) <= 1.0


def test_paper_sizes_and_bad_name():
    p = models.get_model("mlp").init(0)
    assert p["W1"].shape == (784, 1024) and p["W2"].shape == (1024, 1024) and p["W3"].shape == (1024, 10)
    m = models.get_model("cnn")
    p = m.init(0, **m.paper)
    assert p["K"].shape == (3, 3, 64) and p["W1"].shape == (13 * 13 * 64, 1024)
    with pytest.raises(ValueError, match="valid models: logreg, mlp, cnn"):
        models.get_model("resnet")
