"""Tangent injection: ``tangent_fwd.perturb(z, name=...)`` marks a pre-activation at which the generated
JVP adds a tangent the caller passes in (activity perturbation, Ren et al. 2023).

    def loss(params, x, y):
        z1 = tangent_fwd.perturb(x @ params["W1"] + params["b1"], name="z1")
        ...
        return per_example_losses                       # shape (B,)

    value, dvalue = tangent_fwd.perturbed_jvp(loss, (params, x, y), perturbations={"z1": u1})

In the primal the marker is the identity. In the JVP its tangent is the incoming tangent (zero where
nothing differentiated reaches it) plus the injected one, so a single forward pass gives, per example,
the directional derivative of the loss along the injected directions at every marked site. The compiler
checks at each marker that its input is produced by a linear map it recognises (``@``, ``np.dot``,
``np.matmul``, ``np.einsum``, the reshaped patch matrix of a sliding-window convolution, each with an
optional bias add and reshapes): that is what lets :mod:`tangent_fwd.training.local_losses` turn a
site's tangent estimate into weight and bias estimates (``ĝ_W = hᵀ ĝ_z / B``). The generated call
names the map's input and parameters, so ``source()`` shows what was recognised::

    z1 = perturb(t4, name='z1')
    dz1 = perturbation.inject(xp, None, t4, 'z1', inputs=x, weight='W1', bias='b1')

Misuse is refused: a perturbation for a site the call never reached (unknown name), a perturbation of
the wrong shape, a site reached twice in one call, and a site run by code the compiler did not
differentiate (its injected tangent would be dropped silently).
"""

import threading
import weakref
from collections.abc import Callable, Mapping
from typing import Any

import gast
import numpy as np

from . import nodes, registry
from .errors import ArgumentError

LINEAR_MAPS = "'@', np.dot, np.matmul, np.einsum or a sliding-window convolution written as patches @ kernel"


def perturb(z: Any, name: str | None = None) -> Any:
    """Mark ``z`` (the output of a linear map, plus bias) as an activity-perturbation site called ``name``.

    The identity on values. Under :func:`perturbed_jvp` the generated JVP adds the tangent given for
    ``name`` to ``z``'s tangent; elsewhere the marker's tangent is its input's tangent."""
    if not isinstance(name, str) or not name:
        raise ValueError("tangent_fwd.perturb(z, name='...') needs a site name (a non-empty string)")
    ctx = _current()
    if ctx is not None:
        ctx.primal_reached[name] = ctx.primal_reached.get(name, 0) + 1
    return z


# ---------------------------------------------------------------------------------------- injection context
class SiteRecord:
    """What the generated code reported at a site during one call: the site's value ``z``, the input
    ``inputs`` of its linear map, the parameter keys of its weight and bias, and the einsum spec (None
    for a matrix product)."""

    __slots__ = ("name", "z", "inputs", "weight", "bias", "spec", "tangent")

    def __init__(self, name, z, inputs, weight, bias, spec):
        self.name, self.z, self.inputs, self.weight, self.bias, self.spec = name, z, inputs, weight, bias, spec
        self.tangent = None  # the tangent injected there (None: none)

    def __repr__(self):
        return f"<site {self.name!r} weight={self.weight!r} bias={self.bias!r}>"


class _Context:
    def __init__(self, values, k):
        # site name -> tangent to inject, or a callable draw(name, z) -> tangent or None (drawn at the site)
        self.values = values
        self.k = k  # vector mode: the number of directions; None for one direction
        self.records = {}  # site name -> SiteRecord (injected or passed through)
        self.injected = set()
        self.primal_reached = {}


_LOCAL = threading.local()


def _current():
    stack = getattr(_LOCAL, "stack", None)
    return stack[-1] if stack else None


