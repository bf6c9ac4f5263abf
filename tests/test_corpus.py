"""Run every function of the derivative corpus (tests/corpus) through tangent_fwd.jvp and check:

1. the JVP against float64 central finite differences along a seeded random direction;
2. the primal value (exactly ``func(*args)``, same output structure and leaf types);
3. linearity of the JVP in the tangent;
4. float32 inputs give float32 tangents that match the float64 JVP;
5. inputs (and tangents) are not mutated; a case that mutates its inputs on purpose mutates them
   exactly as a plain call does;
6. ``forward_diff(f, wrt=...)`` agrees exactly with ``jvp``.
"""

import copy
import os
import sys
import zlib

import numpy as np
import pytest

import tangent_fwd

sys.path.insert(0, os.path.dirname(__file__))
from corpus import load  # noqa: E402
from corpus.unsupported import UNSUPPORTED  # noqa: E402

CASES = load()
PARAMS = [pytest.param(c, id=c.name) for c in CASES]

# Central differences with h = 1e-6 have truncation error ~h^2 and rounding error ~1e-16/h relative
# to the size of the values, i.e. ~1e-10 for these smooth, well-scaled functions; over the whole
# corpus the largest observed |jvp - fd| is under 1% of the bound below: tight, but not flaky.
FD_STEP = 1e-6
FD_RTOL = 1e-6  # relative to the finite-difference value of each element
FD_ATOL = 1e-8  # relative to the scale of the output leaf (max |value|, max |fd|, 1)
LIN_RTOL = 1e-9
F32_RTOL = 2e-3  # float32 JVP vs float64 JVP, relative to each element and to the leaf's scale


# ------------------------------------------------------------------ pytrees
def _is_float_leaf(x):
    if isinstance(x, np.ndarray):
        return x.dtype.kind == "f"
    return isinstance(x, (float, np.floating)) and not isinstance(x, bool)


def tree_map(f, *trees):
    t0 = trees[0]
    if isinstance(t0, dict):
        return {k: tree_map(f, *(t[k] for t in trees)) for k in t0}
    if isinstance(t0, (list, tuple)):
        return type(t0)(tree_map(f, *xs) for xs in zip(*trees))
    return f(*trees)


def flatten(tree, path=""):
    if isinstance(tree, dict):
        return [p for k in tree for p in flatten(tree[k], f"{path}[{k!r}]")]
    if isinstance(tree, (list, tuple)):
        return [p for i, x in enumerate(tree) for p in flatten(x, f"{path}[{i}]")]
    return [(path or "<out>", tree)]


def rand_direction(x, rng):
    """A random tangent with the structure, shape and dtype of ``x`` (floats only)."""

    def leaf(v):
        if isinstance(v, np.ndarray):
            assert v.dtype.kind == "f", f"differentiated array leaf has dtype {v.dtype}"
            return rng.standard_normal(v.shape).astype(v.dtype)
        if isinstance(v, np.floating):
            return type(v)(rng.standard_normal())
        assert isinstance(v, float), f"differentiated leaf must be a float, got {type(v).__name__}"
        return float(rng.standard_normal())

    return tree_map(leaf, x)


def axpy(a, x, y):
    """a*x + y over a pytree (``y`` may be None: a*x)."""
    if y is None:
        return tree_map(lambda u: a * u, x)
    return tree_map(lambda u, w: a * u + w, x, y)


def to_float32(tree):
    def leaf(v):
        if isinstance(v, np.ndarray) and v.dtype == np.float64:
            return v.astype(np.float32)
        if isinstance(v, np.float64):
            return np.float32(v)
        return v

    return tree_map(leaf, tree)


def has_float_array(tree):
    return any(isinstance(v, np.ndarray) and v.dtype.kind == "f" for _, v in flatten(tree))


def assert_identical(a, b, path="<out>", what="value"):
    """Exact equality: same containers, same leaf types, same dtypes/shapes and values."""
    assert type(a) is type(b), f"{what} {path}: type {type(a).__name__} != expected {type(b).__name__}"
    if isinstance(b, dict):
        assert list(a) == list(b), f"{what} {path}: keys {list(a)} != expected {list(b)}"
        for k in b:
            assert_identical(a[k], b[k], f"{path}[{k!r}]", what)
    elif isinstance(b, (list, tuple)):
        assert len(a) == len(b), f"{what} {path}: length {len(a)} != expected {len(b)}"
        for i, (u, w) in enumerate(zip(a, b)):
            assert_identical(u, w, f"{path}[{i}]", what)
    elif isinstance(b, np.ndarray):
        assert a.dtype == b.dtype, f"{what} {path}: dtype {a.dtype} != expected {b.dtype}"
        assert a.shape == b.shape, f"{what} {path}: shape {a.shape} != expected {b.shape}"
        assert np.array_equal(a, b, equal_nan=True), f"{what} {path}: {a!r} != expected {b!r}"
    elif isinstance(b, (float, np.floating)) and np.isnan(b):
        assert np.isnan(a), f"{what} {path}: {a!r} != expected nan"
    else:
        if isinstance(b, np.generic):
            assert a.dtype == b.dtype, f"{what} {path}: dtype {a.dtype} != expected {b.dtype}"
        assert a == b, f"{what} {path}: {a!r} != expected {b!r}"


