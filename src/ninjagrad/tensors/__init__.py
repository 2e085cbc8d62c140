"""The tensor engine: ``Tensor`` on numpy arrays with PyTorch's names and semantics.

- ``tensor``: the ``Tensor`` class, ``make_node`` (every op's result) and the backward walk
- ``grad_mode``: ``no_grad``, ``enable_grad``, ``is_grad_enabled``
- ``dtypes``: PyTorch's dtype names and result-dtype rule
- ``broadcasting``: ``unbroadcast``, the one broadcasting policy of every backward
- ``layout``: the memory layout PyTorch gives an elementwise result
- ``ops/``: the primitive ops, each registered as a Tensor method where it is defined
- ``data_array``: ``Tensor.data``, a numpy array with PyTorch's answers where names clash
- ``creation``: ``tensor zeros ones arange randn ...`` and the seedable ``Generator``
- ``function``: ``Function``, the API for ops with a hand-written backward
- ``functional``: the functional API ``F`` (``softmax cross_entropy batch_norm ...``)

The folder is ``tensors`` because ``ninjagrad.tensor`` is PyTorch's function that makes one.
"""

# A Tensor gets its methods from the op modules, and ``data`` from data_array: importing the
# engine imports them all.
from ninjagrad.tensors import data_array, ops  # noqa: F401
