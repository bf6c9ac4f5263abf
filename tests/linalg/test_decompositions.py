"""Decompositions: what the per-rule harness cannot express.

- Gauge: complex eigen/singular vectors are fixed only up to a phase, so their tangents are checked
  through phase-invariant results (projectors V V^H, |v|, U diag(s) V^H) against finite differences.
- Second derivatives: ``tangent_fwd.hessian`` of losses built on each decomposition against central
  finite differences of the function (and symmetric); a third derivative is refused, not guessed.
- Refusals: repeated eigen/singular values (the vectors have no derivative there), a zero singular
  value, full_matrices=True of a non-square matrix, qr(mode='complete') of a tall matrix and
  mode='raw' raise NotDifferentiableHere at run time instead of returning inf/nan.
- The documented convention for the eigenvalues at a tie (diag(V^H dA V): exact for symmetric
  functions of a group of equal eigenvalues).
- Stacked (batched) det/inv/solve/slogdet and norm over every ord/axis form against finite differences.
"""

import numpy as np
import pytest
import scipy.linalg

import tangent_fwd
from tangent_fwd.errors import NotDifferentiableHere

RNG = np.random.default_rng(7)


def fd(f, args, tangents, h=1e-6):
    plus = [a + h * t if t is not None else a for a, t in zip(args, tangents)]
    minus = [a - h * t if t is not None else a for a, t in zip(args, tangents)]
    return (np.asarray(f(*plus)) - np.asarray(f(*minus))) / (2 * h)


def check_jvp(f, args, wrt=(0,), rtol=1e-6, atol=1e-7):
    rng = np.random.default_rng(11)
    tangents = []
    for i, x in enumerate(args):
        if i not in wrt:
            tangents.append(None)
            continue
        t = rng.standard_normal(np.shape(x))
        if np.iscomplexobj(x):
            t = t + 1j * rng.standard_normal(np.shape(x))
        tangents.append(t)
    value, tangent = tangent_fwd.jvp(f, tuple(args), tuple(tangents))
    for v, w in zip(
        value if isinstance(value, tuple) else (value,), f(*args) if isinstance(value, tuple) else (f(*args),)
    ):
        np.testing.assert_array_equal(v, w)
    if isinstance(tangent, tuple):
        for k, tk in enumerate(tangent):
            want = fd(lambda *a: f(*a)[k], args, tangents)
            np.testing.assert_allclose(tk, want, rtol=rtol, atol=atol * max(1.0, np.abs(want).max()))
        return
    want = fd(f, args, tangents)
    np.testing.assert_allclose(tangent, want, rtol=rtol, atol=atol * max(1.0, np.abs(want).max()))


def fd_hessian(f, x, h=1e-4):
    n = x.size
    H = np.zeros((n, n))
    eye = np.eye(n)
    for p in range(n):
        for q in range(n):
            ep, eq = h * eye[p].reshape(x.shape), h * eye[q].reshape(x.shape)
            H[p, q] = (f(x + ep + eq) - f(x + ep - eq) - f(x - ep + eq) + f(x - ep - eq)) / (4 * h * h)
    return H.reshape(x.shape + x.shape)


def check_hessian(f, x, rtol=1e-4, atol=1e-5):
    H = np.asarray(tangent_fwd.hessian(f)(x))
    want = fd_hessian(f, x)
    scale = max(1.0, np.abs(want).max())
    np.testing.assert_allclose(H, want, rtol=rtol, atol=atol * scale)
    flat = H.reshape(x.size, x.size)
    np.testing.assert_allclose(flat, flat.T, atol=1e-8 * scale)


# ------------------------------------------------------------------ gauge-invariant checks of complex vectors
def hermitian_projector(A):
    w, V = np.linalg.eigh(A)
    return V[:, :2] @ V[:, :2].conj().T, np.abs(V) ** 2


def svd_phase_free(A):
    U, s, Vh = np.linalg.svd(A, full_matrices=False)
    return (U * s) @ Vh, U[:, :1] @ U[:, :1].conj().T, Vh.conj().T[:, :1] @ Vh[:1, :]


