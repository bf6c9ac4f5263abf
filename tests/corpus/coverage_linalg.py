"""Coverage corpus: coverage_linalg (issue 13). Realistic functions written the way users write them:
Gaussian processes through a Cholesky factor, PCA through eigh and svd, least squares, Kalman updates,
matrix-exponential dynamics, orthogonalisation, whitening, spectral penalties."""

import math  # noqa: F401

import numpy as np
import scipy.linalg

from . import case

REFUSAL_OK = set()


def _spd(rng, n):
    m = rng.standard_normal((n, n))
    return m @ m.T / n + np.eye(n)


def _kernel(x, ell, sf):
    d = x[:, None] - x[None, :]
    return sf**2 * np.exp(-0.5 * d**2 / ell**2)


@case(args=lambda rng: (np.array([0.1, -0.4, 0.7]), np.linspace(-1.0, 1.0, 6)), wrt=(0,), tags="la_solve")
def gp_nll_cholesky(log_hyp, x):
    ell, sf, sn = np.exp(log_hyp)
    K = _kernel(x, ell, sf) + (sn**2 + 1e-6) * np.eye(len(x))
    y = np.sin(2.0 * x) + 0.1 * x
    L = np.linalg.cholesky(K)
    alpha = np.linalg.solve(L.T, np.linalg.solve(L, y))
    return 0.5 * y @ alpha + np.sum(np.log(np.diag(L))) + 0.5 * len(x) * np.log(2 * np.pi)


@case(args=lambda rng: (np.array([0.2, -0.3]), np.linspace(-1.0, 1.0, 5)), wrt=(0,), tags="la_solve")
def gp_nll_cho_solve(log_hyp, x):
    ell, sn = np.exp(log_hyp)
    K = _kernel(x, ell, 1.0) + sn**2 * np.eye(len(x))
    y = np.cos(x)
    c, low = scipy.linalg.cho_factor(K, lower=True)
    alpha = scipy.linalg.cho_solve((c, low), y)
    return 0.5 * y @ alpha + np.log(np.diag(c)).sum()


@case(args=lambda rng: (rng.standard_normal((8, 3)),), tags="la_matmul")
def pca_top_variance_eigh(X):
    Xc = X - X.mean(axis=0)
    C = Xc.T @ Xc / (X.shape[0] - 1)
    w, V = np.linalg.eigh(C)
    return w[-1] + 0.5 * w[-2]


@case(args=lambda rng: (rng.standard_normal((7, 3)),), tags="la_matmul")
def pca_reconstruction_error_svd(X):
    Xc = X - X.mean(axis=0)
    U, s, Vt = np.linalg.svd(Xc, full_matrices=False)
    k = 2
    Xk = (U[:, :k] * s[:k]) @ Vt[:k]
    return np.sum((Xc - Xk) ** 2)


@case(args=lambda rng: (rng.standard_normal((6, 3)),), tags="la_matmul")
def pca_projection_eigh(X):
    C = X.T @ X / X.shape[0]
    w, V = np.linalg.eigh(C)
    P = V[:, -2:] @ V[:, -2:].T  # projector: independent of the vectors' signs
    return X @ P


@case(args=lambda rng: (rng.standard_normal((6, 3)), rng.standard_normal(6)), wrt=(0, 1), tags="la_solve")
def least_squares_fit(A, y):
    coef, res, rank, sv = np.linalg.lstsq(A, y, rcond=None)
    return coef, res


@case(args=lambda rng: (rng.standard_normal((5, 2)), rng.standard_normal(5)), wrt=(0, 1), tags="la_solve")
def ridge_via_pinv(A, y):
    return np.linalg.pinv(A) @ y + 0.1 * np.linalg.norm(np.linalg.pinv(A.T @ A))


@case(args=lambda rng: (rng.standard_normal((6, 3)), rng.standard_normal(6)), wrt=(0, 1), tags="la_solve")
def least_squares_via_qr(A, y):
    Q, R = np.linalg.qr(A)
    return scipy.linalg.solve_triangular(R, Q.T @ y)


@case(args=lambda rng: (rng.standard_normal(2), 0.3 * np.eye(2) + 0.1 * _spd(rng, 2)), wrt=(0, 1), tags="la_inv")
def kalman_update(x, P):
    H = np.array([[1.0, 0.5]])
    R = np.array([[0.2]])
    z = np.array([0.7])
    S = H @ P @ H.T + R
    K = P @ H.T @ np.linalg.inv(S)
    x_new = x + K @ (z - H @ x)
    P_new = (np.eye(2) - K @ H) @ P
    return x_new, P_new


