"""if/elif/else, conditional expressions, for and while loops, break/continue, returns, unpacking."""

import numpy as np

from . import case


def normal(*shape):
    return lambda rng: (rng.standard_normal(shape),)


@case(
    args=lambda rng: (rng.standard_normal(3), 1.5), wrt=(0, 1), tags="if elif array py_float", name="if_elif_else_first"
)
@case(args=lambda rng: (rng.standard_normal(3), 0.5), wrt=(0, 1), tags="if elif", name="if_elif_else_second")
@case(args=lambda rng: (rng.standard_normal(3), -0.5), wrt=(0, 1), tags="if elif", name="if_elif_else_third")
def if_elif_else(x, a):
    if a > 1.0:
        y = a * x
    elif a > 0.0:
        y = x**2 + a
    else:
        y = np.sin(x) - a
    return y


@case(args=lambda rng: (rng.uniform(0.5, 1.0, 4),), tags="if early_return multi_return", name="early_return_taken")
@case(args=lambda rng: (-rng.uniform(0.5, 1.0, 4),), tags="if early_return multi_return", name="early_return_not_taken")
def early_return(x):
    if x.sum() > 0:
        return x * 2.0
    return -(x**3)


@case(args=normal(4), tags="ifexp compare")
def conditional_expression(x):
    y = x * 2.0 if x[0] > 10.0 else x * 3.0
    z = np.sin(y) if y.sum() < 100.0 else y
    return z + (x if x[1] < 10.0 else 0.0)


@case(args=lambda rng: (rng.standard_normal(3), True), tags="if", name="active_on_one_path_true")
@case(args=lambda rng: (rng.standard_normal(3), False), tags="if", name="active_on_one_path_false")
def active_on_one_path(x, flag):
    if flag:
        y = x * 2.0
    else:
        y = 1.0
    return y * 3.0 + 1.0


@case(args=lambda rng: (rng.standard_normal(5),), tags="for_range b_range b_len idx_int aug_add")
def for_range(x):
    s = 0.0
    for i in range(len(x)):
        s += x[i] * i
    return s


@case(args=lambda rng: (rng.standard_normal((4, 3)),), tags="for_array")
def for_over_rows(X):
    s = 0.0
    for row in X:
        s = s + np.sin(row).sum() * row[0]
    return s


@case(args=lambda rng: (rng.standard_normal(3),), tags="for_array py_float")
def for_over_elements(x):
    p = 1.0
    for v in x:
        p = p * (1.0 + v * v)
    return p


@case(args=normal(3), tags="for_list list_literal")
def for_over_list(x):
    s = x * 0.0
    for w in [x, 2.0 * x, x * x]:
        s = s + w * w
    return s


@case(args=lambda rng: (rng.standard_normal(4), rng.standard_normal(4)), wrt=(0, 1), tags="for_zip b_zip")
def for_zip(xs, ys):
    s = 0.0
    for a, b in zip(xs, ys):
        s = s + a * b - a
    return s


@case(args=normal(4), tags="for_enumerate b_enumerate")
def for_enumerate(x):
    s = 0.0
    for i, v in enumerate(x):
        s = s + i * v**2
    return s


@case(
    args=lambda rng: ({"ab": rng.standard_normal(3), "c": rng.standard_normal(2)},),
    tags="for_dict_items dict_input b_len",
)
def for_dict_items(d):
    s = 0.0
    for k, v in d.items():
        s = s + v.sum() * len(k) + (v * v).sum()
    return s


@case(args=normal(3), tags="while py_int")
def while_counter(x):
    i = 0
    y = x
    while i < 3:
        y = y * 0.5 + x
        i += 1
    return y


@case(args=lambda rng: (rng.uniform(0.5, 1.0, 3),), tags="while compare")
def while_on_value(x):
    y = x
    n = 0
    while y.max() < 10.0:
        y = y * 1.7
        n = n + 1
    return y + n


@case(args=lambda rng: (0.7,), tags="break for_range if py_float")
def for_break(x):
    s = 1.0
    for i in range(10):
        s = s * x + 1.0
        if i >= 3:
            break
    return s


@case(args=lambda rng: (0.7,), tags="while break")
def while_true_break(x):
    s = x
    k = 0
    while True:
        s = np.sin(s) + x
        k += 1
        if k == 4:
            break
    return s


@case(args=lambda rng: (1.1,), tags="continue mod for_range")
def for_continue(x):
    s = 0.0
    for i in range(6):
        if i % 2:
            continue
        s = s + x**i
    return s


@case(args=lambda rng: (0.9,), tags="early_return for_range multi_return if")
def return_inside_loop(x):
    s = 0.0
    for i in range(10):
        if s > 3.0:
            return s * x
        s = s + x
    return -s


