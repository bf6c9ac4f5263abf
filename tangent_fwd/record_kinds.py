"""Where a value may be a record (a dataclass or namedtuple) whose class shadows an array method.

``g.sum()`` means the array rule for an array and the user's ``sum`` for a record whose class defines
one: the transform must know which. This module gives every value a *kind*, computed two ways:

* :func:`signature` of an argument when a call runs (the API and call-time specialisations key their
  generated code on it): ``None`` for plain data (arrays, numbers, containers of them),
  ``("rec", cls, fields)`` for a record, ``("seq", n, items)`` / ``("map", items)`` for a list, tuple
  or dict holding records, ``OBJ`` for an object of another class (its attributes are not followed);
* :class:`Kinds`, the same kinds derived statically inside one function, from the kinds of its
  parameters (a spec's ``records``), record constructions, field reads, items and iteration; a name
  whose value cannot be followed (a container written in place or passed to a function that may write
  it, the attribute of an object, the result of a function value) is ``UNKNOWN``.

records.py decides from the kind: a record whose class defines the name gets its own method, a plain
value the array rule, ``UNKNOWN`` a run-time check that refuses a record (never the array rule on one).
Flow-insensitive: the kind of a local is the join of the kinds of everything assigned to it.
"""

import copy
import dataclasses
import inspect

import gast
import numpy as np

from . import nodes, registry, sequences
from .jvp_helpers import records as rt_records
from .parse import MISSING, is_user_function, local_names

UNKNOWN = "unknown"  # may be a record whose class shadows an array method: checked when it runs
OBJ = ("obj",)  # an object of some other class: what its attributes hold is not followed
_BOTTOM = "bottom"  # (being computed: a cycle through assignments contributes nothing)

# names the transform gives a meaning of its own on any value (rules, and list methods it follows)
_CONTAINER_METHODS = frozenset({"append", "extend", "insert", "pop", "reverse"})
_PLAIN = frozenset(
    [float, int, bool, complex, str, bytes, type(None), np.ndarray, np.float64, np.float32, np.int64, np.int32]
    + [np.bool_, np.complex128, np.complex64, range, slice, type(Ellipsis)]
)
_IMMUTABLE_RECORD = {}


def special(name):
    """Whether ``.name`` on a value gets a rule of the transform's (an array method or attribute, or a
    list method it follows) rather than a lookup on the value's class."""
    return (
        registry.lookup_method(name) is not None
        or registry.lookup_attribute(name) is not None
        or name in _CONTAINER_METHODS
    )


_SHADOWS = {}  # record class -> (registry version, names it defines that are special)


def shadowing_names(cls):
    """The names a record class defines (methods, properties, fields, class attributes) that the
    transform would otherwise read as an array's."""
    version = registry.version()
    hit = _SHADOWS.get(cls)
    if hit is None or hit[0] != version:
        names = set(_field_names(cls))
        for klass in cls.__mro__:
            if klass in (object, tuple) or klass.__module__ == "typing":
                continue
            names.update(n for n in vars(klass) if not n.startswith("_"))
        hit = _SHADOWS[cls] = (version, frozenset(n for n in names if special(n)))
    return hit[1]


def _field_names(cls):
    if dataclasses.is_dataclass(cls):
        return [f.name for f in dataclasses.fields(cls)]
    return list(getattr(cls, "_fields", ()))


def _immutable(cls):
    """A namedtuple or frozen dataclass: its fields cannot be rebound after construction."""
    if cls not in _IMMUTABLE_RECORD:
        params = getattr(cls, "__dataclass_params__", None)
        _IMMUTABLE_RECORD[cls] = issubclass(cls, tuple) or bool(params is not None and params.frozen)
    return _IMMUTABLE_RECORD[cls]


def signature(value, depth=0):
    """The kind of an argument value (hashable; None for plain data, the common case, found at once)."""
    cls = value.__class__
    if cls in _PLAIN:
        return None
    if depth > 8:
        return UNKNOWN
    if rt_records.is_record(value):
        fields = tuple(
            (n, s)
            for n, v in zip(rt_records.names(value), rt_records.values(value))
            if (s := signature(v, depth + 1)) is not None
        )
        return ("rec", cls, fields)
    if isinstance(value, dict):
        items = tuple((k, s) for k, v in value.items() if (s := signature(v, depth + 1)) is not None)
        return ("map", items) if items else None
    if isinstance(value, (list, tuple)):
        items = tuple((i, s) for i, v in enumerate(value) if (s := signature(v, depth + 1)) is not None)
        return ("seq", len(value), items) if items else None
    if isinstance(value, (np.generic, type)) or callable(value) or inspect.ismodule(value):
        return None  # a NumPy scalar, a class, a function value, a module
    if hasattr(value, "shape") and hasattr(value, "dtype"):
        return None  # an array of another library
    return OBJ


