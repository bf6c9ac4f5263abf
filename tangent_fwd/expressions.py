"""Expressions to simple form, for the statement walker (transform.py).

Each rule's template is written for one operation over atoms (names and constants), so an active
expression is first taken apart: every operand that is not an atom is computed into a new temporary
(``atomize``), whose statement goes through the walker like one of the user's, with its tangent.
Inactive operands stay as written (they are the user's own code and have no tangent).

Functions here take the ``FunctionTransformer`` explicitly (no mixin): they read its activity, namer
and scope, and hand the temporaries' statements back to it (``tr.assign_name``, ``tr.stmt``), which
gives them their tangents; no tangent expression is built here (rule_apply.py builds them).
"""

import gast

from . import dynamic_calls, listops, nodes, outarg, sequences
from .parse import MISSING


def atomize(tr, e, out, hoist_inactive=False):
    """A Name or Constant holding ``e``'s value (a new temporary when ``e`` is an active expression)."""
    if isinstance(e, (gast.Name, gast.Constant)):
        return e
    if not tr.act.expr(e) and not hoist_inactive and _is_cheap(e):
        return e
    if tr.act.expr(e):
        simple = simplify(tr, e, out)
        tmp = tr.namer.temp()
        tr.act.active.add(tmp)
        if isinstance(e, _SEQUENCE_DISPLAYS):  # np.var([a, b]): the temporary holds a list (rule_apply)
            sequence_names(tr).add(tmp)
        elif isinstance(e, _DERIVED_OR_OPAQUE):  # np.add(xs[1:], xs[:-1]): may hold one if xs does;
            _note_temporary(tr, tmp, e)  # np.add(helper(x), 1.0), np.add(p.W, 1.0): may hold one
        tr.assign_name(tmp, simple, out)
    else:
        tmp = tr.namer.temp()
        out.append(nodes.assign(tmp, nodes.clone(e)))
    return nodes.name(tmp)


_SEQUENCE_DISPLAYS = sequences.DISPLAYS
_DERIVED_OR_OPAQUE = (*sequences.DERIVED, gast.Call, gast.Attribute)
sequence_names = sequences.names  # (rule_apply converts the arguments these may be lists in)
_note_temporary = sequences.note_temporary


def simple_index(tr, idx, out):
    if isinstance(idx, gast.Slice):
        return gast.Slice(
            lower=idx.lower and atomize(tr, idx.lower, out),
            upper=idx.upper and atomize(tr, idx.upper, out),
            step=idx.step and atomize(tr, idx.step, out),
        )
    if isinstance(idx, gast.Tuple):
        return nodes.tuple_([simple_index(tr, e, out) for e in idx.elts])
    if isinstance(idx, gast.Starred):  # a[*index, s] (3.11): the unpacked iterable is the atom
        return gast.Starred(value=atomize(tr, idx.value, out), ctx=gast.Load())
    return atomize(tr, idx, out)


def simplify(tr, e, out):
    """``e`` as one operation over atoms (temporaries emitted into ``out`` for its operands)."""
    res = _simplify(tr, e, out)
    if res is not e and getattr(e, "lineno", None) is not None and getattr(res, "lineno", None) is None:
        res.lineno, res.col_offset = e.lineno, e.col_offset
    return res


def _simplify(tr, e, out):
    if not tr.act.expr(e):
        return e
    kind = type(e)
    if kind in (gast.Name, gast.Constant):
        return e
    if kind is gast.BinOp:
        return nodes.binop(atomize(tr, e.left, out), e.op, atomize(tr, e.right, out))
    if kind is gast.UnaryOp:
        return nodes.unary(e.op, atomize(tr, e.operand, out))
    if kind is gast.Attribute:
        return nodes.attr(atomize(tr, e.value, out), e.attr)
    if kind is gast.Subscript:
        return nodes.subscript(atomize(tr, e.value, out), simple_index(tr, e.slice, out))
    if listops.has_star(e):  # [*xs, a], {**d, k: v}
        return listops.simplify_display(tr, e, out)
    if kind in (gast.Tuple, gast.List):
        elts = [atomize(tr, x, out) for x in e.elts]
        return nodes.tuple_(elts) if kind is gast.Tuple else nodes.list_(elts)
    if kind is gast.Dict:
        return nodes.dict_([atomize(tr, k, out) for k in e.keys], [atomize(tr, v, out) for v in e.values])
    if kind is gast.Call:
        display = listops.desugar_call(tr, e)  # dict(k=v): {"k": v}
        return _simplify(tr, display, out) if display is not None else simplify_call(tr, e, out)
    if kind is gast.IfExp:
        tmp = tr.namer.temp()
        tr.act.active.add(tmp)
        tr.stmt(nodes.if_(e.test, [nodes.assign(tmp, e.body)], [nodes.assign(tmp, e.orelse)]), out)
        return nodes.name(tmp)
    if kind is gast.BoolOp:
        tmp = tr.namer.temp()
        tr.act.active.add(tmp)
        tr.s_Assign(nodes.assign(tmp, e.values[0]), out)
        for v in e.values[1:]:
            test = nodes.name(tmp) if isinstance(e.op, gast.And) else nodes.unary(gast.Not(), nodes.name(tmp))
            tr.stmt(nodes.if_(test, [nodes.assign(tmp, v)]), out)
        return nodes.name(tmp)
    if kind in (gast.ListComp, gast.GeneratorExp, gast.DictComp):
        return lower_comprehension(tr, e, out)
    raise tr.error(e, f"cannot differentiate a {kind.__name__} expression", hint="rewrite it with plain assignments")


