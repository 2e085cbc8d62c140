"""The tutorials in docs/ run from top to bottom without an error, so they cannot rot."""

import importlib.util
import shutil
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")

DOCS = Path(__file__).resolve().parent.parent / "docs"
NOTEBOOKS = ["micrograd.ipynb", "backprop_ninja.ipynb"]
needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="graphviz 'dot' not installed")


def execute(name, workdir):
    notebook = nbformat.read(DOCS / name, as_version=4)
    client = nbclient.NotebookClient(
        notebook,
        timeout=120,
        kernel_name="python3",
        resources={"metadata": {"path": str(workdir)}},  # files a notebook writes go here
    )
    client.execute()  # raises CellExecutionError, naming the cell, on any error
    return notebook


def outputs(notebook, mime):
    return [
        out["data"][mime]
        for cell in notebook.cells
        if cell.cell_type == "code"
        for out in cell.outputs
        if mime in out.get("data", {})
    ]


@needs_dot  # the notebooks display graphs inline, which needs graphviz's dot
@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_executes_clean(name, tmp_path):
    notebook = execute(name, tmp_path)
    errors = [
        out
        for cell in notebook.cells
        if cell.cell_type == "code"
        for out in cell.outputs
        if out.output_type == "error" or out.get("name") == "stderr" and "Error" in out["text"]
    ]
    assert errors == []
    if name == "micrograd.ipynb":
        svgs = outputs(notebook, "image/svg+xml")
        assert any("data 0.7071" in svg and "grad &#45;1.5000" in svg for svg in svgs)
    else:
        assert outputs(notebook, "image/png")  # the loss curve and the heatmap were drawn


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_is_stored_clean_and_matches_its_generator(name):
    stored = nbformat.read(DOCS / name, as_version=4)
    for cell in stored.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None
    spec = importlib.util.spec_from_file_location("make_notebooks", DOCS / "make_notebooks.py")
    generator = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(generator)
    cells = generator.NOTEBOOKS[name]
    assert [c.source for c in stored.cells] == [c.source for c in cells], (
        "docs/make_notebooks.py changed: run `python docs/make_notebooks.py`"
    )
