"""Train MNIST with forward gradients through the library API (what `tangent-fwd train` does, in ~40 lines).

    python examples/train_mnist.py                      # logreg, forward-gradient SGD, 30 epochs
    python examples/train_mnist.py --model mlp --width 256 --epochs 2 --lr 2e-4
    python examples/train_mnist.py --backprop           # the hand-written backprop baseline instead

The loss is an ordinary NumPy function (tangent_fwd/training/models.py); forward gradients come from one
tangent_fwd.jvp per step on its source, with no backward pass.
"""

import argparse
import time

import numpy as np

from tangent_fwd.data import load_mnist
from tangent_fwd.training import SGD, get_model
from tangent_fwd.training.models import accuracy


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--model", choices=["logreg", "mlp", "cnn"], default="logreg")
    p.add_argument("--width", type=int, default=None, help="MLP width")
    p.add_argument("--epochs", type=int, default=30)
    p.add_argument("--lr", type=float, default=3e-3)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--backprop", action="store_true", help="use the hand-written backprop gradients")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--data-dir", default=None)
    args = p.parse_args(argv)

    x, y, xt, yt = load_mnist(args.data_dir)
    model = get_model(args.model)
    params = model.init(args.seed, **({"width": args.width} if args.width else {}))
    opt = SGD(model.loss, params, lr=args.lr, rng=args.seed, grad_fn=model.loss_and_grad if args.backprop else None)
    rng = np.random.default_rng(args.seed)
    start = time.perf_counter()
    for epoch in range(args.epochs):
        order = rng.permutation(len(x))
        losses = [opt.step(x[i], y[i]) for i in np.array_split(order, len(x) // args.batch_size)]
        print(
            f"epoch {epoch + 1:3d}  loss {np.mean(losses):.4f}  test accuracy "
            f"{accuracy(model, params, xt, yt):.4f}  ({time.perf_counter() - start:.1f} s)"
        )
    return accuracy(model, params, xt, yt)


if __name__ == "__main__":
    main()
