"""Data-parallel forward-gradient training over MPI (tangent_fwd.training.distributed).

The first group runs without MPI (the single-process code path, checkpoints, data order, directions).
The MPI group launches ``mpiexec -n 2 python -m tangent_fwd.training.distributed`` on logistic regression
over a few hundred bundled images and is skipped, with the reason, when mpi4py or an MPI launcher is
missing (``pip install mpi4py mpich``; see docs/distributed.md)."""

import importlib.util
import json
import os
import pathlib
import re
import shutil
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from tangent_fwd.training import distributed as D
from tangent_fwd.training.pytree import leaves

TINY = [
    "--model",
    "logreg",
    "--steps",
    "20",
    "--n-train",
    "384",
    "--batch-size",
    "48",
    "--lr",
    "0.05",
    "--no-eval",
    "--no-progress",
    "--check-every",
    "5",
]


# ------------------------------------------------------------------------------------------- without MPI
@pytest.fixture(scope="module")
def data():
    from tangent_fwd.data import load_mnist

    x, y, xt, yt = load_mnist()
    return x[:384], y[:384], xt[:100], yt[:100]


def _cfg(tmp, **kw):
    base = dict(
        model="logreg",
        lr=0.05,
        batch_size=48,
        max_steps=20,
        epochs=1000,
        n_train=384,
        evaluate=False,
        out_dir=str(tmp),
        check_every=5,
    )
    base.update(kw)
    return D.DistributedConfig(**base)


def test_batch_schedule_matches_runner_order():
    n, bs, seed = 100, 32, 3
    sched = D.BatchSchedule(n, bs, seed)
    rng = np.random.default_rng([seed, 2])  # runner.train's shuffle
    step = 0
    for epoch in range(3):
        order = rng.permutation(n)
        for start in range(0, n, bs):
            e, idx = sched.batch(step)
            assert e == epoch and np.array_equal(idx, order[start : start + bs])
            step += 1
    # random access (a resumed run) gives the same batches
    assert np.array_equal(D.BatchSchedule(n, bs, seed).batch(9)[1], sched.batch(9)[1])


def test_shards_partition_the_batch():
    idx = np.arange(10)
    parts = [D.shard(idx, r, 3) for r in range(3)]
    assert np.array_equal(np.concatenate(parts), idx) and [len(p) for p in parts] == [4, 3, 3]
    assert len(D.shard(np.arange(1), 1, 2)) == 0


def test_directions_depend_only_on_seed_step_k():
    a = D.direction_rng(0, 5, 0).standard_normal(4)
    assert np.array_equal(a, D.direction_rng(0, 5, 0).standard_normal(4))
    others = [D.direction_rng(0, 6, 0), D.direction_rng(0, 5, 1), D.direction_rng(1, 5, 0)]
    for g in others:
        assert not np.allclose(a, g.standard_normal(4))
    # consecutive steps do not share a shifted stream (the Philox(counter=step) pitfall)
    s5 = D.direction_rng(0, 5, 0).standard_normal(64)
    s6 = D.direction_rng(0, 6, 0).standard_normal(64)
    assert not np.intersect1d(s5, s6).size


def test_bytes_per_step():
    # K + 1 float64 values and the stop flag
    assert D.bytes_per_step(7850, 1) == (24, 31400)
    assert D.bytes_per_step(100, 4, 8) == (48, 800)


def test_atomic_write_leaves_no_temp(tmp_path):
    p = D.atomic_write_bytes(tmp_path / "a" / "f.bin", b"123")
    assert p.read_bytes() == b"123"
    D.atomic_write_bytes(p, b"45")
    assert p.read_bytes() == b"45" and sorted(os.listdir(p.parent)) == ["f.bin"]


