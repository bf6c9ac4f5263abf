"""Factored (low-rank) tangents: ``LowRank`` itself, the compiler's factored rules, and the JVP along a
factored tangent == the JVP along the same tangent made dense, over the whole derivative corpus and
the training models."""

import copy
import os
import pathlib
import sys

import numpy as np
import pytest

import tangent_fwd as tf
from tangent_fwd import LowRank, lowrank
from tangent_fwd.errors import ArgumentError
from tangent_fwd.training import models

sys.path.insert(0, os.path.dirname(__file__))
from corpus import load  # noqa: E402
from test_corpus import flatten, make_args, make_direction, tree_map  # noqa: E402

GOLDEN = pathlib.Path(__file__).parent / "golden"


def rand_lowrank(rng, shape, rank=2, split=None, dtype=np.float64):
    k = len(shape) - 1 if split is None else split
    return LowRank(
        rng.standard_normal(tuple(shape[:k]) + (rank,)).astype(dtype),
        rng.standard_normal(tuple(shape[k:]) + (rank,)).astype(dtype),
    )


def densified(t):
    return lowrank.dense(t)


def assert_close_trees(a, b, rtol=1e-10, atol=1e-12):
    fa, fb = flatten(a), flatten(b)
    assert [p for p, _ in fa] == [p for p, _ in fb]
    for (path, x), (_, y) in zip(fa, fb):
        if x is None or y is None:
            assert x is None and y is None, path
            continue
        x, y = np.asarray(x, np.float64), np.asarray(y, np.float64)
        scale = max(1.0, float(np.max(np.abs(y))) if y.size else 1.0)
        assert x.shape == y.shape, f"{path}: {x.shape} != {y.shape}"
        assert np.allclose(x, y, rtol=rtol, atol=atol * scale), f"{path}: max err {np.max(np.abs(x - y)):.3g}"


# ---------------------------------------------------------------------------------------------- LowRank
def test_lowrank_describes_and_materialises():
    rng = np.random.default_rng(0)
    u, w = rng.standard_normal((4, 2)), rng.standard_normal((3, 2))
    t = LowRank(u, w)
    assert t.shape == (4, 3) and t.ndim == 2 and t.rank == 2 and t.split == (1, 1)
    np.testing.assert_allclose(t.dense(), u @ w.T)
    np.testing.assert_allclose(t.T.dense(), (u @ w.T).T)
    np.testing.assert_allclose((-t).dense(), -(u @ w.T))
    k = rand_lowrank(rng, (3, 3, 5), rank=1)  # a conv kernel factored (kh, kw) x (c,)
    assert k.split == (2, 1)
    np.testing.assert_allclose(k.T.dense(), k.dense().T)
    assert t.astype(np.float32).dtype == np.float32


@pytest.mark.parametrize(
    "shape,new,split",
    [
        ((3, 3, 5), (9, 5), 1),
        ((4, 6), (4, 2, 3), 1),
        ((4, 6), (6, 4), 1),
        ((4, 6), (2, 12), 1),
        ((4, 6), (24, 1), 1),
        ((2, 3, 4), (2, 12), None),
        ((4, 6), (-1, 3), 1),
    ],
)
def test_lowrank_reshape_is_exact_with_the_requested_split(shape, new, split):
    rng = np.random.default_rng(1)
    t = rand_lowrank(rng, shape, rank=2)
    r = t.reshape(*new, split=split) if split is not None else t.reshape(new)
    want = t.dense().reshape(new)
    assert r.shape == want.shape
    if split is not None:
        assert r.split[0] == split
    np.testing.assert_allclose(r.dense(), want, atol=1e-12)


def test_lowrank_is_not_an_array():
    t = LowRank(np.ones((3, 1)), np.ones((2, 1)))
    with pytest.raises(TypeError, match="dense"):
        np.asarray(t)
    with pytest.raises(TypeError):
        np.sin(t)
    with pytest.raises(ValueError, match="last axis"):
        LowRank(np.ones((3, 2)), np.ones((2, 1)))
    with pytest.raises(TypeError):
        LowRank([1.0], np.ones((2, 1)))


def test_signature():
    t = LowRank(np.ones((3, 1)), np.ones((2, 1)))
    assert lowrank.signature(np.ones(3)) is None
    assert lowrank.signature({"a": np.ones(3), "b": [1.0]}) is None
    assert lowrank.signature(t) == ("lr", 1, 1, 1)
    sig = lowrank.signature({"W": t, "b": np.ones(2)})
    assert sig == ("dict", (("W", ("lr", 1, 1, 1)), ("b", None)))
    assert lowrank.sub_signature(sig, "W") == ("lr", 1, 1, 1)
    assert lowrank.signature([np.ones(2), t]) == ("seq", (None, ("lr", 1, 1, 1)))


