"""Function values: bound methods, partials, callable objects and functions only known when called.

The compiler transforms Python functions. Everything else a user calls through a value is reduced to
one: a bound method is its class's function with the instance as first argument, a
``functools.partial`` its function with the stored arguments in front, an object with ``__call__``
its class's ``__call__``. Two entry points use that:

- :func:`as_function` (the API): ``jvp(model.loss, ...)``, ``forward_diff(partial(f, X=X))`` differentiate
  a generated one-call function with the callable's own signature, ``def loss(params, x): return
  target(params, x)``, which the compiler then follows into ``M.loss``.
- :func:`jvp_of` (generated code): a call whose function is a value the compiler cannot know
  (``fn(x)`` for a parameter ``fn``, ``self.forward(x)``, ``layers[i](h)``) is specialised when it runs,
  on the function object actually passed: ``jvp_of(fn, site)`` returns the generated JVP of a one-call
  function around it (cached per function object and call shape, and checked for staleness as the API
  checks its own cache), which the generated code calls with the arguments and their tangents.

This module is library code for the compiler (never transformed); its one-call functions are user code.
"""

import functools
import inspect
import itertools
import keyword
import linecache
import types
import weakref
from typing import Any

from . import twins
from .errors import TransformError

TARGET = "__tangent_fwd_target__"
_counter = itertools.count()


def unwrap(fn):
    """``(function, leading arguments, stored keywords)`` for a bound method, partial or callable
    object (nested ones included); ``(fn, (), {})`` for anything else."""
    if isinstance(fn, types.MethodType):
        inner, args, kws = unwrap(fn.__func__)
        return inner, (fn.__self__,) + args, kws
    if isinstance(fn, functools.partial):
        inner, args, kws = unwrap(fn.func)
        return inner, args + tuple(fn.args), {**kws, **fn.keywords}
    if isinstance(fn, (staticmethod, classmethod)):
        return unwrap(fn.__func__)
    if not isinstance(fn, (types.FunctionType, types.BuiltinFunctionType, type)) and callable(fn):
        call = type(fn).__dict__.get("__call__") or getattr(type(fn), "__call__", None)  # noqa: B004
        if isinstance(call, types.FunctionType):
            return call, (fn,), {}
    return fn, (), {}


def _has_rule(op):
    from . import registry  # imported here: the registry imports the rules, which import this module

    if registry.lookup(op) is not None:
        return True
    from .parse import library_source  # NumPy's Python code behind a dispatcher (np.linalg.tensorinv)

    return type(op).__name__ == "_ArrayFunctionDispatcher" and library_source(op) is not None


def signature(fn: Any) -> inspect.Signature:
    """``inspect.signature(fn)``; for a partial of a C callable whose signature Python cannot read (a ufunc
    on Python 3.10), the signature its rule declares, with the partial's stored arguments applied."""
    core, _, _ = unwrap(fn)
    ruled = isinstance(fn, functools.partial) and _has_rule(core)  # a Python function with a rule too (pdist)
    return _signature(fn, core, ruled)


def _signature(fn, core, ruled):
    try:
        return inspect.signature(fn)
    except (TypeError, ValueError):
        if not ruled:
            raise
    from . import registry  # imported here: the registry imports the rules, which import this module

    kinds = {"pos": inspect.Parameter.POSITIONAL_OR_KEYWORD, "var": inspect.Parameter.VAR_POSITIONAL}
    declared = [
        inspect.Parameter(
            p.name,
            kinds.get(p.kind, inspect.Parameter.KEYWORD_ONLY),
            default=p.default if p.has_default else inspect.Parameter.empty,
        )
        for p in registry.lookup(core).params
    ]

    def stand_in(*args, **kwargs):  # carries the declared signature, for functools.partial's own logic
        raise AssertionError("never called")

    stand_in.__signature__ = inspect.Signature(declared)
    return inspect.signature(functools.partial(stand_in, *fn.args, **fn.keywords))


def is_indirect(fn):
    """Whether ``fn`` reaches a Python function through a bound instance, stored arguments or ``__call__``."""
    core, args, kws = unwrap(fn)
    return (args or kws or core is not fn) and isinstance(core, types.FunctionType)


# ---------------------------------------------------------------- one-call functions


