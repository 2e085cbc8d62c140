"""Custom differentiable operations: subclass ``Function``, write forward and backward.

Example (prose, as in PyTorch's docs): the Legendre polynomial P3(x) = 0.5 * (5x^3 - 3x)
is a Function whose ``forward(ctx, x)`` saves ``x`` with ``ctx.save_for_backward(x)`` and
returns ``0.5 * (5 * x**3 - 3 * x)``, and whose ``backward(ctx, grad_output)`` reads
``x, = ctx.saved_tensors`` and returns ``grad_output * 1.5 * (5 * x**2 - 1)``. Call it as
``P3.apply(x)``; it then takes part in any larger graph like a built-in op.

A Function's result is a graph node like any built-in op's: the same ``make_node`` creates
it and the same backward walk calls it, so there is one registration mechanism.
"""

import numpy as np

from ninjagrad.tensors.broadcasting import unbroadcast
from ninjagrad.tensors.grad_mode import set_grad_mode
from ninjagrad.tensors.tensor import (
    Tensor,
    _counter,
    _wrap,
    make_node,
    modified_error,
    saves,
    versions,
)


class Context:
    """The ``ctx`` handed to ``forward`` and ``backward``: save tensors here, and any other
    attribute you like (``ctx.dim = 1``)."""

    def __init__(self, needs_input_grad):
        self.needs_input_grad = needs_input_grad
        self._saved = ()
        self._versions = ()

    def save_for_backward(self, *tensors):
        """Keep tensors (or None) for ``backward``; read them back as ``ctx.saved_tensors``."""
        for i, t in enumerate(tensors):
            if t is not None and not isinstance(t, Tensor):
                raise TypeError(
                    f"save_for_backward can only save tensors or None, but argument {i} is "
                    f"of type {type(t).__name__}"
                )
        self._saved = tensors
        self._versions = versions(t for t in tensors if t is not None)

    @property
    def saved_tensors(self):
        """The saved tensors, checked like PyTorch's: none may have changed in place since."""
        saved = [t for t in self._saved if t is not None]
        for t, expected in zip(saved, self._versions, strict=True):
            if t._version != expected:
                raise modified_error(t, t._version, expected, self._name)
        return self._saved

    def __repr__(self):
        return f"Context(needs_input_grad={self.needs_input_grad})"


class Function:
    """Base class of differentiable operations with a hand-written backward.

    Subclass it with ``@staticmethod forward(ctx, *args)`` (Tensors and any other
    arguments; runs without building a graph) and ``@staticmethod backward(ctx,
    grad_output)`` returning one gradient (a Tensor, or None) per forward argument; then
    call ``MyFunction.apply(*args)``. ``ctx.needs_input_grad`` tells which arguments need a
    gradient. A gradient whose shape differs from its input's is summed back to it when the
    input was broadcast, and is an error otherwise.
    """

    @staticmethod
    def forward(ctx, *args):
        raise NotImplementedError("a Function subclass must define forward(ctx, *args)")

    @staticmethod
    def backward(ctx, *grad_outputs):
        raise NotImplementedError("a Function subclass must define backward(ctx, grad_output)")

    @classmethod
    def apply(cls, *args):
        """Run ``forward`` on ``args`` and record the result in the graph."""
        needs = []
        any_needs = False
        for a in args:  # a loop, not a generator: apply is on the hot path of F's ops
            need = a.__class__ is Tensor and a._rg
            needs.append(need)
            any_needs = any_needs or need
        ctx = Context(tuple(needs))
        ctx._name = cls.__name__
        previous = set_grad_mode(False)
        try:
            out = cls.forward(ctx, *args)
        finally:
            set_grad_mode(previous)
        if not isinstance(out, Tensor):
            raise TypeError(
                f"{cls.__name__}.forward must return a Tensor, got {type(out).__name__}"
            )
        if not (previous and any_needs):
            return out
        positions = tuple(i for i, a in enumerate(args) if isinstance(a, Tensor))
        parents = tuple(args[i] for i in positions)
        # a new node, so a tensor that forward saved (even its own result) never points
        # back at the node that holds the ctx: no reference cycle
        node = make_node(
            out._data, parents,
            _function_backward_saving if ctx._saved else _function_backward, cls.__name__,
            {"cls": cls, "ctx": ctx, "positions": positions, "nargs": len(args)},
        )
        node._vc = _counter(out)  # the same storage: a change of either is seen by both
        return node

    def __repr__(self):
        return f"<Function {type(self).__name__}>"


def _function_backward(node, g, cls, ctx, positions, nargs):
    grads = cls.backward(ctx, _wrap(g))
    if not isinstance(grads, tuple):
        grads = (grads,)
    if len(grads) != nargs:
        raise RuntimeError(
            f"function {cls.__name__}.backward returned an incorrect number of gradients "
            f"(expected {nargs}, got {len(grads)})"
        )
    out = []
    for pos, parent in zip(positions, node.parents, strict=True):
        grad = grads[pos]
        if grad is None or not parent._rg:
            out.append(None)
            continue
        arr = grad._data if isinstance(grad, Tensor) else np.asarray(grad)
        shape = parent._data.shape
        if arr.shape != shape:
            try:
                fits = np.broadcast_shapes(shape, arr.shape) == arr.shape
            except ValueError:
                fits = False
            if not fits:
                raise RuntimeError(
                    f"function {cls.__name__}.backward returned an invalid gradient at index "
                    f"{pos} - got {list(arr.shape)} but expected shape compatible with "
                    f"{list(shape)}"
                )
            arr = unbroadcast(arr, shape)
        out.append(arr)
    return out



# A Function that saved tensors is freed after backward (a second backward raises), as in
# PyTorch; one that saved none may run again.
def _function_backward_saving(node, g, cls, ctx, positions, nargs):
    return _function_backward(node, g, cls, ctx, positions, nargs)


_function_backward_saving.__dict__.update(_function_backward.__dict__)  # any other flags
saves()(_function_backward_saving)
