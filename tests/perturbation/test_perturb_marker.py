"""tangent_fwd.perturb / perturbed_jvp: injected tangents against central finite differences of the
function with its sites moved, vector mode against separate passes, the source shown, and misuse."""

import os
import pathlib
import sys

import numpy as np
import perturb_models as pm
import pytest

import tangent_fwd
from tangent_fwd import perturbation
from tangent_fwd.errors import ArgumentError, TransformError

sys.path.insert(0, str(pathlib.Path(__file__).parents[1]))
import strict_np  # noqa: E402

from tangent_fwd import backends  # noqa: E402

backends.register("strict", strict_np)

GOLDEN = pathlib.Path(__file__).parents[1] / "golden"
B = 5


def problem(seed=0):
    return pm.two_layer_problem(seed, B)


def fd(p, x, y, u, h=1e-6):
    f = pm.two_layer_shifted
    return (f(p, x, y, h, u["z1"], u["z2"]) - f(p, x, y, -h, u["z1"], u["z2"])) / (2 * h)


def test_injected_tangents_match_finite_differences_and_primal_is_unchanged():
    p, x, y, u = problem()
    sites = {}
    value, dvalue = tangent_fwd.perturbed_jvp(pm.two_layer, (p, x, y), perturbations=u, sites=sites)
    np.testing.assert_array_equal(value, pm.two_layer_plain(p, x, y))
    np.testing.assert_allclose(dvalue, fd(p, x, y, u), rtol=1e-6, atol=1e-8)
    assert dvalue.shape == (B,)  # per example: one directional derivative each
    assert (sites["z1"].weight, sites["z1"].bias, sites["z2"].weight) == ("W1", "b1", "W2")
    assert sites["z1"].inputs is x and sites["z2"].tangent is u["z2"]  # what was injected there


def test_one_site_perturbed_the_other_passes_through():
    p, x, y, u = problem(1)
    only = {"z2": u["z2"]}
    _, d = tangent_fwd.perturbed_jvp(pm.two_layer, (p, x, y), perturbations=only)
    np.testing.assert_allclose(d, fd(p, x, y, {"z1": 0 * u["z1"], "z2": u["z2"]}), rtol=1e-6, atol=1e-8)


def test_vector_mode_equals_separate_passes():
    p, x, y, _ = problem(2)
    r = np.random.default_rng(7)
    U = {"z1": r.standard_normal((4, B, 3)), "z2": r.standard_normal((4, B, 6))}
    _, d = tangent_fwd.perturbed_jvp(pm.two_layer, (p, x, y), perturbations=U, vectorized=True)
    assert d.shape == (4, B)
    for k in range(4):
        _, dk = tangent_fwd.perturbed_jvp(pm.two_layer, (p, x, y), perturbations={s: v[k] for s, v in U.items()})
        np.testing.assert_allclose(d[k], dk, rtol=1e-12, atol=1e-12)


def test_injection_adds_to_a_differentiated_argument_and_plain_jvp_passes_through():
    p, x, y, u = problem(3)
    r = np.random.default_rng(4)
    dp = {k: r.standard_normal(v.shape) for k, v in p.items()}
    _, d_inj = tangent_fwd.perturbed_jvp(pm.two_layer, (p, x, y), (dp, None, None), perturbations=u)
    _, d_plain = tangent_fwd.jvp(pm.two_layer, (p, x, y), (dp, None, None))  # marker: identity, tangent passes
    _, d_ref = tangent_fwd.jvp(pm.two_layer_plain, (p, x, y), (dp, None, None))
    np.testing.assert_allclose(d_plain, d_ref, rtol=1e-12)
    np.testing.assert_allclose(d_inj, d_ref + fd(p, x, y, u), rtol=1e-6, atol=1e-8)


