"""Soundness (issue 12), class 1: augmented assignment must stay in place on every kind of target.

``a op= b`` on an ndarray writes into the existing buffer, so every other name for that buffer (a view,
a list or dict slot, the caller's argument, an attribute) sees the new value. A transform that rewrites
``a op= b`` as ``a = a op b`` gets the primal and the tangent wrong for all those other names.

Cases in ``REFUSAL_OK`` may instead be refused with a clean ``tangent_fwd.TransformError`` (writes of
differentiated values into attributes of objects, whose aliasing the compiler cannot see, and in-place
writes by library calls or methods that have no JVP rule, such as ``np.add.at`` or ``a.sort()``)."""

from types import SimpleNamespace

import numpy as np

from . import case

# Case names (without the module prefix) that the compiler may refuse with a TransformError.
REFUSAL_OK = {
    "attribute_aug_active_on_local_object",
    "attribute_array_view_aug",
    "momentum_state_object_update",
    "attribute_zero_d_accumulator",
    # in-place writes by library calls or methods that have no rule: refusing them is honest
    "scatter_add_with_ufunc_at",
    "inplace_sort_method",
    "copyto_active_into_buffer",
    "fill_method_with_active_value",
    "put_active_values",
}


def normal(*shape):
    return lambda rng: (rng.standard_normal(shape),)


def normal2(s1, s2):
    return lambda rng: (rng.standard_normal(s1), rng.standard_normal(s2))


class MomentumState:
    """A plain optimizer-state object, as a user would write it (equality so tests can compare it)."""

    def __init__(self, n):
        self.v = np.zeros(n)
        self.steps = 0

    def __eq__(self, other):
        return type(other) is type(self) and self.steps == other.steps and np.array_equal(self.v, other.v)

    def __repr__(self):
        return f"MomentumState(v={self.v!r}, steps={self.steps})"


# ------------------------------------------------------------------ views of inactive buffers
@case(args=normal(9), tags="aug_mul idx_slice cr_ones red_sum")
def inactive_view_strided_scale(y):
    w = np.ones(9)
    odd = w[1:-1:2]
    odd *= 4.0
    return (w * y).sum()


@case(args=normal(6), tags="aug_mul idx_slice cr_ones")
def inactive_view_scaled_by_active(x):
    w = np.ones(6)
    head = w[:3]
    head *= x[0]
    return w * x


@case(args=normal(3), tags="aug_add idx_slice cr_zeros red_axis")
def inactive_column_view_add_active(x):
    buf = np.zeros((3, 4))
    col = buf[:, 1]
    col += x
    return buf.sum(axis=1) * x


@case(args=normal(4), tags="aug_add idx_slice setitem_aug cr_zeros")
def inactive_slice_target_aug(x):
    y = np.zeros(4)
    y[:] += x
    y[1:3] *= x[1:3]
    return y


@case(args=normal(5), tags="aug_sub idx_slice")
def active_view_aug_sub(x):
    y = x * 2.0
    tail = y[2:]
    tail -= x[:3]
    return y


@case(args=normal(4), tags="aug_mul idx_slice")
def reversed_view_aug(x):
    y = x + 1.0
    r = y[::-1]
    r *= x
    return y


@case(args=normal(5), tags="aug_add idx_slice m_copy")
def overlapping_views_aug(x):
    y = x.copy()
    a = y[:-1]
    b = y[1:]
    a += b
    return y * x


@case(args=normal(4), tags="aug_pow idx_slice")
def view_aug_pow(x):
    y = x * 1.0
    h = y[:2]
    h **= 2
    return y


@case(args=normal(3, 2), tags="aug_div idx_slice")
def broadcast_column_view_aug_div(X):
    Y = X * 1.0
    c = Y[:, :1]
    c /= X[:, 1:2] ** 2 + 1.0
    return Y


@case(args=normal(2, 3), tags="aug_mul idx_ellipsis")
def ellipsis_view_aug(X):
    Y = X + 0.0
    v = Y[...]
    v *= X
    return Y


@case(args=normal(3, 3), tags="aug_add idx_int m_copy")
def row_view_elementwise_aug(X):
    Y = X.copy()
    row = Y[1]
    row[0] += X[0, 0] ** 2
    row += X[2]
    return Y


@case(args=normal(5), tags="idx_boolmask setitem_aug")
def masked_setitem_aug(x):
    y = x * 1.0
    m = y > 0.0
    y[m] *= 2.0
    y[~m] -= x[~m] ** 2
    return y


