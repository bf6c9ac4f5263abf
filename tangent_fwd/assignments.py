"""Stores into targets other than a plain name, for the statement walker (transform.py).

Each keeps Python's meaning and mirrors it in the tangent through the same target: unpacking
(``a, b = v`` -> ``da, db = dv``), subscript stores (``c[i] = v`` -> ``dc[i] = dv``; written in place,
so every alias of ``c`` sees it, and so does every alias of ``dc``), augmented assignment to a name
(in place, never rebinding: the array may be a view others see), in-place list methods on a name
(``xs.append(v)`` -> ``dxs.append(dv)``), and a ``for`` loop's target (the tangent iterated alongside
the primal). ``name = simple expression`` itself stays in the walker (``assign_name``).

Where the tangent's storage matters (a batched tangent is indexed past its direction axis) the
transformer's tangent representation decides (``tr.rep``, tangent_repr.py). Functions take the
``FunctionTransformer`` explicitly (no mixin).
"""

import gast

from . import expressions, lower, nodes, optimize
from .activity import _flatten as _flat
from .parse import MISSING
from .rule_apply import ANS
from .states import LIVE


def method_write(tr, call, out):
    """``xs.append(v)`` (a mutating method of an active name, as a statement): the same call on the
    tangent; True when handled."""
    recv = call.func.value
    if not (isinstance(recv, gast.Name) and recv.id in tr.act.active):
        return False
    args = [tr.atomize(a, out) for a in call.args]
    out.append(nodes.expr_stmt(nodes.call(nodes.attr(nodes.clone(recv), call.func.attr), args)))
    val = args[-1]
    if tr.t(val) is not None:
        tr.materialize(recv.id, out)
    if tr.is_live(recv.id):
        targs = args[:-1] + [tr.t_or_zeros(val)]
        if call.func.attr == "extend":
            tan = tr.t_or_zeros(val)  # batched zeros in vector mode
            if tr.vector:  # extend iterates its argument: a batched array tangent past its direction axis
                tan = tr.rt_call("biter", tan)
            targs = args[:-1] + [tan]
        out.append(nodes.expr_stmt(nodes.call(nodes.attr(nodes.name(tr.tangent_name(recv.id)), call.func.attr), targs)))
    return True


def aug_assign_name(tr, s, out):
    """``r op= v`` stays in place (an array ``r`` may be a view that others see), and so does its
    tangent: ``dr = rt.iset(dr, ...)`` writes into ``dr`` where it is an array."""
    r = s.target.id
    value = tr.atomize(s.value, out) if tr.act.expr(s.value) else s.value
    if not tr.act.expr(value) and not tr.is_live(r):
        out.append(gast.AugAssign(target=nodes.store(r), op=s.op, value=nodes.clone(value)))
        return
    sexpr = nodes.binop(nodes.name(r), s.op, value)
    tan = tr.tangent_expr(sexpr)
    primal = gast.AugAssign(target=nodes.store(r), op=s.op, value=nodes.clone(value))
    if tan is None:
        out.append(primal)
        tr.set_zero(r, out)
        return
    tan = optimize.fold(tan)
    if optimize.is_zero(tan):
        out.append(primal)
        tr.set_zero(r, out)
        return
    used = set(nodes.names_in(tan, gast.Load))
    dname = tr.tangent_name(r)
    live = tr.is_live(r)
    if (ANS in used or tr.guard_depth) and r in used:
        old = tr.namer.temp()
        out.append(nodes.assign(old, tr.rt_call("snapshot", nodes.name(r))))
        tan = nodes.substitute(tan, {r: nodes.name(old)})
        used = {ANS}
    if ANS in used or tr.guard_depth:
        out.append(primal)
        tan = nodes.substitute(tan, {ANS: nodes.name(r)})
        out.append(nodes.assign(dname, tr.rt_call("iset", nodes.name(dname), tan, nodes.name(r)) if live else tan))
    else:
        tmp = tr.namer.fresh("d" + r + "_new")
        out.append(nodes.assign(tmp, tan))
        out.append(primal)
        out.append(
            nodes.assign(
                dname,
                tr.rt_call("iset", nodes.name(dname), nodes.name(tmp), nodes.name(r)) if live else nodes.name(tmp),
            )
        )
    tr.state[r] = LIVE


