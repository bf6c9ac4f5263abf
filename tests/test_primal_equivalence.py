"""Soundness harness (issue 12): "never silently wrong", checked on the whole corpus.

1. Primal equivalence, on every corpus case: the value the generated code returns equals the value of a
   plain call bit for bit (same containers, leaf types, dtypes), and the arguments and the module state
   the function can see end in the same state. Module state is every corpus module's globals (arrays,
   lists, dicts, counters, objects), the cells of module-level closures and the defaults of module-level
   functions: it is snapshotted before each run, restored between the plain run and the jvp run, and
   compared afterwards.
2. Derivatives, on the soundness cases (``tests/corpus/soundness_*.py``), in four modes, each against
   float64 central finite differences: scalar ``jvp``, vector mode (K directions in one pass),
   ``jacfwd`` (one float or float-array argument, float or float-array output) and ``hessian`` (scalar
   output of one argument).

Acceptance: a correct result, or, only for cases listed in their module's ``REFUSAL_OK`` set, a clean
``tangent_fwd.TransformError``. Any other exception, a refusal of another case, or a wrong value fails.

3. Stale code: a callee rebound at module level (or hot-reloaded in place) after the first call must be
   the one the next jvp uses.
"""

import copy
import dataclasses
import importlib
import sys
import types

import numpy as np
import pytest
from corpus import MODULES, load
from test_corpus import (
    FD_ATOL,
    FD_RTOL,
    _scale,
    assert_identical,
    finite_difference,
    flatten,
    make_args,
    make_direction,
    tangent_leaves,
    tree_map,
)
from test_higher_order import fd_jacobian

import tangent_fwd

K = 3
NEW_PREFIX = "soundness_"
CASES = load(include_refusable=True)  # the other harnesses leave the REFUSAL_OK cases to this one
CORPUS_MODULES = [importlib.import_module(f"corpus.{m}") for m in MODULES]
REFUSAL_OK = {f"{m.__name__.rsplit('.', 1)[-1]}.{n}" for m in CORPUS_MODULES for n in getattr(m, "REFUSAL_OK", ())}
NEW_CASES = [c for c in CASES if c.name.startswith(NEW_PREFIX)]


# ------------------------------------------------------------------ module state: snapshot, restore, compare
def _is_code(v):
    return isinstance(
        v, (types.ModuleType, types.FunctionType, types.BuiltinFunctionType, types.MethodType, type)
    ) or callable(getattr(v, "__wrapped__", None))


def _holders():
    """(key, getter, setter) for every piece of state a corpus function can reach by name."""
    out = []
    for mod in CORPUS_MODULES:
        g = vars(mod)
        mname = mod.__name__
        for name, v in list(g.items()):
            if name.startswith("__"):
                continue
            if isinstance(v, types.FunctionType):
                if v.__module__ != mname:
                    continue
                for i, cell in enumerate(v.__closure__ or ()):
                    out.append(((mname, name, "cell", i), cell))
                if v.__defaults__:
                    out.append(((mname, name, "defaults"), v))
                if v.__kwdefaults__:
                    out.append(((mname, name, "kwdefaults"), v))
            elif not _is_code(v):
                out.append(((mname, name), g))
    return out


def _read(key, holder):
    if isinstance(holder, dict):
        return holder.get(key[1], _MISSING)
    if isinstance(holder, types.CellType):
        try:
            return holder.cell_contents
        except ValueError:
            return _MISSING
    return holder.__defaults__ if key[2] == "defaults" else holder.__kwdefaults__


_MISSING = object()


def _deepcopy(v):
    if v is _MISSING or _is_code(v):
        return v
    try:
        return copy.deepcopy(v)
    except Exception:
        return v


def snapshot():
    return {key: (holder, _deepcopy(_read(key, holder))) for key, holder in _holders()}


