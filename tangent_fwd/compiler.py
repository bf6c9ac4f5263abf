"""The pipeline in one place: parse -> fence -> activity -> forward transform -> optimize ->
backend mapping -> emit source -> compile (with tracebacks pointing into the generated source).

    unit = Unit(func, wrt_names, backend)   # one compilation: func and the user functions it calls
    unit.build()                            # -> unit.source (what tangent_fwd.source shows)
    fn = unit.compile()                     # the generated callable
"""

import builtins
import hashlib
import linecache
import math
import types

import gast
import numpy

from . import nodes, optimize, origins, records, registry, runtime
from .errors import InternalError, TransformError
from .fuse import fuse_function
from .naming import Namer
from .parse import MISSING, FunctionInfo, is_user_function, local_names
from .transform import FunctionTransformer, Spec


class _Restart(Exception):
    def __init__(self, names):
        self.names = names


class Unit:
    """One compilation unit: the root function and every user function it calls (each specialised
    to the parameters that carry tangents), generated together into one readable module."""

    def __init__(self, func, wrt, backend, vector=False, fuse=True, structs=None, records=()):
        self.root_func, self.wrt, self.backend, self.vector = func, tuple(wrt), backend, vector
        self.structs = dict(structs or {})  # wrt name -> LowRank structure of its tangent (lowrank.signature)
        # ((parameter, record kind), ...) of the arguments (record_kinds.signature; plain ones left out:
        # the default, () for plain arrays and numbers, is what the API uses for them), or None when they
        # are not known (then a method named like an array method is checked when it runs)
        self.records = records
        self.records_read = False  # whether the generated code depends on them (set by records.py)
        # whether it depends on which of them are lists (record_kinds.SEQUENCES): False, the names, or True (all)
        self.sequences_read = False
        self.fuse = fuse
        self.infos = {}
        self.extra_reserved = set()

    # ------------------------------------------------------------------ building
    def build(self):
        while True:
            self.current = None
            try:
                return self._build()
            except _Restart as r:
                self.extra_reserved |= r.names
            except TransformError:
                raise
            except RecursionError:
                raise
            except Exception as exc:  # a compiler bug: refuse at the statement, with the cause chained
                info, stmt = self.current if self.current is not None else (self.info(self.root_func), None)
                raise info.error(
                    stmt if stmt is not None else info.node,
                    f"internal error in tangent_fwd while transforming this statement ({type(exc).__name__}: {exc})",
                    InternalError,
                    hint="please report it with this function; meanwhile, splitting the statement into simpler "
                    "ones or registering a rule for the call it makes usually avoids it",
                ) from exc

    def _build(self):
        self.specs, self.order, self.consts = {}, [], {}
        self.user_names = set(self.extra_reserved)
        self.added = set()
        self.local_names = set()
        self.namer = Namer(self.user_names)
        root_info = self.info(self.root_func)
        self._add_names(root_info)
        self.xp = self.const(self.backend.module, "xp")
        self.rt = self.const(runtime, "rt")
        self.records_read = self.sequences_read = False
        root = self.request(self.root_func, self.wrt, self.structs, records=self.records)
        root.is_root = True  # its tangent parameters are the caller's: never written in place
        while True:
            pending = [s for s in self.order if s.node is None]
            if not pending:
                break
            for spec in pending:
                tr = FunctionTransformer(self, spec)
                try:
                    records.refuse_inactive_shadows(tr)
                    node = tr.run()
                except TransformError as exc:
                    raise _at_user_call_site(spec, exc) from None
                # only this function's own tangent names: another function's may be a user name here
                optimize.remove_dead_tangents(node, tr.all_tangent_names())
                spec.temps = tr.namer.temps | {tr.tname[t] for t in tr.namer.temps if t in tr.tname}
                _BackendMapper(spec.info, self.xp, self).visit(node)
                spec.node = node
        self.root = root
        kernels = []
        if hasattr(self.backend.module, "fuse") and self.fuse:
            for spec in self.order:
                kernels += fuse_function(spec.node, self.xp, self.namer)
        for spec in self.order:
            if spec.active_params and _calls_backend(spec.node, self.xp):  # array code: free dead temporaries
                optimize.release_temporaries(spec.node, spec.temps)
        self.module_node = nodes.module([s.node for s in self.order] + kernels)
        # valid while every name resolves as it did and every function still has the code it had
        # (autoreload swaps __code__ in place)
        self.dependencies = [d for info in self.infos.values() for d in info.dependencies()]
        self.dependencies += [(_CodeOf(f), "__code__", f.__code__) for f in self.infos]
        self.source = nodes.to_source(self.module_node)
        return self

    def info(self, func):
        if func not in self.infos:
            self.infos[func] = FunctionInfo(func)
        return self.infos[func]

    def _add_names(self, info):
        if info in self.added:
            return
        self.added.add(info)
        names = set(nodes.names_in(info.node))
        self._just_added = (info, names)  # what request(), right after, reads: not walked twice
        names = names | {info.node.name}
        clash = {n for n in names if n in self.consts and info.lookup(n) is not self.consts[n]}
        if clash:
            raise _Restart(clash)
        self.user_names |= names
        self.local_names |= local_names(info.node) | {  # (the walk includes info.node: read it once)
            n for f in nodes.defs_in(info.node) if f is not info.node for n in local_names(f)
        }
        for n in names:
            self.namer.reserve(n)

    def reserved_for(self, fnode):
        return set(self.user_names) | set(self.consts) | {s.name for s in self.order}

    def request(self, func, active_params, structs=None, guarded=False, records=None):
        """The Spec of ``func`` for these active parameters; ``guarded``: called inside a try body, so its
        tangent statements run under a contexts.TangentGuard (see contexts.py). ``records``: the record
        kinds of its arguments (see ``__init__``; None: not known)."""
        structs = {p: s for p, s in (structs or {}).items() if s is not None and p in active_params}
        guarded = bool(guarded and active_params)
        key = (func, tuple(active_params), tuple(sorted(structs.items()))) + (("guarded",) if guarded else ())
        if records:  # (plain arguments, the common case, share the key of a call whose kinds are not known)
            key += (("records", tuple(records)),)
        spec = self.specs.get(key)
        if spec is None:
            info = self.info(func)
            self._add_names(info)
            sources = func is self.root_func and getattr(self, "tangent_sources", None)  # perturbation.py
            suffix = "_jvp" if active_params or sources else "_primal"
            spec = Spec(func, info, active_params, self.namer.fresh(info.node.name + suffix))
            spec.structs = structs
            spec.guarded = guarded
            spec.records, spec.records_via = records, []  # (records.request_callee: the callers they came from)
            just = self.__dict__.pop("_just_added", None)  # info's names, read just before by _add_names
            names = just[1] if just is not None and just[0] is info else set(nodes.names_in(info.node))
            tnamer = Namer(names | self.reserved_for(info.node))
            spec.tangent_params = {p: tnamer.tangent(p) for p in active_params}
            self.specs[key] = spec
            self.order.append(spec)
        return spec

    def const(self, obj, base):
        """A factory-level name bound to ``obj``, visible in every generated function. The user's own
        name is reused when it already means ``obj`` everywhere (``math`` for the math module)."""
        for k, v in self.consts.items():
            if v is obj:
                return k
        if (
            base in self.user_names
            and base not in self.local_names
            and all(info.lookup(base) is obj for info in self.infos.values())
        ):
            self.consts[base] = obj
            return base
        name = self.namer.fresh(base)
        self.consts[name] = obj
        return name

    def module(self, modname):
        return self.const({"math": math}[modname], modname)

    def builtin(self, name):
        return self.const(getattr(builtins, name), name)

    # ------------------------------------------------------------------ compiling
    def compile(self):
        """Exec the generated module inside a factory whose parameters are the constants, so generated
        functions read user globals live (from the user's module) and our names from the closure."""
        fnames = [s.name for s in self.order]
        body = self._executed_source().rstrip("\n").split("\n")
        params = ", ".join(sorted(self.consts))
        lines = [f"def __tangent_fwd_factory__({params}):"] + ["    " + l if l else "" for l in body]
        lines.append(f"    return [{', '.join(fnames)}]")
        text = "\n".join(lines) + "\n"
        digest = hashlib.sha1(text.encode()).hexdigest()[:10]
        filename = f"<tangent_fwd {self.root_func.__qualname__} {digest}>"
        linecache.cache[filename] = (len(text), None, text.splitlines(True), filename)
        code = compile(text, filename, "exec")
        origins.register(filename, text, self.module_node)
        ns = {}
        root_globals = self.root_func.__globals__
        exec(code, root_globals, ns)
        fns = ns["__tangent_fwd_factory__"](**{k: self.consts[k] for k in sorted(self.consts)})
        by_name = dict(zip(fnames, fns))
        # functions from other modules must see their own module's globals
        # and closures their own cells: a free variable reads the user's cell (live, as the user's
        # function does), never a module global of the same name
        rebound = {}
        for spec in self.order:
            g = spec.func.__globals__
            f = by_name[spec.name]
            cells = dict(zip(spec.func.__code__.co_freevars, spec.func.__closure__ or ()))
            if g is not root_globals or any(n in cells for n in f.__code__.co_freevars):
                closure = tuple(cells.get(n, c) for n, c in zip(f.__code__.co_freevars, f.__closure__ or ()))
                rebound[f] = types.FunctionType(f.__code__, g, f.__name__, f.__defaults__, closure or None)
                rebound[f].__kwdefaults__ = f.__kwdefaults__
        if rebound:
            by_id = {id(old): new for old, new in rebound.items()}
            for f in list(by_name.values()) + list(rebound.values()):
                for cell in f.__closure__ or ():
                    try:
                        content = cell.cell_contents
                    except ValueError:  # an empty user cell
                        continue
                    if id(content) in by_id:
                        cell.cell_contents = by_id[id(content)]
        root = by_name[self.root.name]
        return rebound.get(root, root), filename

    def _executed_source(self):
        """The module as executed: ``self.source``, except that a function generated from a closure is
        defined inside a maker whose parameters are the closure's free variables, so that its free
        names compile to cells (rebound to the user's cells in ``compile``), not to module globals."""
        free = {s.name: s.func.__code__.co_freevars for s in self.order if s.func.__code__.co_freevars}
        if not free:
            return self.source
        parts = []
        for node in self.module_node.body:
            text = nodes.to_source(node).rstrip("\n")
            names = free.get(getattr(node, "name", None))
            if names:
                maker = f"__tangent_fwd_closure_{node.name}__"
                inner = "\n".join("    " + line if line else "" for line in text.split("\n"))
                text = (
                    f"def {maker}({', '.join(names)}):\n{inner}\n    return {node.name}\n\n"
                    f"{node.name} = {maker}({', '.join('None' for _ in names)})"
                )
            parts.append(text)
        return "\n\n\n".join(parts) + "\n"


