"""Soundness (issue 12), the peer-library bar: NumPy API coverage in the style of an AD library's own tests.

Every reduction with ``axis=None`` / int / tuple / negative and ``keepdims``; broadcasting with Python
scalars, 0-d arrays, rows and columns; every kind of subscript (basic, negative steps, ``...``, ``None``,
integer arrays, boolean masks, ``np.ix_``), reads and writes; ``np.where`` / ``clip`` / ``maximum`` with ties
where the derivative is still defined; sort, cumulative ops, products (``outer``, ``kron``, ``tensordot``,
``einsum`` in many subscript forms), triangular and diagonal parts, linear algebra, stacking and padding,
dtype mixes (float32 and int constants, bool masks) and Python scalars through the ``math`` module.

Cases in ``REFUSAL_OK`` may instead be refused with a clean ``tangent_fwd.TransformError`` naming file and
line: they call NumPy functions that have no JVP rule (decompositions and a few exotic helpers)."""

import math

import numpy as np

from . import case

REFUSAL_OK = {
    # np.linalg decompositions and solvers without a JVP rule (docs/rules.md lists none): refusing is honest
    "linalg_eigh_eigenvalues",
    "linalg_eigvalsh",
    "linalg_cholesky",
    "linalg_qr_r",
    "linalg_svd_singular_values",
    "linalg_pinv",
    "linalg_lstsq",
    "linalg_matrix_power",
    "linalg_multi_dot",
    # exotic helpers without a rule (np.block, np.polyval, np.interp, np.average, np.ptp, np.trapezoid,
    # ufunc.reduce, np.cov): a MissingRuleError naming the line is the expected answer
    "np_block",
    "np_polyval",
    "np_interp_active_values",
    "np_average_weighted",
    "np_ptp",
    "np_trapezoid",
    "ufunc_reduce",
    "np_cov",
    "ufunc_outer",
    # refused cleanly (a TransformError; NotDifferentiableHere at run time where the mode or the point
    # decides): np.pad statistic modes, max/min with initial= or where=, slogdet's named fields, the
    # second derivative of a matrix norm of ord 1/inf/2/nuc and of det at a singular matrix
    "pad_statistic_modes",
    "max_min_tuple_negative_axes_keepdims",
    "reductions_with_where",
    "linalg_slogdet_attributes",
    "norm_reversed_matrix_axes",
    "det_of_exactly_singular_2x2",
}


def normal(*shape):
    return lambda rng: (rng.standard_normal(shape),)


def normal2(s1, s2):
    return lambda rng: (rng.standard_normal(s1), rng.standard_normal(s2))


def positive(*shape):
    return lambda rng: (rng.uniform(0.5, 2.0, shape),)


def spd(rng, n=3):
    A = rng.standard_normal((n, n))
    return A @ A.T + n * np.eye(n)


def well_conditioned(rng, n=3):
    return 3.0 * np.eye(n) + 0.4 * rng.standard_normal((n, n))


def distinct(*shape):
    """Values with well separated entries (no ties for max/min/sort, no values near 0)."""

    def make(rng):
        n = int(np.prod(shape))
        v = (np.arange(n) + 1.0) * 0.37 * rng.choice([-1.0, 1.0], n)
        return (rng.permutation(v).reshape(shape) + 0.05 * rng.standard_normal(shape),)

    return make


# ------------------------------------------------------------------ reductions: every axis form
@case(args=normal(2, 3, 4), tags="red_sum red_axis red_keepdims")
def sum_axis_forms(x):
    a = np.sum(x)
    b = np.sum(x, axis=1)
    c = np.sum(x, axis=(0, 2))
    d = np.sum(x, axis=-1, keepdims=True)
    e = np.sum(x, axis=(-3, -1), keepdims=True)
    return a + b.sum() * c[1] + (d * e).sum()


@case(args=normal(2, 3, 4), tags="red_mean red_axis red_keepdims")
def mean_axis_forms(x):
    a = np.mean(x, axis=None)
    b = x.mean(axis=0)
    c = np.mean(x, axis=(1, 2), keepdims=True)
    d = x.mean(-2, keepdims=True)
    return a * b + (c * d).sum(axis=0)


@case(args=positive(2, 3, 2), tags="red_prod red_axis red_keepdims")
def prod_axis_forms(x):
    return (
        np.prod(x)
        + np.prod(x, axis=1).sum()
        + np.prod(x, axis=(0, -1)).sum()
        + (np.prod(x, axis=-2, keepdims=True) * x).sum()
    )


@case(args=distinct(3, 4), tags="red_max red_axis red_keepdims")
def max_axis_forms(x):
    return np.max(x) + np.max(x, axis=0) * 2.0 + np.max(x, axis=-1, keepdims=True).sum() + np.amax(x, axis=(0, 1))


@case(args=distinct(3, 4), tags="red_min red_axis red_keepdims")
def min_axis_forms(x):
    return np.min(x, axis=1) + x.min() + np.min(x, axis=(-2, -1), keepdims=True).ravel() + np.amin(x, 0)[:3]


@case(args=normal(3, 4), tags="red_var red_axis red_keepdims")
def var_axis_forms(x):
    return np.var(x) + np.var(x, axis=0).sum() + np.var(x, axis=-1, ddof=1, keepdims=True) * x.var(axis=(0, 1))


@case(args=normal(3, 4), tags="red_std red_axis red_keepdims")
def std_axis_forms(x):
    return np.std(x, axis=1, keepdims=True) * x + np.std(x) + x.std(axis=0, ddof=1)


@case(args=normal(2, 3, 2), tags="red_cumsum red_axis")
def cumsum_axis_forms(x):
    return np.cumsum(x).sum() + np.cumsum(x, axis=1) * np.cumsum(x, axis=-1)


@case(args=positive(2, 3), tags="red_cumprod red_axis")
def cumprod_axis_forms(x):
    return np.cumprod(x, axis=0) + np.cumprod(x, axis=-1) + np.cumprod(x).reshape(2, 3)


@case(args=normal(4, 3), tags="red_sum m_sum red_keepdims")
def sum_method_keepdims_broadcast(x):
    return x - x.sum(axis=0, keepdims=True) / x.shape[0] + x.sum(1, keepdims=True)


@case(args=normal(5), tags="red_sum")
def nansum_nanmean_no_nans(x):
    return np.nansum(x * x) + np.nanmean(np.sin(x))


@case(args=distinct(5), tags="red_mean")
def median_odd(x):
    return np.median(x) * x + np.median(x.reshape(5, 1), axis=0)


@case(args=normal(2, 3), tags="red_sum")
def sum_with_dtype_and_initial(x):
    return np.sum(x, axis=0, dtype=np.float64) + np.sum(x, initial=1.5)


@case(args=normal(3, 4), tags="red_mean red_axis")
def mean_of_empty_axis_tuple(x):
    return np.mean(x, axis=()) + np.sum(x, axis=())


@case(args=normal(4), tags="red_sum")
def sum_of_0d(x):
    s = np.sum(x[2])
    return np.sum(s) + np.mean(np.float64(3.0) * x[1])


# ------------------------------------------------------------------ broadcasting binary ops
@case(args=lambda rng: (rng.standard_normal((3, 4)), rng.standard_normal(4)), wrt=(0, 1), tags="add mul")
def broadcast_row(x, r):
    return x * r + r - x / (1.5 + r * r)


@case(args=lambda rng: (rng.standard_normal((3, 4)), rng.standard_normal((3, 1))), wrt=(0, 1), tags="sub div")
def broadcast_column(x, c):
    return (x - c) / (2.0 + c**2) + c


