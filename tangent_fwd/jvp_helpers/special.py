"""Run-time JVP helpers for the scipy.special rules (tangent_fwd/rules/scipy_rules.py).

The special functions a derivative needs (``digamma`` for ``gammaln``, ``i1`` for ``i0``...) are
taken from the special-function module that belongs to the backend namespace ``xp``: ``scipy.special``
for NumPy, ``cupyx.scipy.special`` for CuPy (so CuPy arrays never go to the host), a module given to
:func:`register`, or the namespace's own ``special`` submodule. A function that module lacks is a
refusal naming it, never a host fallback. Each helper is itself registered with a rule in
scipy_rules.py, so generated code can be differentiated again (``hessian``).

Conventions at the special points (the derivative is never nan where the function is finite and
smooth; where it is not differentiable the tangent is the documented one-sided or limiting value):

* ``xlogy(x, y)``, ``xlog1py``: the y-partial is exactly 0 where x == 0 (xlogy(0, y) is 0 for every y),
  the x-partial is log(y) (-inf at y == 0, 0 times -inf being 0 when the tangent is 0).
* ``entr``, ``rel_entr``, ``kl_div`` at x == 0: the x-partial is the one-sided -inf / +inf slope times
  the tangent (0 for a zero tangent); the y-partial of ``rel_entr``/``kl_div`` is that of the x == 0
  branch (0 and 1).
* ``logsumexp``: entries at -inf and entries whose weight ``b`` is 0 contribute nothing through ``a``
  (the derivative with respect to a zero weight is exp(a - result), as it should be); where every
  weight vanishes (the result is -inf) the tangent is 0.
* removable points take their limits (i1'(0) = j1'(0) = i1e'(0) = 1/2, spence'(1) = -1); ``i0e`` has
  slope 0 at its kink 0 (the mean of -1 and 1); the infinite slopes (spence at 0, gammainc(a < 1, x) at
  x == 0, ndtri/erfinv/erfcinv at their ends, where the value is infinite too) are +-inf.
"""

import dataclasses
import math
import types
from typing import Any

from ..errors import NotDifferentiableHere, TransformError

_MODULES = {}  # backend namespace name -> its special-function module


def register(namespace, module):
    """Use ``module`` (which mirrors ``scipy.special``) for arrays of the backend ``namespace`` (a
    module or its name): the derivatives of scipy.special calls on that backend then stay on it."""
    _MODULES[namespace if isinstance(namespace, str) else namespace.__name__] = module


def mod(xp):
    """The special-function module of the backend namespace ``xp``: one :func:`register` gave, else
    scipy.special for NumPy, cupyx.scipy.special for CuPy, else the namespace's own ``special``
    submodule; a backend with none of them is a refusal (never a host fallback)."""
    name = getattr(xp, "__name__", None) or str(xp)
    found = _MODULES.get(name)
    if found is not None:
        return found
    if name == "numpy":
        try:
            import scipy.special as found
        except ImportError:
            raise NotDifferentiableHere("tangent_fwd: scipy.special cannot be imported") from None
    elif name == "cupy":
        try:
            import cupyx.scipy.special as found
        except ImportError:
            raise NotDifferentiableHere("tangent_fwd: cupyx.scipy.special cannot be imported") from None
    else:
        found = getattr(xp, "special", None)
        if not isinstance(found, types.ModuleType):
            raise NotDifferentiableHere(
                f"tangent_fwd: no scipy.special counterpart is known for the backend {name!r}, so the "
                "derivative of a scipy.special function cannot be computed on it (nor on the host); register "
                "one with tangent_fwd.runtime.special.register(namespace, module)"
            )
    _MODULES[name] = found
    return found


def fn(xp, name):
    """The function ``name`` of ``xp``'s special-function module; a refusal if it has none."""
    module = mod(xp)
    f = getattr(module, name, None)
    if f is None:
        raise NotDifferentiableHere(
            f"tangent_fwd: {module.__name__} has no {name}, which the derivative needs "
            "(it is not computed on the host instead)"
        )
    return f


def _like(xp, r, x):
    """``r`` in the floating dtype of ``x`` (float32 stays float32, as scipy.special's ufuncs keep it)."""
    dtype = getattr(x, "dtype", None)
    if dtype is not None and dtype.kind == "f" and getattr(r, "dtype", dtype) != dtype:
        return xp.asarray(r).astype(dtype)
    return r


def cast_like(xp, t, like):
    """The tangent ``t`` in the dtype of the primal result ``like`` (polygamma and multigammaln return
    float64 for float32 input)."""
    dtype = getattr(like, "dtype", None)
    if dtype is not None and getattr(t, "dtype", dtype) != dtype:
        return t.astype(dtype)
    return t


def _item(r):
    """A 0-d result of ``where`` as the scalar NumPy's own ufuncs return for scalar input (0-d stays 0-d on
    CuPy, whose scalars are 0-d arrays), so that a tangent has its value's type."""
    return r[()] if getattr(r, "ndim", None) == 0 else r


