"""Elementwise functions of one tensor: ``exp log log10 tanh sigmoid relu sqrt abs``, casts
(``to float double long int``) and ``clone``. Each backward multiplies the incoming gradient
by the local derivative, mostly read off the op's own output."""

import math

import numpy as np

from ninjagrad.tensors.device import as_device
from ninjagrad.tensors.device import device as Device
from ninjagrad.tensors.dtypes import (
    as_dtype,
    bool_,
    float16,
    float32,
    float64,
    int32,
    int64,
    scalar_type_name,
)
from ninjagrad.tensors.ops.operands import as_float
from ninjagrad.tensors.tensor import OUT, Tensor, _wrap, make_node, method, saves

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
    """``max(a, 0)``; the gradient passes where the output is not <= 0."""
    x = a._data
    if x.dtype.kind == "b":
        raise RuntimeError("Boolean inputs not supported for relu")
    # np.maximum returns its second operand on a tie, so with x second a -0.0 input stays
    # -0.0, as PyTorch's relu keeps it (1 / relu(-0.0) is -inf there); nan stays nan
    return make_node(np.maximum(0, x), (a,), _relu_backward, "relu")


@saves(OUT)
def _relu_backward(node, g):
    # masked, not multiplied by a 0/1 mask: an infinite g stays out of the zeroed part, and
    # at a nan input (output nan) the gradient passes, as PyTorch's threshold_backward does
    return (np.where(node._data <= 0, 0, g),)


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
    x = a._data
    if x.dtype.kind == "b":
        raise NotImplementedError('"abs_cpu" not implemented for \'Bool\'')
    return make_node(np.abs(x), (a,), _abs_backward, "abs")


@saves(0)
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
def to(a, *args, dtype=None, device=None, copy=False, non_blocking=False):
    """``to(dtype)``, ``to(device)``, ``to(device, dtype)`` or ``to(other_tensor)``: a cast,
    differentiable between floating dtypes. The device must be the CPU (see ``device``);
    ``a`` itself comes back when nothing changes and ``copy`` is False, as in PyTorch."""
    for arg in args:
        if isinstance(arg, Tensor):  # to(other): other's dtype (and device, always the CPU)
            dtype = arg._data.dtype
        elif isinstance(arg, (str, Device)):
            device = arg
        else:
            dtype = arg
    as_device(device)
    dtype = a._data.dtype if dtype is None else as_dtype(dtype)
    if a._data.dtype == dtype and not copy:
        return a
    out = make_node(a._data.astype(dtype), (a,), _to_backward, "to")
    if dtype.kind not in "fc" and out._rg:  # integer results carry no gradient
        return _wrap(out._data)
    return out


@method("cpu")
def cpu(a):
    """The tensor itself: it is on the CPU already."""
    return a


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


@method("half")
def to_half(a):
    return to(a, float16)


@method("bool")
def to_bool(a):
    return to(a, bool_)


# ------------------------------------------------------------------ trigonometry and friends
@method("sin", function=True)
def sin(a):
    """Sine; its derivative is ``cos``."""
    return make_node(np.sin(as_float(a)), (a,), _sin_backward, "sin")


def _sin_backward(node, g):
    return (g * np.cos(node.parents[0]._data),)


@method("cos", function=True)
def cos(a):
    """Cosine; its derivative is ``-sin``."""
    return make_node(np.cos(as_float(a)), (a,), _cos_backward, "cos")


def _cos_backward(node, g):
    return (-g * np.sin(node.parents[0]._data),)


@method("tan", function=True)
def tan(a):
    """Tangent; its derivative is ``1 + tan**2``."""
    return make_node(np.tan(as_float(a)), (a,), _tan_backward, "tan")


def _tan_backward(node, g):
    t = node._data
    return (g * (1 + t * t),)


@method("atan", "arctan", function=True)
def atan(a):
    """Inverse tangent; its derivative is ``1 / (1 + a**2)``."""
    return make_node(np.arctan(as_float(a)), (a,), _atan_backward, "atan")


def _atan_backward(node, g):
    x = node.parents[0]._data
    return (g / (1 + x * x),)


arctan = atan  # numpy's name, which PyTorch also has


@method("sinh", function=True)
def sinh(a):
    """Hyperbolic sine; its derivative is ``cosh``."""
    return make_node(np.sinh(as_float(a)), (a,), _sinh_backward, "sinh")


def _sinh_backward(node, g):
    return (g * np.cosh(node.parents[0]._data),)


