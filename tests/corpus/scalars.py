"""Python floats and ints, the math module, and scalar builtins."""

import math

import numpy as np

from . import case

F = lambda *vals: lambda rng: vals  # noqa: E731  fixed arguments


@case(args=F(1.3), tags="py_float add sub mul pow constant")
def poly(x):
    return 3.0 * x**2 - 2.0 * x + 1.0


@case(args=F(0.8, 3), tags="py_float py_int mul floordiv add pc_int_arith")
def float_times_int(x, n):
    return x * n + n // 2 + x / n


@case(args=F(1.7), tags="math py_float")
def math_basic(x):
    return math.sin(x) * math.exp(x) + math.log(x) + math.sqrt(x) - math.cos(x)


@case(args=F(0.6, 1.4), wrt=(0, 1), tags="math py_float")
def math_two_args(x, y):
    return math.atan2(x, y) + math.hypot(x, y) + math.tanh(x * y) + math.pow(y, x)


@case(args=F(0.9), tags="math constant py_float")
def circle_area(r):
    return math.pi * r**2 + math.e * r


@case(args=F(-1.3), tags="b_abs b_pow py_float")
def builtin_abs_pow(x):
    return abs(x) + pow(x, 3) + pow(abs(x), 0.5)


@case(args=F(1.3, 0.4), wrt=(0, 1), tags="b_max b_min py_float")
def builtin_min_max(x, y):
    return max(x, y) + min(x, 2.0 * y) + max(x, y, 0.1) * min(3.0, x)


@case(args=F(1.15), tags="b_float b_int py_float pc_int_arith")
def builtin_float_int(x):
    k = int(x * 3)
    return float(x) * k + float(k)


@case(args=F(1.2, 0.7), wrt=(0, 1), tags="pow pow_active_exp pow_both_active py_float")
def pow_both_active(x, y):
    return x**y + 2.0**y + y**2


@case(args=F(1.2, 0.7), wrt=(1,), tags="pow pow_active_exp py_float")
def pow_exponent_only(x, y):
    return x**y * 3.0 ** (2.0 * y)


@case(args=F(0.9), tags="neg pos py_float")
def unary_ops(x):
    return -x + (+x) * 2.0 - (-(x * x))


@case(args=F(2.3), tags="mod floordiv py_float")
def mod_floordiv_float(x):
    return x % 1.5 + (x // 0.7) * x + 5.0 % x


@case(args=F(1.4, 0.6), wrt=(0, 1), tags="div py_float")
def divide(x, y):
    return x / y + 1.0 / x - y / (x * x + 1.0)


@case(args=F(0.8), tags="compare pc_compare py_float")
def compare_as_number(x):
    return x * (x > 0.5) + 2.0 * x * (x <= 0.5)


@case(args=F(0.8, 1.5), wrt=(0, 1), tags="boolop compare if py_float")
def boolean_ops(x, y):
    if x > 0 and y < 2 or x > 10:
        return x * y
    return x + y


@case(args=F(0.8, 1.5), wrt=(0, 1), tags="boolop compare ifexp")
def not_and_or(x, y):
    ok = not (x > y) and (y > 0 or x < 0)
    return x * y if ok else x - y


@case(args=F(0.7, 5), tags="py_int pc_int_arith mod floordiv")
def int_arithmetic(x, n):
    k = (n * 3 + 1) % 4
    m = n // 2 - k
    return x * k + x**2 * m


@case(args=F(1.1), tags="aug_add aug_sub aug_mul aug_div aug_pow py_float")
def augmented_float(x):
    s = x
    s += 1.0
    s *= x
    s /= 2.0
    s **= 2
    s -= x
    return s


@case(args=F(2.0, 0.3), wrt=(0, 1), tags="py_float pc_floor math")
def floor_ceil(x, y):
    return math.floor(x * 3.3) * y + math.ceil(y) * x + round(x) * y


@case(args=F(1.6, 4), tags="py_int py_float mul compare")
def int_argument_scalar(x, n):
    total = 0.0
    k = 1
    while k < n:
        total = total + x**k / k
        k = k + 1
    return total


@case(args=lambda rng: (np.array(1.3), np.float64(0.4)), wrt=(0, 1), tags="array py_float mul")
def zero_d_array_and_numpy_scalar(a, s):
    return a * s + np.sin(a) * s**2
