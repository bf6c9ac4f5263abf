"""Probe: common NumPy and SciPy entry points passed straight to tangent_fwd, as a user types them
(``jvp(np.sin, ...)``, ``jacfwd(scipy.special.softmax)``, ``jvp(scipy.stats.skew, ...)``), about 440 of
them: every NumPy reduction and statistic, numpy.linalg, scipy.linalg, scipy.special, scipy.stats
(statistics behind the _axis_nan_policy wrapper, distributions), scipy.spatial.distance,
scipy.integrate, scipy.optimize, scipy.signal, np.fft, operator, math and builtins.

Each entry is classified in three modes, and overall by its worst mode:

* scalar: the primal equals the library's own call bit for bit (dtype and shape included), and the
  JVP along a seeded random direction matches float64 central differences (step 1e-6, rtol 1e-5);
* vector: one vectorized call with 3 directions equals 3 single JVPs;
* jacfwd: the Jacobian (first differentiated argument) times the direction equals the JVP;

as ``correct``, ``refused`` (a TransformError, the expected answer for what cannot be followed),
``crash`` (any other exception) or ``wrong`` (a value or derivative that differs).

Run: ``python benchmarks/probe_library_entry_points.py [substring]`` (one line per entry, then the
counts; about 10 s). The guide's "Differentiating library functions" quotes its counts.
"""

import copy
import functools
import math
import operator
import signal
import sys
import traceback
import warnings
from collections import Counter

import numpy as np
import scipy.integrate as si
import scipy.linalg as sl
import scipy.optimize as so
import scipy.signal as ss
import scipy.spatial.distance as dist
import scipy.special as sp
import scipy.stats as st

import tangent_fwd
from tangent_fwd import TransformError

try:
    from tangent_fwd import NotDifferentiableHere

    REFUSE = (TransformError, NotDifferentiableHere)
except ImportError:
    REFUSE = (TransformError,)

warnings.simplefilter("ignore")
R = np.random.default_rng(16)


def u(*shape, lo=0.5, hi=1.5):
    return R.uniform(lo, hi, shape)


V, W, X = u(6), u(6), u(6)
V5 = u(5)
M = u(3, 3, lo=-0.3, hi=0.3) + 2.0 * np.eye(3)
M2 = u(3, 3, lo=-0.3, hi=0.3) + 2.0 * np.eye(3)
S = M @ M.T
P = u(4, 3)
Q = u(3, 4)
T = u(2, 3, 4)
B = u(3)
UP = np.triu(M)
BAND = np.array([[0.0, 0.3, 0.2], [2.1, 2.2, 2.3], [0.1, 0.4, 0.0]])  # l=u=1
HBAND = np.array([[0.0, 0.3, 0.2], [2.1, 2.2, 2.3]])
IV = np.arange(6.0)
pf = functools.partial


class E:
    def __init__(s, name, fn, *args, diff=None, jac=True):
        s.name, s.fn, s.args = name, fn, args
        s.diff = tuple(i for i, x in enumerate(args) if fl(x)) if diff is None else tuple(diff)
        s.jac = jac


def fl(x):
    if isinstance(x, (list, tuple)):
        return bool(x) and all(fl(v) for v in x)
    return isinstance(x, float) or (isinstance(x, np.ndarray) and x.dtype.kind == "f")


L = []


def add(*a, **k):
    L.append(E(*a, **k))


# ---------------- numpy ufuncs / elementwise
for f in (
    np.sin,
    np.cos,
    np.tan,
    np.exp,
    np.expm1,
    np.log,
    np.log1p,
    np.log2,
    np.log10,
    np.sqrt,
    np.cbrt,
    np.tanh,
    np.sinh,
    np.cosh,
    np.arcsinh,
    np.arctan,
    np.square,
    np.reciprocal,
    np.abs,
    np.negative,
    np.exp2,
    np.deg2rad,
    np.sinc,
    np.i0,
):
    add(f"np.{f.__name__}", f, V)
add("np.arcsin", np.arcsin, V / 2)
add("np.arccos", np.arccos, V / 2)
add("np.arccosh", np.arccosh, V + 1)
add("np.arctanh", np.arctanh, V / 2)
for f in (
    np.add,
    np.subtract,
    np.multiply,
    np.divide,
    np.power,
    np.arctan2,
    np.hypot,
    np.logaddexp,
    np.logaddexp2,
    np.maximum,
    np.minimum,
    np.fmax,
    np.copysign,
):
    add(f"np.{f.__name__}", f, V, W + 0.01)