@case(args=lambda rng: (rng.standard_normal((3, 1)), rng.standard_normal((1, 4))), wrt=(0, 1), tags="mul add")
def broadcast_outer_shapes(c, r):
    return c * r + c - r


@case(args=lambda rng: (rng.standard_normal(4), np.array(rng.standard_normal())), wrt=(0, 1), tags="mul pow")
def broadcast_zero_d_array(x, s):
    return x * s + s**2 + np.exp(s) * x**2


@case(args=lambda rng: (np.array(0.7), np.array(-0.3)), wrt=(0, 1), tags="mul div")
def zero_d_only(a, b):
    return a * b / (1.0 + a * a) + np.sin(a) - b


@case(args=lambda rng: (rng.standard_normal(4), 0.8), wrt=(0, 1), tags="py_float mul pow")
def broadcast_python_scalar(x, s):
    return s * x + np.abs(x) ** s + s**2 - 3 * x + x / s


@case(args=lambda rng: (rng.standard_normal((2, 1, 3)), rng.standard_normal((4, 1))), wrt=(0, 1), tags="mul")
def broadcast_three_d(a, b):
    return a * b + np.maximum(a, -5.0) - b


@case(
    args=lambda rng: (rng.uniform(0.5, 2.0, (3, 4)), rng.standard_normal(4)),
    wrt=(0, 1),
    tags="np_power pow_both_active",
)
def broadcast_power_both(x, y):
    return np.power(x, y) + x ** (y * 0.5)


@case(args=lambda rng: (rng.standard_normal((3, 4)), rng.standard_normal(4)), wrt=(0, 1), tags="np_arctan2 np_hypot")
def broadcast_arctan2_hypot(y, x):
    return np.arctan2(y, x + 3.0) + np.hypot(y, x)


@case(args=lambda rng: (rng.standard_normal((3, 4)), rng.standard_normal((3, 1))), wrt=(0, 1), tags="np_logaddexp")
def broadcast_logaddexp(a, b):
    return np.logaddexp(a, b) + np.logaddexp2(a, 0.5)


@case(args=normal2((2, 3), (3,)), wrt=(0, 1), tags="aug_add aug_mul")
def broadcast_inplace(x, r):
    y = x.copy()
    y += r
    y *= r
    y -= 1.0
    return y


# ------------------------------------------------------------------ indexing reads
@case(args=normal(4, 5), tags="idx_slice")
def index_negative_steps(x):
    return x[::-1, ::-2] + x[-1:0:-1, 4::-2][:, :3].sum()


@case(args=normal(3, 4, 5), tags="idx_ellipsis idx_int")
def index_ellipsis_forms(x):
    return x[..., 1] + x[0, ...][:, :4].T[:4, :3].T + x[1, ..., -1]


@case(args=normal(3, 4), tags="idx_newaxis")
def index_none_forms(x):
    return x[None] * x[:, None, :] + x[..., None][:, None, :, 0] + x[np.newaxis, :, None, 1:2].sum()


@case(args=normal(5, 4), tags="idx_intarray")
def index_advanced_rows_cols(x):
    r = np.array([4, 0, 2, 2])
    c = np.array([1, 3, 0, 1])
    return x[r, c] + x[r].sum(axis=1) + x[:, c][0] + x[[1, -1]].sum()


@case(args=normal(5, 4), tags="idx_intarray")
def index_advanced_broadcast(x):
    r = np.array([[0], [3]])
    c = np.array([[1, 2, 3]])
    return x[r, c] * 2.0 + x[r, 1:3].sum(axis=-1)


@case(args=normal(3, 4, 5), tags="idx_intarray idx_slice")
def index_advanced_separated_by_slice(x):
    return x[[0, 2], :, [1, 4]] + x[:, [3, 0], 2:4].sum()


@case(args=normal(4, 5), tags="idx_intarray")
def index_np_ix(x):
    return x[np.ix_([0, 2, 3], [4, 1])] * x[np.ix_([1], [0, 0])].sum()


@case(args=distinct(4, 5), tags="idx_boolmask pc_compare")
def index_boolean_mask(x):
    m = x > 0
    return x[m].sum() + (x[m] ** 2).sum() + x[x[:, 0] > 0].sum()


@case(args=distinct(3, 4), tags="idx_boolmask")
def index_boolean_row_mask_and_slice(x):
    keep = np.array([True, False, True])
    return x[keep, 1:] + x[keep][:, :0:-1]


@case(args=normal(6), tags="idx_int idx_intarray")
def index_repeated_indices(x):
    return x[[0, 0, 1, 5, 5, 5]] * x[-2]


@case(args=normal(3, 4), tags="idx_int")
def index_numpy_integer_and_int64(x):
    i = np.int64(2)
    j = np.argmax(np.array([0.1, 0.9, 0.3]))
    return x[i] + x[j, ::-1] + x[int(i) - 1]


@case(args=normal(4, 4), tags="sh_take sh_take_along_axis")
def take_forms(x):
    idx = np.array([[1, 0, 3, 3]])
    return np.take(x, [3, 0], axis=1).sum() + np.take(x, 5) + np.take_along_axis(x, idx, axis=0) + x.take([1, 2])[0]


@case(args=distinct(3, 4), tags="sh_take_along_axis pc_argmax")
def take_along_axis_argsort(x):
    order = np.argsort(x, axis=1)
    return np.take_along_axis(x, order, axis=1)[:, -1:] + np.take_along_axis(x, np.argmax(x, axis=0)[None], axis=0)


# ------------------------------------------------------------------ indexing writes
@case(args=normal(5), tags="setitem_int idx_intarray cr_zeros")
def setitem_repeated_indices_last_wins(x):
    y = np.zeros(4)
    y[[0, 0, 2]] = x[:3] * 2.0
    return y


@case(args=normal(5), tags="setitem_aug idx_intarray")
def setitem_aug_repeated_indices_is_buffered(x):
    y = x.copy()
    y[[0, 0, 1]] += x[2:] ** 2
    return y


@case(args=distinct(4, 3), tags="setitem_slice idx_boolmask")
def setitem_boolean_mask_scalar_and_array(x):
    y = x * 1.0
    y[y < 0] = 0.0
    z = x.copy()
    z[z > 0] = (x * x)[x > 0]
    return y + z


@case(args=normal(4, 5), tags="setitem_slice idx_slice")
def setitem_negative_step_slice(x):
    y = np.zeros((4, 5))
    y[::-1, ::2] = x[:, :3] * 3.0
    y[-1, ::-1] = x[0]
    return y


@case(args=normal(3, 4), tags="setitem_slice idx_ellipsis idx_newaxis")
def setitem_ellipsis_and_none(x):
    y = np.ones((3, 4))
    y[..., 1] = x[:, 0] ** 2
    y[None, 0] = x[1]
    return y * x


@case(args=normal(4, 5), tags="setitem_slice idx_intarray")
def setitem_np_ix(x):
    y = x.copy()
    y[np.ix_([0, 3], [1, 2, 4])] = np.sin(x[:2, :3])
    return y


@case(args=normal(3, 4), tags="setitem_aug idx_slice")
def setitem_aug_broadcast_column(x):
    y = x.copy()
    y[:, 1:3] *= x[:, :1]
    y[1] /= 2.0 + x[2] ** 2
    return y


# ------------------------------------------------------------------ where / clip / maximum, ties included
@case(args=distinct(6), tags="np_where pc_compare")
def where_forms(x):
    return np.where(x > 0, x**2, -x) + np.where(x > 0, x, 0.0) + np.where(x < 0.5, 1.0, x)


