"""Activity analysis: which local names may depend on the differentiated inputs.

Flow-insensitive and conservative: a name is active if any assignment to it anywhere in the
function has an active right-hand side (iterated to a fixpoint). Piecewise-constant operations
(comparisons, argmax, ``.shape``, integer division, rules declared with ``defzero``) end activity.
Only active names get tangents; everything else is left as the user wrote it.
"""

import types

import gast

from . import effects, nodes, registry
from .effects import _mutated_params, mutated_params
from .parse import MISSING, code_signature, is_user_function, local_names

# Attributes whose value never carries a tangent, whatever the receiver.
ZERO_ATTRIBUTES = {"shape", "ndim", "size", "dtype", "itemsize", "nbytes", "strides", "device", "flags"}
_ZERO_BINOPS = (gast.FloorDiv, gast.BitAnd, gast.BitOr, gast.BitXor, gast.LShift, gast.RShift)
MUTATING_METHODS = {"append", "extend", "insert"}
# Library helpers returning a tuple whose other items are integers or options, never differentiated:
# id(op) -> (op, one bool per item: may it carry a tangent). Declared by tangent_fwd.library
# (``a, axis = _chk_asarray(a, axis)`` in scipy.stats: axis stays an inactive int).
RESULT_PARTS = {}


_EXPR_RULES = {}  # expression node class -> Activity's _e_<class> method, or None
_UNSEEN = object()


