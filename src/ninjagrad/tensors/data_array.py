"""``Tensor.data``: the tensor's memory as a numpy array that answers as PyTorch's ``.data``.

DESIGN.md promises that ``t.data`` is a ``numpy.ndarray``; the trust contract promises that
a program written with PyTorch's names gives PyTorch's answer or an error. ``.data`` is
where the two meet: ``p.data += -lr * p.grad`` and ``p.data.std()`` (the lecture's
update-to-data ratio) are PyTorch programs, and a plain numpy array answers some of them
differently: a biased ``std``, ``int64 * 0.5`` in float64, an overlapping
``a.data *= b.data`` computed where PyTorch refuses. So ``.data`` is a ``DataArray``: a
numpy array on the tensor's memory (``isinstance(t.data, np.ndarray)``, numpy functions
work on it) whose PyTorch-named behaviour is PyTorch's:

- its operators (``+ - * / // % ** @``, unary ``-``, comparisons) are the Tensor's, so the
  result dtype is PyTorch's (``int64 * 0.5`` is float32), and the result is a DataArray;
  numpy's functions stay numpy's (``np.exp(t.data)`` of int64 is float64), as they are on
  a PyTorch tensor. Where PyTorch's operator refuses a bool subtracted, numpy's answers, as
  numpy's own code (``np.testing``) subtracts arrays; its other refusals (an integer
  ``// 0``, a matmul of two dtypes) are kept;
- in-place operators (``+=`` ...) refuse what PyTorch's refuse: a result that cannot be cast
  back (a float into an int array), an operand that shares some but not all of the memory
  written, a bool subtracted. As in PyTorch the write is not counted by the version counter
  (backward uses the new values: ``.data``'s documented danger);
- ``std``/``var`` are unbiased by default, ``max``/``min`` with a dim give
  ``(values, indices)``, ``sum``/``mean`` take ``dim=`` (``mean`` refuses integers),
  ``transpose(d0, d1)`` swaps two dims; ``repeat()`` and ``sort()`` raise (numpy's repeats
  each element and sorts in place, PyTorch's tiles and returns a sorted copy);
- the Tensor's methods numpy has no name for are there too (``p.grad.data.zero_()``,
  ``.clone()``, ``.exp()``, ``.add_(x)``, ``.float()``, ``.requires_grad``): the in-place
  ones write into the memory, uncounted.

Called with numpy's keywords (``axis=``, ``keepdims=``, ``ddof=``, ``out=``...) these methods
are numpy's, which is how numpy's own functions call them: ``np.std(t.data)`` is numpy's
biased std. ``t.numpy()`` is the plain array.
"""

import numpy as np

from ninjagrad.tensors.ops.inplace import check_overlap_arrays, check_write
from ninjagrad.tensors.tensor import Tensor, _wrap

ndarray = np.ndarray
_view = ndarray.view
may_share_memory = np.may_share_memory
_NUMBERS = (float, int)

# keywords only numpy's methods take: a call with one of them means numpy's method
_NUMPY_KEYWORDS = frozenset(
    {"axis", "keepdims", "out", "dtype", "ddof", "initial", "where", "kind", "order", "mean"})


