"""Calls to user functions: positional/keyword args, defaults, recursion, nested defs, closures, globals."""

import numpy as np

from . import case

SCALE = 1.5
OFFSET = np.array([0.5, -0.25, 1.0])
WEIGHTS = np.linspace(-1.0, 1.0, 6).reshape(3, 2)
N_STEPS = 3
xp = 1.5  # module globals named like the generated code's helpers (backend module, runtime)
rt = 2.0
np_ = np


def _square(x):
    return x * x


def _affine(x, a=2.0, b=1.0):
    return a * x + b


def _split(x):
    return x[0], x[1:] * 2.0


def _pow_rec(x, n):
    if n == 0:
        return 1.0
    return x * _pow_rec(x, n - 1)


def _fib_like(x, n):
    if n <= 1:
        return x
    return _fib_like(x, n - 1) + 0.5 * _fib_like(x, n - 2) * x


def _level3(x):
    return np.sin(x) * SCALE


def _level2(x):
    return _level3(x) + _level3(2.0 * x)


def _level1(x):
    return _level2(x) * _level2(x + 1.0)


def _kwonly(x, *, scale=1.0, shift=0.0):
    return x * scale + shift


def _norm_params(p):
    return (p["w"] ** 2).sum() + p["b"] ** 2


@case(args=lambda rng: (rng.standard_normal(3),), tags="call_user")
def call_user(x):
    return _square(np.sin(x)) + _square(x)


@case(args=lambda rng: (rng.standard_normal(3), 0.7), wrt=(0, 1), tags="call_user call_kwargs py_float")
def call_keywords(x, y):
    return _affine(x, b=y, a=3.0) + _affine(a=y, x=x)


@case(args=lambda rng: (rng.standard_normal(3),), tags="call_user call_defaults")
def call_defaults(x):
    return _affine(x) + _affine(x, 0.5)


@case(args=lambda rng: (1.3, 0.4), wrt=(0, 1), tags="call_user call_kwargs call_defaults")
def call_kwonly(x, s):
    return _kwonly(x, scale=s) + _kwonly(x, shift=s) + _kwonly(s)


@case(args=lambda rng: (rng.standard_normal(3),), tags="call_user tuple_return unpack")
def call_tuple_result(x):
    head, tail = _split(x)
    return head * tail


@case(args=lambda rng: (1.2,), tags="recursion call_user py_float")
def recursion(x):
    return _pow_rec(x, 4)


@case(args=lambda rng: (rng.standard_normal(2),), tags="recursion call_user")
def recursion_two_calls(x):
    return _fib_like(x, 4)


@case(args=lambda rng: (rng.standard_normal(3),), tags="call_user global")
def call_chain(x):
    return _level1(x)


@case(args=lambda rng: (rng.standard_normal(3),), tags="nested_def closure")
def nested_def_closure(x):
    def g(y):
        return y * y + x

    return g(x * 2.0) + g(1.0)


@case(args=lambda rng: (rng.standard_normal(3), rng.standard_normal(3)), wrt=(1,), tags="nested_def closure")
def closure_over_active(x, y):
    def scale(z):
        return z * y

    return scale(x) + scale(y)


@case(args=lambda rng: (rng.standard_normal(3),), tags="nested_def closure constant")
def closure_over_constant(x):
    k = 3.0

    def g(z):
        return np.tanh(z) * k

    return g(x) + g(g(x))


@case(args=lambda rng: (rng.standard_normal(3),), tags="nested_def")
def nested_def_no_closure(x):
    def poly(z, a=2.0):
        return a * z**2 + z

    return poly(x) + poly(x, a=-1.0)


@case(args=lambda rng: (rng.standard_normal(3),), tags="global constant")
def module_globals(x):
    return SCALE * (x + OFFSET) @ WEIGHTS


@case(args=lambda rng: (rng.standard_normal(3),), tags="global for_range")
def global_loop_count(x):
    y = x
    for _ in range(N_STEPS):
        y = np.sin(y) + OFFSET
    return y


