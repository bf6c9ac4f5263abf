"""Training on a real GPU through CuPy (``gpu`` marker; skipped without ``cupy.is_available()``; run by
benchmarks/gpu_check.sh): the loop stays on the device and starts where the CPU run starts, the sampler
draws on the device, the backprop baselines agree with NumPy's, the fused and unfused JVPs of the models
agree, and the device clock and memory query work."""

import numpy as np
import pytest
from gpu_support import cupy_available

pytestmark = [
    pytest.mark.gpu,
    pytest.mark.skipif(not cupy_available(), reason="needs CuPy with a usable CUDA device (cupy.is_available())"),
]


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    x = rng.random((160, 784), dtype=np.float32)
    y = (x[:, :10].argmax(axis=1) % 10).astype(np.int64)
    return x[:128], y[:128], x[128:], y[128:]


@pytest.mark.parametrize(
    "kw",
    [
        dict(model="mlp", width=64),
        dict(model="mlp", width=64, optimizer="adam", distribution="rademacher", directions=3),
        dict(model="cnn", channels=4, hidden=32, rank=1, optimizer="momentum"),
        dict(model="cnn", channels=4, hidden=32, method="backprop"),
    ],
    ids=["mlp-sgd", "mlp-adam-rademacher-K3", "cnn-rank1-momentum", "cnn-backprop"],
)
def test_training_on_the_gpu_starts_where_the_cpu_run_starts(data, kw):
    import cupy

    from tangent_fwd.training import runner

    base = dict(epochs=2, batch_size=32, lr=1e-3, decay=0.0, seed=1)
    gpu = runner.train(runner.TrainConfig(backend="cupy", **base, **kw), data=data, progress=False, log=None)
    cpu = runner.train(runner.TrainConfig(backend="numpy", **base, **kw), data=data, progress=False, log=None)
    assert gpu["status"] == "ok" and gpu["device"].startswith("Device(cupy")
    assert all(isinstance(p, cupy.ndarray) for p in gpu["params"].values())
    assert abs(gpu["first_loss"] - cpu["first_loss"]) <= 1e-4 * max(1.0, abs(cpu["first_loss"]))
    assert gpu["step_time"] > 0 and all(np.isfinite(gpu["losses"]))
    if kw.get("method") == "backprop":
        np.testing.assert_allclose(gpu["losses"], cpu["losses"], rtol=1e-3)


@pytest.mark.parametrize("distribution", ["normal", "rademacher"])
def test_sampler_draws_on_the_gpu(distribution):
    import cupy

    from tangent_fwd.training.forward_gradient import DirectionSampler

    like = {"W": cupy.zeros((300, 200), cupy.float32)}
    a = DirectionSampler(like, distribution, rng=3).sample()["W"]
    b = DirectionSampler(like, distribution, rng=3).sample()["W"].copy()
    assert isinstance(a, cupy.ndarray) and bool((a == b).all())
    v = cupy.asnumpy(a)
    assert abs(v.mean()) < 0.02 and abs(v.var() - 1) < 0.02
    if distribution == "rademacher":
        assert set(np.unique(v)) == {-1.0, 1.0}


@pytest.mark.parametrize("model", ["logreg", "mlp", "cnn"])
def test_backprop_baselines_and_fused_jvps_agree_with_numpy(model):
    import cupy

    import tangent_fwd
    from tangent_fwd import backends
    from tangent_fwd.api import _wrt_names
    from tangent_fwd.compiler import Unit
    from tangent_fwd.training.models import get_model

    m = get_model(model)
    p = m.init(0, **({"width": 32} if model == "mlp" else {"channels": 4, "hidden": 16} if model == "cnn" else {}))
    rng = np.random.default_rng(0)
    x, y = rng.random((16, 784), dtype=np.float32), rng.integers(0, 10, 16)
    gp = {k: cupy.asarray(v) for k, v in p.items()}
    gx, gy = cupy.asarray(x), cupy.asarray(y)
    want_l, want_g = m.loss_and_grad(p, x, y)
    got_l, got_g = m.loss_and_grad(gp, gx, gy)
    assert abs(float(got_l) - float(want_l)) <= 1e-5
    for k in p:
        np.testing.assert_allclose(cupy.asnumpy(got_g[k]), want_g[k], rtol=1e-3, atol=1e-6)
    v = {k: rng.standard_normal(a.shape).astype(a.dtype) for k, a in p.items()}
    gv = {k: cupy.asarray(a) for k, a in v.items()}
    _, want_t = tangent_fwd.jvp(m.loss, (p, x, y), (v, None, None))
    for fuse in (True, False):
        unit = Unit(m.loss, _wrt_names(m.loss, "params"), backends.get("cupy"), fuse=fuse).build()
        fn, _ = unit.compile()
        assert ("@xp.fuse()" in unit.source) == fuse or model == "logreg"
        val, t = fn(gp, gx, gy, gv)
        assert abs(float(t) - float(want_t)) <= 1e-4 * max(1.0, abs(float(want_t)))


def test_event_clock_and_free_memory():
    import cupy

    from tangent_fwd.training import device

    d = device.resolve("cupy")
    assert d.free_bytes() > 0 and isinstance(d.clock(), device.EventClock)
    clock = d.clock()
    a = cupy.ones((2000, 2000), cupy.float32)
    pairs = [(clock.start(), (a @ a, clock.stop())[1])]
    (s,) = clock.seconds(pairs)
    assert 0 < s < 5
