"""The grader's child process: ``python -m ninjagrad.dojo.child EXERCISE FILE OUTDIR``.

Runs the learner's file (already checked to be Python by the parent), collects the
answers and writes them into OUTDIR: ``answers.json`` (states, lines, messages) and
``arrays.npz`` (the values, read back with ``allow_pickle=False``). Nothing is pickled
and the learner's file is only read. The learner's prints are swallowed. Exit status 0
when the answers were written, 2 when the grader itself failed.
"""

import json
import os
import sys

import numpy as np


def write(collected, outdir):
    rows, arrays = [], {}
    for i, (name, a) in enumerate(collected.answers.items()):
        row = {"name": name, "state": a.state, "line": a.line, "message": a.message,
               "recompute_error": a.recompute_error, "note": a.note,
               "value": None, "recomputed": None}
        for field in ("value", "recomputed"):
            v = getattr(a, field)
            if v is not None:
                key = f"{field}{i}"
                arrays[key] = np.asarray(v, dtype=np.float64)
                row[field] = key
        rows.append(row)
    np.savez(os.path.join(outdir, "arrays.npz"), **arrays)
    result = {"answers": rows, "notes": collected.notes, "fatal": collected.fatal}
    with open(os.path.join(outdir, "answers.json"), "w", encoding="utf-8") as f:
        json.dump(result, f)


def main(argv):
    name, path, outdir = argv
    from ninjagrad.dojo.catalog import get_exercise
    from ninjagrad.dojo.collect import quiet
    from ninjagrad.dojo.submission import collect_source

    with open(path, encoding="utf-8") as f:
        source = f.read()
    sys.path.insert(0, os.path.dirname(os.path.abspath(path)))
    sys.argv = [path]
    with quiet():
        collected = collect_source(get_exercise(name), source, path)
    write(collected, outdir)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
