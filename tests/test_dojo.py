"""The exercise grader, in-process: reference solutions grade all ok, and each class of
deliberate mistake is diagnosed on the right line with its consequences marked inherits."""

import numpy as np
import pytest

from ninjagrad.dojo import all_exercises, data, get_exercise, grade
from ninjagrad.dojo.runner import grade_source
from ninjagrad.dojo.starters import render
from ninjagrad.errors import NinjagradError

EXERCISES = [e.name for e in all_exercises()]
N = data.BATCH_SIZE


def graded(name, **replace):
    return grade_source(render(name, filled=True, replace=replace), use_torch=False)


def starter_line(name, key, replace):
    """The line number where blank ``key`` starts in the graded source."""
    source = render(name, filled=True, replace=replace)
    first = replace[key].splitlines()[0]
    return source.splitlines().index(first) + 1


@pytest.mark.parametrize("name", EXERCISES)
def test_reference_solutions_grade_all_ok(name):
    report = graded(name)
    assert report.fatal is None
    assert [r.status for r in report.rows] == ["ok"] * len(get_exercise(name).lines), str(report)
    assert report.ok and report.exit_code == 0
    assert all(r.maxdiff < 1e-12 for r in report.rows if r.name != "loss")


@pytest.mark.parametrize("name", EXERCISES)
def test_blank_starters_are_missing_not_errors(name):
    report = grade_source(render(name), use_torch=False)
    statuses = {r.status for r in report.rows}
    assert "missing" in statuses and statuses <= {"missing", "inherits"}, str(report)
    assert report.exit_code == 1


def test_reference_gradients_agree_with_pytorch():
    pytest.importorskip("torch")
    _, values, grads = data.ninja_reference()
    _, tvalues, tgrads = data.torch_reference()
    assert grads.keys() == tgrads.keys()
    for name in grads:
        np.testing.assert_allclose(grads[name], tgrads[name], rtol=1e-10, atol=1e-14)


def test_reference_gradient_of_one_parameter_agrees_with_finite_differences():
    from ninjagrad.makemore import manual

    params, batches = data._arrays()
    Xb, Yb = batches[0]
    _, _, grads = data.ninja_reference()

    def loss(b2):
        import ninjagrad as ng

        p = {k: ng.tensor(v.copy()) for k, v in params.items()}
        p["b2"] = ng.tensor(b2)
        value, _ = manual.forward_chunked(ng, p, ng.tensor(Xb), ng.tensor(Yb))
        return value.item()

    b2, eps = params["b2"].copy(), 1e-6
    numeric = np.zeros_like(b2)
    for i in range(b2.size):
        up, down = b2.copy(), b2.copy()
        up[i] += eps
        down[i] -= eps
        numeric[i] = (loss(up) - loss(down)) / (2 * eps)
    np.testing.assert_allclose(grads["b2"], numeric, atol=1e-8)


def check_one_mistake(report, var, status_of_rest=None):
    """The row ``var`` is the first to fix and wrong; every row after it that is not ok
    inherits from it."""
    fix = report.first_to_fix()
    assert fix is not None and fix.shown == var and fix.status == "wrong", str(report)
    after = report.rows[report.rows.index(fix) + 1:]
    assert all(r.status in ("ok", "inherits") for r in after), str(report)
    assert all(r.cause == var for r in after if r.status == "inherits")
    return fix


# One test per diagnosis class, each on the line where the mistake is.

def test_one_branch_of_a_reused_variable():
    report = graded("ninja1", dcounts="dcounts = counts_sum_inv * dprobs")
    fix = check_one_mistake(report, "dcounts")
    assert "one branch missing" in fix.diagnosis and "through probs" in fix.diagnosis
    assert "+=" in fix.diagnosis
    assert fix.line == starter_line("ninja1", "dcounts",
                                    {"dcounts": "dcounts = counts_sum_inv * dprobs"})
    assert report.row("dnorm_logits").status == "inherits"
    assert sum(r.status == "inherits" for r in report.rows) >= 15


def test_the_other_branch_of_hprebn():
    report = graded("ninja1", dhprebn="dhprebn = 1.0 / n * ng.ones_like(hprebn) * dbnmeani")
    fix = check_one_mistake(report, "dhprebn")
    assert "through bnmeani alone" in fix.diagnosis


