"""Activity-perturbed forward gradients and local losses (Ren, Kornblith, Liao & Hinton, ICLR 2023).

Weight perturbation (:mod:`.forward_gradient`) guesses one direction in the space of all parameters,
so its variance grows with their number. Activity perturbation guesses, for each example, a direction
in the space of one layer's pre-activations ``z = h W + b`` (marked ``tangent_fwd.perturb(..., name=)``
in the loss's source), gets every example's directional derivative from ONE forward pass
(:func:`tangent_fwd.perturbed_jvp` of the per-example losses), and assembles the weight estimate
locally from the layer's own linear map::

    ĝ_z[i] = (∇_{z_i} L_i · u_i) u_i        (an unbiased estimate of ∂L_i/∂z_i)
    ĝ_W    = hᵀ ĝ_z / B,    ĝ_b = Σ_i ĝ_z[i] / B

With local losses each block carries a small linear head and ``tangent_fwd.stop_gradient`` on its
input, so a site's estimate only involves its own block's units. A loss returning a dict of
per-example loss vectors ``{"b1": L1, "b2": L2, ...}`` scores the site ``"b1/z"`` with ``L1`` (the part
of a site name before ``/`` names its loss); the objective is the sum of the losses' batch means.

This module holds the estimator (:class:`ActivityGradient`, what ``forward_gradient(...,
perturb="activations")`` returns), the paper's MLP with and without local losses written with the
markers, the exact local gradients of the linear heads (softmax minus one-hot: no backward pass),
and hand-written backprop baselines of the same local-loss models.
"""

import math
from collections.abc import Callable, Mapping

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

import tangent_fwd

from ..errors import ArgumentError
from ..perturbation import perturbed_jvp
from .pytree import namespace

perturb = tangent_fwd.perturb
stop_gradient = tangent_fwd.stop_gradient


