"""Shared by the benchmark scripts: a clean BLAS environment, machine facts, robust timing."""

import json
import os
import platform
import statistics
import sys
import time
import tracemalloc

BLAS_VARS = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")


# glibc returns large freed blocks to the OS (munmap / heap trimming) and page-faults them back on the
# next call: a CNN step allocating ~3 MB temporaries then spends up to half its time in page faults, and
# how much depends on which measurement ran just before (order effects of 2x on the same code). With
# these thresholds large temporaries are reused from the heap for every method alike.
# TANGENT_FWD_BENCH_MALLOC=0 leaves the allocator alone.
MALLOC_VARS = {
    "MALLOC_MMAP_THRESHOLD_": "33554432",
    "MALLOC_TRIM_THRESHOLD_": "4294967296",
}  # 32 MiB: the 64-bit maximum


def reexec_without_blas_overrides():
    """Some machines here set OPENBLAS_CORETYPE/L2_SIZE (older OpenBLAS builds needed them); they slow a
    current NumPy. Re-run this script once with both removed and glibc's allocator told to keep large
    blocks (MALLOC_VARS), for this process only."""
    if os.environ.get("TANGENT_FWD_BENCH_REEXEC"):
        return
    tune = os.environ.get("TANGENT_FWD_BENCH_MALLOC", "1") != "0" and sys.platform.startswith("linux")
    malloc = {k: v for k, v in MALLOC_VARS.items() if tune and k not in os.environ}
    if any(v in os.environ for v in BLAS_VARS) or malloc:
        env = {k: v for k, v in os.environ.items() if k not in BLAS_VARS}
        env.update(malloc)
        removed = [v for v in BLAS_VARS if v in os.environ]
        note = ("removed " + ",".join(removed)) if removed else "unchanged"
        if malloc:
            note += "; glibc malloc: " + " ".join(f"{k}={v}" for k, v in malloc.items())
        env["TANGENT_FWD_BENCH_REEXEC"] = note
        os.execve(sys.executable, [sys.executable] + sys.argv, env)


def machine():
    import numpy

    info = {
        "python": platform.python_version(),
        "numpy": numpy.__version__,
        "cores": os.cpu_count(),
        "platform": platform.platform(),
        "blas_env": os.environ.get("TANGENT_FWD_BENCH_REEXEC", "unchanged"),
    }
    try:
        with open("/proc/cpuinfo") as fh:
            info["cpu"] = next((l.split(":", 1)[1].strip() for l in fh if l.startswith("model name")), "?")
    except OSError:
        info["cpu"] = platform.processor()
    try:
        from threadpoolctl import threadpool_info

        info["blas"] = [
            {k: p.get(k) for k in ("internal_api", "version", "num_threads", "architecture")} for p in threadpool_info()
        ]
    except ImportError:
        info["blas"] = "threadpoolctl not installed"
    return info


def timeit(fns, repeats, number=1, warmup=2, clock=time.perf_counter):
    """Interleaved timing: each repeat times every fn once (``number`` calls), so drift hits all alike.
    Returns {name: [seconds per call, ...]}. ``clock``: wall clock by default (time.process_time for
    this process's CPU time)."""
    for _ in range(warmup):
        for f in fns.values():
            f()
    out = {k: [] for k in fns}
    for _ in range(repeats):
        for k, f in fns.items():
            t0 = clock()
            for _ in range(number):
                f()
            out[k].append((clock() - t0) / number)
    return out


def summary(samples):
    s = sorted(samples)
    q1, q3 = s[len(s) // 4], s[(3 * len(s)) // 4]
    return {"median": statistics.median(s), "q1": q1, "q3": q3, "min": s[0], "max": s[-1], "n": len(s)}


def write(out_dir, name, payload, markdown):
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, name + ".json"), "w") as fh:
        json.dump(payload, fh, indent=2, default=str)
    with open(os.path.join(out_dir, name + ".md"), "w") as fh:
        fh.write(markdown)


def peak_bytes(fn, reps=3):
    """Peak traced memory during one call of fn, minus the memory traced before it (min over reps)."""
    best = None
    for _ in range(reps):
        tracemalloc.start()
        try:
            base = tracemalloc.get_traced_memory()[0]
            tracemalloc.reset_peak()
            out = fn()
            peak = tracemalloc.get_traced_memory()[1] - base
        finally:
            tracemalloc.stop()
        del out
        best = peak if best is None else min(best, peak)
    return best
