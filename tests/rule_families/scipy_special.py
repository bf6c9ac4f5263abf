"""Rule cases for the scipy.special rules (tangent_fwd/rules/scipy_rules.py) and for their run-time
helpers (tangent_fwd/jvp_helpers/special.py, reached as ``rt.special``). Inputs lie inside each
function's domain and well away from its singularities and kinks (i0e and i1e at 0, the poles of
gamma, the ends of erfinv): the special points are tested exactly in tests/scipy/test_special_points.py.

scipy's Python-level functions (logsumexp, softmax, log_softmax, polygamma, multigammaln) convert their
input with np.asarray, so they cannot run on the strict device backend at all: their cases are marked
``strict = False`` (``_host``), and the helpers their derivatives call have strict cases of their own."""

import math

import numpy as np
import scipy.special as sp
from rule_cases import C

from tangent_fwd import runtime as rt

_rng = np.random.default_rng(20261206)


def u(lo, hi, *shape):
    return _rng.uniform(lo, hi, shape)


def away0(n=5):
    """Values in +-[0.4, 2.5]: away from the kink of i0e/i1e at 0."""
    return _rng.choice([-1.0, 1.0], n) * u(0.4, 2.5, n)


def _host(case):
    case.strict = False
    return case


# ================================================================== the user-facing functions
def sps_expit(x):
    return sp.expit(x)


def sps_expit_scalar(x):
    return sp.expit(x) * 2.0


def sps_logit(p):
    return sp.logit(p)


def sps_log_expit(x):
    return sp.log_expit(x)


def sps_logsumexp(a):
    return sp.logsumexp(a)


def sps_logsumexp_axis(a):
    return sp.logsumexp(a, axis=1, keepdims=True)


def sps_logsumexp_axes(a):
    return sp.logsumexp(a, axis=(0, 2))


def sps_logsumexp_b(a, b):
    return sp.logsumexp(a, axis=0, b=b)


def sps_logsumexp_b_broadcast(a, b):
    return sp.logsumexp(a, axis=1, b=b)  # b of shape (3,) against a of shape (2, 3)


def sps_logsumexp_b_scalar(a):
    return sp.logsumexp(a, axis=-1, b=0.5, keepdims=True)


def sps_logsumexp_sign(a, b):
    r, sign = sp.logsumexp(a, axis=-1, b=b, return_sign=True)
    return r * sign


def sps_logsumexp_pair(a, b):
    return sp.logsumexp(a, b=b, return_sign=True)


def sps_softmax(x):
    return sp.softmax(x, axis=-1)


def sps_softmax_all(x):
    return sp.softmax(x)


def sps_log_softmax(x):
    return sp.log_softmax(x, axis=0)


def sps_erf(x):
    return sp.erf(x)


def sps_erfc(x):
    return sp.erfc(x)


def sps_erfinv(y):
    return sp.erfinv(y)


def sps_erfcinv(y):
    return sp.erfcinv(y)


def sps_erfcx(x):
    return sp.erfcx(x)


def sps_ndtr(x):
    return sp.ndtr(x)


def sps_ndtri(p):
    return sp.ndtri(p)


def sps_log_ndtr(x):
    return sp.log_ndtr(x)


def sps_gamma(x):
    return sp.gamma(x)


def sps_gammaln(x):
    return sp.gammaln(x)


def sps_digamma(x):
    return sp.digamma(x)


def sps_psi(x):
    return sp.psi(x) * x


def sps_polygamma(x):
    return sp.polygamma(2, x)


def sps_polygamma_orders(x):
    return sp.polygamma(np.array([0, 1, 3]), x)


def sps_multigammaln(a):
    return sp.multigammaln(a, 3)


def sps_beta(a, b):
    return sp.beta(a, b)


def sps_betaln(a, b):
    return sp.betaln(a, b)


def sps_xlogy(x, y):
    return sp.xlogy(x, y)


def sps_xlog1py(x, y):
    return sp.xlog1py(x, y)


def sps_entr(x):
    return sp.entr(x)


def sps_rel_entr(x, y):
    return sp.rel_entr(x, y)


def sps_kl_div(x, y):
    return sp.kl_div(x, y)


def sps_i0(x):
    return sp.i0(x)


def sps_i1(x):
    return sp.i1(x)


def sps_i0e(x):
    return sp.i0e(x)


