"""Primitive tensor ops: each forward next to its backward, registered as Tensor methods.

A forward computes a numpy array and calls ``make_node(data, parents, backward, op, ctx)``.
A backward is ``backward(node, g) -> tuple`` of one gradient (array or None) per parent; it
reads its inputs from ``node.parents``, its output from ``node._data`` and anything else from
``node._ctx``. Gradients for parents that do not require grad may be None.
"""

import functools
import math

import numpy as np

from ninjagrad.tensors import tensor as _tensor
from ninjagrad.tensors.tensor import (
    Tensor,
    _wrap,
    broadcast_error,
    default_float,
    float64,
    make_node,
    result_dtype,
    unbroadcast,
)

ndarray = np.ndarray
_SCALARS = (int, float, np.number, np.bool_)
_LN10 = math.log(10.0)


# ------------------------------------------------------------------------- operand handling
def _pair(a, b):
    """Arrays of two tensors, cast to PyTorch's result dtype when their dtypes differ."""
    x, y = a._data, b._data
    if x.dtype is not y.dtype and x.dtype != y.dtype:
        dt = result_dtype(x, y)
        x, y = x.astype(dt, copy=False), y.astype(dt, copy=False)
    return x, y


def _scalar_array(a, c):
    """The array of tensor ``a`` ready to meet Python scalar ``c`` (int tensor op float ->
    float32, bool tensor op int -> int64, as in PyTorch)."""
    x = a._data
    kind = x.dtype.kind
    if kind == "f":
        return x
    if kind in "biu":
        if isinstance(c, (float, np.floating)):
            return x.astype(default_float)
        if kind == "b" and not isinstance(c, (bool, np.bool_)):
            return x.astype(np.int64)
    return x


def _operand(other):
    """Turn the other operand of a binary op into a Tensor or a scalar; None if unusable."""
    if other.__class__ is Tensor or isinstance(other, Tensor):
        return other
    if isinstance(other, np.generic):  # numpy scalars are weak like Python's, as in PyTorch
        return other.item()
    if isinstance(other, _SCALARS):
        return other
    if isinstance(other, ndarray):
        return _wrap(other)
    return None


def _elementwise(x, y, fn, a, b):
    try:
        return fn(x, y)
    except ValueError:
        raise broadcast_error(a, b) from None


# -------------------------------------------------------------------------- binary: tensors
def add(a, b):
    x, y = _pair(a, b)
    return make_node(_elementwise(x, y, np.add, a, b), (a, b), _add_backward, "add")


def _add_backward(node, g):
    a, b = node.parents
    return unbroadcast(g, a._data.shape), unbroadcast(g, b._data.shape)


def sub(a, b):
    x, y = _pair(a, b)
    return make_node(_elementwise(x, y, np.subtract, a, b), (a, b), _sub_backward, "sub")


def _sub_backward(node, g):
    a, b = node.parents
    # negate after reducing: the reduced gradient is often much smaller
    return unbroadcast(g, a._data.shape), (-unbroadcast(g, b._data.shape) if b._rg else None)


def mul(a, b):
    x, y = _pair(a, b)
    return make_node(
        _elementwise(x, y, np.multiply, a, b), (a, b), _mul_backward, "mul", (x, y)
    )


def _mul_backward(node, g):
    a, b = node.parents
    x, y = node._ctx
    ga = unbroadcast(g * y, a._data.shape) if a._rg else None
    gb = unbroadcast(g * x, b._data.shape) if b._rg else None
    return ga, gb


def _true_div(x):
    """True division of integers gives floats (float32), as in PyTorch."""
    return x.astype(default_float) if x.dtype.kind in "biu" else x


def div(a, b):
    x, y = _pair(a, b)
    x, y = _true_div(x), _true_div(y)
    return make_node(
        _elementwise(x, y, np.true_divide, a, b), (a, b), _div_backward, "div", (x, y)
    )


def _div_backward(node, g):
    a, b = node.parents
    x, y = node._ctx
    ga = unbroadcast(g / y, a._data.shape) if a._rg else None
    gb = unbroadcast(-g * x / (y * y), b._data.shape) if b._rg else None
    return ga, gb


def pow_(a, b):
    x, y = _pair(a, b)
    return make_node(_elementwise(x, y, np.power, a, b), (a, b), _pow_backward, "pow")


