"""Grading: each collected answer against the reference, in backward order.

A row is ``ok`` when it matches the reference (``allclose``, maxdiff shown), ``missing``
when it is still a blank, ``error`` when its line raised (or its value is not an array),
``inherits`` when it is wrong only because a gradient it is built from is wrong (the same
code gives the right answer from the correct inputs; the upstream cause is named), and
``wrong`` otherwise, with a diagnosis when the numbers fit a known mistake.
"""

import numpy as np

from ninjagrad.dojo import data, diagnosis
from ninjagrad.dojo.report import Report, Row

LOSS_ATOL = 1e-3  # exercise 4's loss: the same run agrees far closer than this


def _available_references(exercise, use_torch):
    """[(label, {row name: array})] for the exercise: ninjagrad's autograd, then PyTorch."""
    if exercise.kind == "micrograd":
        from ninjagrad.dojo import micrograd

        return [("ninjagrad Value autograd", micrograd.reference())]
    names = [line.name for line in exercise.lines if line.name != "loss"]
    found = [("ninjagrad autograd", data.ninja_reference())]
    if use_torch:
        torch_ref = data.torch_reference()
        if torch_ref is not None:
            found.append(("PyTorch autograd", torch_ref))
    refs = []
    for label, (_, _, grads) in found:
        rows = {name: grads[name] for name in names}
        if exercise.kind == "training":
            rows["loss"] = np.array(data.final_loss(data.training_reference()))
        refs.append((label, rows))
    return refs


def _branches(exercise):
    """Row name -> [(label, contribution)] for the variables used twice in the forward."""
    if exercise.kind == "micrograd":
        from ninjagrad.dojo import micrograd

        return micrograd.branches(micrograd.reference())
    if exercise.name != "ninja1":
        return {}
    _, v, g = data.ninja_reference()
    n = v["logits"].shape[0]
    onehot = np.eye(v["logits"].shape[1])[v["logits"].argmax(1)]

    def via(name, contribution):
        return f"the contribution through {name}", contribution, None

    def used_twice(row, branches):
        return [(label, contribution,
                 f"one branch missing: it matches {label} alone; {row} feeds two steps of "
                 "the forward pass, so its gradient is the sum of both contributions "
                 "(+=, not =)") for label, contribution, _ in branches]

    found = {
        "counts": [via("probs", v["counts_sum_inv"] * g["probs"]),
                   via("counts_sum", np.ones_like(v["counts"]) * g["counts_sum"])],
        "logits": [via("norm_logits", g["norm_logits"]),
                   via("logit_maxes", onehot * g["logit_maxes"])],
        "bndiff": [via("bnraw", v["bnvar_inv"] * g["bnraw"]),
                   via("bndiff2", 2 * v["bndiff"] * g["bndiff2"])],
        "hprebn": [via("bndiff", g["bndiff"]),
                   via("bnmeani", np.ones_like(v["hprebn"]) / n * g["bnmeani"])],
    }
    return {row: used_twice(row, branches) for row, branches in found.items()}


def _variants(exercise):
    """Row name -> [(words, array)]: known wrong answers, worked out from the reference."""
    if exercise.kind == "micrograd":
        from ninjagrad.dojo import micrograd

        return micrograd.variants()
    if exercise.name not in ("ninja3", "ninja4"):
        return {}
    params, _ = data._arrays()
    _, v, g = data.ninja_reference()
    dh, bnraw = g["hpreact"], v["bnraw"]
    n = dh.shape[0]
    no_bessel = params["bngain"] * v["bnvar_inv"] / n * (
        n * dh - dh.sum(0) - bnraw * (dh * bnraw).sum(0))
    return {"hprebn": [(
        "it matches the formula without Bessel's correction: the variance divides by n-1, "
        "so the term through the variance needs n/(n-1)", no_bessel)]}


def _forward_check(exercise, line, L, R):
    if exercise.kind != "micrograd":
        return None
    from ninjagrad.dojo import micrograd

    return micrograd.forward_check(line.name, L, R)


def _row_uses(exercise):
    if exercise.kind == "micrograd":
        return {}
    params, batches = data._arrays()
    return {"C": np.bincount(batches[0][0].ravel(), minlength=params["C"].shape[0])}


def _compare(value, refs, line):
    """(ok, exact, maxdiff against the worst reference)."""
    atol = LOSS_ATOL if line.name == "loss" else diagnosis.ATOL
    rtol = 0.0 if line.name == "loss" else diagnosis.RTOL
    ok, exact, maxdiff = True, True, 0.0
    for _, ref in refs:
        R = ref[line.name]
        if value.shape != R.shape:
            return False, False, None
        with np.errstate(invalid="ignore"):
            diff = np.where(value == R, 0.0, np.abs(value - R))
        if np.isnan(diff).any():
            maxdiff = float("nan")
        elif diff.size:
            maxdiff = max(maxdiff, float(diff.max()))
        exact = exact and bool(np.array_equal(value, R))
        ok = ok and bool(np.allclose(value, R, rtol=rtol, atol=atol))
    return ok, exact, maxdiff


