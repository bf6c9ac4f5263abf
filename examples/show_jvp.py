"""Show a function, the derivative code tangent_fwd generates for it, and its JVP checked against
finite differences.   python examples/show_jvp.py"""

import numpy as np

import tangent_fwd


def layer(x, W, b):
    """One dense layer with a tanh nonlinearity and a squared-norm readout."""
    h = np.tanh(W @ x + b)
    return 0.5 * (h * h).sum()


def main():
    rng = np.random.default_rng(0)
    x, W, b = rng.standard_normal(3), rng.standard_normal((4, 3)), rng.standard_normal(4)
    dW = rng.standard_normal(W.shape)
    print("Generated source (w.r.t. W):\n")
    print(tangent_fwd.source(layer, wrt="W"))
    value, tangent = tangent_fwd.jvp(layer, (x, W, b), (None, dW, None))
    eps = 1e-6
    fd = (layer(x, W + eps * dW, b) - layer(x, W - eps * dW, b)) / (2 * eps)
    print(f"f(x, W, b)             = {value:.12f}")
    print(f"JVP along dW           = {tangent:.12f}")
    print(f"central difference     = {fd:.12f}")


if __name__ == "__main__":
    main()