@case(args=normal2((3, 1), (4,)), wrt=(0, 1), tags="np_where")
def where_broadcasting(a, b):
    return np.where(a > b, a * b, a - b) * 1.0


@case(args=normal(5), tags="np_where")
def where_both_branches_same_tie(x):
    return np.where(x > 0, x, x) * 2.0


@case(args=normal(5), tags="np_maximum np_minimum")
def maximum_tie_same_value(x):
    y = x * 1.0
    return np.maximum(x, y) + np.minimum(y, x) * 3.0


@case(args=normal(5), tags="red_max sh_stack")
def max_over_tied_copies(x):
    return np.max(np.stack([x, x, x]), axis=0) + np.min(np.stack([x, x]), axis=0)


@case(args=normal(4), tags="b_max b_min py_float")
def builtin_max_tied_floats(x):
    a = float(x[0])
    return max(a, a) * min(a, a) + max(x[1], x[1] * 1.0)


@case(args=distinct(6), tags="np_clip m_clip")
def clip_away_from_bounds(x):
    return np.clip(x, -1.0, 1.0) + x.clip(-10.0, 10.0) * 2.0 + np.clip(x, None, 0.5) + np.clip(x, -0.2, None)


@case(args=lambda rng: (rng.standard_normal(5), np.array([-0.5, -0.2, 0.1, 0.3, 0.9])), wrt=(0, 1), tags="np_clip")
def clip_with_active_bounds(x, lo):
    return np.clip(x * 0.0 + 5.0, lo, lo + 1.0) + np.clip(x, lo - 10.0, lo + 10.0)


@case(args=distinct(6), tags="np_maximum np_minimum")
def maximum_with_scalar_and_relu(x):
    return np.maximum(x, 0.0) + np.minimum(0.1, x) * 2.0 + np.fmax(x, -0.05) + np.fmin(x, 0.05)


@case(args=normal2((3, 4), (4,)), wrt=(0, 1), tags="np_maximum")
def maximum_broadcast_both_active(a, b):
    return np.maximum(a, b + 0.013) + np.minimum(a * 2.0, b)


# ------------------------------------------------------------------ sort, cumulative, differences, products
@case(args=distinct(7), tags="sh_take")
def sort_vector(x):
    s = np.sort(x)
    return s * np.arange(7.0) + s[::-1] ** 2


@case(args=distinct(3, 4), tags="red_axis")
def sort_axis_forms(x):
    return np.sort(x, axis=0) + np.sort(x, axis=-1) * 2.0 + np.sort(x, axis=None)[:4]


@case(args=normal(3, 5), tags="red_axis")
def diff_forms(x):
    return np.diff(x).sum(axis=1) + np.diff(x, n=2, axis=1)[:, 0] + np.diff(x, axis=0)[0, :3].sum()


@case(args=normal2((3,), (3,)), wrt=(0, 1), tags="la_outer")
def cross_vectors(a, b):
    return np.cross(a, b) + np.cross(a, a + b) * 2.0


@case(args=normal2((4, 3), (3,)), wrt=(0, 1), tags="la_outer")
def cross_batched_broadcast(a, b):
    return np.cross(a, b)


@case(args=normal2((3,), (4,)), wrt=(0, 1), tags="la_outer")
def outer_forms(a, b):
    return np.outer(a, b) + np.outer(a.reshape(3, 1), b[::-1])


@case(args=normal2((2, 2), (3, 2)), wrt=(0, 1), tags="la_outer")
def kron_matrices(a, b):
    return np.kron(a, b) + np.kron(a, np.eye(2))[:3, :3].sum()


@case(args=normal2((2, 3, 4), (4, 3)), wrt=(0, 1), tags="la_tensordot")
def tensordot_forms(a, b):
    return (
        np.tensordot(a, b, axes=1).sum(axis=-1)
        + np.tensordot(a, b, axes=([1, 2], [1, 0]))[:, None]
        + np.tensordot(a, b, axes=([2], [0])).sum(axis=(1, 2))[:, None]
        + np.tensordot(a[0, 0], b[:, 0], axes=0).sum()
    )


@case(args=normal2((3, 4), (4, 2)), wrt=(0, 1), tags="la_einsum")
def einsum_explicit_forms(a, b):
    return (
        np.einsum("ij,jk->ik", a, b)
        + np.einsum("ij->i", a)[:, None]
        + np.einsum("ij,ij->", a, a)
        + np.einsum("ij->ji", a)[:, :2].sum(axis=0)
    )


@case(args=normal2((3, 4), (4, 2)), wrt=(0, 1), tags="la_einsum")
def einsum_implicit_output(a, b):
    return np.einsum("ij,jk", a, b) + np.einsum("ji", a)[:2, :2].T.sum() + np.einsum("ij,ij", a, a)


@case(args=normal(3, 3), tags="la_einsum la_trace")
def einsum_diagonal_forms(a):
    return np.einsum("ii->i", a) + np.einsum("ii", a) + np.einsum("ij,jj->i", a, a)


@case(args=normal2((2, 3, 4), (2, 4, 5)), wrt=(0, 1), tags="la_einsum")
def einsum_ellipsis_batched(a, b):
    return np.einsum("...ij,...jk->...ik", a, b) + np.einsum("bij,bjk->bik", a, b)


@case(args=normal2((2, 3, 4), (4,)), wrt=(0, 1), tags="la_einsum")
def einsum_ellipsis_implicit_and_vector(a, v):
    return np.einsum("...j,j->...", a, v) + np.einsum("...j,j", a, v) + np.einsum("i,i", v, v)


@case(args=normal2((3,), (4,)), wrt=(0, 1), tags="la_einsum la_outer")
def einsum_outer_and_three_operands(u, v):
    M = np.einsum("i,j->ij", u, v)
    return M + np.einsum("i,ij,j->", u, M, v) + np.einsum("i,j", u, v) * 0.5


@case(args=normal(2, 3, 4), tags="la_einsum")
def einsum_transpose_3d_and_optimize(a):
    return np.einsum("ijk->kji", a) + np.einsum("ijk,ijk->k", a, a, optimize=True)[:, None, None]


@case(args=normal2((3, 3), (3,)), wrt=(0, 1), tags="la_einsum la_matmul")
def einsum_operands_aliasing(a, x):
    return np.einsum("i,ij,j", x, a, x) + np.einsum("ij,jk,kl->il", a, a, a).sum()


@case(args=normal2((3, 4), (4,)), wrt=(0, 1), tags="la_dot la_inner la_matmul")
def dot_inner_vdot_forms(a, v):
    return np.dot(a, v) + np.inner(a, v) + a @ v + np.vdot(a[0], v) + np.matmul(v, a.T)


@case(args=normal2((2, 3, 4), (4, 2)), wrt=(0, 1), tags="la_matmul la_dot")
def matmul_batched_broadcast_and_dot_nd(a, b):
    return (a @ b).sum(axis=0) + np.dot(a, b).sum(axis=0) + np.matmul(a[0], b)


# ------------------------------------------------------------------ trace / diag / triangular
@case(args=normal(4, 4), tags="la_trace")
def trace_offsets(a):
    return np.trace(a) + np.trace(a, offset=1) * np.trace(a, offset=-2) + a.trace(-1)


@case(args=normal(3, 4, 4), tags="la_trace")
def trace_axes(a):
    return np.trace(a, axis1=1, axis2=2) + np.trace(a, axis1=0, axis2=1)[:3]


