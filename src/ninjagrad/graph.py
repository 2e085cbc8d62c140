"""The one graph walk shared by the scalar and the tensor engine.

A node is any object with a ``parents`` attribute: a tuple of the nodes it was
computed from (empty for leaves). Both ``Value`` and ``Tensor`` follow that rule.
"""


def topological_order(root):
    """Return every node reachable from ``root``, each one after all of its parents.

    The walk is iterative, so graph depth is limited by memory, not by Python's
    recursion limit. Nodes are tracked by identity (``id``), because a tensor's
    ``==`` is elementwise and cannot be used for set membership.
    """
    order = []
    seen = set()
    stack = [(root, False)]
    pop, push, mark = stack.pop, stack.append, seen.add
    while stack:
        node, expanded = pop()
        if expanded:
            order.append(node)
            continue
        key = id(node)
        if key in seen:
            continue
        mark(key)
        push((node, True))
        for parent in node.parents:
            if id(parent) not in seen:
                push((parent, False))
    return order
