"""Soundness (issue 12), classes 7 to 9: complex values and rules at their edges.

Complex arrays built from differentiated real inputs (or complex constants multiplied by them): ``abs``,
``norm``, ``var``, ``std``, ``sign``, ``angle`` are real-valued functions of a complex argument (not
holomorphic: their tangents need the conjugate), ``exp``, powers, ``1/z``, ``log`` are holomorphic.
Outputs are real (``.real``/``.imag`` split out) so that finite differences check them.

Rules at their edges: ``np.r_``, ``np.c_``, ``einsum`` in sublist form, ``std`` of one value (zero
derivative, not 0/0), ``x ** 0.0`` at ``x == 0``, ``solve`` with stacked matrices and one vector,
builtin ``max``/``min`` of Python floats, ``cumprod`` with zeros in it."""

import numpy as np

from . import case

REFUSAL_OK = set()


def normal(*shape):
    return lambda rng: (rng.standard_normal(shape),)


def normal2(s1, s2):
    return lambda rng: (rng.standard_normal(s1), rng.standard_normal(s2))


def _cplx(rng, *shape):
    return rng.standard_normal(shape) + 1j * rng.standard_normal(shape)


# ------------------------------------------------------------------ complex: real-valued functions
@case(args=normal2(4, 4), wrt=(0, 1), tags="complex np_elementwise")
def complex_abs(x, y):
    z = x + 1j * y
    return np.abs(z)


@case(args=normal2(4, 4), wrt=(0, 1), tags="complex b_abs red_sum")
def complex_builtin_abs_sum(x, y):
    z = x + 1j * y
    return abs(z).sum() + abs(z[0])


@case(args=normal2(4, 4), wrt=(0, 1), tags="complex la_norm")
def complex_norm(x, y):
    return np.linalg.norm(x + 1j * y)


@case(args=normal2((3, 2), (3, 2)), wrt=(0, 1), tags="complex la_norm red_axis")
def complex_norm_axis(X, Y):
    Z = X + 1j * Y
    return np.linalg.norm(Z, axis=1) + np.linalg.norm(Z, ord=np.inf)


@case(args=normal2(5, 5), wrt=(0, 1), tags="complex red_var")
def complex_var(x, y):
    z = x + 1j * y
    return np.var(z)


@case(args=normal2(5, 5), wrt=(0, 1), tags="complex red_std m_std")
def complex_std(x, y):
    z = x * 2.0 - 1j * y
    return np.std(z) + z.std(ddof=1)


@case(args=normal2((3, 4), (3, 4)), wrt=(0, 1), tags="complex red_var red_axis")
def complex_var_axis(X, Y):
    Z = X + 1j * Y * Y
    return np.var(Z, axis=0) + Z.var(axis=1).sum()


@case(args=normal2(4, 4), wrt=(0, 1), tags="complex np_elementwise")
def complex_sign(x, y):
    s = np.sign(x + 1j * y)
    return s.real + 2.0 * s.imag


@case(args=normal2(4, 4), wrt=(0, 1), tags="complex np_elementwise")
def complex_angle(x, y):
    return np.angle(x + 1j * y) * x


@case(args=normal2(4, 4), wrt=(0, 1), tags="complex np_elementwise")
def complex_times_conjugate(x, y):
    z = x + 1j * y
    return (z * np.conj(z)).real + (z.conj() * z).imag


@case(args=normal2(3, 3), wrt=(0, 1), tags="complex la_dot")
def complex_vdot(x, y):
    z = x + 1j * y
    return np.vdot(z, z * 1j + x).real


@case(args=lambda rng: (rng.standard_normal(4), _cplx(rng, 4)), tags="complex np_elementwise")
def complex_constant_times_active(x, c):
    return np.abs(x * c) + (x * c).real


@case(args=lambda rng: (rng.standard_normal(3), _cplx(rng, 3, 3)), tags="complex la_matmul pow")
def complex_matrix_times_real_vector(x, A):
    r = A @ x
    return np.abs(r) ** 2


@case(args=normal2(4, 4), wrt=(0, 1), tags="complex red_mean")
def complex_mean(x, y):
    z = x + 1j * y
    m = np.mean(z)
    return m.real * m.imag + np.abs(z.mean())


@case(args=normal2(3, 3), wrt=(0, 1), tags="complex np_elementwise")
def complex_real_imag(x, y):
    z = x * y + 1j * (x - y)
    return z.real * z.imag + np.real(z) - np.imag(z) ** 2


