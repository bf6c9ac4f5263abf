"""A dataclass or namedtuple ("record") whose class defines a method, property or field named like an
array method or attribute that has a rule (``sum``, ``mean``, ``dot``, ``max``, ``reshape``, ``T``,
``size``): ``g.sum()`` on such a record is the class's own ``sum``, on every API path (jvp, a
forward_diff object and its fast path, jacfwd, hessian, vector mode), wherever the record comes from
(a parameter, a helper's parameter, an item of a dict or list, a helper's return value). Where the
compiler cannot follow the value, the generated code checks it when it runs and refuses such a record
(NotDifferentiableHere naming the line): never the array rule on a record. Every derivative is checked
against float64 central differences along seeded random directions."""

import copy
import dataclasses
from typing import NamedTuple

import numpy as np
import pytest

import tangent_fwd

EPS = 1e-6


@dataclasses.dataclass
class Gauss:
    mu: np.ndarray
    s: float

    def sum(self):  # ndarray.sum has a rule; this one is not linear in the fields
        return self.mu.sum() * self.s + self.s**2

    def mean(self):
        return np.sin(self.mu).mean() * self.s

    def dot(self, v):
        return (self.mu**2) @ v * self.s

    def max(self):
        return np.max(self.mu) * self.s**2

    def reshape(self, *shape):
        return (self.mu * self.s).reshape(*shape)

    @property
    def T(self):
        return self.mu[::-1] * self.s**2


class Pair(NamedTuple):
    a: np.ndarray
    b: np.ndarray

    def sum(self):
        return (self.a * self.b).sum()

    def mean(self):
        return (self.a**2).mean() + np.cos(self.b).mean()

    @property
    def T(self):
        return self.a * self.b[::-1]


class Frame(NamedTuple):  # a field named like an array attribute with a rule (.T: the transpose)
    scale: float
    T: np.ndarray


class Sized(NamedTuple):  # .size: an array attribute without a derivative
    size: float
    v: np.ndarray


# ------------------------------------------------------------------ pytrees and finite differences
def tmap(fn, *trees):
    t = trees[0]
    if isinstance(t, dict):
        return {k: tmap(fn, *(x[k] for x in trees)) for k in t}
    if isinstance(t, tuple) and hasattr(t, "_fields"):
        return type(t)(*(tmap(fn, *xs) for xs in zip(*trees)))
    if isinstance(t, (list, tuple)):
        return type(t)(tmap(fn, *xs) for xs in zip(*trees))
    if dataclasses.is_dataclass(t):
        return type(t)(**{f.name: tmap(fn, *(getattr(x, f.name) for x in trees)) for f in dataclasses.fields(t)})
    return fn(*trees)


def leaves(tree):
    out = []
    tmap(out.append, tree)
    return out


def direction(tree, rng):
    return tmap(lambda v: rng.normal(size=np.shape(v)) if np.ndim(v) else float(rng.normal()), tree)


def central(f, args, tangents):
    """Central difference of ``f`` at ``args`` along ``tangents`` (None: not moved)."""

    def moved(sign):
        out = []
        for a, t in zip(args, tangents):
            out.append(a if t is None else tmap(lambda v, dv: v + sign * EPS * dv, a, t))
        return f(*copy.deepcopy(out))

    return tmap(lambda p, m: (np.asarray(p) - np.asarray(m)) / (2 * EPS), moved(1), moved(-1))


def assert_close(got, want, rtol=1e-6, atol=1e-7):
    for g, w in zip(leaves(got), leaves(want), strict=True):
        w = np.asarray(w, dtype=float)
        scale = max(1.0, float(np.max(np.abs(w)))) if w.size else 1.0
        np.testing.assert_allclose(np.asarray(g, dtype=float), w, rtol=rtol, atol=atol * scale)


