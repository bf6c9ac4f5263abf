"""Data-parallel forward-gradient training over MPI with only scalars on the wire.

Every rank holds the full parameters and a shard of every global minibatch. Because the random direction
``v`` is derived from ``(seed, step, k)`` alone (a counter-based generator, independent of history), all
ranks draw the *same* ``v`` without communicating it (the shared-seed trick of Salimans et al. 2017). Each
rank computes its shard's mean loss and ``∇f_shard·v_k`` with one JVP per direction, weights them by
``shard size / global batch size``, and ONE ``Allreduce`` of ``K + 1`` float64 scalars yields the global
loss and the global directional derivatives ``∇f·v_k`` (exactly the single-process values up to float
rounding). Every rank then forms ``g = Σ_k (∇f·v_k) v_k / K`` locally and applies the same optimizer
update (SGD / momentum / Adam from :mod:`.optim`), so the replicas stay identical: the wire carries
``8 (K + 1)`` bytes per step instead of a ``4 · n_params``-byte gradient.

Launch::

    mpirun -n 2 python -m tangent_fwd.training.distributed --model logreg --steps 50

Robustness:

* replica consistency: every ``--check-every`` steps (and at the end) each rank's parameter checksum
  (float64 sum + sha256 of the bytes) is Allgathered; a mismatch stops the job naming the ranks and step;
* checkpoints: rank 0 writes ``<dir>/checkpoint.npz`` (+ ``checkpoint.json``) atomically (temp file in the
  same folder, fsync, ``os.replace``) every ``--checkpoint-every`` steps and at exit; ``--resume`` continues
  exactly where it stopped (the data order and directions are functions of (seed, step) only);
* fail fast: the allreduce is non-blocking with a deadline (``--timeout``); when it expires, the ranks that
  are still alive exchange a message to find out who did not respond, print a message naming those ranks,
  and ``MPI_Abort`` the job. MPI errors and Python exceptions on any rank also abort the whole job.

See docs/distributed.md.
"""

import argparse
import dataclasses
import hashlib
import io
import json
import math
import os
import pathlib
import sys
import time
from dataclasses import dataclass

import numpy as np

from . import device as _device
from . import models as _models
from .files import OutputError, atomic_write_bytes, check_writable_dir
from .forward_gradient import DirectionSampler, scaled_into
from .interrupt import STOP, stop_on_signals
from .optim import make_optimizer
from .options import (
    FAIL_MODES,
    _positive_int,
    add_distributed_arguments,
    add_training_args,
    check_distributed_usage,
    distributed_kwargs,
    run_notes,
    train_config_kwargs,
)
from .progress import Progress
from .pytree import leaves, map_tree
from .runner import AUTO_ANNEAL, TrainConfig, effective_batch_size

CHECKPOINT_NAME = "checkpoint"
CHECKPOINT_FORMAT = 1
_TAG_ALIVE = 7301
_DIRECTION_STREAM = 1  # SeedSequence([seed, _DIRECTION_STREAM, step, k]) -> the k-th direction of a step
_SHUFFLE_STREAM = 2  # the same data order as runner.train: default_rng([seed, 2]).permutation per epoch
# configuration fields that must match for --resume to continue the same run
_RESUME_KEYS = (
    "model",
    "optimizer",
    "lr",
    "batch_size",
    "directions",
    "distribution",
    "seed",
    "data_dir",
    "width",
    "channels",
    "hidden",
    "momentum",
    "n_train",
    "epochs",
    "max_steps",
    "rank",
)


class DistributedError(RuntimeError):
    """A distributed-training failure (replica mismatch, unresponsive rank, bad checkpoint)."""


class SetupError(DistributedError):
    """A problem found before the first step (an output folder that cannot be written, a checkpoint that
    would be overwritten, one that cannot be resumed), decided on rank 0 and raised on every rank alike, so
    the job ends cleanly instead of being aborted."""


