"""The one graph walk shared by the scalar and the tensor engine.

A node is any object with a ``parents`` attribute: a tuple of the nodes it was
computed from (empty for leaves). Both ``Value`` and ``Tensor`` follow that rule.
Nodes must hash by identity (``object.__hash__``, the default for a class without
``__eq__``; ``Tensor`` restores it because its ``==`` is elementwise).
"""

_identity_hash = object.__hash__


def topological_order(root):
    """Return every node reachable from ``root``, each one after all of its parents.

    The walk is an iterative depth-first search, so graph depth is limited by memory,
    not by Python's recursion limit. A node is pushed once to be expanded and, when it
    has parents, once more behind a ``None`` marker so that it is emitted only after
    everything above it on the stack (its parents' subgraphs) has been emitted.
    """
    if type(root).__hash__ is not _identity_hash:
        raise TypeError(
            f"topological_order needs nodes hashed by identity; {type(root).__name__} "
            "overrides __hash__ (set __hash__ = object.__hash__)"
        )
    order = []
    seen = set()  # nodes already expanded
    stack = [root]
    pop, push, mark, emit = stack.pop, stack.append, seen.add, order.append
    while stack:
        node = pop()
        if node is None:  # all of the next node's parents are in order now
            emit(pop())
        elif node not in seen:
            mark(node)
            parents = node.parents
            if parents:
                push(node)
                push(None)
                for parent in parents:
                    if parent not in seen:
                        push(parent)
            else:
                emit(node)
    return order
