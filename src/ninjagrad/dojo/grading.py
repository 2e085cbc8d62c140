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
        from ninjagrad.dojo import micrograd_checks

        return micrograd_checks
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


class _Grader:
    """Grades one Collected row by row; ``status`` holds the rows graded so far."""

    def __init__(self, exercise, collected, use_torch):
        self.exercise, self.collected = exercise, collected
        self.family = family = _family(exercise)
        self.refs = family.references(exercise, use_torch)
        self.branches = family.branches(exercise)
        self.variants = family.variants(exercise)
        self.row_uses = family.row_uses(exercise)
        self.rows, self.status = [], {}

    def own_line_ok(self, line, a):
        """Is the learner's line itself right, given right inputs? None: cannot tell."""
        if a.recomputed is not None:
            return all(diagnosis.close(a.recomputed, ref[line.name]) for _, ref in self.refs)
        if a.recompute_error is not None:
            return False
        if a.state == "value":  # no code to re-run: feed the reference line their inputs
            return self.family.consistent_with_inputs(self.exercise, line,
                                                      self.collected.answers)
        return None

    def diagnose(self, line, value):
        R = self.refs[0][1][line.name]
        return self.family.explain(self.exercise, line, value, R) or diagnosis.diagnose(
            value, R, n=self.family.batch_size(), branches=self.branches.get(line.name),
            row_uses=self.row_uses.get(line.name), variants=self.variants.get(line.name))

    def grade(self, line):
        a = self.collected.answers.get(line.name)
        row = Row(line.name, line.shown, "missing", hint=line.hint, solution=line.solution)
        bad_inputs = [d for d in line.deps if self.status.get(d) != "ok"]
        row.inputs_ok = not bad_inputs
        if a is None or a.state == "missing":
            row.line = a.line if a else None
            row.message = a.message if a else f"no value for {line.shown}"
            return row
        row.line = a.line
        if a.state == "error":
            row.status, row.message = "error", a.message
            if bad_inputs and self.own_line_ok(line, a):
                row.status = "inherits"
        else:
            ok, row.exact, row.maxdiff = _compare(a.value, self.refs, line,
                                                  self.family.tolerance(line))
            if ok and line.no_loop and a.note:
                row.status = "wrong"
                row.diagnosis = (f"the values are right, but with a Python {a.note}: the "
                                 f"exercise is to write {line.shown} without one")
            elif ok:
                row.status = "ok"
            elif bad_inputs and self.own_line_ok(line, a) is not False:
                row.status = "inherits"  # (None: no way to tell; the inputs are wrong)
            else:
                row.status, row.diagnosis = "wrong", self.diagnose(line, a.value)
        if row.status == "inherits":
            upstream = next(r for r in self.rows if r.name == bad_inputs[0])
            row.cause = upstream.cause or upstream.shown
            if a.state == "error" and not a.message.startswith("NameError"):
                # (a NameError is an upstream line that never ran: nothing to add)
                row.diagnosis = f"raised {a.message}, only because of its input"
        return row


def grade_collected(exercise, collected, *, use_torch=True, hint=False, solution=False,
                    source=None):
    """Grade a ``Collected`` for ``exercise``, in backward order; returns a Report."""
    grader = _Grader(exercise, collected, use_torch)
    if not collected.fatal:
        for line in exercise.lines:
            row = grader.grade(line)
            grader.status[line.name] = row.status
            grader.rows.append(row)
    return Report(exercise, grader.rows, notes=collected.notes, fatal=collected.fatal,
                  references=[label for label, _ in grader.refs], hint=hint,
                  solution=solution, source=source)
