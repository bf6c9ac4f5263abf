"""Rule cases for the helpers behind calls through function values (tangent_fwd/rules/call_rules.py)."""

import numpy as np
from rule_cases import Z, a

from tangent_fwd import callables


def z_stable_order(x):
    items = [x[0], x[1], x[2]]
    return callables.stable_order(items, abs, True)  # which permutation: no tangent


def z_best_index(x):
    items = [x[0], x[1], x[2]]
    return callables.best_index(items, None, False)  # which item: no tangent


_SITE = callables.Site(1, (), (0,), False, "numpy", ("rule_families/calls.py", 1), None)
_SITE.pattern = ((True, True),)


def z_jvp_of(x):
    # a differentiated value reaches it (an empty starred slice of x: no expansion at run time); the JVP
    # function it returns has no tangent of its own
    g = callables.jvp_of(np.sin, _SITE, *x[:0])
    return g(0.5, 1.0)[0]


CASES = {
    callables.jvp_of: [Z(z_jvp_of, a(3))],
    callables.stable_order: [Z(z_stable_order, a(3))],
    callables.best_index: [Z(z_best_index, a(3))],
}
