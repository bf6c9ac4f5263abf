"""Helpers that generated code calls at run time (as ``rt``): structural zeros and the few rules
too long to be one-line templates. Every helper takes the backend namespace ``xp`` where it needs
one, so it runs unchanged on NumPy or CuPy and never converts device arrays to host arrays."""

import cmath
import collections
import itertools
import math
import numbers
import types

from .errors import NotDifferentiableHere
from .jvp_helpers import records  # dataclass/namedtuple tangents (rt.records.*)


def zeros_like(value):
    """A zero tangent with the structure, shape and (floating) dtype of ``value``."""
    if isinstance(value, (bool, str, range, type, types.ModuleType)) or value is None:  # (a dtype class, a namespace)
        return 0.0
    if isinstance(value, numbers.Number) and not hasattr(value, "dtype"):
        return 0.0 if not isinstance(value, complex) else 0j
    if records.is_record(value):  # a dataclass or namedtuple: a record of the same type
        return records.rebuild(value, [zeros_like(v) for v in records.values(value)])
    if isinstance(value, tuple):
        return tuple(zeros_like(v) for v in value)
    if isinstance(value, list):
        return [zeros_like(v) for v in value]
    if isinstance(value, collections.defaultdict):  # a missing key's tangent: the zero of its default
        factory = value.default_factory
        out = collections.defaultdict(None if factory is None else lambda: zeros_like(factory()))
        out.update((k, zeros_like(v)) for k, v in value.items())
        return out
    if isinstance(value, dict):
        return {k: zeros_like(v) for k, v in value.items()}
    dtype = getattr(value, "dtype", None)
    if dtype is not None:
        xp = namespace_of(value)
        if dtype.kind in "fc":
            return xp.zeros_like(value)
        return xp.zeros(getattr(value, "shape", ()), dtype=xp.float64)
    raise NotDifferentiableHere(f"tangent_fwd: cannot make a zero tangent for a value of type {type(value).__name__}")


_NAMESPACES = {}  # array type -> namespace
_BY_MODULE = {}  # top-level module name of an array type -> namespace


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


def fresh_full(tangent, ans):
    """Vector mode ``fresh``: a copy of a batched tangent with the full shape ``(K,) + ans.shape``
    (``balign`` leaves broadcast-sized axes where an inactive operand widened the result), so that an
    in-place write through it or a view of it lands where the primal's does."""
    _concatenated_check(tangent, ans)
    shape = getattr(ans, "shape", None)
    if shape is None or getattr(tangent, "ndim", 0) == 0:
        return fresh(tangent)
    full = (tangent.shape[0],) + tuple(shape)
    if tuple(tangent.shape) == full:
        return tangent.copy()
    xp = namespace_of(tangent)
    out = xp.empty(full, dtype=tangent.dtype)
    out[...] = tangent
    return out


def own(tangent):
    """A copy of an input tangent that the generated function writes in place (containers and arrays,
    all the way down), so that the caller's tangent is never changed."""
    if records.is_record(tangent):
        return records.rebuild(tangent, [own(v) for v in records.values(tangent)])
    if isinstance(tangent, dict):
        return {k: own(v) for k, v in tangent.items()}
    if isinstance(tangent, list):
        return [own(v) for v in tangent]
    if isinstance(tangent, tuple):
        items = [own(v) for v in tangent]
        return type(tangent)(*items) if hasattr(tangent, "_fields") else tuple(items)
    copy = getattr(tangent, "copy", None)
    return copy() if copy is not None and hasattr(tangent, "shape") else tangent


def iset(tangent, value, primal=None):
    """The tangent of an in-place update ``r op= v``: written into ``tangent`` where the primal ``r``
    is an array updated in place (so views of the tangent see the change, as views of ``r`` do),
    else the new value (``r`` a Python number is rebound, not updated)."""
    if getattr(primal, "ndim", 0) == 0 and not hasattr(type(primal), "__setitem__"):
        return value  # a Python or NumPy scalar: rebound, not updated
    if isinstance(primal, list) and isinstance(tangent, list) and isinstance(value, (list, tuple)):
        _concatenated_check(value, primal)
        tangent[:] = value  # xs += ys extends the list in place: so does its tangent, for every alias
        return tangent
    if (
        getattr(tangent, "shape", None) is not None
        and not isinstance(tangent, (int, float, complex))
        and tuple(getattr(value, "shape", ())) == tuple(tangent.shape)
    ):
        try:
            tangent[...] = value
            return tangent
        except (ValueError, TypeError):  # read-only (a broadcast view, say): rebind instead
            return value
    return value


def snapshot(value):
    """A copy of an array (the value before an in-place update); other values as they are."""
    copy = getattr(value, "copy", None)
    return copy() if copy is not None and hasattr(value, "shape") else value


def expand(tangent, ans):
    """``tangent`` broadcast to the shape of ``ans`` (when an inactive operand broadcast the result)."""
    _concatenated_check(tangent, ans)
    shape = getattr(ans, "shape", None)
    if shape is None or getattr(tangent, "shape", None) == shape:
        return tangent
    xp = namespace_of(ans)
    return xp.broadcast_to(xp.asarray(tangent, dtype=ans.dtype) if ans.dtype.kind in "fc" else tangent, shape)


def _concatenated_check(tangent, ans):
    """``xs + ys`` of lists or tuples where one side carries no tangent: the result is longer than the
    tangent, and which side the zeros go on is not known here, so refuse rather than misalign."""
    if isinstance(ans, (list, tuple)) and isinstance(tangent, (list, tuple)) and len(tangent) != len(ans):
        raise NotDifferentiableHere(
            f"tangent_fwd: a {type(ans).__name__} concatenated with one whose items carry no tangent "
            f"({len(tangent)} of {len(ans)} items have one): the tangent cannot be lined up with it",
            hint="add the items with .append(...) / .extend(...), or build the whole list in one literal",
        )


def where_like(xp, cond, tangent, ref):
    """``where(cond, tangent, 0)`` in the dtype of ``ref``'s floats (Python-float tangents stay weak)."""
    out = xp.where(cond, tangent, 0)
    dtype = getattr(ref, "dtype", None)
    if dtype is not None and dtype.kind in "fc" and getattr(out, "dtype", dtype) != dtype:
        out = out.astype(dtype)
    return out


def pow_dy(xp, x, ans):
    """d(x**y)/dy = x**y * log(x), taken as 0 where x == 0 (JAX's convention: 0**y is 0 for y > 0,
    and at y == 0 the one-sided limits differ, so 0 rather than -inf or nan)."""
    if isinstance(ans, numbers.Number) and isinstance(x, numbers.Number) and not hasattr(ans, "dtype"):
        return 0.0 if x == 0 else ans * log(xp, x)
    errstate = getattr(xp, "errstate", None)
    if errstate is not None:
        with errstate(divide="ignore", invalid="ignore"):
            return xp.where(x == 0, 0, ans * log(xp, x))
    return xp.where(x == 0, 0, ans * log(xp, xp.where(x == 0, 1, x)))


def arange_dstart(xp, dstart, ans, stop):
    """Tangent of arange(start, stop, step) w.r.t. start (arange(stop) alone has none)."""
    if stop is None:  # arange(stop): the values do not move with stop, but the tangent has ans's shape
        return 0.0 * dstart * xp.ones(ans.shape, dtype=ans.dtype if ans.dtype.kind in "fc" else xp.float64)
    return dstart * xp.ones_like(ans)


def arange_dstep(xp, dstep, ans):
    return dstep * xp.arange(ans.shape[0], dtype=ans.dtype)


