"""The shared graph walk: every node once, each after its parents, at any depth."""

from ninjagrad.graph import topological_order


class Node:
    """The walk's whole contract: a ``parents`` tuple and a ``_mark`` the walk may write."""

    def __init__(self, name, *parents):
        self.name, self.parents, self._mark = name, parents, None

    def __repr__(self):
        return self.name


def assert_topological(order, root):
    position = {id(n): i for i, n in enumerate(order)}
    assert len(position) == len(order), "a node appears twice"
    assert order[-1] is root
    for node in order:
        for parent in node.parents:
            assert position[id(parent)] < position[id(node)], f"{parent} after {node}"


def test_diamond_with_shared_parent():
    a = Node("a")
    b, c = Node("b", a), Node("c", a, a)
    d = Node("d", b, c, a)
    order = topological_order(d)
    assert sorted(n.name for n in order) == ["a", "b", "c", "d"]
    assert_topological(order, d)


def test_leaf_root():
    a = Node("a")
    assert topological_order(a) == [a]


def test_parent_order_within_a_node_does_not_matter():
    a, b = Node("a"), Node("b")
    c = Node("c", b, a)
    e = Node("e", c, Node("d", a, c))
    assert_topological(topological_order(e), e)


def test_deep_chain_is_walked_iteratively():
    node = Node("0")
    first = node
    for i in range(200_000):
        node = Node(str(i + 1), node)
    order = topological_order(node)
    assert len(order) == 200_001 and order[0] is first and order[-1] is node


def test_wide_random_dag():
    import random

    rng = random.Random(0)
    nodes = [Node(f"leaf{i}") for i in range(10)]
    for i in range(500):
        k = rng.randint(1, 3)
        nodes.append(Node(f"n{i}", *rng.sample(nodes, k)))
    root = Node("root", *nodes[-20:])
    order = topological_order(root)
    assert_topological(order, root)


def test_walks_one_after_another_and_from_inside_a_walked_graph():
    """Marks left by an earlier walk must not hide nodes from the next one."""
    a, b = Node("a"), Node("b")
    c = Node("c", a, b)
    d = Node("d", c, a)
    e = Node("e", d, Node("f", c))
    first = topological_order(e)
    assert_topological(first, e)
    assert topological_order(c) == [a, b, c] or topological_order(c) == [b, a, c]
    again = topological_order(e)
    assert [n.name for n in again] == [n.name for n in first]
    assert_topological(topological_order(d), d)


def test_nodes_with_value_equality_work():
    """No set of nodes: a node type whose == is elementwise (Tensor) or unhashable is fine."""

    class Unhashable(Node):
        __hash__ = None

        def __eq__(self, other):
            return True

    a = Unhashable("a")
    b = Unhashable("b", a, a)
    c = Unhashable("c", b, a)
    order = topological_order(c)
    assert [n.name for n in order] == ["a", "b", "c"]


def test_plain_objects_without_a_mark_are_walked_too():
    class Plain:
        def __init__(self, *parents):
            self.parents = parents

    a = Plain()
    b = Plain(a)
    c = Plain(b, a)
    assert topological_order(c) == [a, b, c]
    assert topological_order(c) == [a, b, c]  # and again, now that they carry marks