@case(args=normal(4), tags="tuple_return tuple_literal")
def tuple_return(x):
    return x.sum(), x * 2.0, (x[0], 3)


@case(args=normal(3), tags="unpack tuple_literal idx_int")
def unpacking(x):
    a, b, c = x[0], x[1], x[2]
    (p, q), r = (a * b, a + b), a - c
    [u, v] = [p * r, q]
    return u + v * c


@case(args=lambda rng: (rng.standard_normal((2, 3)),), tags="unpack for_range idx_int attr_shape")
def nested_loops(X):
    n, m = X.shape
    s = 0.0
    for i in range(n):
        for j in range(m):
            s = s + X[i, j] * (i + j + 1)
    return s


@case(args=normal(3), tags="for_range py_int")
def loop_carried_int_start(x):
    s = 0
    for _ in range(3):
        s = s + x * s + x
    return s


@case(args=lambda rng: (rng.standard_normal(4), 2), tags="while break if py_int")
def while_break_condition(x, k):
    y = x
    i = 0
    while i < 10:
        if i >= k:
            break
        y = np.tanh(y) * 1.5
        i += 1
    return y


@case(args=normal(4), tags="if elif for_array")
def branch_per_element(x):
    out = 0.0
    for v in x:
        if v > 0.5:
            out = out + v
        elif v > -0.5:
            out = out + v * v
        else:
            out = out - np.sin(v)
    return out


@case(args=lambda rng: (rng.standard_normal(3), rng.standard_normal(3)), wrt=(1,), tags="for_range if")
def activity_flows_in_loop(x, y):
    a = x * 1.0
    for i in range(3):
        if i == 1:
            a = a + y
        a = a * x
    return a


@case(args=normal(3), tags="for_array break")
def for_else(x):
    s = 0.0
    for v in x:
        if v > 10.0:
            break
        s = s + v * v
    else:
        s = s * x[0]
    return s


@case(args=normal(3), tags="while")
def while_else(x):
    i = 0
    s = x
    while i < 2:
        s = s * x
        i += 1
    else:
        s = s + 1.0
    return s


@case(args=normal(3), tags="listcomp ifexp")
def conditional_in_comprehension(x):
    return np.array([v * 2.0 if v > 0 else -(v**3) for v in x])


@case(args=normal(3), tags="if pc_compare")
def any_all_isinstance(x):
    if np.any(x > 5.0) or np.all(x < -5.0):
        return x
    if hasattr(x, "shape") and np.all(np.isfinite(x)):
        return x * 3.0
    return -x


@case(args=lambda rng: (0.7,), tags="for_range if py_float")
def read_before_becoming_active(x):
    y = 0.0
    s = 0.0
    for i in range(3):
        z = y * 2.0
        s = s + z
        if i == 1:
            y = x
    return s + y


@case(args=lambda rng: (0.7,), tags="for_range break if py_float")
def break_before_assignment(x):
    y = x * 0.0
    for i in range(3):
        if i == 1:
            break
        y = x * (i + 1.0)
    return y


@case(args=lambda rng: (0.7,), tags="while py_float")
def while_condition_on_active(x):
    y = 1.0
    k = 0
    while y < 5.0:
        y = y * 2.0 + x * k
        k += 1
    return y


@case(args=lambda rng: (0.7,), tags="while early_return multi_return")
def return_from_while_true(x):
    total = 0.0
    i = 0
    while True:
        if i > 2:
            return total
        total = total + x**i
        i += 1


@case(args=lambda rng: (0.7,), tags="if elif early_return multi_return py_float", name="elif_return_first")
@case(args=lambda rng: (-0.5,), tags="if elif early_return multi_return py_float", name="elif_return_else")
@case(args=lambda rng: (-1.5,), tags="if elif early_return multi_return py_float", name="elif_return_middle")
def elif_return(x):
    if x > 0:
        y = x
    elif x < -1:
        return 0.0
    else:
        y = 2.0
    return y * y


@case(args=lambda rng: (rng.standard_normal(3),), tags="for_array")
def rebinding_loop_variable(x):
    s = 0.0
    for v in x:
        v = v * 2.0
        s = s + v * v
    x = s * x
    return x


@case(args=lambda rng: (rng.standard_normal(3), rng.standard_normal(3)), wrt=(0,), tags="if")
def parameters_rebound(x, y):
    y = x * 2.0
    if y.sum() > 100.0:
        x = np.zeros(3)
    x = x + y
    y = np.ones(3)
    return x * y


@case(args=normal(4), tags="for_zip for_enumerate early_return idx_slice")
def return_from_zip_loop(x):
    acc = 0.0
    for k, (a, b) in enumerate(zip(x, x[::-1])):
        if k == 2:
            return acc * a
        acc = acc + a * b
    return acc
