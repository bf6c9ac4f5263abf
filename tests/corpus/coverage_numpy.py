"""Coverage corpus: coverage_numpy (issue 13). Realistic functions written the way users write them:
spectral losses, signal smoothing, robust and nan-aware statistics, finite-element assembly with
``np.add.at``, histogram-free density estimates, interpolation and polynomial fits, ufunc methods."""

import math  # noqa: F401

import numpy as np  # noqa: F401

from . import case  # noqa: F401

REFUSAL_OK = set()


# ------------------------------------------------------------------ spectral losses
@case(args=lambda rng: (rng.standard_normal(32),), tags="array")
def spectral_band_loss(x):
    """Penalise power outside a frequency band (audio / time-series regularisers)."""
    spec = np.fft.rfft(x, norm="ortho")
    power = np.abs(spec) ** 2
    freqs = np.fft.rfftfreq(x.size, d=1.0 / 32.0)
    outside = (freqs < 2.0) | (freqs > 8.0)
    return np.sum(power * outside) / np.sum(power)


@case(args=lambda rng: (rng.standard_normal(24), rng.standard_normal(24)), wrt=(0,), tags="array")
def spectral_match_loss(pred, target):
    """Match log-magnitude spectra (a common audio reconstruction loss)."""
    sp = np.abs(np.fft.rfft(pred)) + 1e-3
    st = np.abs(np.fft.rfft(target)) + 1e-3
    return np.mean((np.log(sp) - np.log(st)) ** 2)


@case(args=lambda rng: (rng.standard_normal((8, 8)),), tags="array")
def image_lowpass_energy(img):
    """Low-pass filter an image in the Fourier domain and measure what it removed."""
    F = np.fft.fftshift(np.fft.fft2(img))
    ky, kx = np.meshgrid(np.arange(-4, 4), np.arange(-4, 4), indexing="ij")
    mask = (kx**2 + ky**2) <= 4
    smooth = np.real(np.fft.ifft2(np.fft.ifftshift(F * mask)))
    return np.sum((img - smooth) ** 2)


@case(args=lambda rng: (rng.standard_normal(16),), tags="array")
def fourier_derivative(u):
    """Spectral differentiation of a periodic signal with irfft (PDE solvers)."""
    k = np.fft.rfftfreq(16, d=1.0 / 16) * 2 * np.pi / 16
    du = np.fft.irfft(1j * k * np.fft.rfft(u), n=16)
    return np.sum(du**2) + np.fft.hfft(np.fft.ihfft(u)).sum()


# ------------------------------------------------------------------ smoothing and signal processing
@case(args=lambda rng: (rng.standard_normal(20),), tags="array")
def moving_average_pad(x):
    """Edge-padded moving average with np.convolve (same length as the input)."""
    kernel = np.ones(5) / 5.0
    padded = np.pad(x, 2, mode="edge")
    smooth = np.convolve(padded, kernel, mode="valid")
    return np.sum((smooth - x) ** 2)


@case(args=lambda rng: (rng.standard_normal(18),), tags="array")
def reflect_smoothing_correlate(x):
    """Reflect-padded Gaussian smoothing with np.correlate and a total-variation term."""
    w = np.exp(-0.5 * np.linspace(-2, 2, 5) ** 2)
    w = w / w.sum()
    y = np.correlate(np.pad(x, 2, mode="reflect"), w, mode="valid")
    return np.sum(np.abs(np.diff(y))) + 0.1 * np.sum(np.ediff1d(y, to_begin=0.0) ** 2)


@case(args=lambda rng: (rng.standard_normal((6, 7)),), tags="array")
def max_pad_pooling(x):
    """Border handling by 'maximum' padding before a 3x3 max-pool-like reduction."""
    p = np.pad(x, 1, mode="maximum")
    windows = np.lib.stride_tricks.sliding_window_view(p, (3, 3))
    return np.sum(windows.max(axis=(2, 3)) ** 2) + np.pad(x, 1, mode="median").mean()


