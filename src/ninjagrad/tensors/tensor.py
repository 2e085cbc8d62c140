"""``Tensor``: a numpy array that remembers how it was made, and the backward walk.

A tensor made by an op is a graph node: ``parents`` holds its inputs, ``op`` names the op,
``_backward`` is the op's backward function and ``_saved`` what else the op saved for it,
by name. ``make_node`` creates every op's result; the backward walk calls
``_backward(node, grad, **saved)``, which returns one gradient (a numpy array or None) per
parent. The backward receives its node instead of closing over it, so a graph holds no
reference cycles and is freed the moment the last tensor of it goes away.

The ops themselves live in ``ninjagrad.tensors.ops`` (how an op is written is explained
there). Each registers itself as a Tensor method with ``@method`` right where it is
defined; this module imports none of them.
"""

import functools
import math
import weakref

import numpy as np

from ninjagrad.graph import topological_order
from ninjagrad.tensors import dtypes, grad_mode
from ninjagrad.tensors.device import CPU, unsupported
from ninjagrad.tensors.dtypes import as_array, bool_, int64, public_dtype
from ninjagrad.tensors.grad_fn import grad_fn_of, node_name
from ninjagrad.tensors.grad_mode import set_grad_mode
from ninjagrad.tensors.size import Size
from ninjagrad.tensors.storage import UntypedStorage, data_ptr, storage_offset, typed_storage

ndarray = np.ndarray
_new = object.__new__


