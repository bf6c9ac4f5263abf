"""Clean-ups on generated code: constant folding in tangent expressions and removal of tangent
assignments that nothing reads (run to a fixpoint)."""

import operator

import gast

from . import nodes

_FOLD = {gast.Add: operator.add, gast.Sub: operator.sub, gast.Mult: operator.mul, gast.Pow: operator.pow}


def _num(n):
    return isinstance(n, gast.Constant) and isinstance(n.value, (int, float)) and not isinstance(n.value, bool)


def fold(e):
    """Fold constant arithmetic in a tangent expression: ``2 * x ** (2 - 1) * dx`` -> ``2 * x * dx``."""
    if isinstance(e, list):
        return [fold(x) for x in e]
    if not isinstance(e, gast.AST):
        return e
    fields = nodes._CHILD_FIELDS.get(e.__class__)  # no ctx, no str fields
    if fields is None:
        fields = nodes._child_fields(e.__class__)
    for field in fields:
        setattr(e, field, fold(getattr(e, field, None)))
    if isinstance(e, gast.BinOp):
        l, r, op = e.left, e.right, type(e.op)
        if _num(l) and _num(r) and op in _FOLD:
            try:
                v = _FOLD[op](l.value, r.value)
                if isinstance(v, (int, float)) and abs(v) < 1e15:
                    return nodes.const(v)
            except (ArithmeticError, ValueError):
                pass
        if op is gast.Mult and ((_num(l) and l.value == 0) or (_num(r) and r.value == 0)):
            return nodes.const(0)  # a zero partial (y * x ** (y - 1) at y = 0): no contribution
        if op is gast.Add and _num(l) and l.value == 0:
            return r
        if op in (gast.Add, gast.Sub) and _num(r) and r.value == 0:
            return l
        if op is gast.Add and isinstance(r, gast.UnaryOp) and isinstance(r.op, gast.USub):
            return nodes.binop(l, gast.Sub(), r.operand)
        if (
            op is gast.Add
            and isinstance(r, gast.BinOp)
            and isinstance(r.op, gast.Div)
            and isinstance(r.left, gast.UnaryOp)
            and isinstance(r.left.op, gast.USub)
        ):
            # the quotient rule's two partials, dx / y + -(dy * ans) / y: over one denominator (a name,
            # the same value in both) (dx - dy * ans) / y, one division and no negation (issue 15)
            if (
                isinstance(l, gast.BinOp)
                and isinstance(l.op, gast.Div)
                and isinstance(l.right, gast.Name)
                and isinstance(r.right, gast.Name)
                and l.right.id == r.right.id
            ):
                return nodes.binop(nodes.binop(l.left, gast.Sub(), r.left.operand), gast.Div(), l.right)
            return nodes.binop(l, gast.Sub(), nodes.binop(r.left.operand, gast.Div(), r.right))  # exact
        if op is gast.Pow and _num(r) and r.value == 1:
            return l
        if op is gast.Mult and _num(l) and l.value == 1:
            return r
        if op in (gast.Mult, gast.Div) and _num(r) and r.value == 1:
            return l
    if (
        isinstance(e, gast.Compare)
        and len(e.ops) == 1
        and isinstance(e.left, gast.Constant)
        and isinstance(e.comparators[0], gast.Constant)
        and isinstance(e.ops[0], (gast.Is, gast.IsNot))
    ):
        same = e.left.value is e.comparators[0].value
        return nodes.const(same if isinstance(e.ops[0], gast.Is) else not same)
    if (
        isinstance(e, gast.Compare)
        and len(e.ops) == 1
        and _num(e.left)
        and _num(e.comparators[0])
        and isinstance(e.ops[0], (gast.Eq, gast.NotEq))
    ):
        # as 0/1, so it folds on in arithmetic: x ** (y - 1 + (y == 0)) at y = 2 is x ** 1, then x
        same = e.left.value == e.comparators[0].value
        return nodes.const(int(same if isinstance(e.ops[0], gast.Eq) else not same))
    if isinstance(e, gast.IfExp) and isinstance(e.test, gast.Constant):
        return e.body if e.test.value else e.orelse
    return e


def is_zero(e):
    return isinstance(e, gast.Constant) and not isinstance(e.value, bool) and e.value == 0


def remove_dead_tangents(fdef, tangent_names):
    """Drop ``dX = ...`` statements whose target is never read (forward mode computes tangents of
    values that may never reach an output: e.g. one used only through ``.shape``)."""
    # one walk for the load counts; a removed statement's own loads are subtracted, so the passes that
    # follow see the counts of the tree as it now is without walking it again (the same fixpoint)
    loads = _count(fdef, gast.Load)
    while True:
        removed = _prune(fdef, tangent_names, loads)
        if not removed:
            return fdef


def _prune(node, tangent_names, loads):
    removed = False
    for field in ("body", "orelse"):
        stmts = getattr(node, field, None)
        if not isinstance(stmts, list):
            continue
        kept = []
        for s in stmts:
            if (
                isinstance(s, gast.Assign)
                and len(s.targets) == 1
                and isinstance(s.targets[0], gast.Name)
                and s.targets[0].id in tangent_names
                and not loads.get(s.targets[0].id)
            ):
                removed = True
                for n in nodes.names_in(s.value, gast.Load):
                    loads[n] -= 1
                continue
            removed |= _prune(s, tangent_names, loads)
            kept.append(s)
        if not kept and field == "body" and not isinstance(node, gast.Module):
            kept = [nodes.pass_()]
        setattr(node, field, kept)
    return removed


