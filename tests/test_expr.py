"""The safe expression parser: right graphs and gradients, and hostile input refused."""

import ast
import math
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ninjagrad.cli.expr import (
    MAX_DEPTH,
    MAX_EXPONENT,
    MAX_LENGTH,
    ExpressionError,
    parse_expression,
)
from ninjagrad.errors import NinjagradError
from ninjagrad.graph import topological_order

NEURON = dict(x1=2.0, x2=0.0, w1=-3.0, w2=1.0, b=6.8813735870195432)


def central_difference(f, values, name, h=1e-6):
    up, down = dict(values), dict(values)
    up[name] += h
    down[name] -= h
    return (f(**up) - f(**down)) / (2 * h)


def test_lecture_neuron_value_and_gradients():
    e = parse_expression("tanh(x1*w1 + x2*w2 + b)", NEURON)
    e.root.backward()

    def neuron(x1, x2, w1, w2, b):
        return math.tanh(x1 * w1 + x2 * w2 + b)

    assert e.root.data == pytest.approx(neuron(**NEURON), abs=1e-12)
    for name, leaf in e.variables.items():
        assert leaf.label == name
        assert leaf.grad == pytest.approx(central_difference(neuron, NEURON, name), abs=1e-7)
    assert e.variables["x1"].grad == pytest.approx(-1.5)
    assert e.variables["w2"].grad == 0.0


def test_every_operator_and_function_against_finite_differences():
    source = "relu(x)*y - x/(y+3) + exp(-x)**2 + log(y) / sigmoid(x) + (x**y) - +y"
    values = dict(x=0.7, y=1.3)

    def f(x, y):
        s = 1 / (1 + math.exp(-x))
        return max(x, 0) * y - x / (y + 3) + math.exp(-x) ** 2 + math.log(y) / s + x**y - y

    e = parse_expression(source, values)
    e.root.backward()
    assert e.root.data == pytest.approx(f(**values), rel=1e-12)
    for name in values:
        expected = central_difference(f, values, name)
        assert e.variables[name].grad == pytest.approx(expected, rel=1e-6, abs=1e-8)


def test_a_variable_is_one_leaf_and_gradients_accumulate():
    e = parse_expression("x*x*x", {"x": 3.0})
    e.root.backward()
    assert e.variables["x"].grad == pytest.approx(27.0)  # d(x^3)/dx = 3x^2
    leaves = [n for n in topological_order(e.root) if not n.parents and n.label == "x"]
    assert len(leaves) == 1


def test_intermediates_are_labelled_with_their_source():
    e = parse_expression("tanh(x1 * w1 + b)", {"x1": 1.0, "w1": 2.0, "b": 0.5})
    labels = {n.label for n in topological_order(e.root)}
    assert {"x1", "w1", "b", "x1*w1", "x1*w1+b", "tanh(x1*w1+b)"} <= labels
    e = parse_expression("2 * x - 3", {"x": 1.0})
    labels = {n.label for n in topological_order(e.root)}
    assert {"2", "3", "2*x", "2*x-3"} <= labels
    long_one = "x + x + x + x + x + x + x + x + x + x + x + x"
    e = parse_expression(long_one, {"x": 1.0})
    assert e.root.label.startswith("t")  # too long to be a readable label


def test_negative_literals_and_unary_plus():
    e = parse_expression("-2 * +x + -(x)", {"x": 5.0})
    assert e.root.data == -15.0


def test_unused_variables_are_kept_with_zero_grad():
    e = parse_expression("x * 2", {"x": 1.0, "unused": 4.0})
    e.root.backward()
    assert e.variables["unused"].grad == 0.0
    assert e.variables["unused"].data == 4.0


