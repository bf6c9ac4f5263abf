"""docs/rules.md is generated from the registry (docs/gen_rules.py) and must not drift from it."""

import importlib.util
import math
import os

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DOC = os.path.join(ROOT, "docs", "rules.md")


def _gen():
    spec = importlib.util.spec_from_file_location("gen_rules", os.path.join(ROOT, "docs", "gen_rules.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.mark.skipif(
    not hasattr(math, "exp2"), reason="docs/rules.md lists math.exp2 and math.cbrt, registered from Python 3.11"
)
def test_rules_md_matches_the_registry():
    expected = _gen().render()
    with open(DOC, encoding="utf-8") as fh:
        actual = fh.read()
    if actual != expected:
        a, e = actual.splitlines(), expected.splitlines()
        diff = [f"  doc: {x!r}\n  reg: {y!r}" for x, y in zip(a, e) if x != y][:3]
        if len(a) != len(e):
            diff.append(f"  {len(a)} lines in docs/rules.md, {len(e)} rendered")
        raise AssertionError(
            "docs/rules.md is out of date with the registered rules; regenerate it with\n"
            "    python docs/gen_rules.py\nfirst differences:\n" + "\n".join(diff)
        )


def test_render_lists_every_library_rule_once():
    from tangent_fwd import registry

    gen = _gen()
    text = gen.render()
    table_rows = [line for line in text.splitlines() if line.startswith("| `")]
    library = [r for _, _, r in registry.all_rules() if gen._library_file(r.origin) is not None]
    assert len(table_rows) == len(library)
    assert "| `numpy.sin` | jvp |" in text and "`dx`: `dx * np.cos(x)`" in text
    assert "| `numpy.argmax` | zero |" in text


def test_rules_registered_outside_the_library_are_not_documented():
    import tangent_fwd
    from tangent_fwd import registry

    def user_op(x):
        return x

    saved = dict(registry._RULES)
    try:
        tangent_fwd.defjvp(user_op, "x", "dx")
        assert "user_op" not in _gen().render()
    finally:
        registry._RULES.clear()
        registry._RULES.update(saved)
        registry._version[0] += 1