add("np.clip", np.clip, V, 0.7, 1.3, diff=(0,))
add("np.where", np.where, V > 1, V, W, diff=(1, 2))
# ---------------- numpy reductions / statistics
for f in (
    np.sum,
    np.mean,
    np.std,
    np.var,
    np.prod,
    np.max,
    np.min,
    np.amax,
    np.amin,
    np.ptp,
    np.median,
    np.cumsum,
    np.cumprod,
    np.diff,
    np.sort,
    np.linalg.norm,
    np.nansum,
    np.nanmean,
    np.nanstd,
    np.nanvar,
    np.nanmax,
    np.nanmin,
    np.nanmedian,
    np.nanprod,
    np.nancumsum,
    np.trapezoid,
    np.gradient,
    np.average,
):
    add(f"np.{f.__name__}", f, V)
add("np.sum axis=0", pf(np.sum, axis=0), P)
add("np.mean axis=1", pf(np.mean, axis=1), P)
add("np.std ddof=1", pf(np.std, ddof=1), V)
add("np.var ddof=1 axis=0", pf(np.var, ddof=1, axis=0), P)
add("np.max axis=1", pf(np.max, axis=1), P)
add("np.average weights", np.average, V, None, W)
add("np.average weights diff", lambda a, w: np.average(a, weights=w), V, W)
add("np.quantile", np.quantile, V, 0.3, diff=(0,))
add("np.percentile", np.percentile, V, 40.0, diff=(0,))
add("np.nanquantile", np.nanquantile, V, 0.3, diff=(0,))
add("np.nanpercentile", np.nanpercentile, V, 40.0, diff=(0,))
add("np.median axis=0", pf(np.median, axis=0), P)
add("np.diff n=2", pf(np.diff, n=2), V)
add("np.gradient 2-D", np.gradient, P, jac=False)
add("np.trapezoid x", np.trapezoid, V, np.cumsum(W))
add("np.cumsum 2-D axis", pf(np.cumsum, axis=1), P)
add("np.interp", np.interp, 0.37 + IV[:3] * 1.1, IV, V, diff=(0, 2))
add("np.polyval", np.polyval, V, 0.7)
add("np.polyfit", np.polyfit, IV, V, 2, diff=(1,))
add("np.poly1d eval", lambda c, x: np.poly1d(c)(x), V, 0.7)
add("np.convolve", np.convolve, V, W)
add("np.correlate", np.correlate, V, W[:3])
add("np.correlate full", pf(np.correlate, mode="full"), V, W)
add("np.einsum", np.einsum, "ij,j->i", M, B, jac=False)
add("np.einsum trace", np.einsum, "ii", M)
add("np.tensordot", np.tensordot, M, M)
add("np.tensordot axes", pf(np.tensordot, axes=([1], [0])), P, M)
add("np.dot", np.dot, V, W)
add("np.inner", np.inner, V, W)
add("np.outer", np.outer, V, W)
add("np.vdot", np.vdot, V, W)
add("np.matmul", np.matmul, P, M)
add("np.kron", np.kron, V[:2], W[:3])
add("np.cross", np.cross, V[:3], W[:3])
add("np.trace", np.trace, M)
add("np.diagonal", np.diagonal, M)
add("np.cov", np.cov, Q)
add("np.corrcoef", np.corrcoef, Q)
add("np.cov 2 vars", np.cov, V, W)
add("np.logspace-like power", np.power, 2.0, V)
add("np.linspace", np.linspace, 0.3, 1.7, diff=(0, 1))
add("np.concatenate", np.concatenate, [V, W])
add("np.stack", np.stack, [V, W])
add("np.vstack", np.vstack, [V, W])
add("np.hstack", np.hstack, [V, W])
add("np.transpose", np.transpose, P)
add("np.reshape", np.reshape, V, (2, 3), diff=(0,))
add("np.ravel", np.ravel, P)
add("np.flip", np.flip, V)
add("np.roll", np.roll, V, 2, diff=(0,))
add("np.tile", np.tile, V, 2, diff=(0,))
add("np.repeat", np.repeat, V, 2, diff=(0,))
add("np.triu", np.triu, M)
add("np.tril", np.tril, M)
add("np.diag", np.diag, V)
add("np.atleast_2d", np.atleast_2d, V)
add("np.squeeze", np.squeeze, P[None])
add("np.expand_dims", np.expand_dims, V, 0, diff=(0,))
add("np.broadcast_to", np.broadcast_to, V, (2, 6), diff=(0,))
add("np.fft.fft", np.fft.fft, V)
add("np.fft.rfft", np.fft.rfft, V)
add("np.fft.ifft", np.fft.ifft, V)
add("np.fft.irfft", np.fft.irfft, V)
add("np.fft.fft2", np.fft.fft2, P)
add("np.fft.fftshift", np.fft.fftshift, V)
add("np.real(fft) sum", lambda x: np.abs(np.fft.fft(x)).sum(), V)
# ---------------- numpy linalg
LA = np.linalg
for f in (
    LA.inv,
    LA.pinv,
    LA.det,
    LA.slogdet,
    LA.eigh,
    LA.eigvalsh,
    LA.svd,
    LA.qr,
    LA.cholesky,
    LA.cond,
    LA.matrix_rank,
):
    add(f"np.linalg.{f.__name__}", f, S if f in (LA.eigh, LA.eigvalsh, LA.cholesky) else M)
