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


CASES = _cases()
CASES[S.dist_score_dir] = [_host(C(h_score_dir, u(-1, 1, 4), u(-1, 1, 4), diff=(1,)))]
CASES[S.dist_pdf_dir] = [_host(C(h_pdf_dir, u(0.5, 2, 4), u(-1, 1, 4), diff=(1,)))]
