"""NumPy and SciPy entry points passed straight to the API, as a new user types them:
``tangent_fwd.jvp(np.sin, (x,), (dx,))``, ``jacfwd(scipy.special.expit)``, ``jvp(scipy.optimize.rosen, ...)``.

Each entry is checked like a rule: the primal equals the library's own call bit for bit, the JVP
matches float64 central differences along seeded random directions, vector mode (K directions in
one pass) equals K single JVPs, and ``jacfwd`` (one differentiated argument) equals the JVPs along
the unit directions. Callables with a rule run through a generated one-call wrapper; NumPy's and
SciPy's pure-Python functions (``np.average``, ``scipy.special.logsumexp``, ``scipy.optimize.rosen``,
``scipy.spatial.distance.*``) are transformed through their own source, decorators and array-API
namespaces included. ``REFUSED`` lists entry points that must be refused with a TransformError that
names the reason (never a crash, never a silent zero).
"""

import copy
import functools
import math
import operator

import numpy as np
import pytest
import scipy.integrate as si
import scipy.linalg as sl
import scipy.optimize as so
import scipy.signal as ssig
import scipy.spatial.distance as dist
import scipy.special as sp
import scipy.stats as st

import tangent_fwd
from tangent_fwd import TransformError, registry, scipy_stats

_rng = np.random.default_rng(20261206)


def _a(*shape, lo=0.5, hi=1.5):
    return _rng.uniform(lo, hi, shape)


V, W = _a(5), _a(5)
M = _a(3, 3, lo=-0.3, hi=0.3) + 2.0 * np.eye(3)
S = M @ M.T
P = _a(4, 3)
BAND = np.array([[0.0, 0.3, 0.2], [2.1, 2.2, 2.3], [0.1, 0.4, 0.0]])  # (1, 1)-banded, solve_banded's layout
HBAND = np.array([[0.0, 0.3, 0.2], [2.1, 2.2, 2.3]])  # symmetric, solveh_banded's upper layout
pf = functools.partial
K = 3  # directions in the vector-mode check


class E:
    """An entry point: ``fn(*args)``; ``diff`` the differentiated arguments (default: every float
    array or float); ``jac``: also check jacfwd (one differentiated argument, called with the
    arguments its rule needs); ``rtol``/``atol`` for the finite-difference check."""

    def __init__(self, name, fn, *args, diff=None, jac=True, rtol=1e-6, atol=1e-8):
        self.name, self.fn, self.args = name, fn, args
        self.diff = tuple(i for i, x in enumerate(args) if _floaty(x)) if diff is None else diff
        self.jac = jac and len(self.diff) == 1
        self.rtol, self.atol = rtol, atol

    def __repr__(self):
        return self.name


def _floaty(x):
    if isinstance(x, list):
        return bool(x) and all(_floaty(v) for v in x)
    return isinstance(x, float) or (isinstance(x, np.ndarray) and x.dtype.kind == "f")


