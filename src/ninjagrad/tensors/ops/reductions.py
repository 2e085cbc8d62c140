"""Reductions: ``sum mean var std max min`` (differentiable, over ``dim`` or everything,
``keepdim`` as in PyTorch) and ``argmax all any`` (integer and bool results, no gradient).

A reduction's result is row-major (``row_major``), as PyTorch allocates one; numpy keeps
the input's order (the sum over dim 1 of a permuted tensor has strides (1, 4) there, (3, 1)
in PyTorch), and a later view of it would then refuse where PyTorch's works.

The lecture's duality, the other way round from ``unbroadcast``: a sum in the forward pass
is a broadcast in the backward pass. Each backward puts the reduced dimensions back
(``_unreduce``) and lets the gradient spread over them.
"""

import math

import numpy as np

from ninjagrad.tensors.dtypes import scalar_type_name
from ninjagrad.tensors.ops.operands import (
    dim_index,
    reduce_axes,
    reduced_count,
    row_major,
    sum_axes,
    sum_dims,
)
from ninjagrad.tensors.tensor import OUT, Tensor, _wrap, found_plain, make_node, method, saves

# sum, max, min, all and any shadow Python's builtins in this module, as they do in torch.
builtins_max = max
_add_reduce = np.add.reduce
_FIRST, _ALL = slice(0, 1), slice(None)  # the first of a dimension, all of it
# by itemsize: the largest sum PyTorch's mean adds up to (float16's adds in float32)
_LARGEST = {2: float(np.finfo(np.float32).max), 4: float(np.finfo(np.float32).max),
            8: float(np.finfo(np.float64).max)}
ndarray = np.ndarray


def _unreduce(g, x, axes, keepdim):
    """Put the gradient of a reduction of ``x`` back to ``x``'s rank (undo ``keepdim=False``)."""
    if axes is None:
        return g.reshape((1,) * x.ndim)
    return g if keepdim else np.expand_dims(g, axes)


def _spread(g, x):
    """``g`` stretched to ``x``'s shape as a real array (np.broadcast_to costs 2 us here)."""
    out = np.empty(x.shape, dtype=g.dtype)
    out[...] = g
    return out


@method("sum", function=True)
def sum(a, dim=None, keepdim=False, *, keepdims=None):
    """Sum over ``dim`` (an int or a tuple; all dimensions if None)."""
    keepdim = keepdim if keepdims is None else keepdims  # numpy's spelling, which torch accepts
    x = a._data
    axes = sum_dims(dim, x.ndim)
    data = _add_reduce(x, axes, keepdims=keepdim)
    if not (a._plain or a._plain is None and found_plain(a)):  # else row-major already
        data = row_major(data)
    return make_node(data, (a,), _sum_backward, "sum", {"axes": axes, "keepdim": keepdim})


def _sum_backward(node, g, axes, keepdim):
    x = node.parents[0]._data
    return (_spread(_unreduce(g, x, axes, keepdim), x),)


@method("mean", function=True)
def mean(a, dim=None, keepdim=False, *, keepdims=None):
    """Mean over ``dim``; floating tensors only, as in PyTorch."""
    keepdim = keepdim if keepdims is None else keepdims
    x = a._data
    if x.dtype.kind not in "fc":
        raise RuntimeError(
            "mean(): could not infer output dtype. Input dtype must be either a floating "
            f"point or complex dtype. Got: {scalar_type_name(x.dtype)}"
        )
    axes = sum_dims(dim, x.ndim)
    count = reduced_count(x, axes)
    # sum / count: ndarray.mean is a Python-level wrapper that costs 2-3 us at these sizes
    if count:
        data = row_major(_add_reduce(x, axes, keepdims=keepdim) / x.dtype.type(count))
    else:  # the mean of nothing is nan, as in PyTorch (which does not warn)
        data = np.full(x.sum(axis=axes, keepdims=keepdim).shape, np.nan, dtype=x.dtype)
    saved = {"axes": axes, "keepdim": keepdim, "count": count}
    return make_node(data, (a,), _mean_backward, "mean", saved)


