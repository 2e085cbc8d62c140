"""``ninjagrad.nn``, the public path of the scalar engine's network library.

The code lives in ``ninjagrad.scalar.nn``; this module only keeps the documented name.
"""

from ninjagrad.scalar.nn import MLP, SGD, Layer, Module, Neuron

__all__ = ["MLP", "SGD", "Layer", "Module", "Neuron"]
