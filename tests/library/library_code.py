"""Functions written the way SciPy writes array-API code, for tests/library/test_entry_points.py."""

import numpy as np
from scipy._lib._array_api import array_namespace


def softplus_sum(x):
    xp = array_namespace(x)
    return xp.sum(xp.log1p(xp.exp(x)))


def dunder_namespace(x):
    xp = x.__array_namespace__()
    return xp.sin(x) * 2.0


def uses_frexp(x):
    mantissa, _ = np.frexp(x)
    return mantissa * x


# A validator without readable source (made by exec, like code generated at import time): the compiler
# cannot see through it, so it is refused until declared identity-like.
_ns = {"np": np}
exec(
    "def opaque_validator(a, check=True):\n"
    "    if check and not np.all(np.isfinite(a)):\n"
    "        raise ValueError('non-finite input')\n"
    "    return np.asarray(a)\n",
    _ns,
)
opaque_validator = _ns["opaque_validator"]


def uses_validator(x):
    y = opaque_validator(x)
    return y * y
