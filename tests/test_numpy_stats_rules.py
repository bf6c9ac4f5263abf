"""Issue 13's NumPy rules outside linalg, beyond the per-rule cases (tests/rule_families/{fft,stats}.py):

* second order: ``tangent_fwd.hessian`` of losses built on the new rules against finite differences of
  the first-order JVP (forward over forward reaches every ``rt.stats`` helper's own rule);
* the documented conventions at non-differentiable points (sort and median ties, quantile knots, interp
  knots): a finite one-sided value, never nan;
* in-place writers (``np.add.at`` and friends) followed through aliases, refused into memory the
  generated code cannot follow; the refusals of what is not implemented name the construct.
"""

import os
import sys

import numpy as np
import pytest

import tangent_fwd

sys.path.insert(0, os.path.dirname(__file__))
from corpus import coverage_numpy as cn  # noqa: E402

rng = np.random.default_rng(1306)


def fd_hessian_from_jvp(f, x, h=1e-5):
    """Central differences of the exact first-order gradient (one JVP per unit direction)."""
    n = x.size
    eye = np.eye(n).reshape((n,) + x.shape)

    def grad(y):
        return np.array([float(tangent_fwd.jvp(f, (y,), (eye[k],))[1]) for k in range(n)])

    return np.stack([(grad(x + h * eye[j]) - grad(x - h * eye[j])) / (2 * h) for j in range(n)], axis=1)


def losses():
    """(name, scalar function of one array, point)."""

    def nan_stats(x):
        d = np.where(np.abs(x) > 1.6, np.nan, x)
        return np.nanvar(d) + np.nanstd(d) ** 2 + np.nanmean(d) ** 2

    def cov_energy(x):
        X = x.reshape(2, 4)
        C = np.cov(X)
        return np.trace(C @ C) + np.average(X, axis=1, weights=np.array([1.0, 2.0, 3.0, 4.0])) @ np.ones(2)

    def quantile_mix(x):
        return np.quantile(x * x, 0.3) + np.median(np.exp(x)) + np.percentile(x**3, [20.0, 70.0]).sum()

    def sorted_weights(x):
        s = np.sort(x) * np.arange(1.0, x.size + 1)
        y = x * x
        y.sort()
        return np.sum(s**2) + y @ np.arange(x.size, 0.0, -1.0)

    def fft_filter(x):
        spec = np.fft.fft(x)
        return np.sum(np.abs(spec * np.exp(-np.arange(x.size))) ** 2) + np.sum(np.fft.irfft(np.fft.rfft(x) * 0.5) ** 3)

    def add_at_energy(k):
        K = np.zeros((k.size + 1, k.size + 1))
        for e in range(k.size):
            idx = np.array([e, e + 1])
            np.add.at(K, (idx[:, None], idx[None, :]), k[e] ** 2 * np.array([[1.0, -1.0], [-1.0, 1.0]]))
        u = np.linspace(0.0, 1.0, k.size + 1) ** 2
        return u @ K @ u

    def cumprod_survival(h):
        return np.sum(np.cumprod(1.0 - h * h)) + np.multiply.accumulate(np.cos(h))[-1]

    def interp_poly(t):
        knots = np.linspace(-1.2, 1.2, 7)
        return np.sum(np.interp(np.array([-0.9, 0.1, 0.7]), knots, np.sin(t)) ** 2) + np.polyval(t[:3], 0.3) ** 2

    def polyfit_resid(y):
        c = np.polyfit(np.linspace(0.0, 1.0, y.size), y * y, 2)
        return np.sum(c**2)

    def ufunc_methods(x):
        m = np.maximum.reduce(x)
        return (
            m
            + np.log(np.add.reduce(np.exp(x - m)))
            + np.sum(np.multiply.outer(x, x) ** 2)
            + np.add.reduceat(x**2, [0, 2]).sum()
        )

    def pad_trapezoid(x):
        p = np.pad(x, 2, mode="reflect")
        return np.trapezoid(p**2, dx=0.1) + np.sum(np.gradient(x) ** 2) + np.sum(np.ediff1d(x * x) ** 2)

    def weighted_mean_loss(w):
        data = np.array([[0.3, -1.2, 0.8, 2.0], [1.1, 0.4, -0.6, 0.2]])
        m, total = np.average(data, axis=1, weights=w * w + 0.1, returned=True)
        return np.sum(m**2) + np.sum(np.log(total)) + np.average(data[0] * w, weights=np.abs(w) + 0.5)

    def correlation_loss(x):
        X = x.reshape(2, 4)
        return np.sum(np.corrcoef(X) ** 2) + np.corrcoef(X[0], X[1] ** 2)[0, 1]

    def masked_reduce(x):
        return np.sum(np.std(x.reshape(2, 3), axis=1, where=np.array([True, False, True])) ** 2) + np.prod(
            x, where=x > -0.5, initial=2.0
        )

    pts = {
        "nan_stats": rng.standard_normal(6),
        "cov_energy": rng.standard_normal(8),
        "quantile_mix": np.array([0.3, -1.1, 0.8, 1.9, -0.2, 0.55]),
        "sorted_weights": np.array([0.3, -1.1, 0.8, 1.9, -0.25]),
        "fft_filter": rng.standard_normal(6),
        "add_at_energy": rng.uniform(0.5, 1.5, 4),
        "cumprod_survival": rng.uniform(0.1, 0.5, 5),
        "interp_poly": rng.standard_normal(7),
        "polyfit_resid": rng.standard_normal(6),
        "ufunc_methods": rng.standard_normal(4),
        "pad_trapezoid": rng.standard_normal(6),
        "masked_reduce": rng.uniform(0.2, 1.0, 6),
        "correlation_loss": rng.standard_normal(8),
        "weighted_mean_loss": rng.uniform(0.3, 1.0, 4),
    }
    fns = {
        f.__name__: f
        for f in (
            nan_stats,
            cov_energy,
            quantile_mix,
            sorted_weights,
            fft_filter,
            add_at_energy,
            cumprod_survival,
            interp_poly,
            polyfit_resid,
            ufunc_methods,
            pad_trapezoid,
            masked_reduce,
            correlation_loss,
            weighted_mean_loss,
        )
    }
    return [(name, fns[name], pts[name]) for name in pts]