def sps_i1e(x):
    return sp.i1e(x)


def sps_iv(v, z):
    return sp.iv(v, z)


def sps_ive(v, z):
    return sp.ive(v, z)


def sps_jv(v, z):
    return sp.jv(v, z)


def sps_yn(n, x):
    return sp.yn(n, x)


def sps_j0(x):
    return sp.j0(x)


def sps_j1(x):
    return sp.j1(x)


def sps_y0(x):
    return sp.y0(x)


def sps_y1(x):
    return sp.y1(x)


def sps_gammainc(a, x):
    return sp.gammainc(a, x)


def sps_gammaincc(a, x):
    return sp.gammaincc(a, x)


def sps_betainc(a, b, x):
    return sp.betainc(a, b, x)


def sps_math_lgamma(x):
    return math.lgamma(x) + math.lgamma(-x)


def sps_math_gamma(x):
    return math.gamma(x) * x


def sps_spence(z):
    return sp.spence(z)


# ================================================================== the rt.special helpers
def sph_erfcx(x):
    return rt.special.erfcx(np, x)


def sph_erfcx_d(x, s):
    return rt.special.erfcx_d(np, x, s)


def sph_gammaln(x):
    return rt.special.gammaln(np, x)


def sph_betaln(a, b):
    return rt.special.betaln(np, a, b)


def sph_digamma(x):
    return rt.special.digamma(np, x)


def sph_polygamma(x):
    return rt.special.polygamma(np, 2, x)


def sph_mvpolygamma(a):
    return rt.special.mvpolygamma(np, 1, a, 3)


def sph_cast_like(t, like):
    return rt.special.cast_like(np, t, like)


def sph_mul(x, y):
    return rt.special.mul(x, y)


def sph_xlogy(x, y):
    return rt.special.xlogy(np, x, y)


def sph_xlog1py(x, y):
    return rt.special.xlog1py(np, x, y)


def sph_div0(num, den):
    return rt.special.div0(np, num, den)


def sph_ratio0(x, y):
    return rt.special.ratio0(np, x, y)


def sph_i0(x):
    return rt.special.i0(np, x)


def sph_i1(x):
    return rt.special.i1(np, x)


def sph_i0e(x):
    return rt.special.i0e(np, x)


def sph_i1e(x):
    return rt.special.i1e(np, x)


def sph_iv(v, z):
    return rt.special.iv(np, v, z)


def sph_ive(v, z):
    return rt.special.ive(np, v, z)


def sph_jv(v, z):
    return rt.special.jv(np, v, z)


def sph_yn(n, x):
    return rt.special.yn(np, n, x)


def sph_j0(x):
    return rt.special.j0(np, x)


def sph_j1(x):
    return rt.special.j1(np, x)


def sph_y0(x):
    return rt.special.y0(np, x)


def sph_y1(x):
    return rt.special.y1(np, x)


def sph_spence_d(z):
    return rt.special.spence_d(np, z)


def sph_lse_jvp(a, t, b, tb):
    return rt.special.lse_jvp(np, a, t, b, tb, 1, False)


def sph_lse_jvp_all(a, t):
    return rt.special.lse_jvp(np, a, t, None, None, None, True)


def sph_lse_out(t, r):
    return rt.special.lse_out(np, t, (r, r), True)


def sph_lse_out_plain(t, r):
    return rt.special.lse_out(np, t, r, False)


ORDERS = np.array([0.5, 1.0, 2.5, 3.0])


# ================================================================== added with issue 16 (entry points)
def sps_expm1(x):
    return sp.expm1(x)


def sps_log1p(x):
    return sp.log1p(x)


def sps_cbrt(x):
    return sp.cbrt(x)


def sps_exp2(x):
    return sp.exp2(x)


def sps_exp10(x):
    return sp.exp10(x)


def sps_powm1(x, y):
    return sp.powm1(x, y)


def sps_rgamma(x):
    return sp.rgamma(x)


def sps_loggamma(x):
    return sp.loggamma(x)


def sps_erfi(x):
    return sp.erfi(x)


def sps_k0(x):
    return sp.k0(x)


def sps_k1(x):
    return sp.k1(x)


def sps_kv(v, z):
    return sp.kv(v, z)


def sps_ellipk(m):
    return sp.ellipk(m)


def sps_ellipe(m):
    return sp.ellipe(m)