def mul(x, y):
    """``x * y``, or None (a zero tangent) when either is None."""
    return None if x is None or y is None else x * y


# ------------------------------------------------------------------ the backend's functions (one each)
def erfcx(xp, x):
    return fn(xp, "erfcx")(x)


def gammaln(xp, x):
    return fn(xp, "gammaln")(x)


def betaln(xp, a, b):
    return fn(xp, "betaln")(a, b)


def digamma(xp, x):
    return fn(xp, "digamma")(x)


def polygamma(xp, n, x):
    """polygamma(n, x) in x's floating dtype (scipy's returns float64 for float32 x)."""
    return _like(xp, fn(xp, "polygamma")(n, x), x)


def mvpolygamma(xp, n, a, d):
    """sum_{j < d} polygamma(n, a - j / 2): the n-th derivative of multigammaln(a, d) (n >= 1) or its
    first (n == 0)."""
    return sum(polygamma(xp, n, a - j / 2) for j in range(int(d)))


def xlogy(xp, x, y):
    return fn(xp, "xlogy")(x, y)


def xlog1py(xp, x, y):
    return fn(xp, "xlog1py")(x, y)


def div0(xp, num, den):
    """``num / den``, exactly 0 where ``num`` is 0 (also where den is 0): the y-partial of
    xlogy(x, y) = x log y at x == 0, where the function is 0 for every y."""
    zero = num == 0
    return _item(xp.where(zero, 0, num / xp.where(zero, 1, den)))


def ratio0(xp, x, y):
    """``x / y``, 0 where x is 0: the argument of rel_entr's log, so that at x == 0 (any y >= 0) its
    x-partial is the one-sided -inf slope, not nan."""
    return div0(xp, x, y)


def i0(xp, x):
    return fn(xp, "i0")(x)


def i1(xp, x):
    return fn(xp, "i1")(x)


def i0e(xp, x):
    return fn(xp, "i0e")(x)


def i1e(xp, x):
    return fn(xp, "i1e")(x)


def iv(xp, v, z):
    return fn(xp, "iv")(v, z)


def ive(xp, v, z):
    return fn(xp, "ive")(v, z)


def jv(xp, v, z):
    return fn(xp, "jv")(v, z)


def yn(xp, n, x):
    return fn(xp, "yn")(n, x)


def j0(xp, x):
    return fn(xp, "j0")(x)


def j1(xp, x):
    return fn(xp, "j1")(x)


def y0(xp, x):
    return fn(xp, "y0")(x)


def y1(xp, x):
    return fn(xp, "y1")(x)


def k0(xp, x):
    return fn(xp, "k0")(x)


def k1(xp, x):
    return fn(xp, "k1")(x)


def kv(xp, v, z):
    return fn(xp, "kv")(v, z)


def ellipk(xp, m):
    return fn(xp, "ellipk")(m)


def ellipe(xp, m):
    return fn(xp, "ellipe")(m)


# ------------------------------------------------------------------ derivatives too long for a template
_TWO_OVER_SQRT_PI = 2 / math.sqrt(math.pi)


def erfcx_d(xp, x, s):
    """erfcx'(x) = 2 x erfcx(x) - 2/sqrt(pi) (``s`` is erfcx(x)). For x > 50 the difference cancels
    (it is about -1/(sqrt(pi) x^2)): there the asymptotic series (2/sqrt(pi)) sum_n>=1 (-1)^n
    (2n-1)!! / (2 x^2)^n, six terms (truncation below 1e-17 relative)."""
    big = x > 50
    u = 1 / (2 * xp.where(big, x, 1) ** 2)
    series = -u * (1 - 3 * u * (1 - 5 * u * (1 - 7 * u * (1 - 9 * u * (1 - 11 * u)))))
    return _item(xp.where(big, _TWO_OVER_SQRT_PI * series, 2 * x * s - _TWO_OVER_SQRT_PI))


def spence_d(xp, z):
    """spence'(z) = log(z) / (1 - z) (scipy's spence(z) is int_1^z log(t) / (1 - t) dt): -1 at z == 1,
    -inf at z == 0 (spence(0) = pi^2/6 is approached with infinite slope), without a log(0) warning."""
    one, zero = z == 1, z == 0
    ratio = xp.log(xp.where(zero, 1, z)) / xp.where(one, 1, 1 - z)
    return _item(xp.where(one, -1.0, xp.where(zero, -xp.inf, ratio)))


