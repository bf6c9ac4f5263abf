"""Dataclasses and namedtuples built from differentiated values (transform.py calls these).

The tangent of a record is a record of the same type holding the fields' tangents (a pytree, as in
JAX); jvp accepts such tangents for record arguments (api._check_tangent) and returns them for record
results. Three operations carry tangents:

* construction ``State(pos=x, vel=v)`` / ``P(a, b)``: ``rt.records.build(ans, [dpos, dvel])``, the
  tangent record built without calling ``__init__`` (a dataclass with ``__post_init__`` may derive
  fields from the others: refused, naming the line, since the derived fields' tangents would be lost);
* field reads ``s.pos``: ``rt.records.field(ds, "pos", where)`` (an attribute of an array, such as
  ``.T``, keeps its rule; an attribute no rule and no record field knows is refused at run time);
* ``dataclasses.replace(s, vel=v)`` and ``s._replace(vel=v)``: ``rt.records.replace(ds, ...)``;
* a method of the record's class, ``s.step(dt)``: ``type(s).step(s, dt)`` through a call-time JVP
  (dynamic_calls), specialised on the class actually passed.
"""

import dataclasses
import inspect

import gast
import numpy as np

from . import dynamic_calls, nodes, registry
from .errors import UnsupportedSyntaxError
from .parse import MISSING

# an array's data attributes (.ctypes, .base...): no record field (a namedtuple's .var or .mean may be)
_ARRAY_ATTRIBUTES = frozenset(n for n in dir(np.ndarray) if not callable(getattr(np.ndarray, n, None)))


def is_record_type(obj):
    return isinstance(obj, type) and (
        dataclasses.is_dataclass(obj) or (issubclass(obj, tuple) and hasattr(obj, "_fields"))
    )


def _where(tr, node):
    err = tr.info.error(node, "")
    return f"{err.filename}:{err.lineno}"


def _rt(tr, fn, *args):
    return nodes.call(nodes.attr(nodes.attr(nodes.name(tr.unit.rt), "records"), fn), list(args))


def may_be_field(attr):
    """An attribute read that no rule knows may be a record's field (an ndarray data attribute may not)."""
    return attr not in _ARRAY_ATTRIBUTES and not attr.startswith("__")


def field_tangent(tr, e, tv):
    return _rt(tr, "field", tv, nodes.const(e.attr), nodes.const(_where(tr, e)))


def _field_names(cls):
    if dataclasses.is_dataclass(cls):
        return [f.name for f in dataclasses.fields(cls)]
    return list(cls._fields)


def _ans(tr):
    return nodes.name(tr.ANS)


def construct_tangent(tr, call, cls):
    """The tangent of ``cls(...)`` (a record type), or None when no argument carries one."""
    if dataclasses.is_dataclass(cls):
        init_fields = [f for f in dataclasses.fields(cls) if f.init]
        if hasattr(cls, "__post_init__") or len(init_fields) != len(dataclasses.fields(cls)):
            raise tr.error(
                call,
                f"the dataclass {cls.__name__} derives fields in __post_init__ (or has init=False fields): "
                "their tangents would not follow the fields they are computed from",
                UnsupportedSyntaxError,
                hint="compute the derived values outside the dataclass, or register a rule for its "
                f"construction with tangent_fwd.defjvp({cls.__name__}, ...)",
            )
    if any(isinstance(a, gast.Starred) for a in call.args) or any(k.arg is None for k in call.keywords):
        raise tr.error(
            call,
            f"{cls.__name__}(*args/**kwargs) with differentiated values is not supported",
            UnsupportedSyntaxError,
            hint="pass the fields one by one",
        )
    try:
        bound = inspect.signature(cls).bind(*call.args, **{k.arg: k.value for k in call.keywords})
    except TypeError as exc:
        raise tr.error(call, f"call to {cls.__name__}: {exc}") from None
    tans = {n: tr.t(v) for n, v in bound.arguments.items() if isinstance(v, gast.AST)}
    if all(t is None for t in tans.values()):
        return None
    items = []
    for name in _field_names(cls):
        if tans.get(name) is not None:
            items.append(tans[name])
        elif name in bound.arguments:
            items.append(tr.zeros_of(bound.arguments[name]))
        else:  # a default: a constant
            items.append(tr.zeros_of(nodes.attr(_ans(tr), name)))
    return _rt(tr, "build", _ans(tr), nodes.list_(items))


