"""Systematic first-order checks in the style of a peer AD library's test suite.

A generated grid: for each NumPy function a set of argument shapes (Python scalar, 0-d, 1-d, 2-d, 3-d,
broadcasting pairs), keyword variants (axis, keepdims, ddof, ord, ...) and which arguments are
differentiated. Every grid point is one small function written as source text into a module in a
temporary directory (the compiler reads source), e.g. ``def f_12(x, y): return np.maximum(x, y)``.

Each point is checked, in this order:
  1. the primal returned by ``tangent_fwd.jvp`` equals the plain call bit for bit (same dtype, shape, values);
  2. the scalar-mode tangent equals float64 central finite differences (h=1e-6) along a seeded random
     direction, to 1e-5 relative to the scale of the output (inputs are chosen away from kinks, ties and
     domain edges);
  3. vector mode (K=3 directions, ``vectorized=True``) equals three single JVPs;
  4. for elementwise ops and reductions of one array, ``tangent_fwd.hessian`` of ``sum(f(...) * w)``
     (w fixed, not differentiated) applied to a random direction equals finite differences of the
     gradient built from single JVPs.
Any exception other than ``tangent_fwd.TransformError`` fails; a TransformError fails too unless the
point is in ``REFUSED`` (each entry with the reason the refusal is legitimate), and the message must name
the line of the grid function.
"""

import copy
import importlib
import re
import sys
import traceback
import zlib

import numpy as np
import pytest

import tangent_fwd

S = "S"  # shape marker: a Python float
K = 3
H = 1e-6
RTOL = 1e-5
HESS_H = 1e-5
HESS_RTOL = 1e-5

# Grid points whose refusal (a TransformError naming the line) is legitimate, id -> why.
REFUSED = {}  # id -> (mode where the refusal happens, why it is legitimate)


# ================================================================== input generators
# Each generator: (shape, rng) -> Python float (shape S) or float64 ndarray of that shape.
def _out(v, shape):
    return float(v) if shape == S else np.asarray(v, dtype=np.float64)


def _shp(shape):
    return () if shape == S else shape


def uni(lo=-1.0, hi=1.0):
    return lambda shape, rng: _out(rng.uniform(lo, hi, _shp(shape)), shape)


def away0(lo=0.3, hi=1.5):
    """|x| in [lo, hi], random sign."""

    def g(shape, rng):
        sh = _shp(shape)
        return _out(rng.uniform(lo, hi, sh) * rng.choice([-1.0, 1.0], sh), shape)

    return g


def grid_a(shape, rng):
    """Values near -0.8, -0.4, 0, 0.4, 0.8: never within 0.1 of a grid_b value (no ties for max/min/clip)."""
    sh = _shp(shape)
    return _out(rng.choice([-0.8, -0.4, 0.0, 0.4, 0.8], sh) + rng.uniform(-0.04, 0.04, sh), shape)


def grid_b(shape, rng):
    sh = _shp(shape)
    return _out(rng.choice([-0.6, -0.2, 0.2, 0.6], sh) + rng.uniform(-0.04, 0.04, sh), shape)


def frac(shape, rng):
    """k + f, k integer in [-2, 2], f in (0.15, 0.35) or (0.65, 0.85): away from integers and halves."""
    sh = _shp(shape)
    f = rng.uniform(0.15, 0.35, sh) + rng.choice([0.0, 0.5], sh)
    return _out(rng.integers(-2, 3, sh) + f, shape)


def near_one(shape, rng):
    """+-(1 +- 0.02): x / y of a frac x stays away from integers (mod, fmod)."""
    sh = _shp(shape)
    return _out((1.0 + rng.uniform(-0.02, 0.02, sh)) * rng.choice([-1.0, 1.0], sh), shape)


def distinct(shape, rng):
    """Entries well apart (no ties for max/min/sort/median), shuffled."""
    sh = _shp(shape)
    n = int(np.prod(sh)) if sh else 1
    v = np.linspace(-2.0, 2.0, n) + rng.uniform(-0.03, 0.03, n)
    return _out(rng.permutation(v).reshape(sh), shape)


def distinct_abs(shape, rng):
    """Distinct absolute values in [0.3, 2], random signs (vector inf/1-norms, no zero kinks)."""
    sh = _shp(shape)
    n = int(np.prod(sh)) if sh else 1
    v = (np.linspace(0.3, 2.0, n) + rng.uniform(-0.01, 0.01, n)) * rng.choice([-1.0, 1.0], n)
    return _out(rng.permutation(v).reshape(sh), shape)


def with_nan(shape, rng):
    v = uni()(shape, rng)
    v.flat[1] = np.nan
    return v


def wellcond(shape, rng):
    n = shape[-1]
    return np.asarray(rng.uniform(-0.3, 0.3, shape) + 2.0 * np.eye(n), dtype=np.float64)


U = uni()
POS = uni(0.5, 2.0)
AWAY = away0()


# ================================================================== grid points
class Point:
    def __init__(self, pid, expr, args, wrt, hess=False, eps=H, rtol=RTOL):
        self.id, self.expr, self.args, self.wrt, self.hess = pid, expr, args, wrt, hess
        self.eps, self.rtol = eps, rtol


POINTS = []
_seen = set()


def _args_of(point):
    rng = np.random.default_rng(zlib.crc32(point.id.encode()) ^ 0x5EED)
    return tuple(gen(shape, rng) for gen, shape in point.args)


NAMES = "xyzuv"


def _sid(shape):
    if shape == S:
        return "S"
    if shape == ():
        return "0d"
    return "x".join(map(str, shape))


# NumPy 2.0 (the supported floor) lacks a few things the grid calls: only points NumPy itself runs are made.
_NUMPY_2_1 = np.lib.NumpyVersion(np.__version__) >= "2.1.0"


def _available(expr):
    for name in re.findall(r"\bnp\.(\w+)\(", expr):
        if not hasattr(np, name):
            return False
    return _NUMPY_2_1 or "np.clip(x, min=" not in expr


def add(group, label, expr, args, wrts=None, hess=False, eps=H, rtol=RTOL):
    """args: list of (generator, shape); expr uses x, y, z, ... for them. wrts: list of index tuples
    (default: each argument alone, and all of them together when there are several)."""
    if wrts is None:
        wrts = [(i,) for i in range(len(args))]
        if len(args) > 1:
            wrts.append(tuple(range(len(args))))
    shapes = ",".join(_sid(s) for _, s in args)
    for w in wrts:
        pid = f"{group}:{label}[{shapes}]wrt{''.join(map(str, w))}"
        assert pid not in _seen, pid
        _seen.add(pid)
        POINTS.append(Point(pid, expr, args, w, hess=hess and len(w) == 1, eps=eps, rtol=rtol))


# ------------------------------------------------------------------ unary elementwise ufuncs
UNARY = {
    "sin": U,
    "cos": U,
    "tan": U,
    "arcsin": uni(-0.9, 0.9),
    "arccos": uni(-0.9, 0.9),
    "arctan": uni(-2, 2),
    "sinh": U,
    "cosh": U,
    "tanh": U,
    "arcsinh": uni(-2, 2),
    "arccosh": uni(1.2, 3.0),
    "arctanh": uni(-0.9, 0.9),
    "exp": uni(-2, 2),
    "exp2": uni(-2, 2),
    "expm1": U,
    "log": POS,
    "log2": POS,
    "log10": POS,
    "log1p": uni(-0.5, 2.0),
    "sqrt": POS,
    "cbrt": AWAY,
    "square": U,
    "reciprocal": AWAY,
    "negative": U,
    "abs": AWAY,
    "absolute": AWAY,
    "fabs": AWAY,
    "sign": AWAY,
    "floor": frac,
    "ceil": frac,
    "rint": frac,
    "trunc": frac,
    "deg2rad": U,
    "sinc": AWAY,
}
UNARY_SHAPES = [S, (), (5,), (3, 4), (2, 3, 4)]
for _name, _gen in UNARY.items():
    for _s in UNARY_SHAPES:
        add("unary", _name, f"np.{_name}(x)", [(_gen, _s)], hess=True)
for _s in [S, (3, 4)]:
    add("unary", "op-neg", "-x", [(U, _s)], hess=True)
    add("unary", "builtin-abs", "abs(x)", [(AWAY, _s)], hess=True)
    add("unary", "op-pow3", "x ** 3", [(U, _s)], hess=True)
    add("unary", "op-pow-half", "x ** 0.5", [(POS, _s)], hess=True)
    add("unary", "op-rpow", "2.0 ** x", [(U, _s)], hess=True)

# ------------------------------------------------------------------ binary ufuncs
BINARY = {
    "add": (U, U),
    "subtract": (U, U),
    "multiply": (U, U),
    "divide": (U, AWAY),
    "true_divide": (U, AWAY),
    "power": (POS, uni(-2, 2)),
    "float_power": (POS, uni(-2, 2)),
    "maximum": (grid_a, grid_b),
    "minimum": (grid_a, grid_b),
    "fmax": (grid_a, grid_b),
    "fmin": (grid_a, grid_b),
    "arctan2": (AWAY, AWAY),
    "hypot": (AWAY, AWAY),
    "logaddexp": (U, U),
    "logaddexp2": (U, U),
    "mod": (frac, near_one),
    "fmod": (frac, near_one),
    "remainder": (frac, near_one),
    "copysign": (AWAY, AWAY),
}
PAIRS = [
    (S, S),
    ((), ()),
    ((4,), (4,)),
    ((3, 4), (3, 4)),
    ((3, 1), (1, 4)),
    ((2, 3), (3,)),
    (S, (3, 4)),
    ((2, 3), S),
    ((), (2, 3)),
    ((2, 3, 4), (3, 1)),
]
for _name, (_gx, _gy) in BINARY.items():
    for _sx, _sy in PAIRS:
        add("binary", _name, f"np.{_name}(x, y)", [(_gx, _sx), (_gy, _sy)], hess=True)
