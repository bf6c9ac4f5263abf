"""Which values may be Python lists or tuples handed to a NumPy function, and so which tangents must
be converted like the values (issue 12: never silently wrong).

``np.add(xs, ys)`` converts the lists ``xs`` and ``ys`` to arrays; their tangents are lists of
tangents, and a rule's template (``dx + dy``) would concatenate them. rule_apply.sequence_arguments
converts an argument that may be a list with ``rt.seq_value`` / ``rt.seq_tangent`` (the identity for
any other value, so an over-approximation costs a call, never a wrong result). Where a value may come
from:

* built in the function: a display, a list comprehension, ``list(...)``/``tuple(...)``;
* a differentiated parameter: whether it holds a list is part of the specialisation, like a record
  kind (the ``SEQUENCES`` entry of a spec's ``records``: from the API call's arguments, from what a
  caller passes, record_kinds.request_callee, or from a call site, record_kinds.site_kinds). Code that
  hands such a parameter, or a value derived from it, to a NumPy function depends on it, list or not:
  record_kinds.mark_sequence_reads, and the API checks it per call (api._record_tests);
* derived from those: aliases, items and slices, conditional expressions, ``+``/``*``, unpacking,
  for loops, a nested def's parameters and free names.
"""

import gast
import numpy as np

from . import nodes, registry
from .jvp_helpers import records as rt_records
from .parse import MISSING, is_user_function

# A records entry of its own (no parameter has this name): the differentiated parameters whose argument
# is a list or tuple (or a dict holding one). A NumPy function converts such a value to an array, and its tangent (a list of
# tangents) must be converted the same way (names below, rule_apply.sequence_arguments);
# code that does so depends on it like on a record kind (mark_reads), and is checked per call then.
SEQUENCES = "<sequences>"


def is_sequence(value, depth=0):
    """A list or tuple that is not a record (a namedtuple is one), or a dict holding one (its items,
    read in the function, may be handed to NumPy)."""
    if isinstance(value, (list, tuple)):
        return not rt_records.is_record(value)
    if isinstance(value, dict) and depth < 8:
        return any(v.__class__ not in _NOT_LISTS and is_sequence(v, depth + 1) for v in value.values())
    return False


_NOT_LISTS = frozenset([float, int, bool, complex, type(None), str, np.ndarray, np.float64, np.float32])


def entry(names, values, wrt):
    """``((SEQUENCES, (name, ...)),)`` for the parameters in ``wrt`` given a list or tuple, or ()."""
    seqs = tuple(n for n, v in zip(names, values) if n in wrt and is_sequence(v))
    return ((SEQUENCES, seqs),) if seqs else ()


def given(records):
    """The parameter names a spec's ``records`` marks as holding a list or tuple."""
    for name, value in records or ():
        if name == SEQUENCES:
            return value
    return ()


DISPLAYS = (gast.List, gast.Tuple, gast.ListComp)


def names(tr):
    """The names that may hold a Python list or tuple: one built in this function (a display, a list
    comprehension, ``list(...)``/``tuple(...)``), a differentiated parameter given one (params_given),
    and what is derived from those (sources), including the temporaries that ``atomize``
    makes for such operands. A NumPy function converts such a value to an array; its tangent (a list
    of tangents) must be converted the same way (rule_apply). Found once per function."""
    names = tr.__dict__.get("_sequence_names")
    if names is None:
        given = set(params_given(tr))
        names = tr.__dict__["_sequence_names"] = {n for n, src in sources(tr).items() if DISPLAY in src or src & given}
    return names


DISPLAY = "<display>"  # a source: a list or tuple built in the function
DERIVED = (gast.Subscript, gast.IfExp, gast.BinOp)
_PASSING_ITEMS = ("enumerate", "zip", "reversed", "sorted")