# (expression, words the message must contain, the offending segment it must point at)
HOSTILE = [
    ("__import__('os')", "calling '__import__' is not allowed", "__import__"),
    ("__import__('os').system('true')", "attribute access", "__import__('os').system"),
    ("x.__class__", "attribute access not allowed", "x.__class__"),
    ("x.tanh()", "write tanh(...) instead", "x.tanh"),
    ("(lambda: 1)()", "only calls of exp, log, tanh, relu, sigmoid", "lambda: 1"),
    ("lambda x: x", "lambda not allowed", "lambda x: x"),
    ("x ** 1000", f"exponent 1000 is out of bounds (|exponent| <= {MAX_EXPONENT})", "1000"),
    ("x ** -500", "exponent -500 is out of bounds", "-500"),
    ("x ** (2 ** 2 ** 2 ** 2)", "exponent 65536 is out of bounds", "2 ** 2 ** 2 ** 2"),
    ("x ** (x * 100)", "exponent 200 is out of bounds", "x * 100"),
    ("y + 1", "unknown name 'y'", "y"),
    ("x + y", "--var y=VALUE", "y"),
    ("open", "unknown name 'open'", "open"),
    ("print(x)", "calling 'print' is not allowed", "print"),
    ("x[0]", "subscripts not allowed", "x[0]"),
    ("[x for x in ()]", "comprehensions not allowed", "[x for x in ()]"),
    ("'rm -rf'", "strings not allowed", "'rm -rf'"),
    ("tanh(x=1)", "no keyword arguments", "x=1"),
    ("exp(x, x)", "exactly one argument", "exp(x, x)"),
    ("exp(*x)", "exactly one argument", "exp(*x)"),
    ("x if x else 1", "conditional expressions not allowed", "x if x else 1"),
    ("x < 1", "comparisons not allowed", "x < 1"),
    ("x @ x", "only + - * / **", "x @ x"),
    ("x // 2", "only + - * / **", "x // 2"),
    ("~x", "only unary '-' and '+'", "~x"),
    ("not x", "only unary '-' and '+'", "not x"),
    ("(x := 3)", "assignment expressions not allowed", "x := 3"),
    ("1j * x", "complex numbers not allowed", "1j"),
    ("True + x", "True/False not allowed", "True"),
    ("tanh", "'tanh' is a function", "tanh"),
    ("exp(1000) * x", "the result is inf, not a finite real number", "exp(1000)"),
    ("log(x - 3)", "the result is nan", "log(x - 3)"),
    ("log(x - 2)", "the result is -inf", "log(x - 2)"),
    ("x / (x - 2)", "the result is inf", "x / (x - 2)"),
    ("1e400 + x", "number too large", "1e400"),
    ("x +", "invalid syntax", "+"),
    ("x; import os", "invalid syntax", ";"),
]


@pytest.mark.parametrize("source, words, segment", HOSTILE, ids=[h[0] for h in HOSTILE])
def test_hostile_expressions_are_refused_pointing_at_the_culprit(source, words, segment):
    with pytest.raises(ExpressionError) as info:
        parse_expression(source, {"x": 2.0})
    error = info.value
    assert isinstance(error, NinjagradError)
    message = str(error)
    assert words in message
    assert error.segment == segment
    assert error.column == source.index(segment) + 1
    # The caret line sits under the segment.
    lines = message.splitlines()
    assert lines[1].strip() == source
    assert lines[2].index("^") - 2 == source.index(segment)
    assert lines[2].count("^") == len(segment)


def test_refusal_has_no_side_effects(tmp_path):
    marker = tmp_path / "pwned"
    with pytest.raises(ExpressionError):
        parse_expression(f"__import__('os').system('touch {marker}')", {})
    with pytest.raises(ExpressionError):
        parse_expression(f"open('{marker}', 'w')", {})
    assert not marker.exists()


def test_over_long_and_deeply_nested_input_is_refused():
    with pytest.raises(ExpressionError, match=f"limit is {MAX_LENGTH}"):
        parse_expression("x+" * MAX_LENGTH + "x", {"x": 1.0})
    with pytest.raises(ExpressionError, match=f"nested more than {MAX_DEPTH} levels"):
        parse_expression("-" * (MAX_DEPTH + 5) + "x", {"x": 1.0})
    with pytest.raises(ExpressionError, match="invalid syntax"):
        parse_expression("(" * 300 + "x" + ")" * 300, {"x": 1.0})  # Python's own limit
    with pytest.raises(ExpressionError, match="single line"):
        parse_expression("x\n+ x", {"x": 1.0})
    with pytest.raises(ExpressionError, match="empty"):
        parse_expression("   ", {})
    with pytest.raises(ExpressionError, match="NUL character at column 2"):
        parse_expression("x\x00+1", {"x": 1.0})


def test_long_sources_are_shown_as_a_window_around_the_culprit():
    source = "x + " * 60 + "oops + x"
    with pytest.raises(ExpressionError) as info:
        parse_expression(source, {"x": 1.0})
    line, carets = str(info.value).splitlines()[1:]
    assert len(line) < 80
    assert line[carets.index("^") : carets.index("^") + 4] == "oops"


