"""Coverage corpus: coverage_statements (issue 13). Realistic functions written the way users write them:
numerically careful code under ``np.errstate``/``warnings.catch_warnings``, memory-frugal NumPy with
``out=``, state held in dataclasses and namedtuples, ``try``/``except`` fallbacks, and the Python
sequence idioms (``[*xs]``, ``{**d}``, ``dict(...)``, ``list.pop``/``insert``/``extend``/``reverse``,
``reversed``, ``math.dist``/``fsum``/``prod``)."""

import collections
import contextlib
import dataclasses
import math
import warnings

import numpy as np

from . import case

REFUSAL_OK = set()


def _vec(n, scale=1.0, shift=0.0):
    return lambda rng: (rng.normal(size=n) * scale + shift,)


def _pos(n):
    return lambda rng: (rng.uniform(0.5, 2.0, size=n),)


# ================================================================== with np.errstate / warnings
@case(args=lambda rng: (rng.uniform(0.1, 1.0, 5), rng.uniform(0.1, 1.0, 5)), wrt=(0, 1), tags="array np_where")
def safe_log_ratio(p, q):
    with np.errstate(divide="ignore", invalid="ignore"):
        r = np.where(q > 0, np.log(p / q), 0.0)
    return np.sum(p * r)


@case(args=_vec(6, scale=10.0), tags="array np_where")
def stable_softplus(x):
    with np.errstate(over="ignore"):
        big = x > 30.0
        y = np.where(big, x, np.log1p(np.exp(np.where(big, 0.0, x))))
    return y.sum()


@case(args=lambda rng: (rng.normal(size=6), (rng.uniform(size=6) > 0.3).astype(float)), tags="array red_sum")
def masked_mean(x, mask):
    with np.errstate(invalid="ignore", divide="ignore"):
        total = (x * mask).sum()
        count = mask.sum()
        mean = total / count if count > 0 else 0.0 * total
    return mean * mean + total


@case(args=lambda rng: (rng.dirichlet(np.ones(4)), rng.dirichlet(np.ones(4))), wrt=(0, 1), tags="array red_sum")
def kl_divergence(p, q):
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(p > 0, p * (np.log(p) - np.log(q)), 0.0)
    return terms.sum()


@case(args=_pos(5), tags="array math")
def entropy_quietly(w):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        p = w / w.sum()
        h = -(p * np.log(p)).sum()
    return h


@case(
    args=lambda rng: (rng.normal(size=3), rng.normal(size=(4, 3)), np.array([0.0, 1.0, 1.0, 0.0])),
    tags="array for_range",
)
def logistic_loss_loop(w, X, y):
    loss = 0.0
    for i in range(X.shape[0]):
        with np.errstate(over="ignore"):
            z = X[i] @ w
            loss = loss + np.logaddexp(0.0, z) - y[i] * z
    return loss / X.shape[0]


# ================================================================== out= (memory-frugal NumPy)
@case(args=lambda rng: (rng.normal(size=(4, 3)), rng.normal(size=3)), wrt=(0, 1), tags="array np_maximum la_matmul")
def mlp_relu_inplace(W, x):
    h = W @ x
    np.maximum(h, 0.0, out=h)
    return h @ h


@case(args=lambda rng: (rng.normal(size=(5, 3)),), tags="array for_array")
def ema_inplace(x):
    buf = np.zeros(x.shape[1])
    for row in x:
        np.multiply(buf, 0.9, out=buf)
        np.add(buf, 0.1 * row, out=buf)
    return buf @ buf


@case(args=lambda rng: (rng.normal(size=(3, 4)),), tags="array red_sum")
def normalize_rows_inplace(A):
    norms = np.sqrt((A * A).sum(axis=1, keepdims=True))
    B = A.copy()
    np.divide(B, norms, out=B)
    return (B * np.arange(4.0)).sum()


@case(args=lambda rng: (rng.normal(size=(4, 3)),), tags="array red_axis")
def column_sums_out(A):
    buf = np.empty(A.shape[1])
    np.sum(A * A, axis=0, out=buf)
    return buf @ np.array([1.0, 2.0, 3.0])


@case(args=_vec(5, scale=0.5), tags="array np_clip")
def clip_gradient_inplace(g):
    g2 = g * 3.0
    np.clip(g2, -1.0, 1.0, out=g2)
    return (g2 * g).sum()


@case(args=lambda rng: (rng.normal(size=4), rng.normal(size=3)), wrt=(0, 1), tags="array for_array model_horner")
def horner_out(c, x):
    acc = np.zeros_like(x)
    for ci in c:
        np.multiply(acc, x, out=acc)
        np.add(acc, ci, out=acc)
    return acc.sum()


@case(args=_vec(5), tags="array model_softmax_xent")
def softmax_inplace(z):
    e = z - z.max()
    np.exp(e, out=e)
    np.divide(e, e.sum(), out=e)
    return e @ np.arange(5.0)


