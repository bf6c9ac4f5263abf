"""JVP rules for scipy.special, registered only when SciPy can be imported (it is not a dependency).

Templates reach the special functions a derivative needs through ``rt.special`` (helpers in
tangent_fwd/jvp_helpers/special.py that call the backend's own module: scipy.special for NumPy,
cupyx.scipy.special for CuPy), and every such helper has a rule below, so the derivatives can be
differentiated again (``hessian``). The conventions at the special points (xlogy(0, y), entr(0),
logsumexp with -inf entries or zero weights...) are documented in that module.

An order or shape parameter (the order of a Bessel function, polygamma's n, gammainc's a) is
differentiated by none of these rules: a differentiated value there is refused when the function is
transformed, naming the parameter (``_refuse``), never given a zero tangent.
"""

import math

import numpy as np

try:
    import scipy.special as sp
except ImportError:  # pragma: no cover - exercised by tests/scipy/test_special_points.py in a subprocess
    sp = None

from .. import runtime as rt
from ..registry import defjvp, deflinear


def _ufunc(args):
    """A ufunc's parameters, its positional ones named as the math names them (the names a refusal shows)."""
    return f"{args}, /, out=None, *, where=True, casting='same_kind', order='K', dtype=None, subok=True"


U = _ufunc("x")
SQRT_PI_2 = "0.886226925452758"  # sqrt(pi) / 2
SQRT_2PI = "2.5066282746310002"
INV_SQRT_2PI = "0.3989422804014327"
TWO_SQRT_PI = "1.1283791670955126"  # 2 / sqrt(pi)


def _refuse(rule, *names):
    """Declare ``names`` (given a None partial for the arity check) not differentiated at all: a
    differentiated value passed there is then a MissingRuleError naming the parameter and the line
    (transform.check_options), not the zero tangent a None partial means."""
    rule.constant = rule.constant - set(names)
    return rule