def _one_call(name, params, call, namespace, where):
    """A real function with source (registered with linecache, so the compiler reads it) that makes one call."""
    if not name.isidentifier() or keyword.iskeyword(name):
        name = "call"
    src = f"def {name}({params}):\n    return {call}\n"
    filename = f"<tangent_fwd call of {where} {next(_counter)}>"
    linecache.cache[filename] = (len(src), None, src.splitlines(True), filename)
    ns = dict(namespace)
    ns.setdefault("__name__", "tangent_fwd_calls")
    exec(compile(src, filename, "exec"), ns)
    return ns[name]


_ROOTS = {}  # (id of the instance or partial, function) -> (callable, one-call function); bounded
_ROOTS_MAX = 64


def as_function(fn: Any) -> Any:
    """The function the API compiles for ``fn``: ``fn`` itself unless it is a bound method, partial
    or callable object of user code; then a one-call function with ``fn``'s signature calling it."""
    core, stored, _ = unwrap(fn)
    # a partial of a library callable with a rule (functools.partial(np.linalg.norm, ord=3)): the one-call
    # function calls that callable itself, with the stored arguments, so the compiler applies its rule
    ruled = isinstance(fn, functools.partial) and _has_rule(core)  # a Python function with a rule too (pdist)
    if not ruled and not is_indirect(fn):
        return fn
    key = (id(getattr(fn, "__self__", fn)), core)
    hit = _ROOTS.get(key)
    same = hit is not None and (hit[0] is fn or isinstance(fn, types.MethodType) and hit[0] == fn)
    if same:  # a bound method is made again at each attribute read: equal when instance and function are
        return hit[1]
    # the name the one-call function calls it by, as source(model.loss) shows it
    target = "method" if isinstance(fn, types.MethodType) else "partial" if isinstance(fn, functools.partial) else "obj"
    sig = _signature(fn, core, ruled)
    if target in sig.parameters or target == core.__name__:
        target = TARGET
    params, args, ns = [], [], {target: fn}
    if ruled:
        ns[target] = core
        for i, value in enumerate(stored):  # the stored keywords are parameters (with defaults) of sig
            ns[f"__tangent_fwd_stored_{i}__"] = value
            args.append(f"__tangent_fwd_stored_{i}__")
    star = False
    for index, p in enumerate(sig.parameters.values()):
        if ruled and p.default is not p.empty and p.name not in fn.keywords:
            continue  # left to the callable's own default (a ufunc's out=, where=, signature=...)
        text = p.name
        if p.kind is p.VAR_POSITIONAL:
            text, star = "*" + p.name, True
            args.append(text)
        elif p.kind is p.VAR_KEYWORD:
            text = "**" + p.name
            args.append(text)
        elif p.kind is p.KEYWORD_ONLY:
            if not star:
                params.append("*")
                star = True
            args.append(f"{p.name}={p.name}")
        else:
            args.append(p.name)
        if p.default is not p.empty:
            ns[f"__tangent_fwd_default_{p.name}__"] = p.default
            text += f"=__tangent_fwd_default_{p.name}__"
        params.append(text)
        if p.kind is p.POSITIONAL_ONLY and (
            index + 1 == len(sig.parameters) or list(sig.parameters.values())[index + 1].kind is not p.POSITIONAL_ONLY
        ):
            params.append("/")
    where = getattr(core, "__qualname__", core.__name__)
    wrapper = _one_call(core.__name__, ", ".join(params), f"{target}({', '.join(args)})", ns, where)
    wrapper.__qualname__ = getattr(fn, "__qualname__", where)
    if len(_ROOTS) >= _ROOTS_MAX:
        _ROOTS.pop(next(iter(_ROOTS)))
    _ROOTS[key] = (fn, wrapper)
    return wrapper


# ---------------------------------------------------------------- calls specialised when they run


