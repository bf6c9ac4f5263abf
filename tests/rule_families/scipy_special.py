"""Rule cases for the scipy_special rules (see the package docstring)."""

CASES = {}
