"""The training options shared by ``tangent-fwd train``/``compare`` (cli.py) and the distributed runner
(training/distributed.py): one definition, imported by both, so neither imports the other."""

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


# lr / decay / epochs defaults per model for `compare` (and `train`), tuned on the bundled subset
DEFAULTS = {
    "logreg": {"lr": 3e-3, "decay": "auto", "epochs": 1000},
    "mlp": {"lr": 3e-4, "decay": 0.0, "epochs": 5},
    "cnn": {"lr": 1e-3, "decay": 0.0, "epochs": 5},
}


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
