"""Library code as it ships: callables with a rule passed straight to the API (``jvp(np.sin, ...)``),
identity-like and inactive library helpers (``defidentity``, ``defzero``), and array-API namespaces.

A ufunc, a NumPy array function, ``operator.mul`` or ``math.sin`` has no Python source and often
refuses weak references, so it cannot be compiled or cached the way a user function is. Instead the
API compiles a generated one-call wrapper, ``def sin(x): return np.sin(x)``, exactly as it compiles
user code: the rule applies at the call, the cache keys on the wrapper (which takes weak references),
and ``tangent_fwd.source(np.sin)`` shows readable code. One wrapper exists per (callable, number of
positional arguments); only positional arguments are forwarded, so the call made is the call written.
"""

import builtins
import cmath
import inspect
import keyword
import linecache
import math
import operator
import types
from collections.abc import Callable
from typing import Any

import numpy

from . import activity, registry, scipy_stats
from .errors import ArgumentError, MissingRuleError
from .parse import FOLLOWED_WRAPPERS, library_source

_WRAPPERS = {}  # (registry key of op, arity) -> (op, wrapper); the op is kept alive here
_BY_ID = {}  # id(op) -> (op, {arity: wrapper}): the fast path for an op passed again
_FunctionType = types.FunctionType
_STAR_FLAGS = inspect.CO_VARARGS | inspect.CO_VARKEYWORDS
_RULE_TABLE = registry._RULES  # a plain function's rule is keyed by its id
_key = getattr(registry, "op_key", id)  # np.add.reduce is a new object at each access: keyed by owner and name
_WRAPPER_CODES = set()  # the code objects of generated wrappers
_KW_WRAPPERS = {}  # (registry key of op, arity, keyword names) -> (op, wrapper taking those keywords too)
_MODULE_NAME = "tangent_fwd.library"


def entry(func: Any, arity: int | None = None) -> Any:
    """The function the compiler transforms for ``func``: ``func`` itself when it is Python code
    without a rule, else a one-call wrapper around it taking ``arity`` positional arguments (default:
    the parameters its rule needs). A callable with neither a rule nor Python source is refused."""
    hit = _BY_ID.get(id(func))
    if hit is not None and hit[0] is func:  # an op passed before: one dict lookup
        wrapper = hit[1].get(arity)
        if wrapper is not None:
            return wrapper
    elif type(func) is _FunctionType:  # a plain function: transformed itself unless it has a rule
        rule = _RULE_TABLE.get(id(func))
        if rule is None and registry.LAZY and (func.__module__ or "").startswith("scipy."):  # lfilter: its
            # module's rules are registered on first need (registry.LAZY)
            rule = registry.lookup(func)
        if (rule is None or rule.op is not func) and not (
            func.__code__.co_flags & _STAR_FLAGS and hasattr(func, "__wrapped__")
        ):
            return func
    hit = _WRAPPERS.get((_key(func), arity))
    if hit is not None and (hit[0] is func or _same(hit[0], func)):
        _remember(func, arity, hit[1])
        return hit[1]
    rule = registry.lookup(func)
    if rule is None and scipy_stats.is_axis_nan_policy(func):  # scipy.stats.skew...: the generated function
        follower = scipy_stats.follower(func)  # that follows SciPy's wrapper (or a TransformError saying why not)
        _WRAPPERS[(_key(func), arity)] = (func, follower)
        _remember(func, arity, follower)
        return follower
    if rule is None and type(func) is _FunctionType:  # a functools.wraps wrapper taking *args: called with
        wrapper = _make_wraps_call(func, arity)  # its __wrapped__ signature, so wrt names those parameters
        _WRAPPERS[(_key(func), arity)] = (func, wrapper)
        _remember(func, arity, wrapper)
        return wrapper
    if rule is None:
        implementation = library_source(func)
        if implementation is not None:
            return implementation  # np.average, scipy.special.logsumexp...: transformed through their source
        if isinstance(func, (types.BuiltinFunctionType, numpy.ufunc)) or _is_dispatcher(func):
            raise MissingRuleError(
                f"{_display(func)} has no JVP rule and no Python source that tangent_fwd can transform",
                hint=f"register one (tangent_fwd.defjvp({getattr(func, '__name__', 'op')}, 'x', 'dx * ...')), "
                "or call it from a function of your own",
            )
        return func  # another callable (bound method, partial...): the API's usual path decides
    wrapper = _make_wrapper(func, rule, arity)
    _WRAPPERS[(_key(func), arity)] = (func, wrapper)
    _remember(func, arity, wrapper)
    return wrapper


