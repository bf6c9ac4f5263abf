"""Following SciPy's ``_axis_nan_policy`` decorator (``scipy.stats.skew``, ``gmean``, ``sem``...).

SciPy wraps most ``scipy.stats`` statistics in one generic wrapper that binds the samples through
dictionaries of keyword arguments, reshapes them, checks them for NaNs and masked values, and calls
the undecorated statistic (``__wrapped__``) either once or once per slice (``np.apply_along_axis``).
That code cannot be differentiated as it stands (it chooses between nested functions, builds
dictionaries of samples), but its common path is a short sequence of array operations. For each
decorated statistic this module generates a plain Python function with the statistic's advertised
signature that performs that path the way the wrapper documents and implements it:

1. promote the samples to their common dtype (``xp_promote``) and make them at least 1-D;
2. ``axis=None``: ravel every sample; an int or tuple axis: broadcast the samples (ignoring the
   reduced axes), move the reduced axes to the end and merge them into one;
3. samples that are now 1-D: call the statistic without ``axis`` (as the wrapper does); otherwise call it
   with ``axis=-1`` (the wrapper's vectorised call);
4. ``keepdims=True``: put the reduced axes back with ``expand_dims``.

The generated function is then compiled like any library code: the statistic's own source is
differentiated. The primal is the library's result bit for bit, because the same operations run on
the same values. What the wrapper does beyond this path is refused with a TransformError naming the
reason, at the call: ``nan_policy`` other than ``'propagate'``, masked arrays, lazy arrays, NaNs in an
N-D input (slice-by-slice ``apply_along_axis``), statistics without an ``axis`` parameter on N-D input,
a variable number of samples or outputs, and result objects with several fields. Inputs containing
NaN with ``nan_policy='propagate'`` return the wrapper's NaN result with a NaN tangent (never a zero).
Samples too small for the statistic return the wrapper's NaN result likewise (with its warning).
"""

import inspect
import keyword
import linecache
import warnings
from typing import Any

import numpy as np

from .errors import TransformError

_FOLLOWERS: dict = {}  # id(decorated) -> (decorated, follower)
_MODULE_NAME = "tangent_fwd.scipy_stats"
_CELLS = (
    "hypotest_fun_in",
    "n_samples",
    "n_outputs",
    "kwd_samples",
    "paired",
    "override",
    "result_to_tuple",
    "tuple_to_result",
    "is_too_small",
    "default_axis",
)


def is_axis_nan_policy(func: Any) -> bool:
    """Whether ``func`` is SciPy's ``axis_nan_policy_wrapper`` around a statistic."""
    return getattr(getattr(func, "__code__", None), "co_name", None) == "axis_nan_policy_wrapper"


def _modelled():
    """Whether this SciPy has the wrapper modelled here (SciPy >= 1.16: its helpers xp_promote,
    _broadcast_shapes, too_small_1d_not_omit, _get_nan). Older releases wrap differently: refused."""
    import importlib

    for modname, names in (
        ("scipy._lib._array_api", ("xp_promote", "_asarray")),
        ("scipy.stats._axis_nan_policy", ("_broadcast_shapes", "too_small_1d_not_omit", "_get_nan")),
        ("scipy.stats._stats_py", ("SmallSampleWarning",)),
    ):
        try:
            module = importlib.import_module(modname)
        except Exception:
            return False
        if not all(hasattr(module, n) for n in names):
            return False
    return True


def follower(func: Any) -> Any:
    """The generated function that follows ``func``'s ``_axis_nan_policy`` wrapper (cached), or a
    TransformError saying why this wrapper's configuration cannot be followed."""
    hit = _FOLLOWERS.get(id(func))
    if hit is not None and hit[0] is func:
        return hit[1]
    if MODELLED[0] is None:
        MODELLED[0] = _modelled()
    if not MODELLED[0]:
        import scipy

        raise _refuse(func, f"SciPy {scipy.__version__}'s wrapper is not the one modelled here (SciPy >= 1.16)")
    made = _make(func)
    _FOLLOWERS[id(func)] = (func, made)
    return made


