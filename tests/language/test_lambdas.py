"""Lambdas wherever a function is accepted: as the differentiated function, inside it, passed to and
called inside user code, in lists and dicts; located by their code; refused clearly when ambiguous."""

import sys

import numpy as np
import pytest
from lang_check import check_all

import tangent_fwd as tf
from tangent_fwd import lambdas

X = np.array([0.3, -0.7, 1.1])

cube = lambda x: np.sum(x**3 - 2.0 * x)  # noqa: E731
square_then_sin = lambda x: np.sin(x * x)  # noqa: E731
pair = lambda x: np.sum(x + 1.0), lambda x: np.sum(x - 1.0) * 3.0  # noqa: E731
plus_minus = lambda x: np.sum(x + 1.0), lambda x: np.sum(x - 1.0)  # noqa: E731
TWINS = lambda x: x * 2.0 + 1.0, lambda x: x * 2.0 - 1.0  # noqa: E731  (only the test without columns)
same_text = lambda x: np.sum(x * x), lambda x: np.sum(x * x)  # noqa: E731
RULES = {"tanh": lambda v: np.tanh(v), "cube": lambda v: v**3}  # noqa: E731
STEPS = [lambda v: v * 2.0, lambda v: np.exp(-v)]


def _apply(fn, x):
    return fn(x)


def test_module_level_lambda_all_modes():
    check_all(cube, (X,))
    check_all(lambda x: np.sum(square_then_sin(x)), (X,))


def test_lambda_given_to_forward_diff_and_jvp():
    fd = tf.forward_diff(lambda a, b: a * np.sin(b), wrt=(0, 1))
    value, tangent = fd(1.3, 0.4, 1.0, 0.5)
    assert value == 1.3 * np.sin(0.4)
    assert tangent == pytest.approx(np.sin(0.4) + 1.3 * np.cos(0.4) * 0.5, rel=1e-12)
    check_all(lambda a: a**2 * np.cos(a), (0.8,))


def test_two_lambdas_on_one_line_are_told_apart_by_their_columns():
    check_all(pair[0], (X,))
    check_all(pair[1], (X,))
    v1 = tf.jvp(pair[0], (X,), (np.ones(3),))[1]
    v2 = tf.jvp(pair[1], (X,), (np.ones(3),))[1]
    assert v1 == pytest.approx(3.0) and v2 == pytest.approx(9.0)


def test_identical_lambdas_on_one_line_are_the_same_function():
    check_all(same_text[1], (X,))


@pytest.mark.skipif(sys.version_info < (3, 11), reason="Python 3.10 keeps no columns: refused (test below)")
def test_lambdas_with_the_same_names_and_constants_are_told_apart_by_columns():
    assert tf.jvp(plus_minus[0], (X,), (np.ones(3),))[0] == np.sum(X + 1.0)
    assert tf.jvp(plus_minus[1], (X,), (np.ones(3),))[0] == np.sum(X - 1.0)


def test_without_columns_two_different_lambdas_on_a_line_are_refused(monkeypatch):
    # Python 3.10 keeps no column positions: lambdas with the same names and constants cannot be told apart
    monkeypatch.setattr(lambdas, "_HAS_POSITIONS", False)
    with pytest.raises(tf.TransformError) as info:
        tf.source(TWINS[1])
    msg = str(info.value)
    assert "test_lambdas.py:" in msg and "cannot tell apart the lambdas on line" in msg
    assert "own line" in msg  # the hint


def test_lambdas_in_a_dict_and_a_list():
    def f(x):
        total = 0.0
        for k in ("tanh", "cube"):
            total = total + np.sum(RULES[k](x))
        for step in STEPS:
            x = step(x)
        return total + np.sum(x)

    check_all(f, (X,))


def test_local_lambda_reading_a_differentiated_value():
    def f(x):
        s = np.sum(x)
        g = lambda v: v * s  # noqa: E731
        return np.sum(g(x) + g(x * x))

    check_all(f, (X,))


def test_lambda_passed_to_user_code_reading_a_differentiated_value():
    def f(x):
        w = np.sum(x * x)
        return np.sum(_apply(lambda v: np.sin(v) * w, x))

    check_all(f, (X,))


def test_lambda_calling_a_lambda_and_immediately_called_lambda():
    def f(x):
        inner = lambda v: v**2  # noqa: E731
        outer = lambda v: np.sum(inner(v) + (lambda u: u * 3.0)(v))  # noqa: E731
        return outer(x)

    check_all(f, (X,))


def test_closure_made_by_a_factory_is_differentiated_through():
    def make(scale):
        return lambda v: np.tanh(v * scale)

    def f(x):
        g = make(np.sum(x))
        return np.sum(g(x))

    check_all(f, (X,))


def test_source_of_a_lambda_is_readable():
    src = tf.source(cube)
    assert src.startswith("def cube_jvp(x, dx):")
    compile(src, "<source>", "exec")
    assert "<lambda>" not in src.split('"""')[0]
    inner = tf.source(lambda x: _apply(lambda t: t * x, x))
    assert "def lam_jvp(x, dx):" in inner  # the lambda given to source(), named for readers
    assert "def lam2(t):" in inner and "return t * x" in inner  # the one inside it, as a nested def
    compile(inner, "<source>", "exec")


def test_lambda_without_a_file_is_refused_with_a_hint():
    f = eval("lambda x: x * 2")
    with pytest.raises(tf.SourceUnavailableError) as info:
        tf.jvp(f, (1.0,), (1.0,))
    assert "lambda" in str(info.value) and ".py file" in str(info.value)


def test_lambda_with_keyword_parameters_reading_an_active_value_passed_on_is_refused():
    def f(x):
        s = np.sum(x)
        return _apply(lambda v, k=2.0: v * s * k, x)

    with pytest.raises(tf.TransformError) as info:
        tf.jvp(f, (X,), (np.ones(3),))
    msg = str(info.value)
    assert "test_lambdas.py:" in msg and "reads the differentiated value(s) s" in msg and "hint:" in msg
