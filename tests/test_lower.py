"""The lowering pass on its own: every corpus function with every statement lowered (tangent_fwd.lower)
returns the same value, bit for bit, and leaves its arguments and module state as the original does."""

import copy
import itertools
import os
import sys
import textwrap
import types

import gast
import pytest

from tangent_fwd import lower, nodes
from tangent_fwd.parse import FunctionInfo

sys.path.insert(0, os.path.dirname(__file__))
from corpus import load  # noqa: E402
from test_corpus import assert_identical, make_args  # noqa: E402
from test_primal_equivalence import assert_same_state, restore, snapshot, state_view  # noqa: E402

CASES = load(include_refusable=True)


def lowered(func):
    """``func`` with every statement lowered, compiled in its own globals and closure cells."""
    counter = itertools.count(1)
    fnode = FunctionInfo(func).node
    new = lower.lower_function(fnode, lambda: f"__lowered_{next(counter)}")
    free = func.__code__.co_freevars
    src = nodes.to_source(new)
    maker = "def __maker__({}):\n{}\n    return {}\n".format(", ".join(free), textwrap.indent(src, "    "), fnode.name)
    ns = {}
    exec(compile(maker, f"<lowered {func.__qualname__}>", "exec"), func.__globals__, ns)
    inner = ns["__maker__"](*[None] * len(free))
    cells = dict(zip(free, func.__closure__ or ()))
    closure = tuple(cells.get(n, c) for n, c in zip(inner.__code__.co_freevars, inner.__closure__ or ()))
    out = types.FunctionType(inner.__code__, func.__globals__, func.__name__, func.__defaults__, closure or None)
    out.__kwdefaults__ = func.__kwdefaults__
    return out, new


def _changed(fnode):
    return any(
        lower.lower_stmt(s, lambda: "_") is not None
        for s in nodes.nodes_of(fnode, gast.stmt)
        if isinstance(s, (gast.Assign, gast.AugAssign))
    )


def test_the_corpus_exercises_every_form():
    seen = set()
    for c in CASES:
        for s in nodes.nodes_of(FunctionInfo(c.func).node, gast.stmt):
            for form in lower.FORMS:
                if form(s, lambda: "_") is not None:
                    seen.add(form.__name__)
    assert seen == {f.__name__ for f in lower.FORMS}


@pytest.mark.parametrize("c", [pytest.param(c, id=c.name) for c in CASES])
def test_lowered_function_is_the_same_function(c):
    f, node = lowered(c.func)
    if not _changed(FunctionInfo(c.func).node):
        assert nodes.to_source(node) == nodes.to_source(FunctionInfo(c.func).node)
        return
    args = make_args(c)
    s0 = snapshot()
    a1, a2 = copy.deepcopy(args), copy.deepcopy(args)
    try:
        want = copy.deepcopy(c.func(*a1))
        after_original = state_view(snapshot())
        restore(s0)
        got = copy.deepcopy(f(*a2))
        assert_identical(got, want, what="value")
        assert_identical(a2, a1, what="argument")
        assert_same_state(state_view(snapshot()), after_original, what="module state")
    finally:
        restore(s0)
