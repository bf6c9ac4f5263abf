"""Soundness, round 3: Python idioms and program structure as outsiders write them.

Nested defs calling each other and closing over loop variables, recursion (direct, mutual, through
containers), helpers called with keywords, defaults, ``*args``/``**kwargs``, functions returning tuples,
dicts and lists consumed by unpacking, ``while``/``for`` with ``break``/``continue``/``else``, early
returns, iteration over ``dict.items()``/``zip``/``enumerate``/``reversed``/stepped ranges, nested
comprehensions, generator expressions fed to ``sum``/``max``/``min``/``any``, short-circuit operators
that return operands, chained comparisons, the ``is None`` default idiom, accumulation into lists and
dicts, state machines, f-string keys, integer index arithmetic, names that change type, shadowed
builtins and globals, module globals read at call time, helpers from other corpus modules, deep call
chains, ``math`` on Python floats, float32 arrays, NumPy scalars and 0-d arrays.

Cases in ``REFUSAL_OK`` may be refused with a clean ``tangent_fwd.TransformError``: callees that are
runtime values (held in dicts or lists, passed as arguments), syntax outside the supported language
(generators, ``try``), and defaults bound to differentiated values."""

import math
from collections import defaultdict

import numpy as np

from . import calls as _calls
from . import case
from . import soundness_order as _order
from .calls import _affine, _level1, _pow_rec
from .soundness_alias import _first_half, _scale_inplace
from .soundness_scopes import make_affine, make_scaler

REFUSAL_OK = {
    "late_bound_closures_in_list",
    "default_captured_lambdas_in_list",
    "dispatch_through_dict_of_numpy_functions",
    "activation_list_applied_in_loop",
    "dispatch_through_dict_of_user_functions",
    "function_passed_as_argument",
    "higher_order_compose",
    "generator_function_consumed_by_sum",
    "try_except_fallback",
    "nested_default_bound_to_active_value",
    "recursion_through_dict_of_functions",
    "map_numpy_function_over_array",
    # refused cleanly today, with the line (a TransformError): language the compiler does not take yet
    # (issue 13 widens it): lambdas, *args/**kwargs and starred literals carrying differentiated values,
    # `with` blocks, reversed(), list.pop/insert and dict.update on differentiated containers, and
    # callees bound to local names
    "lambda_bound_to_local_name",
    "sorted_with_key_lambda",
    "list_of_tuples_sorted_by_int",
    "star_args_of_active_values",
    "star_args_forwarded_through_wrapper",
    "double_star_kwargs_with_active_value",
    "transpose_pairs_with_zip_star",
    "list_with_starred_elements",
    "dict_merge_with_double_star",
    "errstate_context_manager",
    "reversed_list_of_arrays",
    "list_input_with_enumerate_and_reversed",
    "list_pop_and_insert_active",
    "stack_popped_in_while",
    "dict_update_with_active",
    "factories_imported_from_scopes",
    "conditional_callee_by_module_name",
}

# Module state the cases read (and some change, then restore) at call time.
ALPHA = 2.0
SCALE_NOW = {"s": 1.5}
MODE = "tanh"
COEFFS = (0.5, -1.25, 0.75)
LOG = []
TALLY = {"calls": 0}
x = 100.0  # a module global with the name of many parameters below
_GAIN = 1.0


def normal(*shape):
    return lambda rng: (rng.standard_normal(shape),)


def normal2(s1, s2):
    return lambda rng: (rng.standard_normal(s1), rng.standard_normal(s2))


def positive(*shape):
    return lambda rng: (rng.uniform(0.5, 1.5, shape),)


def pyfloat(lo=0.3, hi=1.2):
    return lambda rng: (float(rng.uniform(lo, hi)),)


# ------------------------------------------------------------------ A. nested defs and closures
@case(args=normal(3), tags="nested_def call_user")
def nested_defs_call_each_other(x):
    def sq(v):
        return v * v

    def both(v):
        return sq(v) + np.sin(sq(v) * 0.5)

    def top(v):
        return both(v) * both(v + 1.0)

    return top(x)


@case(args=normal(3), tags="nested_def closure for_range")
def closure_over_loop_variable_called_in_loop(x):
    acc = np.zeros_like(x)
    for k in range(4):

        def term(v):
            return v**k / (k + 1)

        acc = acc + term(x)
    return acc


@case(args=normal(3), tags="nested_def closure for_range list_append")
def late_bound_closures_in_list(x):
    fs = []
    for k in range(3):

        def f(v):
            return v * (k + 1.0)

        fs.append(f)
    return sum(f(x) for f in fs)


@case(args=normal(3), tags="closure for_range list_append")
def default_captured_lambdas_in_list(x):
    fs = []
    for k in range(3):
        fs.append(lambda v, k=k: np.sin(v) * (k + 1))
    out = x * 0.0
    for f in fs:
        out = out + f(x)
    return out


@case(args=normal(3), tags="nested_def closure")
def nested_def_closes_over_active_argument(x):
    def scaled(v):
        return v * x + np.cos(x)

    return scaled(x * 2.0) + scaled(np.ones(3))


@case(args=pyfloat(), tags="nested_def recursion py_float py_int")
def nested_recursive_def(x):
    def powr(v, n):
        if n == 0:
            return 1.0
        return v * powr(v, n - 1)

    return powr(x, 5) - 2.0 * powr(x, 2)


@case(args=normal(3), tags="nested_def tuple_return unpack")
def nested_def_returns_tuple(x):
    def stats(v):
        m = v.mean()
        return m, ((v - m) ** 2).mean()

    mu, var = stats(x)
    mu2, var2 = stats(x * x)
    return mu * var2 + mu2 * var


@case(args=normal(3), tags="nested_def closure for_range")
def nested_nonlocal_counter_in_loop(x):
    count = 0

    def step(v):
        nonlocal count
        count += 1
        return np.tanh(v) * count

    y = x
    for _ in range(3):
        y = step(y)
    return y * count


@case(args=normal(4), tags="nested_def closure for_range")
def two_level_nested_closure_over_outer_loop(x):
    total = 0.0
    for i in range(3):

        def outer(v):
            def inner(w):
                return w[i] * w[i + 1]

            return inner(v) + v[i]

        total = total + outer(x)
    return total


@case(args=normal(3), tags="nested_def closure")
def closure_sees_later_rebinding_of_inactive(x):
    scale = 1.0

    def f(v):
        return v * scale

    a = f(x)
    scale = 3.0
    b = f(x)
    return a + b * b


@case(args=normal(3), tags="closure")
def lambda_bound_to_local_name(x):
    sq = lambda v: v * v  # noqa: E731 (the idiom is the point)
    cube = lambda v: sq(v) * v  # noqa: E731
    return cube(x) + sq(np.sin(x))


@case(args=normal(3), tags="nested_def closure call_defaults")
def nested_default_bound_to_active_value(x):
    def g(v, s=x.sum()):  # noqa: B008
        return v * s

    return g(x)


@case(args=normal(3), tags="nested_def closure")
def nested_def_reads_enclosing_list_mutated_later(x):
    buf = [x * 1.0]

    def last():
        return buf[-1]

    buf.append(np.sin(x))
    buf.append(last() * x)
    return last()


# ------------------------------------------------------------------ B. recursion
def _rec_sum(lst):
    if len(lst) == 1:
        return lst[0]
    return lst[0] + _rec_sum(lst[1:])


