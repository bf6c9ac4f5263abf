"""Models for the forward-gradient experiments: init + logits + softmax cross-entropy loss.

Every loss here is a plain module-level NumPy function of ``(params, x, y)`` with ``params`` a dict of
arrays, written in the NumPy subset that ``tangent_fwd`` differentiates, so the same function serves the
forward-gradient optimizers (through ``tangent_fwd.jvp``) and, for comparison, the hand-written backward
passes in :mod:`tangent_fwd.training.backprop`.

* ``logreg``: multinomial logistic regression, 784 -> 10.
* ``mlp``: 784 -> width -> width -> 10 with ReLU (paper: width 1024).
* ``cnn``: 3x3 conv (``channels``), ReLU, 2x2 max-pool, dense ``hidden``, ReLU, dense 10
  (paper: 64 channels, hidden 1024; the CPU default is 16 / 128).
"""

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view


# ---------------------------------------------------------------------------------------------- losses
# Each *_loss is the model's logits followed by the stable log-sum-exp cross-entropy; tangent_fwd
# transforms the calls into these helpers like any user code.
def softmax_cross_entropy(logits, y):
    """Mean cross-entropy of integer labels ``y`` under softmax(logits)."""
    s = logits - logits.max(axis=1, keepdims=True)
    logp = s - np.log(np.exp(s).sum(axis=1, keepdims=True))
    return -logp[np.arange(logits.shape[0]), y].mean()


def logreg_logits(params, x):
    return x @ params["W"] + params["b"]


def logreg_loss(params, x, y):
    return softmax_cross_entropy(logreg_logits(params, x), y)


def mlp_logits(params, x):
    h1 = np.maximum(x @ params["W1"] + params["b1"], 0)
    h2 = np.maximum(h1 @ params["W2"] + params["b2"], 0)
    return h2 @ params["W3"] + params["b3"]


def mlp_loss(params, x, y):
    return softmax_cross_entropy(mlp_logits(params, x), y)


def cnn_logits(params, x):
    n = x.shape[0]
    c = params["K"].shape[2]
    patches = sliding_window_view(x.reshape(n, 28, 28), (3, 3), axis=(1, 2))  # (n, 26, 26, 3, 3)
    conv = (patches.reshape(n * 676, 9) @ params["K"].reshape(9, c)).reshape(n, 26, 26, c) + params["bk"]
    a = np.maximum(conv, 0)
    pooled = a.reshape(n, 13, 2, 13, 2, c).max(axis=4).max(axis=2)  # 2x2 max-pool
    h = np.maximum(pooled.reshape(n, 13 * 13 * c) @ params["W1"] + params["b1"], 0)
    return h @ params["W2"] + params["b2"]


def cnn_loss(params, x, y):
    return softmax_cross_entropy(cnn_logits(params, x), y)


# ---------------------------------------------------------------------------------------------- init
def _rng(rng):
    return rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)


def _he(rng, fan_in, shape, dtype):
    return (rng.standard_normal(shape) * np.sqrt(2.0 / fan_in)).astype(dtype)


def _glorot(rng, fan_in, fan_out, shape, dtype):
    return (rng.standard_normal(shape) * np.sqrt(2.0 / (fan_in + fan_out))).astype(dtype)


def logreg_init(rng=0, n_in=784, n_out=10, dtype=np.float32):
    return {"W": np.zeros((n_in, n_out), dtype), "b": np.zeros(n_out, dtype)}


def mlp_init(rng=0, width=1024, n_in=784, n_out=10, dtype=np.float32):
    r = _rng(rng)
    return {
        "W1": _he(r, n_in, (n_in, width), dtype),
        "b1": np.zeros(width, dtype),
        "W2": _he(r, width, (width, width), dtype),
        "b2": np.zeros(width, dtype),
        "W3": _glorot(r, width, n_out, (width, n_out), dtype),
        "b3": np.zeros(n_out, dtype),
    }


