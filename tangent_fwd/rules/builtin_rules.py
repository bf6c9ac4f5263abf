"""Rules for Python builtins."""
import builtins

from ..registry import defjvp, deflinear, defzero

# ------------------------------------------------------------------ arithmetic
defjvp(builtins.abs, "x", "dx * rt.sign(x)")
defjvp(builtins.pow, "base, exp, mod=None", "exp * base ** (exp - 1) * dbase", "dexp * ans * rt.log(np, base)")
deflinear(builtins.sum, "iterable, start=0", linear_in=("iterable", "start"))
deflinear(builtins.float, "x")
deflinear(builtins.complex, "real=0, imag=0", linear_in=("real",))
deflinear(builtins.list, "iterable=()")
deflinear(builtins.tuple, "iterable=()")
defjvp(builtins.max, "*args, key=None, default=None", "rt.builtin_extremum_jvp(args, dargs, ans)")
defjvp(builtins.min, "*args, key=None, default=None", "rt.builtin_extremum_jvp(args, dargs, ans)")
# ------------------------------------------------------------------ piecewise constant / structural
for _f in (builtins.int, builtins.round, builtins.len, builtins.range, builtins.bool, builtins.print,
           builtins.isinstance, builtins.type, builtins.str, builtins.repr, builtins.any, builtins.all,
           builtins.hash, builtins.id, builtins.divmod, builtins.format):
    defzero(_f)