@pytest.mark.parametrize("name, f, x", losses(), ids=[n for n, _, _ in losses()])
def test_hessian_of_losses_on_new_rules(name, f, x):
    H = tangent_fwd.hessian(f)(x)
    want = fd_hessian_from_jvp(f, x)
    np.testing.assert_allclose(H, want, rtol=1e-5, atol=1e-6 * max(1.0, np.abs(want).max()))
    np.testing.assert_allclose(H, H.T, rtol=1e-9, atol=1e-9 * max(1.0, np.abs(H).max()))


def test_hessian_of_corpus_losses():
    """Two realistic corpus functions, second order (the corpus hessian harness runs soundness_* only)."""
    x = rng.uniform(0.5, 1.5, 6)
    H = tangent_fwd.hessian(cn.fem_1d_stiffness_solve)(x)
    np.testing.assert_allclose(H, fd_hessian_from_jvp(cn.fem_1d_stiffness_solve, x), rtol=1e-5, atol=1e-6)
    y = rng.standard_normal(8)
    H = tangent_fwd.hessian(cn.polyfit_smoothing)(y)
    np.testing.assert_allclose(H, fd_hessian_from_jvp(cn.polyfit_smoothing, y), rtol=1e-5, atol=1e-6)


# ------------------------------------------------------------------ conventions at non-differentiable points
def _jvp(f, x, t):
    return tangent_fwd.jvp(f, (x,), (t,))[1]


def sort_of(x):
    return np.sort(x)


def median_of(x):
    return np.median(x)


def quantile_of(x):
    return np.quantile(x, [0.0, 0.25, 0.5, 1.0])


def partition_of(x):
    return np.partition(x, 1)


def sort_in_place(x):
    y = x.copy()
    y.sort()
    return y


def test_sort_ties_take_the_tangents_in_stable_order():
    x = np.array([2.0, 1.0, 2.0, 1.0])
    t = np.array([10.0, 20.0, 30.0, 40.0])
    # of equal values, the one that comes first takes the lower slot
    np.testing.assert_array_equal(_jvp(sort_of, x, t), [20.0, 40.0, 10.0, 30.0])
    np.testing.assert_array_equal(_jvp(sort_in_place, x, t), [20.0, 40.0, 10.0, 30.0])
    got = _jvp(partition_of, x, t)
    assert sorted(got[:2]) == [20.0, 40.0] and sorted(got[2:]) == [10.0, 30.0]


def test_median_of_even_length_with_ties_is_the_mean_of_the_middle_tangents():
    x = np.array([1.0, 3.0, 3.0, 0.0])
    t = np.array([1.0, 2.0, 4.0, 8.0])
    assert _jvp(median_of, x, t) == pytest.approx(0.5 * (1.0 + 2.0))
    assert np.isfinite(_jvp(median_of, np.ones(4), t))


def test_quantile_at_a_knot_is_one_sided_and_finite():
    # with 5 values the positions 0, 1, 2, 4 are knots: the tangent of that order statistic exactly
    x = np.array([0.5, -1.0, 2.0, 0.0, 1.0])
    t = np.array([1.0, 2.0, 3.0, 4.0, 5.0])
    np.testing.assert_allclose(_jvp(quantile_of, x, t), [2.0, 4.0, 1.0, 3.0])
    t_inf = np.array([1.0, np.inf, 3.0, 4.0, 5.0])  # the neighbour's tangent gets weight 0, not 0 * inf
    assert np.isfinite(_jvp(quantile_of, x, t_inf)[1:]).all()


