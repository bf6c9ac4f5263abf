"""Rule cases for the stats rules (tangent_fwd/rules/stats_rules.py) and their run-time helpers
(tangent_fwd/jvp_helpers/stats.py, reached as ``rt.stats``): order statistics on distinct values (no
ties; the tie convention is checked in tests/corpus/coverage_numpy.py), nan-functions with a nan in
the data, in-place writers on a local copy, ufunc methods (see the package docstring)."""

import numpy as np
from rule_cases import C, Z, a, cplx, distinct, pos

from tangent_fwd import runtime as rt

S = rt.stats


def host(case):
    """``a.flat`` is a NumPy flat iterator: the strict stand-in has none (CuPy's arrays do)."""
    case.strict = False
    return case


def with_nan(*shape):
    x = distinct(*shape)
    x.flat[1] = np.nan
    return x


# ================================================================== order statistics
def q_percentile(x):
    return np.percentile(x, [10.0, 50.0, 95.0])


def q_percentile_axis(x):
    return np.percentile(x, 30.0, axis=1, keepdims=True)


def q_quantile(x):
    return np.quantile(x, 0.3, axis=(0, 2))


def q_quantile_q(x, q):
    return np.quantile(x, q, axis=1)


def q_percentile_q(x, q):
    return np.percentile(x, q)


def h_quantile_dq(x, q, dq):
    return S.quantile_dq(np, x, q, dq, 0)


def q_quantile_method(x):
    return np.quantile(x, [0.2, 0.7], axis=0, method="midpoint")


def q_quantile_nearest(x):
    return np.quantile(x, 0.4, method="nearest")


def q_nanpercentile(x):
    return np.nanpercentile(x, [20.0, 75.0], axis=1)


def q_nanquantile(x):
    return np.nanquantile(x, 0.4, axis=0, keepdims=True, method="weibull")


def q_nanquantile_allnan(x):
    y = np.where(np.arange(3)[:, None] == 0, np.nan, x)  # an all-nan first row
    return np.nan_to_num(np.nanquantile(y, 0.5, axis=1))


def h_nanquantile(x, t):
    return S.nanquantile_jvp(np, x, t, 0.3, 0)


def q_nanmedian(x):
    return np.nanmedian(x, axis=1)


def q_nanmedian_all(x):
    return np.nanmedian(x)


def q_partition(x):
    return np.partition(x, 2)[:3]


def q_partition_axis(x):
    return np.partition(x, (1, 3), axis=0)


def m_sort(x):
    y = x.copy()
    y.sort()
    return y


def m_sort_axis(x):
    y = x * 2.0
    y.sort(axis=0)
    return y + x


# ================================================================== nan-functions, masked reductions
def n_nanmax(x):
    return np.nanmax(x, axis=0)


def n_nanmin(x):
    return np.nanmin(x, axis=1, keepdims=True)


def n_nanmax_where(x):
    return np.nanmax(x, axis=1, where=x > -1.5, initial=-10.0)


def n_nanvar(x):
    return np.nanvar(x, axis=0, ddof=1)


def n_nanstd(x):
    return np.nanstd(x)


def n_nanprod(x):
    return np.nanprod(x, axis=1, keepdims=True)


def n_nanprod_where(x):
    return np.nanprod(x, where=x > -1.5, initial=0.5)


def n_nancumsum(x):
    return np.nancumsum(x, axis=0)


def n_nancumprod(x):
    return np.nancumprod(x)


def c_cumulative_sum(x):
    return np.cumulative_sum(x, axis=1, include_initial=True)


def c_cumulative_prod(x):
    return np.cumulative_prod(x, axis=0, include_initial=True)


def c_cumulative_prod_1d(x):
    return np.cumulative_prod(x, dtype=np.float64)


def h_with_initial(t):
    return S.with_initial(np, t, 1, True)


# ================================================================== weighted statistics
def w_average(x, w):
    return np.average(x, axis=1, weights=w)


def w_average_all(x):
    return np.average(x)


def w_average_returned(x, w):
    avg, total = np.average(x, axis=0, weights=w, returned=True)
    return avg * total


def w_average_keepdims(x, w):
    return np.average(x, axis=1, weights=w, keepdims=True)