# ----------------------------------------------------------------------------------------- estimator
class ActivityGradient:
    """``g(params, *batch) -> (value, grads)``: the activity-perturbed forward gradient of ``f``.

    ``f(params, *batch)`` returns per-example losses, shape (B,), or a dict of them (local losses);
    ``value`` is the objective (the sum of their batch means). ``directions``: K directions per example
    and site (one vector-mode pass when ``vectorized``, the default for K > 1). ``exact``: site name ->
    ``fn(z, params, *batch)`` giving ∂objective/∂z exactly (e.g. a linear head's softmax minus one-hot
    over B): such sites get no direction. Every parameter must be the weight or bias of a site."""

    def __init__(
        self,
        f: Callable,
        wrt: int = 0,
        directions: int = 1,
        distribution: str = "normal",
        rng=None,
        vectorized: bool | None = None,
        backend: str = "auto",
        exact: Mapping[str, Callable] | None = None,
    ):
        # (forward_gradient imports this module: its helpers are not imported here, no import cycle)
        if distribution not in ("normal", "rademacher"):
            raise ValueError(f"unknown distribution {distribution!r}; valid distributions: normal, rademacher")
        if isinstance(directions, bool) or not isinstance(directions, (int, np.integer)) or directions < 1:
            raise ValueError(f"directions must be a positive integer, got {directions!r}")
        import inspect

        first = next(iter(inspect.signature(f).parameters), None)
        if wrt != 0 and (not isinstance(wrt, str) or wrt != first):
            raise ValueError(
                f"activity perturbation differentiates the first argument (the parameter dict): wrt=0 or "
                f"wrt={first!r}, got {wrt!r}"
            )
        self.f, self.directions, self.distribution = f, int(directions), distribution
        self.vectorized = self.directions > 1 if vectorized is None else bool(vectorized)
        self.backend = backend
        self.exact = dict(exact or {})
        self._rng_arg = rng
        if rng is None or isinstance(rng, (int, np.integer)):
            self.rng = np.random.default_rng(rng)
        elif isinstance(rng, np.random.Generator):
            self.rng = rng
        elif hasattr(rng, "random_raw"):  # a device bit generator (CuPy's): the device stream itself
            self.rng = None
        else:
            raise TypeError(f"rng must be a numpy.random.Generator, an int seed or None; got {type(rng).__name__}")
        self._device_rng = None
        self.last_sites = {}

    # -- directions
    def _draw(self, xp, shape, dtype):
        dtype = np.float32 if np.dtype(dtype) == np.float32 else np.float64
        if xp is np:
            if self.distribution == "normal":
                return self.rng.standard_normal(shape, dtype=dtype)
            return (self.rng.integers(0, 2, shape, dtype=np.int8) * 2 - 1).astype(dtype)
        if self._device_rng is None:  # one 63-bit seed from the host generator: reproducible device draws
            if self.rng is None:
                self._device_rng = xp.random.Generator(self._rng_arg)
            else:
                self._device_rng = xp.random.default_rng(int(self.rng.integers(0, 2**63)))
        g = self._device_rng
        if self.distribution == "normal":
            return g.standard_normal(size=shape, dtype=dtype)
        return (g.integers(0, 2, size=shape) * 2 - 1).astype(dtype)

    def _pass(self, args, xp):
        k = self.directions if self.vectorized else None

        def draw(name, z):
            if name in self.exact:
                return None
            return self._draw(xp, ((k,) if k else ()) + tuple(z.shape), z.dtype)

        sites = {}
        value, tangent = perturbed_jvp(
            self.f,
            args,
            perturbations=draw,
            vectorized=self.vectorized,
            directions=k,
            sites=sites,
            backend=self.backend,
        )
        return value, tangent, sites

    # -- estimate
    def __call__(self, params, *batch):
        if not isinstance(params, dict):
            raise ArgumentError("activity perturbation needs the parameters as a dict of arrays (keys name weights)")
        xp = namespace(params)
        args = (params,) + batch
        acc, value = None, None
        passes = 1 if self.vectorized else self.directions
        for _ in range(passes):
            value, tangent, sites = self._pass(args, xp)
            g = self._assemble(params, batch, value, tangent, sites, xp)
            if acc is None:
                acc = g
            else:
                for key in acc:
                    acc[key] += g[key]
        if passes > 1:
            for key in acc:
                acc[key] /= passes
        self.last_sites = sites
        return _objective(value, xp), acc

    def _assemble(self, params, batch, value, tangent, sites, xp):
        losses = value if isinstance(value, dict) else {None: value}
        dlosses = tangent if isinstance(tangent, dict) else {None: tangent}
        grads = {}
        fname = getattr(self.f, "__name__", "f")
        for loss in losses.values():
            if getattr(loss, "ndim", 0) != 1:
                raise ArgumentError(
                    f"activity perturbation needs per-example losses: {fname} must return an array of shape "
                    f"(B,) (or a dict of them), got shape {getattr(loss, 'shape', ())}",
                    hint="return the per-example losses (e.g. -logp[np.arange(B), y]) instead of their mean",
                )
        for name, rec in sites.items():
            key = name.split("/")[0] if isinstance(value, dict) else None
            if key not in losses:
                raise ArgumentError(
                    f"site {name!r}: {fname} returns the losses {sorted(losses)}, none named {key!r}",
                    hint="name each site '<loss>/<layer>' after the local loss that scores it",
                )
            if rec.weight is None:
                raise ArgumentError(
                    f"site {name!r}: its weight is not params['<key>'] of {fname}'s first argument, so "
                    "its estimate cannot be assigned to a parameter"
                )
            bsz = losses[key].shape[0]
            if name in self.exact:
                gz = self.exact[name](rec.z, params, *batch)
            else:
                gz = _site_estimate(rec.tangent, dlosses[key], self.vectorized, bsz)
            _add(grads, rec.weight, _weight_estimate(rec, gz, params[rec.weight], xp))
            if rec.bias is not None:
                b = params[rec.bias]
                _add(grads, rec.bias, gz.reshape((-1,) + tuple(b.shape)).sum(axis=0).astype(b.dtype, copy=False))
        missing = [k for k in params if k not in grads]
        if missing:
            raise ArgumentError(
                f"parameter(s) {', '.join(map(repr, missing))} are not the weight or bias of any "
                f"tangent_fwd.perturb site reached in {fname}: activity perturbation cannot estimate them",
                hint="mark each layer's pre-activation: tangent_fwd.perturb(h @ params['W'] + params['b'], name=...)",
            )
        return grads


