"""JVP rules for NumPy's statistics, order statistics, interpolation, polynomials, nan-functions,
in-place writers and ufunc methods (registered on import by rules/__init__). Their long helpers are
``rt.stats.*`` (tangent_fwd/jvp_helpers/stats.py); the conventions at non-differentiable points
(ties, knots) are in that module's docstring."""

import numpy as np

from .. import runtime as rt
from ..registry import defattr_linear, defjvp, deflinear, defmethod, defmethod_linear, defwriter, defzero

S = rt.stats
Q = "a, q, axis=None, out=None, overwrite_input=False, method='linear', keepdims=False, *, weights=None"
NANRED = "a, axis=None, out=None, keepdims=False, initial=None, where=True"
NANVAR = "a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, *, where=True"

# ------------------------------------------------------------------ order statistics
# w.r.t. q: the interpolation's slope (method 'linear'; the others are refused when q is differentiated)
defjvp(
    np.percentile,
    Q,
    "rt.stats.quantile_jvp(np, a, da, q, axis, method, keepdims, weights, None, 0.01)",
    "rt.stats.quantile_dq(np, a, q, dq, axis, method, keepdims, 0.01)",
)
defjvp(
    np.quantile,
    Q,
    "rt.stats.quantile_jvp(np, a, da, q, axis, method, keepdims, weights)",
    "rt.stats.quantile_dq(np, a, q, dq, axis, method, keepdims)",
)
_NANQ = "rt.unsupported(np, 'the derivative of nanquantile/nanpercentile w.r.t. q')"
defjvp(
    np.nanpercentile, Q, "rt.stats.nanquantile_jvp(np, a, da, q, axis, method, keepdims, weights, None, 0.01)", _NANQ
)
defjvp(np.nanquantile, Q, "rt.stats.nanquantile_jvp(np, a, da, q, axis, method, keepdims, weights)", _NANQ)
defjvp(
    np.nanmedian,
    "a, axis=None, out=None, overwrite_input=False, keepdims=False",
    "rt.stats.nanmedian_jvp(np, a, da, axis, keepdims)",
)
defjvp(
    np.partition, "a, kth, axis=-1, kind='introselect', order=None", "rt.stats.permuted_jvp(np, a, da, ans, axis)", None
)
# x.sort() sorts in place: the tangent buffer is permuted the same way (before the sort reads x)
defwriter(
    "sort",
    "self, axis=-1, kind=None, order=None, *, stable=None, key=None, reverse=False",
    "rt.stats.sort_inplace_jvp(np, self, dself, axis, key, reverse)",
    writes=("self",),
    method=True,
)
# ------------------------------------------------------------------ nan-functions (nan values are left out)
defjvp(np.nanmax, NANRED, "rt.stats.extremum_jvp(np, a, da, ans, axis, keepdims, where)")
defjvp(np.nanmin, NANRED, "rt.stats.extremum_jvp(np, a, da, ans, axis, keepdims, where)")
defjvp(np.nanvar, NANVAR, "rt.stats.as_dtype(np, rt.stats.nanvar_jvp(np, a, da, axis, ddof, keepdims, where), dtype)")
defjvp(
    np.nanstd,
    NANVAR,
    "rt.stats.as_dtype(np, rt.stats.sqrt_jvp(np, rt.stats.nanvar_jvp(np, a, da, axis, ddof, keepdims, where), ans), dtype)",
)
defjvp(
    np.nanprod,
    "a, axis=None, dtype=None, out=None, keepdims=False, initial=None, where=True",
    "rt.stats.as_dtype(np, rt.prod_jvp(np, rt.stats.masked(np, np.where(np.isnan(a), 1, a), where, 1),"
    " rt.stats.masked(np, rt.stats.nan_zeroed(np, a, da), where, 0), ans, axis, keepdims)"
    " * rt.stats.initial_factor(initial), dtype)",
)
defjvp(
    np.nancumsum,
    "a, axis=None, dtype=None, out=None",
    "np.cumsum(rt.stats.nan_zeroed(np, a, da), axis=axis, dtype=dtype)",
)
defjvp(
    np.nancumprod,
    "a, axis=None, dtype=None, out=None",
    "rt.stats.as_dtype(np, rt.stats.cumprod_jvp(np, np.where(np.isnan(a), 1, a), rt.stats.nan_zeroed(np, a, da),"
    " axis), dtype)",
)
if hasattr(np, "cumulative_sum"):  # NumPy >= 2.1 (include_initial: a leading 0, or 1 for the product)
    CUM = "x, /, *, axis=None, dtype=None, out=None, include_initial=False"
    deflinear(np.cumulative_sum, CUM)
    defjvp(
        np.cumulative_prod,
        CUM,
        "rt.stats.with_initial(np, rt.stats.as_dtype(np, rt.stats.cumprod_jvp(np, x, dx, axis), dtype), axis,"
        " include_initial)",
    )
