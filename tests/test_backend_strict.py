"""The generated code on a non-NumPy backend: the whole corpus runs on ``strict_np`` (arrays that refuse
any conversion to NumPy, the way CuPy arrays do) and must give NumPy's results; a rule that leaks
to NumPy must make that run fail. The same corpus runs on real CuPy under the ``gpu`` marker."""

import os
import zlib

import numpy as np
import pytest
import strict_np
from corpus import load
from gpu_support import cupy_available

import tangent_fwd
from tangent_fwd import backends

backends.register("strict", strict_np)
CASES = load()


def _direction(x, rng):
    if isinstance(x, dict):
        return {k: _direction(v, rng) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return type(x)(_direction(v, rng) for v in x)
    if isinstance(x, np.ndarray):
        return rng.standard_normal(x.shape).astype(x.dtype)
    return float(rng.standard_normal())


def _inputs(case):
    rng = np.random.default_rng(zlib.crc32(case.name.encode()))
    args = case.args(rng)
    tangents = tuple(_direction(a, rng) if i in case.wrt else None for i, a in enumerate(args))
    return args, tangents


def _assert_close(a, b, path="out"):
    if isinstance(a, dict):
        assert set(a) == set(b), path
        for k in a:
            _assert_close(a[k], b[k], f"{path}[{k!r}]")
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), path
        for i, (x, y) in enumerate(zip(a, b)):
            _assert_close(x, y, f"{path}[{i}]")
    elif isinstance(a, (str, bytes, type(None))):
        assert a == b, path
    else:
        np.testing.assert_allclose(
            np.asarray(a, dtype=float), np.asarray(b, dtype=float), rtol=1e-10, atol=1e-12, err_msg=path
        )


def _run_on(xp_to, xp_back, case, backend):
    import copy

    args, tangents = _inputs(case)
    want_v, want_t = tangent_fwd.jvp(case.func, copy.deepcopy(args), copy.deepcopy(tangents), backend="numpy")
    got_v, got_t = tangent_fwd.jvp(case.func, xp_to(args), xp_to(tangents), backend=backend)
    _assert_close(xp_back(got_v), want_v)
    _assert_close(xp_back(got_t), want_t)


