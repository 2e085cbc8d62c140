"""Record backpropagation as a list of steps, for the player (``ninjagrad.draw.player``).

The steps are computed here, in Python, and the page only plays them back:

* ``start``: the graph with no values yet;
* ``forward``: one step per node in topological order, the node gets its value;
* ``seed``: ``backward()`` begins, every grad is 0 and the root's is 1;
* ``backward``: one step per node in reverse topological order, the node's backward rule
  runs. For a ``Value`` each parent's update ``parent.grad += local × node.grad`` is
  recorded with its local-derivative formula (``ninjagrad.scalar.value.local_derivatives``);
  a parent used twice (``a + a``) gets two updates. For a ``Tensor`` the node's gradient is
  complete when its rule runs, so the step shows that gradient's shape and norm.

Both replays leave the graph as they found it: the caller's grads are put back.
"""

import contextlib
import math
from typing import NamedTuple

from ninjagrad.draw.dot import DrawError, _number, _op_name
from ninjagrad.draw.formulas import expression, formula_text, ref, short_number
from ninjagrad.graph import topological_order


class NodeInfo(NamedTuple):
    """One node of the graph, by its index in topological order."""

    name: str  # its label, or '#index' for an unlabeled node
    op: str  # '' for a leaf
    parents: tuple  # indices of its parents, in operand order
    data: str  # the value as shown once the forward pass reached it
    grad: str  # the gradient as shown at the end of the backward pass


class Update(NamedTuple):
    """``parent.grad += local × upstream``: one term of a scalar backward rule."""

    parent: int  # index of the parent that receives the gradient
    symbolic: str  # the local derivative as a formula, e.g. '1 - out²'
    numeric: str  # the same with the numbers put in, e.g. '1 - 0.7071²'
    local: float  # d(node)/d(parent)
    upstream: float  # node.grad
    before: float  # parent.grad before this update
    after: float  # parent.grad after it


class Step(NamedTuple):
    """One frame of the player."""

    kind: str  # 'start', 'forward', 'seed' or 'backward'
    node: int | None  # the node this step is about (highlighted), None for 'start'
    title: str  # one line saying what happens
    lines: tuple  # (style, text) pairs explaining it: 'formula', 'update', 'note'
    changes: tuple  # (node index, 'data' or 'grad', new text) applied by this step
    updates: tuple = ()  # scalar backward steps: the Update of each parent, in order
    receivers: tuple = ()  # backward steps: the parents the rule sends gradient to


class Recording(NamedTuple):
    """Everything the page needs: the nodes, the steps, and the final gradients."""

    nodes: tuple  # NodeInfo per node, in topological order
    steps: tuple  # Step per frame
    grads: tuple  # the final gradient of each node (a float, or None for a tensor without)
    kind: str  # 'value' or 'tensor'


def node_names(order, labels=None):
    """A name per node: ``labels`` (name -> node) first, then ``.label``, then ``#index``."""
    given = {id(node): str(name) for name, node in (labels or {}).items()}
    names = []
    for i, node in enumerate(order):
        name = given.get(id(node)) or getattr(node, "label", "") or ""
        names.append(str(name) if name else f"#{i}")
    return names


def _same(a, b):
    if a == b or (a != a and b != b):
        return True
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)


