"""Rules for NumPy. ``np`` in a template is the array backend (``xp`` in generated code)."""

import numpy as np
from numpy.lib import stride_tricks

from ..registry import (
    defattr_linear,
    defattr_zero,
    defjvp,
    deflinear,
    defmethod,
    defmethod_linear,
    defmethod_zero,
    defzero,
)

U = "x, /, out=None, *, where=True, casting='same_kind', order='K', dtype=None, subok=True"
B = "x1, x2, /, out=None, *, where=True, casting='same_kind', order='K', dtype=None, subok=True"
RED = "a, axis=None, dtype=None, out=None, keepdims=False"

# ------------------------------------------------------------------ elementwise: trigonometric
defjvp(np.sin, U, "dx * np.cos(x)")
defjvp(np.cos, U, "-dx * np.sin(x)")
defjvp(np.tan, U, "dx * (1 + ans * ans)")
defjvp(np.arcsin, U, "dx / np.sqrt(1 - x * x)")
defjvp(np.arccos, U, "-dx / np.sqrt(1 - x * x)")
defjvp(np.arctan, U, "dx / (1 + x * x)")
defjvp(np.arctan2, B, "dx1 * x2 / (x1 * x1 + x2 * x2)", "-dx2 * x1 / (x1 * x1 + x2 * x2)")
defjvp(np.hypot, B, "rt.safe_div(np, dx1 * x1, ans)", "rt.safe_div(np, dx2 * x2, ans)")  # 0 at the origin, as norm
deflinear(np.deg2rad, U)
deflinear(np.rad2deg, U)
deflinear(np.degrees, U)
deflinear(np.radians, U)
# ------------------------------------------------------------------ elementwise: hyperbolic
defjvp(np.sinh, U, "dx * np.cosh(x)")
defjvp(np.cosh, U, "dx * np.sinh(x)")
defjvp(np.tanh, U, "dx * (1 - ans * ans)")
defjvp(np.arcsinh, U, "dx / np.sqrt(x * x + 1)")
defjvp(np.arccosh, U, "dx / np.sqrt(x * x - 1)")
defjvp(np.arctanh, U, "dx / (1 - x * x)")
# ------------------------------------------------------------------ elementwise: exponential and logarithmic
defjvp(np.exp, U, "dx * ans")
defjvp(np.exp2, U, "dx * ans * 0.6931471805599453")
defjvp(np.expm1, U, "dx * (ans + 1)")
defjvp(np.log, U, "dx / x")
defjvp(np.log2, U, "dx / (x * 0.6931471805599453)")
defjvp(np.log10, U, "dx / (x * 2.302585092994046)")
defjvp(np.log1p, U, "dx / (1 + x)")
defjvp(np.logaddexp, B, "dx1 * np.exp(x1 - ans)", "dx2 * np.exp(x2 - ans)")
defjvp(np.logaddexp2, B, "dx1 * np.exp2(x1 - ans)", "dx2 * np.exp2(x2 - ans)")
# ------------------------------------------------------------------ elementwise: powers and arithmetic
# (maximum/minimum: at a tie the second argument's tangent is taken, so maximum(h, 0) has slope 0 at 0
#  like ReLU in PyTorch and in the backprop baseline; the mask multiply is much faster than where)
defjvp(np.sqrt, U, "dx / (2 * ans)")
defjvp(np.cbrt, U, "dx / (3 * ans * ans)")
defjvp(np.square, U, "2 * x * dx")
defjvp(np.reciprocal, U, "-dx * ans * ans")
# d(x**y)/dx = y * x**(y - 1), taken as 0 at y == 0 (also at x == 0, where x**-1 is inf; JAX's
# convention): the exponent y - 1 + (y == 0) is y - 1 except at y == 0, where it is 0 (so x**0 == 1
# and y * 1 == 0; real or complex y). For a constant y it folds at compile time (x**2 -> 2 * x * dx).
POW_DX = "x2 * x1 ** (x2 - 1 + (x2 == 0)) * dx1"
defjvp(np.power, B, POW_DX, "dx2 * rt.pow_dy(np, x1, ans)")
# float_power computes in float64: so does its tangent (a float32 dx1 would make it float32)
defjvp(np.float_power, B, "x2 * np.float_power(x1, x2 - 1 + (x2 == 0)) * dx1", "dx2 * rt.pow_dy(np, x1, ans)")
defjvp(np.add, B, "dx1", "dx2")
defjvp(np.subtract, B, "dx1", "-dx2")
defjvp(np.multiply, B, "dx1 * x2", "x1 * dx2")
defjvp(np.divide, B, "dx1 / x2", "-(dx2 * ans) / x2")
defjvp(np.negative, U, "-dx")
defjvp(np.positive, U, "dx")
defjvp(np.absolute, U, "rt.abs_jvp(np, x, dx)")
defjvp(np.fabs, U, "dx * np.sign(x)")  # fabs has no complex loop: real only
# copysign(x1, x2) = |x1| with x2's sign: dx1 times sign(x1) * sign(result); piecewise constant in x2
defjvp(np.copysign, B, "dx1 * np.copysign(1, x1) * np.copysign(1, ans)", None)
defjvp(np.mod, B, "dx1", "-dx2 * np.floor_divide(x1, x2)")
defjvp(np.fmod, B, "dx1", "-dx2 * np.trunc(x1 / x2)")
defjvp(np.maximum, B, "dx1 * (x1 > x2)", "dx2 * (x1 <= x2)")
defjvp(np.minimum, B, "dx1 * (x1 < x2)", "dx2 * (x1 >= x2)")
defjvp(np.fmax, B, "dx1 * (x1 > x2)", "dx2 * (x1 <= x2)")
defjvp(np.fmin, B, "dx1 * (x1 < x2)", "dx2 * (x1 >= x2)")
defjvp(np.heaviside, B, None, "rt.where_like(np, x1 == 0, dx2, ans)")
defjvp(np.sinc, U, "dx * rt.sinc_d(np, x, ans)")
defjvp(
    np.where,
    "condition, x=None, y=None, /",
    None,
    "np.where(condition, dx, rt.zeros_like(ans))",
    "np.where(condition, rt.zeros_like(ans), dy)",
)
defjvp(
    np.clip,
    "a, a_min=None, a_max=None, out=None, *, min=None, max=None",
    "da * (ans == a)",
    "rt.where_like(np, rt.clip_low(np, a, a_min, a_max), da_min, a)",
    "rt.where_like(np, rt.clip_high(np, a, a_min, a_max), da_max, a)",
    None,
    "rt.where_like(np, rt.clip_low(np, a, min, max), dmin, a)",
    "rt.where_like(np, rt.clip_high(np, a, min, max), dmax, a)",
)
defjvp(np.sign, U, "rt.sign_jvp(np, x, dx)")  # 0 for real x; z / |z| is smooth for complex z != 0
deflinear(np.conj, U)
deflinear(np.conjugate, U)
defjvp(np.angle, "z, deg=False", "rt.angle_jvp(np, z, dz, deg)")  # Im(conj(z) dz) / |z|^2; 0 for real z
deflinear(np.real, "val", view=True)
deflinear(np.imag, "val", view=True)
# ------------------------------------------------------------------ reductions
deflinear(np.sum, RED + ", initial=0, where=True", offset=("initial",))
# ptp = max - min over the axis: the tangents at the first arg-max and the first arg-min
defjvp(
    np.ptp,
    "a, axis=None, out=None, keepdims=False",
    "rt.extremum_jvp(np, a, da, np.max(a, axis=axis, keepdims=keepdims), axis, keepdims)"
    " - rt.extremum_jvp(np, a, da, np.min(a, axis=axis, keepdims=keepdims), axis, keepdims)",
)
deflinear(np.mean, "a, axis=None, dtype=None, out=None, keepdims=False, *, where=True")
deflinear(np.cumsum, "a, axis=None, dtype=None, out=None")
deflinear(np.trace, "a, offset=0, axis1=0, axis2=1, dtype=None, out=None")
defjvp(
    np.diff,
    "a, n=1, axis=-1, prepend=None, append=None",
    "rt.diff_jvp(np, a, da, n, axis, prepend, None, append, None)",
    None,
    None,
    "rt.diff_jvp(np, a, None, n, axis, prepend, dprepend, append, None)",
    "rt.diff_jvp(np, a, None, n, axis, prepend, None, append, dappend)",
)
# max/min with where= or initial= (a result that is the initial value has a zero tangent): rt.stats
EXT = "a, axis=None, out=None, keepdims=False, initial=None, where=True"
EXT_JVP = (
    "rt.extremum_jvp(np, a, da, ans, axis, keepdims) if rt.stats.plain(where, initial)"
    " else rt.stats.extremum_jvp(np, a, da, ans, axis, keepdims, where)"
)
defjvp(np.max, EXT, EXT_JVP)
defjvp(np.min, EXT, EXT_JVP)
defjvp(np.amax, EXT, EXT_JVP)
defjvp(np.amin, EXT, EXT_JVP)
defjvp(
    np.nansum,
    RED + ", initial=0, where=True",
    # where= folded into the operand (np.where), not passed on: CuPy's reductions take no where=
    "np.sum(np.where(where, rt.stats.nan_zeroed(np, a, da), 0), axis=axis, dtype=dtype, keepdims=keepdims)",
)
defjvp(
    np.nanmean,
    RED + ", *, where=True",
    "np.nanmean(np.where(where, np.where(np.isnan(a), np.nan, da), np.nan), axis=axis, dtype=dtype, keepdims=keepdims)",
)
# order statistics (rt.stats): ties are broken by a stable sort, any axis form
defjvp(np.sort, "a, axis=-1, kind=None, order=None, *, stable=None", "rt.stats.sort_jvp(np, a, da, axis)")
defjvp(
    np.median,
    "a, axis=None, out=None, overwrite_input=False, keepdims=False",
    "rt.stats.median_jvp(np, a, da, axis, keepdims)",
)
defjvp(np.nan_to_num, "x, copy=True, nan=0.0, posinf=None, neginf=None", "rt.where_like(np, np.isfinite(x), dx, ans)")


