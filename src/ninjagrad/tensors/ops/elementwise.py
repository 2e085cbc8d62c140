"""Elementwise functions of one tensor: ``exp log log10 tanh sigmoid relu sqrt abs``, casts
(``to float double long int``) and ``clone``. Each backward multiplies the incoming gradient
by the local derivative, mostly read off the op's own output."""

import math

import numpy as np

from ninjagrad.tensors.dtypes import float32, float64, int32, int64
from ninjagrad.tensors.ops.operands import as_float
from ninjagrad.tensors.tensor import OUT, _wrap, make_node, method, saves

_LN10 = math.log(10.0)


@method("exp", function=True)
def exp(a):
    """``e ** a``."""
    return make_node(np.exp(as_float(a)), (a,), _exp_backward, "exp")


@saves(OUT)
def _exp_backward(node, g):
    return (g * node._data,)


@method("log", function=True)
def log(a):
    """Natural logarithm."""
    return make_node(np.log(as_float(a)), (a,), _log_backward, "log")


@saves(0)
def _log_backward(node, g):
    return (g / node.parents[0]._data,)


@method("log10", function=True)
def log10(a):
    """Logarithm to base 10."""
    return make_node(np.log10(as_float(a)), (a,), _log10_backward, "log10")


@saves(0)
def _log10_backward(node, g):
    return (g / (node.parents[0]._data * _LN10),)


@method("tanh", function=True)
def tanh(a):
    """Hyperbolic tangent; its derivative is ``1 - tanh**2``."""
    return make_node(np.tanh(as_float(a)), (a,), _tanh_backward, "tanh")


@saves(OUT)
def _tanh_backward(node, g):
    t = node._data
    return (g * (1 - t * t),)


@method("sigmoid", function=True)
def sigmoid(a):
    """``1 / (1 + e ** -a)``; its derivative is ``s * (1 - s)``."""
    x = as_float(a)
    return make_node(1 / (1 + np.exp(-x)), (a,), _sigmoid_backward, "sigmoid")


@saves(OUT)
def _sigmoid_backward(node, g):
    s = node._data
    return (g * s * (1 - s),)


@method("relu", function=True)
def relu(a):
    """``max(a, 0)``; the gradient passes where the output is positive."""
    return make_node(np.maximum(a._data, 0), (a,), _relu_backward, "relu")


@saves(OUT)
def _relu_backward(node, g):
    return (g * (node._data > 0),)


@method("sqrt", function=True)
def sqrt(a):
    """Square root; its derivative is ``1 / (2 * sqrt(a))``."""
    return make_node(np.sqrt(as_float(a)), (a,), _sqrt_backward, "sqrt")


@saves(OUT)
def _sqrt_backward(node, g):
    return (g / (2 * node._data),)


@method("abs", "__abs__", function=True)
def abs(a):  # shadows the builtin here, as torch.abs does
    """Absolute value; the gradient is multiplied by the sign of the input."""
    return make_node(np.abs(a._data), (a,), _abs_backward, "abs")


@saves(0)
def _abs_backward(node, g):
    return (g * np.sign(node.parents[0]._data),)


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
