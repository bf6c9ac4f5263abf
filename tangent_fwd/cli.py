"""``tangent-fwd``: forward-gradient training on MNIST from the command line.

tangent-fwd train --model logreg --method forward --optimizer sgd --epochs 5 --lr 1e-3
tangent-fwd compare --model logreg --epochs 20
tangent-fwd data mnist --download ~/mnist

Exit status: 0 ok; 1 the run diverged, or a data / distributed error; 2 a usage error (including an output
folder that cannot be written and a checkpoint that would be overwritten), reported before any work;
128 + N when signal N stopped the run (130 for Ctrl-C) after its results were saved.
"""

import argparse
import sys

from .training.options import (
    add_distributed_arguments,
    add_local_loss_args,
    add_training_args,
    check_distributed_usage,
    distributed_options_given,
    local_loss_options_given,
    run_notes,
    train_config_kwargs,
)


def build_parser():
    parser = argparse.ArgumentParser(
        prog="tangent-fwd",
        description="Forward-gradient training (Baydin et al. 2022) with tangent_fwd's source-transformed JVPs.",
        epilog="exit status: 0 done; 1 diverged, or a data error; 2 a usage error (found before any work); "
        "128+N stopped by signal N (130: Ctrl-C) after saving the results",
    )
    sub = parser.add_subparsers(dest="command", metavar="{train,compare,data}")
    sub.required = True
    t = sub.add_parser("train", help="train one model with forward gradients or backprop")
    add_training_args(t, with_method=True)
    add_local_loss_args(t)
    t.add_argument(
        "--distributed",
        action="store_true",
        help="data-parallel over MPI (mpirun -n N tangent-fwd train --distributed ...); see docs/distributed.md",
    )
    add_distributed_arguments(t)
    c = sub.add_parser("compare", help="forward gradients vs backprop at the same settings, plotted together")
    add_training_args(c, with_method=False)
    add_local_loss_args(c)
    d = sub.add_parser("data", help="datasets")
    d.add_argument("dataset", choices=["mnist"])
    d.add_argument(
        "--download",
        metavar="DIR",
        default=None,
        help="download the full MNIST (60k/10k) into DIR, verifying sha256 sums",
    )
    d.add_argument("--base-url", default=None, help="mirror to download from (http://, https:// or file://)")
    parser.commands = {"train": t, "compare": c, "data": d}  # usage errors print the command's own usage
    return parser


def _summary(label, r, out):
    acc = r["final_test_accuracy"]
    acc_s = f"{100 * acc:.2f}%" if acc is not None else "n/a"
    st = f"{1000 * r['step_time']:.3f} ms/step" if r["step_time"] else "n/a"
    print(f"{label}: test accuracy {acc_s} after {r['steps']} steps, {r['train_time']:.1f} s training, {st}", file=out)


def _error(message, status):
    print(f"tangent-fwd: {message}", file=sys.stderr, flush=True)
    return status


def main(argv=None):
    """Entry point of the ``tangent-fwd`` command; returns the exit status (see the module docstring)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    sub = parser.commands[args.command]
    if args.command == "data":
        return _data(args, sub)
    distributed = args.command == "train" and args.distributed
    cfg = _config(args, sub, distributed)

    from .data import DataError
    from .training.device import DeviceError
    from .training.files import OutputError, check_writable_dir
    from .training.interrupt import STOP, stop_on_signals
    from .training.runner import plotting_available

    notes = run_notes(args)
    if distributed:
        return _distributed(cfg, notes)
    try:
        check_writable_dir(cfg.out_dir, "--out-dir")  # before hours of training, not after
    except OutputError as e:
        return _error(f"error: {e}", 2)
    if not plotting_available():
        print(
            "tangent-fwd: warning: matplotlib is not installed, so no plot will be drawn "
            "(pip install 'tangent_fwd[train]' installs it); the JSON is written as usual",
            file=sys.stderr,
            flush=True,
        )
    out = sys.stdout
    progress = not args.no_progress
    try:
        with stop_on_signals():
            if args.command == "train":
                from .training.runner import run_train

                r, jpath, ppath = run_train(cfg, progress=progress, notes=notes)
                _summary(f"{cfg.model} {cfg.method} {cfg.optimizer}", r, out)
                status, message = r["status"], r["message"]
            else:
                from .training.runner import run_compare

                runs, ratio, jpath, ppath = run_compare(cfg, progress=progress, notes=notes)
                for m, r in runs.items():
                    _summary(f"{cfg.model} {m:8s}", r, out)
                if ratio is not None:
                    print(f"T_f/T_b (forward-gradient step time / backprop step time): {ratio:.2f}", file=out)
                bad = [r for r in runs.values() if r["status"] != "ok"]
                status = bad[0]["status"] if bad else "interrupted" if STOP.requested else "ok"
                message = bad[0]["message"] if bad else STOP.message(runs["forward"]["steps"])
    except DataError as e:
        return _error(f"data error: {e}", 1)
    except DeviceError as e:  # --backend cupy without CuPy, without a device, or short of device memory
        return _error(f"error: {e}", 1)
    print(f"wrote {jpath}" + (f" and {ppath}" if ppath else " (no plot: matplotlib is not installed)"), file=out)
    if status == "interrupted":
        print(f"tangent-fwd: stopped: {message}; the results so far are saved", file=sys.stderr)
        return STOP.exit_status or 130
    if status != "ok":
        return _error(f"stopped: {message}", 1)
    return 0


def _config(args, sub, distributed):
    """The run's configuration, or a usage error (exit status 2, with the command's usage) naming what is
    inconsistent. Options that the run would not use are refused, not ignored."""
    if args.command == "train" and not distributed:
        given = distributed_options_given(sub, args)
        if given:
            sub.error(f"{', '.join(given)} only apply with --distributed")
    if distributed and local_loss_options_given(args):
        sub.error(
            f"{', '.join(local_loss_options_given(args))}: not supported with --distributed (its ranks exchange "
            "K scalars per step, which needs weight directions shared by all ranks; activity perturbation "
            "draws a direction per example)"
        )
    if distributed:
        problem = check_distributed_usage(args)
        if problem:
            sub.error(problem)
    try:
        if distributed:
            from .training.distributed import config_from_args

            return config_from_args(args, args.method).validate()
        from .training.runner import TrainConfig

        method = args.method if args.command == "train" else "forward"
        return TrainConfig(**train_config_kwargs(args, method)).validate()
    except ValueError as e:
        sub.error(str(e))


def _distributed(cfg, notes):
    from .data import DataError
    from .training.distributed import DistributedError, SetupError, report, run_distributed

    try:
        return report(run_distributed(cfg, notes=notes), cfg)
    except SetupError as e:
        return _error(f"error: {e}", 2)
    except DataError as e:
        return _error(f"data error: {e}", 1)
    except (DistributedError, ValueError) as e:
        return _error(str(e), 1)


def _data(args, sub):
    from .data import DataError, download_mnist, load_mnist
    from .data.download import DEFAULT_BASE_URL

    if args.download is None:
        if args.base_url is not None:
            sub.error("--base-url only applies with --download DIR")
        try:
            x, y, xt, yt = load_mnist()
        except DataError as e:
            return _error(f"data error: {e}", 1)
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
        return _error(f"data error: {e}", 1)
    print(f"MNIST in {dest}: {len(x)} train / {len(xt)} test images, sha256 verified; train with --data-dir {dest}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
