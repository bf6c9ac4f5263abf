"""Arithmetic operators on arrays, with any operand differentiated; augmented assignment."""

import numpy as np

from . import case


def normal(*shape):
    return lambda rng: (rng.standard_normal(shape),)


def normal2(s1, s2):
    return lambda rng: (rng.standard_normal(s1), rng.standard_normal(s2))


def positive2(s1, s2):
    return lambda rng: (rng.uniform(0.5, 2.0, s1), rng.uniform(0.5, 2.0, s2))


@case(args=normal2(4, 4), wrt=(0, 1), tags="array add sub mul")
def add_sub(x, y):
    return x + y - 2.0 * x + y * 3


@case(args=normal2(4, 4), wrt=(1,), tags="array mul div")
def mul_div_second(x, y):
    return x * y / (y * y + 1.0)


@case(args=normal2(4, 4), wrt=(0, 1), tags="array div")
def div_both(x, y):
    return (x + 3.0) / (y * y + 0.5) - 1.0 / (x * x + 2.0)


@case(args=lambda rng: (rng.uniform(-3, 3, 5),), tags="array mod floordiv")
def floordiv_mod(x):
    return x % 0.75 + (x // 0.5) * x + x // 2


@case(args=lambda rng: (rng.uniform(0.5, 2.0, 4),), tags="array pow")
def pow_const(x):
    return x**3 + x**0.5 - x**-1 + x**2.5


@case(args=positive2(4, 4), wrt=(0, 1), tags="array pow pow_active_exp pow_both_active")
def pow_arrays(x, y):
    return x**y


@case(args=lambda rng: (rng.standard_normal(4),), tags="array pow pow_active_exp")
def scalar_base_pow(y):
    return 2.0**y + 0.5 ** (y * y)


@case(args=lambda rng: (rng.uniform(0.5, 2.0, 4), np.array([1, 2, 3, 0])), tags="array pow")
def pow_int_array_exponent(x, n):
    return x**n


@case(args=lambda rng: (1.3, rng.uniform(0.5, 2.0, 4)), wrt=(0, 1), tags="array pow pow_both_active py_float")
def float_base_array_exponent(a, y):
    return a**y


@case(args=lambda rng: (rng.standard_normal((3, 4)), rng.standard_normal(4)), wrt=(0, 1), tags="array matmul")
def matvec(A, x):
    return A @ x


@case(
    args=lambda rng: (rng.standard_normal((3, 4)), rng.standard_normal((4, 2))), wrt=(0, 1), tags="array matmul attr_T"
)
def matmat_chain(A, B):
    return A.T @ (A @ B)


@case(args=lambda rng: (rng.standard_normal(4), rng.standard_normal(4)), wrt=(1,), tags="array matmul")
def vec_vec_matmul(x, y):
    return x @ y


@case(args=normal(5), tags="array neg pos")
def unary_array(x):
    return -x + (+x) * 2.0 - (-(x * x))


@case(args=lambda rng: (1.7, rng.standard_normal(3)), wrt=(0, 1), tags="array py_float mul add")
def scalar_times_array(a, x):
    return a * x + x / a - a


@case(args=normal2(4, 4), wrt=(0, 1), tags="array compare pc_compare mul")
def compare_mask_multiply(x, y):
    return x * (x > 0) + y * (x <= 0) + (y > x) * x * y


@case(args=normal2(3, 3), wrt=(0, 1), tags="array aug_add aug_sub aug_mul aug_div aug_pow")
def augmented_array(x, y):
    z = x * 1.0
    z += y
    z -= 0.5 * x
    z *= y
    z /= 1.0 + y * y
    z **= 2
    return z


@case(
    args=lambda rng: (rng.standard_normal((3, 3)), rng.standard_normal((3, 3))),
    wrt=(0, 1),
    tags="array aug_matmul matmul",
)
def augmented_matmul(A, B):
    C = A * 1.0
    C @= B
    C @= A
    return C


@case(args=normal2(3, 3), wrt=(0, 1), tags="array aug_add", mutates=True)
def augmented_input_in_place(x, y):
    x += y
    x *= y
    return x * 2.0


@case(args=lambda rng: (rng.standard_normal(3), 2.0), wrt=(0, 1), tags="array aug_add aug_mul py_float")
def augmented_scalar_into_array_name(x, s):
    t = s
    t *= x
    t += s
    return t


@case(args=lambda rng: (rng.standard_normal(4), 3), tags="array py_int mul floordiv")
def int_scalar_broadcast(x, n):
    return x * n + x * (n // 2) - n


@case(args=lambda rng: (rng.standard_normal((2, 3)), rng.standard_normal(3)), wrt=(0, 1), tags="array add mul")
def broadcasting(X, b):
    return X * b + b - X / (b * b + 1.0)


@case(args=lambda rng: (rng.standard_normal(6),), tags="array compare pc_compare boolop np_where")
def mask_bit_operators(x):
    m = (x > -0.5) & (x < 0.5) | ~(x > -1.0)
    return np.where(m, x**2, x) + x * (m ^ (x > 0))
