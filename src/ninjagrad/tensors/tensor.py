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

import numpy as np

from ninjagrad.graph import topological_order
from ninjagrad.tensors import grad_mode
from ninjagrad.tensors.broadcasting import broadcast_error
from ninjagrad.tensors.device import CPU, unsupported
from ninjagrad.tensors.dtypes import as_array, bool_, float32, int64, public_dtype
from ninjagrad.tensors.grad_fn import GradFn
from ninjagrad.tensors.grad_mode import set_grad_mode
from ninjagrad.tensors.size import Size

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

    # _g holds the gradient flowing into this node while a backward pass runs
    # _mark belongs to the graph walk (ninjagrad.graph.topological_order)
    __slots__ = ("_data", "_grad", "_rg", "parents", "op", "_backward", "_saved", "_retain", "_g",
                 "_mark")
    __hash__ = object.__hash__  # == is elementwise, so hashing stays identity-based
    __array_priority__ = 1000

    def __init__(self, data, dtype=None, requires_grad=False):
        self._data = as_array(data._data if isinstance(data, Tensor) else data, dtype)
        self._grad = None
        self._rg = False
        self.parents = ()
        self.op = ""
        self._backward = None
        self._saved = None
        self._retain = False
        self._g = None
        self._mark = None
        if requires_grad:
            self.requires_grad = True

    # ---------------------------------------------------------------- attributes
    @property
    def data(self):
        """The numpy array (settable; a Tensor assigned here contributes its array)."""
        return self._data

    @data.setter
    def data(self, value):
        if isinstance(value, Tensor):
            value = value._data
        elif not isinstance(value, ndarray):
            raise TypeError(f"Tensor.data must be a numpy array or Tensor, got {type(value)}")
        self._data = value

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
        return GradFn(self) if self.parents else None

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
        if self._data.dtype not in (float32, int64, bool_):
            extras.append(f"dtype={public_dtype(self._data.dtype)!r}")
        if self.parents:
            extras.append(f"grad_fn=<{GradFn(self).name()}>")
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
        """A tensor sharing this one's data, cut off from the graph."""
        return _wrap(self._data)

    def backward(self, grad=None):
        """Accumulate d(self)/d(leaf) into ``.grad`` of every leaf that requires grad.

        ``grad`` is the gradient flowing into ``self``; it may be omitted only for a
        single-element tensor (it is then 1). Gradients add up across calls, as in PyTorch.
        """
        if not self._rg:
            raise RuntimeError(
                "element 0 of tensors does not require grad and does not have a grad_fn "
                "(no input of this result has requires_grad=True, or it was computed under "
                "no_grad())"
            )
        if grad is None:
            if self._data.size != 1:
                raise RuntimeError(
                    "grad can be implicitly created only for scalar outputs "
                    f"(this output has shape {self._data.shape}); pass backward(grad)"
                )
            seed = np.ones_like(self._data)
        else:
            seed = grad._data if isinstance(grad, Tensor) else np.asarray(grad)
            if seed.shape != self._data.shape:
                raise RuntimeError(
                    f"Mismatch in shape: grad has a shape of {seed.shape} and output has a "
                    f"shape of {self._data.shape}"
                )
        previous = set_grad_mode(False)
        try:
            _run_backward(self, seed)
        finally:
            set_grad_mode(previous)

    # In-place updates. Outside a graph they write into ``data`` (so views and ``.data``
    # aliases see the change, as in PyTorch). Inside a graph, ``x += y`` returns a new node
    # (Python rebinds the name), so results computed from the old ``x`` keep their gradients.
    def _inplace(self, other, ufunc, op):
        if grad_mode.enabled and (self._rg or (other.__class__ is Tensor and other._rg)):
            if self._rg and not self.parents:
                raise RuntimeError(
                    "a leaf Variable that requires grad is being used in an in-place "
                    "operation (wrap the update in `with no_grad():` or update .data)"
                )
            return op(self, other)
        value = other._data if other.__class__ is Tensor else other
        try:
            ufunc(self._data, value, out=self._data)
        except TypeError as e:  # numpy's UFuncTypeError (casting) is a TypeError
            raise RuntimeError(
                f"in-place {ufunc.__name__}: result type cannot be cast to the tensor's dtype "
                f"{self._data.dtype.name} ({e})"
            ) from None
        except ValueError:
            raise broadcast_error(self._data, np.asarray(value)) from None
        return self

    def _rebase(self, make):
        """Record an assignment into this graph tensor (``x[i] = v``), which Python cannot
        rebind: its current state moves to a fresh node ``old``, this object becomes
        ``make(old)``, and references to it inside that result's own graph (the ``x[i]``
        read by ``x[i] -= 1``) are pointed at ``old``, so the graph stays acyclic.

        Other results computed earlier from this tensor would see the new state; PyTorch
        tracks versions for that, ninjagrad does not, so assign before using the tensor.
        """
        old = _wrap(self._data)
        old._rg = self._rg
        old.parents = self.parents
        old.op = self.op
        old._backward = self._backward
        old._saved = self._saved
        result = make(old)
        for node in topological_order(result):
            if any(p is self for p in node.parents):
                node.parents = tuple(old if p is self else p for p in node.parents)
        self._data = result._data
        self._rg = result._rg
        self.parents = result.parents
        self.op = result.op
        self._backward = result._backward
        self._saved = result._saved

    def __iadd__(self, other):
        return self._inplace(other, np.add, Tensor.__add__)

    def __isub__(self, other):
        return self._inplace(other, np.subtract, Tensor.__sub__)

    def __imul__(self, other):
        return self._inplace(other, np.multiply, Tensor.__mul__)

    def __itruediv__(self, other):
        return self._inplace(other, np.true_divide, Tensor.__truediv__)

    def zero_(self):
        self._data[...] = 0
        return self

    def fill_(self, value):
        self._data[...] = value
        return self

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
        return _wrap(x)
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
def _wrap(data):
    """A leaf Tensor around an existing array (no copy, no checks): the engine's fast path."""
    t = _new(Tensor)
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
    return t


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
    t._data = data
    t._grad = None
    t._retain = False
    t._g = None
    t._mark = None
    if grad_mode.enabled:
        for p in parents:
            if p._rg:
                t._rg = True
                t.parents = parents
                t.op = op
                t._backward = backward
                t._saved = saved
                return t
    t._rg = False
    t.parents = ()
    t.op = ""
    t._backward = None
    t._saved = None
    return t


