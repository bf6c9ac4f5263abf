"""Run-time JVP helpers for the linalg rules (see the package docstring).

Each decomposition's tangent is written ONCE, as a function ``f(o, ...)`` of an operations namespace
``o``: ``_Plain(xp)`` runs it on arrays (the first derivative); ``_Jet(xp)`` runs the same code on
pairs (value, tangent) of arrays, so the derivative of the tangent itself (forward over forward:
``hessian``) comes from the formula that is tested, not from a second hand-derived one. A third
derivative is refused (``NotDifferentiableHere``), as for the other rules' second-order helpers.

Conventions, from JAX (and the textbook formulas: Giles 2008, Seeger et al. 2017):
- Hermitian inputs (cholesky, eigh, eigvalsh, svd/pinv with hermitian=True) are read from ONE triangle,
  as LAPACK reads them, so the tangent is that of the function NumPy computes (a perturbation of the
  other triangle changes nothing).
- Eigen- and singular vectors are unique up to sign (a phase for complex ones): the tangent is the one
  with Re(v_i^H dv_i) = 0, which matches NumPy's real vectors; for complex vectors only
  phase-invariant quantities (|v_i|, v_i v_i^H, U diag(s) V^H) are meaningful.
- Repeated eigenvalues or singular values make the vectors non-unique: their tangent is refused
  (NotDifferentiableHere), never inf/nan. The values' tangent there is diag(V^H dA V), exact for any
  function symmetric in each group of equal values (trace, logdet, norms), as in JAX and PyTorch.
- A zero singular value is a kink (like |x| at 0): the SVD's tangent is refused there.
"""

import functools
import numbers

from ..errors import NotDifferentiableHere

# ------------------------------------------------------------------ small linear maps (rules: deflinear)


def ct(xp, x):
    """Conjugate transpose of the last two axes."""
    return xp.conj(xp.swapaxes(x, -1, -2))


def ct_if(xp, x, flag):
    """``ct(x)`` when ``flag``, else ``x`` (an upper Cholesky factor is the lower one's ``ct``)."""
    return ct(xp, x) if flag else x


def _lower(uplo):
    if isinstance(uplo, str):
        if uplo.upper() not in ("L", "U"):
            raise ValueError(f"UPLO must be 'L' or 'U', got {uplo!r}")
        return uplo.upper() == "L"
    return bool(uplo)


def _eye(xp, x):
    n = x.shape[-1]
    real = xp.real(x[..., :1, :1]).dtype if _is_complex(x) else x.dtype
    return xp.eye(n, dtype=real)


def herm(xp, t, uplo="L"):
    """The Hermitian matrix LAPACK sees when it reads only the ``uplo`` triangle of ``t`` (the
    diagonal's imaginary part is ignored): the tangent of a Hermitian input as NumPy uses it."""
    if type(t) in (list, tuple):  # the tangent of a matrix written as a nested list
        t = _stacked(xp, t)
    off = xp.tril(t, -1) if _lower(uplo) else xp.triu(t, 1)
    return off + ct(xp, off) + _eye(xp, t) * xp.real(t)


def phi(xp, x):
    """The lower triangle with the diagonal halved (Cholesky's tangent: L phi(L^-1 dA L^-H))."""
    return xp.tril(x) - 0.5 * (_eye(xp, x) * x)


def tri(xp, c, lower):
    """The triangle of a packed factor (``cho_factor`` leaves the input in the other one)."""
    return xp.tril(c) if lower else xp.triu(c)


def other_tri(xp, c, lower):
    """The strict other triangle (what ``cho_factor`` leaves untouched)."""
    return xp.triu(c, 1) if lower else xp.tril(c, -1)


def skew_lower(xp, c):
    """The skew-Hermitian matrix with ``c``'s strict lower triangle and i Im diag(c) (QR's Q^H dQ)."""
    low = xp.tril(c, -1)
    out = low - ct(xp, low)
    if _is_complex(c):
        out = out + _eye(xp, c) * (c - xp.real(c))
    return out


def pair_diff(xp, w):
    """``w_j - w_i`` at (i, j)."""
    return w[..., None, :] - w[..., :, None]


def quad_diag(xp, a, s, b):
    """Re diag(a^H s b), trilinear: the eigen/singular values' tangent."""
    return xp.real(xp.sum(xp.conj(a) * (s @ b), axis=-2))


def block(xp, a, b):
    """[[a, b], [0, a]]: expm of it has the Frechet derivative of expm at a along b in its corner."""
    zero = xp.zeros_like(a)
    return xp.concatenate([xp.concatenate([a, b], axis=-1), xp.concatenate([zero, a], axis=-1)], axis=-2)


def flat_axes(xp, x, axis):
    """``x`` with the axes a vector norm reduces (all of them for None) moved to the end as one axis."""
    nd = x.ndim
    axes = tuple(range(nd)) if axis is None else tuple(a % nd for a in (axis if isinstance(axis, tuple) else (axis,)))
    rest = tuple(a for a in range(nd) if a not in axes)
    moved = xp.moveaxis(x, axes, tuple(range(nd - len(axes), nd))) if axes else x
    return xp.reshape(moved, tuple(x.shape[a] for a in rest) + (-1,))


def tensor_axes(xp, a, axes):
    """``a`` with ``axes`` moved to the end, as ``tensorsolve`` orders its first argument."""
    if axes is None:
        return a
    order = [k for k in range(a.ndim) if k not in axes] + list(axes)
    return xp.transpose(a, order)


