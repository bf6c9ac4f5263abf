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
from tangent_fwd import backends, lowrank
from tangent_fwd.api import ForwardDiff
from tangent_fwd.errors import ArgumentError


@pytest.fixture(autouse=True)
def _numpy_only():
    """As in a fresh process where no other array backend was registered and no LowRank tangent was made:
    the guard's own checks decide (an earlier test module registering a strict stand-in backend, or making
    a LowRank tangent, sends every call to the generic path, by design, which would hide what these tests
    look at)."""
    saved = backends.OTHERS[0], lowrank._USED[0]
    backends.OTHERS[0] = lowrank._USED[0] = False
    yield
    backends.OTHERS[0], lowrank._USED[0] = saved


SOURCE = """
import math

def helper(y):
    return y * 2.0

def f(x, y):
    return math.sin(x) * helper(y) + abs(x)
"""


def _module(tmp_path, name):
    return _module_from(tmp_path, name, SOURCE)


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


def _module_from(tmp_path, name, source):
    path = tmp_path / f"{name}.py"
    path.write_text(textwrap.dedent(source))
    sys.path.insert(0, str(tmp_path))
    try:
        sys.modules.pop(name, None)
        return importlib.import_module(name)
    finally:
        sys.path.remove(str(tmp_path))


def test_an_error_of_the_function_runs_it_once(tmp_path):
    """A KeyError (or NameError) raised by the user's code is not taken for a failed check: the call
    does not go on to the generic path, which would run the function, and its side effects, again."""
    mod = _module_from(
        tmp_path,
        "guard_keyerror_mod",
        """
        LOG = []
        TABLE = {"k": 2.0}

        def f(x):
            LOG.append("called")
            return x * TABLE["k"]
        """,
    )
    fd = tangent_fwd.forward_diff(mod.f)
    assert fd(1.5, 1.0) == (3.0, 2.0)
    assert type(fd).__call__ is not ForwardDiff.__call__
    del mod.TABLE["k"]
    mod.LOG.clear()
    with pytest.raises(KeyError):
        fd(1.5, 1.0)
    assert mod.LOG == ["called"]  # once, as a plain call of mod.f raises after one append


def test_calls_that_take_the_generic_path_keep_the_guard(tmp_path):
    """A keyword call (or any call the checks send to the generic path) leaves the generated
    ``__call__`` in place: it is not generated and compiled again on every such call."""
    mod = _module(tmp_path, "guard_keep_mod")
    fd = _guarded(mod)
    call = type(fd).__call__
    for _ in range(3):
        assert fd(0.7, 1.3, dx=1.0, dy=0.5) == fd(0.7, 1.3, 1.0, 0.5)
    assert type(fd).__call__ is call
    _check(fd, mod.f, 0.7, 1.3, 1.0, 0.5)


def test_a_builtin_in_another_module_keeps_the_fast_path(tmp_path, monkeypatch):
    """A callee in another module that uses a builtin (``abs``) depends on that module not shadowing it:
    the guard tests it as ``still_valid`` does (the name absent), so calls stay on the guard, and a
    shadowing global defined later is still followed."""
    helper = _module_from(tmp_path, "guard_other_helper", "def g(y):\n    return abs(y) * 2.0\n")
    mod = _module_from(
        tmp_path,
        "guard_other_main",
        "import guard_other_helper\n\ndef f(x, y):\n    return guard_other_helper.g(y) * x\n",
    )
    fd = tangent_fwd.forward_diff(mod.f, wrt=(0, 1))
    fd(0.7, -1.3, 1.0, 0.0)
    assert any(name == "abs" and ns is vars(helper) for ns, name, _ in fd._deps)
    from tangent_fwd import api

    generic = []
    real = api.still_valid
    monkeypatch.setattr(api, "still_valid", lambda deps: generic.append(1) or real(deps))
    for x, y, dx, dy in [(0.7, -1.3, 1.0, 0.0), (-0.4, 0.9, 0.5, -1.0)]:
        _check(fd, mod.f, x, y, dx, dy)
    assert not generic  # every call answered by the guard
    helper.abs = lambda v: v * v  # now shadowed in the helper's module: generated again, followed
    _check(fd, mod.f, 0.7, -1.3, 1.0, 0.5)
    assert fd(0.7, -1.3, 0.0, 0.0)[0] == mod.f(0.7, -1.3)


def test_tracebacks_show_the_generated_lines(tmp_path):
    """The generated body runs in the guard's own frame; a traceback through it shows the generated
    statement (its source is registered with linecache), and the object adds one frame, not two."""
    import traceback

    mod = _module_from(
        tmp_path,
        "guard_traceback_mod",
        """
        import math

        def f(x, y):
            z = math.sin(x) * y
            return z / (y - 1.0)
        """,
    )
    fd = tangent_fwd.forward_diff(mod.f, wrt=(0, 1))
    fd(0.3, 2.0, 1.0, 0.0)
    with pytest.raises(ZeroDivisionError) as info:
        fd(0.3, 1.0, 1.0, 0.0)
    frames = traceback.extract_tb(info.value.__traceback__)
    last = frames[-1]
    assert last.filename.startswith("<tangent_fwd")
    assert last.line.startswith("t") and " = z / " in last.line  # the generated division, readable
    assert sum(f.filename.startswith("<tangent_fwd") for f in frames) == 1


def test_nested_def_and_live_globals_through_the_guard(tmp_path):
    """A function with a nested def (a closure inside the generated body) and a plain global read live:
    values and tangents follow the global as the plain function does."""
    mod = _module_from(
        tmp_path,
        "guard_nested_mod",
        """
        import math

        SCALE = 2.0

        def f(x, y):
            def inner(t):
                return math.exp(t * y) * SCALE
            return inner(x) + inner(-x)
        """,
    )
    fd = tangent_fwd.forward_diff(mod.f, wrt=(0, 1))
    fd(0.3, 0.5, 1.0, 0.0)
    assert type(fd).__call__ is not ForwardDiff.__call__
    _check(fd, mod.f, 0.3, 0.5, 1.0, -0.5)
    mod.SCALE = -3.0  # a plain value: read live, the code stays
    _check(fd, mod.f, 0.3, 0.5, 0.2, 1.0)