def inject(xp, dz, z, name, inputs=None, weight=None, bias=None, spec=None):
    """The tangent of ``perturb(z, name)``: ``dz`` (None for a zero tangent) plus the tangent injected
    for ``name`` by the enclosing :func:`perturbed_jvp`. Called by generated code."""
    ctx = _current()
    if ctx is None:
        if dz is None:
            raise ArgumentError("code generated for tangents injected at perturb sites runs inside perturbed_jvp")
        return dz
    if name in ctx.records:
        raise ArgumentError(
            f"perturbation site {name!r} was reached twice in one call: each site must run once per pass",
            hint="a marker runs once per call: move it out of the loop, or unroll the loop and give each "
            "copy its own name",
        )
    record = ctx.records[name] = SiteRecord(name, z, inputs, weight, bias, spec)
    u = ctx.values(name, z) if callable(ctx.values) else ctx.values.get(name)
    if u is None:
        if dz is not None:
            return dz
        return xp.zeros(((ctx.k,) if ctx.k is not None else ()) + tuple(z.shape), z.dtype)
    want = ((ctx.k,) if ctx.k is not None else ()) + tuple(z.shape)
    if tuple(u.shape) != want:
        raise ArgumentError(
            f"the perturbation for site {name!r} has shape {tuple(u.shape)} but the site's value has shape "
            f"{tuple(z.shape)}" + (f": in vector mode it must be (K,) + that = {want}" if ctx.k is not None else "")
        )
    ctx.injected.add(name)
    if u.dtype != z.dtype:
        u = u.astype(z.dtype)
    record.tangent = u
    return u + dz if dz is not None else u.copy()  # a fresh array: the caller's buffer is never written


# ------------------------------------------------------------------------------------------- compile time
def _expand(tr, call, receiver):
    """The marker's tangent at this call site (called by the transform through ``Rule.expand``)."""
    bound = tr.bind(RULE, call, receiver)
    name_node = bound.get("name")
    if name_node is None or not (isinstance(name_node[0], gast.Constant) and isinstance(name_node[0].value, str)):
        raise tr.error(
            call,
            "tangent_fwd.perturb needs its site name as a string literal (name='z1')",
            hint="write tangent_fwd.perturb(h @ W + b, name='z1'); the name is how perturbed_jvp finds the site",
        )
    name = name_node[0].value
    znode = bound["z"][0]
    site = _linear_site(tr, call)
    if site is None:
        raise tr.error(
            call,
            f"tangent_fwd.perturb site {name!r}: its input is not produced by a linear map the compiler "
            f"recognises ({LINEAR_MAPS}, plus an optional bias add)",
            hint="mark the pre-activation itself: z = tangent_fwd.perturb(h @ W + b, name=...), and give "
            "the map's input, weight and bias names of their own (each assigned once in the function)",
        )
    if not isinstance(site, tuple):
        raise tr.error(
            call,
            f"tangent_fwd.perturb site {name!r}: the input of its linear map ({nodes.to_source(site).strip()}) "
            "is computed inline or rebound; the weight estimate needs to read it at the marker",
            hint="assign the input to a name of its own first: h = ...; z = tangent_fwd.perturb(h @ W + b, name=...)",
        )
    inputs, weight, bias, spec = site
    dz = tr.t(znode)
    if dz is None and not tr.unit_sources():  # no tangent reaches z in an ordinary JVP: zeros of its shape
        dz = tr.zeros_of(znode)
    keywords = [("inputs", nodes.clone(inputs))]
    keywords += [("weight", nodes.const(weight)), ("bias", nodes.const(bias))]
    if spec is not None:
        keywords.append(("spec", nodes.const(spec)))
    fn = nodes.attr(nodes.name(tr.unit.const(_module(), "perturbation")), "inject")
    args = [nodes.name(tr.unit.xp), dz if dz is not None else nodes.const(None), nodes.clone(znode), nodes.const(name)]
    return nodes.call(fn, args, keywords)


def _module():
    import sys

    return sys.modules[__name__]


def _definitions(tr):
    """name -> list of the values assigned to it (single-name targets only) in the transformed function;
    a name assigned any other way (augmented, tuple target, loop target) maps to None."""
    cache = tr.__dict__.get("_perturb_defs")
    if cache is not None:
        return cache
    out = {}
    for n in gast.walk(tr.fnode):
        if isinstance(n, gast.Assign):
            for t in n.targets:
                if isinstance(t, gast.Name):
                    if len(n.targets) == 1 and out.get(t.id, []) is not None:
                        out.setdefault(t.id, []).append(n.value)
                    else:
                        out[t.id] = None
                else:
                    for m in gast.walk(t):
                        if isinstance(m, gast.Name) and isinstance(m.ctx, gast.Store):
                            out[m.id] = None
        elif isinstance(n, (gast.AugAssign, gast.AnnAssign, gast.For, gast.withitem, gast.NamedExpr)):
            target = getattr(n, "target", None) or getattr(n, "optional_vars", None)
            for m in gast.walk(target) if target is not None else ():
                if isinstance(m, gast.Name):
                    out[m.id] = None
    for a in tr.fnode.args.args + tr.fnode.args.posonlyargs + tr.fnode.args.kwonlyargs:
        if a.id in out and out[a.id] is not None:
            out[a.id] = None  # a parameter rebound in the body: two values
    tr.__dict__["_perturb_defs"] = out
    return out


