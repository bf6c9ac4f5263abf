"""Source -> gast: read a function's source, strip decorators, and resolve names to the objects
they denote (closure cells, then module globals, then builtins) for rule lookup."""

import builtins
import inspect
import re
import textwrap
import types

import gast

from . import lambdas, nodes, twins
from .errors import SourceUnavailableError, TransformError

_MISSING = object()


class FunctionInfo:
    """A parsed user function: its gast ``FunctionDef`` plus what is needed to resolve its names and
    to point errors at the user's file and line."""

    def __init__(self, func):
        self.func = func
        self.name = func.__name__
        code = func.__code__
        self.filename = code.co_filename
        if code.co_name == "<lambda>":  # located in its file by its code (lambdas.py)
            self.node, self.source_lines = lambdas.locate(func)
            self.first_lineno, self.col_offset = 1, 0
        else:
            self._parse_def(func)
        self.globals = func.__globals__
        self.closure = {}
        self.cells = {}
        if func.__closure__:
            for var, cell in zip(code.co_freevars, func.__closure__):
                self.cells[var] = cell
                try:
                    self.closure[var] = cell.cell_contents
                except ValueError:  # empty cell: not yet assigned
                    pass
        self.resolved = {}  # name -> (namespace or cell, object) for every non-local name looked up
        self._local_names = None
        lambdas.hoist(self.node, self._means_builtin)  # lambdas become nested defs, map/filter generators
        self.namespaces = {}
        self.namespaces = _array_namespaces(self)  # local name -> numpy, for `xp = array_namespace(x)`

    def _means_builtin(self, name):
        """Whether ``name`` denotes the builtin of that name in this function (not a local, global or cell)."""
        if self._local_names is None:  # asked once per name hoist meets: the locals computed once
            self._local_names = local_names(self.node)
        return name not in self._local_names and self.lookup(name) is getattr(builtins, name, None)

    def _parse_def(self, func):
        try:
            # a functools.wraps wrapper is transformed as the code that runs (not the __wrapped__ source)
            lines, start = _source_lines(func.__code__ if hasattr(func, "__wrapped__") else func)
        except (OSError, TypeError) as exc:
            raise SourceUnavailableError(
                f"no Python source for {func.__qualname__!r} (defined in {self.filename!r}): {exc}",
                hint="tangent_fwd transforms source code: define the function in a .py file (not the REPL or "
                "exec), or register a rule for it with tangent_fwd.defjvp(func, 'x', 'dx * ...')",
            ) from None
        self.first_lineno = start
        self.source_lines = lines
        src = textwrap.dedent("".join(lines))
        _check_source_matches(func, src, self.filename, start)
        self.col_offset = len(lines[0]) - len(lines[0].lstrip())
        tree = nodes.parse_module(src)  # gast.parse, converted faster
        fdefs = [n for n in tree.body if isinstance(n, (gast.FunctionDef, gast.AsyncFunctionDef))]
        if not fdefs:
            raise SourceUnavailableError(f"could not find the definition of {func.__qualname__!r} in its source")
        self.node = fdefs[0]
        self.node.decorator_list = []

    # ------------------------------------------------------------------ errors
    def error(self, node, message, cls=TransformError, hint=None):
        lineno = getattr(node, "lineno", None)
        col = getattr(node, "col_offset", None)
        line = None
        if lineno is not None:
            idx = lineno - 1
            if 0 <= idx < len(self.source_lines):
                line = self.source_lines[idx].rstrip("\n")
            lineno = self.first_lineno + idx
            if col is not None:
                col += self.col_offset
        return cls(message, filename=self.filename, lineno=lineno, col=col, source_line=line, hint=hint)

    # ------------------------------------------------------------------ name resolution
    def lookup(self, name):
        if name in self.closure:
            obj = self.closure[name]
            self.resolved[name] = (self.cells[name], obj)
        elif name in self.globals:
            obj = self.globals[name]
            self.resolved[name] = (self.globals, obj)
        else:
            obj = getattr(builtins, name, _MISSING)
            if obj is not _MISSING:
                self.resolved[name] = (self.globals, _MISSING)  # a builtin: must stay unshadowed by a global
        return obj

    def dependencies(self):
        """``(namespace or cell, name, object)`` for every non-local name the compiler resolved to code
        (a function, a module, a class, or nothing: a builtin a later global may shadow): the generated
        code is valid while each still denotes the same object (see ``still_valid``). Plain values are
        read live by the generated code, so a global counter that changes does not invalidate it."""
        return [
            (ns, name, obj)
            for name, (ns, obj) in self.resolved.items()
            if obj is _MISSING or callable(obj) or isinstance(obj, types.ModuleType)
        ]

    def resolve(self, node, local_names):
        """The object an expression (``np.linalg.inv``, ``sin``) denotes, if it is not local; else _MISSING."""
        if isinstance(node, gast.Name):
            if node.id in local_names:
                return self.namespaces.get(node.id, _MISSING)
            return self.lookup(node.id)
        if isinstance(node, gast.Attribute):
            base = self.resolve(node.value, local_names)
            if base is _MISSING:
                return _MISSING
            obj = getattr(base, node.attr, _MISSING)
            if isinstance(base, types.ModuleType):  # generated code for a device backend: xp.tanh is np.tanh
                for module in twins.backend_modules():
                    obj = twins.numpy_twin(obj, module)
            return obj
        return _MISSING


