"""Ops that pick, elementwise, one of several values: ``where maximum minimum clamp
clamp_min clamp_max``. Each backward sends the gradient to whichever operand was picked,
with PyTorch's conventions where there is a tie: ``maximum``/``minimum`` split it evenly,
``clamp`` lets it through at a bound (``min <= x <= max`` counts as inside).
"""

import builtins

import numpy as np

from ninjagrad.tensors import dtypes
from ninjagrad.tensors.broadcasting import unbroadcast
from ninjagrad.tensors.dtypes import result_dtype
from ninjagrad.tensors.ops.operands import elementwise, pair
from ninjagrad.tensors.tensor import Tensor, _wrap, make_node, method

# max and min are this module's argument names, as in PyTorch; builtins.max is meant below.


def _tensor(value, like):
    """A bound or branch given as a Python number, as a 0-d tensor of PyTorch's dtype for it
    next to the tensor ``like`` (a number does not widen a tensor's dtype)."""
    if isinstance(value, Tensor):
        return value
    if isinstance(value, np.generic):
        value = value.item()
    kind = like._data.dtype.kind
    if isinstance(value, builtins.bool):
        dtype = like._data.dtype
    elif isinstance(value, builtins.int):
        dtype = like._data.dtype if kind != "b" else np.int64
    elif isinstance(value, builtins.float):
        dtype = like._data.dtype if kind in "fc" else dtypes.default_float
    else:
        raise TypeError(f"expected a Tensor or a number, got {type(value).__name__}")
    return _wrap(np.asarray(value, dtype=dtype))


def _common(arrays):
    """The arrays cast to PyTorch's result dtype for all of them."""
    first = arrays[0]
    dtype = first.dtype
    for x in arrays[1:]:
        dtype = result_dtype(first.astype(dtype, copy=False), x)
    return [x.astype(dtype, copy=False) for x in arrays]


# -------------------------------------------------------------------------------- where
def where(condition, input=None, other=None):  # noqa: A002 - PyTorch's argument names
    """``input`` where ``condition`` holds, ``other`` elsewhere (either may be a number;
    all three broadcast). ``where(condition)`` alone gives the indices of the true elements,
    as a tuple of int64 tensors, one per dimension."""
    if not isinstance(condition, Tensor):
        raise TypeError(
            f"where(): argument 'condition' must be Tensor, not {type(condition).__name__}"
        )
    if condition._data.dtype.kind != "b":
        raise RuntimeError(
            f"where expected condition to be a boolean tensor, but got a tensor with dtype "
            f"{condition._data.dtype.name}"
        )
    if input is None and other is None:
        return tuple(_wrap(i.astype(np.int64)) for i in np.nonzero(condition._data))
    if not isinstance(input, Tensor) and not isinstance(other, Tensor):
        input = _wrap(np.asarray(input, dtype=dtypes.default_float if isinstance(input, float)
                                 else np.int64))
    if not isinstance(input, Tensor):
        input = _tensor(input, other)
    other = _tensor(other, input)
    x, y = pair(input, other)
    c = condition._data
    try:
        data = np.where(c, x, y)
    except ValueError:
        elementwise(np.add, elementwise(np.add, c, x), y)  # raises PyTorch's broadcast error
        raise
    return make_node(data, (input, other), _where_backward, "where", {"c": c})


def _where_backward(node, g, c):
    a, b = node.parents
    ga = unbroadcast(np.where(c, g, 0), a._data.shape) if a._rg else None
    gb = unbroadcast(np.where(c, 0, g), b._data.shape) if b._rg else None
    return ga, gb


@method("where")
def _where_method(self, condition, other):
    """``self.where(condition, other)``: ``where(condition, self, other)``."""
    return where(condition, self, other)


# -------------------------------------------------------------------- maximum and minimum
# On a tie numpy's maximum/minimum return their second operand, PyTorch's (and clamp's) the
# first: the two differ where the tie is -0.0 against 0.0, and a later division turns the
# zeros into opposite infinities. Swapping the operands gives PyTorch's zero.
def _larger(x, y):
    return np.maximum(y, x)


def _smaller(x, y):
    return np.minimum(y, x)


@method("maximum", function=True)
def maximum(a, b):
    """The larger of two tensors, elementwise; a tie sends half the gradient to each."""
    x, y = pair(a, b)
    return make_node(elementwise(_larger, x, y), (a, b), _maximum_backward, "maximum")


def _maximum_backward(node, g):
    a, b = node.parents
    x, y = pair(a, b)
    return _pick(g, x, y, x < y, x > y, a, b)