def _consistent_with_inputs(exercise, line, answers):
    """For answers without code to re-run (a dict from a notebook): does the reference
    line, fed the learner's own upstream gradients, give the learner's value? True, False,
    or None when that cannot be evaluated."""
    if exercise.kind == "micrograd" or not line.deps or line.name == "loss":
        return None
    import ninjagrad as ng
    from ninjagrad import functional as F

    params, batches = data._arrays()
    _, values, grads = data.ninja_reference()
    ns = {"ng": ng, "F": F, "n": batches[0][1].shape[0], "Xb": ng.tensor(batches[0][0]),
          "Yb": ng.tensor(batches[0][1])}
    ns.update({k: ng.tensor(v.copy()) for k, v in {**params, **values}.items()})
    ns["dhpreact"] = ng.tensor(grads["hpreact"].copy())
    ns["demb"] = ng.tensor(grads["emb"].copy())
    for dep in line.deps:
        a = answers.get(dep)
        if a is None or a.state != "value":
            return None
        ns[exercise.line(dep).var] = ng.tensor(a.value.copy())
    try:
        exec(line.solution, ns)  # noqa: S102 - our own reference line
        mine = np.asarray(ns[line.var].numpy(), np.float64)
    except Exception:  # noqa: BLE001 - the learner's upstream has a shape the line refuses
        return None
    return diagnosis.close(mine, answers[line.name].value)


def grade_collected(exercise, collected, *, use_torch=True, hint=False, solution=False,
                    source=None):
    """Grade a ``Collected`` for ``exercise``; returns a Report."""
    refs = _available_references(exercise, use_torch)
    branches = _branches(exercise)
    variants = _variants(exercise)
    row_uses = _row_uses(exercise)
    n = data.BATCH_SIZE if exercise.kind != "micrograd" else None
    rows, status = [], {}
    if collected.fatal:
        return Report(exercise, [], notes=collected.notes, fatal=collected.fatal,
                      references=[label for label, _ in refs], hint=hint,
                      solution=solution, source=source)
    for line in exercise.lines:
        a = collected.answers.get(line.name)
        row = Row(line.name, line.shown, "missing", hint=line.hint, solution=line.solution)
        bad_inputs = [d for d in line.deps if status.get(d) != "ok"]
        row.inputs_ok = not bad_inputs
        if a is None or a.state == "missing":
            row.line = a.line if a else None
            row.message = a.message if a else f"no value for {line.shown}"
        else:
            row.line = a.line
            own_ok = None  # is the learner's line itself right, given right inputs?
            if a.recomputed is not None:
                own_ok = all(diagnosis.close(a.recomputed, ref[line.name]) for _, ref in refs)
            elif a.recompute_error is not None:
                own_ok = False
            if a.state == "error":
                row.status, row.message = "error", a.message
                if bad_inputs and own_ok:
                    row.status = "inherits"
            else:
                ok, row.exact, row.maxdiff = _compare(a.value, refs, line)
                if ok and line.no_loop and a.note:
                    row.status = "wrong"
                    row.diagnosis = (f"the values are right, but with a Python {a.note}: "
                                     f"the exercise is to write {line.shown} without one")
                elif ok:
                    row.status = "ok"
                else:
                    if own_ok is None and a.recompute_error is None:
                        own_ok = _consistent_with_inputs(exercise, line, collected.answers)
                    if bad_inputs and own_ok is not False:
                        row.status = "inherits"
                    else:
                        row.status = "wrong"
                        if line.name == "loss":
                            row.diagnosis = (f"mean loss of the last {data.LOSS_WINDOW} steps "
                                             f"{float(a.value):.4f}, reference "
                                             f"{float(refs[0][1]['loss']):.4f}")
                        else:
                            R = refs[0][1][line.name]
                            row.diagnosis = _forward_check(exercise, line, a.value, R) or (
                                diagnosis.diagnose(a.value, R, n=n,
                                                   branches=branches.get(line.name),
                                                   row_uses=row_uses.get(line.name),
                                                   variants=variants.get(line.name)))
            if row.status == "inherits":
                cause = next(d for d in line.deps if status.get(d) != "ok")
                upstream = next(r for r in rows if r.name == cause)
                row.cause = upstream.cause or upstream.shown
                if a.state == "error" and not a.message.startswith("NameError"):
                    # (a NameError is an upstream line that never ran: nothing to add)
                    row.diagnosis = f"raised {a.message}, only because of its input"
        status[line.name] = row.status
        rows.append(row)
    return Report(exercise, rows, notes=collected.notes,
                  references=[label for label, _ in refs], hint=hint, solution=solution,
                  source=source)
