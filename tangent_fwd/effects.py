"""Alias and effect analysis: which local names may share memory, and which writes the compiler must
mirror in the tangent or refuse.

One module that activity analysis and the transform both read (it imports neither). Two facts:

* ``aliases(body, resolve)``: ``(name, base)`` pairs where ``name`` may share memory with ``base``:
  plain rebinding (``a = b``), views by indexing, attributes (``b.T``), view-making methods
  (``b.reshape(...)``) and functions (``np.reshape(b, ...)``, ``np.asarray(b)``...), containers that
  hold ``b`` (``[b]``, ``{"k": b}``, ``c.append(b)``, ``c[k] = b``), unpacking (``p, q = a, b``), loop
  targets over ``b`` or over a literal of buffers (``for buf in (b1, b2)``), and results of user
  functions, which may return their arguments. Over-approximating is safe: an alias that is not one
  only costs a materialised zero tangent.
* ``untracked_writes(...)``: an in-place write of a differentiated value into memory whose tangent the
  generated code cannot follow (a module global, an attribute of an object, or a local that may alias
  one): the transform refuses it with the line, never a dropped tangent.
"""

import functools
import types

import gast
import numpy as np

from . import nodes, registry
from . import runtime as rt
from .parse import LIBRARY_PREFIXES, MISSING, FunctionInfo, is_user_function, local_names

# What may share memory with what is read from the rule registry: a rule declared with view=True
# (deflinear(np.reshape, ..., view=True), defmethod_linear("T", ..., view=True)) makes a result that may be
# a view of its first argument or receiver, so adding a rule cannot open a hole. View makers that have
# no rule (a differentiated value through them is refused) still make aliases of values that are not:
_VIEWS_WITHOUT_RULES = frozenset({"view", "flat"})
_VIEW_CACHE = {}


def view_methods():
    """Method and attribute names whose result may be a view of the receiver."""
    version = registry.version()
    if _VIEW_CACHE.get("version") != version:
        _VIEW_CACHE.update(
            version=version,
            methods=frozenset(registry.view_methods()) | _VIEWS_WITHOUT_RULES,
            functions={id(f): f for f in registry.view_functions()},
        )
    return _VIEW_CACHE["methods"]


def view_functions():
    """The callables whose result may be a view of their first argument."""
    view_methods()
    return list(_VIEW_CACHE["functions"].values())


# The pseudo-name of memory reached through an object's attribute or returned from elsewhere.
UNTRACKED = "<memory of an object attribute or module global>"
# Methods that store their (last) argument into the receiver.
STORING_METHODS = frozenset({"append", "extend", "insert", "setdefault", "update", "add"})


# Library callables that write into an argument in place: position(s) of the argument written.
_WRITERS = {
    id(f): (f, pos)
    for f, pos in (
        (rt.iset, (0,)),  # the generated code's own in-place tangent update (seen by forward over forward)
        (np.copyto, (0,)),
        (np.put, (0,)),
        (np.place, (0,)),
        (np.putmask, (0,)),
        (np.fill_diagonal, (0,)),
    )
}


def writes_of(obj):
    """Positions of the arguments that library callable ``obj`` writes in place (empty if none): a
    writer rule's (registry.defwriter) parameters, else the table above."""
    rule = registry.lookup(obj)
    if rule is not None and rule.writes:
        names = [p.name for p in rule.params]
        return tuple(names.index(w) for w in rule.writes)
    entry = _WRITERS.get(id(obj))
    return entry[1] if entry is not None and entry[0] is obj else ()


def method_writes(attr):
    """Whether the array method ``.attr()`` writes into its receiver in place (a writer rule: ``.sort()``)."""
    rule = registry.lookup_method(attr)
    return rule is not None and "self" in rule.writes


def is_view_function(obj):
    view_methods()
    return _VIEW_CACHE["functions"].get(id(obj)) is obj


