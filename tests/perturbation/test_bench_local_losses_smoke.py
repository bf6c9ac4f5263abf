"""Smoke run of benchmarks/bench_local_losses.py at a tiny size: it runs every method of the issue's table,
chooses each step size on the held-out split, writes JSON and markdown. No timing assertions."""

import json
import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]


def test_bench_local_losses_tiny(tmp_path):
    args = "--epochs 1 --train 256 --val 64 --test 64 --seeds 1 --width 16 --batch 32 --repeats 2"
    args += " --var-samples 6 --var-samples-weights 3 --jobs 2"
    proc = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "bench_local_losses.py"), *args.split(), "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=str(ROOT),
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    d = json.loads((tmp_path / "local_losses.json").read_text())
    assert "SMOKE" not in (tmp_path / "local_losses.md").read_text()
    methods = [r["method"] for r in d["learning"]]
    assert len(methods) == 9 and methods[0] == "backprop" and methods[-1].endswith("K=16")
    for r in d["learning"]:
        grid = [run["lr"] for run in r["grid"]]
        assert r["lr"] in grid and r["seeds"][0]["val"] == max(run["val"] for run in r["grid"])
        assert len(r["seeds"]) == 1 and (r["seeds"][0].get("diverged") or len(r["seeds"][0]["curve"]) == 1)
    assert (tmp_path / "local_losses.png").stat().st_size > 1000
    var = d["variance"]
    # weight perturbation: about the number of parameters (13k here); activity perturbation: far below
    assert var["weights, dense normal"]["relative_variance"] > 1000
    assert var["activations, local, exact heads, K=16"]["relative_variance"] < 100


def test_combine_picks_each_methods_best_validation_run(tmp_path):
    """--combine: per method, the result file whose chosen run has the best seed-0 validation accuracy."""
    args = "--epochs 1 --train 256 --val 64 --test 64 --seeds 1 --width 16 --batch 32 --repeats 2"
    args += " --var-samples 4 --var-samples-weights 2 --methods backprop"
    bench = str(ROOT / "benchmarks" / "bench_local_losses.py")
    for tag, extra in (("a", []), ("b", ["--decay-to", "0.5"])):
        cmd = [sys.executable, bench, *args.split(), *extra, "--tag", tag, "--out", str(tmp_path)]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300, cwd=str(ROOT))
        assert proc.returncode == 0, proc.stderr[-3000:]
    files = [str(tmp_path / f"local_losses_{t}.json") for t in ("a", "b")]
    proc = subprocess.run(
        [sys.executable, bench, "--combine", *files, "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=str(ROOT),
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    runs = [json.loads(pathlib.Path(f).read_text())["learning"] for f in files]
    combined = json.loads((tmp_path / "local_losses_combined.json").read_text())["learning"]
    assert [r["method"] for r in combined] == [r["method"] for r in runs[0]] == ["backprop", "backprop, local losses"]
    for i, r in enumerate(combined):
        a, b = runs[0][i]["seeds"][0]["val"], runs[1][i]["seeds"][0]["val"]
        assert r["seeds"][0]["val"] == max(a, b)
        assert r["schedule"] == ("decay to 0.5×" if b > a else "decay to 0.1×")
    assert (tmp_path / "local_losses_combined.png").exists()


def test_costs_only_with_memory(tmp_path):
    args = "--costs-only --memory --width 16 --batch 8 --repeats 3 --tag t"
    proc = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "bench_local_losses.py"), *args.split(), "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=str(ROOT),
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    costs = json.loads((tmp_path / "local_losses_step_cost_t.json").read_text())["step_costs"]
    assert costs["backprop"]["ratio_to_backprop"] == 1.0 and len(costs["backprop"]["samples"]) == 3
    # K = 16 directions hold 16 tangents per site: more memory than one direction
    k16, k1 = costs["activations, local, exact heads, K=16"], costs["activations, local, exact heads, K=1"]
    assert k16["peak_bytes"] > k1["peak_bytes"] > 0
    assert "peak memory" in (tmp_path / "local_losses_step_cost_t.md").read_text()
