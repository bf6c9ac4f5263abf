"""Coverage corpus: coverage_scipy (issue 13). Realistic functions written the way users write them:
likelihoods, divergences and activations from statistics and machine learning that call scipy.special
(imported in the three usual ways: ``scipy.special as sp``, ``from scipy import special``, and the
names themselves)."""

import math

import numpy as np
import scipy.special as sp
from scipy import special
from scipy.special import betaln, digamma, expit, gammaln, log_expit, logsumexp, xlogy

from . import case

REFUSAL_OK = set()

LOG_2PI = math.log(2 * math.pi)
LOG_WEIGHTS = np.log([0.2, 0.5, 0.3])


def _design(rng, n=6, d=3):
    return rng.standard_normal((n, d))


def _labels(rng, n=6):
    return (rng.uniform(size=n) < 0.5).astype(float)


# ------------------------------------------------------------------ logistic and probit models
@case(
    args=lambda rng: (0.5 * rng.standard_normal(3), _design(rng), _labels(rng)),
    tags="array la_matmul red_mean np_elementwise",
)
def logistic_regression_nll(w, X, y, l2=0.1):
    z = X @ w
    loglik = y * log_expit(z) + (1 - y) * log_expit(-z)
    return -np.mean(loglik) + 0.5 * l2 * np.dot(w, w)


@case(
    args=lambda rng: ({"w": 0.5 * rng.standard_normal(3), "b": 0.2}, _design(rng), _labels(rng)),
    tags="dict_input la_matmul red_mean",
)
def logistic_brier_score(params, X, y):
    p = expit(X @ params["w"] + params["b"])
    return np.mean((p - y) ** 2)


@case(args=lambda rng: (0.4 * rng.standard_normal(3), _design(rng), _labels(rng)), tags="array la_matmul red_sum")
def probit_log_likelihood(beta, X, y):
    z = X @ beta
    return np.sum(y * sp.log_ndtr(z) + (1 - y) * sp.log_ndtr(-z))


@case(args=lambda rng: (0.3, 1.2), wrt=(0, 1), tags="py_float math")
def gaussian_interval_probability(mu, sigma, lo=-1.0, hi=2.0):
    p = special.ndtr((hi - mu) / sigma) - special.ndtr((lo - mu) / sigma)
    return math.log(p)


@case(args=lambda rng: (rng.uniform(-1.0, 1.0, 4),), tags="array np_elementwise red_sum")
def gaussian_copula_scores(params):
    u = expit(params)  # uniforms in (0, 1)
    z = special.ndtri(u)  # standard normal scores
    return np.sum(z**2) + np.sum(sp.erfinv(2 * u - 1))


# ------------------------------------------------------------------ count models
@case(args=lambda rng: (rng.uniform(-0.5, 1.5, 5), rng.poisson(2.0, 5).astype(float)), tags="array red_sum")
def poisson_log_likelihood(log_rate, counts):
    return np.sum(counts * log_rate - np.exp(log_rate) - gammaln(counts + 1))


@case(args=lambda rng: (np.array([0.4, -0.2]), rng.poisson(3.0, 6).astype(float)), tags="array idx_int red_sum")
def negative_binomial_log_likelihood(params, counts):
    r = np.exp(params[0])  # dispersion
    p = expit(params[1])  # success probability
    ll = gammaln(counts + r) - gammaln(r) - gammaln(counts + 1)
    return np.sum(ll + xlogy(r, 1 - p) + xlogy(counts, p))


@case(args=lambda rng: (2.5, 0.3), wrt=(0, 1), tags="py_float math for_range")
def negative_binomial_pmf_scalar(r, logit_p, counts=(0, 2, 5)):
    # the same likelihood in plain Python floats, with math.lgamma
    p = 1 / (1 + math.exp(-logit_p))
    total = 0.0
    for k in counts:
        total += math.lgamma(k + r) - math.lgamma(r) - math.lgamma(k + 1) + r * math.log1p(-p) + k * math.log(p)
    return total


# ------------------------------------------------------------------ Dirichlet, Beta, Gamma, Student t
@case(
    args=lambda rng: (rng.uniform(-0.3, 0.8, 4), np.array([0.1, 0.2, 0.3, 0.4])),
    tags="array red_sum np_elementwise",
)
def dirichlet_log_density(log_alpha, x):
    alpha = np.exp(log_alpha)
    norm = gammaln(np.sum(alpha)) - np.sum(gammaln(alpha))
    return norm + np.sum(xlogy(alpha - 1, x))


@case(args=lambda rng: (rng.uniform(0.5, 3.0, 4),), tags="array red_sum")
def dirichlet_expected_log_probs(alpha):
    # E[log p_k] under Dirichlet(alpha), as in a variational ELBO
    e_log = digamma(alpha) - digamma(np.sum(alpha))
    return np.sum((alpha - 1) * e_log) - np.sum(gammaln(alpha)) + gammaln(np.sum(alpha))


@case(args=lambda rng: (np.array([0.3, 0.6]), rng.uniform(0.1, 0.9, 5)), tags="array idx_int red_sum")
def beta_log_density(log_ab, x):
    a, b = np.exp(log_ab[0]), np.exp(log_ab[1])
    return np.sum(sp.xlogy(a - 1, x) + sp.xlog1py(b - 1, -x) - betaln(a, b))


@case(args=lambda rng: (np.array([0.5, -0.3]), rng.uniform(0.2, 3.0, 5)), tags="array idx_int red_sum")
def gamma_log_density(params, x):
    shape, log_scale = np.exp(params[0]), params[1]
    return np.sum(xlogy(shape - 1, x) - x * np.exp(-log_scale) - sp.gammaln(shape) - shape * log_scale)


