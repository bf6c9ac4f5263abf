"""Derivative test corpus: ordinary Python/NumPy functions, each registered with its inputs.

Every function is registered with ``@case(args=..., wrt=..., tags=...)``:

* ``args``: ``rng -> tuple`` of positional arguments (``rng`` is a seeded ``np.random.Generator``).
  Differentiated arguments may be floats, float arrays, or dicts/lists/tuples of them.
* ``wrt``: indices of the arguments that get a tangent (the others get ``None``).
* ``tags``: construct categories the case exercises (see ``CATEGORIES``; checked by test_corpus_meta).
* ``mutates``: the function mutates its inputs on purpose (the jvp must then mutate them exactly as
  a plain call does, instead of leaving them alone).
* ``float32``: run the float32 check (default: when a differentiated argument holds float arrays).
* ``name``: case name (default: the function's name), to register one function with several inputs.
* ``rtol`` / ``atol``: finite-difference tolerance overrides (``atol`` is relative to the output scale).

``tests/test_corpus.py`` checks every case against central finite differences, primal equality,
linearity in the tangent, float32 behaviour, input mutation and forward_diff/jvp agreement;
``tests/test_corpus_meta.py`` checks the corpus size and that every category in ``CATEGORIES`` is
covered. Modules are grouped by theme (``MODULES``); ``semantics`` holds aliasing/view/in-place and
other Python-semantics traps. ``unsupported.py`` is not part of the corpus: it lists constructs
outside the supported language, which must be refused with a clear error.
"""

import importlib
from dataclasses import dataclass

CASES = []

# Every construct category the issue asks the corpus to cover.
CATEGORIES = {
    # values
    "py_float",
    "py_int",
    "array",
    "dict_input",
    "list_input",
    "tuple_input",
    # operators
    "add",
    "sub",
    "mul",
    "div",
    "floordiv",
    "mod",
    "pow",
    "matmul",
    "neg",
    "pos",
    "pow_active_exp",
    "pow_both_active",
    "compare",
    "boolop",
    "aug_add",
    "aug_sub",
    "aug_mul",
    "aug_div",
    "aug_pow",
    "aug_matmul",
    # control flow
    "if",
    "elif",
    "ifexp",
    "for_range",
    "for_array",
    "for_list",
    "for_zip",
    "for_enumerate",
    "for_dict_items",
    "while",
    "break",
    "continue",
    "early_return",
    "multi_return",
    "tuple_return",
    "unpack",
    # containers
    "list_literal",
    "tuple_literal",
    "dict_literal",
    "container_subscript",
    "list_append",
    "listcomp",
    "listcomp_if",
    "genexp_sum",
    "sum_list_arrays",
    # calls
    "call_user",
    "call_kwargs",
    "call_defaults",
    "recursion",
    "nested_def",
    "closure",
    "global",
    "constant",
    # array subscripts
    "idx_int",
    "idx_slice",
    "idx_ellipsis",
    "idx_newaxis",
    "idx_intarray",
    "idx_boolmask",
    "setitem_int",
    "setitem_slice",
    "setitem_aug",
    # array attributes and methods
    "attr_T",
    "attr_shape",
    "attr_ndim",
    "attr_size",
    "attr_dtype",
    "m_sum",
    "m_mean",
    "m_max",
    "m_min",
    "m_prod",
    "m_std",
    "m_var",
    "m_reshape",
    "m_transpose",
    "m_dot",
    "m_ravel",
    "m_flatten",
    "m_copy",
    "m_astype",
    "m_clip",
    "m_squeeze",
    "m_cumsum",
    # math module and builtins
    "math",
    "b_abs",
    "b_pow",
    "b_min",
    "b_max",
    "b_sum",
    "b_float",
    "b_int",
    "b_len",
    "b_range",
    "b_zip",
    "b_enumerate",
    # piecewise constant (no tangent)
    "pc_argmax",
    "pc_compare",
    "pc_floor",
    "pc_shape",
    "pc_int_arith",
    "pc_random",
    # numpy elementwise
    "np_elementwise",
    "np_logaddexp",
    "np_where",
    "np_clip",
    "np_maximum",
    "np_minimum",
    "np_hypot",
    "np_arctan2",
    "np_power",
    # reductions
    "red_sum",
    "red_mean",
    "red_prod",
    "red_max",
    "red_min",
    "red_var",
    "red_std",
    "red_cumsum",
    "red_cumprod",
    "red_axis",
    "red_keepdims",
    # linear algebra
    "la_dot",
    "la_matmul",
    "la_inner",
    "la_outer",
    "la_einsum",
    "la_tensordot",
    "la_trace",
    "la_inv",
    "la_solve",
    "la_det",
    "la_norm",
    # shape ops
    "sh_reshape",
    "sh_transpose",
    "sh_swapaxes",
    "sh_moveaxis",
    "sh_expand_dims",
    "sh_squeeze",
    "sh_concatenate",
    "sh_stack",
    "sh_hstack",
    "sh_vstack",
    "sh_split",
    "sh_broadcast_to",
    "sh_tile",
    "sh_repeat",
    "sh_flip",
    "sh_roll",
    "sh_ravel",
    "sh_take",
    "sh_take_along_axis",
    "sh_sliding_window_view",
    # creation
    "cr_zeros",
    "cr_ones",
    "cr_full",
    "cr_zeros_like",
    "cr_ones_like",
    "cr_eye",
    "cr_arange",
    "cr_array",
    "cr_asarray",
    "cr_active_fill",
    # realistic models
    "model_mlp",
    "model_softmax_xent",
    "model_conv",
    "model_maxpool",
    "model_rnn",
    "model_newton",
    "model_horner",
    # complex values (issue 12 soundness corpus)
    "complex",
}

