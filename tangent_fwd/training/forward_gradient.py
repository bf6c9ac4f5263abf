"""Forward gradients (Baydin et al. 2022): for a random direction ``v`` with E[v vᵀ] = I, the forward
gradient ``g(θ) = (∇f(θ)·v) v`` is an unbiased estimate of ∇f(θ). ``∇f·v`` is one JVP — one forward-mode
pass, no backward pass — computed here by ``tangent_fwd.jvp`` on the source of ``f``.

Everything here runs on the namespace of the parameters (NumPy, or CuPy for device arrays): directions are
drawn on the device, and the directional derivatives stay device scalars (no host synchronisation) unless
the parameters are host arrays."""

import inspect
import math

import numpy as np

from ..lowrank import LowRank
from .pytree import check_backend, check_float_leaves, is_array, leaves, map_tree, namespace

DISTRIBUTIONS = ("normal", "rademacher")


def _as_generator(rng):
    if rng is None or isinstance(rng, (int, np.integer)):
        return np.random.default_rng(rng)
    if isinstance(rng, np.random.Generator):
        return rng
    raise TypeError(f"rng must be a numpy.random.Generator, an int seed or None; got {type(rng).__name__}")


def _device_stream(xp, rng):
    """``(bit generator, generator)`` on the device namespace ``xp`` for ``rng``: an int seed (or a
    sequence of ints, a SeedSequence, None), a NumPy Generator (one 63-bit seed is drawn from it on the
    host, so a seeded host generator gives a reproducible device stream), or one of ``xp``'s bit
    generators. Philox4x3210 is counter-based: creating one per step (distributed runs) is cheap."""
    if isinstance(rng, np.random.Generator):
        rng = int(rng.integers(0, 2**63))
    if rng is None or isinstance(rng, (int, np.integer, list, tuple, np.random.SeedSequence)):
        bitgen = xp.random.Philox4x3210(rng if not isinstance(rng, np.integer) else int(rng))
    elif hasattr(rng, "random_raw") and not isinstance(rng, np.random.BitGenerator):
        bitgen = rng
    else:
        raise TypeError(
            f"rng for {xp.__name__} arrays must be an int seed, a numpy.random.Generator (it seeds the "
            f"device stream) or a {xp.__name__}.random bit generator; got {type(rng).__name__}"
        )
    return bitgen, xp.random.Generator(bitgen)


def _shape(leaf):
    return tuple(leaf.shape) if is_array(leaf) else np.shape(leaf)


def check_distribution(distribution):
    if distribution not in DISTRIBUTIONS:
        raise ValueError(f"unknown distribution {distribution!r}; valid distributions: {', '.join(DISTRIBUTIONS)}")


def check_rank(rank):
    if rank is not None and (isinstance(rank, bool) or not isinstance(rank, (int, np.integer)) or rank < 1):
        raise ValueError(f"rank must be a positive integer or None (dense directions), got {rank!r}")
    return None if rank is None else int(rank)


def factored_shape(shape, rank):
    """How a rank-``rank`` direction factors a parameter of ``shape``: ``(S1, S2)`` with ``S2`` the last
    axis (the output side of ``x @ W``; of a conv kernel laid out (kh, kw, c_in, c_out), the output
    channels, so that S1 is one input-side filter), or None where a dense direction is cheaper:

    * vectors, and matrices with ``rank·(|S1| + |S2|) >= |S1|·|S2|`` (nothing to save);
    * an input side smaller than ``MIN_INPUT_SIDE·rank``: the tangent ``(x @ u) wᵀ`` is a
      matrix-vector product and then an outer product written at full size, which beats the dense
      ``x @ dW`` only when the contraction is long. For a 3×3 single-channel conv kernel (9 inputs,
      16 channels) over 43,264 patches the dense product takes 0.10 ms and the factored one 0.40 ms;
      for 784 inputs (64 × 784 @ 784 × 1024) 0.89 ms against 0.02 ms."""
    if rank is None or len(shape) < 2:
        return None
    s1, s2 = tuple(shape[:-1]), tuple(shape[-1:])
    p, q = math.prod(s1), math.prod(s2)
    if rank * (p + q) >= p * q or p < MIN_INPUT_SIDE * rank:
        return None
    return s1, s2


