"""Generate docs/rules.md, the table of every JVP rule the library registers, from the registry.

    python docs/gen_rules.py            # rewrite docs/rules.md
    python docs/gen_rules.py --check    # exit 1 if docs/rules.md is out of date

tests/test_docs_rules.py checks that docs/rules.md equals :func:`render`, so the table cannot drift.
"""

import ast
import os
import sys

import gast

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "rules.md")

# where a rule was declared (its origin file) -> section title, in this order
SECTIONS = [
    ("operators.py", "Python operators (`operator`)"),
    ("builtin_rules.py", "Python builtins"),
    ("math_rules.py", "`math`"),
    ("numpy_rules.py", "NumPy"),
    ("runtime_rules.py", "tangent_fwd runtime helpers (for forward-over-forward)"),
    ("__init__.py", "tangent_fwd"),
]
KIND_TABLE = {"function": "", "method": "method", "attribute": "attribute"}


def _library_file(origin):
    """The rules module a rule was declared in, or None for rules registered elsewhere (user code, tests)."""
    if not origin:
        return None
    path = origin.rsplit(":", 1)[0].replace("\\", "/")
    parts = path.split("/")
    if "tangent_fwd" not in parts:
        return None
    rest = parts[len(parts) - 1 - parts[::-1].index("tangent_fwd") + 1 :]
    if rest[:1] == ["rules"] and len(rest) == 2:
        return rest[1]
    if rest == ["__init__.py"]:
        return "__init__.py"
    return None


def _src(expr):
    return ast.unparse(gast.gast_to_ast(expr)).strip()


def _cell(text):
    return "`" + text.replace("|", "\\|").replace("`", "'") + "`"


def _math(rule):
    if rule.kind == "zero":
        return "0 (constant: the result carries no tangent)"
    if rule.kind == "linear":
        return (
            "linear in "
            + ", ".join(_cell(p) for p in rule.linear_in)
            + ": tangent = the same call on the tangent"
            + ("" if len(rule.linear_in) == 1 else " of each, summed")
        )
    if getattr(rule, "joint", None) is not None:
        return f"one expression in all the tangents (a constant one is zeros): {_cell(_src(rule.joint))}"
    parts = []
    for pname, partial in rule.partials.items():
        if callable(partial) and not isinstance(partial, gast.AST):
            body = getattr(partial, "__qualname__", repr(partial)) + "(d, ans, ...)"
        else:
            body = _src(partial)
        parts.append(f"{_cell('d' + pname)}: {_cell(body)}")
    return "<br>".join(parts) if parts else "(no differentiable argument)"


_PUBLIC = ("numpy", "numpy.linalg", "numpy.random", "numpy.lib.stride_tricks", "operator", "math")


def _public_name(rule):
    """How users write the op: ``numpy.linalg.inv`` (not the registry's ``numpy.inv``), ``operator.add``."""
    import importlib

    op, name = rule.op, getattr(rule.op, "__name__", None)
    if getattr(op, "__module__", None) == "builtins" and not rule.name.startswith("numpy"):
        return rule.name
    if op is not None and name:
        for modname in _PUBLIC:
            if getattr(importlib.import_module(modname), name, None) is op:
                return f"{modname}.{name}"
    return rule.name[1:] if rule.name.startswith("_operator.") else rule.name


def _op(table, key, rule):
    return _cell(_public_name(rule) if table == "function" else rule.name)


def _signature(rule):
    if not rule.params:
        return ""
    out = []
    star = any(p.kind == "var" for p in rule.params)
    for p in rule.params:
        if p.kind == "kwonly" and not star:
            out.append("*")
            star = True
        if p.kind == "var":
            out.append("*" + p.name)
        elif p.has_default:
            out.append(f"{p.name}={p.default!r}")
        else:
            out.append(p.name)
    return _cell(", ".join(out))


