"""``check_file``: grade a learner's file (or notebook) in a separate process.

The file is checked here first (exists, text, Python: a syntax error is shown with its
line), then run by ``python -m ninjagrad.dojo.child`` under a time limit, so an endless
loop, a crash or ``exit()`` in the learner's code cannot take the grader with it. The
answers come back as JSON and an ``.npz`` read without pickle.
"""

import ast
import json
import os
import subprocess
import sys
import tempfile

import numpy as np

import ninjagrad
from ninjagrad.dojo.catalog import get_exercise
from ninjagrad.dojo.collect import Answer, Collected
from ninjagrad.dojo.grading import grade_collected
from ninjagrad.dojo.starters import exercise_of
from ninjagrad.errors import NinjagradError
from ninjagrad.files import read_bytes

DEFAULT_TIMEOUT = 60.0


def _read_text(path):
    raw = read_bytes(path, "a Python file")
    if b"\x00" in raw:
        raise NinjagradError(f"{path}: a binary file, not a Python file")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise NinjagradError(f"{path}, line {line}: not UTF-8 text, not a Python file") from None
    if not text.strip():
        raise NinjagradError(f"{path}: the file is empty")
    return text


def notebook_source(path, text):
    """(source, cell_lines) of a notebook's code cells; ``cell_lines[i]`` is (cell,
    line in cell) of the source's line i + 1. Shell and magic lines become ``pass``, and
    the cell that calls ``grade(...)`` is left out (the grader does that part)."""
    try:
        notebook = json.loads(text)
        cells = notebook["cells"]
    except (ValueError, KeyError, TypeError):
        raise NinjagradError(f"{path}: not a Jupyter notebook (no cells in its JSON)") from None
    lines, where = [], []
    for number, cell in enumerate(cells, start=1):
        if cell.get("cell_type") != "code":
            continue
        src = cell.get("source", "")
        src = "".join(src) if isinstance(src, list) else src
        if "from ninjagrad.dojo import grade" in src:
            continue
        for k, line in enumerate(src.splitlines(), start=1):
            stripped = line.lstrip()
            if stripped.startswith(("%", "!")):
                line = line[: len(line) - len(stripped)] + "pass  # " + stripped
            lines.append(line)
            where.append((number, k))
        lines.append("")
        where.append((number, len(src.splitlines()) + 1))
    return "\n".join(lines) + "\n", where


def read_submission(path):
    """(source, cell_lines or None) of a Python file or notebook; NinjagradError naming
    the problem (missing, binary, not Python, a syntax error with its line)."""
    path = os.fspath(path)
    text = _read_text(path)
    where = None
    if path.endswith(".ipynb"):
        text, where = notebook_source(path, text)
    try:
        ast.parse(text, path)
    except SyntaxError as exc:
        line = exc.lineno or 0
        place = f"line {line}"
        if where and 0 < line <= len(where):
            place = "cell {}, line {}".format(*where[line - 1])
        shown = (exc.text or "").rstrip("\n")
        caret = " " * max((exc.offset or 1) - 1, 0) + "^"
        detail = f"\n    {shown}\n    {caret}" if shown.strip() else ""
        raise NinjagradError(f"{path}, {place}: syntax error: {exc.msg} (is this a Python "
                             f"file?){detail}") from None
    return text, where


def _package_root():
    return os.path.dirname(os.path.dirname(os.path.abspath(ninjagrad.__file__)))


