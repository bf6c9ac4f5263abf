"""The direction sampler on a device namespace (``strict_np``, standing in for CuPy): directions are drawn
there (no host array is ever involved), are reproducible per seed, have E[v] = 0 and E[v vᵀ] = I for
normal and Rademacher, dense, K-direction blocks and low-rank; and the forward gradient built from them is
unbiased, as the CPU sampler's is (tests/test_forward_gradient.py)."""

import numpy as np
import pytest
import strict_np

from tangent_fwd import LowRank, backends
from tangent_fwd.training import forward_gradient
from tangent_fwd.training.forward_gradient import DirectionSampler
from tangent_fwd.training.models import logreg_loss

backends.register("strict", strict_np)


def like():
    return {"W": strict_np.to_device(np.zeros((40, 3), np.float32)), "b": strict_np.to_device(np.zeros(3, np.float64))}


def host(v):
    if isinstance(v, LowRank):
        return v.u.get() @ v.w.get().T if v.rank > 1 else v.u.get()[..., 0][:, None] * v.w.get()[:, 0]
    return v.get()


@pytest.mark.parametrize("distribution", ["normal", "rademacher"])
def test_drawn_on_the_device_reproducible_per_seed(distribution):
    with strict_np.guard_host_sync() as gets:
        a = DirectionSampler(like(), distribution, rng=7).sample()
        assert all(type(x).__name__ == "StrictArray" for x in a.values())
        first = {k: x.copy() for k, x in a.items()}
        b = DirectionSampler(like(), distribution, rng=7).sample()
        c = DirectionSampler(like(), distribution, rng=8).sample()
        assert gets[0] == 0  # nothing was read on the host while drawing
    assert a["W"].dtype == np.float32 and a["b"].dtype == np.float64
    for k in first:
        np.testing.assert_array_equal(first[k].get(), b[k].get())
    assert not np.array_equal(first["W"].get(), c["W"].get())
    if distribution == "rademacher":
        assert set(np.unique(first["W"].get())) == {-1.0, 1.0}


@pytest.mark.parametrize("distribution", ["normal", "rademacher"])
@pytest.mark.parametrize("rank", [None, 2])
def test_moments_are_those_of_an_isotropic_direction(distribution, rank):
    """E[v] = 0 and E[v vᵀ] = I over many draws (tolerance from the sample size)."""
    n = 3000
    s = DirectionSampler({"W": strict_np.to_device(np.zeros((70, 4)))}, distribution, rng=1, rank=rank)
    draws = np.stack([host(s.sample()["W"]).ravel() for _ in range(n)])
    if rank:
        assert isinstance(s.buffers["W"], LowRank)
    mean, cov = draws.mean(axis=0), draws.T @ draws / n
    assert np.abs(mean).max() < 5 / np.sqrt(n)
    # var of v_i v_j is 1 off the diagonal; of v_i² it is 2 (normal) or 0 (Rademacher) — up to rank effects
    assert np.abs(np.diag(cov) - 1).max() < 8 / np.sqrt(n) * (3 if rank else 1)
    off = cov - np.diag(np.diag(cov))
    assert np.abs(off).max() < 6 / np.sqrt(n) * (2 if rank else 1)


def test_k_direction_blocks_are_successive_draws():
    k = 3
    batched = DirectionSampler(like(), "normal", rng=5, batch=k).sample()
    one = DirectionSampler(like(), "normal", rng=5)
    for j in range(k):
        v = one.sample()
        for key in v:
            np.testing.assert_array_equal(batched[key].get()[j], v[key].get())


def test_rng_arguments_on_the_device():
    seeded = np.random.default_rng(11)
    a = DirectionSampler(like(), rng=seeded).sample()["W"].get()
    b = DirectionSampler(like(), rng=np.random.default_rng(11)).sample()["W"].get()
    np.testing.assert_array_equal(a, b)  # a seeded host Generator seeds the device stream reproducibly
    bitgen = strict_np.random.Philox4x3210(4)
    assert DirectionSampler(like(), rng=bitgen).rng is not None
    with pytest.raises(TypeError, match="bit generator"):
        DirectionSampler(like(), rng="seed")


@pytest.mark.parametrize("distribution", ["normal", "rademacher"])
@pytest.mark.parametrize("k", [1, 2])
def test_forward_gradient_is_unbiased_on_the_device(distribution, k):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((12, 5))
    y = rng.integers(0, 3, 12)
    p = {"W": 0.1 * rng.standard_normal((5, 3)), "b": np.zeros(3)}
    from tangent_fwd.training.backprop import logreg_loss_and_grad

    _, g = logreg_loss_and_grad(p, x, y)
    dp, dx, dy = strict_np.to_device(p), strict_np.to_device(x), strict_np.to_device(y)
    fg = forward_gradient(logreg_loss, directions=k, distribution=distribution, rng=123)
    n = 1000
    acc = {key: np.zeros_like(a) for key, a in p.items()}
    with strict_np.guard_host_sync():
        ests = [fg(dp, dx, dy)[1] for _ in range(n)]
    for est in ests:
        for key in acc:
            acc[key] += est[key].get()
    total = sum(np.sum(a * a) for a in g.values())
    for key in p:
        var = (total + g[key] ** 2 if distribution == "normal" else total - g[key] ** 2) / k
        assert np.all(np.abs(acc[key] / n - g[key]) <= 5 * np.sqrt(var / n) + 1e-12), key
