"""Rule cases for the fft rules (tangent_fwd/rules/fft_rules.py): every transform with its n/s,
axis/axes and norm options, real, complex and Hermitian inputs (see the package docstring)."""

import numpy as np
from rule_cases import C, a, cplx


def f_fft(x):
    return np.fft.fft(x, n=7, norm="ortho")


def f_fft_axis(x):
    return np.fft.fft(x, axis=0, norm="forward")


def f_ifft(z):
    return np.fft.ifft(z)


def f_rfft(x):
    return np.fft.rfft(x, n=10)


def f_irfft(z):
    return np.fft.irfft(z, n=8, norm="ortho")


def f_irfft_odd(z):
    return np.fft.irfft(z, n=7)


def f_hfft(z):
    return np.fft.hfft(z, n=6)


def f_ihfft(x):
    return np.fft.ihfft(x)


def f_fft2(x):
    return np.fft.fft2(x, s=(4, 6))


def f_ifft2(z):
    return np.fft.ifft2(z, norm="ortho")


def f_rfft2(x):
    return np.fft.rfft2(x, axes=(0, 1))


def f_irfft2(z):
    return np.fft.irfft2(z, s=(3, 6))


def f_fftn(x):
    return np.fft.fftn(x, axes=(0, 2))


def f_ifftn(z):
    return np.fft.ifftn(z, s=(2, 3, 4), axes=(0, 1, 2), norm="forward")


def f_rfftn(x):
    return np.fft.rfftn(x)


def f_irfftn(z):
    return np.fft.irfftn(z, s=(3, 4, 6), axes=(0, 1, 2))


def f_power_spectrum(x):
    spec = np.fft.rfft(x)
    return np.real(spec * np.conj(spec))


def f_fftshift(x):
    return np.fft.fftshift(x)


def f_fftshift_axes(x):
    return np.fft.fftshift(x, axes=1)


def f_ifftshift(x):
    return np.fft.ifftshift(x, axes=(0,))


CASES = {
    np.fft.fft: [C(f_fft, a(5)), C(f_fft, cplx(6)), C(f_fft_axis, a(3, 4))],
    np.fft.ifft: [C(f_ifft, cplx(5))],
    np.fft.rfft: [C(f_rfft, a(8)), C(f_power_spectrum, a(9))],
    np.fft.irfft: [C(f_irfft, cplx(5)), C(f_irfft_odd, cplx(4))],
    np.fft.hfft: [C(f_hfft, cplx(4))],
    np.fft.ihfft: [C(f_ihfft, a(6))],
    np.fft.fft2: [C(f_fft2, a(3, 5))],
    np.fft.ifft2: [C(f_ifft2, cplx(3, 4))],
    np.fft.rfft2: [C(f_rfft2, a(4, 5))],
    np.fft.irfft2: [C(f_irfft2, cplx(3, 4))],
    np.fft.fftn: [C(f_fftn, a(2, 3, 4))],
    np.fft.ifftn: [C(f_ifftn, cplx(2, 3, 3))],
    np.fft.rfftn: [C(f_rfftn, a(2, 3, 4))],
    np.fft.irfftn: [C(f_irfftn, cplx(3, 4, 3))],
    np.fft.fftshift: [C(f_fftshift, a(5)), C(f_fftshift_axes, a(3, 4))],
    np.fft.ifftshift: [C(f_ifftshift, a(3, 4))],
}
