"""Every view-making function and method the alias analysis knows (tangent_fwd.effects) gets a test that
writes a differentiated value through the view and checks the base's tangent, in scalar and vector mode.
A view-making callable added to effects without a case here fails test_every_view_maker_has_a_case."""

import importlib
import sys
import textwrap

import numpy as np
import pytest

import tangent_fwd
from tangent_fwd import effects

# name -> (how the view is made from `base`, how a differentiated value is written through it)
FUNCTIONS = {
    "asarray": ("np.asarray(base)", "v[0, 1] += x * x"),
    "asanyarray": ("np.asanyarray(base)", "v[1] = x"),
    "ascontiguousarray": ("np.ascontiguousarray(base)", "v += x"),
    "reshape": ("np.reshape(base, (3, 2))", "v[2, 0] = x"),
    "ravel": ("np.ravel(base)", "v[4] += 3.0 * x"),
    "transpose": ("np.transpose(base)", "v[2] = x * 2.0"),
    "permute_dims": ("np.permute_dims(base, (1, 0))", "v[1, 1] = x"),
    "swapaxes": ("np.swapaxes(base, 0, 1)", "v[0] += x"),
    "moveaxis": ("np.moveaxis(base, 0, -1)", "v[:, 1] = x"),
    "rollaxis": ("np.rollaxis(base, 1)", "v[2, 1] = x * x"),
    "expand_dims": ("np.expand_dims(base, 0)", "v[0, 1] = x"),
    "squeeze": ("np.squeeze(base[:1])", "v[2] = x"),
    "atleast_1d": ("np.atleast_1d(base)", "v[0] += x"),
    "atleast_2d": ("np.atleast_2d(base)", "v[1, 2] = x"),
    "atleast_3d": ("np.atleast_3d(base)", "v[0, 1, 0] = x"),
    "broadcast_to": None,  # read-only: writing through it is an error in NumPy itself
    "diagonal": None,  # read-only in NumPy >= 1.9
    "real": ("np.real(base)", "v[0] = x"),
    "imag": None,  # of a real array: a read-only zero
    "matrix_transpose": ("np.matrix_transpose(base)", "v[0, 1] = x"),
    "split": ("np.split(base, 2)[1]", "v[0, 0] = x"),
    "array_split": ("np.array_split(base, 3, axis=1)[2]", "v[1] = x"),
    "hsplit": ("np.hsplit(base, 3)[0]", "v += x"),
    "vsplit": ("np.vsplit(base, 2)[0]", "v[0, 2] = x"),
    "dsplit": ("np.dsplit(base.reshape(2, 1, 3), 3)[1]", "v[1, 0, 0] = x"),
    "real_if_close": ("np.real_if_close(base)", "v[1] = x"),  # a real array is returned itself
    "getitem": ("operator.getitem(base, 1)", "v[2] = x * 3.0"),  # a row of base
    "bflat": None,  # rt.stats.bflat: vector mode's tangent of a.flat, exercised by the method case "flat"
}
METHODS = {
    "reshape": ("base.reshape(6)", "v[5] = x"),
    "ravel": ("base.ravel()", "v[1] += x"),
    "transpose": ("base.transpose()", "v[1, 0] = x"),
    "swapaxes": ("base.swapaxes(0, 1)", "v[2, 1] = x"),
    "squeeze": ("base[:, :1].squeeze()", "v[1] = x"),
    "view": ("base.view()", "v[0, 1] = x"),
    "T": ("base.T", "v[0] += x"),
    "mT": ("base.mT", "v[1, 1] = x"),
    "astype": ("base.astype(np.float64, copy=False)", "v[1, 2] = x"),
    "real": ("base.real", "v[0, 0] = x"),
    "imag": None,  # of a real array: read-only
    "flat": ("base.flat", "v[4] = x * x"),
}
# fields of NumPy's linalg result tuples: the field is the tuple's element itself, so a write through it
# must reach the tuple (name -> (the call making the result, the field's index in the tuple))
FIELDS = {
    "Q": ("np.linalg.qr(np.eye(3) + 0.1)", 0),
    "R": ("np.linalg.qr(np.eye(3) + 0.1)", 1),
    "U": ("np.linalg.svd(np.eye(3) + 0.1)", 0),
    "S": ("np.linalg.svd(np.eye(3) + 0.1)", 1),
    "Vh": ("np.linalg.svd(np.eye(3) + 0.1)", 2),
    "eigenvalues": ("np.linalg.eigh(np.eye(3) + 0.1)", 0),
    "eigenvectors": ("np.linalg.eigh(np.eye(3) + 0.1)", 1),
}
UNAVAILABLE = {name for name in FUNCTIONS if not hasattr(np, name)}


