"""One or more small cases for EVERY registered JVP rule (tests/test_rules.py runs them and
tests/test_rule_coverage.py checks that none is missing).

``RULE_CASES`` is keyed like the registry: function rules by the callable object itself, method
rules by the method name, attribute rules by the attribute name. Each value is a list of
:class:`Case`: a module-level function that calls the op (the compiler transforms its source, so
these are real ``def``s), its (seeded) inputs and which arguments are differentiated.

For ``jvp`` / ``linear`` rules the JVP is checked against central finite differences for every
differentiated argument separately and for all of them jointly, and float32 inputs must give
float32 tangents close to the float64 ones. For ``zero`` rules the case's result must carry an
all-zero tangent although a differentiated value reaches the op.
"""

import builtins
import math
import operator

import numpy as np
from numpy.lib import stride_tricks

import tangent_fwd
from tangent_fwd import runtime as rt

_rng = np.random.default_rng(20261124)


class Case:
    """``fn(*args)``; ``diff``: indices of the differentiated arguments (default: every float or
    complex argument, or list/tuple of them). ``eps``/``rtol``/``atol`` tune the finite-difference
    check, ``f32`` the float32 check (None: only when an argument is a float64 array), ``value``
    whether the primal value is reproducible (False for random draws), ``seed`` a global NumPy seed
    set before every call (random draws with differentiated parameters)."""

    def __init__(self, fn, *args, diff=None, eps=1e-6, rtol=1e-6, atol=1e-8, f32=None, value=True, seed=None):
        self.fn, self.args, self.seed = fn, args, seed
        self.diff = tuple(diff) if diff is not None else tuple(i for i, a in enumerate(args) if _floaty(a))
        self.eps, self.rtol, self.atol, self.f32, self.value = eps, rtol, atol, f32, value

    @property
    def name(self):
        return self.fn.__name__

    def __repr__(self):
        return f"Case({self.name}, diff={self.diff})"


def _floaty(a):
    if isinstance(a, dict):
        return len(a) > 0 and all(_floaty(x) for x in a.values())
    if isinstance(a, (list, tuple)):
        return len(a) > 0 and all(_floaty(x) for x in a)
    if isinstance(a, np.ndarray):
        return a.dtype.kind in "fc"
    return isinstance(a, (float, complex, np.floating, np.complexfloating))


def C(fn, *args, **kw):
    return Case(fn, *args, **kw)


def Z(fn, *args, diff=(0,), **kw):
    """A case for a zero rule: ``diff`` names the differentiated argument that reaches the op."""
    return Case(fn, *args, diff=diff, **kw)


# ------------------------------------------------------------------ inputs
def a(*shape, lo=-1.0, hi=1.0):
    return _rng.uniform(lo, hi, shape)


def s(lo=-1.0, hi=1.0):
    return float(_rng.uniform(lo, hi))


def pos(*shape):
    return a(*shape, lo=0.5, hi=2.0)


def cplx(*shape):
    return a(*shape) + 1j * a(*shape)


def wellcond(n):
    return a(n, n, lo=-0.3, hi=0.3) + 2.0 * np.eye(n)


def distinct(*shape):
    """Entries well apart (no ties for max/min/sort), shuffled."""
    n = int(np.prod(shape)) if shape else 1
    v = np.linspace(-2.0, 2.0, n) + _rng.uniform(-0.05, 0.05, n)
    return _rng.permutation(v).reshape(shape)


# ================================================================== operators
def op_add(x, y):
    return x + y


def op_add_fn(x, y):
    return operator.add(x, y)


def op_sub(x, y):
    return x - y


def op_sub_fn(x, y):
    return operator.sub(x, y)


def op_mul(x, y):
    return x * y


def op_mul_fn(x, y):
    return operator.mul(x, y)


def op_truediv(x, y):
    return x / y


def op_truediv_fn(x, y):
    return operator.truediv(x, y)


def op_pow(x, y):
    return x**y


def op_pow_int(x):
    return x**3


def op_pow_fn(x, y):
    return operator.pow(x, y)


def op_matmul(x, y):
    return x @ y


def op_matmul_fn(x, y):
    return operator.matmul(x, y)


def op_mod(x, y):
    return x % y


def op_mod_fn(x, y):
    return operator.mod(x, y)


def op_neg(x):
    return -x


def op_neg_fn(x):
    return operator.neg(x)


def op_pos(x):
    return +x


def op_pos_fn(x):
    return operator.pos(x)


def op_floordiv(x, y):
    return operator.floordiv(x, y)


def op_floordiv_syntax(x, y):
    return x // y


def op_not(x):
    return operator.not_(x)


def op_invert(n):
    return operator.invert(n)


def op_and(n):
    return operator.and_(n, 3)


def op_or(n):
    return operator.or_(n, 3)


def op_xor(n):
    return operator.xor(n, 3)


def op_lshift(n):
    return operator.lshift(n, 2)


def op_rshift(n):
    return operator.rshift(n, 1)


# ================================================================== builtins
def b_abs(x):
    return abs(x)


def b_pow(x, y):
    return pow(x, y)


def b_pow_int(x):
    return pow(x, 2)


def b_sum(x, y):
    return sum([x, y])


def b_sum_start(x, y, z):
    return sum([x, y], z)


def b_sum_const_start(x):
    return sum([x, 2.0 * x], 5.0)


def b_sum_rows(X):
    return sum(X)


def b_sum_gen(xs):
    return sum(v * v for v in xs)


def b_float(x):
    return float(x[1])


def b_complex(x, y):
    return complex(x, y)


def b_complex_real(x):
    return complex(x)


def b_list(X):
    return list(X)


def b_dict(X):
    d = dict({"a": X, "b": X * 2.0})
    return d["a"] + d["b"]


def b_dict_pairs(x):
    d = dict([("w", x[0]), ("b", x[1] * x[2])])
    e = dict(enumerate([x[0], x[1] * 2.0]))
    return d["w"] * 2.0 + d["b"] + e[1]


def t_dict_tangent(t):
    return rt.dict_tangent({"a": 1.0, "b": 2.0}, {"a": t[0], "b": t[1]}, {"a": 1.0, "b": 2.0})["b"]


def b_sorted(x):
    return sorted([x[0], x[1] * 2.0, 0.5, x[2]])


def b_sorted_key(x):
    return sorted([x[0], x[1], x[2]], key=abs, reverse=True)


def m_prod(x):
    return math.prod([x[0], 3.0, x[1], x[2]])


def m_prod_start(x):
    return math.prod([x[0], x[1]], start=2.0)


def t_det_solve(t):
    return rt.det_solve(np, np.array([[2.0, 0.5], [0.3, 1.5]]), t)


def t_det_trace(t):
    return rt.det_trace(np, np.array([[2.0, 0.5], [0.3, 1.5]]), t)


def t_sinc_d(x):
    return rt.sinc_d(np, x, np.sinc(x))


def t_sinc_dd(x, s, d):
    return rt.sinc_dd(np, x, s, d)


def t_clip_masks(x):
    return rt.clip_low(np, x, 0.2, 0.8) * 1.0 + rt.clip_high(np, x, 0.2, 0.8) * 2.0


def t_seq_prod_jvp(t):
    return rt.seq_prod_jvp([1.5, 2.0, -0.5], [t[0], t[1], t[2]])


def t_sorted_jvp(t):
    return rt.sorted_jvp([1.5, -2.0, 0.5], [t[0], t[1], t[2]])


def b_tuple(X):
    return tuple(X)


def b_max(x, y):
    return max(x, y)


def b_max_seq(x, y, z):
    return max([x, y, z])


def b_min(x, y):
    return min(x, y)


def b_min_seq(x, y, z):
    return min([x, y, z])


def b_max_array(x):
    return max(x)


def b_min_key(x, y, z):
    return min([x, y, z], key=abs)


def b_zip(x, y):
    pairs = list(zip(x, y))
    return pairs[1][0] * pairs[2][1] + pairs[0][0]


def b_zip_loop(x, y):
    out = 0.0
    for a, b in zip(x, y):
        out = out + a * b
    return out


def b_enumerate(y):
    numbered = list(enumerate(y, 1))
    return numbered[2][1] * numbered[2][0] + numbered[0][1]


def b_divmod(x, y):
    return divmod(x, y)


def b_divmod_unpack(x, y):
    q, r = divmod(x, y)
    return r * 2.0 + q


def b_int(x):
    return int(x)


def b_round(x):
    return round(x)


def b_round_nd(x):
    return round(x, 2)


def b_len(x):
    return len(x)


def b_range(n):
    return list(range(n))


def b_bool(x):
    return bool(x)


def b_print(x):
    return print(x, end="")


def b_isinstance(x):
    return isinstance(x, float)


def b_type(x):
    return type(x)(2.0)


def b_str(x):
    return str(x)


def b_repr(x):
    return repr(x)


def b_any(x):
    return any(x)


def b_all(x):
    return all(x)


def b_hash(x):
    return hash(x)


def b_id(x):
    return id(x) * 0


def b_format(x):
    return format(x, ".3f")


# ================================================================== math
def m_sin(x):
    return math.sin(x)


def m_cos(x):
    return math.cos(x)


def m_tan(x):
    return math.tan(x)


def m_asin(x):
    return math.asin(x)


def m_acos(x):
    return math.acos(x)


def m_atan(x):
    return math.atan(x)


def m_atan2(y, x):
    return math.atan2(y, x)


def m_hypot(x, y):
    return math.hypot(x, y)


def m_sinh(x):
    return math.sinh(x)


def m_cosh(x):
    return math.cosh(x)


def m_tanh(x):
    return math.tanh(x)


def m_asinh(x):
    return math.asinh(x)


def m_acosh(x):
    return math.acosh(x)


def m_atanh(x):
    return math.atanh(x)


def m_exp(x):
    return math.exp(x)


def m_expm1(x):
    return math.expm1(x)


def m_log(x):
    return math.log(x)


def m_log_base(x, b):
    return math.log(x, b)


def m_log2(x):
    return math.log2(x)


def m_log10(x):
    return math.log10(x)


def m_log1p(x):
    return math.log1p(x)


def m_exp2(x):
    return math.exp2(x)


def m_cbrt(x):
    return math.cbrt(x)


def m_sqrt(x):
    return math.sqrt(x)


def m_pow(x, y):
    return math.pow(x, y)


def m_hypot3(x, y, z):
    return math.hypot(x, y, z)


def m_fmod(x, y):
    return math.fmod(x, y)


def m_fsum(x, y):
    return math.fsum([x, y, 0.5])


def m_erf(x):
    return math.erf(x)


def m_erfc(x):
    return math.erfc(x)


def m_fabs(x):
    return math.fabs(x)


def m_copysign(x, y):
    return math.copysign(x, y)


def m_degrees(x):
    return math.degrees(x)


