"""Rule cases for the scipy.stats distribution methods (tangent_fwd/rules/scipy_rules.py,
``_register_distributions``): logpdf and pdf in the point, loc, scale and the shape parameters; cdf,
sf, logcdf, logsf in the point, loc and scale; ppf and isf in the probability, loc and scale. Points lie
inside the support, away from its ends; and the ``rt.special`` helpers (linear in their last argument).

The methods are scipy's host code (``strict = False``)."""

import numpy as np
import scipy.stats as st
from rule_cases import C

from tangent_fwd import runtime as rt
from tangent_fwd.rules.scipy_rules import DISTRIBUTIONS

_rng = np.random.default_rng(20261207)
S = rt.special


def u(lo, hi, *shape):
    return _rng.uniform(lo, hi, shape)


def _host(case):
    case.strict = False
    return case


# one maker per number of shape parameters: the bound method is a closure variable, called positionally
def _make0(method):
    def dist_method(x, loc, scale):
        return method(x, loc, scale)

    return dist_method


def _make1(method):
    def dist_method(x, p, loc, scale):
        return method(x, p, loc, scale)

    return dist_method


def _make2(method):
    def dist_method(x, p, r, loc, scale):
        return method(x, p, r, loc, scale)

    return dist_method


_MAKERS = (_make0, _make1, _make2)
_SHAPES = {"df": (3.0, 6.0), "a": (2.0, 3.5), "b": (2.0, 3.5), "s": (0.4, 0.7)}
_BOUNDED = ("beta", "uniform")
_POSITIVE = ("expon", "gamma", "chi2", "lognorm")


def _point(name, loc, scale):
    if name in _BOUNDED:
        return loc + scale * u(0.2, 0.8, 4)
    if name in _POSITIVE:
        return loc + scale * u(0.4, 2.5, 4)
    return loc + scale * u(-2.0, 2.0, 4)


def _cases():
    out = {}
    for name, shapes in DISTRIBUTIONS.items():
        dist = getattr(st, name)
        for method in ("logpdf", "pdf", "cdf", "sf", "logcdf", "logsf", "ppf", "isf"):
            bound = getattr(dist, method)
            loc, scale = float(u(-0.3, 0.3)), float(u(0.8, 1.5))
            first = u(0.15, 0.85, 4) if method in ("ppf", "isf") else _point(name, loc, scale)
            params = [float(u(*_SHAPES[p])) for p in shapes]
            fn = _MAKERS[len(shapes)](bound)
            fn.__name__ = f"{name}_{method}"
            # cdf-like methods and the quantiles are differentiated in the point, loc and scale only
            diff = None if method in ("logpdf", "pdf") else (0, len(shapes) + 1, len(shapes) + 2)
            out[bound] = [_host(C(fn, first, *params, loc, scale, diff=diff, rtol=1e-5))]
    return out


def h_score_dir(x, t):
    return S.dist_score_dir(np, "t", 0, x, (4.0,), 0.1, 1.2, t) * 2.0


def h_pdf_dir(x, t):
    return S.dist_pdf_dir(np, "gamma", x, (2.5,), 0.0, 1.0, t) * 2.0


def mvn_logpdf_all(x, mean, cov):
    return st.multivariate_normal.logpdf(x, mean, cov)


def mvn_logpdf_points(x):
    return st.multivariate_normal.logpdf(x, mean=np.array([0.1, -0.2, 0.3]), cov=np.diag([1.0, 2.0, 0.5]))


def mvn_pdf_diag(x, var):
    return st.multivariate_normal.pdf(x, np.zeros(3), var)


def mvn_logpdf_1d(x, var):
    return st.multivariate_normal.logpdf(x, 0.2, var)


def _spd():
    m = u(-0.3, 0.3, 3, 3) + 1.5 * np.eye(3)
    return m @ m.T


_K = np.array([0, 1, 2, 4, 7])


def poisson_logpmf(mu):
    return st.poisson.logpmf(_K, mu)


def poisson_pmf(mu):
    return st.poisson.pmf(_K, mu)


def bernoulli_logpmf(p):
    return st.bernoulli.logpmf(np.array([0, 1, 1]), p)


def bernoulli_pmf(p):
    return st.bernoulli.pmf(np.array([0, 1, 1]), p)


def geom_logpmf(p):
    return st.geom.logpmf(np.array([1, 2, 5]), p)


def geom_pmf(p):
    return st.geom.pmf(np.array([1, 2, 5]), p)


def binom_logpmf(p):
    return st.binom.logpmf(np.array([0, 3, 6]), 8, p)


def binom_pmf(p):
    return st.binom.pmf(np.array([0, 3, 6]), 8, p)


def h_mvn(t):
    x = np.array([[0.3, -0.1], [1.0, 0.5]])
    return S.mvn_logpdf_jvp(np, x, t, None, None, np.eye(2) * 1.5, None, np.zeros(2)) * 2.0


def h_discrete(t):
    return S.discrete_score_dir(np, "poisson", 0, _K, (2.5,), 0, t) * 2.0


CASES = _cases()
CASES[st.multivariate_normal.logpdf] = [
    _host(C(mvn_logpdf_all, u(-1, 1, 3), u(-0.5, 0.5, 3), _spd(), rtol=1e-5)),
    _host(C(mvn_logpdf_points, u(-1, 1, 4, 3))),
    _host(C(mvn_logpdf_1d, u(-1, 1, 4), 1.3)),
]
CASES[st.multivariate_normal.pdf] = [_host(C(mvn_pdf_diag, u(-1, 1, 3), u(0.5, 2, 3)))]
for _name, _fns, _arg in (
    ("poisson", (poisson_logpmf, poisson_pmf), lambda: u(0.5, 4, 5)),
    ("bernoulli", (bernoulli_logpmf, bernoulli_pmf), lambda: u(0.2, 0.8, 3)),
    ("geom", (geom_logpmf, geom_pmf), lambda: u(0.2, 0.8, 3)),
    ("binom", (binom_logpmf, binom_pmf), lambda: u(0.2, 0.8, 3)),
):
    _dist = getattr(st, _name)
    CASES[_dist.logpmf] = [_host(C(_fns[0], _arg()))]
    CASES[_dist.pmf] = [_host(C(_fns[1], _arg()))]
CASES[S.mvn_logpdf_jvp] = [_host(C(h_mvn, u(-1, 1, 2, 2)))]
CASES[S.discrete_score_dir] = [_host(C(h_discrete, u(-1, 1, 5)))]
CASES[S.dist_score_dir] = [_host(C(h_score_dir, u(-1, 1, 4), u(-1, 1, 4), diff=(1,)))]
CASES[S.dist_pdf_dir] = [_host(C(h_pdf_dir, u(0.5, 2, 4), u(-1, 1, 4), diff=(1,)))]