# ---------------------------------------------------------------------------------------------- corpus
CORPUS = load()


def _factored_tangents(c, args, rank):
    """The case's random tangents with every float array of ndim >= 2 replaced by a LowRank (or None
    when the case has no such leaf)."""
    rng = np.random.default_rng(abs(hash(c.name)) % 2**32)
    dense = make_direction(c, args)
    found = []

    def leaf(x, t):
        if isinstance(x, np.ndarray) and x.ndim >= 2 and x.dtype.kind == "f":
            found.append(1)
            return rand_lowrank(rng, x.shape, rank=rank, dtype=x.dtype)
        return t

    out = tuple(None if t is None else tree_map(leaf, a, t) for a, t in zip(args, dense))
    return out if found else None


LR_CASES = [c for c in CORPUS if _factored_tangents(c, make_args(c), 1) is not None]


def test_many_corpus_cases_take_factored_tangents():
    assert len(LR_CASES) >= 60, len(LR_CASES)


@pytest.mark.parametrize("rank", [1, 3])
@pytest.mark.parametrize("c", [pytest.param(c, id=c.name) for c in LR_CASES])
def test_factored_jvp_equals_dense_jvp_on_the_corpus(c, rank):
    args = make_args(c)
    ft = _factored_tangents(c, args, rank)
    dt = tuple(None if t is None else densified(t) for t in ft)
    v1, t1 = tf.jvp(c.func, copy.deepcopy(args), ft)
    v2, t2 = tf.jvp(c.func, copy.deepcopy(args), dt)
    assert_close_trees(v1, v2, rtol=0, atol=0)
    assert_close_trees(t1, t2)


# ---------------------------------------------------------------------------------------------- models
def _model_problem(name, rank, dtype=np.float64):
    m = models.get_model(name)
    size = {"mlp": {"width": 32}, "cnn": {"channels": 4, "hidden": 16}}.get(name, {})
    rng = np.random.default_rng(3)
    p = {k: (v + 0.1 * rng.standard_normal(v.shape)).astype(dtype) for k, v in m.init(1, **size).items()}
    x = rng.random((5, 784)).astype(dtype)
    y = rng.integers(0, 10, 5)
    t = {
        k: rand_lowrank(rng, v.shape, rank, dtype=dtype) if v.ndim >= 2 else rng.standard_normal(v.shape).astype(dtype)
        for k, v in p.items()
    }
    return m, p, x, y, t


@pytest.mark.parametrize("rank", [1, 2])
@pytest.mark.parametrize("name", models.MODEL_NAMES)
def test_models_factored_jvp_equals_dense_and_finite_differences(name, rank):
    m, p, x, y, t = _model_problem(name, rank)
    v1, d1 = tf.jvp(m.loss, (p, x, y), (t, None, None))
    td = densified(t)
    v2, d2 = tf.jvp(m.loss, (p, x, y), (td, None, None))
    assert v1 == v2 == m.loss(p, x, y)
    assert np.isclose(d1, d2, rtol=1e-10, atol=1e-13)
    h = 1e-6
    fd = (m.loss({k: p[k] + h * td[k] for k in p}, x, y) - m.loss({k: p[k] - h * td[k] for k in p}, x, y)) / (2 * h)
    assert np.isclose(d1, fd, rtol=1e-6, atol=1e-8)
    src = tf.source(m.loss, tangents=t)
    assert "lowrank.dense" not in src  # the models keep every factored tangent factored


def test_models_factored_jvp_float32():
    m, p, x, y, t = _model_problem("mlp", 1, np.float32)
    _, d1 = tf.jvp(m.loss, (p, x, y), (t, None, None))
    _, d2 = tf.jvp(m.loss, (p, x, y), (densified(t), None, None))
    assert np.asarray(d1).dtype == np.float32
    assert np.isclose(d1, d2, rtol=2e-3, atol=1e-5)