MODELLED = [None]  # whether this SciPy's wrapper is the one modelled (set on first use, _modelled)


def n_samp_of(n_samples, advertised, names, required):
    """The sample count ``n_samples`` gives with only the required samples passed (the optional ones
    None): it must be the required count for the optional samples to behave like keyword samples."""
    kwds = {n: (object() if i < required else None) for i, n in enumerate(names)}
    for n, p in advertised.parameters.items():
        if p.default is not p.empty and n not in names[:required]:
            kwds[n] = p.default
    try:
        return n_samples(kwds)
    except Exception:
        return None


def _refuse(func, why):
    return TransformError(
        f"{_name(func)} is wrapped by SciPy's _axis_nan_policy machinery, and {why}: tangent_fwd follows "
        "that wrapper only for a fixed number of samples and outputs",
        hint="write the statistic with NumPy in a function of your own, or register a rule with tangent_fwd.defjvp",
    )


def _name(func):
    return f"scipy.stats.{getattr(func, '__name__', 'statistic')}"


def _closure(func):
    cells = dict(zip(func.__code__.co_freevars, func.__closure__ or ()))
    missing = [n for n in _CELLS if n not in cells]
    if missing:  # another SciPy release's wrapper: its semantics are not the ones modelled here
        raise _refuse(func, f"this SciPy's wrapper keeps no {', '.join(missing)}")
    return {n: cells[n].cell_contents for n in _CELLS}


def _single_output(cl):
    """The wrapper's result conversion is the identity on one output: ``(res,)`` then ``res``."""
    probe = object()
    try:
        as_tuple = cl["result_to_tuple"](probe, 1)
        back = cl["tuple_to_result"](*as_tuple) if isinstance(as_tuple, tuple) and len(as_tuple) == 1 else None
    except Exception:
        return False
    return back is probe


