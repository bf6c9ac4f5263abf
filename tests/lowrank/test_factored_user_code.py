"""Factored (LowRank) tangents through user code, and the shift-invariance pass: each function's
JVP along a factored tangent equals the JVP along the same tangent made dense and central finite differences; each shift case equals finite differences (and, where named, the shift tangent is
dropped or kept). Only cases that the compiler handles correctly are here."""

import copy

import numpy as np
import pytest
from lowrank_checks import _fd, _flat, check_factored, rand_lowrank  # noqa: F401

import tangent_fwd as tf


# ------------------------------------------------------------------------------------ matrix products
def mm_batched(W, x):
    x3 = np.stack([x, 2 * x])  # (2, 3, 4)
    return ((W @ x3.transpose(0, 2, 1)) ** 2).sum() + ((x3 @ W) ** 2).sum() + (np.matmul(x3, W) ** 3).sum()


def mm_vectors(W, x):
    v = x[0]
    return ((W @ v) ** 2).sum() + ((v @ W) ** 2).sum() + np.dot(v, W).sum() + np.dot(W, v).sum() + W.dot(v).sum()


def dot_nd_left(W, x):
    x3 = np.stack([x, x * x])  # np.dot(x3, W) contracts x3's last axis
    return (np.dot(x3, W) ** 2).sum()


def dot_scalar(W, x):
    return (np.dot(W, 2.0) ** 2).sum() + (np.dot(3.0, W) ** 2).sum()


def two_factored(W, V):
    return ((W @ V) ** 2).sum() + ((W @ W) ** 2).sum() + ((W.T @ W) ** 2).sum() + ((W @ W.T) ** 2).sum()


def same_name_twice(W, x):
    return ((np.dot(W, W) @ x.T) ** 2).sum() + (x @ W @ W).sum() ** 2


def unary_forms(W, x):
    return ((x @ (+W)) ** 2).sum() + ((x @ -(-W)) ** 2).sum() + ((-W @ x.T) ** 3).sum()


# ------------------------------------------------------------------------------------ rebinding, aliasing
def rebind_chain(W, x):
    x = x @ W
    W = W.T
    x = x @ W
    W = -W
    x = W @ x.T
    return (x**2).sum()


def swap_tuple(W, V, x):
    W, V = V, W
    return ((x @ W) ** 2).sum() + (x @ V).sum()


def swap_names(W, V, x):
    T = W
    W = V
    V = T
    return ((x @ W) ** 3).sum() + (x @ V).sum()


def alias_write_copy(W, x):
    V = W
    V[0, 0] = 3.0
    return ((x @ W) ** 2).sum()


def alias_write_original(W, x):
    V = W
    W[0, 0] = 3.0
    return ((x @ V) ** 2).sum()


def alias_augassign(W, x):
    V = W
    V *= 2.0
    return ((x @ W) ** 2).sum()


def alias_T_write(W, x):
    V = W.T
    V[0, 1] = 0.0
    return ((x @ W) ** 2).sum()


def alias_reshape_method_write(W, x):
    V = W.reshape(2, 8)
    V *= 3.0
    return ((x @ W) ** 2).sum()


def alias_neg_write(W, x):
    V = -W
    V[0, 1] = 0.0
    return ((x @ V) ** 2).sum() + (x @ W).sum()


def alias_list_write(W, x):
    L = [W]
    L[0][0, 0] = 0.0
    return ((x @ W) ** 2).sum()


def alias_dict_write(W, x):
    D = {"a": W}
    D["a"][0, 0] = 0.0
    return ((x @ W) ** 2).sum()


def aug_after_factored(W, x):
    y = x @ W
    W = W.T
    W -= 1.0
    return ((y @ W) ** 2).sum()


def copy_and_astype(W, x):
    V = W.copy()
    U = W.astype(np.float64)
    return ((x @ V) ** 2).sum() + ((x @ U) ** 3).sum()


# ------------------------------------------------------------------------------------ control flow
def factored_across_loop(W, x):
    V = W.T
    acc = 0.0
    for i in range(3):
        acc = acc + i * (x**2).sum()
    return ((x @ V) ** 2).sum() + acc


def loop_rebinds(W, x):
    V = W.T
    for i in range(2):
        V = V @ W
    return (V**2).sum()


def while_rebinds(W, x):
    i = 0
    while i < 2:
        W = W.T
        x = x @ W
        i += 1
    return (x**2).sum()


