"""Python's operators on tensors: ``+ - * / ** @``, unary ``-`` and the comparisons.

Each arithmetic operator is two primitives: one for two tensors (broadcasting, undone in
the backward by ``unbroadcast``) and one for a tensor and a Python number (no broadcasting
to undo, and PyTorch's rule that a number does not widen the tensor's dtype). ``binary``
joins them into the method Python calls, with a Tensor, a numpy array or a number on the
other side.
"""

import math

import numpy as np

from ninjagrad.tensors import grad_mode
from ninjagrad.tensors.broadcasting import broadcast_error, unbroadcast
from ninjagrad.tensors.grad_fn import HIDDEN, matmul_fold, matmul_folds
from ninjagrad.tensors.ops.operands import (
    binary_node,
    elementwise,
    operand,
    pair,
    row_major,
    scalar_array,
    true_div,
)
from ninjagrad.tensors.ops.shape import transpose
from ninjagrad.tensors.tensor import OUT, Tensor, _wrap, found_plain, make_node, method, saves


def binary(tensor_op, scalar_op):
    """The operator method ``a <op> other``: ``tensor_op(a, other)`` when other is a Tensor
    or an array, ``scalar_op(a, other)`` when it is a number."""

    def operator(self, other):
        cls = other.__class__
        if cls is Tensor:
            return tensor_op(self, other)
        if cls is float or cls is int:
            return scalar_op(self, other)
        other = operand(other)
        if other is None:
            return NotImplemented
        if isinstance(other, Tensor):
            return tensor_op(self, other)
        return scalar_op(self, other)

    return operator


def reflected(tensor_op, scalar_op):
    """The reflected operator ``other <op> a`` (``__radd__``...), other not a Tensor."""

    # Apart from binary, not a flag on it: every operator call would pay for the branch.
    def operator(self, other):
        cls = other.__class__
        if cls is float or cls is int:
            return scalar_op(self, other)
        other = operand(other)
        if other is None:
            return NotImplemented
        if isinstance(other, Tensor):
            return tensor_op(other, self)
        return scalar_op(self, other)

    return operator


def _pass_backward(node, g):
    return (g,)


def _neg_backward(node, g):
    return (-g,)


# ------------------------------------------------------------------------------------ a + b
def add(a, b):
    return binary_node(np.add, a, b, _add_backward, "add")


def _add_backward(node, g):
    a, b = node.parents
    return unbroadcast(g, a._data.shape), unbroadcast(g, b._data.shape)


def add_scalar(a, c):
    return make_node(scalar_array(a, c) + c, (a,), _pass_backward, "add")


method("__add__")(binary(add, add_scalar))
method("__radd__")(reflected(add, add_scalar))


# ------------------------------------------------------------------------------------ a - b
_BOOL_SUB = (
    "Subtraction, the `-` operator, with a bool tensor is not supported. If you are trying "
    "to invert a mask, use the `~` or `logical_not()` operator instead."
)


def sub(a, b):
    if a._data.dtype.kind == "b" or b._data.dtype.kind == "b":
        raise RuntimeError(_BOOL_SUB)
    return binary_node(np.subtract, a, b, _sub_backward, "sub")


def _sub_backward(node, g):
    a, b = node.parents
    if not b._rg:
        return unbroadcast(g, a._data.shape), None
    shape = b._data.shape
    if g.shape == shape:
        gb = -g
    else:  # negated after reducing (the reduced gradient is often much smaller) ...
        gb = -unbroadcast(g, shape)
        gb += 0.0  # ... but PyTorch sums -g from +0.0: a zero sum is +0.0, never -0.0
    return unbroadcast(g, a._data.shape), gb


def sub_scalar(a, c):
    if a._data.dtype.kind == "b" or c.__class__ is bool:
        raise RuntimeError(_BOOL_SUB)
    return make_node(scalar_array(a, c) - c, (a,), _pass_backward, "sub")