# ------------------------------------------------------------------------- Value graphs
def record_values(root, labels=None, precision=4):
    """Replay ``root.backward()`` on a ``Value`` graph, one step per rule."""
    from ninjagrad.scalar import value as value_module  # looked up on call: one definition

    local_derivatives = value_module.local_derivatives
    order = topological_order(root)
    index = {id(node): i for i, node in enumerate(order)}
    names = node_names(order, labels)
    ops = [_op_name(node) for node in order]
    parents = [tuple(index[id(p)] for p in node.parents) for node in order]
    last = len(order) - 1  # the root comes last in topological order

    def fmt(x):
        return _number(x, precision)

    steps = [_start_step(len(order))]
    for i, node in enumerate(order):
        numbers = [short_number(p.data) for p in node.parents]
        steps.append(_forward_step(i, names, ops, parents, fmt(node.data), fmt(0.0), numbers))

    grads = [0.0] * len(order)
    grads[last] = 1.0
    steps.append(
        Step(
            "seed",
            last,
            f"backward() begins: every grad is 0, then {names[last]}.grad = 1",
            (
                ("formula", f"∂{names[last]}/∂{names[last]} = 1"),
                ("note", "Each node's rule runs only after every node that uses it has "
                 "run (reverse topological order), so the grad it passes on is complete."),
            ),
            tuple((i, "grad", fmt(1.0 if i == last else 0.0)) for i in range(len(order))),
        )
    )
    received = [0] * len(order)  # updates received so far, to tell a leaf's story
    grad_texts = [{fmt(0.0)} for _ in order]
    grad_texts[last].add(fmt(1.0))
    for node in reversed(order):
        i = index[id(node)]
        if not node.parents:
            steps.append(_leaf_step(i, names, fmt(grads[i]), received[i]))
            continue
        updates, lines, changes = [], [], []
        upstream = grads[i]
        for term in local_derivatives(node):
            p = index[id(term.parent)]
            local = float(term.value)
            # A local derivative of 0 contributes nothing even when node.grad is inf or nan
            # (0 × inf is nan): the engine's rules skip those updates too (relu, x ** 0).
            after = grads[p] if local == 0.0 else grads[p] + local * upstream
            updates.append(
                Update(p, term.symbolic, term.numeric, local, upstream, grads[p], after)
            )
            grads[p] = after
            received[p] += 1
            grad_texts[p].add(fmt(after))
            operands = [names[q] for q in parents[i]]
            lines.append(("formula", formula_text(names[i], names[p], term, operands)))
            lines.append(
                (
                    "update",
                    f"{ref(names[p])}.grad += {short_number(local)} × {short_number(upstream)}"
                    f"   ({short_number(updates[-1].before)} → {short_number(after)})",
                )
            )
            changes.append((p, "grad", fmt(after)))
        lines.append(
            ("note", f"chain rule: parent.grad += local derivative × {ref(names[i])}.grad; "
             "+= and not =, so a node used twice adds up both uses")
        )
        title = (
            f"backward rule of {names[i]} = {expression(ops[i], [names[p] for p in parents[i]])}"
        )
        receivers = tuple(dict.fromkeys(u.parent for u in updates))
        steps.append(
            Step("backward", i, title, tuple(lines), tuple(changes), tuple(updates), receivers)
        )

    _check_against_engine(root, order, names, grads)
    nodes = tuple(
        NodeInfo(names[i], ops[i], parents[i], fmt(node.data), max(grad_texts[i], key=len))
        for i, node in enumerate(order)
    )
    return Recording(nodes, tuple(steps), tuple(grads), "value")


@contextlib.contextmanager
def fresh_backward(root, order):
    """Inside: every grad is what ``root.backward()`` gives from zero; after: as before."""
    saved = [node.grad for node in order]
    try:
        for node in order:
            node.grad = 0.0
        root.backward()
        yield
    finally:
        for node, grad in zip(order, saved, strict=True):
            node.grad = grad


def _check_against_engine(root, order, names, grads):
    """The replayed grads must be what ``root.backward()`` gives, from zero grads."""
    with fresh_backward(root, order):
        engine = [node.grad for node in order]
    for name, replayed, expected in zip(names, grads, engine, strict=True):
        if not _same(replayed, expected):
            raise DrawError(
                f"internal error: replaying the backward pass gives {name}.grad = {replayed!r} "
                f"but Value.backward() gives {expected!r}; the local derivatives of "
                "ninjagrad.scalar.value.local_derivatives disagree with the backward rules"
            )


