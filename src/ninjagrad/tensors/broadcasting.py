"""The one broadcasting policy: numpy broadcasts in the forward pass, ``unbroadcast`` undoes
it in the backward pass, and ``broadcast_error`` says in PyTorch's words when shapes do not fit.

The lecture's duality, written once: a broadcast in the forward pass is a sum in the
backward pass (and a sum in the forward pass is a broadcast in the backward pass).
"""


import numpy as np

_add_reduce = np.add.reduce


def unbroadcast(grad, shape):
    """Sum ``grad`` over the dimensions that broadcasting added or stretched, so it gets
    ``shape`` back."""
    have = grad.shape
    if have == shape:
        return grad
    lead = len(have) - len(shape)
    axes = list(range(lead))
    for i, n in enumerate(shape):  # a loop, not a generator: this runs in every backward
        if n == 1 and have[lead + i] != 1:
            axes.append(lead + i)
    if axes:  # add.reduce: ndarray.sum is a Python wrapper around it (~0.7 us a call)
        grad = _add_reduce(grad, tuple(axes), keepdims=True)
    return grad.reshape(shape)


def broadcast_error(a, b):
    """PyTorch's wording for arrays whose shapes do not broadcast."""
    sa, sb = a.shape, b.shape
    for i in range(1, max(len(sa), len(sb)) + 1):
        x = sa[-i] if i <= len(sa) else 1
        y = sb[-i] if i <= len(sb) else 1
        if x != y and x != 1 and y != 1:
            dim = max(len(sa), len(sb)) - i
            return RuntimeError(
                f"The size of tensor a ({x}) must match the size of tensor b ({y}) at "
                f"non-singleton dimension {dim} (shapes {tuple(sa)} and {tuple(sb)})"
            )
    return RuntimeError(f"shapes {tuple(sa)} and {tuple(sb)} cannot be broadcast together")
