"""``ninjagrad.nn``, the public path of the scalar engine's network library, and the way
PyTorch code reaches the tensor engine's ``functional``.

The network library (``Module``, ``Neuron``, ``Layer``, ``MLP``, ``SGD`` over ``Value``)
lives in ``ninjagrad.scalar.nn``; this module only keeps the documented name.

``ninjagrad.nn.functional`` is ``ninjagrad.functional`` itself (the same module object), so
``torch.nn.functional.cross_entropy`` and ``import torch.nn.functional as F`` resolve when a
program says ``import ninjagrad as torch``. It is registered in ``sys.modules`` under the
dotted name, as the standard library registers ``os.path``: an import statement finds it
there without ``nn`` having to be a package.

Nothing else of PyTorch's ``torch.nn`` is here: ``Linear``, ``Parameter``, ``Embedding``...
raise an AttributeError that says so, rather than leave a tensor program to find the scalar
engine's classes. ``ninjagrad.nn.Module`` is the scalar engine's ``Module`` (the public
contract), not PyTorch's.
"""

import sys

from ninjagrad import functional
from ninjagrad.scalar.nn import MLP, SGD, Layer, Module, Neuron

sys.modules[__name__ + ".functional"] = functional

__all__ = ["MLP", "SGD", "Layer", "Module", "Neuron", "functional"]


def __getattr__(name):
    """Only called for a name the module lacks: PyTorch's ``torch.nn.Linear`` and the like."""
    if name.startswith("__"):  # the import machinery's probes (__path__, __wrapped__...)
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    raise AttributeError(
        f"module {__name__!r} has no attribute {name!r}: ninjagrad has no torch.nn.{name}. "
        "ninjagrad.nn is the scalar engine's network library (Module, Neuron, Layer, MLP over "
        "Value); for tensors ninjagrad has ninjagrad.nn.functional (the same module as "
        "ninjagrad.functional) and no layers: write the layer with tensors, "
        "W = ninjagrad.randn(fan_in, fan_out, requires_grad=True); x @ W + b, as the "
        "lectures do before torch.nn")
