"""Rule cases for the linalg rules (tangent_fwd/rules/linalg_rules.py) and their run-time helpers
(tangent_fwd/jvp_helpers/linalg.py, reached as ``rt.linalg``).

Inputs are generic: symmetric positive definite matrices for cholesky, eigenvalues and singular values
well apart (no ties: the vectors' tangents are refused there, tests/linalg/test_decompositions.py
checks that), full rank for qr/pinv/lstsq. The finite differences use random, non-symmetric directions:
the rules read one triangle of a Hermitian input as LAPACK does, so they must agree with them.
Complex eigen/singular vectors are fixed only up to a phase, so complex cases use phase-invariant
results (values, |v|, U diag(s) Vh). SciPy's functions take host arrays only: ``strict = False``."""

import inspect

import numpy as np
import scipy.linalg as sl
from rule_cases import C, Z, a

from tangent_fwd import runtime as rt

L = rt.linalg
_rng = np.random.default_rng(20261206)


def spd(n, *batch):
    m = _rng.standard_normal(batch + (n, n))
    return m @ np.swapaxes(m, -1, -2) / n + np.eye(n)


def hpd(n):
    m = _rng.standard_normal((n, n)) + 1j * _rng.standard_normal((n, n))
    return m @ m.conj().T / n + np.eye(n)


def sym_distinct(n, *batch):
    """Symmetric, eigenvalues 1..n apart (a random rotation of diag(1, 2.1, 3.2, ...))."""
    q, _ = np.linalg.qr(_rng.standard_normal(batch + (n, n)))
    w = 1.0 + 1.1 * np.arange(n)
    return (q * w[..., None, :]) @ np.swapaxes(q, -1, -2)


def generic(*shape):
    """Full rank, singular values apart."""
    m, n = shape[-2:]
    k = min(m, n)
    u, _ = np.linalg.qr(_rng.standard_normal(shape[:-2] + (m, k)))
    v, _ = np.linalg.qr(_rng.standard_normal(shape[:-2] + (n, k)))
    s = 1.0 + 0.7 * np.arange(k)[::-1]
    return (u * s[..., None, :]) @ np.swapaxes(v, -1, -2)


def cgeneric(m, n):
    return generic(m, n) + 0.3j * generic(m, n)


def host(case):
    case.strict = False
    return case


# ================================================================== numpy.linalg
def l_cholesky(A):
    return np.linalg.cholesky(A)


def l_cholesky_upper(A):
    return np.linalg.cholesky(A, upper=True)


def l_eigh(A):
    w, v = np.linalg.eigh(A)
    return w, v * np.sign(v[..., :1, :])  # a sign per column makes the vectors comparable; FD too


def l_eigh_upper_abs(A):
    res = np.linalg.eigh(A, UPLO="U")
    return res.eigenvalues, np.abs(res.eigenvectors)


def l_eigvalsh(A):
    return np.linalg.eigvalsh(A)


def l_eigvalsh_upper(A):
    return np.linalg.eigvalsh(A, UPLO="U")


def l_svd(A):
    u, s, vh = np.linalg.svd(A, full_matrices=False)
    return u * np.sign(u[..., :1, :]), s, vh * np.sign(u[..., :1, :]).swapaxes(-1, -2)


def l_svd_square_default(A):
    u, s, vh = np.linalg.svd(A)
    return u @ np.diag(s) @ vh, np.abs(u)


def l_svd_reconstruct_c(A):
    u, s, vh = np.linalg.svd(A, full_matrices=False)
    return (u * s[..., None, :]) @ vh, s, np.abs(vh)


def l_svd_values(A):
    return np.linalg.svd(A, compute_uv=False)


def l_svd_hermitian(A):
    return np.linalg.svd(A, hermitian=True)[1]


def l_svdvals(A):
    return np.linalg.svdvals(A)


def l_qr(A):
    q, r = np.linalg.qr(A)
    return q, r


def l_qr_r(A):
    return np.linalg.qr(A, mode="r")


