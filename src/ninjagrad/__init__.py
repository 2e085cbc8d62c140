"""ninjagrad: understand and verify backpropagation.

Two engines that share one graph walk: ``Value`` (scalars, the micrograd lecture) and
``Tensor`` (numpy arrays, PyTorch's names and semantics), custom differentiable
``Function``s, and ``gradcheck`` against central finite differences.
"""

from ninjagrad.engine import Value

__version__ = "0.1.0"
