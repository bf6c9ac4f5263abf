"""The only module that builds gast nodes by hand: constructors, copying, substitution, templates.

Keeping every ``gast.X(...)`` constructor here means a gast upgrade touches one file.
"""

import ast
import functools
import sys
import types
import warnings

import gast

Load, Store, Del = gast.Load, gast.Store, gast.Del


# The most frequent constructors fill the new node's dict themselves (the same fields in the same order
# as ``gast.Name(id=..., ...)``): gast's constructor is a Python function that only stores its keywords
# there, and these run a thousand times in a cold transform.
_new = gast.AST.__new__


def name(id_, ctx=None):
    n = _new(gast.Name)
    n.__dict__.update(id=id_, ctx=ctx if ctx is not None else _new(Load), annotation=None, type_comment=None)
    return n


def store(id_):
    return name(id_, _new(Store))


def const(value):
    n = _new(gast.Constant)
    n.__dict__.update(value=value, kind=None)
    return n


def attr(value, attribute):
    n = _new(gast.Attribute)
    n.__dict__.update(value=value, attr=attribute, ctx=_new(Load))
    return n


def dotted(path):
    """``'xp.linalg.inv'`` -> Attribute(Attribute(Name(xp), linalg), inv)."""
    head, *rest = path.split(".")
    node = name(head)
    for part in rest:
        node = attr(node, part)
    return node


def call(func, args=(), keywords=()):
    if isinstance(func, str):
        func = dotted(func)
    kws = [gast.keyword(arg=k, value=v) for k, v in keywords]
    return gast.Call(func=func, args=list(args), keywords=kws)


def keyword(arg, value):
    return gast.keyword(arg=arg, value=value)


def assign(target, value):
    if isinstance(target, str):
        target = store(target)
    n = _new(gast.Assign)
    n.__dict__.update(targets=[target], value=value, type_comment=None)
    return n


def tuple_(elts, ctx=None):
    return gast.Tuple(elts=list(elts), ctx=ctx if ctx is not None else gast.Load())


def list_(elts, ctx=None):
    return gast.List(elts=list(elts), ctx=ctx if ctx is not None else gast.Load())


def dict_(keys, values):
    return gast.Dict(keys=list(keys), values=list(values))


def binop(left, op, right):
    n = _new(gast.BinOp)
    n.__dict__.update(left=left, op=op, right=right)
    return n


def add(left, right):
    return binop(left, gast.Add(), right)


def unary(op, operand):
    return gast.UnaryOp(op=op, operand=operand)


def compare(left, op, right):
    return gast.Compare(left=left, ops=[op], comparators=[right])


def expr_stmt(value):
    return gast.Expr(value=value)


def ret(value):
    return gast.Return(value=value)


def if_(test, body, orelse=()):
    return gast.If(test=test, body=list(body) or [gast.Pass()], orelse=list(orelse))


def for_(target, iter_, body, orelse=()):
    return gast.For(target=target, iter=iter_, body=list(body), orelse=list(orelse), type_comment=None)


def listcomp(elt, target, iter_):
    gen = gast.comprehension(target=target, iter=iter_, ifs=[], is_async=0)
    return gast.ListComp(elt=elt, generators=[gen])


def index_expr(idx, slice_name="slice"):
    """An index (which may hold slices) as an ordinary expression: ``1:, i`` -> ``(slice(1, None), i)``."""
    if isinstance(idx, gast.Slice):
        parts = [idx.lower or const(None), idx.upper or const(None), idx.step or const(None)]
        return call(name(slice_name), [clone(p) for p in parts])
    if isinstance(idx, gast.Tuple):
        return tuple_([index_expr(e, slice_name) for e in idx.elts])
    return clone(idx)


def pass_():
    return gast.Pass()


def subscript(value, index, ctx=None):
    return gast.Subscript(value=value, slice=index, ctx=ctx if ctx is not None else gast.Load())


def arguments(args, defaults=(), kwonly=(), kw_defaults=(), vararg=None, kwarg=None, posonly=()):
    return gast.arguments(
        args=list(args),
        posonlyargs=list(posonly),
        vararg=vararg,
        kwonlyargs=list(kwonly),
        kw_defaults=list(kw_defaults),
        kwarg=kwarg,
        defaults=list(defaults),
    )


