"""``Tensor.grad_fn``: which op made a tensor, named the way PyTorch names its backward nodes,
and ``next_functions``, the edges to the nodes of the op's inputs.

A node's op is recorded as a short name (``'mul'``, ``'sum'``); PyTorch shows the same
thing as ``<MulBackward0>``. The name and the edges are derived when asked for, so the
engine's hot path stores nothing more. Where PyTorch's name depends on more than the op
(``sum()`` is ``SumBackward0``, ``sum(dim)`` is ``SumBackward1``), the node's saved context
or the shapes decide.

ninjagrad's graph is PyTorch's graph with a few differences, which ``next_functions``
bridges: a number operand (``x * 2``) is no parent here but an input without gradient
there, ``(None, 0)``; an in-place op works on a copy of the old values, a node PyTorch does
not have, so edges skip it; a Function with several outputs is one node in PyTorch, and an
edge says which output (``(SplitBackward, 1)``); where PyTorch builds several nodes for one
ninjagrad op (``c / x`` is ``MulBackward0`` over ``ReciprocalBackward0``, ``cross_entropy``
is ``NllLossBackward0`` over ``LogSoftmaxBackward0``, ``x[1:, 0]`` a slice then a select),
the edges lead through stand-ins for those nodes. Where ninjagrad cannot tell PyTorch's
structure, ``next_functions`` raises instead of answering differently.
"""

import weakref

import numpy as np

# op name -> PyTorch's backward-node name, where it is not simply "<Op>Backward0"
_NAMES = {
    "rsub": "RsubBackward1",
    "rdiv": "MulBackward0",  # c / x: PyTorch multiplies c by the reciprocal of x
    "to": "ToCopyBackward0",
    "clamp": "ClampBackward1",  # number bounds; tensor bounds are ClampBackward0
    "clamp_tensors": "ClampBackward0",
    "cross_entropy": "NllLossBackward0",  # over LogSoftmaxBackward0 (edges below)
    "batch_norm": "NativeBatchNormBackward0",
    "reshape": "UnsafeViewBackward0",  # a reshape that copies: PyTorch clones, then views
    "matmul_mT": "UnsafeViewBackward0",  # the hidden base of a matmul that is a view
    "t": "TBackward0",
    "max_all": "MaxBackward1",  # max(); max(dim) is MaxBackward0
    "min_all": "MinBackward1",
    "zero": "ZeroBackward0",
    "fill": "FillBackward2",
    "fill_tensor": "FillBackward3",
    # PyTorch's node for an op without a derivative (its backward raises, as ours does)
    "floor_divide": "torch::autograd::NotImplemented",
    "rremainder": "torch::autograd::NotImplemented",
    "rpow": "PowBackward2",  # number ** tensor
    "unsqueeze": "UnsqueezeBackward0",
    "squeeze": "SqueezeBackward0",  # squeeze(): every dimension of size 1
    "squeeze_dim": "SqueezeBackward1",
    "squeeze_dims": "SqueezeBackward2",
    "CopySlices": "torch::autograd::CopySlices",  # an in-place op on a view
    # writes: x.copy_(v), x[i] = v (see setitem_op)
    "copy_": "torch::autograd::CopyBackwards",
    "setitem": "torch::autograd::CopyBackwards",
    "setitem_view": "torch::autograd::CopyBackwards",
    "setitem_expand": "torch::autograd::CopyBackwards",
    "copy_slices": "torch::autograd::CopySlices",
    "copy_slices_view": "torch::autograd::CopySlices",
    "copy_slices_expand": "torch::autograd::CopySlices",
    "index_put": "IndexPutBackward0",
    "index_put_view": "IndexPutBackward0",
}

_SETITEM = ("copy_", "setitem", "setitem_view", "setitem_expand", "copy_slices",
            "copy_slices_view", "copy_slices_expand", "index_put", "index_put_view",
            "fill_tensor")