def w_cov(x):
    return np.cov(x)


def w_cov_y(x, y):
    return np.cov(x, y, rowvar=False, ddof=0)


def w_cov_weights(x, f):
    return np.cov(x, fweights=np.array([1, 2, 1, 3, 1]), aweights=f)


def w_cov_vector(x):
    return np.cov(x, bias=True)


def w_corrcoef(x):
    return np.corrcoef(x)


def w_corrcoef_y(x, y):
    return np.corrcoef(x, y)


# ================================================================== interpolation, integration, differences
XP = np.array([-1.0, -0.4, 0.1, 0.5, 1.2])


def i_interp(x, knots, fp):
    return np.interp(x, knots, fp)


def i_interp_knots(x, knots):
    return np.interp(x, knots, np.sin(knots) * 2.0)


def i_interp_ends(x, knots, fp, lo, hi):
    return np.interp(x, knots, fp, left=lo, right=hi)


def i_polyval(p, x):
    return np.polyval(p, x)


def i_polyfit(y):
    return np.polyfit(np.linspace(0.0, 1.0, 7), y, 2)


def i_polyfit_w(y):
    return np.polyfit(np.linspace(0.0, 1.0, 7), y, 1, w=np.arange(1.0, 8.0))


def i_trapezoid(y):
    return np.trapezoid(y, dx=0.25)


def i_trapezoid_x(y, x):
    return np.trapezoid(y, x, axis=0)


def i_trapz(y, x):
    return np.trapz(y, x, axis=0)  # noqa: NPY201 (NumPy < 2.4 only)


def i_correlate(x, v):
    return np.correlate(x, v, mode="same")


def i_correlate_c(x, v):
    return np.correlate(x, v, mode="full")


def i_gradient(y):
    return np.gradient(y, 0.5)


def i_gradient_2d(y):
    gy, gx = np.gradient(y, edge_order=2)
    return gy * 2.0 + gx


def i_gradient_axis(y):
    return np.gradient(y, np.array([0.0, 0.3, 0.5, 1.2]), axis=0)


def i_ediff1d(y):
    return np.ediff1d(y)


def i_ediff1d_ends(y, b, e):
    return np.ediff1d(y, to_end=e, to_begin=b)


def i_ediff1d_const(y):
    return np.ediff1d(y, to_begin=[3.0, 4.0])


# ================================================================== selection and assembly
def s_select(x, d):
    return np.select([x > 0.5, x < -0.5], [x * 2.0, x**2], default=d)


def s_select_const(x):
    return np.select([x > 0.0], [np.sin(x)])


def s_block(x, y):
    return np.block([[x, y], [y, x * 2.0]])


def s_block_flat(x, y):
    return np.block([x, 3.0, y])


def s_row_stack(x, y):
    return np.row_stack([x, y])


def s_real_if_close(x):
    return np.real_if_close(x + 0j)


def s_real_if_close_c(z):
    return np.real_if_close(z * 2.0)


# ================================================================== in-place writers
def w_fill_diagonal(x, v):
    y = x.copy()
    np.fill_diagonal(y, v)
    return y


def w_fill_diagonal_const(x):
    y = x * 2.0
    np.fill_diagonal(y, 0.5, wrap=True)
    return y


def w_put(x, v):
    y = x.copy()
    np.put(y, [1, 3, 1], v)
    return y


def w_put_into_zeros(v):
    y = np.zeros(5)
    np.put(y, [0, 4], v)
    return y


def w_put_along_axis(x, v):
    y = x.copy()
    np.put_along_axis(y, np.array([[1], [0], [2]]), v, axis=1)
    return y


def w_copyto(x, v):
    y = x.copy()
    np.copyto(y, v, where=x > 0)
    return y


def w_copyto_view(x, v):
    y = x.copy()
    np.copyto(y[1:], v)
    return y


def w_fill(x, v):
    y = x.copy()
    y.fill(v)
    return y + x


def w_view(x):
    y = x.view()
    y[0] = 3.0
    return y * x


def w_flat(x):
    return x.flat[3] * x.flat[0]


def w_flat_set(x, v):
    y = x.copy()
    y.flat[2] = v
    return y


# ================================================================== ufunc methods
def u_add_reduce(x):
    return np.add.reduce(x, axis=1)


