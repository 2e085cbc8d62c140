"""Checkpoints: round trip, atomic writes, no pickle, clear errors for bad files."""

import io
import os

import numpy as np
import pytest

from ninjagrad.errors import CheckpointError
from ninjagrad.makemore import checkpoint as ck
from ninjagrad.makemore.data import Vocabulary
from ninjagrad.makemore.train import TrainConfig, TrainState


@pytest.fixture
def saved(tmp_path):
    config = TrainConfig(n_hidden=8, max_steps=10, seed=3)
    vocab = Vocabulary(list(".abc"))
    state = TrainState.fresh(config, vocab.size)
    state.rng.integers(0, 10, 5)  # move the RNG away from its seed state
    state.step, state.losses = 4, np.arange(10, dtype=np.float32)
    path = str(tmp_path / "model.npz")
    ck.save_checkpoint(path, config, vocab, state)
    return path, config, vocab, state


def test_round_trip(saved):
    path, config, vocab, state = saved
    loaded = ck.load_checkpoint(path)
    assert loaded.config == config and loaded.vocab == vocab and not loaded.calibrated
    assert loaded.state.step == 4 and loaded.state.losses.tolist() == [0, 1, 2, 3]
    for name, p in state.params.items():
        assert np.array_equal(loaded.state.params[name], p) and p.dtype == np.float32
    assert loaded.state.rng.integers(0, 1 << 30, 4).tolist() == state.rng.integers(
        0, 1 << 30, 4).tolist()


def test_checkpoint_permissions_follow_the_umask(tmp_path):
    # The temporary file is private while it is written; the checkpoint must not stay so.
    config, vocab = TrainConfig(n_hidden=8, max_steps=10), Vocabulary(list(".ab"))
    state = TrainState.fresh(config, vocab.size)
    old = os.umask(0o022)
    try:
        ck.save_checkpoint(str(tmp_path / "a.npz"), config, vocab, state)
        os.umask(0o077)
        ck.save_checkpoint(str(tmp_path / "b.npz"), config, vocab, state)
    finally:
        os.umask(old)
    assert os.stat(tmp_path / "a.npz").st_mode & 0o777 == 0o644
    assert os.stat(tmp_path / "b.npz").st_mode & 0o777 == 0o600


def test_failed_save_keeps_the_old_checkpoint(saved, monkeypatch):
    path, config, vocab, state = saved
    before = open(path, "rb").read()

    def broken_savez(f, **arrays):
        f.write(b"half a file")
        raise OSError("disk full")

    monkeypatch.setattr(ck.np, "savez", broken_savez)
    state.step = 5
    with pytest.raises(CheckpointError, match="cannot write the checkpoint .*: disk full"):
        ck.save_checkpoint(path, config, vocab, state)
    assert open(path, "rb").read() == before
    assert os.listdir(os.path.dirname(path)) == ["model.npz"]  # no temporary file left


def test_saving_over_a_directory_is_a_checkpoint_error(saved, tmp_path):
    _, config, vocab, state = saved
    (tmp_path / "taken").mkdir()
    with pytest.raises(CheckpointError, match="cannot write the checkpoint"):
        ck.save_checkpoint(str(tmp_path / "taken"), config, vocab, state)
    assert os.listdir(tmp_path / "taken") == []


def rewrite(path, **changes):
    with np.load(path) as npz:
        arrays = {k: npz[k] for k in npz.files}
    arrays.update(changes)
    for key in [k for k, v in changes.items() if v is None]:
        del arrays[key]
    np.savez(path, **arrays)


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"param.W1": np.zeros((9, 8), np.float32)}, "'param.W1' should be float32"),
        ({"param.C": np.full((4, 10), np.nan, np.float32)}, "NaN"),
        ({"step": np.array(99)}, "step"),
        ({"format": np.array("something else")}, "unknown format"),
        ({"rng_state": np.array("{not json")}, "RNG state"),
        ({"config": np.array('{"n_hidden": -1}')}, "invalid config"),
        ({"losses": None}, "missing 'losses'"),
        ({"vocab": np.array('["a", "b"]')}, "vocabulary"),
    ],
)
def test_mismatched_or_corrupt_fields(saved, changes, message):
    path = saved[0]
    rewrite(path, **changes)
    with pytest.raises(CheckpointError, match=message):
        ck.load_checkpoint(path)


def test_pickled_objects_are_refused(saved):
    path = saved[0]
    rewrite(path, evil=np.array([{"a": 1}], dtype=object))
    with pytest.raises(CheckpointError, match="pickled"):
        ck.load_checkpoint(path)


def test_truncated_and_foreign_files(tmp_path, saved):
    path = saved[0]
    data = open(path, "rb").read()
    with open(path, "wb") as f:
        f.write(data[: len(data) // 2])
    with pytest.raises(CheckpointError, match="not a readable checkpoint"):
        ck.load_checkpoint(path)
    other = tmp_path / "other.npz"
    buf = io.BytesIO()
    np.savez(buf, x=np.zeros(3))
    other.write_bytes(buf.getvalue())
    with pytest.raises(CheckpointError, match="missing 'format'"):
        ck.load_checkpoint(str(other))
    with pytest.raises(CheckpointError, match="no checkpoint"):
        ck.load_checkpoint(str(tmp_path / "absent.npz"))


@pytest.mark.parametrize("content", [b"garbage\n", b"", b"\x93NUMPY"])
def test_a_file_that_is_no_archive_is_not_called_pickled(tmp_path, content):
    # np.load treats any non-zip file as a pickle; the message must not claim one.
    path = tmp_path / "model.npz"
    path.write_bytes(content)
    with pytest.raises(CheckpointError, match=r"not a readable checkpoint \(not an .npz archive\)"):
        ck.load_checkpoint(str(path))
