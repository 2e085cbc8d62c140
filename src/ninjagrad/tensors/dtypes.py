"""Dtypes with PyTorch's names, PyTorch's rule for the dtype of a result, and the dtype
Python data gets in ``tensor(data)``.

A dtype is a ``DType``: a thin, named handle on a ``numpy.dtype`` that prints as
``ninjagrad.float32`` (not numpy's ``dtype('float32')``) and compares equal to the numpy
dtype it stands for (``ninjagrad.float32 == numpy.float32``). It follows numpy's dtype
protocol (its ``.dtype`` attribute), so numpy accepts it wherever it takes a dtype:
``np.zeros(3, dtype=ninjagrad.float32)``. The engine itself computes with numpy dtypes
(``as_dtype`` gives one); ``Tensor.dtype`` hands out the ``DType``.
"""

import numpy as np


class DType:
    """A tensor's element type, named as in PyTorch: ``ninjagrad.float32``, ``ninjagrad.int64``."""

    __slots__ = ("dtype", "name")  # numpy reads ``.dtype`` when given this object as a dtype

    def __init__(self, numpy_dtype, name):
        self.dtype = np.dtype(numpy_dtype)
        self.name = name

    def __repr__(self):
        return f"ninjagrad.{self.name}"

    def __eq__(self, other):
        if isinstance(other, DType):
            return self.dtype == other.dtype
        try:
            return self.dtype == np.dtype(other)
        except TypeError:
            return NotImplemented

    def __hash__(self):
        return hash(self.dtype)  # the numpy dtype's hash, since the two compare equal

    @property
    def kind(self):
        """numpy's one-letter kind: ``'f'`` float, ``'i'`` signed int, ``'b'`` bool, ..."""
        return self.dtype.kind

    @property
    def itemsize(self):
        return self.dtype.itemsize

    @property
    def is_floating_point(self):
        return self.dtype.kind == "f"

    @property
    def is_complex(self):
        return self.dtype.kind == "c"

    @property
    def is_signed(self):
        return self.dtype.kind in "fic"


_BY_NUMPY = {}


def _named(numpy_dtype, name):
    d = DType(numpy_dtype, name)
    _BY_NUMPY[d.dtype] = d
    return d


float16 = half = _named(np.float16, "float16")
float32 = float = _named(np.float32, "float32")  # noqa: A001 - PyTorch's names
float64 = double = _named(np.float64, "float64")
complex64 = cfloat = _named(np.complex64, "complex64")
complex128 = cdouble = _named(np.complex128, "complex128")
int8 = _named(np.int8, "int8")
int16 = short = _named(np.int16, "int16")
int32 = int = _named(np.int32, "int32")  # noqa: A001
int64 = long = _named(np.int64, "int64")
uint8 = _named(np.uint8, "uint8")
bool_ = bool = _named(np.bool_, "bool")  # noqa: A001

# The dtype Python floats become (``tensor(1.5)``, ``zeros(3)``, ``int_tensor * 0.5``,
# ``int_tensor.exp()``), and Python complex numbers (its complex twin): PyTorch's default
# dtype. Read it as ``dtypes.default_float`` at the moment of use (never import the name: a
# ``from`` import would keep the value it had then); ``set_default_dtype`` changes it.
default_float = float32.dtype  # the engine computes with numpy dtypes
default_complex = complex64.dtype
_FLOAT64, _COMPLEX128 = np.dtype(np.float64), np.dtype(np.complex128)
_COMPLEX_OF = {np.dtype(np.float32): complex64.dtype, np.dtype(np.float64): complex128.dtype}


def set_default_dtype(d):
    """Make ``d`` (``float32`` or ``float64``) the dtype of Python floats, as PyTorch's
    ``torch.set_default_dtype``; PyTorch's float16 default is refused (numpy's float16
    arithmetic is not PyTorch's)."""
    global default_float, default_complex
    if not isinstance(d, DType):  # PyTorch takes only its own dtype objects, not numpy's
        raise TypeError("invalid dtype object: only floating-point types are supported as "
                        "the default type")
    if d.dtype.kind != "f":
        raise TypeError("only floating-point types are supported as the default type")
    if d.dtype not in _COMPLEX_OF:
        raise TypeError(f"ninjagrad supports float32 and float64 as the default type, not "
                        f"{d!r} (PyTorch accepts float16 too)")
    default_float, default_complex = d.dtype, _COMPLEX_OF[d.dtype]