def root_name(e):
    """The variable at the root of ``a[i][j]`` / ``a.b[i]``, if it is a Name."""
    while isinstance(e, (gast.Subscript, gast.Attribute)):
        e = e.value
    return e.id if isinstance(e, gast.Name) else None


# Methods that return something held in the receiver (an element, a view, or a shallow copy).
ACCESS_METHODS = frozenset({"get", "setdefault", "pop", "popitem", "values", "items", "__getitem__"})
_CONTAINERS = (list, tuple, dict, set, frozenset)


def bases(e, resolve=None):
    """Names whose memory the value of expression ``e`` may share (``UNTRACKED`` for memory reached
    through an object attribute). ``resolve(node)`` gives the object a non-local expression denotes."""

    def rec(x):
        return bases(x, resolve)

    while True:
        if isinstance(e, gast.Name):
            return [e.id]
        if isinstance(e, gast.Subscript):
            e = e.value
        elif isinstance(e, gast.Attribute) and e.attr in view_methods():
            e = e.value
        elif isinstance(e, gast.Starred):
            e = e.value
        elif isinstance(e, (gast.Tuple, gast.List, gast.Set)):
            return [b for x in e.elts for b in rec(x)]
        elif isinstance(e, gast.Dict):
            return [b for x in e.values for b in rec(x)]
        elif isinstance(e, gast.IfExp):
            return rec(e.body) + rec(e.orelse)
        elif isinstance(e, gast.BoolOp):
            return [b for x in e.values for b in rec(x)]
        elif isinstance(e, (gast.ListComp, gast.SetComp, gast.GeneratorExp, gast.DictComp)):
            # [B[i] for i in ...] holds views of B; [f(b) for b in bufs] may hold bufs' items
            out = rec(e.value if isinstance(e, gast.DictComp) else e.elt)
            for g in e.generators:
                if set(out) & set(nodes.names_in(g.target, gast.Store)):
                    out = out + rec(g.iter)
            return out
        elif isinstance(e, gast.Call):
            f = e.func
            obj = resolve(f) if resolve is not None else None
            if obj is None and isinstance(f, gast.Attribute):  # a method of a local value
                if f.attr in view_methods() or f.attr in ACCESS_METHODS:
                    e = f.value
                    continue
                if f.attr == "copy":  # a list's or dict's copy is shallow: it holds the same arrays
                    held = resolve(f.value) if resolve is not None else None
                    if held is None or isinstance(held, _CONTAINERS):
                        e = f.value
                        continue
                return []
            if obj is None and isinstance(f, (gast.Name, gast.Subscript)):
                # a local function (a nested def, a lambda, one held in a dict): like a user function, it
                # may return (a view of) any argument; what it holds or closes over is added by aliases()
                return [b for a in [*e.args, *(k.value for k in e.keywords)] for b in rec(a)]
            if obj is not None and is_view_function(obj) and e.args:
                e = e.args[0]
                continue
            if obj is np.einsum:  # np.einsum("ii->i", M) and np.einsum("ij->ji", M) are views of M
                return [b for a in e.args if not isinstance(a, (gast.Constant, gast.List)) for b in rec(a)]
            if (
                obj is np.array
                and e.args
                and any(
                    k.arg == "copy" and not (isinstance(k.value, gast.Constant) and k.value.value is True)
                    for k in e.keywords
                )
            ):
                e = e.args[0]  # np.array(a, copy=False or None) may be a itself
                continue
            if obj is not None and is_user_function(obj):
                # a user function may return (a view of, or a container holding) any argument,
                # and, if it returns memory that is not its own, memory nobody here can follow
                args = [a for a in e.args] + [k.value for k in e.keywords]
                out = [b for a in args if not _is_code(resolve(a)) for b in rec(a)]  # abs, np.sin: no arrays
                return out + ([UNTRACKED] if returns_untracked(obj) else [])
            if obj in _CONTAINERS or obj in _PASSING:  # the result holds (views of) the arguments
                return [b for a in [*e.args, *(k.value for k in e.keywords)] for b in rec(a)]
            return []
        elif isinstance(e, gast.Lambda):  # lambda: buf[:2] may return what it reads
            params = {p.id for p in e.args.posonlyargs + e.args.args + e.args.kwonlyargs}
            read = set(nodes.names_in(e.body, gast.Load)) - params
            return sorted(n for n in read if resolve is None or resolve(gast.Name(n, gast.Load(), None, None)) is None)
        elif isinstance(e, gast.Attribute):
            if resolve is not None and _is_code(resolve(e)):
                return []  # a function passed as a value (np.matmul, mod.loss): it holds no arrays
            if resolve is not None and isinstance(resolve(e), _IMMUTABLE):
                return []  # np.nan, np.pi, math.inf: a constant, no memory to share (y[0] = np.nan)
            return [UNTRACKED]  # an object's attribute: memory the generated code cannot follow
        else:
            return []


