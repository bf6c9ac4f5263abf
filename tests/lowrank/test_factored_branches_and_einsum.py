"""Factored (LowRank) tangents through conditionals, aliases, einsum and the shift-invariance pass.
Each factored JVP equals the JVP along the same tangent made dense and central
finite differences; each dense-mode case (conditional expressions, and/or) and each shift case equals
finite differences, and the shift tangent is dropped or kept where named."""

import copy

import numpy as np
import pytest
from lowrank_checks import _fd, _flat, check_factored, rand_lowrank  # noqa: F401

import tangent_fwd as tf


def check_dense(f, args, tangents):
    _, d = tf.jvp(f, copy.deepcopy(args), copy.deepcopy(tangents))
    d, fd = _flat(d), _fd(f, args, tangents)
    scale = max(1.0, float(np.max(np.abs(fd))))
    assert d.shape == fd.shape
    assert np.allclose(d, fd, rtol=1e-5, atol=1e-6 * scale), (d, fd)


# ------------------------------------------------------------------ in-place writes through aliases that are detected


def sh1_list_holder(W, x):
    V = W
    L = [V]
    L[0][0, 1] = 0.0
    return ((x @ W) ** 2).sum()


def sh1_asarray_view(W, x):
    V = W
    U = np.asarray(V)
    U[0, 1] = 0.0
    return ((x @ W) ** 2).sum()


def sh1_slice_ellipsis(W, x):
    V = W.T
    U = V[...]
    U[0, 1] = 0.0
    return ((x @ W) ** 2).sum()


def sh1_loop_row_write(W, x):
    V = W.T
    for row in V:
        row[0] = 0.0
    return ((x @ W) ** 2).sum()


def sh1_branch_write(W, x, c=True):
    V = W
    if c:
        U = V[:2]
        U[0, 1] = 0.0
    return ((x @ W) ** 2).sum()


def sh1_neg_then_write(W, x):
    V = -W
    W[0, 1] = 0.0
    return ((x @ V) ** 2).sum() + ((x @ W) ** 2).sum()


def sh1_reshape_alias_write_later(W, x):
    V = W.reshape(2, 2, 4)
    W[0, 1] = 0.0
    return (np.einsum("bij,ijk->bk", x.reshape(3, 2, 2), V) ** 2).sum()


def sh1_ravel_alias(W, x):
    V = W
    U = V.ravel()
    U[1] = 0.0
    return ((x @ W) ** 2).sum()


def sh1_swapaxes_alias(W, x):
    V = W
    U = np.swapaxes(V, 0, 1)
    U[1, 0] = 0.0
    return ((x @ W) ** 2).sum()


def sh1_neg_alias_dense(W, x):
    V = -W
    U = V.real
    U[0, 1] = 0.0
    return ((x @ V) ** 2).sum()


def sh1_matmul_result_alias(W, x):
    y = x @ W
    z = y.real
    z[0, 0] = 0.0
    return (y**2).sum()


SHARING = [
    sh1_list_holder,
    sh1_asarray_view,
    sh1_slice_ellipsis,
    sh1_loop_row_write,
    sh1_branch_write,
    sh1_neg_then_write,
    sh1_reshape_alias_write_later,
    sh1_ravel_alias,
    sh1_swapaxes_alias,
    sh1_neg_alias_dense,
    sh1_matmul_result_alias,
]


@pytest.mark.parametrize("f", SHARING, ids=lambda f: f.__name__)
@pytest.mark.parametrize("rank", [1, 3])
def test_detected_sharing(f, rank):
    rng = np.random.default_rng(0)
    W, x = rng.standard_normal((4, 4)), rng.standard_normal((3, 4))
    check_factored(f, (W, x), (rand_lowrank(rng, (4, 4), rank), None))


# ------------------------------------------------------------------ conditional expressions and and/or, dense tangents


def cx_nested_ifexp(x, c=1):
    y = x * 2.0 if c == 0 else (np.sin(x) if c == 1 else x**3)
    return (y * x).sum()


def cx_nested_ifexp_test(x, c=1):
    y = x * 2.0 if (x.sum() > 100 if c else x.sum() < 100) else np.cos(x)
    return y.sum()


def cx_ifexp_in_loop(x):
    acc = 0.0
    for i in range(4):
        acc = acc * x if i % 2 else acc + np.sin(x)
    return acc.sum()


