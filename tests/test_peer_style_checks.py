"""Checks in the style of a peer AD library's test suite, for the bug classes it exposed (issue 12).

A peer suite calls the derivative operator on library functions themselves, with options as keyword
arguments (``check(np.sum)(x, axis=0, keepdims=True)``), differentiates ``np.einsum`` with respect to
its operands, passes classes as plain arguments (``isinstance(x, np.ndarray)``), and defines the
functions it differentiates inside pytest test modules, where pytest rewrites ``assert`` statements.
Each case here is checked against float64 central differences along a seeded random direction, its
value against the plain call bit for bit, and vector mode against single JVPs.
"""

import numpy as np
import pytest
import scipy.linalg
import scipy.special

import tangent_fwd

H = 1e-6


def _direction(x, rng):
    return rng.standard_normal(np.shape(x)) if isinstance(x, np.ndarray) else float(rng.standard_normal())


def _fd(f, args, i, d, kwargs):
    plus, minus = list(args), list(args)
    plus[i] = args[i] + H * d
    minus[i] = args[i] - H * d
    return (np.asarray(f(*plus, **kwargs)) - np.asarray(f(*minus, **kwargs))) / (2 * H)


def _check_op(op, args, wrt, kwargs, seed=0):
    """forward_diff(op, wrt)(*args, tangent, **kwargs): value bit for bit, tangent vs FD, vector mode."""
    rng = np.random.default_rng(seed)
    d = _direction(args[wrt], rng)
    value, tangent = tangent_fwd.forward_diff(op, wrt=wrt)(*args, d, **kwargs)
    expected = op(*args, **kwargs)
    np.testing.assert_array_equal(value, expected, strict=True)
    np.testing.assert_allclose(tangent, _fd(op, args, wrt, d, kwargs), rtol=1e-6, atol=1e-7)
    d2 = _direction(args[wrt], rng)
    _, batched = tangent_fwd.forward_diff(op, wrt=wrt, vectorized=True)(*args, np.stack([d, d2]), **kwargs)
    _, single2 = tangent_fwd.forward_diff(op, wrt=wrt)(*args, d2, **kwargs)
    np.testing.assert_allclose(batched[0], tangent, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(batched[1], single2, rtol=1e-12, atol=1e-14)


_R = np.random.default_rng(7)
X = _R.uniform(0.5, 1.5, (3, 4))
X3 = _R.standard_normal((2, 3, 4))
V3 = _R.standard_normal(3)

# (op, args, wrt, keyword arguments): a library function called directly with its options as keywords
KEYWORD_CALLS = [
    (np.sum, (X,), 0, {"axis": 0, "keepdims": True}),
    (np.sum, (X,), 0, {"axis": 1}),
    (np.mean, (X3,), 0, {"axis": (0, 2)}),
    (np.var, (X,), 0, {"axis": 1, "ddof": 1}),
    (np.std, (X,), 0, {"axis": 0, "keepdims": True}),
    (np.max, (X,), 0, {"axis": 1, "keepdims": True}),
    (np.min, (X,), 0, {"axis": 0}),
    (np.prod, (X,), 0, {"axis": 1}),
    (np.repeat, (X,), 0, {"repeats": 2, "axis": 1}),
    (np.diff, (X3,), 0, {"n": 2, "axis": 2}),
    (np.trace, (X,), 0, {"offset": 1}),
    (np.tril, (X,), 0, {"k": -1}),
    (np.triu, (X,), 0, {"k": 1}),
    (np.cumsum, (X,), 0, {"axis": 0}),
    (np.tensordot, (X3, X), 1, {"axes": ([1, 2], [0, 1])}),
    (np.cross, (V3, X.T), 1, {"axisb": 1}),
    (np.moveaxis, (X3,), 0, {"source": 0, "destination": 2}),
    (np.swapaxes, (X3,), 0, {"axis1": 0, "axis2": 2}),
    (np.transpose, (X3,), 0, {"axes": (2, 0, 1)}),
    (np.concatenate, ((X, X * 2.0),), 0, {"axis": 1}),
    (scipy.special.logsumexp, (X,), 0, {"axis": 1}),
    (scipy.special.logsumexp, (X,), 0, {"axis": 0, "keepdims": True}),
]


def _id(case):
    op, _, wrt, kw = case
    return f"{op.__name__}-wrt{wrt}-" + "-".join(sorted(kw))


@pytest.mark.parametrize("case", KEYWORD_CALLS, ids=_id)
def test_library_op_called_with_keywords(case):
    op, args, wrt, kwargs = case
    if isinstance(args[0], tuple):  # a tuple argument: its tangent is a tuple of the same structure
        rng = np.random.default_rng(1)
        d = tuple(rng.standard_normal(a.shape) for a in args[0])
        value, tangent = tangent_fwd.forward_diff(op, wrt=wrt)(*args, d, **kwargs)
        np.testing.assert_array_equal(value, op(*args, **kwargs), strict=True)
        plus = op(tuple(a + H * t for a, t in zip(args[0], d)), **kwargs)
        minus = op(tuple(a - H * t for a, t in zip(args[0], d)), **kwargs)
        np.testing.assert_allclose(tangent, (plus - minus) / (2 * H), rtol=1e-6, atol=1e-7)
        return
    _check_op(op, args, wrt, kwargs)


def test_library_op_with_more_positional_arguments_than_its_rule():
    """np.pad(a, width, mode) and np.moveaxis(a, 0, -1): options passed by position after the array."""
    _check_op(np.pad, (X, 1, "edge"), 0, {})
    _check_op(np.moveaxis, (X3, 0, -1), 0, {})
    _check_op(np.repeat, (X, 3), 0, {})


def test_same_forward_diff_called_with_and_without_keywords():
    """One ForwardDiff object: a positional call (the fast path), then keyword calls, then positional again."""
    fd = tangent_fwd.forward_diff(np.sum)
    d = np.ones_like(X)
    assert fd(X, d)[1] == pytest.approx(12.0)
    np.testing.assert_allclose(fd(X, d, axis=0)[1], np.full(4, 3.0))
    np.testing.assert_allclose(fd(X, d, axis=1, keepdims=True)[1], np.full((3, 1), 4.0))
    assert fd(X, d)[1] == pytest.approx(12.0)


def test_keyword_also_given_by_position_is_refused():
    with pytest.raises(tangent_fwd.ArgumentError, match="also given by position"):
        tangent_fwd.forward_diff(np.sum)(X, np.ones_like(X), a=X)


@pytest.mark.parametrize("wrt", [1, 2, (1, 2)])
def test_einsum_differentiated_with_respect_to_its_operands(wrt):
    rng = np.random.default_rng(3)
    a, b = rng.standard_normal((2, 3)), rng.standard_normal((3, 4))
    args = ("ij,jk->ik", a, b)
    wrts = wrt if isinstance(wrt, tuple) else (wrt,)
    ds = [rng.standard_normal(args[i].shape) for i in wrts]
    value, tangent = tangent_fwd.forward_diff(np.einsum, wrt=wrt)(*args, *ds)
    np.testing.assert_array_equal(value, np.einsum(*args), strict=True)
    plus, minus = list(args), list(args)
    for i, d in zip(wrts, ds):
        plus[i] = args[i] + H * d
        minus[i] = args[i] - H * d
    np.testing.assert_allclose(tangent, (np.einsum(*plus) - np.einsum(*minus)) / (2 * H), rtol=1e-6, atol=1e-7)


def checks_its_type(x, kind):
    return np.sum(x**2) * (2.0 if isinstance(x, kind) else 1.0)


@pytest.mark.parametrize("kind", [np.ndarray, list, (tuple, list)], ids=["ndarray", "list", "tuple-of-classes"])
def test_a_class_passed_as_a_plain_argument(kind):
    """A class (np.ndarray has class attributes named shape and dtype) is not an array of some backend."""
    x = np.array([0.3, -1.2, 0.7])
    d = np.array([1.0, 0.5, -2.0])
    value, tangent = tangent_fwd.jvp(checks_its_type, (x, kind), (d, None))
    assert value == checks_its_type(x, kind)
    fd = (checks_its_type(x + H * d, kind) - checks_its_type(x - H * d, kind)) / (2 * H)
    assert tangent == pytest.approx(fd, rel=1e-6)


def test_function_with_an_assert_in_a_pytest_module():
    """pytest rewrites this module's asserts (new locals and constants in the code object): the source
    check must compare with the source rewritten the same way, not refuse the function as edited."""

    def f(x):
        assert np.all(np.isfinite(x)), "finite inputs only"
        y = np.sin(x) * x
        assert y.shape == x.shape
        return np.sum(y)

    rng = np.random.default_rng(5)
    x, d = rng.standard_normal(4), rng.standard_normal(4)
    value, tangent = tangent_fwd.jvp(f, (x,), (d,))
    assert value == f(x)
    assert tangent == pytest.approx((f(x + H * d) - f(x - H * d)) / (2 * H), rel=1e-6)
    with pytest.raises(AssertionError, match="finite inputs only"):
        tangent_fwd.jvp(f, (np.array([np.nan]),), (np.ones(1),))


# ------------------------------------------------------------------ values given as Python lists
# NumPy converts a list or tuple argument to an array; the tangent helpers must see the same array
# (np.var of a list used len 1 for its size: a third of the derivative; norm, cov, eigh... crashed).
def var_of_list(x):
    return np.var([x, 2.0 * x, 0.3])


def std_of_tuple(x):
    return np.std((x, 2.0 * x, 0.3), ddof=1)


def var_of_list_of_arrays(x):
    return np.sum(np.var([np.array([x, 1.0]), np.array([0.5, 3.0 * x])], axis=0))


def norm_of_list(x):
    return np.linalg.norm([x, x + 2.0])


def norm_of_tuple(x):
    return np.linalg.norm((x, x + 2.0))


def frobenius_norm_of_nested_list(x):
    return np.linalg.norm([[x, 1.0], [2.0, 3.0 * x]])


def spectral_norm_of_nested_list(x):
    return np.linalg.norm([[x, 1.0], [2.0, 3.0 * x]], 2)


def max_of_list_of_arrays(x):
    return np.sum(np.max([np.array([x, 0.1]), np.array([0.5, 3.0 * x])], axis=0))


def cov_of_list(x):
    return np.cov([x, 2.0 * x, 0.3])


def corrcoef_of_lists(x):
    return np.corrcoef([x, 2.0 * x, 0.3], [1.0, 0.2, x])[0, 1]


def eigvalsh_of_nested_list(x):
    return np.linalg.eigvalsh([[x, 1.0], [1.0, 3.0 * x]])[0]


def eigh_of_nested_list(x):
    return np.linalg.eigh([[x, 1.0], [1.0, 3.0 * x]])[0][1]


def cholesky_of_nested_list(x):
    return np.linalg.cholesky([[x + 2.0, 1.0], [1.0, 3.0 * x + 2.0]])[1, 1]


def lstsq_of_nested_lists(x):
    return np.linalg.lstsq([[x, 1.0], [2.0, 3.0 * x], [1.0, 1.0]], [1.0, x, 0.0])[0][0]


def qr_of_nested_list(x):
    return np.linalg.qr([[x, 1.0], [2.0, 3.0 * x]])[1][1, 1]


LIST_INPUTS = [
    var_of_list,
    std_of_tuple,
    var_of_list_of_arrays,
    norm_of_list,
    norm_of_tuple,
    frobenius_norm_of_nested_list,
    spectral_norm_of_nested_list,
    max_of_list_of_arrays,
    cov_of_list,
    corrcoef_of_lists,
    eigvalsh_of_nested_list,
    eigh_of_nested_list,
    cholesky_of_nested_list,
    lstsq_of_nested_lists,
    qr_of_nested_list,
]


@pytest.mark.parametrize("f", LIST_INPUTS, ids=lambda f: f.__name__)
def test_library_function_of_a_list_of_active_values(f):
    x0 = 0.7
    fd = (f(x0 + H) - f(x0 - H)) / (2 * H)
    value, tangent = tangent_fwd.jvp(f, (x0,), (1.0,))
    np.testing.assert_array_equal(value, f(x0), strict=False)
    assert np.shape(tangent) == np.shape(fd)
    np.testing.assert_allclose(tangent, fd, rtol=1e-6, atol=1e-8)
    # vector mode: two directions (1 and -2.5) give 1x and -2.5x the derivative
    _, batched = tangent_fwd.jvp(f, (x0,), (np.array([1.0, -2.5]),), vectorized=True)
    np.testing.assert_allclose(np.asarray(batched), [fd, -2.5 * fd], rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(tangent_fwd.jacfwd(f)(x0), fd, rtol=1e-6, atol=1e-8)


# ------------------------------------------------------------------ list displays as NumPy arguments
# A NumPy function converts a list or tuple argument to an array. The rule's template works on the
# tangent: a list of tangents added (``dx + dy``) concatenated the lists (np.add([x, 1.0], [2.0, y])
# had a zero derivative), and in vector mode a list of (K,) tangents converted to (n, K), not (K, n)
# (np.sin([x, 3x]) with K == 2 directions: silently mixed directions and elements).
def add_of_lists(x):
    return np.add([x, 1.0], [2.0, 3.0 * x])[1]


def multiply_of_lists(x):
    return np.multiply([x, 1.0], [2.0, 3.0 * x])[1]


def subtract_of_tuples(x):
    return np.subtract((x, 1.0), (2.0, 3.0 * x))[0]


def negative_of_list(x):
    return np.negative([x, 3.0 * x])[1]


def square_of_list(x):
    return np.square([x, 3.0 * x])[1]


def sin_of_list(x):
    return np.sin([x, 3.0 * x])[1]


def arctan2_of_lists(x):
    return np.arctan2([x, 1.0], [2.0, 3.0 * x])[1]


def hypot_of_lists(x):
    return np.hypot([x, 1.0], [2.0, 3.0 * x])[1]


def where_of_lists(x):
    return np.where([True, False], [x, 1.0], [2.0, 3.0 * x])[1]


def clip_of_list(x):
    return np.clip([x, 2.0 * x, 0.3], 0.0, 0.9)[1]


def matmul_of_nested_lists(x):
    return np.matmul([[x, 1.0], [0.5, x]], [2.0, 3.0 * x])[1]


def transpose_of_nested_list(x):
    return np.transpose([[x, 1.0], [2.0, 3.0 * x]])[1, 0]


def reshape_of_list(x):
    return np.reshape([x, 1.0, 2.0, 3.0 * x], (2, 2))[1, 1]


def erf_of_list(x):
    return scipy.special.erf([x, 3.0 * x])[1]


def xlogy_of_lists(x):
    return scipy.special.xlogy([x, 1.0], [2.0, 3.0 * x])[1]


def sum_of_list_of_arrays(x):
    v = [np.sin(x), np.cos(x), np.ones(3)]
    return np.sum(np.multiply(v, 2.0) ** 2)


def list_made_by_a_comprehension(x):
    v = [x * k for k in range(3)]
    return np.sum(np.exp(v))


def concatenate_of_different_lengths(x):
    return np.sum(np.concatenate([x, 2.0 * x[:2]]) ** 2)


LIST_DISPLAYS = [
    add_of_lists,
    multiply_of_lists,
    subtract_of_tuples,
    negative_of_list,
    square_of_list,
    sin_of_list,
    arctan2_of_lists,
    hypot_of_lists,
    where_of_lists,
    clip_of_list,
    matmul_of_nested_lists,
    transpose_of_nested_list,
    reshape_of_list,
    erf_of_list,
    xlogy_of_lists,
]


@pytest.mark.parametrize("f", LIST_DISPLAYS, ids=lambda f: f.__name__)
def test_numpy_function_of_a_list_display(f):
    x0 = 0.7
    fd = (f(x0 + H) - f(x0 - H)) / (2 * H)
    value, tangent = tangent_fwd.jvp(f, (x0,), (1.0,))
    assert value == f(x0)
    assert np.shape(tangent) == np.shape(fd)
    np.testing.assert_allclose(tangent, fd, rtol=1e-6, atol=1e-8)
    for directions in ([1.0, -2.5], [1.0, -2.5, 0.5]):  # K equal to the list's length, and not
        _, batched = tangent_fwd.jvp(f, (x0,), (np.array(directions),), vectorized=True)
        np.testing.assert_allclose(np.asarray(batched), np.array(directions) * fd, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(tangent_fwd.jacfwd(f)(x0), fd, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize(
    "f",
    [sum_of_list_of_arrays, list_made_by_a_comprehension, concatenate_of_different_lengths],
    ids=lambda f: f.__name__,
)
def test_list_of_arrays_as_numpy_argument(f):
    rng = np.random.default_rng(11)
    x, d = rng.standard_normal(3), rng.standard_normal(3)
    fd = (f(x + H * d) - f(x - H * d)) / (2 * H)
    value, tangent = tangent_fwd.jvp(f, (x,), (d,))
    assert value == f(x)
    assert tangent == pytest.approx(fd, rel=1e-6, abs=1e-8)
    d2 = rng.standard_normal(3)
    _, batched = tangent_fwd.jvp(f, (x,), (np.stack([d, d2]),), vectorized=True)
    fd2 = (f(x + H * d2) - f(x - H * d2)) / (2 * H)
    np.testing.assert_allclose(np.asarray(batched), [fd, fd2], rtol=1e-6, atol=1e-8)


def cho_solve_with_a_tuple(a, b):
    c, low = scipy.linalg.cho_factor(a @ a.T + 3.0 * np.eye(3))
    return np.sum(scipy.linalg.cho_solve((c, low), b))


def test_heterogeneous_tuple_argument_is_not_converted():
    """``cho_solve((c, lower), b)``: the tuple is a (matrix, flag) pair, not an array."""
    rng = np.random.default_rng(2)
    a, b = rng.standard_normal((3, 3)), rng.standard_normal(3)
    da = rng.standard_normal((3, 3))
    value, tangent = tangent_fwd.jvp(cho_solve_with_a_tuple, (a, b), (da, None))
    assert value == cho_solve_with_a_tuple(a, b)
    fd = (cho_solve_with_a_tuple(a + H * da, b) - cho_solve_with_a_tuple(a - H * da, b)) / (2 * H)
    assert tangent == pytest.approx(fd, rel=1e-6)
