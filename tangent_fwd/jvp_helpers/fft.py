"""Run-time JVP helpers for the fft rules (see the package docstring). None are needed: every
``np.fft`` transform is linear in its input, so rules/fft_rules.py declares them with ``deflinear``
and the tangent is the same call on the tangent."""
