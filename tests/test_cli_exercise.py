"""`ninjagrad exercise list|start|check`: the command line, the child process, bad input."""

import json
import os
import re
import subprocess
import sys

import pytest

from ninjagrad.cli import main
from ninjagrad.dojo.starters import render

SRC = os.path.join(os.path.dirname(__file__), "..", "src")


def run_cli(*args, cwd=None):
    """The real command in its own process: exit status, stdout, stderr."""
    env = dict(os.environ, PYTHONPATH=os.path.abspath(SRC))
    proc = subprocess.run([sys.executable, "-m", "ninjagrad", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300)
    return proc.returncode, proc.stdout, proc.stderr


def test_list(capsys):
    assert main(["exercise", "list"]) == 0
    out = capsys.readouterr().out
    for name in ("micrograd", "ninja1", "ninja2", "ninja3", "ninja4", "dC"):
        assert f"\n{name} " in "\n" + out
    assert "dlogprobs, dprobs, dcounts_sum_inv" in out


def test_start_writes_once_and_never_overwrites(tmp_path, capsys):
    target = tmp_path / "mine.py"
    assert main(["exercise", "start", "ninja1", "-o", str(target)]) == 0
    text = target.read_text()
    assert "# ninjagrad exercise: ninja1" in text and "dlogprobs = ...  # TODO" in text
    assert f"ninjagrad exercise check {target.name}" in text
    assert len(re.findall(r"^d\w+ = \.\.\.  # TODO$", text, re.MULTILINE)) == 26
    target.write_text(text.replace("dlogprobs = ...  # TODO", "dlogprobs = 0"))
    assert main(["exercise", "start", "ninja1", "-o", str(target)]) == 1
    assert "already exists; pass --force" in capsys.readouterr().err
    assert "dlogprobs = 0" in target.read_text()
    assert main(["exercise", "start", "ninja1", "-o", str(target), "--force"]) == 0
    assert "dlogprobs = ...  # TODO" in target.read_text()
    assert [p.name for p in tmp_path.iterdir()] == ["mine.py"]  # no temporary left behind
    assert main(["exercise", "start", "ninja7", "-o", str(tmp_path / "x.py")]) == 1
    assert "unknown exercise 'ninja7'" in capsys.readouterr().err


def test_starter_runs_as_it_is_and_blank_check_exits_1(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["exercise", "start", "ninja2"]) == 0  # NAME.py in the current folder
    env = dict(os.environ, PYTHONPATH=os.path.abspath(SRC))
    proc = subprocess.run([sys.executable, "ninja2.py"], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0 and "the forward pass works" in proc.stdout
    code, out, err = run_cli("exercise", "check", "ninja2.py", "--no-torch", cwd=tmp_path)
    assert code == 1 and err == ""
    assert "dlogits   missing" in out and "fix first: dlogits (line" in out


def test_check_ok_json_with_pytorch(tmp_path, capsys):
    pytest.importorskip("torch")
    path = tmp_path / "ninja1.py"
    path.write_text(render("ninja1", filled=True))
    before = path.read_bytes()
    assert main(["exercise", "check", str(path), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["ok"] and result["first_to_fix"] is None
    assert result["references"] == ["ninjagrad autograd", "PyTorch autograd"]
    assert [r["name"] for r in result["rows"]][:3] == ["dlogprobs", "dprobs", "dcounts_sum_inv"]
    assert {tuple(sorted(r)) for r in result["rows"]} == {
        ("cause", "diagnosis", "line", "maxdiff", "name", "status")}
    assert path.read_bytes() == before  # the grader never changes the learner's file


def test_check_wrong_with_hint_and_solution(tmp_path, capsys):
    from ninjagrad.dojo.runner import grade_source

    replace = {"dbndiff2": "dbndiff2 = 1.0 / n * ng.ones_like(bndiff2) * dbnvar"}
    path = tmp_path / "attempt.py"
    path.write_text(render("ninja1", filled=True, replace=replace))
    assert main(["exercise", "check", str(path), "--no-torch", "--hint", "--solution"]) == 1
    out = capsys.readouterr().out
    assert out.splitlines()[1].startswith("fix first: dbndiff2 (line")
    assert "Bessel" in out
    assert "hint: bnvar = 1/(n-1) * bndiff2.sum(0)" in out
    assert "dbndiff2 = 1.0 / (n - 1) * ng.ones_like(bndiff2) * dbnvar" in out
    plain = str(grade_source(path.read_text(), use_torch=False))  # neither unless asked
    assert "Bessel" in plain and "hint" not in plain and "solution" not in plain


@pytest.mark.parametrize("content, words", [
    (b"\x00\x01binary", "a binary file"),
    (b"Dear grader, here is my answer.\n", "line 1: syntax error"),
    (b"x = (1,\ny = 2\n", "syntax error"),
    (b"\xff\xfe\x00", "binary"),
    (b"caf\xe9 = 1\n", "not UTF-8"),
    (b"   \n", "empty"),
])
def test_bad_files(tmp_path, capsys, content, words):
    path = tmp_path / "bad.py"
    path.write_bytes(content)
    assert main(["exercise", "check", str(path), "--exercise", "ninja1"]) == 1
    err = capsys.readouterr().err
    assert words in err and "Traceback" not in err


def test_syntax_error_shows_the_line(tmp_path, capsys):
    path = tmp_path / "typo.py"
    path.write_text(render("ninja2").replace("dlogits = ...  # TODO", "dlogits = (probs - 1"))
    assert main(["exercise", "check", str(path)]) == 1
    err = capsys.readouterr().err
    assert "syntax error" in err and "dlogits = (probs - 1" in err and "^" in err


def test_missing_file_no_tag_and_bad_timeout(tmp_path, capsys):
    assert main(["exercise", "check", str(tmp_path / "nope.py")]) == 1
    assert "no such file" in capsys.readouterr().err
    untagged = tmp_path / "untagged.py"
    untagged.write_text("x = 1\n")
    assert main(["exercise", "check", str(untagged)]) == 1
    assert "--exercise NAME" in capsys.readouterr().err
    assert main(["exercise", "check", str(untagged), "--exercise", "nin"]) == 1
    assert "unknown exercise 'nin'" in capsys.readouterr().err
    assert main(["exercise", "check", str(untagged), "--timeout", "0"]) == 1
    assert "--timeout" in capsys.readouterr().err


def test_endless_loop_and_crash_in_the_real_command(tmp_path):
    path = tmp_path / "loop.py"
    path.write_text(render("ninja2", filled=True).replace(
        "print(f\"loss", "while True:\n    pass\nprint(f\"loss"))
    code, out, err = run_cli("exercise", "check", str(path), "--timeout", "3", "--no-torch")
    assert code == 1 and out == ""
    assert "did not finish within the time limit of 3 s" in err and "Traceback" not in err
    path.write_text(render("ninja2", filled=True).replace(
        "print(f\"loss", "import os\nos._exit(3)\nprint(f\"loss"))
    code, out, err = run_cli("exercise", "check", str(path), "--no-torch")
    assert code == 1 and "exit status 3" in err and "Traceback" not in err


def test_forward_that_raises(tmp_path, capsys):
    path = tmp_path / "broken.py"
    path.write_text(render("ninja1", filled=True).replace(
        "bndiff2 = bndiff**2", "bndiff2 = bndiff ** undefined_thing"))
    assert main(["exercise", "check", str(path), "--no-torch"]) == 1
    out = capsys.readouterr().out
    assert "cannot grade: the forward part raised at line" in out
    assert "undefined_thing" in out


def test_notebook_start_and_check(tmp_path, capsys):
    nb = tmp_path / "ninja3.ipynb"
    assert main(["exercise", "start", "ninja3", "--notebook", "-o", str(nb)]) == 0
    notebook = json.loads(nb.read_text())
    sources = [c["source"] for c in notebook["cells"]]
    assert notebook["cells"][0]["cell_type"] == "markdown"
    assert "grade('ninja3', globals())" in sources[-1]
    assert any("dhprebn = ...  # TODO" in s for s in sources)
    assert main(["exercise", "check", str(nb), "--no-torch"]) == 1
    out = capsys.readouterr().out
    assert "dhprebn   missing" in out
    filled = render("ninja3", filled=True)
    solution = next(line for line in filled.splitlines() if line.startswith("dhprebn ="))
    for cell in notebook["cells"]:
        if "dhprebn = ...  # TODO" in cell["source"]:
            cell["source"] = cell["source"].replace("dhprebn = ...  # TODO",
                                                    solution.replace("n * dhpreact",
                                                                     "dhpreact"))
    nb.write_text(json.dumps(notebook))
    assert main(["exercise", "check", str(nb), "--no-torch"]) == 1
    out = capsys.readouterr().out
    assert "dhprebn   wrong" in out
    row = [s for s in out.splitlines() if s.startswith("dhprebn")][0]
    cell = next(i for i, c in enumerate(notebook["cells"], 1) if "dhprebn =" in c["source"])
    line = notebook["cells"][cell - 1]["source"].splitlines().index(
        solution.replace("n * dhpreact", "dhpreact")) + 1
    assert f" {cell}:{line} " in row  # cell:line in the notebook