def _params(tr):
    a = tr.fnode.args
    return {x.id for x in a.posonlyargs + a.args + a.kwonlyargs}


def _value_of(tr, node, exclude=None):
    """The one expression assigned to the local ``node`` (a Name) in the user's function, or None."""
    if not isinstance(node, gast.Name):
        return None
    values = _definitions(tr).get(node.id)
    if not values:
        return None
    values = [v for v in values if v is not exclude]
    return values[0] if len(values) == 1 else None


def _resolve(tr, node):
    """``node`` itself, or for a local name assigned once the expression assigned to it."""
    if isinstance(node, gast.Name) and node.id not in _params(tr):
        return _value_of(tr, node)
    return node


def _single(tr, node):
    """Whether every name in ``node`` means one value throughout the function (a parameter never
    rebound, a local assigned exactly once, a global): then the generated code can re-read ``node``
    at the marker and get the value the linear map used."""
    defs = _definitions(tr)
    params = _params(tr)
    for n in gast.walk(node):
        if isinstance(n, gast.Name):
            if n.id in params and n.id in defs:
                return False
            if n.id not in params and n.id in defs and (defs[n.id] is None or len(defs[n.id]) != 1):
                return False
        elif isinstance(n, (gast.Call, gast.Lambda, gast.NamedExpr)) and not _is_reshape(n):
            return False  # only views are re-read: a call could have effects or cost
    return True


def _is_call_to(tr, call, *objs):
    if not isinstance(call, gast.Call):
        return False
    obj = tr.info.resolve(call.func, tr.visible_locals)
    return any(obj is o for o in objs)


def _original_call(tr, call):
    """The marker call as the user wrote it (the transform sees it lowered: arguments are temporaries)."""
    for n in gast.walk(tr.fnode):
        if (
            isinstance(n, gast.Call)
            and getattr(n, "lineno", None) == getattr(call, "lineno", -1)
            and getattr(n, "col_offset", None) == getattr(call, "col_offset", -1)
            and tr.info.resolve(n.func, tr.visible_locals) is perturb  # not perturb(...).reshape(...)
        ):
            return n
    return None


def _linear_site(tr, call):
    """``(inputs node, weight key, bias key, einsum spec)`` when the marker's argument is
    ``map(h, W) [+ b]`` up to reshapes, else None."""
    orig = _original_call(tr, call)
    if orig is None:
        return None
    arg = orig.args[0] if orig.args else next((k.value for k in orig.keywords if k.arg == "z"), None)
    value = _value_of(tr, arg, exclude=orig) if isinstance(arg, gast.Name) else arg
    bias = None
    for _ in range(8):  # reshapes and one bias add, outermost first
        if value is None:
            return None
        if isinstance(value, gast.BinOp) and isinstance(value.op, gast.Add) and bias is None:
            for lin, b in ((value.left, value.right), (value.right, value.left)):
                inner = _resolve(tr, lin)
                if inner is not None and _is_linear(tr, inner, deep=True):
                    bias, value = _param_key(tr, b) or "?", inner
                    break
            else:
                return None
            continue
        if _is_reshape(value):
            value = _resolve(tr, value.func.value)
            continue
        break
    if value is None or not _is_linear(tr, value):
        return None
    if isinstance(value, gast.BinOp):
        h, w, spec = value.left, value.right, None
    elif _is_call_to(tr, value, np.einsum):
        if len(value.args) != 3 or not isinstance(value.args[0], gast.Constant) or value.keywords:
            return None
        spec, h, w = value.args[0].value, value.args[1], value.args[2]
    else:
        if len(value.args) != 2 or value.keywords:
            return None
        h, w, spec = value.args[0], value.args[1], None
    if not _single(tr, h):
        return h  # a recognised map whose input cannot be re-read at the marker
    return h, _param_key(tr, w), None if bias == "?" else bias, spec


def _is_reshape(value):
    return isinstance(value, gast.Call) and isinstance(value.func, gast.Attribute) and value.func.attr == "reshape"


