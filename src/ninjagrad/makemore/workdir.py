"""A training run in a work directory, end to end: what ``ninjagrad train`` does.

The work dir holds ``model.npz`` (checkpoint), ``metrics.json``, ``loss.png`` (log10 loss
and its running mean) and ``dlogits.png`` (dlogits of one batch). ``run`` starts a fresh
run or resumes one, trains, saves a checkpoint on Ctrl-C, and at the end calibrates
batchnorm, evaluates the three splits and samples words.
"""

import functools
import json
import os
import sys
from dataclasses import dataclass, fields, replace

import numpy as np

from ninjagrad.errors import CheckpointError, NinjagradError
from ninjagrad.makemore import manual
from ninjagrad.makemore.checkpoint import (
    checkpoint_path,
    load_checkpoint,
    save_checkpoint,
    write_atomically,
)
from ninjagrad.makemore.data import load_dataset
from ninjagrad.makemore.model import calibrate_batchnorm, count_parameters, split_loss
from ninjagrad.makemore.sample import sample_words
from ninjagrad.makemore.train import TrainConfig, TrainState, train

METRICS_NAME = "metrics.json"
LOSS_PLOT_NAME = "loss.png"
DLOGITS_PLOT_NAME = "dlogits.png"
DLOGITS_ROWS = 64
CHECKPOINT_EVERY = 20_000  # ~9 ms per save: 0.3% of a 200,000-step run
SAMPLE_SEED_OFFSET = 10  # the lecture samples with seed + 10
# Settings that define the model and data: a resumed run must keep them.
FIXED_ON_RESUME = ("input_file", "n_embd", "n_hidden", "block_size", "batch_size",
                   "learning_rate", "seed")


@dataclass
class RunResult:
    """What a finished (or interrupted) run reports."""

    finished: bool
    step: int
    losses: dict  # split -> loss (empty when interrupted)
    samples: list
    steps_per_second: float
    checkpoint: str

    def __repr__(self):
        return f"RunResult(finished={self.finished}, step={self.step}, losses={self.losses})"


def _absolute(path):
    return None if path is None else os.path.abspath(path)


def prepare(work_dir, settings, resume):
    """(config, dataset, state) for a fresh run (``settings`` override the defaults) or a
    resumed one (``settings`` may change only ``max_steps`` and ``backward``)."""
    settings = {k: v for k, v in settings.items() if v is not None}
    if "input_file" in settings:
        settings["input_file"] = _absolute(settings["input_file"])
    if not resume:
        config = TrainConfig(**settings).validate()
        dataset = load_dataset(config.input_file, config.block_size)
        return config, dataset, TrainState.fresh(config, dataset.vocab.size)

    ckpt = load_checkpoint(checkpoint_path(work_dir))
    for key in FIXED_ON_RESUME:
        saved = getattr(ckpt.config, key)
        if key in settings and settings[key] != saved:
            flag = "-i" if key == "input_file" else "--" + key.replace("_", "-")
            raise CheckpointError(
                f"{flag} {settings[key]} differs from the checkpoint's "
                f"{'built-in names' if saved is None else saved}; drop it to resume, "
                "or train into a new -o"
            )
    config = replace(ckpt.config, **{k: v for k, v in settings.items()
                                     if k in ("max_steps", "backward")}).validate()
    if ckpt.state.step > config.max_steps:
        raise NinjagradError(
            f"the checkpoint is at step {ckpt.state.step}, beyond --max-steps {config.max_steps}"
        )
    dataset = load_dataset(config.input_file, config.block_size)
    if dataset.vocab != ckpt.vocab:
        raise CheckpointError(
            f"the vocabulary of {dataset.source} differs from the checkpoint's "
            "(has the input file changed?)"
        )
    return config, dataset, ckpt.state


def check_work_dir(work_dir):
    """Create ``work_dir`` if needed and make sure a checkpoint can go there, so a bad -o
    fails before training instead of losing the run when it is saved."""
    try:
        os.makedirs(work_dir, exist_ok=True)
    except FileExistsError:
        raise NinjagradError(f"work dir {work_dir} is a file, not a directory") from None
    except OSError as exc:
        raise NinjagradError(f"cannot create work dir {work_dir}: {exc.strerror}") from None
    if not os.access(work_dir, os.W_OK | os.X_OK):
        raise NinjagradError(f"work dir {work_dir} is not writable")
    if os.path.isdir(checkpoint_path(work_dir)):
        raise NinjagradError(f"{checkpoint_path(work_dir)} is a directory, not a checkpoint")


