"""Every Value op against PyTorch float64 and central finite differences (one helper).

``check(fn, *xs)`` runs ``fn`` on ninjagrad Values and on float64 PyTorch scalars built from
the same numbers (ninjagrad mirrors PyTorch's method names, so one lambda serves both),
backpropagates both, and compares the output and every input's gradient. Where ``fn`` is
smooth at ``xs`` it also compares the gradient with central finite differences computed
from ninjagrad's forward pass alone.
"""

import math

import pytest

from ninjagrad import Value

torch = pytest.importorskip("torch")

FD_EPS = 1e-6


def same(ours, ref, rel=1e-12, abs_=1e-12):
    """Equal up to rounding, with nan == nan and infinities of the same sign equal."""
    if math.isnan(ref):
        return math.isnan(ours)
    if math.isinf(ref):
        return ours == ref
    return abs(ours - ref) <= rel * abs(ref) + abs_


def check(fn, *xs, fd=True):
    """Compare ``fn`` on Values with PyTorch float64 (value and grads) and finite differences."""
    vs = [Value(x) for x in xs]
    out = fn(*vs)
    out.backward()
    ts = [torch.tensor(float(x), dtype=torch.float64, requires_grad=True) for x in xs]
    ref = fn(*ts)
    ref.backward()
    assert same(out.data, ref.item()), f"value {out.data!r} != torch {ref.item()!r} at {xs}"
    for i, (v, t) in enumerate(zip(vs, ts, strict=True)):
        tg = 0.0 if t.grad is None else t.grad.item()
        assert same(v.grad, tg), f"grad[{i}] {v.grad!r} != torch {tg!r} at {xs}"
    if not fd:
        return
    for i, v in enumerate(vs):
        hi = [Value(x + FD_EPS if j == i else x) for j, x in enumerate(xs)]
        lo = [Value(x - FD_EPS if j == i else x) for j, x in enumerate(xs)]
        numeric = (fn(*hi).data - fn(*lo).data) / (2 * FD_EPS)
        assert same(v.grad, numeric, rel=1e-6, abs_=1e-6), (
            f"grad[{i}] {v.grad!r} != finite difference {numeric!r} at {xs}"
        )


BINARY = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / b,
    "pow": lambda a, b: a**b,
    # the same operand twice: gradients from both uses must add up
    "mul_self": lambda a, b: a * a + b,
    "div_self": lambda a, b: (a + b) / (a * b),
}
UNARY = {
    "neg": lambda a: -a,
    "exp": lambda a: a.exp(),
    "log": lambda a: a.log(),
    "tanh": lambda a: a.tanh(),
    "relu": lambda a: a.relu(),
    "sigmoid": lambda a: a.sigmoid(),
    "pow_number": lambda a: a**3,
    "pow_fraction": lambda a: a**0.5,
    "pow_negative": lambda a: a**-2,
    "radd": lambda a: 2.5 + a,
    "rsub": lambda a: 2.5 - a,
    "rmul": lambda a: 2.5 * a,
    "rdiv": lambda a: 2.5 / a,
    "rpow": lambda a: 2.5**a,
    "int_operands": lambda a: (a + 1) * 3 - 2,
}
POINTS = [0.7, 1.9, 3.2]  # positive, away from every op's kinks and poles


@pytest.mark.parametrize("name", BINARY)
@pytest.mark.parametrize("a", POINTS + [-1.3])
@pytest.mark.parametrize("b", [0.6, 2.0, -1.7])
def test_binary_op_matches_torch_and_finite_differences(name, a, b):
    if name == "pow" and a < 0:  # a negative base with a non-integer exponent is nan
        b = 2.0
    check(BINARY[name], a, b)


@pytest.mark.parametrize("name", UNARY)
@pytest.mark.parametrize("a", POINTS + [-0.8])
def test_unary_op_matches_torch_and_finite_differences(name, a):
    if name in ("log", "pow_fraction") and a < 0:
        a = -a
    check(UNARY[name], a)


# Edge cases where Python's math raises: ninjagrad must give PyTorch's float64 results
# (values and gradients), never an exception. Finite differences do not apply.
EDGES = [
    ("log", UNARY["log"], (0.0,)),
    ("log", UNARY["log"], (-1.0,)),
    ("exp", UNARY["exp"], (1000.0,)),
    ("exp", UNARY["exp"], (-1000.0,)),
    ("sigmoid", UNARY["sigmoid"], (1000.0,)),
    ("sigmoid", UNARY["sigmoid"], (-1000.0,)),
    ("tanh", UNARY["tanh"], (math.inf,)),
    ("relu", UNARY["relu"], (0.0,)),
    ("relu", UNARY["relu"], (math.nan,)),
    ("pow", BINARY["pow"], (0.0, -1.0)),
    ("pow", BINARY["pow"], (0.0, 0.0)),
    ("pow", BINARY["pow"], (0.0, 0.5)),
    ("pow", BINARY["pow"], (0.0, 2.0)),
    ("pow", BINARY["pow"], (-8.0, 1 / 3)),
    ("pow", BINARY["pow"], (-2.0, 3.0)),
    ("pow", BINARY["pow"], (10.0, 400.0)),
    ("pow", BINARY["pow"], (-10.0, 401.0)),
    ("pow_fraction", UNARY["pow_fraction"], (0.0,)),
    ("pow_negative", UNARY["pow_negative"], (0.0,)),
    ("div", BINARY["div"], (1.0, 0.0)),
    ("div", BINARY["div"], (0.0, 0.0)),
    ("rdiv", UNARY["rdiv"], (0.0,)),
    ("mul", BINARY["mul"], (1e200, 1e200)),
    ("exp_inf_times_zero", lambda a, b: a.exp() * b, (1000.0, 0.0)),
]


@pytest.mark.parametrize("name,fn,xs", EDGES, ids=[f"{n}{xs}" for n, _, xs in EDGES])
def test_ieee_edge_cases_match_torch(name, fn, xs):
    check(fn, *xs, fd=False)


def test_helper_catches_a_wrong_gradient(monkeypatch):
    """The reference helper itself must be able to fail: break tanh's backward rule."""

    def wrong_tanh_backward(out):
        out._a.grad += (1.0 - out.data) * out.grad  # should be 1 - out**2

    monkeypatch.setattr(Value, "_tanh_backward", staticmethod(wrong_tanh_backward))
    with pytest.raises(AssertionError, match="grad"):
        check(UNARY["tanh"], 0.5)