def _horner_rec(x, coeffs, i=0):
    if i == len(coeffs) - 1:
        return coeffs[i]
    return coeffs[i] + x * _horner_rec(x, coeffs, i + 1)


def _is_even_apply(x, n):
    if n == 0:
        return x
    return _is_odd_apply(np.sin(x) + x, n - 1)


def _is_odd_apply(x, n):
    if n == 0:
        return -x
    return _is_even_apply(x * 0.5 + np.cos(x), n - 1)


def _rec_with_count(x, n):
    if n <= 0:
        return x, 0
    v, c = _rec_with_count(np.tanh(x) + 0.1 * x, n - 1)
    return v * 1.1, c + 1


def _rec_kw(x, n=3, scale=2.0):
    if n == 0:
        return x
    return _rec_kw(x * scale - np.sin(x), n=n - 1, scale=scale * 0.5)


def _tree_sum(a, lo, hi):
    if hi - lo == 1:
        return a[lo] * a[lo]
    mid = (lo + hi) // 2
    return _tree_sum(a, lo, mid) + _tree_sum(a, mid, hi)


def _fib_arr(x, n):
    if n < 2:
        return x if n == 1 else np.ones_like(x)
    return _fib_arr(x, n - 1) + 0.5 * x * _fib_arr(x, n - 2)


def _rec_acc(x, n, acc=None):
    if acc is None:
        acc = []
    if n == 0:
        return acc
    acc.append(x**n)
    return _rec_acc(x, n - 1, acc)


def _leaf_sum(tree):
    if isinstance(tree, dict):
        return sum(_leaf_sum(v) for v in tree.values())
    if isinstance(tree, (list, tuple)):
        return sum(_leaf_sum(v) for v in tree)
    return np.sum(tree * tree)


