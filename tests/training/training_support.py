"""Helpers of the training-side tests: a tiny MNIST folder (fast runs), and the command line in a
subprocess (signals, exit statuses, what a log file receives). A module of its own, since
``from conftest import`` is ambiguous with two conftest.py files in the tree."""

import gzip
import os
import struct
import subprocess
import sys

import numpy as np


def write_idx_split(d, n_train=96, n_test=32, shape=(28, 28), seed=0):
    """Four gzip IDX files in ``d``: random images (learnable labels: the label is the brightest tenth of
    the image) so that a few steps of training move the loss."""
    rng = np.random.default_rng(seed)
    d.mkdir(parents=True, exist_ok=True)
    for prefix, n in (("train", n_train), ("t10k", n_test)):
        imgs = rng.integers(0, 256, (n,) + tuple(shape), dtype=np.uint8)
        labs = (imgs.reshape(n, -1)[:, :10].argmax(axis=1) % 10).astype(np.uint8)
        head = struct.pack(">I", 2051) + b"".join(struct.pack(">I", s) for s in (n,) + tuple(shape))
        (d / f"{prefix}-images-idx3-ubyte.gz").write_bytes(gzip.compress(head + imgs.tobytes(), 1))
        head = struct.pack(">II", 2049, n)
        (d / f"{prefix}-labels-idx1-ubyte.gz").write_bytes(gzip.compress(head + labs.tobytes(), 1))
    return d


def cli_env():
    env = dict(os.environ, PYTHONUNBUFFERED="1", OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1")
    env.pop("MPLBACKEND", None)
    return env


def start_cli(args, cwd, module="tangent_fwd.cli"):
    """``python -m tangent_fwd.cli *args`` with pipes (a non-TTY stderr, as in a batch job's log)."""
    return subprocess.Popen(
        [sys.executable, "-m", module, *args],
        cwd=cwd,
        env=cli_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
