"""NumPy's function for a backend's function of the same name (``cupy.tanh`` -> ``numpy.tanh``).

Generated code for another backend calls ``xp.tanh``; when such code is differentiated again, or one
of its functions reaches a call specialised when it runs (``callables.jvp_of``), the compiler looks the
function up by NumPy's object, which has the rule."""

import numpy

from . import backends

_TABLES = {}  # id(backend module) -> (module, {id(its function): (its function, NumPy's)})
_SUBMODULES = (("", numpy), ("linalg", numpy.linalg), ("fft", numpy.fft))


def backend_modules():
    """The array modules of the backends registered so far, other than NumPy (none: nothing to map)."""
    if not backends.OTHERS[0]:
        return []
    return [b.module for b in backends._BACKENDS.values() if b.module is not numpy]


def numpy_twin(fn, module):
    """NumPy's function standing for ``fn``, a function of backend array module ``module``; else ``fn``."""
    hit = _TABLES.get(id(module))
    if hit is None or hit[0] is not module:
        table = {}
        for sub, np_mod in _SUBMODULES:
            mod = getattr(module, sub, None) if sub else module
            if mod is None:
                continue
            for name in dir(np_mod):
                theirs, ours = getattr(mod, name, None), getattr(np_mod, name, None)
                if not name.startswith("_") and callable(theirs) and callable(ours):
                    table.setdefault(id(theirs), (theirs, ours))
        hit = _TABLES[id(module)] = (module, table)
    entry = hit[1].get(id(fn))
    return entry[1] if entry is not None and entry[0] is fn else fn
