"""Factored (low-rank) tangents.

``LowRank(u, w)`` stands for the tensor ``T = Σ_k u[..., k] ⊗ w[..., k]``: ``u`` has shape ``S1 + (r,)``,
``w`` has shape ``S2 + (r,)``, and ``T`` has shape ``S1 + S2``. For a matrix ``W`` (m × n) that is
``T = u @ w.T`` with ``u`` (m, r) and ``w`` (n, r).

Pass one as the tangent of an array argument (``jvp(f, (W, x), (LowRank(u, w), None))``) and the
generated code keeps it factored through ``@``, ``np.dot``, ``np.matmul``, ``np.einsum``, transposes
and reshapes that keep the two factor groups apart: ``x @ W`` gets the tangent ``(x @ u) @ w.T``, which
costs O(B·(m + n)·r) instead of O(B·m·n). Anywhere else the tangent is made dense once
(``rt.lr_dense``) and the ordinary rules take over, so every function that works with dense tangents
works with factored ones and gives the same JVP.

A ``LowRank`` is not an array: NumPy functions refuse it (``__array_ufunc__ = None``, ``__array__``
raises) rather than silently building an object array. ``.dense()`` materialises it.
"""

import math

_USED = [False]  # set once any LowRank exists: the call fast path then checks for them


class LowRank:
    __slots__ = ("u", "w")
    __array_ufunc__ = None
    __array_priority__ = 1000

    def __init__(self, u, w):
        us, ws = getattr(u, "shape", None), getattr(w, "shape", None)
        if us is None or ws is None:
            raise TypeError(f"LowRank(u, w) needs two arrays, got {type(u).__name__} and {type(w).__name__}")
        if len(us) < 1 or len(ws) < 1 or us[-1] != ws[-1]:
            raise ValueError(
                f"LowRank(u, w): u and w must have the same last axis (the rank), "
                f"got shapes {tuple(us)} and {tuple(ws)}"
            )
        self.u, self.w = u, w
        _USED[0] = True

    # ------------------------------------------------------------------ description
    @property
    def shape(self):
        return tuple(self.u.shape[:-1]) + tuple(self.w.shape[:-1])

    @property
    def ndim(self):
        return self.u.ndim + self.w.ndim - 2

    @property
    def rank(self):
        return self.u.shape[-1]

    @property
    def split(self):
        """``(len(S1), len(S2))``: how the axes of the tensor divide between the two factors."""
        return self.u.ndim - 1, self.w.ndim - 1

    @property
    def dtype(self):
        return self.u.dtype if self.u.dtype.itemsize >= self.w.dtype.itemsize else self.w.dtype

    def __repr__(self):
        return f"LowRank(shape={self.shape}, rank={self.rank}, split={self.split}, dtype={self.dtype})"

    def __array__(self, *args, **kwargs):
        raise TypeError("a LowRank tangent is not an array; call .dense() to materialise it")

    # ------------------------------------------------------------------ algebra that stays factored
    def dense(self):
        """The tensor itself, ``Σ_k u[..., k] ⊗ w[..., k]``, as one array."""
        r = self.rank
        p = math.prod(self.u.shape[:-1])
        q = math.prod(self.w.shape[:-1])
        return (self.u.reshape(p, r) @ self.w.reshape(q, r).T).reshape(self.shape)

    def __neg__(self):
        return LowRank(-self.u, self.w)

    @property
    def T(self):
        """The transpose (all axes reversed): ``(S1, S2) -> (reversed S2, reversed S1)``."""
        return LowRank(_reverse_leading(self.w), _reverse_leading(self.u))

    def transpose(self, *axes):
        if axes in ((), (None,)):
            return self.T
        raise TypeError("LowRank.transpose takes no axes; make the tangent dense first")

    def astype(self, dtype):
        return LowRank(self.u.astype(dtype), self.w.astype(dtype))

    def reshape(self, *shape, split=None):
        """The factored reshape when the new shape divides into ``S1' + S2'`` with ``prod(S1') ==
        prod(S1)`` at ``len(S1') == split`` (default: the first such place). A reshape that mixes the
        two factors' axes has no factored form of the same rank; it is then written exactly as
        ``D = U' @ I`` with rank ``min(prod S1', prod S2')``, so the result is always a ``LowRank`` with
        the requested split (what the generated code relies on)."""
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = tuple(shape[0])
        shape = _resolve_shape(shape, math.prod(self.shape))
        p = math.prod(self.u.shape[:-1])
        r = self.rank
        cuts = [j for j in range(len(shape) + 1) if math.prod(shape[:j]) == p]
        if split is None and cuts:
            split = cuts[0]
        if split is None:
            split = 1 if len(shape) > 1 else len(shape)
        if split in cuts:
            return LowRank(self.u.reshape(tuple(shape[:split]) + (r,)), self.w.reshape(tuple(shape[split:]) + (r,)))
        s1, s2 = tuple(shape[:split]), tuple(shape[split:])
        p2, q2 = math.prod(s1), math.prod(s2)
        d = self.dense().reshape(p2, q2)
        xp = _namespace(self.u)
        if p2 <= q2:
            return LowRank(xp.eye(p2, dtype=d.dtype).reshape(s1 + (p2,)), d.T.reshape(s2 + (p2,)))
        return LowRank(d.reshape(s1 + (q2,)), xp.eye(q2, dtype=d.dtype).reshape(s2 + (q2,)))


