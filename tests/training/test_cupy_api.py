"""API conformance with CuPy, checked where CuPy imports but no GPU is needed (``.ci/run`` installs
``cupy-cuda12x`` in a separate venv for it; elsewhere the module is skipped):

* every ``xp.<name>`` that the rule templates and the runtime helpers (``runtime.py``,
  ``jvp_helpers/*``) and the training modules reference exists in ``cupy`` with the keywords used;
* every namespace function, array method and random-generator method that the whole training loop calls
  when it runs on the strict stand-in (generated JVPs of the three models, the direction sampler, the
  optimizers, the backprop baselines, evaluation) exists in CuPy with the keywords used;
* the CUDA API ``training/device.py`` uses (events, memory info, device selection) exists;
* every function the fusion pass may put in a ``cupy.fuse`` kernel is one CuPy's fusion supports (a
  ``cupy.ufunc``, or a function with a fusion path), and every statement of the models' fused kernels
  is an assignment of such an elementwise expression.

Each check is shown to fail on a deliberately wrong entry, so a pass means something."""

import ast
import copy
import inspect
import pathlib
import re

import numpy as np
import pytest

cupy = pytest.importorskip("cupy", reason="CuPy is not installed (pip install cupy-cuda12x; no GPU needed)")

import gast  # noqa: E402
import strict_np  # noqa: E402

import tangent_fwd  # noqa: E402
from tangent_fwd import backends, registry  # noqa: E402
from tangent_fwd.fuse import ELEMENTWISE, _fusable  # noqa: E402

backends.register("strict", strict_np)
PKG = pathlib.Path(tangent_fwd.__file__).parent


# ------------------------------------------------------------------------------------------- helpers
def resolve(name, root=None):
    """The CuPy object called ``name`` ('linalg.norm', 'ndarray.reshape', 'random.Generator.integers'),
    or None when it does not exist."""
    obj = cupy if root is None else root
    for part in name.split("."):
        if part == "BitGenerator" and obj is cupy.random:
            part = "BitGenerator"
        obj = getattr(obj, part, None)
        if obj is None:
            return None
    return obj


def accepted_keywords(obj):
    """The keyword names ``obj`` accepts (None: any), from its signature or, for Cython functions and
    ufuncs, the signature line of its docstring."""
    try:
        params = inspect.signature(obj).parameters.values()
        if any(p.kind == p.VAR_KEYWORD for p in params):
            return None
        return {p.name for p in params if p.kind != p.POSITIONAL_ONLY}
    except (TypeError, ValueError):
        pass
    first = (getattr(obj, "__doc__", None) or "").strip().splitlines()
    m = re.match(r"[\w.]*\((.*)\)", first[0]) if first else None
    if m is None:
        raise AssertionError(f"cannot read the signature of {obj!r}")
    if "**" in m.group(1):
        return None
    names = set()
    for part in m.group(1).split(","):
        name = part.strip().lstrip("\\*").strip().split("=")[0].strip()
        if name and name != "/":
            names.add(name)
    return names


def problems(uses):
    """Human-readable problems of ``{(name, keywords or None): where}`` against CuPy."""
    out = []
    for (name, kws), where in sorted(uses.items(), key=lambda t: (t[0][0], sorted(t[0][1] or ()))):
        obj = resolve(name)
        if obj is None:
            out.append(f"cupy.{name} does not exist (used by {where})")
            continue
        if kws:
            ok = accepted_keywords(obj)
            extra = set(kws) - ok if ok is not None else set()
            if extra:
                out.append(f"cupy.{name} takes no keyword {', '.join(sorted(extra))} (used by {where})")
    return out


def chains(tree, roots=("xp",)):
    """``{(dotted name, keywords or None)}`` of the attribute chains under ``xp`` (or ``self.xp``,
    ``device.xp``...) in ``tree``; keywords when the chain is called."""
    calls = {
        id(n.func): frozenset(k.arg for k in n.keywords if k.arg) for n in ast.walk(tree) if isinstance(n, ast.Call)
    }
    out = set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.Attribute):
            continue
        parts, n = [], node
        while isinstance(n, ast.Attribute) and n.attr not in roots:
            parts.append(n.attr)
            n = n.value
        rooted = (isinstance(n, ast.Name) and n.id in roots) or (isinstance(n, ast.Attribute) and n.attr in roots)
        if rooted and parts:
            out.add((".".join(reversed(parts)), calls.get(id(node))))
    # keep only the longest chain of each expression (xp.linalg.norm, not also xp.linalg)
    names = {c for c, _ in out}
    return {(c, k) for c, k in out if not any(o.startswith(c + ".") for o in names) or k is not None}


# --------------------------------------------------------------------------------------- static uses
def static_uses():
    uses = {}
    for rule in registry._RULES.values():
        for t in list(rule.partials.values()) + [rule.joint]:
            if t is not None:
                tree = ast.parse(t, mode="eval") if isinstance(t, str) else gast.gast_to_ast(copy.deepcopy(t))
                for use in chains(tree, roots=("np",)):  # in templates `np` is the backend namespace
                    uses.setdefault(use, f"the rule template of {rule.name}")
    files = [PKG / "runtime.py", *sorted((PKG / "jvp_helpers").glob("*.py")), *sorted((PKG / "training").glob("*.py"))]
    for path in files:
        tree = ast.parse(path.read_text())
        for use in chains(tree):
            uses.setdefault(use, f"{path.relative_to(PKG.parent)}")
    return uses