def branch_rebinds(W, x, c=True):
    if c:
        V = W.T
    else:
        V = W
    return ((x @ V) ** 2).sum()


def branch_not_mentioning(W, x, c=True):
    V = W.T
    if c:
        x = x * 2
    return ((x @ V) ** 2).sum()


def early_return(W, x, c=True):
    V = W.T
    if c:
        return ((x @ V) ** 2).sum()
    return (x @ W).sum()


def del_and_rebind(W, x):
    V = W.T
    y = x @ V
    del V
    V = W
    return ((y @ V) ** 2).sum()


def annotated(W, x):
    V: np.ndarray = W.T
    y: np.ndarray = x @ V
    return (y**2).sum()


def chained_targets(W, x):
    A = B = W.T
    return ((x @ A) ** 2).sum() + ((x @ B) ** 3).sum()


def ifexp_both_same(W, x, c=True):
    V = W.T if c else W
    return ((x @ V) ** 2).sum()


def shape_attributes(W, x):
    n = W.shape[0]
    V = W.T
    m = V.shape[1]
    return ((x @ V) ** 2).sum() * n * m + W.ndim


def generator_over_rows(W, x):
    return sum((r @ W).sum() ** 2 for r in x)


def comprehension_over_factored(W, x):
    return sum((r**2).sum() for r in W) + sum(c.sum() for c in W.T)


G = np.arange(16.0).reshape(4, 4) / 10


def module_level_array(W, x):
    return ((G @ W @ G.T) ** 2).sum()


# ------------------------------------------------------------------------------------ user functions
def _kw(x, W=None, scale=2.0):
    return x @ W * scale


def keyword_call(W, x):
    return (_kw(x, W=W) ** 2).sum() + _kw(W=W.T, x=x).sum()


def _twice(A, B):
    return A @ B


def same_arg_twice(W, x):
    return (_twice(W, W) ** 2).sum() + (_twice(W.T, W) ** 2).sum()


def _rec(W, x, n):
    if n == 0:
        return x
    return _rec(W, x @ W, n - 1)


def recursion(W, x):
    return (_rec(W, x, 3) ** 2).sum()


def _rec_T(W, x, n):
    y = x @ W
    return y if n == 0 else _rec_T(W.T, y, n - 1)


def recursion_transposing(W, x):
    return (_rec_T(W, x, 2) ** 2).sum()


def _ret_T(W):
    return W.T


def returns_factored(W, x):
    V = _ret_T(W)
    return ((x @ V) ** 2).sum()


def _ret_tuple(W, x):
    return W, x @ W


def returns_tuple(W, x):
    V, y = _ret_tuple(W, x)
    return ((x @ V) ** 2).sum() + (y**2).sum()


def _mut_named(W):
    W *= 2.0
    return 0.0


def callee_mutates_named_local(params, x):
    Wl = params["W"]
    c = _mut_named(Wl)
    return ((x @ params["W"]) ** 2).sum() + c


def local_view_mutated(params, x):
    Wl = params["W"]
    Wl *= 2.0
    return ((x @ params["W"]) ** 2).sum()


def local_view_written(params, x):
    Wl = params["W"]
    Wl[0] = 0.0
    return ((x @ params["W"]) ** 2).sum()


def _rebind_key(p):
    p["W"] = p["W"] * 3.0


def callee_rebinds_key(params, x):
    _rebind_key(params)
    return ((x @ params["W"]) ** 2).sum()


def _pass_on(p):
    _rebind_key(p)


def callee_rebinds_key_transitively(params, x):
    _pass_on(params)
    return ((x @ params["W"]) ** 2).sum()


def container_write_then_read(params, x):
    V = params["W"]
    params["W"][0, 0] = 0.0
    return ((x @ V) ** 2).sum()


def container_rebind_key(params, x):
    V = params["W"]
    y = x @ V
    params["W"] = params["W"] * 2.0
    return ((y @ V) ** 2).sum() + ((x @ params["W"]) ** 2).sum()


def _inner(p, x):
    return x @ p["W"]


def _outer(p, x):
    return _inner(p, x) @ p["W"].T


def nested_user_calls(p, x):
    return (_outer(p, x) ** 2).sum()


def sequence_param(ws, x):
    h = x @ ws[0]
    h = np.tanh(h) @ ws[1]
    h = h @ ws[-1].T
    return (h**2).sum()