def rsub_scalar(a, c):
    """``c - a``."""
    if a._data.dtype.kind == "b" or c.__class__ is bool:
        raise RuntimeError(_BOOL_SUB)
    return make_node(c - scalar_array(a, c), (a,), _neg_backward, "rsub")


method("__sub__")(binary(sub, sub_scalar))
method("__rsub__")(reflected(sub, rsub_scalar))


# ------------------------------------------------------------------------------------ a * b
def mul(a, b):
    return binary_node(np.multiply, a, b, _mul_backward, "mul")


@saves((0, 1), (1, 0))
def _mul_backward(node, g):
    a, b = node.parents
    x, y = pair(a, b)
    ga = unbroadcast(g * y, x.shape) if a._rg else None
    gb = unbroadcast(g * x, y.shape) if b._rg else None
    return ga, gb


def mul_scalar(a, c):
    return make_node(scalar_array(a, c) * c, (a,), _mul_scalar_backward, "mul", {"c": c})


@saves()
def _mul_scalar_backward(node, g, c):
    return (g * c,)


method("__mul__")(binary(mul, mul_scalar))
method("__rmul__")(reflected(mul, mul_scalar))


# ------------------------------------------------------------------------------------ a / b
def div(a, b):
    return binary_node(np.true_divide, a, b, _div_backward, "div", true_div)


@saves((0, 1), 1)
def _div_backward(node, g):
    a, b = node.parents
    x, y = pair(a, b)
    x, y = true_div(x), true_div(y)
    ga = unbroadcast(g / y, x.shape) if a._rg else None
    # PyTorch's order, -g * ((x / y) / y): the same bits (-g * x / (y * y) differed in the
    # last one for 46% of random inputs) and the same overflow (g * x passes float32's
    # range first: -inf where PyTorch gives -9.9e37; function 12194 of seed 20261212)
    gb = unbroadcast(-g * ((x / y) / y), y.shape) if b._rg else None
    return ga, gb


def div_scalar(a, c):
    x = true_div(scalar_array(a, c))
    return make_node(x / c, (a,), _div_scalar_backward, "div", {"c": c})


@saves()
def _div_scalar_backward(node, g, c):
    return (g / c,)


def rdiv_scalar(a, c):
    """``c / a``, computed as PyTorch does: ``a.reciprocal() * c``."""
    r = 1 / true_div(scalar_array(a, c))
    # the reciprocal is the op's own copy: changing a or the result in place cannot reach it
    return make_node(r * c, (a,), _rdiv_scalar_backward, "rdiv", {"c": c, "r": r})


@saves()
def _rdiv_scalar_backward(node, g, c, r):
    # d(c/x)/dx = -c/x**2 = -c * r**2, rounded in PyTorch's order (reciprocal's backward)
    return (-(g * c) * (r * r),)


method("__truediv__")(binary(div, div_scalar))
method("__rtruediv__")(reflected(div, rdiv_scalar))


# ----------------------------------------------------------------------------------- a ** b
_BOOL_POW = "\"pow\" not implemented for 'Bool'"
_NEGATIVE_POWER = "Integers to negative integer powers are not allowed."


def pow_(a, b):
    x, y = pair(a, b)
    kind = x.dtype.kind
    if kind == "b":
        raise NotImplementedError(_BOOL_POW)
    if kind in "iu":
        return make_node(_integer_power(x, y), (a, b), _pow_backward, "pow")
    return make_node(elementwise(_power, x, y), (a, b), _pow_backward, "pow")


def _power(x, y):
    """``x ** y`` elementwise, as C's pow (PyTorch's tensor ** tensor). numpy takes a
    one-element exponent such as 0.5 for a scalar and computes a square root instead: nan,
    not inf, for (-inf) ** 0.5, and -0.0 for (-0.0) ** 0.5; an exponent array as large as
    the result goes through pow."""
    if y.size == 1 and x.dtype.kind == "f":
        shape = np.broadcast_shapes(x.shape, y.shape)
        whole = shape or (1,)
        out = np.power(np.broadcast_to(x, whole), np.full(whole, y.reshape(()), y.dtype))
        return out.reshape(shape)
    return np.power(x, y)


