"""The library's JVP rules, one line each, grouped by module; importing this registers them."""

from . import (  # noqa: F401
    builtin_rules,
    call_rules,
    fft_rules,
    linalg_rules,
    math_rules,
    numpy_rules,
    operators,
    runtime_rules,
    scipy_rules,
    stats_rules,
)
