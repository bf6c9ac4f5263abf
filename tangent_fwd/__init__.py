"""tangent_fwd: source-to-source forward-mode automatic differentiation for Python and NumPy.

>>> import numpy as np, tangent_fwd
>>> def f(x):
...     return np.sin(x) * x
>>> value, tangent = tangent_fwd.jvp(f, (1.0,), (1.0,))   # doctest: +SKIP
"""

from . import rules as _rules  # noqa: F401  (registers the library's rules)
from .api import ForwardDiff, forward_diff, jvp, source
from .contexts import TangentFailure, register_context_manager
from .errors import (
    ArgumentError,
    InternalError,
    MissingRuleError,
    NotDifferentiableHere,
    SourceUnavailableError,
    TransformError,
    UnsupportedSyntaxError,
)
from .jacobian import hessian, jacfwd
from .library import defidentity
from .lowrank import LowRank
from .perturbation import perturb, perturbed_jvp
from .registry import (
    defattr_linear,
    defattr_zero,
    defjvp,
    deflinear,
    defmethod,
    defmethod_linear,
    defmethod_zero,
    defzero,
)

__version__ = "0.1.0"

__all__ = [
    "forward_diff",
    "jvp",
    "source",
    "ForwardDiff",
    "defjvp",
    "deflinear",
    "defzero",
    "defmethod",
    "defmethod_linear",
    "defmethod_zero",
    "defattr_linear",
    "defattr_zero",
    "register_context_manager",
    "TangentFailure",
    "TransformError",
    "UnsupportedSyntaxError",
    "MissingRuleError",
    "NotDifferentiableHere",
    "SourceUnavailableError",
    "ArgumentError",
    "InternalError",
    "stop_gradient",
    "jacfwd",
    "hessian",
    "LowRank",
    "forward_gradient",
    "defidentity",
    "perturb",
    "perturbed_jvp",
]


def stop_gradient(x):
    """Identity whose result carries no tangent (like jax.lax.stop_gradient)."""
    return x


defzero(stop_gradient)

from .training.forward_gradient import forward_gradient  # noqa: E402  (the forward-gradient method's entry point)