def signatures(names, values):
    """``((name, kind), ...)`` for the values whose kind is not plain, or None when all are."""
    out = tuple((n, s) for n, v in zip(names, values) if (s := signature(v)) is not None)
    return out or None


# which differentiated parameters are given lists (sequences.py), carried with the record kinds
SEQUENCES, is_sequence, sequence_entry, sequence_params = (
    sequences.SEQUENCES,
    sequences.is_sequence,
    sequences.entry,
    sequences.given,
)


def join(a, b):
    if a is _BOTTOM:
        return b
    if b is _BOTTOM or a == b:
        return a
    classes = record_classes(a) | record_classes(b)
    if record_classes(a) and record_classes(b):
        return ("recs", frozenset(classes))  # one of these record classes (what their fields hold: not followed)
    return UNKNOWN


def record_classes(kind):
    """The record classes a kind may be (an empty set for anything but a record)."""
    if isinstance(kind, tuple) and kind[0] == "rec":
        return frozenset([kind[1]])
    if isinstance(kind, tuple) and kind[0] == "recs":
        return kind[1]
    return frozenset()


def record_class(kind):
    """The record class of a kind, or None."""
    return kind[1] if isinstance(kind, tuple) and kind[0] == "rec" else None


def _const(node):
    return node.value if isinstance(node, gast.Constant) else MISSING


def item_of(kind, index):
    """The kind of ``value[index]`` (``index`` a constant, or MISSING for any item)."""
    if kind is None or kind is UNKNOWN or kind is _BOTTOM:
        return kind
    if kind == OBJ or kind[0] == "recs":
        return UNKNOWN
    tag = kind[0]
    if tag == "seq":
        n, items = kind[1], dict(kind[2])
        if isinstance(index, int) and not isinstance(index, bool) and -n <= index < n:
            return items.get(index % n)
        return _join_all(list(items.values()) + ([None] if len(items) < n else []))
    if tag == "map":
        items = dict(kind[1])
        if index is not MISSING:
            try:
                return items.get(index)
            except TypeError:
                return UNKNOWN
        return _join_all(list(items.values()) + [None])
    # a record: a namedtuple read by position
    fields = dict(kind[2])
    names = _field_names(kind[1])
    if isinstance(index, int) and not isinstance(index, bool) and -len(names) <= index < len(names):
        return fields.get(names[index])
    return _join_all(list(fields.values()) + [None])


def attribute_of(kind, name, written):
    """The kind of ``value.name``; ``written``: the value may have been changed in place since built."""
    if kind is None or kind is UNKNOWN or kind is _BOTTOM:
        return kind
    if kind == OBJ or kind[0] == "recs":
        return UNKNOWN
    if kind[0] != "rec":
        return None  # a method of a list or dict
    cls = kind[1]
    if written and not _immutable(cls):
        return UNKNOWN
    if name in _field_names(cls):
        return dict(kind[2]).get(name)
    return UNKNOWN  # a property or other class attribute: what it returns is not followed


def _join_all(kinds):
    out = _BOTTOM
    for k in kinds:
        out = join(out, k)
    return None if out is _BOTTOM else out


def iteration_of(kind):
    """The kind of the items ``for v in value`` gives."""
    if kind is None or kind is UNKNOWN:
        return kind
    if kind == OBJ or kind[0] == "recs":
        return UNKNOWN
    if kind[0] == "map":
        return None  # its keys
    return item_of(kind, MISSING)


# ---------------------------------------------------------------------------------------- one function
# copies: of the kind of their argument
_SAME_AS_ARGUMENT = (copy.copy, copy.deepcopy)
# modules whose functions may return (items of) their arguments: getattr, max, sorted, operator.getitem...
_PASSING_MODULES = frozenset({"builtins", "copy", "functools", "operator", "itertools"})
_ITEM_CALLS = {"get", "pop", "setdefault"}


