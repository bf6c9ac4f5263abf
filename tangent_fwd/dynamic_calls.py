"""Calls through function values, in the transform: ``fn(x)`` where ``fn`` is a parameter, an attribute
(``self.forward``), an element of a list or dict of functions, a bound method or a partial.

The compiler cannot know such a function, so the generated code asks for its JVP when the call runs
(``callables.jvp_of``: specialised on the function object actually passed, cached per object and call
shape) and calls it with the arguments and their tangents::

    fn_jvp = jvp_of(fn, site)
    y, dy = fn_jvp(x, dx)

Two things make that unsound, and are refused here at compile time: the function value itself
depending on differentiated values, and a nested def (or lambda) that reads differentiated values of
its enclosing function being passed around as a value (specialised alone, it would not see their
tangents).
"""

import builtins
import functools

import gast

from . import callables, nodes, pystd
from .states import LIVE


def emit(tr, target, call, out):
    """Emit ``target = call`` through a call-time specialisation, with the tangent of ``target``."""
    f = call.func
    if tr.act.expr(f):
        raise tr.error(
            call,
            "the function called here is itself computed from differentiated values",
            hint="build the function from inactive values and pass the differentiated ones as arguments",
        )
    for a in call.args:
        if isinstance(a, gast.Starred):
            raise tr.error(
                a,
                "'*args' in a call of a function value with differentiated arguments is not supported",
                hint="pass the arguments one by one",
            )
    for k in call.keywords:
        if k.arg is None:
            raise tr.error(
                k.value,
                "'**kwargs' in a call of a function value with differentiated arguments is not supported",
                hint="pass the keyword arguments one by one",
            )
    slots = [(i, a) for i, a in enumerate(call.args)] + [(k.arg, k.value) for k in call.keywords]
    active = []
    for slot, a in slots:
        if isinstance(a, gast.Name) and tr.is_factored(a.id):
            tr.densify(a.id, out)
        if tr.t(a) is not None:
            active.append(slot)
    if not active:
        out.append(nodes.assign(target, call))
        tr.set_zero(target, out)
        return
    where = tr.info.error(call, "")
    site = callables.Site(
        len(call.args),
        [k.arg for k in call.keywords],
        active,
        tr.vector,
        tr.unit.backend.name,
        (where.filename, where.lineno),
        where.source_line,
    )
    base = (nodes.dotted_name(f) or "call").replace(".", "_")
    jname = tr.namer.fresh(base + "_jvp")
    jvp_of = tr.unit.const(callables.jvp_of, "jvp_of")
    out.append(
        nodes.assign(jname, nodes.call(nodes.name(jvp_of), [nodes.clone(f), nodes.name(tr.unit.const(site, "site"))]))
    )
    values = [nodes.clone(a) for _, a in slots]
    tangents = [tr.t(a) for slot, a in slots if slot in active]
    jcall = nodes.call(nodes.name(jname), values + tangents)
    out.append(
        nodes.assign(nodes.tuple_([nodes.store(target), nodes.store(tr.tangent_name(target))], gast.Store()), jcall)
    )
    tr.state[target] = LIVE


def check_escapes(tr):
    """Refuse a nested def (a lambda is one by now) that reads differentiated values of the function
    around it and is used as a value (passed, stored, returned) rather than called by its name."""
    body = gast.Module(body=tr.fnode.body, type_ignores=[])
    defs = {n: free for n, free in tr.nested_free.items() if n in tr.locals}
    if not defs:
        return
    called = {id(c.func) for c in nodes.nodes_of(body, gast.Call)}
    active = set(tr.act.active)
    scope = tr.parent
    while scope is not None:
        active |= scope.act.active
        scope = scope.parent
    for n in nodes.nodes_of(body, gast.Name):
        if not isinstance(n.ctx, gast.Load) or n.id not in defs or id(n) in called:
            continue
        reads = sorted(defs[n.id] & active)
        if reads:
            what = "lambda" if n.id.startswith("lam") else f"nested function {n.id!r}"
            raise tr.error(
                n,
                f"this {what} reads the differentiated value(s) {', '.join(reads)} of the function around it and is "
                "used as a value: called through that value it is specialised alone, without their tangents",
                hint=f"pass {', '.join(reads)} to it as argument(s), or call it by its name where it is defined",
            )


def builtin_replacement(obj, call):
    """The Python version (pystd.py) of a builtin that calls a function of the user's, for this call:
    ``functools.reduce``, and ``sorted``/``min``/``max`` given a ``key``; None for anything else."""
    if any(isinstance(a, gast.Starred) for a in call.args) or any(k.arg is None for k in call.keywords):
        return None
    if obj is functools.reduce:
        return pystd.reduce
    key = [k.value for k in call.keywords if k.arg == "key"]
    if not key or (isinstance(key[0], gast.Constant) and key[0].value is None):
        return None
    n = len(call.args)
    if obj is builtins.sorted and n == 1:
        return pystd.sorted_by_key
    if obj is builtins.min:
        return {1: pystd.min_by_key, 2: pystd.min_of_two}.get(n)
    if obj is builtins.max:
        return {1: pystd.max_by_key, 2: pystd.max_of_two}.get(n)
    return None
