"""Checkpoints: one ``.npz`` file per work dir, written atomically, read without pickle.

Contents: the parameters (``param.<name>``), the step, the per-step losses, the batch RNG
state and the run's config and vocabulary (JSON strings), and, once training has finished,
the calibrated batchnorm statistics. Everything is a plain numeric or string array, so
``np.load(..., allow_pickle=False)`` reads it and no code runs while loading.
"""

import json
import math
import os
import zipfile
from dataclasses import dataclass, fields

import numpy as np

from ninjagrad.errors import CheckpointError, NinjagradError
from ninjagrad.files import write_atomically
from ninjagrad.makemore.data import Vocabulary
from ninjagrad.makemore.model import PARAM_NAMES
from ninjagrad.makemore.train import TrainConfig, TrainState

FORMAT = "ninjagrad-makemore-checkpoint/1"
CHECKPOINT_NAME = "model.npz"


@dataclass
class Checkpoint:
    """A loaded (and validated) checkpoint."""

    config: TrainConfig
    vocab: Vocabulary
    state: TrainState
    bnmean: np.ndarray | None = None
    bnvar: np.ndarray | None = None
    data_sha256: str | None = None  # of the training data (checkpoints from before: None)

    @property
    def calibrated(self):
        return self.bnmean is not None

    def __repr__(self):
        return (
            f"Checkpoint(step={self.state.step}/{self.config.max_steps}, "
            f"vocab={self.vocab.size}, calibrated={self.calibrated})"
        )


def checkpoint_path(work_dir):
    return os.path.join(work_dir, CHECKPOINT_NAME)


def save_checkpoint(path, config, vocab, state, bnmean=None, bnvar=None, data_sha256=None):
    """Write the checkpoint atomically (``write_atomically``); ``data_sha256`` is the hash
    of the training data, for a resumed run to check it trains on the same words."""
    arrays = {
        "format": np.array(FORMAT),
        "config": np.array(json.dumps(config.asdict())),
        "vocab": np.array(json.dumps(vocab.itos)),
        "step": np.array(state.step, dtype=np.int64),
        "rng_state": np.array(json.dumps(state.rng.bit_generator.state)),
        "losses": np.asarray(state.losses[: state.step], dtype=np.float32),
        "elapsed": np.array(state.elapsed, dtype=np.float64),
    }
    for name in PARAM_NAMES:
        arrays[f"param.{name}"] = state.params[name]
    if bnmean is not None:
        arrays["bnmean"], arrays["bnvar"] = bnmean, bnvar
    if data_sha256 is not None:
        arrays["data_sha256"] = np.array(data_sha256)
    directory = os.path.dirname(os.path.abspath(path))
    try:
        os.makedirs(directory, exist_ok=True)
    except OSError as exc:
        raise CheckpointError(f"cannot write a checkpoint in {directory}: {exc.strerror}") from None
    write_atomically(path, lambda f: np.savez(f, **arrays), "checkpoint", CheckpointError)


# Every entry a checkpoint may hold, besides the parameters ``param.<name>``. The strings
# are JSON or short text; their length is bounded so that a crafted header cannot make the
# reader allocate gigabytes for one of them.
TEXT_ENTRIES = ("format", "config", "vocab", "rng_state", "data_sha256")
MAX_TEXT_CHARS = 1 << 20
OPTIONAL_ENTRIES = ("elapsed", "bnmean", "bnvar", "data_sha256")


def _read_headers(path, zf):
    """name -> (zip member, shape, dtype) for every entry, from the .npy headers alone:
    nothing is allocated for the data yet. Unknown entries, and entries whose header claims
    more bytes than the archive holds for them, are refused here."""
    known = set(TEXT_ENTRIES) | {"step", "losses", "elapsed", "bnmean", "bnvar"}
    known |= {f"param.{name}" for name in PARAM_NAMES}
    if "format.npy" not in zf.namelist():
        raise CheckpointError(f"{path}: missing 'format' (not a ninjagrad checkpoint?)")
    headers = {}
    for info in zf.infolist():
        name = info.filename[:-4] if info.filename.endswith(".npy") else info.filename
        if name not in known or name in headers:
            raise CheckpointError(f"{path}: unexpected entry {info.filename!r}; "
                                  "refusing a checkpoint with entries ninjagrad does not write")
        with zf.open(info) as f:
            version = np.lib.format.read_magic(f)
            read_header = (np.lib.format.read_array_header_1_0 if version == (1, 0)
                           else np.lib.format.read_array_header_2_0)
            shape, _, dtype = read_header(f)
            header_size = f.tell()
        if dtype.hasobject:
            raise CheckpointError(f"{path}: holds pickled objects; refusing to load it")
        claimed = math.prod(shape) * dtype.itemsize
        if claimed > info.file_size - header_size:
            raise CheckpointError(
                f"{path}: entry '{name}' claims {claimed:,} bytes of data "
                f"({dtype}{list(shape)}) but holds {info.file_size - header_size:,}"
            )
        headers[name] = (info, shape, dtype)
    return headers


