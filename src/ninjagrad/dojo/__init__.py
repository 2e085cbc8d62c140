"""Exercises that ninjagrad grades: write a backward pass, and the grader points at the
first wrong gradient and says why.

``exercises`` (what an exercise is), ``micrograd`` and ``ninja`` (the exercises),
``micrograd_checks`` and ``ninja_checks`` (what the grader knows of each), ``catalog``
(all of them by name), ``templates`` and ``starters`` (the starter files), ``data`` (the
numbers and the reference gradients), ``collect`` and ``submission`` (running the
learner's lines), ``child`` and ``runner`` (the separate process), ``grading``,
``diagnosis`` and ``report`` (statuses, mistake classes, the table).

From Python or Jupyter::

    from ninjagrad.dojo import grade
    grade("ninja1", globals())        # prints as a table, renders as HTML
"""

from ninjagrad.dojo.catalog import all_exercises, get_exercise  # noqa: F401


def grade(exercise, answers, *, hint=False, solution=False, use_torch=False):
    """Grade the learner's gradients: ``answers`` is a dict of them by the lecture's names
    (``{"dlogprobs": ..., ...}``), or a notebook's ``globals()``; for ``micrograd`` the
    ``Value`` class (or the namespace holding it). Returns a Report that prints as the
    table and renders as an HTML table in Jupyter."""
    from ninjagrad.dojo.grading import grade_collected
    from ninjagrad.dojo.submission import collect_namespace

    ex = get_exercise(exercise)
    collected = collect_namespace(ex, answers)
    return grade_collected(ex, collected, use_torch=use_torch, hint=hint, solution=solution)


def check_file(path, exercise=None, **options):
    """Grade a starter file (``.py`` or ``.ipynb``) in a separate process; see
    ``ninjagrad.dojo.runner.check_file``."""
    from ninjagrad.dojo.runner import check_file as run

    return run(path, exercise, **options)


def start(name, path=None, notebook=False, force=False):
    """Write exercise ``name``'s starter file; returns its path."""
    from ninjagrad.dojo.starters import start as write

    return write(name, path, notebook, force)
