"""Rules for Python builtins."""

import builtins

from ..registry import defjvp, deflinear, defmethod, defmethod_linear, defmethod_zero, defzero

# ------------------------------------------------------------------ arithmetic
defjvp(builtins.abs, "x", "rt.abs_jvp(np, x, dx)")  # Re(conj(x) dx) / |x| for complex x
defjvp(
    builtins.pow,
    "base, exp, mod=None",
    "exp * base ** (exp - 1 + (exp == 0)) * dbase",
    "dexp * rt.pow_dy(np, base, ans)",
)
defjvp(builtins.sum, "iterable, start=0", "rt.seq_sum(diterable)", "dstart")
deflinear(builtins.float, "x")
defjvp(builtins.complex, "real=0, imag=0", "dreal + 0j", "1j * dimag")
deflinear(builtins.list, "iterable=()")
deflinear(builtins.tuple, "iterable=()")
defjvp(builtins.dict, "mapping=()", "rt.dict_tangent(mapping, dmapping, ans)")
defjvp(builtins.sorted, "iterable, /, *, key=None, reverse=False", "rt.sorted_jvp(iterable, diterable, key, reverse)")
defjvp(builtins.max, "*args, key=None, default=None", "rt.builtin_extremum_jvp(args, dargs, ans)")
defjvp(builtins.min, "*args, key=None, default=None", "rt.builtin_extremum_jvp(args, dargs, ans)")
defjvp(builtins.zip, "*iterables, strict=False", "rt.zip_tangent(diterables)")
defjvp(builtins.enumerate, "iterable, start=0", "rt.enumerate_tangent(diterable)")
defjvp(
    builtins.divmod,
    "x, y",
    "rt.TangentTuple((rt.zeros_like(ans[0]), rt.expand(dx, ans[1])))",
    "rt.TangentTuple((rt.zeros_like(ans[0]), -dy * ans[0]))",
)
# ------------------------------------------------------------------ piecewise constant / structural
for _f in (
    builtins.int,
    builtins.round,
    builtins.len,
    builtins.range,
    builtins.bool,
    builtins.print,
    builtins.isinstance,
    builtins.type,
    builtins.str,
    builtins.repr,
    builtins.any,
    builtins.all,
    builtins.hash,
    builtins.id,
    builtins.format,
):
    defzero(_f)
# ------------------------------------------------------------------ dict and list methods
defmethod_linear("values", "self")
defmethod("items", "self", "rt.items_tangent(dself)")
defmethod(
    "get",
    "self, key, default=None",
    "dself.get(key, rt.zeros_like(default))",
    None,
    "rt.get_default_tangent(self, key, ddefault)",
)
defmethod_zero("keys")
defmethod_zero("index")
defmethod_zero("count")
# ------------------------------------------------------------------ reversed (list.pop/.reverse: listops.py)
defjvp(builtins.reversed, "seq, /", "rt.sequences.reversed_tangent(seq, dseq)")
