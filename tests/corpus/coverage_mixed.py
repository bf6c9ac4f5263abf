"""Coverage corpus: coverage_mixed. Realistic functions that combine the newer language features with
each other and with in-place writes and aliases: ``out=`` into buffers that a called function, a
closure or a loop over views writes, methods under ``np.errstate``, lambdas passed to ``sorted``
inside a ``try``, dataclass and namedtuple values, SciPy special functions passed as values, ``eigh``
in a closure, array-API namespaces. The first group found bugs (a user function writing its argument
with ``out=``, ``np.copyto``, ``np.add.at``, ``.sort()`` or through a local view of it, a nested def
writing a buffer of ours with ``out=``, a buffer passed inside a tuple or held in an object
attribute): their tangents were silently lost."""

import contextlib
import math
import warnings
from collections import namedtuple
from dataclasses import dataclass, replace
from functools import reduce
from typing import NamedTuple

import numpy as np
import scipy.linalg as sla
import scipy.special as sp

import tangent_fwd

from . import case
from .unsupported import refuses

REFUSAL_OK = {
    # Scaler.apply is a bound method (only known when the call runs) that writes into its argument
    # with out=: the write's tangent cannot be followed, so it is refused (it used to be silently lost)
    "method_errstate_out",
    # a user function writes into an array held in an object's attribute: refused (was silently lost)
    "callee_writes_attr_arg",
    # a differentiated keyword lands in a nested def's **kw: refused with a hint (module-level defs work)
    "nested_kwargs_forward",
    # one name bound to a lambda that reads x on one path and to a module function on the other: refused
    "nested_def_rebound",
}


def _vec(n):
    return lambda rng: (rng.normal(size=n),)


# ------------------------------------------------------------------ writes in called functions (bugs)
class Scaler:
    def __init__(self, k):
        self.k = k

    def apply(self, x, buf):
        with np.errstate(over="ignore", invalid="ignore"):
            np.multiply(x, self.k, out=buf)
            np.exp(buf, out=buf)
        return buf.sum()


@refuses(
    args=lambda: (np.linspace(-1.0, 1.0, 5), np.zeros(5))
)  # must stay refused: it was silently wrong (or an internal error)
@case(args=lambda rng: (rng.normal(size=5), np.zeros(5)), wrt=0, mutates=True, tags="call_user")
def method_errstate_out(x, buf):
    s = Scaler(0.5)
    r = s.apply(x, buf)
    return r + buf[0]


def _fill_out(x, buf):
    np.multiply(x, 0.5, out=buf)
    np.exp(buf, out=buf)
    return buf.sum()


@case(args=lambda rng: (rng.normal(size=5), np.zeros(5)), wrt=0, mutates=True, tags="call_user")
def callee_out_param(x, buf):
    r = _fill_out(x, buf)
    return r + buf[0]


def _write_view(x, buf):
    head = buf[:3]
    head[...] = np.tanh(x[:3])


@case(args=_vec(5), tags="call_user setitem_slice")
def callee_writes_through_view(x):
    buf = np.zeros(5)
    _write_view(x, buf)
    return buf * 2.0


def _norm_rows(M):
    for row in M:
        row /= np.linalg.norm(row)


@case(args=lambda rng: (rng.normal(size=(3, 4)),), tags="call_user for_array")
def callee_row_loop_normalize(A):
    B = A.copy()
    _norm_rows(B)
    return B


def _scatter(acc, idx, vals):
    np.add.at(acc, idx, vals)


@case(args=_vec(6), tags="call_user")
def callee_add_at(x):
    acc = np.zeros(3)
    _scatter(acc, np.array([0, 2, 2, 1, 0, 0]), sp.expit(x))
    return acc


@case(args=_vec(5), tags="closure nested_def")
def closure_out_write(x):
    buf = np.zeros(5)

    def step(z):
        np.sin(z, out=buf)

    step(x)
    return buf.sum()


@case(args=_vec(5), tags="nested_def")  # refused until nested defs' own parameter writes were followed
def callee_copyto_reshape(x):
    M = np.zeros((5, 1))

    def put(dst, v):
        np.copyto(dst.reshape(-1), v**2)

    put(M, x)
    return M.sum()


def _sort_inplace(v):
    v.sort()


@case(args=_vec(6), tags="call_user")
def callee_sort(x):
    y = x * 1.0
    _sort_inplace(y)
    return y[0] * 3.0 + y[-1]


@case(args=_vec(4), tags="closure")
def lambda_out_write(x):
    buf = np.zeros(4)
    g = lambda z: np.square(z, out=buf)  # noqa: E731
    g(x)
    return buf.sum()


def _fill_pair(x, bufs):
    for b in bufs:
        np.add(b, x, out=b)


