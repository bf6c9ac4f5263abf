"""Module-level functions used by tests/test_api.py and tests/test_errors.py (the compiler needs source)."""

import math

import numpy as np
import scipy.special

SCALE = 3.0


def f_simple(x, W):
    return np.tanh(W @ x)


def f_defaults(x, scale=2.0, *, shift=1.0):
    return x * scale + shift


def f_tuple_out(x, y):
    return x * y, x + y, 7


def f_dict_in(params, x):
    return {"out": params["w"] * x + params["b"], "n": x.shape[0]}


def f_global(x):
    return x * SCALE


def f_float(x):
    return math.sin(x) * x


def f_inactive_out(x, y):
    return y * 2.0


def uses_with(x):
    with open(__file__) as fh:
        y = x * len(fh.read(1))
    return y


def uses_yield(x):
    yield x * 2


def uses_global_write(x):
    global SCALE
    SCALE = x
    return x


def uses_class(x):
    class Box:
        pass

    return x


def uses_lambda(x):
    # a lambda made inside a comprehension reads the comprehension's names: it cannot become a def
    gs = [lambda v, k=k: v * k for k in range(2)]
    return gs[1](x)


def uses_dawsn(x):  # Dawson's integral: a scipy.special function the library has no rule for
    return scipy.special.dawsn(x) * 2


def uses_unknown_method(x):
    return x.searchsorted(0.5)


def uses_attr_store(x):
    x.foo = 1
    return x


def param_callee(x, act):
    return act(x)


def dx_named_user_var(x):
    dx = x * 2
    t1 = dx + 1
    return t1 * x


def star_args(*xs):
    return xs[0] * 2.0


def sin_of(x):  # a NumPy float result
    return np.sin(x)


def deep_missing_rule(x):  # a refusal raised from deep inside the compiler
    return dawsn_helper(x) + x


def dawsn_helper(x):
    return scipy.special.dawsn(x) * 2


def scalar_loss(w):
    return np.sum(w * w)
