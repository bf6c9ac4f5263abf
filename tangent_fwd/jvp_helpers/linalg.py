"""Run-time JVP helpers for the linalg rules (see the package docstring)."""
