"""``ninjagrad.autograd``, the public path of PyTorch's ``torch.autograd`` names:
``Function``, ``grad``, ``backward`` and ``gradcheck``.

The code lives in ``ninjagrad.tensors`` and ``ninjagrad.check``; this module only keeps the
names where PyTorch code looks for them (``torch.autograd.Function``).
"""

from ninjagrad.check.gradcheck import gradcheck
from ninjagrad.tensors.autograd import backward, grad
from ninjagrad.tensors.function import Function
from ninjagrad.tensors.grad_mode import enable_grad, no_grad

__all__ = ["Function", "backward", "enable_grad", "grad", "gradcheck", "no_grad"]
