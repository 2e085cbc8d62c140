"""The Python examples in README.md and docs/*.md run as written.

Each file's ```python blocks are executed in order in one namespace (later blocks may use
names from earlier ones), in a temporary directory so that files they write land there.
Blocks fenced as ```text or ```bash are illustrations and are not run.
"""

import pathlib
import re

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
FENCE = re.compile(r"^```python\n(.*?)^```", re.S | re.M)


def python_blocks(path):
    return FENCE.findall(path.read_text(encoding="utf-8"))


EXAMPLES = [p for p in DOCS if python_blocks(p)]


def test_the_docs_have_examples():
    assert sum(len(python_blocks(p)) for p in EXAMPLES) >= 10
    assert {"README.md", "scalar.md", "tensor.md", "makemore.md", "drawing.md"} <= {
        p.name for p in EXAMPLES
    }


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_python_examples_run(path, tmp_path, monkeypatch):
    blocks = python_blocks(path)
    if "draw" in "".join(blocks):
        pytest.importorskip("graphviz")
    monkeypatch.chdir(tmp_path)
    namespace = {"__name__": f"docs_{path.stem}"}
    for number, block in enumerate(blocks, 1):
        code = compile(block, f"{path.name} (python block {number})", "exec")
        exec(code, namespace)