@method("minimum", function=True)
def minimum(a, b):
    """The smaller of two tensors, elementwise; a tie sends half the gradient to each."""
    x, y = pair(a, b)
    return make_node(elementwise(_smaller, x, y), (a, b), _minimum_backward, "minimum")


def _minimum_backward(node, g):
    a, b = node.parents
    x, y = pair(a, b)
    return _pick(g, x, y, x > y, x < y, a, b)


def _pick(g, x, y, a_lost, b_lost, a, b):
    """Gradients of an elementwise choice, PyTorch's way: the loser gets an exact 0 (not
    ``g * 0``, which is nan for an infinite ``g``), a tie half to each, and where nan makes
    every comparison false, both get all of ``g``."""
    share = np.where(x == y, g / 2, g)
    ga = unbroadcast(np.where(a_lost, 0, share), x.shape) if a._rg else None
    gb = unbroadcast(np.where(b_lost, 0, share), y.shape) if b._rg else None
    return ga, gb


# ------------------------------------------------------------------------------------ clamp
@method("clamp", "clip", function=True)
def clamp(a, min=None, max=None):  # noqa: A002 - PyTorch's argument names
    """Each element limited to ``[min, max]`` (either bound may be None, a number or a
    tensor). The gradient passes where ``min <= a <= max``; with tensor bounds, a bound
    gets the gradient where it was the value chosen."""
    return _clamp(a, min, max, "clamp")


def _clamp(a, min, max, op):  # noqa: A002
    if min is None and max is None:
        raise RuntimeError("clamp: At least one of 'min' or 'max' must not be None")
    if isinstance(min, Tensor) or isinstance(max, Tensor):
        return _clamp_tensors(a, min, max)
    x = a._data
    if x.dtype.kind in "biu" and any(isinstance(v, float) for v in (min, max)):
        x = x.astype(dtypes.default_float)  # an int tensor clamped to a float bound gives floats
    data = x
    if min is not None:
        data = _larger(data, np.asarray(min, dtype=x.dtype))
    if max is not None:
        data = _smaller(data, np.asarray(max, dtype=x.dtype))
    if data is x:
        data = x.copy()
    return make_node(data, (a,), _clamp_backward, op, {"low": min, "high": max})


def _clamp_backward(node, g, low, high):
    x = node.parents[0]._data
    inside = np.ones(x.shape, dtype=bool)
    if low is not None:
        inside &= x >= low
    if high is not None:
        inside &= x <= high
    return (np.where(inside, g, 0),)


def _clamp_tensors(a, low, high):
    """``clamp`` with tensor bounds: three parents, broadcast together."""
    parents = [a] + [_tensor(v, a) for v in (low, high) if v is not None]
    arrays = _common([p._data for p in parents])
    x, bounds = arrays[0], arrays[1:]
    lo = bounds.pop(0) if low is not None else None
    hi = bounds.pop(0) if high is not None else None
    data = x
    if lo is not None:
        data = elementwise(_larger, data, lo)
    if hi is not None:
        data = elementwise(_smaller, data, hi)
    return make_node(data, tuple(parents), _clamp_tensors_backward, "clamp_tensors",
                     {"lo": lo, "hi": hi})


def _clamp_tensors_backward(node, g, lo, hi):
    parents = node.parents
    x = parents[0]._data.astype(g.dtype, copy=False)
    inside = np.ones(np.broadcast_shapes(x.shape, g.shape), dtype=bool)
    if lo is not None:
        inside = inside & (x >= lo)
    if hi is not None:
        inside = inside & (x <= hi)
    grads = [unbroadcast(np.where(inside, g, 0), x.shape)]
    if lo is not None:  # the lower bound wins where x is below it, unless it crosses high
        chosen = (x < lo) & (lo < hi) if hi is not None else x < lo
        grads.append(unbroadcast(np.where(chosen, g, 0), lo.shape))
    if hi is not None:  # the upper bound wins where x is above it, or where low > high
        chosen = (x > hi) | (hi < lo) if lo is not None else x > hi
        grads.append(unbroadcast(np.where(chosen, g, 0), hi.shape))
    return tuple(grads)


@method("clamp_min", function=True)
def clamp_min(a, min):  # noqa: A002
    """``clamp(a, min=min)``."""
    return _clamp(a, min, None, "clamp_min")


@method("clamp_max", function=True)
def clamp_max(a, max):  # noqa: A002
    """``clamp(a, max=max)``."""
    return _clamp(a, None, max, "clamp_max")
clip = clamp  # numpy's name, which PyTorch also has