add("np.linalg.svd full=False", pf(LA.svd, full_matrices=False), P)
add("np.linalg.svdvals", getattr(LA, "svdvals", LA.norm), P)
add("np.linalg.pinv rect", LA.pinv, P)
add("np.linalg.solve", LA.solve, M, B)
add("np.linalg.solve mat", LA.solve, M, M2)
add("np.linalg.lstsq", LA.lstsq, P, V[:4])
add("np.linalg.matrix_power", LA.matrix_power, M, 3, diff=(0,))
add("np.linalg.multi_dot", LA.multi_dot, [P, M, Q])
add("np.linalg.tensorsolve", LA.tensorsolve, M, B)
add("np.linalg.tensorinv", pf(LA.tensorinv, ind=1), M)
for o in (None, 1, 2, np.inf, -np.inf, 3, 0.5):
    add(f"np.linalg.norm ord={o}", pf(LA.norm, ord=o), V - 1.0)
for o in ("fro", "nuc", 1, -1, 2, -2, np.inf):
    add(f"np.linalg.norm matrix ord={o}", pf(LA.norm, ord=o), M)
add("np.linalg.norm axis=1", pf(LA.norm, axis=1), P)
add("np.linalg.eigvals", LA.eigvals, S)
add("np.linalg.matrix_norm", getattr(LA, "matrix_norm", LA.norm), M)
add("np.linalg.vector_norm", getattr(LA, "vector_norm", LA.norm), V)
# ---------------- scipy.linalg
for f in (
    sl.expm,
    sl.logm,
    sl.sqrtm,
    sl.inv,
    sl.det,
    sl.pinv,
    sl.norm,
    sl.polar,
    sl.eigh,
    sl.eigvalsh,
    sl.svd,
    sl.svdvals,
    sl.qr,
    sl.cholesky,
    sl.lu,
    sl.cosm,
    sl.sinm,
    sl.tanhm,
    sl.orth,
    sl.null_space,
    sl.schur,
    sl.hessenberg,
    sl.pinvh,
):
    add(
        f"scipy.linalg.{f.__name__}",
        f,
        (
            S
            if f in (sl.eigh, sl.eigvalsh, sl.cholesky, sl.pinvh)
            else M / 2
            if f in (sl.expm, sl.cosm, sl.sinm, sl.tanhm)
            else M
        ),
    )
