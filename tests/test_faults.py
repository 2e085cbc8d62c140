"""`ninjagrad train` under faults (issue 12): stop signals, a busy work dir, a diverging
loss, plots that cannot be written, settings too big for the machine, changed data on
resume, leftovers of a killed save. Small runs on a word list each test writes itself."""

import errno
import hashlib
import os
import random
import re
import signal
import subprocess
import sys

import numpy as np
import pytest

from ninjagrad.cli import main
from ninjagrad.makemore import workdir
from ninjagrad.makemore.checkpoint import checkpoint_path, load_checkpoint

TINY = ["--n-hidden", "8", "--n-embd", "4", "--seed", "7"]


@pytest.fixture
def words(tmp_path):
    rng = random.Random(1)
    lines = ["".join(rng.choice("abcdefgh") for _ in range(rng.randint(2, 7)))
             for _ in range(300)]
    path = tmp_path / "words.txt"
    path.write_text("\n".join(lines) + "\n")
    return str(path)


def start(work_dir, *argv):
    """A real `ninjagrad train` process, returned once it has printed its "model:" line
    (by then it holds the work dir's lock and listens for the stop signals)."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "ninjagrad", "train", "-o", work_dir, *argv],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    while not proc.stdout.readline().startswith("model:"):
        assert proc.poll() is None, proc.stderr.read()
    return proc


def params(work_dir):
    return load_checkpoint(checkpoint_path(work_dir)).state.params


def test_sigterm_saves_and_resume_matches_an_uninterrupted_run(words, tmp_path, capsys):
    argv = ["-i", words, *TINY, "--max-steps", "2000"]
    part = str(tmp_path / "part")
    proc = start(part, *argv)
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 143, err
    assert err.endswith("\nninjagrad train: stopped by SIGTERM\n") and "Traceback" not in err
    step = load_checkpoint(checkpoint_path(part)).state.step
    assert 0 < step < 2000
    assert f"stopped at step {step:,} by SIGTERM; checkpoint saved to" in out

    assert main(["train", "-o", part, "--resume"]) == 0
    full = str(tmp_path / "full")
    assert main(["train", "-o", full, *argv]) == 0
    a, b = params(part), params(full)
    for name in a:
        assert np.array_equal(a[name], b[name]), name


def test_sighup_saves_and_exits_129(words, tmp_path):
    w = str(tmp_path / "w")
    proc = start(w, "-i", words, *TINY, "--max-steps", "100000")
    proc.send_signal(signal.SIGHUP)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 129 and err.endswith("\nninjagrad train: stopped by SIGHUP\n")
    assert 0 < load_checkpoint(checkpoint_path(w)).state.step < 100000
    assert not os.path.exists(os.path.join(w, "train.lock"))


def test_a_busy_work_dir_is_refused_and_a_stale_lock_taken_over(words, tmp_path, capsys):
    w = str(tmp_path / "w")
    first = start(w, "-i", words, *TINY, "--max-steps", "10000000")
    try:
        assert main(["train", "-i", words, "-o", w, *TINY, "--max-steps", "5"]) == 1
        err = capsys.readouterr().err
        assert f"work dir {w} is in use by another 'ninjagrad train' (PID {first.pid})" in err
    finally:
        first.kill()  # SIGKILL: no handler runs, the lock stays behind
        first.communicate(timeout=60)
    assert open(os.path.join(w, "train.lock")).read().strip() == str(first.pid)
    assert main(["train", "-i", words, "-o", w, *TINY, "--max-steps", "5"]) == 0
    out = capsys.readouterr().out
    assert f"note: taking over the lock of PID {first.pid} in {w}" in out
    assert not os.path.exists(os.path.join(w, "train.lock"))  # released at the end


def test_a_diverging_loss_stops_at_its_step_without_saving(words, tmp_path, capsys,
                                                           monkeypatch):
    monkeypatch.setattr(workdir, "CHECKPOINT_EVERY", 1)
    w = tmp_path / "w"
    assert main(["train", "-i", words, "-o", str(w), *TINY, "--max-steps", "50",
                 "--learning-rate", "1e30"]) == 1
    err = capsys.readouterr().err
    step = load_checkpoint(checkpoint_path(str(w))).state.step  # the last good one
    assert f"the loss became nan at step {step + 1:,}" in err or \
        f"the loss became inf at step {step + 1:,}" in err
    assert f"the last good checkpoint, step {step:,}, is kept" in err
    assert np.isfinite(load_checkpoint(checkpoint_path(str(w))).state.losses).all()
    assert not (w / "metrics.json").exists()


def test_a_diverging_first_step_saves_nothing(words, tmp_path, capsys):
    w = tmp_path / "w"
    assert main(["train", "-i", words, "-o", str(w), *TINY, "--max-steps", "50",
                 "--learning-rate", "1e30"]) == 1
    err = capsys.readouterr().err
    assert "no checkpoint of this run was saved" in err and "--learning-rate" in err
    assert "Warning" not in err  # numpy's overflow warnings do not bury the report
    assert err.splitlines()[-1].startswith("ninjagrad train: error: the loss became")
    assert sorted(os.listdir(w)) == []


def test_a_plot_that_cannot_be_written_is_a_warning(words, tmp_path, capsys):
    w = tmp_path / "w"
    (w / "loss.png").mkdir(parents=True)
    assert main(["train", "-i", words, "-o", str(w), *TINY, "--max-steps", "5"]) == 0
    out = capsys.readouterr().out
    assert f"warning: cannot write the file {w}/loss.png" in out
    assert "val loss " in out and "20 samples:" in out
    files = out[out.index(f"written to {w}:"):].split("\n")[1:-1]
    assert [line.split()[0] for line in files] == ["model.npz", "metrics.json", "dlogits.png"]


def test_a_full_disk_while_plotting_is_a_warning(words, tmp_path, capsys, monkeypatch):
    from matplotlib.figure import Figure

    def disk_full(self, f, **kwargs):
        f.write(b"\x89PNG half")
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(Figure, "savefig", disk_full)
    w = tmp_path / "w"
    assert main(["train", "-i", words, "-o", str(w), *TINY, "--max-steps", "5"]) == 0
    out = capsys.readouterr().out
    assert f"warning: cannot write the file {w}/loss.png: No space left on device" in out
    assert f"warning: cannot write the file {w}/dlogits.png" in out
    assert "test loss " in out
    assert sorted(os.listdir(w)) == ["metrics.json", "model.npz"]  # no temporaries left


def test_a_symlinked_plot_is_replaced_not_written_through(words, tmp_path, capsys):
    w = tmp_path / "w"
    w.mkdir()
    target = tmp_path / "precious.txt"
    target.write_text("keep me")
    (w / "loss.png").symlink_to(target)
    assert main(["train", "-i", words, "-o", str(w), *TINY, "--max-steps", "5"]) == 0
    assert target.read_text() == "keep me"
    assert not (w / "loss.png").is_symlink()
    assert (w / "loss.png").read_bytes()[:4] == b"\x89PNG"
    assert f"note: {w}/loss.png was a symbolic link; replaced it" in capsys.readouterr().out


def test_settings_too_big_for_the_machine_are_refused_before_allocating(words, tmp_path,
                                                                        capsys, monkeypatch):
    from ninjagrad.makemore import train

    monkeypatch.setattr(train, "init_params", lambda *a: pytest.fail("allocated anyway"))
    assert main(["train", "-i", words, "-o", str(tmp_path / "w"), "--n-embd", "4096",
                 "--block-size", "256", "--n-hidden", "65536"]) == 1
    err = capsys.readouterr().err
    # W1 alone is 4096 * 256 * 65536 float32: 275 GB, three times over while training
    figure = float(re.search(r"need about ([\d,.]+) GB of memory", err)[1].replace(",", ""))
    assert 3 * 4 * 4096 * 256 * 65536 / 1e9 < figure < 900
    assert "more than this machine's" in err and err.count("\n") == 1


def test_the_memory_estimate_bounds_what_a_run_allocates(words, tmp_path, monkeypatch):
    """An estimate that is too low would let a too-big run through: measure a real one."""
    import tracemalloc

    from ninjagrad.makemore.data import load_dataset
    from ninjagrad.makemore.train import TrainConfig, estimate_memory

    monkeypatch.setattr(workdir, "CHECKPOINT_EVERY", 0)
    # the plots are matplotlib's memory, not the model's, and slow under tracemalloc
    monkeypatch.setattr(workdir, "_plots", lambda *args: iter(()))
    settings = {"input_file": words, "n_hidden": 300, "n_embd": 30, "block_size": 8,
                "batch_size": 512, "max_steps": 3}
    data = load_dataset(words, 8)
    tracemalloc.start()
    try:
        workdir.run(str(tmp_path / "w"), settings, progress=False, log=lambda line: None)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    n_examples = len(data.Ytr) + len(data.Ydev) + len(data.Yte)
    estimate = estimate_memory(TrainConfig(**settings), data.vocab.size, n_examples)
    assert peak <= estimate


def test_too_little_memory_names_the_figures(words, tmp_path, capsys, monkeypatch):
    from ninjagrad.makemore import train

    monkeypatch.setattr(train, "total_memory", lambda: 1_000_000)
    assert main(["train", "-i", words, "-o", str(tmp_path / "w")]) == 1
    assert "more than this machine's 0.0 GB" in capsys.readouterr().err


def test_an_endless_input_file_is_refused_quickly(tmp_path, capsys):
    assert main(["train", "-i", "/dev/zero", "-o", str(tmp_path / "w")]) == 1
    assert capsys.readouterr().err == ("ninjagrad train: error: /dev/zero: larger than 64 MiB; "
                                       "a word list is one word per line, and this is too big "
                                       "to be one\n")


def test_resuming_on_changed_data_is_refused_unless_asked(words, tmp_path, capsys):
    w = str(tmp_path / "w")
    workdir.run(w, {"input_file": words, "n_hidden": 8, "max_steps": 20}, progress=False,
                on_step=lambda step, loss: step >= 10, log=lambda line: None)
    old = hashlib.sha256(open(words, "rb").read()).hexdigest()
    lines = open(words).read().split()
    with open(words, "w") as f:  # the same characters, other words
        f.write("\n".join(reversed(lines)) + "\n")
    new = hashlib.sha256(open(words, "rb").read()).hexdigest()
    assert main(["train", "-o", w, "--resume"]) == 1
    err = capsys.readouterr().err
    assert (f"{words} has changed since the checkpoint was saved (sha256 {new[:12]}, the "
            f"checkpoint's {old[:12]}); resume on the new data with --allow-data-change") in err
    assert load_checkpoint(checkpoint_path(w)).state.step == 10
    assert main(["train", "-o", w, "--resume", "--allow-data-change"]) == 0
    assert "resuming on the new data (--allow-data-change)" in capsys.readouterr().out
    assert load_checkpoint(checkpoint_path(w)).data_sha256 == new


def test_temporaries_of_a_killed_save_are_swept(words, tmp_path, capsys):
    # What a SIGKILL during write_atomically leaves: a hidden temporary beside the file.
    w = tmp_path / "w"
    w.mkdir()
    for name in (".model.npz-k1l2d.tmp", ".loss.png-abc.tmp", "mine.tmp", ".x.npz-a.tmp"):
        (w / name).write_bytes(b"partial")
    assert main(["train", "-i", words, "-o", str(w), *TINY, "--max-steps", "5"]) == 0
    out = capsys.readouterr().out
    assert f"note: removed {w}/.model.npz-k1l2d.tmp, left by a save that was interrupted" in out
    assert sorted(p for p in os.listdir(w) if p.endswith(".tmp")) == [".x.npz-a.tmp",
                                                                       "mine.tmp"]