@case(args=normal(4), tags="idx_intarray aug_mul red_sum")
def fancy_index_copy_is_not_a_view(x):
    y = x * 1.0
    z = y[[0, 2]]
    z *= 10.0
    return y + z.sum()


@case(args=normal(3, 3), tags="aug_matmul cr_eye")
def inplace_matmul_seen_through_alias(X):
    Q = np.eye(3)
    same = Q
    Q @= X
    return same + X


@case(args=normal(4), tags="aug_add m_reshape list_literal container_subscript cr_zeros")
def reshape_view_of_list_slot_aug(x):
    L = [np.zeros(4)]
    v = L[0].reshape(2, 2)
    v += x.reshape(2, 2) ** 2
    return L[0] * x


# ------------------------------------------------------------------ container slots
@case(args=normal(3), tags="aug_mul list_literal container_subscript", mutates=True)
def container_element_aug_mutates_argument(a):
    box = [a]
    box[0] *= 3.0
    return a


@case(args=normal(3), tags="aug_mul list_literal container_subscript")
def container_element_aug_of_fresh_array(a):
    box = [a * 1.0]
    box[0] *= a
    return box[0] + a


@case(args=normal(3), tags="aug_add tuple_literal container_subscript")
def tuple_element_aug(x):
    t = (x * 2.0, x)
    u = t[0]
    u += 1.0
    return t[0] * t[1]


@case(
    args=lambda rng: ({"W": rng.standard_normal(4), "b": 0.3}, rng.standard_normal(4)),
    wrt=(0, 1),
    tags="dict_input aug_sub red_sum",
    mutates=True,
)
def dict_entry_sgd_step(p, x):
    W = p["W"]
    p["W"] -= 0.1 * x
    return (W * x).sum() + p["b"]


@case(
    args=lambda rng: ({"mean": rng.standard_normal(3)}, rng.standard_normal((5, 3))),
    wrt=(0, 1),
    tags="dict_input aug_mul aug_add red_mean red_axis",
    mutates=True,
)
def running_mean_update(state, X):
    state["mean"] *= 0.9
    state["mean"] += 0.1 * X.mean(axis=0)
    return state["mean"] * 2.0


@case(
    args=lambda rng: ({"mean": np.zeros(3), "var": np.ones(3)}, rng.standard_normal((6, 3))),
    wrt=(1,),
    tags="dict_input aug_mul aug_add red_var red_mean",
    mutates=True,
)
def batchnorm_running_stats(state, X):
    mu = X.mean(0)
    var = X.var(0)
    state["mean"] *= 0.9
    state["mean"] += 0.1 * mu
    state["var"] *= 0.9
    state["var"] += 0.1 * var
    return (X - mu) / np.sqrt(var + 1e-5)


@case(args=normal(3), tags="dict_literal aug_mul aug_add container_subscript cr_ones")
def local_dict_entries_aug(x):
    d = {"w": np.ones(3), "b": 0.0}
    d["w"] *= x
    d["b"] += x.sum()
    return d["w"] + d["b"]


@case(args=normal(3), tags="dict_literal aug_add container_subscript cr_ones")
def nested_dict_entry_aug_seen_through_alias(x):
    cfg = {"layer": {"w": np.ones(3)}}
    w = cfg["layer"]["w"]
    cfg["layer"]["w"] += x
    return w * x


@case(
    args=lambda rng: ([rng.standard_normal(3), rng.standard_normal(3)],),
    tags="list_input for_list aug_mul sum_list_arrays",
    mutates=True,
)
def loop_over_argument_list_aug(xs):
    for a in xs:
        a *= 2.0
    return sum(xs)


@case(
    args=lambda rng: ({"w": rng.standard_normal(3), "b": rng.standard_normal(3)}, {"w": np.zeros(3), "b": np.zeros(3)}),
    wrt=(0,),
    tags="dict_input for_list aug_mul aug_add",
    mutates=True,
)
def ema_shadow_params(params, shadow):
    for k in shadow:
        shadow[k] *= 0.99
        shadow[k] += 0.01 * params[k] ** 2
    return shadow


@case(
    args=lambda rng: ({"a": rng.standard_normal(3), "b": rng.standard_normal(2)},),
    tags="dict_input if aug_mul for_list genexp_sum",
    mutates=True,
)
def clip_gradients_inplace(g):
    n = np.sqrt(sum((v * v).sum() for v in g.values()))
    if n > 0.5:
        for v in g.values():
            v *= 0.5 / n
    return g


