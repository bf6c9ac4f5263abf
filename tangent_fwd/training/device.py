"""Where the training arrays live, and the only places they cross to the host.

A training run on a device backend (``--backend cupy``, or a registered stand-in such as the tests'
strict namespace) copies the dataset and the initial parameters to the device once and keeps them there
(the optimizer state and the directions are created there); minibatches are index gathers on the device. The host sees device values only at these
documented points, each one explicit (``Device.get`` / ``Device.scalars``), batched, and counted in
``Device.transfers``:

* the logged losses: the per-step losses wait in a device buffer and come back as ONE array every
  ``flush_every`` steps (and at the end of each epoch) — :class:`LossLog`;
* the test accuracy: one scalar per epoch;
* the final result (JSON), the distributed K+1 scalars per step (the allreduce is on host values),
  replica checksums and checkpoints (host copies).

Anything else that converts a device array (``float(loss)``, ``np.asarray(params)``) is a host
synchronisation inside a step; ``tests/training/test_device_resident.py`` runs the whole loop on arrays
that refuse such conversions. Host -> device copies are the dataset (once), the initial parameters
(once) and the epoch's shuffled order (one integer array per epoch, so that a device run sees the same
minibatches as a CPU run of the same seed); a distributed rank also uploads its shard's indices and the
K all-reduced coefficients each step, next to the one K+1 vector it sends.

Timings on a device are read from device events (``cupy.cuda.Event``) recorded around each step and
resolved at the flush points, never from the host clock around an asynchronous launch.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from ..errors import ArgumentError
from .pytree import map_tree


class DeviceError(ArgumentError):
    """A device backend cannot run this training job (CuPy missing, no device, not enough memory)."""


class Device:
    """An array backend for training: ``xp`` (its namespace), ``is_host`` (NumPy: no transfers at all),
    ``put``/``get`` for pytrees, ``scalars`` for one batched device->host copy, and a step clock."""

    def __init__(self, name: str, xp: Any, index: int | None = None):
        self.name, self.xp, self.index = name, xp, index
        self.is_host = xp is np
        self.transfers = 0  # device->host copies made through get()/scalars() (tests read this)

    def __repr__(self):
        where = "" if self.index is None else f":{self.index}"
        return f"Device({self.name}{where})"

    # ------------------------------------------------------------------------------------- transfers
    def put(self, tree):
        """Host pytree -> device pytree (NumPy: the same arrays)."""
        if self.is_host:
            return tree
        return map_tree(lambda a: self.xp.asarray(a) if isinstance(a, np.ndarray) else a, tree)

    def get(self, tree):
        """Device pytree -> host pytree of NumPy arrays (one copy per leaf; a documented transfer)."""
        if self.is_host:
            return tree

        def one(a):
            if isinstance(a, np.ndarray) or not hasattr(a, "dtype"):
                return a
            self.transfers += 1
            return _host_copy(a)

        return map_tree(one, tree)

    def scalars(self, a) -> np.ndarray:
        """One device array -> a host float64 array (a single transfer, however many values)."""
        if self.is_host:
            return np.asarray(a, dtype=np.float64)
        self.transfers += 1
        return np.asarray(_host_copy(a), dtype=np.float64)

    def synchronize(self) -> None:
        """Wait for the device's queued work (a host wait, no transfer); a no-op on the host."""
        cuda = getattr(self.xp, "cuda", None) if not self.is_host else None
        if cuda is not None:
            cuda.get_current_stream().synchronize()

    def copy_into(self, dst, src) -> None:
        """``dst[...] = src`` for a device ``dst`` and a host ``src`` (a host->device copy)."""
        if isinstance(dst, np.ndarray):
            np.copyto(dst, src)
        else:
            dst[...] = self.xp.asarray(src)

    def host_view(self, obj, names):
        """A stand-in for ``obj`` whose list attributes ``names`` are host copies (checkpoints are
        written from these), with ``obj.step_count``."""
        import types

        view = types.SimpleNamespace(step_count=getattr(obj, "step_count", 0))
        for name in names:
            value = getattr(obj, name, None)
            if isinstance(value, list):
                setattr(view, name, self.get(value))
        return view

    # ----------------------------------------------------------------------------------------- memory
    def free_bytes(self) -> int | None:
        """Free device memory in bytes (None where the backend cannot say, e.g. the host)."""
        if self.is_host:
            return None
        cuda = getattr(self.xp, "cuda", None)
        if cuda is None:
            return None
        free, _total = cuda.Device().mem_info
        pool = getattr(self.xp, "get_default_memory_pool", None)
        held = pool().free_bytes() if pool is not None else 0  # blocks CuPy's pool holds but does not use
        return int(free) + int(held)

    def check_fits(self, nbytes: int, what: str) -> None:
        """Raise :class:`DeviceError` when ``nbytes`` do not fit in the free device memory."""
        free = self.free_bytes()
        if free is not None and nbytes > free:
            raise DeviceError(
                f"{what} needs {_mib(nbytes)} on {self} but only {_mib(free)} is free",
                hint="use a smaller dataset (--data-dir with fewer images), free the device, or --backend numpy",
            )

    # ----------------------------------------------------------------------------------------- timing
    def clock(self) -> StepClock:
        cuda = getattr(self.xp, "cuda", None) if not self.is_host else None
        return EventClock(cuda) if cuda is not None and hasattr(cuda, "Event") else StepClock()


