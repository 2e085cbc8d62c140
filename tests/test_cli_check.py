"""`ninjagrad check`: the gradient table and its JSON form."""

import json

from ninjagrad.cli import main
from ninjagrad.makemore.manual import INTERMEDIATES


def test_check_json(capsys):
    assert main(["check", "--json", "--seed", "3"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["ok"] is True
    refs = {(s["reference"], s["dtype"]) for s in result["sections"]}
    assert ("ninjagrad", "float32") in refs and ("ninjagrad", "float64") in refs
    for s in result["sections"]:
        assert all(r["approximate"] for r in s["rows"])
        if s["exercise"] == 1:
            assert [r["name"] for r in s["rows"]] == list(INTERMEDIATES)
        if s["reference"] == "ninjagrad" and s["exercise"] == 1:
            inexact = {r["name"] for r in s["rows"] if not r["exact"]}
            assert inexact <= {"C"}  # the one row explained by summation order
        for r in s["rows"]:
            assert (r["why_not_exact"] is None) == r["exact"]


def test_check_table(capsys, tmp_path, names_path):
    assert main(["check", "-i", names_path, "--n-hidden", "16"]) == 0
    out = capsys.readouterr().out
    assert "== vs ninjagrad autograd, float32 (approx: rtol 0.0001, atol 1e-07) ==" in out
    assert "hprebn (ex. 3)" in out and "all approximately equal" in out
    assert main(["check", "--batch-size", "1"]) == 1
    assert "--batch-size" in capsys.readouterr().err
