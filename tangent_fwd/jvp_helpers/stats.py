"""Run-time JVP helpers for the stats rules (see the package docstring).

Order statistics (sort, partition, median, quantile, percentile and their nan-forms) take the
tangent of the element that lands at each sorted position, with ties broken by position (a stable
argsort: of equal values, the one that comes first takes the lower slot). At an interpolation knot the
weights NumPy uses there are used (the weight of the upper neighbour is 0), so the tangent is one
one-sided derivative, never nan. Extrema take the tangent at the first arg-extremum, as ``np.max``.
"""

import math

from ..errors import NotDifferentiableHere


def _refuse(what):
    raise NotDifferentiableHere(f"tangent_fwd: {what}")


def _full(xp, a, da):
    """``da`` as an array of ``a``'s shape (a broadcast scalar tangent made whole)."""
    dtype = getattr(da, "dtype", None)
    if xp.shape(da) == xp.shape(a):
        return xp.asarray(da)
    return xp.broadcast_to(xp.asarray(da, dtype=dtype), xp.shape(a))


def _to_last(xp, x, axis):
    """``x`` with ``axis`` (None: all axes; an int or a tuple) merged into one last axis; the kept
    shape and the normalised axes."""
    nd = len(xp.shape(x))
    axes = (
        tuple(range(nd))
        if axis is None
        else tuple(sorted(a % nd for a in (axis if isinstance(axis, tuple) else (axis,))))
    )
    rest = [i for i in range(nd) if i not in axes]
    kept = tuple(xp.shape(x)[i] for i in rest)
    moved = xp.transpose(x, rest + list(axes)) if nd else x
    return xp.reshape(moved, kept + (-1,)), kept, axes


def _keep(xp, out, nd, axes, keepdims, lead=0):
    """Put the reduced axes back as length 1 (``keepdims=True``); ``lead`` leading axes (of ``q``)."""
    if not keepdims:
        return out
    shape = list(xp.shape(out))
    for a in axes:
        shape.insert(lead + a, 1)
    return xp.reshape(out, tuple(shape))


def _stable_order(xp, x):
    """The stable sorting permutation of ``x`` along its last axis (ties in their original order)."""
    try:
        return xp.argsort(x, axis=-1, kind="stable")
    except TypeError:  # a backend without ``kind=``: its argsort is stable (CuPy's)
        return xp.argsort(x, axis=-1)


# ------------------------------------------------------------------ sort, partition
def sort_jvp(xp, a, da, axis=-1):
    """Tangent of ``sort(a, axis)``: the tangents in stable sorted order."""
    if axis is None:
        a, da, axis = xp.reshape(a, (-1,)), xp.reshape(_full(xp, a, da), (-1,)), -1
    da = _full(xp, a, da)
    order = xp.moveaxis(_stable_order(xp, xp.moveaxis(a, axis, -1)), -1, axis)
    return xp.take_along_axis(da, order, axis=axis)


def permuted_jvp(xp, a, da, ans, axis=-1):
    """Tangent of a rearrangement ``ans`` of ``a`` along ``axis`` (``partition``): the element of
    ``a`` sorted to the same rank as each of ``ans``'s goes where it went (equal values: in order)."""
    if axis is None:
        a, da, axis = xp.reshape(a, (-1,)), xp.reshape(_full(xp, a, da), (-1,)), -1
    da = _full(xp, a, da)
    a_l, ans_l, da_l = (xp.moveaxis(v, axis, -1) for v in (a, ans, da))
    src = _stable_order(xp, a_l)  # rank r of a is at src[r]
    dst = _stable_order(xp, ans_l)  # rank r of ans is at dst[r]
    perm = xp.take_along_axis(src, xp.argsort(dst, axis=-1), axis=-1)  # ans[dst[r]] comes from a[src[r]]
    return xp.moveaxis(xp.take_along_axis(da_l, perm, axis=-1), -1, axis)


def sort_inplace_jvp(xp, a, da, axis=-1, key=None, reverse=False):
    """``a.sort(axis)`` in place: permute ``da`` as the sort will permute ``a`` (called before it). A
    list's ``.sort()`` of differentiated values is refused (``sorted`` has a rule)."""
    if isinstance(a, list) or key is not None or reverse:
        _refuse("list.sort() of differentiated values: use sorted(...), whose tangent is followed")
    da[...] = sort_jvp(xp, a, da, axis)
    return None


# ------------------------------------------------------------------ order statistics
def _select_ranks(xp, x, t, ranks):
    """The tangents ``t`` of the elements at stable-sorted ranks ``ranks`` (host ints) along the last
    axis of ``x``: shape kept + (len(ranks),). O(n) per rank: the value at a rank comes from
    ``partition``, and of the elements equal to it the one a stable sort puts there is found by
    counting (nan sorts last, as in ``sort``); many ranks take one stable argsort instead."""
    if len(ranks) > 4:
        s = xp.take_along_axis(t, _stable_order(xp, x), axis=-1)
        return xp.stack([s[..., r] for r in ranks], axis=-1)
    part = xp.partition(x, list(ranks), axis=-1)
    nan = xp.isnan(x)
    out = []
    for r in ranks:
        v = part[..., r : r + 1]
        vnan = xp.isnan(v)
        less = xp.where(vnan, xp.sum(~nan, axis=-1, keepdims=True), xp.sum(x < v, axis=-1, keepdims=True))
        equal = xp.where(vnan, nan, x == v)
        at = xp.argmax(xp.cumsum(equal, axis=-1) > (r - less), axis=-1)  # the (r - less)-th equal one
        out.append(xp.take_along_axis(t, at[..., None], axis=-1)[..., 0])
    return xp.stack(out, axis=-1)


