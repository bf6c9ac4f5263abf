"""Soundness (issue 12), classes 4 and 5: scopes and name clashes.

Closures made by factories must see their own cells (not a module global of the same name), defaults
are evaluated when the ``def`` runs (not at the call), keyword-only and mutable defaults, ``nonlocal``,
globals read at call time, user functions whose names shadow NumPy's. Class 5: a callee's (or the
function's own) variables may have the names that the generated code uses for tangents (``dz`` for
``z``), for the backend (``xp``) or for vector mode (``K``, ``k``); side effects of callees (counters in
module state, compared after the plain call and after the jvp) must happen exactly as often.

Cases in ``REFUSAL_OK`` may be refused with a clean ``tangent_fwd.TransformError``: a callee that is a
runtime value (a closure built with a differentiated value, functions held in a list, a function passed
as an argument), or a global rebound to a differentiated value."""

import math

import numpy as np

from . import case
from . import soundness_order as _order

REFUSAL_OK = {
    "closure_built_from_active_value",
    "closures_in_a_list_late_binding",
    "global_rebound_to_active_value",
    "global_function_shadowed_by_parameter_name",
    # a differentiated value assigned to a nonlocal name: refused, its tangent cannot leave the def
    "nonlocal_active_accumulator",
    # a module bound to a local name (`xnp = np`): its functions are not resolved through the local
    "numpy_module_alias",
}

# The trap for factories: a module global with the same name as the factory's parameter.
c = 7.0
GAIN = 1.5
CONFIG = {"gain": 2.0}
CALLS = {"bump": 0, "helper": 0}
N_BUMPS = 0
LAST = None
_MEMO_DEFAULT = {"hits": 0}


def normal(*shape):
    return lambda rng: (rng.standard_normal(shape),)


def normal2(s1, s2):
    return lambda rng: (rng.standard_normal(s1), rng.standard_normal(s2))


# ------------------------------------------------------------------ factories and closures
def make_scaler(c):
    def f(x):
        return x * c

    return f


def make_affine(a, b):
    def f(x):
        return a * x + b

    return f


def make_outer(s):
    def mid(t):
        def inner(x):
            return x * s + t

        return inner

    return mid


def make_poly(coeffs):
    def p(x):
        acc = np.zeros_like(x)
        for a in coeffs:
            acc = acc * x + a
        return acc

    return p


def make_counter_step(step):
    count = 0

    def tick(v):
        nonlocal count
        count += 1
        return v * step + count * 0.0

    return tick


scale_by_2_5 = make_scaler(2.5)
affine_2_1 = make_affine(2.0, np.arange(3.0))
inner_2_3 = make_outer(2.0)(3.0)
cubic = make_poly([0.5, -1.0, 2.0, 1.0])
tick_by_3 = make_counter_step(3.0)


@case(args=normal(3), tags="closure call_user")
def factory_closure_shadows_module_global(x):
    return scale_by_2_5(x) + x * c


@case(args=normal(3), tags="closure call_user")
def factory_closure_two_cells(x):
    return affine_2_1(x) * x


@case(args=normal(3), tags="closure call_user")
def nested_factory_closure(x):
    return inner_2_3(x) ** 2


@case(args=normal(3), tags="closure call_user for_list")
def factory_closure_over_list(x):
    return cubic(x)


@case(args=normal(3), tags="closure call_user")
def factory_closure_with_nonlocal_counter(x):
    return tick_by_3(x) * x


@case(args=normal(3), tags="closure call_user")
def closure_built_from_active_value(x):
    g = make_scaler(x)
    return g(x)


@case(args=normal(3), tags="nested_def closure for_range list_append")
def closures_in_a_list_late_binding(x):
    fs = []
    for k in range(3):

        def g(v):
            return v * k

        fs.append(g)
    return fs[0](x) + fs[2](x)


@case(args=normal(3), tags="nested_def closure")
def nested_closure_two_levels(x):
    y = x * 2.0

    def outer(v):
        def inner(w):
            return w * y + v

        return inner(v * v)

    return outer(x)