# ------------------------------------------------------------------------ Tensor graphs
def record_tensors(root, labels=None):
    """Steps for a ``Tensor`` graph: shapes forward, each gradient's shape and norm backward.

    Every non-leaf that requires grad is marked with ``retain_grad()`` and one backward pass
    runs (seeded with ones when the root has more than one element); each node's gradient is
    then shown at the step where its rule runs, which is when it is complete.
    """
    order = topological_order(root)
    index = {id(node): i for i, node in enumerate(order)}
    names = node_names(order, labels)
    ops = [_op_name(node) for node in order]
    parents = [tuple(index[id(p)] for p in node.parents) for node in order]
    final = _tensor_grads(root, order)
    last = len(order) - 1
    grad_texts = [_grad_summary(g) for g in final]

    steps = [_start_step(len(order))]
    for i, node in enumerate(order):
        steps.append(_forward_step(i, names, ops, parents, _tensor_data(node), "None"))
    seeded = "1" if root.data.size == 1 else f"ones{_shape(root.shape)}"
    steps.append(
        Step(
            "seed",
            last,
            f"backward() begins: {names[last]}.grad = {seeded}",
            (
                ("note", "Gradients flow in reverse topological order; a node's gradient is "
                 "complete (summed over every use) when its own rule runs."),
            ),
            ((last, "grad", grad_texts[last]),),
        )
    )
    for node in reversed(order):
        i = index[id(node)]
        grad = final[i]
        if grad is None:
            title = f"{names[i]} does not require grad: nothing flows through it"
            steps.append(Step("backward", i, title, (), ()))
            continue
        lines = [("formula", f"{names[i]}.grad: shape {_shape(grad.shape)}, "
                  f"norm {short_number(_norm(grad))}")]
        if node.parents:
            title = f"backward rule of {names[i]} = " + expression(
                ops[i], [names[p] for p in parents[i]]
            )
            for p in parents[i]:
                if final[p] is None:
                    sent = f"sends nothing to {names[p]} (it does not require grad)"
                else:
                    sent = f"sends a gradient of shape {_shape(order[p].shape)} to {names[p]}"
                lines.append(("update", f"{ops[i]}'s backward {sent}"))
        else:
            title = f"{names[i]} is a leaf: its gradient is final"
        receivers = tuple(dict.fromkeys(p for p in parents[i] if final[p] is not None))
        changes = ((i, "grad", grad_texts[i]),)
        steps.append(Step("backward", i, title, tuple(lines), changes, (), receivers))

    nodes = tuple(
        NodeInfo(names[i], ops[i], parents[i], _tensor_data(node), grad_texts[i])
        for i, node in enumerate(order)
    )
    grads = tuple(None if g is None else g for g in final)
    return Recording(nodes, tuple(steps), grads, "tensor")


def _tensor_grads(root, order):
    """Every node's gradient from one backward pass; the caller's grads are put back."""
    import numpy as np

    if not root.requires_grad:
        raise DrawError(
            "nothing to backpropagate: the root does not require grad (no input has "
            "requires_grad=True, or it was computed under no_grad())"
        )
    saved = [node.grad for node in order]
    try:
        for node in order:
            if node.requires_grad:
                node.grad = None
                if node.parents:
                    node.retain_grad()
        seed = None if root.data.size == 1 else type(root)(np.ones_like(root.data))
        root.backward() if seed is None else root.backward(seed)
        grads = [np.array(node.grad.data, copy=True) if node.grad is not None else None
                 for node in order]
    finally:
        for node, grad in zip(order, saved, strict=True):
            if node.requires_grad or grad is not None:
                node.grad = grad
    return grads


def _norm(array):
    import numpy as np

    return float(np.linalg.norm(np.asarray(array, dtype=np.float64).ravel()))


def _grad_summary(grad):
    if grad is None:
        return "None"
    return f"{_shape(grad.shape)} ‖g‖ {short_number(_norm(grad))}"


def _shape(shape):
    return "(" + ", ".join(str(int(d)) for d in shape) + ("," if len(shape) == 1 else "") + ")"


def _tensor_data(node):
    return f"{_shape(node.shape)} {node.dtype.name}"


# ------------------------------------------------------------------------ shared steps
def _start_step(n):
    return Step(
        "start",
        None,
        f"the graph: {n} node{'' if n == 1 else 's'}, no values yet",
        (("note", "Step forward to compute every node in topological order (each node "
          "after its inputs), then backward to fill in the gradients."),),
        (),
    )


def _forward_step(i, names, ops, parents, data_text, grad_text, numbers=None):
    if ops[i]:
        how = expression(ops[i], [names[p] for p in parents[i]])
        title = f"forward: {names[i]}" if how == names[i] else f"forward: {names[i]} = {how}"
        parts = [names[i], how] if how != names[i] else [names[i]]
        if numbers is not None:
            parts.append(expression(ops[i], numbers))
        lines = (("formula", " = ".join(parts + [data_text])),)
    else:
        title = f"forward: {names[i]} is an input"
        lines = (("formula", f"{names[i]} = {data_text}"),)
    return Step("forward", i, title, lines, ((i, "data", data_text), (i, "grad", grad_text)))


def _leaf_step(i, names, grad_text, received):
    if received == 0:
        story = "set when backward() began" if i == len(names) - 1 else "it received nothing"
    elif received == 1:
        story = "from the one update it received"
    else:
        story = f"the sum of the {received} updates it received"
    return Step(
        "backward",
        i,
        f"{names[i]} is a leaf: no rule to run, its grad is final",
        (("note", f"{names[i]}.grad = {grad_text}, {story}"),),
        (),
    )