OPERATORS = {"+": (U, U), "-": (U, U), "*": (U, U), "/": (U, AWAY), "**": (POS, uni(-2, 2)), "%": (frac, near_one)}
for _op, (_gx, _gy) in OPERATORS.items():
    for _sx, _sy in [(S, S), ((3, 1), (1, 4)), (S, (3, 4)), ((2, 3), (3,))]:
        add("operator", _op, f"x {_op} y", [(_gx, _sx), (_gy, _sy)], hess=True)

# ------------------------------------------------------------------ reductions
REDUCTIONS = {
    # name: (generator, allows tuple axis and keepdims, extra variants)
    "sum": (U, True, []),
    "mean": (U, True, []),
    "prod": (away0(0.5, 1.5), True, []),
    "var": (U, True, [{"ddof": 1}, {"axis": 0, "ddof": 1}]),
    "std": (U, True, [{"ddof": 1}, {"axis": -1, "ddof": 1}]),
    "max": (distinct, True, []),
    "min": (distinct, True, []),
    "amax": (distinct, True, []),
    "amin": (distinct, True, []),
    "ptp": (distinct, True, []),
    "median": (distinct, True, []),
    "cumsum": (U, False, []),
    "cumprod": (away0(0.5, 1.5), False, []),
    "nansum": (U, True, []),
    "nanmean": (U, True, []),
    "nanmax": (distinct, True, []),
    "average": (U, False, []),
    "count_nonzero": None,
}
REDUCTIONS.pop("count_nonzero")


def _kw(kw):
    return "".join(f", {k}={v!r}" for k, v in kw.items())


def _variants(ndim, tuple_ok):
    out = [{}, {"axis": 0}, {"axis": -1}]
    if ndim >= 2:
        out.append({"axis": 1})
        if tuple_ok:
            out.append({"axis": (0, 1)})
    if ndim == 3 and tuple_ok:
        out.append({"axis": (0, 2)})
    if tuple_ok:
        out += [{"keepdims": True}, {"axis": -1, "keepdims": True}]
    return out


for _name, (_gen, _tuple_ok, _extra) in REDUCTIONS.items():
    for _s in [(5,), (3, 4), (2, 3, 4)]:
        for _k in _variants(len(_s), _tuple_ok) + _extra:
            if _name == "average" and "axis" in _k and isinstance(_k["axis"], tuple):
                continue
            add("reduce", _name + _kw(_k), f"np.{_name}(x{_kw(_k)})", [(_gen, _s)], hess=True)
    if _name in ("sum", "mean", "prod", "max", "cumsum"):
        add("reduce", _name, f"np.{_name}(x)", [(_gen, ())], hess=True)
        add("reduce", _name, f"np.{_name}(x)", [(_gen, S)], hess=True)
for _name in ("nansum", "nanmean", "nanmax"):
    for _k in [{}, {"axis": 0}, {"axis": 1, "keepdims": True}]:
        add("reduce", _name + "-nan" + _kw(_k), f"np.{_name}(x{_kw(_k)})", [(with_nan, (3, 4))], hess=True)
add("reduce", "average-weights", "np.average(x, axis=1, weights=y)", [(U, (3, 4)), (POS, (4,))], hess=True)
add("reduce", "logsumexp-like", "np.log(np.sum(np.exp(x), axis=-1))", [(U, (3, 4))], hess=True)

# ------------------------------------------------------------------ methods
METHODS = [
    ("sum", "x.sum()", U, (3, 4)),
    ("sum-axis0", "x.sum(axis=0)", U, (3, 4)),
    ("sum-keepdims", "x.sum(axis=1, keepdims=True)", U, (3, 4)),
    ("mean", "x.mean()", U, (3, 4)),
    ("mean-axis-1", "x.mean(axis=-1)", U, (2, 3, 4)),
    ("max", "x.max()", distinct, (3, 4)),
    ("max-axis1", "x.max(axis=1)", distinct, (3, 4)),
    ("min", "x.min(axis=0)", distinct, (3, 4)),
    ("prod", "x.prod(axis=0)", away0(0.5, 1.5), (3, 4)),
    ("prod-all", "x.prod()", away0(0.5, 1.5), (2, 3)),
    ("var", "x.var()", U, (3, 4)),
    ("var-ddof", "x.var(axis=0, ddof=1)", U, (3, 4)),
    ("std", "x.std(axis=1)", U, (3, 4)),
    ("std-ddof", "x.std(ddof=1)", U, (5,)),
    ("cumsum", "x.cumsum(axis=1)", U, (3, 4)),
    ("cumsum-flat", "x.cumsum()", U, (3, 4)),
    ("cumprod", "x.cumprod(axis=0)", away0(0.5, 1.5), (3, 4)),
    ("T", "x.T", U, (3, 4)),
    ("T3", "x.T", U, (2, 3, 4)),
    ("mT", "x.mT", U, (2, 3, 4)),
    ("reshape", "x.reshape(4, 3)", U, (3, 4)),
    ("reshape-tuple", "x.reshape((2, -1))", U, (3, 4)),
    ("reshape-flat", "x.reshape(-1)", U, (3, 4)),
    ("transpose", "x.transpose()", U, (3, 4)),
    ("transpose-axes", "x.transpose(1, 0, 2)", U, (2, 3, 4)),
    ("transpose-tuple", "x.transpose((2, 0, 1))", U, (2, 3, 4)),
    ("astype64", "x.astype(np.float64)", U, (3, 4)),
    ("astype32", "x.astype(np.float32)", U, (3, 4)),
    ("clip", "x.clip(-0.5, 0.5)", grid_a, (3, 4)),
    ("clip-min", "x.clip(min=-0.3)", grid_a, (3, 4)),
    ("squeeze", "x.squeeze()", U, (3, 1, 4)),
    ("squeeze-axis", "x.squeeze(axis=1)", U, (3, 1, 4)),
    ("flatten", "x.flatten()", U, (3, 4)),
    ("flatten-F", "x.flatten(order='F')", U, (3, 4)),
    ("ravel", "x.ravel()", U, (2, 3, 4)),
    ("swapaxes", "x.swapaxes(0, 2)", U, (2, 3, 4)),
    ("sort-copy", "np.sort(x.copy())", distinct, (5,)),
    ("item-chain", "x.sum(axis=0).max()", distinct, (3, 4)),
    ("trace", "x.trace()", U, (3, 3)),
    ("diagonal", "x.diagonal()", U, (3, 4)),
    ("conj", "x.conj()", U, (3,)),
]
for _label, _expr, _gen, _s in METHODS:
    _red = _label.split("-")[0] in ("sum", "mean", "max", "min", "prod", "var", "std", "cumsum", "cumprod")
    if _label == "astype32":
        # the output is float32: finite differences need a large step and a loose tolerance
        add("method", _label, _expr, [(_gen, _s)], eps=1e-2, rtol=1e-4)
    else:
        add("method", _label, _expr, [(_gen, _s)], hess=_red)
add("method", "dot", "x.dot(y)", [(U, (3, 4)), (U, (4, 2))])
add("method", "dot-vec", "x.dot(y)", [(U, (4,)), (U, (4,))])
add("method", "clip-arrays", "x.clip(y, z)", [(grid_a, (3, 4)), (uni(-0.98, -0.9), (4,)), (uni(0.9, 0.98), (3, 1))])

# ------------------------------------------------------------------ linear algebra
add("linalg", "dot", "np.dot(x, y)", [(U, (4,)), (U, (4,))])
add("linalg", "dot", "np.dot(x, y)", [(U, (3, 4)), (U, (4,))])
add("linalg", "dot", "np.dot(x, y)", [(U, (3, 4)), (U, (4, 2))])
add("linalg", "dot", "np.dot(x, y)", [(U, (2, 3, 4)), (U, (4, 2))])
add("linalg", "dot", "np.dot(x, y)", [(U, S), (U, (3, 4))])
add("linalg", "dot", "np.dot(x, y)", [(U, (2, 3, 4)), (U, (2, 4, 2))])
add("linalg", "matmul", "np.matmul(x, y)", [(U, (3, 4)), (U, (4, 2))])
add("linalg", "matmul", "np.matmul(x, y)", [(U, (4,)), (U, (4, 2))])
add("linalg", "matmul", "np.matmul(x, y)", [(U, (3, 4)), (U, (4,))])
add("linalg", "matmul", "np.matmul(x, y)", [(U, (4,)), (U, (4,))])
add("linalg", "matmul", "np.matmul(x, y)", [(U, (2, 3, 4)), (U, (4, 2))])
add("linalg", "matmul", "np.matmul(x, y)", [(U, (2, 1, 3, 4)), (U, (3, 4, 2))])
add("linalg", "@", "x @ y", [(U, (2, 3, 4)), (U, (2, 4, 2))])
add("linalg", "@", "x @ y", [(U, (4,)), (U, (2, 4, 3))])
add("linalg", "vdot", "np.vdot(x, y)", [(U, (4,)), (U, (4,))])
add("linalg", "vdot", "np.vdot(x, y)", [(U, (2, 3)), (U, (2, 3))])
add("linalg", "inner", "np.inner(x, y)", [(U, (4,)), (U, (4,))])
add("linalg", "inner", "np.inner(x, y)", [(U, (3, 4)), (U, (2, 4))])
add("linalg", "inner", "np.inner(x, y)", [(U, S), (U, (2, 4))])
add("linalg", "outer", "np.outer(x, y)", [(U, (3,)), (U, (4,))])
add("linalg", "outer", "np.outer(x, y)", [(U, (2, 2)), (U, (3,))])
add("linalg", "multiply-outer", "np.multiply.outer(x, y)", [(U, (3,)), (U, (2, 2))])
for _ax, _sx, _sy in [
    ("1", (3, 4), (4, 2)),
    ("2", (2, 3, 4), (3, 4)),
    ("0", (3,), (2,)),
    ("([1], [0])", (3, 4), (4, 5)),
    ("([0, 1], [1, 0])", (3, 4), (4, 3)),
    ("([2, 0], [0, 1])", (2, 3, 4), (4, 2)),
]:
    add("linalg", f"tensordot-axes={_ax}", f"np.tensordot(x, y, axes={_ax})", [(U, _sx), (U, _sy)])
