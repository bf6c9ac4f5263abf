"""Rule cases for SciPy's linear builders and filters (tangent_fwd/rules/scipy_rules.py,
``_register_linear``): scipy.linalg.toeplitz/hankel/circulant/block_diag, scipy.spatial.distance.squareform,
scipy.signal's lfilter (in b, a and x), sosfilt, filtfilt, savgol_filter and the convolutions, and the
``rt.special`` helpers their tangents call (each with a rule, so ``hessian`` works through them); and
scipy.linalg's structured solvers (solve_banded, solveh_banded, solve_toeplitz, solve_sylvester,
solve_continuous_lyapunov) and matrix functions (logm, sqrtm, fractional_matrix_power).

SciPy computes these on the host only, so the cases run on the NumPy backend (``strict = False``)."""

import numpy as np
import scipy.linalg as sl
import scipy.signal as ss
import scipy.spatial.distance as dist
from rule_cases import C, a, pos

from tangent_fwd import runtime as rt

S = rt.special
_B = np.array([1.0, 0.5, 0.25])
_A = np.array([1.0, -0.3, 0.1])
_SOS = np.array([[1.0, 0.5, 0.0, 1.0, -0.3, 0.0], [1.0, -0.2, 0.1, 1.0, 0.2, 0.05]])


def _host(case):
    case.strict = False
    return case


def toeplitz_c(c):
    return sl.toeplitz(c) ** 2


def toeplitz_cr(c, r):
    return np.sin(sl.toeplitz(c, r))


def hankel_c(c):
    return sl.hankel(c) * 3.0


def hankel_cr(c, r):
    return sl.hankel(c, r) ** 2


def circulant_c(c):
    return np.cos(sl.circulant(c))


def block_diag_two(x, y):
    return sl.block_diag(x, y) ** 2


def block_diag_one_constant(x):
    return sl.block_diag(np.ones((1, 2)), x) * 2.0


def squareform_vector(v):
    return dist.squareform(v) ** 2


def squareform_matrix(x):
    m = x + x.T
    m = m - np.diag(np.diag(m))
    return dist.squareform(m) ** 2


def lfilter_all(b, a_, x):
    return ss.lfilter(b, a_, x) ** 2


def lfilter_x_with_state(x):
    y, zf = ss.lfilter(_B, _A, x, zi=np.array([0.3, -0.2]))
    return y**2, zf * 2.0


def sosfilt_x(x):
    return ss.sosfilt(_SOS, x) ** 2


def filtfilt_x(x):
    return ss.filtfilt(_B, _A, x) ** 2


def savgol_x(x):
    return ss.savgol_filter(x, 5, 2) ** 2


def savgol_constant(x):
    return ss.savgol_filter(x, 5, 2, mode="constant", cval=0.7) ** 2


def convolve_both(x, y):
    return ss.convolve(x, y) ** 2


def correlate_same(x, y):
    return ss.correlate(x, y, mode="same") ** 2


def fftconvolve_both(x, y):
    return ss.fftconvolve(x, y) ** 2


def oaconvolve_both(x, y):
    return ss.oaconvolve(x, y, mode="valid") ** 2


def h_toeplitz_dc(t):
    return S.toeplitz_dc(np, t, None) * 2.0


def h_toeplitz_dr(t):
    return S.toeplitz_dr(np, np.ones(3), t) * 2.0


def h_hankel_dc(t):
    return S.hankel_dc(np, t, np.ones(2)) * 2.0


def h_hankel_dr(t):
    return S.hankel_dr(np, np.ones(3), t) * 2.0


def h_block_diag(t, u):
    return S.block_diag(np, (np.ones((2, 2)), np.ones(2)), (t, u)) * 2.0


def h_squareform(t):
    return S.squareform(np, t) * 2.0


def h_lfilter_dx(b, a_, t):
    return S.lfilter_dx(np, b, a_, t) ** 2


def h_lfilter_db(v, a_, x):
    return S.lfilter_db(np, v, a_, x) ** 2


