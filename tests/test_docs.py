"""Every ```python block in README.md and docs/*.md runs (written to a real file, since the compiler
reads source)."""

import pathlib
import re
import runpy

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
DOCS = [ROOT / "README.md"] + sorted((ROOT / "docs").glob("*.md"))
BLOCKS = [(p, i, b) for p in DOCS for i, b in enumerate(re.findall(r"```python\n(.*?)```", p.read_text(), re.S))]


@pytest.mark.parametrize("path, index, block", BLOCKS, ids=[f"{p.name}-{i}" for p, i, _ in BLOCKS])
def test_doc_block_runs(path, index, block, tmp_path, capsys):
    from tangent_fwd import registry

    saved = [dict(t) for t in (registry._RULES, registry._METHODS, registry._ATTRIBUTES)]
    try:
        _run(block, path, index, tmp_path)
    finally:  # rules a doc block registers must not leak into other tests
        for table, old in zip((registry._RULES, registry._METHODS, registry._ATTRIBUTES), saved):
            table.clear()
            table.update(old)
        registry._version[0] += 1


def _run(block, path, index, tmp_path):
    script = tmp_path / f"{path.stem}_block{index}.py"
    script.write_text(block)
    runpy.run_path(str(script), run_name="__main__")
