"""Ops that move elements without changing them: ``view reshape expand transpose t T permute
squeeze unsqueeze``, and joining tensors with ``cat`` and ``stack``. Each backward moves
the gradient back the way its forward moved the data.

The first group are views, as in PyTorch: the result shares its input's storage and version
counter (``make_view``), so an in-place change of either is seen through the other.
``reshape`` is a view when numpy can give one and a copy otherwise; ``view`` refuses to copy.
"""

import numpy as np

from ninjagrad.tensors.broadcasting import unbroadcast
from ninjagrad.tensors.ops.operands import dim_index, joined_arrays, shape_args
from ninjagrad.tensors.tensor import Tensor, make_node, make_view, method


def _reshaped(a, shape):
    """``a``'s array in ``shape``, and whether it is a view (numpy copies when the strides
    cannot express the new shape)."""
    x = a._data
    try:
        data = x.reshape(shape)
    except ValueError:
        raise RuntimeError(
            f"shape '{list(shape)}' is invalid for input of size {x.size} "
            f"(tensor shape {x.shape})"
        ) from None
    return data, (x.flags.c_contiguous or not x.size or np.may_share_memory(data, x))


def _reshape_view(a, data, op="view"):
    # op: the name PyTorch's node has (squeeze and unsqueeze are views of another shape)
    shape = data.shape
    return make_view(data, a, _reshape_backward, op, None, lambda p: p.reshape(shape))


@method("view")
def view(a, *shape):
    """The same elements in a new shape (one size may be -1: inferred), sharing storage."""
    return _view(a, shape_args(shape), "view")


def _view(a, shape, op):
    data, is_view = _reshaped(a, shape)
    if not is_view:
        raise RuntimeError(
            "view size is not compatible with input tensor's size and stride (at least one "
            "dimension spans across two contiguous subspaces). Use .reshape(...) instead."
        )
    return _reshape_view(a, data, op)


@method("contiguous")
def contiguous(a, memory_format=None):
    """``a`` itself if its elements lie in memory in row-major order, else a row-major copy
    (PyTorch's: a ``clone``)."""
    if memory_format is not None:
        raise NotImplementedError("contiguous(memory_format=...): ninjagrad has only the "
                                  "default, row-major layout")
    if a._data.flags.c_contiguous:
        return a
    return make_node(np.ascontiguousarray(a._data), (a,), _reshape_backward, "clone")


@method("reshape", function=True)
def reshape(a, *shape):
    """The same elements in a new shape: a view when possible, else a copy."""
    data, is_view = _reshaped(a, shape_args(shape))
    if is_view:
        return _reshape_view(a, data)
    return make_node(data, (a,), _reshape_backward, "reshape")


def _reshape_backward(node, g):
    return (g.reshape(node.parents[0]._data.shape),)


@method("unsqueeze", function=True)
def unsqueeze(a, dim):
    """A new dimension of size 1 at ``dim``."""
    x = a._data
    d = dim_index(dim, x.ndim + 1)
    # PyTorch's strides: the others keep theirs, the new dim makes itself contiguous with
    # the next one (numpy's reshape may choose other strides for size-1 dims)
    new = x.strides[d] * x.shape[d] if d < x.ndim else x.itemsize
    return _strided_view(a, x.shape[:d] + (1,) + x.shape[d:], x.strides[:d] + (new,)
                         + x.strides[d:], "unsqueeze")


@method("squeeze", function=True)
def squeeze(a, dim=None):
    """Drop dimensions of size 1 (only those in ``dim``, an int or a tuple, if given)."""
    x = a._data
    if dim is None:
        drop, op = range(x.ndim), "squeeze"
    else:
        several = isinstance(dim, (tuple, list))
        drop = {dim_index(d, x.ndim) for d in (dim if several else (dim,))}
        op = "squeeze_dims" if several else "squeeze_dim"  # PyTorch's three squeeze nodes
    keep = [i for i, s in enumerate(x.shape) if not (i in drop and s == 1)]
    return _strided_view(a, tuple(x.shape[i] for i in keep), tuple(x.strides[i] for i in keep),
                         op)


def _strided_view(a, shape, strides, op):
    """A view of ``a`` in ``shape`` with PyTorch's ``strides``: those of numpy's reshape
    differ at times in size-1 dims, whose strides move no element but which matmul reads
    to choose its kernel, as PyTorch does (grad_fn.matmul_folds). ``op`` names it."""
    data = a._data.reshape(shape)
    if data.strides != strides:
        data = np.lib.stride_tricks.as_strided(a._data, shape, strides)
    return _reshape_view(a, data, op)