# backward functions of nodes that PyTorch's graph does not have (the copy of the old
# values an in-place op works on): an edge to one leads on to its input
HIDDEN = set()
# backward functions of output i of a Function with several outputs (saved: ``index``):
# its grad_fn is the Function's node, and an edge to it carries i
OUTPUTS = set()

# One Python object per node, as PyTorch gives (``a.grad_fn is b.grad_fn`` for two outputs
# of one Function): keyed by the id of the node's parents tuple, which each node state owns
# (every op passes make_node a new tuple; an in-place change gives the tensor a new one and
# its former state keeps the old) and which its GradFn keeps alive.
_NODES = weakref.WeakValueDictionary()
_ACCUMULATORS = weakref.WeakValueDictionary()


def grad_fn_of(t):
    """``t.grad_fn``: None for a leaf, else the (shared) GradFn of the node that made t."""
    if not t.parents:
        return None
    if t._backward in OUTPUTS:
        t = t.parents[0]
    fn = _NODES.get(id(t.parents))
    if fn is None:
        fn = _NODES[id(t.parents)] = GradFn(t)
    return fn


class GradFn:
    """The op that made a tensor: ``name()`` gives PyTorch's spelling (``'MulBackward0'``),
    ``next_functions`` the ``(node, output index)`` edge of each of the op's inputs."""

    __slots__ = ("_node", "_parents", "__weakref__")

    def __init__(self, node):
        self._node = node
        self._parents = node.parents  # which state of the node (it may change in place)

    def _state(self):
        """The node as it was when this op made it (it may since have been changed in
        place: the tensor then holds the new op and the old state is in its history)."""
        node = self._node
        if node.parents is self._parents:
            return node
        for _, old in node._aux.history:
            if old.parents is self._parents:
                return old
        raise RuntimeError("grad_fn: the node's earlier state is gone")  # not reached

    def name(self):
        return _name(self._state())

    @property
    def next_functions(self):
        """One ``(node, index)`` pair per input of the op, as PyTorch's: the input's
        grad_fn, an ``AccumulateGrad`` for a leaf that requires grad, ``None`` for an input
        that needs no gradient (a number operand, or a tensor without requires_grad)."""
        return _edges(self._state())

    def __repr__(self):
        return f"<{self.name().rpartition('::')[2]}>"


class AccumulateGrad:
    """The node at a leaf that requires grad: backward adds into ``variable.grad`` there."""

    __slots__ = ("variable", "__weakref__")
    next_functions = ()

    def __init__(self, variable):
        self.variable = variable

    def name(self):
        return "torch::autograd::AccumulateGrad"

    def __repr__(self):
        return "<AccumulateGrad>"


class _StandIn:
    """A node PyTorch builds where ninjagrad's op does not (``ReciprocalBackward0`` under
    ``c / x``): its name and edges."""

    __slots__ = ("_name", "next_functions")

    def __init__(self, name, next_functions):
        self._name = name
        self.next_functions = tuple(next_functions)

    def name(self):
        return self._name

    def __repr__(self):
        return f"<{self._name}>"


def _camel(op):
    return "".join(part[:1].upper() + part[1:] for part in op.split("_"))


def _is_function(node):
    # a Function's op is its class name; a built-in op's is lower case (but for the two
    # in-place nodes named after PyTorch's)
    return node.op[:1].isupper() and node.op not in ("CopySlices", "AsStrided")


def node_name(node):
    """PyTorch's name for the op that made ``node`` (``'ExpBackward0'``), for messages: the
    op's own name where ninjagrad cannot tell PyTorch's."""
    try:
        return _name(node)
    except Exception:  # noqa: BLE001 - a message must not fail over a name
        return node.op