# Library callables whose result may hold (views of) their arguments: iteration helpers, and function
# values that hold them (a partial, the result of map or reduce).
_PASSING = (sorted, reversed, iter, next, enumerate, zip, map, filter, functools.partial, functools.reduce)


def _is_code(obj):
    """A function, class or module (what ``np.matmul`` or ``scipy.special`` denotes): no array memory."""
    return isinstance(obj, _CODE) or type(obj).__name__ == "_ArrayFunctionDispatcher"


_CODE = (types.FunctionType, types.BuiltinFunctionType, types.ModuleType, type, np.ufunc)
_IMMUTABLE = (bool, int, float, complex, str, bytes, np.generic)


def aliases(body, resolve=None):
    """``(name, base)`` pairs: ``name`` may share memory with ``base`` (see the module docstring).
    ``resolve(node)`` gives the object a non-local expression denotes (or None)."""
    pairs = []
    # one walk of the body for the statements and calls every step below looks at (each takes its kinds,
    # in the walk's order): the analyses read the tree, none changes it
    found = nodes.nodes_of(gast.Module(body=body, type_ignores=[]), _ALIAS_KINDS)
    captured = _captured_by_local_functions(body, resolve, found)
    held = _held_by_function_values(body, resolve, captured, found)
    instances = _user_instances(body, resolve, found)
    if instances:  # ws = Workspace(n); ws.head(k): Workspace.head, which may return its attributes' memory
        outer = resolve

        def resolve(node):
            if isinstance(node, gast.Attribute) and isinstance(node.value, gast.Name) and node.value.id in instances:
                method = getattr(instances[node.value.id], node.attr, None)
                if is_user_function(method):
                    return method
            return outer(node)

    def bases_of(e):
        out = bases(e, resolve)
        if captured or held:  # get() of a nested def or lambda may return (a view of) what it holds
            for c in nodes.nodes_of(e, gast.Call):
                root = effects_root(c.func)
                if root is not None:
                    out = out + captured.get(root, []) + held.get(root, [])
        return out

    def bind(target, value):
        if isinstance(target, gast.Name):
            pairs.extend((target.id, b) for b in bases_of(value))
        elif isinstance(target, (gast.Tuple, gast.List)):
            if isinstance(value, (gast.Tuple, gast.List)) and len(value.elts) == len(target.elts):
                if not any(isinstance(x, gast.Starred) for x in target.elts + value.elts):
                    for t, v in zip(target.elts, value.elts):
                        bind(t, v)
                    return
            for t in target.elts:
                bind(t, value)
        elif isinstance(target, gast.Starred):
            bind(target.value, value)
        elif isinstance(target, (gast.Subscript, gast.Attribute)):
            root = root_name(target)
            if root is not None:  # c[k] = b: the container now holds b
                pairs.extend((root, b) for b in bases_of(value))

    def loop(target, it):
        if isinstance(it, gast.Call) and isinstance(target, (gast.Tuple, gast.List)):
            obj = resolve(it.func) if resolve is not None else None
            if obj is enumerate and len(target.elts) == 2 and it.args:
                return loop(target.elts[1], it.args[0])
            if obj is zip:
                for t, a in zip(target.elts, it.args):
                    loop(t, a)
                return None
        if isinstance(it, (gast.Tuple, gast.List)):  # for buf in (b1, b2): buf is each of them
            for x in it.elts:
                bind(target, x)
            return None
        bind(target, it)
        return None

    for n in _of(body, (gast.Assign, gast.For, gast.Call, gast.With), found):
        if isinstance(n, gast.Assign):
            names = [t.id for t in n.targets if isinstance(t, gast.Name)]
            pairs.extend((a, b) for a, b in zip(names, names[1:]))  # a = b = []: one object
            for t in n.targets:
                bind(t, n.value)
        elif isinstance(n, gast.For):
            loop(n.target, n.iter)
        elif isinstance(n, gast.Call):
            f = n.func
            # c.add(b) stores b in the local c; np.add(a, b) does not
            local = isinstance(f, gast.Attribute) and isinstance(f.value, gast.Name)
            if local and f.attr in STORING_METHODS and (resolve is None or resolve(f.value) is None):
                for a in n.args:
                    pairs.extend((f.value.id, b) for b in bases_of(a))
        elif isinstance(n, gast.With):
            for item in n.items:
                if item.optional_vars is not None:
                    bind(item.optional_vars, item.context_expr)
    return pairs


