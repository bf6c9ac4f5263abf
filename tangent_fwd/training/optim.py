"""Optimizers over pytrees of arrays (NumPy, or a device backend's such as CuPy's), updating the
parameters IN PLACE. The optimizer state (momentum, Adam moments) and scratch buffers are allocated in
the parameters' namespace, so on a device nothing of a step leaves the device.

Each optimizer takes the loss a user writes for backprop, ``loss(params, *batch) -> scalar``, and the
parameters it updates. By default the gradient is a forward gradient (one JVP per random direction, no
backward pass); pass ``grad_fn(params, *batch) -> (loss, grads)`` (e.g. the hand-written backprop
baselines) to use true gradients with the same update rule.

``SGD`` is the paper's Algorithm 1 (Baydin et al. 2022)::

    for i = 0, 1, ...:
        v ~ N(0, I)
        f(θ_i), d = jvp(f, θ_i, v)       # d = ∇f(θ_i)·v, one forward pass
        g = d v
        θ_{i+1} = θ_i - η_i g,   η_i = η_0 e^{-i k}

``Momentum`` (v ← μ v + g; θ ← θ − η_i v) and ``Adam`` (Kingma & Ba, with bias correction; step size η_i)
use the same schedule.
"""

import math

import numpy as np

from .forward_gradient import ForwardGradient
from .pytree import check_backend, check_float_leaves, leaves, map_tree, namespace

OPTIMIZERS = ("sgd", "momentum", "adam")


def _positive(name, value):
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float, np.number))
        or not math.isfinite(value)
        or value <= 0
    ):
        raise ValueError(f"{name} must be a positive number, got {value!r}")
    return float(value)


class Optimizer:
    """Base class: ``step(*batch)`` computes a gradient of ``loss(params, *batch)`` and updates ``params``
    in place; it returns the loss value (before the update). ``update(grads)`` applies given gradients."""

    _fold_lr = False  # SGD: the step size is folded into the forward-gradient estimate itself

    def __init__(
        self,
        loss,
        params,
        lr,
        *,
        decay=0.0,
        grad_fn=None,
        directions=1,
        distribution="normal",
        rng=None,
        jvp_fn=None,
        vectorized=None,
        rank=None,
        backend="auto",
    ):
        self.loss = loss
        self.params = params
        check_float_leaves(params, "parameters", inplace=True)
        check_backend(params, backend)
        self.lr0 = _positive("lr", lr)
        if not isinstance(decay, (int, float, np.number)) or not math.isfinite(decay) or decay < 0:
            raise ValueError(f"decay must be a non-negative number, got {decay!r}")
        self.decay = float(decay)
        self.grad_fn = grad_fn
        self.method = "backprop" if grad_fn is not None else "forward"
        self._fg = (
            None
            if grad_fn is not None
            else ForwardGradient(loss, 0, directions, distribution, rng, jvp_fn, vectorized, rank, backend)
        )
        self.step_count = 0
        self._leaves = leaves(params)
        self.xp = xp = namespace(params)
        # reused buffers: the forward-gradient estimate, and scratch space for the updates
        # C-ordered whatever the parameters' layout: the estimate is written through reshaped views
        self._gbuf = [xp.empty(p.shape, p.dtype) for p in self._leaves] if grad_fn is None else None
        self._scratch = [xp.empty(p.shape, p.dtype) for p in self._leaves]

    @property
    def lr(self):
        """η_i = η_0 e^{-i k} for the current step i."""
        return self.lr0 * math.exp(-self.step_count * self.decay)

    def gradient(self, *batch):
        """``(loss, grads)`` at the current parameters (a forward-gradient estimate unless ``grad_fn``)."""
        if self.grad_fn is not None:
            return self.grad_fn(self.params, *batch)
        return self._fg(self.params, *batch)

    def step(self, *batch):
        """One update from the batch; returns the loss before the update."""
        if self._gbuf is not None and self._fold_lr:  # θ -= (η d) v, without a separate scaling pass
            value = self._fg.estimate_into((self.params,) + batch, self._gbuf, scale=self.lr)
            for p, g in zip(self._leaves, self._gbuf):
                p -= g
            self.step_count += 1
            return value
        if self._gbuf is not None:  # forward gradient written straight into reused buffers
            value = self._fg.estimate_into((self.params,) + batch, self._gbuf)
            self._update_leaves(self._gbuf)
            return value
        value, grads = self.gradient(*batch)
        self.update(grads)
        return value

    def update(self, grads):
        """Apply gradients with the structure of the parameters (dict keys matched by name)."""
        try:
            g = leaves(map_tree(lambda p, gi: gi, self.params, grads))
        except (KeyError, IndexError, TypeError):
            raise ValueError(
                "gradients must have the structure of the parameters "
                f"({_describe(self.params)}), got {_describe(grads)}"
            ) from None
        self._update_leaves([self.xp.asarray(gi, dtype=p.dtype) for p, gi in zip(self._leaves, g)])

    def _update_leaves(self, g):
        lr = self.lr
        for i, (p, gi) in enumerate(zip(self._leaves, g)):
            if gi.shape != p.shape:
                raise ValueError(f"gradient leaf {i} has shape {gi.shape} but the parameter has {p.shape}")
            self._apply(i, p, gi, lr)
        self.step_count += 1

    def _apply(self, i, p, g, lr):
        raise NotImplementedError