def _register_user_functions():
    # ------------------------------------------------------------------ logistic and log-sum-exp
    defjvp(sp.expit, U, "dx * ans * (1 - ans)")
    defjvp(sp.logit, U, "dx / (x * (1 - x))")
    # expit(-x) = exp(log_expit(x) - x): one exp, and full relative accuracy for large |x| (1 - expit(x) is 0)
    defjvp(sp.log_expit, U, "dx * np.exp(ans - x)")
    lse = defjvp(
        sp.logsumexp,
        "a, axis=None, b=None, keepdims=False, return_sign=False",
        "rt.special.lse_out(np, rt.special.lse_jvp(np, a, da, b, None, axis, keepdims), ans, return_sign)",
        None,
        "rt.special.lse_out(np, rt.special.lse_jvp(np, a, None, b, db, axis, keepdims), ans, return_sign)",
    )
    _refuse(lse, "axis")
    defjvp(sp.softmax, "x, axis=None", "ans * (dx - np.sum(ans * dx, axis=axis, keepdims=True))")
    defjvp(sp.log_softmax, "x, axis=None", "dx - np.sum(np.exp(ans) * dx, axis=axis, keepdims=True)")
    # ------------------------------------------------------------------ error function and the normal distribution
    defjvp(sp.erf, U, f"dx * {TWO_SQRT_PI} * np.exp(-x * x)")
    defjvp(sp.erfc, U, f"-dx * {TWO_SQRT_PI} * np.exp(-x * x)")
    defjvp(sp.erfinv, U, f"dx * {SQRT_PI_2} * np.exp(ans * ans)")  # inf at -1 and 1, where ans is infinite
    defjvp(sp.erfcinv, U, f"-dx * {SQRT_PI_2} * np.exp(ans * ans)")
    defjvp(sp.erfcx, U, "dx * rt.special.erfcx_d(np, x, ans)")
    defjvp(sp.ndtr, U, f"dx * {INV_SQRT_2PI} * np.exp(-x * x / 2)")
    defjvp(sp.ndtri, U, f"dx * {SQRT_2PI} * np.exp(ans * ans / 2)")
    # phi(x) / Phi(x) = sqrt(2/pi) / erfcx(-x/sqrt(2)): no cancellation for large |x| (about -x far left, 0 far right)
    defjvp(sp.log_ndtr, U, "dx * 0.7978845608028654 / rt.special.erfcx(np, -0.7071067811865476 * x)")
    # ------------------------------------------------------------------ gamma and beta
    defjvp(sp.gamma, U, "dx * ans * rt.special.digamma(np, x)")
    defjvp(sp.gammaln, U, "dx * rt.special.digamma(np, x)")  # log|gamma|: also for negative x
    defjvp(sp.digamma, U, "dx * rt.special.polygamma(np, 1, x)")  # psi is digamma
    _refuse(
        defjvp(sp.polygamma, "n, x", None, "rt.special.cast_like(np, dx * rt.special.polygamma(np, n + 1, x), ans)"),
        "n",
    )
    _refuse(
        defjvp(
            sp.multigammaln, "a, d", "rt.special.cast_like(np, da * rt.special.mvpolygamma(np, 0, a, d), ans)", None
        ),
        "d",
    )
    defjvp(
        sp.beta,
        _ufunc("a, b"),
        "da * ans * (rt.special.digamma(np, a) - rt.special.digamma(np, a + b))",
        "db * ans * (rt.special.digamma(np, b) - rt.special.digamma(np, a + b))",
    )
    defjvp(
        sp.betaln,
        _ufunc("a, b"),
        "da * (rt.special.digamma(np, a) - rt.special.digamma(np, a + b))",
        "db * (rt.special.digamma(np, b) - rt.special.digamma(np, a + b))",
    )
    # regularized incomplete gamma and beta, with respect to x: the densities x^(a-1) e^-x / gamma(a) and
    # x^(a-1) (1-x)^(b-1) / B(a, b) in logs (xlogy: 1 at x == 0 for a == 1, 0 for a > 1, inf for a < 1)
    gamma_density = "np.exp(rt.special.xlogy(np, a - 1, x) - x - rt.special.gammaln(np, a))"
    _refuse(defjvp(sp.gammainc, _ufunc("a, x"), None, f"dx * {gamma_density}"), "a")
    _refuse(defjvp(sp.gammaincc, _ufunc("a, x"), None, f"-dx * {gamma_density}"), "a")
    beta_density = (
        "np.exp(rt.special.xlogy(np, a - 1, x) + rt.special.xlog1py(np, b - 1, -x) - rt.special.betaln(np, a, b))"
    )
    _refuse(defjvp(sp.betainc, _ufunc("a, b, x"), None, None, f"dx * {beta_density}"), "a", "b")
    # ------------------------------------------------------------------ x log y and the entropies (conventions at x == 0: jvp_helpers/special.py)
    defjvp(sp.xlogy, _ufunc("x, y"), "rt.special.xlogy(np, dx, y)", "rt.special.div0(np, x * dy, y)")
    defjvp(sp.xlog1py, _ufunc("x, y"), "rt.special.xlog1py(np, dx, y)", "rt.special.div0(np, x * dy, 1 + y)")
    defjvp(sp.entr, U, "-rt.special.xlogy(np, dx, x) - dx")
    defjvp(
        sp.rel_entr,
        _ufunc("x, y"),
        "rt.special.xlogy(np, dx, rt.special.ratio0(np, x, y)) + dx",
        "-rt.special.div0(np, x * dy, y)",
    )
    defjvp(
        sp.kl_div,
        _ufunc("x, y"),
        "rt.special.xlogy(np, dx, rt.special.ratio0(np, x, y))",
        "dy - rt.special.div0(np, x * dy, y)",
    )
    # ------------------------------------------------------------------ Bessel functions (with respect to the argument)
    defjvp(sp.i0, U, "dx * rt.special.i1(np, x)")
    defjvp(sp.i1, U, f"dx * {I1_D}")
    defjvp(sp.i0e, U, "dx * (rt.special.i1e(np, x) - np.sign(x) * ans)")  # 0 at the kink x == 0
    defjvp(sp.i1e, U, f"dx * {I1E_D}")
    defjvp(sp.j0, U, "-dx * rt.special.j1(np, x)")
    defjvp(sp.j1, U, f"dx * {J1_D}")
    defjvp(sp.y0, U, "-dx * rt.special.y1(np, x)")
    defjvp(sp.y1, U, "dx * (rt.special.y0(np, x) - ans / x)")
    _refuse(defjvp(sp.iv, _ufunc("v, z"), None, f"dz * {IV_D}"), "v")
    _refuse(defjvp(sp.ive, _ufunc("v, z"), None, f"dz * ({IVE_D} - np.sign(z) * ans)"), "v")
    _refuse(defjvp(sp.jv, _ufunc("v, z"), None, f"dz * {JV_D}"), "v")
    _refuse(defjvp(sp.yn, _ufunc("n, z"), None, f"dz * {YN_D}"), "n")
    # the math module's gamma functions need digamma, which only scipy.special provides
    defjvp(math.lgamma, "x", "dx * rt.special.digamma(np, x)")  # log|gamma(x)|
    defjvp(math.gamma, "x", "dx * ans * rt.special.digamma(np, x)")
    # ------------------------------------------------------------------ other
    # spence(z) = int_1^z log(t) / (1 - t) dt: the derivative log(z) / (1 - z), -1 at z == 1
    defjvp(sp.spence, U, "dx * rt.special.spence_d(np, x)")
    # ------------------------------------------------------------------ elementary functions scipy.special also has
    defjvp(sp.expm1, U, "dx * (ans + 1)")
    defjvp(sp.log1p, U, "dx / (1 + x)")
    defjvp(sp.cbrt, U, "dx / (3 * ans * ans)")  # inf at 0, like the slope
    defjvp(sp.exp2, U, "dx * 0.6931471805599453 * ans")
    defjvp(sp.exp10, U, "dx * 2.302585092994046 * ans")
    defjvp(sp.powm1, _ufunc("x, y"), "dx * y * (ans + 1) / x", "dy * (ans + 1) * np.log(x)")
    defjvp(sp.rgamma, U, "-dx * ans * rt.special.digamma(np, x)")
    defjvp(sp.loggamma, U, "dx * rt.special.digamma(np, x)")  # real x > 0 (complex input: refused by dtype)
    defjvp(sp.erfi, U, f"dx * {TWO_SQRT_PI} * np.exp(x * x)")
    defjvp(sp.k0, U, "-dx * rt.special.k1(np, x)")
    defjvp(sp.k1, U, "-dx * (rt.special.k0(np, x) + ans / x)")
    _refuse(defjvp(sp.kv, _ufunc("v, z"), None, f"dz * {KV_D}"), "v")
    # K'(m) = (E(m) - (1 - m) K(m)) / (2 m (1 - m))
    defjvp(sp.ellipk, U, "dx * (rt.special.ellipe(np, x) - (1 - x) * ans) / (2 * x * (1 - x))")
    defjvp(sp.ellipe, U, "dx * (ans - rt.special.ellipk(np, x)) / (2 * x)")
    # binom(n, k) = gamma(n + 1) / (gamma(k + 1) gamma(n - k + 1))
    defjvp(
        sp.binom,
        _ufunc("n, k"),
        "dn * ans * (rt.special.digamma(np, n + 1) - rt.special.digamma(np, n - k + 1))",
        "dk * ans * (rt.special.digamma(np, n - k + 1) - rt.special.digamma(np, k + 1))",
    )
    # ------------------------------------------------------------------ robust losses and Box-Cox (piecewise, exact at the joins)
    # huber(delta, r): r^2 / 2 for |r| <= delta, delta (|r| - delta / 2) beyond (inf for delta < 0)
    defjvp(
        sp.huber,
        _ufunc("delta, r"),
        "ddelta * np.where(np.abs(r) <= delta, 0.0, np.abs(r) - delta)",
        "dr * np.where(np.abs(r) <= delta, r, delta * np.sign(r))",
    )
    # pseudo_huber(delta, r) = delta^2 (sqrt(1 + (r / delta)^2) - 1)
    defjvp(
        sp.pseudo_huber,
        _ufunc("delta, r"),
        "ddelta * (2 * ans / delta - r * r / (delta * np.sqrt(1 + (r / delta) ** 2)))",
        "dr * r / np.sqrt(1 + (r / delta) ** 2)",
    )
    # boxcox(x, l) = (x^l - 1) / l (log x at l == 0): d/dx x^(l - 1); d/dl (x^l log x - ans) / l, log(x)^2 / 2 at 0
    defjvp(
        sp.boxcox,
        _ufunc("x, lmbda"),
        "dx * np.exp((lmbda - 1) * np.log(x))",
        "dlmbda * np.where(lmbda == 0, np.log(x) ** 2 / 2, (np.exp(lmbda * np.log(x)) * np.log(x) - ans)"
        " / np.where(lmbda == 0, 1.0, lmbda))",
    )
    defjvp(
        sp.boxcox1p,
        _ufunc("x, lmbda"),
        "dx * np.exp((lmbda - 1) * np.log1p(x))",
        "dlmbda * np.where(lmbda == 0, np.log1p(x) ** 2 / 2, (np.exp(lmbda * np.log1p(x)) * np.log1p(x) - ans)"
        " / np.where(lmbda == 0, 1.0, lmbda))",
    )
    # inv_boxcox(y, l) = (1 + l y)^(1 / l) (exp(y) at l == 0)
    defjvp(
        sp.inv_boxcox,
        _ufunc("y, lmbda"),
        "dy * ans / (1 + lmbda * y)",
        "dlmbda * ans * np.where(lmbda == 0, -y * y / 2, y / (np.where(lmbda == 0, 1.0, lmbda) * (1 + lmbda * y))"
        " - np.log1p(lmbda * y) / np.where(lmbda == 0, 1.0, lmbda) ** 2)",
    )