def _objective(value, xp):
    if isinstance(value, dict):
        return sum(v.mean() for v in value.values())
    return value.mean()


def _site_estimate(u, d, vectorized, bsz):
    """ĝ_z = (1/K) Σ_k d_k u_k / B, d broadcast over the site's trailing axes."""
    if vectorized:
        k = u.shape[0]
        dd = d.reshape(d.shape + (1,) * (u.ndim - d.ndim))
        return (dd * u).sum(axis=0) * (1.0 / (k * bsz))
    dd = d.reshape(d.shape + (1,) * (u.ndim - d.ndim))
    return dd * u * (1.0 / bsz)


def _weight_estimate(rec, gz, w, xp):
    """∂/∂W of the site's linear map applied to ĝ_z: hᵀ ĝ_z (einsum: the spec with W's side as output)."""
    h = rec.inputs
    if rec.spec is not None:
        ins, out = rec.spec.replace(" ", "").split("->")
        hs, ws = ins.split(",")
        g = xp.einsum(f"{hs},{out}->{ws}", h, gz.reshape(rec.z.shape))
    else:
        h2 = h.reshape(-1, h.shape[-1])
        g = h2.T @ gz.reshape(h2.shape[0], -1)
    return g.reshape(w.shape).astype(w.dtype, copy=False)


def _add(grads, key, g):
    if key in grads:
        grads[key] = grads[key] + g
    else:
        grads[key] = g


# ------------------------------------------------------------------------------------------- models
def per_example_cross_entropy(logits, y):
    """Per-example cross-entropy of integer labels ``y`` under softmax(logits): shape (B,)."""
    s = logits - logits.max(axis=1, keepdims=True)
    logp = s - np.log(np.exp(s).sum(axis=1, keepdims=True))
    return -logp[np.arange(logits.shape[0]), y]


def mlp_losses(params, x, y):
    """The paper's MLP (784-w-w-10, ReLU), every pre-activation a perturbation site; per-example losses."""
    z1 = perturb(x @ params["W1"] + params["b1"], name="z1")
    h1 = np.maximum(z1, 0)
    z2 = perturb(h1 @ params["W2"] + params["b2"], name="z2")
    h2 = np.maximum(z2, 0)
    z3 = perturb(h2 @ params["W3"] + params["b3"], name="z3")
    return per_example_cross_entropy(z3, y)


def cnn_losses(params, x, y):
    """The paper's CNN (:func:`.models.cnn_loss`, end to end), every pre-activation a perturbation site
    (the convolution's too); per-example losses."""
    n = x.shape[0]
    c = params["K"].shape[2]
    patches = sliding_window_view(x.reshape(n, 28, 28), (3, 3), axis=(1, 2))  # (n, 26, 26, 3, 3)
    cols = patches.reshape(n * 676, 9)
    conv = perturb((cols @ params["K"].reshape(9, c)).reshape(n, 26, 26, c) + params["bk"], name="conv")
    a = np.maximum(conv, 0)
    pooled = a.reshape(n, 13, 2, 13, 2, c).max(axis=4).max(axis=2)
    flat = pooled.reshape(n, 13 * 13 * c)
    z1 = perturb(flat @ params["W1"] + params["b1"], name="z1")
    h = np.maximum(z1, 0)
    z2 = perturb(h @ params["W2"] + params["b2"], name="z2")
    return per_example_cross_entropy(z2, y)


def local_mlp_losses(params, x, y):
    """The same MLP with local losses: blocks b1 and b2 (one linear layer + ReLU each) carry a linear
    10-way head, and each block's input is cut off from the earlier blocks by stop_gradient; the last
    layer is scored by the output loss. Returns the per-example losses of each block."""
    z1 = perturb(x @ params["W1"] + params["b1"], name="b1/z")
    h1 = np.maximum(z1, 0)
    a1 = perturb(h1 @ params["H1"] + params["c1"], name="b1/head")
    h1s = stop_gradient(h1)
    z2 = perturb(h1s @ params["W2"] + params["b2"], name="b2/z")
    h2 = np.maximum(z2, 0)
    a2 = perturb(h2 @ params["H2"] + params["c2"], name="b2/head")
    h2s = stop_gradient(h2)
    z3 = perturb(h2s @ params["W3"] + params["b3"], name="out/z")
    return {
        "b1": per_example_cross_entropy(a1, y),
        "b2": per_example_cross_entropy(a2, y),
        "out": per_example_cross_entropy(z3, y),
    }


