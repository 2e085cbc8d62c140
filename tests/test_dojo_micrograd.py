"""The micrograd exercise: each rule graded alone, derived operations and backward()
graded with correct rules put in, so a wrong rule shows as the cause."""

import math

import numpy as np
import pytest

from ninjagrad.dojo import grade, micrograd_checks
from ninjagrad.dojo.runner import grade_source
from ninjagrad.dojo.starters import render


def graded(**replace):
    return grade_source(render("micrograd", filled=True, replace=replace), use_torch=False)


def test_reference_matches_the_calculus():
    """The reference numbers (ninjagrad's Value) against derivatives written out here."""
    a, b, pos, k, pre_a, pre_b, g = micrograd_checks._points()
    ref = micrograd_checks.reference()
    np.testing.assert_allclose(ref["*"], np.stack([pre_a + b * g, pre_b + a * g], 1))
    np.testing.assert_allclose(ref["+"], np.stack([pre_a + g, pre_b + g], 1))
    np.testing.assert_allclose(ref["**"][:, 0], pre_a + k * pos ** (k - 1) * g)
    np.testing.assert_allclose(ref["tanh"][:, 0], pre_a + (1 - np.tanh(a) ** 2) * g)
    np.testing.assert_allclose(ref["exp"][:, 0], pre_a + np.exp(a) * g)
    np.testing.assert_allclose(ref["/"], np.stack([a / b, 1 / b, -a / b**2], 1))
    np.testing.assert_allclose(ref["-"], np.stack([a - b, np.ones(6), -np.ones(6), -a,
                                                   -np.ones(6)], 1))


def test_backward_reference_against_finite_differences():
    a, b, *_ = micrograd_checks._points()
    ref = micrograd_checks.reference()["backward()"]

    def w(x, y):
        z = x * y + x
        return (math.tanh(z) + math.exp(z) * y) ** 2 + x

    h = 1e-6
    for i in range(len(a)):
        x, y = a[i] * 0.5, b[i] * 0.5
        dx = (w(x + h, y) - w(x - h, y)) / (2 * h)
        dy = (w(x, y + h) - w(x, y - h)) / (2 * h)
        np.testing.assert_allclose(ref[i, :2], [dx, dy], rtol=1e-6, atol=1e-6)


def test_solution_is_all_ok_and_rows_in_order():
    report = graded()
    assert [r.shown for r in report.rows] == ["+", "*", "**", "tanh", "exp", "-", "/",
                                              "backward()"]
    assert report.ok, str(report)


def test_overwriting_instead_of_accumulating():
    report = graded(add_backward="a.grad = out.grad\nb.grad = out.grad")
    fix = report.first_to_fix()
    assert fix.shown == "+" and fix.status == "wrong"
    assert "+=, not =" in fix.diagnosis and "one branch missing" in fix.diagnosis
    # a - b uses each node once, so = and += agree there; the graph of backward() reuses x
    assert report.row("-").status == "ok"
    assert report.row("backward()").status == "inherits"
    assert report.row("backward()").cause == "+"
    assert report.row("*").status == "ok"


def test_swapped_product_rule_and_subtracted_contribution():
    report = graded(mul_backward="a.grad += a.data * out.grad\nb.grad += b.data * out.grad")
    assert "OWN data" in report.row("*").diagnosis
    assert report.row("/").status == "inherits" and report.row("/").cause == "*"
    report = graded(mul_backward="a.grad -= b.data * out.grad\nb.grad -= a.data * out.grad")
    assert "sign is flipped" in report.row("*").diagnosis


def test_wrong_forward_of_a_derived_operation():
    report = graded(sub="return self + other")
    row = report.row("-")
    assert row.status == "wrong" and "forward value is wrong" in row.diagnosis
    assert report.row("backward()").status == "ok"


def test_backward_that_revisits_nodes():
    walk = ("self.grad = 1.0\nstack = [self]\nwhile stack:\n    node = stack.pop()\n"
            "    if node.backward_rule:\n        node.backward_rule(node)\n"
            "    stack.extend(node.parents)")
    report = graded(backward=walk)
    assert [r.shown for r in report.rows if r.status != "ok"] == ["backward()"]
    assert report.row("backward()").status == "wrong"


def test_blank_rule_is_missing_and_raising_rule_is_an_error():
    source = render("micrograd", filled=True, replace={
        "exp_backward": "...  # TODO",
        "pow_backward": "a.grad += b.data * a.data ** (b.data - 1) * out.grad / oops"})
    report = grade_source(source, use_torch=False)
    assert report.row("exp").status == "missing"
    row = report.row("**")
    assert row.status == "error" and "oops" in row.message
    assert row.line == source.splitlines().index(
        "        a.grad += b.data * a.data ** (b.data - 1) * out.grad / oops") + 1
    assert report.row("/").status == "inherits" and report.row("/").cause == "**"
    assert report.row("backward()").status == "inherits"


def test_grade_a_value_class_directly():
    ns = {}
    exec(render("micrograd", filled=True), ns)  # noqa: S102 - our own starter
    assert grade("micrograd", ns["Value"]).ok
    assert grade("micrograd", ns).ok


def test_no_value_class():
    report = grade("micrograd", {"x": 1})
    assert report.fatal and "no class Value" in report.fatal and report.exit_code == 1
    assert "cannot grade" in str(report)


@pytest.mark.parametrize("op", micrograd_checks.PRIMITIVES)
def test_a_blank_starter_marks_every_rule_missing(op):
    report = grade_source(render("micrograd"), use_torch=False)
    assert report.row(op).status == "missing"