# derivatives written with registered functions only (np.where guards the removable point 0), so
# that their own derivatives come from the rules
I1_D = "np.where(x == 0, 0.5, rt.special.i0(np, x) - rt.special.i1(np, x) / np.where(x == 0, 1, x))"
I1E_D = (
    "np.where(x == 0, 0.5, rt.special.i0e(np, x) - rt.special.i1e(np, x) / np.where(x == 0, 1, x)"
    " - np.sign(x) * rt.special.i1e(np, x))"
)
J1_D = "np.where(x == 0, 0.5, rt.special.j0(np, x) - rt.special.j1(np, x) / np.where(x == 0, 1, x))"
IV_D = "(rt.special.iv(np, v - 1, z) + rt.special.iv(np, v + 1, z)) / 2"
IVE_D = "(rt.special.ive(np, v - 1, z) + rt.special.ive(np, v + 1, z)) / 2"
JV_D = "(rt.special.jv(np, v - 1, z) - rt.special.jv(np, v + 1, z)) / 2"
YN_D = "(rt.special.yn(np, n - 1, z) - rt.special.yn(np, n + 1, z)) / 2"
KV_D = "-(rt.special.kv(np, v - 1, z) + rt.special.kv(np, v + 1, z)) / 2"


def _register_helpers():
    """Rules for rt.special's helpers, so the derivatives above can be differentiated again. Their
    first parameter is the backend namespace; an order parameter is constant (the order the user's
    call passed, refused there if differentiated)."""
    S = rt.special
    defjvp(S.erfcx, "xp, x", None, "dx * rt.special.erfcx_d(np, x, ans)")
    # erfcx_d(x, s) = 2 x s - 2/sqrt(pi), s = erfcx(x) (moving with x in the generated code)
    defjvp(S.erfcx_d, "xp, x, s", None, "2 * dx * s", "2 * x * ds")
    defjvp(S.gammaln, "xp, x", None, "dx * rt.special.digamma(np, x)")
    defjvp(
        S.betaln,
        "xp, a, b",
        None,
        "da * (rt.special.digamma(np, a) - rt.special.digamma(np, a + b))",
        "db * (rt.special.digamma(np, b) - rt.special.digamma(np, a + b))",
    )
    defjvp(S.digamma, "xp, x", None, "dx * rt.special.polygamma(np, 1, x)")
    defjvp(S.polygamma, "xp, n, x", None, None, "dx * rt.special.polygamma(np, n + 1, x)")
    defjvp(S.mvpolygamma, "xp, n, a, d", None, None, "da * rt.special.mvpolygamma(np, n + 1, a, d)", None)
    deflinear(S.cast_like, "xp, t, like", linear_in=("t",), constant=("like",))
    deflinear(S.mul, "x, y", linear_in=("x", "y"))
    defjvp(S.xlogy, "xp, x, y", None, "rt.special.xlogy(np, dx, y)", "rt.special.div0(np, x * dy, y)")
    defjvp(S.xlog1py, "xp, x, y", None, "rt.special.xlog1py(np, dx, y)", "rt.special.div0(np, x * dy, 1 + y)")
    defjvp(S.div0, "xp, num, den", None, "rt.special.div0(np, dnum, den)", "-rt.special.div0(np, dden * ans, den)")
    defjvp(S.ratio0, "xp, x, y", None, "rt.special.div0(np, dx, y)", "-rt.special.div0(np, dy * ans, y)")
    defjvp(S.i0, "xp, x", None, "dx * rt.special.i1(np, x)")
    defjvp(S.i1, "xp, x", None, f"dx * {I1_D}")
    defjvp(S.i0e, "xp, x", None, "dx * (rt.special.i1e(np, x) - np.sign(x) * ans)")
    defjvp(S.i1e, "xp, x", None, f"dx * {I1E_D}")
    defjvp(S.j0, "xp, x", None, "-dx * rt.special.j1(np, x)")
    defjvp(S.j1, "xp, x", None, f"dx * {J1_D}")
    defjvp(S.y0, "xp, x", None, "-dx * rt.special.y1(np, x)")
    defjvp(S.y1, "xp, x", None, "dx * (rt.special.y0(np, x) - ans / x)")
    defjvp(S.iv, "xp, v, z", None, None, f"dz * {IV_D}")
    defjvp(S.ive, "xp, v, z", None, None, f"dz * ({IVE_D} - np.sign(z) * ans)")
    defjvp(S.jv, "xp, v, z", None, None, f"dz * {JV_D}")
    defjvp(S.yn, "xp, n, z", None, None, f"dz * {YN_D}")
    defjvp(S.k0, "xp, x", None, "-dx * rt.special.k1(np, x)")
    defjvp(S.k1, "xp, x", None, "-dx * (rt.special.k0(np, x) + ans / x)")
    defjvp(S.kv, "xp, v, z", None, None, f"dz * {KV_D}")
    defjvp(S.ellipk, "xp, m", None, "dm * (rt.special.ellipe(np, m) - (1 - m) * ans) / (2 * m * (1 - m))")
    defjvp(S.ellipe, "xp, m", None, "dm * (ans - rt.special.ellipk(np, m)) / (2 * m)")
    # logsumexp: T = sum((b t + tb) e^a) / sum(b e^a) (jvp_helpers/special.py). Moving a by u gives
    # T(t u, tb u) - T * T(u); moving b by v gives T(tb = t v) - T * T(tb = v); linear in t and tb
    defjvp(
        S.lse_jvp,
        "xp, a, t, b, tb, axis=None, keepdims=False",
        None,
        "rt.special.lse_jvp(np, a, rt.special.mul(t, da), b, rt.special.mul(tb, da), axis, keepdims)"
        " - ans * rt.special.lse_jvp(np, a, da, b, None, axis, keepdims)",
        "rt.special.lse_jvp(np, a, dt, b, None, axis, keepdims)",
        "rt.special.lse_jvp(np, a, None, b, rt.special.mul(t, db), axis, keepdims)"
        " - ans * rt.special.lse_jvp(np, a, None, b, db, axis, keepdims)",
        "rt.special.lse_jvp(np, a, None, b, dtb, axis, keepdims)",
    )
    # d/dz log(z) / (1 - z) = (1/z + log(z) / (1 - z)) / (1 - z), 1/2 at z == 1
    defjvp(S.spence_d, "xp, z", None, "dz * np.where(z == 1, 0.5, (1 / z + ans) / np.where(z == 1, 1.0, 1 - z))")
    deflinear(S.lse_out, "xp, t, ans, return_sign=False", linear_in=("t",), constant=("ans",))
    deflinear(S.promote_jvp, "xp, ans, dargs, broadcast=False", linear_in=("dargs",), constant=("ans",))