@case(args=normal(4), tags="cr_array")
def diag_from_vector(v):
    return np.diag(v) + np.diag(v, k=1)[:4, :4] + np.diag(v * v, -1)[1:, :4]


@case(args=normal(4, 4), tags="la_trace")
def diag_and_diagonal_extract(a):
    return np.diag(a) + np.diag(a, 1).sum() + np.diagonal(a, offset=-1).sum() + a.diagonal()[::-1]


@case(args=normal(2, 3, 3), tags="la_trace")
def diagonal_axes(a):
    return np.diagonal(a, axis1=1, axis2=2) + np.diagonal(a, 0, 0, 1).T[:, :3]


@case(args=normal(4, 4), tags="la_matmul")
def triu_tril_forms(a):
    return np.triu(a) @ np.tril(a) + np.triu(a, k=1) - np.tril(a, -1) + np.triu(a, -1) * 0.5


@case(args=normal(2, 3, 3), tags="la_matmul")
def triu_batched(a):
    return np.triu(a) + np.tril(a, 1).sum(axis=0)


# ------------------------------------------------------------------ linear algebra
@case(args=lambda rng: (well_conditioned(rng),), tags="la_inv")
def linalg_inv(a):
    return np.linalg.inv(a) + np.linalg.inv(a @ a.T).sum()


@case(args=lambda rng: (np.stack([well_conditioned(rng), well_conditioned(rng)]),), tags="la_inv")
def linalg_inv_batched(a):
    return np.linalg.inv(a)


@case(args=lambda rng: (well_conditioned(rng), rng.standard_normal(3)), wrt=(0, 1), tags="la_solve")
def linalg_solve_vector(a, b):
    return np.linalg.solve(a, b)


@case(args=lambda rng: (well_conditioned(rng), rng.standard_normal((3, 2))), wrt=(0, 1), tags="la_solve")
def linalg_solve_matrix(a, b):
    return np.linalg.solve(a, b) + np.linalg.solve(a.T, b)


@case(
    args=lambda rng: (np.stack([well_conditioned(rng), well_conditioned(rng)]), rng.standard_normal((2, 3, 1))),
    wrt=(0, 1),
    tags="la_solve",
)
def linalg_solve_batched(a, b):
    return np.linalg.solve(a, b)


@case(args=lambda rng: (well_conditioned(rng),), tags="la_det")
def linalg_det(a):
    return np.linalg.det(a) + np.linalg.det(a[:2, :2]) ** 2


@case(args=lambda rng: (np.stack([well_conditioned(rng), -well_conditioned(rng)]),), tags="la_det")
def linalg_det_batched(a):
    return np.linalg.det(a)


@case(args=lambda rng: (well_conditioned(rng),), tags="la_det")
def linalg_slogdet(a):
    sign, logdet = np.linalg.slogdet(a)
    return sign * logdet + np.linalg.slogdet(-a)[1]


@case(args=lambda rng: (spd(rng),), tags="la_det")
def linalg_slogdet_attributes(a):
    r = np.linalg.slogdet(a)
    return r.logabsdet * r.sign


@case(args=normal(5), tags="la_norm")
def norm_vector_ords(x):
    return (
        np.linalg.norm(x)
        + np.linalg.norm(x, 1)
        + np.linalg.norm(x, ord=3)
        + np.linalg.norm(x, np.inf)
        + np.linalg.norm(x, -np.inf)
        + np.linalg.norm(x, ord=0.5)
    )


@case(args=normal(3, 4), tags="la_norm red_axis red_keepdims")
def norm_axis_forms(x):
    return (
        np.linalg.norm(x, axis=0).sum()
        + np.linalg.norm(x, axis=-1, keepdims=True)
        + np.linalg.norm(x, ord=1, axis=1)[:, None]
        + np.linalg.norm(x, axis=(0, 1))
    )


@case(args=lambda rng: (well_conditioned(rng, 4),), tags="la_norm")
def norm_matrix_ords(a):
    return (
        np.linalg.norm(a)
        + np.linalg.norm(a, "fro")
        + np.linalg.norm(a, 1)
        + np.linalg.norm(a, np.inf)
        + np.linalg.norm(a, -1)
        + np.linalg.norm(a, -np.inf)
    )


@case(args=lambda rng: (well_conditioned(rng, 4),), tags="la_norm")
def norm_matrix_spectral_and_nuclear(a):
    return np.linalg.norm(a, 2) + np.linalg.norm(a, "nuc") + np.linalg.norm(a, -2)


@case(args=normal(2, 3, 4), tags="la_norm red_keepdims")
def norm_batched_matrix_axis(x):
    return np.linalg.norm(x, axis=(1, 2)) + np.linalg.norm(x, "fro", axis=(-2, -1), keepdims=True).ravel()


@case(args=lambda rng: (spd(rng),), tags="la_norm")
def linalg_eigh_eigenvalues(a):
    w, v = np.linalg.eigh(a)
    return w


@case(args=lambda rng: (spd(rng),), tags="la_norm")
def linalg_eigvalsh(a):
    return np.linalg.eigvalsh(a)


@case(args=lambda rng: (spd(rng),), tags="la_solve")
def linalg_cholesky(a):
    return np.linalg.cholesky(a)


@case(args=lambda rng: (well_conditioned(rng),), tags="la_solve")
def linalg_qr_r(a):
    q, r = np.linalg.qr(a)
    return np.abs(np.diag(r))


@case(args=lambda rng: (well_conditioned(rng),), tags="la_norm")
def linalg_svd_singular_values(a):
    return np.linalg.svd(a, compute_uv=False)


@case(args=lambda rng: (well_conditioned(rng),), tags="la_inv")
def linalg_pinv(a):
    return np.linalg.pinv(a)


@case(args=lambda rng: (rng.standard_normal((5, 3)), rng.standard_normal(5)), wrt=(0, 1), tags="la_solve")
def linalg_lstsq(a, b):
    return np.linalg.lstsq(a, b, rcond=None)[0]


@case(args=lambda rng: (well_conditioned(rng) / 3.0,), tags="la_matmul")
def linalg_matrix_power(a):
    return np.linalg.matrix_power(a, 3)


@case(args=normal2((3, 4), (4, 2)), wrt=(0, 1), tags="la_matmul")
def linalg_multi_dot(a, b):
    return np.linalg.multi_dot([a, b, b.T])


# ------------------------------------------------------------------ stacking, padding, tiling, flipping
@case(args=normal2((2, 3), (2, 3)), wrt=(0, 1), tags="sh_concatenate")
def concatenate_axes(a, b):
    return (
        np.concatenate([a, b]).sum(axis=0)
        + np.concatenate((a, b), axis=1)[:, :3].sum(axis=0)
        + np.concatenate([a, b], axis=None)[:3]
        + np.concatenate([a, b], axis=-1)[0, 2:5]
    )


@case(args=normal2((2, 3), (2, 3)), wrt=(0, 1), tags="sh_stack sh_hstack sh_vstack")
def stack_family(a, b):
    return (
        np.stack([a, b], axis=-1).sum(axis=-1)
        + np.stack((a, b)).prod(axis=0)
        + np.hstack([a, b])[:, 1:4]
        + np.vstack([a, b])[1:3]
        + np.dstack([a, b])[..., 1]
        + np.column_stack([a[0], b[1]]).T[:, :3].sum()
    )


@case(args=normal2((3,), (3,)), wrt=(0, 1), tags="sh_stack")
def stack_one_d_variants(a, b):
    return np.vstack([a, b]) + np.column_stack([a, b]).T + np.hstack([a, b]).reshape(2, 3) + np.append(a, b)[1:4]