def quantile_jvp(xp, a, da, q, axis=None, method="linear", keepdims=False, weights=None, interpolation=None, scale=1.0):
    """Tangent of ``quantile(a, q)`` (``percentile``: q scaled by ``scale`` = 1/100) for every NumPy
    method: each is an interpolation between two neighbouring order statistics, at the fractional
    position that ``quantile`` itself gives for ``arange(n)``. At a knot (weight 0 on the upper
    neighbour) only the lower one is read: a one-sided derivative, never 0 * nan."""
    if weights is not None:
        _refuse("quantile/percentile with weights= (an inverted-CDF pick of a weighted sample)")
    method = interpolation if interpolation is not None else method
    nd = len(xp.shape(a))
    x, kept, axes = _to_last(xp, a, axis)
    t, _, _ = _to_last(xp, _full(xp, a, da), axis)
    n = xp.shape(x)[-1]
    qq = xp.asarray(q, dtype=xp.float64) * scale
    qshape = tuple(xp.shape(qq))
    pos = xp.reshape(xp.quantile(xp.arange(n, dtype=xp.float64), qq, method=method), (-1,)).tolist()
    lows = [min(max(int(math.floor(p)), 0), n - 1) for p in pos]
    fracs = [p - lo for p, lo in zip(pos, lows)]
    highs = [min(lo + 1, n - 1) for lo in lows]
    ranks = sorted(set(lows) | {h for h, g in zip(highs, fracs) if g > 0})
    vals = _select_ranks(xp, x, t, ranks)
    outs = []
    for lo, hi, g in zip(lows, highs, fracs):
        lower = vals[..., ranks.index(lo)]
        outs.append(lower if g == 0 else (1 - g) * lower + g * vals[..., ranks.index(hi)])
    out = xp.reshape(xp.stack(outs, axis=0), qshape + kept)
    out = out.astype(xp.result_type(out.dtype, q if isinstance(q, (int, float)) else xp.asarray(q)))  # as NumPy's
    return _keep(xp, out, nd, axes, keepdims, lead=len(qshape))


def quantile_dq(xp, a, q, dq, axis=None, method="linear", keepdims=False, scale=1.0):
    """Tangent of ``quantile(a, q)`` w.r.t. ``q`` (method 'linear'): the slope of the interpolation,
    (n - 1) (x_(j+1) - x_(j)) between the order statistics around position q (n - 1); at a knot the
    slope to its right, 0 at q = 1. Other methods are refused (their positions jump or move otherwise)."""
    if method != "linear":
        _refuse(f"the derivative of quantile/percentile w.r.t. q for method={method!r} (only 'linear')")
    nd = len(xp.shape(a))
    x, kept, axes = _to_last(xp, a, axis)
    n = xp.shape(x)[-1]
    s = xp.sort(x, axis=-1)
    qq = xp.asarray(q, dtype=xp.float64) * scale
    qshape = tuple(xp.shape(qq))
    pos = xp.reshape(qq * (n - 1), qshape + (1,) * len(kept))
    lo = xp.clip(xp.floor(pos), 0, n - 1).astype(xp.int64)
    hi = xp.minimum(lo + 1, n - 1)
    sb = xp.broadcast_to(s, qshape + kept + (n,))
    lower = xp.take_along_axis(sb, xp.broadcast_to(lo, qshape + kept)[..., None], axis=-1)[..., 0]
    upper = xp.take_along_axis(sb, xp.broadcast_to(hi, qshape + kept)[..., None], axis=-1)[..., 0]
    dqq = xp.reshape(xp.asarray(dq) * scale, qshape + (1,) * len(kept))
    out = (upper - lower) * (n - 1) * dqq
    out = out.astype(xp.result_type(s.dtype, q if isinstance(q, (int, float)) else xp.asarray(q)))  # as the value
    return _keep(xp, out, nd, axes, keepdims, lead=len(qshape))


def median_jvp(xp, a, da, axis=None, keepdims=False):
    """Tangent of ``median``: the middle order statistic's tangent (the mean of the two middle ones
    for an even count); any axis form, tuples included."""
    nd = len(xp.shape(a))
    x, kept, axes = _to_last(xp, a, axis)
    t, _, _ = _to_last(xp, _full(xp, a, da), axis)
    n = xp.shape(x)[-1]
    m = n // 2
    if n % 2:
        out = _select_ranks(xp, x, t, [m])[..., 0]
    else:
        pair = _select_ranks(xp, x, t, [m - 1, m])
        out = 0.5 * (pair[..., 0] + pair[..., 1])
    return _keep(xp, out, nd, axes, keepdims)