def _register_linear():
    """SciPy's linear builders and filters (C code or as_strided tricks the compiler cannot follow):
    their tangents are the same calls on the tangents (helpers in jvp_helpers/special.py)."""
    import scipy.linalg as sl
    import scipy.spatial.distance as dist

    S = rt.special
    defjvp(sl.toeplitz, "c, r=None", "rt.special.toeplitz_dc(np, dc, r)", "rt.special.toeplitz_dr(np, c, dr)")
    defjvp(sl.hankel, "c, r=None", "rt.special.hankel_dc(np, dc, r)", "rt.special.hankel_dr(np, c, dr)")
    deflinear(sl.circulant, "c")
    defjvp(sl.block_diag, "*arrs", "rt.special.block_diag(np, arrs, darrs)")  # jointly linear: one template
    defjvp(dist.squareform, "X, force='no', checks=True", "rt.special.squareform(np, dX, force)")
    # pdist/cdist (C kernels): the tangent of each pair's distance, for the common metrics (others refused)
    opts = "*, out=None, p=None, w=None, V=None, VI=None"
    defjvp(
        dist.pdist, f"X, metric='euclidean', {opts}", "rt.special.pdist_jvp(np, X, dX, metric, ans, out, p, w, V, VI)"
    )
    defjvp(
        dist.cdist,
        f"XA, XB, metric='euclidean', {opts}",
        "rt.special.cdist_jvp(np, XA, dXA, XB, None, metric, ans, out, p, w, V, VI)",
        "rt.special.cdist_jvp(np, XA, None, XB, dXB, metric, ans, out, p, w, V, VI)",
    )
    # their second derivative in the points is refused
    _refuse(
        defjvp(
            S.pdist_jvp,
            "xp, X, dX, metric, values, out=None, p=None, w=None, V=None, VI=None",
            None,
            None,
            "rt.special.pdist_jvp(np, X, ddX, metric, values, out, p, w, V, VI)",
            None,
            None,
        ),
        "X",
        "values",
    )
    _refuse(
        defjvp(
            S.cdist_jvp,
            "xp, XA, dXA, XB, dXB, metric, values, out=None, p=None, w=None, V=None, VI=None",
            None,
            None,
            "rt.special.cdist_jvp(np, XA, ddXA, XB, None, metric, values, out, p, w, V, VI)",
            None,
            "rt.special.cdist_jvp(np, XA, None, XB, ddXB, metric, values, out, p, w, V, VI)",
            None,
            None,
        ),
        "XA",
        "XB",
        "values",
    )
    # their helpers, so that the derivatives can be differentiated again
    deflinear(S.toeplitz_dc, "xp, dc, r", linear_in=("dc",), constant=("r",))
    deflinear(S.toeplitz_dr, "xp, c, dr", linear_in=("dr",), constant=("c",))
    deflinear(S.hankel_dc, "xp, dc, r", linear_in=("dc",), constant=("r",))
    deflinear(S.hankel_dr, "xp, c, dr", linear_in=("dr",), constant=("c",))
    deflinear(S.block_diag, "xp, arrs, darrs", linear_in=("darrs",), constant=("arrs",))
    deflinear(S.squareform, "xp, dX, force='no'", linear_in=("dX",))
    defjvp(
        S.lfilter_dx,
        "xp, b, a, dx, axis=-1, zi=None",
        None,
        "rt.special.lfilter_db(np, db, a, dx, axis, zi)",
        "rt.special.lfilter_da(np, da, a, ans, axis, zi)",
        "rt.special.lfilter_dx(np, b, a, ddx, axis, zi)",
    )
    defjvp(
        S.lfilter_db,
        "xp, v, a, x, axis=-1, zi=None",
        None,
        "rt.special.lfilter_db(np, dv, a, x, axis, zi)",
        "rt.special.lfilter_da(np, da, a, ans, axis, zi)",
        "rt.special.lfilter_db(np, v, a, dx, axis, zi)",
    )
    defjvp(
        S.lfilter_da,
        "xp, u, a, y, axis=-1, zi=None",
        None,
        "rt.special.lfilter_da(np, du, a, y, axis, zi)",
        "rt.special.lfilter_da(np, da, a, ans, axis, zi)",
        "rt.special.lfilter_da(np, u, a, dy, axis, zi)",
    )
    deflinear(S.sosfilt_dx, "xp, sos, dx, axis=-1, zi=None", linear_in=("dx",))