def test_bessel_factor():
    report = graded("ninja1", dbndiff2="dbndiff2 = 1.0 / n * ng.ones_like(bndiff2) * dbnvar")
    fix = check_one_mistake(report, "dbndiff2")
    assert "Bessel" in fix.diagnosis and f"{(N - 1) / N:.6g}" in fix.diagnosis
    assert {r.shown for r in report.rows if r.status == "inherits"} >= {
        "dbndiff", "dhprebn", "dembcat", "dW1", "demb", "dC"}


def test_missing_one_over_n():
    report = graded("ninja1", dlogprobs="dlogprobs = ng.zeros_like(logprobs)\n"
                                        "dlogprobs[range(n), Yb] = -1.0")
    fix = check_one_mistake(report, "dlogprobs")
    assert "1/n is missing" in fix.diagnosis and f"n = {N}" in fix.diagnosis
    assert report.row("dprobs").status == "inherits"


def test_missing_one_over_n_in_fused_cross_entropy():
    report = graded("ninja2", dlogits="dlogits = F.softmax(logits, 1) - "
                                      "F.one_hot(Yb, logits.shape[1])")
    assert report.row("dlogits").status == "wrong"
    assert "1/n is missing" in report.row("dlogits").diagnosis


def test_factor_two_and_sign():
    report = graded("ninja1", dbndiff="dbndiff = bnvar_inv * dbnraw + bndiff * dbndiff2 "
                                      "+ bnvar_inv * dbnraw")
    # twice the first branch plus half the second: no single factor, so not called one
    assert report.row("dbndiff").status == "wrong"
    report = graded("ninja1", dhpreact="dhpreact = 2 * (1.0 - h**2) * dh")
    fix = check_one_mistake(report, "dhpreact")
    assert "factor 2 too many" in fix.diagnosis
    report = graded("ninja1", dprobs="dprobs = -(1.0 / probs) * dlogprobs")
    fix = check_one_mistake(report, "dprobs")
    assert "sign is flipped" in fix.diagnosis


def test_wrong_shape_names_the_broadcast_dimension():
    report = graded("ninja1", dbnmeani="dbnmeani = -dbndiff")
    fix = check_one_mistake(report, "dbnmeani")
    assert "(32, 64), expected (1, 64)" in fix.diagnosis
    assert "sum over dim 0, the dimension the forward broadcast" in fix.diagnosis
    assert "the values are right" in fix.diagnosis
    assert fix.maxdiff is None


def test_wrong_shape_keepdim_lost():
    report = graded("ninja1", dbngain="dbngain = (bnraw * dhpreact).sum(0)")
    fix = check_one_mistake(report, "dbngain")
    assert "(64,), expected (1, 64)" in fix.diagnosis and "keepdim=True" in fix.diagnosis


def test_transposed():
    report = graded("ninja1", dh="dh = (dlogits @ W2.T).T")
    fix = check_one_mistake(report, "dh")
    assert "transposed" in fix.diagnosis
    # the next line cannot even run with the wrong shape: it inherits, it is not an error
    assert report.row("dhpreact").status == "inherits"
    assert report.row("dhpreact").cause == "dh"
    assert report.row("dW2").status == "ok"


def test_transposed_square():
    report = graded("ninja1", dW2="dW2 = h.T @ dlogits", dh="dh = dlogits @ W2.T")
    assert report.ok  # (control)
    from ninjagrad.dojo.diagnosis import diagnose

    rng = np.random.default_rng(0)
    R = rng.standard_normal((5, 5))
    assert "transposed" in diagnose(R.T, R)


def test_indexing_right_on_some_rows():
    wrong = ("dC = ng.zeros_like(C)\nfor k in range(Xb.shape[0]):\n"
             "    for j in range(Xb.shape[1]):\n        dC[Xb[k, j]] = demb[k, j]")
    report = graded("ninja1", dC=wrong)
    fix = check_one_mistake(report, "dC")
    assert "right on" in fix.diagnosis and "used more than once" in fix.diagnosis
    report = graded("dC", dC="dC = ng.zeros_like(C)\ndC[Xb] = demb")
    assert "used more than once" in report.row("dC").diagnosis


