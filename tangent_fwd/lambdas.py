"""Lambdas as functions: find a lambda's node in its file from its code object, and turn the lambdas
inside a function body into nested defs (which the transform already differentiates, closures included).

A lambda has no name and ``inspect.getsource`` returns the whole statement it stands in, which may hold
several lambdas (or not even parse, when it is an argument line of a longer call). So the file is parsed
and the candidates on the lambda's first line are told apart by compiling each one and comparing its
constants, names and variables with the lambda's own code, then (Python 3.11+) by the columns its code
records (``co_positions``); when two different candidates still match (on Python 3.10, which keeps no
columns: ``lambda x: x + 1, lambda x: x - 1``), the lambda is refused, naming the line.
"""

import ast
import linecache
import sys

import gast

from . import nodes
from .errors import SourceUnavailableError, TransformError

_TREES = {}  # filename -> (source text, ast.Module)
_HAS_POSITIONS = sys.version_info >= (3, 11)  # code objects record columns (co_positions)


def _file_tree(filename, module_globals):
    lines = linecache.getlines(filename, module_globals)
    if not lines:
        return None, None
    text = "".join(lines)
    hit = _TREES.get(filename)
    if hit is not None and hit[0] == text:
        return lines, hit[1]
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return lines, None
    _TREES[filename] = (text, tree)
    return lines, tree


def _code_key(code):
    """What two compilations of the same lambda text share wherever they stand: its constants, names,
    variables and arity (the bytecode itself depends on the module around it: Python 3.11 does not
    optimise method calls on imported names)."""
    inner = {c.co_name for c in code.co_consts if hasattr(c, "co_code")}
    consts = tuple(
        _code_key(c) if hasattr(c, "co_code") else repr(c)
        for c in code.co_consts
        # Python 3.10 keeps a nested function's qualified name (which says where it stood) among the constants
        if not (isinstance(c, str) and c.rsplit(".", 1)[-1] in inner)
    )
    return (consts, code.co_names, code.co_varnames, code.co_freevars, code.co_argcount, code.co_kwonlyargcount)


def _compiled_candidate(segment, freevars, filename):
    """The code object of lambda text ``segment`` compiled where ``freevars`` are enclosing locals."""
    head = "def __tangent_fwd_outer__():\n"
    if freevars:
        head += "    " + " = ".join(freevars) + " = None\n"
    text = head + "    return (\n" + segment + "\n)\n"
    try:
        module = compile(text, filename, "exec", dont_inherit=True)
    except SyntaxError:
        return None
    outer = next(c for c in module.co_consts if hasattr(c, "co_code"))
    inner = [c for c in outer.co_consts if hasattr(c, "co_code")]
    return inner[0] if inner else None


def _span_contains(node, positions):
    start, end = (node.lineno, node.col_offset), (node.end_lineno, node.end_col_offset)
    for line, end_line, col, end_col in positions:
        if line is None or col is None or (line, col) == (end_line, end_col):
            continue  # no position, or the function's entry (RESUME) which has none of its own
        if (line, col) < start or (end_line, end_col) > end:
            return False
    return True


def _name_for(parents, lam):
    parent = parents.get(id(lam))
    if isinstance(parent, ast.Assign) and len(parent.targets) == 1 and isinstance(parent.targets[0], ast.Name):
        return parent.targets[0].id
    if isinstance(parent, ast.keyword) and parent.arg:
        return parent.arg
    return "lam"