def _mean_backward(node, g, axes, keepdim, count):
    x = node.parents[0]._data
    g = _unreduce(g, x, axes, keepdim)
    return (_spread(g / g.dtype.type(count) if count else g, x),)


@method("var", function=True)
def var(a, dim=None, unbiased=True, keepdim=False, *, correction=None, keepdims=None):
    """Variance; ``unbiased=True`` (Bessel's correction) by default, like PyTorch."""
    data, saved = _moments(a, dim, unbiased, keepdim, correction, keepdims, False)
    return make_node(row_major(data), (a,), _var_backward, "var", saved)


@saves(0)
def _var_backward(node, g, axes, keepdim, **moments):
    x = node.parents[0]._data
    return (_variance_input_grad(node, _unreduce(g, x, axes, keepdim), axes, **moments),)


@method("std", function=True)
def std(a, dim=None, unbiased=True, keepdim=False, *, correction=None, keepdims=None):
    """Standard deviation, ``sqrt(var(...))`` with the same arguments."""
    data, saved = _moments(a, dim, unbiased, keepdim, correction, keepdims, True)
    return make_node(row_major(data), (a,), _std_backward, "std", saved)


@saves(0, OUT)
def _std_backward(node, g, axes, keepdim, **moments):
    # d sqrt(v) = dv / (2 sqrt(v)); where the deviation is 0 PyTorch passes 0, not 0/0
    x = node.parents[0]._data
    s = _unreduce(node._data, x, axes, keepdim)
    with np.errstate(divide="ignore", invalid="ignore"):
        g_var = np.where(s == 0, 0, _unreduce(g, x, axes, keepdim) / (2 * s))
    return (_variance_input_grad(node, g_var, axes, **moments),)


def _moments(a, dim, unbiased, keepdim, correction, keepdims, root):
    """The variance (its square ``root`` for std) in x's dtype, and what the backward
    needs, for var and std."""
    keepdim = keepdim if keepdims is None else keepdims
    x = a._data
    if x.dtype.kind != "f":
        if x.dtype.kind == "c":
            raise NotImplementedError(
                f"{'std' if root else 'var'}() of a complex tensor: ninjagrad computes it for "
                "float tensors only (PyTorch's is real: the variance of the real parts plus "
                "that of the imaginary parts)"
            )
        raise RuntimeError("std and var only support floating point and complex dtypes")
    if correction is None:
        correction = 1 if unbiased else 0
    axes = sum_axes(dim, x.ndim)
    n = reduced_count(x, axes)
    data, mean, diff = _variance(x, axes, n, correction, keepdim, root)
    # PyTorch 2.13's backward over dim=() takes n to be 1: wrong when more were reduced
    every_dim = dim is not None and axes is None and n > 1
    saved = {"axes": axes, "keepdim": keepdim, "mean": mean, "diff": diff,
             "dof": n - correction, "full": dim is None or not x.ndim, "every_dim": every_dim}
    return data, saved