def astype_tangent(tangent, dtype, copy=True):
    """Tangent of ``x.astype(dtype, copy=copy)``: cast along for float dtypes (with ``copy=False`` the
    tangent is the same array where the primal is, so writes through it reach both); integer casts are
    piecewise constant."""
    import numpy

    if numpy.dtype(dtype).kind in "fc":
        return tangent.astype(dtype, copy=copy) if hasattr(tangent, "astype") else tangent
    return 0.0 * tangent


def items_tangent(tangent_dict):
    """Tangent of ``d.items()``: (key, value) pairs whose key part carries a zero tangent."""
    return [(0.0, v) for v in tangent_dict.values()]


def log(xp, x):
    """log(x) that keeps a Python-number base a weak Python float (so float32 stays float32)."""
    if isinstance(x, numbers.Real) and not hasattr(x, "dtype"):
        return math.log(x) if x > 0 else (-math.inf if x == 0 else math.nan)
    if isinstance(x, complex):
        return cmath.log(x) if x != 0 else complex(-math.inf, 0.0)
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
    """Tangent of max/min over ``axis``: the tangent at the first arg-extremum (NumPy's argmax/argmin
    convention, and the backprop baseline's). A length-2 axis (2x2 pooling) is a pairwise blend."""
    x, dx = as_arrays(xp, x, dx)  # np.max([a, b, c]): the stacked values and tangents
    if getattr(x, "ndim", 0) == 0:  # a Python number or a 0-d array: max(x) is x
        return dx
    if (
        type(axis) is int
        and getattr(x, "ndim", 0) == 2
        and getattr(dx, "shape", None) == x.shape
        and x.shape[axis] != 2
        and getattr(ans, "ndim", -1) == (2 if keepdims else 1)
    ):
        # matrix rows/columns (a log-softmax's max shift): array methods and one fancy-index gather,
        # ~4x faster than expand_dims/take_along_axis, whose Python-level overhead dominates small arrays
        if axis % 2:
            first = (x == (ans if keepdims else ans[:, None])).argmax(axis=1)
            out = dx[xp.arange(x.shape[0]), first]
            return out[:, None] if keepdims else out
        first = (x == (ans if keepdims else ans[None, :])).argmax(axis=0)
        out = dx[first, xp.arange(x.shape[1])]
        return out[None, :] if keepdims else out
    if not hasattr(dx, "shape") or getattr(dx, "shape", ()) != getattr(x, "shape", ()):
        dx = xp.broadcast_to(dx, x.shape)
    if axis is None or isinstance(axis, tuple):
        axes = tuple(range(x.ndim)) if axis is None else tuple(a % x.ndim for a in axis)
        rest = [a for a in range(x.ndim) if a not in axes]
        x2 = xp.transpose(x, rest + list(axes)).reshape(tuple(x.shape[a] for a in rest) + (-1,))
        d2 = xp.transpose(dx, rest + list(axes)).reshape(x2.shape)
        out = extremum_jvp(xp, x2, d2, xp.reshape(ans, x2.shape[:-1]) if hasattr(ans, "shape") else ans, -1)
        if keepdims:
            out = xp.reshape(out, tuple(1 if a in axes else x.shape[a] for a in range(x.ndim)))
        return out
    axis = axis % x.ndim
    a = ans if not keepdims else xp.squeeze(ans, axis=axis)
    if x.shape[axis] == 2:
        first = (slice(None),) * axis + (0,)
        second = (slice(None),) * axis + (1,)
        take_first = x[first] == a
        out = dx[second] + take_first * (dx[first] - dx[second])
    else:
        first = xp.argmax(x == xp.expand_dims(a, axis), axis=axis)  # index of the first extremum
        out = xp.squeeze(xp.take_along_axis(dx, xp.expand_dims(first, axis), axis=axis), axis=axis)
    return xp.expand_dims(out, axis) if keepdims else out


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
    if isinstance(axis_, tuple):  # several axes: move them to the end and merge them into one
        nd = len(xp.shape(x))
        axes = tuple(sorted(a % nd for a in axis_))
        dx = dx * xp.ones_like(x)
        rest = tuple(xp.shape(x)[i] for i in range(nd) if i not in axes)
        x = xp.reshape(xp.moveaxis(x, axes, tuple(range(nd - len(axes), nd))), rest + (-1,))
        dx = xp.reshape(xp.moveaxis(dx, axes, tuple(range(nd - len(axes), nd))), rest + (-1,))
        out = prod_jvp(xp, x, dx, None, axis=-1)
        return xp.expand_dims(out, axes) if keepdims else out
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


def _jet_mul(p, q):
    """Product of two truncated multivariate jets (components indexed by subsets of the directions,
    as bit masks: c[S] = sum over A subset of S of p[A] * q[S - A]); exact, no division."""
    out = []
    for S in range(len(p)):
        total = None
        A = S
        while True:  # every subset A of S
            term = p[A] * q[S & ~A]
            total = term if total is None else total + term
            if A == 0:
                break
            A = (A - 1) & S
        out.append(total)
    return out


def _jet_cumprod(xp, comps):
    """Inclusive cumulative product of jets along the last axis: a doubling scan (Hillis-Steele),
    ceil(log2 n) vectorised steps, O(n log n) time and O(n) memory per jet component."""
    n = comps[0].shape[-1]
    s = 1
    while s < n:
        head = [c[..., :s] for c in comps]
        tail = _jet_mul([c[..., :-s] for c in comps], [c[..., s:] for c in comps])
        comps = [xp.concatenate([h, t], axis=-1) for h, t in zip(head, tail)]
        s *= 2
    return comps


def _jet_prod(xp, comps):
    """Product of jets along the last axis by pairwise halving (O(n) work, log2 n vectorised steps)."""
    while comps[0].shape[-1] > 1:
        n = comps[0].shape[-1]
        if n % 2:
            one = [xp.ones_like(comps[0][..., :1])] + [xp.zeros_like(c[..., :1]) for c in comps[1:]]
            comps = [xp.concatenate([c, o], axis=-1) for c, o in zip(comps, one)]
        comps = _jet_mul([c[..., 0::2] for c in comps], [c[..., 1::2] for c in comps])
    return [c[..., 0] for c in comps]


def _jet_inputs(xp, x, directions, axis):
    """x and its directions, broadcast to x's shape, with the reduced axis (or the flattened array
    for axis None) moved last; also the axes to restore."""
    dtypes = [v.dtype for v in (x, *directions) if getattr(v, "dtype", None) is not None]
    dtype = xp.result_type(*dtypes) if dtypes else xp.float64
    comps = [xp.asarray(x, dtype=dtype)] + [xp.asarray(d, dtype=dtype) for d in directions]
    shape = comps[0].shape
    comps = [c if c.shape == shape else xp.broadcast_to(c, shape) for c in comps]
    m = len(directions)
    full = [None] * (1 << m)
    full[0] = comps[0]
    for i in range(m):
        full[1 << i] = comps[i + 1]
    for S in range(1 << m):
        if full[S] is None:
            full[S] = xp.zeros_like(comps[0])
    return full


