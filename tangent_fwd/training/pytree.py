"""Minimal pytrees: nested dicts / lists / tuples whose leaves are arrays (NumPy, or a device backend's
such as CuPy's) or numbers."""

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


def is_array(leaf):
    """An n-dimensional array of any backend (NumPy's, CuPy's, ...), not a scalar."""
    if isinstance(leaf, np.ndarray):
        return True
    return hasattr(leaf, "shape") and hasattr(leaf, "dtype") and not isinstance(leaf, np.generic)


def namespace(tree):
    """The array namespace of the tree's array leaves (NumPy when there are none)."""
    from ..runtime import namespace_of

    for leaf in leaves(tree):
        if is_array(leaf):
            return np if isinstance(leaf, np.ndarray) else namespace_of(leaf)
    return np


def check_float_leaves(tree, what="parameters", inplace=False):
    """Raise TypeError unless every leaf is a floating array (or, when not ``inplace``, a float)."""
    for leaf in leaves(tree):
        if is_array(leaf):
            if not np.issubdtype(leaf.dtype, np.floating):
                raise TypeError(f"{what} must be floating-point arrays; found dtype {leaf.dtype}")
        elif inplace:
            raise TypeError(
                f"{what} must be arrays (NumPy or a device backend's) to be updated in place; found "
                f"{type(leaf).__name__} (wrap scalars as np.array([...]))"
            )
        elif not isinstance(leaf, (float, np.floating)):
            raise TypeError(f"{what} must be floating-point arrays or floats; found {type(leaf).__name__}")


def check_backend(tree, backend, what="parameters"):
    """Raise ArgumentError unless ``tree``'s arrays belong to ``backend`` ('auto' accepts any): an
    optimizer updates the arrays it is given in place, so it cannot move them to another device."""
    from .. import backends
    from ..errors import ArgumentError

    backends.check_name(backend)
    if backend == "auto":
        return
    found = backends.detect([tree], [what])
    if found != backend:
        raise ArgumentError(
            f"backend={backend!r} but the {what} are {found} arrays",
            hint=f"create them on that backend first (e.g. cupy.asarray for 'cupy'), or pass backend={found!r}",
        )