def cx_ifexp_in_loop_maybe_zero(x):
    acc = 0.0
    for i in range(4):
        acc = acc if i < 2 else acc + x * i
    return acc.sum()


def cx_ifexp_in_loop_maybe_zero2(x):
    acc = 0.0
    for i in range(3):
        acc = (acc * 2.0 if i > 0 else 1.0) + (x if i == 2 else 0.0)
    return acc.sum()


def cx_ifexp_in_while(x):
    acc = x
    i = 0
    while i < 3:
        acc = acc * acc if i == 1 else acc + 1.0
        i += 1
    return acc.sum()


def cx_ifexp_in_listcomp(x):
    ys = [v * v if v > 0 else -v for v in x]
    return sum(ys)


def cx_ifexp_in_genexp(x):
    return sum(v * v if v > 0 else np.sin(v) for v in x)


def cx_ifexp_in_listcomp_filter(x):
    ys = [v * 3.0 if i % 2 else v for i, v in enumerate(x) if (v > -10 if i else True)]
    return sum(ys)


def cx_ifexp_return(x, c=True):
    return x * x if c else x


def cx_ifexp_return_tuple(x, c=False):
    return (x * x if c else np.exp(x)), x.sum()


def cx_ifexp_return_in_loop(x):
    for i in range(5):
        if i == 3:
            return x * i if i > 2 else x
    return x


def cx_ifexp_augassign(x):
    y = x.copy()
    y += x * x if y.sum() > -100 else x
    return y


def cx_ifexp_subscript_aug(x):
    y = np.zeros(4)
    y[1:3] += x[:2] * x[1:3] if x.sum() > -100 else x[:2]
    return y


def cx_ifexp_call_kw(x):
    return np.sum(a=x * x if x[0] > -100 else x, axis=0)


def cx_boolop_and(x, c=2.0):
    a = c and x * 3.0
    return a.sum()


def cx_boolop_or_scalar(x):
    s = x.sum()
    t = (s > 1000) or s * s
    return t


def cx_boolop_chain(x):
    s = x[0]
    t = s and (s * 2.0) and (s * s * 3.0)
    return t


def cx_boolop_or_chain_scalar(x):
    s = x[0] * 0.0
    t = s or x[1] * 2.0 or x[2]
    return t


def cx_ifexp_nested_def(x):
    def g(t):
        return t * t if t.sum() > 0 else -t

    return g(x).sum() + g(-x).sum()


def cx_ifexp_two_in_stmt(x):
    y = (x if x[0] > 0 else -x) * (x * x if x[1] > 0 else x)
    return y.sum()


def cx_ifexp_dict(x):
    d = {"a": x * 2 if x[0] > -10 else x, "b": x}
    return (d["a"] * d["b"]).sum()


def cx_ifexp_with_same_name(x):
    y = x
    y = y * y if y[0] > -10 else y
    y = y + y if y[0] > -10 else y
    return y.sum()


def cx_ifexp_inplace_after(x):
    y = x * 1.0 if x[0] > -10 else x
    y[0] = 0.0
    return (y * x).sum()


def cx_ifexp_alias_inplace(x):
    z = x * 2.0
    y = z if x[0] > -10 else x * 3.0
    y[0] = 7.0
    return (z * x).sum()


def cx_boolop_alias_inplace(x):
    z = x * 2.0
    y = True and z
    y[0] = 7.0
    return (z * x).sum()


def cx_ifexp_zero_branch(x):
    y = 0.0 if x[0] > 100 else x
    z = y if x[0] < 100 else 0.0
    return (z * x).sum()


def cx_ifexp_in_comp_closure(x):
    ys = [x * k if k else x for k in range(3)]
    return (ys[0] + ys[1] * ys[2]).sum()


def cx_ifexp_dictcomp(x):
    d = {k: (x * k if k else x) for k in range(3)}
    return (d[0] * d[2]).sum()


def cx_ifexp_ifexp_in_loop_break(x):
    acc = x
    for i in range(10):
        acc = acc * 0.5 if acc.sum() > 0.1 else acc
        if i == 4:
            break
    return acc.sum()


def cx_nested_comp_ifexp(x):
    return sum(sum(a * b if a > b else a - b for b in x) for a in x)