def _pow_backward(node, g):
    a, b = node.parents
    x, y = _pair(a, b)
    ga = None
    if a._rg:  # d(x**0)/dx is 0 even at x = 0, where y * x**(y-1) is 0 * inf
        with np.errstate(divide="ignore", invalid="ignore"):
            ga = unbroadcast(np.where(y == 0, 0, g * y * x ** (y - 1)), a._data.shape)
    gb = None
    if b._rg:
        with np.errstate(divide="ignore", invalid="ignore"):
            gb = unbroadcast(g * np.where(x > 0, node._data * np.log(x), 0), b._data.shape)
    return ga, gb


def matmul(a, b):
    x, y = a._data, b._data
    if x.dtype != y.dtype:
        raise _matmul_error(x, y)
    try:
        out = x @ y
    except ValueError:
        raise _matmul_error(x, y) from None
    return make_node(out, (a, b), _matmul_backward, "matmul")


def _matmul_backward(node, g):
    a, b = node.parents
    x, y = a._data, b._data
    if x.ndim == 2 and y.ndim == 2:
        return (g @ y.T if a._rg else None), (x.T @ g if b._rg else None)
    # general case: treat vectors as matrices, then undo batch broadcasting
    x2 = x[None, :] if x.ndim == 1 else x
    y2 = y[:, None] if y.ndim == 1 else y
    batch = np.broadcast_shapes(x2.shape[:-2], y2.shape[:-2])
    g2 = g.reshape(batch + (x2.shape[-2], y2.shape[-1]))
    ga = gb = None
    if a._rg:
        ga = unbroadcast(g2 @ np.swapaxes(y2, -1, -2), x2.shape).reshape(x.shape)
    if b._rg:
        gb = unbroadcast(np.swapaxes(x2, -1, -2) @ g2, y2.shape).reshape(y.shape)
    return ga, gb


def _matmul_error(x, y):
    if x.ndim == 0 or y.ndim == 0:
        return RuntimeError(
            f"both arguments to matmul need to be at least 1D, but they are "
            f"{x.ndim}D and {y.ndim}D"
        )
    if x.dtype != y.dtype:
        return RuntimeError(
            f"expected m1 and m2 to have the same dtype, but got: {x.dtype.name} != "
            f"{y.dtype.name}"
        )
    if x.ndim == 1 and y.ndim == 1:
        return RuntimeError(
            f"inconsistent tensor size, expected tensor [{x.shape[0]}] and src [{y.shape[0]}] "
            "to have the same number of elements"
        )
    if x.shape[-1] == y.shape[-2 if y.ndim > 1 else 0]:  # inner sizes fit: the batch does not
        return RuntimeError(
            f"matmul: batch dimensions {x.shape[:-2]} and {y.shape[:-2]} cannot be broadcast "
            f"together (shapes {x.shape} and {y.shape})"
        )
    sx = "x".join(map(str, x.shape if x.ndim > 1 else (1,) + x.shape))
    sy = "x".join(map(str, y.shape if y.ndim > 1 else y.shape + (1,)))
    return RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({sx} and {sy})")


# --------------------------------------------------------------------- binary: with a scalar
def add_scalar(a, c):
    return make_node(_scalar_array(a, c) + c, (a,), _identity_backward, "add")


def _identity_backward(node, g):
    return (g,)


def sub_scalar(a, c):
    return make_node(_scalar_array(a, c) - c, (a,), _identity_backward, "sub")


def rsub_scalar(a, c):
    return make_node(c - _scalar_array(a, c), (a,), _neg_backward, "rsub")


def mul_scalar(a, c):
    return make_node(_scalar_array(a, c) * c, (a,), _mul_scalar_backward, "mul", c)


def _mul_scalar_backward(node, g):
    return (g * node._ctx,)


def div_scalar(a, c):
    x = _true_div(_scalar_array(a, c))
    return make_node(x / c, (a,), _div_scalar_backward, "div", c)


def _div_scalar_backward(node, g):
    return (g / node._ctx,)


def rdiv_scalar(a, c):
    x = _true_div(_scalar_array(a, c))
    return make_node(c / x, (a,), _rdiv_backward, "rdiv")


def _rdiv_backward(node, g):
    return (-g * node._data / node.parents[0]._data,)


def pow_scalar(a, c):
    return make_node(_scalar_array(a, c) ** c, (a,), _pow_scalar_backward, "pow", c)