# ------------------------------------------------------------------ running a case
def _seed(c, k=0):
    return (zlib.crc32(c.name.encode()) + 7919 * k) % (2**32)


def make_args(c):
    return tuple(c.args(np.random.default_rng(_seed(c))))


def make_direction(c, args, k=1):
    rng = np.random.default_rng(_seed(c, k))
    return tuple(rand_direction(a, rng) if i in c.wrt else None for i, a in enumerate(args))


def call(c, args):
    return c.func(*copy.deepcopy(args))


def run_jvp(c, args, tangents):
    return tangent_fwd.jvp(c.func, copy.deepcopy(args), copy.deepcopy(tangents))


def finite_difference(c, args, tangents, h=FD_STEP):
    plus = tuple(a if t is None else axpy(h, t, a) for a, t in zip(args, tangents))
    minus = tuple(a if t is None else axpy(-h, t, a) for a, t in zip(args, tangents))
    fp, fm = call(c, plus), call(c, minus)
    out = []
    for (path, p), (_, m) in zip(flatten(fp), flatten(fm)):
        if _is_float_leaf(p) or (isinstance(p, np.ndarray) and p.dtype.kind == "c"):
            out.append((path, (np.asarray(p, np.float64) - np.asarray(m, np.float64)) / (2 * h)))
        else:
            out.append((path, None))  # ints, bools, strings: piecewise constant, zero tangent
    return out


def tangent_leaves(value, tangent):
    """Pair each output leaf with its tangent leaf (the tangent must have the output's structure)."""
    vl, tl = flatten(value), flatten(tangent)
    assert [p for p, _ in vl] == [p for p, _ in tl], (
        f"tangent structure {[p for p, _ in tl]} != value structure {[p for p, _ in vl]}"
    )
    return [(p, v, t) for (p, v), (_, t) in zip(vl, tl)]


def _scale(*xs):
    s = 1.0
    for x in xs:
        if x is not None:
            a = np.abs(np.asarray(x, np.float64))
            if a.size:
                s = max(s, float(np.max(a)))
    return s


# ------------------------------------------------------------------ the checks
@pytest.mark.parametrize("c", PARAMS)
def test_jvp_matches_finite_differences(c):
    args = make_args(c)
    tangents = make_direction(c, args)
    value, tangent = run_jvp(c, args, tangents)
    fd = finite_difference(c, args, tangents)
    rtol = FD_RTOL if c.rtol is None else c.rtol
    atol = FD_ATOL if c.atol is None else c.atol
    for (path, v, t), (_, d) in zip(tangent_leaves(value, tangent), fd):
        if d is None:
            assert t is None or np.all(np.asarray(t) == 0), f"{path}: non-float output has tangent {t!r}"
            continue
        assert np.shape(t) == np.shape(v), f"{path}: tangent shape {np.shape(t)} != value shape {np.shape(v)}"
        t = np.asarray(t, np.float64)
        bound = rtol * np.abs(d) + atol * _scale(v, d)
        err = np.abs(t - d)
        assert np.all(err <= bound), (
            f"{path}: JVP differs from finite differences (max err {np.max(err):.3g}, "
            f"bound {np.min(bound):.3g})\njvp={t!r}\nfd ={d!r}"
        )


@pytest.mark.parametrize("c", PARAMS)
def test_primal_unchanged(c):
    args = make_args(c)
    tangents = make_direction(c, args)
    value, tangent = run_jvp(c, args, tangents)
    assert_identical(value, call(c, args))
    tangent_leaves(value, tangent)