@case(args=normal(3, 4), tags="aug_div for_array la_norm m_copy")
def normalize_rows_inplace(X):
    Y = X.copy()
    for row in Y:
        row /= np.linalg.norm(row)
    return Y


# ------------------------------------------------------------------ 0-d arrays
@case(args=normal(4), tags="aug_add for_array cr_zeros")
def zero_d_accumulator(x):
    acc = np.zeros(())
    for v in x:
        acc += v * v
    return acc


@case(args=lambda rng: (np.array(0.7), rng.standard_normal(3)), wrt=(0, 1), tags="aug_mul array")
def zero_d_argument_copy_aug(s, x):
    t = s * 1.0
    t *= x.sum()
    return t * s


@case(args=normal(3), tags="aug_mul idx_ellipsis", mutates=True)
def zero_d_view_of_argument_aug(x):
    v = x[0, ...]
    v *= 2.0
    return x * x[1]


@case(args=normal(3), tags="setitem_int cr_zeros")
def zero_d_setitem_empty_tuple(x):
    a = np.zeros(())
    a[()] = x[0] * x[1]
    a[...] += x[2]
    return a * x


@case(args=normal(3), tags="aug_add red_sum")
def zero_d_sum_result_aug(x):
    s = np.sum(x * x)
    t = s
    s += x[0]
    return t * x


# ------------------------------------------------------------------ attributes of simple objects
@case(
    args=lambda rng: (rng.standard_normal(3), SimpleNamespace(gain=2.0, calls=0)),
    tags="aug_mul aug_add",
    mutates=True,
)
def attribute_aug_inactive_float(x, layer):
    layer.gain *= 1.5
    layer.calls += 1
    return x * layer.gain


@case(args=normal(3), tags="aug_mul")
def attribute_aug_active_on_local_object(x):
    ns = SimpleNamespace(h=np.zeros(3))
    ns.h = x * 2.0
    ns.h *= x
    return ns.h


@case(args=normal(3), tags="aug_add cr_zeros")
def attribute_array_view_aug(x):
    ns = SimpleNamespace(buf=np.zeros(3))
    b = ns.buf
    b += x**2
    return ns.buf * x


@case(args=lambda rng: (rng.standard_normal(3), MomentumState(3)), tags="aug_mul aug_add", mutates=True)
def momentum_state_object_update(w, opt):
    opt.v *= 0.9
    opt.v += w * w
    opt.steps += 1
    return w - 0.01 * opt.v


@case(args=normal(3), tags="aug_add cr_zeros red_sum")
def attribute_zero_d_accumulator(x):
    ns = SimpleNamespace(total=np.zeros(()))
    t = ns.total
    t += x.sum()
    return ns.total * x


# ------------------------------------------------------------------ nested subscript targets
@case(args=normal(3), tags="setitem_aug list_literal container_subscript cr_ones")
def nested_subscript_target_in_list(x):
    L = [np.ones(3), np.ones(3)]
    L[0][1:] += x[1:]
    L[1][0] *= x[0]
    return L[0] * L[1]


@case(args=normal(3), tags="setitem_aug dict_literal container_subscript cr_zeros")
def nested_subscript_target_in_dict(x):
    d = {"w": np.zeros(3)}
    w = d["w"]
    d["w"][0] += x[0] * x[1]
    d["w"][1:] -= x[1:]
    return w * x


# ------------------------------------------------------------------ in-place writes by library calls and methods
# (no value is returned: a transform that only follows return values misses them)
@case(args=normal(5), tags="idx_intarray cr_zeros")
def scatter_add_with_ufunc_at(x):
    y = np.zeros(3)
    np.add.at(y, [0, 1, 1, 2, 0], x)
    return y * y


@case(args=normal(4), tags="array")
def inplace_sort_method(x):
    y = x * 2.0
    y.sort()
    return y * np.arange(4.0)


@case(args=normal(3), tags="cr_zeros")
def copyto_active_into_buffer(x):
    buf = np.zeros(3)
    np.copyto(buf, x * x)
    return buf + x


@case(args=normal(3), tags="cr_zeros")
def fill_method_with_active_value(x):
    buf = np.zeros(3)
    buf.fill(x[0])
    return buf * x


@case(args=normal(3), tags="cr_zeros")
def put_active_values(x):
    buf = np.zeros(4)
    np.put(buf, [0, 3], x[:2] * 2.0)
    return buf