@dataclass
class DistributedConfig(TrainConfig):
    """:class:`~tangent_fwd.training.runner.TrainConfig` plus the distributed options.

    ``batch_size`` is the GLOBAL batch (split across ranks); ``max_steps`` / ``epochs`` bound the run as in
    ``tangent-fwd train``."""

    n_train: int = None  # use only the first n_train training images (tests / quick runs)
    checkpoint_dir: str = None  # where checkpoint.npz / .json go (None: no checkpoints)
    checkpoint_every: int = 0  # steps between checkpoints (0: only at exit)
    check_every: int = 50  # steps between replica-consistency checks (0: only at the end)
    resume: bool = False  # continue from checkpoint_dir
    overwrite: bool = False  # replace a checkpoint found in checkpoint_dir (without it: refuse to start)
    timeout: float = 120.0  # seconds a rank waits in the allreduce before declaring peers unresponsive
    save_params: str = None  # write the final parameters here (npz; "{rank}" is replaced by the rank)
    evaluate: bool = True  # test accuracy at the end (rank 0)
    threads_per_rank: int = None  # BLAS/OpenMP threads per rank (None: cores / ranks on the node)
    progress: bool = True  # rank 0 shows progress (a bar on a terminal, plain lines otherwise)
    fail_at_step: int = None  # TEST ONLY: rank fail_rank fails at the start of this step
    fail_rank: int = 1
    fail_mode: str = "exit"  # "exit": os._exit(3) (a crashed rank); "hang": sleep forever; "corrupt"

    def validate(self):
        super().validate()
        if self.method != "forward":
            raise ValueError(
                "distributed training exchanges directional derivatives, so it needs "
                "method='forward' (backprop would need a gradient allreduce)"
            )
        if self.n_train is not None and self.n_train < 1:
            raise ValueError(f"n_train must be a positive integer, got {self.n_train!r}")
        for name in ("checkpoint_every", "check_every"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int) or v < 0:
                raise ValueError(f"{name} must be a non-negative integer, got {v!r}")
        if not (self.timeout > 0 and math.isfinite(self.timeout)):
            raise ValueError(f"timeout must be a positive number of seconds, got {self.timeout!r}")
        if self.resume and not self.checkpoint_dir:
            raise ValueError("resume needs checkpoint_dir (--checkpoint-dir)")
        if self.resume and self.overwrite:
            raise ValueError("resume and overwrite exclude each other")
        if self.threads_per_rank is not None and not (
            isinstance(self.threads_per_rank, int) and self.threads_per_rank >= 1
        ):
            raise ValueError(f"threads_per_rank must be a positive integer or None, got {self.threads_per_rank!r}")
        if self.fail_mode not in FAIL_MODES:
            raise ValueError(f"fail_mode must be one of {', '.join(FAIL_MODES)}, got {self.fail_mode!r}")
        return self


# ------------------------------------------------------------------------------------ deterministic streams
def direction_rng(seed, step, k):
    """The generator for direction ``k`` of step ``step``: a Philox stream keyed by a hash of
    ``(seed, step, k)``, identical on every rank and independent of what was drawn before (so a resumed
    run draws the same directions). Note ``Philox(key=seed, counter=step)`` would NOT do: Philox advances
    its counter as it draws, so the streams of steps s and s+1 would overlap."""
    return np.random.Generator(np.random.Philox(np.random.SeedSequence([seed, _DIRECTION_STREAM, step, k])))


class BatchSchedule:
    """Global minibatches, the same for every rank and for a single-process run of ``runner.train`` with
    the same seed: epoch e uses the (e+1)-th ``default_rng([seed, 2]).permutation(n)``; step s is batch
    ``s mod steps_per_epoch`` of epoch ``s // steps_per_epoch`` (the last batch of an epoch may be short).
    Random access by step, so a resumed run needs only the step number."""

    def __init__(self, n, batch_size, seed):
        self.n, self.batch_size, self.seed = n, batch_size, seed
        self.per_epoch = math.ceil(n / batch_size)
        self._rng = np.random.default_rng([seed, _SHUFFLE_STREAM])
        self._epoch = -1
        self._order = None

    def _order_for(self, epoch):
        if epoch < self._epoch:  # rewind (only on a fresh schedule positioned earlier)
            self._rng = np.random.default_rng([self.seed, _SHUFFLE_STREAM])
            self._epoch = -1
        while self._epoch < epoch:
            self._order = self._rng.permutation(self.n)
            self._epoch += 1
        return self._order

    def batch(self, step):
        """``(epoch, indices)`` of the global batch for ``step`` (0-based)."""
        epoch, i = divmod(step, self.per_epoch)
        order = self._order_for(epoch)
        return epoch, order[i * self.batch_size : (i + 1) * self.batch_size]


def shard(indices, rank, size):
    """This rank's contiguous part of a global batch (sizes differ by at most one; may be empty)."""
    return np.array_split(indices, size)[rank]


# -------------------------------------------------------------------------------------------- checksums
def checksum(arrays):
    """``(float64 sum, sha256 hex)`` over a list of arrays (bytes in C order)."""
    h = hashlib.sha256()
    total = 0.0
    for a in arrays:
        a = np.ascontiguousarray(a)
        h.update(str((a.dtype.str, a.shape)).encode())
        h.update(a.tobytes())
        total += float(np.sum(a, dtype=np.float64))
    return total, h.hexdigest()


# ------------------------------------------------------------------------------------------ checkpoints
_OPT_STATE = ("buf", "m", "s")  # Momentum.buf; Adam.m, Adam.s (lists of arrays, one per parameter leaf)


def optimizer_state(opt):
    """``{name: [arrays]}`` of the optimizer's per-leaf state, plus its step count."""
    state = {name: getattr(opt, name) for name in _OPT_STATE if isinstance(getattr(opt, name, None), list)}
    return state, int(opt.step_count)