def param(id_):
    return gast.Name(id=id_, ctx=gast.Param(), annotation=None, type_comment=None)


def funcdef(fname, args, body, docstring=None):
    body = list(body)
    if docstring:
        body.insert(0, expr_stmt(const(docstring)))
    kwargs = dict(name=fname, args=args, body=body, decorator_list=[], returns=None, type_comment=None)
    if "type_params" in gast.FunctionDef._fields:
        kwargs["type_params"] = []
    return gast.FunctionDef(**kwargs)


def module(body):
    return gast.Module(body=list(body), type_ignores=[])


# ---------------------------------------------------------------- copying and substitution


def clone(node):
    return substitute(node, {})


def substitute(node, mapping):
    """Deep-copy ``node`` replacing each loaded ``Name`` whose id is in ``mapping`` by a copy of its value."""
    cls = node.__class__
    if cls is gast.Name and node.id in mapping and isinstance(node.ctx, gast.Load):
        return clone(mapping[node.id])
    if cls is list:
        return [substitute(n, mapping) for n in node]
    if isinstance(node, gast.AST):
        # fields and locations live in the instance dict (gast's constructors set them there): read and
        # write it directly, a hot path of every rule template's instantiation
        new = cls.__new__(cls)
        old, d = node.__dict__, new.__dict__
        for field in cls._fields:
            v = old.get(field)
            k = v.__class__
            # without a call: a str, number or None is kept (Name.id, Constant.value, an absent annotation),
            # a context (Load, Store...) is a new one, as copying it would make
            if k in _SCALARS:
                d[field] = v
            elif k in _CONTEXTS:
                d[field] = _new(k)
            else:
                d[field] = substitute(v, mapping)
        for a in _LOCATION:
            if a in old:
                d[a] = old[a]
        return new
    return node


_LOCATION = ("lineno", "col_offset", "end_lineno", "end_col_offset")


def with_ctx(node, ctx_cls):
    """A copy of a Name/Tuple/List/Subscript/Attribute expression with the outer context set."""
    new = clone(node)

    def fix(n):
        if isinstance(n, (gast.Name, gast.Attribute, gast.Subscript, gast.Starred)):
            n.ctx = ctx_cls()
        if isinstance(n, (gast.Tuple, gast.List)):
            n.ctx = ctx_cls()
            for e in n.elts:
                fix(e)
        if isinstance(n, gast.Starred):
            fix(n.value)

    fix(new)
    return new


def names_in(node, ctx_cls=None):
    """Ids of all Name nodes under ``node`` (optionally only those with the given context), in the
    order ``gast.walk`` visits them (breadth first). A hot path of the compiler."""
    if node.__class__ is gast.Name and getattr(node, "annotation", None) is None:  # an atom: no walk
        return [node.id] if ctx_cls is None or isinstance(node.ctx, ctx_cls) else []
    return [n.id for n in nodes_of(node, gast.Name) if ctx_cls is None or isinstance(n.ctx, ctx_cls)]


def nodes_of(node, cls):
    """All nodes of type ``cls`` under ``node`` (itself included), breadth first like ``gast.walk``,
    with a plain loop over ``_fields``: about twice as fast as ``gast.walk`` (a generator over
    ``iter_child_nodes``)."""
    out = []
    queue = [node]
    push, extend = queue.append, queue.extend
    fields_of = _CHILD_FIELDS
    # a list read while it grows is a breadth-first queue without a deque's pop calls; every non-None
    # field value goes in (a list's items with one C-level extend) and a non-node (a str in
    # Global.names, a None dict key) simply has no fields and is not of type cls
    for n in queue:
        if isinstance(n, cls):
            out.append(n)
        fields = fields_of.get(n.__class__)
        if fields is None:
            fields = _child_fields(n.__class__) if isinstance(n, gast.AST) else ()
            fields_of[n.__class__] = fields
        for field in fields:
            v = getattr(n, field, None)
            if v.__class__ is list:
                extend(v)
            elif v is not None:
                push(v)
    return out


_CHILD_FIELDS = {}  # node class -> its fields that may hold child nodes