def test_nan_and_inf():
    report = graded("ninja1", dprobs="dprobs = (1.0 / (probs - probs)) * dlogprobs")
    fix = check_one_mistake(report, "dprobs")
    assert "nan" in fix.diagnosis and "inf" in fix.diagnosis
    assert report.row("dC").status == "inherits"


def test_batchnorm_without_bessel():
    wrong = ("dhprebn = bngain * bnvar_inv / n * (n * dhpreact - dhpreact.sum(0) "
             "- bnraw * (dhpreact * bnraw).sum(0))")
    report = graded("ninja3", dhprebn=wrong)
    assert "without Bessel's correction" in report.row("dhprebn").diagnosis


def test_a_line_wrong_itself_below_a_wrong_line_is_wrong_not_inherits():
    report = graded("ninja1", dprobs="dprobs = -(1.0 / probs) * dlogprobs",
                    dnorm_logits="dnorm_logits = 2 * counts * dcounts")
    assert report.row("dprobs").status == "wrong"
    assert report.row("dcounts").status == "inherits"
    assert report.row("dnorm_logits").status == "wrong"  # wrong even from the right inputs
    assert report.row("dlogits").status == "inherits"
    # the nearest wrong line upstream: fixing dprobs alone would still leave it wrong
    assert report.row("dlogits").cause == "dnorm_logits"
    assert report.row("dcounts").cause == "dprobs"
    assert report.first_to_fix().shown == "dprobs"  # the first wrong line with right inputs


def test_error_line_and_its_consequences():
    source = render("ninja1", filled=True,
                    replace={"dcounts_sum": "dcounts_sum = -counts_sum**-2 * oops"})
    report = grade_source(source, use_torch=False)
    row = report.row("dcounts_sum")
    assert row.status == "error" and "NameError" in row.message and "oops" in row.message
    assert row.line == source.splitlines().index(
        "dcounts_sum = -counts_sum**-2 * oops") + 1
    assert report.row("dcounts").status == "inherits"
    assert report.row("dcounts").cause == "dcounts_sum"
    assert report.first_to_fix() is row


def test_blank_filled_with_the_wrong_type():
    report = graded("ninja1", dprobs="dprobs = 'the gradient'")
    row = report.row("dprobs")
    assert row.status == "error" and "dprobs is a str" in row.message
    assert report.row("dcounts_sum_inv").status == "inherits"


def test_missing_line_and_what_follows():
    report = graded("ninja1", dbnvar="dbnvar = ...  # TODO")
    assert report.row("dbnvar").status == "missing"
    assert report.row("dbndiff2").status == "inherits"
    assert report.row("dbndiff2").cause == "dbnvar"
    assert report.first_to_fix().shown == "dbnvar"


def test_dC_with_a_loop_is_not_the_exercise():
    loop = ("dC = ng.zeros_like(C)\nfor k in range(Xb.shape[0]):\n"
            "    for j in range(Xb.shape[1]):\n        dC[Xb[k, j]] += demb[k, j]")
    report = graded("dC", dC=loop)
    assert report.row("dC").status == "wrong" and "Python loop" in report.row("dC").diagnosis
    assert graded("ninja1", dC=loop).ok  # exercise 1 asks for the loop


def test_aliasing_a_forward_value_is_noted():
    report = graded("ninja2", dlogits="dlogits = F.softmax(logits, 1)\n"
                                      "dlogits[range(n), Yb] -= 1\ndlogits /= n")
    assert report.ok
    report = graded("ninja2", dlogits="dlogits = logits\ndlogits -= logits")
    assert any("changed the forward value 'logits'" in note for note in report.notes)


def test_exercise4_gradients_and_loss():
    report = graded("ninja4", dh="dh = -dlogits @ W2.T")
    fix = check_one_mistake(report, "dh")
    assert "sign" in fix.diagnosis
    loss = report.row("loss")
    assert loss.status == "inherits" and loss.cause == "dh" and loss.maxdiff > 0.01


def test_exercise4_loss_alone_can_be_wrong():
    source = render("ninja4", filled=True).replace(
        "        p -= lr * grads[name]", "        p -= 0.5 * lr * grads[name]")
    report = grade_source(source, use_torch=False)
    assert [r.shown for r in report.rows if r.status != "ok"] == ["loss"]
    assert report.row("loss").status == "wrong"
    assert "reference" in report.row("loss").diagnosis