@case(args=lambda rng: (rng.standard_normal((5, 6)),), tags="array")
def gradient_total_variation(u):
    """Smoothed total variation of an image via np.gradient."""
    gy, gx = np.gradient(u)
    return np.sum(np.sqrt(gx**2 + gy**2 + 1e-2))


# ------------------------------------------------------------------ robust and nan-aware statistics
@case(args=lambda rng: (rng.standard_normal(15),), tags="array")
def median_absolute_deviation(r):
    """MAD, the robust scale estimate."""
    med = np.median(r)
    return np.median(np.abs(r - med)) * 1.4826


@case(args=lambda rng: (rng.standard_normal((4, 9)),), tags="array")
def interquartile_clip_loss(x):
    """Robust loss clipped at the 10th/90th percentiles per row (tuple and int axes)."""
    lo, hi = np.percentile(x, [10.0, 90.0], axis=1, keepdims=True)
    clipped = np.clip(x, lo, hi)
    return np.sum(clipped**2) + np.quantile(x, 0.5, axis=(0, 1)) + np.median(x, axis=(0, 1))


@case(args=lambda rng: (rng.standard_normal((5, 4)),), tags="array")
def nan_aware_zscore(x):
    """Standardise columns ignoring missing values (marked as nan)."""
    data = np.where(np.abs(x) > 1.6, np.nan, x)
    z = (data - np.nanmean(data, axis=0)) / (np.nanstd(data, axis=0) + 1e-3)
    return np.nansum(z**2) + np.nanvar(data) + np.nanmax(data) - np.nanmin(data) + np.nanmedian(data)


@case(args=lambda rng: (rng.standard_normal(12),), tags="array")
def outliers_masked_as_nan(x):
    """Mark outliers as missing in place (y[mask] = np.nan), then nan-aware statistics."""
    y = x * 1.0
    y[np.abs(x) > 1.5] = np.nan
    y[0] = np.pi
    return np.nanmean(y) + np.nanquantile(y, 0.8) + np.nanpercentile(y, [25.0, 75.0]).sum()


@case(args=lambda rng: (rng.standard_normal((3, 8)), rng.uniform(0.5, 2.0, 8)), wrt=(0, 1), tags="array")
def weighted_portfolio_stats(returns, w):
    """Weighted mean and spread of asset returns (np.average with weights and returned=True)."""
    mean, total = np.average(returns, axis=1, weights=w, returned=True)
    spread = np.average((returns - mean[:, None]) ** 2, axis=1, weights=w)
    return np.sum(mean * total) + np.sum(np.sqrt(spread))


@case(args=lambda rng: (rng.standard_normal((4, 12)),), tags="array")
def decorrelation_penalty(feats):
    """Push features apart: off-diagonal correlations and covariance energy (representation learning)."""
    R = np.corrcoef(feats)
    C = np.cov(feats)
    off = R - np.diag(np.diag(R))
    return np.sum(off**2) + 0.1 * np.trace(C @ C)


@case(args=lambda rng: (rng.standard_normal(10),), tags="array")
def trimmed_mean_sorted(x):
    """Trimmed mean via np.sort, an in-place .sort() and np.partition."""
    s = np.sort(x)
    y = x * 1.0
    y.sort()
    top = np.partition(x, 7)[7:]
    return np.mean(s[2:-2]) + y[-1] - y[0] + top.sum()


@case(args=lambda rng: (rng.standard_normal((4, 5)),), tags="array")
def masked_reductions(x):
    """Reductions with where=, initial= and keepdims= (masked statistics)."""
    m = x > -0.8
    hi = np.max(x, axis=1, where=m, initial=-5.0)
    sd = np.std(x, axis=1, where=m, keepdims=True)
    pr = np.prod(1.0 + 0.1 * x, axis=0, where=m)
    return np.sum(hi) + np.sum(sd) + np.sum(pr) + np.sum(x, where=m, initial=1.0)