def defs_in(node):
    """``nodes_of(node, gast.FunctionDef)`` (the same nodes in the same order) from a walk of the
    statements alone: a def is a statement, so every node on the way to one is a statement, an except
    handler or a match case, and the expressions (most of the tree) need not be visited."""
    out, queue = [], [node]
    for n in queue:
        if isinstance(n, gast.FunctionDef):
            out.append(n)
        for field in n._fields:
            v = getattr(n, field, None)
            if v.__class__ is list:
                queue.extend(x for x in v if isinstance(x, _BLOCK_HOLDERS))
            elif isinstance(v, _BLOCK_HOLDERS):
                queue.append(v)
    return out


_BLOCK_HOLDERS = (gast.stmt, gast.excepthandler, gast.match_case)


def _child_fields(klass):
    """A node class's fields without ``ctx`` (Load/Store/Del markers, one per Name, Attribute and
    Subscript: no caller asks for them, and skipping them halves the nodes a walk visits) and without
    the fields that hold a string or number by gast's grammar (``Name.id``, ``Attribute.attr``,
    ``Constant.value``...): Names and Constants, most of a tree, then cost no field read at all."""
    skip = _SCALAR_FIELDS | ({"value"} if klass is gast.Constant else set())
    fields = _CHILD_FIELDS[klass] = tuple(f for f in klass._fields if f not in skip)
    return fields


# fields that never hold a node (gast's ASDL: identifier, string, int or constant fields)
_SCALAR_FIELDS = frozenset(["ctx", "id", "attr", "kind", "type_comment", "conversion", "is_async", "simple", "level"])


def parse_expr(text):
    """Parse a template expression string into a gast expression."""
    return gast.parse(text.strip(), mode="eval").body


def is_atom(node):
    return isinstance(node, (gast.Name, gast.Constant))


def dotted_name(node):
    """``a.b.c`` -> 'a.b.c' for a chain of attributes on a Name, else None."""
    parts = []
    while isinstance(node, gast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, gast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    return None


def to_source(node):
    """Python source for a gast tree. Emitted with astor, whose layout the golden files and docs pin; where
    astor cannot be imported, with the standard library's ``ast.unparse`` (the same program, laid out
    differently: parenthesised tuples, no line wrapping)."""
    emit = _EMITTER[0] if _EMITTER else _load_emitter()
    return emit(to_ast(node))


_EMITTER = []  # the emitting function, chosen on first use (astor is imported lazily)
# Node classes deprecated since Python 3.8 (every literal parses as ast.Constant), reachable only through a
# DeprecationWarning in 3.12 and 3.13, and removed in 3.14.
_REMOVED_CONSTANT_NODES = ("Str", "Num", "Bytes", "NameConstant", "Ellipsis")


def _load_emitter():
    # Read before importing astor (its import reads ast.Num, which then stays in ast's namespace on 3.12/3.13):
    # the names that astor must not be shown, gone (3.14) or behind the deprecation hook (3.12, 3.13).
    missing = [n for n in _REMOVED_CONSTANT_NODES if n not in vars(ast)]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)  # astor 0.8.1 reads ast.Num at import
            import astor
            import astor.code_gen
    except (ImportError, AttributeError):  # astor missing, or broken on this Python at import
        emit = _unparse
    else:
        emit = _astor_without(missing, astor) if missing else _astor(astor)
    _EMITTER.append(emit)
    return emit


def _generator(astor):
    """astor's source generator, except that a subscript whose index tuple holds a starred element
    (``a[*idx, s]``, new syntax in 3.11) is written with the tuple in parentheses, ``a[(*idx, s)]``: the
    same node, valid on every Python (astor drops the parentheses, a SyntaxError before 3.11)."""

    class Generator(astor.code_gen.SourceGenerator):
        def visit_Subscript(self, node):
            index = node.slice
            if type(index) is ast.Tuple and any(type(e) is ast.Starred for e in index.elts):
                astor.code_gen.set_precedence(node, index)  # (as astor does for the index)
                self.write(node.value, "[(")
                self.comma_list(index.elts, len(index.elts) == 1)
                self.write(")]")
            else:
                super().visit_Subscript(node)

    return Generator


def _astor(astor):
    return functools.partial(astor.to_source, source_generator_class=_generator(astor))


class _NoSuchNode:
    """Stands in for a removed ``ast`` class in astor's view of ``ast``: nothing is an instance of it."""


