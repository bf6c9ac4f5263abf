"""Shift invariance: where the tangent of a max-shift cancels, it is not computed.

The stable log-softmax and softmax subtract a per-row maximum before exponentiating::

    s = x - x.max(axis=1, keepdims=True)
    logp = s - np.log(np.exp(s).sum(axis=1, keepdims=True))

The tangent of ``s`` is ``dx - dm`` with ``dm`` constant along axis 1, and ``logp`` does not change
when ``s`` changes by anything constant along axis 1, so ``dm`` cancels exactly in ``dlogp``. This
pass proves that for a function body and names the ``s`` whose tangent may drop ``dm`` (the
transform then emits ``ds = dx``, and ``dm`` is never computed).

The proof is an abstract interpretation of what a shift ``s -> s + c`` (``c`` constant along the
axis) does to every value computed from ``s``: a value is INVariant, SHIFTed by ``c``, SCALEd by
``e^c``, or anything else (BAD). ``exp(SHIFT)`` is SCALE, a keepdims sum of SCALE over the same axis
is SCALE, ``log(SCALE)`` is SHIFT, ``SHIFT - SHIFT`` and ``SCALE / SCALE`` are INV, a function of
INV values is INV. A shifted or scaled value combined with another array is followed only when the axis
is negative: broadcasting may add leading axes, which renumbers non-negative ones. The rewrite is made only when every value that leaves the analysed statements
(returned, passed on, stored, used in a branch or loop) is INV, so the function's JVP is unchanged.
"""

import gast
import numpy as np

from . import nodes
from .parse import MISSING

INV, SHIFT, SCALE, BAD = "inv", "shift", "scale", "bad"
_REDUCTIONS = {"max", "min", "amax", "amin"}
_SHAPE_ATTRS = {"shape", "dtype", "ndim", "size"}


def shift_free_names(body, resolve):
    """Names ``s`` assigned once as ``s = x - x.max(axis=a, keepdims=True)`` (or ``min``/``np.max``...,
    inline or through a name) whose every use is shift-invariant along ``a``."""
    if not any(
        isinstance(s, gast.Assign) and isinstance(s.value, gast.BinOp) and isinstance(s.value.op, gast.Sub)
        for s in body
    ):
        return set()  # no candidate: skip the walk (this runs for every transformed function)
    stores = {}
    for n in nodes.nodes_of(
        gast.Module(body=body, type_ignores=[]),
        (gast.Name, gast.FunctionDef, gast.AsyncFunctionDef, gast.Lambda, gast.ClassDef, gast.Global, gast.Nonlocal),
    ):
        if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Store):
            stores[n.id] = stores.get(n.id, 0) + 1
        elif isinstance(
            n, (gast.FunctionDef, gast.AsyncFunctionDef, gast.Lambda, gast.ClassDef, gast.Global, gast.Nonlocal)
        ):
            return set()  # a closure could read a shifted value where this pass does not look
    out = set()
    reductions = {}  # name -> (x, axis, index) for ``m = x.max(axis=a, keepdims=True)`` at top level
    for i, s in enumerate(body):
        if not (isinstance(s, gast.Assign) and len(s.targets) == 1 and isinstance(s.targets[0], gast.Name)):
            continue
        target, v = s.targets[0].id, s.value
        red = _reduction(v, resolve)
        if red is not None and stores.get(target) == 1:
            reductions[target] = red + (i,)
        if not (isinstance(v, gast.BinOp) and isinstance(v.op, gast.Sub) and isinstance(v.left, gast.Name)):
            continue
        right = v.right
        red = reductions.get(right.id) if isinstance(right, gast.Name) else _reduction(right, resolve)
        if red is None or red[0] != v.left.id or stores.get(target) != 1 or stores.get(v.left.id, 0) > 1:
            continue
        if len(red) == 3 and any(red[0] in nodes.names_in(st, gast.Store) for st in body[red[2] + 1 : i]):
            continue  # x was rebound between the reduction and the subtraction
        if _uses_are_invariant(body[i + 1 :], target, red[1], resolve, stores):
            out.add(target)
    return out


def _const(node):
    if (
        isinstance(node, gast.UnaryOp)
        and isinstance(node.op, gast.USub)
        and isinstance(node.operand, gast.Constant)
        and isinstance(node.operand.value, int)
    ):
        return -node.operand.value  # axis=-1
    return node.value if isinstance(node, gast.Constant) else MISSING


def _keywords(call):
    return {k.arg: k.value for k in call.keywords if k.arg is not None}


def _axis_keepdims(call, first_positional):
    """The literal ``axis`` of a reduction call with ``keepdims=True``, or None."""
    kw = _keywords(call)
    if _const(kw.get("keepdims")) is not True or len(kw) != 2:
        return None
    axis = _const(kw.get("axis"))
    if len(call.args) != first_positional or not isinstance(axis, int) or isinstance(axis, bool):
        return None
    return axis