def sps_binom(n, k):
    return sp.binom(n, k)


def sps_huber(delta, r):
    return sp.huber(delta, r)


def sps_pseudo_huber(delta, r):
    return sp.pseudo_huber(delta, r)


def sps_boxcox(x, lmbda):
    return sp.boxcox(x, lmbda)


def sps_boxcox1p(x, lmbda):
    return sp.boxcox1p(x, lmbda)


def sps_inv_boxcox(y, lmbda):
    return sp.inv_boxcox(y, lmbda)


def sph_k0(x):
    return rt.special.k0(np, x)


def sph_k1(x):
    return rt.special.k1(np, x)


def sph_kv(v, z):
    return rt.special.kv(np, v, z)


def sph_ellipk(m):
    return rt.special.ellipk(np, m)


def sph_ellipe(m):
    return rt.special.ellipe(np, m)


def np_i0(x):
    return np.i0(x)


# |r| away from delta (the join, where huber's second derivative jumps) on both sides
_HUBER_R = np.array([-2.5, -0.4, 0.3, 1.7, 3.0])
_HUBER_D = np.array([1.0, 1.2, 0.8, 1.1, 2.0])


CASES = {
    np.i0: [_host(C(np_i0, u(-3, 3, 5)))],
    sp.expm1: [C(sps_expm1, u(-2, 2, 5))],
    sp.log1p: [C(sps_log1p, u(-0.5, 2, 5))],
    sp.cbrt: [C(sps_cbrt, u(0.3, 3, 5))],
    sp.exp2: [C(sps_exp2, u(-2, 2, 5))],
    sp.exp10: [C(sps_exp10, u(-1, 1, 5))],
    sp.powm1: [C(sps_powm1, u(0.5, 2, 5), u(-1, 2, 5))],
    sp.rgamma: [C(sps_rgamma, u(0.5, 4, 5))],
    sp.loggamma: [C(sps_loggamma, u(0.5, 5, 5))],
    sp.erfi: [C(sps_erfi, u(-1.5, 1.5, 5))],
    sp.k0: [C(sps_k0, u(0.5, 4, 5))],
    sp.k1: [C(sps_k1, u(0.5, 4, 5))],
    sp.kv: [C(sps_kv, ORDERS, u(0.5, 3, 4), diff=(1,))],
    sp.ellipk: [C(sps_ellipk, u(0.1, 0.9, 5))],
    sp.ellipe: [C(sps_ellipe, u(0.1, 0.9, 5))],
    sp.binom: [C(sps_binom, u(3, 6, 4), u(0.5, 2.5, 4))],
    sp.huber: [C(sps_huber, _HUBER_D, _HUBER_R)],
    sp.pseudo_huber: [C(sps_pseudo_huber, u(0.5, 2, 5), u(-2, 2, 5))],
    sp.boxcox: [C(sps_boxcox, u(0.5, 3, 5), u(-1, 2, 5)), C(sps_boxcox, u(0.5, 3, 3), np.zeros(3), diff=(0,))],
    sp.boxcox1p: [C(sps_boxcox1p, u(-0.5, 3, 5), u(-1, 2, 5))],
    sp.inv_boxcox: [
        C(sps_inv_boxcox, u(0.2, 2, 5), u(0.1, 1.5, 5)),
        C(sps_inv_boxcox, u(0.2, 2, 3), np.zeros(3), diff=(0,)),
    ],
    rt.special.k0: [C(sph_k0, u(0.5, 4, 4))],
    rt.special.k1: [C(sph_k1, u(0.5, 4, 4))],
    rt.special.kv: [C(sph_kv, ORDERS, u(0.5, 3, 4), diff=(1,))],
    rt.special.ellipk: [C(sph_ellipk, u(0.1, 0.9, 4))],
    rt.special.ellipe: [C(sph_ellipe, u(0.1, 0.9, 4))],
    sp.expit: [C(sps_expit, u(-3, 3, 5)), C(sps_expit_scalar, 0.7)],
    sp.logit: [C(sps_logit, u(0.1, 0.9, 5))],
    sp.log_expit: [C(sps_log_expit, u(-5, 5, 5))],
    sp.logsumexp: [
        _host(C(sps_logsumexp, u(-2, 2, 2, 3))),
        _host(C(sps_logsumexp_axis, u(-2, 2, 2, 3))),
        _host(C(sps_logsumexp_axes, u(-2, 2, 2, 3, 2))),
        _host(C(sps_logsumexp_b, u(-2, 2, 3, 2), u(0.5, 2, 3, 2))),
        _host(C(sps_logsumexp_b_broadcast, u(-2, 2, 2, 3), u(0.5, 2, 3))),
        _host(C(sps_logsumexp_b_scalar, u(-2, 2, 2, 3))),
        # weights of both signs, away from a zero sum: rows of one sign each
        _host(C(sps_logsumexp_sign, u(-1, 1, 2, 3), np.array([[1.0, 0.5, 0.7], [-1.0, -0.8, -0.6]]))),
        _host(C(sps_logsumexp_pair, u(-1, 1, 4), u(0.5, 2, 4))),
    ],
    sp.softmax: [_host(C(sps_softmax, u(-2, 2, 2, 3))), _host(C(sps_softmax_all, u(-2, 2, 4)))],
    sp.log_softmax: [_host(C(sps_log_softmax, u(-2, 2, 3, 2)))],
    sp.erf: [C(sps_erf, u(-2, 2, 5))],
    sp.erfc: [C(sps_erfc, u(-2, 2, 5))],
    sp.erfinv: [C(sps_erfinv, u(-0.9, 0.9, 5))],
    sp.erfcinv: [C(sps_erfcinv, u(0.1, 1.9, 5))],
    # 60 and 400: the asymptotic branch of erfcx' (x > 50)
    sp.erfcx: [C(sps_erfcx, u(-2, 3, 5)), C(sps_erfcx, np.array([30.0, 60.0, 400.0]))],
    sp.ndtr: [C(sps_ndtr, u(-3, 3, 5))],
    sp.ndtri: [C(sps_ndtri, u(0.05, 0.95, 5))],
    sp.log_ndtr: [C(sps_log_ndtr, u(-3, 3, 5)), C(sps_log_ndtr, np.array([-40.0, -12.0, 9.0]))],
    sp.gamma: [C(sps_gamma, u(0.5, 4, 5)), C(sps_gamma, np.array([-1.5, -0.4, -2.7]))],
    sp.gammaln: [C(sps_gammaln, u(0.5, 5, 5)), C(sps_gammaln, np.array([-1.5, -0.4]))],
    sp.digamma: [C(sps_digamma, u(0.5, 5, 5)), C(sps_psi, u(0.5, 5, 3))],
    sp.polygamma: [_host(C(sps_polygamma, u(0.5, 3, 4))), _host(C(sps_polygamma_orders, u(0.5, 3, 3)))],
    sp.multigammaln: [_host(C(sps_multigammaln, u(1.5, 4, 3)))],
    sp.beta: [C(sps_beta, u(0.5, 3, 4), u(0.5, 3, 4))],
    sp.betaln: [C(sps_betaln, u(0.5, 3, 4), u(0.5, 3, 4))],
    sp.xlogy: [C(sps_xlogy, u(-1, 1, 5), u(0.5, 2, 5))],
    sp.xlog1py: [C(sps_xlog1py, u(-1, 1, 5), u(-0.5, 2, 5))],
    sp.entr: [C(sps_entr, u(0.1, 2, 5))],
    sp.rel_entr: [C(sps_rel_entr, u(0.2, 2, 5), u(0.2, 2, 5))],
    sp.kl_div: [C(sps_kl_div, u(0.2, 2, 5), u(0.2, 2, 5))],
    sp.i0: [C(sps_i0, u(-3, 3, 5))],
    sp.i1: [C(sps_i1, u(-3, 3, 5))],
    sp.i0e: [C(sps_i0e, away0())],
    sp.i1e: [C(sps_i1e, away0())],
    sp.iv: [C(sps_iv, ORDERS, u(0.5, 3, 4), diff=(1,))],
    sp.ive: [C(sps_ive, ORDERS, u(0.5, 3, 4), diff=(1,))],
    sp.jv: [C(sps_jv, ORDERS, u(0.5, 3, 4), diff=(1,))],
    sp.yn: [C(sps_yn, np.array([0, 1, 3]), u(0.8, 3, 3), diff=(1,))],
    sp.j0: [C(sps_j0, u(0.5, 5, 5))],
    sp.j1: [C(sps_j1, u(-5, 5, 5))],
    sp.y0: [C(sps_y0, u(0.5, 5, 5))],
    sp.y1: [C(sps_y1, u(0.5, 5, 5))],
    sp.gammainc: [C(sps_gammainc, np.array([0.5, 1.0, 1.5, 3.0]), u(0.3, 4, 4), diff=(1,))],
    sp.gammaincc: [C(sps_gammaincc, np.array([0.5, 1.0, 1.5, 3.0]), u(0.3, 4, 4), diff=(1,))],
    sp.betainc: [C(sps_betainc, np.array([0.5, 1.0, 2.5]), np.array([1.5, 1.0, 0.7]), u(0.1, 0.9, 3), diff=(2,))],
    math.lgamma: [C(sps_math_lgamma, 2.7), C(sps_math_lgamma, 0.4)],  # log|gamma| also at -2.7 and -0.4
    math.gamma: [C(sps_math_gamma, 3.3), C(sps_math_gamma, -1.6)],
    sp.spence: [C(sps_spence, u(0.2, 3, 5)), C(sps_spence, np.array([0.5, 1.0, 2.0]))],
    # ---------------------------------------------------------------- rt.special helpers
    rt.special.erfcx: [C(sph_erfcx, u(-2, 3, 4))],
    rt.special.erfcx_d: [C(sph_erfcx_d, u(-2, 3, 4), u(0.5, 2, 4))],
    rt.special.gammaln: [C(sph_gammaln, u(0.5, 5, 4))],
    rt.special.betaln: [C(sph_betaln, u(0.5, 3, 4), u(0.5, 3, 4))],
    rt.special.digamma: [C(sph_digamma, u(0.5, 5, 4))],
    rt.special.polygamma: [C(sph_polygamma, u(0.5, 3, 4))],
    rt.special.mvpolygamma: [C(sph_mvpolygamma, u(1.5, 4, 3))],
    rt.special.cast_like: [C(sph_cast_like, u(-1, 1, 3), np.zeros(3), diff=(0,))],
    rt.special.mul: [C(sph_mul, u(-1, 1, 3), u(-1, 1, 3))],
    rt.special.xlogy: [C(sph_xlogy, u(-1, 1, 4), u(0.5, 2, 4))],
    rt.special.xlog1py: [C(sph_xlog1py, u(-1, 1, 4), u(-0.5, 2, 4))],
    rt.special.div0: [C(sph_div0, u(-1, 1, 4), u(0.5, 2, 4))],
    rt.special.ratio0: [C(sph_ratio0, u(0.2, 2, 4), u(0.5, 2, 4))],
    rt.special.i0: [C(sph_i0, u(-3, 3, 4))],
    rt.special.i1: [C(sph_i1, u(-3, 3, 4))],
    rt.special.i0e: [C(sph_i0e, away0(4))],
    rt.special.i1e: [C(sph_i1e, away0(4))],
    rt.special.iv: [C(sph_iv, ORDERS, u(0.5, 3, 4), diff=(1,))],
    rt.special.ive: [C(sph_ive, ORDERS, u(0.5, 3, 4), diff=(1,))],
    rt.special.jv: [C(sph_jv, ORDERS, u(0.5, 3, 4), diff=(1,))],
    rt.special.yn: [C(sph_yn, np.array([0, 2, 3]), u(0.8, 3, 3), diff=(1,))],
    rt.special.j0: [C(sph_j0, u(0.5, 5, 4))],
    rt.special.j1: [C(sph_j1, u(-5, 5, 4))],
    rt.special.y0: [C(sph_y0, u(0.5, 5, 4))],
    rt.special.y1: [C(sph_y1, u(0.5, 5, 4))],
    rt.special.spence_d: [C(sph_spence_d, u(0.2, 3, 4)), C(sph_spence_d, np.array([0.5, 1.0, 2.0]))],
    rt.special.lse_jvp: [
        C(sph_lse_jvp, u(-2, 2, 2, 3), u(-1, 1, 2, 3), u(0.5, 2, 2, 3), u(-1, 1, 2, 3)),
        C(sph_lse_jvp_all, u(-2, 2, 2, 3), u(-1, 1, 2, 3)),
    ],
    rt.special.lse_out: [
        C(sph_lse_out, u(-1, 1, 3), u(-1, 1, 3), diff=(0,)),
        C(sph_lse_out_plain, u(-1, 1, 3), u(-1, 1, 3), diff=(0,)),
    ],
}
