"""A list or tuple given as a differentiated PARAMETER (or passed on to a helper) and handed to a NumPy
function: NumPy converts the value to an array, and the tangent (a list of tangents, the structure jvp
takes for a list argument) must be converted the same way. Before, a template's ``dx + dy`` concatenated
the two tangent lists (``np.add(xs, ys)`` had the tangent ``[1, 0, 0, 1]``), ``dx * 2.0`` raised a
TypeError, and a helper given ``[x, 1.0]`` returned a zero derivative. The generated code is specialised
on which differentiated arguments are lists (record_kinds.SEQUENCES) and checked per call where it
depends on that: the same forward_diff object called with lists and with arrays, in either order, gives
each its own code. Indexing and iterating a list parameter work as before.

Every derivative is checked against float64 central differences along seeded random directions; every
primal value is checked bit for bit against the function's own."""

import dataclasses

import numpy as np
import pytest

import tangent_fwd
from tangent_fwd.errors import ArgumentError

EPS = 1e-6


# ------------------------------------------------------------------------------------------ helpers
def _shift(p, t, h):
    """``p + h * t`` keeping ``p``'s structure (lists stay lists, tuples tuples, numbers numbers)."""
    if isinstance(p, dict):
        return {k: _shift(v, t[k], h) for k, v in p.items()}
    if isinstance(p, (list, tuple)):
        return type(p)(_shift(a, b, h) for a, b in zip(p, t))
    if isinstance(p, np.ndarray):
        return p + h * np.asarray(t)
    return float(p) + h * float(t)


def _direction(p, rng):
    """A random tangent of ``p``'s structure."""
    if isinstance(p, dict):
        return {k: _direction(v, rng) for k, v in p.items()}
    if isinstance(p, (list, tuple)):
        return type(p)(_direction(a, rng) for a in p)
    if isinstance(p, np.ndarray):
        return rng.standard_normal(p.shape)
    return float(rng.standard_normal())


def _batched(p, rng, k):
    """A vector-mode tangent of ``p``: every leaf with a leading axis of K directions."""
    if isinstance(p, (list, tuple)):
        return type(p)(_batched(a, rng, k) for a in p)
    return rng.standard_normal((k,) + np.shape(p))


def _slice(t, j):
    if isinstance(t, (list, tuple)):
        return type(t)(_slice(a, j) for a in t)
    return t[j]


def _fd(f, primals, tangents):
    hi = f(*[_shift(p, t, EPS) if t is not None else p for p, t in zip(primals, tangents)])
    lo = f(*[_shift(p, t, -EPS) if t is not None else p for p, t in zip(primals, tangents)])
    return (np.asarray(hi, dtype=np.float64) - np.asarray(lo, dtype=np.float64)) / (2 * EPS)


def _same_primal(got, want):
    assert type(got) is type(want)
    assert np.array_equal(np.asarray(got), np.asarray(want))
    assert np.asarray(got).dtype == np.asarray(want).dtype


def _check(f, primals, seed=0):
    """jvp against central differences along a seeded random direction; the primal bit for bit."""
    rng = np.random.default_rng(seed)
    tangents = tuple(_direction(p, rng) for p in primals)
    value, tangent = tangent_fwd.jvp(f, primals, tangents)
    _same_primal(value, f(*primals))
    assert not isinstance(tangent, list), "a list of tangents where NumPy returns an array"
    np.testing.assert_allclose(np.asarray(tangent), _fd(f, primals, tangents), rtol=1e-6, atol=1e-8)
    return tangent


def _check_vector(f, primals, k, seed=1):
    """Vector mode: K directions in one pass, each against central differences."""
    rng = np.random.default_rng(seed)
    tangents = tuple(_batched(p, rng, k) for p in primals)
    value, tangent = tangent_fwd.jvp(f, primals, tangents, vectorized=True)
    _same_primal(value, f(*primals))
    tangent = np.asarray(tangent)
    assert tangent.shape == (k,) + np.shape(value)
    for j in range(k):
        np.testing.assert_allclose(tangent[j], _fd(f, primals, _slice(tangents, j)), rtol=1e-6, atol=1e-8)


# ------------------------------------------------------------------------------------------ functions
def add(xs, ys):
    return np.add(xs, ys)


def scale(xs):
    return np.multiply(xs, 2.0)


def mixed(xs, ys):
    return np.sin(np.multiply(xs, ys)) + np.exp(xs) * ys[0]


def norm_sq(xs):
    return np.sum(np.square(xs))


