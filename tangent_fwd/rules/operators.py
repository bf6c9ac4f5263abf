"""Rules for Python's operators (``a + b`` resolves to ``operator.add`` and so on)."""

import operator

from ..registry import defjvp, defzero

# ------------------------------------------------------------------ arithmetic
defjvp(operator.add, "x, y", "dx", "dy")
defjvp(operator.sub, "x, y", "dx", "-dy")
defjvp(operator.mul, "x, y", "dx * y", "x * dy")
defjvp(operator.truediv, "x, y", "dx / y", "-(dy * ans) / y")
# y * x**(y - 1), 0 at y == 0 (the exponent is 0 there: no 0 * inf at x == 0); for a constant y it
# folds to y - 1 at compile time: numpy.power's rule, see numpy_rules.py
defjvp(operator.pow, "x, y", "y * x ** (y - 1 + (y == 0)) * dx", "dy * rt.pow_dy(np, x, ans)")
defjvp(operator.matmul, "x, y", "dx @ y", "x @ dy")
defjvp(operator.mod, "x, y", "dx", "-dy * (x // y)")
defjvp(operator.neg, "x", "-dx")
defjvp(operator.pos, "x", "dx")
# ------------------------------------------------------------------ piecewise constant
defzero(operator.floordiv)
defzero(operator.not_)
defzero(operator.invert)
defzero(operator.and_)
defzero(operator.or_)
defzero(operator.xor)
defzero(operator.lshift)
defzero(operator.rshift)