def test_conv_einsum_and_named_sites_are_recognised():
    r = np.random.default_rng(5)
    pc = {"K": r.standard_normal((3, 3, 2)), "bk": r.standard_normal(2)}
    x = r.standard_normal((2, 36))
    uc = r.standard_normal((2, 4, 4, 2))
    sites = {}
    _, d = tangent_fwd.perturbed_jvp(pm.conv_site, (pc, x), perturbations={"conv": uc}, sites=sites)
    z = pm.conv_site.__globals__["sliding_window_view"](x.reshape(2, 6, 6), (3, 3), axis=(1, 2))
    conv = (z.reshape(32, 9) @ pc["K"].reshape(9, 2)).reshape(2, 4, 4, 2) + pc["bk"]
    np.testing.assert_allclose(d, (np.cos(conv) * uc).sum(axis=(1, 2, 3)), rtol=1e-12)
    assert (sites["conv"].weight, sites["conv"].bias, sites["conv"].inputs.shape) == ("K", "bk", (32, 9))
    pe = {"W": r.standard_normal((36, 3))}
    ue = r.standard_normal((2, 3))
    _, d = tangent_fwd.perturbed_jvp(pm.einsum_site, (pe, x), perturbations={"e": ue}, sites=sites)
    np.testing.assert_allclose(d, (2 * (x @ pe["W"]) * ue).sum(axis=1), rtol=1e-12)
    assert sites["e"].spec == "bi,ij->bj"
    pn = {"W": pe["W"], "b": r.standard_normal(3)}
    _, d = tangent_fwd.perturbed_jvp(pm.named_then_marked, (pn, x), perturbations={"z": ue}, sites=sites)
    np.testing.assert_allclose(d, (-np.sin(x @ pn["W"] + pn["b"]) * ue).sum(axis=1), rtol=1e-12)
    assert (sites["z"].weight, sites["z"].bias) == ("W", "b")


def test_a_method_called_on_the_marker_result():
    r = np.random.default_rng(11)
    p = {"W": r.standard_normal((4, 3)), "b": r.standard_normal(3)}
    x, u = r.standard_normal((B, 4)), r.standard_normal((B, 3))
    sites = {}
    _, d = tangent_fwd.perturbed_jvp(pm.marker_then_method, (p, x), perturbations={"z": u}, sites=sites)
    np.testing.assert_allclose(d, np.sum(np.cos(x @ p["W"] + p["b"]) * u), rtol=1e-12)
    assert (sites["z"].weight, sites["z"].bias) == ("W", "b")


def test_stop_gradient_before_a_site():
    r = np.random.default_rng(6)
    p = {"W": r.standard_normal((4, 3)), "V": r.standard_normal((3, 2))}
    x, u = r.standard_normal((B, 4)), r.standard_normal((B, 2))
    dp = {k: r.standard_normal(v.shape) for k, v in p.items()}
    _, d = tangent_fwd.perturbed_jvp(pm.stopped, (p, x), (dp, None), perturbations={"z": u})
    z = (x @ p["W"]) @ p["V"]
    np.testing.assert_allclose(d, (2 * z * ((x @ p["W"]) @ dp["V"] + u)).sum(axis=1), rtol=1e-12)


def test_misuse_is_refused_with_clear_messages():
    p, x, y, u = problem()
    with pytest.raises(ArgumentError, match=r"'z9'.*reached no tangent_fwd.perturb site.*'z1', 'z2'"):
        tangent_fwd.perturbed_jvp(pm.two_layer, (p, x, y), perturbations={**u, "z9": u["z1"]})
    with pytest.raises(ArgumentError, match=r"site 'z1' has shape \(5, 4\) but the site's value has shape \(5, 3\)"):
        tangent_fwd.perturbed_jvp(pm.two_layer, (p, x, y), perturbations={"z1": np.ones((B, 4))})
    with pytest.raises(ArgumentError, match=r"\(K,\) \+ that = \(2, 5, 3\)"):
        tangent_fwd.perturbed_jvp(pm.two_layer, (p, x, y), perturbations={"z1": np.ones((2, B, 4))}, vectorized=True)
    with pytest.raises(ArgumentError, match="directions= is for a callable"):
        tangent_fwd.perturbed_jvp(pm.two_layer, (p, x, y), perturbations=u, directions=2)
    with pytest.raises(ArgumentError, match="needs directions=K"):
        tangent_fwd.perturbed_jvp(pm.two_layer, (p, x, y), perturbations=lambda name, z: None, vectorized=True)
    with pytest.raises(ArgumentError, match="dict of site name"):
        tangent_fwd.perturbed_jvp(pm.two_layer, (p, x, y), perturbations=[u["z1"]])
    q = {"W": np.ones((4, 3))}
    with pytest.raises(ArgumentError, match="'z' was reached twice"):
        tangent_fwd.perturbed_jvp(pm.in_a_loop, (q, x), perturbations={"z": np.ones((B, 3))})
    with pytest.raises(ArgumentError, match="'inner'.*did not differentiate"):
        tangent_fwd.perturbed_jvp(
            pm.in_callee, ({"W": np.ones((3, 2))}, x[:, :3]), perturbations={"inner": np.ones((B, 2))}
        )


