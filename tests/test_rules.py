"""Every registered JVP rule against float64 central finite differences (cases in tests/rule_cases.py).

For jvp/linear rules, each case is checked along a seeded random direction for every differentiated
argument separately and for all of them jointly (which catches a jointly-linear op declared
multilinear), and with float32 inputs (tangent dtype float32, close to the float64 JVP); the primal
value must be the plain call's. The same cases run in vector mode (K directions in one pass equal K
single JVPs) and on the strict non-NumPy backend (tests/strict_np.py: a rule never hard-codes numpy).
For zero rules the result must carry an all-zero tangent although a differentiated value reaches the op.
"""

import copy
import os
import sys
import zlib

import numpy as np
import pytest

import tangent_fwd
from tangent_fwd import registry

sys.path.insert(0, os.path.dirname(__file__))
from rule_cases import RULE_CASES  # noqa: E402

# finite differences: step Case.eps (1e-6), |jvp - fd| <= Case.rtol (1e-6) * |fd| + Case.atol (1e-8) * scale,
# scale = max(1, max |value|, max |fd|) of the output leaf; per-case overrides in tests/rule_cases.py
F32_RTOL = 2e-3


def _key_name(key):
    if isinstance(key, str):
        return key
    return registry._display_name(key)


def _rule_for(key):
    if isinstance(key, str):
        return registry.lookup_method(key) or registry.lookup_attribute(key)
    return registry.lookup(key)


PARAMS = [
    pytest.param(key, i, c, id=f"{_key_name(key)}-{i}-{c.name}")
    for key, cases in RULE_CASES.items()
    for i, c in enumerate(cases)
]
JVP_PARAMS = [p for p in PARAMS if _rule_for(p.values[0]) is None or _rule_for(p.values[0]).kind != "zero"]
ZERO_PARAMS = [p for p in PARAMS if p not in JVP_PARAMS]


# ------------------------------------------------------------------ pytrees
def tree_map(f, *trees):
    t0 = trees[0]
    if isinstance(t0, dict):
        return {k: tree_map(f, *(t[k] for t in trees)) for k in t0}
    if isinstance(t0, (list, tuple)):
        return type(t0)(tree_map(f, *xs) for xs in zip(*trees))
    return f(*trees)


def leaves(tree):
    if isinstance(tree, dict):
        return [x for k in tree for x in leaves(tree[k])]
    if isinstance(tree, (list, tuple)):
        return [x for v in tree for x in leaves(v)]
    return [tree]


def direction(x, rng):
    def leaf(v):
        if isinstance(v, np.ndarray):
            d = rng.standard_normal(v.shape)
            if v.dtype.kind == "c":
                d = d + 1j * rng.standard_normal(v.shape)
            return d.astype(v.dtype) if v.dtype.kind in "fc" else d
        if isinstance(v, (complex, np.complexfloating)):
            return type(v)(complex(rng.standard_normal(), rng.standard_normal()))
        if isinstance(v, np.floating):
            return type(v)(rng.standard_normal())
        return float(rng.standard_normal())

    return tree_map(leaf, x)


def axpy(h, t, x):
    return tree_map(lambda u, w: w + h * u, t, x)


def _seed(case, k):
    return (zlib.crc32(case.name.encode()) + 7919 * k) % (2**32)


def call(case, args):
    if case.seed is not None:
        np.random.seed(case.seed)
    return case.fn(*copy.deepcopy(args))


def run_jvp(case, args, tangents):
    if case.seed is not None:
        np.random.seed(case.seed)
    return tangent_fwd.jvp(case.fn, copy.deepcopy(args), copy.deepcopy(tangents))


def fd_leaves(case, args, tangents):
    h = case.eps
    plus = tuple(a if t is None else axpy(h, t, a) for a, t in zip(args, tangents))
    minus = tuple(a if t is None else axpy(-h, t, a) for a, t in zip(args, tangents))
    fp, fm = call(case, plus), call(case, minus)
    return [(np.asarray(p) - np.asarray(m)) / (2 * h) for p, m in zip(leaves(fp), leaves(fm))]


def _scale(*xs):
    out = 1.0
    for x in xs:
        v = np.abs(np.asarray(x))
        if v.size:
            out = max(out, float(np.nanmax(v)))
    return out


def _same(a, b):
    if isinstance(a, dict):
        return isinstance(b, dict) and list(a) == list(b) and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(_same(u, w) for u, w in zip(a, b))
    try:
        return bool(np.array_equal(np.asarray(a), np.asarray(b), equal_nan=True))
    except TypeError:
        return bool(np.array_equal(np.asarray(a), np.asarray(b)))