def _name(node):
    op, saved = node.op, node._saved or {}
    if _is_function(node):
        return f"{op}Backward"  # a Function subclass: PyTorch appends "Backward"
    if op in _NAMES:
        return _NAMES[op]
    if op == "index" or op.endswith("+index"):
        return _index_names(node)[-1]
    if op in ("pow", "remainder") and len(node.parents) == 2:
        return f"{_camel(op)}Backward1"  # two tensors; Backward0 is tensor op number
    if op == "matmul":
        dims = tuple(p._data.ndim for p in node.parents)
        if dims in _MATMUL:
            return _MATMUL[dims]
        # the last of the nodes PyTorch builds around its mm, mv or bmm: a matrix times a
        # batch is computed transposed, then copied back (matmul_fold)
        return "CloneBackward0" if _transposed_fold(node) else "UnsafeViewBackward0"
    if op in ("sum", "mean") and saved.get("axes") is not None:
        return f"{_camel(op)}Backward1"  # over dims; Backward0 reduces everything
    return f"{_camel(op)}Backward0"


# matmul by the operands' dimensions, where PyTorch makes one node for it (for the others,
# PyTorch reshapes around an mm or bmm: next_functions refuses them)
_MATMUL = {(2, 2): "MmBackward0", (1, 1): "DotBackward0", (2, 1): "MvBackward0",
           (1, 2): "SqueezeBackward4"}
_ONE_NODE = ((2, 2), (1, 1), (2, 1))


# ------------------------------------------------------------------------------- the edges
def _parents_then(node):
    """``node.parents`` as they were when the node was made: a parent changed in place
    since is read from its history, as the backward walk reads it."""
    parents = node.parents
    if not any(p._aux is not None and p._aux.history for p in parents):
        return parents
    result = []
    for p in parents:
        if p._aux is not None and p._aux.history:
            for epoch, old in p._aux.history:
                if epoch >= node._born:
                    p = old
                    break
        result.append(p)
    return tuple(result)


def _edge(p):
    """The edge to input ``p`` (a tensor in the state the op saw)."""
    if not p._rg:
        return (None, 0)
    if not p.parents:
        acc = _ACCUMULATORS.get(id(p))
        if acc is None:
            acc = _ACCUMULATORS[id(p)] = AccumulateGrad(p)
        return (acc, 0)
    if p._backward in HIDDEN:
        return _edge(_parents_then(p)[0])
    if p._backward in OUTPUTS:
        return (grad_fn_of(p), p._saved["index"])
    fn = _NODES.get(id(p.parents))
    if fn is None:
        fn = _NODES[id(p.parents)] = GradFn(p)
    return (fn, 0)


def _refuse(node, why, name=None):
    return RuntimeError(
        f"next_functions of {name or _name(node)}: {why}, so ninjagrad's graph has no edges "
        "to give for it"
    )


def _edges(node):
    op = node.op
    parents = _parents_then(node)
    if op == "cross_entropy":  # PyTorch: log_softmax, then nll_loss (the target needs none)
        return (_through(["LogSoftmaxBackward0"], _edge(parents[0])),)
    if op == "batch_norm":
        return _batch_norm_edges(node, parents)
    edges = tuple(_edge(p) for p in parents)
    if _is_function(node):
        return edges
    if op in ("add", "sub", "mul", "div") and len(parents) == 1:
        return edges + ((None, 0),)  # the number operand: PyTorch wraps it in a tensor
    if op == "rdiv":
        return (_through(["ReciprocalBackward0"], edges[0]), (None, 0))
    if op == "reshape":
        return (_through(["CloneBackward0"], edges[0]),)
    if op == "matmul" or op == "matmul_mT":
        return _matmul_edges(node, parents, edges)
    if op == "index" or op.endswith("+index"):
        return _index_edges(node, edges)
    if op in _SETITEM:
        return edges[:1] + (_value_edge(node, edges[1]),)
    if op == "clamp_tensors":  # PyTorch: input, min, max; an absent bound has no gradient
        given = iter(edges[1:])
        return edges[:1] + tuple(next(given) if node._saved[bound] is not None else (None, 0)
                                 for bound in ("lo", "hi"))
    if op == "CopySlices":
        # PyTorch's CopySlices: the old base, then the inputs of the op applied to the view
        # (but the view itself, which it takes from the old base)
        return edges[:1] + _edges(parents[1])[1:]
    return edges