def test_generated_source_shows_the_factored_products():
    m, p, x, y, t = _model_problem("mlp", 1)
    src = tf.source(m.loss, tangents=t)
    assert "x @ dt1.u * dt1.w[:, 0]" in src  # rank 1: (x @ u), then a broadcast
    assert "dh1 @ t5 + h1 @ dt5.u * dt5.w[:, 0]" in src
    src2 = tf.source(m.loss, tangents=_model_problem("mlp", 2)[4])
    assert "x @ dt1.u @ dt1.w.T" in src2  # rank r: (x @ u) @ wᵀ
    cnn = _model_problem("cnn", 1)
    src3 = tf.source(cnn[0].loss, tangents=cnn[4])
    assert "dt2.reshape(9, c, split=1)" in src3


def test_golden_lowrank_mlp_source():
    m, p, x, y, t = _model_problem("mlp", 1)
    src = tf.source(m.loss, tangents=t)
    path = GOLDEN / "mlp_loss_lowrank_rank1.py"
    if os.environ.get("TANGENT_FWD_REGEN_GOLDEN"):
        path.write_text(src)
    assert src == path.read_text(), "generated low-rank source changed; regenerate with TANGENT_FWD_REGEN_GOLDEN=1"


# ---------------------------------------------------------------------------------------------- rules
def f_left(W, x):
    return np.tanh(x @ W).sum()


def f_right(W, x):
    return np.sin(W @ x).sum()


def f_dot(W, x):
    return (np.dot(x, W) ** 2).sum() + np.dot(W, x[0]).sum() + W.dot(x[1]).sum()


def f_matmul_fn(W, x):
    return np.matmul(x, W).sum() + np.matmul(W.T, x.T).sum()


def f_vec(W, x):
    return (x[0] @ W).sum() * (W.T @ x[1]).sum()


def f_transpose(W, x):
    a = W.T
    b = np.transpose(W)
    c = W.transpose()
    return (x @ a).sum() + (W @ b).sum() + ((c.T @ x.T) ** 2).sum()


def f_neg(W, x):
    V = -W
    return (x @ V).sum() + (x @ (+W)).sum()


def f_both(W, x):
    V = W.T
    return (V @ W).sum()


def f_einsum(W, x):
    a = np.einsum("bi,ij->bj", x, W)
    b = np.einsum("ij,bj->bi", W.T, x)
    c = np.einsum("ij->ji", W)
    d = np.einsum("ij,ij->", W, W)
    return (a**2).sum() + (b * 2).sum() + c.sum() + d


def f_einsum_square(W, x):
    return np.einsum("ii->", W) + (np.einsum("ij,jk->ik", W.T, W) ** 2).sum()


def f_reshape(W, x):
    V = W.reshape(2, 12)
    U = np.reshape(W, (12, 2))
    return (x[:, :2] @ V).sum() ** 2 + (U @ x[:2, :2]).sum() + W.reshape(-1).sum()


def f_elementwise(W, x):
    return (np.exp(W) * 2).sum() + (x @ (W * W)).sum()


def f_loop(W, x):
    acc = 0.0
    for i in range(3):
        acc = acc + (x @ W).sum() * i
    return acc


def f_branch(W, x, flag=True):
    if flag:
        y = x @ W
    else:
        y = W[:1]
    return (y**2).sum()


def f_return(W, x):
    return W


def f_mutates(W, x):
    W = W.copy()
    W[0, 0] = 3.0
    return (x @ W).sum()


def f_nested(W, x):
    def g(v):
        return v @ W

    return g(x).sum()


def f_rebind(W, x):
    x = x @ W  # the tangent must read the old x
    x = np.tanh(x) @ W.T
    return (x**2).sum()


def _helper(params, x):
    return x @ params["W"] + params["b"]


def f_user_call(params, x):
    h = _helper(params, x)
    return (h**2).sum()


def f_container_ops(params, x):
    W, b = params["W"], params["b"]
    s = sum(v.sum() for v in params.values())
    return (x @ W + b).sum() + s


# function -> (shape of W, shape of x)
RULE_CASES = {
    f_left: ((4, 6), (5, 4)),
    f_right: ((4, 6), (6, 5)),
    f_dot: ((4, 4), (3, 4)),
    f_matmul_fn: ((4, 6), (5, 4)),
    f_vec: ((4, 6), (2, 4)),
    f_transpose: ((4, 6), (5, 6)),
    f_neg: ((4, 6), (5, 4)),
    f_both: ((4, 6), (5, 4)),
    f_einsum: ((4, 6), (5, 4)),
    f_einsum_square: ((6, 6), (1, 1)),
    f_reshape: ((4, 6), (5, 3)),
    f_elementwise: ((4, 6), (5, 4)),
    f_loop: ((4, 6), (5, 4)),
    f_branch: ((4, 6), (5, 4)),
    f_mutates: ((4, 6), (5, 4)),
    f_nested: ((4, 6), (5, 4)),
    f_rebind: ((4, 4), (5, 4)),
}