def _pow_scalar_backward(node, g):
    c = node._ctx
    x = node.parents[0]._data
    if c == 2:
        return (g * 2 * x,)
    if c == 0:  # x**0 is constant: 0 * x**-1 would be NaN at x = 0
        return (np.zeros_like(g),)
    return (g * c * x ** (c - 1),)


def rpow_scalar(a, c):
    return make_node(c ** _scalar_array(a, c), (a,), _rpow_backward, "pow", c)


def _rpow_backward(node, g):
    return (g * node._data * math.log(node._ctx),)


# ------------------------------------------------------------------------------------ unary
def neg(a):
    return make_node(-a._data, (a,), _neg_backward, "neg")


def _neg_backward(node, g):
    return (-g,)


def exp(a):
    return make_node(np.exp(_float(a)), (a,), _exp_backward, "exp")


def _exp_backward(node, g):
    return (g * node._data,)


def log(a):
    return make_node(np.log(_float(a)), (a,), _log_backward, "log")


def _log_backward(node, g):
    return (g / node.parents[0]._data,)


def log10(a):
    return make_node(np.log10(_float(a)), (a,), _log10_backward, "log10")


def _log10_backward(node, g):
    return (g / (node.parents[0]._data * _LN10),)


def tanh(a):
    return make_node(np.tanh(_float(a)), (a,), _tanh_backward, "tanh")


def _tanh_backward(node, g):
    t = node._data
    return (g * (1 - t * t),)


def sigmoid(a):
    x = _float(a)
    return make_node(1 / (1 + np.exp(-x)), (a,), _sigmoid_backward, "sigmoid")


def _sigmoid_backward(node, g):
    s = node._data
    return (g * s * (1 - s),)


def relu(a):
    return make_node(np.maximum(a._data, 0), (a,), _relu_backward, "relu")


def _relu_backward(node, g):
    return (g * (node._data > 0),)


def sqrt(a):
    return make_node(np.sqrt(_float(a)), (a,), _sqrt_backward, "sqrt")


def _sqrt_backward(node, g):
    return (g / (2 * node._data),)


def abs_(a):
    return make_node(np.abs(a._data), (a,), _abs_backward, "abs")


def _abs_backward(node, g):
    return (g * np.sign(node.parents[0]._data),)


def _float(a):
    """Elementwise math on an integer tensor gives float32, as in PyTorch."""
    x = a._data
    return x if x.dtype.kind in "fc" else x.astype(default_float)


def to(a, dtype):
    """Cast to ``dtype``; differentiable between floating dtypes."""
    dtype = np.dtype(dtype)
    if a._data.dtype == dtype:
        return a
    out = make_node(a._data.astype(dtype), (a,), _to_backward, "to")
    if dtype.kind not in "fc" and out._rg:  # integer results carry no gradient
        return _wrap(out._data)
    return out


def _to_backward(node, g):
    return (g.astype(node.parents[0]._data.dtype),)


def clone(a):
    return make_node(a._data.copy(), (a,), _identity_backward, "clone")


# ------------------------------------------------------------------------------- reductions
def _dim(d, ndim):
    """One dimension index, negatives counting from the end, checked like PyTorch (a 0-d
    tensor accepts 0 and -1)."""
    n = max(ndim, 1)
    if not -n <= d < n:
        raise IndexError(
            f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {d})"
        )
    return d % n


def _axes(dim, ndim):
    """Normalise ``dim`` (None, int or tuple, negatives allowed) to a sorted tuple."""
    if dim is None:
        return None
    if dim.__class__ is int and 0 <= dim < ndim:  # the common case, without the loop
        return (dim,)
    dims = (dim,) if isinstance(dim, int) else tuple(dim)
    axes = tuple(sorted(_dim(d, ndim) for d in dims))
    return axes if ndim else ()  # a 0-d tensor has nothing to reduce over


def _count(x, axes):
    """How many elements each result of a reduction over ``axes`` summarises."""
    return x.size if axes is None else math.prod(x.shape[d] for d in axes)


def _expand_back(g, node):
    """Put a reduced gradient back to the input's rank (undo ``keepdim=False``)."""
    axes, keepdim = node._ctx[0], node._ctx[1]
    if axes is None:
        return g.reshape((1,) * node.parents[0]._data.ndim)
    return g if keepdim else np.expand_dims(g, axes)


