"""Ops that move elements without changing them: ``view reshape transpose t T permute
squeeze unsqueeze``, and joining tensors with ``cat`` and ``stack``. Each backward moves
the gradient back the way its forward moved the data."""

import numpy as np

from ninjagrad.tensors.ops.operands import dim_index, joined_arrays, shape_args
from ninjagrad.tensors.tensor import Tensor, make_node, method


@method("view", "reshape", function=True)
def reshape(a, *shape):
    """The same elements in a new shape (one size may be -1: inferred)."""
    shape = shape_args(shape)
    try:
        data = a._data.reshape(shape)
    except ValueError:
        raise RuntimeError(
            f"shape '{list(shape)}' is invalid for input of size {a._data.size} "
            f"(tensor shape {a._data.shape})"
        ) from None
    return make_node(data, (a,), _reshape_backward, "view")


def _reshape_backward(node, g):
    return (g.reshape(node.parents[0]._data.shape),)


@method("unsqueeze", function=True)
def unsqueeze(a, dim):
    """A new dimension of size 1 at ``dim``."""
    shape = list(a._data.shape)
    shape.insert(dim_index(dim, len(shape) + 1), 1)
    return a.reshape(tuple(shape))


@method("squeeze", function=True)
def squeeze(a, dim=None):
    """Drop dimensions of size 1 (only ``dim``, if given)."""
    x = a._data
    if dim is None:
        shape = tuple(s for s in x.shape if s != 1)
    else:
        dim = dim_index(dim, x.ndim)
        shape = tuple(s for i, s in enumerate(x.shape) if not (i == dim and s == 1))
    return a.reshape(shape)


@method("transpose", function=True)
def transpose(a, dim0, dim1):
    """Swap dimensions ``dim0`` and ``dim1``."""
    dim0, dim1 = dim_index(dim0, a._data.ndim), dim_index(dim1, a._data.ndim)
    if dim0 == dim1:  # nothing to swap (and numpy cannot swap the axes of a 0-d array)
        return a.reshape(a._data.shape)
    return make_node(np.swapaxes(a._data, dim0, dim1), (a,), _transpose_backward, "transpose",
                     {"dim0": dim0, "dim1": dim1})


def _transpose_backward(node, g, dim0, dim1):
    return (np.swapaxes(g, dim0, dim1),)


@method("t")
def t(a):
    """Transpose of a matrix (a 0-d or 1-D tensor is returned as it is)."""
    return transpose(a, 0, 1) if a._data.ndim == 2 else a


@method("permute", function=True)
def permute(a, *dims):
    """The dimensions reordered: dimension ``i`` of the result is ``dims[i]`` of ``a``."""
    dims = shape_args(dims)
    return make_node(np.transpose(a._data, dims), (a,), _permute_backward, "permute",
                     {"dims": dims})


def _permute_backward(node, g, dims):
    return (np.transpose(g, np.argsort(dims)),)


@method("T", is_property=True)
def T(a):  # noqa: N802 - PyTorch's name
    """The tensor with its dimensions reversed (transpose of a matrix)."""
    return permute(a, *range(a._data.ndim - 1, -1, -1))


# ------------------------------------------------------------------------- joining tensors
def _join(name, join, tensors, dim, mismatch, new_dim):
    """``join`` (np.concatenate or np.stack) the tensors' arrays, with PyTorch's errors."""
    tensors = tuple(tensors)
    if not tensors:
        raise RuntimeError(f"{name}(): expected a non-empty list of Tensors")
    for i, x in enumerate(tensors):
        if not isinstance(x, Tensor):
            raise TypeError(f"{name}(): expected a sequence of Tensors, but element {i} is "
                            f"{type(x).__name__}")
    arrays = joined_arrays(tensors)  # in PyTorch's common dtype
    dim = dim_index(dim, arrays[0].ndim + new_dim)
    try:
        data = join(arrays, axis=dim)
    except ValueError:
        raise RuntimeError(f"{mismatch} {[x.shape for x in arrays]}") from None
    return tensors, arrays, data


def cat(tensors, dim=0):
    """Concatenate along an existing dimension."""
    tensors, arrays, data = _join("cat", np.concatenate, tensors, dim,
                                  f"cat(): sizes of tensors must match except in dimension {dim}; "
                                  "got shapes", False)
    axis = dim % data.ndim
    bounds = np.cumsum([x.shape[axis] for x in arrays])[:-1]
    return make_node(data, tensors, _cat_backward, "cat", {"axis": axis, "bounds": bounds})


def _cat_backward(node, g, axis, bounds):
    return tuple(np.split(g, bounds, axis=axis))


def stack(tensors, dim=0):
    """Join along a new dimension ``dim``."""
    tensors, _, data = _join("stack", np.stack, tensors, dim,
                             "stack expects each tensor to be equal size, but got shapes",
                             True)
    return make_node(data, tensors, _stack_backward, "stack", {"axis": dim % data.ndim})


def _stack_backward(node, g, axis):
    return tuple(np.moveaxis(g, axis, 0))


@method("unbind", function=True)
def unbind(a, dim=0):
    """The slices along ``dim``, as a tuple of tensors (``cat(unbind(x, 1), 1)`` flattens the
    last two dimensions, as in the MLP lecture). Each slice is an ``x[..., i]`` of the graph."""
    dim = dim_index(dim, a._data.ndim)
    lead = (slice(None),) * dim
    return tuple(a[lead + (i,)] for i in range(a._data.shape[dim]))
