"""local_derivatives(node): each op's local derivative as a formula, with numbers, and its value.

Every op's ``value`` is checked against central finite differences of the forward pass in
float64, and every formula text is checked by evaluating it (with this file's own small
translation to Python) at the same point: the text a learner reads must be the math.
"""

import math

import pytest

from ninjagrad import Value
from ninjagrad.scalar.value import LocalDerivative, local_derivatives

FD_EPS = 1e-6

# op name -> (how to build it from leaf Values, the points to check it at)
OPS = {
    "+": (lambda a, b: a + b, [(0.7, -1.3), (2.0, 0.5)]),
    "*": (lambda a, b: a * b, [(0.7, -1.3), (-3.0, 2.0)]),
    "/": (lambda a, b: a / b, [(0.7, -1.3), (-2.0, 3.0)]),
    "**": (lambda a, b: a**b, [(1.7, 2.5), (0.6, -1.5), (2.0, 3.0)]),
    "exp": (lambda a: a.exp(), [(0.3,), (-1.2,)]),
    "log": (lambda a: a.log(), [(0.3,), (2.5,)]),
    "tanh": (lambda a: a.tanh(), [(0.8813735870195432,), (-0.4,)]),
    "relu": (lambda a: a.relu(), [(0.9,), (-0.9,)]),
    "sigmoid": (lambda a: a.sigmoid(), [(0.3,), (-2.0,)]),
}
CASES = [(op, xs) for op, (_, points) in OPS.items() for xs in points]


def build(op, xs):
    leaves = [Value(x) for x in xs]
    return leaves, OPS[op][0](*leaves)


def evaluate(formula, numbers):
    """The formula text as Python, evaluated with a, b and out bound to ``numbers``."""
    python = (formula.replace("²", "**2").replace("×", "*").replace("^", "**")
              .replace("≤", "<="))
    return eval(python, {"log": math.log}, dict(numbers))  # noqa: S307 - our own test text


def test_every_op_with_a_backward_rule_is_covered_here():
    tagged = {v.__func__.op for v in vars(Value).values()
              if isinstance(v, staticmethod) and hasattr(v.__func__, "op")}
    assert tagged - {""} == set(OPS)


@pytest.mark.parametrize("op,xs", CASES, ids=[f"{op}{xs}" for op, xs in CASES])
def test_value_matches_central_finite_differences(op, xs):
    leaves, node = build(op, xs)
    assert node.op == op
    entries = local_derivatives(node)
    assert [e.parent for e in entries] == leaves  # one per parent, in operand order
    assert all(e.parent is leaf for e, leaf in zip(entries, leaves, strict=True))
    for i, entry in enumerate(entries):
        hi = [x + FD_EPS if j == i else x for j, x in enumerate(xs)]
        lo = [x - FD_EPS if j == i else x for j, x in enumerate(xs)]
        numeric = (build(op, hi)[1].data - build(op, lo)[1].data) / (2 * FD_EPS)
        assert entry.value == pytest.approx(numeric, rel=1e-6, abs=1e-7), (op, i)
        assert type(entry.value) is float


@pytest.mark.parametrize("op,xs", CASES, ids=[f"{op}{xs}" for op, xs in CASES])
def test_formula_text_evaluates_to_the_value(op, xs):
    leaves, node = build(op, xs)
    numbers = {"out": node.data, **dict(zip("ab", xs, strict=False))}
    for entry in local_derivatives(node):
        assert evaluate(entry.symbolic, numbers) == pytest.approx(entry.value, rel=1e-12)
        # the numeric text is the same formula with the numbers put in (4 significant digits)
        shown = {k: float(f"{v:.4g}") for k, v in numbers.items()}
        assert evaluate(entry.numeric.replace("(", " (").replace(")", ") "), {}) == \
            pytest.approx(evaluate(entry.symbolic, shown), rel=1e-12)


def test_tanh_on_the_lecture_neuron():
    x1, x2 = Value(2.0), Value(0.0)
    w1, w2 = Value(-3.0), Value(1.0)
    n = x1 * w1 + x2 * w2 + Value(6.8813735870195432)
    o = n.tanh()
    (entry,) = local_derivatives(o)
    assert entry.parent is n
    assert entry.symbolic == "1 - out²"
    assert entry.numeric == "1 - 0.7071²"
    assert entry.value == pytest.approx(0.5, abs=1e-12)
    assert repr(entry) == "LocalDerivative(1 - out² = 1 - 0.7071² = 0.5)"


def test_symbolic_formulas_use_a_b_and_out():
    a, b = Value(2.0), Value(3.0)
    assert [e.symbolic for e in local_derivatives(a * b)] == ["b", "a"]
    assert [e.symbolic for e in local_derivatives(a + b)] == ["1", "1"]
    assert [e.symbolic for e in local_derivatives(a / b)] == ["1 / b", "-a / b²"]
    assert local_derivatives(a**3)[0].symbolic == "b × a^(b-1)"
    assert local_derivatives(a**3)[0].numeric == "3 × 2^(3-1)"
    assert local_derivatives(a.exp())[0].symbolic == "out"


def test_negative_numbers_are_parenthesised():
    a, b = Value(-3.0), Value(2.0)
    assert [e.numeric for e in local_derivatives(a * b)] == ["2", "(-3)"]
    assert local_derivatives(b / a)[1].numeric == "-2 / (-3)²"


def test_leaf_has_none_and_a_reused_parent_has_one_entry_per_use():
    a = Value(3.0)
    assert local_derivatives(a) == []
    entries = local_derivatives(a * a)
    assert len(entries) == 2 and all(e.parent is a for e in entries)
    assert [e.value for e in entries] == [3.0, 3.0]


def test_local_derivatives_leave_the_graph_untouched():
    a, b = Value(2.0), Value(-1.5)
    c = a * b
    c.backward()
    before = [(v.data, v.grad) for v in (a, b, c)]
    local_derivatives(c)
    assert [(v.data, v.grad) for v in (a, b, c)] == before
    assert isinstance(local_derivatives(c)[0], LocalDerivative)
