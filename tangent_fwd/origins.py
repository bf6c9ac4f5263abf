"""Where a generated statement came from: the user's file, line and column, for refusals raised while
the generated code runs (``NotDifferentiableHere`` from a runtime helper: a list concatenated with one
whose items carry no tangent, ``list.sort()`` of differentiated values, ``np.pad(mode="maximum")``...).

The transformer tags every statement it emits with the user statement it was made for (:func:`tag`).
Compiling a unit records its text and tree under the generated file's name (:func:`register`), a cheap
dict entry: the line table is built only when an error asks for it (:func:`locate`), by walking the
tree and the parsed text side by side (the text was emitted from the tree, so their statements come in
the same order). The forward_diff guard, which runs a copy of a generated body under its own file
name, registers the copy (:func:`register_copy`)."""

import ast

import gast

from . import errors

_UNITS = {}  # generated file name -> (compiled text, the gast module emitted into it), until asked
_COPIES = {}  # guard file name -> (generated file name, line shift)
_TABLES = {}  # generated file name -> {line: (file, line, col, source line) of the user statement}
_KEPT = 512  # units remembered (the oldest forgotten first): their errors then go without a location
_BLOCKS = ("body", "orelse", "finalbody", "handlers")


def tag(stmts, info, stmt):
    """Mark the generated statements ``stmts`` (those not marked by a statement inside them) as made
    for the user statement ``stmt`` of the function ``info`` describes: its location, as info.error
    reports one (plain values: the tree keeps no user object alive)."""
    lineno = getattr(stmt, "lineno", None)
    if lineno is None:
        return
    idx = lineno - 1
    line = info.source_lines[idx].rstrip("\n") if 0 <= idx < len(info.source_lines) else None
    col = stmt.col_offset + info.col_offset if getattr(stmt, "col_offset", None) is not None else None
    origin = (info.filename, info.first_lineno + idx, col, line)
    for s in stmts:
        if "_tf_origin" not in s.__dict__:
            s._tf_origin = origin


def register(filename, text, module_node):
    """The unit compiled as ``filename``: ``text`` (holding ``module_node``'s functions, inside the
    factory function) was compiled."""
    _remember(_UNITS, filename, (text, module_node))
    _TABLES.pop(filename, None)


def register_copy(filename, source_filename, shift):
    """``filename`` holds lines of ``source_filename``, each ``shift`` lines further down."""
    _remember(_COPIES, filename, (source_filename, shift))


def _remember(table, key, value):
    table.pop(key, None)
    table[key] = value
    if len(table) > _KEPT:
        del table[next(iter(table))]


def _table(filename):
    """The line table of a registered unit (built on first use; the tree and text are dropped then), or
    None for a file that is not one."""
    table = _TABLES.get(filename)
    if table is None:
        unit = _UNITS.pop(filename, None)
        if unit is None:
            return None
        table = {}
        _remember(_TABLES, filename, table)
        text, module_node = unit
        try:
            tree = ast.parse(text)
        except SyntaxError:
            return table
        defs = {d.name: d for d in ast.walk(tree) if isinstance(d, ast.FunctionDef)}
        for node in module_node.body:
            if isinstance(node, gast.FunctionDef) and node.name in defs:
                _pair(node.body, defs[node.name].body, table)
    return table


def _pair(gen, emitted, table):
    """Walk the statements of the tree and of the parsed text side by side; stop where they differ."""
    if len(gen) != len(emitted):
        return
    for g, e in zip(gen, emitted):
        if type(g).__name__ != type(e).__name__:
            return
        for field in _BLOCKS:  # the statements inside first: their lines are theirs, the rest the header's
            gb, eb = getattr(g, field, None), getattr(e, field, None)
            if isinstance(gb, list) and isinstance(eb, list):
                if field == "handlers":
                    for gh, eh in zip(gb, eb):
                        _pair(gh.body, eh.body, table)
                else:
                    _pair(gb, eb, table)
        origin = g.__dict__.get("_tf_origin")
        if origin is not None:
            for line in range(e.lineno, (e.end_lineno or e.lineno) + 1):
                table.setdefault(line, origin)


def locate(tb):
    """The user statement of the innermost generated frame in traceback ``tb`` that has one, as a
    TransformError carrying its location (or None)."""
    found = None
    while tb is not None:
        filename, line = tb.tb_frame.f_code.co_filename, tb.tb_lineno
        if filename in _COPIES:
            filename, shift = _COPIES[filename]
            line -= shift
        table = _table(filename)
        if table is not None and line in table:
            found = table[line]
        tb = tb.tb_next
    if found is None:
        return None
    filename, lineno, col, line = found
    return errors.TransformError("", filename=filename, lineno=lineno, col=col, source_line=line)


def _message(exc):
    """``NotDifferentiableHere``'s text, prefixed with the user's file:line:col and the quoted line once
    its traceback reaches generated code that knows where it came from."""
    text = Exception.__str__(exc)
    if getattr(exc, "filename", None) is not None:
        return text
    where = locate(exc.__traceback__)
    if where is None:
        return text
    first, _, rest = text.partition("\n")
    head, _, quoted = str(where).partition("\n")  # "file:line:col: " and the quoted line with its caret
    parts = [head + first.removeprefix("tangent_fwd: "), quoted, rest]
    return "\n".join(p for p in parts if p)


errors.LOCATE[0] = _message