def check_jvp(f, args, wrt, seed=0):
    """jvp of ``f`` along random tangents of the arguments ``wrt``: the primal bit for bit, the tangent
    against central differences; the arguments are not changed."""
    rng = np.random.default_rng(seed)
    tangents = tuple(direction(a, rng) if i in wrt else None for i, a in enumerate(args))
    before = copy.deepcopy(args)
    value, tangent = tangent_fwd.jvp(f, args, tangents)
    expected = f(*copy.deepcopy(before))
    for v, e in zip(leaves(value), leaves(expected), strict=True):
        assert np.array_equal(np.asarray(v), np.asarray(e))
    assert_close(tangent, central(f, before, tangents))
    return tangent


def gauss(rng, n=3):
    return Gauss(rng.normal(size=n), float(rng.uniform(0.5, 1.5)))


def pair(rng, n=3):
    return Pair(rng.normal(size=n), rng.normal(size=n))


# ------------------------------------------------------------------ functions
def g_sum(g):
    return g.sum()


def g_methods(g, v):
    return g.mean() + g.dot(v) + g.max() + g.reshape(3, 1).sum() + g.T.sum()


def pair_methods(p):
    return p.sum() * p.mean() + p.T.sum()


def frame_fields(b, x):
    return b.scale * (b.T * x).sum() + b.T.sum() * b.scale**2


def sized(b, x):
    return b.size * (b.v * x).sum()


def _use(g):
    return g.sum()


def _use_dot(g, v):
    return g.dot(v) + g.T.sum()


def via_helper(mu, s):
    return _use(Gauss(mu, s)) + _use_dot(Gauss(mu * 2.0, s), mu)


def _make(mu, s):
    return Gauss(mu, s)


def returned_by_helper(mu, s):
    g = _make(mu, s)
    return g.sum() + _make(mu, 1.0).mean()


def nested(d):
    acc = d["g"].sum() + d["pairs"][1].mean()
    for p in d["pairs"]:
        acc = acc + p.sum()
    return acc


def listed(gs, x):
    total = 0.0
    for i, g in enumerate(gs):
        total = total + g.dot(x) * (i + 1.0)
    return total


def either(g):
    """An array's sum for an array, Gauss.sum for a Gauss: one forward_diff object for both."""
    return g.sum() * 2.0 + 1.0


def dot_with(x, g):
    return g.dot(x) * x + g.reshape(3) * x.sum()


def scalar_with(x, g):
    return g.dot(x) ** 2 + Gauss(x, g.s).sum() + np.sin(x).sum()


# ------------------------------------------------------------------ jvp
def test_parameter_record_gets_its_own_sum():
    rng = np.random.default_rng(1)
    check_jvp(g_sum, (gauss(rng),), wrt=(0,))


@pytest.mark.parametrize("wrt", [(0,), (1,), (0, 1)])
def test_parameter_record_methods_and_property(wrt):
    rng = np.random.default_rng(2)
    check_jvp(g_methods, (gauss(rng), rng.normal(size=3)), wrt=wrt)


def test_namedtuple_methods_and_property():
    rng = np.random.default_rng(3)
    check_jvp(pair_methods, (pair(rng),), wrt=(0,))


@pytest.mark.parametrize("wrt", [(0,), (1,), (0, 1)])
def test_field_named_like_an_array_attribute(wrt):
    rng = np.random.default_rng(4)
    check_jvp(frame_fields, (Frame(1.3, rng.normal(size=3)), rng.normal(size=3)), wrt=wrt)


def test_field_named_like_an_array_attribute_without_derivative_is_refused():
    rng = np.random.default_rng(4)
    b, x = Sized(1.3, rng.normal(size=3)), rng.normal(size=3)
    with pytest.raises(tangent_fwd.UnsupportedSyntaxError, match=r"Sized defines the field 'size'.*constant"):
        tangent_fwd.jvp(sized, (b, x), (Sized(1.0, np.ones(3)), None))
    check_jvp(sized, (b, x), wrt=(1,))  # not differentiated: its value is all that is read


def test_record_passed_to_a_helper():
    rng = np.random.default_rng(5)
    check_jvp(via_helper, (rng.normal(size=3), 0.8), wrt=(0, 1))