def _jet_reduce(xp, x, directions, axis, keepdims, cumulative):
    """The top (mixed) component of prod / cumprod of x along ``axis`` in the given directions."""
    comps = _jet_inputs(xp, x, directions, axis)
    if comps[0].ndim == 0:
        return comps[-1]
    nd = comps[0].ndim
    if axis is None:
        comps = [xp.reshape(c, (-1,)) for c in comps]
        axes = None
    elif isinstance(axis, tuple):
        axes = tuple(sorted(a % nd for a in axis))
        rest = tuple(comps[0].shape[i] for i in range(nd) if i not in axes)
        dest = tuple(range(nd - len(axes), nd))
        comps = [xp.reshape(xp.moveaxis(c, axes, dest), rest + (-1,)) for c in comps]
    else:
        axes = (axis % nd,)
        comps = [xp.moveaxis(c, axes[0], -1) for c in comps]
    if cumulative:
        if comps[0].shape[-1] == 0:
            return comps[-1]
        out = _jet_cumprod(xp, comps)[-1]
        return out if axis is None else xp.moveaxis(out, -1, axes[0])
    if comps[0].shape[-1] == 0:
        out = xp.zeros(comps[0].shape[:-1], dtype=comps[0].dtype)
    else:
        out = _jet_prod(xp, comps)[-1]
    if keepdims:
        out = xp.reshape(out, (1,) * nd) if axis is None else xp.expand_dims(out, axes)
    return out


def prod_jvp2(xp, x, t, u, axis=None, keepdims=False):
    """Second derivative of prod over ``axis`` in directions t and u (forward over forward): the
    mixed part of the product of the jets x + e1 t + e2 u, exact with zeros in x."""
    return _jet_reduce(xp, x, (t, u), axis, keepdims, cumulative=False)


def cumprod_jvp(xp, x, dx, ans, axis=None):
    """Tangent of cumprod, exact with zeros in x and without division: the cumulative product of
    the dual numbers x + e dx by a doubling scan (c_i = c_(i-1) * x_i, dc_i = dc_(i-1) * x_i +
    c_(i-1) * dx_i), ceil(log2 n) vectorised steps: O(n log n) time, O(n) memory per axis."""
    return _jet_reduce(xp, x, (dx,), axis, False, cumulative=True)


def cumprod_jvp2(xp, x, t, u, axis=None):
    """Second derivative of cumprod in directions t and u (forward over forward)."""
    return _jet_reduce(xp, x, (t, u), axis, False, cumulative=True)


def unsupported(xp, what):
    """Stands for a derivative tangent_fwd does not implement (a third derivative of prod, say):
    refuses at run time rather than returning a guess."""
    raise NotDifferentiableHere(f"tangent_fwd: {what} is not implemented")


def as_arrays(xp, x, dx):
    """``(x, dx)`` as arrays when ``x`` is a list or tuple of values (``np.var([a, b, c])``): the values as
    NumPy stacks them, and their tangents stacked the same way, a constant element's zero tangent (a
    Python 0.0) broadcast to that element's shape. Template arithmetic on the lists themselves would
    concatenate (``dx + dy``) or repeat them, and ``len``/``.size`` would count elements, not values."""
    if not isinstance(x, (list, tuple)):
        return x, dx
    x = xp.asarray(x)
    if isinstance(dx, (list, tuple)):
        dx = xp.stack([_element_tangent(xp, e, t) for e, t in zip(_rows(x), dx)]) if len(dx) else xp.zeros(x.shape)
    return x, dx


def seq_value(xp, x):
    """A list or tuple argument of a NumPy function in a rule's template: the array NumPy makes of it
    when it is a (nested) sequence of numbers and numeric arrays of one shape; anything else (a value
    that is not a sequence, ``(c, lower)`` for cho_solve) as it is."""
    array = _numeric_sequence(xp, x)
    return x if array is None else array


def seq_tangent(xp, x, dx):
    """The tangent of ``seq_value(xp, x)``: a list of tangents stacked as the values are."""
    return as_arrays(xp, x, dx)[1] if isinstance(dx, (list, tuple)) and _numeric_sequence(xp, x) is not None else dx


def bseq_tangent(xp, x, dx, k):
    """Vector mode ``seq_tangent``: each of the K directions stacked, directions first."""
    if not isinstance(dx, (list, tuple)) or _numeric_sequence(xp, x) is None:
        return dx
    return xp.stack([as_arrays(xp, x, bslice(dx, j))[1] for j in range(k)])


def _numeric_sequence(xp, x):
    """The array NumPy makes of ``x`` when ``x`` is a list or tuple of numbers (not bools) and numeric
    arrays, nested to one shape; else None."""
    if not isinstance(x, (list, tuple)) or not _numeric_leaves(x):
        return None
    try:
        array = xp.asarray(x)
    except (ValueError, TypeError):
        return None
    return array if array.dtype.kind in "iufc" else None


def _numeric_leaves(x):
    for v in x:
        if isinstance(v, (list, tuple)):
            if not _numeric_leaves(v):
                return False
        elif isinstance(v, bool) or not (isinstance(v, numbers.Number) or getattr(v, "dtype", None) is not None):
            return False
    return True


def _rows(x):
    return [x[i] for i in range(x.shape[0])] if x.ndim else []


def _element_tangent(xp, element, t):
    if isinstance(t, (list, tuple)):
        return as_arrays(xp, list(element), t)[1] if getattr(element, "ndim", 0) else xp.asarray(t)
    t = xp.asarray(t)
    return t if t.shape == element.shape else xp.broadcast_to(t, element.shape)


def var_jvp(xp, x, dx, axis=None, ddof=0, keepdims=False):
    """Tangent of var: 2 * sum(Re(conj(x - mean) * dx)) / (N - ddof) (real: var is real-valued)."""
    x, dx = as_arrays(xp, x, dx)
    xc = x - xp.mean(x, axis=axis, keepdims=True)
    size = x.size if hasattr(x, "size") else 1
    out_size = xp.mean(x, axis=axis).size if axis is not None else 1
    n = size // max(out_size, 1)
    if getattr(getattr(xc, "dtype", None), "kind", "f") == "c":
        return 2 * xp.sum(xp.real(xp.conj(xc) * dx), axis=axis, keepdims=keepdims) / (n - ddof)
    return 2 * xp.sum(xc * dx, axis=axis, keepdims=keepdims) / (n - ddof)


def std_jvp(xp, x, dx, ans, axis=None, ddof=0, keepdims=False):
    """Tangent of std = sqrt(var): var's tangent / (2 std), and 0 where std is 0 (one value, or all
    values equal): there std is not differentiable (|h| * std(dx) along x + h dx), and 0 is the
    convention of abs at 0 and of norm at 0 (the smallest subgradient)."""
    return safe_div(xp, var_jvp(xp, x, dx, axis, ddof, keepdims), 2 * ans)


def safe_div(xp, num, den):
    """``num / den``, and 0 where ``den`` is 0 (the kinks of abs, norm and std)."""
    if isinstance(den, numbers.Number) and isinstance(num, numbers.Number):
        return num / den if den != 0 else 0.0 * num
    zero = den == 0
    return xp.where(zero, 0, num / xp.where(zero, 1, den))