def _restore_into(cur, snap):
    """Put ``snap``'s contents back, in place where possible (other names may hold the same object)."""
    if cur is snap or _is_code(snap) or snap is _MISSING:
        return snap
    if isinstance(cur, np.ndarray) and isinstance(snap, np.ndarray):
        if cur.shape == snap.shape and cur.dtype == snap.dtype and cur.flags.writeable:
            cur[...] = snap
            return cur
    elif isinstance(cur, list) and isinstance(snap, list):
        cur[:] = copy.deepcopy(snap)
        return cur
    elif isinstance(cur, dict) and isinstance(snap, dict):
        cur.clear()
        cur.update(copy.deepcopy(snap))
        return cur
    elif isinstance(cur, tuple) and isinstance(snap, tuple) and len(cur) == len(snap):
        return tuple(_restore_into(a, b) for a, b in zip(cur, snap))
    elif type(cur) is type(snap) and hasattr(snap, "__dict__") and not _is_code(snap):
        vars(cur).clear()
        vars(cur).update(copy.deepcopy(vars(snap)))
        return cur
    return copy.deepcopy(snap)


def restore(snap):
    for key, (holder, value) in snap.items():
        cur = _read(key, holder)
        new = _restore_into(cur, value)
        if isinstance(holder, dict):
            if new is _MISSING:
                holder.pop(key[1], None)
            elif new is not cur:
                holder[key[1]] = new
        elif isinstance(holder, types.CellType):
            if new is not _MISSING and new is not cur:
                holder.cell_contents = new
        elif key[2] == "defaults":
            holder.__defaults__ = new
        else:
            holder.__kwdefaults__ = new
    # names a run added to a module (``global NEW; NEW = ...``) go away again
    keys = {k[:2] for k in snap if len(k) == 2}
    for mod in CORPUS_MODULES:
        for name in [n for n, v in vars(mod).items() if not n.startswith("__") and not _is_code(v)]:
            if (mod.__name__, name) not in keys:
                delattr(mod, name)