@case(args=_vec(3), tags="call_user tuple_literal")
def callee_tuple_buffers(x):
    a, b = np.zeros(3), np.ones(3)
    _fill_pair(x, (a, b))
    return a @ b


class _Holder:
    def __init__(self):
        self.buf = np.zeros(3)


def _fill(x, b):
    b[:] = x * 2.0


@refuses(args=lambda: (np.linspace(-1.0, 1.0, 3),))  # must stay refused: it was silently wrong (or an internal error)
@case(args=_vec(3), tags="call_user")
def callee_writes_attr_arg(x):
    o = _Holder()
    _fill(x, o.buf)
    return o.buf.sum()


@case(args=_vec(3), tags="call_user dict_literal")
def callee_writes_dict_value(x):
    d = {"b": np.zeros(3)}
    _fill(x, d["b"])
    return d["b"] * 3.0


# ------------------------------------------------------------------ a sample of the rest (all correct)
@case(args=_vec(6), tags="list_literal")
def sorted_lambda_in_try(x):
    try:
        parts = sorted([x[:2], x[2:4], x[4:]], key=lambda v: float(v.sum()))
    except ValueError:
        parts = [x]
    return parts[0] * 2.0 + parts[-1]


@case(args=lambda rng: (rng.normal(size=4), rng.normal(size=(3, 4))), wrt=(0, 1), tags="dict_literal")
def lambda_dict_dispatch(x, W):
    acts = {"tanh": lambda z: np.tanh(z), "sp": lambda z: np.logaddexp(0.0, z)}
    h = W @ x
    out = 0.0
    for name in ("tanh", "sp"):
        out = out + acts[name](h).sum()
    return out


@case(args=_vec(5), tags="nested_def")
def special_fn_as_value(x):
    def loss(fn, z):
        return np.sum(fn(z) ** 2)

    return loss(sp.expit, x) + loss(sp.log_ndtr, x) + loss(sp.erf, 0.5 * x)


@case(args=lambda rng: (rng.normal(size=(4, 4)),), tags="closure")
def eigh_in_closure(A):
    S = A + A.T

    def top(k):
        w, V = np.linalg.eigh(S)
        return w[-k:].sum() + (V[:, -1] ** 2 * np.arange(4)).sum()

    return top(2)


@case(args=_vec(6), tags="np_elementwise red_sum")
def dunder_namespace(x):
    xp = x.__array_namespace__()
    return xp.sum(xp.sin(x) * xp.cos(x))


@case(args=lambda rng: (rng.normal(size=6), np.ones(6)), wrt=0, mutates=True, tags="np_maximum")
def relu_out_inplace(x, h):
    np.multiply(x, 2.0, out=h)
    np.maximum(h, 0, out=h)
    return (h * x).sum()


@case(args=_vec(5), tags="np_elementwise red_sum")
def suppress_inactive(x):
    with contextlib.suppress(KeyError):
        meta = {}["missing"]  # noqa: F841
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        y = np.log(np.abs(x) + 1.0)
    return y.sum()


@case(args=_vec(5), tags="for_array")
def try_finally_accumulate(x):
    total = 0.0
    try:
        for v in x:
            total = total + v * v
    finally:
        scaled = total * 0.5
    return scaled


@case(args=lambda rng: (rng.normal(size=4), np.zeros(4)), wrt=0, mutates=True, tags="for_range")
def aliased_out_add(x, acc):
    view = acc[:]
    for k in range(3):
        np.add(view, x * k, out=view)
    return acc.sum() + view[0]


@dataclass
class _State:
    pos: np.ndarray
    vel: np.ndarray


@case(args=_vec(3), tags="m_sum pow")
def dataclass_replace(x):
    s = _State(x, x * 2.0)
    t = replace(s, vel=s.vel**2)
    return t.pos.sum() + t.vel.sum()


class _Params(NamedTuple):
    W: np.ndarray
    b: np.ndarray


def _layer(p, x):
    return p.W @ x + p.b


@case(
    args=lambda rng: (rng.normal(size=(2, 3)), rng.normal(size=2), rng.normal(size=3)),
    wrt=(0, 1),
    tags="matmul call_user",
)
def namedtuple_params(W, b, x):
    h = _layer(_Params(W, b), x)
    return np.sum(sp.expit(h))


_Pt = namedtuple("_Pt", ["x", "y"])


@case(args=lambda rng: (float(rng.normal()), float(rng.normal())), wrt=(0, 1), tags="py_float")
def namedtuple_return(a, b):
    p = _Pt(a * b, a + b)
    q = p._replace(y=p.y * 2.0)
    return q