def check_against_fd(case, args, wrt, label):
    rng = np.random.default_rng(_seed(case, len(wrt) * 31 + sum(wrt)))
    tangents = tuple(direction(a, rng) if i in wrt else None for i, a in enumerate(args))
    value, tangent = run_jvp(case, args, tangents)
    expected = call(case, args)
    assert _same(value, expected), f"{label}: value {value!r} != plain call {expected!r}"
    vl, tl = leaves(value), leaves(tangent)
    assert len(vl) == len(tl), f"{label}: tangent structure {tangent!r} does not match value {value!r}"
    for k, (v, t, d) in enumerate(zip(vl, tl, fd_leaves(case, args, tangents))):
        assert np.shape(t) == np.shape(v), f"{label} leaf {k}: tangent shape {np.shape(t)} != value shape {np.shape(v)}"
        bound = case.rtol * np.abs(d) + case.atol * _scale(v, d)
        err = np.abs(t - d)
        assert np.all(err <= bound), (
            f"{label} leaf {k}: JVP differs from finite differences (max err {np.max(err):.3g})\njvp={t!r}\nfd ={d!r}"
        )
    return value, tangent


def _wrt_sets(case):
    sets = [(i,) for i in case.diff]
    if len(case.diff) > 1:
        sets.append(case.diff)
    return sets


# ------------------------------------------------------------------ jvp / linear rules
@pytest.mark.parametrize("key, i, case", JVP_PARAMS)
def test_rule_matches_finite_differences(key, i, case):
    assert case.diff, f"{case.name}: no differentiated argument"
    for wrt in _wrt_sets(case):
        check_against_fd(case, case.args, wrt, f"{case.name} wrt {wrt}")


def _to32(tree):
    return tree_map(
        lambda v: (
            v.astype(np.float32)
            if isinstance(v, np.ndarray) and v.dtype == np.float64
            else (v.astype(np.complex64) if isinstance(v, np.ndarray) and v.dtype == np.complex128 else v)
        ),
        tree,
    )


def _has_f64_array(case):
    return any(
        isinstance(v, np.ndarray) and v.dtype.kind in "fc" and v.itemsize >= 8
        for i in case.diff
        for v in leaves(case.args[i])
    )


F32_PARAMS = [
    p for p in JVP_PARAMS if (p.values[2].f32 if p.values[2].f32 is not None else _has_f64_array(p.values[2]))
]


@pytest.mark.parametrize("key, i, case", F32_PARAMS)
def test_rule_float32(key, i, case):
    args32 = _to32(case.args)
    rng = np.random.default_rng(_seed(case, 99))
    t64 = tuple(direction(a, rng) if j in case.diff else None for j, a in enumerate(case.args))
    t32 = tuple(None if t is None else _to32(t) for t in t64)
    value32, tan32 = run_jvp(case, args32, t32)
    # the float64 reference along the same (float32-rounded) direction from the same (rounded) point
    args_r = tree_map(
        lambda v: (
            v.astype(np.result_type(v.dtype, np.float64)) if isinstance(v, np.ndarray) and v.dtype.kind in "fc" else v
        ),
        args32,
    )
    t_r = tuple(
        None
        if t is None
        else tree_map(lambda v: v.astype(np.result_type(v.dtype, np.float64)) if isinstance(v, np.ndarray) else v, t)
        for t in t32
    )
    _, tan64 = run_jvp(case, args_r, t_r)
    for k, (v, t, r) in enumerate(zip(leaves(value32), leaves(tan32), leaves(tan64))):
        vdt = getattr(v, "dtype", None)
        if vdt is not None and vdt.kind in "fc":
            assert np.asarray(t).dtype == vdt, (
                f"{case.name} leaf {k}: float32 inputs give a {vdt} value but a {np.asarray(t).dtype} tangent"
            )
        t, r = np.asarray(t, np.complex128), np.asarray(r, np.complex128)
        err = np.abs(t - r)
        assert np.all(err <= F32_RTOL * (np.abs(r) + _scale(r))), (
            f"{case.name} leaf {k}: float32 tangent differs from float64 (max err {np.max(err):.3g})\n"
            f"f32={t!r}\nf64={r!r}"
        )


# ------------------------------------------------------------------ vector mode (K directions in one pass)
K = 2


def _batched_direction(x, rng):
    def leaf(v):
        d = direction(np.zeros((K,) + np.shape(v), dtype=getattr(v, "dtype", np.float64)), rng)
        return d

    return tree_map(leaf, x)


