"""Smoke runs of the paper-reproduction benchmarks (benchmarks/bench_costs.py, bench_depth.py,
bench_compile.py) with --quick: they run, write JSON + markdown, and their correctness checks pass.
No timing assertions."""

import json
import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
BENCH = ROOT / "benchmarks"


def _run(script, out):
    proc = subprocess.run(
        [sys.executable, str(BENCH / script), "--quick", "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=str(ROOT),
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc


def _load(out, name):
    assert (out / f"{name}.md").is_file()
    with open(out / f"{name}.json") as fh:
        return json.load(fh)


def _machine_ok(m):
    for key in ("cpu", "cores", "python", "numpy", "blas", "blas_env", "blas_threads_setting"):
        assert key in m


def test_bench_costs_quick(tmp_path):
    _run("bench_costs.py", tmp_path)
    d = _load(tmp_path, "costs")
    _machine_ok(d["machine"])
    assert d["checks_passed"] is True
    assert [r["model"] for r in d["models"]] == ["logreg", "mlp", "cnn"]
    for r in d["models"]:
        assert all(r["checks"].values()), r["checks"]
        for k in (
            "f",
            "jvp_tangent_fwd",
            "jvp_api",
            "jvp_hand",
            "grad_backprop",
            "step_forward_gradient",
            "step_backprop",
        ):
            assert {"median", "q1", "q3", "n"} <= set(r["times"][k])
        for k in ("Rf", "Rb", "Rf_over_Rb", "jvp_tangent_fwd_over_hand", "fg_step_over_bp_step"):
            assert r["ratios"][k] > 0
        assert set(r["paper"]) == {"Rf", "Rb"}


def test_bench_depth_quick(tmp_path):
    _run("bench_depth.py", tmp_path)
    d = _load(tmp_path, "depth")
    _machine_ok(d["machine"])
    assert d["checks_passed"] is True
    assert d["backprop_fd_check"]["passed"] is True
    assert [r["depth"] for r in d["results"]] == [1, 2, 5]
    for r in d["results"]:
        assert all(r["checks"].values())
        assert set(r["peak_bytes"]) == {"f", "f_jvp", "f_grad", "f_jvp_hand"}
        assert all(v > 0 for v in r["peak_bytes"].values())
        assert r["Rf"] > 0 and r["Rb"] > 0
    # the backprop tape grows with depth; forward mode keeps none
    grads = [r["tape_bytes_grad_excl_output"] for r in d["results"]]
    assert grads[-1] > grads[0]
    assert "target_mem_jvp_le_2.2x_f" in d
    for png in d["plots"]:
        assert (tmp_path / png).is_file()


def test_bench_compile_quick(tmp_path):
    _run("bench_compile.py", tmp_path)
    d = _load(tmp_path, "compile")
    _machine_ok(d["machine"])
    assert d["checks_passed"] is True
    # the measurements come from bench_compiler.py's functions (one implementation, shared)
    assert d["measured_by"].startswith("bench_compiler.")
    assert set(d["transform"]) == {"logreg", "mlp", "cnn"}
    for v in d["transform"].values():
        assert v["build_ms"]["median"] > 0 and v["build_compile_ms"]["median"] > 0
        assert v["generated_lines"] > 0 and v["first_in_process_ms"] > 0
    rows = d["scalar"]["times_us"]
    for k in ("f", "f+JVP hand-written", "f+JVP generated function (direct)", "f+JVP forward_diff (public callable)"):
        assert rows[k]["median"] > 0, k
    assert set(d["targets"]) == {"cold_build_compile_le_10ms", "scalar_f_jvp_le_0.5us"}
    assert "def scalar_f_jvp" in d["scalar_source"]