@pytest.mark.parametrize("c", PARAMS)
def test_jvp_is_linear(c):
    args = make_args(c)
    v1, v2 = make_direction(c, args, 1), make_direction(c, args, 2)
    a, b = 0.75, -1.25
    v = tuple(None if x is None else axpy(a, x, axpy(b, y, None)) for x, y in zip(v1, v2))
    _, t1 = run_jvp(c, args, v1)
    _, t2 = run_jvp(c, args, v2)
    value, t = run_jvp(c, args, v)
    for (path, val, x), (_, _, y), (_, _, z) in zip(
        tangent_leaves(value, t1), tangent_leaves(value, t2), tangent_leaves(value, t)
    ):
        if not _is_float_leaf(val):
            continue
        x, y, z = (np.asarray(u, np.float64) for u in (x, y, z))
        want = a * x + b * y
        bound = LIN_RTOL * np.abs(want) + LIN_RTOL * _scale(x, y, z)
        assert np.all(np.abs(z - want) <= bound), f"{path}: jvp(a*v1+b*v2)={z!r} != a*jvp(v1)+b*jvp(v2)={want!r}"


@pytest.mark.parametrize("c", PARAMS)
def test_float32(c):
    args = make_args(c)
    enabled = c.float32 if c.float32 is not None else any(has_float_array(args[i]) for i in c.wrt)
    if not enabled:
        pytest.skip("no float arrays among the differentiated arguments")
    tangents = make_direction(c, args)
    args32, tangents32 = to_float32(args), to_float32(tangents)
    tangents64 = tuple(
        None if t is None else tree_map(lambda u: u.astype(np.float64) if isinstance(u, np.ndarray) else u, t)
        for t in tangents32
    )
    _, t64 = run_jvp(c, args, tangents64)
    value32, t32 = run_jvp(c, args32, tangents32)
    for (path, v, t), (_, w) in zip(tangent_leaves(value32, t32), flatten(t64)):
        if not _is_float_leaf(v):
            continue
        if isinstance(v, (np.ndarray, np.generic)):
            # A float32 value needs a float32 tangent; a value that the function itself promotes to
            # float64 may keep a float32 tangent (zero tangents are symbolic, so promotion by an
            # inactive float64 operand is not seen), but never a wider one than the value.
            td = np.asarray(t).dtype
            ok = td == v.dtype if v.dtype == np.float32 else (td.kind == "f" and td.itemsize <= v.dtype.itemsize)
            assert ok, f"{path}: tangent dtype {td} for a value of dtype {v.dtype} with float32 inputs"
        w = np.asarray(w, np.float64)
        err = np.abs(np.asarray(t, np.float64) - w)
        bound = F32_RTOL * np.abs(w) + F32_RTOL * _scale(w)
        assert np.all(err <= bound), f"{path}: float32 JVP {t!r} != float64 JVP {w!r}"


@pytest.mark.parametrize("c", PARAMS)
def test_inputs_not_mutated(c):
    """Inputs and tangents are left alone; a case that mutates its inputs on purpose must leave the
    caller's arguments exactly as a plain call of the function does."""
    args = make_args(c)
    tangents = make_direction(c, args)
    a_copy, t_copy = copy.deepcopy(args), copy.deepcopy(tangents)
    tangent_fwd.jvp(c.func, args, tangents)
    if c.mutates:
        c.func(*a_copy)
        assert_identical(args, a_copy, what="argument (mutated as by a plain call)")
    else:
        assert_identical(args, a_copy, what="argument")
    assert_identical(tangents, t_copy, what="tangent")  # never: the caller may reuse its directions


@pytest.mark.parametrize("c", PARAMS)
def test_forward_diff_agrees_with_jvp(c):
    """``forward_diff(f, wrt=...)(*args, *tangents)`` gives exactly what ``jvp`` gives."""
    args = make_args(c)
    tangents = make_direction(c, args)
    want_v, want_t = run_jvp(c, args, tangents)
    fd = tangent_fwd.forward_diff(c.func, wrt=c.wrt)
    got_v, got_t = fd(*copy.deepcopy(args), *copy.deepcopy([tangents[i] for i in c.wrt]))
    assert_identical(got_v, want_v)
    assert_identical(got_t, want_t, what="tangent")


@pytest.mark.parametrize("func,args,wrt,error", [pytest.param(*u, id=u[0].__name__) for u in UNSUPPORTED])
def test_unsupported_is_refused(func, args, wrt, error):
    """Constructs outside the supported language raise a clear error, never a wrong derivative."""
    a = args()
    tangents = tuple(tree_map(np.ones_like, x) if i in wrt else None for i, x in enumerate(a))
    with pytest.raises(error) as info:
        tangent_fwd.jvp(func, a, tangents)
    msg = str(info.value)
    assert func.__code__.co_filename in msg and "hint:" in msg, f"the error should name the line and give a hint: {msg}"
