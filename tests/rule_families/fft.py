"""Rule cases for the fft rules (see the package docstring)."""

CASES = {}