def lse_jvp(xp, a, t, b, tb, axis=None, keepdims=False):
    """Tangent of logsumexp(a, axis, b, keepdims) = log|sum b e^a| along (t, tb) (None: zero):
    sum((b t + tb) e^a) / sum(b e^a), computed with e^(a - m), m the largest a of a nonzero weight
    (the shift cancels in the ratio; an entry whose weight is 0 can neither overflow nor make nan).
    0 where every weight vanishes (the result is -inf)."""
    if getattr(getattr(a, "dtype", None), "kind", "f") == "c":
        raise NotDifferentiableHere("tangent_fwd: the derivative of logsumexp of complex values is not implemented")
    live = a if b is None else xp.where(b != 0, a, -xp.inf)
    m = xp.max(live, axis=axis, keepdims=True)
    m = xp.where(xp.isfinite(m), m, 0)
    w = xp.exp(live - m) if b is None else b * xp.exp(live - m)  # 0 where b is 0 or a is -inf
    num = 0
    if t is not None:
        num = num + xp.sum(w * t, axis=axis, keepdims=keepdims)
    if tb is not None:  # d/db_i is e^(a_i - m) / den also where b_i is 0
        num = num + xp.sum(tb * xp.exp(a - m), axis=axis, keepdims=keepdims)
    den = xp.sum(w, axis=axis, keepdims=keepdims)
    zero = den == 0
    return _item(xp.where(zero, 0, num / xp.where(zero, 1, den)))


def lse_out(xp, t, ans, return_sign=False):
    """logsumexp's tangent in the shape of its result: (t, 0) with ``return_sign`` (the sign is
    piecewise constant), else t. In the value's dtype: SciPy before 1.16 returns float64 for float32
    inputs with a Python-scalar b, and a tangent follows its value."""
    value = ans[0] if return_sign else ans
    vdtype, tdtype = getattr(value, "dtype", None), getattr(t, "dtype", None)
    if vdtype is not None and tdtype is not None and vdtype != tdtype and vdtype.kind == tdtype.kind == "f":
        t = t.astype(vdtype)
    if not return_sign:
        return t
    return _TangentPair((t, 0 * t))


class _TangentPair(tuple):
    """A (value, sign) tangent: contributions of a and b add elementwise (as runtime.TangentTuple)."""

    def __add__(self, other):
        return _TangentPair(x + y for x, y in zip(self, other))

    __radd__ = __add__


def promote_jvp(xp, ans, dargs, broadcast=False):
    """Tangents of SciPy's ``xp_promote(*args, broadcast=...)`` and of ``np.broadcast_arrays`` (``ans``
    the result, one array or a tuple): each tangent converted to its array's dtype and, with
    ``broadcast``, broadcast to its shape; a missing tangent (a constant argument) is zero. Linear in
    ``dargs``."""
    outs = ans if isinstance(ans, tuple) else (ans,)
    res = []
    for out, d in zip(outs, dargs):
        if out is None:
            res.append(None)
            continue
        d = xp.zeros_like(out) if d is None else xp.asarray(d, dtype=out.dtype)
        if broadcast and d.shape != out.shape:
            d = xp.broadcast_to(d, out.shape)
        res.append(d)
    return tuple(res) if isinstance(ans, tuple) else res[0]


# ------------------------------------------------------------------ SciPy's linear builders and filters
# scipy.linalg.toeplitz/hankel/circulant/block_diag, scipy.spatial.distance.squareform and the
# scipy.signal filters are linear (jointly, or in the signal for fixed coefficients): their tangents
# are the same SciPy calls on the tangents. SciPy computes them on the host only (no CuPy version
# is reached from a NumPy array), so these helpers call scipy directly.
def toeplitz_dc(xp, dc, r):
    """The part of toeplitz(c, r)'s tangent from c (its first column; r[0] is ignored by toeplitz)."""
    from scipy.linalg import toeplitz

    return toeplitz(dc) if r is None else toeplitz(dc, xp.zeros_like(xp.asarray(r), dtype=dc.dtype))


def toeplitz_dr(xp, c, dr):
    from scipy.linalg import toeplitz

    return toeplitz(xp.zeros_like(xp.asarray(c), dtype=dr.dtype), dr)


def hankel_dc(xp, dc, r):
    """The part of hankel(c, r)'s tangent from c (its first column; r[0] is ignored by hankel)."""
    from scipy.linalg import hankel

    return hankel(dc) if r is None else hankel(dc, xp.zeros_like(xp.asarray(r), dtype=dc.dtype))


def hankel_dr(xp, c, dr):
    from scipy.linalg import hankel

    return hankel(xp.zeros_like(xp.asarray(c), dtype=dr.dtype), dr)


def block_diag(xp, arrs, darrs):
    """block_diag of the tangents (jointly linear), a missing one's block zero."""
    from scipy.linalg import block_diag as bd

    return bd(*[xp.zeros_like(xp.asarray(a), dtype=float) if d is None else d for a, d in zip(arrs, darrs)])


def squareform(xp, dX, force="no"):
    """squareform of the tangent, without the symmetry checks (a direction off the symmetric
    zero-diagonal matrices takes its upper triangle)."""
    from scipy.spatial.distance import squareform as sq

    return sq(dX, force=force, checks=False)


def lfilter_dx(xp, b, a, dx, axis=-1, zi=None):
    """lfilter's tangent from the signal: the same filter on dx (from a zero state when zi is given:
    then also the final state's tangent)."""
    from scipy.signal import lfilter

    if zi is None:
        return lfilter(b, a, dx, axis=axis)
    return lfilter(b, a, dx, axis=axis, zi=xp.zeros_like(xp.asarray(zi), dtype=dx.dtype))