def replace_tangent(tr, call, receiver):
    """``dataclasses.replace(s, k=v)`` (receiver None) or ``s._replace(k=v)``; None if not one of them."""
    if receiver is None:
        if tr.info.resolve(call.func, tr.visible_locals) is not dataclasses.replace or len(call.args) != 1:
            return None
        receiver = call.args[0]
    if any(k.arg is None for k in call.keywords):
        raise tr.error(
            call,
            "replace(**changes) with differentiated values is not supported",
            UnsupportedSyntaxError,
            hint="name the changed fields",
        )
    tans = [tr.t(k.value) for k in call.keywords]
    base = tr.t(receiver)
    if base is None and all(t is None for t in tans):
        return None
    if base is None:
        base = tr.zeros_of(receiver)
    keys = nodes.list_([nodes.const(k.arg) for k in call.keywords])
    values = nodes.list_([t if t is not None else tr.zeros_of(k.value) for t, k in zip(tans, call.keywords)])
    return _rt(tr, "replace", base, keys, values)


def is_record_call(tr, call):
    """Whether ``call`` builds or replaces a record (checked before user functions: dataclasses.replace
    has Python source, and is not differentiated through it)."""
    f = call.func
    obj = tr.info.resolve(f, tr.visible_locals)
    if obj is not MISSING:
        return is_record_type(obj) or obj is dataclasses.replace
    return isinstance(f, gast.Attribute) and f.attr == "_replace" and not call.args


def call_tangent(tr, call):
    """A record construction or replace; False when ``call`` is neither (None: a zero tangent)."""
    f = call.func
    obj = tr.info.resolve(f, tr.visible_locals)
    if obj is not MISSING and is_record_type(obj):
        return construct_tangent(tr, call, obj)
    if obj is dataclasses.replace:
        return replace_tangent(tr, call, None)
    if obj is MISSING and isinstance(f, gast.Attribute) and f.attr == "_replace" and not call.args:
        return replace_tangent(tr, call, f.value)
    return False


# methods of the built-in values an active local may hold: their rules (or their refusals) stay as they are
_BUILTIN_METHODS = frozenset(
    n for t in (np.ndarray, np.generic, list, dict, tuple, str, float, int, complex, set) for n in dir(t)
)


_TUPLE_METHODS = frozenset(dir(tuple))  # a namedtuple's count/index and the object protocol


def _holds_records(tr, name):
    """Whether every assignment to the local ``name`` in this function builds a record (``layer =
    Layer(W)``): calling it calls its class's ``__call__``, not a function value whose tangent is a JVP."""
    assigns = tr.__dict__.get("_records_assigns")
    if assigns is None:  # asked for each method call on an active local: the function walked once
        assigns = tr._records_assigns = nodes.nodes_of(gast.Module(body=tr.fnode.body, type_ignores=[]), gast.Assign)
    values = [
        s.value
        for s in assigns  # (gast.walk's order)
        if any(isinstance(t, gast.Name) and t.id == name for t in s.targets)
    ]
    return bool(values) and all(isinstance(v, gast.Call) and _builds_record(tr, v) for v in values)


def _builds_record(tr, call):
    """Whether ``call`` builds a record: a record class called, ``dataclasses.replace`` or ``._replace``."""
    f = call.func
    obj = tr.info.resolve(f, tr.visible_locals)
    if obj is not MISSING and is_record_type(obj) or obj is dataclasses.replace:
        return True
    return obj is MISSING and isinstance(f, gast.Attribute) and f.attr == "_replace"


def method_call(tr, target, sexpr, out):
    """``target = s.step(dt)`` where ``s`` is a differentiated local and ``step`` no rule's method: the
    function ``step`` of ``s``'s class (rt.records.method, checked when it runs) called with ``s`` first,
    through a call-time JVP. False when ``sexpr`` is not such a call."""
    f = sexpr.func
    if isinstance(f, gast.Name) and f.id in tr.act.active and _holds_records(tr, f.id):
        f = gast.Attribute(value=f, attr="__call__", ctx=gast.Load())  # layer(x): the class's __call__
    elif not (isinstance(f, gast.Attribute) and isinstance(f.value, gast.Name) and f.value.id in tr.act.active):
        return False
    elif f.attr == "_replace" or f.attr in _TUPLE_METHODS:
        return False
    elif _holds_records(tr, f.value.id):
        pass  # g = Gauss(mu, s); g.sum(): the class's own method, not the array method of that name
    elif f.attr in _BUILTIN_METHODS or registry.lookup_method(f.attr) is not None:
        return False
    elif tr.info.resolve(f, tr.visible_locals) is not MISSING:
        return False
    fn = tr.namer.temp()
    where = nodes.const(_where(tr, sexpr))
    out.append(nodes.assign(fn, _rt(tr, "method", nodes.clone(f.value), nodes.const(f.attr), where)))
    call = gast.Call(func=nodes.name(fn), args=[nodes.clone(f.value)] + list(sexpr.args), keywords=sexpr.keywords)
    dynamic_calls.emit(tr, target, call, out)
    return True
