"""Factored tangents in the forward transform (``FunctionTransformer.factored``, a ``FactoredTangents``).

A name in the FACTORED state has a tangent variable holding a :class:`tangent_fwd.lowrank.LowRank`
(or a dict/list/tuple of them and dense arrays); ``self.lr[name]`` is its structure signature, known
when the code is generated (the compile cache is keyed by it). These simple statements keep the
tangent factored:

    y = W               dy = dW
    W = params['W1']    dW = dparams['W1']                 (a constant key)
    y = W.T             dy = dW.T                          (np.transpose(W), W.transpose() too)
    y = -W              dy = -dW
    y = x @ W           dy = (x @ dW.u) @ dW.w.T  [+ dx @ W]  (np.matmul; np.dot nests np.dot)
    y = W @ x           dy = dW.u @ (dW.w.T @ x)  [+ W @ dx]
    y = np.einsum(s, ..., W, ...)   two einsums: the other operands with one factor, then the other
    y = W.reshape(...)  dy = dW.reshape(..., split=j)     (a shape of statically known length >= 2)
    y = f(params, ...)  f's JVP is specialised to the structure (user functions)

Any other use first makes the tangent dense, once, in place of the factored one
(``dW = lowrank.dense(dW)``), and the ordinary rules take over. Factored tangents live only in
straight-line code at the top level of a function body: before a loop, a branch, a ``return`` or any
statement other than ``name = expression``, the factored names it mentions are made dense; names
written in place (here or by a callee), and every input of a function with nested defs or lambdas,
are made dense on entry.
"""

import string

import gast
import numpy as _np

from . import lowrank, nodes, registry, user_calls
from .parse import MISSING
from .states import FACTORED
from .states import LIVE as _LIVE
from .states import MAYBE as _MAYBE

_MATMUL_OPS = {_np.matmul: "matmul", _np.dot: "dot"}
_COMPOUND = (
    gast.If,
    gast.For,
    gast.While,
    gast.With,
    gast.Try,
    gast.FunctionDef,
    gast.AsyncFunctionDef,
    gast.ClassDef,
    gast.AsyncFor,
    gast.AsyncWith,
)


