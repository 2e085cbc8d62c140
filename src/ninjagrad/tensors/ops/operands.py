"""Turning an op's arguments into arrays, shared by the op modules: PyTorch's result dtype
for two operands, Python numbers as weak operands, and dimension arguments checked like
PyTorch's."""

import math

import numpy as np

from ninjagrad.tensors import dtypes
from ninjagrad.tensors.broadcasting import broadcast_error
from ninjagrad.tensors.dtypes import common_dtype, result_dtype
from ninjagrad.tensors.layout import torch_layout
from ninjagrad.tensors.tensor import Tensor, _wrap, found_plain, make_node

ndarray = np.ndarray
_SCALARS = (int, float, np.number, np.bool_)


# ------------------------------------------------------------------------------- operands
def pair(a, b):
    """Arrays of two tensors, cast to PyTorch's result dtype when their dtypes differ."""
    x, y = a._data, b._data
    if x.dtype is not y.dtype and x.dtype != y.dtype:
        dt = result_dtype(x, y)
        x, y = x.astype(dt, copy=False), y.astype(dt, copy=False)
    return x, y


def joined_arrays(tensors):
    """The arrays of tensors that ``cat``/``stack`` join, cast to PyTorch's common dtype
    (int64 with float32 gives float32, not numpy's float64)."""
    arrays = [t._data for t in tensors]
    dtype = common_dtype(arrays)
    return [x if x.dtype == dtype else x.astype(dtype) for x in arrays]


def scalar_array(a, c):
    """The array of tensor ``a`` ready to meet Python scalar ``c`` (int tensor op float ->
    the default dtype, float32 unless set, bool tensor op int -> int64, as in PyTorch)."""
    x = a._data
    kind = x.dtype.kind
    if kind == "f":
        return x
    if kind in "biu":
        if isinstance(c, (float, np.floating)):
            return x.astype(dtypes.default_float)
        if kind == "b" and not isinstance(c, (bool, np.bool_)):
            return x.astype(np.int64)
    return x


def operand(other):
    """The other operand of a binary op as a Tensor or a number; None if unusable."""
    if other.__class__ is Tensor or isinstance(other, Tensor):
        return other
    if isinstance(other, np.generic):  # numpy scalars are weak like Python's, as in PyTorch
        return other.item()
    if isinstance(other, _SCALARS):
        return other
    if isinstance(other, ndarray):  # a plain view of a tensor's .data (a DataArray)
        return _wrap(other if other.__class__ is ndarray else other.view(ndarray))
    return None


def elementwise(fn, x, y):
    """``fn(x, y)`` for two arrays, with PyTorch's error when their shapes do not broadcast,
    laid out as PyTorch lays it out."""
    try:
        out = fn(x, y)
    except ValueError:
        raise broadcast_error(x, y) from None
    return _laid_out(out, x, y)


def binary_node(fn, a, b, backward, op, cast=None):
    """The node of ufunc ``fn`` of tensors ``a`` and ``b`` (their arrays in PyTorch's result
    dtype, then through ``cast`` if given), laid out as PyTorch lays it out: ``elementwise``
    for the arithmetic operators, without the layout test for plain operands (see
    ``found_plain``), whose result is plain too."""
    x, y = a._data, b._data
    if x.dtype is not y.dtype and x.dtype != y.dtype:
        dt = result_dtype(x, y)
        x, y = x.astype(dt, copy=False), y.astype(dt, copy=False)
    if cast is not None:
        x, y = cast(x), cast(y)
    try:
        out = fn(x, y)
    except ValueError:
        raise broadcast_error(x, y) from None
    if ((a._plain or a._plain is None and found_plain(a))
            and (b._plain or b._plain is None and found_plain(b))):
        t = make_node(out, (a, b), backward, op)
        t._plain = True
        return t
    return make_node(_laid_out(out, x, y), (a, b), backward, op)