def _no_state(zi, what):
    if zi is not None:
        raise TransformError(
            f"scipy.signal.lfilter with an initial state zi: the derivative with respect to its {what} is not "
            "derived here (the state's own dependence on the coefficients)",
            hint="differentiate with respect to the signal x only, or call it without zi",
        )


def lfilter_db(xp, v, a, x, axis=-1, zi=None):
    """a * y = b * x (convolutions): moving b by v gives a * dy = v * x."""
    from scipy.signal import lfilter

    _no_state(zi, "numerator b")
    return lfilter(v, a, x, axis=axis)


def lfilter_da(xp, u, a, y, axis=-1, zi=None):
    """a * y = b * x: moving a by u gives a * dy = -u * y."""
    from scipy.signal import lfilter

    _no_state(zi, "denominator a")
    return -lfilter(u, a, y, axis=axis)


def sosfilt_dx(xp, sos, dx, axis=-1, zi=None):
    from scipy.signal import sosfilt

    if zi is None:
        return sosfilt(sos, dx, axis=axis)
    return sosfilt(sos, dx, axis=axis, zi=xp.zeros_like(xp.asarray(zi), dtype=dx.dtype))


# ------------------------------------------------------------------ SciPy's structured solvers and matrix functions
def _unchanged(name, overwritten):
    if overwritten:
        raise TransformError(
            f"scipy.linalg.{name} with overwrite_*=True: its inputs may be overwritten by the call, and the "
            "derivative needs them",
            hint="leave overwrite_a/overwrite_ab at False when differentiating",
        )


def banded_dense(xp, l_and_u, ab):
    """The square matrix whose (l, u) band is stored in ``ab`` (scipy.linalg.solve_banded's layout:
    A[i, j] = ab[u + i - j, j])."""
    lo, up = l_and_u
    n = ab.shape[-1]
    i, j = xp.meshgrid(xp.arange(n), xp.arange(n), indexing="ij")
    inside = (j - i <= up) & (i - j <= lo)
    rows = xp.where(inside, up + i - j, 0)
    return xp.where(inside, ab[rows, j], xp.zeros((), dtype=ab.dtype))


def banded_matvec(xp, l_and_u, ab, x):
    return banded_dense(xp, l_and_u, ab) @ x


def banded_solve(xp, l_and_u, ab, rhs, overwritten=False):
    from scipy.linalg import solve_banded

    _unchanged("solve_banded", overwritten)
    return solve_banded(l_and_u, ab, rhs)


def hbanded_dense(xp, ab, lower=False):
    """The Hermitian matrix whose band is stored in ``ab`` (scipy.linalg.solveh_banded's layout: upper
    A[i, j] = ab[u + i - j, j] for i <= j, lower A[i, j] = ab[i - j, j] for i >= j)."""
    u = ab.shape[-2] - 1
    n = ab.shape[-1]
    i, j = xp.meshgrid(xp.arange(n), xp.arange(n), indexing="ij")
    if lower:
        inside = (i >= j) & (i - j <= u)
        tri = xp.where(inside, ab[xp.where(inside, i - j, 0), j], xp.zeros((), dtype=ab.dtype))
        return tri + xp.conj(tri.T) - xp.diag(xp.diag(tri))
    inside = (i <= j) & (j - i <= u)
    tri = xp.where(inside, ab[xp.where(inside, u + i - j, 0), j], xp.zeros((), dtype=ab.dtype))
    return tri + xp.conj(tri.T) - xp.diag(xp.diag(tri))


def hbanded_matvec(xp, ab, x, lower=False):
    return hbanded_dense(xp, ab, lower) @ x


def hbanded_solve(xp, ab, rhs, lower=False, overwritten=False):
    from scipy.linalg import solveh_banded

    _unchanged("solveh_banded", overwritten)
    return solveh_banded(ab, rhs, lower=lower)


def toeplitz_matvec(xp, c_or_cr, x):
    """T x for scipy.linalg.solve_toeplitz's ``c_or_cr`` (c, or (c, r); a missing tangent is zero)."""
    from scipy.linalg import toeplitz

    if isinstance(c_or_cr, tuple):
        c, r = c_or_cr
        if c is None and r is None:
            return xp.zeros_like(x)
        c = xp.zeros(len(r), dtype=r.dtype) if c is None else c
        r = xp.zeros(len(c), dtype=c.dtype) if r is None else r
        return toeplitz(c, r) @ x
    return toeplitz(c_or_cr) @ x


def toeplitz_solve(xp, c_or_cr, rhs):
    from scipy.linalg import solve_toeplitz

    return solve_toeplitz(c_or_cr, rhs)


def sylvester(xp, a, b, q):
    from scipy.linalg import solve_sylvester

    return solve_sylvester(a, b, q)


def lyapunov(xp, a, q):
    from scipy.linalg import solve_continuous_lyapunov

    return solve_continuous_lyapunov(a, q)