def _reduction(e, resolve):
    """``(x, axis)`` for ``x.max(axis=a, keepdims=True)`` / ``np.max(x, axis=a, keepdims=True)`` (max,
    min, amax, amin) with ``x`` a name, else None."""
    if not isinstance(e, gast.Call):
        return None
    f = e.func
    obj = resolve(f)
    if obj is MISSING and isinstance(f, gast.Attribute) and f.attr in ("max", "min") and isinstance(f.value, gast.Name):
        axis = _axis_keepdims(e, 0)
        return None if axis is None else (f.value.id, axis)
    if (
        obj is not MISSING
        and getattr(obj, "__name__", None) in _REDUCTIONS
        and obj in (np.max, np.min, np.amax, np.amin)
        and e.args
        and isinstance(e.args[0], gast.Name)
    ):
        axis = _axis_keepdims(e, 1)
        return None if axis is None else (e.args[0].id, axis)
    return None


def _uses_are_invariant(stmts, s, axis, resolve, stores):
    kinds = {s: SHIFT}
    for st in stmts:
        touched = {n for n in nodes.names_in(st) if n in kinds}
        if not touched:
            continue
        if isinstance(st, gast.Assign) and len(st.targets) == 1 and isinstance(st.targets[0], gast.Name):
            k = _kind(st.value, kinds, axis, resolve)
            t = st.targets[0].id
            if k == BAD or t in kinds or (k != INV and stores.get(t) != 1):
                return False
            if k != INV:
                kinds[t] = k
        elif isinstance(st, gast.Return) and st.value is not None:
            if _kind(st.value, kinds, axis, resolve) != INV:
                return False
        elif isinstance(st, gast.Expr):
            if _kind(st.value, kinds, axis, resolve) != INV:
                return False
        else:
            return False  # a branch, loop, in-place write, nested def ... that sees a shifted value
    return True


def _kind(e, kinds, axis, resolve):
    k = type(e)
    if k is gast.Name:
        return kinds.get(e.id, INV)
    if k is gast.Constant:
        return INV
    if k is gast.BinOp:
        a, b = _kind(e.left, kinds, axis, resolve), _kind(e.right, kinds, axis, resolve)
        if a == b == INV:
            return INV
        other = e.right if a != INV else e.left
        if (a == INV or b == INV) and axis >= 0 and not isinstance(other, gast.Constant):
            # an array operand may broadcast leading axes onto the shifted value, and a non-negative
            # axis would then name a different axis of the result (negative axes align from the right)
            return BAD
        table = {
            gast.Sub: {(SHIFT, SHIFT): INV, (SHIFT, INV): SHIFT},
            gast.Add: {(SHIFT, INV): SHIFT, (INV, SHIFT): SHIFT},
            gast.Div: {(SCALE, SCALE): INV, (SCALE, INV): SCALE},
            gast.Mult: {(SCALE, INV): SCALE, (INV, SCALE): SCALE},
        }
        return table.get(type(e.op), {}).get((a, b), BAD)
    if k is gast.Attribute:
        if e.attr in _SHAPE_ATTRS:
            return INV
        return INV if _kind(e.value, kinds, axis, resolve) == INV else BAD
    if k is gast.Call:
        return _call_kind(e, kinds, axis, resolve)
    if k is gast.UnaryOp:
        return INV if _kind(e.operand, kinds, axis, resolve) == INV else BAD
    # anything else (subscripts, comprehensions, lambdas, ...): invariant only if no shifted value is inside
    return BAD if any(isinstance(n, gast.Name) and kinds.get(n.id, INV) != INV for n in gast.walk(e)) else INV


def _call_kind(e, kinds, axis, resolve):
    f = e.func
    obj = resolve(f)
    if obj is np.exp and len(e.args) == 1 and not e.keywords and _kind(e.args[0], kinds, axis, resolve) == SHIFT:
        return SCALE
    if obj is np.log and len(e.args) == 1 and not e.keywords and _kind(e.args[0], kinds, axis, resolve) == SCALE:
        return SHIFT
    if obj is np.sum and e.args and _axis_keepdims(e, 1) == axis and _kind(e.args[0], kinds, axis, resolve) == SCALE:
        return SCALE
    if (
        obj is MISSING
        and isinstance(f, gast.Attribute)
        and f.attr == "sum"
        and _axis_keepdims(e, 0) == axis
        and _kind(f.value, kinds, axis, resolve) == SCALE
    ):
        return SCALE
    parts = list(e.args) + [kw.value for kw in e.keywords]
    if isinstance(f, gast.Attribute) and obj is MISSING:
        parts.append(f.value)
    return INV if all(_kind(p, kinds, axis, resolve) == INV for p in parts) else BAD
