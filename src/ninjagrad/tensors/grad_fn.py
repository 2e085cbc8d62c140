"""``Tensor.grad_fn``: which op made a tensor, named the way PyTorch names its backward nodes.

A node's op is recorded as a short name (``'mul'``, ``'sum'``); PyTorch shows the same
thing as ``<MulBackward0>``. The name is derived when asked for, so the engine's hot path
stores nothing more. Where PyTorch's name depends on more than the op (``sum()`` is
``SumBackward0``, ``sum(dim)`` is ``SumBackward1``), the node's saved context decides.
"""

# op name -> PyTorch's backward-node name, where it is not simply "<Op>Backward0"
_NAMES = {
    "rsub": "RsubBackward1",
    "rdiv": "DivBackward0",  # c / x: a division (PyTorch multiplies by a reciprocal)
    "to": "ToCopyBackward0",
    "index": "IndexBackward0",
    "clamp": "ClampBackward1",  # number bounds; tensor bounds are ClampBackward0
    "clamp_tensors": "ClampBackward0",
    "index_put": "CopySlices",  # x[i] = v: PyTorch's node for a write into part of a tensor
}


def _camel(op):
    return "".join(part[:1].upper() + part[1:] for part in op.split("_"))


class GradFn:
    """The op that made a tensor: ``name()`` gives PyTorch's spelling (``'MulBackward0'``)."""

    __slots__ = ("_node",)

    def __init__(self, node):
        self._node = node

    def name(self):
        node = self._node
        op, saved = node.op, node._saved or {}
        function = saved.get("cls")
        if function is not None:  # a Function subclass: PyTorch appends "Backward"
            return f"{function.__name__}Backward"
        if op in _NAMES:
            return _NAMES[op]
        if op in ("pow", "remainder") and len(node.parents) == 2:
            return f"{_camel(op)}Backward1"  # two tensors; Backward0 is tensor op number
        if op == "matmul":
            both_2d = all(p._data.ndim == 2 for p in node.parents)
            return "MmBackward0" if both_2d else "MatmulBackward0"
        if op in ("sum", "mean") and saved.get("axes") is not None:
            return f"{_camel(op)}Backward1"  # over dims; Backward0 reduces everything
        if op in ("max", "min"):  # PyTorch numbers them the other way round
            return f"{_camel(op)}Backward{0 if 'axis' in saved else 1}"
        return f"{_camel(op)}Backward0"

    def __repr__(self):
        return f"<{self.name()}>"