def nanquantile_jvp(
    xp, a, da, q, axis=None, method="linear", keepdims=False, weights=None, interpolation=None, scale=1.0
):
    """Tangent of ``nanquantile``/``nanpercentile``: ``quantile_jvp`` over each slice's values that are
    not nan (nan sorts last, so the first ``count`` sorted values); the fractional positions come from
    ``quantile`` of ``arange(count)``, once per distinct count. An all-nan slice has a zero tangent."""
    if weights is not None:
        _refuse("nanquantile/nanpercentile with weights= (an inverted-CDF pick of a weighted sample)")
    method = interpolation if interpolation is not None else method
    nd = len(xp.shape(a))
    x, kept, axes = _to_last(xp, a, axis)
    t, _, _ = _to_last(xp, _full(xp, a, da), axis)
    qq = xp.asarray(q, dtype=xp.float64) * scale
    qshape = tuple(xp.shape(qq))
    nq = int(xp.size(qq))
    s = xp.take_along_axis(t, _stable_order(xp, x), axis=-1)
    counts = xp.sum(~xp.isnan(x), axis=-1)
    pos = xp.zeros(qshape + kept, dtype=xp.float64).reshape((nq,) + kept)
    for c in sorted(set(xp.reshape(counts, (-1,)).tolist())):
        if c == 0:
            continue
        pc = xp.reshape(xp.quantile(xp.arange(c, dtype=xp.float64), qq, method=method), (nq,) + (1,) * len(kept))
        pos = xp.where(counts == c, pc, pos)
    lo = xp.floor(pos)
    g = xp.asarray(pos - lo, dtype=s.dtype)
    n = xp.shape(s)[-1]
    lo = xp.clip(lo, 0, n - 1).astype(xp.int64)
    hi = xp.minimum(lo + 1, xp.maximum(counts - 1, 0)).astype(xp.int64)
    sb = xp.broadcast_to(s, (nq,) + kept + (n,))
    lower = xp.take_along_axis(sb, lo[..., None], axis=-1)[..., 0]
    upper = xp.where(g == 0, 0, xp.take_along_axis(sb, hi[..., None], axis=-1)[..., 0])
    out = xp.where(counts > 0, (1 - g) * lower + g * upper, 0)
    out = xp.reshape(out, qshape + kept)
    out = out.astype(xp.result_type(out.dtype, q if isinstance(q, (int, float)) else xp.asarray(q)))
    return _keep(xp, out, nd, axes, keepdims, lead=len(qshape))