def _integer_power(x, y):
    """PyTorch's integer powers: a negative exponent gives 0, except for bases 1 and -1."""
    try:
        np.broadcast_shapes(x.shape, y.shape)
    except ValueError:
        raise broadcast_error(x, y) from None
    negative = y < 0
    if not negative.any():
        return np.power(x, y)
    out = np.power(x, np.where(negative, 0, y))
    odd = (y % 2).astype(bool)
    inverse = np.where(x == 1, 1, np.where(x == -1, np.where(odd, -1, 1), 0)).astype(out.dtype)
    return np.where(negative, inverse, out)


@saves(0, 1, OUT)
def _pow_backward(node, g):
    a, b = node.parents
    x, y = pair(a, b)
    ga = gb = None
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        if a._rg:
            if b._data.dtype.kind == "b":  # PyTorch computes y - 1 here, which bool refuses
                raise RuntimeError(_BOOL_SUB)
            # d(x**0)/dx is 0 even where y * x**(y-1) is 0 * inf
            ga = unbroadcast(np.where(y == 0, 0, g * (y * _power(x, y - 1))), x.shape)
        if b._rg:
            # x log x -> 0 as x -> 0 for y >= 0; elsewhere x <= 0 gives what log gives
            # (nan, -inf), as in PyTorch
            gb = unbroadcast(g * np.where((x == 0) & (y >= 0), 0, node._data * np.log(x)),
                             y.shape)
    return ga, gb


def pow_scalar(a, c):
    x = scalar_array(a, c)
    kind = x.dtype.kind
    if kind in "biu" and isinstance(c, (int, np.integer)):
        if c < 0:
            raise RuntimeError(_NEGATIVE_POWER)
        if kind == "b" and c.__class__ is bool:  # bool ** bool stays bool
            return make_node(x if c else np.ones_like(x), (a,), _pow_scalar_backward, "pow",
                             {"c": c})
    return make_node(_scalar_power(x, c), (a,), _pow_scalar_backward, "pow", {"c": c})


def _scalar_power(x, c):
    """``x ** c``, with PyTorch's kernels for the exponents it special-cases in floats:
    square roots for +-0.5, where its kernel and numpy's power differ beyond rounding
    ((-0) ** 0.5 is -0, (-0) ** -0.5 is -inf and (-inf) ** -0.5 is nan there), and products
    for 2, 3 and -2 (numpy's power of float32 ``x ** 3`` is an ulp off PyTorch's ``x * x *
    x`` for a quarter of all inputs, enough to turn a variance of equal values from 0 to
    not)."""
    if x.dtype.kind == "f":
        if c == 0.5 or c == -0.5:
            return np.sqrt(x) if c > 0 else 1 / np.sqrt(x)
        if c == 2 or c == 3:
            return x * x if c == 2 else x * x * x
        if c == -2:
            return 1 / (x * x)
    return x ** c


@saves(0)
def _pow_scalar_backward(node, g, c):
    x = node.parents[0]._data
    if c == 2:
        return (g * (2 * x),)
    if c == 0:  # x**0 is constant: 0 * x**-1 would be NaN at x = 0
        return (np.zeros_like(g),)
    return (g * (c * _scalar_power(x, c - 1)),)


def rpow_scalar(a, c):
    """``c ** a``."""
    x = scalar_array(a, c)
    kind = x.dtype.kind
    if kind == "b" and c.__class__ is bool:
        raise NotImplementedError(_BOOL_POW)
    # row-major whatever a's layout: PyTorch allocates pow(Scalar, Tensor)'s result so
    if kind in "biu" and isinstance(c, (int, np.integer)):
        base = np.asarray(c, dtype=np.int64 if kind == "b" else x.dtype)
        return make_node(row_major(_integer_power(base, x)), (a,), _rpow_scalar_backward,
                         "rpow", {"c": c})
    return make_node(row_major(c ** x), (a,), _rpow_scalar_backward, "rpow", {"c": c})