@case(args=normal(3), tags="nested_def closure")
def nonlocal_inactive_counter(x):
    calls = 0

    def step(v):
        nonlocal calls
        calls += 1
        return v * 0.5

    y = step(step(x))
    return y * calls


@case(args=normal(3), tags="nested_def closure")
def nonlocal_active_accumulator(x):
    total = np.zeros(3)

    def add(v):
        nonlocal total
        total = total + v * x

    add(x)
    add(1.0)
    return total


@case(args=normal(3), tags="nested_def closure")
def closure_sees_rebinding_before_call(x):
    scale = 2.0

    def g(v):
        return v * scale

    scale = 5.0
    return g(x)


# ------------------------------------------------------------------ defaults
@case(args=normal(3), tags="nested_def call_defaults")
def default_from_enclosing_function(x):
    k = 2.0

    def g(v, s=k):
        return v * s

    k = 5.0
    return g(x) + k


def _scaled_by_module_default(v, s=_order.SCALE, t=math.e):
    return v * s + t


@case(args=normal(3), tags="call_defaults call_user")
def default_from_another_module(x):
    return _scaled_by_module_default(x)


def _kw_only(v, *, scale=3.0, shift=0.5):
    return v * scale + shift


@case(args=normal(3), tags="call_defaults call_kwargs call_user")
def keyword_only_defaults(x):
    return _kw_only(x) + _kw_only(x, shift=x[0]) + _kw_only(x, scale=x * x)


def _kw_required(v, *, w):
    return v * w


@case(args=normal2(3, 3), wrt=(0, 1), tags="call_kwargs call_user")
def keyword_only_required(x, y):
    return _kw_required(x, w=y) + _kw_required(w=x, v=2.0)


def _memo_mul(v, memo=_MEMO_DEFAULT):
    memo["hits"] += 1
    return v * 2.0


@case(args=normal(3), tags="call_defaults call_user")
def mutable_default_dict(x):
    return _memo_mul(x) + _memo_mul(x * x)


def _collect(v, into=None):
    if into is None:
        into = []
    into.append(v * 2.0)
    return into


@case(args=normal(3), tags="call_defaults call_user list_literal container_subscript")
def none_default_idiom(x):
    a = _collect(x)
    b = _collect(x * x, [x])
    return a[0] + b[0] * b[1]


def _mutable_list_default(v, seen=[]):  # noqa: B006 (the trap is the point)
    seen.append(1)
    return v * 3.0


@case(args=normal(3), tags="call_defaults call_user")
def mutable_list_default(x):
    return _mutable_list_default(x) - x


@case(args=normal(3), tags="nested_def call_defaults call_kwargs")
def nested_keyword_only_default_from_enclosing(x):
    base = 0.25

    def g(v, *, s=base):
        return v + s

    base = 10.0
    return g(x) * g(x, s=x[1])


# ------------------------------------------------------------------ globals read at call time
def _apply_gain(v):
    return v * GAIN


def _apply_config_gain(v):
    return v * CONFIG["gain"]


@case(args=normal(3), tags="global call_user")
def module_global_read_at_call_time(x):
    return _apply_gain(x) + GAIN * x


@case(args=normal(3), tags="global call_user dict_literal")
def module_dict_changed_before_call(x):
    CONFIG["gain"] = 3.0
    y = _apply_config_gain(x)
    CONFIG["gain"] = 2.0
    return y + _apply_config_gain(x)


@case(args=normal(3), tags="global")
def global_rebound_to_active_value(x):
    global LAST
    LAST = x * 2.0
    return LAST + x


def _set_gain(g):
    global GAIN
    GAIN = g


@case(args=normal(3), tags="global call_user")
def callee_rebinds_module_global(x):
    _set_gain(3.0)
    y = _apply_gain(x)
    _set_gain(1.5)
    return y


# ------------------------------------------------------------------ user names that shadow library names
def exp(v):
    """A user's truncated exponential (shadows nothing in this module, but has NumPy's name)."""
    return 1.0 + v + 0.5 * v * v


def norm(v):
    return np.sqrt((v * v).sum() + 1.0)


def helper(v):
    return v * 100.0