class SGD(Optimizer):
    """θ ← θ − η_i g (Algorithm 1 with forward gradients)."""

    _fold_lr = True

    def _apply(self, i, p, g, lr):
        tmp = self._scratch[i]
        self.xp.multiply(g, p.dtype.type(lr), out=tmp)
        p -= tmp


class Momentum(Optimizer):
    """Heavy-ball momentum: b ← μ b + g; θ ← θ − η_i b."""

    def __init__(self, loss, params, lr, *, momentum=0.9, **kw):
        super().__init__(loss, params, lr, **kw)
        if not 0 <= momentum < 1:
            raise ValueError(f"momentum must be in [0, 1), got {momentum!r}")
        self.momentum = float(momentum)
        self.buf = [self.xp.zeros_like(p) for p in self._leaves]

    def _apply(self, i, p, g, lr):
        b = self.buf[i]
        b *= p.dtype.type(self.momentum)
        b += g
        tmp = self._scratch[i]
        self.xp.multiply(b, p.dtype.type(lr), out=tmp)
        p -= tmp


class Adam(Optimizer):
    """Adam: m ← β1 m + (1−β1) g; s ← β2 s + (1−β2) g²; θ ← θ − η_i m̂ / (√ŝ + ε)."""

    def __init__(self, loss, params, lr, *, betas=(0.9, 0.999), eps=1e-8, **kw):
        super().__init__(loss, params, lr, **kw)
        b1, b2 = betas
        if not (0 <= b1 < 1 and 0 <= b2 < 1):
            raise ValueError(f"betas must be in [0, 1), got {betas!r}")
        self.b1, self.b2, self.eps = float(b1), float(b2), float(eps)
        self.m = [self.xp.zeros_like(p) for p in self._leaves]
        self.s = [self.xp.zeros_like(p) for p in self._leaves]

    def _apply(self, i, p, g, lr):
        t = self.step_count + 1
        m, s = self.m[i], self.s[i]
        m *= self.b1
        m += (1 - self.b1) * g
        s *= self.b2
        s += (1 - self.b2) * (g * g)
        mhat = m / (1 - self.b1**t)
        shat = s / (1 - self.b2**t)
        p -= mhat * p.dtype.type(lr) / (self.xp.sqrt(shat) + p.dtype.type(self.eps))


def _describe(tree):
    if isinstance(tree, dict):
        return "dict with keys " + ", ".join(map(str, tree))
    if isinstance(tree, (list, tuple)):
        return f"{type(tree).__name__} of length {len(tree)}"
    return type(tree).__name__


_CLASSES = {"sgd": SGD, "momentum": Momentum, "adam": Adam}


def make_optimizer(name, loss, params, lr, **kw):
    """``make_optimizer("sgd" | "momentum" | "adam", loss, params, lr, ...)``."""
    if name not in _CLASSES:
        raise ValueError(f"unknown optimizer {name!r}; valid optimizers: {', '.join(OPTIMIZERS)}")
    return _CLASSES[name](loss, params, lr, **kw)
