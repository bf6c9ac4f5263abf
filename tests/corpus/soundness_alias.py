"""Soundness (issue 12), class 3: aliases.

NumPy functions and methods that return views (``np.reshape``, ``np.transpose``, ``a.T``, ``a.view()``,
``a.astype(t, copy=False)`` ...), arrays held in dicts and lists, unpacked, iterated over, captured by
nested functions, module-level work buffers and user functions that return (part of) their argument:
a write through one name must show through every other name, in the value and in the tangent, and a
function that copies (``np.ravel`` of a non-contiguous array, fancy indexing) must not be mistaken for
one that aliases.

Cases in ``REFUSAL_OK`` may instead be refused with a clean ``tangent_fwd.TransformError``: differentiated
values written into module-level buffers or through objects whose aliasing the compiler cannot see."""

from types import SimpleNamespace

import numpy as np

from . import case

REFUSAL_OK = {
    "module_work_buffer_active",
    "module_buffer_returned_by_callee",
    "attribute_buffer_view_write",
    "object_argument_stats_write",
    # refused today with a MissingRuleError naming the line (container methods and object methods that
    # return stored arrays, `.view()` and `.flat` have no rules; issue 13 widens the language)
    "view_method_write",
    "flat_iterator_write",
    "setdefault_returns_the_stored_array",
    "popped_array_is_the_same_object",
    "shallow_dict_copies_share_arrays",
    "method_of_module_level_object",
}

# Module-level work buffers (as in code that avoids allocations); compared after every run.
WORK = np.zeros(3)
WORK2 = np.zeros(3)
SCRATCH = np.zeros(3)


class RunningStats:
    """A user's stats holder (equality so tests can compare it)."""

    def __init__(self, n):
        self.mu = np.zeros(n)

    def __eq__(self, other):
        return type(other) is type(self) and np.array_equal(self.mu, other.mu)

    def __repr__(self):
        return f"RunningStats(mu={self.mu!r})"


def normal(*shape):
    return lambda rng: (rng.standard_normal(shape),)


def _ident(a):
    return a