class _CodeOf:
    """A dependency on ``func.__code__`` (parse.still_valid reads it like a closure cell)."""

    __slots__ = ("func",)

    def __init__(self, func):
        self.func = func

    @property
    def cell_contents(self):
        return self.func.__code__


def _calls_backend(fdef, xp):
    """Whether generated code computes with arrays: it calls the backend or multiplies matrices."""
    for n in gast.walk(fdef):
        if isinstance(n, gast.Name) and n.id == xp:
            return True
        if isinstance(n, gast.BinOp) and isinstance(n.op, gast.MatMult):
            return True
    return False


_PATHS = {}


def numpy_paths():
    """id(obj) -> (obj, path under the numpy namespace) for NumPy's public callables and types."""
    if not _PATHS:
        mods = [
            ("", numpy),
            ("linalg.", numpy.linalg),
            ("fft.", numpy.fft),
            ("random.", numpy.random),
            ("lib.stride_tricks.", numpy.lib.stride_tricks),
        ]
        for prefix, mod in mods:
            for k in dir(mod):
                if k.startswith("_"):
                    continue
                obj = getattr(mod, k, None)
                if callable(obj) or isinstance(obj, types.ModuleType):
                    _PATHS.setdefault(id(obj), (obj, prefix + k))
        _PATHS[id(numpy)] = (numpy, "")
    return _PATHS


