"""The training options shared by ``tangent-fwd train``/``compare`` (cli.py) and the distributed runner
(training/distributed.py): one definition of each option, its default and how the parsed options become
a configuration (:func:`train_config_kwargs`, :func:`distributed_kwargs`), imported by both, so the two
entry points cannot drift apart."""

import argparse
import math


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


def _nonneg_int(name):
    def parse(text):
        try:
            v = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{name} must be an integer, got {text!r}") from None
        if v < 0:
            raise argparse.ArgumentTypeError(f"{name} must be a non-negative integer, got {text!r}")
        return v

    return parse


# lr / decay / epochs defaults per model for `compare` (and `train`), tuned on the bundled subset
DEFAULTS = {
    "logreg": {"lr": 3e-3, "decay": "auto", "epochs": 1000},
    "mlp": {"lr": 3e-4, "decay": 0.0, "epochs": 5},
    "cnn": {"lr": 1e-3, "decay": 0.0, "epochs": 5},
}


def _devices(text):
    from .device import parse_devices

    try:
        return parse_devices(text)
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def add_training_args(p, with_method):
    from .forward_gradient import DISTRIBUTIONS
    from .models import MODEL_NAMES
    from .optim import OPTIMIZERS
    from .runner import BACKENDS, METHODS

    p.add_argument("--model", choices=MODEL_NAMES, default="logreg", help="model (default logreg)")
    if with_method:
        p.add_argument(
            "--method",
            choices=METHODS,
            default="forward",
            help="forward gradients or the hand-written backprop baseline (default forward)",
        )
    p.add_argument("--optimizer", choices=OPTIMIZERS, default="sgd", help="default sgd (the paper's Algorithm 1)")
    p.add_argument(
        "--backend",
        choices=BACKENDS,
        default="auto",
        help="array backend of the whole run: numpy (host) or cupy (data, parameters, optimizer state and "
        "directions on the GPU); auto: numpy for host data (default auto)",
    )
    p.add_argument(
        "--devices",
        type=_devices,
        default=None,
        metavar="I,J,...",
        help="CUDA devices for --backend cupy: process (MPI rank on a node) r uses the (r mod count)-th; "
        "default: device r mod the number of devices",
    )
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
    p.add_argument("--seed", type=_nonneg_int("--seed"), default=0, help="random seed, >= 0 (default 0)")
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
    p.add_argument(
        "--no-progress",
        action="store_true",
        help="no progress output (by default: a bar on a terminal, a plain line every few seconds otherwise)",
    )
    p.add_argument(
        "--no-malloc-tuning",
        action="store_true",
        help="leave glibc's allocator thresholds alone (by default they are raised so that large "
        "per-step temporaries are reused, not page-faulted back every step)",
    )


def add_local_loss_args(p):
    """Activity perturbation and local losses (issue 18, docs/local_losses.md): ``tangent-fwd train`` and
    ``compare`` only (the MPI trainer exchanges K scalars per step, which needs weight-space directions
    shared by all ranks; ``train --distributed`` refuses these options)."""
    p.add_argument(
        "--perturb",
        choices=("weights", "activations"),
        default="weights",
        help="what forward gradients perturb: the weights (the paper's estimator) or each example's "
        "pre-activations (Ren et al. 2023; mlp and cnn); default weights",
    )
    p.add_argument(
        "--local-losses",
        action="store_true",
        help="a linear 10-way head per block and stop-gradient between blocks (mlp, cnn); with --method "
        "backprop the same local losses trained by their local backward passes",
    )
    p.add_argument(
        "--heads",
        choices=("fg", "exact"),
        default=None,
        help="with --perturb activations --local-losses: the heads and output layer get forward-gradient "
        "estimates (fg) or their exact local gradient, softmax minus one-hot (default exact)",
    )


LOCAL_LOSS_FLAGS = ("--perturb", "--local-losses", "--heads")


def local_loss_options_given(args):
    """The activity-perturbation / local-loss flags given with values other than their defaults."""
    given = [
        ("--perturb", getattr(args, "perturb", "weights") != "weights"),
        ("--local-losses", getattr(args, "local_losses", False)),
        ("--heads", getattr(args, "heads", None) is not None),
    ]
    return [flag for flag, on in given if on]


def train_config_kwargs(args, method):
    """The :class:`~tangent_fwd.training.runner.TrainConfig` fields from parsed :func:`add_training_args`
    options, with the per-model defaults filled in (the one place that does it)."""
    defaults = DEFAULTS[args.model]
    decay = args.decay if args.decay is not None else defaults["decay"]
    return dict(
        model=args.model,
        method=method,
        optimizer=args.optimizer,
        backend=args.backend,
        epochs=args.epochs or defaults["epochs"],
        lr=args.lr if args.lr is not None else defaults["lr"],
        decay=None if decay == "auto" else decay,  # None: the runner computes ln(100) / total steps
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
        devices=args.devices,
        perturb=getattr(args, "perturb", "weights"),  # absent from the MPI trainer's parser
        local_losses=getattr(args, "local_losses", False),
        heads=getattr(args, "heads", None),
    )