_SCANNED = (
    gast.Assign, gast.AnnAssign, gast.AugAssign, gast.For, gast.comprehension, gast.NamedExpr, gast.withitem,
    gast.Global, gast.Nonlocal, gast.ExceptHandler, gast.FunctionDef, gast.ClassDef, gast.Import,
    gast.ImportFrom, gast.Call, gast.Tuple, gast.List, gast.Set, gast.Dict, gast.Return,
)  # fmt: skip


class Kinds:
    """The kinds of the locals of one function (flow-insensitive), given its parameters' kinds
    (``params``: name -> kind; None: every parameter ``UNKNOWN``). ``outer``: the Kinds of the
    enclosing function, for a nested def's free names. ``read_params`` is set once an answer depended
    on a parameter's kind (the generated code then depends on the arguments' kinds)."""

    def __init__(self, info, fnode, params, unit, outer=None, depth=0, locals_=None):
        self.info, self.fnode, self.params, self.unit, self.outer = info, fnode, params, unit, outer
        self.depth = depth
        self.locals = local_names(fnode) if locals_ is None else locals_
        self.read_params = False
        self.binds = {}
        self.aliases = {}  # name -> names whose containers it may share
        self.written = set()
        self.memo = {}
        a = fnode.args
        self.param_names = [p.id for p in a.posonlyargs + a.args + a.kwonlyargs]
        for p in (a.vararg, a.kwarg):
            if p is not None:
                self._bind(p.id, ("unknown",))
        for p in self.param_names:
            self._bind(p, ("param", p))
        self._scan()

    # ------------------------------------------------------------------ bindings
    def _bind(self, name, src):
        self.binds.setdefault(name, []).append(src)

    def _target(self, t, src):
        if isinstance(t, gast.Name):
            self._bind(t.id, src)
            if src[0] in ("expr", "iter", "item"):
                self.aliases.setdefault(t.id, set()).update(_roots(src[1]))
        elif isinstance(t, (gast.Tuple, gast.List)):
            value = src[1] if src[0] == "expr" else None
            pairwise = (
                isinstance(value, (gast.Tuple, gast.List))
                and len(value.elts) == len(t.elts)
                and not any(isinstance(e, gast.Starred) for e in value.elts + t.elts)
            )
            for i, elt in enumerate(t.elts):
                if pairwise:
                    self._target(elt, ("expr", value.elts[i]))
                elif isinstance(elt, gast.Starred):
                    self._target(elt.value, ("unknown",))
                else:
                    self._target(elt, ("item", src, i))
        elif isinstance(t, (gast.Subscript, gast.Attribute)):
            root = _root(t)
            if root is not None:
                self.written.add(root)
        elif isinstance(t, gast.Starred):
            self._target(t.value, ("unknown",))

    def _scan(self):
        body = gast.Module(body=self.fnode.body, type_ignores=[])
        returned = set()  # displays handed to a caller (a Return is met before its value: breadth first)
        for n in nodes.nodes_of(body, _SCANNED):
            if isinstance(n, gast.Return):
                if n.value is not None:
                    returned.add(id(n.value))
            elif isinstance(n, gast.Assign):
                for t in n.targets:
                    self._target(t, ("expr", n.value))
            elif isinstance(n, gast.AnnAssign) and n.value is not None:
                self._target(n.target, ("expr", n.value))
            elif isinstance(n, gast.AugAssign):
                if isinstance(n.target, gast.Name):
                    op = gast.BinOp(left=gast.Name(n.target.id, gast.Load(), None, None), op=n.op, right=n.value)
                    self._target(n.target, ("expr", op))
                else:
                    self._target(n.target, None)
            elif isinstance(n, (gast.For, gast.comprehension)):
                self._target(n.target, ("iter", n.iter))
            elif isinstance(n, gast.NamedExpr):
                self._target(n.target, ("expr", n.value))
            elif isinstance(n, gast.withitem) and n.optional_vars is not None:
                self._target(n.optional_vars, ("unknown",))
            elif isinstance(n, (gast.Global, gast.Nonlocal)):
                for name in n.names:
                    self._bind(name, ("unknown",))
            elif isinstance(n, gast.ExceptHandler) and n.name is not None:
                self._target(n.name, ("plain",))
            elif isinstance(n, (gast.FunctionDef, gast.ClassDef)):
                self._bind(n.name, ("plain",))
            elif isinstance(n, (gast.Import, gast.ImportFrom)):
                for alias in n.names:
                    self._bind((alias.asname or alias.name).split(".")[0], ("plain",))
            elif isinstance(n, gast.Call):
                self._call_writes(n)
            elif isinstance(n, (gast.Tuple, gast.List, gast.Set, gast.Dict)) and isinstance(
                getattr(n, "ctx", gast.Load()), gast.Load
            ):
                if id(n) in returned:
                    continue  # handed to the caller: not written here
                # a container stored in another may be written through it: followed as written
                for e in n.elts if not isinstance(n, gast.Dict) else n.values:
                    if isinstance(e, gast.Name):
                        self.written.add(e.id)
        # written through an alias: the containers it came from are written too
        changed = True
        while changed:
            changed = False
            for name, roots in self.aliases.items():
                if name in self.written and not roots <= self.written:
                    self.written |= roots
                    changed = True

    def _call_writes(self, call):
        """Names a call may change in place: the receiver of a method without a non-writing rule, and
        the arguments of a function that has no rule (a user function, a function value)."""
        f = call.func
        obj = self.info.resolve(f, self.locals)
        if isinstance(f, gast.Attribute) and obj is MISSING:
            rule = registry.lookup_method(f.attr)
            root = _root(f.value)
            if root is not None and (rule is None or rule.writes):
                self.written.add(root)
        if obj is not MISSING and registry.lookup(obj) is not None and not registry.lookup(obj).writes:
            return
        if obj in (len, isinstance, range, enumerate, zip, float, int, abs, print, repr, str, bool, type, id):
            return
        for a in list(call.args) + [k.value for k in call.keywords]:
            if isinstance(a, gast.Starred):
                a = a.value
            root = _root(a)
            if root is not None:
                self.written.add(root)

    def note(self, name, value):
        """A temporary of the transform (not in the function's source) assigned ``value``, once."""
        if name not in self.binds:
            self.locals = self.locals | {name}
            self.binds[name] = [("expr", value)]
            self.memo.pop(name, None)

    def note_unknown(self, name):
        self.locals = self.locals | {name}
        self.binds[name] = [("unknown",)]
        self.memo.pop(name, None)

    # ------------------------------------------------------------------ kinds
    def name(self, name):
        """The kind of the local (or free) name ``name``."""
        if name not in self.locals and name not in self.binds:
            if self.outer is not None:
                return self.outer.name(name)
            return self._free(name)
        hit = self.memo.get(name)
        if hit is not None:
            return hit
        self.memo[name] = _BOTTOM
        out = _BOTTOM
        for src in self.binds.get(name, [("unknown",)]):
            out = join(out, self._source(src))
            if out is UNKNOWN:
                break
        if out is _BOTTOM:
            self.memo.pop(name)
            return _BOTTOM
        self.memo[name] = out
        return out

    def _free(self, name):
        obj = self.info.lookup(name)
        return None if obj is MISSING else _global_kind(obj)

    def _source(self, src):
        tag = src[0]
        if tag == "param":
            self.read_params = True
            if self.params is None:
                return UNKNOWN
            return self.params.get(src[1])
        if tag == "plain":
            return None
        if tag == "unknown":
            return UNKNOWN
        if tag == "expr":
            return self.expr(src[1])
        if tag == "iter":
            return self._iteration(src[1])
        if tag == "item":  # the i-th item of what ``src`` gives
            inner = src[1]
            if inner[0] == "iter" and isinstance(inner[1], gast.Call):
                pair = self._paired_iteration(inner[1], src[2])
                if pair is not MISSING:
                    return pair
            return item_of(self._source(inner), src[2])
        return UNKNOWN

    def _iteration(self, it):
        if isinstance(it, gast.Call):
            obj = self.info.resolve(it.func, self.locals)
            if obj in (enumerate, reversed, sorted, list, tuple, iter) and it.args and not it.keywords:
                inner = self._iteration(it.args[0])
                return None if inner is None else UNKNOWN if obj is not enumerate else ("seq", 2, ((1, inner),))
            if obj is zip and not it.keywords:
                kinds = [self._iteration(a) for a in it.args]
                items = tuple((i, k) for i, k in enumerate(kinds) if k is not None)
                return ("seq", len(kinds), items) if items else None
            f = it.func
            if isinstance(f, gast.Attribute) and obj is MISSING and not it.args:
                base = self.expr(f.value)
                if base is None:
                    return None
                if f.attr == "values":
                    return item_of(base, MISSING)
                if f.attr == "items":
                    inner = item_of(base, MISSING)
                    return None if inner is None else ("seq", 2, ((1, inner),))
                if f.attr == "keys":
                    return None
        kind = self.expr(it)
        if _root(it) in self.written or self._is_free(it):
            return None if kind is None and self._array_like(it) else UNKNOWN
        return iteration_of(kind)

    def _paired_iteration(self, call, index):
        """``for i, g in enumerate(gs)``: the item of a pair without building it."""
        kind = self._iteration(call)
        return item_of(kind, index) if kind is not UNKNOWN else MISSING

    def expr(self, e):
        """The kind of the value of expression ``e``."""
        k = type(e)
        if k is gast.Constant:
            return None
        if k is gast.Name:
            return self.name(e.id)
        if k is gast.Attribute:
            obj = self.info.resolve(e, self.locals)
            if obj is not MISSING:
                return _global_kind(obj)
            return attribute_of(self.expr(e.value), e.attr, _root(e.value) in self.written)
        if k is gast.Subscript:
            kind = self.expr(e.value)
            if _root(e.value) in self.written or self._is_free(e.value):
                # a container changed in place (or a global one): what it holds now is not followed
                return None if kind is None and self._array_like(e.value) else UNKNOWN
            if isinstance(e.slice, gast.Slice):
                return None if kind is None else UNKNOWN
            return item_of(kind, _const(e.slice))
        if k is gast.Call:
            return self._call(e)
        if k in (gast.Tuple, gast.List):
            if any(isinstance(x, gast.Starred) for x in e.elts):
                return _none_or_unknown([self.expr(x.value if isinstance(x, gast.Starred) else x) for x in e.elts])
            items = tuple((i, s) for i, x in enumerate(e.elts) if (s := self.expr(x)) is not None)
            return ("seq", len(e.elts), items) if items else None
        if k is gast.Dict:
            values = [self.expr(v) for v in e.values]
            if all(isinstance(key, gast.Constant) for key in e.keys):
                items = tuple((key.value, s) for key, s in zip(e.keys, values) if s is not None)
                return ("map", items) if items else None
            return _none_or_unknown(values)
        if k in (gast.BinOp, gast.BoolOp, gast.IfExp):
            parts = [e.left, e.right] if k is gast.BinOp else e.values if k is gast.BoolOp else [e.body, e.orelse]
            if k is gast.BinOp and not isinstance(e.op, (gast.Add, gast.Mult)):
                return None  # arithmetic: never a container or record (+ and * may concatenate lists)
            kinds = [self.expr(p) for p in parts]
            if k is gast.BinOp:
                return _none_or_unknown(kinds)
            return _join_all(kinds)
        if k in (gast.UnaryOp, gast.Compare, gast.JoinedStr, gast.Lambda, gast.Set):
            return None
        if k in (gast.ListComp, gast.GeneratorExp, gast.SetComp):
            return _none_or_unknown([self.expr(e.elt)])
        if k is gast.DictComp:
            return _none_or_unknown([self.expr(e.value)])
        if k is gast.NamedExpr:
            return self.expr(e.value)
        return UNKNOWN

    def _array_like(self, e):
        """Whether ``e`` (written in place, or a global) is an array, whose items are never records: a
        local assigned only from arithmetic or NumPy calls, or a slice of one."""
        while isinstance(e, gast.Subscript):
            e = e.value
        if not isinstance(e, gast.Name) or e.id not in self.locals:
            return False
        for src in self.binds.get(e.id, ()):
            if src[0] != "expr" or not _makes_array(self, src[1]):
                return False
        return bool(self.binds.get(e.id))

    def _is_free(self, e):
        root = _root(e)
        return root is not None and root not in self.locals and self.outer is None

    def _call(self, call):
        f = call.func
        obj = self.info.resolve(f, self.locals)
        args = [self.expr(a.value if isinstance(a, gast.Starred) else a) for a in call.args]
        kws = {k.arg: self.expr(k.value) for k in call.keywords}
        if obj is not MISSING:
            if isinstance(obj, type) and (dataclasses.is_dataclass(obj) or hasattr(obj, "_fields")):
                return self._construct(obj, call)
            if obj is dataclasses.replace and len(call.args) == 1:
                return self._replaced(self.expr(call.args[0]), call)
            if obj in _SAME_AS_ARGUMENT and len(call.args) == 1 and not call.keywords:
                return args[0]
            if is_user_function(obj) and registry.lookup(obj) is None:
                return self._returned(obj, call)
            if isinstance(obj, type) and obj not in _PLAIN and not issubclass(obj, (list, tuple, dict, set)):
                return OBJ if registry.lookup(obj) is None and obj.__module__ != "builtins" else None
            module = getattr(obj, "__module__", None) or ""
            if registry.lookup(obj) is not None and module.split(".")[0] not in _PASSING_MODULES:
                return None  # a library function with a rule gives arrays (or values without records)
            return _none_or_unknown(args + list(kws.values()))  # a library call
        if isinstance(f, gast.Attribute):
            base = self.expr(f.value)
            if f.attr == "_replace" and not call.args:
                return self._replaced(base, call)
            cls = record_class(base)
            if cls is not None and f.attr in vars_of(cls):
                method = inspect.getattr_static(cls, f.attr, None)
                if isinstance(method, type(_none_or_unknown)):
                    return self._returned(method, call, receiver=f.value)
                return UNKNOWN
            if base is None and _none_or_unknown(args + list(kws.values())) is None:
                return None  # a method of plain data with plain arguments (an array's, a list's)
            if f.attr in _ITEM_CALLS and base is not UNKNOWN and call.args and _root(f.value) not in self.written:
                return item_of(base, _const(call.args[0]))
            return UNKNOWN
        return UNKNOWN  # a function value: what it returns is not followed

    def _construct(self, cls, call):
        try:
            bound = inspect.signature(cls).bind(*call.args, **{k.arg: k.value for k in call.keywords if k.arg})
        except (TypeError, ValueError):
            return UNKNOWN
        if any(isinstance(a, gast.Starred) for a in call.args) or any(k.arg is None for k in call.keywords):
            return UNKNOWN
        fields = []
        for n in _field_names(cls):
            if n in bound.arguments:
                s = self.expr(bound.arguments[n])
                if s is not None:
                    fields.append((n, s))
        return ("rec", cls, tuple(fields))

    def _replaced(self, base, call):
        if record_class(base) is None:
            return None if base is None and not call.keywords else UNKNOWN
        fields = dict(base[2])
        for k in call.keywords:
            if k.arg is None:
                return UNKNOWN
            s = self.expr(k.value)
            if s is None:
                fields.pop(k.arg, None)
            else:
                fields[k.arg] = s
        names = _field_names(base[1])
        return ("rec", base[1], tuple((n, fields[n]) for n in names if n in fields))

    def _returned(self, func, call, receiver=None):
        """The kind of what the user function ``func`` returns for this call (its returns joined)."""
        if self.depth >= 4 or self.unit is None:
            return UNKNOWN
        try:
            info = self.unit.info(func)
            params = inspect.signature(func).bind(
                *([receiver] if receiver is not None else []),
                *call.args,
                **{k.arg: k.value for k in call.keywords if k.arg},
            )
        except Exception:  # no source, or arguments that do not bind: not followed
            return UNKNOWN
        if any(isinstance(a, gast.Starred) for a in call.args) or any(k.arg is None for k in call.keywords):
            return UNKNOWN
        given = {}
        for p, v in params.arguments.items():
            if isinstance(v, gast.AST):
                given[p] = self.expr(v)
            else:
                given[p] = UNKNOWN
        for p in inspect.signature(func).parameters.values():
            if p.name not in given and p.default is not p.empty:
                given[p.name] = signature(p.default)
        inner = Kinds(info, info.node, given, self.unit, depth=self.depth + 1)
        out = _BOTTOM
        for r in nodes_of_returns(info.node):
            out = join(out, None if r.value is None else inner.expr(r.value))
        self.read_params = self.read_params or inner.read_params
        return None if out is _BOTTOM else out


