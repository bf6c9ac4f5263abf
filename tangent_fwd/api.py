"""Public entry points: ``forward_diff``, ``jvp`` and ``source``, with per-(function, wrt, backend)
caching of the generated code."""

import ast
import builtins
import functools
import hashlib
import inspect
import keyword
import linecache
import sys
import types
import weakref
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from . import backends, callables, library, lowrank, origins, perturbation, record_kinds, registry
from .compiler import Unit
from .errors import ArgumentError, TransformError
from .jvp_helpers import records as _records
from .parse import MISSING as _parse_missing
from .parse import still_valid

# wrt: a parameter index or name, or a tuple of them
Wrt = int | str | tuple[int | str, ...]

_UNITS = weakref.WeakKeyDictionary()  # func -> {(wrt, backend): (callable, source, filename)}
_LIVE = weakref.WeakSet()  # ForwardDiff objects: their fast path is reset when rules change
_seen_version = [registry.version()]


def _check_registry():
    if registry.version() != _seen_version[0]:
        _seen_version[0] = registry.version()
        _UNITS.clear()
        for fd in list(_LIVE):
            fd._fast = None
            _drop_guard(fd)
            fd._by_backend.clear()


registry._listeners.append(_check_registry)


def _wrt_names(func, wrt):
    """Normalise ``wrt`` (index, name, or tuple of them) to a tuple of parameter names."""
    try:
        sig = callables.signature(func)
    except (TypeError, ValueError):
        raise ArgumentError(f"cannot read the signature of {func!r}") from None
    params = [
        p for p in sig.parameters.values() if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
    ]
    names = [p.name for p in params]
    items = wrt if isinstance(wrt, (tuple, list)) else (wrt,)
    star = [p.name for p in sig.parameters.values() if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
    for w in items:
        if star and (
            (isinstance(w, int) and not isinstance(w, bool) and not -len(names) <= w < len(names)) or w in star
        ):
            fname = getattr(func, "__name__", "the function")
            raise ArgumentError(
                f"wrt={w!r}: {fname}'s *{star[0].lstrip('*')} parameter cannot be differentiated: tangent_fwd "
                f"differentiates named parameters ({', '.join(names) or 'it has none'})",
                hint=f"take the values as one parameter (def {fname}(xs): ... with a tuple or list, whose tangent "
                "has the same structure), or name them (def f(a, b)); inside your function, calls that pass "
                "*args on are fine",
            )
    out = []
    for w in items:
        if isinstance(w, bool) or not isinstance(w, (int, str)):
            raise ArgumentError(f"wrt must be a parameter index, a parameter name, or a tuple of them; got {w!r}")
        if isinstance(w, int):
            if not -len(names) <= w < len(names):
                raise ArgumentError(
                    f"wrt={w} is out of range: {func.__name__} has {len(names)} parameter(s) ({', '.join(names)})"
                )
            w = names[w]
        elif w not in names:
            raise ArgumentError(
                f"wrt={w!r} is not a parameter of {func.__name__}; its parameters are {', '.join(names) or '(none)'}"
            )
        if w in out:
            raise ArgumentError(f"wrt names parameter {w!r} twice")
        out.append(w)
    if not out:
        raise ArgumentError("wrt must name at least one parameter")
    return tuple(names[i] for i in sorted(names.index(w) for w in out))


def _compiled(func, wrt_names, backend_name, vector=False, structs=None, records=()):
    """``(fn, source, filename, tangent parameters, dependencies, records_read)``, cached. ``records``:
    the arguments' record kinds (record_kinds.signatures; () when all are plain, None when unknown)
    and which differentiated ones are lists (record_kinds.sequence_entry); ``records_read``: whether
    the generated code depends on them (a caller then checks them per call; a frozenset of names: only
    whether those are lists)."""
    _check_registry()
    per = _UNITS.setdefault(func, {})
    key = (wrt_names, backend_name, vector, structs, records)
    hit = per.get(key)
    if hit is None or not still_valid(hit[4]):
        try:
            unit = Unit(
                func,
                wrt_names,
                backends.get(backend_name),
                vector=vector,
                structs=structs and dict(structs),
                records=records,
            ).build()
            fn, filename = unit.compile()
        except TransformError as exc:
            raise _trimmed(exc) from exc.__cause__
        # what the code depends on: the arguments' record kinds (True), or only whether these
        # differentiated ones are lists (a frozenset of their names)
        seqs = unit.sequences_read
        read = unit.records_read or (frozenset(wrt_names if seqs is True else seqs) if seqs else False)
        hit = (fn, unit.source, filename, unit.root.tangent_params, unit.dependencies, read)
        per[key] = hit
    return hit


def _trimmed(exc):
    """The refusal without the compiler's internal frames (its message names the user's file:line:col);
    a cause chained to it (an internal error's original exception) keeps its own traceback."""
    return exc.with_traceback(None)


callables.set_compiler(_compiled)  # calls through function values compile through the same cache
_sys_modules = sys.modules
_lowrank_used = lowrank._USED  # true once a LowRank tangent exists: calls then check for them
_modules_seen = backends.OTHERS  # non-empty once a non-NumPy backend has been registered
_HOST_TYPES = frozenset(
    [float, int, bool, complex, np.ndarray, np.float64, np.float32, np.int64, np.int32, type(None), str]
)


_PLAIN_KINDS, _is_list = record_kinds._PLAIN, record_kinds.is_sequence


class ForwardDiff:
    """``forward_diff(f)``: call it with f's arguments followed by one tangent per ``wrt`` parameter;
    it returns ``(value, value_tangent)``. ``.source`` is the generated code."""

    def __init__(self, func: Callable[..., Any], wrt: Wrt = 0, backend: str = "auto", vectorized: bool = False) -> None:
        if not callable(func):
            raise ArgumentError(f"forward_diff needs a function, got {type(func).__name__}")
        backends.check_name(backend)
        functools.update_wrapper(self, func)
        op, func = func, library.entry(func)  # a ufunc, operator.mul...: a one-call wrapper compiled like user code
        if library.is_wrapper(func) and _wrt_reach(wrt) > _positional_count(func):  # np.einsum's operands
            func = library.entry(op, _wrt_reach(wrt))
        # a call with keyword arguments or another count of positional ones gets the op's wrapper for that call
        self._library_op, self._per_call = (op, {}) if library.is_wrapper(func) else (None, None)
        self._library_arity = _positional_count(func) + len(_wrt_names(func, wrt)) if self._per_call is not None else 0
        func = callables.as_function(func)  # a bound method, partial, callable object: a one-call function
        self.func = func
        self.wrt = _wrt_names(func, wrt)
        self.backend = backend
        self.vectorized = bool(vectorized)
        self._fast = None  # the generated function for NumPy (or the fixed backend)
        self._auto = backend == "auto"
        self._by_backend = {}
        self._positional = _simple_signature(func)
        self._tangent_params = None
        self._deps = ()  # what the generated code was specialised on (parse.still_valid)
        self._records = ()  # the record kinds of the arguments it was generated for (record_kinds.py)
        self._records_read = False  # whether that code depends on them: then checked per call
        self._list_checks = ()  # (position, was a list) where the code depends only on that (sequences.py)
        self._params = None  # the positional parameters, read when a call's argument count is checked
        self._names = None  # the parameter names, read when the arguments' record kinds are found
        _LIVE.add(self)

    def _get(self, backend_name, structs=None, records=()):
        key = backend_name if structs is None and not records else (backend_name, structs, records)
        hit = self._by_backend.get(key)
        if hit is None:
            fn, _, _, self._tangent_params, self._deps, read = _compiled(
                self.func, self.wrt, backend_name, self.vectorized, structs, records
            )
            hit = self._by_backend[key] = (fn, read)
        self._records, self._records_read = records, hit[1]
        if hit[1] and hit[1] is not True:  # the code depends only on whether these arguments are lists
            given = record_kinds.sequence_params(records)
            names = list(inspect.signature(self.func).parameters)
            self._list_checks = tuple((i, n in given) for i, n in enumerate(names) if n in hit[1])
        return hit[0]

    def generated_function(self, backend_name="numpy"):
        """The generated Python function for ``backend_name`` (what a call runs), for arguments of the
        record kinds of the last call (plain arrays and numbers before any)."""
        return self._get(backend_name, None, self._records)

    def _arg_records(self, args, kwargs):
        """The record kinds of the call's arguments (record_kinds.signatures), () when all are plain."""
        if self._positional and not kwargs:
            names = self._names
            if names is None:
                names = self._names = list(inspect.signature(self.func).parameters)
            values = args[: len(names)]
            return (record_kinds.signatures(names, values) or ()) + record_kinds.sequence_entry(names, values, self.wrt)
        kw = dict(kwargs)
        try:
            primal, _ = self._tangents(tuple(args), kw)
            sig = inspect.signature(self.func)
            bound = sig.bind_partial(*primal, **kw)
            bound.apply_defaults()
        except (TypeError, ArgumentError):
            return ()  # the call itself reports it
        names = [n for n, p in sig.parameters.items() if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
        values = [bound.arguments.get(n) for n in names]
        return (record_kinds.signatures(names, values) or ()) + record_kinds.sequence_entry(names, values, self.wrt)

    @property
    def source(self):
        return _compiled(self.func, self.wrt, "numpy" if self.backend == "auto" else self.backend, self.vectorized)[1]

    def __call__(self, *args: Any, **kwargs: Any) -> tuple[Any, Any]:
        fast = self._fast
        if fast is None or kwargs or _lowrank_used[0]:
            return self._call(args, kwargs)
        if not still_valid(self._deps):  # a callee or global it was specialised on was rebound
            self._fast = None
            _drop_guard(self)
            return self._call(args, kwargs)
        read = self._records_read
        if read is True and self._arg_records(args, kwargs) != self._records:
            return self._call(args, kwargs)  # arguments of other record kinds: other code
        if read:  # (only whether some arguments are lists: _list_checks)
            for i, was in self._list_checks:
                a = args[i] if i < len(args) else None
                if (a.__class__ not in _PLAIN_KINDS and _is_list(a)) is not was:
                    return self._call(args, kwargs)  # a list where there was none, or the reverse
        if self._auto and (_modules_seen[0] or "cupy" in _sys_modules):
            # only when another array library is loaded can an argument be a non-NumPy array
            for a in args:
                if a.__class__ not in _HOST_TYPES:
                    return self._call(args, kwargs)
        try:
            return fast(*args)
        except TypeError:
            if self._library_op is not None:  # another count of arguments for the op: its wrapper for them
                return self._call(args, kwargs)
            self._check_count(args)  # a missing tangent says so; any other TypeError is the function's own
            raise

    def _check_count(self, args):
        """Refuse a positional call whose count is not the function's arguments plus one tangent per wrt."""
        params = self._params
        if params is None:
            params = self._params = [
                p
                for p in inspect.signature(self.func).parameters.values()
                if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
            ]
        if len(args) == len(params) + len(self.wrt):
            return
        want = len(params) + len(self.wrt)
        if len(args) < want and len(args) >= len(params) - sum(p.default is not p.empty for p in params):
            given = max(0, len(args) - len(params))
            missing = [f"d{w}" for w in self.wrt[given:]]
            raise ArgumentError(
                f"{self.__name__}: missing the tangent argument(s) {', '.join(missing)}: call it with "
                f"{', '.join(p.name for p in params)} followed by one tangent per wrt parameter "
                f"({', '.join('d' + w for w in self.wrt)})",
                hint=f"use tangent_fwd.jvp({self.__name__}, primals, tangents) to pass them as tuples",
            ) from None

    def _call(self, args, kwargs):
        if self._library_op is not None:
            other = self._library_call(args, kwargs)
            if other is not None:
                return other(*args, **kwargs)
        _check_registry()
        if self._fast is None or not still_valid(self._deps):
            self._by_backend.clear()
        if self._auto:
            name = "numpy"
            if not (_HOST_TYPES.issuperset(map(type, args)) and _HOST_TYPES.issuperset(map(type, kwargs.values()))):
                name = backends.detect(
                    list(args) + list(kwargs.values()),
                    list(inspect.signature(self.func).parameters)[: len(args)] + list(kwargs),
                )
        else:
            name = self.backend
        structs = self._structures(args, kwargs) if _lowrank_used[0] else None
        fn = self._get(name, structs, self._arg_records(args, kwargs))
        if (
            self._positional
            and not self.vectorized
            and structs is None
            and name == ("numpy" if self._auto else self.backend)
        ):
            self._fast = fn
            _install_guard(self, fn)
        if not self._positional:
            args, kwargs = self._split(args, kwargs)
        elif not kwargs:
            self._check_count(args)
        if not self.vectorized:
            return fn(*args, **kwargs)
        from .runtime import batch_size, bfinish, no_directions

        names = [t for t in self._tangent_params.values() if t in kwargs]
        tangents = [kwargs[t] for t in names] or list(args[-len(self.wrt) :])
        k = batch_size(tangents[0])
        if k == 0:  # no directions: run one zero direction for the shapes, keep none of it
            one = [no_directions(t, grow=True) for t in tangents]
            if names:
                kwargs.update(zip(names, one))
            else:
                args = tuple(args[: -len(self.wrt)]) + tuple(one)
            value, tangent = fn(*args, **kwargs)
            return value, no_directions(bfinish(tangent, value, 1), grow=False)
        out = fn(*args, **kwargs)
        return (out[0], bfinish(out[1], out[0], k))

    def _library_call(self, args, kwargs):
        """For a library op called with keyword arguments (``forward_diff(np.sum)(x, dx, axis=0)``) or
        more positional ones than its rule's (``np.pad(a, 2, "edge")``): a ForwardDiff of the op's
        wrapper that takes those, or None when this one's wrapper fits the call."""
        if not kwargs and len(args) == self._library_arity:
            return None  # the common call: this wrapper's parameters and the tangents, by position
        tangent_names = {"d" + w for w in self.wrt}
        keywords = tuple(k for k in kwargs if k not in tangent_names)
        arity = len(args) - (len(self.wrt) - (len(kwargs) - len(keywords)))
        if not keywords and arity + len(self.wrt) == self._library_arity:
            return None
        other = self._per_call.get((arity, keywords))
        if other is None:
            wrapper = library.entry_with_keywords(self._library_op, arity, keywords)
            if wrapper is self.func:
                return None
            other = ForwardDiff(wrapper, wrt=self.wrt, backend=self.backend, vectorized=self.vectorized)
            other._library_op = None  # made for this call's arguments: it does not dispatch again
            self._per_call[(arity, keywords)] = other
        return other

    def _structures(self, args, kwargs):
        """Where the tangents hold LowRank leaves: ``((wrt name, signature), ...)`` or None."""
        if self._positional and not kwargs:
            tangents = dict(zip(self.wrt, args[len(args) - len(self.wrt) :]))
        else:
            tangents = self._tangents(tuple(args), dict(kwargs))[1]
        sigs = tuple((t, lowrank.signature(v)) for t, v in tangents.items())
        if all(sig is None for _, sig in sigs):
            return None
        if self.vectorized:
            raise ArgumentError("LowRank tangents cannot be combined with vectorized=True; give one direction per call")
        return tuple(x for x in sigs if x[1] is not None)

    def _tangents(self, args, kwargs):
        tnames = list(self.wrt)
        n = len(tnames)
        tang = {}
        for t in tnames:
            key = "d" + t
            if key in kwargs:
                tang[t] = kwargs.pop(key)
        if len(tang) < n:
            missing = [t for t in tnames if t not in tang]
            if len(args) < len(missing):
                raise ArgumentError(f"{self.__name__}: expected tangents for {', '.join(missing)} after the arguments")
            for t, v in zip(missing, args[len(args) - len(missing) :]):
                tang[t] = v
            args = args[: len(args) - len(missing)]
        return args, tang

    def _split(self, args, kwargs):
        args, tang = self._tangents(args, kwargs)
        kwargs.update({self._tangent_params[t]: tang[t] for t in self.wrt})
        return args, kwargs

    def __repr__(self):
        return f"<forward_diff of {self.func.__qualname__} wrt={self.wrt} backend={self.backend}>"

    def __get__(self, obj, objtype=None):
        if obj is None:
            return self
        return functools.partial(self, obj)


_GUARDED = {}  # id(ForwardDiff subclass) -> the subclass, kept while an instance uses it


def _install_guard(fd, fast):
    """Give ``fd`` a ``__call__`` generated for its compiled code: the checks of the generic fast path
    (``still_valid`` over the names the code was specialised on, no LowRank tangent, no other array
    library loaded, the argument count) written out inline, then the generated function's own body
    (or, where it cannot be inlined, a call ``fast(a0, ..., an)``); otherwise the generic
    ``ForwardDiff.__call__`` with the same arguments. A Python-level call of the object then costs one
    frame and a few identity tests instead of a loop over the dependencies and a second frame (issue 15).

    Cheap forms of the same checks: the arguments are positional-only parameters with a private
    default (a missing one is the default, a surplus one lands in ``*rest``), named as the generated
    function's own parameters, so its body runs on them as they are; and the guard is compiled in the
    function's own module namespace, so a dependency on a name of that module is a ``LOAD_GLOBAL`` of
    the name (answered from CPython's per-dict version cache) compared with the object by identity. A
    name deleted from the module and absent from builtins raises NameError there: the generic path.
    (A builtin the module must not shadow is compared with the builtin itself: a global bound to that
    very object behaves the same, anything else fails the test.) Only the checks are inside the
    ``try``: a KeyError or NameError of the user's code propagates, it does not run the code twice.

    The inlined body shares the generated function's closure cells (its constants, the other generated
    functions, the user's closure variables, read live); its source, the guard and the generated lines,
    is registered with linecache, so tracebacks show the generated code."""
    if fast is type(fd).__dict__.get("_guarded") and "__call__" in type(fd).__dict__:
        return  # (a call that took the generic path with the guard in place: the same code)
    glob = getattr(fd.func, "__globals__", None)
    n = (len(fd._params) if fd._params is not None else _positional_count(fd.func)) + len(fd.wrt)
    body, first = _inlinable_body(fast, n, glob) or (None, 0)
    params = list(fast.__code__.co_varnames[:n]) if body is not None else [f"_tf_a{i}" for i in range(n)]
    # names that are local in the guard (the body's parameters, locals and free variables): a dependency
    # on a module name of the same spelling is read from the module's dict, not as a global
    local = set(fast.__code__.co_varnames + fast.__code__.co_cellvars + fast.__code__.co_freevars) if body else ()
    tests, env = [], {"fast": fast, "generic": ForwardDiff.__call__, "MISSING": _MISSING, "ABSENT": _parse_missing}
    for i, (ns, name, obj) in enumerate(fd._deps):
        if type(ns) is dict:
            if ns is glob and _plain_global(name) and obj is not None and name not in local:
                env[f"o{i}"] = getattr(builtins, name, None) if obj is _parse_missing else obj
                if obj is _parse_missing and env[f"o{i}"] is None:
                    return
                tests.append(f"{name} is _tf_o{i}")
                continue
            env[f"o{i}"] = obj
            env[f"ns{i}"] = ns
            if obj is None or obj is _parse_missing:  # a builtin that a global must not shadow, or None
                tests.append(f"_tf_ns{i}.get({name!r}, _tf_ABSENT) is _tf_o{i}")  # (still_valid's test)
            else:  # a subscript, cheaper than .get(); a deleted name raises KeyError: the generic path
                tests.append(f"_tf_ns{i}[{name!r}] is _tf_o{i}")
        elif type(ns).__name__ == "_CodeOf":
            env[f"o{i}"] = obj
            env[f"f{i}"] = ns.func
            tests.append(f"_tf_f{i}.__code__ is _tf_o{i}")
        else:  # a closure cell (may be emptied): the generic check handles it
            return
    env.update(lowrank_used=_lowrank_used, others=_modules_seen, modules=_sys_modules)
    tests += ["not _tf_lowrank_used[0]", "not _tf_others[0]", "'cupy' not in _tf_modules"]  # (see _drop_guard)
    # all n given (the last is not the default), nothing more, no keywords, every dependency unchanged
    tests[:0] = [f"{params[-1]} is not _tf_MISSING", "not _tf_rest", "not _tf_kw"]
    if fd._records_read:  # code that depends on which arguments are records: the same kinds as compiled for
        tests += _record_tests(fd, params[: n - len(fd.wrt)], env)
    given = " + ".join(f"(() if {a} is _tf_MISSING else ({a},))" for a in params)
    free = fast.__code__.co_freevars if body is not None else ()
    names = ", ".join([f"_tf_{k}" for k in sorted(env)] + list(free))
    head = (
        f"def _tf_make({names}):\n"
        f"    def __call__(_tf_self, {', '.join(f'{a}=_tf_MISSING' for a in params)}, /, *_tf_rest, **_tf_kw):\n"
        "        try:\n"
        f"            _tf_ok = {' and '.join(tests)}\n"
        "        except (KeyError, NameError):\n"
        "            _tf_ok = False\n"
        "        if not _tf_ok:\n"
        "            # the arguments as given: the defaults filled only the trailing parameters not passed\n"
        f"            return _tf_generic(_tf_self, *({given}), *_tf_rest, **_tf_kw)\n"
    )
    text = head + (body if body is not None else f"        return _tf_fast({', '.join(params)})\n")
    text += "    return __call__\n"
    # named like the generated module (<tangent_fwd f 1a2b...>), which the inlined lines come from
    filename = f"<tangent_fwd {fd.func.__qualname__} {hashlib.sha1(text.encode()).hexdigest()[:10]} call>"
    if body is not None:  # a run-time refusal in the inlined lines points at the user's line too
        origins.register_copy(filename, fast.__code__.co_filename, head.count("\n") - first + 1)
    code = compile(text, filename, "exec")
    linecache.cache[filename] = (len(text), None, text.splitlines(True), filename)
    code = next(c for c in code.co_consts if isinstance(c, types.CodeType))  # _tf_make
    code = next(c for c in code.co_consts if isinstance(c, types.CodeType))  # its __call__
    cells = dict(zip(fast.__code__.co_freevars, fast.__closure__ or ()))  # the generated function's own
    closure = tuple(
        cells[v] if v in cells and v in free else types.CellType(env[v[len("_tf_") :]]) for v in code.co_freevars
    )
    call = types.FunctionType(code, glob if glob is not None else {}, "__call__", (_MISSING,) * n, closure)
    cls = type(fd).__dict__.get("_guard_class")
    if cls is None or type(fd) is ForwardDiff:
        cls = type("ForwardDiff", (ForwardDiff,), {"_guard_class": None, "__module__": ForwardDiff.__module__})
        cls._guard_class = cls
        cls.__qualname__ = ForwardDiff.__qualname__
        fd.__class__ = cls
    cls.__call__ = call
    cls._guarded = fast


def _inlinable_body(fast, n, glob):
    """The body of the generated function ``fast`` as lines of the guard (they stand at the same
    indentation in the generated module), or None where it cannot stand there as it is: a signature
    other than ``n`` plain positional parameters, another globals dict, a generator, a name of the
    guard's own (``_tf_``), or source that linecache does not hold. With the body, the generated line
    it starts at."""
    code = fast.__code__
    if (
        code.co_argcount != n
        or code.co_posonlyargcount
        or code.co_kwonlyargcount
        or code.co_flags & (inspect.CO_VARARGS | inspect.CO_VARKEYWORDS | _GENERATOR_FLAGS)
        or fast.__globals__ is not glob
        or any(v.startswith("_tf_") for v in code.co_varnames + code.co_cellvars + code.co_freevars + code.co_names)
    ):
        return None
    lines = linecache.getlines(code.co_filename)
    try:
        tree = ast.parse("".join(lines))
    except SyntaxError:
        return None
    for fdef in ast.walk(tree):
        if isinstance(fdef, ast.FunctionDef) and fdef.lineno == code.co_firstlineno and fdef.name == code.co_name:
            break
    else:
        return None
    stmts = fdef.body
    if isinstance(stmts[0], ast.Expr) and isinstance(stmts[0].value, ast.Constant) and len(stmts) > 1:
        stmts = stmts[1:]  # the docstring
    if fdef.col_offset != 4 or stmts[0].col_offset != 8 or stmts[0].lineno <= fdef.lineno:
        return None  # not laid out as the guard's body
    return "".join(lines[stmts[0].lineno - 1 : fdef.end_lineno]), stmts[0].lineno


_MISSING = object()  # the guard's default for an argument not passed
_GENERATOR_FLAGS = (
    inspect.CO_GENERATOR | inspect.CO_COROUTINE | inspect.CO_ASYNC_GENERATOR | inspect.CO_ITERABLE_COROUTINE
)


def _record_tests(fd, params, env):
    """Guard tests that each argument has the record kind the code was generated for: a plain argument
    (an array, a number) by its class alone, in one set lookup; others by their signature."""
    env.update(plain=record_kinds._PLAIN, kind=record_kinds.signature, seq=record_kinds.is_sequence)
    kinds = dict(fd._records)
    seqs = record_kinds.sequence_params(fd._records)
    tests = []
    checked = fd.wrt if fd._records_read is True else fd._records_read  # (names: only those lists or not)
    for i, (a, name) in enumerate(zip(params, inspect.signature(fd.func).parameters)):
        if fd._records_read is True:
            if name in kinds:
                env[f"r{i}"] = kinds[name]
                tests.append(f"_tf_kind({a}) == _tf_r{i}")
            else:
                tests.append(f"({a}.__class__ in _tf_plain or _tf_kind({a}) is None)")
        if name in seqs:  # a list or tuple where the code was generated for one, and only there
            tests.append(f"_tf_seq({a})")
        elif name in checked:  # (an array or a number: one set lookup)
            tests.append(f"({a}.__class__ in _tf_plain or not _tf_seq({a}))")
    return tests


def _plain_global(name):
    """Whether ``name`` read in generated code is a LOAD_GLOBAL of that name (an identifier that is not
    a keyword, a compile-time constant, or one of the guard's own ``_tf_`` names)."""
    return name.isidentifier() and not keyword.iskeyword(name) and name != "__debug__" and not name.startswith("_tf_")


def _drop_guard(fd):
    """Back to the generic ``ForwardDiff.__call__`` (the code it was generated for is stale)."""
    cls = type(fd)
    if cls is not ForwardDiff and "__call__" in cls.__dict__:
        del cls.__call__


def _wrt_reach(wrt):
    """How many positional arguments the integer indices in ``wrt`` need (0 when it names parameters)."""
    indices = [w for w in (wrt if isinstance(wrt, (tuple, list)) else (wrt,)) if isinstance(w, int)]
    return max(indices, default=-1) + 1


def _positional_count(func):
    return sum(
        p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) for p in inspect.signature(func).parameters.values()
    )


def _simple_signature(func):
    sig = inspect.signature(func)
    return all(p.kind == p.POSITIONAL_OR_KEYWORD and p.default is p.empty for p in sig.parameters.values())


def forward_diff(
    func: Callable[..., Any] | None = None, *, wrt: Wrt = 0, backend: str = "auto", vectorized: bool = False
) -> Any:
    """Forward-mode derivative of ``func`` by source transformation.

    ``@forward_diff``, ``@forward_diff(wrt=...)`` or ``forward_diff(f, wrt=...)``. ``wrt`` is a
    parameter index, a name, or a tuple of them (default: the first parameter). The result takes
    f's arguments followed by one tangent per ``wrt`` parameter and returns ``(value, tangent)``.
    ``backend`` is 'auto' (chosen from the argument arrays at call time), 'numpy', 'cupy', or a name
    given to :func:`tangent_fwd.backends.register`; each backend's code is generated and cached once.
    ``vectorized=True``: every tangent has a leading axis of K directions and one generated pass
    returns the K output tangents (stacked on a leading axis), equal to K separate JVPs.
    """
    if func is None:
        return lambda f: ForwardDiff(f, wrt=wrt, backend=backend, vectorized=vectorized)
    return ForwardDiff(func, wrt=wrt, backend=backend, vectorized=vectorized)


def source(
    func: Callable[..., Any], wrt: Wrt = 0, backend: str = "numpy", vectorized: bool = False, tangents: Any = None
) -> str:
    """The generated source of ``func``'s JVP (and of the user functions it calls), without running it.
    ``backend='cupy'`` shows the code generated for CuPy. ``tangents`` (one example tangent per ``wrt``
    parameter, a tuple when there are several) shows the code specialised to their LowRank leaves."""
    if isinstance(func, ForwardDiff):
        func, wrt = func.func, func.wrt
    func = library.entry(func)
    func = callables.as_function(func)
    backends.check_name(backend)
    names = _wrt_names(func, wrt)
    structs = None
    if tangents is not None:
        tangents = tangents if isinstance(tangents, tuple) and len(names) > 1 else (tangents,)
        if len(tangents) != len(names):
            raise ArgumentError(f"source: {len(names)} wrt parameter(s) but {len(tangents)} example tangent(s)")
        structs = (
            tuple((n, lowrank.signature(t)) for n, t in zip(names, tangents) if lowrank.signature(t) is not None)
            or None
        )
    if backend == "auto":
        backend = "numpy"
    if backend == "cupy":  # shown even where CuPy or a GPU is missing
        _check_registry()
        return (
            Unit(func, names, backends.for_codegen("cupy"), vector=vectorized, structs=structs and dict(structs))
            .build()
            .source
        )
    return _compiled(func, names, backend, vectorized, structs)[1]


def jvp(
    func: Callable[..., Any],
    primals: Sequence[Any],
    tangents: Sequence[Any] | None,
    backend: str = "auto",
    vectorized: bool = False,
    *,
    perturbations: Any = None,
    sites: dict | None = None,
    directions: int | None = None,
) -> tuple[Any, Any]:
    """``(func(*primals), J·tangents)``. ``tangents`` matches ``primals``; ``None`` marks an argument
    that is not differentiated. Dict/list/tuple arguments take tangents of the same structure.

    ``vectorized=True``: each tangent leaf has a leading axis of K directions (shape (K,) + the
    primal's shape); the result's tangent leaves have shape (K,) + the output's shape, and equal K
    separate JVPs, computed in one generated pass.

    ``perturbations``: tangents injected at ``tangent_fwd.perturb(z, name=...)`` sites (a dict of site
    name -> tangent, or a callable ``draw(name, z)``), added to those propagated from ``tangents``
    (which may then be None: tangents start at the sites only). ``sites=`` receives a record per site
    reached, ``directions=K`` gives a callable's K in vector mode. See
    :func:`tangent_fwd.perturbation.perturbed_jvp`, which this delegates to."""
    if perturbations is not None:
        return perturbation.perturbed_jvp(
            func, primals, tangents, perturbations=perturbations, vectorized=vectorized, backend=backend,
            sites=sites, directions=directions,
        )  # fmt: skip
    if sites is not None or directions is not None:
        raise ArgumentError("jvp: sites= and directions= go with perturbations= (tangents injected at perturb sites)")
    if not isinstance(primals, (tuple, list)) or not isinstance(tangents, (tuple, list)):
        raise ArgumentError("jvp(func, primals, tangents): primals and tangents must be tuples")
    if len(primals) != len(tangents):
        raise ArgumentError(
            f"jvp: {len(primals)} primal(s) but {len(tangents)} tangent(s); give one tangent "
            "per argument, None for arguments that are not differentiated"
        )
    if isinstance(func, ForwardDiff):
        func = func.func
    func = library.entry(func, len(primals))  # a ufunc, operator.mul...: its one-call wrapper
    if func.__class__ is not _FunctionType:
        func = callables.as_function(func)  # a bound method, partial, callable object: a one-call function
    record = _JVP.get(func)
    if record is None:
        record = _JVP[func] = _JvpRecord(func)
    names = record.names
    wrt = tuple([i for i, t in enumerate(tangents) if t is not None])
    checked = []
    batch = [None] if vectorized else None
    for i in wrt:
        p, t = primals[i], tangents[i]
        if batch is None and _valid_array_tangent(p, t):
            checked.append(t)  # the common case, already valid
            continue
        pname = names[i] if i < len(names) else f"argument {i}"
        checked.append(_check_tangent(p, t, pname, batch))
    if backend == "auto":
        if _modules_seen[0] or "cupy" in _sys_modules:
            backend = backends.detect(primals, names)
        else:
            backend = "numpy"
    else:
        backends.check_name(backend)
    if not wrt:
        value = func(*primals)
        if isinstance(value, np.generic) and value.dtype.kind in "fc":
            return value, value.dtype.type(0)  # a NumPy float result: a zero of its own type, not array(0.)
        from .runtime import zeros_like

        return value, zeros_like(value)
    key = (wrt, backend, vectorized)
    fd = record.fds.get(key)
    if fd is None:
        fd = record.fds[key] = ForwardDiff(func, wrt=wrt, backend=backend, vectorized=vectorized)
    return fd(*primals, *checked)


_ndarray = np.ndarray
_FunctionType = types.FunctionType


class _JvpRecord:
    """What ``jvp`` needs per function, found once: its parameter names and a ForwardDiff per
    (wrt, backend, vectorized)."""

    __slots__ = ("names", "fds", "__weakref__")

    def __init__(self, func):
        try:
            self.names = [p.name for p in inspect.signature(func).parameters.values()]
        except (TypeError, ValueError):
            self.names = []
        self.fds = {}


_JVP = weakref.WeakKeyDictionary()  # func (a user function or a library wrapper) -> _JvpRecord


def _valid_array_tangent(p, t):
    """A NumPy array tangent of its primal's shape and dtype: valid as it is."""
    return p.__class__ is _ndarray and t.__class__ is _ndarray and p.shape == t.shape and p.dtype == t.dtype


def _check_tangent(primal, tangent, path, batch=None):
    """Validate (and dtype-align) a tangent against its primal; errors name the argument. With
    ``batch`` (vector mode, a one-element list holding K once seen) each leaf has a leading K axis."""
    if isinstance(primal, dict):
        if not isinstance(tangent, dict) or tangent.keys() != primal.keys():
            raise ArgumentError(
                f"tangent for {path} must be a dict with keys {sorted(primal)}, got {_describe(tangent)}"
            )
        out = {}
        for k, p in primal.items():
            t = tangent[k]
            if batch is None and _valid_array_tangent(p, t):
                out[k] = t  # the common case, decided without formatting the path
            else:
                out[k] = _check_tangent(p, t, f"{path}[{k!r}]", batch)
        return out
    if _records.is_record(primal):
        if not isinstance(primal, tuple):  # a dataclass (records.py); a namedtuple is checked as a tuple below
            if type(tangent) is not type(primal):
                raise ArgumentError(
                    f"tangent for {path} must be a {type(primal).__name__} holding the fields' tangents, "
                    f"got {_describe(tangent)}"
                )
            fields = _records.names(primal)
            items = [_check_tangent(getattr(primal, n), getattr(tangent, n), f"{path}.{n}", batch) for n in fields]
            return _records.rebuild(tangent, items)
    if isinstance(primal, (list, tuple)):
        if not isinstance(tangent, (list, tuple)) or len(tangent) != len(primal):
            raise ArgumentError(
                f"tangent for {path} must be a {type(primal).__name__} of length {len(primal)}, "
                f"got {_describe(tangent)}"
            )
        out = [_check_tangent(p, t, f"{path}[{i}]", batch) for i, (p, t) in enumerate(zip(primal, tangent))]
        return type(primal)(*out) if hasattr(primal, "_fields") else type(primal)(out)  # namedtuples
    if isinstance(tangent, lowrank.LowRank):
        pshape = getattr(primal, "shape", None)
        if batch is not None:
            raise ArgumentError(f"tangent for {path}: LowRank tangents cannot be combined with vectorized=True")
        if pshape is None or tuple(pshape) != tangent.shape:
            raise ArgumentError(
                f"tangent for {path} is a LowRank of shape {tangent.shape} but the primal has "
                f"shape {None if pshape is None else tuple(pshape)}"
            )
        pd = getattr(primal, "dtype", None)
        if pd is not None and pd.kind in "fc" and (tangent.u.dtype != pd or tangent.w.dtype != pd):
            tangent = tangent.astype(pd)
        return tangent
    if batch is not None:
        pshape = tuple(getattr(primal, "shape", ()))
        tshape = getattr(tangent, "shape", None)
        if tshape is None or len(tshape) != len(pshape) + 1 or tuple(tshape[1:]) != pshape:
            raise ArgumentError(
                f"vectorized tangent for {path} must have shape (K,) + {pshape}, got {_describe(tangent)}"
            )
        if batch[0] is None:
            batch[0] = tshape[0]
        elif tshape[0] != batch[0]:
            raise ArgumentError(
                f"vectorized tangent for {path} has {tshape[0]} directions but an earlier argument has {batch[0]}"
            )
        pd = getattr(primal, "dtype", None)
        if pd is not None and pd.kind in "fc" and tangent.dtype != pd:
            tangent = tangent.astype(pd)
        return tangent
    pshape = getattr(primal, "shape", None)
    tshape = getattr(tangent, "shape", None)
    if pshape is None:
        if tshape not in (None, ()):
            raise ArgumentError(f"tangent for {path} has shape {tshape} but the primal is a scalar")
        if not isinstance(tangent, (int, float, complex, np.number)) and tshape is None:
            raise ArgumentError(f"tangent for {path} must be a number, got {_describe(tangent)}")
        return tangent
    if tshape is None:
        if pshape == () and isinstance(tangent, (int, float)):
            return tangent
        raise ArgumentError(f"tangent for {path} must be an array of shape {pshape}, got {_describe(tangent)}")
    if tuple(tshape) != tuple(pshape):
        raise ArgumentError(f"tangent for {path} has shape {tuple(tshape)} but the primal has shape {tuple(pshape)}")
    pd = getattr(primal, "dtype", None)
    if pd is not None and pd.kind in "fc" and tangent.dtype != pd:
        tangent = tangent.astype(pd)
    return tangent


def _describe(v):
    if hasattr(v, "shape"):
        return f"{type(v).__name__} of shape {tuple(v.shape)}"
    return type(v).__name__


perturbation.set_jvp(jvp)  # perturbed_jvp with ordinary tangents goes through the checked API
