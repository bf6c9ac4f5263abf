"""Rule cases for the linalg rules (see the package docstring)."""

CASES = {}
