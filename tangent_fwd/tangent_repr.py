"""Tangent representations: what differs between one direction per tangent and K batched directions.

The statement walker (transform.py) and rule application (rule_apply.py) build the same code for both;
at the few points where the generated code depends on how a tangent is stored they ask ``tr.rep``, one
of the two strategies below, chosen once per transformer (``compiler.Unit(vector=...)``):

* ``DenseTangents``: a tangent has its primal's shape; a rule's template is used as written.
* ``BatchedTangents`` (vector mode, ``vectorized=True``): a tangent has a leading axis of K directions.
  Elementwise templates broadcast over it unchanged; ``@`` and the view-making functions have batched
  runtime helpers (rt.bmatmul_left, rt.bview...); every other template runs once per direction
  (``per_direction``: ``rt.bstack([... for k in range(K)])``). Subscripts and unpacking of a batched
  tangent index past the direction axis (rt.bget/bset/biter).

Factored (low-rank) tangents are the third representation; they are a property of single names, not
of the whole function (a factored tangent is made dense as soon as an operation cannot keep it), so
they are a separate collaborator (factored.py) that the walker consults before the strategy.

A strategy holds its transformer (``self.tr``) and reads its names, zeros and K from it; it keeps no
state of its own. The interface: ``zeros``, ``iterate``, ``fresh``, ``subscript``, ``attribute``,
``store_subscript``, ``joint_write``, ``linear_in_pieces``, ``rule_form``, ``linear_term`` and
``partial_term`` (``NotImplemented`` from ``rule_form``: no special form, the generic rule applies).
"""

import operator as _op

import gast
import numpy as _np

from . import effects, nodes
from .rule_apply import ANS, BATCH_TRANSPARENT, add_all, is_elementwise, replace_arg

_MATMUL = (_op.matmul, _np.matmul)
_VIEW_FUNCS = {_np.asarray: "asarray", _np.reshape: "reshape", _np.ravel: "ravel"}


class DenseTangents:
    """One direction: a tangent has the shape of its primal and a template applies to it as written."""

    batched = False

    def __init__(self, tr):
        self.tr = tr

    def zeros(self, atom):
        """A zero tangent for the array value ``atom``."""
        return self.tr.rt_call("zeros_like", nodes.clone(atom))

    def iterate(self, tan):
        """The tangent iterated alongside its primal (a loop's or an unpacking's tangent source)."""
        return tan

    def fresh(self, tan):
        """A copy of a tangent that may be another value's, for a value that may be written in place."""
        return self.tr.rt_call("fresh", tan)

    def subscript(self, tv, index):
        """The tangent of ``x[index]`` from ``x``'s tangent ``tv``."""
        return nodes.subscript(tv, nodes.clone(index))

    def attribute(self, tv, attr):
        """The tangent of ``x.attr`` (a linear attribute such as ``.T`` or ``.real``)."""
        return nodes.attr(tv, attr)

    def store_subscript(self, target, dname, tan, out):
        """``target`` (``c[i][j]``, already written) mirrored into the tangent ``dname`` of its root."""
        ttarget = nodes.clone(target)
        node = ttarget
        while isinstance(node.value, gast.Subscript):
            node = node.value
        node.value = nodes.name(dname)
        out.append(nodes.assign(ttarget, tan))

    def joint_write(self, rule, base, tangents):
        """A writer rule's template (registry.defwriter) applied to the written arguments' tangents."""
        base.update({"d" + p: t for p, t in tangents.items()})
        return nodes.substitute(rule.joint, base)

    def linear_in_pieces(self, build, tans, active):
        """``build(tangent_of)``, a linear combination of the pieces ``active`` of ``tans``."""
        return build(lambda i: tans[i])

    def rule_form(self, rule, call, receiver, bound):
        """A form of the rule specific to this representation, or NotImplemented."""
        return NotImplemented

    def linear_term(self, rule, call, loc, tan):
        """A linear rule's term for the argument at ``loc``: the call itself on its tangent."""
        return replace_arg(call, loc, tan)

    def partial_term(self, rule, pname, partial, tan, base, call, bound):
        """The term of ``rule``'s partial in ``pname`` (its template, or a Python partial function)."""
        tr = self.tr
        if callable(partial) and not isinstance(partial, gast.AST):
            fname = tr.unit.const(partial, f"{pname}_partial")
            cargs = [tan, nodes.name(ANS)] + [nodes.clone(a) for a in getattr(call, "args", [])]
            kws = [(k.arg, nodes.clone(k.value)) for k in getattr(call, "keywords", [])]
            if isinstance(call, gast.BinOp):
                cargs = [tan, nodes.name(ANS), nodes.clone(call.left), nodes.clone(call.right)]
            return nodes.call(nodes.name(fname), cargs, kws)
        m = dict(base)
        m["d" + pname] = tan
        return nodes.substitute(partial, m)


