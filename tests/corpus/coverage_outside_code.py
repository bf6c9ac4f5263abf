"""Coverage corpus: coverage_outside_code (issue 12). Functions written the way people outside the project
write them (an adversarial new-user review): helpers defined inside the function that return views of
their arguments or of what they close over, closures that accumulate into an array of the enclosing
function, a single-operand ``np.einsum`` (a writable view), and an optimiser step that updates its
parameter in place. Each one was silently wrong before: the write reached the primal buffer but not its
tangent."""

import numpy as np

from . import case

REFUSAL_OK = set()


def _vec(n):
    return lambda rng: (rng.normal(size=n),)


# ================================================================== helpers that return views
@case(args=_vec(6), tags="array sh_split aug_add aug_sub")
def fill_halves_through_nested_splitter(x):
    def halves(v):
        return v[:3], v[3:]

    y = np.zeros(6)
    lo, hi = halves(y)
    lo += x[:3]
    hi -= x[3:] ** 2
    return y


@case(args=_vec(4), tags="array sh_reshape aug_add")
def write_through_nested_as_matrix(x):
    def as_matrix(v):
        return v.reshape(2, 2)

    y = np.zeros(4)
    m = as_matrix(y)
    m[0, 1] = x[0] * x[1]
    m[1] += x[2:]
    return y


@case(args=_vec(6), tags="array aug_add")
def workspace_head_from_closure(x):
    work = np.zeros(6)

    def head(k):
        return work[:k]

    h = head(3)
    h += x[:3]
    return work * 2.0


@case(args=_vec(6), tags="array")
def workspace_tail_from_lambda(x):
    work = np.zeros(6)
    tail = lambda: work[3:]  # noqa: E731 (written the way users write it)
    t = tail()
    t[:] = x[3:] ** 2
    return work


@case(args=_vec(3), tags="array la_einsum aug_add")
def diagonal_loading_through_einsum_view(x):
    M = np.zeros((3, 3))
    d = np.einsum("ii->i", M)  # a writable view of M's diagonal
    d += x
    return M @ x


@case(args=lambda rng: (rng.normal(size=(3, 3)),), tags="array la_einsum")
def transpose_view_by_einsum(A):
    M = np.zeros((3, 3))
    t = np.einsum("ij->ji", M)
    t[0] = A[0]
    return M


# ================================================================== closures accumulating into our arrays
@case(args=_vec(4), tags="array closure aug_add")
def closure_accumulates_slices(x):
    acc = np.zeros(4)

    def add(v):
        acc[:] += v

    add(x)
    add(x**2)
    return acc


@case(args=_vec(4), tags="array closure aug_add")
def closure_accumulates_one_entry(x):
    hist = np.zeros(4)

    def count(v):
        hist[0] += v[0] * v[1]

    count(x)
    return hist * x


@case(args=_vec(4), tags="array closure aug_add")
def closure_writes_through_local_alias(x):
    total = np.zeros(4)

    def add(v):
        t = total
        t += v

    add(x)
    return total


@case(args=_vec(4), tags="array closure")
def closure_stores_derived_value(x):
    out = np.zeros(4)

    def store(v):
        w = np.tanh(v) * 2.0
        out[:] = w

    store(x)
    return out


@case(args=_vec(4), tags="array closure aug_add")
def two_levels_of_closures(x):
    acc = np.zeros(4)

    def outer(v):
        def inner(u):
            acc[1:] += u[1:]

        inner(v * 3.0)

    outer(x)
    return acc


# ================================================================== in-place update of the argument
@case(args=lambda rng: (rng.normal(size=4), rng.normal(size=4)), wrt=(0,), mutates=True, tags="array aug_sub")
def adam_step_updates_weights_in_place(w, g):
    m = np.zeros_like(w)
    v = np.zeros_like(w)
    for t in range(1, 3):
        grad = g * w + 0.1 * w**2
        m[:] = 0.9 * m + 0.1 * grad
        v[:] = 0.999 * v + 0.001 * grad * grad
        w -= 0.01 * (m / (1 - 0.9**t)) / (np.sqrt(v / (1 - 0.999**t)) + 1e-3)
    return (w**2).sum()


