"""Python semantics that a transform can easily get wrong: aliasing and views, simultaneous
assignment, short-circuit operators returning operands, in-place updates, annotations, asserts."""

import math

import numpy as np

from . import case


def normal(*shape):
    return lambda rng: (rng.standard_normal(shape),)


def normal2(s1, s2):
    return lambda rng: (rng.standard_normal(s1), rng.standard_normal(s2))


@case(args=lambda rng: (0.6,), tags="unpack tuple_literal for_range py_float")
def simultaneous_assignment(x):
    a, b = 1.0, x
    for _ in range(4):
        a, b = b, a + b * x
    return a * b


@case(args=normal2(3, 3), wrt=(0, 1), tags="unpack tuple_literal")
def swap(x, y):
    x, y = y, x
    return x * 2.0 + y * y


@case(args=normal(2), tags="unpack for_array")
def unpack_array(x):
    a, b = x
    return a * b + a


@case(args=normal(2, 3), tags="unpack")
def unpack_rows(X):
    r0, r1 = X
    return r0 * r1


@case(args=normal(4), tags="unpack")
def star_unpack(x):
    first, *rest = x
    return first * sum(rest)


@case(args=lambda rng: (0.7, 1.3), wrt=(0, 1), tags="boolop py_float")
def or_returns_operand(x, y):
    v = x or y
    w = (x > 1.0) or y
    u = x and y
    return v * 2.0 + w + u


@case(args=lambda rng: (0.7,), tags="compare boolop if")
def chained_comparison(x):
    if 0.0 < x < 1.0:
        return x * x
    return x


@case(args=normal(3), tags="pos setitem_int")
def unary_plus_copy(x):
    y = +x
    y[0] = 0.0
    return y * x


@case(args=normal(3), tags="cr_array setitem_int")
def np_array_copies(x):
    y = np.array(x)
    y[1] = 0.0
    z = x.astype(x.dtype)
    z[2] = 1.0
    return y + z + x


@case(args=normal(3), tags="cr_asarray setitem_int", mutates=True)
def asarray_aliases_input(x):
    y = np.asarray(x)
    y[0] = 5.0
    return x * 2.0


@case(args=normal(2, 3), tags="m_reshape setitem_int", mutates=True)
def write_through_view(X):
    v = X.reshape(-1)
    v[0] = v[1] * 3.0
    r = X[1]
    r *= 2.0
    return X


@case(args=normal(3), tags="aug_add", mutates=True)
def alias_then_augment(x):
    y = x
    y += 1.0
    return y * x


@case(args=normal2(3, 3), wrt=(0, 1), tags="aug_add aug_mul")
def augment_after_copy_by_multiply(x, y):
    z = x * 1.0
    z += y
    w = y + 0.0
    w *= 3.0
    return z, w, x, y


@case(args=normal(3), tags="setitem_int idx_int")
def setitem_after_identity_ops(x):
    y = x + 0.0
    y[0] = 1.0
    z = x - 0
    z[1] = 2.0
    w = x / 1.0
    w[2] = 3.0
    return x + y + z + w


@case(args=normal(3), tags="setitem_aug")
def repeated_index_add(x):
    y = np.zeros(3)
    y[[0, 0, 1]] += x
    return y


@case(
    args=normal2(3, 3), wrt=(0, 1), tags="list_literal container_subscript aug_add", mutates=True
)  # L[0] += y updates x in place
def list_item_augment(x, y):
    L = [x, y]
    L[0] += y
    L[1] = L[1] * L[0]
    return L[0] + L[1]


@case(
    args=lambda rng: ({"a": rng.standard_normal(2), "b": rng.standard_normal(2)},),
    tags="dict_input for_list",
    mutates=True,
)
def dict_update_in_loop(d):
    for k in ["a", "b"]:
        d[k] = d[k] * 2.0 + 1.0
    return d["a"] * d["b"]


@case(args=normal(3), tags="ifexp")
def ifexp_mixed_activity(x):
    y = x if x.sum() < 100.0 else 2.0
    z = 2.0 if x.sum() < 100.0 else x
    return y + z * x


@case(args=lambda rng: (0.9,), tags="while py_float")
def while_on_active_value(x):
    s = 0.0
    while s < 3.0:
        s = s + x
    return s * x


@case(args=lambda rng: (1.7,), tags="b_int b_range")
def range_of_int_of_active(x):
    s = 0.0
    for i in range(int(x * 2)):
        s = s + x**i
    return s


@case(args=normal(3), tags="array")
def annotated_with_docstring(x: np.ndarray, scale: float = 2.0) -> np.ndarray:
    """Docstrings, annotations, asserts and pass are ignored by the derivative."""
    assert x.ndim == 1, "need a vector"
    if x.shape[0] != 3:
        raise ValueError(f"expected 3 values, got {x.shape[0]}")
    pass
    y: np.ndarray = x * scale
    return y