@case(args=normal(6), tags="complex cr_arange red_sum red_axis pow np_elementwise")
def dft_power_spectrum(x):
    n = np.arange(6)
    k = n[:, None]
    F = (x * np.exp(-2j * np.pi * k * n / 6)).sum(axis=1)
    return np.abs(F) ** 2


# ------------------------------------------------------------------ complex: holomorphic
@case(args=normal2(3, 3), wrt=(0, 1), tags="complex np_elementwise sh_stack")
def holomorphic_exp(x, y):
    w = np.exp(x + 1j * y)
    return np.stack([w.real, w.imag])


@case(args=normal2(3, 3), wrt=(0, 1), tags="complex pow tuple_return")
def holomorphic_polynomial(x, y):
    z = x + 1j * y
    w = z**3 - 2.0 * z + 1.0
    return w.real, w.imag


@case(args=normal2(3, 3), wrt=(0, 1), tags="complex div")
def holomorphic_reciprocal(x, y):
    z = (x + 3.0) + 1j * y
    w = 1.0 / z
    return w.real * w.imag


@case(args=lambda rng: (rng.uniform(0.5, 2.0, 3), rng.standard_normal(3)), wrt=(0, 1), tags="complex np_elementwise")
def holomorphic_log_sqrt(x, y):
    z = x + 1j * y
    w = np.log(z) + np.sqrt(z)
    return w.real + w.imag


@case(args=normal2(3, 3), wrt=(0, 1), tags="complex np_elementwise")
def holomorphic_sin_cos(x, y):
    z = x + 1j * y
    w = np.sin(z) * np.cos(z)
    return w.real - w.imag


# ------------------------------------------------------------------ np.r_ and np.c_
@case(args=normal2(3, 2), wrt=(0, 1), tags="sh_concatenate")
def r_concatenate(x, y):
    return np.r_[x, 0.0, y * 2.0]


@case(args=normal(3), tags="sh_concatenate")
def r_with_slice_syntax(x):
    return np.r_[x, 1:3] * np.r_[0:2, x * x]


@case(args=normal2(3, 3), wrt=(0, 1), tags="sh_concatenate")
def c_columns(x, y):
    return np.c_[x, y * y] @ np.array([1.0, -2.0])


@case(args=normal2((2, 2), (2, 2)), wrt=(0, 1), tags="sh_concatenate")
def r_c_of_matrices(A, B):
    return np.r_[A, B] + np.c_[A, B].T @ np.ones((2, 2))


# ------------------------------------------------------------------ einsum sublist form
@case(args=normal2((3, 4), 4), wrt=(0, 1), tags="la_einsum")
def einsum_sublist_matvec(A, x):
    return np.einsum(A, [0, 1], x, [1], [0])


@case(args=normal2(3, 2), wrt=(0, 1), tags="la_einsum la_outer")
def einsum_sublist_outer(x, y):
    return np.einsum(x, [0], y, [1], [0, 1])


@case(args=normal2((2, 3, 4), 4), wrt=(0, 1), tags="la_einsum idx_ellipsis")
def einsum_sublist_ellipsis(X, w):
    return np.einsum(X, [..., 0], w, [0], [...])


@case(args=normal(3, 3), tags="la_einsum la_trace")
def einsum_sublist_trace_implicit(A):
    return np.einsum(A, [0, 0]) * np.einsum(A, [0, 1], A, [1, 0])


# ------------------------------------------------------------------ std of one value, power at 0**0
@case(args=normal(4), tags="red_std")
def std_of_one_value(x):
    return np.std(x[:1]) + x.sum()


@case(args=normal(3, 1), tags="red_std red_axis m_std")
def std_of_one_value_per_row(X):
    return np.std(X, axis=1) + X[1:2].std() + X[:, 0]


@case(args=lambda rng: (np.array([0.0, 1.5, -0.7]),), tags="pow np_power")
def float_power_zero_at_zero(x):
    return x**0.0 + np.power(x, 0.0) + x**1.0 + np.power(x, 2.0)


@case(args=lambda rng: (0.0,), tags="pow py_float")
def python_float_power_zero_at_zero(x):
    return x**0.0 + x**1.0 + x**2 + 3.0 * x


@case(args=lambda rng: (np.array([0.0, 2.0]), 0.0), wrt=(0, 1), tags="pow pow_both_active np_power py_float")
def power_of_active_base_at_zero_exponent(x, p):
    return np.power(x + 1.0, p) + (x + 2.0) ** (p + 1.0)