def _reverse_leading(a):
    n = a.ndim - 1
    return a.transpose(tuple(range(n - 1, -1, -1)) + (n,))


def _resolve_shape(shape, size):
    shape = [int(s) for s in shape]
    if shape.count(-1) > 1:
        raise ValueError("can only specify one unknown dimension")
    if -1 in shape:
        known = math.prod(s for s in shape if s != -1)
        shape[shape.index(-1)] = size // known if known else 0
    if math.prod(shape) != size:
        raise ValueError(f"cannot reshape a tangent of size {size} into shape {tuple(shape)}")
    return tuple(shape)


def _namespace(a):
    from .runtime import namespace_of

    return namespace_of(a)


# ---------------------------------------------------------------------------------------- structure
def signature(tangent):
    """A hashable description of where ``tangent`` holds LowRank leaves, or None when it holds none:
    ``("lr", len(S1), len(S2), rank)`` for a LowRank, ``("dict", ((key, sig), ...))`` and
    ``("seq", (sig, ...))`` for containers, None for dense leaves."""
    if isinstance(tangent, LowRank):
        return ("lr",) + tangent.split + (int(tangent.rank),)
    if isinstance(tangent, dict):
        subs = tuple((k, signature(v)) for k, v in tangent.items())
        return ("dict", subs) if any(s is not None for _, s in subs) else None
    if isinstance(tangent, (list, tuple)):
        subs = tuple(signature(v) for v in tangent)
        return ("seq", subs) if any(s is not None for s in subs) else None
    return None


def sub_signature(sig, key):
    """The signature of ``container[key]`` for a container of signature ``sig`` (``key`` a constant)."""
    if sig is None:
        return None
    if sig[0] == "dict":
        for k, s in sig[1]:
            if k == key and type(k) is type(key):
                return s
        raise KeyError(key)
    if sig[0] == "seq" and isinstance(key, int) and not isinstance(key, bool):
        return sig[1][key]
    raise KeyError(key)


def dense(tangent):
    """``tangent`` with every LowRank leaf materialised (containers rebuilt, dense leaves shared)."""
    if isinstance(tangent, LowRank):
        return tangent.dense()
    if isinstance(tangent, dict):
        return {k: dense(v) for k, v in tangent.items()}
    if isinstance(tangent, (list, tuple)):
        out = [dense(v) for v in tangent]
        return (
            out if isinstance(tangent, list) else type(tangent)(out) if type(tangent) is tuple else type(tangent)(*out)
        )
    return tangent