def save_checkpoint(directory, params, opt, step, meta):
    """Write ``checkpoint.npz`` (parameters, optimizer state, and the metadata as JSON inside it: the npz
    alone is enough to resume) and then ``checkpoint.json`` (the same metadata plus the npz's sha256, for
    people and tools). Returns the npz path."""
    directory = pathlib.Path(directory)
    state, step_count = optimizer_state(opt)
    arrays = {}
    for i, p in enumerate(leaves(params)):
        arrays[f"param_{i}"] = p
    for name, bufs in state.items():
        for i, b in enumerate(bufs):
            arrays[f"opt_{name}_{i}"] = b
    info = dict(
        meta,
        format=CHECKPOINT_FORMAT,
        step=int(step),
        optimizer_step_count=step_count,
        param_keys=_leaf_names(params),
        optimizer_state=sorted(state),
        param_checksum=checksum(leaves(params)),
    )
    arrays["meta_json"] = np.frombuffer(json.dumps(info).encode(), np.uint8)
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    data = buf.getvalue()
    npz = atomic_write_bytes(directory / f"{CHECKPOINT_NAME}.npz", data)
    info_json = dict(info, npz_sha256=hashlib.sha256(data).hexdigest(), npz_bytes=len(data))
    atomic_write_bytes(directory / f"{CHECKPOINT_NAME}.json", (json.dumps(info_json, indent=1) + "\n").encode())
    return npz


def load_checkpoint(directory):
    """``(meta, params_leaves, opt_state)`` from ``<directory>/checkpoint.npz``; checks its parameter
    checksum. Raises :class:`DistributedError` naming the file when it is missing or corrupt."""
    path = pathlib.Path(directory) / f"{CHECKPOINT_NAME}.npz"
    if not path.is_file():
        raise DistributedError(f"{path}: no checkpoint to resume from")
    try:
        with np.load(path, allow_pickle=False) as z:
            meta = json.loads(bytes(z["meta_json"]).decode())
            n = len(meta["param_keys"])
            params = [z[f"param_{i}"] for i in range(n)]
            state = {name: [z[f"opt_{name}_{i}"] for i in range(n)] for name in meta["optimizer_state"]}
    except DistributedError:
        raise
    except Exception as e:  # zipfile.BadZipFile, KeyError, ValueError, JSON errors
        raise DistributedError(f"{path}: unreadable checkpoint ({type(e).__name__}: {e})") from None
    if meta.get("format") != CHECKPOINT_FORMAT:
        raise DistributedError(f"{path}: checkpoint format {meta.get('format')!r}, expected {CHECKPOINT_FORMAT}")
    got = checksum(params)
    if list(got) != list(meta["param_checksum"]):
        raise DistributedError(f"{path}: parameter checksum mismatch (corrupt checkpoint)")
    return meta, params, state


def _leaf_names(params):
    if isinstance(params, dict):
        return list(params)
    return [str(i) for i in range(len(leaves(params)))]


# ------------------------------------------------------------------------------------------ communication
class Comm:
    """The few collectives the trainer needs, over an mpi4py communicator (or a single-process stand-in
    when ``mpi_comm`` is None), with a deadline on the per-step allreduce."""

    SPIN_SECONDS = 0.05
    MAX_NAP = 0.001
    ABORT_GRACE = 0.5

    def __init__(self, mpi_comm=None, timeout=120.0, log=None):
        self.comm = mpi_comm
        self.timeout = float(timeout)
        self.rank = mpi_comm.Get_rank() if mpi_comm is not None else 0
        self.size = mpi_comm.Get_size() if mpi_comm is not None else 1
        self.log = log or (lambda msg: print(msg, file=sys.stderr, flush=True))
        self.context = ""  # appended to failure messages (e.g. the last checkpoint)
        if mpi_comm is not None:
            from mpi4py import MPI

            self.MPI = MPI
            mpi_comm.Set_errhandler(MPI.ERRORS_RETURN)  # MPI errors raise, so we can report and abort

    def allreduce_sum(self, send, recv, step):
        """Sum ``send`` (float64) over ranks into ``recv``; abort the job naming the unresponsive ranks if
        it does not complete within ``timeout`` seconds."""
        if self.comm is None:
            recv[...] = send
            return recv
        req = self.comm.Iallreduce(send, recv, op=self.MPI.SUM)
        self._wait(req, step, "allreduce of the directional derivatives")
        return recv

    def _wait(self, req, step, what):
        # Busy-poll for the first SPIN_SECONDS, as blocking MPI calls do, then back off to sleeps growing to
        # MAX_NAP, so a rank waiting long for a slow peer does not hold a core. MAX_NAP must stay far below
        # SPIN_SECONDS: the collective only progresses while both ranks call Test(), so a napping rank
        # delays its peer by up to MAX_NAP; were that near SPIN_SECONDS the peer would start napping too
        # and the two would keep delaying each other (measured: 2 ms/step instead of 0.2 for logreg).
        now = time.monotonic()
        deadline = now + self.timeout
        spin_until = now + self.SPIN_SECONDS
        nap = 5e-5
        while not req.Test():
            now = time.monotonic()
            if now > spin_until:
                if now > deadline:
                    self.fail_unresponsive(step, what)
                time.sleep(nap)
                nap = min(self.MAX_NAP, nap * 1.5)

    def fail_unresponsive(self, step, what):
        """Find which ranks are alive (each survivor sends a message to every other rank and waits a grace
        period for theirs), report the silent ones and abort the job."""
        MPI = self.MPI
        grace = min(10.0, max(1.0, 0.25 * self.timeout))
        token = np.array([self.rank, step], np.int64)
        sends = [self.comm.Isend(token, dest=r, tag=_TAG_ALIVE) for r in range(self.size) if r != self.rank]
        bufs = {r: np.empty(2, np.int64) for r in range(self.size) if r != self.rank}
        recvs = {r: self.comm.Irecv(bufs[r], source=r, tag=_TAG_ALIVE) for r in bufs}
        end = time.monotonic() + grace
        pending = set(recvs)
        while pending and time.monotonic() < end:
            for r in list(pending):
                try:
                    if recvs[r].Test():
                        pending.discard(r)
                except MPI.Exception:
                    pass
            time.sleep(0.005)
        del sends
        silent = sorted(pending)
        who = (
            (
                f"rank{'s' if len(silent) > 1 else ''} {', '.join(map(str, silent))} did not respond "
                f"(crashed, killed or hung)"
            )
            if silent
            else "all ranks answered afterwards (too slow?)"
        )
        self.abort(f"step {step}: the {what} did not complete within {self.timeout:g} s; {who}; aborting the job")

    def abort(self, message, code=1):
        extra = f" {self.context}" if self.context else ""
        self.log(f"tangent-fwd distributed: rank {self.rank}/{self.size}: {message}.{extra}")
        if self.comm is None:
            raise DistributedError(message)
        try:
            sys.stdout.flush()
            sys.stderr.flush()
            # let the launcher forward this message before MPI_Abort tears the job (and its pipes) down:
            # without the pause MPICH's Hydra sometimes drops it
            time.sleep(self.ABORT_GRACE)
        finally:
            self.comm.Abort(code)
        os._exit(code)  # not reached

    def allgather(self, obj, step, what):
        if self.comm is None:
            return [obj]
        req = self.comm.Iallgather(np.frombuffer(obj, np.uint8), self._gather_buf(len(obj)))
        self._wait(req, step, what)
        buf = self._gbuf
        n = len(obj)
        return [bytes(buf[i * n : (i + 1) * n]) for i in range(self.size)]

    def _gather_buf(self, n):
        self._gbuf = np.empty(n * self.size, np.uint8)
        return self._gbuf

    def barrier(self, step, what):
        if self.comm is not None:
            self._wait(self.comm.Ibarrier(), step, what)


