"""The whole training path on a device backend, proved without a GPU: ``train`` (every optimizer, normal
and Rademacher, K directions in one vector-mode pass or K passes, low-rank), ``compare`` (backprop on the
device) and divergence run on ``strict_np``, whose arrays refuse NumPy, with ``guard_host_sync()`` on:
any implicit host read inside a step raises, and the explicit copies (``.get()``) are counted and must be
exactly the documented ones (one per loss flush, one per epoch's accuracy). A deliberately leaky step
makes each check fail."""

import math

import numpy as np
import pytest
import strict_np

from tangent_fwd import backends
from tangent_fwd.training import device as dev
from tangent_fwd.training import optim, runner

backends.register("strict", strict_np)

N_TRAIN, N_TEST, BATCH, EPOCHS, FLUSH = 96, 40, 32, 2, 2
STEPS_PER_EPOCH = math.ceil(N_TRAIN / BATCH)
# the documented host reads: ceil(steps / FLUSH) loss flushes and one accuracy per epoch
EXPECTED_GETS = EPOCHS * (math.ceil(STEPS_PER_EPOCH / FLUSH) + 1)


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    x = rng.random((N_TRAIN + N_TEST, 784), dtype=np.float32)
    y = (x[:, :10].argmax(axis=1) % 10).astype(np.int64)
    return x[:N_TRAIN], y[:N_TRAIN], x[N_TRAIN:], y[N_TRAIN:]


@pytest.fixture(autouse=True)
def small_flush(monkeypatch):
    monkeypatch.setattr(dev, "FLUSH_EVERY", FLUSH)


def config(backend, **kw):
    base = dict(model="mlp", width=16, epochs=EPOCHS, batch_size=BATCH, lr=1e-3, decay=0.0, seed=3)
    return runner.TrainConfig(**{**base, "backend": backend, **kw})


def train_on_device(data, expected_gets=EXPECTED_GETS, **kw):
    """Train on the strict device; the host sees exactly the documented transfers."""
    with strict_np.guard_host_sync() as gets:
        result = runner.train(config("strict", **kw), data=data, progress=False, log=None)
    assert gets[0] == expected_gets, f"{gets[0]} device->host copies, documented: {expected_gets}"
    return result


VARIANTS = {
    "sgd-normal": dict(),
    "sgd-rademacher": dict(distribution="rademacher"),
    "momentum-K3-vector": dict(optimizer="momentum", directions=3),
    "adam-K2-passes": dict(optimizer="adam", directions=2, vectorized=False),
    "sgd-rank2": dict(rank=2),
    "adam-rademacher-rank1": dict(optimizer="adam", distribution="rademacher", rank=1),
    "backprop-sgd": dict(method="backprop"),
    "backprop-momentum": dict(method="backprop", optimizer="momentum"),
    "backprop-adam": dict(method="backprop", optimizer="adam"),
}


@pytest.mark.parametrize("name", list(VARIANTS))
def test_training_loop_stays_on_the_device(data, name):
    kw = VARIANTS[name]
    got = train_on_device(data, **kw)
    want = runner.train(config("numpy", **kw), data=data, progress=False, log=None)
    assert got["status"] == "ok" and got["steps"] == EPOCHS * STEPS_PER_EPOCH
    assert got["device"] == "Device(strict)" and want["device"] == "Device(numpy)"
    assert all(type(p).__name__ == "StrictArray" for p in got["params"].values())
    # same seed -> same initial parameters and first minibatch on every backend
    assert got["first_loss"] == pytest.approx(want["first_loss"], rel=1e-6)
    assert got["iterations"] == want["iterations"] and len(got["times"]) == len(want["times"])
    assert all(np.isfinite(got["losses"])) and len(got["epochs"]) == EPOCHS
    assert 0.0 <= got["final_test_accuracy"] <= 1.0
    if kw.get("method") == "backprop":  # no randomness: the device run is the host run
        np.testing.assert_allclose(got["losses"], want["losses"], rtol=1e-5)
        assert got["final_test_accuracy"] == want["final_test_accuracy"]
    else:  # the loss moves (directions differ between the device and host streams, by design)
        assert got["losses"][-1] != got["losses"][0]


def test_a_host_read_inside_a_step_fails(data, monkeypatch):
    """A leak: the optimizer converts the loss with float() every step (a host synchronisation)."""
    step = optim.Optimizer.step

    def leaky(self, *batch):
        value = step(self, *batch)
        float(value)
        return value

    train_on_device(data)  # the honest loop passes the same checks
    monkeypatch.setattr(optim.Optimizer, "step", leaky)
    with pytest.raises(strict_np.HostSyncError, match="float"):
        train_on_device(data)


def test_an_extra_copy_inside_a_step_fails(data, monkeypatch):
    """A leak through an explicit copy (say, logging a parameter norm with .get() every step)."""
    apply = optim.SGD._apply

    def leaky(self, i, p, g, lr):
        if i == 0:
            p.get()
        return apply(self, i, p, g, lr)

    monkeypatch.setattr(optim.SGD, "_apply", leaky)
    with pytest.raises(AssertionError, match="device->host copies"):
        train_on_device(data, method="backprop")


def test_compare_runs_both_methods_on_the_device(data, tmp_path):
    cfg = config("strict", out_dir=str(tmp_path))
    with strict_np.guard_host_sync() as gets:
        runs, ratio, json_path, _ = runner.run_compare(cfg, progress=False, log=None, data=data)
    assert gets[0] == 2 * EXPECTED_GETS
    assert set(runs) == {"forward", "backprop"} and all(r["status"] == "ok" for r in runs.values())
    assert ratio is not None and ratio > 0 and json_path.is_file()