@case(args=normal(2, 3), tags="sh_concatenate")
def pad_modes(x):
    return (
        np.pad(x, 1).sum()
        + np.pad(x, ((0, 1), (2, 0)), mode="constant", constant_values=0.5)[:2, :3]
        + np.pad(x, 1, mode="edge")[1:3, 1:4] * 2.0
        + np.pad(x, ((1, 1), (1, 1)), mode="reflect")[:2, :3]
        + np.pad(x, 1, mode="wrap")[1:3, :3]
    )


@case(args=lambda rng: (rng.standard_normal((2, 3)), 0.7), wrt=(0, 1), tags="sh_concatenate py_float")
def pad_active_constant(x, c):
    return np.pad(x, 1, constant_values=c) * 2.0


@case(args=normal(2, 3), tags="sh_tile sh_repeat")
def tile_repeat_forms(x):
    return (
        np.tile(x, 2)[:, :3]
        + np.tile(x, (2, 1))[2:]
        + np.repeat(x, 2)[:3]
        + np.repeat(x, 2, axis=0)[::2]
        + np.repeat(x, [1, 0, 2], axis=1)[:, :2].sum()
        + x.repeat(3, axis=1)[:, ::3]
    )


@case(args=normal(3, 4), tags="sh_roll sh_flip")
def roll_flip_rot90(x):
    return (
        np.roll(x, 1)
        + np.roll(x, -2, axis=1)
        + np.roll(x, (1, 2), axis=(0, 1))
        + np.flip(x)
        + np.flip(x, axis=0)
        + np.fliplr(x) * np.flipud(x)
        + np.rot90(x, 2)
        + np.rot90(x).T
        + np.rot90(x, -1, axes=(1, 0)).T
    )


@case(args=normal(4, 6), tags="sh_split")
def split_forms(x):
    a, b = np.split(x, 2)
    c, d, e = np.split(x, [1, 3], axis=1)
    f = np.array_split(x, 3, axis=1)
    return a * b + c.sum() + d.sum() * e.sum() + f[2].sum()


@case(args=normal(2, 3), tags="sh_broadcast_to sh_expand_dims sh_squeeze sh_moveaxis sh_swapaxes")
def shape_functions(x):
    b = np.broadcast_to(x, (4, 2, 3))
    e = np.expand_dims(x, (0, -1))
    return b.sum(axis=0) + e.squeeze() + np.moveaxis(b, 0, -1).sum(-1) + np.swapaxes(e, 1, 2)[0, :, :, 0].T


@case(args=normal(2, 3, 4), tags="sh_transpose sh_reshape attr_T")
def transpose_reshape_forms(x):
    return (
        np.transpose(x, (2, 0, 1)).reshape(4, 6)
        + x.T.reshape(4, -1)
        + x.reshape(-1, 4).T.reshape(4, 6)
        + np.reshape(x, (4, 6), order="F")
        + x.transpose(1, 0, 2).reshape(4, 6)
    )


@case(args=normal(3, 4), tags="sh_ravel m_flatten")
def ravel_orders(x):
    return np.ravel(x, order="F") + x.T.ravel() + x.flatten("F") + x.T.flatten()


@case(args=normal(3), tags="sh_stack")
def atleast_and_meshgrid(x):
    X, Y = np.meshgrid(x, x[::-1] * 2.0)
    return X * Y + np.atleast_2d(x).T + np.atleast_1d(x[0]) + np.atleast_3d(x)[0, :, 0]


@case(args=normal(3, 3), tags="sh_sliding_window_view")
def sliding_window_2d(x):
    w = np.lib.stride_tricks.sliding_window_view(x, (2, 2))
    return (w * np.array([[1.0, -1.0], [0.5, 2.0]])).sum(axis=(-1, -2))


@case(args=normal(6), tags="sh_take")
def convolve_modes(x):
    k = np.array([0.25, 0.5, 0.25])
    return np.convolve(x, k, mode="same") + np.convolve(x, k)[1:7] + np.convolve(k, x, "valid").sum()


# ------------------------------------------------------------------ creation with active values
@case(args=lambda rng: (0.3, 1.7), wrt=(0, 1), tags="cr_active_fill py_float")
def linspace_active_endpoints(a, b):
    return np.linspace(a, b, 5) ** 2 + np.full(3, a * b).sum()


@case(args=normal(3), tags="cr_array cr_asarray")
def array_from_list_of_active_scalars(x):
    M = np.array([[x[0], 1.0, x[1]], [x[2] ** 2, x[0] * x[1], 0.0]])
    return M @ np.asarray([x[2], 2, 3]) + np.array([x, x * 2]).sum(axis=0)[:2]


@case(args=normal(3), tags="cr_zeros_like cr_ones_like cr_full")
def like_functions(x):
    return np.zeros_like(x) + np.ones_like(x) * x + np.full_like(x, 2.0) * x**2 + x


# ------------------------------------------------------------------ dtypes: float32 and int constants, bool masks
@case(args=lambda rng: (rng.standard_normal(4), rng.standard_normal(4).astype(np.float32)), wrt=0, tags="attr_dtype")
def float32_constant_promotes(x, w32):
    y = x * w32 + w32.astype(np.float64) ** 2
    return y.astype(np.float64) + np.float32(0.5) * x


@case(args=normal(4), tags="pc_int_arith cr_arange")
def int_constants_and_arrays(x):
    k = np.arange(4)
    return x * k + x**2 + x // 1 * 0 + 3 * x - k // 2 + x / 2 + (x * np.int32(3))


@case(args=normal(5), tags="pc_compare idx_boolmask")
def bool_mask_arithmetic(x):
    m = x > 0
    return x * m + (~m) * x**2 + m.astype(float) * 3.0 + np.logical_and(m, x < 1) * x


@case(args=normal(4), tags="m_astype attr_dtype")
def astype_roundtrips(x):
    y = x.astype(np.float64)
    z = x.astype("float64", copy=True)
    return y * z + np.asarray(x, dtype=np.float64) + np.array(x, dtype=float) * 2.0


@case(args=normal(4), tags="pc_floor pc_int_arith")
def piecewise_constant_pieces(x):
    return x * np.floor(x + 10.0) + np.round(x * 0 + 1.3) + np.sign(x) * x + x * np.abs(np.ceil(x))


# ------------------------------------------------------------------ elementwise functions, math module, Python scalars
@case(args=lambda rng: (rng.uniform(0.2, 0.8, 5),), tags="np_elementwise")
def elementwise_unary_family(x):
    return (
        np.sin(x)
        + np.cos(x)
        + np.tan(x)
        + np.arcsin(x)
        + np.arccos(x)
        + np.arctan(x)
        + np.sinh(x)
        + np.cosh(x)
        + np.tanh(x)
        + np.arcsinh(x)
        + np.arccosh(1.0 + x)
        + np.arctanh(x * 0.5)
    )


@case(args=lambda rng: (rng.uniform(0.2, 2.0, 5),), tags="np_elementwise")
def elementwise_exp_log_family(x):
    return (
        np.exp(x)
        + np.exp2(x)
        + np.expm1(x)
        + np.log(x)
        + np.log2(x)
        + np.log10(x)
        + np.log1p(x)
        + np.sqrt(x)
        + np.cbrt(x)
        + np.square(x)
        + np.reciprocal(x)
        + np.float_power(x, 1.5)
        + np.sinc(x + 0.1)
        + np.deg2rad(x)
        + np.rad2deg(x)
    )


