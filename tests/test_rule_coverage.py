"""Every registered rule (``registry.all_rules()``) must have a case in tests/rule_cases.py, and
user-registered rules (``tangent_fwd.defjvp`` on a C function) work like the library's own."""

import math
import os
import sys

import numpy as np
import pytest
import scipy.special

import tangent_fwd
from tangent_fwd import activity, registry

sys.path.insert(0, os.path.dirname(__file__))
from rule_cases import RULE_CASES, missing_rules  # noqa: E402


@pytest.fixture
def restore_registry():
    """Undo every registration made inside a test (and invalidate the compiled-code caches)."""
    saved = (dict(registry._RULES), dict(registry._METHODS), dict(registry._ATTRIBUTES))
    yield
    for table, old in zip((registry._RULES, registry._METHODS, registry._ATTRIBUTES), saved):
        table.clear()
        table.update(old)
    registry._version[0] += 1


# ------------------------------------------------------------------ coverage
def test_every_registered_rule_has_a_case():
    missing = missing_rules()
    assert not missing, (
        f"{len(missing)} registered rule(s) have no case in tests/rule_cases.py RULE_CASES: " + ", ".join(missing)
    )


def test_every_case_key_is_a_registered_rule():
    registered = {registry.op_key(r.op) for t, _, r in registry.all_rules() if t == "function"}
    names = {k for t, k, _ in registry.all_rules() if t != "function"}
    stale = [
        k if isinstance(k, str) else registry._display_name(k)
        for k in RULE_CASES
        if (k not in names if isinstance(k, str) else registry.op_key(k) not in registered)
    ]
    assert not stale, f"RULE_CASES keys with no registered rule (stale cases): {stale}"


def _dummy_op(x):
    return x


def test_coverage_detects_a_rule_registered_without_a_case(restore_registry):
    assert "function " + registry._display_name(_dummy_op) not in missing_rules()
    tangent_fwd.defjvp(_dummy_op, "x", "dx")
    tangent_fwd.defmethod_linear("dummy_method_for_coverage", "self")
    tangent_fwd.defattr_zero("dummy_attribute_for_coverage")
    missing = missing_rules()
    assert f"function {registry._display_name(_dummy_op)}" in missing
    assert "method .dummy_method_for_coverage()" in missing
    assert "attribute .dummy_attribute_for_coverage" in missing
    assert len(missing) == 3, missing
    # a case for it makes it covered again
    assert (
        missing_rules(
            {
                **RULE_CASES,
                _dummy_op: [object()],
                "dummy_method_for_coverage": [object()],
                "dummy_attribute_for_coverage": [object()],
            }
        )
        == []
    )


def test_coverage_cleanup_restored_the_registry():
    # runs after the test above: its dummy registrations are gone
    assert registry.lookup(_dummy_op) is None
    assert registry.lookup_method("dummy_method_for_coverage") is None
    assert missing_rules() == []


# ------------------------------------------------------------------ each rule is really reached by its cases
def _table_and_key(key):
    if isinstance(key, str):
        if registry.lookup_method(key) is not None:
            return registry._METHODS, key
        return registry._ATTRIBUTES, key
    return registry._RULES, registry.op_key(key)


def _compiled_or_error(case):
    try:
        return tangent_fwd.source(case.fn, wrt=case.diff)
    except Exception as exc:  # noqa: BLE001  (without operator.add the compiler cannot even run)
        return f"{type(exc).__name__}: {exc}"


# the activity analysis itself treats these attributes as constant (activity.ZERO_ATTRIBUTES), so
# their defattr_zero rules are never consulted for a NumPy array: nothing to exercise
_SHADOWED = set(activity.ZERO_ATTRIBUTES)


@pytest.mark.parametrize(
    "key",
    [k for k in RULE_CASES if not (isinstance(k, str) and k in _SHADOWED)],
    ids=lambda k: k if isinstance(k, str) else registry._display_name(k),
)
def test_cases_reach_their_rule(key, restore_registry):
    """Without the rule, at least one of its cases compiles differently (or not at all): the case
    really passes a differentiated value to this op (not to an alias or around it)."""
    cases = RULE_CASES[key]
    with_rule = [_compiled_or_error(c) for c in cases]
    table, tkey = _table_and_key(key)
    assert tkey in table, f"no registered rule for {key!r}"
    del table[tkey]
    registry._version[0] += 1
    without = [_compiled_or_error(c) for c in cases]
    assert any(a != b for a, b in zip(with_rule, without)), (
        f"no case for {key!r} reaches its rule: the generated code is the same without it:\n{with_rule[0]}"
    )


