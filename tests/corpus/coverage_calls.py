"""Coverage corpus: coverage_calls (issue 13). Realistic functions written the way users write them:
lambdas, models as classes with a loss method, optimisers and callbacks taking functions, map/filter/
sorted/min/max/reduce with user functions, partials, *args/**kwargs forwarding."""

import functools
import math
from functools import partial, reduce

import numpy as np

from . import case

REFUSAL_OK = set()


def _vec(n):
    return lambda rng: (rng.normal(size=n),)


# ------------------------------------------------------------------ module-level lambdas and helpers
softplus = lambda z: np.log1p(np.exp(z))  # noqa: E731
sigmoid = lambda z: 1.0 / (1.0 + np.exp(-z))  # noqa: E731
ACTIVATIONS = {"tanh": np.tanh, "softplus": softplus, "sin": np.sin}
LAYERS = [np.tanh, softplus, lambda h: h * sigmoid(h)]


def _apply(fn, x):
    return fn(x)


def _compose(fs, x):
    for f in fs:
        x = f(x)
    return x


def _integrate(f, a, b, n=8):
    """Trapezoid rule on [a, b] for a user function f."""
    h = (b - a) / n
    total = 0.5 * (f(a) + f(b))
    for i in range(1, n):
        total = total + f(a + i * h)
    return total * h


def _gd(loss_grad, w, lr, steps):
    for _ in range(steps):
        w = w - lr * loss_grad(w)
    return w


def _mse(pred, target):
    return np.mean((pred - target) ** 2)


def _weighted(*terms, weights=None):
    ws = weights if weights is not None else [1.0] * len(terms)
    total = 0.0
    for w, t in zip(ws, terms):
        total = total + w * t
    return total


def _loss_with_options(x, **options):
    scale = options.get("scale", 1.0)
    return scale * np.sum(x**2) + options.get("offset", 0.0)


# ------------------------------------------------------------------ classes
class Linear:
    def __init__(self, W, b):
        self.W, self.b = W, b

    def __call__(self, x):
        return self.W @ x + self.b


class MLP:
    def __init__(self, rng_seed=0):
        rng = np.random.default_rng(rng_seed)
        self.W1 = rng.normal(size=(4, 3)) / 2
        self.W2 = rng.normal(size=(2, 4)) / 2
        self.activation = np.tanh

    def forward(self, x):
        h = self.activation(self.W1 @ x)
        return self.W2 @ h

    def loss(self, x, target):
        return _mse(self.forward(x), target)

    @staticmethod
    def penalty(x):
        return 0.01 * np.sum(x**2)

    @classmethod
    def describe(cls, x):
        return np.sum(x) * len(cls.__name__)


class Quadratic:
    def __init__(self, A):
        self.A = A

    def energy(self, params, scale):
        return scale * params @ self.A @ params


class Ensemble:
    def __init__(self):
        self.members = [Linear(np.eye(3) * (k + 1), np.full(3, 0.1 * k)) for k in range(3)]

    def predict(self, x):
        return sum(m(x) for m in self.members) / len(self.members)


class Schedule:
    def __init__(self, decay):
        self.decay = decay

    def weight(self, k):
        return self.decay**k


MODEL = MLP()
QUAD = Quadratic(np.array([[2.0, 0.5, 0.0], [0.5, 1.0, 0.2], [0.0, 0.2, 3.0]]))
ENSEMBLE = Ensemble()
TARGET = np.array([0.3, -0.2])
TARGET3 = np.array([0.1, 0.2, -0.4])


# ------------------------------------------------------------------ cases
@case(args=_vec(3), tags="array call_user")
def lambda_local_closure(x):
    scale = np.sum(x**2)
    f = lambda v: np.sin(v) * scale  # noqa: E731
    return np.sum(f(x) + f(2 * x))


@case(args=_vec(3), tags="array call_user")
def module_lambdas_chained(x):
    return np.sum(sigmoid(softplus(x)) * x)


@case(args=_vec(3), tags="array call_user")
def activation_from_dict(x):
    total = 0.0
    for name in ("tanh", "softplus", "sin"):
        total = total + np.sum(ACTIVATIONS[name](x))
    return total


@case(args=_vec(3), tags="array call_user")
def layers_from_list(x):
    return np.sum(_compose(LAYERS, x))


@case(args=_vec(3), tags="array call_user")
def function_passed_as_argument(x):
    return np.sum(_apply(np.exp, x) + _apply(softplus, x))


@case(args=lambda rng: (float(rng.uniform(0.5, 1.5)),), tags="py_float call_user")
def integrate_lambda(a):
    return _integrate(lambda t: t * t * a, 0.0, 1.0)


@case(args=lambda rng: (rng.normal(size=3), rng.normal(size=2)), tags="array call_user")
def model_loss_method(x, target):
    return MODEL.loss(x, target)


@case(args=_vec(3), tags="array call_user")
def method_staticmethod_classmethod(x):
    return MODEL.loss(x, TARGET) + MLP.penalty(x) + MODEL.describe(x)


@case(args=_vec(3), tags="array call_user")
def bound_method_as_value(x):
    energy = partial(QUAD.energy, scale=0.5)
    return energy(x) + _apply(MODEL.penalty, x)


@case(args=_vec(3), tags="array call_user")
def callable_objects_in_list(x):
    return np.sum(ENSEMBLE.predict(x) ** 2)


