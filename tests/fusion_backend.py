"""A CPU backend with CuPy's ``fuse`` API as the identity: it runs the *fused* generated code on NumPy,
so the fusion pass (grouping, kernel inputs and outputs) is checked on machines without a GPU."""

import types

import numpy as np

fusetest = types.ModuleType("fusetest")
for _k in dir(np):
    if not _k.startswith("_"):
        setattr(fusetest, _k, getattr(np, _k))
fusetest.linalg, fusetest.random, fusetest.lib, fusetest.fft = np.linalg, np.random, np.lib, np.fft
try:  # its special functions (the scipy.special rules' derivatives find them as xp.special)
    import scipy.special as _special

    fusetest.special = _special
except ImportError:  # pragma: no cover - SciPy is optional
    pass
fusetest.calls = []


def _fuse(*args, **kwargs):
    def deco(f):
        def kernel(*a):
            fusetest.calls.append(f.__name__)
            return f(*a)

        kernel.__name__ = f.__name__
        return kernel

    return deco


fusetest.fuse = _fuse