CONDEXPR = [
    cx_nested_ifexp,
    cx_nested_ifexp_test,
    cx_ifexp_in_loop,
    cx_ifexp_in_loop_maybe_zero,
    cx_ifexp_in_loop_maybe_zero2,
    cx_ifexp_in_while,
    cx_ifexp_in_listcomp,
    cx_ifexp_in_genexp,
    cx_ifexp_in_listcomp_filter,
    cx_ifexp_return,
    cx_ifexp_return_tuple,
    cx_ifexp_return_in_loop,
    cx_ifexp_augassign,
    cx_ifexp_subscript_aug,
    cx_ifexp_call_kw,
    cx_boolop_and,
    cx_boolop_or_scalar,
    cx_boolop_chain,
    cx_boolop_or_chain_scalar,
    cx_ifexp_nested_def,
    cx_ifexp_two_in_stmt,
    cx_ifexp_dict,
    cx_ifexp_with_same_name,
    cx_ifexp_inplace_after,
    cx_ifexp_alias_inplace,
    cx_boolop_alias_inplace,
    cx_ifexp_zero_branch,
    cx_ifexp_in_comp_closure,
    cx_ifexp_dictcomp,
    cx_ifexp_ifexp_in_loop_break,
    cx_nested_comp_ifexp,
]


@pytest.mark.parametrize("f", CONDEXPR, ids=lambda f: f.__name__)
def test_conditional_expressions_dense(f):
    rng = np.random.default_rng(1)
    x = rng.standard_normal(4) + 0.5
    check_dense(f, (x,), (rng.standard_normal(4),))


# ------------------------------------------------------------------ einsum and matrix products with two factored operands


def ein_ein_two_factored(A, B, x):
    return (np.einsum("bi,ij,jk->bk", x, A, B) ** 2).sum()


def ein_ein_same_twice(A, B, x):
    return (np.einsum("bi,ij,ij->b", x, A, A) ** 2).sum()


def ein_ein_same_twice_chain(A, B, x):
    return (np.einsum("ij,jk->ik", A, A) ** 2).sum()


def ein_ein_with_T_expr(A, B, x):
    return (np.einsum("ij,jk->ik", A, A.T) ** 2).sum()


def ein_mm_with_T_expr(A, B, x):
    return ((A @ A.T) ** 2).sum()


def ein_mm_with_neg_expr(A, B, x):
    return ((A @ -B) ** 2).sum()


def ein_dot_with_T_expr(A, B, x):
    return (np.dot(A, B.T) ** 2).sum()


def ein_ein_with_neg_expr(A, B, x):
    return (np.einsum("ij,jk->ik", A, -B) ** 2).sum()


def ein_ein_with_sub_expr(A, B, x):
    return (np.einsum("ij,j->i", A, B[0]) ** 2).sum()


def ein_ein_trace(A, B, x):
    return np.einsum("ii->", A) * np.einsum("ij,ji->", A, B)


def ein_ein_diag(A, B, x):
    return (np.einsum("ii->i", A) ** 2).sum() + (np.einsum("ij,ij->i", A, B) ** 3).sum()


def ein_ein_outer_only(A, B, x):
    return (np.einsum("ij,kl->ijkl", A, B) ** 2).sum()


def ein_ein_result_order(A, B, x):
    return (np.einsum("bi,ij->jb", x, A) ** 2).sum()


def ein_ein_transposed_out(A, B, x):
    return (np.einsum("ij->ji", A) @ x.T).sum() + (np.einsum("ij", A) ** 2).sum()


def ein_ein_optimize(A, B, x):
    return (np.einsum("bi,ij,jk->bk", x, A, B, optimize=True) ** 2).sum()


def ein_ein_spaces(A, B, x):
    return (np.einsum("b i , i j -> b j", x, A) ** 2).sum()


def ein_ein_capital(A, B, x):
    return (np.einsum("aB,Bc->ac", x, A) ** 2).sum()


def ein_ein_three_same(A, B, x):
    return np.einsum("ij,jk,ki->", A, A, A)


def ein_ein_mixed_self_dense(A, B, x):
    C = A * 1.0
    return (np.einsum("ij,jk->ik", A, C) ** 2).sum()


def ein_ein_param_after_T(A, B, x):
    V = A.T
    return (np.einsum("ij,jk->ik", V, B) ** 2).sum() + (np.einsum("ij,ij->", V, A.T))


def ein_ein_allletters(A, B, x):
    # uses many letters so fresh letter is from uppercase
    return (np.einsum("bi,ij->bj", x, A)).sum()