add("scipy.linalg.solve", sl.solve, M, B)
add("scipy.linalg.solve assume_a pos", pf(sl.solve, assume_a="pos"), S, B)
add("scipy.linalg.solve_triangular", sl.solve_triangular, UP, B)
add("scipy.linalg.solve_triangular lower", pf(sl.solve_triangular, lower=True), UP.T, B)
add("scipy.linalg.solve_banded", sl.solve_banded, (1, 1), BAND, B, diff=(1, 2))
add("scipy.linalg.solveh_banded", sl.solveh_banded, HBAND, B)
add("scipy.linalg.solve_toeplitz", sl.solve_toeplitz, np.array([2.0, 0.3, 0.1]), B)
add("scipy.linalg.solve_circulant", sl.solve_circulant, np.array([2.0, 0.3, 0.1]), B)
add("scipy.linalg.cho_factor/cho_solve", lambda a, b: sl.cho_solve(sl.cho_factor(a), b), S, B)
add("scipy.linalg.lu_factor/lu_solve", lambda a, b: sl.lu_solve(sl.lu_factor(a), b), M, B)
add("scipy.linalg.cho_solve direct", lambda c, b: sl.cho_solve((c, False), b), np.linalg.cholesky(S).T, B)
add("scipy.linalg.lstsq", sl.lstsq, P, V[:4])
add("scipy.linalg.pinv rect", sl.pinv, P)
add("scipy.linalg.norm matrix", sl.norm, M)
add("scipy.linalg.norm ord=1", pf(sl.norm, ord=1), V)
add("scipy.linalg.toeplitz", sl.toeplitz, B)
add("scipy.linalg.toeplitz c,r", sl.toeplitz, B, W[:3])
add("scipy.linalg.circulant", sl.circulant, B)
add("scipy.linalg.hankel", sl.hankel, B)
add("scipy.linalg.hankel c,r", sl.hankel, B, W[:3])
add("scipy.linalg.block_diag", sl.block_diag, M, P, jac=False)
add("scipy.linalg.kron", getattr(sl, "kron", np.kron), V[:2], W[:3])
add("scipy.linalg.expm_frechet", sl.expm_frechet, M / 3, M2 / 3, jac=False)
add("scipy.linalg.funm exp", lambda a: sl.funm(a, np.exp), M / 2)
add("scipy.linalg.fractional_matrix_power", sl.fractional_matrix_power, S, 0.5, diff=(0,))
add("scipy.linalg.solve_sylvester", sl.solve_sylvester, M, M2, S)
add("scipy.linalg.solve_continuous_lyapunov", sl.solve_continuous_lyapunov, -M, S)
add("scipy.linalg.det 2", sl.det, S)
# ---------------- scipy.special
for f in (
    sp.gammaln,
    sp.digamma,
    sp.erf,
    sp.erfc,
    sp.expit,
    sp.gamma,
    sp.i0,
    sp.i1,
    sp.j0,
    sp.j1,
    sp.k0,
    sp.k1,
    sp.ndtr,
    sp.log_ndtr,
    sp.sinc if hasattr(sp, "sinc") else np.sinc,
    sp.erfcx,
    sp.dawsn,
    sp.expm1,
    sp.log1p,
    sp.i0e,
    sp.i1e,
    sp.y0,
    sp.y1,
    sp.rgamma,
    sp.loggamma,
    sp.entr,
    sp.log_expit,
    sp.cbrt,
    sp.exp10,
    sp.exp2,
    sp.erfi,
    sp.spence,
    sp.ellipk,
):
    add(f"scipy.special.{f.__name__}", f, V / 2 if f is sp.ellipk else V)
add("scipy.special.erfinv", sp.erfinv, V / 2)
add("scipy.special.erfcinv", sp.erfcinv, V)
add("scipy.special.logit", sp.logit, V / 2)
add("scipy.special.ndtri", sp.ndtri, V / 2)
add("scipy.special.polygamma", sp.polygamma, 1, V, diff=(1,))
for f in (
    sp.xlogy,
    sp.xlog1py,
    sp.rel_entr,
    sp.kl_div,
    sp.beta,
    sp.betaln,
    sp.gammainc,
    sp.gammaincc,
    sp.huber,
    sp.pseudo_huber,
    sp.boxcox,
    sp.boxcox1p,
    sp.inv_boxcox,
    sp.powm1,
    sp.jv,
    sp.iv,
    sp.kv,
):
    add(f"scipy.special.{f.__name__}", f, V, W)
add("scipy.special.betainc", sp.betainc, V, W, V / 2, diff=(2,))
add("scipy.special.logsumexp", sp.logsumexp, V)
add("scipy.special.logsumexp axis", pf(sp.logsumexp, axis=1), P)
add("scipy.special.logsumexp b", lambda a, b: sp.logsumexp(a, b=b), V, W)
add("scipy.special.logsumexp keepdims", pf(sp.logsumexp, axis=0, keepdims=True), P)
add("scipy.special.softmax", sp.softmax, V)
add("scipy.special.softmax axis", pf(sp.softmax, axis=1), P)
add("scipy.special.log_softmax", sp.log_softmax, V)
add("scipy.special.log_softmax axis", pf(sp.log_softmax, axis=0), P)
add("scipy.special.multigammaln", sp.multigammaln, V + 2, 2, diff=(0,))
add("scipy.special.comb float", sp.binom, V + 3, W)
# ---------------- scipy.stats
for f in (
    st.skew,
    st.kurtosis,
    st.gmean,
    st.hmean,
    st.variation,
    st.zscore,
    st.sem,
    st.entropy,
    st.iqr,
    st.median_abs_deviation,
    st.tmean,
    st.tvar,
    st.tstd,
    st.tsem,
    st.moment,
    st.differential_entropy,
    st.gstd,
    st.kstat,
    st.kstatvar,
    st.tmin,
    st.tmax,
    st.trim_mean,
    st.describe,
    st.rankdata,
):
    if f is st.trim_mean:
        add("scipy.stats.trim_mean", f, V, 0.1, diff=(0,))
        continue
    add(f"scipy.stats.{f.__name__}", f, V)