def norm_jvp(xp, x, dx, ans, ord=None, axis=None, keepdims=False):
    """Tangent of linalg.norm for the Frobenius / vector p-norms; other orders raise, never guess."""
    x, dx = as_arrays(xp, x, dx)  # np.linalg.norm([a, b]) (a nested list is a matrix)
    vector = _vector_norm(ord, x, axis)
    if ord is None or ord == "fro" or (vector and ord == 2):
        if _is_complex(x):
            num = xp.sum(xp.real(xp.conj(x) * dx), axis=axis, keepdims=keepdims)
        else:
            num = xp.sum(x * dx, axis=axis, keepdims=keepdims)
        return safe_div(xp, num, ans)  # 0 at x == 0, like abs at 0
    if vector and ord == 0:  # the count of nonzero entries: piecewise constant
        return xp.zeros_like(ans, dtype=getattr(ans, "dtype", None)) if hasattr(ans, "shape") else 0.0 * ans
    if vector and ord != "nuc":
        a = _expand(xp, ans, axis, keepdims)
        dabs = abs_jvp(xp, x, dx)  # the tangent of |x| (Re(conj(x) dx) / |x| for complex x)
        if ord == math.inf or ord == -math.inf:
            return extremum_jvp(xp, xp.abs(x), dabs, ans, axis=axis, keepdims=keepdims)
        if ord == 1:
            return xp.sum(dabs, axis=axis, keepdims=keepdims)
        num = xp.sum(xp.abs(x) ** (ord - 1) * dabs, axis=axis, keepdims=keepdims)
        return safe_div(xp, num, _squeeze_like(xp, a, axis, keepdims) ** (ord - 1))
    if not vector and getattr(x, "ndim", 0) >= 2 and (axis is None or isinstance(axis, tuple) and len(axis) == 2):
        return _matrix_norm_jvp(xp, x, dx, ans, ord, axis, keepdims)
    raise NotDifferentiableHere(
        f"tangent_fwd: no JVP for numpy.linalg.norm with ord={ord!r} over axis={axis!r}; "
        "register one with tangent_fwd.defjvp(numpy.linalg.norm, ...)"
    )


def _vector_norm(ord, x, axis):
    return axis is not None and not isinstance(axis, tuple) or (axis is None and getattr(x, "ndim", 1) == 1)


def norm_power(ord, x, axis=None):
    """How the norm's tangent scales with the norm itself (it is num / norm**k): k = p - 1 for the
    Frobenius norm and vector p-norms (1 for the 2-norm), 0 where the norm value is not used."""
    vector = _vector_norm(ord, x, axis)
    if ord is None or ord == "fro" or (vector and ord == 2):
        return 1
    if vector and ord not in (0, "nuc", 1, math.inf, -math.inf):
        return ord - 1
    return 0


def norm_jvp2(xp, x, t, u, ans, ord=None, axis=None, keepdims=False):
    """Derivative of ``norm_jvp(xp, x, t, ans, ...)`` w.r.t. x along u, the norm value ``ans`` held
    fixed (its own dependence is the separate partial -k * tangent * dans / ans, k = norm_power)."""
    vector = _vector_norm(ord, x, axis)
    if ord is None or ord == "fro" or (vector and ord == 2):
        return norm_jvp(xp, u, t, ans, ord, axis, keepdims)  # sum(Re(conj(u) t)) / ans
    if vector and ord not in (0, "nuc") and not _is_complex(x):
        if ord in (1, math.inf, -math.inf):  # piecewise linear in x
            return xp.zeros_like(norm_jvp(xp, x, t, ans, ord, axis, keepdims))
        a = _squeeze_like(xp, _expand(xp, ans, axis, keepdims), axis, keepdims)
        num = xp.sum((ord - 1) * xp.abs(x) ** (ord - 2) * u * t, axis=axis, keepdims=keepdims)
        return safe_div(xp, num, a ** (ord - 1))
    if not vector and ord in (1, -1, math.inf, -math.inf) and not _is_complex(x):
        # the largest/smallest absolute column (row) sum: piecewise linear in x
        return xp.zeros_like(norm_jvp(xp, x, t, ans, ord, axis, keepdims))
    raise NotDifferentiableHere(
        f"tangent_fwd: the second derivative of numpy.linalg.norm with ord={ord!r} over axis={axis!r}"
        + (" of a complex array" if _is_complex(x) else "")
        + " is not implemented"
    )


def _matrix_norm_jvp(xp, x, dx, ans, ord, axis, keepdims):
    """Matrix norms: nuclear and spectral from the SVD, 1/inf/-1/-inf from the extreme column/row sums."""
    axes = axis if axis is not None else (x.ndim - 2, x.ndim - 1)
    a0, a1 = (a % x.ndim for a in axes)
    xm = xp.moveaxis(x, (a0, a1), (-2, -1)) if (a0, a1) != (x.ndim - 2, x.ndim - 1) else x
    dm = xp.moveaxis(dx, (a0, a1), (-2, -1)) if (a0, a1) != (x.ndim - 2, x.ndim - 1) else dx
    if ord in ("nuc", 2, -2):
        u, s, vt = xp.linalg.svd(xm, full_matrices=False)
        if _is_complex(xm):  # U^H dX V, real part of its diagonal
            proj = xp.einsum("...ij,...ik,...kl->...jl", xp.conj(u), dm, xp.conj(xp.swapaxes(vt, -1, -2)))
            diag = xp.real(xp.diagonal(proj, axis1=-2, axis2=-1))
        else:
            proj = xp.einsum("...ij,...ik,...kl->...jl", u, dm, xp.swapaxes(vt, -1, -2))  # U^T dX V
            diag = xp.diagonal(proj, axis1=-2, axis2=-1)
        if ord == "nuc":
            out = xp.sum(diag, axis=-1)
        else:
            idx = 0 if ord == 2 else -1
            out = diag[..., idx]
    elif ord in (1, -1, math.inf, -math.inf):
        col = ord in (1, -1)
        sums = xp.sum(xp.abs(xm), axis=-2 if col else -1)
        dsums = xp.sum(abs_jvp(xp, xm, dm), axis=-2 if col else -1)
        pick = xp.max(sums, axis=-1, keepdims=True) if ord in (1, math.inf) else xp.min(sums, axis=-1, keepdims=True)
        mask = (sums == pick).astype(dsums.dtype)
        out = xp.sum(dsums * mask, axis=-1) / xp.sum(mask, axis=-1)
    else:
        raise NotDifferentiableHere(f"tangent_fwd: no JVP for the matrix norm ord={ord!r}")
    if keepdims:
        out = xp.expand_dims(out, (min(a0, a1), max(a0, a1)))
    return out


def _squeeze_like(xp, a, axis, keepdims):
    if keepdims or axis is None:
        return a
    return xp.squeeze(a, axis=axis)


def seq_sum(tangents):
    """Tangent of builtin ``sum(iterable, start)`` w.r.t. the iterable: the plain sum of its tangents."""
    total = 0.0
    for t in tangents:
        total = total + t
    return total


class TangentTuple(tuple):
    """The tangent of a call returning a fixed-size tuple (``divmod``): per-argument contributions
    add elementwise instead of concatenating."""

    def __add__(self, other):
        return TangentTuple(a + b for a, b in zip(self, other))

    __radd__ = __add__


def _zero_tangent(xp, value, dtype):
    return xp.zeros(xp.shape(value), dtype=dtype)


def diff_jvp(xp, a, da, n, axis, prepend, dprepend, append, dappend):
    """Tangent of ``diff(a, n, axis, prepend, append)`` for one of its (jointly linear) inputs: the
    others contribute zero, so a constant prepend/append never leaks into the tangent."""
    active = [t for t in (da, dprepend, dappend) if t is not None]
    dtype = xp.result_type(
        *[getattr(t, "dtype", xp.float64) for t in active],
        *[xp.asarray(v).dtype for v in (a, prepend, append) if v is not None],
    )
    if dtype.kind not in "fc":
        dtype = xp.float64
    kwargs = {}
    if prepend is not None:
        kwargs["prepend"] = dprepend if dprepend is not None else _zero_tangent(xp, prepend, dtype)
    if append is not None:
        kwargs["append"] = dappend if dappend is not None else _zero_tangent(xp, append, dtype)
    if da is None:
        da = _zero_tangent(xp, a, dtype)
    return xp.diff(da, n=n, axis=axis, **kwargs)