def corner(xp, m):
    """The upper right quarter of a square (stack of) matrix."""
    n = m.shape[-1] // 2
    return m[..., :n, n:]


def trisolve(xp, a, b, lower=True):
    """``solve(a, b)`` for a triangular ``a`` (only its ``lower``/upper triangle is read): SciPy's
    triangular solve for a NumPy matrix (a quarter of an LU solve's work), the backend's solve otherwise."""
    if getattr(xp, "__name__", "") == "numpy" and getattr(a, "ndim", 0) == 2 and getattr(b, "ndim", 0) <= 2:
        try:
            import scipy.linalg
        except ImportError:  # pragma: no cover - SciPy is optional
            scipy = None
        if scipy is not None:
            return scipy.linalg.solve_triangular(a, b, lower=lower, check_finite=False)
    return xp.linalg.solve(xp.tril(a) if lower else xp.triu(a), b)


# ------------------------------------------------------------------ checks: refuse rather than return inf/nan


def _is_complex(x):
    return getattr(getattr(x, "dtype", None), "kind", "f") == "c"


def _eps(xp, x):
    dtype = xp.real(x).dtype if _is_complex(x) else x.dtype
    return float(xp.finfo(dtype).eps)


def _gap_inv(xp, w, what):
    """F[i, j] = 1 / (w_j - w_i), 0 on the diagonal; a refusal at (numerically) equal values."""
    n = w.shape[-1]
    d = pair_diff(xp, w)
    eye = xp.eye(n, dtype=bool)
    scale = float(xp.max(xp.abs(w))) if w.size else 0.0
    tol = max(n, 1) * _eps(xp, w) * scale
    if bool(xp.any(xp.logical_and(xp.abs(d) <= tol, xp.logical_not(eye)))):
        raise NotDifferentiableHere(
            f"tangent_fwd: {what} of a matrix with repeated {'singular values' if 'svd' in what else 'eigenvalues'}: "
            "the vectors are not unique there, so they have no derivative (the values alone do: use "
            f"{'np.linalg.svdvals / svd(compute_uv=False)' if 'svd' in what else 'np.linalg.eigvalsh'})"
        )
    return xp.where(eye, 0, 1 / xp.where(eye, 1, d))


def _inv_checked(xp, s, what):
    scale = float(xp.max(s)) if s.size else 0.0
    tol = max(s.shape[-1], 1) * _eps(xp, s) * scale
    if bool(xp.any(s <= tol)):
        raise NotDifferentiableHere(
            f"tangent_fwd: {what} of a rank-deficient matrix (a zero singular value: a kink, like |x| at 0) "
            "has no derivative"
        )
    return 1 / s


def _check_triangular(xp, r, what):
    d = xp.abs(xp.diagonal(r, axis1=-2, axis2=-1))
    scale = float(xp.max(d)) if d.size else 0.0
    if bool(xp.any(d <= max(d.shape[-1], 1) * _eps(xp, r) * scale)):
        raise NotDifferentiableHere(f"tangent_fwd: {what} of a rank-deficient matrix has no unique derivative")


# ------------------------------------------------------------------ the two namespaces the formulas run in


class _Plain:
    """Operations on arrays."""

    def __init__(self, xp):
        self.xp = xp

    def lift(self, x):
        return x

    def ct(self, x):
        return ct(self.xp, x)

    def tril(self, x, k=0):
        return self.xp.tril(x, k)

    def triu(self, x, k=0):
        return self.xp.triu(x, k)

    def real(self, x):
        return self.xp.real(x)

    def conj(self, x):
        return self.xp.conj(x)

    def diagonal(self, x):
        return self.xp.diagonal(x, axis1=-2, axis2=-1)

    def sum(self, x, axis):
        return self.xp.sum(x, axis=axis)

    def concatenate(self, xs, axis):
        return self.xp.concatenate(xs, axis=axis)

    def solve(self, a, b):
        return self.xp.linalg.solve(a, b)

    def inv(self, a):
        return self.xp.linalg.inv(a)

    def trisolve(self, a, b, lower):
        return trisolve(self.xp, a, b, lower)

    def herm(self, t, uplo):
        return herm(self.xp, t, uplo)

    def skew_lower(self, c):
        return skew_lower(self.xp, c)

    def gap_inv(self, w, what):
        return _gap_inv(self.xp, w, what)

    def inv_checked(self, s, what):
        return _inv_checked(self.xp, s, what)

    def matmul_chain(self, xs):
        return functools.reduce(lambda p, q: p @ q, xs)

    def eigh(self, a, uplo):
        w, v = self.xp.linalg.eigh(a, UPLO=uplo)
        return w, v

    def svd(self, a, hermitian):
        # hermitian= only when set: cupy.linalg.svd has no such keyword (a Hermitian input on CuPy is refused
        # by CuPy itself with a TypeError, never computed some other way)
        kw = {"hermitian": True} if hermitian else {}
        u, s, vh = self.xp.linalg.svd(a, full_matrices=False, **kw)
        return u, s, vh

    def eig(self, a):
        w, v = self.xp.linalg.eig(a)
        return w, v

    def pinv(self, a, rtol):
        # the relative cutoff passed positionally (NumPy calls it rcond or rtol, CuPy only rcond)
        return self.xp.linalg.pinv(a, rtol)

    def qr(self, a):
        q, r = self.xp.linalg.qr(a)
        return q, r

    def eye_like(self, a):
        return self.xp.eye(a.shape[-1], dtype=a.dtype)

    def moveaxis(self, x, src, dst):
        return self.xp.moveaxis(x, src, dst)

    def expand_dims(self, x, axis):
        return self.xp.expand_dims(x, axis)


