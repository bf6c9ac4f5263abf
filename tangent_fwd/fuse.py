"""Kernel fusion for GPU backends: a run of consecutive elementwise statements in generated code
(primal and tangent alike) becomes one ``@xp.fuse()`` kernel with several outputs, so adding a
tangent does not double the number of kernel launches and memory passes.

Applied when the backend namespace has ``fuse`` (CuPy). The kernels are module-level functions of the
generated code, defined once, so CuPy compiles each once.
"""

import re

import gast

from . import nodes

# Backend functions that are elementwise (ufuncs, or built from them) and that cupy.fuse supports.
ELEMENTWISE = {
    "sin",
    "cos",
    "tan",
    "arcsin",
    "arccos",
    "arctan",
    "arctan2",
    "hypot",
    "sinh",
    "cosh",
    "tanh",
    "arcsinh",
    "arccosh",
    "arctanh",
    "exp",
    "exp2",
    "expm1",
    "log",
    "log2",
    "log10",
    "log1p",
    "sqrt",
    "cbrt",
    "square",
    "reciprocal",
    "power",
    "add",
    "subtract",
    "multiply",
    "divide",
    "negative",
    "positive",
    "absolute",
    "abs",
    "fabs",
    "sign",
    "maximum",
    "minimum",
    "fmax",
    "fmin",
    "where",
    "logaddexp",
    "logaddexp2",
    "floor",
    "ceil",
    "trunc",
    "rint",
    "mod",
    "fmod",
    "deg2rad",
    "rad2deg",
    "clip",
}
_OPS = (gast.Add, gast.Sub, gast.Mult, gast.Div, gast.Pow, gast.Mod)
_CMP = (gast.Lt, gast.LtE, gast.Gt, gast.GtE, gast.Eq, gast.NotEq)


def _elementwise_expr(e, xp):
    if isinstance(e, gast.Name):
        return True
    if isinstance(e, gast.Constant):
        return isinstance(e.value, (int, float)) and not isinstance(e.value, bool)
    if isinstance(e, gast.BinOp):
        return isinstance(e.op, _OPS) and _elementwise_expr(e.left, xp) and _elementwise_expr(e.right, xp)
    if isinstance(e, gast.UnaryOp):
        return isinstance(e.op, (gast.USub, gast.UAdd)) and _elementwise_expr(e.operand, xp)
    if isinstance(e, gast.Compare):
        return (
            all(isinstance(o, _CMP) for o in e.ops)
            and _elementwise_expr(e.left, xp)
            and all(_elementwise_expr(c, xp) for c in e.comparators)
        )
    if isinstance(e, gast.Call):
        f = e.func
        return (
            isinstance(f, gast.Attribute)
            and isinstance(f.value, gast.Name)
            and f.value.id == xp
            and f.attr in ELEMENTWISE
            and not e.keywords
            and all(_elementwise_expr(a, xp) for a in e.args)
        )
    return False


def _fusable(stmt, xp):
    return (
        isinstance(stmt, gast.Assign)
        and len(stmt.targets) == 1
        and isinstance(stmt.targets[0], gast.Name)
        and not isinstance(stmt.value, (gast.Name, gast.Constant))
        and _elementwise_expr(stmt.value, xp)
    )


def fuse_function(fdef, xp, namer, min_run=2):
    """Rewrite ``fdef`` in place; returns the new kernel FunctionDefs (to be placed at module level)."""
    kernels = []
    # a name the code deletes (your `del tmp`) must still be bound outside the kernel: it counts as read
    loads_everywhere = nodes.names_in(fdef, gast.Load) + nodes.names_in(fdef, gast.Del)
    _fuse_block(fdef, "body", xp, namer, kernels, min_run, loads_everywhere)
    return kernels


def _fuse_block(node, field, xp, namer, kernels, min_run, loads_everywhere):
    stmts = getattr(node, field)
    out, run = [], []

    def flush():
        if len(run) >= min_run:
            out.append(_make_kernel(run, xp, namer, kernels, loads_everywhere))
        else:
            out.extend(run)
        run.clear()

    for s in stmts:
        if _fusable(s, xp):
            run.append(s)
            continue
        flush()
        for sub in ("body", "orelse"):
            if isinstance(getattr(s, sub, None), list) and not isinstance(s, gast.FunctionDef):
                _fuse_block(s, sub, xp, namer, kernels, min_run, loads_everywhere)
        if isinstance(s, gast.FunctionDef):
            _fuse_block(
                s, "body", xp, namer, kernels, min_run, nodes.names_in(s, gast.Load) + nodes.names_in(s, gast.Del)
            )
        out.append(s)
    flush()
    setattr(node, field, out)


def _make_kernel(run, xp, namer, kernels, loads_everywhere):
    assigned, inputs = [], []
    for s in run:
        for n in nodes.names_in(s.value, gast.Load):
            if n not in assigned and n not in inputs and n != xp:
                inputs.append(n)
        t = s.targets[0].id
        if t not in assigned:
            assigned.append(t)
    inside = {}
    for s in run:
        for n in nodes.names_in(s.value, gast.Load):
            inside[n] = inside.get(n, 0) + 1
    outside = {}
    for n in loads_everywhere:
        outside[n] = outside.get(n, 0) + 1
    # a name is an output when it is read anywhere but inside this run (or assigned twice in it)
    # (or when it is also an input: inside a loop the next iteration reads what this one assigned)
    outputs = [n for n in assigned if outside.get(n, 0) > inside.get(n, 0) or n in inputs]
    if not outputs:
        outputs = [assigned[-1]]
    name = namer.fresh("fused_kernel")
    ret = nodes.ret(nodes.name(outputs[0]) if len(outputs) == 1 else nodes.tuple_([nodes.name(o) for o in outputs]))
    kdef = nodes.funcdef(
        name,
        nodes.arguments([nodes.param(i) for i in inputs]),
        [nodes.clone(s) for s in run] + [ret],
        docstring=f"{len(run)} elementwise statements in one kernel.",
    )
    kdef.decorator_list = [nodes.call(nodes.attr(nodes.name(xp), "fuse"))]
    kernels.append(kdef)
    target = (
        nodes.store(outputs[0]) if len(outputs) == 1 else nodes.tuple_([nodes.store(o) for o in outputs], gast.Store())
    )
    return nodes.assign(target, nodes.call(nodes.name(name), [nodes.name(i) for i in inputs]))


def estimate_launches(source):
    """Kernel launches per call of a generated JVP function, estimated from its source: each array
    operation in a statement counts once (an operator, an ``xp.``/``rt.`` call, a reduction method,
    ``@``), a fused kernel call counts once. The same estimate for fused and unfused code is what the
    fusion target (a third fewer launches) is measured with."""
    # every generated function except the fused kernels themselves (their statements run as one launch)
    parts = [p for p in source.split("\n\n\n") if not p.lstrip().startswith("@xp.fuse()")]
    count = 0
    for line in "\n".join(parts).splitlines():
        line = line.strip()
        if "=" not in line or line.startswith(("return", '"""', "def ")):
            continue
        rhs = line.split("=", 1)[1]
        if "fused_kernel" in rhs:
            count += 1
            continue
        ops = len(re.findall(r"xp\.\w+\(|rt\.\w+\(|\.sum\(|\.mean\(|\.max\(|@", rhs))
        ops += len(re.findall(r"(?<![=<>!])[-+*/](?!=)", rhs.replace("**", "^")))
        count += ops + rhs.count("^")
    return count