# ------------------------------------------------------------------------------------------------- trainer
def _jvp_for(backend, vectorized=False):
    from tangent_fwd.api import jvp

    def jvp_fn(func, primals, tangents):
        return jvp(func, primals, tangents, backend=backend, vectorized=vectorized)

    return jvp_fn


def total_steps(cfg, n_train):
    total = math.ceil(n_train / cfg.batch_size) * cfg.epochs
    return min(total, cfg.max_steps) if cfg.max_steps else total


def bytes_per_step(n_params, directions, param_bytes=4):
    """``(scalars, gradient)``: payload bytes per step of this scheme (K + 1 float64 values and the stop
    flag, see :func:`train_distributed`) and of a conventional data-parallel gradient allreduce (one
    ``param_bytes`` number per parameter)."""
    return 8 * (directions + 2), param_bytes * n_params


def _existing_checkpoint(directory):
    """``"model M, step S of T"`` for the checkpoint in ``directory``, or None when there is none."""
    d = pathlib.Path(directory)
    if not (d / f"{CHECKPOINT_NAME}.npz").exists():
        return None
    try:
        info = json.loads((d / f"{CHECKPOINT_NAME}.json").read_text())
        return f"model {info['config']['model']}, step {info['step']} of {info['total_steps']}"
    except (OSError, ValueError, KeyError, TypeError):
        return "unreadable checkpoint.json"


def preflight(cfg):
    """Checks made before any data is loaded: the output folders can be written to, and a checkpoint is
    not overwritten by accident (unless ``resume`` or ``overwrite``). Raises :class:`SetupError`."""
    try:
        check_writable_dir(cfg.out_dir, "--out-dir")
        if cfg.checkpoint_dir:
            found = _existing_checkpoint(cfg.checkpoint_dir)
            if found and not (cfg.resume or cfg.overwrite):
                raise SetupError(
                    f"--checkpoint-dir {cfg.checkpoint_dir} already holds a checkpoint ({found}); pass --resume "
                    f"to continue it or --overwrite to replace it"
                )
            check_writable_dir(cfg.checkpoint_dir, "--checkpoint-dir")
    except OutputError as e:
        raise SetupError(str(e)) from None


def _meta(cfg, decay, total):
    c = {k: getattr(cfg, k) for k in _RESUME_KEYS}
    return {"config": c, "decay": decay, "total_steps": total}


def _check_resume(meta, cfg, decay, total, path):
    want = _meta(cfg, decay, total)
    diffs = [
        f"{k}: checkpoint {meta['config'].get(k)!r}, now {v!r}"
        for k, v in want["config"].items()
        if meta["config"].get(k) != v
    ]
    if not math.isclose(meta["decay"], decay, rel_tol=1e-12, abs_tol=0):
        diffs.append(f"decay: checkpoint {meta['decay']!r}, now {decay!r}")
    if diffs:
        raise DistributedError(f"{path}: cannot resume: the run's settings differ ({'; '.join(diffs)})")


