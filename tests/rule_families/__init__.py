"""Rule cases by family. Each module defines ``CASES``, a dict keyed like ``rule_cases.RULE_CASES``
(function rules by the callable, method and attribute rules by name), and may use ``rule_cases``'s
``C``/``Z`` and input makers. ``rule_cases`` merges every family into ``RULE_CASES`` at its end."""

FAMILIES = (
    "linalg",
    "fft",
    "stats",
    "scipy_special",
    "library",
    "scipy_stats",
    "scipy_linear",
    "scipy_distributions",
    "calls",
    "builtins",
    "perturbation",
    "records",
    "sequence_args",
)