@case(args=lambda rng: (rng.normal(size=(3, 3)),), tags="la_matmul matmul")
def cho_solve_loss(A):
    S = A @ A.T + 3.0 * np.eye(3)
    c = sla.cho_factor(S)
    b = np.ones(3)
    return b @ sla.cho_solve(c, b) + np.log(np.diag(c[0])).sum()


@case(args=lambda rng: (rng.normal(size=5), rng.normal(size=5)), wrt=(0, 1), tags="dict_literal")
def dict_star_merge(a, b):
    base = {"a": a, "s": 1.0}
    cfg = {**base, "b": b}
    d2 = dict(cfg, s=2.0)
    return d2["a"] @ d2["b"] * d2["s"]


@case(args=_vec(6), tags="unpack")
def starred_list_unpack(x):
    first, *mid, last = [x[0], x[1], x[2], x[3]]
    ys = [*mid, last * 2.0]
    return first * sum(ys)


@case(args=lambda rng: (rng.normal(size=4), np.zeros((2, 4))), wrt=0, mutates=True, tags="for_enumerate")
def list_of_buffers_update(x, B):
    bufs = [B[0], B[1]]
    for i, b in enumerate(bufs):
        b += x * (i + 1)
    return B.sum(axis=0) @ x


@case(args=_vec(5), tags="for_range if")
def try_raise_inside(x):
    acc = 0.0
    for i in range(5):
        try:
            if x[i] > 0.3:
                raise ValueError("skip")
            acc = acc + x[i] ** 2
        except ValueError:
            acc = acc + 2.0 * x[i]
    return acc


@case(args=_vec(4), tags="div m_copy")
def errstate_raise_caught(x):
    r = x.copy()
    with np.errstate(divide="raise"):
        try:
            r = 1.0 / (x - x)
        except FloatingPointError:
            r = x * 3.0
    return r


@case(args=_vec(4), tags="closure")
def lambda_returned_by_factory(x):
    def make(scale):
        return lambda z: scale * np.sin(z)

    f = make(x[0])
    return f(x).sum()


@case(args=_vec(5), tags="matmul np_elementwise")
def perturb_site(x):
    W = np.arange(10.0).reshape(2, 5) / 10.0
    z = tangent_fwd.perturb(W @ x, "h")
    return np.tanh(z).sum()


@case(args=_vec(5), tags="while")
def while_with_out(x):
    h = x.copy()
    n = 0
    while n < 3:
        np.sin(h, out=h)
        n += 1
    return h


@case(args=lambda rng: (rng.normal(size=4), rng.normal(size=4)), wrt=(0,), tags="nested_def for_range")
def callback_optimizer(w, x):
    def grad(w):
        return 2.0 * (w - x)

    def step(w, g_fn, lr=0.1):
        return w - lr * g_fn(w)

    for _ in range(3):
        w = step(w, grad)
    return w


@case(args=lambda rng: (float(rng.normal()), float(rng.normal())), wrt=(0, 1), tags="math py_float")
def math_idioms(a, b):
    return math.hypot(a, b) + math.dist((a, b), (1.0, 2.0)) + math.prod([a, b, 2.0])


@case(args=_vec(6), tags="list_literal")
def reduce_and_minmax_key(x):
    chunks = [x[0:2], x[2:4], x[4:6]]
    best = max(chunks, key=lambda c: c[0])
    worst = min(chunks, key=np.sum)
    return reduce(lambda a, b: a + b, [best, worst, best * worst]).sum()


# ------------------------------------------------------------------ out= reading a view of its own output (bug)
@case(args=_vec(6), tags="mul")
def out_overlap_reverse(x):
    a = x * 1.0
    np.multiply(a, a[::-1], out=a)  # NumPy buffers the overlap: the tangent must read a[::-1] before too
    return a


@case(args=lambda rng: (rng.normal(size=(3, 4)),), tags="red_keepdims")
def sum_out_keepdims(x):
    r = np.zeros((3, 1))
    np.sum(x**2, axis=1, keepdims=True, out=r)
    return r * x


# ------------------------------------------------------------------ **kwargs of a nested def (was an internal error)
@refuses(args=lambda: (np.linspace(-1.0, 1.0, 4),))  # must stay refused: it was silently wrong (or an internal error)
@case(args=_vec(4), tags="nested_def call_kwargs")
def nested_kwargs_forward(x):
    def inner(z, *, scale=1.0, shift=0.0):
        return np.sum(scale * z + shift)

    def outer(z, **kw):
        return inner(z, **kw)

    return outer(x, scale=2.0, shift=x[0])


# ------------------------------------------------------------------ aliases through builtins (bugs)
@case(args=_vec(4), tags="for_zip")
def reversed_list_alias(x):
    a, b = np.zeros(2), np.zeros(2)
    for buf, lo in zip(reversed([a, b]), (0, 2)):  # vector mode stacked copies of reversed's tangent
        buf += x[lo : lo + 2] ** 2
    return a * 3.0 + b