def _laid_out(out, x, y):
    """``out``, the result of an elementwise op of arrays ``x`` and ``y``, as PyTorch lays
    it out."""
    # The usual cases, decided without sorting. A row-major first operand of the result's
    # shape without dimensions of size 1 decides every stride comparison in PyTorch (none
    # ties, none is broadcast): a row-major result, whatever the other operand (the cheapest
    # test, ~0.1 us less per op). Row-major operands of one shape, or broadcast into a result
    # without dimensions of size 1, give one too (no comparison can reorder them).
    shape = out.shape
    if x.shape == shape and 1 not in shape and x.flags.c_contiguous:
        if out.flags.c_contiguous:
            return out
    elif (x.flags.c_contiguous and y.flags.c_contiguous and out.flags.c_contiguous
          and (x.shape == y.shape or 1 not in shape)):
        return out
    return torch_layout(out, x, y)


def row_major(data):
    """``data`` laid out row-major (a copy only if it is not), where PyTorch allocates its
    result so whatever its input's layout: reductions, ``c ** t``."""
    return data if data.flags.c_contiguous else np.ascontiguousarray(data)


def as_float(a):
    """The array of ``a`` for math that gives floats: integers become the default
    dtype (float32 unless ``set_default_dtype`` said otherwise), as in PyTorch."""
    x = a._data
    return x if x.dtype.kind in "fc" else x.astype(dtypes.default_float)


def true_div(x):
    """True division of integers gives floats (the default dtype), as in PyTorch."""
    return x.astype(dtypes.default_float) if x.dtype.kind in "biu" else x


# ----------------------------------------------------------------------------- dimensions
def dim_index(d, ndim):
    """One dimension index, negatives counting from the end, checked like PyTorch (a 0-d
    tensor accepts 0 and -1)."""
    n = max(ndim, 1)
    if not -n <= d < n:
        raise IndexError(
            f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {d})"
        )
    return d % n


def reduce_axes(dim, ndim):
    """Normalise ``dim`` (None, int or tuple, negatives allowed) to a sorted tuple."""
    if dim is None:
        return None
    if dim.__class__ is int and 0 <= dim < ndim:  # the common case, without the loop
        return (dim,)
    dims = (dim,) if isinstance(dim, int) else tuple(dim)
    axes = tuple(sorted(dim_index(d, ndim) for d in dims))
    for i in range(1, len(axes)):
        if axes[i] == axes[i - 1]:
            raise RuntimeError(f"dim {axes[i]} appears multiple times in the list of dims")
    return axes if ndim else ()  # a 0-d tensor has nothing to reduce over


def sum_axes(dim, ndim):
    """``reduce_axes`` for sum, mean, var and std, where PyTorch reads an empty ``dim``
    (``dim=()``) as every dimension."""
    axes = reduce_axes(dim, ndim)
    return None if axes == () and ndim else axes


def sum_dims(dim, ndim):
    """``reduce_axes`` for sum and mean: an empty ``dim`` (``dim=()``) is every dimension,
    named as such (PyTorch's node is then that of a reduction over dims, SumBackward1)."""
    if dim.__class__ is int and 0 <= dim < ndim:  # reduce_axes's common case, a call less
        return (dim,)
    axes = reduce_axes(dim, ndim)
    return tuple(range(ndim)) if axes == () else axes


def reduced_count(x, axes):
    """How many elements each result of a reduction over ``axes`` summarises."""
    return x.size if axes is None else math.prod(x.shape[d] for d in axes)


def shape_args(shape):
    """Sizes given as varargs ``view(2, 3)`` or as one sequence ``view((2, 3))``."""
    if len(shape) == 1 and not isinstance(shape[0], int):
        shape = tuple(shape[0])
    for s in shape:
        if s.__class__ is not int:  # numpy integers, 0-d tensors, bools: converted
            return tuple([int(s) for s in shape])
    return shape  # plain ints: the common case, without a new tuple