def _makes_array(kinds, e):
    if isinstance(e, (gast.BinOp, gast.UnaryOp)):
        return True
    if isinstance(e, gast.Call):
        obj = kinds.info.resolve(e.func, kinds.locals)
        if obj is not MISSING:
            return (getattr(obj, "__module__", None) or "").split(".")[0] == "numpy"
        return isinstance(e.func, gast.Attribute) and e.func.attr in ("copy", "reshape", "astype", "ravel")
    return isinstance(e, gast.Subscript) and kinds._array_like(e.value)


def vars_of(cls):
    names = set(_field_names(cls))
    for klass in cls.__mro__:
        if klass not in (object, tuple):
            names.update(vars(klass))
    return names


def nodes_of_returns(fnode):
    """The return statements of ``fnode`` itself (not of its nested defs)."""
    out, stack = [], list(fnode.body)
    while stack:
        s = stack.pop()
        if isinstance(s, gast.Return):
            out.append(s)
        elif not isinstance(s, (gast.FunctionDef, gast.ClassDef)):
            stack.extend(c for c in gast.iter_child_nodes(s) if isinstance(c, gast.stmt) or hasattr(c, "body"))
    return out


def _none_or_unknown(kinds):
    return None if all(k is None or k is _BOTTOM for k in kinds) else UNKNOWN