def _through(names, edge):
    """``edge`` seen through stand-ins for PyTorch's nodes ``names`` (first applied first);
    an input without gradient has none."""
    if edge[0] is None:
        return edge
    for name in names:
        edge = (_StandIn(name, (edge,)), 0)
    return edge


def _matmul_edges(node, parents, edges):
    """PyTorch computes a matmul of other than two matrices, or a matrix and a vector, as an
    mm or mv between reshaped operands: stand-ins for those nodes, where ninjagrad can tell
    which PyTorch makes (a fold, matmul_fold); a bmm between expanded operands it refuses."""
    a, b = parents
    dims = (a._data.ndim, b._data.ndim)
    if dims in _ONE_NODE:
        return edges
    if dims == (1, 2):  # SqueezeBackward4 over mm(a.unsqueeze(0), b)
        inputs = (_through(["UnsqueezeBackward0"], edges[0]), edges[1])
        return ((_StandIn("MmBackward0", inputs), 0),)
    fold = matmul_fold(a._data, b._data, a._rg, b._rg)
    if fold is None:
        raise _refuse(node, "PyTorch computes this matmul as a bmm between expanded and "
                            "reshaped operands")
    big, squeezed, transposed = fold
    small = 1 - big
    folded = ["TransposeBackward0"] if big else []  # the batch operand as one matrix
    p = parents[big]
    if p.op == "clone" and p._backward in HIDDEN:  # the reshape copied (matmul's fold copy)
        folded += ["CloneBackward0", "UnsafeViewBackward0"]
    else:
        matrix = np.swapaxes(p._data, -1, -2) if big else p._data
        folded.append("ViewBackward0" if matrix.flags.c_contiguous
                      else "ReshapeAliasBackward0")
    other = ["SqueezeBackward1"] if squeezed is not None else []
    if transposed:  # y.mT @ x.mT
        other.append("TBackward0")
    inputs = (_through(folded, edges[big]), _through(other, edges[small]))
    matrix_times = parents[small]._data.ndim - (squeezed is not None) == 2
    edge = (_StandIn("MmBackward0" if matrix_times else "MvBackward0", inputs), 0)
    if transposed and node.op == "matmul":  # the product copied back from its transpose
        return (_through(["UnsafeViewBackward0", "TransposeBackward0"], edge),)
    return (edge,)


def _transposed_fold(node):
    a, b = node.parents
    fold = matmul_fold(a._data, b._data, a._rg, b._rg)
    return fold is not None and fold[2]


# How PyTorch 2.13's matmul computes a product of an N-D operand (N >= 3) and a 1-D or 2-D
# one (measured; tests/test_matmul_views.py compares each case with PyTorch). It folds the
# batch operand into one matrix, when matmul_folds says so, and calls mm or mv:
# - N-D @ 1-D/2-D: mm(x.reshape(-1, k), y) (mv for a 1-D y), reshaped back with
#   _unsafe_view: a new tensor, not a view;
# - 1-D @ N-D: mv(y.mT.reshape(-1, k), x), then _unsafe_view: not a view either;
# - 2-D @ N-D: mm(y.mT.reshape(-1, k), x.mT), _unsafe_view'd to (..., m, n), transposed
#   back with .mT and made contiguous: a copy (CloneBackward0), unless the transpose already
#   is contiguous (n or m is 1, or it is empty): then the result is a view of that hidden
#   (..., m, n) product (TransposeBackward0 over UnsafeViewBackward0), which PyTorch's
#   in-place rules treat as any view (a write to it under no_grad() gives it a new grad_fn).
# - 3-D @ 3-D with different batch sizes drops a batch of one that requires grad (x's
#   first): squeeze(0), then as above.
# The folded reshape is a view of the operand when the strides allow (ViewBackward0 if
# contiguous, else ReshapeAliasBackward0), else a copy (CloneBackward0, UnsafeViewBackward0):
# mm and mv save their operands for backward, so then the copy is what is saved, and a later
# in-place change of the operand does not stop backward. Any other product is a bmm of
# operands expanded to the broadcast batch and reshaped to one batch dim (UnsafeViewBackward0
# over BmmBackward0): a copy, saved as such, where the batch dims cannot merge
# (operators._bmm_operands).
def matmul_fold(x, y, x_rg, y_rg):
    """``(big, squeezed, transposed)`` when PyTorch folds ``x @ y`` (arrays, and whether
    they require grad) into one mm or mv, else None. ``big``: the index of the operand
    folded into a matrix; ``squeezed``: the index of a 3-D operand whose batch of one was
    dropped first, or None; ``transposed``: computed as ``y.mT @ x.mT`` (x a matrix)."""
    nx, ny = x.ndim, y.ndim
    squeezed = None
    if nx == 3 and ny == 3:
        if x.shape[0] == y.shape[0]:
            return None
        if x.shape[0] == 1 and x_rg:
            x, squeezed, nx = x[0], 0, 2
        elif y.shape[0] == 1 and y_rg:
            y, squeezed, ny = y[0], 1, 2
        else:
            return None
    if not matmul_folds(x, y, x_rg, y_rg):
        return None
    big = 0 if nx > ny else 1
    return big, squeezed, big == 1 and nx == 2