@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "adam"])
def test_single_process_resume_is_exact(tmp_path, data, optimizer):
    """Stop after 8 of 20 steps (checkpoint), resume, and land on the uninterrupted run's parameters,
    optimizer state included (momentum buffers, Adam moments)."""
    lr = {"sgd": 0.05, "momentum": 0.01, "adam": 0.003}[optimizer]
    full = D.train_distributed(_cfg(tmp_path / "full", optimizer=optimizer, lr=lr), data=data, log=None)
    ck2 = tmp_path / "ck2"
    cfg_stop = _cfg(tmp_path / "b", optimizer=optimizer, lr=lr, checkpoint_dir=str(ck2), checkpoint_every=4)
    _train_until(cfg_stop, data, 8)
    meta, params, state = D.load_checkpoint(ck2)
    assert meta["step"] == 8 and (optimizer == "sgd") == (not state)
    res = D.train_distributed(
        _cfg(tmp_path / "c", optimizer=optimizer, lr=lr, checkpoint_dir=str(ck2), checkpoint_every=4, resume=True),
        data=data,
        log=None,
    )
    assert res["start_step"] == 8 and res["steps"] == 20
    for a, b in zip(leaves(full["params"]), leaves(res["params"])):
        np.testing.assert_array_equal(a, b)


def _train_until(cfg, data, step):
    """Run ``cfg`` and stop it (as a crash would) right after the checkpoint of ``step``."""

    class Stop(Exception):
        pass

    orig = D.save_checkpoint

    def save(directory, params, opt, s, meta):
        path = orig(directory, params, opt, s, meta)
        if s == step:
            raise Stop
        return path

    D.save_checkpoint = save
    try:
        with pytest.raises(Stop):
            D.train_distributed(cfg, data=data, log=None)
    finally:
        D.save_checkpoint = orig


def test_resume_refuses_other_settings(tmp_path, data):
    ck = tmp_path / "ck"
    D.train_distributed(_cfg(tmp_path, checkpoint_dir=str(ck)), data=data, log=None)
    with pytest.raises(D.DistributedError, match="settings differ.*batch_size"):
        D.train_distributed(_cfg(tmp_path, checkpoint_dir=str(ck), resume=True, batch_size=32), data=data, log=None)


def test_corrupt_checkpoint_is_reported(tmp_path, data):
    ck = tmp_path / "ck"
    D.train_distributed(_cfg(tmp_path, checkpoint_dir=str(ck)), data=data, log=None)
    (ck / "checkpoint.npz").write_bytes(b"PK\x03\x04 not a zip")
    with pytest.raises(D.DistributedError, match="unreadable checkpoint"):
        D.load_checkpoint(ck)


def test_vectorized_matches_separate_passes(tmp_path, data):
    """--vectorized on the distributed path: the K directions of a step (each from its own (seed, step, k)
    stream) in one vector-mode JVP give the K separate passes' run, with the same K + 1 values exchanged."""
    vec = D.train_distributed(_cfg(tmp_path / "v", directions=3, optimizer="adam", lr=0.003), data=data, log=None)
    sep = D.train_distributed(
        _cfg(tmp_path / "s", directions=3, optimizer="adam", lr=0.003, vectorized=False), data=data, log=None
    )
    assert vec["vectorized"] is True and sep["vectorized"] is False  # vector mode is the default for K > 1
    assert vec["bytes_per_step"] == sep["bytes_per_step"] == 8 * (3 + 2)
    np.testing.assert_allclose(vec["losses"], sep["losses"], rtol=1e-5)
    for a, b in zip(leaves(vec["params"]), leaves(sep["params"])):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6)
    assert np.abs(vec["params"]["W"]).max() > 0


