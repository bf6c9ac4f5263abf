"""Run-time helpers of the rule families too long to be one-line templates, one module per family.

``runtime`` exposes each module as an attribute, so a template calls ``rt.linalg.cholesky_jvp(np, ...)``.
These modules take the backend namespace as their first argument (never import NumPy's functions
directly for array work, so CuPy arrays stay on the device) and import nothing from the package but
``errors`` (``runtime`` imports them, so importing ``runtime`` back would be a cycle)."""