EINSUM2 = [
    ein_ein_two_factored,
    ein_ein_same_twice,
    ein_ein_same_twice_chain,
    ein_ein_with_T_expr,
    ein_mm_with_T_expr,
    ein_mm_with_neg_expr,
    ein_dot_with_T_expr,
    ein_ein_with_neg_expr,
    ein_ein_with_sub_expr,
    ein_ein_trace,
    ein_ein_diag,
    ein_ein_outer_only,
    ein_ein_result_order,
    ein_ein_transposed_out,
    ein_ein_optimize,
    ein_ein_spaces,
    ein_ein_capital,
    ein_ein_three_same,
    ein_ein_mixed_self_dense,
    ein_ein_param_after_T,
    ein_ein_allletters,
]


@pytest.mark.parametrize("f", EINSUM2, ids=lambda f: f.__name__)
@pytest.mark.parametrize("both", [True, False])
def test_einsum_two_factored(f, both):
    rng = np.random.default_rng(2)
    A, B, x = rng.standard_normal((4, 4)), rng.standard_normal((4, 4)), rng.standard_normal((3, 4))
    TA, TB = rand_lowrank(rng, (4, 4), 1), rand_lowrank(rng, (4, 4), 3)
    check_factored(f, (A, B, x), (TA, TB if both else None, None))


def e3_a(K, x):
    return (np.einsum("bij,ijk->bk", x, K) ** 2).sum()


def e3_c(K, x):
    return (np.einsum("iji->j", K[:, :, :2]) ** 2).sum() if False else (np.einsum("ijk->kji", K) ** 2).sum()


def e3_d(K, x):
    return (np.einsum("ijk,ijk->k", K, K) ** 2).sum()


def e3_e(K, x):
    return (np.einsum("iij->j", K[:, :, :]) ** 2).sum()


def e3_f(K, x):
    return (np.einsum("ijk,ijl->kl", K, K) ** 2).sum()


def e3_g(K, x):
    V = K.reshape(4, 2)
    return (np.einsum("bi,ij->bj", x.reshape(-1, 4)[:, :4], V) ** 2).sum()


def e3_h(K, x):
    V = K.reshape(2, 4)
    return (np.einsum("ij,jk->ik", V, V.T.reshape(4, 2)) ** 2).sum()


def e3_i(K, x):
    V = K.reshape((2, 2, 2))
    return (np.einsum("ijk,jk->i", V, V[0]) ** 2).sum()


def e3_j(K, x):
    return np.einsum("ijk,kji->", K, K.T)


def e3_k(K, x):
    return (np.einsum("ijk,lmk->ijlm", K, K) ** 2).sum()


def e3_l(K, x):
    return (np.einsum("ijj->i", K) ** 2).sum()


def e3_m(K, x):
    return (np.einsum("iik->k", K) ** 2).sum()


def e3_n(K, x):
    # broadcasting operand with size-1 axis
    return (np.einsum("bij,ijk->bk", x[:, :1, :], K[:1]) ** 2).sum()


EINSUM3 = [e3_a, e3_c, e3_d, e3_e, e3_f, e3_g, e3_h, e3_i, e3_j, e3_k, e3_l, e3_m, e3_n]


@pytest.mark.parametrize("f", EINSUM3, ids=lambda f: f.__name__)
@pytest.mark.parametrize("split", [1, 2])
@pytest.mark.parametrize("rank", [1, 3])
def test_einsum_three_axes(f, split, rank):
    rng = np.random.default_rng(3)
    K, x = rng.standard_normal((2, 2, 2)), rng.standard_normal((3, 2, 2))
    check_factored(f, (K, x), (rand_lowrank(rng, (2, 2, 2), rank, split), None))


# ------------------------------------------------------------------ conditional expressions with factored names


def fx_ifexp_fact_loop(W, V, x):
    acc = x
    for i in range(3):
        acc = acc @ W if i % 2 else acc @ W.T
    return (acc**2).sum()


def fx_ifexp_fact_comp(W, V, x):
    ys = [x @ (W if i else W.T) for i in range(3)]
    return sum((y**2).sum() for y in ys)


def fx_ifexp_fact_return(W, V, x, c=True):
    return ((x @ W) if c else (x @ W.T)).sum() ** 2


def fx_ifexp_both_factored(W, V, x, c=True):
    U = W if c else V
    return ((x @ U) ** 2).sum() + ((x @ W) ** 3).sum()


