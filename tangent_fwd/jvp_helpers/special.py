"""Run-time JVP helpers for the special rules (see the package docstring)."""