def nested_containers(p, x):
    h = x @ p["l1"]["W"]
    h = h @ p["l2"][0]
    return (h**2).sum()


SQUARE = [
    mm_batched,
    mm_vectors,
    dot_nd_left,
    dot_scalar,
    same_name_twice,
    unary_forms,
    rebind_chain,
    alias_write_copy,
    alias_write_original,
    alias_augassign,
    alias_T_write,
    alias_reshape_method_write,
    alias_neg_write,
    alias_list_write,
    alias_dict_write,
    aug_after_factored,
    copy_and_astype,
    factored_across_loop,
    loop_rebinds,
    while_rebinds,
    branch_rebinds,
    branch_not_mentioning,
    early_return,
    del_and_rebind,
    annotated,
    chained_targets,
    ifexp_both_same,
    shape_attributes,
    generator_over_rows,
    comprehension_over_factored,
    module_level_array,
    keyword_call,
    same_arg_twice,
    recursion,
    recursion_transposing,
    returns_factored,
    returns_tuple,
]


@pytest.mark.parametrize("rank", [1, 3])
@pytest.mark.parametrize("f", SQUARE, ids=lambda f: f.__name__)
def test_square_matrix_cases(f, rank):
    rng = np.random.default_rng(10 + rank)
    W, x = rng.standard_normal((4, 4)), rng.standard_normal((3, 4))
    check_factored(f, (W, x), (rand_lowrank(rng, (4, 4), rank), None))
    if f not in (dot_scalar, two_factored):
        check_factored(f, (W, x), (rand_lowrank(rng, (4, 4), rank), rng.standard_normal(x.shape)))


@pytest.mark.parametrize("f", [two_factored, swap_tuple, swap_names], ids=lambda f: f.__name__)
def test_two_factored_arguments(f):
    rng = np.random.default_rng(3)
    W, V, x = rng.standard_normal((4, 4)), rng.standard_normal((4, 4)), rng.standard_normal((3, 4))
    args = (W, V) if f is two_factored else (W, V, x)
    tans = (rand_lowrank(rng, (4, 4), 1), rand_lowrank(rng, (4, 4), 3))
    check_factored(f, args, tans + (None,) * (len(args) - 2))


@pytest.mark.parametrize(
    "f",
    [
        callee_mutates_named_local,
        local_view_mutated,
        local_view_written,
        callee_rebinds_key,
        callee_rebinds_key_transitively,
        container_write_then_read,
        container_rebind_key,
        nested_user_calls,
    ],
    ids=lambda f: f.__name__,
)
def test_containers_mutation_and_calls(f):
    rng = np.random.default_rng(4)
    params = {"W": rng.standard_normal((4, 4)), "b": rng.standard_normal(4)}
    t = {"W": rand_lowrank(rng, (4, 4), 2), "b": rng.standard_normal(4)}
    check_factored(f, (params, rng.standard_normal((3, 4))), (t, None))


def test_sequences_and_nested_containers():
    rng = np.random.default_rng(5)
    W, x = rng.standard_normal((4, 4)), rng.standard_normal((3, 4))
    ws = [W, W + 1, W - 1]
    tl = [rand_lowrank(rng, (4, 4), 2), rng.standard_normal((4, 4)), rand_lowrank(rng, (4, 4), 1)]
    check_factored(sequence_param, (ws, x), (tl, None))
    check_factored(sequence_param, (tuple(ws), x), (tuple(tl), None))
    p = {"l1": {"W": W}, "l2": [W + 1]}
    t = {"l1": {"W": rand_lowrank(rng, (4, 4), 2)}, "l2": [rand_lowrank(rng, (4, 4), 1)]}
    check_factored(nested_containers, (p, x), (t, None))


# ------------------------------------------------------------------------------------ reshapes, transposes
def reshape_forms(W, x):
    A = W.reshape(-1, 3)
    B = W.reshape((2, -1))
    C = np.reshape(W, (3, 8))
    D = np.reshape(W, (6, 4), order="F")
    E = W.reshape(6, 4, order="F")
    return (
        (A**2).sum()
        + (x[:, :2] @ B).sum() ** 2
        + (C @ np.arange(8.0)).sum() ** 2
        + (D @ x.T).sum() ** 2
        + ((E @ x.T) ** 2).sum()
    )