add("scipy.stats.pmean", st.pmean, V, 2.0, diff=(0,))
add("scipy.stats.moment 3", pf(st.moment, order=3), V)
add("scipy.stats.skew bias=False", pf(st.skew, bias=False), V)
add("scipy.stats.kurtosis fisher=False", pf(st.kurtosis, fisher=False), V)
add("scipy.stats.skew axis=1", pf(st.skew, axis=1), P)
add("scipy.stats.gmean axis=None", pf(st.gmean, axis=None), P)
add("scipy.stats.zscore ddof=1", pf(st.zscore, ddof=1), V)
add("scipy.stats.sem axis=0", pf(st.sem, axis=0), P)
add("scipy.stats.variation ddof=1", pf(st.variation, ddof=1), V)
add("scipy.stats.skew keepdims", pf(st.skew, keepdims=True), V)
add("scipy.stats.gmean weights", lambda a, w: st.gmean(a, weights=w), V, W)
add("scipy.stats.entropy qk", st.entropy, V, W)
add("scipy.stats.entropy base", pf(st.entropy, base=2), V)
add("scipy.stats.pearsonr statistic", lambda x, y: st.pearsonr(x, y).statistic, V, W)
add("scipy.stats.pearsonr", st.pearsonr, V, W)
add("scipy.stats.spearmanr statistic", lambda x, y: st.spearmanr(x, y).statistic, V, W)
add("scipy.stats.linregress slope", lambda x, y: st.linregress(x, y).slope, V, W)
add("scipy.stats.zmap", st.zmap, V, W)
add("scipy.stats.norm.logpdf", st.norm.logpdf, V)
add("scipy.stats.norm.pdf", st.norm.pdf, V)
add("scipy.stats.norm.cdf", st.norm.cdf, V)
add("scipy.stats.norm.logpdf loc scale", st.norm.logpdf, V, 0.3, 1.2)
add("scipy.stats.norm.ppf", st.norm.ppf, V / 2)
add("scipy.stats.norm.logcdf", st.norm.logcdf, V)
add("scipy.stats.norm.sf", st.norm.sf, V)
add("scipy.stats.t.logpdf", st.t.logpdf, V, 3.0)
add("scipy.stats.gamma.logpdf", st.gamma.logpdf, V, 2.0)
add("scipy.stats.expon.logpdf", st.expon.logpdf, V)
add("scipy.stats.beta.logpdf", st.beta.logpdf, V / 2, 2.0, 3.0)
add("scipy.stats.laplace.logpdf", st.laplace.logpdf, V)
add("scipy.stats.logistic.logpdf", st.logistic.logpdf, V)
add("scipy.stats.cauchy.logpdf", st.cauchy.logpdf, V)
add("scipy.stats.lognorm.logpdf", st.lognorm.logpdf, V, 0.5)
add("scipy.stats.multivariate_normal.logpdf", st.multivariate_normal.logpdf, V[:3], B, S, jac=False)
add("scipy.stats.multivariate_normal.logpdf x", lambda x: st.multivariate_normal.logpdf(x, mean=B, cov=S), P)
add("scipy.stats.norm(loc).logpdf frozen", lambda x: st.norm(0.2, 1.3).logpdf(x), V)
add("scipy.stats.poisson.logpmf mu", lambda mu: st.poisson.logpmf(np.arange(6), mu), V)
# ---------------- scipy.spatial.distance
for f in (
    dist.euclidean,
    dist.sqeuclidean,
    dist.cityblock,
    dist.chebyshev,
    dist.cosine,
    dist.correlation,
    dist.braycurtis,
    dist.canberra,
    dist.minkowski,
    dist.jensenshannon,
):
    add(f"scipy.spatial.distance.{f.__name__}", f, V, W + 0.7)
