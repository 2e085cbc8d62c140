"""``Tensor.storage()`` and ``Tensor.untyped_storage()``: the memory a tensor's elements live
in, as PyTorch shows it when it explains views (``emb.view(32, 6)`` costs nothing: it is a
new way to read the same storage).

A ninjagrad tensor's data is a numpy array, and a numpy view keeps the array whose memory
it reads in ``.base``; following ``.base`` to the array that owns the memory gives the
storage, shared by a tensor, its views and its ``detach()`` aliases, as in PyTorch. Its
elements are listed in memory order. ``TypedStorage`` reads them as the tensor's dtype;
``UntypedStorage`` as bytes. Both are windows on the same memory: writing an element
changes every tensor on the storage, as in PyTorch (and, as in PyTorch, bumps no version
counter).

``storage()`` warns once per process, as PyTorch 2.13 does, that ``TypedStorage`` is
deprecated in favour of ``untyped_storage()``.
"""

import warnings

import numpy as np

from ninjagrad.tensors.device import CPU
from ninjagrad.tensors.dtypes import public_dtype


def owner(array):
    """The numpy array that owns ``array``'s memory (``array`` itself if it owns it)."""
    while isinstance(array.base, np.ndarray):
        array = array.base
    return array


def data_ptr(array):
    """The address of ``array``'s first element."""
    return array.__array_interface__["data"][0]


def storage_offset(array):
    """How many elements into its storage ``array``'s first element is."""
    return (data_ptr(array) - data_ptr(owner(array))) // array.itemsize


def _memory_order(array):
    """``array``'s elements as they lie in memory (it owns its memory, in C or F order)."""
    return array.ravel(order="K")


class TypedStorage:
    """A tensor's storage read as its dtype: ``len``, iteration, ``s[i]`` (and ``s[i] = v``),
    ``tolist()``, ``size()``, ``data_ptr()``, ``nbytes()``, ``element_size()``."""

    def __init__(self, array):
        self._array = owner(array)
        self._flat = _memory_order(self._array)

    @property
    def dtype(self):
        return public_dtype(self._array.dtype)

    @property
    def device(self):
        return CPU

    def size(self):
        return self._flat.size

    def __len__(self):
        return self._flat.size

    def element_size(self):
        return self._array.itemsize

    def nbytes(self):
        return self._array.nbytes

    def data_ptr(self):
        return data_ptr(self._array)

    def tolist(self):
        return self._flat.tolist()

    def __iter__(self):
        return iter(self._flat.tolist())

    def __getitem__(self, index):
        return self._flat[_element(self, index, "TypedStorage")].item()

    def __setitem__(self, index, value):
        if self._flat.base is None:  # a copy (F-ordered memory): a write would be lost
            raise NotImplementedError("writing into a storage laid out in column order")
        self._flat[_element(self, index, "TypedStorage")] = value

    def untyped(self):
        return UntypedStorage(self._array)

    def __repr__(self):
        return _show(self.tolist(), f"[ninjagrad.storage.TypedStorage(dtype={self.dtype!r}, "
                                    f"device={self.device}) of size {len(self)}]")


class UntypedStorage:
    """A tensor's storage as bytes: ``len`` (the number of bytes), iteration and ``s[i]``
    (ints 0 to 255), ``tolist()``, ``size()``, ``nbytes()``, ``data_ptr()``."""

    def __init__(self, array):
        self._array = owner(array)
        self._bytes = _memory_order(self._array).view(np.uint8) \
            if self._array.size else np.zeros(0, dtype=np.uint8)

    @property
    def device(self):
        return CPU

    def size(self):
        return self._bytes.size

    nbytes = size

    def __len__(self):
        return self._bytes.size

    def data_ptr(self):
        return data_ptr(self._array)

    def tolist(self):
        return self._bytes.tolist()

    def __iter__(self):
        return iter(self._bytes.tolist())

    def __getitem__(self, index):
        return int(self._bytes[_element(self, index, "UntypedStorage")])

    def __repr__(self):
        return _show(self.tolist(), f"[ninjagrad.storage.UntypedStorage(device={self.device})"
                                    f" of size {len(self)}]")


def _element(storage, index, kind):
    """An int index into ``storage``, checked as PyTorch checks it."""
    if not isinstance(index, (int, np.integer)) or isinstance(index, bool):
        raise RuntimeError(
            f"{kind} indexing takes an int here (ninjagrad's storages do not slice); got "
            f"{type(index).__name__}"
        )
    n = len(storage)
    if not -n <= index < n:
        raise IndexError(f"index {index} out of range for storage of size {n}")
    return index


def _show(values, last_line):
    """PyTorch's printout of a storage: each element on its own line, then what it is."""
    return " " + "\n ".join(str(v) for v in values) + "\n" + last_line


_warned = False


def typed_storage(array):
    """``tensor.storage()``: PyTorch's deprecation warning (once per process), then the
    storage read as the tensor's dtype."""
    global _warned
    if not _warned:
        _warned = True
        warnings.warn(
            "TypedStorage is deprecated. It will be removed in the future and UntypedStorage "
            "will be the only storage class. This should only matter to you if you are using "
            "storages directly.  To access UntypedStorage directly, use "
            "tensor.untyped_storage() instead of tensor.storage()",
            UserWarning,
            stacklevel=3,
        )
    return TypedStorage(array)
