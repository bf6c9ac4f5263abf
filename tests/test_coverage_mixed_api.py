"""``functools.partial`` of a library callable with a rule, passed straight to the API
(``jvp(functools.partial(np.linalg.norm, ord=3), ...)``): the one-call function calls the callable
itself with the stored arguments, so its rule applies. It used to crash with AttributeError (a
NumPy dispatcher or ufunc is not a Python function). Checked against central differences, in
vector mode against single JVPs, and through ``jacfwd``."""

import functools

import numpy as np
import pytest
import scipy.special as sp

import tangent_fwd

PARTIALS = [
    (functools.partial(np.linalg.norm, ord=3), (4,)),
    (functools.partial(np.linalg.norm, ord="fro"), (3, 3)),
    (functools.partial(np.power, 2.0), (4,)),
    (functools.partial(np.clip, a_min=-0.5, a_max=0.5), (5,)),
    (functools.partial(sp.expit), (4,)),
    (functools.partial(np.linalg.matrix_power, n=3), (3, 3)),
    (functools.partial(sp.logsumexp, b=2.0), (5,)),
]


@pytest.mark.parametrize("fn,shape", PARTIALS, ids=[f"{p.func.__name__}{p.args}{p.keywords}" for p, _ in PARTIALS])
def test_partial_of_library_callable(fn, shape):
    rng = np.random.default_rng(0)
    x, d = rng.normal(size=shape), rng.normal(size=shape)
    value, tangent = tangent_fwd.jvp(fn, (x.copy(),), (d,))
    assert np.array_equal(value, fn(x))
    h = 1e-6
    fd = (fn(x + h * d) - fn(x - h * d)) / (2 * h)
    np.testing.assert_allclose(tangent, fd, rtol=1e-6, atol=1e-8 * max(1.0, np.max(np.abs(fd))))
    V = rng.normal(size=(3,) + shape)
    _, tangents = tangent_fwd.jvp(fn, (x,), (V,), vectorized=True)
    single = np.stack([tangent_fwd.jvp(fn, (x,), (v,))[1] for v in V])
    np.testing.assert_allclose(tangents, single, rtol=1e-12, atol=1e-12)
    J = np.asarray(tangent_fwd.jacfwd(fn)(x)).reshape(np.shape(value) + (x.size,))
    np.testing.assert_allclose(J @ d.ravel(), tangent, rtol=1e-10, atol=1e-10)
