"""`ninjagrad train` end to end: output, work dir, errors as one line, Ctrl-C and resume."""

import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from ninjagrad.cli import main
from ninjagrad.makemore.checkpoint import checkpoint_path, load_checkpoint

SMALL = ["--n-hidden", "16", "--max-steps", "300", "--seed", "5"]


@pytest.fixture
def small_words(tmp_path, names_path):
    path = tmp_path / "small.txt"
    path.write_text("\n".join(open(names_path).read().split()[:3000]) + "\n")
    return str(path)


def test_train_prints_losses_and_samples(small_words, tmp_path, capsys):
    out_dir = str(tmp_path / "out")
    assert main(["train", "-i", small_words, "-o", out_dir, *SMALL]) == 0
    out = capsys.readouterr().out.splitlines()
    for split in ("train", "val", "test"):
        line = next(x for x in out if x.startswith(f"{split} loss "))
        assert 1.5 < float(line.split()[-1]) < 3.5
    at = out.index("20 samples:") + 1
    samples = out[at : at + 20]
    assert all(s.isalpha() or s == "" for s in samples)
    # then where everything went, one file per line
    assert out[at + 20] == f"written to {os.path.abspath(out_dir)}:"
    assert [line.split()[0] for line in out[at + 21 :]] == ["model.npz", "metrics.json",
                                                            "loss.png", "dlogits.png"]
    assert sorted(os.listdir(out_dir)) == ["dlogits.png", "loss.png", "metrics.json",
                                           "model.npz"]
    # sample with the default seed repeats train's samples
    assert main(["sample", "-o", out_dir]) == 0
    assert capsys.readouterr().out.split("\n")[:-1] == samples


def test_defaults_are_the_lectures():
    from ninjagrad.cli import build_parser
    from ninjagrad.makemore.train import TrainConfig

    args = build_parser().parse_args(["train"])
    assert args.work_dir == "out" and args.input_file is None and not args.resume
    c = TrainConfig()
    assert (c.n_embd, c.n_hidden, c.block_size, c.batch_size) == (10, 200, 3, 32)
    assert (c.learning_rate, c.max_steps, c.backward) == (0.1, 200_000, "manual")


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--max-steps", "-5"], "--max-steps must be 0..100,000,000, got -5"),
        # once a traceback from numpy, after allocating the per-step losses
        (["--max-steps", "99999999999999999999"], "--max-steps must be 0..100,000,000"),
        (["--batch-size", "1"], "--batch-size must be 2..65,536, got 1"),
        (["--batch-size", "0"], "--batch-size must be 2..65,536, got 0"),
        (["--learning-rate", "0"], "--learning-rate"),
        (["--backward", "telepathy"], "--backward must be one of manual, autograd"),
        (["-i", "MISSING"], "no such file"),
        (["--resume"], "no checkpoint"),
    ],
)
def test_bad_input_is_one_line_and_exit_1(tmp_path, capsys, argv, message):
    argv = [a.replace("MISSING", str(tmp_path / "missing.txt")) for a in argv]
    assert main(["train", "-o", str(tmp_path / "w"), *argv]) == 1
    err = capsys.readouterr().err
    assert err.startswith("ninjagrad train: error: ") and message in err
    assert err.count("\n") == 1


def test_binary_file_via_subprocess_has_no_traceback(tmp_path):
    bad = tmp_path / "model.bin"
    bad.write_bytes(b"\x7fELF\x02\x01\x01\x00" + bytes(range(256)))
    proc = subprocess.run(
        [sys.executable, "-m", "ninjagrad", "train", "-i", str(bad), "-o", str(tmp_path / "w")],
        capture_output=True, text=True, timeout=60,
    )
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    assert proc.stderr.strip() == (
        f"ninjagrad train: error: {bad}, line 1: NUL byte; this looks like a binary file"
    )


