"""Soundness (issue 12), the hidden-corpus bar: realistic scientific and ML code, written the way outsiders write it.

ODE integrators that update their state in place, Kalman filter steps, Gauss-Newton and Newton
iterations, attention / softmax / layer norm / batch norm with running statistics kept in a dict, RNN,
GRU and LSTM loops over time that keep lists of states, physics stencils with ``np.roll``, finite-volume
updates on slices, Horner loops, stable log-sum-exp, mixture-model log-likelihoods, optimiser steps on
parameter dicts, and similar. Nothing here is adversarial on purpose: this is the code the library must
differentiate correctly (or refuse cleanly) in the wild.

Cases in ``REFUSAL_OK`` may be refused with a clean ``tangent_fwd.TransformError`` naming file and line."""

import math

import numpy as np

from . import case

REFUSAL_OK = set()


def spd(rng, n=3):
    A = rng.standard_normal((n, n))
    return A @ A.T + n * np.eye(n)


def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def _softmax(z, axis=-1):
    z = z - np.max(z, axis=axis, keepdims=True)
    e = np.exp(z)
    return e / np.sum(e, axis=axis, keepdims=True)


def _logsumexp(a, axis=None, keepdims=False):
    m = np.max(a, axis=axis, keepdims=True)
    out = np.log(np.sum(np.exp(a - m), axis=axis, keepdims=True)) + m
    if not keepdims:
        out = np.squeeze(out, axis=axis)
    return out


def _layernorm(x, gamma, beta, eps=1e-5):
    mu = x.mean(axis=-1, keepdims=True)
    var = ((x - mu) ** 2).mean(axis=-1, keepdims=True)
    return gamma * (x - mu) / np.sqrt(var + eps) + beta


# ------------------------------------------------------------------ ODE integrators
def _lorenz(s, sigma=10.0, rho=28.0, beta=8.0 / 3.0):
    x, y, z = s
    return np.array([sigma * (y - x), x * (rho - z) - y, x * y - beta * z])


@case(args=lambda rng: (np.array([1.0, 1.0, 1.0]) + 0.1 * rng.standard_normal(3),), tags="model_rnn for_range")
def rk4_lorenz(s0):
    dt = 0.01
    s = s0.copy()
    for _ in range(20):
        k1 = _lorenz(s)
        k2 = _lorenz(s + 0.5 * dt * k1)
        k3 = _lorenz(s + 0.5 * dt * k2)
        k4 = _lorenz(s + dt * k3)
        s += dt / 6.0 * (k1 + 2 * k2 + 2 * k3 + k4)
    return s


@case(args=lambda rng: (rng.standard_normal(4), 0.7), wrt=(0, 1), tags="aug_add for_range py_float")
def euler_inplace_linear_damped(y, k):
    A = np.array([[0.0, 1.0, 0.0, 0.0], [-1.0, -0.1, 0.5, 0.0], [0.0, 0.0, 0.0, 1.0], [0.5, 0.0, -2.0, -0.1]])
    dt = 0.05
    y = y.copy()
    for _ in range(30):
        y += dt * (A @ y - k * y**3 / 10.0)
    return y


@case(
    args=lambda rng: (rng.standard_normal(3), rng.standard_normal(3)), wrt=(0, 1), tags="for_range aug_add nested_def"
)
def velocity_verlet_springs(q, p):
    dt = 0.02
    q = q.copy()
    p = p.copy()

    def force(q):
        return -q - 0.3 * (q - np.roll(q, 1)) - 0.1 * q**3

    f = force(q)
    for _ in range(25):
        p += 0.5 * dt * f
        q += dt * p
        f = force(q)
        p += 0.5 * dt * f
    energy = 0.5 * np.sum(p**2) + 0.5 * np.sum(q**2)
    return q, p, energy


@case(args=lambda rng: (rng.uniform(0.5, 1.5, 2),), tags="for_range unpack list_append")
def lotka_volterra_trajectory(state):
    a, b, c, d = 1.1, 0.4, 0.4, 0.1
    dt = 0.05
    traj = [state]
    x, y = state
    for _ in range(40):
        dx = a * x - b * x * y
        dy = d * x * y - c * y
        x, y = x + dt * dx, y + dt * dy
        traj.append(np.array([x, y]))
    return np.array(traj)[::10]


@case(args=lambda rng: (0.3, 0.0), wrt=(0, 1), tags="py_float math for_range")
def pendulum_semi_implicit_scalar(theta, omega):
    g, L, dt = 9.81, 1.0, 0.01
    for _ in range(50):
        omega = omega - g / L * math.sin(theta) * dt
        theta = theta + omega * dt
    return theta, omega