def l_qr_complete_wide(A):
    res = np.linalg.qr(A, mode="complete")
    return res.Q, res.R


def l_pinv(A):
    return np.linalg.pinv(A)


def l_pinv_hermitian(A):
    return np.linalg.pinv(A, hermitian=True)


def l_lstsq(A, b):
    x, res, rank, s = np.linalg.lstsq(A, b)
    return x, res, s


def l_lstsq_matrix(A, B):
    x, res, rank, s = np.linalg.lstsq(A, B, rcond=None)
    return x, res


def l_lstsq_wide(A, b):
    return np.linalg.lstsq(A, b)[0]


def l_matrix_power(A):
    return np.linalg.matrix_power(A, 3)


def l_matrix_power_neg(A):
    return np.linalg.matrix_power(A, -2) + np.linalg.matrix_power(A, 0) + np.linalg.matrix_power(A, 1)


def l_multi_dot(A, B, C_, v):
    return np.linalg.multi_dot([A, B, C_, v])


def l_multi_dot_const(A, v):
    return np.linalg.multi_dot([v, A, np.ones((3, 3)), A])


def l_cond(A):
    return np.linalg.cond(A) + np.linalg.cond(A, -2)


def l_cond_norms(A):
    return np.linalg.cond(A, "fro") + np.linalg.cond(A, "nuc") + np.linalg.cond(A, 1) + np.linalg.cond(A, np.inf)


def l_vector_norm(x):
    return np.linalg.vector_norm(x) + np.linalg.vector_norm(x, ord=1, axis=(0, 2)).sum()


def l_vector_norm_keepdims(x):
    return np.linalg.vector_norm(x, ord=3, axis=-1, keepdims=True) + np.linalg.vector_norm(x, keepdims=True)


def l_matrix_norm(x):
    return np.linalg.matrix_norm(x) + np.linalg.matrix_norm(x, ord="nuc") + np.linalg.matrix_norm(x, ord=np.inf)


def l_matrix_norm_spectral(x):
    return np.linalg.matrix_norm(x, ord=2, keepdims=True)


def l_outer_vecdot(x, y):
    return np.linalg.outer(x, y) * np.linalg.vecdot(x, y) + np.vecdot(x, y)


def l_vecdot_axis(x, y):
    return np.linalg.vecdot(x, y, axis=0)


def l_matrix_rank(A):
    return 1.0 * np.linalg.matrix_rank(A)


def l_tensorsolve(A, b):
    return np.linalg.tensorsolve(A, b)


def l_tensorsolve_axes(A, b):
    return np.linalg.tensorsolve(A, b, axes=(0,))


def t_tensor_axes(x):
    return L.tensor_axes(np, x, (1,)) + 0 * L.tensor_axes(np, x, None).sum()


def l_eig_real(A):
    w, V = np.linalg.eig(A)
    order = np.argsort(w)
    return w[order], (V * np.sign(V[:1, :]))[:, order]


def l_eig_spectrum(A):
    res = np.linalg.eig(A)
    return np.abs(res.eigenvalues), np.abs(res.eigenvectors)


def l_eigvals(A):
    w = np.linalg.eigvals(A)
    w = w[np.argsort(np.real(w))]
    return np.real(w), np.imag(w)


def nonsym_real_spectrum(n):
    """Non-symmetric, real eigenvalues 1, 2.2, 3.4, ... (a similarity transform of a diagonal)."""
    s = _rng.standard_normal((n, n)) + 2 * np.eye(n)
    return s @ np.diag(1.0 + 1.2 * np.arange(n)) @ np.linalg.inv(s)


def t_eig_jvp(A, t):
    return L.eig_jvp(np, np.linalg.eig(A), t)[0]


def t_eig_jvp2(A, t, u, v):
    return L.eig_jvp2(np, np.linalg.eig(A), t, None, u)[0] + L.eig_jvp2(np, np.linalg.eig(A), t, None, v)[0]


def t_eigvals_jvp(A, t):
    return L.eigvals_jvp(np, A, t)


