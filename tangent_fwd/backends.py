"""Array backends: the namespace generated code calls (``xp``). NumPy always; CuPy when usable."""
from .errors import ArgumentError


class Backend:
    def __init__(self, name, module):
        self.name, self.module = name, module

    def __repr__(self):
        return f"Backend({self.name!r})"


_BACKENDS = {}
NAMES = ("auto", "numpy", "cupy")


def get(name):
    """The backend called ``name`` ('numpy' or 'cupy'); 'auto' is resolved by the caller from its arrays."""
    if name in _BACKENDS:
        return _BACKENDS[name]
    if name == "numpy":
        import numpy
        b = Backend("numpy", numpy)
    elif name == "cupy":
        b = Backend("cupy", _import_cupy())
    else:
        raise ArgumentError(f"unknown backend {name!r}; valid backends: {', '.join(NAMES)}")
    _BACKENDS[name] = b
    return b


def _import_cupy():
    try:
        import cupy
    except ImportError:
        raise ArgumentError("backend='cupy' but CuPy is not installed",
                            hint="pip install 'tangent_fwd[cuda12]' (or [cuda13] for CUDA 13)") from None
    try:
        available = cupy.is_available()
    except Exception:  # pragma: no cover - depends on the driver
        available = False
    if not available:
        raise ArgumentError("backend='cupy' but CuPy finds no usable CUDA device",
                            hint="check the NVIDIA driver (nvidia-smi) and that the cupy-cudaXXx package "
                                 "matches your CUDA version; or use backend='numpy'")
    return cupy


def detect(values):
    """'cupy' if any array among ``values`` (a pytree) is a CuPy array, else 'numpy'."""
    found = set()
    _scan(values, found)
    if "cupy" in found and "numpy" in found:
        raise ArgumentError("arguments mix NumPy and CuPy arrays; move them to one device first")
    return "cupy" if "cupy" in found else "numpy"


def _scan(v, found):
    if isinstance(v, (list, tuple)):
        for x in v:
            _scan(x, found)
    elif isinstance(v, dict):
        for x in v.values():
            _scan(x, found)
    else:
        mod = type(v).__module__.split(".")[0]
        if mod == "cupy":
            found.add("cupy")
        elif mod == "numpy" and hasattr(v, "shape") and getattr(v, "ndim", 0) > 0:
            found.add("numpy")
