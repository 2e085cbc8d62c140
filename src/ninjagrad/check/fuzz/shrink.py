"""Make a failing program as small as it gets while it fails the same way.

Greedy passes, repeated until none helps (or the budget of program runs is spent):
statements after the failing one go; chunks of statements are dropped (halves, quarters,
... single ones); an op's result is replaced by a leaf holding its value (cutting the
graph above it); leaves get fewer elements, simpler numbers and no ``requires_grad``;
statements get simpler (terms of the loss, ``keepdim``, ``no_grad`` blocks). A candidate is
kept only if it fails with the same ``Outcome.key`` (e.g. a wrong gradient stays a wrong
gradient, it may not turn into a both-raise).
"""

import dataclasses
import re
import warnings

import numpy as np

from ninjagrad.check.fuzz.program import Leaf, Statement
from ninjagrad.check.fuzz.run import check_program, namespace

SIMPLE_VALUES = (1.0, 2.0, -1.0, 0.5)


class _Shrinker:
    def __init__(self, program, outcome, check, budget):
        self.best = program
        self.key = outcome.key
        self.check = check
        self.budget = budget
        self.outcome = outcome
        self.at_leaf = self.failed_at_leaf(program, outcome)

    @staticmethod
    def failed_at_leaf(program, outcome):
        return 0 <= outcome.statement < len(program) and isinstance(
            program.statements[outcome.statement], Leaf)

    def fails(self, candidate):
        """Run a candidate; keep it as the best if it fails the same way: the same kind
        of difference, at a leaf only if the original failed at one, and with only
        finite numbers if the original had only those (so that shrinking does not slip
        into another bug, like a log(0) that the original program never computed)."""
        if self.budget <= 0 or not candidate.statements:
            return False
        self.budget -= 1
        outcome = self.check(candidate)
        if outcome.key != self.key or (self.outcome.finite and not outcome.finite) or \
                self.failed_at_leaf(candidate, outcome) != self.at_leaf:
            return False
        self.best, self.outcome = candidate, outcome
        return True

    def shrink(self):
        if self.outcome.statement >= 0:
            self.fails(self.best.replace(self.best.statements[: self.outcome.statement + 1]))
        progress = True
        while progress and self.budget > 0:
            size = len(self.best)
            text = self.best.text()
            self.drop_chunks()
            self.bypass_ops()
            self.leaves_for_ops()
            self.simpler_statements()
            self.smaller_leaves()
            progress = len(self.best) < size or self.best.text() != text
        return self.best, self.outcome

    def drop_chunks(self):
        chunk = max(1, len(self.best) // 2)
        while chunk >= 1:
            i = 0
            while i < len(self.best):
                statements = self.best.statements
                if not self.fails(self.best.replace(statements[:i] + statements[i + chunk:])):
                    i += chunk
            chunk //= 2

    def bypass_ops(self):
        """Drop ``name = op(x, ...)`` and let later statements use ``x`` instead."""
        i = len(self.best) - 1
        while i >= 0:
            statement = self.best.statements[i]
            name = _assigned_name(statement)
            if name is not None:
                defined = {_defined(s) for s in self.best.statements[:i]} - {None}
                expression = statement.text.split(" = ", 1)[1]
                for operand in dict.fromkeys(re.findall(r"\b[A-Za-z_]\w*\b", expression)):
                    if operand not in defined:
                        continue
                    pattern = re.compile(rf"\b{name}\b")
                    later = [dataclasses.replace(s, text=pattern.sub(operand, s.text))
                             if isinstance(s, Statement) else s
                             for s in self.best.statements[i + 1:]]
                    if self.fails(self.best.replace(self.best.statements[:i] + later)):
                        break
            i = min(i, len(self.best)) - 1

    def leaves_for_ops(self):
        """Replace ``name = op(...)`` by a leaf with the value PyTorch computed."""
        i = len(self.best) - 1
        while i >= 0:
            statement = self.best.statements[i]
            if isinstance(statement, Statement) and len(statement.defines) == 1 \
                    and statement.text.startswith(statement.defines[0] + " = "):
                leaf = _leaf_for(self.best, i)
                if leaf is not None:
                    statements = list(self.best.statements)
                    statements[i] = leaf
                    self.fails(self.best.replace(statements))
            i = min(i, len(self.best)) - 1

    def simpler_statements(self):
        for i in range(len(self.best) - 1, -1, -1):
            if i >= len(self.best):
                continue
            statement = self.best.statements[i]
            if not isinstance(statement, Statement):
                continue
            for text in _simpler_texts(statement.text):
                statements = list(self.best.statements)
                statements[i] = dataclasses.replace(statement, text=text)
                if self.fails(self.best.replace(statements)):
                    break

    def smaller_leaves(self):
        for i in range(len(self.best)):
            for variant in _simpler_leaves(self.best.statements[i]):
                statements = list(self.best.statements)
                statements[i] = variant
                if self.fails(self.best.replace(statements)):
                    break


def shrink(program, outcome=None, check=check_program, budget=300):
    """The smallest program found that fails like ``program``: ``(program, outcome)``."""
    outcome = outcome or check(program)
    if outcome.ok:
        return program, outcome
    return _Shrinker(program, outcome, check, budget).shrink()


def _assigned_name(statement):
    if isinstance(statement, Statement) and len(statement.defines) == 1 \
            and statement.text.startswith(statement.defines[0] + " = "):
        return statement.defines[0]
    return None


def _defined(statement):
    return statement.name if isinstance(statement, Leaf) else _assigned_name(statement)


def _leaf_for(program, index):
    """A Leaf with the PyTorch value that statement ``index`` binds, or None."""
    ns = namespace("torch")
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            for s in program.statements[: index + 1]:
                exec(s.text, ns)  # noqa: S102 - the fuzzer runs its own programs
    except Exception:  # noqa: BLE001 - then there is no value to use
        return None
    name = program.statements[index].defines[0]
    value = ns.get(name)
    if not hasattr(value, "untyped_storage"):
        return None
    dtype = str(value.dtype)[6:]
    if program.category == "value":
        return Leaf(name, value.detach().double().numpy().copy(), "value", True)
    if dtype not in ("float32", "float64", "int64"):
        return None
    data = value.detach().numpy().astype(np.int64 if dtype == "int64" else np.float64)
    return Leaf(name, data, dtype, bool(value.requires_grad))


def _simpler_texts(text):
    """Candidate simplifications of one statement's text."""
    if text.startswith("with T.no_grad():\n"):
        body = [line[4:] for line in text.splitlines()[1:]]
        if len(body) > 1:
            for j in range(len(body)):
                rest = body[:j] + body[j + 1:]
                yield "with T.no_grad():\n" + "\n".join("    " + b for b in rest)
        yield "\n".join(body)
    match = re.match(r"(\w+ = )(.*)$", text, re.S)
    if match and " + " in match.group(2) and "\n" not in text:
        terms = match.group(2).split(" + ")
        if len(terms) > 1 and all(t.count("(") == t.count(")") for t in terms):
            for j in range(len(terms)):
                yield match.group(1) + " + ".join(terms[:j] + terms[j + 1:])
    for pattern, repl in ((r"\((\w+) \* g\d+\)\.sum\(\)", r"\1.sum()"),
                          (r", keepdim=True", "")):
        simpler = re.sub(pattern, repl, text, count=1)
        if simpler != text:
            yield simpler


def _simpler_leaves(statement):
    """Leaves with fewer elements, simpler numbers, or no requires_grad."""
    if not isinstance(statement, Leaf):
        return
    data = statement.data
    for axis, n in enumerate(data.shape):
        if n > 1:
            yield dataclasses.replace(statement, data=np.take(data, [0], axis=axis))
            yield dataclasses.replace(statement, data=np.take(data, range(n - 1), axis=axis))
    if statement.requires_grad and statement.dtype != "value":
        yield dataclasses.replace(statement, requires_grad=False)
    if statement.dtype == "int64":
        if np.any(np.abs(data) > 1):
            yield dataclasses.replace(statement, data=np.sign(data))
        return
    finite = np.isfinite(data)
    rounded = np.where(finite, np.round(data), data)
    if not np.array_equal(rounded, data, equal_nan=True):
        yield dataclasses.replace(statement, data=rounded)
    for value in SIMPLE_VALUES:
        simple = np.where(finite, value, data)
        if not np.array_equal(simple, data, equal_nan=True):
            yield dataclasses.replace(statement, data=simple)
