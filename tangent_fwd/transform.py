"""The forward transform: each active statement becomes a primal statement and a tangent statement.

Statements are put into simple form on the fly (one operation over names), and each operation's
tangent is built from its registered rule. Zero tangents are symbolic: a name whose tangent is
known to be zero has no tangent variable at all, and contributions from it are dropped. A zero is
materialised (``dacc = rt.zeros_like(acc)``) only where a name becomes active on some path only: a
loop-carried value, a join of branches, a container that is mutated or a variable closed over.
"""

import builtins as _builtins
import math
import operator as _op

import gast
import numpy as _np

from . import (
    callables,
    contexts,
    dynamic_calls,
    effects,
    listops,
    lower,
    nodes,
    optimize,
    outarg,
    records,
    registry,
)
from .activity import MUTATING_METHODS, Activity
from .activity import _flatten as _flat
from .errors import MissingRuleError, TransformError, UnsupportedSyntaxError
from .factored import FactoredMixin
from .fence import check as fence_check
from .naming import Namer
from .parse import MISSING, code_signature, is_user_function, library_source, local_names
from .shift import shift_free_names
from .states import FACTORED, LIVE, MAYBE, ZERO, Fix
from .states import join as join_states

ANS = "__tangent_fwd_ans__"

BINOPS = {
    gast.Add: _op.add,
    gast.Sub: _op.sub,
    gast.Mult: _op.mul,
    gast.Div: _op.truediv,
    gast.Pow: _op.pow,
    gast.MatMult: _op.matmul,
    gast.Mod: _op.mod,
    gast.FloorDiv: _op.floordiv,
    gast.BitAnd: _op.and_,
    gast.BitOr: _op.or_,
    gast.BitXor: _op.xor,
    gast.LShift: _op.lshift,
    gast.RShift: _op.rshift,
}
UNARYOPS = {gast.USub: _op.neg, gast.UAdd: _op.pos, gast.Not: _op.not_, gast.Invert: _op.invert}
REGISTER_HINT = (
    "register a rule, e.g. tangent_fwd.defjvp({name}, 'x', 'dx * ...'), or tangent_fwd.deflinear / tangent_fwd.defzero"
)


class Spec:
    """One generated function: a user function specialised to a set of active parameters."""

    def __init__(self, func, info, active_params, name):
        self.func, self.info, self.active_params, self.name = func, info, tuple(active_params), name
        self.tangent_params = {}
        self.structs = {}  # parameter -> structure of its factored tangent (see factored.py)
        self.node = None
        self.temps = set()
        self.is_root = False
        self.guarded = False  # called inside a try body: its tangent statements run under a guard (contexts.py)
        self.called_from = None  # (caller Spec, its FunctionInfo, the call node) of the first call that requested it


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


