"""The one graph walk shared by the scalar and the tensor engine.

A node is any object with

* ``parents``: the nodes it was computed from, in operand order (empty for leaves);
* ``_mark``: an attribute the walk writes. The engines set it to None when they make a
  node (a plain object without it works too, at the cost of an exception on its first
  walk).

``Value`` and ``Tensor`` both follow that rule. The walk marks the nodes it visits on the
nodes themselves, as a textbook depth-first search colours its vertices, instead of
keeping a set of them: a slot read and write per node is about a third of the cost of a
set lookup and insertion (see docs/benchmarks.md). Two walks must therefore not run
over the same nodes at the same time (two threads calling ``backward()`` through shared
parameters); the engines' gradients could not be shared that way either.
"""


def topological_order(root):
    """Return every node reachable from ``root``, each one after all of its parents.

    An iterative depth-first search, so graph depth is limited by memory, not by
    Python's recursion limit. A node popped for the first time is marked as entered and
    pushed back under its parents; when it comes up again, everything that was above it
    (its parents' subgraphs) is in order, so it is next. A node reached again later is
    already marked as done and skipped. Parents are pushed without checking their marks,
    in one ``extend``: cheaper than testing each one before pushing it.
    """
    order = []
    entered, done = object(), object()  # this walk's marks: any other value means unseen
    stack = [root]
    while stack:
        node = stack.pop()
        try:
            mark = node._mark
        except AttributeError:  # a plain object never walked before (engines set None)
            mark = None
        if mark is done:
            continue
        if mark is entered:  # its parents are all in order now
            node._mark = done
            order.append(node)
            continue
        node._mark = entered
        stack.append(node)
        stack.extend(node.parents)
    return order