@method("cosh", function=True)
def cosh(a):
    """Hyperbolic cosine; its derivative is ``sinh``."""
    return make_node(np.cosh(as_float(a)), (a,), _cosh_backward, "cosh")


def _cosh_backward(node, g):
    return (g * np.sinh(node.parents[0]._data),)


# ---------------------------------------------------------------- exponentials and logarithms
@method("log1p", function=True)
def log1p(a):
    """``log(1 + a)``, accurate for small ``a``."""
    return make_node(np.log1p(as_float(a)), (a,), _log1p_backward, "log1p")


def _log1p_backward(node, g):
    return (g / (1 + node.parents[0]._data),)


@method("expm1", function=True)
def expm1(a):
    """``exp(a) - 1``, accurate for small ``a``; its derivative is ``exp(a)``."""
    return make_node(np.expm1(as_float(a)), (a,), _expm1_backward, "expm1")


def _expm1_backward(node, g):
    return (g * (node._data + 1),)


@method("exp2", function=True)
def exp2(a):
    """``2 ** a``."""
    return make_node(np.exp2(as_float(a)), (a,), _exp2_backward, "exp2")


def _exp2_backward(node, g):
    return (g * node._data * math.log(2.0),)


@method("log2", function=True)
def log2(a):
    """Logarithm to base 2."""
    return make_node(np.log2(as_float(a)), (a,), _log2_backward, "log2")


def _log2_backward(node, g):
    return (g / (node.parents[0]._data * math.log(2.0)),)


# ------------------------------------------------------------------------ powers of one tensor
@method("square", function=True)
def square(a):
    """``a * a`` (integers stay integers, as in PyTorch); its derivative is ``2 * a``."""
    x = a._data.astype(np.int64) if a._data.dtype.kind == "b" else a._data
    return make_node(x * x, (a,), _square_backward, "pow")


def _square_backward(node, g):
    return (g * 2 * node.parents[0]._data,)


@method("reciprocal", function=True)
def reciprocal(a):
    """``1 / a``; its derivative is ``-1 / a**2``."""
    with np.errstate(divide="ignore"):
        return make_node(1 / as_float(a), (a,), _reciprocal_backward, "reciprocal")


def _reciprocal_backward(node, g):
    r = node._data
    return (-g * r * r,)


@method("rsqrt", function=True)
def rsqrt(a):
    """``1 / sqrt(a)``; its derivative is ``-rsqrt(a)**3 / 2``."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return make_node(1 / np.sqrt(as_float(a)), (a,), _rsqrt_backward, "rsqrt")


def _rsqrt_backward(node, g):
    r = node._data
    return (-0.5 * g * r * r * r,)


# ------------------------------------------------------ piecewise constant: zero gradient
def _zero_backward(node, g):
    return (np.zeros_like(g),)


@method("sign", function=True)
def sign(a):
    """-1, 0 or 1 by the sign of each element; its gradient is zero (as in PyTorch)."""
    return make_node(np.sign(a._data), (a,), _zero_backward, "sign")


@method("floor", function=True)
def floor(a):
    """Round down; the gradient is zero (integers come back unchanged)."""
    return make_node(np.floor(a._data) if a._data.dtype.kind == "f" else a._data.copy(), (a,),
                     _zero_backward, "floor")


@method("ceil", function=True)
def ceil(a):
    """Round up; the gradient is zero."""
    return make_node(np.ceil(a._data) if a._data.dtype.kind == "f" else a._data.copy(), (a,),
                     _zero_backward, "ceil")


@method("trunc", function=True)
def trunc(a):
    """Round toward zero; the gradient is zero."""
    return make_node(np.trunc(a._data) if a._data.dtype.kind == "f" else a._data.copy(), (a,),
                     _zero_backward, "trunc")


@method("round", function=True)
def round(a, *, decimals=0):  # shadows the builtin here, as torch.round does
    """Round half to even (to ``decimals`` places); the gradient is zero."""
    kind = a._data.dtype.kind
    if kind == "f":
        data = np.round(a._data, decimals)
    elif decimals or kind == "b":  # integers round to themselves, but only at 0 decimals
        kernel = "round_vml_cpu" if not decimals else "round_cpu"
        raise NotImplementedError(f'"{kernel}" not implemented for '
                                  f"'{scalar_type_name(a._data.dtype)}'")
    else:
        data = a._data.copy()
    return make_node(data, (a,), _zero_backward, "round")
