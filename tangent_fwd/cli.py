"""``tangent-fwd``: forward-gradient training on MNIST from the command line.

tangent-fwd train --model logreg --method forward --optimizer sgd --epochs 5 --lr 1e-3
tangent-fwd compare --model logreg --epochs 20
tangent-fwd data mnist --download ~/mnist
"""

import argparse
import math
import sys


def _positive_float(name):
    def parse(text):
        try:
            v = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{name} must be a number, got {text!r}") from None
        if not math.isfinite(v) or v <= 0:
            raise argparse.ArgumentTypeError(f"{name} must be a positive number, got {text!r}")
        return v

    return parse


def _nonneg_float(name):
    def parse(text):
        try:
            v = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"{name} must be a number{' or auto' if name == '--decay' else ''}, got {text!r}"
            ) from None
        if not math.isfinite(v) or v < 0:
            raise argparse.ArgumentTypeError(
                f"{name} must be a non-negative number or 'auto', got {text!r}"
                if name == "--decay"
                else f"{name} must be a non-negative number, got {text!r}"
            )
        return v

    return parse


def _decay(text):
    if text == "auto":
        return "auto"
    return _nonneg_float("--decay")(text)


def _positive_int(name):
    def parse(text):
        try:
            v = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{name} must be an integer, got {text!r}") from None
        if v < 1:
            raise argparse.ArgumentTypeError(f"{name} must be a positive integer, got {text!r}")
        return v

    return parse


# lr / decay / epochs defaults per model for `compare` (and `train`), tuned on the bundled subset
DEFAULTS = {
    "logreg": {"lr": 3e-3, "decay": "auto", "epochs": 1000},
    "mlp": {"lr": 3e-4, "decay": 0.0, "epochs": 5},
    "cnn": {"lr": 1e-3, "decay": 0.0, "epochs": 5},
}


def _add_training_args(p, with_method):
    from .training.forward_gradient import DISTRIBUTIONS
    from .training.models import MODEL_NAMES
    from .training.optim import OPTIMIZERS
    from .training.runner import BACKENDS, METHODS

    p.add_argument("--model", choices=MODEL_NAMES, default="logreg", help="model (default logreg)")
    if with_method:
        p.add_argument(
            "--method",
            choices=METHODS,
            default="forward",
            help="forward gradients or the hand-written backprop baseline (default forward)",
        )
    p.add_argument("--optimizer", choices=OPTIMIZERS, default="sgd", help="default sgd (the paper's Algorithm 1)")
    p.add_argument("--backend", choices=BACKENDS, default="auto", help="array backend for the JVP (default auto)")
    p.add_argument("--epochs", type=_positive_int("--epochs"), default=None, help="default: per model")
    p.add_argument("--lr", type=_positive_float("--lr"), default=None, help="η_0 (default: per model)")
    p.add_argument(
        "--decay",
        type=_decay,
        default=None,
        help="k in η_i = η_0·exp(-i·k) per step, or 'auto' for ln(100)/total steps (η falls 100x "
        "over the run); default: auto for logreg, 0 (constant rate) for mlp and cnn",
    )
    p.add_argument("--batch-size", type=_positive_int("--batch-size"), default=64, help="default 64")
    p.add_argument(
        "--directions",
        type=_positive_int("--directions"),
        default=1,
        help="random directions (JVPs) per step, K (default 1)",
    )
    p.add_argument("--distribution", choices=DISTRIBUTIONS, default="normal", help="direction distribution")
    p.add_argument(
        "--rank",
        type=_positive_int("--rank"),
        default=None,
        help="low-rank directions: each weight matrix gets v = (1/sqrt(r)) sum of r outer products "
        "u w^T, so a JVP through x @ W costs O(B(m+n)r) instead of O(Bmn); default: dense "
        "directions (see docs/lowrank.md)",
    )
    p.add_argument(
        "--vectorized",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="compute the K directional derivatives in one vector-mode JVP pass (default: when K > 1)",
    )
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--data-dir", default=None, help="folder with the 4 MNIST IDX files (default: bundled 5k subset)")
    p.add_argument("--out-dir", default="runs", help="where the JSON and PNG go (default ./runs)")
    p.add_argument("--width", type=_positive_int("--width"), default=None, help="MLP hidden width (default 1024)")
    p.add_argument(
        "--channels", type=_positive_int("--channels"), default=None, help="CNN conv channels (default 16; paper 64)"
    )
    p.add_argument(
        "--hidden", type=_positive_int("--hidden"), default=None, help="CNN dense width (default 128; paper 1024)"
    )
    p.add_argument(
        "--max-steps", type=_positive_int("--max-steps"), default=None, help="stop each run after this many steps"
    )
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument(
        "--no-malloc-tuning",
        action="store_true",
        help="leave glibc's allocator thresholds alone (by default they are raised so that large "
        "per-step temporaries are reused, not page-faulted back every step)",
    )


