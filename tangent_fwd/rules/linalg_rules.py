"""JVP rules for NumPy's linalg decompositions and scipy.linalg (registered on import by rules/__init__).

The tangents are the textbook ones (JAX's conventions; see jvp_helpers/linalg.py for the caveats:
one triangle of a Hermitian input is read, vectors of repeated eigen/singular values are refused).
Cholesky, pinv and expm are compositions of ops that have rules, so they differentiate to any order;
the decompositions' helpers come in pairs (first derivative, second derivative from the same formula),
and a third derivative of those is refused at run time (``NotDifferentiableHere``)."""

import numpy as np

from ..jvp_helpers import linalg as L
from ..registry import defattr_linear, defjvp, deflinear, defzero

# ------------------------------------------------------------------ the helpers' own rules (forward over forward)
deflinear(L.ct, "xp, x", linear_in=("x",))
deflinear(L.ct_if, "xp, x, flag", linear_in=("x",))
deflinear(L.herm, "xp, t, uplo='L'", linear_in=("t",))
deflinear(L.phi, "xp, x", linear_in=("x",))
deflinear(L.tri, "xp, c, lower", linear_in=("c",))
deflinear(L.other_tri, "xp, c, lower", linear_in=("c",))
deflinear(L.corner, "xp, m", linear_in=("m",))
defjvp(
    L.trisolve,
    "xp, a, b, lower=True",
    None,
    "-rt.linalg.trisolve(np, a, rt.linalg.tri(np, da, lower) @ ans, lower)",
    "rt.linalg.trisolve(np, a, db, lower)",
)
deflinear(L.flat_axes, "xp, x, axis", linear_in=("x",))
defzero(L.svd_cond)
defzero(L.svd_norm)


def _pair_rules(name, params, primal, linear):
    """Rules for ``rt.linalg.<name>`` (linear in the ``linear`` arguments, nonlinear in the ``primal``
    ones, whose tangents come from ``<name>2``) and for ``<name>2`` (linear in the tangent and direction
    arguments; a third derivative through a primal argument is refused)."""
    names = [p.strip() for p in params.split(",")]
    diff = [n for n in names if n in primal or n in linear]
    first, second = getattr(L, name), getattr(L, name + "2")

    def call(fn, args, dirs):
        return f"rt.linalg.{fn}(np, {', '.join(args + dirs)})"

    partials = []
    for n in names:
        if n not in diff:
            partials.append(None)
        else:
            partials.append(call(name + "2", names, [("d" + n) if m == n else "None" for m in diff]))
    defjvp(first, "xp, " + params, None, *partials)
    dirs = [f"{n}_dot" for n in diff]
    partials2 = []
    for n in names:
        if n in primal:
            partials2.append(f"rt.unsupported(np, 'the third derivative of numpy.linalg.{name[:-4]}')")
        elif n in linear:  # linear in n: the direction terms with n replaced by its tangent
            args = [("d" + m) if m == n else m for m in names]
            partials2.append(call(name + "2", args, [d if m in primal else "None" for m, d in zip(diff, dirs)]))
        else:
            partials2.append(None)
    for d in dirs:  # linear in each direction
        partials2.append(call(name + "2", names, [("d" + d) if e == d else "None" for e in dirs]))
    defjvp(second, "xp, " + params + ", " + ", ".join(dirs), None, *partials2)


for _name, (_params, _primal, _linear) in L.PAIRS.items():
    _pair_rules(_name, _params, _primal, _linear)

# ------------------------------------------------------------------ numpy.linalg
# the fields of the results (EighResult, EigResult, SVDResult, QRResult): the tangent's same field
for _field in ("eigenvalues", "eigenvectors", "U", "S", "Vh", "Q", "R"):
    defattr_linear(_field, view=True)
# cholesky: dL = L phi(L^-1 dA L^-H), dA read from the triangle LAPACK reads (upper: U = L^H)
_LM = "rt.linalg.ct_if(np, ans, upper)"
CHOLESKY = (
    f"rt.linalg.ct_if(np, {_LM} @ rt.linalg.phi(np, rt.linalg.trisolve(np, {_LM}, rt.linalg.ct(np, "
    f"rt.linalg.trisolve(np, {_LM}, rt.linalg.herm(np, da, not upper), True)), True)), upper)"
)
defjvp(np.linalg.cholesky, "a, /, *, upper=False", CHOLESKY)
defjvp(np.linalg.eigh, "a, UPLO='L'", "rt.linalg.eigh_jvp(np, ans, da, UPLO)")
defjvp(np.linalg.eigvalsh, "a, UPLO='L'", "rt.linalg.eigvalsh_jvp(np, a, da, UPLO)")
defjvp(np.linalg.eig, "a", "rt.linalg.eig_jvp(np, ans, da)")
defjvp(np.linalg.eigvals, "a", "rt.linalg.eigvals_jvp(np, a, da)")
defjvp(
    np.linalg.svd,
    "a, full_matrices=True, compute_uv=True, hermitian=False",
    "rt.linalg.svd_jvp(np, a, ans, da, compute_uv, hermitian)",
)
if hasattr(np.linalg, "svdvals"):  # NumPy >= 2.0
    defjvp(np.linalg.svdvals, "x, /", "rt.linalg.svd_jvp(np, x, ans, dx, False, False)")
