"""Forward-gradient estimates and updates checked against their definitions: ForwardGradient through one cached
forward_diff object, low-rank directions, backend=, estimate_into(scale=), the optimizers' folded SGD step,
the runner/CLI options and the single-process distributed trainer.

Every estimate is compared with the definition mean_k (∇f·v_k) v_k, with v_k drawn by a DirectionSampler
on the same seed and ∇f written by hand; every update with Algorithm 1 (θ ← θ − η_i g) or its
momentum/Adam variants. The bugs this review found are fixed; their regression tests are at the end."""

import collections
import itertools
import math

import numpy as np
import pytest

import tangent_fwd
from tangent_fwd import LowRank
from tangent_fwd.training import make_optimizer
from tangent_fwd.training.forward_gradient import DirectionSampler, forward_gradient


def _dense(b):
    return b.dense() if isinstance(b, LowRank) else np.array(b, dtype=np.float64)


def _jvp_fn(f, primals, tangents, **kw):
    return tangent_fwd.jvp(f, primals, tangents, **kw)


def _reference_estimate(grad, like, K, seed=0, rank=None, distribution="normal"):
    """mean over K directions of (∇f·v) v with the sampler's stream for ``seed`` (dict pytrees)."""
    s = DirectionSampler(like, distribution, np.random.default_rng(seed), rank=rank)
    out = {k: np.zeros(np.shape(like[k])) for k in like}
    for _ in range(K):
        v = {k: _dense(b) for k, b in s.sample().items()}
        d = sum(np.sum(grad[k] * v[k]) for k in like)
        for k in like:
            out[k] += d * v[k] / K
    return out


# ------------------------------------------------------------------------------------ test functions
def quad(p, x):
    return 0.5 * np.sum((x @ p["W"]) ** 2) + np.sum(p["b"] ** 3)


def quad_grad(p, x):
    return {"W": x.T @ (x @ p["W"]), "b": 3 * p["b"] ** 2}


RNG = np.random.default_rng(11)
XQ = RNG.standard_normal((5, 70))


def _qp(dtype=np.float64):
    r = np.random.default_rng(2)
    return {"W": (0.2 * r.standard_normal((70, 3))).astype(dtype), "b": r.standard_normal(3).astype(dtype)}


def with_default(a, x, c=1.0):
    return np.sum(a * x**2) * c


def var_args(x, *rest):
    return np.sum(x**2) + sum(np.sum(r**3) for r in rest)


def kw_only(x, *, scale=2.0):
    return scale * np.sum(x**2)


def zero_d_leaf(p):
    return p["s"] ** 2 * np.sum(p["w"]) + np.sum(p["w"] ** 2)


def sq(x):
    return np.sum(x**2)


def first_of_dict(p):
    return np.sum(p[list(p)[0]] ** 2)


P = collections.namedtuple("P", "w b")


def lsq(p, x, y):
    return 0.5 * ((x @ p["W"] + p["b"] - y) ** 2).sum() / x.shape[0] + 0.1 * (p["W"] ** 4).sum()


def lsq_grad(p, x, y):
    r = x @ p["W"] + p["b"] - y
    return {"W": x.T @ r / x.shape[0] + 0.4 * p["W"] ** 3, "b": r.sum(axis=0) / x.shape[0]}


XL = RNG.standard_normal((6, 70))
YL = RNG.standard_normal((6, 3))