def nanmedian_jvp(xp, a, da, axis=None, keepdims=False):
    """Tangent of ``nanmedian``: as ``median`` over the values that are not nan (nan sorts last);
    an all-nan slice has a nan value and a zero tangent."""
    nd = len(xp.shape(a))
    x, kept, axes = _to_last(xp, a, axis)
    t, _, _ = _to_last(xp, _full(xp, a, da), axis)
    s = xp.take_along_axis(t, _stable_order(xp, x), axis=-1)
    cnt = xp.sum(~xp.isnan(x), axis=-1)
    lo = xp.maximum((cnt - 1) // 2, 0)
    hi = xp.maximum(cnt // 2, 0)
    take = lambda i: xp.take_along_axis(s, i[..., None], axis=-1)[..., 0]  # noqa: E731
    out = xp.where(cnt > 0, 0.5 * (take(lo) + take(hi)), 0)
    return _keep(xp, out, nd, axes, keepdims)


# ------------------------------------------------------------------ masked reductions (where=, initial=, nan)
def plain(where=True, initial=None):
    """Whether a reduction runs without ``where=`` and ``initial=`` (the rules' fast path); a function,
    so that templates never compare a literal with ``is``."""
    return where is True and initial is None


def as_dtype(xp, t, dtype=None):
    """A tangent cast as a reduction's ``dtype=`` casts its value (unchanged without one)."""
    if dtype is None or xp.dtype(dtype).kind not in "fc":
        return t
    return xp.asarray(t).astype(dtype)


def with_initial(xp, t, axis=None, include_initial=False):
    """``cumulative_prod(..., include_initial=True)``'s tangent: a leading zero (the constant 1) along
    ``axis``."""
    if not include_initial:
        return t
    ax = 0 if axis is None else axis
    shape = list(xp.shape(t))
    shape[ax] = 1
    return xp.concatenate([xp.zeros(tuple(shape), dtype=t.dtype), t], axis=ax)


def initial_factor(initial):
    """``prod``'s ``initial`` as the factor it multiplies the product by (1 when not given)."""
    return 1 if initial is None else initial


def _mask(xp, x, where, fill):
    return x if where is True else xp.where(where, x, fill)


def extremum_jvp(xp, a, da, ans, axis=None, keepdims=False, where=True):
    """Tangent of max/min (nanmax/nanmin with ``nan``; ``where=``/``initial=``): the tangent at the
    first element equal to the result among those taken part; zero where none does (the result is
    ``initial``, or an all-nan slice)."""
    nd = len(xp.shape(a))
    a = xp.asarray(a)
    x, kept, axes = _to_last(xp, a, axis)
    t, _, _ = _to_last(xp, _full(xp, a, da), axis)
    m = xp.ones(xp.shape(x), dtype=bool)
    if where is not True:
        m, _, _ = _to_last(xp, xp.broadcast_to(where, xp.shape(a)), axis)
    r = xp.reshape(ans, kept + (1,))
    hit = (x == r) & m
    first = xp.argmax(hit, axis=-1)
    found = xp.any(hit, axis=-1)
    out = xp.take_along_axis(t, first[..., None], axis=-1)[..., 0]
    out = xp.where(found, out, 0)
    return _keep(xp, out, nd, axes, keepdims)


def nanvar_jvp(xp, a, da, axis=None, ddof=0, keepdims=False, where=True, skipnan=True):
    """Tangent of ``nanvar`` (``var`` with ``where=`` when not ``skipnan``): 2 sum(Re(conj(a - mean)
    da)) / (n - ddof) over the values taken part (not nan, and ``where``)."""
    a = xp.asarray(a)
    m = ~xp.isnan(a) if skipnan else xp.ones(xp.shape(a), dtype=bool)
    if where is not True:
        m = m & where
    n = xp.sum(m, axis=axis, keepdims=True).astype(xp.real(xp.zeros((), dtype=a.dtype)).dtype)
    a0 = xp.where(m, a, 0)
    mean = xp.sum(a0, axis=axis, keepdims=True) / n
    c = xp.where(m, a - mean, 0)
    prod = xp.conj(c) * _full(xp, a, da)
    if getattr(prod.dtype, "kind", "f") == "c":
        prod = xp.real(prod)
    out = 2 * xp.sum(xp.where(m, prod, 0), axis=axis, keepdims=True) / (n - ddof)
    return out if keepdims else xp.squeeze(out, axis=axis) if axis is not None else xp.reshape(out, ())


def sqrt_jvp(xp, dv, s):
    """Tangent of s = sqrt(v) given v's tangent: dv / (2 s), 0 where s is 0 (a constant slice)."""
    return xp.where(s == 0, 0, dv / xp.where(s == 0, 1, 2 * s))


def masked(xp, x, where, fill):
    """``x`` where ``where`` holds, ``fill`` elsewhere (``x`` itself for ``where=True``)."""
    return _mask(xp, x, where, fill)


def nan_zeroed(xp, a, da):
    """``da`` with 0 where ``a`` is nan (the nan-functions' view of the tangent)."""
    return xp.where(xp.isnan(a), 0, da)


# ------------------------------------------------------------------ weighted statistics
def _weights_like(xp, a, w, axis):
    """``average``'s weights broadcast against ``a`` (a 1-d ``w`` runs along ``axis``)."""
    if xp.shape(w) == xp.shape(a):
        return w
    nd = len(xp.shape(a))
    shape = [1] * nd
    shape[axis % nd] = xp.shape(w)[0]
    return xp.reshape(w, tuple(shape))


def average_jvp(xp, a, da, weights, dweights, ans, axis=None, returned=False, keepdims=False):
    """Tangent of ``average(a, axis, weights, returned, keepdims)`` (``da`` or ``dweights`` may be
    None): (sum(w da) + sum((a - avg) dw)) / sum(w); with ``returned``, also sum(dw) (the weights'
    sum, broadcast like NumPy's)."""
    avg = ans[0] if returned else ans
    a = xp.asarray(a)
    if weights is None:
        w = xp.ones((), dtype=xp.result_type(a.dtype, xp.float64) if a.dtype.kind not in "fc" else a.dtype)
        w = xp.broadcast_to(w, xp.shape(a))
    else:
        w = _weights_like(xp, a, xp.asarray(weights), axis)
    wb = xp.broadcast_to(w, xp.shape(a))
    scl = xp.sum(wb, axis=axis, keepdims=True)
    num = 0
    if da is not None:
        num = num + xp.sum(wb * _full(xp, a, da), axis=axis, keepdims=True)
    dscl = None
    if dweights is not None:
        dw = xp.broadcast_to(_weights_like(xp, a, xp.asarray(dweights), axis), xp.shape(a))
        avg_k = xp.sum(wb * a, axis=axis, keepdims=True) / scl
        num = num + xp.sum((a - avg_k) * dw, axis=axis, keepdims=True)
        dscl = xp.sum(dw, axis=axis, keepdims=True)
    out = num / scl
    if not keepdims:
        out = xp.reshape(out, xp.shape(avg))
    out = xp.broadcast_to(out, xp.shape(avg)) if xp.shape(out) != xp.shape(avg) else out
    if not returned:
        return out
    if dscl is None:
        dscl = xp.zeros(xp.shape(ans[1]), dtype=out.dtype)
    else:
        dscl = xp.broadcast_to(xp.reshape(dscl, xp.shape(ans[1])) if not keepdims else dscl, xp.shape(ans[1]))
        dscl = xp.array(dscl, copy=True)
    return _Pair((out, dscl))


class _Pair(tuple):
    """A pair of tangents that adds elementwise (``average(..., returned=True)``'s two partials)."""

    def __add__(self, other):
        return _Pair(a + b for a, b in zip(self, other))

    __radd__ = __add__


def average_dw(xp, a, t, weights, u, v, s, axis=None, returned=False, keepdims=False):
    """Derivative of ``average_jvp(a, t, weights, u)`` w.r.t. the weights along ``v`` (forward over
    forward): with W = sum(w), T = N / W and N = sum(w t) + sum((a - avg) u),
    dT = (sum(v t) - sum(u) sum((a - avg) v) / W) / W - T sum(v) / W; the weights' sum's tangent
    sum(u) does not depend on the weights."""
    a = xp.asarray(a)
    w = xp.broadcast_to(_weights_like(xp, a, xp.asarray(weights), axis), xp.shape(a))
    vv = xp.broadcast_to(_weights_like(xp, a, xp.asarray(v), axis), xp.shape(a))
    W = xp.sum(w, axis=axis, keepdims=True)
    avg = xp.sum(w * a, axis=axis, keepdims=True) / W
    tt = None if t is None else _full(xp, a, t)
    uu = None if u is None else xp.broadcast_to(_weights_like(xp, a, xp.asarray(u), axis), xp.shape(a))
    N = 0
    dN = 0
    if tt is not None:
        N = N + xp.sum(w * tt, axis=axis, keepdims=True)
        dN = dN + xp.sum(vv * tt, axis=axis, keepdims=True)
    if uu is not None:
        N = N + xp.sum((a - avg) * uu, axis=axis, keepdims=True)
        davg = xp.sum((a - avg) * vv, axis=axis, keepdims=True) / W
        dN = dN - xp.sum(uu, axis=axis, keepdims=True) * davg
    out = dN / W - (N / W) * xp.sum(vv, axis=axis, keepdims=True) / W
    avg_shape = xp.shape(s[0] if returned else s)
    out = xp.broadcast_to(xp.reshape(out, avg_shape) if not keepdims else out, avg_shape)
    if not returned:
        return out
    return _Pair((out, xp.zeros(xp.shape(s[1]), dtype=out.dtype)))


def _cov_parts(xp, m, y, rowvar, bias, ddof, fweights, aweights):
    """``cov``'s centred data, weights and normalisation, as NumPy computes them."""
    dt = xp.result_type(m, xp.float64) if y is None else xp.result_type(m, y, xp.float64)
    X = xp.atleast_2d(xp.asarray(m, dtype=dt))
    if not rowvar and X.shape[0] != 1:
        X = X.T
    if y is not None:
        Y = xp.atleast_2d(xp.asarray(y, dtype=dt))
        if not rowvar and Y.shape[0] != 1:
            Y = Y.T
        X = xp.concatenate((X, Y), axis=0)
    w = None
    if fweights is not None:
        w = xp.asarray(fweights, dtype=xp.float64)
    if aweights is not None:
        aw = xp.asarray(aweights, dtype=xp.float64)
        w = aw if w is None else w * aw
    n = X.shape[1]
    if w is None:
        wsum = n
        fact = n - (ddof if ddof is not None else (0 if bias else 1))
    else:
        wsum = xp.sum(w)
        d = ddof if ddof is not None else (0 if bias else 1)
        if d == 0:
            fact = wsum
        elif aweights is None:
            fact = wsum - d
        else:
            fact = wsum - d * xp.sum(w * xp.asarray(aweights, dtype=xp.float64)) / wsum
    return X, w, wsum, fact


def _centre(xp, X, w, wsum):
    mean = xp.mean(X, axis=1, keepdims=True) if w is None else xp.sum(X * w, axis=1, keepdims=True) / wsum
    return X - mean


def _as_data(xp, v, dv):
    """Data given as a (nested) list or tuple (``np.cov([a, b, c])``) and its tangent (a list of the same
    nesting, 0.0 for a constant element) as arrays of one shape (``np.array`` of the tangent list fails)."""
    if type(v) not in (list, tuple):
        return v, dv
    v = xp.asarray(v)
    if type(dv) in (list, tuple):
        dv = xp.stack([_as_data(xp, e, t)[1] if type(t) in (list, tuple) else xp.broadcast_to(xp.asarray(t), e.shape)
                       for e, t in zip(v, dv)])  # fmt: skip
    return v, dv


def cov_jvp(xp, m, dm, y, dy, rowvar=True, bias=False, ddof=None, fweights=None, aweights=None, dtype=None):
    """Tangent of ``cov``: (dXc W Xc^H + Xc W dXc^H) / fact, Xc the centred data (``dm``/``dy`` may
    be None: zeros)."""
    m, dm = _as_data(xp, m, dm)
    y, dy = _as_data(xp, y, dy)
    X, w, wsum, fact = _cov_parts(xp, m, y, rowvar, bias, ddof, fweights, aweights)
    zm = xp.zeros(xp.shape(m)) if dm is None else dm
    zy = None if y is None else (xp.zeros(xp.shape(y)) if dy is None else dy)
    dX, _, _, _ = _cov_parts(xp, zm, zy, rowvar, bias, ddof, fweights, aweights)
    Xc = _centre(xp, X, w, wsum)
    dXc = _centre(xp, dX, w, wsum)
    Xw = Xc if w is None else Xc * w
    dXw = dXc if w is None else dXc * w
    out = (dXw @ xp.conj(Xc.T) + Xw @ xp.conj(dXc.T)) / fact
    if dtype is not None:
        out = out.astype(dtype)
    return xp.squeeze(out)


def corrcoef_jvp(xp, x, dx, y, dy, ans, rowvar=True, dtype=None):
    """Tangent of ``corrcoef``: R = C / sqrt(d d^T), d = diag(C): dR = dC / sqrt(d d^T) -
    R (dd_i / d_i + dd_j / d_j) / 2 (real data; the clip to [-1, 1] only rounds)."""
    if xp.iscomplexobj(x) or (y is not None and xp.iscomplexobj(y)):
        _refuse("corrcoef of complex data")
    x, dx = _as_data(xp, x, dx)
    y, dy = _as_data(xp, y, dy)
    C = xp.atleast_2d(xp.cov(x, y, rowvar, dtype=dtype))
    dC = xp.atleast_2d(cov_jvp(xp, x, dx, y, dy, rowvar, dtype=dtype))
    d = xp.diagonal(C)
    dd = xp.diagonal(dC)
    R = xp.atleast_2d(ans)
    out = dC / xp.sqrt(d[:, None] * d[None, :]) - 0.5 * R * (dd[:, None] / d[:, None] + dd[None, :] / d[None, :])
    return xp.reshape(out, xp.shape(ans))


def corrcoef_jvp2(xp, x, y, t, u, v, w, rowvar=True, dtype=None):
    """Second derivative of ``corrcoef`` in the directions (t, u) and (v, w) of (x, y) (None: zero),
    for forward over forward. With S = sqrt(d d^T), A_t = (a_i + a_j) / 2, a = d'_t / d:
    R'' = C''/S - (C'_t/S) A_v - R'_v A_t - R (b_i + b_j) / 2, b = d''/d - a_t a_v, where the
    covariance C is quadratic in the data (C'' = cov_jvp of one direction along the other)."""
    if xp.iscomplexobj(x) or (y is not None and xp.iscomplexobj(y)):
        _refuse("corrcoef of complex data")

    def z(d, ref):
        return xp.zeros(xp.shape(ref)) if d is None else d

    t, v = z(t, x), z(v, x)
    u, w = (None, None) if y is None else (z(u, y), z(w, y))
    C = xp.atleast_2d(xp.cov(x, y, rowvar, dtype=dtype))
    Ct = xp.atleast_2d(cov_jvp(xp, x, t, y, u, rowvar, dtype=dtype))
    Cv = xp.atleast_2d(cov_jvp(xp, x, v, y, w, rowvar, dtype=dtype))
    Ctv = xp.atleast_2d(cov_jvp(xp, v, t, w, u, rowvar, dtype=dtype))
    d, dt_, dv_, dtv = (xp.diagonal(M) for M in (C, Ct, Cv, Ctv))
    S = xp.sqrt(d[:, None] * d[None, :])
    R = C / S
    at, av = dt_ / d, dv_ / d
    At = 0.5 * (at[:, None] + at[None, :])
    Av = 0.5 * (av[:, None] + av[None, :])
    Rv = Cv / S - R * Av
    b = dtv / d - at * av
    out = Ctv / S - (Ct / S) * Av - Rv * At - 0.5 * R * (b[:, None] + b[None, :])
    shape = xp.shape(xp.corrcoef(x, y, rowvar))
    return xp.reshape(out, shape)


# ------------------------------------------------------------------ interpolation, polynomials, differences
def _segments(xp, x, xp_, period):
    if period is not None:
        _refuse("interp with period= w.r.t. x or xp")
    n = xp.shape(xp_)[0]
    i = xp.clip(xp.searchsorted(xp_, x, side="right") - 1, 0, n - 2)
    inside = (x >= xp_[0]) & (x < xp_[-1])
    return i, inside


def interp_dx(xp, x, dx, xp_, fp, left=None, right=None, period=None):
    """Tangent of ``interp`` w.r.t. ``x``: the slope of the segment that holds x; at a knot the slope
    of the segment to its right (0 at and beyond the last knot, and before the first: ``left`` and
    ``right`` are constants)."""
    if xp.shape(xp_)[0] < 2:
        return dx * 0.0
    i, inside = _segments(xp, x, xp_, period)
    slope = (fp[i + 1] - fp[i]) / (xp_[i + 1] - xp_[i])
    return xp.where(inside, slope, 0) * dx


def interp_dxp(xp, x, xp_, dxp, fp, left=None, right=None, period=None):
    """Tangent of ``interp`` w.r.t. the knots ``xp``: s ((t - 1) dxp_i - t dxp_(i+1)) inside the
    segment i that holds x (t its fraction, s its slope); outside, the value is an end value."""
    if xp.shape(xp_)[0] < 2:
        return xp.zeros(xp.shape(x)) * dxp[0]
    i, inside = _segments(xp, x, xp_, period)
    h = xp_[i + 1] - xp_[i]
    s = (fp[i + 1] - fp[i]) / h
    t = (x - xp_[i]) / h
    out = s * ((t - 1) * dxp[i] - t * dxp[i + 1])
    return xp.where(inside, out, 0)


def interp_dfp(xp, x, xp_, dfp, left=None, right=None, period=None):
    """Tangent of ``interp`` w.r.t. the values ``fp`` (linear in them): the same interpolation of
    ``dfp``, with zero where a constant ``left``/``right`` is used."""
    return xp.interp(
        x, xp_, dfp, left=None if left is None else 0.0, right=None if right is None else 0.0, period=period
    )


def interp_dend(xp, x, xp_, dend, side, period=None):
    """Tangent of ``interp`` w.r.t. ``left`` (``side`` -1) or ``right`` (+1): ``dend`` where used."""
    if period is not None:
        return xp.zeros(xp.shape(x))
    used = x < xp_[0] if side < 0 else x > xp_[-1]
    return xp.where(used, dend, 0)


def polyval_dx(xp, p, x, dx):
    """Tangent of ``polyval(p, x)`` w.r.t. ``x``: the derivative polynomial at x, times dx."""
    p = xp.asarray(p)
    n = xp.shape(p)[0]
    if n < 2:
        return dx * 0.0
    k = xp.arange(n - 1, 0, -1, dtype=p.dtype if p.dtype.kind in "fc" else xp.float64)
    k = xp.reshape(k, (n - 1,) + (1,) * (len(xp.shape(p)) - 1))
    return xp.polyval(p[:-1] * k, x) * dx


def polyfit_jvp(xp, x, dy, deg, rcond=None, full=False, w=None, cov=False):
    """Tangent of ``polyfit`` w.r.t. ``y``: a least-squares fit is linear in y, so the fit of dy."""
    if full or cov:
        _refuse("polyfit with full=True or cov=True (residuals, rank and covariance are not linear in y)")
    return xp.polyfit(x, dy, deg, rcond=rcond, w=w)


def ediff1d_jvp(xp, ary, dary, to_end, dto_end, to_begin, dto_begin):
    """Tangent of ``ediff1d`` for one of its (jointly linear) inputs; the others contribute zeros."""
    dtype = xp.asarray(ary).dtype
    if dtype.kind not in "fc":
        dtype = xp.result_type(*[t for t in (dary, dto_end, dto_begin) if t is not None], xp.float64)
    mid = xp.zeros(max(xp.size(ary) - 1, 0), dtype=dtype) if dary is None else xp.diff(xp.reshape(dary, (-1,)))
    parts = []
    if to_begin is not None:
        parts.append(xp.zeros(xp.size(to_begin), dtype=dtype) if dto_begin is None else xp.reshape(dto_begin, (-1,)))
    parts.append(mid)
    if to_end is not None:
        parts.append(xp.zeros(xp.size(to_end), dtype=dtype) if dto_end is None else xp.reshape(dto_end, (-1,)))
    return xp.concatenate([xp.asarray(p, dtype=dtype) for p in parts])


def select_default_jvp(xp, condlist, ddefault, ans):
    """Tangent of ``select`` w.r.t. ``default``: ``ddefault`` where no condition holds."""
    none = ~xp.any(xp.stack([xp.broadcast_to(c, xp.shape(ans)) for c in condlist]), axis=0)
    return xp.where(none, ddefault, 0)


def real_if_close_jvp(xp, a, da, ans):
    """Tangent of ``real_if_close``: the real part of da where the result dropped the imaginary part."""
    if xp.iscomplexobj(a) and not xp.iscomplexobj(ans):
        return xp.real(da)
    return da


def linspace_jvp(xp, dstart, dstop, num, endpoint=True, retstep=False, dtype=None, axis=0):
    """Tangent of ``linspace`` (jointly linear in start and stop: the samples of ``linspace(dstart,
    dstop)``; with ``retstep`` the step's tangent too). An integer ``dtype`` floors: zero tangent."""
    samples = xp.linspace(dstart, dstop, num, endpoint=endpoint, axis=axis)
    if dtype is not None and xp.dtype(dtype).kind not in "fc":
        samples = xp.zeros(xp.shape(samples))
    elif dtype is not None:
        samples = samples.astype(dtype)
    if not retstep:
        return samples
    div = (num - 1) if endpoint else num
    step = (xp.asarray(dstop) - xp.asarray(dstart)) / div if div > 0 else xp.asarray(dstop) * xp.nan
    return _Pair((samples, step))


def fill_jvp(xp, dself, dvalue):
    """``a.fill(v)`` in place: the tangent buffer filled with ``dvalue``."""
    dself[...] = dvalue
    return None


def bflat(xp, t):
    """Vector mode's ``a.flat`` of a batched tangent (K, ...): the (K, size) view of it (a write through
    it must reach the tangent, so a copy is refused)."""
    flags = getattr(t, "flags", None)
    if flags is not None and not flags.c_contiguous:
        _refuse("a.flat of a tangent that is not contiguous in vector mode (a copy would lose the writes)")
    return xp.reshape(t, (xp.shape(t)[0], -1))


def zeros_or_none(xp, v):
    """Zeros shaped like ``v`` (None stays None): a data argument that carries no tangent here."""
    return None if v is None else xp.zeros(xp.shape(v))


def polyder(xp, p):
    """The derivative's coefficients (highest power first, along axis 0)."""
    p = xp.asarray(p)
    n = xp.shape(p)[0]
    k = xp.arange(n - 1, 0, -1, dtype=p.dtype if p.dtype.kind in "fc" else xp.float64)
    return p[:-1] * xp.reshape(k, (n - 1,) + (1,) * (len(xp.shape(p)) - 1))


def pad_stat_jvp(xp, array, darray, pad_width, mode, stat_length=None):
    """Tangent of ``pad`` in mode 'maximum', 'minimum' or 'median': axis by axis as NumPy pads (the
    statistic of each edge region of the array padded so far), the tangent of the element each
    statistic picks (first arg-extremum; the middle order statistics for the median)."""
    a = xp.asarray(array)
    nd = len(xp.shape(a))
    pw = [[int(v) for v in row] for row in _np_pairs(pad_width, nd)]
    sl = None if stat_length is None else [[int(v) for v in row] for row in _np_pairs(stat_length, nd)]
    val, tan = a, _full(xp, a, darray)
    for ax in range(nd):
        n = xp.shape(val)[ax]
        pieces_v, pieces_t = [], []
        for side in (0, 1):
            width = pw[ax][side]
            length = n if sl is None else max(1, min(sl[ax][side], n))
            region = slice(0, length) if side == 0 else slice(n - length, n)
            idx = (slice(None),) * ax + (region,)
            rv, rt_ = xp.moveaxis(val[idx], ax, -1), xp.moveaxis(tan[idx], ax, -1)
            if mode == "median":
                sv = xp.median(rv, axis=-1)
                st = median_jvp(xp, rv, rt_, axis=-1)
            else:
                sv = xp.max(rv, axis=-1) if mode == "maximum" else xp.min(rv, axis=-1)
                st = extremum_jvp(xp, rv, rt_, sv, axis=-1)
            shape = list(xp.shape(val))
            shape[ax] = width
            pv = xp.broadcast_to(xp.expand_dims(sv, ax), tuple(shape))
            pt = xp.broadcast_to(xp.expand_dims(st, ax), tuple(shape))
            pieces_v.append(pv)
            pieces_t.append(pt)
        val = xp.concatenate([pieces_v[0], val, pieces_v[1]], axis=ax)
        tan = xp.concatenate([pieces_t[0], tan, pieces_t[1]], axis=ax)
    if mode not in ("maximum", "minimum", "median"):
        _refuse(f"pad_stat_jvp for mode {mode!r}")
    return tan


def _np_pairs(v, nd):
    """``pad``'s ``pad_width``/``stat_length`` forms (a number, a pair, one pair per axis) as nd pairs."""
    if not isinstance(v, (list, tuple)) and getattr(v, "ndim", 0) == 0:
        return [[int(v), int(v)]] * nd
    rows = [r.tolist() if hasattr(r, "tolist") else r for r in v]
    if all(not isinstance(r, (list, tuple)) for r in rows):
        rows = [rows]
    rows = [
        [r[0], r[0]] if len(r) == 1 else list(r) for r in (x if isinstance(x, (list, tuple)) else [x] for x in rows)
    ]
    if len(rows) == 1:
        rows = rows * nd
    return rows


# ------------------------------------------------------------------ cumulative products and maxima
def cumprod_jvp(xp, x, dx, axis=None):
    """Tangent of ``cumprod``, O(n) and exact with zeros: with x' = x where x != 0 else 1 and P its
    cumulative product, dc = P cumsum(dx / x') before the first zero, dx_z P between the first zero z
    and the second, 0 after it."""
    if axis is None:
        x, dx, axis = xp.reshape(x, (-1,)), xp.reshape(_full(xp, x, dx), (-1,)), 0
    dx = _full(xp, x, dx)
    zero = x == 0
    nz = xp.cumsum(zero, axis=axis)
    xs = xp.where(zero, 1, x)
    P = xp.cumprod(xs, axis=axis)
    before = P * xp.cumsum(xp.where(nz == 0, dx / xs, 0), axis=axis)
    at_zero = xp.cumsum(xp.where(zero & (nz == 1), dx, 0), axis=axis)
    return xp.where(nz == 0, before, xp.where(nz == 1, at_zero * P, 0))


def cumextremum_jvp(xp, x, dx, ans, axis=0):
    """Tangent of ``maximum.accumulate``/``minimum.accumulate``: at each position the tangent of the
    latest element equal to the running extremum (a tie takes the new element, as ``np.maximum``)."""
    dx = _full(xp, x, dx)
    n = xp.shape(x)[axis]
    shape = [1] * len(xp.shape(x))
    shape[axis] = n
    idx = xp.reshape(xp.arange(n), tuple(shape))
    src = xp.maximum.accumulate(xp.where(x == ans, idx, 0), axis=axis)
    return xp.take_along_axis(dx, src, axis=axis)


def outer_left(xp, dA, B):
    """Tangent of ``ufunc.outer(A, B)`` through ``A`` for add/subtract: dA broadcast over B's axes."""
    dA = xp.asarray(dA)
    return xp.broadcast_to(xp.reshape(dA, xp.shape(dA) + (1,) * len(xp.shape(B))), xp.shape(dA) + xp.shape(B))


def outer_right(xp, A, dB):
    """Tangent of ``ufunc.outer(A, B)`` through ``B`` for add/subtract: dB broadcast over A's axes."""
    dB = xp.asarray(dB)
    return xp.broadcast_to(dB, xp.shape(A) + xp.shape(dB))


def outer_product(xp, A, B):
    """``multiply.outer(A, B)`` without the ufunc method (its tangent is bilinear)."""
    A, B = xp.asarray(A), xp.asarray(B)
    return xp.reshape(A, xp.shape(A) + (1,) * len(xp.shape(B))) * B


def at_add(xp, da, indices, db, sign=1):
    """``add.at(a, indices, b)`` (``subtract.at`` with ``sign`` -1) on the tangent buffer: the same
    unbuffered scatter, repeated indices accumulating."""
    xp.add.at(da, indices, db if sign > 0 else -db)
    return None


def at_rounds(xp, op, a, da, indices, b, db):
    """``op.at(a, indices, b)`` for op 'multiply', 'maximum' or 'minimum' on the tangent buffer ``da``
    (called before the primal write, reading ``a`` as it is then): the unbuffered updates of one
    element happen in order, so they are replayed in rounds, the r-th update of every element in
    round r, each round a product rule ((a, da) <- (a b, da b + a db)) or a choice (np.maximum's: a
    tie takes b's tangent). Exact, zeros included."""
    shape = xp.shape(a)
    size = int(xp.size(a))
    target = xp.reshape(xp.reshape(xp.arange(size), shape)[indices], (-1,))
    m = xp.shape(target)[0]
    full = tuple(xp.shape(xp.reshape(xp.arange(size), shape)[indices]))
    bb = xp.reshape(xp.broadcast_to(xp.asarray(b), full), (-1,))
    dbb = xp.reshape(xp.broadcast_to(xp.asarray(db), full), (-1,))
    order = _stable_order(xp, target)
    st = target[order]
    pos = xp.arange(m)
    start = xp.concatenate([xp.ones(min(m, 1), dtype=bool), st[1:] != st[:-1]])
    first = xp.maximum.accumulate(xp.where(start, pos, 0)) if m else pos
    rank = xp.empty_like(pos)
    rank[order] = pos - first
    F = xp.array(xp.reshape(a, (-1,)), copy=True)
    dF = xp.array(xp.reshape(da, (-1,)), copy=True)
    rounds = int(xp.max(rank)) + 1 if m else 0
    for r in range(rounds):
        sel = rank == r
        t, bv, dbv = target[sel], bb[sel], dbb[sel]
        f, df = F[t], dF[t]
        if op == "multiply":
            F[t], dF[t] = f * bv, df * bv + f * dbv
        elif op in ("maximum", "minimum"):
            keep = f > bv if op == "maximum" else f < bv
            F[t], dF[t] = xp.where(keep, f, bv), xp.where(keep, df, dbv)
        else:
            _refuse(f"{op}.at")
    da[...] = xp.reshape(dF, shape)
    return None