@case(args=normal(3), tags="b_float red_sum")
def float_of_array_scalar(x):
    return float(np.sum(x)) * x + float(x[0]) ** 2


@case(args=normal2(3, 3), wrt=(1,), tags="la_dot m_dot")
def inactive_dot_active(x, y):
    return x.dot(y) + np.dot(x, y) * x


@case(args=lambda rng: (rng.standard_normal(5), -0.5, 0.4), wrt=(0, 1, 2), tags="np_clip m_clip py_float")
def clip_active_bounds(x, lo, hi):
    return np.clip(x, lo, hi) + x.clip(lo, hi) * 2.0


@case(args=lambda rng: (rng.standard_normal(5), 0.7), wrt=(0, 1), tags="np_where py_float")
def where_active_scalar(x, s):
    return np.where(x > 0.0, s, x * s) + np.where(x < 0.0, s * s, 0.0)


@case(args=normal(4), tags="b_max b_min sum_list_arrays list_literal")
def builtin_max_of_list(x):
    vals = [x[0], x[1] * 2.0, x[2] - 1.0]
    return max(vals) + min(vals) + sum(vals, x[3])


@case(
    args=lambda rng: (rng.standard_normal((3, 2)), rng.standard_normal((2, 2))),
    wrt=(0, 1),
    tags="unpack for_enumerate b_zip",
)
def enumerate_zip_nested_unpack(X, Y):
    s = 0.0
    for i, (a, b) in enumerate(zip(X, Y)):
        s = s + (i + 1) * a @ b
    return s


@case(args=normal(4), tags="break for_range continue")
def nested_loop_break(x):
    s = 0.0
    for i in range(4):
        for j in range(4):
            if j > i:
                break
            if j == 1:
                continue
            s = s + x[i] * x[j]
    return s


@case(args=lambda rng: (rng.standard_normal(3), 4), tags="recursion early_return py_int")
def recursion_on_array(x, n):
    if n == 0:
        return x
    return np.sin(recursion_on_array(x, n - 1)) + x


@case(args=normal(3), tags="global call_user")
def calls_corpus_function(x):
    return simultaneous_assignment(x[0]) * x + swap(x, x * 2.0)


@case(args=normal(3), tags="nested_def closure")
def closure_late_binding(x):
    y = x * 2.0

    def g():
        return y * y

    y = np.sin(x)
    return g()


@case(args=normal(3), tags="nested_def closure list_append", mutates=False)
def closure_appends_to_outer_list(x):
    acc = []

    def push(v):
        acc.append(v * x)

    push(x)
    push(2.0)
    return acc[0] + acc[1]


@case(args=normal2(3, 2), wrt=(0, 1), tags="listcomp")
def nested_list_comprehension(x, y):
    return np.array([a * b for a in x for b in y if a > -10.0])


@case(args=lambda rng: ({"a": rng.standard_normal(2), "b": rng.standard_normal(2)},), tags="dict_input for_dict_items")
def dict_comprehension(d):
    e = {k: v * 2.0 for k, v in d.items()}
    return e["a"] * e["b"]


@case(args=lambda rng: (rng.standard_normal(6), 1, 4), tags="idx_slice py_int")
def slice_with_variables(x, i, j):
    return x[i:j] * x[j - 1 : i - 1 : -1] + x[i:j:2].sum()


@case(args=normal(4), tags="setitem_slice idx_slice")
def setitem_reversed_slice(x):
    y = np.zeros(4)
    y[::-1] = x
    y[1:3] = y[1:3] * x[:2]
    return y


@case(args=lambda rng: (rng.standard_normal((3, 3)), 0.8), wrt=(0, 1), tags="setitem_slice py_float")
def setitem_broadcast_scalar(X, s):
    Y = X.copy()
    Y[:, 1:] = s
    Y[0] = s * s
    return Y


@case(
    args=lambda rng: ({"a": rng.standard_normal(2)}, rng.standard_normal(2)),
    wrt=(0, 1),
    tags="dict_input aug_add container_subscript",
    mutates=True,
)
def dict_item_augment(d, x):
    d["a"] += x
    d["a"] *= x
    return d["a"]


@case(args=normal(3, 4), tags="m_sum m_max red_axis")
def positional_axis_methods(X):
    return X.sum(0) + X.max(1).sum() + X.mean(1)[0] + np.sum(X, 1)[1]


@case(args=normal2(3, 3), wrt=(0, 1), tags="sum_list_arrays red_sum red_mean")
def numpy_reduce_list(x, y):
    return np.sum([x, y * 2.0], axis=0) + np.mean([x[0], y[1]])