def reshape_degenerate(W, x):
    A = W.reshape(24, 1)
    B = W.reshape(1, 24)
    C = W.reshape(4, 6, 1)
    D = W.reshape(1, 4, 6)
    return (A**2).sum() + (B @ A).sum() + (C**3).sum() + (x @ D).sum() ** 2


def reshape_twice(W, x):
    A = W.reshape(2, 2, 3, 2)
    B = A.reshape(4, 6)
    C = A.reshape(24)
    return ((x @ B) ** 2).sum() + (C**2).sum()


def reshape_shape_names(W, x):
    n = 2
    A = W.reshape(n, 12)
    s = (3, 8)
    B = W.reshape(s)
    C = W.reshape(*s)
    return (A**2).sum() + (B**3).sum() + (C @ np.ones(8)).sum() ** 2


def transpose_forms(W, x):
    A = W.transpose(1, 0)
    B = W.transpose((1, 0))
    C = np.transpose(W, (1, 0))
    D = np.transpose(W, axes=(1, 0))
    E = W.T.reshape(3, 8)
    return (
        ((x @ A.T) ** 2).sum()
        + ((B @ x.T) ** 2).sum()
        + (C**2).sum()
        + (D @ x.T).sum() ** 2
        + ((E @ np.arange(8.0)) ** 2).sum()
        + ((np.swapaxes(W, 0, 1) @ x.T) ** 2).sum()
    )


@pytest.mark.parametrize("rank", [1, 2])
@pytest.mark.parametrize(
    "f",
    [reshape_forms, reshape_degenerate, reshape_twice, reshape_shape_names, transpose_forms],
    ids=lambda f: f.__name__,
)
def test_rectangular_reshapes(f, rank):
    rng = np.random.default_rng(20 + rank)
    W, x = rng.standard_normal((4, 6)), rng.standard_normal((3, 4))
    check_factored(f, (W, x), (rand_lowrank(rng, (4, 6), rank), None))


def kernel_im2col(K, P):
    return ((P @ K.reshape(9, 5)) ** 2).sum() + ((P @ K.reshape(9, -1)) ** 3).sum()


def kernel_transposed(K, P):
    B = K.T.reshape(5, 9)
    return ((P @ B.T) ** 2).sum() + np.einsum("ijk,k->ij", K, np.ones(5)).sum() ** 2


def kernel_einsums(K, P):
    a = np.einsum("ijk,lij->lk", K, P.reshape(7, 3, 3))
    b = np.einsum("ijk->kji", K)
    c = np.einsum("ijk,ijk->", K, K)
    d = np.einsum("iik->k", K)
    e = np.einsum("abc,bac->c", K, K)
    return (a**2).sum() + (b[0] ** 2).sum() + c + (d**2).sum() + (e**2).sum()


def kernel_reshapes(K, P):
    A = K.reshape(3, 15)
    B = K.reshape(45)
    C = K.reshape(3, 3, 5, 1)
    D = K.reshape(1, 9, 5)
    return (A**2).sum() + (B**2).sum() + (C**2).sum() + ((P @ D[0]) ** 2).sum()


def kernel_matmuls(K, P):
    return ((K @ np.ones((5, 2))) ** 2).sum() + ((np.ones((2, 3)) @ K) ** 2).sum() + (np.dot(K, np.ones(5)) ** 2).sum()


@pytest.mark.parametrize("rank,split", [(1, 2), (2, 2), (2, 1)])
@pytest.mark.parametrize(
    "f", [kernel_im2col, kernel_transposed, kernel_einsums, kernel_reshapes, kernel_matmuls], ids=lambda f: f.__name__
)
def test_three_axis_kernel_splits(f, rank, split):
    rng = np.random.default_rng(30 + rank + split)
    K, P = rng.standard_normal((3, 3, 5)), rng.standard_normal((7, 9))
    check_factored(f, (K, P), (rand_lowrank(rng, (3, 3, 5), rank, split), None))


def all_forms_on_split(W, x):
    V = W.T
    U = -V
    R = W.reshape(2, 8)
    return (
        ((x @ W) ** 2).sum()
        + ((U @ x.T) ** 2).sum()
        + (R**2).sum()
        + np.einsum("ij,jk->", W, W)
        + (np.dot(W, x[0]) ** 2).sum()
    )


