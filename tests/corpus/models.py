"""Small realistic models."""

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from . import case


def _mlp_params(rng):
    return {
        "W1": 0.5 * rng.standard_normal((4, 5)),
        "b1": 0.1 * rng.standard_normal(5),
        "W2": 0.5 * rng.standard_normal((5, 3)),
        "b2": 0.1 * rng.standard_normal(3),
    }


def _softmax(z):
    z = z - np.max(z, axis=-1, keepdims=True)
    e = np.exp(z)
    return e / np.sum(e, axis=-1, keepdims=True)


def _log_softmax(z):
    m = np.max(z, axis=-1, keepdims=True)
    return z - m - np.log(np.sum(np.exp(z - m), axis=-1, keepdims=True))


def _dense(params, x, name):
    return x @ params["W" + name] + params["b" + name]


@case(
    args=lambda rng: (_mlp_params(rng), rng.standard_normal((6, 4)), np.array([0, 2, 1, 1, 0, 2])),
    wrt=(0,),
    tags="model_mlp model_softmax_xent dict_input call_user idx_intarray b_len",
)
def mlp_loss(params, X, y):
    h = np.tanh(_dense(params, X, "1"))
    logits = _dense(params, h, "2")
    logp = _log_softmax(logits)
    return -np.mean(logp[np.arange(len(y)), y])


@case(
    args=lambda rng: (_mlp_params(rng), rng.standard_normal((6, 4))), wrt=(0, 1), tags="model_mlp dict_input for_list"
)
def mlp_relu_forward(params, X):
    h = X
    for name in ["1", "2"]:
        h = _dense(params, h, name)
        if name == "1":
            h = np.maximum(h, 0.0)
    return h


@case(
    args=lambda rng: (rng.standard_normal((5, 4)), np.eye(4)[[0, 3, 1, 1, 2]]),
    wrt=(0,),
    tags="model_softmax_xent call_user red_axis",
)
def softmax_cross_entropy(logits, onehot):
    p = _softmax(logits)
    return -np.sum(onehot * np.log(p)) / logits.shape[0]


@case(
    args=lambda rng: (rng.standard_normal((6, 6)), rng.standard_normal((3, 3))),
    wrt=(0, 1),
    tags="model_conv sh_sliding_window_view la_einsum",
)
def conv2d(image, kernel):
    patches = sliding_window_view(image, (3, 3))
    out = np.einsum("ijkl,kl->ij", patches, kernel)
    return np.tanh(out)


@case(
    args=lambda rng: (rng.standard_normal((2, 5, 5)), rng.standard_normal((3, 2, 2, 2))),
    wrt=(0, 1),
    tags="model_conv sh_sliding_window_view la_einsum",
)
def conv_multichannel(x, w):
    patches = sliding_window_view(x, (2, 2), axis=(1, 2))
    return np.einsum("chwij,ocij->ohw", patches, w)


