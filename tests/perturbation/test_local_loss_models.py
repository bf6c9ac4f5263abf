"""The local-loss models: the hand-written backprop baseline is the gradient of the local objective
(each block's loss differentiated with its input held fixed, as stop_gradient says), checked against
float64 central finite differences of that objective block by block; the exact head gradient against
finite differences of the mean cross-entropy; test-time logits are the output layer's."""

import numpy as np

import tangent_fwd
from tangent_fwd.training import local_losses as L

B, N_IN, W = 4, 6, 5


def setup(seed=0):
    r = np.random.default_rng(seed)
    p = L.local_mlp_init(seed, width=W, n_in=N_IN, dtype=np.float64)
    for k in p:  # nonzero biases so every term is exercised
        p[k] = p[k] + 0.1 * r.standard_normal(p[k].shape)
    return p, r.standard_normal((B, N_IN)), r.integers(0, 10, B)


def frozen_objective(p, x, y, key, value):
    """The local objective with parameter ``key`` set to ``value``, every block's input computed from
    the unmodified parameters (stop_gradient: a block's loss never reaches the blocks before it)."""
    q = dict(p, **{key: value})
    ce = lambda a: L.per_example_cross_entropy(a, y).mean()  # noqa: E731
    h1 = np.maximum(x @ p["W1"] + p["b1"], 0)
    h2 = np.maximum(h1 @ p["W2"] + p["b2"], 0)
    h1q = np.maximum(x @ q["W1"] + q["b1"], 0)
    h2q = np.maximum(h1 @ q["W2"] + q["b2"], 0)
    return ce(h1q @ q["H1"] + q["c1"]) + ce(h2q @ q["H2"] + q["c2"]) + ce(h2 @ q["W3"] + q["b3"])


def test_backprop_baseline_matches_finite_differences_of_the_local_objective():
    p, x, y = setup()
    loss, grads = L.local_mlp_loss_and_grad(p, x, y)
    total = sum(v.mean() for v in L.local_mlp_losses(p, x, y).values())
    assert float(loss) == np.float64(total)
    r = np.random.default_rng(1)
    for key, value in p.items():
        v = r.standard_normal(value.shape)
        h = 1e-6
        fd = (frozen_objective(p, x, y, key, value + h * v) - frozen_objective(p, x, y, key, value - h * v)) / (2 * h)
        np.testing.assert_allclose(np.sum(grads[key] * v), fd, rtol=1e-6, atol=1e-9, err_msg=key)


def test_baseline_agrees_with_the_generated_jvp_of_the_marked_model():
    p, x, y = setup(2)
    _, grads = L.local_mlp_loss_and_grad(p, x, y)
    r = np.random.default_rng(3)
    dp = {k: r.standard_normal(v.shape) for k, v in p.items()}
    _, d = tangent_fwd.jvp(L.local_mlp_losses, (p, x, y), (dp, None, None))  # markers: identity here
    np.testing.assert_allclose(sum(v.mean() for v in d.values()), sum(np.sum(grads[k] * dp[k]) for k in p), rtol=1e-10)


def test_exact_head_gradient_is_the_cross_entropy_gradient():
    r = np.random.default_rng(4)
    z, y = r.standard_normal((B, 10)), r.integers(0, 10, B)
    g = L.head_gradient(z.copy(), None, None, y)
    v = r.standard_normal(z.shape)
    ce = lambda a: L.per_example_cross_entropy(a, y).mean()  # noqa: E731
    fd = (ce(z + 1e-6 * v) - ce(z - 1e-6 * v)) / 2e-6
    np.testing.assert_allclose(np.sum(g * v), fd, rtol=1e-6)


def test_logits_are_the_output_layer():
    p, x, _ = setup(5)
    h2 = np.maximum(np.maximum(x @ p["W1"] + p["b1"], 0) @ p["W2"] + p["b2"], 0)
    np.testing.assert_array_equal(L.local_mlp_logits(p, x), h2 @ p["W3"] + p["b3"])


def test_cnn_baseline_agrees_with_the_generated_jvp_of_the_marked_model():
    r = np.random.default_rng(6)
    p = L.local_cnn_init(6, channels=2, hidden=5, dtype=np.float64)
    for k in p:
        p[k] = p[k] + 0.1 * r.standard_normal(p[k].shape)
    x, y = r.random((2, 784)), r.integers(0, 10, 2)
    loss, grads = L.local_cnn_loss_and_grad(p, x, y)
    dp = {k: r.standard_normal(v.shape) for k, v in p.items()}
    value, d = tangent_fwd.jvp(L.local_cnn_losses, (p, x, y), (dp, None, None))
    assert float(loss) == sum(v.mean() for v in value.values())
    np.testing.assert_allclose(sum(v.mean() for v in d.values()), sum(np.sum(grads[k] * dp[k]) for k in p), rtol=1e-10)
    np.testing.assert_array_equal(L.local_cnn_logits(p, x).argmax(axis=1).shape, (2,))


def test_two_layer_blocks_baseline_agrees_with_the_generated_jvp():
    r = np.random.default_rng(7)
    p = L.deep_local_mlp_init(7, width=W, n_in=N_IN, dtype=np.float64)
    for k in p:
        p[k] = p[k] + 0.1 * r.standard_normal(p[k].shape)
    x, y = r.standard_normal((B, N_IN)), r.integers(0, 10, B)
    loss, grads = L.deep_local_mlp_loss_and_grad(p, x, y)
    assert set(grads) == set(p)
    dp = {k: r.standard_normal(v.shape) for k, v in p.items()}
    value, d = tangent_fwd.jvp(L.deep_local_mlp_losses, (p, x, y), (dp, None, None))
    np.testing.assert_allclose(float(loss), sum(v.mean() for v in value.values()), rtol=1e-14)
    np.testing.assert_allclose(sum(v.mean() for v in d.values()), sum(np.sum(grads[k] * dp[k]) for k in p), rtol=1e-10)


def test_two_layer_blocks_logits_are_the_output_layer_the_out_loss_scores():
    r = np.random.default_rng(8)
    p = L.deep_local_mlp_init(8, width=W, n_in=N_IN, dtype=np.float64)
    x, y = r.standard_normal((B, N_IN)), r.integers(0, 10, B)
    logits = L.deep_local_mlp_logits(p, x)
    assert logits.shape == (B, 10)
    np.testing.assert_array_equal(L.per_example_cross_entropy(logits, y), L.deep_local_mlp_losses(p, x, y)["out"])