# ------------------------------------------------------------------ weighted statistics
defjvp(
    np.average,
    "a, axis=None, weights=None, returned=False, *, keepdims=False",
    "rt.stats.average_jvp(np, a, da, weights, None, ans, axis, returned, keepdims)",
    None,
    "rt.stats.average_jvp(np, a, None, weights, dweights, ans, axis, returned, keepdims)",
)
COV = "m, y=None, rowvar=True, bias=False, ddof=None, fweights=None, aweights=None, *, dtype=None"
defjvp(
    np.cov,
    COV,
    "rt.stats.cov_jvp(np, m, dm, y, None, rowvar, bias, ddof, fweights, aweights, dtype)",
    "rt.stats.cov_jvp(np, m, None, y, dy, rowvar, bias, ddof, fweights, aweights, dtype)",
)
defjvp(
    np.corrcoef,
    "x, y=None, rowvar=True, *, dtype=None",
    "rt.stats.corrcoef_jvp(np, x, dx, y, None, ans, rowvar, dtype)",
    "rt.stats.corrcoef_jvp(np, x, None, y, dy, ans, rowvar, dtype)",
)
# ------------------------------------------------------------------ interpolation, integration, differences
defjvp(
    np.interp,
    "x, xp, fp, left=None, right=None, period=None",
    "rt.stats.interp_dx(np, x, dx, xp, fp, left, right, period)",
    "rt.stats.interp_dxp(np, x, xp, dxp, fp, left, right, period)",
    "rt.stats.interp_dfp(np, x, xp, dfp, left, right, period)",
    "rt.stats.interp_dend(np, x, xp, dleft, -1, period)",
    "rt.stats.interp_dend(np, x, xp, dright, 1, period)",
)
defjvp(np.polyval, "p, x", "np.polyval(dp, x)", "rt.stats.polyval_dx(np, p, x, dx)")
defjvp(
    np.polyfit,
    "x, y, deg, rcond=None, full=False, w=None, cov=False",
    "rt.unsupported(np, 'the derivative of polyfit w.r.t. x')",
    "rt.stats.polyfit_jvp(np, x, dy, deg, rcond, full, w, cov)",
    None,
)
deflinear(np.trapezoid, "y, x=None, dx=1.0, axis=-1", linear_in=("y", "x", "dx"))  # bilinear in y and (x or dx)
if hasattr(np, "trapz"):  # NumPy < 2.4: the old name of trapezoid
    deflinear(np.trapz, "y, x=None, dx=1.0, axis=-1", linear_in=("y", "x", "dx"))
deflinear(np.correlate, "a, v, mode='valid'", linear_in=("a", "v"))
deflinear(np.gradient, "f, *varargs, axis=None, edge_order=1", linear_in=("f",))
defjvp(
    np.ediff1d,
    "ary, to_end=None, to_begin=None",
    "rt.stats.ediff1d_jvp(np, ary, dary, to_end, None, to_begin, None)",
    "rt.stats.ediff1d_jvp(np, ary, None, to_end, dto_end, to_begin, None)",
    "rt.stats.ediff1d_jvp(np, ary, None, to_end, None, to_begin, dto_begin)",
)
# ------------------------------------------------------------------ selection and assembly
defjvp(
    np.select,
    "condlist, choicelist, default=0",
    None,
    "np.select(condlist, dchoicelist, 0)",
    "rt.stats.select_default_jvp(np, condlist, ddefault, ans)",
)
deflinear(np.block, "arrays")
if hasattr(np, "row_stack") and np.row_stack is not np.vstack:  # NumPy 2.x: a deprecated alias of vstack
    defjvp(np.row_stack, "tup, *, dtype=None, casting='same_kind'", "np.vstack(dtup, dtype=dtype, casting=casting)")
