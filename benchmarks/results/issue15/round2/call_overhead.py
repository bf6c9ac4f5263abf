"""What a Python-level call of an object with a class __call__ costs over a plain function, and what each
check of the forward_diff guard adds, on the f+JVP body of sin(x)*x**2 + exp(x)/x (issue 15, second round:
docs/benchmarks.md). Each row: median over 15 samples of 20000 calls, minus an empty lambda; "+" is the
difference to the plain function. Standalone (no tangent_fwd import): python call_overhead.py"""

import math
import statistics
import sys
import timeit

M = object()
lr = [False]
oth = [False]
mods = sys.modules


def scalar_f(x):
    return x


BODY = """
        t1 = math.sin(x)
        dt1 = dx * math.cos(x)
        t2 = x ** 2
        dt2 = 2 * x * dx
        t3 = t1 * t2
        dt3 = dt1 * t2 + t1 * dt2
        t4 = math.exp(x)
        dt4 = dx * t4
        t5 = t4 / x
        dt5 = (dt4 - dx * t5) / x
        t6 = t3 + t5
        dt6 = dt3 + dt5
        return t6, dt6
"""
variants = {
    "plain": ("s, x, dx", ""),
    "defaults/": ("s, x=M, dx=M, /", ""),
    "def/rest": ("s, x=M, dx=M, /, *rest", ""),
    "def/rest/kw": ("s, x=M, dx=M, /, *rest, **kw", ""),
    "def/rest/kw+argchk": ("s, x=M, dx=M, /, *rest, **kw", "if dx is M or rest or kw: return None"),
    "plain+math": ("s, x, dx", "if math is not o0: return None"),
    "plain+code": ("s, x, dx", "if g.__code__ is not c0: return None"),
    "plain+lr/oth": ("s, x, dx", "if lr[0] or oth[0]: return None"),
    "plain+cupy": ("s, x, dx", "if 'cupy' in mods: return None"),
    "plain+all": (
        "s, x, dx",
        "if not (math is o0 and g.__code__ is c0 and not lr[0] and not oth[0] and 'cupy' not in mods): return None",
    ),
}
src = ""
for i, (_k, (sig, chk)) in enumerate(variants.items()):
    src += f"class V{i}:\n    def __call__({sig}):\n        {chk or 'pass'}\n{BODY}\n"
src += f"def fn(x, dx):\n{BODY}\n"
ns = dict(M=M, math=math, o0=math, g=scalar_f, c0=scalar_f.__code__, lr=lr, oth=oth, mods=mods)
exec(src, ns)
x, dx = 1.3, 1.0
fns = {"fn": lambda: ns["fn"](x, dx)}
for i, k in enumerate(variants):
    o = ns[f"V{i}"]()
    fns[k] = (lambda o: lambda: o(x, dx))(o)
fns["empty"] = lambda: None
res = {k: [] for k in fns}
N = 20000
for _r in range(15):
    for k, f in fns.items():
        res[k].append(timeit.timeit(f, number=N) / N * 1e6)
e = statistics.median(res["empty"])
h = statistics.median(res["fn"]) - e
for k, v in res.items():
    m = statistics.median(v) - e
    print(f"{k:20s} {m:.3f} us  +{m - h:.3f}")