def m_radians(x):
    return math.radians(x)


def m_floor(x):
    return math.floor(x)


def m_ceil(x):
    return math.ceil(x)


def m_trunc(x):
    return math.trunc(x)


def m_isnan(x):
    return math.isnan(x)


def m_isinf(x):
    return math.isinf(x)


def m_isfinite(x):
    return math.isfinite(x)


def m_isclose(x, y):
    return math.isclose(x, y)


# ================================================================== numpy elementwise
def n_sin(x):
    return np.sin(x)


def n_cos(x):
    return np.cos(x)


def n_tan(x):
    return np.tan(x)


def n_arcsin(x):
    return np.arcsin(x)


def n_arccos(x):
    return np.arccos(x)


def n_arctan(x):
    return np.arctan(x)


def n_arctan2(x, y):
    return np.arctan2(x, y)


def n_hypot(x, y):
    return np.hypot(x, y)


def n_deg2rad(x):
    return np.deg2rad(x)


def n_rad2deg(x):
    return np.rad2deg(x)


def n_degrees(x):
    return np.degrees(x)


def n_radians(x):
    return np.radians(x)


def n_sinh(x):
    return np.sinh(x)


def n_cosh(x):
    return np.cosh(x)


def n_tanh(x):
    return np.tanh(x)


def n_arcsinh(x):
    return np.arcsinh(x)


def n_arccosh(x):
    return np.arccosh(x)


def n_arctanh(x):
    return np.arctanh(x)


def n_exp(x):
    return np.exp(x)


def n_exp2(x):
    return np.exp2(x)


def n_expm1(x):
    return np.expm1(x)


def n_log(x):
    return np.log(x)


def n_log2(x):
    return np.log2(x)


def n_log10(x):
    return np.log10(x)


def n_log1p(x):
    return np.log1p(x)


def n_logaddexp(x, y):
    return np.logaddexp(x, y)


def n_logaddexp2(x, y):
    return np.logaddexp2(x, y)


def n_sqrt(x):
    return np.sqrt(x)


def n_cbrt(x):
    return np.cbrt(x)


def n_square(x):
    return np.square(x)


def n_reciprocal(x):
    return np.reciprocal(x)


def n_power(x, y):
    return np.power(x, y)


def n_power_int(x):
    return np.power(x, 3)


def n_float_power(x, y):
    return np.float_power(x, y)


def n_add(x, y):
    return np.add(x, y)


def n_add_bcast(x, y):
    return np.add(x, y)


def n_subtract(x, y):
    return np.subtract(x, y)


def n_multiply(x, y):
    return np.multiply(x, y)


def n_divide(x, y):
    return np.divide(x, y)


def n_negative(x):
    return np.negative(x)


def n_positive(x):
    return np.positive(x)


def n_absolute(x):
    return np.absolute(x)


def n_abs(x):
    return np.abs(x)


def n_fabs(x):
    return np.fabs(x)


def n_copysign(x, y):
    return np.copysign(x, y)


def r_ptp(x):
    return np.ptp(x)


def r_ptp_axis(x):
    return np.ptp(x, axis=1, keepdims=True)


def n_mod(x, y):
    return np.mod(x, y)


def n_remainder(x, y):
    return np.remainder(x, y)


def n_fmod(x, y):
    return np.fmod(x, y)


def n_maximum(x, y):
    return np.maximum(x, y)


def n_minimum(x, y):
    return np.minimum(x, y)


def n_fmax(x, y):
    return np.fmax(x, y)


def n_fmin(x, y):
    return np.fmin(x, y)


def n_heaviside(x, h):
    return np.heaviside(x, h)


def n_sinc(x):
    return np.sinc(x)


def n_where(x, y):
    return np.where(x > 0, x, y)


def n_where_const(x):
    return np.where(x > 0, x, 0.0)


def n_where_bcast(x, y):
    return np.where(x > 0, x, y)


def n_clip(x):
    return np.clip(x, -0.5, 0.5)


def n_clip_bounds(x, lo, hi):
    return np.clip(x, lo, hi)


def n_clip_kw(x, lo, hi):
    return np.clip(x, min=lo, max=hi)


def n_conj(z):
    return np.conj(z)


def n_conjugate(x):
    return np.conjugate(x)


def n_real(z):
    return np.real(z)


def n_imag(z):
    return np.imag(z)


# ================================================================== numpy reductions
def r_sum(x):
    return np.sum(x)


def r_sum_axis(x):
    return np.sum(x, axis=0)


def r_sum_keep(x):
    return np.sum(x, axis=1, keepdims=True)


def r_sum_axes(x):
    return np.sum(x, axis=(0, 2))


def r_sum_kwarg(x):
    return np.sum(a=x, axis=1)


def r_mean(x):
    return np.mean(x)


def r_mean_axis(x):
    return np.mean(x, axis=-1, keepdims=True)


def r_mean_where(x, m):
    return np.mean(x, axis=1, where=m)


def r_cumsum(x):
    return np.cumsum(x)


def r_cumsum_axis(x):
    return np.cumsum(x, axis=1)


def r_trace(x):
    return np.trace(x)


def r_trace_kw(x):
    return np.trace(x, offset=1)


def r_diff(x):
    return np.diff(x)


def r_diff_kw(x):
    return np.diff(x, n=2, axis=0)


def r_diff_prepend_const(x):
    return np.diff(x, prepend=5.0)


def r_diff_prepend_append(x, p, q):
    return np.diff(x, prepend=p, append=q)


def r_max(x):
    return np.max(x)


def r_max_axis(x):
    return np.max(x, axis=0)


def r_max_keep(x):
    return np.max(x, axis=1, keepdims=True)


def r_min(x):
    return np.min(x)


def r_min_axis(x):
    return np.min(x, axis=1, keepdims=True)


def r_amax(x):
    return np.amax(x, axis=0)


def r_amin(x):
    return np.amin(x, axis=1)


def r_nansum(x):
    return np.nansum(x)


def r_nansum_axis(x):
    return np.nansum(x, axis=0, keepdims=True)


def r_nanmean(x):
    return np.nanmean(x)


def r_nanmean_axis(x):
    return np.nanmean(x, axis=1)


def r_sort(x):
    return np.sort(x)


def r_sort_axis(x):
    return np.sort(x, axis=0)


def r_sort_flat(x):
    return np.sort(x, axis=None)


def r_median(x):
    return np.median(x)


def r_median_axis(x):
    return np.median(x, axis=0)


def r_median_keep(x):
    return np.median(x, axis=1, keepdims=True)


def r_median_keep_all(x):
    return np.median(x, keepdims=True)


def r_nan_to_num(x):
    return np.nan_to_num(x)


def r_prod(x):
    return np.prod(x)


def r_prod_axis(x):
    return np.prod(x, axis=1)


def r_prod_keep(x):
    return np.prod(x, axis=0, keepdims=True)


def r_prod_axes(x):
    return np.prod(x, axis=(0, 2))


def r_prod_axes_keep(x):
    return np.prod(x, axis=(-1, 1), keepdims=True)


def r_cumprod(x):
    return np.cumprod(x)


def r_cumprod_axis(x):
    return np.cumprod(x, axis=1)


def r_var(x):
    return np.var(x)


def r_var_kw(x):
    return np.var(x, axis=0, ddof=1, keepdims=True)


def r_std(x):
    return np.std(x)


def r_std_kw(x):
    return np.std(x, axis=1, ddof=1)


# ================================================================== numpy linear algebra
def l_dot(A, x):
    return np.dot(A, x)


def l_dot_mm(A, B):
    return np.dot(A, B)


def l_matmul(A, B):
    return np.matmul(A, B)


def l_vdot(x, y):
    return np.vdot(x, y)


def l_inner(x, y):
    return np.inner(x, y)


def l_outer(x, y):
    return np.outer(x, y)


def l_kron(A, B):
    return np.kron(A, B)


def l_convolve(x, y):
    return np.convolve(x, y)


def l_convolve_valid(x, y):
    return np.convolve(x, y, mode="valid")


def l_cross(x, y):
    return np.cross(x, y)


def l_tensordot(A, B):
    return np.tensordot(A, B, axes=1)


def l_einsum(A, B):
    return np.einsum("ij,jk->ik", A, B)


def l_einsum_one(A):
    return np.einsum("ii->", A)


def l_inv(A):
    return np.linalg.inv(A)


def l_solve(A, b):
    return np.linalg.solve(A, b)


def l_solve_mat(A, B):
    return np.linalg.solve(A, B)


def l_det(A):
    return np.linalg.det(A)


def l_slogdet(A):
    return np.linalg.slogdet(A)


def l_slogdet_unpack(A):
    sign, logdet = np.linalg.slogdet(A)
    return sign * logdet


def l_norm(x):
    return np.linalg.norm(x)


def l_norm_fro(A):
    return np.linalg.norm(A, "fro")


def l_norm_ord1(x):
    return np.linalg.norm(x, 1)


def l_norm_inf(x):
    return np.linalg.norm(x, np.inf)


def l_norm_ord3(x):
    return np.linalg.norm(x, ord=3)


def l_norm_axis(A):
    return np.linalg.norm(A, axis=1, keepdims=True)


def l_norm_kwarg(x):
    return np.linalg.norm(x=x, ord=2)


def l_norm_spectral(A):
    return np.linalg.norm(A, 2)


def l_norm_spectral_min(A):
    return np.linalg.norm(A, -2)


def l_norm_nuc(A):
    return np.linalg.norm(A, "nuc")


def l_norm_mat1(A):
    return np.linalg.norm(A, 1)


def l_norm_matinf(A):
    return np.linalg.norm(A, -np.inf)


def l_norm_batched(A):
    return np.linalg.norm(A, 2, axis=(0, 2))


def l_norm_batched_keep(A):
    return np.linalg.norm(A, "nuc", axis=(2, 0), keepdims=True)


def l_norm_mat_keep(A):
    return np.linalg.norm(A, np.inf, keepdims=True)


# ================================================================== numpy shapes and indexing
def sh_reshape(x):
    return np.reshape(x, (3, 2))


def sh_reshape_flat(x):
    return np.reshape(x, -1)


def sh_transpose(x):
    return np.transpose(x)


def sh_transpose_axes(x):
    return np.transpose(x, (1, 0, 2))


def sh_swapaxes(x):
    return np.swapaxes(x, 0, 2)


def sh_moveaxis(x):
    return np.moveaxis(x, 0, -1)


def sh_expand_dims(x):
    return np.expand_dims(x, axis=1)


def sh_squeeze(x):
    return np.squeeze(x)


def sh_squeeze_axis(x):
    return np.squeeze(x, axis=0)


def sh_ravel(x):
    return np.ravel(x)


def sh_append(x, y):
    return np.append(x, y)


def sh_append_axis(x, y):
    return np.append(x, y, axis=0)