MODULES = [
    "scalars",
    "operators",
    "control_flow",
    "containers",
    "calls",
    "indexing",
    "methods",
    "elementwise",
    "reductions",
    "linalg",
    "shapes",
    "creation",
    "models",
    "semantics",
    "soundness_inplace",
    "soundness_order",
    "soundness_alias",
    "soundness_scopes",
    "soundness_complex",
    "soundness_numpy_api",
    "soundness_realistic",
    "soundness_program",
    "coverage_calls",
    "coverage_statements",
    "coverage_linalg",
    "coverage_numpy",
    "coverage_scipy",
    "coverage_mixed",
    "coverage_outside_code",
]


@dataclass
class Case:
    name: str
    func: object
    args: object
    wrt: tuple
    tags: frozenset
    mutates: bool = False
    float32: object = None
    rtol: float = None
    atol: float = None
    notes: str = ""

    def __repr__(self):
        return f"<case {self.name}>"


def case(args, wrt=(0,), tags=(), mutates=False, float32=None, rtol=None, atol=None, notes="", name=None):
    """Register the decorated function as a corpus case (the function is returned unchanged)."""
    wrt = (wrt,) if isinstance(wrt, int) else tuple(wrt)
    if isinstance(tags, str):
        tags = tags.split()
    unknown = set(tags) - CATEGORIES
    if unknown:
        raise ValueError(f"unknown corpus tags {sorted(unknown)}")

    def deco(func):
        mod = func.__module__.rsplit(".", 1)[-1]
        CASES.append(
            Case(
                f"{mod}.{name or func.__name__}", func, args, wrt, frozenset(tags), mutates, float32, rtol, atol, notes
            )
        )
        return func

    return deco


def load(include_refusable=False):
    """Import every corpus module (registering its cases) and return the list of cases.

    A module's ``REFUSAL_OK`` names cases that the compiler may refuse with a TransformError (writes of
    differentiated values into object attributes, syntax outside the supported language): only
    tests/test_primal_equivalence.py, which accepts "correct or cleanly refused", runs them
    (``include_refusable=True``); the other harnesses need a derivative from every case they run."""
    refusable = set()
    for m in MODULES:
        mod = importlib.import_module(f"{__name__}.{m}")
        refusable |= {f"{m}.{n}" for n in getattr(mod, "REFUSAL_OK", ())}
    names = [c.name for c in CASES]
    dup = {n for n in names if names.count(n) > 1}
    if dup:
        raise ValueError(f"duplicate corpus case names: {sorted(dup)}")
    return [c for c in CASES if include_refusable or c.name not in refusable]