@pytest.mark.parametrize("split", [0, 1, 2])
def test_matrix_with_unusual_split(split):
    rng = np.random.default_rng(40 + split)
    W, x = rng.standard_normal((4, 4)), rng.standard_normal((3, 4))
    for rank in (1, 2):
        check_factored(all_forms_on_split, (W, x), (rand_lowrank(rng, (4, 4), rank, split), None))


# ------------------------------------------------------------------------------------ einsum
def ein_ellipsis_implicit(W, x):
    return (
        (np.einsum("...i,ij->...j", x, W) ** 2).sum()
        + (np.einsum("bi,ij", x, W) ** 2).sum()
        + np.einsum("ij", W).sum()
        + np.einsum("ii", W)
    )


def ein_uppercase_spaces(W, x):
    return (
        (np.einsum("BI,IJ->BJ", x, W) ** 2).sum()
        + (np.einsum("bI,Ia->ab", x, W) ** 2).sum()
        + (np.einsum("i j , j k -> i k", W, W) ** 2).sum()
    )


def ein_three_operands(W, x):
    return (
        (np.einsum("ij,jk,kl->il", W, W, W) ** 2).sum()
        + (np.einsum("ij,bj,ik->bk", W, x, W) ** 2).sum()
        + (np.einsum("ab,ab,ab->a", W, W, W) ** 2).sum()
        + (np.einsum("ij,i,j->", W, x[0], x[1]) ** 2)
    )


def ein_repeated(W, x):
    return (
        (np.einsum("ij,ij->i", W, W) ** 2).sum()
        + (np.einsum("ij,ji->j", W, W) ** 2).sum()
        + (np.einsum("ii->i", W) ** 2).sum()
        + (np.einsum("ij,jj->i", W, W) ** 2).sum()
        + (np.einsum("ii,i->i", W, x[0]) ** 2).sum()
    )


def ein_permutations(W, x):
    return (
        (np.einsum("ij->j", W) ** 2).sum()
        + (np.einsum("ij->", W) ** 2)
        + (np.einsum("ij,kl->ijkl", W, W) ** 2).sum()
        + (np.einsum("ij,k->ikj", W, x[0]) ** 2).sum()
        + (np.einsum("ij,kj->ik", x, W) ** 2).sum()
        + (np.einsum("ji,kj->ki", W, x) ** 2).sum()
    )


def ein_optimize(W, x):
    return (
        (np.einsum("ij,jk->ki", W, W, optimize=True) ** 2).sum()
        + (np.einsum("ij,jk->ik", W, W, optimize="greedy") ** 2).sum()
        + (np.einsum("ab,bc->ac", W, W) ** 2).sum()
    )


def ein_batched(W, x):
    x3 = np.stack([x, 2 * x])
    return (np.einsum("bij,jk->bik", x3, W) ** 2).sum() + (np.einsum("ij,bkj->bki", W, x3) ** 2).sum()


@pytest.mark.parametrize("rank", [1, 2])
@pytest.mark.parametrize(
    "f",
    [
        ein_ellipsis_implicit,
        ein_uppercase_spaces,
        ein_three_operands,
        ein_repeated,
        ein_permutations,
        ein_optimize,
        ein_batched,
    ],
    ids=lambda f: f.__name__,
)
def test_einsum_forms(f, rank):
    rng = np.random.default_rng(50 + rank)
    W, x = rng.standard_normal((4, 4)), rng.standard_normal((3, 4))
    check_factored(f, (W, x), (rand_lowrank(rng, (4, 4), rank), None))
    check_factored(f, (W, x), (rand_lowrank(rng, (4, 4), rank), rng.standard_normal(x.shape)))


# ------------------------------------------------------------------------------------ caches, dtypes
def _tanh_layer(W, x):
    return (np.tanh(x @ W) ** 2).sum()


def test_forward_diff_alternating_structures():
    rng = np.random.default_rng(6)
    W, x = rng.standard_normal((4, 4)), rng.standard_normal((3, 4))
    F = tf.forward_diff(_tanh_layer)
    for t in (rand_lowrank(rng, (4, 4), 2), rand_lowrank(rng, (4, 4), 1), rand_lowrank(rng, (4, 4), 3, split=2)):
        a, b, c = F(W, x, t.dense()), F(W, x, t), F(W, x, t.dense())
        assert a == c and np.isclose(a[1], b[1], rtol=1e-12)


