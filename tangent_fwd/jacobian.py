"""Full derivatives from forward mode: ``jacfwd`` (vector mode with identity tangents, chunked so
memory stays bounded) and ``hessian`` (forward over forward)."""

import itertools
import linecache
from collections.abc import Callable
from typing import Any

import numpy as np

from . import callables, library
from .api import ForwardDiff, Wrt, _wrt_names
from .errors import ArgumentError
from .runtime import namespace_of

_counter = itertools.count()


def _param_index(func, wrt):
    names = _wrt_names(func, wrt)
    if len(names) != 1:
        raise ArgumentError("jacfwd/hessian differentiate with respect to one parameter; call it once per parameter")
    params = list(callables.signature(func).parameters)
    return params.index(names[0]), names[0]


def _input_facts(x, who="jacfwd"):
    """(is a Python number, array namespace, shape, floating dtype, size) of the input differentiated."""
    if not hasattr(x, "shape") and not isinstance(x, (int, float, complex)):
        raise ArgumentError(
            f"{who} differentiates with respect to an array or a number; got a {type(x).__name__}",
            hint="pass an array (np.asarray(x)); for a list, tuple or dict of arrays use tangent_fwd.jvp, whose "
            "tangents take the same structure",
        )
    scalar = not hasattr(x, "shape")
    xp = np if scalar else namespace_of(x)
    shape = () if scalar else tuple(x.shape)
    dtype = xp.float64 if scalar or x.dtype.kind not in "fc" else x.dtype
    return scalar, xp, shape, dtype, int(np.prod(shape, dtype=np.int64))


def jacfwd(
    func: Callable[..., Any], wrt: Wrt = 0, *, chunk_size: int = 64, backend: str = "auto"
) -> Callable[..., Any]:
    """``jacfwd(f, wrt)(*args)`` -> the Jacobian of ``f`` w.r.t. one array (or float) parameter, with
    shape ``out.shape + x.shape`` (a tuple output gives a tuple of Jacobians).

    It runs the vector-mode generated code on chunks of ``chunk_size`` identity directions, so the
    tangents held at once are ``chunk_size`` times the size of the values, whatever the input size.
    """
    if chunk_size < 1:
        raise ArgumentError(f"chunk_size must be positive, got {chunk_size}")
    if isinstance(func, ForwardDiff):
        func = func.func
    library_op, func = func, library.entry(func)  # a ufunc, np.linalg.inv...: its one-call wrapper
    if library.is_wrapper(func) and isinstance(wrt, int) and wrt >= len(callables.signature(func).parameters):
        func = library.entry(library_op, wrt + 1)  # np.where(c, x, y) w.r.t. x: the wrapper taking x
    index, name = _param_index(func, wrt)
    fd = ForwardDiff(func, wrt=name, backend=backend, vectorized=True)
    by_arity = {}  # a library op called with more arguments than its rule needs (np.clip(x, lo, hi))

    def jacobian(*args):
        fd_ = fd
        if func is not library_op:
            wrapper = library.entry(library_op, len(args))
            if wrapper is not func:
                fd_ = by_arity.get(len(args))
                if fd_ is None:
                    fd_ = by_arity[len(args)] = ForwardDiff(wrapper, wrt=name, backend=backend, vectorized=True)
        x = args[index]
        scalar, xp, shape, dtype, n = _input_facts(x)
        pieces = []
        value = None
        starts = range(0, n, chunk_size)
        before = _snapshot(args) if len(starts) > 1 else None
        for start in starts:
            c = min(chunk_size, n - start)
            basis = xp.zeros((c, n), dtype=dtype)
            basis[xp.arange(c), start + xp.arange(c)] = 1
            last = start == starts[-1]  # every chunk sees the arguments as the caller passed them
            value, tangent = fd_(*(args if last else _snapshot(before)), basis.reshape((c,) + shape))
            pieces.append(tangent)
        return _assemble(xp, value, pieces, shape)

    jacobian.__name__ = f"jacfwd_{getattr(func, '__name__', 'f')}"
    jacobian.__doc__ = f"Jacobian of {getattr(func, '__qualname__', func)} w.r.t. {name!r}."
    return jacobian


def _snapshot(args):
    """Copies of the arrays in ``args`` (through lists, tuples and dicts; other objects as they are).
    jacfwd and hessian run the function several times: a function that writes into its arguments in
    place (``w -= lr * g``) must see them as the caller passed them every time, and change the caller's
    arrays once, as one call does (the last run gets the caller's own arguments)."""
    if isinstance(args, list):
        return [_snapshot(a) for a in args]
    if isinstance(args, tuple) and not hasattr(args, "_fields"):
        return tuple(_snapshot(a) for a in args)
    if isinstance(args, dict) and type(args) is dict:
        return {k: _snapshot(v) for k, v in args.items()}
    if hasattr(args, "shape") and hasattr(args, "copy") and not isinstance(args, np.generic):
        return args.copy()
    return args