@case(args=lambda rng: (rng.standard_normal(2), _spd(rng, 2)), wrt=(0, 1), tags="la_solve")
def kalman_log_likelihood_cholesky(x, P):
    H = np.array([[1.0, 0.0], [0.3, 1.0]])
    y = np.array([0.4, -0.2])
    S = H @ P @ H.T + 0.1 * np.eye(2)
    L = np.linalg.cholesky(S)
    v = scipy.linalg.solve_triangular(L, y - H @ x, lower=True)
    return -0.5 * v @ v - np.log(np.diag(L)).sum()


@case(args=lambda rng: (0.4 * rng.standard_normal((3, 3)), rng.standard_normal(3)), wrt=(0, 1), tags="la_matmul")
def linear_ode_matrix_exponential(A, x0):
    ts = [0.25, 0.5, 1.0]
    return np.stack([scipy.linalg.expm(t * A) @ x0 for t in ts])


@case(args=lambda rng: (0.3 * rng.standard_normal((3, 3)),), tags="la_matmul")
def discretised_dynamics_power(A):
    dt = 0.1
    F = np.eye(3) + dt * A
    return np.trace(np.linalg.matrix_power(F, 5)) + np.linalg.multi_dot([F, F.T, F]).sum()


@case(args=lambda rng: (_spd(rng, 3),), tags="la_det")
def gaussian_entropy_eigvalsh(Sigma):
    lam = np.linalg.eigvalsh(Sigma)
    return 0.5 * np.sum(np.log(2 * np.pi * np.e * lam))


@case(args=lambda rng: (rng.standard_normal((4, 3)),), tags="la_norm")
def spectral_penalty(W):
    s = np.linalg.svd(W, compute_uv=False)
    return s[0] ** 2 + 0.1 * np.sum(s) + np.linalg.cond(W)


@case(args=lambda rng: (rng.standard_normal((5, 3)),), tags="la_matmul")
def gram_schmidt_qr_orthogonality(X):
    Q, R = np.linalg.qr(X)
    return Q @ np.diag(np.sign(np.diag(R))), np.abs(np.diag(R))


@case(args=lambda rng: (rng.standard_normal((6, 2)),), tags="la_matmul")
def whitening_cholesky(X):
    C = X.T @ X / len(X) + 0.1 * np.eye(2)
    L = np.linalg.cholesky(C)
    return np.linalg.solve(L, X.T).T


@case(args=lambda rng: (_spd(rng, 3), rng.standard_normal(3)), wrt=(0, 1), tags="la_solve")
def lu_factor_then_solve(A, b):
    lu_piv = scipy.linalg.lu_factor(A)
    x = scipy.linalg.lu_solve(lu_piv, b)
    return x + scipy.linalg.lu_solve(lu_piv, b, trans=1)


@case(args=lambda rng: (rng.standard_normal((2, 3, 3)),), tags="la_det la_inv")
def batched_logdet_and_inverse(A):
    M = A @ np.swapaxes(A, -1, -2) + np.eye(3)
    L = np.linalg.cholesky(M)
    return 2 * np.log(np.diagonal(L, axis1=-2, axis2=-1)).sum(-1), np.linalg.inv(M), np.linalg.det(M)


@case(args=lambda rng: (rng.standard_normal((3, 3)),), tags="la_norm")
def procrustes_rotation(A):
    B = np.array([[1.0, 0.2, 0.0], [0.0, 1.0, 0.3], [0.1, 0.0, 1.0]])
    U, s, Vt = np.linalg.svd(A @ B.T)
    R = U @ Vt
    return np.sum((R @ B - A) ** 2)


@case(args=lambda rng: (rng.standard_normal((2, 3, 2)),), tags="la_norm")
def batched_singular_values_and_norms(X):
    return np.linalg.svdvals(X).sum(-1) + np.linalg.norm(X, ord="nuc", axis=(-2, -1))


@case(args=lambda rng: (0.3 * rng.standard_normal((3, 3)),), tags="la_matmul")
def spectral_abscissa_of_dynamics(A):
    J = A + np.diag([-1.0, -2.0, -3.5])
    lam = np.linalg.eigvals(J)
    return np.max(np.real(lam)) + 0.1 * np.sum(np.abs(lam) ** 2)


@case(args=lambda rng: (rng.standard_normal((2, 3)),), tags="la_norm")
def array_api_norms(X):
    return np.linalg.vector_norm(X, axis=1) + np.linalg.matrix_norm(X.T @ X + np.eye(3), ord="nuc")