def build_parser():
    parser = argparse.ArgumentParser(
        prog="tangent-fwd",
        description="Forward-gradient training (Baydin et al. 2022) with tangent_fwd's source-transformed JVPs.",
    )
    sub = parser.add_subparsers(dest="command", metavar="{train,compare,data}")
    sub.required = True
    t = sub.add_parser("train", help="train one model with forward gradients or backprop")
    _add_training_args(t, with_method=True)
    t.add_argument(
        "--distributed",
        action="store_true",
        help="data-parallel over MPI (mpirun -n N tangent-fwd train --distributed ...); see docs/distributed.md",
    )
    from .training.distributed import add_distributed_arguments

    add_distributed_arguments(t)
    c = sub.add_parser("compare", help="forward gradients vs backprop at the same settings, plotted together")
    _add_training_args(c, with_method=False)
    d = sub.add_parser("data", help="datasets")
    d.add_argument("dataset", choices=["mnist"])
    d.add_argument(
        "--download",
        metavar="DIR",
        default=None,
        help="download the full MNIST (60k/10k) into DIR, verifying sha256 sums",
    )
    d.add_argument("--base-url", default=None, help="mirror to download from")
    return parser


def _config(args, method):
    from .training.runner import TrainConfig

    defaults = DEFAULTS[args.model]
    return TrainConfig(
        model=args.model,
        method=method,
        optimizer=args.optimizer,
        backend=args.backend,
        epochs=args.epochs or defaults["epochs"],
        lr=args.lr if args.lr is not None else defaults["lr"],
        decay=_resolve_decay_arg(args.decay if args.decay is not None else defaults["decay"]),
        batch_size=args.batch_size,
        directions=args.directions,
        distribution=args.distribution,
        seed=args.seed,
        data_dir=args.data_dir,
        out_dir=args.out_dir,
        width=args.width,
        channels=args.channels,
        hidden=args.hidden,
        max_steps=args.max_steps,
        vectorized=args.vectorized,
        rank=args.rank,
    )


def _resolve_decay_arg(value):
    return None if value == "auto" else value  # None: the runner computes ln(100) / total steps


def _summary(label, r, out):
    acc = r["final_test_accuracy"]
    acc_s = f"{100 * acc:.2f}%" if acc is not None else "n/a"
    st = f"{1000 * r['step_time']:.3f} ms/step" if r["step_time"] else "n/a"
    print(f"{label}: test accuracy {acc_s} after {r['steps']} steps, {r['train_time']:.1f} s training, {st}", file=out)


def main(argv=None):
    """Entry point of the ``tangent-fwd`` command. Returns the exit status (0 ok, 1 diverged / data
    error, 2 usage error)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    out = sys.stdout
    if args.command == "data":
        return _data(args, parser)
    from .data import DataError

    progress = not args.no_progress
    if not args.no_malloc_tuning:
        from .training.allocator import tune

        tune()  # large per-step temporaries are reused instead of page-faulted each step
    try:
        if args.command == "train" and args.distributed:
            from .training.distributed import DistributedError, config_from_train_config, report, run_distributed

            try:
                dcfg = config_from_train_config(_config(args, args.method), args)
                return report(run_distributed(dcfg), dcfg)
            except (DistributedError, ValueError) as e:
                print(f"tangent-fwd: {e}", file=sys.stderr)
                return 1
        if args.command == "train":
            from .training.runner import run_train

            cfg = _valid(_config(args, args.method), parser)
            r, jpath, ppath = run_train(cfg, progress=progress)
            _summary(f"{cfg.model} {cfg.method} {cfg.optimizer}", r, out)
            status = r["status"]
            message = r["message"]
        else:
            from .training.runner import run_compare

            cfg = _valid(_config(args, "forward"), parser)
            runs, ratio, jpath, ppath = run_compare(cfg, progress=progress)
            for m, r in runs.items():
                _summary(f"{cfg.model} {m:8s}", r, out)
            if ratio is not None:
                print(f"T_f/T_b (forward-gradient step time / backprop step time): {ratio:.2f}", file=out)
            bad = [r for r in runs.values() if r["status"] != "ok"]
            status = "diverged" if bad else "ok"
            message = bad[0]["message"] if bad else ""
    except DataError as e:
        print(f"tangent-fwd: data error: {e}", file=sys.stderr)
        return 1
    print(f"wrote {jpath} and {ppath}", file=out)
    if status != "ok":
        print(f"tangent-fwd: stopped: {message}", file=sys.stderr)
        return 1
    return 0


def _valid(cfg, parser):
    """The configuration, or a usage error (exit status 2) naming what is inconsistent."""
    try:
        return cfg.validate()
    except ValueError as e:
        parser.error(str(e))


def _data(args, parser):
    from .data import DataError, download_mnist, load_mnist
    from .data.download import DEFAULT_BASE_URL

    if args.download is None:
        try:
            x, y, xt, yt = load_mnist()
        except DataError as e:
            print(f"tangent-fwd: data error: {e}", file=sys.stderr)
            return 1
        print(
            f"bundled MNIST subset: {len(x)} train / {len(xt)} test images, checksums OK "
            f"(use --download DIR for the full 60,000 / 10,000)"
        )
        return 0
    try:
        dest = download_mnist(
            args.download, base_url=args.base_url or DEFAULT_BASE_URL, progress=lambda m: print(m, file=sys.stderr)
        )
        x, y, xt, yt = load_mnist(dest)
    except DataError as e:
        print(f"tangent-fwd: data error: {e}", file=sys.stderr)
        return 1
    print(f"MNIST in {dest}: {len(x)} train / {len(xt)} test images, sha256 verified; train with --data-dir {dest}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
