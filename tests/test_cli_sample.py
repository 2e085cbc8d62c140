"""`ninjagrad sample`: names from a trained work dir, reproducible by seed."""

import pytest

from ninjagrad.cli import main


@pytest.fixture
def trained(tmp_path, names_path):
    words = tmp_path / "w.txt"
    words.write_text("\n".join(open(names_path).read().split()[:1000]) + "\n")
    out = str(tmp_path / "out")
    assert main(["train", "-i", str(words), "-o", out, "--n-hidden", "16", "--max-steps",
                 "100"]) == 0
    return out


def test_sample_count_and_seed(trained, capsys):
    capsys.readouterr()
    assert main(["sample", "-o", trained, "-n", "7", "--seed", "1"]) == 0
    first = capsys.readouterr().out.split("\n")
    assert len(first) == 8 and first[-1] == ""  # 7 lines
    assert main(["sample", "-o", trained, "-n", "7", "--seed", "1"]) == 0
    assert capsys.readouterr().out.split("\n") == first
    assert main(["sample", "-o", trained, "-n", "7", "--seed", "2"]) == 0
    assert capsys.readouterr().out.split("\n") != first


def test_sample_errors(tmp_path, trained, capsys):
    assert main(["sample", "-o", str(tmp_path / "nothing")]) == 1
    assert "no checkpoint" in capsys.readouterr().err
    assert main(["sample", "-o", trained, "-n", "0"]) == 1
    assert "-n must be" in capsys.readouterr().err


def test_sample_from_an_interrupted_run_calibrates_first(tmp_path, names_path, capsys):
    from ninjagrad.makemore import workdir

    words = tmp_path / "w.txt"
    words.write_text("\n".join(open(names_path).read().split()[:1000]) + "\n")
    out = str(tmp_path / "out")
    r = workdir.run(out, {"input_file": str(words), "n_hidden": 16, "max_steps": 100},
                    on_step=lambda step, loss: step == 40, progress=False, log=lambda *a: None)
    assert not r.finished
    assert main(["sample", "-o", out, "-n", "3"]) == 0
    captured = capsys.readouterr()
    assert captured.err.startswith("note: training stopped at step 40")
    assert len(captured.out.split("\n")) == 4  # 3 words, trailing ''


def test_interrupted_run_whose_data_is_gone(tmp_path, names_path, capsys):
    # Calibrating an interrupted run reads its training data; say so when it is missing.
    from ninjagrad.makemore import workdir

    words = tmp_path / "w.txt"
    words.write_text("\n".join(open(names_path).read().split()[:1000]) + "\n")
    out = str(tmp_path / "out")
    workdir.run(out, {"input_file": str(words), "n_hidden": 16, "max_steps": 100},
                on_step=lambda step, loss: step == 40, progress=False, log=lambda *a: None)
    words.unlink()
    assert main(["sample", "-o", out]) == 1
    assert capsys.readouterr().err == (
        "ninjagrad sample: error: the run stopped at step 40 before batchnorm was calibrated, "
        f"which needs its training data: {words}: no such file\n"
    )
