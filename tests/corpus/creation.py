"""Array creation, with active fill values."""

import numpy as np

from . import case


def normal(*shape):
    return lambda rng: (rng.standard_normal(shape),)


@case(args=normal(3), tags="cr_zeros cr_ones")
def zeros_ones(x):
    return np.zeros(3) + x * np.ones(3) + np.ones((2, 3)) * x


@case(args=lambda rng: (rng.standard_normal(3), 0.7), wrt=(0, 1), tags="cr_full cr_active_fill py_float")
def full_active_fill(x, s):
    return np.full(3, s) * x + np.full((2, 3), s * s)


@case(args=lambda rng: (rng.standard_normal(3),), tags="cr_full cr_active_fill idx_int")
def full_like_active(x):
    return np.full_like(x, x[0]) * x + np.full(3, 2.0)


@case(args=normal(2, 3), tags="cr_zeros_like cr_ones_like")
def zeros_like_ones_like(X):
    return (np.zeros_like(X) + X) * (np.ones_like(X) * 2.0 + X)


@case(args=normal(3, 3), tags="cr_eye")
def eye(A):
    return A + np.eye(3) * A[0, 0] + np.eye(3, k=1) @ A


@case(args=normal(4), tags="cr_arange")
def arange(x):
    return x * np.arange(4) + np.arange(1.0, 3.0, 0.5) * x[0]


@case(args=lambda rng: (0.7, -1.2), wrt=(0, 1), tags="cr_array cr_active_fill py_float")
def array_from_scalars(a, b):
    M = np.array([[a, b], [b * b, 1.0]])
    return M @ np.array([a, 2.0])


@case(args=normal(3), tags="cr_array idx_int")
def array_from_elements(x):
    return np.array([x[0] * x[1], x[2], 3.0]) + np.array(x) * 2.0


@case(args=lambda rng: ([0.5, 1.5, -0.3],), tags="cr_asarray list_input")
def asarray_list(xs):
    a = np.asarray(xs)
    return a * a + np.asarray(a)


@case(args=normal(3), tags="cr_array cr_asarray")
def array_of_arrays(x):
    return np.array([x, 2.0 * x, x * x]).T @ np.asarray([1.0, 2.0, 3.0])


@case(args=lambda rng: (rng.standard_normal(3), 1.3), wrt=(0, 1), tags="cr_zeros setitem_int for_range cr_active_fill")
def fill_zeros_in_loop(x, s):
    out = np.zeros((3, 3))
    for i in range(3):
        out[i, i] = s * x[i]
        out[i, 0] += x[i]
    return out


@case(args=normal(3), tags="cr_eye cr_zeros attr_dtype")
def creation_dtype_follows(x):
    return np.eye(3, dtype=x.dtype) @ x + np.zeros(3, x.dtype) + np.ones(3, dtype=x.dtype) * x


@case(args=lambda rng: (rng.standard_normal(3),), tags="pc_random")
def random_draw_fixed_seed(x):
    rng = np.random.default_rng(0)
    noise = rng.standard_normal(3)
    mask = rng.uniform(size=3) > 0.3
    return x * noise + x * mask


@case(args=lambda rng: (rng.standard_normal(3),), tags="pc_random")
def legacy_random_seed(x):
    np.random.seed(1)
    return x * np.random.normal(size=3) + np.random.uniform(0.0, 1.0) * x


@case(args=lambda rng: (0.3, rng.standard_normal(4)), wrt=(0, 1), tags="cr_arange cr_active_fill py_float")
def arange_active_start(s, x):
    return np.arange(s, s + 2.0, 0.5) * x


@case(args=lambda rng: (0.3, 1.7), wrt=(0, 1), tags="cr_active_fill py_float")
def linspace_active_endpoints(a, b):
    return np.linspace(a, b, 5) ** 2


@case(args=lambda rng: (rng.standard_normal(2), 0.7), wrt=(0, 1), tags="cr_full cr_active_fill cr_array py_float")
def full_array_fill_and_dtype(x, s):
    return np.full((3, 2), x) * s + np.array([s, s * s], dtype=np.float64) + np.full(2, fill_value=s)


@case(args=lambda rng: (1.7,), tags="py_float mod floordiv")
def builtin_divmod(x):
    q, r = divmod(x, 0.5)
    return r * x + q


@case(args=normal(4), tags="pc_random")
def random_normal_with_active_mean(x):
    np.random.seed(0)
    return np.random.normal(loc=x, scale=0.5) + np.random.uniform(x, x + 1.0)