def _is_linear(tr, value, deep=False):
    """Whether ``value`` is a recognised linear map (``deep``: also through reshapes)."""
    for _ in range(8):
        if isinstance(value, gast.BinOp) and isinstance(value.op, gast.MatMult):
            return True
        if _is_call_to(tr, value, np.dot, np.matmul, np.einsum):
            return True
        if deep and _is_reshape(value):
            value = _resolve(tr, value.func.value)
            if value is None:
                return False
            continue
        return False
    return False


def _param_key(tr, node):
    """The key ``'W1'`` when ``node`` is (a reshape of) ``params['W1']`` with ``params`` a parameter of
    the function; None when the weight is some other value (the estimator then refuses the site)."""
    for _ in range(8):
        if isinstance(node, gast.Subscript):
            if (
                isinstance(node.value, gast.Name)
                and node.value.id in _params(tr)
                and isinstance(node.slice, gast.Constant)
                and isinstance(node.slice.value, str)
            ):
                return node.slice.value
            return None
        if _is_reshape(node):
            node = node.func.value
            continue
        if isinstance(node, gast.Name):
            node = _resolve(tr, node)
            continue
        return None
    return None


RULE = registry.defjvp(perturb, "z, name=None", "dz", name="tangent_fwd.perturb")
# forward over forward (jacfwd, hessian of a marked function): the generated call is linear in the
# incoming tangent; the injected direction is a constant of the outer derivative
registry.deflinear(
    inject,
    "xp, dz, z, name, inputs=None, weight=None, bias=None, spec=None",
    linear_in=("dz",),
    constant=("z", "inputs"),
    name="tangent_fwd.perturbation.inject",
)
RULE.tangent_source = True  # activity.py: the marker's result may carry a tangent even if z does not
RULE.expand = _expand  # transform.py: the tangent expression comes from _expand
registry.changed()


# ------------------------------------------------------------------------------------------------ entry
def perturbed_jvp(
    func: Callable[..., Any],
    primals: tuple,
    tangents: tuple | None = None,
    *,
    perturbations: Mapping[str, Any],
    vectorized: bool = False,
    backend: str = "auto",
    sites: dict | None = None,
    directions: int | None = None,
) -> tuple[Any, Any]:
    """``(func(*primals), tangent)`` where the tangent is the JVP along ``tangents`` (None, or one per
    argument with None for undifferentiated ones, as in :func:`tangent_fwd.jvp`) plus, at every
    ``tangent_fwd.perturb(z, name=s)`` site, the injected ``perturbations[s]`` (shape of ``z``; with
    ``vectorized=True`` shape (K,) + that, the K directions of one pass).

    ``sites``: a dict that receives, for every site the call reached, a :class:`SiteRecord` (its value,
    the input of its linear map, the keys of its weight and bias, the tangent injected there).

    ``perturbations`` may also be a callable ``draw(name, z)`` returning the tangent for the site (or
    None to leave it unperturbed), called when the site is reached: directions drawn for sites whose
    shapes the caller does not know in advance (``directions=K`` gives K in vector mode)."""
    if callable(perturbations) and not isinstance(perturbations, Mapping):
        if vectorized and (isinstance(directions, bool) or not isinstance(directions, int) or directions < 1):
            raise ArgumentError("a callable perturbations= with vectorized=True needs directions=K")
    elif directions is not None:
        raise ArgumentError("directions= is for a callable perturbations=; a dict's leading axis gives K")
    elif not isinstance(perturbations, Mapping):
        raise ArgumentError(
            f"perturbations must be a dict of site name -> tangent (or a callable draw(name, z)), "
            f"got {type(perturbations).__name__}"
        )
    if not isinstance(primals, (tuple, list)):
        raise ArgumentError("perturbed_jvp(func, primals, ...): primals must be a tuple")
    k = directions if callable(perturbations) and vectorized else None
    if vectorized and not callable(perturbations):
        for s, u in perturbations.items():
            shape = getattr(u, "shape", None)
            if not shape:
                raise ArgumentError(f"vectorized perturbation for site {s!r} needs a leading axis of K directions")
            if k is None:
                k = shape[0]
            elif shape[0] != k:
                raise ArgumentError(f"perturbation for site {s!r} has {shape[0]} directions, another has {k}")
        if k is None:
            raise ArgumentError("vectorized=True needs at least one perturbation (they give K)")
    ctx = _Context(perturbations if callable(perturbations) else dict(perturbations), k)
    stack = _LOCAL.__dict__.setdefault("stack", [])
    stack.append(ctx)
    try:
        if tangents is not None and any(t is not None for t in tangents):
            value, tangent = _API_JVP[0](func, tuple(primals), tuple(tangents), backend=backend, vectorized=vectorized)
        else:
            value, tangent = _sites_only(func, tuple(primals), backend, vectorized, k)
    finally:
        stack.pop()
    _check_reached(func, ctx)
    if sites is not None:
        sites.update(ctx.records)
    return value, tangent