@pytest.mark.parametrize("rank", [1, 2])
@pytest.mark.parametrize("f", list(RULE_CASES), ids=lambda f: f.__name__)
def test_factored_rules_match_dense(f, rank):
    rng = np.random.default_rng(7)
    ws, xs = RULE_CASES[f]
    W, x = rng.standard_normal(ws), rng.standard_normal(xs)
    dW = rand_lowrank(rng, W.shape, rank)
    v1, d1 = tf.jvp(f, (W, x), (dW, None))
    v2, d2 = tf.jvp(f, (W, x), (dW.dense(), None))
    assert_close_trees(v1, v2, rtol=0, atol=0)
    assert_close_trees(d1, d2)
    h = 1e-6
    fd = (f(W + h * dW.dense(), x) - f(W - h * dW.dense(), x)) / (2 * h)
    assert np.allclose(d1, fd, rtol=1e-6, atol=1e-7 * max(1, np.max(np.abs(fd))))


def test_which_forms_stay_factored():
    rng = np.random.default_rng(0)
    dW = rand_lowrank(rng, (4, 6), 2)
    for f in (f_left, f_right, f_transpose, f_neg, f_both, f_einsum_square):
        assert "lowrank.dense" not in tf.source(f, tangents=dW), f.__name__
    for f in (f_elementwise, f_loop, f_nested, f_mutates):
        assert "lowrank.dense" in tf.source(f, tangents=dW), f.__name__
    src = tf.source(f_einsum, tangents=dW)
    assert "da = xp.einsum('ba,ja->bj', xp.einsum('bi,ia->ba', x, dW.u), dW.w)" in src
    assert "dc = xp.einsum('ia,ja->ji', dW.u, dW.w)" in src  # no other operand: the factor itself


def test_factored_return_is_dense():
    rng = np.random.default_rng(0)
    W = rng.standard_normal((4, 6))
    dW = rand_lowrank(rng, W.shape, 1)
    v, d = tf.jvp(f_return, (W, None), (dW, None))
    assert isinstance(d, np.ndarray)
    np.testing.assert_allclose(d, dW.dense())


@pytest.mark.parametrize("f", [f_user_call, f_container_ops], ids=lambda f: f.__name__)
def test_containers_and_user_calls(f):
    rng = np.random.default_rng(2)
    params = {"W": rng.standard_normal((4, 3)), "b": rng.standard_normal(3)}
    x = rng.standard_normal((5, 4))
    t = {"W": rand_lowrank(rng, (4, 3), 1), "b": rng.standard_normal(3)}
    v1, d1 = tf.jvp(f, (params, x), (t, None))
    v2, d2 = tf.jvp(f, (params, x), (densified(t), None))
    assert v1 == v2 and np.isclose(d1, d2, rtol=1e-12)
    if f is f_user_call:
        src = tf.source(f, tangents=t)
        assert "lowrank.dense" not in src and "dparams=dparams" in src


def test_forward_diff_specialises_by_structure_and_keeps_the_fast_path_correct():
    rng = np.random.default_rng(4)
    W, x = rng.standard_normal((4, 6)), rng.standard_normal((5, 4))
    fd = tf.forward_diff(f_left)
    dW = rand_lowrank(rng, W.shape, 1)
    dense = dW.dense()
    a = fd(W, x, dense)  # dense first: the fast path is set up
    b = fd(W, x, dW)  # then factored: must not take the dense fast path
    c = fd(W, x, dense)
    assert a == c
    assert np.isclose(a[1], b[1], rtol=1e-12)


def test_bad_lowrank_tangents_are_refused():
    rng = np.random.default_rng(0)
    W, x = rng.standard_normal((4, 6)), rng.standard_normal((5, 4))
    with pytest.raises(ArgumentError, match="LowRank of shape"):
        tf.jvp(f_left, (W, x), (rand_lowrank(rng, (6, 4)), None))
    with pytest.raises(ArgumentError, match="vectorized"):
        tf.jvp(f_left, (W, x), (rand_lowrank(rng, (4, 6)), None), vectorized=True)
    with pytest.raises(ArgumentError, match="LowRank"):
        tf.jvp(f_left, (3.0, x), (rand_lowrank(rng, (4, 6)), None))


