"""`ninjagrad graph` end to end: files written, numbers printed, errors without tracebacks."""

import math
import os
import shutil
import subprocess
import sys

import pytest

from ninjagrad.cli import main

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="graphviz 'dot' not installed")

NEURON = [
    "tanh(x1*w1 + x2*w2 + b)",
    "--var", "x1=2",
    "--var", "x2=0",
    "--var", "w1=-3",
    "--var", "w2=1",
    "--var", "b=6.8813735870195432",
]  # fmt: skip


def expected_grads():
    """By hand: o = tanh(n), do/dn = 1 - o**2, then the products' chain rule."""
    n = 2.0 * -3.0 + 0.0 * 1.0 + 6.8813735870195432
    o = math.tanh(n)
    dn = 1 - o * o
    return o, {"x1": -3.0 * dn, "x2": 1.0 * dn, "w1": 2.0 * dn, "w2": 0.0 * dn, "b": dn}


def printed_grads(out):
    grads = {}
    for line in out.splitlines():
        if " grad " in line:
            name = line.split("=")[0].strip()
            grads[name] = float(line.split(" grad ")[1].split()[0])
    return grads


def check_printed_numbers(out):
    o, grads = expected_grads()
    value_line = next(line for line in out.splitlines() if line.startswith("tanh("))
    assert float(value_line.rsplit("=", 1)[1]) == pytest.approx(o, abs=1e-6)
    assert printed_grads(out) == pytest.approx(grads, abs=1e-6)


@needs_dot
def test_svg(tmp_path, capsys):
    out_file = tmp_path / "neuron.svg"
    assert main(["graph", *NEURON, "-o", str(out_file)]) == 0
    out = capsys.readouterr().out
    assert f"wrote {out_file}" in out
    check_printed_numbers(out)
    svg = out_file.read_text()
    assert svg.lstrip().startswith("<?xml") and "</svg>" in svg
    for text in ("x1", "data 0.7071", "grad &#45;1.5000", "tanh"):
        assert text in svg


@needs_dot
def test_png(tmp_path, capsys):
    out_file = tmp_path / "neuron.png"
    assert main(["graph", *NEURON, "-o", str(out_file), "--color-by-grad"]) == 0
    assert out_file.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    check_printed_numbers(capsys.readouterr().out)


def test_dot_needs_no_graphviz(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))  # no `dot` anywhere
    out_file = tmp_path / "neuron.dot"
    assert main(["graph", *NEURON, "-o", str(out_file), "--color-by-grad"]) == 0
    source = out_file.read_text()
    assert source.startswith("digraph")
    assert "{ x1 | data 2.0000 | grad -1.5000 }" in source
    assert "fill = |grad|" in source  # the colour legend
    check_printed_numbers(capsys.readouterr().out)


@needs_dot
def test_default_output_is_graph_svg(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["graph", "x*x", "--var", "x=3"]) == 0
    out = capsys.readouterr().out
    assert "wrote graph.svg" in out
    assert printed_grads(out) == {"x": 6.0}
    assert (tmp_path / "graph.svg").exists()


def test_missing_dot_prints_install_hint_and_writes_dot(tmp_path, capsys, monkeypatch):
    empty = tmp_path / "bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    assert main(["graph", *NEURON, "-o", str(tmp_path / "neuron.svg")]) == 1
    captured = capsys.readouterr()
    assert "apt-get install graphviz" in captured.err
    assert "brew install graphviz" in captured.err
    assert str(tmp_path / "neuron.dot") in captured.err
    assert (tmp_path / "neuron.dot").read_text().startswith("digraph")
    assert not (tmp_path / "neuron.svg").exists()
    check_printed_numbers(captured.out)  # the numbers are still worth having


@pytest.mark.parametrize(
    "args, words",
    [
        (["x*x", "--var", "x"], "expected NAME=VALUE"),
        (["x*x", "--var", "x=abc"], "'abc' is not a number"),
        (["x*x", "--var", "x=nan"], "must be finite"),
        (["x*x", "--var", "x=1", "--var", "x=2"], "given more than once"),
        (["x*x", "--var", "1x=1"], "not a valid variable name"),
        (["x*x", "--var", "x=1", "-o", "graph.jpeg"], "cannot tell the format"),
        (["x*y", "--var", "x=1"], "unknown name 'y'"),
        (["__import__('os').system('true')"], "attribute access not allowed"),
        (["x ** 1000", "--var", "x=2"], "exponent 1000 is out of bounds"),
    ],
)
def test_bad_input_is_a_clear_error(tmp_path, capsys, monkeypatch, args, words):
    monkeypatch.chdir(tmp_path)
    assert main(["graph", *args]) == 1
    err = capsys.readouterr().err
    assert err.startswith("ninjagrad graph: error: ")
    assert words in err
    assert "Traceback" not in err
    assert list(tmp_path.iterdir()) == []  # nothing written