class Tensor:
    """An n-dimensional array with autograd, named and behaving like PyTorch's ``Tensor``.

    ``data`` is the numpy array, ``grad`` the accumulated gradient (a Tensor or None),
    ``parents`` the tensors it was computed from (empty for leaves) and ``op`` the name of
    the op that made it ('' for leaves). Make tensors with ``ninjagrad.tensor(...)``.

    The math (``+``, ``sum``, ``exp``, ``view``, indexing...) is not written here: each op
    module under ``ninjagrad/tensors/ops/`` attaches its ops with ``@method("sum")`` right
    above their definitions. This class holds what is not an op: attributes, conversions,
    ``backward`` and in-place updates.
    """

    # _g holds the gradient flowing into this node while a backward pass runs; _mark belongs
    # to the graph walk (ninjagrad.graph.topological_order). The version counter _vc is a
    # one-element list shared by every tensor on the same storage (a base, its views, its
    # detach() aliases), None until the storage is first shared or written in place. _sv
    # holds the parents' versions when the node was made (None: all 0), _born the in-place
    # epoch it was made in, _aux the rarely used view and history state. _plain: whether
    # _data is plain (see found_plain), None until found for a leaf.
    __slots__ = ("_data", "_grad", "_rg", "parents", "op", "_backward", "_saved", "_retain", "_g",
                 "_mark", "_vc", "_sv", "_born", "_aux", "_plain", "__weakref__")
    __hash__ = object.__hash__  # == is elementwise, so hashing stays identity-based
    __array_priority__ = 1000

    def __init__(self, data, dtype=None, requires_grad=False):
        _leaf(self, as_array(data._data if isinstance(data, Tensor) else data, dtype))
        if requires_grad:
            self.requires_grad = True

    # ---------------------------------------------------------------- attributes
    # ``data`` (the numpy array, PyTorch's answers where the names clash) is defined with
    # its array class in ninjagrad/tensors/data_array.py.

    @property
    def grad(self):
        """Accumulated gradient of a leaf (or of a ``retain_grad()`` tensor), else None."""
        return self._grad

    @grad.setter
    def grad(self, value):
        if value is not None:
            if not isinstance(value, Tensor):
                raise TypeError(f"assigned grad must be a Tensor or None, got {type(value)}")
            if value.shape != self.shape:
                raise RuntimeError(
                    f"assigned grad has data of a different size: {value.shape} "
                    f"but the tensor has shape {self.shape}"
                )
        self._grad = value

    @property
    def requires_grad(self):
        return self._rg

    @requires_grad.setter
    def requires_grad(self, flag):
        flag = bool(flag)
        if self.parents and not flag:
            raise RuntimeError(
                "you can only change requires_grad flags of leaf variables. "
                "Use .detach() to get a tensor without a graph."
            )
        if flag and self._data.dtype.kind not in "fc":
            raise RuntimeError(
                "only Tensors of floating point dtype can require gradients "
                f"(this one is {self._data.dtype.name})"
            )
        self._rg = flag

    def requires_grad_(self, requires_grad=True):
        self.requires_grad = requires_grad
        return self

    @property
    def is_leaf(self):
        return not self.parents

    @property
    def shape(self):
        return Size(self._data.shape)

    @property
    def dtype(self):
        """The element type, named as in PyTorch (``ninjagrad.float32``); equal to numpy's."""
        return public_dtype(self._data.dtype)

    @property
    def device(self):
        """Always ``device('cpu')``: the data is a numpy array."""
        return CPU

    def cuda(self, device=None, non_blocking=False):
        """Refused: ninjagrad has no GPU backend (the error says so)."""
        raise unsupported("cuda" if device is None else f"cuda:{device}")

    @property
    def grad_fn(self):
        """The op that made this tensor, named as PyTorch does (``<MulBackward0>``); None for
        leaves and for results that need no gradient."""
        return grad_fn_of(self)

    @property
    def ndim(self):
        return self._data.ndim

    def dim(self):
        return self._data.ndim

    def size(self, dim=None):
        return Size(self._data.shape) if dim is None else self._data.shape[dim]

    def nelement(self):
        return self._data.size

    numel = nelement

    # ---------------------------------------------------------------- memory
    def storage(self):
        """The memory this tensor's elements live in (shared with its views), read as its
        dtype, as PyTorch's deprecated ``TypedStorage`` (ninjagrad.tensors.storage)."""
        return typed_storage(self._data)

    def untyped_storage(self):
        """The memory this tensor's elements live in, as bytes."""
        return UntypedStorage(self._data)

    def data_ptr(self):
        """The address of the first element (equal for a tensor and a view that starts at
        the same element)."""
        return data_ptr(self._data)

    def storage_offset(self):
        """How many elements into the storage the first element is."""
        return storage_offset(self._data)

    def element_size(self):
        return self._data.itemsize

    def is_contiguous(self, memory_format=None):
        """Whether the elements lie in memory in row-major order, without gaps."""
        if memory_format is not None:
            raise NotImplementedError("is_contiguous(memory_format=...): ninjagrad has only "
                                      "the default, row-major layout")
        return self._data.flags.c_contiguous

    def numpy(self):
        """The data as a numpy array (shared, like PyTorch's ``.numpy()``)."""
        if self._rg:
            raise RuntimeError(
                "Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy()"
            )
        return self._data

    def item(self):
        if self._data.size != 1:
            raise RuntimeError(
                f"a Tensor with {self._data.size} elements cannot be converted to Scalar"
            )
        return self._data.item()

    def tolist(self):
        return self._data.tolist()

    def __array__(self, dtype=None, copy=None):
        arr = self._data
        if dtype is not None:
            arr = arr.astype(dtype, copy=False)
        return arr.copy() if copy else arr

    def __len__(self):
        if not self._data.ndim:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    def __iter__(self):
        if not self._data.ndim:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(self._data.shape[0]))

    def __float__(self):
        return float(self.item())

    def __int__(self):
        return int(self.item())

    def __index__(self):
        if self._data.dtype.kind not in "iu" or self._data.size != 1:
            raise TypeError("only integer tensors of a single element can be used as an index")
        return int(self._data.item())

    def __bool__(self):
        if self._data.size != 1:
            raise RuntimeError(
                f"Boolean value of Tensor with {self._data.size} values is ambiguous"
            )
        return bool(self._data.item())

    def __format__(self, spec):
        # PyTorch: a 0-d tensor formats as its number (f"{loss:.4f}"); others only as str()
        if not self._data.ndim:
            return self._data.item().__format__(spec)
        if spec:
            raise TypeError("unsupported format string passed to Tensor.__format__")
        return str(self)

    def __repr__(self):
        body = np.array2string(
            self._data, precision=4, separator=", ", prefix="tensor(", suppress_small=False
        )
        extras = []
        if self._data.dtype not in (dtypes.default_float, int64, bool_):  # as PyTorch prints
            extras.append(f"dtype={public_dtype(self._data.dtype)!r}")
        if self.parents:
            extras.append(f"grad_fn={grad_fn_of(self)!r}")
        elif self._rg:
            extras.append("requires_grad=True")
        return "tensor(" + body + "".join(", " + e for e in extras) + ")"

    # ---------------------------------------------------------------- graph
    def retain_grad(self):
        """Keep ``.grad`` on this non-leaf after backward (leaves keep theirs anyway)."""
        if not self._rg:
            raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
        self._retain = True

    def detach(self):
        """A tensor sharing this one's data and version counter, cut off from the graph
        (an in-place change of either is seen by the other and by backward)."""
        t = _wrap(self._data)
        t._vc = _counter(self)
        t._aux = _Aux(alias_of=self)
        return t

    @property
    def _version(self):
        """How many in-place changes the storage has seen (PyTorch's ``_version``)."""
        return 0 if self._vc is None else self._vc[0]

    def backward(self, gradient=None, retain_graph=None, create_graph=False):
        """Accumulate d(self)/d(leaf) into ``.grad`` of every leaf that requires grad.

        ``gradient`` is the gradient flowing into ``self``; it may be omitted only for a
        single-element tensor (it is then 1). Gradients add up across calls, as in PyTorch.
        The values the graph saved for backward are freed afterwards unless
        ``retain_graph=True``; a second backward through such a node raises, as in PyTorch.
        ``create_graph=True`` (a graph of the backward itself) is not supported.
        """
        if create_graph:
            raise NotImplementedError(
                "backward(create_graph=True): ninjagrad does not build a graph of the "
                "backward pass (no double backward); compute higher derivatives by hand"
            )
        if retain_graph is None:
            retain_graph = create_graph
        if not self._rg:
            raise RuntimeError(
                "element 0 of tensors does not require grad and does not have a grad_fn "
                "(no input of this result has requires_grad=True, or it was computed under "
                "no_grad())"
            )
        if gradient is None:
            if self._data.size != 1:
                raise RuntimeError(
                    "grad can be implicitly created only for scalar outputs "
                    f"(this output has shape {self._data.shape}); pass backward(gradient)"
                )
            seed = np.ones_like(self._data)
        else:
            seed = gradient._data if isinstance(gradient, Tensor) else np.asarray(gradient)
            if seed.shape != self._data.shape:
                raise RuntimeError(
                    f"Mismatch in shape: grad has a shape of {seed.shape} and output has a "
                    f"shape of {self._data.shape}"
                )
        previous = set_grad_mode(False)
        try:
            _run_backward(self, seed, retain_graph)
        finally:
            set_grad_mode(previous)

    # numpy meets a Tensor in ``p.data += -lr * p.grad`` (an ndarray op with a Tensor
    # operand): compute on the arrays when numpy writes into an existing ndarray, and
    # otherwise hand the op back to the Tensor so the result is a Tensor.
    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        out = kwargs.get("out")
        if out is not None:
            if method != "__call__":
                return NotImplemented
            for o in out:
                if o.__class__ is not ndarray:
                    return NotImplemented
            if len(inputs) == 2:  # p.data += -lr * p.grad: every parameter, every step
                a, b = inputs
                return ufunc(a._data if a.__class__ is Tensor else a,
                             b._data if b.__class__ is Tensor else b, **kwargs)
            arrays = [x._data if x.__class__ is Tensor else x for x in inputs]
            return ufunc(*arrays, **kwargs)
        if method != "__call__" or kwargs:
            return NotImplemented
        names = _UFUNC_METHODS.get(ufunc)
        if names is None:
            return NotImplemented
        if len(inputs) == 1:
            return getattr(Tensor, names[0])(inputs[0])
        a, b = inputs
        if isinstance(a, Tensor):
            return getattr(Tensor, names[0])(a, _constant(b))
        return getattr(Tensor, names[1])(b, _constant(a))