def sources(tr):
    """Name -> where it may get a list or tuple from: ``DISPLAY`` (built in this function) and the
    differentiated parameters (whose being lists the spec fixes, params_given). Followed through
    aliases, items and slices (an item of a list of lists is a list), conditional expressions, ``+``
    and ``*`` (concatenation, repetition), unpacking and for loops; flow-insensitive, by a fixpoint
    over the function's assignments (atomize adds its temporaries). Over-approximate by design: the
    run-time conversion is the identity for a value that is not a list."""
    src = tr.__dict__.get("_sequence_sources")
    if src is None:
        if tr.parent is None:
            src = {p: {p} for p in candidates(tr)}
        else:
            src = _nested_sources(tr)
        tr.__dict__["_sequence_sources"] = src
        binds = []
        for node in nodes.nodes_of(tr.fnode, (gast.Assign, gast.AnnAssign, gast.For)):
            if isinstance(node, gast.For):
                binds.append(([node.target], node.iter))
            elif node.value is not None:
                for t in node.targets if isinstance(node, gast.Assign) else [node.target]:
                    binds += _pairs(t, node.value)
        changed = True
        while changed:
            changed = False
            for targets, value in binds:
                found = sources_of(value, src, tr)
                if not found:
                    continue
                for t in targets:
                    for name in _target_names(t):
                        have = src.setdefault(name, set())
                        if not found <= have:
                            have |= found
                            changed = True
    return src


def _pairs(target, value):
    """``a, b = x, y`` binds ``a`` to ``x`` and ``b`` to ``y`` (not each to the tuple display); any
    other unpacking binds every name to what the value's items may be."""
    if (
        isinstance(target, (gast.Tuple, gast.List))
        and isinstance(value, (gast.Tuple, gast.List))
        and len(target.elts) == len(value.elts)
        and not any(isinstance(x, gast.Starred) for x in target.elts + value.elts)
    ):
        return [p for t, v in zip(target.elts, value.elts) for p in _pairs(t, v)]
    return [([target], value)]


def _nested_sources(tr):
    """A nested def's starting sources: its free names' from the enclosing function, and for each of
    its parameters what the enclosing function passes there at its calls (the sources stay those of the
    outermost function: built there, or its parameters)."""
    outer = sources(tr.parent)
    src = {n: set(v) for n, v in outer.items() if n not in tr.locals}
    a = tr.fnode.args
    params = [p.id for p in a.posonlyargs + a.args]
    named = set(params) | {p.id for p in a.kwonlyargs}
    for c in nodes.nodes_of(tr.parent.fnode, gast.Call):
        if not (isinstance(c.func, gast.Name) and c.func.id == tr.fnode.name):
            continue
        pairs = list(zip(params, c.args)) + [(k.arg, k.value) for k in c.keywords if k.arg in named]
        for p, arg in pairs:
            found = sources_of(arg, outer)
            if found:
                src.setdefault(p, set()).update(found)
    return src


def sources_of(e, src, tr=None):
    """Where the value of ``e`` may get a list or tuple from (see sources); with the transformer
    ``tr``, also ``OPAQUE`` for a value the function cannot see the making of (see opaque)."""
    if builds_sequence(e):
        return {DISPLAY}
    k = type(e)
    if k is gast.Name:
        return set(src.get(e.id, ()))
    if k is gast.Subscript or k is gast.NamedExpr:
        return sources_of(e.value, src, tr)
    if k is gast.IfExp:
        return sources_of(e.body, src, tr) | sources_of(e.orelse, src, tr)
    if k is gast.BinOp and isinstance(e.op, (gast.Add, gast.Mult)):
        return sources_of(e.left, src, tr) | sources_of(e.right, src, tr)
    if k is gast.Call and isinstance(e.func, gast.Name) and e.func.id in _PASSING_ITEMS:
        return set().union(*[sources_of(a, src, tr) for a in e.args])
    if tr is not None and k in (gast.Call, gast.Attribute) and _opaque(e, tr):
        return {OPAQUE}
    return set()


