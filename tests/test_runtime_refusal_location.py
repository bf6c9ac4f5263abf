"""A refusal raised while the generated code runs (``NotDifferentiableHere`` from a runtime helper)
names the user's file, line and column and quotes the statement, like a refusal at transform time:
through ``jvp``, a ``forward_diff`` object's guarded fast path (which runs a copy of the generated
body), vector mode and a helper function's own line."""

import numpy as np
import pytest

import tangent_fwd
from tangent_fwd import NotDifferentiableHere


def concat_with_plain_list(x):
    bufs = [np.zeros(3)]
    bufs = bufs + [np.ones(3)]
    bufs[1] *= x
    return bufs[0].sum() + bufs[1].sum()


def sorts_in_place(x):
    xs = [x[0], x[1] * 2.0, x[2]]
    xs.sort()
    return xs[0] * 2.0


def _helper_sorting(v):
    vs = [v[0], v[1]]
    vs.sort()
    return vs[0]


def calls_a_sorting_helper(x):
    y = x * 2.0
    return _helper_sorting(y) + 1.0


def _line_of(func, text):
    import inspect

    lines, first = inspect.getsourcelines(func)
    return first + next(i for i, line in enumerate(lines) if text in line)


X, DX = np.arange(1.0, 4.0), np.ones(3)


@pytest.mark.parametrize(
    "func, text",
    [
        (concat_with_plain_list, "bufs = bufs + [np.ones(3)]"),
        (sorts_in_place, "xs.sort()"),
        (calls_a_sorting_helper, "vs.sort()"),
    ],
)
def test_jvp_names_the_users_line(func, text):
    target = _helper_sorting if func is calls_a_sorting_helper else func
    with pytest.raises(NotDifferentiableHere) as info:
        tangent_fwd.jvp(func, (X,), (DX,))
    msg = str(info.value)
    assert f"{__file__}:{_line_of(target, text)}:" in msg, msg
    assert text in msg.split("\n")[1]  # the statement quoted under the location
    assert not msg.startswith("tangent_fwd:")


def test_vector_mode_names_the_users_line():
    with pytest.raises(NotDifferentiableHere) as info:
        tangent_fwd.jvp(sorts_in_place, (X,), (np.stack([DX, 2 * DX]),), vectorized=True)
    assert f"{__file__}:{_line_of(sorts_in_place, 'xs.sort()')}:" in str(info.value)


def test_the_guarded_fast_path_names_the_users_line():
    """The second call runs the guard's inlined copy of the body (another file name): mapped back."""

    def concat_if(x, flag):
        bufs = [x * 1.0]
        if flag:
            bufs = bufs + [np.ones(3)]
        return bufs[-1].sum()

    fd = tangent_fwd.forward_diff(concat_if, wrt=0)
    fd(X, False, DX)  # compiled and guarded
    with pytest.raises(NotDifferentiableHere) as info:
        fd(X, True, DX)
    frames = [tb.tb_frame.f_code.co_filename for tb in _walk(info.value.__traceback__)]
    assert any(f.endswith(" call>") for f in frames)  # raised through the guard's copy
    assert f"{__file__}:{_line_of(concat_if, 'bufs = bufs + [np.ones(3)]')}:" in str(info.value)


def _walk(tb):
    while tb is not None:
        yield tb
        tb = tb.tb_next