MISSING = _MISSING

# Functions returning the array API namespace of their arguments (scipy's and array_api_compat's
# array_namespace; tangent_fwd.library registers them). A local assigned only from one of them, or from
# ``x.__array_namespace__()``, denotes the array backend: ``xp.sin`` resolves to ``numpy.sin`` for rule
# lookup (the generated primal still calls the user's ``xp.sin``; the rule's template uses the backend).
NAMESPACE_FUNCTIONS = []


def _array_namespaces(info):
    """``{local name: numpy}`` for the locals that hold an array namespace (see NAMESPACE_FUNCTIONS);
    in library modules (SciPy, NumPy) a parameter named ``xp`` too, by their convention."""
    library = _is_library_module(info.func)
    code = info.func.__code__
    names = _names(code)[0]
    ids = {id(g) for g in NAMESPACE_FUNCTIONS}
    if not (
        "__array_namespace__" in names
        or any(id(info.func.__globals__.get(n)) in ids or id(info.closure.get(n)) in ids for n in names)
        or (library and "xp" in code.co_varnames)
    ):
        return {}  # the common case, decided without walking the tree
    values, assigned = {}, set()
    for n in gast.walk(info.node):
        if isinstance(n, gast.Assign) and len(n.targets) == 1 and isinstance(n.targets[0], gast.Name):
            values.setdefault(n.targets[0].id, []).append(n.value)
            assigned.add(id(n.targets[0]))
    for n in gast.walk(info.node):
        if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Store) and id(n) not in assigned:
            values.setdefault(n.id, []).append(None)  # bound some other way: not known to be a namespace
        elif isinstance(n, gast.Name) and isinstance(n.ctx, gast.Param):
            values.setdefault(n.id, []).append("param" if n.id == "xp" and library else None)
    import numpy

    found = {}

    def is_ns(v, name=None):
        if v == "param" or (name is not None and isinstance(v, gast.Name) and v.id == name):
            return True  # `xp = array_namespace(x) if xp is None else xp`: the parameter xp itself
        if isinstance(v, gast.Call):
            f = v.func
            if isinstance(f, gast.Attribute) and f.attr == "__array_namespace__":
                return True
            obj = info.resolve(f, set(values))
            return any(obj is g for g in NAMESPACE_FUNCTIONS)
        if isinstance(v, gast.IfExp):
            return all(is_ns(b, name) or (isinstance(b, gast.Constant) and b.value is None) for b in (v.body, v.orelse))
        return isinstance(v, gast.Name) and v.id in found

    for _ in range(2):  # `xp = array_namespace(x) if xp is None else xp` needs the parameter first
        for name, vs in values.items():
            if name not in found and vs and all(is_ns(v, name) for v in vs):
                found[name] = numpy
    return found


def _is_library_module(func):
    mod = getattr(func, "__module__", None) or ""
    return mod.split(".")[0] in ("numpy", "scipy")


def code_signature(func):
    """The signature of the code that runs (what the compiler transforms), not a ``__signature__`` or
    ``__wrapped__`` a decorator advertises (SciPy's ``_axis_nan_policy`` wrapper sets both)."""
    if not isinstance(func, types.FunctionType) or not (
        "__signature__" in func.__dict__ or "__wrapped__" in func.__dict__
    ):
        return inspect.signature(func, follow_wrapped=False)
    bare = types.FunctionType(func.__code__, func.__globals__, func.__name__, func.__defaults__, func.__closure__)
    bare.__kwdefaults__ = func.__kwdefaults__
    return inspect.signature(bare)


# A library decorator's wrapper whose code cannot be transformed as written but whose semantics a
# generated function follows: wrapper code name -> maker(decorated) returning that function (or raising
# a TransformError). tangent_fwd.library fills it (SciPy's axis_nan_policy_wrapper: scipy_stats.py).
FOLLOWED_WRAPPERS = {}