def _make(func):
    cl = _closure(func)
    impl = cl["hypotest_fun_in"]
    n_out = cl["n_outputs"]  # moment(order=[1, 2]): a callable, asked at the call (one output followed)
    if (not callable(n_out) and n_out != 1) or not _single_output(cl):
        raise _refuse(func, "its result has several fields (statistic, pvalue...)")
    advertised = inspect.signature(func)
    inner = list(inspect.signature(impl).parameters)
    names = list(advertised.parameters)
    n_samp = cl["n_samples"]
    optional = []
    if callable(n_samp):  # entropy(pk, qk=None): the samples given; an optional one counts when not None
        most = n_samp({n: object() for n in names})
        n_samp = sum(advertised.parameters[n].default is inspect.Parameter.empty for n in names[:most])
        optional = names[n_samp:most]
        if not isinstance(most, int) or n_samp != n_samp_of(cl["n_samples"], advertised, names, n_samp):
            raise _refuse(func, "the number of its samples depends on its options")
    if not isinstance(n_samp, int) or isinstance(n_samp, bool):
        raise _refuse(func, "it takes a variable number of samples (*samples)")
    samples = names[:n_samp]
    kwd_samples = optional + [k for k in cl["kwd_samples"] if k in names]
    for n in names:
        if keyword.iskeyword(n) or n.startswith("_tf_"):
            raise _refuse(func, f"its parameter {n!r} cannot be named in generated code")
    if any(p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD) for p in advertised.parameters.values()):
        raise _refuse(func, "it takes *args or **kwargs")
    vectorized = "axis" in inner and not cl["override"]["vectorization"]
    ns = {"__name__": _MODULE_NAME, "_tf_impl": impl, "np": np}
    ns.update({k: v for k, v in globals().items() if k.startswith("_tf_") and callable(v)})
    params, seen_kwonly = [], False
    for i, p in enumerate(advertised.parameters.values()):
        if p.kind == p.KEYWORD_ONLY and not seen_kwonly:
            params.append("*")
            seen_kwonly = True
        if p.default is p.empty:
            params.append(p.name)
        else:
            ns[f"_tf_default{i}"] = p.default
            params.append(f"{p.name}=_tf_default{i}")
    for opt in ("axis", "nan_policy", "keepdims"):
        if opt not in names:
            raise _refuse(func, f"it has no {opt!r} parameter")
    if "_no_deco" not in names:  # SciPy's own code calls a decorated statistic with _no_deco=True (tstd -> tvar)
        params += ["_no_deco=False"] if seen_kwonly else ["*", "_no_deco=False"]
    all_samples = samples + kwd_samples
    kw_dict_src = "{" + ", ".join(f"{n!r}: {n}" for n in names if n not in samples + kwd_samples) + "}"
    sample_tuple = "(" + "".join(f"{s}, " for s in all_samples) + ")"
    passed = [n for n in inner[n_samp:] if n in names and n not in ("axis", "nan_policy", "keepdims")]
    call_kw = ", ".join(f"{n}={n}" for n in passed)
    call = "_tf_impl(" + ", ".join(samples + ([call_kw] if call_kw else []))
    options = ("axis", "nan_policy", "keepdims")
    direct = ", ".join(samples + [f"{n}=_tf_{n}" if n in options else f"{n}={n}" for n in inner[n_samp:] if n in names])
    body = [
        # options, never differentiated (a call specialised when it runs may pass them as active values)
        "_tf_axis = _tf_option(axis)",
        "_tf_nan_policy = _tf_option(nan_policy)",
        "_tf_keepdims = _tf_option(keepdims)",
        "if _no_deco:",  # the wrapper does nothing then: the statistic itself, with the arguments given
        f"    return _tf_impl({direct})",
        f"_tf_check({sample_tuple}, _tf_axis, _tf_nan_policy, _tf_name)",
        f"_tf_dtype = _tf_promoted_dtype({sample_tuple})",
    ]
    ns["_tf_name"] = _name(func)
    for s in all_samples:
        guard = f"if {s} is not None:\n        " if s in kwd_samples else ""
        body.append(f"{guard}{s} = np.atleast_1d(_tf_asarray({s}, dtype=_tf_dtype, subok=True, xp=np))")
    body.append("if _tf_axis is None:")
    body.append(f"    _tf_reduced = _tf_all_axes({sample_tuple})")
    for s in all_samples:
        guard = f"if {s} is not None:\n            " if s in kwd_samples else ""
        body.append(f"    {guard}{s} = np.ravel({s})")
    body.append("else:")
    body.append("    _tf_reduced = _tf_axis")
    body.append("    _tf_axes = _tf_axis_tuple(_tf_axis)")
    for i, s in enumerate(all_samples):
        guard = f"if {s} is not None:\n            " if s in kwd_samples else ""
        body.append(
            f"    {guard}{s} = np.broadcast_to({s}, _tf_broadcast_shape({sample_tuple}, {i}, _tf_axis, _tf_paired))"
        )
    for s in all_samples:  # after broadcasting all: each sample's target shape reads the others' shapes
        guard = f"if {s} is not None:\n            " if s in kwd_samples else ""
        body.append(f"    {guard}{s} = np.moveaxis({s}, _tf_axes, _tf_tail(_tf_axes))")
        body.append(f"    {guard}{s} = np.reshape({s}, _tf_merged_shape({s}, _tf_axes))")
    if callable(n_out):
        ns["_tf_n_outputs"] = n_out
        body.append(f"_tf_one_output(_tf_n_outputs, {kw_dict_src}, _tf_name)")
    body.append(f"_tf_flat = _tf_at_most_1d({sample_tuple})")
    # the wrapper's NaN answer; times the samples' sum so that its tangent is NaN too, never a zero
    nan_res = " * ".join([f"_tf_full_nan({sample_tuple})"] + [f"np.sum({s})" for s in samples])
    kw_dict = "{" + ", ".join(f"{n!r}: {n}" for n in passed) + "}"
    body.append(
        f"if _tf_nan_result({sample_tuple}, _tf_nan_policy, _tf_flat, _tf_override, _tf_name) or "
        f"_tf_too_small({sample_tuple}, {kw_dict}, _tf_flat, _tf_is_too_small):"
    )
    body.append(f"    _tf_res = {nan_res}")
    body.append("elif _tf_flat:")
    ns.update(_tf_override=cl["override"], _tf_paired=cl["paired"], _tf_is_too_small=cl["is_too_small"])
    kwd_args = "".join(f", {k}={k}" for k in kwd_samples if k not in passed)
    body.append(f"    _tf_res = {call}{kwd_args})")
    body.append("else:")
    if vectorized:
        body.append(f"    _tf_res = {call}{kwd_args}, axis=-1)")
    else:
        body.append("    _tf_res = _tf_refuse_nd(_tf_name)")
    body.append("if _tf_keepdims:")
    body.append("    _tf_res = np.expand_dims(_tf_res, _tf_reduced)")
    body.append("return _tf_res")
    fname = func.__name__ if func.__name__.isidentifier() else "statistic"
    src = f"def {fname}({', '.join(params)}):\n" + "".join(
        "    " + line.replace("\n", "\n    ") + "\n" for line in body
    )
    filename = f"<tangent_fwd follows {_name(func)}'s _axis_nan_policy wrapper>"
    linecache.cache[filename] = (len(src), None, src.splitlines(True), filename)
    exec(compile(src, filename, "exec"), ns)
    made = ns[fname]
    made.__doc__ = func.__doc__
    made.__tangent_fwd_wraps__ = func
    return made