def sum_(a, dim=None, keepdim=False, *, keepdims=None):
    keepdim = keepdim if keepdims is None else keepdims  # numpy's spelling, which torch accepts
    x = a._data
    axes = _axes(dim, x.ndim)
    data = x.sum(axis=axes, keepdims=keepdim)
    return make_node(data, (a,), _sum_backward, "sum", (axes, keepdim))


def _sum_backward(node, g):
    return (_broadcast_back(_expand_back(g, node), node.parents[0]._data),)


def _broadcast_back(g, x):
    """``g`` stretched to ``x``'s shape as a real array (np.broadcast_to costs 2 us here)."""
    out = np.empty(x.shape, dtype=g.dtype)
    out[...] = g
    return out


def mean(a, dim=None, keepdim=False, *, keepdims=None):
    keepdim = keepdim if keepdims is None else keepdims
    x = a._data
    if x.dtype.kind not in "fc":
        raise RuntimeError(
            "mean(): could not infer output dtype. Input dtype must be either a floating "
            f"point or complex dtype. Got: {x.dtype.name}"
        )
    axes = _axes(dim, x.ndim)
    count = _count(x, axes)
    # sum / count: ndarray.mean is a Python-level wrapper that costs 2-3 us at these sizes
    data = x.sum(axis=axes, keepdims=keepdim) / x.dtype.type(count)
    return make_node(data, (a,), _mean_backward, "mean", (axes, keepdim, count))


def _mean_backward(node, g):
    g = _expand_back(g, node) / g.dtype.type(node._ctx[2])
    return (_broadcast_back(g, node.parents[0]._data),)


def var(a, dim=None, unbiased=True, keepdim=False, *, correction=None, keepdims=None):
    """Variance; ``unbiased=True`` (Bessel's correction) by default, like PyTorch."""
    keepdim = keepdim if keepdims is None else keepdims
    x = a._data
    if correction is None:
        correction = 1 if unbiased else 0
    axes = _axes(dim, x.ndim)
    count = _count(x, axes)
    diff = x - x.sum(axis=axes, keepdims=True) / x.dtype.type(count)
    with np.errstate(divide="ignore", invalid="ignore"):
        data = (diff * diff).sum(axis=axes, keepdims=keepdim) / x.dtype.type(count - correction)
    ctx = (axes, keepdim, count - correction, diff)
    return make_node(data, (a,), _var_backward, "var", ctx)


def _var_backward(node, g):
    diff = node._ctx[3]
    return (_expand_back(g, node) * (2 * diff / diff.dtype.type(node._ctx[2])),)


def std(a, dim=None, unbiased=True, keepdim=False, *, correction=None, keepdims=None):
    """Standard deviation: ``sqrt(var(...))`` with the same arguments."""
    return sqrt(var(a, dim, unbiased, keepdim, correction=correction, keepdims=keepdims))


class MaxResult(tuple):
    """``(values, indices)`` of ``max(dim)``, also readable as ``.values`` and ``.indices``."""

    __slots__ = ()
    _op = "max"

    @property
    def values(self):
        return self[0]

    @property
    def indices(self):
        return self[1]

    def __repr__(self):
        return f"{self._op}(values={self[0]!r}, indices={self[1]!r})"


class MinResult(MaxResult):
    """``(values, indices)`` of ``min(dim)``."""

    __slots__ = ()
    _op = "min"


def max_(a, dim=None, keepdim=False, *, keepdims=None):
    """``max()`` of all elements, or ``max(dim)`` -> ``.values``/``.indices``."""
    keepdim = keepdim if keepdims is None else keepdims
    return _extreme(a, dim, keepdim, np.argmax, "max")


def min_(a, dim=None, keepdim=False, *, keepdims=None):
    keepdim = keepdim if keepdims is None else keepdims
    return _extreme(a, dim, keepdim, np.argmin, "min")