def sh_concatenate(x, y):
    return np.concatenate([x, y])


def sh_concatenate_axis(x, y):
    return np.concatenate((x, y), axis=1)


def sh_stack(x, y):
    return np.stack([x, y])


def sh_stack_axis(x, y):
    return np.stack([x, y], axis=1)


def sh_hstack(x, y):
    return np.hstack([x, y])


def sh_vstack(x, y):
    return np.vstack([x, y])


def sh_dstack(x, y):
    return np.dstack([x, y])


def sh_column_stack(x, y):
    return np.column_stack([x, y])


def sh_split(x):
    return np.split(x, 2)


def sh_split_axis(x):
    return np.split(x, [1], axis=1)


def sh_array_split(x):
    return np.array_split(x, 3)


def sh_hsplit(x):
    return np.hsplit(x, 3)


def sh_vsplit(x):
    return np.vsplit(x, [1])


def sh_dsplit(x):
    return np.dsplit(x, 2)


def sh_rollaxis(x):
    return np.rollaxis(x, 2, 1)


def sh_asanyarray(x):
    return np.asanyarray(x) * 2.0


def sh_matrix_transpose(x):
    return np.matrix_transpose(x)


def sh_broadcast_to(x):
    return np.broadcast_to(x, (2, 3))


def sh_tile(x):
    return np.tile(x, (2, 1))


def sh_repeat(x):
    return np.repeat(x, 2, axis=0)


def sh_flip(x):
    return np.flip(x)


def sh_flip_axis(x):
    return np.flip(x, axis=1)


def sh_fliplr(x):
    return np.fliplr(x)


def sh_flipud(x):
    return np.flipud(x)


def sh_rot90(x):
    return np.rot90(x)


def sh_roll(x):
    return np.roll(x, 1)


def sh_roll_axis(x):
    return np.roll(x, -1, axis=0)


def sh_take(x):
    return np.take(x, [0, 2])


def sh_take_axis(x):
    return np.take(x, [1, 0, 1], axis=1)


def sh_take_along_axis(x, i):
    return np.take_along_axis(x, i, axis=1)


def sh_diag_vec(x):
    return np.diag(x)


def sh_diag_mat(x):
    return np.diag(x, k=1)


def sh_diagonal(x):
    return np.diagonal(x)


def sh_triu(x):
    return np.triu(x)


def sh_tril(x):
    return np.tril(x, k=-1)


def sh_meshgrid(x, y):
    return np.meshgrid(x, y)


def sh_meshgrid_ij(x, y):
    return np.meshgrid(x, y, indexing="ij")


def sh_atleast_1d(x):
    return np.atleast_1d(x)


def sh_atleast_2d(x):
    return np.atleast_2d(x)


def sh_atleast_2d_many(x, y):
    return np.atleast_2d(x, y)


def sh_atleast_3d(x):
    return np.atleast_3d(x)


def sh_atleast_3d_many(x, y):
    return np.atleast_3d(x, y)


def sh_pad(x):
    return np.pad(x, 1)


def sh_pad_const(x, c):
    return np.pad(x, (1, 2), constant_values=c)


def sh_pad_edge(x):
    return np.pad(x, 2, mode="edge")


def sh_pad_reflect(x):
    return np.pad(x, 2, mode="reflect")


def sh_pad_wrap(x):
    return np.pad(x, 1, mode="wrap")


def sh_pad_mean(x):
    return np.pad(x, 2, mode="mean")


def sh_pad_ramp(x, e):
    return np.pad(x, 2, mode="linear_ramp", end_values=e)


def sh_sliding_window_view(x):
    return stride_tricks.sliding_window_view(x, 3)


def sh_sliding_window_view_np(x):
    return np.lib.stride_tricks.sliding_window_view(x, (2, 2))


# ================================================================== numpy creation and conversion
def c_array(x, y):
    return np.array([x, y, 1.0])


def c_array_arr(x):
    return np.array(x)


def c_asarray(x):
    return np.asarray(x)


def c_asarray_list(x, y):
    return np.asarray([x, y])


def c_ascontiguousarray(x):
    return np.ascontiguousarray(x.T)


def c_copy(x):
    return np.copy(x)


def c_full(v):
    return np.full((2, 3), v)


def c_full_like(x, v):
    return np.full_like(x, v)


def c_float64(x):
    return np.float64(x)


def c_float32(x):
    return np.float32(x)


def c_float16(x):
    return np.float16(x)


def c_complex128(x):
    return np.complex128(x)


# ================================================================== numpy piecewise constant
def z_argmax(x):
    return np.argmax(x)


def z_argmin(x):
    return np.argmin(x, axis=0)


def z_argsort(x):
    return np.argsort(x)


def z_sign(x):
    return np.sign(x)


def z_floor(x):
    return np.floor(x)


def z_ceil(x):
    return np.ceil(x)


def z_round(x):
    return np.round(x, 1)


def z_around(x):
    return np.around(x)


def z_rint(x):
    return np.rint(x)


def z_trunc(x):
    return np.trunc(x)


def z_fix(x):
    return np.fix(x)


def z_shape(x):
    return np.shape(x)


def z_ndim(x):
    return np.ndim(x)


def z_size(x):
    return np.size(x)


def z_isnan(x):
    return np.isnan(x)


def z_isinf(x):
    return np.isinf(x)


def z_isfinite(x):
    return np.isfinite(x)


def z_nonzero(x):
    return np.nonzero(x)


def z_flatnonzero(x):
    return np.flatnonzero(x)


def z_floor_divide(x, y):
    return np.floor_divide(x, y)


def z_greater(x, y):
    return np.greater(x, y)


def z_greater_equal(x, y):
    return np.greater_equal(x, y)


def z_less(x, y):
    return np.less(x, y)


def z_less_equal(x, y):
    return np.less_equal(x, y)


def z_equal(x, y):
    return np.equal(x, y)


def z_not_equal(x, y):
    return np.not_equal(x, y)


def z_logical_and(x, y):
    return np.logical_and(x, y)


def z_logical_or(x, y):
    return np.logical_or(x, y)


def z_logical_not(x):
    return np.logical_not(x)


def z_logical_xor(x, y):
    return np.logical_xor(x, y)


def z_allclose(x, y):
    return np.allclose(x, y)


def z_isclose(x, y):
    return np.isclose(x, y)


def z_array_equal(x, y):
    return np.array_equal(x, y)


def z_count_nonzero(x):
    return np.count_nonzero(x)


def z_searchsorted(x, v):
    return np.searchsorted(x, v)


def z_digitize(v, x):
    return np.digitize(v, x)


def z_any(x):
    return np.any(x > 0)


def z_any_direct(x):
    return np.any(x)


def z_all(x):
    return np.all(x)


def z_zeros(n):
    return np.zeros(n)


def z_ones(n):
    return np.ones((n, 2))


def z_empty(n):
    return np.empty(n)


def z_zeros_like(x):
    return np.zeros_like(x)


def z_ones_like(x):
    return np.ones_like(x)


def z_empty_like(x):
    return np.empty_like(x)


def z_eye(n):
    return np.eye(n)


def z_identity(n):
    return np.identity(n)


def c_arange(x):
    return np.arange(x)


def c_arange_start_step(x, h):
    return np.arange(x, 3.0, h)


def c_linspace(x):
    return np.linspace(0.0, x, 5)


def c_linspace_both(x, y):
    return np.linspace(x, y, 4, endpoint=False)


def z_int64(x):
    return np.int64(x)


def z_int32(x):
    return np.int32(x)


def z_int8(x):
    return np.int8(x)


def z_uint8(x):
    return np.uint8(x)


def z_bool(x):
    return np.bool_(x)


def z_result_type(x):
    dt = np.result_type(x, 1.0)
    return np.zeros(2, dtype=dt)


def z_broadcast_shapes(n):
    return np.broadcast_shapes((n, 1), (1, 3))


def z_unravel_index(n):
    return np.unravel_index(n, (3, 4))


def z_ravel_multi_index(n):
    return np.ravel_multi_index(([n], [1]), (3, 4))


def z_indices(n):
    return np.indices((n, 2))


def z_tri(n):
    return np.tri(n)


def rnd_normal(loc, scale):
    return np.random.normal(loc, scale, 4)


def rnd_normal_loc(loc):
    return np.random.normal(loc)


def rnd_uniform(low, high):
    return np.random.uniform(low, high, 3)


def me_gen_normal(loc, scale):
    rng = np.random.default_rng(7)
    return rng.normal(loc, scale, size=3)


def me_gen_uniform(low, high):
    rng = np.random.default_rng(7)
    return rng.uniform(low, high)


def z_rand_standard_normal(n):
    return np.random.standard_normal(n)


def z_rand_rand(n):
    return np.random.rand(n)


def z_rand_randn(n):
    return np.random.randn(n)


def z_rand_randint(n):
    return np.random.randint(n)


def z_rand_random(n):
    return np.random.random(n)


def z_rand_seed(n):
    return np.random.seed(n)


def z_rand_default_rng(n):
    return np.random.default_rng(n).random(2)


# ================================================================== array methods
def me_sum(x):
    return x.sum()


def me_sum_kw(x):
    return x.sum(axis=0, keepdims=True)


def me_mean(x):
    return x.mean()


def me_mean_kw(x):
    return x.mean(axis=1, keepdims=True)


def me_reshape(x):
    return x.reshape(3, 2)


def me_reshape_tuple(x):
    return x.reshape((6,))


def me_transpose(x):
    return x.transpose()


def me_transpose_axes(x):
    return x.transpose(1, 0, 2)


def me_swapaxes(x):
    return x.swapaxes(0, 1)


def me_ravel(x):
    return x.ravel()


def me_flatten(x):
    return x.flatten()


def me_copy(x):
    return x.copy()


def me_squeeze(x):
    return x.squeeze()


def me_cumsum(x):
    return x.cumsum(axis=1)


def me_astype(x):
    return x.astype(np.complex128)


def me_astype_same(x):
    return x.astype(np.float64) * x


def me_astype_int(x):
    return x.astype(np.int64) * x


def me_repeat(x):
    return x.repeat(2, axis=1)


def me_take(x):
    return x.take([2, 0])


def me_trace(x):
    return x.trace()


def me_diagonal(x):
    return x.diagonal(offset=1)


def me_conj(z):
    return z.conj()


def me_conjugate(z):
    return z.conjugate()


def me_item(x):
    return x.item(1)


def me_tolist(x):
    return x.tolist()


def me_dot(A, B):
    return A.dot(B)


def me_max(x):
    return x.max()


def me_max_kw(x):
    return x.max(axis=0, keepdims=True)


def me_min(x):
    return x.min(axis=1)


def me_prod(x):
    return x.prod(axis=0)


def me_prod_all(x):
    return x.prod()


def me_prod_axes(x):
    return x.prod(axis=(1, 2), keepdims=True)


