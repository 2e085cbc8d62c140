"""A fuzzing run: many programs per category, counted by outcome, failures shrunk.

Program ``i`` of category ``c`` in a run with seed ``s`` comes from
``numpy.random.default_rng([s, CATEGORIES.index(c), i])``, so any single program can be
made again from the three numbers printed with it.
"""

import time
from dataclasses import dataclass, field

import numpy as np

from ninjagrad.check.fuzz.features import CATEGORIES
from ninjagrad.check.fuzz.run import check_program
from ninjagrad.check.fuzz.shrink import shrink
from ninjagrad.check.fuzz.tensor_programs import TensorGenerator
from ninjagrad.check.fuzz.value_programs import ValueGenerator

OUTCOMES = ("pass", "both-raised", "refused", "rounding", "mismatch")


def generate(category, rng, features, origin=""):
    """One random program of ``category`` ('tensor', 'inplace', 'function' or 'value')."""
    if category == "value":
        return ValueGenerator(rng, features, origin).program()
    return TensorGenerator(category, rng, features, origin).program()


def program_for(category, seed, index, features):
    rng = np.random.default_rng([seed, CATEGORIES.index(category), index])
    return generate(category, rng, features, origin=f"seed {seed}, program {index}")


@dataclass
class Failure:
    """A mismatch: the program as generated, its outcome, and the shrunk repro."""

    program: object
    outcome: object
    shrunk: object = None
    shrunk_outcome: object = None

    def script(self):
        program = self.shrunk or self.program
        outcome = self.shrunk_outcome or self.outcome
        return program.script(note=str(outcome))

    def asdict(self):
        program = self.shrunk or self.program
        outcome = self.shrunk_outcome or self.outcome
        return {"category": program.category, "origin": program.origin,
                "what": outcome.what, "detail": str(outcome),
                "original_statements": len(self.program), "statements": len(program),
                "program": program.text(), "script": self.script()}

    def __repr__(self):
        return f"Failure({self.program.origin!r}, {self.outcome})"


@dataclass
class Report:
    """Counts per category and outcome, the refusals seen, and the failures."""

    seed: int
    features: frozenset
    counts: dict = field(default_factory=dict)  # category -> outcome -> count
    refusals: dict = field(default_factory=dict)  # message -> count
    failures: list = field(default_factory=list)
    seconds: float = 0.0
    stopped_early: bool = False

    @property
    def mismatches(self):
        return sum(c.get("mismatch", 0) for c in self.counts.values())

    @property
    def programs(self):
        return sum(sum(c.values()) for c in self.counts.values())

    def asdict(self):
        return {"seed": self.seed, "seconds": round(self.seconds, 2),
                "programs": self.programs, "mismatches": self.mismatches,
                "stopped_early": self.stopped_early, "counts": self.counts,
                "refusals": self.refusals, "features": sorted(self.features),
                "failures": [f.asdict() for f in self.failures]}

    def __repr__(self):
        return (f"Report(seed={self.seed}, programs={self.programs}, "
                f"mismatches={self.mismatches})")


def fuzz(categories, programs, seed, features, *, time_limit=None, shrink_failures=True,
         max_shrunk=3, start=0, progress=None):
    """Run ``programs`` programs of each category (or until ``time_limit`` seconds).

    Every mismatch is recorded; the first ``max_shrunk`` of each kind (category and
    ``Outcome.what``) are shrunk. ``progress(report, category, i)`` is called after each
    program.
    """
    report = Report(seed, frozenset(features))
    began = time.perf_counter()
    shrunk_kinds = {}
    deadline = None if time_limit is None else began + time_limit
    for n, category in enumerate(categories):
        counts = report.counts.setdefault(category, dict.fromkeys(OUTCOMES, 0))
        # an even share of the time left: what a fast category leaves, the next ones get
        category_deadline = None if deadline is None else time.perf_counter() + (
            deadline - time.perf_counter()) / (len(categories) - n)
        for i in range(start, start + programs):
            if category_deadline is not None and time.perf_counter() > category_deadline:
                report.stopped_early = True
                break
            program = program_for(category, seed, i, features)
            outcome = check_program(program)
            counts[outcome.kind] += 1
            if outcome.kind == "refused":
                report.refusals[outcome.detail] = report.refusals.get(outcome.detail, 0) + 1
            elif outcome.kind == "mismatch":
                failure = Failure(program, outcome)
                kind = (category, outcome.what)
                if shrink_failures and shrunk_kinds.get(kind, 0) < max_shrunk:
                    shrunk_kinds[kind] = shrunk_kinds.get(kind, 0) + 1
                    failure.shrunk, failure.shrunk_outcome = shrink(program, outcome)
                report.failures.append(failure)
            if progress is not None:
                progress(report, category, i)
    report.seconds = time.perf_counter() - began
    return report


def summary(report):
    """The report as text: counts per category and outcome, refusals, failures."""
    lines = [f"{'category':10s} " + " ".join(f"{o:>11s}" for o in OUTCOMES)]
    for category, counts in report.counts.items():
        lines.append(f"{category:10s} " + " ".join(f"{counts[o]:11d}" for o in OUTCOMES))
    lines.append(f"{report.programs} programs in {report.seconds:.1f} s, seed {report.seed}"
                 + (" (stopped at the time limit)" if report.stopped_early else ""))
    if report.refusals:
        lines.append("\nninjagrad refused (PyTorch ran these):")
        for message, count in sorted(report.refusals.items(), key=lambda kv: -kv[1]):
            lines.append(f"  {count:5d} x {message}")
    if report.failures:
        kinds = {}
        for f in report.failures:
            kinds.setdefault((f.program.category, f.outcome.what), []).append(f)
        lines.append(f"\n{report.mismatches} MISMATCHES:")
        for (category, what), failures in kinds.items():
            lines.append(f"  {len(failures):5d} x {category}: {what}")
        for f in report.failures:
            if f.shrunk is not None:
                lines.append(f"\n--- {f.program.category} {f.program.origin}: "
                             f"{len(f.program)} statements shrunk to {len(f.shrunk)}")
                lines.append(f.script())
    return "\n".join(lines)