class J:
    """A value and its tangent (``d is None``: a constant). Arithmetic follows the product rule; NumPy
    arrays defer to it (``__array_ufunc__ = None``), so ``array @ J`` works too."""

    __array_ufunc__ = None
    __slots__ = ("v", "d")

    def __init__(self, v, d=None):
        self.v, self.d = v, d

    shape = property(lambda self: self.v.shape)
    ndim = property(lambda self: self.v.ndim)
    dtype = property(lambda self: self.v.dtype)
    size = property(lambda self: self.v.size)

    def __add__(self, o):
        o = _j(o)
        return J(self.v + o.v, _add(self.d, o.d))

    __radd__ = __add__

    def __neg__(self):
        return J(-self.v, None if self.d is None else -self.d)

    def __sub__(self, o):
        return self + (-_j(o))

    def __rsub__(self, o):
        return _j(o) + (-self)

    def __mul__(self, o):
        o = _j(o)
        return J(self.v * o.v, _add(_mul(self.d, o.v), _mul(self.v, o.d)))

    __rmul__ = __mul__

    def __truediv__(self, o):
        o = _j(o)
        q = self.v / o.v
        num = _add(self.d, None if o.d is None else -(q * o.d))
        return J(q, None if num is None else num / o.v)

    def __rtruediv__(self, o):
        return _j(o) / self

    def __matmul__(self, o):
        o = _j(o)
        return J(self.v @ o.v, _add(_mm(self.d, o.v), _mm(self.v, o.d)))

    def __rmatmul__(self, o):
        return _j(o) @ self

    def __getitem__(self, idx):
        return J(self.v[idx], None if self.d is None else self.d[idx])


def _j(x):
    return x if isinstance(x, J) else J(x)


def _add(a, b):
    if a is None:
        return b
    if b is None:
        return a
    return a + b


def _mul(a, b):
    return None if a is None or b is None else a * b


def _mm(a, b):
    return None if a is None or b is None else a @ b


class _Jet:
    """Operations on ``J`` pairs: each linear map acts on both parts, the nonlinear ones use their
    first-order formula (the same functions the rules call)."""

    def __init__(self, xp):
        self.xp = xp
        self.plain = _Plain(xp)

    def lift(self, x):
        return _j(x)

    def _lin(self, f, x, *args):
        x = _j(x)
        return J(f(x.v, *args), None if x.d is None else f(x.d, *args))

    def ct(self, x):
        return self._lin(self.plain.ct, x)

    def tril(self, x, k=0):
        return self._lin(self.plain.tril, x, k)

    def triu(self, x, k=0):
        return self._lin(self.plain.triu, x, k)

    def real(self, x):
        return self._lin(self.plain.real, x)

    def conj(self, x):
        return self._lin(self.plain.conj, x)

    def diagonal(self, x):
        return self._lin(self.plain.diagonal, x)

    def sum(self, x, axis):
        return self._lin(self.plain.sum, x, axis)

    def herm(self, t, uplo):
        return self._lin(self.plain.herm, t, uplo)

    def skew_lower(self, c):
        return self._lin(self.plain.skew_lower, c)

    def concatenate(self, xs, axis):
        xs = [_j(x) for x in xs]
        if all(x.d is None for x in xs):
            return J(self.plain.concatenate([x.v for x in xs], axis))
        ds = [x.d if x.d is not None else self.xp.zeros_like(x.v) for x in xs]
        return J(self.plain.concatenate([x.v for x in xs], axis), self.plain.concatenate(ds, axis))

    def solve(self, a, b):
        a, b = _j(a), _j(b)
        x = self.plain.solve(a.v, b.v)
        rhs = _add(b.d, None if a.d is None else -(a.d @ x))
        return J(x, None if rhs is None else self.plain.solve(a.v, rhs))

    def trisolve(self, a, b, lower):
        a, b = _j(a), _j(b)
        x = self.plain.trisolve(a.v, b.v, lower)
        da = None if a.d is None else (self.xp.tril(a.d) if lower else self.xp.triu(a.d))
        rhs = _add(b.d, None if da is None else -(da @ x))
        return J(x, None if rhs is None else self.plain.trisolve(a.v, rhs, lower))

    def inv(self, a):
        a = _j(a)
        x = self.plain.inv(a.v)
        return J(x, None if a.d is None else -(x @ a.d @ x))

    def gap_inv(self, w, what):
        w = _j(w)
        f = self.plain.gap_inv(w.v, what)
        return J(f, None if w.d is None else -(f * f) * pair_diff(self.xp, w.d))

    def inv_checked(self, s, what):
        s = _j(s)
        r = self.plain.inv_checked(s.v, what)
        return J(r, None if s.d is None else -(r * r) * s.d)

    def matmul_chain(self, xs):
        return functools.reduce(lambda p, q: _j(p) @ q, xs)

    def eigh(self, a, uplo):
        a = _j(a)
        w, v = self.plain.eigh(a.v, uplo)
        if a.d is None:
            return J(w), J(v)
        dw, dv = eigh_formula(self.plain, w, v, herm(self.xp, a.d, uplo))
        return J(w, dw), J(v, dv)

    def eig(self, a):
        a = _j(a)
        w, v = self.plain.eig(a.v)
        if a.d is None:
            return J(w), J(v)
        dw, dv = eig_formula(self.plain, w, v, a.d)
        return J(w, dw), J(v, dv)

    def svd(self, a, hermitian):
        a = _j(a)
        u, s, vh = self.plain.svd(a.v, hermitian)
        if a.d is None:
            return J(u), J(s), J(vh)
        t = herm(self.xp, a.d, "L") if hermitian else a.d
        du, ds, dvh = svd_formula(self.plain, u, s, vh, t)
        return J(u, du), J(s, ds), J(vh, dvh)

    def pinv(self, a, rtol):
        a = _j(a)
        p = self.plain.pinv(a.v, rtol)
        return J(p, None if a.d is None else pinv_formula(self.plain, a.v, p, a.d))

    def qr(self, a):
        a = _j(a)
        q, r = self.plain.qr(a.v)
        if a.d is None:
            return J(q), J(r)
        dq, dr = qr_formula(self.plain, q, r, a.d)
        return J(q, dq), J(r, dr)

    def eye_like(self, a):
        return J(self.plain.eye_like(_j(a).v))

    def moveaxis(self, x, src, dst):
        return self._lin(self.plain.moveaxis, x, src, dst)

    def expand_dims(self, x, axis):
        return self._lin(self.plain.expand_dims, x, axis)