def train_distributed(config, comm=None, data=None, log=print):
    """Train with ``config`` (a :class:`DistributedConfig`) on ``comm`` (a :class:`Comm`; None: a
    single-process run of the same code path). Returns a result dict on every rank; ``params`` holds the
    final parameters."""
    cfg = config.validate()
    comm = comm or Comm(None, cfg.timeout)
    rank, size = comm.rank, comm.size
    _agree(comm, lambda: preflight(cfg))
    x, y, xt, yt = data if data is not None else _load(cfg.data_dir)
    if cfg.n_train is not None:
        x, y = x[: cfg.n_train], y[: cfg.n_train]
    n = len(x)
    batch_size, warning = effective_batch_size(cfg.batch_size, n)
    if warning and rank == 0 and log is not None:
        print(f"tangent-fwd: warning: {warning}", file=sys.stderr, flush=True)
    model = _models.get_model(cfg.model)
    # one device per rank (--devices, else the local rank); the data and parameters go there once
    local = _device.local_rank(comm.comm) if cfg.backend == "cupy" else 0
    device = _device.resolve(cfg.backend, data=(x,), devices=cfg.devices, rank=local)
    xp = device.xp
    (x, y, xt, yt), params = _device.put_training(device, (x, y, xt, yt), model.init(cfg.seed, **cfg.size_kwargs()))
    total = total_steps(cfg, n)
    decay = cfg.decay if cfg.decay is not None else math.log(AUTO_ANNEAL) / total
    kw = dict(decay=decay)
    if cfg.optimizer == "momentum":
        kw["momentum"] = cfg.momentum
    opt = make_optimizer(cfg.optimizer, model.loss, params, cfg.lr, **kw)
    plist = leaves(params)
    n_params = int(sum(p.size for p in plist))
    K = cfg.directions
    start = 0
    ckpt_path = pathlib.Path(cfg.checkpoint_dir) / f"{CHECKPOINT_NAME}.npz" if cfg.checkpoint_dir else None

    if cfg.resume:
        if rank == 0:
            try:
                loaded = load_checkpoint(cfg.checkpoint_dir)
                _check_resume(loaded[0], cfg, decay, total, ckpt_path)
                payload = ("ok", loaded)
            except DistributedError as e:
                payload = ("error", str(e))
        else:
            payload = None
        if comm.comm is not None:
            payload = comm.comm.bcast(payload, root=0)
        if payload[0] == "error":
            raise SetupError(payload[1])
        meta, saved, state = payload[1]
        for p, s in zip(plist, saved):
            device.copy_into(p, s)
        for name, bufs in state.items():
            for b, s in zip(getattr(opt, name), bufs):
                device.copy_into(b, s)
        opt.step_count = int(meta["optimizer_step_count"])
        start = int(meta["step"])
        comm.context = f"Last checkpoint: {ckpt_path} (step {start})."
        if rank == 0 and log:
            log(f"resumed from {ckpt_path} at step {start} of {total}")

    schedule = BatchSchedule(n, cfg.batch_size, cfg.seed)
    sampler = DirectionSampler(params, cfg.distribution, np.random.default_rng(0), rank=cfg.rank)
    vflat = leaves(sampler.buffers)
    gbuf = [xp.empty_like(p) for p in plist]
    it = iter(gbuf)
    grads = map_tree(lambda _: next(it), params)  # the params' structure over the gbuf arrays
    # vector mode (as in ForwardGradient: the default when K > 1 with dense directions): the K directions of
    # a step, each drawn from its own (seed, step, k) stream as in K separate passes, stacked on a leading
    # axis and pushed through ONE vector-mode JVP; the wire still carries the same K + 1 values
    vectorized = cfg.vectorized if cfg.vectorized is not None else (K > 1 and not cfg.rank)
    vbat = [xp.empty((K,) + b.shape, b.dtype) for b in vflat] if vectorized else None
    if vectorized:
        it = iter(vbat)
        vtree = map_tree(lambda _: next(it), params)
    jvp_fn = _jvp_for(cfg.backend, vectorized)
    # [loss, K directional derivatives, stop flag]: the flag is how a Ctrl-C/SIGTERM that reached some
    # ranks (at slightly different steps) becomes one decision, made after the same step on every rank
    send = np.zeros(K + 2, np.float64)
    recv = np.zeros(K + 2, np.float64)
    # this rank's loss and K directional derivatives gather here and reach the host as ONE copy per step
    dbuf = xp.zeros(K + 1, np.float64)
    meta = _meta(cfg, decay, total)
    losses, step_times, checks = [], [], 0
    compute_time = comm_time = 0.0

    def sample(step, k):
        sampler.rng = direction_rng(cfg.seed, step, k)
        return sampler.sample()

    def checkpoint(step):
        if ckpt_path is None:
            return
        comm.barrier(step, "barrier before the checkpoint")  # everyone is at the same step
        if rank == 0:  # written from host copies of the parameters and the optimizer state
            save_checkpoint(cfg.checkpoint_dir, device.get(params), device.host_view(opt, _OPT_STATE), step, meta)
        comm.context = f"Last checkpoint: {ckpt_path} (step {step})."

    def consistency(step):
        nonlocal checks
        total_sum, digest = checksum(device.get(plist))  # host copies (every check_every steps)
        mine = np.array([total_sum]).tobytes() + bytes.fromhex(digest)
        everyone = comm.allgather(mine, step, "replica-consistency allgather")
        checks += 1
        if len(set(everyone)) != 1:
            groups = {}
            for r, b in enumerate(everyone):
                groups.setdefault(b, []).append(r)
            desc = "; ".join(
                f"rank{'s' if len(rs) > 1 else ''} {', '.join(map(str, rs))}: sum "
                f"{float(np.frombuffer(b[:8], np.float64)[0])!r} sha256 {b[8:].hex()[:16]}..."
                for b, rs in groups.items()
            )
            comm.abort(f"replica mismatch after step {step}: the ranks' parameters differ ({desc})")

    bar = Progress(total - start, f"{cfg.model}/distributed x{size}", cfg.progress and rank == 0, log=log)
    t_run = time.perf_counter()
    done = start  # steps completed
    status, message = "ok", ""
    for step in range(start, total):
        if cfg.fail_at_step is not None and step + 1 == cfg.fail_at_step and rank == cfg.fail_rank:
            _simulated_failure(cfg, rank, step + 1, plist)
        t0 = time.perf_counter()
        _, idx = schedule.batch(step)
        mine = shard(idx, rank, size)
        weight = len(mine) / len(idx)
        if vectorized:
            for k in range(K):
                sample(step, k)
                for vb, b in zip(vbat, vflat):
                    vb[k] = b
        if len(mine):
            rows = mine if device.is_host else xp.asarray(mine)  # this shard's indices, to the device
            xb, yb = x[rows], y[rows]
            with np.errstate(over="ignore", invalid="ignore"):
                if vectorized:
                    value, d = jvp_fn(model.loss, (params, xb, yb), (vtree, None, None))
                    dbuf[1 : K + 1] = d
                else:
                    for k in range(K):
                        value, d = jvp_fn(model.loss, (params, xb, yb), (sample(step, k), None, None))
                        dbuf[1 + k] = d
            dbuf[0] = value
            send[: K + 1] = weight * device.scalars(dbuf)  # the step's one device->host copy
        else:  # more ranks than examples in this batch: contribute nothing
            send[:] = 0.0
        send[K + 1] = 1.0 if STOP.requested else 0.0
        t1 = time.perf_counter()
        comm.allreduce_sum(send, recv, step + 1)
        t2 = time.perf_counter()
        loss = float(recv[0])
        if not np.all(np.isfinite(recv[: K + 1])):
            status = "diverged"
            message = (
                f"loss became {loss} at step {step + 1} ({cfg.optimizer}, lr={cfg.lr:g}); "
                f"try a smaller --lr, e.g. {cfg.lr / 10:g}"
            )
            break
        # g = Σ_k (∇f·v_k) v_k / K with the global ∇f·v_k, identical on every rank. Vector mode still has
        # all K directions stacked; otherwise the last direction is still in the sampler's buffers and the
        # others are regenerated from (seed, step, k).
        if vectorized:
            for g, vb in zip(gbuf, vbat):
                xp.dot(xp.asarray((recv[1 : K + 1] / K).astype(vb.dtype)), vb.reshape(K, -1), out=g.reshape(-1))
        else:
            order = [K - 1] + list(range(K - 1)) if len(mine) else list(range(K))
            for j, k in enumerate(order):
                if j > 0 or not len(mine):
                    sample(step, k)
                s = recv[1 + k] / K
                for g, b in zip(gbuf, vflat):  # b: an array, or a LowRank (low-rank directions)
                    scaled_into(g, b, g.dtype.type(s), j == 0)
        with np.errstate(over="ignore", invalid="ignore"):
            opt.update(grads)
        device.synchronize()  # the step's time includes its update (on a device, queued work)
        t3 = time.perf_counter()
        compute_time += (t1 - t0) + (t3 - t2)
        comm_time += t2 - t1
        step_times.append(t3 - t0)
        losses.append(loss)
        done = step + 1
        bar.update(1, loss=loss, ex_s=(done - start) * batch_size / (time.perf_counter() - t_run))
        if recv[K + 1] > 0:  # a rank was asked to stop: every rank stops after this same step
            status, message = "interrupted", STOP.message(done) or f"interrupted on another rank after step {done}"
            break
        if cfg.check_every and done % cfg.check_every == 0 and done != total:
            consistency(done)
        if cfg.checkpoint_every and done % cfg.checkpoint_every == 0 and done != total:
            checkpoint(done)
    bar.close()
    consistency(done)
    if status in ("ok", "interrupted"):
        checkpoint(done)
    run_time = time.perf_counter() - t_run
    result = {
        "config": _config_dict(cfg),
        "ranks": size,
        "rank": rank,
        "decay": decay,
        "n_params": n_params,
        "start_step": start,
        "steps": done,
        "total_steps": total,
        "losses": losses,
        "status": status,
        "message": message,
        "run_time": run_time,
        "step_time": float(np.mean(step_times[1:])) if len(step_times) > 1 else None,
        "compute_time": compute_time,
        "comm_time": comm_time,
        "consistency_checks": checks,
        "batch_size": batch_size,
        "vectorized": vectorized,
        "bytes_per_step": bytes_per_step(n_params, K)[0],
        "gradient_allreduce_bytes_per_step": bytes_per_step(n_params, K, plist[0].dtype.itemsize)[1],
        "param_checksum": list(checksum(device.get(plist))),
        "device": str(device),
        "host_transfers": device.transfers,
        "params": params,
    }
    if cfg.save_params:
        if "{rank}" in cfg.save_params or rank == 0:
            out = pathlib.Path(cfg.save_params.replace("{rank}", str(rank)))
            buf = io.BytesIO()
            np.savez(buf, **{k: v for k, v in zip(_leaf_names(params), device.get(plist))})
            atomic_write_bytes(out, buf.getvalue())
    if warning:
        result["warnings"] = [warning]
    if cfg.evaluate and rank == 0 and status in ("ok", "interrupted"):
        result["final_test_accuracy"] = _models.accuracy(model, params, xt, yt)
    return result