MIN_INPUT_SIDE = 32


def _direction_dtype(leaf):
    dt = getattr(leaf, "dtype", None)
    if dt is not None and np.issubdtype(dt, np.floating) and dt.itemsize <= 4:
        return np.float32 if dt.itemsize == 4 else dt
    return np.float64


class DirectionSampler:
    """Draws random directions shaped like a pytree into reused buffers.

    ``normal``: standard normal (float32 for float32 leaves, drawn directly in float32 by Box-Muller).
    ``rademacher``: ±1 with probability 1/2 each, from raw random bits (8 signs per random byte).
    ``batch=K`` gives every leaf a leading axis of K directions (for vector-mode JVPs); the K directions
    are drawn in the same order, from the same stream, as K successive unbatched samples.

    ``rank=r``: each matrix-shaped leaf (see :func:`factored_shape`) gets a factored direction
    ``v = (1/√r) Σ_k u_k ⊗ w_k`` (a :class:`tangent_fwd.LowRank`), with ``u`` and ``w`` drawn from the
    distribution. Its entries have mean 0, variance 1 and are uncorrelated, so E[v vᵀ] = I still holds
    and the forward gradient stays unbiased; drawing it costs O(r(m + n)) instead of O(mn).

    On a device namespace ``xp`` (that of ``like``'s arrays, e.g. CuPy) the buffers live on the device
    and are filled by ``xp.random``: normals by the generator's ``standard_normal`` in the buffer's
    precision, Rademacher signs from the raw bits of a Philox4x3210 stream (8 signs per byte, as on the
    CPU). The same seed gives the same directions on the same backend; CPU and device streams differ."""

    def __init__(self, like, distribution="normal", rng=None, batch=None, rank=None, xp=None):
        check_distribution(distribution)
        check_float_leaves(like, "the differentiated argument")
        self.rank = check_rank(rank)
        if batch and self.rank:
            raise ValueError("low-rank directions cannot be batched (vector mode); use K separate passes")
        self.distribution = distribution
        self.xp = xp = namespace(like) if xp is None else xp
        self.rng = rng
        self.batch = batch
        self._scalar = not (isinstance(like, (dict, list, tuple)) or is_array(like))
        lead = (batch,) if batch else ()

        def buffer(leaf):
            dt = _direction_dtype(leaf)
            fs = factored_shape(_shape(leaf), self.rank)
            if fs is None:
                return xp.empty(lead + _shape(leaf), dt)
            return LowRank(xp.empty(fs[0] + (self.rank,), dt), xp.empty(fs[1] + (self.rank,), dt))

        self.buffers = map_tree(buffer, like)
        self._flat = leaves(self.buffers)
        self._arrays = [x for b in self._flat for x in ((b.u, b.w) if isinstance(b, LowRank) else (b,))]
        self._factor_u = [b.u for b in self._flat if isinstance(b, LowRank)]
        self._size = sum(b.size for b in self._arrays) // (batch or 1)

    @property
    def rng(self):
        """The generator the directions come from (a NumPy Generator on the host; on a device, the
        device generator). Assigning re-seeds: see :func:`_device_stream` for what a device accepts."""
        return self._rng

    @rng.setter
    def rng(self, rng):
        if self.xp is np:
            self._rng, self._bits = _as_generator(rng), None
        else:
            self._bits, self._rng = _device_stream(self.xp, rng)

    def _box_muller(self, b):
        """Standard normals by the Box-Muller transform of uniforms, in the buffer's own precision:
        z = sqrt(-2 log u1) * (cos, sin)(2 pi u2). NumPy's vectorised log/sqrt/cos/sin make this 3-4x
        faster than its scalar ziggurat (MLP, 1.86 M float32 values: ~4 ms instead of ~14 ms), which is
        what a forward-gradient step spends most of its time on. (Tails are cut at |z| = 5.8 for float32
        uniforms, a 2e-8 chance per value: negligible next to the estimator's own variance.)"""
        n = b.size
        half = (n + 1) // 2
        u1, u2, c = self._scratch(b.dtype, half)
        self.rng.random(out=u1, dtype=b.dtype)
        self.rng.random(out=u2, dtype=b.dtype)
        np.subtract(1.0, u1, out=u1)  # (0, 1]: log stays finite
        np.log(u1, out=u1)
        np.multiply(u1, -2.0, out=u1)
        np.sqrt(u1, out=u1)
        np.multiply(u2, b.dtype.type(2 * np.pi), out=u2)
        flat = b.reshape(-1)
        np.cos(u2, out=c)
        np.multiply(u1, c, out=flat[:half])
        rest = n - half
        if rest:
            np.sin(u2[:rest], out=c[:rest])
            np.multiply(u1[:rest], c[:rest], out=flat[half:])

    def _scratch(self, dtype, half):
        cache = self.__dict__.setdefault("_scratch_buffers", {})
        bufs = cache.get(dtype)
        if bufs is None or bufs[0].size < half:
            bufs = cache[dtype] = tuple(np.empty(half, dtype) for _ in range(3))
        return tuple(x[:half] for x in bufs)

    def sample(self):
        """Fill the buffers with fresh directions and return the direction pytree (the same buffers on
        every call: copy it to keep it)."""
        if self.batch:
            for j in range(self.batch):
                self._fill([b[j : j + 1].reshape(b.shape[1:]) for b in self._flat])
            return self._flat[0] if self._scalar else self.buffers
        self._fill(self._arrays)
        if self.rank and self.rank > 1:
            for u in self._factor_u:
                u *= u.dtype.type(1 / math.sqrt(self.rank))
        if self._scalar:
            return self._flat[0][()]
        return self.buffers

    def _fill(self, views):
        if self.xp is not np:
            return self._fill_device(views)
        if self.distribution == "normal":
            for b in views:
                if b.dtype in (np.float32, np.float64):
                    self._box_muller(b)
                else:
                    b[...] = self.rng.standard_normal(b.shape)
        else:
            total = self._size
            raw = np.frombuffer(self.rng.bytes((total + 7) // 8), np.uint8)
            bits = np.unpackbits(raw, count=total)
            start = 0
            for b in views:
                chunk = bits[start : start + b.size].reshape(b.shape)
                start += b.size
                np.multiply(chunk, 2, out=b, casting="unsafe")
                b -= 1

    def _fill_device(self, views):
        """Fill on the device; nothing is read on the host."""
        xp = self.xp
        if self.distribution == "normal":
            for b in views:
                dt = b.dtype if b.dtype in (np.float32, np.float64) else np.float64
                xp.copyto(b, self._rng.standard_normal(size=b.shape, dtype=dt), casting="unsafe")
            return
        total = self._size
        raw = self._bits.random_raw(size=(total + 31) // 32)  # >= 32 raw bits per draw
        bits = xp.unpackbits(raw.view(xp.uint8))
        start = 0
        for b in views:
            xp.copyto(b, bits[start : start + b.size].reshape(b.shape), casting="unsafe")
            b *= 2
            b -= 1
            start += b.size


def sample_directions(like, distribution="normal", rng=None, rank=None, backend="auto"):
    """One random direction shaped like ``like`` (a fresh copy; LowRank leaves with ``rank``), drawn on
    ``like``'s backend ('auto'; a named ``backend`` must be the one of ``like``'s arrays)."""
    check_backend(like, backend, "arrays given as like")
    v = DirectionSampler(like, distribution, rng, rank=rank).sample()

    def copy(b):
        if isinstance(b, LowRank):
            return LowRank(b.u.copy(), b.w.copy())
        return b.copy() if is_array(b) else b

    return map_tree(copy, v)


def scaled_into(o, b, c, first):
    """``o = c·b`` (``first``) or ``o += c·b`` for a direction leaf ``b`` (an array or a LowRank, whose
    product is formed straight into ``o``: a broadcast multiply for rank 1, one matrix product else)."""
    xp = np if isinstance(o, np.ndarray) else namespace(o)
    if not isinstance(b, LowRank):
        if first:
            xp.multiply(b, c, out=o, casting="unsafe")
        else:
            o += b * c
        return
    if not o.flags.c_contiguous:  # a reshape of o would be a copy: work in a C-ordered one
        tmp = xp.ascontiguousarray(o)
        scaled_into(tmp, b, c, first)
        xp.copyto(o, tmp)
        return
    r = b.rank
    u = b.u.reshape(-1, r) * c
    w = b.w.reshape(-1, r)
    o2 = o.reshape(u.shape[0], w.shape[0])
    if r == 1 and first:
        xp.multiply(u, w[:, 0], out=o2)
    elif r == 1:
        o2 += u * w[:, 0]
    elif first:
        xp.matmul(u, w.T, out=o2)
    else:
        o2 += u @ w.T


def _tree_key(tree):
    """What a direction sampler depends on: the pytree's structure and its leaves' shapes and dtypes."""
    if isinstance(tree, dict):
        return ("d",) + tuple((k, _tree_key(v)) for k, v in tree.items())
    if isinstance(tree, (list, tuple)):
        return (type(tree),) + tuple(_tree_key(v) for v in tree)
    return (_shape(tree), getattr(tree, "dtype", type(tree)))


def _wrt_index(f, wrt):
    if isinstance(wrt, bool) or not isinstance(wrt, (int, str)):
        raise TypeError(f"wrt must be a positional index or a parameter name, got {wrt!r}")
    if isinstance(wrt, str):
        names = list(inspect.signature(f).parameters)
        if wrt not in names:
            raise ValueError(
                f"wrt={wrt!r} is not a parameter of {getattr(f, '__name__', f)}; its parameters are {', '.join(names)}"
            )
        return names.index(wrt)
    return wrt


class ForwardGradient:
    """The callable returned by :func:`forward_gradient`."""

    def __init__(
        self,
        f,
        wrt=0,
        directions=1,
        distribution="normal",
        rng=None,
        jvp_fn=None,
        vectorized=None,
        rank=None,
        backend="auto",
    ):
        check_distribution(distribution)
        self.rank = check_rank(rank)
        if self.rank and vectorized:
            raise ValueError(
                "low-rank directions (rank=...) run one JVP pass per direction; "
                "they cannot be combined with vectorized=True"
            )
        if isinstance(directions, bool) or not isinstance(directions, (int, np.integer)) or directions < 1:
            raise ValueError(f"directions must be a positive integer, got {directions!r}")
        self.f = f
        self.wrt = _wrt_index(f, wrt)
        self.directions = int(directions)
        self.distribution = distribution
        self._rng_arg = rng
        self.rng = _as_generator(rng) if not hasattr(rng, "random_raw") else None
        self.jvp_fn = jvp_fn
        self.backend = backend
        # vector mode (one generated pass for the K directions) by default whenever K > 1
        self.vectorized = (
            (self.directions > 1 and jvp_fn is None and not self.rank) if vectorized is None else bool(vectorized)
        )
        self._fd = {}
        self._sampler, self._sampler_key = None, None
        self.last_jvps = []

    def _jvp(self, args, tangents):
        """``(f(*args), J·tangents)``. Without a ``jvp_fn`` the generated code is called through one
        ``forward_diff`` object: the sampler's directions already have the parameters' structure, shapes
        and dtypes, so ``tangent_fwd.jvp``'s per-call checks (~20 µs) are not needed."""
        if self.jvp_fn is not None:
            kw = {"vectorized": True} if self.vectorized else {}
            return self.jvp_fn(self.f, args, tuple(tangents), **kw)
        i = self.wrt % len(args)  # a negative wrt counts from the last argument given
        fd = self._fd.get(i)
        if fd is None:
            from tangent_fwd.api import ForwardDiff

            fd = self._fd[i] = ForwardDiff(self.f, wrt=i, backend=self.backend, vectorized=self.vectorized)
        return fd(*args, tangents[i])

    def _sampler_for(self, primal):
        s = self._sampler
        key = _tree_key(primal)
        if s is None or key != self._sampler_key:
            check_backend(primal, self.backend, "differentiated arguments")
            s = self._sampler = DirectionSampler(
                primal,
                self.distribution,
                self.rng if namespace(primal) is np else self._device_seed(),
                batch=self.directions if self.vectorized else None,
                rank=self.rank,
            )
            self._sampler_key = key
        return s

    def _device_seed(self):
        """The seed of a device sampler: the ``rng`` the user gave (an int seed, a device bit generator),
        or one 63-bit draw from the host Generator (so ``rng=`` seeds device runs reproducibly too)."""
        if self._rng_arg is None or isinstance(self._rng_arg, (int, np.integer, list, tuple)):
            return self._rng_arg
        if isinstance(self._rng_arg, np.random.Generator):
            return int(self.rng.integers(0, 2**63))
        return self._rng_arg

    def _vector_jvp(self, args):
        """Vector mode: all K directions in one generated pass; returns (value, dvalues of shape (K,))."""
        args = tuple(args)
        if not -len(args) <= self.wrt < len(args):
            raise ValueError(f"wrt={self.wrt} but only {len(args)} argument(s) were given")
        sampler = self._sampler_for(args[self.wrt])
        tangents = [None] * len(args)
        tangents[self.wrt] = sampler.sample()
        value, dvalues = self._jvp(args, tangents)
        host = sampler.xp is np
        if host:
            dvalues = np.asarray(dvalues)
        if tuple(dvalues.shape) != (self.directions,):
            raise ValueError(
                f"forward gradients need a scalar function; "
                f"{getattr(self.f, '__name__', 'f')} returned shape {_shape(value)}"
            )
        # on a device the K derivatives stay there (reading them would synchronise every step)
        self.last_jvps = [float(d) for d in dvalues] if host else dvalues
        return value, dvalues

    def directional(self, args):
        """Yield ``(value, ∇f·v, v)`` for each of the K directions (``v`` is a reused buffer)."""
        args = tuple(args)
        if not -len(args) <= self.wrt < len(args):
            raise ValueError(f"wrt={self.wrt} but only {len(args)} argument(s) were given")
        sampler = self._sampler_for(args[self.wrt])
        tangents = [None] * len(args)
        for _ in range(self.directions):
            v = sampler.sample()
            tangents[self.wrt] = v
            value, dvalue = self._jvp(args, tangents)
            if len(_shape(dvalue)) != 0:
                raise ValueError(
                    f"forward gradients need a scalar function; "
                    f"{getattr(self.f, '__name__', 'f')} returned shape {_shape(value)}"
                )
            # a device scalar stays on the device: float() of it would synchronise every step
            yield value, (float(dvalue) if sampler.xp is np else dvalue), v

    def estimate_into(self, args, out, scale=1.0):
        """Write ``scale`` times the estimate into ``out`` (a list of arrays in the order of
        ``leaves(args[wrt])``, with its shapes) without allocating; return ``f(*args)``. Used by the
        optimizers (SGD folds its step size in as ``scale``)."""
        k = self.directions
        if self.vectorized:
            value, dvalues = self._vector_jvp(args)
            xp = self._sampler.xp
            for o, b in zip(out, self._sampler._flat):
                coef = (dvalues * (scale / k)).astype(b.dtype)
                if o.dtype == b.dtype and o.flags.c_contiguous:
                    xp.dot(coef, b.reshape(k, -1), out=o.reshape(-1))
                else:  # another layout or precision (e.g. Fortran order, longdouble)
                    xp.copyto(o, xp.dot(coef, b.reshape(k, -1)).reshape(o.shape), casting="unsafe")
            return value
        value = None
        self.last_jvps = []
        for i, (value, d, _) in enumerate(self.directional(args)):  # noqa: B007 (value: the last one is returned)
            self.last_jvps.append(d)
            for o, b in zip(out, self._sampler._flat):
                scaled_into(o, b, _coef(d, scale, k, o.dtype), i == 0)
        return value

    def __call__(self, *args):
        k = self.directions
        if self.vectorized:
            value, dvalues = self._vector_jvp(args)
            v = self._sampler._flat[0] if self._sampler._scalar else self._sampler.buffers
            w = dvalues / k
            if self._sampler._scalar:
                return value, float(w @ v)
            xp = self._sampler.xp
            return value, map_tree(lambda b: xp.tensordot(w.astype(b.dtype), b, axes=1), v)
        grad = None
        value = None
        self.last_jvps = []
        for value, d, v in self.directional(args):  # noqa: B007 (value: the last one is returned)
            self.last_jvps.append(d)
            if grad is None:
                grad = (
                    map_tree(lambda b: _dense_scaled(b, _coef(d, 1, k, b.dtype)), v)
                    if not isinstance(v, (float, np.floating))
                    else v * (d / k)
                )
            elif isinstance(grad, (float, np.floating)):
                grad = grad + v * (d / k)
            else:
                map_tree(lambda g, b: scaled_into(g, b, _coef(d, 1, k, g.dtype), False), grad, v)
        return value, grad


def _coef(d, scale, k, dtype):
    """``d·scale/k`` in ``dtype``: a host number for a host ``d``; for a device scalar a device scalar
    (converting it to a Python number would wait for the device)."""
    if isinstance(d, (float, int, np.number)):
        return np.dtype(dtype).type(d * scale / k)
    return (d * (scale / k)).astype(dtype)


def _dense_scaled(b, scale):
    xp = namespace(b.u if isinstance(b, LowRank) else b)
    if isinstance(b, LowRank):
        out = xp.empty(b.shape, b.dtype)
        scaled_into(out, b, scale, True)
        return out
    out = xp.empty(_shape(b), b.dtype)  # a 0-d leaf stays a (writable) 0-d array
    xp.multiply(b, scale, out=out)
    return out


PERTURB = ("weights", "activations")


def forward_gradient(
    f,
    wrt=0,
    *,
    directions=1,
    distribution="normal",
    rng=None,
    jvp_fn=None,
    vectorized=None,
    rank=None,
    backend="auto",
    perturb="weights",
    exact=None,
):
    """Return ``g(*args) -> (value, grad_estimate)`` for a scalar function ``f``.

    ``grad_estimate`` has the structure of ``args[wrt]`` (an array, or a dict/list/tuple of arrays) and
    is the mean over ``directions`` random directions ``v`` of ``(∇f·v) v``, each ``∇f·v`` coming from one
    ``tangent_fwd.jvp`` call. ``distribution`` is ``"normal"`` or ``"rademacher"``; ``rng`` a
    ``numpy.random.Generator`` or an int seed (the same seed gives the same estimates). ``value`` is
    ``f(*args)``. With K > 1 the K JVPs come from one vector-mode pass
    (``tangent_fwd.jvp(..., vectorized=True)``) by default; ``vectorized=False`` runs K separate passes
    with the same directions, hence the same estimate.
    ``rank=r`` draws low-rank directions for matrix-shaped leaves (see :class:`DirectionSampler`): the
    JVP gets :class:`tangent_fwd.LowRank` tangents, which the generated code keeps factored (``x @ W``
    costs O(B(m + n)r) instead of O(Bmn)); one JVP pass per direction. The estimate is returned dense.
    ``backend`` is the array backend of the generated JVP ('auto': from the arguments).
    ``jvp_fn(func, primals, tangents, **kw)`` replaces ``tangent_fwd.jvp`` (e.g. for tests).

    ``perturb="activations"``: activity perturbation (Ren et al. 2023; see
    :mod:`tangent_fwd.training.local_losses`): ``f`` returns per-example losses (or a dict of local
    ones), its pre-activations are marked ``tangent_fwd.perturb(h @ W + b, name=...)``, each example
    gets its own direction at each site (K per example with ``directions=K``), and the weight and bias
    estimates come from each site's linear map. ``exact``: site name -> exact ∂objective/∂z function
    (activations only)."""
    if perturb not in PERTURB:
        raise ValueError(f"unknown perturb={perturb!r}; valid values: {', '.join(map(repr, PERTURB))}")
    if perturb == "activations":
        refused = [n for n, v in (("rank", rank), ("jvp_fn", jvp_fn)) if v is not None]
        if refused:
            raise ValueError(f"perturb='activations' cannot be combined with {', '.join(refused)}=")
        from .local_losses import ActivityGradient

        return ActivityGradient(f, wrt, directions, distribution, rng, vectorized, backend, exact)
    if exact is not None:
        raise ValueError("exact= (exact site gradients) needs perturb='activations'")
    return ForwardGradient(f, wrt, directions, distribution, rng, jvp_fn, vectorized, rank, backend)