def _extreme(a, dim, keepdim, argfn, op):
    x = a._data
    if isinstance(dim, Tensor):
        raise TypeError("max(other) is not supported; use ninjagrad.maximum")
    if dim is None:
        if x.size == 0:
            raise RuntimeError(f"{op}(): expected a dim for an empty tensor (numel() == 0)")
        value = x.flat[argfn(x)]
        return make_node(np.asarray(value), (a,), _extreme_all_backward, op)
    if not x.ndim:  # max(0) of a 0-d tensor is the tensor itself, at index 0
        _dim(dim, 0)
        return _RESULTS[op]((clone(a), _wrap(np.zeros((), dtype=np.int64))))
    (axis,) = _axes(dim, x.ndim)
    idx = np.expand_dims(argfn(x, axis=axis), axis)
    values = np.take_along_axis(x, idx, axis)
    out = make_node(
        values if keepdim else values.squeeze(axis), (a,), _extreme_dim_backward, op,
        (axis, idx),
    )
    return _RESULTS[op]((out, _wrap(idx if keepdim else idx.squeeze(axis))))


_RESULTS = {"max": MaxResult, "min": MinResult}


def _extreme_all_backward(node, g):
    # ties share the gradient evenly, as in PyTorch's max() without dim
    mask = node.parents[0]._data == node._data
    return (g * mask / mask.sum(),)


def _extreme_dim_backward(node, g):
    axis, idx = node._ctx
    x = node.parents[0]._data
    gx = np.zeros(x.shape, dtype=g.dtype)
    np.put_along_axis(gx, idx, g.reshape(idx.shape), axis)
    return (gx,)


def all_(a, dim=None, keepdim=False):
    """True where every element is nonzero (over ``dim``, or everywhere): a bool tensor."""
    x = a._data
    return _wrap(np.asarray(x.all(axis=_axes(dim, x.ndim), keepdims=keepdim)))


def any_(a, dim=None, keepdim=False):
    """True where some element is nonzero (over ``dim``, or anywhere): a bool tensor."""
    x = a._data
    return _wrap(np.asarray(x.any(axis=_axes(dim, x.ndim), keepdims=keepdim)))


def argmax(a, dim=None, keepdim=False):
    x = a._data
    if dim is None or not x.ndim:
        if dim is not None:
            _dim(dim, 0)
        return _wrap(np.asarray(x.argmax()))
    return _wrap(x.argmax(axis=_dim(dim, x.ndim), keepdims=keepdim))


# -------------------------------------------------------------------------------- shape ops
def _shape_args(shape):
    if len(shape) == 1 and not isinstance(shape[0], int):
        shape = tuple(shape[0])
    return tuple(int(s) for s in shape)


def reshape(a, *shape):
    shape = _shape_args(shape)
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


def transpose(a, dim0, dim1):
    dim0, dim1 = _dim(dim0, a._data.ndim), _dim(dim1, a._data.ndim)
    if dim0 == dim1:  # nothing to swap (and numpy cannot swap the axes of a 0-d array)
        return reshape(a, a._data.shape)
    return make_node(
        np.swapaxes(a._data, dim0, dim1), (a,), _transpose_backward, "transpose",
        (dim0, dim1),
    )


def _transpose_backward(node, g):
    return (np.swapaxes(g, *node._ctx),)


def permute(a, *dims):
    dims = _shape_args(dims)
    return make_node(
        np.transpose(a._data, dims), (a,), _permute_backward, "permute", dims
    )


def _permute_backward(node, g):
    return (np.transpose(g, np.argsort(node._ctx)),)


def T(a):  # noqa: N802 - PyTorch's name
    return permute(a, *range(a._data.ndim - 1, -1, -1))


def unsqueeze(a, dim):
    shape = list(a._data.shape)
    shape.insert(_dim(dim, len(shape) + 1), 1)
    return reshape(a, tuple(shape))


def squeeze(a, dim=None):
    x = a._data
    if dim is None:
        shape = tuple(s for s in x.shape if s != 1)
    else:
        dim = _dim(dim, x.ndim)
        shape = tuple(s for i, s in enumerate(x.shape) if not (i == dim and s == 1))
    return reshape(a, shape)


# -------------------------------------------------------------------------------- indexing
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


_UNIQUE = "unique"  # an index array made from a range: its values are distinct


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


def getitem(a, idx):
    index, advanced = _index(idx)
    x = a._data
    try:
        data = x[index]
    except IndexError as e:
        raise _index_error(e, x.shape) from None
    return make_node(data, (a,), _getitem_backward, "index", (index, advanced))


def _getitem_backward(node, g):
    index, advanced = node._ctx
    x = node.parents[0]._data
    return (_scatter_add(g, x.shape, index, advanced),)


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


