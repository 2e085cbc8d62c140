"""The memory layout PyTorch gives an elementwise result, where numpy's differs.

Whether ``reshape`` views or copies, and whether ``view`` works at all, depends on a
tensor's strides, so the results of ops must be laid out as PyTorch lays them out. For
operands that are all row-major (the usual case) both libraries give a row-major result.
When some operand is not, PyTorch's TensorIterator orders the result's dimensions by the
operands' strides, the first operand deciding unless its strides tie or it is broadcast
along one of the two dimensions compared (dimensions of size 1 take part with their
strides); numpy's rule differs for mixed layouts (a permuted tensor times a broadcast
row-major one, or size-1 dimensions with odd strides). ``torch_layout`` copies a result
into PyTorch's order when the two differ.
"""

import numpy as np


def torch_layout(out, *inputs):
    """``out`` (the result of an elementwise op of ``inputs``), laid out as PyTorch's."""
    if out.ndim < 2:
        return out
    shape = out.shape
    strides = [_broadcast_strides(x, shape) for x in inputs]

    def should_swap(d0, d1):  # 1: d1 moves faster than d0 in memory; -1: d0 does; 0: tie
        for s in strides:
            s0, s1 = s[d0], s[d1]
            if s0 == 0 or s1 == 0:
                continue
            if s0 != s1:
                return -1 if s0 < s1 else 1
            if shape[d0] > shape[d1]:
                return 1
        return 0

    perm = list(range(out.ndim - 1, -1, -1))  # fastest-moving dimension first
    for i in range(1, len(perm)):
        d1 = i
        for d0 in range(i - 1, -1, -1):
            swap = should_swap(perm[d0], perm[d1])
            if swap > 0:
                perm[d0], perm[d1] = perm[d1], perm[d0]
                d1 = d0
            elif swap < 0:
                break
    order = perm[::-1]  # slowest first: the order of the dimensions in memory
    wanted = np.empty([shape[d] for d in order], dtype=out.dtype).transpose(np.argsort(order))
    if _same_layout(wanted, out):
        return out
    wanted[...] = out
    return wanted


def _broadcast_strides(x, shape):
    """``x``'s strides for ``shape``: 0 along the dimensions it is broadcast over, its own
    elsewhere, a dimension of size 1 in both included (numpy's broadcast_to zeroes that one
    too; PyTorch compares it)."""
    lead = len(shape) - x.ndim
    return tuple(0 if d < lead or (x.shape[d - lead] == 1 and n != 1) else x.strides[d - lead]
                 for d, n in enumerate(shape))


def _same_layout(a, b):
    """The same strides wherever a dimension has more than one element."""
    return all(sa == sb for sa, sb, n in zip(a.strides, b.strides, a.shape, strict=True)
               if n > 1)