class DataArray(ndarray):
    """A tensor's ``.data``: a numpy array on its memory, with PyTorch's answers."""

    __array_priority__ = 999  # numpy scalars meet it through its operators, as a Tensor's

    def std(self, *args, **kwargs):
        """PyTorch's ``Tensor.std`` (unbiased); numpy's when given numpy's keywords."""
        return _torch_or_numpy(self, "std", args, kwargs)

    def var(self, *args, **kwargs):
        """PyTorch's ``Tensor.var`` (unbiased); numpy's when given numpy's keywords."""
        return _torch_or_numpy(self, "var", args, kwargs)

    def max(self, *args, **kwargs):
        """PyTorch's ``Tensor.max`` (with a dim: values and indices); numpy's when given
        numpy's keywords."""
        return _torch_or_numpy(self, "max", args, kwargs)

    def min(self, *args, **kwargs):
        """PyTorch's ``Tensor.min`` (with a dim: values and indices); numpy's when given
        numpy's keywords."""
        return _torch_or_numpy(self, "min", args, kwargs)

    def sum(self, *args, **kwargs):
        """PyTorch's ``Tensor.sum`` (``dim=``, ``keepdim=``); numpy's when given numpy's
        keywords."""
        return _torch_or_numpy(self, "sum", args, kwargs)

    def mean(self, *args, **kwargs):
        """PyTorch's ``Tensor.mean`` (floats only, ``dim=``); numpy's when given numpy's
        keywords."""
        return _torch_or_numpy(self, "mean", args, kwargs)

    def transpose(self, *axes):
        """PyTorch's ``transpose(dim0, dim1)`` (the two dims swapped, a view) for two dims;
        numpy's for a permutation of every axis (``transpose()``, ``transpose((1, 0))``),
        which is how numpy's own functions call it. ``transpose(0, 1)`` of a matrix is the
        matrix itself in numpy, its transpose in PyTorch."""
        if len(axes) == 2 and all(isinstance(a, (int, np.integer)) for a in axes):
            return _data_of(Tensor.transpose(_tensor(self), *axes))
        return ndarray.transpose(self, *axes)

    def repeat(self, *args, **kwargs):
        """numpy's with its ``axis=`` keyword; otherwise an error, as the two differ."""
        if kwargs.keys() & _NUMPY_KEYWORDS:
            return ndarray.repeat(self.view(ndarray), *args, **kwargs)
        raise NotImplementedError(
            "t.data.repeat(n): numpy's repeat() repeats each element ([1, 1, 2, 2]) where "
            "PyTorch's Tensor.repeat tiles ([1, 2, 1, 2]), and ninjagrad has no Tensor.repeat; "
            "write numpy.tile(t.data, n) for PyTorch's or t.data.repeat(n, axis=...) for numpy's"
        )

    def sort(self, *args, **kwargs):
        """numpy's (in place) with its keywords; otherwise an error, as the two differ."""
        if kwargs.keys() & _NUMPY_KEYWORDS:
            return ndarray.sort(self.view(ndarray), *args, **kwargs)
        raise NotImplementedError(
            "t.data.sort(): numpy's sort() sorts the array in place and returns None, where "
            "PyTorch's returns (values, indices) and leaves the tensor as it is; write "
            "numpy.sort(t.data, axis=-1) for the sorted values, or t.data.sort(axis=-1) to sort "
            "in place"
        )

    def __getattr__(self, name):
        """The Tensor's methods and properties numpy has no name for (``p.grad.data.zero_()``,
        ``.clone()``, ``.exp()``, ``.add_(x)``, ``.float()``), on a tensor sharing this
        memory: an in-place one writes into it, uncounted as every write through ``.data``."""
        attr = None if name.startswith("_") else getattr(Tensor, name, None)
        if attr is None:
            raise AttributeError(f"'DataArray' object (a tensor's .data) has no attribute "
                                 f"{name!r}")
        if isinstance(attr, property):
            return _data_of(attr.__get__(_tensor(self)))
        tensor = _tensor(self)

        def method(*args, **kwargs):
            return _data_of(attr(tensor, *args, **kwargs))

        return method


def _operator(name):
    """``DataArray.<name>``: the Tensor operator on the arrays, its result a DataArray."""
    tensor_op, numpy_op = getattr(Tensor, name), getattr(ndarray, name)
    subtraction = name in ("__sub__", "__rsub__")

    def operator(self, *other):
        if other and isinstance(other[0], Tensor):
            return NotImplemented  # the Tensor's reflected operator: a result in the graph
        try:
            result = tensor_op(_tensor(self), *(_plain(x) for x in other))
        except RuntimeError:
            # PyTorch refuses a bool subtracted; numpy's answer, so that numpy's own code
            # (np.testing) works on a .data. Every other refusal (an integer // 0, a matmul
            # of two dtypes, bool % bool) stays PyTorch's.
            if not (subtraction and _has_bool(self, other)):
                raise
            result = NotImplemented
        if result is NotImplemented:  # ... and for operands a Tensor does not take
            return numpy_op(self.view(ndarray), *(_plain(x) for x in other))
        return _data_of(result)

    operator.__name__ = name
    operator.__doc__ = f"PyTorch's ``Tensor.{name}``."
    return operator


def _update_operator(name, ufunc):
    """``DataArray.<name>`` (``+=`` ...): a write into the array, with PyTorch's checks."""
    out_of_place = name.replace("__i", "__", 1)

    def operator(self, other):
        return _update(ufunc, out_of_place, self, other)

    operator.__name__ = name
    operator.__doc__ = f"PyTorch's ``Tensor.{name}``, written into the array (uncounted)."
    return operator