def interp_at(x):
    return np.interp(x, np.array([0.0, 1.0, 3.0]), np.array([0.0, 2.0, 3.0]))


def test_interp_at_a_knot_takes_the_right_segment():
    assert _jvp(interp_at, np.array([1.0]), np.array([1.0]))[0] == pytest.approx(0.5)
    assert _jvp(interp_at, np.array([0.5]), np.array([1.0]))[0] == pytest.approx(2.0)
    assert _jvp(interp_at, np.array([3.0, 4.0, -1.0]), np.ones(3)).tolist() == [0.0, 0.0, 0.0]


# ------------------------------------------------------------------ writers through aliases, and refusals
def add_at_through_view(v):
    K = np.zeros((4, 4))
    inner = K[1:, 1:]
    np.add.at(inner, ([0, 0, 2], [1, 1, 2]), v)
    return K


def add_at_into_argument(K, v):
    np.add.at(K, [0, 0], v)
    return K.sum()


GLOBAL_BUFFER = np.zeros(3)


def add_at_into_global(v):
    np.add.at(GLOBAL_BUFFER, [0, 0, 1], v)
    return v.sum()


def logaddexp_at(x, v):
    y = x.copy()
    np.logaddexp.at(y, [0, 0], v)
    return y


def view_as_other_dtype(x):
    return x.view(np.float64) * 2.0


def polyfit_full(y):
    return np.polyfit(np.arange(5.0), y, 1, full=True)[0]


def test_add_at_writes_through_a_view_into_the_base_tangent():
    v = np.array([0.5, -1.0, 2.0])
    t = np.array([1.0, 10.0, 100.0])
    val, tan = tangent_fwd.jvp(add_at_through_view, (v,), (t,))
    np.testing.assert_array_equal(val, add_at_through_view(v))
    want = np.zeros((4, 4))
    want[1, 2] = 11.0
    want[3, 3] = 100.0
    np.testing.assert_array_equal(tan, want)
    _, tk = tangent_fwd.jvp(add_at_through_view, (v,), (np.stack([t, 2 * t]),), vectorized=True)
    np.testing.assert_array_equal(tk, np.stack([want, 2 * want]))


def test_add_at_into_an_argument_mutates_it_like_the_plain_call():
    K, K2 = np.ones(3), np.ones(3)
    v = np.array([1.0, 2.0])
    value, tangent = tangent_fwd.jvp(add_at_into_argument, (K, v), (np.zeros(3), np.array([1.0, 1.0])))
    assert value == add_at_into_argument(K2, v)
    np.testing.assert_array_equal(K, K2)
    assert tangent == 2.0


@pytest.mark.parametrize(
    "f, args, words",
    [
        (add_at_into_global, (np.ones(3),), "in-place write"),
        (logaddexp_at, (np.ones(3), np.ones(2)), "logaddexp.at"),
        (view_as_other_dtype, (np.ones(3),), ".view()"),
    ],
    ids=["global", "logaddexp_at", "view_dtype"],
)
def test_unsupported_writes_and_views_are_refused_with_the_line(f, args, words):
    with pytest.raises(tangent_fwd.TransformError) as info:
        tangent_fwd.jvp(f, args, tuple(np.ones_like(a) for a in args))
    assert words in str(info.value) and "test_numpy_stats_rules.py:" in str(info.value)


def test_options_without_a_derivative_are_refused_at_run_time():
    with pytest.raises(tangent_fwd.NotDifferentiableHere, match="full=True"):
        tangent_fwd.jvp(polyfit_full, (np.arange(5.0) ** 2,), (np.ones(5),))


def test_order_statistic_by_counting_agrees_with_a_stable_sort():
    """The O(n) rank selection (partition + counting equals) picks the element a stable sort puts at
    that rank, with ties and nan, for one or a few ranks (many ranks use the stable sort itself)."""
    from tangent_fwd.jvp_helpers import stats

    r = np.random.default_rng(7)
    x = r.integers(0, 4, size=(3, 11)).astype(float)
    x[1, [2, 5]] = np.nan
    t = r.standard_normal(x.shape)
    want = np.take_along_axis(t, np.argsort(x, axis=-1, kind="stable"), axis=-1)
    for ranks in ([0], [5], [10], [4, 5], [0, 3, 9, 10]):
        np.testing.assert_array_equal(stats._select_ranks(np, x, t, ranks), want[:, ranks])


def test_percentile_with_ties_takes_the_stable_neighbours():
    x = np.array([1.0, 1.0, 1.0, 0.0])
    t = np.array([1.0, 2.0, 4.0, 8.0])
    # position 1.5 of the stable order [x3, x0, x1, x2]: halfway between x0 and x1
    assert _jvp(lambda_free_percentile, x, t) == pytest.approx(0.5 * (1.0 + 2.0))


def lambda_free_percentile(x):
    return np.percentile(x, 50.0)