@case(args=_vec(6), tags="array list_input aug_add")
def first_rows_through_map_lambda(x):
    buf = np.zeros(6)
    heads = list(map(lambda a: a[:2], [buf]))  # a list holding a view of buf
    heads[0] += x[:2]
    return buf


@case(args=_vec(6), tags="array aug_add")
def segments_from_comprehension_of_views(x):
    buf = np.zeros(6)
    parts = [seg for seg in (buf[:3], buf[3:])]
    parts[1] += x[3:] * x[:3]
    return buf


# ================================================================== lists extended in place through an alias
@case(args=_vec(3), tags="array list_literal aug_add sum_list_arrays")
def history_extended_through_alias(x):
    history = [x]
    log = history  # the same list
    log += [x * 2.0, np.sin(x)]
    return sum(history)


@case(args=_vec(3), tags="array dict_literal aug_add")
def buffers_in_dict_extended_in_place(x):
    state = {"h": [x]}
    h = state["h"]
    h += [x**2]
    return state["h"][1] + state["h"][0]


# ================================================================== in-place update through a view made by an expression
@case(args=_vec(6), tags="array sh_transpose aug_mul")
def scale_one_column_through_transpose(x):
    M = x.reshape(2, 3).copy()
    M.T[0] *= 5.0  # a constant factor still scales M's (differentiated) entries
    return M


@case(args=_vec(6), tags="array sh_swapaxes aug_mul")
def scale_through_swapaxes_call(x):
    M = x.reshape(2, 3).copy()
    np.swapaxes(M, 0, 1)[1] *= 10.0
    return M


@case(args=_vec(6), tags="array sh_ravel aug_add aug_mul")
def bias_every_other_entry_through_ravel(x):
    M = x.reshape(2, 3).copy()
    M.ravel()[::2] += 1.0
    M.ravel()[1] *= 3.0
    return M * x.reshape(2, 3)


# ================================================================== lists extended (vector mode: the items past the direction axis)
@case(args=_vec(6), tags="array list_literal sum_list_arrays")
def rows_extended_with_constant_arrays(x):
    rows = [x[:3]]
    rows.extend([np.ones(3), np.zeros(3)])
    rows[2] += x[3:]
    return sum(rows)


@case(args=_vec(6), tags="array list_literal")
def rows_of_a_matrix_extended_into_a_list(x):
    rows = []
    rows.extend(x.reshape(2, 3))
    return rows[1] * rows[0]


@case(args=_vec(4), tags="array list_literal")
def scalars_extended_from_an_array(x):
    vals = [x[0]]
    vals.extend([x[1] * 2.0, x[2] ** 2])
    vals.extend(x[3:])
    return sum(vals)


# ================================================================== del of an item of a differentiated container
@case(args=_vec(4), tags="array list_literal")
def drop_the_first_estimate(x):
    vals = [x[0], x[1] ** 2, x[2]]
    del vals[0]
    return vals[0] * 3.0 + vals[-1]


@case(args=_vec(4), tags="array list_literal")
def drop_a_slice_of_estimates(x):
    vals = [x[0], x[1] ** 2, x[2], x[3] * 2.0]
    i = 1
    del vals[i : i + 2]
    return vals[0] * vals[1]


@case(args=_vec(4), tags="array dict_literal")
def drop_a_key_before_summing(x):
    d = {"a": x[0], "b": x[1] * 2.0}
    d["a"] *= d["b"]
    d["c"] = d.get("c", 0.0) + x[2]
    del d["b"]
    return sum(d.values())


@case(args=_vec(4), tags="array dict_literal")
def drop_an_item_of_a_nested_list(x):
    state = {"hist": [x[:2], x[2:] ** 2, x[:2] * 3.0]}
    del state["hist"][1]
    return state["hist"][1] - state["hist"][0]