ENTRIES = [
    # ufuncs
    E("np.sin", np.sin, V),
    E("np.exp", np.exp, V),
    E("np.log", np.log, V),
    E("np.sqrt", np.sqrt, V),
    E("np.tanh", np.tanh, V),
    E("np.add", np.add, V, W),
    E("np.multiply", np.multiply, V, W),
    E("np.divide", np.divide, V, W),
    E("np.power", np.power, V, W),
    E("np.arctan2", np.arctan2, V, W),
    E("np.hypot", np.hypot, V, W),
    E("np.logaddexp", np.logaddexp, V, W),
    # NumPy array functions with rules
    E("np.sum", np.sum, V),
    E("np.mean", np.mean, V),
    E("np.prod", np.prod, V),
    E("np.std", np.std, V),
    E("np.var", np.var, V),
    E("np.max", np.max, V),
    E("np.cumsum", np.cumsum, V),
    E("np.cumprod", np.cumprod, V),
    E("np.diff", np.diff, V),
    E("np.sort", np.sort, V),
    E("np.dot", np.dot, V, W),
    E("np.outer", np.outer, V, W),
    E("np.inner", np.inner, V, W),
    E("np.vdot", np.vdot, V, W),
    E("np.matmul", np.matmul, M, P.T),
    E("np.trace", np.trace, M),
    E("np.kron", np.kron, V[:2], W[:3]),
    E("np.cross", np.cross, V[:3], W[:3]),
    E("np.convolve", np.convolve, V, W),
    E("np.clip", np.clip, V, 0.7, 1.3, diff=(0,)),
    E("np.concatenate", np.concatenate, [V, W], jac=False),
    E("np.stack", np.stack, [V, W], jac=False),
    E("np.einsum", np.einsum, "ij,j->i", M, V[:3], jac=False),
    E("np.tensordot", np.tensordot, M, M),
    E("np.median", np.median, V),
    E("np.linalg.inv", np.linalg.inv, M),
    E("np.linalg.det", np.linalg.det, M),
    E("np.linalg.norm", np.linalg.norm, V),
    E("np.linalg.solve", np.linalg.solve, M, V[:3]),
    E("np.linalg.slogdet", np.linalg.slogdet, M),
    # NumPy's pure-Python functions, through their source
    E("np.average", np.average, V),
    E("np.cov", np.cov, P),
    E("np.trapezoid", np.trapezoid, V),
    E("np.polyval", np.polyval, V, 0.7),
    # operator, math, builtins
    E("operator.mul", operator.mul, V, W),
    E("operator.truediv", operator.truediv, V, W),
    E("operator.neg", operator.neg, V),
    E("operator.matmul", operator.matmul, M, M),
    E("math.sin", math.sin, 0.4),
    E("math.exp", math.exp, 0.4),
    E("math.log", math.log, 1.4),
    E("math.hypot", math.hypot, 0.4, 0.3),
    E("math.atan2", math.atan2, 0.4, 0.3),
    E("abs", abs, V - 1.0),
    E("pow", pow, V, 2.0),
    E("max", max, 0.3, 0.4),
    # SciPy: ufuncs with rules, pure-Python functions through their source
    E("scipy.special.gammaln", sp.gammaln, V),
    E("scipy.special.expit", sp.expit, V),
    E("scipy.special.erf", sp.erf, V),
    E("scipy.special.xlogy", sp.xlogy, V, W),
    E("scipy.special.logsumexp", sp.logsumexp, V),
    E("scipy.special.logsumexp (2-D)", sp.logsumexp, M),
    E("scipy.special.softmax", sp.softmax, V),
    E("scipy.special.log_softmax", sp.log_softmax, V),
    E("scipy.optimize.rosen", so.rosen, V),
    E("scipy.optimize.rosen_der", so.rosen_der, V),
    E("scipy.spatial.distance.sqeuclidean", dist.sqeuclidean, V, W),
    E("scipy.spatial.distance.euclidean", dist.euclidean, V, W + 0.7),
    E("scipy.spatial.distance.minkowski", dist.minkowski, V, W + 0.7),
    E("scipy.spatial.distance.seuclidean", dist.seuclidean, V, W + 0.7, W, diff=(0, 1)),
    E("scipy.spatial.distance.cosine", dist.cosine, V, W),
    E("scipy.spatial.distance.cityblock", dist.cityblock, V, W + 0.7),
    E("scipy.spatial.distance.chebyshev", dist.chebyshev, V, W + 0.7),
    E("scipy.spatial.distance.braycurtis", dist.braycurtis, V, W),
    E("scipy.spatial.distance.correlation", dist.correlation, V, W),
    E("scipy.spatial.distance.canberra", dist.canberra, V, W + 0.7),
    E("scipy.integrate.trapezoid", si.trapezoid, V),
    E("scipy.integrate.simpson", si.simpson, V),
    E("scipy.linalg.norm", sl.norm, V),
    E("scipy.linalg.norm (matrix)", sl.norm, M),
    E("scipy.linalg.inv", sl.inv, M),
    E("scipy.linalg.det", sl.det, M),
    E("scipy.linalg.solve", sl.solve, M, V[:3]),
    E("scipy.linalg.expm", sl.expm, M / 5, rtol=1e-5),
    E("scipy.linalg.cholesky", sl.cholesky, S),
    # ---- added with the wider probe (benchmarks/probe_library_entry_points.py): NumPy reductions and shapes
    E("np.std ddof=1", pf(np.std, ddof=1), V),
    E("np.var ddof=1 axis=0", pf(np.var, ddof=1, axis=0), P),
    E("np.ptp", np.ptp, V),
    E("np.average weights", np.average, V, None, W, diff=(0, 2)),
    E("np.quantile", np.quantile, V, 0.3, diff=(0,)),
    E("np.percentile", np.percentile, V, 40.0, diff=(0,)),
    E("np.nanmean", np.nanmean, V),
    E("np.nanstd", np.nanstd, V),
    E("np.nanmedian", np.nanmedian, V),
    E("np.gradient", np.gradient, V),
    E("np.interp", np.interp, 0.37 + np.arange(3.0) * 1.1, np.arange(5.0), V, diff=(0, 2)),
    E("np.polyfit", np.polyfit, np.arange(5.0), V, 2, diff=(1,)),
    E("np.correlate", np.correlate, V, W[:3]),
    E("np.corrcoef", np.corrcoef, P.T),
    E("np.where", np.where, V > 1.0, V, W, diff=(1, 2), jac=False),
    E("np.einsum trace", np.einsum, "ii", M),
    E("np.i0", np.i0, V),
    E("np.fft.rfft", np.fft.rfft, V),
    # NumPy linear algebra
    E("np.linalg.pinv", np.linalg.pinv, P),
    E("np.linalg.eigh", np.linalg.eigh, S),
    E("np.linalg.svd", pf(np.linalg.svd, full_matrices=False), P),
    E("np.linalg.qr", np.linalg.qr, P),
    E("np.linalg.cholesky", np.linalg.cholesky, S),
    E("np.linalg.lstsq", np.linalg.lstsq, P, V[:4]),
    E("np.linalg.matrix_power", np.linalg.matrix_power, M, 3, diff=(0,)),
    E("np.linalg.tensorinv", pf(np.linalg.tensorinv, ind=1), M),
    E("np.linalg.norm ord=nuc", pf(np.linalg.norm, ord="nuc"), M),
    E("np.linalg.cond", np.linalg.cond, M),
    # scipy.linalg: solvers, matrix functions, structured matrices
    E("scipy.linalg.logm", sl.logm, S, rtol=1e-5),
    E("scipy.linalg.sqrtm", sl.sqrtm, S, rtol=1e-5),
    E("scipy.linalg.fractional_matrix_power", sl.fractional_matrix_power, S, 0.5, diff=(0,), rtol=1e-5),
    E("scipy.linalg.solve_triangular", sl.solve_triangular, np.triu(M), V[:3]),
    E("scipy.linalg.solve_banded", sl.solve_banded, (1, 1), BAND, V[:3], diff=(1, 2)),
    E("scipy.linalg.solveh_banded", sl.solveh_banded, HBAND, V[:3]),
    E("scipy.linalg.solve_toeplitz", sl.solve_toeplitz, np.array([2.0, 0.3, 0.1]), V[:3]),
    E("scipy.linalg.solve_sylvester", sl.solve_sylvester, M, S, P.T @ P),
    E("scipy.linalg.solve_continuous_lyapunov", sl.solve_continuous_lyapunov, -M, S),
    E("scipy.linalg.lstsq", sl.lstsq, P, V[:4]),
    E("scipy.linalg.lu", sl.lu, M),
    E("scipy.linalg.toeplitz", sl.toeplitz, V[:3], W[:4]),
    E("scipy.linalg.hankel", sl.hankel, V[:3]),
    E("scipy.linalg.circulant", sl.circulant, V[:3]),
    E("scipy.linalg.block_diag", sl.block_diag, M, P, jac=False),
    E("scipy.linalg.pinvh", sl.pinvh, S),
    # scipy.special
    E("scipy.special.digamma", sp.digamma, V),
    E("scipy.special.erfinv", sp.erfinv, V / 2),
    E("scipy.special.ndtri", sp.ndtri, V / 2),
    E("scipy.special.log_ndtr", sp.log_ndtr, V),
    E("scipy.special.polygamma", sp.polygamma, 1, V, diff=(1,)),
    E("scipy.special.k0", sp.k0, V),
    E("scipy.special.k1", sp.k1, V),
    E("scipy.special.erfi", sp.erfi, V),
    E("scipy.special.loggamma", sp.loggamma, V),
    E("scipy.special.ellipk", sp.ellipk, V / 2),
    E("scipy.special.huber", sp.huber, W, V - 1.0),
    E("scipy.special.pseudo_huber", sp.pseudo_huber, W, V - 1.0),
    E("scipy.special.boxcox", sp.boxcox, V, W),
    E("scipy.special.inv_boxcox", sp.inv_boxcox, V, W),
    E("scipy.special.binom", sp.binom, V + 3, W),
    E("scipy.special.rel_entr", sp.rel_entr, V, W),
    E("scipy.special.logsumexp b", lambda a, b: sp.logsumexp(a, b=b), V, W),
    E("scipy.special.softmax axis", pf(sp.softmax, axis=1), P),
    # scipy.stats: statistics behind the _axis_nan_policy wrapper (followed), distributions
    E("scipy.stats.skew", st.skew, V),
    E("scipy.stats.kurtosis", st.kurtosis, V),
    E("scipy.stats.gmean", st.gmean, V),
    E("scipy.stats.hmean", st.hmean, V),
    E("scipy.stats.pmean", st.pmean, V, 2.0, diff=(0,)),
    E("scipy.stats.variation", st.variation, V),
    E("scipy.stats.zscore", st.zscore, V),
    E("scipy.stats.sem", st.sem, V),
    E("scipy.stats.moment", pf(st.moment, order=3), V),
    E("scipy.stats.median_abs_deviation", st.median_abs_deviation, V),
    E("scipy.stats.tmean", st.tmean, V),
    E("scipy.stats.tstd", st.tstd, V),
    E("scipy.stats.trim_mean", st.trim_mean, V, 0.1, diff=(0,)),
    E("scipy.stats.kstat", st.kstat, V),
    E("scipy.stats.kstatvar", st.kstatvar, V),
    E("scipy.stats.gstd", st.gstd, V),
    E("scipy.stats.skew axis=1", pf(st.skew, axis=1), P),
    E("scipy.stats.gmean axis=None keepdims", pf(st.gmean, axis=None, keepdims=True), P),
    E("scipy.stats.sem axis=0", pf(st.sem, axis=0), P),
    E("scipy.stats.gmean weights", lambda a, w: st.gmean(a, weights=w), V, W),
    E("scipy.stats.norm.logpdf", st.norm.logpdf, V),
    E("scipy.stats.norm.logpdf loc scale", st.norm.logpdf, V, 0.3, 1.2),
    E("scipy.stats.norm.cdf", st.norm.cdf, V),
    E("scipy.stats.norm.ppf", st.norm.ppf, V / 2),
    E("scipy.stats.norm.logsf", st.norm.logsf, V),
    E("scipy.stats.t.logpdf", st.t.logpdf, V, 3.0),
    E("scipy.stats.gamma.logpdf", st.gamma.logpdf, V, 2.0),
    E("scipy.stats.beta.logpdf", st.beta.logpdf, V / 2, 2.0, 3.0),
    E("scipy.stats.lognorm.pdf", st.lognorm.pdf, V, 0.5),
    E("scipy.stats.expon.sf", st.expon.sf, V),
    E("scipy.stats.frozen norm.logpdf", lambda x: st.norm(0.2, 1.3).logpdf(x), V),
    E("scipy.stats.multivariate_normal.logpdf", st.multivariate_normal.logpdf, V[:3], W[:3], S, jac=False),
    E("scipy.stats.poisson.logpmf", lambda mu: st.poisson.logpmf(np.arange(5), mu), V[:5]),
    # scipy.spatial.distance, scipy.integrate, scipy.optimize, scipy.signal
    E("scipy.spatial.distance.mahalanobis", dist.mahalanobis, V[:3], W[:3] + 0.5, np.linalg.inv(S)),
    E("scipy.spatial.distance.jensenshannon", dist.jensenshannon, V, W),
    E("scipy.spatial.distance.pdist", dist.pdist, P),
    E("scipy.spatial.distance.pdist cityblock", pf(dist.pdist, metric="cityblock"), P),
    E("scipy.spatial.distance.cdist", dist.cdist, P, P[:2] + 0.3),
    E("scipy.spatial.distance.cdist cosine", pf(dist.cdist, metric="cosine"), P, P[:2] + 0.3),
    E("scipy.spatial.distance.squareform", dist.squareform, V[:3]),
    E("scipy.integrate.cumulative_trapezoid", si.cumulative_trapezoid, V),
    E("scipy.integrate.cumulative_simpson", si.cumulative_simpson, V),
    E("scipy.integrate.romb", si.romb, V[:5]),
    E("scipy.optimize.rosen_hess_prod", so.rosen_hess_prod, V, W),
    E("scipy.signal.lfilter", ssig.lfilter, np.array([1.0, 0.5]), np.array([1.0, -0.3]), V),
    E("scipy.signal.filtfilt", ssig.filtfilt, np.array([1.0, 0.5]), np.array([1.0, -0.3]), _a(20), diff=(2,)),
    E("scipy.signal.sosfilt", ssig.sosfilt, np.array([[1.0, 0.5, 0.0, 1.0, -0.3, 0.0]]), V, diff=(1,)),
    E("scipy.signal.savgol_filter", ssig.savgol_filter, _a(9), 5, 2, diff=(0,)),
    E("scipy.signal.convolve", ssig.convolve, V, W),
    E("scipy.signal.fftconvolve", ssig.fftconvolve, V, W),
    E("scipy.signal.convolve2d", ssig.convolve2d, P, M[:2, :2]),
    E("scipy.signal.detrend", ssig.detrend, V),
    E("operator.getitem", operator.getitem, V, 2, diff=(0,)),
]