def me_cumprod(x):
    return x.cumprod(axis=1)


def me_var(x):
    return x.var(axis=0, ddof=1)


def me_std(x):
    return x.std()


def me_std_kw(x):
    return x.std(axis=1, keepdims=True)


def me_clip(x):
    return x.clip(-0.5, 0.5)


def me_clip_bounds(x, lo, hi):
    return x.clip(lo, hi)


def me_argmax(x):
    return x.argmax()


def me_argmin(x):
    return x.argmin(axis=0)


def me_argsort(x):
    return x.argsort()


def me_nonzero(x):
    return x.nonzero()


def me_any(x):
    return x.any()


def me_all(x):
    return x.all()


def me_round(x):
    return x.round(1)


def me_values(d):
    return sum(d.values())


def me_values_list(d):
    return list(d.values())


def me_items(d):
    pairs = list(d.items())
    return pairs[0][1] * 2.0 + pairs[1][1]


def me_items_loop(d):
    out = 0.0
    for k, v in d.items():
        out = out + v * len(k)
    return out


def me_get(d):
    return d.get("a") * 2.0


def me_get_missing(d):
    return d.get("zz", 1.5) + d["a"]


def me_get_default(d, v):
    return d.get("zz", v) * 2.0


def me_keys(d):
    return list(d.keys())


def me_index(xs):
    return xs.index(xs[1])


def me_count(xs):
    return xs.count(xs[0])


# ================================================================== array attributes
def at_T(x):
    return x.T


def at_mT(x):
    return x.mT


def at_real(z):
    return z.real


def at_imag(z):
    return z.imag


def at_shape(x):
    return x.shape


def at_ndim(x):
    return x.ndim


def at_size(x):
    return x.size


def at_dtype(x):
    return x.dtype.itemsize


def at_itemsize(x):
    return x.itemsize


def at_nbytes(x):
    return x.nbytes


def at_strides(x):
    return x.strides


def at_device(x):
    return x.device


def at_flags(x):
    return x.flags.writeable


# ================================================================== tangent_fwd's own functions and helpers
def t_stop_gradient(x):
    return tangent_fwd.stop_gradient(x) * 2.0


def t_zeros_like(x):
    return rt.zeros_like(x)


def t_sign(x):
    return rt.sign(x)


def t_fresh(x):
    return rt.fresh(x)


def t_fresh_full(x):
    return rt.fresh_full(x, np.zeros((4, 3)))


def t_own(x):
    return rt.own(x) * 2.0


def t_log(x):
    return rt.log(np, x)


def t_log_float(x):
    return rt.log(np, x)


def t_extremum_jvp(x, dx):
    return rt.extremum_jvp(np, x, dx, np.max(x, axis=0), axis=0)


def t_builtin_extremum_jvp(x, y, dx, dy):
    return rt.builtin_extremum_jvp([x, y], [dx, dy], max(x, y))


def t_var_jvp(x, dx):
    return rt.var_jvp(np, x, dx, axis=1)


def t_snapshot(x):
    return rt.snapshot(x)


def t_iset(t, v):
    return rt.iset(np.zeros(3), v) + 0.0 * t


def t_iset_value(v):
    return rt.iset(np.zeros(3), v)


def t_expand(t, ans):
    return rt.expand(t, ans)


def t_breshape(t):
    return rt.breshape(t, (3, 2))


def t_breshape_args(t):
    return rt.breshape(t, 6)


def t_bravel(t):
    return rt.bravel(t)


def t_basarray(t):
    return rt.basarray(np, t)


def t_where_like(x, t):
    return rt.where_like(np, x > 0, t, x)


def t_astype_tangent(t):
    return rt.astype_tangent(t, np.float64)


def t_items_tangent(x, y):
    return rt.items_tangent({"a": x, "b": y})


def t_seq_sum(x, y):
    return rt.seq_sum([x, y, x])


def t_tangent_tuple(x, y):
    return rt.TangentTuple((x, y))


def t_diff_jvp(x, t):
    return rt.diff_jvp(np, x, t, 1, -1, None, None, None, None)


def t_diff_jvp_prepend(x, t):
    return rt.diff_jvp(np, x, None, 1, -1, x[:1], t, None, None)


def t_pad_jvp(t):
    return rt.pad_jvp(np, t, 1, "edge")


def t_pad_values_jvp(x, t):
    return rt.pad_values_jvp(np, x, 1, "constant", t)


def t_sort_jvp(x, t):
    return rt.sort_jvp(np, x, t, -1)


def t_median_jvp(x, t):
    return rt.median_jvp(np, x, t, None, False)


def t_abs_jvp(x, t):
    return rt.abs_jvp(np, x, t)


def t_hypot_jvp(x, y, tx, ty):
    return rt.hypot_jvp((x, y), (tx, ty), math.hypot(x, y))


def t_det_jvp(x, t):
    return rt.det_jvp(np, x, t, np.linalg.det(x))


def t_zip_tangent(x, y):
    return list(rt.zip_tangent((x, y)))


def t_enumerate_tangent(x):
    return list(rt.enumerate_tangent(x))


def t_get_default_tangent(x, t):
    return rt.get_default_tangent({"a": x}, "zz", t) + rt.get_default_tangent({"a": x}, "a", t)


# ================================================================== the table
_A23 = a(2, 3)
_X = a(2, 3)
_I = np.array([[2, 0, 1], [1, 1, 0]])
_W = wellcond(3)
_NAN = a(3, 4)
_NAN[1, 2] = np.nan
_NAN[0, 0] = np.nan

# ------------------------------------------------------------------ issue 12 (soundness): complex, edge values, runtime helpers
# (inputs from their own generator, so the cases above keep their values)
_rng12 = np.random.default_rng(12)


def a12(*shape, lo=-1.0, hi=1.0):
    return _rng12.uniform(lo, hi, shape)


def c12(*shape):
    return a12(*shape) + 1j * a12(*shape)


def n_sign(x):
    return np.sign(x) * x


def n_var_c(z):
    return np.var(z, axis=0)


def n_std_c(z):
    return np.std(z, axis=1, ddof=1)


def n_std_one(x):
    return np.std(x[:1]) + np.var(x[1:2])


def me_std_c(z):
    return z.std()


def l_norm_c(z):
    return np.linalg.norm(z)


def l_norm_c_ord(z):
    return np.linalg.norm(z, ord=1) + np.linalg.norm(z, ord=3) + np.linalg.norm(z, ord=np.inf)


def l_norm_c_mat(z):
    return np.linalg.norm(z, ord="nuc") + np.linalg.norm(z, ord=2) + np.linalg.norm(z, ord=1)


def l_einsum_sublist(A, B):
    return np.einsum(A, [0, 1], B, [1, 2], [0, 2])


def l_solve_stacked(A, b):
    return np.linalg.solve(A, b)


def r_max_float(x):
    return np.max(x) + np.amin(x) + np.min(x) + np.amax(x)


def r_cumprod_long(x):
    return np.cumprod(x, axis=1)


def r_cumprod_axes(x):
    return np.cumprod(x, axis=0) + x.cumprod(axis=1)


def n_angle(z):
    return np.angle(z) + np.angle(z, deg=True) + np.angle(z.real)


def t_angle_jvp(z, t):
    return rt.angle_jvp(np, z, t)


def t_angle_jvp_dz(z, t, u):
    return rt.angle_jvp_dz(np, z, t, u, True)


def l_slogdet_c(z):
    sign, logabs = np.linalg.slogdet(z)
    return sign * logabs + logabs


def t_slogdet_jvp(a, t):
    sign, _ = np.linalg.slogdet(a)
    return rt.slogdet_jvp(np, a, t, sign)


def t_pow_dy(x, p):
    return rt.pow_dy(np, x, p)


def t_safe_div(n, d):
    return rt.safe_div(np, n, d)


def t_sign_jvp(x, t):
    return rt.sign_jvp(np, x, t)


def t_sign_jvp_dx(x, t, u):
    return rt.sign_jvp_dx(np, x, t, u)


def t_zero_unless_complex(x):
    return rt.zero_unless_complex(np, x, x, "nothing")


def t_norm_power(x):
    return rt.norm_power(None, x)


def t_std_jvp(x, t):
    return rt.std_jvp(np, x, t, np.std(x, axis=0), axis=0)


def t_norm_jvp(x, t):
    return rt.norm_jvp(np, x, t, np.linalg.norm(x))


def t_norm_jvp_p(x, t):
    return rt.norm_jvp(np, x, t, np.linalg.norm(x, ord=3), 3)


def t_norm_jvp2(x, t, u):
    return rt.norm_jvp2(np, x, t, u, np.linalg.norm(x))


def t_solve_jvp_a(A, t, b):
    return rt.solve_jvp_a(np, A, t, np.linalg.solve(A, b), b)


def t_prod_jvp(x, t):
    return rt.prod_jvp(np, x, t, np.prod(x, axis=1), axis=1)


def t_prod_jvp2(x, t, u):
    return rt.prod_jvp2(np, x, t, u, axis=0)


def t_cumprod_jvp(x, t):
    return rt.cumprod_jvp(np, x, t, np.cumprod(x, axis=1), axis=1)


def t_cumprod_jvp2(x, t, u):
    return rt.cumprod_jvp2(np, x, t, u)


def t_arange_dstart(d, start):
    return rt.arange_dstart(np, d, np.arange(start, 4.0), 4.0)


def t_arange_dstep(d, step):
    return rt.arange_dstep(np, d, np.arange(0.0, 2.0, step))