# ================================================================== dataclasses and namedtuples
@dataclasses.dataclass
class Particle:
    q: np.ndarray
    p: np.ndarray
    mass: float = 1.0


def _leapfrog(s, dt):
    p_half = s.p - 0.5 * dt * s.q
    q_new = s.q + dt * p_half / s.mass
    return Particle(q=q_new, p=p_half - 0.5 * dt * q_new, mass=s.mass)


@case(args=_vec(3), tags="array call_user for_range")
def leapfrog_energy(q):
    state = Particle(q, np.zeros_like(q), 2.0)
    for _ in range(4):
        state = _leapfrog(state, 0.1)
    return 0.5 * (state.p @ state.p) / state.mass + 0.5 * (state.q @ state.q)


Moments = collections.namedtuple("Moments", "m v")


@case(args=_vec(4), tags="array for_range")
def adam_like_moments(g):
    mom = Moments(np.zeros_like(g), np.zeros_like(g))
    for t in range(1, 4):
        mom = mom._replace(m=0.9 * mom.m + 0.1 * g * t)
        mom = Moments(mom.m, 0.99 * mom.v + 0.01 * (g * g))
    return (mom.m / (np.sqrt(mom.v) + 1e-3)).sum()


@dataclasses.dataclass(frozen=True)
class Gaussian:
    mu: float
    log_sigma: float

    def logpdf(self, x):
        s = np.exp(self.log_sigma)
        return -0.5 * ((x - self.mu) / s) ** 2 - self.log_sigma - 0.5 * np.log(2 * np.pi)


@case(args=lambda rng: (rng.normal(size=2), rng.normal(size=6)), wrt=(0, 1), tags="array")
def gaussian_log_likelihood(theta, data):
    g = Gaussian(mu=theta[0], log_sigma=theta[1] * 0.3)
    s = np.exp(g.log_sigma)
    z = (data - g.mu) / s
    return (-0.5 * z * z).sum() - data.shape[0] * g.log_sigma


Belief = collections.namedtuple("Belief", ["mean", "var"])


def _kalman_update(b, z, r):
    k = b.var / (b.var + r)
    return Belief(b.mean + k * (z - b.mean), (1.0 - k) * b.var)


@case(args=lambda rng: (rng.normal(size=5),), tags="array call_user for_array")
def kalman_filter(zs):
    b = Belief(0.0, 1.0)
    for z in zs:
        b = _kalman_update(b, z, 0.5)
        b = b._replace(var=b.var + 0.1)
    return b.mean + b.var


@dataclasses.dataclass(frozen=True)
class Config:
    scale: float = 2.0
    shift: float = -0.5


@case(args=_vec(4), tags="array")
def frozen_config(x):
    cfg = Config()
    y = cfg.scale * x + cfg.shift
    cfg2 = dataclasses.replace(cfg, scale=x.sum())
    return (y * cfg2.scale).sum()


@dataclasses.dataclass
class RunningStats:
    total: float
    sq: float
    n: int


@case(args=_vec(5), tags="array for_array")
def running_stats_replace(x):
    stats = RunningStats(0.0, 0.0, 0)
    for v in x:
        stats = dataclasses.replace(stats, total=stats.total + v, sq=stats.sq + v * v, n=stats.n + 1)
    mean = stats.total / stats.n
    return stats.sq / stats.n - mean * mean


# ================================================================== try / except fallbacks
@case(args=lambda rng: (rng.normal(size=(3, 3)) + 2 * np.eye(3), rng.normal(size=3)), wrt=(0, 1), tags="array la_solve")
def solve_or_ridge(A, b):
    try:
        x = np.linalg.solve(A, b)
    except np.linalg.LinAlgError:
        x = np.linalg.solve(A + 1e-3 * np.eye(A.shape[0]), b)
    return x @ x


@case(args=lambda rng: ({"w": rng.normal(size=3)}, rng.normal(size=3)), wrt=(0, 1), tags="array dict_input")
def scale_with_default(params, x):
    try:
        scale = params["scale"]
    except KeyError:
        scale = 1.5
    return np.tanh(params["w"] @ x) * scale


@case(args=lambda rng: ([float(v) for v in rng.normal(size=5)],), tags="list_input py_float for_list continue math")
def sqrt_of_valid_entries(xs):
    total = 0.0
    for v in xs:
        try:
            r = math.sqrt(v)
        except ValueError:
            continue
        total = total + r * v
    return total


def _inverse_quadratic(a, b):
    return 1.0 / (a * a - b)


@case(args=lambda rng: (float(rng.uniform(1.5, 2.0)),), tags="py_float call_user")
def reciprocal_with_fallback(x):
    try:
        y = _inverse_quadratic(x, 1.0)
    except ZeroDivisionError:
        y = x
    return y * x