# prod/cumprod/var/std (functions and methods): where=, initial=, and dtype= (the tangent cast as the value)
def _prod(x):
    return (
        f"rt.stats.as_dtype(np, rt.prod_jvp(np, {x}, d{x}, ans, axis, keepdims) if rt.stats.plain(where, initial)"
        f" else rt.prod_jvp(np, rt.stats.masked(np, {x}, where, 1), rt.stats.masked(np, d{x}, where, 0), ans, axis,"
        " keepdims) * rt.stats.initial_factor(initial), dtype)"
    )


# NumPy 2's array-API spelling of ddof (SciPy's array-API code calls xp.std(a, correction=ddof))
_DDOF = "(ddof if correction is None else correction)"


def _var(x):
    return (
        f"rt.stats.as_dtype(np, rt.var_jvp(np, {x}, d{x}, axis, {_DDOF}, keepdims) if rt.stats.plain(where)"
        f" else rt.stats.nanvar_jvp(np, {x}, d{x}, axis, {_DDOF}, keepdims, where, False), dtype)"
    )


def _std(x):
    return (
        f"rt.stats.as_dtype(np, rt.std_jvp(np, {x}, d{x}, ans, axis, {_DDOF}, keepdims) if rt.stats.plain(where)"
        f" else rt.stats.sqrt_jvp(np, rt.stats.nanvar_jvp(np, {x}, d{x}, axis, {_DDOF}, keepdims, where, False), ans),"
        " dtype)"
    )


