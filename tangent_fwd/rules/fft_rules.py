"""JVP rules for ``np.fft`` (registered on import by rules/__init__). Every transform is linear in its
input for fixed ``n``/``s``/``axis``/``axes``/``norm`` (the real-input and Hermitian ones are
real-linear: ``irfft`` and ``hfft`` drop the imaginary parts NumPy drops), so its tangent is the same
call on the input's tangent; ``out=`` with a differentiated input is refused by the transform."""

import numpy as np

from ..registry import deflinear

ONE = "a, n=None, axis=-1, norm=None, out=None"
TWO = "a, s=None, axes=(-2, -1), norm=None, out=None"
ND = "a, s=None, axes=None, norm=None, out=None"

for _f in (np.fft.fft, np.fft.ifft, np.fft.rfft, np.fft.irfft, np.fft.hfft, np.fft.ihfft):
    deflinear(_f, ONE)
for _f in (np.fft.fft2, np.fft.ifft2, np.fft.rfft2, np.fft.irfft2):
    deflinear(_f, TWO)
for _f in (np.fft.fftn, np.fft.ifftn, np.fft.rfftn, np.fft.irfftn):
    deflinear(_f, ND)
deflinear(np.fft.fftshift, "x, axes=None")
deflinear(np.fft.ifftshift, "x, axes=None")
