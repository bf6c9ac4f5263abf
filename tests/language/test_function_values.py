"""Functions as values: passed as arguments, taken from lists and dicts, partials, map/filter/sorted/
min/max/reduce with user functions, *args/**kwargs forwarding; refusals name file:line with a hint."""

import functools
import math

import numpy as np
import pytest
from lang_check import check_all

import tangent_fwd as tf

X = np.array([0.5, -0.4, 1.2, 0.3])
OPS = [np.sin, np.tanh, math.exp]
TABLE = {"sq": lambda v: v * v, "sin": np.sin}


def _apply(fn, x):
    return fn(x)


def _apply_kw(fn, x, scale):
    return fn(x, scale=scale)


def _scaled_sum(x, scale=1.0):
    return scale * np.sum(x)


def _fold(fn, items):
    acc = items[0]
    for v in items[1:]:
        acc = fn(acc, v)
    return acc


def _total(*values, weight=1.0):
    out = 0.0
    for v in values:
        out = out + weight * v
    return out


def _opts_loss(x, **opts):
    return np.sum(x**2) * opts["a"] + opts.get("b", 0.0)


def _fill(buf, x):
    buf[0] = x * 2.0
    return x


def test_function_passed_as_argument_known_and_unknown_at_compile_time():
    check_all(lambda x: np.sum(_apply(np.exp, x)) + np.sum(_apply(TABLE["sq"], x)), (X,))


def test_keyword_call_through_a_parameter():
    check_all(lambda x: _apply_kw(_scaled_sum, x * x, 3.0), (X,))
    check_all(lambda s: _apply_kw(_scaled_sum, X, s), (0.7,))  # the differentiated value is the keyword


def test_functions_from_a_list_and_a_dict():
    def f(x):
        total = 0.0
        for op in OPS:
            total = total + op(x[0])
        return total + np.sum(TABLE["sin"](x)) + OPS[1](x[2])

    check_all(f, (X,))


def test_function_value_of_user_code_rebound_regenerates():
    state = {"fn": np.sin}

    def f(x):
        return np.sum(_apply(state["fn"], x))

    assert tf.jvp(f, (X,), (np.ones(4),))[1] == pytest.approx(np.sum(np.cos(X)))
    state["fn"] = np.exp
    assert tf.jvp(f, (X,), (np.ones(4),))[1] == pytest.approx(np.sum(np.exp(X)))


def test_partials():
    check_all(functools.partial(_scaled_sum, scale=2.5), (X,))
    check_all(lambda x: _apply(functools.partial(_scaled_sum, scale=-1.5), x * x), (X,))


def test_map_filter_sorted_min_max_reduce():
    def f(x):
        c = np.sum(x)
        mapped = list(map(lambda v: v * c, x))
        kept = sum(filter(lambda v: v > 0.0, mapped))
        ranked = sorted(mapped, key=abs)
        best = max(mapped, key=lambda v: -((v - 0.2) ** 2))
        low = min(x[0], x[1], key=abs)
        prod = functools.reduce(lambda a, b: a * (1.0 + b), list(x), 1.0)
        return kept + ranked[0] * 2.0 + ranked[-1] + best + low + prod + _fold(max, list(x * x))

    check_all(f, (X,))


def test_map_over_two_sequences_and_filter_none():
    check_all(lambda x: sum(map(np.multiply, x, x[::-1])) + sum(filter(None, [x[0], 0.0, x[1]])), (X,))


def test_args_and_kwargs_forwarding():
    def f(x):
        parts = (np.sum(x), x[0] * x[1])
        opts = {"a": x[2], "b": x[3] ** 2}
        return _total(*parts, weight=2.0) + _total(x[0], x[1]) + _opts_loss(x, **opts) + _opts_loss(x, a=x[0])

    check_all(f, (X,))


def test_args_forwarded_to_a_rule():
    check_all(lambda x: np.sum(np.maximum(*(x, x * x))) + np.arctan2(*(x[0], x[1])), (X,))


def test_unresolvable_callee_that_writes_its_arguments_is_refused():
    def f(x, fill=_fill):
        buf = [0.0]
        y = fill(buf, x)
        return y + buf[0]

    with pytest.raises(tf.TransformError) as info:
        tf.jvp(f, (1.5,), (1.0,))
    msg = str(info.value)
    assert "test_function_values.py:" in msg and "writes into its argument" in msg and "hint:" in msg


def test_function_computed_from_differentiated_values_is_refused():
    def h(x):  # a partial holding a differentiated value
        fs = {"k": functools.partial(_scaled_sum, scale=x)}
        return fs["k"](x)

    with pytest.raises(tf.TransformError) as info:
        tf.jvp(h, (1.5,), (1.0,))
    assert "test_function_values.py:" in str(info.value) and "hint:" in str(info.value)


def test_value_that_is_not_a_function_is_refused_when_called():
    def f(x, g=3.0):
        return g(x)

    with pytest.raises((tf.TransformError, TypeError)) as info:
        tf.jvp(f, (1.5,), (1.0,))
    assert "not a function" in str(info.value) or "not callable" in str(info.value)