def test_sigint_saves_a_checkpoint_and_resume_matches_uninterrupted(small_words, tmp_path):
    """Ctrl-C (SIGINT) to a real process, then --resume: the final weights equal those of a
    run that was never interrupted, bit for bit."""
    argv = ["-i", small_words, "--n-hidden", "16", "--max-steps", "20000", "--seed", "9"]
    part = str(tmp_path / "part")
    proc = subprocess.Popen(
        [sys.executable, "-m", "ninjagrad", "train", "-o", part, *argv],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONUNBUFFERED": ""},  # the CLI must flush its own lines
    )
    # "model: ..." is printed just before the first step
    while not proc.stdout.readline().startswith("model:"):
        assert proc.poll() is None, proc.stderr.read()
    time.sleep(0.3)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "interrupted" in err and "Traceback" not in err
    step = load_checkpoint(checkpoint_path(part)).state.step
    assert 0 < step < 20000
    assert f"stopped at step {step:,}" in out

    assert main(["train", "-o", part, "--resume"]) == 0
    full = str(tmp_path / "full")
    assert main(["train", "-o", full, *argv]) == 0
    a = load_checkpoint(checkpoint_path(part)).state.params
    b = load_checkpoint(checkpoint_path(full)).state.params
    for name in a:
        assert np.array_equal(a[name], b[name]), name


@pytest.mark.parametrize("layout, message", [
    ("file", "work dir {w} is a file, not a directory"),
    ("file/sub", "cannot create work dir {w}: Not a directory"),
    ("checkpoint-dir", "{w}/model.npz is a directory, not a checkpoint"),
])
def test_an_unusable_work_dir_fails_before_training(small_words, tmp_path, capsys, monkeypatch,
                                                    layout, message):
    # Before, training ran to the end and only the final save failed (with a traceback).
    from ninjagrad.makemore import workdir

    (tmp_path / "file").write_text("not a directory")
    (tmp_path / "checkpoint-dir" / "model.npz").mkdir(parents=True)
    monkeypatch.setattr(workdir, "train", lambda *a, **k: pytest.fail("trained anyway"))
    w = str(tmp_path / layout)
    assert main(["train", "-i", small_words, "-o", w, *SMALL]) == 1
    assert capsys.readouterr().err == f"ninjagrad train: error: {message.format(w=w)}\n"


def test_ctrl_c_after_the_last_step_keeps_the_trained_weights(small_words, tmp_path, capsys,
                                                              monkeypatch):
    """A Ctrl-C during the evaluation that follows training used to lose the whole run."""
    from ninjagrad.makemore import workdir

    def interrupted(*args):
        raise KeyboardInterrupt

    w = str(tmp_path / "w")
    with monkeypatch.context() as m:
        m.setattr(workdir, "calibrate_batchnorm", interrupted)
        assert main(["train", "-i", small_words, "-o", w, *SMALL]) == 130
    assert load_checkpoint(checkpoint_path(w)).state.step == 300
    capsys.readouterr()
    assert main(["train", "-o", w, "--resume"]) == 0
    assert "resuming" in capsys.readouterr().out
    full = str(tmp_path / "full")
    assert main(["train", "-i", small_words, "-o", full, *SMALL]) == 0
    a = load_checkpoint(checkpoint_path(w))
    b = load_checkpoint(checkpoint_path(full))
    assert a.calibrated and b.calibrated
    for name in a.state.params:
        assert np.array_equal(a.state.params[name], b.state.params[name]), name


def test_resume_names_the_builtin_data_when_the_run_used_it(tmp_path, small_words, capsys):
    w = str(tmp_path / "w")
    assert main(["train", "-o", w, "--n-hidden", "8", "--max-steps", "2"]) == 0
    capsys.readouterr()
    assert main(["train", "-o", w, "--resume", "-i", small_words]) == 1
    assert "differs from the checkpoint's built-in names;" in capsys.readouterr().err


def test_dlogits_plot_of_a_large_batch_shows_a_readable_batch(small_words, tmp_path,
                                                               monkeypatch):
    from ninjagrad.draw import plots

    shown = []
    draw = plots.plot_dlogits
    monkeypatch.setattr(plots, "plot_dlogits", lambda d, *a, **k: shown.append(d.shape)
                        or draw(d, *a, **k))
    w = tmp_path / "w"
    assert main(["train", "-i", small_words, "-o", str(w), "--n-hidden", "8",
                 "--max-steps", "2", "--batch-size", "4096"]) == 0
    assert shown == [(64, 27)]  # the first 64 examples, not 4,096 indistinct rows
    png = (w / "dlogits.png").read_bytes()
    width, height = int.from_bytes(png[16:20]), int.from_bytes(png[20:24])  # IHDR
    assert width == 800 and height <= 1600
