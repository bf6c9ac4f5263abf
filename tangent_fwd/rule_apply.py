"""Rule application, for the statement walker (transform.py): the tangent of one simple expression.

``tangent_expr`` dispatches on the expression's kind (operator, subscript, attribute, display, call)
to the registered rule (registry.py); ``apply_rule`` binds the rule's parameters to the call's atoms
(``bind``), refuses a differentiated value passed where the rule has no partial (``check_options``),
and instantiates the rule's templates for the operands that carry tangents. ``writer_call`` handles
the rules of library calls that write into an argument in place (registry.defwriter).

What differs between one direction per tangent and K batched directions (rt.bmatmul_left, per-direction
loops, batched views...) is not decided here: the transformer's tangent representation
(``tr.rep``, tangent_repr.py) is asked at the few points where the two differ. Functions take the
``FunctionTransformer`` explicitly (no mixin).
"""

import builtins as _builtins
import math
import operator as _op

import gast
import numpy as _np

from . import expressions, listops, nodes, record_kinds, records, registry, sequences
from .errors import MissingRuleError, UnsupportedSyntaxError
from .parse import MISSING

ANS = "__tangent_fwd_ans__"  # stands for the value of the expression in a rule's template ("ans")
ANS_MAP = {"ans": nodes.name(ANS)}

BINOPS = {
    gast.Add: _op.add,
    gast.Sub: _op.sub,
    gast.Mult: _op.mul,
    gast.Div: _op.truediv,
    gast.Pow: _op.pow,
    gast.MatMult: _op.matmul,
    gast.Mod: _op.mod,
    gast.FloorDiv: _op.floordiv,
    gast.BitAnd: _op.and_,
    gast.BitOr: _op.or_,
    gast.BitXor: _op.xor,
    gast.LShift: _op.lshift,
    gast.RShift: _op.rshift,
}
UNARYOPS = {gast.USub: _op.neg, gast.UAdd: _op.pos, gast.Not: _op.not_, gast.Invert: _op.invert}
REGISTER_HINT = (
    "register a rule, e.g. tangent_fwd.defjvp({name}, 'x', 'dx * ...'), or tangent_fwd.deflinear / tangent_fwd.defzero"
)


def writer_call(tr, call, out):
    """A library call that writes into an argument in place (a writer rule, registry.defwriter:
    ``np.add.at(K, idx, v)``, ``x.sort()``): the rule's template applies the same write to that
    argument's tangent buffer (live: activity.library_writes made it force-live), emitted before
    the call, so that it may read the old values; then the user's call itself."""
    f = call.func
    obj = tr.info.resolve(f, tr.visible_locals)
    if obj is not MISSING:
        rule, receiver = registry.lookup(obj), None
    elif isinstance(f, gast.Attribute):
        rule, receiver = registry.lookup_method(f.attr), f.value
    else:
        return False
    if rule is None or not rule.writes:
        return False
    new = expressions.simplify_call(tr, call, out)
    if receiver is not None:
        receiver = new.func.value
    bound = bind(tr, rule, new, receiver)
    for w in rule.writes:
        node = bound.get(w, (None,))[0]
        if isinstance(node, gast.Name):
            tr.materialize(node.id, out)
        if node is None or tr.t(node) is None:
            raise tr.error(
                call,
                f"{rule.name} writes a differentiated value into {nodes.to_source(node).strip() if node else w!r}"
                ", whose tangent buffer cannot be followed here",
                hint="write into a local array (np.zeros(...) or a .copy()) passed by its name",
            )
    mapping = {p.name: bound[p.name][0] if bound.get(p.name) else nodes.const(p.default) for p in rule.params}
    entries = {p: bound.get(p) for p in rule.partials}
    tans = {p: (tr.t(e[0]) if e is not None else None) for p, e in entries.items()}
    zeros = {p: (tr.zeros_of(e[0]) if e is not None else nodes.const(0.0)) for p, e in entries.items()}
    base = dict(mapping)
    base.update({"np": nodes.name(tr.unit.xp), "math": nodes.name(tr.unit.module("math"))})
    base["rt"] = nodes.name(tr.unit.rt)
    tangents = {p: tans[p] if tans[p] is not None else zeros[p] for p in entries}
    out.append(nodes.expr_stmt(tr.rep.joint_write(rule, base, tangents)))
    out.append(nodes.expr_stmt(new))
    return True