# Functions whose own code pins them to the host: they read module-level NumPy arrays, which on a
# device backend would have to be device arrays (CuPy refuses to mix them just like strict_np does).
HOST_ONLY = {
    "calls.module_globals",
    "calls.global_loop_count",
    "soundness_alias.module_buffer_inactive_write",
    "soundness_alias.attributes_of_module_level_object",
    "soundness_scopes.factory_closure_two_cells",  # its closure cells hold NumPy arrays
    "soundness_complex.r_concatenate",  # np.r_ / np.c_ are NumPy's own objects
    "soundness_complex.r_with_slice_syntax",
    "soundness_complex.c_columns",
    "soundness_complex.r_c_of_matrices",
    # NumPy scalars (np.float64(3.0) * x) and np.array([...]) of device values in the user's own code
    "soundness_numpy_api.sum_of_0d",
    "soundness_numpy_api.float32_constant_promotes",
    "soundness_numpy_api.numpy_scalar_float64_mixed_float32",
    "soundness_numpy_api.max_tie_first_argmax_convention_equal_tangent_copies",
    "soundness_program.numpy_scalar_type_conversions",
    "soundness_program.join_of_fstrings_sets_scale",  # formats device values into a string
    # scipy.special's Python-level functions (softmax, log_softmax, logsumexp, multigammaln) convert their
    # input with np.asarray (on CuPy one calls cupyx.scipy.special's), and scipy on Python floats returns
    # NumPy scalars; the ufuncs (expit, gammaln, i0e...) run on the device (strict_np.special)
    "coverage_scipy.student_t_log_likelihood",
    "coverage_scipy.wishart_log_normalizer",
    "coverage_scipy.kl_between_categoricals",
    "coverage_scipy.attention_entropy",
    "coverage_scipy.softmax_cross_entropy",
    "coverage_scipy.gaussian_mixture_log_likelihood",
    "coverage_scipy.log_difference_of_exponentials",
    "coverage_scipy.weighted_log_partition",
    # scipy.linalg (cho_factor/cho_solve, solve_triangular, expm, lu_factor/lu_solve) is NumPy-only: on CuPy
    # one calls cupyx.scipy.linalg; the user's own choice of library, not a host fallback of ours
    "coverage_linalg.gp_nll_cho_solve",
    "coverage_linalg.least_squares_via_qr",
    "coverage_linalg.kalman_log_likelihood_cholesky",
    "coverage_linalg.linear_ode_matrix_exponential",
    "coverage_linalg.lu_factor_then_solve",
    "coverage_mixed.cho_solve_loss",
    # models whose weights are NumPy arrays held by module-level objects (MODEL.W1, QUAD.A, TARGET3)
    "coverage_calls.model_loss_method",
    "coverage_calls.method_staticmethod_classmethod",
    "coverage_calls.bound_method_as_value",
    "coverage_calls.callable_objects_in_list",
    "coverage_calls.partial_of_user_function",
}
# Functions whose primal itself differs by backend: NumPy reductions return immutable scalars, a
# device backend 0-d arrays that ``s += v`` updates in place (so an alias of ``s`` changes too). The
# generated code must follow its own backend: compare with the plain call on that backend.
BACKEND_SEMANTICS = {"soundness_inplace.zero_d_sum_result_aug"}


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_corpus_on_strict_backend_matches_numpy(case):
    if case.name in HOST_ONLY:
        with pytest.raises(strict_np.HostFallbackError):  # the user's host array, not our code
            _run_on(strict_np.to_device, strict_np.to_host, case, "strict")
        return
    if case.name in BACKEND_SEMANTICS:
        (x,), (dx,) = _inputs(case)
        h = 1e-6

        def run(a):
            v, t = tangent_fwd.jvp(case.func, (strict_np.to_device(a),), (strict_np.to_device(dx),), backend="strict")
            return strict_np.to_host(v), strict_np.to_host(t)

        value, tangent = run(x)
        fd = (run(x + h * dx)[0] - run(x - h * dx)[0]) / (2 * h)
        np.testing.assert_allclose(tangent, fd, rtol=1e-6, atol=1e-8)
        assert not np.allclose(value, case.func(x))  # the device primal really differs from NumPy's
        return
    _run_on(strict_np.to_device, strict_np.to_host, case, "strict")


def test_auto_backend_detects_strict_arrays_and_caches_per_backend():
    from corpus import CASES as all_cases

    case = next(c for c in all_cases if c.name.endswith("np_tanh") or "tanh" in c.name)
    args, tangents = _inputs(case)
    fd = tangent_fwd.forward_diff(case.func, wrt=case.wrt)
    on_numpy = fd(*args, *[t for t in tangents if t is not None])
    on_strict = fd(*strict_np.to_device(args), *[strict_np.to_device(t) for t in tangents if t is not None])
    assert type(on_strict[1]).__name__ == "StrictArray"
    _assert_close(strict_np.to_host(on_strict), on_numpy)
    assert "numpy" in fd._by_backend and "strict" in fd._by_backend


def leaky_op(x):
    return x * 2.0


def uses_leaky(x):
    return leaky_op(x) + 1.0


def test_a_leaky_rule_makes_the_strict_run_fail():
    from tangent_fwd import registry

    tangent_fwd.defjvp(leaky_op, "x", lambda d, ans, x: np.asarray(d) * 2.0)  # leaks to the host
    try:
        x = np.linspace(0.0, 1.0, 4)
        v, t = tangent_fwd.jvp(uses_leaky, (x,), (np.ones(4),))  # fine on NumPy
        np.testing.assert_allclose(t, 2.0)
        with pytest.raises(strict_np.HostFallbackError):
            tangent_fwd.jvp(uses_leaky, (strict_np.to_device(x),), (strict_np.to_device(np.ones(4)),))
    finally:
        registry._RULES.pop(id(leaky_op), None)
        registry._version[0] += 1