def test_threads_per_rank_are_limited_and_recorded(tmp_path, data, monkeypatch):
    threadpoolctl = pytest.importorskip("threadpoolctl")
    seen = []
    orig = D.checksum

    def spy(arrays):  # runs inside the training loop (consistency checks)
        seen.append({p["num_threads"] for p in threadpoolctl.threadpool_info()})
        return orig(arrays)

    monkeypatch.setattr(D, "checksum", spy)
    monkeypatch.setattr(D, "_mpi_comm", lambda: None)
    monkeypatch.setattr(D, "_load", lambda d: data)
    res = D.run_distributed(_cfg(tmp_path, threads_per_rank=1, max_steps=6), log=None)
    assert res["threads_per_rank"] == 1 and res["ranks_on_node"] == 1
    assert seen and all(s <= {1} for s in seen)
    recorded = json.loads((tmp_path / "distributed_logreg_sgd.json").read_text())
    assert recorded["threads_per_rank"] == 1 and recorded["config"]["threads_per_rank"] == 1
    auto = D.run_distributed(_cfg(tmp_path / "auto", max_steps=2), log=None)
    assert auto["threads_per_rank"] == len(os.sched_getaffinity(0)) and auto["config"]["threads_per_rank"] is None


def test_rank_prefixed_stderr_writes_whole_lines():
    class Recorder:
        def __init__(self):
            self.writes, self.flushes = [], 0

        def write(self, text):
            self.writes.append(text)

        def flush(self):
            self.flushes += 1

    rec = Recorder()
    s = D._RankPrefixed(rec, "[rank 1] ")
    s.write("rank 1: step 8")
    assert rec.writes == []  # nothing until the line is complete
    s.write(" failed\nsecond ")
    s.write("line\n")
    assert rec.writes == ["[rank 1] rank 1: step 8 failed\n", "[rank 1] second line\n"] and rec.flushes == 2
    s.write("tail")
    s.flush()
    assert rec.writes[-1] == "[rank 1] tail"


def test_backprop_method_is_rejected(tmp_path):
    with pytest.raises(ValueError, match="method='forward'"):
        _cfg(tmp_path, method="backprop").validate()


# ---------------------------------------------------------------------------------------------- with MPI
def _find_launcher():
    """``(path, flavour)`` of the MPI launcher that matches this Python's mpi4py, or a skip reason."""
    if importlib.util.find_spec("mpi4py") is None:
        return None, "mpi4py is not installed (pip install mpi4py mpich)"
    here = pathlib.Path(sys.executable).parent
    exe = next((str(here / n) for n in ("mpiexec", "mpirun") if (here / n).exists()), None)
    exe = exe or shutil.which("mpiexec") or shutil.which("mpirun")
    if exe is None:
        return None, "no mpiexec/mpirun on PATH (pip install mpich, or apt-get install openmpi-bin)"
    try:
        out = subprocess.run([exe, "--version"], capture_output=True, text=True, timeout=30)
        text = out.stdout + out.stderr
    except (OSError, subprocess.TimeoutExpired) as e:
        return None, f"{exe} --version failed: {e}"
    flavour = "openmpi" if ("Open MPI" in text or "OpenRTE" in text or "prte" in text.lower()) else "mpich"
    return exe, flavour


_LAUNCHER, _FLAVOUR = _find_launcher()


