"""scipy.stats statistics behind SciPy's ``_axis_nan_policy`` wrapper, followed by the generated function
of tangent_fwd/scipy_stats.py: the value is the decorated function's own bit for bit (axis None, int and
tuple, keepdims, several samples, N-D input), the JVP matches central finite differences, and what the
follower does not model is refused with its reason (nan_policy other than 'propagate', masked arrays,
NaNs in N-D input, several results at once)."""

import copy
import functools

import numpy as np
import pytest
import scipy.stats as st
from scipy.stats._stats_py import _chk_asarray

import tangent_fwd
from tangent_fwd import TransformError, parse, scipy_stats

needs_the_follower = pytest.mark.skipif(
    not scipy_stats._modelled(), reason="SciPy < 1.16: its _axis_nan_policy wrapper is refused (tests/library)"
)

_rng = np.random.default_rng(20261208)
X = _rng.uniform(0.5, 1.5, (3, 4, 5))
Y = _rng.uniform(0.5, 1.5, (3, 4, 5))
pf = functools.partial

CALLS = [
    ("skew axis=None", pf(st.skew, axis=None), (X,)),
    ("skew axis=1 keepdims", pf(st.skew, axis=1, keepdims=True), (X,)),
    ("kurtosis axis=(0, 2)", pf(st.kurtosis, axis=(0, 2)), (X,)),
    ("variation axis=-1 ddof=1", pf(st.variation, axis=-1, ddof=1), (X,)),
    ("gmean weights N-D", lambda a, w: st.gmean(a, axis=1, weights=w), (X, Y)),
    ("pmean keepdims", lambda a: st.pmean(a, 1.5, axis=None, keepdims=True), (X,)),
    ("sem axis=0", pf(st.sem, axis=0), (X,)),
    ("zscore axis=2", pf(st.zscore, axis=2), (X,)),
    ("moment order=4 axis=1", pf(st.moment, order=4, axis=1), (X,)),
    ("tvar limits", lambda a: st.tvar(a, limits=(0.6, 1.4)), (X[0, 0],)),
]


def _central(fn, args, tangents, eps=1e-6):
    hi = fn(*[a + eps * t for a, t in zip(args, tangents)])
    lo = fn(*[a - eps * t for a, t in zip(args, tangents)])
    return (np.asarray(hi) - np.asarray(lo)) / (2 * eps)


@needs_the_follower
@pytest.mark.parametrize("name, fn, args", CALLS, ids=[c[0] for c in CALLS])
def test_value_is_the_decorated_functions_and_jvp_matches_finite_differences(name, fn, args):
    rng = np.random.default_rng(abs(hash(name)) % 2**32)
    tangents = tuple(rng.standard_normal(np.shape(a)) for a in args)
    value, tangent = tangent_fwd.jvp(fn, copy.deepcopy(args), tangents)
    expected = fn(*copy.deepcopy(args))
    assert np.asarray(value).dtype == np.asarray(expected).dtype
    assert np.shape(value) == np.shape(expected)
    assert np.array_equal(value, expected, equal_nan=True), name
    want = _central(fn, args, tangents)
    scale = max(1.0, float(np.max(np.abs(want))))
    np.testing.assert_allclose(tangent, want, rtol=1e-6, atol=1e-7 * scale, err_msg=name)


@needs_the_follower
def test_vector_mode_equals_single_jvps():
    fn = pf(st.skew, axis=1, keepdims=True)
    dirs = [_rng.standard_normal(X.shape) for _ in range(3)]
    _, batched = tangent_fwd.jvp(fn, (X,), (np.stack(dirs),), vectorized=True)
    singles = np.stack([tangent_fwd.jvp(fn, (X,), (d,))[1] for d in dirs])
    np.testing.assert_allclose(batched, singles, rtol=1e-10, atol=1e-12)


@needs_the_follower
def test_nan_in_one_sample_gives_the_wrappers_nan_and_a_nan_tangent():
    x = np.array([0.5, np.nan, 1.2, 0.9])
    value, tangent = tangent_fwd.jvp(st.skew, (x,), (np.ones(4),))
    assert np.isnan(value) and np.asarray(value).dtype == np.asarray(st.skew(x)).dtype
    assert np.isnan(tangent)  # never a zero: the derivative does not exist


@pytest.mark.parametrize(
    "fn, args, reason",
    [
        (pf(st.skew, nan_policy="omit"), (X[0, 0],), "nan_policy='propagate'"),
        (pf(st.skew, nan_policy="raise"), (X[0, 0],), "nan_policy='propagate'"),
        (st.skew, (np.ma.masked_array(X[0, 0], mask=[0, 1, 0, 0, 0]),), "masked array"),
        (pf(st.skew, axis=1), (np.where(X > 1.4, np.nan, X),), "slice by slice"),
        (pf(st.moment, order=[1, 2]), (X[0, 0],), "several results"),
    ],
    ids=["omit", "raise", "masked", "nd-nan", "moment-orders"],
)
@needs_the_follower
def test_what_the_follower_does_not_model_is_refused(fn, args, reason):
    with pytest.raises(TransformError) as info:
        tangent_fwd.jvp(fn, args, tuple(np.ones(np.shape(a)) for a in args))
    assert reason in str(info.value)


def _mean_over(a, axis):
    a, axis = _chk_asarray(a, axis)  # SciPy's idiom: the axis comes back with the array
    return np.mean(a * a, axis=axis)


def test_axis_returned_with_the_array_stays_inactive():
    """``a, axis = _chk_asarray(a, axis)``: only the array carries a tangent (activity.RESULT_PARTS);
    the axis was taken for differentiated and refused as np.mean's option before."""
    value, tangent = tangent_fwd.jvp(_mean_over, (X, 1), (Y, None))
    np.testing.assert_array_equal(value, _mean_over(X, 1))
    np.testing.assert_allclose(tangent, np.mean(2 * X * Y, axis=1), rtol=1e-12)


def test_frozenset_constants_compare_by_value():
    """``x in {'a', 'b'}`` compiles to a frozenset whose iteration order may differ between two
    compilations of the same source: the source check compares the items, not the order."""
    a = frozenset(["linear", "weibull", "hazen"])
    b = frozenset(["hazen", "linear", "weibull"])
    assert parse._ordered(a) == parse._ordered(b) == sorted(map(repr, a))
