"""``with`` and ``try`` in differentiated code: the registry of context managers known to leave values
alone, and the walker methods for both statements (transform.py delegates ``s_With``/``s_Try`` here).

Why this is sound:

* A registered context manager (``np.errstate``, ``warnings.catch_warnings``...) changes no value the
  code computes, so its body, tangent statements included, is emitted inside the same ``with``: the
  primal runs exactly as written. An unregistered one may do anything (swap a global, change a dtype
  policy): with differentiated code inside it is refused, naming the line and
  :func:`register_context_manager`.
* A ``try`` (or a ``with`` whose manager may swallow an exception, ``contextlib.suppress``) can resume
  after an exception raised anywhere in its body. The generated body keeps the tangents consistent at
  every point an exception can leave it: every name the statement assigns gets a real (or ``None``,
  i.e. zero) tangent before it and on every assignment inside it, as a loop does; each primal statement
  runs before its own tangent statements, so a primal exception leaves both untouched; and the tangent
  statements run under :class:`TangentGuard`, which turns an exception of theirs (``math.sqrt`` at 0
  has an infinite derivative: ``ZeroDivisionError``) into :class:`TangentFailure`, re-raised past your
  handlers (a handler must never see an exception your own code would not raise). Two things cannot be
  kept consistent and are refused at run time with a :class:`TangentFailure`: an exception raised from
  inside a differentiated call to one of your functions (its primal and tangent statements are one
  call: which one failed is unknown), and a ``FloatingPointError`` from an in-place NumPy update
  (``a += b`` under ``np.errstate(over='raise')`` writes ``a`` and then raises) that a handler would
  catch.
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Callable

import gast
import numpy as np

from . import nodes
from .errors import NotDifferentiableHere, UnsupportedSyntaxError
from .parse import MISSING
from .states import LIVE, MAYBE

__all__ = ["register_context_manager", "is_registered", "TangentFailure", "TangentGuard"]


class TangentFailure(NotDifferentiableHere):
    """Raised by generated code when a derivative computation inside a ``try`` (or a suppressing
    ``with``) fails, or when the tangents there cannot follow what an exception left behind. Your
    ``except`` clauses never see it: the generated ``try`` re-raises it before them."""


class TangentGuard:
    """Context manager the generated code wraps tangent statements in, inside a ``try`` body: any
    exception they raise becomes a :class:`TangentFailure` (naming the user's line ``where``)."""

    __slots__ = ("where", "mode")

    def __init__(self, where: str, mode: str = "tangent"):
        self.where, self.mode = where, mode

    def __repr__(self):
        return f"TangentGuard({self.where!r}, {self.mode!r})"

    def __enter__(self):
        return None

    def __exit__(self, kind, exc, tb):
        if exc is None or isinstance(exc, TangentFailure) or not isinstance(exc, Exception):
            return False
        if self.mode == "tangent":
            raise TangentFailure(
                f"{self.where}: computing the derivative raised {exc!r} inside a try block (the value itself "
                "did not): the derivative is not finite or not defined at this point, and an except clause of "
                "yours must not catch an exception your own code does not raise"
            ) from exc
        if self.mode == "call":
            raise TangentFailure(
                f"{self.where}: {exc!r} was raised inside a differentiated call to one of your functions, "
                "inside a try block: tangent_fwd cannot tell whether the value or its derivative raised it, "
                "so it cannot let your except clause handle it. Move the try into the called function, or "
                "test the condition with an if before the call"
            ) from exc
        return False

    def __reduce__(self):
        return (TangentGuard, (self.where, self.mode))


class InplaceGuard:
    """Context manager around an in-place NumPy update inside a ``try`` whose handler may catch a
    ``FloatingPointError``: NumPy writes the array and then raises it, so the primal has changed while
    its tangent has not. Raised as a :class:`TangentFailure` instead (never a silently stale tangent)."""

    __slots__ = ("where",)

    def __init__(self, where: str):
        self.where = where

    def __repr__(self):
        return f"InplaceGuard({self.where!r})"

    def __call__(self, target):
        return _InplaceCheck(self.where, target)


class _InplaceCheck:
    __slots__ = ("where", "target")

    def __init__(self, where, target):
        self.where, self.target = where, target

    def __enter__(self):
        return None

    def __exit__(self, kind, exc, tb):
        if isinstance(exc, FloatingPointError) and not np.isscalar(self.target) and hasattr(self.target, "shape"):
            raise TangentFailure(
                f"{self.where}: an in-place update raised {exc!r} after writing the array (NumPy writes, "
                "then raises under np.errstate(...='raise')); its tangent cannot follow it into your except "
                "clause. Write the update as a new value (y = y + v) inside the try"
            ) from exc
        return False


# ---------------------------------------------------------------------------------------------- registry
# id(factory or type) -> (object, suppresses): a factory is called in the with statement
# (``np.errstate(...)``); a type is matched by the instance the with statement names (``with lock:``).
_REGISTRY: dict[int, tuple[object, bool]] = {}


def register_context_manager(factory: Callable | type, *, suppresses: bool = False) -> None:
    """Declare that context managers made by ``factory`` (a callable used as ``with factory(...):``, or a
    class whose instances are used as ``with obj:``) change no value the code computes, so differentiated
    code may run inside them. ``suppresses=True`` says the manager may swallow an exception raised in its
    body (as ``contextlib.suppress`` does): the body is then compiled as a ``try`` body is.

    >>> import tangent_fwd, threading
    >>> tangent_fwd.register_context_manager(type(threading.Lock()))   # doctest: +SKIP
    """
    if not callable(factory):
        raise TypeError(f"register_context_manager expects a callable or a class, got {factory!r}")
    if not isinstance(suppresses, bool):
        raise TypeError("suppresses must be True or False")
    _REGISTRY[id(factory)] = (factory, suppresses)


def lookup(obj) -> tuple[bool, bool]:
    """(registered, suppresses) for a factory or an instance of a registered class."""
    for key in (obj, type(obj)):
        entry = _REGISTRY.get(id(key))
        if entry is not None and entry[0] is key:
            return True, entry[1]
    return False, False


def is_registered(obj) -> bool:
    return lookup(obj)[0]


for _f in (
    np.errstate,
    np.printoptions,
    warnings.catch_warnings,
    contextlib.nullcontext,
    contextlib.redirect_stdout,
    contextlib.redirect_stderr,
    TangentGuard,
    InplaceGuard,
):
    register_context_manager(_f)
register_context_manager(contextlib.suppress, suppresses=True)
if hasattr(np.testing, "suppress_warnings"):  # a warnings filter (deprecated in NumPy 2.4)
    register_context_manager(np.testing.suppress_warnings)


class KeepFailures:
    """Wraps a context manager that may swallow exceptions (``contextlib.suppress(Exception)``) so that
    it never swallows a :class:`TangentFailure` (its own ``__exit__`` still runs)."""

    __slots__ = ("cm",)

    def __init__(self, cm):
        self.cm = cm

    def __enter__(self):
        return self.cm.__enter__()

    def __exit__(self, kind, exc, tb):
        swallowed = self.cm.__exit__(kind, exc, tb)
        if isinstance(exc, TangentFailure):
            return False
        return swallowed


register_context_manager(KeepFailures, suppresses=True)


# ---------------------------------------------------------------------------------------------- walker
def _where(tr, node):
    err = tr.info.error(node, "")
    return f"{err.filename}:{err.lineno}"


def _resolve(tr, e):
    return tr.info.resolve(e, tr.visible_locals)


def _exception_classes(tr, e):
    """The exception classes an ``except`` clause (or ``suppress(...)`` argument) names; None when it
    may be anything (bare ``except:``, a name we cannot resolve)."""
    if e is None:
        return None
    elts = e.elts if isinstance(e, gast.Tuple) else [e]
    out = []
    for x in elts:
        obj = _resolve(tr, x)
        if isinstance(obj, tuple) and all(isinstance(c, type) for c in obj):
            out.extend(obj)
        elif isinstance(obj, type) and issubclass(obj, BaseException):
            out.append(obj)
        else:
            return None
    return out


def _may_catch(classes, exc_type):
    return classes is None or any(issubclass(exc_type, c) for c in classes)


def _body_active(tr, body):
    """Whether ``body`` computes, assigns or returns a differentiated value."""
    if tr.assigned_names(body) & tr.act.active:
        return True
    for n in nodes.nodes_of(gast.Module(body=body, type_ignores=[]), (gast.Return, gast.Expr, gast.Assign)):
        if n.value is not None and tr.act.expr(n.value):
            return True
    return False


def _items(tr, s):
    """For each with item: (registered, suppresses, classes it may suppress)."""
    out = []
    for item in s.items:
        e = item.context_expr
        func = e.func if isinstance(e, gast.Call) else e
        obj = _resolve(tr, func)
        registered, suppresses = lookup(obj) if obj is not MISSING else (False, False)
        if tr.act.expr(e) and not isinstance(obj, InplaceGuard):
            raise tr.error(
                e,
                "a differentiated value is passed to a context manager: what it does with the value is not followed",
                UnsupportedSyntaxError,
                hint="pass values that are not differentiated (the with statement should only set up a context)",
            )
        classes = None
        if suppresses and obj is contextlib.suppress and isinstance(e, gast.Call) and not e.keywords:
            classes = []
            for a in e.args:
                got = _exception_classes(tr, a)
                if got is None:
                    classes = None
                    break
                classes += got
        out.append((registered, suppresses, classes))
    return out


def transform_with(tr, s, out):
    """``with cm: body``: the body, tangent statements included, inside the same ``with``."""
    info = _items(tr, s)
    unknown = [item for item, (reg, _, _) in zip(s.items, info) if not reg]
    if unknown and _body_active(tr, s.body):
        e = unknown[0].context_expr
        shown = nodes.to_source(e.func if isinstance(e, gast.Call) else e).strip()
        raise tr.error(
            e,
            f"differentiated code runs inside the context manager {shown!r}, which tangent_fwd does not know "
            "to leave values alone",
            UnsupportedSyntaxError,
            hint=f"if it changes no value your code computes (a lock, a timer, a logging or warnings filter), "
            f"declare it once with tangent_fwd.register_context_manager({shown.split('(')[0]}) "
            "(suppresses=True if it may swallow exceptions); otherwise move the with block out of the "
            "differentiated function",
        )
    suppressing = [(item, classes) for item, (reg, sup, classes) in zip(s.items, info) if sup]
    items = [
        gast.withitem(context_expr=nodes.clone(i.context_expr), optional_vars=nodes.clone(i.optional_vars))
        for i in s.items
    ]
    if not suppressing or not _body_active(tr, s.body):
        body = tr.block(s.body)
        out.append(gast.With(items=items, body=body or [nodes.pass_()], type_comment=None))
        return
    classes = []
    for _, cls in suppressing:
        if cls is None:
            classes = None
            break
        classes += cls
    for i, (_, suppresses, may_swallow) in enumerate(info):
        if suppresses and _may_catch(may_swallow, TangentFailure):
            keep = tr.unit.const(KeepFailures, "KeepFailures")
            items[i].context_expr = nodes.call(nodes.name(keep), [items[i].context_expr])
    region = _Region(tr, s, s.body, classes, out)
    body = region.body(s.body)
    # after the with: either the body ran to its end, or it stopped at an exception that was swallowed
    swallowed = region.handler_path(list)
    region.finish([(body, tr.state, tr.zero_value), swallowed])
    if swallowed[0]:  # never: every name assigned inside keeps a tangent (LIVE or MAYBE) on both paths
        raise tr.error(s, "internal error: a fix-up for the path where the exception is swallowed")
    out.append(gast.With(items=items, body=body or [nodes.pass_()], type_comment=None))


def transform_try(tr, s, out):
    """``try``/``except``/``else``/``finally`` with the tangents kept consistent at every exit."""
    handler_classes = [_exception_classes(tr, h.type) for h in s.handlers]
    classes = None if any(c is None for c in handler_classes) else [c for cs in handler_classes for c in cs]
    blocks = s.body + s.orelse + [x for h in s.handlers for x in h.body] + s.finalbody
    if not s.handlers:  # try/finally: nothing resumes after an exception, the finally runs and re-raises
        classes = []
    region = _Region(tr, s, blocks, classes, out)
    body = region.body(s.body) if s.handlers else tr.block(s.body)
    orelse = tr.block(s.orelse)
    paths = [(body + orelse, tr.state, tr.zero_value)]
    new_handlers = []
    if s.handlers:
        failure = tr.unit.const(TangentFailure, "TangentFailure")
        new_handlers.append(
            gast.ExceptHandler(type=nodes.name(failure), name=None, body=[gast.Raise(exc=None, cause=None)])
        )
    for h in s.handlers:
        hbody = []
        path = region.handler_path(lambda h=h, hbody=hbody: tr.block(h.body, hbody))
        paths.append(path)
        new_handlers.append(
            gast.ExceptHandler(type=nodes.clone(h.type), name=nodes.clone(h.name), body=path[0] or [nodes.pass_()])
        )
    body_len = len(body)
    region.finish(paths)
    body, orelse = paths[0][0][:body_len] or [nodes.pass_()], paths[0][0][body_len:]
    finalbody = []
    if s.finalbody:
        # the finally also runs while an exception goes through: from any point of the body or a handler
        state = dict(tr.state)
        for n in region.carried:
            if region.entry_maybe(n) or state.get(n) == MAYBE:
                state[n] = MAYBE
        tr.state = state
        finalbody = tr.block(s.finalbody) or [nodes.pass_()]
    region.close()
    out.append(gast.Try(body=body, handlers=new_handlers, orelse=orelse, finalbody=finalbody))


class _Region:
    """A block an exception may leave at any statement, with execution resuming after it (a try body,
    a suppressing with body)."""

    def __init__(self, tr, s, all_stmts, classes, out):
        self.tr, self.s, self.classes = tr, s, classes
        self.where = _where(tr, s)
        # every name assigned anywhere inside gets a tangent before the block, and on every assignment
        # inside it (as a loop's carried names do), so any exit point sees matching tangents
        self.saved, self.carried = tr.loop_prologue(all_stmts, (), out)
        self.entry = dict(tr.state)
        self.entry_zero = {k: v for k, v in tr.zero_value.items() if k not in self.carried}

    def entry_maybe(self, n):
        return self.entry.get(n) == MAYBE or n in self.tr.maybe_allowed

    def body(self, stmts):
        tr = self.tr
        tr.guard_depth += 1
        try:
            body = tr.block(stmts)
        finally:
            tr.guard_depth -= 1
        self.end = dict(tr.state)
        return _Guarder(tr, self.where, _may_catch(self.classes, FloatingPointError)).block(body)

    def handler_path(self, walk):
        """Transform a path that starts where an exception left the body: (statements, state, zeros)."""
        tr = self.tr
        state = dict(self.entry)
        for n in self.carried:
            state[n] = MAYBE if (self.entry_maybe(n) or self.end.get(n) == MAYBE) else LIVE
        tr.state, tr.zero_value = state, dict(self.entry_zero)
        stmts = walk()
        return (stmts, tr.state, tr.zero_value)

    def finish(self, paths):
        """Join the paths that continue after the statement (emitting their fix-ups into them)."""
        tr = self.tr
        live = [p for p in paths if not _ends(p[0])]
        if not live:
            tr.state, tr.zero_value = paths[0][1], paths[0][2]
            return
        stmts, state, zero = live[0]
        for other, ostate, ozero in live[1:]:
            state = tr.join(state, stmts, ostate, other, zero, ozero)
            zero = {k: v for k, v in zero.items() if ozero.get(k) is v}
        tr.state, tr.zero_value = state, zero

    def close(self):
        self.tr.force_live = self.saved


def guard_function(tr, body):
    """The body of a function called inside a try body (a guarded Spec, compiler.Unit.request): all of its
    tangent statements run under a TangentGuard, so an exception it lets out is its primal's own."""
    return _Guarder(tr, _where(tr, tr.fnode), True).block(body)


def _ends(stmts):
    return bool(stmts) and isinstance(stmts[-1], (gast.Return, gast.Raise, gast.Break, gast.Continue))


class _Guarder:
    """Wraps the tangent statements of a protected block in a TangentGuard (see the module docstring)."""

    def __init__(self, tr, where, fpe):
        self.tr, self.where, self.fpe = tr, where, fpe
        names = set()
        scope = tr
        while scope is not None:
            names |= set(scope.tname.values())
            scope = scope.parent
        self.tangents = names
        self.guarded_specs = {sp.name for sp in tr.unit.order if sp.guarded}
        self._guards = {}

    def guard(self, mode):
        if mode not in self._guards:
            cls = InplaceGuard if mode == "inplace" else TangentGuard
            obj = cls(self.where) if mode == "inplace" else cls(self.where, mode)
            self._guards[mode] = self.tr.unit.const(obj, f"{mode}_guard")
        return self._guards[mode]

    def wrap(self, mode, stmts, arg=None):
        cm = nodes.name(self.guard(mode))
        if arg is not None:
            cm = nodes.call(cm, [arg])
        w = gast.With(items=[gast.withitem(context_expr=cm, optional_vars=None)], body=stmts, type_comment=None)
        w._tf_guarded = True
        return w

    def block(self, stmts):
        out, pending = [], []
        for s in stmts:
            kind, arg = self.kind(s)
            if kind == "tangent":
                pending.append(s)
                continue
            if pending:
                out.append(self.wrap("tangent", pending))
                pending = []
            if kind == "call":
                out.append(self.wrap("call", [s]))
            elif kind == "inplace" and self.fpe:
                out.append(self.wrap("inplace", [s], arg))
            else:
                self.recurse(s)
                out.append(s)
        if pending:
            out.append(self.wrap("tangent", pending))
        return out

    def recurse(self, s):
        if getattr(s, "_tf_guarded", False) or isinstance(s, gast.FunctionDef):
            return
        for field in ("body", "orelse", "finalbody"):
            sub = getattr(s, field, None)
            if isinstance(sub, list) and sub and isinstance(sub[0], gast.stmt):
                setattr(s, field, self.block(sub))
        for h in getattr(s, "handlers", ()):
            h.body = self.block(h.body)

    def _roots(self, target):
        out = []
        for t in target.elts if isinstance(target, (gast.Tuple, gast.List)) else [target]:
            if isinstance(t, gast.Starred):
                t = t.value
            if isinstance(t, (gast.Tuple, gast.List)):
                out += self._roots(t)
                continue
            while isinstance(t, (gast.Subscript, gast.Attribute)):
                t = t.value
            out.append(t.id if isinstance(t, gast.Name) else None)
        return out

    def kind(self, s):
        T = self.tangents
        if getattr(s, "_tf_guarded", False):
            return "other", None
        if isinstance(s, gast.Assign):
            roots = [r for t in s.targets for r in self._roots(t)]
            if roots and all(r in T for r in roots):
                return "tangent", None
            if any(r in T for r in roots):
                f = s.value.func if isinstance(s.value, gast.Call) else None
                if isinstance(f, gast.Name) and f.id in self.guarded_specs:
                    return "other", None  # a guarded JVP: what it lets out is its primal's exception
                return "call", None
            return self._out_kind(s.value)
        if isinstance(s, gast.AugAssign):
            root = self._roots(s.target)[0]
            if root in T:
                return "tangent", None
            return "inplace", _load(s.target)
        if isinstance(s, gast.Expr) and isinstance(s.value, gast.Call):
            f = s.value.func
            recv = f
            while isinstance(recv, (gast.Attribute, gast.Subscript)):
                recv = recv.value
            if isinstance(f, gast.Attribute) and isinstance(recv, gast.Name) and recv.id in T:
                return "tangent", None
            if s.value.args and self._roots(s.value.args[0])[0] in T and isinstance(f, gast.Attribute):
                return "tangent", None  # rt.bset(dX, ...)
            return self._out_kind(s.value)
        if isinstance(s, gast.If) and set(nodes.names_in(s.test, gast.Load)) & T:
            if all(self.kind(x)[0] == "tangent" for x in s.body + s.orelse):
                return "tangent", None
        return "other", None

    def _out_kind(self, value):
        if isinstance(value, gast.Call):
            for k in value.keywords:
                if k.arg == "out":
                    v = k.value.elts[0] if isinstance(k.value, gast.Tuple) and k.value.elts else k.value
                    return "inplace", nodes.clone(v)
        return "other", None


def _load(target):
    return nodes.with_ctx(nodes.clone(target), gast.Load)