defjvp(np.real_if_close, "a, tol=100", "rt.stats.real_if_close_jvp(np, a, da, ans)", view=True)
# ------------------------------------------------------------------ in-place writers (the same write into the tangent)
defwriter(np.fill_diagonal, "a, val, wrap=False", "np.fill_diagonal(da, dval, wrap)", writes=("a",))
defwriter(np.put, "a, ind, v, mode='raise'", "np.put(da, ind, dv, mode)", writes=("a",))
defwriter(
    np.put_along_axis, "arr, indices, values, axis", "np.put_along_axis(darr, indices, dvalues, axis)", writes=("arr",)
)
defwriter(
    np.copyto,
    "dst, src, casting='same_kind', where=True",
    "np.copyto(ddst, dsrc, casting=casting, where=where)",
    writes=("dst",),
)
defwriter("fill", "self, value", "rt.stats.fill_jvp(np, dself, dvalue)", writes=("self",), method=True)
defattr_linear("flat", view=True)  # a.flat[i], a.flat[i] = v: the same flat view of the tangent
defmethod_linear("view", "self", view=True)  # .view() only: a view as another dtype reinterprets the bytes
# ------------------------------------------------------------------ draws with differentiated parameters
# location-scale families are reparameterised (the same draw, moved and scaled: loc + scale * z); a gamma
# draw's shape has no such form and is refused. Draws with constant parameters carry no tangent.
_LOCSCALE = ("rt.expand(dloc, ans)", "(ans - loc) / scale * dscale")
_LOGNORMAL = ("ans * dmean", "ans * (np.log(ans) - mean) / sigma * dsigma")
_SHAPE = "rt.unsupported(np, 'the derivative of a gamma draw w.r.t. its shape')"
for _name in ("laplace", "logistic", "gumbel"):
    defjvp(getattr(np.random, _name), "loc=0.0, scale=1.0, size=None", *_LOCSCALE)
    defmethod(_name, "self, loc=0.0, scale=1.0, size=None", None, *_LOCSCALE)
defjvp(np.random.exponential, "scale=1.0, size=None", "ans / scale * dscale")
defmethod("exponential", "self, scale=1.0, size=None", None, "ans / scale * dscale")
defjvp(np.random.gamma, "shape, scale=1.0, size=None", _SHAPE, "ans / scale * dscale")
defmethod("gamma", "self, shape, scale=1.0, size=None", None, _SHAPE, "ans / scale * dscale")
defjvp(np.random.lognormal, "mean=0.0, sigma=1.0, size=None", *_LOGNORMAL)
defmethod("lognormal", "self, mean=0.0, sigma=1.0, size=None", None, *_LOGNORMAL)
# ------------------------------------------------------------------ ufunc methods, found by (ufunc, method name)
UR = "array, axis=0, dtype=None, out=None, keepdims=False, initial=None, where=True"
deflinear(np.add.reduce, UR, offset=("initial",), name="numpy.add.reduce")
defjvp(
    np.multiply.reduce,
    UR,
    "rt.prod_jvp(np, rt.stats.masked(np, array, where, 1), rt.stats.masked(np, darray, where, 0), ans, axis, keepdims)"
    " * rt.stats.initial_factor(initial)",
    name="numpy.multiply.reduce",
)
for _uf in (np.maximum, np.minimum, np.fmax, np.fmin):
    defjvp(
        _uf.reduce,
        UR,
        "rt.stats.extremum_jvp(np, array, darray, ans, axis, keepdims, where)",
        name=f"numpy.{_uf.__name__}.reduce",
    )
    defjvp(
        _uf.accumulate,
        "array, axis=0, dtype=None, out=None",
        "rt.stats.cumextremum_jvp(np, array, darray, ans, axis)",
        name=f"numpy.{_uf.__name__}.accumulate",
    )
