"""The CLI's allocator tuning (tangent_fwd/training/allocator.py): applied once, skipped where the
environment already says what to do; --no-malloc-tuning leaves it alone."""

import os
import subprocess
import sys

CODE = "from tangent_fwd.training.allocator import tune; a = tune(); b = tune(); assert a == b; print(a)"


def _run(env_extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith("MALLOC_")}
    env.update(env_extra)
    out = subprocess.run([sys.executable, "-c", CODE], capture_output=True, text=True, env=env, timeout=60)
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


def test_tune_sets_thresholds_once():
    msg = _run({})
    if sys.platform.startswith("linux"):
        assert msg.startswith("mmap threshold 32 MiB") or msg.startswith("unchanged (no glibc"), msg
    else:
        assert msg.startswith("unchanged")


def test_tune_respects_the_environment():
    assert _run({"MALLOC_TRIM_THRESHOLD_": "1000"}).startswith("unchanged (MALLOC_")


def test_cli_flag(tmp_path):
    from tangent_fwd.cli import main

    assert main(
        [
            "train",
            "--model",
            "logreg",
            "--max-steps",
            "3",
            "--out-dir",
            str(tmp_path),
            "--no-progress",
            "--no-malloc-tuning",
        ]
    ) in (0, None)