def _register_signal():
    """scipy.signal's filters and convolutions (registered when a scipy.signal callable is first looked
    up: importing scipy.signal is slow, and tangent_fwd does not import it)."""
    import scipy.signal as ss

    S = rt.special
    # lfilter: a * y = b * x, so dy = lfilter(db, a, x) - lfilter(da, a, y) + lfilter(b, a, dx)
    defjvp(
        ss.lfilter,
        "b, a, x, axis=-1, zi=None",
        "rt.special.lfilter_db(np, db, a, x, axis, zi)",
        "rt.special.lfilter_da(np, da, a, ans, axis, zi)",
        "rt.special.lfilter_dx(np, b, a, dx, axis, zi)",
    )
    defjvp(ss.sosfilt, "sos, x, axis=-1, zi=None", None, "rt.special.sosfilt_dx(np, sos, dx, axis, zi)")
    _refuse(registry_lookup(ss.sosfilt), "sos")
    deflinear(
        ss.filtfilt,
        "b, a, x, axis=-1, padtype='odd', padlen=None, method='pad', irlen=None",
        linear_in=("x",),
    )
    deflinear(
        ss.savgol_filter,
        "x, window_length, polyorder, deriv=0, delta=1.0, axis=-1, mode='interp', cval=0.0",
        linear_in=("x",),
        offset=("cval",),
    )
    # convolutions and correlations: bilinear in the two inputs
    for op in (ss.convolve, ss.correlate):
        deflinear(op, "in1, in2, mode='full', method='auto'", linear_in=("in1", "in2"))
    for op in (ss.fftconvolve, ss.oaconvolve):
        deflinear(op, "in1, in2, mode='full', axes=None", linear_in=("in1", "in2"))
    # convolve2d/correlate2d: bilinear in (in1 padded with fillvalue, in2): in1's part pads with zeros
    for op in ("convolve2d", "correlate2d"):
        defjvp(
            getattr(ss, op),
            "in1, in2, mode='full', boundary='fill', fillvalue=0",
            f"rt.special.conv2d(np, din1, in2, mode, boundary, 0, {op!r})",
            f"rt.special.conv2d(np, in1, din2, mode, boundary, fillvalue, {op!r})",
        )
    defjvp(
        S.conv2d,
        "xp, a, b, mode='full', boundary='fill', fill=0, op='convolve2d'",
        None,
        "rt.special.conv2d(np, da, b, mode, boundary, 0, op)",
        "rt.special.conv2d(np, a, db, mode, boundary, fill, op)",
    )