add("linalg", "tensordot-default", "np.tensordot(x, y)", [(U, (2, 3, 4)), (U, (3, 4, 2))])
EINSUM = [
    ("ij,jk->ik", [(3, 4), (4, 2)]),
    ("ij,ij->", [(3, 4), (3, 4)]),
    ("ij->ji", [(3, 4)]),
    ("ii->i", [(3, 3)]),
    ("ii", [(3, 3)]),
    ("ij->", [(3, 4)]),
    ("ij->i", [(3, 4)]),
    ("i,i->", [(4,), (4,)]),
    ("i,j->ij", [(3,), (4,)]),
    ("bij,bjk->bik", [(2, 3, 4), (2, 4, 2)]),
    ("ijk->kji", [(2, 3, 4)]),
    ("...ij,...jk->...ik", [(2, 3, 4), (4, 2)]),
    ("ij,jk,kl->il", [(2, 3), (3, 4), (4, 2)]),
    ("i,i,i->", [(4,), (4,), (4,)]),
    ("ij,j->i", [(3, 4), (4,)]),
    ("bi,bi->b", [(2, 3), (2, 3)]),
    ("iij->j", [(3, 3, 2)]),
    ("ij,kj->ik", [(3, 4), (2, 4)]),
    ("ij,jk", [(3, 4), (4, 2)]),
    ("ij,ij->ij", [(3, 4), (3, 4)]),
]
for _sub, _shapes in EINSUM:
    _names = ", ".join(NAMES[: len(_shapes)])
    add("einsum", _sub, f"np.einsum({_sub!r}, {_names})", [(U, s) for s in _shapes])
add("einsum", "ii->i-x2", "np.einsum('ii->i', x) * 2.0", [(U, (3, 3))])
add("einsum", "ij,ij->-same", "np.einsum('ij,ij->', x, x)", [(U, (3, 4))], hess=True)

add("linalg", "trace", "np.trace(x)", [(U, (3, 3))], hess=True)
add("linalg", "trace-offset", "np.trace(x, offset=1)", [(U, (3, 4))])
add("linalg", "trace-axes", "np.trace(x, axis1=1, axis2=2)", [(U, (2, 3, 3))])
add("linalg", "diag-vec", "np.diag(x)", [(U, (4,))])
add("linalg", "diag-vec-k", "np.diag(x, k=1)", [(U, (3,))])
add("linalg", "diag-mat", "np.diag(x)", [(U, (3, 4))])
add("linalg", "diag-mat-k", "np.diag(x, -1)", [(U, (3, 4))])
add("linalg", "diagonal", "np.diagonal(x)", [(U, (3, 4))])
add("linalg", "diagonal-offset", "np.diagonal(x, offset=1)", [(U, (3, 4))])
add("linalg", "diagonal-axes", "np.diagonal(x, axis1=1, axis2=2)", [(U, (2, 3, 3))])
for _fn in ("triu", "tril"):
    add("linalg", _fn, f"np.{_fn}(x)", [(U, (3, 4))])
    add("linalg", _fn + "-k1", f"np.{_fn}(x, k=1)", [(U, (3, 4))])
    add("linalg", _fn + "-k-1", f"np.{_fn}(x, -1)", [(U, (4, 3))])
    add("linalg", _fn + "-stacked", f"np.{_fn}(x)", [(U, (2, 3, 3))])
for _s in [(3, 3), (2, 3, 3), (1, 1)]:
    add("linalg", "inv", "np.linalg.inv(x)", [(wellcond, _s)], hess=True)
    add("linalg", "det", "np.linalg.det(x)", [(wellcond, _s)], hess=True)
    add("linalg", "slogdet", "np.linalg.slogdet(x)", [(wellcond, _s)])
    add("linalg", "slogdet-1", "np.linalg.slogdet(x)[1]", [(wellcond, _s)], hess=True)
add("linalg", "slogdet-unpack", "sign_and_log(x)", [(wellcond, (3, 3))])
add("linalg", "det-neg", "np.linalg.det(x)", [(lambda s, r: wellcond(s, r)[::-1].copy(), (3, 3))])
for _sa, _sb in [((3, 3), (3,)), ((3, 3), (3, 2)), ((2, 3, 3), (2, 3, 2)), ((2, 3, 3), (3,)), ((2, 3, 3), (2, 3, 1))]:
    add("linalg", "solve", "np.linalg.solve(x, y)", [(wellcond, _sa), (U, _sb)])
for _ord in ["None", "1", "2", "np.inf", "-np.inf", "3", "-1", "0.5"]:
    add("norm", f"vec-ord={_ord}", f"np.linalg.norm(x, ord={_ord})", [(distinct_abs, (5,))], hess=True)
for _ord in ["None", "'fro'", "'nuc'", "1", "-1", "2", "-2", "np.inf", "-np.inf"]:
    add("norm", f"mat-ord={_ord}", f"np.linalg.norm(x, ord={_ord})", [(distinct_abs, (3, 4))], hess=True)
for _kw_s, _s in [
    ("axis=0", (3, 4)),
    ("axis=1", (3, 4)),
    ("axis=-1, keepdims=True", (3, 4)),
    ("ord=1, axis=1", (3, 4)),
    ("ord=np.inf, axis=0", (3, 4)),
    ("ord=2, axis=0", (3, 4)),
    ("axis=(1, 2)", (2, 3, 4)),
    ("ord='fro', axis=(0, 1)", (3, 4)),
    ("ord='nuc', axis=(1, 2)", (2, 3, 4)),
    ("ord=2, axis=(1, 2)", (2, 3, 4)),
    ("ord=1, axis=(0, 2)", (2, 3, 4)),
    ("axis=-1", (2, 3, 4)),
    ("keepdims=True", (3, 4)),
]:
    add("norm", _kw_s, f"np.linalg.norm(x, {_kw_s})", [(distinct_abs, _s)], hess=True)
add("norm", "scalar-0d", "np.linalg.norm(x)", [(AWAY, ())])
add("linalg", "cross", "np.cross(x, y)", [(U, (3,)), (U, (3,))])
add("linalg", "cross", "np.cross(x, y)", [(U, (4, 3)), (U, (4, 3))])
add("linalg", "cross", "np.cross(x, y)", [(U, (4, 3)), (U, (3,))])
add("linalg", "cross-axis", "np.cross(x, y, axis=0)", [(U, (3, 4)), (U, (3, 4))])
add("linalg", "matrix_power", "np.linalg.matrix_power(x, 3)", [(U, (3, 3))])
add("linalg", "kron", "np.kron(x, y)", [(U, (2, 2)), (U, (2, 3))])