# Entry points refused by design, with the reason the message must give (see the guide's
# "Differentiating library functions").
REFUSED = {
    "scipy.stats.skew nan_policy='omit' (changes the samples slice by slice)": (
        pf(st.skew, nan_policy="omit"),
        (V,),
        "nan_policy='propagate'",
    ),
    "scipy.stats.linregress (a result with several fields)": (st.linregress, (V, W), "several fields"),
    "scipy.stats.pearsonr (SciPy's source uses :=)": (st.pearsonr, (V, W), "assignment expressions"),
    "scipy.stats.entropy (an MArray branch reads .data)": (st.entropy, (V,), "'.data'"),
    "scipy.special.jv in its order": (sp.jv, (V, W), "'v' of jv"),
    "scipy.special.gammainc in a": (sp.gammainc, (V, W), "'a' of gammainc"),
    "scipy.linalg.schur (not unique)": (sl.schur, (M,), "schur"),
    "scipy.spatial.distance.pdist, metric without a derivative here": (
        pf(dist.pdist, metric="braycurtis"),
        (P,),
        "metric 'braycurtis'",
    ),
    "scipy.signal.lfilter with zi, in b": (
        lambda b: ssig.lfilter(b, np.array([1.0, -0.3]), V, zi=np.array([0.2])),
        (np.array([1.0, 0.5]),),
        "initial state zi",
    ),
}