def _norm(v):
    """A comparable view of a value: objects become dicts of their attributes, sets sorted lists."""
    if isinstance(v, dict):
        return {k: _norm(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return type(v)(_norm(x) for x in v) if not hasattr(v, "_fields") else tuple(_norm(x) for x in v)
    if isinstance(v, (set, frozenset)):
        return sorted(v, key=repr)
    if isinstance(v, types.CellType) or _is_code(v) or v is _MISSING:
        return repr(v) if v is _MISSING else v
    if hasattr(v, "__dict__") and not isinstance(v, (np.ndarray, np.generic)):
        return {"<class>": type(v).__name__, **{k: _norm(x) for k, x in vars(v).items()}}
    return v


def state_view(snap):
    return {key: _norm(value) for key, (_, value) in snap.items() if not _is_code(value)}


def assert_same_state(got, want, what):
    assert list(got) == list(want), f"{what}: state keys differ"
    for key in want:
        g, w = got[key], want[key]
        if _is_code(w):
            assert g is w, f"{what} {key}: {g!r} is not {w!r}"
        else:
            assert_identical(g, w, path=".".join(map(str, key)), what=what)


# ------------------------------------------------------------------ running
def _refused(c, exc, mode):
    if c.name in REFUSAL_OK:
        return True
    pytest.fail(f"{mode}: refusal where not allowed: {type(exc).__name__}: {exc}")


def _resetting(c, s0):
    """``c`` with a function that starts every call from the module state ``s0``."""

    def func(*args):
        restore(s0)
        return c.func(*args)

    return dataclasses.replace(c, func=func)


def _plain(c, args, s0):
    restore(s0)
    a = copy.deepcopy(args)
    value = copy.deepcopy(c.func(*a))
    return value, a, state_view(snapshot())


def _batched(c, args):
    """K directions per differentiated argument: the single directions and their stack."""
    dirs = [make_direction(c, args, k) for k in range(1, K + 1)]
    stacked = tuple(
        None if i not in c.wrt else tree_map(lambda *xs: np.stack([np.asarray(x) for x in xs]), *(d[i] for d in dirs))
        for i in range(len(args))
    )
    return dirs, stacked


def _check_tangent_against_fd(c, value, tangent, fd, what):
    rtol = FD_RTOL if c.rtol is None else c.rtol
    atol = FD_ATOL if c.atol is None else c.atol
    for (path, v, t), (_, d) in zip(tangent_leaves(value, tangent), fd):
        if d is None:
            assert t is None or np.all(np.asarray(t) == 0), f"{what} {path}: non-float output has tangent {t!r}"
            continue
        assert np.shape(t) == np.shape(v), f"{what} {path}: tangent shape {np.shape(t)} != value shape {np.shape(v)}"
        t = np.asarray(t, np.float64)
        bound = rtol * np.abs(d) + atol * _scale(v, d)
        err = np.abs(t - d)
        assert np.all(err <= bound), (
            f"{what} {path}: tangent differs from finite differences (max err {np.max(err):.3g})\n"
            f"tangent={t!r}\nfd     ={d!r}"
        )


def _one_float_arg(c, args, max_size):
    if len(c.wrt) != 1:
        return False
    x = args[c.wrt[0]]
    if isinstance(x, float):
        return True
    return isinstance(x, np.ndarray) and x.dtype.kind == "f" and x.size <= max_size


def _float_out(v):
    return isinstance(v, (float, np.floating)) or (isinstance(v, np.ndarray) and v.dtype.kind == "f")


def _applicable():
    """New cases for jacfwd and for hessian (decided from one plain call, module state restored)."""
    jac, hess = [], []
    s0 = snapshot()
    try:
        for c in NEW_CASES:
            args = make_args(c)
            try:
                value = c.func(*copy.deepcopy(args))
            finally:
                restore(s0)
            if _one_float_arg(c, args, 16) and _float_out(value):
                jac.append(c)
                if not c.mutates and _one_float_arg(c, args, 8) and np.ndim(value) == 0:
                    hess.append(c)
    finally:
        restore(s0)
    return jac, hess


JAC_CASES, HESS_CASES = _applicable()


def _ids(cases):
    return [pytest.param(c, id=c.name) for c in cases]


# ------------------------------------------------------------------ 1. primal equivalence (whole corpus)
@pytest.mark.parametrize("c", _ids(CASES))
def test_primal_equivalence(c):
    args = make_args(c)
    tangents = make_direction(c, args)
    s0 = snapshot()
    try:
        want, want_args, want_state = _plain(c, args, s0)
        restore(s0)
        got_args = copy.deepcopy(args)
        try:
            got, _ = tangent_fwd.jvp(c.func, got_args, copy.deepcopy(tangents))
        except tangent_fwd.TransformError as e:
            _refused(c, e, "jvp")
            return
        got = copy.deepcopy(got)
        got_state = state_view(snapshot())
    finally:
        restore(s0)
    assert_identical(got, want, what="primal value")
    assert_identical(_norm(got_args), _norm(want_args), what="argument after the call")
    assert_same_state(got_state, want_state, what="module state after the call")


# ------------------------------------------------------------------ 2. derivatives of the soundness cases
@pytest.mark.parametrize("c", _ids(NEW_CASES))
def test_jvp_against_finite_differences(c):
    args = make_args(c)
    tangents = make_direction(c, args)
    s0 = snapshot()
    try:
        restore(s0)
        try:
            value, tangent = tangent_fwd.jvp(c.func, copy.deepcopy(args), copy.deepcopy(tangents))
        except tangent_fwd.TransformError as e:
            _refused(c, e, "jvp")
            return
        value, tangent = copy.deepcopy(value), copy.deepcopy(tangent)
        fd = finite_difference(_resetting(c, s0), args, tangents)
    finally:
        restore(s0)
    _check_tangent_against_fd(c, value, tangent, fd, "jvp")


@pytest.mark.parametrize("c", _ids(NEW_CASES))
def test_vector_mode_against_finite_differences(c):
    args = make_args(c)
    dirs, batched = _batched(c, args)
    s0 = snapshot()
    try:
        want, _, _ = _plain(c, args, s0)
        restore(s0)
        try:
            value, tangent = tangent_fwd.jvp(c.func, copy.deepcopy(args), copy.deepcopy(batched), vectorized=True)
        except tangent_fwd.TransformError as e:
            _refused(c, e, "vector jvp")
            return
        value, tangent = copy.deepcopy(value), copy.deepcopy(tangent)
        fds = [finite_difference(_resetting(c, s0), args, d) for d in dirs]
    finally:
        restore(s0)
    assert_identical(value, want, what="vector-mode primal value")
    vl, tl = flatten(value), flatten(tangent)
    assert [p for p, _ in vl] == [p for p, _ in tl], f"tangent structure {[p for p, _ in tl]} != {[p for p, _ in vl]}"
    for j, ((path, v), (_, t)) in enumerate(zip(vl, tl)):
        if fds[0][j][1] is None:
            assert t is None or np.all(np.asarray(t) == 0), f"{path}: non-float output has tangent {t!r}"
            continue
        assert np.shape(t) == (K,) + np.shape(v), f"{path}: vector tangent shape {np.shape(t)}, value {np.shape(v)}"
        for k in range(K):
            d = fds[k][j][1]
            tk = np.asarray(t, np.float64)[k]
            rtol = FD_RTOL if c.rtol is None else c.rtol
            atol = FD_ATOL if c.atol is None else c.atol
            bound = rtol * np.abs(d) + atol * _scale(v, d)
            err = np.abs(tk - d)
            assert np.all(err <= bound), (
                f"vector mode {path}, direction {k}: differs from finite differences (max err {np.max(err):.3g})\n"
                f"tangent={tk!r}\nfd     ={d!r}"
            )


def _against_reference(c, mode, transform, reference):
    """``transform(f, wrt=i)(*args)`` as a float array (None where the case may be and is refused) and
    ``reference(f, args, i)``, both from the module state the case starts in."""
    args = make_args(c)
    i = c.wrt[0]
    s0 = snapshot()
    try:
        restore(s0)
        try:
            got = transform(c.func, wrt=i)(*copy.deepcopy(args))
        except tangent_fwd.TransformError as e:
            _refused(c, e, mode)
            return None
        got = np.asarray(copy.deepcopy(got), dtype=float)
        return got, reference(_resetting(c, s0).func, args, i)
    finally:
        restore(s0)


@pytest.mark.parametrize("c", _ids(JAC_CASES))
def test_jacfwd_against_finite_differences(c):
    def reference(f, args, i):
        return fd_jacobian(lambda *a: f(*copy.deepcopy(a)), args[i], i, copy.deepcopy(args))

    result = _against_reference(c, "jacfwd", tangent_fwd.jacfwd, reference)
    if result is None:
        return
    J, want = result
    assert J.shape == want.shape, f"jacfwd shape {J.shape} != {want.shape}"
    np.testing.assert_allclose(J, want, rtol=1e-5, atol=1e-6 * max(1.0, np.abs(want).max(initial=0.0)))


def _fd_hessian(f, x, i, args, h=1e-4):
    def at(v):
        a = list(copy.deepcopy(args))
        a[i] = v
        return float(np.asarray(f(*a), dtype=float))

    scalar = isinstance(x, float)
    n = 1 if scalar else x.size
    H = np.zeros((n, n))
    for p in range(n):
        for q in range(n):
            ep = 1.0 if scalar else np.eye(n)[p].reshape(x.shape)
            eq = 1.0 if scalar else np.eye(n)[q].reshape(x.shape)
            H[p, q] = (
                at(x + h * ep + h * eq) - at(x + h * ep - h * eq) - at(x - h * ep + h * eq) + at(x - h * ep - h * eq)
            ) / (4 * h * h)
    return H.reshape(()) if scalar else H.reshape(x.shape + x.shape)


@pytest.mark.parametrize("c", _ids(HESS_CASES))
def test_hessian_against_finite_differences(c):
    def reference(f, args, i):
        value = float(np.asarray(f(*copy.deepcopy(args)), dtype=float))
        return _fd_hessian(f, args[i], i, args), value

    result = _against_reference(c, "hessian", tangent_fwd.hessian, reference)
    if result is None:
        return
    H, (want, value) = result
    assert H.shape == want.shape, f"hessian shape {H.shape} != {want.shape}"
    scale = max(1.0, abs(value), np.abs(want).max(initial=0.0))
    np.testing.assert_allclose(H, want, rtol=1e-4, atol=1e-5 * scale)


def test_harness_sees_module_state_changes():
    """The state comparison is not vacuous: changes to a module dict, a list, a closure cell and a mutable
    default are all seen, and restore() undoes them in place."""
    from corpus import soundness_order as so
    from corpus import soundness_scopes as sc

    s0 = snapshot()
    before = state_view(s0)
    counter, log = so.COUNTER, so.ORDER_LOG
    try:
        for change in (
            lambda: counter.__setitem__("n", counter["n"] + 5),
            lambda: log.append("x"),
            lambda: sc.tick_by_3(1.0),
            lambda: sc._memo_mul(1.0),
        ):
            change()
            with pytest.raises(AssertionError):
                assert_same_state(state_view(snapshot()), before, what="state")
            restore(s0)
            assert_same_state(state_view(snapshot()), before, what="state")
        assert so.COUNTER is counter and so.ORDER_LOG is log
    finally:
        restore(s0)


def test_refusal_ok_names_are_cases():
    names = {c.name for c in CASES}
    assert REFUSAL_OK <= names, f"REFUSAL_OK names no case: {sorted(REFUSAL_OK - names)}"


# ------------------------------------------------------------------ 3. stale code
_STALE_SCALE = 2.0


def _stale_callee(v):
    return v * 2.0


def _stale_callee_cubed(v):
    return v**3


def _stale_caller(x):
    return _stale_callee(x) + x


def _stale_scaled(v):
    return v * _STALE_SCALE


def _stale_caller_of_scaled(x):
    return _stale_scaled(x) * x


def _stale_reloaded(v):
    return v * 2.0


def _stale_reloaded_new_body(v):
    return np.sin(v) * v


def _stale_caller_of_reloaded(x):
    return _stale_reloaded(x) - x


_X = np.array([0.5, -1.0, 2.0])
_T = np.array([1.0, 0.5, -2.0])


def test_callee_rebound_at_module_level_after_first_call():
    """The jvp (and a forward_diff made before the rebinding) use the callee the name holds now."""
    fd = tangent_fwd.forward_diff(_stale_caller)
    _, t = tangent_fwd.jvp(_stale_caller, (_X,), (_T,))
    np.testing.assert_allclose(t, 3.0 * _T)
    g = globals()
    g["_stale_callee"] = _stale_callee_cubed
    try:
        value, t = tangent_fwd.jvp(_stale_caller, (_X,), (_T,))
        assert_identical(value, _stale_caller(_X))
        np.testing.assert_allclose(t, (3.0 * _X**2 + 1.0) * _T)
        value, t = fd(_X, _T)
        assert_identical(value, _stale_caller(_X))
        np.testing.assert_allclose(t, (3.0 * _X**2 + 1.0) * _T)
    finally:
        g["_stale_callee"] = _stale_callee


def test_module_global_read_by_callee_changes_after_first_call():
    global _STALE_SCALE
    tangent_fwd.jvp(_stale_caller_of_scaled, (_X,), (_T,))
    _STALE_SCALE = 5.0
    try:
        value, t = tangent_fwd.jvp(_stale_caller_of_scaled, (_X,), (_T,))
        assert_identical(value, _stale_caller_of_scaled(_X))
        np.testing.assert_allclose(t, 10.0 * _X * _T)
    finally:
        _STALE_SCALE = 2.0


def test_callee_code_replaced_in_place_after_first_call():
    """Hot reloading (IPython's autoreload) swaps ``__code__`` of the same function object."""
    old = _stale_reloaded.__code__
    tangent_fwd.jvp(_stale_caller_of_reloaded, (_X,), (_T,))
    _stale_reloaded.__code__ = _stale_reloaded_new_body.__code__
    try:
        value, t = tangent_fwd.jvp(_stale_caller_of_reloaded, (_X,), (_T,))
        assert_identical(value, _stale_caller_of_reloaded(_X))
        np.testing.assert_allclose(t, (np.cos(_X) * _X + np.sin(_X) - 1.0) * _T)
    finally:
        _stale_reloaded.__code__ = old


if __name__ == "__main__":  # pragma: no cover
    sys.exit(pytest.main([__file__, "-q"]))
