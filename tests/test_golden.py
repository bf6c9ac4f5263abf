"""Golden-source tests: the generated code for a few functions is pinned byte for byte.

Regenerate after an intended change with:  TANGENT_FWD_REGEN_GOLDEN=1 python -m pytest tests/test_golden.py
and review the diff of tests/golden/ like any other code change.
"""

import os
import pathlib

import pytest
from golden_cases import CASES

import tangent_fwd as tf

GOLDEN = pathlib.Path(__file__).parent / "golden"


@pytest.mark.parametrize("name", sorted(CASES))
def test_generated_source_is_pinned(name):
    func, wrt = CASES[name]
    src = tf.source(func, wrt=wrt)
    path = GOLDEN / f"{name}.py"
    if os.environ.get("TANGENT_FWD_REGEN_GOLDEN"):
        path.write_text(src)
    assert path.exists(), f"missing golden file {path}; run with TANGENT_FWD_REGEN_GOLDEN=1 to create it"
    assert src == path.read_text(), f"generated source for {name} changed; see the regeneration note at the top"


def test_tanh_layer_has_one_tangent_matmul_reuses_tanh_and_makes_no_zeros():
    src = tf.source(CASES["tanh_layer_wrt_W"][0], wrt="W")
    assert src.count("@") == 2  # the primal W @ x and the tangent dW @ x
    assert "dW @ x" in src
    assert src.count("xp.tanh(") == 1  # the tangent reuses the primal tanh value
    assert "zeros" not in src and "dx" not in src  # x is not differentiated: no tangent at all


def test_zero_tangent_only_for_loop_accumulator():
    src = tf.source(CASES["power_sum"][0], wrt="x")
    assert src.count("dacc = ") == 2  # materialised once before the loop, updated inside
    assert "dacc = 0.0" in src  # a Python float zero for a Python float accumulator


def test_branch_join_materialises_zero_only_in_the_inactive_branch():
    src = tf.source(CASES["branchy"][0], wrt="x")
    body_then, body_else = src.split("else:")
    assert "dy = dx * 3.0" in body_then
    assert "dy = 0.0" in body_else


def test_generation_is_deterministic():
    for name, (func, wrt) in CASES.items():
        from tangent_fwd import backends
        from tangent_fwd.api import _wrt_names
        from tangent_fwd.compiler import Unit

        a = Unit(func, _wrt_names(func, wrt), backends.get("numpy")).build().source
        b = Unit(func, _wrt_names(func, wrt), backends.get("numpy")).build().source
        assert a == b, name