def _run_child(exercise, file, cwd, timeout, shown_path):
    with tempfile.TemporaryDirectory(prefix="ninjagrad-check-") as outdir:
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(
            p for p in (_package_root(), env.get("PYTHONPATH")) if p)
        env.setdefault("MPLBACKEND", "Agg")
        cmd = [sys.executable, "-m", "ninjagrad.dojo.child", exercise.name, file, outdir]
        try:
            proc = subprocess.run(cmd, cwd=cwd, env=env, stdin=subprocess.DEVNULL,
                                  capture_output=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            raise NinjagradError(
                f"{shown_path}: did not finish within the time limit of {timeout:g} s (an "
                "endless loop?); raise the limit with --timeout SECONDS") from None
        result = os.path.join(outdir, "answers.json")
        if proc.returncode != 0 or not os.path.exists(result):
            tail = proc.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or [""]
            raise NinjagradError(
                f"{shown_path}: the grader's process ended with exit status "
                f"{proc.returncode} before it finished (the file ended it?) {tail[0]}".rstrip())
        with open(result, encoding="utf-8") as f:
            answers = json.load(f)
        with np.load(os.path.join(outdir, "arrays.npz"), allow_pickle=False) as arrays:
            arrays = {k: arrays[k] for k in arrays.files}
    collected = Collected(notes=answers["notes"], fatal=answers["fatal"])
    for row in answers["answers"]:
        a = Answer(row["state"], line=row["line"], message=row["message"],
                   recompute_error=row["recompute_error"], note=row["note"])
        a.value = arrays[row["value"]] if row["value"] else None
        a.recomputed = arrays[row["recomputed"]] if row["recomputed"] else None
        collected.answers[row["name"]] = a
    return collected


def check_file(path, exercise=None, *, timeout=DEFAULT_TIMEOUT, use_torch=True, hint=False,
               solution=False):
    """Grade the learner's file (``.py`` or ``.ipynb``); returns a ``Report``.

    ``exercise`` defaults to the file's ``# ninjagrad exercise: NAME`` line. Bad input
    (a missing or binary file, a syntax error, an endless loop) raises NinjagradError.
    """
    path = os.fspath(path)
    if not timeout or timeout <= 0:
        raise NinjagradError(f"the time limit must be positive, got {timeout}")
    source, where = read_submission(path)
    name = exercise or exercise_of(source)
    if name is None:
        raise NinjagradError(f"{path}: which exercise is it? It has no '# ninjagrad exercise: "
                             "NAME' line; pass --exercise NAME")
    ex = get_exercise(name)
    cwd = os.path.dirname(os.path.abspath(path))
    if where is None:
        collected = _run_child(ex, os.path.abspath(path), cwd, timeout, path)
    else:
        with tempfile.TemporaryDirectory(prefix="ninjagrad-nb-") as tmp:
            script = os.path.join(tmp, "notebook.py")
            with open(script, "w", encoding="utf-8") as f:
                f.write(source)
            collected = _run_child(ex, script, cwd, timeout, path)
        _to_cells(collected, where)
    return grade_collected(ex, collected, use_torch=use_torch, hint=hint, solution=solution,
                           source=path)


def grade_source(source, exercise=None, *, filename="<exercise>", use_torch=True, hint=False,
                 solution=False):
    """Grade ``source`` in this process (no time limit, no isolation): for tests and for
    code the caller trusts. ``check_file`` is the safe way for a learner's file."""
    name = exercise or exercise_of(source)
    if name is None:
        raise NinjagradError("which exercise is it? pass exercise=NAME")
    ex = get_exercise(name)
    from ninjagrad.dojo.collect import quiet
    from ninjagrad.dojo.submission import collect_source

    with quiet():
        collected = collect_source(ex, source, filename)
    return grade_collected(ex, collected, use_torch=use_torch, hint=hint, solution=solution)


def _to_cells(collected, where):
    """Notebook line numbers: the concatenated script's line -> 'cell:line'."""
    import re

    def cell(line):
        if isinstance(line, int) and 0 < line <= len(where):
            return "{}:{}".format(*where[line - 1])
        return line

    def in_text(text):
        return re.sub(r"\bline (\d+)", lambda m: "cell {}, line {}".format(
            *where[int(m.group(1)) - 1]) if 0 < int(m.group(1)) <= len(where) else m.group(0),
            text)

    for a in collected.answers.values():
        a.line = cell(a.line)
        if a.note:
            a.note = in_text(a.note)
    collected.notes = [in_text(n) for n in collected.notes]
    if collected.fatal:
        collected.fatal = in_text(collected.fatal)
