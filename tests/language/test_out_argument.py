"""``out=`` on ufuncs, reductions and methods (tangent_fwd/outarg.py): the primal writes in place, the
tangent is written into the output's tangent buffer (through views and aliases); value bit for bit,
JVP vs central differences, vector mode, jacfwd, hessian; refusals name the line."""

import numpy as np
import pytest
from stmt_check import check, refused

import tangent_fwd

RNG = np.random.default_rng(7)
X = RNG.standard_normal((3, 4))
W = RNG.standard_normal((4, 4))
V = RNG.standard_normal(4)


def relu_inplace(x, w):
    h = x @ w
    np.maximum(h, 0, out=h)
    return (h * h).sum()


def add_into_buffer(a, b):
    c = np.empty_like(a)
    np.add(a, b, out=c)
    np.multiply(c, a, out=c)
    return c


def reduction_into_buffer(x):
    buf = np.zeros(x.shape[1])
    np.sum(x, axis=0, out=buf)
    np.mean(x * x, axis=0, out=buf)
    return buf * 2.0


def method_with_out(x):
    buf = np.zeros(x.shape[1])
    x.sum(axis=0, out=buf)
    return np.tanh(buf)


def tuple_out(x):
    c = np.zeros_like(x)
    r = np.exp(x, out=(c,))
    return r + c


def out_is_a_view(x):
    base = np.zeros((2, x.shape[0]))
    row = base[1]
    np.sin(x, out=row)
    return base * 3.0


def out_aliases_an_input(x, w):
    h = x @ w
    np.multiply(h, h, out=h)  # reads h, then overwrites it
    np.subtract(h, x, out=h)
    return h


def accumulate_in_place(xs):
    acc = np.ones(xs.shape[1])
    for row in xs:
        np.multiply(acc, np.cos(row), out=acc)
        np.add(acc, row, out=acc)
    return acc.sum()


def returned_value_is_the_buffer(x):
    buf = np.empty_like(x)
    y = np.exp(x, out=buf)
    y *= 2.0  # y is buf
    return buf


def out_param(x, buf):
    np.tanh(x, out=buf)
    return buf.sum() + x.sum()


def inactive_values_into_active_buffer(x):
    h = x * 2.0
    np.multiply(np.ones(x.shape), 3.0, out=h)  # h now holds constants: zero tangent
    return h + x


def clip_in_place(x):
    y = x * 1.5
    np.clip(y, -1.0, 1.0, out=y)
    return y


def cumsum_out(x):
    buf = np.zeros(x.shape[0])
    np.cumsum(x, out=buf)
    return buf**2


@pytest.mark.parametrize(
    "f, args, wrt",
    [
        (relu_inplace, (X, W), (0, 1)),
        (add_into_buffer, (X, X[::-1] * 0.5), (0, 1)),
        (reduction_into_buffer, (X,), (0,)),
        (method_with_out, (X,), (0,)),
        (tuple_out, (V,), (0,)),
        (out_is_a_view, (V,), (0,)),
        (out_aliases_an_input, (X[:, :4], W), (0, 1)),
        (accumulate_in_place, (X,), (0,)),
        (returned_value_is_the_buffer, (V,), (0,)),
        (inactive_values_into_active_buffer, (V,), (0,)),
        (clip_in_place, (V,), (0,)),
        (cumsum_out, (V,), (0,)),
    ],
)
def test_out(f, args, wrt):
    check(f, args, wrt)


def test_out_parameter_is_written_as_the_user_function_writes_it():
    buf = np.zeros(4)
    check(out_param, (V, buf), (0,))  # check() compares the arguments' final state too


class Holder:
    def __init__(self):
        self.buf = np.zeros(4)


HOLDER = Holder()


def out_attribute(x):
    np.sin(x, out=HOLDER.buf)
    return x * 2.0


def two_outputs(x):
    a = np.zeros_like(x)
    b = np.zeros_like(x)
    np.modf(x, out=(a, b))
    return a + b


def out_with_where(x):
    c = np.zeros_like(x)
    np.exp(x, out=c, where=x > 0)
    return c


def out_subscript(x):
    c = np.zeros((2, x.shape[0]))
    np.sin(x, out=c[0])
    return c


def test_refusals_name_the_line():
    assert "test_out_argument.py" in refused(out_attribute, (V,), (0,), "attribute of an object")
    refused(two_outputs, (V,), (0,), "several output arrays")
    refused(out_subscript, (V,), (0,), "plain variable")
    refused(out_with_where, (V,), (0,), "where=")


def test_source_writes_the_tangent_buffer():
    src = tangent_fwd.source(relu_inplace, wrt=(0,))
    assert "out=h)" in src and "dh[...] =" in src
