"""The JVP rule registry: how each primitive's tangent is computed, keyed by the callable itself.

A rule is declared in one line and reads like the math (autograd's table, Tangent's templates):

    defjvp(np.sin, "x", "dx * np.cos(x)")               # one partial per differentiable parameter
    defjvp(np.where, "condition, x, y", None, "...", "...")  # None: not differentiable
    defjvp(np.arctan2, "x1, x2", "dx1 * x2 / (x1**2 + x2**2)", "-dx2 * x1 / (x1**2 + x2**2)")
    deflinear(np.sum, "a, axis=None, dtype=None, out=None, keepdims=False")   # tangent = same call on da
    defzero(np.argmax)                                   # piecewise constant: no tangent

Templates are Python expressions over the parameter names, their tangents (``d`` + name), ``ans``
(the primal result, reused rather than recomputed) and the modules ``np`` (the array backend: it
becomes ``xp`` in generated code, so rules never hard-code numpy), ``math`` and ``rt`` (runtime
helpers in :mod:`tangent_fwd.runtime`). A partial may also be a Python callable
``partial(d, ans, *args, **kwargs)`` called at run time with the call's own arguments.

Partials are matched to the parameters in order. Every leading parameter (the positional ones up to
the first with a default, and a ``*args`` right after them) needs a partial or an explicit ``None``
("not differentiable"); the options after them (``axis=None``, ``out=None``, keyword-only ones) may be
left out, which declares them not differentiable. Fewer partials than leading parameters, or more
partials than parameters, is an :class:`~tangent_fwd.errors.ArgumentError` at registration (a
forgotten partial would otherwise drop that argument's tangent silently).
The library's rules in :mod:`tangent_fwd.rules` use exactly this public mechanism.
"""

import ast
import sys
import types

import gast

from . import nodes
from .errors import ArgumentError, TransformError

MODULE_NAMES = ("np", "math", "rt")

_RULES = {}  # op_key(op) -> Rule  (the op is kept alive in Rule.op)
_METHODS = {}  # method name -> Rule (receiver is the parameter 'self')
_ATTRIBUTES = {}  # attribute name -> Rule ('T', 'real', ... linear; 'shape', ... zero)
_version = [0]  # bumped on every registration: compiled functions are cached per version


class Param:
    __slots__ = ("name", "kind", "has_default", "default")

    def __init__(self, name, kind, has_default=False, default=None):
        self.name, self.kind, self.has_default, self.default = name, kind, has_default, default

    def __repr__(self):
        return f"Param({self.name!r}, {self.kind})"


class Rule:
    """One primitive's tangent rule. ``kind`` is 'jvp' (per-argument partials), 'linear' or 'zero'.
    ``joint`` (jvp rules from :func:`_defjoint` only): one template in all the tangents at once."""

    joint = None
    writes = ()  # defwriter rules: the parameters the op writes into in place (their tangents get the write)

    def __init__(
        self, op, name, kind, params=(), partials=None, linear_in=(), origin=None, constant=(), offset=(), view=False
    ):
        self.op, self.name, self.kind = op, name, kind
        self.params = list(params)
        self.partials = dict(partials or {})
        self.linear_in = tuple(linear_in)
        self.origin = origin
        # parameters declared with an explicit None partial: piecewise constant in them (a zero tangent
        # is right); any other parameter without a partial is an option that must not be differentiated
        self.constant = frozenset(constant)
        self.offset = tuple(offset)  # linear rules: keyword parameters that add a constant (left out)
        self.view = view  # the result may share memory with the first argument (the receiver): effects.py

    @property
    def differentiable(self):
        return tuple(self.partials) if self.kind == "jvp" else self.linear_in

    def __repr__(self):
        return f"<Rule {self.kind} {self.name}>"


def parse_params(spec):
    """``"a, axis=None, *ops, keepdims=False"`` -> [Param]. Defaults must be literals."""
    tree = ast.parse(f"def _({spec}): pass").body[0].args
    params = []
    positional = tree.posonlyargs + tree.args
    defaults = [None] * (len(positional) - len(tree.defaults)) + list(tree.defaults)
    for a, d in zip(positional, defaults):
        params.append(Param(a.arg, "pos", d is not None, ast.literal_eval(d) if d is not None else None))
    if tree.vararg is not None:
        params.append(Param(tree.vararg.arg, "var"))
    for a, d in zip(tree.kwonlyargs, tree.kw_defaults):
        params.append(Param(a.arg, "kwonly", d is not None, ast.literal_eval(d) if d is not None else None))
    return params


def _display_name(op):
    mod = getattr(op, "__module__", None) or ""
    qual = getattr(op, "__qualname__", None) or getattr(op, "__name__", None) or repr(op)
    if mod.startswith("numpy"):
        mod = "numpy"
    return f"{mod}.{qual}" if mod and mod != "builtins" else qual