def _sites_only(func, primals, backend, vectorized, k):
    """The JVP with tangents starting at the marked sites only (no differentiated argument)."""
    from . import backends
    from .runtime import bfinish

    if backend == "auto":
        backend = backends.detect(list(primals), [f"argument {i}" for i in range(len(primals))])
    value, tangent = compiled(func, backend, vectorized)[0](*primals)
    if tangent is None:
        raise ArgumentError(f"{getattr(func, '__name__', func)}: no perturbation site reaches the result")
    if vectorized:
        tangent = bfinish(tangent, value, k)
    return value, tangent


# tangent_fwd.jvp, set by the API when it is imported (the API imports this module: the reverse is a cycle)
_API_JVP = [None]


def set_jvp(jvp: Callable[..., Any]) -> None:
    _API_JVP[0] = jvp


_UNITS = weakref.WeakKeyDictionary()  # func -> {(backend, vectorized): (fn, source, deps, registry version)}


def compiled(func: Callable[..., Any], backend: str = "numpy", vectorized: bool = False) -> tuple:
    """``(generated function, source)`` of ``func``'s JVP with tangents injected at its markers only:
    the generated function takes ``func``'s arguments and returns ``(value, tangent)``."""
    from . import backends
    from .compiler import Unit
    from .errors import TransformError
    from .parse import still_valid

    per = _UNITS.setdefault(func, {})
    hit = per.get((backend, vectorized))
    if hit is None or hit[3] != registry.version() or not still_valid(hit[2]):
        # (records=None: the arguments' kinds are not part of this cache's key, so a method named like an
        # array method on a value from an argument is checked when it runs)
        unit = Unit(func, (), backends.get(backend), vector=vectorized, records=None)
        unit.tangent_sources = _SOURCES  # transform.py: the root returns (value, tangent) with no wrt
        try:
            unit.build()
            fn, _ = unit.compile()
        except TransformError as exc:
            raise exc.with_traceback(None) from exc.__cause__  # without the compiler's frames, as the API
        hit = per[(backend, vectorized)] = (fn, unit.source, unit.dependencies, registry.version())
    return hit[0], hit[1]


class _Sources:
    """What the transform asks of a unit whose tangents start at markers only."""

    @staticmethod
    def directions_expr(tr):
        """Vector mode: K, read from the perturbations of the enclosing perturbed_jvp call."""
        return nodes.call(nodes.attr(nodes.name(tr.unit.const(_module(), "perturbation")), "directions"))


_SOURCES = _Sources()


def directions() -> int:
    """K, the number of directions of the enclosing vectorized perturbed_jvp (read by generated code)."""
    ctx = _current()
    if ctx is None or ctx.k is None:
        raise ArgumentError("this generated code injects K directions: call it through perturbed_jvp(vectorized=True)")
    return ctx.k


def source(func: Callable[..., Any], vectorized: bool = False, backend: str = "numpy") -> str:
    """The generated source of :func:`perturbed_jvp`'s pass when no argument is differentiated."""
    return compiled(func, backend, vectorized)[1]


def _check_reached(func, ctx):
    fname = getattr(func, "__name__", "the function")
    seen = set(ctx.records) | set(ctx.primal_reached)
    if callable(ctx.values):
        given = set(ctx.injected)
    else:
        given = set(ctx.values)
    unknown = sorted(given - seen)
    if unknown:
        raise ArgumentError(
            f"perturbations given for {', '.join(map(repr, unknown))}, but {fname} reached no "
            f"tangent_fwd.perturb site of that name in this call; its sites: {', '.join(map(repr, sorted(seen))) or 'none'}"
        )
    dropped = sorted(s for s in ctx.primal_reached if s not in ctx.records and (callable(ctx.values) or s in given))
    if dropped:
        raise ArgumentError(
            f"site(s) {', '.join(map(repr, dropped))} ran in code that tangent_fwd did not differentiate "
            f"(a function called with no differentiated argument): the injected tangent would be lost",
            hint="put the markers in the function given to perturbed_jvp, or pass a differentiated value "
            "into the function that holds them",
        )
