"""Division is a primitive with the quotient rule (issue 13), checked against float64 and PyTorch.

It used to be ``a * b ** -1``: ``Value(1e-310) / Value(3e-310)`` was inf (3e-310 ** -1
overflows) and ``x / x`` missed 1 for about 14% of random normals (b ** -1 rounds first).
"""

import math
import random

import pytest

from ninjagrad import Value

torch = pytest.importorskip("torch")


def torch_div(a, b):
    ta = torch.tensor(a, dtype=torch.float64, requires_grad=True)
    tb = torch.tensor(b, dtype=torch.float64, requires_grad=True)
    out = ta / tb
    out.backward()
    return out.item(), ta.grad.item(), tb.grad.item()


def ours_div(a, b):
    va, vb = Value(a), Value(b)
    out = va / vb
    out.backward()
    return out.data, va.grad, vb.grad


def same(x, y):
    return (math.isnan(x) and math.isnan(y)) or x == y


def test_tiny_operands_divide_like_floats():
    assert (Value(1e-310) / Value(3e-310)).data == 1e-310 / 3e-310
    assert math.isfinite((Value(1e-310) / Value(3e-310)).data)


def test_x_over_x_is_one_for_random_normals():
    rng = random.Random(13)
    xs = [rng.gauss(0.0, 1.0) for _ in range(2000)]
    assert all((Value(x) / Value(x)).data == 1.0 for x in xs)
    v = Value(rng.gauss(0.0, 1.0))
    assert (v / v).data == 1.0  # the same node on both sides too


def test_quotients_are_the_float64_quotients():
    rng = random.Random(7)
    for _ in range(2000):
        a, b = rng.gauss(0.0, 10.0), rng.gauss(0.0, 10.0)
        assert (Value(a) / Value(b)).data == a / b
        assert (a / Value(b)).data == a / b and (Value(a) / b).data == a / b


@pytest.mark.parametrize(
    "a,b",
    [(1e-310, 3e-310), (3.0, 7.0), (-2.5, 0.125), (1e200, 1e-200), (1e-200, 1e200),
     (1.0, 0.0), (-1.0, 0.0), (1.0, -0.0), (0.0, 0.0), (0.0, 2.0), (math.inf, 2.0),
     (2.0, math.inf), (math.nan, 1.0), (5e-324, 3.0)],
)
def test_value_and_gradients_match_torch_float64(a, b):
    ours, theirs = ours_div(a, b), torch_div(a, b)
    for name, x, y in zip(("value", "d/da", "d/db"), ours, theirs, strict=True):
        assert same(x, y), f"{name} of {a!r} / {b!r}: {x!r}, torch {y!r}"


def test_random_gradients_match_torch_and_the_quotient_rule():
    rng = random.Random(11)
    for _ in range(300):
        a, b = rng.gauss(0.0, 3.0), rng.gauss(0.0, 3.0)
        value, da, db = ours_div(a, b)
        t_value, t_da, t_db = torch_div(a, b)
        assert (value, da, db) == (t_value, t_da, t_db)
        assert da == pytest.approx(1.0 / b, rel=1e-14)
        assert db == pytest.approx(-a / b**2, rel=1e-12)


def test_division_is_one_node_with_both_operands():
    a, b = Value(6.0), Value(3.0)
    q = a / b
    assert q.op == "/" and q.parents == (a, b)
    r = 2 / a
    assert r.op == "/" and r.parents[1] is a and r.parents[0].data == 2.0
    assert (a / 2).parents[0] is a


def test_repeated_backward_accumulates_into_leaves():
    """The lecture's behaviour, kept: a second backward() adds to the leaves' grads."""
    a, b = Value(3.0), Value(4.0)
    q = a / b
    q.backward()
    q.backward()
    assert a.grad == 2 * (1 / 4.0) and b.grad == 2 * (-3.0 / 16.0)
    assert q.grad == 1.0  # the root holds this call's seed