def frechet(xp, name, A, E, option=None):
    """The Frechet derivative of the matrix function ``scipy.linalg.<name>`` at A in direction E: the
    upper right block of f([[A, E], [0, A]]) (exact for a primary matrix function, by linearity in E;
    E is scaled to A's size for accuracy). ``option``: fractional_matrix_power's t."""
    import scipy.linalg as sl

    f = getattr(sl, name)
    n = A.shape[-1]
    na, ne = xp.linalg.norm(A), xp.linalg.norm(E)
    if ne == 0:
        return xp.zeros(A.shape, dtype=xp.result_type(A, E, 1.0))
    s = na / ne if na > 0 else 1.0
    zero = xp.zeros_like(A)
    big = xp.concatenate(
        [xp.concatenate([A, s * E], axis=-1), xp.concatenate([zero, A], axis=-1)],
        axis=-2,
    )
    out = f(big) if option is None else f(big, option)
    return out[..., :n, n:] / s


def matfunc_plain(name, disp):
    """Refuse the deprecated ``disp=False`` (a tuple with an error estimate) of logm and sqrtm."""
    if disp is False:
        raise TransformError(
            f"scipy.linalg.{name}(disp=False) returns an error estimate with the value, which has no derivative here",
            hint="call it without disp (deprecated in SciPy)",
        )
    return True


# ------------------------------------------------------------------ array_api_extra's at(x, idx).set(y)
@dataclasses.dataclass
class AtTangent:
    """The tangent of ``at(x, idx)``: x's tangent and the index. A dataclass whose only field is the
    tangent array, so vector mode slices and stacks it per direction (the index, a plain attribute,
    is carried along unchanged)."""

    x: Any

    def __getitem__(self, idx):
        raise TransformError(
            "at(x)[idx].set(...): the indexer's subscript form is not followed by tangent_fwd",
            hint="the at(x, idx).set(y) form is",
        )


def _at():
    from scipy._lib.array_api_extra import at

    return at


def at_of(xp, dx, idx=None):
    """The tangent of ``at(x, idx)``."""
    t = AtTangent(dx)
    t.idx = idx
    return t


def at_set(xp, ref, y, copy=None, zero_base=False):
    """``ref.set(y)`` for the tangents of ``at(x, idx).set(y)`` (linear jointly in x and y): the part
    from x is its tangent with the indexed entries set to 0 (``y`` None), the part from y is zeros with
    the indexed entries set to y's tangent (``zero_base``). ``ref`` is the tangent (AtTangent) or, with
    ``zero_base``, the primal indexer. ``copy`` as the call gave it (None: NumPy updates in place, as the
    primal does)."""
    if isinstance(ref, AtTangent):
        x, idx = ref.x, ref.idx
    else:
        x, idx = ref._x, ref._idx
    if zero_base:
        x = xp.zeros(xp.shape(x), dtype=x.dtype if x.dtype.kind in "fc" else xp.float64)
    if y is None:
        y = xp.zeros((), dtype=x.dtype)
    at = _at()
    return (at(x) if idx is None else at(x, idx)).set(y, copy=copy)


# ------------------------------------------------------------------ scipy.stats distributions (location-scale families)
def _scores(xp, name, z, shapes):
    """d/dz and d/dshape of the standardized log density log f0(z; shapes) of scipy.stats.<name>."""
    dig = fn(xp, "digamma")
    if name == "norm":
        return -z, ()
    if name == "expon":
        return -xp.ones_like(z), ()
    if name == "laplace":
        return -xp.sign(z), ()
    if name == "logistic":
        return -xp.tanh(z / 2), ()
    if name == "cauchy":
        return -2 * z / (1 + z * z), ()
    if name == "uniform":
        return xp.zeros_like(z), ()
    if name == "t":
        (df,) = shapes
        g = -(df + 1) * z / (df + z * z)
        h = (dig((df + 1) / 2) - dig(df / 2)) / 2 - 1 / (2 * df) - xp.log1p(z * z / df) / 2
        return g, (h + (df + 1) * z * z / (2 * df * (df + z * z)),)
    if name == "gamma":
        (a,) = shapes
        return (a - 1) / z - 1, (xp.log(z) - dig(a),)
    if name == "chi2":
        (k,) = shapes
        return (k / 2 - 1) / z - 0.5, ((xp.log(z) - math.log(2.0) - dig(k / 2)) / 2,)
    if name == "beta":
        a, b = shapes
        g = (a - 1) / z - (b - 1) / (1 - z)
        return g, (xp.log(z) - dig(a) + dig(a + b), xp.log1p(-z) - dig(b) + dig(a + b))
    if name == "lognorm":
        (s,) = shapes
        lz = xp.log(z)
        return -1 / z - lz / (s * s * z), (-1 / s + lz * lz / (s * s * s),)
    raise TransformError(f"scipy.stats.{name}: no score table for this distribution")