def local_mlp_init(rng=0, width=1024, n_in=784, n_out=10, dtype=np.float32):
    """The MLP's parameters (as :func:`.models.mlp_init`) plus heads H1, c1, H2, c2 (Glorot, zero bias)."""
    from .models import _glorot, _rng, mlp_init

    r = _rng(rng)
    params = mlp_init(r, width, n_in, n_out, dtype)
    for i in (1, 2):
        params[f"H{i}"] = _glorot(r, width, n_out, (width, n_out), dtype)
        params[f"c{i}"] = np.zeros(n_out, dtype)
    return params


def deep_local_mlp_losses(params, x, y):
    """Blocks of TWO layers: 784-w-w | w-w, each block with a linear 10-way head on its output and
    stop_gradient on its input, then the output layer. Both of a block's sites are scored by its loss
    (``b1/z1``, ``b1/z2``, ``b1/head``): with several layers per block, forward mode saves the block's
    backward pass."""
    z1 = perturb(x @ params["W1"] + params["b1"], name="b1/z1")
    h1 = np.maximum(z1, 0)
    z2 = perturb(h1 @ params["W2"] + params["b2"], name="b1/z2")
    h2 = np.maximum(z2, 0)
    a1 = perturb(h2 @ params["H1"] + params["c1"], name="b1/head")
    h2s = stop_gradient(h2)
    z3 = perturb(h2s @ params["W3"] + params["b3"], name="b2/z1")
    h3 = np.maximum(z3, 0)
    z4 = perturb(h3 @ params["W4"] + params["b4"], name="b2/z2")
    h4 = np.maximum(z4, 0)
    a2 = perturb(h4 @ params["H2"] + params["c2"], name="b2/head")
    h4s = stop_gradient(h4)
    z5 = perturb(h4s @ params["W5"] + params["b5"], name="out/z")
    return {
        "b1": per_example_cross_entropy(a1, y),
        "b2": per_example_cross_entropy(a2, y),
        "out": per_example_cross_entropy(z5, y),
    }


def deep_local_mlp_init(rng=0, width=1024, n_in=784, n_out=10, dtype=np.float32):
    """Parameters of :func:`deep_local_mlp_losses`: He-initialised W1..W4, Glorot heads and output."""
    from .models import _glorot, _he, _rng

    r = _rng(rng)
    p = {}
    for i, fan_in in enumerate((n_in, width, width, width), start=1):
        p[f"W{i}"] = _he(r, fan_in, (fan_in, width), dtype)
        p[f"b{i}"] = np.zeros(width, dtype)
    p["W5"] = _glorot(r, width, n_out, (width, n_out), dtype)
    p["b5"] = np.zeros(n_out, dtype)
    for i in (1, 2):
        p[f"H{i}"] = _glorot(r, width, n_out, (width, n_out), dtype)
        p[f"c{i}"] = np.zeros(n_out, dtype)
    return p


def local_cnn_losses(params, x, y):
    """The paper's CNN with local losses: the conv block (3x3 conv, ReLU, 2x2 max-pool) carries a linear
    head on its pooled features, the dense block (hidden layer, ReLU) another; stop_gradient between
    blocks; the output layer is scored by the output loss. Sites: conv/z (the convolution's
    pre-activation, a sliding-window patch matrix times the kernel), conv/head, dense/z, dense/head, out/z."""
    n = x.shape[0]
    c = params["K"].shape[2]
    patches = sliding_window_view(x.reshape(n, 28, 28), (3, 3), axis=(1, 2))  # (n, 26, 26, 3, 3)
    cols = patches.reshape(n * 676, 9)
    conv = perturb((cols @ params["K"].reshape(9, c)).reshape(n, 26, 26, c) + params["bk"], name="conv/z")
    a = np.maximum(conv, 0)
    pooled = a.reshape(n, 13, 2, 13, 2, c).max(axis=4).max(axis=2)
    flat = pooled.reshape(n, 13 * 13 * c)
    a1 = perturb(flat @ params["H1"] + params["c1"], name="conv/head")
    flats = stop_gradient(flat)
    z2 = perturb(flats @ params["W1"] + params["b1"], name="dense/z")
    h = np.maximum(z2, 0)
    a2 = perturb(h @ params["H2"] + params["c2"], name="dense/head")
    hs = stop_gradient(h)
    z3 = perturb(hs @ params["W2"] + params["b2"], name="out/z")
    return {
        "conv": per_example_cross_entropy(a1, y),
        "dense": per_example_cross_entropy(a2, y),
        "out": per_example_cross_entropy(z3, y),
    }