def release_temporaries(fdef, temps):
    """Insert ``del`` for compiler temporaries (and their tangents) right after their last use, so
    array intermediates are freed as soon as they are dead, as in the primal's nested expressions.
    A temporary qualifies when it is assigned and read only inside one block (a loop body re-assigns it
    before reading it again). Nested functions are handled as their own scope."""
    memo = {}
    loads = _compound_loads(fdef, memo)  # = _count(fdef, gast.Load), from the statements' memoised counts
    _release_block(fdef, "body", temps, loads, memo)
    for n in nodes.defs_in(fdef):
        if n is not fdef:
            _release_block(n, "body", temps, _count(n, gast.Load), memo)
    return fdef


def _count(node, ctx):
    out = {}
    get = out.get
    for n in nodes.nodes_of(node, gast.Name):  # (names_in without its two lists)
        if isinstance(n.ctx, ctx):
            out[n.id] = get(n.id, 0) + 1
    return out


def _stmt_loads(s, memo):
    """``_count(s, gast.Load)`` built bottom-up: a compound statement's count is its own expressions'
    plus its nested statements' (memoised), so each node is walked once, not once per enclosing block."""
    key = id(s)
    hit = memo.get(key)
    if hit is not None:
        return hit
    if isinstance(s, gast.FunctionDef) or not _holds_blocks(s.__class__):
        out = _count(s, gast.Load)  # (a simple statement: the sum over its fields, in one walk)
    else:
        out = _compound_loads(s, memo)
    memo[key] = out
    return out


_BLOCKS = {}  # statement class -> whether it has fields that hold statements


def _holds_blocks(cls):
    hit = _BLOCKS.get(cls)
    if hit is None:
        hit = _BLOCKS[cls] = any(f in cls._fields for f in ("body", "orelse", "finalbody", "handlers", "cases"))
    return hit


def _compound_loads(s, memo):
    """Loads of ``s``'s own expressions plus its nested statements' (memoised) counts: for a function,
    ``_count(s, gast.Load)`` whose body's counts ``_release_block`` then reuses."""
    out = {}
    for field in s._fields:
        v = getattr(s, field, None)
        if type(v) is list and v and all(isinstance(x, gast.stmt) for x in v):
            parts = [_stmt_loads(x, memo) for x in v]
        elif isinstance(v, (gast.AST, list)):
            parts = [_count(x, gast.Load) for x in (v if type(v) is list else [v]) if isinstance(x, gast.AST)]
        else:
            continue
        for part in parts:
            for n, c in part.items():
                out[n] = out.get(n, 0) + c
    return out


def _release_block(node, field, temps, loads, memo):
    stmts = getattr(node, field, None)
    if not isinstance(stmts, list) or not stmts:
        return
    for s in stmts:
        if isinstance(s, gast.FunctionDef) or not _holds_blocks(s.__class__):
            continue  # (a simple statement has no block to look into)
        for sub in ("body", "orelse"):
            _release_block(s, sub, temps, loads, memo)
    assigned = set()
    for s in stmts:
        # only values computed here own new memory (a dict entry or a view does not: nothing to free)
        if isinstance(s, gast.Assign) and isinstance(s.value, (gast.BinOp, gast.UnaryOp, gast.Call, gast.IfExp)):
            for t in s.targets:
                assigned.update(n for n in nodes.names_in(t, gast.Store) if n in temps)
    if not assigned:
        return
    per_stmt = [{} if isinstance(s, gast.FunctionDef) else _stmt_loads(s, memo) for s in stmts]
    last = {}
    for i, counts in enumerate(per_stmt):
        for n in counts:
            if n in assigned:
                last[n] = i
    inside = {}
    for counts in per_stmt:
        for n, c in counts.items():
            inside[n] = inside.get(n, 0) + c
    first_store = {}
    for i, s in enumerate(stmts):
        if isinstance(s, gast.Assign):
            for t in s.targets:
                for n in nodes.names_in(t, gast.Store):
                    first_store.setdefault(n, i)
    first_load = {}
    for i, counts in enumerate(per_stmt):
        for n in counts:
            first_load.setdefault(n, i)
    # At the end of a function body the return frees everything anyway; at the end of a loop body (or
    # an if/else inside one) the name would stay bound across the back-edge, holding its array while
    # the next iteration allocates its own: delete it there too.
    at_end = not isinstance(node, gast.FunctionDef)
    dels = {}
    for n, i in last.items():
        if inside.get(n) != loads.get(n) or (i == len(stmts) - 1 and not at_end):
            continue  # read outside this block, or the function ends here
        if first_store.get(n, len(stmts)) >= first_load.get(n, -1):
            continue  # read before it is assigned here: carried in from outside
        if isinstance(stmts[i], (gast.Return, gast.Raise, gast.Break, gast.Continue)):
            continue
        dels.setdefault(i, []).append(n)
    if not dels:
        return
    out = []
    for i, s in enumerate(stmts):
        out.append(s)
        if i in dels:
            out.append(gast.Delete(targets=[nodes.name(n, gast.Del()) for n in sorted(dels[i])]))
    setattr(node, field, out)
