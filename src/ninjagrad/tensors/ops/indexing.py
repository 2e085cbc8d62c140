"""Indexing: ``x[i]`` (ints, slices, None, Ellipsis, integer and bool arrays or tensors,
ranges, ``(range(n), targets)`` pairs) and ``x[i] = v``.

As in PyTorch, ints, slices, None and Ellipsis give a view (sharing storage and version
counter); an integer or bool array gives a copy. Ints next to arrays are applied first
(PyTorch's order, not numpy's).

The backward of ``x[index]`` scatters the gradient back to the indexed places, adding where
an index repeats (``C[Xb]`` picks the same embedding row many times).
"""

import math

import numpy as np

from ninjagrad.tensors import grad_mode
from ninjagrad.tensors.broadcasting import unbroadcast
from ninjagrad.tensors.grad_fn import gather_op, node_name, setitem_op
from ninjagrad.tensors.ops.inplace import check_overlap, follow_untracked_write, inplace
from ninjagrad.tensors.tensor import (
    Tensor,
    _wrap,
    bump_version,
    found_plain,
    make_node,
    make_view,
    method,
    modified_error,
    saves,
)

ndarray = np.ndarray
_INT64 = np.dtype(np.int64)
_UNIQUE = "unique"  # an index array made from a range: its values are distinct


class _Split:
    """An index whose integers PyTorch applies before its arrays (``x[0, :, [0, 1]]``):
    numpy would count the integers among the advanced indices and may move the result's
    dimensions, so it is applied in two steps, ``x[first][second]``."""

    __slots__ = ("first", "second")

    def __init__(self, parts):
        first, second = [], []
        for part in parts:
            if part.__class__ is int:
                first.append(part)
            elif isinstance(part, ndarray):
                first.extend([slice(None)] * (part.ndim if part.dtype == np.bool_ else 1))
                second.append(part)
            elif part is None:
                first.append(None)
                second.append(slice(None))
            else:  # a slice or Ellipsis
                first.append(part)
                second.append(Ellipsis if part is Ellipsis else slice(None))
        self.first, self.second = tuple(first), tuple(second)

    def __repr__(self):
        return f"_Split({self.first!r}, {self.second!r})"


def take(x, index):
    """``x[index]`` for an index made by ``_index``."""
    if index.__class__ is _Split:
        return x[index.first][index.second]
    return x[index]


def put(x, index, value):
    """``x[index] = value`` for an index made by ``_index``."""
    if index.__class__ is _Split:
        x[index.first][index.second] = value
    else:
        x[index] = value


def _index(idx):
    """Convert a PyTorch-style index (Tensors, ranges, lists) to a numpy one.

    Returns ``(numpy_index, advanced)``; ``advanced`` is True when an integer or boolean
    array takes part and elements may repeat, so the backward must add, not assign, and
    None when no array takes part (the result is a view).
    """
    if idx.__class__ is tuple:
        parts = []
        kinds = []
        for i in idx:
            i, kind = _index_part(i)
            parts.append(i)
            kinds.append(kind)
        if not any(kinds):
            return tuple(parts), None
        index = tuple(parts)
        if any(p.__class__ is int for p in parts):
            index = _Split(parts)
        if _UNIQUE in kinds:
            # (range(n), y): the range makes every selected position distinct if all index
            # arrays are 1-D of the same length, so the backward may assign instead of add
            arrays = [p for p, k in zip(parts, kinds, strict=True) if k]
            if all(a.ndim == 1 and a.shape == arrays[0].shape for a in arrays):
                return index, False
        return index, True
    i, kind = _index_part(idx)
    return i, (True if kind else None)


def _index_part(i):
    if i.__class__ is int or i.__class__ is slice or i is None or i is Ellipsis:
        return i, False
    if isinstance(i, Tensor):
        i = i._data
        if not i.ndim and i.dtype.kind in "iu":  # PyTorch: an int (x[tensor(1)] is a view)
            return int(i), False
    elif isinstance(i, range):
        # distinct values stay distinct positions unless negatives wrap onto the others
        unique = not i or (i[0] < 0) == (i[-1] < 0)
        return np.arange(i.start, i.stop, i.step), _UNIQUE if unique else True
    elif isinstance(i, (list, tuple)):
        i = np.asarray(i)
    elif isinstance(i, (bool, np.bool_)):
        # x[True] adds a dimension of size 1 and x[False] one of size 0, as in PyTorch
        return np.asarray(i), True
    if isinstance(i, ndarray):
        if i.dtype.kind not in "iub":
            raise IndexError(
                f"tensors used as indices must be long, int or bool tensors, got {i.dtype.name}"
            )
        return i, True
    if isinstance(i, np.integer):
        return int(i), False
    raise IndexError(f"unsupported index type {type(i).__name__}")


