"""with-statements (registered context managers) and try/except/else/finally in differentiated code
(tangent_fwd/contexts.py): value bit for bit, JVP vs central differences, vector mode, jacfwd, hessian;
refusals name the line."""

import contextlib
import math
import warnings

import numpy as np
import pytest
from stmt_check import check, refused

import tangent_fwd
from tangent_fwd.contexts import TangentFailure

X = np.array([0.7, -1.3, 2.1, 0.4])


# ---------------------------------------------------------------------------------------------- with
def errstate_log(x):
    with np.errstate(divide="ignore", invalid="ignore"):
        r = np.where(x > 0, np.log(np.abs(x) + 1.0), x * x)
    return (r * x).sum()


def catch_warnings_body(x):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        y = np.sqrt(np.abs(x)) * x
    return y.sum()


def nested_with(x):
    with np.errstate(over="ignore"), warnings.catch_warnings(record=True) as caught:
        s = 0.0
        for v in x:
            with np.errstate(all="ignore"):
                s = s + np.exp(v) * v
    return s + 0.0 * len(caught)


def return_inside_with(x):
    with np.errstate(all="ignore"):
        return np.tanh(x) @ x


def with_suppress_float(x):
    y = x * 2.0
    with contextlib.suppress(ValueError):
        y = math.sqrt(x - 1.0) * y
    return y * x


def with_suppress_array(x):
    total = x.sum()
    for v in x:
        with contextlib.suppress(ValueError):
            total = total + math.log(v) * v
    return total


def with_nullcontext(x):
    with contextlib.nullcontext():
        y = np.sin(x) * x
    return y.sum()


@pytest.mark.parametrize(
    "f, args",
    [
        (errstate_log, (X,)),
        (catch_warnings_body, (X,)),
        (nested_with, (X,)),
        (return_inside_with, (X,)),
        (with_suppress_float, (3.0,)),
        (with_suppress_float, (0.5,)),
        (with_suppress_array, (X,)),
        (with_nullcontext, (X,)),
    ],
)
def test_with(f, args):
    check(f, args)


def test_errstate_is_in_force_in_the_generated_code():
    def f(x):
        with np.errstate(divide="raise"):
            return np.log(x).sum()

    with pytest.raises(FloatingPointError):
        tangent_fwd.jvp(f, (np.array([0.0, 1.0]),), (np.ones(2),))
    check(f, (np.array([0.5, 1.0]),))


class Timer:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def timed(x):
    with Timer():
        y = np.sin(x) * x
    return y.sum()


def timed_inactive(x):
    n = 0
    with Timer():
        n = n + 1
    return x * n


def test_unknown_context_manager_is_refused_with_a_hint():
    msg = refused(timed, (X,), (0,), "register_context_manager")
    assert "test_with_try.py" in msg and "Timer" in msg
    check(timed_inactive, (1.5,))  # nothing differentiated inside: the with runs as written


def test_registered_context_manager():
    class Quiet:
        def __enter__(self):
            return None

        def __exit__(self, *exc):
            return False

    def f(x):
        with Quiet():
            y = x * x
        return y

    refused(f, (2.0,), (0,), "register_context_manager")
    tangent_fwd.register_context_manager(Quiet)
    try:
        check(f, (2.0,))
    finally:
        from tangent_fwd import contexts

        contexts._REGISTRY.pop(id(Quiet))


def test_register_context_manager_validates():
    with pytest.raises(TypeError):
        tangent_fwd.register_context_manager(3)
    with pytest.raises(TypeError):
        tangent_fwd.register_context_manager(Timer, suppresses="yes")


def test_differentiated_value_passed_to_context_manager_is_refused():
    def f(x):
        with contextlib.nullcontext(x) as y:
            z = y * 2.0
        return z

    refused(f, (2.0,), (0,), "context manager")


# ---------------------------------------------------------------------------------------------- try
def safe_sqrt(x):
    try:
        y = math.sqrt(x)
    except ValueError:
        y = -x * x
    return y * 3.0


def safe_ratio(a, b):
    try:
        r = a / b
    except ZeroDivisionError:
        r = a * 10.0
    return r


def partial_body(x):
    y = 0.0
    try:
        y = x * 2.0
        z = math.log(x)
        y = y + z
    except ValueError:
        y = y * 5.0
    return y * y


def helper(v):
    return math.sqrt(v) * v


def call_in_try(x):
    try:
        y = helper(x)
    except ValueError:
        y = x**3
    return y


def try_else_finally(x):
    log = []
    try:
        y = math.log(x)
    except ValueError:
        y = x
        log.append("fallback")
    else:
        y = y * x
    finally:
        y = y + 1.0
    return y * len(log) + y


