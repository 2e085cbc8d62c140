"""Random tensor graphs vs PyTorch: ops chained with broadcasting, reductions and reused nodes.

Single ops are covered in test_ops_vs_torch.py; here hypothesis writes small programs whose
intermediates are used several times and at several shapes, so gradients must add up across
paths and be un-broadcast correctly on each.
"""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from reference import check

# Every value has a shape from {(n, m), (n, 1), (1, m), (1, 1), (m,), ()}: any two broadcast
# together. Ops keep values in that family (reductions keep their dims) and in safe ranges.
UNARY = {
    "tanh": lambda L, a: L.tanh(a),
    "sigmoid": lambda L, a: a.sigmoid(),
    "exp_tanh": lambda L, a: a.tanh().exp(),
    "square": lambda L, a: a * a,
    "relu": lambda L, a: a.relu(),
    "log1p_sq": lambda L, a: (a * a + 1).log(),
    "rsqrt": lambda L, a: (a**2 + 1) ** -0.5,
    "sqrt": lambda L, a: (a * a + 0.5).sqrt(),
    "neg_scale": lambda L, a: -0.5 * a + 1,
    "sum1": lambda L, a: a.sum(-1, keepdim=True) if a.ndim == 2 else a.sum(),
    "mean0": lambda L, a: a.mean(0, keepdim=True) if a.ndim == 2 else a.mean(),
    "max1": lambda L, a: a.max(-1, keepdim=True).values if a.ndim == 2 else a.max(),
    "var0": lambda L, a: a.var(0, keepdim=True) if a.ndim == 2 and a.shape[0] > 1 else a * 2,
    "sum_all": lambda L, a: a.sum(),
}
BINARY = {
    "add": lambda L, a, b: a + b,
    "sub": lambda L, a, b: a - b,
    "mul": lambda L, a, b: a * b,
    "div": lambda L, a, b: a / (b * b + 1),
}
SHAPES = ["nm", "n1", "1m", "11", "m", ""]


@st.composite
def programs(draw):
    n, m = draw(st.integers(2, 12)), draw(st.integers(2, 12))
    n_inputs = draw(st.integers(1, 3))
    shapes = [draw(st.sampled_from(SHAPES)) for _ in range(n_inputs)]
    steps = []
    for k in range(draw(st.integers(2, 7))):
        available = n_inputs + k
        if draw(st.booleans()):
            steps.append(("u", draw(st.sampled_from(sorted(UNARY))),
                          draw(st.integers(0, available - 1))))
        else:
            steps.append(("b", draw(st.sampled_from(sorted(BINARY))),
                          draw(st.integers(0, available - 1)),
                          draw(st.integers(0, available - 1))))
    return n, m, shapes, steps


def shape_of(code, n, m):
    return {"nm": (n, m), "n1": (n, 1), "1m": (1, m), "11": (1, 1), "m": (m,), "": ()}[code]


def run(L, steps, *inputs):
    values = list(inputs)
    for step in steps:
        if step[0] == "u":
            values.append(UNARY[step[1]](L, values[step[2]]))
        else:
            values.append(BINARY[step[1]](L, values[step[2]], values[step[3]]))
    # the result depends on every value, so every path carries a gradient
    out = values[-1]
    for v in values[:-1]:
        out = out + v.sum() * 0.1
    return out


@settings(max_examples=60, deadline=None, derandomize=True)
@given(program=programs(), dtype=st.sampled_from([np.float64, np.float32]),
       seed=st.integers(0, 2**31 - 1))
def test_random_graphs_match_pytorch(program, dtype, seed):
    n, m, shapes, steps = program
    rng = np.random.default_rng(seed)
    arrays = [rng.standard_normal(shape_of(s, n, m)).astype(dtype) for s in shapes]
    check(lambda L, *xs: run(L, steps, *xs), *arrays)