def _register_linalg():
    """scipy.linalg's structured solvers and matrix functions (LAPACK and Cython kernels): implicit
    differentiation of the equation they solve, and Frechet derivatives by the block-triangular
    identity f([[A, E], [0, A]]) = [[f(A), L(A, E)], [0, f(A)]] (helpers in jvp_helpers/special.py)."""
    import scipy.linalg as sl

    S = rt.special
    banded = "l_and_u, ab, b, overwrite_ab=False, overwrite_b=False, check_finite=True"
    # A x = b: dx = A^-1 (db - dA x)
    defjvp(
        sl.solve_banded,
        banded,
        None,
        "rt.special.banded_solve(np, l_and_u, ab, -rt.special.banded_matvec(np, l_and_u, dab, ans), overwrite_ab)",
        "rt.special.banded_solve(np, l_and_u, ab, db, overwrite_ab)",
    )
    defjvp(
        sl.solveh_banded,
        "ab, b, overwrite_ab=False, overwrite_b=False, lower=False, check_finite=True",
        "rt.special.hbanded_solve(np, ab, -rt.special.hbanded_matvec(np, dab, ans, lower), lower, overwrite_ab)",
        "rt.special.hbanded_solve(np, ab, db, lower, overwrite_ab)",
    )
    toeplitz = defjvp(
        sl.solve_toeplitz,
        "c_or_cr, b, check_finite=True",
        "rt.special.toeplitz_solve(np, c_or_cr, -rt.special.toeplitz_matvec(np, dc_or_cr, ans))",
        "rt.special.toeplitz_solve(np, c_or_cr, db)",
    )
    toeplitz.sequences_as_given = True  # (c, r) is two arrays, not one array of two rows
    # A X + X B = Q
    defjvp(
        sl.solve_sylvester,
        "a, b, q",
        "rt.special.sylvester(np, a, b, -(da @ ans))",
        "rt.special.sylvester(np, a, b, -(ans @ db))",
        "rt.special.sylvester(np, a, b, dq)",
    )
    # A X + X A^H = Q
    defjvp(
        sl.solve_continuous_lyapunov,
        "a, q",
        "rt.special.lyapunov(np, a, -(da @ ans + ans @ np.conj(np.swapaxes(da, -1, -2))))",
        "rt.special.lyapunov(np, a, dq)",
    )
    # matrix functions: the Frechet derivative; logm/sqrtm's deprecated disp=False (a tuple) refused
    defjvp(sl.logm, "A, disp=None", "rt.special.frechet(np, 'logm', A, dA) * rt.special.matfunc_plain('logm', disp)")
    defjvp(
        sl.sqrtm,
        "A, disp=None, blocksize=None",
        "rt.special.frechet(np, 'sqrtm', A, dA) * rt.special.matfunc_plain('sqrtm', disp)",
    )
    _refuse(
        defjvp(sl.fractional_matrix_power, "A, t", "rt.special.frechet(np, 'fractional_matrix_power', A, dA, t)", None),
        "t",
    )
    # helpers, so that these derivatives can be differentiated again where they are linear; the
    # second derivative of the matrix functions and of the solvers in their matrix is refused
    deflinear(S.banded_matvec, "xp, l_and_u, ab, x", linear_in=("ab", "x"))
    deflinear(S.hbanded_matvec, "xp, ab, x, lower=False", linear_in=("ab", "x"))
    deflinear(S.toeplitz_matvec, "xp, c_or_cr, x", linear_in=("c_or_cr", "x"))
    _refuse(
        defjvp(
            S.banded_solve,
            "xp, l_and_u, ab, rhs, overwritten=False",
            None,
            None,
            "rt.special.banded_solve(np, l_and_u, ab, -rt.special.banded_matvec(np, l_and_u, dab, ans), overwritten)",
            "rt.special.banded_solve(np, l_and_u, ab, drhs, overwritten)",
        ),
    )
    defjvp(
        S.hbanded_solve,
        "xp, ab, rhs, lower=False, overwritten=False",
        None,
        "rt.special.hbanded_solve(np, ab, -rt.special.hbanded_matvec(np, dab, ans, lower), lower, overwritten)",
        "rt.special.hbanded_solve(np, ab, drhs, lower, overwritten)",
    )
    defjvp(
        S.toeplitz_solve,
        "xp, c_or_cr, rhs",
        None,
        "rt.special.toeplitz_solve(np, c_or_cr, -rt.special.toeplitz_matvec(np, dc_or_cr, ans))",
        "rt.special.toeplitz_solve(np, c_or_cr, drhs)",
    )
    defjvp(
        S.sylvester,
        "xp, a, b, q",
        None,
        "rt.special.sylvester(np, a, b, -(da @ ans))",
        "rt.special.sylvester(np, a, b, -(ans @ db))",
        "rt.special.sylvester(np, a, b, dq)",
    )
    defjvp(
        S.lyapunov,
        "xp, a, q",
        None,
        "rt.special.lyapunov(np, a, -(da @ ans + ans @ np.conj(np.swapaxes(da, -1, -2))))",
        "rt.special.lyapunov(np, a, dq)",
    )
    _refuse(
        defjvp(
            S.frechet, "xp, name, A, E, option=None", None, None, None, "rt.special.frechet(np, name, A, dE, option)"
        ),
        "A",
    )
    # lstsq: NumPy's formula (the same least-squares problem; residues 0-d for a 1-D b in SciPy)
    lst = "rt.special.sl_lstsq_out(np, rt.linalg.lstsq_jvp(np, a, b, rt.special.sl_lstsq_ans(np, ans), {}, cond), ans, "
    lst += "overwrite_a or overwrite_b, lapack_driver)"
    defjvp(
        sl.lstsq,
        "a, b, cond=None, overwrite_a=False, overwrite_b=False, check_finite=True, lapack_driver=None",
        lst.format("da, None"),
        lst.format("None, db"),
    )
    # lu of a square matrix: dL = L strictly_lower(F), dU = upper(F) U, F = L^-1 P^T dA U^-1
    defjvp(
        sl.lu,
        "a, permute_l=False, overwrite_a=False, check_finite=True, p_indices=False",
        "rt.special.lu_jvp(np, a, da, ans, permute_l, p_indices)",
    )
    _refuse(
        defjvp(
            S.lu_jvp,
            "xp, a, da, factors, permute_l=False, p_indices=False",
            None,
            None,
            "rt.special.lu_jvp(np, a, dda, factors, permute_l, p_indices)",
            None,
        ),
        "a",
        "factors",
    )
    deflinear(S.sl_lstsq_ans, "xp, ans", linear_in=("ans",))
    deflinear(S.sl_lstsq_out, "xp, t, ans, overwritten=False, driver=None", linear_in=("t",), constant=("ans",))
    # np.i0 (NumPy's Chebyshev code reads its argument's values): i0' = i1
    defjvp(np.i0, "x", "dx * rt.special.i1(np, x)")
    try:  # array_api_extra's at(x, idx).set(y), vendored by SciPy >= 1.16 (library._declare_at)
        from scipy._lib.array_api_extra import at as _at  # noqa: F401
    except ImportError:
        return
    deflinear(S.at_of, "xp, dx, idx=None", linear_in=("dx",), constant=("idx",))
    defjvp(
        S.at_set,
        "xp, ref, y, copy=None, zero_base=False",
        None,
        "rt.special.at_set(np, dref, None, copy, zero_base)",
        "rt.special.at_set(np, ref, dy, copy, True)",
    )


