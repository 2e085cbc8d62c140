"""The one graph walk shared by the scalar and the tensor engine.

A node is any object with a ``parents`` attribute: a tuple of the nodes it was
computed from (empty for leaves). Both ``Value`` and ``Tensor`` follow that rule.
Nodes must hash by identity (``object.__hash__``, the default for a class without
``__eq__``; ``Tensor`` restores it because its ``==`` is elementwise).
"""

_identity_hash = object.__hash__


def topological_order(root, parents_of=None):
    """Return every node reachable from ``root``, each one after all of its parents.

    ``parents_of(node)``, if given, replaces ``node.parents`` (the tensor engine reads a
    parent changed in place as it was when the node was made).

    The walk is an iterative depth-first search, so graph depth is limited by memory,
    not by Python's recursion limit. Each node popped for the first time is pushed back
    behind a ``None`` marker, with all of its parents above it: when the marker comes
    up again, everything above it (its parents' subgraphs) has been emitted, so the
    node is next. Parents are pushed unchecked, in one ``extend``, and a node already
    seen is skipped when popped: cheaper than testing each parent before pushing it.
    """
    if type(root).__hash__ is not _identity_hash:
        raise TypeError(
            f"topological_order needs nodes hashed by identity; {type(root).__name__} "
            "overrides __hash__ (set __hash__ = object.__hash__)"
        )
    order = []
    seen = set()  # nodes already expanded
    stack = [root]
    pop, push, extend, mark, emit = stack.pop, stack.append, stack.extend, seen.add, order.append
    while stack:
        node = pop()
        # ``continue`` rather than ``elif``: measured ~10% faster on CPython 3.11.
        if node is None:  # all of the next node's parents are in order now
            emit(pop())
            continue
        if node in seen:
            continue
        mark(node)
        push(node)
        push(None)
        extend(node.parents if parents_of is None else parents_of(node))
    return order
