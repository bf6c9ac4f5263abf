"""jacfwd and hessian run the function several times (one run per chunk of directions, one per Hessian
column). A function that updates its argument in place (an optimiser step ``w -= lr * g``) must see the
argument as the caller passed it on every run, and change the caller's array once, as one call does.
Found by the issue 12 outside-code review: the later chunks and columns were computed at the updated
argument (a silently wrong Jacobian and Hessian)."""

import numpy as np
import pytest

import tangent_fwd


def _scale_in_place(w):
    w *= 2.0
    w -= 0.1 * w**2
    return np.sin(w)


def _adam_like_loss(w):
    grad = 0.5 * w + 0.1 * w**2
    w -= 0.05 * grad / (np.sqrt(grad * grad) + 1.0)
    return (w**3).sum() + np.cos(w).sum()


def _fd_jacobian(f, x, h=1e-6):
    cols = []
    for e in np.eye(x.size):
        cols.append((f(x + h * e) - f(x - h * e)) / (2 * h))
    return np.stack(cols, axis=-1)


def test_jacfwd_over_several_chunks_of_a_function_updating_its_argument():
    x = np.linspace(-1.0, 1.0, 10)
    J = tangent_fwd.jacfwd(_scale_in_place, chunk_size=3)(x_run := x.copy())
    expected = _fd_jacobian(lambda v: _scale_in_place(v.copy()), x)
    np.testing.assert_allclose(J, expected, rtol=1e-6, atol=1e-8)
    once = x.copy()
    _scale_in_place(once)
    np.testing.assert_array_equal(x_run, once)  # the caller's array changed once, as by one call


def test_hessian_of_a_function_updating_its_argument():
    x = np.array([0.5, -1.0, 2.0, 0.3])
    H = tangent_fwd.hessian(_adam_like_loss)(x_run := x.copy())
    grad = tangent_fwd.jacfwd(lambda v: _adam_like_loss(v.copy()))
    expected = _fd_jacobian(grad, x, h=1e-5)
    np.testing.assert_allclose(H, expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(H, H.T, rtol=1e-10, atol=1e-10)
    once = x.copy()
    _adam_like_loss(once)
    np.testing.assert_array_equal(x_run, once)


def _more_buffers(x):
    bufs = [np.zeros(3)]
    bufs = bufs + [np.ones(3)]  # the second list carries no tangent
    bufs[1] *= x
    return bufs[0] + bufs[1]


def _more_buffers_in_place(x):
    bufs = [np.zeros(3)]
    bufs += [np.ones(3)]
    bufs[1][:] = x
    return bufs[0] * bufs[1]


@pytest.mark.parametrize("func", [_more_buffers, _more_buffers_in_place])
@pytest.mark.parametrize("vectorized", [False, True])
def test_list_concatenated_with_a_list_without_tangents_is_refused(func, vectorized):
    # the tangent list was one item short: an IndexError, or a misaligned tangent, before
    x = np.array([0.5, -1.0, 2.0])
    dx = np.ones((2, 3)) if vectorized else np.ones(3)
    with pytest.raises(tangent_fwd.NotDifferentiableHere, match="concatenated") as info:
        tangent_fwd.jvp(func, (x,), (dx,), vectorized=vectorized)
    assert "hint:" in str(info.value)


@pytest.mark.parametrize(
    "name", ["cosine_similarity_of_rows_normalised_in_place", "rayleigh_quotient_by_power_iteration"]
)
def test_hessian_through_norm_helpers_written_in_place(name):
    # the JVP code writes the norm helper's tangent in place (de = rt.iset(de, ...)); differentiated again,
    # that write was refused as "memory of a module global" because the helper's closure holds a tuple
    from corpus import coverage_outside_code as cases

    func = getattr(cases, name)
    x = np.random.default_rng(3).normal(size=(4, 3) if name.startswith("cosine") else (3, 3))
    H = tangent_fwd.hessian(func)(x)
    grad = tangent_fwd.jacfwd(func)
    n = x.size
    expected = _fd_jacobian(lambda v: grad(v.reshape(x.shape)).ravel(), x.ravel(), h=1e-5)
    np.testing.assert_allclose(H.reshape(n, n), expected, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize(
    "name, shape",
    [
        # a[*idx, s]: the starred element stays starred around its atom (it was emitted as 't = *idx')
        ("starred_leading_indices_in_a_subscript", (2, 2, 3)),
        # a nested def writing into its own parameter, followed through the call that passes the buffer
        ("nested_accumulator_aug_assigns_its_parameter", (4,)),
        ("nested_writer_through_a_row_of_its_parameter", (4,)),
    ],
)
def test_hessian_of_constructs_the_transformer_learned(name, shape):
    from corpus import coverage_outside_code as cases

    func = getattr(cases, name)
    x = np.random.default_rng(4).normal(size=shape)
    H = tangent_fwd.hessian(func)(x)
    grad = tangent_fwd.jacfwd(func)
    n = x.size
    expected = _fd_jacobian(lambda v: grad(v.reshape(x.shape)).ravel(), x.ravel(), h=1e-5)
    np.testing.assert_allclose(H.reshape(n, n), expected, rtol=1e-5, atol=1e-6)