@pytest.fixture
def restore_registry():
    """Undo the registrations a test makes (and invalidate the compiled-code caches)."""
    saved = dict(registry._RULES)
    yield
    registry._RULES.clear()
    registry._RULES.update(saved)
    registry.changed()


# ------------------------------------------------------------------ helpers
def _leaves(x):
    if isinstance(x, (tuple, list)):
        return [v for item in x for v in _leaves(item)]
    if hasattr(x, "_fields") or type(x).__name__.endswith("Result"):
        return [v for item in tuple(x) for v in _leaves(item)]
    return [x]


def _direction(x, rng):
    if isinstance(x, list):
        return [_direction(v, rng) for v in x]
    if isinstance(x, float):
        return float(rng.standard_normal())
    return rng.standard_normal(x.shape)


def _shift(x, t, eps):
    if isinstance(x, list):
        return [_shift(a, b, eps) for a, b in zip(x, t)]
    return x + eps * t


def _tangents(entry, rng):
    return tuple(_direction(x, rng) if i in entry.diff else None for i, x in enumerate(entry.args))


def _central(entry, tangents, eps=1e-6):
    plus = [_shift(x, t, eps) if t is not None else x for x, t in zip(entry.args, tangents)]
    minus = [_shift(x, t, -eps) if t is not None else x for x, t in zip(entry.args, tangents)]
    hi, lo = _leaves(entry.fn(*plus)), _leaves(entry.fn(*minus))
    return [(np.asarray(h) - np.asarray(m)) / (2 * eps) for h, m in zip(hi, lo)]