def u_add_reduce_kw(x):
    return np.add.reduce(x, axis=None, keepdims=True, initial=2.0, where=x > -0.5)


def u_mul_reduce(x):
    return np.multiply.reduce(x, axis=0)


def u_mul_reduce_where(x):
    return np.multiply.reduce(x, axis=1, where=x > -0.5, initial=2.0)


def u_max_reduce(x):
    return np.maximum.reduce(x, axis=0)


def u_min_reduce(x):
    return np.minimum.reduce(x, axis=1, keepdims=True)


def u_fmax_reduce(x):
    return np.fmax.reduce(x)


def u_fmin_reduce(x):
    return np.fmin.reduce(x, axis=1)


def u_add_accumulate(x):
    return np.add.accumulate(x, axis=1)


def u_mul_accumulate(x):
    return np.multiply.accumulate(x)


def u_max_accumulate(x):
    return np.maximum.accumulate(x)


def u_min_accumulate(x):
    return np.minimum.accumulate(x, axis=1)


def u_fmax_accumulate(x):
    return np.fmax.accumulate(x)


def u_fmin_accumulate(x):
    return np.fmin.accumulate(x)


def u_add_outer(x, y):
    return np.add.outer(x, y)


def u_sub_outer(x, y):
    return np.subtract.outer(x, y)


def u_mul_outer(x, y):
    return np.multiply.outer(x, y)


def u_add_reduceat(x):
    return np.add.reduceat(x, [0, 2, 3])


def u_add_at(x, v):
    y = x.copy()
    np.add.at(y, [0, 2, 2, 4, 0], v)
    return y


def u_add_at_2d(v):
    K = np.zeros((3, 3))
    np.add.at(K, (np.array([0, 1, 1]), np.array([0, 1, 1])), v)
    return K


def u_mul_at(x, v):
    y = x * 1.0
    np.multiply.at(y, [0, 2, 2, 4, 0, 2], v)
    return y


def u_mul_at_zero(v):
    y = np.array([1.5, 0.0, -2.0])
    np.multiply.at(y, [1, 1, 2], v)
    return y


def u_max_at(x, v):
    y = x * 1.0
    np.maximum.at(y, [0, 2, 2, 4, 0], v)
    return y


def u_min_at_2d(x, v):
    y = x + 0.0
    np.minimum.at(y, (np.array([0, 1, 1]), np.array([2, 0, 0])), v)
    return y


def h_at_rounds(x, t, v, u):
    w = t * 1.0
    S.at_rounds(np, "maximum", x, w, [0, 1, 1], v, u)
    return w


def u_sub_at(x, v):
    y = x * 1.0
    np.subtract.at(y, [1, 1, 3], v)
    return y


# ================================================================== draws with differentiated parameters
def r_laplace(loc, scale):
    return np.random.laplace(loc, scale, 3)


def r_logistic(loc, scale):
    return np.random.logistic(loc, scale=scale, size=3)


def r_gumbel(loc, scale):
    return np.random.gumbel(loc, scale, 3)


def r_exponential(scale):
    return np.random.exponential(scale, 4)


def r_gamma(scale):
    return np.random.gamma(2.0, scale, 4)


def r_lognormal(mean, sigma):
    return np.random.lognormal(mean, sigma, 3)


def g_laplace(loc, scale):
    return np.random.default_rng(5).laplace(loc, scale, size=3)


def g_logistic(loc, scale):
    return np.random.default_rng(5).logistic(loc, scale, size=3)


def g_gumbel(loc, scale):
    return np.random.default_rng(5).gumbel(loc, scale=scale)


def g_exponential(scale):
    rng = np.random.default_rng(5)
    return rng.exponential(scale, size=scale.shape)


def g_gamma(scale):
    rng = np.random.default_rng(5)
    return rng.gamma(3.0, scale)


def g_lognormal(mean, sigma):
    rng = np.random.default_rng(5)
    return rng.lognormal(mean, sigma, size=3)


# ================================================================== the helpers (forward over forward)
def h_sort(x, t):
    return S.sort_jvp(np, x, t, -1)


def h_permuted(x, t):
    return S.permuted_jvp(np, x, t, np.partition(x, 2), -1)


