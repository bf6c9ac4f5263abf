"""Run-time JVP helpers for the fft rules (see the package docstring)."""