def local_cnn_init(rng=0, channels=16, hidden=128, n_out=10, dtype=np.float32):
    """The CNN's parameters (as :func:`.models.cnn_init`) plus heads H1, c1 (pooled features -> 10) and
    H2, c2 (hidden -> 10)."""
    from .models import _glorot, _rng, cnn_init

    r = _rng(rng)
    params = cnn_init(r, channels, hidden, n_out, dtype)
    flat = 13 * 13 * channels
    params["H1"] = _glorot(r, flat, n_out, (flat, n_out), dtype)
    params["c1"] = np.zeros(n_out, dtype)
    params["H2"] = _glorot(r, hidden, n_out, (hidden, n_out), dtype)
    params["c2"] = np.zeros(n_out, dtype)
    return params


def head_gradient(z, params, x, y):
    """The exact ∂(mean cross-entropy)/∂z of a linear head's logits ``z``: (softmax(z) − onehot(y)) / B."""
    xp = np if isinstance(z, np.ndarray) else namespace(z)
    s = z - z.max(axis=1, keepdims=True)
    e = xp.exp(s)
    p = e / e.sum(axis=1, keepdims=True)
    p[xp.arange(z.shape[0]), y] -= 1
    return p / z.shape[0]


LOCAL_SITES = ("b1/z", "b1/head", "b2/z", "b2/head", "out/z")  # in the order a pass reaches them
LOCAL_HEAD_SITES = ("b1/head", "b2/head", "out/z")
CNN_HEAD_SITES = ("conv/head", "dense/head", "out/z")
# the local-loss MLP's heads and output layer; the same names in deep_local_mlp_losses


def exact_heads(sites=LOCAL_HEAD_SITES):
    """The ``exact=`` mapping that gives the heads (and the output layer) their exact gradient
    (``CNN_HEAD_SITES`` for the local-loss CNN)."""
    return {s: head_gradient for s in sites}


# ------------------------------------------------------------------------------ backprop baselines
def local_mlp_loss_and_grad(params, x, y):
    """BASELINE: hand-written backprop of the local-loss MLP (each block's gradient from its own head,
    nothing crossing a stop_gradient). Returns (objective, grads)."""
    from .backprop import _softmax_xent_and_grad, _xp

    xp = _xp(x)
    z1 = x @ params["W1"] + params["b1"]
    h1 = xp.maximum(z1, 0)
    l1, da1 = _softmax_xent_and_grad(xp, h1 @ params["H1"] + params["c1"], y)
    z2 = h1 @ params["W2"] + params["b2"]
    h2 = xp.maximum(z2, 0)
    l2, da2 = _softmax_xent_and_grad(xp, h2 @ params["H2"] + params["c2"], y)
    l3, dz3 = _softmax_xent_and_grad(xp, h2 @ params["W3"] + params["b3"], y)
    dz2 = (da2 @ params["H2"].T) * (z2 > 0)
    dz1 = (da1 @ params["H1"].T) * (z1 > 0)
    grads = {
        "W1": x.T @ dz1,
        "b1": dz1.sum(axis=0),
        "H1": h1.T @ da1,
        "c1": da1.sum(axis=0),
        "W2": h1.T @ dz2,
        "b2": dz2.sum(axis=0),
        "H2": h2.T @ da2,
        "c2": da2.sum(axis=0),
        "W3": h2.T @ dz3,
        "b3": dz3.sum(axis=0),
    }
    return l1 + l2 + l3, {k: g.astype(params[k].dtype) for k, g in grads.items()}