@case(args=lambda rng: (rng.uniform(0.2, 2.0, 5), rng.uniform(0.3, 0.9, 5)), wrt=(0, 1), tags="mod floordiv")
def remainder_fmod(x, y):
    return np.remainder(x, y) + np.fmod(x, y) + x % 0.7 + np.floor_divide(x, y) * y


@case(args=lambda rng: (0.7,), tags="math py_float")
def math_module_scalar(x):
    return (
        math.sin(x) * math.cos(x)
        + math.exp(x)
        + math.log(x)
        + math.sqrt(x)
        + math.atan2(x, 2.0)
        + math.hypot(x, 1.0)
        + math.tanh(x)
        + math.erf(x)
        + math.pow(x, 2.5)
        + math.log1p(x)
        + math.log(x, 3)
        + math.expm1(x)
    )


@case(args=lambda rng: (0.4, 1.3), wrt=(0, 1), tags="math py_float b_abs b_pow")
def math_two_active(x, y):
    return math.fsum([x, y, x * y]) + abs(x - y) + pow(y, x) + math.fmod(y, 0.5) + math.copysign(x, -1.0)


@case(args=lambda rng: (1.3,), tags="py_float b_int b_float pc_int_arith")
def python_scalar_casts(x):
    n = int(x * 3)
    return float(x) * n + x**n + round(x * 0, 2) + n // 2 * x


@case(args=lambda rng: (rng.standard_normal(4),), tags="py_float b_float")
def numpy_scalar_to_python(x):
    a = float(x[0])
    b = x[1].item()
    c = x.tolist()
    return a * b + c[2] * c[3] + math.sin(x[0])


@case(args=lambda rng: (rng.standard_normal(3),), tags="b_sum b_abs")
def builtin_sum_abs_over_array(x):
    return sum(x) * 2.0 + sum(abs(v) for v in x) + sum([x, x * 2.0])[0]


# ------------------------------------------------------------------ methods
@case(args=normal(3, 4), tags="m_sum m_mean m_max m_min m_prod m_std m_var")
def method_reductions(x):
    return x.sum(0) + x.mean(axis=0) + x.max(0) + x.min(axis=0) + (1.5 + x).prod(0) + x.std(0) + x.var(axis=0)


@case(args=normal(2, 3), tags="m_dot m_squeeze m_copy m_cumsum m_reshape m_transpose")
def method_shapes(x):
    y = x.copy().reshape(3, 2).transpose()
    return x.dot(y.T) + x[None].squeeze(0).cumsum(axis=1)[:, :2].sum()


@case(args=normal(3, 3), tags="la_trace")
def method_trace_diagonal_conj(x):
    return x.trace() + x.diagonal(1).sum() + x.conj() + x.conjugate().T + x.real * x.imag


# ------------------------------------------------------------------ functions without rules (allowed to refuse)
@case(args=normal2((2, 2), (2, 2)), wrt=(0, 1), tags="sh_concatenate")
def np_block(a, b):
    return np.block([[a, b], [b, a]])


@case(args=normal(4), tags="model_horner")
def np_polyval(c):
    return np.polyval(c, np.array([0.5, -1.0, 2.0]))


@case(
    args=lambda rng: (np.sort(rng.uniform(0.0, 1.0, 5)) + np.arange(5), rng.standard_normal(5)),
    wrt=1,
    tags="call_kwargs",
)
def np_interp_active_values(xp_, fp):
    return np.interp(np.array([0.5, 1.7, 3.2]), xp_, fp)


@case(args=normal(5), tags="red_mean")
def np_average_weighted(x):
    return np.average(x, weights=np.array([1.0, 2.0, 3.0, 4.0, 5.0]))


@case(args=distinct(5), tags="red_max")
def np_ptp(x):
    return np.ptp(x)


@case(args=normal(5), tags="red_sum")
def np_trapezoid(x):
    return np.trapezoid(x, dx=0.1)


@case(args=normal(3, 4), tags="red_sum")
def ufunc_reduce(x):
    return np.add.reduce(x, axis=1) + np.multiply.reduce(x, axis=0)[:3]


@case(args=normal(3, 6), tags="red_var")
def np_cov(x):
    return np.cov(x)


@case(args=normal2((3,), (4,)), wrt=(0, 1), tags="la_outer")
def ufunc_outer(a, b):
    return np.multiply.outer(a, b) + np.add.outer(a, b)


# ------------------------------------------------------------------ harder corners of the same API
@case(args=lambda rng: (np.array([1.3, 0.0, -0.7, 2.1]),), tags="red_prod red_cumprod")
def prod_and_cumprod_with_exact_zero(x):
    return np.prod(x) + np.prod(x[1:3]) * 2.0 + np.cumprod(x) + np.prod(x.reshape(2, 2), axis=0).sum()


@case(args=lambda rng: (np.array([[1.3, 0.0], [0.0, 2.0], [-0.5, 1.1]]),), tags="red_prod red_axis")
def prod_two_zeros_in_one_column(x):
    return np.prod(x, axis=0) + np.prod(x, axis=1).sum() + np.prod(x)


@case(args=normal(2, 3, 4), tags="red_var red_std red_axis red_keepdims")
def var_std_tuple_negative_axes(x):
    return np.var(x, axis=(-1, 0), ddof=1, keepdims=True) + np.std(x, axis=(0, 2), keepdims=True)


@case(args=distinct(2, 3, 4), tags="red_max red_min red_keepdims m_max")
def max_min_tuple_negative_axes_keepdims(x):
    return (
        np.max(x, axis=(-1, -3), keepdims=True)
        - x.min(axis=(0, 1), keepdims=True)
        + np.max(x, axis=-2, initial=-50.0)[:, None]
    )


@case(args=distinct(3, 4), tags="red_sum")
def reductions_with_where(x):
    m = x > 0
    return np.sum(x, where=m) + np.mean(x, axis=1, where=x < 5.0).sum() + np.max(x, where=m, initial=0.0)


@case(args=normal(5), tags="red_axis")
def diff_prepend_append_active(x):
    return np.diff(x, prepend=x[0] * 2.0) + np.diff(x, append=x[-1:] ** 2)


@case(args=normal(5), tags="red_axis")
def diff_prepend_constant(x):
    return np.diff(x, prepend=0.0, append=1.0)


@case(args=normal(2, 3), tags="sh_concatenate")
def pad_symmetric_and_linear_ramp(x):
    return np.pad(x, 1, mode="symmetric")[1:3, 1:4] + np.pad(x, (1, 2), mode="linear_ramp", end_values=0.5)[1:3, 1:4]


@case(args=distinct(2, 3), tags="sh_concatenate")
def pad_statistic_modes(x):
    return (
        np.pad(x, 1, mode="maximum")[:2, :3] + np.pad(x, 1, mode="mean")[:2, :3] + np.pad(x, 1, mode="minimum")[0, :3]
    )


@case(args=normal(6), tags="sh_take")
def take_modes_wrap_clip(x):
    return np.take(x, [7, -8, 2], mode="wrap") + np.take(x, [9, -3, 1], mode="clip") * 2.0


@case(args=normal(3, 4), tags="sh_take_along_axis")
def take_along_axis_none(x):
    return np.take_along_axis(x, np.array([11, 0, 5]), axis=None)


@case(args=normal2((4, 3), (3, 4)), wrt=(0, 1), tags="la_outer")
def cross_axis_keywords(a, b):
    return np.cross(a, b, axisb=0) + np.cross(a[:2], b[:, :2], axisb=0, axisc=0).T.sum()


@case(args=normal2((3, 4), (2, 3)), wrt=(0, 1), tags="la_tensordot")
def tensordot_tuple_axes_and_zero(a, b):
    return np.tensordot(a, b, axes=((0,), (1,))) + np.tensordot(a[0], b[0], axes=0)[:, :2].sum()


