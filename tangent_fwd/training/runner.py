"""Training loop behind ``tangent-fwd train`` and ``tangent-fwd compare``: minibatch training on MNIST with
forward gradients or the hand-written backprop baseline, per-epoch test accuracy, results JSON and plots."""

import io
import json
import math
import pathlib
import sys
from dataclasses import asdict, dataclass, field

import numpy as np

from . import device as _device
from . import models as _models
from .files import atomic_write_bytes
from .forward_gradient import DISTRIBUTIONS, check_distribution
from .interrupt import STOP
from .optim import OPTIMIZERS, make_optimizer
from .progress import Progress

METHODS = ("forward", "backprop")
BACKENDS = ("auto", "numpy", "cupy")


MAX_POINTS = 5000
AUTO_ANNEAL = 100.0


class Diverged(RuntimeError):
    """The training loss became NaN or infinite."""


@dataclass
class TrainConfig:
    model: str = "logreg"
    method: str = "forward"
    optimizer: str = "sgd"
    backend: str = "auto"
    epochs: int = 1
    lr: float = 1e-3
    decay: float = None  # k in η_i = η_0·exp(-i·k); None: anneal η by AUTO_ANNEAL over the run
    batch_size: int = 64
    directions: int = 1
    distribution: str = "normal"
    seed: int = 0
    data_dir: str = None
    out_dir: str = "runs"
    width: int = None  # MLP hidden width (default 1024, the paper's)
    channels: int = None  # CNN conv channels (default 16; paper 64)
    hidden: int = None  # CNN dense width (default 128; paper 1024)
    max_steps: int = None  # stop after this many steps in total (quick runs / tests)
    momentum: float = 0.9
    vectorized: object = None  # K directions in one vector-mode JVP pass (default when K > 1) or K passes
    rank: int = None  # low-rank directions for matrix parameters (None: dense directions)
    devices: tuple = None  # CUDA devices (backend cupy): process/rank r uses devices[r % len]; None: r % count
    perturb: str = "weights"  # forward gradients perturb the weights, or the pre-activations (issue 18)
    local_losses: bool = False  # a linear head per block, stop-gradient between blocks (mlp, cnn)
    heads: str = None  # local losses with activity perturbation: "fg" or "exact" head gradients (default exact)
    model_kwargs: dict = field(default_factory=dict, repr=False)

    def validate(self):
        def choice(name, value, valid):
            if value not in valid:
                raise ValueError(f"unknown {name} {value!r}; valid {name}s: {', '.join(valid)}")

        choice("model", self.model, _models.MODEL_NAMES)
        choice("method", self.method, METHODS)
        choice("optimizer", self.optimizer, OPTIMIZERS)
        from .. import backends as _backends

        choice("backend", self.backend, tuple(dict.fromkeys(BACKENDS + _backends.names())))
        check_distribution(self.distribution)
        for name in ("epochs", "batch_size", "directions"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int) or v < 1:
                raise ValueError(f"{name} must be a positive integer, got {v!r}")
        if not (isinstance(self.lr, (int, float)) and math.isfinite(self.lr) and self.lr > 0):
            raise ValueError(f"lr must be a positive number, got {self.lr!r}")
        if self.decay is not None and not (math.isfinite(self.decay) and self.decay >= 0):
            raise ValueError(f"decay must be a non-negative number, got {self.decay!r}")
        if self.rank is not None and (isinstance(self.rank, bool) or not isinstance(self.rank, int) or self.rank < 1):
            raise ValueError(f"rank must be a positive integer or None, got {self.rank!r}")
        if self.rank is not None and self.vectorized:
            raise ValueError("low-rank directions (rank) run one JVP pass per direction: not with vectorized")
        if self.max_steps is not None and self.max_steps < 1:
            raise ValueError(f"max_steps must be a positive integer, got {self.max_steps!r}")
        self._refuse_unused()
        self._check_local()
        return self

    def _check_local(self):
        """Activity perturbation and local losses (issue 18): the combinations that have a meaning, the
        others refused; ``heads`` defaults to exact head gradients for activity-perturbed local losses."""
        choice = ("weights", "activations")
        if self.perturb not in choice:
            raise ValueError(f"unknown perturb {self.perturb!r}; valid values: {', '.join(choice)}")
        if self.perturb == "activations" or self.local_losses:
            from .local_losses import run_model

            run_model(self.model, self.perturb, self.local_losses)  # refuses models without hidden layers
        if self.perturb == "activations" and self.rank is not None:
            raise ValueError("--rank (low-rank weight directions) does not apply to --perturb activations")
        if self.method == "forward" and self.local_losses and self.perturb == "weights":
            raise ValueError(
                "--local-losses with forward gradients needs --perturb activations (weight perturbation "
                "estimates the gradient of one scalar loss)"
            )
        activity_local = self.method == "forward" and self.perturb == "activations" and self.local_losses
        if self.heads is not None and not activity_local:
            raise ValueError("--heads applies to forward gradients with --perturb activations --local-losses")
        if activity_local and self.heads is None:
            self.heads = "exact"
        if self.heads not in (None, "fg", "exact"):
            raise ValueError(f"unknown heads {self.heads!r}; valid heads: fg, exact")

    def _refuse_unused(self):
        """Settings this run would not use are errors, not silently ignored: a size of another model, or
        forward-gradient settings for a backprop run."""
        for name, model in (("width", "mlp"), ("channels", "cnn"), ("hidden", "cnn")):
            if getattr(self, name) is not None and self.model != model:
                raise ValueError(f"{name} (--{name}) applies to the {model} model only, not {self.model}")
        if self.method == "backprop":
            unused = [
                f"--{flag}"
                for flag, name, default in (
                    ("directions", "directions", 1),
                    ("distribution", "distribution", "normal"),
                    ("rank", "rank", None),
                    ("vectorized", "vectorized", None),
                    ("perturb", "perturb", "weights"),
                )
                if getattr(self, name) != default
            ]
            if unused:
                raise ValueError(f"{', '.join(unused)}: forward-gradient settings, not used by --method backprop")

    def size_kwargs(self):
        kw = {}
        if self.model == "mlp" and self.width:
            kw["width"] = self.width
        if self.model == "cnn":
            if self.channels:
                kw["channels"] = self.channels
            if self.hidden:
                kw["hidden"] = self.hidden
        return kw


