"""Array subscripts as reads (int, slice, ..., None, integer arrays, boolean masks) and assignments."""

import numpy as np

from . import case


def normal(*shape):
    return lambda rng: (rng.standard_normal(shape),)


@case(args=normal(4), tags="idx_int array")
def index_int(x):
    return x[0] * x[2] + x[-1]


@case(args=normal(3, 4), tags="idx_int")
def index_int_2d(X):
    return X[1, 2] * X[0, 0] + X[2][3] - X[-1, -2]


@case(args=normal(3, 4), tags="idx_int idx_slice")
def index_row_column(X):
    return X[1] * X[:, 0].sum() + X[:, -1].mean()


@case(args=normal(6), tags="idx_slice")
def index_slice(x):
    return x[1:] - x[:-1] + x[1:4].sum()


@case(args=normal(6), tags="idx_slice")
def index_slice_step(x):
    return x[::2] * x[1::2] + x[::-2]


@case(args=normal(2, 3, 2), tags="idx_ellipsis")
def index_ellipsis(X):
    return X[..., 0] * X[..., 1] + X[0, ...].sum()


@case(args=normal(3), tags="idx_newaxis")
def index_newaxis(x):
    return x[:, None] * x[None, :] + x[np.newaxis, :]


@case(args=normal(3, 4), tags="idx_newaxis idx_slice")
def index_newaxis_2d(X):
    return X[:, np.newaxis, :] - X[np.newaxis, :, 1:2]


@case(args=normal(5), tags="idx_intarray")
def index_int_array(x):
    idx = np.array([0, 2, 2, 4])
    return x[idx] * x[[1, 3, 0, 0]]


@case(args=normal(3, 4), tags="idx_intarray")
def index_fancy_2d(X):
    return X[[0, 1, 2], [1, 2, 3]] + X[np.array([2, 0])].sum(axis=0)[:3]


@case(args=normal(6), tags="idx_boolmask compare")
def index_bool_mask(x):
    return (x[x > 0] ** 2).sum() + x[np.array([True, False, True, False, False, True])]


@case(args=lambda rng: (rng.standard_normal(5), rng.standard_normal(5)), wrt=(0,), tags="idx_boolmask compare")
def mask_from_other_array(x, y):
    m = y > 0
    return x[m].sum() * x[~m].sum() + 0.0 * x[0]


@case(args=normal(3), tags="setitem_int cr_zeros")
def setitem_into_zeros(x):
    y = np.zeros(3)
    y[0] = x[1] * 2.0
    y[2] = x.sum()
    return y


@case(args=normal(3, 4), tags="setitem_slice m_copy")
def setitem_slice(X):
    Y = X.copy()
    Y[:, 1:] = X[:, :-1] * 2.0
    Y[0] = 1.0
    return Y


@case(args=normal(4), tags="setitem_aug m_copy setitem_slice")
def setitem_augmented(x):
    y = x.copy()
    y[1] += x[0] * 3.0
    y[::2] *= x[1::2]
    y[-1] -= 1.0
    return y


@case(args=normal(5), tags="setitem_int for_range cr_zeros_like ifexp")
def setitem_in_loop(x):
    y = np.zeros_like(x)
    for i in range(len(x)):
        y[i] = x[i] ** 2 + (y[i - 1] if i > 0 else 0.0)
    return y


@case(args=normal(6), tags="setitem_slice idx_boolmask")
def setitem_mask(x):
    y = x * 1.0
    y[x < 0] = 0.0
    y[y > 1.0] = y[y > 1.0] * 2.0
    return y


@case(args=lambda rng: (rng.standard_normal(3), 1.7), wrt=(1,), tags="setitem_int cr_ones py_float")
def setitem_active_scalar(x, s):
    y = np.ones(3)
    y[1] = s * s
    return y * x


@case(args=normal(4), tags="setitem_int", mutates=True)
def setitem_into_input(x):
    x[0] = 2.0 * x[1]
    return x * x


@case(args=normal(3, 3), tags="setitem_slice idx_int")
def setitem_row_col(X):
    Y = np.zeros((3, 3))
    Y[1, :] = X[0]
    Y[:, 2] += X[:, 1] * X[2, 2]
    Y[0, 0] = X[1, 1]
    return Y


@case(args=normal(4), tags="setitem_aug for_range idx_int")
def setitem_aug_loop(x):
    y = np.zeros(2)
    for i in range(4):
        y[i % 2] += x[i] * (i + 1)
    return y


@case(args=normal(2, 3), tags="idx_ellipsis idx_newaxis setitem_slice")
def setitem_ellipsis(X):
    Y = np.ones((2, 3))
    Y[..., 1] = X[..., 0] * X[..., 2]
    return Y[:, None, :] * 2.0