@method("expand")
def expand(a, *sizes):
    """``a`` repeated along its size-1 dimensions (and new leading ones) without copying;
    -1 keeps a size. The result is read-only, as writing into it would write one element
    many times."""
    sizes = shape_args(sizes)
    x = a._data
    lead = len(sizes) - x.ndim
    if lead < 0:
        raise RuntimeError(
            f"expand(torch.FloatTensor{{{list(x.shape)}}}, size={list(sizes)}): the number of "
            "sizes provided must be greater or equal to the number of dimensions in the tensor"
        )
    shape = []
    for i, s in enumerate(sizes):
        own = x.shape[i - lead] if i >= lead else None
        if s == -1:
            if own is None:
                raise RuntimeError(f"The expanded size of the tensor (-1) isn't allowed in a "
                                   f"leading, non-existing dimension {i}")
            s = own
        elif own is not None and own != s and own != 1:
            raise RuntimeError(
                f"The expanded size of the tensor ({s}) must match the existing size ({own}) "
                f"at non-singleton dimension {i}.  Target sizes: {list(sizes)}.  Tensor "
                f"sizes: {list(x.shape)}"
            )
        shape.append(s)
    shape = tuple(shape)
    data = np.broadcast_to(x, shape)
    if 1 in shape:
        data = _with_expand_strides(data, x, lead)
    return make_view(data, a, _expand_backward, "expand", None,
                     lambda p: np.broadcast_to(p, shape))


def _with_expand_strides(data, x, lead):
    """``data``, numpy's broadcast of ``x``, with PyTorch's strides for its size-1 dims:
    numpy gives them 0; PyTorch keeps an input dim's own stride and gives a new size-1 dim
    the stride that would make it contiguous with the next. No element moves, but matmul's
    choice of kernel reads strides (see grad_fn.matmul_folds)."""
    strides = list(data.strides)
    for i in reversed(range(data.ndim)):
        if data.shape[i] == 1:
            if i >= lead:
                strides[i] = x.strides[i - lead]
            else:
                strides[i] = strides[i + 1] * data.shape[i + 1] if i + 1 < data.ndim \
                    else data.itemsize
    return np.lib.stride_tricks.as_strided(data, data.shape, strides, writeable=False)


@method("expand_as")
def expand_as(a, other):
    """``a.expand(other.shape)``."""
    return expand(a, other._data.shape)


def _expand_backward(node, g):
    return (unbroadcast(g, node.parents[0]._data.shape),)


@method("transpose", function=True)
def transpose(a, dim0, dim1):
    """Swap dimensions ``dim0`` and ``dim1``."""
    return _transpose(a, dim0, dim1, "transpose")


def _transpose(a, dim0, dim1, op):
    dim0, dim1 = dim_index(dim0, a._data.ndim), dim_index(dim1, a._data.ndim)
    if dim0 == dim1:  # nothing to swap (and numpy cannot swap the axes of a 0-d array)
        return _view(a, a._data.shape, op)
    return make_view(np.swapaxes(a._data, dim0, dim1), a, _transpose_backward, op,
                     {"dim0": dim0, "dim1": dim1}, lambda p: np.swapaxes(p, dim0, dim1))


def _transpose_backward(node, g, dim0, dim1):
    return (np.swapaxes(g, dim0, dim1),)


@method("t")
def t(a):
    """Transpose of a matrix; a 0-d or 1-D tensor comes back as a view of itself."""
    ndim = a._data.ndim
    if ndim > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {ndim}D")
    return _transpose(a, 0, ndim - 1 if ndim else 0, "t")


@method("permute", function=True)
def permute(a, *dims):
    """The dimensions reordered: dimension ``i`` of the result is ``dims[i]`` of ``a``."""
    ndim = a._data.ndim
    given = shape_args(dims)
    if len(given) != ndim:
        raise RuntimeError(
            "permute(sparse_coo): number of dimensions in the tensor input does not match the "
            f"length of the desired ordering of dimensions i.e. input.dim() = {ndim} is not "
            f"equal to len(dims) = {len(given)}"
        )
    dims = tuple(dim_index(d, ndim) for d in given)
    if len(set(dims)) != ndim:
        raise RuntimeError("permute(): duplicate dims are not allowed.")
    return make_view(np.transpose(a._data, dims), a, _permute_backward, "permute",
                     {"dims": dims}, lambda p: np.transpose(p, dims))


def _permute_backward(node, g, dims):
    return (np.transpose(g, np.argsort(dims)),)


@method("T", is_property=True)
def T(a):  # noqa: N802 - PyTorch's name
    """The tensor with its dimensions reversed (transpose of a matrix)."""
    return permute(a, *range(a._data.ndim - 1, -1, -1))


# ------------------------------------------------------------------------- joining tensors
def _join(name, join, tensors, dim, mismatch, new_dim):
    """``join`` (np.concatenate or np.stack) the tensors' arrays, with PyTorch's errors."""
    tensors = (*tensors,)  # a new tuple even from a tuple: each node owns its parents tuple
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
    if not data.flags.c_contiguous:
        # numpy lays out a join of column-major inputs column-major; PyTorch's result is
        # contiguous, so that a later view() works as it does there
        data = np.ascontiguousarray(data)
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
