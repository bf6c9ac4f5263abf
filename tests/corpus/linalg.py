"""Linear algebra."""

import numpy as np

from . import case


def well_conditioned(rng, n=3):
    return 3.0 * np.eye(n) + 0.4 * rng.standard_normal((n, n))


@case(args=lambda rng: (rng.standard_normal(4), rng.standard_normal(4)), wrt=(0, 1), tags="la_dot")
def dot_vectors(x, y):
    return np.dot(x, y) * np.dot(x, x)


@case(args=lambda rng: (rng.standard_normal((3, 4)), rng.standard_normal(4)), wrt=(0, 1), tags="la_dot")
def dot_matvec(A, x):
    return np.dot(A, x) + np.dot(2.0, x).sum()


@case(args=lambda rng: (rng.standard_normal((2, 3)), rng.standard_normal((3, 4))), wrt=(0, 1), tags="la_matmul")
def np_matmul(A, B):
    return np.matmul(A, B) + np.matmul(A, np.ones((3, 4)))


@case(
    args=lambda rng: (rng.standard_normal((2, 2, 3)), rng.standard_normal((2, 3, 2))),
    wrt=(0, 1),
    tags="la_matmul matmul",
)
def batched_matmul(A, B):
    return A @ B + np.matmul(B, A).sum(axis=0)[:2, :2]


@case(args=lambda rng: (rng.standard_normal(3), rng.standard_normal(3)), wrt=(0, 1), tags="la_inner la_outer")
def inner_outer(x, y):
    return np.outer(x, y) * np.inner(x, y) + np.outer(x, x)


@case(args=lambda rng: (rng.standard_normal((2, 3)), rng.standard_normal((3, 4))), wrt=(0, 1), tags="la_einsum")
def einsum_matmul(A, B):
    return np.einsum("ij,jk->ik", A, B) + np.einsum("ij->j", A).sum()


@case(
    args=lambda rng: (rng.standard_normal((3, 3)), rng.standard_normal((3, 3))), wrt=(0, 1), tags="la_einsum la_trace"
)
def einsum_trace_elementwise(A, B):
    return np.einsum("ii->", A) * np.einsum("ij,ij->", A, B) + np.einsum("ij,jk,kl->il", A, B, A).sum()


@case(args=lambda rng: (rng.standard_normal((2, 3, 4)), rng.standard_normal((3, 4))), wrt=(0, 1), tags="la_tensordot")
def tensordot(A, B):
    return np.tensordot(A, B, axes=2) + np.tensordot(A, B[0], axes=1).sum(axis=1)


@case(args=lambda rng: (rng.standard_normal((3, 3)),), tags="la_trace")
def trace(A):
    return np.trace(A) * np.trace(A @ A) + np.trace(A, offset=1)


@case(args=lambda rng: (well_conditioned(rng),), tags="la_inv")
def inverse(A):
    return np.linalg.inv(A) + np.linalg.inv(A @ A.T).sum()


@case(args=lambda rng: (well_conditioned(rng), rng.standard_normal(3)), wrt=(0, 1), tags="la_solve")
def solve(A, b):
    return np.linalg.solve(A, b)


@case(args=lambda rng: (well_conditioned(rng), rng.standard_normal((3, 2))), wrt=(1,), tags="la_solve")
def solve_matrix_rhs(A, B):
    return np.linalg.solve(A, B) * 2.0


@case(args=lambda rng: (well_conditioned(rng),), tags="la_det np_elementwise")
def det_logdet(A):
    return np.linalg.det(A) + np.log(np.abs(np.linalg.det(A @ A.T)))


@case(args=lambda rng: (rng.standard_normal(4),), tags="la_norm")
def norm_vector(x):
    return np.linalg.norm(x) + np.linalg.norm(x, 1) + np.linalg.norm(x, ord=3)


@case(args=lambda rng: (rng.standard_normal((3, 4)),), tags="la_norm red_axis red_keepdims")
def norm_matrix(X):
    return np.linalg.norm(X) + np.linalg.norm(X, axis=1) * np.linalg.norm(X, axis=0, keepdims=True).sum()


@case(args=lambda rng: (rng.standard_normal((3, 3)), rng.standard_normal(3)), wrt=(0, 1), tags="la_dot matmul attr_T")
def quadratic_form(A, x):
    return x @ (A.T @ A) @ x + x.dot(A).dot(x)


@case(args=lambda rng: (rng.standard_normal((4, 3)),), tags="la_inv la_det matmul attr_T")
def gram_logdet(X):
    G = X.T @ X + np.eye(3)
    return np.log(np.linalg.det(G)) + np.trace(np.linalg.inv(G))


@case(args=lambda rng: (rng.standard_normal((4, 3)), rng.standard_normal(4)), wrt=(0, 1), tags="la_solve matmul attr_T")
def least_squares(X, y):
    G = X.T @ X + 0.1 * np.eye(3)
    w = np.linalg.solve(G, X.T @ y)
    r = X @ w - y
    return r @ r


@case(
    args=lambda rng: (3.0 * np.eye(3) + 0.4 * rng.standard_normal((2, 3, 3)), rng.standard_normal((2, 3, 2))),
    wrt=(0, 1),
    tags="la_inv la_det la_solve",
)
def batched_inv_det_solve(A, B):
    return np.linalg.inv(A) * np.linalg.det(A)[:, None, None] + np.linalg.solve(A, B).sum()


@case(args=lambda rng: (rng.standard_normal((3, 4)),), tags="la_norm")
def matrix_norm_orders(X):
    return np.linalg.norm(X, 1) + np.linalg.norm(X, np.inf) * np.linalg.norm(X, "fro")


@case(args=lambda rng: (rng.standard_normal((3, 4)),), tags="la_norm")
def matrix_norm_spectral_nuclear(X):
    return np.linalg.norm(X, 2) + np.linalg.norm(X, "nuc") + np.linalg.norm(X, -2)


@case(
    args=lambda rng: (rng.standard_normal((2, 3)), rng.standard_normal((2, 3))),
    wrt=(0, 1),
    tags="la_inner la_outer la_tensordot",
)
def inner_outer_2d(A, B):
    return np.inner(A, B) + np.outer(A, B)[:2, :2] + np.tensordot(A, B, axes=0)[:, 0, :, 0]


@case(
    args=lambda rng: (rng.standard_normal(3), rng.standard_normal((3, 2)), rng.standard_normal(2)),
    wrt=(0, 1, 2),
    tags="la_matmul matmul",
)
def matmul_1d_combinations(x, M, y):
    return x @ M @ y + np.matmul(x, M) * np.matmul(M, y)[:2]


@case(args=lambda rng: (rng.standard_normal((2, 3, 3)),), tags="la_trace la_einsum")
def trace_axes_einsum_ellipsis(A):
    return np.trace(A, axis1=1, axis2=2) + np.einsum("...ii->...", A) * np.einsum("bij,bjk->bik", A, A).sum(axis=(1, 2))


@case(args=lambda rng: (np.array([[1.0, 2.0, 0.5], [2.0, 4.0, 1.0], [0.3, -0.7, 1.1]]),), tags="la_det")
def det_of_singular_matrix(A):
    return np.linalg.det(A)


@case(args=lambda rng: (np.array([0.0, 2.0, 3.0, -1.5]),), tags="red_prod red_cumprod m_prod red_axis")
def prod_with_a_zero_element(x):
    return np.prod(x) + np.cumprod(x)[-1] * x + x.reshape(2, 2).prod(axis=0).sum()