def _host_copy(a):
    get = getattr(a, "get", None)
    if get is None:
        raise TypeError(f"cannot copy a {type(a).__name__} to the host: it has no .get()")
    return get()


def _mib(n):
    return f"{n / 2**20:,.1f} MiB"


def tree_nbytes(tree) -> int:
    total = [0]
    map_tree(lambda a: total.__setitem__(0, total[0] + int(getattr(a, "nbytes", 0))), tree)
    return total[0]


# --------------------------------------------------------------------------------------------- choosing
def local_rank(comm=None) -> int:
    """This process's rank among the processes on its node: from the MPI launcher's environment
    (Open MPI, MPICH/Hydra, Slurm), else from a shared-memory split of ``comm``, else 0."""
    import os

    for var in ("OMPI_COMM_WORLD_LOCAL_RANK", "MPI_LOCALRANKID", "PMI_LOCAL_RANK", "SLURM_LOCALID"):
        v = os.environ.get(var)
        if v is not None and v.strip().isdigit():
            return int(v)
    if comm is not None and hasattr(comm, "Split_type"):
        try:
            from mpi4py import MPI

            node = comm.Split_type(MPI.COMM_TYPE_SHARED)
            try:
                return int(node.Get_rank())
            finally:
                node.Free()
        except Exception:  # no MPI-3 shared split: one device per process is still chosen by rank
            return 0
    return 0


def parse_devices(text: str | None) -> tuple[int, ...] | None:
    """``--devices 0,2,3`` -> (0, 2, 3); None stays None (device = local rank)."""
    if text is None or text == "":
        return None
    try:
        out = tuple(int(t) for t in str(text).split(","))
    except ValueError:
        raise ValueError(f"--devices must be comma-separated device numbers such as 0,1; got {text!r}") from None
    if any(d < 0 for d in out):
        raise ValueError(f"--devices must be non-negative device numbers, got {text!r}")
    return out


def resolve(backend: str, data=(), devices=None, rank: int = 0) -> Device:
    """The :class:`Device` for ``backend`` ('auto': the backend of ``data``'s arrays, NumPy for host
    data). For CuPy, the CUDA device is ``devices[rank % len(devices)]``, or ``rank`` modulo the number of
    devices when ``devices`` is None; it is made current. Errors say what is missing."""
    from .. import backends

    if backend == "auto":
        backend = backends.detect(list(data)) if data else "numpy"
    if backend == "numpy":
        return Device("numpy", np)
    try:
        b = backends.get(backend)
    except ArgumentError as e:
        raise DeviceError(e.reason, hint=e.hint) from None
    index = None
    cuda = getattr(b.module, "cuda", None)
    if backend == "cupy" and cuda is not None:
        count = int(cuda.runtime.getDeviceCount())
        if devices:
            index = devices[rank % len(devices)]
            if index >= count:
                raise DeviceError(
                    f"--devices names device {index} but this machine has {count} CUDA device(s) (0..{count - 1})"
                )
        else:
            index = rank % count
        cuda.Device(index).use()
    elif devices:
        raise DeviceError(f"--devices needs --backend cupy (the {backend!r} backend has no device numbers)")
    return Device(backend, b.module, index)