@case(args=lambda rng: (float(rng.uniform(0.5, 0.9)),), tags="py_float call_user")
def gradient_descent_with_callback(w0):
    return _gd(lambda w: 2.0 * (w - 3.0), w0, 0.1, 5)


@case(args=_vec(4), tags="array call_user")
def map_with_lambda_reading_active(x):
    c = np.sum(x)
    return sum(map(lambda v: v * c, x))


@case(args=_vec(4), tags="array call_user")
def map_two_iterables(x):
    pairs = list(map(lambda a, b: a * b, x, x[::-1]))
    return pairs[0] + pairs[-1] * 2.0


@case(args=_vec(5), tags="array call_user")
def filter_positive_terms(x):
    terms = [v * v for v in x]
    return sum(filter(lambda t: t > 0.3, terms)) + sum(filter(None, [x[0], 0.0]))


@case(args=_vec(5), tags="array call_user")
def sorted_by_key_top2(x):
    ranked = sorted(list(x), key=lambda v: -abs(v))
    return ranked[0] * 2.0 + ranked[1]


@case(args=_vec(5), tags="array call_user")
def max_min_with_key(x):
    vals = [x[0] * 2.0, x[1] - 1.0, x[2] ** 2, np.sin(x[3])]
    return max(vals, key=abs) + min(vals, key=lambda v: (v - 0.5) ** 2) * 3.0


@case(args=_vec(4), tags="array call_user")
def reduce_product(x):
    return reduce(lambda acc, v: acc * (1.0 + 0.1 * v), list(x), 1.0)


@case(args=_vec(4), tags="array call_user")
def reduce_matrix_chain(x):
    mats = [np.array([[1.0, v], [0.0, 1.0 + v * v]]) for v in x]
    prod = functools.reduce(np.matmul, mats)
    return prod[0, 1] + prod[1, 1]


@case(args=_vec(3), tags="array call_user")
def partial_of_user_function(x):
    f = partial(_loss_with_options, scale=2.0)
    return f(x) + partial(_mse, target=TARGET3)(x)


@case(args=_vec(3), tags="array call_user call_kwargs")
def kwargs_forwarding(x):
    opts = {"scale": np.sum(x), "offset": x[0]}
    return _loss_with_options(x, **opts) + _loss_with_options(2.0 * x, scale=x[1])


@case(args=_vec(3), tags="array call_user")
def args_forwarding(x):
    terms = (np.sum(x**2), np.sum(np.sin(x)), x[0] * x[1])
    return _weighted(*terms) + _weighted(x[2], x[0], weights=[0.5, 2.0])


@case(args=_vec(3), tags="array call_user")
def schedule_weighted_sum(x):
    sched = Schedule(0.9)
    return sum(sched.weight(k) * np.sum(x ** (k + 1)) for k in range(3))


@case(args=_vec(3), tags="array call_user math")
def math_functions_as_values(x):
    fs = [math.sin, math.exp, abs]
    total = 0.0
    for f in fs:
        total = total + f(x[0] * 0.5)
    return total


@case(args=_vec(3), tags="array call_user")
def lambda_returning_tuple(x):
    split = lambda v: (v[0] * 2.0, np.sum(v[1:] ** 2))  # noqa: E731
    a, b = split(x)
    return a * b


@case(args=_vec(3), tags="array call_user")
def nested_def_passed_inactive_closure(x):
    k = 3.0

    def scaled_tanh(v):
        return np.tanh(k * v)

    return np.sum(_apply(scaled_tanh, x))


@case(args=_vec(3), tags="array call_user")
def immediately_called_lambda(x):
    return np.sum((lambda v: v**3 - v)(x))


@case(args=_vec(4), tags="array call_user")
def dict_of_losses(x):
    losses = {"l2": lambda v: np.sum(v**2), "l1s": lambda v: np.sum(np.sqrt(v * v + 1e-3))}
    return sum(losses[k](x) * w for k, w in (("l2", 0.5), ("l1s", 1.5)))


@case(args=_vec(3), tags="array call_user")
def sorted_items_then_map(x):
    scores = {"a": x[0] ** 2, "b": x[1] + 1.0, "c": np.cos(x[2])}
    ordered = sorted(scores.items(), key=lambda kv: kv[0])
    return sum(map(lambda kv: kv[1] * 2.0, ordered))


# ------------------------------------------------------------------ formerly refused (tests/corpus/unsupported.py)
def _add3(a, b, c):
    return a * b + c


def _square(x):
    return x * x


def _star_params(a, *rest):
    return a * sum(rest)


@case(args=lambda rng: ([rng.normal(size=2), rng.normal(size=2)],), tags="list_input call_user")
def star_args_with_differentiated_values(xs):
    return np.sum(_add3(*xs, 1.0))


@case(args=_vec(2), tags="array call_user")
def function_stored_in_a_variable(x):
    f = _square
    return np.sum(f(x))


@case(args=_vec(2), tags="array call_user closure")
def lambda_expression(x):
    g = lambda z: z * x  # noqa: E731
    return np.sum(g(x))


@case(args=lambda rng: (float(rng.uniform(0.5, 1.0)),), tags="py_float call_user")
def differentiated_value_into_star_params(x):
    return _star_params(x, x, 2.0)
