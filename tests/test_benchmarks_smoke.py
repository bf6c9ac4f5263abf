"""Smoke run of benchmarks/bench_compiler.py --quick: it runs in a subprocess, writes compiler.json and
compiler.md with the expected keys, and its correctness checks (asserted inside the script) pass.
No timing assertions."""

import json
import pathlib
import subprocess
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "benchmarks" / "bench_compiler.py"


def test_bench_compiler_quick(tmp_path):
    t0 = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, str(SCRIPT), "--quick", "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=30,
        cwd=str(ROOT),
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert time.perf_counter() - t0 < 30
    assert (tmp_path / "compiler.md").read_text().startswith("# Compiler benchmarks")
    d = json.loads((tmp_path / "compiler.json").read_text())

    assert {"command", "machine", "config", "transform", "scalar", "mlp"} <= set(d)
    m = d["machine"]
    for key in ("cpu", "cores", "python", "numpy", "blas", "blas_env"):
        assert key in m, key
    assert isinstance(m["blas"], list) and m["blas"], m["blas"]
    assert d["config"]["quick"] is True

    assert set(d["transform"]) == {"realistic_loss", "mlp_loss"}
    for r in d["transform"].values():
        for k in ("build_ms", "build_compile_ms"):
            assert {"median", "q1", "q3", "min", "max", "n"} <= set(r[k])
        assert r["generated_lines"] > 0 and r["first_in_process_ms"] > 0

    rows = d["scalar"]["times_us"]
    for k in ("f", "f+JVP hand-written", "f+JVP forward_diff (public callable)", "f+JVP generated function (direct)"):
        assert {"median", "q1", "q3"} <= set(rows[k]), k
    assert set(d["scalar"]["frameworks"]) == {"jax", "autograd"}

    mlp = d["mlp"]
    assert {"f", "f+JVP hand-written", "f+JVP forward_diff"} <= set(mlp["times_ms"])
    assert {"tangent_fwd_over_hand", "Rf_tangent_fwd", "Rf_hand"} == set(mlp["ratios"])
    assert {"median", "q1", "q3"} <= set(mlp["paired_ratio_tangent_fwd_over_hand"])
    c = mlp["check"]
    assert abs(c["jvp_tangent_fwd"] - c["jvp_hand"]) <= 1e-3 * max(1.0, abs(c["jvp_hand"]))
    assert "def mlp_loss_jvp" in mlp["generated_source"]
