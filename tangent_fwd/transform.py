"""The forward transform's statement walker: each active statement becomes a primal statement and a
tangent statement.

Statements are put into simple form on the fly (one operation over names), and each operation's
tangent is built from its registered rule. Zero tangents are symbolic: a name whose tangent is
known to be zero has no tangent variable at all, and contributions from it are dropped. A zero is
materialised (``dacc = rt.zeros_like(acc)``) only where a name becomes active on some path only: a
loop-carried value, a join of branches, a container that is mutated or a variable closed over.

This module walks statements and keeps each name's tangent state (ZERO/LIVE/MAYBE/FACTORED, joined
at branches and loops). The rest is delegated, each part taking the transformer explicitly:

* expressions.py: expressions to simple form (temporaries for operands);
* rule_apply.py: the tangent of one simple expression from its registered rule;
* user_calls.py: calls into user functions (specialised JVPs) and the planning of nested defs;
* assignments.py: stores into targets other than a name (unpacking, subscripts, in-place updates)
  and loop targets;
* entry.py: what is decided before the body (names that keep a materialised tangent) and the
  generated def's signature and defaults after it;
* tangent_repr.py: what differs between dense and batched (vector mode) tangents, ``self.rep``,
  chosen once here instead of branching on the mode at each use;
* factored.py: factored (low-rank) tangents of single names, ``self.factored`` (a collaborator
  consulted before the generic rules, not a base class);
* contexts, outarg, records, listops, dynamic_calls: with/try, ``out=``, records, list methods
  and calls through function values.

None of them imports this module (a pass never imports a later one; tests/test_import_graph.py): they
reach the walker through the transformer they are given (its state, ``t``, ``tangent_name``,
``set_zero``, ``materialize``, ``settle``, ``atomize``, ``assign_name``, ``stmt``...).
"""

import gast

from . import (
    assignments,
    contexts,
    dynamic_calls,
    effects,
    entry,
    expressions,
    listops,
    lower,
    nodes,
    optimize,
    origins,
    records,
    rule_apply,
    user_calls,
)
from .activity import MUTATING_METHODS, Activity
from .errors import TransformError, UnsupportedSyntaxError
from .factored import FactoredTangents
from .fence import check as fence_check
from .naming import Namer
from .parse import local_names
from .rule_apply import ANS
from .shift import shift_free_names
from .states import FACTORED, LIVE, MAYBE, ZERO, Fix
from .states import join as join_states
from .tangent_repr import BatchedTangents, DenseTangents
from .user_calls import Spec

__all__ = ["ANS", "FunctionTransformer", "Spec"]  # Spec: compiler.py creates the root's here


def _terminates(stmts):
    return bool(stmts) and isinstance(stmts[-1], (gast.Return, gast.Raise, gast.Break, gast.Continue))


def _assigned_names(stmts):
    """Names bound (or mutated in place) anywhere in ``stmts``, nested blocks included."""
    out = set()
    for s in stmts:
        for n in gast.walk(s):
            if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Store):
                out.add(n.id)
            elif isinstance(n, gast.Subscript) and isinstance(n.ctx, gast.Store):
                root = n
                while isinstance(root, gast.Subscript):
                    root = root.value
                if isinstance(root, gast.Name):
                    out.add(root.id)
            elif (
                isinstance(n, gast.Call)
                and isinstance(n.func, gast.Attribute)
                and n.func.attr in MUTATING_METHODS
                and isinstance(n.func.value, gast.Name)
            ):
                out.add(n.func.value.id)
    return out