def dist_score_dir(xp, name, which, x, shapes, loc, scale, t):
    """``t`` times the derivative of scipy.stats.<name>.logpdf(x, *shapes, loc, scale) with respect to
    ``which`` ('x', 'loc', 'scale', or the index of a shape parameter); 0 outside the support (where
    the log density is the constant -inf)."""
    z = (x - loc) / scale
    g, h = _scores(xp, name, z, shapes)
    if which == "x":
        d = g / scale
    elif which == "loc":
        d = -g / scale
    elif which == "scale":
        d = -(1 + z * g) / scale
    else:
        d = h[which]
    import scipy.stats as st

    value = getattr(st, name).logpdf(x, *shapes, loc=loc, scale=scale)
    out = xp.where(xp.isfinite(value), t * d, 0.0)  # in the value's dtype (scipy.stats computes in float64)
    return out.astype(xp.result_type(out, getattr(value, "dtype", xp.float64)), copy=False)


def dist_pdf_dir(xp, name, x, shapes, loc, scale, t):
    """``t`` times scipy.stats.<name>.pdf(x, *shapes, loc, scale)."""
    import scipy.stats as st

    return getattr(st, name).pdf(x, *shapes, loc=loc, scale=scale) * t


# ------------------------------------------------------------------ scipy.linalg.lstsq through NumPy's formula
def sl_lstsq_ans(xp, ans):
    """scipy.linalg.lstsq's result as np.linalg.lstsq gives it (residues 1-D for a 1-D b)."""
    x, res, rank, s = ans
    if getattr(res, "ndim", None) == 0 or isinstance(res, float):
        res = xp.reshape(xp.asarray(res), (1,))
    return x, res, rank, s


def sl_lstsq_out(xp, t, ans, overwritten=False, driver=None):
    """np.linalg.lstsq's tangent ``t`` in scipy.linalg.lstsq's shapes; refused where SciPy's call is not
    NumPy's (inputs overwritten, the 'gelsy' driver, which returns no singular values)."""
    if overwritten or driver == "gelsy":
        raise TransformError(
            "scipy.linalg.lstsq with overwrite_a/overwrite_b or lapack_driver='gelsy': the derivative needs "
            "the inputs and the singular values",
            hint="call it with the defaults (or use np.linalg.lstsq)",
        )
    dx, dres, drank, ds = t
    res = ans[1]
    if dres is not None and getattr(res, "ndim", 1) == 0:
        dres = xp.reshape(dres, ())
    return type(t)((dx, dres, drank, ds))  # NumPy's tangent tuple type: per-argument parts add elementwise


# ------------------------------------------------------------------ scipy.spatial.distance.pdist / cdist
_PAIR_METRICS = (
    "euclidean",
    "sqeuclidean",
    "cityblock",
    "minkowski",
    "chebyshev",
    "cosine",
    "correlation",
    "seuclidean",
    "mahalanobis",
)


def _pair_tangent(xp, metric, u, v, du, dv, d, p=None, w=None, V=None, VI=None):
    """The tangent of metric(u_k, v_k) for stacked pairs (last axis: the coordinates), d the distances."""
    diff, ddiff = u - v, du - dv
    nz = d != 0
    safe = xp.where(nz, d, 1.0)
    if metric == "seuclidean":
        metric, w = "euclidean", 1.0 / xp.asarray(V)
    wt = 1.0 if w is None else xp.asarray(w)
    if metric == "euclidean":
        return xp.where(nz, xp.sum(wt * diff * ddiff, axis=-1) / safe, 0.0)
    if metric == "sqeuclidean":
        return 2 * xp.sum(wt * diff * ddiff, axis=-1)
    if metric == "cityblock":
        return xp.sum(wt * xp.sign(diff) * ddiff, axis=-1)
    if metric == "minkowski":
        p = 2.0 if p is None else p
        a = xp.abs(diff)
        return xp.where(nz, safe ** (1 - p) * xp.sum(wt * a ** (p - 1) * xp.sign(diff) * ddiff, axis=-1), 0.0)
    if metric == "chebyshev":
        k = xp.argmax(xp.abs(diff), axis=-1)[..., None]
        return xp.take_along_axis(xp.sign(diff) * ddiff, k, axis=-1)[..., 0]
    if metric == "mahalanobis":
        VI = xp.asarray(VI)
        return xp.where(nz, xp.sum((diff @ VI) * ddiff, axis=-1) / safe, 0.0)
    if metric in ("cosine", "correlation"):
        if w is not None:
            raise TransformError(f"scipy.spatial.distance: the weighted {metric} metric is not derived here")
        if metric == "correlation":
            u, v = u - xp.mean(u, axis=-1, keepdims=True), v - xp.mean(v, axis=-1, keepdims=True)
            du, dv = du - xp.mean(du, axis=-1, keepdims=True), dv - xp.mean(dv, axis=-1, keepdims=True)
        nu, nv = xp.sqrt(xp.sum(u * u, axis=-1)), xp.sqrt(xp.sum(v * v, axis=-1))
        uv = xp.sum(u * v, axis=-1)
        c = uv / (nu * nv)
        dc = xp.sum(du * v + u * dv, axis=-1) / (nu * nv) - c * (
            xp.sum(u * du, axis=-1) / (nu * nu) + xp.sum(v * dv, axis=-1) / (nv * nv)
        )
        return -dc
    raise TransformError(
        f"scipy.spatial.distance metric {metric!r}: its derivative is not derived here (supported: "
        f"{', '.join(_PAIR_METRICS)})",
        hint="compute the distances with NumPy in a function of your own",
    )


