"""Custom differentiable operations: subclass ``Function``, write forward and backward.

Example (prose, as in PyTorch's docs): the Legendre polynomial P3(x) = 0.5 * (5x^3 - 3x)
is a Function whose ``forward(ctx, x)`` saves ``x`` with ``ctx.save_for_backward(x)`` and
returns ``0.5 * (5 * x**3 - 3 * x)``, and whose ``backward(ctx, grad_output)`` reads
``x, = ctx.saved_tensors`` and returns ``grad_output * 1.5 * (5 * x**2 - 1)``. Call it as
``P3.apply(x)``; it then takes part in any larger graph like a built-in op.

A Function's result is a graph node like any built-in op's: the same ``make_node`` creates
it and the same backward walk calls it, so there is one registration mechanism.
"""

import types

import numpy as np

from ninjagrad.tensors import tensor as engine
from ninjagrad.tensors.broadcasting import unbroadcast
from ninjagrad.tensors.grad_fn import OUTPUTS
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

    # defaults as class attributes: apply makes a Context per call, on F's hot path
    _saved = ()
    _versions = ()
    _saved_at = 0  # the in-place clock (tensor._epoch) when the tensors were saved
    materialize_grads = True
    non_differentiable = ()

    def __init__(self, needs_input_grad, name="Function"):
        self.needs_input_grad = needs_input_grad
        self._name = name

    def save_for_backward(self, *tensors):
        """Keep tensors (or None) for ``backward``; read them back as ``ctx.saved_tensors``."""
        saved = []
        for i, t in enumerate(tensors):
            if t is not None:
                if not isinstance(t, Tensor):
                    raise TypeError(
                        f"save_for_backward can only save tensors or None, but argument {i} "
                        f"is of type {type(t).__name__}"
                    )
                saved.append(t)
        self._saved = tensors
        self._versions = versions(saved)
        self._saved_at = engine._epoch

    @property
    def saved_tensors(self):
        """The saved tensors, checked like PyTorch's: none may have changed in place since."""
        if self._saved_at != engine._epoch:  # else nothing was written in place since
            saved = [t for t in self._saved if t is not None]
            for t, expected in zip(saved, self._versions, strict=True):
                if t._version != expected:
                    raise modified_error(t, t._version, expected,
                                         f"{self._name}Backward")
        return self._saved

    def mark_non_differentiable(self, *tensors):
        """Outputs of ``forward`` that get no gradient (``requires_grad=False``); ``backward``
        still receives a zero gradient for each of them."""
        self.non_differentiable = self.non_differentiable + tensors

    def set_materialize_grads(self, value):
        """With False, ``backward`` receives None (not zeros) for an output that got no
        gradient."""
        self.materialize_grads = bool(value)

    def __repr__(self):
        return f"Context(needs_input_grad={self.needs_input_grad})"


class Function:
    """Base class of differentiable operations with a hand-written backward.

    Subclass it with ``@staticmethod forward(ctx, *args)`` (Tensors and any other
    arguments; runs without building a graph; returns a Tensor or a tuple of outputs) and
    ``@staticmethod backward(ctx, *grad_outputs)`` (one gradient per output, zeros for an
    output that got none) returning one gradient (a Tensor, or None) per forward argument;
    then call ``MyFunction.apply(*args)``. ``ctx.needs_input_grad`` tells which arguments
    need a gradient. A gradient whose shape differs from its input's is summed back to it
    when the input was broadcast, and is an error otherwise.
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
        # one loop, not generators: apply is on the hot path of F's ops
        needs = []
        parents = []  # the Tensor arguments ...
        positions = []  # ... and where they are
        any_needs = False
        for i, a in enumerate(args):
            if isinstance(a, Tensor):
                parents.append(a)
                positions.append(i)
                needs.append(a._rg)
                any_needs = any_needs or a._rg
            else:
                needs.append(False)
        ctx = Context(tuple(needs), cls.__name__)
        previous = set_grad_mode(False)
        try:
            out = cls.forward(ctx, *args)
        finally:
            set_grad_mode(previous)
        several = out.__class__ is tuple or isinstance(out, tuple)
        if not several and not isinstance(out, Tensor):
            raise TypeError(
                f"{cls.__name__}.forward must return a Tensor or a tuple, got "
                f"{type(out).__name__}"
            )
        if not (previous and any_needs):
            return out
        parents = tuple(parents)
        saved = {"cls": cls, "ctx": ctx, "positions": tuple(positions), "nargs": len(args),
                 "outputs": None}  # None: the one output is the node itself
        # a Function that saved tensors is freed after backward, as in PyTorch
        backward = _function_backward_saving if ctx._saved else _function_backward
        if not several:
            if not _differentiable(out, ctx):
                return _wrap(out._data)
            # a new node, so a tensor that forward saved (even its own result) never points
            # back at the node that holds the ctx: no reference cycle
            node = make_node(out._data, parents, backward, cls.__name__, saved)
            node._vc = _counter(out)  # the same storage: a change of either is seen by both
            return node
        # what backward needs to make a zero gradient for each output (None: not a tensor)
        saved["outputs"] = tuple((o._data.shape, o._data.dtype) if isinstance(o, Tensor)
                                 else None for o in out)
        # Several outputs: one node runs backward once with every output's gradient; each
        # output is a node of its own that hands its gradient to it.
        node = make_node(np.empty(0), parents, backward, cls.__name__, saved)
        results = []
        for i, o in enumerate(out):
            if not isinstance(o, Tensor):
                results.append(o)
            elif _differentiable(o, ctx):
                result = make_node(o._data, (node,), _output_backward, cls.__name__,
                                   {"index": i})
                result._vc = _counter(o)  # shares the forward result's storage
                results.append(result)
            else:
                results.append(_wrap(o._data))
        return tuple(results)

    def __repr__(self):
        return f"<Function {type(self).__name__}>"


def _differentiable(out, ctx):
    """Whether an output of forward gets a gradient: floating, and not marked otherwise."""
    if out._data.dtype.kind not in "fc":
        return False
    for t in ctx.non_differentiable:
        if out is t:
            return False
    return True


class _OutputGrads:
    """The gradients of a Function's outputs, by output index, as the backward walk adds
    them up on the Function's node (``+`` merges)."""

    __slots__ = ("by_index",)
    dtype = None  # no one dtype: the backward walk leaves it as it is (tensor._in_dtype_of)

    def __init__(self, by_index):
        self.by_index = by_index

    def __add__(self, other):
        merged = dict(self.by_index)
        for i, g in other.by_index.items():
            merged[i] = g if i not in merged else merged[i] + g
        return _OutputGrads(merged)

    def __repr__(self):
        return f"_OutputGrads({sorted(self.by_index)})"