@np.errstate(divide="ignore", invalid="ignore", over="ignore")  # (as a decorator: half the cost)
def _variance(x, axes, n, correction, keepdim, root):
    """The variance of ``x`` over ``axes`` (``n`` elements each; its square ``root`` if
    asked, taken before rounding to x's dtype as PyTorch does), the mean the backward
    needs (None where it does not) and the deviations ``x - mean`` in x's dtype."""
    # PyTorch 2.13 computes a variance of one result (over every element) in two passes:
    # the mean in x's dtype, then the squared deviations from it, accumulated in float64;
    # the last ulp of a float32 mean shows in the variance, so ninjagrad does the same.
    # Several results (over some dims) it computes with Welford's algorithm in float64, whose
    # mean of constant data is exact and its variance exactly 0 (0/0 = nan when correction
    # = n). Here a two-pass in float64 that keeps that: for float32 data the float64 sum of
    # n equal values is exact, and so is its mean; float64 data is shifted by each slice's
    # first value, so that equal values become zeros. It divides by max(0, n - correction):
    # inf (or nan for constant data) when correction >= n; the mean of nothing is nan.
    # (Squares of 2e19 would overflow float32.) Sums are add.reduce's, divisions in place:
    # ndarray.sum's Python wrapper and a new array each cost ~1 us here.
    if n == x.size:
        mean = _add_reduce(x, axes, keepdims=True) / x.dtype.type(n)
        diff = x - mean  # the backward's x - mean, in x's dtype as in PyTorch's formula
        if x.dtype.itemsize >= 8:
            squares = diff * diff
        else:  # a float64 copy of x, worked in place
            squares = x.astype(np.float64)
            np.subtract(squares, mean, out=squares)
            np.multiply(squares, squares, out=squares)
    else:  # a float64 copy of x, worked in place: no more float64 arrays than that
        mean = None  # (the backward needs it only for a variance of one result)
        squares = x.astype(np.float64)
        # PyTorch's backward takes x - mean(x) with the mean in x's dtype (added up in
        # float32 for float16), which overflows to inf (the gradient -inf) when a sum of x
        # passes the largest value. No partial sum of a slice can when 2 n sum(x ** 2) <
        # largest ** 2 (false for nan or inf too).
        fits = math.sqrt(2 * n * np.vdot(squares, squares)) < _LARGEST[x.dtype.itemsize]
        if x.dtype.itemsize == 8:  # shifted by the first value (see above)
            first = x[tuple([_FIRST if d in axes else _ALL for d in range(x.ndim)])]
            finite = np.isfinite(first)
            if not finite.all():  # no shift where it is inf or nan: x - mean is then
                first = np.where(finite, first, 0)  # inf or nan as in PyTorch's, not nan
            np.subtract(squares, first, out=squares)
        offset = _add_reduce(squares, axes, keepdims=True)
        offset /= n
        np.subtract(squares, offset, out=squares)
        diff = squares.astype(x.dtype)  # the backward's x - mean, rounded to x's dtype
        if not fits:  # PyTorch's x - mean where its mean is inf or nan (numpy's order)
            total = _add_reduce(x, axes, dtype=np.float32 if x.dtype.itemsize == 2 else None,
                                keepdims=True)
            mean_then = (total / total.dtype.type(n)).astype(x.dtype)
            overflowed = ~np.isfinite(mean_then)
            if overflowed.any():
                diff = np.where(overflowed, x - mean_then, diff)
        np.multiply(squares, squares, out=squares)
    data = _add_reduce(squares, axes, keepdims=keepdim) / builtins_max(n - correction, 0)
    if root:
        data = np.sqrt(data)
    return data.astype(x.dtype, copy=False), mean, diff  # (beyond float32's range: inf)


def _variance_input_grad(node, g, axes, mean, diff, dof, full, every_dim):
    """d var / d x = 2 (x - mean) / (n - correction), times ``g`` (already unreduced)."""
    if every_dim:
        raise RuntimeError(
            f"{node.op}(dim=()): PyTorch 2.13 reduces over every dimension here but computes "
            "the gradient as if a single element had been reduced (infinite or wrong values); "
            "ninjagrad refuses to give it. Pass dim=None: same result, correct gradient."
        )
    if dof > 0:
        return g * (2.0 / dof) * diff
    # No data left to estimate from (correction >= n). PyTorch 2.13's gradients: with
    # dim=None (or a 0-d input), g * inf, nan where x equals the mean; over dims, dim=()
    # of one element included, 2 / (n - correction) unclamped (inf when they are equal).
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        if full:
            x = node.parents[0]._data
            return g * np.where(x == mean, np.nan, np.inf).astype(diff.dtype)
        return g * (2.0 / dof if dof else math.inf) * diff


# ----------------------------------------------------------------------------- max and min
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


@method("max", function=True)
def max(a, dim=None, keepdim=False, *, keepdims=None):
    """``max()`` of all elements, or ``max(dim)`` -> ``.values``/``.indices``."""
    keepdim = keepdim if keepdims is None else keepdims
    return _extreme(a, dim, keepdim, ndarray.argmax, MaxResult)


@method("min", function=True)
def min(a, dim=None, keepdim=False, *, keepdims=None):
    """``min()`` of all elements, or ``min(dim)`` -> ``.values``/``.indices``."""
    keepdim = keepdim if keepdims is None else keepdims
    return _extreme(a, dim, keepdim, ndarray.argmin, MinResult)