def locate(func):
    """``(FunctionDef node, file lines)`` for lambda ``func``: ``def <name>(args): return <body>``, with the
    body's line and column numbers those of the file, so errors point at the user's text."""
    code = func.__code__
    filename, line = code.co_filename, code.co_firstlineno
    lines, tree = _file_tree(filename, func.__globals__)
    where = f"{filename}:{line}"
    if tree is None:
        raise SourceUnavailableError(
            f"no Python source for the lambda defined at {where}",
            hint="tangent_fwd transforms source code: define the lambda in a .py file (not the REPL or exec)",
        )
    parents, candidates = {}, []
    for n in ast.walk(tree):
        for child in ast.iter_child_nodes(n):
            parents[id(child)] = n
        if isinstance(n, ast.Lambda) and n.lineno == line:
            candidates.append(n)
    want = _code_key(code)
    matches = []
    for lam in candidates:
        segment = ast.get_source_segment("".join(lines), lam)
        compiled = segment and _compiled_candidate(segment, code.co_freevars, filename)
        if compiled is not None and _code_key(compiled) == want:
            matches.append(lam)
    if _HAS_POSITIONS:  # the columns its instructions come from tell which one it is
        positions = list(code.co_positions())
        inside = [m for m in matches if _span_contains(m, positions)]
        inside.sort(key=lambda m: (m.end_lineno - m.lineno, m.end_col_offset - m.col_offset))
        matches = inside[:1]
    if not matches:
        raise SourceUnavailableError(
            f"the source of the lambda at {where} does not match its code (was the file edited after it was imported?)",
            hint="reload the module (importlib.reload) or restart the interpreter, then differentiate again",
        )
    if len({ast.dump(m) for m in matches}) > 1:
        raise TransformError(
            f"cannot tell apart the lambdas on line {line} of {filename}: more than one has this lambda's code",
            filename=filename,
            lineno=line,
            col=matches[0].col_offset,
            source_line=lines[line - 1].rstrip("\n"),
            hint="put each lambda on its own line, or define the function with def",
        )
    lam = gast.ast_to_gast(matches[0])
    fdef = nodes.funcdef(_name_for(parents, matches[0]), lam.args, [nodes.ret(lam.body)])
    fdef.lineno, fdef.col_offset = lam.lineno, lam.col_offset
    fdef.body[0].lineno, fdef.body[0].col_offset = lam.body.lineno, lam.body.col_offset
    return fdef, lines


# ---------------------------------------------------------------- lambdas in a body -> nested defs

_CONDITIONAL = (gast.IfExp, gast.BoolOp)
_SCOPES = (gast.ListComp, gast.SetComp, gast.DictComp, gast.GeneratorExp, gast.Lambda)


def _hoistable(lam, conditional):
    """A lambda may become a def before its statement when making it earlier changes nothing: it reads
    its free names when called, not when made; only default values are evaluated where it stands."""
    defaults = lam.args.defaults + [d for d in lam.args.kw_defaults if d is not None]
    if not defaults:
        return True
    return not conditional and all(isinstance(d, (gast.Constant, gast.Name)) for d in defaults)