def setitem(a, idx, value):
    """``a[idx] = value``: writes into ``a.data``; recorded in the graph when gradients flow."""
    value_t = value if isinstance(value, Tensor) else None
    value_arr = value._data if value_t is not None else value
    if _tensor._grad_enabled and (a._rg or (value_t is not None and value_t._rg)):
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


def _index_error(e, shape):
    """numpy's message in PyTorch's words, with the indexed tensor's shape."""
    message = str(e).replace("axis", "dimension")
    return IndexError(f"{message} (indexing a tensor of shape {shape})")


def index_put(a, idx, value):
    """Out-of-place ``a[idx] = value`` with gradients for both ``a`` and ``value``."""
    index, advanced = _index(idx)
    data = a._data.copy()
    data[index] = value._data
    return make_node(data, (a, value), _index_put_backward, "index_put", index)


def _index_put_backward(node, g):
    a, value = node.parents
    index = node._ctx
    ga = None
    if a._rg:
        ga = g.copy()
        ga[index] = 0
    gv = unbroadcast(g[index], value._data.shape) if value._rg else None
    return ga, gv


# ------------------------------------------------------------------------- joining tensors
def _join(name, join, tensors, dim, mismatch, new_dim):
    """``join`` (np.concatenate or np.stack) the tensors' arrays, with PyTorch's errors."""
    tensors = tuple(tensors)
    if not tensors:
        raise RuntimeError(f"{name}(): expected a non-empty list of Tensors")
    for i, t in enumerate(tensors):
        if not isinstance(t, Tensor):
            raise TypeError(f"{name}(): expected a sequence of Tensors, but element {i} is "
                            f"{type(t).__name__}")
    arrays = [t._data for t in tensors]
    dim = _dim(dim, arrays[0].ndim + new_dim)
    try:
        data = join(arrays, axis=dim)
    except ValueError:
        raise RuntimeError(f"{mismatch} {[a.shape for a in arrays]}") from None
    return tensors, arrays, data


def cat(tensors, dim=0):
    """Concatenate along an existing dimension."""
    tensors, arrays, data = _join("cat", np.concatenate, tensors, dim,
                                  f"cat(): sizes of tensors must match except in dimension {dim}; "
                                  "got shapes", False)
    axis = dim % data.ndim
    bounds = np.cumsum([a.shape[axis] for a in arrays])[:-1]
    return make_node(data, tensors, _cat_backward, "cat", (axis, bounds))


def _cat_backward(node, g):
    axis, bounds = node._ctx
    return tuple(np.split(g, bounds, axis=axis))


def stack(tensors, dim=0):
    """Join along a new dimension ``dim``."""
    tensors, _, data = _join("stack", np.stack, tensors, dim,
                             "stack expects each tensor to be equal size, but got shapes",
                             True)
    return make_node(data, tensors, _stack_backward, "stack", dim % data.ndim)


def _stack_backward(node, g):
    axis = node._ctx
    return tuple(np.moveaxis(g, axis, 0))


# ------------------------------------------------------------------------------ comparisons
def _compare(ufunc):
    def compare(a, b):
        other = _operand(b)
        if other is None:
            return NotImplemented
        y = other._data if isinstance(other, Tensor) else other
        try:
            return _wrap(np.asarray(ufunc(a._data, y)))
        except ValueError:
            raise broadcast_error(a._data, np.asarray(y)) from None

    compare.__name__ = ufunc.__name__
    return compare


# -------------------------------------------------------------------- Tensor operator methods
def _binary(tensor_op, scalar_op):
    def method(self, other):
        cls = other.__class__
        if cls is Tensor:
            return tensor_op(self, other)
        if cls is float or cls is int:
            return scalar_op(self, other)
        other = _operand(other)
        if other is None:
            return NotImplemented
        if isinstance(other, Tensor):
            return tensor_op(self, other)
        return scalar_op(self, other)

    return method


def _reflected(tensor_op, scalar_op):
    # Apart from _binary, not a flag on it: every operator call would pay for the branch.
    def method(self, other):
        cls = other.__class__
        if cls is float or cls is int:
            return scalar_op(self, other)
        other = _operand(other)
        if other is None:
            return NotImplemented
        if isinstance(other, Tensor):
            return tensor_op(other, self)
        return scalar_op(self, other)

    return method


def _rmatmul(self, other):
    other = _operand(other)
    if not isinstance(other, Tensor):
        return NotImplemented
    return matmul(other, self)