@case(args=lambda rng: (rng.standard_normal((3, 4)),), tags="array")
def masked_reduction_methods(x):
    """The array-method forms with where=, initial=, dtype= and keepdims=."""
    m = x < 0.9
    a = x.max(axis=0, where=m, initial=-3.0) + x.min(axis=0, keepdims=True, where=m, initial=3.0)[0]
    b = (1.0 + 0.2 * x).prod(axis=1, dtype=np.float64, where=m) + x.var(axis=1, where=m) + x.std(where=m)
    c = np.cumprod(1.0 + 0.1 * x, axis=1, dtype=np.float64) + (1.0 + 0.1 * x).cumprod(axis=1)
    return np.sum(a) + np.sum(b) + np.sum(c) + np.nansum(x, dtype=np.float64) + np.var(x, dtype=np.float64)


# ------------------------------------------------------------------ densities, interpolation, quadrature
@case(args=lambda rng: (rng.standard_normal(12),), tags="array")
def gaussian_kde_normalised(samples):
    """Histogram-free density estimate on a grid, normalised with the trapezoid rule."""
    grid, step = np.linspace(-3.0, 3.0, 41, retstep=True)
    h = 0.4
    dens = np.exp(-0.5 * (np.subtract.outer(grid, samples) / h) ** 2).mean(axis=1) / (h * np.sqrt(2 * np.pi))
    return np.trapezoid(dens * grid**2, dx=step) / np.trapezoid(dens, grid)


@case(args=lambda rng: (np.sort(rng.uniform(-1, 1, 6)) * 0.9, rng.standard_normal(7)), wrt=(0, 1), tags="array")
def interp_lookup_table(x, table):
    """A learned 1-d lookup table, read at differentiated positions (np.interp)."""
    knots = np.linspace(-1.2, 1.2, 7)
    return np.sum(np.interp(x, knots, table) ** 2)


@case(args=lambda rng: (rng.uniform(0.1, 0.9),), tags="py_float")
def interp_time_warp(shift):
    """Resample a signal on a shifted time grid (np.interp w.r.t. the query points)."""
    t = np.linspace(0.0, 1.0, 9)
    signal = np.sin(2 * np.pi * t)
    return np.sum(np.interp(t * 0.8 + shift * 0.1 + 0.013, t, signal) ** 2)


@case(args=lambda rng: (rng.standard_normal(8),), tags="array")
def polyfit_smoothing(y):
    """Least-squares quadratic fit and its residual (np.polyfit w.r.t. y, np.polyval)."""
    t = np.linspace(0.0, 1.0, 8)
    coef = np.polyfit(t, y, 2)
    fit = np.polyval(coef, t)
    return np.sum((fit - y) ** 2) + np.polyval(coef, 0.5)


@case(args=lambda rng: (rng.standard_normal(4), rng.uniform(-1, 1, 6)), wrt=(0, 1), tags="array")
def polynomial_features(p, x):
    """A polynomial evaluated at differentiated points with differentiated coefficients."""
    return np.sum(np.polyval(p, x) ** 2)


@case(args=lambda rng: (rng.uniform(0.1, 0.3, 6),), tags="array")
def path_length_trapezoid(dt):
    """Arc length of a curve sampled at differentiated times (cumsum of steps, trapezoid with x)."""
    t = np.cumsum(dt)
    speed = np.sqrt(1.0 + np.cos(t) ** 2)
    return np.trapezoid(speed, t) + np.sum(np.ediff1d(t) ** 2)


# ------------------------------------------------------------------ cumulative and ufunc methods
@case(args=lambda rng: (rng.uniform(0.01, 0.2, 10),), tags="array")
def survival_curve(hazard):
    """Discrete survival S_t = prod(1 - h) (np.cumprod) and expected lifetime."""
    surv = np.cumprod(1.0 - hazard)
    return np.sum(surv) + np.multiply.accumulate(1.0 - hazard)[-1]


@case(args=lambda rng: (rng.standard_normal(12),), tags="array")
def max_drawdown(returns):
    """Largest drawdown of a price path (np.maximum.accumulate)."""
    prices = np.exp(np.add.accumulate(0.1 * returns))
    peak = np.maximum.accumulate(prices)
    return np.max((peak - prices) / peak)