# ------------------------------------------------------------------ solve with stacked A and one vector b
@case(args=normal2((2, 3, 3), 3), wrt=(0, 1), tags="la_solve cr_eye")
def solve_stacked_matrices_one_vector(A, b):
    return np.linalg.solve(A + 3.0 * np.eye(3), b)


@case(args=normal2((2, 3, 3), (2, 3, 1)), wrt=(0, 1), tags="la_solve cr_eye")
def solve_stacked_matrices_stacked_columns(A, B):
    return np.linalg.solve(A + 3.0 * np.eye(3), B)


@case(args=normal2((3, 3), 3), wrt=(0,), tags="la_solve la_inv cr_eye")
def solve_inactive_rhs(A, b):
    M = A + 3.0 * np.eye(3)
    return np.linalg.solve(M, b) + np.linalg.inv(M) @ b


# ------------------------------------------------------------------ builtin max/min of Python floats
@case(args=lambda rng: (1.3,), tags="b_max b_min py_float")
def max_min_of_python_float(s):
    return max(s, 0.5) * s + min(s, 2.0) + max(0.1, s * s)


@case(args=lambda rng: (0.4, 1.7), wrt=(0, 1), tags="b_max b_min py_float")
def max_min_of_two_active_floats(a, b):
    return max(a, b) * min(a, b) + max(a * 3.0, b, 0.2)


@case(args=lambda rng: (1.3,), tags="b_max b_min py_int py_float")
def max_min_float_and_int(s):
    return max(s, 1) + min(s * 2, 3) * s


@case(args=lambda rng: (0.6, rng.standard_normal(3)), wrt=(0, 1), tags="b_max py_float red_sum")
def max_of_python_float_and_numpy_scalar(s, x):
    return max(s, x.sum() + 5.0) * x + min(s, float(x[0]) - 5.0)


# ------------------------------------------------------------------ cumprod
@case(args=lambda rng: (np.array([0.5, 0.0, 1.5, -2.0]),), tags="red_cumprod")
def cumprod_with_a_zero(x):
    return np.cumprod(x)


@case(args=normal(2, 4), tags="red_cumprod red_axis")
def cumprod_axis(X):
    return np.cumprod(X, axis=1) + X.cumprod(axis=0).sum()


@case(args=lambda rng: (np.array([[1.2, 0.0, -0.5], [0.0, 0.0, 2.0]]),), tags="red_cumprod red_axis")
def cumprod_with_zeros_2d(X):
    return np.cumprod(X, axis=1) * 2.0 + np.cumprod(X).reshape(2, 3)


# ------------------------------------------------------------------ more complex and rule edges
@case(args=normal2(4, 4), wrt=(0, 1), tags="complex la_norm")
def complex_vector_norm_orders(x, y):
    z = x + 1j * y
    return np.linalg.norm(z, 1) + np.linalg.norm(z, np.inf) + np.linalg.norm(z, 3)


@case(args=normal2((2, 2), (2, 2)), wrt=(0, 1), tags="complex la_norm")
def complex_matrix_norms(X, Y):
    Z = X + 1j * Y
    return np.linalg.norm(Z, "fro") + np.linalg.norm(Z, 1)


@case(args=lambda rng: (rng.uniform(0.5, 2.0, 3), rng.standard_normal(3)), wrt=(0, 1), tags="complex pow np_power")
def holomorphic_fractional_power(x, y):
    z = x + 1j * y
    w = z**0.5 + np.power(z, 2.5)
    return w.real * 2.0 + w.imag


@case(args=lambda rng: (np.array([1.5, 0.0, -0.7, 2.0]),), tags="red_prod")
def prod_with_a_zero(x):
    return np.prod(x) + x.prod() * 2.0


@case(args=lambda rng: (np.array([[1.5, 0.0], [0.0, -0.7]]),), tags="red_prod red_axis")
def prod_with_two_zeros(X):
    return np.prod(X) + np.prod(X, axis=0).sum()


@case(args=lambda rng: (np.array([[1.0, 2.0, 3.0], [1.0, 2.0, 3.0], [0.5, -1.0, 2.0]]),), tags="la_det")
def det_of_singular_matrix(A):
    return np.linalg.det(A)


@case(args=lambda rng: (0.4, 1.7), wrt=(0, 1), tags="b_max b_min py_float list_literal")
def max_min_of_list_of_python_floats(a, b):
    vals = [a, b * 0.5, 0.3]
    return max(vals) - min(vals) * a