def simplify_call(tr, e, out):
    if any(k.arg == "out" for k in e.keywords):  # the primal writes in place, the tangent too
        return outarg.lower_out_call(tr, e, out)
    f = e.func
    if isinstance(f, gast.Attribute) and tr.info.resolve(f, tr.visible_locals) is MISSING:
        f = nodes.attr(atomize(tr, f.value, out), f.attr)
    args = []
    for a in e.args:
        if isinstance(a, gast.Starred):
            if tr.act.expr(a):  # forwarded: the call is specialised when it runs (dynamic_calls.py)
                a = dynamic_calls.starred(a, atomize(tr, a.value, out))
            args.append(a)
        else:
            args.append(atomize(tr, a, out))
    kws = []
    for k in e.keywords:
        forwarded = k.arg is None and tr.act.expr(k.value)  # '**kw': specialised when the call runs
        kws.append((k.arg, atomize(tr, k.value, out) if k.arg is not None or forwarded else k.value))
    return nodes.call(f, args, kws)


def lower_comprehension(tr, e, out):
    tmp = tr.namer.temp()
    tr.act.active.add(tmp)
    is_dict = isinstance(e, gast.DictComp)
    tr.s_Assign(nodes.assign(tmp, nodes.dict_([], []) if is_dict else nodes.list_([])), out)
    tr.force_live.add(tmp)
    rename = {}
    gens = []
    for g in e.generators:
        if getattr(g, "is_async", 0):
            raise tr.error(e, "async comprehensions are not supported")
        new = {n: tr.namer.fresh(n) for n in nodes.names_in(g.target, gast.Store)}
        it = nodes.substitute(g.iter, {k: nodes.name(v) for k, v in rename.items()})
        rename.update(new)
        target = _rename_store(g.target, new)
        ifs = [nodes.substitute(c, {k: nodes.name(v) for k, v in rename.items()}) for c in g.ifs]
        gens.append((target, it, ifs))
    sub = {k: nodes.name(v) for k, v in rename.items()}
    if is_dict:
        inner = [
            nodes.assign(
                nodes.subscript(nodes.name(tmp), nodes.substitute(e.key, sub), gast.Store()),
                nodes.substitute(e.value, sub),
            )
        ]
    else:
        inner = [nodes.expr_stmt(nodes.call(nodes.attr(nodes.name(tmp), "append"), [nodes.substitute(e.elt, sub)]))]
    for target, it, ifs in reversed(gens):
        for c in reversed(ifs):
            inner = [nodes.if_(c, inner)]
        inner = [nodes.for_(target, it, inner)]
    # the new loop variables are active where their iterables are
    for target, it, _ in gens:
        tr.act._mark_structured(target, tr.act.iter_target_activity(it))
    tr.act.run(inner, whole_function=False)
    tr.block(inner, out)
    return nodes.name(tmp)


def _is_cheap(e):
    if isinstance(e, (gast.Name, gast.Constant)):
        return True
    if isinstance(e, gast.Attribute):
        return _is_cheap(e.value)
    if isinstance(e, gast.UnaryOp) and isinstance(e.operand, gast.Constant):
        return True
    if isinstance(e, (gast.Tuple, gast.List)):
        return all(_is_cheap(x) for x in e.elts)
    return False


def _rename_store(target, mapping):
    new = nodes.clone(target)
    for n in gast.walk(new):
        if isinstance(n, gast.Name) and n.id in mapping:
            n.id = mapping[n.id]
    return new