def deep_local_mlp_loss_and_grad(params, x, y):
    """BASELINE: hand-written local backprop of :func:`deep_local_mlp_losses` (each block's two layers
    from its own head)."""
    from .backprop import _softmax_xent_and_grad, _xp

    xp = _xp(x)
    p = params
    z1 = x @ p["W1"] + p["b1"]
    h1 = xp.maximum(z1, 0)
    z2 = h1 @ p["W2"] + p["b2"]
    h2 = xp.maximum(z2, 0)
    z3 = h2 @ p["W3"] + p["b3"]
    h3 = xp.maximum(z3, 0)
    z4 = h3 @ p["W4"] + p["b4"]
    h4 = xp.maximum(z4, 0)
    l1, da1 = _softmax_xent_and_grad(xp, h2 @ p["H1"] + p["c1"], y)
    l2, da2 = _softmax_xent_and_grad(xp, h4 @ p["H2"] + p["c2"], y)
    l3, dz5 = _softmax_xent_and_grad(xp, h4 @ p["W5"] + p["b5"], y)
    g = {"H1": h2.T @ da1, "c1": da1.sum(axis=0), "H2": h4.T @ da2, "c2": da2.sum(axis=0)}
    g["W5"], g["b5"] = h4.T @ dz5, dz5.sum(axis=0)
    for head, (i, j), (hin, hmid, za, zb) in (
        (("H1", da1), (1, 2), (x, h1, z1, z2)),
        (("H2", da2), (3, 4), (h2, h3, z3, z4)),
    ):
        dzb = (head[1] @ p[head[0]].T) * (zb > 0)
        g[f"W{j}"], g[f"b{j}"] = hmid.T @ dzb, dzb.sum(axis=0)
        dza = (dzb @ p[f"W{j}"].T) * (za > 0)
        g[f"W{i}"], g[f"b{i}"] = hin.T @ dza, dza.sum(axis=0)
    return l1 + l2 + l3, {k: xp.asarray(v, dtype=p[k].dtype) for k, v in g.items()}


def local_cnn_loss_and_grad(params, x, y):
    """BASELINE: hand-written backprop of the local-loss CNN (each block from its own head)."""
    from .backprop import _cnn_forward, _softmax_xent_and_grad, _xp

    xp = _xp(x)
    n = x.shape[0]
    c = params["K"].shape[2]
    _, (cols, conv, blocks, flat, z1, h) = _cnn_forward(xp, params, x)
    l1, da1 = _softmax_xent_and_grad(xp, flat @ params["H1"] + params["c1"], y)
    l2, da2 = _softmax_xent_and_grad(xp, h @ params["H2"] + params["c2"], y)
    l3, dz3 = _softmax_xent_and_grad(xp, h @ params["W2"] + params["b2"], y)
    g = {"H1": flat.T @ da1, "c1": da1.sum(axis=0), "H2": h.T @ da2, "c2": da2.sum(axis=0)}
    g["W2"], g["b2"] = h.T @ dz3, dz3.sum(axis=0)
    dz1 = (da2 @ params["H2"].T) * (z1 > 0)
    g["W1"], g["b1"] = flat.T @ dz1, dz1.sum(axis=0)
    dpooled = (da1 @ params["H1"].T).reshape(n, 13, 1, 13, 1, c)
    # route each pooled gradient to the first maximum of its 2x2 window (as backprop.cnn_loss_and_grad)
    first = blocks.transpose(0, 1, 3, 5, 2, 4).reshape(n, 13, 13, c, 4).argmax(axis=4)
    mask = (xp.arange(4) == first[..., None]).reshape(n, 13, 13, c, 2, 2).transpose(0, 1, 4, 2, 5, 3)
    dconv = (mask * dpooled).reshape(n, 26, 26, c) * (conv > 0)
    g["K"] = (cols.T @ dconv.reshape(n * 676, c)).reshape(3, 3, c)
    g["bk"] = dconv.sum(axis=(0, 1, 2))
    return l1 + l2 + l3, {k: xp.asarray(v, dtype=params[k].dtype) for k, v in g.items()}