_ALIAS_KINDS = (gast.FunctionDef, gast.Assign, gast.For, gast.Call, gast.With)


def _of(body, kinds, found=None):
    """``nodes.nodes_of`` over ``body`` for ``kinds``, taken from ``found`` (the same walk for a wider
    tuple of kinds, ``_ALIAS_KINDS``) when given: the same nodes in the same order."""
    if found is None:
        return nodes.nodes_of(gast.Module(body=body, type_ignores=[]), kinds)
    return [n for n in found if isinstance(n, kinds)]


def _captured_by_local_functions(body, resolve, found=None):
    """For each nested def (or lambda bound to a name) in ``body``: the enclosing function's local names
    it reads, whose memory its result may share (``def head(): return buf[:2]``)."""
    out = {}
    funcs = [(d.name, d) for d in _of(body, (gast.FunctionDef,), found)]
    for a in _of(body, (gast.Assign,), found):
        if isinstance(a.value, gast.Lambda):
            funcs += [(t.id, a.value) for t in a.targets if isinstance(t, gast.Name)]
    for name, fn in funcs:
        own = {p.id for p in fn.args.posonlyargs + fn.args.args + fn.args.kwonlyargs}
        own |= {p.id for p in (fn.args.vararg, fn.args.kwarg) if p is not None}
        own |= set(nodes.names_in(fn, gast.Store)) - _nonlocal_names(fn)
        read = set(nodes.names_in(fn, gast.Load)) - own
        local = sorted(n for n in read if resolve is None or resolve(gast.Name(n, gast.Load(), None, None)) is None)
        if local:
            out[name] = local
    return out


def _held_by_function_values(body, resolve, captured, found=None):
    """Local names bound to a function value, or a container of them, that holds memory of ours: a
    nested def or lambda that reads it (``captured``), passed on (``views = {"head": get}``, ``g = get``,
    ``fs.append(get)``, ``for g in fs``), or a partial (``functools.partial(seg, buf, 0)``):
    name -> the names whose memory a call of it may return."""
    held = {k: set(v) for k, v in captured.items()}
    flows = []  # (target name, value expression)
    for n in _of(body, (gast.Assign, gast.For, gast.Call), found):
        if isinstance(n, gast.Assign):
            flows += [(t.id, n.value) for t in n.targets if isinstance(t, gast.Name)]
        elif isinstance(n, gast.For) and isinstance(n.target, gast.Name):
            flows.append((n.target.id, n.iter))
        elif isinstance(n, gast.Call) and isinstance(n.func, gast.Attribute) and isinstance(n.func.value, gast.Name):
            if n.func.attr in STORING_METHODS:
                flows += [(n.func.value.id, a) for a in n.args]
    for target, value in flows:  # a partial holds its arguments
        if resolve is not None and isinstance(value, gast.Call) and resolve(value.func) is functools.partial:
            held.setdefault(target, set()).update(b for b in bases(value, resolve) if b not in captured)
    changed = True
    while changed:
        changed = False
        for target, value in flows:
            got = set().union(*(held.get(x, ()) for x in nodes.names_in(value, gast.Load)))
            if not got <= held.get(target, set()):
                held.setdefault(target, set()).update(got)
                changed = True
    return {k: sorted(v) for k, v in held.items() if v and k not in captured}


