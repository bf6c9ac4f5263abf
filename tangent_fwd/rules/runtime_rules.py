"""Rules for tangent_fwd's own runtime helpers, so generated code can itself be differentiated
(forward-over-forward: ``forward_diff(forward_diff(f))``)."""

from .. import runtime as rt
from ..registry import defjvp, deflinear, defzero

# ------------------------------------------------------------------ structural
defzero(rt.zeros_like)
defzero(rt.sign)
deflinear(rt.fresh, "tangent")
deflinear(rt.snapshot, "value")
defjvp(
    rt.iset, "tangent, value, primal=None", None, "rt.iset(rt.zeros_like(tangent), dvalue, primal)", None
)  # the result is value (written into tangent): not linear in tangent
defjvp(rt.log, "xp, x", None, "dx / x")
# ------------------------------------------------------------------ rules' helpers: linear in the tangent, piecewise constant in x
deflinear(rt.extremum_jvp, "xp, x, dx, ans, axis=None, keepdims=False", linear_in=("dx",))
deflinear(rt.builtin_extremum_jvp, "values, tangents, ans", linear_in=("tangents",))
deflinear(rt.var_jvp, "xp, x, dx, axis=None, ddof=0, keepdims=False", linear_in=("x", "dx"))
deflinear(rt.expand, "tangent, ans")
deflinear(rt.where_like, "xp, cond, tangent, ref", linear_in=("tangent",))
deflinear(rt.astype_tangent, "tangent, dtype")
deflinear(rt.items_tangent, "tangent_dict")
# ------------------------------------------------------------------ helpers of the sum/divmod/diff/pad/sort/median/hypot/abs/det rules
deflinear(rt.seq_sum, "tangents")
deflinear(rt.TangentTuple, "iterable=()")
deflinear(
    rt.diff_jvp, "xp, a, da, n, axis, prepend, dprepend, append, dappend", linear_in=("da", "dprepend", "dappend")
)
deflinear(rt.pad_jvp, "xp, da, pad_width, mode='constant', stat_length=None, reflect_type='even'", linear_in=("da",))
deflinear(rt.pad_values_jvp, "xp, array, pad_width, mode, dvalues", linear_in=("dvalues",))
deflinear(rt.sort_jvp, "xp, a, da, axis=-1", linear_in=("da",))
deflinear(rt.median_jvp, "xp, a, da, axis=None, keepdims=False", linear_in=("da",))
deflinear(rt.abs_jvp, "xp, x, t", linear_in=("t",))
defjvp(
    rt.hypot_jvp,
    "xs, ts, r",
    "rt.hypot_jvp(dxs, ts, r)",
    "rt.hypot_jvp(xs, dts, r)",
    "-dr * rt.hypot_jvp(xs, ts, r) / r",
)
defjvp(
    rt.det_jvp,
    "xp, x, t, d",
    None,
    "-d * np.trace(np.linalg.solve(x, dx @ np.linalg.solve(x, t)), axis1=-2, axis2=-1)",
    "rt.det_jvp(np, x, dt, d)",
    "dd * np.trace(np.linalg.solve(x, t), axis1=-2, axis2=-1)",
)
deflinear(rt.get_default_tangent, "mapping, key, ddefault", linear_in=("ddefault",))
deflinear(rt.zip_tangent, "tangents")
deflinear(rt.enumerate_tangent, "tangent")
deflinear(rt.breshape, "tangent, *shape, order='C'", linear_in=("tangent",))
deflinear(rt.bravel, "tangent, order='C'", linear_in=("tangent",))
deflinear(rt.basarray, "xp, tangent", linear_in=("tangent",))