# ================================================================== more helpers handing back memory of ours
@case(args=_vec(4), tags="array closure aug_add")
def closure_hands_back_the_outer_array(x):
    out = np.zeros(4)

    def get():
        return out

    g = get()
    g += x
    return out


@case(args=_vec(4), tags="array aug_mul aug_add")
def nested_helper_scales_and_returns_its_argument(x):
    def scale_(a, k):
        a *= k
        return a

    y = np.ones(4)
    z = scale_(y, x)
    z += 1.0
    return y


class _Slicer:
    def __init__(self, k):
        self.k = k

    def head(self, a):
        return a[: self.k]


@case(args=_vec(6), tags="array aug_add")
def method_returns_a_view_of_its_argument(x):
    sl = _Slicer(3)
    buf = np.zeros(6)
    h = sl.head(buf)
    h += x[:3]
    return buf


@case(args=_vec(4), tags="array closure dict_literal aug_mul aug_add")
def closure_updates_a_dict_entry_in_place(x):
    state = {"h": np.zeros(4)}

    def step(v):
        state["h"] *= 0.5
        state["h"] += v

    for _ in range(3):
        step(x)
    return state["h"]


# ================================================================== second order through the norm helpers
@case(args=lambda rng: (rng.normal(size=(4, 3)),), tags="array la_norm aug_div red_axis")
def cosine_similarity_of_rows_normalised_in_place(emb):
    e = emb.copy()
    e /= np.linalg.norm(e, axis=1, keepdims=True)  # hessian: the norm helper's tangent written in place
    sim = e @ e.T
    return sim[np.triu_indices(4, 1)].sum()


@case(args=lambda rng: (rng.normal(size=(3, 3)),), tags="array la_norm aug_div for_range")
def rayleigh_quotient_by_power_iteration(A):
    S = A @ A.T + np.eye(3)
    v = np.ones(3)
    for _ in range(30):
        v = S @ v
        v /= np.linalg.norm(v)
    return v @ S @ v


# ================================================================== nested defs writing into their parameters
@case(args=_vec(4), tags="array closure nested_def setitem_slice")
def nested_filler_writes_its_parameter(x):
    out = np.zeros(4)

    def fill(dst, v):
        dst[1:3] = v[1:3] * 2

    fill(v=x, dst=out)
    return out * np.arange(1.0, 5.0)


@case(args=_vec(4), tags="array closure nested_def aug_add for_range")
def nested_accumulator_aug_assigns_its_parameter(x):
    acc = np.zeros(4)

    def add(a, v):
        a += v

    for k in range(3):
        add(acc, x * k)
    return (acc**2).sum()


@case(args=_vec(4), tags="array closure nested_def aug_add idx_slice")
def nested_writer_through_a_row_of_its_parameter(x):
    out = np.zeros((2, 4))

    def fill(dst, v):
        row = dst[1]
        row += v * v

    fill(out, x)
    return (out * 3).sum()


@case(args=_vec(4), tags="array closure nested_def")
def nested_parameter_shadows_an_outer_local(x):
    dst = np.ones(4)

    def fill(dst, v):
        dst[0] = v[0]

    out = np.zeros(4)
    fill(out, x)
    return out.sum() * x[1] + dst.sum()


# ================================================================== starred index (a[*idx, s], Python 3.11)
_CELL = (1, 0)  # the leading indices a caller hands over as a tuple


@case(args=lambda rng: (rng.normal(size=(2, 2, 3)),), tags="array idx_int idx_slice")
def starred_leading_indices_in_a_subscript(x):
    # written without the 3.11 syntax so the corpus imports on 3.10: the same Subscript node as x[*_CELL, 1:]
    y = x * 2.0
    return (y[(*_CELL, slice(1, None))] ** 2).sum() + y[(*_CELL, 0)] * x[0, 0, 0]
