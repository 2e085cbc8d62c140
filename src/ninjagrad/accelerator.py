"""``ninjagrad.accelerator``: PyTorch's ``torch.accelerator`` questions, answered truthfully.
There is no accelerator: ``is_available()`` is False and ``current_accelerator()`` is None,
so tutorial code that picks ``"cpu"`` when no accelerator is found runs unchanged."""

from ninjagrad.tensors.device import accelerator_device_count as device_count
from ninjagrad.tensors.device import accelerator_is_available as is_available
from ninjagrad.tensors.device import current_accelerator

__all__ = ["current_accelerator", "device_count", "is_available"]
