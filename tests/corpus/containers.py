"""List/tuple/dict literals and subscripts, append, comprehensions, sum(), pytree inputs and outputs."""

import numpy as np

from . import case


def normal2(n):
    return lambda rng: (rng.standard_normal(n), rng.standard_normal(n))


@case(args=normal2(3), wrt=(0, 1), tags="list_literal container_subscript")
def list_literal(x, y):
    L = [x, y, x * y]
    return L[0] + L[2] - L[-1] * L[1]


@case(args=normal2(3), wrt=(0, 1), tags="tuple_literal container_subscript")
def tuple_literal(x, y):
    t = (x, y * 2.0, 3.0)
    return t[0] * t[1] + t[2]


@case(args=normal2(3), wrt=(0,), tags="dict_literal container_subscript")
def dict_literal(x, y):
    d = {"a": x, "b": x * y, "c": 2}
    d["e"] = d["a"] + d["b"] * d["c"]
    return d["e"] * d["a"]


@case(args=lambda rng: (rng.standard_normal(3),), tags="list_append for_range list_literal")
def list_append_return(x):
    out = []
    for i in range(3):
        out.append(x * i + x**2)
    return out


@case(args=lambda rng: (rng.standard_normal(4),), tags="list_append while sum_list_arrays b_sum")
def append_in_while(x):
    acc = []
    y = x
    while len(acc) < 3:
        y = np.cos(y)
        acc.append(y)
    return sum(acc)


@case(args=lambda rng: (rng.standard_normal(4),), tags="listcomp b_sum for_array")
def list_comprehension(x):
    vals = [np.sin(v) * v for v in x]
    return sum(vals)


@case(args=lambda rng: (rng.standard_normal(6),), tags="listcomp listcomp_if compare b_sum")
def list_comprehension_if(x):
    return sum([v * v for v in x if v > 0]) + 0.0 * x[0]


@case(args=lambda rng: (rng.standard_normal(4),), tags="listcomp b_range idx_int")
def list_comprehension_range(x):
    ys = [x[i] * x[i + 1] for i in range(len(x) - 1)]
    return np.array(ys)


@case(args=lambda rng: (rng.standard_normal(5),), tags="genexp_sum b_sum")
def generator_sum(x):
    return sum(v**2 for v in x) + sum(x[i] * i for i in range(len(x)))


@case(args=normal2(3), wrt=(0, 1), tags="sum_list_arrays b_sum list_literal")
def sum_of_arrays(x, y):
    return sum([x, 2.0 * y, x * y])


@case(
    args=lambda rng: ([rng.standard_normal(3), rng.standard_normal(3), rng.standard_normal(3)],),
    tags="list_input container_subscript",
)
def list_input(xs):
    return xs[0] * xs[1] + xs[2]


@case(args=lambda rng: ((rng.standard_normal(2), 1.5),), tags="tuple_input unpack py_float")
def tuple_input(pair):
    v, s = pair
    return v * s + pair[1] ** 2


@case(
    args=lambda rng: ({"w": rng.standard_normal((2, 3)), "b": rng.standard_normal(2)}, rng.standard_normal(3)),
    wrt=(0, 1),
    tags="dict_input matmul",
)
def dict_input(params, x):
    return np.tanh(params["w"] @ x + params["b"])


@case(args=lambda rng: (rng.standard_normal(3),), tags="dict_literal tuple_literal")
def return_dict(x):
    return {"sum": x.sum(), "sq": x * x, "pair": (x[0], 2.0 * x[1])}


@case(
    args=lambda rng: ({"a": [rng.standard_normal(2), (1.5, rng.standard_normal(2))]},),
    tags="dict_input list_input tuple_input container_subscript",
)
def nested_containers(tree):
    a = tree["a"]
    return a[0] * a[1][0] + a[1][1] ** 2


@case(args=normal2(3), wrt=(0, 1), tags="list_literal container_subscript")
def list_item_assignment(x, y):
    L = [x, y]
    L[0] = L[0] * 2.0 + L[1]
    L[1] = np.exp(L[0])
    return L


@case(args=normal2(3), wrt=(1,), tags="list_literal tuple_literal")
def list_tuple_conversions(x, y):
    t = tuple([x, y])
    L = list(t)
    return L[1] * t[0], len(L)


@case(args=lambda rng: (rng.standard_normal(3),), tags="list_append sh_stack for_range")
def stack_list_of_rows(x):
    rows = []
    for k in range(1, 4):
        rows.append(x**k)
    return np.stack(rows)


@case(args=lambda rng: ({"x": rng.standard_normal(3), "y": 2.0},), tags="dict_input py_float", mutates=True)
def dict_update_in_place(d):
    d["z"] = d["x"] * d["y"]
    d["x"] = d["x"] + 1.0
    return d["z"].sum() + d["x"].sum()


@case(args=lambda rng: (rng.standard_normal(3),), tags="list_literal list_append")
def list_extend(x):
    L = [x, 2.0 * x]
    L.extend([x * x])
    L.append(3.0)
    return L[-1] + L[0] * L[1] + len(L)


@case(args=lambda rng: (rng.standard_normal(4), [1.0, 2.0, 3.0]), wrt=(0,), tags="for_list b_enumerate")
def constant_list_arg(x, coeffs):
    s = 0.0
    for i, c in enumerate(coeffs):
        s = s + c * x**i
    return s


@case(args=lambda rng: ({"a": 0.7, "b": -1.3},), tags="dict_input for_dict_items for_enumerate b_enumerate")
def enumerate_dict_items(d):
    s = 0.0
    for i, (k, v) in enumerate(d.items(), start=1):
        s = s + i * v
    return s


@case(
    args=lambda rng: ({"mse": rng.standard_normal(2), "reg": rng.standard_normal(2)},),
    tags="dict_input b_sum sum_list_arrays",
)
def sum_of_dict_values(losses):
    return sum(losses.values()) * len(losses)


@case(args=lambda rng: ({"a": 0.7, "b": -1.3},), tags="dict_input for_dict_items dict_literal")
def dict_built_in_loop(d):
    out = {}
    for k, v in d.items():
        out[k + "_sq"] = v * v
    return out


@case(args=lambda rng: (rng.standard_normal(3), rng.standard_normal(3)), wrt=(0, 1), tags="b_zip genexp_sum b_sum")
def dot_by_generator_over_zip(x, y):
    return sum(a * b for a, b in zip(x, y) if a > -10.0) + sum((a - b) ** 2 for a, b in zip(x, y)) ** 0.5


@case(
    args=lambda rng: (rng.standard_normal(3), rng.standard_normal(3)),
    wrt=(0, 1),
    tags="b_zip b_enumerate container_subscript",
)
def materialised_zip_and_enumerate(x, y):
    pairs = list(zip(x, y))
    numbered = list(enumerate(y))
    return pairs[1][0] * pairs[2][1] + numbered[2][1] * numbered[2][0]