def fx_ifexp_nested_fact(W, V, x, c=1):
    U = W.T if c == 0 else (V if c == 1 else -W)
    return ((x @ U) ** 2).sum() + ((x @ V.T) ** 2).sum()


def fx_boolop_or_fact(W, V, x):
    U = None or W
    return ((x @ U) ** 2).sum()


def fx_boolop_and_fact_chain(W, V, x):
    U = W is not None and V is not None and V.T
    return ((x @ U) ** 2).sum() + ((x @ V) ** 2).sum()


def fx_ifexp_reshape(W, V, x, c=True):
    U = W.reshape(2, 8) if c else V.reshape(2, 8)
    return ((x[:, :2] @ U) ** 2).sum()


def fx_ifexp_maybe_zero_fact(W, V, x):
    acc = 0.0
    for i in range(3):
        acc = acc + (x @ W if i == 1 else 0.0)
    return (acc**2).sum()


def fx_ifexp_in_einsum(W, V, x, c=True):
    return (np.einsum("bi,ij->bj", x, W if c else V) ** 2).sum()


def fx_reshape_name_shape(W, V, x):
    n = 2
    U = W.reshape(n, 8)
    return ((x[:, :2] @ U) ** 2).sum()


def fx_reshape_minus1(W, V, x):
    U = W.reshape(-1, 2)
    return ((x[:, :4] @ U.reshape(4, 8)[:, :4].T) ** 2).sum() if False else ((np.ones((3, 8)) @ U) ** 2).sum()


def fx_reshape_shape_var(W, V, x):
    s = (2, 8)
    U = W.reshape(s)
    return ((x[:, :2] @ U) ** 2).sum()


def fx_reshape_3d_then_mm(W, V, x):
    U = W.reshape(2, 2, 4)
    return ((U @ x.T) ** 2).sum()


def fx_matvec_1d(W, V, x):
    return (
        ((W @ x[0]) ** 2).sum() + ((x[0] @ W) ** 2).sum() + (np.dot(x[0], V) ** 2).sum() + (np.dot(V, x[1]) ** 2).sum()
    )


def fx_mm_batched3d(W, V, x):
    x3 = np.stack([x, x * 2.0])
    return ((x3 @ W) ** 2).sum() + ((W @ x3.transpose(0, 2, 1)) ** 2).sum() + (np.dot(x3, V) ** 2).sum()


def fx_mm_chain(W, V, x):
    return ((x @ W @ V) ** 2).sum() + ((W @ V @ x.T) ** 2).sum()


def fx_dot_method_3d(W, V, x):
    x3 = np.stack([x.T, x.T * 2.0])  # (2, 4, 3)
    return (W.dot(x3) ** 2).sum() + (np.dot(V, x3) ** 2).sum()


def fx_matmul_W_W(W, V, x):
    return ((W @ W) ** 2).sum() + (np.dot(V, V) ** 2).sum() + ((W @ V) ** 2).sum()


def fx_matmul_scalarlike(W, V, x):
    a = np.ones((1, 4))
    return ((a @ W) ** 2).sum()


FACT_COND = [
    fx_ifexp_fact_loop,
    fx_ifexp_fact_comp,
    fx_ifexp_fact_return,
    fx_ifexp_both_factored,
    fx_ifexp_nested_fact,
    fx_boolop_or_fact,
    fx_boolop_and_fact_chain,
    fx_ifexp_reshape,
    fx_ifexp_maybe_zero_fact,
    fx_ifexp_in_einsum,
    fx_reshape_name_shape,
    fx_reshape_minus1,
    fx_reshape_shape_var,
    fx_reshape_3d_then_mm,
    fx_matvec_1d,
    fx_mm_batched3d,
    fx_mm_chain,
    fx_dot_method_3d,
    fx_matmul_W_W,
    fx_matmul_scalarlike,
]


@pytest.mark.parametrize("f", FACT_COND, ids=lambda f: f.__name__)
@pytest.mark.parametrize("ranks", [(1, 3), (2, 1)])
def test_factored_conditionals_and_products(f, ranks):
    rng = np.random.default_rng(5)
    W, V, x = rng.standard_normal((4, 4)), rng.standard_normal((4, 4)), rng.standard_normal((3, 4))
    check_factored(f, (W, V, x), (rand_lowrank(rng, (4, 4), ranks[0]), rand_lowrank(rng, (4, 4), ranks[1]), None))