def _same(a, b):
    a, b = np.asarray(a), np.asarray(b)
    return a.shape == b.shape and a.dtype == b.dtype and np.array_equal(a, b, equal_nan=True)


FOLLOWED = scipy_stats._modelled()  # SciPy >= 1.16: its _axis_nan_policy wrapper is followed
_OLDER_SCIPY = "SciPy < 1.16: statistics behind its _axis_nan_policy wrapper are refused (test_library_follower)"


_MODELLED_ONLY = "is not the one modelled here"  # the follower's refusal on an older SciPy


def _needs_the_follower(entry):
    """Skip an entry that reaches a scipy.stats wrapper on a SciPy whose wrapper is not followed (the
    refusal itself is checked by test_library_follower_refuses_an_older_scipys_wrapper)."""
    if FOLLOWED or not entry.name.startswith("scipy.stats"):
        return
    tangents = tuple(np.zeros_like(x) if i in entry.diff else None for i, x in enumerate(entry.args))
    try:
        _jvp(entry, tangents)
    except TransformError as exc:  # the table is SciPy >= 1.16's; an older one's code is refused cleanly
        pytest.skip(f"{_OLDER_SCIPY}: {str(exc).splitlines()[0][-160:]}")


def _jvp(entry, tangents, **kw):
    return tangent_fwd.jvp(entry.fn, copy.deepcopy(entry.args), copy.deepcopy(tangents), **kw)


