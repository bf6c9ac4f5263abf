"""Python data-structure idioms with differentiated values (transform.py calls these):

* ``[*xs, a]``, ``(*xs, a)``, ``{**d, "k": v}``: each starred part is first bound to ``list(part)`` /
  ``dict(part)`` (the iteration Python does there, at the same point of the evaluation order), so the
  display's tangent is the same display over the parts' tangents (``[*dt1, da]``), with zeros for
  parts that carry none;
* ``dict(k=v, ...)`` and ``dict(m, k=v)``: the dict display ``{"k": v}`` / ``{**dict(m), "k": v}``
  that Python builds for them;
* ``xs.pop(i)`` / ``d.pop(k[, default])`` and ``xs.reverse()`` on a container with tangents: the
  same operation on the tangent container, as a statement of its own (never removed as dead code),
  after the primal's.
"""

import builtins

import gast

from . import nodes, registry
from .errors import UnsupportedSyntaxError
from .parse import MISSING
from .states import LIVE, MAYBE

_ONE_SHOT = (reversed, iter, zip, enumerate, map, filter)


def _one_shot_args(tr, e):
    """``math.prod(reversed(xs))``: the callee consumes the iterator, and a rule that reads the values
    again (``math.prod``'s, ``sorted``'s) would find it empty: the iterator passed as ``list(...)`` (the
    callee iterates it the same way; nothing else can see it), else None."""
    obj = tr.info.resolve(e.func, tr.visible_locals)
    if obj is MISSING or registry.lookup(obj) is None or obj in (list, tuple):
        return None
    args, changed = [], False
    for a in e.args:
        if isinstance(a, gast.Call) and tr.info.resolve(a.func, tr.visible_locals) in _ONE_SHOT:
            a = nodes.call(nodes.name(tr.unit.builtin("list")), [a])
            changed = True
        args.append(a)
    return gast.Call(func=e.func, args=args, keywords=e.keywords) if changed else None


def desugar_call(tr, e):
    """An equivalent display for ``dict(...)`` with keyword arguments, or a call whose one-shot iterator
    arguments are made lists (see _one_shot_args), else None."""
    if tr.info.resolve(e.func, tr.visible_locals) is not builtins.dict or not e.keywords:
        return _one_shot_args(tr, e)
    if len(e.args) > 1 or any(isinstance(a, gast.Starred) for a in e.args):
        return None
    keys, values = [], []
    if e.args:
        keys.append(None)
        values.append(nodes.call(nodes.name(tr.unit.builtin("dict")), [e.args[0]]))
    for k in e.keywords:
        keys.append(None if k.arg is None else nodes.const(k.arg))
        values.append(k.value)
    return gast.Dict(keys=keys, values=values)


def simplify_display(tr, e, out):
    """``e`` (a list, tuple or dict display) with its parts atomized; starred parts bound to a list/dict."""
    if isinstance(e, gast.Dict):
        keys, values = [], []
        for k, v in zip(e.keys, e.values):
            if k is None:
                keys.append(None)
                values.append(tr.atomize(nodes.call(nodes.name(tr.unit.builtin("dict")), [v]), out, True))
            else:
                keys.append(tr.atomize(k, out))
                values.append(tr.atomize(v, out))
        return gast.Dict(keys=keys, values=values)
    elts = []
    for x in e.elts:
        if isinstance(x, gast.Starred):
            part = tr.atomize(nodes.call(nodes.name(tr.unit.builtin("list")), [x.value]), out, True)
            elts.append(gast.Starred(value=part, ctx=gast.Load()))
        else:
            elts.append(tr.atomize(x, out))
    return nodes.tuple_(elts) if isinstance(e, gast.Tuple) else nodes.list_(elts)


def has_star(e):
    if isinstance(e, gast.Dict):
        return any(k is None for k in e.keys)
    return isinstance(e, (gast.Tuple, gast.List)) and any(isinstance(x, gast.Starred) for x in e.elts)


def display_tangent(tr, e):
    """The tangent of a simplified display with starred parts (None: zero)."""
    if isinstance(e, gast.Dict):
        parts = list(e.values)
    else:
        parts = [x.value if isinstance(x, gast.Starred) else x for x in e.elts]
    tans = [tr.t(p) for p in parts]
    if all(t is None for t in tans):
        return None
    new = [t if t is not None else tr.zeros_of(p) for t, p in zip(tans, parts)]
    if isinstance(e, gast.Dict):
        return gast.Dict(keys=[nodes.clone(k) if k is not None else None for k in e.keys], values=new)
    elts = [gast.Starred(value=t, ctx=gast.Load()) if isinstance(x, gast.Starred) else t for x, t in zip(e.elts, new)]
    return nodes.tuple_(elts) if isinstance(e, gast.Tuple) else nodes.list_(elts)


# ---------------------------------------------------------------------------------------------- pop / reverse
_METHODS = {"pop": (0, 2), "reverse": (0, 0)}
MUTATORS = frozenset(_METHODS)  # they change the receiver in place (its tangent too: never the caller's)


def _container_method(tr, sexpr):
    if not (isinstance(sexpr, gast.Call) and isinstance(sexpr.func, gast.Attribute)):
        return None
    f = sexpr.func
    if f.attr not in _METHODS or not isinstance(f.value, gast.Name) or f.value.id not in tr.act.active:
        return None
    if tr.info.resolve(f, tr.visible_locals) is not MISSING:
        return None
    lo, hi = _METHODS[f.attr]
    if sexpr.keywords or not lo <= len(sexpr.args) <= hi or any(isinstance(a, gast.Starred) for a in sexpr.args):
        return None
    return f.value.id, f.attr


def emit_method(tr, target, sexpr, out):
    """``target = xs.pop(i)`` / ``xs.reverse()`` on an active container; False if ``sexpr`` is neither."""
    found = _container_method(tr, sexpr)
    if found is None:
        return False
    recv, method = found
    if tr.state.get(recv) == MAYBE:
        tr.settle([recv], out)
    out.append(nodes.assign(target, sexpr))  # the primal (raises as yours does: an empty list, a missing key)
    if not tr.is_live(recv):  # every element's tangent is zero: nothing to follow
        tr.set_zero(target, out)
        return True
    d = nodes.name(tr.tangent_name(recv))
    if method == "reverse":
        out.append(nodes.expr_stmt(nodes.call(nodes.attr(d, "reverse"))))
        tr.set_zero(target, out)
        return True
    args = list(sexpr.args)
    if len(args) == 2:  # d.pop(k, default): the default's tangent where the key was missing
        default = tr.t_or_zeros(args[1])
        value = nodes.call(nodes.attr(nodes.clone(d), "pop"), [nodes.clone(args[0]), default])
        out.append(nodes.assign(tr.tangent_name(target), value))
    else:
        index = nodes.clone(args[0]) if args else nodes.const(-1)
        out.append(nodes.assign(tr.tangent_name(target), nodes.subscript(nodes.clone(d), index)))
        out.append(nodes.expr_stmt(nodes.call(nodes.attr(nodes.clone(d), "pop"), [nodes.clone(index)])))
    if len(args) == 2:
        # a pop with a default is one statement: keep it even when the value's tangent is never read
        last = out.pop()
        out.append(
            gast.Assign(
                targets=[nodes.tuple_([nodes.store(last.targets[0].id)], gast.Store())],
                value=nodes.tuple_([last.value]),
                type_comment=None,
            )
        )
    if target in tr.act.active:
        tr.state[target] = LIVE
    else:
        raise tr.error(
            sexpr,
            "internal error: the value popped from a differentiated container is not active",
            UnsupportedSyntaxError,
        )
    return True
