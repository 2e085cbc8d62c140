"""Differential fuzzing: random programs run on ninjagrad and PyTorch in lockstep.

- ``generate``: random programs as text (tensor DAGs, in-place updates and views, custom
  ``Function``s, ``Value`` expressions), each statement checked on PyTorch as it is written;
- ``run``: both libraries run a program statement by statement, every variable compared;
- ``shrink``: a failing program made minimal, printed as a standalone script;
- ``session``: many programs, counted by outcome (``ninjagrad fuzz`` and the tests use it);
- ``features``: the generator's switches and ``KNOWN_GAPS``, the features left out because
  they still find engine bugs.

See docs/fuzzing.md.
"""

from ninjagrad.check.fuzz.features import (  # noqa: F401 - re-exported
    CATEGORIES,
    FEATURES,
    KNOWN_GAPS,
    enabled_features,
)
from ninjagrad.check.fuzz.program import Leaf, Program, Statement  # noqa: F401
from ninjagrad.check.fuzz.run import Outcome, check_program, run_program  # noqa: F401
from ninjagrad.check.fuzz.session import fuzz, program_for, summary  # noqa: F401
from ninjagrad.check.fuzz.shrink import shrink  # noqa: F401