# numpy meets a Tensor operand (``ndarray + tensor``, ``np.exp(tensor)``): the ufuncs it may
# hand over, and the Tensor methods (forward, reflected) that compute them.
_UFUNC_METHODS = {
    np.add: ("__add__", "__radd__"),
    np.subtract: ("__sub__", "__rsub__"),
    np.multiply: ("__mul__", "__rmul__"),
    np.true_divide: ("__truediv__", "__rtruediv__"),
    np.power: ("__pow__", "__rpow__"),
    np.matmul: ("__matmul__", "__rmatmul__"),
    np.equal: ("__eq__", "__eq__"),
    np.not_equal: ("__ne__", "__ne__"),
    np.negative: ("__neg__",),
    np.exp: ("exp",),
    np.log: ("log",),
    np.tanh: ("tanh",),
    np.sqrt: ("sqrt",),
    np.absolute: ("abs",),
}


def _constant(x):
    """A numpy array or scalar met by ``__array_ufunc__``, as a tensor with its dtype."""
    if isinstance(x, ndarray):
        return _wrap(x if x.__class__ is ndarray else x.view(ndarray))
    if isinstance(x, np.generic):
        return x.item()
    return x


# ---------------------------------------------------------------------- registering the ops
OP_METHODS = {}
"""Every Tensor method an op registered with ``@method``, by name (the coverage test reads it)."""


