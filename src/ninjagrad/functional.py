"""``ninjagrad.functional`` (import it as ``F``), the public path of PyTorch's functional names.

The code lives in ``ninjagrad.tensors.functional``; this module only keeps the documented name.
"""

from ninjagrad.tensors.functional import (
    batch_norm,
    cross_entropy,
    embedding,
    log_softmax,
    one_hot,
    softmax,
)

__all__ = ["batch_norm", "cross_entropy", "embedding", "log_softmax", "one_hot", "softmax"]