def _tree_d(out, xp):
    if isinstance(out, (tuple, list)):
        return Tangents(_tree_d(o, xp) for o in out)
    out = _j(out)
    return out.d if out.d is not None else xp.zeros_like(out.v)


def _lift(x, dx):
    if isinstance(x, (tuple, list)):
        return tuple(_lift(a, None if dx is None else dx[i]) for i, a in enumerate(x))
    if x is None or isinstance(x, (str, bool)) or dx is None:
        return x if not hasattr(x, "shape") else J(x)
    return J(x, dx)


def second(formula, xp, args, dargs):
    """The derivative of ``formula(o, *args)`` along ``dargs`` (None: a constant argument)."""
    return _tree_d(formula(_Jet(xp), *(_lift(a, d) for a, d in zip(args, dargs))), xp)


class Tangents(tuple):
    """The tangent of a call returning a tuple (a namedtuple's fields readable by name when it is one):
    per-argument contributions add elementwise."""

    def __add__(self, other):
        return type(self)(a + b for a, b in zip(self, other))

    __radd__ = __add__


class _NamedTangents(Tangents):
    """A tangent with a namedtuple's fields (``_fields``, so ``rt.records`` treats it as a record):
    built from the fields (``cls(*fields)``, as a record is) or from one iterable (as ``bstack`` does)."""

    _fields = ()

    def __new__(cls, *args):
        if len(args) == 1 and len(cls._fields) != 1:
            return tuple.__new__(cls, args[0])
        return tuple.__new__(cls, args)


@functools.cache
def _named(cls):
    fields = tuple(getattr(cls, "_fields", ()))
    attrs = {f: property(lambda self, i=i: self[i]) for i, f in enumerate(fields)}
    attrs["_fields"] = fields
    return type(f"{cls.__name__}Tangent", (_NamedTangents,), attrs)


def tangent_of(like, parts):
    """``parts`` as a tangent of the tuple ``like`` (namedtuple fields by name too)."""
    return _named(type(like))(parts) if hasattr(like, "_fields") else Tangents(parts)


# ------------------------------------------------------------------ the formulas (tangent of each decomposition)


def eigh_formula(o, w, v, s):
    """(dw, dV) of ``w, V = eigh(A)`` along the Hermitian ``s``: M = V^H s V, dw = Re diag M,
    dV = V (F * M) with F[i, j] = 1 / (w_j - w_i)."""
    m = o.ct(v) @ s @ v
    return o.real(o.diagonal(m)), v @ (o.gap_inv(w, "the eigenvectors of eigh") * m)


def eig_formula(o, w, v, t):
    """(dw, dV) of ``w, V = eig(A)``: M = V^-1 t V, dw = diag M, dV = V (F * M) with F[i, j] =
    1 / (w_j - w_i), then each column kept at unit norm (NumPy's normalisation): dv -= v Re(v^H dv)."""
    m = o.solve(v, t @ v)
    dv = v @ (o.gap_inv(w, "the eigenvectors of eig") * m)
    dv = dv - v * o.real(o.sum(o.conj(v) * dv, -2))[..., None, :]
    return o.diagonal(m), dv


def eigvals_formula(o, a, t):
    w, v = o.eig(a)
    return o.diagonal(o.solve(v, t @ v))


def eigvalsh_formula(o, a, t, uplo):
    w, v = o.eigh(a, uplo)
    s = o.herm(t, uplo)
    return o.real(o.sum(o.conj(v) * (s @ v), -2))


def svd_formula(o, u, s, vh, t):
    """(dU, ds, dVh) of the reduced SVD ``A = U diag(s) Vh`` along ``t`` (JAX's svd_jvp)."""
    if u.shape[-1] != vh.shape[-2]:
        raise NotDifferentiableHere(
            "tangent_fwd: svd with full_matrices=True of a non-square matrix: the extra singular vectors "
            "are not unique, so they have no derivative; pass full_matrices=False (or compute_uv=False)"
        )
    v = o.ct(vh)
    sinv = o.inv_checked(s, "svd")
    p = o.ct(u) @ t @ v
    ds = o.real(o.diagonal(p))
    row, col = s[..., None, :], s[..., :, None]
    f = o.gap_inv(s * s, "the singular vectors of svd")
    du = u @ (f * (p * row + col * o.ct(p)))
    dv = v @ (f * (col * p + o.ct(p) * row))
    if _is_complex(u):  # the phase: i Im(p_ii) / s_i on U's columns
        du = du + u * ((o.diagonal(p) - o.real(o.diagonal(p))) * sinv)[..., None, :]
    m, n, k = u.shape[-2], vh.shape[-1], s.shape[-1]
    if m > k:
        tv = t @ v
        du = du + (tv - u @ (o.ct(u) @ tv)) * sinv[..., None, :]
    if n > k:
        tu = o.ct(t) @ u
        dv = dv + (tu - v @ (vh @ tu)) * sinv[..., None, :]
    return du, ds, o.ct(dv)