def _check_template(text, allowed, rule_name):
    try:
        expr = nodes.parse_expr(text)
    except SyntaxError as exc:  # name the rule and the template, not "<unknown>, line 1"
        raise ArgumentError(
            f"JVP rule for {rule_name}: template {text!r} is not a Python expression ({exc.msg}, column {exc.offset})",
            hint="a template is one expression over the parameters, their tangents (d + name), 'ans' and "
            f"{MODULE_NAMES}",
        ) from None
    for n in gast.walk(expr):
        if isinstance(n, gast.Name) and n.id not in allowed:
            raise TransformError(
                f"JVP rule for {rule_name}: template {text!r} uses unknown name {n.id!r}",
                hint=f"templates may use the parameters, their tangents (d + name), 'ans' and {MODULE_NAMES}",
            )
    return expr


def _leading(params):
    """The parameters a jvp rule must give a partial (or an explicit None) for: the positional ones up
    to the first one with a default, and a ``*args`` right after them. Parameters from the first
    defaulted or keyword-only one on (``axis=None``, ``out=None``, ``*, dtype=None``) are options:
    their partials may be left out, which declares them non-differentiable."""
    out = []
    for p in params:
        if p.kind == "pos" and not p.has_default:
            out.append(p)
        elif p.kind == "var":
            out.append(p)
            break
        else:
            break
    return out


def _check_arity(params, partials, rule_name):
    """Registration-time arity check: a forgotten partial would silently give a zero tangent and an
    extra one would be silently ignored, so both are errors naming the rule."""
    names = [p.name for p in params]
    sig = ", ".join(names)
    if len(partials) > len(params):
        raise ArgumentError(
            f"JVP rule for {rule_name}: {len(partials)} partials given for {len(params)} parameter(s) ({sig})",
            hint="give one partial per parameter, in order (None for a non-differentiable one), "
            "or add the missing parameters to the parameter list",
        )
    leading = _leading(params)
    if len(partials) < len(leading):
        missing = [p.name for p in leading[len(partials) :]]
        raise ArgumentError(
            f"JVP rule for {rule_name}: no partial for parameter(s) {', '.join(map(repr, missing))} "
            f"({len(partials)} given for ({sig})): their tangents would be silently dropped",
            hint="give a partial for each of them, or None to declare a parameter non-differentiable: "
            f"partials ({', '.join(['...'] * len(partials) + ['None'] * len(missing))}) for ({sig})",
        )


def _make_partials(params, partials, rule_name):
    _check_arity(params, partials, rule_name)
    names = [p.name for p in params]
    allowed = set(names) | {"d" + n for n in names} | {"ans"} | set(MODULE_NAMES)
    out = {}
    for pname, partial in zip(names, partials):
        if partial is None:
            continue
        if isinstance(partial, str):
            out[pname] = _check_template(partial, allowed, rule_name)
        elif callable(partial):
            out[pname] = partial
        else:
            raise TypeError(f"partial for {pname!r} of {rule_name} must be a str template, a callable or None")
    return out


_listeners = []  # called after every registration (the API drops code generated with older rules)


def _register(table, key, rule):
    table[key] = rule
    changed()
    return rule


def changed():
    """Bump the registry version and tell listeners (call after editing the tables directly)."""
    _version[0] += 1
    for listener in list(_listeners):
        listener()


def _caller():
    """file:line of the registering call (two frames up). ``sys._getframe``, not ``inspect.stack()``,
    which reads the source of every frame and made importing the rules slow."""
    frame = sys._getframe(2)
    return f"{frame.f_code.co_filename}:{frame.f_lineno}"


def defjvp(op, params, *partials, name=None, view=False):
    """Register per-argument partial JVPs for ``op``; the tangent is the sum over active arguments.
    ``view=True``: the result may be (a view of) the first argument, so writes through it reach it."""
    return _register(_RULES, op_key(op), _jvp_rule(op, name or _display_name(op), params, partials, view, _caller()))


def _jvp_rule(op, rname, params, partials, view, origin):
    ps = parse_params(params)
    return Rule(
        op,
        rname,
        "jvp",
        ps,
        _make_partials(ps, partials, rname),
        origin=origin,
        constant=_nones(ps, partials),
        view=view,
    )


def _nones(params, partials):
    return [p.name for p, partial in zip(params, partials) if partial is None]


def _check_linear_in(params, linear_in, rule_name):
    if isinstance(linear_in, str):
        raise ArgumentError(
            f"linear rule for {rule_name}: linear_in must be a tuple of parameter names, got the string {linear_in!r}",
            hint=f"write linear_in=({linear_in!r},)",
        )
    names = [p.name for p in params]
    unknown = [n for n in linear_in if n not in names]
    if unknown or not linear_in:
        raise ArgumentError(
            f"linear rule for {rule_name}: linear_in {tuple(linear_in)!r} must name parameters of ({', '.join(names)})",
            hint="list the parameters the op is linear in",
        )
    return tuple(linear_in)