def _first_half(a):
    return a[: a.shape[0] // 2]


def _scale_inplace(a, s):
    a *= s


def _column(M, j):
    return M[:, j]


def _fill_work2(v):
    WORK2[...] = v
    return WORK2


# ------------------------------------------------------------------ views made by functions and methods
@case(args=normal(3), tags="sh_reshape setitem_int cr_zeros")
def np_reshape_view_write(x):
    buf = np.zeros(6)
    m = np.reshape(buf, (2, 3))
    m[1] = x * x
    return buf * 2.0


@case(args=normal(3), tags="cr_asarray setitem_int")
def np_asarray_view_write_active(x):
    y = x * 1.0
    z = np.asarray(y)
    z[0] = x[1] ** 2
    return y


@case(args=normal(3), tags="sh_transpose setitem_int cr_zeros")
def np_transpose_view_write(x):
    B = np.zeros((2, 3))
    T = np.transpose(B)
    T[0] = x[:2] * 3.0
    T[2, 1] = x[2]
    return B


@case(args=normal(3), tags="sh_expand_dims setitem_int cr_zeros")
def expand_dims_view_write(x):
    b = np.zeros(3)
    e = np.expand_dims(b, 0)
    e[0, 1] = x[0] * x[1]
    return b + x


@case(args=normal(3, 2), tags="sh_swapaxes aug_add setitem_int cr_zeros")
def swapaxes_view_write(X):
    C = np.zeros((2, 3, 2))
    S = np.swapaxes(C, 0, 2)
    S[1, 2, 0] = X.sum()
    S[0] += X**2
    return C


@case(args=normal(4), tags="sh_squeeze setitem_slice cr_zeros")
def squeeze_view_write(x):
    b = np.zeros((1, 4))
    s = np.squeeze(b)
    s[:] = x
    return b * x


@case(args=normal(4), tags="sh_ravel aug_add la_matmul cr_zeros")
def ravel_view_write(x):
    B = np.zeros((2, 2))
    r = np.ravel(B)
    r += x
    return B @ B


@case(args=normal(9), tags="sh_ravel attr_T setitem_slice cr_zeros")
def ravel_of_transpose_is_a_copy(x):
    B = np.zeros((3, 3))
    r = np.ravel(B.T)
    r[:] = x
    return B + r.reshape(3, 3)


@case(args=normal(4), tags="m_reshape setitem_aug")
def method_reshape_view_write(x):
    y = x * 1.0
    m = y.reshape(2, 2)
    m[:, 0] *= x[:2]
    return y


@case(args=normal(3, 3), tags="attr_T setitem_int")
def transpose_attribute_setitem(X):
    Y = X * 1.0
    Y.T[0] = X[:, 1] ** 2
    return Y


@case(args=normal(4), tags="setitem_slice")
def view_method_write(x):
    y = x + 0.0
    v = y.view()
    v[1:] = x[:-1] * 3.0
    return y


@case(args=normal(3), tags="m_astype setitem_int", float32=False)
def astype_copy_false_same_dtype_aliases(x):
    y = x * 2.0
    z = y.astype(np.float64, copy=False)
    z[0] = x[2] ** 2
    return y


@case(args=normal(3), tags="m_astype setitem_int", float32=False)
def astype_copy_false_other_dtype_copies(x):
    y = x * 2.0
    z = y.astype(np.float32, copy=False)
    z[0] = 0.0
    return y * 3.0


@case(args=normal(3), tags="sh_moveaxis setitem_slice cr_zeros")
def moveaxis_view_write(x):
    C = np.zeros((2, 3))
    M = np.moveaxis(C, 0, -1)
    M[:, 0] = x
    return C


@case(args=normal(3), tags="setitem_slice cr_zeros")
def atleast_2d_view_write(x):
    b = np.zeros(3)
    a2 = np.atleast_2d(b)
    a2[0, :] = x * x
    return b


@case(args=normal(2, 3), tags="sh_reshape aug_sub red_mean", mutates=True)
def center_argument_through_reshape(X):
    v = np.reshape(X, -1)
    v -= v.mean()
    return X


@case(args=normal(4), tags="setitem_slice idx_slice cr_zeros")
def view_of_view_write(x):
    a = np.zeros(5)
    b = a[1:]
    c = b[1:]
    c[0] = x[0] * x[1]
    c[1:] = x[2:]
    return a


@case(args=normal(3), tags="cr_asarray aug_add idx_slice cr_ones")
def asarray_of_slice_aug(x):
    buf = np.ones(4)
    v = np.asarray(buf[1:])
    v += x**2
    return buf


@case(args=normal(4), tags="sh_split aug_add cr_zeros unpack")
def split_views_aug(x):
    buf = np.zeros(4)
    a, b = np.split(buf, 2)
    a += x[:2]
    b *= x[2:]
    return buf + x


@case(args=normal(3), tags="idx_newaxis setitem_slice cr_zeros")
def newaxis_view_write(x):
    y = np.zeros(3)
    c = y[:, None]
    c[:, 0] = x * 2.0
    return y


@case(args=normal(3), tags="setitem_int cr_zeros")
def rebinding_base_name_keeps_old_view(x):
    buf = np.zeros(3)
    v = buf[:]
    buf = x * 2.0
    v[0] = 1.0
    return buf + v


@case(args=normal(4), tags="setitem_slice idx_slice aug_mul cr_zeros")
def padded_view_stencil(x):
    P = np.zeros(6)
    P[1:-1] = x
    inner = P[1:-1]
    inner *= 2.0
    return np.diff(P) * P[:-1]


# ------------------------------------------------------------------ containers
@case(args=normal(3), tags="dict_literal setitem_int container_subscript cr_zeros")
def array_held_in_dict_written(x):
    a = np.zeros(3)
    d = {"k": a}
    d["k"][0] = x[0] * 2.0
    return a * x


@case(args=normal(3), tags="dict_literal setitem_int container_subscript", mutates=True)
def argument_held_in_dict_written(x):
    d = {"k": x}
    d["k"][0] = 1.0
    return x * 2.0


@case(args=normal(3), tags="list_append setitem_slice container_subscript cr_zeros")
def array_appended_to_list_written(x):
    bufs = []
    b = np.zeros(3)
    bufs.append(b)
    bufs[-1][:] = x**2
    return b + x


@case(args=normal(3), tags="unpack tuple_literal setitem_slice cr_zeros cr_ones")
def unpacked_pair_written(x):
    a = np.ones(3)
    b = np.zeros(3)
    p, q = a, b
    q[:] = x * a
    p += x
    return a * b


@case(args=normal(3), tags="for_list aug_add tuple_literal cr_zeros cr_ones")
def loop_over_tuple_of_buffers(x):
    b1 = np.zeros(3)
    b2 = np.ones(3)
    for buf in (b1, b2):
        buf += x**2
    return b1 * b2


@case(args=normal(3), tags="for_enumerate setitem_int list_literal cr_zeros")
def enumerate_list_of_buffers(x):
    b1 = np.zeros(3)
    b2 = np.zeros(3)
    for i, buf in enumerate([b1, b2]):
        buf[i] = x[i] * x[2]
    return b1 + 2.0 * b2


@case(args=normal(3), tags="listcomp for_list aug_add cr_zeros")
def rows_collected_by_comprehension(x):
    B = np.zeros((2, 3))
    rows = [B[i] for i in range(2)]
    for r in rows:
        r += x
    return B * x


@case(args=normal(3), tags="nested_def closure setitem_slice list_literal container_subscript cr_zeros")
def nested_function_mutates_outer_list(x):
    store = [np.zeros(3)]

    def put(v):
        store[0][:] = v * 2.0

    put(x)
    return store[0] + x


@case(args=normal(3), tags="nested_def closure list_literal container_subscript")
def nested_function_rebinds_outer_list_slot(x):
    acc = [0.0]

    def add(v):
        acc[0] = acc[0] + v * x

    add(x)
    add(1.0)
    return acc[0]


# ------------------------------------------------------------------ module-level buffers
@case(args=normal(3), tags="global setitem_slice")
def module_work_buffer_active(x):
    WORK[:] = x**2
    return WORK * 3.0


@case(args=normal(3), tags="global call_user")
def module_buffer_returned_by_callee(x):
    return _fill_work2(x * 2.0) + x


@case(args=normal(3), tags="global setitem_int setitem_slice")
def module_buffer_inactive_write(x):
    SCRATCH[:] = 0.0
    SCRATCH[0] = 1.0
    return x * SCRATCH


# ------------------------------------------------------------------ 0-d and user functions
@case(args=normal(3), tags="aug_add cr_zeros red_sum")
def zero_d_accumulator_alias(x):
    acc = np.zeros(())
    alias = acc
    alias += (x * x).sum()
    return acc * x


@case(args=normal(3), tags="call_user setitem_int cr_zeros")
def identity_function_result_written(x):
    y = np.zeros(3)
    z = _ident(y)
    z[1] = x[0]
    return y * x


@case(args=normal(4), tags="call_user aug_mul")
def user_function_returns_view(x):
    y = x * 1.0
    h = _first_half(y)
    h *= x[2:]
    return y


@case(args=normal(3), tags="call_user cr_ones")
def user_function_mutates_argument(x):
    y = np.ones(3)
    _scale_inplace(y, x[0])
    return y * x


@case(args=normal(3), tags="call_user setitem_slice cr_zeros")
def setitem_on_call_result(x):
    B = np.zeros((3, 2))
    _column(B, 1)[:] = x * x
    return B


@case(args=normal(3), tags="call_user aug_add", mutates=True)
def identity_of_argument_aug(x):
    y = _ident(x)
    y += 1.0
    return x * x


# ------------------------------------------------------------------ attributes of objects
@case(args=normal(3), tags="setitem_slice cr_zeros")
def attribute_buffer_view_write(x):
    ns = SimpleNamespace(buf=np.zeros(3))
    b = ns.buf
    b[:] = x
    return ns.buf * x


@case(args=lambda rng: (rng.standard_normal(3), RunningStats(3)), tags="setitem_slice red_mean", mutates=True)
def object_argument_stats_write(x, stats):
    stats.mu[:] = x.mean()
    return x - stats.mu


# ------------------------------------------------------------------ for vector mode / jacfwd / hessian
@case(args=normal(4), tags="sh_reshape setitem_int red_sum la_dot cr_zeros")
def function_view_written_scalar_loss(x):
    buf = np.zeros(4)
    np.reshape(buf, (2, 2))[0] = x[:2] * x[2:]
    return (buf**2).sum() + buf @ x


@case(args=normal(3, 2), tags="sh_transpose aug_add red_sum cr_zeros")
def transpose_view_accumulated_scalar_loss(X):
    G = np.zeros((2, 3))
    T = np.transpose(G)
    T += X * X
    return (G @ X).sum()


# ------------------------------------------------------------------ more functions that may or may not copy
@case(args=normal(3), tags="cr_array setitem_int")
def np_array_copy_false_aliases(x):
    y = x * 2.0
    z = np.array(y, copy=False)
    z[0] = x[1] * x[2]
    return y


@case(args=normal(4), tags="setitem_slice")
def ascontiguousarray_of_contiguous_aliases(x):
    y = x + 1.0
    z = np.ascontiguousarray(y)
    z[2:] = x[:2] ** 2
    return y


@case(args=normal(3, 3), tags="m_reshape attr_T setitem_slice")
def reshape_of_transpose_copies(X):
    Y = X * 1.0
    flat = Y.T.reshape(-1)
    flat[:3] = 0.0
    return Y + flat.reshape(3, 3)


@case(args=normal(4), tags="setitem_int")
def flat_iterator_write(x):
    Y = np.zeros((2, 2))
    Y.flat[3] = x[0] * x[1]
    Y.flat[0] = x[2]
    return Y


# ------------------------------------------------------------------ containers that share arrays
@case(args=normal(3), tags="dict_literal aug_add container_subscript cr_zeros")
def setdefault_returns_the_stored_array(x):
    cache = {}
    acc = cache.setdefault("acc", np.zeros(3))
    acc += x * x
    again = cache.setdefault("acc", np.ones(3))
    again *= x
    return cache["acc"]


@case(args=normal(3), tags="dict_literal aug_mul container_subscript cr_ones")
def dict_get_returns_the_stored_array(x):
    params = {"w": np.ones(3)}
    w = params.get("w")
    w *= x
    return params["w"] + x


@case(args=normal(3), tags="list_literal aug_add cr_zeros")
def popped_array_is_the_same_object(x):
    keep = np.zeros(3)
    L = [np.ones(3), keep]
    last = L.pop()
    last += x**2
    return keep * L[0]


@case(args=normal(3), tags="list_literal aug_add container_subscript cr_zeros cr_ones")
def shallow_list_copies_share_arrays(x):
    L = [np.zeros(3), np.ones(3)]
    L2 = list(L)
    L3 = L[:]
    L4 = L.copy()
    L2[0] += x
    L3[1] *= x
    L4[0] *= 2.0
    return L[0] * L[1]


@case(args=normal(3), tags="dict_literal aug_add container_subscript cr_zeros")
def shallow_dict_copies_share_arrays(x):
    d = {"a": np.zeros(3)}
    e = dict(d)
    f = {**d}
    g = d.copy()
    e["a"] += x
    f["a"] *= x
    g["a"] -= 1.0
    return d["a"]


@case(args=normal(3), tags="unpack aug_add cr_zeros")
def unpack_generator_of_views(x):
    buf = np.zeros((2, 3))
    a, b = (buf[i] for i in range(2))
    a += x
    b += x * x
    return buf


@case(args=normal(2), tags="for_zip aug_add list_literal cr_zeros")
def zip_buffers_with_values(x):
    b1 = np.zeros(2)
    b2 = np.zeros(2)
    for b, v in zip([b1, b2], x):
        b += v * x
    return b1 - b2


# ------------------------------------------------------------------ user classes (attribute reads)
class Linear:
    """A user's layer: parameters held as attributes, applied by a method."""

    def __init__(self, W, b):
        self.W = W
        self.b = b

    def forward(self, x):
        return np.tanh(self.W @ x + self.b)


LAYER = Linear(np.linspace(-1.0, 1.0, 6).reshape(2, 3), np.array([0.1, -0.2]))


@case(args=normal(3), tags="call_user la_matmul")
def method_of_module_level_object(x):
    return LAYER.forward(x) * 2.0


@case(args=normal(3), tags="la_matmul attr_T")
def attributes_of_module_level_object(x):
    return LAYER.W.T @ (LAYER.W @ x + LAYER.b)