def _simulated_failure(cfg, rank, step, plist):
    """TEST ONLY (--fail-at-step/--fail-rank): at the start of ``step`` this rank dies hard ("exit"),
    hangs ("hang"), or silently perturbs one parameter ("corrupt", for the replica-consistency check)."""
    print(f"rank {rank}: simulated failure ({cfg.fail_mode}) at step {step}", file=sys.stderr, flush=True)
    sys.stdout.flush()
    if cfg.fail_mode == "corrupt":
        plist[0].flat[0] += plist[0].dtype.type(1e-3)
        return
    if cfg.fail_mode == "exit":
        os._exit(3)
    while True:
        time.sleep(3600)


def _config_dict(cfg):
    d = dataclasses.asdict(cfg)
    d.pop("model_kwargs", None)
    return d


def _load(data_dir):
    from tangent_fwd.data import load_mnist

    return load_mnist(data_dir)


# --------------------------------------------------------------------------------------------- entry point
def _mpi_comm():
    """mpi4py's COMM_WORLD, or None when mpi4py is missing and we are not under an MPI launcher."""
    try:
        from mpi4py import MPI
    except ImportError:
        launched = any(k in os.environ for k in ("OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMI_RANK", "PMIX_RANK"))
        if launched:
            raise DistributedError(
                "launched under MPI but mpi4py is not installed: pip install mpi4py mpich (see docs/distributed.md)"
            ) from None
        return None
    return MPI.COMM_WORLD


