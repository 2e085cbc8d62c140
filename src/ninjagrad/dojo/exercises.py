"""What an exercise is: its gradient lines, in backward order, and the registry of them all.

An exercise is a list of ``Line``s: each is one gradient the learner writes (``dcounts``),
the earlier gradients it is computed from (its inputs, which decide ``inherits``), the
local derivative in words (``--hint``) and the reference code (``--solution``). The
exercises themselves are defined in ``ninja`` (the backprop-ninja lecture) and
``micrograd`` (the scalar engine) and listed in ``catalog``; this module only holds their
common shape.
"""

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Line:
    """One graded gradient.

    ``name`` is the row's name (the forward variable, ``counts``, or an operator, ``*``);
    ``var`` what the learner's code assigns (``dcounts``); ``deps`` the rows whose
    gradients this one is computed from; ``blanks`` the starter's blanks that make it
    (by default just ``var``); ``solution`` the reference code; ``hint`` the local
    derivative in words.
    """

    name: str
    var: str
    deps: tuple = ()
    hint: str = ""
    solution: str = ""
    blanks: tuple = ()
    label: str = ""  # how the row is shown; ``var`` by default
    no_loop: bool = False  # the exercise is to write it without a Python loop

    @property
    def shown(self):
        return self.label or self.var

    @property
    def blank_keys(self):
        return self.blanks or (self.var,)

    def __repr__(self):
        return f"Line({self.name!r}, deps={self.deps})"


@dataclass(frozen=True)
class Exercise:
    """A graded exercise: ``kind`` says how the learner's answers are collected
    ("lines": top-level ``dX = ...`` lines; "training": a ``backward`` function and a
    training run; "micrograd": a ``Value`` class)."""

    name: str
    title: str
    summary: str
    kind: str
    lines: tuple
    solutions: dict = field(default_factory=dict)  # blank key -> reference code
    blanks: dict = field(default_factory=dict)  # blank key -> the starter's blank line

    def line(self, name):
        for line in self.lines:
            if line.name == name:
                return line
        raise KeyError(name)

    @property
    def names(self):
        return [line.name for line in self.lines]

    def __repr__(self):
        return f"Exercise({self.name!r}, {len(self.lines)} lines)"
