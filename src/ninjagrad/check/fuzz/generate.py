"""Random programs, one statement at a time, each checked on PyTorch as it is written.

The generator proposes a statement from what it knows of the live variables (their shapes,
dtypes, values and aliasing, read from a PyTorch run of the program so far), runs it on
PyTorch and keeps it if PyTorch accepts it. A statement PyTorch rejects is kept now and
then as the program's last (both libraries must then raise); otherwise it is dropped. So
every program is valid PyTorch up to its last statement, and the generator needs no shape
rules of its own.

A program is a DAG: operands are drawn from every live variable (recent ones more often),
so intermediates are reused; it ends with ``loss.backward()`` over a few float results,
each weighted by a random upstream gradient.
"""

import warnings

import numpy as np

from ninjagrad.check.fuzz.program import Program

SCALARS = (2, -1.5, 0.5, 3.0, -2)  # numbers in programs (exact in float32)
MAX_ATTEMPTS = 60  # proposals per program before it ends early
INVALID_RATE = 0.04  # how often a statement PyTorch rejects ends the program
REFUSAL_RATE = 0.4  # the same for statements made to see PyTorch refuse them


def torch_namespace():
    """The names a program sees when it runs on PyTorch."""
    from ninjagrad.check.fuzz.run import namespace

    return namespace("torch")


class _Generator:
    """What both generators share: the program, a PyTorch run of it, fresh names."""

    def __init__(self, category, rng, features, origin):
        self.rng = rng
        self.features = features
        self.prog = Program(category, [], origin)
        self.ns = torch_namespace()
        self.count = 0
        self.ended = False

    def __repr__(self):
        return f"{type(self).__name__}({self.prog.category!r}, {len(self.prog)} statements)"

    def has(self, feature):
        return feature in self.features

    def chance(self, p):
        return self.rng.random() < p

    def choice(self, seq):
        return seq[int(self.rng.integers(len(seq)))]

    def fresh(self, prefix="t"):
        self.count += 1
        return f"{prefix}{self.count}"

    def run(self, statements, refusal=False):
        """Run statements on PyTorch; keep them if it accepts them (True), else maybe keep
        them as the program's last statements (the error must then match). ``refusal``:
        the statement is there to see PyTorch refuse it (keep it more often)."""
        snapshot = dict(self.ns)
        try:
            with warnings.catch_warnings(), np.errstate(all="ignore"):
                warnings.simplefilter("ignore")
                for s in statements:
                    exec(s.text, self.ns)  # noqa: S102 - the fuzzer runs its own programs
        except Exception:
            if self.chance(REFUSAL_RATE if refusal else INVALID_RATE):
                self.prog.statements.extend(statements)
                self.ended = True
            else:
                self.ns.clear()
                self.ns.update(snapshot)
            return False
        self.prog.statements.extend(statements)
        return True
