"""Devices, as far as ninjagrad has them: every tensor lives on the CPU, in a numpy array.

PyTorch code names devices (``device='cpu'``, ``x.to(device)``, ``torch.cuda.is_available()``);
``'cpu'`` is accepted wherever PyTorch takes a device, and any other device (``'cuda'``,
``'mps'``, ``'cuda:0'``) is refused with an error that says why, never silently run on the
CPU. The availability questions are answered truthfully: there is no accelerator.
"""

_CPU_NAMES = ("cpu", "cpu:0")


class device:  # noqa: N801 - PyTorch's name
    """``device('cpu')``: where a tensor's data lives; the CPU is the only one."""

    __slots__ = ("type", "index")

    def __init__(self, type, index=None):  # noqa: A002 - PyTorch's argument name
        if isinstance(type, device):
            type, index = type.type, type.index
        if not isinstance(type, str):
            raise TypeError(f"device(): expected a string like 'cpu', got {type!r}")
        name = type if index is None else f"{type}:{index}"
        if name not in _CPU_NAMES:
            raise unsupported(name)
        self.type = "cpu"
        self.index = None if name == "cpu" else 0

    def __eq__(self, other):
        return isinstance(other, device) and (other.type, other.index) == (self.type, self.index)

    def __hash__(self):
        return hash((self.type, self.index))

    def __str__(self):
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __repr__(self):
        if self.index is None:
            return f"device(type='{self.type}')"
        return f"device(type='{self.type}', index={self.index})"


def unsupported(name):
    return RuntimeError(
        f"device '{name}' is not available: ninjagrad computes on the CPU with numpy, so the "
        "only device is 'cpu' (torch.cuda.is_available() and torch.accelerator.is_available() "
        "are False here; pick the device with them, as PyTorch's tutorials do)"
    )


CPU = device("cpu")


def as_device(value):
    """Check a ``device=`` argument (None, ``'cpu'``, ``device('cpu')``; anything else raises)."""
    if value is None or value is CPU:
        return CPU
    if isinstance(value, device):
        return value
    if isinstance(value, str):
        return device(value)
    if isinstance(value, int) and not isinstance(value, bool):  # PyTorch: an int is a CUDA index
        raise unsupported(f"cuda:{value}")
    raise TypeError(f"device must be a string like 'cpu' or a ninjagrad.device, got {value!r}")


# ------------------------------------------------------------------------ default device
def set_default_device(value):
    """PyTorch's ``set_default_device``: only ``'cpu'`` (or None, the same) is accepted."""
    as_device(value)


def get_default_device():
    return CPU


# ---------------------------------------------------------------- accelerators: there are none
def cuda_is_available():
    """``torch.cuda.is_available()``: False, ninjagrad has no GPU backend."""
    return False


def cuda_device_count():
    return 0


def accelerator_is_available():
    """``torch.accelerator.is_available()``: False."""
    return False


def current_accelerator(check_available=False):
    """``torch.accelerator.current_accelerator()``: None, as PyTorch answers without one."""
    return None


def accelerator_device_count():
    return 0