def pad_jvp(xp, da, pad_width, mode="constant", stat_length=None, reflect_type="even"):
    """Tangent of ``pad`` w.r.t. the array: the same padding of ``da`` with zero constant/end values
    (the modes that copy or average entries are linear; maximum/minimum/median are not)."""
    if callable(mode) or mode in ("maximum", "minimum", "median"):
        raise NotDifferentiableHere(
            f"tangent_fwd: no JVP for numpy.pad with mode={mode!r}; "
            "register one with tangent_fwd.defjvp(numpy.pad, ...)"
        )
    kwargs = {}
    if mode == "mean" and stat_length is not None:
        kwargs["stat_length"] = stat_length
    if mode in ("reflect", "symmetric"):
        kwargs["reflect_type"] = reflect_type
    return xp.pad(da, pad_width, mode=mode, **kwargs)


def pad_values_jvp(xp, array, pad_width, mode, dvalues):
    """Tangent of ``pad`` w.r.t. ``constant_values`` (mode 'constant') or ``end_values`` ('linear_ramp')."""
    base = getattr(array, "dtype", None)
    dtype = xp.result_type(base if base is not None and base.kind in "fc" else xp.float64, dvalues)
    zero = xp.zeros(xp.shape(array), dtype=dtype)
    key = "constant_values" if mode == "constant" else "end_values"
    return xp.pad(zero, pad_width, mode=mode, **{key: dvalues})


def sort_jvp(xp, a, da, axis=-1):
    """Tangent of ``sort``: the tangents gathered in sorted order."""
    if axis is None:
        a, da, axis = xp.reshape(a, (-1,)), xp.reshape(da, (-1,)), 0
    order = xp.argsort(a, axis=axis)
    return xp.take_along_axis(da * xp.ones_like(a, dtype=getattr(da, "dtype", None)), order, axis=axis)


# ---------------------------------------------------------------------------------------------
# Vector mode: every tangent carries a leading axis of K directions. Elementwise rules broadcast;
# these helpers handle indexing, transposes, iteration, rank alignment and the per-direction loop
# that rules without a batched form fall back to.


def batch_size(tangent):
    """K, the number of directions, from any tangent (the leading axis of its first array leaf)."""
    if records.is_record(tangent):
        return batch_size(records.values(tangent)[0])
    if isinstance(tangent, dict):
        tangent = next(iter(tangent.values()))
        return batch_size(tangent)
    if isinstance(tangent, (list, tuple)):
        return batch_size(tangent[0])
    if not hasattr(tangent, "shape") and hasattr(tangent, "directions"):
        return tangent.directions  # the JVP of a function value (callables.WithDirections)
    return tangent.shape[0]


def no_directions(tangent, grow):
    """Vector mode with K == 0: ``grow`` makes a batched tangent of one zero direction, else drops it
    (a leading axis of length 0), through any container structure."""
    if records.is_record(tangent):
        return records.rebuild(tangent, [no_directions(v, grow) for v in records.values(tangent)])
    if isinstance(tangent, dict):
        return {key: no_directions(v, grow) for key, v in tangent.items()}
    if isinstance(tangent, (list, tuple)):
        return type(tangent)(no_directions(v, grow) for v in tangent)
    if not hasattr(tangent, "shape"):
        return tangent
    if grow:
        return namespace_of(tangent).zeros((1,) + tuple(tangent.shape[1:]), dtype=tangent.dtype)
    return tangent[:0]


def zeros_batched(value, k):
    """Zero tangents of shape (K,) + shape(value), with the structure of ``value``."""
    if records.is_record(value):
        return records.rebuild(value, [zeros_batched(v, k) for v in records.values(value)])
    if isinstance(value, tuple):
        return tuple(zeros_batched(v, k) for v in value)
    if isinstance(value, list):
        return [zeros_batched(v, k) for v in value]
    if isinstance(value, collections.defaultdict):
        factory = value.default_factory
        out = collections.defaultdict(None if factory is None else lambda: zeros_batched(factory(), k))
        out.update((key, zeros_batched(v, k)) for key, v in value.items())
        return out
    if isinstance(value, dict):
        return {key: zeros_batched(v, k) for key, v in value.items()}
    dtype = getattr(value, "dtype", None)
    if dtype is None:
        import numpy

        return numpy.zeros(k)
    xp = namespace_of(value)
    return xp.zeros((k,) + tuple(value.shape), dtype=dtype if dtype.kind in "fc" else xp.float64)


def _is_container(t):
    return isinstance(t, (list, tuple, dict))


def _batched_index(idx):
    return (slice(None),) + (idx if isinstance(idx, tuple) else (idx,))


def _is_index_array(item):
    return isinstance(item, list) or (hasattr(item, "shape") and hasattr(item, "dtype") and len(item.shape) > 0)


def _separated_advanced(idx):
    """For an index whose advanced entries (arrays, and integers beside them) are not adjacent, the
    number of axes their broadcast produces, which NumPy puts first (before the direction axis of a
    batched tangent); None for any other index."""
    items = idx if isinstance(idx, tuple) else (idx,)
    if not any(_is_index_array(it) for it in items):
        return None
    adv = [
        i
        for i, it in enumerate(items)
        if _is_index_array(it) or (isinstance(it, numbers.Integral) and not isinstance(it, bool))
    ]
    if adv == list(range(adv[0], adv[-1] + 1)):
        return None
    ndims = []
    for it in items:
        if _is_index_array(it):
            kind = getattr(getattr(it, "dtype", None), "kind", None)
            if kind is None:  # a list
                import numpy

                arr = numpy.asarray(it)
                kind, nd = arr.dtype.kind, arr.ndim
            else:
                nd = len(it.shape)
            ndims.append(1 if kind == "b" else nd)
    return max(ndims)


def bget(tangent, idx):
    """tangent[idx] in vector mode: containers index as usual, arrays skip the direction axis. An
    element (all-integer index) is a copy, as the primal's element is; slices stay views."""
    if _is_container(tangent):
        return tangent[idx]
    out = tangent[_batched_index(idx)]
    moved = _separated_advanced(idx)
    if moved is not None:  # NumPy put the advanced axes before the direction axis: move it back first
        out = namespace_of(tangent).moveaxis(out, moved, 0)
    if (
        all(isinstance(i, (int, numbers.Integral)) for i in (idx if isinstance(idx, tuple) else (idx,)))
        and out.ndim == 1
    ):
        out = out.copy()
    return out


