"""Rules for tangent_fwd's own runtime helpers, so generated code can itself be differentiated
(forward-over-forward: ``forward_diff(forward_diff(f))``)."""
from .. import runtime as rt
from ..registry import defjvp, deflinear, defzero

# ------------------------------------------------------------------ structural
defzero(rt.zeros_like)
defzero(rt.sign)
deflinear(rt.fresh, "tangent")
deflinear(rt.snapshot, "value")
deflinear(rt.iset, "tangent, value", linear_in=("value",))
defjvp(rt.log, "xp, x", None, "dx / x")
# ------------------------------------------------------------------ rules' helpers: linear in the tangent, piecewise constant in x
deflinear(rt.extremum_jvp, "xp, x, dx, ans, axis=None, keepdims=False", linear_in=("dx",))
deflinear(rt.builtin_extremum_jvp, "values, tangents, ans", linear_in=("tangents",))
deflinear(rt.var_jvp, "xp, x, dx, axis=None, ddof=0, keepdims=False", linear_in=("x", "dx"))
deflinear(rt.expand, "tangent, ans")
deflinear(rt.where_like, "xp, cond, tangent, ref", linear_in=("tangent",))
deflinear(rt.astype_tangent, "tangent, dtype")