def local_cnn_logits(params, x):
    """Test-time prediction of the local-loss CNN: its output layer."""
    from .backprop import cnn_logits

    return cnn_logits(params, x)


def local_mlp_logits(params, x):
    """Test-time prediction of the local-loss MLP: its output layer (the heads are training aids)."""
    from .backprop import _xp

    xp = _xp(x)
    h1 = xp.maximum(x @ params["W1"] + params["b1"], 0)
    h2 = xp.maximum(h1 @ params["W2"] + params["b2"], 0)
    return h2 @ params["W3"] + params["b3"]


# ---------------------------------------------------------------------------------------- variance
def relative_variance(estimate: Callable, true_grad: dict, samples: int) -> tuple[float, float]:
    """``(E‖ĝ − g‖² / ‖g‖², its standard error)`` over ``samples`` draws of ``estimate() -> grads`` (dicts
    keyed like ``true_grad``)."""
    norm = sum(float(np.sum(np.asarray(g, np.float64) ** 2)) for g in true_grad.values())
    if not norm > 0:
        raise ValueError("the true gradient is zero: its relative variance is undefined")
    errs = []
    for _ in range(samples):
        g = estimate()
        errs.append(sum(float(np.sum((np.asarray(g[k], np.float64) - true_grad[k]) ** 2)) for k in true_grad) / norm)
    errs = np.array(errs)
    se = float(errs.std(ddof=1) / math.sqrt(samples)) if samples > 1 else math.inf
    return float(errs.mean()), se


# ------------------------------------------------------------------------------------ training runs
HEADS = ("fg", "exact")


def run_model(name: str, perturb: str = "weights", local: bool = False):
    """The :class:`.models.Model` that ``tangent-fwd train --model NAME`` trains with ``--perturb
    activations`` and/or ``--local-losses``: the marked end-to-end model (``mlp_losses`` /
    ``cnn_losses``, initialised as the plain model) or the local-loss model (its heads included), its
    backprop baseline (the plain model's, or the local backward passes) and its test-time logits. Only
    the MLP and the CNN have hidden layers to perturb or blocks to give heads: other models are refused."""
    from . import backprop
    from .models import Model, get_model

    if name not in ("mlp", "cnn"):
        raise ValueError(
            f"--perturb activations and --local-losses apply to the mlp and cnn models (blocks with hidden "
            f"layers), not {name}"
        )
    plain = get_model(name)
    if not local:
        loss = mlp_losses if name == "mlp" else cnn_losses
        return Model(f"{name} (activations)", plain.init, loss, plain.logits, plain.loss_and_grad,
                     plain.defaults, plain.paper, plain.any_logits)  # fmt: skip
    if name == "mlp":
        init, loss, grad, logits = local_mlp_init, local_mlp_losses, local_mlp_loss_and_grad, local_mlp_logits
        any_logits = local_mlp_logits
    else:
        init, loss, grad, logits = local_cnn_init, local_cnn_losses, local_cnn_loss_and_grad, local_cnn_logits
        any_logits = backprop.cnn_logits
    return Model(f"{name} (local losses)", init, loss, logits, grad, plain.defaults, plain.paper, any_logits)


def run_exact_heads(name: str, local: bool, heads: str | None):
    """The ``exact=`` mapping of a run: the heads and output layer of the local-loss model with
    ``heads="exact"``, else none (``"fg"``: every site gets directions)."""
    if heads not in (None, *HEADS):
        raise ValueError(f"unknown heads {heads!r}; valid heads: {', '.join(HEADS)}")
    if not local or heads != "exact":
        return None
    return exact_heads(LOCAL_HEAD_SITES if name == "mlp" else CNN_HEAD_SITES)


def deep_local_mlp_logits(params, x):
    """Test-time prediction of :func:`deep_local_mlp_losses`: its output layer after the four hidden layers."""
    from .backprop import _xp

    xp = _xp(x)
    h = x
    for i in (1, 2, 3, 4):
        h = xp.maximum(h @ params[f"W{i}"] + params[f"b{i}"], 0)
    return h @ params["W5"] + params["b5"]