def tangent_expr(tr, e):
    """The tangent of a simple expression (``ANS`` stands for its value), or None if zero."""
    kind = type(e)
    if kind is gast.Name:
        return tr.t(e)
    if kind is gast.Constant:
        return None
    if kind is gast.BinOp:
        return apply(tr, registry.lookup(BINOPS[type(e.op)]), {"x": e.left, "y": e.right}, e)
    if kind is gast.UnaryOp:
        return apply(tr, registry.lookup(UNARYOPS[type(e.op)]), {"x": e.operand}, e)
    if kind is gast.Subscript:
        tv = tr.t(e.value)
        if tv is None and registry.is_index_trick(tr.info.resolve(e.value, tr.visible_locals)):
            return index_trick_tangent(tr, e)
        return None if tv is None else tr.rep.subscript(tv, e.slice)
    if kind is gast.Attribute:
        rule = registry.lookup_attribute(e.attr)
        if rule is None and records.may_be_field(e.attr):  # a dataclass's or namedtuple's field
            tv = tr.t(e.value)
            return None if tv is None else records.field_tangent(tr, e, tv)
        if rule is None:
            raise tr.error(
                e,
                f"no JVP rule for the attribute '.{e.attr}' of a differentiated value",
                MissingRuleError,
                hint="use a function with a rule, e.g. np.transpose(x) for x.T",
            )
        if rule.kind == "zero":
            return None
        tv = tr.t(e.value)
        return None if tv is None else tr.rep.attribute(tv, e.attr)
    if listops.has_star(e):
        return listops.display_tangent(tr, e)
    if kind in (gast.Tuple, gast.List):
        tans = [tr.t(x) for x in e.elts]
        if all(t is None for t in tans):
            return None
        elts = [t if t is not None else tr.zeros_of(x) for t, x in zip(tans, e.elts)]
        return nodes.tuple_(elts) if kind is gast.Tuple else nodes.list_(elts)
    if kind is gast.Dict:
        tans = [tr.t(v) for v in e.values]
        if all(t is None for t in tans):
            return None
        return nodes.dict_(
            [nodes.clone(k) for k in e.keys],
            [t if t is not None else tr.zeros_of(v) for t, v in zip(tans, e.values)],
        )
    if kind is gast.Call:
        return call_tangent(tr, e)
    raise tr.error(e, f"cannot differentiate a {kind.__name__} expression")


def index_trick_tangent(tr, e):
    """``np.r_[...]`` / ``np.c_[...]`` are linear in their pieces: the same concatenation of the
    pieces' tangents, zeros for constant pieces and ranges (``0:3``), directives (``'0,2'``) kept."""
    elts = list(e.slice.elts) if isinstance(e.slice, gast.Tuple) else [e.slice]
    directive = [isinstance(x, gast.Constant) and isinstance(x.value, str) for x in elts]
    tans = [None if d or isinstance(x, gast.Slice) else tr.t(x) for x, d in zip(elts, directive)]
    active = [i for i, t in enumerate(tans) if t is not None]
    if not active:
        return None

    def build(tangent_of):
        parts = []
        for i, x in enumerate(elts):
            if directive[i]:
                parts.append(nodes.clone(x))
            elif isinstance(x, gast.Slice):  # a range: constant
                parts.append(tr.rt_call("zeros_like", nodes.subscript(nodes.clone(e.value), nodes.clone(x))))
            elif tans[i] is None:
                parts.append(tr.rt_call("zeros_like", nodes.clone(x)))
            else:
                parts.append(tangent_of(i))
        return nodes.subscript(nodes.clone(e.value), nodes.tuple_(parts) if len(parts) > 1 else parts[0])

    return tr.rep.linear_in_pieces(build, tans, active)


def call_tangent(tr, call):
    record = records.call_tangent(tr, call)  # State(pos=x), dataclasses.replace(s, ...)
    if record is not False:
        return record
    f = call.func
    obj = tr.info.resolve(f, tr.visible_locals)
    if obj is not MISSING:
        rule = registry.lookup(obj)
        if rule is None:
            name = getattr(obj, "__qualname__", None) or getattr(obj, "__name__", None) or repr(obj)
            mod = getattr(obj, "__module__", None)
            full = f"{mod}.{name}" if mod and mod != "builtins" else name
            written = nodes.dotted_name(f) or full
            also = f" ({full})" if full != written and "." in full else ""
            raise tr.error(
                call,
                f"'{written}'{also} is called with a differentiated argument but has no "
                f"JVP rule and no Python source that tangent_fwd can transform",
                MissingRuleError,
                hint=REGISTER_HINT.format(name=written),
            )
        return apply_rule(tr, rule, call, receiver=None)
    if isinstance(f, gast.Attribute):
        rule = registry.lookup_method(f.attr)
        if rule is None:
            raise tr.error(
                call,
                f"no JVP rule for the method '.{f.attr}()' of a differentiated value",
                MissingRuleError,
                hint=f"call the equivalent numpy function, or register one with "
                f"tangent_fwd.defmethod('{f.attr}', 'self, ...', 'dself * ...')",
            )
        return apply_rule(tr, rule, call, receiver=f.value)
    raise tr.error(
        call,
        f"cannot resolve the function called here ('{nodes.to_source(f).strip()}')",
        MissingRuleError,
        hint="call a module-level function or a nested def by its name",
    )