def _metric_name(metric, out):
    if out is not None:
        raise TransformError(
            "scipy.spatial.distance.pdist/cdist with out=: the distances are written into a "
            "buffer; tangent_fwd differentiates the returned array only",
            hint="drop out=",
        )
    if not isinstance(metric, str):
        raise TransformError(
            "scipy.spatial.distance.pdist/cdist with a callable metric: not followed",
            hint="pass the metric's name, or loop over the pairs with the callable yourself",
        )
    return metric.lower()


def pdist_jvp(xp, X, dX, metric, ans, out=None, p=None, w=None, V=None, VI=None):
    """The tangent of pdist(X, metric): the pairs i < j in pdist's order."""
    metric = _metric_name(metric, out)
    X = xp.asarray(X, dtype=float)
    i, j = xp.triu_indices(X.shape[0], 1)
    return _pair_tangent(xp, metric, X[i], X[j], dX[i], dX[j], ans, p, w, V, VI)


def cdist_jvp(xp, XA, dXA, XB, dXB, metric, ans, out=None, p=None, w=None, V=None, VI=None):
    """The tangent of cdist(XA, XB, metric) (a missing tangent is zero)."""
    metric = _metric_name(metric, out)
    XA, XB = xp.asarray(XA, dtype=float), xp.asarray(XB, dtype=float)
    dXA = xp.zeros_like(XA) if dXA is None else dXA
    dXB = xp.zeros_like(XB) if dXB is None else dXB
    u, v = XA[:, None, :], XB[None, :, :]
    du, dv = dXA[:, None, :], dXB[None, :, :]
    shape = (XA.shape[0], XB.shape[0], XA.shape[1])
    return _pair_tangent(
        xp,
        metric,
        xp.broadcast_to(u, shape),
        xp.broadcast_to(v, shape),
        xp.broadcast_to(du, shape),
        xp.broadcast_to(dv, shape),
        ans,
        p,
        w,
        V,
        VI,
    )


# ------------------------------------------------------------------ scipy.stats.multivariate_normal.logpdf
def _full_cov(xp, cov, dim):
    """The covariance matrix scipy.stats.multivariate_normal builds from a scalar, a 1-D diagonal or a
    matrix (a Covariance object is refused)."""
    if hasattr(cov, "covariance") and not hasattr(cov, "shape"):
        raise TransformError(
            "scipy.stats.multivariate_normal with a Covariance object: not followed",
            hint="pass the covariance matrix as an array",
        )
    cov = xp.asarray(cov, dtype=float)
    if cov.ndim == 0:
        return cov * xp.eye(dim)
    if cov.ndim == 1:
        return xp.diag(cov)
    # scipy factors the matrix with eigh(lower=True): only its lower triangle is read
    return xp.tril(cov) + xp.swapaxes(xp.tril(cov, -1), -1, -2)


def mvn_logpdf_jvp(xp, x, dx, mean, dmean, cov, dcov, values):
    """The tangent of multivariate_normal.logpdf(x, mean, cov) = -(k log 2 pi + log det C + r' C^-1 r) / 2
    (r = x - mean) from dx, dmean and dcov (None: no tangent)."""
    c = xp.asarray(cov, dtype=float)
    if mean is not None:
        dim = int(xp.size(mean))
    elif c.ndim >= 1:
        dim = c.shape[0]
    else:
        dim = xp.shape(x)[-1] if xp.ndim(x) else 1
    C = _full_cov(xp, cov, dim)
    x = xp.asarray(x, dtype=float)
    if dim == 1:  # scipy reads a 1-D x as points of a 1-D normal
        x = x[..., None]
        dx = None if dx is None else xp.asarray(dx)[..., None]
    m = xp.zeros(dim) if mean is None else xp.reshape(xp.asarray(mean, dtype=float), (dim,))
    r = x - m
    s = xp.linalg.solve(C, xp.reshape(r, (-1, dim)).T).T.reshape(r.shape)  # C^-1 r (C symmetric)
    t = xp.zeros(r.shape[:-1])
    if dx is not None:
        t = t - xp.sum(s * dx, axis=-1)
    if dmean is not None:
        t = t + xp.sum(s * xp.reshape(xp.asarray(dmean), (dim,)), axis=-1)
    if dcov is not None:
        dC = _full_cov(xp, dcov, dim)
        t = t - xp.trace(xp.linalg.solve(C, dC)) / 2 + xp.sum((s @ dC) * s, axis=-1) / 2
    return xp.reshape(t, xp.shape(values))


