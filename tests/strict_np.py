"""A strict stand-in for a non-NumPy array library (what CuPy is to generated code), on the CPU.

``strict_np`` mirrors the NumPy API surface that CuPy mirrors, but its arrays refuse to become NumPy
arrays: ``np.asarray(a)``, ``np.sin(a)``, ``np.sum(a)`` or mixing with an ``np.ndarray`` all raise
``HostFallbackError``. Generated code that runs on it therefore never calls NumPy on a device array.
Inside, each function unwraps, calls the NumPy function of the same name and wraps the result.

Two switches for the training tests (``tests/training``):

* ``guard_host_sync()``: inside it, every implicit device->host read (``float(a)``, ``int(a)``,
  ``bool(a)``, ``a.item()``, ``a.tolist()``, using ``a`` as an index) raises :class:`HostSyncError`;
  only the explicit copy ``a.get()`` (CuPy's) passes, and each one is counted in ``GETS``.
* ``recording()``: collects ``(name, keyword names)`` of every namespace function, array method and
  random-generator method called, so a test can check each one against CuPy's API.
"""

import builtins
import sys
import types

import numpy as _np


class HostFallbackError(TypeError):
    """A strict-backend array reached NumPy (a host fallback)."""


class HostSyncError(HostFallbackError):
    """An implicit device->host read (float(a), a.item(), ...) while ``guard_host_sync()`` is on."""


_GUARD = [0]  # > 0 inside guard_host_sync()
GETS = [0]  # explicit .get() copies made inside guard_host_sync()
_RECORD = []  # the active recording() sets


class _Switch:
    def __init__(self, enter, leave):
        self._enter, self._leave = enter, leave

    def __enter__(self):
        return self._enter()

    def __exit__(self, *exc):
        self._leave()
        return False


def guard_host_sync():
    """Context manager: implicit host reads of strict arrays raise; ``.get()`` is counted in ``GETS``."""

    def enter():
        _GUARD[0] += 1
        GETS[0] = 0
        return GETS

    def leave():
        _GUARD[0] -= 1

    return _Switch(enter, leave)


def recording():
    """Context manager yielding a set of ``(qualified name, frozenset(keyword names))`` of the calls made."""
    calls = set()

    def leave():
        _RECORD.remove(calls)

    def enter():
        _RECORD.append(calls)
        return calls

    return _Switch(enter, leave)


def _record(name, kwargs):
    for calls in _RECORD:
        calls.add((name, frozenset(kwargs)))


def _host_read(what):
    if _GUARD[0]:
        raise HostSyncError(f"{what} of a strict-backend array reads it on the host (an implicit synchronisation)")


def _unwrap(v):
    if isinstance(v, StrictArray):
        return v._a
    if isinstance(v, _np.ndarray):
        raise HostFallbackError(f"a NumPy array (shape {v.shape}) was mixed with strict-backend arrays")
    if isinstance(v, (list, tuple)):
        return type(v)(_unwrap(x) for x in v)
    if isinstance(v, dict):
        return {k: _unwrap(x) for k, x in v.items()}
    if isinstance(v, slice):
        return slice(_unwrap(v.start), _unwrap(v.stop), _unwrap(v.step))
    return v


def _wrap(v):
    if isinstance(v, _np.ndarray):
        return StrictArray(v)
    if isinstance(v, _np.generic) and not isinstance(v, _np.bool_):
        return StrictArray(_np.asarray(v))  # like CuPy: reductions give 0-d device arrays
    if isinstance(v, tuple):
        if hasattr(v, "_fields"):  # namedtuples (SVDResult, ...)
            return type(v)(*(_wrap(x) for x in v))
        return tuple(_wrap(x) for x in v)
    if isinstance(v, list):
        return [_wrap(x) for x in v]
    return v


def _refuse(*args, **kwargs):
    raise HostFallbackError("conversion of a strict-backend array to NumPy (host fallback)")