class FunctionTransformer:
    """Transforms one function (or nested def) for a given set of active parameters."""

    # read by the statement modules it delegates to (contexts, outarg, records), which cannot import this one
    ANS = ANS
    assigned_names = staticmethod(_assigned_names)

    def __init__(self, unit, spec, fnode=None, parent=None):
        self.unit, self.spec, self.info, self.parent = unit, spec, spec.info, parent
        self.fnode = fnode if fnode is not None else spec.info.node
        fence_check(self.info, self.fnode)
        self.locals = local_names(self.fnode)
        self.namer = parent.namer if parent else Namer(unit.reserved_for(self.fnode))
        for n in self.locals:
            self.namer.reserve(n)
        self.tname = dict(spec.tangent_params)
        for tn in self.tname.values():
            self.namer.reserve(tn)
        self.state = {}
        self.factored = FactoredTangents(self)  # names holding a factored (low-rank) tangent
        self.force_live = set()
        self.zero_value = {}  # name -> the numeric constant it holds while its tangent is zero
        # how tangents are stored: one direction, or a leading axis of K directions (vector mode)
        self.rep = BatchedTangents(self) if unit.vector else DenseTangents(self)
        self.vector = self.rep.batched  # read by dynamic_calls.py
        self.maybe_allowed = set()  # loop-carried names whose tangent may be None inside the loop
        self.guard_depth = 0  # inside a try body: each primal statement runs before its tangent (contexts.py)
        self.kname = parent.kname if parent else self.namer.fresh("K")
        self.uses_k = False
        self.nested = {}  # nested def name -> Spec of its JVP (or None: never active)
        self.children = []  # transformers of the nested defs
        self.nested_free = self._nested_free_names()
        visible = self.locals | (parent.visible_locals if parent else set())
        self.visible_locals = visible
        act_init = set(spec.active_params)
        if parent is not None:
            act_init |= {n for n in parent.act.active if n not in self.locals}
        # ``s = x - x.max(axis, keepdims=True)`` whose uses are all shift-invariant: ds = dx (shift.py)
        self.shift_free = shift_free_names(self.fnode.body, lambda n: self.info.resolve(n, visible))
        self.act = Activity(self.info, visible, act_init, self.nested_free)
        self.act.run(self.fnode.body)
        self.body_aliases = self.act.aliases
        self.act.active -= {n for n in (parent.act.active if parent else ())} - self.locals - set(act_init)

    # ------------------------------------------------------------------ names and state
    def _nested_free_names(self):
        out = {}
        for s in nodes.nodes_of(gast.Module(body=self.fnode.body, type_ignores=[]), gast.FunctionDef):
            if isinstance(s, gast.FunctionDef):
                inner_locals = local_names(s)
                out[s.name] = {n for n in nodes.names_in(s, gast.Load) if n not in inner_locals}
        return out

    def all_tangent_names(self):
        """The tangent variables this function (and its nested defs) introduced."""
        names = set(self.tname.values())
        for child in self.children:
            names |= child.all_tangent_names()
        return names

    def tangent_name(self, n):
        if n not in self.tname:
            if self.parent is not None and n not in self.locals and n in self.parent.act.active:
                return self.parent.tangent_name(n)
            self.tname[n] = self.namer.tangent(n)
        return self.tname[n]

    def is_live(self, n):
        if n in self.state:
            return self.state[n] == LIVE
        if self.parent is not None and n not in self.locals:
            return n in self.parent.act.active  # closed-over names are kept live by the parent
        return False

    def t(self, atom):
        """The tangent of an atom as an expression node, or None for a (symbolic) zero."""
        if isinstance(atom, gast.Name) and atom.id in self.act.active:
            if self.state.get(atom.id) == MAYBE:
                raise TransformError(f"internal error: the tangent of {atom.id!r} was read before it was settled")
            if self.state.get(atom.id) == FACTORED:
                raise TransformError(f"internal error: the factored tangent of {atom.id!r} was read as a dense one")
            if self.is_live(atom.id):
                return nodes.name(self.tangent_name(atom.id))
        return None

    def settle(self, names, out):
        """Make MAYBE tangents real: ``if dn is None: dn = zeros``."""
        for n in sorted(set(names)):
            if self.state.get(n) == MAYBE:
                d = self.tangent_name(n)
                out.append(
                    nodes.if_(
                        gast.Compare(left=nodes.name(d), ops=[gast.Is()], comparators=[nodes.const(None)]),
                        [nodes.assign(d, self.zeros_of(nodes.name(n)))],
                    )
                )
                self.state[n] = LIVE

    def settle_all(self, out):
        self.settle([n for n, st in self.state.items() if st == MAYBE], out)

    def t_or_zeros(self, atom):
        tan = self.t(atom)
        return tan if tan is not None else self.zeros_of(atom)

    def zeros_of(self, atom):
        if isinstance(atom, (gast.List, gast.Dict)) and not (
            getattr(atom, "elts", None) or getattr(atom, "keys", None)
        ):
            return nodes.clone(atom)
        if (
            isinstance(atom, gast.Constant)
            and isinstance(atom.value, (int, float))
            and not isinstance(atom.value, bool)
        ):
            return nodes.const(0.0)
        return self.rep.zeros(atom)

    def rt_call(self, helper, *args):
        return nodes.call(nodes.attr(nodes.name(self.unit.rt), helper), list(args))

    def k(self):
        """The number of directions (vector mode), defined once at function entry."""
        scope = self
        while scope is not None:
            scope.uses_k = True
            scope = scope.parent
        return nodes.name(self.kname)

    def index_node(self, idx):
        return nodes.index_expr(idx, self.unit.builtin("slice"))

    def set_zero(self, n, out, value=None):
        """Record that ``n`` now has a zero tangent (materialised if it must stay live)."""
        if n not in self.act.active:
            return
        literal = isinstance(value, gast.Constant) or (
            isinstance(value, (gast.List, gast.Dict))
            and not (getattr(value, "elts", None) or getattr(value, "keys", None))
        )
        self.zero_value[n] = value if literal else None
        if n in self.force_live:
            z = self.zeros_of(value if literal else nodes.name(n))
            out.append(nodes.assign(self.tangent_name(n), z))
            self.state[n] = LIVE
        else:
            self.state[n] = ZERO

    def materialize(self, n, out):
        if self.state.get(n) == ZERO:
            out.append(nodes.assign(self.tangent_name(n), self.zeros_of(self.zero_value.get(n) or nodes.name(n))))
            self.state[n] = LIVE

    def error(self, node, msg, cls=TransformError, hint=None):
        return self.info.error(node, msg, cls, hint)

    # ------------------------------------------------------------------ entry
    def run(self):
        f = self.fnode
        a = f.args
        out = []
        entry.init_force_live(self)
        for p in a.posonlyargs + a.args + a.kwonlyargs + [x for x in (a.vararg, a.kwarg) if x is not None]:
            if p.id in self.act.active:
                self.state[p.id] = LIVE if p.id in self.spec.active_params else ZERO
        out.extend(self.factored.setup())
        if self.spec.is_root and self.parent is None:
            # the caller's tangents are directions it may reuse (a forward-gradient step does): where the
            # function writes a parameter in place, its tangent is written into a copy of its own
            written = effects.closure_of(self.body_aliases, self.mutated)
            for p in self.spec.active_params:
                if p in written and self.state.get(p) == LIVE:
                    d = self.tangent_name(p)
                    out.append(nodes.assign(d, self.rt_call("own", nodes.name(d))))
        for n in sorted(self.force_live):
            self.materialize(n, out)
        tparams = [self.tangent_name(p) for p in self.spec.active_params]
        self.spec.tangent_params = dict(zip(self.spec.active_params, tparams))
        # nested defs reading active values and used as values: active, their tangent is their JVP
        self.escaping = dynamic_calls.escaping(self)
        if self.escaping - self.act.active:
            self.act.active |= self.escaping
            self.act.run(self.fnode.body)
        user_calls.plan_nested(self)
        body = self.block(f.body, out)
        if self.spec.guarded and self.parent is None:
            body = contexts.guard_function(self, body)
        if self.uses_k and self.parent is None and tparams:
            body.insert(0, nodes.assign(self.kname, self.rt_call("batch_size", nodes.name(tparams[0]))))
        elif self.uses_k and self.parent is None and self.unit_sources():  # K from the injected tangents
            body.insert(0, nodes.assign(self.kname, self.unit.tangent_sources.directions_expr(self)))
        defaults, kw_defaults = entry.defaults(self, a)
        if not self.spec.active_params and self.parent is None and not self.unit_sources():
            return entry.primal_def(self, body, defaults, kw_defaults)
        if not _terminates(body):
            body.append(nodes.ret(nodes.tuple_([nodes.const(None), nodes.const(None)])))
        return entry.jvp_def(self, body, tparams, defaults, kw_defaults)

    # ------------------------------------------------------------------ statements
    def block(self, stmts, out=None):
        out = [] if out is None else out
        for s in stmts:
            self.stmt(s, out)
        return out

    def stmt(self, s, out):
        self.unit.current = (self.info, s)  # where an internal error is reported (compiler.Unit.build)
        factored = self.factored
        start = len(out)
        if factored.lr and factored.before_stmt(s, out):  # a compound statement: no factored tangents inside
            factored.depth += 1
            try:
                return self._stmt(s, out)
            finally:
                factored.depth -= 1
                origins.tag(out[start:], self.info, s)
        result = self._stmt(s, out)
        origins.tag(out[start:], self.info, s)  # where a run-time refusal of these statements points
        return result

    def _stmt(self, s, out):
        simple_assign = isinstance(s, gast.Assign) and len(s.targets) == 1 and isinstance(s.targets[0], gast.Name)
        if not simple_assign and not isinstance(s, (gast.If, gast.While, gast.Pass, gast.Break, gast.Continue)):
            self.settle_all(out)  # only plain assignments know how to use a maybe-zero tangent
        m = getattr(self, "s_" + type(s).__name__, None)
        if m is None:
            out.append(nodes.clone(s))
            return
        m(s, out)

    def s_Expr(self, s, out):
        v = s.value
        if isinstance(v, gast.Constant):  # docstrings and bare constants: nothing to compute
            return
        if isinstance(v, gast.Call) and self.act.expr(v) and records.statement_call(self, v, out):  # g.append(x)
            return
        if (
            isinstance(v, gast.Call)
            and isinstance(v.func, gast.Attribute)
            and v.func.attr in MUTATING_METHODS
            and assignments.method_write(self, v, out)
        ):
            return
        if isinstance(v, gast.Call) and self.act.expr(v) and rule_apply.writer_call(self, v, out):
            return
        if self.act.expr(v):
            tmp = self.namer.temp()
            self.act.active.add(tmp)
            self.assign_name(tmp, self.simplify(v, out), out)
            return
        out.append(nodes.clone(s))

    def s_AugAssign(self, s, out):
        """``t op= v`` keeps Python's meaning on every target kind: an array (or a view of one, or an
        element of a container) is updated in place, never rebound."""
        target = s.target
        if isinstance(target, gast.Name):
            if target.id in self.act.active:
                return assignments.aug_assign_name(self, s, out)
            out.append(nodes.clone(s))  # inactive: exactly the user's statement (in place where it was)
            return
        value_active = self.act.expr(s.value)
        if isinstance(target, gast.Attribute):
            if value_active or self.act.expr(target.value):
                raise self.error(
                    target,
                    f"augmented assignment to the attribute {target.attr!r} with a differentiated value: "
                    "its tangent cannot be followed through the object",
                    hint="keep the value in a local variable (or a dict/list) and return it",
                )
            out.append(nodes.clone(s))
            return
        root = target
        while isinstance(root, gast.Subscript):
            root = root.value
        # M.T[0] *= 5.0, M.reshape(3, 2)[0] *= 3.0: an inactive value still scales an active array's entries
        root_active = root.id in self.act.active if isinstance(root, gast.Name) else self.act.expr(root)
        if not (value_active or root_active):
            out.append(nodes.clone(s))
            return
        # c[i] op= v is  t = c[i]; t op= v; c[i] = t  (lower.py): the in-place update of t reaches c and
        # every alias of it, and so does the tangent's
        self.lowered(lower.aug_assign_subscript(s, self.namer.temp), out)

    def lowered(self, stmts, out, shared=False):
        """Transform statements that lower.py made from one of yours: their temporaries take part in
        activity (and, for ``shared``, share the force-live status of the names bound from the first)."""
        for _ in range(2):  # a temporary can become active only through a later statement
            for st in stmts:
                self.act._stmt(st)
        if shared:
            tmp = stmts[0].targets[0].id
            names = {n for st in stmts[1:] for n in nodes.names_in(st.targets[0], gast.Store)}
            if names & self.force_live:  # the targets share one object: so do their tangents
                self.force_live.add(tmp)
        for st in stmts:
            self.stmt(st, out)

    def s_Delete(self, s, out):
        """``del c[k]`` of a differentiated list or dict deletes the tangent's item too (the index
        evaluated once); other targets are deleted as written."""
        for t in s.targets:
            root = t
            while isinstance(root, gast.Subscript):
                root = root.value
            if not (isinstance(t, gast.Subscript) and isinstance(root, gast.Name) and root.id in self.act.active):
                out.append(gast.Delete(targets=[nodes.clone(t)]))
                continue
            target = nodes.clone(t)
            node = target
            while isinstance(node, gast.Subscript):
                node.slice = expressions.simple_index(self, node.slice, out)
                node = node.value
            out.append(gast.Delete(targets=[target]))
            if self.is_live(root.id):
                tan = nodes.clone(target)
                node = tan
                while isinstance(node.value, gast.Subscript):
                    node = node.value
                node.value = nodes.name(self.tangent_name(root.id))  # del dc[k]: the same item of the tangent
                out.append(gast.Delete(targets=[tan]))

    def s_With(self, s, out):
        contexts.transform_with(self, s, out)

    def s_Try(self, s, out):
        contexts.transform_try(self, s, out)

    def s_AnnAssign(self, s, out):
        if s.value is not None:
            self.s_Assign(gast.Assign(targets=[s.target], value=s.value, type_comment=None), out)

    def s_Assign(self, s, out):
        if len(s.targets) > 1:
            # a = b[a] = value: the value is computed once, then the targets are bound left to right
            stmts = lower.chained_assign(s, self.namer.temp)
            if stmts is None:  # the value is a name or a constant
                for t in s.targets:
                    self.s_Assign(gast.Assign(targets=[t], value=nodes.clone(s.value), type_comment=None), out)
                return
            tmp = stmts[0].targets[0].id
            names = {n for t in s.targets for n in nodes.names_in(t)}
            if names & self.act.active:  # one object under all the targets: active if any is
                self.act.active.add(tmp)
            return self.lowered(stmts, out, shared=True)
        target, value = s.targets[0], s.value
        if isinstance(target, gast.Name):
            if not self.act.expr(value):
                out.append(nodes.clone(s))
                self.set_zero(target.id, out, value)
                return
            self.assign_name(target.id, self.simplify(value, out), out)
        elif isinstance(target, (gast.Tuple, gast.List)):
            assignments.assign_unpack(self, target, value, out)
        elif isinstance(target, gast.Subscript):
            assignments.assign_subscript(self, target, value, out)
        elif isinstance(target, gast.Attribute):
            if self.act.expr(value) or self.act.expr(target.value):
                raise self.error(
                    target,
                    f"assigning to an attribute ('.{target.attr} = ...') of a differentiated value or with one "
                    "is not supported: the tangent cannot be followed through the object",
                    UnsupportedSyntaxError,
                    hint="keep values in local variables, lists or dicts",
                )
            out.append(nodes.clone(s))  # an inactive attribute write: the user's statement
        else:
            raise self.error(target, f"cannot assign to {type(target).__name__}")

    def s_Return(self, s, out):
        v = s.value
        if not self.spec.active_params and self.parent is None and not self.unit_sources():  # a primal copy
            out.append(nodes.clone(s))
            return
        if v is None:
            out.append(nodes.ret(nodes.tuple_([nodes.const(None), nodes.const(None)])))
            return
        if isinstance(v, gast.Tuple):
            atoms = [self.atomize(e, out, hoist_inactive=True) for e in v.elts]
            for a in atoms:
                self.densify_in(a, out)
            out.append(
                nodes.ret(
                    nodes.tuple_(
                        [
                            nodes.tuple_([nodes.clone(a) for a in atoms]),
                            nodes.tuple_([self.t_or_zeros(a) for a in atoms]),
                        ]
                    )
                )
            )
            return
        atom = self.atomize(v, out, hoist_inactive=True)
        self.densify_in(atom, out)
        out.append(nodes.ret(nodes.tuple_([nodes.clone(atom), self.t_or_zeros(atom)])))

    def s_If(self, s, out):
        s0, z0 = dict(self.state), dict(self.zero_value)
        body = self.block(s.body)
        s1, z1 = self.state, self.zero_value
        self.state, self.zero_value = dict(s0), dict(z0)
        orelse = self.block(s.orelse)
        s2, z2 = self.state, self.zero_value
        # a name first bound on one path only may be unbound after the if: a maybe-zero tangent of a user
        # name is settled on that path (never read where it may be unbound); temporaries are dead
        one_path = (set(s1) ^ set(s2)) - set(s0)
        for state, branch in ((s1, body), (s2, orelse)):
            if not _terminates(branch):
                self.state = state
                self.settle([n for n in one_path if n in state and n not in self.namer.temps], branch)
        self.state = s2
        self.zero_value = {k: v for k, v in z1.items() if z2.get(k) is v}
        self.state = self.join(s1, body, s2, orelse, z1, z2)
        for n in one_path & self.namer.temps:
            self.state.pop(n, None)
        out.append(nodes.if_(nodes.clone(s.test), body, orelse))

    def join(self, s1, out1, s2, out2, z1, z2):
        t1, t2 = _terminates(out1), _terminates(out2)
        if t1 and not t2:
            return s2
        if t2 and not t1:
            return s1
        joined = {}
        for n in sorted(set(s1) | set(s2)):
            a, b = s1.get(n), s2.get(n)
            joined[n], fix = join_states(a, b)
            zero_out, zv = (out1, z1) if a == ZERO else (out2, z2)
            if fix is Fix.SET_NONE:  # the zero side says so at run time: its tangent is None
                zero_out.append(nodes.assign(self.tangent_name(n), nodes.const(None)))
            elif fix is Fix.MATERIALIZE:
                zero_out.append(nodes.assign(self.tangent_name(n), self.zeros_of(zv.get(n) or nodes.name(n))))
        return joined

    def loop_prologue(self, body_stmts, extra, out):
        carried = (_assigned_names(body_stmts) | set(extra)) & self.act.active
        maybe = set()
        for n in sorted(carried):
            if (
                self.state.get(n) == ZERO
                and self.zero_value.get(n) is None
                and n not in self.force_live
                and n not in extra
            ):
                # a value that becomes active inside the loop: its tangent starts as None (zero) instead
                # of an array of zeros, and the first iteration skips the products with it
                out.append(nodes.assign(self.tangent_name(n), nodes.const(None)))
                maybe.add(n)
                self.maybe_allowed.add(n)
            else:
                self.materialize(n, out)
        saved = self.force_live
        self.force_live = saved | carried
        for n in carried:
            self.state[n] = MAYBE if (n in maybe or self.state.get(n) == MAYBE) else LIVE
        return saved, carried

    def after_loop(self, carried, entry):
        """A name whose tangent may still be None on loop entry may still be None after the loop
        (zero iterations); any other carried name keeps a real tangent."""
        for n in carried:
            if entry.get(n) == MAYBE or self.state.get(n) == MAYBE:
                self.state[n] = MAYBE
            elif n in self.state:
                self.state[n] = LIVE

    def s_While(self, s, out):
        saved, carried = self.loop_prologue(s.body, (), out)
        entry = dict(self.state)
        body = self.block(s.body)
        self.force_live = saved
        self.after_loop(carried, entry)
        orelse = self.block(s.orelse)
        out.append(gast.While(test=nodes.clone(s.test), body=body, orelse=orelse))

    def s_For(self, s, out):
        act = self.act.iter_target_activity(s.iter)
        pre = []
        pairs = []
        primal_iter = assignments.loop_iter(self, s.iter, act, s.target, pairs, pre)
        out.extend(pre)
        target_names = set(nodes.names_in(s.target, gast.Store))
        header_live = set()
        for _, tt in pairs:
            header_live |= {n for n in assignments.tangent_target_primals(self, tt)}
        saved, carried = self.loop_prologue(s.body, target_names & self.act.active, out)
        body = []
        for n in sorted((target_names & self.act.active) - header_live):
            body.append(nodes.assign(self.tangent_name(n), self.zeros_of(nodes.name(n))))
        entry = dict(self.state)
        self.block(s.body, body)
        self.force_live = saved
        self.after_loop(carried, entry)
        if pairs:
            target = nodes.tuple_([nodes.clone(s.target)] + [tt for _, tt in pairs], gast.Store())
            it = nodes.call(nodes.name(self.unit.builtin("zip")), [primal_iter] + [ti for ti, _ in pairs])
        else:
            target, it = nodes.clone(s.target), primal_iter
        orelse = self.block(s.orelse)
        out.append(nodes.for_(target, it, body or [nodes.pass_()], orelse))

    def s_FunctionDef(self, s, out):
        for d in s.args.defaults + [d for d in s.args.kw_defaults if d is not None]:
            if self.act.expr(d):
                raise self.error(
                    d,
                    f"the default value of parameter of nested function {s.name!r} depends on a differentiated value",
                    hint="pass the value explicitly at the call instead",
                )
        out.append(nodes.clone(s))  # the primal def, for calls whose arguments are inactive
        spec = self.nested.get(s.name)
        if spec is None:
            return
        child = FunctionTransformer(self.unit, spec, fnode=s, parent=self)
        self.children.append(child)
        spec.node = child.run()
        out.append(spec.node)
        if s.name in self.escaping:  # used as a value: its tangent is its JVP (dynamic_calls.emit_active)
            dynamic_calls.function_tangent(self, s.name, spec, out)

    # ------------------------------------------------------------------ expressions to simple form
    def assign_name(self, target, sexpr, out):
        """Emit ``target = sexpr`` (sexpr in simple form) with its tangent."""
        if not self.act.expr(sexpr):
            out.append(nodes.assign(target, sexpr))
            self.set_zero(target, out, sexpr)
            return
        if self.factored.lr and self.factored.assign(target, sexpr, out):
            return
        maybe = sorted({n for n in nodes.names_in(sexpr, gast.Load) if self.state.get(n) == MAYBE})
        if isinstance(sexpr, gast.Call) and listops.emit_method(self, target, sexpr, out):  # xs.pop(i)
            return
        # state.step(dt), and g.sum() / g.T on a record whose class defines them (records.py)
        if isinstance(sexpr, (gast.Call, gast.Attribute)) and records.method_call(self, target, sexpr, out):
            return
        if isinstance(sexpr, gast.Call):
            callee = None if records.is_record_call(self, sexpr) else user_calls.user_callee(self, sexpr)
            if callee is not None:
                self.settle(maybe, out)
                user_calls.emit_user_call(self, target, sexpr, callee, out)
                return
        if len(maybe) > 1:
            self.settle(maybe, out)
            maybe = []
        if maybe:
            tan = self.maybe_tangent(sexpr, maybe[0], target)
        elif target in self.shift_free and isinstance(sexpr, gast.BinOp) and isinstance(sexpr.op, gast.Sub):
            tan = self.t(sexpr.left)  # the shift's tangent cancels in every use of the result
        else:
            tan = self.tangent_expr(sexpr)
        if tan is not None:
            tan = optimize.fold(tan)
            if optimize.is_zero(tan):
                tan = None
        if tan is None:
            out.append(nodes.assign(target, sexpr))
            self.set_zero(target, out, sexpr)
            return
        if (
            (self.has_inplace or target in self.mutated)
            and _may_alias(tan, self.unit.rt)
            and not isinstance(sexpr, gast.Name)
        ):
            # a new primal array whose tangent would be another value's tangent: where anything may be
            # written in place, the tangent gets its own copy
            tan = self.rep.fresh(tan)
        used = set(nodes.names_in(tan, gast.Load))
        dname = self.tangent_name(target)
        result_state = (
            MAYBE
            if (isinstance(tan, gast.IfExp) and isinstance(tan.body, gast.Constant) and tan.body.value is None)
            else LIVE
        )
        if target not in used:
            out.append(nodes.assign(target, sexpr))
            out.append(nodes.assign(dname, nodes.substitute(tan, {ANS: nodes.name(target)})))
        elif ANS not in used and not self.guard_depth:
            out.append(nodes.assign(dname, tan))
            out.append(nodes.assign(target, sexpr))
        else:
            tmp = self.namer.temp()
            out.append(nodes.assign(tmp, sexpr))
            out.append(nodes.assign(dname, nodes.substitute(tan, {ANS: nodes.name(tmp)})))
            out.append(nodes.assign(target, nodes.name(tmp)))
        self.state[target] = result_state
        if result_state == MAYBE and target in self.force_live and target not in self.maybe_allowed:
            self.settle([target], out)

    def maybe_tangent(self, sexpr, m, target):
        """The tangent of ``sexpr`` when operand ``m``'s tangent may be None (a zero that was not made
        into an array): ``<without m> if dm is None else <with m>``."""
        self.state[m] = LIVE
        full = self.tangent_expr(sexpr)
        self.state[m] = ZERO
        zero = self.tangent_expr(sexpr)
        self.state[m] = MAYBE
        if full is None:
            return None
        full = optimize.fold(full)
        if zero is not None:
            zero = optimize.fold(zero)
            if optimize.is_zero(zero):
                zero = None
        if (self.has_inplace or target in self.mutated) and zero is not None and _may_alias(zero, self.unit.rt):
            zero = self.rt_call("fresh", zero)
        test = gast.Compare(left=nodes.name(self.tangent_name(m)), ops=[gast.Is()], comparators=[nodes.const(None)])
        return gast.IfExp(test=test, body=zero if zero is not None else nodes.const(None), orelse=full)

    # ------------------------------------------------------------------ for the modules it delegates to
    # (expressions, rule_apply, user_calls and the statement modules call these on the transformer)
    def atomize(self, e, out, hoist_inactive=False):
        return expressions.atomize(self, e, out, hoist_inactive)

    def simplify(self, e, out):
        return expressions.simplify(self, e, out)

    def tangent_expr(self, e):
        return rule_apply.tangent_expr(self, e)

    def bind(self, rule, call, receiver):
        return rule_apply.bind(self, rule, call, receiver)

    def is_factored(self, n):
        return self.factored.is_factored(n)

    def densify(self, n, out):
        self.factored.densify(n, out)

    def densify_in(self, node, out, ctx=None):
        self.factored.densify_in(node, out, ctx)

    def nested_scope(self):
        scope = dict(self.parent.nested_scope()) if self.parent else {}
        scope.update(self.nested)
        return scope

    def unit_sources(self):
        """Whether the root is compiled for tangents injected at markers only (perturbation.py)."""
        return self.spec.is_root and getattr(self.unit, "tangent_sources", False)


def _may_alias(tan, rt):
    """A tangent expression that may be another value's tangent object itself."""
    if isinstance(tan, gast.Name):
        return True
    return (
        isinstance(tan, gast.Call)
        and isinstance(tan.func, gast.Attribute)
        and tan.func.attr in ("expand", "balign")
        and isinstance(tan.func.value, gast.Name)
        and tan.func.value.id == rt
    )
