"""Dtypes with PyTorch's names, and PyTorch's rule for the dtype of a result.

A dtype is a ``numpy.dtype``: ``ninjagrad.float32 == numpy.float32``.
"""

import numpy as np

float16 = np.dtype(np.float16)
float32 = np.dtype(np.float32)
float64 = np.dtype(np.float64)
int32 = np.dtype(np.int32)
int64 = np.dtype(np.int64)
uint8 = np.dtype(np.uint8)
bool_ = np.dtype(np.bool_)
double = float64
long = int64
default_float = float32

# PyTorch promotes by category (bool < integer < float): the highest category wins, and within
# it a tensor with dimensions outranks a zero-dimensional one. numpy 2 differs (int64 with
# float32 gives float64 there), so the engine decides result dtypes itself.
_CATEGORY = {"b": 0, "u": 1, "i": 1, "f": 2, "c": 3}


def result_dtype(a, b):
    """The dtype PyTorch gives ``a op b`` for two arrays (0-d arrays count as weak)."""
    da, db = a.dtype, b.dtype
    if da == db:
        return da
    ca, cb = _CATEGORY[da.kind], _CATEGORY[db.kind]
    if ca != cb:
        return da if ca > cb else db
    if a.ndim and not b.ndim:
        return da
    if b.ndim and not a.ndim:
        return db
    return np.promote_types(da, db)


def common_dtype(arrays):
    """The dtype PyTorch gives a result made of all ``arrays`` (``cat``, ``stack``): the
    highest category among the arrays with dimensions, unless a 0-d one is of a higher
    category."""
    dims = zeros = None
    for a in arrays:
        if a.ndim:
            dims = a.dtype if dims is None else _promote(dims, a.dtype)
        else:
            zeros = a.dtype if zeros is None else _promote(zeros, a.dtype)
    if dims is None or zeros is None:
        return zeros if dims is None else dims
    return dims if _CATEGORY[dims.kind] >= _CATEGORY[zeros.kind] else zeros


def _promote(da, db):
    if da == db:
        return da
    ca, cb = _CATEGORY[da.kind], _CATEGORY[db.kind]
    if ca != cb:
        return da if ca > cb else db
    return np.promote_types(da, db)


def as_dtype(dtype):
    """Accept ``ninjagrad.float32``, ``numpy.float32``, ``'float32'`` or Python ``float``."""
    if dtype is None:
        return None
    try:
        return np.dtype(dtype)
    except TypeError:
        raise TypeError(f"dtype must be a numpy/ninjagrad dtype, got {dtype!r}") from None
