"""A graded exercise as a table: plain text for the terminal, HTML for Jupyter, JSON for
tools. The row to fix first (the first ``wrong`` or ``error`` row whose inputs are all
right) is printed above the table, with its hint and solution when asked for."""

import html
import math
from dataclasses import dataclass

STATUSES = ("ok", "wrong", "inherits", "missing", "error")


@dataclass
class Row:
    """One graded gradient (see ``grading`` for what each status means)."""

    name: str
    shown: str
    status: str
    maxdiff: float = None
    exact: bool = False
    cause: str = None
    diagnosis: str = None
    line: int = None
    message: str = None
    hint: str = ""
    solution: str = ""
    inputs_ok: bool = True  # every gradient this one is built from is ok

    def asdict(self, hint=False, solution=False):
        maxdiff = self.maxdiff
        if maxdiff is not None and not math.isfinite(maxdiff):
            maxdiff = str(maxdiff)  # JSON has no nan or inf
        row = {"name": self.shown, "status": self.status, "maxdiff": maxdiff,
               "cause": self.cause, "diagnosis": self.diagnosis or self.message,
               "line": self.line}
        if hint:
            row["hint"] = self.hint
        if solution:
            row["solution"] = self.solution
        return row

    def note(self):
        """The last column: the cause of an inherited error, else the diagnosis."""
        if self.status == "inherits":
            return f"from {self.cause}" + (f"; {self.diagnosis}" if self.diagnosis else "")
        if self.status in ("error", "missing"):
            return self.message or ""
        if self.status == "ok":
            return "exact" if self.exact else ""
        return self.diagnosis or "no known pattern: compare with the hint"

    def __repr__(self):
        return f"Row({self.shown!r}, {self.status!r})"


class Report:
    """The grade of one submission: ``rows`` in backward order, ``ok`` when all are ok."""

    def __init__(self, exercise, rows, notes=(), fatal=None, references=(), hint=False,
                 solution=False, source=None):
        self.exercise = exercise
        self.rows = rows
        self.notes = list(notes)
        self.fatal = fatal
        self.references = list(references)
        self.hint = hint
        self.solution = solution
        self.source = source  # the file graded, for the heading

    @property
    def ok(self):
        return self.fatal is None and all(r.status == "ok" for r in self.rows)

    @property
    def exit_code(self):
        return 0 if self.ok else 1

    def counts(self):
        return {s: sum(r.status == s for r in self.rows) for s in STATUSES}

    def first_to_fix(self):
        """The first wrong (else error, else missing) row whose inputs are all right."""
        for wanted in ("wrong", "error", "missing"):
            for r in self.rows:
                if r.status == wanted and r.inputs_ok:
                    return r
        return next((r for r in self.rows if r.status != "ok"
                     and r.status != "inherits"), None)

    def row(self, name):
        """The row shown as ``name`` (``dcounts``) or named ``name`` (``counts``)."""
        for r in self.rows:
            if name in (r.shown, r.name):
                return r
        raise KeyError(name)

    def status(self):
        """{shown name: status}, handy in tests and notebooks."""
        return {r.shown: r.status for r in self.rows}

    def asdict(self):
        fix = self.first_to_fix()
        return {"exercise": self.exercise.name, "ok": self.ok, "fatal": self.fatal,
                "first_to_fix": fix.shown if fix else None, "references": self.references,
                "notes": self.notes,
                "rows": [r.asdict(self.hint, self.solution) for r in self.rows]}

    # -- text ------------------------------------------------------------------------

    def _summary(self):
        c = self.counts()
        parts = [f"{c[s]} {s}" for s in STATUSES if c[s]]
        return f"{', '.join(parts)} (of {len(self.rows)})"

    def _fix_lines(self, r):
        where = f" (line {r.line})" if r.line else ""
        verb = {"wrong": "is wrong", "error": "raised an error", "missing": "is missing"}
        out = [f"fix first: {r.shown}{where} {verb[r.status]}: {r.note()}"]
        if self.hint and r.hint:
            out.append(f"  hint: {r.hint}")
        if self.solution and r.solution:
            out.append("  solution:")
            out += [f"    {s}" for s in r.solution.splitlines()]
        return out

    def __str__(self):
        title = self.exercise.title + (f": {self.source}" if self.source else "")
        out = [title]
        if self.fatal:
            return "\n".join(out + [f"cannot grade: {self.fatal}"] + self.notes)
        fix = self.first_to_fix()
        if fix is not None:
            out += self._fix_lines(fix)
        width = max([len("gradient")] + [len(r.shown) for r in self.rows])
        out.append("")
        out.append(f"{'gradient':<{width}}  {'status':<8}  {'maxdiff':<9}  {'line':>4}  note")
        for r in self.rows:
            md = "" if r.maxdiff is None else f"{r.maxdiff:.2e}"
            line = "" if r.line is None else str(r.line)
            out.append(f"{r.shown:<{width}}  {r.status:<8}  {md:<9}  {line:>4}  {r.note()}")
        if self.solution:
            others = [r for r in self.rows if r.status not in ("ok", "inherits")
                      and r is not fix]
            for r in others:
                out.append(f"solution for {r.shown}:")
                out += [f"    {s}" for s in r.solution.splitlines()]
        if self.hint:
            for r in self.rows:
                if r.status == "wrong" and r is not fix and r.hint:
                    out.append(f"hint for {r.shown}: {r.hint}")
        out.append("")
        out.append(self._summary() + (" : all right!" if self.ok else ""))
        if self.references:
            out.append("reference: " + ", ".join(self.references))
        out += self.notes
        return "\n".join(out)

    def __repr__(self):
        return f"Report({self.exercise.name!r}, {self._summary()})"

    # -- HTML (Jupyter) --------------------------------------------------------------

    _COLOURS = {"ok": "#d4edda", "wrong": "#f8d7da", "inherits": "#fff3cd",
                "missing": "#e2e3e5", "error": "#f5c6cb"}

    def _repr_html_(self):
        e = html.escape
        parts = [f"<p><b>{e(self.exercise.title)}</b></p>"]
        if self.fatal:
            return "".join(parts) + f"<p>cannot grade: {e(self.fatal)}</p>"
        fix = self.first_to_fix()
        if fix is not None:
            parts.append("<p>" + "<br>".join(e(s) for s in self._fix_lines(fix)) + "</p>")
        parts.append("<table><tr><th>gradient</th><th>status</th><th>maxdiff</th>"
                     "<th>line</th><th>note</th></tr>")
        for r in self.rows:
            md = "" if r.maxdiff is None else f"{r.maxdiff:.2e}"
            parts.append(
                f'<tr style="background:{self._COLOURS[r.status]}"><td><code>{e(r.shown)}'
                f"</code></td><td>{r.status}</td><td>{md}</td><td>{r.line or ''}</td>"
                f"<td>{e(r.note())}</td></tr>")
        parts.append("</table>")
        parts.append(f"<p>{e(self._summary())}{' : all right!' if self.ok else ''}</p>")
        parts += [f"<p>{e(n)}</p>" for n in self.notes]
        return "".join(parts)
