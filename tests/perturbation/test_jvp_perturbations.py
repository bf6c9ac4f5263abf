"""tangent_fwd.jvp(..., perturbations=): the obvious entry point for tangent injection. Checked against
central finite differences of the function with its parameters AND its sites moved together, and
against perturbed_jvp (which it delegates to); sites=/directions= without perturbations are refused."""

import numpy as np
import perturb_models as pm
import pytest

import tangent_fwd
from tangent_fwd.errors import ArgumentError

B = 5


def problem(seed=0):
    return pm.two_layer_problem(seed, B, tangents=True)


def moved(p, tp, x, y, u, h):
    q = {k: v + h * tp[k] for k, v in p.items()}
    return pm.two_layer_shifted(q, x, y, h, u["z1"], u["z2"])


def test_jvp_with_tangents_and_perturbations_matches_finite_differences():
    p, x, y, u, tp = problem()
    sites = {}
    value, d = tangent_fwd.jvp(pm.two_layer, (p, x, y), (tp, None, None), perturbations=u, sites=sites)
    np.testing.assert_array_equal(value, pm.two_layer_plain(p, x, y))  # the primal is untouched
    h = 1e-6
    expected = (moved(p, tp, x, y, u, h) - moved(p, tp, x, y, u, -h)) / (2 * h)
    np.testing.assert_allclose(d, expected, rtol=1e-6, atol=1e-8)
    assert sites["z1"].weight == "W1" and sites["z2"].tangent is u["z2"]


def test_jvp_with_perturbations_only_equals_perturbed_jvp_and_is_not_a_plain_jvp():
    p, x, y, u, _ = problem(1)
    v1, d1 = tangent_fwd.jvp(pm.two_layer, (p, x, y), None, perturbations=u)
    v2, d2 = tangent_fwd.perturbed_jvp(pm.two_layer, (p, x, y), perturbations=u)
    np.testing.assert_array_equal(v1, v2)
    np.testing.assert_array_equal(d1, d2)
    assert np.abs(d1).max() > 1e-3  # the injected tangents reached the output
    zero = {k: np.zeros_like(v) for k, v in p.items()}
    _, d0 = tangent_fwd.jvp(pm.two_layer, (p, x, y), (zero, None, None))  # no perturbations: plain JVP
    np.testing.assert_array_equal(d0, np.zeros(B))


def test_jvp_vectorized_perturbations_and_a_callable_draw():
    p, x, y, u, _ = problem(2)
    U = {k: np.stack([v, -2 * v]) for k, v in u.items()}
    _, dK = tangent_fwd.jvp(pm.two_layer, (p, x, y), None, vectorized=True, perturbations=U)
    _, d = tangent_fwd.jvp(pm.two_layer, (p, x, y), None, perturbations=u)
    np.testing.assert_allclose(dK, [d, -2 * d], rtol=1e-12, atol=1e-12)
    _, dc = tangent_fwd.jvp(
        pm.two_layer, (p, x, y), None, vectorized=True, directions=2, perturbations=lambda name, z: U[name]
    )
    np.testing.assert_allclose(dc, dK, rtol=1e-12, atol=1e-12)


def test_sites_or_directions_without_perturbations_are_refused():
    p, x, y, _, tp = problem(3)
    with pytest.raises(ArgumentError, match="perturbations="):
        tangent_fwd.jvp(pm.two_layer, (p, x, y), (tp, None, None), sites={})
    with pytest.raises(ArgumentError, match="perturbations="):
        tangent_fwd.jvp(pm.two_layer, (p, x, y), (tp, None, None), directions=3)
    with pytest.raises(ArgumentError, match="tuples"):
        tangent_fwd.jvp(pm.two_layer, (p, x, y), None)  # no perturbations: tangents are required