@case(args=lambda rng: (rng.standard_normal((3, 6)),), tags="array")
def logsumexp_ufunc_reduce(x):
    """A stable log-sum-exp written with ufunc methods."""
    m = np.maximum.reduce(x, axis=1)
    return np.sum(m + np.log(np.add.reduce(np.exp(x - m[:, None]), axis=1)))


@case(args=lambda rng: (rng.standard_normal(5), rng.standard_normal(4)), wrt=(0, 1), tags="array")
def rbf_kernel_outer(x, y):
    """An RBF kernel matrix with ufunc outer products."""
    K = np.exp(-(np.subtract.outer(x, y) ** 2)) * np.multiply.outer(np.ones(5), y)
    return np.sum(K) + np.sum(np.add.outer(x, y) ** 2)


@case(args=lambda rng: (rng.standard_normal(9),), tags="array")
def segment_means_reduceat(x):
    """Per-segment sums of a ragged batch (np.add.reduceat)."""
    starts = np.array([0, 2, 5])
    sums = np.add.reduceat(x, starts)
    return np.sum(sums**2 / np.diff(np.append(starts, 9)))


# ------------------------------------------------------------------ assembly and in-place writers
@case(args=lambda rng: (rng.uniform(0.5, 1.5, 6),), tags="cr_zeros")
def fem_1d_stiffness_solve(k):
    """Assemble a 1-d stiffness matrix with np.add.at and solve for the displacement."""
    n = 7
    K = np.zeros((n, n))
    for e in range(n - 1):
        idx = np.array([e, e + 1])
        ke = k[e] * np.array([[1.0, -1.0], [-1.0, 1.0]])
        np.add.at(K, (idx[:, None], idx[None, :]), ke)
    K[0, 0] += 1.0
    u = np.linalg.solve(K, np.ones(n))
    return u @ K @ u


@case(args=lambda rng: (rng.uniform(0.5, 1.5, 4),), tags="cr_zeros")
def fem_load_vector_repeated(q):
    """A load vector where elements share nodes (repeated indices accumulate)."""
    conn = np.array([[0, 1], [1, 2], [2, 3], [3, 4]])
    f = np.zeros(5)
    np.add.at(f, conn.ravel(), np.repeat(q * 0.5, 2))
    g = f.copy()
    np.subtract.at(g, [0, 0, 4], q[:3])
    return np.sum(f**2) + np.sum(g)


@case(args=lambda rng: (rng.standard_normal((4, 4)), rng.standard_normal(4)), wrt=(0, 1), tags="array")
def regularised_gram(A, d):
    """Set a diagonal and a few entries in place (fill_diagonal, put, put_along_axis, copyto, fill)."""
    G = A @ A.T
    np.fill_diagonal(G, np.abs(d) + 1.0)
    np.put(G, [1, 6], d[:2])
    np.put_along_axis(G, np.array([[3], [2], [1], [0]]), d[:, None] * 0.5, axis=1)
    H = np.empty_like(G)
    H.fill(0.25)
    np.copyto(H, G, where=G > 0)
    return np.sum(G * H) + np.trace(np.block([[G, A], [A.T, H]]))


@case(args=lambda rng: (rng.standard_normal(8),), tags="array")
def piecewise_select(x):
    """A piecewise function written with np.select (a smooth default elsewhere)."""
    y = np.select([x < -0.5, x > 0.5], [-(x**2), np.sqrt(np.abs(x))], default=np.sin(x))
    return np.sum(y * np.real_if_close(x + 0j))


@case(args=lambda rng: (rng.uniform(0.2, 1.0), rng.uniform(1.5, 2.5)), wrt=(0, 1), tags="py_float")
def linspace_quadrature(a, b):
    """Midpoint quadrature on a grid whose ends are differentiated (linspace retstep=True)."""
    x, h = np.linspace(a, b, 11, retstep=True)
    mid = 0.5 * (x[1:] + x[:-1])
    return np.sum(np.exp(-mid) * h)