# ------------------------------------------------------------------ shape ops
SHAPE = [
    ("reshape", "np.reshape(x, (4, 3))", [(U, (3, 4))]),
    ("reshape-flat", "np.reshape(x, -1)", [(U, (3, 4))]),
    ("reshape-3d", "np.reshape(x, (2, 2, 3))", [(U, (3, 4))]),
    ("reshape-F", "np.reshape(x, (4, 3), order='F')", [(U, (3, 4))]),
    ("transpose", "np.transpose(x)", [(U, (2, 3, 4))]),
    ("transpose-axes", "np.transpose(x, (1, 0, 2))", [(U, (2, 3, 4))]),
    ("transpose-axes2", "np.transpose(x, axes=(2, 0, 1))", [(U, (2, 3, 4))]),
    ("swapaxes", "np.swapaxes(x, 0, 2)", [(U, (2, 3, 4))]),
    ("swapaxes-neg", "np.swapaxes(x, -1, 0)", [(U, (3, 4))]),
    ("moveaxis", "np.moveaxis(x, 0, -1)", [(U, (2, 3, 4))]),
    ("moveaxis-list", "np.moveaxis(x, [0, 1], [2, 0])", [(U, (2, 3, 4))]),
    ("expand_dims", "np.expand_dims(x, 0)", [(U, (3, 4))]),
    ("expand_dims-neg", "np.expand_dims(x, axis=-1)", [(U, (3, 4))]),
    ("expand_dims-tuple", "np.expand_dims(x, (0, 2))", [(U, (3, 4))]),
    ("squeeze", "np.squeeze(x)", [(U, (3, 1, 4))]),
    ("squeeze-axis", "np.squeeze(x, axis=1)", [(U, (3, 1, 4))]),
    ("squeeze-all", "np.squeeze(x)", [(U, (1, 1))]),
    ("ravel", "np.ravel(x)", [(U, (3, 4))]),
    ("ravel-F", "np.ravel(x, order='F')", [(U, (3, 4))]),
    ("concatenate-0", "np.concatenate([x, y])", [(U, (2, 3)), (U, (4, 3))]),
    ("concatenate-1", "np.concatenate((x, y), axis=1)", [(U, (2, 3)), (U, (2, 5))]),
    ("concatenate-None", "np.concatenate([x, y], axis=None)", [(U, (2, 3)), (U, (4,))]),
    ("concatenate-const", "np.concatenate([x, np.ones((2, 3)), x])", [(U, (2, 3))]),
    ("concatenate-neg", "np.concatenate([x, y, x], axis=-1)", [(U, (2, 2, 3)), (U, (2, 2, 1))]),
    ("stack-0", "np.stack([x, y])", [(U, (2, 3)), (U, (2, 3))]),
    ("stack-1", "np.stack((x, y), axis=1)", [(U, (2, 3)), (U, (2, 3))]),
    ("stack--1", "np.stack([x, y, x], axis=-1)", [(U, (4,)), (U, (4,))]),
    ("stack-scalars", "np.stack([x, y])", [(U, ()), (U, ())]),
    ("hstack", "np.hstack([x, y])", [(U, (3,)), (U, (2,))]),
    ("hstack-2d", "np.hstack((x, y))", [(U, (2, 3)), (U, (2, 1))]),
    ("vstack", "np.vstack([x, y])", [(U, (3,)), (U, (3,))]),
    ("vstack-2d", "np.vstack([x, y])", [(U, (2, 3)), (U, (1, 3))]),
    ("dstack", "np.dstack([x, y])", [(U, (2, 3)), (U, (2, 3))]),
    ("column_stack", "np.column_stack([x, y])", [(U, (3,)), (U, (3,))]),
    ("column_stack-2d", "np.column_stack((x, y))", [(U, (3, 2)), (U, (3,))]),
    ("array-list", "np.array([x, y])", [(U, (3,)), (U, (3,))]),
    ("array-scalars", "np.array([x, y, 2.0])", [(U, S), (U, S)]),
    ("split", "np.split(x, 2)", [(U, (4, 3))]),
    ("split-idx", "np.split(x, [1, 3], axis=1)", [(U, (2, 4))]),
    ("split-pick", "np.split(x, 3)[1] * 2.0", [(U, (6,))]),
    ("array_split", "np.array_split(x, 3)", [(U, (5,))]),
    ("array_split-axis", "np.array_split(x, 2, axis=1)", [(U, (2, 5))]),
    ("hsplit", "np.hsplit(x, 2)", [(U, (3, 4))]),
    ("vsplit", "np.vsplit(x, [1])", [(U, (3, 4))]),
    ("tile", "np.tile(x, 2)", [(U, (3,))]),
    ("tile-2d", "np.tile(x, (2, 1))", [(U, (2, 3))]),
    ("tile-up", "np.tile(x, (2, 1, 2))", [(U, (2, 3))]),
    ("repeat", "np.repeat(x, 2)", [(U, (2, 3))]),
    ("repeat-axis", "np.repeat(x, 2, axis=0)", [(U, (2, 3))]),
    ("repeat-list", "np.repeat(x, [1, 2, 0], axis=1)", [(U, (2, 3))]),
    ("repeat-method", "x.repeat(3)", [(U, (2,))]),
    ("roll", "np.roll(x, 2)", [(U, (5,))]),
    ("roll-flat", "np.roll(x, 5)", [(U, (3, 4))]),
    ("roll-axis", "np.roll(x, 1, axis=1)", [(U, (3, 4))]),
    ("roll-multi", "np.roll(x, (1, -2), axis=(0, 1))", [(U, (3, 4))]),
    ("flip", "np.flip(x)", [(U, (3, 4))]),
    ("flip-axis", "np.flip(x, axis=0)", [(U, (3, 4))]),
    ("flip-tuple", "np.flip(x, (0, 2))", [(U, (2, 3, 4))]),
    ("fliplr", "np.fliplr(x)", [(U, (3, 4))]),
    ("flipud", "np.flipud(x)", [(U, (3, 4))]),
    ("rot90", "np.rot90(x)", [(U, (3, 4))]),
    ("rot90-k2", "np.rot90(x, 2)", [(U, (3, 4))]),
    ("rot90-k3", "np.rot90(x, k=3)", [(U, (3, 4))]),
    ("rot90-axes", "np.rot90(x, 1, axes=(1, 2))", [(U, (2, 3, 4))]),
    ("pad-constant", "np.pad(x, 1)", [(U, (3, 4))]),
    ("pad-constant-value", "np.pad(x, ((1, 2), (0, 1)), constant_values=2.0)", [(U, (3, 4))]),
    ("pad-edge", "np.pad(x, ((1, 2), (0, 1)), mode='edge')", [(U, (3, 4))]),
    ("pad-reflect", "np.pad(x, 2, mode='reflect')", [(U, (5,))]),
    ("pad-reflect-2d", "np.pad(x, 1, mode='reflect')", [(U, (3, 4))]),
    ("pad-wrap", "np.pad(x, (2, 1), mode='wrap')", [(U, (5,))]),
    ("pad-symmetric", "np.pad(x, 1, mode='symmetric')", [(U, (3, 4))]),
    ("broadcast_to", "np.broadcast_to(x, (3, 4))", [(U, (4,))]),
    ("broadcast_to-col", "np.broadcast_to(x, (2, 3, 4)) * 1.0", [(U, (3, 1))]),
    ("broadcast_to-scalar", "np.broadcast_to(x, (2, 2))", [(U, S)]),
    ("broadcast_arrays", "np.broadcast_arrays(x, y)", [(U, (3, 1)), (U, (4,))]),
    ("atleast_2d", "np.atleast_2d(x)", [(U, (4,))]),
    ("atleast_2d-scalar", "np.atleast_2d(x)", [(U, S)]),
    ("atleast_1d-0d", "np.atleast_1d(x)", [(U, ())]),
    ("atleast_3d", "np.atleast_3d(x)", [(U, (3, 4))]),
    ("take", "np.take(x, [0, 2], axis=1)", [(U, (3, 4))]),
    ("take-flat", "np.take(x, [3, 0, 0, 11])", [(U, (3, 4))]),
    ("take-scalar", "np.take(x, 1, axis=0)", [(U, (3, 4))]),
    ("take-2d-idx", "np.take(x, np.array([[0, 1], [2, 2]]), axis=0)", [(U, (3, 4))]),
    ("take_along_axis", "np.take_along_axis(x, np.argsort(x, axis=1), axis=1)", [(distinct, (3, 4))]),
    ("take_along_axis-const", "np.take_along_axis(x, np.array([[0], [2], [1]]), axis=1)", [(U, (3, 4))]),
    ("take_along_axis-0", "np.take_along_axis(x, np.array([[2, 0, 1, 1]]), axis=0)", [(U, (3, 4))]),
    ("where", "np.where(x > 0, x, y)", [(AWAY, (3, 4)), (U, (3, 4))]),
    ("where-bcast", "np.where(x > 0, x, y)", [(AWAY, (3, 1)), (U, (4,))]),
    ("where-const", "np.where(x > 0, x, 0.0)", [(AWAY, (3, 4))]),
    ("where-scalar", "np.where(x > 0.0, x * x, y)", [(AWAY, S), (U, (3,))]),
    ("where-mask", "np.where(np.array([True, False, True]), x, y)", [(U, (2, 3)), (U, S)]),
    ("clip", "np.clip(x, -0.5, 0.5)", [(grid_a, (3, 4))]),
    ("clip-scalar", "np.clip(x, -0.5, 0.5)", [(grid_a, S)]),
    ("clip-none", "np.clip(x, None, 0.3)", [(grid_a, (3, 4))]),
    ("clip-arrays", "np.clip(x, y, z)", [(grid_a, (3, 4)), (uni(-0.7, -0.5), (4,)), (uni(0.5, 0.7), (3, 1))]),
    ("clip-arrays-bind", "np.clip(x, y, z)", [(grid_a, (3, 4)), (grid_b, (3, 4)), (uni(0.9, 0.98), (3, 4))]),
    ("sort", "np.sort(x)", [(distinct, (5,))]),
    ("sort-0", "np.sort(x, axis=0)", [(distinct, (3, 4))]),
    ("sort--1", "np.sort(x, axis=-1)", [(distinct, (3, 4))]),
    ("sort-None", "np.sort(x, axis=None)", [(distinct, (3, 4))]),
    ("sort-3d", "np.sort(x, axis=1)", [(distinct, (2, 3, 4))]),
    ("flip-sort", "np.sort(x)[::-1]", [(distinct, (5,))]),
    ("triu-indices", "x[np.triu_indices(3)]", [(U, (3, 3))]),
    ("diff", "np.diff(x)", [(U, (5,))]),
    ("diff-axis", "np.diff(x, n=2, axis=0)", [(U, (4, 3))]),
    ("copy", "np.copy(x)", [(U, (3, 4))]),
    ("asarray", "np.asarray(x) * 1.0", [(U, (3, 4))]),
    ("append", "np.append(x, y)", [(U, (3,)), (U, (2,))]),
    ("sort-method", "sorted_copy(x)", [(distinct, (5,))]),
]
for _label, _expr, _args in SHAPE:
    add("shape", _label, _expr, _args)