def _tf_option(value):
    """An option of the statistic (axis, nan_policy, keepdims): returned as it is, carrying no tangent."""
    return value


def _tf_one_output(n_outputs, kwds, name):
    """Refuse a call whose options make the statistic return several results (moment(order=[1, 2]))."""
    if n_outputs(kwds) != 1:
        raise TransformError(
            f"{name} called for several results at once (SciPy's _axis_nan_policy wrapper splits and restacks "
            "them); tangent_fwd follows it for one",
            hint="call it once per result (one order at a time)",
        )


def _tf_refuse_nd(name):
    raise TransformError(
        f"{name} has no axis parameter: SciPy's _axis_nan_policy wrapper computes it slice by slice on N-D "
        "input (np.apply_along_axis), which tangent_fwd does not follow",
        hint="call it on 1-D samples (a loop over the rows of your own)",
    )


# ---------------------------------------------------------------------------------------------
# run-time helpers of the generated functions. All but _tf_asarray (identity-like) carry no tangent: they read
# shapes, dtypes, options and NaN flags, and are declared inactive in tangent_fwd/library.py.


def _tf_check(samples, axis, nan_policy, name):
    """Refuse what the generated path does not model: another nan_policy, masked or lazy arrays (True
    otherwise)."""
    if nan_policy not in ("propagate", None):
        raise TransformError(
            f"{name}(nan_policy={nan_policy!r}): tangent_fwd follows SciPy's _axis_nan_policy wrapper only "
            "for nan_policy='propagate' (omitting NaNs changes the sample sizes slice by slice)",
            hint="remove the NaNs yourself (x[~np.isnan(x)]) and call it with the default nan_policy",
        )
    for s in samples:
        if isinstance(s, np.ma.MaskedArray):
            raise TransformError(
                f"{name}: a masked array is replaced by sentinel values inside SciPy's _axis_nan_policy "
                "wrapper; tangent_fwd does not follow that",
                hint="pass the unmasked values (x.compressed()) instead",
            )
        if s is not None and not isinstance(s, (np.ndarray, np.generic, int, float, complex, list, tuple)):
            raise TransformError(
                f"{name}: a sample of type {type(s).__name__} (SciPy's wrapper dispatches it to another "
                "array namespace); tangent_fwd follows it for NumPy arrays only",
                hint="pass a NumPy array",
            )
    if axis is not None and not isinstance(axis, (int, np.integer, tuple)):
        raise TransformError(f"{name}: axis={axis!r} is neither an int, a tuple nor None")
    return True