def t_eigvals_jvp2(A, t, u, v):
    return L.eigvals_jvp2(np, A, t, u, v)


def f_eigh_fields(A):
    res = np.linalg.eigh(A)
    return res.eigenvalues, res.eigenvectors[:, -1] * np.sign(res.eigenvectors[0, -1])


def f_svd_fields(A):
    res = np.linalg.svd(A, full_matrices=False)
    return res.S, res.U @ res.Vh


def f_qr_fields(A):
    res = np.linalg.qr(A)
    return res.Q, res.R


# ================================================================== the helpers
def t_ct(x):
    return L.ct(np, x)


def t_ct_if(x):
    return L.ct_if(np, x, True) + L.ct_if(np, x, False)


def t_herm(x):
    return L.herm(np, x, "L") + L.herm(np, x, "U") * 2.0


def t_phi(x):
    return L.phi(np, x)


def t_tri(x):
    return L.tri(np, x, True) + 3.0 * L.tri(np, x, False)


def t_other_tri(x):
    return L.other_tri(np, x, True) + 3.0 * L.other_tri(np, x, False)


def t_flat_axes(x):
    return L.flat_axes(np, x, (0, 2)) * 2.0, L.flat_axes(np, x, None), L.flat_axes(np, x, 1)


def t_trisolve(A, b):
    return L.trisolve(np, A, b, True) + L.trisolve(np, A.T, b, False)


def t_trisolve_batched(A, B):
    return L.trisolve(np, A, B, False)


def t_corner(x):
    return L.corner(np, x)


def t_svd_cond(x):
    return 1.0 * L.svd_cond(x)


def t_eigh_jvp(A, t):
    return L.eigh_jvp(np, np.linalg.eigh(A), t, "L")[0]


def t_eigh_jvp2(A, t, u, v):
    return (
        L.eigh_jvp2(np, np.linalg.eigh(A), t, "L", None, u)[0] + L.eigh_jvp2(np, np.linalg.eigh(A), t, "L", None, v)[0]
    )


def t_eigvalsh_jvp(A, t):
    return L.eigvalsh_jvp(np, A, t, "L")


def t_eigvalsh_jvp2(A, t, u, v):
    return L.eigvalsh_jvp2(np, A, t, "L", u, v)


def t_svd_jvp(A, t):
    return L.svd_jvp(np, A, np.linalg.svd(A, compute_uv=False), t, False, False)


def t_svd_jvp2(A, t, u, v):
    return L.svd_jvp2(np, A, np.linalg.svd(A, compute_uv=False), t, False, False, u, None, v)


def t_qr_jvp(A, t):
    return L.qr_jvp(np, A, np.linalg.qr(A, mode="r"), t, "r")


def t_qr_jvp2(A, t, u, v):
    return L.qr_jvp2(np, A, np.linalg.qr(A, mode="r"), t, "r", u, None, v)


def t_pinv_jvp(A, t):
    return L.pinv_jvp(np, A, np.linalg.pinv(A), t, False)


def t_pinv_jvp2(A, t, u, v):
    return L.pinv_jvp2(np, A, np.linalg.pinv(A), t, False, u, None, v)


def t_lstsq_jvp(A, b, t, db):
    return L.lstsq_jvp(np, A, b, np.linalg.lstsq(A, b), t, db, None)[0]


def t_lstsq_jvp2(A, b, t, db, u, v):
    return L.lstsq_jvp2(np, A, b, np.linalg.lstsq(A, b), t, db, None, None, None, None, u, v)[0]


def t_matrix_power_jvp(A, t):
    return L.matrix_power_jvp(np, A, t, 3)


def t_matrix_power_jvp2(A, t, u, v):
    return L.matrix_power_jvp2(np, A, t, -2, None, u) + L.matrix_power_jvp2(np, A, t, 3, None, v)


def t_multi_dot_jvp(A, B, t1, t2):
    return L.multi_dot_jvp(np, [A, B], [t1, t2])


