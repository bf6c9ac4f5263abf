"""Issue 12, class 10 (part): every runtime helper that a rule's template emits has a rule of its own,
so generated code can itself be differentiated (forward over forward: ``hessian``, ``jacfwd`` of a
JVP). The walk below fails as soon as a rule starts emitting a helper without one; the Hessians are
checked against central finite differences of the (first-order, separately tested) gradient."""

import types

import gast
import numpy as np
import pytest

import tangent_fwd
from tangent_fwd import registry
from tangent_fwd import runtime as rt

# rt.unsupported always raises (it stands for a derivative that is not implemented, e.g. a third
# derivative of prod); rt.special.matfunc_plain checks logm/sqrtm's `disp` option (a flag, never
# differentiated). Both are called without differentiated arguments: they need no rule
NO_RULE_NEEDED = {"unsupported", "special.matfunc_plain"}
# helpers the transform itself emits in scalar (non-vector) mode, which generated code differentiated
# again meets as calls
TRANSFORM_HELPERS = {"zeros_like", "fresh", "snapshot", "iset", "expand", "seq_value", "seq_tangent"}


def _template_helpers():
    found = {}
    for _, _, rule in registry.all_rules():
        if rule.kind != "jvp":
            continue
        for partial in rule.partials.values():
            if not isinstance(partial, gast.AST):
                continue
            for n in gast.walk(partial):
                if isinstance(n, gast.Attribute) and isinstance(n.value, gast.Name) and n.value.id == "rt":
                    if not isinstance(getattr(rt, n.attr, None), types.ModuleType):
                        found.setdefault(n.attr, rule.name)
                elif (  # a rule family's helper: rt.special.digamma is found as "special.digamma"
                    isinstance(n, gast.Attribute)
                    and isinstance(n.value, gast.Attribute)
                    and isinstance(n.value.value, gast.Name)
                    and n.value.value.id == "rt"
                ):
                    found.setdefault(f"{n.value.attr}.{n.attr}", rule.name)
    return found


def _helper(name):
    obj = rt
    for part in name.split("."):
        obj = getattr(obj, part)
    return obj


def test_the_walk_sees_the_helpers():
    found = _template_helpers()
    assert {"prod_jvp", "cumprod_jvp", "norm_jvp", "pow_dy", "abs_jvp", "std_jvp"} <= set(found)


def test_every_helper_a_template_emits_has_a_rule():
    found = _template_helpers()
    missing = [
        f"rt.{name} (emitted by {found.get(name, 'the transform')})"
        for name in sorted((set(found) | TRANSFORM_HELPERS) - NO_RULE_NEEDED)
        if registry.lookup(_helper(name)) is None
    ]
    assert not missing, "runtime helpers without a rule (forward over forward would be refused): " + ", ".join(missing)


def test_the_walk_catches_a_new_helper_without_a_rule():
    saved = dict(registry._RULES)
    try:
        rt.brand_new_helper_for_the_walk = lambda xp, x, dx: dx
        tangent_fwd.defjvp(np.i0, "x", "rt.brand_new_helper_for_the_walk(np, x, dx)")
        assert "brand_new_helper_for_the_walk" in _template_helpers()
        assert registry.lookup(rt.brand_new_helper_for_the_walk) is None
    finally:
        registry._RULES.clear()
        registry._RULES.update(saved)
        registry.changed()
        del rt.brand_new_helper_for_the_walk


# ------------------------------------------------------------------ Hessians against finite differences
def norm2(x):
    return np.linalg.norm(x) ** 3 + np.linalg.norm(x[:3], ord=3) + np.linalg.norm(x[1:], ord=1)


def norm_matrix(x):
    return np.linalg.norm(np.reshape(x, (2, 3)), axis=1).sum() + np.linalg.norm(np.reshape(x, (2, 3)))


def prod(x):
    return np.prod(x) + np.prod(np.reshape(x, (2, 3)), axis=0).sum()


def cumprod(x):
    return np.sum(np.cumprod(x) * np.arange(1.0, 7.0)) + x.cumprod()[3]


def arange_start(x):
    return np.sum(np.arange(x[0], 5.0) * x[1]) + np.sum(np.arange(0.0, 3.0, x[2]) * x[0])


def powers(x):
    return np.sum(x[0] ** x[1:]) + np.sum(np.power(x[1:], x[0])) + 2.0 ** x[2]


def stats(x):
    return np.std(x) * x[0] + np.var(x) * x[1] + x.std(ddof=1) ** 2


def absolute(x):
    return np.sum(np.abs(x) * x) + abs(x[0]) * x[1] + np.sum(np.sign(x) * x**2)


def solve(x):
    A = np.stack([np.eye(3) * 2.0 + 0.1 * np.reshape(x[:9], (3, 3)), np.eye(3) * 3.0 + 0.1 * np.reshape(x[3:], (3, 3))])
    return np.sum(np.linalg.solve(A, x[-3:]) ** 2)


def angle(x):
    z = x[:3] + 1j * x[3:6]
    return np.sum(np.angle(z) ** 2) + np.sum(np.abs(z) ** 3)


def _hessian_fd(f, x):
    grad = tangent_fwd.jacfwd(f)
    h = 1e-6
    return np.stack([(grad(x + h * e) - grad(x - h * e)) / (2 * h) for e in np.eye(x.size)], axis=-1)


def logdet(x):
    sign, logabsdet = np.linalg.slogdet(np.reshape(x, (3, 3)) + 3.0 * np.eye(3))
    return logabsdet * sign


def inplace_view(x):
    r = x * x
    v = r[:2]  # a view: the first-order code holds dv = dr[:2], the second-order ddv = ddr[:2]
    r *= x  # dr = rt.iset(dr, ...) writes into dr; its rule must write into ddr likewise
    return np.sum(v * v * x[:2])


_rng = np.random.default_rng(10)
CASES = [
    (norm2, _rng.standard_normal(5)),
    (norm_matrix, _rng.standard_normal(6)),
    (prod, np.array([0.7, 0.0, -1.2, 2.0, 0.5, 1.3])),
    (prod, _rng.standard_normal(6)),
    (cumprod, np.array([0.3, 0.0, -1.2, 2.0, 0.0, 0.9])),
    (cumprod, _rng.standard_normal(6)),
    (arange_start, np.array([0.5, 1.3, 0.45])),
    (powers, np.array([1.3, 0.5, 2.0, 0.7])),
    (stats, _rng.standard_normal(5)),
    (absolute, _rng.standard_normal(5)),
    (solve, _rng.standard_normal(12)),
    (angle, _rng.standard_normal(6)),
    (inplace_view, np.array([0.3, -0.7, 1.2])),
    (logdet, _rng.standard_normal(9)),
]


@pytest.mark.parametrize("f, x", CASES, ids=[f"{f.__name__}-{i}" for i, (f, _) in enumerate(CASES)])
def test_hessian_matches_finite_differences_of_the_gradient(f, x):
    H = tangent_fwd.hessian(f)(x)
    Hfd = _hessian_fd(f, x)
    scale = max(1.0, float(np.max(np.abs(Hfd))))
    np.testing.assert_allclose(H, Hfd, rtol=0, atol=1e-6 * scale)
    np.testing.assert_allclose(H, H.T, rtol=0, atol=1e-6 * scale)


def third(x, t, u):
    return rt.prod_jvp2(np, x, t, u)


def test_a_third_derivative_is_refused_not_guessed():
    x = np.array([0.5, 1.5, -2.0])
    with pytest.raises(NotImplementedError, match="third derivative of prod"):
        tangent_fwd.jvp(third, (x, x, x), (np.ones(3), None, None))