def method(*names, function=False, is_property=False):
    """Register the decorated op as the Tensor method(s) ``names``, right where it is defined.

    ``@method("sum", function=True)`` also makes the decorated name PyTorch's function form
    (``ninjagrad.sum(x, 1)``): the same op behind a check that its first argument is a
    Tensor; a method's ``self`` always is, so the method skips that check.
    ``is_property=True`` registers a property instead (``Tensor.T``).
    """

    def register(op):
        for name in names:
            if name in OP_METHODS:  # one op, one place
                raise RuntimeError(f"Tensor.{name} is registered twice")
            OP_METHODS[name] = op
            setattr(Tensor, name, property(op, doc=op.__doc__) if is_property else op)
        return _function_form(op) if function else op

    return register


def _function_form(op):
    name = op.__name__

    def function(input, *args, **kwargs):
        if not isinstance(input, Tensor):
            raise TypeError(
                f"{name}(): argument 'input' must be Tensor, not {type(input).__name__}"
            )
        return op(input, *args, **kwargs)

    functools.update_wrapper(function, op)  # the op's name, docstring and signature
    return function


# -------------------------------------------------------------------------- graph nodes
OUT = -1
"""In ``saves(...)``: the op's own output."""


def saves(*tensors):
    """Declare, on a backward function, what its op saves for backward, as PyTorch does.

    Each item is a parent index, ``OUT`` (the op's output), or ``(i, j)``: parent ``i``,
    saved only when parent ``j`` requires grad (``mul`` keeps ``b`` only to give ``a`` its
    gradient). Backward checks that none of them was changed in place since the op ran
    (PyTorch's version-counter error), and a node that saves anything, even only private
    arrays in its ``saved`` dict (``@saves()``), is freed after a backward without
    ``retain_graph=True``: a second backward through it raises, as in PyTorch. A backward
    without ``@saves`` saves nothing and may run again.
    """
    spec = tuple((t, None) if t.__class__ is int else t for t in tensors)

    def declare(backward):
        backward.saves = spec
        return backward

    return declare


class _Aux:
    """Rarely used state of a tensor: ``base``/``steps`` for a view (the tensor whose
    storage it shares, and the view ops that lead from it to the view), ``views`` for a
    base (weak references to its views), ``history`` for a tensor
    changed in place inside a graph (``(epoch, snapshot)`` of each earlier state, oldest
    first), ``no_grad_view`` for a view made under ``no_grad()``, ``alias_of`` for a
    ``detach()``ed alias (the tensor whose storage it shares: a write through the alias
    is a write into that tensor's storage, which its views must follow)."""

    __slots__ = ("base", "steps", "views", "history", "no_grad_view", "alias_of")

    def __init__(self, base=None, steps=None, no_grad_view=False, alias_of=None):
        self.base = base
        self.steps = steps
        self.views = self.history = None
        self.no_grad_view = no_grad_view
        self.alias_of = alias_of

    def __repr__(self):
        return f"_Aux(view={self.base is not None}, changed={bool(self.history)})"