class Site:
    """A call site in generated code: how many positional arguments, which keywords, which of them
    carry tangents (positions and keyword names), the mode, and where it stands (for errors)."""

    __slots__ = ("nargs", "keywords", "active", "vector", "backend", "where", "line", "pattern", "kwstar")
    __slots__ += ("_expanded", "records")

    def __init__(self, nargs, keywords, active, vector, backend, where, line):
        self.nargs, self.keywords, self.active = nargs, tuple(keywords), tuple(active)
        self.vector, self.backend, self.where, self.line = vector, backend, where, line
        # per positional argument (is it a *value, does it carry tangents); whether the call ends with **value
        self.pattern = tuple((False, a in self.active) for a in range(nargs))
        self.kwstar = False
        self._expanded = {}
        # record kinds of the arguments, known where the call is compiled (position or keyword -> kind,
        # plain ones left out; record_kinds.py), or None: not known (checked where it matters, when it runs)
        self.records = None

    def expand(self, expansion):
        """The site once the forwarded values are known: the length of each ``*value`` (in order), then
        the keys of the ``**value``; every value a forwarded differentiated sequence holds is active."""
        hit = self._expanded.get(expansion)
        if hit is None:
            rest = list(expansion)
            pos, active = 0, []
            for star, act in self.pattern:
                n = rest.pop(0) if star else 1
                if act:
                    active += range(pos, pos + n)
                pos += n
            keys = tuple(rest.pop(0)) if self.kwstar else ()
            for k in keys:
                if not isinstance(k, str) or not k.isidentifier() or keyword.iskeyword(k) or k in self.keywords:
                    raise TransformError(f"cannot forward the keyword {k!r} here", filename=self.where[0])
            active += [a for a in self.active if not isinstance(a, int)] + list(keys)
            hit = Site(pos, self.keywords + keys, active, self.vector, self.backend, self.where, self.line)
            self._expanded[expansion] = hit
        return hit

    def key(self):
        return (self.nargs, self.keywords, self.active, self.vector, self.backend)

    def __repr__(self):
        return f"<call site {self.where}>"


_COMPILE = [None]  # api._compiled (set by the API, which imports this module: the reverse is a cycle)


def set_compiler(compiled):
    """Called once by the API with its cached compile function ``(func, wrt, backend, vector) -> entry``."""
    _COMPILE[0] = compiled


_DYNAMIC = weakref.WeakKeyDictionary()  # function -> {(site key, leading, stored keys): (generated, deps)}
_STRONG = {}  # the same for functions that refuse weak references, keyed by id (kept alive here)
_CACHE_MAX = 512  # functions with specialisations held at once


def _slot(i):
    return f"a{i}"


def _refuse(site, message, hint):
    return TransformError(message, filename=site.where[0], lineno=site.where[1], source_line=site.line, hint=hint)


def jvp_of(fn: Any, site: Site, *expansion: Any) -> Any:
    """The generated JVP for calling ``fn`` as ``site`` describes: called with the call's positional
    arguments, its keyword arguments (in ``site.keywords`` order, positionally) and then the tangents of
    the active ones, it returns ``(value, tangent)``."""
    from .effects import mutated_params
    from .parse import still_valid

    if expansion:
        site = site.expand(expansion)
    core, lead, stored = unwrap(fn)
    if lead and isinstance(fn, types.MethodType) and _has_rule(fn):  # scipy.stats.norm.logpdf: a method bound
        core, lead = fn, ()  # to an instance with a rule of its own is called as it is, so the rule applies
    for module in twins.backend_modules():  # xp.tanh passed on a device backend: NumPy's tanh has the rule
        core = twins.numpy_twin(core, module)
    stored = {k: v for k, v in stored.items() if k not in site.keywords}
    per = _cache_for(core)
    records = _records_of(site, lead, stored)
    key = (site.key(), len(lead), tuple(stored), records)
    hit = per.get(key)
    if hit is None or not still_valid(hit[1]):
        if not callable(fn):
            raise _refuse(site, f"the value called here is a {type(fn).__name__}, not a function", "call a function")
        n, m = len(lead), site.nargs
        # the bound instance and stored arguments first, so that a partial of the generated code passes them
        params = [f"s{i}" for i in range(n)] + [f"p_{k}" for k in stored] + [_slot(i) for i in range(m)]
        params += [f"k_{k}" for k in site.keywords]
        args = [f"s{i}" for i in range(n)] + [_slot(i) for i in range(m)]
        args += [f"{k}=k_{k}" for k in site.keywords] + [f"{k}=p_{k}" for k in stored]
        wrt = [_slot(a) if isinstance(a, int) else f"k_{a}" for a in site.active]
        name = getattr(core, "__name__", "call")
        _check_writes(core, lead, site, mutated_params)
        wrapper = _one_call(name, ", ".join(params), f"{TARGET}({', '.join(args)})", {TARGET: core}, name)
        try:
            generated, _, _, _, deps, _ = _COMPILE[0](wrapper, tuple(wrt), site.backend, site.vector, None, records)
        except TransformError as exc:
            raise _refuse(
                site,
                f"the function called here ({getattr(fn, '__qualname__', type(fn).__name__)}), specialised when "
                f"called, cannot be differentiated: {exc}",
                "see the error above; a rule or a rewrite of that function makes this call work",
            ) from exc
        hit = per[key] = (generated, deps, wrapper)
    generated = hit[0]
    if lead or stored:  # differentiable again (forward over forward): a partial of generated code
        return functools.partial(generated, *lead, *stored.values())
    return generated


