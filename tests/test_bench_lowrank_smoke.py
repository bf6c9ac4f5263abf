"""Smoke run of benchmarks/bench_lowrank.py --quick: it runs (its factored == dense JVP and JVP == grad·v
checks pass), writes JSON, markdown and the learning plot. No timing assertions."""

import json
import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent


def test_bench_lowrank_quick(tmp_path):
    proc = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "bench_lowrank.py"), "--quick", "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=str(ROOT),
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    d = json.loads((tmp_path / "lowrank_quick.json").read_text())
    assert (tmp_path / "lowrank_quick.md").is_file() and (tmp_path / "lowrank_learning.png").stat().st_size > 1000
    row = d["steps"][0]
    assert set(row["jvp_checks"]) == {"rank-1", "rank-4"}
    for c in row["jvp_checks"].values():
        assert abs(c["factored"] - c["dense"]) <= 2e-3 * max(1.0, abs(c["dense"]))
    runs = d["learning"]["runs"]
    assert set(runs) == {
        "backprop",
        "dense normal",
        "dense Rademacher",
        "rank-1 normal",
        "rank-1 Rademacher",
        "rank-4 Rademacher",
        "backprop, same lr",
    }
    assert all(r["status"] == "ok" for r in runs.values())
    q = d["learning"]["estimator_quality_at_init"]
    assert all(0 <= v["cosine_mean"] <= 1 for v in q.values())