def test_record_returned_by_a_helper():
    rng = np.random.default_rng(6)
    check_jvp(returned_by_helper, (rng.normal(size=3), 0.8), wrt=(0, 1))


def test_records_in_a_dict_and_a_list():
    rng = np.random.default_rng(7)
    d = {"g": gauss(rng), "pairs": [pair(rng), pair(rng)], "w": rng.normal(size=2)}
    check_jvp(nested, (d,), wrt=(0,))


@pytest.mark.parametrize("wrt", [(0,), (1,)])
def test_list_of_records_iterated(wrt):
    rng = np.random.default_rng(8)
    check_jvp(listed, ([gauss(rng), gauss(rng)], rng.normal(size=3)), wrt=wrt)


def test_vector_mode_matches_single_directions():
    rng = np.random.default_rng(9)
    g, v = gauss(rng), rng.normal(size=3)
    dirs = [direction(g, rng) for _ in range(3)]
    batched = tmap(lambda *xs: np.stack([np.asarray(x, dtype=float) for x in xs]), *dirs)
    value, tangents = tangent_fwd.jvp(g_methods, (g, v), (batched, None), vectorized=True)
    assert value == g_methods(g, v)
    for k, d in enumerate(dirs):
        assert_close(np.asarray(tangents)[k], central(g_methods, (g, v), (d, None)))
    # the array argument differentiated, the record inactive (g.dot(v): Gauss.dot with an active argument)
    vd = rng.normal(size=(4, 3))
    _, tangents = tangent_fwd.jvp(g_methods, (g, v), (None, vd), vectorized=True)
    for k in range(4):
        assert_close(np.asarray(tangents)[k], central(g_methods, (g, v), (None, vd[k])))


# ------------------------------------------------------------------ forward_diff objects
def test_forward_diff_object_arrays_then_records_then_arrays():
    rng = np.random.default_rng(10)
    fd = tangent_fwd.forward_diff(either)
    calls = [rng.normal(size=4), gauss(rng), rng.normal(size=4), gauss(rng), gauss(rng)]
    for x in calls:  # each call after the first goes through the generated fast __call__
        dx = direction(x, rng)
        value, tangent = fd(x, dx)
        assert value == either(x)
        assert_close(tangent, central(either, (x,), (dx,)))
    assert "__call__" in type(fd).__dict__  # the fast path is installed and was used


def test_forward_diff_object_records_first():
    rng = np.random.default_rng(11)
    fd = tangent_fwd.forward_diff(either)
    for x in [gauss(rng), gauss(rng), rng.normal(size=2), pair(rng), gauss(rng)]:
        dx = direction(x, rng)
        value, tangent = fd(x, dx)
        assert value == either(x)
        assert_close(tangent, central(either, (x,), (dx,)))


def test_forward_diff_object_helper_and_nested():
    rng = np.random.default_rng(12)
    fd = tangent_fwd.forward_diff(nested)
    for _ in range(3):
        d = {"g": gauss(rng), "pairs": [pair(rng), pair(rng)], "w": rng.normal(size=2)}
        dd = direction(d, rng)
        value, tangent = fd(d, dd)
        assert value == nested(d)
        assert_close(tangent, central(nested, (d,), (dd,)))


def test_forward_diff_object_with_an_inactive_record():
    rng = np.random.default_rng(13)
    fd = tangent_fwd.forward_diff(dot_with, wrt=0)
    for _ in range(3):
        x, g = rng.normal(size=3), gauss(rng)
        dx = rng.normal(size=3)
        value, tangent = fd(x, g, dx)
        assert np.array_equal(value, dot_with(x, g))
        assert_close(tangent, central(dot_with, (x, g), (dx, None)))


# ------------------------------------------------------------------ jacfwd and hessian
def test_jacfwd_with_a_record_argument():
    rng = np.random.default_rng(14)
    x, g = rng.normal(size=3), gauss(rng)
    jac = tangent_fwd.jacfwd(dot_with, wrt=0)(x, g)
    for j in range(3):
        e = np.zeros(3)
        e[j] = 1.0
        assert_close(jac[:, j], central(dot_with, (x, g), (e, None)))