def test_float32_primals():
    rng = np.random.default_rng(7)
    W, x = rng.standard_normal((4, 4)).astype(np.float32), rng.standard_normal((3, 4)).astype(np.float32)
    t = rand_lowrank(rng, (4, 4), 2)
    d1 = tf.jvp(_tanh_layer, (W, x), (t, None))[1]
    d2 = tf.jvp(_tanh_layer, (W, x), (t.dense(), None))[1]
    assert np.asarray(d1).dtype == np.float32 and np.isclose(d1, d2, rtol=1e-4)


# ------------------------------------------------------------------------------------ shift invariance
def _shift_check(f, args, tangents, dropped=None):
    wrt = tuple(i for i, t in enumerate(tangents) if t is not None)
    if dropped is not None:
        assert ("extremum_jvp" not in tf.source(f, wrt=wrt)) == dropped
    d = tf.jvp(f, copy.deepcopy(args), copy.deepcopy(tangents))[1]
    h = 1e-6
    plus = [a + h * t if t is not None else a for a, t in zip(copy.deepcopy(args), tangents)]
    minus = [a - h * t if t is not None else a for a, t in zip(copy.deepcopy(args), tangents)]
    fd = (f(*plus) - f(*minus)) / (2 * h)
    assert np.allclose(d, fd, rtol=1e-5, atol=1e-7), (d, fd)


def sh_positional_sum(x):
    s = x - x.max(axis=1, keepdims=True)
    e = np.exp(s)
    return (e / np.sum(e, 1, keepdims=True))[0, 1] + (e / e.sum(1, keepdims=True))[1, 2]


def sh_division_order(x):
    s = x - x.max(axis=1, keepdims=True)
    e = np.exp(s)
    q = e.sum(axis=1, keepdims=True) / e
    return q[0, 1]


def sh_times_array_neg_axis(x, y):
    s = x - x.max(axis=-1, keepdims=True)
    e = np.exp(s) * y
    p = e / e.sum(axis=-1, keepdims=True)
    return p[0, 1, 2]


def sh_other_shift_factor(x, y):
    s = x - x.max(axis=-1, keepdims=True)
    e = np.exp(s) * np.exp(y)
    p = e / e.sum(axis=-1, keepdims=True)
    return p[1, 2]


def sh_axis_written_differently(x):
    s = x - x.max(axis=1, keepdims=True)
    return (s - np.log(np.exp(s).sum(axis=-1, keepdims=True)))[0, 1]


def sh_axis_mismatch(x):
    s = x - x.max(axis=-2, keepdims=True)
    return (s - np.log(np.exp(s).sum(axis=-1, keepdims=True)))[0, 1]


def sh_amin(x):
    s = x - np.amin(x, axis=0, keepdims=True)
    return (s - np.log(np.exp(s).sum(axis=0, keepdims=True)))[2, 1]


def sh_add_back_max(x):
    m = x.max(axis=-1, keepdims=True)
    s = x - m
    y = s + m
    return (y - np.log(np.exp(y).sum(axis=-1, keepdims=True)))[0, 1] + m[0, 0] + (y * y)[1, 1]


def sh_through_tuple(x):
    s = x - x.max(axis=1, keepdims=True)
    t = (s, 1)
    return t[0][0, 0]


def sh_through_list(x):
    s = x - x.max(axis=1, keepdims=True)
    t = [s]
    return np.log(np.exp(t[0]).sum(axis=1, keepdims=True))[0, 0]


def sh_transposed(x):
    s = x - x.max(axis=1, keepdims=True)
    e = np.exp(s.T)
    return (e / e.sum(axis=1, keepdims=True))[0, 0]


def sh_reshaped(x):
    s = x - x.max(axis=1, keepdims=True)
    e = np.exp(s).reshape(5, 4)
    return (e / e.sum(axis=1, keepdims=True))[0, 0]


def sh_column_sum(x):
    s = x - x.max(axis=1, keepdims=True)
    e = np.exp(s)
    r = e / e.sum(axis=1, keepdims=True)
    return r[:, 0].sum()


def sh_second_shift_other_axis(x):
    s = x - x.max(axis=1, keepdims=True)
    t = s - s.max(axis=0, keepdims=True)
    return (t - np.log(np.exp(t).sum(axis=0, keepdims=True)))[0, 0]