def h_lfilter_da(u, a_, y):
    return S.lfilter_da(np, u, a_, y) ** 2


def h_sosfilt_dx(t):
    return S.sosfilt_dx(np, _SOS, t) ** 2


def _banded():
    """A diagonally dominant (1, 1)-banded matrix in solve_banded's layout."""
    return np.array([[0.0, 0.3, 0.2, -0.1], [2.1, 2.2, 2.3, 2.0], [0.1, 0.4, -0.2, 0.0]]) + 0.05 * a(3, 4)


def _spd(n=3):
    m = a(n, n) * 0.3 + 2.0 * np.eye(n)
    return m @ m.T


def solve_banded_both(ab, b):
    return sl.solve_banded((1, 1), ab, b) ** 2


def solveh_banded_upper(ab, b):
    return sl.solveh_banded(ab, b) ** 2


def solveh_banded_lower(ab, b):
    return sl.solveh_banded(ab, b, lower=True) ** 2


def solve_toeplitz_c(c, b):
    return sl.solve_toeplitz(c, b) ** 2


def solve_toeplitz_cr(c, r, b):
    return sl.solve_toeplitz((c, r), b) ** 2


def sylvester_all(a_, b, q):
    return sl.solve_sylvester(a_, b, q) ** 2


def lyapunov_both(a_, q):
    return sl.solve_continuous_lyapunov(a_, q) ** 2


def logm_spd(x):
    return sl.logm(x) * 2.0


def sqrtm_spd(x):
    return sl.sqrtm(x) ** 2


def fmp_spd(x):
    return sl.fractional_matrix_power(x, 0.3) * 2.0


def h_banded_matvec(ab, x):
    return S.banded_matvec(np, (1, 1), ab, x) ** 2


def h_hbanded_matvec(ab, x):
    return S.hbanded_matvec(np, ab, x) ** 2


def h_toeplitz_matvec(c, x):
    return S.toeplitz_matvec(np, c, x) ** 2


def h_banded_solve(ab, rhs):
    return S.banded_solve(np, (1, 1), ab, rhs) ** 2


def h_hbanded_solve(ab, rhs):
    return S.hbanded_solve(np, ab, rhs) ** 2


def h_toeplitz_solve(c, rhs):
    return S.toeplitz_solve(np, c, rhs) ** 2


def h_sylvester(a_, b, q):
    return S.sylvester(np, a_, b, q) ** 2


def h_lyapunov(a_, q):
    return S.lyapunov(np, a_, q) ** 2


def h_frechet(x, e):
    return S.frechet(np, "expm", x, e) ** 2


def lstsq_tall(a_, b):
    x, res, rank, sv = sl.lstsq(a_, b)
    return x**2, res * 2.0, sv


def lstsq_matrix_rhs(a_, b):
    x, res, rank, sv = sl.lstsq(a_, b)
    return x * 3.0, res


def h_sl_lstsq_ans(x, r):
    out = S.sl_lstsq_ans(np, (x, r, 3, x))
    return out[0] * 2.0, out[1] ** 2


def h_sl_lstsq_out(t, r):
    out = S.sl_lstsq_out(np, (t, r, 0.0, t), (t, np.float64(1.0), 3, t))
    return out[0] * 2.0, out[1] * 3.0


def pdist_metrics(x):
    return (
        dist.pdist(x) ** 2
        + dist.pdist(x, "sqeuclidean")
        + dist.pdist(x, metric="cityblock") * 2.0
        + dist.pdist(x, "minkowski", p=3.0)
        + dist.pdist(x, "cosine")
        + dist.pdist(x, "correlation")
        + dist.pdist(x, "chebyshev")
    )


def pdist_weighted(x):
    return dist.pdist(x, "euclidean", w=np.array([0.5, 1.0, 2.0])) + dist.pdist(x, "seuclidean", V=np.ones(3) * 2.0)


def cdist_metrics(xa, xb):
    return dist.cdist(xa, xb) ** 2 + dist.cdist(xa, xb, "cosine") + dist.cdist(xa, xb, "mahalanobis", VI=np.eye(3))