def t_multi_dot_jvp2(A, B, t1, t2, u1, u2):
    return L.multi_dot_jvp2(np, [A, B], [t1, t2], None, [u1, u2])


def t_cond_jvp(A, t):
    return L.cond_jvp(np, A, t, None)


def t_cond_jvp2(A, t, u, v):
    return L.cond_jvp2(np, A, t, -2, None, u) + L.cond_jvp2(np, A, t, 2, None, v)


def t_matrix_norm_jvp(A, t):
    return L.matrix_norm_jvp(np, A, t, "nuc", None, False) + L.matrix_norm_jvp(np, A, t, 2, None, False)


def t_matrix_norm_jvp2(A, t, u, v):
    return L.matrix_norm_jvp2(np, A, t, -2, (0, 2), True, u, None) + L.matrix_norm_jvp2(
        np, A, t, "nuc", (2, 0), True, None, v
    )


def t_svd_norm(x):
    return 1.0 * L.svd_norm(x, "nuc", (0, 1))


# ================================================================== scipy.linalg
def s_expm(A):
    return sl.expm(A)


def s_expm_batched(A):
    return sl.expm(0.5 * A)


def t_expm(x):
    return L.expm(np, x)


def t_block(x, y):
    return L.block(np, x, y)


def s_solve_triangular(A, b):
    return sl.solve_triangular(A, b, lower=True)


def s_solve_triangular_trans(A, B):
    return sl.solve_triangular(A, B, trans="T", unit_diagonal=True) + sl.solve_triangular(A, B, trans=2)


def t_solve_triangular(A, b):
    return L.solve_triangular(np, A, b, 1, True, False)


def t_tri_op(x):
    return L.tri_op(np, x, 0, True, False) + L.tri_op(np, x, "C", False, True)


def s_cholesky(A):
    return sl.cholesky(A) + sl.cholesky(A, lower=True)


def s_cho_factor(A):
    c, low = sl.cho_factor(A)
    return c


def s_cho_factor_lower(A):
    return sl.cho_factor(A, lower=True)[0]


def s_cho_solve(A, b):
    cf = sl.cho_factor(A)
    return sl.cho_solve(cf, b)


def s_cho_solve_factor(c, b):
    return sl.cho_solve((c, True), b)


def t_cho_solve(c, b):
    return L.cho_solve(np, (c, False), b)


def t_cho_dA(c, t):
    return L.cho_dA(np, c, t, True) + L.cho_dA(np, c, t, False)


def s_lu_solve(A, b):
    return sl.lu_solve(sl.lu_factor(A), b)


def s_lu_solve_factor(lu, b):
    piv = np.array([2, 2, 2, 3], dtype=np.int32)
    return sl.lu_solve((lu, piv), b) + sl.lu_solve((lu, piv), b, trans=1) + sl.lu_solve((lu, piv), b, trans=2)


def t_lu_solve(lu, b):
    return L.lu_solve(np, (lu, np.array([1, 1, 2], dtype=np.int32)), b, 0)


def t_lu_dA_x(lu, t, x):
    return L.lu_dA_x(np, lu, t, np.array([2, 1, 2], dtype=np.int32), x, 0) + L.lu_dA_x(
        np, lu, t, np.array([2, 1, 2], dtype=np.int32), x, 1
    )


def t_lu_dA_x_dlu(e, t, x):
    return L.lu_dA_x_dlu(np, e, t, np.array([1, 2, 2], dtype=np.int32), x, 2)


def s_lu_factor(A):
    lu, piv = sl.lu_factor(A)
    return lu


def t_unit_lower(x):
    return L.unit_lower(np, x)


def t_permute_rows(x):
    return L.permute_rows(np, x, np.array([2, 2, 2], dtype=np.int32))


def s_eigh(A):
    w, v = sl.eigh(A)
    return w, v * np.sign(v[:1, :])


def s_eigh_upper_values(A):
    return sl.eigh(A, lower=False, eigvals_only=True) + sl.eigvalsh(A, lower=False)