def svdvals_formula(o, a, t, hermitian):
    u, s, vh = o.svd(a, hermitian)
    o.inv_checked(s, "the singular values")
    t = o.herm(t, "L") if hermitian else t
    return o.real(o.sum(o.conj(u) * (t @ o.ct(vh)), -2))


def qr_formula(o, q, r, t):
    """(dQ, dR) of the reduced QR ``A = Q R`` (JAX's qr_jvp; wide A: the first k columns, then
    R's remaining columns as Q^H (dA2 - dQ R2))."""
    k = r.shape[-2]
    r1, t1 = r[..., :, :k], t[..., :, :k]
    _check_triangular(o.xp, _j(r1).v, "qr")
    e = o.ct(o.trisolve(o.ct(r1), o.ct(t1), True))  # t1 r1^-1
    c = o.ct(q) @ e
    w = o.skew_lower(c)
    dq = q @ (w - c) + e
    dr = (c - w) @ r1
    if r.shape[-1] > k:
        dr = o.concatenate([dr, o.ct(q) @ (t[..., :, k:] - dq @ r[..., :, k:])], -1)
    return dq, dr


def qr_r_formula(o, a, t):
    q, r = o.qr(a)
    return qr_formula(o, q, r, t)[1]


def pinv_formula(o, a, p, t):
    """d pinv(A): -P dA P + P P^H dA^H (I - A P) + (I - P A) dA^H P^H P, exact while the rank (after
    the cutoff) does not change."""
    th = o.ct(t)
    ph = o.ct(p)
    term2 = (p @ ph) @ (th - (th @ a) @ p)
    g = th @ (ph @ p)
    return -(p @ t @ p) + term2 + (g - p @ (a @ g))


def lstsq_formula(o, a, b, t, db, rcond, x, residuals):
    """Tangents of lstsq's (x, residuals, rank, s): x = pinv(a) b at lstsq's own rank cutoff."""
    m, n = a.shape[-2], a.shape[-1]
    if rcond is None:
        rcond = _eps(o.xp, _j(a).v) * max(m, n)
    p = o.pinv(a, rcond)
    r = b - a @ x
    dx = None
    dres_terms = []
    if t is not None:
        dx = -(p @ (t @ x)) + p @ (o.ct(p) @ (o.ct(t) @ r)) + (lambda g: g - p @ (a @ g))(o.ct(t) @ (o.ct(p) @ x))
        dres_terms.append(-(t @ x))
    if db is not None:
        dx = p @ db if dx is None else dx + p @ db
        dres_terms.append(db)
    if residuals.shape[0]:
        dr = functools.reduce(lambda u, w: u + w, dres_terms)
        dres = 2 * o.real(o.sum(o.conj(r) * dr, 0))
        dres = dres[None] if b.ndim == 1 else dres
    else:
        dres = _j(residuals).v * 0
    ds = svdvals_formula(o, a, t, False) if t is not None else o.lift(o.xp.zeros(min(m, n), dtype=_j(x).v.real.dtype))
    return dx, dres, ds


def matrix_power_formula(o, a, t, n):
    """d(A^n) by binary powering on pairs (P, dP): d(PQ) = dP Q + P dQ; n < 0 through A^-1."""
    if not isinstance(n, numbers.Integral):
        raise TypeError("matrix_power: the exponent must be an integer")
    if n == 0:
        return o.lift(_j(t).v * 0)
    if n < 0:
        base = o.inv(a)
        dbase = -(base @ t @ base)
        n = -n
    else:
        base, dbase = a, t
    res, dres = None, None
    while n:
        if n & 1:
            res, dres = (base, dbase) if res is None else (res @ base, dres @ base + res @ dbase)
        n >>= 1
        if n:
            base, dbase = base @ base, dbase @ base + base @ dbase
    return dres


def multi_dot_formula(o, arrays, tangents):
    out = None
    for i, ti in enumerate(tangents):
        if ti is None:
            continue
        term = o.matmul_chain(list(arrays[:i]) + [ti] + list(arrays[i + 1 :]))
        out = term if out is None else out + term
    return out


# ------------------------------------------------------------------ what the rules' templates call
#
# Each pair (NAME_jvp, NAME_jvp2) comes from one formula: NAME_jvp(xp, *args) is the first derivative;
# NAME_jvp2(xp, *args, *directions) is its derivative along one direction per differentiable argument
# (None: constant), the formula run on pairs. linalg_rules registers both from the same table.


def _sequences_as_arrays(xp, args, diff):
    """A matrix given as a (nested) list (``np.linalg.eigh([[a, b], [b, c]])``), and its tangent (a list
    of the same nesting), as arrays: the formulas read ``.shape`` and use ``@``. Lists only, at the
    differentiated positions: a result passed in may be a plain tuple (``lstsq``'s)."""
    if not any(type(args[i]) is list for i in diff if i < len(args)):
        return args
    args = list(args)
    for i in diff:
        if i < len(args) and type(args[i]) is list:
            args[i] = _stacked(xp, args[i])
    return tuple(args)