def _ext(x):
    return (
        f"rt.extremum_jvp(np, {x}, d{x}, ans, axis, keepdims) if rt.stats.plain(where, initial)"
        f" else rt.stats.extremum_jvp(np, {x}, d{x}, ans, axis, keepdims, where)"
    )


defjvp(np.prod, RED + ", initial=None, where=True", _prod("a"))
defjvp(
    np.cumprod,
    "a, axis=None, dtype=None, out=None",
    "rt.stats.as_dtype(np, rt.stats.cumprod_jvp(np, a, da, axis), dtype)",
)
VAR = "a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, *, where=True, correction=None"
defjvp(np.var, VAR, _var("a"))
defjvp(np.std, VAR, _std("a"))
# ------------------------------------------------------------------ linear algebra
deflinear(np.dot, "a, b, out=None", linear_in=("a", "b"))
deflinear(np.matmul, B, linear_in=("x1", "x2"))
deflinear(np.vdot, "a, b", linear_in=("a", "b"))
deflinear(np.inner, "a, b", linear_in=("a", "b"))
deflinear(np.outer, "a, b, out=None", linear_in=("a", "b"))
deflinear(np.kron, "a, b", linear_in=("a", "b"))
deflinear(np.convolve, "a, v, mode='full'", linear_in=("a", "v"))
deflinear(np.cross, "a, b, axisa=-1, axisb=-1, axisc=-1, axis=None", linear_in=("a", "b"))
deflinear(np.tensordot, "a, b, axes=2", linear_in=("a", "b"))
# linear in "subscripts" too: in the sublist form einsum(a, [0, 1], b, [1, 2], [0, 2]) the first
# operand binds to it (a subscripts string is never differentiated, so it adds nothing otherwise)
deflinear(
    np.einsum,
    "subscripts, *operands, out=None, dtype=None, order='K', casting='safe', optimize=False",
    linear_in=("subscripts", "operands"),
)
defjvp(np.linalg.inv, "a", "-(ans @ da @ ans)")
defjvp(np.linalg.solve, "a, b", "rt.solve_jvp_a(np, a, da, ans, b)", "np.linalg.solve(a, db)")
defjvp(np.linalg.det, "a", "rt.det_jvp(np, a, da, ans)")
defjvp(np.linalg.slogdet, "a", "rt.slogdet_jvp(np, a, da, ans[0])")  # real logabsdet: Re tr(a^-1 da)
# (np.linalg.norm: rules/linalg_rules.py, with the decompositions it shares the SVD tangent with)
# ------------------------------------------------------------------ shape and indexing (all linear)
deflinear(np.reshape, "a, /, shape=None, order='C', *, newshape=None, copy=None", view=True)
deflinear(np.transpose, "a, axes=None", view=True)
deflinear(np.swapaxes, "a, axis1, axis2", view=True)
deflinear(np.moveaxis, "a, source, destination", view=True)
deflinear(np.expand_dims, "a, axis", view=True)
deflinear(np.squeeze, "a, axis=None", view=True)
deflinear(np.ravel, "a, order='C'", view=True)
defjvp(
    np.append,
    "arr, values, axis=None",
    "np.append(darr, np.zeros_like(values, dtype=ans.dtype), axis=axis)",
    "np.append(np.zeros_like(arr, dtype=ans.dtype), dvalues, axis=axis)",
)
deflinear(np.concatenate, "arrays, /, axis=0, out=None, *, dtype=None, casting='same_kind'")
deflinear(np.stack, "arrays, axis=0, out=None, *, dtype=None, casting='same_kind'")
deflinear(np.hstack, "tup, *, dtype=None, casting='same_kind'")
deflinear(np.vstack, "tup, *, dtype=None, casting='same_kind'")
deflinear(np.dstack, "tup")
deflinear(np.column_stack, "tup")
deflinear(np.split, "ary, indices_or_sections, axis=0", view=True)
deflinear(np.array_split, "ary, indices_or_sections, axis=0", view=True)
deflinear(np.hsplit, "ary, indices_or_sections", view=True)
deflinear(np.vsplit, "ary, indices_or_sections", view=True)
deflinear(np.dsplit, "ary, indices_or_sections", view=True)
deflinear(np.rollaxis, "a, axis, start=0", view=True)
deflinear(np.asanyarray, "a, dtype=None, order=None, *, like=None", view=True)
if hasattr(np, "matrix_transpose"):  # NumPy >= 2.0
    deflinear(np.matrix_transpose, "x, /", view=True)