def test_expression_starting_with_minus_after_double_dash(tmp_path, capsys):
    out_file = tmp_path / "g.dot"
    assert main(["graph", "--var", "x=3", "-o", str(out_file), "--", "-x*2"]) == 0
    assert printed_grads(capsys.readouterr().out) == {"x": -2.0}


def test_unwritable_path(tmp_path, capsys):
    assert main(["graph", "x*x", "--var", "x=1", "-o", str(tmp_path / "no" / "g.dot")]) == 1
    assert "does not exist" in capsys.readouterr().err


def run_cli(args, path_env):
    env = dict(os.environ, PATH=path_env)
    return subprocess.run(
        [sys.executable, "-m", "ninjagrad", "graph", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )


@needs_dot
def test_subprocess_end_to_end(tmp_path):
    result = run_cli([*NEURON, "-o", str(tmp_path / "n.svg")], os.environ["PATH"])
    assert result.returncode == 0, result.stderr
    check_printed_numbers(result.stdout)
    assert "data 0.8814" in (tmp_path / "n.svg").read_text()


def test_subprocess_without_dot_has_no_traceback(tmp_path):
    result = run_cli([*NEURON, "-o", str(tmp_path / "n.png")], str(tmp_path))
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "install graphviz" in result.stderr.lower() or "apt-get" in result.stderr
    assert (tmp_path / "n.dot").exists()


def page_data(path):
    import json

    page = path.read_text(encoding="utf-8")
    return json.loads(page.split('id="ng-data">')[1].split("</script>")[0])


@needs_dot
def test_html_writes_the_player(tmp_path, capsys):
    out_file = tmp_path / "neuron.html"
    assert main(["graph", *NEURON, "-o", str(out_file)]) == 0
    out = capsys.readouterr().out
    assert f"wrote {out_file}" in out
    check_printed_numbers(out)  # the player leaves the printed grads alone
    assert out_file.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    data = page_data(out_file)
    assert len(data["nodes"]) == 10 and len(data["steps"]) == 22
    lines = [text for step in data["steps"] for _, text in step["lines"]]
    assert any(line.endswith("= 1 - out² = 1 - 0.7071² = 0.5") for line in lines)
    _, grads = expected_grads()
    finals = {}
    for step in data["steps"]:  # the grad each leaf ends with, as the page will show it
        for i, field, text in step["changes"]:
            if field == "grad":
                finals[data["nodes"][i]["name"]] = float(text)
    assert {name: finals[name] for name in grads} == pytest.approx(grads, abs=5e-5)


def test_html_refuses_color_by_grad(tmp_path, capsys):
    assert main(["graph", *NEURON, "-o", str(tmp_path / "n.html"), "--color-by-grad"]) == 1
    assert "--color-by-grad colours a static drawing" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_html_without_dot_says_how_to_install(tmp_path, capsys, monkeypatch):
    empty = tmp_path / "bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    assert main(["graph", *NEURON, "-o", str(tmp_path / "n.html")]) == 1
    captured = capsys.readouterr()
    assert "cannot make the player page" in captured.err and "apt-get install" in captured.err
    assert not (tmp_path / "n.html").exists()
    check_printed_numbers(captured.out)


def test_formulas_on_the_edges(tmp_path, capsys):
    out_file = tmp_path / "n.dot"
    assert main(["graph", "tanh(x*y)", "--var", "x=2", "--var", "y=0.25", "--formulas",
                 "-o", str(out_file)]) == 0  # fmt: skip
    source = out_file.read_text(encoding="utf-8")
    t = math.tanh(0.5)
    assert f"= 1 - out² = 1 - {t:.4f}² = {1 - t * t:.4f}" in source
    assert "∂(x*y)/∂x = " in source and "∂(x*y)/∂y = " in source
