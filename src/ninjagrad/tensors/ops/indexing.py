"""Indexing: ``x[i]`` (ints, slices, None, Ellipsis, integer and bool arrays or tensors,
ranges, ``(range(n), targets)`` pairs) and ``x[i] = v``.

The backward of ``x[index]`` scatters the gradient back to the indexed places, adding where
an index repeats (``C[Xb]`` picks the same embedding row many times).
"""

import math

import numpy as np

from ninjagrad.tensors import grad_mode
from ninjagrad.tensors.broadcasting import unbroadcast
from ninjagrad.tensors.tensor import Tensor, _wrap, make_node, method

ndarray = np.ndarray
_UNIQUE = "unique"  # an index array made from a range: its values are distinct


def _index(idx):
    """Convert a PyTorch-style index (Tensors, ranges, lists) to a numpy one.

    Returns ``(numpy_index, advanced)``; ``advanced`` is True when an integer or boolean
    array takes part and elements may repeat, so the backward must add, not assign.
    """
    if idx.__class__ is tuple:
        parts = []
        kinds = []
        for i in idx:
            i, kind = _index_part(i)
            parts.append(i)
            kinds.append(kind)
        if _UNIQUE in kinds:
            # (range(n), y): the range makes every selected position distinct if all index
            # arrays are 1-D of the same length, so the backward may assign instead of add
            arrays = [p for p, k in zip(parts, kinds, strict=True) if k]
            if all(a.ndim == 1 and a.shape == arrays[0].shape for a in arrays):
                return tuple(parts), False
        return tuple(parts), any(kinds)
    i, kind = _index_part(idx)
    return i, kind is True


def _index_part(i):
    if i.__class__ is int or i.__class__ is slice or i is None or i is Ellipsis:
        return i, False
    if isinstance(i, Tensor):
        i = i._data
    elif isinstance(i, range):
        # distinct values stay distinct positions unless negatives wrap onto the others
        unique = not i or (i[0] < 0) == (i[-1] < 0)
        return np.arange(i.start, i.stop, i.step), _UNIQUE if unique else True
    elif isinstance(i, (list, tuple)):
        i = np.asarray(i)
    if isinstance(i, ndarray):
        if i.dtype.kind not in "iub":
            raise IndexError(
                f"tensors used as indices must be long, int or bool tensors, got {i.dtype.name}"
            )
        return i, True
    if isinstance(i, (np.integer, bool)):
        return int(i), False
    raise IndexError(f"unsupported index type {type(i).__name__}")


def _index_error(e, shape):
    """numpy's message in PyTorch's words, with the indexed tensor's shape."""
    message = str(e).replace("axis", "dimension")
    return IndexError(f"{message} (indexing a tensor of shape {shape})")


@method("__getitem__")
def getitem(a, idx):
    """``a[idx]``."""
    index, advanced = _index(idx)
    x = a._data
    try:
        data = x[index]
    except IndexError as e:
        raise _index_error(e, x.shape) from None
    return make_node(data, (a,), _getitem_backward, "index",
                     {"index": index, "advanced": advanced})


def _getitem_backward(node, g, index, advanced):
    return (_scatter_add(g, node.parents[0]._data.shape, index, advanced),)


def _scatter_add(g, shape, index, advanced):
    """Gradient of ``x[index]``: zeros of x's shape with ``g`` added at the indexed places."""
    if not advanced:  # each element selected at most once: plain assignment
        gx = np.zeros(shape, dtype=g.dtype)
        gx[index] = g
        return gx
    # Repeated indices must add up. Number every element of x, index that numbering like
    # x was indexed, and let bincount add the gradients per element (vectorised, unlike
    # a Python loop, and faster than np.add.at).
    size = math.prod(shape)
    positions = np.arange(size).reshape(shape)[index]
    summed = np.bincount(positions.ravel(), weights=np.ravel(g), minlength=size)
    return summed.reshape(shape).astype(g.dtype, copy=False)


@method("__setitem__")
def setitem(a, idx, value):
    """``a[idx] = value``: writes into ``a.data``; recorded in the graph when gradients flow."""
    value_t = value if isinstance(value, Tensor) else None
    value_arr = value._data if value_t is not None else value
    if grad_mode.enabled and (a._rg or (value_t is not None and value_t._rg)):
        if a._rg and not a.parents:
            raise RuntimeError(
                "a leaf Variable that requires grad is being used in an in-place operation "
                "(wrap the update in `with no_grad():` or index .data)"
            )
        if value_t is None:
            value_t = _wrap(np.asarray(value_arr, dtype=a._data.dtype))
        a._rebase(lambda old: index_put(old, idx, value_t))
        return
    index, _ = _index(idx)
    try:
        a._data[index] = value_arr
    except IndexError as e:
        raise _index_error(e, a._data.shape) from None


def index_put(a, idx, value):
    """Out-of-place ``a[idx] = value`` with gradients for both ``a`` and ``value``."""
    index, _ = _index(idx)
    data = a._data.copy()
    data[index] = value._data
    return make_node(data, (a, value), _index_put_backward, "index_put", {"index": index})


def _index_put_backward(node, g, index):
    a, value = node.parents
    ga = None
    if a._rg:
        ga = g.copy()
        ga[index] = 0
    gv = unbroadcast(g[index], value._data.shape) if value._rg else None
    return ga, gv