def _wrap(data):
    """A leaf Tensor around an existing array (no copy, no checks): the engine's fast path."""
    t = _new(Tensor)
    _leaf(t, data)
    return t


def _leaf(t, data):
    """Give every slot of ``t`` its value for a leaf holding ``data``: the one list of them."""
    t._data = data
    t._grad = None
    t._rg = False
    t.parents = ()
    t.op = ""
    t._backward = None
    t._saved = None
    t._retain = False
    t._g = None
    t._mark = None
    t._vc = None
    t._aux = None
    t._plain = None


# A clock of in-place changes: it ticks at every write into a tensor's storage
# (``bump_version``) and at each in-place change recorded in a graph. A node remembers the
# epoch it was made in (``_born``), so the backward walk can send its gradient to the state
# its parent had then, as PyTorch's edges point at the grad_fn of that moment; and a node
# made in the current epoch needs no version check: nothing was written since.
_epoch = 0
# Set once some tensor was changed in place inside a graph (it then has a ``history``):
# from then on the walk reads each node's parents as they were when it was made.
_rewired = False


def make_node(data, parents, backward, op, saved=None):
    """The output of an op: records the graph only if grad mode is on and a parent needs it.

    Every op (built-in primitives and ``Function.apply``) creates its result here. The
    backward is called as ``backward(node, grad, **saved)``: what the forward saves by name
    (``{"axes": axes, "keepdim": keepdim}``) the backward receives as its parameters of
    the same names (``def _sum_backward(node, g, axes, keepdim)``). A dict literal rather
    than keyword arguments to make_node or a namespace read by attribute: measured over a
    tuple, the dict costs ~70 ns per op, keyword arguments ~200 ns, a SimpleNamespace
    ~400 ns (12-15% of a small op such as ``x.sum(0)``).
    """
    if data.__class__ is not ndarray:
        data = np.asarray(data)  # numpy returns scalars from 0-d arithmetic and reductions
    t = _new(Tensor)
    # the slots _leaf gives, written out: a call to it would cost ~50 ns on every op
    t._data = data
    t._grad = None
    t._retain = False
    t._g = None
    t._mark = None
    t._vc = None
    t._aux = None
    t._plain = False
    # the first parent tested apart: it usually decides, and a loop costs ~25 ns more
    if grad_mode.enabled and parents and (parents[0]._rg or _any_requires_grad(parents)):
        t._rg = True
        t.parents = parents
        t.op = op
        t._backward = backward
        t._saved = saved
        t._born = _epoch
        t._sv = None  # all parents at version 0: the common case, kept cheap
        if _epoch:  # else nothing was ever written in place: every version is 0
            for q in parents:
                vc = q._vc
                if vc is not None and vc[0]:
                    t._sv = versions(parents)
                    break
        return t
    t._rg = False
    t.parents = ()
    t.op = ""
    t._backward = None
    t._saved = None
    return t


def found_plain(t):
    """Whether ``t``'s array is plain, found and kept in ``t._plain``; ``t._plain or
    t._plain is None and found_plain(t)`` is the test, ~10 ns once known.

    Plain is row-major without dimensions of size 0 or 1: PyTorch lays out the result of
    an op of plain tensors row-major, and so does numpy (its ufuncs settle ties between
    operand layouts in row-major order; reductions and indexing keep a row-major input's
    order), so ops skip their layout tests for them. numpy's ``flags`` and ``shape`` cost
    ~50 ns each: the tests took ~0.35 us of a 3.5 us add. A node is made not plain
    (False) unless its op says so; a leaf is looked at on its first use (None).
    """
    x = t._data
    shape = x.shape
    plain = t._plain = 1 not in shape and 0 not in shape and x.flags.c_contiguous
    return plain