class _Hoister:
    def __init__(self, taken, is_builtin):
        self.taken = set(taken)
        self.is_builtin = is_builtin

    def fresh(self, base):
        name, i = base, 1
        while name in self.taken:
            i += 1
            name = f"{base}{i}"
        self.taken.add(name)
        return name

    def block(self, stmts):
        out = []
        for s in stmts:
            if isinstance(s, gast.Assign) and len(s.targets) == 1 and isinstance(s.targets[0], gast.Name):
                lam = s.value
                if isinstance(lam, gast.Lambda) and _hoistable(lam, False):
                    out.append(self.as_def(s.targets[0].id, lam, s))
                    continue
            pre = []
            for field in ("test", "iter", "value", "targets", "target", "msg", "exc", "cause"):
                v = getattr(s, field, None)
                if isinstance(v, list):
                    setattr(s, field, [self.expr(x, pre, False) for x in v])
                elif isinstance(v, gast.expr):
                    setattr(s, field, self.expr(v, pre, False))
            out.extend(pre)
            for field in ("body", "orelse", "finalbody"):
                v = getattr(s, field, None)
                if isinstance(v, list) and v and isinstance(v[0], gast.stmt):
                    setattr(s, field, self.block(v))
            for h in getattr(s, "handlers", None) or ():
                h.body = self.block(h.body)
            out.append(s)
        return out

    def expr(self, e, pre, conditional):
        if isinstance(e, gast.Lambda):
            if _hoistable(e, conditional):
                name = self.fresh("lam")
                pre.append(self.as_def(name, e, e))
                ref = nodes.name(name)
                ref.lineno, ref.col_offset = e.lineno, e.col_offset  # errors about it point at the lambda
                return ref
            return e
        if isinstance(e, _SCOPES):
            return e  # a lambda there may read the comprehension's own names: left for the fence
        inner_conditional = conditional or isinstance(e, _CONDITIONAL)
        for field in e._fields:
            v = getattr(e, field, None)
            if isinstance(v, gast.expr):
                setattr(e, field, self.expr(v, pre, inner_conditional))
            elif isinstance(v, list):
                setattr(e, field, [self.expr(x, pre, inner_conditional) if isinstance(x, gast.expr) else x for x in v])
            elif isinstance(v, gast.keyword):
                v.value = self.expr(v.value, pre, inner_conditional)
        if isinstance(e, gast.Call):
            for k in e.keywords:
                k.value = self.expr(k.value, pre, inner_conditional)
            return self.map_filter(e)
        return e

    def map_filter(self, e):
        """``map(f, xs)`` -> ``(f(v) for v in xs)`` and ``filter(f, xs)`` -> ``(v for v in xs if f(v))``:
        lazy like the builtins, and ``f`` is then called by its name (a nested def reading differentiated
        values works there). Only when ``f`` is a name or attribute, which reading again changes nothing."""
        f = e.func
        if not (isinstance(f, gast.Name) and f.id in ("map", "filter") and self.is_builtin(f.id)):
            return e
        if e.keywords or len(e.args) < 2 or any(isinstance(a, gast.Starred) for a in e.args):
            return e
        fn, iters = e.args[0], e.args[1:]
        plain = isinstance(fn, gast.Name) or (isinstance(fn, gast.Attribute) and isinstance(fn.value, gast.Name))
        if f.id == "filter" and isinstance(fn, gast.Constant) and fn.value is None and len(iters) == 1:
            v = self.fresh("item")
            return _genexp(nodes.name(v), v, iters[0], [nodes.name(v)], e)
        if not plain:
            return e
        if f.id == "filter":
            if len(iters) != 1:
                return e
            v = self.fresh("item")
            return _genexp(nodes.name(v), v, iters[0], [nodes.call(nodes.clone(fn), [nodes.name(v)])], e)
        names = [self.fresh("item") for _ in iters]
        call = nodes.call(nodes.clone(fn), [nodes.name(n) for n in names])
        if len(iters) == 1:
            return _genexp(call, names[0], iters[0], [], e)
        if not self.is_builtin("zip"):
            return e
        target = nodes.tuple_([nodes.store(n) for n in names], gast.Store())
        return _genexp(call, target, nodes.call(nodes.name("zip"), iters), [], e)

    def as_def(self, name, lam, where):
        self.taken.add(name)
        body = [nodes.ret(lam.body)]
        body[0].lineno, body[0].col_offset = lam.body.lineno, lam.body.col_offset
        fdef = nodes.funcdef(name, lam.args, self.block(body))
        fdef.lineno, fdef.col_offset = where.lineno, where.col_offset
        return fdef


def _genexp(elt, target, iter_, ifs, where):
    if isinstance(target, str):
        target = nodes.store(target)
    gen = gast.comprehension(target=target, iter=iter_, ifs=ifs, is_async=0)
    out = gast.GeneratorExp(elt=elt, generators=[gen])
    out.lineno, out.col_offset = where.lineno, where.col_offset
    return out


def hoist(fdef, is_builtin=lambda name: False):
    """Turn the lambdas of ``fdef``'s body (nested defs included) into nested defs, and calls of the
    builtins ``map``/``filter`` (``is_builtin(name)``: the name means the builtin here) into generator
    expressions, in place."""
    # nothing to rewrite without a lambda or a call of a name map/filter (the common case: one fast walk)
    if not any(
        isinstance(n, gast.Lambda) or (isinstance(n.func, gast.Name) and n.func.id in ("map", "filter"))
        for n in nodes.nodes_of(fdef, (gast.Lambda, gast.Call))
    ):
        return
    taken = nodes.names_in(fdef) + [n.name for n in gast.walk(fdef) if isinstance(n, gast.FunctionDef)]
    fdef.body = _Hoister(taken, is_builtin).block(fdef.body)
