"""Elementwise functions of one tensor: ``exp log log10 tanh sigmoid relu sqrt abs``, casts
(``to float double long int``) and ``clone``. Each backward multiplies the incoming gradient
by the local derivative, mostly read off the op's own output."""

import math

import numpy as np

from ninjagrad.tensors.dtypes import float32, float64, int32, int64
from ninjagrad.tensors.ops.operands import as_float
from ninjagrad.tensors.tensor import _wrap, make_node, method

_LN10 = math.log(10.0)


@method("exp", function=True)
def exp(a):
    """``e ** a``."""
    return make_node(np.exp(as_float(a)), (a,), _exp_backward, "exp")


def _exp_backward(node, g):
    return (g * node._data,)


@method("log", function=True)
def log(a):
    """Natural logarithm."""
    return make_node(np.log(as_float(a)), (a,), _log_backward, "log")


def _log_backward(node, g):
    return (g / node.parents[0]._data,)


@method("log10", function=True)
def log10(a):
    """Logarithm to base 10."""
    return make_node(np.log10(as_float(a)), (a,), _log10_backward, "log10")


def _log10_backward(node, g):
    return (g / (node.parents[0]._data * _LN10),)


@method("tanh", function=True)
def tanh(a):
    """Hyperbolic tangent; its derivative is ``1 - tanh**2``."""
    return make_node(np.tanh(as_float(a)), (a,), _tanh_backward, "tanh")


def _tanh_backward(node, g):
    t = node._data
    return (g * (1 - t * t),)


@method("sigmoid", function=True)
def sigmoid(a):
    """``1 / (1 + e ** -a)``; its derivative is ``s * (1 - s)``."""
    x = as_float(a)
    return make_node(1 / (1 + np.exp(-x)), (a,), _sigmoid_backward, "sigmoid")


def _sigmoid_backward(node, g):
    s = node._data
    return (g * s * (1 - s),)


@method("relu", function=True)
def relu(a):
    """``max(a, 0)``; the gradient passes where the output is not <= 0."""
    x = a._data
    if x.dtype.kind == "b":
        raise RuntimeError("Boolean inputs not supported for relu")
    return make_node(np.maximum(x, 0), (a,), _relu_backward, "relu")


def _relu_backward(node, g):
    # masked, not multiplied by a 0/1 mask: an infinite g stays out of the zeroed part, and
    # at a nan input (output nan) the gradient passes, as PyTorch's threshold_backward does
    return (np.where(node._data <= 0, 0, g),)


@method("sqrt", function=True)
def sqrt(a):
    """Square root; its derivative is ``1 / (2 * sqrt(a))``."""
    return make_node(np.sqrt(as_float(a)), (a,), _sqrt_backward, "sqrt")


def _sqrt_backward(node, g):
    return (g / (2 * node._data),)


@method("abs", "__abs__", function=True)
def abs(a):  # shadows the builtin here, as torch.abs does
    """Absolute value; the gradient is multiplied by the sign of the input."""
    x = a._data
    if x.dtype.kind == "b":
        raise NotImplementedError('"abs_cpu" not implemented for \'Bool\'')
    return make_node(np.abs(x), (a,), _abs_backward, "abs")


def _abs_backward(node, g):
    x = node.parents[0]._data
    return (g * np.where(np.isnan(x), 0, np.sign(x)),)  # PyTorch's sgn(nan) is 0


@method("clone", function=True)
def clone(a):
    """A copy of ``a`` that stays in the graph."""
    return make_node(a._data.copy(), (a,), _clone_backward, "clone")


def _clone_backward(node, g):
    return (g,)


# ------------------------------------------------------------------------------------ casts
@method("to")
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


@method("float")
def to_float(a):
    return to(a, float32)


@method("double")
def to_double(a):
    return to(a, float64)


@method("long")
def to_long(a):
    return to(a, int64)


@method("int")
def to_int(a):
    return to(a, int32)