def _index_error(e, shape):
    """numpy's message in PyTorch's words, with the indexed tensor's shape."""
    message = str(e).replace("axis", "dimension")
    return IndexError(f"{message} (indexing a tensor of shape {shape})")


def _basic(index):
    """A basic index that gives a numpy view even when it selects one element."""
    if index.__class__ is not tuple:
        index = (index,)
    return index if Ellipsis in index else index + (Ellipsis,)


@method("__getitem__")
def getitem(a, idx):
    """``a[idx]``: a view of ``a`` for ints, slices, None and Ellipsis, as in PyTorch."""
    x = a._data
    if idx.__class__ is Tensor:
        index = idx._data
        dtype = index.dtype  # int64 known by identity (numpy has one object), the rest tested
        if index.ndim and (dtype is _INT64 or dtype.kind in "iu"):  # C[Xb], the embedding:
            try:  # the general path below for this index, with ~0.15 us less of tests
                data = x[index]
            except IndexError as e:
                raise _index_error(e, x.shape) from None
            if not (a._plain or a._plain is None and found_plain(a)):  # else row-major
                data = np.ascontiguousarray(data)
            kept = None
            if grad_mode.enabled and a._rg:
                vc = idx._vc
                kept = ((idx, 0 if vc is None else vc[0]),)
            return make_node(data, (a,), _gather_backward, "index",
                             {"index": index, "advanced": True, "kept": kept})
    index, advanced = _index(idx)
    if advanced is None:
        index = _basic(index)
        try:
            data = x[index]
        except IndexError as e:
            raise _index_error(e, x.shape) from None
        # basic: the index as written, from which grad_fn tells PyTorch's nodes for it
        return make_view(data, a, _getitem_backward, "index",
                         {"index": index, "advanced": False, "basic": idx}, lambda p: p[index])
    try:
        if index.__class__ is ndarray and not index.ndim and index.dtype.kind == "b":
            # x[True]: PyTorch copies x with a leading dim of 1 in x's own layout (a
            # transposed x stays transposed), so a reshape() of it copies as PyTorch's does
            data = x[None][: int(index)].copy(order="K")
        else:
            # row-major like PyTorch's result (numpy may lay it out otherwise), so that a
            # view() of it works, and a reshape() is a view, where it is one in PyTorch
            data = np.ascontiguousarray(take(x, index))
    except IndexError as e:
        raise _index_error(e, x.shape) from None
    # The op name tells grad_fn PyTorch's nodes for it after backward frees the index:
    # "index" for index arrays alone (C[Xb], (range(n), y)), checked here quickly.
    op = "index"
    if index.__class__ is tuple:
        for p in index:
            if p.__class__ is not ndarray or not p.ndim:
                op = gather_op(idx, x.shape)
                break
    elif index.__class__ is not ndarray or not index.ndim:
        op = gather_op(idx, x.shape)
    kept = _kept_indices(idx) if grad_mode.enabled and a._rg else None
    return make_node(data, (a,), _gather_backward, op,
                     {"index": index, "advanced": advanced, "kept": kept})


def _getitem_backward(node, g, index, advanced, basic=None):
    return (_scatter_add(g, node.parents[0]._data.shape, index, advanced),)


# PyTorch keeps the index arrays of an advanced index for backward (basic indexing keeps
# only sizes): a second backward through it raises, and so does one after an index tensor
# was changed in place
@saves()
def _gather_backward(node, g, index, advanced, kept):
    if kept:
        _check_kept(node, kept)
    return _getitem_backward(node, g, index, advanced)


def _kept_indices(idx):
    """The tensors of an advanced index that PyTorch's backward keeps (all but 0-d integer
    ones, which index as ints), each with its version now; None if there are none."""
    kept = None
    for p in idx if idx.__class__ is tuple else (idx,):
        if isinstance(p, Tensor) and (p._data.ndim or p._data.dtype.kind == "b"):
            vc = p._vc
            kept = (kept or ()) + ((p, 0 if vc is None else vc[0]),)
    return kept


