"""Rules for the ``math`` module (Python floats)."""

import math

from ..registry import defjvp, deflinear, defzero

# ------------------------------------------------------------------ trigonometric
defjvp(math.sin, "x", "dx * math.cos(x)")
defjvp(math.cos, "x", "-dx * math.sin(x)")
defjvp(math.tan, "x", "dx * (1 + ans * ans)")
defjvp(math.asin, "x", "dx / math.sqrt(1 - x * x)")
defjvp(math.acos, "x", "-dx / math.sqrt(1 - x * x)")
defjvp(math.atan, "x", "dx / (1 + x * x)")
defjvp(math.atan2, "y, x", "dy * x / (x * x + y * y)", "-dx * y / (x * x + y * y)")
defjvp(math.hypot, "*coordinates", "rt.hypot_jvp(coordinates, dcoordinates, ans)")
# ------------------------------------------------------------------ hyperbolic
defjvp(math.sinh, "x", "dx * math.cosh(x)")
defjvp(math.cosh, "x", "dx * math.sinh(x)")
defjvp(math.tanh, "x", "dx * (1 - ans * ans)")
defjvp(math.asinh, "x", "dx / math.sqrt(x * x + 1)")
defjvp(math.acosh, "x", "dx / math.sqrt(x * x - 1)")
defjvp(math.atanh, "x", "dx / (1 - x * x)")
# ------------------------------------------------------------------ exponential and logarithmic
defjvp(math.exp, "x", "dx * ans")
defjvp(math.expm1, "x", "dx * (ans + 1)")
defjvp(
    math.log,
    "x, base=None",
    "dx / (x * (1.0 if base is None else math.log(base)))",
    "-dbase * ans / (base * math.log(base))",
)
defjvp(math.log2, "x", "dx / (x * 0.6931471805599453)")
defjvp(math.log10, "x", "dx / (x * 2.302585092994046)")
defjvp(math.log1p, "x", "dx / (1 + x)")
if hasattr(math, "exp2"):  # Python 3.11+, with math.cbrt
    defjvp(math.exp2, "x", "dx * ans * 0.6931471805599453")
    defjvp(math.cbrt, "x", "dx / (3 * ans * ans)")
defjvp(math.sqrt, "x", "dx / (2 * ans)")
defjvp(math.fmod, "x, y", "dx", "-dy * math.trunc(x / y)")
deflinear(math.fsum, "seq")
# as operator.pow: at x == 0 the y-partial is 0 (JAX's convention), and x**0 has a zero x-partial
defjvp(math.pow, "x, y", "y * x ** (y - 1 + (y == 0)) * dx", "dy * rt.pow_dy(math, x, ans)")
# ------------------------------------------------------------------ special functions
defjvp(math.erf, "x", "dx * 1.1283791670955126 * math.exp(-x * x)")
defjvp(math.erfc, "x", "-dx * 1.1283791670955126 * math.exp(-x * x)")
defjvp(math.fabs, "x", "dx * rt.sign(x)")
defjvp(math.copysign, "x, y", "dx * rt.sign(x) * rt.sign(ans)", None)
deflinear(math.degrees, "x")
deflinear(math.radians, "x")
# ------------------------------------------------------------------ piecewise constant
for _f in (math.floor, math.ceil, math.trunc, math.isnan, math.isinf, math.isfinite, math.isclose):
    defzero(_f)
defjvp(math.prod, "iterable, /, *, start=1", "rt.seq_prod_jvp(iterable, diterable, start)")
defjvp(
    math.dist,
    "p, q, /",
    "rt.sequences.dist_partial(p, q, dp, ans)",
    "-rt.sequences.dist_partial(p, q, dq, ans)",
)