@pytest.mark.parametrize(
    "variables, words",
    [
        ({"1x": 1.0}, "not a valid variable name"),
        ({"__import__": 1.0}, "not a valid variable name"),
        ({"lambda": 1.0}, "Python keyword"),
        ({"exp": 1.0}, "engine function"),
        ({"x": "2"}, "must be a number, not str"),
        ({"x": True}, "must be a number, not bool"),
        ({"x": float("nan")}, "must be finite"),
        ({"x": 10**400}, "too large"),
    ],
)
def test_bad_variables_are_refused(variables, words):
    with pytest.raises(ExpressionError, match=words):
        parse_expression("1", variables)


def test_the_parser_never_calls_eval_exec_or_compile():
    tree = ast.parse(_expr_source())
    called = {
        node.func.id
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
    }
    assert not called & {"eval", "exec", "compile", "__import__"}


def _expr_source():
    import ninjagrad.cli.expr

    return Path(ninjagrad.cli.expr.__file__).read_text()


# Property: random expressions over the allowed grammar give the value and gradients of
# a reference evaluator written here with math (and central finite differences).
def _leaf():
    return st.one_of(
        st.sampled_from(["x", "y"]),
        st.floats(0.25, 3.0).map(lambda v: repr(round(v, 3))),
    )


def _extend(children):
    unary = st.tuples(st.sampled_from(["-", "tanh", "sigmoid", "exp", "relu"]), children)
    binary = st.tuples(st.sampled_from(["+", "-", "*"]), children, children)
    return st.one_of(unary, binary)


TREES = st.recursive(_leaf(), _extend, max_leaves=8)


def _render(tree):
    if isinstance(tree, str):
        return tree
    if len(tree) == 2:
        op, arg = tree
        return f"-({_render(arg)})" if op == "-" else f"{op}({_render(arg)})"
    op, a, b = tree
    return f"({_render(a)} {op} {_render(b)})"


def _reference(tree, x, y):
    if isinstance(tree, str):
        return {"x": x, "y": y}.get(tree, None) if tree in "xy" else float(tree)
    if len(tree) == 2:
        op, arg = tree
        v = _reference(arg, x, y)
        return {
            "-": lambda: -v,
            "tanh": lambda: math.tanh(v),
            "sigmoid": lambda: 1 / (1 + math.exp(-v)),
            "exp": lambda: math.exp(v) if v < 700 else math.inf,
            "relu": lambda: max(v, 0.0),
        }[op]()
    op, a, b = tree
    u, v = _reference(a, x, y), _reference(b, x, y)
    return {"+": u + v, "-": u - v, "*": u * v}[op]


@settings(max_examples=60, deadline=None)
@given(TREES, st.floats(-2, 2), st.floats(-2, 2))
def test_random_expressions_match_a_reference_evaluator(tree, x, y):
    source = _render(tree)
    expected = _reference(tree, x, y)
    if not math.isfinite(expected) or abs(expected) > 1e12:
        return
    e = parse_expression(source, {"x": x, "y": y})
    assert e.root.data == pytest.approx(expected, rel=1e-9, abs=1e-12)
    e.root.backward()
    for name in ("x", "y"):

        def f(x, y):
            return _reference(tree, x, y)

        fd = central_difference(f, {"x": x, "y": y}, name, h=1e-5)
        # relu's kink makes finite differences meaningless right next to 0.
        if "relu" not in source:
            assert e.variables[name].grad == pytest.approx(fd, rel=1e-4, abs=1e-5)


def test_caret_counts_characters_not_bytes_after_non_ascii_names():
    # ast reports columns in UTF-8 bytes; 'été' is 3 characters but 5 bytes.
    source = "été * 2 + x.tanh()"
    with pytest.raises(ExpressionError) as info:
        parse_expression(source, {"été": 1.0, "x": 2.0})
    error = info.value
    assert error.column == source.index("x.tanh") + 1
    line, carets = str(error).splitlines()[1:]
    assert line[carets.index("^") :].startswith("x.tanh")


def test_a_flat_sum_of_many_terms_is_no_nesting():
    # 400 terms of a left-leaning chain: only the length limit bounds it, not MAX_DEPTH.
    terms = 400
    source = "+".join(["x"] * terms)
    assert len(source) <= MAX_LENGTH
    expr = parse_expression(source, {"x": 0.5})
    assert expr.root.data == pytest.approx(0.5 * terms)
    expr.root.backward()
    assert expr.variables["x"].grad == terms
    mixed = parse_expression("-".join(["x"] * 200) + "*2", {"x": 1.0})
    assert mixed.root.data == pytest.approx(1.0 - 198 - 2)
