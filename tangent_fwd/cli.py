"""``tangent-fwd``: forward-gradient training on MNIST from the command line.

tangent-fwd train --model logreg --method forward --optimizer sgd --epochs 5 --lr 1e-3
tangent-fwd compare --model logreg --epochs 20
tangent-fwd data mnist --download ~/mnist
"""

import argparse
import sys

from .training.options import DEFAULTS
from .training.options import add_training_args as _add_training_args


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