# ------------------------------------------------------------------------------------ distributed options
FAIL_MODES = ("exit", "hang", "corrupt")


def add_distributed_arguments(parser):
    """The distributed-only options (``tangent-fwd train --distributed`` and ``python -m
    tangent_fwd.training.distributed``). ``tangent-fwd train`` without ``--distributed`` refuses them."""
    g = parser.add_argument_group("distributed (MPI)")
    g.add_argument("--checkpoint-dir", default=None, help="folder for checkpoint.npz/.json (default: none)")
    g.add_argument(
        "--checkpoint-every",
        type=_nonneg_int("--checkpoint-every"),
        default=0,
        metavar="N",
        help="checkpoint every N steps (and always at exit when --checkpoint-dir is set)",
    )
    g.add_argument(
        "--check-every",
        type=_nonneg_int("--check-every"),
        default=50,
        metavar="N",
        help="compare the ranks' parameter checksums every N steps (default 50; 0: at the end only)",
    )
    g.add_argument("--resume", action="store_true", help="continue from the checkpoint in --checkpoint-dir")
    g.add_argument(
        "--overwrite",
        action="store_true",
        help="start afresh even though --checkpoint-dir holds a checkpoint (it is replaced)",
    )
    g.add_argument(
        "--timeout",
        type=_positive_float("--timeout"),
        default=120.0,
        metavar="S",
        help="seconds to wait for the other ranks in a collective before aborting the job (default 120)",
    )
    g.add_argument(
        "--threads-per-rank",
        type=_positive_int("--threads-per-rank"),
        default=None,
        metavar="N",
        help="BLAS/OpenMP threads per rank (default: the cores this process may use divided by the ranks "
        "on its node, so that the ranks do not oversubscribe the cores)",
    )
    g.add_argument(
        "--n-train",
        type=_positive_int("--n-train"),
        default=None,
        metavar="N",
        help="use only the first N training images",
    )
    g.add_argument(
        "--save-params",
        default=None,
        metavar="PATH",
        help="write the final parameters (npz); '{rank}' in PATH is replaced by the rank, otherwise rank 0 writes it",
    )
    g.add_argument("--no-eval", action="store_true", help="skip the final test accuracy")
    g.add_argument("--fail-at-step", type=_positive_int("--fail-at-step"), default=None, help=argparse.SUPPRESS)
    g.add_argument("--fail-rank", type=_nonneg_int("--fail-rank"), default=1, help=argparse.SUPPRESS)  # tests only
    g.add_argument("--fail-mode", choices=FAIL_MODES, default="exit", help=argparse.SUPPRESS)
    return g


def distributed_kwargs(args):
    """The distributed fields of :class:`~tangent_fwd.training.distributed.DistributedConfig` from parsed
    :func:`add_distributed_arguments` options."""
    return dict(
        checkpoint_dir=args.checkpoint_dir,
        checkpoint_every=args.checkpoint_every,
        check_every=args.check_every,
        resume=args.resume,
        overwrite=args.overwrite,
        timeout=args.timeout,
        threads_per_rank=args.threads_per_rank,
        n_train=args.n_train,
        save_params=args.save_params,
        evaluate=not args.no_eval,
        fail_at_step=args.fail_at_step,
        fail_rank=args.fail_rank,
        fail_mode=args.fail_mode,
    )


def distributed_options_given(parser, args):
    """The distributed-only options given on the command line (values other than their defaults), as
    their flags: ``tangent-fwd train`` refuses them without ``--distributed`` instead of ignoring them."""
    group = next(g for g in parser._action_groups if g.title == "distributed (MPI)")
    return [a.option_strings[0] for a in group._group_actions if getattr(args, a.dest) != a.default]


def check_distributed_usage(args):
    """Combinations argparse cannot express; returns the message of a usage error, or None."""
    if args.resume and not args.checkpoint_dir:
        return "--resume needs --checkpoint-dir (the folder holding the checkpoint to continue from)"
    for flag, given in (("--checkpoint-every", args.checkpoint_every), ("--overwrite", args.overwrite)):
        if given and not args.checkpoint_dir:
            return f"{flag} needs --checkpoint-dir (where the checkpoints go)"
    if args.resume and args.overwrite:
        return "--resume and --overwrite exclude each other: continue the checkpoint, or replace it"
    return None


def run_notes(args):
    """The output settings a run records next to its configuration (``"progress"``, ``"malloc_tuning"``),
    after applying the allocator tuning unless ``--no-malloc-tuning``."""
    notes = {"progress": not args.no_progress, "malloc_tuning": "off (--no-malloc-tuning)"}
    if not args.no_malloc_tuning:
        from .allocator import tune

        notes["malloc_tuning"] = tune()  # large per-step temporaries are reused instead of page-faulted each step
    return notes
