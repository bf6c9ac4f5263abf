"""Generated code never outlives what it was generated from: a callee rebound at module level, a closure
cell reassigned, or a source file edited after import."""

import importlib
import sys
import textwrap

import numpy as np
import pytest

import tangent_fwd


def _module(tmp_path, name, text):
    path = tmp_path / f"{name}.py"
    path.write_text(textwrap.dedent(text))
    sys.path.insert(0, str(tmp_path))
    try:
        sys.modules.pop(name, None)
        return importlib.import_module(name), path
    finally:
        sys.path.remove(str(tmp_path))


def test_callee_rebound_at_module_level_is_followed(tmp_path):
    mod, _ = _module(
        tmp_path,
        "stale_callee_mod",
        """
        def g(x):
            return x * 2.0

        def f(x):
            return g(x) + 1.0
        """,
    )
    fd = tangent_fwd.forward_diff(mod.f)
    assert tangent_fwd.jvp(mod.f, (1.5,), (1.0,)) == (4.0, 2.0)
    assert fd(1.5, 1.0) == (4.0, 2.0)
    mod.g = np.sinh  # rebinding a global, as a notebook does: the rule for the new callee is used
    assert tangent_fwd.jvp(mod.f, (1.5,), (1.0,)) == (np.sinh(1.5) + 1.0, np.cosh(1.5))
    assert fd(1.5, 1.0) == (np.sinh(1.5) + 1.0, np.cosh(1.5))


def test_callee_redefined_from_source_is_used(tmp_path):
    mod, _ = _module(
        tmp_path,
        "stale_callee_mod2",
        """
        def g(x):
            return x * 2.0

        def g3(x):
            return x * 3.0

        def f(x):
            return g(x) + 1.0
        """,
    )
    fd = tangent_fwd.forward_diff(mod.f)
    assert fd(1.5, 1.0) == (4.0, 2.0)
    mod.g = mod.g3
    assert mod.f(1.5) == 5.5
    assert tangent_fwd.jvp(mod.f, (1.5,), (1.0,)) == (5.5, 3.0)
    assert fd(1.5, 1.0) == (5.5, 3.0)  # the fast path notices too


def test_closure_cell_reassigned_is_followed():
    def make(k):
        def act(x):
            return np.tanh(x) * k

        def f(x):
            return act(x)

        def rebind():
            nonlocal act

            def act(x):
                return np.sin(x) * k

        return f, rebind

    f, rebind = make(2.0)
    x = 0.3
    assert np.isclose(tangent_fwd.jvp(f, (x,), (1.0,))[1], 2.0 * (1 - np.tanh(x) ** 2))
    rebind()
    assert f(x) == np.sin(x) * 2.0
    v, t = tangent_fwd.jvp(f, (x,), (1.0,))
    assert v == np.sin(x) * 2.0 and np.isclose(t, 2.0 * np.cos(x))


def test_source_edited_on_disk_is_refused(tmp_path):
    mod, path = _module(
        tmp_path,
        "stale_source_mod",
        """
        def f(x):
            return x * 2.0
        """,
    )
    path.write_text("def f(x):\n    return x * 5.0 + 1.0\n")
    with pytest.raises(tangent_fwd.SourceUnavailableError, match="does not match the function's code"):
        tangent_fwd.jvp(mod.f, (1.0,), (1.0,))


def test_global_buffer_written_with_a_differentiated_value_is_refused(tmp_path):
    mod, path = _module(
        tmp_path,
        "global_buffer_mod",
        """
        import numpy as np

        WORK = np.zeros(3)

        def f(x):
            WORK[:] = x ** 2
            return WORK * 3

        def g(x):
            w = WORK
            w += x
            return w.sum()
        """,
    )
    x = np.arange(3.0)
    for fn, line in ((mod.f, 7), (mod.g, 12)):
        with pytest.raises(tangent_fwd.TransformError) as info:
            tangent_fwd.jvp(fn, (x,), (np.ones(3),))
        assert info.value.lineno == line and str(path) in str(info.value)
        assert "cannot be followed" in str(info.value)
    assert np.array_equal(mod.WORK, np.zeros(3))  # refused before anything ran
