"""The library's JVP rules, one line each, grouped by module; importing this registers them."""

from . import builtin_rules, math_rules, numpy_rules, operators, runtime_rules  # noqa: F401