OPAQUE = "<opaque>"  # a source: a user function's result, an object's attribute or field
_ARRAY_ATTRIBUTES = frozenset(("T", "mT", "real", "imag", "flat", "shape", "ndim", "size", "dtype"))


def _opaque(e, tr):
    """A call of a function without a rule (a user function, a function value) or an attribute of an
    object (a record's field, ``self.w``): the value may be a list or tuple the function cannot see."""
    if isinstance(e, gast.Attribute):
        if e.attr in _ARRAY_ATTRIBUTES:
            return False
        return tr.info.resolve(e, tr.locals) is MISSING  # (np.pi, math.e: a module's constant)
    obj = tr.info.resolve(e.func, tr.locals)
    return obj is MISSING or (is_user_function(obj) and registry.lookup(obj) is None)


def opaque_names(tr):
    """Names that may hold a list or tuple made where this function cannot see (OPAQUE), other than
    those converted anyway (names). rule_apply converts such an argument's tangent where a NumPy
    function's rule would use it bare (``np.add(xs, ys)``'s ``dxs + dys`` would concatenate)."""
    found = tr.__dict__.get("_opaque_names")
    if found is None:
        found = tr.__dict__["_opaque_names"] = {n for n, src in sources(tr).items() if OPAQUE in src} - names(tr)
    return found


def _target_names(t):
    if isinstance(t, gast.Name):
        return [t.id]
    if isinstance(t, (gast.Tuple, gast.List)):
        return [n for x in t.elts for n in _target_names(x)]
    if isinstance(t, gast.Starred):
        return _target_names(t.value)
    return []


def note_temporary(tr, tmp, e):
    found = sources_of(e, sources(tr), tr)
    if found:
        sources(tr)[tmp] = found
        if DISPLAY in found or found & set(params_given(tr)):
            names(tr).add(tmp)
        elif OPAQUE in found:
            opaque_names(tr).add(tmp)


def dependence(tr, name):
    """The differentiated parameters whose being lists or not the value of ``name`` depends on."""
    found = sources(tr).get(name)
    return [p for p in candidates(tr) if p in found] if found else []


def params_given(tr):
    """The parameters of this function (the outermost one, for a nested def) that its spec was specialised as given a list or tuple (by the
    API from the call's arguments, by a caller from what it passes: record_kinds.SEQUENCES). Code that
    converts one depends on that (rule_apply marks it, record_kinds.mark_reads)."""
    return given(getattr(_top(tr).spec, "records", None))


def candidates(tr):
    """The differentiated parameters of this function (the outermost one, for a nested def): whether each holds a list
    or tuple is part of the spec (params_given); code that passes one to a NumPy function, list or
    not, depends on it (rule_apply, record_kinds.mark_sequence_reads)."""
    return _top(tr).spec.active_params


def _top(tr):
    while tr.parent is not None:
        tr = tr.parent
    return tr


def builds_sequence(value):
    if isinstance(value, DISPLAYS):
        return True
    return isinstance(value, gast.Call) and isinstance(value.func, gast.Name) and value.func.id in ("list", "tuple")


def arguments(tr, params, binding):
    """The parameters of a callee (``binding``: parameter -> argument node) given a value that may be a
    list or tuple, for its SEQUENCES entry (record_kinds.request_callee, site_kinds); ``read``: the
    caller's differentiated parameters passed on (list or not, the callee's code may depend on which,
    and so the caller's arguments' check)."""
    src, seq_names = sources(tr), names(tr)
    given, differentiated = set(params_given(tr)), set(candidates(tr))
    seqs, read = [], set()
    for p in params:
        node = binding.get(p)
        if not isinstance(node, gast.AST):
            continue
        found = sources_of(node, src)
        read |= found & differentiated  # (from the caller's parameters: list or not, it depends)
        if (isinstance(node, gast.Name) and node.id in seq_names) or DISPLAY in found or found & given:
            seqs.append(p)
    return tuple(seqs), read