# ------------------------------------------------------------------ checks
def test_the_table_is_large_enough():
    assert len(ENTRIES) >= 60
    assert len({e.name for e in ENTRIES}) == len(ENTRIES)


@pytest.mark.parametrize("entry", ENTRIES, ids=repr)
def test_value_bit_for_bit_and_jvp_matches_finite_differences(entry):
    _needs_the_follower(entry)
    rng = np.random.default_rng(abs(hash(entry.name)) % 2**32)
    tangents = _tangents(entry, rng)
    value, tangent = _jvp(entry, tangents)
    expected = _leaves(entry.fn(*copy.deepcopy(entry.args)))
    got_values = _leaves(value)
    assert len(got_values) == len(expected)
    for g, w in zip(got_values, expected):
        assert _same(g, w), f"{entry.name}: value {g!r} differs from the library's {w!r}"
    want = _central(entry, tangents)
    got = _leaves(tangent)
    assert len(got) == len(want)
    for g, w in zip(got, want):
        assert np.shape(g) == np.shape(w), f"{entry.name}: tangent shape {np.shape(g)} vs {np.shape(w)}"
        scale = max(1.0, float(np.max(np.abs(w))) if np.size(w) else 1.0)
        np.testing.assert_allclose(np.asarray(g), w, rtol=entry.rtol, atol=entry.atol * scale, err_msg=entry.name)


@pytest.mark.parametrize("entry", ENTRIES, ids=repr)
def test_vector_mode_equals_single_jvps(entry):
    _needs_the_follower(entry)
    rng = np.random.default_rng(abs(hash(entry.name)) % 2**32 + 1)
    singles = [_tangents(entry, rng) for _ in range(K)]
    batched = tuple(
        None
        if i not in entry.diff
        else (
            [np.stack([np.asarray(s[i][j]) for s in singles]) for j in range(len(x))]
            if isinstance(x, list)
            else np.stack([np.asarray(s[i]) for s in singles])
        )
        for i, x in enumerate(entry.args)
    )
    _, tangent = _jvp(entry, batched, vectorized=True)
    per = [_leaves(_jvp(entry, s)[1]) for s in singles]
    for j, leaf in enumerate(_leaves(tangent)):
        want = np.stack([np.asarray(p[j]) for p in per])
        np.testing.assert_allclose(np.asarray(leaf), want, rtol=1e-9, atol=1e-12, err_msg=f"{entry.name} leaf {j}")


JAC = [e for e in ENTRIES if e.jac]


@pytest.mark.parametrize("entry", JAC, ids=repr)
def test_jacfwd_equals_jvps_along_unit_directions(entry):
    _needs_the_follower(entry)
    (i,) = entry.diff
    x = entry.args[i]
    jac = tangent_fwd.jacfwd(entry.fn, wrt=i)(*copy.deepcopy(entry.args))
    value = entry.fn(*copy.deepcopy(entry.args))
    shape = np.shape(x)
    n = int(np.prod(shape))
    for k in range(n):
        e = np.zeros(n)
        e[k] = 1.0
        t = tuple(
            (float(e[0]) if isinstance(x, float) else e.reshape(shape)) if j == i else None
            for j in range(len(entry.args))
        )
        for leaf, col in zip(_leaves(_jvp(entry, t)[1]), _leaves(jac)):
            col = np.asarray(col).reshape(np.shape(leaf) + (n,))[..., k] if shape else np.asarray(col)
            np.testing.assert_allclose(col, np.asarray(leaf), rtol=1e-9, atol=1e-12, err_msg=entry.name)
    assert len(_leaves(jac)) == len(_leaves(value))


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_refused_with_a_reason(name):
    fn, args, reason = REFUSED[name]
    tangents = tuple(np.ones_like(a) if isinstance(a, np.ndarray) and a.dtype.kind == "f" else None for a in args)
    with pytest.raises(TransformError) as info:
        tangent_fwd.jvp(fn, args, tangents)
    if not FOLLOWED and name.startswith("scipy.stats"):
        return  # refused, by an older SciPy's code before the reason the newer one's gives
    assert reason in str(info.value)