defjvp(np.linalg.qr, "a, mode='reduced'", "rt.linalg.qr_jvp(np, a, ans, da, mode)")
defjvp(np.linalg.pinv, "a, rcond=None, hermitian=False, *, rtol=None", "rt.linalg.pinv_jvp(np, a, ans, da, hermitian)")
defjvp(
    np.linalg.lstsq,
    "a, b, rcond=None",
    "rt.linalg.lstsq_jvp(np, a, b, ans, da, None, rcond)",
    "rt.linalg.lstsq_jvp(np, a, b, ans, None, db, rcond)",
)
defjvp(np.linalg.matrix_power, "a, n", "rt.linalg.matrix_power_jvp(np, a, da, n)", None)
defjvp(np.linalg.multi_dot, "arrays, *, out=None", "rt.linalg.multi_dot_jvp(np, arrays, darrays)")
# norm: the nuclear and spectral matrix norms through the singular values (second derivative too); the
# other orders through rt.norm_jvp
NORM = (
    "(rt.linalg.matrix_norm_jvp(np, x, dx, ord, axis, keepdims) if rt.linalg.svd_norm(x, ord, axis)"
    " else rt.norm_jvp(np, x, dx, ans, ord, axis, keepdims))"
)
defjvp(np.linalg.norm, "x, ord=None, axis=None, keepdims=False", NORM)
if hasattr(np.linalg, "vector_norm"):  # NumPy >= 2.0: the array-API forms
    _F = "rt.linalg.flat_axes(np, {}, axis)"
    defjvp(
        np.linalg.vector_norm,
        "x, /, *, axis=None, keepdims=False, ord=2",
        f"np.reshape(rt.norm_jvp(np, {_F.format('x')}, {_F.format('dx')}, "
        f"np.reshape(ans, np.shape({_F.format('x')})[:-1]), ord, -1, False), np.shape(ans))",
    )
    defjvp(
        np.linalg.matrix_norm,
        "x, /, *, keepdims=False, ord='fro'",
        NORM.replace("axis", "(-2, -1)"),
    )
    deflinear(np.linalg.outer, "x1, x2, /", linear_in=("x1", "x2"))
    deflinear(np.linalg.vecdot, "x1, x2, /, *, axis=-1", linear_in=("x1", "x2"))  # sum(conj(x1) x2): real-bilinear
if hasattr(np, "vecdot"):
    deflinear(np.vecdot, "x1, x2, /, out=None, *, axis=None, axes=None, keepdims=False", linear_in=("x1", "x2"))
defzero(np.linalg.matrix_rank)
# tensorsolve: dx = -tensorsolve(a, da . x) (da's axes ordered as tensorsolve orders a's)
defjvp(
    np.linalg.tensorsolve,
    "a, b, axes=None",
    "-np.linalg.tensorsolve(a, np.tensordot(rt.linalg.tensor_axes(np, da, axes), ans, ans.ndim), axes)",
    "np.linalg.tensorsolve(a, db, axes)",
)
deflinear(L.tensor_axes, "xp, a, axes", linear_in=("a",))
# cond(x, p): from the singular values for p in (None, 2, -2), else norm(x, p) * norm(inv(x), p)
_XI = "np.linalg.inv(x)"
_N = "np.linalg.norm({}, p, (-2, -1))"
COND_NORMS = (
    f"rt.norm_jvp(np, x, dx, {_N.format('x')}, p, (-2, -1)) * {_N.format(_XI)}"
    f" + {_N.format('x')} * rt.norm_jvp(np, {_XI}, -({_XI} @ dx @ {_XI}), {_N.format(_XI)}, p, (-2, -1))"
)
defjvp(np.linalg.cond, "x, p=None", f"(rt.linalg.cond_jvp(np, x, dx, p) if rt.linalg.svd_cond(p) else {COND_NORMS})")

