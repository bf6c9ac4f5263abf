"""Array backends: the namespace generated code calls (``xp``). NumPy always; CuPy when usable;
others (a strict test namespace, say) by :func:`register`."""

from .errors import ArgumentError
from .lowrank import LowRank


class Backend:
    """A named array namespace. ``array_module`` is the top-level module name of its array type
    (``'cupy'`` for ``cupy.ndarray``), used by ``backend='auto'``."""

    def __init__(self, name, module, array_module=None):
        self.name, self.module = name, module
        self.array_module = array_module or module.__name__.split(".")[0]

    def __repr__(self):
        return f"Backend({self.name!r})"


_BACKENDS = {}
OTHERS = [False]  # OTHERS[0] is True once a backend other than NumPy is registered (read by api's fast path)
_LOADERS = {}
BUILTIN = ("auto", "numpy", "cupy")


def names():
    return tuple(dict.fromkeys(BUILTIN + tuple(_BACKENDS)))


def register(name, module, array_module=None):
    """Make ``module`` (which mirrors the NumPy API) usable as ``backend=name``."""
    b = Backend(name, module, array_module)
    _BACKENDS[name] = b
    if name != "numpy":
        OTHERS[0] = True
    from . import runtime

    runtime.register_namespace(b.array_module, module)
    return b


def check_name(name):
    if name not in names():
        raise ArgumentError(f"unknown backend {name!r}; valid backends: {', '.join(names())}")


def get(name):
    """The backend called ``name``; 'auto' is resolved by the caller from its arrays."""
    if name in _BACKENDS:
        return _BACKENDS[name]
    if name == "numpy":
        import numpy

        return register("numpy", numpy)
    if name == "cupy":
        return register("cupy", _import_cupy())
    raise ArgumentError(f"unknown backend {name!r}; valid backends: {', '.join(names())}")


def for_codegen(name):
    """The backend for *generating* source: CuPy's code can be shown (``source(f, backend='cupy')``)
    on a machine without CuPy or without a GPU; running it needs :func:`get`."""
    try:
        return get(name)
    except ArgumentError:
        if name != "cupy":
            raise
        import types

        placeholder = types.ModuleType("cupy")
        placeholder.fuse = None  # marks a backend with kernel fusion
        return Backend("cupy", placeholder, "cupy")


def _import_cupy():
    try:
        import cupy
    except ImportError:
        raise ArgumentError(
            "backend='cupy' but CuPy is not installed",
            hint="pip install 'tangent_fwd[cuda12]' (or 'tangent_fwd[cuda13]' for CUDA 13)",
        ) from None
    try:
        available = bool(cupy.is_available())
    except Exception:  # pragma: no cover - depends on the driver
        available = False
    if not available:
        raise ArgumentError(
            "backend='cupy' but CuPy is installed and finds no usable CUDA device",
            hint="check the NVIDIA driver (nvidia-smi) and that the cupy-cudaXXx package matches "
            "your CUDA version; or pass backend='numpy'",
        )
    return cupy


def detect(values, names_=None):
    """The backend name for the arrays among ``values`` (pytrees): 'numpy' unless every array belongs
    to another registered backend; mixing two kinds is an error naming the arguments."""
    found = {}
    for i, v in enumerate(values):
        label = names_[i] if names_ and i < len(names_) else f"argument {i}"
        _scan(v, label, found)
    kinds = {k for k in found if k != "numpy"}
    if len(found) > 1:
        desc = "; ".join(f"{k}: {', '.join(sorted(set(v)))}" for k, v in sorted(found.items()))
        raise ArgumentError(
            f"arguments mix arrays of different backends ({desc})",
            hint="move every array to one device first (cupy.asarray / .get())",
        )
    if not kinds:
        return "numpy"
    mod = kinds.pop()
    for b in list(_BACKENDS.values()):
        if b.array_module == mod:
            return b.name
    if mod == "cupy":
        return "cupy"
    raise ArgumentError(f"no backend is registered for arrays from module {mod!r}")


def _scan(v, label, found):
    if isinstance(v, LowRank):
        _scan(v.u, label, found)
        _scan(v.w, label, found)
    elif isinstance(v, (list, tuple)):
        for i, x in enumerate(v):
            _scan(x, f"{label}[{i}]", found)
    elif isinstance(v, dict):
        for k, x in v.items():
            _scan(x, f"{label}[{k!r}]", found)
    elif hasattr(v, "shape") and hasattr(v, "dtype") and not isinstance(v, type):  # a class (np.ndarray) is no array
        mod = type(v).__module__.split(".")[0]
        if mod == "numpy" and getattr(v, "ndim", 0) == 0:
            return  # NumPy scalars mix with any backend
        found.setdefault(mod, []).append(label)