def h_pdist_jvp(t):
    x = np.array([[0.1, 0.5, 0.9], [1.0, -0.2, 0.3], [0.4, 0.4, -0.6]])
    return S.pdist_jvp(np, x, t, "euclidean", dist.pdist(x)) * 2.0


def h_cdist_jvp(t, u):
    xa = np.array([[0.1, 0.5, 0.9], [1.0, -0.2, 0.3]])
    xb = np.array([[0.4, 0.4, -0.6], [0.2, 0.9, 0.1]])
    return S.cdist_jvp(np, xa, t, xb, u, "cityblock", dist.cdist(xa, xb, "cityblock")) * 2.0


_PIVOT = np.array([[0.1, 2.0, 1.0, 0.3], [3.0, 0.2, 1.0, -0.5], [1.0, 1.0, 4.0, 0.2], [0.5, -1.0, 0.3, 2.5]])


def lu_plain(x):
    p, lo, up = sl.lu(x)
    return lo * 2.0, up**2


def lu_permute_l(x):
    pl, up = sl.lu(x, permute_l=True)
    return pl * 3.0, up


def lu_indices(x):
    _, lo, up = sl.lu(x, p_indices=True)
    return lo + 1.0, up * 2.0


def h_lu_jvp(t):
    x = _PIVOT
    return S.lu_jvp(np, x, t, sl.lu(x))[1] * 2.0


def convolve2d_fill(x, k):
    return ss.convolve2d(x, k, mode="same", fillvalue=0.5) ** 2


def correlate2d_full(x, k):
    return ss.correlate2d(x, k) * 2.0


def h_conv2d(x, k):
    return S.conv2d(np, x, k, "same", "fill", 0.5) ** 2


_HB = np.array([[0.0, 0.3, 0.2, -0.1], [2.1, 2.2, 2.3, 2.0]])
_TOE = np.array([2.0, 0.3, 0.1])


def _filter_coefficients():
    return _B + 0.1 * a(3), _A + np.array([0.0, 0.1, -0.05]) * a(3)


_b, _a = _filter_coefficients()