# ------------------------------------------------------------------ indexing
INDEX = [
    ("slice", "x[1:3]", (5,)),
    ("step", "x[::2]", (5,)),
    ("neg-step", "x[::-1]", (5,)),
    ("neg-step2", "x[4:0:-2]", (5,)),
    ("neg-index", "x[-1]", (5,)),
    ("tail", "x[-2:]", (5,)),
    ("2d-slices", "x[1:, ::-2]", (3, 4)),
    ("2d-int", "x[1, 2]", (3, 4)),
    ("2d-row", "x[1]", (3, 4)),
    ("2d-col", "x[:, -1]", (3, 4)),
    ("chained", "x[0][1]", (3, 4)),
    ("tuple-index", "x[(0, 1)]", (3, 4)),
    ("adv-list", "x[[0, 2]]", (3, 4)),
    ("adv-array", "x[np.array([2, 0, 2])]", (3, 4)),
    ("adv-col", "x[:, [3, 0]]", (3, 4)),
    ("adv-pair", "x[[0, 1], [2, 3]]", (3, 4)),
    ("adv-bcast", "x[np.array([[0], [2]]), np.array([1, 3])]", (3, 4)),
    ("adv-mixed", "x[1:, [0, 0, 3]]", (3, 4)),
    ("adv-3d", "x[:, [0, 2], 1:]", (2, 3, 4)),
    ("bool-self", "x[x > 0]", (3, 4)),
    ("bool-const", "x[np.array([True, False, True])]", (3, 4)),
    ("bool-row", "x[:, np.array([True, False, True, True])]", (3, 4)),
    ("none", "x[None]", (3, 4)),
    ("none-mid", "x[:, None, :]", (3, 4)),
    ("ellipsis", "x[..., 1]", (2, 3, 4)),
    ("ellipsis-none", "x[..., None]", (3, 4)),
    ("int-ellipsis", "x[1, ...]", (2, 3, 4)),
    ("3d-mixed", "x[:, 1:, ::2]", (2, 3, 4)),
    ("3d-neg", "x[-1, ::-1, 2]", (2, 3, 4)),
    ("0d-empty-tuple", "x[()]", ()),
    ("0d-ellipsis", "x[...]", ()),
    ("empty-slice", "x[3:1]", (5,)),
]
for _label, _expr, _s in INDEX:
    add("index", _label, _expr, [(AWAY if "bool-self" in _label else U, _s)])


# ------------------------------------------------------------------ keyword edge cases and values at removable singularities
def zeros_at(*idx):
    def g(shape, rng):
        v = uni(0.5, 1.5)(shape, rng) * rng.choice([-1.0, 1.0], shape)
        for i in idx:
            v.flat[i] = 0.0
        return v

    return g


def shifted(c, gen=U):
    return lambda shape, rng: gen(shape, rng) + c


def fixed(values):
    return lambda shape, rng: np.array(values, dtype=np.float64).reshape(shape)


def zero_row(shape, rng):
    v = rng.uniform(-1, 1, shape)
    v[1] = 0.0
    return v


MASK = "np.array([[True, False, True, True], [False, True, True, False], [True, True, False, True]])"
EDGE = [
    ("sum-dtype64", "np.sum(x, axis=0, dtype=np.float64)", [(U, (3, 4))], {}),
    ("sum-dtype32", "np.sum(x, axis=0, dtype=np.float32)", [(U, (3, 4))], {"eps": 1e-2, "rtol": 1e-3}),
    ("mean-dtype32", "np.mean(x, dtype=np.float32)", [(U, (3, 4))], {"eps": 1e-2, "rtol": 1e-3}),
    ("cumsum-dtype", "np.cumsum(x, axis=1, dtype=np.float64)", [(U, (3, 4))], {}),
    ("prod-dtype", "np.prod(x, axis=1, dtype=np.float64)", [(POS, (3, 4))], {}),
    ("sum-where", f"np.sum(x, axis=1, where={MASK})", [(U, (3, 4))], {"hess": True}),
    ("mean-where", f"np.mean(x, where={MASK})", [(U, (3, 4))], {"hess": True}),
    ("var-where", f"np.var(x, axis=0, where={MASK})", [(U, (3, 4))], {"hess": True}),
    ("max-initial", "np.max(x, axis=0, initial=-10.0)", [(distinct, (3, 4))], {"hess": True}),
    ("max-initial-wins", "np.max(x, axis=0, initial=1.5)", [(distinct, (3, 4))], {}),
    ("max-where", f"np.max(x, axis=1, where={MASK}, initial=-10.0)", [(distinct, (3, 4))], {}),
    ("min-where", f"np.min(x, where={MASK}, initial=10.0)", [(distinct, (3, 4))], {}),
    ("sum-initial", "np.sum(x, initial=1.0)", [(U, (3, 4))], {}),
    ("prod-initial", "np.prod(x, axis=0, initial=2.0)", [(POS, (3, 4))], {"hess": True}),
    ("var-mean", "np.var(x, axis=1, mean=np.mean(x, axis=1, keepdims=True))", [(U, (3, 4))], {"hess": True}),
    ("std-correction", "np.std(x, axis=0, correction=1)", [(U, (3, 4))], {"hess": True}),
    ("var-ddof-keepdims", "np.var(x, axis=(0, 2), ddof=1, keepdims=True)", [(U, (2, 3, 4))], {"hess": True}),
    ("prod-one-zero", "np.prod(x)", [(zeros_at(1), (5,))], {"hess": True}),
    ("prod-two-zeros", "np.prod(x)", [(zeros_at(1, 3), (5,))], {"hess": True}),
    ("prod-zero-axis", "np.prod(x, axis=1)", [(zeros_at(1, 6), (3, 4))], {"hess": True}),
    ("prod-zero-keepdims", "np.prod(x, axis=0, keepdims=True)", [(zeros_at(0, 4), (3, 4))], {"hess": True}),
    ("cumprod-zero", "np.cumprod(x)", [(zeros_at(2), (5,))], {"hess": True}),
    ("cumprod-zero-axis", "np.cumprod(x, axis=1)", [(zeros_at(1, 9), (3, 4))], {"hess": True}),
    ("prod-method-zero", "x.prod(axis=0)", [(zeros_at(0, 5), (3, 4))], {"hess": True}),
    ("sinc-at-0", "np.sinc(x)", [(zeros_at(0, 2), (5,))], {"hess": True}),
    ("logaddexp-large", "np.logaddexp(x, y)", [(shifted(1000.0), (4,)), (shifted(1000.0), (4,))], {"hess": True}),
    ("logaddexp-far", "np.logaddexp(x, y)", [(shifted(-800.0), (4,)), (U, (4,))], {"hess": True}),
    ("logaddexp2-large", "np.logaddexp2(x, y)", [(shifted(1500.0), (4,)), (shifted(1500.0), (4,))], {"hess": True}),
    ("logsumexp-stable", "np.max(x) + np.log(np.sum(np.exp(x - np.max(x))))", [(shifted(800.0, distinct), (5,))], {}),
    ("hypot-large", "np.hypot(x, y)", [(shifted(1e200, POS), (3,)), (POS, (3,))], {}),
    ("power-zero-base", "np.power(x, 3.0)", [(zeros_at(1), (4,))], {"hess": True}),
    ("power-zero-base-2", "x ** 2", [(zeros_at(0), (4,))], {"hess": True}),
    (
        "power-neg-base",
        "np.power(x, y)",
        [(uni(-2.0, -0.5), (4,)), (fixed([2.0, 3.0, -1.0, 0.0]), (4,))],
        {"wrts": [(0,)], "hess": True},
    ),
    ("float_power-neg-base", "np.float_power(x, 3)", [(uni(-2.0, -0.5), (4,))], {"hess": True}),
    ("power-exp0", "np.power(x, 0.0)", [(U, (4,))], {"hess": True}),
    ("sqrt-of-square", "np.sqrt(x * x + 1.0)", [(U, (4,))], {"hess": True}),
    ("clip-crossed", "np.clip(x, y, z)", [(grid_a, (3, 4)), (uni(0.9, 0.95), (4,)), (uni(-0.95, -0.9), (3, 1))], {}),
    ("maximum-inf", "np.maximum(x, -np.inf)", [(U, (4,))], {"hess": True}),
    ("where-nan-branch", "np.where(x > 0, np.log(np.abs(x)), 0.0)", [(AWAY, (5,))], {"hess": True}),
    ("nan_to_num", "np.nan_to_num(x)", [(with_nan, (3, 4))], {}),
    ("linspace", "np.linspace(x, y, 5)", [(U, S), (U, S)], {}),
    ("linspace-arrays", "np.linspace(x, y, 4, axis=1)", [(U, (3,)), (U, (3,))], {}),
    ("linspace-noend", "np.linspace(x, y, 4, endpoint=False)", [(U, S), (U, S)], {}),
    ("meshgrid", "np.meshgrid(x, y)", [(U, (3,)), (U, (2,))], {}),
    ("meshgrid-ij", "np.meshgrid(x, y, indexing='ij')", [(U, (3,)), (U, (2,))], {}),
    ("sliding_window", "np.lib.stride_tricks.sliding_window_view(x, 3)", [(U, (6,))], {}),
    ("sliding_window-2d", "np.lib.stride_tricks.sliding_window_view(x, (2, 2))", [(U, (3, 4))], {}),
    ("convolve", "np.convolve(x, y)", [(U, (5,)), (U, (3,))], {}),
    ("convolve-same", "np.convolve(x, y, mode='same')", [(U, (5,)), (U, (3,))], {}),
    ("convolve-valid", "np.convolve(x, y, 'valid')", [(U, (3,)), (U, (5,))], {}),
    ("heaviside", "np.heaviside(x, 0.5) * x", [(AWAY, (5,))], {}),
    ("around", "np.around(x, 2) + x", [(frac, (5,))], {}),
    ("round", "np.round(x)", [(frac, (5,))], {}),
    ("fix", "np.fix(x)", [(frac, (5,))], {}),
    ("degrees", "np.degrees(x)", [(U, (5,))], {}),
    ("radians", "np.radians(x)", [(U, S)], {}),
    ("positive", "np.positive(x)", [(U, (5,))], {}),
    ("real", "np.real(x)", [(U, (5,))], {}),
    ("conjugate", "np.conjugate(x)", [(U, (5,))], {}),
    ("floor_divide", "np.floor_divide(x, y) * y + x", [(frac, (4,)), (near_one, (4,))], {}),
    ("op-floordiv", "(x // y) * x", [(frac, (4,)), (near_one, (4,))], {}),
    ("angle", "np.angle(x) + x", [(AWAY, (4,))], {}),
    ("tri-mul", "np.tri(3, 4) * x", [(U, (3, 4))], {}),
    ("eye-mul", "x @ np.eye(4)", [(U, (3, 4))], {}),
    ("empty-sin", "np.sin(x)", [(U, (0,))], {}),
    ("empty-sum", "np.sum(x, axis=0)", [(U, (0, 3))], {}),
    ("empty-matmul", "x @ y", [(U, (3, 0)), (U, (0, 2))], {}),
    ("unregistered-eigvalsh", "np.linalg.eigvalsh(x + x.T)", [(wellcond, (3, 3))], {}),
    ("unregistered-svdvals", "np.linalg.svd(x, compute_uv=False)", [(U, (3, 4))], {}),
    ("unregistered-cholesky", "np.linalg.cholesky(x @ x.T)", [(wellcond, (3, 3))], {}),
    ("unregistered-qr", "np.linalg.qr(x)", [(wellcond, (3, 3))], {}),
    ("unregistered-pinv", "np.linalg.pinv(x)", [(U, (3, 4))], {}),
    ("unregistered-vector_norm", "np.linalg.vector_norm(x, axis=1)", [(U, (3, 4))], {}),
    ("unregistered-matrix_norm", "np.linalg.matrix_norm(x)", [(U, (3, 4))], {}),
    ("unregistered-quantile", "np.quantile(x, 0.3)", [(distinct, (5,))], {}),
    ("unregistered-percentile", "np.percentile(x, 40.0, axis=1)", [(distinct, (3, 4))], {}),
    ("unregistered-interp", "np.interp(x, np.array([-1.0, 0.0, 1.0]), np.array([0.0, 2.0, 1.0]))", [(AWAY, (4,))], {}),
    ("unregistered-nanmin", "np.nanmin(x)", [(distinct, (5,))], {}),
    ("unregistered-nanprod", "np.nanprod(x)", [(POS, (5,))], {}),
    ("unregistered-nanstd", "np.nanstd(x)", [(U, (5,))], {}),
    ("unregistered-nanvar", "np.nanvar(x, axis=0)", [(U, (3, 4))], {}),
    ("unregistered-nancumsum", "np.nancumsum(x)", [(U, (5,))], {}),
    ("unregistered-trapezoid", "np.trapezoid(x)", [(U, (5,))], {}),
    ("unregistered-polyval", "np.polyval(x, 0.7)", [(U, (4,))], {}),
    ("unregistered-correlate", "np.correlate(x, y, 'full')", [(U, (5,)), (U, (3,))], {}),
    ("unregistered-cumulative_sum", "np.cumulative_sum(x)", [(U, (5,))], {}),
    ("unregistered-multi_dot", "np.linalg.multi_dot([x, y, x.T])", [(U, (3, 4)), (U, (4, 4))], {}),
    ("unregistered-lstsq", "np.linalg.lstsq(x, y)[0]", [(U, (4, 3)), (U, (4,))], {}),
    ("unregistered-gradient", "np.gradient(x)", [(U, (5,))], {}),
    ("unregistered-ediff1d", "np.ediff1d(x)", [(U, (5,))], {}),
    ("unregistered-modf", "np.modf(x)", [(frac, (5,))], {}),
    ("unregistered-divmod", "np.divmod(x, y)", [(frac, (4,)), (near_one, (4,))], {}),
    ("unregistered-ldexp", "np.ldexp(x, 3)", [(U, (4,))], {}),
    ("unregistered-nanmedian", "np.nanmedian(x)", [(distinct, (5,))], {}),
]
for _label, _expr, _args, _opts in EDGE:
    if _available(_expr):
        add("edge", _label, _expr, _args, **_opts)