def render():
    """The markdown of docs/rules.md for the rules registered by the library (not by users or tests)."""
    from tangent_fwd import registry

    rules = registry.all_rules()
    groups = {f: [] for f, _ in SECTIONS}
    for table, key, rule in rules:
        f = _library_file(rule.origin)
        if f is None:
            continue
        groups.setdefault(f, []).append((table, key, rule))
    titles = dict(SECTIONS)
    lines = [
        "# JVP rules",
        "",
        "Generated from the registry by `docs/gen_rules.py` (`python docs/gen_rules.py` rewrites this file;",
        "`tests/test_docs_rules.py` fails when it is out of date). Each rule is one line in",
        "`tangent_fwd/rules/`; see `tangent_fwd/registry.py` for `defjvp`, `deflinear`, `defzero`.",
        "",
        "For a `jvp` rule the tangent is the sum, over the differentiated arguments, of the partial",
        "written next to that argument's tangent (`ans` is the primal result, `np` the array backend,",
        "`rt` the runtime helpers in `tangent_fwd/runtime.py`). A `linear` rule's tangent is the same call",
        "with the argument replaced by its tangent; a `zero` rule's result carries no tangent.",
        "",
        "A `jvp` rule gives one partial per parameter, in order; `None` declares a parameter not",
        "differentiable, and the options after the leading parameters (`axis=None`, `out=None`,",
        "keyword-only ones) may be left out. Too few partials for the leading parameters, or more",
        "partials than parameters, is an `ArgumentError` at registration (see `tangent_fwd/registry.py`).",
        "",
        "## Conventions",
        "",
        "**Complex numbers** (JAX's convention). A complex number is a pair of reals and the tangent is",
        "the directional derivative along the complex tangent `dz`: holomorphic functions (`sin`, `exp`,",
        "`*`, `/`, powers) keep their usual partials, and real-valued functions of a complex argument get",
        "real tangents with the conjugate: `abs` -> `Re(conj(z) dz) / |z|`, `norm` likewise, `var` ->",
        "`2 sum(Re(conj(z - mean) dz)) / (N - ddof)`, `std` -> `var`'s tangent `/ (2 std)`, `angle` ->",
        "`Im(conj(z) dz) / |z|^2`; `sign(z) = z / |z|` -> `dz / |z| - z Re(conj(z) dz) / |z|^3` (for real",
        "arguments `sign` and `angle` are piecewise constant: tangent 0). Real inputs cost what they did",
        "(the helpers check the dtype kind at run time), except that `sign` and `angle` of a real array",
        "now carry an explicit zero tangent: the compiler does not see dtypes, so it cannot drop it.",
        "",
        "**Kinks and limits.** Where a function is not differentiable the tangent is the same fixed choice",
        "everywhere, never a NaN that the function itself does not have: `abs`, `sign`, `angle` and the",
        "2-norm at 0, and `std` where the variance is 0 (one value, or all values equal: `std` of",
        "`x + h dx` is `|h| std(dx)` there), give 0; `max`/`min` take the first arg-extremum and",
        "`maximum`/`minimum` the second argument at a tie. Powers follow JAX: `d(x**y)/dx = y x**(y-1)`",
        "is 0 at `y == 0` (also at `x == 0`), `d(x**y)/dy = x**y log x` is 0 at `x == 0`.",
        "",
        "**Forward over forward.** Every `rt.` helper that a template emits has a rule of its own",
        "(`tests/test_runtime_helper_rules.py` checks it), so `hessian` and `jacfwd` of a JVP work through",
        "them. A few third derivatives (of `prod`, `cumprod`, `norm`, and second derivatives of some",
        "complex kinks) are not implemented: they raise `tangent_fwd.NotDifferentiableHere` (a TransformError, and a NotImplementedError) when reached, never a zero.",
        "",
    ]
    total = sum(len(v) for v in groups.values())
    counts = {}
    for v in groups.values():
        for _, _, r in v:
            counts[r.kind] = counts.get(r.kind, 0) + 1
    lines.append(f"{total} rules: " + ", ".join(f"{counts.get(k, 0)} {k}" for k in ("jvp", "linear", "zero")) + ".")
    lines.append("")
    for f in list(groups):
        entries = groups[f]
        if not entries:
            continue
        lines += [
            f"## {titles.get(f, f)}",
            "",
            f"Declared in `tangent_fwd/{'rules/' if f != '__init__.py' else ''}{f}`.",
            "",
            "| op | kind | parameters | tangent |",
            "|---|---|---|---|",
        ]
        for table, key, rule in entries:
            kind = rule.kind + (f" ({KIND_TABLE[table]})" if KIND_TABLE[table] else "")
            lines.append(f"| {_op(table, key, rule)} | {kind} | {_signature(rule)} | {_math(rule)} |")
        lines.append("")
    return "\n".join(lines)


def main(argv):
    sys.path.insert(0, os.path.dirname(HERE))
    text = render()
    if "--check" in argv:
        with open(OUT, encoding="utf-8") as fh:
            ok = fh.read() == text
        print("docs/rules.md is up to date" if ok else "docs/rules.md is out of date: run python docs/gen_rules.py")
        return 0 if ok else 1
    with open(OUT, "w", encoding="utf-8") as fh:
        fh.write(text)
    print(f"wrote {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