def _remember(func, arity, wrapper):
    hit = _BY_ID.get(id(func))
    if hit is None or hit[0] is not func:
        hit = _BY_ID[id(func)] = (func, {})
    hit[1][arity] = wrapper


def _same(a, b):
    same = getattr(registry, "same_op", None)
    return same is not None and same(a, b)


def is_wrapper(func: Any) -> bool:
    """Whether ``func`` is a wrapper generated by :func:`entry`."""
    return getattr(func, "__code__", None) in _WRAPPER_CODES


def _is_dispatcher(func):
    return type(func).__name__ == "_ArrayFunctionDispatcher"


def _display(op):
    return registry._display_name(op)


def _path(op):
    """(alias, module, dotted attribute) naming ``op`` in readable source, or None."""
    from .compiler import numpy_paths

    entry_ = numpy_paths().get(id(op))
    if entry_ is not None and entry_[0] is op and entry_[1]:
        return "np", numpy, entry_[1]
    name = getattr(op, "__name__", None)
    if not isinstance(name, str) or not name.isidentifier():
        return None
    for alias, mod in (("math", math), ("cmath", cmath), ("operator", operator), ("builtins", builtins)):
        if getattr(mod, name, None) is op:
            return alias, mod, name
    modname = getattr(op, "__module__", None)
    candidates = [modname] if isinstance(modname, str) else []
    if isinstance(op, numpy.ufunc):
        candidates.append("scipy.special")
    for modname in candidates:
        mod = _imported(modname)
        public = _public_module(modname)
        for m, path in ((public, public and public.__name__), (mod, modname)):
            if m is not None and getattr(m, name, None) is op:
                alias = path.replace(".", "_")
                return alias, m, name
    return None


def _imported(modname):
    import sys

    return sys.modules.get(modname)


def _public_module(modname):
    """``scipy.special`` for ``scipy.special._logsumexp``: the module users import the name from."""
    import sys

    parts = modname.split(".")
    while parts and parts[-1].startswith("_"):
        parts.pop()
    return sys.modules.get(".".join(parts)) if parts else None


def _param_names(op, rule, arity):
    positional = [p.name for p in rule.params if p.kind == "pos"]
    var = next((p.name for p in rule.params if p.kind == "var"), None)
    if arity is None:
        leading = registry._leading(rule.params)
        arity = sum(p.kind == "pos" for p in leading)
        if rule.kind == "zero" or arity == 0:
            arity = _required_positional(op)
    if arity > len(positional) and var is None and rule.kind != "zero":
        raise ArgumentError(
            f"{_display(op)} takes at most {len(positional)} positional argument(s) ({', '.join(positional)}); "
            f"got {arity}",
            hint="pass options through a function of your own: def f(x): return op(x, option=...)",
        )
    names = []
    for i in range(arity):
        if i < len(positional):
            names.append(positional[i])
        elif var is not None:
            names.append(f"{var}{i - len(positional)}")
        else:
            names.append(f"x{i}")
    return [
        n + "_" if keyword.iskeyword(n) or n in ("np", "math", "cmath", "operator", "builtins") else n for n in names
    ]


def _required_positional(op):
    try:
        sig = inspect.signature(op)
    except (TypeError, ValueError):
        return 1
    return max(
        1,
        sum(
            p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and p.default is p.empty
            for p in sig.parameters.values()
        ),
    )