def test_mixing_numpy_and_strict_arrays_names_the_arguments():
    def f(a, b):
        return a * b

    with pytest.raises(tangent_fwd.ArgumentError) as info:
        tangent_fwd.jvp(_mix, (np.ones(3), strict_np.to_device(np.ones(3))), (np.ones(3), None))
    msg = str(info.value)
    assert "mix arrays of different backends" in msg and "numpy: a" in msg and "strict_np: b" in msg


def _mix(a, b):
    return a * b


def test_cupy_backend_errors_are_actionable():
    try:
        import cupy

        if cupy.is_available():
            pytest.skip("a CUDA device is available: the error paths cannot be reached")
        expected = "finds no usable CUDA device"
    except ImportError:
        expected = "CuPy is not installed"
    with pytest.raises(tangent_fwd.ArgumentError) as info:
        tangent_fwd.jvp(_mix, (np.ones(3), np.ones(3)), (np.ones(3), None), backend="cupy")
    assert expected in str(info.value) and ("tangent_fwd[cuda12]" in str(info.value) or "driver" in str(info.value))


def _gpu_cases():
    """The corpus, or every k-th case when TANGENT_FWD_GPU_CORPUS_SAMPLE=N asks for about N of them (the
    time-boxed device check runs a spread sample: each case compiles its own CUDA kernels)."""
    n = int(os.environ.get("TANGENT_FWD_GPU_CORPUS_SAMPLE", "0") or 0)
    if n <= 0 or n >= len(CASES):
        return CASES
    return CASES[:: -(-len(CASES) // n)]


GPU_CASES = _gpu_cases()


def test_strict_guard_refuses_implicit_host_reads_and_counts_copies():
    a = strict_np.to_device(np.arange(3.0))
    s = a.sum()
    with strict_np.guard_host_sync() as gets:
        for read in (float, int, bool, lambda v: v.item(), lambda v: v.tolist(), lambda v: [0, 1, 2, 3, 4, 5, 6][v]):
            with pytest.raises(strict_np.HostSyncError):
                read(s)
        assert a.get().tolist() == [0.0, 1.0, 2.0] and gets[0] == 1
    assert float(s) == 3.0  # outside the guard, like CuPy: an implicit (synchronising) read


@pytest.mark.gpu
@pytest.mark.skipif(not cupy_available(), reason="needs CuPy with a usable CUDA device (cupy.is_available())")
@pytest.mark.parametrize("case", GPU_CASES, ids=[c.name for c in GPU_CASES])
def test_corpus_on_cupy_matches_numpy(case):
    import cupy

    def to(tree):
        if isinstance(tree, np.ndarray):
            return cupy.asarray(tree)
        if isinstance(tree, dict):
            return {k: to(v) for k, v in tree.items()}
        if isinstance(tree, (list, tuple)):
            return type(tree)(to(v) for v in tree)
        return tree

    def back(tree):
        if isinstance(tree, cupy.ndarray):
            return cupy.asnumpy(tree)
        if isinstance(tree, dict):
            return {k: back(v) for k, v in tree.items()}
        if isinstance(tree, (list, tuple)):
            return type(tree)(back(v) for v in tree)
        return tree

    if "pc_random" in case.tags:  # CuPy's generators draw different numbers: check it runs on the device
        args, tangents = _inputs(case)
        v, t = tangent_fwd.jvp(case.func, to(args), to(tangents), backend="cupy")
        assert not isinstance(back(t), type(t)) or not hasattr(t, "device")
        return
    _run_on(to, back, case, "cupy")
