"""Starter files: render an exercise's template with blanks (or solutions), and write it as
a Python file or a notebook, atomically and never over an existing file unless asked."""

import json
import os
import re

from ninjagrad.dojo.catalog import get_exercise
from ninjagrad.dojo.templates import _CHECK, _HEADER, INTROS, TEMPLATES
from ninjagrad.errors import NinjagradError
from ninjagrad.files import write_atomically

_MARKER = re.compile(r"^(?P<indent>[ ]*)@@(?P<key>\w+)@@$", re.MULTILINE)
EXERCISE_TAG = re.compile(r"^# ninjagrad exercise: (?P<name>\S+)\s*$", re.MULTILINE)


def render(name, filled=False, file=None, replace=None):
    """The starter's source for exercise ``name``: blanks, or (``filled``) the reference
    solutions in their place (what the tests grade all ``ok``); ``replace`` maps blank
    keys to other code (a deliberately wrong answer, in the tests and the docs)."""
    exercise = get_exercise(name)
    file = file or default_filename(name)
    replace = replace or {}
    unknown = set(replace) - set(exercise.blanks)
    if unknown:
        raise KeyError(f"{name} has no blank {sorted(unknown)}")

    def fill(m):
        key, indent = m.group("key"), m.group("indent")
        text = exercise.solutions[key] if filled else exercise.blanks[key]
        text = replace.get(key, text)
        return "\n".join(indent + s if s else s for s in text.splitlines())

    body = _MARKER.sub(fill, TEMPLATES[exercise.name])
    head = _HEADER.format(title=exercise.title, intro=INTROS[exercise.name],
                          check=_CHECK.format(file=file), name=exercise.name)
    return head + body


def default_filename(name, notebook=False):
    return f"{name}.ipynb" if notebook else f"{name}.py"


def notebook_cells(source):
    """(markdown, [code cells]) of a starter: the docstring becomes the markdown, and the
    code is cut where a top-level comment, def or class starts after a blank line."""
    doc_end = source.index('"""', 3) + 3
    markdown = source[3:doc_end - 3].strip()
    code = source[doc_end:].strip("\n")
    cells, current = [], []
    lines = code.splitlines()
    for i, line in enumerate(lines):
        starts_block = (i > 0 and not lines[i - 1].strip() and line[:1] not in (" ", "")
                        and (line.startswith(("#", "def ", "class ", "if __name__",
                                              "losses = "))))
        if starts_block and any(s.strip() for s in current):
            cells.append("\n".join(current).strip("\n"))
            current = []
        current.append(line)
    if any(s.strip() for s in current):
        cells.append("\n".join(current).strip("\n"))
    return markdown, cells


def render_notebook(name, filled=False, file=None):
    """The starter as a notebook (nbformat 4 JSON), ending with a cell that grades it."""
    exercise = get_exercise(name)
    source = render(name, filled, file or default_filename(name, notebook=True))
    markdown, cells = notebook_cells(source)
    grade_cell = ("from ninjagrad.dojo import grade\n\n"
                  f"grade({exercise.name!r}, globals())  # hint=True, solution=True for more")
    nb_cells = [{"cell_type": "markdown", "id": "cell-0", "metadata": {}, "source": markdown}]
    for i, text in enumerate([*cells, grade_cell], start=1):
        nb_cells.append({"cell_type": "code", "execution_count": None, "id": f"cell-{i}",
                         "metadata": {}, "outputs": [], "source": text})
    notebook = {"cells": nb_cells, "metadata": {
        "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
        "language_info": {"name": "python"}}, "nbformat": 4, "nbformat_minor": 5}
    return json.dumps(notebook, indent=1) + "\n"


def write_atomic(path, text, force=False):
    """Write ``text`` to ``path`` through a temporary file in the same directory, so a
    reader never sees half a file; refuse to replace an existing file unless ``force``."""
    path = os.fspath(path)
    if os.path.isdir(path):
        raise NinjagradError(f"{path}: is a directory; name a file with -o")
    if os.path.exists(path) and not force:
        raise NinjagradError(f"{path}: already exists; pass --force to replace it "
                             "(your answers in it would be lost)")
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise NinjagradError(f"{folder}: no such directory")
    write_atomically(path, lambda f: f.write(text.encode("utf-8")), "starter")
    return path


def start(name, path=None, notebook=False, force=False):
    """Write exercise ``name``'s starter to ``path`` (default ``NAME.py`` or
    ``NAME.ipynb``); returns the path written."""
    exercise = get_exercise(name)
    if path is None:
        path = default_filename(exercise.name, notebook)
    notebook = notebook or os.fspath(path).endswith(".ipynb")
    file = os.path.basename(os.fspath(path))
    text = render_notebook(exercise.name, file=file) if notebook else render(
        exercise.name, file=file)
    return write_atomic(path, text, force)


def exercise_of(source):
    """The exercise named by the starter's ``# ninjagrad exercise: NAME`` line, or None."""
    m = EXERCISE_TAG.search(source)
    return m.group("name") if m else None
