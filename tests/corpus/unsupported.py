"""Constructs outside the supported language: the transform must refuse them with a clear error
(a tangent_fwd error naming the source line, with a hint) instead of returning a wrong derivative.
These are not corpus cases; tests/test_corpus.py::test_unsupported_is_refused checks them. When a
construct becomes supported, move its function into the corpus (a themed module, with @case)."""

import numpy as np

import tangent_fwd

UNSUPPORTED = []


def refuses(args, wrt=(0,), error=tangent_fwd.TransformError):
    def deco(func):
        UNSUPPORTED.append((func, args, tuple(wrt), error))
        return func

    return deco


@refuses(args=lambda: (np.array([0.5, -1.0]),))
def nested_default_from_active(x):
    def g(z, w=x * 2.0):
        return z * w

    return g(1.0)


@refuses(args=lambda: (np.array([0.5, -1.0]),))
def nonlocal_assigned_a_differentiated_value(x):
    acc = 0.0

    def add(v):
        nonlocal acc
        acc = acc + v * x

    add(x)
    return acc


class _Stopwatch:  # a context manager tangent_fwd does not know (try/except is supported: coverage_statements)
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


@refuses(args=lambda: (np.array([0.5, -1.0]),), error=tangent_fwd.UnsupportedSyntaxError)
def with_unknown_context_manager(x):
    with _Stopwatch():
        y = x * 2.0
    return y


@refuses(args=lambda: (np.array([0.5, 1.0]),), error=tangent_fwd.MissingRuleError)
def numpy_function_without_rule(x):
    return np.bincount(np.array([0, 1]), weights=x)  # (np.interp, used here before, has a rule now)


@refuses(args=lambda: (np.array([0.5, 1.5, -0.7]),), error=tangent_fwd.MissingRuleError)
def random_permutation_of_active(x):
    np.random.seed(0)
    return np.random.permutation(x) * x


@refuses(args=lambda: (np.array([0.5, 1.5, -0.7]),), error=tangent_fwd.MissingRuleError)
def random_shuffle_of_active(x):
    y = x * 2.0
    np.random.seed(0)
    np.random.shuffle(y)
    return y


@refuses(args=lambda: (np.array([0.5, 1.5, -0.7]),))
def ufunc_several_out_arguments(x):  # one out= buffer is supported (coverage_statements)
    frac = np.zeros(3)
    whole = np.zeros(3)
    np.modf(x, out=(frac, whole))
    return frac


class _Workspace:  # a helper object handing out views of its own buffer
    def __init__(self, n):
        self.buf = np.zeros(n)

    def head(self, k):
        return self.buf[:k]


@refuses(args=lambda: (np.array([0.5, 1.5, -0.7]),))
def write_into_view_returned_by_a_method(x):  # the view is of an attribute: its tangent is not followed
    ws = _Workspace(6)
    h = ws.head(3)
    h += x
    return ws.buf.sum() + h
