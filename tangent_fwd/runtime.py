"""Helpers that generated code calls at run time (as ``rt``): structural zeros and the few rules
too long to be one-line templates. Every helper takes the backend namespace ``xp`` where it needs
one, so it runs unchanged on NumPy or CuPy and never converts device arrays to host arrays."""
import math
import numbers


def zeros_like(value):
    """A zero tangent with the structure, shape and (floating) dtype of ``value``."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return 0.0
    if isinstance(value, numbers.Number) and not hasattr(value, "dtype"):
        return 0.0 if not isinstance(value, complex) else 0j
    if isinstance(value, tuple):
        return tuple(zeros_like(v) for v in value)
    if isinstance(value, list):
        return [zeros_like(v) for v in value]
    if isinstance(value, dict):
        return {k: zeros_like(v) for k, v in value.items()}
    dtype = getattr(value, "dtype", None)
    if dtype is not None:
        xp = namespace_of(value)
        if dtype.kind in "fc":
            return xp.zeros_like(value)
        return xp.zeros(getattr(value, "shape", ()), dtype=xp.float64)
    raise TypeError(f"tangent_fwd: cannot make a zero tangent for a value of type {type(value).__name__}")


_NAMESPACES = {}        # array type -> namespace
_BY_MODULE = {}         # top-level module name of an array type -> namespace


def register_namespace(array_module, namespace):
    _BY_MODULE[array_module] = namespace
    _NAMESPACES.clear()


def namespace_of(array):
    """The array namespace (numpy, cupy, a registered backend) that owns ``array``."""
    t = type(array)
    xp = _NAMESPACES.get(t)
    if xp is None:
        root = t.__module__.split(".")[0]
        xp = _BY_MODULE.get(root)
        if xp is None:
            import importlib
            xp = importlib.import_module("numpy" if root == "numpy" else root)
        _NAMESPACES[t] = xp
    return xp


def fresh(tangent):
    """A copy of ``tangent`` that can be written into without touching the original."""
    if isinstance(tangent, list):
        return list(tangent)
    if isinstance(tangent, dict):
        return dict(tangent)
    copy = getattr(tangent, "copy", None)
    return copy() if copy is not None else tangent


def log(xp, x):
    """log(x) that keeps a Python-number base a weak Python float (so float32 stays float32)."""
    if isinstance(x, numbers.Real) and not hasattr(x, "dtype"):
        return math.log(x) if x > 0 else (-math.inf if x == 0 else math.nan)
    return xp.log(x)


def sign(x):
    """sign(x) for Python numbers (staying Python floats) and arrays."""
    if isinstance(x, numbers.Real) and not hasattr(x, "dtype"):
        return 1.0 if x > 0 else (-1.0 if x < 0 else 0.0)
    return namespace_of(x).sign(x)


def _expand(xp, ans, axis, keepdims):
    if keepdims or axis is None:
        return ans
    return xp.expand_dims(ans, axis)


def extremum_jvp(xp, x, dx, ans, axis=None, keepdims=False):
    """Tangent of max/min over ``axis``: the mean of the tangents at the arg-extrema (ties split evenly)."""
    mask = (x == _expand(xp, ans, axis, keepdims))
    dtype = getattr(dx, "dtype", None) or xp.float64
    mask = mask.astype(dtype)
    num = xp.sum(dx * mask, axis=axis, keepdims=keepdims)
    return num / xp.sum(mask, axis=axis, keepdims=keepdims)


def builtin_extremum_jvp(values, tangents, ans):
    """Tangent of builtin max/min (of several arguments, or of one sequence): the tangent at the
    first arg-extremum."""
    if len(values) == 1:
        values, tangents = values[0], tangents[0]
    for v, t in zip(values, tangents):
        if v == ans:
            return t
    raise ValueError("max/min: no element equals the result")


def prod_jvp(xp, x, dx, ans, axis=None, keepdims=False):
    """Tangent of prod over ``axis``, exact even where x has zeros (products of the other factors)."""
    if axis is None:
        x, dx, axis_ = xp.reshape(x, (-1,)), xp.reshape(dx, (-1,)) * xp.ones_like(xp.reshape(x, (-1,))), 0
    else:
        axis_ = axis
    if isinstance(axis_, tuple):
        raise TypeError("tangent_fwd: prod over a tuple of axes: reshape to one axis first")
    x = xp.moveaxis(x, axis_, -1)
    dx = xp.moveaxis(dx * xp.ones_like(xp.moveaxis(x, -1, axis_)), axis_, -1)
    ones = xp.ones_like(x[..., :1])
    left = xp.cumprod(xp.concatenate([ones, x[..., :-1]], axis=-1), axis=-1)
    right = xp.flip(xp.cumprod(xp.flip(xp.concatenate([x[..., 1:], ones], axis=-1), axis=-1), axis=-1), axis=-1)
    out = xp.sum(dx * left * right, axis=-1)
    if keepdims:
        out = xp.expand_dims(out, axis if axis is not None else 0)
        if axis is None:
            out = xp.reshape(out, (1,) * max(len(getattr(ans, "shape", ())), 0) or ())
    return out


def cumprod_jvp(xp, x, dx, ans, axis=None):
    """Tangent of cumprod: sum_j<=i dx_j * prod_{k<=i, k!=j} x_k, exact with zeros (O(n^2) memory)."""
    if axis is None:
        x, dx, axis = xp.reshape(x, (-1,)), xp.reshape(dx, (-1,)), 0
    x = xp.moveaxis(x, axis, -1)
    dx = xp.moveaxis(dx, axis, -1)
    n = x.shape[-1]
    tri = xp.tril(xp.ones((n, n), dtype=bool))                       # [i, j]: j <= i
    eye = xp.eye(n, dtype=bool)
    # factors[..., i, j, k] = x_k for k <= i and k != j, dx_j for k == j <= i, 1 otherwise
    xk = xp.broadcast_to(x[..., None, None, :], x.shape[:-1] + (n, n, n))
    dxk = xp.broadcast_to(dx[..., None, :, None], x.shape[:-1] + (n, n, n))
    k_le_i = tri[:, None, :]
    k_eq_j = eye[None, :, :]
    f = xp.where(k_eq_j & k_le_i, dxk, xp.where(k_le_i, xk, 1))
    f = xp.where(tri[:, :, None], f, 0)
    out = xp.sum(xp.prod(f, axis=-1), axis=-1)
    return xp.moveaxis(out, -1, axis)


def var_jvp(xp, x, dx, axis=None, ddof=0, keepdims=False):
    """Tangent of var: 2 * sum((x - mean) * dx) / (N - ddof)."""
    xc = x - xp.mean(x, axis=axis, keepdims=True)
    size = x.size if hasattr(x, "size") else 1
    out_size = xp.mean(x, axis=axis).size if axis is not None else 1
    n = size // max(out_size, 1)
    return 2 * xp.sum(xc * dx, axis=axis, keepdims=keepdims) / (n - ddof)


def norm_jvp(xp, x, dx, ans, ord=None, axis=None, keepdims=False):
    """Tangent of linalg.norm for the Frobenius / vector p-norms; other orders raise, never guess."""
    vector = axis is not None and not isinstance(axis, tuple) or (axis is None and getattr(x, "ndim", 1) == 1)
    if ord is None or ord == "fro" or (vector and ord == 2):
        num = xp.sum(x * dx, axis=axis, keepdims=keepdims)
        return num / ans
    if vector and ord not in (0, "nuc"):
        a = _expand(xp, ans, axis, keepdims)
        if ord == math.inf or ord == -math.inf:
            return extremum_jvp(xp, xp.abs(x), xp.sign(x) * dx, ans, axis=axis, keepdims=keepdims)
        if ord == 1:
            return xp.sum(xp.sign(x) * dx, axis=axis, keepdims=keepdims)
        num = xp.sum(xp.sign(x) * xp.abs(x) ** (ord - 1) * dx, axis=axis, keepdims=keepdims)
        return num / _squeeze_like(xp, a, axis, keepdims) ** (ord - 1)
    raise TypeError(f"tangent_fwd: no JVP for numpy.linalg.norm with ord={ord!r} over axis={axis!r}; "
                    "register one with tangent_fwd.defjvp(numpy.linalg.norm, ...)")


def _squeeze_like(xp, a, axis, keepdims):
    if keepdims or axis is None:
        return a
    return xp.squeeze(a, axis=axis)


def clip_jvp_x(dx, ans, x):
    return dx * (ans == x)