class StrictArray:
    __slots__ = ("_a",)
    __array_priority__ = 1000

    def __init__(self, a):
        object.__setattr__(self, "_a", a)

    # NumPy must never see inside
    __array__ = _refuse
    __array_interface__ = property(_refuse)
    __array_struct__ = property(_refuse)

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        # a scipy.special ufunc runs as this backend's own (CuPy runs them as cupyx.scipy.special's)
        own = getattr(special, ufunc.__name__, None) if method == "__call__" and _is_special(ufunc) else None
        if own is not None:
            return own(*inputs, **kwargs)
        raise HostFallbackError(f"numpy.{ufunc.__name__} was called on a strict-backend array")

    def __array_function__(self, func, types_, args, kwargs):
        raise HostFallbackError(f"numpy.{func.__name__} was called on a strict-backend array")

    def __array_namespace__(self, api_version=None):
        return sys.modules[__name__]

    # attributes
    shape = property(lambda self: self._a.shape)
    ndim = property(lambda self: self._a.ndim)
    size = property(lambda self: self._a.size)
    dtype = property(lambda self: self._a.dtype)
    T = property(lambda self: StrictArray(self._a.T))
    mT = property(lambda self: StrictArray(self._a.mT))
    real = property(lambda self: StrictArray(self._a.real))
    imag = property(lambda self: StrictArray(self._a.imag))
    device = property(lambda self: "strict-device")

    def __repr__(self):
        return f"StrictArray({self._a!r})"

    def __len__(self):
        return len(self._a)

    def __iter__(self):
        for row in self._a:
            yield _wrap(row) if isinstance(row, _np.ndarray) else StrictArray(_np.asarray(row))

    def __bool__(self):
        _host_read("bool()")
        # (builtins.bool: this module mirrors numpy, so its own name 'bool' is numpy.bool)
        return builtins.bool(self._a.item()) if self._a.size == 1 else builtins.bool(self._a)

    def __float__(self):
        _host_read("float()")
        return builtins.float(self._a)

    def __format__(self, spec):  # f"{x:.3f}" of a device value reads it on the host
        raise HostFallbackError("formatting a strict-backend array (host fallback)")

    def __int__(self):
        _host_read("int()")
        return builtins.int(self._a)

    def __index__(self):
        _host_read("use as an index")
        return self._a.__index__()

    def __getitem__(self, idx):
        return (
            _wrap(self._a[_unwrap(idx)])
            if not _np.isscalar(self._a[_unwrap(idx)])
            else StrictArray(_np.asarray(self._a[_unwrap(idx)]))
        )

    def __setitem__(self, idx, value):
        self._a[_unwrap(idx)] = _unwrap(value)

    def get(self):
        """Explicit device->host copy, like cupy.ndarray.get()."""
        _record("ndarray.get", ())
        if _GUARD[0]:
            GETS[0] += 1
        return self._a.copy()

    def tolist(self):
        _host_read("tolist()")
        return self._a.tolist()

    def item(self, *args):
        _host_read("item()")
        return self._a.item(*args)

    def view(self, dtype):
        _record("ndarray.view", ())
        return StrictArray(self._a.view(dtype))

    nbytes = property(lambda self: self._a.nbytes)
    flags = property(lambda self: self._a.flags)  # c_contiguous etc., as cupy.ndarray.flags


def _binary(name):
    def op(self, other):
        return _wrap(getattr(self._a, name)(_unwrap(other)))

    op.__name__ = name
    return op


for _name in (
    "__add__",
    "__radd__",
    "__sub__",
    "__rsub__",
    "__mul__",
    "__rmul__",
    "__truediv__",
    "__rtruediv__",
    "__floordiv__",
    "__rfloordiv__",
    "__mod__",
    "__rmod__",
    "__pow__",
    "__rpow__",
    "__matmul__",
    "__rmatmul__",
    "__lt__",
    "__le__",
    "__gt__",
    "__ge__",
    "__eq__",
    "__ne__",
    "__and__",
    "__rand__",
    "__or__",
    "__ror__",
    "__xor__",
    "__rxor__",
    "__iadd__",
    "__isub__",
    "__imul__",
    "__itruediv__",
    "__ipow__",
    "__imatmul__",
    "__ifloordiv__",
    "__imod__",
):
    setattr(StrictArray, _name, _binary(_name))