# ------------------------------------------------------------------ discrete distributions' logpmf in their parameters
def discrete_score_dir(xp, name, which, k, params, loc, t):
    """``t`` times d/d(params[which]) of scipy.stats.<name>.logpmf(k, *params, loc); 0 outside the
    support (where logpmf is the constant -inf)."""
    import scipy.stats as st

    j = k - loc
    if name == "poisson":
        (mu,) = params
        d = j / mu - 1
    elif name == "bernoulli":
        (p,) = params
        d = j / p - (1 - j) / (1 - p)
    elif name == "binom":
        _, p = params
        n = params[0]
        d = j / p - (n - j) / (1 - p)
    elif name == "geom":
        (p,) = params
        d = 1 / p - (j - 1) / (1 - p)
    else:
        raise TransformError(f"scipy.stats.{name}: no score table for this distribution")
    value = getattr(st, name).logpmf(k, *params, loc=loc)
    out = xp.where(xp.isfinite(value), t * d, 0.0)
    return out.astype(xp.result_type(out, getattr(value, "dtype", xp.float64)), copy=False)


# ------------------------------------------------------------------ scipy.signal.convolve2d / correlate2d
def conv2d(xp, a, b, mode="full", boundary="fill", fill=0, op="convolve2d"):
    """scipy.signal.<op>(a, b, mode, boundary, fillvalue): bilinear in (a padded with ``fill``, b)."""
    import scipy.signal as ss

    return getattr(ss, op)(a, b, mode=mode, boundary=boundary, fillvalue=fill)


# ------------------------------------------------------------------ scipy.linalg.lu
def lu_jvp(xp, a, da, ans, permute_l=False, p_indices=False):
    """The tangent of scipy.linalg.lu(a) = (P, L, U) of a square matrix: with F = L^-1 P^T dA U^-1,
    dL = L strictly_lower(F) and dU = upper(F) U (P is piecewise constant)."""
    if a.shape[-1] != a.shape[-2]:
        raise TransformError(
            "scipy.linalg.lu of a non-square matrix: its derivative is not derived here",
            hint="differentiate the LU factors of a square matrix",
        )
    if permute_l:
        pl, u = ans
        pda = xp.linalg.solve(pl, da)  # (P L)^-1 dA = L^-1 P^T dA
        lower = None
    else:
        p, lo, u = ans
        if p_indices:  # A = L[p] U, so L U = A[argsort(p)]
            pt_da = xp.take(da, xp.argsort(p), axis=-2)
        else:
            pt_da = xp.swapaxes(p, -1, -2) @ da
        pda = xp.linalg.solve(lo, pt_da)
        lower = lo
    f = xp.swapaxes(xp.linalg.solve(xp.swapaxes(u, -1, -2), xp.swapaxes(pda, -1, -2)), -1, -2)  # ... U^-1
    du = xp.triu(f) @ u
    if permute_l:
        dl = pl @ xp.tril(f, -1)  # d(P L) = P dL = P L strictly_lower(F)
        return (dl, du)
    dl = lower @ xp.tril(f, -1)
    zero_p = None if p_indices else xp.zeros(p.shape, dtype=p.dtype)  # P: piecewise constant
    return (zero_p, dl, du)


# ------------------------------------------------------------------ scipy.stats.kstat
def kstat_jvp(xp, data, ddata, n=2, axis=None):
    """The tangent of the k-statistic k_n(data) (n = 1..4), a polynomial in the power sums
    S_k = sum(data**k) and the count N (Fisher's unbiased cumulant estimators, as scipy.stats.kstat)."""
    data, ddata = xp.asarray(data), xp.asarray(ddata)
    if axis is None:
        data, ddata, axis = xp.reshape(data, (-1,)), xp.reshape(ddata, (-1,)), 0
    n = int(n)
    N = data.shape[axis]
    S = [None] + [xp.sum(data**k, axis=axis) for k in range(1, n + 1)]
    dS = [None] + [xp.sum(k * data ** (k - 1) * ddata, axis=axis) for k in range(1, n + 1)]
    if n == 1:
        return dS[1] / N
    if n == 2:
        return (N * dS[2] - 2 * S[1] * dS[1]) / (N * (N - 1.0))
    if n == 3:
        num = 6 * S[1] ** 2 * dS[1] - 3 * N * (dS[1] * S[2] + S[1] * dS[2]) + N * N * dS[3]
        return num / (N * (N - 1.0) * (N - 2.0))
    num = (
        -24 * S[1] ** 3 * dS[1]
        + 12 * N * (2 * S[1] * dS[1] * S[2] + S[1] ** 2 * dS[2])
        - 6 * N * (N - 1.0) * S[2] * dS[2]
        - 4 * N * (N + 1) * (dS[1] * S[3] + S[1] * dS[3])
        + N * N * (N + 1) * dS[4]
    )
    return num / (N * (N - 1.0) * (N - 2.0) * (N - 3.0))