def _check_kept(node, kept):
    """PyTorch's error if an index tensor of ``node`` was changed in place since."""
    for t, expected in kept:
        vc = t._vc
        if vc is not None and vc[0] != expected:
            raise modified_error(t, vc[0], expected, node_name(node))


def _scatter_add(g, shape, index, advanced):
    """Gradient of ``x[index]``: zeros of x's shape with ``g`` added at the indexed places."""
    if not advanced:  # each element selected at most once: plain assignment
        gx = np.zeros(shape, dtype=g.dtype)
        put(gx, index, g)
        return gx
    # Repeated indices must add up. Number every element of x, index that numbering like
    # x was indexed, and let bincount add the gradients per element (vectorised, unlike
    # a Python loop, and faster than np.add.at).
    size = math.prod(shape)
    positions = take(np.arange(size).reshape(shape), index)
    summed = np.bincount(positions.ravel(), weights=np.ravel(g), minlength=size)
    return summed.reshape(shape).astype(g.dtype, copy=False)


@method("__setitem__")
def setitem(a, idx, value):
    """``a[idx] = value``: an in-place write into ``a`` (see ``ops.inplace``)."""
    if not isinstance(value, Tensor):
        if not isinstance(value, (int, float, bool, np.number, np.bool_, ndarray, list)):
            raise TypeError(f"can't assign a {type(value).__name__} to a tensor")
        value = _wrap(np.asarray(value, dtype=a._data.dtype))
    index, advanced = _index(idx)
    # PyTorch writes into the view a[idx] (basic) or into a (index_put_)
    written = a._data if advanced is not None else _written(a._data, index)
    if not (grad_mode.enabled and (a._rg or value._rg)):
        check_overlap(written, (value,))  # the lecture's d[range(n), y] -= 1: straight in
        try:
            put(a._data, index, value._data)
        except IndexError as e:
            raise _index_error(e, a._data.shape) from None
        except ValueError:  # read-only (expand) or a value that does not broadcast
            inplace(a, index_put, idx, value, "index_put")  # raises PyTorch's error
        bump_version(a)
        follow_untracked_write(a)
        return
    op = setitem_op(index, advanced, value._data, a._data.shape, written.shape)
    inplace(a, index_put, idx, value, op, leaf_view=advanced is None, written=written)


def _written(x, index):
    try:
        return x[_basic(index)]
    except IndexError as e:
        raise _index_error(e, x.shape) from None


def index_put(a, idx, value, op):
    """Out-of-place ``a[idx] = value`` with gradients for both ``a`` and ``value``; ``op``
    names the write after PyTorch's node for it (``grad_fn.setitem_op``)."""
    index, advanced = _index(idx)
    data = a._data.copy()
    try:
        put(data, index, value._data)
    except IndexError as e:
        raise _index_error(e, a._data.shape) from None
    except ValueError:  # the value does not broadcast to the indexed shape
        raise RuntimeError(
            f"shape mismatch: value tensor of shape {list(value._data.shape)} cannot be "
            f"broadcast to indexing result of shape {list(take(a._data, index).shape)}"
        ) from None
    # x.copy_(v) keeps nothing for backward; x[i] = v does (PyTorch: CopySlices, or the
    # index arrays): a second backward through it raises
    backward = _index_put_backward if idx is Ellipsis else _index_put_saving_backward
    kept = _kept_indices(idx) if advanced else None
    return make_node(data, (a, value), backward, op, {"index": index, "kept": kept})


def _index_put_backward(node, g, index, kept):
    if kept:
        _check_kept(node, kept)
    a, value = node.parents
    ga = None
    if a._rg:
        ga = g.copy()
        put(ga, index, 0)
    gv = None
    if value._rg:
        gv = take(g, index)
        extra = value._data.ndim - gv.ndim
        if extra > 0:  # x[0] = v[None]: the value had leading 1s the written part has not
            gv = gv.reshape((1,) * extra + gv.shape)
        gv = unbroadcast(gv, value._data.shape)
    return ga, gv


@saves()
def _index_put_saving_backward(node, g, index, kept):
    return _index_put_backward(node, g, index, kept)


@method("copy_")
def copy_(a, src):
    """Copy ``src`` into ``a`` in place (broadcast to its shape, cast to its dtype)."""
    if not isinstance(src, Tensor):
        raise TypeError(f"copy_(): argument 'src' must be Tensor, not {type(src).__name__}")
    return inplace(a, index_put, Ellipsis, src, "copy_")