def test_dtype_alignment():
    rng = np.random.default_rng(0)
    W, x = rng.standard_normal((4, 6)).astype(np.float32), rng.standard_normal((5, 4)).astype(np.float32)
    _, d = tf.jvp(f_left, (W, x), (rand_lowrank(rng, (4, 6)), None))
    assert np.asarray(d).dtype == np.float32


# ---------------------------------------------------------------------------------------------- backends
def _lr_to(convert, tree):
    if isinstance(tree, LowRank):
        return LowRank(convert(tree.u), convert(tree.w))
    if isinstance(tree, dict):
        return {k: _lr_to(convert, v) for k, v in tree.items()}
    if isinstance(tree, (list, tuple)):
        return type(tree)(_lr_to(convert, v) for v in tree)
    return convert(tree)


def _check_on_backend(func, args, tangents, to_device, to_host, backend):
    want_v, want_t = tf.jvp(func, copy.deepcopy(args), tangents, backend="numpy")
    got_v, got_t = tf.jvp(func, to_device(args), _lr_to(to_device, tangents), backend=backend)
    assert_close_trees(to_host(got_v), want_v)
    assert_close_trees(to_host(got_t), want_t)


@pytest.mark.parametrize("c", [pytest.param(c, id=c.name) for c in LR_CASES[::3]])
def test_factored_corpus_on_the_strict_backend(c):
    """The factored code on a backend whose arrays refuse any conversion to NumPy (as CuPy's do)."""
    import strict_np

    from tangent_fwd import backends

    backends.register("strict", strict_np)
    args = make_args(c)
    from test_backend_strict import HOST_ONLY

    if c.name in HOST_ONLY:
        # the function itself reads module-level host arrays or NumPy objects (see test_backend_strict.py)
        with pytest.raises(strict_np.HostFallbackError):
            _check_on_backend(
                c.func, args, _factored_tangents(c, args, 2), strict_np.to_device, strict_np.to_host, "strict"
            )
        return
    _check_on_backend(c.func, args, _factored_tangents(c, args, 2), strict_np.to_device, strict_np.to_host, "strict")


@pytest.mark.parametrize("name", models.MODEL_NAMES)
def test_factored_models_on_the_strict_backend(name):
    import strict_np

    from tangent_fwd import backends

    backends.register("strict", strict_np)
    m, p, x, y, t = _model_problem(name, 1)
    _check_on_backend(m.loss, (p, x, y), (t, None, None), strict_np.to_device, strict_np.to_host, "strict")
    # the exact fallback of a reshape that mixes the factors builds its identity on the backend too
    dW = rand_lowrank(np.random.default_rng(0), (4, 6), 2)
    _check_on_backend(
        f_reshape, (np.ones((4, 6)), np.ones((5, 3))), (dW, None), strict_np.to_device, strict_np.to_host, "strict"
    )


@pytest.mark.gpu
@pytest.mark.parametrize("name", models.MODEL_NAMES)
def test_factored_models_on_cupy(name):
    from gpu_support import cupy_available

    if not cupy_available():
        pytest.skip("needs CuPy with a usable CUDA device")
    import cupy

    m, p, x, y, t = _model_problem(name, 1)
    to_dev = lambda tree: tree_map(lambda a: cupy.asarray(a) if isinstance(a, np.ndarray) else a, tree)  # noqa: E731
    to_host = lambda tree: tree_map(lambda a: cupy.asnumpy(a) if isinstance(a, cupy.ndarray) else a, tree)  # noqa: E731
    _check_on_backend(m.loss, (p, x, y), (t, None, None), to_dev, to_host, "cupy")


@pytest.mark.parametrize("name", models.MODEL_NAMES)
def test_factored_models_with_cupy_kernel_fusion(name):
    """The CuPy code (elementwise runs fused into kernels) with factored tangents, run on a CPU stand-in
    whose fuse() is the identity, equals the NumPy code; its source keeps the factored products."""
    from fusion_backend import fusetest

    from tangent_fwd import backends

    backends.register("fusetest", fusetest, array_module="numpy_fusetest")
    m, p, x, y, t = _model_problem(name, 1)
    want = tf.jvp(m.loss, (p, x, y), (t, None, None), backend="numpy")
    got = tf.jvp(m.loss, (p, x, y), (t, None, None), backend="fusetest")
    assert got[0] == want[0] and np.isclose(got[1], want[1], rtol=1e-12)
    src = tf.source(m.loss, wrt="params", backend="cupy", tangents=t)
    assert "@xp.fuse()" in src and "np." not in src and "lowrank.dense" not in src
    assert ".u * " in src or "@ dt" in src