@saves(0, OUT)
def _rpow_scalar_backward(node, g, c):
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        if c == 0:  # as for x ** y: 0 where the exponent is >= 0
            return (g * np.where(node.parents[0]._data >= 0, 0, node._data * -math.inf),)
        # log of a negative base is nan, as PyTorch gives
        return (g * (node._data * (math.log(c) if c > 0 else math.nan)),)


method("__pow__", "pow")(binary(pow_, pow_scalar))
method("__rpow__")(reflected(pow_, rpow_scalar))


# ------------------------------------------------------------------------------------ a @ b
@method("matmul", function=True)
def matmul(a, b):
    """Matrix product of two tensors, with numpy's (and PyTorch's) rules for 1-D and batched
    operands."""
    x, y = a._data, b._data
    dtype = x.dtype
    # float32 and float64 known by identity (numpy has one object each); the rest tested
    if dtype is not y.dtype or dtype is not _FLOAT32 and dtype is not _FLOAT64:
        if dtype != y.dtype:
            raise _matmul_error(x, y)
        if dtype.kind == "b":
            kernel = "dot" if x.ndim == 1 and y.ndim == 1 else "addmm_impl_cpu_"
            raise NotImplementedError(f'"{kernel}" not implemented for \'Bool\'')
    try:
        out = x @ y
    except ValueError:
        raise _matmul_error(x, y) from None
    # two matrices, inner size above 1 (the lecture's every product): mm, no signed single
    # products, no fold; the tests below skipped (a plain a has no dimension of size 1)
    if x.ndim == 2 and y.ndim == 2 and (a._plain or a._plain is None and found_plain(a)
                                        or x.shape[1] != 1):
        return make_node(out, (a, b), _matmul_backward, "matmul")
    # an inner size of 1 is the only case where PyTorch's zeros can be -0.0 (_signed_products)
    if x.shape[-1] == 1 and x.ndim > 1 and y.ndim > 1 and _signed_products(x, y, a._rg, b._rg)[0]:
        out = x * y
    # PyTorch may fold a batch into one mm or mv, or read a batch through a copy: never for
    # two matrices or two 3-D batches of one size (the hot paths, which pay two or four
    # comparisons; len is the first dim, without a tuple)
    nx = x.ndim
    if nx != y.ndim or nx > 2 and (nx > 3 or len(x) != len(y)):
        return _folded_matmul(a, b, out)
    return make_node(out, (a, b), _matmul_backward, "matmul")


_FLOAT32, _FLOAT64 = np.dtype(np.float32), np.dtype(np.float64)


def _folded_matmul(a, b, out):
    """The result of ``a @ b`` where PyTorch may fold an N-D operand into a matrix for one mm
    or mv (grad_fn.matmul_fold): its view and copy semantics follow PyTorch's. Where the
    folded operand is a copy, PyTorch saves the copy, so later writes into the operand do
    not stop backward: the node's parent is then a copy too (hidden from grad_fn, as
    PyTorch's CloneBackward0 there is drawn by the edges). Where PyTorch's result is a view
    of the transposed product, it is one here: a transpose of a node holding that product."""
    x, y = a._data, b._data
    if y.ndim <= 2 and (x.ndim <= 2 or x.flags.c_contiguous):
        # mm, mv, dot; or a contiguous batch times a matrix (the WaveNet lecture's x @ W),
        # which PyTorch folds, or not, without a copy and into no view
        return make_node(out, (a, b), _matmul_backward, "matmul")
    fold = matmul_fold(x, y, a._rg, b._rg)
    if not grad_mode.enabled or not (a._rg or b._rg):
        parents = (a, b)
    elif fold is None:
        parents = _bmm_operands(a, b)
    else:
        parents = [a, b]
        big = fold[0]
        p = parents[big]
        if _copies(np.swapaxes(p._data, -1, -2) if big else p._data, 1):
            parents[big] = _fold_copy(p)  # backward reads the copy, as PyTorch's does
        parents = tuple(parents)
    if fold is None:
        return make_node(out, parents, _matmul_backward, "matmul")
    transposed = fold[2]
    if transposed and (out.shape[-1] == 1 or out.shape[-2] == 1 or not out.size):
        # PyTorch's result is the transpose of its hidden (..., m, n) product, which it
        # leaves as it is when already contiguous: a view
        hidden = make_node(np.ascontiguousarray(np.swapaxes(out, -1, -2)), parents,
                           _matmul_mT_backward, "matmul_mT")
        return transpose(hidden, -1, -2)
    return make_node(out, parents, _matmul_backward, "matmul")


