"""The ``forward_diff`` object's generated ``__call__`` (api._install_guard, issue 15): every check of the
generic path still holds once the guard is installed. Dependencies on the function's own module are read
there as globals; positional-only parameters stand for the arguments. Each case calls the object until the
guard is in place, changes what the code was specialised on, and checks values and tangents against the
plain function and a central difference."""

import importlib
import math
import sys
import textwrap

import pytest

import tangent_fwd
from tangent_fwd.api import ForwardDiff
from tangent_fwd.errors import ArgumentError

SOURCE = """
import math

def helper(y):
    return y * 2.0

def f(x, y):
    return math.sin(x) * helper(y) + abs(x)
"""


def _module(tmp_path, name):
    path = tmp_path / f"{name}.py"
    path.write_text(textwrap.dedent(SOURCE))
    sys.path.insert(0, str(tmp_path))
    try:
        sys.modules.pop(name, None)
        return importlib.import_module(name)
    finally:
        sys.path.remove(str(tmp_path))


def _guarded(mod):
    fd = tangent_fwd.forward_diff(mod.f, wrt=(0, 1))
    fd(0.7, 1.3, 1.0, 0.0)
    assert type(fd).__call__ is not ForwardDiff.__call__  # the generated guard is installed
    return fd


def _check(fd, f, x, y, dx, dy):
    value, tangent = fd(x, y, dx, dy)
    assert value == f(x, y)  # the primal, bit for bit
    h = 1e-6
    fdiff = (f(x + h * dx, y + h * dy) - f(x - h * dx, y - h * dy)) / (2 * h)
    assert tangent == pytest.approx(fdiff, rel=1e-6, abs=1e-8)


def test_guarded_call_matches_the_function(tmp_path):
    mod = _module(tmp_path, "guard_plain_mod")
    fd = _guarded(mod)
    for x, y, dx, dy in [(0.7, 1.3, 1.0, 0.0), (-1.1, 0.4, 0.3, -2.0), (2.0, -0.5, 0.0, 1.0)]:
        _check(fd, mod.f, x, y, dx, dy)


def test_rebound_callee_and_shadowed_builtin_are_followed(tmp_path):
    mod = _module(tmp_path, "guard_rebind_mod")
    fd = _guarded(mod)
    mod.helper = lambda y: y**3  # a module-level callee rebound
    _check(fd, mod.f, 0.7, 1.3, 0.5, 1.0)
    mod.abs = lambda v: 3.0 * v  # a global shadowing the builtin the code was specialised on
    fd(0.7, 1.3, 1.0, 0.0)
    _check(fd, mod.f, 0.7, 1.3, 1.0, 0.5)
    del mod.abs  # the builtin again
    fd(0.7, 1.3, 1.0, 0.0)
    _check(fd, mod.f, -0.7, 1.3, 1.0, 0.5)


def test_replaced_code_and_deleted_global(tmp_path):
    mod = _module(tmp_path, "guard_code_mod")
    fd = _guarded(mod)

    def g(x, y):
        return math.cos(x) * y * y

    mod.f.__code__ = g.__code__  # as autoreload does
    _check(fd, mod.f, 0.7, 1.3, 1.0, -0.5)
    fd(0.7, 1.3, 1.0, 0.0)
    del mod.math  # now missing from the module: the same NameError as the function's own
    with pytest.raises(NameError):
        mod.f(0.7, 1.3)
    with pytest.raises(NameError):
        fd(0.7, 1.3, 1.0, 0.0)


def test_argument_errors_and_keywords_through_the_guard(tmp_path):
    mod = _module(tmp_path, "guard_args_mod")
    fd = _guarded(mod)
    with pytest.raises(ArgumentError, match="missing the tangent argument"):
        fd(0.7, 1.3, 1.0)
    with pytest.raises(TypeError):
        fd(0.7, 1.3, 1.0, 0.0, 5.0)
    assert fd(0.7, 1.3, dx=1.0, dy=0.5) == fd(0.7, 1.3, 1.0, 0.5)
    _check(fd, mod.f, 0.7, 1.3, 1.0, 0.5)  # and the guard still answers afterwards