@case(args=lambda rng: (rng.standard_normal(2) * 0.5 + np.array([2.0, 0.0]),), tags="for_range setitem_int cr_zeros")
def van_der_pol_rk2_preallocated(y0):
    mu = 1.0
    n = 30
    dt = 0.05
    out = np.zeros((n + 1, 2))
    out[0] = y0
    for i in range(n):
        y = out[i]
        f1 = np.array([y[1], mu * (1 - y[0] ** 2) * y[1] - y[0]])
        ym = y + 0.5 * dt * f1
        f2 = np.array([ym[1], mu * (1 - ym[0] ** 2) * ym[1] - ym[0]])
        out[i + 1] = y + dt * f2
    return out[-1] + out.sum(axis=0) * 0.01


@case(args=lambda rng: (np.array([0.0, 0.0, 10.0, 12.0]) + 0.1 * rng.standard_normal(4),), tags="while break")
def projectile_with_drag_until_ground(s0):
    dt = 0.01
    s = s0.copy()
    t = 0.0
    while t < 1.0:
        v = s[2:]
        speed = np.sqrt(v @ v)
        a = np.array([0.0, -9.81]) - 0.02 * speed * v
        s[:2] += dt * v
        s[2:] += dt * a
        t += dt
        if s[1] < -100.0:
            break
    return s


# ------------------------------------------------------------------ estimation and optimisation steps
@case(
    args=lambda rng: (rng.standard_normal(2), np.eye(2) + 0.1 * spd(rng, 2), rng.standard_normal(1)),
    wrt=(0, 1, 2),
    tags="la_inv la_matmul attr_T",
)
def kalman_step(x, P, z):
    F = np.array([[1.0, 0.1], [0.0, 1.0]])
    H = np.array([[1.0, 0.0]])
    Q = 0.01 * np.eye(2)
    R = np.array([[0.5]])
    x = F @ x
    P = F @ P @ F.T + Q
    y = z - H @ x
    S = H @ P @ H.T + R
    K = P @ H.T @ np.linalg.inv(S)
    x = x + K @ y
    P = (np.eye(2) - K @ H) @ P
    return x, P


@case(args=lambda rng: (rng.standard_normal(8), 0.3), wrt=(0, 1), tags="for_array list_append la_solve")
def kalman_filter_sequence(zs, q):
    F = np.array([[1.0, 1.0], [0.0, 1.0]])
    H = np.array([1.0, 0.0])
    x = np.zeros(2)
    P = np.eye(2)
    estimates = []
    for z in zs:
        x = F @ x
        P = F @ P @ F.T + q * np.eye(2)
        S = H @ P @ H + 1.0
        K = P @ H / S
        x = x + K * (z - H @ x)
        P = P - np.outer(K, H @ P)
        estimates.append(x[0])
    return np.array(estimates)


@case(
    args=lambda rng: (np.array([1.0, -0.5]) + 0.05 * rng.standard_normal(2), np.linspace(0.0, 2.0, 8)),
    tags="la_solve attr_T for_range",
)
def gauss_newton_exponential_fit(theta, t):
    y = 1.2 * np.exp(-0.7 * t)
    for _ in range(3):
        a, b = theta[0], theta[1]
        pred = a * np.exp(b * t)
        r = pred - y
        J = np.stack([np.exp(b * t), a * t * np.exp(b * t)], axis=1)
        theta = theta - np.linalg.solve(J.T @ J + 1e-3 * np.eye(2), J.T @ r)
    return theta


@case(args=lambda rng: (rng.uniform(1.0, 4.0),), tags="while py_float model_newton")
def newton_sqrt_while_tolerance(a):
    x = a
    while abs(x * x - a) > 1e-12 * a:
        x = 0.5 * (x + a / x)
    return x


@case(args=lambda rng: (rng.uniform(0.5, 3.0, 4),), tags="for_range model_newton")
def newton_cubic_fixed_iterations(a):
    x = np.ones_like(a)
    for _ in range(30):
        x = x - (x**3 + x - a) / (3 * x**2 + 1)
    return x


@case(
    args=lambda rng: (rng.standard_normal((6, 3)), rng.standard_normal(6), 0.5), wrt=(0, 1, 2), tags="la_solve attr_T"
)
def ridge_regression_closed_form(X, y, lam):
    A = X.T @ X + lam * np.eye(X.shape[1])
    w = np.linalg.solve(A, X.T @ y)
    return w, np.mean((X @ w - y) ** 2)