def _bmm_operands(a, b):
    """``(a, b)``, or copies where PyTorch's bmm reads an operand through one: it expands
    each operand to the broadcast batch and reshapes that to a single batch dim, which
    copies unless the strides allow a view (batch dims broadcast from size 1 next to
    others, or batch dims out of order), and then saves the copy for backward."""
    x, y = a._data, b._data
    batch = np.broadcast_shapes(x.shape[:-2], y.shape[:-2])
    if len(batch) < 2:  # a single batch dim needs no merging
        return a, b
    parents = [a, b]
    for i, p in enumerate(parents):
        data = p._data
        saved = parents[1 - i]._rg  # bmm saves each operand for the other's gradient
        if saved and data.ndim > 1 and _copies(np.broadcast_to(data, batch + data.shape[-2:]),
                                                2):
            parents[i] = _fold_copy(p)
    return tuple(parents)


def _copies(data, keep):
    """Whether merging all but the last ``keep`` dims of ``data`` into one needs a copy."""
    if data.flags.c_contiguous:  # the common case, without numpy's slower reshape attempt
        return False
    shape = (math.prod(data.shape[:-keep]),) + data.shape[-keep:]
    try:
        np.reshape(data, shape, copy=False)
    except ValueError:
        return True
    return False


def _fold_copy(p):
    return make_node(np.array(p._data), (p,), _fold_copy_backward, "clone")


def _fold_copy_backward(node, g):
    return (g,)


HIDDEN.add(_fold_copy_backward)  # PyTorch's clone there is drawn by matmul's edges


@saves((0, 1), (1, 0))
def _matmul_mT_backward(node, g):
    return _matmul_backward(node, np.swapaxes(g, -1, -2))


@saves((0, 1), (1, 0))
def _matmul_backward(node, g):
    a, b = node.parents
    x, y = a._data, b._data
    if x.ndim == 2 and y.ndim == 2:  # mm's gradients are mm's: see _signed_products
        ga = gb = None
        if a._rg:  # inner size y.shape[1]
            ga = g * y.T if y.shape[1] == 1 and min(x.shape) > 1 else g @ y.T
        if b._rg:  # inner size x.shape[0]
            gb = x.T * g if x.shape[0] == 1 and min(y.shape) > 1 else x.T @ g
        return ga, gb
    # general case: treat vectors as matrices, then undo batch broadcasting
    x2 = x[None, :] if x.ndim == 1 else x
    y2 = y[:, None] if y.ndim == 1 else y
    batch = np.broadcast_shapes(x2.shape[:-2], y2.shape[:-2])
    g2 = g.reshape(batch + (x2.shape[-2], y2.shape[-1]))
    signed_a = signed_b = False
    if x2.shape[-2] == 1 or y2.shape[-1] == 1:  # else every gradient has inner sizes > 1
        _, signed_a, signed_b, summed = _signed_products(x, y, a._rg, b._rg)
    ga = gb = None
    if a._rg:
        yt = np.swapaxes(y2, -1, -2)
        if not signed_a:
            ga = unbroadcast(g2 @ yt, x2.shape)
        else:  # mm, mv and dot add no dims to sum but size-1 ones; summing would drop -0.0
            ga = unbroadcast(g2 * yt, x2.shape) if summed else g2 * yt
        ga = ga.reshape(x.shape)
    if b._rg:
        xt = np.swapaxes(x2, -1, -2)
        if not signed_b:
            gb = unbroadcast(xt @ g2, y2.shape)
        else:
            gb = unbroadcast(xt * g2, y2.shape) if summed else xt * g2
        gb = gb.reshape(y.shape)
    return ga, gb