class _StrPartType(type):
    def __instancecheck__(cls, obj):
        # what ast.Str's check was up to 3.13, so that other users of astor see no change on 3.12 and 3.13
        return type.__instancecheck__(cls, obj) or (type(obj) is ast.Constant and isinstance(obj.value, str))


class _StrPart(metaclass=_StrPartType):
    """A literal part of an f-string in the form astor's ``ast.Str`` branch reads: the text in ``s``
    (``ast.Constant`` lost its ``s`` alias in 3.14 and warns on reading it in 3.12 and 3.13)."""

    __slots__ = ("s",)

    def __init__(self, s):
        self.s = s


def _astor_without(removed, astor):
    """``astor.to_source`` where ``ast`` lacks the ``removed`` classes (Python 3.14) or has them only behind a
    DeprecationWarning (3.12, 3.13), emitting what it emits where they are plain attributes.

    astor 0.8.1 writes each part of an f-string by testing ``isinstance(part, ast.Str)`` (true for a
    string ``ast.Constant`` up to 3.13), reading ``part.s`` and doubling its braces. Without ``ast.Str`` that
    test raises (or warns, on 3.12 and 3.13), and its later ``ast.Constant`` case would not double the
    braces. So astor's module gets a view of ``ast`` in which ``Str`` is ``_StrPart`` (an instance check
    like ``ast.Str``'s; the other removed names: a class nothing is an instance of), and before our
    generator writes an f-string its literal parts become ``_StrPart``s. astor used directly by other code
    behaves as before (on 3.14 it still fails on f-strings, reading ``Constant.s``)."""
    if astor.code_gen.ast is ast:
        view = types.ModuleType("ast", ast.__doc__)
        view.__dict__.update(vars(ast))
        view.__dict__.update(dict.fromkeys(removed, _NoSuchNode))
        view.Str = _StrPart
        astor.code_gen.ast = view

    class Generator(_generator(astor)):
        def visit_JoinedStr(self, node):
            _mark_str_parts(node)
            super().visit_JoinedStr(node)

    return functools.partial(astor.to_source, source_generator_class=Generator)


def _mark_str_parts(joined):
    """In place (the tree is ``to_ast``'s fresh copy): literal parts of ``joined`` and of its format specs
    -> ``_StrPart``. A nested f-string inside a replacement field is an expression astor visits itself."""
    parts = []
    for v in joined.values:
        if type(v) is ast.Constant and isinstance(v.value, str):
            v = _StrPart(v.value)
        elif type(v) is ast.FormattedValue and type(v.format_spec) is ast.JoinedStr:
            _mark_str_parts(v.format_spec)
        parts.append(v)
    joined.values = parts


def _unparse(tree):
    ast.fix_missing_locations(tree)  # ast.unparse reads the line numbers of statements (type comments)
    return ast.unparse(tree) + "\n"


_AST_CLASS = {}
_CTX = {gast.Load: ast.Load(), gast.Store: ast.Store(), gast.Del: ast.Del()}


def _arg(n):
    if n is None:
        return None
    return ast.arg(n.id, to_ast(n.annotation), n.type_comment)


def to_ast(n):
    """gast -> Python ast, as ``gast.gast_to_ast`` (same nodes, so the same source), without source
    locations (astor does not read them) and as a plain recursive function: gast's NodeTransformer
    plus ``fix_missing_locations`` were ~60 % of ``to_source`` and ~15 % of a cold transform."""
    t = type(n)
    if t is list:
        return [to_ast(x) for x in n]
    if not isinstance(n, gast.AST):
        return n
    if t is gast.Name:
        new = _new_ast(ast.Name)
        new.id, new.ctx = n.id, _CTX.get(type(n.ctx)) or to_ast(n.ctx)
        return new
    if t is gast.arguments:
        return ast.arguments(
            [_arg(a) for a in n.posonlyargs],
            [_arg(a) for a in n.args],
            _arg(n.vararg),
            [_arg(a) for a in n.kwonlyargs],
            to_ast(n.kw_defaults),
            _arg(n.kwarg),
            to_ast(n.defaults),
        )
    if t is gast.ExceptHandler:
        return ast.ExceptHandler(to_ast(n.type), n.name.id if n.name is not None else None, to_ast(n.body))
    entry = _AST_CLASS.get(t)
    if entry is None:
        cls = getattr(ast, t.__name__)
        entry = _AST_CLASS[t] = (cls, tuple(f for f in cls._fields if f in t._fields))
    cls, fields = entry
    d = n.__dict__  # (gast keeps fields in the instance dict)
    new = _new_ast(cls)  # the fields go straight into the new node's dict: no keyword parsing
    nd = new.__dict__
    for f in fields:
        v = d.get(f)
        nd[f] = v if v.__class__ in _SCALARS else to_ast(v)
    return new