def library_source(obj):
    """The Python function to transform for a NumPy or SciPy callable without a rule: a pure-Python
    function itself (its checks, conversions and decorators included), NumPy's implementation behind
    an array-function dispatcher (``np.average``), the function following a wrapper listed in
    ``FOLLOWED_WRAPPERS``; None for anything else."""
    if type(obj).__name__ == "_ArrayFunctionDispatcher":
        obj = getattr(obj, "_implementation", None)
    if isinstance(obj, types.FunctionType) and _is_library_module(obj):
        follow = FOLLOWED_WRAPPERS.get(obj.__code__.co_name) if FOLLOWED_WRAPPERS else None
        return obj if follow is None else follow(obj)
    return None


def still_valid(dependencies):
    """Whether every name the generated code was specialised on still denotes the same object (a
    callee rebound at module level, a closure cell reassigned: the code must be generated again)."""
    for ns, name, obj in dependencies:
        if type(ns) is dict:
            if ns.get(name, _MISSING) is not obj:
                return False
        else:
            try:
                if ns.cell_contents is not obj:
                    return False
            except ValueError:
                return False
    return True


_WS_LINES = re.compile(r"\n[ \t]+(?=\n)")


def _shape(code):
    codes = [c for c in code.co_consts if hasattr(c, "co_code")]
    inner = {c.co_name for c in codes}
    # Python 3.10 keeps a nested def's qualified name (which says where the def stood) among the constants
    # (textwrap.dedent empties whitespace-only lines, inside docstrings too: strings compare without them)
    consts = tuple(
        repr(_WS_LINES.sub("\n", c) if isinstance(c, str) else _ordered(c))
        for c in code.co_consts
        if not hasattr(c, "co_code") and not (isinstance(c, str) and c.rsplit(".", 1)[-1] in inner)
    )
    nested = tuple(_shape(c) for c in codes)
    return (code.co_argcount, code.co_kwonlyargcount, code.co_varnames, consts, nested)


def _ordered(c):
    """A constant in a form that compares by value: a frozenset (``x in {'a', 'b'}``) iterates in an order
    that can differ between two compilations of the same source, so its items are sorted."""
    return sorted(map(repr, c)) if isinstance(c, frozenset) else c


def _names(code):
    """Every name the code tree reads from outside itself (a def standing alone reads its free
    variables as globals, and free variables pass through enclosing code objects)."""
    names, cells = set(code.co_names) | set(code.co_freevars), set(code.co_cellvars)
    for c in code.co_consts:
        if hasattr(c, "co_code"):
            inner, inner_cells = _names(c)
            names |= inner
            cells |= inner_cells
    return names, cells


def _fingerprint(code):
    names, cells = _names(code)
    # a method calling super() reads the class cell __class__, which the def alone does not have
    return _shape(code), frozenset(names - cells - {"__class__"})


_MATCHED = {}  # code object -> the source text already found to be its source (the check is a pure function)


def _compile_as_imported(src, filename, code):
    """``src`` compiled as the function's module was: pytest rewrites the asserts of test modules
    (``@py_assert1`` locals, message constants), so a function with an ``assert`` in a test file is
    compared with its source rewritten the same way (the source itself is what gets transformed)."""
    if not _rewritten_by_pytest(code):
        return compile(src, filename, "exec", dont_inherit=True)
    import ast

    try:
        from _pytest.assertion.rewrite import rewrite_asserts
    except ImportError:
        return compile(src, filename, "exec", dont_inherit=True)
    tree = ast.parse(src, filename)
    rewrite_asserts(tree, src.encode())
    return compile(tree, filename, "exec", dont_inherit=True)


def _rewritten_by_pytest(code):
    if any(n.startswith("@py_assert") for n in code.co_varnames) or "@pytest_ar" in code.co_names:
        return True
    return any(_rewritten_by_pytest(c) for c in code.co_consts if hasattr(c, "co_code"))


def _check_source_matches(func, src, filename, lineno):
    """Refuse when the source on disk is not the function's code (the file was edited after import):
    transforming it would differentiate a function other than the one being called."""
    code = func.__code__
    if _MATCHED.get(code) == src:  # checked before: the same code and the same text match again
        return
    try:
        module = _compile_as_imported(src, filename, code)
    except SyntaxError:
        return  # gast will report it
    stack = [module]
    while stack:
        c = stack.pop()
        if c.co_name == code.co_name and c is not module:
            # names: a closure's free variables compile to globals when the def stands alone
            if _fingerprint(c) == _fingerprint(code):
                if len(_MATCHED) > 4096:  # a bound on what is held (code objects of transient functions)
                    _MATCHED.clear()
                _MATCHED[code] = src
                return
            break
        stack.extend(x for x in c.co_consts if hasattr(x, "co_code"))
    raise SourceUnavailableError(
        f"the source of {func.__qualname__!r} in {filename}:{lineno} does not match the function's code "
        "(was the file edited after it was imported?)",
        hint="reload the module (importlib.reload) or restart the interpreter, then differentiate again",
    )


