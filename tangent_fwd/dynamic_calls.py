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

from . import callables, nodes, pystd, record_kinds, registry
from .parse import MISSING, is_user_function
from .states import LIVE


def emit(tr, target, call, out):
    """Emit ``target = call`` through a call-time specialisation, with the tangent of ``target``."""
    f = call.func
    if tr.act.expr(f):
        if isinstance(f, gast.Name) and tr.t(f) is not None:
            return emit_active(tr, target, call, tr.t(f), out)
        if not isinstance(f, gast.Name):
            raise tr.error(
                call,
                "the function called here is itself computed from differentiated values",
                hint="build the function from inactive values and pass the differentiated ones as arguments",
            )
    kwstars = [k.value for k in call.keywords if k.arg is None]
    if kwstars and call.keywords[-1].arg is not None or len(kwstars) > 1:
        raise tr.error(
            call,
            "'**kwargs' with differentiated values is supported once, after the other keyword arguments",
            hint="build one dict of the keyword arguments and forward it last",
        )
    kwstar = kwstars[0] if kwstars else None
    keywords = [k for k in call.keywords if k.arg is not None]
    # positional items: ("fixed", node) or ("star", node) for *value (its length is known when it runs)
    items = [("star", a.value) if isinstance(a, gast.Starred) else ("fixed", a) for a in call.args]
    for _, a in items + [("kw", k.value) for k in keywords] + [("kw", x) for x in kwstars]:
        if isinstance(a, gast.Name) and tr.is_factored(a.id):
            tr.densify(a.id, out)
    pattern = [(kind == "star", tr.t(a) is not None) for kind, a in items]
    active = [i for i, (star, act) in enumerate(pattern) if act]
    active += [k.arg for k in keywords if tr.t(k.value) is not None]
    if not active and tr.t(kwstar) is None:
        out.append(nodes.assign(target, call))
        tr.set_zero(target, out)
        return
    where = tr.info.error(call, "")
    site = callables.Site(
        len(items),
        [k.arg for k in keywords],
        active,
        tr.vector,
        tr.unit.backend.name,
        (where.filename, where.lineno),
        where.source_line,
    )
    site.pattern, site.kwstar = tuple(pattern), kwstar is not None
    site.records = record_kinds.site_kinds(tr, call, out)  # which arguments are records, as far as known
    base = (nodes.dotted_name(f) or "call").replace(".", "_")
    jname = tr.unit.namer.fresh(base + "_jvp")  # the unit's namer: no generated function gets this name later
    tr.namer.reserve(jname)
    jvp_of = tr.unit.const(callables.jvp_of, "jvp_of")
    shape = [nodes.clone(f), nodes.name(tr.unit.const(site, "site"))]
    for kind, a in items:  # how many values each *value forwards is known when the call runs
        if kind == "star":
            shape.append(nodes.call(nodes.name(tr.unit.builtin("len")), [nodes.clone(a)]))
    if kwstar is not None:
        shape.append(nodes.call(nodes.name(tr.unit.builtin("tuple")), [nodes.clone(kwstar)]))
    out.append(nodes.assign(jname, nodes.call(nodes.name(jvp_of), shape)))
    values, tangents = [], []
    for kind, a in items:
        if kind == "star":
            values.append(gast.Starred(value=nodes.clone(a), ctx=gast.Load()))
            if tr.t(a) is not None:  # in vector mode, the items of the batched tangent (not its directions)
                each = tr.rt_call("biter", tr.t(a)) if tr.vector else tr.t(a)
                tangents.append(gast.Starred(value=each, ctx=gast.Load()))
        else:
            values.append(nodes.clone(a))
            if tr.t(a) is not None:
                tangents.append(tr.t(a))
    values += [nodes.clone(k.value) for k in keywords]
    tangents += [tr.t(k.value) for k in keywords if tr.t(k.value) is not None]
    if kwstar is not None:  # the values, then their tangents, in the dict's own key order
        values.append(gast.Starred(value=nodes.call(nodes.attr(nodes.clone(kwstar), "values")), ctx=gast.Load()))
        key = tr.namer.fresh("key")
        each = nodes.listcomp(
            nodes.subscript(tr.t_or_zeros(kwstar), nodes.name(key)), nodes.store(key), nodes.clone(kwstar)
        )
        tangents.append(gast.Starred(value=each, ctx=gast.Load()))
    jcall = nodes.call(nodes.name(jname), values + tangents)
    out.append(
        nodes.assign(nodes.tuple_([nodes.store(target), nodes.store(tr.tangent_name(target))], gast.Store()), jcall)
    )
    tr.state[target] = LIVE


def emit_active(tr, target, call, jvp, out):
    """``target = f(args)`` where ``f`` reads differentiated values (a nested def or lambda of a caller,
    passed here): its tangent ``jvp`` is its JVP taking a tangent for every parameter, positionally."""
    if call.keywords or any(isinstance(a, gast.Starred) for a in call.args):
        raise tr.error(
            call,
            "a function that reads differentiated values, received as a value, is called here with keyword or "
            "'*' arguments: only positional arguments are supported",
            hint="pass its arguments positionally",
        )
    for a in call.args:
        if isinstance(a, gast.Name) and tr.is_factored(a.id):
            tr.densify(a.id, out)
    args = [nodes.clone(a) for a in call.args]
    jcall = nodes.call(jvp, args + [tr.t_or_zeros(a) for a in call.args])
    out.append(
        nodes.assign(nodes.tuple_([nodes.store(target), nodes.store(tr.tangent_name(target))], gast.Store()), jcall)
    )
    tr.state[target] = LIVE


