"""Issue 12, class 7: a rule registered with the wrong number of partials is an error at registration
(a forgotten partial used to give a silently zero tangent, an extra one was silently ignored)."""

import numpy as np
import pytest
import scipy.special

import tangent_fwd
from tangent_fwd import registry
from tangent_fwd.errors import ArgumentError, TransformError


@pytest.fixture
def restore_registry():
    saved = (dict(registry._RULES), dict(registry._METHODS), dict(registry._ATTRIBUTES))
    yield
    for table, old in zip((registry._RULES, registry._METHODS, registry._ATTRIBUTES), saved):
        table.clear()
        table.update(old)
    registry._version[0] += 1


def test_forgotten_partial_is_an_error_naming_the_rule(restore_registry):
    with pytest.raises(ArgumentError) as info:
        tangent_fwd.defjvp(scipy.special.dawsn, "x")
    msg = str(info.value)
    assert "dawsn" in msg and "'x'" in msg and "None" in msg  # names the rule, the parameter, the way out
    assert isinstance(info.value, TransformError) and isinstance(info.value, ValueError)
    assert registry.lookup(scipy.special.dawsn) is None  # nothing was registered


def test_missing_partial_of_a_second_parameter_is_an_error(restore_registry):
    with pytest.raises(ArgumentError, match="'x2'"):
        tangent_fwd.defjvp(scipy.special.xlogy, "x1, x2", "dx1 * np.log(x2)")


def test_extra_partials_are_an_error(restore_registry):
    with pytest.raises(ArgumentError, match="3 partials given for 1 parameter"):
        tangent_fwd.defjvp(scipy.special.expit, "x", "dx * ans * (1 - ans)", "dx", "dx")


def test_explicit_none_declares_a_parameter_non_differentiable(restore_registry):
    rule = tangent_fwd.defjvp(scipy.special.xlogy, "x1, x2", None, "dx2 * x1 / x2")
    assert rule.differentiable == ("x2",)


def test_options_with_defaults_may_be_left_out(restore_registry):
    # axis=None, out=None, keyword-only options: leaving their partials out declares them constant
    tangent_fwd.defjvp(scipy.special.logsumexp, "a, axis=None, b=None, keepdims=False", "np.sum(da * np.exp(a - ans))")
    tangent_fwd.defjvp(scipy.special.expit, "x, /, out=None, *, where=True", "dx * ans * (1 - ans)")


def test_varargs_right_after_the_leading_parameters_need_a_partial(restore_registry):
    def op(*xs):
        return sum(xs)

    with pytest.raises(ArgumentError, match="'xs'"):
        tangent_fwd.defjvp(op, "*xs")
    tangent_fwd.defjvp(op, "*xs", "rt.seq_sum(dxs)")


def test_defmethod_is_checked_the_same_way(restore_registry):
    with pytest.raises(ArgumentError, match=r"\.frobnicate\(\)"):
        tangent_fwd.defmethod("frobnicate", "self, other")
    with pytest.raises(ArgumentError, match="2 partials given for 1 parameter"):
        tangent_fwd.defmethod("frobnicate", "self", "dself", "dself")
    tangent_fwd.defmethod("frobnicate", "self, other", "dself", None)


def test_linear_in_must_name_parameters(restore_registry):
    with pytest.raises(ArgumentError, match="linear_in"):
        tangent_fwd.deflinear(scipy.special.expit, "x", linear_in=("y",))
    with pytest.raises(ArgumentError, match="tuple"):
        tangent_fwd.deflinear(scipy.special.expit, "x", linear_in="x")
    with pytest.raises(ArgumentError, match="linear_in"):
        registry.defmethod_linear("frobnicate", "self", linear_in=("other",))


def test_every_library_jvp_rule_gives_each_leading_parameter_a_partial_or_none():
    """The library's rules pass the check (they registered at import) and none relies on a default."""
    for _, _, rule in registry.all_rules():
        if rule.kind == "jvp":
            assert len(rule.params) >= len(registry._leading(rule.params)), rule


def test_a_registered_rule_still_differentiates(restore_registry):
    tangent_fwd.defjvp(scipy.special.expit, "x", "dx * ans * (1 - ans)")

    def f(x):
        return scipy.special.expit(x)

    x = np.array([0.3, -1.2])
    _, t = tangent_fwd.jvp(f, (x,), (np.ones(2),))
    e = scipy.special.expit(x)
    np.testing.assert_allclose(t, e * (1 - e))