def qr_complex(A):
    Q, R = np.linalg.qr(A)
    return Q, R


def _hermitian(n):
    m = RNG.standard_normal((n, n)) + 1j * RNG.standard_normal((n, n))
    return m + m.conj().T + np.diag(3.0 * np.arange(n))


def test_complex_eigenvectors_through_projectors():
    check_jvp(hermitian_projector, [_hermitian(3)])


def test_complex_singular_vectors_through_phase_free_products():
    A = RNG.standard_normal((4, 3)) + 1j * RNG.standard_normal((4, 3))
    check_jvp(svd_phase_free, [A])
    check_jvp(svd_phase_free, [A.T.copy()])


def test_complex_qr_matches_lapack_gauge():
    # LAPACK's R has a real diagonal: the tangent keeps it real, so Q and R themselves agree with FD
    check_jvp(qr_complex, [RNG.standard_normal((4, 3)) + 1j * RNG.standard_normal((4, 3))])


# ------------------------------------------------------------------ second derivatives
def gp_loss(log_ell):
    x = np.linspace(-1.0, 1.0, 4)
    K = np.exp(-0.5 * (x[:, None] - x[None, :]) ** 2 / np.exp(2 * log_ell[0])) + np.exp(log_ell[1]) * np.eye(4)
    L = np.linalg.cholesky(K)
    y = np.sin(x)
    a = np.linalg.solve(L, y)
    return 0.5 * a @ a + np.log(np.diag(L)).sum()


def chol_upper_loss(x):
    A = np.outer(x, x) + np.eye(3)
    U = np.linalg.cholesky(A, upper=True)
    return np.sum(U**3) + np.trace(U)


def eigh_loss(x):
    A = np.reshape(x, (3, 3))
    S = A + A.T + np.diag([0.0, 3.0, 6.0])
    w, V = np.linalg.eigh(S)
    return w[0] * w[2] + np.sum(V[:, 0] ** 4) + np.sum(np.linalg.eigvalsh(S) ** 3)


def svd_loss(x):
    A = np.reshape(x, (3, 2)) + np.array([[2.0, 0.0], [0.0, 1.0], [0.0, 0.0]])
    U, s, Vt = np.linalg.svd(A, full_matrices=False)
    return s[0] * s[1] ** 2 + np.sum((U @ Vt) ** 3) + np.linalg.svd(A, compute_uv=False).sum() ** 2


def qr_loss(x):
    A = np.reshape(x, (3, 2)) + np.eye(3, 2)
    Q, R = np.linalg.qr(A)
    return np.sum(R**2 * np.array([[1.0, 2.0], [0.0, 3.0]])) + np.sum(Q[:, 0] ** 3 * np.sign(R[0, 0]))


def pinv_lstsq_loss(x):
    A = np.reshape(x, (3, 2)) + np.eye(3, 2)
    b = np.array([1.0, -0.5, 0.3])
    sol, res, rank, s = np.linalg.lstsq(A, b)
    return np.sum(np.linalg.pinv(A) ** 2) + sol @ sol + res[0]


def power_cond_loss(x):
    A = np.reshape(x, (2, 2)) + 2 * np.eye(2)
    return np.trace(np.linalg.matrix_power(A, 3)) + np.linalg.cond(A) + np.sum(np.linalg.matrix_power(A, -1) ** 2)


def eig_loss(x):
    A = np.reshape(x, (3, 3)) + np.diag([1.0, 2.5, 4.0]) + np.triu(np.ones((3, 3)), 1)
    w = np.linalg.eigvals(A)
    lam, V = np.linalg.eig(A)
    return np.sum(np.real(w) ** 3) + np.sum(np.abs(V[:, 0]) ** 4)


def expm_loss(x):
    A = 0.5 * np.reshape(x, (2, 2))
    return np.sum(scipy.linalg.expm(A) ** 2)


