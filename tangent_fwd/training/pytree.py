"""Minimal pytrees: nested dicts / lists / tuples whose leaves are NumPy arrays (or numbers)."""

import numpy as np


def leaves(tree):
    """Leaves in a fixed order (dict insertion order, then list/tuple order)."""
    out = []
    _collect(tree, out)
    return out


def _collect(tree, out):
    if isinstance(tree, dict):
        for k in tree:
            _collect(tree[k], out)
    elif isinstance(tree, (list, tuple)):
        for t in tree:
            _collect(t, out)
    else:
        out.append(tree)


def map_tree(fn, tree, *rest):
    """``fn`` applied leafwise to ``tree`` and trees of the same structure, keeping the structure."""
    if isinstance(tree, dict):
        return {k: map_tree(fn, tree[k], *(r[k] for r in rest)) for k in tree}
    if isinstance(tree, (list, tuple)):
        items = [map_tree(fn, t, *(r[i] for r in rest)) for i, t in enumerate(tree)]
        return type(tree)(*items) if hasattr(tree, "_fields") else type(tree)(items)  # namedtuples
    return fn(tree, *rest)


def check_float_leaves(tree, what="parameters", inplace=False):
    """Raise TypeError unless every leaf is a floating ndarray (or, when not ``inplace``, a float)."""
    for leaf in leaves(tree):
        if isinstance(leaf, np.ndarray):
            if not np.issubdtype(leaf.dtype, np.floating):
                raise TypeError(f"{what} must be floating-point arrays; found dtype {leaf.dtype}")
        elif inplace:
            raise TypeError(
                f"{what} must be NumPy arrays to be updated in place; found "
                f"{type(leaf).__name__} (wrap scalars as np.array([...]))"
            )
        elif not isinstance(leaf, (float, np.floating)):
            raise TypeError(f"{what} must be floating-point arrays or floats; found {type(leaf).__name__}")