add("scipy.spatial.distance.seuclidean", dist.seuclidean, V, W + 0.7, X)
add("scipy.spatial.distance.mahalanobis", dist.mahalanobis, V[:3], B + 0.5, np.linalg.inv(S))
add("scipy.spatial.distance.minkowski p=3", dist.minkowski, V, W + 0.7, 3)
add("scipy.spatial.distance.minkowski w", dist.minkowski, V, W + 0.7, 2, X)
add("scipy.spatial.distance.euclidean w", dist.euclidean, V, W + 0.7, X)
add("scipy.spatial.distance.pdist", dist.pdist, P)
add("scipy.spatial.distance.pdist cityblock", pf(dist.pdist, metric="cityblock"), P)
add("scipy.spatial.distance.pdist sqeuclidean", pf(dist.pdist, metric="sqeuclidean"), P)
add("scipy.spatial.distance.cdist", dist.cdist, P, Q.T)
add("scipy.spatial.distance.cdist cosine", pf(dist.cdist, metric="cosine"), P, Q.T)
add("scipy.spatial.distance.squareform", dist.squareform, V)
add("scipy.spatial.distance.squareform matrix", lambda X: dist.squareform(X + X.T - 2 * np.diag(np.diag(X))), S)
add("scipy.spatial.distance.jensenshannon base", dist.jensenshannon, V, W, 2.0, diff=(0, 1))
# ---------------- scipy.integrate
add("scipy.integrate.trapezoid", si.trapezoid, V)
add("scipy.integrate.trapezoid x", si.trapezoid, V, np.cumsum(W))
add("scipy.integrate.simpson", si.simpson, V)
add("scipy.integrate.simpson x", lambda y, x: si.simpson(y, x=x), V, np.cumsum(W), diff=(0,))
add("scipy.integrate.cumulative_trapezoid", si.cumulative_trapezoid, V)
add("scipy.integrate.cumulative_trapezoid initial", pf(si.cumulative_trapezoid, initial=0), V)
add("scipy.integrate.cumulative_simpson", si.cumulative_simpson, V)
add("scipy.integrate.romb", si.romb, u(5))
add("scipy.integrate.romb dx", si.romb, u(9), 0.5, diff=(0,))
add("scipy.integrate.trapezoid axis", pf(si.trapezoid, axis=0), P)
# ---------------- scipy.optimize
for f in (so.rosen, so.rosen_der, so.rosen_hess):
    add(f"scipy.optimize.{f.__name__}", f, V)
add("scipy.optimize.rosen_hess_prod", so.rosen_hess_prod, V, W)
add("scipy.optimize.rosen 2-D", so.rosen, P.T[:, :2], jac=False)
# ---------------- scipy.signal
add("scipy.signal.lfilter", ss.lfilter, np.array([1.0, 0.5]), np.array([1.0, -0.3]), V, diff=(2,))
add("scipy.signal.lfilter b a x", ss.lfilter, np.array([1.0, 0.5]), np.array([1.0, -0.3]), V)
add("scipy.signal.convolve", ss.convolve, V, W)
add("scipy.signal.correlate", ss.correlate, V, W)
add("scipy.signal.fftconvolve", ss.fftconvolve, V, W)
add("scipy.signal.oaconvolve", ss.oaconvolve, V, W)
add("scipy.signal.convolve same", pf(ss.convolve, mode="same"), V, W)
add("scipy.signal.savgol_filter", ss.savgol_filter, u(9), 5, 2, diff=(0,))
add("scipy.signal.filtfilt", ss.filtfilt, np.array([1.0, 0.5]), np.array([1.0, -0.3]), u(20), diff=(2,))
add("scipy.signal.convolve2d", ss.convolve2d, P, M[:2, :2])
add("scipy.signal.detrend", ss.detrend, V)
add("scipy.signal.sosfilt", ss.sosfilt, np.array([[1.0, 0.5, 0.0, 1.0, -0.3, 0.0]]), V, diff=(1,))
# ---------------- operator / math / builtins
for f in (operator.add, operator.mul, operator.sub, operator.truediv, operator.pow):
    add(f"operator.{f.__name__}", f, V, W)