def _user_instances(body, resolve, found=None):
    """Local names bound to an instance of a class defined outside the numerical libraries
    (``ws = Workspace(6)``): name -> class, so that their method calls can be analysed."""
    out = {}
    if resolve is None:
        return out
    for a in _of(body, (gast.Assign,), found):
        if isinstance(a.value, gast.Call) and len(a.targets) == 1 and isinstance(a.targets[0], gast.Name):
            cls = resolve(a.value.func)
            mod = getattr(cls, "__module__", None) or ""
            if isinstance(cls, type) and not any(mod == p or mod.startswith(p + ".") for p in LIBRARY_PREFIXES):
                out[a.targets[0].id] = cls
    return out


def _nonlocal_names(fn):
    """Names a nested function declares ``nonlocal`` (they are the enclosing function's)."""
    return {n for s in nodes.nodes_of(fn, (gast.Nonlocal,)) for n in s.names}


def effects_root(func):
    """The local name a called function value is read from (``f`` of ``f(...)``, ``ops`` of
    ``ops["k"](...)``), or None (a method call ``a.m(...)``, a call of a call's result)."""
    while isinstance(func, gast.Subscript):
        func = func.value
    return func.id if isinstance(func, gast.Name) else None


def closure_of(pairs, names):
    """``names`` and every name that may share memory with one of them (pairs taken both ways)."""
    out = set(names)
    changed = True
    while changed:
        changed = False
        for a, b in pairs:
            if (a in out) != (b in out):
                out |= {a, b}
                changed = True
    return out


_RETURNS_UNTRACKED = {}


def returns_untracked(func):
    """Whether user function ``func`` may return memory that is neither fresh nor one of its arguments
    (a module global, an attribute of an object, or a view of one)."""
    code = getattr(func, "__code__", None)
    if code is None:
        return True
    hit = _RETURNS_UNTRACKED.get(code)
    if hit is None:
        _RETURNS_UNTRACKED[code] = False  # recursion: assume not while analysing
        try:
            info = FunctionInfo(func)
        except Exception:
            hit = True
        else:
            local = local_names(info.node)

            def resolve(node):
                obj = info.resolve(node, local)
                return None if obj is MISSING else obj

            ret = "<return value>"
            rets = [nodes.assign(ret, r.value) for r in nodes.nodes_of(info.node, gast.Return) if r.value is not None]
            pairs = aliases(info.node.body + rets, resolve)
            reach = closure_of(pairs, {ret}) - {ret}
            hit = any(n == UNTRACKED or (n not in local and not _holds_no_memory(resolve, n)) for n in reach)
        _RETURNS_UNTRACKED[code] = hit
    return hit


def _holds_no_memory(resolve, name):
    """A non-local name whose value holds no array memory: a number, string, function, class or module,
    or a tuple of those (a closure's ``diff = (0, 1)``)."""
    obj = resolve(gast.Name(name, gast.Load(), None, None))

    def inert(v):
        return isinstance(v, _IMMUTABLE) or _is_code(v) or (type(v) is tuple and all(inert(x) for x in v))

    return obj is not None and inert(obj)