# ------------------------------------------------------------------ user registration
def uses_expit(x):
    return scipy.special.expit(x) * 2.0


def uses_expit_lambda(x):
    return scipy.special.expit(x) * 2.0


def uses_erf(x):
    return scipy.special.erf(x) + x


def uses_dawsn(x):  # Dawson's integral: a C function the library has no rule for
    return scipy.special.dawsn(x) * 2.0


# the library's own rules (expit and erf have them when SciPy is installed), which every user
# registration below replaces for one test only
LIBRARY_RULES = {f: registry.lookup(f) for f in (scipy.special.expit, scipy.special.erf)}


X = np.linspace(-1.5, 1.5, 5)
DX = np.linspace(0.3, -0.7, 5)


def _fd(f, x, dx, h=1e-6):
    return (f(x + h * dx) - f(x - h * dx)) / (2 * h)


def test_c_function_without_rule_raises_missing_rule_error():
    assert registry.lookup(scipy.special.dawsn) is None
    with pytest.raises(tangent_fwd.MissingRuleError) as info:
        tangent_fwd.jvp(uses_dawsn, (X,), (DX,))
    msg = str(info.value)
    assert "scipy.special.dawsn" in msg  # names the callable
    assert "tangent_fwd.defjvp(scipy.special.dawsn, 'x', 'dx * ...')" in msg  # shows how to register
    assert "test_rule_coverage.py:" in msg and "scipy.special.dawsn(x) * 2.0" in msg


def test_user_defjvp_template_makes_a_c_function_differentiable(restore_registry):
    tangent_fwd.defjvp(scipy.special.expit, "x", "dx * ans * (1 - ans)")
    value, tangent = tangent_fwd.jvp(uses_expit, (X,), (DX,))
    np.testing.assert_allclose(value, uses_expit(X))
    np.testing.assert_allclose(tangent, _fd(uses_expit, X, DX), rtol=1e-6, atol=1e-9)
    assert "dx * " in tangent_fwd.source(uses_expit) or "* (1 - " in tangent_fwd.source(uses_expit)
    # float32 stays float32
    value32, tangent32 = tangent_fwd.jvp(uses_expit, (X.astype(np.float32),), (DX.astype(np.float32),))
    assert tangent32.dtype == np.float32
    np.testing.assert_allclose(tangent32, tangent, rtol=2e-3, atol=1e-6)


def test_user_defjvp_callable_partial(restore_registry):
    calls = []

    def erf_partial(d, ans, x):
        calls.append(1)
        return d * 2.0 / math.sqrt(math.pi) * np.exp(-x * x)

    tangent_fwd.defjvp(scipy.special.erf, "x", erf_partial)
    value, tangent = tangent_fwd.jvp(uses_erf, (X,), (DX,))
    np.testing.assert_allclose(value, uses_erf(X))
    np.testing.assert_allclose(tangent, _fd(uses_erf, X, DX), rtol=1e-6, atol=1e-9)
    assert calls, "the callable partial was not called"


def test_user_defjvp_lambda_partial(restore_registry):
    tangent_fwd.defjvp(scipy.special.expit, "x", lambda d, ans, x: d * ans * (1 - ans))
    _, tangent = tangent_fwd.jvp(uses_expit_lambda, (X,), (DX,))
    np.testing.assert_allclose(tangent, _fd(uses_expit_lambda, X, DX), rtol=1e-6, atol=1e-9)
    assert "_partial(" in tangent_fwd.source(uses_expit_lambda)


def test_registration_is_undone_after_each_test():
    # the rules registered above were removed again: the library's rule set is unchanged
    assert all(registry.lookup(f) is rule for f, rule in LIBRARY_RULES.items())
    assert registry.lookup(scipy.special.dawsn) is None
    assert missing_rules() == []


def uses_expit_again(x):
    return scipy.special.expit(x) * 2.0


def test_jvp_uses_the_current_rule_after_reregistration(restore_registry):
    # regression (rules-2): jvp's cached fast path kept code generated with the previous rule
    tangent_fwd.defjvp(scipy.special.expit, "x", "dx * 0.0")  # wrong
    assert np.all(tangent_fwd.jvp(uses_expit_again, (X,), (DX,))[1] == 0)
    tangent_fwd.defjvp(scipy.special.expit, "x", "dx * ans * (1 - ans)")  # corrected
    _, tangent = tangent_fwd.jvp(uses_expit_again, (X,), (DX,))
    np.testing.assert_allclose(tangent, _fd(uses_expit_again, X, DX), rtol=1e-6, atol=1e-9)