def breshape(tangent, *shape, order="C"):
    """Vector-mode ``x.reshape(shape)`` / ``np.reshape(x, shape)``: a view, as the primal's is."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    elif len(shape) == 1 and not isinstance(shape[0], (tuple, list)):
        shape = (shape[0],)
    return tangent.reshape((tangent.shape[0],) + tuple(shape), order=order)


def basarray(xp, tangent):
    """Vector-mode ``np.asarray(x)``: the tangent itself for an array (a view, as the primal is), the
    stacked per-direction arrays for a sequence of tangents."""
    if isinstance(tangent, (list, tuple)):
        return xp.stack([xp.asarray(bslice(tangent, k)) for k in range(batch_size(tangent))])
    return tangent


def bravel(tangent, order="C"):
    return tangent.reshape((tangent.shape[0], -1), order=order)


def bset(tangent, idx, value):
    if _is_container(tangent):
        tangent[idx] = value
        return
    bidx = _batched_index(idx)
    ndim = getattr(value, "ndim", 0)
    moved = _separated_advanced(idx)
    if ndim:  # (K,) + v.shape must broadcast into (K,) + target.shape
        target = tangent[bidx].shape
        if moved is not None:  # the target's direction axis comes after the advanced axes
            target = (target[moved],) + target[:moved] + target[moved + 1 :]
        extra = len(target) - ndim
        if extra > 0:
            value = value.reshape((value.shape[0],) + (1,) * extra + tuple(value.shape[1:]))
        if moved is not None:
            xp = namespace_of(tangent)
            value = xp.moveaxis(xp.broadcast_to(value, target), 0, moved)
    tangent[bidx] = value


def bT(tangent):
    return tangent.transpose((0,) + tuple(range(tangent.ndim - 1, 0, -1)))


def biter(tangent):
    """Iterate a tangent the way its primal iterates (arrays: over the axis after the directions)."""
    if _is_container(tangent):
        return tangent
    return namespace_of(tangent).moveaxis(tangent, 1, 0)


def balign(tangent, primal, ans):
    """Insert axes after the direction axis so a tangent of a lower-rank operand broadcasts against
    the result like its primal does ((K,) + x.shape against ans.shape)."""
    extra = getattr(ans, "ndim", 0) - getattr(primal, "ndim", 0)
    if extra <= 0 or not hasattr(tangent, "reshape"):
        return tangent
    return tangent.reshape((tangent.shape[0],) + (1,) * extra + tuple(tangent.shape[1:]))


def bslice(tangent, k):
    """Direction k of a (possibly structured) tangent."""
    if records.is_record(tangent):
        return records.rebuild(tangent, [bslice(v, k) for v in records.values(tangent)])
    if isinstance(tangent, dict):
        return {key: bslice(v, k) for key, v in tangent.items()}
    if isinstance(tangent, (list, tuple)):
        return type(tangent)(bslice(v, k) for v in tangent)
    if getattr(tangent, "ndim", 0) == 0:
        return tangent
    return tangent[k]


def bstack(xp, tangents):
    """Stack per-direction tangents (pytrees) into one tangent with a leading direction axis."""
    first = tangents[0]
    if isinstance(first, _DICT_VIEWS):
        tangents = [list(t) for t in tangents]
        first = tangents[0]
    if records.is_record(first):
        columns = zip(*[records.values(t) for t in tangents])
        return records.rebuild(first, [bstack(xp, list(c)) for c in columns])
    if isinstance(first, dict):
        return {key: bstack(xp, [t[key] for t in tangents]) for key in first}
    if isinstance(first, (list, tuple)):
        return type(first)(bstack(xp, [t[i] for t in tangents]) for i in range(len(first)))
    if not hasattr(first, "shape"):
        import numpy

        return numpy.asarray(tangents, dtype=complex if any(isinstance(t, complex) for t in tangents) else float)
    joined = _rejoin_views(tangents)
    return joined if joined is not None else xp.stack(tangents)


def _rejoin_views(tangents):
    """The one batched array whose directions ``tangents`` are, when each is a view of the same memory at
    a constant step (a per-direction rule that returns a view of its input's tangent, ``reversed(list)``
    or a transpose): then a write into the result must reach that memory, as it does with one direction,
    so it is returned as a view rather than stacked into a copy. None otherwise (NumPy arrays only)."""
    first = tangents[0]
    base = getattr(first, "base", None)
    if base is None or len(tangents) < 2 or not hasattr(first, "__array_interface__"):
        return None
    addr = [t.__array_interface__["data"][0] if getattr(t, "base", None) is base else None for t in tangents]
    step = addr[1] - addr[0] if None not in addr[:2] else 0
    if step == 0 or any(
        a is None or a != addr[0] + k * step or t.shape != first.shape or t.strides != first.strides
        for k, (a, t) in enumerate(zip(addr, tangents))
    ):
        return None
    from numpy.lib.stride_tricks import as_strided

    return as_strided(first, (len(tangents),) + first.shape, (step,) + first.strides)


_DICT_VIEWS = (type({}.values()), type({}.keys()), type({}.items()))


def bmatmul_left(xp, dx, y, x):
    """Tangent (K,) + x.shape times primal y, as (dx_k @ y) for each k."""
    if y.ndim == 2 and x.ndim >= 1 and dx.size:
        # one large matrix product over all directions and rows (a stacked matmul runs K smaller ones)
        return (dx.reshape(-1, dx.shape[-1]) @ y).reshape(dx.shape[:-1] + (y.shape[-1],))
    if x.ndim >= 2 and x.ndim >= y.ndim or x.ndim == 1 and y.ndim <= 2:
        return dx @ y
    return xp.stack([dx[k] @ y for k in range(dx.shape[0])])


def bmatmul_right(xp, x, dy, y):
    """Primal x times tangent (K,) + y.shape, as (x @ dy_k) for each k."""
    if y.ndim >= 2 and y.ndim >= x.ndim:
        return x @ dy
    if y.ndim == 1 and x.ndim <= 2:
        return dy @ (x.T if x.ndim == 2 else x)
    return xp.stack([x @ dy[k] for k in range(dy.shape[0])])


def bfinish(tangent, value, k):
    """At the API boundary: give every output tangent leaf its full (K,) + shape(value)."""
    if records.is_record(value):
        items = zip(records.values(tangent), records.values(value))
        return records.rebuild(value, [bfinish(t, v, k) for t, v in items])
    if isinstance(value, dict):
        return {key: bfinish(tangent[key], v, k) for key, v in value.items()}
    if isinstance(value, (list, tuple)):
        items = [bfinish(t, v, k) for t, v in zip(tangent, value)]
        return type(value)(*items) if hasattr(value, "_fields") else type(value)(items)
    shape = (k,) + tuple(getattr(value, "shape", ()))
    if getattr(tangent, "shape", None) == shape:
        return tangent
    if not hasattr(tangent, "shape") and not hasattr(value, "shape"):
        import numpy

        kind = complex if isinstance(value, complex) or isinstance(tangent, complex) else float
        return numpy.broadcast_to(numpy.asarray(tangent, dtype=kind), shape).copy()
    xp = namespace_of(tangent if hasattr(tangent, "shape") else value)
    dtype = getattr(tangent, "dtype", None) or getattr(value, "dtype", None)
    out = xp.zeros(shape, dtype=dtype if dtype is not None and dtype.kind in "fc" else xp.float64)
    out[...] = tangent
    return out


def dict_tangent(mapping, tangent, ans):
    """Tangent of ``dict(mapping)``: the same keys as the result, each with its value's tangent (a mapping's
    tangent has the keys already; pairs, possibly from an iterator the primal call consumed, take the
    result's keys in order)."""
    if isinstance(tangent, dict):
        return dict(tangent)
    pairs = list(tangent)
    if len(pairs) != len(ans):
        raise NotDifferentiableHere("tangent_fwd: dict() of pairs with repeated keys is not differentiated")
    return {k: pair[1] for k, pair in zip(ans, pairs)}


def sinc_d(xp, x, s):
    """sinc'(x) = (cos(pi x) - sinc(x)) / x (``s`` is sinc(x)); near 0, where that difference cancels, its
    series -pi^2 x / 3 + pi^4 x^3 / 30 (exact to rounding for |x| < 1e-3)."""
    small = abs(x) < 1e-3
    series = -(math.pi**2) * x / 3 + math.pi**4 * x**3 / 30
    return xp.where(small, series, (xp.cos(xp.pi * x) - s) / xp.where(small, 1, x))


