"""Dtypes with PyTorch's names, PyTorch's rule for the dtype of a result, and the dtype
Python data gets in ``tensor(data)``.

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


def as_array(data, dtype=None):
    """A new array for ``tensor(data)``: a numpy array keeps its dtype; Python floats become
    float32 and ints int64, as in PyTorch."""
    if isinstance(data, np.ndarray):
        arr = data.copy()
    else:
        if isinstance(data, (str, bytes, dict, set)) or data is None:
            raise TypeError(f"tensor(): cannot make a tensor from {type(data).__name__}")
        try:
            arr = np.array(data)
        except ValueError as e:
            raise ValueError(f"tensor(): data has an irregular (ragged) shape: {e}") from None
        if arr.dtype == np.float64 and dtype is None and not _has_float64(data):
            arr = arr.astype(float32)
        elif arr.dtype.kind == "O" or arr.dtype.kind in "USV":
            raise TypeError(f"tensor(): cannot make a numeric tensor from {type(data).__name__}")
    if dtype is not None:
        arr = arr.astype(as_dtype(dtype), copy=False)
    return arr


def _has_float64(data):
    """True if nested Python data holds a float64 array, tensor or numpy scalar (which keep
    their dtype, unlike Python floats)."""
    if isinstance(data, (list, tuple)):
        return any(_has_float64(x) for x in data)
    dtype = getattr(data, "dtype", None)  # (np.dtype(None) is float64: test for None first)
    return dtype is not None and dtype == float64
