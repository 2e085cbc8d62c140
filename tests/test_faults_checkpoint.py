"""Crafted checkpoints (issue 12): every entry is checked from its .npy header (name,
dtype, shape, hence size) before its data is read, then its values; each case is refused
with the entry's name, and nothing large is allocated on the way."""

import io
import tracemalloc
import zipfile

import numpy as np
import pytest

from ninjagrad.cli import main
from ninjagrad.errors import CheckpointError
from ninjagrad.makemore import checkpoint as ck
from ninjagrad.makemore.data import Vocabulary
from ninjagrad.makemore.train import TrainConfig, TrainState


@pytest.fixture
def saved(tmp_path):
    """A calibrated checkpoint (n_hidden 8, vocabulary of 4) in a work dir."""
    config = TrainConfig(n_hidden=8, max_steps=10, seed=3)
    vocab = Vocabulary(list(".abc"))
    state = TrainState.fresh(config, vocab.size)
    state.step, state.losses = 4, np.arange(10, dtype=np.float32)
    path = str(tmp_path / "model.npz")
    ones = np.ones((1, 8), np.float32)
    ck.save_checkpoint(path, config, vocab, state, ones * 0.5, ones * 2.0, "ab" * 32)
    return path


def rewrite(path, **changes):
    with np.load(path) as npz:
        arrays = {k: npz[k] for k in npz.files}
    arrays.update(changes)
    np.savez(path, **arrays)


def npy_claiming(shape, descr="<f4", data=b"\0" * 64):
    """The bytes of an .npy member whose header claims ``shape`` but that holds ``data``."""
    buf = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        buf, {"descr": descr, "fortran_order": False, "shape": shape})
    return buf.getvalue() + data


def replace_member(path, name, content):
    """Rebuild the archive with member ``name`` (added or replaced) holding ``content``."""
    with zipfile.ZipFile(path) as zf:
        members = {i.filename: zf.read(i) for i in zf.infolist()}
    members[name] = content
    with zipfile.ZipFile(path, "w") as zf:
        for member, data in members.items():
            zf.writestr(member, data)


def refused(path, message):
    tracemalloc.start()
    try:
        with pytest.raises(CheckpointError, match=message):
            ck.load_checkpoint(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 8 << 20, f"loading the refused file allocated {peak:,} bytes"


def test_the_fixture_loads(saved):
    loaded = ck.load_checkpoint(saved)
    assert loaded.calibrated and loaded.data_sha256 == "ab" * 32 and loaded.state.step == 4


def test_elapsed_of_shape_2(saved):
    rewrite(saved, elapsed=np.zeros(2))
    refused(saved, r"'elapsed' should be seconds \(a float64 scalar\), got float64\[2\]")


def test_string_bnmean(saved):
    rewrite(saved, bnmean=np.array("not numbers"))
    refused(saved, r"'bnmean' should be float32\[1, 8\] batchnorm statistics, got <U11\[\]")


def test_header_claiming_1e11_floats(saved):
    replace_member(saved, "losses.npy", npy_claiming((10**11,)))
    refused(saved, r"entry 'losses' claims 400,000,000,000 bytes of data "
            r"\(float32\[100000000000\]\) but holds 64")


def test_an_extra_1gb_array_is_refused_unread(saved):
    # The header claims 2**28 float32 (1 GiB); the file holds 64 bytes of it. Refused by
    # name before its header is even trusted.
    replace_member(saved, "extra.npy", npy_claiming((1 << 28,)))
    refused(saved, r"unexpected entry 'extra.npy'")


def test_a_known_entry_claiming_1gb_is_refused_from_its_header(saved):
    replace_member(saved, "bnmean.npy", npy_claiming((1 << 28,)))
    refused(saved, r"entry 'bnmean' claims 1,073,741,824 bytes")


def test_an_honest_extra_entry_is_refused_too(saved):
    replace_member(saved, "notes.npy", npy_claiming((2,), "<f4", b"\0" * 8))
    refused(saved, r"unexpected entry 'notes.npy'")


def test_a_huge_string_is_refused_from_its_header(saved):
    # a config string claiming 100 million characters
    replace_member(saved, "config.npy", npy_claiming((), "<U100000000"))
    refused(saved, r"entry 'config' claims 400,000,000 bytes")


@pytest.mark.parametrize("key, value, message", [
    ("bnmean", np.full((1, 8), np.nan, np.float32), "'bnmean' holds NaN or infinity"),
    ("bnvar", np.full((1, 8), -1.0, np.float32), "'bnvar' holds a negative variance"),
    ("bnvar", np.full((1, 8), np.inf, np.float32), "'bnvar' holds NaN or infinity"),
    ("losses", np.full(4, np.nan, np.float32), "'losses' holds NaN or infinity"),
    ("elapsed", np.array(-3.0), "'elapsed' is negative"),
    ("step", np.array(2.5), r"'step' should be an integer, got float64\[\]"),
    ("data_sha256", np.array("xyz"), "'data_sha256' is not a sha256"),
    ("param.b1", np.zeros(8, np.float64), r"'param.b1' should be float32\[8\] for this config"),
])
def test_values_are_checked_field_by_field(saved, key, value, message):
    rewrite(saved, **{key: value})
    refused(saved, message)


@pytest.mark.parametrize("key, value", [
    ("bnmean", np.full((1, 8), np.nan, np.float32)),
    ("bnvar", np.full((1, 8), -1.0, np.float32)),
])
def test_sample_refuses_bad_batchnorm_statistics_instead_of_blank_names(saved, capsys, key,
                                                                         value):
    # Before: NaN bnmean or negative bnvar sampled 20 blank names with exit status 0.
    rewrite(saved, **{key: value})
    import os

    assert main(["sample", "-o", os.path.dirname(saved)]) == 1
    captured = capsys.readouterr()
    assert captured.out == "" and f"'{key}'" in captured.err