def load_checkpoint(path):
    """Read and validate a checkpoint; raise CheckpointError saying what is wrong.

    Every entry is checked from its header (name, dtype, shape, so its size) before its
    data is read, then its values (finite, in range): a crafted file is refused with the
    field's name, never loaded in full or reached by the code that uses it.
    """
    if not os.path.exists(path):
        raise CheckpointError(f"no checkpoint at {path} (train one first with 'ninjagrad train')")
    # np.load reads anything that is not a zip archive as a pickle (and refuses it), which
    # would call a text file "pickled"; a checkpoint is always an .npz (zip) archive.
    if os.path.isdir(path) or not zipfile.is_zipfile(path):
        raise CheckpointError(f"{path}: not a readable checkpoint (not an .npz archive)")
    try:
        with zipfile.ZipFile(path) as zf:
            return _load(path, zf)
    except ValueError as exc:  # a malformed .npy header
        raise CheckpointError(f"{path}: not a readable checkpoint ({exc})") from None
    except (OSError, zipfile.BadZipFile, EOFError) as exc:
        raise CheckpointError(f"{path}: not a readable checkpoint ({exc})") from None


def _load(path, zf):
    headers = _read_headers(path, zf)

    def read(key, kinds, shape, what):
        """The entry's array, once its header shows dtype kind in ``kinds`` and ``shape``."""
        if key not in headers:
            raise CheckpointError(f"{path}: missing '{key}' (not a ninjagrad checkpoint?)")
        info, got_shape, dtype = headers[key]
        if dtype.kind not in kinds or got_shape != shape:
            raise CheckpointError(
                f"{path}: '{key}' should be {what}, got {dtype}{list(got_shape)}")
        with zf.open(info) as f:
            return np.lib.format.read_array(f, allow_pickle=False)

    def text(key):
        info, shape, dtype = headers.get(key, (None, (), np.dtype("U1")))
        if dtype.kind == "U" and dtype.itemsize > 4 * MAX_TEXT_CHARS:
            raise CheckpointError(f"{path}: '{key}' is a string of {dtype.itemsize // 4:,} "
                                  f"characters; at most {MAX_TEXT_CHARS:,} expected")
        return str(read(key, "U", (), "a string"))

    def floats(key, shape, what, dtype=np.float32):
        value = read(key, "f", shape, what)
        if value.dtype != dtype:
            raise CheckpointError(
                f"{path}: '{key}' should be {what}, got {value.dtype}{list(shape)}")
        if not np.isfinite(value).all():
            raise CheckpointError(f"{path}: '{key}' holds NaN or infinity")
        return value

    if text("format") != FORMAT:
        raise CheckpointError(f"{path}: unknown format {text('format')!r}, expected {FORMAT!r}")
    try:
        config_dict = json.loads(text("config"))
        if not isinstance(config_dict, dict):
            raise CheckpointError(f"{path}: invalid config: not a JSON object")
        known = {f.name for f in fields(TrainConfig)}
        unknown = set(config_dict) - known
        if unknown:
            raise CheckpointError(f"{path}: unknown config keys {sorted(unknown)}")
        config = TrainConfig(**config_dict).validate()
        vocab = Vocabulary(json.loads(text("vocab")))
        rng = np.random.Generator(np.random.PCG64())
        rng.bit_generator.state = json.loads(text("rng_state"))
    except CheckpointError:
        raise
    except (ValueError, TypeError, KeyError, NinjagradError) as exc:
        raise CheckpointError(f"{path}: invalid config, vocabulary or RNG state: {exc}") from None

    step = read("step", "i", (), "an integer")
    if not 0 <= int(step) <= config.max_steps:
        raise CheckpointError(f"{path}: step must be an integer in 0..{config.max_steps}")
    step = int(step)
    losses = floats("losses", (step,), f"{step} float32 losses")

    shapes = config.model_config(vocab.size).shapes()
    params = {}
    for name in PARAM_NAMES:
        p = floats(f"param.{name}", shapes[name], f"float32{list(shapes[name])} for this config")
        params[name] = np.ascontiguousarray(p)
    bnmean = bnvar = None
    if "bnmean" in headers or "bnvar" in headers:
        what = f"float32{list(shapes['bngain'])} batchnorm statistics"
        bnmean = floats("bnmean", shapes["bngain"], what)
        bnvar = floats("bnvar", shapes["bngain"], what)
        if (bnvar < 0).any():
            raise CheckpointError(f"{path}: 'bnvar' holds a negative variance")
    elapsed = 0.0
    if "elapsed" in headers:
        elapsed = float(floats("elapsed", (), "seconds (a float64 scalar)", np.float64))
        if elapsed < 0:
            raise CheckpointError(f"{path}: 'elapsed' is negative")
    data_sha256 = None
    if "data_sha256" in headers:
        data_sha256 = text("data_sha256")
        if len(data_sha256) != 64 or any(c not in "0123456789abcdef" for c in data_sha256):
            raise CheckpointError(f"{path}: 'data_sha256' is not a sha256 in hex")
    state = TrainState(params, rng, step, losses.astype(np.float32), elapsed)
    return Checkpoint(config, vocab, state, bnmean, bnvar, data_sha256)
