"""ninjagrad: understand and verify backpropagation.

Two engines that share one graph walk: ``Value`` (scalars, the micrograd lecture) and
``Tensor`` (numpy arrays, PyTorch's names and semantics), custom differentiable
``Function``s, and ``gradcheck`` against central finite differences.

This module only re-exports the public names; each is defined where the import says.
(``abs all any max min sum`` shadow Python's builtins here, as they do in torch.)
"""

from ninjagrad import functional  # noqa: F401 - ninjagrad.functional (F)
from ninjagrad.check.gradcheck import gradcheck  # noqa: F401
from ninjagrad.scalar.value import Value  # noqa: F401
from ninjagrad.tensors.creation import (  # noqa: F401
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
from ninjagrad.tensors.dtypes import (  # noqa: F401
    bool_,
    double,
    float16,
    float32,
    float64,
    int32,
    int64,
    long,
    uint8,
)
from ninjagrad.tensors.function import Function  # noqa: F401
from ninjagrad.tensors.grad_mode import enable_grad, is_grad_enabled, no_grad  # noqa: F401
from ninjagrad.tensors.ops.elementwise import (  # noqa: F401
    abs,
    clone,
    exp,
    log,
    log10,
    relu,
    sigmoid,
    sqrt,
    tanh,
)
from ninjagrad.tensors.ops.operators import matmul  # noqa: F401
from ninjagrad.tensors.ops.reductions import (  # noqa: F401
    all,
    any,
    argmax,
    max,
    mean,
    min,
    sum,
    var,
)
from ninjagrad.tensors.ops.shape import cat, reshape, stack, transpose  # noqa: F401
from ninjagrad.tensors.tensor import Tensor  # noqa: F401

__version__ = "0.1.0"
