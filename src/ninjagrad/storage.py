"""``ninjagrad.storage``, the public path of PyTorch's ``torch.storage`` names:
``TypedStorage`` (what ``tensor.storage()`` returns) and ``UntypedStorage``
(``tensor.untyped_storage()``). The code lives in ``ninjagrad.tensors.storage``."""

from ninjagrad.tensors.storage import TypedStorage, UntypedStorage

__all__ = ["TypedStorage", "UntypedStorage"]
