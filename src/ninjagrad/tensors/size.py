"""``Size``: a tensor's shape, a tuple printed as PyTorch prints it: ``ninjagrad.Size([5, 27])``."""

import math


class Size(tuple):
    """The shape of a tensor: a tuple of ints (``x.shape == (5, 27)`` holds), with ``numel()``."""

    __slots__ = ()

    def numel(self):
        """How many elements a tensor of this shape holds."""
        return math.prod(self)

    def __repr__(self):
        return f"ninjagrad.Size({list(self)})"

    __str__ = __repr__

    # slicing and concatenating a Size give a Size, as in PyTorch
    def __getitem__(self, index):
        item = tuple.__getitem__(self, index)
        return Size(item) if isinstance(index, slice) else item

    def __add__(self, other):
        if not isinstance(other, tuple):
            return NotImplemented
        return Size(tuple.__add__(self, other))

    def __radd__(self, other):
        if not isinstance(other, tuple):
            return NotImplemented
        return Size(tuple.__add__(other, self))