def indexed_and_iterated(xs):
    total = 0.0
    for v in xs:
        total = total + v * v
    return xs[0] * 2.0 + total + np.sum(np.add(xs, xs)) * xs[-1]


def matvec(A, v):
    return np.matmul(A, v)


def frob(A):
    return np.sum(np.multiply(A, A)) + np.trace(np.asarray(A))


def stacked(xs):
    return np.sum(np.stack(xs) ** 2, axis=0)


def rows_added(xs, ys):
    return np.add(xs, ys) * 3.0


def helper_add(v, w):
    return np.add(v, w)


def helper_norm(v):
    return np.sum(np.multiply(v, v))


def display_to_helper(x):
    return helper_add([x, 1.0], [2.0, 3 * x])[1]


def display_to_helper_scalar(x):
    return helper_norm([x, 1.0, 3 * x]) * x


def list_param_to_helper(xs, ys):
    return helper_add(xs, ys) * 2.0


def list_param_two_levels(xs):
    return helper_norm(xs) + np.sum(list_param_to_helper(xs, xs))


LIST = [1.3, -0.7, 2.1]
OTHER = [0.4, 1.9, -1.2]
MATRIX = [[1.0, 2.0, -0.5], [0.3, -1.1, 0.8], [2.2, 0.1, 1.4]]
ARRAYS = [np.array([0.5, -1.0]), np.array([1.5, 2.0]), np.array([-0.3, 0.9])]


# ------------------------------------------------------------------------------------------ jvp
@pytest.mark.parametrize("kind", [list, tuple])
def test_add_of_two_list_parameters(kind):
    t = _check(add, (kind(LIST), kind(OTHER)))
    assert np.shape(t) == (3,)


def test_the_issue_example():
    value, tangent = tangent_fwd.jvp(add, ([1.0, 2.0], [3.0, 4.0]), ([1.0, 0.0], [0.0, 1.0]))
    np.testing.assert_array_equal(value, [4.0, 6.0])
    assert isinstance(tangent, np.ndarray)
    np.testing.assert_array_equal(tangent, [1.0, 1.0])


@pytest.mark.parametrize("kind", [list, tuple])
def test_multiply_list_parameter_by_a_constant(kind):
    _check(scale, (kind(LIST),))


@pytest.mark.parametrize("kind", [list, tuple])
def test_list_parameter_in_several_numpy_calls_and_indexed(kind):
    _check(mixed, (kind(LIST), kind(OTHER)))
    _check(norm_sq, (kind(LIST),))


@pytest.mark.parametrize("kind", [list, tuple])
def test_indexed_and_iterated_list_parameter(kind):
    _check(indexed_and_iterated, (kind(LIST),))


def test_list_parameter_only_indexed_keeps_list_tangents():
    def f(xs):
        return [xs[1] * 2.0, xs[0] * xs[2]]

    value, tangent = tangent_fwd.jvp(f, (LIST,), ([1.0, 0.5, -2.0],))
    assert value == f(LIST)
    assert isinstance(tangent, list)
    np.testing.assert_allclose(tangent, _fd(f, (LIST,), ([1.0, 0.5, -2.0],)), rtol=1e-6)


@pytest.mark.parametrize("kind", [list, tuple])
def test_nested_lists_are_a_matrix(kind):
    A = kind(kind(r) for r in MATRIX)
    _check(matvec, (A, kind(LIST)))
    _check(frob, (A,))


def test_list_of_arrays():
    _check(stacked, (ARRAYS,))
    _check(rows_added, (ARRAYS, [a[::-1].copy() for a in ARRAYS]))


def test_a_differentiated_list_with_an_undifferentiated_one():
    rng = np.random.default_rng(3)
    t = [float(v) for v in rng.standard_normal(3)]
    value, tangent = tangent_fwd.jvp(add, (LIST, OTHER), (t, None))
    _same_primal(value, add(LIST, OTHER))
    np.testing.assert_allclose(tangent, _fd(lambda xs: add(xs, OTHER), (LIST,), (t,)), rtol=1e-6, atol=1e-8)


def alias(xs):
    ys = xs
    return np.add(ys, ys)


def slices(xs):
    return np.add(xs[1:], xs[:-1])


def chosen(xs, ys, flag=True):
    zs = xs if flag else ys
    return np.multiply(zs, 2.0) + np.multiply(xs + ys, 0.5)[: len(xs)]


def unpacked(pair):
    a, b = pair
    return np.add(a, b)


def rows_of_matrix(A):
    return np.add(A[0], A[-1]) * np.add(A[1], 1.0)