class _BackendMapper:
    """Rewrite the user's references to NumPy (``np.tanh``, ``numpy.linalg.inv``, ``np.float32``) into
    the backend namespace (``xp.tanh``), so generated code never hard-codes numpy. (A plain field walk:
    this runs on every generated function, and gast's NodeTransformer is several times slower.)"""

    def __init__(self, info, xp, unit):
        self.info, self.xp, self.unit = info, xp, unit
        self.locals = set()

    def visit(self, node):
        if isinstance(node, gast.FunctionDef):
            outer = self.locals
            bound = [n.id for n in nodes.nodes_of(node, gast.Name) if isinstance(n.ctx, (gast.Store, gast.Param))]
            self.locals = outer | set(bound)  # one walk for both contexts
            self._fields(node)
            self.locals = outer
            return node
        if node.__class__ is gast.Name and node.id in self.locals:  # a local: nothing to map (most names)
            return node
        if isinstance(node, (gast.Name, gast.Attribute)) and isinstance(node.ctx, gast.Load):
            new = self._map(node)
            if new is not None:
                return new
        elif isinstance(node, gast.Call) and self.unit.backend.name != "numpy":
            # On a non-NumPy backend, a user function called with no differentiated argument still has
            # to run on that backend: call a backend-mapped copy of it instead of the original.
            obj = self.info.resolve(node.func, self.locals)
            if obj is not MISSING and registry.lookup(obj) is None and is_user_function(obj):
                node.func = nodes.name(self.unit.request(obj, ()).name)
        if not isinstance(node, gast.Name):
            self._fields(node)
        return node

    def _fields(self, node):
        fields = nodes._CHILD_FIELDS.get(node.__class__)  # no ctx, no str fields
        if fields is None:
            fields = nodes._child_fields(node.__class__)
        for field in fields:
            v = getattr(node, field, None)
            if isinstance(v, gast.AST):
                setattr(node, field, self.visit(v))
            elif type(v) is list:
                for i, item in enumerate(v):
                    if isinstance(item, gast.AST):
                        v[i] = self.visit(item)

    def _map(self, node):
        chain = nodes.dotted_name(node)
        if chain is None:
            return None
        root = chain.split(".")[0]
        if root in self.locals or root == self.xp:
            return None
        obj = self.info.resolve(node, self.locals)
        if obj is MISSING:
            return None
        entry = numpy_paths().get(id(obj))
        if entry is None or entry[0] is not obj:
            return None
        path = entry[1]
        return nodes.dotted(self.xp + ("." + path if path else ""))


def _at_user_call_site(spec, exc):
    """A refusal met inside library code (NumPy's or SciPy's Python source, transformed because the function
    has no rule) reported at the user's call that led there, with the library line as detail: the user
    can act on their own line, not on NumPy's."""
    if is_user_function(spec.func) or exc.filename is None:
        return exc
    chain, site = [], spec
    while site.called_from is not None:
        caller, info, call = site.called_from
        chain.append(getattr(site.func, "__qualname__", site.func.__name__))
        if is_user_function(caller.func):
            message = (
                f"{' -> '.join(reversed(chain))} (library code, differentiated through its Python source) "
                f"cannot be differentiated here: {exc.reason} (at {exc.filename}:{exc.lineno})"
            )
            return info.error(call, message, type(exc), exc.hint)
        site = caller
    return exc