def fx_ifexp_dict_param(p, V, x, c=True):
    W = p["a"] if c else p["b"]
    return ((x @ W) ** 2).sum() + ((x @ p["b"]) ** 2).sum()


def test_factored_conditional_dict_param():
    rng = np.random.default_rng(5)
    W, V, x = rng.standard_normal((4, 4)), rng.standard_normal((4, 4)), rng.standard_normal((3, 4))
    check_factored(
        fx_ifexp_dict_param,
        ({"a": W, "b": V}, V, x),
        ({"a": rand_lowrank(rng, (4, 4), 1), "b": rand_lowrank(rng, (4, 4), 2)}, None, None),
    )


# ------------------------------------------------------------------ shift pass


def sh_exp_minus_c_neg(x, c):
    s = x - x.max(axis=-1, keepdims=True)
    e = np.exp(s - c)
    return (e / e.sum(axis=-1, keepdims=True)).sum() * 1.0 + (np.log(e.sum(axis=-1, keepdims=True)) - s)[0, 0]


def sh_exp_minus_c_pos(x, c):
    s = x - x.max(axis=1, keepdims=True)
    e = np.exp(s - c)
    return (np.log(e.sum(axis=1, keepdims=True)) - s).sum()


def sh_logaddexp(x, c):
    s = x - x.max(axis=1, keepdims=True)
    return np.logaddexp(s, c).sum()


def sh_positional_keepdims(x, c):
    m = np.max(x, 1, None, True)
    s = x - m
    return (s - np.log(np.sum(np.exp(s), 1, None, None, True))).sum()


def sh_compare(x, c):
    s = x - x.max(axis=1, keepdims=True)
    mask = s > -0.5
    return (mask * x).sum() + np.argmax(s, axis=1).sum()


def sh_loop_zero(x, c):
    s = x * 0.0
    for i in range(0):
        s = x - x.max(axis=1, keepdims=True)
    return (s - np.log(np.exp(s).sum(axis=1, keepdims=True))).sum()


def sh_tuple_axes(x, c):
    s = x - x.max(axis=(0, 1), keepdims=True)
    return (s - np.log(np.exp(s).sum(axis=(0, 1), keepdims=True))).sum()


def sh_axis_none(x, c):
    s = x - x.max(axis=None, keepdims=True)
    return (s - np.log(np.exp(s).sum(axis=None, keepdims=True))).sum()


def sh_mixed_axes(x, c):
    s = x - x.max(axis=1, keepdims=True)
    return (s - np.log(np.exp(s).sum(axis=-1, keepdims=True))).sum()


def sh_pos_axis_other(x, c):
    s = x - x.max(axis=0, keepdims=True)
    return (s - np.log(np.exp(s).sum(axis=0, keepdims=True))).sum() + (s * c).sum()


def sh_softmax_times_c(x, c):
    s = x - x.max(axis=-1, keepdims=True)
    e = np.exp(s)
    p = e / e.sum(axis=-1, keepdims=True)
    return (p * c).sum()


def sh_scale_sum_then_times(x, c):
    s = x - x.max(axis=-1, keepdims=True)
    e = np.exp(s) * c
    z = e.sum(axis=-1, keepdims=True)
    return (e / z).sum()


def sh_scale_times_scale(x, c):
    s = x - x.max(axis=-1, keepdims=True)
    e = np.exp(s)
    return (e * e / e.sum(axis=-1, keepdims=True)).sum()


def sh_min(x, c):
    s = x - np.amin(x, axis=-1, keepdims=True)
    return (s - np.log(np.exp(s).sum(axis=-1, keepdims=True))).sum()


def sh_1d(x, c):
    v = x[0]
    s = v - v.max(axis=0, keepdims=True)
    return (s - np.log(np.exp(s).sum(axis=0, keepdims=True))).sum()


def sh_x_inplace_between(x, c):
    y = x * 1.0
    m = y.max(axis=1, keepdims=True)
    y[0] = y[0] * 3.0
    s = y - m
    return (s - np.log(np.exp(s).sum(axis=1, keepdims=True))).sum()


def sh_x_inplace_after(x, c):
    y = x * 1.0
    s = y - y.max(axis=-1, keepdims=True)
    y[0, 0] = 5.0
    return (s - np.log(np.exp(s).sum(axis=-1, keepdims=True))).sum() + (y * y).sum()