def sinc_dd(xp, x, s, d):
    """sinc''(x) = -2 sinc'(x) / x - pi^2 sinc(x) (sin(pi x)/(pi x) solves x y'' + 2 y' + pi^2 x y = 0),
    -pi^2/3 at x == 0 (``s`` is sinc(x), ``d`` is sinc'(x))."""
    zero = x == 0
    return xp.where(zero, -(math.pi**2) / 3, -2 * d / xp.where(zero, 1, x) - math.pi**2 * s)


def clip_low(xp, a, low, high):
    """Where ``clip(a, low, high)`` takes ``low``: a < low, unless the bounds cross (high < low: high wins)."""
    mask = a < low
    return mask if high is None else mask & ~(xp.asarray(low) > high)


def clip_high(xp, a, low, high):
    """Where ``clip(a, low, high)`` takes ``high``: max(a, low) > high (NumPy's clip is min(max(a, low), high))."""
    return (a if low is None else xp.maximum(a, low)) > high


def seq_prod_jvp(values, tangents, start=1):
    """Tangent of ``math.prod(values, start=start)``: sum_i (start * prod_{j != i} v_j) * t_i, with prefix
    and suffix products (no division, so exact where a value is 0)."""
    values, tangents = list(values), list(tangents)
    n = len(values)
    prefix = [start] * (n + 1)
    for i, v in enumerate(values):
        prefix[i + 1] = prefix[i] * v
    total, suffix = 0.0, 1
    for i in range(n - 1, -1, -1):
        total = total + prefix[i] * suffix * tangents[i]
        suffix = suffix * values[i]
    return total


def sorted_jvp(values, tangents, key=None, reverse=False):
    """Tangent of ``sorted(values, key=key, reverse=reverse)``: the tangents in the order ``sorted``
    puts the values (a stable sort, so ties keep their order, as they do in the primal)."""
    if isinstance(values, dict):  # sorted(d) gives the keys: no tangent
        return [zeros_like(k) for k in sorted(values, key=key, reverse=reverse)]
    values, tangents = list(values), list(tangents)
    order = sorted(
        range(len(values)), key=(lambda i: values[i]) if key is None else (lambda i: key(values[i])), reverse=reverse
    )
    return [tangents[i] for i in order]


def hypot_jvp(coordinates, tangents, ans):
    """Tangent of ``math.hypot(*coordinates)``: sum(x_i * dx_i) / ans."""
    total = 0.0
    for x, dx in zip(coordinates, tangents):
        total = total + x * dx
    return total / ans if ans != 0 else 0.0 * total  # 0 at the origin, as norm


def _is_complex(x):
    kind = getattr(getattr(x, "dtype", None), "kind", None)
    return kind == "c" if kind is not None else isinstance(x, complex)


def abs_jvp(xp, x, dx):
    """Tangent of ``abs(x)``: sign(x) * dx for real x, Re(conj(x) * dx) / |x| for complex x (the
    directional derivative along dx, a complex number being a pair of reals; 0 at x == 0)."""
    if _is_complex(x):
        if not hasattr(x, "dtype"):  # a Python complex
            r = abs(x)
            return (x.conjugate() * dx).real / r if r != 0 else 0.0 * abs(dx)
        return safe_div(xp, xp.real(xp.conj(x) * dx), xp.abs(x))
    if isinstance(x, numbers.Real) and not hasattr(x, "dtype"):
        return dx * sign(x)  # a Python number stays a (weak) Python float
    return dx * xp.sign(x)


def sign_jvp(xp, x, dx):
    """Tangent of ``sign(x)``: 0 for real x (piecewise constant); for complex x, sign(z) = z / |z| is
    smooth away from 0 with tangent (dz - s Re(conj(s) dz)) / |z|, s = z / |z| (0 at z == 0)."""
    if not _is_complex(x):
        return 0.0 * dx if not hasattr(dx, "shape") else xp.zeros_like(dx)
    if not hasattr(x, "dtype"):
        r = abs(x)
        if r == 0:
            return 0.0 * dx
        s = x / r
        return (dx - s * (s.conjugate() * dx).real) / r
    r = xp.abs(x)
    zero = r == 0
    r1 = xp.where(zero, 1, r)
    s = x / r1
    return xp.where(zero, 0, (dx - s * xp.real(xp.conj(s) * dx)) / r1)


def sign_jvp_dx(xp, x, t, u):
    """The derivative of ``sign_jvp(xp, x, t)`` w.r.t. x along u (forward over forward): 0 for real x;
    for complex x, with s = x / |x| and f = sign_jvp(x, t):
    -(ds Re(conj(s) t) + s Re(conj(ds) t) + f Re(conj(s) u)) / |x|, ds = sign_jvp(x, u) (0 at x == 0)."""
    if not _is_complex(x):
        return xp.zeros_like(u * t) if hasattr(u * t, "shape") else 0.0 * u * t
    r = abs(x) if not hasattr(x, "dtype") else xp.abs(x)
    zero = r == 0
    r1 = (r if r != 0 else 1.0) if not hasattr(x, "dtype") else xp.where(zero, 1, r)
    s = x / r1
    ds, f = sign_jvp(xp, x, u), sign_jvp(xp, x, t)
    re = (lambda v: v.real) if not hasattr(x, "dtype") else xp.real
    cj = (lambda v: v.conjugate()) if not hasattr(x, "dtype") else xp.conj
    out = -(ds * re(cj(s) * t) + s * re(cj(ds) * t) + f * re(cj(s) * u)) / r1
    if not hasattr(x, "dtype"):
        return out if r != 0 else 0.0 * out
    return xp.where(zero, 0, out)


def zero_unless_complex(xp, x, like, what):
    """Zeros like ``like`` for real ``x``; for complex ``x`` a refusal (``what`` is not implemented)."""
    if _is_complex(x):
        raise NotDifferentiableHere(f"tangent_fwd: {what} of a complex value is not implemented")
    return xp.zeros_like(like) if hasattr(like, "shape") else 0.0 * like


def angle_jvp(xp, z, dz, deg=False):
    """Tangent of ``angle(z)`` = atan2(Im z, Re z): Im(conj(z) dz) / |z|^2 for complex z (0 at z == 0);
    0 for real z (the angle is 0 or pi there: piecewise constant)."""
    if not _is_complex(z):
        return xp.zeros_like(dz * z) if hasattr(dz * z, "shape") else 0.0 * dz
    out = safe_div(xp, xp.imag(xp.conj(z) * dz), xp.real(xp.conj(z) * z))
    return out * (180.0 / math.pi) if deg else out


def angle_jvp_dz(xp, z, t, u, deg=False):
    """The derivative of ``angle_jvp(xp, z, t)`` w.r.t. z along u: with q = |z|^2,
    Im(conj(u) t) / q - 2 Im(conj(z) t) Re(conj(z) u) / q^2 (0 for real z)."""
    if not _is_complex(z):
        return xp.zeros_like(u * t * z) if hasattr(u * t * z, "shape") else 0.0 * u * t
    q = xp.real(xp.conj(z) * z)
    zero = q == 0
    q1 = xp.where(zero, 1, q)
    out = xp.imag(xp.conj(u) * t) / q1 - 2 * xp.imag(xp.conj(z) * t) * xp.real(xp.conj(z) * u) / (q1 * q1)
    out = xp.where(zero, 0, out)
    return out * (180.0 / math.pi) if deg else out


