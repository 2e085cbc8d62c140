"""``ninjagrad.cuda``: PyTorch's ``torch.cuda`` questions, answered truthfully. ninjagrad
computes on the CPU with numpy, so there is no CUDA device (``device('cuda')`` is refused
with an error saying so)."""

from ninjagrad.tensors.device import cuda_device_count as device_count
from ninjagrad.tensors.device import cuda_is_available as is_available

__all__ = ["device_count", "is_available"]