def _stacked(xp, seq):
    """NumPy's array of a nested sequence of numbers and arrays; a zero tangent (0.0) of a constant
    element takes the shape of the other elements at its level."""
    items = [_stacked(xp, v) if type(v) in (list, tuple) else xp.asarray(v) for v in seq]
    shape = max((v.shape for v in items), key=len, default=())
    return xp.stack([v if v.shape == shape else xp.broadcast_to(v, shape) for v in items]) if items else xp.asarray(seq)


def _pair(name, formula, nargs, diff, like=None, matrices=True):
    """The helpers ``name`` and ``name + '2'`` for ``formula(o, *args)``; ``diff``: the indices of the
    arguments with a direction; ``like``: the index of the argument (a NumPy result tuple) whose type the
    tangent takes (``tangent_of``); ``matrices``: a list at a differentiated position is one matrix
    written as nested lists (False: a list of matrices, multi_dot's)."""
    convert = _sequences_as_arrays if matrices else (lambda xp, args, diff: args)

    def finish(out, args):
        if isinstance(out, tuple) and like is not None and isinstance(args[like], tuple):
            return tangent_of(args[like], out)
        return Tangents(out) if isinstance(out, tuple) else out

    def first(xp, *args):
        args = convert(xp, args, diff)
        return finish(formula(_Plain(xp), *args), args)

    def second_order(xp, *args):
        args = convert(xp, args, diff)
        base, dirs = args[:nargs], args[nargs:]
        full = [None] * nargs
        for i, d in zip(diff, dirs):
            full[i] = d
        return finish(second(formula, xp, base, full), base)

    for f, n in ((first, name), (second_order, name + "2")):
        f.__name__ = f.__qualname__ = n
        f.__module__ = __name__
        f.__doc__ = f"{'Tangent' if f is first else 'Second derivative'} of {name[:-4]} ({formula.__name__})."
    return first, second_order


def _eigh(o, ans, t, uplo):
    return eigh_formula(o, ans[0], ans[1], o.herm(t, uplo))


def _eig(o, ans, t):
    return eig_formula(o, ans[0], ans[1], t)


def _svd(o, a, ans, t, compute_uv, hermitian):
    if not compute_uv:
        return svdvals_formula(o, a, t, hermitian)
    return svd_formula(o, ans[0], ans[1], ans[2], o.herm(t, "L") if hermitian else t)


def _qr(o, a, ans, t, mode):
    _qr_mode(a, mode)
    if mode == "r":
        return qr_r_formula(o, a, t)
    return qr_formula(o, ans[0], ans[1], t)


def _scipy_qr(o, a, res, t, mode, pivoting):
    """scipy.linalg.qr: mode 'full' (NumPy's 'complete'), 'economic' ('reduced') or 'r' (a 1-tuple);
    with pivoting=True the tangent of the QR of a[:, P] along t[:, P] (the pivots held fixed)."""
    if mode not in ("full", "economic", "r"):
        raise NotDifferentiableHere(f"tangent_fwd: scipy.linalg.qr(mode={mode!r}) has no derivative")
    if pivoting:
        perm = [int(i) for i in res[-1]]
        a, t = a[..., :, perm], t[..., :, perm]
    if mode == "r":  # SciPy's R is m x n: the rows past min(m, n) are zeros
        dr = o.lift(qr_r_formula(o, a, t))
        rows = res[0].shape[-2] - dr.shape[-2]
        if rows:
            zeros = o.xp.zeros(dr.shape[:-2] + (rows, dr.shape[-1]), dtype=_j(dr).v.dtype)
            dr = o.concatenate([dr, zeros], -2)
        out = (dr,)
    else:
        _qr_mode(a, "complete" if mode == "full" else "reduced")
        out = qr_formula(o, res[0], res[1], t)
    return tuple(out) + ((0.0,) if pivoting else ())


def _pinv(o, a, p, t, hermitian):
    return pinv_formula(o, a, p, o.herm(t, "L") if hermitian else t)


def _lstsq(o, a, b, ans, t, db, rcond):
    dx, dres, ds = lstsq_formula(o, a, b, t, db, rcond, ans[0], _j(ans[1]).v)
    return dx, dres, 0.0, ds


def _matrix_power(o, a, t, n):
    return matrix_power_formula(o, a, t, n)


def _multi_dot(o, arrays, tangents):
    return multi_dot_formula(o, list(arrays), list(tangents))


def _cond(o, x, t, p):
    """cond(x, p) = s_max / s_min (p None or 2; s_min / s_max for -2)."""
    u, s, vh = o.svd(x, False)
    o.inv_checked(s, "cond")
    ds = o.real(o.sum(o.conj(u) * (t @ o.ct(vh)), -2))
    hi, lo = (0, -1) if p in (None, 2) else (-1, 0)
    return (ds[..., hi] - s[..., hi] / s[..., lo] * ds[..., lo]) / s[..., lo]


def _qr_mode(a, mode):
    if mode not in ("reduced", "complete", "r"):
        raise NotDifferentiableHere(f"tangent_fwd: qr(mode={mode!r}) has no derivative (Householder data)")
    if mode == "complete" and a.shape[-2] > a.shape[-1]:
        raise NotDifferentiableHere(
            "tangent_fwd: qr(mode='complete') of a tall matrix: the extra columns of Q are not unique, so "
            "they have no derivative; use mode='reduced'"
        )