def _any_requires_grad(tensors):
    for t in tensors:
        if t._rg:
            return True
    return False


def make_view(data, a, backward, op, saved, step):
    """The output of a view op: ``make_node``'s result sharing ``a``'s storage and version
    counter, as PyTorch's views do. ``step(array)`` repeats the op on any array of ``a``'s
    shape: replayed on element numbers, it tells which base element each view element is."""
    t = make_node(data, (a,), backward, op, saved)
    vc = a._vc
    if vc is None:
        vc = a._vc = [0]
    t._vc = vc
    aux = a._aux
    if aux is not None and aux.base is not None:
        base = aux.base
        t._aux = _Aux(base, aux.steps + (step,), not grad_mode.enabled)
    else:
        base = a
        t._aux = _Aux(a, (step,), not grad_mode.enabled)
    owner = base._aux
    if owner is None:
        owner = base._aux = _Aux()
    views = owner.views
    if views is None:
        owner.views = [weakref.ref(t)]
    else:
        if len(views) > 16:  # forget dead views now and then
            views[:] = [r for r in views if r() is not None]
        views.append(weakref.ref(t))
    return t


def view_positions(t):
    """For each element of view ``t``, the row-major index of the base element it shows."""
    return positions_of(t._aux.steps, t._aux.base._data.shape)


def positions_of(steps, shape):
    """The view ops ``steps`` replayed on the element numbers of an array of ``shape``."""
    positions = np.arange(math.prod(shape)).reshape(shape)
    for step in steps:
        positions = step(positions)
    return positions


def live_views(t):
    """The views of ``t`` (a base) still alive."""
    aux = t._aux
    if aux is None or not aux.views:
        return []
    return [v for v in (r() for r in aux.views) if v is not None]


def _counter(t):
    """``t``'s version counter, made on first need (it is then shared with aliases)."""
    vc = t._vc
    if vc is None:
        vc = t._vc = [0]
    return vc


def versions(tensors):
    """The tensors' current versions, as a tuple."""
    return tuple([0 if q._vc is None else q._vc[0] for q in tensors])


def bump_version(t):
    """Count one in-place change of ``t``'s storage."""
    global _epoch
    _epoch += 1
    vc = t._vc
    if vc is None:
        t._vc = [1]
    else:
        vc[0] += 1


def _next_epoch():
    """The epoch of an in-place change recorded now; nodes made later get a later one."""
    global _epoch
    epoch = _epoch
    _epoch += 1
    return epoch


# ---------------------------------------------------------------------- the backward walk
def _state_at(p, born):
    """The state tensor ``p`` had when a node made in epoch ``born`` used it."""
    for epoch, snapshot in p._aux.history:
        if epoch >= born:
            return snapshot
    return p


def _parents_then(node):
    """``node.parents`` as they were when ``node`` was made (see ``_epoch``)."""
    parents = node.parents
    for p in parents:
        aux = p._aux
        if aux is not None and aux.history:
            break
    else:  # no parent was changed in place: the common case, without a new tuple
        return parents
    born = node._born
    return tuple(
        _state_at(p, born) if p._aux is not None and p._aux.history else p
        for p in parents
    )


