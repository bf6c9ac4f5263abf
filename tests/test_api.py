"""The public API: forward_diff's forms and attributes, jvp's structures, source, caching, tracebacks."""

import math
import traceback

import api_cases as C
import numpy as np
import pytest

import tangent_fwd as tf


def fd_check(func, primals, tangents, rtol=1e-6, atol=1e-9):
    """jvp against a float64 central difference along the given tangents."""
    value, tangent = tf.jvp(func, primals, tangents)
    eps = 1e-6
    plus = [p if t is None else p + eps * t for p, t in zip(primals, tangents)]
    minus = [p if t is None else p - eps * t for p, t in zip(primals, tangents)]
    fd = (np.asarray(func(*plus)) - np.asarray(func(*minus))) / (2 * eps)
    np.testing.assert_allclose(tangent, fd, rtol=rtol, atol=atol)
    return value, tangent


rng = np.random.default_rng(0)


def test_forward_diff_three_forms_agree():
    x, W, dW = rng.standard_normal(3), rng.standard_normal((4, 3)), rng.standard_normal((4, 3))
    a = tf.forward_diff(C.f_simple, wrt="W")(x, W, dW)
    b = tf.forward_diff(wrt=1)(C.f_simple)(x, W, dW)
    c = tf.forward_diff(C.f_simple, wrt=("W",))(x, W, dW)
    for r in (b, c):
        np.testing.assert_array_equal(a[0], r[0])
        np.testing.assert_array_equal(a[1], r[1])
    np.testing.assert_array_equal(a[0], C.f_simple(x, W))
    np.testing.assert_allclose(a[1], (1 - np.tanh(W @ x) ** 2) * (dW @ x), rtol=1e-12)


def test_decorator_keeps_metadata_and_source():
    fd = tf.forward_diff(C.f_simple)
    assert fd.__name__ == "f_simple" and fd.__wrapped__ is C.f_simple and fd.__doc__ == C.f_simple.__doc__
    assert fd.source.startswith("def f_simple_jvp(x, W, dx):")
    assert fd.source == tf.source(C.f_simple)


def test_default_wrt_is_first_parameter():
    assert "def f_float_jvp(x, dx)" in tf.source(C.f_float)


def test_defaults_and_keyword_only_arguments():
    fd = tf.forward_diff(C.f_defaults)
    assert fd(2.0, 1.0) == (5.0, 2.0)
    assert fd(2.0, 3.0, 1.0, shift=0.5) == (6.5, 3.0)
    assert fd(2.0, 1.0, dx=1.0) == (3.0, 1.0)  # dx by keyword: 1.0 is then scale
    fd_check(C.f_defaults, (2.0,), (1.0,))


def test_tuple_output_gives_tuple_of_tangents_with_zeros_for_constants():
    value, tangent = tf.jvp(C.f_tuple_out, (2.0, 3.0), (1.0, 0.0))
    assert value == (6.0, 5.0, 7)
    assert tangent == (3.0, 1.0, 0.0)
    assert isinstance(tangent, tuple)


def test_dict_argument_and_output():
    params = {"w": rng.standard_normal(3), "b": rng.standard_normal(3)}
    dparams = {"w": rng.standard_normal(3), "b": rng.standard_normal(3)}
    x = rng.standard_normal(3)
    value, tangent = tf.jvp(C.f_dict_in, (params, x), (dparams, None))
    assert set(tangent) == {"out", "n"}
    np.testing.assert_allclose(tangent["out"], dparams["w"] * x + dparams["b"])
    assert tangent["n"] == 0.0


def test_python_float_output_is_a_float():
    value, tangent = tf.jvp(C.f_float, (0.7,), (1.0,))
    assert isinstance(tangent, float)
    assert tangent == pytest.approx(math.cos(0.7) * 0.7 + math.sin(0.7), rel=1e-14)