deflinear(np.broadcast_to, "array, shape, subok=False", view=True)
deflinear(np.tile, "A, reps")
deflinear(np.repeat, "a, repeats, axis=None")
deflinear(np.flip, "m, axis=None")
deflinear(np.fliplr, "m")
deflinear(np.flipud, "m")
deflinear(np.rot90, "m, k=1, axes=(0, 1)")
deflinear(np.roll, "a, shift, axis=None")
deflinear(np.take, "a, indices, axis=None, out=None, mode='raise'")
deflinear(np.take_along_axis, "arr, indices, axis")
deflinear(np.diag, "v, k=0")
deflinear(np.diagonal, "a, offset=0, axis1=0, axis2=1", view=True)
deflinear(np.triu, "m, k=0")
deflinear(np.tril, "m, k=0")
defjvp(
    np.meshgrid,
    "*xi, copy=True, sparse=False, indexing='xy'",
    "np.meshgrid(*dxi, copy=copy, sparse=sparse, indexing=indexing)",
)
defjvp(np.atleast_1d, "*arys", "np.atleast_1d(*darys)", view=True)
defjvp(np.atleast_2d, "*arys", "np.atleast_2d(*darys)", view=True)
defjvp(np.atleast_3d, "*arys", "np.atleast_3d(*darys)", view=True)
defjvp(
    np.pad,
    "array, pad_width, mode='constant', *, stat_length=None, constant_values=0, end_values=0, reflect_type='even'",
    "rt.stats.pad_stat_jvp(np, array, darray, pad_width, mode, stat_length)"
    " if mode in ('maximum', 'minimum', 'median')"
    " else rt.pad_jvp(np, darray, pad_width, mode, stat_length, reflect_type)",
    None,
    None,
    None,
    "rt.pad_values_jvp(np, array, pad_width, 'constant', dconstant_values)",
    "rt.pad_values_jvp(np, array, pad_width, 'linear_ramp', dend_values)",
)
deflinear(stride_tricks.sliding_window_view, "x, window_shape, axis=None, *, subok=False, writeable=False")
# ------------------------------------------------------------------ creation and conversion
deflinear(np.array, "object, dtype=None, *, copy=True, order='K', subok=False, ndmin=0, like=None")
deflinear(np.asarray, "a, dtype=None, order=None, *, device=None, copy=None, like=None", view=True)
deflinear(np.ascontiguousarray, "a, dtype=None, *, like=None", view=True)
deflinear(np.copy, "a, order='K', subok=False")
deflinear(np.full, "shape, fill_value, dtype=None, order='C', *, device=None, like=None", linear_in=("fill_value",))
deflinear(
    np.full_like,
    "a, fill_value, dtype=None, order='K', subok=True, shape=None",
    linear_in=("fill_value",),
    constant=("a",),
)
deflinear(np.float64, "x=0")
deflinear(np.float32, "x=0")
deflinear(np.float16, "x=0")
deflinear(np.complex128, "x=0")
defjvp(
    np.arange,
    "start, stop=None, step=None, *, dtype=None, device=None, like=None",
    "rt.arange_dstart(np, dstart, ans, stop)",
    None,
    "rt.arange_dstep(np, dstep, ans)",
)
# linear in (start, stop) jointly; retstep=True: (samples, step), whose partials add as pairs
defjvp(
    np.linspace,
    "start, stop, num=50, endpoint=True, retstep=False, dtype=None, axis=0, *, device=None",
    "rt.stats.linspace_jvp(np, dstart, 0 * dstart, num, endpoint, retstep, dtype, axis)",
    "rt.stats.linspace_jvp(np, 0 * dstop, dstop, num, endpoint, retstep, dtype, axis)",
)
# ------------------------------------------------------------------ piecewise constant, shapes, creation, random draws
for _f in (
    np.argmax,
    np.argmin,
    np.argsort,
    np.floor,
    np.ceil,
    np.round,
    np.rint,
    np.trunc,
    np.fix,
    np.shape,
    np.ndim,
    np.size,
    np.isnan,
    np.isinf,
    np.isfinite,
    np.nonzero,
    np.flatnonzero,
    np.floor_divide,
    np.greater,
    np.greater_equal,
    np.less,
    np.less_equal,
    np.equal,
    np.not_equal,
    np.logical_and,
    np.logical_or,
    np.logical_not,
    np.logical_xor,
    np.allclose,
    np.isclose,
    np.array_equal,
    np.count_nonzero,
    np.searchsorted,
    np.digitize,
    np.any,
    np.all,
    np.zeros,
    np.ones,
    np.empty,
    np.zeros_like,
    np.ones_like,
    np.empty_like,
    np.eye,
    np.identity,
    np.int64,
    np.int32,
    np.int8,
    np.uint8,
    np.bool_,
    np.result_type,
    np.broadcast_shapes,
    np.unravel_index,
    np.ravel_multi_index,
    np.indices,
    np.tri,
    np.around,
):
    defzero(_f)