def sh_m_inplace(x, c):
    m = x.max(axis=1, keepdims=True)
    m[0] = x[1, 2]
    s = x - m
    return (s - np.log(np.exp(s).sum(axis=1, keepdims=True))).sum() + m.sum()


def sh_two(x, c):
    s1 = x - x.max(axis=-1, keepdims=True)
    s2 = x - x.min(axis=-1, keepdims=True)
    return (
        np.log(np.exp(s1).sum(axis=-1, keepdims=True)) - s1 + s2 - np.log(np.exp(s2).sum(axis=-1, keepdims=True))
    ).sum()


def sh_s_minus_s(x, c):
    s = x - x.max(axis=-1, keepdims=True)
    d = s - s
    return (d + x).sum()


def sh_sub_of_shift(x, c):
    s = x - x.max(axis=-1, keepdims=True)
    t = s - c
    u = t - s
    return (u * x).sum()


def sh_ifexp_use(x, c):
    s = x - x.max(axis=-1, keepdims=True)
    lse = np.log(np.exp(s).sum(axis=-1, keepdims=True))
    return (s - lse).sum() if x[0, 0] > -10 else s.sum()


def sh_boolop(x, c):
    s = x - x.max(axis=-1, keepdims=True)
    lse = np.log(np.exp(s).sum(axis=-1, keepdims=True))
    r = (s - lse) if True else 0
    return r.sum()


def sh_maxshift_on_param_reassigned_once(x, c):
    m = x.max(axis=-1, keepdims=True)
    x = x * 2.0
    s = x - m
    return (s - np.log(np.exp(s).sum(axis=-1, keepdims=True))).sum()


def sh_x_is_shifted_alias(x, c):
    y = x
    m = y.max(axis=-1, keepdims=True)
    y = c
    s = x - m
    return (s - np.log(np.exp(s).sum(axis=-1, keepdims=True))).sum()


def sh_c_3d(x, c):
    s = x - x.max(axis=-1, keepdims=True)
    e = np.exp(s) * np.stack([c, c * 2])
    return (np.log(e.sum(axis=-1, keepdims=True)) - s).sum()


SHIFT = [
    sh_exp_minus_c_neg,
    sh_exp_minus_c_pos,
    sh_logaddexp,
    sh_positional_keepdims,
    sh_compare,
    sh_loop_zero,
    sh_tuple_axes,
    sh_axis_none,
    sh_mixed_axes,
    sh_pos_axis_other,
    sh_softmax_times_c,
    sh_scale_sum_then_times,
    sh_scale_times_scale,
    sh_min,
    sh_1d,
    sh_x_inplace_between,
    sh_x_inplace_after,
    sh_m_inplace,
    sh_two,
    sh_s_minus_s,
    sh_sub_of_shift,
    sh_ifexp_use,
    sh_boolop,
    sh_maxshift_on_param_reassigned_once,
    sh_x_is_shifted_alias,
    sh_c_3d,
]
SHIFT_DROPPED = [
    sh_1d,
    sh_min,
    sh_s_minus_s,
    sh_scale_sum_then_times,
    sh_softmax_times_c,
    sh_sub_of_shift,
    sh_two,
    sh_x_inplace_after,
    sh_x_inplace_between,
    sh_c_3d,
]
SHIFT_KEPT = [
    sh_axis_none,
    sh_tuple_axes,
    sh_logaddexp,
    sh_loop_zero,
    sh_positional_keepdims,
    sh_scale_times_scale,
    sh_mixed_axes,
    sh_pos_axis_other,
    sh_maxshift_on_param_reassigned_once,
    sh_x_is_shifted_alias,
    sh_exp_minus_c_pos,
]


@pytest.mark.parametrize("f", SHIFT, ids=lambda f: f.__name__)
def test_shift_cases_match_finite_differences(f):
    rng = np.random.default_rng(4)
    x, c = rng.standard_normal((3, 4)), np.abs(rng.standard_normal((3, 4))) + 0.1
    check_dense(f, (x, c), (rng.standard_normal((3, 4)), None))


@pytest.mark.parametrize("f", SHIFT_DROPPED, ids=lambda f: f.__name__)
def test_shift_tangent_dropped(f):
    assert "extremum_jvp" not in tf.source(f)


@pytest.mark.parametrize("f", SHIFT_KEPT, ids=lambda f: f.__name__)
def test_shift_tangent_kept(f):
    assert "extremum_jvp" in tf.source(f)