def run_distributed(config, log=print, notes=None):
    """Entry point for one rank: train over MPI's COMM_WORLD (a single process when not launched with
    mpirun), write ``<out_dir>/distributed_<model>_<optimizer>.json`` on rank 0, return the result.

    Any exception on any rank prints a message naming the rank and aborts the whole job (otherwise the
    other ranks would wait in the next collective until their deadline)."""
    cfg = config.validate()
    mpi = _mpi_comm()
    comm = Comm(mpi, cfg.timeout)
    rank_log = log if comm.rank == 0 else None
    multi = mpi is not None and mpi.Get_size() > 1
    with _rank_prefixed_stderr(comm.rank, multi), stop_on_signals():
        try:
            threads, limiter = _limit_threads(cfg, mpi)
            with limiter:
                result = train_distributed(cfg, comm, log=rank_log)
        except SetupError:
            raise  # decided on rank 0 and raised on every rank: nobody is left waiting
        except (KeyboardInterrupt, Exception) as e:
            if not multi:
                raise
            comm.abort(f"{type(e).__name__}: {e}")
            raise  # not reached
    result.update(threads)
    if comm.rank == 0:
        payload = {k: v for k, v in result.items() if k != "params"}
        payload.update(notes or {})
        path = pathlib.Path(cfg.out_dir) / f"distributed_{cfg.model}_{cfg.optimizer}.json"
        atomic_write_bytes(path, (json.dumps(payload, indent=1) + "\n").encode())
        result["json_path"] = str(path)
    return result


def _agree(comm, check):
    """Run ``check`` on rank 0 and raise its :class:`SetupError` on every rank (a collective)."""
    problem = None
    if comm.rank == 0:
        try:
            check()
        except SetupError as e:
            problem = str(e)
    if comm.comm is not None:
        problem = comm.comm.bcast(problem, root=0)
    if problem is not None:
        raise SetupError(problem)