def sh_second_shift_same_axis(x):
    s = x - x.max(axis=1, keepdims=True)
    t = s - s.max(axis=1, keepdims=True)
    return (t - np.log(np.exp(t).sum(axis=1, keepdims=True)))[0, 0]


def sh_mean(x):
    s = x - x.max(axis=1, keepdims=True)
    return (s - s.mean(axis=1, keepdims=True))[0, 0]


def sh_max_without_keepdims(x):
    s = x - x.max(axis=1)[:, None]
    return (s - np.log(np.exp(s).sum(axis=1, keepdims=True)))[0, 0]


def sh_x_mutated_after(x):
    s = x - x.max(axis=1, keepdims=True)
    x *= 2.0
    return (s - np.log(np.exp(s).sum(axis=1, keepdims=True)))[0, 0] + x[0, 0]


def sh_x_written_between(x):
    m = x.max(axis=1, keepdims=True)
    x[0, 0] = 100.0
    s = x - m
    return (s - np.log(np.exp(s).sum(axis=1, keepdims=True)))[0, 1]


def sh_m_mutated_between(x):
    m = x.max(axis=1, keepdims=True)
    m *= np.arange(1.0, 5.0)[:, None]
    s = x - m
    return (s - np.log(np.exp(s).sum(axis=1, keepdims=True)))[0, 1]


def sh_m_view_written(x):
    m = x.max(axis=1, keepdims=True)
    v = m.reshape(4)
    v[0] = v[0] * 2.0
    s = x - m
    e = np.exp(s)
    return (e / e.sum(axis=1, keepdims=True))[0, 1]


def sh_rebind_lower_rank_axis0(x, y):
    m = np.max(x, axis=0, keepdims=True)  # (1, 5): broadcast onto (3, 4, 5) it is constant along axis 0
    x = y + 0.0
    s = x - m
    e = np.exp(s)
    return (e / e.sum(axis=0, keepdims=True))[1, 2, 3]


def sh_factored_logits(W, x):
    z = x @ W
    s = z - z.max(axis=1, keepdims=True)
    return (s - np.log(np.exp(s).sum(axis=1, keepdims=True)))[:, 0].sum()


SHIFT_CASES = {  # function -> dropped? (None: not asserted)
    sh_positional_sum: False,
    sh_division_order: True,
    sh_other_shift_factor: True,
    sh_axis_written_differently: False,
    sh_axis_mismatch: False,
    sh_amin: False,
    sh_add_back_max: False,
    sh_through_tuple: False,
    sh_through_list: False,
    sh_transposed: False,
    sh_reshaped: False,
    sh_column_sum: True,
    sh_second_shift_other_axis: False,
    sh_second_shift_same_axis: False,
    sh_mean: False,
    sh_max_without_keepdims: False,
    sh_x_mutated_after: None,
    sh_x_written_between: None,
    sh_m_mutated_between: None,
    sh_m_view_written: None,
}


@pytest.mark.parametrize("f", list(SHIFT_CASES), ids=lambda f: f.__name__)
def test_shift_cases_match_finite_differences(f):
    rng = np.random.default_rng(60)
    x, dx = rng.standard_normal((4, 5)), rng.standard_normal((4, 5))
    if f is sh_other_shift_factor:
        _shift_check(f, (x, x.copy()), (dx, rng.standard_normal((4, 5))), SHIFT_CASES[f])
    else:
        _shift_check(f, (x,), (dx,), SHIFT_CASES[f])


def test_shift_with_broadcast_operands():
    rng = np.random.default_rng(61)
    x, dx = rng.standard_normal((4, 5)), rng.standard_normal((4, 5))
    for y in (rng.standard_normal((3, 4, 5)), rng.standard_normal((1, 4, 1)), rng.standard_normal((2, 1, 5))):
        _shift_check(sh_times_array_neg_axis, (x, y), (dx, None), True)
    _shift_check(sh_rebind_lower_rank_axis0, (x, rng.standard_normal((3, 4, 5))), (dx, None))


def test_shift_with_factored_logits():
    rng = np.random.default_rng(62)
    W, x = rng.standard_normal((4, 5)), rng.standard_normal((3, 4))
    for rank in (1, 2):
        check_factored(sh_factored_logits, (W, x), (rand_lowrank(rng, (4, 5), rank), None))
        check_factored(sh_factored_logits, (W, x), (rand_lowrank(rng, (4, 5), rank), rng.standard_normal(x.shape)))
