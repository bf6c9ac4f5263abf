"""Dataclass and namedtuple parameters and results built from differentiated values (records.py): the
tangent is a record of the same type; value bit for bit, JVP vs central differences, vector mode."""

import collections
import dataclasses

import numpy as np
import pytest
from stmt_check import check, refused

import tangent_fwd

Params = collections.namedtuple("Params", "w b")
Point = collections.namedtuple("Point", ["x", "y", "weight"], defaults=[1.0])


@dataclasses.dataclass
class State:
    pos: np.ndarray
    vel: np.ndarray
    mass: float = 1.0


@dataclasses.dataclass(frozen=True)
class Gauss:
    mu: float
    sigma: float


@dataclasses.dataclass
class Derived:
    a: float
    b: float = 0.0

    def __post_init__(self):
        self.b = self.a * 2.0


RNG = np.random.default_rng(11)
X = RNG.standard_normal(3)


def linear(params, x):
    return np.tanh(params.w @ x + params.b).sum()


def make_params(x):
    return Params(np.outer(x, x), x * 2.0)


def step(state, dt):
    acc = -state.pos / state.mass
    vel = state.vel + dt * acc
    return State(pos=state.pos + dt * vel, vel=vel, mass=state.mass)


def energy_after_steps(state):
    for _ in range(3):
        state = step(state, 0.1)
    return 0.5 * state.mass * (state.vel @ state.vel) + 0.5 * (state.pos @ state.pos)


def replace_field(state):
    s2 = dataclasses.replace(state, vel=state.vel * 0.5)
    return (s2.pos * s2.vel).sum() * s2.mass


def nt_replace(p):
    q = p._replace(y=p.x * p.y)
    return q.x + q.y * q.weight


def default_field(x):
    p = Point(x, x * x)  # weight from the default: a constant
    return p.y * p.weight + p.x


def frozen_gauss(g, x):
    z = (x - g.mu) / g.sigma
    return np.exp(-0.5 * z * z).sum() / g.sigma


def build_frozen(x):
    g = Gauss(mu=x.mean(), sigma=x.std() + 1.0)
    return g


def unpack_namedtuple(p):
    w, b = p
    return (w @ b).sum() + p[1].sum()


@pytest.mark.parametrize(
    "f, args, wrt",
    [
        (linear, (Params(RNG.standard_normal((3, 3)), X), X), (0, 1)),
        (make_params, (X,), (0,)),
        (step, (State(X, X[::-1].copy(), 2.0), 0.1), (0,)),
        (energy_after_steps, (State(X, X[::-1].copy(), 2.0),), (0,)),
        (replace_field, (State(X, X * 3.0, 1.5),), (0,)),
        (nt_replace, (Point(0.5, 1.5, 2.0),), (0,)),
        (default_field, (0.7,), (0,)),
        (frozen_gauss, (Gauss(0.3, 1.2), X), (0, 1)),
        (build_frozen, (X,), (0,)),
        (unpack_namedtuple, (Params(RNG.standard_normal((3, 3)), X),), (0,)),
    ],
)
def test_records(f, args, wrt):
    check(f, args, wrt)


def test_tangent_has_the_records_type():
    value, tangent = tangent_fwd.jvp(step, (State(X, X, 2.0), 0.1), (State(X, X, 1.0), None))
    assert type(tangent) is State and type(value) is State
    _, t2 = tangent_fwd.jvp(make_params, (X,), (X,))
    assert type(t2) is Params


def test_wrong_tangent_type_is_refused():
    with pytest.raises(tangent_fwd.ArgumentError, match="must be a State"):
        tangent_fwd.jvp(step, (State(X, X, 2.0), 0.1), ({"pos": X, "vel": X, "mass": 1.0}, None))


def uses_derived(x):
    d = Derived(x)
    return d.b


def array_attribute_without_rule(x):
    return x.ctypes


def test_post_init_is_refused():
    refused(uses_derived, (0.5,), (0,), "__post_init__")


def test_array_attribute_without_rule_is_still_refused():
    msg = refused(array_attribute_without_rule, (X,), (0,), "no JVP rule for the attribute '.ctypes'")
    assert "test_dataclasses.py" in msg


@dataclasses.dataclass
class Body:
    pos: np.ndarray
    vel: np.ndarray

    def energy(self):
        return 0.5 * (self.vel @ self.vel) + 0.5 * (self.pos @ self.pos)

    def step(self, dt):
        return Body(self.pos + dt * self.vel, self.vel - dt * self.pos)

    @staticmethod
    def unit(v):
        return v / np.sqrt(v @ v)


Polar = collections.namedtuple("Polar", "r theta")


class PolarPoint(Polar):
    def xy(self):
        return np.array([self.r * np.cos(self.theta), self.r * np.sin(self.theta)])


def simulate(x):
    b = Body(x, x * 0.5)
    for _ in range(3):
        b = b.step(0.1)
    return b.energy()


def namedtuple_subclass_method(r):
    p = PolarPoint(r, r * 0.5)
    return p.xy().sum()


def static_method_on_record(x):
    b = Body(x, x)
    return b.unit(b.pos).sum()


def test_methods_of_a_differentiated_record():
    check(simulate, (X,))
    check(namedtuple_subclass_method, (0.8,))


def test_staticmethod_on_a_differentiated_record_is_refused_at_run_time():
    msg = refused(static_method_on_record, (X,), (0,), "plain functions", tangent_fwd.NotDifferentiableHere)
    assert "test_dataclasses.py" in msg


@dataclasses.dataclass
class _GaussWithSum:
    mu: np.ndarray
    s: np.ndarray

    def sum(self):  # named like ndarray.sum, which has a rule
        return (self.mu * self.s).sum()


def _calls_record_sum(g):
    return g.sum()


def test_record_argument_with_a_method_named_like_an_array_method_calls_that_method():
    """On a parameter, g.sum() of a record whose class defines sum is that sum (the generated code is
    specialised on the argument being a record; tests/language/test_record_methods.py covers every path)."""
    g = _GaussWithSum(np.ones(3), np.arange(3.0))
    dg = _GaussWithSum(np.full(3, 0.5), np.ones(3))
    value, tangent = tangent_fwd.jvp(_calls_record_sum, (g,), (dg,))
    h = 1e-6
    plus = _GaussWithSum(g.mu + h * dg.mu, g.s + h * dg.s)
    minus = _GaussWithSum(g.mu - h * dg.mu, g.s - h * dg.s)
    assert value == _calls_record_sum(g)
    np.testing.assert_allclose(tangent, (_calls_record_sum(plus) - _calls_record_sum(minus)) / (2 * h), rtol=1e-6)
