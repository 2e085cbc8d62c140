"""Property-based: random expression graphs that reuse subexpressions, against PyTorch float64.

A drawn "program" is a list of steps; each step applies an op to earlier results (any of
them, so nodes get reused and gradients must add up along every path). The same program
runs on ninjagrad Values and on float64 PyTorch scalars, and the output and every leaf's
gradient must agree.
"""

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ninjagrad import Value

torch = pytest.importorskip("torch")

# Ops chosen to stay finite on any inputs the strategy can produce.
OPS = {
    "add": (2, lambda a, b: a + b),
    "sub": (2, lambda a, b: a - b),
    "mul": (2, lambda a, b: a * b),
    "div": (2, lambda a, b: a / (1.5 + b * b)),
    "square": (1, lambda a: a**2),
    "pow": (2, lambda a, b: (1.0 + a * a) ** b.tanh()),
    "tanh": (1, lambda a: a.tanh()),
    "sigmoid": (1, lambda a: a.sigmoid()),
    "relu": (1, lambda a: a.relu()),
    "exp": (1, lambda a: a.tanh().exp()),
    "log": (1, lambda a: (1.0 + a * a).log()),
    "neg": (1, lambda a: -a),
    "scale": (1, lambda a: 0.5 * a - 1),
}

leaf_values = st.floats(min_value=-2.0, max_value=2.0, allow_nan=False).filter(
    lambda x: abs(x) > 1e-3  # keep relu away from its kink
)


@st.composite
def programs(draw):
    leaves = draw(st.lists(leaf_values, min_size=1, max_size=4))
    steps = []
    for i in range(draw(st.integers(min_value=1, max_value=12))):
        name = draw(st.sampled_from(sorted(OPS)))
        arity = OPS[name][0]
        available = len(leaves) + i
        args = [draw(st.integers(min_value=0, max_value=available - 1)) for _ in range(arity)]
        steps.append((name, args))
    return leaves, steps


def run(program, make_leaf):
    leaves, steps = program
    nodes = [make_leaf(x) for x in leaves]
    inputs = list(nodes)
    for name, args in steps:
        nodes.append(OPS[name][1](*(nodes[j] for j in args)))
    # the root uses the last result and reuses the first leaf and a middle node
    root = nodes[-1] * nodes[0] + nodes[len(nodes) // 2]
    return inputs, root


def close(a, b):
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)


@settings(max_examples=300, deadline=None)
@given(programs())
def test_random_graphs_match_pytorch(program):
    ours, root = run(program, Value)
    root.backward()
    theirs, troot = run(
        program, lambda x: torch.tensor(x, dtype=torch.float64, requires_grad=True)
    )
    troot.backward()
    assert close(root.data, troot.item())
    for v, t in zip(ours, theirs, strict=True):
        tg = 0.0 if t.grad is None else t.grad.item()
        assert close(v.grad, tg), (v.grad, tg)