def escaping(tr):
    """Nested defs of this function (lambdas are ones by now) that read differentiated values of it and are
    used as values (passed, stored, returned) rather than called by name: their JVP takes a tangent for
    every parameter, and that JVP is the tangent of the function value: passed with it to a callee, which
    calls it where it calls the function (:func:`emit_active`). One whose signature is not plain
    positional parameters is refused."""
    defs = {n: free for n, free in tr.nested_free.items() if n in tr.locals}
    if not defs:
        return set()
    active = set(tr.act.active)
    scope = tr.parent
    while scope is not None:
        active |= scope.act.active
        scope = scope.parent
    out = set()
    given = _given_to_transformed_code(tr)
    fdefs = [d for d in nodes.nodes_of(gast.Module(body=tr.fnode.body, type_ignores=[]), gast.FunctionDef)]
    for n in _value_uses(tr, defs):
        reads = sorted(defs[n.id] & active)
        if n.id in out:
            continue
        a = next(d for d in fdefs if d.name == n.id).args
        plain = not (a.posonlyargs or a.kwonlyargs or a.vararg or a.kwarg or a.defaults)
        if not reads:
            # one that reads none, given to code the compiler transforms (a user function, reduce, sorted):
            # passed with its JVP too, rather than compiled again each time the call runs
            if plain and id(n) in given:
                out.add(n.id)
            continue
        if not plain:
            what = "lambda" if n.id.startswith("lam") else f"nested function {n.id!r}"
            raise tr.error(
                n,
                f"this {what} reads the differentiated value(s) {', '.join(reads)} of the function around it and "
                "is used as a value: that is supported for plain positional parameters only (no defaults, "
                "*args, **kwargs or keyword-only parameters)",
                hint=f"pass {', '.join(reads)} to it as argument(s), or give it plain parameters",
            )
        out.add(n.id)
    return out


def _given_to_transformed_code(tr):
    """Ids of the names passed directly as arguments to a call the compiler transforms (a user function,
    a nested def called by name, or a builtin run as a Python version)."""
    out = set()
    scope = tr.nested_scope()
    for c in nodes.nodes_of(gast.Module(body=tr.fnode.body, type_ignores=[]), gast.Call):
        f = c.func
        if isinstance(f, gast.Name) and f.id in scope:
            transformed = True
        else:
            obj = tr.info.resolve(f, tr.visible_locals)
            transformed = builtin_replacement(obj, c) is not None or (
                obj is not MISSING and registry.lookup(obj) is None and is_user_function(obj)
            )
        if transformed:
            out |= {id(a) for a in c.args if isinstance(a, gast.Name)}
            out |= {id(k.value) for k in c.keywords if isinstance(k.value, gast.Name)}
    return out


def _value_uses(tr, defs):
    """Loads of the names in ``defs`` that are not the function of a call."""
    body = gast.Module(body=tr.fnode.body, type_ignores=[])
    called = {id(c.func) for c in nodes.nodes_of(body, gast.Call)}
    return [
        n
        for n in nodes.nodes_of(body, gast.Name)
        if isinstance(n.ctx, gast.Load) and n.id in defs and id(n) not in called
    ]


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


def pack(tr, val, out):
    """A name holding the tuple (``*args``) or dict (``**kwargs``) a callee's variadic parameter receives,
    with its tangent, from the bound call arguments ``val`` (placeholders holding the argument atoms)."""
    if isinstance(val, dict):
        packed = nodes.dict_([nodes.const(k) for k in val], [nodes.clone(v.node) for v in val.values()])
    else:
        packed = nodes.tuple_([nodes.clone(v.node) for v in val])
    return tr.atomize(packed, out)


def starred(original, atom):
    """``*atom`` where the call had ``*original`` (kept for error positions)."""
    new = gast.Starred(value=atom, ctx=gast.Load())
    new.lineno, new.col_offset = original.lineno, original.col_offset
    return new


def forwards_active(tr, call):
    """Whether ``call`` forwards differentiated values through ``*args`` or ``**kwargs``: specialised
    when it runs, where the number of values and the keywords are known."""
    forwards = any(isinstance(a, gast.Starred) and tr.act.expr(a.value) for a in call.args) or any(
        k.arg is None and tr.act.expr(k.value) for k in call.keywords
    )
    if forwards and isinstance(call.func, gast.Name) and call.func.id in tr.nested_scope():
        raise tr.error(
            call,
            f"differentiated values forwarded with '*' or '**' to the nested function {call.func.id!r} are not supported",
            hint="pass the arguments one by one, or define the function at module level",
        )
    return forwards


def function_tangent(tr, name, spec, out):
    """Make the JVP ``spec`` of nested def ``name`` its tangent (in vector mode with K attached, for a
    callee whose only tangent it is)."""
    if tr.vector:
        with_k = tr.unit.const(callables.WithDirections, "WithDirections")
        tname = tr.tangent_name(name)
        out.append(nodes.assign(tname, nodes.call(nodes.name(with_k), [nodes.name(spec.name), tr.k()])))
    else:
        tr.tname[name] = spec.name
    tr.state[name] = LIVE