def scipy_solvers_loss(x):
    A = np.reshape(x, (2, 2)) + 3 * np.eye(2)
    b = np.array([1.0, 2.0])
    S = A @ A.T
    c = scipy.linalg.cho_factor(S)
    y = scipy.linalg.cho_solve(c, b) + scipy.linalg.solve_triangular(A, b, lower=True)
    lu = scipy.linalg.lu_factor(A)
    return y @ y + np.sum(scipy.linalg.lu_solve(lu, b) ** 2)


def svd_norms_loss(x):
    A = np.reshape(x, (3, 2)) + np.eye(3, 2)
    B = np.reshape(x, (2, 3, 1))
    return (
        np.linalg.norm(A, "nuc") ** 2
        + np.linalg.norm(A, 2) * np.linalg.norm(A, -2)
        + np.linalg.norm(B + 1.0, "nuc", axis=(0, 1)).sum()
        + np.linalg.norm(A, "fro") ** 3
        + np.linalg.matrix_norm(A, ord=2) ** 2
        + np.linalg.vector_norm(B + 0.5, ord=3, axis=(0, 1)).sum()
    )


@pytest.mark.parametrize(
    "f, x",
    [
        (svd_norms_loss, RNG.standard_normal(6) * 0.3),
        (gp_loss, np.array([-0.3, -1.0])),
        (chol_upper_loss, np.array([0.3, -0.2, 0.5])),
        (eigh_loss, RNG.standard_normal(9) * 0.3),
        (svd_loss, RNG.standard_normal(6) * 0.3),
        (qr_loss, RNG.standard_normal(6) * 0.3),
        (pinv_lstsq_loss, RNG.standard_normal(6) * 0.3),
        (power_cond_loss, RNG.standard_normal(4) * 0.3),
        (expm_loss, RNG.standard_normal(4)),
        (eig_loss, RNG.standard_normal(9) * 0.2),
        (scipy_solvers_loss, RNG.standard_normal(4) * 0.3),
    ],
    ids=lambda v: getattr(v, "__name__", ""),
)
def test_hessian_matches_finite_differences(f, x):
    check_hessian(f, x)


T9 = np.linspace(-1.0, 1.0, 9)
_d1 = tangent_fwd.forward_diff(eigh_loss)


def _second_directional(x):
    return _d1(x, T9)[1]


_d2 = tangent_fwd.forward_diff(_second_directional)


def _third_directional(x):
    return _d2(x, T9)[1]


def test_third_derivative_is_refused_not_guessed():
    x = RNG.standard_normal(9) * 0.3
    assert np.isfinite(_second_directional(x))
    with pytest.raises(NotDifferentiableHere, match="third derivative"):
        tangent_fwd.jvp(_third_directional, (x,), (T9,))


# ------------------------------------------------------------------ refusals where the derivative does not exist
def eigh_vectors(A):
    w, V = np.linalg.eigh(A)
    return V


def svd_vectors(A):
    return np.linalg.svd(A, full_matrices=False)[0]


def svd_full(A):
    return np.linalg.svd(A)[1]


def singular_values(A):
    return np.linalg.svd(A, compute_uv=False)


def eig_vectors(A):
    return np.linalg.eig(A)[1]


def qr_complete(A):
    return np.linalg.qr(A, mode="complete")[0]


def qr_raw(A):
    return np.linalg.qr(A, mode="raw")[0]


