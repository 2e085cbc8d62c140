"""Counting values into bins: ``histogram`` (the batchnorm lecture's look at activations) and
``histc``. No gradient flows through a count.

Both bin exactly as PyTorch's CPU kernels do, so the counts agree even for values that land
on a bin edge: ``histogram`` with a number of bins makes its edges with PyTorch's linspace
and puts each value in the bin whose edges enclose it; ``histc`` computes the bin from the
value by one division, ``(x - min) * bins / (max - min)``, in the input's dtype. A value
equal to the last edge counts in the last bin; values outside the range are left out.
"""

import builtins

import numpy as np

from ninjagrad.tensors.creation import evenly_spaced
from ninjagrad.tensors.tensor import Tensor, _wrap, method


class HistogramResult(tuple):
    """``(hist, bin_edges)`` of ``histogram``, also readable as ``.hist`` and ``.bin_edges``."""

    __slots__ = ()

    @property
    def hist(self):
        return self[0]

    @property
    def bin_edges(self):
        return self[1]

    def __repr__(self):
        return f"histogram(hist={self[0]!r}, bin_edges={self[1]!r})"


def _floating(a, name):
    x = a._data
    if x.dtype.kind != "f":
        raise NotImplementedError(
            f"{name}(): not implemented for {x.dtype.name} tensors, only floating ones "
            f"(convert with .float())"
        )
    return x.reshape(-1)


def _outer_edges(x, value_range, name, widen):
    """The range to bin: ``value_range`` or the data's min and max, widened by ``widen`` on
    each side when it is a single point (PyTorch: 0.5 for histogram, 1 for histc)."""
    kind = x.dtype.type
    if value_range is not None:
        low, high = kind(value_range[0]), kind(value_range[1])
    elif x.size:
        low, high = x.min(), x.max()
    else:
        low, high = kind(0), kind(1)
    if not (np.isfinite(low) and np.isfinite(high)):
        raise RuntimeError(f"{name}: range of [{low}, {high}] is not finite")
    if low > high:
        raise RuntimeError(f"{name}: min should not exceed max, but got min {low} max {high}")
    if low == high:
        low, high = low - kind(widen), high + kind(widen)
    return low, high


def _counts(positions, keep, weights, bins, dtype):
    positions = positions[keep]
    w = None if weights is None else weights[keep].astype(np.float64)
    return np.bincount(positions, weights=w, minlength=bins)[:bins].astype(dtype)


@method("histogram")
def histogram(input, bins=100, *, range=None, weight=None, density=False):  # noqa: A002
    """Counts of ``input``'s values in ``bins`` equal bins over ``range`` (default: the data's
    min and max), or in the bins between the edges of a 1-D tensor ``bins``.

    Returns ``(hist, bin_edges)``, also as ``.hist`` and ``.bin_edges``, both of the input's
    floating dtype. ``weight`` (same shape) counts each value with its weight; ``density``
    scales the counts so that they integrate to 1 over the range.
    """
    if not isinstance(input, Tensor):
        raise TypeError(f"histogram(): argument 'input' must be Tensor, not "
                        f"{type(input).__name__}")
    x = _floating(input, "histogram")
    dtype = x.dtype
    if isinstance(bins, Tensor):
        edges = bins._data.astype(dtype, copy=False).reshape(-1)
        if edges.size < 1 or np.any(np.diff(edges) < 0):
            raise RuntimeError("torch.histogram(): bin_edges must be a non-empty, increasing "
                               "1-D tensor")
    else:
        if not isinstance(bins, (builtins.int, np.integer)) or bins <= 0:
            raise RuntimeError(f"torch.histogram(): bins must be > 0, but got {bins} for "
                               "dimension 0")
        low, high = _outer_edges(x, range, "torch.histogramdd", 0.5)
        edges = evenly_spaced(low, high, int(bins) + 1, dtype)
    nbins = edges.size - 1
    w = None
    if weight is not None:
        if not isinstance(weight, Tensor) or weight._data.dtype != dtype:
            got = weight._data.dtype.name if isinstance(weight, Tensor) else type(weight).__name__
            raise RuntimeError(
                "torch.histogramdd: if weight tensor is provided, input tensor and weight "
                f"tensor should have the same dtype, but got input({dtype.name}), and "
                f"weight({got})"
            )
        if weight._data.shape != input._data.shape:
            raise RuntimeError(f"histogram(): weight has shape {weight._data.shape} but input "
                               f"has shape {input._data.shape}")
        w = weight._data.reshape(-1)
    # the bin whose edges enclose x; x equal to the last edge goes in the last bin
    positions = np.minimum(np.searchsorted(edges, x, side="right") - 1, nbins - 1)
    keep = (x >= edges[0]) & (x <= edges[-1])
    hist = _counts(positions, keep, w, nbins, dtype)
    if density:
        with np.errstate(invalid="ignore"):  # no values at all: 0/0, NaN as in PyTorch
            hist = hist / hist.sum(dtype=dtype)
            hist = hist / np.diff(edges)
    return HistogramResult((_wrap(hist.astype(dtype, copy=False)), _wrap(edges.copy())))


@method("histc", function=True)
def histc(a, bins=100, min=0, max=0):  # noqa: A002 - PyTorch's argument names
    """Counts of ``a``'s values in ``bins`` equal bins between ``min`` and ``max`` (both 0:
    the data's min and max); values outside are left out. A tensor of ``a``'s dtype."""
    x = _floating(a, "histc")
    if not isinstance(bins, (builtins.int, np.integer)) or bins <= 0:
        raise RuntimeError(f"torch.histc: bins must be > 0, but got {bins} for dimension 0")
    value_range = None if min == 0 and max == 0 else (min, max)
    low, high = _outer_edges(x, value_range, "torch.histc", 1)
    with np.errstate(invalid="ignore", over="ignore"):
        # one division, in the input's dtype, as PyTorch's histc does (no search of edges)
        scaled = (x - low) * x.dtype.type(bins) / (high - low)
    keep = (x >= low) & (x <= high)
    positions = np.zeros(x.shape, dtype=np.int64)
    positions[keep] = np.minimum(scaled[keep].astype(np.int64), bins - 1)
    return _wrap(_counts(positions, keep, None, bins, x.dtype))