# The sign of a zero in a @ b. numpy's matmul adds the products into sums that start at
# +0.0, so a zero comes out +0.0 even when every product is -0.0 (0 * -1); PyTorch 2.13's
# kernels mostly do the same, but some write each element as the one product it is when the
# inner size is 1, and some of PyTorch's gradients are elementwise products: there a zero
# keeps its sign, and a later division gives -inf where numpy's +0.0 gives inf. Which
# kernel runs depends on how PyTorch's matmul splits the product (measured on PyTorch 2.13,
# CPU, with MKL; tests/test_matmul_zero_sign.py compares every case with it):
# - 1-D @ 1-D is dot, 2-D @ 1-D mv, 1-D @ 2-D mm with one row, 2-D @ 2-D mm;
# - an N-D operand (N >= 3) with a 1-D or 2-D one is folded into one matrix, for mm or mv,
#   if the smaller one requires grad, or (except for a 2-D left operand) if the bigger one's
#   leading dims merge without a copy; a 3-D @ 3-D pair with different batch sizes first
#   drops a batch of one that requires grad;
# - anything else is bmm over the broadcast batch.
# mm (MKL's gemm) writes single products when the inner size is 1 and the output is at least
# 2 x 2; bmm too but only for a batch of one with at least 400 elements (smaller ones use a
# loop summing from +0.0; bigger batches MKL's batched gemm, which gives +0.0, unless a
# batch item is neither contiguous nor transposed: then PyTorch loops over gemm, which this
# rule does not follow, as it does not know the strides of PyTorch's gradients). The
# gradients of mm are mm's (g @ q.T and p.T @ g, each with its own inner size), of bmm
# bmm's; mv's gradient for its matrix is an outer product, dot's are g * other: single
# products always. A single product is computed here as the broadcast ``*`` of the same
# factors, exactly what the kernel gives (value and sign), so only the case is chosen here.
def _signed_products(x, y, x_rg, y_rg):
    """``(out, grad_x, grad_y, summed)`` for ``x @ y`` (the operands' arrays and whether they
    require grad): which of the three PyTorch computes as single products, and whether it
    sums a gradient over broadcast batch dims (bmm) rather than reshaping it (mm, mv, dot)."""
    kind, rows, inner, cols, batch, swapped = _matmul_kernel(x, y, x_rg, y_rg)
    if kind == "dot":
        return False, True, True, False
    if kind == "mv":  # the gradient for the matrix is an outer product, for the vector mv
        grad_p, grad_q = True, False
    else:  # p @ q, (rows x inner) by (inner x cols): g @ q.T and p.T @ g
        grad_p = _single_products(kind, rows, cols, inner, batch)
        grad_q = _single_products(kind, inner, rows, cols, batch)
    out = kind != "mv" and _single_products(kind, rows, inner, cols, batch)
    if swapped:
        return out, grad_q, grad_p, kind == "bmm"
    return out, grad_p, grad_q, kind == "bmm"


def _single_products(kind, rows, inner, cols, batch):
    """Whether PyTorch's mm or bmm writes a (rows x inner) by (inner x cols) product as
    single products."""
    if inner != 1 or rows < 2 or cols < 2:
        return False
    return kind == "mm" or (batch == 1 and rows * cols >= 400)