# ------------------------------------------------------------------ positional arguments, layouts, integer operands
def fortran(shape, rng):
    return np.asfortranarray(rng.uniform(-1.0, 1.0, shape))


def reversed_view(shape, rng):
    return rng.uniform(-1.0, 1.0, shape)[::-1]


def transposed_view(shape, rng):
    return rng.uniform(-1.0, 1.0, shape[::-1]).T


MORE = [
    # positional arguments (a rule that maps them to the wrong parameter is silently wrong)
    ("sum-pos-axis", "np.sum(x, 0)", [(U, (3, 4))], {"hess": True}),
    ("mean-pos-axis", "np.mean(x, 1, None, None, True)", [(U, (3, 4))], {"hess": True}),
    ("var-pos-ddof", "np.var(x, 0, None, None, 1)", [(U, (3, 4))], {"hess": True}),
    ("std-pos-ddof", "np.std(x, None, None, None, 1)", [(U, (3, 4))], {"hess": True}),
    ("var-pos-axis", "np.var(x, 1)", [(U, (3, 4))], {"hess": True}),
    ("prod-pos", "np.prod(x, 1)", [(POS, (3, 4))], {"hess": True}),
    ("max-pos", "np.max(x, 1)", [(distinct, (3, 4))], {}),
    ("max-pos-keep", "np.max(x, 0, None, True)", [(distinct, (3, 4))], {}),
    ("cumsum-pos", "np.cumsum(x, 0)", [(U, (3, 4))], {}),
    ("cumprod-pos", "np.cumprod(x, 1)", [(POS, (3, 4))], {}),
    ("median-pos", "np.median(x, 0)", [(distinct, (3, 4))], {}),
    ("norm-pos", "np.linalg.norm(x, 2, 0)", [(distinct_abs, (3, 4))], {"hess": True}),
    ("norm-pos-keep", "np.linalg.norm(x, 1, 1, True)", [(distinct_abs, (3, 4))], {}),
    ("sort-pos", "np.sort(x, 0)", [(distinct, (3, 4))], {}),
    ("take-pos", "np.take(x, [1, 0], 1)", [(U, (3, 4))], {}),
    ("roll-pos", "np.roll(x, 1, 0)", [(U, (3, 4))], {}),
    ("repeat-pos", "np.repeat(x, 2, 1)", [(U, (2, 3))], {}),
    ("clip-kw", "np.clip(x, a_min=-0.5, a_max=0.5)", [(grid_a, (3, 4))], {}),
    ("clip-minmax-kw", "np.clip(x, min=-0.5, max=0.5)", [(grid_a, (3, 4))], {}),
    ("trace-pos", "np.trace(x, 1)", [(U, (3, 4))], {}),
    ("trace-pos-axes", "np.trace(x, 0, 0, 2)", [(U, (3, 2, 3))], {}),
    ("diagonal-pos", "np.diagonal(x, 1, 1, 0)", [(U, (3, 4))], {}),
    ("tensordot-pos", "np.tensordot(x, y, 1)", [(U, (3, 4)), (U, (4, 2))], {}),
    ("concatenate-pos", "np.concatenate((x, y), 1)", [(U, (2, 3)), (U, (2, 1))], {}),
    ("stack-pos", "np.stack((x, y), 1)", [(U, (2, 3)), (U, (2, 3))], {}),
    ("expand_dims-pos", "np.expand_dims(x, 1)", [(U, (3, 4))], {}),
    ("squeeze-pos", "np.squeeze(x, 1)", [(U, (3, 1, 4))], {}),
    ("flip-pos", "np.flip(x, 1)", [(U, (3, 4))], {}),
    ("pad-pos-mode", "np.pad(x, 1, 'edge')", [(U, (3, 4))], {}),
    ("pad-mean", "np.pad(x, 1, mode='mean')", [(U, (3, 4))], {}),
    ("pad-maximum", "np.pad(x, (1, 2), mode='maximum')", [(distinct, (5,))], {}),
    ("pad-linear_ramp", "np.pad(x, 2, mode='linear_ramp', end_values=0.5)", [(U, (4,))], {}),
    ("split-pos", "np.split(x, 2, 1)", [(U, (2, 4))], {}),
    ("cross-pos", "np.cross(x, y, -1, -1, -1)", [(U, (4, 3)), (U, (4, 3))], {}),
    ("method-sum-pos", "x.sum(0)", [(U, (3, 4))], {"hess": True}),
    ("method-mean-tuple", "x.mean((0, 2))", [(U, (2, 3, 4))], {"hess": True}),
    ("method-var-pos", "x.var(1)", [(U, (3, 4))], {"hess": True}),
    ("method-std-tuple-ddof", "x.std(axis=(0, 1), ddof=1)", [(U, (3, 4))], {"hess": True}),
    ("method-max-tuple", "x.max(axis=(0, 1))", [(distinct, (2, 3, 4))], {}),
    ("method-max-keep", "x.max(1, keepdims=True)", [(distinct, (3, 4))], {}),
    ("method-min-pos", "x.min(0)", [(distinct, (3, 4))], {}),
    ("method-cumprod-flat", "x.cumprod()", [(POS, (2, 3))], {}),
    ("method-prod-keep", "x.prod(axis=1, keepdims=True)", [(POS, (3, 4))], {"hess": True}),
    ("method-reshape-F", "x.reshape((4, 3), order='F')", [(U, (3, 4))], {}),
    ("method-T-1d", "x.T", [(U, (4,))], {}),
    ("method-dot-1d-2d", "x.dot(y)", [(U, (3,)), (U, (3, 4))], {}),
    ("method-clip-max", "x.clip(max=0.5)", [(grid_a, (3, 4))], {}),
    ("method-squeeze-pos", "x.squeeze(0)", [(U, (1, 3))], {}),
    ("method-swapaxes-neg", "x.swapaxes(-1, -2)", [(U, (2, 3, 4))], {}),
    ("method-take", "x.take([2, 0], axis=1)", [(U, (3, 4))], {}),
    ("method-repeat-axis", "x.repeat(2, axis=0)", [(U, (2, 3))], {}),
    ("method-diagonal-offset", "x.diagonal(1)", [(U, (3, 4))], {}),
    ("method-trace-offset", "x.trace(-1)", [(U, (3, 4))], {}),
    ("method-round-plus", "x.round(1) + x", [(frac, (4,))], {}),
    ("method-copy", "x.copy()", [(U, (3, 4))], {}),
    ("method-item", "x.item()", [(U, ())], {}),
    ("method-tolist", "x.tolist()", [(U, (3,))], {}),
    ("fill_diagonal", "zero_diagonal(x)", [(U, (3, 3))], {}),
    # einsum: sublists, optimize, ellipsis broadcasting
    ("einsum-sublist", "np.einsum(x, [0, 1], y, [1, 2], [0, 2])", [(U, (3, 4)), (U, (4, 2))], {}),
    (
        "einsum-optimize",
        "np.einsum('ij,jk,kl->il', x, y, z, optimize=True)",
        [(U, (2, 3)), (U, (3, 4)), (U, (4, 2))],
        {},
    ),
    ("einsum-ellipsis-bcast", "np.einsum('...i,...i->...', x, y)", [(U, (2, 1, 4)), (U, (3, 4))], {}),
    ("einsum-ellipsis-lead", "np.einsum('i...->...', x)", [(U, (3, 2, 4))], {}),
    ("einsum-scalar", "np.einsum(',ij->ij', x, y)", [(U, ()), (U, (2, 3))], {}),
    ("einsum-repeated-out", "np.einsum('ij,ij,ij->i', x, y, x)", [(U, (2, 3)), (U, (2, 3))], {}),
    # memory layouts of the inputs
    ("F-reshape", "np.reshape(x, (4, 3))", [(fortran, (3, 4))], {}),
    ("F-ravel", "x.ravel()", [(fortran, (3, 4))], {}),
    ("F-matmul", "x @ y", [(fortran, (3, 4)), (transposed_view, (4, 2))], {}),
    ("F-sum", "x.sum(axis=0)", [(fortran, (3, 4))], {"hess": True}),
    ("rev-sin", "np.sin(x)", [(reversed_view, (5,))], {"hess": True}),
    ("rev-cumsum", "np.cumsum(x)", [(reversed_view, (5,))], {}),
    ("rev-index", "x[1:, ::2]", [(reversed_view, (3, 4))], {}),
    ("T-reshape", "x.reshape(-1)", [(transposed_view, (3, 4))], {}),
    ("T-sort", "np.sort(x, axis=0)", [(lambda s, r: distinct(s[::-1], r).T, (3, 4))], {}),
    ("T-inv", "np.linalg.inv(x)", [(lambda s, r: wellcond(s, r).T, (3, 3))], {}),
    # integer and boolean operands mixed with differentiated ones
    ("int-pow", "np.power(x, 2)", [(U, (4,))], {"hess": True}),
    ("int-rdiv", "np.divide(1, x)", [(AWAY, (4,))], {"hess": True}),
    ("int-rsub", "np.subtract(2, x)", [(U, (4,))], {"hess": True}),
    ("int-relu", "np.maximum(x, 0)", [(AWAY, (4,))], {"hess": True}),
    ("int-where", "np.where(x > 0, x, 0)", [(AWAY, (4,))], {"hess": True}),
    ("int-array-mul", "x * np.arange(4)", [(U, (4,))], {"hess": True}),
    ("bool-mul", "x * (x > 0)", [(AWAY, (4,))], {"hess": True}),
    ("int-matmul", "np.arange(6).reshape(2, 3) @ x", [(U, (3, 2))], {}),
    ("int-power-neg", "x ** -2", [(AWAY, (4,))], {"hess": True}),
    ("int-clip", "np.clip(x, 0, 1)", [(grid_a, (4,))], {}),
    ("sum-over-list", "sum([x, y, x])", [(U, (3,)), (U, (3,))], {}),
    ("python-max", "max(x, y)", [(U, S), (shifted(2.0), S)], {}),
    ("python-abs-pow", "abs(x) ** 1.5", [(AWAY, S)], {"hess": True}),
]
for _label, _expr, _args, _opts in MORE:
    if _available(_expr):
        add("more", _label, _expr, _args, **_opts)