# ------------------------------------------------------------------------------ estimates = definition
@pytest.mark.parametrize(
    "K,rank,vectorized,distribution",
    [
        (1, None, None, "normal"),
        (2, None, None, "normal"),
        (5, None, False, "rademacher"),
        (5, None, True, "normal"),
        (1, 1, None, "normal"),
        (2, 1, None, "rademacher"),
        (3, 2, None, "normal"),
        (2, 2, False, "rademacher"),
    ],
)
def test_estimate_matches_definition(K, rank, vectorized, distribution):
    p = _qp()
    g = forward_gradient(quad, directions=K, rank=rank, vectorized=vectorized, distribution=distribution, rng=4)
    value, est = g(p, XQ)
    assert np.isclose(value, quad(p, XQ))
    ref = _reference_estimate(quad_grad(p, XQ), p, K, seed=4, rank=rank, distribution=distribution)
    for k in p:
        assert isinstance(est[k], np.ndarray) and est[k].shape == p[k].shape and est[k].dtype == p[k].dtype
        np.testing.assert_allclose(est[k], ref[k], rtol=1e-10, atol=1e-12)
    assert len(g.last_jvps) == K


@pytest.mark.parametrize(
    "K,rank,vectorized", [(1, None, None), (3, None, None), (3, None, False), (2, 1, None), (3, 2, None)]
)
@pytest.mark.parametrize("scale", [1.0, 0.25, -3.0])
def test_estimate_into_equals_call_times_scale(K, rank, vectorized, scale):
    p = _qp()
    kw = dict(directions=K, rank=rank, vectorized=vectorized)
    _, est = forward_gradient(quad, rng=9, **kw)(p, XQ)
    out = [np.full_like(p["W"], np.nan), np.full_like(p["b"], np.nan)]
    value = forward_gradient(quad, rng=9, **kw).estimate_into((p, XQ), out, scale=scale)
    assert np.isclose(value, quad(p, XQ))
    np.testing.assert_allclose(out[0], scale * est["W"], rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(out[1], scale * est["b"], rtol=1e-12, atol=1e-14)


def test_vectorized_and_separate_passes_agree_and_seed_reproduces():
    p = _qp()
    a = forward_gradient(quad, directions=4, vectorized=True, rng=5)(p, XQ)[1]
    b = forward_gradient(quad, directions=4, vectorized=False, rng=5)(p, XQ)[1]
    c = forward_gradient(quad, directions=4, vectorized=False, rng=5, jvp_fn=_jvp_fn)(p, XQ)[1]
    for k in p:
        np.testing.assert_allclose(a[k], b[k], rtol=1e-12)
        np.testing.assert_allclose(b[k], c[k], rtol=1e-12)
    g1, g2 = forward_gradient(quad, rng=5, rank=1, directions=2), forward_gradient(quad, rng=5, rank=1, directions=2)
    for _ in range(3):  # the same seed gives the same stream of estimates
        e1, e2 = g1(p, XQ)[1], g2(p, XQ)[1]
        for k in p:
            np.testing.assert_array_equal(e1[k], e2[k])


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
@pytest.mark.parametrize("K,rank", [(1, None), (3, None), (2, 1)])
def test_estimate_dtypes_follow_parameters(dtype, K, rank):
    p = _qp(dtype)
    _, est = forward_gradient(quad, directions=K, rank=rank, rng=0)(p, XQ.astype(dtype))
    for k in p:
        assert est[k].dtype == dtype and est[k].shape == p[k].shape


# ------------------------------------------------------------------------------- argument conventions
def test_wrt_by_name_positive_index_defaults_kwonly():
    a, x = np.array([1.0, 2.0, 3.0]), np.array([0.5, -1.0, 2.0])
    v = DirectionSampler(x, rng=np.random.default_rng(0)).sample().copy()
    expected = np.dot(2 * a * x, v) * v
    for wrt in (1, "x"):
        np.testing.assert_allclose(forward_gradient(with_default, wrt=wrt, rng=0)(a, x)[1], expected)
    v2 = DirectionSampler(a, rng=np.random.default_rng(0)).sample().copy()
    np.testing.assert_allclose(forward_gradient(kw_only, rng=0)(a)[1], np.dot(4 * a, v2) * v2)
    # a float differentiated argument passed positionally into a defaulted parameter
    _, gc = forward_gradient(with_default, wrt="c", rng=0)(a, x, 2.0)
    vc = DirectionSampler(2.0, rng=np.random.default_rng(0)).sample()
    assert np.isclose(gc, np.sum(a * x**2) * vc * vc)


@pytest.mark.parametrize("K,vectorized", [(1, None), (3, True), (3, False)])
def test_float_and_0d_arguments(K, vectorized):
    for arg in (2.0, np.array(2.0), np.float32(2.0)):
        _, est = forward_gradient(sq, directions=K, vectorized=vectorized, rng=1)(arg)
        s = DirectionSampler(arg, rng=np.random.default_rng(1))
        ref = sum(4.0 * float(s.sample()) ** 2 for _ in range(K)) / K
        assert np.isclose(float(est), ref, rtol=1e-5)


def test_nested_pytree_with_float_leaf_vectorized():
    p = {"s": 1.5, "l": [np.ones(2), (np.array([0.5, -1.0]),)]}

    def f(q):
        return q["s"] ** 2 + np.sum(q["l"][0] ** 2) + np.sum(q["l"][1][0] ** 3)

    _, est = forward_gradient(f, directions=3, vectorized=True, rng=0)(p)
    s = DirectionSampler(p, rng=np.random.default_rng(0), batch=3)
    v = s.sample()
    gs, g0, g1 = 3.0, 2 * np.ones(2), 3 * np.array([0.5, -1.0]) ** 2
    d = gs * v["s"] + v["l"][0] @ g0 + v["l"][1][0] @ g1
    assert np.isclose(float(est["s"]), np.mean(d * v["s"]))
    np.testing.assert_allclose(est["l"][0], (d @ v["l"][0]) / 3)
    np.testing.assert_allclose(est["l"][1][0], (d @ v["l"][1][0]) / 3)


def test_shape_change_recreates_sampler():
    def fm(W, a):
        return np.sum((a @ W) ** 2)

    for kw in (dict(rank=1), dict(directions=2), dict()):
        g = forward_gradient(fm, rng=0, **kw)
        for shape in ((64, 3), (40, 5), (64, 3)):
            W, a = np.ones(shape), np.ones((2, shape[0]))
            assert g(W, a)[1].shape == shape


# ---------------------------------------------------------------------------------------- optimizers
def _reference_training(name, K, rank, dist, decay, dtype, steps=3, lr=0.05, seed=7):
    p = {k: v.astype(np.float64) for k, v in _qp(dtype).items()}
    s = DirectionSampler(_qp(dtype), dist, np.random.default_rng(seed), rank=rank)
    m = {k: np.zeros_like(v) for k, v in p.items()}
    sv = {k: np.zeros_like(v) for k, v in p.items()}
    for i in range(steps):
        gt = lsq_grad(p, XL, YL)
        g = {k: np.zeros_like(v) for k, v in p.items()}
        for _ in range(K):
            v = {k: _dense(b) for k, b in s.sample().items()}
            d = sum(np.sum(gt[k] * v[k]) for k in p)
            for k in p:
                g[k] += d * v[k] / K
        eta = lr * math.exp(-i * decay)
        for k in p:
            if name == "sgd":
                p[k] = p[k] - eta * g[k]
            elif name == "momentum":
                m[k] = 0.9 * m[k] + g[k]
                p[k] = p[k] - eta * m[k]
            else:
                m[k] = 0.9 * m[k] + 0.1 * g[k]
                sv[k] = 0.999 * sv[k] + 0.001 * g[k] ** 2
                p[k] = p[k] - eta * (m[k] / (1 - 0.9 ** (i + 1))) / (np.sqrt(sv[k] / (1 - 0.999 ** (i + 1))) + 1e-8)
    return p


CASES = [
    c
    for c in itertools.product(
        ("sgd", "momentum", "adam"),
        (1, 2, 5),
        (None, 1, 2),
        (None, False, True),
        ("normal", "rademacher"),
        (0.0, 0.3),
        (np.float64, np.float32),
    )
    if not (c[2] and c[3])
]


@pytest.mark.parametrize("name,K,rank,vectorized,dist,decay,dtype", CASES[::3] + CASES[1::17])
def test_optimizers_follow_the_update_rules(name, K, rank, vectorized, dist, decay, dtype):
    p = _qp(dtype)
    objs = dict(p)
    opt = make_optimizer(
        name, lsq, p, 0.05, decay=decay, directions=K, rank=rank, vectorized=vectorized, distribution=dist, rng=7
    )
    for i in range(3):
        before = {k: v.astype(np.float64) for k, v in p.items()}
        loss = opt.step(XL, YL)
        assert np.isclose(float(loss), lsq(before, XL, YL), rtol=1e-5)
    ref = _reference_training(name, K, rank, dist, decay, dtype)
    tol = 1e-9 if dtype == np.float64 else 2e-4
    for k in p:
        assert p[k] is objs[k] and p[k].dtype == dtype
        err = np.abs(p[k] - ref[k]).max() / (np.abs(ref[k]).max() + 1e-12)
        assert err < tol, (k, err)
    assert opt.step_count == 3


def test_zero_d_parameter_in_optimizers():
    def l0(p, t):
        return (p["a"] - t) ** 2 + np.sum(p["w"] ** 2)

    results = []
    for kw in (dict(directions=2), dict(directions=2, vectorized=False), dict(rank=1, directions=2)):
        p = {"a": np.array(1.0), "w": np.ones(2)}
        make_optimizer("sgd", l0, p, 0.1, rng=0, **kw).step(0.0)
        results.append((float(p["a"]), p["w"].copy()))
    ref = _reference_estimate({"a": 2.0, "w": 2 * np.ones(2)}, {"a": np.array(1.0), "w": np.ones(2)}, 2)
    for a, w in results:
        assert np.isclose(a, 1.0 - 0.1 * ref["a"])
        np.testing.assert_allclose(w, 1.0 - 0.1 * ref["w"])


# ----------------------------------------------------------------------------------- runner and CLI
@pytest.fixture(scope="module")
def mnist_small():
    from tangent_fwd.data import load_mnist

    x, y, xt, yt = load_mnist()
    return x[:256], y[:256], xt[:64], yt[:64]


def test_runner_passes_backend_rank_and_vector_mode(monkeypatch, mnist_small):
    import importlib

    FG = importlib.import_module("tangent_fwd.training.forward_gradient")
    from tangent_fwd.training.runner import TrainConfig, train

    seen = []
    orig = FG.ForwardGradient.__init__

    def spy(self, *a, **kw):
        orig(self, *a, **kw)
        seen.append((self.backend, self.rank, self.vectorized, self.directions))

    monkeypatch.setattr(FG.ForwardGradient, "__init__", spy)
    for kw, want in (
        (dict(directions=3), ("numpy", None, True, 3)),
        (dict(directions=3, vectorized=False), ("numpy", None, False, 3)),
        (dict(directions=2, rank=1), ("numpy", 1, False, 2)),
    ):
        r = train(
            TrainConfig(model="logreg", max_steps=2, backend="numpy", **kw), data=mnist_small, progress=False, log=None
        )
        assert r["status"] == "ok" and r["steps"] == 2
        assert seen[-1] == want


@pytest.mark.parametrize(
    "args",
    [
        ["train", "--model", "mlp", "--width", "16", "--rank", "1", "--directions", "2"],
        ["train", "--model", "mlp", "--width", "16", "--rank", "2", "--no-vectorized", "--optimizer", "adam"],
        ["train", "--model", "mlp", "--width", "16", "--directions", "3", "--vectorized", "--backend", "numpy"],
        ["compare", "--model", "logreg", "--rank", "1", "--directions", "2", "--no-malloc-tuning"],
    ],
)
def test_cli_tiny_runs(tmp_path, args):
    import json

    from tangent_fwd.cli import main

    assert main(args + ["--max-steps", "3", "--epochs", "1", "--no-progress", "--out-dir", str(tmp_path)]) == 0
    js = list(tmp_path.glob("*.json"))
    assert js
    cfg = json.loads(js[0].read_text())["config"]
    rank = int(args[args.index("--rank") + 1]) if "--rank" in args else None
    assert cfg["rank"] == rank


def test_cli_no_malloc_tuning_is_honoured(tmp_path, monkeypatch):
    from tangent_fwd.cli import main
    from tangent_fwd.training import allocator

    calls = []
    monkeypatch.setattr(allocator, "tune", lambda: calls.append(1))
    base = [
        "train",
        "--model",
        "logreg",
        "--max-steps",
        "2",
        "--epochs",
        "1",
        "--no-progress",
        "--out-dir",
        str(tmp_path),
    ]
    assert main(base + ["--no-malloc-tuning"]) == 0 and calls == []
    assert main(base) == 0 and calls == [1]


# -------------------------------------------------------------------------- distributed, single process
@pytest.mark.parametrize("optimizer,rank,K", [("sgd", 1, 1), ("sgd", 2, 3), ("momentum", 1, 2), ("adam", None, 2)])
def test_single_process_distributed_follows_update_rules(tmp_path, mnist_small, optimizer, rank, K):
    from tangent_fwd.training import distributed as D
    from tangent_fwd.training.backprop import logreg_loss_and_grad
    from tangent_fwd.training.models import logreg_init

    lr, decay, steps = 0.05, 0.1, 4
    cfg = D.DistributedConfig(
        model="logreg",
        optimizer=optimizer,
        lr=lr,
        decay=decay,
        batch_size=32,
        max_steps=steps,
        epochs=100,
        n_train=256,
        evaluate=False,
        out_dir=str(tmp_path),
        rank=rank,
        directions=K,
        check_every=0,
    )
    res = D.train_distributed(cfg, data=mnist_small, log=None)
    assert res["status"] == "ok" and res["steps"] == steps
    x, y = mnist_small[0][:256], mnist_small[1][:256]
    p = {k: v.astype(np.float64) for k, v in logreg_init(0).items()}
    like = logreg_init(0)
    sched = D.BatchSchedule(len(x), 32, 0)
    m = {k: np.zeros_like(v) for k, v in p.items()}
    s2 = {k: np.zeros_like(v) for k, v in p.items()}
    for step in range(steps):
        _, idx = sched.batch(step)
        _, gt = logreg_loss_and_grad({k: v.astype(np.float32) for k, v in p.items()}, x[idx], y[idx])
        g = {k: np.zeros_like(v) for k, v in p.items()}
        for k in range(K):
            v = DirectionSampler(like, "normal", D.direction_rng(0, step, k), rank=rank).sample()
            v = {n: _dense(b) for n, b in v.items()}
            d = sum(np.sum(gt[n].astype(np.float64) * v[n]) for n in p)
            for n in p:
                g[n] += d * v[n] / K
        eta = lr * math.exp(-step * decay)
        for n in p:
            if optimizer == "sgd":
                p[n] -= eta * g[n]
            elif optimizer == "momentum":
                m[n] = 0.9 * m[n] + g[n]
                p[n] -= eta * m[n]
            else:
                m[n] = 0.9 * m[n] + 0.1 * g[n]
                s2[n] = 0.999 * s2[n] + 0.001 * g[n] ** 2
                p[n] -= eta * (m[n] / (1 - 0.9 ** (step + 1))) / (np.sqrt(s2[n] / (1 - 0.999 ** (step + 1))) + 1e-8)
    for n in p:
        got = res["params"][n]
        assert got.dtype == np.float32
        err = np.abs(got - p[n]).max() / np.abs(p[n]).max()
        assert err < 2e-3, (n, err)


# ============================================================ bugs found by this review (fixed; regression tests)
def test_bug_negative_wrt_into_varargs_is_refused_not_misapplied():
    # it used to differentiate x instead of a; an argument collected by *args cannot be differentiated
    from tangent_fwd.errors import ArgumentError

    a, x = np.array([1.0, 2.0, 3.0]), np.array([0.5, -1.0, 2.0])
    with pytest.raises(ArgumentError, match=r"\*rest parameter cannot be differentiated"):
        forward_gradient(var_args, wrt=-1, rng=0)(x, a)


def test_bug_negative_wrt_with_default_argument():
    a, x = np.array([1.0, 2.0, 3.0]), np.array([0.5, -1.0, 2.0])
    _, est = forward_gradient(with_default, wrt=-1, rng=0)(a, x)
    _, ref = forward_gradient(with_default, wrt=1, rng=0)(a, x)
    np.testing.assert_allclose(est, ref)


@pytest.mark.parametrize("kw", [dict(directions=2), dict(rank=1)])
def test_bug_fortran_ordered_parameters(kw):
    x3 = RNG.standard_normal((8, 4, 16))
    y3 = RNG.standard_normal((8, 4))

    def loss3(p, x, y):
        return 0.5 * ((np.tensordot(x, p["W"], axes=2) - y) ** 2).sum() / x.shape[0]

    k0 = 0.1 * np.random.default_rng(1).standard_normal((4, 16, 4))
    pf, pc = {"W": np.asfortranarray(k0)}, {"W": k0.copy()}
    make_optimizer("sgd", loss3, pf, 0.1, rng=3, **kw).step(x3, y3)
    make_optimizer("sgd", loss3, pc, 0.1, rng=3, **kw).step(x3, y3)
    np.testing.assert_allclose(pf["W"], pc["W"], rtol=1e-12)


@pytest.mark.parametrize("kw", [dict(vectorized=False), dict(rank=1)])
def test_bug_0d_leaf_in_pytree_with_separate_passes(kw):
    p = {"s": np.array(1.5), "w": np.array([1.0, -2.0, 0.5])}
    grad = {"s": 2 * 1.5 * np.sum(p["w"]), "w": 1.5**2 + 2 * p["w"]}
    _, est = forward_gradient(zero_d_leaf, directions=3, rng=0, **kw)(p)
    ref = _reference_estimate(grad, p, 3, seed=0, rank=kw.get("rank"))
    assert np.isclose(float(est["s"]), ref["s"])
    np.testing.assert_allclose(est["w"], ref["w"])


def test_bug_longdouble_parameters_vector_mode():
    w = np.ones(4, np.longdouble)
    make_optimizer("sgd", lambda_free_loss, w, 0.01, rng=0, directions=2).step(np.zeros(4, np.longdouble))
    assert w.dtype == np.longdouble


def lambda_free_loss(w, x):
    return np.sum((w - x) ** 2)


def test_bug_dtype_change_keeps_float64_directions():
    g = forward_gradient(sq, rng=0)
    g(np.ones(3))
    assert g(np.ones(3, np.float32))[1].dtype == np.float32


def test_bug_dict_key_change_reuses_sampler():
    g = forward_gradient(first_of_dict, rng=0)
    g({"a": np.ones(3)})
    _, est = g({"b": np.ones(3)})
    assert set(est) == {"b"}


def test_bug_namedtuple_parameters():
    def fnt(p):
        return np.sum(p[0] ** 2) + np.sum(p[1])

    _, est = forward_gradient(fnt, rng=0)(P(np.ones(3), np.ones(2)))
    assert isinstance(est, P)


def test_bug_cli_rank_with_vectorized_is_a_clean_error(tmp_path):
    from tangent_fwd.cli import main

    try:
        rc = main(
            [
                "train",
                "--model",
                "logreg",
                "--rank",
                "1",
                "--vectorized",
                "--max-steps",
                "2",
                "--no-progress",
                "--out-dir",
                str(tmp_path),
            ]
        )
    except SystemExit as e:
        rc = e.code
    assert rc in (1, 2)