for _name in ("standard_normal", "rand", "randn", "randint", "random", "seed", "default_rng"):
    defzero(getattr(np.random, _name))
# draws from a distribution with differentiated parameters: the reparameterisation (the same draw,
# moved and scaled). permutation/shuffle/choice of differentiated arrays have no rule: an error, not a zero.
defjvp(np.random.normal, "loc=0.0, scale=1.0, size=None", "rt.expand(dloc, ans)", "(ans - loc) / scale * dscale")
defjvp(
    np.random.uniform,
    "low=0.0, high=1.0, size=None",
    "(high - ans) / (high - low) * dlow",
    "(ans - low) / (high - low) * dhigh",
)
defmethod("normal", "self, loc=0.0, scale=1.0, size=None", None, "rt.expand(dloc, ans)", "(ans - loc) / scale * dscale")
defmethod(
    "uniform",
    "self, low=0.0, high=1.0, size=None",
    None,
    "(high - ans) / (high - low) * dlow",
    "(ans - low) / (high - low) * dhigh",
)
# ------------------------------------------------------------------ array methods
defmethod_linear(
    "sum", "self, axis=None, dtype=None, out=None, keepdims=False, initial=0, where=True", offset=("initial",)
)
defmethod_linear("mean", "self, axis=None, dtype=None, out=None, keepdims=False, *, where=True")
defmethod_linear("reshape", "self, *shape, order='C'", view=True)
defmethod_linear("transpose", "self, *axes", view=True)
defmethod_linear("swapaxes", "self, axis1, axis2", view=True)
defmethod_linear("ravel", "self, order='C'", view=True)
defmethod_linear("flatten", "self, order='C'")
defmethod_linear("copy", "self, order='C'")
defmethod_linear("squeeze", "self, axis=None", view=True)
defmethod_linear("cumsum", "self, axis=None, dtype=None, out=None")
defmethod(
    "astype",
    "self, dtype, order='K', casting='unsafe', subok=True, copy=True",
    "rt.astype_tangent(dself, dtype, copy)",
    None,
    view=True,  # astype(dtype, copy=False) of the same dtype is the array itself
)
defmethod_linear("repeat", "self, repeats, axis=None")
defmethod_linear("take", "self, indices, axis=None, out=None, mode='raise'")
defmethod_linear("trace", "self, offset=0, axis1=0, axis2=1, dtype=None, out=None")
defmethod_linear("diagonal", "self, offset=0, axis1=0, axis2=1")
defmethod_linear("conj", "self")
defmethod_linear("conjugate", "self")
defmethod_linear("item", "self, *args")
defmethod_linear("tolist", "self")
defmethod_linear("dot", "self, b, out=None", linear_in=("self", "b"))
MEXT = "self, axis=None, out=None, keepdims=False, initial=None, where=True"
MVAR = "self, axis=None, dtype=None, out=None, ddof=0, keepdims=False, *, where=True, correction=None"
defmethod("max", MEXT, _ext("self"))
defmethod("min", MEXT, _ext("self"))
defmethod("prod", "self, axis=None, dtype=None, out=None, keepdims=False, initial=None, where=True", _prod("self"))
defmethod(
    "cumprod",
    "self, axis=None, dtype=None, out=None",
    "rt.stats.as_dtype(np, rt.stats.cumprod_jvp(np, self, dself, axis), dtype)",
)
defmethod("var", MVAR, _var("self"))
defmethod("std", MVAR, _std("self"))
defmethod(
    "clip",
    "self, min=None, max=None, out=None",
    "dself * (ans == self)",
    "rt.where_like(np, rt.clip_low(np, self, min, max), dmin, self)",
    "rt.where_like(np, rt.clip_high(np, self, min, max), dmax, self)",
)
for _m in ("argmax", "argmin", "argsort", "nonzero", "any", "all", "round"):
    defmethod_zero(_m)
# ------------------------------------------------------------------ array attributes
defattr_linear("T", view=True)
defattr_linear("mT", view=True)
defattr_linear("real", view=True)
defattr_linear("imag", view=True)
for _a in ("shape", "ndim", "size", "dtype", "itemsize", "nbytes", "strides", "device", "flags"):
    defattr_zero(_a)