def _assemble(xp, value, pieces, in_shape):
    if isinstance(value, tuple):
        return tuple(_assemble(xp, v, [p[i] for p in pieces], in_shape) for i, v in enumerate(value))
    stacked = xp.concatenate([xp.asarray(p) for p in pieces], axis=0)  # (n,) + out.shape
    out_shape = tuple(getattr(value, "shape", ()))
    n = stacked.shape[0]
    jac = xp.moveaxis(stacked.reshape((n, -1)), 0, -1)  # (m, n)
    return jac.reshape(out_shape + in_shape) if out_shape or in_shape else jac.reshape(())[()]


def hessian(
    func: Callable[..., Any], wrt: Wrt = 0, *, chunk_size: int = 64, backend: str = "auto"
) -> Callable[..., Any]:
    """``hessian(f, wrt)(*args)`` -> the Hessian of a scalar ``f`` w.r.t. one parameter, shape
    ``x.shape + x.shape``, by forward over forward: column j is the Jacobian (vector mode) of the
    generated JVP code along the j-th unit direction."""
    if isinstance(func, ForwardDiff):
        func = func.func
    func = library.entry(func)
    index, name = _param_index(func, wrt)
    inner = ForwardDiff(func, wrt=name, backend=backend)
    import inspect

    tag = next(_counter)
    fname = f"directional_derivative_{tag}"
    ns = {"__name__": getattr(func, "__module__", "__main__"), "tangent_fwd_direction": None}
    made = []

    def directional_function():
        # made once the JVP is compiled: with defaults or keyword-only parameters its tangent is a keyword
        if not made:
            dname = inner._tangent_params[name]
            direction = "tangent_fwd_direction" if inner._positional else f"{dname}=tangent_fwd_direction"
            sig = list(inspect.signature(func).parameters.values())
            ns.update({f"tangent_fwd_default_{p.name}": p.default for p in sig if p.default is not p.empty})
            declared = [p.name if p.default is p.empty else f"{p.name}=tangent_fwd_default_{p.name}" for p in sig]
            passed = [p.name if p.kind != p.KEYWORD_ONLY else f"{p.name}={p.name}" for p in sig]
            kwonly = [i for i, p in enumerate(sig) if p.kind == p.KEYWORD_ONLY]
            if kwonly:
                declared.insert(kwonly[0], "*")
            src = (
                f"def {fname}({', '.join(declared)}):\n"
                f"    return tangent_fwd_inner({', '.join(passed)}, {direction})[1]\n"
            )
            filename = f"<tangent_fwd hessian {getattr(func, '__qualname__', 'f')} {tag}>"
            linecache.cache[filename] = (len(src), None, src.splitlines(True), filename)
            exec(compile(src, filename, "exec"), ns)
            made.append(ns[fname])
        return made[0]

    def hess(*args):
        x = args[index]
        scalar, xp, shape, dtype, n = _input_facts(x, "hessian")
        before = _snapshot(args)
        probe = inner(*_snapshot(before), x if scalar else xp.zeros_like(x))
        directional = directional_function()
        if isinstance(probe[0], (tuple, list, dict)) or getattr(probe[0], "shape", ()) not in ((), None):
            raise ArgumentError(
                f"hessian needs a scalar-valued function; {func.__name__} returns "
                f"{type(probe[0]).__name__} {getattr(probe[0], 'shape', '')}"
            )
        if n == 0:  # an empty input: an empty Hessian
            return xp.zeros(shape + shape, dtype=dtype)
        ns["tangent_fwd_inner"] = inner.generated_function("numpy" if xp is np else _backend_name(xp))
        jac = jacfwd(directional, wrt=name, chunk_size=chunk_size, backend=backend)
        cols = []
        for j in range(n):
            e = xp.zeros(n, dtype=dtype)
            e[j] = 1
            ns["tangent_fwd_direction"] = 1.0 if scalar else e.reshape(shape)
            cols.append(xp.asarray(jac(*(args if j == n - 1 else _snapshot(before)))).reshape(n))
        return xp.stack(cols, axis=1).reshape(shape + shape) if shape else cols[0].reshape(())[()]

    hess.__name__ = f"hessian_{getattr(func, '__name__', 'f')}"
    return hess


def _backend_name(xp):
    from . import backends

    for name in ("cupy",) + tuple(backends._BACKENDS):
        b = backends._BACKENDS.get(name)
        if b is not None and b.module is xp:
            return name
    return "numpy"