@case(args=lambda rng: (rng.standard_normal(4),), tags="la_norm")
def norm_orders(x):
    return np.linalg.norm(x, np.inf) + np.linalg.norm(x.reshape(2, 2), "fro") + np.linalg.norm(x, -np.inf)


@case(args=normal2(3, 3), wrt=(0, 1), tags="la_einsum la_tensordot")
def einsum_implicit_tensordot_axes(x, y):
    return np.einsum("i,i", x, y) * np.tensordot(np.outer(x, y), np.outer(y, x), axes=([1], [0]))


@case(args=lambda rng: (np.array([0.0, 1.5, -0.7]),), tags="pow pow_active_exp")
def pow_at_zero(x):
    return x**0 + x**2 + x**3 + x**1


@case(args=lambda rng: (np.array([0.0, 1.5, 0.7]), np.array([2.0, 1.3, 0.5])), wrt=(1,), tags="pow pow_active_exp")
def pow_zero_base_active_exponent(x, y):
    return x**y


@case(args=normal(3), tags="m_astype")
def astype_float_and_int(x):
    return x.astype(np.float64) * 2.0, x.astype(int) * x, x.astype(np.int32)


@case(args=normal2(3, 3), wrt=(1,), tags="array")
def unused_differentiated_argument(x, y):
    return x * 2.0


@case(args=lambda rng: (1.3,), tags="py_float constant")
def constant_output(x):
    return 2.0


@case(args=normal(3), tags="tuple_return")
def return_input_and_extras(x):
    return x, None, "ok", True, int(x.sum() > 100.0)


@case(args=lambda rng: (rng.standard_normal(3), 0), tags="for_range py_int")
def empty_loop(x, n):
    s = 0.0
    for _ in range(n):
        s = s + x
    return s + x


@case(args=lambda rng: (rng.standard_normal(3), True), tags="if", name="defined_in_if_only_true")
def defined_in_if_only(x, flag):
    if flag:
        y = x * x
    if flag:
        return y + x
    return x


@case(args=normal(4), tags="for_array idx_slice")
def loop_variable_after_loop(x):
    v = 0.0
    for v in x[::-1]:
        pass
    return v * x


@case(args=lambda rng: (rng.standard_normal(3), 1), tags="call_user recursion py_int")
def mutual_recursion(x, n):
    return _even(x, n + 3)


def _even(x, n):
    if n == 0:
        return x
    return _odd(x * 1.5, n - 1)


def _odd(x, n):
    return np.sin(_even(x, n - 1)) + x


@case(args=lambda rng: (0.8,), tags="list_literal list_append for_range container_subscript")
def list_grows_from_inactive(x):
    L = [1.0]
    for _ in range(4):
        L.append(L[-1] * x + 1.0)
    return L


@case(args=normal(2), tags="listcomp setitem_int for_range container_subscript cr_zeros")
def list_of_zeros_updated(x):
    L = [np.zeros(2) for _ in range(3)]
    for i in range(3):
        L[i] = x * i + L[i]
    return L[2] - L[1]


@case(args=lambda rng: (0.9,), tags="dict_literal for_range container_subscript")
def dict_becomes_active_in_loop(x):
    d = {"a": 1.0, "b": 2.0}
    for i in range(3):
        d["a"] = d["b"] * x
        d["b"] = d["a"] + i
    return d


@case(args=lambda rng: (0.6, 1.1), wrt=(0, 1), tags="while unpack")
def while_tuple_carry(x, y):
    a, b = x, y
    k = 0
    while k < 4:
        a, b = b, a * b + x
        k += 1
    return a - b


@case(args=normal(3, 3), tags="setitem_int idx_intarray")
def setitem_fancy_2d(X):
    Y = np.zeros((3, 3))
    Y[[0, 1, 2], [2, 1, 0]] = X[0] * 2.0
    Y[-1, -1] = X[1, 1]
    return Y


@case(args=normal(3, 4), tags="idx_intarray idx_boolmask idx_slice")
def mixed_fancy_indexing(X):
    m = np.abs(X) > 0.5
    return X[:, [0, 2]] * 2.0 + X[m].sum() + X[1:, [1]].sum() + X[None][0, 0, 0]


@case(args=normal(4), tags="idx_int pc_compare pc_int_arith")
def index_from_comparison(x):
    i = int(x[0] > 0)
    j = 2 + (x[1] > 0)
    return x[i] * x[j]


@case(
    args=lambda rng: ((rng.standard_normal(2), rng.standard_normal(2), 0.5),),
    tags="tuple_input for_range container_subscript",
)
def tuple_index_in_loop(t):
    s = 0.0
    for i in range(2):
        s = s + t[i] * t[2]
    return s


