"""Rule cases for tangent_fwd.library's declarations: identity-like validators (``defidentity``), inactive
helpers (``defzero``) and the array-namespace functions, as NumPy's and SciPy's own code calls them.

Identity cases on NumPy/SciPy validators take Python floats where the validator converts with NumPy
itself (the strict non-NumPy backend check only runs on array arguments, and these helpers are NumPy's).
"""

import operator

import numpy as np
from rule_cases import C, Z, a, s

from tangent_fwd.library import _optional

_asarray_validated = _optional("scipy._lib._util._asarray_validated")
_validate_vector = _optional("scipy.spatial.distance._validate_vector")
_xp_asarray = _optional("scipy._lib._array_api._asarray")
xp_copy = _optional("scipy._lib._array_api.xp_copy")
xp_promote = _optional("scipy._lib._array_api.xp_promote")
array_namespace = _optional("scipy._lib._array_api.array_namespace")
bandwidth = _optional("scipy.linalg.bandwidth")
issymmetric = _optional("scipy.linalg.issymmetric")
ishermitian = _optional("scipy.linalg.ishermitian")
_datacopied = _optional("scipy.linalg._misc._datacopied")
_datacopied_decomp = _optional("scipy.linalg._decomp._datacopied")
is_lazy_array = _optional("scipy._lib._array_api.is_lazy_array")
xp_size = _optional("scipy._lib._array_api.xp_size")
xp_result_type = _optional("scipy._lib._array_api.xp_result_type")
is_complex = _optional("scipy._lib._array_api.is_complex")
compat_is_lazy_array = _optional("scipy._lib.array_api_compat.is_lazy_array")
compat_device = _optional("scipy._lib.array_api_compat.device")
compat_size = _optional("scipy._lib.array_api_compat.size")
compat_array_namespace = _optional("scipy._lib.array_api_compat.array_namespace")
compat_get_namespace = _optional("scipy._lib.array_api_compat.get_namespace")
scipy_norm = _optional("scipy.linalg.norm")


# ------------------------------------------------------------------ identity-like
def id_asarray_chkfinite(x):
    return np.asarray_chkfinite(x) * 2.0


def id_asfortranarray(x):
    return np.asfortranarray(x) ** 2


def id_asarray_validated(x):
    return np.sin(_asarray_validated(x, check_finite=True))


def id_validate_vector(x):
    return _validate_vector(x) * 3.0


def id_xp_asarray(x):
    return _xp_asarray(x, dtype=np.float64, xp=np) ** 2


def id_xp_copy(x):
    y = xp_copy(x, xp=np)
    return y * y


def id_xp_promote(x):
    return xp_promote(x, force_floating=True, xp=np) ** 3


def op_getitem(x):
    return operator.getitem(x, 2) * 3.0 + operator.getitem(x, slice(0, 2)).sum()


def id_xp_promote_several(x, y):
    p, q = xp_promote(x, y, broadcast=True, force_floating=True, xp=np)  # a tuple, broadcast: one rule
    return p * np.sin(q)


# ------------------------------------------------------------------ same mathematics as NumPy's
def sl_norm(x):
    return scipy_norm(x)


def sl_norm_matrix(A):
    return scipy_norm(A, "fro") + scipy_norm(A, 1, axis=0).sum()


def sl_norm_ord(x):
    return scipy_norm(x, ord=3)


# ------------------------------------------------------------------ inactive
def z_iscomplexobj(x):
    return np.iscomplexobj(x)


def z_isrealobj(x):
    return np.isrealobj(x)


def z_isscalar(x):
    return np.isscalar(x)


def z_iterable(x):
    return np.iterable(x)


def z_may_share_memory(x):
    return np.may_share_memory(x, x)


def z_shares_memory(x):
    return np.shares_memory(x, x)


def z_min_scalar_type(x):
    y = x.astype(np.min_scalar_type(x))
    return np.floor(y)


def z_common_type(x):
    y = x.astype(np.common_type(x))
    return np.floor(y)


def z_isfortran(x):
    return np.isfortran(x)


def z_can_cast(x):
    return np.can_cast(x, np.float64)


def z_bandwidth(x):
    return bandwidth(x)


def z_issymmetric(x):
    return issymmetric(x)


def z_ishermitian(x):
    return ishermitian(x)


def z_datacopied(x):
    return _datacopied(x, x)