def _matmul_method(self, other):
    if other.__class__ is not Tensor:
        other = _operand(other)
        if not isinstance(other, Tensor):
            return NotImplemented
    return matmul(self, other)


_METHODS = {
    "__add__": _binary(add, add_scalar),
    "__radd__": _reflected(add, add_scalar),
    "__sub__": _binary(sub, sub_scalar),
    "__rsub__": _reflected(sub, rsub_scalar),
    "__mul__": _binary(mul, mul_scalar),
    "__rmul__": _reflected(mul, mul_scalar),
    "__truediv__": _binary(div, div_scalar),
    "__rtruediv__": _reflected(div, rdiv_scalar),
    "__pow__": _binary(pow_, pow_scalar),
    "__rpow__": _reflected(pow_, rpow_scalar),
    "__matmul__": _matmul_method,
    "__rmatmul__": _rmatmul,
    "__neg__": neg,
    "__getitem__": getitem,
    "__setitem__": setitem,
    "__eq__": _compare(np.equal),
    "__ne__": _compare(np.not_equal),
    "__lt__": _compare(np.less),
    "__le__": _compare(np.less_equal),
    "__gt__": _compare(np.greater),
    "__ge__": _compare(np.greater_equal),
    "__abs__": abs_,
    "exp": exp,
    "log": log,
    "log10": log10,
    "tanh": tanh,
    "sigmoid": sigmoid,
    "relu": relu,
    "sqrt": sqrt,
    "abs": abs_,
    "sum": sum_,
    "mean": mean,
    "var": var,
    "std": std,
    "t": lambda self: transpose(self, 0, 1) if self._data.ndim == 2 else self,
    "max": max_,
    "min": min_,
    "argmax": argmax,
    "view": reshape,
    "reshape": reshape,
    "transpose": transpose,
    "permute": permute,
    "unsqueeze": unsqueeze,
    "squeeze": squeeze,
    "clone": clone,
    "to": to,
    "float": lambda self: to(self, np.float32),
    "double": lambda self: to(self, float64),
    "long": lambda self: to(self, np.int64),
    "int": lambda self: to(self, np.int32),
    "matmul": matmul,
    "all": all_,
    "any": any_,
}
_METHODS["pow"] = _METHODS["__pow__"]
for _name, _fn in _METHODS.items():
    setattr(Tensor, _name, _fn)
Tensor.T = property(T, doc="The tensor with its dimensions reversed (transpose of a matrix).")

# numpy ufuncs met with a Tensor operand (``ndarray + tensor``) map to these Tensor ops.
def _ufunc_binary(name, reflected_name):
    forward, reflected = getattr(Tensor, name), getattr(Tensor, reflected_name)
    return lambda a, b: forward(a, b) if isinstance(a, Tensor) else reflected(b, a)


UFUNC_OPS = {
    np.add: _ufunc_binary("__add__", "__radd__"),
    np.subtract: _ufunc_binary("__sub__", "__rsub__"),
    np.multiply: _ufunc_binary("__mul__", "__rmul__"),
    np.true_divide: _ufunc_binary("__truediv__", "__rtruediv__"),
    np.power: _ufunc_binary("__pow__", "__rpow__"),
    np.matmul: _ufunc_binary("__matmul__", "__rmatmul__"),
    np.equal: _ufunc_binary("__eq__", "__eq__"),
    np.not_equal: _ufunc_binary("__ne__", "__ne__"),
    np.negative: neg,
    np.exp: exp,
    np.log: log,
    np.tanh: tanh,
    np.sqrt: sqrt,
    np.absolute: abs_,
}


def top_level(*names):
    """PyTorch's functional forms of the named methods (``ninjagrad.tanh(x)``).

    The same ops, behind a check that the first argument is a Tensor: a method's ``self``
    always is, so the methods skip the check, but ``ninjagrad.tanh([1.0])`` must say what
    is wrong instead of failing inside the op.
    """
    return tuple(_checked(_METHODS[name], name) for name in names)


def _checked(op, name):
    def function(input, *args, **kwargs):
        if not isinstance(input, Tensor):
            raise TypeError(
                f"{name}(): argument 'input' must be Tensor, not {type(input).__name__}"
            )
        return op(input, *args, **kwargs)

    functools.update_wrapper(function, op)  # the op's docstring and signature
    function.__name__ = function.__qualname__ = name
    return function
