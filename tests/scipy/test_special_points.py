"""scipy.special rules at their special points, their refusals, second derivatives, the backend's
special-function module, and the package without SciPy.

The rules themselves are checked against finite differences at ordinary points by tests/test_rules.py
(cases in tests/rule_families/scipy_special.py). Here: the conventions where a function is finite but
not differentiable (xlogy(0, 0), entr(0)...), accuracy where a naive formula cancels or overflows
(log_expit and log_ndtr far out, erfcx' for large x, logsumexp with -inf entries and zero weights), the
clear refusal of a differentiated order, Hessians against finite differences of the gradient, and that
the derivative's special functions come from the backend's own module (never from the host)."""

import math
import subprocess
import sys
import textwrap
import types
import warnings

import numpy as np
import pytest
import scipy.special as sp

import tangent_fwd
from tangent_fwd import runtime as rt
from tangent_fwd.errors import MissingRuleError, NotDifferentiableHere


def jvp(f, args, tangents):
    """tangent_fwd.jvp with every floating-point warning an error (a convention must not warn either)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(all="raise"):
            return tangent_fwd.jvp(f, args, tangents)


def fd(f, x, h=1e-6):
    return (f(x + h) - f(x - h)) / (2 * h)


# ------------------------------------------------------------------ x log y and the entropies at x == 0
def xlogy(x, y):
    return sp.xlogy(x, y)


def xlog1py(x, y):
    return sp.xlog1py(x, y)


def entr(x):
    return sp.entr(x)


def rel_entr(x, y):
    return sp.rel_entr(x, y)


def kl_div(x, y):
    return sp.kl_div(x, y)


ZERO_X = np.array([0.0, 0.0, 0.0])
Y = np.array([0.5, 0.0, 3.0])


def test_xlogy_at_x_zero_y_partial_is_exactly_zero():
    # xlogy(0, y) == 0 for every y (also y == 0): its y-derivative there is 0, never nan
    _, t = jvp(xlogy, (ZERO_X, Y), (None, np.array([1.0, -2.0, 5.0])))
    assert np.array_equal(t, np.zeros(3))
    _, t = jvp(xlog1py, (ZERO_X, Y - 1), (None, np.array([1.0, -2.0, 5.0])))
    assert np.array_equal(t, np.zeros(3))


def test_xlogy_at_x_zero_x_partial_is_log_y():
    # log(y) where y > 0; at y == 0 the one-sided slope -inf times the tangent (0 for a zero tangent)
    _, t = jvp(xlogy, (ZERO_X, Y), (np.array([2.0, 1.0, -1.0]), None))
    np.testing.assert_allclose(t[[0, 2]], [2 * math.log(0.5), -math.log(3.0)], rtol=1e-15)
    assert t[1] == -np.inf
    _, t = jvp(xlogy, (ZERO_X, Y), (np.array([2.0, 0.0, -1.0]), None))
    assert t[1] == 0.0  # 0 * log(0) is 0 here, as xlogy(0, 0) is


def test_xlogy_jointly_at_the_origin_is_not_nan():
    _, t = jvp(xlogy, (0.0, 0.0), (0.0, 1.0))
    assert t == 0.0


def test_entr_at_zero():
    # entr(x) = -x log x: at 0 the slope is +inf from the right; a zero tangent gives 0, never nan
    _, t = jvp(entr, (np.array([0.0, 0.0, 1.0]),), (np.array([1.0, 0.0, 2.0]),))
    assert t[0] == np.inf and t[1] == 0.0 and t[2] == pytest.approx(-2.0, rel=1e-15)


def test_rel_entr_and_kl_div_at_x_zero():
    # rel_entr(0, y) = 0 and kl_div(0, y) = y for y >= 0: the y-partials there are 0 and 1
    dy = np.array([1.0, 2.0, -1.0])
    _, t = jvp(rel_entr, (ZERO_X, Y), (None, dy))
    assert np.array_equal(t, np.zeros(3))
    _, t = jvp(kl_div, (ZERO_X, Y), (None, dy))
    assert np.array_equal(t, dy)
    # the x-partial: the one-sided -inf slope (log(x / y) + 1 with log 0 = -inf), 0 for a zero tangent
    _, t = jvp(rel_entr, (ZERO_X, Y), (np.array([1.0, 0.0, 1.0]), None))
    assert t[0] == -np.inf and t[1] == 0.0 and t[2] == -np.inf
    _, t = jvp(kl_div, (ZERO_X, Y), (np.array([0.0, 0.0, 0.0]), None))
    assert np.array_equal(t, np.zeros(3))


# ------------------------------------------------------------------ far out: no cancellation, no overflow
def log_expit(x):
    return sp.log_expit(x)


def log_ndtr(x):
    return sp.log_ndtr(x)


def erfcx(x):
    return sp.erfcx(x)


def test_log_expit_for_large_abs_x():
    x = np.array([-800.0, -40.0, 40.0, 700.0])
    _, t = jvp(log_expit, (x,), (np.ones(4),))
    expected = [1.0, 1.0, math.exp(-40.0) / (1 + math.exp(-40.0)), math.exp(-700.0)]
    np.testing.assert_allclose(t, expected, rtol=1e-14, atol=0)  # 1 - expit(40) would be 0


def test_log_ndtr_for_large_abs_x():
    # phi(x) / Phi(x): about -x - 1/x + 2/x^3 far left (Mills ratio), about phi(x) far right
    x = np.array([-1e10, -1e5, -1e3])
    _, t = jvp(log_ndtr, (x,), (np.ones(3),))
    mills = -x - 1 / x + 2 / x**3 - 10 / x**5
    np.testing.assert_allclose(t, mills, rtol=1e-14)
    for x0 in (-40.0, -12.0):  # where the series is too short: finite differences with a relative step
        _, t = jvp(log_ndtr, (x0,), (1.0,))
        assert t == pytest.approx(fd(sp.log_ndtr, x0, 1e-5), rel=1e-8)
    _, t = jvp(log_ndtr, (np.array([9.0, 30.0, 40.0]),), (np.ones(3),))
    phi = np.exp(-(np.array([9.0, 30.0]) ** 2) / 2) / math.sqrt(2 * math.pi)
    np.testing.assert_allclose(t[:2], phi / sp.ndtr([9.0, 30.0]), rtol=1e-12)
    assert t[2] == 0.0  # phi(40) underflows


def test_erfcx_derivative_for_large_x_does_not_cancel():
    # erfcx'(x) = 2 x erfcx(x) - 2/sqrt(pi) ~ -1/(sqrt(pi) x^2) (1 - 3/(2 x^2) + 15/(4 x^4))
    x = np.array([1e3, 1e4, 1e8, 1e100])
    _, t = jvp(erfcx, (x,), (np.ones(4),))
    u = 1 / x**2
    asym = -u / math.sqrt(math.pi) * (1 - 3 / 2 * u + 15 / 4 * u**2 - 105 / 8 * u**3)
    np.testing.assert_allclose(t, asym, rtol=1e-13)
    # and agrees with finite differences (relative step) on both sides of the switch at x = 50
    for x0 in (49.0, 51.0, 60.0, 3.0, -3.0):
        _, t = jvp(erfcx, (x0,), (1.0,))
        assert t == pytest.approx(fd(sp.erfcx, x0, 1e-5 * max(1.0, abs(x0))), rel=1e-7)


# ------------------------------------------------------------------ the inverse functions at their ends
def ndtri(p):
    return sp.ndtri(p)


def erfinv(y):
    return sp.erfinv(y)


def erfcinv(y):
    return sp.erfcinv(y)


def test_ndtri_and_erfcinv_near_and_at_their_ends():
    # near an end: 1 / phi(ndtri(p)), against relative-step finite differences (ndtri is accurate there)
    for p in (1e-300, 1e-30, 1e-5, 1 - 1e-5):
        _, t = jvp(ndtri, (p,), (1.0,))
        assert t == pytest.approx(fd(sp.ndtri, p, 1e-4 * min(p, 1 - p)), rel=1e-6)
    for y in (1e-300, 1e-20, 1.9999):
        _, t = jvp(erfcinv, (y,), (1.0,))
        assert t == pytest.approx(fd(sp.erfcinv, y, 1e-4 * min(y, 2 - y)), rel=1e-6)
    # at the ends the value is infinite and so is the slope (never nan for a nonzero tangent)
    _, t = jvp(ndtri, (np.array([0.0, 1.0]),), (np.array([1.0, -1.0]),))
    assert np.array_equal(t, [np.inf, -np.inf])
    _, t = jvp(erfinv, (np.array([-1.0, 1.0, 1 - 1e-15]),), (np.ones(3),))
    assert t[0] == np.inf and t[1] == np.inf
    assert t[2] == pytest.approx(math.sqrt(math.pi) / 2 * math.exp(sp.erfinv(1 - 1e-15) ** 2), rel=1e-14)


# ------------------------------------------------------------------ logsumexp: -inf entries, zero weights, signs
def lse(a):
    return sp.logsumexp(a)


def lse_b(a, b):
    return sp.logsumexp(a, b=b)


def lse_axis(a, b):
    return sp.logsumexp(a, axis=1, b=b, keepdims=True)


def lse_sign(a, b):
    return sp.logsumexp(a, b=b, return_sign=True)


def test_logsumexp_with_minus_inf_entries():
    a = np.array([-np.inf, 0.5, 1.0])
    _, t = jvp(lse, (a,), (np.array([3.0, 1.0, 2.0]),))
    w = np.exp([0.5, 1.0]) / np.exp([0.5, 1.0]).sum()
    assert t == pytest.approx(w @ [1.0, 2.0], rel=1e-15)
    # every entry -inf: the value is -inf, the tangent 0 (documented), not nan
    _, t = jvp(lse, (np.array([-np.inf, -np.inf]),), (np.ones(2),))
    assert t == 0.0


def test_logsumexp_with_zero_weights():
    # a zero weight on a huge entry: it neither overflows nor makes nan through a
    a, b = np.array([1000.0, 0.0, 1.0]), np.array([0.0, 1.0, 2.0])
    _, t = jvp(lse_b, (a, b), (np.array([5.0, 1.0, -1.0]), None))
    w = np.array([1.0, 2 * math.e]) / (1 + 2 * math.e)
    assert t == pytest.approx(w @ [1.0, -1.0], rel=1e-14)
    # the derivative with respect to a zero weight is exp(a_i - result): finite, as finite differences say
    a, b = np.array([0.3, 0.5, -0.2]), np.array([0.0, 1.0, 0.5])
    db = np.array([1.0, -0.5, 2.0])
    _, t = jvp(lse_b, (a, b), (None, db))
    assert t == pytest.approx((sp.logsumexp(a, b=b + 1e-6 * db) - sp.logsumexp(a, b=b - 1e-6 * db)) / 2e-6, rel=1e-8)
    # a row whose weights are all zero (value -inf) has a zero tangent; the other row is exact
    a2, b2 = np.array([[1.0, 2.0], [0.0, 1.0]]), np.array([[0.0, 0.0], [1.0, 1.0]])
    _, t = jvp(lse_axis, (a2, b2), (np.ones((2, 2)), np.ones((2, 2))))
    assert t.shape == (2, 1) and t[0, 0] == 0.0 and np.isfinite(t[1, 0])


def test_logsumexp_return_sign_with_negative_weights():
    a, b = np.array([0.2, 0.9, -0.3]), np.array([1.0, -2.0, 0.5])  # sum b e^a < 0: sign -1
    da, db = np.array([1.0, -1.0, 0.5]), np.array([0.3, 0.2, -0.1])
    (r, sign), (dr, dsign) = jvp(lse_sign, (a, b), (da, db))
    assert sign == -1.0 and dsign == 0.0
    h = 1e-6
    rp = sp.logsumexp(a + h * da, b=b + h * db, return_sign=True)[0]
    rm = sp.logsumexp(a - h * da, b=b - h * db, return_sign=True)[0]
    assert dr == pytest.approx((rp - rm) / (2 * h), rel=1e-8)


def lse_complex(a):
    return sp.logsumexp(a)


def test_logsumexp_of_complex_values_is_refused():
    with pytest.raises(NotDifferentiableHere, match="complex"):
        tangent_fwd.jvp(lse_complex, (np.array([1.0 + 1j, 0.5]),), (np.ones(2, complex),))


# ------------------------------------------------------------------ removable points and kinks
def bessels(x):
    return sp.i1(x) + 2 * sp.j1(x) + 4 * sp.i1e(x) + 8 * sp.i0e(x)


def spence(z):
    return sp.spence(z)


def gammainc(a, x):
    return sp.gammainc(a, x)


def test_removable_points_and_kinks():
    # i1'(0) = j1'(0) = i1e'(0) = 1/2; i0e has a kink at 0 (slopes -1 and 1): 0, their mean
    _, t = jvp(bessels, (0.0,), (1.0,))
    assert t == pytest.approx(0.5 + 2 * 0.5 + 4 * 0.5 + 0.0, rel=1e-15)
    # spence'(1) = -1 (log z / (1 - z) -> -1); at 0 the slope is -inf, without a log(0) warning
    _, t = jvp(spence, (np.array([1.0, 0.0]),), (np.ones(2),))
    assert t[0] == -1.0 and t[1] == -np.inf
    # gammainc(a, x) at x == 0: the density x^(a-1) e^-x / gamma(a) is 1 for a == 1, 0 for a > 1, inf for a < 1
    _, t = jvp(gammainc, (np.array([1.0, 2.0, 0.5]), np.zeros(3)), (None, np.ones(3)))
    assert np.array_equal(t, [1.0, 0.0, np.inf])


# ------------------------------------------------------------------ refusals: an order or shape parameter
def iv_order(v, z):
    return sp.iv(v, z)


def ive_order(v, z):
    return sp.ive(v, z)


def jv_order(v, z):
    return sp.jv(v, z)


def yn_order(n, x):
    return sp.yn(n - 0.5, x)


def polygamma_order(n, x):
    return sp.polygamma(n - 0.5, x)


def gammainc_a(a, x):
    return sp.gammainc(a, x)


def gammaincc_a(a, x):
    return sp.gammaincc(a, x)


def betainc_b(b, x):
    return sp.betainc(2.0, b, x)


def multigammaln_d(a, d):
    return sp.multigammaln(a, d)


@pytest.mark.parametrize(
    "f, name, param",
    [
        (iv_order, "iv", "v"),
        (ive_order, "ive", "v"),
        (jv_order, "jv", "v"),
        (yn_order, "yn", "n"),
        (polygamma_order, "polygamma", "n"),
        (gammainc_a, "gammainc", "a"),
        (gammaincc_a, "gammaincc", "a"),
        (betainc_b, "betainc", "b"),
    ],
)
def test_a_differentiated_order_is_refused_naming_it(f, name, param):
    with pytest.raises(MissingRuleError) as info:
        tangent_fwd.jvp(f, (1.5, 0.7), (1.0, 0.0))
    msg = str(info.value)
    assert f"{param!r} of " in msg and name in msg, msg
    assert "test_special_points.py:" in msg  # the line
    # with respect to the argument alone, the same call is differentiated
    _, t = tangent_fwd.jvp(f, (1.5, 0.7), (None, 1.0))
    assert np.isfinite(t)


def test_multigammaln_dimension_is_refused():
    with pytest.raises(MissingRuleError, match="'d' of"):
        tangent_fwd.jvp(multigammaln_d, (3.0, 2.0), (None, 1.0))


# ------------------------------------------------------------------ second derivatives
def _hessian_fd(f, x):
    grad = tangent_fwd.jacfwd(f)
    h = 1e-5
    return np.stack([(grad(x + h * e) - grad(x - h * e)) / (2 * h) for e in np.eye(x.size)], axis=-1)


def logistic_loss(w):
    z = np.array([0.3, -1.2, 2.0]) * w[0] + w[1]
    return np.sum(sp.log_expit(z) + sp.expit(z) ** 2)


def gamma_family(x):
    return np.sum(sp.gammaln(x) + sp.digamma(x) * x + sp.betaln(x, x[::-1])) + sp.polygamma(1, x[0])


def normal_family(x):
    return np.sum(sp.erf(x) * sp.log_ndtr(x) + sp.ndtr(x) ** 2 + sp.erfcx(x))


def lse_family(x):
    return sp.logsumexp(x, b=x**2 + 0.5) + np.sum(sp.softmax(x) * x) + np.sum(sp.log_softmax(x) ** 2)


def entropy_family(x):
    p = np.abs(x) + 0.3
    return np.sum(sp.xlogy(x, p) + sp.rel_entr(p, p[::-1]) + sp.kl_div(p, 1.0) + sp.entr(p) + sp.xlog1py(x, p))


def bessel_family(x):
    z = np.abs(x) + 0.5
    return np.sum(sp.i0(x) + sp.i0e(z) + sp.iv(1.5, z) + sp.jv(0.5, z) + sp.j0(x) + sp.y0(z) + sp.ive(2.0, z))


def incomplete_family(x):
    t = 0.2 + 0.6 * sp.expit(x)
    return np.sum(sp.gammainc(2.5, 3 * t) + sp.betainc(2.0, 3.0, t) + sp.multigammaln(3 + t, 2) + sp.spence(t))


@pytest.mark.parametrize(
    "f, x",
    [
        (logistic_loss, np.array([0.4, -0.3])),
        (gamma_family, np.array([0.8, 1.7, 2.9])),
        (normal_family, np.array([-0.7, 0.4, 1.3])),
        (lse_family, np.array([-0.5, 0.2, 1.1])),
        (entropy_family, np.array([0.6, -0.4, 1.2])),
        (bessel_family, np.array([0.9, -1.3, 2.1])),
        (incomplete_family, np.array([0.3, -0.8, 1.4])),
    ],
)
def test_hessian_matches_finite_differences_of_the_gradient(f, x):
    H = tangent_fwd.hessian(f)(x)
    np.testing.assert_allclose(H, _hessian_fd(f, x), rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(H, H.T, rtol=1e-9, atol=1e-12)


# ------------------------------------------------------------------ the backend's special-function module
def test_numpy_backend_uses_scipy_special():
    assert rt.special.mod(np) is sp


def test_strict_backend_uses_its_own_special_module():
    import strict_np

    assert rt.special.mod(strict_np) is strict_np.special


def test_cupy_backend_uses_cupyx_scipy_special(monkeypatch):
    fake_cupy = types.ModuleType("cupy")
    fake_special = types.ModuleType("cupyx.scipy.special")
    for name in ("cupyx", "cupyx.scipy", "cupyx.scipy.special"):
        monkeypatch.setitem(sys.modules, name, types.ModuleType(name))
    monkeypatch.setitem(sys.modules, "cupyx.scipy.special", fake_special)
    sys.modules["cupyx"].scipy = sys.modules["cupyx.scipy"]
    sys.modules["cupyx.scipy"].special = fake_special
    monkeypatch.delitem(rt.special._MODULES, "cupy", raising=False)
    fake_special.i1 = lambda x: ("device i1", x)
    try:
        assert rt.special.mod(fake_cupy) is fake_special
        assert rt.special.i1(fake_cupy, 3) == ("device i1", 3)
        # a function cupyx lacks is a refusal naming it, never a call to scipy on the host
        with pytest.raises(NotDifferentiableHere, match="cupyx.scipy.special has no ive"):
            rt.special.ive(fake_cupy, 1.0, 2.0)
    finally:
        rt.special._MODULES.pop("cupy", None)


def test_a_backend_without_special_functions_is_refused():
    bare = types.ModuleType("bare_array_lib")
    with pytest.raises(NotDifferentiableHere, match="no scipy.special counterpart .* 'bare_array_lib'"):
        rt.special.digamma(bare, 1.0)
    mine = types.ModuleType("my_special")
    mine.digamma = lambda x: ("mine", x)
    rt.special.register(bare, mine)
    try:
        assert rt.special.digamma(bare, 2.0) == ("mine", 2.0)
    finally:
        rt.special._MODULES.pop("bare_array_lib")


def strict_model(x, y):
    p = sp.expit(x)
    return np.sum(sp.xlogy(y, p) + sp.xlog1py(1 - y, -p)) + np.sum(sp.gammaln(x + 3.0) * sp.log_ndtr(x))


def test_jvp_on_the_strict_backend_calls_its_special_functions(monkeypatch):
    """The derivative's special functions (digamma, erfcx, xlogy...) run as the strict backend's (which
    refuses any NumPy call on its arrays), and give NumPy's tangent."""
    import strict_np

    from tangent_fwd import backends

    if "strict" not in backends.names():
        backends.register("strict", strict_np)
    calls = []
    for name in ("digamma", "erfcx", "xlogy"):
        orig = getattr(strict_np.special, name)
        monkeypatch.setattr(strict_np.special, name, lambda *a, _f=orig, _n=name: calls.append(_n) or _f(*a))
    x, y = np.array([0.3, -1.1, 2.0]), np.array([1.0, 0.0, 1.0])
    dx = np.array([1.0, 0.5, -0.25])
    want = tangent_fwd.jvp(strict_model, (x, y), (dx, None))
    got = tangent_fwd.jvp(strict_model, strict_np.to_device((x, y)), strict_np.to_device((dx, None)), backend="strict")
    assert isinstance(got[1], strict_np.StrictArray)
    np.testing.assert_allclose(strict_np.to_host(got[1]), want[1], rtol=1e-13)
    assert {"digamma", "erfcx", "xlogy"} <= set(calls)