def h_quantile(x, t):
    return S.quantile_jvp(np, x, t, 0.3, 0)


def h_median(x, t):
    return S.median_jvp(np, x, t, (0, 1))


def h_nanmedian(x, t):
    return S.nanmedian_jvp(np, x, t, 0)


def h_extremum(x, t):
    return S.extremum_jvp(np, x, t, np.max(x, axis=1), 1)


def h_nanvar(x, t):
    return S.nanvar_jvp(np, x, t, 0, 1)


def h_sqrt(v, s):
    return S.sqrt_jvp(np, v, s)


def h_masked(x):
    return S.masked(np, x, x > 0, 1.0)


def h_nan_zeroed(x, t):
    return S.nan_zeroed(np, x, t)


def h_interp_dfp(x, knots, t):
    return S.interp_dfp(np, x, knots, t)


def h_interp_dx(x, dx, knots, fp):
    return S.interp_dx(np, x, dx, knots, fp)


def h_interp_dxp(x, knots, dxp, fp):
    return S.interp_dxp(np, x, knots, dxp, fp)


def h_interp_dend(x, knots, t):
    return S.interp_dend(np, x, knots, t, -1)


def h_polyval_dx(p, x, t):
    return S.polyval_dx(np, p, x, t)


def h_polyder(p):
    return S.polyder(np, p)


def h_polyfit(t):
    return S.polyfit_jvp(np, np.linspace(0.0, 1.0, 6), t, 2)


def h_average(x, t, dw):
    return S.average_jvp(np, x, t, np.arange(1.0, 4.0), dw, np.average(x, axis=1, weights=np.arange(1.0, 4.0)), 1)


def h_average_dw(x, t, w, u, v):
    return S.average_dw(np, x, t, w, u, v, np.average(x, axis=0, weights=w), 0)


def h_cov(x, t):
    return S.cov_jvp(np, x, t, None, None)


def h_corrcoef(x, t):
    return S.corrcoef_jvp(np, x, t, None, None, np.corrcoef(x))


def h_plain(x):
    return S.plain(x > 0, x[0]) * x


def h_as_dtype(x):
    return S.as_dtype(np, x * 2.0, np.complex128).real + S.as_dtype(np, x, None)


def h_initial_factor(x):
    return S.initial_factor(x) * 2.0


def h_corrcoef2(x, t, v):
    return S.corrcoef_jvp2(np, x, None, t, None, v, None)


def h_corrcoef2_y(x, y, t, u, v, w):
    return S.corrcoef_jvp2(np, x, y, t, u, v, w)


def h_zeros_or_none(x):
    return S.zeros_or_none(np, x)


def h_cumprod(x, t):
    return S.cumprod_jvp(np, x, t, 1)


def h_pad_stat(x, t):
    return S.pad_stat_jvp(np, x, t, 1, "maximum")


def h_bflat(t):
    return S.bflat(np, t)


def h_ediff1d(x, t, b):
    return S.ediff1d_jvp(np, x, t, None, None, np.zeros(2), b)


def h_select_default(x, t):
    return S.select_default_jvp(np, [x > 1.0], t, x)


def h_real_if_close(z, t):
    return S.real_if_close_jvp(np, z, t, np.real_if_close(z))


def h_linspace(t0, t1):
    return S.linspace_jvp(np, t0, t1, 5)


def h_cumextremum(x, t):
    return S.cumextremum_jvp(np, x, t, np.maximum.accumulate(x), 0)


def h_outer_left(t, b):
    return S.outer_left(np, t, b)


def h_outer_right(b, t):
    return S.outer_right(np, b, t)


def h_sort_inplace(x, t):
    u = t * 1.0
    S.sort_inplace_jvp(np, x, u, 0)
    return u


def h_fill(t, v):
    u = t * 1.0
    S.fill_jvp(np, u, v)
    return u


def h_at_add(t, v):
    u = t * 1.0
    S.at_add(np, u, [0, 2, 0], v, -1)
    return u


def h_outer_product(x, y):
    return S.outer_product(np, x, y)