def test_hessian_with_a_record_argument():
    rng = np.random.default_rng(15)
    x, g = rng.normal(size=3), gauss(rng)
    hess = tangent_fwd.hessian(scalar_with, wrt=0)(x, g)
    grad = tangent_fwd.jacfwd(scalar_with, wrt=0)
    for j in range(3):
        e = np.zeros(3)
        e[j] = 1.0
        column = (grad(x + EPS * e, g) - grad(x - EPS * e, g)) / (2 * EPS)
        assert_close(hess[:, j], column, rtol=1e-5, atol=1e-6)


def test_hessian_through_a_helper_given_a_record():
    rng = np.random.default_rng(16)
    mu = rng.normal(size=3)
    hess = tangent_fwd.hessian(via_helper, wrt=0)(mu, 0.7)
    grad = tangent_fwd.jacfwd(via_helper, wrt=0)
    for j in range(3):
        e = np.zeros(3)
        e[j] = 1.0
        column = (grad(mu + EPS * e, 0.7) - grad(mu - EPS * e, 0.7)) / (2 * EPS)
        assert_close(hess[:, j], column, rtol=1e-5, atol=1e-6)


# ------------------------------------------------------------------ what cannot be followed: refused
def made_by(make, mu):
    g = make(mu)
    return g.sum()


class Holder:
    def __init__(self, g):
        self.g = g


def held(h, x):
    return h.g.dot(x)


def test_record_from_a_function_value_is_refused_when_it_runs():
    rng = np.random.default_rng(17)
    mu = rng.normal(size=3)
    with pytest.raises(
        tangent_fwd.NotDifferentiableHere, match=r"test_record_methods.py:\d+: \.sum is used on a Gauss"
    ):
        tangent_fwd.jvp(made_by, (lambda m: Gauss(m, 2.0), mu), (None, np.ones(3)))
    # the same code with a function value returning an array: the array's sum, checked
    check_jvp(made_by, (lambda m: m * 2.0, mu), wrt=(1,))


def test_record_in_an_object_attribute_is_refused_when_it_runs():
    rng = np.random.default_rng(18)
    x = rng.normal(size=3)
    with pytest.raises(tangent_fwd.NotDifferentiableHere, match=r"\.dot is used on a Gauss"):
        tangent_fwd.jvp(held, (Holder(gauss(rng)), x), (None, np.ones(3)))
    check_jvp(held, (Holder(rng.normal(size=(2, 3))), x), wrt=(1,))


def perturbed(g, x, W):
    z = tangent_fwd.perturb(x @ W, name="z")
    return g.sum() * np.tanh(z).sum()


def test_perturbed_jvp_with_a_record_argument():
    """Tangents of the record and one injected at the site: equal to moving the record and W together."""
    rng = np.random.default_rng(19)
    g, x, W = gauss(rng), rng.normal(size=2), rng.normal(size=(2, 3))
    dg, dW = direction(g, rng), rng.normal(size=(2, 3))
    value, tangent = tangent_fwd.perturbed_jvp(perturbed, (g, x, W), (dg, None, None), perturbations={"z": x @ dW})
    assert value == perturbed(g, x, W)
    assert_close(tangent, central(perturbed, (g, x, W), (dg, None, dW)))


# ------------------------------------------------------------------ plain code keeps its plain form
def plain(x):
    return (x * x).sum() + x.T.sum()


def test_plain_arrays_get_no_check():
    src = tangent_fwd.source(plain)
    assert "check_receiver" not in src and "records.method" not in src
    fd = tangent_fwd.forward_diff(np.sin)
    fd(1.0, 1.0)
    fd(1.0, 1.0)
    assert "_tf_kind" not in str(type(fd).__call__.__code__.co_names)


def apply(fn, g):
    return fn(g) * 1.5