def _slice(tree, k):
    return tree_map(lambda v: v[k], tree)


@pytest.mark.parametrize("key, i, case", JVP_PARAMS)
def test_rule_vector_mode(key, i, case):
    """jvp(..., vectorized=True) with K directions equals K single JVPs (all differentiated args)."""
    rng = np.random.default_rng(_seed(case, 77))
    batched = tuple(_batched_direction(a, rng) if j in case.diff else None for j, a in enumerate(case.args))
    if case.seed is not None:
        np.random.seed(case.seed)
    value, tangent = tangent_fwd.jvp(case.fn, copy.deepcopy(case.args), copy.deepcopy(batched), vectorized=True)
    singles = [
        leaves(run_jvp(case, case.args, tuple(None if t is None else _slice(t, k) for t in batched))[1])
        for k in range(K)
    ]
    got = leaves(tangent)
    assert len(got) == len(singles[0]), f"{case.name}: {len(got)} tangent leaves, {len(singles[0])} expected"
    for j, (leaf, v) in enumerate(zip(got, leaves(value))):
        want = np.stack([np.asarray(s[j]) for s in singles])
        assert np.shape(leaf) == (K,) + np.shape(v), f"{case.name} leaf {j}: shape {np.shape(leaf)}"
        np.testing.assert_allclose(np.asarray(leaf), want, rtol=1e-9, atol=1e-12, err_msg=f"{case.name} leaf {j}")


# ------------------------------------------------------------------ a non-NumPy backend (the CuPy stand-in)
def _has_array(case):
    return any(isinstance(v, np.ndarray) for j in case.diff for v in leaves(case.args[j]))


# a case marked ``strict = False`` calls a library function that itself cannot take a device array
# (scipy.special.logsumexp converts with np.asarray): its derivative helpers have strict cases of their own
STRICT_PARAMS = [
    p
    for p in JVP_PARAMS
    if _has_array(p.values[2]) and p.values[2].seed is None and getattr(p.values[2], "strict", True)
]


@pytest.mark.parametrize("key, i, case", STRICT_PARAMS)
def test_rule_on_strict_backend(key, i, case):
    """The rule's generated code runs on arrays that refuse any conversion to NumPy (so it never
    hard-codes numpy) and gives NumPy's tangent."""
    import strict_np

    from tangent_fwd import backends

    if "strict" not in backends.names():
        backends.register("strict", strict_np)
    rng = np.random.default_rng(_seed(case, 55))
    tangents = tuple(direction(a, rng) if j in case.diff else None for j, a in enumerate(case.args))
    _, want = run_jvp(case, case.args, tangents)
    _, got = tangent_fwd.jvp(
        case.fn,
        strict_np.to_device(copy.deepcopy(case.args)),
        strict_np.to_device(copy.deepcopy(tangents)),
        backend="strict",
    )
    for j, (g, w) in enumerate(zip(leaves(got), leaves(want))):
        g = g._a if isinstance(g, strict_np.StrictArray) else g
        np.testing.assert_allclose(
            np.asarray(g), np.asarray(w), rtol=1e-10, atol=1e-12, err_msg=f"{case.name} leaf {j}"
        )


# ------------------------------------------------------------------ zero rules
@pytest.mark.parametrize("key, i, case", ZERO_PARAMS)
def test_zero_rule_is_constant(key, i, case):
    rng = np.random.default_rng(_seed(case, 5))
    tangents = tuple(direction(a, rng) if j in case.diff else None for j, a in enumerate(case.args))
    if case.value:
        np.random.seed(0)
    value, tangent = run_jvp(case, case.args, tangents)
    if case.value:
        np.random.seed(0)
        expected = case.fn(*copy.deepcopy(case.args))
        assert _same(value, expected), f"{case.name}: value {value!r} != plain call {expected!r}"
    for t in leaves(tangent):
        assert np.all(np.asarray(t) == 0), f"{case.name}: the result of a zero rule carries tangent {tangent!r}"


# ------------------------------------------------------------------ regression: broadcast tangents (rules-1)
def _sub(x, y):
    return x - y


def _add(x, b):
    return x + b


def test_tangent_shape_matches_value_when_inactive_operand_broadcasts():
    value, tangent = tangent_fwd.jvp(_sub, (np.ones((2, 3)), np.arange(3.0)), (None, np.ones(3)))
    assert np.shape(tangent) == value.shape
    value, tangent = tangent_fwd.jvp(_add, (1.0, np.arange(3.0)), (1.0, None))
    assert np.shape(tangent) == value.shape