# ------------------------------------------------------------------ scipy.linalg (only when SciPy is there)
try:
    import scipy.linalg as _sl
except ImportError:  # pragma: no cover - SciPy is optional
    _sl = None

if _sl is not None:
    # expm: the Frechet derivative is the corner of expm([[A, dA], [0, A]]), itself expm of a matrix
    # linear in (A, dA), so every order follows from this one rule
    EXPM = "rt.linalg.corner(np, rt.linalg.expm(np, rt.linalg.block(np, {}, {})))"
    defjvp(_sl.expm, "A", EXPM.format("A", "dA"))
    defjvp(L.expm, "xp, x", None, EXPM.format("x", "dx"))
    defjvp(
        L.block,
        "xp, a, b",
        None,
        "rt.linalg.block(np, da, np.zeros_like(da))",
        "rt.linalg.block(np, np.zeros_like(db), db)",
    )
    # solve_triangular: x = op(T)^-1 b, dx = -op(T)^-1 op(dT) x (dT: the triangle read, unit diagonal dropped)
    ST = "trans=0, lower=False, unit_diagonal=False, overwrite_b=False, check_finite=True"
    ST_ARGS = "trans, lower, unit_diagonal"
    ST_A = f"-rt.linalg.solve_triangular(np, a, rt.linalg.tri_op(np, da, {ST_ARGS}) @ ans, {ST_ARGS})"
    ST_B = f"rt.linalg.solve_triangular(np, a, db, {ST_ARGS})"
    defjvp(_sl.solve_triangular, "a, b, " + ST, ST_A, ST_B)
    defjvp(
        L.solve_triangular, "xp, a, b, trans=0, lower=False, unit_diagonal=False, check_finite=True", None, ST_A, ST_B
    )
    deflinear(L.tri_op, "xp, t, trans=0, lower=False, unit_diagonal=False", linear_in=("t",))
    # cholesky / cho_factor: NumPy's cholesky tangent on the factor's triangle; cho_factor keeps the
    # input in the other triangle, so its tangent there is da's
    _SCHOL = CHOLESKY.replace("upper", "(not lower)")
    defjvp(_sl.cholesky, "a, lower=False, overwrite_a=False, check_finite=True", _SCHOL)
    _CF = _SCHOL.replace("ans", "rt.linalg.tri(np, ans[0], lower)")
    defjvp(
        _sl.cho_factor,
        "a, lower=False, overwrite_a=False, check_finite=True",
        f"rt.TangentTuple(({_CF} + rt.linalg.other_tri(np, da, lower), rt.zeros_like(ans[1])))",
    )
    # cho_solve: A = F F^H from the factor's triangle, dx = -A^-1 dA x
    CS_C = (
        "-rt.linalg.cho_solve(np, c_and_lower, rt.linalg.cho_dA(np, c_and_lower[0], dc_and_lower[0], "
        "c_and_lower[1]) @ ans, check_finite)"
    )
    CS_B = "rt.linalg.cho_solve(np, c_and_lower, db, check_finite)"
    defjvp(_sl.cho_solve, "c_and_lower, b, overwrite_b=False, check_finite=True", CS_C, CS_B)
    defjvp(L.cho_solve, "xp, c_and_lower, b, check_finite=True", None, CS_C, CS_B)
    deflinear(L.cho_dA, "xp, c, t, lower", linear_in=("c", "t"), constant=("lower",))
    # lu_solve: A = P L U, dx = -A^-1 dA x (w.r.t. the packed factors; the pivots are integers)
    LU_F = (
        "-rt.linalg.lu_solve(np, lu_and_piv, rt.linalg.lu_dA_x(np, lu_and_piv[0], dlu_and_piv[0], "
        "lu_and_piv[1], ans, trans), trans, check_finite)"
    )
    LU_B = "rt.linalg.lu_solve(np, lu_and_piv, db, trans, check_finite)"
    defjvp(_sl.lu_solve, "lu_and_piv, b, trans=0, overwrite_b=False, check_finite=True", LU_F, LU_B)
    defjvp(L.lu_solve, "xp, lu_and_piv, b, trans=0, check_finite=True", None, LU_F, LU_B)
    defjvp(
        L.lu_dA_x,
        "xp, lu, t, piv, x, trans=0",
        None,
        "rt.linalg.lu_dA_x_dlu(np, dlu, t, piv, x, trans)",
        "rt.linalg.lu_dA_x(np, lu, dt, piv, x, trans)",
        None,
        "rt.linalg.lu_dA_x(np, lu, t, piv, dx, trans)",
    )
    deflinear(L.lu_dA_x_dlu, "xp, e, t, piv, x, trans=0", linear_in=("e", "t", "x"))
    # lu_factor: P^T A = L U, X = L^-1 P^T dA U^-1, dL = L tril(X, -1), dU = triu(X) U (packed)
    _LL, _UU = "rt.linalg.unit_lower(np, ans[0])", "np.triu(ans[0])"
    _X = (
        f"rt.linalg.ct(np, np.linalg.solve(rt.linalg.ct(np, {_UU}), rt.linalg.ct(np, np.linalg.solve({_LL}, "
        "rt.linalg.permute_rows(np, da, ans[1])))))"
    )
    defjvp(
        _sl.lu_factor,
        "a, overwrite_a=False, check_finite=True",
        f"rt.TangentTuple(({_LL} @ np.tril({_X}, -1) + np.triu({_X}) @ {_UU}, rt.zeros_like(ans[1])))",
    )
    defjvp(L.unit_lower, "xp, lu", None, "np.tril(dlu, -1)")
    deflinear(L.permute_rows, "xp, x, piv", linear_in=("x",), constant=("piv",))
    # eigh / eigvalsh (standard problem, all eigenvalues) and svd / svdvals: NumPy's formulas
    _T = "rt.linalg.standard_only(np, da, b, subset_by_index, subset_by_value)"
    _U = "('L' if lower else 'U')"
    EIGH_KW = (
        "*, lower=True, overwrite_a=False, overwrite_b=False, type=1, check_finite=True, subset_by_index=None, "
        "subset_by_value=None, driver=None"
    )
    defjvp(
        _sl.eigh,
        "a, b=None, " + EIGH_KW.replace("*, ", "*, eigvals_only=False, ", 1),
        f"(rt.linalg.eigvalsh_jvp(np, a, {_T}, {_U}) if eigvals_only else rt.linalg.eigh_jvp(np, ans, {_T}, {_U}))",
    )
    defjvp(_sl.eigvalsh, "a, b=None, " + EIGH_KW, f"rt.linalg.eigvalsh_jvp(np, a, {_T}, {_U})")
    deflinear(L.standard_only, "xp, t, b=None, subset_by_index=None, subset_by_value=None", linear_in=("t",))
    defjvp(
        _sl.svd,
        "a, full_matrices=True, compute_uv=True, overwrite_a=False, check_finite=True, lapack_driver='gesdd'",
        "rt.linalg.svd_jvp(np, a, ans, da, compute_uv, False)",
    )
    defjvp(_sl.svdvals, "a, overwrite_a=False, check_finite=True", "rt.linalg.svd_jvp(np, a, ans, da, False, False)")
    # pinv: NumPy's formula at SciPy's own rank cutoff (the rank held fixed)
    defjvp(
        _sl.pinv,
        "a, *, atol=None, rtol=None, return_rank=False, check_finite=True",
        "(rt.TangentTuple((rt.linalg.pinv_jvp(np, a, ans[0], da, False), rt.zeros_like(ans[1]))) if return_rank"
        " else rt.linalg.pinv_jvp(np, a, ans, da, False))",
    )
    defjvp(
        _sl.qr,
        "a, overwrite_a=False, lwork=None, mode='full', pivoting=False, check_finite=True",
        "rt.linalg.scipy_qr_jvp(np, a, ans, da, mode, pivoting)",
    )
    # inv / det / solve: NumPy's rules (solve reads one triangle for the symmetric kinds)
    defjvp(
        _sl.inv,
        "a, overwrite_a=False, check_finite=True, *, assume_a=None, lower=False",
        "-(ans @ rt.linalg.solve_dA(np, da, lower, assume_a) @ ans)",
    )
    defjvp(_sl.det, "a, overwrite_a=False, check_finite=True", "rt.det_jvp(np, a, da, ans)")
    SP = "lower, assume_a, transposed, check_finite"
    SOLVE_A = f"-rt.linalg.scipy_solve(np, a, rt.linalg.solve_dA(np, da, lower, assume_a, transposed) @ ans, {SP})"
    SOLVE_B = f"rt.linalg.scipy_solve(np, a, db, {SP})"
    defjvp(
        _sl.solve,
        "a, b, lower=False, overwrite_a=False, overwrite_b=False, check_finite=True, assume_a=None, transposed=False",
        SOLVE_A,
        SOLVE_B,
    )
    defjvp(
        L.scipy_solve,
        "xp, a, b, lower=False, assume_a=None, transposed=False, check_finite=True",
        None,
        SOLVE_A,
        SOLVE_B,
    )
    deflinear(L.solve_dA, "xp, t, lower=False, assume_a=None, transposed=False", linear_in=("t",))
