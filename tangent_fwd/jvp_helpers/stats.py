"""Run-time JVP helpers for the stats rules (see the package docstring)."""