def s_eigvalsh(A):
    return sl.eigvalsh(A)


def t_standard_only(t):
    return L.standard_only(np, t)


def s_svd(A):
    u, s, vh = sl.svd(A, full_matrices=False)
    return s, u @ vh


def s_svdvals(A):
    return sl.svdvals(A) + sl.svd(A, compute_uv=False)


def s_pinv(A):
    p, rank = sl.pinv(A, return_rank=True)
    return p + sl.pinv(A.T).T


def s_qr(A):
    q, r = sl.qr(A)
    return q, r


def s_qr_economic_pivoting(A):
    q, r, p = sl.qr(A, mode="economic", pivoting=True)
    return q, r


def s_qr_r(A):
    return sl.qr(A, mode="r")[0]


def t_scipy_qr_jvp(A, t):
    return L.scipy_qr_jvp(np, A, sl.qr(A, mode="economic"), t, "economic", False)[1]


def t_scipy_qr_jvp2(A, t, u, v):
    return L.scipy_qr_jvp2(np, A, sl.qr(A, mode="r"), t, "r", False, u, None, v)[0]


def s_inv(A):
    return sl.inv(A) + sl.inv(A @ A.T, assume_a="pos")


def s_inv_plain(A):  # SciPy < 1.16: inv has no assume_a
    return sl.inv(A) + sl.inv(A @ A.T)


_INV_ASSUME_A = "assume_a" in inspect.signature(sl.inv).parameters


def s_det(A):
    return sl.det(A)


def s_solve(A, b):
    return sl.solve(A, b) + sl.solve(A, b, assume_a="pos", lower=True) + sl.solve(A, b, transposed=True)


def t_scipy_solve(A, b):
    return L.scipy_solve(np, A, b, False, "sym")


def t_solve_dA(t):
    return L.solve_dA(np, t, True, "her") + L.solve_dA(np, t, False, "sym", True)


_SPD3, _SPD4 = spd(3), spd(4)
_LU = np.triu(_rng.uniform(1.0, 2.0, (4, 4))) + np.tril(_rng.uniform(-0.4, 0.4, (4, 4)), -1)