@case(args=normal(3), tags="m_copy setitem_int cr_array")
def flatten_copy_then_write(x):
    y = x.reshape(1, 3).flatten()
    y[0] = 7.0
    z = np.copy(x)
    z[1] = 7.0
    return x * y * z


@case(args=lambda rng: (0.7,), tags="math py_float")
def math_extras(x):
    return math.log(x, 2.0) + math.log(x) * math.erf(x) + math.fabs(x - 2.0) + math.copysign(x, -1.0) + math.degrees(x)


@case(args=lambda rng: (rng.standard_normal(3), 2.0), wrt=(0, 1), tags="b_pow py_float")
def builtin_pow_variants(x, s):
    return pow(x, 2) + pow(s, x) + pow(2, s) * x + s**2


@case(args=lambda rng: (rng.standard_normal(4),), tags="m_std m_var m_max red_keepdims red_axis")
def method_keyword_variants(x):
    X = x.reshape(2, 2)
    return X.std(ddof=1) + X.var(axis=0, keepdims=True) + X.max(axis=0, keepdims=True) + X.clip(max=0.5) + X.squeeze()


@case(args=normal(3), tags="m_ravel setitem_int", mutates=True)
def write_through_ravel(x):
    v = x.ravel()
    v[0] = v[1] * v[2]
    return x * 2.0


@case(args=lambda rng: (rng.standard_normal(3), 2), tags="recursion call_user py_int")
def recursion_with_activity_change(x, n):
    return _rec_mixed(1.0, x, n)


def _rec_mixed(a, x, n):
    if n == 0:
        return a
    return _rec_mixed(a * x + 1.0, x, n - 1)


@case(args=normal(3), tags="setitem_int cr_zeros")
def write_into_view_of_zeros(x):
    Y = np.zeros((2, 3))
    row = Y[0]
    row[1] = x[0]
    return Y


@case(args=normal(3), tags="setitem_int cr_zeros attr_T")
def write_into_transpose_view(x):
    Y = np.zeros((3, 2))
    Yt = Y.T
    Yt[0] = x[0] * x
    Yt[1, 1:] = x[1]
    return Y


@case(args=normal(3), tags="setitem_slice for_enumerate cr_zeros")
def fill_rows_by_iteration(x):
    out = np.zeros((3, 3))
    for i, row in enumerate(out):
        row[:] = x * (i + 1)
    return out


@case(args=normal(3), tags="aug_add list_literal cr_zeros container_subscript")
def augment_array_held_in_list(x):
    L = [np.zeros(3), np.zeros(3)]
    a = L[0]
    a += x
    return L[0] + L[1]


@case(args=normal(3), tags="setitem_int tuple_literal cr_zeros container_subscript")
def write_through_tuple_element(x):
    y = np.zeros(3)
    t = (y, 1)
    t[0][1] = x[2]
    return y


@case(args=normal(3), tags="dict_literal setitem_int container_subscript")
def write_into_array_held_in_dict(x):
    d = {"w": x * 1.0}
    d["w"][0] = 5.0
    return d["w"] * x


@case(args=normal(3), tags="list_literal setitem_int container_subscript")
def write_into_array_held_in_list(x):
    L = [x + 0.0, x]
    L[0][1] = 2.0
    return L[0] * L[1]


@case(args=lambda rng: (rng.standard_normal(3), rng.standard_normal(3)), wrt=(0,), tags="setitem_int add")
def write_after_adding_constant_array(x, c):
    y = x + c
    y[0] = 0.0
    return y * x


@case(args=lambda rng: (rng.standard_normal(3), rng.standard_normal(3)), wrt=(0,), tags="setitem_aug add")
def augment_slice_after_adding_constant(x, c):
    y = x + c
    y[1:] *= 2.0
    return y * x


@case(args=lambda rng: (rng.standard_normal(3), rng.standard_normal(3)), wrt=(0,), tags="setitem_int np_elementwise")
def write_after_np_add_constant(x, c):
    y = np.add(x, c)
    y[0] = 0.0
    return y * x


@case(args=normal(4), tags="for_array for_enumerate setitem_int aug_mul")
def write_rows_while_iterating(x):
    Y = x.reshape(2, 2) * 1.5
    for i, row in enumerate(Y):
        row[1] = x[i] ** 2
        row *= row[0]
    return Y


@case(args=normal(3), tags="unpack setitem_int tuple_literal")
def swap_elements_by_unpacking(x):
    y = x * 2.0
    y[0], y[1] = y[1], y[0]
    return y


@case(args=normal(3), tags="list_append list_literal container_subscript")
def chained_assignment_shares_list(x):
    a = b = []
    a.append(x * 2.0)
    return b[0]