def bind(tr, rule, call, receiver):
    """Map the rule's parameter names to (node, location) at this call site."""
    args = list(call.args)
    locs = [("arg", i) for i in range(len(args))]
    if receiver is not None:
        args.insert(0, receiver)
        locs.insert(0, ("recv", 0))
    bound = {}
    positional = [p for p in rule.params if p.kind == "pos"]
    var = next((p for p in rule.params if p.kind == "var"), None)
    i = 0
    for p in positional:
        if i < len(args):
            bound[p.name] = (args[i], locs[i])
            i += 1
    if i < len(args):
        if var is None:
            raise tr.error(call, f"{rule.name} takes at most {len(positional)} positional arguments")
        bound[var.name] = [(args[j], locs[j]) for j in range(i, len(args))]
    elif var is not None:
        bound[var.name] = []
    names = {p.name for p in rule.params}
    for j, k in enumerate(call.keywords):
        if k.arg is None:
            continue
        if k.arg not in names:
            if any(p.kind == "var" and p.name == "kwargs" for p in rule.params) or "kwargs" in names:
                continue
            raise tr.error(call, f"{rule.name} got an unexpected keyword argument {k.arg!r}")
        bound[k.arg] = (k.value, ("kw", j))
    return bound


def apply_rule(tr, rule, call, receiver):
    if rule.kind == "zero":
        return None
    if getattr(rule, "expand", None) is not None:  # a marker that builds its own tangent (perturbation.py)
        return rule.expand(tr, call, receiver)
    if rule.writes:  # registry.defwriter: handled as a statement by writer_call
        raise tr.error(
            call,
            f"{rule.name} writes into its argument in place: its result (None) is used here",
            hint="call it as a statement of its own",
        )
    bound = bind(tr, rule, call, receiver)
    check_options(tr, rule, bound, call)
    seqs = sequence_arguments(tr, rule, bound) if receiver is None else {}
    special = NotImplemented if seqs else tr.rep.rule_form(rule, call, receiver, bound)  # batched matmul, views...
    if special is not NotImplemented:
        return special
    if rule.kind == "linear" and rule.offset:
        call = without_offsets(tr, rule, call, bound)
    if rule.kind == "linear":
        contribs = []
        for pname in rule.linear_in:
            entry = bound.get(pname)
            if entry is None:
                continue
            for node, loc in entry if isinstance(entry, list) else [entry]:
                tan = tr.t(node)
                if tan is not None:
                    tan = seqs[pname][1] if pname in seqs else tan
                    contribs.append(tr.rep.linear_term(rule, call, loc, tan))
        return add_all(contribs)
    mapping = {}
    for p in rule.params:
        entry = bound.get(p.name)
        if isinstance(entry, list):
            mapping[p.name] = nodes.tuple_([n for n, _ in entry])
        elif p.name in seqs:
            mapping[p.name] = seqs[p.name][0]
        elif entry is not None:
            mapping[p.name] = entry[0]
        else:
            mapping[p.name] = nodes.const(p.default)
    return _contributions(tr, rule, bound, mapping, call, seqs)


def _sequence_ops():
    """Library functions whose array parameters take sequences of arrays of different shapes, and the
    array constructors (their rules handle a list of tangents themselves, in vector mode too):
    not converted by ``sequence_arguments``."""
    global _SEQUENCE_OPS
    if _SEQUENCE_OPS is None:
        names = (
            "concatenate stack hstack vstack dstack column_stack row_stack block einsum broadcast_arrays "
            "meshgrid select piecewise choose ix_ lexsort atleast_1d atleast_2d atleast_3d append insert "
            "linalg.multi_dot array asarray asanyarray ascontiguousarray asfortranarray asarray_chkfinite"
        ).split()
        found = set()
        for n in names:
            obj = _np
            for part in n.split("."):
                obj = getattr(obj, part, None)
            if obj is not None:
                found.add(id(obj))
        _SEQUENCE_OPS = found
    return _SEQUENCE_OPS