@case(args=normal2((2, 3, 3), (3,)), wrt=(0, 1), tags="la_einsum la_trace")
def einsum_batched_diagonal_and_full_reduce(a, v):
    return np.einsum("...ii->...i", a) + np.einsum("bij->", a) + np.einsum("bij,j->bi", a, v) + np.einsum("i->", v)


@case(args=normal2((2, 3), (3, 2)), wrt=(0, 1), tags="la_einsum")
def einsum_sublist_format(a, b):
    return np.einsum(a, [0, 1], b, [1, 2], [0, 2]) + np.einsum(a, [0, 1], [0])[:, None]


@case(args=normal2((2, 2), (3,)), wrt=(0, 1), tags="la_einsum la_outer")
def einsum_four_index_outer(a, v):
    return np.einsum("ij,k,kl->ijl", a, v, np.ones((3, 2))) + np.einsum("ij,kl->ijkl", a, a).sum(axis=(2, 3))[..., None]


@case(args=normal2((2, 3), (3,)), wrt=(0, 1), tags="la_matmul la_dot la_inner la_outer")
def products_mixed_ndim(a, v):
    return (
        (np.matmul(v, a.T) @ a)
        + np.dot(a.reshape(2, 3, 1)[..., 0], v).sum()
        + np.inner(a, a).sum()
        + np.outer(a, v).sum(axis=0)
        + np.kron(v, a)[0, :3]
        + np.vdot(a, a)
    )


@case(args=normal2((2, 3, 4), (4,)), wrt=(0, 1), tags="la_matmul")
def matmul_nd_with_vector(a, v):
    return a @ v + (v @ a.transpose(0, 2, 1)).sum(axis=0)


@case(
    args=lambda rng: (np.stack([well_conditioned(rng), well_conditioned(rng)]), rng.standard_normal(3)),
    wrt=(0, 1),
    tags="la_solve",
)
def solve_stacked_matrices_one_vector(a, b):
    return np.linalg.solve(a, b)


@case(args=lambda rng: (well_conditioned(rng), rng.standard_normal((2, 3, 2))), wrt=(0, 1), tags="la_solve")
def solve_broadcast_single_matrix(a, b):
    return np.linalg.solve(a, b)


@case(args=lambda rng: (np.array([[2.5]]) + 0.1 * rng.standard_normal((1, 1)),), tags="la_inv la_det")
def inv_det_one_by_one(a):
    return np.linalg.inv(a) + np.linalg.det(a) + np.linalg.slogdet(a)[1]


@case(
    args=lambda rng: (well_conditioned(rng, 3)[:, :2].T @ well_conditioned(rng, 3)[:, :3] + np.eye(2, 3),),
    tags="la_norm",
)
def norm_reversed_matrix_axes(a):
    return (
        np.linalg.norm(a, ord=1, axis=(1, 0))
        + np.linalg.norm(a, ord=np.inf, axis=(1, 0)) * 2.0
        + np.linalg.norm(a, ord=1, axis=(0, 1))
    )


@case(args=normal(5), tags="la_norm")
def norm_vector_negative_and_zero_ords(x):
    return np.linalg.norm(x, -1) + np.linalg.norm(x, -2) + np.linalg.norm(x, 0) + np.linalg.norm(x, 2, keepdims=True)


@case(args=normal(6), tags="idx_boolmask")
def index_python_list_bool_mask(x):
    return x[[True, False, True, True, False, True]] * 2.0


@case(args=normal(5), tags="idx_intarray")
def index_empty_int_array(x):
    e = x[np.array([], dtype=int)]
    return e.sum() + x[[]].sum() + x


@case(args=normal(3, 4), tags="idx_slice idx_int")
def index_with_stored_index_tuples(x):
    idx = (slice(None), 1)
    s = slice(1, None, 2)
    return x[idx] + x[s, s].sum() + x[(0, 2)] + x[1, s][0]


@case(args=distinct(3, 4), tags="idx_boolmask pc_argmax")
def index_nonzero_and_argmax(x):
    r, c = np.nonzero(x > 0)
    return x[r, c].sum() + x[np.nonzero(x[0] > 0)].sum() + x.ravel()[x.argmax()] + x[np.where(x < 0)].sum()


@case(args=distinct(3, 4), tags="idx_boolmask")
def index_mask_on_columns_and_2d(x):
    colmask = np.array([True, False, True, True])
    return x[:, colmask] * 2.0 + x[x > 0].sum() + x[1:, colmask][::-1].sum()


@case(args=normal(4, 5), tags="idx_intarray idx_slice idx_newaxis")
def index_advanced_with_newaxis_and_ellipsis(x):
    return x[None, [0, 2], 1:4] + x[..., [4, 0]][:2, None, :].sum(axis=-1) + x[[1, 3], ..., None][:, 1:4, 0][None]


@case(args=normal(3, 4), tags="setitem_int idx_intarray")
def setitem_into_fancy_copy_has_no_effect(x):
    y = x * 1.0
    y[[0, 1]][0] = 100.0
    y[:, 0][y[:, 0] > -50.0] = 7.0
    return y


@case(args=normal(3, 4), tags="setitem_int idx_slice")
def setitem_chained_basic_view_writes_through(x):
    y = np.zeros((3, 4))
    y[1:3][0] = x[0] ** 2
    y[:, 1:][2, ::-1] = x[1, :3]
    return y + x


@case(args=distinct(3, 4), tags="setitem_aug idx_boolmask")
def setitem_aug_with_mask_and_two_advanced(x):
    y = x.copy()
    y[y > 0] += 1.0
    y[y < 0] *= x[x < 0]
    y[[0, 2], [1, 3]] -= x[1, :2] ** 2
    return y


@case(
    args=lambda rng: (rng.standard_normal((3, 4, 5)), rng.standard_normal((2, 4))),
    wrt=(0, 1),
    tags="setitem_slice idx_intarray",
)
def setitem_advanced_separated_by_slice(x, v):
    y = x.copy()
    y[[0, 2], :, [1, 4]] = v * 3.0
    return y


@case(args=normal(3, 4, 5), tags="idx_intarray sh_transpose")
def index_advanced_separated_then_transposed(x):
    return x[[0, 2], :, [1, 4]] + x[1, :, [0, 3]] + x[[0, 2], :, [1, 4]].T.sum(axis=1)[None, :2].sum()


@case(args=distinct(5), tags="np_where")
def where_scalar_condition_and_broadcast(x):
    flag = x.shape[0] > 3
    return np.where(flag, x, 0.0) + np.where(True, 1.0, x) * x + np.where(x[:, None] > 0, x, x[:, None]).sum(axis=0)


@case(
    args=lambda rng: (rng.standard_normal(5), np.linspace(-0.3, 0.3, 5), np.linspace(1.0, 2.0, 5)),
    wrt=(0, 1, 2),
    tags="np_clip m_clip",
)
def clip_all_active_array_bounds(x, lo, hi):
    return np.clip(x, lo, hi) + x.clip(min=lo - 5.0) + np.clip(x, a_min=None, a_max=hi + 5.0)


@case(args=distinct(6), tags="sh_flip")
def sort_descending_and_kinds(x):
    return -np.sort(-x) + np.sort(x, kind="stable")[::-1] + np.sort(x.reshape(2, 3), axis=0).ravel()