deflinear(np.add.accumulate, "array, axis=0, dtype=None, out=None", name="numpy.add.accumulate")
defjvp(
    np.multiply.accumulate,
    "array, axis=0, dtype=None, out=None",
    "rt.stats.cumprod_jvp(np, array, darray, axis)",
    name="numpy.multiply.accumulate",
)
defjvp(
    np.add.outer, "A, B, /", "rt.stats.outer_left(np, dA, B)", "rt.stats.outer_right(np, A, dB)", name="numpy.add.outer"
)
defjvp(
    np.subtract.outer,
    "A, B, /",
    "rt.stats.outer_left(np, dA, B)",
    "-rt.stats.outer_right(np, A, dB)",
    name="numpy.subtract.outer",
)
defjvp(
    np.multiply.outer,
    "A, B, /",
    "rt.stats.outer_product(np, dA, B)",
    "rt.stats.outer_product(np, A, dB)",
    name="numpy.multiply.outer",
)
deflinear(np.add.reduceat, "array, indices, axis=0, dtype=None, out=None", name="numpy.add.reduceat")
# add.at / subtract.at: an unbuffered scatter into a (repeated indices accumulate): the same into da
defwriter(
    np.add.at, "a, indices, b=None, /", "rt.stats.at_add(np, da, indices, db)", writes=("a",), name="numpy.add.at"
)
defwriter(
    np.subtract.at,
    "a, indices, b=None, /",
    "rt.stats.at_add(np, da, indices, db, -1)",
    writes=("a",),
    name="numpy.subtract.at",
)
# multiply/maximum/minimum.at: the updates of one element replayed in order on (value, tangent) pairs
for _uf in (np.multiply, np.maximum, np.minimum):
    defwriter(
        _uf.at,
        "a, indices, b=None, /",
        f"rt.stats.at_rounds(np, '{_uf.__name__}', a, da, indices, b, db)",
        writes=("a",),
        name=f"numpy.{_uf.__name__}.at",
    )