# Found by this test when it was written (issue 14), in rule families outside the training path; each makes
# the derivative of that NumPy call fail on CuPy with a TypeError (never a wrong value). They are listed so
# the test fails on any NEW gap, and fails when one is fixed (delete its line then).
KNOWN_GAPS = set()


def test_every_xp_name_in_templates_helpers_and_training_exists_in_cupy():
    uses = static_uses()
    assert len(uses) > 100  # the scan sees the templates and helpers (144 distinct uses when written)
    assert {"cos", "linalg.solve", "unpackbits", "copyto"} <= {n for n, _ in uses}
    found = set(problems(uses))
    assert found - KNOWN_GAPS == set(), "new CuPy incompatibilities"
    assert KNOWN_GAPS - found == set(), "fixed: remove these from KNOWN_GAPS"
    training = {p for p in found if "tangent_fwd/training" in p}
    assert training == set()


def test_the_check_catches_a_missing_name_and_a_wrong_keyword():
    bad = {("no_such_function", None): "here", ("sum", frozenset({"keepdim"})): "there"}
    found = problems(bad)
    assert len(found) == 2 and "does not exist" in found[0] and "keepdim" in found[1]


# -------------------------------------------------------------------------------------- dynamic uses
def _training_calls():
    from tangent_fwd.training import runner

    rng = np.random.default_rng(0)
    x = rng.random((40, 784), dtype=np.float32)
    y = rng.integers(0, 10, 40)
    data = (x[:32], y[:32], x[32:], y[32:])
    variants = [
        dict(model="logreg"),
        dict(model="mlp", width=8, optimizer="momentum", distribution="rademacher"),
        dict(model="mlp", width=8, optimizer="adam", directions=2),
        dict(model="mlp", width=8, directions=2, vectorized=False, rank=1),
        dict(model="cnn", channels=2, hidden=8, optimizer="adam"),
        dict(model="cnn", channels=2, hidden=8, method="backprop"),
        dict(model="mlp", width=8, method="backprop", optimizer="momentum"),
    ]
    with strict_np.recording() as calls:
        for kw in variants:
            cfg = runner.TrainConfig(backend="strict", batch_size=16, epochs=1, lr=1e-3, decay=0.0, **kw)
            assert runner.train(cfg, data=data, progress=False, log=None)["status"] == "ok"
    return calls


def test_every_call_the_training_loop_makes_on_a_device_exists_in_cupy():
    calls = _training_calls()
    names = {n for n, _ in calls}
    # what the run must have gone through (a recording that saw nothing would pass vacuously)
    for must in ("random.Generator.standard_normal", "random.BitGenerator.random_raw", "unpackbits", "ndarray.get"):
        assert must in names, must
    uses = {}
    for name, kws in calls:
        uses.setdefault((name, kws or None), "the training loop on the strict stand-in")
    assert problems(uses) == []


def test_cuda_api_used_by_the_device_module_exists():
    for name in (
        "cuda.Device",
        "cuda.Event",
        "cuda.get_elapsed_time",
        "cuda.runtime.getDeviceCount",
        "cuda.get_current_stream",
        "cuda.runtime.getDeviceProperties",
    ):
        assert resolve(name) is not None, name
    for attr in ("mem_info", "use"):
        assert hasattr(cupy.cuda.Device, attr), attr
    for attr in ("record", "synchronize"):
        assert hasattr(cupy.cuda.Event, attr), attr
    assert hasattr(cupy.cuda.Stream, "synchronize")
    assert {"n_repeat", "n_warmup"} <= accepted_keywords(pytest.importorskip("cupyx.profiler").benchmark)
    assert hasattr(cupy.cuda.MemoryPool, "free_bytes") and resolve("get_default_memory_pool") is not None
    assert {"size", "dtype"} <= accepted_keywords(cupy.random.Generator.standard_normal)
    assert "size" in accepted_keywords(cupy.random.BitGenerator.random_raw)


# ------------------------------------------------------------------------------------------- fusion
def fusable_in_cupy(name):
    f = getattr(cupy, name, None)
    if f is None:
        return False
    if isinstance(f, cupy.ufunc):
        return True
    try:
        return "fusion._is_fusing()" in inspect.getsource(f)  # e.g. cupy.where, cupy.clip
    except (OSError, TypeError):
        return False


def test_every_function_the_fusion_pass_may_fuse_is_supported_by_cupy_fuse():
    assert [n for n in sorted(ELEMENTWISE) if not fusable_in_cupy(n)] == []
    assert not fusable_in_cupy("sum_of_squares") and not fusable_in_cupy("linalg")


@pytest.mark.parametrize("model", ["logreg", "mlp", "cnn"])
def test_fused_kernels_of_the_models_hold_only_fusable_statements(model):
    from tangent_fwd.training.models import get_model

    src = tangent_fwd.source(get_model(model).loss, wrt="params", backend="cupy")
    kernels = [n for n in ast.parse(src).body if isinstance(n, ast.FunctionDef) and n.decorator_list]
    assert kernels, "the cupy source has fused kernels"
    for k in kernels:
        assert ast.unparse(k.decorator_list[0]) == "xp.fuse()"
        *body, ret = [s for s in k.body if not (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant))]
        assert isinstance(ret, ast.Return)
        for stmt in body:
            assert _fusable(gast.ast_to_gast(stmt), "xp"), ast.unparse(stmt)
            for call in (n for n in ast.walk(stmt) if isinstance(n, ast.Call)):
                assert fusable_in_cupy(call.func.attr), ast.unparse(call)