add("operator.neg", operator.neg, V)
add("operator.matmul", operator.matmul, M, M2)
add("operator.itemgetter", operator.getitem, V, 2, diff=(0,))
for f in (
    math.sin,
    math.exp,
    math.log,
    math.sqrt,
    math.tanh,
    math.erf,
    math.lgamma,
    math.atan,
    math.expm1,
    math.log1p,
    math.gamma,
):
    add(f"math.{f.__name__}", f, 0.4)
for f in (math.hypot, math.atan2, math.pow, math.copysign):
    add(f"math.{f.__name__}", f, 0.4, 0.3)
add("math.fsum", math.fsum, [0.4, 0.3, 0.2])
add("math.prod", math.prod, [0.4, 0.3, 0.2])
add("math.dist", math.dist, [0.4, 0.3], [0.1, 0.5])
add("abs", abs, V - 1.0)
add("pow", pow, V, 2.0)
add("max", max, 0.3, 0.4)
add("min", min, 0.3, 0.4)
add("sum list", sum, [0.3, 0.4, 0.5])
add("float", float, 0.3)
add("round2", round, 0.3)


# ------------------------------------------------------------------ checks
def leaves(x):
    if isinstance(x, (tuple, list)):
        return [v for i in x for v in leaves(i)]
    if hasattr(x, "_fields") or type(x).__name__.endswith("Result") or type(x).__name__.endswith("Object"):
        try:
            return [v for i in tuple(x) for v in leaves(i)]
        except TypeError:
            pass
    return [x]


def direction(x, rng):
    if isinstance(x, (list, tuple)):
        return type(x)(direction(v, rng) for v in x)
    if isinstance(x, float):
        return float(rng.standard_normal())
    return rng.standard_normal(x.shape)


def shift(x, t, e):
    if isinstance(x, (list, tuple)):
        return type(x)(shift(a, b, e) for a, b in zip(x, t))
    return x + e * t


def same(a, b):
    if isinstance(b, np.ndarray) or isinstance(a, np.ndarray):
        a2, b2 = np.asarray(a), np.asarray(b)
        return a2.shape == b2.shape and a2.dtype == b2.dtype and np.array_equal(a2, b2, equal_nan=True)
    if type(a) is not type(b):
        return False
    return a == b or (a != a and b != b)


def realish(w):
    return isinstance(w, (float, complex, np.floating, np.complexfloating)) or (
        isinstance(w, np.ndarray) and w.dtype.kind in "fc"
    )


def close(g, w, rtol, atol):
    w = np.asarray(w)
    g = np.zeros_like(w) if g is None else np.asarray(g)
    if g.shape != w.shape:
        return f"shape {g.shape} vs {w.shape}"
    sc = max(1.0, float(np.max(np.abs(w))) if w.size else 1.0)
    if not np.allclose(g, w, rtol=rtol, atol=atol * sc, equal_nan=True):
        return f"maxdiff {np.max(np.abs(g - w)):.3g} (scale {sc:.3g})"
    return ""


def tans(e, rng):
    return tuple(direction(x, rng) if i in e.diff else None for i, x in enumerate(e.args))


def jvp(e, t, **kw):
    return tangent_fwd.jvp(e.fn, copy.deepcopy(e.args), copy.deepcopy(t), **kw)


def check_scalar(e):
    t = tans(e, np.random.default_rng(1))
    val, tan = jvp(e, t)
    exp = e.fn(*copy.deepcopy(e.args))
    lv, le = leaves(val), leaves(exp)
    if len(lv) != len(le):
        return "wrong", f"primal leaves {len(lv)} vs {len(le)}"
    for a, b in zip(lv, le):
        if not same(a, b):
            return "wrong", f"primal differs {a!r:.80} vs {b!r:.80}"
    h = 1e-6
    hi = leaves(e.fn(*[shift(x, d, h) if d is not None else x for x, d in zip(e.args, t)]))
    lo = leaves(e.fn(*[shift(x, d, -h) if d is not None else x for x, d in zip(e.args, t)]))
    lt = leaves(tan)
    if len(lt) != len(le):
        return "wrong", f"tangent leaves {len(lt)} vs {len(le)}"
    for g, p, m, w in zip(lt, hi, lo, le):
        if not realish(w):
            continue
        fd = (np.asarray(p) - np.asarray(m)) / (2 * h)
        # sign/phase-ambiguous decompositions: compare via FD only when FD is continuous
        msg = close(g, fd, 1e-5, 1e-6)
        if msg:
            return "wrong", "tangent vs FD: " + msg
    return "correct", ""


