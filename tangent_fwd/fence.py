"""Reject syntax the compiler does not differentiate, naming file, line and column, with a hint."""

import gast

from . import nodes
from .errors import UnsupportedSyntaxError

# try/except/finally and with are walked by contexts.py (except* is not: see below)
_REJECT = {
    gast.AsyncWith: ("'async with' is not supported", "differentiate a plain synchronous function"),
    gast.AsyncFor: ("'async for' is not supported", "differentiate a plain synchronous function"),
    gast.AsyncFunctionDef: ("async functions are not supported", "differentiate a plain synchronous function"),
    gast.Await: ("'await' is not supported", "differentiate a plain synchronous function"),
    gast.Yield: ("generators ('yield') are not supported", "build and return a list instead"),
    gast.YieldFrom: ("generators ('yield from') are not supported", "build and return a list instead"),
    gast.ClassDef: (
        "class definitions inside a differentiated function are not supported",
        "define the class at module level, and differentiate functions of arrays",
    ),
    gast.Lambda: (  # the others became nested defs when the function was parsed (lambdas.py)
        "lambda expressions inside comprehensions (or with defaults inside a conditional expression) are not supported",
        "define it with a nested def before the statement",
    ),
    gast.NamedExpr: ("assignment expressions (:=) are not supported", "assign the value on its own line"),
    gast.Import: ("import statements inside a differentiated function are not supported", "import at module level"),
    gast.ImportFrom: ("import statements inside a differentiated function are not supported", "import at module level"),
}
if hasattr(gast, "Match"):
    _REJECT[gast.Match] = ("match statements are not supported", "use if/elif/else")
if hasattr(gast, "TryStar"):
    _REJECT[gast.TryStar] = (
        "try/except* (exception groups) is not supported",
        "catch the exception group with a plain except clause, or move the try outside the differentiated function",
    )


def check(info, fnode=None):
    """Raise UnsupportedSyntaxError at the first unsupported construct of the function."""
    fnode = fnode or info.node
    for stmt in fnode.body:
        for node in nodes.nodes_of(stmt, gast.AST):  # breadth first, like gast.walk, 2x faster
            entry = _REJECT.get(type(node))
            if entry is not None:
                raise info.error(node, entry[0], UnsupportedSyntaxError, hint=entry[1])
