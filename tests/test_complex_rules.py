"""Issue 12, class 8: complex inputs. A complex number is a pair of reals, and the JVP is the
directional derivative along the complex tangent dz (JAX's convention): for a real-valued function
of a complex z (abs, norm, var, std, angle) the tangent is real, Re(conj(z) dz) / |z| for abs; sign(z)
= z / |z| is smooth away from 0. Each case is checked against central finite differences
f(z + h dz) along a real, an imaginary and a general complex direction."""

import numpy as np
import pytest

import tangent_fwd

H = 1e-6
RTOL = 1e-6


def _z(rng, *shape):
    return rng.standard_normal(shape) + 1j * rng.standard_normal(shape)


def _check(f, z, seed=0):
    rng = np.random.default_rng(seed)
    base = rng.standard_normal(np.shape(z))
    other = rng.standard_normal(np.shape(z))
    for label, dz in (("real", base + 0j), ("imaginary", 1j * base), ("complex", base + 1j * other)):
        if not isinstance(z, np.ndarray):
            dz = complex(dz)
        value, tangent = tangent_fwd.jvp(f, (z,), (dz,))
        expected = f(z)
        np.testing.assert_array_equal(value, expected)  # the primal is unchanged
        fd = (np.asarray(f(z + H * dz)) - np.asarray(f(z - H * dz))) / (2 * H)
        scale = max(1.0, float(np.max(np.abs(fd))))
        err = float(np.max(np.abs(np.asarray(tangent) - fd)))
        assert err <= RTOL * scale, f"{f.__name__} along a {label} direction: |jvp - fd| = {err:.3g}"
        if not np.iscomplexobj(expected):
            assert not np.iscomplexobj(tangent), f"{f.__name__}: a real-valued function got a complex tangent"


def abs_np(z):
    return np.abs(z)


def abs_builtin(z):
    return abs(z)


def abs_sum(z):
    return np.sum(np.abs(z) ** 2) + abs(z[0])


def norm(z):
    return np.linalg.norm(z)


def norm_axis(z):
    return np.linalg.norm(z, axis=1)


def norm_ords(z):
    return np.linalg.norm(z, ord=1) + np.linalg.norm(z, ord=3) + np.linalg.norm(z, ord=-np.inf)


def norm_matrix(z):
    return np.linalg.norm(z, ord="nuc") + np.linalg.norm(z, ord=2) + np.linalg.norm(z, ord=np.inf)


def var(z):
    return np.var(z)


def var_axis(z):
    return np.var(z, axis=0, ddof=1)


def std(z):
    return np.std(z, axis=1, keepdims=True)


def std_method(z):
    return z.std() + z.var()


def sign(z):
    return np.sign(z)


def sign_times(z):
    return np.sign(z) * z * z


def angle(z):
    return np.angle(z) + np.angle(z, deg=True)


def parts(z):
    return np.real(z) * np.imag(z) + z.real - 2.0 * z.imag + np.conj(z) * z


def holomorphic(z):
    return np.exp(z) * z**3 / (1.0 + z * z) + np.sin(z)


def complex_exponent(z):
    return z ** (0.5 + 1j) + z**1j + np.power(z, 1j * np.ones(np.shape(z)))


def det(z):
    return np.linalg.det(z)


def det_singular(z):
    z = z.copy()
    z[-1] = 0.0  # exactly singular: the SVD path of rt.det_jvp
    return np.linalg.det(z)


def slogdet(z):
    sign, logabsdet = np.linalg.slogdet(z + 3.0 * np.eye(3))
    return logabsdet * sign


ARRAY_CASES = [
    (abs_np, (5,)),
    (abs_builtin, (2, 3)),
    (abs_sum, (4,)),
    (norm, (5,)),
    (norm, (2, 3)),
    (norm_axis, (3, 4)),
    (norm_ords, (5,)),
    (norm_matrix, (3, 2)),
    (var, (6,)),
    (var_axis, (4, 3)),
    (std, (2, 5)),
    (std_method, (2, 3)),
    (sign, (5,)),
    (sign_times, (2, 3)),
    (angle, (5,)),
    (parts, (4,)),
    (holomorphic, (3,)),
    (complex_exponent, (3,)),
    (det, (3, 3)),
    (det_singular, (3, 3)),
    (slogdet, (3, 3)),
]


@pytest.mark.parametrize("f, shape", ARRAY_CASES, ids=[f"{f.__name__}{s}" for f, s in ARRAY_CASES])
def test_complex_array_matches_finite_differences(f, shape):
    _check(f, _z(np.random.default_rng(len(shape) * 7 + shape[0]), *shape))


@pytest.mark.parametrize("f", [abs_builtin, abs_np, sign, angle, complex_exponent])
def test_python_complex_scalar(f):
    _check(f, complex(0.6, -1.3))


def test_real_inputs_keep_their_tangents_real_and_exact():
    x = np.array([0.5, -1.5, 2.0])
    dx = np.array([1.0, 2.0, -1.0])
    _, t = tangent_fwd.jvp(abs_np, (x,), (dx,))
    np.testing.assert_array_equal(t, dx * np.sign(x))
    _, t = tangent_fwd.jvp(sign, (x,), (dx,))
    np.testing.assert_array_equal(t, 0.0)
    _, t = tangent_fwd.jvp(abs_builtin, (-1.5,), (2.0,))
    assert t == -2.0 and type(t) is float  # a Python float stays a Python float


def test_kinks_at_zero_give_zero_not_nan():
    z = np.array([0j, 1 + 1j])
    for f in (abs_np, sign, angle):
        _, t = tangent_fwd.jvp(f, (z,), (np.array([1 + 2j, 0j]),))
        assert np.all(np.isfinite(t)) and np.all(np.asarray(t)[0] == 0), f.__name__
    _, t = tangent_fwd.jvp(norm, (np.zeros(3, complex),), (np.ones(3, complex),))
    assert t == 0.0
