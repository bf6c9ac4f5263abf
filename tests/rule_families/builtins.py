"""Rule cases for Python's sequence builtins added for issue 13 (reversed, math.dist) and their runtime
helpers (tangent_fwd/jvp_helpers/sequences.py), so forward over forward works on them too."""

import builtins
import collections
import dataclasses
import math

from rule_cases import C, Z, a, pos

from tangent_fwd import runtime as rt


def b_reversed_list(x):
    out = 0.0
    for i, v in enumerate(reversed([x[0], x[1] * 2.0, 0.5, x[2]])):
        out = out + v * (i + 1.0)
    return out


def b_reversed_array(x):
    return sum(v * w for v, w in zip(reversed(x), [1.0, -2.0, 3.0]))


def m_dist(x, y):
    return math.dist([x[0], x[1], 0.5], [y[0], 2.0, y[1]])


def m_dist_arrays(x):
    return math.dist(x, [0.1, -0.2, 0.3])


def t_reversed_tangent(t):
    r = rt.sequences.reversed_tangent([1.0, 2.0, 3.0], [t[0], t[1], t[2]])
    return r[0] * 3.0 + r[2]


def t_dist_partial(p, t):
    return rt.sequences.dist_partial([p[0], p[1]], [0.5, -0.5], [t[0], t[1]], math.dist([p[0], p[1]], [0.5, -0.5]))


def t_dot_over(u, v):
    return rt.sequences.dot_over([u[0], u[1]], [v[0], v[1]], u[0] * u[0] + 2.0)


CASES = {
    builtins.reversed: [C(b_reversed_list, a(3)), C(b_reversed_array, a(3))],
    math.dist: [C(m_dist, a(2), a(2)), C(m_dist_arrays, pos(3))],
    rt.sequences.reversed_tangent: [C(t_reversed_tangent, a(3))],
    rt.sequences.dist_partial: [C(t_dist_partial, pos(2), a(2))],
    rt.sequences.dot_over: [C(t_dot_over, a(2), a(2))],
}


# ------------------------------------------------------------------ dataclass / namedtuple tangents
Pair = collections.namedtuple("Pair", "a b")


@dataclasses.dataclass
class Box:
    lo: float
    hi: float


def t_record_field(t):
    return rt.records.field(Pair(t[0], t[1]), "b", "here") * 3.0


def t_record_build(t):
    r = rt.records.build(Box(1.0, 2.0), [t[0], t[1] * 2.0])
    return r.lo + r.hi


def t_record_replace(t):
    r = rt.records.replace(Box(t[0], t[1]), ["hi"], [t[2]])
    return r.lo * 2.0 + r.hi


CASES.update(
    {
        rt.records.field: [C(t_record_field, a(2))],
        rt.records.build: [C(t_record_build, a(2))],
        rt.records.replace: [C(t_record_replace, a(3))],
    }
)


@dataclasses.dataclass
class _Walker:
    x: float

    def moved(self, dt):
        return self.x + dt


def z_record_method(x):
    w = _Walker(x[0])
    fn = rt.records.method(w, "moved", "here")  # which function: no tangent of its own
    return float(len(fn.__name__))


CASES[rt.records.method] = [Z(z_record_method, a(2))]