def _run_backward(root, seed, retain_graph=False, capture=None):
    """Walk the graph from ``root`` in reverse topological order, adding up gradients.

    Pending gradients live on the nodes themselves (``_g``), not in a dict keyed by id:
    it is the engine's innermost loop. Once some tensor in the process was changed in
    place inside a graph, parents are read as they were when each node was made.
    ``capture`` (``autograd.grad``) maps ``id(node)`` of the tensors to differentiate by to
    None: their gradients are stored there instead, and no ``.grad`` is touched.
    """
    changed = _rewired
    order = topological_order(root, _parents_then if changed else None)
    root._g = seed
    plain = capture is None  # backward(): gradients go to .grad
    ran = []  # nodes whose saved values go after the walk
    try:
        for node in reversed(order):
            g = node._g
            if g is None:
                if not getattr(node._backward, "materializes", False):
                    continue  # a Function runs even so, as in PyTorch (see function.py)
            else:
                node._g = None
            if not plain and id(node) in capture:
                capture[id(node)] = g
            parents = node.parents
            if not parents:
                if node._rg and plain:
                    _accumulate(node, g)
                continue
            if node._retain and plain and g is not None:
                _accumulate(node, g)
            backward = node._backward
            spec = getattr(backward, "saves", None)
            if spec is not None:
                if spec and node._born != _epoch:  # else nothing was written since
                    _check_saved(node, spec)
                ran.append(node)
            saved = node._saved
            grads = backward(node, g, **saved) if saved else backward(node, g)
            if changed:
                parents = _parents_then(node)
            for p, pg in zip(parents, grads):  # noqa: B905 - a keyword costs per node
                if pg is not None and p._rg:
                    if pg.dtype is not p._data.dtype:  # a mixed-dtype op's gradient
                        pg = _in_dtype_of(pg, p)
                    prev = p._g
                    p._g = pg if prev is None else prev + pg
    except BaseException:
        for node in order:  # leave no half-finished gradients behind
            node._g = None
        raise
    if not retain_graph:
        for node in ran:
            node._backward = _freed_backward
            node._saved = None


def _in_dtype_of(g, p):
    """Gradient ``g`` cast to its input ``p``'s dtype, as PyTorch's engine casts each one
    before adding it up (float32 inf plus a float64 -4.7e61 is then inf + -inf = nan, not
    inf). Gradients of a Function's several outputs travel together and are cast on their
    way out of it."""
    dtype = p._data.dtype
    if g.__class__ is ndarray or isinstance(g, np.generic):
        if g.dtype != dtype:
            with np.errstate(over="ignore"):  # beyond float32's range: inf, as in PyTorch
                return g.astype(dtype)
    return g


def _freed_backward(node, g):
    raise RuntimeError(
        "Trying to backward through the graph a second time (or directly access saved "
        "tensors after they have already been freed). Saved intermediate values of the graph "
        "are freed when you call .backward() or autograd.grad(). Specify retain_graph=True if "
        "you need to backward through the graph a second time or if you need to access saved "
        f"tensors after calling backward. (The node that needed them: {node_name(node)}.)"
    )


def _check_saved(node, spec):
    """PyTorch's error if a tensor the node's op saved was changed in place since."""
    parents = node.parents
    sv = node._sv
    for index, condition in spec:
        if condition is not None and not parents[condition]._rg:
            continue
        if index == OUT:
            t = node
            expected = sv[-1] if sv is not None and len(sv) > len(parents) else 0
        else:
            t = parents[index]
            expected = sv[index] if sv is not None else 0
        vc = t._vc
        if vc is not None and vc[0] != expected:
            if t._aux is not None and t._aux.history and index != OUT:
                t = _state_at(t, node._born)  # name the op that made what was saved
            raise modified_error(t, vc[0], expected, node_name(node))


def modified_error(t, version, expected, saved_by):
    """PyTorch's message for a saved tensor that was changed in place; ``saved_by`` names
    the node that saved it. PyTorch names the op that made the tensor after its grad_fn
    without "Backward0" (``Exp``; ``Max1`` for MaxBackward1)."""
    if t.parents:
        made_by = node_name(t).replace("Backward0", "").replace("Backward", "")
        what = f", which is output 0 of {made_by},"
    else:
        what = ""
    return RuntimeError(
        "one of the variables needed for gradient computation has been modified by an "
        f"inplace operation: [{t._data.dtype.name} tensor of shape {list(t._data.shape)}]"
        f"{what} is at version {version}; expected version {expected} instead. (It was saved "
        f"for the backward of {saved_by}; compute with a clone() of it, or change it after "
        "backward.)"
    )


def _accumulate(node, g):
    dtype = node._data.dtype
    current = node._grad
    if current is None:
        # a copy: the same array may flow to several inputs (add) or be a broadcast view
        node._grad = _wrap(np.array(g, dtype=dtype))
    else:
        current._data = (current._data + g).astype(dtype, copy=False)
        current._plain = None