def _defjoint(op, params, template, name=None):
    """A jvp rule whose tangent is ONE template in the tangents of all its differentiable parameters
    (those whose ``d`` + name the template uses), an inactive one's tangent being zeros: for ops whose
    tangent is not a sum of per-argument parts, like ``rt.iset`` (writes the new tangent into the old
    tangent's array in place, as the first-order code writes into its own)."""
    ps = parse_params(params)
    rname = name or _display_name(op)
    names = [p.name for p in ps]
    allowed = set(names) | {"d" + n for n in names} | {"ans"} | set(MODULE_NAMES)
    expr = _check_template(template, allowed, rname)
    used = {n.id for n in gast.walk(expr) if isinstance(n, gast.Name)}
    rule = Rule(op, rname, "jvp", ps, {n: expr for n in names if "d" + n in used}, origin=_caller())
    rule.joint = expr
    return _register(_RULES, op_key(op), rule)


def deflinear(op, params="x", linear_in=None, name=None, constant=(), offset=(), view=False):
    """``op`` is linear in each of ``linear_in`` (default: the first parameter), multilinear jointly:
    the tangent is the same call with one active argument replaced by its tangent, summed. ``constant``
    names parameters the result is piecewise constant in (read for a shape, a mask or an order only): a
    differentiated value there contributes nothing. Any other parameter is an option, and a
    differentiated value passed to it is an error. ``offset`` names keyword parameters that add a
    constant (``np.sum(a, initial=c)``): they are left out of the tangent's call. ``view=True``: the
    result may be (a view of) the first argument (``np.reshape``, ``np.transpose``...): the alias
    analysis follows writes through it, and vector mode keeps its tangent a view."""
    rule = _linear_rule(op, name or _display_name(op), params, linear_in, constant, offset, view, _caller())
    return _register(_RULES, op_key(op), rule)


def _linear_rule(op, rname, params, linear_in, constant, offset, view, origin):
    ps = parse_params(params)
    lin = _check_linear_in(ps, linear_in, rname) if linear_in is not None else (ps[0].name,)
    const = _check_linear_in(ps, constant, rname) if constant else ()
    offset = _check_linear_in(ps, offset, rname) if offset else ()
    return Rule(op, rname, "linear", ps, linear_in=lin, origin=origin, constant=const, offset=offset, view=view)


def defzero(op, name=None):
    """``op`` is piecewise constant (argmax, floor, comparisons, random draws): its result has no tangent."""
    return _register(_RULES, op_key(op), Rule(op, name or _display_name(op), "zero", origin=_caller()))


def defmethod(method, params, *partials, view=False):
    """Like :func:`defjvp` for an array method ``x.method(...)``; the receiver is the parameter ``self``."""
    return _register(_METHODS, method, _jvp_rule(None, f".{method}()", params, partials, view, _caller()))


def defmethod_linear(method, params="self", linear_in=None, offset=(), view=False):
    """Like :func:`deflinear` for an array method ``x.method(...)``; the receiver is ``self``."""
    rule = _linear_rule(None, f".{method}()", params, linear_in, (), offset, view, _caller())
    return _register(_METHODS, method, rule)


def defmethod_zero(method):
    return _register(_METHODS, method, Rule(None, f".{method}()", "zero", origin=_caller()))


def defattr_linear(attribute, view=False):
    rule = Rule(None, f".{attribute}", "linear", parse_params("self"), linear_in=("self",), origin=_caller(), view=view)
    return _register(_ATTRIBUTES, attribute, rule)


def defattr_zero(attribute):
    return _register(_ATTRIBUTES, attribute, Rule(None, f".{attribute}", "zero", origin=_caller()))


def view_functions():
    """The callables whose registered rule says their result may be a view of their first argument."""
    return [r.op for r in _RULES.values() if r.view]


def view_methods():
    """Method and attribute names whose registered rule says the result may be a view of the receiver."""
    return {k for k, r in _METHODS.items() if r.view} | {k for k, r in _ATTRIBUTES.items() if r.view}


def op_key(op):
    """The registry key of a callable: its id, or for a method bound to an object other than a module
    the pair (id of the object, method name). ``np.add.reduce`` is a fresh bound-method object at each
    attribute access, so it is found by (np.add, "reduce"); ``math.sin`` (bound to its module) by id."""
    owner = getattr(op, "__self__", None)
    if (
        owner is not None
        and not isinstance(owner, types.ModuleType)
        and isinstance(op, (types.BuiltinMethodType, types.MethodType))
    ):  # also a Python method bound to an instance (scipy.stats.norm.logpdf: a fresh object at each access)
        return (id(owner), op.__name__)
    return id(op)