def test_output_independent_of_inputs_gets_zeros_of_its_shape():
    y = rng.standard_normal((2, 3))
    value, tangent = tf.jvp(C.f_inactive_out, (1.0, y), (1.0, None))
    assert tangent.shape == (2, 3) and not tangent.any()


def test_no_tangents_at_all():
    value, tangent = tf.jvp(C.f_float, (0.7,), (None,))
    assert value == C.f_float(0.7) and tangent == 0.0


def test_module_globals_are_read_live():
    fd = tf.forward_diff(C.f_global)
    assert fd(2.0, 1.0) == (6.0, 3.0)
    old = C.SCALE
    try:
        C.SCALE = 5.0
        assert fd(2.0, 1.0) == (10.0, 5.0)
    finally:
        C.SCALE = old


def test_float32_tangent_follows_primal_dtype():
    x = rng.standard_normal(3).astype(np.float32)
    W = rng.standard_normal((4, 3)).astype(np.float32)
    _, t = tf.jvp(C.f_simple, (x, W), (None, rng.standard_normal((4, 3))))  # float64 tangent is cast
    assert t.dtype == np.float32
    _, t64 = tf.jvp(C.f_simple, (x.astype(np.float64), W.astype(np.float64)), (None, rng.standard_normal((4, 3))))
    assert t64.dtype == np.float64


def test_transform_happens_once_per_function_wrt_backend(monkeypatch):
    from tangent_fwd import compiler

    calls = []
    real = compiler.Unit.build

    def counting(self):
        calls.append(self.root_func)
        return real(self)

    monkeypatch.setattr(compiler.Unit, "build", counting)
    tf.api._UNITS.clear()
    for _ in range(5):
        tf.jvp(C.f_float, (0.3,), (1.0,))
        tf.forward_diff(C.f_float)(0.3, 1.0)
    assert calls == [C.f_float]


def test_traceback_points_into_generated_source():
    def shape_error():
        return tf.jvp(C.f_simple, (np.ones(5), np.ones((4, 3))), (None, np.ones((4, 3))))

    with pytest.raises(ValueError) as info:
        shape_error()
    text = "".join(traceback.format_exception(info.value))
    assert "<tangent_fwd f_simple" in text and "W @ x" in text


def test_user_names_that_look_generated_still_work():
    fd_check(C.dx_named_user_var, (1.5,), (1.0,))
    src = tf.source(C.dx_named_user_var)
    assert "def dx_named_user_var_jvp(x, dx_1):" in src


def test_registering_a_rule_invalidates_cached_code():
    import scipy.special

    with pytest.raises(tf.MissingRuleError):
        tf.jvp(C.uses_dawsn, (0.3,), (1.0,))
    try:
        tf.defjvp(scipy.special.dawsn, "x", "dx * (1 - 2 * x * ans)")
        v, t = tf.jvp(C.uses_dawsn, (0.3,), (1.0,))
        s = scipy.special.dawsn(0.3)
        assert t == pytest.approx(2 * (1 - 2 * 0.3 * s), rel=1e-12)
    finally:
        from tangent_fwd import registry

        registry._RULES.pop(id(scipy.special.dawsn), None)
        registry._version[0] += 1


# ------------------------------------------------------------------ issue 15: API gaps
def test_forward_gradient_at_the_top_level():
    from tangent_fwd.training import forward_gradient as training_forward_gradient

    assert tf.forward_gradient is training_forward_gradient
    assert "forward_gradient" in tf.__all__
    g = tf.forward_gradient(C.scalar_loss, directions=4000, rng=0)
    w = rng.standard_normal(3)
    value, grad = g(w)
    assert value == C.scalar_loss(w) and grad.shape == w.shape
    np.testing.assert_allclose(grad, 2 * w, atol=0.25 * np.linalg.norm(w))  # unbiased: the mean is 2w