def slogdet_jvp(xp, a, t, sign):
    """Tangent of ``slogdet(a)`` = (sign, logabsdet), with tr = trace(solve(a, t)): d logabsdet =
    Re(tr) (real-valued), d sign = sign * i Im(tr) (0 for a real matrix: the sign is piecewise constant)."""
    tr = xp.trace(xp.linalg.solve(a, t), axis1=-2, axis2=-1)
    if _is_complex(tr) or _is_complex(sign):
        return TangentTuple((sign * 1j * xp.imag(tr), xp.real(tr)))
    return TangentTuple((zeros_like(sign), tr))


def solve_jvp_a(xp, a, t, x, b):
    """Tangent of ``x = solve(a, b)`` w.r.t. ``a`` along ``t``: -solve(a, t @ x), where ``b`` (so ``x``)
    is a vector exactly when b.ndim == 1 (NumPy 2), also for stacked ``a``."""
    if getattr(b, "ndim", 0) == 1:
        return -xp.linalg.solve(a, (t @ x[..., None]))[..., 0]
    return -xp.linalg.solve(a, t @ x)


def median_jvp(xp, a, da, axis=None, keepdims=False):
    """Tangent of ``median``: the tangent at the middle element of the sorted values (the mean of
    the two middle ones for an even count)."""
    if isinstance(axis, tuple):
        raise NotDifferentiableHere("tangent_fwd: median over a tuple of axes: reshape to one axis first")
    ndim = len(xp.shape(a))
    if axis is None:
        a, da, ax = xp.reshape(a, (-1,)), xp.reshape(da * xp.ones_like(a, dtype=getattr(da, "dtype", None)), (-1,)), 0
    else:
        ax = axis
        da = da * xp.ones_like(a, dtype=getattr(da, "dtype", None))
    order = xp.argsort(a, axis=ax)
    sd = xp.moveaxis(xp.take_along_axis(da, order, axis=ax), ax, -1)
    n = sd.shape[-1]
    m = n // 2
    out = sd[..., m] if n % 2 else 0.5 * (sd[..., m - 1] + sd[..., m])
    if keepdims:
        out = xp.reshape(out, (1,) * ndim) if axis is None else xp.expand_dims(out, axis)
    return out


def det_jvp(xp, a, da, ans):
    """Tangent of ``det``: trace(adj(a) @ da). ``ans * trace(solve(a, da))`` where ``a`` is invertible;
    through the SVD (adj(a) = det(u) det(vh) vh.T adj(s) u.T) where it is singular."""
    linalg_error = getattr(getattr(xp, "linalg", None), "LinAlgError", ArithmeticError)
    if bool(xp.all(ans != 0)):
        try:
            out = ans * xp.trace(xp.linalg.solve(a, da), axis1=-2, axis2=-1)
            if bool(xp.all(xp.isfinite(out))):
                return out
        except linalg_error:
            pass
    u, s, vh = xp.linalg.svd(a)
    sign = xp.linalg.det(u) * xp.linalg.det(vh)
    ones = xp.ones_like(s[..., :1])
    left = xp.cumprod(xp.concatenate([ones, s[..., :-1]], axis=-1), axis=-1)
    right = xp.flip(xp.cumprod(xp.flip(xp.concatenate([s[..., 1:], ones], axis=-1), axis=-1), axis=-1), axis=-1)
    if _is_complex(u):  # unitary factors: adj(a) = det(u) det(vh) vh^H adj(s) u^H
        u, vh = xp.conj(u), xp.conj(vh)
    m = xp.swapaxes(u, -1, -2) @ da @ xp.swapaxes(vh, -1, -2)
    return sign * xp.sum(left * right * xp.diagonal(m, axis1=-2, axis2=-1), axis=-1)


def det_solve(xp, x, t):
    """``solve(x, t)`` for the second derivative of ``det``; at a singular ``x`` (where that derivative
    needs the adjugate's derivative, which tangent_fwd does not implement) a refusal."""
    linalg_error = getattr(getattr(xp, "linalg", None), "LinAlgError", ArithmeticError)
    try:
        out = xp.linalg.solve(x, t)
    except linalg_error:
        out = None
    if out is None or not bool(xp.all(xp.isfinite(out))):
        raise NotDifferentiableHere("tangent_fwd: the second derivative of det at a singular matrix is not implemented")
    return out


def det_trace(xp, x, t):
    """``trace(solve(x, t))`` over the last two axes (see ``det_solve``)."""
    return xp.trace(det_solve(xp, x, t), axis1=-2, axis2=-1)


def get_default_tangent(mapping, key, ddefault):
    """Tangent of ``mapping.get(key, default)`` w.r.t. ``default``: its tangent where the key is missing."""
    return zeros_like(ddefault) if key in mapping else ddefault


def zip_tangent(tangents):
    """Tangent of ``zip(*iterables)`` (as a value, e.g. ``list(zip(x, y))``): the tuples of tangents,
    as a list (the vector mode stacks it per direction). An iterable without tangent items (a string, a
    range: its tangent is the scalar zero) gives a zero for each of its items."""
    return list(zip(*(t if hasattr(t, "__iter__") else itertools.repeat(t) for t in tangents)))


def enumerate_tangent(tangent):
    """Tangent of ``enumerate(iterable)`` as a value: (zero, tangent) pairs (the index has none)."""
    return [(0.0, t) for t in tangent]


def _data_pointer(a):
    iface = getattr(a, "__array_interface__", None)
    if iface is not None:
        return iface["data"][0]
    data = getattr(a, "data", None)  # CuPy: a MemoryPointer
    return getattr(data, "ptr", None)


def _as_strided(xp, a, shape, strides):
    tricks = getattr(getattr(xp, "lib", None), "stride_tricks", None)
    if tricks is None or not hasattr(tricks, "as_strided"):
        return None
    return tricks.as_strided(a, shape=shape, strides=strides)


def _batched_view(xp, tangent, outs):
    """One array with a leading direction axis over ``outs`` (``outs[k]`` computed from ``tangent[k]``):
    a view of ``tangent`` where every ``outs[k]`` is a view at the same place in each direction's slice,
    so that writes through it reach ``tangent``; else the outputs stacked (a copy)."""
    first = outs[0]
    step = tangent.strides[0] if getattr(tangent, "ndim", 0) else None
    p0 = _data_pointer(first)
    if (
        step is not None
        and p0 is not None
        and getattr(first, "base", None) is not None
        and all(
            o.shape == first.shape and o.strides == first.strides and _data_pointer(o) == p0 + k * step
            for k, o in enumerate(outs)
        )
    ):
        view = _as_strided(xp, first, (len(outs),) + tuple(first.shape), (step,) + tuple(first.strides))
        if view is not None:
            return view
    return xp.stack(outs)


def bview(xp, func, tangent, *args, **kwargs):
    """Vector mode: ``func(x, *args, **kwargs)`` (a function, or a method name, that may return a view
    of ``x``: transpose, expand_dims, squeeze, split, astype(copy=False)...) on a batched tangent,
    direction by direction, joined into one batched view where each result is a view (a list of them for
    split), so that a write through the result reaches the tangent as the primal's reaches ``x``."""
    if isinstance(func, str):
        outs = [getattr(tangent[k], func)(*args, **kwargs) for k in range(tangent.shape[0])]
    else:
        outs = [func(tangent[k], *args, **kwargs) for k in range(tangent.shape[0])]
    if isinstance(outs[0], (list, tuple)):
        return type(outs[0])(_batched_view(xp, tangent, [o[i] for o in outs]) for i in range(len(outs[0])))
    return _batched_view(xp, tangent, outs)


# rule families' longer helpers, reached from templates as rt.linalg.*, rt.fft.*, rt.stats.*, rt.special.*
from .jvp_helpers import fft, linalg, sequences, special, stats  # noqa: E402,F401
