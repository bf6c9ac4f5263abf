"""Keep large temporaries in the process heap (glibc only).

A training step allocates and frees the same large temporaries every step (a CNN's im2col patches and
activations are megabytes). glibc serves blocks above its mmap threshold with fresh ``mmap`` calls and
trims the top of the heap above its trim threshold, so every step page-faults those megabytes back in:
on the 2-core machine of docs/training.md the CNN's f+JVP takes 8–10 ms that way against 4.1 ms when the
blocks are reused, and the cost depends on what ran before. ``tune()`` raises both thresholds (what the
``MALLOC_MMAP_THRESHOLD_`` / ``MALLOC_TRIM_THRESHOLD_`` environment variables do), once per process.
The CLI calls it; library users can too. It is a no-op off glibc, or where those variables are set.
"""

import ctypes
import ctypes.util
import os
import sys

M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3
MMAP_THRESHOLD = 32 * 1024 * 1024  # glibc's maximum on 64-bit systems
TRIM_THRESHOLD = 1 << 31
_done = []


def tune():
    """Raise glibc's mmap and trim thresholds; returns a description of what was done."""
    if _done:
        return _done[0]
    if not sys.platform.startswith("linux"):
        what = "unchanged (not Linux)"
    elif any(k in os.environ for k in ("MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_")):
        what = "unchanged (MALLOC_*_THRESHOLD_ set in the environment)"
    else:
        try:
            libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
            ok = (
                libc.mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD) == 1
                and libc.mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD) == 1
            )
            what = (
                f"mmap threshold {MMAP_THRESHOLD >> 20} MiB, trim threshold {TRIM_THRESHOLD >> 20} MiB"
                if ok
                else "unchanged (mallopt refused)"
            )
        except (OSError, AttributeError):
            what = "unchanged (no glibc mallopt)"
    _done.append(what)
    return what