def _global_kind(obj):
    """A module-level value: its kind now (a container of it may change later: items are UNKNOWN)."""
    try:
        return signature(obj)
    except Exception:
        return UNKNOWN


def _root(e):
    while isinstance(e, (gast.Subscript, gast.Attribute, gast.Starred)):
        e = e.value
    return e.id if isinstance(e, gast.Name) else None


def _roots(e):
    """Names whose containers the value of ``e`` may share (items and fields of them included)."""
    if isinstance(e, (gast.Tuple, gast.List)):
        return {r for x in e.elts for r in _roots(x)}
    if isinstance(e, gast.Dict):
        return {r for x in e.values for r in _roots(x)}
    if isinstance(e, gast.IfExp):
        return _roots(e.body) | _roots(e.orelse)
    root = _root(e)
    return {root} if root is not None else set()


# ---------------------------------------------------------------------------------------- in the transform
def kinds(tr):
    """The record kinds of ``tr``'s function (Kinds), built once per transformer."""
    k = tr.__dict__.get("_record_kinds")
    if k is None:
        outer = kinds(tr.parent) if tr.parent is not None else None
        params = getattr(tr.spec, "records", None) if tr.parent is None else None
        if params is not None:
            params = dict(params)
        elif tr.parent is None and not tr.spec.is_root:
            # a callee requested without its arguments' kinds (request_callee gives them to every user
            # function called with tangents; a primal-only copy for another backend has no decisions)
            params = {}
        k = tr._record_kinds = Kinds(tr.info, tr.fnode, params, tr.unit, outer=outer, locals_=tr.locals)
    return k


