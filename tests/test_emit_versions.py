"""Source emission does not depend on the ``ast`` names Python 3.14 removed.

``ast.Str``, ``ast.Num``, ``ast.Bytes``, ``ast.NameConstant`` and ``ast.Ellipsis`` (deprecated since 3.8, when
every literal became ``ast.Constant``) are gone in Python 3.14, and astor's f-string code referred to
``ast.Str``. Here they are removed as 3.14 does, in this process and in a fresh interpreter, and the emitted
source must compile and be byte-identical to the normal emission; the ``ast.unparse`` fallback (used where
astor cannot be imported) must emit the same program.
"""

import ast
import os
import pathlib
import subprocess
import sys
import warnings

from golden_cases import CASES

from tangent_fwd import backends, nodes
from tangent_fwd.api import _wrt_names
from tangent_fwd.compiler import Unit

REMOVED = ("Str", "Num", "Bytes", "NameConstant", "Ellipsis")

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)  # astor reads ast.Num at import (deprecated on 3.12, 3.13)
    import astor
    import astor.code_gen


def fstrings(x, n):
    label = f"{x!r:>{n}} {{literal}} {x=} {n:03d} {'inner'} {x!s} {x!a:<10}"
    width = f"{label}|{x * 2:{n}.{n}}|" + f"{'dq'}" + f"{label!r}"
    for i in range(n):
        x = x * 2.0 + len(f"{i}")
    return x, label, width


def constants(x):
    y = x * 1.5 + 2 + 10**30 + 0x1F + 1e300 * 10 + 1e-7 + 3j * 0 + float("inf") * 0.0
    s = "quote ' and \" and \n newline, unicode é \u2603, tab\t" + r"raw \d" + """triple"""
    b = b"bytes \x00 \xff" + rb"raw \d"
    flags = (True, False, None, ..., -1, -2.5, +3)
    if flags[3] is ... and flags[2] is None and not flags[1]:
        y = y + len(s) + len(b)
    return y, s, b, flags


def loop_and_branch(x, n):
    acc = 0.0
    for i in range(n):
        if i % 2:
            acc = acc + x**i
        else:
            acc = acc - x / (i + 1)
    while acc > 1e6:
        acc = acc / 2
    return acc


FUNCS = {
    "fstrings": (fstrings, "x"),
    "constants": (constants, "x"),
    "loop_and_branch": (loop_and_branch, "x"),
    **CASES,
}


def emit(func, wrt):
    """Generated source of a fresh transform (no compile cache involved)."""
    return Unit(func, _wrt_names(func, wrt), backends.get("numpy")).build().source


def remove_names(m):
    """``ast`` as on Python 3.14 (undone with the monkeypatch ``m``): the names deleted, and on 3.12/3.13 also
    taken from the deprecation hook that serves them; the emitter is chosen again, and astor's view of
    ``ast`` is restored afterwards."""
    for n in REMOVED:
        if n in vars(ast):
            m.delattr(ast, n)
        if n in getattr(ast, "_deprecated_globals", {}):
            m.delitem(ast._deprecated_globals, n)
    m.setattr(nodes, "_EMITTER", [])
    m.setattr(astor.code_gen, "ast", astor.code_gen.ast)


def test_emission_without_removed_ast_names_is_unchanged(monkeypatch):
    normal = {k: emit(*v) for k, v in FUNCS.items()}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # Constant.s, ast.Str on 3.12 and 3.13
        normal_astor = astor.to_source(ast.parse("x = f'{{a}} {b!r:>{w}}' + 'c'\n"))
    remove_names(monkeypatch)
    assert not any(hasattr(ast, n) for n in REMOVED)
    for k, (func, wrt) in FUNCS.items():
        src = emit(func, wrt)
        compile(src, f"<{k}>", "exec")
        assert src == normal[k], k
    assert nodes._EMITTER != [nodes._unparse]  # astor did the emitting, not the fallback
    if hasattr(ast.Constant, "s"):  # up to 3.13: astor used directly by other code is unchanged
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)  # astor reads Constant.s, as it always did
            assert astor.to_source(ast.parse("x = f'{{a}} {b!r:>{w}}' + 'c'\n")) == normal_astor


def test_golden_sources_without_removed_ast_names(monkeypatch):
    golden = pathlib.Path(__file__).parent / "golden"
    remove_names(monkeypatch)
    for name, (func, wrt) in CASES.items():
        assert emit(func, wrt) == (golden / f"{name}.py").read_text(), name


_FRESH = """
import ast, sys
for n in {removed!r}:  # as on Python 3.14
    vars(ast).pop(n, None)
    getattr(ast, "_deprecated_globals", {{}}).pop(n, None)
sys.path.insert(0, {tests!r})
import tangent_fwd
import test_emit_versions as t
for k in ("fstrings", "constants", "loop_and_branch"):
    sys.stdout.write(tangent_fwd.source(t.FUNCS[k][0], wrt="x"))
    sys.stdout.write("\\0")
"""


def test_fresh_interpreter_without_removed_ast_names_imports_and_emits():
    """As on Python 3.14 from the start: astor and tangent_fwd import, and the source is the same."""
    tests = os.path.dirname(os.path.abspath(__file__))
    code = _FRESH.format(removed=REMOVED, tests=tests)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    got = out.stdout.split("\0")[:-1]
    assert got == [emit(*FUNCS[k]) for k in ("fstrings", "constants", "loop_and_branch")]


def test_import_and_emission_raise_no_deprecation_warning():
    """astor reads ``ast.Num`` at import and ``ast.Str`` for f-strings, deprecated on 3.12 and 3.13: with
    DeprecationWarnings as errors, tangent_fwd still imports and emits."""
    tests = os.path.dirname(os.path.abspath(__file__))
    code = (
        f"import sys; sys.path.insert(0, {tests!r})\n"
        "import tangent_fwd, test_emit_versions as t\n"
        "print(len(tangent_fwd.source(t.fstrings, wrt='x')))\n"
    )
    cmd = [sys.executable, "-W", "error::DeprecationWarning", "-c", code]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr


def _same_program(a, b):
    return ast.dump(ast.parse(a)) == ast.dump(ast.parse(b))


def test_unparse_fallback_emits_the_same_program(monkeypatch):
    normal = {k: emit(*v) for k, v in FUNCS.items()}
    monkeypatch.setattr(nodes, "_EMITTER", [nodes._unparse])
    for k, v in FUNCS.items():
        src = emit(*v)
        compile(src, f"<{k}>", "exec")
        assert _same_program(src, normal[k]), k


def test_unparse_fallback_is_chosen_where_astor_cannot_be_imported(monkeypatch):
    normal = emit(fstrings, "x")
    monkeypatch.setitem(sys.modules, "astor", None)  # `import astor` raises ImportError
    monkeypatch.setitem(sys.modules, "astor.code_gen", None)
    monkeypatch.setattr(nodes, "_EMITTER", [])
    src = emit(fstrings, "x")
    assert nodes._EMITTER == [nodes._unparse]
    assert _same_program(src, normal)


def test_generated_fstring_code_runs():
    """The emitted f-string function is the original one plus tangents: same value, tangent by finite difference."""
    import tangent_fwd

    x, n = 1.25, 3
    (value, dvalue) = tangent_fwd.jvp(fstrings, (x, n), (1.0, None))
    assert value == fstrings(x, n)
    h = 1e-6
    fd = (fstrings(x + h, n)[0] - fstrings(x - h, n)[0]) / (2 * h)
    assert abs(dvalue[0] - fd) < 1e-6
