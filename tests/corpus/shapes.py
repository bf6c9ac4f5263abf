"""Shape operations."""

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from . import case


def normal(*shape):
    return lambda rng: (rng.standard_normal(shape),)


def normal2(s1, s2):
    return lambda rng: (rng.standard_normal(s1), rng.standard_normal(s2))


@case(args=normal(2, 3), tags="sh_reshape")
def np_reshape(X):
    return np.reshape(X, (3, 2)) * np.reshape(X, -1)[:2] + np.reshape(X, (6, 1))[:3]


@case(args=normal(2, 3, 4), tags="sh_transpose")
def np_transpose(X):
    return np.transpose(X).sum(axis=0) + np.transpose(X, (2, 1, 0))[0] * 2.0


@case(args=normal(2, 3, 4), tags="sh_swapaxes sh_moveaxis")
def swap_move(X):
    return np.swapaxes(X, 0, 2) * np.moveaxis(X, -1, 0).swapaxes(1, 2) + np.moveaxis(X, [0, 1], [1, 2]).transpose(
        0, 2, 1
    )


@case(args=normal(3), tags="sh_expand_dims sh_squeeze")
def expand_squeeze(x):
    e = np.expand_dims(x, 0) * np.expand_dims(x, axis=1)
    return np.squeeze(np.expand_dims(e, 0)) + np.squeeze(x[None, :, None], axis=(0, 2))


@case(args=normal2((2, 3), (1, 3)), wrt=(0, 1), tags="sh_concatenate")
def concatenate(A, B):
    return np.concatenate([A, B, A * B]) + np.concatenate((A, A), axis=1)[:3, :3].sum()


@case(args=normal2(3, 3), wrt=(0, 1), tags="sh_stack")
def stack(x, y):
    return np.stack([x, y, x * y]) + np.stack((x, y), axis=1).sum(axis=1)


@case(args=normal2(3, 3), wrt=(0, 1), tags="sh_hstack sh_vstack")
def hstack_vstack(x, y):
    return np.hstack([x, y * 2.0]) * np.vstack([x, y]).ravel()


@case(args=normal2((2, 2), (2, 1)), wrt=(1,), tags="sh_hstack sh_vstack")
def stack_inactive_and_active(A, b):
    return np.vstack([np.hstack([A, b]), np.hstack([b.T, np.ones((1, 1))])])


@case(args=normal(6), tags="sh_split unpack")
def split(x):
    a, b, c = np.split(x, 3)
    p, q = np.split(x, [2])
    return a * b + c, p.sum() * q


@case(args=normal(4, 2), tags="sh_split red_axis")
def split_axis(X):
    parts = np.split(X, 2, axis=1)
    return parts[0] * parts[1]


@case(args=normal(3), tags="sh_broadcast_to")
def broadcast_to(x):
    return np.broadcast_to(x, (3, 3)) * np.broadcast_to(x[:, None], (3, 3))


@case(args=normal(2), tags="sh_tile sh_repeat")
def tile_repeat(x):
    return np.tile(x, 3) * np.repeat(x, 3) + np.tile(x, (3, 1)).ravel()


@case(args=normal(2, 3), tags="sh_repeat red_axis")
def repeat_axis(X):
    return np.repeat(X, 2, axis=0) * np.repeat(X, [1, 2, 1], axis=1).sum()


@case(args=normal(2, 3), tags="sh_flip sh_roll")
def flip_roll(X):
    return np.flip(X) * np.roll(X, 1) + np.flip(X, axis=1) - np.roll(X, -1, axis=0)


@case(args=normal(2, 3), tags="sh_ravel")
def np_ravel(X):
    return np.ravel(X) * np.ravel(X.T)


@case(args=normal(5), tags="sh_take")
def take(x):
    return np.take(x, [0, 2, 4]) * np.take(x, np.array([1, 1, 3]))


@case(args=normal(3, 4), tags="sh_take sh_take_along_axis pc_argmax")
def take_along_axis(X):
    idx = np.argsort(X, axis=1)
    return np.take_along_axis(X, idx, axis=1) * np.take(X, [0, 2], axis=0).sum()


@case(args=normal(3, 4), tags="sh_take_along_axis pc_argmax red_axis red_keepdims")
def gather_argmax(X):
    i = np.argmax(X, axis=1)[:, None]
    return np.take_along_axis(X, i, axis=1) ** 2


@case(args=normal(6), tags="sh_sliding_window_view")
def sliding_window(x):
    w = sliding_window_view(x, 3)
    return w.sum(axis=1) * w[:, 0]


@case(args=normal(4, 4), tags="sh_sliding_window_view")
def sliding_window_2d(X):
    w = sliding_window_view(X, (2, 2))
    return w.max(axis=(2, 3)) + w.mean(axis=(-1, -2))


@case(args=normal(6), tags="sh_split for_list")
def iterate_over_split(x):
    s = 0.0
    for k, part in enumerate(np.split(x, 3)):
        s = s + (k + 1) * part.prod()
    return s + np.array_split(x, 4)[0].sum()


@case(args=normal2((2, 3), 3), wrt=(0, 1), tags="sh_concatenate sh_stack sh_vstack sh_hstack")
def stacking_variants(A, x):
    return (
        np.concatenate([A, A], axis=None)[:3]
        + np.stack([x, x * 2.0], axis=-1)[:, 0]
        + np.vstack([x, x]).sum(axis=0)
        + np.hstack([x, 1.0])[:3]
    )


@case(args=normal(2, 3), tags="sh_flip sh_roll")
def flip_roll_tuples(X):
    return np.flip(X, axis=(0, 1)) + np.roll(X, (1, 2), axis=(0, 1)) + np.flipud(np.fliplr(X))


@case(args=normal(5), tags="sh_take")
def take_modes(x):
    return np.take(x, [1, 6, -1], mode="wrap") + x.take([0, 0, 2])


@case(args=normal(2, 3), tags="m_reshape m_transpose m_sum m_max")
def method_chain(X):
    return X.reshape(3, 2).T.sum(axis=0).max() * X.T.dot(X[:, 0])