def test_no_tangents_give_a_zero_of_the_outputs_own_type():
    value, tangent = tf.jvp(C.f_float, (2.0,), (None,))
    assert type(tangent) is float and tangent == 0.0
    value, tangent = tf.jvp(C.sin_of, (2.0,), (None,))
    assert type(tangent) is type(value) is np.float64 and tangent == 0.0
    _, active = tf.jvp(C.sin_of, (2.0,), (1.0,))
    assert type(active) is type(tangent)  # the same type as with a tangent


def test_forward_diff_call_without_its_tangents_names_them():
    fd = tf.forward_diff(C.f_simple, wrt=("x", "W"))
    x, W = rng.standard_normal(3), rng.standard_normal((4, 3))
    with pytest.raises(tf.ArgumentError, match=r"missing the tangent argument\(s\) dx, dW"):
        fd(x, W)
    fd(x, W, np.ones(3), np.ones((4, 3)))  # compiled: the fast path says the same
    with pytest.raises(tf.ArgumentError, match=r"missing the tangent argument\(s\) dW"):
        fd(x, W, np.ones(3))


def test_missing_rule_error_comes_without_compiler_frames():
    with pytest.raises(tf.MissingRuleError) as info:
        tf.jvp(C.deep_missing_rule, (1.0,), (1.0,))
    assert "api_cases.py:" in str(info.value)  # the message carries file:line:col
    files = [f.filename for f in traceback.extract_tb(info.value.__traceback__)]
    internal = [f for f in files if "tangent_fwd" in f and not f.endswith(("api.py", "library.py"))]
    assert not internal, internal
    assert len(files) <= 6, files


def test_syntax_error_in_a_rule_template_names_rule_and_template():
    with pytest.raises(tf.ArgumentError) as info:
        tf.defjvp(C.dawsn_helper, "x", "dx * (1 + ")
    msg = str(info.value)
    assert "dawsn_helper" in msg and "'dx * (1 + '" in msg and "not a Python expression" in msg


def test_jacfwd_and_hessian_refuse_a_list_up_front():
    with pytest.raises(tf.ArgumentError, match="got a list"):
        tf.jacfwd(C.sin_of)([1.0, 2.0, 3.0])
    with pytest.raises(tf.ArgumentError, match="got a list"):
        tf.hessian(C.sin_of)([1.0, 2.0, 3.0])


def test_star_args_parameter_says_it_cannot_be_differentiated():
    with pytest.raises(tf.ArgumentError) as info:
        tf.forward_diff(C.star_args)
    msg = str(info.value)
    assert "*xs parameter cannot be differentiated" in msg and "def star_args(xs)" in msg
    with pytest.raises(tf.ArgumentError, match=r"\*xs parameter cannot be differentiated"):
        tf.jvp(C.star_args, (1.0, 2.0), (1.0, None))


def test_forward_diff_call_guard_follows_a_rebound_or_deleted_global(tmp_path):
    import importlib
    import sys
    import textwrap

    (tmp_path / "guard_mod.py").write_text(
        textwrap.dedent(
            """
            def g(x):
                return x * 2.0

            def f(x):
                return g(x) + 1.0
            """
        )
    )
    sys.path.insert(0, str(tmp_path))
    try:
        mod = importlib.import_module("guard_mod")
    finally:
        sys.path.remove(str(tmp_path))
    fd = tf.forward_diff(mod.f)
    assert fd(1.5, 1.0) == (4.0, 2.0)
    assert fd(1.5, 1.0) == (4.0, 2.0)  # through the generated __call__ guard
    mod.g = np.sinh
    assert fd(1.5, 1.0) == (np.sinh(1.5) + 1.0, np.cosh(1.5))
    assert fd(1.5, 1.0) == (np.sinh(1.5) + 1.0, np.cosh(1.5))
    del mod.g  # the generic path runs the function, which raises as the original does
    with pytest.raises(NameError):
        fd(1.5, 1.0)
    with pytest.raises(tf.ArgumentError, match="missing the tangent"):
        fd(1.5)
    sys.modules.pop("guard_mod", None)