@case(args=lambda rng: (spd(rng, 4),), tags="for_range la_norm")
def power_iteration_top_eigenvalue(A):
    v = np.ones(A.shape[0]) / 2.0
    for _ in range(60):
        w = A @ v
        v = w / np.linalg.norm(w)
    return v @ A @ v


@case(
    args=lambda rng: (rng.standard_normal(3), rng.standard_normal(3), {"m": np.zeros(3), "v": np.zeros(3)}),
    wrt=(0, 1),
    mutates=True,
    tags="dict_input for_range aug_mul aug_add",
)
def adam_steps_state_in_dict(w, g0, state):
    b1, b2, lr, eps = 0.9, 0.999, 0.1, 1e-8
    for t in range(1, 4):
        g = g0 + w**3
        state["m"] *= b1
        state["m"] += (1 - b1) * g
        state["v"] = b2 * state["v"] + (1 - b2) * g * g
        mhat = state["m"] / (1 - b1**t)
        vhat = state["v"] / (1 - b2**t)
        w = w - lr * mhat / (np.sqrt(vhat) + eps)
    return w


@case(args=lambda rng: (rng.standard_normal(4), np.zeros(4)), wrt=0, mutates=True, tags="aug_sub aug_mul aug_add")
def sgd_momentum_inplace(w, vel):
    w = w.copy()
    for _ in range(5):
        grad = 2.0 * w + np.sin(w)
        vel *= 0.9
        vel += grad
        w -= 0.05 * vel
    return w


@case(args=lambda rng: (np.array([-1.2, 1.0]) + 0.01 * rng.standard_normal(2),), tags="for_range py_float")
def gradient_descent_rosenbrock_handwritten_grad(x):
    x = x.copy()
    for _ in range(10):
        gx = -2 * (1 - x[0]) - 400 * x[0] * (x[1] - x[0] ** 2)
        gy = 200 * (x[1] - x[0] ** 2)
        x[0] -= 1e-3 * gx
        x[1] -= 1e-3 * gy
    return (1 - x[0]) ** 2 + 100 * (x[1] - x[0] ** 2) ** 2


# ------------------------------------------------------------------ ML layers
@case(
    args=lambda rng: (
        rng.standard_normal((4, 8)),
        rng.standard_normal((8, 8)) * 0.3,
        rng.standard_normal((8, 8)) * 0.3,
    ),
    wrt=(0, 1, 2),
    tags="model_softmax_xent la_matmul attr_T",
)
def scaled_dot_product_attention(X, Wq, Wk):
    Q = X @ Wq
    K = X @ Wk
    d = Q.shape[-1]
    scores = Q @ K.T / np.sqrt(d)
    scores = scores - scores.max(axis=-1, keepdims=True)
    w = np.exp(scores)
    w /= w.sum(axis=-1, keepdims=True)
    return w @ X


