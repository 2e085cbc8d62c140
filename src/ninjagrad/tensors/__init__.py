"""The tensor engine: ``Tensor`` on numpy arrays with PyTorch's names and semantics, its ops,
creation functions, custom ``Function``s and the functional API (``F``).

The folder is ``tensors`` because ``ninjagrad.tensor`` is PyTorch's function that makes one.
"""