def _records_of(site, lead, stored):
    """The record kinds of the one-call function's parameters (see record_kinds.py): the bound instance
    and stored arguments from their values, the call's arguments from what the caller's compile knew."""
    from .record_kinds import SEQUENCES, UNKNOWN, signature

    out = [(f"s{i}", s) for i, v in enumerate(lead) if (s := signature(v)) is not None]
    out += [(f"p_{k}", s) for k, v in stored.items() if (s := signature(v)) is not None]
    known = site.records
    for i in range(site.nargs):
        kind = UNKNOWN if known is None else known.get(i)
        if kind is not None:
            out.append((_slot(i), kind))
    for k in site.keywords:
        kind = UNKNOWN if known is None else known.get(k)
        if kind is not None:
            out.append((f"k_{k}", kind))
    # the arguments that may be lists (converted where the function hands them to NumPy); values
    # forwarded by *args / **kwargs: any (the conversion is the identity for a value that is not one)
    seqs = known.get(SEQUENCES) if known is not None else site.active
    if seqs:
        out.append((SEQUENCES, tuple(_slot(a) if isinstance(a, int) else f"k_{a}" for a in seqs)))
    return tuple(out)


def _cache_for(core):
    if len(_DYNAMIC) + len(_STRONG) >= _CACHE_MAX:
        # an entry keeps its function alive (the one-call function holds it): a lambda made at each call
        # of the code around it would otherwise add one entry per call
        _DYNAMIC.clear()
        _STRONG.clear()
    try:
        return _DYNAMIC.setdefault(core, {})
    except TypeError:
        hit = _STRONG.get(id(core))
        if hit is None or hit[0] is not core:
            hit = _STRONG[id(core)] = (core, {})
        return hit[1]


def _check_writes(core, lead, site, mutated_params):
    """A function that writes into one of its arguments cannot be specialised here: the caller's
    tangent of that argument would not see the write (refused rather than guessed)."""
    if not isinstance(core, types.FunctionType):
        return
    written = mutated_params(core)
    if written:
        raise _refuse(
            site,
            f"the function called here ({core.__qualname__}) writes into its argument(s) {', '.join(sorted(written))}, "
            "and is only known when the call runs: the write's tangent cannot be followed",
            "call the function by its name (a module-level def or a nested def), so the compiler sees it",
        )


# ---------------------------------------------------------------- orderings (zero rules; see pystd.py)


def stable_order(items, key, reverse):
    """The indices ``sorted(items, key=key, reverse=reverse)`` puts the items in (stable, key called
    once per item, in order), from the primal values."""
    keys = [key(v) for v in items] if key is not None else items
    return sorted(range(len(items)), key=keys.__getitem__, reverse=reverse)


def best_index(items, key, largest):
    """The index of the item ``max`` (``largest``) or ``min`` returns for ``key``: the first of equal extremes."""
    best, best_key = 0, items[0] if key is None else key(items[0])
    for i in range(1, len(items)):
        k = items[i] if key is None else key(items[i])
        if (k > best_key) if largest else (k < best_key):
            best, best_key = i, k
    return best


class WithDirections:
    """Vector mode: the JVP of a function value passed as its tangent (see dynamic_calls.py), with the
    number of directions K, which a callee whose only tangent is this function reads (runtime.batch_size)."""

    __slots__ = ("jvp", "directions")

    def __init__(self, jvp, directions):
        self.jvp, self.directions = jvp, directions

    def __call__(self, *args):
        return self.jvp(*args)
