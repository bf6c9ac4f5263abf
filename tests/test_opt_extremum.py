"""The matrix fast path of rt.extremum_jvp (max/min over the rows or columns of a 2-D array, as in a
log-softmax's max shift): the same tangent as the general path (first arg-extremum), checked against
a reference gather, against finite differences, and on the strict no-host stand-in backend."""

import numpy as np
import pytest
import strict_np

import tangent_fwd
from tangent_fwd import runtime as rt


def _reference(x, dx, ans, axis, keepdims):
    a = ans if not keepdims else np.squeeze(ans, axis=axis)
    first = np.argmax(x == np.expand_dims(a, axis), axis=axis)
    out = np.squeeze(np.take_along_axis(dx, np.expand_dims(first, axis), axis=axis), axis=axis)
    return np.expand_dims(out, axis) if keepdims else out


@pytest.mark.parametrize("reduce", [np.max, np.min])
@pytest.mark.parametrize("axis", [0, 1, -1, -2])
@pytest.mark.parametrize("keepdims", [False, True])
def test_matrix_fast_path_equals_first_extremum_gather(reduce, axis, keepdims):
    rng = np.random.default_rng(0)
    x = rng.integers(0, 3, (7, 5)).astype(np.float32)  # many ties: the first one must win
    dx = rng.standard_normal((7, 5)).astype(np.float32)
    ans = reduce(x, axis=axis, keepdims=keepdims)
    got = rt.extremum_jvp(np, x, dx, ans, axis, keepdims)
    want = _reference(x, dx, ans, axis, keepdims)
    assert got.shape == want.shape and got.dtype == want.dtype
    assert np.array_equal(got, want)


def shifted_log_softmax(z):
    s = z - z.max(axis=1, keepdims=True)
    return (s - np.log(np.exp(s).sum(axis=1, keepdims=True)))[:, 1].sum() + z.min(axis=0).sum()


def test_max_shift_jvp_matches_central_differences():
    rng = np.random.default_rng(1)
    z = rng.standard_normal((6, 4))
    dz = rng.standard_normal((6, 4))
    val, d = tangent_fwd.jvp(shifted_log_softmax, (z,), (dz,))
    eps = 1e-6
    fd = (shifted_log_softmax(z + eps * dz) - shifted_log_softmax(z - eps * dz)) / (2 * eps)
    assert np.isclose(val, shifted_log_softmax(z))
    assert np.isclose(d, fd, rtol=1e-7, atol=1e-9)


@pytest.mark.parametrize("axis", [0, 1])
def test_matrix_fast_path_runs_on_the_strict_backend(axis):
    rng = np.random.default_rng(2)
    x = rng.standard_normal((5, 3))
    dx = rng.standard_normal((5, 3))
    ans = x.max(axis=axis, keepdims=True)
    got = rt.extremum_jvp(
        strict_np, strict_np.to_device(x), strict_np.to_device(dx), strict_np.to_device(ans), axis, True
    )
    assert isinstance(got, strict_np.ndarray)
    assert np.array_equal(strict_np.to_host(got), _reference(x, dx, ans, axis, True))