@case(args=lambda rng: (float(rng.uniform(0.5, 2.0)),), tags="py_float math")
def try_else_finally(x):
    try:
        y = math.log(x)
    except ValueError:
        y = -x
    else:
        y = y * x + 1.0
    finally:
        x = x * 2.0
    return y + x


@case(args=lambda rng: (rng.normal(size=5),), tags="array for_array math")
def suppress_bad_logs(xs):
    total = xs.sum() * 0.5
    for v in xs:
        with contextlib.suppress(ValueError):
            total = total + math.log(v) * v
    return total


@case(args=lambda rng: (rng.normal(size=4),), tags="array np_elementwise")
def log_or_shifted_log(x):
    try:
        with np.errstate(divide="raise", invalid="raise"):
            y = np.log(x)
    except FloatingPointError:
        y = np.log(np.abs(x) + 1.0)
    return y.sum()


@case(args=lambda rng: (float(rng.uniform(0.1, 0.9)),), tags="py_float early_return math")
def arccos_or_linear(x):
    try:
        return math.acos(x) * x
    except ValueError:
        return x


# ================================================================== sequence idioms
@case(args=lambda rng: (rng.normal(size=3), rng.normal(size=2)), wrt=(0, 1), tags="array list_literal")
def concat_starred(x, y):
    parts = [*x, *y, x[0] * y[1]]
    head, *rest = parts
    return head * sum(rest)


@case(args=lambda rng: ({"lr": 0.1, "w": rng.normal(size=3)},), tags="dict_input dict_literal")
def merge_with_defaults(params):
    defaults = {"lr": 0.01, "decay": 0.5}
    cfg = {**defaults, **params, "bias": params["w"].sum()}
    opts = dict(cfg, scale=2.0)
    return (opts["w"] * opts["lr"] * opts["decay"]).sum() + opts["bias"] * opts["scale"]


@case(args=_vec(3), tags="array dict_literal")
def dict_keyword_constructor(x):
    d = dict(a=x * 2.0, b=np.sin(x), n=3)
    return (d["a"] * d["b"]).sum() * d["n"]


@case(args=_vec(4), tags="array list_append")
def list_as_stack(x):
    stack = [x[0], x[1]]
    stack.append(x[2] * 2.0)
    stack.insert(0, x[3])
    stack.extend([x[0] * x[1], 1.0])
    stack.reverse()
    top = stack.pop()
    second = stack.pop(0)
    return top * second + sum(stack)


@case(
    args=lambda rng: ([float(v) for v in rng.normal(size=4)], float(rng.normal())),
    wrt=(0, 1),
    tags="list_input py_float for_list model_horner",
)
def horner_reversed(coeffs, x):
    acc = 0.0
    for c in reversed(coeffs):
        acc = acc * x + c
    return acc


@case(args=lambda rng: (rng.normal(size=(4, 2)),), tags="array for_range math")
def path_length(points):
    total = 0.0
    for i in range(points.shape[0] - 1):
        total = total + math.dist(points[i], points[i + 1])
    return total


@case(args=lambda rng: ([float(v) for v in rng.uniform(0.5, 1.5, size=4)],), tags="list_input math")
def fsum_and_prod(xs):
    return math.fsum([v * v for v in xs]) + math.prod(xs) + math.prod(reversed(xs), start=2.0)


# ================================================================== methods of records holding differentiated state
@dataclasses.dataclass
class Oscillator:
    x: np.ndarray
    v: np.ndarray
    k: float = 2.0

    def force(self):
        return -self.k * self.x

    def step(self, dt):
        v = self.v + dt * self.force()
        return Oscillator(self.x + dt * v, v, self.k)

    def energy(self):
        return 0.5 * (self.v @ self.v) + 0.5 * self.k * (self.x @ self.x)


@case(args=_vec(3), tags="array for_range")
def oscillator_energy_drift(x0):
    osc = Oscillator(x0, np.zeros_like(x0))
    e0 = osc.energy()
    for _ in range(5):
        osc = osc.step(0.05)
    return osc.energy() - e0


class Interval(collections.namedtuple("Interval", "lo hi")):
    def width(self):
        return self.hi - self.lo

    def clamp(self, v):
        return np.minimum(np.maximum(v, self.lo), self.hi)


@case(
    args=lambda rng: (rng.normal(size=5), float(rng.uniform(0.5, 1.0))),
    wrt=(0, 1),
    tags="array py_float np_maximum np_minimum",
    float32=False,  # np.maximum(x32, -h) with a Python-float h: its rule gives a float64 tangent (reported)
)
def clamp_to_interval(x, half):
    box = Interval(-half, half * 1.5)
    return (box.clamp(x * 2.0) ** 2).sum() / box.width()