def cnn_init(rng=0, channels=16, hidden=128, n_out=10, dtype=np.float32):
    r = _rng(rng)
    flat = 13 * 13 * channels
    return {
        "K": _he(r, 9, (3, 3, channels), dtype),
        "bk": np.zeros(channels, dtype),
        "W1": _he(r, flat, (flat, hidden), dtype),
        "b1": np.zeros(hidden, dtype),
        "W2": _glorot(r, hidden, n_out, (hidden, n_out), dtype),
        "b2": np.zeros(n_out, dtype),
    }


# -------------------------------------------------------------------------------------------- registry
class Model:
    """A named model: ``init(rng, **size)``, ``loss(params, x, y)``, ``logits(params, x)`` and the
    hand-written ``loss_and_grad(params, x, y) -> (loss, grads)`` baseline. ``any_logits`` is the same
    forward pass written against the inputs' namespace (for evaluation on a device: the NumPy-coded
    ``logits`` is what tangent_fwd differentiates, and calling it on device arrays would go through
    NumPy)."""

    def __init__(self, name, init, loss, logits, loss_and_grad, defaults, paper, any_logits=None):
        self.name, self.init, self.loss, self.logits = name, init, loss, logits
        self.loss_and_grad = loss_and_grad
        self.defaults, self.paper = defaults, paper
        self.any_logits = any_logits or logits

    def __repr__(self):
        return f"<Model {self.name}>"


def _registry():
    from . import backprop

    return {
        "logreg": Model(
            "logreg",
            logreg_init,
            logreg_loss,
            logreg_logits,
            backprop.logreg_loss_and_grad,
            {},
            {},
            backprop.logreg_logits,
        ),
        "mlp": Model(
            "mlp",
            mlp_init,
            mlp_loss,
            mlp_logits,
            backprop.mlp_loss_and_grad,
            {"width": 1024},
            {"width": 1024},
            backprop.mlp_logits,
        ),
        "cnn": Model(
            "cnn",
            cnn_init,
            cnn_loss,
            cnn_logits,
            backprop.cnn_loss_and_grad,
            {"channels": 16, "hidden": 128},
            {"channels": 64, "hidden": 1024},
            backprop.cnn_logits,
        ),
    }


MODEL_NAMES = ("logreg", "mlp", "cnn")


def get_model(name):
    """The :class:`Model` called ``name`` (one of ``MODEL_NAMES``)."""
    if name not in MODEL_NAMES:
        raise ValueError(f"unknown model {name!r}; valid models: {', '.join(MODEL_NAMES)}")
    return _registry()[name]


def predict(model, params, x, batch_size=1000):
    """Class predictions, in batches."""
    out = [np.argmax(model.logits(params, x[i : i + batch_size]), axis=1) for i in range(0, len(x), batch_size)]
    return np.concatenate(out) if out else np.zeros(0, np.int64)


def loss_on_namespace(model, params, x, y):
    """``model.loss`` computed with the inputs' own namespace (NumPy or CuPy): the primal ``f`` of a
    device benchmark, without going through NumPy's dispatch to CuPy."""
    logits = model.any_logits(params, x)
    xp = np if isinstance(logits, np.ndarray) else _namespace(logits)
    s = logits - logits.max(axis=1, keepdims=True)
    logp = s - xp.log(xp.exp(s).sum(axis=1, keepdims=True))
    return -logp[xp.arange(logits.shape[0]), y].mean()


def _namespace(a):
    from .pytree import namespace

    return namespace(a)


def accuracy(model, params, x, y, batch_size=1000):
    """The fraction of ``x`` classified as ``y``. On a device the count is accumulated there and read
    back once (one scalar transfer per call)."""
    if isinstance(x, np.ndarray):
        return float(np.mean(predict(model, params, x, batch_size) == y))
    if len(x) == 0:
        return float("nan")
    correct = None
    for i in range(0, len(x), batch_size):
        hits = (model.any_logits(params, x[i : i + batch_size]).argmax(axis=1) == y[i : i + batch_size]).sum()
        correct = hits if correct is None else correct + hits
    return float(correct.get()) / len(x)
