"""The primitive tensor ops, one module per kind, each op registered as a Tensor method
right where it is defined.

- ``operators``: ``+ - * / ** @``, unary ``-``, comparisons
- ``elementwise``: ``exp log tanh sin cos ... sign floor round clone``, casts (``to float ...``)
- ``reductions``: ``sum mean var std max min argmax all any``
- ``shape``: ``view reshape transpose t T permute squeeze unsqueeze cat stack``
- ``indexing``: ``x[i]`` and ``x[i] = v``
- ``histogram``: ``histogram histc`` (counts, no gradient)
- ``selection``: ``where maximum minimum clamp clamp_min clamp_max``
- ``operands``: turning arguments into arrays (dtype promotion, numbers, dimensions)

How an op is written
--------------------
A primitive is a forward function with its backward right under it::

    @method("exp", function=True)
    def exp(a):
        return make_node(np.exp(as_float(a)), (a,), _exp_backward, "exp")


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
    operators,
    reductions,
    selection,
    shape,
)