def total_steps(cfg, n_train):
    total = math.ceil(n_train / cfg.batch_size) * cfg.epochs
    return min(total, cfg.max_steps) if cfg.max_steps else total


def resolve_decay(cfg, n_train):
    """The decay k actually used: ``cfg.decay``, or when it is None, k = ln(AUTO_ANNEAL) / total steps so
    that η falls from η_0 to η_0 / AUTO_ANNEAL over the run."""
    if cfg.decay is not None:
        return cfg.decay
    return math.log(AUTO_ANNEAL) / total_steps(cfg, n_train)


def effective_batch_size(batch_size, n_train):
    """``(batch size used, warning or None)``: ``batch_size``, or the training set's size when the batch is
    larger: a batch cannot hold more examples than there are, and the run should say what it used."""
    if batch_size <= n_train:
        return batch_size, None
    return n_train, (
        f"--batch-size {batch_size} is larger than the training set ({n_train} examples); using batches of {n_train}"
    )


def train(config, data=None, progress=True, log=print):
    """Train one model with one method. Returns a result dict (JSON-serialisable):

    ``losses`` (minibatch loss, averaged over ``loss_every`` steps so that at most ``MAX_POINTS`` are kept),
    ``iterations`` and ``times`` (step count and cumulative training seconds, evaluation excluded, at the end of
    each of those windows), ``epochs`` (per-epoch ``test_accuracy``, ``train_loss`` mean, ``time``), ``step_time`` (mean
    seconds per step, first step excluded: it includes code generation), ``status`` ("ok", "diverged" or
    "interrupted"), ``message``, ``batch_size`` (the one used: at most the training set's size). On a NaN/inf
    loss, or a stop request (Ctrl-C, SIGTERM; see :mod:`.interrupt`), the run stops after that step and the
    result keeps everything up to it."""
    cfg = config.validate()
    x, y, xt, yt = data if data is not None else _load(cfg.data_dir)
    device = _device.resolve(cfg.backend, data=(x,), devices=cfg.devices)
    model = _models.get_model(cfg.model)
    if cfg.perturb == "activations" or cfg.local_losses:
        from .local_losses import run_model

        model = run_model(cfg.model, cfg.perturb, cfg.local_losses)
    # initialised on the host from the seed (a CPU and a GPU run start from the same parameters), then
    # the dataset and the parameters go to the device once and stay there (see training/device.py)
    (x, y, xt, yt), params = _device.put_training(device, (x, y, xt, yt), model.init(cfg.seed, **cfg.size_kwargs()))
    decay = resolve_decay(cfg, len(x))
    kw = dict(decay=decay)
    if cfg.optimizer == "momentum":
        kw["momentum"] = cfg.momentum
    if cfg.method == "backprop":
        kw["grad_fn"] = model.loss_and_grad
    elif cfg.perturb == "activations":
        from .forward_gradient import forward_gradient
        from .local_losses import run_exact_heads

        kw["grad_fn"] = forward_gradient(
            model.loss, perturb="activations", directions=cfg.directions, distribution=cfg.distribution,
            rng=np.random.default_rng([cfg.seed, 1]), vectorized=cfg.vectorized, backend=cfg.backend,
            exact=run_exact_heads(cfg.model, cfg.local_losses, cfg.heads),
        )  # fmt: skip
    else:
        kw.update(
            directions=cfg.directions,
            distribution=cfg.distribution,
            vectorized=cfg.vectorized,
            rank=cfg.rank,
            rng=np.random.default_rng([cfg.seed, 1]),
            backend=cfg.backend,
        )
    opt = make_optimizer(cfg.optimizer, model.loss, params, cfg.lr, **kw)
    n = len(x)
    batch_size, warning = effective_batch_size(cfg.batch_size, n)
    if warning and log is not None:
        print(f"tangent-fwd: warning: {warning}", file=sys.stderr, flush=True)
    total = total_steps(cfg, n)
    shuffle = np.random.default_rng([cfg.seed, 2])
    losses, times, iterations, epochs, window = [], [], [], [], []
    # at most ~MAX_POINTS loss points are kept: each is the mean minibatch loss over `stride` steps
    stride = max(1, math.ceil(total / MAX_POINTS))
    result = {
        "config": _config_dict(cfg),
        "decay": decay,
        "method": cfg.method,
        "n_params": int(sum(p.size for p in params.values())),
        "loss_every": stride,
        "iterations": iterations,
        "losses": losses,
        "times": times,
        "epochs": epochs,
        "batch_size": batch_size,
        "status": "ok",
        "message": "",
        "device": str(device),
    }
    if warning:
        result["warnings"] = [warning]
    bar = Progress(total, f"{cfg.model}/{cfg.method}/{cfg.optimizer}", progress, log=log)
    log_every = max(1, cfg.epochs // 20)  # about 20 per-epoch lines per run
    clock = first_step = 0.0
    step = recorded = 0
    # per-step losses and step times: on a device they wait there and are read FLUSH_EVERY steps at a
    # time (one transfer); on NumPy every step is recorded at once, as before
    loss_log = _device.LossLog(device, _device.FLUSH_EVERY)

    def record(epoch):
        nonlocal clock, first_step, recorded
        for loss, dt in loss_log.flush():
            clock += dt
            recorded += 1
            if recorded == 1:
                first_step = dt  # includes generating and compiling the JVP code
                result["first_loss"] = loss  # before any update: equal on every backend for one seed
            if not math.isfinite(loss):
                raise Diverged(
                    f"loss became {loss} at step {recorded} (epoch {epoch + 1}, {cfg.method} "
                    f"{cfg.optimizer}, lr={cfg.lr:g}); try a smaller --lr, e.g. {cfg.lr / 10:g}"
                )
            window.append(loss)
            if len(window) == stride or recorded == total:
                losses.append(float(f"{np.mean(window):.6g}"))
                times.append(round(clock, 6))
                iterations.append(recorded)
                window.clear()
            epoch_losses.append(loss)
            bar.update(1, loss=loss, ex_s=recorded * batch_size / clock)

    try:
        for epoch in range(cfg.epochs):
            order = shuffle.permutation(n)  # the same order on every backend (same seed, same batches)
            if not device.is_host:
                order = device.xp.asarray(order)  # one upload per epoch; minibatches are device gathers
            epoch_losses = []
            for start in range(0, n, batch_size):
                if step >= total or STOP.requested:
                    break
                idx = order[start : start + batch_size]
                xb, yb = x[idx], y[idx]
                t0 = loss_log.clock.start()
                with np.errstate(over="ignore", invalid="ignore"):  # divergence is reported below
                    loss = opt.step(xb, yb)
                step += 1
                if loss_log.add(loss, t0, loss_log.clock.stop()):
                    record(epoch)
            record(epoch)
            if not epoch_losses:
                break
            acc = _models.accuracy(model, params, xt, yt)
            epochs.append(
                {
                    "epoch": epoch + 1,
                    "step": step,
                    "time": clock,
                    "test_accuracy": acc,
                    "train_loss": float(np.mean(epoch_losses)),
                }
            )
            bar.stats["test_acc"] = acc
            if STOP.requested:
                result["status"] = "interrupted"
                result["message"] = STOP.message(step)
            if (epoch + 1) % log_every == 0 or epoch + 1 == cfg.epochs or step >= total or STOP.requested:
                msg = (
                    f"{cfg.model} {cfg.method}: epoch {epoch + 1}/{cfg.epochs}, step {step}, "
                    f"train loss {np.mean(epoch_losses):.4f}, test accuracy {acc:.4f}"
                )
                bar.write(msg)
            if STOP.requested:
                break
    except Diverged as e:
        result["status"] = "diverged"
        result["message"] = str(e)
    finally:
        bar.close()
    if window:  # a run stopped early (interrupted, diverged) keeps its last, partial loss window
        losses.append(float(f"{np.mean(window):.6g}"))
        times.append(round(clock, 6))
        iterations.append((iterations[-1] if iterations else 0) + len(window))
    if STOP.requested and result["status"] == "ok":
        result["status"], result["message"] = "interrupted", STOP.message(step)
    result["steps"] = step
    result["train_time"] = clock
    result["step_time"] = (clock - first_step) / (step - 1) if step > 1 else None
    result["final_test_accuracy"] = epochs[-1]["test_accuracy"] if epochs else None
    result["params"] = params
    return result


def _config_dict(cfg):
    d = asdict(cfg)
    d.pop("model_kwargs", None)
    return d


def _load(data_dir):
    from tangent_fwd.data import load_mnist

    return load_mnist(data_dir)


# ------------------------------------------------------------------------------------------------ output
def _public(result):
    return {k: v for k, v in result.items() if k != "params"}


def write_json(path, payload):
    return atomic_write_bytes(path, (json.dumps(payload, indent=1, default=_jsonable) + "\n").encode())


def _jsonable(o):
    if isinstance(o, (np.floating, np.integer)):
        return o.item()
    if isinstance(o, np.ndarray):
        return o.tolist()
    if isinstance(o, pathlib.Path):
        return str(o)
    raise TypeError(type(o).__name__)


def _smooth(values, window):
    v = np.asarray(values, dtype=float)
    if len(v) < 2 * window or window < 2:
        return v
    c = np.cumsum(np.insert(v, 0, 0.0))
    out = (c[window:] - c[:-window]) / window
    return np.concatenate([v[: window - 1].cumsum() / np.arange(1, window), out])


def plot(runs, path, title):
    """Loss vs iteration and vs training wall time (the paper's Figure 5/6 layout), one line per run,
    plus test accuracy per epoch."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    colors = {"forward": "tab:blue", "backprop": "tab:orange"}
    fig, axes = plt.subplots(1, 3, figsize=(15, 4.2))
    for r in runs.values():
        if not r["losses"]:
            continue
        c = colors.get(r["method"], None)
        steps = np.asarray(r["iterations"])
        window = max(1, len(steps) // 100)
        sm = _smooth(r["losses"], window)
        name = "forward gradient" if r["method"] == "forward" else "backprop"
        for ax, xs in ((axes[0], steps), (axes[1], np.asarray(r["times"]))):
            ax.plot(xs, r["losses"], color=c, alpha=0.15, lw=0.5)
            ax.plot(xs, sm, color=c, lw=1.5, label=name)
        if r["epochs"]:
            axes[2].plot(
                [e["epoch"] for e in r["epochs"]],
                [100 * e["test_accuracy"] for e in r["epochs"]],
                color=c,
                marker="o" if len(r["epochs"]) < 30 else None,
                label=name,
            )
    axes[0].set_xlabel("iteration")
    axes[1].set_xlabel("training time (s)")
    for ax in axes[:2]:
        ax.set_ylabel("training loss (minibatch)")
        ax.set_yscale("log")
    axes[2].set_xlabel("epoch")
    axes[2].set_ylabel("test accuracy (%)")
    for ax in axes:
        ax.grid(alpha=0.3)
        if ax.get_legend_handles_labels()[0]:
            ax.legend()
    fig.suptitle(title)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110)
    plt.close(fig)
    return atomic_write_bytes(path, buf.getvalue())


PLOT_EXTRA_HINT = "pip install 'tangent_fwd[train]'"


def plotting_available():
    """Whether matplotlib imports (it comes with the 'train' extra). Checked before a run, so that a
    missing plotting library costs the plot (with a warning and a note in the JSON), not the results."""
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return False
    return True


def _plot_or_skip(runs, path, title, payload):
    """The plot, or None when matplotlib is missing; either way the JSON says which (``"plot"``)."""
    if not plotting_available():
        payload["plot"] = None
        payload.setdefault("warnings", []).append(
            f"no plot: matplotlib is not installed ({PLOT_EXTRA_HINT} installs it)"
        )
        return None
    payload["plot"] = pathlib.Path(path).name
    return plot(runs, path, title)


def run_train(cfg, progress=True, log=print, data=None, notes=None):
    """``tangent-fwd train``: one run; writes ``<out>/<model>_<method>_<optimizer>.json`` and ``.png``
    (``notes``: more top-level entries for the JSON, e.g. the CLI's output settings). Returns
    ``(result, json path, png path or None when matplotlib is missing)``."""
    result = train(cfg, data=data, progress=progress, log=log)
    stem = f"{cfg.model}_{cfg.method}_{cfg.optimizer}"
    out = pathlib.Path(cfg.out_dir)
    payload = {**_public(result), **(notes or {})}
    png_path = _plot_or_skip(
        {cfg.method: result},
        out / f"{stem}.png",
        f"{cfg.model}: {cfg.method} ({cfg.optimizer}, lr={cfg.lr:g}, decay={result['decay']:.3g}, "
        f"batch {result['batch_size']})",
        payload,
    )
    json_path = write_json(out / f"{stem}.json", payload)
    return result, json_path, png_path


def run_compare(cfg, progress=True, log=print, data=None, notes=None):
    """``tangent-fwd compare``: forward gradient and backprop with the same model, optimizer, lr, schedule,
    seed and batches; writes ``<out>/compare_<model>.json`` and ``.png`` with T_f/T_b (ratio of mean step
    times)."""
    data = data if data is not None else _load(cfg.data_dir)
    runs = {}
    for method in METHODS:
        c = TrainConfig(**{**_config_dict(cfg), "method": method})
        if method == "backprop":  # the forward-gradient settings do not apply to it (validate refuses them)
            c.directions, c.distribution, c.rank, c.vectorized = 1, "normal", None, None
            c.perturb, c.heads = "weights", None  # with --local-losses: backprop of the same local losses
        runs[method] = train(c, data=data, progress=progress, log=log)
        if runs[method]["status"] != "ok" or STOP.requested:
            break
    f, b = runs.get("forward"), runs.get("backprop")
    ratio = None
    if f and b and f["step_time"] and b["step_time"]:
        ratio = f["step_time"] / b["step_time"]
    bad = [r for r in runs.values() if r["status"] != "ok"]
    payload = {
        "config": _config_dict(cfg),
        "decay": resolve_decay(cfg, len(data[0])),
        "batch_size": f["batch_size"],
        "tf_over_tb": ratio,
        "status": bad[0]["status"] if bad else "ok",
        "message": bad[0]["message"] if bad else "",
        "runs": {k: _public(v) for k, v in runs.items()},
        **(notes or {}),
    }
    out = pathlib.Path(cfg.out_dir)
    png_path = _plot_or_skip(
        runs,
        out / f"compare_{cfg.model}.png",
        f"{cfg.model}: forward gradient vs backprop ({cfg.optimizer}, lr={cfg.lr:g}, "
        f"decay={payload['decay']:.3g}, batch {f['batch_size']})",
        payload,
    )
    json_path = write_json(out / f"compare_{cfg.model}.json", payload)
    return runs, ratio, json_path, png_path


__all__ = ["TrainConfig", "train", "run_train", "run_compare", "plot", "METHODS", "BACKENDS", "DISTRIBUTIONS"]