def test_divergence_is_reported_at_its_step_on_the_device(data):
    got = train_on_device(data, expected_gets=1, method="backprop", lr=1e30, epochs=1)
    assert got["status"] == "diverged"
    assert "at step" in got["message"] and "--lr" in got["message"]
    assert all(math.isfinite(v) for v in got["losses"])


def test_dataset_larger_than_free_memory_says_needed_and_free(data, monkeypatch):
    monkeypatch.setattr(dev.Device, "free_bytes", lambda self: 1 << 16)
    with pytest.raises(dev.DeviceError) as info:
        runner.train(config("strict"), data=data, progress=False, log=None)
    msg = str(info.value)
    assert "needs" in msg and "MiB" in msg and "only 0.1 MiB is free" in msg and "96 training" in msg


def test_cupy_missing_or_without_device_is_a_clear_error(monkeypatch):
    import sys
    import types

    try:
        import cupy

        if cupy.is_available():
            pytest.skip("a CUDA device is available: these error paths cannot be reached")
        expected = "finds no usable CUDA device"
    except ImportError:
        expected = "CuPy is not installed"
    with pytest.raises(dev.DeviceError, match=expected):
        dev.resolve("cupy")
    fake = types.ModuleType("cupy")
    fake.is_available = lambda: False
    monkeypatch.setitem(sys.modules, "cupy", fake)
    monkeypatch.delitem(backends._BACKENDS, "cupy", raising=False)
    with pytest.raises(dev.DeviceError, match="no usable CUDA device") as info:
        dev.resolve("cupy")
    assert "nvidia-smi" in str(info.value)


def test_cli_backend_cupy_without_a_gpu_exits_with_the_message(tmp_path, capsys, monkeypatch):
    import sys
    import types

    from tangent_fwd import cli

    fake = types.ModuleType("cupy")
    fake.is_available = lambda: False
    monkeypatch.setitem(sys.modules, "cupy", fake)
    monkeypatch.delitem(backends._BACKENDS, "cupy", raising=False)
    status = cli.main(["train", "--backend", "cupy", "--max-steps", "1", "--no-progress", "--out-dir", str(tmp_path)])
    err = capsys.readouterr().err
    assert status == 1 and "no usable CUDA device" in err and "Traceback" not in err


def test_devices_option():
    assert dev.parse_devices("0,2") == (0, 2) and dev.parse_devices(None) is None
    with pytest.raises(ValueError, match="comma-separated"):
        dev.parse_devices("a,b")
    with pytest.raises(dev.DeviceError, match="needs --backend cupy"):
        dev.resolve("strict", devices=(1,))


def test_event_clock_synchronises_only_when_read():
    """The device clock records events around a step and waits only at the flush."""
    log = []

    class Event:
        def __init__(self):
            self.t = None

        def record(self):
            self.t = len(log)
            log.append("record")

        def synchronize(self):
            log.append("sync")

    cuda = type("cuda", (), {"Event": Event, "get_elapsed_time": staticmethod(lambda a, b: 1000.0 * (b.t - a.t))})
    clock = dev.EventClock(cuda)
    pairs = [(clock.start(), clock.stop()) for _ in range(3)]
    assert "sync" not in log
    assert clock.seconds(pairs) == [1.0, 1.0, 1.0] and log.count("sync") == 1


def test_a_named_backend_must_be_the_one_of_the_arrays():
    from tangent_fwd import ArgumentError
    from tangent_fwd.training import forward_gradient, make_optimizer, sample_directions
    from tangent_fwd.training.models import logreg_loss

    host = {"W": np.zeros((4, 3), np.float32)}
    dev_ = strict_np.to_device(host)
    with pytest.raises(ArgumentError, match="backend='strict' but the parameters are numpy arrays"):
        make_optimizer("sgd", logreg_loss, host, 0.1, backend="strict")
    with pytest.raises(ArgumentError, match="backend='numpy' but the arrays given as like are strict"):
        sample_directions(dev_, backend="numpy")
    fg = forward_gradient(logreg_loss, backend="numpy")
    with pytest.raises(ArgumentError, match="differentiated arguments are strict"):
        fg(dev_, strict_np.to_device(np.ones((2, 4), np.float32)), strict_np.to_device(np.zeros(2, np.int64)))
    assert sample_directions(dev_, backend="strict")["W"].shape == (4, 3)
    make_optimizer("sgd", logreg_loss, dev_, 0.1, backend="strict")


def test_devices_by_local_rank_on_cupy(monkeypatch):
    """Device choice without a GPU: a fake CuPy with 4 devices records which one is made current."""
    import sys
    import types

    from tangent_fwd import runtime

    used = []
    cuda = types.SimpleNamespace(
        runtime=types.SimpleNamespace(getDeviceCount=lambda: 4),
        Device=lambda i: types.SimpleNamespace(use=lambda: used.append(i)),
    )
    fake = types.ModuleType("cupy")
    fake.is_available, fake.cuda = (lambda: True), cuda
    monkeypatch.setitem(sys.modules, "cupy", fake)
    monkeypatch.setattr(backends, "_BACKENDS", dict(backends._BACKENDS))
    monkeypatch.setattr(runtime, "_BY_MODULE", dict(runtime._BY_MODULE))
    backends._BACKENDS.pop("cupy", None)
    assert str(dev.resolve("cupy", rank=5)) == "Device(cupy:1)"  # local rank 5 of 4 devices
    assert str(dev.resolve("cupy", devices=(2, 3), rank=1)) == "Device(cupy:3)"
    assert used == [1, 3]
    with pytest.raises(dev.DeviceError, match="names device 7 but this machine has 4"):
        dev.resolve("cupy", devices=(7,))
    monkeypatch.setenv("OMPI_COMM_WORLD_LOCAL_RANK", "2")
    assert dev.local_rank() == 2