def _make_wrapper(op, rule, arity, keywords=()):
    params = _param_names(op, rule, arity)
    path = _path(op)
    ns = {"__name__": _MODULE_NAME}
    if path is None:
        callee = "library_callable"
        ns[callee] = op
        fname = _fname(getattr(op, "__name__", "call"))
    else:
        alias, mod, attr = path
        ns[alias] = mod
        callee = f"{alias}.{attr}"
        fname = _fname(attr.rsplit(".", 1)[-1])
    if fname in params or fname in ns or fname in keywords:
        fname += "_call"
    args = ", ".join(params)
    src = f"def {fname}({_with_keywords(args, keywords)}):\n    return {callee}({_pass_keywords(args, keywords)})\n"
    filename = f"<tangent_fwd call {_display(op)} {len(_WRAPPERS)}>"
    linecache.cache[filename] = (len(src), None, src.splitlines(True), filename)
    exec(compile(src, filename, "exec"), ns)
    wrapper = ns[fname]
    wrapper.__doc__ = f"{_display(op)}({args}), as a function tangent_fwd compiles."
    wrapper.__tangent_fwd_wraps__ = op
    _WRAPPER_CODES.add(wrapper.__code__)
    return wrapper


def _make_wraps_call(func, arity, keywords=()):
    """``def f(x): return decorated(x)`` for a decorated function whose wrapper takes ``*args``: the
    parameters are the wrapped function's (``inspect.signature`` follows ``__wrapped__``), and only the
    positional arguments given (``arity``, default the required ones) are passed on."""
    try:
        params = [
            p
            for p in inspect.signature(func).parameters.values()
            if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
        ]
    except (TypeError, ValueError):
        return func
    if arity is None:
        arity = sum(p.default is p.empty for p in params)
    if arity > len(params):
        return func  # more arguments than named parameters: the wrapper's own *args decide (refused there)
    names = [p.name for p in params[:arity]]
    if any(keyword.iskeyword(n) or n == "decorated" for n in names) or "decorated" in keywords:
        return func
    args = ", ".join(names)
    fname = _fname(func.__name__)
    if fname in names or fname in keywords:
        fname += "_call"
    src = f"def {fname}({_with_keywords(args, keywords)}):\n    return decorated({_pass_keywords(args, keywords)})\n"
    filename = f"<tangent_fwd call {func.__qualname__} {len(_WRAPPERS)}>"
    linecache.cache[filename] = (len(src), None, src.splitlines(True), filename)
    ns = {"__name__": _MODULE_NAME, "decorated": func}
    exec(compile(src, filename, "exec"), ns)
    wrapper = ns[fname]
    wrapper.__doc__ = func.__doc__
    wrapper.__tangent_fwd_wraps__ = func
    _WRAPPER_CODES.add(wrapper.__code__)
    return wrapper


def entry_with_keywords(func: Any, arity: int, keywords: tuple[str, ...]) -> Any:
    """:func:`entry` for a call that also passes keyword arguments (``forward_diff(np.sum)(x, dx,
    axis=0)``): the one-call wrapper takes them as parameters of the same names and passes them on by
    keyword (``def sum(a, *, axis): return np.sum(a, axis=axis)``). The plain wrapper takes positional
    parameters only, so its generated function had no place for them (a TypeError from inside)."""
    plain = entry(func, arity)
    if not keywords or not is_wrapper(plain):
        return plain  # Python code (or SciPy's followed wrapper) takes its keyword arguments itself
    key = (_key(func), arity, keywords)
    hit = _KW_WRAPPERS.get(key)
    if hit is not None and hit[0] is func:
        return hit[1]
    taken = list(inspect.signature(plain).parameters)
    clash = [k for k in keywords if k in taken]
    bad = [k for k in keywords if not k.isidentifier() or keyword.iskeyword(k)]
    if clash or bad:
        raise ArgumentError(
            f"{_display(func)}: keyword argument(s) {', '.join(map(repr, clash or bad))} "
            + ("also given by position" if clash else "cannot be passed on by name"),
            hint=f"call {_display(func)} from a function of your own and differentiate that",
        )
    rule = registry.lookup(func)
    if rule is None:
        wrapper = _make_wraps_call(func, arity, keywords)
        if wrapper is func:
            return plain
    else:
        wrapper = _make_wrapper(func, rule, arity, keywords)
    _KW_WRAPPERS[key] = (func, wrapper)
    return wrapper