# location-scale families with their shape parameters (the score table is jvp_helpers/special.py's _scores)
DISTRIBUTIONS = {
    "norm": (),
    "expon": (),
    "laplace": (),
    "logistic": (),
    "cauchy": (),
    "uniform": (),
    "t": ("df",),
    "gamma": ("a",),
    "chi2": ("df",),
    "beta": ("a", "b"),
    "lognorm": ("s",),
}


def _register_distributions():
    """The methods of scipy.stats' common continuous distributions (their Python code parses *args
    through generated code and fills results with np.place: not followed). logpdf/pdf in x, loc,
    scale and the shape parameters; cdf, sf, logcdf, logsf, ppf, isf in x (q), loc and scale (their
    shape derivatives have no closed form: refused)."""
    import scipy.stats as st

    for name, shapes in DISTRIBUTIONS.items():
        dist = getattr(st, name)
        sh = "".join(f"{p}, " for p in shapes)
        params = f"x, {sh}loc=0, scale=1"
        tup = "(" + "".join(f"{p}, " for p in shapes) + ")"

        def score(which, t, name=name, tup=tup):
            return f"rt.special.dist_score_dir(np, {name!r}, {which!r}, x, {tup}, loc, scale, {t})"

        def pdf(t, at="x", name=name, tup=tup):
            return f"rt.special.dist_pdf_dir(np, {name!r}, {at}, {tup}, loc, scale, {t})"

        logpdf = [score("x", "dx")] + [score(i, f"d{p}") for i, p in enumerate(shapes)]
        logpdf += [score("loc", "dloc"), score("scale", "dscale")]
        defjvp(dist.logpdf, params, *logpdf, name=f"scipy.stats.{name}.logpdf")
        defjvp(dist.pdf, params, *[f"ans * {p}" for p in logpdf], name=f"scipy.stats.{name}.pdf")
        z = "((x - loc) / scale)"
        cdf = [pdf("dx")] + [None] * len(shapes) + [pdf("-dloc"), pdf(f"-{z} * dscale")]
        for method, sign, logs in (("cdf", "", False), ("sf", "-", False), ("logcdf", "", True), ("logsf", "-", True)):
            parts = [None if p is None else f"{sign}{p}" + (" / np.exp(ans)" if logs else "") for p in cdf]
            rule = defjvp(getattr(dist, method), params, *parts, name=f"scipy.stats.{name}.{method}")
            _refuse(rule, *shapes)
        for method, sign in (("ppf", ""), ("isf", "-")):
            qparams = params.replace("x, ", "q, ", 1)
            parts = [f"{sign}dq / " + pdf("1.0", "ans")] + [None] * len(shapes)
            parts += ["dloc * np.ones_like(ans)", "dscale * (ans - loc) / scale"]
            _refuse(defjvp(getattr(dist, method), qparams, *parts, name=f"scipy.stats.{name}.{method}"), *shapes)
    # multivariate normal: logpdf and pdf in x, mean and cov
    mvn = st.multivariate_normal
    mp = "x, mean=None, cov=1, allow_singular=False"
    parts = [
        "rt.special.mvn_logpdf_jvp(np, x, dx, mean, None, cov, None, ans)",
        "rt.special.mvn_logpdf_jvp(np, x, None, mean, dmean, cov, None, ans)",
        "rt.special.mvn_logpdf_jvp(np, x, None, mean, None, cov, dcov, ans)",
        None,
    ]
    defjvp(mvn.logpdf, mp, *parts, name="scipy.stats.multivariate_normal.logpdf")
    defjvp(mvn.pdf, mp, *[p and f"ans * {p}" for p in parts], name="scipy.stats.multivariate_normal.pdf")
    # discrete distributions: logpmf and pmf in their continuous parameters (k, n and loc are integers)
    for name, params, cont in (
        ("poisson", ("mu",), (0,)),
        ("bernoulli", ("p",), (0,)),
        ("geom", ("p",), (0,)),
        ("binom", ("n", "p"), (1,)),
    ):
        dist = getattr(st, name)
        tup = "(" + "".join(f"{p}, " for p in params) + ")"
        spec = "k, " + "".join(f"{p}, " for p in params) + "loc=0"
        parts = [None] + [
            f"rt.special.discrete_score_dir(np, {name!r}, {i}, k, {tup}, loc, d{p})" if i in cont else None
            for i, p in enumerate(params)
        ]
        parts.append(None)
        defjvp(dist.logpmf, spec, *parts, name=f"scipy.stats.{name}.logpmf")
        defjvp(dist.pmf, spec, *[p and f"ans * {p}" for p in parts], name=f"scipy.stats.{name}.pmf")
    # kstat's statistic (behind the _axis_nan_policy wrapper, which tangent_fwd follows): a polynomial in
    # the power sums (SciPy builds them in a list [None] + [...] that the compiler does not split)
    kstat = getattr(st.kstat, "__wrapped__", None)
    if kstat is not None:
        defjvp(kstat, "data, n=2, *, axis=None", "rt.special.kstat_jvp(np, data, ddata, n, axis)", None, name="kstat")
    S = rt.special
    _refuse(
        defjvp(
            S.kstat_jvp,
            "xp, data, ddata, n=2, axis=None",
            None,
            None,
            "rt.special.kstat_jvp(np, data, dddata, n, axis)",
            None,
        ),
        "data",
    )
    _refuse(
        defjvp(
            S.mvn_logpdf_jvp,
            "xp, x, dx, mean, dmean, cov, dcov, values",
            None,
            None,
            "rt.special.mvn_logpdf_jvp(np, x, ddx, mean, None, cov, None, values)",
            None,
            "rt.special.mvn_logpdf_jvp(np, x, None, mean, ddmean, cov, None, values)",
            None,
            "rt.special.mvn_logpdf_jvp(np, x, None, mean, None, cov, ddcov, values)",
            None,
        ),
        "x",
        "mean",
        "cov",
        "values",
    )
    _refuse(
        defjvp(
            S.discrete_score_dir,
            "xp, name, which, k, params, loc, t",
            None,
            None,
            None,
            None,
            None,
            None,
            "rt.special.discrete_score_dir(np, name, which, k, params, loc, dt)",
        ),
        "k",
        "params",
        "loc",
    )
    # the helpers: linear in t; their second derivative in the point or the parameters is refused
    _refuse(
        defjvp(
            S.dist_score_dir,
            "xp, name, which, x, shapes, loc, scale, t",
            None,
            None,
            None,
            None,
            None,
            None,
            None,
            "rt.special.dist_score_dir(np, name, which, x, shapes, loc, scale, dt)",
        ),
        "x",
        "shapes",
        "loc",
        "scale",
    )
    _refuse(
        defjvp(
            S.dist_pdf_dir,
            "xp, name, x, shapes, loc, scale, t",
            None,
            None,
            None,
            None,
            None,
            None,
            "rt.special.dist_pdf_dir(np, name, x, shapes, loc, scale, dt)",
        ),
        "x",
        "shapes",
        "loc",
        "scale",
    )


def registry_lookup(op):
    from ..registry import lookup

    return lookup(op)


if sp is not None:
    _register_user_functions()
    _register_helpers()
    _register_linear()
    _register_linalg()
    from ..registry import LAZY

    # scipy.stats and scipy.signal take seconds to import: their rules are registered on first need
    LAZY.setdefault("scipy.stats", []).append(_register_distributions)
    LAZY.setdefault("scipy.signal", []).append(_register_signal)