def test_a_marker_not_on_a_linear_map_is_a_transform_error_naming_the_line():
    q = {"W": np.ones((4, 3))}
    x = np.ones((B, 4))
    line = pm.not_linear.__code__.co_firstlineno + 1
    with pytest.raises(TransformError, match=rf"perturb_models.py:{line}:.*'z'.*not produced by a linear map"):
        tangent_fwd.perturbed_jvp(pm.not_linear, (q, x), perturbations={"z": np.ones((B, 3))})
    with pytest.raises(TransformError, match=r"input of its linear map \(np.tanh\(x\)\) is computed inline"):
        tangent_fwd.perturbed_jvp(pm.inline_input, (q, x), perturbations={"z": np.ones((B, 3))})
    with pytest.raises(TransformError, match="site name as a string literal"):
        tangent_fwd.jvp(pm.no_name, (q, x), ({"W": np.ones((4, 3))}, None))


def test_strict_backend_never_falls_back_to_numpy():
    p, x, y, u = problem(8)
    s = lambda a: strict_np.asarray(a)  # noqa: E731
    ps = {k: s(v) for k, v in p.items()}
    value, d = tangent_fwd.perturbed_jvp(
        pm.two_layer, (ps, s(x), s(y)), perturbations={k: s(v) for k, v in u.items()}, backend="strict"
    )
    np.testing.assert_allclose(d.get(), fd(p, x, y, u), rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("vectorized", [False, True])
def test_generated_source_is_pinned(vectorized):
    from tangent_fwd.training.local_losses import local_mlp_losses

    src = perturbation.source(local_mlp_losses, vectorized=vectorized)
    # the first block's site starts a tangent (None: nothing differentiated reaches it); its head adds to one
    assert "perturbation.inject(xp, None, t1, 'b1/z', inputs=x, weight='W1'," in src
    assert "perturbation.inject(xp, dt5, t5, 'b1/head', inputs=h1, weight=" in src
    path = GOLDEN / f"perturb_local_mlp{'_vector' if vectorized else ''}.py"
    if os.environ.get("TANGENT_FWD_REGEN_GOLDEN"):
        path.write_text(src)
    assert path.exists(), f"missing golden file {path}; run with TANGENT_FWD_REGEN_GOLDEN=1 to create it"
    assert src == path.read_text(), "generated source changed; regenerate with TANGENT_FWD_REGEN_GOLDEN=1"


@pytest.mark.parametrize("vectorized", [False, True])
def test_a_site_no_differentiated_value_reaches_in_an_ordinary_jvp(vectorized):
    r = np.random.default_rng(9)
    p, x, s = {"W": r.standard_normal((4, 3))}, r.standard_normal((B, 4)), r.standard_normal(3)
    ds, u = r.standard_normal(3), r.standard_normal((B, 3))
    if vectorized:
        ds, u = np.stack([ds, -ds]), np.stack([u, 2 * u])
    _, d = tangent_fwd.perturbed_jvp(
        pm.scaled_site, (p, x, s), (None, None, ds), perturbations={"z": u}, vectorized=vectorized
    )
    z = x @ p["W"]
    want = (z * ds[..., None, :]).sum(axis=-1) + (u * s).sum(axis=-1)
    np.testing.assert_allclose(d, want, rtol=1e-12)
    _, plain = tangent_fwd.jvp(pm.scaled_site, (p, x, s), (None, None, ds), vectorized=vectorized)
    np.testing.assert_allclose(plain, (z * ds[..., None, :]).sum(axis=-1), rtol=1e-12)


def test_forward_over_forward_sees_the_marker_as_the_identity():
    r = np.random.default_rng(10)
    W, x = r.standard_normal((3, 2)), r.standard_normal((4, 3))
    np.testing.assert_allclose(tangent_fwd.hessian(pm.tanh_site)(W, x), tangent_fwd.hessian(pm.tanh_plain)(W, x))
    np.testing.assert_allclose(tangent_fwd.jacfwd(pm.tanh_site)(W, x), tangent_fwd.jacfwd(pm.tanh_plain)(W, x))