def _with_keywords(args, keywords):
    """Keyword-only: the tangents follow the positional parameters in the generated function."""
    return ", ".join([args] * bool(args) + ["*"] * bool(keywords) + list(keywords))


def _pass_keywords(args, keywords):
    return ", ".join([args] * bool(args) + [f"{k}={k}" for k in keywords])


def _fname(name):
    name = name if isinstance(name, str) and name.isidentifier() and not keyword.iskeyword(name) else "call"
    return name


# ---------------------------------------------------------------------------------------------
# declarations for library helpers


def defidentity(op: Callable[..., Any], params: str | None = None, name: str | None = None) -> Any:
    """Declare ``op`` identity-like: it returns its first argument, possibly converted or validated
    (``np.asarray_chkfinite``, ``np.atleast_1d``, SciPy's ``_asarray_validated``), so the tangent of its
    result is the same call applied to the first argument's tangent. Its other parameters are options:
    a differentiated value passed to one of them is refused. ``params`` as for :func:`deflinear`;
    by default read from ``op``'s signature.

    Use it only for functions that are linear in their first argument; an integer- or boolean-valued
    helper, or one that reads only shapes and dtypes, is declared with :func:`tangent_fwd.defzero`.
    """
    rname = name or _display(op)
    if params is not None:
        ps = registry.parse_params(params)
    else:
        ps = _signature_params(op, rname)
    if not ps or ps[0].kind not in ("pos", "var"):
        raise ArgumentError(f"defidentity({rname}): its first parameter must be positional")
    rule = registry.Rule(op, rname, "linear", ps, linear_in=(ps[0].name,), origin=registry._caller())
    return registry._register(registry._RULES, _key(op), rule)


def _signature_params(op, rname):
    try:
        sig = inspect.signature(op)
    except (TypeError, ValueError):
        raise ArgumentError(f"defidentity({rname}): cannot read its signature; pass params='x, ...'") from None
    kinds = {
        inspect.Parameter.POSITIONAL_ONLY: "pos",
        inspect.Parameter.POSITIONAL_OR_KEYWORD: "pos",
        inspect.Parameter.VAR_POSITIONAL: "var",
        inspect.Parameter.KEYWORD_ONLY: "kwonly",
    }
    out = []
    for p in sig.parameters.values():
        if p.kind == p.VAR_KEYWORD:  # **kwargs: options (bind() accepts any keyword then)
            out.append(registry.Param("kwargs", "kwonly", True, None))
            continue
        has = p.default is not p.empty
        out.append(registry.Param(p.name, kinds[p.kind], has, p.default if has else None))
    return out


def _optional(path):
    """``module.attr`` if importable (SciPy's private helpers move between releases), else None."""
    import importlib

    modname, _, attr = path.rpartition(".")
    try:
        return getattr(importlib.import_module(modname), attr, None)
    except Exception:  # not installed, or a private module that moved
        return None


# array API namespaces: `xp = array_namespace(x)` holds the array backend (parse.NAMESPACE_FUNCTIONS)
NAMESPACE_FUNCTIONS = (
    "scipy._lib._array_api.array_namespace",
    "scipy._lib.array_api_compat.array_namespace",
    "scipy._lib.array_api_compat.get_namespace",
    "array_api_compat.array_namespace",
    "array_api_compat.get_namespace",
)

