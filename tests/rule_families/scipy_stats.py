"""Rule cases for following SciPy's ``_axis_nan_policy`` wrapper (tangent_fwd/scipy_stats.py): the
run-time helpers of the generated functions (inactive: shapes, dtypes, flags; ``_tf_asarray``
identity-like), and the library helpers that wrapper and ``scipy.stats`` call with differentiated
samples (``_share_masks``, ``_contains_nan``, ``rt.special.promote_jvp``).

These helpers are NumPy's and SciPy's host code (they call NumPy directly), so their cases run on the
NumPy backend only (``strict = False``)."""

import numpy as np
import scipy.stats as st
from rule_cases import C, Z, a, pos, s

from tangent_fwd import runtime as rt
from tangent_fwd import scipy_stats as ss
from tangent_fwd.library import _optional

S = rt.special
_contains_nan = _optional("scipy._lib._util._contains_nan")
at = _optional("scipy._lib.array_api_extra.at")
_share_masks = _optional("scipy._lib._array_api._share_masks")


def _host(case):
    case.strict = False
    return case


def _never_small(samples, kwds):
    return False


def z_check(x):
    return ss._tf_check((x,), 0, "propagate", "statistic")


def z_promoted_dtype(x):
    return np.asarray(x, dtype=ss._tf_promoted_dtype((x, None))) * 0.0


def z_all_axes(x):
    return np.asarray(ss._tf_all_axes((x,)), dtype=float)


def z_broadcast_shape(x, y):
    return np.asarray(ss._tf_broadcast_shape((x, y), 0, 1, False), dtype=float)


def z_merged_shape(x):
    return np.asarray(ss._tf_merged_shape(x, (1, 2)), dtype=float)


def z_at_most_1d(x):
    return float(ss._tf_at_most_1d((x,)))


def z_nan_result(x):
    return float(ss._tf_nan_result((x,), "propagate", True, {"nan_propagation": True}, "f"))


def z_too_small(x):
    return float(ss._tf_too_small((x,), {}, True, _never_small))


def z_full_nan(x):
    return np.nan_to_num(ss._tf_full_nan((x,)))


def id_tf_asarray(x):
    return ss._tf_asarray(x, dtype=np.float64) ** 2


def z_contains_nan(x):
    found = _contains_nan(x)  # a bool; (bool, policy) on SciPy < 1.16
    return float(found[0] if isinstance(found, tuple) else found)


def id_share_masks(x, y):
    p, q = _share_masks(x, y, xp=np)
    return p * q


def lin_promote_jvp(t, u):
    return rt.special.promote_jvp(np, (np.ones(3), np.ones(3)), (t, u), True)[1] * 2.0 + t


def broadcast_pair(x, y):
    p, q = np.broadcast_arrays(x, y)
    return p * np.sin(q)


def broadcast_with_constant(x):
    (p,) = np.broadcast_arrays(x)
    c, q = np.broadcast_arrays(np.ones((2, 1)) > 0, x)
    return np.where(c, q, 0.0) + p


def at_set_mask(x, y):
    z = x * 2.0  # a local array: at(z, mask).set(...) updates it in place on NumPy
    return at(z, z > 0.1).set(y) ** 2


def at_set_index(x, y):
    z = np.sin(x)
    return at(z, 1).set(y * 3.0) * 2.0


def h_at_set(x, y):
    ref = S.at_of(np, x * 1.0, 2)
    return S.at_set(np, ref, y) ** 2


def h_at_set_zero_base(x, y):
    return S.at_set(np, at(np.ones(4), 1), y, None, True) * 2.0 + x


def z_option(x):
    return ss._tf_option(x)


def z_one_output(x):
    ss._tf_one_output(lambda kw: 1, {}, "statistic")
    return float(x.ndim)


_kstat = getattr(st.kstat, "__wrapped__", None)


def kstat_orders(x):
    return _kstat(x, 1) + _kstat(x, 2) * 2.0 + _kstat(x, 3) + _kstat(x, 4) * 0.5


def kstat_axis(x):
    return _kstat(x, 2, axis=1) + _kstat(x, 4, axis=0).sum()


def h_kstat_jvp(t):
    x = np.array([0.3, 1.2, -0.4, 2.0, 0.9, -1.1])
    return S.kstat_jvp(np, x, t, 3) * 2.0


CASES = {
    ss._tf_check: [_host(Z(z_check, a(3)))],
    ss._tf_promoted_dtype: [_host(Z(z_promoted_dtype, a(3)))],
    ss._tf_all_axes: [_host(Z(z_all_axes, a(2, 3)))],
    ss._tf_broadcast_shape: [_host(Z(z_broadcast_shape, a(1, 3), a(4, 2)))],
    ss._tf_merged_shape: [_host(Z(z_merged_shape, a(2, 3, 2)))],
    ss._tf_at_most_1d: [_host(Z(z_at_most_1d, a(3)))],
    ss._tf_nan_result: [_host(Z(z_nan_result, a(3)))],
    ss._tf_too_small: [_host(Z(z_too_small, a(3)))],
    ss._tf_full_nan: [_host(Z(z_full_nan, a(3)))],
    ss._tf_asarray: [_host(C(id_tf_asarray, a(3)))],
    _contains_nan: [_host(Z(z_contains_nan, a(3)))],
    _share_masks: [_host(C(id_share_masks, a(3), pos(3)))],
    rt.special.promote_jvp: [_host(C(lin_promote_jvp, a(3), a(3)))],
    np.broadcast_arrays: [C(broadcast_pair, a(3, 1), a(4)), C(broadcast_with_constant, a(3))],
    ss._tf_one_output: [_host(Z(z_one_output, a(3)))],
    ss._tf_option: [_host(Z(z_option, a(3)))],
    S.kstat_jvp: [_host(C(h_kstat_jvp, a(6)))],
}
if at is not None:  # SciPy's vendored array_api_extra (SciPy >= 1.16): the helpers' rules exist then
    CASES[S.at_of] = [_host(C(h_at_set, a(4), s()))]
    CASES[S.at_set] = [_host(C(h_at_set, a(4), s())), _host(C(h_at_set_zero_base, a(4), s()))]
    CASES[at] = [_host(C(at_set_mask, a(5), s())), _host(C(at_set_index, a(4), s()))]
    CASES["set"] = [_host(C(at_set_mask, a(5), s()))]
CASES = {k: v for k, v in CASES.items() if k is not None}
if _kstat is not None:
    CASES[_kstat] = [_host(C(kstat_orders, a(7))), _host(C(kstat_axis, a(5, 6)))]