def _extreme(a, dim, keepdim, argfn, result):
    x = a._data
    op = result._op
    if isinstance(dim, Tensor):
        raise TypeError(f"{op}(other) is not supported; use ninjagrad.maximum")
    if dim is None:
        if x.size == 0:
            raise RuntimeError(f"{op}(): expected a dim for an empty tensor (numel() == 0)")
        value = x.flat[argfn(x)]
        if value == 0 and x.dtype.itemsize >= 4 and x.dtype.kind == "f":
            value = _tied_zero(x, value)
        # its own op name: PyTorch's node for it (MaxBackward1) differs from max(dim)'s
        return make_node(np.asarray(value), (a,), _extreme_all_backward, op + "_all")
    if not x.ndim:  # max(0) of a 0-d tensor is the tensor itself, at index 0
        dim_index(dim, 0)
        values = a.clone()
        if values.parents:
            values.op = op  # PyTorch's node is max(dim)'s, whose backward is the identity here
        return result((values, _wrap(np.zeros((), dtype=np.int64))))
    (axis,) = reduce_axes(dim, x.ndim)
    index = argfn(x, axis=axis, keepdims=True)
    picked = _along(index, axis)
    values = x[picked]
    out = make_node(values if keepdim else values.squeeze(axis), (a,), _extreme_dim_backward,
                    op, {"axis": axis, "picked": picked})
    return result((out, _wrap(index if keepdim else index.squeeze(axis))))


def _along(index, axis):
    """The fancy index of the entries ``index`` (an arg-reduction's result, with keepdims)
    names along ``axis``: what np.take_along_axis and put_along_axis build, without their
    checks and generators, which cost 4 us of their 6 on the lecture's logits."""
    shape = index.shape
    ndim = len(shape)
    picked = []
    for d in range(ndim):  # a loop, not a generator: max(dim) is on the lecture's path
        if d == axis:
            picked.append(index)
        else:
            picked.append(np.arange(shape[d]).reshape((1,) * d + (-1,) + (1,) * (ndim - d - 1)))
    return tuple(picked)


# The lanes of PyTorch's AVX2 max()/min() kernels (float32: 8, float64: 4), in the order in
# which a zero in one beats a zero in another: float32's lanes end in a tree of shuffles.
_LANE_PRIORITY = {4: (7, 3, 5, 1, 6, 2, 4, 0), 8: (3, 2, 1, 0)}


def _tied_zero(x, value):
    """The zero PyTorch's max()/min() without dim return where +0.0 and -0.0 tie for the
    extreme (1 / x.max() is then inf or -inf). Its AVX2 kernels reduce the row-major
    elements in vector lanes, a tie going to the later element, then combine the lanes;
    fewer elements than lanes go one by one. Measured on PyTorch 2.13 (AVX2) against
    29,000 random ties; an AVX-512 build has wider lanes and may return the other zero."""
    flat = x.ravel()
    zeros = np.flatnonzero(flat == 0)
    signs = np.signbit(flat[zeros])
    if signs.all() or not signs.any():
        return value  # one sign only: nothing to choose
    priority = _LANE_PRIORITY[x.dtype.itemsize]
    if flat.size < len(priority):
        return flat[zeros[-1]]
    lanes = zeros % len(priority)
    present = set(lanes.tolist())
    lane = next(k for k in priority if k in present)  # the winning lane that has a zero
    return flat[zeros[lanes == lane][-1]]


@saves(0, OUT)
def _extreme_all_backward(node, g):
    # ties share the gradient evenly, as in PyTorch's max() without dim; a nan result ties
    # with every nan. Masking, not multiplying by the mask: an infinite g must not make nan.
    x, value = node.parents[0]._data, node._data
    mask = np.isnan(x) if value != value else x == value
    return (np.where(mask, g / g.dtype.type(mask.sum()), 0),)


@saves()
def _extreme_dim_backward(node, g, axis, picked):
    gx = np.zeros(node.parents[0]._data.shape, dtype=g.dtype)
    gx[picked] = g.reshape(picked[axis].shape)  # the index itself, kept dims
    return (gx,)


