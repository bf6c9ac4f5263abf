"""What the statement walker (transform.py) decides about a function before and after its body.

Before: which names must hold a materialised tangent whenever they exist (``init_force_live``):
containers and arrays written in place, everything that may share memory with them, and the names
nested defs close over; a symbolic zero tangent would miss the write. After: the generated def, with
the user's parameters, their tangents (positional after them, or keyword-only where the signature has
defaults, ``*args``, keyword-only or positional-only parameters) and the user's default values.

Functions take the ``FunctionTransformer`` explicitly (no mixin).
"""

import math

import gast

from . import listops, nodes, user_calls
from .activity import MUTATING_METHODS


def init_force_live(tr):
    """Names whose tangent must exist whenever they do: containers and arrays written in place
    (and everything that may share memory with them), and names nested functions close over. Sets
    ``tr.force_live``, ``tr.mutated`` (names written in place here or by a callee) and
    ``tr.has_inplace`` (anything may be written in place: new tangents get their own copy)."""
    active = tr.act.active
    live = set()
    has_inplace = False
    body = gast.Module(body=tr.fnode.body, type_ignores=[])
    for n in nodes.nodes_of(body, (gast.Subscript, gast.AugAssign, gast.Call)):  # one pass over the body
        if isinstance(n, gast.Subscript) and isinstance(n.ctx, gast.Store):
            has_inplace = True
            live.update(tr.act.written(n))
        elif isinstance(n, gast.AugAssign):
            has_inplace = True
            if isinstance(n.target, gast.Name):
                live.add(n.target.id)
        elif isinstance(n, gast.Call):
            if (
                isinstance(n.func, gast.Attribute)
                and (n.func.attr in MUTATING_METHODS or n.func.attr in listops.MUTATORS)
                and isinstance(n.func.value, gast.Name)
            ):
                live.add(n.func.value.id)
            live.update(tr.act.callee_mutations(n))
            written = tr.act.library_writes(n)
            if written:
                live.update(written)
                has_inplace = True
            if not has_inplace and user_calls.user_callee(tr, n) is not None:
                has_inplace = True  # a callee may write into what we pass it
    tr.mutated = set(live)
    tr.has_inplace = has_inplace
    for free in tr.nested_free.values():
        live |= free
    aliases = tr.body_aliases
    changed = True
    while changed:
        changed = False
        for a, b in aliases:
            if (a in live) != (b in live):
                live |= {a, b}
                changed = True
    tr.force_live = {n for n in live if n in active and n in tr.locals}


def defaults(tr, a):
    """Default values as the user's function holds them (``__defaults__``/``__kwdefaults__``, evaluated
    once where it was defined), not its source text re-evaluated in another scope. A nested def's
    defaults stay expressions: they are evaluated where the generated def runs, as the user's are."""
    if tr.parent is not None:
        return [nodes.clone(d) for d in a.defaults], [nodes.clone(d) if d is not None else None for d in a.kw_defaults]
    func = tr.spec.func
    pos = a.posonlyargs + a.args
    values = func.__defaults__ or ()
    names = [p.id for p in pos[len(pos) - len(values) :]]
    defaults = [_default_value(tr, v, func, n) for n, v in zip(names, values)]
    kw = func.__kwdefaults__ or {}
    kw_defaults = [_default_value(tr, kw[p.id], func, p.id) if p.id in kw else None for p in a.kwonlyargs]
    return defaults, kw_defaults


def _default_value(tr, value, func, pname):
    if value is None or type(value) in (bool, int, str) or (type(value) is float and math.isfinite(value)):
        return nodes.const(value)  # shown as written; immutable, so the same value
    return nodes.name(tr.unit.const(value, f"{tr.info.node.name}_{pname}_default"))


def primal_def(tr, body, defaults, kw_defaults):
    """The function without tangents (a root with no active parameter): the primal on the backend."""
    doc = f"{tr.info.func.__qualname__} on the generated code's backend (no tangents)."
    args = nodes.clone(tr.fnode.args)
    args.defaults, args.kw_defaults = defaults, kw_defaults
    return nodes.funcdef(tr.spec.name, args, body, docstring=doc)


def jvp_def(tr, body, tparams, defaults, kw_defaults):
    """The generated JVP: the user's parameters, then the tangents ``tparams`` of the active ones."""
    a = tr.fnode.args
    simple = not (a.defaults or a.kwonlyargs or a.vararg or a.kwarg or a.posonlyargs)
    args = nodes.arguments(
        [nodes.param(p.id) for p in a.args] + ([nodes.param(t) for t in tparams] if simple else []),
        defaults=defaults,
        kwonly=[nodes.param(p.id) for p in a.kwonlyargs] + ([] if simple else [nodes.param(t) for t in tparams]),
        kw_defaults=kw_defaults + ([] if simple else [None] * len(tparams)),
        vararg=nodes.param(a.vararg.id) if a.vararg else None,
        kwarg=nodes.param(a.kwarg.id) if a.kwarg else None,
        posonly=[nodes.param(p.id) for p in a.posonlyargs],
    )
    wrt = ", ".join(tr.spec.active_params) or ("its perturb sites" if tr.unit_sources() else "()")
    doc = f"Value and JVP of {tr.info.func.__qualname__} w.r.t. {wrt}."
    return nodes.funcdef(tr.spec.name, args, body, docstring=doc if tr.parent is None else None)
