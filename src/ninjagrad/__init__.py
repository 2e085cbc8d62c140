"""ninjagrad: understand and verify backpropagation.

Two engines that share one graph walk: ``Value`` (scalars, the micrograd lecture) and
``Tensor`` (numpy arrays, PyTorch's names and semantics), custom differentiable
``Function``s, and ``gradcheck`` against central finite differences.

This module only re-exports the public names; each is defined where the import says.
``nn`` is the scalar engine's network library, and ``nn.functional`` is ``functional``
for PyTorch code (``torch.nn.functional.softmax`` under ``import ninjagrad as torch``).
(``abs all any max min sum round pow float int bool`` shadow Python's builtins here, as
they do in torch.)
"""

from ninjagrad import accelerator, autograd, cuda, functional, nn, storage  # noqa: F401 - namespaces
from ninjagrad.check.gradcheck import gradcheck  # noqa: F401
from ninjagrad.scalar.value import Value  # noqa: F401
from ninjagrad.tensors.creation import (  # noqa: F401
    Generator,
    allclose,
    arange,
    default_generator,
    empty,
    empty_like,
    eye,
    full,
    full_like,
    linspace,
    manual_seed,
    multinomial,
    ones,
    ones_like,
    rand,
    rand_like,
    randint,
    randn,
    randn_like,
    tensor,
    zeros,
    zeros_like,
)
from ninjagrad.tensors.device import device, get_default_device, set_default_device  # noqa: F401
from ninjagrad.tensors.dtypes import (  # noqa: F401
    DType as dtype,
)
from ninjagrad.tensors.dtypes import (  # noqa: F401
    bool,
    bool_,
    cdouble,
    cfloat,
    complex64,
    complex128,
    double,
    float,
    float16,
    float32,
    float64,
    get_default_dtype,
    half,
    int,
    int8,
    int16,
    int32,
    int64,
    long,
    set_default_dtype,
    short,
    uint8,
)
from ninjagrad.tensors.function import Function  # noqa: F401
from ninjagrad.tensors.grad_mode import enable_grad, is_grad_enabled, no_grad  # noqa: F401
from ninjagrad.tensors.ops.elementwise import (  # noqa: F401
    abs,
    arctan,
    atan,
    ceil,
    clone,
    cos,
    cosh,
    exp,
    exp2,
    expm1,
    floor,
    log,
    log1p,
    log2,
    log10,
    reciprocal,
    relu,
    round,
    rsqrt,
    sigmoid,
    sign,
    sin,
    sinh,
    sqrt,
    square,
    tan,
    tanh,
    trunc,
)
from ninjagrad.tensors.ops.histogram import histc, histogram  # noqa: F401
from ninjagrad.tensors.ops.operators import matmul, neg, negative, pow  # noqa: F401
from ninjagrad.tensors.ops.reductions import (  # noqa: F401
    all,
    any,
    argmax,
    argmin,
    cumsum,
    max,
    mean,
    min,
    prod,
    sum,
    var,
)
from ninjagrad.tensors.ops.selection import (  # noqa: F401
    clamp,
    clamp_max,
    clamp_min,
    clip,
    maximum,
    minimum,
    where,
)
from ninjagrad.tensors.ops.shape import (  # noqa: F401
    cat,
    permute,
    reshape,
    squeeze,
    stack,
    transpose,
    unbind,
    unsqueeze,
)
from ninjagrad.tensors.size import Size  # noqa: F401
from ninjagrad.tensors.storage import TypedStorage, UntypedStorage  # noqa: F401
from ninjagrad.tensors.tensor import Tensor  # noqa: F401

__version__ = "0.1.0"