@case(args=lambda rng: (1.1, rng.standard_normal(5)), tags="py_float red_sum np_elementwise")
def student_t_log_likelihood(log_nu, x):
    nu = math.exp(log_nu)
    c = sp.gammaln((nu + 1) / 2) - sp.gammaln(nu / 2) - 0.5 * math.log(nu * math.pi)
    return np.sum(c - (nu + 1) / 2 * np.log1p(x**2 / nu))


@case(args=lambda rng: (1.5,), tags="py_float for_range")
def gamma_shape_newton(log_mean_ratio):
    # Newton's method for the gamma MLE shape: log k - digamma(k) = s, unrolled a fixed number of steps
    s = 0.1 * log_mean_ratio
    k = 0.5 / s
    for _ in range(4):
        g = math.log(k) - sp.digamma(k) - s
        k = k - g / (1 / k - sp.polygamma(1, k))
    return k


@case(args=lambda rng: (np.array([4.5, 5.0, 6.5]),), tags="array red_sum")
def wishart_log_normalizer(dof):
    p = 3
    return np.sum(0.5 * dof * p * math.log(2.0) + special.multigammaln(0.5 * dof, p))


# ------------------------------------------------------------------ divergences and entropies
@case(args=lambda rng: (rng.standard_normal(4), rng.standard_normal(4)), wrt=(0, 1), tags="array red_sum")
def kl_between_categoricals(logits_p, logits_q):
    p = sp.softmax(logits_p)
    q = sp.softmax(logits_q)
    return np.sum(sp.rel_entr(p, q))


@case(args=lambda rng: (rng.uniform(0.2, 2.0, 5), rng.uniform(0.2, 2.0, 5)), wrt=(0, 1), tags="array red_sum")
def generalized_kl(x, y):
    return np.sum(sp.kl_div(x, y))


@case(args=lambda rng: (rng.standard_normal((3, 4)),), tags="array red_sum red_axis")
def attention_entropy(scores):
    attn = sp.softmax(scores / 2.0, axis=-1)
    return np.sum(sp.entr(attn)) / scores.shape[0]


@case(
    args=lambda rng: (rng.standard_normal((5, 3)), rng.integers(0, 3, 5)),
    tags="array model_softmax_xent idx_intarray red_mean",
)
def softmax_cross_entropy(logits, labels):
    logp = sp.log_softmax(logits, axis=1)
    return -np.mean(logp[np.arange(len(labels)), labels])


# ------------------------------------------------------------------ mixtures and log-sum-exp
@case(
    args=lambda rng: (rng.standard_normal(3), rng.standard_normal(6)),
    tags="array red_sum red_axis idx_newaxis",
)
def gaussian_mixture_log_likelihood(means, x, log_weights=LOG_WEIGHTS):
    comp = -0.5 * (x[:, None] - means[None, :]) ** 2 - 0.5 * LOG_2PI
    return np.sum(logsumexp(comp + log_weights, axis=1))


@case(args=lambda rng: (np.array([0.4, 1.3]),), tags="array tuple_return unpack idx_int")
def log_difference_of_exponentials(a):
    # log(e^a1 - e^a0) stably, with its sign
    r, sign = logsumexp(a, b=np.array([-1.0, 1.0]), return_sign=True)
    return r * sign


@case(args=lambda rng: (rng.uniform(0.5, 1.5, 4), rng.standard_normal(4)), wrt=(0, 1), tags="array red_sum")
def weighted_log_partition(weights, energies):
    return logsumexp(-energies, b=weights) + np.sum(weights * energies)


# ------------------------------------------------------------------ activations and Bessel functions
def gelu(x):
    return 0.5 * x * (1 + special.erf(x / math.sqrt(2)))


@case(args=lambda rng: (0.5 * rng.standard_normal((3, 4)), rng.standard_normal((2, 3))), tags="array call_user")
def mlp_exact_gelu(W, x):
    return np.sum(gelu(x @ W) ** 2)


@case(args=lambda rng: (np.array([0.3, 0.7]), rng.uniform(-math.pi, math.pi, 6)), tags="array idx_int red_sum")
def von_mises_log_likelihood(params, theta):
    mu, kappa = params[0], np.exp(params[1])
    # log I0(kappa) = log(i0e(kappa)) + kappa: the exponentially scaled form does not overflow
    log_norm = LOG_2PI + np.log(sp.i0e(kappa)) + kappa
    return np.sum(kappa * np.cos(theta - mu) - log_norm)


@case(args=lambda rng: (rng.uniform(0.3, 4.0, 4),), tags="array red_sum")
def von_mises_mean_resultant_length(kappa):
    return np.sum(sp.i1e(kappa) / sp.i0e(kappa))


@case(args=lambda rng: (rng.uniform(0.5, 4.0, 4),), tags="array red_sum")
def chi_square_and_beta_cdfs(x):
    return np.sum(sp.gammainc(1.5, x / 2)) + np.sum(sp.betainc(2.0, 3.0, x / 5)) + np.sum(sp.gammaincc(2.0, x))


@case(args=lambda rng: (rng.uniform(0.5, 3.0, 4),), tags="array red_sum")
def bessel_beam_profile(r):
    return np.sum((2 * sp.j1(r) / r) ** 2 + sp.jv(1.5, r) * sp.iv(0.5, r) + sp.y1(r) * sp.yn(2, r))


@case(args=lambda rng: (rng.uniform(0.2, 2.5, 4),), tags="array red_sum")
def dilogarithm_and_sinc(x):
    return np.sum(sp.spence(x) + special.sinc(x) * sp.gamma(x) + sp.erfcx(x) * sp.erfc(x))