class FunctionTransformer(FactoredMixin):
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
        self.lr, self.lr_depth, self.lr_ok = {}, 0, False  # factored tangents (see factored.py)
        self.force_live = set()
        self.zero_value = {}  # name -> the numeric constant it holds while its tangent is zero
        self.vector = unit.vector  # tangents carry a leading axis of K directions
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
        if self.vector:
            return self.rt_call("zeros_batched", nodes.clone(atom), self.k())
        return self.rt_call("zeros_like", nodes.clone(atom))

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
        self._init_force_live()
        for p in a.posonlyargs + a.args + a.kwonlyargs + [x for x in (a.vararg, a.kwarg) if x is not None]:
            if p.id in self.act.active:
                self.state[p.id] = LIVE if p.id in self.spec.active_params else ZERO
        out.extend(self.lr_setup())
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
        self.plan_nested()
        body = self.block(f.body, out)
        if self.spec.guarded and self.parent is None:
            body = contexts.guard_function(self, body)
        if self.uses_k and self.parent is None and tparams:
            body.insert(0, nodes.assign(self.kname, self.rt_call("batch_size", nodes.name(tparams[0]))))
        elif self.uses_k and self.parent is None and self.unit_sources():  # K from the injected tangents
            body.insert(0, nodes.assign(self.kname, self.unit.tangent_sources.directions_expr(self)))
        defaults, kw_defaults = self._defaults(a)
        if not self.spec.active_params and self.parent is None and not self.unit_sources():
            doc = f"{self.info.func.__qualname__} on the generated code's backend (no tangents)."
            args = nodes.clone(f.args)
            args.defaults, args.kw_defaults = defaults, kw_defaults
            return nodes.funcdef(self.spec.name, args, body, docstring=doc)
        if not _terminates(body):
            body.append(nodes.ret(nodes.tuple_([nodes.const(None), nodes.const(None)])))
        simple = not (a.defaults or a.kwonlyargs or a.vararg or a.kwarg or a.posonlyargs)
        args = nodes.arguments(
            [nodes.param(p.id) for p in a.args] + ([nodes.param(t) for t in tparams] if simple else []),
            defaults=defaults,
            kwonly=[nodes.param(p.id) for p in a.kwonlyargs] + ([] if simple else [nodes.param(t) for t in tparams]),
            kw_defaults=kw_defaults + ([] if simple else [None] * len(tparams)),
            vararg=nodes.param(a.vararg.id) if a.vararg else None,
            kwarg=nodes.param(a.kwarg.id) if a.kwarg else None,
            posonly=[nodes.param(p.id) for p in a.posonlyargs],
        )
        wrt = ", ".join(self.spec.active_params) or ("its perturb sites" if self.unit_sources() else "()")
        doc = f"Value and JVP of {self.info.func.__qualname__} w.r.t. {wrt}."
        return nodes.funcdef(self.spec.name, args, body, docstring=doc if self.parent is None else None)

    def _defaults(self, a):
        """Default values as the user's function holds them (``__defaults__``/``__kwdefaults__``, evaluated
        once where it was defined), not its source text re-evaluated in another scope. A nested def's
        defaults stay expressions: they are evaluated where the generated def runs, as the user's are."""
        if self.parent is not None:
            return [nodes.clone(d) for d in a.defaults], [
                nodes.clone(d) if d is not None else None for d in a.kw_defaults
            ]
        func = self.spec.func
        pos = a.posonlyargs + a.args
        values = func.__defaults__ or ()
        names = [p.id for p in pos[len(pos) - len(values) :]]
        defaults = [self._default_value(v, func, n) for n, v in zip(names, values)]
        kw = func.__kwdefaults__ or {}
        kw_defaults = [self._default_value(kw[p.id], func, p.id) if p.id in kw else None for p in a.kwonlyargs]
        return defaults, kw_defaults

    def _default_value(self, value, func, pname):
        if value is None or type(value) in (bool, int, str) or (type(value) is float and math.isfinite(value)):
            return nodes.const(value)  # shown as written; immutable, so the same value
        return nodes.name(self.unit.const(value, f"{self.info.node.name}_{pname}_default"))

    def _init_force_live(self):
        """Names whose tangent must exist whenever they do: containers and arrays written in place
        (and everything that may share memory with them), and names nested functions close over."""
        active = self.act.active
        live = set()
        has_inplace = False
        body = gast.Module(body=self.fnode.body, type_ignores=[])
        for n in nodes.nodes_of(body, (gast.Subscript, gast.AugAssign, gast.Call)):  # one pass over the body
            if isinstance(n, gast.Subscript) and isinstance(n.ctx, gast.Store):
                has_inplace = True
                live.update(self.act.written(n))
            elif isinstance(n, gast.AugAssign):
                has_inplace = True
                if isinstance(n.target, gast.Name):
                    live.add(n.target.id)
            elif isinstance(n, gast.Call):
                if (
                    isinstance(n.func, gast.Attribute)
                    and (n.func.attr in MUTATING_METHODS or n.func.attr in listops.MUTATORS)
                    and isinstance(n.func.value, gast.Name)
                ):
                    live.add(n.func.value.id)
                live.update(self.act.callee_mutations(n))
                written = self.act.library_writes(n)
                if written:
                    live.update(written)
                    has_inplace = True
                if not has_inplace and self.user_callee(n) is not None:
                    has_inplace = True  # a callee may write into what we pass it
        self.mutated = set(live)
        self.has_inplace = has_inplace
        for free in self.nested_free.values():
            live |= free
        aliases = self.body_aliases
        changed = True
        while changed:
            changed = False
            for a, b in aliases:
                if (a in live) != (b in live):
                    live |= {a, b}
                    changed = True
        self.force_live = {n for n in live if n in active and n in self.locals}

    # ------------------------------------------------------------------ statements
    def block(self, stmts, out=None):
        out = [] if out is None else out
        for s in stmts:
            self.stmt(s, out)
        return out

    def stmt(self, s, out):
        self.unit.current = (self.info, s)  # where an internal error is reported (compiler.Unit.build)
        if self.lr and self.lr_before_stmt(s, out):  # a compound statement: no factored tangents inside
            self.lr_depth += 1
            try:
                return self._stmt(s, out)
            finally:
                self.lr_depth -= 1
        return self._stmt(s, out)

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
        if isinstance(v, gast.Call) and isinstance(v.func, gast.Attribute) and v.func.attr in MUTATING_METHODS:
            recv = v.func.value
            if isinstance(recv, gast.Name) and recv.id in self.act.active:
                args = [self.atomize(a, out) for a in v.args]
                out.append(nodes.expr_stmt(nodes.call(nodes.attr(nodes.clone(recv), v.func.attr), args)))
                val = args[-1]
                if self.t(val) is not None:
                    self.materialize(recv.id, out)
                if self.is_live(recv.id):
                    targs = args[:-1] + [self.t_or_zeros(val)]
                    if v.func.attr == "extend":
                        targs = args[:-1] + [
                            self.t(val)
                            if self.t(val) is not None
                            else nodes.call(nodes.attr(nodes.name(self.unit.rt), "zeros_like"), [val])
                        ]
                    out.append(
                        nodes.expr_stmt(
                            nodes.call(nodes.attr(nodes.name(self.tangent_name(recv.id)), v.func.attr), targs)
                        )
                    )
                return
        if isinstance(v, gast.Call) and self.act.expr(v) and self.writer_call(v, out):
            return
        if self.act.expr(v):
            tmp = self.namer.temp()
            self.act.active.add(tmp)
            self.assign_name(tmp, self.simplify(v, out), out)
            return
        out.append(nodes.clone(s))

    def writer_call(self, call, out):
        """A library call that writes into an argument in place (a writer rule, registry.defwriter:
        ``np.add.at(K, idx, v)``, ``x.sort()``): the rule's template applies the same write to that
        argument's tangent buffer (live: activity.library_writes made it force-live), emitted before
        the call, so that it may read the old values; then the user's call itself."""
        f = call.func
        obj = self.info.resolve(f, self.visible_locals)
        if obj is not MISSING:
            rule, receiver = registry.lookup(obj), None
        elif isinstance(f, gast.Attribute):
            rule, receiver = registry.lookup_method(f.attr), f.value
        else:
            return False
        if rule is None or not rule.writes:
            return False
        new = self.simplify_call(call, out)
        if receiver is not None:
            receiver = new.func.value
        bound = self.bind(rule, new, receiver)
        for w in rule.writes:
            node = bound.get(w, (None,))[0]
            if isinstance(node, gast.Name):
                self.materialize(node.id, out)
            if node is None or self.t(node) is None:
                raise self.error(
                    call,
                    f"{rule.name} writes a differentiated value into {nodes.to_source(node).strip() if node else w!r}"
                    ", whose tangent buffer cannot be followed here",
                    hint="write into a local array (np.zeros(...) or a .copy()) passed by its name",
                )
        mapping = {p.name: bound[p.name][0] if bound.get(p.name) else nodes.const(p.default) for p in rule.params}
        entries = {p: bound.get(p) for p in rule.partials}
        tans = {p: (self.t(e[0]) if e is not None else None) for p, e in entries.items()}
        zeros = {p: (self.zeros_of(e[0]) if e is not None else nodes.const(0.0)) for p, e in entries.items()}
        base = dict(mapping)
        base.update({"np": nodes.name(self.unit.xp), "math": nodes.name(self.unit.module("math"))})
        base["rt"] = nodes.name(self.unit.rt)
        if not self.vector:
            base.update({"d" + p: tans[p] if tans[p] is not None else zeros[p] for p in entries})
            out.append(nodes.expr_stmt(nodes.substitute(rule.joint, base)))
        else:
            kvar = self.namer.fresh("k")
            for p in entries:
                t = tans[p] if tans[p] is not None else zeros[p]
                base["d" + p] = self.rt_call("bslice", t, nodes.name(kvar))
            loop = nodes.listcomp(
                nodes.substitute(rule.joint, base),
                nodes.store(kvar),
                nodes.call(nodes.name(self.unit.builtin("range")), [self.k()]),
            )
            out.append(nodes.expr_stmt(loop))
        out.append(nodes.expr_stmt(new))
        return True

    def s_AugAssign(self, s, out):
        """``t op= v`` keeps Python's meaning on every target kind: an array (or a view of one, or an
        element of a container) is updated in place, never rebound."""
        target = s.target
        if isinstance(target, gast.Name):
            if target.id in self.act.active:
                return self.aug_assign_name(s, out)
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
        root_active = isinstance(root, gast.Name) and root.id in self.act.active
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

    def aug_assign_name(self, s, out):
        """``r op= v`` stays in place (an array ``r`` may be a view that others see), and so does its
        tangent: ``dr = rt.iset(dr, ...)`` writes into ``dr`` where it is an array."""
        r = s.target.id
        value = self.atomize(s.value, out) if self.act.expr(s.value) else s.value
        if not self.act.expr(value) and not self.is_live(r):
            out.append(gast.AugAssign(target=nodes.store(r), op=s.op, value=nodes.clone(value)))
            return
        sexpr = nodes.binop(nodes.name(r), s.op, value)
        tan = self.tangent_expr(sexpr)
        primal = gast.AugAssign(target=nodes.store(r), op=s.op, value=nodes.clone(value))
        if tan is None:
            out.append(primal)
            self.set_zero(r, out)
            return
        tan = optimize.fold(tan)
        if optimize.is_zero(tan):
            out.append(primal)
            self.set_zero(r, out)
            return
        used = set(nodes.names_in(tan, gast.Load))
        dname = self.tangent_name(r)
        live = self.is_live(r)
        if (ANS in used or self.guard_depth) and r in used:
            old = self.namer.temp()
            out.append(nodes.assign(old, self.rt_call("snapshot", nodes.name(r))))
            tan = nodes.substitute(tan, {r: nodes.name(old)})
            used = {ANS}
        if ANS in used or self.guard_depth:
            out.append(primal)
            tan = nodes.substitute(tan, {ANS: nodes.name(r)})
            out.append(
                nodes.assign(dname, self.rt_call("iset", nodes.name(dname), tan, nodes.name(r)) if live else tan)
            )
        else:
            tmp = self.namer.fresh("d" + r + "_new")
            out.append(nodes.assign(tmp, tan))
            out.append(primal)
            out.append(
                nodes.assign(
                    dname,
                    self.rt_call("iset", nodes.name(dname), nodes.name(tmp), nodes.name(r))
                    if live
                    else nodes.name(tmp),
                )
            )
        self.state[r] = LIVE

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
            self.assign_unpack(target, value, out)
        elif isinstance(target, gast.Subscript):
            self.assign_subscript(target, value, out)
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

    def assign_unpack(self, target, value, out):
        if any(isinstance(n, gast.Subscript) for n in gast.walk(target)):
            roots = [r for r in nodes.names_in(target) if r in self.act.active]
            if self.act.expr(value) or roots:
                if any(isinstance(n, gast.Starred) for n in gast.walk(target)):
                    raise self.error(
                        target,
                        "starred unpacking into subscripts is not supported",
                        hint="assign the elements one by one",
                    )
                # Python builds the whole right-hand side first, then assigns left to right
                tmp = self.atomize(value, out, hoist_inactive=True)
                for i, elt in enumerate(target.elts):
                    self.s_Assign(
                        gast.Assign(
                            targets=[elt], value=nodes.subscript(nodes.clone(tmp), nodes.const(i)), type_comment=None
                        ),
                        out,
                    )
                return
        if not self.act.expr(value):
            out.append(nodes.assign(nodes.clone(target), nodes.clone(value)))
            for n in nodes.names_in(target, gast.Store):
                self.set_zero(n, out)
            return
        atom = self.atomize(value, out)
        out.append(nodes.assign(nodes.clone(target), nodes.clone(atom)))
        tan = self.t(atom)
        names = nodes.names_in(target, gast.Store)
        if tan is None:
            for n in names:
                self.set_zero(n, out)
            return
        out.append(nodes.assign(self.tangent_target(target), self.rt_call("biter", tan) if self.vector else tan))
        for n in names:
            if n in self.act.active:
                self.state[n] = LIVE

    def tangent_target(self, target):
        if isinstance(target, gast.Name):
            if target.id in self.act.active:
                return nodes.store(self.tangent_name(target.id))
            return nodes.store(self.namer.fresh("_"))
        if isinstance(target, (gast.Tuple, gast.List)):
            return nodes.tuple_([self.tangent_target(e) for e in target.elts], gast.Store())
        if isinstance(target, gast.Starred):
            return gast.Starred(value=self.tangent_target(target.value), ctx=gast.Store())
        raise self.error(target, "unsupported assignment target in unpacking")

    def assign_subscript(self, target, value, out):
        chain = []
        root = target
        while isinstance(root, gast.Subscript):
            chain.append(root)
            root = root.value
        if not isinstance(root, gast.Name):
            # Y.T[0] = v, f(B)[:] = v: the container is bound to a temporary (lower.py) whose tangent is
            # the same view of the base's tangent
            if not (self.act.expr(value) or self.act.expr(root)):
                out.append(gast.Assign(targets=[nodes.clone(target)], value=nodes.clone(value), type_comment=None))
                return
            stmts = lower.store_into_expression(
                gast.Assign(targets=[target], value=value, type_comment=None), self.namer.temp
            )
            return self.lowered(stmts, out)
        active_value = self.act.expr(value)
        new_target = nodes.clone(target)
        node = new_target
        while isinstance(node, gast.Subscript):
            node.slice = self.simple_index(node.slice, out)
            node = node.value
        atom = self.atomize(value, out) if (active_value or root.id in self.act.active) else value
        if active_value and self.t(atom) is not None:
            self.materialize(root.id, out)
        out.append(nodes.assign(new_target, nodes.clone(atom)))
        if root.id in self.act.active and self.is_live(root.id):
            if self.vector:
                chain = []
                node = new_target
                while isinstance(node, gast.Subscript):
                    chain.append(node.slice)
                    node = node.value
                container = nodes.name(self.tangent_name(root.id))
                for idx in reversed(chain[1:]):
                    container = self.rt_call("bget", container, self.index_node(idx))
                out.append(
                    nodes.expr_stmt(self.rt_call("bset", container, self.index_node(chain[0]), self.t_or_zeros(atom)))
                )
                return
            ttarget = nodes.clone(new_target)
            node = ttarget
            while isinstance(node.value, gast.Subscript):
                node = node.value
            node.value = nodes.name(self.tangent_name(root.id))
            out.append(nodes.assign(ttarget, self.t_or_zeros(atom)))

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
        primal_iter = self.loop_iter(s.iter, act, s.target, pairs, pre)
        out.extend(pre)
        target_names = set(nodes.names_in(s.target, gast.Store))
        header_live = set()
        for _, tt in pairs:
            header_live |= {n for n in self._tangent_target_primals(tt)}
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

    def _tangent_target_primals(self, tt):
        inverse = {v: k for k, v in self.tname.items()}
        return [inverse[n] for n in nodes.names_in(tt) if n in inverse]

    def loop_iter(self, it, act, target, pairs, pre):
        """The primal iterable, collecting (tangent iterable, tangent target) pairs for active parts."""
        if act is False or not any(_flat(act)):
            return nodes.clone(it)
        if isinstance(act, tuple) and isinstance(it, gast.Call) and isinstance(target, (gast.Tuple, gast.List)):
            obj = self.info.resolve(it.func, self.visible_locals)
            if obj is enumerate and len(target.elts) == 2:
                inner = self.loop_iter(it.args[0], act[1], target.elts[1], pairs, pre)
                return nodes.call(
                    nodes.clone(it.func),
                    [inner] + [nodes.clone(a) for a in it.args[1:]],
                    [(k.arg, nodes.clone(k.value)) for k in it.keywords],
                )
            if obj is zip and len(target.elts) == len(it.args):
                args = [self.loop_iter(a, sub, tg, pairs, pre) for a, sub, tg in zip(it.args, act, target.elts)]
                return nodes.call(nodes.clone(it.func), args)
            if obj is MISSING and isinstance(it.func, gast.Attribute) and it.func.attr == "items":
                d = self.atomize(it.func.value, pre)
                td = self.t(d)
                if td is not None:
                    pairs.append((nodes.call(nodes.attr(td, "values")), self.tangent_target(target.elts[1])))
                return nodes.call(nodes.attr(nodes.clone(d), "items"))
        if (
            isinstance(it, gast.Call)
            and isinstance(it.func, gast.Attribute)
            and it.func.attr == "values"
            and not it.args
            and self.info.resolve(it.func, self.visible_locals) is MISSING
        ):
            d = self.atomize(it.func.value, pre)
            td = self.t(d)
            if td is not None:
                pairs.append((nodes.call(nodes.attr(td, "values")), self.tangent_target(target)))
            return nodes.call(nodes.attr(nodes.clone(d), "values"))
        atom = self.atomize(it, pre)
        tan = self.t(atom)
        if tan is not None:
            pairs.append((self.rt_call("biter", tan) if self.vector else tan, self.tangent_target(target)))
        return nodes.clone(atom)

    def plan_nested(self):
        """Before the body is walked, which nested defs get a JVP and for which parameters: from every call
        in this function, including calls from one nested def to another (defined before or after it),
        whose arguments are taken as differentiated (their activity is the caller's, not known here)."""
        module = gast.Module(body=self.fnode.body, type_ignores=[])
        defs = [d for d in nodes.nodes_of(module, gast.FunctionDef)]
        inner_calls = set()  # (callee name, call node id) of calls made inside some nested def
        for d in defs:
            for c in nodes.nodes_of(gast.Module(body=d.body, type_ignores=[]), gast.Call):
                if isinstance(c.func, gast.Name):
                    inner_calls.add(id(c))
        # a call inside a comprehension passes the comprehension's own variables, whose activity is
        # not known here: any argument may carry a tangent (``sum(g(v) for v in xs)``)
        for comp in nodes.nodes_of(module, (gast.ListComp, gast.SetComp, gast.DictComp, gast.GeneratorExp)):
            for c in nodes.nodes_of(comp, gast.Call):
                if isinstance(c.func, gast.Name):
                    inner_calls.add(id(c))
        by_name = {}
        for d in defs:
            if d.name in self.locals:  # a def of this function (not of a deeper nested one)
                by_name.setdefault(d.name, []).append(d)
        for name, ds in by_name.items():
            params = []
            for d in ds:
                params += [p.id for p in d.args.posonlyargs + d.args.args + d.args.kwonlyargs if p.id not in params]
            closure_active = bool(self.nested_free.get(name, set()) & self.act.active)
            active_params = set()
            for c in nodes.nodes_of(module, gast.Call):
                if not (isinstance(c.func, gast.Name) and c.func.id == name):
                    continue
                if id(c) in inner_calls:  # called from a nested def: any argument may carry a tangent
                    active_params |= set(params)
                    continue
                for p, a in zip(params, c.args):
                    if self.act.expr(a):
                        active_params.add(p)
                for k in c.keywords:
                    if k.arg in params and self.act.expr(k.value):
                        active_params.add(k.arg)
            if name in self.escaping:  # passed on as a value: called from anywhere, with any argument active
                active_params |= set(params)
            if not active_params and not closure_active:
                self.nested[name] = None
                continue
            ordered = [p for p in params if p in active_params]
            spec = Spec(self.info.func, self.info, ordered, self.namer.fresh(name + "_jvp"))
            # named now: a sibling defined earlier may call it before its own def is transformed
            spec.tangent_params = {p: self.namer.tangent(p) for p in ordered}
            self.nested[name] = spec

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
    def atomize(self, e, out, hoist_inactive=False):
        """A Name or Constant holding ``e``'s value (a new temporary when ``e`` is an active expression)."""
        if isinstance(e, (gast.Name, gast.Constant)):
            return e
        if not self.act.expr(e) and not hoist_inactive and _is_cheap(e):
            return e
        if self.act.expr(e):
            simple = self.simplify(e, out)
            tmp = self.namer.temp()
            self.act.active.add(tmp)
            self.assign_name(tmp, simple, out)
        else:
            tmp = self.namer.temp()
            out.append(nodes.assign(tmp, nodes.clone(e)))
        return nodes.name(tmp)

    def simple_index(self, idx, out):
        if isinstance(idx, gast.Slice):
            return gast.Slice(
                lower=idx.lower and self.atomize(idx.lower, out),
                upper=idx.upper and self.atomize(idx.upper, out),
                step=idx.step and self.atomize(idx.step, out),
            )
        if isinstance(idx, gast.Tuple):
            return nodes.tuple_([self.simple_index(e, out) for e in idx.elts])
        return self.atomize(idx, out)

    def simplify(self, e, out):
        """``e`` as one operation over atoms (temporaries emitted into ``out`` for its operands)."""
        res = self._simplify(e, out)
        if res is not e and getattr(e, "lineno", None) is not None and getattr(res, "lineno", None) is None:
            res.lineno, res.col_offset = e.lineno, e.col_offset
        return res

    def _simplify(self, e, out):
        if not self.act.expr(e):
            return e
        kind = type(e)
        if kind in (gast.Name, gast.Constant):
            return e
        if kind is gast.BinOp:
            return nodes.binop(self.atomize(e.left, out), e.op, self.atomize(e.right, out))
        if kind is gast.UnaryOp:
            return nodes.unary(e.op, self.atomize(e.operand, out))
        if kind is gast.Attribute:
            return nodes.attr(self.atomize(e.value, out), e.attr)
        if kind is gast.Subscript:
            return nodes.subscript(self.atomize(e.value, out), self.simple_index(e.slice, out))
        if listops.has_star(e):  # [*xs, a], {**d, k: v}
            return listops.simplify_display(self, e, out)
        if kind in (gast.Tuple, gast.List):
            elts = [self.atomize(x, out) for x in e.elts]
            return nodes.tuple_(elts) if kind is gast.Tuple else nodes.list_(elts)
        if kind is gast.Dict:
            return nodes.dict_([self.atomize(k, out) for k in e.keys], [self.atomize(v, out) for v in e.values])
        if kind is gast.Call:
            display = listops.desugar_call(self, e)  # dict(k=v): {"k": v}
            return self._simplify(display, out) if display is not None else self.simplify_call(e, out)
        if kind is gast.IfExp:
            tmp = self.namer.temp()
            self.act.active.add(tmp)
            self.stmt(nodes.if_(e.test, [nodes.assign(tmp, e.body)], [nodes.assign(tmp, e.orelse)]), out)
            return nodes.name(tmp)
        if kind is gast.BoolOp:
            tmp = self.namer.temp()
            self.act.active.add(tmp)
            self.s_Assign(nodes.assign(tmp, e.values[0]), out)
            for v in e.values[1:]:
                test = nodes.name(tmp) if isinstance(e.op, gast.And) else nodes.unary(gast.Not(), nodes.name(tmp))
                self.stmt(nodes.if_(test, [nodes.assign(tmp, v)]), out)
            return nodes.name(tmp)
        if kind in (gast.ListComp, gast.GeneratorExp, gast.DictComp):
            return self.lower_comprehension(e, out)
        raise self.error(
            e, f"cannot differentiate a {kind.__name__} expression", hint="rewrite it with plain assignments"
        )

    def simplify_call(self, e, out):
        if any(k.arg == "out" for k in e.keywords):  # the primal writes in place, the tangent too
            return outarg.lower_out_call(self, e, out)
        f = e.func
        if isinstance(f, gast.Attribute) and self.info.resolve(f, self.visible_locals) is MISSING:
            f = nodes.attr(self.atomize(f.value, out), f.attr)
        args = []
        for a in e.args:
            if isinstance(a, gast.Starred):
                if self.act.expr(a):  # forwarded: the call is specialised when it runs (dynamic_calls.py)
                    a = dynamic_calls.starred(a, self.atomize(a.value, out))
                args.append(a)
            else:
                args.append(self.atomize(a, out))
        kws = []
        for k in e.keywords:
            forwarded = k.arg is None and self.act.expr(k.value)  # '**kw': specialised when the call runs
            kws.append((k.arg, self.atomize(k.value, out) if k.arg is not None or forwarded else k.value))
        return nodes.call(f, args, kws)

    def lower_comprehension(self, e, out):
        tmp = self.namer.temp()
        self.act.active.add(tmp)
        is_dict = isinstance(e, gast.DictComp)
        self.s_Assign(nodes.assign(tmp, nodes.dict_([], []) if is_dict else nodes.list_([])), out)
        self.force_live.add(tmp)
        rename = {}
        gens = []
        for g in e.generators:
            if getattr(g, "is_async", 0):
                raise self.error(e, "async comprehensions are not supported")
            new = {n: self.namer.fresh(n) for n in nodes.names_in(g.target, gast.Store)}
            it = nodes.substitute(g.iter, {k: nodes.name(v) for k, v in rename.items()})
            rename.update(new)
            target = _rename_store(g.target, new)
            ifs = [nodes.substitute(c, {k: nodes.name(v) for k, v in rename.items()}) for c in g.ifs]
            gens.append((target, it, ifs))
        sub = {k: nodes.name(v) for k, v in rename.items()}
        if is_dict:
            inner = [
                nodes.assign(
                    nodes.subscript(nodes.name(tmp), nodes.substitute(e.key, sub), gast.Store()),
                    nodes.substitute(e.value, sub),
                )
            ]
        else:
            inner = [nodes.expr_stmt(nodes.call(nodes.attr(nodes.name(tmp), "append"), [nodes.substitute(e.elt, sub)]))]
        for target, it, ifs in reversed(gens):
            for c in reversed(ifs):
                inner = [nodes.if_(c, inner)]
            inner = [nodes.for_(target, it, inner)]
        # the new loop variables are active where their iterables are
        for target, it, _ in gens:
            self.act._mark_structured(target, self.act.iter_target_activity(it))
        self.act.run(inner, whole_function=False)
        self.block(inner, out)
        return nodes.name(tmp)

    # ------------------------------------------------------------------ one simple statement
    def assign_name(self, target, sexpr, out):
        """Emit ``target = sexpr`` (sexpr in simple form) with its tangent."""
        if not self.act.expr(sexpr):
            out.append(nodes.assign(target, sexpr))
            self.set_zero(target, out, sexpr)
            return
        if self.lr and self.lr_assign(target, sexpr, out):
            return
        maybe = sorted({n for n in nodes.names_in(sexpr, gast.Load) if self.state.get(n) == MAYBE})
        if isinstance(sexpr, gast.Call) and listops.emit_method(self, target, sexpr, out):  # xs.pop(i)
            return
        if isinstance(sexpr, gast.Call) and records.method_call(self, target, sexpr, out):  # state.step(dt)
            return
        if isinstance(sexpr, gast.Call):
            callee = None if records.is_record_call(self, sexpr) else self.user_callee(sexpr)
            if callee is not None:
                self.settle(maybe, out)
                self.emit_user_call(target, sexpr, callee, out)
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
            if self.vector:  # a broadcast-aligned batched tangent gets the primal's full shape to be written
                tan = self.rt_call("fresh_full", tan, nodes.name(ANS))
            else:
                tan = self.rt_call("fresh", tan)
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

    def tangent_expr(self, e):
        """The tangent of a simple expression (``ANS`` stands for its value), or None if zero."""
        kind = type(e)
        if kind is gast.Name:
            return self.t(e)
        if kind is gast.Constant:
            return None
        if kind is gast.BinOp:
            return self.apply(registry.lookup(BINOPS[type(e.op)]), {"x": e.left, "y": e.right}, e)
        if kind is gast.UnaryOp:
            return self.apply(registry.lookup(UNARYOPS[type(e.op)]), {"x": e.operand}, e)
        if kind is gast.Subscript:
            tv = self.t(e.value)
            if tv is None and registry.is_index_trick(self.info.resolve(e.value, self.visible_locals)):
                return self.index_trick_tangent(e)
            if tv is not None and self.vector:
                return self.rt_call("bget", tv, self.index_node(e.slice))
            return None if tv is None else nodes.subscript(tv, nodes.clone(e.slice))
        if kind is gast.Attribute:
            rule = registry.lookup_attribute(e.attr)
            if rule is None and records.may_be_field(e.attr):  # a dataclass's or namedtuple's field
                tv = self.t(e.value)
                return None if tv is None else records.field_tangent(self, e, tv)
            if rule is None:
                raise self.error(
                    e,
                    f"no JVP rule for the attribute '.{e.attr}' of a differentiated value",
                    MissingRuleError,
                    hint="use a function with a rule, e.g. np.transpose(x) for x.T",
                )
            if rule.kind == "zero":
                return None
            tv = self.t(e.value)
            if tv is not None and self.vector and e.attr == "T":
                return self.rt_call("bT", tv)
            if tv is not None and self.vector and e.attr == "flat":  # a (K, size) view: rt.stats.bflat
                return nodes.call(
                    nodes.attr(nodes.attr(nodes.name(self.unit.rt), "stats"), "bflat"), [nodes.name(self.unit.xp), tv]
                )
            return None if tv is None else nodes.attr(tv, e.attr)
        if listops.has_star(e):
            return listops.display_tangent(self, e)
        if kind in (gast.Tuple, gast.List):
            tans = [self.t(x) for x in e.elts]
            if all(t is None for t in tans):
                return None
            elts = [t if t is not None else self.zeros_of(x) for t, x in zip(tans, e.elts)]
            return nodes.tuple_(elts) if kind is gast.Tuple else nodes.list_(elts)
        if kind is gast.Dict:
            tans = [self.t(v) for v in e.values]
            if all(t is None for t in tans):
                return None
            return nodes.dict_(
                [nodes.clone(k) for k in e.keys],
                [t if t is not None else self.zeros_of(v) for t, v in zip(tans, e.values)],
            )
        if kind is gast.Call:
            return self.call_tangent(e)
        raise self.error(e, f"cannot differentiate a {kind.__name__} expression")

    def index_trick_tangent(self, e):
        """``np.r_[...]`` / ``np.c_[...]`` are linear in their pieces: the same concatenation of the
        pieces' tangents, zeros for constant pieces and ranges (``0:3``), directives (``'0,2'``) kept."""
        elts = list(e.slice.elts) if isinstance(e.slice, gast.Tuple) else [e.slice]
        directive = [isinstance(x, gast.Constant) and isinstance(x.value, str) for x in elts]
        tans = [None if d or isinstance(x, gast.Slice) else self.t(x) for x, d in zip(elts, directive)]
        active = [i for i, t in enumerate(tans) if t is not None]
        if not active:
            return None

        def build(tangent_of):
            parts = []
            for i, x in enumerate(elts):
                if directive[i]:
                    parts.append(nodes.clone(x))
                elif isinstance(x, gast.Slice):  # a range: constant
                    parts.append(self.rt_call("zeros_like", nodes.subscript(nodes.clone(e.value), nodes.clone(x))))
                elif tans[i] is None:
                    parts.append(self.rt_call("zeros_like", nodes.clone(x)))
                else:
                    parts.append(tangent_of(i))
            return nodes.subscript(nodes.clone(e.value), nodes.tuple_(parts) if len(parts) > 1 else parts[0])

        if not self.vector:
            return build(lambda i: tans[i])
        pack = nodes.tuple_([tans[i] for i in active])
        return self.per_direction(
            lambda tk: build(lambda i: nodes.subscript(nodes.clone(tk), nodes.const(active.index(i)))), pack
        )

    # ------------------------------------------------------------------ calls
    def user_callee(self, call):
        f = call.func
        if dynamic_calls.forwards_active(self, call):  # f(*args) / f(**kw) with differentiated values
            return ("dynamic", None)
        if isinstance(f, gast.Name) and f.id in self.nested_scope():
            self._check_not_rebound(f)
            return ("nested", self.nested_scope()[f.id])
        obj = self.info.resolve(f, self.visible_locals)
        python_version = dynamic_calls.builtin_replacement(obj, call)  # sorted(key=), reduce...: pystd.py
        if python_version is not None:
            return ("user", python_version)
        if obj is not MISSING and registry.lookup(obj) is None:
            generated = getattr(obj, "generated_function", None)
            if generated is not None:  # a forward_diff object: differentiate its generated code
                obj = generated(self.unit.backend.name)
            if is_user_function(obj):
                return ("user", obj)
            if library_source(obj) is not None:  # NumPy/SciPy Python code without a rule: through its source
                return ("user", library_source(obj))
            if callables.is_indirect(obj):  # a bound method, partial or callable object: specialised when called
                return ("dynamic", None)
        if obj is MISSING and self.is_function_value(f):
            return ("dynamic", None)
        return None

    def _check_not_rebound(self, f):
        """A nested def called by name is called through its JVP: refused when the name is also bound to
        another value on some path (``g = lambda z: z * x`` in one branch, ``g = plain`` in the other)."""
        scope = self
        while scope is not None and f.id not in scope.nested:
            scope = scope.parent
        if scope is None:
            return
        for n in gast.walk(gast.Module(body=scope.fnode.body, type_ignores=[])):
            if isinstance(n, gast.Name) and n.id == f.id and isinstance(n.ctx, (gast.Store, gast.Del)):
                raise self.error(
                    f,
                    f"the nested function {f.id!r} called here is also assigned another value in the function: "
                    "which one is called is not followed",
                    hint="give each function its own name and choose between the calls with an if",
                )

    def is_function_value(self, f):
        """Whether the callee ``f`` is a value the compiler cannot know (a parameter, ``self.forward``,
        ``layers[i]``) rather than a method of a differentiated value or one with a rule."""
        if isinstance(f, gast.Attribute):
            return not self.act.expr(f.value) and registry.lookup_method(f.attr) is None
        return isinstance(f, (gast.Name, gast.Subscript, gast.Call))

    def nested_scope(self):
        scope = dict(self.parent.nested_scope()) if self.parent else {}
        scope.update(self.nested)
        return scope

    def emit_user_call(self, target, call, callee, out):
        kind, obj = callee
        if kind == "dynamic":
            return dynamic_calls.emit(self, target, call, out)
        if kind == "nested":
            spec = obj
            if spec is None:
                out.append(nodes.assign(target, call))
                self.set_zero(target, out)
                return
            binding = self._bind_nested(spec, call)
            dropped = [p for p, a in binding.items() if p not in spec.active_params and self.t(a) is not None]
            if dropped:
                raise self.error(
                    call,
                    f"internal error: nested function {nodes.dotted_name(call.func)!r} was "
                    f"specialised without a tangent for {dropped}; please report this",
                )
        else:
            try:
                sig = code_signature(obj)  # the code transformed (a wraps wrapper's own, not __wrapped__'s)
                bound = sig.bind(
                    *[_Placeholder(i, a) for i, a in enumerate(call.args)],
                    **{k.arg: _Placeholder(k.arg, k.value) for k in call.keywords if k.arg},
                )
            except TypeError as exc:
                raise self.error(call, f"call to {obj.__qualname__}: {exc}") from None
            binding = {}
            for pname, val in bound.arguments.items():
                if isinstance(val, _Placeholder):
                    binding[pname] = val.node
                elif isinstance(val, (tuple, dict)):
                    for v in val.values() if isinstance(val, dict) else val:
                        if isinstance(getattr(v, "node", None), gast.Name):
                            self.densify(v.node.id, out)
            for pname, val in bound.arguments.items():
                if isinstance(val, (tuple, dict)) and any(
                    self.t(getattr(v, "node", None)) is not None
                    for v in (val.values() if isinstance(val, dict) else val)
                ):  # *args / **kwargs of the callee receive differentiated values: a tuple / dict of tangents
                    binding[pname] = dynamic_calls.pack(self, val, out)
            structs = self.lr_call_structs(binding)
            params = [p for p in sig.parameters if p in binding and (p in structs or self.t(binding[p]) is not None)]
            if not params:
                out.append(nodes.assign(target, call))
                self.set_zero(target, out)
                return
            guarded = self.guard_depth or self.spec.guarded
            spec = self.unit.request(obj, params, structs, guarded=guarded)
            if spec.called_from is None:  # where a refusal inside library code is reported
                spec.called_from = (self.spec, self.info, call)
        kws = [
            (
                spec.tangent_params[p],
                (
                    self._d(binding[p])
                    if self.is_factored(getattr(binding[p], "id", None))
                    else self.t_or_zeros(binding[p])
                )
                if p in binding
                else nodes.const(0.0),
            )
            for p in spec.active_params
        ]
        jcall = nodes.call(
            nodes.name(spec.name),
            [nodes.clone(a) for a in call.args],
            [(k.arg, nodes.clone(k.value)) for k in call.keywords] + kws,
        )
        out.append(
            nodes.assign(
                nodes.tuple_([nodes.store(target), nodes.store(self.tangent_name(target))], gast.Store()), jcall
            )
        )
        self.state[target] = LIVE

    def _bind_nested(self, spec, call):
        fdef = None
        for s in gast.walk(gast.Module(body=self.fnode.body, type_ignores=[])):
            if isinstance(s, gast.FunctionDef) and s.name in self.nested and self.nested[s.name] is spec:
                fdef = s
        scope = self
        while fdef is None and scope.parent is not None:
            scope = scope.parent
            for s in gast.walk(gast.Module(body=scope.fnode.body, type_ignores=[])):
                if isinstance(s, gast.FunctionDef) and scope.nested.get(s.name) is spec:
                    fdef = s
        params = [p.id for p in fdef.args.posonlyargs + fdef.args.args]
        named = set(params) | {p.id for p in fdef.args.kwonlyargs}
        # a differentiated value that lands in the nested def's *args or **kwargs is not followed
        extra = [k.value for k in call.keywords if k.arg and k.arg not in named] + list(call.args[len(params) :])
        if any(self.t(a) is not None for a in extra):
            raise self.error(
                call,
                f"differentiated values passed into '*args' or '**kwargs' of the nested function "
                f"{fdef.name!r} are not supported",
                hint="name the parameter in the nested def, or define the function at module level",
            )
        binding = dict(zip(params, call.args))
        binding.update({k.arg: k.value for k in call.keywords if k.arg})
        return binding

    def call_tangent(self, call):
        record = records.call_tangent(self, call)  # State(pos=x), dataclasses.replace(s, ...)
        if record is not False:
            return record
        f = call.func
        obj = self.info.resolve(f, self.visible_locals)
        if obj is not MISSING:
            rule = registry.lookup(obj)
            if rule is None:
                name = getattr(obj, "__qualname__", None) or getattr(obj, "__name__", None) or repr(obj)
                mod = getattr(obj, "__module__", None)
                full = f"{mod}.{name}" if mod and mod != "builtins" else name
                written = nodes.dotted_name(f) or full
                also = f" ({full})" if full != written and "." in full else ""
                raise self.error(
                    call,
                    f"'{written}'{also} is called with a differentiated argument but has no "
                    f"JVP rule and no Python source that tangent_fwd can transform",
                    MissingRuleError,
                    hint=REGISTER_HINT.format(name=written),
                )
            return self.apply_rule(rule, call, receiver=None)
        if isinstance(f, gast.Attribute):
            rule = registry.lookup_method(f.attr)
            if rule is None:
                raise self.error(
                    call,
                    f"no JVP rule for the method '.{f.attr}()' of a differentiated value",
                    MissingRuleError,
                    hint=f"call the equivalent numpy function, or register one with "
                    f"tangent_fwd.defmethod('{f.attr}', 'self, ...', 'dself * ...')",
                )
            return self.apply_rule(rule, call, receiver=f.value)
        raise self.error(
            call,
            f"cannot resolve the function called here ('{nodes.to_source(f).strip()}')",
            MissingRuleError,
            hint="call a module-level function or a nested def by its name",
        )

    def bind(self, rule, call, receiver):
        """Map the rule's parameter names to (node, location) at this call site."""
        args = list(call.args)
        locs = [("arg", i) for i in range(len(args))]
        if receiver is not None:
            args.insert(0, receiver)
            locs.insert(0, ("recv", 0))
        bound = {}
        positional = [p for p in rule.params if p.kind == "pos"]
        var = next((p for p in rule.params if p.kind == "var"), None)
        i = 0
        for p in positional:
            if i < len(args):
                bound[p.name] = (args[i], locs[i])
                i += 1
        if i < len(args):
            if var is None:
                raise self.error(call, f"{rule.name} takes at most {len(positional)} positional arguments")
            bound[var.name] = [(args[j], locs[j]) for j in range(i, len(args))]
        elif var is not None:
            bound[var.name] = []
        names = {p.name for p in rule.params}
        for j, k in enumerate(call.keywords):
            if k.arg is None:
                continue
            if k.arg not in names:
                if any(p.kind == "var" and p.name == "kwargs" for p in rule.params) or "kwargs" in names:
                    continue
                raise self.error(call, f"{rule.name} got an unexpected keyword argument {k.arg!r}")
            bound[k.arg] = (k.value, ("kw", j))
        return bound

    def unit_sources(self):
        """Whether the root is compiled for tangents injected at markers only (perturbation.py)."""
        return self.spec.is_root and getattr(self.unit, "tangent_sources", False)

    def apply_rule(self, rule, call, receiver):
        if rule.kind == "zero":
            return None
        if getattr(rule, "expand", None) is not None:  # a marker that builds its own tangent (perturbation.py)
            return rule.expand(self, call, receiver)
        if rule.writes:  # registry.defwriter: handled as a statement by writer_call
            raise self.error(
                call,
                f"{rule.name} writes into its argument in place: its result (None) is used here",
                hint="call it as a statement of its own",
            )
        bound = self.bind(rule, call, receiver)
        self.check_options(rule, bound, call)
        if rule.kind == "linear" and self.vector and rule.op in _MATMUL:
            (a, _), (b, _) = bound[rule.params[0].name], bound[rule.params[1].name]
            contribs = []
            if self.t(a) is not None:
                contribs.append(
                    self.rt_call("bmatmul_left", nodes.name(self.unit.xp), self.t(a), nodes.clone(b), nodes.clone(a))
                )
            if self.t(b) is not None:
                contribs.append(
                    self.rt_call("bmatmul_right", nodes.name(self.unit.xp), nodes.clone(a), self.t(b), nodes.clone(b))
                )
            return _sum(contribs)
        if (
            rule.kind == "linear"
            and self.vector
            and receiver is not None
            and rule.name in (".reshape()", ".ravel()")
            and self.t(receiver) is not None
            and not any(k.arg not in ("order",) for k in call.keywords)
        ):
            helper = "breshape" if rule.name == ".reshape()" else "bravel"
            return (
                self.rt_call(helper, self.t(receiver), *[nodes.clone(a) for a in call.args])
                if not call.keywords
                else nodes.call(
                    nodes.attr(nodes.name(self.unit.rt), helper),
                    [self.t(receiver)] + [nodes.clone(a) for a in call.args],
                    [(k.arg, nodes.clone(k.value)) for k in call.keywords],
                )
            )
        if (
            rule.kind == "linear"
            and self.vector
            and rule.op in _VIEW_FUNCS
            and len(call.args) >= 1
            and self.t(call.args[0]) is not None
            and not call.keywords
        ):
            kind = _VIEW_FUNCS[rule.op]
            tan = self.t(call.args[0])
            if kind == "asarray" and len(call.args) == 1:
                return self.rt_call("basarray", nodes.name(self.unit.xp), tan)
            if kind == "reshape" and len(call.args) == 2:
                return self.rt_call("breshape", tan, nodes.clone(call.args[1]))
            if kind == "ravel" and len(call.args) == 1:
                return self.rt_call("bravel", tan)
        if self.vector and rule.kind in ("linear", "jvp"):
            view = self.vector_view(rule, call, receiver)
            if view is not None:
                return view
        if rule.kind == "linear" and rule.offset:
            call = self.without_offsets(rule, call, bound)
        if rule.kind == "linear":
            contribs = []
            for pname in rule.linear_in:
                entry = bound.get(pname)
                if entry is None:
                    continue
                for node, loc in entry if isinstance(entry, list) else [entry]:
                    tan = self.t(node)
                    if tan is not None:
                        if self.vector and rule.op in (list, tuple):  # the same leaves (or rows), not copies
                            contribs.append(_replace_arg(call, loc, self.rt_call("biter", tan)))
                        elif self.vector and rule.name not in _BATCH_TRANSPARENT:
                            contribs.append(self.per_direction(lambda tk: _replace_arg(call, loc, tk), tan))
                        else:
                            contribs.append(_replace_arg(call, loc, tan))
            return _sum(contribs)
        mapping = {}
        for p in rule.params:
            entry = bound.get(p.name)
            if isinstance(entry, list):
                mapping[p.name] = nodes.tuple_([n for n, _ in entry])
            elif entry is not None:
                mapping[p.name] = entry[0]
            else:
                mapping[p.name] = nodes.const(p.default)
        return self._contributions(rule, bound, mapping, call)

    def without_offsets(self, rule, call, bound):
        """The call with the arguments that only add a constant (``initial=``) left out: its tangent."""
        for pname in rule.offset:
            entry = bound.get(pname)
            if entry is not None and entry[1][0] != "kw":
                raise self.error(
                    call,
                    f"pass {pname!r} of {rule.name} by keyword",
                    UnsupportedSyntaxError,
                    hint=f"write {pname}=... so that the tangent can leave it out",
                )
        drop = {entry[1][1] for p in rule.offset if (entry := bound.get(p)) is not None}
        if not drop:
            return call
        new = gast.Call(
            func=call.func, args=call.args, keywords=[k for i, k in enumerate(call.keywords) if i not in drop]
        )
        bound.update({p: None for p in rule.offset})
        return new

    def check_options(self, rule, bound, call):
        """A differentiated value passed to a parameter the rule has no partial for (an option such as
        ``ord``, ``axis`` or ``decimals``) would lose its tangent: an error, never a silent zero."""
        if rule.joint is not None:
            return
        differentiable = set(rule.differentiable) | rule.constant
        for pname, entry in bound.items():
            if entry is None or pname in differentiable:
                continue
            for node, _ in entry if isinstance(entry, list) else [entry]:
                if isinstance(node, gast.AST) and self.act.expr(node):
                    raise self.error(
                        call,
                        f"a differentiated value is passed to {pname!r} of {rule.name}, which its JVP rule "
                        "treats as a constant option: its derivative would be dropped",
                        MissingRuleError,
                        hint=f"pass a value that is not differentiated, or register a rule with a partial for "
                        f"{pname!r} (tangent_fwd.defjvp)",
                    )

    def apply(self, rule, operands, e):
        mapping = dict(operands)
        bound = {k: (v, None) for k, v in operands.items()}
        return self._contributions(rule, bound, mapping, e)

    def _contributions(self, rule, bound, mapping, call):
        if rule.kind == "zero":
            return None
        base = dict(mapping)
        base.update(ANS_MAP)
        base.update(
            {
                "np": nodes.name(self.unit.xp),
                "math": nodes.name(self.unit.module("math")),
                "rt": nodes.name(self.unit.rt),
            }
        )
        if rule.joint is not None:
            return self._joint_contribution(rule, bound, base)
        contribs = []
        for pname, partial in rule.partials.items():
            entry = bound.get(pname)
            if entry is None:
                continue
            if isinstance(entry, list):
                tans = [self.t(n) for n, _ in entry]
                if all(t is None for t in tans):
                    continue
                tan = nodes.tuple_([t if t is not None else self.zeros_of(n) for t, (n, _) in zip(tans, entry)])
            else:
                tan = self.t(entry[0])
                if tan is None:
                    continue
            if self.vector:
                contribs.append(self.vector_contribution(rule, pname, partial, tan, base, call, bound))
                continue
            if callable(partial) and not isinstance(partial, gast.AST):
                fname = self.unit.const(partial, f"{pname}_partial")
                cargs = [tan, nodes.name(ANS)] + [nodes.clone(a) for a in getattr(call, "args", [])]
                kws = [(k.arg, nodes.clone(k.value)) for k in getattr(call, "keywords", [])]
                if isinstance(call, gast.BinOp):
                    cargs = [tan, nodes.name(ANS), nodes.clone(call.left), nodes.clone(call.right)]
                contribs.append(nodes.call(nodes.name(fname), cargs, kws))
                continue
            m = dict(base)
            m["d" + pname] = tan
            contribs.append(nodes.substitute(partial, m))
        if (
            len(contribs) == 1
            and _is_elementwise(rule)
            and _bare(contribs[0])
            and any(
                not isinstance(e[0], gast.Constant)
                for n, e in bound.items()
                if e is not None and not isinstance(e, list) and self.t(e[0]) is None
            )
        ):
            # only one operand carries a tangent and the partial is that tangent itself: an inactive
            # operand may broadcast the result to a larger shape than the tangent has
            contribs[0] = self.rt_call("expand", contribs[0], nodes.name(ANS))
        return _sum(contribs)

    def _joint_contribution(self, rule, bound, base):
        """A rule with one template in all the tangents (registry._defjoint): inactive ones are zeros."""
        entries = {p: bound.get(p) for p in rule.partials}
        tans = {p: self.t(e[0]) if e is not None and not isinstance(e, list) else None for p, e in entries.items()}
        if all(t is None for t in tans.values()):
            return None
        m = dict(base)
        for p, e in entries.items():
            zero = self.zeros_of(e[0]) if e is not None and not isinstance(e, list) else nodes.const(0.0)
            m["d" + p] = tans[p] if tans[p] is not None else zero
        return nodes.substitute(rule.joint, m)

    # ------------------------------------------------------------------ vector mode
    def vector_view(self, rule, call, receiver):
        """Vector mode, a function or method that may return a view of its first argument (transpose,
        expand_dims, split, astype(copy=False)...): the tangent is one batched view of the batched
        tangent (rt.bview), so writes through it reach the base's tangent as the primal's reach the base."""
        if receiver is not None:
            name = rule.name[1:-2] if rule.name.endswith("()") else None
            if not rule.view or rule.kind != "linear" or rule.linear_in != ("self",):
                return None
            tan = self.t(receiver)
            if tan is None:
                return None
            func = nodes.const(name)
        else:
            may_view = effects.is_view_function(rule.op) or (
                rule.op is _np.array
                and any(
                    k.arg == "copy" and not (isinstance(k.value, gast.Constant) and k.value.value)
                    for k in call.keywords
                )
            )
            if not (may_view and call.args):
                return None
            if rule.kind == "linear" and rule.linear_in[:1] != (rule.params[0].name,):
                return None
            if rule.kind == "jvp" and (len(call.args) != 1 or list(rule.partials) != [rule.params[0].name]):
                return None
            if any(isinstance(a, gast.Starred) for a in call.args) or any(k.arg is None for k in call.keywords):
                return None
            tan = self.t(call.args[0])
            if tan is None or any(self.t(a) is not None for a in call.args[1:]):
                return None
            func = nodes.clone(call.func)
            call = gast.Call(func=call.func, args=call.args[1:], keywords=call.keywords)
        return nodes.call(
            nodes.attr(nodes.name(self.unit.rt), "bview"),
            [nodes.name(self.unit.xp), func, tan]
            + [nodes.clone(a) for a in (call.args if receiver is None else call.args)],
            [(k.arg, nodes.clone(k.value)) for k in call.keywords],
        )

    def per_direction(self, build, tan):
        """``build(tangent_k)`` for each of the K directions, stacked: the form every rule has."""
        kvar = self.namer.fresh("k")
        elt = build(self.rt_call("bslice", tan, nodes.name(kvar)))
        loop = nodes.listcomp(elt, nodes.store(kvar), nodes.call(nodes.name(self.unit.builtin("range")), [self.k()]))
        return self.rt_call("bstack", nodes.name(self.unit.xp), loop)

    def vector_contribution(self, rule, pname, partial, tan, base, call, bound):
        if rule.op in _MATMUL:
            other = [n for n in rule.params if n.name != pname][0].name
            x, y = (base[pname], base[other]) if pname == rule.params[0].name else (base[other], base[pname])
            if pname == rule.params[0].name:
                return self.rt_call("bmatmul_left", nodes.name(self.unit.xp), tan, nodes.clone(y), nodes.clone(x))
            return self.rt_call("bmatmul_right", nodes.name(self.unit.xp), nodes.clone(x), tan, nodes.clone(y))
        if callable(partial) and not isinstance(partial, gast.AST):
            fname = self.unit.const(partial, f"{pname}_partial")
            cargs = [nodes.name(ANS)] + [nodes.clone(a) for a in getattr(call, "args", [])]
            if isinstance(call, gast.BinOp):
                cargs = [nodes.name(ANS), nodes.clone(call.left), nodes.clone(call.right)]
            kws = [(k.arg, nodes.clone(k.value)) for k in getattr(call, "keywords", [])]
            return self.per_direction(lambda tk: nodes.call(nodes.name(fname), [tk] + cargs, kws), tan)
        m = dict(base)
        if _is_elementwise(rule):
            arrays = [
                n
                for n, e in bound.items()
                if e is not None and not isinstance(e, list) and not isinstance(e[0], gast.Constant)
            ]
            if len(arrays) > 1:
                tan = self.rt_call("balign", tan, nodes.clone(base[pname]), nodes.name(ANS))
            m["d" + pname] = tan
            return nodes.substitute(partial, m)

        def build(tk):
            mk = dict(m)
            mk["d" + pname] = tk
            return nodes.substitute(partial, mk)

        return self.per_direction(build, tan)