# Identity-like helpers: they return their first argument validated or converted (asarray), so the
# tangent is the same call on the tangent. (path, parameters or None to read them from the signature)
IDENTITY = (
    ("numpy.asarray_chkfinite", None),
    ("numpy.asfortranarray", "a, dtype=None, *, like=None"),  # a C function: no signature on every NumPy
    ("scipy._lib._util._asarray_validated", None),
    ("scipy.spatial.distance._validate_vector", None),
    ("scipy._lib._array_api._asarray", None),
    ("scipy._lib._array_api.xp_copy", None),
)

# Helpers whose result carries no tangent: integers, booleans, dtypes, shapes, devices, flags. (Helpers
# that only ever receive a namespace or a dtype, like is_numpy(xp), need no declaration: no
# differentiated value reaches them.)
INACTIVE = (
    "numpy.iscomplexobj",
    "numpy.isrealobj",
    "numpy.isscalar",
    "numpy.iterable",
    "numpy.may_share_memory",
    "numpy.shares_memory",
    "numpy.min_scalar_type",
    "numpy.common_type",
    "numpy.isfortran",
    "numpy.can_cast",
    "scipy.linalg.bandwidth",
    "scipy.linalg.issymmetric",
    "scipy.linalg.ishermitian",
    "scipy.linalg._misc._datacopied",
    "scipy.linalg._decomp._datacopied",
    "scipy._lib._array_api.is_lazy_array",
    "scipy._lib._util._contains_nan",  # a bool (it raises for nan_policy="raise")
    "scipy._lib._util._get_nan",  # a NaN of the data's floating dtype
    "scipy._lib._array_api.xp_size",
    "scipy._lib._array_api.xp_result_type",
    "scipy._lib._array_api.is_complex",
    "scipy._lib.array_api_compat.is_lazy_array",
    "scipy._lib.array_api_compat.device",
    "scipy._lib.array_api_compat.size",
)

# Helpers returning a tuple of which only some items can carry a tangent (the rest are axes or flags):
# ``a, axis = _chk_asarray(a, axis)`` leaves axis an inactive int. (path, one bool per item)
RESULT_PARTS = (
    ("scipy.stats._stats_py._chk_asarray", (True, False)),
    ("scipy.stats._stats_py._chk2_asarray", (True, True, False)),
    ("scipy.stats._stats_mstats_common._chk_asarray", (True, False)),
)


def _declare_promote():
    """``xp_promote(*arrays, broadcast=, force_floating=)``: each array converted to the common dtype (and
    broadcast to the common shape): linear in every array, so the tangents go through the same call
    (one array: the array itself; several: a tuple, item by item)."""
    fn = _optional("scipy._lib._array_api.xp_promote")
    if fn is not None and registry.lookup(fn) is None:
        registry.defjvp(
            fn,
            "*args, broadcast=False, force_floating=False, xp=None",
            "rt.special.promote_jvp(np, ans, dargs, broadcast)",
            name="scipy._lib._array_api.xp_promote",
        )

    if registry.lookup(numpy.broadcast_arrays) is None:  # NumPy's source reaches np.nditer: one rule instead
        registry.defjvp(numpy.broadcast_arrays, "*args, subok=False", "rt.special.promote_jvp(np, ans, dargs, True)")
    _declare_at()
    registry.ALIASES.append(_same_distribution)
    share = _optional("scipy._lib._array_api._share_masks")
    if share is not None and registry.lookup(share) is None:  # returns its arrays unchanged unless xp is
        registry.defjvp(  # MArray's (a namespace tangent_fwd never runs on)
            share, "*args, xp", "rt.special.promote_jvp(np, ans, dargs)", name="scipy._lib._array_api._share_masks"
        )


def _declare_result_parts():
    for path, parts in RESULT_PARTS:
        fn = _optional(path)
        if fn is not None:
            activity.RESULT_PARTS[id(fn)] = (fn, parts)


