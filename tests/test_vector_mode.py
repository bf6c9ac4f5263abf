"""Vector mode: one generated pass with K directions equals K separate JVPs, on the whole corpus."""

import zlib

import numpy as np
import pytest
from corpus import load

import tangent_fwd

CASES = load()
K = 3


def _direction(x, rng, k=None):
    if isinstance(x, dict):
        return {key: _direction(v, rng, k) for key, v in x.items()}
    if isinstance(x, (list, tuple)):
        return type(x)(_direction(v, rng, k) for v in x)
    shape = tuple(getattr(x, "shape", ()))
    dtype = getattr(x, "dtype", np.float64)
    return rng.standard_normal(((k,) if k else ()) + shape).astype(dtype)


def _slice(tree, i):
    if isinstance(tree, dict):
        return {key: _slice(v, i) for key, v in tree.items()}
    if isinstance(tree, (list, tuple)):
        return type(tree)(_slice(v, i) for v in tree)
    return tree[i] if getattr(tree, "ndim", 0) else tree


def _flat(tree):
    if isinstance(tree, dict):
        return [x for k in tree for x in _flat(tree[k])]
    if isinstance(tree, (list, tuple)):
        return [x for v in tree for x in _flat(v)]
    return [tree]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_vector_mode_equals_k_single_jvps(case):
    import copy

    rng = np.random.default_rng(zlib.crc32(case.name.encode()))
    args = case.args(rng)
    batched = tuple(_direction(a, rng, K) if i in case.wrt else None for i, a in enumerate(args))
    value, tangent = tangent_fwd.jvp(case.func, copy.deepcopy(args), copy.deepcopy(batched), vectorized=True)
    singles = [
        tangent_fwd.jvp(
            case.func, copy.deepcopy(args), tuple(None if t is None else copy.deepcopy(_slice(t, i)) for t in batched)
        )[1]
        for i in range(K)
    ]
    got, want = _flat(tangent), [_flat(s) for s in singles]
    assert len(got) == len(want[0])
    for j, leaf in enumerate(got):
        stacked = np.stack([np.asarray(w[j], dtype=float) for w in want])
        assert np.shape(leaf) == stacked.shape, f"leaf {j}: {np.shape(leaf)} vs {stacked.shape}"
        np.testing.assert_allclose(np.asarray(leaf, dtype=float), stacked, rtol=1e-9, atol=1e-12)


def _mlp(params, x):
    h = np.tanh(x @ params["W"] + params["b"])
    return (h * h).sum()


def test_vector_source_shows_one_batched_matmul_per_product():
    src = tangent_fwd.source(_mlp, wrt="params", vectorized=True)
    assert src.count("bmatmul_right(xp, x, ") == 1 and "for k in range(K)" not in src.split("sum")[0]


def test_vectorized_tangent_shape_is_checked():
    with pytest.raises(tangent_fwd.ArgumentError) as info:
        tangent_fwd.jvp(
            _mlp,
            ({"W": np.ones((2, 3)), "b": np.ones(3)}, np.ones((4, 2))),
            ({"W": np.ones((5, 2, 3)), "b": np.ones((4, 3))}, None),
            vectorized=True,
        )
    assert "has 4 directions but an earlier argument has 5" in str(info.value)


def _write_after_broadcast(x):
    y = x + np.zeros((3, 3))  # y's tangent is dx broadcast: made full-shape before the writes below
    y[0, 0] = 5.0
    r = y[1]
    r += x
    return y


def test_in_place_writes_into_a_broadcast_result_in_vector_mode():
    x = np.arange(3.0)
    directions = np.array([[1.0, 0.0, 0.0], [0.5, -1.0, 2.0]])
    value, tangent = tangent_fwd.jvp(_write_after_broadcast, (x,), (directions,), vectorized=True)
    assert np.array_equal(value, _write_after_broadcast(x))
    for k, d in enumerate(directions):
        want = np.broadcast_to(d, (3, 3)).copy()
        want[0, 0] = 0.0
        want[1] += d
        np.testing.assert_allclose(tangent[k], want, rtol=0, atol=0)


def _two_outputs(x, W):
    return (W @ x).sum(), {"y": np.tanh(W @ x)}


def test_zero_directions_give_empty_tangents():
    x, W = np.arange(3.0), np.ones((2, 3))
    value, tangent = tangent_fwd.jvp(_two_outputs, (x, W), (np.zeros((0, 3)), None), vectorized=True)
    assert value[0] == _two_outputs(x, W)[0]
    assert tangent[0].shape == (0,) and tangent[1]["y"].shape == (0, 2)
