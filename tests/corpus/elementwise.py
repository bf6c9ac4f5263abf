"""NumPy elementwise functions."""

import numpy as np

from . import case


def normal(*shape):
    return lambda rng: (rng.standard_normal(shape),)


def unit(*shape):
    return lambda rng: (rng.uniform(-0.8, 0.8, shape),)


def positive(*shape):
    return lambda rng: (rng.uniform(0.5, 2.0, shape),)


@case(args=normal(5), tags="np_elementwise")
def trig(x):
    return np.sin(x) * np.cos(x) + np.tan(0.5 * x)


@case(args=unit(5), tags="np_elementwise")
def inverse_trig(x):
    return np.arcsin(x) + np.arccos(x) * np.arctan(x)


@case(args=normal(5), tags="np_elementwise")
def hyperbolic(x):
    return np.sinh(x) + np.cosh(x) * np.tanh(x)


@case(args=unit(5), tags="np_elementwise")
def inverse_hyperbolic(x):
    return np.arcsinh(x) + np.arctanh(x) + np.arccosh(2.0 + x)


@case(args=positive(5), tags="np_elementwise")
def exp_log(x):
    return np.exp(x) + np.log(x) + np.log2(x) * np.log10(x) + np.exp2(x)


@case(args=unit(5), tags="np_elementwise")
def expm1_log1p(x):
    return np.expm1(x) * np.log1p(x)


@case(args=positive(5), tags="np_elementwise")
def roots_and_powers(x):
    return np.sqrt(x) + np.cbrt(x) + np.square(x) - np.reciprocal(x)


@case(args=lambda rng: (rng.standard_normal(5), rng.standard_normal(5)), wrt=(0, 1), tags="np_elementwise np_logaddexp")
def logaddexp(x, y):
    return np.logaddexp(x, y) + np.logaddexp2(x, 2.0 * y)


@case(args=lambda rng: (rng.standard_normal(5), rng.standard_normal(5)), wrt=(0, 1), tags="np_elementwise")
def ufunc_arithmetic(x, y):
    return np.add(x, y) * np.subtract(x, y) + np.divide(np.multiply(x, y), 1.0 + y * y) - np.negative(x)


@case(
    args=lambda rng: (rng.uniform(0.5, 2.0, 5), rng.uniform(0.5, 2.0, 5)), wrt=(0, 1), tags="np_power pow_both_active"
)
def np_power(x, y):
    return np.power(x, y) + np.power(x, 2) + np.power(2.0, y)


@case(args=lambda rng: (rng.standard_normal(6) + np.sign(rng.standard_normal(6)) * 0.3,), tags="np_elementwise b_abs")
def absolute(x):
    return np.abs(x) * np.sign(x) + np.absolute(x) ** 2 + abs(x)


@case(args=lambda rng: (rng.standard_normal(5), rng.standard_normal(5)), wrt=(0, 1), tags="np_where compare")
def where(x, y):
    return np.where(x > y, x * y, x + y) + np.where(x > 0, x, 0.0)


@case(args=lambda rng: (rng.standard_normal(6),), tags="np_clip")
def clip(x):
    return np.clip(x, -0.5, 0.5) + np.clip(2.0 * x, -1.0, None) * x


@case(args=lambda rng: (rng.standard_normal(5), rng.standard_normal(5)), wrt=(0, 1), tags="np_maximum np_minimum")
def maximum_minimum(x, y):
    return np.maximum(x, y) * np.minimum(x, y) + np.maximum(x, 0.0)


@case(args=lambda rng: (rng.standard_normal(5), rng.standard_normal(5)), wrt=(0, 1), tags="np_hypot np_arctan2")
def hypot_arctan2(x, y):
    return np.hypot(x, y) + np.arctan2(x, y) * np.arctan2(y, 1.5)


@case(args=normal(5), tags="np_elementwise")
def sigmoid_softplus(x):
    sig = 1.0 / (1.0 + np.exp(-x))
    softplus = np.log1p(np.exp(x))
    return sig * softplus


@case(args=normal(5), tags="np_elementwise pc_floor")
def floor_round_sign(x):
    return x * np.floor(3.0 * x) + np.round(x) * x**2 + np.sign(x) * np.ceil(x)


@case(args=normal(4), tags="np_elementwise")
def deg_rad(x):
    return np.deg2rad(x) * np.rad2deg(x) + np.radians(np.degrees(x))


@case(args=lambda rng: (rng.uniform(-3, 3, 5), rng.uniform(1.0, 2.0, 5)), wrt=(0, 1), tags="np_elementwise mod")
def np_mod(x, y):
    return np.mod(x, y) + np.fmod(x, 1.7) * y


@case(args=lambda rng: (rng.standard_normal(5), 0.7), wrt=(0, 1), tags="np_elementwise py_float")
def array_and_python_float(x, s):
    return np.exp(s * x) + np.sin(s) * x + np.maximum(x, s)


@case(args=lambda rng: (1.3,), tags="np_elementwise py_float")
def numpy_on_python_float(x):
    return np.sin(x) * np.exp(x) + np.sqrt(x) + np.tanh(x)


@case(args=lambda rng: (rng.standard_normal(4),), tags="np_elementwise red_sum")
def gelu_tanh(x):
    return 0.5 * x * (1.0 + np.tanh(0.7978845608 * (x + 0.044715 * x**3)))