def z_datacopied_decomp(x):
    return _datacopied_decomp(x, x)


def z_is_lazy_array(x):
    return is_lazy_array(x)


def z_xp_size(x):
    return xp_size(x)


def z_xp_result_type(x):
    y = x.astype(xp_result_type(x, xp=np))
    return np.floor(y)


def z_is_complex(x):
    return is_complex(x, np)


def z_compat_is_lazy_array(x):
    return compat_is_lazy_array(x)


def z_compat_device(x):
    return compat_device(x)


def z_compat_size(x):
    return compat_size(x)


def z_array_namespace(x):
    xp = array_namespace(x)
    return xp.floor(x)


def z_compat_array_namespace(x):
    xp = compat_array_namespace(x)
    return xp.floor(x)


def z_compat_get_namespace(x):
    xp = compat_get_namespace(x)
    return xp.floor(x)


def z_array_namespace_method(x):
    xp = x.__array_namespace__()
    return xp.floor(x)


_get_nan = _optional("scipy._lib._util._get_nan")


def z_get_nan(x):
    return np.nan_to_num(_get_nan(x))  # the NaN itself reaches arithmetic (a value, not a flag)


_IDENTITY = [
    (np.asarray_chkfinite, C(id_asarray_chkfinite, s())),
    (np.asfortranarray, C(id_asfortranarray, s())),
    (_asarray_validated, C(id_asarray_validated, s())),
    (_validate_vector, C(id_validate_vector, a(3).tolist())),
    (_xp_asarray, C(id_xp_asarray, a(3))),
    (xp_copy, C(id_xp_copy, a(3))),
    (xp_promote, C(id_xp_promote, a(3))),
    (xp_promote, C(id_xp_promote_several, a(3), a(1))),
]
_ZERO = [
    (np.iscomplexobj, Z(z_iscomplexobj, a(3))),
    (np.isrealobj, Z(z_isrealobj, a(3))),
    (np.isscalar, Z(z_isscalar, s())),
    (np.iterable, Z(z_iterable, a(3))),
    (np.may_share_memory, Z(z_may_share_memory, a(3))),
    (np.shares_memory, Z(z_shares_memory, a(3))),
    (np.min_scalar_type, Z(z_min_scalar_type, a(3))),
    (np.common_type, Z(z_common_type, a(3))),
    (np.isfortran, Z(z_isfortran, a(2, 2))),
    (np.can_cast, Z(z_can_cast, a(3))),
    (bandwidth, Z(z_bandwidth, a(3, 3))),
    (issymmetric, Z(z_issymmetric, a(3, 3))),
    (ishermitian, Z(z_ishermitian, a(3, 3))),
    (_datacopied, Z(z_datacopied, a(3))),
    (_datacopied_decomp, Z(z_datacopied_decomp, a(3))),
    (is_lazy_array, Z(z_is_lazy_array, a(3))),
    (xp_size, Z(z_xp_size, a(3))),
    (xp_result_type, Z(z_xp_result_type, a(3))),
    (is_complex, Z(z_is_complex, a(3))),
    (compat_is_lazy_array, Z(z_compat_is_lazy_array, a(3))),
    (compat_device, Z(z_compat_device, a(3))),
    (compat_size, Z(z_compat_size, a(3))),
    (_get_nan, Z(z_get_nan, a(3))),
]
# the namespace functions: zero rules (tests/library checks that `xp.<name>` then uses np.<name>'s rule)
_NAMESPACE = [
    (array_namespace, Z(z_array_namespace, a(3))),
    (compat_array_namespace, Z(z_compat_array_namespace, a(3))),
    (compat_get_namespace, Z(z_compat_get_namespace, a(3))),
]

CASES = {"__array_namespace__": [Z(z_array_namespace_method, a(3))], operator.getitem: [C(op_getitem, a(4))]}
if scipy_norm is not None:  # SciPy's functions take host arrays only: no strict-backend check
    CASES[scipy_norm] = [C(sl_norm, a(4)), C(sl_norm_matrix, a(3, 3)), C(sl_norm_ord, a(5))]
    for _case in CASES[scipy_norm]:
        _case.strict = False
for _op, _case in _IDENTITY + _ZERO + _NAMESPACE:
    if _op is not None:  # a private SciPy helper that moved in this SciPy version is not registered either
        CASES.setdefault(_op, []).append(_case)