def assign_unpack(tr, target, value, out):
    if any(isinstance(n, gast.Subscript) for n in gast.walk(target)):
        roots = [r for r in nodes.names_in(target) if r in tr.act.active]
        if tr.act.expr(value) or roots:
            if any(isinstance(n, gast.Starred) for n in gast.walk(target)):
                raise tr.error(
                    target,
                    "starred unpacking into subscripts is not supported",
                    hint="assign the elements one by one",
                )
            # Python builds the whole right-hand side first, then assigns left to right
            tmp = tr.atomize(value, out, hoist_inactive=True)
            for i, elt in enumerate(target.elts):
                tr.s_Assign(
                    gast.Assign(
                        targets=[elt], value=nodes.subscript(nodes.clone(tmp), nodes.const(i)), type_comment=None
                    ),
                    out,
                )
            return
    if not tr.act.expr(value):
        out.append(nodes.assign(nodes.clone(target), nodes.clone(value)))
        for n in nodes.names_in(target, gast.Store):
            tr.set_zero(n, out)
        return
    atom = tr.atomize(value, out)
    out.append(nodes.assign(nodes.clone(target), nodes.clone(atom)))
    tan = tr.t(atom)
    names = nodes.names_in(target, gast.Store)
    if tan is None:
        for n in names:
            tr.set_zero(n, out)
        return
    out.append(nodes.assign(tangent_target(tr, target), tr.rep.iterate(tan)))
    for n in names:
        if n in tr.act.active:
            tr.state[n] = LIVE


def tangent_target(tr, target):
    if isinstance(target, gast.Name):
        if target.id in tr.act.active:
            return nodes.store(tr.tangent_name(target.id))
        return nodes.store(tr.namer.fresh("_"))
    if isinstance(target, (gast.Tuple, gast.List)):
        return nodes.tuple_([tangent_target(tr, e) for e in target.elts], gast.Store())
    if isinstance(target, gast.Starred):
        return gast.Starred(value=tangent_target(tr, target.value), ctx=gast.Store())
    raise tr.error(target, "unsupported assignment target in unpacking")


def assign_subscript(tr, target, value, out):
    chain = []
    root = target
    while isinstance(root, gast.Subscript):
        chain.append(root)
        root = root.value
    if not isinstance(root, gast.Name):
        # Y.T[0] = v, f(B)[:] = v: the container is bound to a temporary (lower.py) whose tangent is
        # the same view of the base's tangent
        if not (tr.act.expr(value) or tr.act.expr(root)):
            out.append(gast.Assign(targets=[nodes.clone(target)], value=nodes.clone(value), type_comment=None))
            return
        stmts = lower.store_into_expression(
            gast.Assign(targets=[target], value=value, type_comment=None), tr.namer.temp
        )
        return tr.lowered(stmts, out)
    active_value = tr.act.expr(value)
    new_target = nodes.clone(target)
    node = new_target
    while isinstance(node, gast.Subscript):
        node.slice = expressions.simple_index(tr, node.slice, out)
        node = node.value
    atom = tr.atomize(value, out) if (active_value or root.id in tr.act.active) else value
    if active_value and tr.t(atom) is not None:
        tr.materialize(root.id, out)
    out.append(nodes.assign(new_target, nodes.clone(atom)))
    if root.id in tr.act.active and tr.is_live(root.id):
        tr.rep.store_subscript(new_target, tr.tangent_name(root.id), tr.t_or_zeros(atom), out)


def loop_iter(tr, it, act, target, pairs, pre):
    """The primal iterable, collecting (tangent iterable, tangent target) pairs for active parts."""
    if act is False or not any(_flat(act)):
        return nodes.clone(it)
    if isinstance(act, tuple) and isinstance(it, gast.Call) and isinstance(target, (gast.Tuple, gast.List)):
        obj = tr.info.resolve(it.func, tr.visible_locals)
        if obj is enumerate and len(target.elts) == 2:
            inner = loop_iter(tr, it.args[0], act[1], target.elts[1], pairs, pre)
            return nodes.call(
                nodes.clone(it.func),
                [inner] + [nodes.clone(a) for a in it.args[1:]],
                [(k.arg, nodes.clone(k.value)) for k in it.keywords],
            )
        if obj is zip and len(target.elts) == len(it.args):
            args = [loop_iter(tr, a, sub, tg, pairs, pre) for a, sub, tg in zip(it.args, act, target.elts)]
            return nodes.call(nodes.clone(it.func), args)
        if obj is MISSING and isinstance(it.func, gast.Attribute) and it.func.attr == "items":
            d = tr.atomize(it.func.value, pre)
            td = tr.t(d)
            if td is not None:
                pairs.append((nodes.call(nodes.attr(td, "values")), tangent_target(tr, target.elts[1])))
            return nodes.call(nodes.attr(nodes.clone(d), "items"))
    if (
        isinstance(it, gast.Call)
        and isinstance(it.func, gast.Attribute)
        and it.func.attr == "values"
        and not it.args
        and tr.info.resolve(it.func, tr.visible_locals) is MISSING
    ):
        d = tr.atomize(it.func.value, pre)
        td = tr.t(d)
        if td is not None:
            pairs.append((nodes.call(nodes.attr(td, "values")), tangent_target(tr, target)))
        return nodes.call(nodes.attr(nodes.clone(d), "values"))
    atom = tr.atomize(it, pre)
    tan = tr.t(atom)
    if tan is not None:
        pairs.append((tr.rep.iterate(tan), tangent_target(tr, target)))
    return nodes.clone(atom)


def tangent_target_primals(tr, tt):
    inverse = {v: k for k, v in tr.tname.items()}
    return [inverse[n] for n in nodes.names_in(tt) if n in inverse]