class FactoredTangents:
    """The factored tangents of one function being transformed (``tr.factored``): which names hold a
    LowRank tangent (``lr``: name -> structure signature) and the statements that keep them factored.
    A collaborator the transformer consults (``assign`` before the generic rules, ``before_stmt``
    before each statement), not a base class: it reads the transformer's state through ``self.tr``."""

    def __init__(self, tr):
        self.tr = tr
        self.lr = {}  # name -> structure signature of its factored tangent
        self.depth = 0  # > 0 inside a compound statement: no factored tangents there
        self.ok = False  # this function can keep factored tangents (it writes nothing in place)

    # ------------------------------------------------------------------ state
    def setup(self):
        """Called once the parameters' states are set: factored inputs enter FACTORED, or are made
        dense at entry where this function cannot keep them factored."""
        self.lr = {}
        self.depth = 0
        structs = getattr(self.tr.spec, "structs", None) or {}
        if not structs:
            self.ok = False
            return []
        body = gast.Module(body=self.tr.fnode.body, type_ignores=[])
        # Factored tangents only where nothing is written in place, here or in any user function this
        # one calls (transitively): with dense tangents a tangent shares memory exactly where its primal
        # does, so an in-place write through any view or alias reaches every sharer's tangent; a factored
        # tangent made dense is a new array and would miss it. (Tracking aliases syntactically misses
        # too many forms: containers, unpacking, views of call results, ...)
        nested = nodes.nodes_of(body, (gast.FunctionDef, gast.Lambda, gast.Global, gast.Nonlocal))
        self.ok = not nested and not _writes(self.tr.fnode, self.tr.info, self.tr.visible_locals, ())
        out = []
        for p, sig in structs.items():
            if sig is None or p not in self.tr.spec.active_params:
                continue
            self.tr.state[p] = FACTORED
            self.lr[p] = sig
            if not self.ok:
                self.densify(p, out)
        return out

    def is_factored(self, n):
        return self.tr.state.get(n) == FACTORED

    def module(self):
        return nodes.name(self.tr.unit.const(lowrank, "lowrank"))

    def densify(self, n, out):
        """``dn = lowrank.dense(dn)``: from here on ``n`` has an ordinary (dense) tangent."""
        if self.tr.state.get(n) != FACTORED:
            return
        d = self.tr.tangent_name(n)
        out.append(nodes.assign(d, nodes.call(nodes.attr(self.module(), "dense"), [nodes.name(d)])))
        self.tr.state[n] = _LIVE
        self.lr.pop(n, None)

    def densify_in(self, node, out, ctx=None):
        for n in dict.fromkeys(nodes.names_in(node, ctx)):
            if self.tr.state.get(n) == FACTORED:
                self.densify(n, out)

    def before_stmt(self, s, out):
        """Before a statement that is not ``name = expression``: its factored names become dense."""
        if not self.lr:
            return False
        if isinstance(s, gast.Assign) and len(s.targets) == 1 and isinstance(s.targets[0], gast.Name):
            return False
        if isinstance(s, gast.Return):
            return False  # s_Return makes the returned atoms dense
        self.densify_in(s, out)
        return isinstance(s, _COMPOUND)

    def _set_factored(self, target, sig, tan, out, primal):
        """Emit the primal statement and ``dtarget = tan`` and record ``target`` as FACTORED (or dense
        where it cannot stay so). The factored forms never read the result, but they read the operands:
        where the primal statement rebinds one of them (``x = x @ W``) the tangent goes first."""
        d = self.tr.tangent_name(target)
        # (no rt.fresh copy as assign_name makes where things are written in place, and no check of
        # force_live: a function holding factored tangents writes nothing in place, see setup)
        if target in nodes.names_in(tan, gast.Load):
            out += [nodes.assign(d, tan), primal]
        else:
            out += [primal, nodes.assign(d, tan)]
        if sig is None:
            self.tr.state[target] = _LIVE
            self.lr.pop(target, None)
            return
        self.tr.state[target] = FACTORED
        self.lr[target] = sig
        if self.depth:  # inside a compound statement: no factored tangents
            self.densify(target, out)

    # ------------------------------------------------------------------ one simple statement
    def assign(self, target, sexpr, out):
        """Emit ``target = sexpr`` keeping factored tangents factored where the operation allows;
        True when done. Otherwise the factored operands are made dense and False is returned."""
        fact = [n for n in dict.fromkeys(nodes.names_in(sexpr, gast.Load)) if self.tr.state.get(n) == FACTORED]
        if not fact:
            return False
        kind = type(sexpr)
        if kind is gast.Attribute:
            rule = registry.lookup_attribute(sexpr.attr)
            if rule is not None and rule.kind == "zero":
                return False  # .shape, .dtype, ...: no tangent is read
        if kind is gast.Call:
            rule = self._resolved_rule(sexpr)
            if rule is not None and rule.kind == "zero":
                return False
            callee = user_calls.user_callee(self.tr, sexpr)
            if callee is not None and callee[0] == "user":
                return False  # emit_user_call specialises the callee
        maybe = [n for n in nodes.names_in(sexpr, gast.Load) if self.tr.state.get(n) == _MAYBE]
        self.tr.settle(maybe, out)
        tan_sig = self._factored_form(sexpr, out)
        if tan_sig is None:
            self.densify_in(sexpr, out, gast.Load)
            return False
        tan, sig = tan_sig
        self._set_factored(target, sig, tan, out, nodes.assign(target, sexpr))
        return True

    def _resolved_rule(self, call):
        obj = self.tr.info.resolve(call.func, self.tr.visible_locals)
        if obj is not MISSING:
            return registry.lookup(obj)
        if isinstance(call.func, gast.Attribute):
            return registry.lookup_method(call.func.attr)
        return None

    def _leaf(self, node, split=None):
        """The signature of a factored LowRank leaf atom (optionally only with the given split)."""
        if isinstance(node, gast.Name) and self.tr.state.get(node.id) == FACTORED:
            sig = self.lr[node.id]
            if sig[0] == "lr" and (split is None or sig[1:3] == split):
                return sig
        return None

    def d(self, n):
        return nodes.name(self.tr.tangent_name(n.id if isinstance(n, gast.Name) else n))

    def _factored_form(self, e, out):
        """``(tangent expression, signature)`` for the factored forms, else None."""
        kind = type(e)
        if kind is gast.Name:
            return self.d(e), self.lr[e.id]
        if kind is gast.Subscript and isinstance(e.value, gast.Name) and isinstance(e.slice, gast.Constant):
            sig = self.lr.get(e.value.id) if self.tr.state.get(e.value.id) == FACTORED else None
            if sig is None or sig[0] == "lr":
                return None
            try:
                sub = lowrank.sub_signature(sig, e.slice.value)
            except (KeyError, IndexError, TypeError):
                return None
            return nodes.subscript(self.d(e.value), nodes.const(e.slice.value)), sub
        if kind is gast.Attribute and e.attr == "T" and self._leaf(e.value):
            _, k1, k2, r = self._leaf(e.value)
            return nodes.attr(self.d(e.value), "T"), ("lr", k2, k1, r)
        if kind is gast.UnaryOp and self._leaf(e.operand):
            if isinstance(e.op, gast.USub):
                return nodes.unary(gast.USub(), self.d(e.operand)), self._leaf(e.operand)
            if isinstance(e.op, gast.UAdd):
                return self.d(e.operand), self._leaf(e.operand)
            return None
        if kind is gast.BinOp and isinstance(e.op, gast.MatMult):
            return self._matmul(e.left, e.right, "matmul", out)
        if kind is gast.Call:
            return self._factored_call(e, out)
        return None

    def _factored_call(self, e, out):
        f = e.func
        obj = self.tr.info.resolve(f, self.tr.visible_locals)
        args = e.args
        if any(isinstance(a, gast.Starred) for a in args):
            return None
        if obj in _MATMUL_OPS and len(args) == 2 and not e.keywords:
            return self._matmul(args[0], args[1], _MATMUL_OPS[obj], out)
        if obj is _np.transpose and len(args) == 1 and not e.keywords and self._leaf(args[0]):
            return self._factored_form(nodes.attr(args[0], "T"), out)
        if obj is _np.einsum:
            return self._einsum(e, out)
        if obj is _np.reshape and len(args) == 2 and not e.keywords and self._leaf(args[0]):
            return self._reshape(args[0], [args[1]])
        if obj is MISSING and isinstance(f, gast.Attribute) and self._leaf(f.value):
            if f.attr == "transpose" and not args and not e.keywords:
                return self._factored_form(nodes.attr(f.value, "T"), out)
            if f.attr == "reshape" and args and not e.keywords:
                return self._reshape(f.value, args)
            if f.attr == "dot" and len(args) == 1 and not e.keywords:
                return self._matmul(f.value, args[0], "dot", out)
        return None

    # ------------------------------------------------------------------ the factored rules
    def _matmul(self, a, b, how, out):
        fa, fb = self._leaf(a, (1, 1)), self._leaf(b, (1, 1))
        if not (fa or fb):
            return None
        for x, fx in ((a, fa), (b, fb)):  # factored operands of another shape: dense
            if isinstance(x, gast.Name) and self.tr.state.get(x.id) == FACTORED and not fx:
                self.densify(x.id, out)
        xp = nodes.name(self.tr.unit.xp)

        def mm(x, y):
            if how == "matmul":
                return nodes.binop(x, gast.MatMult(), y)
            return nodes.call(nodes.attr(xp, "dot"), [x, y])

        def wT(n):
            return nodes.attr(nodes.attr(self.d(n), "w"), "T")

        def u(n):
            return nodes.attr(self.d(n), "u")

        terms = []
        if fa and how == "dot":
            # np.dot(W, X) contracts W's columns with X's second-to-last axis; np.dot(wᵀ, X) puts the
            # rank axis first, so u is contracted with that axis explicitly (X of any number of axes)
            terms.append(
                nodes.call(nodes.attr(nodes.clone(xp), "tensordot"), [u(a), mm(wT(a), nodes.clone(b)), nodes.const(1)])
            )
        elif fa:
            terms.append(mm(u(a), mm(wT(a), nodes.clone(b))))
        elif self.tr.t(a) is not None:
            terms.append(mm(self.tr.t(a), nodes.clone(b)))
        if fb and fb[3] == 1:
            # rank 1: (a @ u) is (..., 1); a broadcast multiply by w[:, 0] forms the outer product
            # (5x faster than a k=1 matrix product) and keeps a 1-D ``a`` 1-D
            w0 = nodes.subscript(
                nodes.attr(self.d(b), "w"),
                nodes.tuple_([gast.Slice(lower=None, upper=None, step=None), nodes.const(0)]),
            )
            terms.append(nodes.binop(mm(nodes.clone(a), u(b)), gast.Mult(), w0))
        elif fb:
            terms.append(mm(mm(nodes.clone(a), u(b)), wT(b)))
        elif self.tr.t(b) is not None:
            terms.append(mm(nodes.clone(a), self.tr.t(b)))
        tan = terms[0]
        for t in terms[1:]:
            tan = nodes.add(tan, t)
        return tan, None

    def _reshape(self, x, args):
        _, k1, k2, _ = self._leaf(x)
        if len(args) == 1 and isinstance(args[0], (gast.Tuple, gast.List)):
            n = len(args[0].elts)
        elif all(isinstance(a, (gast.Name, gast.Constant)) for a in args) and len(args) > 1:
            n = len(args)
        else:
            return None  # a shape of unknown length
        if n < 2:
            return None
        # merging axes: the input side (S1) absorbs them; splitting: the output side (S2) takes them
        j = max(1, n - k2) if n <= k1 + k2 else k1
        j = min(j, n - 1)
        call = nodes.call(nodes.attr(self.d(x), "reshape"), [nodes.clone(a) for a in args], [("split", nodes.const(j))])
        return call, ("lr", j, n - j, None)  # the rank is the same unless the factors mix

    def _einsum(self, e, out):
        if not e.args or not isinstance(e.args[0], gast.Constant) or not isinstance(e.args[0].value, str):
            return None
        spec = e.args[0].value.replace(" ", "")
        if "..." in spec or "->" not in spec or any(k.arg != "optimize" for k in e.keywords):
            return None
        ins, res = spec.split("->")
        subs = ins.split(",")
        ops = e.args[1:]
        if len(subs) != len(ops):
            return None
        factored = []
        for i, op in enumerate(ops):
            sig = self._leaf(op)
            if sig is not None and sig[1] + sig[2] == len(subs[i]) and sig[1] and sig[2]:
                factored.append(i)
            elif isinstance(op, gast.Name) and self.tr.state.get(op.id) == FACTORED:
                self.densify(op.id, out)
        if not factored:
            return None
        xp = nodes.name(self.tr.unit.xp)
        kws = [(k.arg, nodes.clone(k.value)) for k in e.keywords]
        used = set(spec)
        fresh = next(c for c in string.ascii_letters if c not in used)

        def einsum(s, operands):
            return nodes.call(nodes.attr(nodes.clone(xp), "einsum"), [nodes.const(s)] + operands, kws)

        terms = []
        for i, op in enumerate(ops):
            others = [(subs[j], nodes.clone(o)) for j, o in enumerate(ops) if j != i]
            if i in factored:
                k1 = self._leaf(op)[1]
                s1, s2 = subs[i][:k1], subs[i][k1:]
                other_letters = set("".join(s for s, _ in others))
                d = self.d(op)
                first, second = (s1, "u"), (s2, "w")
                if len(set(s2) & other_letters) > len(set(s1) & other_letters):
                    first, second = second, first
                later = set(res) | set(second[0])
                keep = "".join(dict.fromkeys(c for c in "".join(s for s, _ in others) + first[0] if c in later)) + fresh
                factor = nodes.attr(nodes.clone(d), first[1])
                if not others and keep == first[0] + fresh:
                    step1 = factor  # nothing to contract it with
                else:
                    step1 = einsum(
                        ",".join([s for s, _ in others] + [first[0] + fresh]) + "->" + keep,
                        [o for _, o in others] + [factor],
                    )
                terms.append(
                    einsum(keep + "," + second[0] + fresh + "->" + res, [step1, nodes.attr(nodes.clone(d), second[1])])
                )
            else:
                t = self.tr.t(op)
                if t is not None:
                    operands = [t if j == i else nodes.clone(o) for j, o in enumerate(ops)]
                    terms.append(einsum(spec, operands))
        tan = terms[0]
        for t in terms[1:]:
            tan = nodes.add(tan, t)
        return tan, None

    # ------------------------------------------------------------------ calls into user functions
    # (factored arguments reach only callees that write nothing in place: this function would not keep
    # factored tangents otherwise, see setup)
    def call_structs(self, binding):
        """Signatures of the factored arguments of a user-function call, by parameter."""
        return {
            p: self.lr[a.id]
            for p, a in binding.items()
            if isinstance(a, gast.Name) and self.tr.state.get(a.id) == FACTORED
        }