ANS_MAP = {"ans": nodes.name(ANS)}


_MATMUL = (_op.matmul, _np.matmul)
_VIEW_FUNCS = {_np.asarray: "asarray", _np.reshape: "reshape", _np.ravel: "ravel"}
# Methods whose rule applies to a batched tangent as it is (containers hold batched leaves).
_BATCH_TRANSPARENT = frozenset({".clip()", ".get()", ".copy()", ".astype()"})
_ELEMENTWISE = (
    _op.add,
    _op.sub,
    _op.mul,
    _op.truediv,
    _op.pow,
    _op.neg,
    _op.pos,
    _op.mod,
    _builtins.abs,
    _builtins.pow,
    _np.where,
    _np.clip,
    _builtins.dict,  # not elementwise, but batch-transparent: rt.dict_tangent keeps the (batched) leaves shared
)


def _is_elementwise(rule):
    """Rules whose templates broadcast over a leading direction axis unchanged."""
    op = rule.op
    if op is None:
        return rule.name in _BATCH_TRANSPARENT
    if op is math.prod:  # over the items of a sequence (math.prod(x[:3])), not over the directions
        return False
    return (
        isinstance(op, _np.ufunc)
        or op in _ELEMENTWISE
        or getattr(op, "__module__", None) == "math"
        or getattr(op, "__self__", None) is math
    )


class _Placeholder:
    def __init__(self, key, node):
        self.key, self.node = key, node


def _replace_arg(call, loc, tan):
    new = nodes.clone(call)
    kind, i = loc
    if kind == "recv":
        new.func.value = tan
    elif kind == "arg":
        new.args[i] = tan
    else:
        new.keywords[i].value = tan
    return new


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


def _bare(e):
    if isinstance(e, gast.UnaryOp):
        e = e.operand
    return isinstance(e, gast.Name)


def _sum(contribs):
    if not contribs:
        return None
    total = contribs[0]
    for c in contribs[1:]:
        total = nodes.add(total, c)
    return total


def _is_cheap(e):
    if isinstance(e, (gast.Name, gast.Constant)):
        return True
    if isinstance(e, gast.Attribute):
        return _is_cheap(e.value)
    if isinstance(e, gast.UnaryOp) and isinstance(e.operand, gast.Constant):
        return True
    if isinstance(e, (gast.Tuple, gast.List)):
        return all(_is_cheap(x) for x in e.elts)
    return False


def _rename_store(target, mapping):
    new = nodes.clone(target)
    for n in gast.walk(new):
        if isinstance(n, gast.Name) and n.id in mapping:
            n.id = mapping[n.id]
    return new