@case(args=lambda rng: (rng.standard_normal((4, 6)),), tags="model_maxpool sh_reshape red_max red_axis")
def maxpool_2x2(X):
    h, w = X.shape
    return X.reshape(h // 2, 2, w // 2, 2).max(axis=(1, 3))


@case(
    args=lambda rng: (
        rng.standard_normal((5, 2)),
        0.5 * rng.standard_normal((3, 3)),
        0.5 * rng.standard_normal((2, 3)),
        np.zeros(3),
    ),
    wrt=(0, 1, 2, 3),
    tags="model_rnn for_array matmul",
)
def rnn(xs, Wh, Wx, h0):
    h = h0
    for x in xs:
        h = np.tanh(h @ Wh + x @ Wx)
    return h.sum()


@case(
    args=lambda rng: (
        rng.standard_normal((4, 2)),
        0.5 * rng.standard_normal((3, 3)),
        0.5 * rng.standard_normal((2, 3)),
    ),
    wrt=(0, 1, 2),
    tags="model_rnn list_append for_range sh_stack",
)
def rnn_sequence_output(xs, Wh, Wx):
    h = np.zeros(3)
    outs = []
    for t in range(xs.shape[0]):
        h = np.tanh(h @ Wh + xs[t] @ Wx)
        outs.append(h)
    return np.stack(outs)


@case(args=lambda rng: (2.5,), tags="model_newton while b_abs py_float")
def newton_sqrt(a):
    x = a
    while abs(x * x - a) > 1e-12 * a:
        x = 0.5 * (x + a / x)
    return x


@case(args=lambda rng: (rng.uniform(1.0, 3.0, 3),), tags="model_newton while")
def newton_cube_root_array(a):
    x = np.ones_like(a)
    it = 0
    while it < 30:
        x = x - (x**3 - a) / (3.0 * x**2)
        it += 1
    return x


@case(args=lambda rng: (rng.standard_normal(5), 0.7), wrt=(0, 1), tags="model_horner for_array py_float")
def horner(coeffs, x):
    acc = 0.0
    for c in coeffs:
        acc = acc * x + c
    return acc


@case(
    args=lambda rng: (rng.standard_normal(4), rng.standard_normal(3)), wrt=(0, 1), tags="model_horner for_range idx_int"
)
def horner_array_points(coeffs, x):
    acc = np.zeros_like(x)
    for i in range(len(coeffs) - 1, -1, -1):
        acc = acc * x + coeffs[i]
    return acc


@case(
    args=lambda rng: (rng.standard_normal(3), rng.standard_normal((8, 3)), (rng.uniform(size=8) > 0.5) * 1.0),
    wrt=(0,),
    tags="np_elementwise matmul red_mean",
)
def logistic_regression(w, X, y):
    z = X @ w
    return np.mean(np.logaddexp(0.0, z) - y * z) + 0.01 * w @ w


@case(
    args=lambda rng: (rng.standard_normal((3, 4)), rng.uniform(0.5, 1.5, 4), rng.standard_normal(4)),
    wrt=(0, 1, 2),
    tags="red_mean red_var red_keepdims red_axis",
)
def layer_norm(X, gamma, beta):
    mu = X.mean(axis=-1, keepdims=True)
    var = X.var(axis=-1, keepdims=True)
    return gamma * (X - mu) / np.sqrt(var + 1e-5) + beta


@case(
    args=lambda rng: (rng.standard_normal((3, 4)), rng.standard_normal((3, 4)), rng.standard_normal((3, 4))),
    wrt=(0, 1, 2),
    tags="call_user attr_T attr_shape",
)
def attention(Q, K, V):
    scores = Q @ K.T / np.sqrt(Q.shape[-1])
    return _softmax(scores) @ V


@case(args=lambda rng: (rng.standard_normal(5), 0.3, 1.2), wrt=(0, 1, 2), tags="py_float constant np_elementwise")
def gaussian_nll(x, mu, sigma):
    z = (x - mu) / sigma
    return np.sum(0.5 * z**2 + np.log(sigma) + 0.5 * np.log(2.0 * np.pi))


@case(args=lambda rng: (np.array([1.0, 0.0]), 0.8), wrt=(0, 1), tags="for_range cr_array idx_int")
def euler_oscillator(y0, omega):
    y = y0
    dt = 0.05
    for _ in range(20):
        dydt = np.array([y[1], -(omega**2) * y[0]])
        y = y + dt * dydt
    return y


@case(
    args=lambda rng: (rng.standard_normal((2, 3)), rng.standard_normal((4, 3))),
    wrt=(0, 1),
    tags="red_sum red_axis sh_expand_dims",
)
def rbf_kernel(X, Y):
    d = np.expand_dims(X, 1) - np.expand_dims(Y, 0)
    return np.exp(-0.5 * np.sum(d * d, axis=-1))


@case(args=lambda rng: (rng.standard_normal(4),), tags="pc_random np_where")
def dropout_fixed_seed(x):
    rng = np.random.default_rng(42)
    keep = rng.uniform(size=x.shape) > 0.5
    return np.where(keep, x / 0.5, 0.0).sum() * np.tanh(x)


@case(args=lambda rng: (rng.standard_normal((2, 4)),), tags="model_maxpool sh_reshape red_max red_mean")
def pool_then_mean(X):
    p = X.reshape(2, 2, 2).max(axis=2)
    return p.mean() + np.mean(X.reshape(2, 2, 2), axis=2).sum()


def _quad_grad(w, A, b):
    return A @ w - b


@case(
    args=lambda rng: (0.1, np.diag([1.0, 2.0, 3.0]) + 0.1, rng.standard_normal(3)),
    wrt=(0, 2),
    tags="for_range aug_sub call_user py_float",
)
def unrolled_gradient_descent(lr, A, b):
    w = np.zeros(3)
    for _ in range(10):
        w -= lr * _quad_grad(w, A, b)
    return 0.5 * w @ A @ w - b @ w


@case(
    args=lambda rng: (
        {"k": 0.5 * rng.standard_normal((2, 2)), "W": 0.3 * rng.standard_normal((9, 2)), "b": np.zeros(2)},
        rng.standard_normal((2, 7, 7)),
    ),
    wrt=(0, 1),
    tags="model_conv model_maxpool dict_input for_array list_append sh_stack sh_sliding_window_view",
)
def tiny_cnn(params, images):
    outs = []
    for img in images:
        conv = np.einsum("ijkl,kl->ij", sliding_window_view(img, (2, 2)), params["k"])
        pooled = conv.reshape(3, 2, 3, 2).max(axis=(1, 3))
        outs.append(np.maximum(pooled, 0.0).ravel())
    feats = np.stack(outs)
    return _log_softmax(feats @ params["W"] + params["b"])


@case(
    args=lambda rng: (rng.standard_normal((4, 3)), rng.uniform(0.5, 1.5, 3), rng.standard_normal(3)),
    wrt=(0, 1, 2),
    tags="red_mean red_var red_axis",
)
def batch_norm(X, gamma, beta):
    mu = X.mean(axis=0)
    var = ((X - mu) ** 2).mean(axis=0)
    return gamma * (X - mu) / np.sqrt(var + 1e-5) + beta


@case(
    args=lambda rng: (
        rng.standard_normal((3, 4)),
        0.5 * rng.standard_normal((8, 4)),
        0.5 * rng.standard_normal((8, 2)),
        0.1 * rng.standard_normal(8),
    ),
    wrt=(0, 1, 2, 3),
    tags="model_rnn sh_split unpack for_array np_elementwise",
)
def lstm(xs, Wx, Wh, b):
    h = np.zeros(2)
    c = np.zeros(2)
    for x in xs:
        z = Wx @ x + Wh @ h + b
        i, f, o, g = np.split(z, 4)
        i, f, o = 1 / (1 + np.exp(-i)), 1 / (1 + np.exp(-f)), 1 / (1 + np.exp(-o))
        c = f * c + i * np.tanh(g)
        h = o * np.tanh(c)
    return h, c


@case(
    args=lambda rng: (rng.standard_normal(6), 0.9),
    wrt=(0, 1),
    tags="for_range py_float idx_int setitem_int cr_zeros_like",
)
def discounted_returns(rewards, gamma):
    G = np.zeros_like(rewards)
    running = 0.0
    for t in range(len(rewards) - 1, -1, -1):
        running = rewards[t] + gamma * running
        G[t] = running
    return G


@case(
    args=lambda rng: (rng.standard_normal(6), rng.standard_normal(2), np.array([0.0, 0.5])),
    wrt=(0, 1, 2),
    tags="red_max red_sum red_axis red_keepdims sh_expand_dims np_elementwise",
)
def gmm_log_likelihood(x, means, log_sigmas):
    sig = np.exp(log_sigmas)
    z = (x[:, None] - means[None, :]) / sig
    logp = -0.5 * z**2 - log_sigmas - 0.5 * np.log(2 * np.pi) + np.log(0.5)
    m = logp.max(axis=1, keepdims=True)
    return np.sum(m[:, 0] + np.log(np.exp(logp - m).sum(axis=1)))


@case(args=lambda rng: (rng.standard_normal((4, 2)),), tags="sh_expand_dims red_sum np_elementwise")
def pairwise_distances(X):
    d = X[:, None, :] - X[None, :, :]
    return np.sqrt((d**2).sum(axis=-1) + 1e-3)


@case(
    args=lambda rng: (rng.standard_normal(6) * 2.0, rng.standard_normal(6)), wrt=(0, 1), tags="np_where b_abs red_mean"
)
def huber_loss(pred, target):
    r = pred - target
    return np.mean(np.where(np.abs(r) < 1.0, 0.5 * r**2, np.abs(r) - 0.5))


@case(args=lambda rng: (0.4, rng.standard_normal((5, 2))), wrt=(0, 1), tags="cr_array math attr_T")
def rotate_points(theta, P):
    R = np.array([[np.cos(theta), -np.sin(theta)], [np.sin(theta), np.cos(theta)]])
    return P @ R.T


@case(args=lambda rng: (1.2,), tags="while model_newton py_float")
def trapezoid_integral(k):
    n = 0
    x = 0.0
    h = 0.05
    total = 0.0
    while x < 1.0 - 1e-9:
        total += 0.5 * h * (np.exp(-k * x) + np.exp(-k * (x + h)))
        x += h
        n += 1
    return total


@case(
    args=lambda rng: (np.array([1.0, 0.0]), np.eye(2) * 0.5, rng.standard_normal((4, 2)), 0.1),
    wrt=(0, 1, 2, 3),
    tags="la_inv for_array matmul attr_T cr_eye",
)
def kalman_filter(m0, P0, ys, q):
    F = np.array([[1.0, 0.1], [0.0, 1.0]])
    m, P = m0, P0
    for y in ys:
        m = F @ m
        P = F @ P @ F.T + q * np.eye(2)
        S = P + 0.2 * np.eye(2)
        K = P @ np.linalg.inv(S)
        m = m + K @ (y - m)
        P = (np.eye(2) - K) @ P
    return m, P


@case(args=lambda rng: (rng.standard_normal((3, 4)), 1.5), wrt=(0, 1), tags="call_user py_float")
def softmax_temperature(logits, temp):
    return _softmax(logits / temp)


def _layers(rng):
    return [
        {"W": 0.5 * rng.standard_normal((3, 4)), "b": 0.1 * rng.standard_normal(4)},
        {"W": 0.5 * rng.standard_normal((4, 2)), "b": 0.1 * rng.standard_normal(2)},
    ]


@case(
    args=lambda rng: (_layers(rng), rng.standard_normal((5, 3))),
    wrt=(0, 1),
    tags="model_mlp list_input dict_input for_list b_len b_enumerate",
)
def mlp_list_of_layer_dicts(layers, X):
    h = X
    for i, layer in enumerate(layers):
        h = h @ layer["W"] + layer["b"]
        if i < len(layers) - 1:
            h = np.tanh(h)
    return 0.5 * np.mean(h**2)


@case(
    args=lambda rng: (rng.standard_normal((4, 3)), rng.standard_normal((3, 3)), rng.standard_normal((3, 3))),
    wrt=(0, 1, 2),
    tags="call_user np_where attr_T cr_ones",
)
def causal_self_attention(X, Wq, Wk):
    Q, K = X @ Wq, X @ Wk
    scores = Q @ K.T / np.sqrt(3.0)
    mask = np.tril(np.ones((4, 4))) > 0
    scores = np.where(mask, scores, -np.inf)
    return _softmax(scores) @ X


@case(args=lambda rng: (rng.standard_normal(5), 0.3), wrt=(0, 1), tags="for_range while if model_newton py_float")
def bisection_then_refine(c, shift):
    lo, hi = -10.0, 10.0
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        if np.sum(np.tanh(c + mid)) > 0.0:
            hi = mid
        else:
            lo = mid
    x = 0.5 * (lo + hi)
    k = 0
    while k < 3:
        g = np.sum(np.tanh(c + x + shift))
        x = x - g / np.sum(1.0 - np.tanh(c + x + shift) ** 2)
        k += 1
    return x
