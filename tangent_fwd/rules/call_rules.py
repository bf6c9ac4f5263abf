"""Rules for the helpers behind calls through function values (callables.py): orderings are piecewise constant."""

from .. import callables
from ..registry import defzero

defzero(callables.stable_order)  # sorted(..., key=): which permutation, not the values
defzero(callables.best_index)  # min/max(..., key=): which item
defzero(callables.jvp_of)  # a function (the JVP of a function value): no tangent of its own