def receiver_kind(tr, node, out):
    """The record kind of the value of ``node`` (a local, a temporary assigned in ``out``, an item...);
    where it depends on the function's parameters' kinds, so does the generated code (:func:`mark_reads`)."""
    kind, read = _kind_and_read(tr, node, out)
    if read:
        mark_reads(tr)
    return kind


def _kind_and_read(tr, node, out):
    """The kind of ``node``'s value, and whether it depends on the parameters' kinds."""
    k = kinds(tr)
    todo = [node]
    while todo:
        for n in nodes.nodes_of(todo.pop(), gast.Name):
            if n.id in tr.namer.temps and n.id not in k.binds:
                todo += _note_temporary(k, n.id, out)
    before = k.read_params
    k.read_params = False
    kind = k.expr(node)
    read = k.read_params or any(t.read_params for t in _outer_kinds(tr))
    k.read_params = before or k.read_params
    return kind, read


def _outer_kinds(tr):
    out = []
    while tr.parent is not None:
        tr = tr.parent
        if "_record_kinds" in tr.__dict__:
            out.append(tr._record_kinds)
    return out


def _note_temporary(k, name, out):
    """A temporary of the transform (not in the user's function) assigned by a plain statement just
    emitted into ``out`` (the ones a call or attribute read assigns were noted by records.method_call);
    anything else is UNKNOWN."""
    for s in reversed(out):
        if isinstance(s, gast.Assign) and len(s.targets) == 1:
            t = s.targets[0]
            if isinstance(t, gast.Name) and t.id == name:
                k.note(name, s.value)
                return [s.value]
    k.note_unknown(name)
    return []