class BatchedTangents:
    """K directions at once: every tangent has a leading axis of K (``tr.k()``, defined at entry)."""

    batched = True

    def __init__(self, tr):
        self.tr = tr

    def zeros(self, atom):
        return self.tr.rt_call("zeros_batched", nodes.clone(atom), self.tr.k())

    def iterate(self, tan):
        return self.tr.rt_call("biter", tan)

    def fresh(self, tan):
        # a broadcast-aligned batched tangent gets the primal's full shape to be written
        return self.tr.rt_call("fresh_full", tan, nodes.name(ANS))

    def subscript(self, tv, index):
        return self.tr.rt_call("bget", tv, self.tr.index_node(index))

    def attribute(self, tv, attr):
        tr = self.tr
        if attr == "T":
            return tr.rt_call("bT", tv)
        if attr == "flat":  # a (K, size) view: rt.stats.bflat
            return nodes.call(
                nodes.attr(nodes.attr(nodes.name(tr.unit.rt), "stats"), "bflat"), [nodes.name(tr.unit.xp), tv]
            )
        return nodes.attr(tv, attr)

    def store_subscript(self, target, dname, tan, out):
        tr = self.tr
        chain = []
        node = target
        while isinstance(node, gast.Subscript):
            chain.append(node.slice)
            node = node.value
        container = nodes.name(dname)
        for idx in reversed(chain[1:]):
            container = tr.rt_call("bget", container, tr.index_node(idx))
        out.append(nodes.expr_stmt(tr.rt_call("bset", container, tr.index_node(chain[0]), tan)))

    def joint_write(self, rule, base, tangents):
        tr = self.tr
        kvar = tr.namer.fresh("k")
        for p, t in tangents.items():
            base["d" + p] = tr.rt_call("bslice", t, nodes.name(kvar))
        return nodes.listcomp(
            nodes.substitute(rule.joint, base),
            nodes.store(kvar),
            nodes.call(nodes.name(tr.unit.builtin("range")), [tr.k()]),
        )

    def linear_in_pieces(self, build, tans, active):
        pack = nodes.tuple_([tans[i] for i in active])
        return self.per_direction(
            lambda tk: build(lambda i: nodes.subscript(nodes.clone(tk), nodes.const(active.index(i)))), pack
        )

    def linear_term(self, rule, call, loc, tan):
        if rule.op in (list, tuple):  # the same leaves (or rows), not copies
            return replace_arg(call, loc, self.tr.rt_call("biter", tan))
        if rule.name not in BATCH_TRANSPARENT:
            return self.per_direction(lambda tk: replace_arg(call, loc, tk), tan)
        return replace_arg(call, loc, tan)

    def rule_form(self, rule, call, receiver, bound):
        """Batched forms of the linear rules whose per-direction loop would be slow or would lose a view:
        ``@`` (rt.bmatmul_left/right), reshape/ravel/asarray (rt.breshape...), view-making functions."""
        tr = self.tr
        if rule.kind == "linear" and rule.op in _MATMUL:
            (a, _), (b, _) = bound[rule.params[0].name], bound[rule.params[1].name]
            contribs = []
            if tr.t(a) is not None:
                contribs.append(
                    tr.rt_call("bmatmul_left", nodes.name(tr.unit.xp), tr.t(a), nodes.clone(b), nodes.clone(a))
                )
            if tr.t(b) is not None:
                contribs.append(
                    tr.rt_call("bmatmul_right", nodes.name(tr.unit.xp), nodes.clone(a), tr.t(b), nodes.clone(b))
                )
            return add_all(contribs)
        if (
            rule.kind == "linear"
            and receiver is not None
            and rule.name in (".reshape()", ".ravel()")
            and tr.t(receiver) is not None
            and not any(k.arg not in ("order",) for k in call.keywords)
        ):
            helper = "breshape" if rule.name == ".reshape()" else "bravel"
            return (
                tr.rt_call(helper, tr.t(receiver), *[nodes.clone(a) for a in call.args])
                if not call.keywords
                else nodes.call(
                    nodes.attr(nodes.name(tr.unit.rt), helper),
                    [tr.t(receiver)] + [nodes.clone(a) for a in call.args],
                    [(k.arg, nodes.clone(k.value)) for k in call.keywords],
                )
            )
        if (
            rule.kind == "linear"
            and rule.op in _VIEW_FUNCS
            and len(call.args) >= 1
            and tr.t(call.args[0]) is not None
            and not call.keywords
        ):
            kind = _VIEW_FUNCS[rule.op]
            tan = tr.t(call.args[0])
            if kind == "asarray" and len(call.args) == 1:
                return tr.rt_call("basarray", nodes.name(tr.unit.xp), tan)
            if kind == "reshape" and len(call.args) == 2:
                return tr.rt_call("breshape", tan, nodes.clone(call.args[1]))
            if kind == "ravel" and len(call.args) == 1:
                return tr.rt_call("bravel", tan)
        if rule.kind in ("linear", "jvp"):
            view = self.view(rule, call, receiver)
            if view is not None:
                return view
        return NotImplemented

    def view(self, rule, call, receiver):
        """Vector mode, a function or method that may return a view of its first argument (transpose,
        expand_dims, split, astype(copy=False)...): the tangent is one batched view of the batched
        tangent (rt.bview), so writes through it reach the base's tangent as the primal's reach the base."""
        tr = self.tr
        if receiver is not None:
            name = rule.name[1:-2] if rule.name.endswith("()") else None
            if not rule.view or rule.kind != "linear" or rule.linear_in != ("self",):
                return None
            tan = tr.t(receiver)
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
            tan = tr.t(call.args[0])
            if tan is None or any(tr.t(a) is not None for a in call.args[1:]):
                return None
            func = nodes.clone(call.func)
            call = gast.Call(func=call.func, args=call.args[1:], keywords=call.keywords)
        return nodes.call(
            nodes.attr(nodes.name(tr.unit.rt), "bview"),
            [nodes.name(tr.unit.xp), func, tan]
            + [nodes.clone(a) for a in (call.args if receiver is None else call.args)],
            [(k.arg, nodes.clone(k.value)) for k in call.keywords],
        )

    def per_direction(self, build, tan):
        """``build(tangent_k)`` for each of the K directions, stacked: the form every rule has."""
        tr = self.tr
        kvar = tr.namer.fresh("k")
        elt = build(tr.rt_call("bslice", tan, nodes.name(kvar)))
        loop = nodes.listcomp(elt, nodes.store(kvar), nodes.call(nodes.name(tr.unit.builtin("range")), [tr.k()]))
        return tr.rt_call("bstack", nodes.name(tr.unit.xp), loop)

    def partial_term(self, rule, pname, partial, tan, base, call, bound):
        tr = self.tr
        if rule.op in _MATMUL:
            other = [n for n in rule.params if n.name != pname][0].name
            x, y = (base[pname], base[other]) if pname == rule.params[0].name else (base[other], base[pname])
            if pname == rule.params[0].name:
                return tr.rt_call("bmatmul_left", nodes.name(tr.unit.xp), tan, nodes.clone(y), nodes.clone(x))
            return tr.rt_call("bmatmul_right", nodes.name(tr.unit.xp), nodes.clone(x), tan, nodes.clone(y))
        if callable(partial) and not isinstance(partial, gast.AST):
            fname = tr.unit.const(partial, f"{pname}_partial")
            cargs = [nodes.name(ANS)] + [nodes.clone(a) for a in getattr(call, "args", [])]
            if isinstance(call, gast.BinOp):
                cargs = [nodes.name(ANS), nodes.clone(call.left), nodes.clone(call.right)]
            kws = [(k.arg, nodes.clone(k.value)) for k in getattr(call, "keywords", [])]
            return self.per_direction(lambda tk: nodes.call(nodes.name(fname), [tk] + cargs, kws), tan)
        m = dict(base)
        if is_elementwise(rule):
            arrays = [
                n
                for n, e in bound.items()
                if e is not None and not isinstance(e, list) and not isinstance(e[0], gast.Constant)
            ]
            if len(arrays) > 1:
                tan = tr.rt_call("balign", tan, nodes.clone(base[pname]), nodes.name(ANS))
            m["d" + pname] = tan
            return nodes.substitute(partial, m)

        def build(tk):
            mk = dict(m)
            mk["d" + pname] = tk
            return nodes.substitute(partial, mk)

        return self.per_direction(build, tan)