def _collatz_steps(n, steps=0):
    if n == 1:
        return steps
    return _collatz_steps(n // 2 if n % 2 == 0 else 3 * n + 1, steps + 1)


@case(args=normal(3), tags="recursion call_user list_literal")
def recursive_list_sum(x):
    return _rec_sum([x, x * x, np.sin(x), 2.0 * x])


@case(args=pyfloat(), tags="recursion call_user call_defaults tuple_literal py_float")
def recursive_horner(x):
    return _horner_rec(x, (1.0, -2.0, 0.5, 3.0))


@case(args=normal(3), tags="recursion call_user")
def mutual_recursion_even_odd(x):
    return _is_even_apply(x, 4) + _is_odd_apply(x, 3)


@case(args=normal(3), tags="recursion call_user tuple_return unpack")
def recursion_returning_tuple(x):
    v, c = _rec_with_count(x, 4)
    return v * c


@case(args=normal(3), tags="recursion call_kwargs call_defaults")
def recursion_with_keywords(x):
    return _rec_kw(x) + _rec_kw(x, n=1, scale=3.0)


@case(args=normal(8), tags="recursion pc_int_arith")
def recursive_binary_split_sum(x):
    return _tree_sum(x, 0, 8) + _tree_sum(x, 2, 7)


@case(args=normal(3), tags="recursion call_user")
def recursive_fibonacci_arrays(x):
    return _fib_arr(x * 0.5, 6)


@case(args=normal(3), tags="recursion call_defaults sum_list_arrays")
def recursion_with_none_default_accumulator(x):
    parts = _rec_acc(x, 4)
    return sum(parts) + parts[0]


@case(
    args=lambda rng: ({"a": rng.standard_normal(3), "b": [rng.standard_normal(2), rng.standard_normal(2)]},),
    tags="recursion dict_input genexp_sum",
)
def recursive_pytree_walk(p):
    return _leaf_sum(p) + _leaf_sum(p["b"]) * 0.5


@case(args=normal(3), tags="recursion pc_int_arith")
def recursive_int_only_count_scales_active(x):
    steps = _collatz_steps(6)
    return x * steps + _collatz_steps(7) * np.sin(x)


def _rec_dispatch(x, n):
    table = {0: np.sin, 1: np.cos}
    if n == 0:
        return x
    return table[n % 2](_rec_dispatch(x, n - 1))


@case(args=normal(3), tags="recursion dict_literal")
def recursion_through_dict_of_functions(x):
    return _rec_dispatch(x, 3)


# ------------------------------------------------------------------ C. keywords, defaults, *args, **kwargs
def _scale_by_all(x, *scales):
    out = x
    for s in scales:
        out = out * s
    return out


def _with_opts(x, **opts):
    y = x * opts.get("scale", 1.0)
    if opts.get("square", False):
        y = y * y
    return y + opts.get("shift", 0.0)


def _sum_all(*xs):
    total = xs[0]
    for v in xs[1:]:
        total = total + v
    return total


def _forward_kwargs(x, **kw):
    return _with_opts(np.sin(x), **kw)


def _forward_args(*a):
    return _scale_by_all(*a)


def _with_weight(x, w=None, bias=0.0):
    if w is None:
        w = np.ones_like(x)
    return (w * x).sum() + bias


def _kw_only_mix(x, n, *, lr=0.1, decay=0.5):
    for _ in range(n):
        x = x - lr * np.sin(x)
        lr = lr * decay
    return x


def _default_from_constant(x, c=COEFFS[1] * 2.0):
    return x * c


@case(args=normal(3), tags="call_user py_int py_float")
def star_args_of_inactive_values(x):
    return _scale_by_all(x, 2, 0.5, 3.0) + _scale_by_all(x)


@case(args=normal(3), tags="call_kwargs call_user")
def kwargs_of_inactive_values(x):
    return _with_opts(x, scale=2.0, square=True) + _with_opts(x, shift=1.0)


@case(args=normal(3), tags="call_kwargs dict_literal")
def double_star_dict_literal(x):
    opts = {"scale": 0.5, "shift": -1.0}
    return _with_opts(x, **opts, square=True)


@case(args=normal(3), tags="call_user list_literal")
def star_list_of_inactive_ints(x):
    ks = [2, 3]
    return _scale_by_all(x, *ks, *[1.5])


@case(args=normal2(3, 3), wrt=(0, 1), tags="call_user")
def star_args_of_active_values(x, y):
    return _sum_all(x, x * y, np.sin(y), 2.0)


@case(args=normal(3), tags="call_kwargs call_user")
def kwargs_forwarded_through_wrapper(x):
    return _forward_kwargs(x, scale=3.0, shift=0.25)


@case(args=normal(3), tags="call_user tuple_literal")
def star_args_forwarded_through_wrapper(x):
    a = (x, 2.0, -0.5)
    return _forward_args(*a) + _forward_args(x)


@case(args=normal(3), tags="call_defaults call_user")
def is_none_default_not_given(x):
    return _with_weight(x) + _with_weight(x, bias=2.0)


@case(args=normal2(3, 3), wrt=(0, 1), tags="call_defaults call_kwargs")
def is_none_default_given_active(x, w):
    return _with_weight(x, w=w) * _with_weight(w, None, 1.0)


@case(args=normal(3), tags="call_kwargs call_defaults for_range")
def keyword_only_with_override(x):
    return _kw_only_mix(x, 3) + _kw_only_mix(x, 2, decay=0.9, lr=0.2)


@case(args=normal(3), tags="call_kwargs")
def keywords_in_any_order(x):
    return _affine(b=x, a=2.0, x=np.cos(x)) + _affine(a=x, x=x) + _affine(x, b=np.cos(x))


@case(args=normal(3), tags="call_defaults")
def default_from_module_tuple_expression(x):
    return _default_from_constant(x) + _default_from_constant(x, c=1.0)


@case(args=normal2(3, 3), wrt=(1,), tags="call_kwargs dict_literal")
def double_star_kwargs_with_active_value(x, y):
    kw = {"shift": y * y, "scale": 2.0}
    return _with_opts(x, **kw)


# ------------------------------------------------------------------ D. results consumed by unpacking
def _moments(v):
    m = v.mean()
    return m, (v * v).mean() - m * m


def _as_dict(v):
    return {"lo": v.min(), "hi": v.max(), "sum": v.sum()}


def _as_list(v):
    return [v[0], v[1] * 2.0, v[2:]]


def _nested_result(v):
    return v.sum(), (v * 2.0, np.sin(v))


def _head_tail(v):
    return [v[0], v[1], v[2], v[3]]


@case(args=normal(4), tags="tuple_return unpack call_user")
def unpack_moments(x):
    m, v = _moments(x)
    return m / (1.0 + v)


@case(args=lambda rng: (rng.permutation(4) * 0.7 + rng.uniform(-0.1, 0.1, 4),), tags="dict_literal container_subscript")
def consume_dict_result(x):
    d = _as_dict(x)
    return d["hi"] - d["lo"] + d["sum"] * 0.1


@case(args=normal(4), tags="list_literal unpack")
def unpack_list_result(x):
    a, b, c = _as_list(x)
    return a * b + c.sum()


@case(args=normal(3), tags="unpack tuple_return")
def nested_tuple_unpacking(x):
    s, (d, e) = _nested_result(x)
    return s * d + e


@case(args=normal(4), tags="unpack list_literal")
def star_unpacking_first_rest(x):
    first, *rest = _head_tail(x)
    *init, last = _head_tail(x * 2.0)
    return first * sum(rest) + last * init[0]


@case(args=lambda rng: (rng.permutation(4) * 0.7 + rng.uniform(-0.1, 0.1, 4),), tags="for_dict_items dict_literal")
def iterate_dict_result_items(x):
    total = 0.0
    for k, v in _as_dict(x).items():
        total = total + (v * 2.0 if k == "sum" else v)
    return total


@case(args=normal2(3, 3), wrt=(0, 1), tags="unpack for_range")
def swap_in_loop(x, y):
    a, b = x, y
    for _ in range(3):
        a, b = b, a * 0.5 + np.sin(b)
    return a * 2.0 + b


def _flagged(v, flag):
    if flag == 0:
        return v * 2.0
    if flag == 1:
        return v, v * v
    return {"v": v, "w": np.exp(-v)}


@case(args=normal(3), tags="multi_return early_return unpack dict_literal")
def helper_result_structure_depends_on_int(x):
    a = _flagged(x, 0)
    b, c = _flagged(x, 1)
    d = _flagged(x, 2)
    return a + b * c + d["w"] * d["v"]


# ------------------------------------------------------------------ E. while loops
@case(args=positive(3), tags="while break model_newton")
def newton_sqrt_while_break(a):
    y = np.ones_like(a)
    i = 0
    while i < 50:
        y_new = 0.5 * (y + a / y)
        i += 1
        if i >= 30:
            break
        y = y_new
    return y_new


@case(args=normal(6), tags="while continue")
def while_continue_skips_odd(x):
    i = 0
    acc = 0.0
    while i < 6:
        i += 1
        if i % 2 == 1:
            continue
        acc = acc + x[i - 1] ** 2
    return acc


@case(args=normal(3), tags="while")
def while_else_without_break(x):
    n = 0
    y = x
    while n < 3:
        y = np.sin(y) + x
        n += 1
    else:
        y = y * 2.0
    return y


@case(args=normal(3), tags="while break")
def while_else_with_break(x):
    n = 0
    y = x
    while n < 10:
        y = np.tanh(y) * 1.5
        n += 1
        if n == 2:
            break
    else:
        y = y * 100.0
    return y


@case(args=positive(3), tags="while")
def while_converge_on_active_tolerance(a):
    y = a * 1.0
    delta = 1.0
    while delta > 1e-13:
        y_new = 0.5 * (y + 2.0 / y)
        delta = float(np.max(np.abs(y_new - y)))
        y = y_new
    return y * a


@case(args=normal(3), tags="while break py_int")
def while_true_with_counter(x):
    k = 0
    y = x
    while True:
        y = y * 0.9 + 0.1 * np.cos(y)
        k += 1
        if k >= 4:
            break
    return y


@case(args=pyfloat(0.3, 0.9), tags="while py_float model_horner")
def while_series_on_python_float(x):
    term = 1.0
    total = 0.0
    n = 0
    while abs(term) > 1e-14:
        total += term
        n += 1
        term = term * x / n
    return total


# ------------------------------------------------------------------ F. early returns
@case(args=normal(5), tags="early_return for_enumerate")
def early_return_inside_for(x):
    for i, v in enumerate(x):
        if i == 3:
            return v * x[0] + i
    return x.sum()


@case(args=normal(2, 3), tags="early_return attr_ndim if")
def early_return_on_ndim(x):
    if x.ndim == 1:
        return x * 2.0
    if x.shape[0] > x.shape[1]:
        return x.T @ x
    return x @ x.T


@case(args=normal(3), tags="early_return while")
def early_return_inside_while(x):
    k = 0
    y = x
    while k < 10:
        y = np.sin(y) + 0.5
        k += 1
        if k == 3:
            return y * k
    return y


@case(args=normal(3), tags="early_return multi_return compare")
def early_return_on_active_comparison(x):
    s = (x * x).sum() + 1.0
    if s > 0.0:
        return np.log(s) * x
    return x


@case(args=normal(4), tags="early_return for_range")
def return_from_nested_loops(x):
    for i in range(4):
        for j in range(4):
            if i + j == 5:
                return x[i] * x[j]
    return 0.0


@case(args=normal(3), tags="early_return elif multi_return py_int")
def early_return_ladder(x, mode=2):
    if mode == 0:
        return x
    elif mode == 1:
        return x * x
    elif mode == 2:
        return np.sin(x) * x
    return None


# ------------------------------------------------------------------ G. for-else
@case(args=normal(4), tags="for_range")
def for_else_without_break(x):
    y = x
    for i in range(3):
        y = y + x[i]
    else:
        y = y * 0.5
    return y


@case(args=normal(4), tags="for_range break")
def for_else_with_break(x):
    y = x
    for i in range(5):
        y = y * 1.1
        if i == 1:
            break
    else:
        y = -y
    return y


@case(args=normal(4), tags="for_enumerate break pc_compare")
def search_loop_else_default(x):
    thresholds = [10.0, 20.0, 0.5]
    for idx, t in enumerate(thresholds):
        if t < 1.0:
            break
    else:
        idx = -1
    return x[idx] * x


# ------------------------------------------------------------------ H. iteration forms
@case(
    args=lambda rng: ({"w": rng.standard_normal(3), "b": rng.standard_normal(3), "c": float(rng.standard_normal())},),
    tags="for_dict_items dict_input",
)
def loop_over_dict_items_input(p):
    total = 0.0
    for name, val in p.items():
        weight = 2.0 if name == "w" else 1.0
        total = total + weight * np.sum(val * val)
    return total


@case(
    args=lambda rng: (rng.standard_normal(3), rng.standard_normal(3), rng.standard_normal(3)),
    wrt=(0, 2),
    tags="for_zip",
)
def zip_of_three(x, y, z):
    out = 0.0
    for a, b, c in zip(x, y, z):
        out = out + a * b - c * a
    return out


@case(args=normal(4), tags="for_enumerate")
def enumerate_with_start(x):
    acc = 0.0
    for i, v in enumerate(x, start=1):
        acc = acc + v / i
    return acc


@case(args=normal(5), tags="for_range b_range")
def reversed_range_horner(x):
    acc = 0.0
    for i in reversed(range(5)):
        acc = acc * 0.5 + x[i]
    return acc


@case(args=normal(7), tags="for_range b_range")
def stepped_and_negative_ranges(x):
    a = 0.0
    for i in range(0, 7, 2):
        a = a + x[i]
    b = 0.0
    for i in range(6, -1, -3):
        b = b + x[i] * a
    return a + b


@case(args=normal(3), tags="for_list list_literal")
def reversed_list_of_arrays(x):
    layers = [x, x * 2.0, np.sin(x)]
    out = np.zeros(3)
    for layer in reversed(layers):
        out = out * 0.5 + layer
    return out


@case(args=normal(3, 2), tags="for_array")
def iterate_rows_of_2d(x):
    acc = np.zeros(2)
    for row in x:
        acc = acc + row * row
    return acc


@case(args=lambda rng: ({"b": rng.standard_normal(2), "a": rng.standard_normal(2)},), tags="dict_input for_list")
def sorted_dict_keys_order(p):
    out = []
    for k in sorted(p):
        out.append(p[k] * len(out) + 1.0)
    return np.concatenate(out)


@case(args=normal(3, 3), tags="for_range pc_int_arith")
def flat_index_arithmetic(x):
    flat = x.reshape(-1)
    acc = 0.0
    n = 3
    for i in range(n):
        for j in range(n):
            acc = acc + flat[i * n + j] * (i - j)
    return acc


@case(args=normal(4), tags="for_zip")
def zip_array_with_its_shift(x):
    return sum(a * b for a, b in zip(x[:-1], x[1:]))


# ------------------------------------------------------------------ I. comprehensions
@case(args=normal(4), tags="listcomp_if genexp_sum")
def nested_listcomp_with_condition(x):
    pairs = [x[i] * x[j] for i in range(4) for j in range(4) if i < j]
    return sum(pairs)


@case(args=normal2(4, 4), wrt=(0, 1), tags="listcomp_if for_zip")
def listcomp_over_zip_with_condition(x, y):
    terms = [a * b for a, b in zip(x, y) if True]
    odd = [t for i, t in enumerate(terms) if i % 2]
    return np.array(terms).sum() + np.stack(odd).sum() * 3.0


@case(args=normal(3), tags="listcomp dict_literal")
def dict_comprehension_then_values(x):
    d = {f"p{i}": x[i] ** (i + 1) for i in range(3)}
    return sum(d.values()) * d["p1"]


@case(args=normal(3), tags="listcomp ifexp")
def listcomp_with_ifexp(x):
    return np.array([v * 2.0 if i % 2 == 0 else np.sin(v) for i, v in enumerate(x)])


@case(args=normal(3), tags="listcomp cr_array")
def nested_listcomp_matrix(x):
    M = np.array([[x[i] * x[j] if i != j else 1.0 for j in range(3)] for i in range(3)])
    return M @ x


@case(args=normal(4), tags="listcomp_if")
def set_comprehension_drives_loop(x):
    idx = sorted({i % 3 for i in range(7) if i > 0})
    return np.stack([x[i] * x[i + 1] for i in idx])


# ------------------------------------------------------------------ J. generator expressions
@case(args=normal(4), tags="genexp_sum")
def sum_genexp_of_floats(x):
    return sum(x[i] ** 2 * (i + 1) for i in range(4))


@case(args=lambda rng: (np.array([0.3, 1.7, -0.8, 2.6]) + rng.uniform(-0.1, 0.1, 4),), tags="b_max")
def max_of_genexp(x):
    return max(np.sin(v) + v for v in x)


@case(args=lambda rng: (np.array([0.3, 1.7, -0.8, 2.6]) + rng.uniform(-0.1, 0.1, 4),), tags="b_min")
def min_of_genexp_with_key_order(x):
    return min((v * v for v in x[1:]), default=0.0) + min(x[0], 5.0)


@case(args=normal(4), tags="boolop if")
def any_all_as_branch(x):
    ints = [1, 2, 3]
    if any(i > 2 for i in ints) and all(i > 0 for i in ints):
        return x * 2.0
    return x


@case(args=normal(3), tags="genexp_sum")
def sum_genexp_with_array_start(x):
    ws = (0.5, -1.0, 2.0)
    return sum((w * np.roll(x, k) for k, w in enumerate(ws)), np.zeros(3))


@case(args=normal(4), tags="genexp_sum")
def genexp_passed_to_np_fromiter_free_sum(x):
    total = sum(float(i) * v for i, v in enumerate(x))
    return total + sum([v for v in x])


# ------------------------------------------------------------------ K. conditional expressions, short-circuits
def _scale_or_default(x, s=0.0):
    s = s or 1.5
    return x * s


def _opt_get(x, opts=None):
    k = opts and opts.get("k")
    return x * (k or 2.0)


@case(args=normal(3), tags="ifexp compare")
def ifexp_on_active_comparison(x):
    s = x.sum() + 10.0
    return x * s if s > 0 else -x


@case(args=normal(3), tags="boolop call_defaults")
def or_returns_default_operand(x):
    return _scale_or_default(x) + _scale_or_default(x, 3.0)


@case(args=normal(3), tags="boolop call_defaults dict_literal")
def and_or_returning_operands(x):
    return _opt_get(x) + _opt_get(x, {"k": 4.0}) + _opt_get(x, {})


@case(args=normal2(3, 3), wrt=(0, 1), tags="boolop")
def or_of_arrays_list(x, y):
    chosen = [] or [x, y]
    first = None or chosen[0]
    return first * chosen[1]


@case(args=normal(3), tags="boolop")
def active_value_returned_by_or(x):
    w = None
    v = w or x
    u = (v is not None) and v * 2.0
    return u + v


@case(args=normal(5), tags="compare for_range")
def chained_comparisons(x):
    acc = 0.0
    for i in range(5):
        if 0 < i < 4:
            acc = acc + x[i]
        if 1 <= i <= 3 != i:
            acc = acc * 1.5
    s = x.sum()
    if -1e6 < s < 1e6:
        acc = acc + s * s
    return acc


@case(args=normal(3), tags="ifexp")
def nested_ifexp(x, level=1):
    return x * 2.0 if level == 0 else np.sin(x) if level == 1 else np.cos(x)


# ------------------------------------------------------------------ L. accumulation patterns
@case(args=normal(3), tags="list_append sh_stack for_range")
def accumulate_then_stack(x):
    rows = []
    for k in range(4):
        rows.append(np.sin(x * (k + 1)))
    return np.stack(rows, axis=1)


@case(args=normal(3), tags="list_append sh_concatenate for_range")
def accumulate_then_concatenate(x):
    parts = []
    for k in range(3):
        parts.append(x[: k + 1] * k)
    return np.concatenate(parts)


@case(args=normal(6), tags="dict_literal for_enumerate")
def dict_of_running_sums(x):
    sums = {}
    for i, v in enumerate(x):
        key = "even" if i % 2 == 0 else "odd"
        sums[key] = sums.get(key, 0.0) + v * v
    return sums["even"] * sums["odd"]


@case(args=normal(6), tags="for_enumerate")
def defaultdict_running_sums(x):
    sums = defaultdict(float)
    for i, v in enumerate(x):
        sums[i % 3] += np.sin(v)
    return sums[0] + 2.0 * sums[1] - sums[2]


@case(args=normal(3), tags="list_literal aug_add sum_list_arrays")
def list_extend_and_iadd(x):
    acc = [x]
    acc.extend([x * 2.0, np.sin(x)])
    acc += [x * x]
    return sum(acc)


@case(args=normal(3), tags="tuple_literal for_range")
def tuple_accumulation(x):
    t = ()
    for k in range(3):
        t = t + (x * k,)
    return np.stack(t).sum(axis=0) + t[-1]


@case(args=normal(3), tags="list_append model_rnn for_range")
def history_list_then_mean(x):
    h = np.zeros(3)
    history = []
    for _ in range(4):
        h = np.tanh(h * 0.5 + x)
        history.append(h)
    return history[-1] + np.mean(history, axis=0)


@case(args=normal(4), tags="cr_array list_literal")
def array_from_list_of_active_floats(x):
    vals = [float(x[0]) * 2.0, float(x[1] * x[2]), math.sin(float(x[3]))]
    return np.array(vals) * 2.0


@case(args=normal(3), tags="dict_literal aug_add aug_mul for_range")
def stats_dict_augmented(x):
    stats = {"n": 0, "s": 0.0, "ss": 1.0}
    for i in range(3):
        stats["n"] += 1
        stats["s"] += x[i]
        stats["ss"] *= 1.0 + x[i] * x[i]
    return stats["s"] / stats["n"] + stats["ss"]


# ------------------------------------------------------------------ M. state machines, f-string keys
@case(args=normal(6), tags="for_enumerate elif")
def string_state_machine(x):
    state = "idle"
    acc = 0.0
    for i, v in enumerate(x):
        if state == "idle":
            acc = acc + v
            state = "run" if i >= 1 else "idle"
        elif state == "run":
            acc = acc * 0.5 + v * v
            state = "cool"
        else:
            acc = acc - 0.1 * v
            state = "idle"
    return acc


@case(args=normal(5), tags="dict_literal container_subscript for_range")
def int_state_machine_dict_transitions(x):
    trans = {0: 1, 1: 2, 2: 0}
    s = 0
    y = 1.0
    for i in range(5):
        if s == 0:
            y = y + x[i]
        elif s == 1:
            y = y * np.cos(x[i])
        else:
            y = y - x[i] ** 2
        s = trans[s]
    return y


@case(args=lambda rng: (rng.standard_normal(3),), tags="dict_literal for_range")
def fstring_keys_written_then_read(x):
    cache = {}
    for i in range(3):
        cache[f"layer{i}"] = x * (i + 1)
    return cache["layer0"] * cache[f"layer{1 + 1}"]


def _mlp_dict(params, x, n_layers):
    h = x
    for i in range(n_layers):
        h = params[f"W{i}"] @ h + params[f"b{i}"]
        if i < n_layers - 1:
            h = np.tanh(h)
    return h


@case(
    args=lambda rng: (
        {
            "W0": rng.standard_normal((4, 3)) * 0.5,
            "b0": rng.standard_normal(4),
            "W1": rng.standard_normal((2, 4)) * 0.5,
            "b1": rng.standard_normal(2),
        },
        rng.standard_normal(3),
    ),
    tags="dict_input model_mlp la_matmul call_user",
)
def mlp_with_fstring_parameter_keys(params, x):
    out = _mlp_dict(params, x, 2)
    return (out * out).sum()


@case(args=normal(4), tags="dict_literal for_range")
def fstring_with_format_spec_keys(x):
    d = {}
    for i in range(4):
        d[f"{i:03d}"] = x[i]
    return d["000"] * d["003"] + d[f"{2:03d}"]


# ------------------------------------------------------------------ N. integer index arithmetic
@case(args=normal(5), tags="pc_int_arith idx_int for_range mod")
def modular_index_arithmetic(x):
    n = x.shape[0]
    acc = 0.0
    for i in range(n):
        acc = acc + x[(i * 3 + 1) % n] * x[i]
    return acc + x[n // 2 - 1] * x[-2]


@case(args=normal(8), tags="idx_slice pc_int_arith sh_stack")
def sliding_windows_by_index(x):
    w = 3
    outs = [x[i : i + w].sum() * x[i] for i in range(0, len(x) - w + 1, 2)]
    return np.stack(outs)


@case(args=normal(6), tags="pc_int_arith b_int idx_slice")
def int_of_shape_ratio(x):
    half = int(x.shape[0] / 2)
    q = x.size // 3
    return x[:half] * x[half:] + x[q]


# ------------------------------------------------------------------ O. names that change type
@case(args=normal(4), tags="aug_add for_range")
def int_then_float_then_array(x):
    acc = 0
    acc += 1
    acc = acc * 0.5
    for i in range(4):
        acc += x[i]
    acc = acc + x
    return acc


@case(args=normal(3), tags="for_range")
def none_then_array_on_first_iteration(x):
    y = None
    for k in range(3):
        term = np.sin(x * (k + 1))
        y = term if y is None else y + term
    return y


@case(args=normal(3), tags="list_append cr_array for_range")
def list_then_array_same_name(x):
    result = []
    for k in range(3):
        result.append(x[k] * k)
    result = np.array(result)
    result = result * x
    return result


@case(args=normal(3), tags="py_int py_float")
def scalar_becomes_array(x):
    v = 1
    v = v * 2.0
    v = v * x
    v = v.sum()
    v = float(v) * 2
    return v


# ------------------------------------------------------------------ P. shadowed builtins
@case(args=normal(4), tags="aug_add for_range")
def local_named_sum(x):
    sum = 0.0  # noqa: A001
    for i in range(4):
        sum += x[i] * x[i]
    return sum


@case(args=lambda rng: (np.array([0.2, 1.9, -0.7, 0.8]) + rng.uniform(-0.1, 0.1, 4),), tags="m_max")
def local_named_max_and_min(x):
    max = x.max()  # noqa: A001
    min = x.min()  # noqa: A001
    return (x - min) / (max - min)


@case(args=normal(3), tags="py_int")
def locals_named_like_builtins(x):
    input = x * 2.0  # noqa: A001
    id = 3  # noqa: A001
    type = "scale"  # noqa: A001
    len = 0.5  # noqa: A001
    return input * id * len if type == "scale" else input


def _uses_abs_param(x, abs=1.5):  # noqa: A002
    return x * abs


@case(args=normal(3), tags="call_defaults call_kwargs")
def parameter_named_like_builtin(x):
    return _uses_abs_param(x) + _uses_abs_param(x, abs=2.0) + abs(x[0] + 10.0)


@case(args=normal(3), tags="while")
def local_range_list_shadows_builtin_later(x):
    total = x * 0.0
    i = 0
    while i < 3:
        total = total + x[i]
        i += 1
    range = [2.0, 3.0]  # noqa: A001
    for r in range:
        total = total * r
    return total


# ------------------------------------------------------------------ Q. shadowing module globals
def _uses_global_alpha(v):
    return v * ALPHA


def _uses_global_x(v):
    return v + x * 0.0 + 1.0


@case(args=normal(3), tags="call_defaults global")
def parameter_shadows_global_alpha(x, ALPHA=0.5):  # noqa: N803
    return x * ALPHA + _uses_global_alpha(x)


@case(args=normal(3), tags="global call_user")
def parameter_named_like_module_global_x(x):
    return x * _uses_global_x(x)


@case(args=normal(3), tags="global")
def local_shadows_global_then_global_in_callee(x):
    ALPHA = 10.0  # noqa: N806
    return x * ALPHA + _uses_global_alpha(x * x)


# ------------------------------------------------------------------ R. globals read at call time
def _scaled_now(v):
    return v * SCALE_NOW["s"]


def _set_mode(m):
    global MODE
    MODE = m


def _act(v):
    if MODE == "tanh":
        return np.tanh(v)
    return np.sin(v)


def _gain_apply(v):
    return v * _GAIN


@case(args=normal(3), tags="global dict_literal")
def module_dict_changed_between_calls(x):
    old = SCALE_NOW["s"]
    a = _scaled_now(x)
    SCALE_NOW["s"] = 3.0
    b = _scaled_now(x)
    SCALE_NOW["s"] = old
    return a * b


@case(args=normal(3), tags="global call_user")
def module_mode_switched_by_setter(x):
    a = _act(x)
    _set_mode("sin")
    b = _act(x)
    _set_mode("tanh")
    return a + 2.0 * b


@case(args=normal(3), tags="global")
def global_statement_rebinds_constant_between_calls(x):
    global _GAIN
    old = _GAIN
    a = _gain_apply(x)
    _GAIN = 4.0
    b = _gain_apply(x)
    _GAIN = old
    return a + b * b


@case(args=normal(3), tags="global")
def global_left_changed_after_call(x):
    global _GAIN
    _GAIN = 2.5
    return _gain_apply(x)


@case(args=normal(3), tags="global list_append")
def log_message_with_active_value(x):
    s = float((x * x).sum())
    LOG.append(f"loss={s:.6f}")
    TALLY["calls"] += 1
    return s * x


@case(args=normal(3), tags="global tuple_literal unpack")
def unpack_module_tuple_constant(x):
    a, b, c = COEFFS
    return a + b * x + c * x * x


# ------------------------------------------------------------------ S. helpers from other corpus modules
@case(args=normal(3), tags="call_user call_defaults call_kwargs")
def helpers_imported_from_calls(x):
    return _affine(x, b=-1.0) + _pow_rec(x, 3) + _level1(x * 0.3)


@case(args=normal(3), tags="call_user closure")
def factories_imported_from_scopes(x):
    f = make_scaler(2.5)
    g = make_affine(0.5, x[0])
    return f(x) + g(x)


@case(args=normal(6), mutates=True, tags="call_user")
def mutating_helper_imported_from_alias(x):
    h = _first_half(x)
    _scale_inplace(h, 3.0)
    return x * x


@case(args=normal(3), tags="call_user global")
def helper_through_module_attribute(x):
    a, b = _calls._split(x)
    return a * b.sum() + _calls._square(x) * _calls.SCALE + _order.SCALE


# ------------------------------------------------------------------ T/U. deep chains
def _d6(v, k):
    return np.sin(v) * k + v * v


def _d5(v, k, label="x"):
    return _d6(v, k + 1) if label else v


def _d4(v, k, **kw):
    return _d5(v, k, **kw)


def _d3(v, *rest):
    return _d4(v, *rest, label="deep")


def _d2(v, k=2):
    return _d3(v, k)


def _d1(v):
    return _d2(v)


@case(args=normal(3), tags="call_user call_kwargs call_defaults")
def deep_chain_six_levels(x):
    return _d1(x)


def _pass_through(v, depth):
    if depth == 0:
        return np.exp(-v * v)
    return _pass_through(v, depth - 1)


@case(args=normal(3), tags="recursion")
def deep_recursive_passthrough(x):
    return _pass_through(x, 7) * x


def _chain_list(vals, depth):
    if depth == 0:
        return [v * 2.0 for v in vals]
    return _chain_list(vals, depth - 1)


@case(args=normal2(3, 3), wrt=(0, 1), tags="recursion listcomp list_literal")
def deep_chain_of_lists(x, y):
    a, b = _chain_list([x, y], 5)
    return a * b


# ------------------------------------------------------------------ V. callees as runtime values
@case(args=normal(3), tags="dict_literal container_subscript")
def dispatch_through_dict_of_numpy_functions(x):
    ops = {"sin": np.sin, "tanh": np.tanh}
    return ops[MODE](x) + ops["sin"](x)


@case(args=normal(3), tags="for_list list_literal")
def activation_list_applied_in_loop(x):
    for f in [np.tanh, np.sin]:
        x = f(x)
    return x


def _sq(v):
    return v * v


def _cube(v):
    return v * v * v


@case(args=normal(3), tags="dict_literal container_subscript call_user")
def dispatch_through_dict_of_user_functions(x):
    table = {"sq": _sq, "cube": _cube}
    return table["sq"](x) + table["cube"](x)


def _apply(f, v):
    return f(v) * 2.0


@case(args=normal(3), tags="call_user")
def function_passed_as_argument(x):
    return _apply(np.sin, x) + _apply(_sq, x)


def _compose(f, g):
    return lambda v: f(g(v))


@case(args=normal(3), tags="call_user closure")
def higher_order_compose(x):
    h = _compose(np.sin, _sq)
    return h(x)


@case(args=normal(3), tags="call_user global")
def conditional_callee_by_module_name(x):
    f = _sq if MODE == "tanh" else _cube
    return f(x)


# ------------------------------------------------------------------ W. math on Python floats mixed with NumPy
@case(args=lambda rng: (float(rng.uniform(0.3, 1.0)), rng.standard_normal(3)), wrt=(0, 1), tags="math py_float")
def math_scalar_times_numpy(s, x):
    return math.exp(s) * np.sin(x) + math.log1p(s) * x


@case(args=normal(3), tags="math b_float genexp_sum")
def math_sqrt_of_python_sum(x):
    vals = [float(v) for v in x]
    return math.sqrt(sum(v * v for v in vals) + 1.0) * math.cos(vals[0])


@case(args=normal(3), tags="math b_float")
def math_log_of_float_of_array(x):
    return math.log(float(np.sum(x**2)) + 0.5) * x


@case(args=pyfloat(0.2, 1.0), tags="math py_float")
def math_atan2_hypot_pi(x):
    return math.atan2(x, 1.0 + x) + math.hypot(x, 2.0) * math.pi + math.tau * x


@case(args=normal(4), tags="math b_float")
def math_fsum_of_floats(x):
    return math.fsum([float(v) * 2.0 for v in x])


@case(args=normal(3), tags="math m_sum")
def math_on_numpy_float64_scalar(x):
    s = x.sum()
    return math.tanh(s) * np.exp(s) + math.erf(s * 0.3)


# ------------------------------------------------------------------ X. float32, NumPy scalars, 0-d arrays
# float32 inputs are checked by the float32 harness (test_corpus.test_float32 runs these with float32 arrays);
# finite differences need float64 arguments.
@case(args=normal(4), float32=True, tags="array")
def float32_array_with_python_constants(x):
    y = x * 0.5 + 1.0
    for _ in range(2):
        y = np.tanh(y) * 2.0
    return y


@case(args=lambda rng: (np.float64(rng.uniform(0.3, 1.0)),), tags="py_float")
def numpy_float64_scalar_argument(x):
    return np.sin(x) * x + math.exp(x) + x**3


@case(args=lambda rng: (np.array(rng.uniform(0.3, 1.0)),), tags="array")
def zero_d_array_argument(x):
    y = x * 2.0
    y = y + np.sin(x)
    return y * y


@case(args=lambda rng: (np.float64(rng.uniform(0.3, 1.0)),), float32=True, tags="py_float")
def numpy_float32_scalar_argument(x):
    return x * x + np.float32(0.5) * x


@case(args=lambda rng: (rng.standard_normal(3), np.array(0.7)), wrt=(0, 1), float32=True, tags="array")
def float32_times_zero_d_float64(x, s):
    s = s + np.array(0.25)
    return x * s + s * s


@case(args=normal(3), tags="b_float")
def item_of_active_array(x):
    a = x[0].item()
    b = (x * x).sum().item()
    return a * b + x


@case(args=normal(3), tags="array")
def zero_d_array_accumulator(x):
    acc = np.array(0.0)
    for v in x:
        acc = acc + v * v
    acc += x[0]
    return acc


@case(args=normal(3), tags="array")
def numpy_scalar_type_conversions(x):
    s = np.float64(x.sum())
    t = np.float32(2.0)
    return s * t + np.float64(3.0) * x


# ------------------------------------------------------------------ Y. other idioms from real code
def _gen_terms(x, n):
    for k in range(n):
        yield x**k


@case(args=normal(3), tags="genexp_sum")
def generator_function_consumed_by_sum(x):
    return sum(_gen_terms(x, 3))


@case(args=normal(3), tags="call_user")
def try_except_fallback(x):
    try:
        y = x / 2.0
    except ZeroDivisionError:
        y = x
    return y * y


@case(args=normal(3), tags="np_elementwise")
def errstate_context_manager(x):
    with np.errstate(divide="ignore", invalid="ignore"):
        y = np.log(x * x + 1.0)
    return y * x


@case(args=normal(3, 2), tags="attr_shape")
def assert_shape_checks(x):
    assert x.ndim == 2, "expects a matrix"
    assert x.shape[1] == 2
    n, m = x.shape
    return x.sum(axis=1) * n + m


@case(args=normal(3), tags="py_float")
def annotated_assignments_and_docstring(x):
    """Docstring, annotations and pass."""
    y: np.ndarray = x * 2.0
    z: float = 0.5
    if z > 1.0:
        pass
    return y * z


@case(args=normal(3), tags="if")
def isinstance_dispatch_on_input(x):
    if isinstance(x, np.ndarray):
        x = x * 2.0
    if isinstance(x, (float, int)):
        x = x * 100.0
    return np.sin(x)


@case(args=normal(3), tags="listcomp")
def sorted_with_key_lambda(x):
    items = [("b", 2), ("a", 1), ("c", 3)]
    order = sorted(items, key=lambda kv: kv[1])
    return np.stack([x * w for _, w in order])


@case(args=normal(3), tags="for_range")
def del_statement_and_underscore_loop(x):
    tmp = x * 2.0
    y = tmp + 1.0
    del tmp
    for _ in range(2):
        y = y * 0.5 + x
    return y


@case(args=normal(4), tags="for_enumerate list_append")
def list_of_tuples_sorted_by_int(x):
    pairs = []
    for i, v in enumerate(x):
        pairs.append(((i * 7) % 4, v))
    pairs.sort(key=lambda p: p[0])
    return np.stack([v * (k + 1) for k, v in pairs])


@case(args=normal(3), tags="for_range")
def python_int_power_loop_with_float_accumulator(x):
    fact = 1
    out = np.zeros(3)
    for n in range(5):
        if n > 0:
            fact *= n
        out = out + x**n / fact
    return out


@case(args=normal(3), tags="dict_literal for_dict_items")
def config_dict_drives_pipeline(x):
    cfg = {"center": True, "scale": 2.0, "clip": None}
    y = x
    for key, val in cfg.items():
        if key == "center" and val:
            y = y - y.mean()
        elif key == "scale" and val is not None:
            y = y * val
        elif key == "clip" and val is not None:
            y = np.clip(y, -val, val)
    return y


@case(args=normal(3), tags="tuple_literal unpack for_list")
def tuple_of_pairs_unpacked_in_loop(x):
    spec = ((1, 0.5), (2, -0.25), (3, 0.125))
    out = np.zeros(3)
    for power, coef in spec:
        out = out + coef * x**power
    return out


@case(args=normal(4), tags="while pc_int_arith")
def bisection_on_python_ints_drives_index(x):
    lo, hi = 0, 16
    target = 11
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if mid <= target:
            lo = mid
        else:
            hi = mid
    return x[lo % 4] * x


@case(args=normal(3), tags="list_literal for_list")
def list_of_lists_ragged(x):
    groups = [[0], [1, 2], [0, 1, 2]]
    out = []
    for g in groups:
        out.append(sum(x[i] for i in g))
    return np.array(out) * np.array([len(g) for g in groups])


@case(args=normal(3), mutates=True, tags="setitem_int for_range")
def in_place_update_in_helper_loop(x):
    for i in range(3):
        x[i] = x[i] * 2.0 + 1.0
    return x.sum()


def _normalize_inplace(v):
    v -= v.mean()
    v /= np.sqrt((v * v).mean() + 1.0)
    return v


@case(args=normal(4), mutates=True, tags="call_user")
def helper_normalizes_argument_in_place(x):
    y = _normalize_inplace(x)
    return y * 2.0 + x


@case(args=normal(3), tags="dict_literal container_subscript")
def nested_dict_config_of_active(x):
    model = {"enc": {"w": x * 2.0, "b": 1.0}, "dec": {"w": np.sin(x)}}
    for part in ("enc", "dec"):
        model[part]["w"] = model[part]["w"] * 0.5
    return model["enc"]["w"] * model["dec"]["w"] + model["enc"]["b"]


@case(args=normal(3), tags="nested_def model_newton")
def fixed_point_solver_with_nested_residual(x):
    def residual(z):
        return z - 0.5 * np.cos(z) - x

    def dres(z):
        return 1.0 + 0.5 * np.sin(z)

    z = np.zeros_like(x)
    for _ in range(25):
        z = z - residual(z) / dres(z)
    return z


@case(args=normal(3), tags="nested_def closure for_range list_append")
def closures_collected_then_called_immediately(x):
    outs = []
    for k in range(3):

        def g(v, k=k):
            return v * (k + 1) + k

        outs.append(g(x))
    return sum(outs)


@case(args=pyfloat(0.5, 1.0), tags="py_float py_int b_pow b_abs")
def builtins_on_python_floats(x):
    return pow(x, 3) + abs(-x) * 2 + round(3.7) * x + divmod(7, 2)[0] * x


@case(args=normal(3), tags="b_len b_range genexp_sum")
def len_driven_loops_on_lists(x):
    lst = [x, x * x, x * 3.0]
    return sum(lst[i] * i for i in range(len(lst)))


@case(args=normal(4), tags="boolop compare for_range")
def short_circuit_guards_index(x):
    acc = 0.0
    for i in range(6):
        if i < 4 and x[i] * 0.0 == 0.0:
            acc = acc + x[i] ** 2
        if i >= 4 or i == 0:
            acc = acc + 1.0
    return acc


@case(args=normal(3), tags="call_user call_kwargs")
def same_helper_active_and_inactive_keywords(x):
    return _with_opts(x, scale=float(np.pi)) + _with_opts(np.ones(3), shift=2.0) * x


@case(args=lambda rng: ([rng.standard_normal(2) for _ in range(3)],), tags="list_input for_enumerate")
def list_input_with_enumerate_and_reversed(xs):
    acc = np.zeros(2)
    for i, v in enumerate(reversed(xs)):
        acc = acc * 0.5 + v * (i + 1)
    return acc


@case(args=lambda rng: ((rng.standard_normal(2), float(rng.uniform(0.5, 1.0))),), tags="tuple_input unpack")
def tuple_input_unpacked_in_signature_body(p):
    v, s = p
    return v * s + math.sin(s)


# ------------------------------------------------------------------ Z. more idioms: siblings, dict(...) of pairs, splats
@case(args=normal(3), tags="nested_def call_user")
def nested_sibling_defined_later(x):
    def h(v):
        return k(v) + 1.0

    def k(v):
        return v * v

    return h(x)


@case(args=normal(3), tags="nested_def closure")
def nested_sibling_closing_over_active(x):
    def k(v):
        return v * x

    def h(v):
        return k(v) + np.sin(v)

    return h(x)


@case(args=normal(3), tags="nested_def call_user")
def nested_sibling_also_called_from_top(x):
    def k(v):
        return v * v

    def h(v):
        return k(v) + 1.0

    return h(x) + k(x)


@case(args=normal(3), tags="for_zip dict_literal container_subscript")
def dict_of_zip_string_keys(x):
    d = dict(zip(["a", "b", "c"], [x[0], x[1] * 2.0, x[2]]))
    return d["a"] * d["b"] + d["c"]


@case(args=normal(3), tags="for_zip container_subscript")
def dict_of_zip_int_keys(x):
    d = dict(zip([0, 1, 2], [x[0], x[1] * 2.0, np.sin(x[2])]))
    return d[0] * 3.0 + d[2]


@case(args=normal(3), tags="for_enumerate container_subscript")
def dict_of_enumerate(x):
    d = dict(enumerate([x[0], x[1] * 2.0]))
    return d[0] * 3.0 + d[1]


@case(args=normal(3), tags="list_literal tuple_literal container_subscript")
def dict_from_list_of_pairs(x):
    d = dict([("w", x[0]), ("b", x[1] * x[2])])
    return d["w"] * 2.0 + d["b"]


@case(args=normal(4), tags="for_zip unpack")
def transpose_pairs_with_zip_star(x):
    pairs = [(x[0], x[1]), (x[2], x[3])]
    a, b = zip(*pairs)
    return a[0] * b[1] + a[1] * b[0]


@case(args=normal(3), tags="dict_literal container_subscript")
def dict_merge_with_double_star(x):
    base = {"u": x * 2.0}
    extra = {"v": np.sin(x)}
    merged = {**base, **extra}
    return merged["u"] * merged["v"]


@case(args=normal(3), tags="list_literal container_subscript")
def list_with_starred_elements(x):
    a = [x[0], x[1]]
    b = [*a, x[2] * 3.0]
    return b[0] * b[2] + b[1]


@case(args=normal(3), tags="dict_literal container_subscript call_kwargs")
def dict_update_with_active(x):
    d = {"a": x}
    d.update(b=x * x, c=1.0)
    return d["a"] + d["b"] * d["c"]


@case(args=normal(3), tags="list_literal container_subscript")
def list_pop_and_insert_active(x):
    lst = [x[0], x[1], x[2]]
    last = lst.pop()
    lst.insert(0, last * 2.0)
    return lst[0] * lst[1] + lst[-1]


@case(args=normal(3), tags="while list_literal")
def stack_popped_in_while(x):
    stack = [x[0], x[1] * 2.0, x[2]]
    acc = 0.0
    while stack:
        acc = acc * 0.5 + stack.pop()
    return acc


@case(args=normal(4), tags="b_sum")
def map_numpy_function_over_array(x):
    return sum(map(np.sin, x))


@case(args=lambda rng: (np.array([0.3, 1.7, -0.8, 2.6]) + rng.uniform(-0.1, 0.1, 4),), tags="b_min b_max")
def sorted_active_values(x):
    s = sorted(x)
    return s[0] * 2.0 + s[-1] * s[1]


@case(args=normal(3), tags="b_min b_max b_float")
def min_max_of_python_floats(x):
    a = float(x[0])
    b = float(x[1]) + 10.0
    return min(a, b) * max(a, b)


@case(args=normal(4), tags="for_enumerate for_zip idx_slice")
def enumerate_of_zip_with_reversed_slice(x):
    acc = 0.0
    for i, (a, b) in enumerate(zip(x, x[::-1])):
        acc = acc + a * b * i
    return acc


@case(args=normal(4), tags="b_sum sum_list_arrays")
def sum_with_start_keyword(x):
    return sum([x, x * x], start=np.ones(4))


@case(args=normal(3), tags="b_len")
def join_of_fstrings_sets_scale(x):
    s = ", ".join(f"{v:.3f}" for v in x)
    return x * len(s.split(","))


@case(args=normal(2), tags="for_list dict_literal")
def sorted_dict_items_loop(x):
    d = {"b": x[0], "a": x[1]}
    acc = 0.0
    for k, v in sorted(d.items()):
        acc = acc * 2.0 + v * len(k)
    return acc


@case(args=normal(3), tags="dict_literal")
def dict_get_default_is_active(x):
    d = {}
    return d.get("missing", x) * 2.0 + d.get("other", 1.0)


@case(args=normal(3), tags="compare tuple_literal ifexp")
def tuple_version_comparison(x):
    ver = (2, 1)
    return x * 2.0 if ver >= (2, 0) else x


@case(args=normal(4), tags="b_int idx_slice")
def int_of_active_expression_for_slice(x):
    n = int(x[0] * 0.0 + 3.0)
    return x[:n].sum() * n


@case(args=normal(4), tags="unpack for_list")
def nested_unpack_in_for_target(x):
    data = [((x[0], x[1]), 1), ((x[2], x[3]), 2)]
    acc = 0.0
    for (a, b), w in data:
        acc = acc + a * b * w
    return acc


@case(args=normal(4), tags="aug_add aug_mul list_literal")
def aug_assign_list_elements(x):
    lst = [x[0], x[1]]
    lst[0] += x[2]
    lst[1] *= x[3]
    return lst[0] * lst[1]


@case(args=lambda rng: (np.array([0.3, 1.7, -0.8, 2.6]) + rng.uniform(-0.1, 0.1, 4),), tags="boolop for_array")
def best_so_far_none_pattern(x):
    best = None
    for v in x:
        if best is None or v > best:
            best = v
    return best * 2.0


@case(args=normal(2), tags="for_enumerate genexp_sum dict_literal")
def enumerate_dict_values(x):
    d = {"a": x[0], "b": x[1]}
    return sum(v * (i + 1) for i, v in enumerate(d.values()))


@case(args=normal(2), tags="for_zip tuple_literal")
def tuple_of_zip_with_constants(x):
    t = tuple(zip([0.5, 2.0], [x[0], x[1]]))
    return t[0][0] * t[0][1] + t[1][0] * t[1][1]


@case(args=normal(2), tags="for_zip listcomp")
def dict_comprehension_over_zip(x):
    keys = ["w", "b"]
    d = {k: v for k, v in zip(keys, [x[0], x[1]])}
    return d["w"] * 2.0 + d["b"]
