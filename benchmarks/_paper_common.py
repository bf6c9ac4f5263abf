"""Helpers shared by bench_costs.py, bench_depth.py and bench_compile.py (the paper-reproduction benchmarks)."""

import os

_LIMITER = []


def add_blas_threads_arg(ap):
    ap.add_argument(
        "--blas-threads",
        type=int,
        default=1,
        help="BLAS threads (threadpoolctl); 0 = leave as found. Default 1: on the 2-vCPU machine these "
        "runs were made on, 2-thread OpenBLAS took 20-160 ms for matmuls that take 0.1-0.6 ms on one "
        "thread (thread hand-off stalls), which swamps every ratio",
    )


def set_blas_threads(n):
    """Limit BLAS to ``n`` threads for the rest of the process (n <= 0: unchanged). Returns what was done."""
    if n is None or n <= 0:
        return "unchanged"
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return "threadpoolctl not installed: unchanged"
    _LIMITER.append(threadpool_limits(limits=n, user_api="blas"))
    return f"limited to {n} via threadpoolctl"


def loadavg():
    try:
        with open("/proc/loadavg") as fh:
            return fh.read().split()[:3]
    except OSError:
        return None


def git_head():
    """The commit the benchmarked tangent_fwd is at (plus '+dirty' when its files are modified)."""
    import subprocess

    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=root, capture_output=True, text=True, timeout=10
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "tangent_fwd"], cwd=root, capture_output=True, text=True, timeout=10
        ).stdout.strip()
        return head + ("+dirty" if dirty else "") if head else None
    except (OSError, subprocess.SubprocessError):
        return None