_new_ast = ast.AST.__new__
_SCALARS = frozenset([str, int, float, bool, complex, bytes, type(None)])  # field values: not nodes, not lists
_CONTEXTS = frozenset([gast.Load, gast.Store, gast.Del, gast.Param])


def parse_module(src):
    """``gast.parse(src)``, converted from the standard ``ast`` by a plain recursive function instead of
    gast's NodeTransformer (a visitor method lookup, a dict of fields and a location copy per node: half
    of parsing a function, a cold transform's first step). The same gast nodes with the same fields and
    locations as gast 0.7's converter on Python 3.8 to 3.11; elsewhere gast's own converter."""
    tree = ast.parse(src)
    if not (3, 8) <= sys.version_info[:2] < (3, 12):
        return gast.ast_to_gast(tree)
    return _to_gast(tree)


_GAST_CLASS = {}  # ast class -> (gast class or None, fields, attributes)
_LOC = ("lineno", "col_offset", "end_lineno", "end_col_offset")


def _located(new, old):
    """``ast.copy_location`` for the four location attributes every located node has in 3.8+."""
    new.lineno, new.col_offset = old.lineno, old.col_offset
    new.end_lineno, new.end_col_offset = old.end_lineno, old.end_col_offset
    return new


def _to_gast(n):
    t = type(n)
    if t is list:
        return [_to_gast(x) for x in n]
    if not isinstance(n, ast.AST):
        return n
    if t is ast.Name:
        return _gast_name(n.id, _new_gast(_GAST_CTX[n.ctx.__class__]), None, None, n)
    if t is ast.arg:
        return _gast_name(n.arg, _new_gast(gast.Param), _to_gast(n.annotation), n.type_comment, n)
    if t is ast.ExceptHandler and n.name:
        return _located(
            gast.ExceptHandler(_to_gast(n.type), gast.Name(n.name, gast.Store(), None, None), _to_gast(n.body)), n
        )
    if t is ast.FunctionDef or t is ast.AsyncFunctionDef:
        return _located(
            getattr(gast, t.__name__)(
                n.name, _to_gast(n.args), _to_gast(n.body), _to_gast(n.decorator_list), _to_gast(n.returns),
                n.type_comment, [],
            ),
            n,
        )  # fmt: skip
    if t is ast.ClassDef:
        return _located(
            gast.ClassDef(
                n.name, _to_gast(n.bases), _to_gast(n.keywords), _to_gast(n.body), _to_gast(n.decorator_list), []
            ),
            n,
        )
    entry = _GAST_CLASS.get(t)
    if entry is None:
        entry = _GAST_CLASS[t] = (getattr(gast, t.__name__, None), t._fields, t._attributes)
    cls, fields, attributes = entry
    if cls is None:  # not part of gast's tree (as gast's converter: dropped)
        return None
    # gast's constructor only stores its keywords in the instance dict: fill the dict directly, fields
    # then locations, from the ast node's own dict (where the parser put them), skipping its Python frame
    new = _new_gast(cls)
    d, old = new.__dict__, n.__dict__
    for f in fields:
        if f in old:
            d[f] = _to_gast(old[f])
    for a in attributes:
        if a in old:
            d[a] = old[a]
    return new


_new_gast = gast.AST.__new__
_GAST_CTX = {ast.Load: gast.Load, ast.Store: gast.Store, ast.Del: gast.Del}


def _gast_name(id_, ctx, annotation, type_comment, old):
    """``_located(gast.Name(id_, ctx, annotation, type_comment), old)`` without gast's constructor."""
    new = _new_gast(gast.Name)
    new.__dict__.update(
        id=id_,
        ctx=ctx,
        annotation=annotation,
        type_comment=type_comment,
        lineno=old.lineno,
        col_offset=old.col_offset,
        end_lineno=old.end_lineno,
        end_col_offset=old.end_col_offset,
    )
    return new