def untracked_writes(pairs, written, local_names):
    """For each name written in place with a differentiated value, a name it may share memory with
    whose tangent the generated code cannot follow (not a local of this function), if any."""
    out = {}
    for name in written:
        reach = closure_of(pairs, {name})
        bad = sorted(n for n in reach if n == UNTRACKED or n not in local_names)
        if bad:
            out[name] = bad[0]
    return out


def declared_outside(body):
    """Names this scope declares ``global`` or ``nonlocal`` (not looking into nested defs)."""
    out = set()
    stack = list(body)
    while stack:
        s = stack.pop()
        if isinstance(s, (gast.Global, gast.Nonlocal)):
            out.update(s.names)
        elif not isinstance(s, (gast.FunctionDef, gast.AsyncFunctionDef, gast.ClassDef)):
            stack.extend(c for c in gast.iter_child_nodes(s) if isinstance(c, gast.stmt))
    return out


# ------------------------------------------------------------------ parameters a function writes
_MUTATED = {}


def _mutated_params(info):
    """``mutated_params`` of a parsed function. A parameter is mutated when a write reaches its memory
    directly or through a local view of it (``v = p[1:]; v[0] = x``, ``v = p.reshape(-1)``): a store
    into a subscript, an augmented assignment, a container-mutating method, an ``out=`` keyword, a
    library writer (``np.copyto(p, ...)``, ``np.add.at(p, ...)``) or a writer method (``p.sort()``)."""
    node = info.node
    names = local_names(node)

    def resolve(e):
        obj = info.resolve(e, names)
        return None if obj is MISSING else obj

    a = node.args
    params = {p.id for p in a.posonlyargs + a.args + a.kwonlyargs}
    holders = {p: {p} for p in params}  # local name -> parameters whose memory it may share
    changed = True
    while changed:  # views of views: a fixpoint over the function's single-name assignments
        changed = False
        for n in gast.walk(node):
            if isinstance(n, gast.Assign):
                value, targets = n.value, n.targets
            elif isinstance(n, gast.For):
                value, targets = n.iter, [n.target]
            else:
                continue
            src = set().union(*(holders.get(b, ()) for b in bases(value, resolve)))
            for t in targets:
                for name in (x.id for x in gast.walk(t) if isinstance(x, gast.Name)):
                    if not src <= holders.setdefault(name, set()):
                        holders[name] |= src
                        changed = True

    out = set()
    for n in gast.walk(node):
        written = []
        if isinstance(n, gast.Subscript) and isinstance(n.ctx, gast.Store):
            written = [n]
        elif isinstance(n, gast.AugAssign):
            written = [n.target]
        elif isinstance(n, gast.Call):
            f = n.func
            written = [k.value for k in n.keywords if k.arg == "out"]
            obj = resolve(f)
            if obj is not None:
                positions = writes_of(obj)
                if isinstance(f, gast.Attribute) and f.attr == "at" and isinstance(obj, types.BuiltinMethodType):
                    positions = (0,)  # np.add.at(p, idx, v) writes p
                written += [n.args[i] for i in positions if i < len(n.args)]
            elif isinstance(f, gast.Attribute) and (
                f.attr in ("append", "extend", "insert", "update", "setdefault") or method_writes(f.attr)
            ):
                written.append(f.value)
        for w in written:
            for b in bases(w, resolve):
                out |= holders.get(b, set())
    return frozenset(out)


def mutated_params(func):
    """Parameters of user function ``func`` that it mutates in place (``p[i] = v``, ``p.append(v)``,
    ``p += v``): a caller's container passed there may receive differentiated values."""
    code = getattr(func, "__code__", None)
    if code is None:
        return frozenset()
    hit = _MUTATED.get(code)
    if hit is None:
        try:
            info = FunctionInfo(func)
        except Exception:
            hit = frozenset()
        else:
            hit = _mutated_params(info)
        _MUTATED[code] = hit
    return hit