HELPERS = """
def sign_and_log(a):
    s, l = np.linalg.slogdet(a)
    return s * l


def zero_diagonal(a):
    b = a.copy()
    np.fill_diagonal(b, 0.0)
    return b


def sorted_copy(a):
    b = a.copy()
    b.sort()
    return b
"""


# Second order beyond elementwise ops and reductions: every point with one differentiated argument whose
# result is one float array or scalar also checks the Hessian of sum(f * w).
_NS = {"np": np}
exec(HELPERS, _NS)
for _p in POINTS:
    if _p.hess or len(_p.wrt) != 1 or _p.eps != H or _p.id.startswith(("unary:", "binary:", "reduce:")):
        continue
    try:
        _val = eval(f"lambda {', '.join(NAMES[: len(_p.args)])}: {_p.expr}", _NS)(*_args_of(_p))
    except Exception:  # noqa: BLE001 - the plain call itself fails: the first-order check reports it
        continue
    _arr = np.asarray(_val) if isinstance(_val, (float, np.floating, np.ndarray)) else None
    _p.hess = _arr is not None and _arr.dtype == np.float64 and _arr.size > 0


# ================================================================== the module of grid functions
@pytest.fixture(scope="module")
def module(tmp_path_factory):
    lines = ["import numpy as np", "", HELPERS, ""]
    for i, p in enumerate(POINTS):
        params = ", ".join(NAMES[: len(p.args)])
        lines += [f"def f_{i}({params}):", f"    return {p.expr}", "", ""]
        if p.hess:
            lines += [f"def h_{i}({params}, w):", f"    return np.sum(({p.expr}) * w)", "", ""]
    d = tmp_path_factory.mktemp("systematic")
    (d / "systematic_cases.py").write_text("\n".join(lines))
    sys.path.insert(0, str(d))
    try:
        sys.modules.pop("systematic_cases", None)
        return importlib.import_module("systematic_cases")
    finally:
        sys.path.remove(str(d))


# ================================================================== checking
def _leaves(t):
    if isinstance(t, (list, tuple)):
        return [y for e in t for y in _leaves(e)]
    return [t]


def _direction(a, rng, lead=()):
    if isinstance(a, float) and not lead:
        return float(rng.standard_normal())
    return np.asarray(rng.standard_normal(lead + np.shape(a)))


def _shift(args, tangents, h):
    return tuple(a if t is None else a + h * t for a, t in zip(args, tangents))


def _scale(*xs):
    out = 1.0
    for x in xs:
        v = np.abs(np.asarray(x, dtype=np.float64))
        v = v[np.isfinite(v)]
        if v.size:
            out = max(out, float(v.max()))
    return out


def _where(exc):
    """file:line of the innermost frame, and of the innermost tangent_fwd or generated-code frame."""
    tb = traceback.extract_tb(exc.__traceback__)
    if not tb:
        return "?"

    def fmt(fr):
        return f"{'/'.join(fr.filename.split('/')[-2:])}:{fr.lineno} in {fr.name}"

    ours = [fr for fr in tb if "tangent_fwd" in fr.filename or "_jvp" in fr.name]
    if ours and ours[-1] is not tb[-1]:
        return f"{fmt(tb[-1])}, from {fmt(ours[-1])}"
    return fmt(tb[-1])


class _Refused(Exception):
    """A TransformError at a grid point listed in REFUSED (for this mode): checked, then the point ends."""


CLEAN_REFUSALS = {}  # point id -> the message of a clean refusal met while checking it (see test_refusals_stay_rare)


def _clean(e):
    """A refusal that names the grid function's line, or a run-time NotDifferentiableHere (a point where the
    values decide): honest, never a guess."""
    return isinstance(e, tangent_fwd.NotDifferentiableHere) or str(e.filename or "").endswith("systematic_cases.py")


def _guard(point, mode, fn):
    try:
        return fn()
    except tangent_fwd.TransformError as e:
        if REFUSED.get(point.id, (None,))[0] == mode or _clean(e):
            CLEAN_REFUSALS[point.id] = f"{mode}: {type(e).__name__}: {str(e).splitlines()[0]}"
            raise _Refused(e) from e
        first = str(e).splitlines()[0]
        pytest.fail(f"[REFUSED-UNCLEAN] {point.id} {mode}: {type(e).__name__}: {first}", pytrace=False)
    except Exception as e:  # noqa: BLE001 - any other exception is a crash of the compiler or generated code
        first = (str(e).splitlines() or [""])[0]
        pytest.fail(f"[CRASH] {point.id} {mode}: {type(e).__name__}: {first} (at {_where(e)})", pytrace=False)


def _check_refusal(point, module, i, err):
    """A listed refusal must name the line of the grid function (f_i, or h_i for the Hessian)."""
    fn = getattr(module, f"h_{i}" if REFUSED[point.id][0].startswith("hessian") else f"f_{i}")
    first = fn.__code__.co_firstlineno
    where = f"{err.filename}:{err.lineno}"
    if not (str(err.filename or "").endswith("systematic_cases.py") and first <= (err.lineno or 0) <= first + 1):
        pytest.fail(f"[REFUSED-NO-LINE] {point.id}: the refusal names {where}, not the line: {err}", pytrace=False)


