"""``out=`` on ufuncs, reductions and methods (``np.add(a, b, out=c)``, ``np.maximum(h, 0, out=h)``,
``x.sum(axis=0, out=buf)``, ``out=(c,)``): the memory-frugal NumPy idiom.

The primal call is emitted exactly as written, so it writes ``c`` in place (through every view and
alias of ``c``, as the user's does). The tangent is the rule's tangent of the same call without
``out=``, written into ``c``'s tangent buffer in place (``dc[...] = ...``), so every alias of ``dc``
(activity marks ``c`` as written: activity.library_writes) sees it as the aliases of ``c`` see the
primal. A tangent that does not need the result is written first, so it reads the inputs before the
call overwrites ``c``; one that needs it (and any inside a ``try`` body, where the value comes first)
reads a snapshot of the inputs that may share memory with ``c``, as for ``r op= v``.

Refused, naming the line: an output that is not a plain variable (``out=self.buf``, ``out=c[0]``:
bind it to a name first), several outputs (``np.modf(x, out=(a, b))``), and ``where=`` together with
``out=`` (the entries the mask leaves alone keep their old value and tangent; not followed).
"""

import gast

from . import effects, nodes, optimize
from .errors import UnsupportedSyntaxError
from .parse import MISSING
from .states import MAYBE


def _output(tr, call):
    kw = next(k for k in call.keywords if k.arg == "out")
    v = kw.value
    if isinstance(v, (gast.Tuple, gast.List)):
        if len(v.elts) != 1:
            raise tr.error(
                call,
                "'out=' with several output arrays and differentiated values is not supported",
                UnsupportedSyntaxError,
                hint="assign the results instead: a, b = f(x), then copy them into your buffers (buf[...] = a)",
            )
        v = v.elts[0]
    if not isinstance(v, gast.Name):
        raise tr.error(
            call,
            "'out=' with differentiated values needs the output array as a plain variable",
            UnsupportedSyntaxError,
            hint="bind the output to a name first: buf = self.buf (or v = c[0]); f(x, out=buf)",
        )
    return kw, v.id


def lower_out_call(tr, call, out):
    """Emit ``f(args, out=c)`` and ``dc[...] = tangent of f(args)`` into ``out``; returns ``c`` (a Name):
    the value of the call is the output array itself."""
    kw, c = _output(tr, call)
    if any(k.arg == "where" for k in call.keywords):
        raise tr.error(
            call,
            "'out=' together with 'where=' and differentiated values is not supported: the entries the "
            "mask leaves alone would keep a stale tangent",
            UnsupportedSyntaxError,
            hint="compute without out=: y = np.where(mask, f(a, b), c)",
        )
    f = call.func
    if isinstance(f, gast.Attribute) and tr.info.resolve(f, tr.visible_locals) is MISSING:
        f = nodes.attr(tr.atomize(f.value, out), f.attr)  # a method: its receiver evaluated first
    args = []
    for a in call.args:
        if isinstance(a, gast.Starred):
            if tr.act.expr(a):
                raise tr.error(a, "'*args' with differentiated values is not supported", UnsupportedSyntaxError)
            args.append(a)
        else:
            args.append(tr.atomize(a, out))
    kws = [(k.arg, tr.atomize(k.value, out) if k.arg not in (None, "out") else k.value) for k in call.keywords]
    primal = nodes.call(f, args, [(k, nodes.clone(v)) for k, v in kws])
    plain = nodes.call(nodes.clone(f), [nodes.clone(a) for a in args], [(k, v) for k, v in kws if k != "out"])
    if getattr(call, "lineno", None) is not None:
        plain.lineno, plain.col_offset = call.lineno, call.col_offset
    names = [a.id for a in args if isinstance(a, gast.Name)]
    if isinstance(f, gast.Attribute) and isinstance(f.value, gast.Name):
        names.append(f.value.id)
    tr.settle([n for n in names + [c] if tr.state.get(n) == MAYBE], out)
    tan = tr.tangent_expr(plain)
    if tan is not None:
        tan = optimize.fold(tan)
        if optimize.is_zero(tan):
            tan = None
    if c not in tr.act.active:
        if tan is None:
            out.append(nodes.expr_stmt(primal))
            return nodes.name(c)
        raise tr.error(  # activity marks c only where the call is a statement of its own
            call,
            "a differentiated value written with 'out=' inside a larger expression is not followed",
            UnsupportedSyntaxError,
            hint="make the call a statement of its own: f(x, out=buf); y = g(buf)",
        )
    store = nodes.subscript(nodes.name(tr.tangent_name(c)), nodes.const(Ellipsis), gast.Store())
    used = set(nodes.names_in(tan, gast.Load)) if tan is not None else set()
    if tan is not None and tr.ANS not in used and not tr.guard_depth:
        # the tangent does not need the result: written first, from the inputs as they are before the
        # call overwrites c (no copy); inside a try body the value comes first (contexts.py)
        tr.materialize(c, out)
        out.append(gast.Assign(targets=[store], value=tan, type_comment=None))
        out.append(nodes.expr_stmt(primal))
        return nodes.name(c)
    if tan is not None:
        # the call overwrites c: an argument that may share memory with it is read before (a view made
        # in the call itself, np.multiply(a, a[::-1], out=a), is a temporary the body's aliases lack:
        # it is judged by the expression it was made from)
        sharing = effects.closure_of(tr.body_aliases, {c})
        resolve = tr.act.resolve
        originals = list(zip(args, call.args)) + list(zip((v for _, v in kws), (k.value for k in call.keywords)))
        if isinstance(f, gast.Attribute) and isinstance(call.func, gast.Attribute):
            originals.append((f.value, call.func.value))
        for new, orig in originals:
            if isinstance(new, gast.Name) and set(effects.bases(orig, resolve)) & sharing:
                sharing = sharing | {new.id}
        for n in sorted(set(names) & sharing & used):
            old = tr.namer.temp()
            out.append(nodes.assign(old, tr.rt_call("snapshot", nodes.name(n))))
            tan = nodes.substitute(tan, {n: nodes.name(old)})
    out.append(nodes.expr_stmt(primal))
    tr.materialize(c, out)
    value = nodes.substitute(tan, {tr.ANS: nodes.name(c)}) if tan is not None else nodes.const(0.0)
    out.append(gast.Assign(targets=[store], value=value, type_comment=None))
    return nodes.name(c)