CASES = {
    np.linalg.cholesky: [
        C(l_cholesky, spd(4)),
        C(l_cholesky_upper, spd(3)),
        C(l_cholesky, spd(3, 2)),
        C(l_cholesky, hpd(3)),
    ],
    np.linalg.eigh: [
        C(l_eigh, sym_distinct(4)),
        C(l_eigh, sym_distinct(3, 2)),
        C(l_eigh_upper_abs, sym_distinct(3)),
        C(l_eigh_upper_abs, hpd(3)),
    ],
    np.linalg.eig: [
        C(l_eig_real, nonsym_real_spectrum(3)),
        C(l_eig_spectrum, np.array([[0.0, -1.0, 0.2], [1.0, 0.1, 0.0], [0.3, 0.0, 2.0]])),
    ],
    np.linalg.eigvals: [C(l_eigvals, nonsym_real_spectrum(4)), C(l_eigvals, a(3, 3) + 1j * a(3, 3))],
    L.eig_jvp: [C(t_eig_jvp, nonsym_real_spectrum(3), a(3, 3))],
    L.eig_jvp2: [C(t_eig_jvp2, nonsym_real_spectrum(3), a(3, 3), a(3, 3), a(3, 3), diff=(1, 2, 3))],
    L.eigvals_jvp: [C(t_eigvals_jvp, nonsym_real_spectrum(3), a(3, 3))],
    L.eigvals_jvp2: [C(t_eigvals_jvp2, nonsym_real_spectrum(3), a(3, 3), a(3, 3), a(3, 3), diff=(1, 2, 3))],
    "eigenvalues": [C(f_eigh_fields, sym_distinct(3)), C(l_eig_spectrum, nonsym_real_spectrum(3))],
    "eigenvectors": [C(f_eigh_fields, sym_distinct(4))],
    "U": [C(f_svd_fields, generic(4, 3))],
    "S": [C(f_svd_fields, generic(2, 3))],
    "Vh": [C(f_svd_fields, generic(3, 3))],
    "Q": [C(f_qr_fields, generic(4, 3))],
    "R": [C(f_qr_fields, generic(3, 3))],
    np.linalg.eigvalsh: [
        C(l_eigvalsh, sym_distinct(4)),
        C(l_eigvalsh_upper, sym_distinct(3, 2)),
        C(l_eigvalsh, hpd(3)),
    ],
    np.linalg.svd: [
        C(l_svd, generic(4, 3)),
        C(l_svd, generic(3, 5)),
        C(l_svd, generic(2, 3, 3)),
        C(l_svd_square_default, generic(3, 3)),
        C(l_svd_reconstruct_c, cgeneric(4, 3)),
        C(l_svd_reconstruct_c, cgeneric(2, 3)),
        C(l_svd_values, generic(3, 4)),
        C(l_svd_hermitian, sym_distinct(3) - 2.5 * np.eye(3)),
    ],
    np.linalg.svdvals: [C(l_svdvals, generic(2, 4, 3)), C(l_svdvals, cgeneric(3, 3))],
    np.linalg.qr: [
        C(l_qr, generic(4, 3)),
        C(l_qr, generic(3, 5)),
        C(l_qr, generic(2, 3, 3)),
        C(l_qr, cgeneric(4, 3)),
        C(l_qr_r, generic(5, 3)),
        C(l_qr_complete_wide, generic(2, 4)),
    ],
    np.linalg.pinv: [
        C(l_pinv, generic(4, 3)),
        C(l_pinv, generic(2, 3, 5)),
        C(l_pinv, cgeneric(3, 2)),
        C(l_pinv_hermitian, sym_distinct(3)),
    ],
    np.linalg.lstsq: [
        C(l_lstsq, generic(5, 3), a(5)),
        C(l_lstsq_matrix, generic(4, 2), a(4, 3)),
        C(l_lstsq_wide, generic(2, 4), a(2)),
        C(l_lstsq, cgeneric(4, 2), a(4) + 1j * a(4)),
    ],
    np.linalg.matrix_power: [
        C(l_matrix_power, a(3, 3)),
        C(l_matrix_power, a(2, 3, 3)),
        C(l_matrix_power_neg, spd(3)),
        C(l_matrix_power, a(2, 2) + 1j * a(2, 2)),
    ],
    np.linalg.multi_dot: [
        C(l_multi_dot, a(2, 3), a(3, 4), a(4, 3), a(3)),
        C(l_multi_dot_const, a(3, 3), a(3), diff=(0,)),
    ],
    np.linalg.cond: [
        C(l_cond, generic(3, 3)),
        C(l_cond, generic(2, 3, 3)),
        C(l_cond, generic(4, 3)),
        C(l_cond_norms, spd(3) + 0.3 * a(3, 3)),
    ],
    np.linalg.vector_norm: [C(l_vector_norm, a(2, 3, 4)), C(l_vector_norm_keepdims, a(3, 4))],
    np.linalg.matrix_norm: [C(l_matrix_norm, generic(2, 3, 4)), C(l_matrix_norm_spectral, generic(3, 3))],
    np.linalg.outer: [C(l_outer_vecdot, a(3), a(3))],
    np.linalg.vecdot: [C(l_vecdot_axis, a(3, 2), a(3, 2)), C(l_vecdot_axis, a(3) + 1j * a(3), a(3) + 1j * a(3))],
    np.vecdot: [C(l_outer_vecdot, a(4), a(4))],
    np.linalg.matrix_rank: [Z(l_matrix_rank, a(3, 3))],
    np.linalg.tensorsolve: [
        C(l_tensorsolve, np.reshape(_SPD4 + 0.3 * a(4, 4), (2, 2, 4)), a(2, 2)),
        C(l_tensorsolve_axes, np.reshape(np.swapaxes(_SPD4, 0, 1) + 0.3 * a(4, 4), (4, 4)), a(4)),
    ],
    L.tensor_axes: [C(t_tensor_axes, a(2, 3, 2))],
    L.flat_axes: [C(t_flat_axes, a(2, 3, 4))],
    L.ct: [C(t_ct, a(2, 3) + 1j * a(2, 3))],
    L.ct_if: [C(t_ct_if, a(3, 3))],
    L.herm: [C(t_herm, a(3, 3) + 1j * a(3, 3))],
    L.phi: [C(t_phi, a(2, 3, 3))],
    L.tri: [C(t_tri, a(3, 3))],
    L.other_tri: [C(t_other_tri, a(3, 3))],
    L.trisolve: [C(t_trisolve, spd(3) + np.eye(3), a(3)), C(t_trisolve_batched, spd(3, 2) + np.eye(3), a(2, 3, 2))],
    L.corner: [C(t_corner, a(4, 4))],
    L.svd_cond: [Z(t_svd_cond, 2.0)],
    L.svd_norm: [Z(t_svd_norm, 2.0)],
    L.matrix_norm_jvp: [C(t_matrix_norm_jvp, generic(3, 4), a(3, 4))],
    L.matrix_norm_jvp2: [C(t_matrix_norm_jvp2, a(3, 2, 4), a(3, 2, 4), a(3, 2, 4), a(3, 2, 4), diff=(1, 2, 3))],
    L.eigh_jvp: [C(t_eigh_jvp, sym_distinct(3), a(3, 3))],
    L.eigh_jvp2: [C(t_eigh_jvp2, sym_distinct(3), a(3, 3), a(3, 3), a(3, 3), diff=(1, 2, 3))],
    L.eigvalsh_jvp: [C(t_eigvalsh_jvp, sym_distinct(3), a(3, 3))],
    L.eigvalsh_jvp2: [C(t_eigvalsh_jvp2, sym_distinct(3), a(3, 3), a(3, 3), a(3, 3), diff=(1, 2, 3))],
    L.svd_jvp: [C(t_svd_jvp, generic(3, 4), a(3, 4))],
    L.svd_jvp2: [C(t_svd_jvp2, generic(3, 4), a(3, 4), a(3, 4), a(3, 4), diff=(1, 2, 3))],
    L.qr_jvp: [C(t_qr_jvp, generic(4, 3), a(4, 3))],
    L.qr_jvp2: [C(t_qr_jvp2, generic(4, 3), a(4, 3), a(4, 3), a(4, 3), diff=(1, 2, 3))],
    L.pinv_jvp: [C(t_pinv_jvp, generic(3, 2), a(3, 2))],
    L.pinv_jvp2: [C(t_pinv_jvp2, generic(3, 2), a(3, 2), a(3, 2), a(3, 2), diff=(1, 2, 3))],
    L.lstsq_jvp: [C(t_lstsq_jvp, generic(4, 2), a(4), a(4, 2), a(4), diff=(2, 3))],
    L.lstsq_jvp2: [C(t_lstsq_jvp2, generic(4, 2), a(4), a(4, 2), a(4), a(4, 2), a(4), diff=(2, 3, 4, 5))],
    L.matrix_power_jvp: [C(t_matrix_power_jvp, a(3, 3), a(3, 3))],
    L.matrix_power_jvp2: [C(t_matrix_power_jvp2, spd(3), a(3, 3), a(3, 3), a(3, 3), diff=(1, 2, 3))],
    L.multi_dot_jvp: [C(t_multi_dot_jvp, a(2, 3), a(3, 2), a(2, 3), a(3, 2), diff=(2, 3))],
    L.multi_dot_jvp2: [C(t_multi_dot_jvp2, a(2, 3), a(3, 2), a(2, 3), a(3, 2), a(2, 3), a(3, 2), diff=(2, 3, 4, 5))],
    L.cond_jvp: [C(t_cond_jvp, generic(3, 3), a(3, 3))],
    L.cond_jvp2: [C(t_cond_jvp2, generic(3, 3), a(3, 3), a(3, 3), a(3, 3), diff=(1, 2, 3))],
    # scipy.linalg
    sl.expm: [host(C(s_expm, 0.5 * a(3, 3))), host(C(s_expm_batched, a(2, 3, 3)))],
    L.expm: [host(C(t_expm, 0.5 * a(3, 3)))],
    L.block: [C(t_block, a(2, 2), a(2, 2))],
    sl.solve_triangular: [
        host(C(s_solve_triangular, _SPD3 + np.eye(3), a(3))),
        host(C(s_solve_triangular_trans, _SPD4 + np.eye(4), a(4, 2))),
    ],
    L.solve_triangular: [host(C(t_solve_triangular, _SPD3 + np.eye(3), a(3, 2)))],
    L.tri_op: [C(t_tri_op, a(3, 3) + 1j * a(3, 3))],
    sl.cholesky: [host(C(s_cholesky, spd(4)))],
    sl.cho_factor: [host(C(s_cho_factor, spd(3))), host(C(s_cho_factor_lower, spd(4)))],
    sl.cho_solve: [
        host(C(s_cho_solve, spd(3), a(3))),
        host(C(s_cho_solve_factor, np.linalg.cholesky(spd(3)) + np.triu(a(3, 3), 1), a(3, 2))),
    ],
    L.cho_solve: [host(C(t_cho_solve, np.linalg.cholesky(spd(3)).T, a(3)))],
    L.cho_dA: [C(t_cho_dA, a(3, 3), a(3, 3))],
    sl.lu_solve: [host(C(s_lu_solve, _SPD3 + 0.5 * a(3, 3), a(3))), host(C(s_lu_solve_factor, _LU, a(4, 2)))],
    L.lu_solve: [host(C(t_lu_solve, _LU[:3, :3], a(3)))],
    L.lu_dA_x: [C(t_lu_dA_x, a(3, 3), a(3, 3), a(3))],
    L.lu_dA_x_dlu: [C(t_lu_dA_x_dlu, a(3, 3), a(3, 3), a(3, 2))],
    sl.lu_factor: [host(C(s_lu_factor, _SPD4 + 0.5 * a(4, 4)))],
    L.unit_lower: [C(t_unit_lower, a(3, 3))],
    L.permute_rows: [C(t_permute_rows, a(3, 2))],
    sl.eigh: [host(C(s_eigh, sym_distinct(3))), host(C(s_eigh_upper_values, sym_distinct(4)))],
    sl.eigvalsh: [host(C(s_eigvalsh, hpd(3)))],
    L.standard_only: [C(t_standard_only, a(2, 2))],
    sl.svd: [host(C(s_svd, generic(4, 3))), host(C(s_svd, cgeneric(2, 3)))],
    sl.svdvals: [host(C(s_svdvals, generic(3, 5)))],
    sl.pinv: [host(C(s_pinv, generic(4, 3)))],
    sl.qr: [
        host(C(s_qr, generic(3, 3))),
        host(C(s_qr, generic(2, 4))),
        host(C(s_qr_economic_pivoting, generic(5, 3))),
        host(C(s_qr_r, generic(4, 3))),
    ],
    L.scipy_qr_jvp: [host(C(t_scipy_qr_jvp, generic(4, 3), a(4, 3)))],
    L.scipy_qr_jvp2: [host(C(t_scipy_qr_jvp2, generic(4, 3), a(4, 3), a(4, 3), a(4, 3), diff=(1, 2, 3)))],
    sl.inv: [host(C(s_inv if _INV_ASSUME_A else s_inv_plain, _SPD3 + 0.5 * a(3, 3)))],
    sl.det: [host(C(s_det, _SPD3 + 0.5 * a(3, 3)))],
    sl.solve: [host(C(s_solve, _SPD3, a(3)))],
    L.scipy_solve: [host(C(t_scipy_solve, _SPD3 + 0.2 * a(3, 3), a(3, 2)))],
    L.solve_dA: [C(t_solve_dA, a(3, 3) + 1j * a(3, 3))],
}
