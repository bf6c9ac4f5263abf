"""The package's modules import each other without cycles (imports inside functions included): a pass
never imports a later pass, the registry never imports the rules, the CLI and the training runners share
their options through a module both import."""

import ast
import pathlib

import tangent_fwd

ROOT = pathlib.Path(tangent_fwd.__file__).parent


def _module_name(path):
    rel = path.relative_to(ROOT.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _imports(path, name):
    """The package modules ``path`` imports (a package's __init__ counts as the package)."""
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    out = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            if not mod.startswith("tangent_fwd"):
                continue
            for alias in node.names:  # `from . import x` may name a submodule
                out.add(f"{mod}.{alias.name}")
            out.add(mod)
        elif isinstance(node, ast.Import):
            out.update(a.name for a in node.names if a.name.startswith("tangent_fwd"))
    return out


def _graph():
    modules = {_module_name(p): p for p in ROOT.rglob("*.py")}
    graph = {}
    for name, path in modules.items():
        deps = {d for d in _imports(path, name) if d in modules and d != name}
        # a package's __init__ is its public surface (it re-exports its submodules): a submodule importing a
        # name from its own package is that re-export, not a dependency between passes
        graph[name] = {d for d in deps if not name.startswith(d + ".")}
    return graph


def _cycle(graph):
    state, stack = {}, []

    def visit(n):
        state[n] = "open"
        stack.append(n)
        for d in sorted(graph.get(n, ())):
            if state.get(d) == "open":
                return stack[stack.index(d) :] + [d]
            if d not in state:
                found = visit(d)
                if found:
                    return found
        stack.pop()
        state[n] = "done"
        return None

    for n in sorted(graph):
        if n not in state:
            found = visit(n)
            if found:
                return found
    return None


def test_the_package_has_no_import_cycle():
    cycle = _cycle(_graph())
    assert cycle is None, "import cycle: " + " -> ".join(cycle)


def test_the_graph_is_read():
    graph = _graph()
    assert "tangent_fwd.effects" in graph["tangent_fwd.activity"]
    assert "tangent_fwd.transform" in graph["tangent_fwd.compiler"]
    assert "tangent_fwd.training.options" in graph["tangent_fwd.cli"]
    assert _cycle({"a": {"b"}, "b": {"a"}}) == ["a", "b", "a"]