def test_every_view_maker_has_a_case():
    functions = {f.__name__ for f in effects.view_functions()}
    methods = effects.view_methods()
    assert functions <= set(FUNCTIONS), f"view functions without a case here: {sorted(functions - set(FUNCTIONS))}"
    known = set(METHODS) | set(FIELDS)
    assert methods <= known, f"view methods without a case: {sorted(methods - known)}"
    assert len(functions) >= 20 and {"T", "reshape", "astype"} <= methods  # read from the registry


def _cases():
    out = []
    for kind, table in (("function", FUNCTIONS), ("method", METHODS)):
        for name, entry in table.items():
            if entry is not None and not (kind == "function" and name in UNAVAILABLE):
                out.append(pytest.param(entry[0], entry[1], id=f"{kind}-{name}"))
    return out


@pytest.fixture(scope="module")
def module(tmp_path_factory):
    """One module holding a function per case (the compiler reads functions from source files)."""
    lines = ["import operator", "", "import numpy as np", ""]
    for i, p in enumerate(_cases()):
        make, write = p.values
        lines += [
            f"def case_{i}(x):",
            "    base = np.zeros((2, 3))",
            f"    v = {make}",
            f"    {write}",
            "    return base * np.arange(1.0, 7.0).reshape(2, 3)",
            "",
        ]
    d = tmp_path_factory.mktemp("view_writes")
    (d / "view_write_cases.py").write_text(textwrap.dedent("\n".join(lines)))
    sys.path.insert(0, str(d))
    try:
        return importlib.import_module("view_write_cases")
    finally:
        sys.path.remove(str(d))


@pytest.mark.parametrize("index", range(len(_cases())), ids=[p.id for p in _cases()])
def test_write_through_view_reaches_the_base_tangent(module, index):
    f = getattr(module, f"case_{index}")
    x, h = 0.7, 1e-6
    fd = (f(x + h) - f(x - h)) / (2 * h)
    assert np.any(fd != 0), "the case must write a differentiated value into the base"
    value, tangent = tangent_fwd.jvp(f, (x,), (1.0,))
    assert np.array_equal(value, f(x))
    np.testing.assert_allclose(tangent, fd, rtol=1e-6, atol=1e-8)
    # vector mode: K directions at once, each a multiple of the one above
    directions = np.array([1.0, -2.0, 0.5])
    value_k, tangent_k = tangent_fwd.jvp(f, (x,), (directions,), vectorized=True)
    assert np.array_equal(value_k, f(x))
    np.testing.assert_allclose(tangent_k, directions[:, None, None] * fd, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("field", sorted(FIELDS))
def test_write_through_a_result_field_reaches_the_result(tmp_path, field):
    make, index = FIELDS[field]
    src = textwrap.dedent(
        f"""
        import numpy as np

        def case(x):
            r = {make}
            v = r.{field}
            v[0] = v[0] * x
            return r[{index}] * np.arange(1.0, 1.0 + r[{index}].size).reshape(r[{index}].shape)
        """
    )
    (tmp_path / f"field_case_{field}.py").write_text(src)
    sys.path.insert(0, str(tmp_path))
    try:
        f = importlib.import_module(f"field_case_{field}").case
    finally:
        sys.path.remove(str(tmp_path))
    x, h = 0.7, 1e-6
    fd = (f(x + h) - f(x - h)) / (2 * h)
    assert np.any(fd != 0)
    value, tangent = tangent_fwd.jvp(f, (x,), (1.0,))
    assert np.array_equal(value, f(x))
    np.testing.assert_allclose(tangent, fd, rtol=1e-6, atol=1e-8)
    directions = np.array([1.0, -2.0])
    value_k, tangent_k = tangent_fwd.jvp(f, (x,), (directions,), vectorized=True)
    np.testing.assert_allclose(tangent_k, directions.reshape((2,) + (1,) * fd.ndim) * fd, rtol=1e-6, atol=1e-8)
