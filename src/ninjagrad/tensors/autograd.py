"""``autograd.grad`` and ``autograd.backward``: the backward walk from several outputs, as
PyTorch's ``torch.autograd`` functions take them.

``grad`` returns the gradients of the outputs with respect to the given inputs and leaves
every ``.grad`` alone; ``backward`` adds into ``.grad`` as ``Tensor.backward`` does, from
several outputs at once. Both run the engine's one walk (``tensor._run_backward``) from a
root node whose parents are the outputs and whose backward hands each its seed gradient.
"""

import numpy as np

from ninjagrad.tensors.grad_mode import set_grad_mode
from ninjagrad.tensors.tensor import Tensor, _run_backward, _wrap


class _Outputs:
    """The walk's starting point: every output is its parent, each receives its seed."""

    # the attributes the walk reads and writes on every node (_mark: a walk may mark nodes)
    __slots__ = ("parents", "_g", "_rg", "_retain", "_saved", "_mark")
    _backward = staticmethod(lambda node, g, seeds: seeds)

    def __init__(self, outputs, seeds):
        self.parents = tuple(outputs)
        self._saved = {"seeds": seeds}
        self._g = None
        self._rg = True
        self._retain = False
        self._mark = None


def _as_tuple(tensors, what):
    if isinstance(tensors, Tensor):
        return (tensors,)
    tensors = tuple(tensors)
    for i, t in enumerate(tensors):
        if not isinstance(t, Tensor):
            raise TypeError(f"{what} must be Tensors, but element {i} is {type(t).__name__}")
    return tensors


def _seeds(outputs, grad_outputs):
    """The gradient flowing into each output (1 for a single-element output if not given)."""
    if grad_outputs is None or isinstance(grad_outputs, Tensor):
        grad_outputs = (grad_outputs,) * len(outputs) if grad_outputs is None else (grad_outputs,)
    grad_outputs = tuple(grad_outputs)
    if len(grad_outputs) != len(outputs):
        raise RuntimeError(f"grad can be implicitly created only for scalar outputs; got "
                           f"{len(grad_outputs)} gradients for {len(outputs)} outputs")
    seeds = []
    for i, (out, g) in enumerate(zip(outputs, grad_outputs, strict=True)):
        if not out._rg:
            raise RuntimeError(f"element {i} of tensors does not require grad and does not "
                               "have a grad_fn")
        if g is None:
            if out._data.size != 1:
                raise RuntimeError("grad can be implicitly created only for scalar outputs "
                                   f"(output {i} has shape {out._data.shape})")
            seeds.append(np.ones_like(out._data))
            continue
        arr = g._data if isinstance(g, Tensor) else np.asarray(g)
        if arr.shape != out._data.shape:
            raise RuntimeError(f"Mismatch in shape: grad_output[{i}] has a shape of "
                               f"{arr.shape} and output[{i}] has a shape of {out._data.shape}.")
        seeds.append(arr.astype(out._data.dtype, copy=False))
    return tuple(seeds)


def _walk(outputs, seeds, capture=None):
    root = _Outputs(outputs, seeds)
    previous = set_grad_mode(False)
    try:
        _run_backward(root, True, capture)
    finally:
        set_grad_mode(previous)


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False,
         allow_unused=None, *, materialize_grads=False):
    """The gradients of ``outputs`` (weighted by ``grad_outputs``) with respect to each of
    ``inputs``, as a tuple; no ``.grad`` is changed. An input the outputs do not depend on
    is an error unless ``allow_unused`` (then its gradient is None, or zeros with
    ``materialize_grads``)."""
    if create_graph:
        raise NotImplementedError(
            "autograd.grad(create_graph=True): ninjagrad's backward functions compute on numpy "
            "arrays, so gradients cannot themselves be differentiated (no double backward)"
        )
    outputs = _as_tuple(outputs, "outputs")
    inputs = _as_tuple(inputs, "inputs")
    for t in inputs:
        if not t._rg:
            raise RuntimeError("One of the differentiated Tensors does not require grad")
    capture = {id(t): None for t in inputs}
    _walk(outputs, _seeds(outputs, grad_outputs), capture)
    result = []
    for i, t in enumerate(inputs):
        g = capture[id(t)]
        if g is None:
            if not (allow_unused or materialize_grads):
                raise RuntimeError(
                    f"The differentiated Tensor at index {i} appears to not have been used in "
                    "the graph. Set allow_unused=True if this is the desired behavior."
                )
            result.append(_wrap(np.zeros_like(t._data)) if materialize_grads else None)
            continue
        result.append(_wrap(np.array(g, dtype=t._data.dtype)))  # a copy, like .grad's
    return tuple(result)


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, inputs=None):
    """Add the gradients of all of ``tensors`` (weighted by ``grad_tensors``) into ``.grad``
    of the leaves, as ``Tensor.backward`` does for one tensor."""
    if create_graph:
        raise NotImplementedError(
            "autograd.backward(create_graph=True): no double backward in ninjagrad"
        )
    if inputs is not None:
        raise NotImplementedError("autograd.backward(inputs=...) is not supported; use "
                                  "autograd.grad to get the gradients of chosen tensors")
    tensors = _as_tuple(tensors, "tensors")
    _walk(tensors, _seeds(tensors, grad_tensors))