@pytest.mark.parametrize(
    "f, A, match",
    [
        (eigh_vectors, np.diag([1.0, 1.0, 2.0]), "repeated eigenvalues"),
        (eigh_vectors, np.eye(3), "repeated eigenvalues"),
        (svd_vectors, np.diag([2.0, 2.0, 1.0]), "repeated singular values"),
        (svd_vectors, np.array([[1.0, 2.0], [2.0, 4.0], [0.0, 0.0]]), "zero singular value"),
        (singular_values, np.array([[1.0, 2.0], [2.0, 4.0]]), "zero singular value"),
        (svd_full, RNG.standard_normal((4, 2)), "full_matrices=False"),
        (qr_complete, RNG.standard_normal((4, 2)), "mode='reduced'"),
        (eig_vectors, np.array([[2.0, 1.0], [0.0, 2.0]]), "repeated eigenvalues"),
        (qr_raw, RNG.standard_normal((3, 3)), "raw"),
    ],
    ids=[
        "eigh-tie",
        "eigh-identity",
        "svd-tie",
        "svd-rank-deficient",
        "svdvals-zero",
        "svd-full",
        "qr-complete",
        "eig-defective",
        "qr-raw",
    ],
)
def test_no_derivative_is_a_refusal_not_nan(f, A, match):
    with pytest.raises(NotDifferentiableHere, match=match):
        tangent_fwd.jvp(f, (A,), (np.ones_like(A),))


def generalized_eigh(A):
    return scipy.linalg.eigh(A, np.diag([1.0, 2.0, 3.0]), eigvals_only=True)


def test_scipy_generalized_eigh_is_refused():
    with pytest.raises(NotDifferentiableHere, match="generalized"):
        tangent_fwd.jvp(generalized_eigh, (np.diag([1.0, 2.0, 4.0]),), (np.eye(3),))


def test_full_matrices_of_a_square_matrix_is_differentiated():
    check_jvp(svd_full, [RNG.standard_normal((3, 3))])


def eigvals_sum_and_logdet(A):
    w = np.linalg.eigvalsh(A)
    return np.sum(w**2) + np.sum(np.log(w))


def test_eigenvalues_at_a_tie_follow_the_symmetric_function_convention():
    # at A = diag(1, 1, 3) the single eigenvalues have no derivative, but symmetric functions of the
    # tied group do: diag(V^H dA V) gives them exactly
    A = np.diag([1.0, 1.0, 3.0])
    t = RNG.standard_normal((3, 3))
    t = t + t.T
    _, got = tangent_fwd.jvp(eigvals_sum_and_logdet, (A,), (t,))
    want = fd(eigvals_sum_and_logdet, [A], [t])
    np.testing.assert_allclose(got, want, rtol=1e-6)


# ------------------------------------------------------------------ stacked forms of the existing rules, and norm
def batched_solvers(A, B):
    return np.linalg.det(A), np.linalg.inv(A), np.linalg.solve(A, B), np.linalg.slogdet(A)[1]


def test_stacked_det_inv_solve_slogdet():
    A = RNG.standard_normal((2, 3, 3, 3)) * 0.3 + 2 * np.eye(3)
    B = RNG.standard_normal((2, 3, 3, 2))
    check_jvp(batched_solvers, [A, B], wrt=(0, 1))


def norm_forms(x, ord, axis, keepdims):
    return np.linalg.norm(x, ord=ord, axis=axis, keepdims=keepdims)


VECTOR_ORDS = [None, 1, 2, 3, 0.5, np.inf, -np.inf, -1, -2]
MATRIX_ORDS = [None, "fro", "nuc", 1, -1, 2, -2, np.inf, -np.inf]


@pytest.mark.parametrize("ord", VECTOR_ORDS, ids=str)
@pytest.mark.parametrize("axis, keepdims", [(None, False), (-1, False), (0, True)])
def test_vector_norm_every_order(ord, axis, keepdims):
    x = RNG.uniform(0.5, 2.0, (3, 4)) * RNG.choice([-1.0, 1.0], (3, 4))
    if axis is None:
        x = x[0]
    check_jvp(norm_forms, [x, ord, axis, keepdims], rtol=1e-5)


@pytest.mark.parametrize("ord", MATRIX_ORDS, ids=str)
@pytest.mark.parametrize("axis, keepdims", [(None, False), ((-2, -1), True), ((2, 0), False)])
def test_matrix_norm_every_order(ord, axis, keepdims):
    shape = (3, 4) if axis is None else (3, 2, 4)
    x = RNG.uniform(0.5, 2.0, shape) * RNG.choice([-1.0, 1.0], shape)
    check_jvp(norm_forms, [x, ord, axis, keepdims], rtol=1e-5)