def looped_rows(A):
    out = 0.0
    for row in A:
        out = out + np.sum(np.multiply(row, row))
    for i, row in enumerate(A):
        out = out + np.sum(np.add(row, row)) * (i + 1)
    return out


def display_slices(x):
    v = [x, 2 * x, 3.0]
    return np.add(v[1:], v[:-1])


def dict_items(p):
    return np.add(p["a"], p["b"]) * np.multiply(p["a"], 2.0)


def pair_unpacked(xs, ys):
    a, b = xs, ys
    return np.add(a, b)


@pytest.mark.parametrize("kind", [list, tuple])
def test_lists_in_a_dict_parameter_and_pairwise_unpacking(kind):
    _check(dict_items, ({"a": kind(LIST), "b": kind(OTHER)},))
    _check(dict_items, ({"a": kind(LIST), "b": np.array(OTHER)},))
    _check(pair_unpacked, (kind(LIST), kind(OTHER)))
    fd = tangent_fwd.forward_diff(dict_items)
    rng = np.random.default_rng(11)
    for holds in (np.array, kind, np.array, kind):
        p = {"a": holds(LIST), "b": holds(OTHER)}
        t = {"a": holds(rng.standard_normal(3).tolist()), "b": holds(rng.standard_normal(3).tolist())}
        value, tangent = fd(p, t)
        _same_primal(value, dict_items(p))
        np.testing.assert_allclose(tangent, _fd(dict_items, (p,), (t,)), rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("kind", [list, tuple])
def test_values_derived_from_a_list_parameter(kind):
    """Aliases, slices, conditional expressions, concatenation, unpacking, rows and loops over rows:
    all still lists, all converted like the parameter."""
    _check(alias, (kind(LIST),))
    _check(slices, (kind(LIST),))
    _check(chosen, (kind(LIST), kind(OTHER)))
    _check(unpacked, (kind([kind(LIST), kind(OTHER)]),))
    A = kind(kind(r) for r in MATRIX)
    _check(rows_of_matrix, (A,))
    _check(looped_rows, (A,))
    _check(display_slices, (0.8,))


# ------------------------------------------------------------------------------------------ callees
def test_helper_given_displays_built_by_the_caller():
    _check(display_to_helper, (0.8,))
    assert tangent_fwd.jvp(display_to_helper, (0.8,), (1.0,))[1] == 3.0  # d/dx of (1.0 + 3x); it was 0.0
    _check(display_to_helper_scalar, (0.8,))


@pytest.mark.parametrize("kind", [list, tuple])
def test_helper_given_the_callers_list_parameter(kind):
    _check(list_param_to_helper, (kind(LIST), kind(OTHER)))
    _check(list_param_two_levels, (kind(LIST),))


HELPERS = {"add": helper_add}


def through_a_function_value(xs, ys, name="add"):
    return HELPERS[name](xs, ys) * 2.0


def display_through_a_function_value(x, name="add"):
    return HELPERS[name]([x, 1.0], [2.0, 3 * x])[1]


def apply_to(fn, a, b):
    return fn(a, b)


def through_a_higher_order_helper(xs, ys):
    return apply_to(helper_add, xs, ys)


def display_through_a_higher_order_helper(x):
    return apply_to(helper_add, [x, 1.0], [2.0, 3 * x])[1]


def through_a_lambda(xs, ys):
    return (lambda a, b: np.add(a, b))(xs, ys)


def through_a_nested_def(xs, ys):
    def inner(a):
        return np.add(a, ys)

    return inner(xs) + inner([1.0, 2.0, 3.0])


def forwarded_args(xs, ys):
    args = (xs, ys)
    return helper_add(*args)


def forwarded_kwargs(xs, ys):
    return helper_add(**{"v": xs, "w": ys})


@pytest.mark.parametrize("kind", [list, tuple])
def test_lists_forwarded_through_star_args_and_kwargs(kind):
    for f in (forwarded_args, forwarded_kwargs):
        _check(f, (kind(LIST), kind(OTHER)))
        _check(f, (np.array(LIST), np.array(OTHER)))
        _check_vector(f, (kind(LIST), kind(OTHER)), 2)


@pytest.mark.parametrize("kind", [list, tuple])
def test_function_values_lambdas_and_nested_defs(kind):
    """Call-time specialisations (a function value), a helper given a function, a lambda, a nested def
    reading the list from its closure."""
    for f in (through_a_function_value, through_a_higher_order_helper, through_a_lambda, through_a_nested_def):
        _check(f, (kind(LIST), kind(OTHER)))
    for f in (display_through_a_function_value, display_through_a_higher_order_helper):
        _check(f, (0.8,))
        assert tangent_fwd.jvp(f, (0.8,), (1.0,))[1] == 3.0


# ------------------------------------------------------------------------------------------ objects
@pytest.mark.parametrize("first", ["list", "array"])
def test_forward_diff_object_lists_and_arrays_in_either_order(first):
    """One object, its fast path included: each call gets the code for what it is given."""
    for func in (add, list_param_to_helper, through_a_function_value, through_a_nested_def):
        fd = tangent_fwd.forward_diff(func, wrt=(0, 1))
        rng = np.random.default_rng(5)
        calls = []
        for _ in range(3):
            for kind in [first, "array" if first == "list" else "list"]:
                xs, ys = (LIST, OTHER) if kind == "list" else (np.array(LIST), np.array(OTHER))
                dx, dy = list(rng.standard_normal(3)), list(rng.standard_normal(3))
                if kind == "array":
                    dx, dy = np.array(dx), np.array(dy)
                calls.append((xs, ys, dx, dy))
        for xs, ys, dx, dy in calls:
            value, tangent = fd(xs, ys, dx, dy)
            _same_primal(value, func(xs, ys))
            assert isinstance(tangent, np.ndarray)
            np.testing.assert_allclose(tangent, _fd(func, (xs, ys), (dx, dy)), rtol=1e-6, atol=1e-8)


def test_generic_call_path_checks_lists_too():
    """ForwardDiff.__call__ itself (the path of an object without its generated guard) switches code
    when an argument becomes a list, or stops being one."""
    from tangent_fwd.api import ForwardDiff

    fd = tangent_fwd.forward_diff(add, wrt=(0, 1))
    rng = np.random.default_rng(7)
    for kind in ("array", "list", "array", "list"):
        dx, dy = rng.standard_normal(3), rng.standard_normal(3)
        xs, ys = np.array(LIST), np.array(OTHER)
        if kind == "list":
            xs, ys, dx, dy = LIST, OTHER, list(dx), list(dy)
        value, tangent = ForwardDiff.__call__(fd, xs, ys, dx, dy)
        _same_primal(value, add(xs, ys))
        np.testing.assert_allclose(tangent, np.add(dx, dy), rtol=1e-12)


def test_forward_diff_object_with_keyword_tangents():
    fd = tangent_fwd.forward_diff(add, wrt=(0, 1))
    dx, dy = [1.0, -0.5, 0.25], [0.5, 2.0, -1.0]
    for _ in range(2):
        value, tangent = fd(xs=LIST, ys=OTHER, dxs=dx, dys=dy)
        _same_primal(value, add(LIST, OTHER))
        np.testing.assert_allclose(tangent, np.add(dx, dy), rtol=1e-12)


def test_function_without_list_use_does_not_depend_on_it():
    """Code that never hands a differentiated parameter to a NumPy function has no per-call check."""

    def f(x, y):
        return x * y + x

    fd = tangent_fwd.forward_diff(f, wrt=(0, 1))
    fd(1.0, 2.0, 1.0, 0.0)
    assert not fd._records_read

    fd = tangent_fwd.forward_diff(add, wrt=(0, 1))
    fd(np.ones(2), np.ones(2), np.ones(2), np.ones(2))
    assert fd._records_read  # np.add(xs, ys): a list there would need other code


# ------------------------------------------------------------------------------------------ vector mode
@pytest.mark.parametrize("k", [1, 3, 4])
@pytest.mark.parametrize("kind", [list, tuple])
def test_vector_mode(kind, k):
    _check_vector(add, (kind(LIST), kind(OTHER)), k)
    _check_vector(scale, (kind(LIST),), k)
    _check_vector(matvec, (kind(kind(r) for r in MATRIX), kind(LIST)), k)
    _check_vector(list_param_to_helper, (kind(LIST), kind(OTHER)), k)
    _check_vector(slices, (kind(LIST),), k)
    _check_vector(rows_of_matrix, (kind(kind(r) for r in MATRIX),), k)
    _check_vector(through_a_function_value, (kind(LIST), kind(OTHER)), k)
    _check_vector(through_a_nested_def, (kind(LIST), kind(OTHER)), k)


def test_vector_mode_list_of_arrays_and_callee_displays():
    _check_vector(stacked, (ARRAYS,), 3)
    _check_vector(rows_added, (ARRAYS, [a * 2.0 for a in ARRAYS]), 2)
    _check_vector(display_to_helper, (0.8,), 2)


# ------------------------------------------------------------------------------------------ jacfwd, hessian
def test_jacfwd_through_lists_built_and_passed_on():
    for f in (display_to_helper, display_to_helper_scalar):
        for x in (0.8, -1.3):
            jac = tangent_fwd.jacfwd(f)(x)
            np.testing.assert_allclose(jac, _fd(f, (x,), (1.0,)), rtol=1e-6, atol=1e-8)


def test_jacfwd_of_array_parameter_with_a_list_built_inside():
    def f(x):
        return helper_add([x[0], x[1] * x[0]], [x[1], 2.0]) * 1.5

    x = np.array([0.7, -1.2])
    jac = tangent_fwd.jacfwd(f)(x)
    for j in range(2):
        e = np.zeros(2)
        e[j] = 1.0
        np.testing.assert_allclose(jac[:, j], _fd(f, (x,), (e,)), rtol=1e-6, atol=1e-8)


def test_hessian_of_scalar_through_a_helper_given_a_list():
    f = display_to_helper_scalar
    for x in (0.8, -1.3):
        h = tangent_fwd.hessian(f)(x)
        fd2 = (tangent_fwd.jvp(f, (x + EPS,), (1.0,))[1] - tangent_fwd.jvp(f, (x - EPS,), (1.0,))[1]) / (2 * EPS)
        np.testing.assert_allclose(h, fd2, rtol=1e-6)
        second = (f(x + 1e-4) - 2 * f(x) + f(x - 1e-4)) / 1e-8  # independent of the jvp code
        np.testing.assert_allclose(h, second, rtol=1e-5)


def test_jacfwd_with_respect_to_a_list_is_refused_loudly():
    with pytest.raises(ArgumentError, match="list"):
        tangent_fwd.jacfwd(scale)(LIST)


# ------------------------------------------- lists made where the function cannot see (opaque sources)
def _pair_of(x):
    return [x[0], x[1] * 2.0]


@dataclasses.dataclass
class _Holder:
    w: list


def add_of_a_helpers_list(x):
    xs = _pair_of(x)
    return np.add(xs, xs)


def subtract_of_a_helpers_list_inline(x):
    return np.subtract(_pair_of(x), 1.0)


def add_of_a_record_field(x):
    p = _Holder([x[0], x[1]])
    return np.add(p.w, p.w)


def negative_of_a_record_field(x):
    p = _Holder([x[0], x[1]])
    return np.negative(p.w)


def add_of_a_helpers_list_and_a_constant_list(x):
    ys = _pair_of(x)
    return np.add(ys, [1.0, 2.0]) * 3


OPAQUE = [
    add_of_a_helpers_list,
    subtract_of_a_helpers_list_inline,
    add_of_a_record_field,
    negative_of_a_record_field,
    add_of_a_helpers_list_and_a_constant_list,
]


@pytest.mark.parametrize("f", OPAQUE, ids=lambda f: f.__name__)
def test_a_list_from_a_helper_or_a_field_reaching_a_bare_tangent_rule(f):
    """np.add's tangent is dx1 + dx2: two lists of tangents from a helper's result or a record's field
    (which the function cannot see being built) were concatenated ([a, b, a, b] for 2 * [a, b]), and
    np.negative's -dx raised a TypeError. Such an argument's tangent is converted like the value."""
    x = np.array([0.3, -1.2])
    tangent = _check(f, (x,))
    _check_vector(f, (x,), 3)
    jac = tangent_fwd.jacfwd(f)(x)  # columns: the JVPs along the unit directions
    for k in range(x.size):
        e = np.eye(x.size)[k]
        np.testing.assert_allclose(jac[..., k], tangent_fwd.jvp(f, (x,), (e,))[1], rtol=1e-12, atol=1e-14)
    assert jac.shape == np.shape(tangent) + x.shape


def squared_norm_of_a_helpers_list_added(x):
    xs = _pair_of(x)
    return np.sum(np.add(xs, xs) ** 2) * x[0]


def test_hessian_through_a_helpers_list_reaching_np_add():
    x = np.array([0.3, -1.2])
    H = tangent_fwd.hessian(squared_norm_of_a_helpers_list_added)(x)
    grad = tangent_fwd.jacfwd(squared_norm_of_a_helpers_list_added)
    expected = np.stack([(grad(x + EPS * e) - grad(x - EPS * e)) / (2 * EPS) for e in np.eye(2)], axis=-1)
    np.testing.assert_allclose(H, expected, rtol=1e-6, atol=1e-8)
