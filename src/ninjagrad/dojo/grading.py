"""Grading: each collected answer against the reference, in backward order.

A row is ``ok`` when it matches the reference (``allclose``, maxdiff shown), ``missing``
when it is still a blank, ``error`` when its line raised (or its value is not an array),
``inherits`` when it is wrong only because a gradient it is built from is wrong (the same
code gives the right answer from the correct inputs; the upstream cause is named), and
``wrong`` otherwise, with a diagnosis when the numbers fit a known mistake.
"""

import numpy as np

from ninjagrad.dojo import diagnosis
from ninjagrad.dojo.report import Report, Row


def _family(exercise):
    """The module that knows the exercise's references and mistakes."""
    if exercise.kind == "micrograd":
        from ninjagrad.dojo import micrograd

        return micrograd
    from ninjagrad.dojo import ninja_checks

    return ninja_checks


def _compare(value, refs, line, tolerance):
    """(ok, exact, maxdiff against the worst reference)."""
    rtol, atol = tolerance
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


def grade_collected(exercise, collected, *, use_torch=True, hint=False, solution=False,
                    source=None):
    """Grade a ``Collected`` for ``exercise``; returns a Report."""
    family = _family(exercise)
    refs = family.references(exercise, use_torch)
    branches = family.branches(exercise)
    variants = family.variants(exercise)
    row_uses = family.row_uses(exercise)
    n = family.batch_size()
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
                ok, row.exact, row.maxdiff = _compare(a.value, refs, line,
                                                      family.tolerance(line))
                if ok and line.no_loop and a.note:
                    row.status = "wrong"
                    row.diagnosis = (f"the values are right, but with a Python {a.note}: "
                                     f"the exercise is to write {line.shown} without one")
                elif ok:
                    row.status = "ok"
                else:
                    if own_ok is None and a.recompute_error is None:
                        own_ok = family.consistent_with_inputs(exercise, line,
                                                               collected.answers)
                    if bad_inputs and own_ok is not False:
                        row.status = "inherits"
                    else:
                        row.status = "wrong"
                        R = refs[0][1][line.name]
                        row.diagnosis = family.explain(exercise, line, a.value, R) or (
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