for _name in ("__divmod__", "__rdivmod__"):
    setattr(StrictArray, _name, _binary(_name))
for _name in ("__neg__", "__pos__", "__abs__", "__invert__"):
    setattr(StrictArray, _name, (lambda n: lambda self: _wrap(getattr(self._a, n)()))(_name))


def _method(name):
    def m(self, *args, **kwargs):
        if _RECORD:
            _record("ndarray." + name, kwargs)
        return _wrap(getattr(self._a, name)(*_unwrap(args), **_unwrap(kwargs)))

    m.__name__ = name
    return m


for _name in (
    "sum",
    "mean",
    "max",
    "min",
    "prod",
    "std",
    "var",
    "reshape",
    "transpose",
    "dot",
    "ravel",
    "flatten",
    "copy",
    "astype",
    "clip",
    "squeeze",
    "cumsum",
    "cumprod",
    "argmax",
    "argmin",
    "argsort",
    "any",
    "all",
    "swapaxes",
    "repeat",
    "take",
    "trace",
    "diagonal",
    "conj",
    "conjugate",
    "round",
    "nonzero",
    "fill",
    "sort",
    "view",
):
    setattr(StrictArray, _name, _method(_name))


def _function(f, name):
    def g(*args, **kwargs):
        if _RECORD:
            _record(name, kwargs)
        return _wrap(f(*_unwrap(args), **_unwrap(kwargs)))

    g.__name__ = name
    g.__qualname__ = name
    g.__module__ = __name__
    if isinstance(f, _np.ufunc):  # CuPy's ufuncs have these methods too (np.add.at writes its first argument)
        for method in ("reduce", "accumulate", "outer", "at", "reduceat"):
            setattr(g, method, _function(getattr(f, method), f"{name}.{method}"))
    return g


def _mirror(module, np_module, prefix):
    for k in dir(np_module):
        if k.startswith("_"):
            continue
        v = getattr(np_module, k)
        if isinstance(v, type):  # dtypes and scalar types are shared, as in CuPy
            setattr(module, k, v)
        elif callable(v):
            setattr(module, k, _function(v, prefix + k))
        elif not isinstance(v, types.ModuleType):
            setattr(module, k, v)


_this = sys.modules[__name__]
_mirror(_this, _np, "")
linalg = types.ModuleType(__name__ + ".linalg")
_mirror(linalg, _np.linalg, "linalg.")
fft = types.ModuleType(__name__ + ".fft")
_mirror(fft, _np.fft, "fft.")
random = types.ModuleType(__name__ + ".random")
_mirror(random, _np.random, "random.")
special = types.ModuleType(__name__ + ".special")  # the scipy.special of this backend (cupyx.scipy.special)
try:
    import scipy.special as _scipy_special
except ImportError:  # pragma: no cover - SciPy is optional
    _scipy_special = None
else:
    _mirror(special, _scipy_special, "special.")


def _is_special(ufunc):
    return _scipy_special is not None and getattr(_scipy_special, ufunc.__name__, None) is ufunc


lib = types.ModuleType(__name__ + ".lib")
lib.stride_tricks = types.ModuleType(__name__ + ".lib.stride_tricks")
_mirror(lib.stride_tricks, _np.lib.stride_tricks, "lib.stride_tricks.")
ndarray = StrictArray


class _BitGenerator:
    """CuPy's ``random.XORWOW`` / ``random.Philox4x3210`` on the strict device: seeded like CuPy's (through
    ``numpy.random.SeedSequence``), with ``random_raw`` giving 32-bit raw draws as a strict array."""

    def __init__(self, seed=None, size=None):
        _record("random." + type(self).__name__, {"size": size} if size is not None else {})
        self._gen = _np.random.Generator(_np.random.Philox(_np.random.SeedSequence(_unwrap(seed))))

    def random_raw(self, size=None, output=True):
        _record("random.BitGenerator.random_raw", {"output": output} if output is not True else {})
        return StrictArray(_np.asarray(self._gen.integers(0, 2**32, size=size, dtype=_np.uint32)))