CASES = {
    np.percentile: [
        C(q_percentile, distinct(7)),
        C(q_percentile_axis, distinct(3, 6)),
        C(q_percentile_q, distinct(6), np.array([12.0, 47.0, 88.0])),
    ],
    np.quantile: [
        C(q_quantile, distinct(3, 4, 5)),
        C(q_quantile_method, distinct(5, 3)),
        C(q_quantile_nearest, distinct(6)),
        C(q_quantile_q, distinct(3, 5), 0.37),
    ],
    S.quantile_dq: [C(h_quantile_dq, distinct(5, 2), np.array([0.3, 0.6]), a(2), diff=(2,))],
    np.nanpercentile: [C(q_nanpercentile, with_nan(3, 6))],
    np.nanquantile: [C(q_nanquantile, with_nan(5, 3)), C(q_nanquantile_allnan, distinct(3, 4))],
    S.nanquantile_jvp: [C(h_nanquantile, with_nan(5, 2), a(5, 2))],
    np.nanmedian: [C(q_nanmedian, with_nan(3, 5)), C(q_nanmedian_all, with_nan(6))],
    np.partition: [C(q_partition, distinct(7)), C(q_partition_axis, distinct(5, 3))],
    "sort": [C(m_sort, distinct(6)), C(m_sort_axis, distinct(4, 3))],
    np.nanmax: [C(n_nanmax, with_nan(4, 3)), C(n_nanmax_where, with_nan(3, 4))],
    np.nanmin: [C(n_nanmin, with_nan(3, 4))],
    np.nanvar: [C(n_nanvar, with_nan(4, 3))],
    np.nanstd: [C(n_nanstd, with_nan(5))],
    np.nanprod: [C(n_nanprod, with_nan(3, 4)), C(n_nanprod_where, with_nan(4))],
    np.nancumsum: [C(n_nancumsum, with_nan(3, 2))],
    np.nancumprod: [C(n_nancumprod, with_nan(2, 3))],
    np.average: [
        C(w_average, a(3, 4), pos(3, 4)),
        C(w_average_all, a(5)),
        C(w_average_returned, a(4, 3), pos(4)),
        C(w_average_keepdims, a(2, 5), pos(5)),
    ],
    np.cov: [
        C(w_cov, a(3, 5)),
        C(w_cov_y, a(5, 2), a(5)),
        C(w_cov_weights, a(2, 5), pos(5), diff=(0,)),
        C(w_cov_vector, a(6)),
    ],
    np.corrcoef: [C(w_corrcoef, a(3, 5)), C(w_corrcoef_y, a(6), a(6))],
    np.interp: [
        C(i_interp, np.array([-1.3, -0.7, 0.0, 0.33, 0.9, 1.5]), XP, a(5), diff=(0, 2)),
        C(i_interp_knots, np.array([-0.7, 0.05, 0.3, 0.9]), np.array([-1.0, -0.2, 0.2, 0.6, 1.1])),
        C(i_interp_ends, np.array([-1.3, 0.2, 1.4]), XP, a(5), 0.5, -0.25, diff=(0, 2, 3, 4)),
    ],
    np.polyval: [C(i_polyval, a(4), a(5)), C(i_polyval, a(3), 0.7)],
    np.polyfit: [C(i_polyfit, a(7)), C(i_polyfit_w, a(7))],
    np.trapezoid: [C(i_trapezoid, a(6)), C(i_trapezoid_x, a(4, 3), np.array([0.0, 0.4, 1.1, 1.5]))],
    np.correlate: [C(i_correlate, a(7), a(3)), C(i_correlate_c, cplx(5), cplx(2))],
    np.gradient: [C(i_gradient, a(6)), C(i_gradient_2d, a(4, 5)), C(i_gradient_axis, a(4, 2))],
    np.ediff1d: [C(i_ediff1d, a(2, 3)), C(i_ediff1d_ends, a(5), a(2), 0.5), C(i_ediff1d_const, a(4))],
    np.select: [C(s_select, distinct(7), a(7)), C(s_select_const, a(5))],
    np.block: [C(s_block, a(2, 2), a(2, 2)), C(s_block_flat, a(3), a(2))],
    np.real_if_close: [C(s_real_if_close, a(4)), C(s_real_if_close_c, cplx(3))],
    np.fill_diagonal: [C(w_fill_diagonal, a(3, 4), a(3)), C(w_fill_diagonal_const, a(5, 2))],
    np.put: [C(w_put, a(5), a(3)), C(w_put_into_zeros, a(2))],
    np.put_along_axis: [C(w_put_along_axis, a(3, 4), a(3, 1))],
    np.copyto: [C(w_copyto, a(5), a(5)), C(w_copyto_view, a(5), a(4))],
    "fill": [C(w_fill, a(2, 3), 0.7)],
    "view": [C(w_view, a(4))],
    "flat": [host(C(w_flat, a(2, 3))), host(C(w_flat_set, a(2, 3), 0.4))],
    np.add.reduce: [C(u_add_reduce, a(3, 4)), C(u_add_reduce_kw, a(3, 4))],
    np.multiply.reduce: [C(u_mul_reduce, a(3, 4)), C(u_mul_reduce_where, a(3, 4))],
    np.maximum.reduce: [C(u_max_reduce, distinct(3, 4))],
    np.minimum.reduce: [C(u_min_reduce, distinct(3, 4))],
    np.fmax.reduce: [C(u_fmax_reduce, distinct(5))],
    np.fmin.reduce: [C(u_fmin_reduce, distinct(2, 5))],
    np.add.accumulate: [C(u_add_accumulate, a(2, 4))],
    np.multiply.accumulate: [C(u_mul_accumulate, a(6)), C(u_mul_accumulate, np.array([0.5, 0.0, 1.5, -2.0, 0.0, 0.7]))],
    np.maximum.accumulate: [C(u_max_accumulate, distinct(7))],
    np.minimum.accumulate: [C(u_min_accumulate, distinct(2, 5))],
    np.fmax.accumulate: [C(u_fmax_accumulate, distinct(5))],
    np.fmin.accumulate: [C(u_fmin_accumulate, distinct(5))],
    np.add.outer: [C(u_add_outer, a(3), a(2, 2))],
    np.subtract.outer: [C(u_sub_outer, a(3), a(4))],
    np.multiply.outer: [C(u_mul_outer, a(2, 2), a(3))],
    np.add.reduceat: [C(u_add_reduceat, a(5))],
    np.add.at: [C(u_add_at, a(5), a(5)), C(u_add_at_2d, a(3))],
    np.subtract.at: [C(u_sub_at, a(5), a(3))],
    np.multiply.at: [C(u_mul_at, a(5), a(6)), C(u_mul_at_zero, np.array([0.0, 1.3, -0.4]))],
    np.maximum.at: [C(u_max_at, distinct(5), distinct(5))],
    np.minimum.at: [C(u_min_at_2d, distinct(2, 3), distinct(3))],
    S.at_rounds: [C(h_at_rounds, distinct(3), a(3), distinct(3), a(3), diff=(1, 3))],
    # draws: the same draw (a fixed seed), moved and scaled
    np.random.laplace: [C(r_laplace, a(3), pos(3), seed=11)],
    np.random.logistic: [C(r_logistic, 0.3, 1.2, seed=12)],
    np.random.gumbel: [C(r_gumbel, a(3), pos(3), seed=13)],
    np.random.exponential: [C(r_exponential, pos(4), seed=14)],
    np.random.gamma: [C(r_gamma, pos(4), seed=15)],
    np.random.lognormal: [C(r_lognormal, a(3), pos(3), seed=16)],
    "laplace": [C(g_laplace, a(3), pos(3))],
    "logistic": [C(g_logistic, 0.2, 0.9)],
    "gumbel": [C(g_gumbel, a(2), pos(2))],
    "exponential": [C(g_exponential, pos(3))],
    "gamma": [C(g_gamma, pos(3))],
    "lognormal": [C(g_lognormal, a(3), pos(3))],
    # the helpers
    S.sort_jvp: [C(h_sort, distinct(5), a(5))],
    S.permuted_jvp: [C(h_permuted, distinct(6), a(6))],
    S.quantile_jvp: [C(h_quantile, distinct(5, 2), a(5, 2))],
    S.median_jvp: [C(h_median, distinct(2, 3), a(2, 3))],
    S.nanmedian_jvp: [C(h_nanmedian, with_nan(4, 2), a(4, 2))],
    S.extremum_jvp: [C(h_extremum, distinct(2, 4), a(2, 4))],
    S.nanvar_jvp: [C(h_nanvar, with_nan(4, 2), a(4, 2))],
    S.sqrt_jvp: [C(h_sqrt, a(3), pos(3))],
    S.masked: [C(h_masked, a(5))],
    S.nan_zeroed: [C(h_nan_zeroed, with_nan(4), a(4))],
    S.interp_dfp: [C(h_interp_dfp, np.array([-0.7, 0.2, 0.9]), XP, a(5), diff=(0, 2))],
    S.interp_dx: [C(h_interp_dx, np.array([-0.7, 0.2, 0.9]), a(3), XP, a(5), diff=(0, 1, 3))],
    S.interp_dxp: [C(h_interp_dxp, np.array([-0.7, 0.2, 0.9]), XP, a(5), a(5), diff=(2, 3))],
    S.interp_dend: [C(h_interp_dend, np.array([-2.0, 0.0, 2.0]), XP, 0.3, diff=(2,))],
    S.polyval_dx: [C(h_polyval_dx, a(4), a(3), a(3))],
    S.polyder: [C(h_polyder, a(4))],
    S.polyfit_jvp: [C(h_polyfit, a(6))],
    S.average_jvp: [C(h_average, a(2, 3), a(2, 3), a(3), diff=(1, 2))],
    S.average_dw: [C(h_average_dw, a(3, 2), a(3, 2), pos(3), a(3), a(3), diff=(1, 3, 4))],
    S.cov_jvp: [C(h_cov, a(2, 5), a(2, 5))],
    S.corrcoef_jvp: [C(h_corrcoef, a(2, 4), a(2, 4), diff=(0, 1))],
    S.corrcoef_jvp2: [
        C(h_corrcoef2, a(3, 5), a(3, 5), a(3, 5), diff=(1, 2)),
        C(h_corrcoef2_y, a(5), a(5), a(5), a(5), a(5), a(5), diff=(2, 3, 4, 5)),
    ],
    S.zeros_or_none: [C(h_zeros_or_none, a(3), diff=(0,))],
    S.plain: [Z(h_plain, a(3))],
    S.initial_factor: [C(h_initial_factor, a(3))],
    S.as_dtype: [C(h_as_dtype, a(3))],
    S.cumprod_jvp: [C(h_cumprod, a(2, 4), a(2, 4))],
    S.pad_stat_jvp: [C(h_pad_stat, distinct(3, 4), a(3, 4))],
    S.bflat: [C(h_bflat, a(2, 3))],
    S.ediff1d_jvp: [C(h_ediff1d, a(4), a(4), a(2))],
    S.select_default_jvp: [C(h_select_default, np.array([-1.0, 0.3, 2.0]), a(3), diff=(1,))],
    S.real_if_close_jvp: [C(h_real_if_close, cplx(3) * 1e-20 + 1.0, cplx(3), diff=(1,))],
    S.linspace_jvp: [C(h_linspace, 0.3, -0.2)],
    S.cumextremum_jvp: [C(h_cumextremum, distinct(6), a(6))],
    S.outer_left: [C(h_outer_left, a(2), a(3), diff=(0,))],
    S.outer_right: [C(h_outer_right, a(2), a(3), diff=(1,))],
    S.outer_product: [C(h_outer_product, a(2), a(3))],
    S.sort_inplace_jvp: [C(h_sort_inplace, distinct(4, 2), a(4, 2))],
    S.fill_jvp: [C(h_fill, a(2, 3), 0.3)],
    S.at_add: [C(h_at_add, a(4), a(3))],
}
if hasattr(np, "cumulative_sum"):
    CASES[np.cumulative_sum] = [C(c_cumulative_sum, a(2, 3))]
    CASES[np.cumulative_prod] = [C(c_cumulative_prod, a(3, 2)), C(c_cumulative_prod_1d, a(4))]
CASES[S.with_initial] = [C(h_with_initial, a(2, 3))]
if hasattr(np, "trapz"):
    CASES[np.trapz] = [C(i_trapz, a(4, 3), np.array([0.0, 0.4, 1.1, 1.5]))]
if hasattr(np, "row_stack") and np.row_stack is not np.vstack:
    CASES[np.row_stack] = [C(s_row_stack, a(3), a(3))]
