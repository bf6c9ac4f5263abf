"""Reductions with axis and keepdims."""

import numpy as np

from . import case


def normal(*shape):
    return lambda rng: (rng.standard_normal(shape),)


@case(args=normal(3, 4), tags="red_sum red_axis red_keepdims")
def np_sum(X):
    return np.sum(X) + np.sum(X, axis=0) * np.sum(X, axis=1, keepdims=True) + np.sum(X, axis=(0, 1))


@case(args=normal(2, 3, 4), tags="red_mean red_axis red_keepdims")
def np_mean(X):
    return np.mean(X, axis=-1) + np.mean(X, axis=(0, 2), keepdims=True)[0, :, 0] + np.mean(X)


@case(args=lambda rng: (rng.uniform(0.5, 1.5, (3, 4)),), tags="red_prod red_axis red_keepdims")
def np_prod(X):
    return np.prod(X) + np.prod(X, axis=0) + np.prod(X, axis=1, keepdims=True)


@case(args=lambda rng: (rng.standard_normal(5),), tags="red_prod")
def np_prod_signed(x):
    return np.prod(x) * x


@case(args=normal(3, 4), tags="red_max red_min red_axis red_keepdims")
def np_max_min(X):
    return np.max(X, axis=0) + np.min(X, axis=0) * np.max(X) + np.min(X, axis=1, keepdims=True).sum()


@case(args=normal(3, 4), tags="red_var red_std red_axis red_keepdims")
def np_var_std(X):
    return np.var(X) + np.std(X, axis=0) + np.var(X, axis=1, ddof=1, keepdims=True).sum() * np.std(X)


@case(args=normal(3, 4), tags="red_cumsum red_axis")
def np_cumsum(X):
    return np.cumsum(X) + np.cumsum(X, axis=1).ravel() ** 2


@case(args=lambda rng: (rng.uniform(0.5, 1.5, (3, 4)),), tags="red_cumprod red_axis")
def np_cumprod(X):
    return np.cumprod(X, axis=0) + np.cumprod(X, axis=1) * np.cumprod(X).reshape(3, 4)


@case(args=normal(3, 5), tags="red_mean red_std red_axis red_keepdims")
def standardize(X):
    mu = X.mean(axis=0, keepdims=True)
    sd = X.std(axis=0, keepdims=True)
    return (X - mu) / sd


@case(args=normal(4, 3), tags="red_max red_sum red_axis red_keepdims np_elementwise")
def logsumexp(X):
    m = np.max(X, axis=1, keepdims=True)
    return m[:, 0] + np.log(np.sum(np.exp(X - m), axis=1))


@case(args=normal(4, 3), tags="red_max red_axis")
def max_of_max(X):
    return np.max(np.max(X, axis=1)) * np.min(np.min(X, axis=0))


@case(args=normal(5), tags="red_sum red_mean b_sum b_max b_min")
def builtin_reductions_on_array(x):
    return sum(x) * max(x) + min(x) - np.mean(x)


@case(args=normal(2, 3), tags="red_sum red_axis")
def np_diff_trace(X):
    return np.diff(X, axis=1).sum() + np.diff(X[0])


@case(args=lambda rng: (rng.standard_normal(5), rng.uniform(0.5, 1.5, 5)), wrt=(0, 1), tags="red_sum red_mean")
def weighted_mean(x, w):
    return np.sum(w * x) / np.sum(w)


@case(args=lambda rng: (rng.uniform(0.5, 1.5, (2, 3, 4)),), tags="red_prod red_axis red_keepdims m_prod")
def prod_over_axis_tuple(X):
    return np.prod(X, axis=(0, 2)) + X.prod(axis=(1, 2), keepdims=True).sum()
