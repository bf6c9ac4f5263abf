"""jacfwd against finite-difference Jacobians; second derivatives (forward over forward) and
Hessians against finite differences of first derivatives."""

import higher_cases as H
import numpy as np
import pytest
from corpus import load

import tangent_fwd

EPS = 1e-6


def fd_jacobian(f, x, index, args):
    def at(v):
        a = list(args)
        a[index] = v
        return np.asarray(f(*a), dtype=float)

    if not hasattr(x, "shape"):
        return (at(x + EPS) - at(x - EPS)) / (2 * EPS)
    cols = []
    for j in range(x.size):
        e = np.zeros(x.size)
        e[j] = EPS
        e = e.reshape(x.shape)
        cols.append((at(x + e) - at(x - e)) / (2 * EPS))
    out = np.stack(cols, axis=-1)
    return out.reshape(out.shape[:-1] + x.shape)


def _single_array_cases():
    out = []
    for c in load():
        if len(c.wrt) != 1:
            continue
        rng = np.random.default_rng(7)
        args = c.args(rng)
        x = args[c.wrt[0]]
        if isinstance(x, np.ndarray) and x.dtype.kind == "f" and x.size <= 12 and not c.mutates:
            out.append(c)
    return out


JAC_CASES = _single_array_cases()


@pytest.mark.parametrize("case", JAC_CASES, ids=[c.name for c in JAC_CASES])
def test_jacfwd_matches_finite_differences_on_corpus(case):
    import copy

    args = case.args(np.random.default_rng(7))
    i = case.wrt[0]
    value = case.func(*copy.deepcopy(args))
    if not isinstance(value, (float, np.floating, np.ndarray)) or np.asarray(value).dtype.kind != "f":
        pytest.skip("jacfwd is checked on array- or float-valued cases")
    J = tangent_fwd.jacfwd(case.func, wrt=i, chunk_size=5)(*copy.deepcopy(args))
    want = fd_jacobian(case.func, args[i], i, copy.deepcopy(args))
    np.testing.assert_allclose(J, want, rtol=1e-5, atol=1e-6 * max(1.0, np.abs(want).max()))


def test_jacfwd_chunking_does_not_change_the_result_and_handles_tuples():
    rng = np.random.default_rng(0)
    x = rng.standard_normal(7)
    a = tangent_fwd.jacfwd(H.tuple_out, chunk_size=2)(x)
    b = tangent_fwd.jacfwd(H.tuple_out, chunk_size=64)(x)
    assert isinstance(a, tuple) and a[0].shape == (7, 7) and a[1].shape == (7, 7)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_allclose(a[0], np.diag(np.cos(x)))
    np.testing.assert_allclose(a[1], x.sum() * np.eye(7) + x[:, None] * np.ones(7))


def test_jacfwd_of_a_loss_is_its_gradient():
    rng = np.random.default_rng(1)
    w, X, y = rng.standard_normal((4, 3)), rng.standard_normal((6, 4)), rng.integers(0, 3, 6)
    g = tangent_fwd.jacfwd(H.softmax_xent)(w, X, y)
    assert g.shape == w.shape
    np.testing.assert_allclose(g, fd_jacobian(H.softmax_xent, w, 0, (w, X, y)), rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("f, second", H.SCALAR, ids=[f.__name__ for f, _ in H.SCALAR])
@pytest.mark.parametrize("x", [0.7, 1.9, -0.4])
def test_forward_over_forward_matches_finite_difference_of_first_derivative(f, second, x):
    d2 = tangent_fwd.forward_diff(second)(x, 1.0)[1]
    first = lambda v: H.__dict__["d_" + f.__name__](v, 1.0)[1]  # noqa: E731
    fd = (first(x + EPS) - first(x - EPS)) / (2 * EPS)
    assert d2 == pytest.approx(fd, rel=1e-6, abs=1e-8)


def test_hessian_matches_finite_differences_of_gradient_and_is_symmetric():
    rng = np.random.default_rng(2)
    A = rng.standard_normal((5, 5))
    x = rng.standard_normal(5)
    Hm = tangent_fwd.hessian(H.vec_energy)(x, A)
    grad = tangent_fwd.jacfwd(H.vec_energy)
    want = fd_jacobian(lambda v, A_: grad(v, A_), x, 0, (x, A))
    np.testing.assert_allclose(Hm, want, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(Hm, Hm.T, atol=1e-12)
    exact = 0.5 * (A + A.T) + np.diag((2 - 2 * x * x) / (1 + x * x) ** 2)
    np.testing.assert_allclose(Hm, exact, rtol=1e-10, atol=1e-12)


def test_hessian_rejects_vector_valued_functions():
    with pytest.raises(tangent_fwd.ArgumentError):
        tangent_fwd.hessian(H.tuple_out)(np.ones(3))
