"""Rule case for the activity-perturbation marker ``tangent_fwd.perturb`` (tangent_fwd/perturbation.py).
Outside ``perturbed_jvp`` the marker is the identity with its input's tangent: the usual FD, float32,
vector-mode and strict-backend checks apply to it as to any linear rule."""

import numpy as np
from rule_cases import C, a

import tangent_fwd
from tangent_fwd import perturbation


def p_perturb_dense(h, W, b):
    return np.tanh(tangent_fwd.perturb(h @ W + b, name="z"))


def p_perturb_einsum(h, W):
    return np.sin(tangent_fwd.perturb(np.einsum("bi,ij->bj", h, W), name="z"))


def p_inject(dz, z):
    return np.cos(perturbation.inject(np, dz * 2.0, z, "s", inputs=z, weight="W", bias=None))


CASES = {
    perturbation.inject: [C(p_inject, a(3, 2), a(3, 2), diff=(0,))],
    tangent_fwd.perturb: [C(p_perturb_dense, a(4, 3), a(3, 2), a(2)), C(p_perturb_einsum, a(4, 3), a(3, 2))],
}
