"""Lowering: statements whose Python meaning a one-operation-at-a-time transform could get wrong are
rewritten into simpler statements with exactly that meaning (same values, same side effects, same
evaluation order), each new name a fresh temporary:

* ``a = b[a] = value`` (several targets): ``t = value; a = t; b[a] = t`` (one evaluation, targets
  bound left to right);
* ``c[i] op= v`` (augmented assignment into a subscript): ``t = c[i]; t op= v; c[i] = t``, with ``c``
  and the index evaluated once, which is how Python defines it, so the in-place update of ``t`` reaches
  ``c`` and everything sharing memory with it;
* ``f(B)[i] = v`` / ``Y.T[i] = v`` (a store into a container that is not a variable): ``tv = v;
  tc = f(B); tc[i] = tv`` (value first, then container, then index, as Python evaluates them).

The transform lowers a statement only where it may carry a tangent (inactive statements stay as you
wrote them); ``lower_function`` lowers every statement, which tests/test_lower.py runs against the
original on the whole corpus.
"""

import gast

from . import nodes


def _atomic(e):
    return isinstance(e, (gast.Name, gast.Constant))


def _index_atoms(idx, fresh, out):
    """The index with every part that is not a name or constant bound to a temporary first."""
    if isinstance(idx, gast.Slice):
        return gast.Slice(
            lower=idx.lower and _atom(idx.lower, fresh, out),
            upper=idx.upper and _atom(idx.upper, fresh, out),
            step=idx.step and _atom(idx.step, fresh, out),
        )
    if isinstance(idx, gast.Tuple):
        return nodes.tuple_([_index_atoms(e, fresh, out) for e in idx.elts])
    return _atom(idx, fresh, out)


def _atom(e, fresh, out):
    if _atomic(e):
        return nodes.clone(e)
    t = fresh()
    out.append(nodes.assign(t, nodes.clone(e)))
    return nodes.name(t)


def chained_assign(s, fresh):
    """``a = b = value`` with a value that is not a name or constant, else None."""
    if not (isinstance(s, gast.Assign) and len(s.targets) > 1) or _atomic(s.value):
        return None
    t = fresh()
    out = [nodes.assign(t, nodes.clone(s.value))]
    out += [gast.Assign(targets=[nodes.clone(x)], value=nodes.name(t), type_comment=None) for x in s.targets]
    return out


def aug_assign_subscript(s, fresh):
    """``c[i] op= v``, else None."""
    if not (isinstance(s, gast.AugAssign) and isinstance(s.target, gast.Subscript)):
        return None
    out = []
    container = _atom(s.target.value, fresh, out)
    index = _index_atoms(s.target.slice, fresh, out)
    elem = fresh()
    out.append(nodes.assign(elem, nodes.subscript(nodes.clone(container), nodes.clone(index))))
    out.append(gast.AugAssign(target=nodes.store(elem), op=s.op, value=nodes.clone(s.value)))
    store = nodes.subscript(nodes.clone(container), nodes.clone(index), gast.Store())
    out.append(gast.Assign(targets=[store], value=nodes.name(elem), type_comment=None))
    return out


def store_into_expression(s, fresh):
    """``expr[i] = v`` where the container ``expr`` (below every subscript) is not a variable, else None."""
    if not (isinstance(s, gast.Assign) and len(s.targets) == 1 and isinstance(s.targets[0], gast.Subscript)):
        return None
    chain = []
    root = s.targets[0]
    while isinstance(root, gast.Subscript):
        chain.append(root)
        root = root.value
    if isinstance(root, gast.Name):
        return None
    out = []
    value = _atom(s.value, fresh, out)
    container = fresh()
    out.append(nodes.assign(container, nodes.clone(root)))
    target = nodes.name(container)
    for sub in reversed(chain):
        target = gast.Subscript(value=target, slice=nodes.clone(sub.slice), ctx=gast.Load())
    target.ctx = gast.Store()
    out.append(gast.Assign(targets=[target], value=value, type_comment=None))
    return out


FORMS = (chained_assign, aug_assign_subscript, store_into_expression)


def lower_stmt(s, fresh):
    """The lowered statements for ``s`` if it is one of the forms above, else None."""
    for form in FORMS:
        out = form(s, fresh)
        if out is not None:
            return out
    return None


def lower_function(fnode, fresh):
    """A copy of ``fnode`` with every statement (nested blocks and defs included) lowered."""
    new = nodes.clone(fnode)

    def block(stmts):
        out = []
        for s in stmts:
            for field in ("body", "orelse", "finalbody"):
                if isinstance(getattr(s, field, None), list):
                    setattr(s, field, block(getattr(s, field)))
            if isinstance(s, gast.Try):
                for h in s.handlers:
                    h.body = block(h.body)
            lowered = lower_stmt(s, fresh)
            out.extend(lowered if lowered is not None else [s])
        return out

    new.body = block(new.body)
    return new