def _sequence_ndim(x):
    """The number of dimensions NumPy gives a (nested) list or tuple of numbers and arrays."""
    n = 0
    while isinstance(x, (list, tuple)) and len(x):
        n, x = n + 1, x[0]
    return n + len(getattr(x, "shape", ()))


def svd_norm(x, ord, axis):
    """Whether ``norm(x, ord, axis)`` is a matrix norm computed from the singular values."""
    ndim = len(x.shape) if hasattr(x, "shape") else _sequence_ndim(x)  # a nested list is a matrix too
    matrix = (axis is None and ndim == 2) or (isinstance(axis, tuple) and len(axis) == 2)
    return matrix and (isinstance(ord, str) and ord == "nuc" or ord in (2, -2) and not isinstance(ord, bool))


def _matrix_norm(o, x, t, ord, axis, keepdims):
    """The nuclear and spectral norms' tangents, Re diag(U^H t V) summed or at the extreme singular value
    (at a rank-deficient matrix or a tie, the values' convention; their second derivative is refused there)."""
    nd = x.ndim
    a0, a1 = (a % nd for a in (axis if axis is not None else (nd - 2, nd - 1)))
    xm, tm = o.moveaxis(x, (a0, a1), (-2, -1)), o.moveaxis(t, (a0, a1), (-2, -1))
    u, s, vh = o.svd(xm, False)
    ds = o.real(o.sum(o.conj(u) * (tm @ o.ct(vh)), -2))
    out = o.sum(ds, -1) if ord == "nuc" else ds[..., 0 if ord == 2 else -1]
    return o.expand_dims(out, (min(a0, a1), max(a0, a1))) if keepdims else out


def svd_cond(p):
    """cond's orders computed from the singular values (the others: norm(x, p) * norm(inv(x), p))."""
    return p in (None, 2, -2)


eigh_jvp, eigh_jvp2 = _pair("eigh_jvp", _eigh, 3, (0, 1), like=0)
eig_jvp, eig_jvp2 = _pair("eig_jvp", _eig, 2, (0, 1), like=0)
eigvals_jvp, eigvals_jvp2 = _pair("eigvals_jvp", eigvals_formula, 2, (0, 1))
eigvalsh_jvp, eigvalsh_jvp2 = _pair("eigvalsh_jvp", eigvalsh_formula, 3, (0, 1))
svd_jvp, svd_jvp2 = _pair("svd_jvp", _svd, 5, (0, 1, 2), like=1)
qr_jvp, qr_jvp2 = _pair("qr_jvp", _qr, 4, (0, 1, 2), like=1)
scipy_qr_jvp, scipy_qr_jvp2 = _pair("scipy_qr_jvp", _scipy_qr, 5, (0, 1, 2))
pinv_jvp, pinv_jvp2 = _pair("pinv_jvp", _pinv, 4, (0, 1, 2))
lstsq_jvp, lstsq_jvp2 = _pair("lstsq_jvp", _lstsq, 6, (0, 1, 2, 3, 4))
matrix_power_jvp, matrix_power_jvp2 = _pair("matrix_power_jvp", _matrix_power, 3, (0, 1))
multi_dot_jvp, multi_dot_jvp2 = _pair("multi_dot_jvp", _multi_dot, 2, (0, 1), matrices=False)
cond_jvp, cond_jvp2 = _pair("cond_jvp", _cond, 3, (0, 1))
matrix_norm_jvp, matrix_norm_jvp2 = _pair("matrix_norm_jvp", _matrix_norm, 5, (0, 1))

# (name, helper pair, its parameters after xp (a primal result is 'res': 'ans' in a template is the helper's own), which are primal / linear tangent arguments): the rule table
PAIRS = {
    "eigh_jvp": ("res, t, uplo", ("res",), ("t",)),
    "eigvalsh_jvp": ("a, t, uplo", ("a",), ("t",)),
    "eig_jvp": ("res, t", ("res",), ("t",)),
    "eigvals_jvp": ("a, t", ("a",), ("t",)),
    "svd_jvp": ("a, res, t, compute_uv, hermitian", ("a", "res"), ("t",)),
    "qr_jvp": ("a, res, t, mode", ("a", "res"), ("t",)),
    "pinv_jvp": ("a, p, t, hermitian", ("a", "p"), ("t",)),
    "scipy_qr_jvp": ("a, res, t, mode, pivoting", ("a", "res"), ("t",)),
    "lstsq_jvp": ("a, b, res, ta, tb, rcond", ("a", "b", "res"), ("ta", "tb")),
    "matrix_power_jvp": ("a, t, n", ("a",), ("t",)),
    "multi_dot_jvp": ("arrays, tangents", ("arrays",), ("tangents",)),
    "cond_jvp": ("x, t, p", ("x",), ("t",)),
    "matrix_norm_jvp": ("x, t, ord, axis, keepdims", ("x",), ("t",)),
}


# ------------------------------------------------------------------ SciPy wrappers (called only when SciPy is there)


def expm(xp, x):
    """``scipy.linalg.expm`` (NumPy arrays: SciPy has no backend dispatch here)."""
    import scipy.linalg

    return scipy.linalg.expm(x)


def tri_op(xp, t, trans=0, lower=False, unit_diagonal=False):
    """op(T) for the triangle ``solve_triangular`` reads: masked, unit diagonal dropped, transposed."""
    m = xp.tril(t) if lower else xp.triu(t)
    if unit_diagonal:
        m = m - _eye(xp, m) * m
    trans = {"N": 0, "T": 1, "C": 2}.get(trans, trans)
    if trans == 1:
        return xp.swapaxes(m, -1, -2)
    if trans == 2:
        return ct(xp, m)
    return m