# ------------------------------------------------------------------ without SciPy
def test_the_package_imports_and_works_without_scipy(tmp_path):
    code = textwrap.dedent(
        """
        import sys

        class _Block:
            def find_spec(self, name, path=None, target=None):
                if name == "scipy" or name.startswith("scipy."):
                    raise ImportError("scipy is blocked for this test")

        sys.meta_path.insert(0, _Block())
        import numpy as np
        import tangent_fwd
        from tangent_fwd import registry, runtime as rt
        from tangent_fwd.errors import NotDifferentiableHere

        assert "scipy" not in sys.modules
        # no rule is registered on a SciPy object (our own helpers may carry "scipy" in their names)
        assert not any(
            (getattr(r.op, "__module__", None) or "").split(".")[0] == "scipy" for _, _, r in registry.all_rules()
        )

        def f(x):
            return np.sum(np.tanh(x) ** 2)

        v, t = tangent_fwd.jvp(f, (np.array([0.1, 0.2]),), (np.ones(2),))
        assert abs(t - np.sum(2 * np.tanh([0.1, 0.2]) / np.cosh([0.1, 0.2]) ** 2)) < 1e-12
        try:
            rt.special.digamma(np, 0.3)
        except NotDifferentiableHere as e:
            assert "scipy.special cannot be imported" in str(e)
        else:
            raise AssertionError("expected a refusal")
        print("ok")
        """
    )
    script = tmp_path / "no_scipy.py"  # a file: the compiler reads the source of f
    script.write_text(code)
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"