CASES = {
    sl.toeplitz: [_host(C(toeplitz_c, a(4))), _host(C(toeplitz_cr, a(3), a(4)))],
    sl.hankel: [_host(C(hankel_c, a(4))), _host(C(hankel_cr, a(3), a(4)))],
    sl.circulant: [_host(C(circulant_c, a(4)))],
    sl.block_diag: [_host(C(block_diag_two, a(2, 2), a(1, 3))), _host(C(block_diag_one_constant, a(2, 2)))],
    dist.squareform: [_host(C(squareform_vector, a(6))), _host(C(squareform_matrix, a(4, 4)))],
    ss.lfilter: [_host(C(lfilter_all, _b, _a, a(8))), _host(C(lfilter_x_with_state, a(8)))],
    ss.sosfilt: [_host(C(sosfilt_x, a(8)))],
    ss.filtfilt: [_host(C(filtfilt_x, a(20)))],
    ss.savgol_filter: [_host(C(savgol_x, a(9))), _host(C(savgol_constant, a(9)))],
    ss.convolve: [_host(C(convolve_both, a(5), a(3)))],
    ss.correlate: [_host(C(correlate_same, a(5), a(3)))],
    ss.fftconvolve: [_host(C(fftconvolve_both, a(5), a(3)))],
    ss.oaconvolve: [_host(C(oaconvolve_both, a(6), a(3)))],
    S.toeplitz_dc: [_host(C(h_toeplitz_dc, a(3)))],
    S.toeplitz_dr: [_host(C(h_toeplitz_dr, a(3)))],
    S.hankel_dc: [_host(C(h_hankel_dc, a(3)))],
    S.hankel_dr: [_host(C(h_hankel_dr, a(2)))],
    S.block_diag: [_host(C(h_block_diag, a(2, 2), a(2)))],
    S.squareform: [_host(C(h_squareform, a(6)))],
    S.lfilter_dx: [_host(C(h_lfilter_dx, _b, _a, a(8)))],
    S.lfilter_db: [_host(C(h_lfilter_db, a(3), _a, pos(8)))],
    S.lfilter_da: [_host(C(h_lfilter_da, a(3), _a, pos(8)))],
    S.sosfilt_dx: [_host(C(h_sosfilt_dx, a(8)))],
    sl.solve_banded: [_host(C(solve_banded_both, _banded(), a(4)))],
    sl.solveh_banded: [
        _host(C(solveh_banded_upper, _HB + 0.05 * a(2, 4), a(4))),
        _host(C(solveh_banded_lower, _HB[::-1] + 0.05 * a(2, 4), a(4, 2))),
    ],
    sl.solve_toeplitz: [
        _host(C(solve_toeplitz_c, _TOE + 0.05 * a(3), a(3))),
        _host(C(solve_toeplitz_cr, _TOE + 0.05 * a(3), _TOE + 0.05 * a(3), a(3))),
    ],
    sl.solve_sylvester: [_host(C(sylvester_all, _spd(), _spd(), a(3, 3)))],
    sl.solve_continuous_lyapunov: [_host(C(lyapunov_both, -_spd(), a(3, 3)))],
    sl.logm: [_host(C(logm_spd, _spd(), rtol=1e-5))],
    sl.sqrtm: [_host(C(sqrtm_spd, _spd(), rtol=1e-5))],
    sl.fractional_matrix_power: [_host(C(fmp_spd, _spd(), rtol=1e-5))],
    S.banded_matvec: [_host(C(h_banded_matvec, a(3, 4), a(4)))],
    S.hbanded_matvec: [_host(C(h_hbanded_matvec, a(2, 4), a(4)))],
    S.toeplitz_matvec: [_host(C(h_toeplitz_matvec, a(3), a(3)))],
    S.banded_solve: [_host(C(h_banded_solve, _banded(), a(4)))],
    S.hbanded_solve: [_host(C(h_hbanded_solve, _HB + 0.05 * a(2, 4), a(4)))],
    S.toeplitz_solve: [_host(C(h_toeplitz_solve, _TOE + 0.05 * a(3), a(3)))],
    S.sylvester: [_host(C(h_sylvester, _spd(), _spd(), a(3, 3)))],
    S.lyapunov: [_host(C(h_lyapunov, -_spd(), a(3, 3)))],
    S.frechet: [_host(C(h_frechet, a(3, 3) * 0.3, a(3, 3), diff=(1,)))],
    sl.lstsq: [
        _host(C(lstsq_tall, a(5, 3) + np.eye(5, 3), a(5))),
        _host(C(lstsq_matrix_rhs, a(5, 3) + np.eye(5, 3), a(5, 2))),
    ],
    S.sl_lstsq_ans: [_host(C(h_sl_lstsq_ans, a(3), a(1)))],
    S.sl_lstsq_out: [_host(C(h_sl_lstsq_out, a(3), a(1)))],
    sl.lu: [
        _host(C(lu_plain, _PIVOT + 0.05 * a(4, 4))),
        _host(C(lu_permute_l, _PIVOT + 0.05 * a(4, 4))),
        _host(C(lu_indices, _PIVOT + 0.05 * a(4, 4))),
    ],
    S.lu_jvp: [_host(C(h_lu_jvp, a(4, 4)))],
    ss.convolve2d: [_host(C(convolve2d_fill, a(4, 5), a(2, 3)))],
    ss.correlate2d: [_host(C(correlate2d_full, a(3, 4), a(2, 2)))],
    S.conv2d: [_host(C(h_conv2d, a(4, 5), a(2, 3)))],
    dist.pdist: [_host(C(pdist_metrics, a(4, 3))), _host(C(pdist_weighted, a(4, 3)))],
    dist.cdist: [_host(C(cdist_metrics, a(3, 3), a(2, 3)))],
    S.pdist_jvp: [_host(C(h_pdist_jvp, a(3, 3)))],
    S.cdist_jvp: [_host(C(h_cdist_jvp, a(2, 3), a(2, 3)))],
}