def _top(tr):
    while tr.parent is not None:
        tr = tr.parent
    return tr


def mark_reads(tr):
    """The generated code of ``tr``'s function depends on its parameters' record kinds: so does the
    unit's root, through the callers whose arguments gave those kinds (``records_via``), up to the
    arguments of the API call (the API then checks their kinds at each call: api._record_tests)."""
    spec = _top(tr).spec
    spec.records_reads = True
    _mark(tr.unit, spec, set())


def mark_sequence_reads(tr, name):
    """As :func:`mark_reads`, for code that depends only on whether the differentiated parameter
    ``name`` holds a list or tuple (SEQUENCES): the API then checks just that, per call. At the root,
    ``unit.sequences_read`` collects the names; from a callee (through the callers that passed their
    own parameters on) it is True: every differentiated argument is checked."""
    spec = _top(tr).spec
    if spec.is_root:
        if tr.unit.sequences_read is not True:
            tr.unit.sequences_read = (tr.unit.sequences_read or frozenset()) | {name}
        return
    spec.sequences_reads = True
    _mark(tr.unit, spec, set(), "sequences_read")


def _mark(unit, spec, seen, attr="records_read"):
    if id(spec) in seen:
        return
    seen.add(id(spec))
    if spec.is_root:
        setattr(unit, attr, True)
    for caller in getattr(spec, "records_via", ()):
        _mark(unit, caller, seen, attr)


