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
import types

import gast
import numpy as np

from . import dynamic_calls, nodes, record_kinds, registry
from .errors import NotDifferentiableHere, UnsupportedSyntaxError
from .jvp_helpers import records as rt_records
from .parse import MISSING
from .states import LIVE

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
    """``target = s.step(dt)`` where ``s`` is a differentiated local and ``step`` no rule's method, or
    ``target = g.sum()`` / ``g.T`` where ``g`` is a record whose class defines ``sum`` / ``T``: the function
    of ``s``'s class (rt.records.method, checked when it runs) called with ``s`` first, through a
    call-time JVP. False when ``sexpr`` is not such a call (a receiver that may be such a record but
    cannot be followed is checked when it runs, before the array rule: :func:`check_receiver`)."""
    if target in tr.namer.temps:  # what a temporary of the transform holds, for later questions about it
        record_kinds.kinds(tr).note(target, sexpr)
    if isinstance(sexpr, gast.Attribute):
        return _attribute(tr, target, sexpr, out)
    f = sexpr.func
    if isinstance(f, gast.Name) and f.id in tr.act.active and _holds_records(tr, f.id):
        f = gast.Attribute(value=f, attr="__call__", ctx=gast.Load())  # layer(x): the class's __call__
    elif not isinstance(f, gast.Attribute) or f.attr == "_replace":
        return False
    elif tr.info.resolve(f, tr.visible_locals) is not MISSING:
        return False
    elif f.attr in _BUILTIN_METHODS or record_kinds.special(f.attr):
        # g.sum(): the class's own method on a record that defines one, the array's rule otherwise
        if _decide(tr, f.value, f.attr, sexpr, out) != "record":
            return False
    elif not (isinstance(f.value, gast.Name) and f.value.id in tr.act.active):
        return False
    fn = tr.namer.temp()
    where = nodes.const(_where(tr, sexpr))
    out.append(nodes.assign(fn, _rt(tr, "method", nodes.clone(f.value), nodes.const(f.attr), where)))
    call = gast.Call(func=nodes.name(fn), args=[nodes.clone(f.value)] + list(sexpr.args), keywords=sexpr.keywords)
    dynamic_calls.emit(tr, target, call, out)
    return True


def statement_call(tr, call, out):
    """``g.append(x)`` / ``g.sort()`` as a statement, where ``g`` is a record whose class defines that
    method (which the array's or list's rule would otherwise apply to the tangent record): the class's
    method, as :func:`method_call` calls it, its value dropped. False for anything else."""
    f = call.func
    if not isinstance(f, gast.Attribute) or not record_kinds.special(f.attr):
        return False
    if tr.info.resolve(f, tr.visible_locals) is not MISSING or _decide(tr, f.value, f.attr, call, out) != "record":
        return False
    tmp = tr.namer.temp()
    tr.act.active.add(tmp)
    tr.assign_name(tmp, tr.simplify(call, out), out)
    return True


def _attribute(tr, target, e, out):
    """``target = g.T`` where ``.T`` has an array rule: a record's field (its tangent), or its property
    (the getter through a call-time JVP); False for an array (the rule applies)."""
    if registry.lookup_attribute(e.attr) is None or tr.info.resolve(e, tr.visible_locals) is not MISSING:
        return False
    if _decide(tr, e.value, e.attr, e, out) != "record":
        return False
    classes = record_kinds.record_classes(record_kinds.receiver_kind(tr, e.value, out))
    if all(e.attr in _field_names(c) for c in classes):
        out.append(nodes.assign(target, e))
        tv = tr.t(e.value)
        if tv is None:
            tr.set_zero(target, out, e)
        else:
            out.append(nodes.assign(tr.tangent_name(target), field_tangent(tr, e, tv)))
            tr.state[target] = LIVE
        return True
    fn = tr.namer.temp()
    getter = nodes.name(tr.unit.const(property_getter, "property_getter"))
    out.append(nodes.assign(fn, nodes.call(getter, [nodes.clone(e.value), nodes.const(e.attr), _where_node(tr, e)])))
    call = gast.Call(func=nodes.name(fn), args=[nodes.clone(e.value)], keywords=[])
    dynamic_calls.emit(tr, target, call, out)
    return True