RULE_CASES = {
    # -------------------------------------------------------------- operators
    operator.add: [C(op_add, a(2, 3), a(2, 3)), C(op_add_fn, a(3), a(3)), C(op_add, s(), s())],
    operator.sub: [C(op_sub, a(2, 3), a(3)), C(op_sub_fn, s(), s())],
    operator.mul: [C(op_mul, a(2, 3), a(2, 3)), C(op_mul_fn, s(), a(3)), C(op_mul, s(), s())],
    operator.truediv: [C(op_truediv, a(2, 3), pos(2, 3)), C(op_truediv_fn, s(), s(0.5, 2.0))],
    operator.pow: [
        C(op_pow, pos(2, 3), a(2, 3)),
        C(op_pow_int, a(4)),
        C(op_pow_fn, s(0.5, 2.0), s()),
        C(op_pow, s(0.5, 2.0), s()),
    ],
    operator.matmul: [C(op_matmul, a(2, 3), a(3, 4)), C(op_matmul_fn, a(3, 3), a(3))],
    operator.mod: [
        C(op_mod, a(2, 3, lo=2.2, hi=2.8), a(2, 3, lo=0.97, hi=1.03)),
        C(op_mod_fn, s(5.2, 5.8), s(1.9, 2.1)),
    ],
    operator.neg: [C(op_neg, a(2, 3)), C(op_neg_fn, s())],
    operator.pos: [C(op_pos, a(2, 3)), C(op_pos_fn, s())],
    operator.floordiv: [Z(op_floordiv, a(3, lo=2.0, hi=5.0), 1.5), Z(op_floordiv_syntax, s(2, 5), 1.5)],
    operator.not_: [Z(op_not, s())],
    operator.invert: [Z(op_invert, 5)],
    operator.and_: [Z(op_and, 5)],
    operator.or_: [Z(op_or, 5)],
    operator.xor: [Z(op_xor, 5)],
    operator.lshift: [Z(op_lshift, 5)],
    operator.rshift: [Z(op_rshift, 5)],
    # -------------------------------------------------------------- builtins
    builtins.abs: [
        C(b_abs, s(0.2, 1.0)),
        C(b_abs, -s(0.2, 1.0)),
        C(b_abs, a(2, 3)),
        C(b_abs, complex(0.3, -0.8)),
        C(b_abs, c12(2, 3)),
    ],
    builtins.pow: [C(b_pow, s(0.5, 2.0), s()), C(b_pow_int, a(3))],
    builtins.sum: [
        C(b_sum, a(3), a(3)),
        C(b_sum_start, s(), s(), s()),
        C(b_sum_const_start, s()),
        C(b_sum_start, a(2), a(2), a(2)),
        C(b_sum_rows, a(3, 2)),
        C(b_sum_gen, [s(), s(), s()]),
    ],
    builtins.float: [C(b_float, a(3))],
    builtins.complex: [C(b_complex, s(), s()), C(b_complex_real, s())],
    builtins.list: [C(b_list, a(3, 2))],
    builtins.tuple: [C(b_tuple, a(2, 3))],
    builtins.dict: [C(b_dict, a(2, 3)), C(b_dict_pairs, a(3))],
    rt.dict_tangent: [C(t_dict_tangent, a(2))],
    builtins.sorted: [C(b_sorted, a(3)), C(b_sorted_key, a(3))],
    math.prod: [C(m_prod, a(3)), C(m_prod_start, a(2))],
    rt.seq_prod_jvp: [C(t_seq_prod_jvp, a(3))],
    rt.sinc_d: [C(t_sinc_d, a(4))],
    rt.sinc_dd: [C(t_sinc_dd, np.array([0.0, 0.3, -1.2, 2.5]), a(4), a(4), diff=(1, 2))],
    rt.clip_low: [C(t_clip_masks, a(5))],
    rt.clip_high: [C(t_clip_masks, a(5))],
    rt.det_solve: [C(t_det_solve, a(2, 2))],
    rt.det_trace: [C(t_det_trace, a(2, 2))],
    rt.sorted_jvp: [C(t_sorted_jvp, a(3))],
    builtins.max: [C(b_max, 0.3, -0.4), C(b_max, -0.3, 0.4), C(b_max_seq, 0.1, 0.9, -0.5), C(b_max_array, distinct(4))],
    builtins.min: [C(b_min, 0.3, -0.4), C(b_min_seq, 0.1, 0.9, -0.5), C(b_min_key, 0.7, -0.2, 0.9)],
    builtins.zip: [C(b_zip, a(3), a(3)), C(b_zip_loop, a(3), a(3))],
    builtins.enumerate: [C(b_enumerate, a(3))],
    builtins.divmod: [
        C(b_divmod, s(5.2, 5.8), s(1.9, 2.1)),
        C(b_divmod_unpack, s(5.2, 5.8), s(1.9, 2.1)),
        C(b_divmod, a(3, lo=5.2, hi=5.8), 2.0),
        C(b_divmod, s(5.2, 5.8), a(3, lo=1.9, hi=2.1)),
    ],
    builtins.int: [Z(b_int, 2.7)],
    builtins.round: [Z(b_round, 2.7), Z(b_round_nd, 2.7182)],
    builtins.len: [Z(b_len, a(4))],
    builtins.range: [Z(b_range, 3)],
    builtins.bool: [Z(b_bool, 0.5)],
    builtins.print: [Z(b_print, 0.5)],
    builtins.isinstance: [Z(b_isinstance, 0.5)],
    builtins.type: [Z(b_type, 0.5)],
    builtins.str: [Z(b_str, 0.5)],
    builtins.repr: [Z(b_repr, 0.5)],
    builtins.any: [Z(b_any, a(3))],
    builtins.all: [Z(b_all, a(3))],
    builtins.hash: [Z(b_hash, 0.5)],
    builtins.id: [Z(b_id, 0.5)],
    builtins.format: [Z(b_format, 0.5)],
    # -------------------------------------------------------------- math
    math.sin: [C(m_sin, s())],
    math.cos: [C(m_cos, s())],
    math.tan: [C(m_tan, s())],
    math.asin: [C(m_asin, s(-0.8, 0.8))],
    math.acos: [C(m_acos, s(-0.8, 0.8))],
    math.atan: [C(m_atan, s(-2, 2))],
    math.atan2: [C(m_atan2, s(), s(0.5, 1.0)), C(m_atan2, s(), -s(0.5, 1.0))],
    math.hypot: [C(m_hypot, s(0.2, 1), -s(0.2, 1)), C(m_hypot3, s(0.2, 1), -s(0.2, 1), s(0.2, 1))],
    math.fmod: [C(m_fmod, s(5.2, 5.8), s(1.9, 2.1)), C(m_fmod, -s(5.2, 5.8), s(1.9, 2.1))],
    math.fsum: [C(m_fsum, s(), s())],
    math.sinh: [C(m_sinh, s())],
    math.cosh: [C(m_cosh, s())],
    math.tanh: [C(m_tanh, s())],
    math.asinh: [C(m_asinh, s(-2, 2))],
    math.acosh: [C(m_acosh, s(1.5, 3))],
    math.atanh: [C(m_atanh, s(-0.8, 0.8))],
    math.exp: [C(m_exp, s())],
    math.expm1: [C(m_expm1, s())],
    math.log: [C(m_log, s(0.5, 2)), C(m_log_base, s(0.5, 2), s(2, 4))],
    math.log2: [C(m_log2, s(0.5, 2))],
    math.log10: [C(m_log10, s(0.5, 2))],
    math.log1p: [C(m_log1p, s(-0.5, 2))],
    # math.exp2 and math.cbrt exist from Python 3.11 (and are registered only there)
    **(
        {math.exp2: [C(m_exp2, s())], math.cbrt: [C(m_cbrt, s(0.5, 2)), C(m_cbrt, -s(0.5, 2))]}
        if hasattr(math, "exp2")
        else {}
    ),
    math.sqrt: [C(m_sqrt, s(0.5, 2))],
    math.pow: [C(m_pow, s(0.5, 2), s())],
    math.erf: [C(m_erf, s())],
    math.erfc: [C(m_erfc, s())],
    math.fabs: [C(m_fabs, s(0.2, 1)), C(m_fabs, -s(0.2, 1))],
    math.copysign: [C(m_copysign, s(0.2, 1), -s(0.2, 1)), C(m_copysign, -s(0.2, 1), s(0.2, 1))],
    math.degrees: [C(m_degrees, s())],
    math.radians: [C(m_radians, s())],
    math.floor: [Z(m_floor, 2.5)],
    math.ceil: [Z(m_ceil, 2.5)],
    math.trunc: [Z(m_trunc, 2.5)],
    math.isnan: [Z(m_isnan, 2.5)],
    math.isinf: [Z(m_isinf, 2.5)],
    math.isfinite: [Z(m_isfinite, 2.5)],
    math.isclose: [Z(m_isclose, 2.5, 2.5, diff=(0, 1))],
    # -------------------------------------------------------------- numpy elementwise
    np.sin: [C(n_sin, a(2, 3)), C(n_sin, s())],
    np.cos: [C(n_cos, a(2, 3))],
    np.tan: [C(n_tan, a(2, 3))],
    np.arcsin: [C(n_arcsin, a(2, 3, lo=-0.8, hi=0.8))],
    np.arccos: [C(n_arccos, a(2, 3, lo=-0.8, hi=0.8))],
    np.arctan: [C(n_arctan, a(2, 3, lo=-2, hi=2))],
    np.arctan2: [C(n_arctan2, a(2, 3), a(2, 3)), C(n_arctan2, a(2, 3), 0.7)],
    np.hypot: [C(n_hypot, a(2, 3), a(2, 3))],
    np.deg2rad: [C(n_deg2rad, a(2, 3))],
    np.rad2deg: [C(n_rad2deg, a(2, 3))],
    np.degrees: [C(n_degrees, a(2, 3))],
    np.radians: [C(n_radians, a(2, 3))],
    np.sinh: [C(n_sinh, a(2, 3))],
    np.cosh: [C(n_cosh, a(2, 3))],
    np.tanh: [C(n_tanh, a(2, 3))],
    np.arcsinh: [C(n_arcsinh, a(2, 3, lo=-2, hi=2))],
    np.arccosh: [C(n_arccosh, a(2, 3, lo=1.5, hi=3))],
    np.arctanh: [C(n_arctanh, a(2, 3, lo=-0.8, hi=0.8))],
    np.exp: [C(n_exp, a(2, 3)), C(n_exp, s())],
    np.exp2: [C(n_exp2, a(2, 3))],
    np.expm1: [C(n_expm1, a(2, 3))],
    np.log: [C(n_log, pos(2, 3)), C(n_log, s(0.5, 2))],
    np.log2: [C(n_log2, pos(2, 3))],
    np.log10: [C(n_log10, pos(2, 3))],
    np.log1p: [C(n_log1p, a(2, 3, lo=-0.5, hi=2))],
    np.logaddexp: [C(n_logaddexp, a(2, 3), a(2, 3))],
    np.logaddexp2: [C(n_logaddexp2, a(2, 3), a(2, 3))],
    np.sqrt: [C(n_sqrt, pos(2, 3))],
    np.cbrt: [C(n_cbrt, a(2, 3, lo=0.3, hi=2)), C(n_cbrt, -pos(3))],
    np.square: [C(n_square, a(2, 3))],
    np.reciprocal: [C(n_reciprocal, pos(2, 3))],
    np.power: [C(n_power, pos(2, 3), a(2, 3)), C(n_power_int, a(2, 3)), C(n_power, 1.3, a(3))],
    np.float_power: [C(n_float_power, pos(2, 3), a(2, 3))],
    np.add: [C(n_add, a(2, 3), a(2, 3)), C(n_add_bcast, a(2, 3), a(3)), C(n_add, a(3), 2.0)],
    np.subtract: [C(n_subtract, a(2, 3), a(2, 3)), C(n_subtract, 1.5, a(3))],
    np.multiply: [C(n_multiply, a(2, 3), a(2, 3)), C(n_multiply, a(2, 3), a(3))],
    np.divide: [C(n_divide, a(2, 3), pos(2, 3)), C(n_divide, 1.0, pos(3))],
    np.negative: [C(n_negative, a(2, 3))],
    np.positive: [C(n_positive, a(2, 3))],
    np.absolute: [C(n_absolute, distinct(2, 3)), C(n_abs, distinct(4)), C(n_abs, cplx(2, 3)), C(n_abs, s(0.2, 1))],
    np.fabs: [C(n_fabs, distinct(2, 3))],
    np.copysign: [C(n_copysign, distinct(2, 3), distinct(2, 3)), C(n_copysign, distinct(3), 0.5)],
    np.ptp: [C(r_ptp, distinct(2, 3)), C(r_ptp_axis, distinct(3, 4))],
    np.remainder: [
        C(n_mod, a(2, 3, lo=2.2, hi=2.8), a(2, 3, lo=0.97, hi=1.03)),
        C(n_remainder, a(3, lo=-2.8, hi=-2.2), 1.0),
    ],
    np.fmod: [
        C(n_fmod, a(2, 3, lo=2.2, hi=2.8), a(2, 3, lo=0.97, hi=1.03)),
        C(n_fmod, a(3, lo=-2.8, hi=-2.2), a(3, lo=0.97, hi=1.03)),
    ],
    # f32=False: a differentiated Python-float x2 with float32 x1 gives a float64 tangent
    # (np.where(cond, dx2, 0) with a Python-float dx2); the template is in the golden files, left as is
    np.maximum: [C(n_maximum, distinct(2, 3), distinct(2, 3)), C(n_maximum, distinct(4), 0.01, f32=False)],
    np.minimum: [C(n_minimum, distinct(2, 3), distinct(2, 3)), C(n_minimum, distinct(4), 0.01, f32=False)],
    np.fmax: [C(n_fmax, distinct(2, 3), distinct(2, 3))],
    np.fmin: [C(n_fmin, distinct(2, 3), distinct(2, 3))],
    np.heaviside: [
        C(n_heaviside, np.array([-1.0, 0.0, 2.0, 0.0]), a(4), diff=(1,)),
        C(n_heaviside, np.array([-1.0, 0.0, 2.0]), 0.5, diff=(1,)),
        C(n_heaviside, np.array([-1.0, 0.5, 2.0]), 0.5),
    ],
    np.sinc: [C(n_sinc, np.array([0.0, 0.3, -1.2, 2.5])), C(n_sinc, a(2, 3))],
    np.where: [
        C(n_where, distinct(2, 3), a(2, 3)),
        C(n_where_const, distinct(5)),
        C(n_where_bcast, distinct(3), a(2, 3)),
    ],
    np.clip: [
        C(n_clip, distinct(6)),
        C(n_clip_bounds, np.array([-2.0, 0.1, 2.0, -0.1]), np.full(4, -0.5), np.full(4, 0.5)),
        # np.clip's min=/max= keywords exist from NumPy 2.1
        *(
            [C(n_clip_kw, np.array([-2.0, 0.1, 2.0, -0.1]), np.full(4, -0.5), np.full(4, 0.5))]
            if np.lib.NumpyVersion(np.__version__) >= "2.1.0"
            else []
        ),
    ],
    np.conjugate: [C(n_conj, cplx(2, 3)), C(n_conjugate, a(2, 3))],
    np.angle: [C(n_angle, c12(2, 3))],
    np.real: [C(n_real, cplx(2, 3)), C(n_real, a(3))],
    np.imag: [C(n_imag, cplx(2, 3))],
    # -------------------------------------------------------------- reductions
    np.sum: [
        C(r_sum, a(2, 3)),
        C(r_sum_axis, a(2, 3)),
        C(r_sum_keep, a(2, 3)),
        C(r_sum_axes, a(2, 3, 4)),
        C(r_sum_kwarg, a(2, 3)),
    ],
    np.mean: [
        C(r_mean, a(2, 3)),
        C(r_mean_axis, a(2, 3)),
        C(r_mean_where, a(2, 3), np.array([[True, False, True], [False, True, True]])),
    ],
    np.cumsum: [C(r_cumsum, a(2, 3)), C(r_cumsum_axis, a(2, 3))],
    np.trace: [C(r_trace, a(3, 3)), C(r_trace_kw, a(3, 4))],
    np.diff: [
        C(r_diff, a(5)),
        C(r_diff_kw, a(4, 3)),
        C(r_diff_prepend_const, a(4)),
        C(r_diff_prepend_append, a(2, 3), a(2, 1), a(2, 2)),
    ],
    np.max: [
        C(r_max, distinct(2, 3)),
        C(r_max_axis, distinct(2, 3)),
        C(r_max_keep, distinct(2, 3)),
        C(r_max_float, 0.7),
        C(r_max_float, np.float64(-0.2)),
    ],
    np.min: [C(r_min, distinct(2, 3)), C(r_min_axis, distinct(2, 3))],
    np.amax: [C(r_amax, distinct(2, 3))],
    np.amin: [C(r_amin, distinct(2, 3))],
    np.nansum: [C(r_nansum, _NAN), C(r_nansum_axis, _NAN)],
    np.nanmean: [C(r_nanmean, _NAN), C(r_nanmean_axis, _NAN)],
    np.median: [
        C(r_median, distinct(5)),
        C(r_median, distinct(2, 3)),
        C(r_median_axis, distinct(4, 3)),
        C(r_median_keep, distinct(2, 3)),
        C(r_median_keep_all, distinct(2, 3)),
    ],
    np.nan_to_num: [C(r_nan_to_num, _NAN), C(r_nan_to_num, a(3))],
    np.sort: [C(r_sort, distinct(2, 4)), C(r_sort_axis, distinct(3, 2)), C(r_sort_flat, distinct(2, 3))],
    np.prod: [
        C(r_prod, a(2, 3)),
        C(r_prod_axis, a(2, 3)),
        C(r_prod_keep, a(2, 3)),
        C(r_prod_axes, a(2, 3, 4)),
        C(r_prod_axes_keep, a(2, 3, 4)),
        C(r_prod, np.array([1.5, 0.0, -0.7, 2.0])),
        C(r_prod, np.array([0.0, 0.0, 0.5])),
    ],
    np.cumprod: [
        C(r_cumprod, a(5)),
        C(r_cumprod_axis, a(2, 3)),
        C(r_cumprod, np.array([1.5, 0.0, -0.7, 2.0])),
        C(r_cumprod, np.array([0.0, 1.5, 0.0, -0.7, 2.0, 0.0, 1.1])),
        C(r_cumprod_long, a12(2, 11, lo=0.7, hi=1.3)),
        C(r_cumprod_axes, a12(3, 4)),
    ],
    np.var: [C(r_var, a(2, 3)), C(r_var_kw, a(3, 4)), C(n_var_c, c12(3, 2))],
    np.std: [C(r_std, a(2, 3)), C(r_std_kw, a(3, 4)), C(n_std_c, c12(2, 4)), C(n_std_one, a12(3))],
    # -------------------------------------------------------------- linear algebra
    np.dot: [C(l_dot, a(2, 3), a(3)), C(l_dot_mm, a(2, 3), a(3, 2)), C(l_dot, a(3), a(3))],
    np.matmul: [C(l_matmul, a(2, 3), a(3, 4)), C(l_matmul, a(2, 2, 3), a(3, 2))],
    np.vdot: [C(l_vdot, a(2, 3), a(2, 3))],
    np.inner: [C(l_inner, a(3), a(3)), C(l_inner, a(2, 3), a(4, 3))],
    np.outer: [C(l_outer, a(3), a(2))],
    np.kron: [C(l_kron, a(2, 2), a(2, 3))],
    np.convolve: [C(l_convolve, a(4), a(3)), C(l_convolve_valid, a(5), a(3))],
    np.cross: [C(l_cross, a(3), a(3)), C(l_cross, a(2, 3), a(2, 3))],
    np.tensordot: [C(l_tensordot, a(2, 3), a(3, 4))],
    np.einsum: [C(l_einsum, a(2, 3), a(3, 4)), C(l_einsum_one, a(3, 3)), C(l_einsum_sublist, a12(2, 3), a12(3, 4))],
    np.linalg.inv: [C(l_inv, _W)],
    np.linalg.solve: [
        C(l_solve, wellcond(3), a(3)),
        C(l_solve_mat, wellcond(3), a(3, 2)),
        C(l_solve_stacked, np.stack([wellcond(3), wellcond(3)]), a12(3)),
        C(l_solve_stacked, np.stack([wellcond(3), wellcond(3)]), a12(2, 3, 2)),
    ],
    np.linalg.det: [
        C(l_det, wellcond(3)),
        C(l_det, a(2, 3, 3)),
        C(l_det, np.array([[1.0, 2.0, 0.5], [2.0, 4.0, 1.0], [0.3, -0.7, 1.1]])),  # singular
        C(l_det, np.array([[1.0, 2.0], [2.0, 4.0]])),
    ],
    np.linalg.slogdet: [
        C(l_slogdet, wellcond(3)),
        C(l_slogdet_unpack, -wellcond(3)),
        C(l_slogdet_c, c12(3, 3) + 2.0 * np.eye(3)),
    ],
    np.linalg.norm: [
        C(l_norm, a(4)),
        C(l_norm, a(2, 3)),
        C(l_norm_fro, a(2, 3)),
        C(l_norm_ord1, distinct(4)),
        C(l_norm_inf, distinct(4)),
        C(l_norm_ord3, distinct(4)),
        C(l_norm_axis, a(2, 3)),
        C(l_norm_kwarg, a(4)),
        C(l_norm_spectral, a(3, 4)),
        C(l_norm_spectral_min, a(3, 4)),
        C(l_norm_nuc, a(3, 4)),
        C(l_norm_mat1, a(3, 4)),
        C(l_norm_matinf, a(3, 4)),
        C(l_norm_batched, a(3, 2, 4)),
        C(l_norm_batched_keep, a(3, 2, 4)),
        C(l_norm_mat_keep, a(3, 4)),
        C(l_norm_c, c12(4)),
        C(l_norm_c, c12(2, 3)),
        C(l_norm_c_ord, c12(4)),
        C(l_norm_c_mat, c12(3, 2)),
    ],
    # -------------------------------------------------------------- shapes and indexing
    np.reshape: [C(sh_reshape, a(2, 3)), C(sh_reshape_flat, a(2, 3))],
    np.transpose: [C(sh_transpose, a(2, 3)), C(sh_transpose_axes, a(2, 3, 4))],
    np.swapaxes: [C(sh_swapaxes, a(2, 3, 4))],
    np.moveaxis: [C(sh_moveaxis, a(2, 3, 4))],
    np.expand_dims: [C(sh_expand_dims, a(2, 3))],
    np.squeeze: [C(sh_squeeze, a(1, 3, 1)), C(sh_squeeze_axis, a(1, 3))],
    np.ravel: [C(sh_ravel, a(2, 3))],
    np.append: [C(sh_append, a(3), a(2)), C(sh_append_axis, a(2, 3), a(1, 3)), C(sh_append, a(3), 1.5)],
    np.concatenate: [C(sh_concatenate, a(3), a(2)), C(sh_concatenate_axis, a(2, 3), a(2, 1))],
    np.stack: [C(sh_stack, a(3), a(3)), C(sh_stack_axis, a(2, 3), a(2, 3))],
    np.hstack: [C(sh_hstack, a(3), a(2))],
    np.vstack: [C(sh_vstack, a(3), a(3))],
    np.dstack: [C(sh_dstack, a(2, 3), a(2, 3))],
    np.column_stack: [C(sh_column_stack, a(3), a(3))],
    np.split: [C(sh_split, a(4)), C(sh_split_axis, a(2, 3))],
    np.array_split: [C(sh_array_split, a(5))],
    np.hsplit: [C(sh_hsplit, a(2, 3))],
    np.vsplit: [C(sh_vsplit, a(3, 2))],
    np.dsplit: [C(sh_dsplit, a(2, 1, 4))],
    np.rollaxis: [C(sh_rollaxis, a(2, 3, 4))],
    np.asanyarray: [C(sh_asanyarray, a(3))],
    np.broadcast_to: [C(sh_broadcast_to, a(3))],
    np.tile: [C(sh_tile, a(2, 3))],
    np.repeat: [C(sh_repeat, a(2, 3))],
    np.flip: [C(sh_flip, a(2, 3)), C(sh_flip_axis, a(2, 3))],
    np.fliplr: [C(sh_fliplr, a(2, 3))],
    np.flipud: [C(sh_flipud, a(2, 3))],
    np.rot90: [C(sh_rot90, a(2, 3))],
    np.roll: [C(sh_roll, a(2, 3)), C(sh_roll_axis, a(2, 3))],
    np.take: [C(sh_take, a(2, 3)), C(sh_take_axis, a(2, 3))],
    np.take_along_axis: [C(sh_take_along_axis, a(2, 3), _I)],
    np.diag: [C(sh_diag_vec, a(3)), C(sh_diag_mat, a(3, 3))],
    np.diagonal: [C(sh_diagonal, a(3, 3))],
    np.triu: [C(sh_triu, a(3, 3))],
    np.tril: [C(sh_tril, a(3, 3))],
    np.meshgrid: [C(sh_meshgrid, a(2), a(3)), C(sh_meshgrid_ij, a(2), a(3))],
    np.atleast_1d: [C(sh_atleast_1d, s()), C(sh_atleast_1d, a(3))],
    np.atleast_2d: [C(sh_atleast_2d, a(3)), C(sh_atleast_2d_many, a(3), a(2))],
    np.atleast_3d: [C(sh_atleast_3d, a(3)), C(sh_atleast_3d_many, a(3), a(2, 2))],
    np.pad: [
        C(sh_pad, a(2, 3)),
        C(sh_pad_const, a(3), s()),
        C(sh_pad_edge, a(4)),
        C(sh_pad_reflect, a(4)),
        C(sh_pad_wrap, a(2, 3)),
        C(sh_pad_mean, a(4)),
        C(sh_pad_ramp, a(4), s()),
    ],
    stride_tricks.sliding_window_view: [C(sh_sliding_window_view, a(5)), C(sh_sliding_window_view_np, a(3, 3))],
    # -------------------------------------------------------------- creation and conversion
    np.array: [C(c_array, s(), s()), C(c_array_arr, a(2, 3))],
    np.asarray: [C(c_asarray, a(2, 3)), C(c_asarray_list, s(), s())],
    np.ascontiguousarray: [C(c_ascontiguousarray, a(2, 3))],
    np.copy: [C(c_copy, a(2, 3))],
    np.full: [C(c_full, s())],
    np.full_like: [C(c_full_like, a(2, 3), s())],
    np.float64: [C(c_float64, s()), C(c_float64, np.float64(0.3))],
    np.float32: [C(c_float32, s(), eps=1e-2, rtol=1e-4, atol=1e-6)],
    np.float16: [C(c_float16, s(), eps=1e-1, rtol=2e-2, atol=1e-3)],
    np.complex128: [C(c_complex128, s())],
    # -------------------------------------------------------------- piecewise constant
    np.argmax: [Z(z_argmax, distinct(5))],
    np.argmin: [Z(z_argmin, distinct(2, 3))],
    np.argsort: [Z(z_argsort, distinct(5))],
    np.sign: [Z(z_sign, a(5)), C(z_sign, c12(5)), C(n_sign, c12(2, 3))],
    np.floor: [Z(z_floor, a(5, lo=-3, hi=3))],
    np.ceil: [Z(z_ceil, a(5, lo=-3, hi=3))],
    np.round: [Z(z_round, a(5, lo=-3, hi=3))],
    np.around: [Z(z_around, a(5, lo=-3, hi=3))],
    np.rint: [Z(z_rint, a(5, lo=-3, hi=3))],
    np.trunc: [Z(z_trunc, a(5, lo=-3, hi=3))],
    np.fix: [Z(z_fix, a(5, lo=-3, hi=3))],
    np.shape: [Z(z_shape, a(2, 3))],
    np.ndim: [Z(z_ndim, a(2, 3))],
    np.size: [Z(z_size, a(2, 3))],
    np.isnan: [Z(z_isnan, _NAN)],
    np.isinf: [Z(z_isinf, a(3))],
    np.isfinite: [Z(z_isfinite, _NAN)],
    np.nonzero: [Z(z_nonzero, np.array([0.0, 1.5, 0.0, -2.0]))],
    np.flatnonzero: [Z(z_flatnonzero, np.array([0.0, 1.5, 0.0, -2.0]))],
    np.floor_divide: [Z(z_floor_divide, a(4, lo=2, hi=5), a(4, lo=0.9, hi=1.1), diff=(0, 1))],
    np.greater: [Z(z_greater, a(4), a(4), diff=(0, 1))],
    np.greater_equal: [Z(z_greater_equal, a(4), a(4), diff=(0, 1))],
    np.less: [Z(z_less, a(4), a(4), diff=(0, 1))],
    np.less_equal: [Z(z_less_equal, a(4), a(4), diff=(0, 1))],
    np.equal: [Z(z_equal, _A23, _A23.copy(), diff=(0, 1))],
    np.not_equal: [Z(z_not_equal, a(4), a(4), diff=(0, 1))],
    np.logical_and: [Z(z_logical_and, a(4), a(4), diff=(0, 1))],
    np.logical_or: [Z(z_logical_or, a(4), a(4), diff=(0, 1))],
    np.logical_not: [Z(z_logical_not, np.array([0.0, 1.0, -2.0]))],
    np.logical_xor: [Z(z_logical_xor, np.array([0.0, 1.0]), np.array([1.0, 1.0]), diff=(0, 1))],
    np.allclose: [Z(z_allclose, _A23, _A23 + 1e-12, diff=(0, 1))],
    np.isclose: [Z(z_isclose, _A23, _A23 + 1e-12, diff=(0, 1))],
    np.array_equal: [Z(z_array_equal, _A23, _A23.copy(), diff=(0, 1))],
    np.count_nonzero: [Z(z_count_nonzero, np.array([0.0, 1.5, 0.0, -2.0]))],
    np.searchsorted: [Z(z_searchsorted, np.sort(a(5)), a(3), diff=(0, 1))],
    np.digitize: [Z(z_digitize, a(3), np.sort(a(5)), diff=(0, 1))],
    np.any: [Z(z_any, a(3)), Z(z_any_direct, a(3))],
    np.all: [Z(z_all, a(3))],
    np.zeros: [Z(z_zeros, 3)],
    np.ones: [Z(z_ones, 3)],
    np.empty: [Z(z_empty, 3, value=False)],
    np.zeros_like: [Z(z_zeros_like, a(2, 3))],
    np.ones_like: [Z(z_ones_like, a(2, 3))],
    np.empty_like: [Z(z_empty_like, a(2, 3), value=False)],
    np.eye: [Z(z_eye, 3)],
    np.identity: [Z(z_identity, 3)],
    np.arange: [C(c_arange, 3.5), C(c_arange_start_step, 0.3, 0.7)],
    np.linspace: [C(c_linspace, 2.0), C(c_linspace_both, s(), s(1.0, 2.0))],
    np.int64: [Z(z_int64, 2.7)],
    np.int32: [Z(z_int32, 2.7)],
    np.int8: [Z(z_int8, 2.7)],
    np.uint8: [Z(z_uint8, 2.7)],
    np.bool_: [Z(z_bool, 0.5)],
    np.result_type: [Z(z_result_type, a(3))],
    np.broadcast_shapes: [Z(z_broadcast_shapes, 2)],
    np.unravel_index: [Z(z_unravel_index, 7)],
    np.ravel_multi_index: [Z(z_ravel_multi_index, 2)],
    np.indices: [Z(z_indices, 3)],
    np.tri: [Z(z_tri, 3)],
    np.random.normal: [
        C(rnd_normal, a(4), pos(4), seed=1),
        C(rnd_normal_loc, a(2, 3), seed=2, f32=False),
    ],  # f32: float64 draw, float32 tangent
    np.random.uniform: [C(rnd_uniform, s(), s(1.5, 2.0), seed=3), C(rnd_uniform, a(3), a(3, lo=1.5, hi=2.0), seed=4)],
    np.random.standard_normal: [Z(z_rand_standard_normal, 3, value=False)],
    np.random.rand: [Z(z_rand_rand, 3, value=False)],
    np.random.randn: [Z(z_rand_randn, 3, value=False)],
    np.random.randint: [Z(z_rand_randint, 3, value=False)],
    np.random.random: [Z(z_rand_random, 3, value=False)],
    np.random.seed: [Z(z_rand_seed, 3)],
    np.random.default_rng: [Z(z_rand_default_rng, 3)],
    # -------------------------------------------------------------- tangent_fwd itself
    tangent_fwd.stop_gradient: [Z(t_stop_gradient, a(3))],
    rt.zeros_like: [Z(t_zeros_like, a(3))],
    rt.sign: [Z(t_sign, a(3)), Z(t_sign, -0.5)],
    rt.fresh: [C(t_fresh, a(3))],
    rt.own: [C(t_own, a(3))],
    rt.fresh_full: [C(t_fresh_full, a(2, 1, 3))],
    rt.log: [C(t_log, pos(3)), C(t_log_float, s(0.5, 2))],
    rt.extremum_jvp: [C(t_extremum_jvp, distinct(2, 3), a(2, 3))],
    rt.builtin_extremum_jvp: [C(t_builtin_extremum_jvp, 0.3, -0.4, s(), s())],
    rt.var_jvp: [C(t_var_jvp, a(2, 3), a(2, 3))],
    rt.snapshot: [C(t_snapshot, a(3)), C(t_snapshot, s())],
    rt.iset: [C(t_iset_value, a(3)), C(t_iset, a(3), a(3))],
    rt.expand: [C(t_expand, a(3), a(2, 3)), C(t_expand, s(), a(3))],
    rt.breshape: [C(t_breshape, a(2, 6)), C(t_breshape_args, a(2, 2, 3))],
    rt.bravel: [C(t_bravel, a(2, 2, 3))],
    rt.basarray: [C(t_basarray, a(2, 3))],
    rt.where_like: [C(t_where_like, distinct(4), a(4))],
    rt.astype_tangent: [C(t_astype_tangent, a(3))],
    rt.items_tangent: [C(t_items_tangent, s(), a(2))],
    rt.seq_sum: [C(t_seq_sum, a(3), a(3)), C(t_seq_sum, s(), s())],
    rt.TangentTuple: [C(t_tangent_tuple, a(3), s())],
    rt.diff_jvp: [C(t_diff_jvp, a(5), a(5)), C(t_diff_jvp_prepend, a(4), a(1))],
    rt.pad_jvp: [C(t_pad_jvp, a(4))],
    rt.pad_values_jvp: [C(t_pad_values_jvp, a(3), s())],
    rt.sort_jvp: [C(t_sort_jvp, distinct(5), a(5))],
    rt.median_jvp: [C(t_median_jvp, distinct(4), a(4)), C(t_median_jvp, distinct(5), a(5))],
    rt.abs_jvp: [C(t_abs_jvp, distinct(4), a(4)), C(t_abs_jvp, c12(4), c12(4))],
    rt.angle_jvp: [C(t_angle_jvp, c12(4), c12(4)), C(t_angle_jvp, a12(3), a12(3))],
    rt.angle_jvp_dz: [
        C(t_angle_jvp_dz, c12(4), c12(4), c12(4), diff=(1, 2)),
        C(t_angle_jvp_dz, a12(3), a12(3), a12(3)),
    ],
    rt.slogdet_jvp: [
        C(t_slogdet_jvp, wellcond(3), a12(3, 3)),
        C(t_slogdet_jvp, c12(3, 3) + 2 * np.eye(3), c12(3, 3), diff=(1,)),
    ],
    rt.pow_dy: [C(t_pow_dy, a12(4, lo=0.5, hi=2.0), a12(4)), C(t_pow_dy, 1.7, 0.4)],
    rt.safe_div: [C(t_safe_div, a12(3), a12(3, lo=0.5, hi=2.0)), C(t_safe_div, 0.3, 1.4)],
    rt.sign_jvp: [C(t_sign_jvp, c12(4), c12(4)), C(t_sign_jvp, a12(4), a12(4))],
    rt.sign_jvp_dx: [C(t_sign_jvp_dx, a12(4), a12(4), a12(4)), C(t_sign_jvp_dx, c12(4), c12(4), c12(4), diff=(1, 2))],
    rt.zero_unless_complex: [Z(t_zero_unless_complex, a12(3))],
    rt.norm_power: [Z(t_norm_power, a12(3))],
    rt.std_jvp: [C(t_std_jvp, a12(3, 2), a12(3, 2))],
    rt.norm_jvp: [C(t_norm_jvp, a12(4), a12(4)), C(t_norm_jvp, c12(4), c12(4)), C(t_norm_jvp_p, a12(4), a12(4))],
    rt.norm_jvp2: [C(t_norm_jvp2, a12(4), a12(4), a12(4), diff=(1, 2))],
    rt.solve_jvp_a: [C(t_solve_jvp_a, np.stack([wellcond(3), wellcond(3)]), a12(2, 3, 3), a12(3))],
    rt.prod_jvp: [C(t_prod_jvp, a12(2, 3), a12(2, 3))],
    rt.prod_jvp2: [C(t_prod_jvp2, np.array([[0.5, 0.0], [0.0, 1.2], [-0.7, 2.0]]), a12(3, 2), a12(3, 2), diff=(1, 2))],
    rt.cumprod_jvp: [C(t_cumprod_jvp, a12(2, 5), a12(2, 5))],
    rt.cumprod_jvp2: [C(t_cumprod_jvp2, np.array([0.5, 0.0, 1.3, -0.7, 0.0]), a12(5), a12(5), diff=(1, 2))],
    rt.arange_dstart: [C(t_arange_dstart, 0.7, 0.3)],
    rt.arange_dstep: [C(t_arange_dstep, 0.7, 0.45)],
    rt.hypot_jvp: [C(t_hypot_jvp, s(0.2, 1), s(0.2, 1), s(), s())],
    rt.det_jvp: [C(t_det_jvp, wellcond(3), a(3, 3))],
    rt.zip_tangent: [C(t_zip_tangent, a(3), a(3))],
    rt.enumerate_tangent: [C(t_enumerate_tangent, a(3))],
    rt.get_default_tangent: [C(t_get_default_tangent, s(), s())],
    # -------------------------------------------------------------- array methods
    "sum": [C(me_sum, a(2, 3)), C(me_sum_kw, a(2, 3))],
    "mean": [C(me_mean, a(2, 3)), C(me_mean_kw, a(2, 3))],
    "reshape": [C(me_reshape, a(2, 3)), C(me_reshape_tuple, a(2, 3))],
    "transpose": [C(me_transpose, a(2, 3)), C(me_transpose_axes, a(2, 3, 4))],
    "swapaxes": [C(me_swapaxes, a(2, 3))],
    "ravel": [C(me_ravel, a(2, 3))],
    "flatten": [C(me_flatten, a(2, 3))],
    "copy": [C(me_copy, a(2, 3))],
    "squeeze": [C(me_squeeze, a(1, 3))],
    "cumsum": [C(me_cumsum, a(2, 3))],
    "astype": [C(me_astype, a(2, 3)), C(me_astype_same, a(2, 3)), C(me_astype_int, a(4, lo=-3, hi=3))],
    "repeat": [C(me_repeat, a(2, 3))],
    "take": [C(me_take, a(2, 3))],
    "trace": [C(me_trace, a(3, 3))],
    "diagonal": [C(me_diagonal, a(3, 3))],
    "conj": [C(me_conj, cplx(3))],
    "conjugate": [C(me_conjugate, cplx(3)), C(me_conjugate, a(3))],
    "item": [C(me_item, a(3))],
    "tolist": [C(me_tolist, a(2, 3))],
    "dot": [C(me_dot, a(2, 3), a(3, 2))],
    "max": [C(me_max, distinct(2, 3)), C(me_max_kw, distinct(2, 3))],
    "min": [C(me_min, distinct(2, 3))],
    "prod": [C(me_prod, a(2, 3)), C(me_prod_all, np.array([1.5, 0.0, -0.7])), C(me_prod_axes, a(2, 3, 4))],
    "cumprod": [C(me_cumprod, a(2, 3))],
    "var": [C(me_var, a(3, 4))],
    "std": [C(me_std, a(2, 3)), C(me_std_kw, a(2, 3)), C(me_std_c, c12(2, 3))],
    "clip": [
        C(me_clip, distinct(6)),
        C(me_clip_bounds, np.array([-2.0, 0.1, 2.0, -0.1]), np.full(4, -0.5), np.full(4, 0.5)),
    ],
    "argmax": [Z(me_argmax, distinct(5))],
    "argmin": [Z(me_argmin, distinct(2, 3))],
    "argsort": [Z(me_argsort, distinct(5))],
    "nonzero": [Z(me_nonzero, np.array([0.0, 1.5, 0.0]))],
    "any": [Z(me_any, a(3))],
    "all": [Z(me_all, a(3))],
    "round": [Z(me_round, a(3, lo=-3, hi=3))],
    "normal": [C(me_gen_normal, a(3), pos(3)), C(me_gen_normal, s(), s(0.5, 2.0))],
    "uniform": [C(me_gen_uniform, s(), s(1.5, 2.0))],
    # -------------------------------------------------------------- dict and list methods
    "values": [C(me_values, {"a": s(), "bb": s()}), C(me_values_list, {"a": a(2), "b": a(2)})],
    "items": [C(me_items, {"a": s(), "bb": s()}), C(me_items_loop, {"a": s(), "bb": s()})],
    "get": [
        C(me_get, {"a": s(), "b": s()}),
        C(me_get_missing, {"a": s(), "b": s()}),
        C(me_get_default, {"a": s()}, s()),
    ],
    "keys": [Z(me_keys, {"a": 0.5, "b": 1.5})],
    "index": [Z(me_index, [0.5, 1.5, 2.5])],
    "count": [Z(me_count, [0.5, 1.5, 0.5])],
    # -------------------------------------------------------------- array attributes
    "T": [C(at_T, a(2, 3))],
    "mT": [C(at_mT, a(2, 3, 4))],
    "real": [C(at_real, cplx(2, 3)), C(at_real, a(3))],
    "imag": [C(at_imag, cplx(2, 3))],
    "shape": [Z(at_shape, a(2, 3))],
    "ndim": [Z(at_ndim, a(2, 3))],
    "size": [Z(at_size, a(2, 3))],
    "dtype": [Z(at_dtype, a(2, 3))],
    "itemsize": [Z(at_itemsize, a(2, 3))],
    "nbytes": [Z(at_nbytes, a(2, 3))],
    "strides": [Z(at_strides, a(2, 3))],
    "device": [Z(at_device, a(2, 3))],
    "flags": [Z(at_flags, a(2, 3))],
}


def missing_rules(rule_cases=None, rules=None):
    """Names of registered rules (``registry.all_rules()``) that have no case in ``rule_cases``."""
    from tangent_fwd import registry

    rule_cases = RULE_CASES if rule_cases is None else rule_cases
    rules = registry.all_rules() if rules is None else rules
    missing = []
    for table, key, rule in rules:
        if table == "function":
            found = any(registry.same_op(k, rule.op) for k in rule_cases if not isinstance(k, str))
            label = f"function {rule.name}"
        else:
            found = bool(rule_cases.get(key)) if isinstance(key, str) else False
            label = f"{table} {rule.name}"
        if not found:
            missing.append(label)
    return missing


if hasattr(np, "matrix_transpose"):  # NumPy >= 2.0
    RULE_CASES[np.matrix_transpose] = [C(sh_matrix_transpose, a(2, 3, 4))]


def _merge_families():
    import importlib

    from rule_families import FAMILIES

    for family in FAMILIES:
        for key, cases in importlib.import_module(f"rule_families.{family}").CASES.items():
            if key in RULE_CASES:
                raise AssertionError(f"rule_families.{family}: a case for {key!r} is already in RULE_CASES")
            RULE_CASES[key] = cases


_merge_families()
