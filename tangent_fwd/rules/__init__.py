"""The library's JVP rules, one line each, grouped by module; importing this registers them."""
from . import operators, builtin_rules, math_rules, numpy_rules, runtime_rules  # noqa: F401
