"""ninjagrad: understand and verify backpropagation.

Two engines that share one graph walk: ``Value`` (scalars, the micrograd lecture) and
``Tensor`` (numpy arrays, PyTorch's names and semantics), custom differentiable
``Function``s, and ``gradcheck`` against central finite differences.
"""

from ninjagrad import functional  # noqa: F401 - re-exported as ninjagrad.functional (F)
from ninjagrad.check.gradcheck import gradcheck  # noqa: F401 - re-exported
from ninjagrad.scalar.value import Value  # noqa: F401 - re-exported
from ninjagrad.tensors import ops as _ops
from ninjagrad.tensors.creation import (  # noqa: F401 - re-exported, PyTorch's names
    Generator,
    allclose,
    arange,
    default_generator,
    full,
    linspace,
    manual_seed,
    multinomial,
    ones,
    ones_like,
    rand,
    randint,
    randn,
    tensor,
    zeros,
    zeros_like,
)
from ninjagrad.tensors.function import Function  # noqa: F401 - re-exported
from ninjagrad.tensors.ops import cat, stack  # noqa: F401 - re-exported, PyTorch's names
from ninjagrad.tensors.tensor import (  # noqa: F401 - re-exported, PyTorch's names
    Tensor,
    bool_,
    double,
    enable_grad,
    float16,
    float32,
    float64,
    int32,
    int64,
    is_grad_enabled,
    long,
    no_grad,
    uint8,
)

# PyTorch's functional forms of the tensor methods: ninjagrad.tanh(x) is x.tanh(), with a
# check that x is a Tensor. (abs, all, any, max, min and sum shadow Python's builtins here,
# as they do in torch.)
(abs, all, any, argmax, clone, exp, log, log10, matmul, max, mean, min, relu, reshape,
 sigmoid, sqrt, sum, tanh, transpose, var) = _ops.top_level(
    "abs", "all", "any", "argmax", "clone", "exp", "log", "log10", "matmul", "max", "mean",
    "min", "relu", "reshape", "sigmoid", "sqrt", "sum", "tanh", "transpose", "var")

__version__ = "0.1.0"