def request_callee(tr, func, params, structs, guarded, sig, binding, out):
    """``tr.unit.request`` for the user function ``func`` called with ``binding`` (parameter -> argument
    node; ``sig`` its signature): specialised also on the record kinds of its arguments (and of the
    defaults it uses), so that ``g.sum()`` inside is the right one for what this caller passes."""
    pairs, read = [], False
    for p in sig.parameters.values():
        if p.name in binding:
            kind, r = _kind_and_read(tr, binding[p.name], out)
            read = read or r
        elif p.default is not p.empty:
            kind = signature(p.default)
        else:
            kind = None
        if kind is not None:
            pairs.append((p.name, kind))
    seqs, seq_read = sequences.arguments(tr, params, binding)
    if seqs:  # (a list passed where the callee hands it to a NumPy function: converted there)
        pairs.append((SEQUENCES, seqs))
    read = read or bool(seq_read)
    spec = tr.unit.request(func, params, structs, guarded=guarded, records=tuple(pairs))
    if read:
        caller = _top(tr).spec
        spec.records_via.append(caller)
        if getattr(spec, "records_reads", False):  # already generated, depending on these kinds
            _mark(tr.unit, caller, set())
        if getattr(spec, "sequences_reads", False):
            _mark(tr.unit, caller, set(), "sequences_read")
    return spec


def call_kinds(tr, names_values, out):
    """``((name, kind), ...)`` of arguments (plain ones left out), for a call-time specialisation; reading
    them marks the caller's dependence as :func:`receiver_kind` does."""
    pairs = []
    for name, value in names_values:
        kind = receiver_kind(tr, value, out) if isinstance(value, gast.AST) else UNKNOWN
        if kind is not None:
            pairs.append((name, kind))
    return tuple(pairs)


def site_kinds(tr, call, out):
    """The record kinds of a call's arguments for its call-time specialisation (callables.Site.records):
    position or keyword -> kind, plain ones left out; None where ``*args``/``**kwargs`` forward values."""
    if any(isinstance(a, gast.Starred) for a in call.args) or any(k.arg is None for k in call.keywords):
        return None
    pairs = [(i, a) for i, a in enumerate(call.args)] + [(k.arg, k.value) for k in call.keywords]
    kinds = dict(call_kinds(tr, pairs, out))
    seqs, read = sequences.arguments(tr, [p for p, _ in pairs], dict(pairs))
    for param in read:  # the function value's code is chosen when it runs, from what this one knows now
        mark_sequence_reads(tr, param)
    if seqs:  # (callables._records_of: the one-call wrapper's parameters given lists)
        kinds[SEQUENCES] = seqs
    return kinds