def same_op(a, b):
    """Whether two callables are the same op for the registry (``np.add.reduce`` read twice is)."""
    if a is b:
        return True
    key = op_key(a)
    return isinstance(key, tuple) and key == op_key(b) and a.__self__ is b.__self__


# Functions mapping a bound method without a rule to an equivalent one that may have one, or None
# (tangent_fwd.library: a scipy.stats distribution made again by a frozen distribution, same parameters).
ALIASES = []
# Rules registered on first need: module prefix -> functions registering the rules for that module's
# callables, run when a callable of the module is first looked up (scipy.stats and scipy.signal take
# seconds to import; importing tangent_fwd does not import them). all_rules() runs them all. A rule
# table restored to an earlier copy (tests) loses them: they are registered again when next needed.
LAZY = {}
_LOADED = {}  # module prefix -> the keys its functions registered (any still present: loaded)


def lookup(op):
    rule = _RULES.get(op_key(op))
    if rule is not None and same_op(rule.op, op):
        return rule
    if ALIASES and type(op) is types.MethodType:
        for alias in ALIASES:
            other = alias(op)
            rule = None if other is None else _RULES.get(op_key(other))
            if rule is not None and same_op(rule.op, other):
                return rule
    if LAZY and _load_lazy(op):
        return lookup(op)
    return None


def _load_lazy(op):
    """Register the deferred rules of ``op``'s module unless they are registered; whether they were."""
    mod = getattr(op, "__module__", None)
    if not isinstance(mod, str):
        mod = type(getattr(op, "__self__", None)).__module__
    for prefix in LAZY:
        if mod.startswith(prefix):
            return _load(prefix)
    return False


def _load(prefix):
    keys = _LOADED.get(prefix)
    if keys is not None and any(k in _RULES for k in keys):
        return False
    before = set(_RULES)
    for register in LAZY[prefix]:
        register()
    added = set(_RULES) - before
    if added:
        _LOADED[prefix] = added
    return bool(added)


def load_all_lazy():
    """Register every deferred rule now (docs, the rule-coverage test)."""
    for prefix in LAZY:
        _load(prefix)


def defwriter(op, params, template, writes, name=None, method=False):
    """``op`` writes into its parameters ``writes`` in place (``np.add.at(a, indices, b)``,
    ``np.copyto(dst, src)``, ``x.sort()`` with ``method=True`` and the receiver ``self``). ``template``
    is a statement-expression in all the tangents at once (``d`` + name; an inactive one is zeros) that
    applies the same write to the written parameters' tangent buffers. The transform emits it before
    the call, so it may read the primal's values as they are before the write (the permutation of a
    sort). The effects analysis reads ``writes``: a write into memory it cannot follow is refused."""
    ps = parse_params(params)
    rname = name or (f".{op}()" if method else _display_name(op))
    names = [p.name for p in ps]
    allowed = set(names) | {"d" + n for n in names} | set(MODULE_NAMES)
    expr = _check_template(template, allowed, rname)
    used = {n.id for n in gast.walk(expr) if isinstance(n, gast.Name)}
    unknown = [w for w in writes if w not in names]
    if unknown or not writes:
        raise ArgumentError(f"writer rule for {rname}: writes {tuple(writes)!r} must name parameters of ({params})")
    rule = Rule(None if method else op, rname, "jvp", ps, {n: expr for n in names if "d" + n in used}, origin=_caller())
    rule.joint = expr
    rule.writes = tuple(writes)
    if method:
        return _register(_METHODS, op, rule)
    return _register(_RULES, op_key(op), rule)


def lookup_method(method):
    return _METHODS.get(method)


def lookup_attribute(attribute):
    return _ATTRIBUTES.get(attribute)


def version():
    return _version[0]


def is_index_trick(obj):
    """Whether ``obj`` is NumPy's ``r_`` or ``c_`` (an AxisConcatenator): ``np.r_[a, b]`` is a linear
    function of its pieces written as indexing, differentiated by the transform (not by a rule)."""
    t = type(obj)
    return t.__name__ in ("RClass", "CClass") and t.__module__.split(".")[0] == "numpy"


def all_rules():
    """Every registered rule as (table, key, Rule), for docs and the rule-coverage test. (The library's
    rules are registered by the package's __init__, which runs before this module is imported: the
    registry never imports the rules, which import it.)"""
    load_all_lazy()
    out = [("function", r.name, r) for r in _RULES.values()]
    out += [("method", k, r) for k, r in _METHODS.items()]
    out += [("attribute", k, r) for k, r in _ATTRIBUTES.items()]
    return out