_SEQUENCE_OPS = None


def _converts_sequences(rule):
    """A NumPy or SciPy function that makes arrays of its list arguments (not one taking a sequence of
    arrays as such, np.concatenate; not solve_toeplitz's (c, r): ``sequences_as_given``)."""
    op = rule.op
    if op is None or id(op) in _sequence_ops() or getattr(rule, "sequences_as_given", False):
        return False
    module = getattr(op, "__module__", None) or ""
    return module.startswith(("numpy", "scipy")) or isinstance(op, _np.ufunc)


def sequence_arguments(tr, rule, bound):
    """For a NumPy/SciPy function called on a list or tuple of differentiated values (``np.add([x, 1.0],
    [2.0, y])``, ``np.var([a, b, c])``): parameter name -> (the value as the function converts it, the
    tangent converted the same way). A rule's template does arithmetic on its tangents (``dx + dy``
    would concatenate two lists) and reads ``.shape``; in vector mode a list of (K, ...) tangents would
    convert to (n, K, ...), not (K, n, ...). Only for names that may hold a list or tuple built in
    the function (expressions.sequence_names); the conversion is the identity for any other value."""
    if not _converts_sequences(rule):
        return {}
    seqs = expressions.sequence_names(tr)
    out = {}
    for p in rule.params:
        entry = bound.get(p.name)
        if not isinstance(entry, tuple) or not isinstance(entry[0], gast.Name):
            continue
        if tr.t(entry[0]) is not None:  # code for a list argument or not: checked per call
            for param in sequences.dependence(tr, entry[0].id):
                record_kinds.mark_sequence_reads(tr, param)
        if entry[0].id not in seqs and not _opaque_bare(tr, rule, p.name, entry[0]):
            continue
        tan = tr.t(entry[0])
        if tan is None:
            continue
        xp = nodes.name(tr.unit.xp)
        value = tr.rt_call("seq_value", xp, nodes.clone(entry[0]))
        if tr.rep.batched:
            tangent = tr.rt_call("bseq_tangent", nodes.name(tr.unit.xp), nodes.clone(entry[0]), tan, tr.k())
        else:
            tangent = tr.rt_call("seq_tangent", nodes.name(tr.unit.xp), nodes.clone(entry[0]), tan)
        out[p.name] = (value, tangent)
    return out


def _opaque_bare(tr, rule, pname, arg):
    """Whether the rule uses the tangent of ``arg`` as it is (``np.add``'s ``dx1``, ``-dx``) while
    ``arg`` may be a list or tuple made where this function cannot see (a helper's result, a record's
    field: sequences.opaque_names): ``dxs + dys`` would concatenate two lists of tangents. Other
    partials (``dx * cos(x)``) let NumPy convert a list of tangents with the arithmetic."""
    partial = rule.partials.get(pname)
    return isinstance(partial, gast.AST) and _bare(partial) and arg.id in sequences.opaque_names(tr)


def without_offsets(tr, rule, call, bound):
    """The call with the arguments that only add a constant (``initial=``) left out: its tangent."""
    for pname in rule.offset:
        entry = bound.get(pname)
        if entry is not None and entry[1][0] != "kw":
            raise tr.error(
                call,
                f"pass {pname!r} of {rule.name} by keyword",
                UnsupportedSyntaxError,
                hint=f"write {pname}=... so that the tangent can leave it out",
            )
    drop = {entry[1][1] for p in rule.offset if (entry := bound.get(p)) is not None}
    if not drop:
        return call
    new = gast.Call(func=call.func, args=call.args, keywords=[k for i, k in enumerate(call.keywords) if i not in drop])
    bound.update({p: None for p in rule.offset})
    return new


def check_options(tr, rule, bound, call):
    """A differentiated value passed to a parameter the rule has no partial for (an option such as
    ``ord``, ``axis`` or ``decimals``) would lose its tangent: an error, never a silent zero."""
    if rule.joint is not None:
        return
    differentiable = set(rule.differentiable) | rule.constant
    for pname, entry in bound.items():
        if entry is None or pname in differentiable:
            continue
        for node, _ in entry if isinstance(entry, list) else [entry]:
            if isinstance(node, gast.AST) and tr.act.expr(node):
                raise tr.error(
                    call,
                    f"a differentiated value is passed to {pname!r} of {rule.name}, which its JVP rule "
                    "treats as a constant option: its derivative would be dropped",
                    MissingRuleError,
                    hint=f"pass a value that is not differentiated, or register a rule with a partial for "
                    f"{pname!r} (tangent_fwd.defjvp)",
                )


