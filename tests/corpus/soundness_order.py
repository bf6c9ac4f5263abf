"""Soundness (issue 12), class 2: evaluation order of assignments.

Python evaluates the right-hand side once, then assigns the targets left to right (``i = a[i] = 1``
binds ``i`` before it indexes ``a``); ``a = b = value`` binds two names to one object; an augmented
assignment evaluates its target's subscript once; tuple elements and call arguments are evaluated left
to right, and a tuple holds the objects themselves (later in-place writes show through). Targets whose
subscripts have side effects must run them exactly as often as a plain call does (module-level
counters below are compared after the plain call and after the jvp)."""

import numpy as np

from . import case

REFUSAL_OK = {"walrus_in_condition"}  # `:=` is refused (UnsupportedSyntaxError) until issue 13

# Module state that the cases below change; the primal-equivalence test snapshots and compares it.
COUNTER = {"n": 0}
ORDER_LOG = []
# A constant that another module uses as a default argument value.
SCALE = 1.25


def normal(*shape):
    return lambda rng: (rng.standard_normal(shape),)


def _next_index():
    COUNTER["n"] += 1
    return COUNTER["n"] % 3


def _logged(tag, value):
    ORDER_LOG.append(tag)
    return value


def _double_inplace(a):
    a *= 2.0
    return a.sum()


# ------------------------------------------------------------------ chained assignment
@case(args=normal(3), tags="setitem_int py_int")
def chained_name_then_subscript(x):
    a = x * 1.0
    i = 0
    i = a[i] = 1
    return a * x + i


@case(args=normal(3), tags="setitem_int py_int")
def chained_subscript_then_name(x):
    y = x * 1.0
    k = 0
    y[k] = k = 2
    return y * x[k]


@case(args=normal(3), tags="setitem_int")
def chained_subscript_and_name_active(x):
    a = np.zeros(3)
    a[0] = b = x[1] * 2.0
    return a + b


@case(args=normal(3), tags="aug_add cr_zeros")
def chained_zeros_shared_aug(x):
    a = b = np.zeros(3)
    a += x
    return b * x


@case(args=normal(3), tags="setitem_int cr_zeros")
def chained_zeros_shared_setitem(x):
    a = b = np.zeros(3)
    b[1] = x[0]
    return a + x


@case(args=normal(3), tags="aug_mul")
def chained_active_shared_aug(x):
    u = v = x * 2.0
    u *= 3.0
    return v


@case(args=normal(3), tags="aug_add")
def chained_rebind_one_name(x):
    a = b = x * 1.0
    a = a * 2.0
    b += 1.0
    return a, b


@case(args=normal(3), tags="setitem_int")
def chained_into_row_is_a_copy(x):
    Y = np.zeros((2, 3))
    row = Y[0] = x * 2.0
    row *= 3.0
    return Y, row


@case(args=normal(4), tags="setitem_slice list_literal container_subscript")
def chained_list_slot_and_array_slice(x):
    L = [None, None]
    buf = np.zeros(4)
    L[0] = buf[1:3] = x[:2] * x[2:]
    return L[0] + buf[:2]


# ------------------------------------------------------------------ tuple targets
@case(args=normal(3), tags="unpack setitem_int")
def subscript_target_before_index_target(x):
    i = 0
    y = x * 1.0
    y[i], i = x[2] * 2.0, 2
    return y * i


@case(args=normal(3), tags="unpack setitem_int")
def index_target_before_subscript_target(x):
    y = x * 1.0
    i, y[i] = 2, x[0] * 3.0
    return y * i


@case(args=normal(4), tags="unpack idx_slice setitem_slice")
def tuple_rhs_holds_a_view(x):
    y = x * 1.0
    a, b = y[:2], y[2:]
    a[:], b[:1] = b[:2] * 1.0, a[:1]
    return y


@case(args=normal(3), tags="unpack setitem_int tuple_literal")
def nested_tuple_targets(x):
    y = np.zeros(2)
    (y[0], y[1]), z = (x[1], x[0]), x[2] * 2.0
    return y * z


@case(args=normal(5), tags="unpack")
def star_target_middle(x):
    first, *mid, last = x * 2.0
    return first * last + sum(mid)


@case(args=normal(4), tags="setitem_slice idx_slice")
def reverse_in_place_overlap(x):
    y = x * 1.0
    y[:] = y[::-1]
    y[1:] = y[:-1] * x[1:]
    return y


# ------------------------------------------------------------------ targets with side effects
@case(args=normal(3), tags="setitem_int setitem_aug call_user cr_zeros")
def side_effect_subscript_targets(x):
    COUNTER["n"] = 0
    y = np.zeros(3)
    y[_next_index()] = x[0]
    y[_next_index()] += x[1] * x[0]
    y[_next_index()] *= x[2]
    return y


@case(args=normal(3), tags="setitem_aug call_user")
def aug_subscript_evaluated_once(x):
    COUNTER["n"] = 0
    y = x * 1.0
    for _ in range(3):
        y[_next_index()] += x[0] ** 2
    return y * COUNTER["n"]


@case(args=normal(3), tags="dict_literal call_user container_subscript")
def side_effect_dict_key_target(x):
    COUNTER["n"] = 0
    d = {0: 0.0, 1: 0.0, 2: 0.0}
    d[_next_index()] = x[0] * 2.0
    d[_next_index()] = x[1] * d[1]
    return d[1] + d[2] * x


@case(args=normal(3), tags="tuple_return call_user")
def tuple_elements_evaluated_left_to_right(x):
    y = x * 1.0
    return y, _double_inplace(y)


@case(args=normal(3), tags="call_user m_copy")
def arguments_evaluated_left_to_right(x):
    y = x * 1.0
    return np.multiply(y.copy(), _double_inplace(y)) + y


@case(args=normal(3), tags="call_user list_literal")
def logged_call_order(x):
    del ORDER_LOG[:]
    a = _logged("a", x * 2.0)
    parts = [_logged("b", a * x), _logged("c", a + 1.0)]
    return parts[0] - parts[1]


@case(args=normal(3), tags="if")
def walrus_in_condition(x):
    if (s := (x * x).sum()) > 0.0:
        return s * x
    return x


# ------------------------------------------------------------------ loops where a value first becomes active
# (scalar-valued functions of one array: checked under hessian too)
@case(args=normal(3), tags="for_range if red_sum cr_ones")
def loop_value_first_becomes_active(x):
    y = np.ones(3)
    s = 0.0
    for i in range(3):
        if i == 1:
            y = y * x
        s = s + (y * y).sum() * x[i]
    return s


@case(args=normal(3), tags="for_array aug_add cr_zeros")
def loop_zero_d_accumulator_becomes_active(x):
    acc = np.zeros(())
    for v in x:
        acc += v * acc + v
    return acc * 1.0


@case(args=normal(3), tags="while aug_add py_float")
def while_carry_becomes_active(x):
    s = 1.0
    k = 0
    while k < 4:
        s = s * x[k % 3] + 0.5 * k
        k += 1
    return s


@case(args=normal(4), tags="for_enumerate if setitem_int red_sum cr_zeros")
def loop_buffer_becomes_active_through_view(x):
    buf = np.zeros(4)
    head = buf[:2]
    for i, v in enumerate(x):
        if i >= 2:
            head[i - 2] = v * x[0]
    return (buf * buf).sum() + buf @ x