@pytest.mark.skipif(FOLLOWED, reason="this SciPy's _axis_nan_policy wrapper is followed")
def test_library_follower_refuses_an_older_scipys_wrapper():
    """On SciPy < 1.16 the wrapper is another implementation: a clear refusal, never a guess."""
    import scipy.stats as st

    with pytest.raises(TransformError) as info:
        tangent_fwd.jvp(st.skew, (V,), (np.ones_like(V),))
    assert "_axis_nan_policy" in str(info.value) and _MODELLED_ONLY in str(info.value)


def test_source_of_a_ufunc_is_the_one_call_wrapper():
    src = tangent_fwd.source(np.sin)
    assert "def sin_jvp(x, dx):" in src and "xp.sin(x)" in src and "xp.cos(x)" in src


def test_forward_diff_and_hessian_of_library_callables():
    fd = tangent_fwd.forward_diff(np.tanh)
    value, tangent = fd(V, W)
    assert _same(value, np.tanh(V))
    np.testing.assert_allclose(tangent, W / np.cosh(V) ** 2, rtol=1e-12)
    h = tangent_fwd.hessian(sp.logsumexp)(V)
    p = sp.softmax(V)
    np.testing.assert_allclose(h, np.diag(p) - np.outer(p, p), rtol=1e-9, atol=1e-12)


def test_weak_reference_refusing_callables_are_cached():
    first = tangent_fwd.forward_diff(np.exp).generated_function()
    again = tangent_fwd.forward_diff(np.exp).generated_function()
    assert first is again  # one compiled wrapper per (callable, arity), cached without a weak reference


def test_array_namespace_calls_use_numpys_rules():
    from tangent_fwd.library import _optional

    array_namespace = _optional("scipy._lib._array_api.array_namespace")
    if array_namespace is None:
        pytest.skip("this SciPy has no scipy._lib._array_api.array_namespace")
    import library_code as xp_code

    value, tangent = tangent_fwd.jvp(xp_code.softplus_sum, (V,), (W,))
    assert _same(value, xp_code.softplus_sum(V))
    np.testing.assert_allclose(tangent, np.sum(W * sp.expit(V)), rtol=1e-12)
    value, tangent = tangent_fwd.jvp(xp_code.dunder_namespace, (V,), (W,))
    np.testing.assert_allclose(tangent, W * np.cos(V) * 2.0, rtol=1e-12)


def test_undeclared_library_helper_is_still_refused():
    import library_code as xp_code

    with pytest.raises(tangent_fwd.MissingRuleError) as info:
        tangent_fwd.jvp(xp_code.uses_frexp, (V,), (W,))
    assert "frexp" in str(info.value)


def test_defidentity_declares_a_validator(restore_registry):
    import library_code as xp_code

    with pytest.raises(TransformError):
        tangent_fwd.jvp(xp_code.uses_validator, (V,), (W,))
    tangent_fwd.defidentity(xp_code.opaque_validator, "a, check=True")
    value, tangent = tangent_fwd.jvp(xp_code.uses_validator, (V,), (W,))
    np.testing.assert_allclose(tangent, 2.0 * V * W, rtol=1e-12)


def _apply_then_sum(x):
    return np.apply_along_axis(np.sum, 0, x).sum()  # NumPy's Python source reaches a C helper without a rule


def test_refusal_inside_library_source_names_the_users_call():
    """A refusal met deep inside NumPy's own Python code is reported at the user's line that called it,
    with the library line as detail: the user can act on their own line, not on NumPy's."""
    x = np.ones((3, 2))
    with pytest.raises(tangent_fwd.MissingRuleError) as info:
        tangent_fwd.jvp(_apply_then_sum, (x,), (x,))
    err = info.value
    assert err.filename == __file__
    assert "np.apply_along_axis(np.sum, 0, x)" in str(err)
    assert "library code" in str(err) and "_array_converter" in str(err) and "_shape_base" in str(err)