@case(
    args=lambda rng: (rng.standard_normal((2, 3, 4)), rng.standard_normal((4, 4)) * 0.5),
    wrt=(0, 1),
    tags="la_einsum model_softmax_xent",
)
def causal_multihead_attention_einsum(x, W):
    B, T, D = x.shape
    h = 2
    q = (x @ W).reshape(B, T, h, D // h)
    k = x.reshape(B, T, h, D // h)
    att = np.einsum("bthd,bshd->bhts", q, k) / math.sqrt(D // h)
    mask = np.triu(np.ones((T, T), dtype=bool), k=1)
    att = np.where(mask, -1e9, att)
    att = _softmax(att, axis=-1)
    out = np.einsum("bhts,bshd->bthd", att, k)
    return out.reshape(B, T, D)


@case(
    args=lambda rng: (rng.standard_normal((3, 5)), 1.0 + 0.1 * rng.standard_normal(5), 0.1 * rng.standard_normal(5)),
    wrt=(0, 1, 2),
    tags="call_user call_defaults",
)
def layernorm_layer(x, gamma, beta):
    return _layernorm(x, gamma, beta)


@case(
    args=lambda rng: (
        rng.standard_normal((6, 3)),
        {"gamma": np.ones(3), "beta": np.zeros(3)},
        {"mean": np.zeros(3), "var": np.ones(3)},
    ),
    wrt=(0, 1),
    mutates=True,
    tags="dict_input container_subscript",
)
def batchnorm_train_running_stats_in_dict(x, params, state):
    mu = x.mean(axis=0)
    var = x.var(axis=0)
    state["mean"] = 0.9 * state["mean"] + 0.1 * mu
    state["var"] = 0.9 * state["var"] + 0.1 * var * x.shape[0] / (x.shape[0] - 1)
    xhat = (x - mu) / np.sqrt(var + 1e-5)
    return params["gamma"] * xhat + params["beta"]


@case(
    args=lambda rng: (
        rng.standard_normal((4, 3)),
        {"gamma": np.ones(3), "beta": np.zeros(3)},
        {"mean": 0.1 * rng.standard_normal(3), "var": rng.uniform(0.5, 1.5, 3)},
    ),
    wrt=(0, 1, 2),
    tags="dict_input if",
)
def batchnorm_eval_or_train(x, params, state, training=False):
    if training:
        mu, var = x.mean(0), x.var(0)
    else:
        mu, var = state["mean"], state["var"]
    return params["gamma"] * (x - mu) / np.sqrt(var + 1e-5) + params["beta"]


@case(
    args=lambda rng: (
        rng.standard_normal((5, 3)),
        {"Wx": rng.standard_normal((3, 4)) * 0.5, "Wh": rng.standard_normal((4, 4)) * 0.5, "b": np.zeros(4)},
    ),
    wrt=(0, 1),
    tags="model_rnn for_range list_append dict_input",
)
def elman_rnn_list_of_states(xs, p):
    h = np.zeros(4)
    hs = []
    for t in range(xs.shape[0]):
        h = np.tanh(xs[t] @ p["Wx"] + h @ p["Wh"] + p["b"])
        hs.append(h)
    H = np.stack(hs)
    return H.mean(axis=0), hs[-1]


@case(
    args=lambda rng: (
        rng.standard_normal((4, 2, 3)),
        {"W": rng.standard_normal((3, 16)) * 0.4, "U": rng.standard_normal((4, 16)) * 0.4, "b": np.zeros(16)},
    ),
    wrt=(0, 1),
    tags="model_rnn for_array unpack sh_split list_append",
)
def lstm_batched_over_time(xs, p):
    B = xs.shape[1]
    h = np.zeros((B, 4))
    c = np.zeros((B, 4))
    outputs = []
    for x in xs:
        z = x @ p["W"] + h @ p["U"] + p["b"]
        i, f, g, o = np.split(z, 4, axis=1)
        i, f, o = _sigmoid(i), _sigmoid(f + 1.0), _sigmoid(o)
        g = np.tanh(g)
        c = f * c + i * g
        h = o * np.tanh(c)
        outputs.append(h)
    return np.stack(outputs, axis=0).sum(axis=0) + c


@case(
    args=lambda rng: (
        rng.standard_normal((5, 2)),
        [rng.standard_normal((2, 3)) * 0.5, rng.standard_normal((3, 3)) * 0.5],
    ),
    wrt=(0, 1),
    tags="model_rnn list_input for_enumerate",
)
def gru_cell_loop(xs, weights):
    Wx, Wh = weights
    h = np.zeros(3)
    states = [h]
    for t, x in enumerate(xs):
        r = _sigmoid(x @ Wx + h @ Wh)
        zt = _sigmoid(x @ Wx - h @ Wh)
        hc = np.tanh(x @ Wx + (r * h) @ Wh)
        h = (1 - zt) * h + zt * hc
        states.append(h * (t + 1) / len(xs))
    return sum(states)


@case(
    args=lambda rng: (
        [(rng.standard_normal((3, 5)) * 0.5, np.zeros(5)), (rng.standard_normal((5, 2)) * 0.5, np.zeros(2))],
        rng.standard_normal((4, 3)),
        np.array([0, 1, 1, 0]),
    ),
    wrt=0,
    tags="model_mlp model_softmax_xent list_input for_list idx_intarray",
)
def mlp_list_of_layers_xent(layers, X, y):
    h = X
    for i, (W, b) in enumerate(layers):
        h = h @ W + b
        if i < len(layers) - 1:
            h = np.maximum(h, 0.0) + 0.01 * np.minimum(h, 0.0)
    logp = h - _logsumexp(h, axis=1, keepdims=True)
    return -logp[np.arange(len(y)), y].mean()


@case(
    args=lambda rng: (rng.standard_normal((3, 4)), rng.standard_normal((5, 3)), np.array([1, 3, 0, 2, 1])),
    wrt=0,
    tags="model_softmax_xent la_matmul cr_zeros setitem_int",
)
def softmax_xent_one_hot_label_smoothing(W, X, y):
    logits = X @ W
    n, k = logits.shape
    target = np.full((n, k), 0.1 / k)
    target[np.arange(n), y] += 0.9
    logp = logits - _logsumexp(logits, axis=1, keepdims=True)
    return -(target * logp).sum() / n


@case(
    args=lambda rng: (rng.standard_normal(3), rng.standard_normal((8, 3)), rng.integers(0, 2, 8).astype(float)),
    tags="la_matmul",
)
def logistic_regression_stable_loss(w, X, y):
    z = X @ w
    loss = np.mean(np.logaddexp(0.0, z) - y * z)
    return loss + 0.01 * np.dot(w, w)


@case(args=lambda rng: (rng.standard_normal(7) * 3.0,), tags="np_where")
def stable_sigmoid_where(z):
    pos = z >= 0
    ez = np.exp(np.where(pos, -z, z))
    return np.where(pos, 1.0 / (1.0 + ez), ez / (1.0 + ez))


@case(args=lambda rng: (rng.standard_normal(6) * 2.0, rng.standard_normal(6)), wrt=(0, 1), tags="np_where b_abs")
def huber_and_smooth_l1(pred, target):
    r = pred - target
    delta = 1.0
    huber = np.where(np.abs(r) <= delta, 0.5 * r**2, delta * (np.abs(r) - 0.5 * delta))
    return huber.mean() + np.mean(np.logaddexp(r, -r))


@case(
    args=lambda rng: (rng.standard_normal((1, 6, 6)), rng.standard_normal((2, 1, 3, 3)) * 0.3),
    wrt=(0, 1),
    tags="model_conv model_maxpool sh_sliding_window_view la_einsum sh_reshape",
)
def conv2d_relu_maxpool(x, w):
    patches = np.lib.stride_tricks.sliding_window_view(x, (3, 3), axis=(1, 2))
    y = np.einsum("chwij,ocij->ohw", patches, w)
    y = np.maximum(y, 0.0)
    C, H, W = y.shape
    pooled = y[:, : H // 2 * 2, : W // 2 * 2].reshape(C, H // 2, 2, W // 2, 2).max(axis=(2, 4))
    return pooled.sum()


@case(
    args=lambda rng: (rng.standard_normal(10), rng.standard_normal(3)),
    wrt=(0, 1),
    tags="model_conv for_range setitem_int",
)
def conv1d_loop_valid(x, k):
    n = len(x) - len(k) + 1
    out = np.empty(n)
    for i in range(n):
        out[i] = np.dot(x[i : i + len(k)], k[::-1])
    return out


@case(
    args=lambda rng: (rng.standard_normal((3, 4)), 1.0 + 0.1 * rng.standard_normal(4), 0.1 * rng.standard_normal(4)),
    wrt=(0, 1, 2),
    tags="model_mlp call_user",
)
def transformer_block_pre_norm(x, g, b):
    T, D = x.shape
    pos = np.arange(T)[:, None] / 10.0 ** (np.arange(D)[None, :] / D)
    h = x + np.sin(pos)
    a = _layernorm(h, g, b)
    att = _softmax(a @ a.T / np.sqrt(D))
    h = h + att @ a
    m = _layernorm(h, g, b)
    return h + np.tanh(m) * 0.5


@case(args=lambda rng: (rng.standard_normal((4, 5)),), tags="pc_random")
def dropout_with_fixed_seed(x):
    rng = np.random.default_rng(0)
    mask = rng.random(x.shape) > 0.3
    return np.where(mask, x / 0.7, 0.0).sum(axis=1)


# ------------------------------------------------------------------ numerics and probability
@case(args=lambda rng: (rng.standard_normal((3, 5)) * 10.0,), tags="red_max red_keepdims red_axis")
def logsumexp_stable_axis_forms(a):
    return _logsumexp(a) + _logsumexp(a, axis=0).sum() + _logsumexp(a, axis=1, keepdims=True)


@case(
    args=lambda rng: (
        rng.standard_normal(12),
        np.array([-1.0, 0.5, 2.0]) + 0.1 * rng.standard_normal(3),
        0.1 * rng.standard_normal(3),
        0.1 * rng.standard_normal(3),
    ),
    wrt=(1, 2, 3),
    tags="red_max red_keepdims",
)
def gaussian_mixture_log_likelihood(x, means, log_sigmas, logits):
    log_w = logits - _logsumexp(logits)
    sig = np.exp(log_sigmas)
    z = (x[:, None] - means[None, :]) / sig
    comp = -0.5 * z**2 - log_sigmas - 0.5 * np.log(2 * np.pi) + log_w
    return _logsumexp(comp, axis=1).sum()


@case(
    args=lambda rng: (
        rng.standard_normal(3),
        rng.standard_normal(3),
        0.2 * rng.standard_normal(3),
        0.2 * rng.standard_normal(3),
    ),
    wrt=(0, 1, 2, 3),
    tags="red_sum",
)
def kl_divergence_diagonal_gaussians(mu1, mu2, logs1, logs2):
    v1, v2 = np.exp(2 * logs1), np.exp(2 * logs2)
    return np.sum(logs2 - logs1 + (v1 + (mu1 - mu2) ** 2) / (2 * v2) - 0.5)


@case(
    args=lambda rng: (rng.standard_normal((6, 2)), np.array([0.0, 0.0]) + 0.1 * rng.standard_normal(2), spd(rng, 2)),
    wrt=(1, 2),
    tags="la_solve la_det for_array",
)
def multivariate_normal_logpdf_loop(X, mu, S):
    sign, logdet = np.linalg.slogdet(S)
    total = 0.0
    for x in X:
        d = x - mu
        total += -0.5 * d @ np.linalg.solve(S, d)
    return total - 0.5 * len(X) * (logdet + 2 * math.log(2 * math.pi))


@case(
    args=lambda rng: (np.linspace(-1.0, 1.0, 5), np.array([0.5, 0.3])),
    wrt=(0, 1),
    tags="la_solve la_det cr_eye",
)
def gp_log_marginal_likelihood(x, hyp):
    ell, sn = np.exp(hyp)
    K = np.exp(-0.5 * (x[:, None] - x[None, :]) ** 2 / ell**2) + sn**2 * np.eye(len(x))
    y = np.sin(3.0 * x)
    alpha = np.linalg.solve(K, y)
    return -0.5 * y @ alpha - 0.5 * np.linalg.slogdet(K)[1]


@case(args=lambda rng: (np.linspace(-1.0, 1.0, 5), np.array([0.5, 0.3])), wrt=(0, 1), tags="la_solve")
def gp_log_marginal_likelihood_cholesky(x, hyp):
    ell, sn = np.exp(hyp)
    K = np.exp(-0.5 * (x[:, None] - x[None, :]) ** 2 / ell**2) + sn**2 * np.eye(len(x))
    L = np.linalg.cholesky(K)
    y = np.sin(3.0 * x)
    alpha = np.linalg.solve(L.T, np.linalg.solve(L, y))
    return -0.5 * y @ alpha - np.log(np.diag(L)).sum()


@case(args=lambda rng: (rng.standard_normal(5), 0.37), wrt=(0, 1), tags="model_horner for_range py_float")
def horner_loop_reversed(coeffs, x):
    acc = 0.0
    for c in coeffs[::-1]:
        acc = acc * x + c
    return acc


@case(args=lambda rng: (rng.standard_normal(4), rng.standard_normal(6)), wrt=(0, 1), tags="model_horner for_range")
def horner_vectorised_points_and_derivative(c, x):
    p = np.full_like(x, c[0])
    dp = np.zeros_like(x)
    for k in range(1, len(c)):
        dp = dp * x + p
        p = p * x + c[k]
    return p, dp


@case(args=lambda rng: (0.9, 1.1, 0.05, 0.2, 0.5), wrt=(0, 1, 2, 3, 4), tags="math py_float")
def black_scholes_call_price(S, K, r, sigma, T):
    d1 = (math.log(S / K) + (r + 0.5 * sigma**2) * T) / (sigma * math.sqrt(T))
    d2 = d1 - sigma * math.sqrt(T)

    def ncdf(v):
        return 0.5 * (1.0 + math.erf(v / math.sqrt(2.0)))

    return S * ncdf(d1) - K * math.exp(-r * T) * ncdf(d2)


@case(args=lambda rng: (np.sort(rng.uniform(0.0, 3.0, 7)),), tags="idx_slice red_cumsum")
def cumulative_trapezoid_slices(t):
    y = np.sin(t) * t
    area = np.concatenate([[0.0], np.cumsum(0.5 * (y[1:] + y[:-1]) * np.diff(t))])
    return area


@case(args=lambda rng: (rng.standard_normal(12),), tags="red_cumsum idx_slice")
def moving_average_cumsum(x):
    w = 3
    c = np.cumsum(np.concatenate([np.zeros(1), x]))
    return (c[w:] - c[:-w]) / w


@case(args=lambda rng: (rng.uniform(2.5, 3.5),), tags="for_range list_append py_float")
def logistic_map_orbit(r):
    x = 0.3
    xs = []
    for _ in range(8):
        x = r * x * (1 - x)
        xs.append(x)
    return sum(xs) / len(xs)


# ------------------------------------------------------------------ physics on grids
@case(
    args=lambda rng: (np.exp(-(np.linspace(-2, 2, 16) ** 2)) + 0.01 * rng.standard_normal(16),),
    tags="sh_roll for_range",
)
def heat_equation_roll_periodic(u):
    alpha = 0.2
    for _ in range(15):
        u = u + alpha * (np.roll(u, 1) - 2 * u + np.roll(u, -1))
    return u


@case(args=lambda rng: (rng.standard_normal((6, 6)) * 0.1,), tags="sh_roll for_range")
def wave_equation_2d_leapfrog(u0):
    c2 = 0.1
    u_prev = u0.copy()
    u = u0.copy()
    for _ in range(6):
        lap = np.roll(u, 1, 0) + np.roll(u, -1, 0) + np.roll(u, 1, 1) + np.roll(u, -1, 1) - 4 * u
        u, u_prev = 2 * u - u_prev + c2 * lap, u
    return u


@case(
    args=lambda rng: (1.0 + 0.5 * np.exp(-(np.linspace(-2, 2, 12) ** 2)) + 0.01 * rng.standard_normal(12),),
    tags="setitem_aug idx_slice for_range",
)
def finite_volume_burgers_upwind_slices(u):
    u = u.copy()
    dt_dx = 0.2
    for _ in range(8):
        F = 0.5 * u**2
        u[1:] -= dt_dx * (F[1:] - F[:-1])
        u[0] = u[-1]
    return u


@case(args=lambda rng: (rng.uniform(0.5, 1.5, 10),), tags="setitem_slice idx_slice for_range")
def jacobi_poisson_slices(f):
    h2 = 0.01
    u = np.zeros(f.shape[0] + 2)
    for _ in range(20):
        u_new = u.copy()
        u_new[1:-1] = 0.5 * (u[:-2] + u[2:] + h2 * f)
        u = u_new
    return u[1:-1]


@case(args=lambda rng: (rng.uniform(0.5, 1.5, 6),), tags="setitem_int for_range")
def gauss_seidel_poisson_elementwise(f):
    n = len(f)
    u = np.zeros(n + 2)
    for sweep in range(10):
        for i in range(1, n + 1):
            u[i] = 0.5 * (u[i - 1] + u[i + 1] + 0.04 * f[i - 1])
    return u


@case(
    args=lambda rng: (rng.standard_normal((4, 2)) * 2.0, rng.uniform(0.5, 1.5, 4)),
    wrt=(0, 1),
    tags="idx_newaxis red_sum",
)
def nbody_potential_energy_pairwise(pos, m):
    d = pos[:, None, :] - pos[None, :, :]
    r = np.sqrt((d**2).sum(-1) + 1e-2)
    iu = np.triu_indices(len(m), 1)
    return -(m[:, None] * m[None, :] / r)[iu].sum()


@case(args=lambda rng: (np.linspace(0.0, 1.0, 6) + 0.02 * rng.standard_normal(6),), tags="idx_slice red_sum")
def spring_chain_energy(x):
    k, L0 = 10.0, 0.2
    stretch = np.diff(x) - L0
    return 0.5 * k * np.sum(stretch**2) + 0.5 * k * (x[0] ** 2)


@case(
    args=lambda rng: (rng.standard_normal((3, 3)) * 0.5, rng.uniform(0.1, 0.9, 2)),
    wrt=(0, 1),
    tags="idx_int py_int",
)
def bilinear_interpolation(grid, p):
    gx, gy = p * (grid.shape[0] - 1)
    i, j = int(gx), int(gy)
    tx, ty = gx - i, gy - j
    return (
        grid[i, j] * (1 - tx) * (1 - ty)
        + grid[i + 1, j] * tx * (1 - ty)
        + grid[i, j + 1] * (1 - tx) * ty
        + grid[i + 1, j + 1] * tx * ty
    )


@case(args=lambda rng: (rng.standard_normal(2), rng.standard_normal((2, 2)) * 0.3), wrt=(0, 1), tags="la_det for_range")
def planar_flow_log_det(z, params):
    w, u = params[0], params[1]
    logdet = 0.0
    for _ in range(3):
        a = np.tanh(w @ z + 0.1)
        psi = (1 - a**2) * w
        logdet = logdet + np.log(np.abs(1 + u @ psi))
        z = z + u * a
    return z, logdet


@case(args=lambda rng: (rng.standard_normal((5, 3)), rng.uniform(0.5, 2.0, 3)), wrt=(0, 1), tags="la_solve la_matmul")
def mahalanobis_distances(X, scales):
    S = np.diag(scales) + 0.1
    d = X - X.mean(axis=0)
    return np.sqrt(np.einsum("ij,ij->i", d, np.linalg.solve(S, d.T).T))


# ------------------------------------------------------------------ more state kept in containers and buffers
@case(
    args=lambda rng: (rng.standard_normal((4, 6)), rng.standard_normal((6, 6)) * 0.3),
    wrt=(0, 1),
    tags="model_softmax_xent np_where",
)
def masked_attention_with_minus_inf(X, W):
    T = X.shape[0]
    scores = X @ W @ X.T / np.sqrt(X.shape[1])
    mask = np.tril(np.ones((T, T), dtype=bool))
    scores = np.where(mask, scores, -np.inf)
    scores = scores - scores.max(axis=1, keepdims=True)
    p = np.exp(scores)
    p = p / p.sum(axis=1, keepdims=True)
    return p @ X


@case(
    args=lambda rng: ({"y": np.array([1.0, 0.0]) + 0.1 * rng.standard_normal(2), "t": 0.0}, 0.3),
    wrt=(1,),
    mutates=True,
    tags="dict_input aug_add for_range",
)
def integrator_state_dict_updated_in_place(state, damping):
    dt = 0.1
    for _ in range(10):
        y = state["y"]
        dy = np.array([y[1], -y[0] - damping * y[1]])
        state["y"] += dt * dy
        state["t"] += dt
    return state["y"] * 1.0


@case(
    args=lambda rng: ({"W": rng.standard_normal((3, 2)), "b": rng.standard_normal(2)}, rng.standard_normal((5, 3))),
    wrt=0,
    tags="dict_input for_dict_items for_range model_mlp",
)
def sgd_on_param_dict_with_handwritten_grads(params, X):
    params = dict(params)
    for _ in range(3):
        h = np.tanh(X @ params["W"] + params["b"])
        g = 1.0 - h**2
        grads = {"W": X.T @ g / len(X), "b": g.mean(axis=0)}
        for k, v in params.items():
            params[k] = v - 0.1 * grads[k]
    return np.tanh(X @ params["W"] + params["b"]).sum()


@case(
    args=lambda rng: (rng.standard_normal(3), np.zeros((6, 3))),
    wrt=0,
    mutates=True,
    tags="setitem_slice for_range",
)
def trajectory_written_into_caller_buffer(x0, out):
    x = x0
    out[0] = x
    for i in range(1, out.shape[0]):
        x = x + 0.1 * np.sin(x) * np.roll(x, 1)
        out[i, :] = x
    return out.sum(axis=0)


@case(
    args=lambda rng: (rng.standard_normal((3, 2)), [np.zeros(2), np.zeros(2)]),
    wrt=0,
    mutates=True,
    tags="list_input aug_add",
)
def accumulate_into_list_of_buffers(x, acc):
    for row in x:
        acc[0] += row
        acc[1] += row**2
    n = x.shape[0]
    return acc[1] / n - (acc[0] / n) ** 2


@case(
    args=lambda rng: (np.array([1.0, 1.0]) + 0.05 * rng.standard_normal(2), 0.8),
    wrt=(0, 1),
    tags="while la_solve la_norm model_newton",
)
def newton_system_while_norm_tolerance(x, a):
    it = 0
    while True:
        F = np.array([x[0] ** 2 + x[1] ** 2 - 2.0 * a, x[0] - x[1] ** 3])
        J = np.array([[2 * x[0], 2 * x[1]], [1.0, -3 * x[1] ** 2]])
        step = np.linalg.solve(J, F)
        x = x - step
        it += 1
        if np.linalg.norm(step) < 1e-13 or it > 50:
            break
    return x


@case(args=lambda rng: (rng.uniform(0.5, 1.5, 5), rng.standard_normal(5)), wrt=(0, 1), tags="pc_random sh_take")
def particle_filter_systematic_resampling(w, particles):
    p = w / w.sum()
    cdf = np.cumsum(p)
    u = (np.arange(5) + 0.37) / 5
    idx = np.searchsorted(cdf, u)
    return particles[np.minimum(idx, 4)] * 1.0 + p.mean()


@case(args=lambda rng: (rng.uniform(0.5, 1.5, 4),), tags="cr_zeros")
def fem_assembly_add_at(k):
    K = np.zeros((5, 5))
    for e in range(4):
        idx = np.array([e, e + 1])
        ke = k[e] * np.array([[1.0, -1.0], [-1.0, 1.0]])
        np.add.at(K, (idx[:, None], idx[None, :]), ke)
    return K


@case(args=lambda rng: (rng.uniform(0.5, 1.5, 4),), tags="cr_zeros setitem_aug")
def fem_assembly_slice_add(k):
    K = np.zeros((5, 5))
    for e in range(4):
        K[e : e + 2, e : e + 2] += k[e] * np.array([[1.0, -1.0], [-1.0, 1.0]])
    K[0, 0] += 1.0
    return np.linalg.solve(K, np.ones(5))