@case(args=normal(2, 3), tags="sh_reshape sh_squeeze sh_expand_dims")
def reshape_squeeze_variants(x):
    a = np.reshape(x, -1)
    b = x.reshape((3, -1), order="F")
    c = np.squeeze(x[None, :, None, :], axis=(0, 2))
    d = np.expand_dims(x, axis=-1)[..., 0]
    return a.reshape(2, 3) + b.T + c + d + x.reshape(6)[::2].sum()


@case(args=normal(2, 3), tags="sh_tile sh_repeat sh_roll")
def tile_repeat_roll_edge_cases(x):
    return (
        np.tile(x, (2, 1, 1)).sum(axis=0)
        + np.repeat(x, np.array([2, 1, 0, 1, 1, 1]))[:6].reshape(2, 3)
        + np.roll(x, 7)
        + np.roll(x, -4, axis=-1)
        + np.roll(x, (1, -1), axis=(1, 1))
    )


@case(args=normal(3), tags="sh_stack")
def stack_python_scalars_and_arrays(x):
    return np.stack([x[0], 1.0, x[2] ** 2]) + np.hstack([x[:1], [2.0], x[1:2]]) + np.concatenate([[x[0]], x[1:]])


@case(args=lambda rng: (0.4,), tags="math py_float b_max b_min b_sum")
def python_builtins_on_float_lists(x):
    vals = [x, 2.0 * x, x * x + 1.0]
    return max(vals) + min(vals) + sum(vals, 0.5) + max(vals, key=abs)


@case(args=lambda rng: (0.4, 1.2), wrt=(0, 1), tags="math py_float")
def python_math_prod(x, y):
    return math.prod([x, 3.0, y]) + math.prod((x, x), start=2.0)


@case(args=lambda rng: (0.4,), tags="py_float list_literal")
def python_sorted_float_list(x):
    vals = [x, 2.0 * x, x * x + 1.0]
    return sorted(vals)[1] + sorted(vals, reverse=True)[0] * 2.0


@case(args=lambda rng: (1.7, 0.63), wrt=(0, 1), tags="math py_float floordiv mod")
def python_divmod_floor_scalar(x, y):
    q, r = divmod(x, y)
    return q * y + r + x // y + x % y + math.floor(x) * y + math.trunc(y * 10) * x


@case(args=lambda rng: (np.float64(0.8), np.float32(1.5)), wrt=0, tags="py_float attr_dtype")
def numpy_scalar_float64_mixed_float32(x, c32):
    return x * c32 + np.float32(2.0) * x**2 + np.sin(x) * np.float32(0.5)


@case(args=normal(4), tags="attr_dtype m_astype")
def float16_and_float32_constants(x):
    w = np.array([0.5, 1.0, 1.5, 2.0], dtype=np.float16)
    v = np.array([1, 2, 3, 4], dtype=np.int8)
    return x * w + x * v + (x * np.float32(3.0)).astype(np.float64) * 0.0 + x.dtype.itemsize


@case(args=normal(4), tags="np_power pow")
def powers_negative_base(x):
    return x**3 + np.power(x, 2) + x**2.0 + np.square(x) + np.abs(x) ** 1.5 + x**-2 * 0.01 + np.float_power(x, 3)


@case(args=normal(3, 3, 3), tags="idx_intarray idx_slice")
def index_advanced_separated_by_slice_cube(x):
    return x[[0, 2, 1], :, [1, 0, 2]] + x[1, :, [0, 2, 1]]


@case(args=normal(3, 3, 3), tags="setitem_aug idx_intarray idx_slice")
def setitem_aug_advanced_separated_by_slice_cube(x):
    y = x * 1.0
    y[1, :, [0, 2]] += x[0, :, :2].T
    return y


# ------------------------------------------------------------------ documented conventions at kinks (docs/rules.md)
# Central differences give 0 at these points (the function is even in the step there), and the library
# promises 0 (or a one-sided choice that equals it): a NaN or an inf here would be silently wrong.
@case(args=lambda rng: (np.array([[0.0, 0.0, 0.0], [0.3, -1.2, 0.8]]),), tags="la_norm b_abs")
def norm_and_abs_at_zero(x):
    return (
        np.linalg.norm(x, axis=1)
        + np.linalg.norm(x[0])
        + np.abs(x[0]).sum()
        + np.linalg.norm(x[0], 1)
        + np.linalg.norm(x[0], np.inf)
        + np.linalg.norm(x[:1], "fro")
    )


@case(args=lambda rng: (np.array([0.0, 0.0, 0.0, 0.0]),), tags="la_norm")
def norm_p3_and_half_at_zero(x):
    return np.array([np.linalg.norm(x, 3), np.linalg.norm(x, 4), x.sum()])


@case(args=lambda rng: (np.array([[1.5, 1.5, 1.5], [0.2, -0.4, 1.0]]),), tags="red_std red_var red_axis")
def std_of_equal_values(x):
    return np.std(x, axis=1) + np.std(x[0]) + np.std(np.full(4, x[1, 0])) + np.var(x[0])


@case(args=lambda rng: (np.array([0.0, 0.0, 1.2]), np.array([1.5, 2.5, 0.7])), wrt=1, tags="np_power pow_active_exp")
def power_zero_base_active_exponent(x, y):
    return x**y + np.power(x, y + 1.0) + x ** y[:1] + np.float_power(x, y)


@case(args=lambda rng: (np.array([0.0, 0.0]), np.array([0.0, 0.5])), wrt=(0, 1), tags="np_hypot b_abs")
def hypot_sign_abs_at_origin(x, y):
    # (np.sign jumps at 0: central differences there measure the jump, not a derivative)
    return np.hypot(x, y) + np.abs(x) + abs(float(x[0])) + math.fabs(x[1]) + math.hypot(x[0], x[1])


@case(args=lambda rng: (np.array([0.0, 0.5, -1.0]),), tags="np_elementwise")
def sinc_at_zero(x):
    return np.sinc(x)


@case(args=lambda rng: (np.array([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [1.0, 0.0, 1.0]]),), tags="la_det")
def det_of_exactly_singular_rank2(a):
    return np.linalg.det(a)


@case(args=lambda rng: (np.outer([1.0, 2.0, -1.0], [0.5, 1.0, 2.0]),), tags="la_det")
def det_of_exactly_singular_rank1(a):
    return np.linalg.det(a) + np.linalg.det(a[:2, :2])


@case(args=lambda rng: (np.array([0.0, 0.25, 0.0, 1.5, 2.0]),), tags="np_where")
def where_guards_sqrt_and_log_at_zero(x):
    return (
        np.where(x > 0.1, np.sqrt(x), 0.0) + np.where(x > 0.1, np.log(x), 0.0) + np.where(x > 0.1, x * np.log(x), 0.0)
    )


@case(args=lambda rng: (rng.standard_normal(6),), tags="red_sum red_mean np_where")
def nan_reductions_with_real_nans(x):
    y = np.where(np.arange(6) % 3 == 0, np.nan, x)
    return np.nansum(y**2) + np.nanmean(y) + np.nan_to_num(y, nan=0.5).sum()


@case(args=lambda rng: (np.array([2.0, -1.0, 2.0, 0.5]),), tags="red_max pc_argmax")
def max_tie_first_argmax_convention_equal_tangent_copies(x):
    y = np.concatenate([x[:1], x[:1] * 1.0])
    return np.max(y) + np.min(np.stack([x[1:2], x[1:2]])) + np.median(np.array([x[3], x[3], x[0]]))


@case(args=lambda rng: (np.array([[1.0, 2.0], [2.0, 4.0]]),), tags="la_det")
def det_of_exactly_singular_2x2(a):
    return np.linalg.det(a) * 3.0