# ------------------------------------------------------------------- no gradient to give
@method("argmax", function=True)
def argmax(a, dim=None, keepdim=False):
    """Index of the largest element (of the flattened tensor if ``dim`` is None)."""
    x = a._data
    if x.dtype.kind == "b":
        raise RuntimeError("argmax(): does not support bool input")
    if dim is None or not x.ndim:
        if dim is not None:
            dim_index(dim, 0)
        return _wrap(np.asarray(x.argmax()))
    return _wrap(x.argmax(axis=dim_index(dim, x.ndim), keepdims=keepdim))


@method("all", function=True)
def all(a, dim=None, keepdim=False):
    """True where every element is nonzero (over ``dim``, or everywhere): a bool tensor."""
    x = a._data
    return _wrap(row_major(np.asarray(x.all(axis=reduce_axes(dim, x.ndim), keepdims=keepdim))))


@method("any", function=True)
def any(a, dim=None, keepdim=False):
    """True where some element is nonzero (over ``dim``, or anywhere): a bool tensor."""
    x = a._data
    return _wrap(row_major(np.asarray(x.any(axis=reduce_axes(dim, x.ndim), keepdims=keepdim))))


@method("argmin", function=True)
def argmin(a, dim=None, keepdim=False):
    """Index of the smallest element (of the flattened tensor if ``dim`` is None)."""
    x = a._data
    if dim is None or not x.ndim:
        if dim is not None:
            dim_index(dim, 0)
        return _wrap(np.asarray(x.argmin()))
    return _wrap(x.argmin(axis=dim_index(dim, x.ndim), keepdims=keepdim))


# -------------------------------------------------------------------------- prod and cumsum
@method("prod", function=True)
def prod(a, dim=None, keepdim=False, *, dtype=None):
    """Product of all elements, or over one dimension ``dim`` (integers give int64)."""
    x = a._data
    if dtype is not None:
        x = x.astype(dtype)
    elif x.dtype.kind in "bui":
        x = x.astype(np.int64)
    axes = None if dim is None else (dim_index(dim, x.ndim),) if x.ndim else ()
    data = row_major(np.prod(x, axis=axes, keepdims=keepdim and dim is not None))
    return make_node(data, (a,), _prod_backward, "prod", {"axes": axes, "keepdim": keepdim})


@saves(0, OUT)
def _prod_backward(node, g, axes, keepdim):
    # d(prod)/dx_i is the product of all the other elements: the products to the left and
    # to the right of i, so that a zero among the inputs needs no division by it
    x = node.parents[0]._data
    axis = 0 if axes is None else (axes[0] if axes else None)
    if axis is None:  # a 0-d tensor: its own product
        return (g.astype(x.dtype, copy=False),)
    flat = x.reshape(-1) if axes is None else x
    moved = np.moveaxis(flat, axis, -1)
    ones = np.ones(moved.shape[:-1] + (1,), dtype=moved.dtype)
    left = np.cumprod(np.concatenate([ones, moved[..., :-1]], -1), -1)
    right = np.flip(np.cumprod(np.flip(np.concatenate([moved[..., 1:], ones], -1), -1), -1), -1)
    others = np.moveaxis(left * right, -1, axis).reshape(x.shape)
    return (_unreduce(g, x, axes, keepdim) * others,)


@method("cumsum", function=True)
def cumsum(a, dim, *, dtype=None):
    """Running sums along ``dim``; the gradient is the running sum of ``g`` from the end."""
    x = a._data
    if dtype is not None:
        x = x.astype(dtype)
    elif x.dtype.kind in "bui":
        x = x.astype(np.int64)
    axis = dim_index(dim, x.ndim) if x.ndim else None
    data = x.copy() if axis is None else row_major(np.cumsum(x, axis=axis))
    return make_node(data, (a,), _cumsum_backward, "cumsum", {"axis": axis})


def _cumsum_backward(node, g, axis):
    if axis is None:
        return (g,)
    return (np.flip(np.cumsum(np.flip(g, axis), axis=axis), axis),)
