"""A training run in a work directory, end to end: what ``ninjagrad train`` does.

The work dir holds ``model.npz`` (checkpoint), ``metrics.json``, ``loss.png`` (log10 loss
and its running mean) and ``dlogits.png`` (dlogits of one batch), and ``train.lock`` while
a run trains there. ``run`` starts a fresh run or resumes one, trains, saves a checkpoint
on SIGINT, SIGTERM or SIGHUP, and at the end calibrates batchnorm, evaluates the three
splits, samples words, writes the other files and lists them.

Faults are handled here: settings too big for the machine are refused before allocating,
a resumed run checks that its data did not change, a second run into a busy work dir is
refused (``lock``), a diverging loss stops the run without saving it, and a file that
cannot be written after training is a warning, not a lost run.
"""

import functools
import glob
import json
import math
import os
import signal
import sys
from dataclasses import dataclass, field, fields, replace

import numpy as np

from ninjagrad.errors import CheckpointError, NinjagradError
from ninjagrad.files import temporary_pattern, write_atomically
from ninjagrad.makemore import manual
from ninjagrad.makemore.checkpoint import (
    CHECKPOINT_NAME,
    checkpoint_path,
    load_checkpoint,
    save_checkpoint,
)
from ninjagrad.makemore.data import load_dataset
from ninjagrad.makemore.lock import WorkDirLock
from ninjagrad.makemore.model import calibrate_batchnorm, count_parameters, split_loss
from ninjagrad.makemore.sample import sample_words
from ninjagrad.makemore.train import (
    NonFiniteLoss,
    StopRequest,
    TrainConfig,
    TrainState,
    check_memory,
    eval_chunk,
    train,
)

METRICS_NAME = "metrics.json"
LOSS_PLOT_NAME = "loss.png"
DLOGITS_PLOT_NAME = "dlogits.png"
# Every file a run writes, with what it is (printed at the end of a run).
OUTPUT_NAMES = {CHECKPOINT_NAME: "checkpoint (--resume, ninjagrad sample/export)",
                METRICS_NAME: "losses, settings and speed",
                LOSS_PLOT_NAME: "loss curve",
                DLOGITS_PLOT_NAME: "dlogits of one batch"}
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
    stop_signal: int | None = None  # the signal that stopped the run early, if one did
    written: list = field(default_factory=list)  # paths of the files this run wrote

    def __repr__(self):
        return f"RunResult(finished={self.finished}, step={self.step}, losses={self.losses})"


def _absolute(path):
    return None if path is None else os.path.abspath(path)


def prepare(work_dir, settings, resume, allow_data_change=False, log=print):
    """(config, dataset, state) for a fresh run (``settings`` override the defaults) or a
    resumed one (``settings`` may change only ``max_steps`` and ``backward``).

    Settings that would not fit in memory are refused before anything big is allocated.
    A resumed run whose input file changed since the checkpoint is refused unless
    ``allow_data_change``.
    """
    settings = {k: v for k, v in settings.items() if v is not None}
    if "input_file" in settings:
        settings["input_file"] = _absolute(settings["input_file"])
    if not resume:
        config = TrainConfig(**settings).validate()
        dataset = _load_data(config)
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
    dataset = _load_data(config)
    if ckpt.data_sha256 is not None and ckpt.data_sha256 != dataset.sha256:
        change = (f"{dataset.source} has changed since the checkpoint was saved (sha256 "
                  f"{dataset.sha256[:12]}, the checkpoint's {ckpt.data_sha256[:12]})")
        if not allow_data_change:
            raise CheckpointError(f"{change}; resume on the new data with "
                                  "--allow-data-change, or train into a new -o")
        log(f"note: {change}; resuming on the new data (--allow-data-change)")
    if dataset.vocab != ckpt.vocab:
        raise CheckpointError(
            f"the vocabulary of {dataset.source} differs from the checkpoint's "
            "(has the input file changed?)"
        )
    return config, dataset, ckpt.state


def _load_data(config):
    def check(vocab_size, n_examples):
        check_memory(config, vocab_size, n_examples)

    return load_dataset(config.input_file, config.block_size, before_building=check)


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


def sweep_temporaries(work_dir, log):
    """Remove the temporary files a killed save left (``write_atomically`` names them
    ``.<file>-<random>.tmp``). Called with the work dir's lock held, so none is in use."""
    for name in OUTPUT_NAMES:
        pattern = os.path.join(glob.escape(work_dir), temporary_pattern(name))
        for stale in glob.glob(pattern):
            try:
                os.unlink(stale)
            except OSError:
                continue
            log(f"note: removed {stale}, left by a save that was interrupted")


def run(work_dir, settings=None, resume=False, *, allow_data_change=False, on_step=None,
        progress=True, n_samples=20, log=None):
    """Train in ``work_dir`` and return a RunResult; see the module docstring.

    ``log`` receives each line of the report (default: print, flushed at once so a pipe
    sees the progress as it happens).
    """
    if log is None:
        log = functools.partial(print, flush=True)
    # Listening for SIGINT/SIGTERM/SIGHUP from the start: one that arrives while the data
    # loads is honoured after the first step, with a checkpoint, like one during training.
    with StopRequest() as stop:
        config, dataset, state = prepare(work_dir, settings or {}, resume, allow_data_change, log)
        check_work_dir(work_dir)
        with WorkDirLock(work_dir, log):
            sweep_temporaries(work_dir, log)
            return _train_and_report(work_dir, config, dataset, state, resume, on_step,
                                     progress, n_samples, log, stop)


