"""Array attributes and methods."""

import numpy as np

from . import case


def normal(*shape):
    return lambda rng: (rng.standard_normal(shape),)


@case(args=normal(3, 2), tags="attr_T m_dot")
def attr_T(X):
    return X.T @ X + X.T.dot(X)


@case(args=normal(6), tags="attr_shape m_reshape pc_shape")
def attr_shape(x):
    n = x.shape[0]
    return x.reshape(n // 2, 2) * n


@case(args=normal(2, 3), tags="attr_ndim if")
def attr_ndim(X):
    if X.ndim == 2:
        return X.sum(axis=1) * X.ndim
    return X


@case(args=normal(5), tags="attr_size")
def attr_size(x):
    return x.sum() / x.size + x.size


@case(args=normal(3), tags="attr_dtype cr_zeros m_astype")
def attr_dtype(x):
    z = np.zeros(3, dtype=x.dtype)
    z[0] = x[1]
    return z + x.astype(x.dtype) * 2.0


@case(args=normal(3, 4), tags="m_sum m_mean red_axis red_keepdims")
def method_sum_mean(X):
    return X.sum() + X.sum(axis=0) * X.mean(axis=1, keepdims=True) + X.mean()


@case(args=normal(3, 4), tags="m_max m_min red_axis")
def method_max_min(X):
    return X.max() * X.min(axis=0) + X.max(axis=1, keepdims=True) + X.min()


@case(args=lambda rng: (rng.uniform(0.5, 1.5, (2, 3)),), tags="m_prod red_axis")
def method_prod(X):
    return X.prod() + X.prod(axis=0) + X.prod(axis=1, keepdims=True)


@case(args=normal(3, 4), tags="m_std m_var red_axis")
def method_std_var(X):
    return X.std() + X.var(axis=0) + X.std(axis=1, keepdims=True) * X.var(ddof=1)


@case(args=normal(2, 3), tags="m_reshape m_transpose")
def method_reshape_transpose(X):
    return X.reshape(3, 2) @ X + X.reshape((6,))[1:4].reshape(-1, 1) + X.transpose()[:, :1]


@case(args=normal(2, 3, 4), tags="m_transpose")
def method_transpose_axes(X):
    return X.transpose(1, 0, 2) * X.transpose((1, 0, 2)) + X.swapaxes(0, 1)


@case(args=lambda rng: (rng.standard_normal((3, 4)), rng.standard_normal(4)), wrt=(0, 1), tags="m_dot")
def method_dot(A, x):
    return A.dot(x) + x.dot(x)


@case(args=normal(2, 3), tags="m_ravel m_flatten")
def method_ravel_flatten(X):
    return X.ravel() * X.flatten() + X.T.ravel()


@case(args=normal(3), tags="m_copy setitem_int")
def method_copy(x):
    y = x.copy()
    y[0] = 5.0
    return x * y


@case(args=normal(3), tags="m_astype")
def method_astype(x):
    return x.astype(np.float64) ** 2 + x.astype(float)


@case(args=normal(6), tags="m_clip")
def method_clip(x):
    return x.clip(-0.5, 0.5) * x + x.clip(min=0.0)


@case(args=normal(1, 3, 1), tags="m_squeeze")
def method_squeeze(X):
    return X.squeeze() * 2.0 + X.squeeze(axis=0)[:, 0]


@case(args=normal(3, 4), tags="m_cumsum red_axis")
def method_cumsum(X):
    return X.cumsum() + X.cumsum(axis=0).ravel() * X.cumsum(axis=1).ravel()


@case(args=lambda rng: (rng.standard_normal(5),), tags="pc_argmax idx_int")
def method_argmax(x):
    i = x.argmax()
    j = np.argmin(x)
    return x[i] * x[j] + x * i


@case(args=normal(3, 2), tags="attr_shape cr_ones pc_shape")
def shape_to_creation(X):
    return X * np.ones(X.shape) + np.ones_like(X) * X.shape[1]
