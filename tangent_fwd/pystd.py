"""Python versions of the builtins that call a function (``sorted``/``min``/``max`` with ``key=``,
``functools.reduce``), transformed like user code when they receive differentiated values.

They do what the builtins do, in the same order (each key computed once per element, ties kept in
their original order, the first of equal extremes returned, the same exceptions when empty). The
ordering itself is piecewise constant: ``stable_order`` and ``best_index`` (library code with zero
rules) compute it from the primal values, so a key function needs no derivative. ``map`` and
``filter`` need no version here: they become generator expressions when a function is parsed
(``lambdas.py``), which keeps them lazy. Not library code: the compiler transforms these.
"""

from .callables import best_index, stable_order

_NO_VALUE = object()


def sorted_by_key(iterable, key=None, reverse=False):
    items = list(iterable)
    return [items[i] for i in stable_order(items, key, reverse)]


def min_by_key(iterable, key=None, default=_NO_VALUE):
    items = list(iterable)
    if not items:
        if default is _NO_VALUE:
            raise ValueError("min() iterable argument is empty")
        return default
    return items[best_index(items, key, False)]


def max_by_key(iterable, key=None, default=_NO_VALUE):
    items = list(iterable)
    if not items:
        if default is _NO_VALUE:
            raise ValueError("max() iterable argument is empty")
        return default
    return items[best_index(items, key, True)]


def min_of_two(a, b, key=None):
    return [a, b][best_index([a, b], key, False)]


def max_of_two(a, b, key=None):
    return [a, b][best_index([a, b], key, True)]


def reduce(function, iterable, initial=_NO_VALUE):
    items = list(iterable)
    if initial is _NO_VALUE:
        if not items:
            raise TypeError("reduce() of empty iterable with no initial value")
        value = items[0]
        items = items[1:]
    else:
        value = initial
    for item in items:
        value = function(value, item)
    return value