def _check_close(point, mode, got, want, rtol, extra_scale=()):
    got_l, want_l = _leaves(got), _leaves(want)
    if len(got_l) != len(want_l):
        pytest.fail(f"[WRONG] {point.id} {mode}: {len(got_l)} tangent leaves, expected {len(want_l)}", pytrace=False)
    for k, (g, w) in enumerate(zip(got_l, want_l)):
        g64 = np.asarray(g, dtype=np.float64) if g is not None else None
        w64 = np.asarray(w, dtype=np.float64)
        if g64 is None or g64.shape != w64.shape:
            pytest.fail(
                f"[WRONG] {point.id} {mode} leaf {k}: tangent shape {None if g is None else np.shape(g)} "
                f"!= expected {w64.shape}",
                pytrace=False,
            )
        scale = _scale(w64, *extra_scale)
        err = np.abs(g64 - w64)
        bad = ~(err <= rtol * (np.abs(w64) + scale))
        both_nan = np.isnan(g64) & np.isnan(w64)
        if np.any(bad & ~both_nan):
            e = float(np.nanmax(np.where(np.isnan(err), np.inf, err)))
            pytest.fail(
                f"[WRONG] {point.id} {mode} leaf {k}: max err {e:.3g} (scale {scale:.3g})\n"
                f"got={np.round(g64, 6)!r}\nwant={np.round(w64, 6)!r}",
                pytrace=False,
            )


def _same_primal(value, expected):
    vl, el = _leaves(value), _leaves(expected)
    if len(vl) != len(el):
        return False
    for v, e in zip(vl, el):
        va, ea = np.asarray(v), np.asarray(e)
        if va.dtype != ea.dtype or va.shape != ea.shape:
            return False
        if not np.array_equal(va, ea, equal_nan=True):
            return False
    return True


def _seed(pid):
    return zlib.crc32(pid.encode())


def _args(point):
    return _args_of(point)


def _index(pid):
    return next(i for i, p in enumerate(POINTS) if p.id == pid)


@pytest.mark.parametrize("pid", [p.id for p in POINTS])
def test_point(module, pid):
    i = _index(pid)
    point = POINTS[i]
    try:
        _run_point(module, i, point)
    except _Refused as r:
        if point.id in REFUSED:
            _check_refusal(point, module, i, r.args[0])
        return
    if point.id in REFUSED:
        pytest.fail(
            f"[STALE] {point.id}: listed in REFUSED ({REFUSED[point.id][0]}) but was not refused", pytrace=False
        )


def _run_point(module, i, point):
    f = getattr(module, f"f_{i}")
    args = _args(point)
    rng = np.random.default_rng(_seed(point.id))
    tangents = tuple(_direction(a, rng) if j in point.wrt else None for j, a in enumerate(args))

    # 1. primal, bit for bit
    expected = f(*copy.deepcopy(args))
    value, tangent = _guard(point, "jvp", lambda: tangent_fwd.jvp(f, copy.deepcopy(args), tangents))
    if not _same_primal(value, expected):
        pytest.fail(f"[WRONG] {point.id} primal: {value!r} != plain call {expected!r}", pytrace=False)

    # 2. scalar tangent against central finite differences
    h = point.eps
    fp, fm = f(*_shift(args, tangents, h)), f(*_shift(args, tangents, -h))
    fd = [(np.asarray(p, np.float64) - np.asarray(m, np.float64)) / (2 * h) for p, m in zip(_leaves(fp), _leaves(fm))]
    vals = _leaves(value)
    for k, t in enumerate(_leaves(tangent)):
        if k < len(vals) and t is not None and np.shape(t) != np.shape(vals[k]):
            pytest.fail(
                f"[WRONG] {point.id} jvp leaf {k}: tangent shape {np.shape(t)} != value shape {np.shape(vals[k])}",
                pytrace=False,
            )
    _check_close(point, "jvp-vs-fd", tangent, fd, point.rtol, extra_scale=vals)

    # 3. vector mode: K directions in one pass equal K single JVPs
    vrng = np.random.default_rng(_seed(point.id) + 1)
    batched = tuple(_direction(a, vrng, (K,)) if j in point.wrt else None for j, a in enumerate(args))
    value_k, tangent_k = _guard(
        point, "vectorized", lambda: tangent_fwd.jvp(f, copy.deepcopy(args), batched, vectorized=True)
    )
    if not _same_primal(value_k, expected):
        pytest.fail(f"[WRONG] {point.id} vectorized primal: {value_k!r} != {expected!r}", pytrace=False)
    singles = []
    for k in range(K):
        tk = tuple(
            None if t is None else (float(t[k]) if isinstance(a, float) else t[k]) for a, t in zip(args, batched)
        )
        singles.append(_leaves(_guard(point, "jvp-single", lambda: tangent_fwd.jvp(f, copy.deepcopy(args), tk))[1]))
    want = [np.stack([np.asarray(s[j], np.float64) for s in singles]) for j in range(len(singles[0]))]
    _check_close(point, "vectorized-vs-single", tangent_k, want, 1e-9)

    # 4. Hessian of sum(f * w) against finite differences of the gradient (single JVPs)
    if point.hess:
        _check_hessian(point, module, i, args, expected)


def _check_hessian(point, module, i, args, expected):
    (j,) = point.wrt
    g = getattr(module, f"h_{i}")
    rng = np.random.default_rng(_seed(point.id) + 2)
    w = _direction(np.asarray(expected, np.float64), rng)
    w = float(w) if np.ndim(expected) == 0 else w
    full = args + (w,)
    Hm = _guard(point, "hessian", lambda: tangent_fwd.hessian(g, wrt=j)(*copy.deepcopy(full)))
    x = args[j]
    shape = np.shape(x)
    n = int(np.prod(shape)) if shape else 1
    Hm = np.asarray(Hm, np.float64)
    if Hm.shape != shape + shape:
        pytest.fail(f"[WRONG] {point.id} hessian: shape {Hm.shape}, expected {shape + shape}", pytrace=False)
    u = _direction(x, rng)

    def grad(xv):
        # the gradient of the scalar g: vector mode along the n unit directions (checked against single
        # JVPs at every point above)
        eye = np.eye(n).reshape((n,) + shape)
        tang = tuple(eye if m == j else None for m in range(len(full)))
        argv = full[:j] + (xv,) + full[j + 1 :]
        return np.asarray(tangent_fwd.jvp(g, copy.deepcopy(argv), tang, vectorized=True)[1], np.float64).reshape(n)

    hu_fd = _guard(point, "hessian-fd", lambda: (grad(x + HESS_H * u) - grad(x - HESS_H * u)) / (2 * HESS_H))
    hu = Hm.reshape(n, n) @ np.reshape(u, n)
    _check_close(point, "hessian-vs-fd", hu, hu_fd, HESS_RTOL)


def test_grid_size():
    assert len(POINTS) >= 1000
    assert set(REFUSED) <= {p.id for p in POINTS}, sorted(set(REFUSED) - {p.id for p in POINTS})
    assert len({p.id for p in POINTS}) == len(POINTS)


# ================================================================== float32 inputs
# The same functions on float32 arrays: the tangent has the value's dtype (no silent widening to float64) and
# equals the float64 JVP at the float32-rounded point along the float32-rounded direction.
F32_POINTS = [
    p.id
    for p in POINTS
    if p.id.startswith(("unary:", "binary:", "operator:", "reduce:", "method:"))
    and any(s == (3, 4) or s == (3, 1) for _, s in p.args)
    and p.eps == H
    and "-nan" not in p.id
]
F32_RTOL = 2e-3


def _f32(a):
    return np.float32(a) if isinstance(a, float) else np.asarray(a, np.float32)


@pytest.mark.parametrize("pid", F32_POINTS)
def test_float32(module, pid):
    i = _index(pid)
    point = POINTS[i]
    f = getattr(module, f"f_{i}")
    args = tuple(_f32(a) if isinstance(a, np.ndarray) else a for a in _args(point))
    rng = np.random.default_rng(_seed(point.id) + 3)
    tangents = tuple(
        _f32(_direction(a, rng)) if j in point.wrt and isinstance(a, np.ndarray) else None for j, a in enumerate(args)
    )
    if all(t is None for t in tangents):
        return
    try:
        value, tangent = tangent_fwd.jvp(f, copy.deepcopy(args), tangents)
    except tangent_fwd.TransformError:
        return  # refusals are reported by test_point
    except Exception as e:  # noqa: BLE001
        pytest.fail(f"[CRASH] {pid} float32: {type(e).__name__}: {e} (at {_where(e)})", pytrace=False)
    expected = f(*copy.deepcopy(args))
    if not _same_primal(value, expected):
        pytest.fail(f"[WRONG] {pid} float32 primal: {value!r} != plain call {expected!r}", pytrace=False)
    for k, (v, t) in enumerate(zip(_leaves(value), _leaves(tangent))):
        vdt, tdt = np.asarray(v).dtype, np.asarray(t).dtype
        if vdt.kind == "f" and tdt != vdt:
            pytest.fail(f"[DTYPE] {pid} float32 leaf {k}: value {vdt} but tangent {tdt}", pytrace=False)
    args64 = tuple(np.asarray(a, np.float64) if isinstance(a, np.ndarray) else a for a in args)
    t64 = tuple(None if t is None else np.asarray(t, np.float64) for t in tangents)
    _, want = tangent_fwd.jvp(f, args64, t64)
    _check_close(point, "float32-vs-float64", tangent, want, F32_RTOL)


def test_refusals_stay_rare(module):
    """Refusing is honest, but the grid is what users call: refused points (functions without a rule,
    keywords the rules do not take) must stay a small, known part of it. Counted over every point here,
    so that the count does not depend on which tests ran before."""
    refused = []
    for i, point in enumerate(POINTS):
        CLEAN_REFUSALS.pop(point.id, None)
        try:
            _run_point(module, i, point)
        except _Refused:
            refused.append(point.id)
        except BaseException:  # noqa: BLE001 - failures are test_point's to report
            pass
    assert len(refused) <= 0.1 * len(POINTS), f"{len(refused)} of {len(POINTS)} grid points refused: {refused[:20]}"