def _env():
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1", PYTHONUNBUFFERED="1")
    if _FLAVOUR == "openmpi":
        env.update(OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1")
    return env


# A failing job must end long before the default 120 s deadline; the bound leaves room for starting two
# ranks on a loaded 2-core machine (imports alone took 15-30 s there at load average 8).
FAIL_FAST_S = 60


def _mpirun(n, args, cwd, timeout=120, keep_going=False):
    """Run ``mpiexec -n n python -m tangent_fwd.training.distributed *args``. ``keep_going``: do not let
    the launcher kill the job when a rank dies, so the survivors' watchdog reports which rank it was."""
    cmd = [_LAUNCHER]
    if _FLAVOUR == "openmpi":
        cmd += ["--oversubscribe"] + (["--allow-run-as-root"] if hasattr(os, "geteuid") and os.geteuid() == 0 else [])
    elif keep_going:
        cmd += ["-disable-auto-cleanup"]
    cmd += ["-n", str(n), sys.executable, "-m", "tangent_fwd.training.distributed", *args]
    t0 = time.monotonic()
    p = subprocess.run(cmd, cwd=cwd, env=_env(), capture_output=True, text=True, timeout=timeout)
    return p, time.monotonic() - t0


@pytest.fixture(scope="module")
def mpi_ok(tmp_path_factory):
    if _LAUNCHER is None:
        pytest.skip(_FLAVOUR)
    d = tmp_path_factory.mktemp("mpicheck")
    cmd = (
        [_LAUNCHER]
        + (["--oversubscribe", "--allow-run-as-root"] if _FLAVOUR == "openmpi" else [])
        + [
            "-n",
            "2",
            sys.executable,
            "-c",
            "from mpi4py import MPI; c = MPI.COMM_WORLD; assert c.allreduce(1) == c.Get_size() == 2",
        ]
    )
    try:
        p = subprocess.run(cmd, cwd=d, env=_env(), capture_output=True, text=True, timeout=60)
    except subprocess.TimeoutExpired:
        pytest.skip(f"{_LAUNCHER} -n 2 did not finish a 2-rank allreduce in 60 s")
    if p.returncode != 0:
        pytest.skip(f"{_LAUNCHER} -n 2 cannot run mpi4py here: {(p.stderr or p.stdout)[-400:]}")
    return True


def _params(path):
    with np.load(path) as z:
        return {k: z[k] for k in z.files}


@pytest.fixture(scope="module")
def reference(mpi_ok, tmp_path_factory):
    """The uninterrupted 2-rank and 1-rank runs."""
    d = tmp_path_factory.mktemp("ref")
    p2, _ = _mpirun(2, TINY + ["--out-dir", str(d / "n2"), "--save-params", str(d / "n2" / "p{rank}.npz")], d)
    assert p2.returncode == 0, p2.stderr
    # the single-process run: the same code path without MPI, in this process
    (d / "n1").mkdir()
    one = D.train_distributed(_tiny_cfg(d / "n1"), log=None)
    np.savez(d / "n1" / "p.npz", **one["params"])
    (d / "n1" / "distributed_logreg_sgd.json").write_text(json.dumps({"losses": one["losses"]}))
    return d


def _tiny_cfg(out, **kw):
    """TINY as a config (``--steps`` is ``--max-steps``; logreg's default is 1000 epochs)."""
    return D.DistributedConfig(
        model="logreg",
        lr=0.05,
        batch_size=48,
        max_steps=20,
        epochs=1000,
        n_train=384,
        evaluate=False,
        out_dir=str(out),
        check_every=5,
        **kw,
    )


def test_two_ranks_match_one_rank(reference):
    d = reference
    r0, r1, single = _params(d / "n2" / "p0.npz"), _params(d / "n2" / "p1.npz"), _params(d / "n1" / "p.npz")
    for k in single:
        np.testing.assert_array_equal(r0[k], r1[k])  # replicas identical
        np.testing.assert_allclose(r0[k], single[k], rtol=1e-4, atol=1e-6)  # = single process
        assert np.abs(single[k]).max() > 0  # it did train
    res = json.loads((d / "n2" / "distributed_logreg_sgd.json").read_text())
    one = json.loads((d / "n1" / "distributed_logreg_sgd.json").read_text())
    assert res["ranks"] == 2 and res["steps"] == 20 and res["bytes_per_step"] == 24
    assert res["consistency_checks"] >= 4
    # the cores are divided among the ranks on the node (docs/distributed.md, "Threads per rank")
    assert res["ranks_on_node"] == 2 and res["threads_per_rank"] == max(1, len(os.sched_getaffinity(0)) // 2)
    np.testing.assert_allclose(res["losses"], one["losses"], rtol=1e-5)


def test_killed_rank_then_resume(reference, tmp_path):
    """Rank 1 dies hard at step 13: the job fails at once, the step-10 checkpoint is intact, and
    resuming (on 2 ranks, and on 1) reaches the uninterrupted run's parameters."""
    ck = tmp_path / "ck"
    common = TINY + ["--checkpoint-dir", str(ck), "--checkpoint-every", "5"]
    p, took = _mpirun(2, common + ["--out-dir", str(tmp_path), "--fail-at-step", "13", "--fail-rank", "1"], tmp_path)
    assert p.returncode != 0 and took < FAIL_FAST_S
    meta, _, _ = D.load_checkpoint(ck)
    assert meta["step"] == 10
    saved = (ck / "checkpoint.npz").read_bytes()
    p, _ = _mpirun(
        2, common + ["--out-dir", str(tmp_path), "--resume", "--save-params", str(tmp_path / "p{rank}.npz")], tmp_path
    )
    assert p.returncode == 0, p.stderr
    assert "resumed from" in p.stdout and "at step 10" in p.stdout
    want = _params(reference / "n2" / "p0.npz")
    for r in (0, 1):
        got = _params(tmp_path / f"p{r}.npz")
        for k in want:
            np.testing.assert_array_equal(got[k], want[k])
    # the same checkpoint resumed on one rank: same result up to rounding
    ck1 = tmp_path / "ck1"
    ck1.mkdir()
    (ck1 / "checkpoint.npz").write_bytes(saved)
    one = D.train_distributed(_tiny_cfg(tmp_path / "one", checkpoint_dir=str(ck1), resume=True), log=None)
    assert one["start_step"] == 10
    got = one["params"]
    for k in want:
        np.testing.assert_allclose(got[k], want[k], rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("mode", ["exit", "hang"])
def test_unresponsive_rank_is_named(mpi_ok, tmp_path, mode):
    """A rank that dies (launcher told not to clean up) or hangs: the survivor's allreduce deadline
    expires, it names rank 1, aborts the job with a non-zero status, and the checkpoint loads."""
    ck = tmp_path / "ck"
    args = TINY + [
        "--checkpoint-dir",
        str(ck),
        "--checkpoint-every",
        "5",
        "--timeout",
        "2",
        "--out-dir",
        str(tmp_path),
        "--fail-at-step",
        "8",
        "--fail-rank",
        "1",
        "--fail-mode",
        mode,
    ]
    p, took = _mpirun(2, args, tmp_path, keep_going=True)
    out = p.stdout + p.stderr
    assert p.returncode != 0, out
    assert took < FAIL_FAST_S, out
    if _FLAVOUR == "mpich" or mode == "hang":
        assert "rank 1 did not respond" in out, out
        assert "step 8" in out and "checkpoint.npz (step 5)" in out, out
    meta, params, _ = D.load_checkpoint(ck)
    assert meta["step"] == 5 and len(params) == 2


def test_replica_mismatch_is_detected(mpi_ok, tmp_path):
    args = TINY + ["--out-dir", str(tmp_path), "--fail-at-step", "7", "--fail-rank", "1", "--fail-mode", "corrupt"]
    p, _ = _mpirun(2, args, tmp_path)
    out = p.stdout + p.stderr
    assert p.returncode != 0
    assert "replica mismatch after step 10" in out and "rank 0:" in out and "rank 1:" in out, out
    # each rank's lines arrive whole and prefixed, never interleaved within a line
    ours = [ln for ln in p.stderr.splitlines() if "tangent-fwd" in ln]
    assert ours and all(re.match(r"\[rank [01]\] tangent-fwd", ln) for ln in ours), p.stderr


def test_two_ranks_adam_three_directions_uneven_shards(mpi_ok, tmp_path):
    """K = 3 directions (regenerated from their seeds for the update), Adam, and a global batch of 45
    split 23 / 22 (the epoch's last batch: 24 split 12 / 12): still the single-process result."""
    extra = ["--directions", "3", "--optimizer", "adam", "--lr", "0.003", "--batch-size", "45"]
    p, _ = _mpirun(2, TINY + extra + ["--out-dir", str(tmp_path), "--save-params", str(tmp_path / "p.npz")], tmp_path)
    assert p.returncode == 0, p.stderr
    cfg = _tiny_cfg(tmp_path / "one", directions=3, optimizer="adam")
    cfg.lr, cfg.batch_size = 0.003, 45
    one = D.train_distributed(cfg, log=None)
    got = _params(tmp_path / "p.npz")
    for k, v in one["params"].items():
        np.testing.assert_allclose(got[k], v, rtol=1e-4, atol=1e-6)
    res = json.loads((tmp_path / "distributed_logreg_adam.json").read_text())
    assert res["bytes_per_step"] == 40 and res["vectorized"] is True  # K = 3: one vector-mode pass
    np.testing.assert_allclose(res["losses"], one["losses"], rtol=1e-5)


def test_ctrl_c_to_mpiexec_stops_every_rank_after_one_step_and_checkpoints(mpi_ok, tmp_path):
    """mpiexec forwards Ctrl-C to the ranks, which may see it at different steps; the stop flag in the
    allreduce makes them stop after the same step, write the JSON and a checkpoint, and exit 130."""
    ck = tmp_path / "ck"
    args = TINY + ["--steps", "100000", "--checkpoint-dir", str(ck), "--checkpoint-every", "100"]
    cmd = [_LAUNCHER] + (["--oversubscribe"] if _FLAVOUR == "openmpi" else [])
    cmd += ["-n", "2", sys.executable, "-m", "tangent_fwd.training.distributed", *args, "--out-dir", str(tmp_path)]
    p = subprocess.Popen(cmd, cwd=tmp_path, env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    end = time.monotonic() + 60
    while not (ck / "checkpoint.json").exists():
        assert p.poll() is None and time.monotonic() < end, p.communicate()
        time.sleep(0.05)
    p.send_signal(signal.SIGINT)
    out, err = p.communicate(timeout=60)
    assert p.returncode == 130, out + err
    res = json.loads((tmp_path / "distributed_logreg_sgd.json").read_text())
    assert res["status"] == "interrupted" and res["steps"] >= 100
    meta, _, _ = D.load_checkpoint(ck)
    assert meta["step"] == res["steps"]
    assert re.search(r"\[rank [01]\] tangent-fwd: SIGINT: stopping after this step", err), err


# ------------------------------------------------------------------------------------ low-rank directions
def test_single_process_lowrank_resume_is_exact_and_trains(tmp_path, data):
    """Low-rank directions (rank=1) through the seeds-only exchange: regenerated from (seed, step, k)
    like dense ones, so a resumed run lands on the uninterrupted run's parameters."""
    full = D.train_distributed(_cfg(tmp_path / "full", rank=1), data=data, log=None)
    assert full["status"] == "ok" and np.abs(full["params"]["W"]).max() > 0  # it did update
    ck = tmp_path / "ck"
    _train_until(_cfg(tmp_path / "b", rank=1, checkpoint_dir=str(ck), checkpoint_every=4), data, 8)
    res = D.train_distributed(
        _cfg(tmp_path / "c", rank=1, checkpoint_dir=str(ck), checkpoint_every=4, resume=True), data=data, log=None
    )
    for a, b in zip(leaves(full["params"]), leaves(res["params"])):
        np.testing.assert_array_equal(a, b)
    with pytest.raises(D.DistributedError, match="rank"):  # a dense-direction run cannot resume it
        D.train_distributed(_cfg(tmp_path / "d", checkpoint_dir=str(ck), resume=True), data=data, log=None)


def test_two_ranks_match_one_rank_with_lowrank_directions(mpi_ok, tmp_path):
    p2, _ = _mpirun(
        2,
        TINY
        + ["--rank", "1", "--out-dir", str(tmp_path / "n2"), "--save-params", str(tmp_path / "n2" / "p{rank}.npz")],
        tmp_path,
    )
    assert p2.returncode == 0, p2.stderr
    one = D.train_distributed(_tiny_cfg(tmp_path / "n1", rank=1), log=None)
    r0, r1 = _params(tmp_path / "n2" / "p0.npz"), _params(tmp_path / "n2" / "p1.npz")
    for k in one["params"]:
        np.testing.assert_array_equal(r0[k], r1[k])
        np.testing.assert_allclose(r0[k], one["params"][k], rtol=1e-4, atol=1e-6)
