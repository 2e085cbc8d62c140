"""The primitive tensor ops, one module per kind, each op registered as a Tensor method
right where it is defined.

- ``operators``: ``+ - * / ** @``, unary ``-``, comparisons
- ``elementwise``: ``exp log tanh sin cos ... sign floor round clone``, casts (``to float ...``)
- ``reductions``: ``sum mean var std max min argmax all any``
- ``shape``: ``view reshape expand transpose t T permute squeeze unsqueeze cat stack``
- ``indexing``: ``x[i]`` and ``x[i] = v``
- ``histogram``: ``histogram histc`` (counts, no gradient)
- ``selection``: ``where maximum minimum clamp clamp_min clamp_max``
- ``inplace``: ``+= -= *= /= **=``, ``add_ sub_ mul_ div_ pow_ zero_ fill_ copy_`` and the
  one routine behind every in-place write
- ``operands``: turning arguments into arrays (dtype promotion, numbers, dimensions)

How an op is written
--------------------
A primitive is a forward function with its backward right under it::

    @method("exp", function=True)
    def exp(a):
        return make_node(np.exp(as_float(a)), (a,), _exp_backward, "exp")


    @saves(OUT)  # exp keeps its result for backward, as PyTorch does
    def _exp_backward(node, g):
        return (g * node._data,)

and one that needs more than its inputs and output saves it by name, which its backward
receives as the parameter of that name::

    def mul_scalar(a, c):
        return make_node(scalar_array(a, c) * c, (a,), _mul_scalar_backward, "mul", {"c": c})


    def _mul_scalar_backward(node, g, c):
        return (g * c,)

- ``@method(*names)`` attaches the op to ``Tensor`` under those names; ``function=True``
  also makes the module-level name PyTorch's function form (``ninjagrad.sum(x)``, which
  checks that ``x`` is a Tensor). Operators built from two primitives are registered with
  a call right under them: ``method("__add__")(binary(add, add_scalar))``.
- The forward computes a numpy array from its inputs' arrays and returns
  ``make_node(data, parents, backward, op_name, saved=None)``. ``make_node`` records the graph
  only when grad mode is on and some parent requires grad.
- The backward is a module-level function ``backward(node, g, **saved)``: ``node`` is the
  op's output, ``g`` the gradient flowing into it (an array of the output's shape). It reads
  its inputs from ``node.parents``, its output from ``node._data``, and what the forward
  saved as its own named parameters (never tuple positions; a name the two disagree on is
  a TypeError at the first backward). It returns a tuple with one gradient per parent, each
  an array of that parent's shape, or None for a parent that does not require grad (it may
  skip computing it).
- A backward that reads an input's or the output's values says so with ``@saves(...)``
  (what PyTorch saves: ``@saves(OUT)`` for exp, ``@saves(0)`` for log, ``@saves()`` for
  private arrays only), so that backward refuses a value changed in place since.
- A view (the result shares its input's memory) is made by ``make_view`` instead.
- The result's strides must be PyTorch's (a later ``view`` or ``reshape`` depends on them):
  elementwise ops of two tensors go through ``operands.elementwise`` (arrays) or
  ``operands.binary_node`` (tensors; it makes the node, and skips the layout test for plain
  operands: ``tensor.found_plain``).
- Broadcasting in the forward is undone in the backward by ``unbroadcast`` alone
  (``ninjagrad.tensors.broadcasting``).
- The backward receives its node instead of closing over it: no reference cycles, so a
  graph is freed as soon as its last tensor goes away.

Fused ops with a hand-derived backward (``F.cross_entropy``, ``F.batch_norm``) are written as
``Function`` subclasses (``ninjagrad.tensors.function``), the public extension API.
"""

# Importing the op modules registers every op as a Tensor method.
from ninjagrad.tensors.ops import (  # noqa: F401
    elementwise,
    histogram,
    indexing,
    inplace,
    operators,
    reductions,
    selection,
    shape,
)
