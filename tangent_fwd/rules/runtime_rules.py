"""Rules for tangent_fwd's own runtime helpers, so generated code can itself be differentiated
(forward-over-forward: ``forward_diff(forward_diff(f))``)."""

from .. import runtime as rt
from ..registry import _defjoint, defjvp, deflinear, defzero

# ------------------------------------------------------------------ structural
defzero(rt.zeros_like)
defzero(rt.sign)
deflinear(rt.fresh, "tangent")
deflinear(rt.own, "tangent")
deflinear(rt.fresh_full, "tangent, ans", constant=("ans",))
deflinear(rt.snapshot, "value")
# the result is value written into tangent's array: its tangent is dvalue written into dtangent's
# array in place (views of dtangent see it, as views of tangent see the first-order write); a
# constant tangent or value contributes zeros
_defjoint(rt.iset, "tangent, value, primal=None", "rt.iset(dtangent, dvalue, primal)")
defjvp(rt.log, "xp, x", None, "dx / x")
# ------------------------------------------------------------------ rules' helpers: linear in the tangent, piecewise constant in x
deflinear(rt.extremum_jvp, "xp, x, dx, ans, axis=None, keepdims=False", linear_in=("dx",), constant=("x", "ans"))
deflinear(rt.builtin_extremum_jvp, "values, tangents, ans", linear_in=("tangents",), constant=("values", "ans"))
deflinear(rt.var_jvp, "xp, x, dx, axis=None, ddof=0, keepdims=False", linear_in=("x", "dx"))
deflinear(rt.expand, "tangent, ans", constant=("ans",))
deflinear(rt.where_like, "xp, cond, tangent, ref", linear_in=("tangent",), constant=("ref",))
deflinear(rt.astype_tangent, "tangent, dtype, copy=True")
deflinear(rt.items_tangent, "tangent_dict")
# ------------------------------------------------------------------ helpers of the sum/divmod/diff/pad/sort/median/hypot/abs/det rules
deflinear(rt.seq_sum, "tangents")
deflinear(rt.records.field, "tangent, name, where")  # dataclass/namedtuple tangents (records.py)
defzero(rt.records.method)  # the function behind a record's method: no tangent of its own
deflinear(rt.records.build, "template, tangents", linear_in=("tangents",), constant=("template",))
_defjoint(rt.records.replace, "tangent, keys, tangents", "rt.records.replace(dtangent, keys, dtangents)")
deflinear(rt.sequences.reversed_tangent, "seq, tangent", linear_in=("tangent",), constant=("seq",))
defjvp(
    rt.sequences.dist_partial,
    "a, b, t, norm",
    "rt.sequences.dot_over(t, da, norm)",
    "-rt.sequences.dot_over(t, db, norm)",
    "rt.sequences.dist_partial(a, b, dt, norm)",
    "-rt.sequences.dist_partial(a, b, t, norm) * dnorm / norm",
)
defjvp(
    rt.sequences.dot_over,
    "u, v, norm",
    "rt.sequences.dot_over(du, v, norm)",
    "rt.sequences.dot_over(u, dv, norm)",
    "-rt.sequences.dot_over(u, v, norm) * dnorm / norm",
)
deflinear(rt.TangentTuple, "iterable=()")
deflinear(
    rt.diff_jvp,
    "xp, a, da, n, axis, prepend, dprepend, append, dappend",
    linear_in=("da", "dprepend", "dappend"),
    constant=("a", "prepend", "append"),
)
deflinear(rt.pad_jvp, "xp, da, pad_width, mode='constant', stat_length=None, reflect_type='even'", linear_in=("da",))
deflinear(rt.pad_values_jvp, "xp, array, pad_width, mode, dvalues", linear_in=("dvalues",), constant=("array",))
deflinear(rt.sort_jvp, "xp, a, da, axis=-1", linear_in=("da",), constant=("a",))
deflinear(rt.median_jvp, "xp, a, da, axis=None, keepdims=False", linear_in=("da",), constant=("a",))
# Re(conj(x) t) / |x|: its x-derivative is Re(conj(sign_jvp(x, dx)) t), 0 for real x
defjvp(rt.abs_jvp, "xp, x, t", None, "np.real(np.conj(rt.sign_jvp(np, x, dx)) * t)", "rt.abs_jvp(np, x, dt)")
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
    "-d * rt.det_trace(np, x, dx @ rt.det_solve(np, x, t))",
    "rt.det_jvp(np, x, dt, d)",
    "dd * rt.det_trace(np, x, t)",
)
# x^-1 of a singular x: a refusal (NotDifferentiableHere), never a LinAlgError or a nan
defjvp(rt.det_solve, "xp, x, t", None, "rt.unsupported(np, 'the third derivative of det')", "rt.det_solve(np, x, dt)")
defjvp(rt.det_trace, "xp, x, t", None, "rt.unsupported(np, 'the third derivative of det')", "rt.det_trace(np, x, dt)")
deflinear(rt.get_default_tangent, "mapping, key, ddefault", linear_in=("ddefault",), constant=("mapping",))
deflinear(rt.zip_tangent, "tangents")
deflinear(rt.enumerate_tangent, "tangent")
deflinear(rt.breshape, "tangent, *shape, order='C'", linear_in=("tangent",))
deflinear(rt.bravel, "tangent, order='C'", linear_in=("tangent",))
deflinear(rt.basarray, "xp, tangent", linear_in=("tangent",))
# a list argument of a NumPy function converted in a rule's template (rule_apply.sequence_arguments)
defjvp(rt.seq_value, "xp, x", None, "rt.seq_tangent(np, x, dx)")
deflinear(rt.seq_tangent, "xp, x, dx", linear_in=("dx",), constant=("x",))
deflinear(rt.bseq_tangent, "xp, x, dx, k", linear_in=("dx",), constant=("x",))
# ------------------------------------------------------------------ helpers of pow/sign/std/norm/solve/prod/cumprod/arange
# (parameter names here need not match the helpers': templates call them positionally; ``ans`` in a
# template is the helper's own result, so a parameter holding a primal result is called s or p)
defjvp(rt.pow_dy, "xp, x, p", None, "rt.safe_div(np, dx * p, x)", "rt.pow_dy(np, x, dp)")  # where(x == 0, 0, p log x)
defjvp(rt.safe_div, "xp, num, den", None, "rt.safe_div(np, dnum, den)", "-rt.safe_div(np, dden * ans, den)")
defjvp(rt.sign_jvp, "xp, x, t", None, "rt.sign_jvp_dx(np, x, t, dx)", "rt.sign_jvp(np, x, dt)")
defjvp(
    rt.sign_jvp_dx,
    "xp, x, t, u",
    None,
    "rt.zero_unless_complex(np, x, ans, 'the third derivative of sign')",
    "rt.sign_jvp_dx(np, x, dt, u)",
    "rt.sign_jvp_dx(np, x, t, du)",
)
defzero(rt.zero_unless_complex)  # zeros for real x; raises for complex x, so never a wrong zero
# (rt.unsupported has no rule: it always raises, and is called with no differentiated argument)
defzero(rt.norm_power)  # a number from ord and the shape
defjvp(rt.angle_jvp, "xp, z, t, deg=False", None, "rt.angle_jvp_dz(np, z, t, dz, deg)", "rt.angle_jvp(np, z, dt, deg)")
defjvp(
    rt.angle_jvp_dz,
    "xp, z, t, u, deg=False",
    None,
    "rt.zero_unless_complex(np, z, ans, 'the third derivative of angle')",
    "rt.angle_jvp_dz(np, z, dt, u, deg)",
    "rt.angle_jvp_dz(np, z, t, du, deg)",
)
defjvp(
    rt.std_jvp,
    "xp, x, t, s, axis=None, ddof=0, keepdims=False",
    None,
    "rt.std_jvp(np, dx, t, s, axis, ddof, keepdims)",  # var_jvp is bilinear in (x, t)
    "rt.std_jvp(np, x, dt, s, axis, ddof, keepdims)",
    "-rt.safe_div(np, ds * ans, s)",
)
defjvp(
    rt.norm_jvp,
    "xp, x, t, s, ord=None, axis=None, keepdims=False",
    None,
    "rt.norm_jvp2(np, x, t, dx, s, ord, axis, keepdims)",
    "rt.norm_jvp(np, x, dt, s, ord, axis, keepdims)",
    "-rt.norm_power(ord, x, axis) * rt.safe_div(np, ds * ans, s)",
)
defjvp(
    rt.norm_jvp2,
    "xp, x, t, u, s, ord=None, axis=None, keepdims=False",
    None,
    "rt.unsupported(np, 'the third derivative of numpy.linalg.norm')",
    "rt.norm_jvp2(np, x, dt, u, s, ord, axis, keepdims)",
    "rt.norm_jvp2(np, x, t, du, s, ord, axis, keepdims)",
    "rt.unsupported(np, 'the third derivative of numpy.linalg.norm')",
)
defjvp(
    rt.solve_jvp_a,
    "xp, a, t, x, b",
    None,
    "rt.solve_jvp_a(np, a, da, ans, b)",  # -solve(a, t x) moves with a like solve's own a-partial
    "rt.solve_jvp_a(np, a, dt, x, b)",
    "rt.solve_jvp_a(np, a, t, dx, b)",
    None,
)
defjvp(
    rt.prod_jvp,
    "xp, x, t, s, axis=None, keepdims=False",
    None,
    "rt.prod_jvp2(np, x, t, dx, axis, keepdims)",
    "rt.prod_jvp(np, x, dt, s, axis, keepdims)",
    None,  # the product itself is used only for its shape
)
defjvp(
    rt.prod_jvp2,
    "xp, x, t, u, axis=None, keepdims=False",
    None,
    "rt.unsupported(np, 'the third derivative of prod')",
    "rt.prod_jvp2(np, x, dt, u, axis, keepdims)",
    "rt.prod_jvp2(np, x, t, du, axis, keepdims)",
)
defjvp(
    rt.cumprod_jvp,
    "xp, x, t, s, axis=None",
    None,
    "rt.cumprod_jvp2(np, x, t, dx, axis)",
    "rt.cumprod_jvp(np, x, dt, s, axis)",
    None,  # not used
)
defjvp(
    rt.cumprod_jvp2,
    "xp, x, t, u, axis=None",
    None,
    "rt.unsupported(np, 'the third derivative of cumprod')",
    "rt.cumprod_jvp2(np, x, dt, u, axis)",
    "rt.cumprod_jvp2(np, x, t, du, axis)",
)
defjvp(
    rt.slogdet_jvp,
    "xp, a, t, s",
    None,
    "rt.slogdet_jvp(np, a, -(da @ np.linalg.solve(a, t)), s)",  # tr(a^-1 t) moves by -tr(a^-1 da a^-1 t)
    "rt.slogdet_jvp(np, a, dt, s)",
    "rt.TangentTuple((rt.zero_unless_complex(np, s, ans[0], 'the second derivative of slogdet'), "
    "rt.zeros_like(ans[1])))",  # the sign is piecewise constant for a real matrix
)
deflinear(
    rt.arange_dstart, "xp, dstart, s, stop", linear_in=("dstart",), constant=("s",)
)  # s (arange's result): its shape only
deflinear(rt.arange_dstep, "xp, dstep, s", linear_in=("dstep",), constant=("s",))
# linear in the tangents only: a second derivative of math.prod (through values) is refused, not dropped
deflinear(rt.seq_prod_jvp, "values, tangents, start=1", linear_in=("tangents",))
deflinear(rt.sorted_jvp, "values, tangents, key=None, reverse=False", linear_in=("tangents",), constant=("values",))
deflinear(rt.dict_tangent, "mapping, tangent, ans", linear_in=("tangent",), constant=("mapping", "ans"))
defzero(rt.clip_low)
defzero(rt.clip_high)
# sinc'(x) of x and s = sinc(x): its derivative along dx is sinc''(x) dx (s moves with x)
_defjoint(rt.sinc_d, "xp, x, s", "dx * rt.sinc_dd(np, x, s, ans)")
defjvp(
    rt.sinc_dd,
    "xp, x, s, d",
    None,
    "rt.unsupported(np, 'the third derivative of sinc')",
    "np.where(x == 0, 0.0, -(np.pi**2) * ds)",
    "np.where(x == 0, 0.0, -2 * dd / np.where(x == 0, 1, x))",
)