def _output_backward(node, g, index):
    return (_OutputGrads({index: g}),)


OUTPUTS.add(_output_backward)  # its grad_fn is the Function's node, as in PyTorch


def _function_backward(node, g, cls, ctx, positions, nargs, outputs):
    if outputs is None and g is not None:  # the common case: one output, one gradient
        grads = cls.backward(ctx, _wrap(g))
    else:
        grads = cls.backward(ctx, *_grad_outputs(node, g, ctx, outputs))
    if grads.__class__ is not tuple:
        grads = (grads,)
    if len(grads) != nargs:
        grads = _trim_trailing_nones(cls, grads, nargs)
    if len(positions) != nargs:
        _check_no_grad_for_non_tensors(cls, grads, positions)
    out = []
    for pos, parent in zip(positions, node.parents, strict=True):
        grad = grads[pos]
        if grad is None or not parent._rg:
            out.append(None)
            continue
        if grad.__class__ is Tensor or isinstance(grad, Tensor):
            arr = grad._data
        elif isinstance(grad, np.ndarray):
            arr = np.asarray(grad)  # a plain array, also of a tensor's .data
        else:
            raise TypeError(f"function {cls.__name__}Backward: expected Variable or None (got "
                            f"{type(grad).__name__}) for the gradient at index {pos}")
        shape = parent._data.shape
        if arr.shape != shape:
            arr = _summed_to(cls, arr, shape, pos)
        out.append(arr)  # the backward walk casts it to the input's dtype, as for every op
    return out


def _trim_trailing_nones(cls, grads, nargs):
    """``grads`` cut to ``nargs``: extra trailing Nones are accepted, as in PyTorch."""
    if len(grads) < nargs or any(x is not None for x in grads[nargs:]):
        raise RuntimeError(
            f"function {cls.__name__}Backward returned an incorrect number of gradients "
            f"(expected {nargs}, got {len(grads)})"
        )
    return grads[:nargs]


def _check_no_grad_for_non_tensors(cls, grads, positions):
    for pos, grad in enumerate(grads):
        if grad is not None and pos not in positions:
            raise RuntimeError(
                f"function {cls.__name__}Backward returned a gradient different than None at "
                f"position {pos + 1}, but the corresponding forward input was not a Variable"
            )


def _summed_to(cls, arr, shape, pos):
    """A gradient of a broadcast input summed back to its shape; any other shape refused."""
    try:
        fits = np.broadcast_shapes(shape, arr.shape) == arr.shape
    except ValueError:
        fits = False
    if not fits:
        raise RuntimeError(
            f"Function {cls.__name__}Backward returned an invalid gradient at index {pos} - "
            f"got {list(arr.shape)} but expected shape compatible with {list(shape)}"
        )
    return unbroadcast(arr, shape)


def _grad_outputs(node, g, ctx, outputs):
    """One gradient per output of forward: what arrived, else zeros (None without
    materialized grads, and for outputs that are not tensors)."""
    if g is None:  # no gradient reached this Function (see `materializes` below)
        by_index = {}
    elif isinstance(g, _OutputGrads):
        by_index = g.by_index
    else:
        by_index = {0: g}
    if outputs is None:
        outputs = ((node._data.shape, node._data.dtype),)
    grad_outputs = []
    for i, meta in enumerate(outputs):
        grad = by_index.get(i)
        if grad is None and meta is not None and ctx.materialize_grads:
            grad = np.zeros(meta[0], dtype=meta[1])
        grad_outputs.append(None if grad is None else _wrap(grad))
    return grad_outputs


# The backward walk runs a Function even when no gradient reached it (another Function
# returned None for it): PyTorch then calls its backward with zeros (or None without
# materialized grads), so inputs further back get zero gradients rather than none.
_function_backward.materializes = True


# A Function that saved tensors is freed after backward (a second backward raises), as in
# PyTorch; one that saved none may run again.
# The same code as a second function object, so it can carry the flag: a wrapper calling
# _function_backward would cost one more Python call per Function node in every backward.
_function_backward_saving = types.FunctionType(
    _function_backward.__code__, _function_backward.__globals__, "_function_backward_saving")
_function_backward_saving.__dict__.update(_function_backward.__dict__)  # any other flags
saves()(_function_backward_saving)