def test_grade_a_dict_of_gradients():
    _, _, grads = data.ninja_reference()
    answers = {f"d{k}": v.copy() for k, v in grads.items()}
    assert grade("ninja1", answers).ok
    answers["dcounts"] = answers["dcounts"] * 2  # wrong, and nothing below it changes
    answers["dnorm_logits"] = answers["dnorm_logits"] * 3  # consistent with 2x? no: wrong
    report = grade("ninja1", answers)
    assert report.row("dcounts").status == "wrong"
    assert "factor 2" in report.row("dcounts").diagnosis
    # dnorm_logits = counts * dcounts would be 2x; 3x is its own mistake
    assert report.row("dnorm_logits").status == "wrong"
    assert report.row("dlogits").status == "ok"  # it was given right, so it is right


def test_grade_a_dict_decides_inherits_from_the_learners_own_inputs():
    import ninjagrad as ng

    _, values, grads = data.ninja_reference()
    answers = {f"d{k}": v.copy() for k, v in grads.items()}
    answers["dcounts"] = values["counts_sum_inv"] * grads["probs"]  # one branch only
    answers["dnorm_logits"] = values["counts"] * answers["dcounts"]  # right from it
    answers["dlogit_maxes"] = ng.tensor(-answers["dnorm_logits"].sum(1, keepdims=True))
    report = grade("ninja1", answers)
    assert report.row("dcounts").status == "wrong"
    assert report.row("dnorm_logits").status == "inherits"
    assert report.row("dlogit_maxes").status == "inherits"
    assert report.row("dlogit_maxes").cause == "dcounts"


def test_unknown_exercise():
    with pytest.raises(NinjagradError, match="unknown exercise 'ninja9'.*ninja1"):
        get_exercise("ninja9")


def test_starter_render_refuses_unknown_blank():
    with pytest.raises(KeyError):
        render("ninja1", replace={"dnothing": "x = 1"})


def test_backward_wrapped_in_a_function_still_separates_cause_and_consequences():
    ex = get_exercise("ninja1")
    body = "\n".join("    " + s for line in ex.lines for s in line.solution.splitlines())
    body = body.replace("    dcounts = counts_sum_inv * dprobs + ng.ones_like(counts) "
                        "* dcounts_sum", "    dcounts = counts_sum_inv * dprobs")
    names = ", ".join(line.var for line in ex.lines)
    source = render("ninja1").split("# The backward pass")[0] + (
        f"def backward():\n{body}\n    return {names}\n\n\n{names} = backward()\n")
    report = grade_source(source, "ninja1", use_torch=False)
    assert report.row("dcounts").status == "wrong"
    assert report.row("dnorm_logits").status == "inherits"
    assert report.row("dnorm_logits").cause == "dcounts"


def test_report_as_html_json_and_text():
    import json

    report = graded("ninja1", dprobs="dprobs = (1.0 / (probs - probs)) * dlogprobs")
    html = report._repr_html_()
    assert html.count("<tr") == 27 and "<td>wrong</td>" in html and "<table>" in html
    assert "fix first: dprobs" in html
    record = json.loads(json.dumps(report.asdict()))  # nan travels as a string
    assert record["rows"][1] == {"name": "dprobs", "status": "wrong", "maxdiff": "nan",
                                 "cause": None, "line": record["rows"][1]["line"],
                                 "diagnosis": report.row("dprobs").diagnosis}
    assert record["first_to_fix"] == "dprobs" and record["ok"] is False
    text = str(report)
    assert text.splitlines()[1].startswith("fix first: dprobs")
    assert "1 ok, 1 wrong, 24 inherits (of 26)" in text
    assert repr(report) == "Report('ninja1', 1 ok, 1 wrong, 24 inherits (of 26))"


def test_a_later_line_that_changes_an_upstream_gradient_in_place():
    report = graded("ninja1", dcounts="dcounts = dprobs\ndcounts *= counts_sum_inv\n"
                                      "dcounts += ng.ones_like(counts) * dcounts_sum")
    assert report.row("dprobs").status == "ok"  # right when its own line ran
    assert report.row("dcounts").status == "ok"
    assert any("changed dprobs in place" in note for note in report.notes)
