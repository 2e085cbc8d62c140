"""In-place ops: ``+= -= *= /= **= %= //=``, ``add_ sub_ mul_ div_ pow_ remainder_
floor_divide_ zero_ fill_ copy_``, and
``inplace``, the one routine behind every write into a tensor (``x[i] = v`` too).

An in-place op is its out-of-place op plus a write, as in PyTorch:

- Outside a graph (``no_grad()``, or nothing requires grad) the result is written into the
  tensor's storage, so its views and ``detach()`` aliases see it, and the storage's version
  counter goes up: a backward that saved the old values then refuses to run (PyTorch's
  "modified by an inplace operation" error) instead of using the new ones.
- Inside a graph the change is recorded. The tensor's current graph state moves to a
  snapshot, the op runs on a copy of the old values, the result is written into the
  storage and the tensor becomes the op's node. Nodes made earlier keep reading the
  snapshot (the backward walk reads each parent as it was when the node was made). A view
  changed in place makes its base a ``CopySlices`` node (the old base with the view's
  elements replaced by the op's result), and every live view of a changed base becomes a
  view of its new state, as PyTorch rebases views.
- The result keeps the tensor's dtype and shape: a result PyTorch cannot cast back
  (float into an int tensor) or a broadcast that would grow the tensor is an error with
  PyTorch's wording. A leaf that requires grad, or a view of one, is refused outside
  ``no_grad()``.
"""

import numpy as np

from ninjagrad.tensors import grad_mode
from ninjagrad.tensors import tensor as engine
from ninjagrad.tensors.dtypes import scalar_type_name
from ninjagrad.tensors.grad_fn import HIDDEN
from ninjagrad.tensors.grad_mode import set_grad_mode
from ninjagrad.tensors.tensor import (
    Tensor,
    _new,
    bump_version,
    live_views,
    make_node,
    method,
    positions_of,
    saves,
    view_positions,
)

_CATEGORY = {"b": 0, "u": 1, "i": 1, "f": 2, "c": 3}


def inplace(t, compute, *args, leaf_view=False, written=None):
    """Change ``t`` in place to ``compute(t, *args)``, an out-of-place op giving a Tensor.

    Returns ``t`` (or NotImplemented when ``compute`` does not take the operands).
    ``leaf_view``: the write goes through a view of ``t`` (``t[i] = v``), which PyTorch's
    refusal for a leaf names. ``written``: the array the op writes (``t``'s by default).
    """
    check_overlap(t._data if written is None else written, args)
    record = grad_mode.enabled and (
        t._rg or any(a.__class__ is Tensor and a._rg for a in args))
    if not record:
        result = compute(t, *args)
        if result is NotImplemented:
            return result
        write(t, result._data)
        follow_untracked_write(t)
        return t
    aux = t._aux
    is_view = aux is not None and aux.base is not None
    target = aux.base if is_view else t
    if target._rg and not target.parents:
        raise RuntimeError(
            f"a {'view of a ' if is_view or leaf_view else ''}leaf Variable that requires "
            "grad is being used in an in-place operation."
        )
    if is_view and aux.no_grad_view:
        raise RuntimeError(
            "A view was created in no_grad mode and is being modified inplace with grad mode "
            "enabled. Given that this use case is ambiguous and error-prone, it is forbidden. "
            "You can clarify your code by moving both the view and the inplace either both "
            "inside the no_grad block (if you don't want the inplace to be tracked) or both "
            "outside (if you want the inplace to be tracked)."
        )
    epoch = engine._epoch
    old = _snapshot(target)
    if is_view:  # the op runs on the view's elements, taken from the old base
        positions = view_positions(t)
        src = make_node(np.ravel(old._data)[positions], (old,), _take_backward, "AsStrided",
                        {"positions": positions})
    else:  # ... or on a copy of the old values, which its backward may need
        src = make_node(old._data.copy(), (old,), _clone_backward, "clone")
    result = compute(src, *args)
    if result is NotImplemented:
        return result
    write(t, result._data)
    if is_view:
        result = make_node(target._data, (old, result), _copy_slices_backward, "CopySlices",
                           {"positions": positions})
    _become(target, result, old, epoch)
    engine._next_epoch()
    _rebase_views(target, epoch)
    return t