def _matmul_kernel(x, y, x_rg, y_rg):
    """The product PyTorch 2.13's matmul hands to a kernel: ``(kind, rows, inner, cols,
    batch, swapped)``, kind "dot", "mv", "mm" or "bmm", rows counting folded dims; swapped
    when the kernel's left operand is y's (a 1-D or 2-D x times an N-D y folds as
    ``y.mT @ x.T``)."""
    nx, ny = x.ndim, y.ndim
    inner = x.shape[-1]
    if nx <= 2 and ny <= 2:
        if nx == 1 and ny == 1:
            return "dot", 1, inner, 1, 1, False
        if ny == 1:
            return "mv", x.shape[0], inner, 1, 1, False
        return "mm", x.shape[0] if nx == 2 else 1, inner, y.shape[1], 1, False
    if nx == 3 and ny == 3 and x.shape[0] != y.shape[0]:
        if x.shape[0] == 1 and x_rg:
            return _matmul_kernel(x[0], y, x_rg, y_rg)
        if y.shape[0] == 1 and y_rg:
            return _matmul_kernel(x, y[0], x_rg, y_rg)
    if matmul_folds(x, y, x_rg, y_rg):
        if nx > ny:  # x as one (rows x inner) matrix
            rows = math.prod(x.shape[:-1])
            return ("mv", rows, inner, 1, 1, False) if ny == 1 else \
                ("mm", rows, inner, y.shape[1], 1, False)
        rows = math.prod(y.shape[:-2]) * y.shape[-1]  # y.mT as one matrix
        return ("mv", rows, inner, 1, 1, True) if nx == 1 else \
            ("mm", rows, inner, x.shape[0], 1, True)
    batch = math.prod(np.broadcast_shapes(x.shape[:-2], y.shape[:-2]))
    return "bmm", x.shape[-2] if nx > 1 else 1, inner, y.shape[-1] if ny > 1 else 1, batch, False


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


# ``matmul`` above is the checked function form; the operators call the method, the op itself.
@method("__matmul__")
def _matmul_operator(self, other):
    if other.__class__ is not Tensor:
        other = operand(other)
        if not isinstance(other, Tensor):
            return NotImplemented
    return self.matmul(other)


@method("__rmatmul__")
def _rmatmul_operator(self, other):
    other = operand(other)
    if not isinstance(other, Tensor):
        return NotImplemented
    return other.matmul(self)


# --------------------------------------------------------------------------------------- -a
@method("__neg__")
def neg(a):
    x = a._data
    if x.dtype.kind == "b":
        raise RuntimeError(
            "Negation, the `-` operator, on a bool tensor is not supported. If you are trying "
            "to invert a mask, use the `~` or `logical_not()` operator instead."
        )
    return make_node(-x, (a,), _neg_backward, "neg")


# ------------------------------------------------------------------------------ comparisons
def _comparison(ufunc):
    """``a <op> other`` elementwise, as a bool tensor outside the graph."""

    def compare(a, b):
        other = operand(b)
        if other is None:
            return NotImplemented
        # compared in PyTorch's result dtype, like arithmetic: a float32 tensor against a
        # float64 0-d one compares float32 values (-1.32 == -1.32), not numpy's float64
        if isinstance(other, Tensor):
            x, y = pair(a, other)
        else:
            x, y = scalar_array(a, other), other
        try:
            return _wrap(np.asarray(ufunc(x, y)))
        except ValueError:
            raise broadcast_error(x, np.asarray(y)) from None

    compare.__name__ = ufunc.__name__
    return compare


method("__eq__")(_comparison(np.equal))
method("__ne__")(_comparison(np.not_equal))
method("__lt__")(_comparison(np.less))
method("__le__")(_comparison(np.less_equal))
method("__gt__")(_comparison(np.greater))
method("__ge__")(_comparison(np.greater_equal))


# ------------------------------------------------------------- function forms of operators
neg = method("neg", "negative", function=True)(neg)
negative = neg


