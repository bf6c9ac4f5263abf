"""The distributed runner on a device backend, with 2 simulated ranks in one process (threads over an
in-memory communicator with MPI's non-blocking collectives): the ranks run on the strict stand-in
namespace with implicit host reads made errors, the only device->host copies are the documented ones
(one K+1 vector per step, host copies for the replica checks and the final checksum), the replicas stay
identical and match a 1-rank run, checkpoints are written from host copies, and a resumed run ends
bit-identical to an uninterrupted one."""

import math
import threading

import numpy as np
import pytest
import strict_np

from tangent_fwd import backends
from tangent_fwd.training.distributed import Comm, DistributedConfig, train_distributed

backends.register("strict", strict_np)


class _Request:
    def __init__(self, done):
        self._done = done

    def Test(self):
        return self._done()

    def Wait(self):
        while not self._done():
            pass


class ThreadWorld:
    """An in-process 'MPI_COMM_WORLD' of ``size`` ranks (threads): Iallreduce (sum), Iallgather, Ibarrier
    and bcast, completing when every rank has contributed to the same call."""

    def __init__(self, size, stop_after=None):
        self.size, self.stop_after = size, stop_after
        self._lock = threading.Condition()
        self._calls = {}  # (kind, sequence number) -> {rank: payload}
        self._seq = [dict() for _ in range(size)]

    def comm(self, rank):
        return _RankComm(self, rank)

    def _post(self, rank, kind, payload):
        with self._lock:
            n = self._seq[rank].get(kind, 0)
            self._seq[rank][kind] = n + 1
            slot = self._calls.setdefault((kind, n), {})
            slot[rank] = payload
            self._lock.notify_all()
            return slot

    def _complete(self, slot):
        with self._lock:
            return len(slot) == self.size

    def _wait(self, slot):
        with self._lock:
            self._lock.wait_for(lambda: len(slot) == self.size, timeout=30)
            assert len(slot) == self.size, "a simulated rank did not arrive"


class _RankComm:
    def __init__(self, world, rank):
        self.world, self.rank = world, rank

    def Get_rank(self):
        return self.rank

    def Get_size(self):
        return self.world.size

    def Iallreduce(self, send, recv, op=None):
        n = self.world._seq[self.rank].get("allreduce", 0)  # this call is step n + 1
        slot = self.world._post(self.rank, "allreduce", np.array(send, copy=True))

        def done():
            if not self.world._complete(slot):
                return False
            recv[...] = sum(slot[r] for r in range(self.world.size))
            if self.world.stop_after == n + 1:  # as if Ctrl-C reached a rank: the stop flag
                recv[-1] = 1.0
            return True

        return _Request(done)

    def Iallgather(self, send, recv):
        slot = self.world._post(self.rank, "allgather", np.array(send, copy=True))

        def done():
            if not self.world._complete(slot):
                return False
            recv[...] = np.concatenate([slot[r] for r in range(self.world.size)])
            return True

        return _Request(done)

    def Ibarrier(self):
        slot = self.world._post(self.rank, "barrier", None)
        return _Request(lambda: self.world._complete(slot))

    def bcast(self, obj, root=0):
        slot = self.world._post(self.rank, "bcast", obj)
        self.world._wait(slot)
        return slot[root]


def make_comm(world, rank):
    c = Comm(None, timeout=30.0)
    c.comm, c.rank, c.size = world.comm(rank), rank, world.size
    c.MPI = type("MPI", (), {"SUM": "sum"})
    return c


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    x = rng.random((90, 784), dtype=np.float32)
    y = (x[:, :10].argmax(axis=1) % 10).astype(np.int64)
    return x[:64], y[:64], x[64:], y[64:]


def config(tmp_path, **kw):
    base = dict(
        model="mlp",
        width=12,
        backend="strict",
        batch_size=16,
        epochs=2,
        lr=1e-3,
        decay=0.0,
        seed=2,
        check_every=3,
        out_dir=str(tmp_path / "out"),
        progress=False,
    )
    return DistributedConfig(**{**base, **kw})


def run_ranks(cfg, data, size, stop_after=None):
    world = ThreadWorld(size, stop_after)
    results, errors = [None] * size, []

    def rank_main(r):
        try:
            results[r] = train_distributed(cfg, comm=make_comm(world, r), data=data, log=None)
        except BaseException as e:  # noqa: BLE001 - reported by the test
            errors.append(e)

    threads = [threading.Thread(target=rank_main, args=(r,)) for r in range(size)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    if errors:
        raise errors[0]
    return results


@pytest.mark.parametrize(
    "kw", [dict(), dict(optimizer="adam", directions=2), dict(directions=2, vectorized=False, rank=1)]
)
def test_two_device_ranks_touch_the_host_only_at_documented_points(data, tmp_path, kw):
    cfg = config(tmp_path, **kw)
    with strict_np.guard_host_sync() as gets:
        results = run_ranks(cfg, data, 2)
    steps = cfg.epochs * math.ceil(64 / cfg.batch_size)
    n_leaves = 6  # the MLP's W1, b1, W2, b2, W3, b3
    checks = len([s for s in range(1, steps) if s % cfg.check_every == 0]) + 1  # periodic + final
    for r in results:
        assert r["status"] == "ok" and r["steps"] == steps and r["device"] == "Device(strict)"
        # one K+1 vector per step, the parameters at each replica check and for the final checksum
        assert r["host_transfers"] == steps + n_leaves * (checks + 1)
    assert gets[0] == sum(r["host_transfers"] for r in results) + 1  # + rank 0's test accuracy
    assert results[0]["param_checksum"] == results[1]["param_checksum"]
    assert results[0]["losses"] == results[1]["losses"]
    one = train_distributed(cfg, data=data, log=None)  # the same run on one rank
    np.testing.assert_allclose(one["losses"], results[0]["losses"], rtol=1e-5)


def test_a_leaky_step_fails_on_the_device_ranks(data, tmp_path, monkeypatch):
    from tangent_fwd.training import optim

    update = optim.Optimizer.update

    def leaky(self, grads):
        float(self._leaves[0].sum())  # e.g. logging a parameter statistic every step
        return update(self, grads)

    monkeypatch.setattr(optim.Optimizer, "update", leaky)
    with strict_np.guard_host_sync(), pytest.raises(strict_np.HostSyncError):
        run_ranks(config(tmp_path, epochs=1), data, 1)


def test_checkpoints_from_host_copies_and_resume_is_bit_identical(data, tmp_path):
    full = run_ranks(config(tmp_path, checkpoint_dir=str(tmp_path / "a")), data, 2)
    # the same run interrupted after 5 of 8 steps (it checkpoints there), then resumed from its checkpoint
    first = run_ranks(config(tmp_path, checkpoint_dir=str(tmp_path / "b")), data, 2, stop_after=5)
    assert first[0]["status"] == "interrupted" and first[0]["steps"] == 5
    assert (tmp_path / "b" / "checkpoint.npz").is_file()
    with np.load(tmp_path / "b" / "checkpoint.npz") as z:
        assert z["param_0"].shape == (784, 12)
    with strict_np.guard_host_sync():
        resumed = run_ranks(config(tmp_path, checkpoint_dir=str(tmp_path / "b"), resume=True), data, 2)
    assert resumed[0]["start_step"] == 5 and resumed[0]["steps"] == 8
    assert resumed[0]["param_checksum"] == full[0]["param_checksum"] == resumed[1]["param_checksum"]
    assert first[0]["losses"] + resumed[0]["losses"] == full[0]["losses"]