def follow_untracked_write(t):
    """After a write outside the graph (``no_grad()``), the live views of ``t``'s storage
    that require grad take a new node on their base, as PyTorch gives such a view a new
    grad_fn: results made from the view before keep the old one, and ``retain_grad()``
    now sees only later uses. Gradients do not change."""
    aux = t._aux
    if aux is None:
        return
    base = t if aux.base is None else aux.base
    source = base._aux.alias_of
    if source is not None:  # written through a detach()ed alias (or a view of one): the
        follow_untracked_write(source)  # source's views follow, as they share the version
        return
    if base._rg and live_views(base):
        _rebase_views(base, engine._next_epoch())


def check_overlap(out, args):
    """PyTorch's refusal of an operand that shares some, but not all, of its memory with
    the tensor written to (``h[1:] += h[:-1]``): its result would depend on the order in
    which elements are written. The same tensor on both sides (``h += h``) is fine."""
    check_overlap_arrays(out, [a._data for a in args if a.__class__ is Tensor])


def check_overlap_arrays(out, arrays):
    """``check_overlap`` for the arrays of the operands."""
    for x in arrays:
        if x is out or not np.may_share_memory(out, x):
            continue
        if (x.shape == out.shape and x.strides == out.strides
                and x.__array_interface__["data"][0] == out.__array_interface__["data"][0]):
            continue
        if np.shares_memory(out, x):
            # PyTorch tests the overlap only of two dense tensors; otherwise it writes a
            # result that depends on its order of writing, which ninjagrad refuses to guess
            why = "" if _dense(out) and _dense(x) else (
                " PyTorch does not check this when one of them is not dense (a view with "
                "gaps, such as x[:, 2:3] of a 3-D x) and writes a result that depends on "
                "the order of its writes; ninjagrad refuses.")
            raise RuntimeError(
                "unsupported operation: some elements of the input tensor and the written-to "
                f"tensor refer to a single memory location.{why} Please clone() the tensor "
                "before performing the operation."
            )


def _dense(x):
    """PyTorch's non-overlapping-and-dense: the elements fill one block of memory, each
    element its own place (no gaps, no expanded or negative strides)."""
    size = x.itemsize
    for stride, n in sorted((s, n) for s, n in zip(x.strides, x.shape, strict=True) if n != 1):
        if stride != size:
            return False
        size *= n
    return True


def write(t, data):
    """Write an op's result into ``t``'s storage, with PyTorch's checks, and count it."""
    own = t._data
    check_write(own, data)
    own[...] = data
    bump_version(t)


def check_write(own, data):
    """PyTorch's refusals of writing the result ``data`` into the array ``own``."""
    if data.shape != own.shape:
        raise RuntimeError(
            f"output with shape {list(own.shape)} doesn't match the broadcast shape "
            f"{list(data.shape)}"
        )
    if _CATEGORY[data.dtype.kind] > _CATEGORY[own.dtype.kind]:
        raise RuntimeError(
            f"result type {scalar_type_name(data.dtype)} can't be cast to the desired output type "
            f"{scalar_type_name(own.dtype)} (a {data.dtype.name} result into a {own.dtype.name} "
            "tensor)"
        )
    if not own.flags.writeable:  # an expand()ed tensor: several elements share memory
        raise RuntimeError(
            "unsupported operation: more than one element of the written-to tensor refers to "
            "a single memory location. Please clone() the tensor before performing the "
            "operation."
        )


def _snapshot(t):
    """A new tensor holding ``t``'s graph state, on ``t``'s storage and version counter:
    what nodes made before the change read as ``t``."""
    s = _new(Tensor)
    s._data = t._data
    s._grad = None
    s._rg = t._rg
    s.parents = t.parents
    s.op = t.op
    s._backward = t._backward
    s._saved = t._saved
    s._retain = False
    s._g = None
    s._mark = None
    s._vc = engine._counter(t)
    s._aux = None
    s._plain = t._plain
    if t.parents:
        s._born = t._born
        s._sv = t._sv
    return s