def loop_continue(x):
    acc = np.zeros(x.shape)
    for i in range(x.shape[0]):
        try:
            v = math.log(x[i])
        except ValueError:
            continue
        finally:
            acc[i] += 1.0
        acc[i] = acc[i] * v
    return acc.sum()


def lookup_fallback(params, x):
    try:
        scale = params["scale"]
    except KeyError:
        scale = 1.0
    return np.sum(params["w"] * x) * scale


def solve_or_ridge(a, b):
    try:
        x = np.linalg.solve(a, b)
    except np.linalg.LinAlgError:
        x = np.linalg.solve(a + 1e-3 * np.eye(a.shape[0]), b)
    return x @ x


def raise_in_body(x):
    try:
        y = x * x
        if y > 4.0:
            raise OverflowError("too big")
        y = y + x
    except OverflowError:
        y = 4.0 * x
    return y


def return_in_try(x):
    try:
        return math.acos(x) * x
    except ValueError:
        return x * 0.5


def nested_try(x):
    try:
        try:
            y = math.log(x - 1.0)
        except ValueError:
            y = math.sqrt(x - 0.5)
    except ValueError:
        y = -x
    return y * x


@pytest.mark.parametrize(
    "f, args, wrt",
    [
        (safe_sqrt, (4.0,), (0,)),
        (safe_sqrt, (-4.0,), (0,)),
        (safe_ratio, (3.0, 2.0), (0, 1)),
        (safe_ratio, (3.0, 0.0), (0,)),
        (partial_body, (2.0,), (0,)),
        (partial_body, (-2.0,), (0,)),
        (call_in_try, (4.0,), (0,)),
        (call_in_try, (-4.0,), (0,)),
        (try_else_finally, (2.0,), (0,)),
        (try_else_finally, (-2.0,), (0,)),
        (loop_continue, (np.array([2.0, -1.0, 3.0]),), (0,)),
        (lookup_fallback, ({"w": X}, X), (0, 1)),
        (lookup_fallback, ({"w": X, "scale": 2.0}, X), (0, 1)),
        (raise_in_body, (1.5,), (0,)),
        (raise_in_body, (2.5,), (0,)),
        (return_in_try, (0.3,), (0,)),
        (return_in_try, (3.0,), (0,)),
        (nested_try, (3.0,), (0,)),
        (nested_try, (0.75,), (0,)),
        (nested_try, (0.25,), (0,)),
    ],
)
def test_try(f, args, wrt):
    check(f, args, wrt)


def test_try_with_linalg_fallback():
    rng = np.random.default_rng(3)
    a = rng.standard_normal((3, 3))
    check(solve_or_ridge, (a, X[:3]), (0, 1))
    singular = np.outer(X[:3], X[:3])  # exactly singular: the fallback runs
    check(solve_or_ridge, (singular, X[:3]), (1,))


def test_derivative_failure_is_not_caught_by_the_users_handler():
    # sqrt(0) is fine, its derivative divides by zero: the user's handler must not run instead
    def f(x):
        try:
            y = math.sqrt(x)
        except ZeroDivisionError:
            y = 100.0
        return y

    with pytest.raises(TangentFailure, match="derivative"):
        tangent_fwd.jvp(f, (0.0,), (1.0,))

    def g(x):
        try:
            y = helper(x)
        except Exception:
            y = 100.0
        return y

    with pytest.raises(TangentFailure, match="derivative"):
        tangent_fwd.jvp(g, (0.0,), (1.0,))
    assert tangent_fwd.jvp(g, (4.0,), (1.0,))[0] == g(4.0)


def test_inplace_update_caught_floating_point_error_is_refused():
    def f(x):
        y = x * 2.0
        try:
            with np.errstate(over="raise"):
                y *= 1e300
        except FloatingPointError:
            y = x
        return y.sum()

    with pytest.raises(TangentFailure, match="in-place"):
        tangent_fwd.jvp(f, (np.full(2, 1e10),), (np.ones(2),))
    check(f, (np.ones(2),))


def test_except_star_is_refused():
    import sys

    if sys.version_info < (3, 11):
        pytest.skip("except* needs Python 3.11")
    ns = {}
    src = "def f(x):\n    try:\n        y = x * 2.0\n    except* ValueError:\n        y = x\n    return y\n"
    import linecache
    import pathlib
    import tempfile

    path = pathlib.Path(tempfile.mkdtemp()) / "star_mod.py"
    path.write_text(src)
    exec(compile(src, str(path), "exec"), ns)
    linecache.checkcache(str(path))
    refused(ns["f"], (1.0,), (0,), "except*")


def test_source_shows_the_guard():
    src = tangent_fwd.source(partial_body, wrt=(0,))
    assert "except TangentFailure:" in src and "with tangent_guard:" in src
