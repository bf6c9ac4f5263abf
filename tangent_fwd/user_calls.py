"""Calls into user functions, for the statement walker (transform.py).

A call whose callee has Python source (a module-level function, a nested def, a forward_diff object,
NumPy/SciPy code without a rule) is not differentiated through a rule: the callee is specialised to
the arguments that carry tangents (a ``Spec``, compiled by ``compiler.Unit.request``, or a nested
def's JVP planned by ``plan_nested``) and the call becomes ``y, dy = f_jvp(args..., dargs...)``.
Calls through function values the compiler cannot know go to dynamic_calls.py.

Functions here take the ``FunctionTransformer`` explicitly (no mixin). ``Spec`` lives here because
planning nested defs creates them; compiler.py reads it through transform.py.
"""

import gast

from . import callables, dynamic_calls, nodes, record_kinds, registry
from .parse import MISSING, code_signature, is_user_function, library_source
from .states import LIVE


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


class _Placeholder:
    def __init__(self, key, node):
        self.key, self.node = key, node


def plan_nested(tr):
    """Before the body is walked, which nested defs get a JVP and for which parameters: from every call
    in this function, including calls from one nested def to another (defined before or after it),
    whose arguments are taken as differentiated (their activity is the caller's, not known here)."""
    module = gast.Module(body=tr.fnode.body, type_ignores=[])
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
        if d.name in tr.locals:  # a def of this function (not of a deeper nested one)
            by_name.setdefault(d.name, []).append(d)
    for name, ds in by_name.items():
        params = []
        for d in ds:
            params += [p.id for p in d.args.posonlyargs + d.args.args + d.args.kwonlyargs if p.id not in params]
        closure_active = bool(tr.nested_free.get(name, set()) & tr.act.active)
        active_params = set()
        for c in nodes.nodes_of(module, gast.Call):
            if not (isinstance(c.func, gast.Name) and c.func.id == name):
                continue
            if id(c) in inner_calls:  # called from a nested def: any argument may carry a tangent
                active_params |= set(params)
                continue
            for p, a in zip(params, c.args):
                if tr.act.expr(a):
                    active_params.add(p)
            for k in c.keywords:
                if k.arg in params and tr.act.expr(k.value):
                    active_params.add(k.arg)
        if name in tr.escaping:  # passed on as a value: called from anywhere, with any argument active
            active_params |= set(params)
        if not active_params and not closure_active:
            tr.nested[name] = None
            continue
        ordered = [p for p in params if p in active_params]
        spec = Spec(tr.info.func, tr.info, ordered, tr.namer.fresh(name + "_jvp"))
        # named now: a sibling defined earlier may call it before its own def is transformed
        spec.tangent_params = {p: tr.namer.tangent(p) for p in ordered}
        tr.nested[name] = spec


def user_callee(tr, call):
    f = call.func
    if dynamic_calls.forwards_active(tr, call):  # f(*args) / f(**kw) with differentiated values
        return ("dynamic", None)
    if isinstance(f, gast.Name) and f.id in tr.nested_scope():
        _check_not_rebound(tr, f)
        return ("nested", tr.nested_scope()[f.id])
    obj = tr.info.resolve(f, tr.visible_locals)
    python_version = dynamic_calls.builtin_replacement(obj, call)  # sorted(key=), reduce...: pystd.py
    if python_version is not None:
        return ("user", python_version)
    if obj is not MISSING and registry.lookup(obj) is None:
        generated = getattr(obj, "generated_function", None)
        if generated is not None:  # a forward_diff object: differentiate its generated code
            obj = generated(tr.unit.backend.name)
        if is_user_function(obj):
            return ("user", obj)
        if library_source(obj) is not None:  # NumPy/SciPy Python code without a rule: through its source
            return ("user", library_source(obj))
        if callables.is_indirect(obj):  # a bound method, partial or callable object: specialised when called
            return ("dynamic", None)
    if obj is MISSING and is_function_value(tr, f):
        return ("dynamic", None)
    return None


def _check_not_rebound(tr, f):
    """A nested def called by name is called through its JVP: refused when the name is also bound to
    another value on some path (``g = lambda z: z * x`` in one branch, ``g = plain`` in the other)."""
    scope = tr
    while scope is not None and f.id not in scope.nested:
        scope = scope.parent
    if scope is None:
        return
    for n in gast.walk(gast.Module(body=scope.fnode.body, type_ignores=[])):
        if isinstance(n, gast.Name) and n.id == f.id and isinstance(n.ctx, (gast.Store, gast.Del)):
            raise tr.error(
                f,
                f"the nested function {f.id!r} called here is also assigned another value in the function: "
                "which one is called is not followed",
                hint="give each function its own name and choose between the calls with an if",
            )