def pow(input, exponent):  # shadows the builtin here, as torch.pow does
    """``input ** exponent``; either may be a Python number, the other a Tensor."""
    if isinstance(input, Tensor):
        return input ** exponent
    if isinstance(exponent, Tensor):
        return exponent.__rpow__(input)
    raise TypeError(
        f"pow(): expected a Tensor as input or exponent, got {type(input).__name__} and "
        f"{type(exponent).__name__}"
    )


# ------------------------------------------------------------------------- a % b and a // b
def _integer_division(kernel, x, y):
    """PyTorch's refusals for ``x // y`` and ``x % y`` of integers and bools, where numpy
    answers: a zero divisor raises (numpy gives 0 with a warning), bools have no kernel.
    Floats divide by zero to inf and nan in both, so they pass through untouched."""
    kind = x.dtype.kind
    if kind == "f":
        return
    if kind == "b":
        raise NotImplementedError(f'"{kernel}" not implemented for \'Bool\'')
    if not np.all(y) and np.size(x) and np.size(y):  # (PyTorch checks element by element:
        raise RuntimeError("ZeroDivisionError")      # an empty result divides nothing)


def _zero_sign(r, dividend):
    """``r``, a float remainder, with PyTorch's zeros: PyTorch computes ``fmod`` and adds
    the divisor where the signs differ, so an exact 0 keeps the dividend's sign
    (``-1.5 % 0.5`` is -0.0, ``2.0 % -1.0`` is +0.0); numpy's takes the divisor's."""
    if r.dtype.kind == "f":
        r = np.asarray(r)
        np.copysign(r, dividend, out=r, where=r == 0)
    return r


def remainder(a, b):
    """``a % b`` with the sign of ``b`` (Python's and PyTorch's rule)."""
    x, y = pair(a, b)
    _integer_division("remainder_cpu", x, y)
    return make_node(_zero_sign(elementwise(np.mod, x, y), x), (a, b), _remainder_backward,
                     "remainder")


def _remainder_backward(node, g):
    a, b = node.parents
    x, y = pair(a, b)
    ga = unbroadcast(g, x.shape) if a._rg else None  # a % b = a - floor(a / b) * b
    gb = unbroadcast(-g * np.floor(x / y), y.shape) if b._rg else None
    return ga, gb


def remainder_scalar(a, c):
    x = scalar_array(a, c)
    _integer_division("remainder_cpu", x, c)
    return make_node(_zero_sign(x % c, x), (a,), _pass_backward, "remainder")


def rremainder_scalar(a, c):
    """``c % a``: not differentiable in PyTorch, so its backward refuses too."""
    x = scalar_array(a, c)
    _integer_division("remainder_cpu", x, x)
    return make_node(_zero_sign(c % x, c), (a,), _rremainder_backward, "rremainder")


def _rremainder_backward(node, g):
    raise RuntimeError("derivative for aten::remainder is not implemented (number % tensor)")


method("__mod__", "remainder")(binary(remainder, remainder_scalar))
method("__rmod__")(reflected(remainder, rremainder_scalar))


def floor_divide(a, b):
    """``a // b``, rounded down; not differentiable (its backward refuses, as PyTorch's)."""
    x, y = pair(a, b)
    _integer_division("div_floor_cpu", x, y)
    return make_node(elementwise(np.floor_divide, x, y), (a, b), _floor_divide_backward,
                     "floor_divide")


def floor_divide_scalar(a, c):
    x = scalar_array(a, c)
    _integer_division("div_floor_cpu", x, c)
    return make_node(x // c, (a,), _floor_divide_backward, "floor_divide")


def rfloor_divide_scalar(a, c):
    x = scalar_array(a, c)
    _integer_division("div_floor_cpu", x, x)
    return make_node(c // x, (a,), _floor_divide_backward, "floor_divide")


def _floor_divide_backward(node, g):
    raise RuntimeError("the derivative for 'floor_divide' is not implemented")


method("__floordiv__", "floor_divide")(binary(floor_divide, floor_divide_scalar))
method("__rfloordiv__")(reflected(floor_divide, rfloor_divide_scalar))