def _where_node(tr, node):
    return nodes.const(_where(tr, node))


def _decide(tr, receiver, name, node, out):
    """Returns "record" when ``receiver`` is a record whose class defines ``name``; "plain" when it is not a
    record (or a record without it: Python raises as yours does); "checked" when that cannot be known
    here: a check that refuses such a record when the code runs is emitted first."""
    kind = record_kinds.receiver_kind(tr, receiver, out)
    classes = record_kinds.record_classes(kind)
    defining = [c for c in classes if name in _defined(c)]
    if classes and len(defining) == len(classes):
        return "record"  # (of one of several classes: the method is looked up on the one passed, when it runs)
    if classes and not defining:
        return "plain"
    if (kind is record_kinds.UNKNOWN or classes) and record_kinds.special(name):
        check = nodes.name(tr.unit.const(check_receiver, "check_receiver"))
        out.append(
            nodes.expr_stmt(nodes.call(check, [nodes.clone(receiver), nodes.const(name), _where_node(tr, node)]))
        )
        return "checked"
    return "plain"


def _defined(cls):
    """Names a record class itself defines (not inherited from tuple or object)."""
    return record_kinds.vars_of(cls)


def refuse_inactive_shadows(tr):
    """Before ``tr`` transforms its function: ``b.size`` / ``g.argmax()`` where ``b`` is a differentiated
    record whose class defines ``size`` / ``argmax`` and the array's rule for it has no tangent (the
    activity analysis then treats the result as constant): refused naming the line, rather than a
    zero derivative."""
    body = gast.Module(body=tr.fnode.body, type_ignores=[])
    for n in nodes.nodes_of(body, (gast.Attribute, gast.Call)):
        if isinstance(n, gast.Call):
            if not isinstance(n.func, gast.Attribute):
                continue
            recv, name, rule = n.func.value, n.func.attr, registry.lookup_method(n.func.attr)
        elif isinstance(n.ctx, gast.Load):
            recv, name, rule = n.value, n.attr, registry.lookup_attribute(n.attr)
        else:
            continue
        if rule is None or rule.kind != "zero" or not tr.act.expr(recv):
            continue
        cls = next(
            (c for c in record_kinds.record_classes(record_kinds.receiver_kind(tr, recv, [])) if name in _defined(c)),
            None,
        )
        if cls is not None:
            what = f"field {name!r}" if name in _field_names(cls) else f"attribute {name!r}"
            raise tr.error(
                n,
                f"{cls.__name__} defines the {what}, whose name is that of an array attribute or method "
                f"without a derivative (.{name}): on a differentiated {cls.__name__} it would be read as constant",
                UnsupportedSyntaxError,
                hint=f"rename {cls.__name__}.{name} (e.g. {name}_), or pass it as an argument of its own",
            )


def check_receiver(value, name, where):
    """Run before an array rule is applied to ``value.name`` where the compiler could not tell whether
    ``value`` is a record whose class defines ``name`` (the rule would then be wrong): refuses one."""
    cls = value.__class__
    if cls in record_kinds._PLAIN or not rt_records.is_record(value) or name not in _defined(cls):
        return None
    raise NotDifferentiableHere(
        f"{where}: .{name} is used on a {cls.__name__}, whose class defines {name}, where the compiler could "
        f"not tell it apart from an array's .{name} (the value comes from code it does not follow: a function "
        "value, an object attribute, a container changed in place)",
    )


def property_getter(obj, name, where):
    """The getter of the property ``name`` of ``obj``'s record class (called as ``getter(obj)`` through a
    call-time JVP); anything else is refused naming the line."""
    attr = inspect.getattr_static(type(obj), name, None)
    if rt_records.is_record(obj) and isinstance(attr, property) and isinstance(attr.fget, types.FunctionType):
        return attr.fget
    raise NotDifferentiableHere(
        f"{where}: .{name} is read on a differentiated {type(obj).__name__}: tangent_fwd follows fields and "
        "properties defined with plain functions of dataclass and namedtuple classes only"
    )


registry.defzero(check_receiver)  # a check: no tangent of its own
registry.defzero(property_getter)  # which function: no tangent of its own