def is_function_value(tr, f):
    """Whether the callee ``f`` is a value the compiler cannot know (a parameter, ``self.forward``,
    ``layers[i]``) rather than a method of a differentiated value or one with a rule."""
    if isinstance(f, gast.Attribute):
        return not tr.act.expr(f.value) and registry.lookup_method(f.attr) is None
    return isinstance(f, (gast.Name, gast.Subscript, gast.Call))


def emit_user_call(tr, target, call, callee, out):
    kind, obj = callee
    if kind == "dynamic":
        return dynamic_calls.emit(tr, target, call, out)
    if kind == "nested":
        spec = obj
        if spec is None:
            out.append(nodes.assign(target, call))
            tr.set_zero(target, out)
            return
        binding = _bind_nested(tr, spec, call)
        dropped = [p for p, a in binding.items() if p not in spec.active_params and tr.t(a) is not None]
        if dropped:
            raise tr.error(
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
            raise tr.error(call, f"call to {obj.__qualname__}: {exc}") from None
        binding = {}
        for pname, val in bound.arguments.items():
            if isinstance(val, _Placeholder):
                binding[pname] = val.node
            elif isinstance(val, (tuple, dict)):
                for v in val.values() if isinstance(val, dict) else val:
                    if isinstance(getattr(v, "node", None), gast.Name):
                        tr.factored.densify(v.node.id, out)
        for pname, val in bound.arguments.items():
            if isinstance(val, (tuple, dict)) and any(
                tr.t(getattr(v, "node", None)) is not None for v in (val.values() if isinstance(val, dict) else val)
            ):  # *args / **kwargs of the callee receive differentiated values: a tuple / dict of tangents
                binding[pname] = dynamic_calls.pack(tr, val, out)
        structs = tr.factored.call_structs(binding)
        params = [p for p in sig.parameters if p in binding and (p in structs or tr.t(binding[p]) is not None)]
        if not params:
            out.append(nodes.assign(target, call))
            tr.set_zero(target, out)
            return
        guarded = tr.guard_depth or tr.spec.guarded
        # specialised also on which arguments are records (g.sum() inside: the record's own sum)
        spec = record_kinds.request_callee(tr, obj, params, structs, guarded, sig, binding, out)
        if spec.called_from is None:  # where a refusal inside library code is reported
            spec.called_from = (tr.spec, tr.info, call)
    kws = [
        (
            spec.tangent_params[p],
            (
                tr.factored.d(binding[p])
                if tr.factored.is_factored(getattr(binding[p], "id", None))
                else tr.t_or_zeros(binding[p])
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
        nodes.assign(nodes.tuple_([nodes.store(target), nodes.store(tr.tangent_name(target))], gast.Store()), jcall)
    )
    tr.state[target] = LIVE


def _bind_nested(tr, spec, call):
    fdef = None
    for s in gast.walk(gast.Module(body=tr.fnode.body, type_ignores=[])):
        if isinstance(s, gast.FunctionDef) and s.name in tr.nested and tr.nested[s.name] is spec:
            fdef = s
    scope = tr
    while fdef is None and scope.parent is not None:
        scope = scope.parent
        for s in gast.walk(gast.Module(body=scope.fnode.body, type_ignores=[])):
            if isinstance(s, gast.FunctionDef) and scope.nested.get(s.name) is spec:
                fdef = s
    params = [p.id for p in fdef.args.posonlyargs + fdef.args.args]
    named = set(params) | {p.id for p in fdef.args.kwonlyargs}
    # a differentiated value that lands in the nested def's *args or **kwargs is not followed
    extra = [k.value for k in call.keywords if k.arg and k.arg not in named] + list(call.args[len(params) :])
    if any(tr.t(a) is not None for a in extra):
        raise tr.error(
            call,
            f"differentiated values passed into '*args' or '**kwargs' of the nested function "
            f"{fdef.name!r} are not supported",
            hint="name the parameter in the nested def, or define the function at module level",
        )
    binding = dict(zip(params, call.args))
    binding.update({k.arg: k.value for k in call.keywords if k.arg})
    return binding