# ---------------------------------------------------------------------- the backward walk
def _run_backward(root, seed, capture=None):
    """Walk the graph from ``root`` in reverse topological order, adding up gradients.

    Pending gradients live on the nodes themselves (``_g``), not in a dict keyed by id:
    it is the engine's innermost loop. ``capture`` (``autograd.grad``) maps ``id(node)`` of
    the tensors to differentiate by to None: their gradients are stored there instead, and
    no ``.grad`` is touched.
    """
    order = topological_order(root)
    root._g = seed
    try:
        for node in reversed(order):
            g = node._g
            if g is None and not getattr(node._backward, "materializes", False):
                continue  # a Function runs even so, as in PyTorch (see function.py)
            node._g = None
            parents = node.parents
            if capture is not None and id(node) in capture:
                capture[id(node)] = g
            if parents:
                if node._retain and capture is None and g is not None:
                    _accumulate(node, g)
                saved = node._saved
                grads = node._backward(node, g, **saved) if saved else node._backward(node, g)
                for p, pg in zip(parents, grads, strict=False):
                    if pg is None or not p._rg:
                        continue
                    prev = p._g
                    p._g = pg if prev is None else prev + pg
            elif node._rg and capture is None:
                _accumulate(node, g)
    except BaseException:
        for node in order:  # leave no half-finished gradients behind
            node._g = None
        raise


def _accumulate(node, g):
    dtype = node._data.dtype
    current = node._grad
    if current is None:
        # a copy: the same array may flow to several inputs (add) or be a broadcast view
        node._grad = _wrap(np.array(g, dtype=dtype))
    else:
        current._data = (current._data + g).astype(dtype, copy=False)
