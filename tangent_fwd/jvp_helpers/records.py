"""Dataclass and namedtuple values ("records") with differentiated fields: their tangent is a record of
the same type whose fields are the fields' tangents (as JAX treats registered pytrees). Helpers called
from generated code as ``rt.records.<fn>``; each has a rule of its own (rules/runtime_rules.py)."""

import copy
import dataclasses
import inspect
import types

from ..errors import NotDifferentiableHere


def is_record(x):
    """A dataclass instance or a namedtuple."""
    return (dataclasses.is_dataclass(x) and not isinstance(x, type)) or (
        isinstance(x, tuple) and hasattr(type(x), "_fields")
    )


def names(x):
    if isinstance(x, tuple):
        return tuple(type(x)._fields)
    return tuple(f.name for f in dataclasses.fields(x))


def values(x):
    """The fields in order (a tuple's items: the tangent of a namedtuple may be a plain tuple)."""
    if isinstance(x, tuple):
        return list(x)
    return [getattr(x, n) for n in names(x)]


def rebuild(template, items):
    """A record of ``template``'s type holding ``items`` (in field order), built without calling
    ``__init__``/``__post_init__`` (a tangent is not a value those may validate or derive from)."""
    items = list(items)
    if isinstance(template, tuple):
        return type(template)(*items)
    out = copy.copy(template)
    for n, v in zip(names(template), items):
        object.__setattr__(out, n, v)  # frozen dataclasses too
    return out


def field(tangent, name, where):
    """Tangent of ``value.name`` where the value's tangent is ``tangent``: its field ``name``."""
    if is_record(tangent) and name in names(tangent):
        return getattr(tangent, name)
    raise NotDifferentiableHere(
        f"{where}: no JVP rule for the attribute '.{name}' of a differentiated {type(tangent).__name__} "
        "(tangents follow the fields of dataclasses and namedtuples only)"
    )


def build(template, tangents):
    """Tangent of a record constructor call whose value is ``template``: ``tangents`` in field order."""
    return rebuild(template, tangents)


def replace(tangent, keys, tangents):
    """Tangent of ``dataclasses.replace(value, **changes)`` / ``value._replace(**changes)``."""
    new = dict(zip(keys, tangents))
    return rebuild(tangent, [new[n] if n in new else getattr(tangent, n) for n in names(tangent)])


def method(obj, name, where):
    """The plain function behind ``obj.name(...)`` for a differentiated record ``obj`` (called as
    ``function(obj, ...)`` through a call-time JVP): a function defined on its class, not shadowed by an
    instance attribute. Anything else (a staticmethod, a builtin method) is refused naming the line."""
    attr = inspect.getattr_static(type(obj), name, None)
    if is_record(obj) and isinstance(attr, types.FunctionType) and name not in getattr(obj, "__dict__", {}):
        return attr
    raise NotDifferentiableHere(
        f"{where}: .{name}() is called on a differentiated {type(obj).__name__}: tangent_fwd follows methods "
        "defined as plain functions on a dataclass or namedtuple class only"
    )
