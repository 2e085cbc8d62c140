"""Checkpoints: one ``.npz`` file per work dir, written atomically, read without pickle.

Contents: the parameters (``param.<name>``), the step, the per-step losses, the batch RNG
state and the run's config and vocabulary (JSON strings), and, once training has finished,
the calibrated batchnorm statistics. Everything is a plain numeric or string array, so
``np.load(..., allow_pickle=False)`` reads it and no code runs while loading.
"""

import json
import os
import tempfile
import zipfile
from dataclasses import dataclass, fields

import numpy as np

from ninjagrad.errors import CheckpointError, NinjagradError
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


def _umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask


def save_checkpoint(path, config, vocab, state, bnmean=None, bnvar=None):
    """Write the checkpoint atomically (``write_atomically``)."""
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
    write_atomically(path, lambda f: np.savez(f, **arrays), "checkpoint")


def write_atomically(path, write, what):
    """Call ``write(f)`` on a temporary binary file beside ``path``, then rename it over
    ``path``: a crash or Ctrl-C while writing never leaves a half-written file, and the old
    one stays until the new one is complete. ``what`` names the file in errors."""
    directory = os.path.dirname(os.path.abspath(path))
    try:
        os.makedirs(directory, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{os.path.basename(path)}-",
                                   suffix=".tmp")
    except OSError as exc:
        raise CheckpointError(f"cannot write a {what} in {directory}: {exc.strerror}") from None
    try:
        os.fchmod(fd, 0o666 & ~_umask())  # mkstemp makes it private; ours are not
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException as exc:
        if os.path.exists(tmp):
            os.unlink(tmp)
        if isinstance(exc, OSError):  # disk full, path taken by a directory, ...
            reason = exc.strerror or exc
            raise CheckpointError(f"cannot write the {what} {path}: {reason}") from None
        raise


def load_checkpoint(path):
    """Read and validate a checkpoint; raise CheckpointError saying what is wrong."""
    if not os.path.exists(path):
        raise CheckpointError(f"no checkpoint at {path} (train one first with 'ninjagrad train')")
    # np.load reads anything that is not a zip archive as a pickle (and refuses it), which
    # would call a text file "pickled"; a checkpoint is always an .npz (zip) archive.
    if os.path.isdir(path) or not zipfile.is_zipfile(path):
        raise CheckpointError(f"{path}: not a readable checkpoint (not an .npz archive)")
    try:
        with np.load(path, allow_pickle=False) as npz:
            arrays = {key: npz[key] for key in npz.files}
    except ValueError as exc:
        if "pickle" in str(exc):
            raise CheckpointError(f"{path}: holds pickled objects; refusing to load it") from None
        raise CheckpointError(f"{path}: not a readable checkpoint ({exc})") from None
    except (OSError, zipfile.BadZipFile, EOFError) as exc:
        raise CheckpointError(f"{path}: not a readable checkpoint ({exc})") from None

    def need(key):
        if key not in arrays:
            raise CheckpointError(f"{path}: missing '{key}' (not a ninjagrad checkpoint?)")
        return arrays[key]

    def text(key):
        value = need(key)
        if value.dtype.kind != "U" or value.shape != ():
            raise CheckpointError(f"{path}: '{key}' should be a string")
        return str(value)

    if text("format") != FORMAT:
        raise CheckpointError(f"{path}: unknown format {text('format')!r}, expected {FORMAT!r}")
    try:
        config_dict = json.loads(text("config"))
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

    step = need("step")
    if step.shape != () or step.dtype.kind != "i" or not 0 <= int(step) <= config.max_steps:
        raise CheckpointError(f"{path}: step must be an integer in 0..{config.max_steps}")
    step = int(step)
    losses = need("losses")
    if losses.shape != (step,) or losses.dtype.kind != "f":
        raise CheckpointError(f"{path}: expected {step} float losses, got shape {losses.shape}")

    shapes = config.model_config(vocab.size).shapes()
    params = {}
    for name in PARAM_NAMES:
        p = need(f"param.{name}")
        if p.shape != shapes[name] or p.dtype != np.float32:
            raise CheckpointError(
                f"{path}: parameter {name} is {p.dtype}{list(p.shape)}, "
                f"expected float32{list(shapes[name])} for this config"
            )
        if not np.isfinite(p).all():
            raise CheckpointError(f"{path}: parameter {name} holds NaN or infinity")
        params[name] = np.ascontiguousarray(p)
    bnmean = bnvar = None
    if "bnmean" in arrays:
        bnmean, bnvar = need("bnmean"), need("bnvar")
        expected = shapes["bngain"]
        if bnmean.shape != expected or bnvar.shape != expected:
            raise CheckpointError(f"{path}: batchnorm statistics should have shape {expected}")
    elapsed = float(arrays.get("elapsed", 0.0))
    state = TrainState(params, rng, step, losses.astype(np.float32), elapsed)
    return Checkpoint(config, vocab, state, bnmean, bnvar)