def solve_triangular(xp, a, b, trans=0, lower=False, unit_diagonal=False, check_finite=True):
    import scipy.linalg

    return scipy.linalg.solve_triangular(
        a, b, trans=trans, lower=lower, unit_diagonal=unit_diagonal, check_finite=check_finite
    )


def cho_solve(xp, c_and_lower, b, check_finite=True):
    import scipy.linalg

    return scipy.linalg.cho_solve(c_and_lower, b, check_finite=check_finite)


def cho_dA(xp, c, t, lower):
    """The tangent of A = L L^H (or U^H U) from a packed factor ``c`` and its tangent ``t`` (bilinear)."""
    f, df = tri(xp, c, lower), tri(xp, t, lower)
    return df @ ct(xp, f) + f @ ct(xp, df) if lower else ct(xp, df) @ f + ct(xp, f) @ df


def lu_solve(xp, lu_and_piv, b, trans=0, check_finite=True):
    import scipy.linalg

    return scipy.linalg.lu_solve(lu_and_piv, b, trans=trans, check_finite=check_finite)


def _perm(piv, n):
    """Row order of P^T A from LAPACK's sequential interchanges (row i swapped with row piv[i])."""
    order = list(range(n))
    for i, p in enumerate(int(v) for v in piv):
        order[i], order[p] = order[p], order[i]
    return order


def lu_dA_x(xp, lu, t, piv, x, trans=0):
    """op(dA) x for A = P L U (L unit lower, U upper, packed in ``lu``) along the factors' tangent ``t``
    (linear in ``t`` and ``x``)."""
    return _lu_terms(xp, lu, t, piv, x, trans, True)


def lu_dA_x_dlu(xp, e, t, piv, x, trans=0):
    """The derivative of ``lu_dA_x`` w.r.t. ``lu`` along ``e`` (trilinear in e, t, x)."""
    return _lu_terms(xp, e, t, piv, x, trans, False)


def _lu_terms(xp, lu, dlu, piv, x, trans, unit):
    if getattr(lu, "ndim", 2) != 2:
        raise NotDifferentiableHere("tangent_fwd: lu_solve w.r.t. stacked LU factors is not implemented")
    n = lu.shape[-1]
    low = xp.tril(lu, -1) + (xp.eye(n, dtype=lu.dtype) if unit else 0)
    up = xp.triu(lu)
    dlow, dup = xp.tril(dlu, -1), xp.triu(dlu)
    core = dlow @ up + low @ dup  # P^T dA
    order = _perm(piv, n)
    trans = {"N": 0, "T": 1, "C": 2}.get(trans, trans)
    if trans == 0:  # dA x = P (core x): undo the row order
        return _unpermute(xp, core @ x, order)
    op = xp.swapaxes(core, -1, -2) if trans == 1 else ct(xp, core)
    return op @ x[order]  # op(dA) x = op(core) P^T x


def unit_lower(xp, lu):
    """L = I + the strict lower triangle of a packed LU factor."""
    return xp.tril(lu, -1) + xp.eye(lu.shape[-1], dtype=lu.dtype)


def permute_rows(xp, x, piv):
    """P^T x for lu_factor's pivots (rows interchanged in order)."""
    if getattr(x, "ndim", 2) != 2 or getattr(piv, "ndim", 1) != 1:
        raise NotDifferentiableHere("tangent_fwd: lu_factor of stacked matrices is not differentiated")
    return x[_perm(piv, x.shape[-2])]


def _unpermute(xp, y, order):
    """P y where (P^T z) = z[order]: put row i of y at position order[i]."""
    inv = [0] * len(order)
    for i, p in enumerate(order):
        inv[p] = i
    return y[inv]


def standard_only(xp, t, b=None, subset_by_index=None, subset_by_value=None):
    """``t`` itself for scipy.linalg.eigh's standard problem on all eigenvalues; the generalized problem
    (``b``) and a subset are refused (their tangents are not implemented)."""
    if b is not None or subset_by_index is not None or subset_by_value is not None:
        raise NotDifferentiableHere(
            "tangent_fwd: scipy.linalg.eigh/eigvalsh with b= (generalized problem) or a subset of the "
            "eigenvalues is not differentiated; use the standard problem on all eigenvalues"
        )
    return t


def scipy_solve(xp, a, b, lower=False, assume_a=None, transposed=False, check_finite=True):
    import scipy.linalg

    return scipy.linalg.solve(a, b, lower=lower, assume_a=assume_a, transposed=transposed, check_finite=check_finite)


def solve_dA(xp, t, lower=False, assume_a=None, transposed=False):
    """The matrix scipy.linalg.solve's ``a`` tangent amounts to: one triangle for the symmetric kinds,
    transposed for ``transposed=True``; the structured kinds are refused."""
    kind = assume_a if assume_a is not None else "gen"
    if kind in ("gen", "general"):
        m = t
    elif kind in ("her", "hermitian", "pos", "positive definite"):
        m = herm(xp, t, "L" if lower else "U")
    elif kind in ("sym", "symmetric"):
        off = xp.tril(t, -1) if lower else xp.triu(t, 1)
        m = off + xp.swapaxes(off, -1, -2) + _eye(xp, t) * t
    else:
        raise NotDifferentiableHere(f"tangent_fwd: scipy.linalg.solve(assume_a={assume_a!r}) is not differentiated")
    return xp.swapaxes(m, -1, -2) if transposed else m
