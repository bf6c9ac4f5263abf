"""Every rejection is a TransformError whose message names the place and says what to do."""

import api_cases as C
import numpy as np
import pytest

import tangent_fwd as tf

X = np.linspace(0.1, 0.9, 4)


@pytest.mark.parametrize(
    "func, construct, fix",
    [
        (C.uses_with, "does not know", "register_context_manager"),
        (C.uses_yield, "generators", "return a list"),
        (C.uses_class, "class definitions", "module level"),
        (C.uses_lambda, "lambda expressions", "nested def"),
        (C.uses_attr_store, "assigning to an attribute", "local variables"),
    ],
)
def test_unsupported_syntax_names_file_line_column_and_fix(func, construct, fix):
    with pytest.raises(tf.UnsupportedSyntaxError) as info:
        tf.jvp(func, (X,), (X,))
    msg = str(info.value)
    line = func.__code__.co_firstlineno
    assert "api_cases.py:" in msg
    assert info.value.lineno is not None and line < info.value.lineno <= line + 4
    assert info.value.col is not None
    assert construct in msg and fix in msg
    assert isinstance(info.value, tf.TransformError)


def test_differentiated_value_assigned_to_a_global_is_refused():
    with pytest.raises(tf.TransformError) as info:
        tf.jvp(C.uses_global_write, (X,), (X,))
    msg = str(info.value)
    assert "api_cases.py:" in msg and "global SCALE" in msg
    assert "assigned to the global name 'SCALE'" in msg and "return the value instead" in msg
    assert not hasattr(C, "SCALE") or C.SCALE is not X  # refused before anything ran


def test_callable_without_rule_or_source_is_an_error_never_a_constant():
    with pytest.raises(tf.MissingRuleError) as info:
        tf.jvp(C.uses_dawsn, (X,), (X,))
    msg = str(info.value)
    assert "scipy.special.dawsn" in msg
    assert "tangent_fwd.defjvp(scipy.special.dawsn" in msg
    assert "api_cases.py:" in msg and "return scipy.special.dawsn(x) * 2" in msg


def test_method_without_rule():
    with pytest.raises(tf.MissingRuleError) as info:
        tf.jvp(C.uses_unknown_method, (X,), (X,))
    assert ".searchsorted()" in str(info.value) and "defmethod" in str(info.value)


def test_callee_passed_as_an_argument_is_resolved_when_called():
    # formerly refused ("cannot resolve the function called here"): a function value is now specialised
    # on the callable actually passed, so the derivative must be right, not a refusal
    value, tangent = tf.jvp(C.param_callee, (X, np.tanh), (X, None))
    np.testing.assert_array_equal(value, np.tanh(X))
    np.testing.assert_allclose(tangent, X / np.cosh(X) ** 2, rtol=1e-12)


def test_no_source_from_exec():
    ns = {}
    exec("def h(x):\n    return x * 2\n", ns)
    with pytest.raises(tf.SourceUnavailableError) as info:
        tf.jvp(ns["h"], (1.0,), (1.0,))
    assert "no Python source for 'h'" in str(info.value) and ".py file" in str(info.value)


def test_lambda_without_source_is_rejected_with_workaround():
    f = eval("lambda x: x * 2")  # no file to read it from
    with pytest.raises(tf.SourceUnavailableError) as info:
        tf.jvp(f, (1.0,), (1.0,))
    assert "lambda" in str(info.value) and ".py file" in str(info.value)


@pytest.mark.parametrize(
    "wrt, text",
    [
        (5, "wrt=5 is out of range: f_simple has 2 parameter(s) (x, W)"),
        ("z", "wrt='z' is not a parameter of f_simple; its parameters are x, W"),
        ((0, "x"), "wrt names parameter 'x' twice"),
        (1.5, "wrt must be a parameter index, a parameter name"),
    ],
)
def test_bad_wrt(wrt, text):
    with pytest.raises(tf.ArgumentError) as info:
        tf.forward_diff(C.f_simple, wrt=wrt)
    assert text in str(info.value)


def test_tangent_shape_mismatch_names_argument():
    with pytest.raises(tf.ArgumentError) as info:
        tf.jvp(C.f_simple, (np.ones(3), np.ones((4, 3))), (None, np.ones((3, 4))))
    assert "tangent for W has shape (3, 4) but the primal has shape (4, 3)" in str(info.value)


def test_tangent_structure_mismatch_names_argument():
    params = {"w": np.ones(3), "b": np.ones(3)}
    with pytest.raises(tf.ArgumentError) as info:
        tf.jvp(C.f_dict_in, (params, np.ones(3)), ({"w": np.ones(3)}, None))
    assert "tangent for params must be a dict with keys ['b', 'w']" in str(info.value)
    with pytest.raises(tf.ArgumentError) as info:
        tf.jvp(C.f_dict_in, (params, np.ones(3)), ({"w": np.ones(3), "b": np.ones(2)}, None))
    assert "tangent for params['b'] has shape (2,)" in str(info.value)


def test_wrong_number_of_tangents():
    with pytest.raises(tf.ArgumentError) as info:
        tf.jvp(C.f_simple, (np.ones(3), np.ones((4, 3))), (None,))
    assert "2 primal(s) but 1 tangent(s)" in str(info.value)


def test_unknown_backend():
    with pytest.raises(tf.ArgumentError) as info:
        tf.forward_diff(C.f_simple, backend="tpu")
    assert "valid backends: auto, numpy, cupy" in str(info.value)


def test_a_compiler_bug_is_an_internal_error_at_the_statement(monkeypatch):
    from tangent_fwd.transform import FunctionTransformer

    def broken(self, s, out):
        raise KeyError("simulated bug")

    monkeypatch.setattr(FunctionTransformer, "s_Return", broken)
    with pytest.raises(tf.InternalError) as info:
        tf.jvp(C.f_float, (0.5,), (1.0,))
    assert isinstance(info.value, tf.TransformError)
    assert isinstance(info.value.__cause__, KeyError)
    assert "api_cases.py:" in str(info.value) and "return" in info.value.source_line
    assert "KeyError" in str(info.value) and "please report" in str(info.value)