# ---------------------------------------------------------------------------------------------- clocks
class StepClock:
    """Per-step durations from the host clock: exact for NumPy (synchronous), and for any backend whose
    arrays are computed before the call returns."""

    def start(self):
        return time.perf_counter()

    def stop(self):
        return time.perf_counter()

    def seconds(self, pairs) -> list[float]:
        """The durations of ``[(start, stop), ...]`` in seconds (a device clock synchronises here)."""
        return [b - a for a, b in pairs]


class EventClock(StepClock):
    """Per-step durations from CUDA events on the current stream: ``start``/``stop`` only record events
    (no synchronisation); ``seconds`` waits for the last one and reads the elapsed times."""

    def __init__(self, cuda):
        self.cuda = cuda

    def start(self):
        e = self.cuda.Event()
        e.record()
        return e

    def stop(self):
        return self.start()

    def seconds(self, pairs):
        if not pairs:
            return []
        pairs[-1][1].synchronize()
        return [self.cuda.get_elapsed_time(a, b) / 1e3 for a, b in pairs]


# ------------------------------------------------------------------------------------------- loss log
class LossLog:
    """Per-step losses kept on the device and read back in batches.

    ``add(loss, start, stop)`` stores the device scalar ``loss`` (no transfer) and the step's clock marks;
    ``flush()`` copies the pending losses to the host in one transfer, resolves the step durations, and
    returns ``[(loss, seconds), ...]`` for the steps since the last flush. On the host backend every step
    is flushed at once (``flush_every`` 1), which keeps NumPy runs exactly as they were. On a device a
    non-finite loss is therefore noticed at the next flush (at most ``flush_every`` steps later): the run
    stops there, and its message and loss record end at the step where the loss first diverged."""

    def __init__(self, device: Device, flush_every: int, dtype=np.float64):
        self.device = device
        self.flush_every = 1 if device.is_host else max(1, int(flush_every))
        self.clock = device.clock()
        self._buf = None if device.is_host else device.xp.empty(self.flush_every, dtype)
        self._host = []
        self._marks = []

    def __len__(self):
        return len(self._marks)

    def add(self, loss, start, stop) -> bool:
        """Record one step; True when the buffer is full (the caller should flush)."""
        i = len(self._marks)
        if self._buf is None:
            self._host.append(float(loss))
        else:
            self._buf[i] = loss  # a device-to-device copy
        self._marks.append((start, stop))
        return len(self._marks) >= self.flush_every

    def flush(self):
        n = len(self._marks)
        if n == 0:
            return []
        values = list(self._host) if self._buf is None else list(self.device.scalars(self._buf[:n]))
        seconds = self.clock.seconds(self._marks)
        self._host.clear()
        self._marks.clear()
        return list(zip((float(v) for v in values), seconds))


FLUSH_EVERY = 50  # steps whose losses wait on the device before one batched read (LossLog)


def put_training(device: Device, data, params):
    """Copy the dataset ``(x, y, x_test, y_test)`` and the initial parameters to ``device`` once, after
    checking that they fit in its free memory (the error says how much is needed and how much is free).
    Returns ``(data, params)`` on the device (NumPy: unchanged)."""
    if device.is_host:
        return data, params
    host = [a for a in data if isinstance(a, np.ndarray)]
    needed = tree_nbytes(host) + 4 * tree_nbytes(params)  # params, directions/gradient, optimizer state
    if host:
        n_train = len(data[0])
        n_test = len(data[2]) if len(data) > 2 else 0
        device.check_fits(needed, f"the dataset ({n_train} training + {n_test} test images) and the parameters")
    return tuple(device.put(a) for a in data), device.put(params)