# Modules whose functions are library code: called with differentiated arguments they need a rule
# (their source is not transformed). tangent_fwd's own training code is ordinary user code.
LIBRARY_PREFIXES = (
    "numpy",
    "cupy",
    "scipy",
    "math",
    "builtins",
    "operator",
    "jax",
    "torch",
    "tangent_fwd.runtime",
    "tangent_fwd.api",
    "tangent_fwd.jacobian",
    "tangent_fwd.lowrank",
    "tangent_fwd.callables",
    "_operator",
    "cupyx",
    "array_api_strict",
)


def _source_lines(obj):
    """``inspect.getsourcelines(obj)`` for a function or code object, without tokenizing the block
    (``inspect.getblock`` runs the tokenizer over the whole def: a third of parsing a function). The block
    ends on the last line any instruction of the code (nested code included) spans, when every line
    after it up to the next line indented no deeper than the ``def`` is blank or a comment at most that
    deep, which ``getblock`` leaves out as well. Anything else there (code the compiler dropped, a
    trailing comment inside the block), or no positions (Python < 3.11): ``inspect.getsourcelines``."""
    code = obj if isinstance(obj, types.CodeType) else None
    if code is None and type(obj) is types.FunctionType and not hasattr(obj, "__wrapped__"):
        code = obj.__code__
    if code is None or not hasattr(code, "co_positions"):
        return inspect.getsourcelines(obj)
    lines, lnum = inspect.findsource(obj)
    end = _last_line(code)
    if end is None or end <= lnum or end > len(lines):
        return inspect.getsourcelines(obj)
    first = lines[lnum]
    depth = len(first) - len(first.lstrip())
    header = next((i for i in range(lnum, end) if lines[i].lstrip().startswith(("def ", "async def "))), None)
    if header is None:  # the instructions end above the def line (a docstring-only body under a decorator)
        return inspect.getsourcelines(obj)
    for line in lines[end:]:
        text = line.strip()
        if not text:
            continue
        if len(line) - len(line.lstrip()) > depth:  # inside the block, after its last instruction
            return inspect.getsourcelines(obj)
        if not text.startswith("#"):
            break
    return lines[lnum:end], lnum + 1


def _last_line(code):
    """The last source line any instruction of ``code`` or of the code nested in it spans (or None)."""
    last = None
    for _, end, _, _ in code.co_positions():
        if end is not None and (last is None or end > last):
            last = end
    for c in code.co_consts:
        if isinstance(c, types.CodeType):
            inner = _last_line(c)
            if inner is not None and (last is None or inner > last):
                last = inner
    return last


def is_user_function(obj):
    """A plain Python function that is not part of a numerical library: transformed recursively."""
    if not isinstance(obj, types.FunctionType):
        return False
    mod = getattr(obj, "__module__", None) or ""
    return not any(mod == p or mod.startswith(p + ".") for p in LIBRARY_PREFIXES)


def local_names(fnode):
    """Names local to a function: parameters and every name it assigns (Python's scoping rule),
    not looking inside nested functions."""
    names = set()
    a = fnode.args
    for p in a.posonlyargs + a.args + a.kwonlyargs:
        names.add(p.id)
    for p in (a.vararg, a.kwarg):
        if p is not None:
            names.add(p.id)

    # an explicit stack over ``_fields`` (a hot path of every compilation: several times faster than a
    # recursive walk through gast.iter_child_nodes); the statements themselves: a def binds its name
    # (nodes_of's per-class field table: no ctx, id, Constant.value... fields; a list field goes in
    # with one extend, and a non-node in it, a str of Global.names, is skipped when popped)
    stack = list(reversed(fnode.body))
    AST, Name = gast.AST, gast.Name
    push, extend = stack.append, stack.extend
    fields_of = nodes._CHILD_FIELDS
    while stack:
        child = stack.pop()
        if isinstance(child, Name):
            if isinstance(child.ctx, _BINDING_CTX):
                names.add(child.id)
            continue
        if isinstance(child, _SCOPES):
            names.add(child.name)
            continue
        if isinstance(child, _OWN_SCOPE_EXPRS) or not isinstance(child, AST):
            continue
        fields = fields_of.get(child.__class__)
        if fields is None:
            fields = nodes._child_fields(child.__class__)
        for field in fields:
            v = getattr(child, field, None)
            if v.__class__ is list:
                extend(v)
            elif v is not None:
                push(v)
    return names


_SCOPES = (gast.FunctionDef, gast.AsyncFunctionDef, gast.ClassDef)
_OWN_SCOPE_EXPRS = (gast.ListComp, gast.SetComp, gast.DictComp, gast.GeneratorExp, gast.Lambda)
_BINDING_CTX = (gast.Store, gast.Del)
