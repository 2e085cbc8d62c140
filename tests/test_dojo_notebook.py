"""docs/exercise1.ipynb walks through exercise 1 with the grader; it runs clean and
matches its generator."""

import importlib.util
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")

DOCS = Path(__file__).resolve().parent.parent / "docs"


def test_exercise_notebook_executes(tmp_path):
    notebook = nbformat.read(DOCS / "exercise1.ipynb", as_version=4)
    client = nbclient.NotebookClient(notebook, timeout=120, kernel_name="python3",
                                     resources={"metadata": {"path": str(tmp_path)}})
    client.execute()  # raises CellExecutionError, naming the cell, on any error
    html = [out["data"]["text/html"] for cell in notebook.cells if cell.cell_type == "code"
            for out in cell.outputs if "text/html" in out.get("data", {})]
    assert any("<td>wrong</td>" in h and "<td>inherits</td>" in h for h in html)
    assert "26 ok (of 26)" in html[-1]
    printed = "".join(out.get("text", "") for cell in notebook.cells
                      if cell.cell_type == "code" for out in cell.outputs)
    assert "fix first: dcounts is wrong: one branch missing" in printed


def test_exercise_notebook_is_stored_clean_and_matches_its_generator():
    stored = nbformat.read(DOCS / "exercise1.ipynb", as_version=4)
    for cell in stored.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None
    spec = importlib.util.spec_from_file_location("make_exercise_notebook",
                                                  DOCS / "make_exercise_notebook.py")
    generator = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(generator)
    assert [c.source for c in stored.cells] == [
        c.source for c in generator.NOTEBOOKS["exercise1.ipynb"]], (
        "docs/make_exercise_notebook.py changed: run `python docs/make_exercise_notebook.py`")


@pytest.mark.parametrize("name, filled, expected", [
    ("micrograd", False, "missing"), ("micrograd", True, "all right!"),
    ("ninja4", True, "all right!")])
def test_notebook_starters_run_and_grade_themselves(name, filled, expected, tmp_path):
    """The --notebook starters run as they are, and filled with the solutions their last
    cell (the grader, in the kernel) says all ok: the class and the function typed into
    a notebook are read from the kernel's cells."""
    from ninjagrad.dojo.starters import render_notebook

    notebook = nbformat.reads(render_notebook(name, filled=filled), as_version=4)
    nbclient.NotebookClient(notebook, timeout=120, kernel_name="python3",
                            resources={"metadata": {"path": str(tmp_path)}}).execute()
    last = notebook.cells[-1].outputs[0]["data"]
    assert expected in last["text/html"], last["text/plain"]
