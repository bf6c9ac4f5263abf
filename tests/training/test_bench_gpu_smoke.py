"""benchmarks/bench_gpu.py runs its whole measurement code on the CPU (``--backend numpy --small``):
every row has f, f+JVP, backprop and the forward-gradient steps with their ratios; the report assembler
turns a gpu_check.sh output folder into gpu_check.json/.md and flags a first-step-loss mismatch; the
shell script parses. No timing assertions."""

import json
import pathlib
import shutil
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "benchmarks"))
import bench_gpu  # noqa: E402


def test_cpu_dry_run_measures_every_quantity(tmp_path):
    payload = bench_gpu.main(["--backend", "numpy", "--small", "--quick", "--batches", "4", "--out", str(tmp_path)])
    rows = {r["model"]: r for r in payload["rows"]}
    assert set(rows) == {"logreg", "mlp", "cnn"}
    for r in rows.values():
        assert {"f", "f+JVP unfused", "f+grad (backprop)", "backprop step", "fg step normal unfused"} <= set(r["ms"])
        assert {"fg step rademacher", "fg step rank-1"} <= set(r["ms"])
        assert all(v > 0 for v in r["ms"].values())
        assert {"Rf", "Rb", "T_f/T_b normal unfused", "T_f/T_b rademacher", "T_f/T_b rank-1"} <= set(r["ratios"])
    d = json.loads((tmp_path / "gpu.json").read_text())
    assert d["backend"] == "numpy" and len(d["rows"]) == 3
    md = (tmp_path / "gpu.md").read_text()
    assert md.startswith("# GPU benchmark") and md.count("\n| ") == 4


def test_without_a_device_it_says_so(capsys):
    try:
        import cupy

        if cupy.is_available():
            pytest.skip("a GPU is available")
    except ImportError:
        pass
    assert bench_gpu.main(["--out", "unused"]) is None
    assert "no usable CUDA device" in capsys.readouterr().out


def _run(path, model, first_loss, status="ok"):
    path.mkdir(parents=True)
    payload = {"status": status, "first_loss": first_loss, "final_test_accuracy": 0.8, "step_time": 0.001}
    (path / f"{model}_forward_sgd.json").write_text(json.dumps(payload | {"steps": 79, "device": "Device(cupy:0)"}))


def test_report_checks_first_step_losses(tmp_path):
    (tmp_path / "steps.tsv").write_text("gpu tests\t0\t1\n")
    (tmp_path / "pytest_gpu.txt").write_text("...\n12 passed in 3.2s\n..F\n1 failed, 2 passed in 9.0s\n")
    (tmp_path / "gpu.json").write_text(
        json.dumps({"device": "X", "backend": "cupy", "timing": "t", "repeat": 1, "rows": [], "skipped_for_time": []})
    )
    for model in ("mlp", "cnn"):
        _run(tmp_path / f"train_{model}_cupy", model, 2.302585)
        _run(tmp_path / f"train_{model}_numpy", model, 2.302585 + (0.01 if model == "cnn" else 0.0))
    p = bench_gpu.report(tmp_path)
    assert not p["ok"]  # the CNN's first-step loss differs by 1e-2
    assert [r["first_loss_match"] for r in p["training"]] == [True, False]
    md = (tmp_path / "gpu_check.md").read_text()
    assert p["steps"] == {"gpu tests": {"rc": 0, "seconds": 1}}
    assert "FAILED" in md and "| cnn | ok |" in md and "NO |" in md and "12 passed" in md
    assert json.loads((tmp_path / "gpu_check.json").read_text())["gpu_tests"] == [
        "12 passed in 3.2s",
        "1 failed, 2 passed in 9.0s",
    ]


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
def test_gpu_check_script_parses():
    for script in ("gpu_check.sh", "fetch_gpu_wheels.sh"):
        subprocess.run(["bash", "-n", str(ROOT / "benchmarks" / script)], check=True)