def apply(tr, rule, operands, e):
    mapping = dict(operands)
    bound = {k: (v, None) for k, v in operands.items()}
    return _contributions(tr, rule, bound, mapping, e)


def _contributions(tr, rule, bound, mapping, call, seqs=None):
    if rule.kind == "zero":
        return None
    base = dict(mapping)
    base.update(ANS_MAP)
    base.update(
        {
            "np": nodes.name(tr.unit.xp),
            "math": nodes.name(tr.unit.module("math")),
            "rt": nodes.name(tr.unit.rt),
        }
    )
    if rule.joint is not None:
        return _joint_contribution(tr, rule, bound, base, seqs)
    contribs = []
    for pname, partial in rule.partials.items():
        entry = bound.get(pname)
        if entry is None:
            continue
        if isinstance(entry, list):
            tans = [tr.t(n) for n, _ in entry]
            if all(t is None for t in tans):
                continue
            tan = nodes.tuple_([t if t is not None else tr.zeros_of(n) for t, (n, _) in zip(tans, entry)])
        else:
            tan = tr.t(entry[0])
            if tan is None:
                continue
            if seqs and pname in seqs:
                tan = seqs[pname][1]
        contribs.append(tr.rep.partial_term(rule, pname, partial, tan, base, call, bound))
    if (
        len(contribs) == 1
        and is_elementwise(rule)
        and _bare(contribs[0])
        and any(
            not isinstance(e[0], gast.Constant)
            for n, e in bound.items()
            if e is not None and not isinstance(e, list) and tr.t(e[0]) is None
        )
    ):
        # only one operand carries a tangent and the partial is that tangent itself: an inactive
        # operand may broadcast the result to a larger shape than the tangent has
        contribs[0] = tr.rt_call("expand", contribs[0], nodes.name(ANS))
    return add_all(contribs)


def _joint_contribution(tr, rule, bound, base, seqs=None):
    """A rule with one template in all the tangents (registry._defjoint): inactive ones are zeros."""
    entries = {p: bound.get(p) for p in rule.partials}
    tans = {p: tr.t(e[0]) if e is not None and not isinstance(e, list) else None for p, e in entries.items()}
    for p in seqs or ():
        if tans.get(p) is not None:
            tans[p] = seqs[p][1]
    if all(t is None for t in tans.values()):
        return None
    m = dict(base)
    for p, e in entries.items():
        zero = tr.zeros_of(e[0]) if e is not None and not isinstance(e, list) else nodes.const(0.0)
        m["d" + p] = tans[p] if tans[p] is not None else zero
    return nodes.substitute(rule.joint, m)


# Methods whose rule applies to a batched tangent as it is (containers hold batched leaves).
BATCH_TRANSPARENT = frozenset({".clip()", ".get()", ".copy()", ".astype()"})
_ELEMENTWISE = (
    _op.add,
    _op.sub,
    _op.mul,
    _op.truediv,
    _op.pow,
    _op.neg,
    _op.pos,
    _op.mod,
    _builtins.abs,
    _builtins.pow,
    _np.where,
    _np.clip,
    _builtins.dict,  # not elementwise, but batch-transparent: rt.dict_tangent keeps the (batched) leaves shared
)


def is_elementwise(rule):
    """Rules whose templates broadcast over a leading direction axis unchanged."""
    op = rule.op
    if op is None:
        return rule.name in BATCH_TRANSPARENT
    if op is math.prod:  # over the items of a sequence (math.prod(x[:3])), not over the directions
        return False
    return (
        isinstance(op, _np.ufunc)
        or op in _ELEMENTWISE
        or getattr(op, "__module__", None) == "math"
        or getattr(op, "__self__", None) is math
    )


def replace_arg(call, loc, tan):
    """``call`` with the argument at ``loc`` (from ``bind``) replaced by ``tan``."""
    new = nodes.clone(call)
    kind, i = loc
    if kind == "recv":
        new.func.value = tan
    elif kind == "arg":
        new.args[i] = tan
    else:
        new.keywords[i].value = tan
    return new


def _bare(e):
    if isinstance(e, gast.UnaryOp):
        e = e.operand
    return isinstance(e, gast.Name)


def add_all(contribs):
    """The sum of the tangent contributions, or None (a zero) when there are none."""
    if not contribs:
        return None
    total = contribs[0]
    for c in contribs[1:]:
        total = nodes.add(total, c)
    return total