def matmul_folds(x, y, x_rg, y_rg):
    """Whether PyTorch's matmul folds an N-D operand (N >= 3) times a 1-D or 2-D one into a
    single mm or mv (PyTorch's should_fold)."""
    if x.ndim >= y.ndim:
        big, small_rg = x, y_rg
    else:
        big, small_rg = np.swapaxes(y, -1, -2), x_rg
    if big.ndim < 3 or min(x.ndim, y.ndim) > 2:
        return False
    if small_rg:  # folded even if that copies: a smaller gradient for the small operand
        return True
    if x.ndim == 2:  # folding would need a transposed copy of the output
        return False
    # The leading dims merge without a copy: judged from strides, as PyTorch does. numpy's
    # strides are PyTorch's for the same layout, except sometimes a size-1 dim's.
    shape, strides = big.shape, big.strides
    return big.size == 0 or all(strides[i] == strides[i + 1] * shape[i + 1]
                                for i in range(big.ndim - 2))


def _batch_norm_edges(node, parents):
    """input, weight, bias, as PyTorch's node has them; an absent one has no edge."""
    if node._saved is not None:
        weighted, biased = node._saved["gain"] is not None, node._saved["biased"]
    elif len(parents) == 2:
        raise _refuse(node, "backward freed the graph and ninjagrad cannot tell whether "
                            "the second input was the weight or the bias")
    else:
        weighted = biased = len(parents) == 3
    edges = iter(_edge(p) for p in parents)
    return (next(edges), next(edges) if weighted else (None, 0),
            next(edges) if biased else (None, 0))


# -------------------------------------------------------------------------------- indexing
def _index_names(node):
    """PyTorch's nodes for ``x[index]``, first applied first: each int a select, each slice
    that is not the whole dimension a slice, each None (or bool) an unsqueeze, and index
    arrays one index node at the end; a plain ``x[a:b]`` is always a slice and an index of
    whole slices an alias. An index with arrays has them in its op name (``gather_op``)."""
    op = node.op
    if op != "index" or node._saved is None or "basic" not in node._saved:
        return [_camel(name) + "Backward0" for name in op.split("+")]
    idx = node._saved["basic"]  # a view: ints, slices, None and Ellipsis
    if idx.__class__ is not tuple:
        idx = (idx,)
        if idx[0].__class__ is slice:
            return ["SliceBackward0"]
    return _basic_names(idx, node.parents[0]._data.shape) or ["AliasBackward0"]


_BASIC = (int, slice, type(Ellipsis))


def gather_op(idx, shape):
    """The op name of ``x[idx]`` (an index with index arrays, as written), naming the nodes
    PyTorch makes for it, first applied first: ``index``, or ``select+index``,
    ``unsqueeze+slice+index``, ... (its selects, slices and unsqueezes come before the
    index). Kept in the op name, it outlives the index backward frees."""
    parts = tuple(_as_index_part(p) for p in (idx if idx.__class__ is tuple else (idx,)))
    names = [name.removesuffix("Backward0").lower() for name in _basic_names(parts, shape)]
    return "+".join(names + ["index"])