def _become(t, node, old, epoch):
    """``t`` takes the graph state of ``node``; its former state ``old`` joins its history."""
    parents = tuple(old if p is t else p for p in node.parents)
    t._rg = node._rg
    t.parents = parents
    t.op = node.op
    t._backward = node._backward
    t._saved = node._saved
    t._born = epoch
    # parents at the versions the op saw; the output at its version after the write
    t._sv = (node._sv or (0,) * len(parents)) + (t._vc[0],)
    aux = t._aux
    if aux is None:
        aux = t._aux = engine._Aux()
    if aux.history is None:
        aux.history = []
        engine._rewired = True  # the backward walk must now read parents as they were
    aux.history.append((epoch, old))


def _rebase_views(base, epoch):
    """Every live view of ``base`` (made in grad mode) becomes a view of its state now;
    nodes made before ``epoch`` keep reading the view's former state."""
    previous = set_grad_mode(True)  # also after a write under no_grad()
    try:
        for v in live_views(base):
            aux = v._aux
            if aux.no_grad_view or not base._rg:
                continue
            old = _snapshot(v)
            node = make_node(v._data, (base,), _view_backward, "AsStrided",
                             {"steps": aux.steps, "shape": base._data.shape})
            _become(v, node, old, epoch)
            v._born = engine._epoch  # it reads the base's new state
    finally:
        set_grad_mode(previous)


def _view_backward(node, g, steps, shape):
    """Gradient of a view rebased on its base: back to the base elements it shows."""
    return _take_backward(node, g, positions_of(steps, shape))


def _clone_backward(node, g):
    return (g,)


HIDDEN.add(_clone_backward)  # PyTorch's in-place op has no such copy: grad_fn skips it


def _take_backward(node, g, positions):
    """Gradient of taking elements ``positions`` (row-major numbers) of the parent."""
    parent = node.parents[0]._data
    flat = np.bincount(positions.ravel(), weights=np.ravel(g), minlength=parent.size)
    return (flat.reshape(parent.shape).astype(g.dtype, copy=False),)


@saves()  # PyTorch frees a CopySlices node after backward: a second one raises
def _copy_slices_backward(node, g, positions):
    """The old base gets the gradient outside the view; the op's result, inside it."""
    g_old = np.array(g)
    g_old.reshape(-1)[positions.ravel()] = 0
    return g_old, np.ravel(g)[positions]


# ------------------------------------------------------------------------------ the ops
def _arithmetic(name, op_name):
    """The in-place method ``name`` (``add_``...) doing ``Tensor.<op_name>`` in place."""

    def op(self, other):
        return inplace(self, getattr(Tensor, op_name), other)

    op.__name__ = name
    op.__doc__ = f"In-place ``{op_name.strip('_')}``: changes this tensor and returns it."
    return op


# (without __imod__ and __ifloordiv__, Python would run x %= y as x = x % y: a new tensor,
# which views and aliases of x would not see)
for _name, _op_name in (("add_", "__add__"), ("sub_", "__sub__"), ("mul_", "__mul__"),
                        ("div_", "__truediv__"), ("pow_", "__pow__"),
                        ("remainder_", "__mod__"), ("floor_divide_", "__floordiv__")):
    method(_name)(_arithmetic(_name, _op_name))
    method("__i" + _op_name[2:])(_arithmetic(_name, _op_name))  # x += y is x.add_(y)


@method("zero_")
def zero_(a):
    """Set every element to 0 in place."""
    return inplace(a, _filled, 0, "zero")


@method("fill_")
def fill_(a, value):
    """Set every element to ``value`` (a number or a 0-d tensor) in place."""
    if isinstance(value, Tensor):
        if value._data.ndim:
            raise RuntimeError(
                "fill_ only supports 0-dimension value tensor but got tensor with "
                f"{value._data.ndim} dimensions."
            )
        epoch = engine._epoch
        a.copy_(value)
        if engine._epoch != epoch:  # recorded: PyTorch's node is a fill, not a copy
            a.op = "fill_tensor"
        return a
    return inplace(a, _filled, value)


def _filled(src, value, op="fill"):
    return make_node(np.full_like(src._data, value), (src,), _fill_backward, op)


def _fill_backward(node, g):
    return (np.zeros_like(g),)  # PyTorch sends zeros, so a leaf behind gets a zero .grad