# ------------------------------------------------------------------ the helpers' own rules (forward over forward)
# the writers' helpers write into a tangent buffer: one order up, the same write into its tangent
defwriter(
    S.sort_inplace_jvp,
    "xp, a, da, axis=-1, key=None, reverse=False",
    "rt.stats.sort_inplace_jvp(np, a, dda, axis, key, reverse)",
    writes=("da",),
)
defwriter(S.fill_jvp, "xp, dself, dvalue", "rt.stats.fill_jvp(np, ddself, ddvalue)", writes=("dself",))
# maximum/minimum.at choose by the values only: the same choice for the tangent's tangent
defwriter(
    S.at_rounds,
    "xp, op, a, da, indices, b, db",
    "rt.stats.at_rounds(np, op, a, dda, indices, b, ddb) if op != 'multiply'"
    " else rt.unsupported(np, 'the second derivative of multiply.at')",
    writes=("da",),
)
defwriter(S.at_add, "xp, da, indices, db, sign=1", "rt.stats.at_add(np, dda, indices, ddb, sign)", writes=("da",))
deflinear(S.sort_jvp, "xp, a, da, axis=-1", linear_in=("da",), constant=("a",))
deflinear(S.permuted_jvp, "xp, a, da, ans, axis=-1", linear_in=("da",), constant=("a", "ans"))
# the order statistics' tangents: piecewise constant in a, linear in da; their positions move with q
_QH = "axis, method, keepdims, weights, interpolation, scale"
_QQ = "rt.unsupported(np, 'the second derivative of quantile/percentile w.r.t. q')"
defjvp(
    S.quantile_jvp,
    "xp, a, da, q, axis=None, method='linear', keepdims=False, weights=None, interpolation=None, scale=1.0",
    None,
    None,
    f"rt.stats.quantile_jvp(np, a, dda, q, {_QH})",
    _QQ,
)
defjvp(
    S.quantile_dq,
    "xp, a, q, dq, axis=None, method='linear', keepdims=False, scale=1.0",
    None,
    _QQ,
    None,  # the slope is piecewise constant in q
    "rt.stats.quantile_dq(np, a, q, ddq, axis, method, keepdims, scale)",
)
defjvp(
    S.nanquantile_jvp,
    "xp, a, da, q, axis=None, method='linear', keepdims=False, weights=None, interpolation=None, scale=1.0",
    None,
    None,
    f"rt.stats.nanquantile_jvp(np, a, dda, q, {_QH})",
    _QQ,
)
deflinear(S.median_jvp, "xp, a, da, axis=None, keepdims=False", linear_in=("da",), constant=("a",))
deflinear(S.nanmedian_jvp, "xp, a, da, axis=None, keepdims=False", linear_in=("da",), constant=("a",))
deflinear(
    S.extremum_jvp,
    "xp, a, da, ans, axis=None, keepdims=False, where=True",
    linear_in=("da",),
    constant=("a", "ans"),
)
# bilinear in the data and the tangent; the data's tangent keeps the data's nan mask
_NV = "axis, ddof, keepdims, where, skipnan"
defjvp(
    S.nanvar_jvp,
    "xp, x, t, axis=None, ddof=0, keepdims=False, where=True, skipnan=True",
    None,
    f"rt.stats.nanvar_jvp(np, np.where(np.isnan(x), np.nan, dx), t, {_NV})",
    f"rt.stats.nanvar_jvp(np, x, dt, {_NV})",
)
defjvp(
    S.sqrt_jvp,
    "xp, dv, s",
    None,
    "rt.stats.sqrt_jvp(np, ddv, s)",
    "-rt.stats.sqrt_jvp(np, dv, s) * rt.safe_div(np, ds, s)",
)
defjvp(S.masked, "xp, x, where, fill", None, "rt.stats.masked(np, dx, where, 0)", None, None)
deflinear(S.nan_zeroed, "xp, a, da", linear_in=("da",), constant=("a",))
defjvp(
    S.interp_dfp,
    "xp, x, xp_, dfp, left=None, right=None, period=None",
    None,
    "rt.stats.interp_dx(np, x, dx, xp_, dfp, None, None, period)",
    "rt.unsupported(np, 'the second derivative of interp w.r.t. xp')",
    "rt.stats.interp_dfp(np, x, xp_, ddfp, left, right, period)",
)
# the slope is piecewise constant in x, linear in fp
defjvp(
    S.interp_dx,
    "xp, x, dx, xp_, fp, left=None, right=None, period=None",
    None,
    None,
    "rt.stats.interp_dx(np, x, ddx, xp_, fp, left, right, period)",
    "rt.unsupported(np, 'the second derivative of interp w.r.t. xp')",
    "rt.stats.interp_dx(np, x, dx, xp_, dfp, left, right, period)",
)
defjvp(
    S.interp_dxp,
    "xp, x, xp_, dxp, fp, left=None, right=None, period=None",
    None,
    "rt.unsupported(np, 'the second derivative of interp w.r.t. xp')",
    "rt.unsupported(np, 'the second derivative of interp w.r.t. xp')",
    "rt.stats.interp_dxp(np, x, xp_, ddxp, fp, left, right, period)",
    "rt.stats.interp_dxp(np, x, xp_, dxp, dfp, left, right, period)",
)
defjvp(
    S.polyval_dx,
    "xp, p, x, t",
    None,
    "rt.stats.polyval_dx(np, dp, x, t)",
    "rt.stats.polyval_dx(np, rt.stats.polyder(np, p), x, t * dx)",
    "rt.stats.polyval_dx(np, p, x, dt)",
)
deflinear(S.polyder, "xp, p", linear_in=("p",))
defjvp(
    S.average_jvp,
    "xp, a, t, weights, u, s, axis=None, returned=False, keepdims=False",
    None,
    "rt.stats.average_jvp(np, da, None, weights, u, s, axis, returned, keepdims)",
    "rt.stats.average_jvp(np, a, dt, weights, None, s, axis, returned, keepdims)",
    "rt.stats.average_dw(np, a, t, weights, u, dweights, s, axis, returned, keepdims)",
    "rt.stats.average_jvp(np, a, None, weights, du, s, axis, returned, keepdims)",
    None,
)
_A3 = "rt.unsupported(np, 'the third derivative of average with differentiated weights')"
defjvp(  # linear in each direction (t, u, v); a third derivative through a or the weights is refused
    S.average_dw,
    "xp, a, t, weights, u, v, s, axis=None, returned=False, keepdims=False",
    None,
    _A3,
    "rt.stats.average_dw(np, a, dt, weights, None, v, s, axis, returned, keepdims)",
    _A3,
    "rt.stats.average_dw(np, a, None, weights, du, v, s, axis, returned, keepdims)",
    "rt.stats.average_dw(np, a, t, weights, u, dv, s, axis, returned, keepdims)",
    None,
)
# cov_jvp(m, t, y, u) is a symmetric bilinear form in the data (m, y) and its tangent (t, u)
_COVH = "rowvar, bias, ddof, fweights, aweights, dtype"
defjvp(
    S.cov_jvp,
    "xp, m, t, y, u, rowvar=True, bias=False, ddof=None, fweights=None, aweights=None, dtype=None",
    None,
    f"rt.stats.cov_jvp(np, dm, t, rt.stats.zeros_or_none(np, y), u, {_COVH})",
    f"rt.stats.cov_jvp(np, m, dt, y, rt.stats.zeros_or_none(np, u), {_COVH})",
    f"rt.stats.cov_jvp(np, rt.stats.zeros_or_none(np, m), t, dy, u, {_COVH})",
    f"rt.stats.cov_jvp(np, m, rt.stats.zeros_or_none(np, t), y, du, {_COVH})",
)
defjvp(
    S.corrcoef_jvp,
    "xp, x, t, y, u, r, rowvar=True, dtype=None",
    None,
    "rt.stats.corrcoef_jvp2(np, x, y, t, u, dx, rt.stats.zeros_or_none(np, y), rowvar, dtype)",
    "rt.stats.corrcoef_jvp(np, x, dt, y, None, r, rowvar, dtype)",
    "rt.stats.corrcoef_jvp2(np, x, y, t, u, rt.stats.zeros_or_none(np, x), dy, rowvar, dtype)",
    "rt.stats.corrcoef_jvp(np, x, None, y, du, r, rowvar, dtype)",
    None,
)
# bilinear in the two directions (t, u) and (v, w); a third derivative is refused
_C3 = "rt.unsupported(np, 'the third derivative of corrcoef')"
defjvp(
    S.corrcoef_jvp2,
    "xp, x, y, t, u, v, w, rowvar=True, dtype=None",
    None,
    _C3,
    _C3,
    "rt.stats.corrcoef_jvp2(np, x, y, dt, rt.stats.zeros_or_none(np, u), v, w, rowvar, dtype)",
    "rt.stats.corrcoef_jvp2(np, x, y, rt.stats.zeros_or_none(np, t), du, v, w, rowvar, dtype)",
    "rt.stats.corrcoef_jvp2(np, x, y, t, u, dv, rt.stats.zeros_or_none(np, w), rowvar, dtype)",
    "rt.stats.corrcoef_jvp2(np, x, y, t, u, rt.stats.zeros_or_none(np, v), dw, rowvar, dtype)",
)
defzero(S.zeros_or_none)
defzero(S.plain)
deflinear(S.as_dtype, "xp, t, dtype=None", linear_in=("t",))
deflinear(S.with_initial, "xp, t, axis=None, include_initial=False", linear_in=("t",))
deflinear(S.initial_factor, "initial")
defjvp(
    S.cumprod_jvp,
    "xp, x, t, axis=None",
    None,
    "rt.cumprod_jvp2(np, x, t, dx, axis)",
    "rt.stats.cumprod_jvp(np, x, dt, axis)",
)
deflinear(
    S.pad_stat_jvp,
    "xp, array, darray, pad_width, mode, stat_length=None",
    linear_in=("darray",),
    constant=("array",),
)
deflinear(S.bflat, "xp, t", linear_in=("t",), view=True)
deflinear(S.interp_dend, "xp, x, xp_, dend, side, period=None", linear_in=("dend",), constant=("x",))
deflinear(S.polyfit_jvp, "xp, x, dy, deg, rcond=None, full=False, w=None, cov=False", linear_in=("dy",))
defjvp(
    S.ediff1d_jvp,  # jointly linear in the three tangents (a sum, not a product: one partial each)
    "xp, ary, t, to_end, u, to_begin, v",
    None,
    None,
    "rt.stats.ediff1d_jvp(np, ary, dt, to_end, None, to_begin, None)",
    None,
    "rt.stats.ediff1d_jvp(np, ary, None, to_end, du, to_begin, None)",
    None,
    "rt.stats.ediff1d_jvp(np, ary, None, to_end, None, to_begin, dv)",
)
deflinear(S.select_default_jvp, "xp, condlist, ddefault, ans", linear_in=("ddefault",), constant=("ans",))
deflinear(S.real_if_close_jvp, "xp, a, da, ans", linear_in=("da",), constant=("a", "ans"))
defjvp(  # jointly linear in (start, stop): one partial each, the other zero
    S.linspace_jvp,
    "xp, t, u, num, endpoint=True, retstep=False, dtype=None, axis=0",
    None,
    "rt.stats.linspace_jvp(np, dt, 0 * dt, num, endpoint, retstep, dtype, axis)",
    "rt.stats.linspace_jvp(np, 0 * du, du, num, endpoint, retstep, dtype, axis)",
    None,
)
deflinear(S.cumextremum_jvp, "xp, x, dx, ans, axis=0", linear_in=("dx",), constant=("x", "ans"))
deflinear(S.outer_left, "xp, dA, B", linear_in=("dA",), constant=("B",))
deflinear(S.outer_right, "xp, A, dB", linear_in=("dB",), constant=("A",))
deflinear(S.outer_product, "xp, A, B", linear_in=("A", "B"))