def _limit_threads(cfg, mpi):
    """``(record, context manager)``: limit this rank's BLAS/OpenMP thread pools to ``threads_per_rank``
    or, by default, to the cores this process may run on divided by the ranks on its node. Without it
    every rank's BLAS starts one thread per core: two MLP ranks on 16 cores ran 10x slower per step
    (docs/distributed.md)."""
    import contextlib

    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    local = 1
    if mpi is not None:
        from mpi4py import MPI

        node = mpi.Split_type(MPI.COMM_TYPE_SHARED)
        local = node.Get_size()
        node.Free()
    n = cfg.threads_per_rank or max(1, cores // local)
    record = {"threads_per_rank": n, "cores": cores, "ranks_on_node": local}
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        if cfg.threads_per_rank is not None:
            raise SetupError("--threads-per-rank needs threadpoolctl: pip install threadpoolctl") from None
        if local > 1:
            record["threads_per_rank"] = None
            record["warnings"] = [
                "threadpoolctl is not installed, so the ranks' BLAS threads were not limited "
                "(pip install threadpoolctl, or set OMP_NUM_THREADS)"
            ]
            print(f"tangent-fwd: warning: {record['warnings'][0]}", file=sys.stderr, flush=True)
        return record, contextlib.nullcontext()
    return record, threadpool_limits(limits=n)


class _RankPrefixed(io.TextIOBase):
    """A text stream that writes each complete line as ONE ``write`` of ``prefix + line`` and flushes it,
    so that lines from several ranks sharing the launcher's stderr never interleave within a line."""

    def __init__(self, stream, prefix):
        self.stream, self.prefix, self._buf = stream, prefix, ""

    def write(self, text):
        self._buf += text
        *lines, self._buf = self._buf.split("\n")
        if lines:
            self.stream.write("".join(f"{self.prefix}{line}\n" for line in lines))
            self.stream.flush()
        return len(text)

    def flush(self):
        if self._buf:
            self.stream.write(f"{self.prefix}{self._buf}")
            self._buf = ""
        self.stream.flush()

    def isatty(self):
        return False  # plain progress lines, not carriage-return redraws, from every rank


def _rank_prefixed_stderr(rank, active):
    import contextlib

    @contextlib.contextmanager
    def swap():
        if not active:
            yield
            return
        old, STOP.prefix = sys.stderr, f"[rank {rank}] "
        sys.stderr = _RankPrefixed(old, STOP.prefix)
        try:
            yield
        finally:
            sys.stderr.flush()
            sys.stderr, STOP.prefix = old, ""

    return swap()


def config_from_args(args, method="forward"):
    """A :class:`DistributedConfig` from parsed options (``tangent-fwd train --distributed`` and this
    module's main build it the same way, from :mod:`.options`)."""
    return DistributedConfig(
        **train_config_kwargs(args, method), **distributed_kwargs(args), progress=not args.no_progress
    )


def build_parser():
    p = argparse.ArgumentParser(
        prog="mpirun -n N python -m tangent_fwd.training.distributed",
        description="Data-parallel forward-gradient training over MPI: every rank draws the same random "
        "directions from a shared seed, so only K+1 scalars (and a stop flag) per step are exchanged.",
    )
    add_training_args(p, with_method=False)
    p.add_argument(
        "--steps",
        type=_positive_int("--steps"),
        default=None,
        dest="max_steps",
        metavar="N",
        help="same as --max-steps",
    )
    add_distributed_arguments(p)
    return p


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    problem = check_distributed_usage(args)
    if problem:
        parser.error(problem)
    try:
        cfg = config_from_args(args).validate()
    except ValueError as e:
        parser.error(str(e))
    try:
        result = run_distributed(cfg, notes=run_notes(args))
    except SetupError as e:
        print(f"tangent-fwd distributed: error: {e}", file=sys.stderr, flush=True)
        return 2
    except (DistributedError, ValueError) as e:
        print(f"tangent-fwd distributed: error: {e}", file=sys.stderr, flush=True)
        return 1
    return report(result, cfg)


def report(result, cfg, out=None, err=None):
    """Print rank 0's one-line summary (and the reason when the run stopped early); return the exit
    status: 0 ok, 1 diverged, 128 + the signal's number when interrupted (130 for Ctrl-C, also when the
    signal reached another rank only). For ``tangent-fwd train --distributed``."""
    out, err = out or sys.stdout, err or sys.stderr
    if result["rank"] == 0:
        st = f"{1000 * result['step_time']:.3f} ms/step" if result["step_time"] else "n/a"
        acc = result.get("final_test_accuracy")
        acc_s = f", test accuracy {100 * acc:.2f}%" if acc is not None else ""
        last = f"{result['losses'][-1]:.4f}" if result["losses"] else "n/a"
        print(
            f"{cfg.model} forward {cfg.optimizer} on {result['ranks']} rank(s): {result['steps']} steps, "
            f"final loss {last}{acc_s}, {st}; {result['bytes_per_step']} bytes/step on the wire "
            f"(a gradient allreduce: {result['gradient_allreduce_bytes_per_step']}); wrote "
            f"{result['json_path']}",
            file=out,
            flush=True,
        )
        if result["status"] != "ok":
            print(f"tangent-fwd distributed: stopped: {result['message']}", file=err, flush=True)
    if result["status"] == "interrupted":
        return STOP.exit_status or 130
    return 0 if result["status"] == "ok" else 1


if __name__ == "__main__":
    sys.exit(main())