class XORWOW(_BitGenerator):
    pass


class Philox4x3210(_BitGenerator):
    pass


class _Generator:
    """``random.Generator`` / ``random.default_rng()`` on the strict device (CuPy's API): draws come back
    as strict arrays, ``out=`` must be a strict array; other methods pass through to NumPy's."""

    def __init__(self, bit_generator):
        if isinstance(bit_generator, _np.random.Generator):  # default_rng of a corpus function
            self._gen = bit_generator
        else:
            self._gen = bit_generator._gen

    def _draw(self, method, size=None, dtype=_np.float64, out=None):
        _record("random.Generator." + method, {"dtype": dtype, "out": out, "size": size})
        if out is not None:
            if not isinstance(out, StrictArray):
                raise HostFallbackError("out= of a strict generator must be a strict array")
            getattr(self._gen, method)(size=size, dtype=dtype, out=out._a)
            return out
        return _wrap(getattr(self._gen, method)(size=size, dtype=dtype))

    def random(self, size=None, dtype=_np.float64, out=None):
        return self._draw("random", size, dtype, out)

    def standard_normal(self, size=None, dtype=_np.float64, out=None):
        return self._draw("standard_normal", size, dtype, out)

    def __getattr__(self, name):
        attr = getattr(self._gen, name)
        if callable(attr):

            def call(*a, **k):
                _record("random.Generator." + name, k)
                return _wrap(attr(*_unwrap(a), **_unwrap(k)))

            return call
        return attr


def _default_rng(seed=None):
    _record("random.default_rng", ())
    if isinstance(seed, _BitGenerator):
        return _Generator(seed)
    return _Generator(_np.random.default_rng(_unwrap(seed)))


random.default_rng = _default_rng
random.Generator = _Generator
random.XORWOW = XORWOW
random.Philox4x3210 = Philox4x3210
del XORWOW, Philox4x3210


def asarray(a, dtype=None, **kwargs):
    if _RECORD:
        _record("asarray", dict(kwargs, **({"dtype": dtype} if dtype is not None else {})))
    if isinstance(a, StrictArray):
        return a if dtype is None else a.astype(dtype)
    if isinstance(a, _np.ndarray):  # a host->device upload (cupy.asarray of a NumPy array): a copy
        return StrictArray(_np.array(a, dtype=dtype, copy=True))
    return StrictArray(_np.asarray(_unwrap(a), dtype=dtype))


def array(a, dtype=None, copy=True, **kwargs):
    if _RECORD:
        _record("array", dict(kwargs, **({"dtype": dtype} if dtype is not None else {})))
    return StrictArray(_np.array(_unwrap(a), dtype=dtype, copy=copy))


def to_device(tree):
    """Host pytree -> strict pytree (like cupy.asarray over a pytree)."""
    if isinstance(tree, _np.ndarray):
        return StrictArray(tree.copy())
    if isinstance(tree, dict):
        return {k: to_device(v) for k, v in tree.items()}
    if isinstance(tree, tuple) and hasattr(tree, "_fields"):  # a namedtuple: its fields as arguments
        return type(tree)(*(to_device(v) for v in tree))
    if isinstance(tree, (list, tuple)):
        return type(tree)(to_device(v) for v in tree)
    return tree


def to_host(tree):
    if isinstance(tree, StrictArray):
        return tree._a.copy() if tree._a.ndim else tree._a[()]
    if isinstance(tree, dict):
        return {k: to_host(v) for k, v in tree.items()}
    if isinstance(tree, tuple) and hasattr(tree, "_fields"):  # a namedtuple: its fields as arguments
        return type(tree)(*(to_host(v) for v in tree))
    if isinstance(tree, (list, tuple)):
        return type(tree)(to_host(v) for v in tree)
    return tree
