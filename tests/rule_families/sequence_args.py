"""Rule cases for the runtime helpers that convert a list argument of a NumPy function and its tangent
(``rt.seq_value``, ``rt.seq_tangent``, ``rt.bseq_tangent``: tangent_fwd/rule_apply.py's
``sequence_arguments``), so generated code that calls them can be differentiated again."""

import numpy as np
from rule_cases import C, a

from tangent_fwd import runtime as rt


def s_value_of_scalars(x, y):
    return rt.seq_value(np, [x, 2.0 * y, 0.5]) ** 2


def s_value_of_arrays(x, y):
    return np.sin(rt.seq_value(np, (x, y * y)))


def s_tangent(x, t):
    return rt.seq_tangent(np, [x, 1.5], [t * x, 0.0])


def s_tangent_of_arrays(t):
    return rt.seq_tangent(np, [np.ones(3), np.zeros(3)], [t, 0.0])


def s_batched_tangent(t):
    return rt.bseq_tangent(np, [0.3, 0.8], [t, 3.0 * t], 2)


CASES = {
    rt.seq_value: [C(s_value_of_scalars, 0.3, -0.7), C(s_value_of_arrays, a(3), a(3))],
    rt.seq_tangent: [C(s_tangent, 0.4, 0.9), C(s_tangent_of_arrays, a(3))],
    rt.bseq_tangent: [C(s_batched_tangent, a(2))],
}
