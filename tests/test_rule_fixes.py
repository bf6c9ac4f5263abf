"""Issue 12, class 9: rules that were wrong at their edges. Each is checked against central finite
differences (or the exact value where the function is not differentiable by finite differences)."""

import math
import time

import numpy as np
import pytest

import tangent_fwd

H = 1e-6


def _fd(f, args, tangents):
    plus = [a if t is None else a + H * t for a, t in zip(args, tangents)]
    minus = [a if t is None else a - H * t for a, t in zip(args, tangents)]
    return (np.asarray(f(*plus)) - np.asarray(f(*minus))) / (2 * H)


def _check(f, *args, wrt=None, rtol=1e-6, seed=0):
    rng = np.random.default_rng(seed)
    wrt = range(len(args)) if wrt is None else wrt
    tangents = [
        (rng.standard_normal(np.shape(a)) if np.ndim(a) else float(rng.standard_normal())) if i in wrt else None
        for i, a in enumerate(args)
    ]
    value, tangent = tangent_fwd.jvp(f, tuple(args), tuple(tangents))
    np.testing.assert_array_equal(value, f(*args))
    fd = _fd(f, args, tangents)
    assert np.shape(tangent) == np.shape(fd), (np.shape(tangent), np.shape(fd))
    scale = max(1.0, float(np.max(np.abs(fd))) if np.size(fd) else 1.0)
    np.testing.assert_allclose(tangent, fd, rtol=0, atol=rtol * scale)
    return tangent


# ------------------------------------------------------------------ np.r_ / np.c_
def r_pieces(x, y):
    return np.r_[x, 2.0 * y, 0:3, [1.0, 2.0], x[0]]


def c_columns(x, y):
    return np.c_[x, np.sin(y), x * y]


def r_directive(A, B):
    return np.r_["0,2", A, B] + np.r_["1", A, B].sum()


def test_r_and_c_differentiate_their_pieces():
    rng = np.random.default_rng(1)
    _check(r_pieces, rng.standard_normal(3), rng.standard_normal(2))
    _check(c_columns, rng.standard_normal(4), rng.standard_normal(4))
    _check(r_directive, rng.standard_normal((2, 2)), rng.standard_normal((2, 2)))
    _check(r_pieces, rng.standard_normal(3), rng.standard_normal(2), wrt=(1,))  # x constant: zeros for it


def test_r_in_vector_mode_matches_finite_differences():
    x = np.array([0.3, -0.5, 1.1])
    J = tangent_fwd.jacfwd(lambda_free_r)(x)
    Jfd = np.stack([_fd(lambda_free_r, [x], [e]) for e in np.eye(3)], axis=-1)
    np.testing.assert_allclose(J, Jfd, atol=1e-8)


def lambda_free_r(x):
    return np.r_[x, x**2, 1.0] * np.r_[1.0, x, x[1], 0.0, x[2]]


# ------------------------------------------------------------------ einsum in sublist form
def einsum_sublist(a, b):
    return np.einsum(a, [0, 1], b, [1, 2], [0, 2])


def test_einsum_sublist_form_keeps_the_first_operand_tangent():
    rng = np.random.default_rng(2)
    a, b = rng.standard_normal((2, 3)), rng.standard_normal((3, 4))
    _check(einsum_sublist, a, b)
    t = _check(einsum_sublist, a, b, wrt=(0,))
    assert np.any(t != 0)


# ------------------------------------------------------------------ std / var at zero variance
def std_all(x):
    return np.std(x)


def std_rows(x):
    return np.std(x, axis=1)


def test_std_of_one_value_is_zero_not_nan():
    for f, x in ((std_all, np.array([1.7])), (std_all, np.array([[0.3]])), (std_rows, np.array([[0.3], [2.0]]))):
        _, t = tangent_fwd.jvp(f, (x,), (np.ones_like(x),))
        np.testing.assert_array_equal(t, 0.0)
    _, t = tangent_fwd.jvp(var_one, (np.array([0.4]),), (np.array([1.0]),))
    assert t == 0.0


def var_one(x):
    return np.var(x) + x.std()


def test_std_at_constant_rows_is_zero_and_elsewhere_exact():
    x = np.array([[1.0, 1.0, 1.0], [0.3, -0.2, 0.9]])
    _, t = tangent_fwd.jvp(std_rows, (x,), (np.array([[0.5, -1.0, 2.0], [1.0, 0.5, -0.3]]),))
    assert t[0] == 0.0 and np.isfinite(t[1])
    _check(std_rows, x[1:])


# ------------------------------------------------------------------ powers at 0
def power(x, y):
    return np.power(x, y)


def pow_op(x, y):
    return x**y


def pow_builtin(x, y):
    return pow(x, y)


def pow_zero(x):
    return x**0 + x**0.0


def zero_pow(y):
    return 0.0**y


@pytest.mark.parametrize("f", [power, pow_op, pow_builtin])
def test_pow_at_zero_zero_follows_jax(f):
    # d/dx x**y = y x**(y-1) is 0 at y == 0; d/dy x**y = x**y log x is taken as 0 at x == 0
    for x, y in ((0.0, 0.0), (np.zeros(3), np.zeros(3)), (np.zeros(2), np.array([0.0, 2.0]))):
        _, t = tangent_fwd.jvp(
            f, (x, y), (np.ones_like(x) if np.ndim(x) else 1.0, np.ones_like(y) if np.ndim(y) else 1.0)
        )
        np.testing.assert_array_equal(t, 0.0)