def test_record_passed_to_a_function_value():
    """``fn(g)`` is specialised when it runs, on the function passed and on ``g`` being a record."""
    rng = np.random.default_rng(20)
    check_jvp(apply, (g_sum, gauss(rng)), wrt=(1,))
    check_jvp(apply, (pair_methods, pair(rng)), wrt=(1,))
    check_jvp(apply, (lambda x: x.sum(), rng.normal(size=3)), wrt=(1,))


# ------------------------------------------------------------------ where records come from, inside the function
class Sub(Gauss):
    def sum(self):
        return np.sin(self.mu).sum() * self.s


GLOBAL_G = Gauss(np.linspace(0.1, 1.0, 3), 1.7)


def from_ifexp(mu, s):
    g = Gauss(mu, s) if s > 0 else Gauss(mu, -s)
    return g.sum()


def from_unpacking(mu, s):
    a, g = mu * 2.0, Gauss(mu, s)
    return g.sum() + a.sum()


def from_loop_over_a_tuple(mu, s):
    total = 0.0
    for g in (Gauss(mu, s), Sub(mu * 2.0, s)):
        total = total + g.sum()
    return total


def from_a_subclass(mu, s):
    return Sub(mu, s).sum() + Gauss(mu, s).sum()


def from_a_global(mu, s):
    return GLOBAL_G.dot(mu) * s + GLOBAL_G.sum()


def from_a_dict(mu, s):
    d = {"a": Gauss(mu, s), "b": Pair(mu, mu * s)}
    return d["a"].sum() * d["b"].mean()


def from_replace(mu, s):
    g = Gauss(mu, s)
    return dataclasses.replace(g, s=s * 2.0).sum() + Pair(mu, mu)._replace(b=mu * s).sum()


def _two(mu, s):
    return Gauss(mu, s), mu


def from_a_returned_tuple(mu, s):
    g, m = _two(mu, s)
    return g.sum() + m.sum()


def from_a_closure(mu, s):
    g = Gauss(mu, s)

    def inner(v):
        return g.dot(v)

    return inner(mu * 0.5)


@pytest.mark.parametrize(
    "f",
    [
        from_ifexp,
        from_unpacking,
        from_loop_over_a_tuple,
        from_a_subclass,
        from_a_global,
        from_a_dict,
        from_replace,
        from_a_returned_tuple,
        from_a_closure,
    ],
)
def test_records_built_inside(f):
    rng = np.random.default_rng(21)
    check_jvp(f, (rng.normal(size=3), 0.9), wrt=(0, 1))
    check_jvp(f, (rng.normal(size=3), 0.9), wrt=(0,))


def appended(mu, s):
    gs = []
    gs.append(Gauss(mu, s))
    return gs[0].sum()


def test_record_in_a_list_changed_in_place_is_refused_when_it_runs():
    with pytest.raises(tangent_fwd.NotDifferentiableHere, match=r"\.sum is used on a Gauss"):
        tangent_fwd.jvp(appended, (np.ones(3), 0.9), (np.ones(3), None))


# ------------------------------------------------------------------ methods called as statements
@dataclasses.dataclass
class Sorter:
    v: np.ndarray

    def sort(self):  # ndarray.sort has a (writing) rule; this one returns a new array
        return np.sort(self.v**2)


@dataclasses.dataclass
class Trace:
    xs: list

    def append(self, x):  # named like list.append, which the transform follows; writes into the record
        self.xs.append(x**2)


def sorted_statement(x):
    s = Sorter(x)
    s.sort()  # its value dropped: nothing changes
    return s.sort().sum() + s.v.sum()


def traced(x):
    t = Trace([])
    t.append(x)
    return t.xs[0].sum()


def test_record_method_called_as_a_statement():
    check_jvp(sorted_statement, (np.random.default_rng(22).normal(size=3),), wrt=(0,))


def test_record_method_writing_into_the_record_is_refused():
    """Trace.append writes into the record: the write's tangent cannot be followed there (refused, not
    the list rule applied to the tangent record)."""
    with pytest.raises(tangent_fwd.TransformError, match=r"Trace\.append"):
        tangent_fwd.jvp(traced, (np.ones(3),), (np.ones(3),))
