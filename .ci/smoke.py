"""Import-and-emit smoke test for the Pythons CI does not run the whole suite on (.ci/run).

Run in a fresh venv holding only the package and its dependencies: imports tangent_fwd, generates the source
of a function with an f-string and a loop (the emitter's version-dependent path), runs one jvp through it
and checks the tangent against a central finite difference, with DeprecationWarnings as errors from the
import on (NumPy's and the standard library's deprecations are what break first on a new version).
"""

import math
import sys
import warnings

import numpy as np


def f(x, n):
    label = f"{n} terms at x={x:.3f} {{ok}}"
    acc = 0.0
    for i in range(n):
        acc = acc + math.sin(x * (i + 1)) / (i + 1)
    return acc * len(label)


def main():
    warnings.simplefilter("error", DeprecationWarning)
    import tangent_fwd

    src = tangent_fwd.source(f, wrt="x")
    compile(src, "<smoke>", "exec")
    assert 'f"' in src or "f'" in src, src
    assert "for i in range(n):" in src, src

    x, n, h = 0.7, 5, 1e-6
    value, tangent = tangent_fwd.jvp(f, (x, n), (1.0, None))
    fd = (f(x + h, n) - f(x - h, n)) / (2 * h)
    assert value == f(x, n), (value, f(x, n))
    assert abs(tangent - fd) <= 1e-6 * max(1.0, abs(fd)), (tangent, fd)
    print(f"smoke ok: Python {sys.version.split()[0]}, NumPy {np.__version__}, jvp {tangent:.6f} fd {fd:.6f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