def check_vector(e):
    rng = np.random.default_rng(2)
    singles = [tans(e, rng) for _ in range(3)]

    def stack(i, x):
        if i not in e.diff:
            return None
        if isinstance(x, (list, tuple)):
            return type(x)(np.stack([np.asarray(s[i][j]) for s in singles]) for j in range(len(x)))
        return np.stack([np.asarray(s[i]) for s in singles])

    batched = tuple(stack(i, x) for i, x in enumerate(e.args))
    val, tan = jvp(e, batched, vectorized=True)
    exp = e.fn(*copy.deepcopy(e.args))
    for a, b in zip(leaves(val), leaves(exp)):
        if not same(a, b):
            return "wrong", "vector primal differs"
    per = [leaves(jvp(e, s)[1]) for s in singles]
    for j, (leaf, w) in enumerate(zip(leaves(tan), leaves(exp))):
        if not realish(w):
            continue
        want = np.stack([np.zeros(np.shape(w)) if p[j] is None else np.asarray(p[j]) for p in per])
        msg = close(leaf, want, 1e-9, 1e-11)
        if msg:
            return "wrong", f"vector leaf {j}: " + msg
    return "correct", ""


def check_jac(e):
    i = e.diff[0]
    x = e.args[i]
    if not isinstance(x, (np.ndarray, float)):
        return "correct", "skip"
    J = tangent_fwd.jacfwd(e.fn, wrt=i)(*copy.deepcopy(e.args))
    exp = e.fn(*copy.deepcopy(e.args))
    n = int(np.size(x))
    shape = np.shape(x)
    d = np.random.default_rng(3).standard_normal(shape) if shape else float(np.random.default_rng(3).standard_normal())
    t = tuple(d if j == i else None for j in range(len(e.args)))
    lt = leaves(jvp(e, t)[1])
    lj = leaves(J)
    le = leaves(exp)
    if len(lj) != len(le):
        return "wrong", f"jac leaves {len(lj)} vs {len(le)}"
    for g, jl, w in zip(lt, lj, le):
        if not realish(w):
            continue
        jl = np.asarray(jl).reshape(np.shape(w) + (n,))
        msg = close(jl @ np.ravel(d), np.zeros(np.shape(w)) if g is None else g, 1e-8, 1e-10)
        if msg:
            return "wrong", "jacfwd vs jvp: " + msg
    return "correct", ""


def classify(fn):
    try:
        return fn()
    except REFUSE as ex:
        return "refused", f"{type(ex).__name__}: {str(ex).splitlines()[0][:150]}"
    except TimeoutError:
        return "crash", "timeout"
    except Exception as ex:
        return (
            "crash",
            f"{type(ex).__name__}: {str(ex)[:150]} @ {traceback.extract_tb(ex.__traceback__)[-1].filename.split('/')[-1]}:{traceback.extract_tb(ex.__traceback__)[-1].lineno}",
        )


ORDER = {"correct": 0, "refused": 1, "wrong": 2, "crash": 3}


def run(e):
    out = {}

    def alarm(*a):
        raise TimeoutError

    signal.signal(signal.SIGALRM, alarm)
    signal.alarm(60)
    try:
        out["scalar"] = classify(lambda: check_scalar(e))
        out["vector"] = classify(lambda: check_vector(e)) if out["scalar"][0] == "correct" else out["scalar"]
        out["jacfwd"] = classify(lambda: check_jac(e)) if out["scalar"][0] == "correct" and e.jac else out["scalar"]
    finally:
        signal.alarm(0)
    worst = max(out.values(), key=lambda r: ORDER[r[0]])
    return out, worst


if __name__ == "__main__":
    flt = sys.argv[1] if len(sys.argv) > 1 else ""
    tot = Counter()
    per = {m: Counter() for m in ("scalar", "vector", "jacfwd")}
    names = [e.name for e in L]
    assert len(set(names)) == len(names), [n for n in names if names.count(n) > 1]
    for e in L:
        if flt and flt not in e.name:
            continue
        out, worst = run(e)
        tot[worst[0]] += 1
        for m, r in out.items():
            per[m][r[0]] += 1
        print(f"{worst[0]:8s} {e.name}: {worst[1]}", flush=True)
    print("TOTAL", len(L), dict(tot))
    for m, c in per.items():
        print(m, dict(c))