def test_pow_with_constant_or_zero_base():
    _, t = tangent_fwd.jvp(pow_zero, (0.0,), (1.0,))
    assert t == 0.0
    _, t = tangent_fwd.jvp(pow_zero, (np.zeros(2),), (np.ones(2),))
    np.testing.assert_array_equal(t, 0.0)
    for y in (0.0, np.array([0.0, 1.5])):
        _, t = tangent_fwd.jvp(zero_pow, (y,), (np.ones_like(y) if np.ndim(y) else 1.0,))
        np.testing.assert_array_equal(t, 0.0)


def test_pow_away_from_zero_is_unchanged():
    rng = np.random.default_rng(3)
    x, y = rng.uniform(0.5, 2.0, 4), rng.standard_normal(4)
    for f in (power, pow_op):
        _check(f, x, y)
    _check(pow_op, 1.3, -0.7)
    src = tangent_fwd.source(pow_const)
    assert "dt1 = 2 * x * dx" in src  # a constant exponent still folds: no run-time cost


def pow_const(x):
    return x**2


# ------------------------------------------------------------------ solve with stacked matrices and one vector
def solve(A, b):
    return np.linalg.solve(A, b)


def test_solve_stacked_matrices_and_one_vector():
    rng = np.random.default_rng(4)
    A = rng.standard_normal((4, 3, 3)) * 0.3 + 2 * np.eye(3)
    for b in (rng.standard_normal(3), rng.standard_normal((4, 3, 2)), rng.standard_normal((3, 2))):
        _check(solve, A, b)
        _check(solve, A, b, wrt=(0,))
    _check(solve, A[0], rng.standard_normal(3))


# ------------------------------------------------------------------ max / min of a Python float
def extrema(x):
    return np.max(x) + np.min(x) * 2.0 + np.amax(x) * 3.0 + np.amin(x) * 4.0


def test_max_min_of_a_float():
    for x in (0.7, np.float64(-0.3), np.array(1.5)):
        _, t = tangent_fwd.jvp(extrema, (x,), (1.0,))
        assert float(t) == 10.0


def extrema_of_lists(x, y):
    return np.max([x, y, 0.5]) + np.min([x, y]) * 2.0 + np.sum(np.cumprod([x, y, 2.0]))


def test_max_min_cumprod_of_lists():
    _check(extrema_of_lists, 0.3, -0.9)
    _check(extrema_of_lists, 0.9, 0.7)


# ------------------------------------------------------------------ cumprod: exact with zeros, O(n log n)
def cumprod(x):
    return np.cumprod(x)


def cumprod_axis(x):
    return np.cumprod(x, axis=0)


def _cumprod_reference(x, dx):
    """sum_k dx_k prod_{j <= i, j != k} x_j, from the definition (O(n^2))."""
    n = len(x)
    out = np.zeros(n)
    for i in range(n):
        for k in range(i + 1):
            out[i] += dx[k] * np.prod(np.delete(x[: i + 1], k))
    return out


def test_cumprod_is_exact_with_zeros():
    rng = np.random.default_rng(5)
    for x in (
        np.array([0.0, 1.5, 0.0, -0.7, 2.0, 0.0, 1.1]),
        np.array([2.0, 0.0, 0.5, 3.0, -1.0]),
        rng.standard_normal(13),
        np.array([0.0]),
    ):
        dx = rng.standard_normal(x.shape)
        _, t = tangent_fwd.jvp(cumprod, (x,), (dx,))
        np.testing.assert_allclose(t, _cumprod_reference(x, dx), rtol=1e-12, atol=1e-14)
    _check(cumprod_axis, rng.uniform(0.5, 1.5, (9, 3)))


def test_cumprod_jvp_scales_to_long_axes():
    rng = np.random.default_rng(6)
    x = rng.uniform(0.9, 1.1, 10000)
    x[[10, 5000]] = 0.0
    dx = rng.standard_normal(x.shape)
    start = time.perf_counter()
    _, t = tangent_fwd.jvp(cumprod, (x,), (dx,))
    elapsed = time.perf_counter() - start
    assert elapsed < 2.0, f"cumprod JVP of n = 10000 took {elapsed:.2f} s"  # was O(n^3): hours, terabytes
    # exact with the zeros: after the second zero everything vanishes; between them only dx_10 counts
    np.testing.assert_array_equal(t[5001:], 0.0)
    np.testing.assert_allclose(t[11:20], dx[10] * np.cumprod(np.r_[x[:10], 1.0, x[11:20]])[11:20], rtol=1e-12)


def _math_pow(x, y):
    return math.pow(x, y)


def test_math_pow_at_zero_follows_the_operator():
    assert tangent_fwd.jvp(_math_pow, (0.0, 0.0), (1.0, 1.0)) == (1.0, 0.0)
    assert tangent_fwd.jvp(_math_pow, (0.0, 2.0), (1.0, 1.0)) == (0.0, 0.0)
    v, t = tangent_fwd.jvp(_math_pow, (2.0, 3.0), (1.0, 1.0))
    assert v == 8.0 and math.isclose(t, 12.0 + 8.0 * math.log(2.0))