def _as_index_part(p):
    """An index part as written (a list, range, Tensor, bool ...) as ``_basic_names`` reads
    it: ints, slices, None and Ellipsis as they are, anything else as a numpy array."""
    if p is None or p is Ellipsis or p.__class__ in _BASIC:
        return p
    return np.asarray(p)


def _kind(part):
    """``select`` (an int, or a 0-d integer array), ``flag`` (a 0-d bool), ``array`` (an
    index array), ``basic`` (a slice, None or Ellipsis)."""
    if part.__class__ is int:
        return "select"
    if part.__class__ is slice or part is None or part is Ellipsis:
        return "basic"
    if part.ndim:
        return "array"
    return "flag" if part.dtype.kind == "b" else "select"


def _basic_names(parts, shape):
    """The select/slice/unsqueeze nodes of the basic parts of an index, in order. A 0-d
    integer array acts as an int, a 0-d bool as a new dimension (then indexed)."""
    names = []
    dim = 0
    for p in parts:
        if p is Ellipsis:
            dim += len(shape) - sum(_dims_taken(q) for q in parts)
            continue
        kind = _kind(p)
        if p is None or kind == "flag":
            names.append("UnsqueezeBackward0")
        elif kind == "select":
            names.append("SelectBackward0")
        elif p.__class__ is slice and p.indices(shape[dim]) != (0, shape[dim], 1):
            names.append("SliceBackward0")
        dim += _dims_taken(p)
    return names


def _dims_taken(part):
    """How many dimensions of the indexed tensor an index part consumes."""
    if part is None or part is Ellipsis:
        return 0
    if part.__class__ is int or part.__class__ is slice:
        return 1
    return part.ndim if part.dtype.kind == "b" else 1  # a mask spans its dims


def _index_edges(node, edges):
    """Edges of ``x[index]`` through stand-ins for PyTorch's chain of index nodes."""
    return (_through(_index_names(node)[:-1], edges[0]),)


def setitem_op(index, advanced, value, shape, written):
    """The op name ``x[index] = value`` records, after the node PyTorch makes for it (the
    name must outlive what the node saves): ``fill_tensor`` (FillBackward3) for a 0-d value
    written to all of x, ``setitem`` (CopyBackwards) for a tensor written to all of x,
    ``copy_slices`` (CopySlices) for part of x, ``index_put`` (IndexPutBackward0) for an
    index array. ``index`` and ``advanced`` are as ``ops.indexing._index`` gives them,
    ``shape`` is x's and ``written`` the shape of the part written.

    A tensor value of another shape than the part written PyTorch first views (``_view``),
    and expands unless only leading 1s differed (``_expand``); with an index array, it
    views a value with leading 1s (dropping them) and leaves the broadcast to index_put_."""
    if advanced is not None:  # ints next to arrays: PyTorch selects, then writes the view
        op = "copy_slices" if hasattr(index, "first") else "index_put"
        return op + "_view" if value.ndim and value.shape[0] == 1 else op
    parts = index if index.__class__ is tuple else (index,)
    if _basic_names(parts, shape) or any(p is None for p in parts):
        op = "copy_slices"
    elif not value.ndim:
        return "fill_tensor"
    else:
        op = "setitem"
    if not value.ndim or value.shape == written:
        return op
    ones = 0
    while ones < value.ndim and value.shape[ones] == 1:
        ones += 1
    return op + ("_view" if value.shape[ones:] == written else "_expand")


def _value_edge(node, edge):
    """The edge to the value of ``x[index] = v``, through PyTorch's view and expand of it
    (see ``setitem_op``)."""
    op = node.op
    if op.endswith("_view"):
        return _through(["ViewBackward0"], edge)
    if op.endswith("_expand"):
        return _through(["ViewBackward0", "ExpandBackward0"], edge)
    return edge