def run(work_dir, settings=None, resume=False, *, on_step=None, progress=True, n_samples=20,
        log=None):
    """Train in ``work_dir`` and return a RunResult; see the module docstring.

    ``log`` receives each line of the report (default: print, flushed at once so a pipe
    sees the progress as it happens).
    """
    if log is None:
        log = functools.partial(print, flush=True)
    config, dataset, state = prepare(work_dir, settings or {}, resume)
    check_work_dir(work_dir)
    path = checkpoint_path(work_dir)
    start_step, elapsed_before = state.step, state.elapsed
    log(f"data: {dataset.source}: {dataset.n_words:,} words, vocabulary of {dataset.vocab.size}, "
        f"{len(dataset.Ytr):,}/{len(dataset.Ydev):,}/{len(dataset.Yte):,} train/val/test examples")
    log(f"model: {count_parameters(state.params):,} parameters, n_embd {config.n_embd}, "
        f"n_hidden {config.n_hidden}, block_size {config.block_size}; "
        f"{config.backward} backward, batch {config.batch_size}, lr {config.learning_rate:g} "
        f"(/10 from step {config.max_steps // 2:,}), seed {config.seed}")
    if resume:
        log(f"resuming {path} at step {start_step:,} of {config.max_steps:,}")
    elif os.path.exists(path):
        log(f"note: starting afresh over the run in {work_dir} (--resume continues it instead)")

    def save(s):
        save_checkpoint(path, config, dataset.vocab, s)

    finished = train(state, dataset, config, on_step=on_step, on_checkpoint=save,
                     checkpoint_every=CHECKPOINT_EVERY, progress=progress)
    # Saved at once, finished or not: a Ctrl-C during the evaluation below must not lose
    # the steps just trained (--resume then only evaluates).
    save(state)
    session = state.elapsed - elapsed_before
    rate = (state.step - start_step) / session if session > 0 else float("nan")
    if not finished:
        log(f"stopped at step {state.step:,}; checkpoint saved to {path}")
        log(f"continue with: ninjagrad train -o {work_dir} --resume")
        return RunResult(False, state.step, {}, [], rate, path)

    bnmean, bnvar = calibrate_batchnorm(state.params, dataset.Xtr)
    save_checkpoint(path, config, dataset.vocab, state, bnmean, bnvar)
    losses = {split: split_loss(state.params, bnmean, bnvar, *dataset.split(split))
              for split in ("train", "val", "test")}
    rng = np.random.default_rng(config.seed + SAMPLE_SEED_OFFSET)
    samples = sample_words(state.params, bnmean, bnvar, dataset.vocab, config.block_size,
                           n_samples, rng)
    metrics = {
        "config": config.asdict(),
        "seed": config.seed,
        "steps": state.step,
        "train_loss": losses["train"],
        "val_loss": losses["val"],
        "test_loss": losses["test"],
        "steps_per_second": rate,
        "training_seconds": state.elapsed,
        "n_parameters": count_parameters(state.params),
        "vocab": "".join(dataset.vocab.itos),
        "data": {"source": dataset.source, "words": dataset.n_words,
                 "examples": [len(dataset.Ytr), len(dataset.Ydev), len(dataset.Yte)]},
    }
    text = json.dumps(metrics, indent=2) + "\n"
    write_atomically(os.path.join(work_dir, METRICS_NAME), lambda f: f.write(text.encode()),
                     "metrics file")
    write_plots(work_dir, state, dataset, config)

    if state.step > start_step:
        log(f"trained {state.step - start_step:,} steps in {session:.1f} s ({rate:,.0f} steps/s)")
    for split, value in losses.items():
        log(f"{split} loss {value:.4f}")
    log(f"{len(samples)} samples:")
    for word in samples:
        log(word)
    return RunResult(True, state.step, losses, samples, rate, path)


def write_plots(work_dir, state, dataset, config):
    """loss.png and dlogits.png (dlogits of the first training examples, one batch of at
    most DLOGITS_ROWS: more rows than that cannot be told apart in a picture)."""
    from ninjagrad.draw import plots

    plots.plot_loss(state.losses[: state.step], os.path.join(work_dir, LOSS_PLOT_NAME))
    rows = min(config.batch_size, DLOGITS_ROWS)
    Xb, Yb = dataset.Xtr[:rows], dataset.Ytr[:rows]
    if len(Yb) >= 2:
        _, cache = manual.forward(state.params, Xb, Yb)
        dlogits = manual.backward(state.params, cache, Xb, Yb)["logits"]
        plots.plot_dlogits(dlogits, os.path.join(work_dir, DLOGITS_PLOT_NAME),
                           itos=dataset.vocab.itos)


def settings_from_args(args):
    """The TrainConfig fields given on the command line (None where not given)."""
    return {f.name: getattr(args, f.name, None) for f in fields(TrainConfig)}


def load_for_sampling(work_dir, log=None):
    """(checkpoint, bnmean, bnvar) for sampling; calibrates batchnorm from the data when the
    run was interrupted before it finished (and says so on stderr, away from the words)."""
    if log is None:
        log = functools.partial(print, file=sys.stderr)
    ckpt = load_checkpoint(checkpoint_path(work_dir))
    if ckpt.calibrated:
        return ckpt, ckpt.bnmean, ckpt.bnvar
    try:
        dataset = load_dataset(ckpt.config.input_file, ckpt.config.block_size)
    except NinjagradError as exc:
        raise NinjagradError(
            f"the run stopped at step {ckpt.state.step:,} before batchnorm was calibrated, "
            f"which needs its training data: {exc}"
        ) from None
    log(f"note: training stopped at step {ckpt.state.step:,}; calibrating batchnorm now")
    bnmean, bnvar = calibrate_batchnorm(ckpt.state.params, dataset.Xtr)
    return ckpt, bnmean, bnvar