for _name in ("__add__", "__radd__", "__sub__", "__rsub__", "__mul__", "__rmul__",
              "__truediv__", "__rtruediv__", "__floordiv__", "__rfloordiv__", "__mod__",
              "__rmod__", "__pow__", "__rpow__", "__matmul__", "__rmatmul__", "__neg__",
              "__eq__", "__ne__", "__lt__", "__le__", "__gt__", "__ge__"):
    setattr(DataArray, _name, _operator(_name))
for _name, _ufunc in (("__iadd__", np.add), ("__isub__", np.subtract),
                      ("__imul__", np.multiply), ("__itruediv__", np.true_divide),
                      ("__ifloordiv__", np.floor_divide), ("__imod__", np.remainder),
                      ("__ipow__", np.power)):
    setattr(DataArray, _name, _update_operator(_name, _ufunc))


def _tensor(array):
    """A Tensor on a DataArray's memory, outside any graph."""
    return _wrap(array.view(ndarray))


def _plain(x):
    """``x`` as numpy sees it: a DataArray as a plain array, a Tensor as its array."""
    if isinstance(x, Tensor):  # first: the SGD step's p.data += -lr * p.grad
        return x._data
    if x.__class__ is DataArray:
        return x.view(ndarray)
    return x


def _has_bool(array, other):
    return array.dtype.kind == "b" or any(
        isinstance(x, (bool, np.bool_)) or getattr(x, "dtype", None) == np.bool_ for x in other)


def _data_of(result):
    """A Tensor op's result (a Tensor, or a tuple of them) as DataArrays; anything else (a
    number, a dtype, None) as it is."""
    if isinstance(result, Tensor):
        return result._data.view(DataArray)
    if isinstance(result, tuple) and result and isinstance(result[0], Tensor):
        return type(result)(_data_of(r) for r in result)  # max(dim)'s (values, indices)
    return result


def _update(ufunc, name, out, other):
    """``out op= other`` with PyTorch's checks; ``name`` is the out-of-place operator."""
    other = _plain(other)
    target = out.view(ndarray)  # (numpy writes into a plain array 1 us faster)
    if other.__class__ is ndarray and may_share_memory(target, other):
        check_overlap_arrays(target, [other])
    dtype = target.dtype
    if dtype.kind == "f" and target.flags.writeable and (
            other.__class__ in _NUMBERS or (other.__class__ is ndarray and other.dtype == dtype)):
        try:  # the SGD step's case: an operand of the array's float dtype
            ufunc(target, other, out=target)
            return out
        except ValueError:
            pass  # a shape that does not broadcast into the array: PyTorch's error below
    result = getattr(Tensor, name)(_wrap(target), other)
    if result is NotImplemented:
        return NotImplemented
    check_write(target, result._data)
    target[...] = result._data
    return out


def _torch_or_numpy(array, name, args, kwargs):
    if kwargs.keys() & _NUMPY_KEYWORDS:
        return getattr(ndarray, name)(array.view(ndarray), *args, **kwargs)
    return _data_of(getattr(Tensor, name)(_tensor(array), *args, **kwargs))


def get_data(t):
    """``t.data``: a DataArray on ``t``'s memory."""
    return _view(t._data, DataArray)


def set_data(t, value):
    """``t.data = value``: ``t`` takes ``value``'s array (a Tensor's, a DataArray's memory)."""
    own = t._data
    if value.__class__ is DataArray:
        # p.data += g hands back the DataArray made from p's own array: nothing changes
        if (value.base is own and value.shape == own.shape and value.strides == own.strides
                and value.dtype is own.dtype):
            return
        value = value.view(ndarray)
    elif isinstance(value, Tensor):
        value = value._data
    elif not isinstance(value, ndarray):
        raise TypeError(f"Tensor.data must be a numpy array or Tensor, got {type(value)}")
    elif value.__class__ is not ndarray:  # another subclass: the tensor holds plain arrays
        value = value.view(ndarray)
    t._data = value
    t._plain = None


Tensor.data = property(get_data, set_data, doc=(
    "The tensor's memory as a numpy array (a ``DataArray``: PyTorch's answers where numpy "
    "and PyTorch share a name). Settable: a Tensor or array assigned here gives its array."))