def _tf_promoted_dtype(samples):
    present = [s for s in samples if s is not None]
    try:
        from scipy._lib._array_api import xp_promote
    except ImportError:  # SciPy < 1.16 (whose wrapper the follower refuses): NumPy's promotion
        return np.result_type(*present)
    out = xp_promote(*present, xp=np)
    out = out if isinstance(out, tuple) else (out,)
    return out[0].dtype


def _tf_asarray(x, dtype=None, subok=True, xp=None):
    """SciPy's ``_asarray`` as ``xp_promote`` calls it (identity-like)."""
    from scipy._lib._array_api import _asarray

    return _asarray(x, dtype=dtype, subok=subok, xp=np if xp is None else xp)


def _tf_all_axes(samples):
    return tuple(range(max(np.ndim(s) for s in samples if s is not None)))


def _tf_axis_tuple(axis):
    return (int(axis),) if np.isscalar(axis) else tuple(axis)


def _tf_tail(axes):
    return tuple(range(-len(axes), 0))


def _tf_broadcast_shape(samples, i, axis, paired):
    """The shape sample ``i`` takes in the wrapper's ``_broadcast_arrays`` (reduced axes ignored
    unless the samples are paired)."""
    from scipy.stats._axis_nan_policy import _broadcast_shapes

    present = [s for s in samples if s is not None]
    shapes = [np.shape(s) for s in present]
    new = _broadcast_shapes(shapes, axis if not paired else None)
    index = [j for j, s in enumerate(samples) if s is not None].index(i)
    return tuple(new) if paired else tuple(new[index])


def _tf_merged_shape(x, axes):
    shape = np.shape(x)
    n = len(axes)
    return shape[:-n] + (int(np.prod(shape[-n:], dtype=np.int64)),)


def _tf_at_most_1d(samples):
    return all(np.ndim(s) <= 1 for s in samples if s is not None)


def _tf_nan_result(samples, nan_policy, flat, override, name):
    """Whether the wrapper answers NaN for NaN input (1-D, nan_policy='propagate'); N-D input with NaNs
    goes slice by slice through np.apply_along_axis, which is refused."""
    if not override["nan_propagation"]:
        return False
    has_nan = any(bool(np.isnan(np.asarray(s)).any()) for s in samples if s is not None)
    if has_nan and not flat:
        raise TransformError(
            f"{name}: N-D input containing NaN is computed slice by slice (np.apply_along_axis) by SciPy's "
            "_axis_nan_policy wrapper; tangent_fwd does not follow that path",
            hint="compute the statistic per row yourself, or remove the NaNs",
        )
    return has_nan


def _tf_too_small(samples, kwds, flat, is_too_small):
    present = [s for s in samples if s is not None]
    if not present or not is_too_small(present, kwds):
        return False
    if not flat:
        raise TransformError(
            "a sample too small for this statistic along an axis of N-D input is filled slice by slice by "
            "SciPy's _axis_nan_policy wrapper; tangent_fwd does not follow that path"
        )
    from scipy.stats._axis_nan_policy import too_small_1d_not_omit
    from scipy.stats._stats_py import SmallSampleWarning

    warnings.warn(too_small_1d_not_omit, SmallSampleWarning, stacklevel=3)
    return True


def _tf_full_nan(samples):
    """The wrapper's ``xp.full(1, nan)[0]`` in the samples' floating dtype."""
    from scipy.stats._axis_nan_policy import _get_nan

    present = [s for s in samples if s is not None]
    return np.full(1, np.nan, dtype=_get_nan(*present).dtype)[0]


INACTIVE_HELPERS = (
    _tf_check,
    _tf_promoted_dtype,
    _tf_all_axes,
    _tf_broadcast_shape,
    _tf_merged_shape,
    _tf_at_most_1d,
    _tf_nan_result,
    _tf_too_small,
    _tf_full_nan,
    _tf_one_output,
    _tf_option,
)
