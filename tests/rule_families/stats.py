"""Rule cases for the stats rules (see the package docstring)."""

CASES = {}