@case(args=_vec(5), tags="nested_def")
def reduce_inplace_acc(x):
    acc = np.zeros(5)

    def add(a, v):
        a += v
        return a

    r = reduce(add, [x, x**2, np.sin(x)], acc)  # add writes acc: its tangent was lost
    return r + acc


@case(args=_vec(6), tags="aug_add m_copy")
def sorted_returns_aliases(x):
    a, b = x[:3].copy(), x[3:].copy()
    parts = sorted([a, b], key=lambda v: float(v[0]))
    parts[0] += 10.0 * x[:3]
    return a + b


@case(args=_vec(4), tags="closure")
def lambda_late_binding(x):
    buf = np.zeros(4)
    f = lambda: (buf**2).sum()  # noqa: E731
    buf[:] = x
    return f()


@case(args=_vec(4), mutates=True, tags="aug_add aug_mul")
def mutate_wrt_arg_errstate(x):
    with np.errstate(all="ignore"):
        x += 1.0
        x *= x
    return x


# ------------------------------------------------------------------ sequences and * in vector mode (bugs)
def _three(a, b, c):
    return a * b + c


@case(args=_vec(3), tags="call_user")
def star_array_into_user_fn(x):
    return _three(*x)  # vector mode unpacked the K directions instead of the items


@case(args=_vec(4), tags="call_user math list_literal")
def star_list_into_user_fn(x):
    parts = [x[0], x[1] ** 2, x[2]]
    return _three(*parts) + math.hypot(*x)


@case(args=_vec(3), tags="math")
def math_prod_slice(x):
    return math.prod(x) + math.prod(x[:2], start=2.0)  # vector mode took the directions for the items


@case(args=_vec(5), tags="math genexp_sum")
def math_fsum_prod_gen(x):
    return math.fsum(v * v for v in x) + math.prod(x[:2])


@case(args=lambda rng: (rng.normal(size=(3, 3)),), tags="call_user")
def star_rows_into_user_fn(M):
    return _three(*M)


# ------------------------------------------------------------------ zip with a string or a range (bugs)
@case(args=_vec(3), tags="b_zip dict_literal")
def dict_from_zip_of_str(x):
    d = dict(zip("abc", x))  # the string's tangent is a scalar zero: zip's rule iterated it (TypeError)
    return d["a"] * d["c"]


@case(args=_vec(3), tags="b_zip b_range")
def sorted_pairs_with_range(x):
    ps = sorted(zip(x, range(3)), key=lambda p: p[1], reverse=True)  # range had no zero tangent
    return ps[0][0] * 3.0 + ps[2][0]


# three items and three directions: a tangent iterated over the wrong axis would pass unnoticed by shape
@case(args=_vec(3), tags="list_literal")
def list_methods_three(x):
    vs = list(x)
    vs.insert(1, vs.pop())
    vs.reverse()
    return vs[0] + 2.0 * vs[1] + 3.0 * vs[2]


@case(args=_vec(3), tags="unpack")
def unpack_three(x):
    a, *rest = x
    b, c = rest
    return a * b - c + sum(sorted(x, key=abs))


# ------------------------------------------------------------------ calling a record, rebinding a nested def (bugs)
@dataclass
class _Dense:
    W: np.ndarray

    def __call__(self, x):
        return np.tanh(self.W @ x)


@case(args=lambda rng: (rng.normal(size=(3, 3)), rng.normal(size=3)), wrt=(0, 1), tags="call_user")
def dataclass_called(W, x):
    layer = _Dense(W)
    return layer(x).sum()  # called its tangent record as if it were a JVP: TypeError


def _double(z):
    return z * 2.0


@refuses(args=lambda: (np.linspace(-1.0, 1.0, 3), True))  # must stay refused: it crashed (UnboundLocalError)
@case(args=lambda rng: (rng.normal(size=3), False), wrt=0, tags="if closure")
def nested_def_rebound(x, flag):
    if flag:
        g = lambda z: z * x  # noqa: E731
    else:
        g = _double
    return g(x).sum()


# ------------------------------------------------------------------ a record's method named like an array method (bug)
@dataclass
class _Gauss:
    mu: np.ndarray
    sigma: float

    def sum(self):
        return self.mu.sum() + self.sigma**2

    def dot(self, v):
        return self.mu @ v * self.sigma


@case(
    args=lambda rng: (rng.normal(size=3), float(abs(rng.normal()) + 0.5)),
    wrt=(0, 1),
    tags="call_user py_float",
)
def record_method_named_like_array_method(mu, s):
    g = _Gauss(mu, s)
    return g.sum() + g.dot(np.ones(3))  # took ndarray.sum's/.dot's rule: dg.sum() ran the user's method on the tangent
