"""Forward-gradient training (Baydin et al. 2022, "Gradients without Backpropagation").

* :func:`forward_gradient` — unbiased gradient estimates from one JVP per random direction.
* :mod:`.optim` — forward-gradient SGD (the paper's Algorithm 1), momentum and Adam, updating pytrees
  in place; the same classes accept the hand-written backprop gradients for comparison.
* :mod:`.models` — logistic regression, MLP and CNN losses in the NumPy subset tangent_fwd compiles.
* :mod:`.backprop` — BASELINE hand-written backward passes for those models.
* :mod:`.runner` — the training loop behind ``tangent-fwd train`` / ``tangent-fwd compare``.
"""

from .forward_gradient import DISTRIBUTIONS, forward_gradient, sample_directions
from .models import MODEL_NAMES, get_model
from .optim import OPTIMIZERS, SGD, Adam, Momentum, make_optimizer

__all__ = [
    "forward_gradient",
    "sample_directions",
    "DISTRIBUTIONS",
    "SGD",
    "Momentum",
    "Adam",
    "make_optimizer",
    "OPTIMIZERS",
    "get_model",
    "MODEL_NAMES",
]