def _train_and_report(work_dir, config, dataset, state, resume, on_step, progress, n_samples,
                      log, stop):
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
    saved_step = start_step if resume else None

    def save(s, bnmean=None, bnvar=None):
        nonlocal saved_step
        save_checkpoint(path, config, dataset.vocab, s, bnmean, bnvar, dataset.sha256)
        saved_step = s.step

    try:
        finished = train(state, dataset, config, on_step=on_step, on_checkpoint=save,
                         checkpoint_every=CHECKPOINT_EVERY, progress=progress, stop=stop)
    except NonFiniteLoss as exc:
        kept = ("no checkpoint of this run was saved" if saved_step is None else
                f"the last good checkpoint, step {saved_step:,}, is kept in {path}")
        raise NinjagradError(
            f"{exc} (learning rate {config.learning_rate:g}); training stopped there "
            f"without saving the ruined weights: {kept}. Try a lower --learning-rate"
        ) from None
    # Saved at once, finished or not: a Ctrl-C during the evaluation below must not lose
    # the steps just trained (--resume then only evaluates).
    save(state)
    session = state.elapsed - elapsed_before
    rate = (state.step - start_step) / session if session > 0 else float("nan")
    stop.__exit__()  # from here on Ctrl-C interrupts at once: the checkpoint is saved
    if not finished:
        how = "" if state.stop_signal is None else f" by {signal.Signals(state.stop_signal).name}"
        log(f"stopped at step {state.step:,}{how}; checkpoint saved to {path}")
        log(f"continue with: ninjagrad train -o {work_dir} --resume")
        return RunResult(False, state.step, {}, [], rate, path, state.stop_signal, [path])

    chunk = eval_chunk(config, dataset.vocab.size)
    bnmean, bnvar = calibrate_batchnorm(state.params, dataset.Xtr, chunk)
    save(state, bnmean, bnvar)
    losses = {split: split_loss(state.params, bnmean, bnvar, *dataset.split(split), chunk)
              for split in ("train", "val", "test")}
    rng = np.random.default_rng(config.seed + SAMPLE_SEED_OFFSET)
    samples = sample_words(state.params, bnmean, bnvar, dataset.vocab, config.block_size,
                           n_samples, rng)
    # The results first: a file that cannot be written below must not hide them.
    if state.step > start_step:
        log(f"trained {state.step - start_step:,} steps in {session:.1f} s ({rate:,.0f} steps/s)")
    for split, value in losses.items():
        log(f"{split} loss {value:.4f}")
    log(f"{len(samples)} samples:")
    for word in samples:
        log(word)

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
        "data": {"source": dataset.source, "words": dataset.n_words, "sha256": dataset.sha256,
                 "examples": [len(dataset.Ytr), len(dataset.Ydev), len(dataset.Yte)]},
    }
    # NaN is not JSON (json.dumps writes a bare NaN that strict readers refuse): null.
    text = json.dumps(_finite_or_none(metrics), indent=2, allow_nan=False) + "\n"
    written = [path]
    for name, write in [(METRICS_NAME, lambda f: f.write(text.encode())),
                        *_plots(state, dataset, config)]:
        target = os.path.join(work_dir, name)
        if _write_output(target, write, log):
            written.append(target)
    log(f"written to {os.path.abspath(work_dir)}:")
    for target in written:
        log(f"  {os.path.basename(target):<13} {OUTPUT_NAMES[os.path.basename(target)]}")
    return RunResult(True, state.step, losses, samples, rate, path, None, written)


def _finite_or_none(value):
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite_or_none(v) for k, v in value.items()}
    return value


def _write_output(path, write, log):
    """Write one result file atomically; a failure is a warning, not the end of the run
    (the checkpoint is saved and the losses are printed already). A symbolic link in the
    way is replaced, never written through. Returns whether the file was written."""
    was_link = os.path.islink(path)
    try:
        write_atomically(path, write, "file", CheckpointError)
    except NinjagradError as exc:
        log(f"warning: {exc}")
        return False
    except Exception as exc:  # a plot failing to render must not lose the run either
        log(f"warning: cannot write {path}: {type(exc).__name__}: {exc}")
        return False
    if was_link:
        log(f"note: {path} was a symbolic link; replaced it with the file (the link's "
            "target is untouched)")
    return True


def _plots(state, dataset, config):
    """(name, write) of loss.png and dlogits.png (dlogits of the first training examples,
    one batch of at most DLOGITS_ROWS: more rows than that cannot be told apart)."""
    from ninjagrad.draw import plots

    def png(make):
        return lambda f: make().savefig(f, format="png", dpi=100)

    yield LOSS_PLOT_NAME, png(lambda: plots.plot_loss(state.losses[: state.step]))
    rows = min(config.batch_size, DLOGITS_ROWS)
    Xb, Yb = dataset.Xtr[:rows], dataset.Ytr[:rows]
    if len(Yb) >= 2:
        def dlogits_figure():
            _, cache = manual.forward(state.params, Xb, Yb)
            dlogits = manual.backward(state.params, cache, Xb, Yb)["logits"]
            return plots.plot_dlogits(dlogits, itos=dataset.vocab.itos)

        yield DLOGITS_PLOT_NAME, png(dlogits_figure)


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
    chunk = eval_chunk(ckpt.config, ckpt.vocab.size)
    bnmean, bnvar = calibrate_batchnorm(ckpt.state.params, dataset.Xtr, chunk)
    return ckpt, bnmean, bnvar