@case(args=lambda rng: (rng.standard_normal(3), rng.standard_normal(3)), wrt=(0,), tags="call_user")
def same_function_active_and_inactive(x, c):
    return _square(x) + _square(c) * x


@case(args=lambda rng: (rng.standard_normal(3),), tags="call_user for_range")
def call_in_loop(x):
    s = x
    for _ in range(3):
        s = _affine(s, a=0.5) + _square(s) * 0.1
    return s


@case(args=lambda rng: ({"w": rng.standard_normal(3), "b": 0.3},), tags="call_user dict_input")
def pass_dict_to_user(p):
    return _norm_params(p) * 2.0


@case(args=lambda rng: (rng.standard_normal(3),), tags="call_user nested_def recursion")
def nested_recursive(x):
    def rec(z, n):
        if n == 0:
            return z
        return rec(np.sin(z) + x, n - 1)

    return rec(x, 3)


@case(args=lambda rng: (rng.standard_normal((2, 3)),), tags="call_kwargs red_sum red_axis")
def kwargs_dict_unpacking(X):
    kw = {"axis": 0, "keepdims": True}
    return np.sum(X, **kw) * _affine(X, **{"a": 0.5})


@case(args=lambda rng: (0.7, 0.3), wrt=(0, 1), tags="py_float")
def names_like_generated_code(x, dx):
    t1 = x * 2.0
    dt1 = t1 * dx
    xp = dt1 + 1.0
    rt = np.sin(xp)
    ans = rt * x
    return ans


@case(args=lambda rng: (0.7,), tags="nested_def closure for_range")
def closure_variable_changes_in_loop(x):
    def g(z):
        return z * c

    c = 1.0
    s = 0.0
    for i in range(3):
        s = s + g(1.0)
        c = x * i
    return s


@case(args=lambda rng: (0.7,), tags="nested_def call_kwargs call_defaults")
def nested_def_keyword_only(x):
    def g(z, *, k=2.0):
        acc = 0.0
        for j in range(3):
            acc = acc + z**j * k
        return acc

    return g(1.0, k=x) + g(x, k=x) + g(x)


def _first_big(x, thr):
    for i in range(len(x)):
        for j in range(i):
            if x[i] * x[j] > thr:
                return x[i] * x[j], i
    return x.sum(), -1


def _mixed(x, flag):
    if flag:
        return x, 1.0
    return x * 2.0, x


@case(
    args=lambda rng: (np.array([0.5, 1.5, -0.7, 0.9]),), tags="call_user early_return multi_return tuple_return unpack"
)
def callee_with_early_returns(x):
    a, i = _first_big(x, 0.5)
    b, j = _first_big(x * 2.0, 100.0)
    c, d = _mixed(x, True)
    e, f = _mixed(x, False)
    return a * b + i + j + c * d + e * f


def _push(L, v):
    L.append(v * 2.0)


def _put(y, i, v):
    y[i] = v


def _put_key(d, k, v):
    d[k] = v


@case(args=lambda rng: (rng.standard_normal(3),), tags="call_user list_literal")
def callee_appends_to_empty_list(x):
    L = []
    _push(L, x)
    return L[0]


@case(args=lambda rng: (rng.standard_normal(3),), tags="call_user setitem_int cr_zeros")
def callee_writes_into_zeros(x):
    y = np.zeros(3)
    _put(y, 1, x[0] ** 2)
    return y


@case(args=lambda rng: (rng.standard_normal(3),), tags="call_user dict_literal container_subscript")
def callee_fills_empty_dict(x):
    d = {}
    _put_key(d, "a", x * 3.0)
    return d["a"]


@case(args=lambda rng: (rng.standard_normal(3),), tags="call_user list_literal setitem_int")
def callee_mutates_active_containers(x):
    L = [x]
    _push(L, x)
    y = x * 1.5
    _put(y, 1, 3.0)
    return L[0] * L[1] + y


@case(args=lambda rng: (rng.standard_normal(3),), tags="global constant np_elementwise")
def globals_named_like_generated_helpers(x):
    return np.sin(x) * xp + rt * np.abs(x) + np_.cos(x)