def _declare_at():
    """array_api_extra's ``at(x, idx).set(y)`` (SciPy's functional index update, in place on NumPy): the
    indexer is linear in x (its tangent is ``at(dx, idx)``), and ``.set`` is linear jointly in the
    indexed array and the value."""
    at = _optional("scipy._lib.array_api_extra.at")
    if at is None or registry.lookup(at) is not None:
        return
    registry.defjvp(at, "x, idx=None", "rt.special.at_of(np, dx, idx)", None, name="scipy array_api_extra.at")
    if registry.lookup_method("set") is None:
        registry.defmethod(
            "set",
            "self, y, /, copy=None, xp=None",
            "rt.special.at_set(np, dself, None, copy)",
            "rt.special.at_set(np, self, dy, copy, True)",
        )


def _declare_operators():
    """``operator.getitem(a, i)`` passed straight in (``jvp(operator.getitem, (x, 2), ...)``): an index."""
    if registry.lookup(operator.getitem) is None:
        registry.deflinear(operator.getitem, "a, b", linear_in=("a",), view=True, name="operator.getitem")


def _same_distribution(op):
    """The module-level scipy.stats distribution's method for a method of another instance of the same
    distribution class with the same constructor parameters (``st.norm(0, 2).logpdf`` calls a fresh
    ``norm_gen`` made by the frozen distribution): its rule applies. None for anything else."""
    owner = op.__self__
    if not type(owner).__module__.startswith("scipy.stats"):
        return None
    import scipy.stats

    name = getattr(owner, "name", None)
    shared = getattr(scipy.stats, name, None) if isinstance(name, str) else None
    if shared is None or shared is owner or type(shared) is not type(owner):
        return None
    try:
        mine, theirs = owner._updated_ctor_param(), shared._updated_ctor_param()
        mine.pop("seed", None)
        theirs.pop("seed", None)
        if mine != theirs:
            return None
    except Exception:  # another kind of object, or parameters that do not compare
        return None
    return getattr(shared, op.__name__, None)


def _declare_same_math():
    """SciPy functions whose mathematics is NumPy's (they differ in checks or in the kernel they call):
    the NumPy rule's partials, registered for them. ``scipy.linalg.norm`` fetches BLAS ``nrm2`` or LAPACK
    ``lange`` at run time, so its source cannot be followed, but its value is ``np.linalg.norm``'s."""
    norm = _optional("scipy.linalg.norm")
    if norm is not None and registry.lookup(norm) is None:
        from .rules.linalg_rules import NORM

        registry.defjvp(
            norm, "x, ord=None, axis=None, keepdims=False, check_finite=True", NORM, name="scipy.linalg.norm"
        )


def _declare():
    from .parse import NAMESPACE_FUNCTIONS as namespace_functions

    for path in NAMESPACE_FUNCTIONS:
        fn = _optional(path)
        if fn is not None and registry.lookup(fn) is None:
            registry.defzero(fn, name=path)
            namespace_functions.append(fn)
    registry.defmethod_zero("__array_namespace__")
    for path, params in IDENTITY:
        fn = _optional(path)
        if fn is not None and registry.lookup(fn) is None:
            defidentity(fn, params, name=path)
    for path in INACTIVE:
        fn = _optional(path)
        if fn is not None and registry.lookup(fn) is None:
            registry.defzero(fn, name=path)
    registry.LAZY.setdefault("scipy.stats", []).append(_declare_result_parts)  # scipy.stats imports slowly
    # SciPy's _axis_nan_policy wrapper, followed by a generated function (tangent_fwd/scipy_stats.py)
    FOLLOWED_WRAPPERS["axis_nan_policy_wrapper"] = scipy_stats.follower
    for fn in scipy_stats.INACTIVE_HELPERS:
        registry.defzero(fn, name=f"tangent_fwd.scipy_stats.{fn.__name__}")
    defidentity(scipy_stats._tf_asarray, name="tangent_fwd.scipy_stats._tf_asarray")


_declare()
_declare_promote()
_declare_operators()
_declare_same_math()
