"""Write docs/exercise1.ipynb: backprop ninja exercise 1, walked through with the grader.

Run ``python docs/make_exercise_notebook.py`` after editing a cell here; the notebook is
executed by ``tests/test_dojo_notebook.py``. The setup and forward cells are cut from the
exercise's own starter, so the notebook and ``ninjagrad exercise start ninja1`` agree.
"""

import sys
from pathlib import Path

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "src"))

from make_notebooks import code, md, write  # noqa: E402 - the shared notebook helpers

from ninjagrad.dojo import get_exercise  # noqa: E402
from ninjagrad.dojo.templates import NINJA1  # noqa: E402


def _starter_parts():
    """(setup, forward) code of the ninja1 starter, without its blanks and comments."""
    setup, rest = NINJA1.split("# The forward pass, cut into small steps.")
    forward = rest.split("# The backward pass")[0]
    return setup.strip(), "# The forward pass, cut into small steps.\n" + forward.strip()


def _solutions(*names):
    ex = get_exercise("ninja1")
    return "\n".join(ex.line(name).solution for name in names)


SETUP, FORWARD = _starter_parts()
REST = ("norm_logits", "logit_maxes", "logits", "h", "W2", "b2", "hpreact", "bngain",
        "bnbias", "bnraw", "bnvar_inv", "bnvar", "bndiff2", "bndiff", "bnmeani", "hprebn",
        "embcat", "W1", "b1", "emb", "C")

EXERCISE1 = [
    md("""
# Backprop ninja, exercise 1, with a grader

The lecture's exercise 1: backpropagate by hand through every step of the forward pass,
one line per intermediate. Normally you check each line with `cmp`, a column of
True/False. Here ninjagrad grades the lines instead: it says which line to fix first,
which wrong gradients are only consequences of it (`inherits`), and what kind of
mistake it is.

The same exercise is a file on the command line: `ninjagrad exercise start ninja1`
writes it, `ninjagrad exercise check ninja1.py` grades it (see the end).
"""),
    md("""
## The batch and the forward pass

The grader's batch and parameters (float64, the same every run), then the forward pass
cut into the lecture's small steps. This is the starter's own code.
"""),
    code(SETUP),
    code(FORWARD),
    md("""
## Grading nothing yet

`grade("ninja1", globals())` looks for your gradients among the notebook's variables,
by the lecture's names (`dlogprobs`, `dprobs`, ...). None exist yet: all `missing`.
"""),
    code("""
from ninjagrad.dojo import grade

report = grade("ninja1", globals())
assert set(report.status().values()) == {"missing"}
report
"""),
    md("""
## The first lines

The loss is minus the mean of `logprobs` at the targets, so only those `n` entries get a
gradient, `-1/n` each. Then the chain rule, one step at a time.
"""),
    code(_solutions("logprobs", "probs", "counts_sum_inv", "counts_sum") + """

report = grade("ninja1", globals())
assert [report.status()[v] for v in ("dlogprobs", "dprobs", "dcounts_sum_inv")] == ["ok"] * 3
report
"""),
    md("""
## A classic mistake

`counts` feeds two later steps: `probs = counts * counts_sum_inv` and
`counts_sum = counts.sum(1)`. Here is the line that takes only the first into account,
followed by two lines that are right *given* `dcounts`:
"""),
    code("""
dcounts = counts_sum_inv * dprobs
dnorm_logits = counts * dcounts
dlogit_maxes = -dnorm_logits.sum(1, keepdim=True)

report = grade("ninja1", globals(), hint=True)
assert report.row("dcounts").status == "wrong"
assert report.row("dnorm_logits").status == "inherits"
report
"""),
    md("""
The grader recognised the numbers: `dcounts` is exactly the contribution through
`probs`, so the one through `counts_sum` is missing. The two lines after it are marked
`inherits`, not `wrong`: fed the right `dcounts`, they give the right answer. Printed,
the report is the same table as text:
"""),
    code("""
print(report)
"""),
    md("""
## The fix: add the other contribution

A variable used twice gets the sum of both contributions (`+=`, not `=`); the lines
after it have to be run again.
"""),
    code("""
dcounts += ng.ones_like(counts) * dcounts_sum
dnorm_logits = counts * dcounts
dlogit_maxes = -dnorm_logits.sum(1, keepdim=True)

report = grade("ninja1", globals())
assert report.row("dcounts").status == "ok" and report.row("dlogit_maxes").status == "ok"
report.first_to_fix()
"""),
    md("""
## The rest of the backward pass

One answer for every remaining line (try them yourself first: the grader tells you
which one to look at). `dC` is the lecture's loop; the `dC` exercise asks for it
without one.
"""),
    code(_solutions(*REST) + """

report = grade("ninja1", globals())
assert report.ok, report
report
"""),
    md("""
## The same from the command line

```bash
ninjagrad exercise start ninja1           # writes ninja1.py: the forward, and 26 blanks
ninjagrad exercise check ninja1.py        # the table; exit status 0 when all are ok
ninjagrad exercise check ninja1.py --hint --solution
ninjagrad exercise check ninja1.py --json # {name, status, maxdiff, cause, diagnosis}
```

`check` runs the file in a separate process with a time limit, runs each backward line
on its own (a line that raises does not hide the others), and re-runs each line from the
correct upstream gradients to decide between `wrong` and `inherits`. See
[exercises.md](exercises.md).
"""),
]

NOTEBOOKS = {"exercise1.ipynb": EXERCISE1}

if __name__ == "__main__":
    for name, cells in NOTEBOOKS.items():
        print(write(name, cells))