def get_default_dtype():
    """The dtype Python floats become: ``ninjagrad.float32`` unless ``set_default_dtype``
    said otherwise."""
    return _BY_NUMPY[default_float]


# PyTorch's C++ names for dtypes, as its errors print them ("not implemented for 'Long'")
_SCALAR_TYPE_NAMES = {"float16": "Half", "float32": "Float", "float64": "Double",
                      "int8": "Char", "int16": "Short", "int32": "Int", "int64": "Long",
                      "uint8": "Byte", "bool": "Bool", "complex64": "ComplexFloat",
                      "complex128": "ComplexDouble"}


def scalar_type_name(numpy_dtype):
    """``'Long'`` for int64: the name PyTorch's error messages give a dtype."""
    return _SCALAR_TYPE_NAMES.get(numpy_dtype.name, numpy_dtype.name)


def public_dtype(numpy_dtype):
    """The ``DType`` a tensor with this numpy dtype reports (PyTorch's name where it has one)."""
    found = _BY_NUMPY.get(numpy_dtype)
    if found is None:  # a numpy dtype PyTorch does not have (uint16, float128...): numpy's name
        found = _named(numpy_dtype, np.dtype(numpy_dtype).name)
    return found


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
    """The numpy dtype for ``ninjagrad.float32``, ``numpy.float32``, ``'float32'`` or Python's
    ``float`` (float64, as in PyTorch); None stays None."""
    if dtype is None:
        return None
    try:
        return np.dtype(dtype)
    except TypeError:
        raise TypeError(f"dtype must be a numpy/ninjagrad dtype, got {dtype!r}") from None


def as_array(data, dtype=None):
    """A new array for ``tensor(data)``: a numpy array keeps its dtype; Python floats become
    the default dtype (float32 unless ``set_default_dtype`` changed it), complex numbers its
    complex twin, and ints int64, as in PyTorch."""
    if isinstance(data, np.ndarray):
        # a copy (of a .data, a plain array) in the data's own layout, as PyTorch's clone
        # keeps a transposed tensor's strides: a reshape of it then copies in both; a
        # broadcast (stride 0) becomes row-major, as in PyTorch
        arr = np.array(data, order="C" if 0 in data.strides else "K")
    else:
        if isinstance(data, (str, bytes, dict, set)) or data is None:
            raise TypeError(f"tensor(): cannot make a tensor from {type(data).__name__}")
        try:
            arr = np.array(data)
        except ValueError as e:
            raise ValueError(f"tensor(): data has an irregular (ragged) shape: {e}") from None
        if dtype is None and arr.dtype == _FLOAT64:  # Python floats, unless a float64 is in
            if default_float is not _FLOAT64 and not _has_float64(data):  # (numpy's singletons)
                arr = arr.astype(default_float)
        elif dtype is None and arr.dtype == _COMPLEX128:
            if default_complex is not _COMPLEX128 and not _has_float64(data, _COMPLEX128):
                arr = arr.astype(default_complex)
        elif arr.dtype.kind == "O" or arr.dtype.kind in "USV":
            raise TypeError(f"tensor(): cannot make a numeric tensor from {type(data).__name__}")
    if dtype is not None:
        arr = arr.astype(as_dtype(dtype), copy=False)
    return arr


def _has_float64(data, wide=_FLOAT64):
    """True if nested Python data holds a float64 (or ``wide``) array, tensor or numpy scalar:
    those keep their dtype in ``tensor(data)``, Python floats take the default dtype."""
    if isinstance(data, (list, tuple)):
        return any(_has_float64(x, wide) for x in data)
    dtype = getattr(data, "dtype", None)  # (np.dtype(None) is float64: test for None first)
    return dtype is not None and dtype == wide