@case(args=normal(3), tags="call_user")
def user_function_named_like_numpy(x):
    return exp(x) + norm(x) + np.exp(x)


@case(args=normal(3), tags="nested_def call_user")
def local_function_shadows_module_function(x):
    def helper(v):
        return v * 3.0

    return helper(x)


@case(args=normal(3), tags="np_elementwise m_max")
def local_names_shadow_builtins(x):
    abs = np.abs(x)
    max = abs.max()
    return abs * max


@case(args=normal(3), tags="np_elementwise")
def numpy_module_alias(x):
    xnp = np
    return xnp.sin(x) * xnp.cos(x)


# ------------------------------------------------------------------ class 5: name clashes with generated names
def bump():
    CALLS["bump"] += 1
    return 0.5


def _bump_global():
    global N_BUMPS
    N_BUMPS += 1
    return 2.0


def _callee_with_dz(z):
    dz = bump()
    return z * dz


@case(args=normal(3), tags="call_user")
def callee_target_named_like_caller_tangent(z):
    return _callee_with_dz(z) + z * z


def _callee_with_global_bump(z):
    dz = _bump_global()
    return z * dz


@case(args=normal(3), tags="call_user global")
def callee_global_counter_named_like_tangent(z):
    return _callee_with_global_bump(z) * z


@case(args=normal(3), tags="call_user")
def own_variable_named_like_tangent(z):
    dz = bump()
    return z * dz + dz


@case(args=lambda rng: (rng.standard_normal(5), 0.1), tags="py_float idx_slice")
def grid_spacing_named_dx(x, dx):
    return (x[1:] - x[:-1]) / dx


@case(args=lambda rng: (rng.standard_normal(4), 0.25), wrt=(0, 1), tags="py_float idx_slice")
def parameter_named_dx_differentiated(x, dx):
    return (x[2:] - 2.0 * x[1:-1] + x[:-2]) / (dx * dx)


def _mix(x, dx):
    return x * dx + dx


@case(args=normal(3), tags="call_user")
def callee_parameter_named_like_tangent(x):
    return _mix(x, 2.0) + _mix(3.0, x)


@case(args=normal(3), tags="array")
def local_named_xp(x):
    xp = x * 2.0
    return xp * x + np.sin(xp)


@case(args=normal(3, 2), tags="for_range")
def locals_named_K_and_k(X):
    K = 3
    out = 0.0
    for k in range(K):
        out = out + X[k] * k
    return out


def _helper_counts(v):
    CALLS["helper"] += 1
    t1 = v * 2.0
    dt1 = t1 + 1.0
    return dt1 * t1


@case(args=normal(3), tags="call_user")
def callee_temporaries_named_t1_dt1(x):
    t1 = x + 1.0
    dt1 = _helper_counts(t1)
    return dt1 + t1


@case(args=lambda rng: (rng.standard_normal(3), rng.standard_normal(3)), wrt=(0,), tags="call_user")
def inactive_argument_named_like_tangent(z, dz):
    return _callee_with_dz(z) * dz


# ------------------------------------------------------------------ more scopes
@case(args=normal(3), tags="listcomp for_range b_sum")
def comprehension_variable_shadows_parameter(x):
    s = sum([x * 2 for x in range(3)])
    return s * x


@case(args=normal(3), tags="nested_def closure")
def closure_cell_becomes_active_between_calls(x):
    scale = 2.0

    def g(v):
        return v * scale

    a = g(x)
    scale = x[0]
    b = g(x)
    return a + b


@case(args=normal(3), tags="nested_def closure for_range")
def nested_def_in_loop_called_at_once(x):
    s = 0.0
    for k in range(3):

        def g(v):
            return v * k + x[k]

        s = s + g(x)
    return s


@case(args=normal(3), tags="call_kwargs call_user dict_literal")
def keyword_arguments_from_a_dict(x):
    opts = {"scale": 2.0, "shift": -1.0}
    return _kw_only(x, **opts)


@case(args=normal(3), tags="call_user")
def global_function_shadowed_by_parameter_name(x, helper=None):
    if helper is None:
        return x * 2.0
    return helper(x)
