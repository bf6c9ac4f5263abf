"""Helpers of the rules for Python's sequence builtins (``reversed``, ``math.dist``), called from
templates as ``rt.sequences.<fn>(...)``. Each one has a rule of its own (rules/builtin_rules.py), so
generated code calling it can be differentiated again."""

from ..errors import NotDifferentiableHere


def reversed_tangent(seq, tangent):
    """Tangent of ``reversed(seq)``: the tangent's items in reverse order (a dict iterates its keys,
    which carry no tangent; an array's tangent reverses along its first axis)."""
    if isinstance(seq, dict):
        return [0.0 for _ in seq]
    if isinstance(tangent, (list, tuple)):
        return list(reversed(tangent))
    return tangent[::-1]


def _item(t, i):
    """Item i of a 1-D sequence's tangent: a list of leaves, an (n,) array, or a (K, n) array of K
    directions (vector mode; math.dist takes 1-D sequences only, so a second axis is the directions')."""
    return t[i] if isinstance(t, (list, tuple)) or getattr(t, "ndim", 1) < 2 else t[..., i]


def dist_partial(a, b, t, norm):
    """Directional derivative of ``norm = math.dist(a, b)`` along ``t`` for ``a`` (the one for ``b`` is
    its negative): sum((a_i - b_i) t_i) / norm. At a == b the distance has one-sided derivatives only."""
    if norm == 0:
        raise NotDifferentiableHere("math.dist(p, q) is not differentiable where p == q")
    total = 0.0
    for i in range(len(a)):
        total = total + (a[i] - b[i]) * _item(t, i)
    return total / norm


def dot_over(u, v, norm):
    """sum(u_i v_i) / norm (a derivative of dist_partial; either sequence may hold K directions)."""
    if norm == 0:
        raise NotDifferentiableHere("math.dist(p, q) is not differentiable where p == q")
    total = 0.0
    for i in range(len(u) if isinstance(u, (list, tuple)) or getattr(u, "ndim", 1) < 2 else u.shape[-1]):
        total = total + _item(u, i) * _item(v, i)
    return total / norm