class Activity:
    def __init__(self, info, local_names, active, nested=None):
        self.info = info
        self.local_names = local_names
        self.active = set(active)
        self.nested = nested or {}  # nested def name -> set of active-by-closure flag (bool)

    # ------------------------------------------------------------------ expressions
    def expr(self, e):
        """Whether expression ``e`` may carry a nonzero tangent."""
        m = _EXPR_RULES.get(e.__class__, _UNSEEN)
        if m is _UNSEEN:  # the method for this node class, looked up once (a hot path of every analysis)
            m = _EXPR_RULES[e.__class__] = getattr(Activity, "_e_" + e.__class__.__name__, None)
        if m is not None:
            return m(self, e)
        return any(self.expr(c) for c in gast.iter_child_nodes(e) if isinstance(c, gast.expr))

    def _e_Name(self, e):
        return e.id in self.active

    def _e_Constant(self, e):
        return False

    def _e_Compare(self, e):
        return False

    def _e_JoinedStr(self, e):
        return False

    def _e_Lambda(self, e):
        return False

    def _e_BinOp(self, e):
        if isinstance(e.op, _ZERO_BINOPS):
            return False
        return self.expr(e.left) or self.expr(e.right)

    def _e_UnaryOp(self, e):
        if isinstance(e.op, (gast.Not, gast.Invert)):
            return False
        return self.expr(e.operand)

    def _e_Attribute(self, e):
        if e.attr in ZERO_ATTRIBUTES:
            return False
        return self.expr(e.value)

    def _e_Subscript(self, e):
        if self.expr(e.value):
            return True
        # np.r_[x, y] / np.c_[x, y]: an inactive object "indexed" by differentiated pieces builds an array of them
        return self.expr(e.slice) and registry.is_index_trick(self.info.resolve(e.value, self.local_names))

    def _e_Dict(self, e):
        return any(self.expr(v) for v in e.values)

    def _comp(self, e, elts):
        saved = set(self.active)
        for gen in e.generators:
            if self.iter_active(gen.iter):
                self.active.update(n for n in _target_names(gen.target))
        result = any(self.expr(x) for x in elts)
        self.active = saved
        return result

    def _e_ListComp(self, e):
        return self._comp(e, [e.elt])

    _e_GeneratorExp = _e_SetComp = _e_ListComp

    def _e_DictComp(self, e):
        return self._comp(e, [e.value])

    def _e_Call(self, e):
        f = e.func
        args_active = any(self.expr(a) for a in e.args) or any(self.expr(k.value) for k in e.keywords)
        if isinstance(f, gast.Name) and f.id in self.nested:
            return args_active or self.nested[f.id]
        obj = self.info.resolve(f, self.local_names)
        if obj is not MISSING:
            rule = registry.lookup(obj)
            if rule is not None and rule.kind == "zero":
                return False
            if rule is not None and getattr(rule, "tangent_source", False):
                return True  # tangent_fwd.perturb: a tangent may be injected here (perturbation.py)
            return args_active
        if isinstance(f, gast.Attribute):  # a method on a local value
            rule = registry.lookup_method(f.attr)
            if rule is not None and rule.kind == "zero":
                return False
            return args_active or self.expr(f.value)
        return args_active or self.expr(f)

    def writes_its_params(self, node):
        """Whether the function value ``node`` (a nested def or a user function passed as an argument)
        writes into one of its parameters (``def add(a, v): a += v``)."""
        if not isinstance(node, (gast.Name, gast.Attribute)):
            return False
        fdef = getattr(self, "defs", {}).get(node.id) if isinstance(node, gast.Name) else None
        if fdef is not None:
            return bool(_mutated_params(types.SimpleNamespace(node=fdef, resolve=self.info.resolve)))
        obj = self.resolve(node)
        return obj is not None and is_user_function(obj) and bool(mutated_params(obj))

    def callee_mutations(self, call):
        """Names the caller passes to parameters that the called user function mutates in place."""
        values = [*call.args, *(k.value for k in call.keywords)]
        if any(self.writes_its_params(v) for v in values):
            # a function that writes its arguments passed on (functools.reduce(add, xs, acc), apply(f,
            # buf)): whatever the call passes it may be written
            return [b for v in values if not self.writes_its_params(v) for b in effects.bases(v, self.resolve)]
        fdef = getattr(self, "defs", {}).get(call.func.id) if isinstance(call.func, gast.Name) else None
        if fdef is not None:  # a nested def of this function: the parameters its own body writes into
            mutated = _mutated_params(types.SimpleNamespace(node=fdef, resolve=self.info.resolve))
            a = fdef.args
            params = [p.id for p in [*a.posonlyargs, *a.args]]
        else:
            obj = self.info.resolve(call.func, self.local_names)
            if obj is MISSING or not is_user_function(obj) or registry.lookup(obj) is not None:
                return []
            mutated = mutated_params(obj)
            if not mutated:
                return []
            try:
                params = list(code_signature(obj).parameters)
            except (TypeError, ValueError):
                return []
        # the names whose memory the argument may share: f(buf), f(buf[1:]), f((a, b)) write a, b
        out = [b for p, a in zip(params, call.args) if p in mutated for b in effects.bases(a, self.resolve)]
        out += [b for k in call.keywords if k.arg in mutated for b in effects.bases(k.value, self.resolve)]
        return out

    def iter_active(self, it):
        return any(a for a in _flatten(self.iter_target_activity(it)))

    def iter_target_activity(self, it):
        """Activity of each part of a loop target for iterable ``it``: a bool or nested tuple of bools
        (``enumerate`` and ``zip`` are seen through, ``range`` is inactive, ``d.items()`` yields keys)."""
        if isinstance(it, gast.Call):
            f = it.func
            obj = self.info.resolve(f, self.local_names)
            if obj is enumerate and len(it.args) >= 1:
                return (False, self.iter_target_activity(it.args[0]))
            if obj is zip and not it.keywords:
                return tuple(self.iter_target_activity(a) for a in it.args)
            if obj is range:
                return False
            if obj is MISSING and isinstance(f, gast.Attribute) and not it.args:
                if f.attr == "items":
                    return (False, self.expr(f.value))
                if f.attr == "keys":
                    return False
                if f.attr == "values":
                    return self.expr(f.value)
        return self.expr(it)

    # ------------------------------------------------------------------ statements
    def run(self, body, whole_function=True):
        """Grow the active set over ``body`` to a fixpoint; returns it."""

        resolve = self.resolve
        # kept: the transform reuses the function body's aliases
        aliases = self.aliases = effects.aliases(body, resolve)
        module = gast.Module(body=body, type_ignores=[])
        self.defs = {d.name: d for d in nodes.nodes_of(module, (gast.FunctionDef,))}  # see writes_its_params
        mutated = set()
        writes = {}  # name -> the first statement that writes into it in place
        kinds = (gast.AugAssign, gast.Subscript, gast.Attribute, gast.Call)

        def written_names(n):
            if isinstance(n, gast.Attribute):
                return (effects.UNTRACKED,) if isinstance(n.ctx, gast.Store) else ()
            if isinstance(n, gast.AugAssign) and isinstance(n.target, gast.Name):
                return (n.target.id,)
            if isinstance(n, gast.Subscript) and isinstance(n.ctx, gast.Store):
                return self.written(n)
            if isinstance(n, gast.Call) and isinstance(n.func, gast.Attribute) and n.func.attr in MUTATING_METHODS:
                return effects.bases(n.func.value, resolve)
            if isinstance(n, gast.Call):  # a library writer, or a user function writing its argument
                return [*self.library_writes(n), *self.callee_mutations(n)]
            return ()

        # a nested def writing into its own parameters or locals (def fill(dst, v): dst[1:3] = v) writes
        # into nothing of this scope: its own transform follows those writes, and the call that passes
        # this scope's buffers is a callee mutation here
        own_writes = set()
        for d in nodes.defs_in(module):
            own = local_names(d) - effects.declared_outside(d.body)
            for n in nodes.nodes_of(gast.Module(body=d.body, type_ignores=[]), kinds):
                own_writes.update((id(n), name) for name in written_names(n) if name in own)
        for n in nodes.nodes_of(module, kinds):
            for name in written_names(n):
                if (id(n), name) in own_writes:
                    continue
                mutated.add(name)
                writes.setdefault(name, n)
        while True:
            before = len(self.active)
            for stmt in body:
                self._stmt(stmt)
            # writing into a view writes into its base: an active, mutated view makes the base active
            for view, base in aliases:
                if view in self.active and view in mutated and base not in self.active:
                    self.active.add(base)
                    mutated.add(base)
            if len(self.active) == before:
                break
        if not whole_function:  # a lowered comprehension: it writes only into its own result
            return self.active
        # mirror or refuse: a differentiated value written into memory we cannot follow is an error
        module = gast.Module(body=body, type_ignores=[])
        declared = effects.declared_outside(body)
        for name in sorted(declared & self.active):
            stmt = next(s for s in nodes.nodes_of(module, (gast.Global, gast.Nonlocal)) if name in s.names)
            kind = "global" if isinstance(stmt, gast.Global) else "nonlocal"
            raise self.info.error(
                stmt,
                f"a differentiated value is assigned to the {kind} name {name!r}: its tangent cannot be "
                "followed out of the function",
                hint="return the value instead (a global or nonlocal may hold values that are not differentiated)",
            )
        local = (set(self.local_names) | set(nodes.names_in(module, gast.Store))) - declared
        bad = effects.untracked_writes(aliases, [n for n in writes if n in self.active], local)
        for name, other in sorted(bad.items()):
            if name == effects.UNTRACKED:
                what = "an attribute of an object"
            elif other == name:
                what = f"{name!r}, which is not a local variable (a module global or a closure's)"
            elif other == effects.UNTRACKED:
                what = f"{name!r}, which may share memory with an object's attribute or a module global"
            else:
                what = f"{name!r}, which may share memory with {other!r} (not a local variable)"
            raise self.info.error(
                writes[name],
                f"in-place write of a differentiated value into {what}: its tangent cannot be followed",
                hint="work on a local array (np.zeros(...) or a .copy()) and return it, or pass the buffer in "
                "as an argument",
            )
        return self.active

    def _mark(self, target, active):
        if not active:
            return
        if isinstance(target, gast.Name):
            self.active.add(target.id)
        elif isinstance(target, (gast.Tuple, gast.List)):
            for t in target.elts:
                self._mark(t, active)
        elif isinstance(target, gast.Starred):
            self._mark(target.value, active)
        elif isinstance(target, gast.Subscript):
            self.active.update(self.written(target))
        elif isinstance(target, gast.Attribute):
            self.active.add(effects.UNTRACKED)  # refused in run(): an object's attribute is not followed

    def library_writes(self, call):
        """Names whose memory a library callable writes in place (``np.copyto(dst, ...)``,
        ``rt.iset(tangent, ...)`` in generated code that is differentiated again)."""
        outs = [b for k in call.keywords if k.arg == "out" for b in effects.bases(k.value, self.resolve)]
        if outs:  # np.add(a, b, out=c), x.sum(axis=0, out=buf): writes c (outarg.py)
            return outs
        obj = self.resolve(call.func)
        f = call.func
        if obj is None and isinstance(f, gast.Attribute) and effects.method_writes(f.attr):
            return list(effects.bases(f.value, self.resolve))  # x.sort(), x.fill(v): writes x
        positions = effects.writes_of(obj) if obj is not None else ()
        return [b for i in positions if i < len(call.args) for b in effects.bases(call.args[i], self.resolve)]

    def resolve(self, node):
        """The object a non-local expression denotes, or None."""
        obj = self.info.resolve(node, self.local_names)
        return None if obj is MISSING else obj

    def written(self, target):
        """Names whose memory a store into subscript ``target`` writes (``Y.T[0] = v`` writes Y)."""
        root = target
        while isinstance(root, gast.Subscript):
            root = root.value
        if isinstance(root, gast.Name):
            return (root.id,)
        return tuple(effects.bases(root, self.resolve))

    def _nested_writes(self, fdef, inner, saved):
        """Names of ours that nested def ``fdef`` may write a differentiated value into, added to
        ``saved``: through an augmented assignment (``acc[:] += v``, ``acc[0] *= v``) or through a local
        alias of ours (``a = acc; a += v``). Its locals computed from its parameters count as active."""
        own = set()
        for d in nodes.nodes_of(fdef, (gast.FunctionDef,)):  # its own nested defs write through it too
            own |= local_names(d)
            self.active.update(a.id for a in d.args.posonlyargs + d.args.args + d.args.kwonlyargs)
        while True:  # its locals that may carry a tangent (the parameters are taken to be active)
            before = len(self.active)
            for n in nodes.nodes_of(inner, (gast.Assign, gast.AugAssign, gast.For)):
                value = n.iter if isinstance(n, gast.For) else n.value
                if self.expr(value):
                    targets = n.targets if isinstance(n, gast.Assign) else [n.target]
                    for t in targets:
                        self.active.update(x for x in nodes.names_in(t, gast.Store) if x in own)
            if len(self.active) == before:
                break
        pairs = effects.aliases(fdef.body, self.resolve)
        for n in nodes.nodes_of(inner, (gast.AugAssign, gast.Assign)):
            targets = n.targets if isinstance(n, gast.Assign) else [n.target]
            if not self.expr(n.value):
                continue
            for t in targets:
                if isinstance(t, gast.Subscript) or (isinstance(n, gast.AugAssign) and isinstance(t, gast.Name)):
                    root = effects.root_name(t)
                    if root is not None:
                        saved.update(x for x in effects.closure_of(pairs, {root}) if x not in own)

    def _result_parts(self, value):
        """Which items of a library helper's tuple result can carry a tangent (``RESULT_PARTS``), or None."""
        if not RESULT_PARTS or not isinstance(value, gast.Call):
            return None
        obj = self.info.resolve(value.func, self.local_names)
        hit = RESULT_PARTS.get(id(obj)) if obj is not MISSING else None
        return hit[1] if hit is not None and hit[0] is obj else None

    def _mark_structured(self, target, act):
        if isinstance(act, tuple) and isinstance(target, (gast.Tuple, gast.List)) and len(act) == len(target.elts):
            for t, a in zip(target.elts, act):
                self._mark_structured(t, a)
        else:
            self._mark(target, any(_flatten(act)))

    def _stmt(self, s):
        if isinstance(s, gast.Assign):
            act = self.expr(s.value)
            parts = self._result_parts(s.value) if act and len(s.targets) == 1 else None
            if parts is not None and isinstance(s.targets[0], gast.Tuple) and len(parts) == len(s.targets[0].elts):
                self._mark_structured(s.targets[0], parts)  # a, axis = _chk_asarray(a, axis): axis is an int
                return
            if len(s.targets) > 1 and any(self.expr(t) for t in s.targets if isinstance(t, gast.Name)):
                act = True  # a = b = value: one object under several names
            for t in s.targets:
                self._mark(t, act)
                # a name bound to another name that is mutated later must share its tangent object
                if isinstance(t, gast.Name) and isinstance(s.value, gast.Name) and t.id in self.active:
                    self.active.add(s.value.id)
        elif isinstance(s, gast.AugAssign):
            self._mark(s.target, self.expr(s.value))
        elif isinstance(s, gast.AnnAssign) and s.value is not None:
            self._mark(s.target, self.expr(s.value))
        elif isinstance(s, gast.For):
            self._mark_structured(s.target, self.iter_target_activity(s.iter))
            for b in s.body + s.orelse:
                self._stmt(b)
        elif isinstance(s, (gast.While, gast.If)):
            for b in s.body + s.orelse:
                self._stmt(b)
        elif isinstance(s, (gast.With, gast.Try)):  # see contexts.py
            handlers = [b for h in getattr(s, "handlers", ()) for b in h.body]
            for b in s.body + getattr(s, "orelse", []) + handlers + getattr(s, "finalbody", []):
                self._stmt(b)
        elif isinstance(s, gast.FunctionDef):
            # a nested def that appends to / writes into a list of ours makes that list active when the
            # written value may be (its parameters are taken to be active: a conservative choice)
            inner_params = {p.id for p in s.args.args + s.args.kwonlyargs}
            saved = set(self.active)
            self.active |= inner_params
            inner = gast.Module(body=s.body, type_ignores=[])
            self._nested_writes(s, inner, saved)
            for n in gast.walk(inner):
                if (
                    isinstance(n, gast.Call)
                    and isinstance(n.func, gast.Attribute)
                    and n.func.attr in MUTATING_METHODS
                    and isinstance(n.func.value, gast.Name)
                    and any(self.expr(a) for a in n.args)
                ):
                    saved.add(n.func.value.id)
                if isinstance(n, gast.Call) and (
                    any(self.expr(a) for a in n.args) or any(self.expr(k.value) for k in n.keywords)
                ):  # np.sin(z, out=buf), np.copyto(buf, z) on a buffer of ours
                    saved.update(self.library_writes(n))
                if isinstance(n, gast.Assign) and self.expr(n.value):
                    for t in n.targets:
                        if isinstance(t, gast.Subscript):
                            root = t
                            while isinstance(root, gast.Subscript):
                                root = root.value
                            if isinstance(root, gast.Name):
                                saved.add(root.id)
            self.active = saved
        if isinstance(s, (gast.Expr, gast.Assign)) and isinstance(s.value, gast.Call):
            call = s.value
            receiver = isinstance(call.func, gast.Attribute) and self.expr(call.func.value)  # x.sum(out=buf)
            if receiver or any(self.expr(a) for a in call.args) or any(self.expr(k.value) for k in call.keywords):
                for name in self.callee_mutations(call):
                    self.active.add(name)
                self.active.update(self.library_writes(call))
        if isinstance(s, gast.Expr) and isinstance(s.value, gast.Call):
            f = s.value.func
            if isinstance(f, gast.Attribute) and f.attr in MUTATING_METHODS:
                if any(self.expr(a) for a in s.value.args):
                    self._mark(f.value, True)


def _target_names(t):
    for n in gast.walk(t):
        if isinstance(n, gast.Name):
            yield n.id


def _flatten(act):
    if isinstance(act, tuple):
        for a in act:
            yield from _flatten(a)
    else:
        yield act