_WRITE_FREE = {}
# list/dict/ndarray methods that write into their receiver
_WRITING_METHODS = {
    "append",
    "extend",
    "insert",
    "update",
    "setdefault",
    "pop",
    "popitem",
    "clear",
    "remove",
    "sort",
    "reverse",
    "fill",
    "put",
    "resize",
    "itemset",
    "partition",
    "setflags",
}


def _writes(fnode, info, local, visiting):
    """Whether function ``fnode`` writes anything in place (a subscript or attribute store, an augmented
    assignment, a writing method) or calls a user function that does (transitively; a forward_diff
    object counts as writing). Library functions do not write into their arguments here (``out=`` is
    refused)."""
    for n in nodes.nodes_of(fnode, (gast.Subscript, gast.Attribute, gast.AugAssign, gast.Call)):
        if isinstance(n, (gast.Subscript, gast.Attribute)):
            if isinstance(n.ctx, gast.Store):
                return True
        elif isinstance(n, gast.AugAssign):
            return True
        elif isinstance(n.func, gast.Attribute) and n.func.attr in _WRITING_METHODS:
            return True
        else:
            callee = info.resolve(n.func, local)
            if callee is not MISSING and not _write_free(callee, visiting):
                return True
    return False


def _write_free(obj, visiting=()):
    """True when user function ``obj`` (and every user function it calls) writes nothing in place."""
    from .parse import FunctionInfo, is_user_function, local_names

    if getattr(obj, "generated_function", None) is not None:
        return False  # a forward_diff object: be conservative
    if not is_user_function(obj):
        return True
    code = obj.__code__
    if code in _WRITE_FREE:
        return _WRITE_FREE[code]
    if code in visiting:
        return True  # recursion: decided by the outer call
    try:
        info = FunctionInfo(obj)
    except Exception:
        return False
    result = not _writes(info.node, info, local_names(info.node), visiting + (code,))
    if not visiting:  # an inner result may rest on the recursion assumption
        _WRITE_FREE[code] = result
    return result
