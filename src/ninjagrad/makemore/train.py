"""Exercise 4: train the names MLP, with the hand-written backward or with autograd.

The training state (parameters, step, batch RNG, per-step losses) is everything needed to
continue a run bit for bit: a run interrupted at step k and resumed from its checkpoint
reaches exactly the weights of an uninterrupted run with the same seed.
"""

import contextlib
import math
import os
import signal
import threading
from dataclasses import asdict, dataclass, field

import numpy as np

import ninjagrad
from ninjagrad import functional as F
from ninjagrad.errors import NinjagradError
from ninjagrad.makemore import manual
from ninjagrad.makemore.model import ModelConfig, batch_norm_autograd, forward, init_params

BACKWARDS = ("manual", "autograd")
# Inclusive ranges of the integer settings. Batchnorm divides by n - 1, so a batch needs 2
# rows; the losses are kept for every step (4 bytes each), so max_steps stays bounded.
LIMITS = {"n_embd": (1, 4096), "n_hidden": (1, 65536), "block_size": (1, 256),
          "batch_size": (2, 65536), "max_steps": (0, 100_000_000)}


@dataclass
class TrainConfig:
    """Settings of a training run; the defaults are the lecture's."""

    input_file: str | None = None  # None: the built-in names list
    n_embd: int = 10
    n_hidden: int = 200
    block_size: int = 3
    batch_size: int = 32
    learning_rate: float = 0.1  # divided by 10 from half-way (max_steps // 2)
    max_steps: int = 200_000
    seed: int = 2147483647
    backward: str = "manual"

    def validate(self):
        """Raise NinjagradError naming the first invalid setting."""
        for name, (low, high) in LIMITS.items():
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
                flag = "--" + name.replace("_", "-")
                raise NinjagradError(f"{flag} must be {low:,}..{high:,}, got {value!r}")
        lr = self.learning_rate
        if not isinstance(lr, (int, float)) or not math.isfinite(lr) or lr <= 0:
            raise NinjagradError(f"--learning-rate must be a positive number, got {lr!r}")
        if not isinstance(self.seed, int) or self.seed < 0:
            raise NinjagradError(f"--seed must be a non-negative integer, got {self.seed!r}")
        if self.backward not in BACKWARDS:
            raise NinjagradError(f"--backward must be one of {', '.join(BACKWARDS)}")
        return self

    def model_config(self, vocab_size):
        return ModelConfig(vocab_size, self.n_embd, self.n_hidden, self.block_size)

    def learning_rate_at(self, step):
        """The lecture's schedule: lr until half-way, then lr / 10."""
        return self.learning_rate if step < self.max_steps // 2 else self.learning_rate / 10

    def asdict(self):
        return asdict(self)


EVAL_CHUNK_BYTES = 1 << 28  # evaluation and calibration run in chunks of at most ~256 MB


def eval_chunk(config, vocab_size):
    """Rows per chunk when evaluating or calibrating: the chunk's widest float64 activation
    stays under EVAL_CHUNK_BYTES, whatever the sizes."""
    widest = max(config.n_embd * config.block_size, config.n_hidden, vocab_size)
    return max(1, min(65536, EVAL_CHUNK_BYTES // (8 * widest)))


def estimate_memory(config, vocab_size, n_examples):
    """Bytes a run with these settings needs at its peak, estimated from the sizes alone,
    before anything is allocated: the examples (int64), the float32 parameters three times
    over (weights, gradients, the update), one batch's activations and their gradients,
    one evaluation chunk in float64 and the per-step losses."""
    e, h, b, v = config.n_embd, config.n_hidden, config.block_size, vocab_size
    n_params = v * e + e * b * h + h + h * v + v + 2 * h
    batch = config.batch_size * (2 * e * b + 8 * h + 4 * v) * 4
    chunk = eval_chunk(config, v) * (e * b + 3 * h + 2 * v) * 8
    return (n_examples * (b + 1) * 8 + 3 * n_params * 4 + batch + chunk
            + config.max_steps * 4)


def total_memory():
    """This machine's physical memory in bytes (None where the system does not say)."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return None


def check_memory(config, vocab_size, n_examples):
    """Refuse settings that cannot fit in this machine's memory, with the figures, instead
    of failing on an allocation half-way (``--n-embd 4096 --block-size 256 --n-hidden
    65536`` is within every flag's range and needs over a terabyte)."""
    need, have = estimate_memory(config, vocab_size, n_examples), total_memory()
    if have is not None and need > have:
        raise NinjagradError(
            f"these settings need about {_gb(need)} of memory ({count_of(config, vocab_size):,} "
            f"parameters, {n_examples:,} examples of {config.block_size} characters), more "
            f"than this machine's {_gb(have)}; lower --n-hidden, --n-embd, --block-size or "
            "--batch-size"
        )
    return need


def count_of(config, vocab_size):
    """The number of parameters of the model these settings build."""
    return sum(math.prod(s) for s in config.model_config(vocab_size).shapes().values())


def _gb(n):
    return f"{n / 1e9:,.1f} GB"


@dataclass
class TrainState:
    """Everything that changes during training."""

    params: dict
    rng: np.random.Generator  # draws the init, then every batch (as the lecture's g)
    step: int = 0
    losses: np.ndarray = field(default_factory=lambda: np.zeros(0, np.float32))
    elapsed: float = 0.0  # seconds spent in training steps in this process
    stop_signal: int | None = None  # the signal that stopped training, if one did

    @classmethod
    def fresh(cls, config, vocab_size):
        rng = np.random.default_rng(config.seed)
        params = init_params(config.model_config(vocab_size), rng)
        return cls(params, rng)

    def __repr__(self):
        return f"TrainState(step={self.step}, params={sorted(self.params)})"


def manual_step_fn(params):
    """One SGD step with the hand-written backward (exercises 2-4); no graph is built."""
    forward, backward = manual.forward, manual.backward
    items = [(name, params[name]) for name in params]

    def step(Xb, Yb, lr):
        loss, cache = forward(params, Xb, Yb)
        grads = backward(params, cache, Xb, Yb)
        for name, p in items:
            p -= lr * grads[name]
        return loss

    return step


def autograd_step_fn(params):
    """One SGD step through ninjagrad Tensors and ``loss.backward()``: the model's forward
    on Tensors, with ``F.batch_norm`` as its batchnorm and ``F.cross_entropy``.

    The Tensors share storage with ``params``, so the numpy arrays (and the checkpoint)
    see every update.
    """
    P = {name: ninjagrad.tensor(p, requires_grad=True) for name, p in params.items()}
    for name, t in P.items():
        params[name] = t.detach().numpy()  # in case tensor() copied: from now on, one storage
    tensors = list(P.values())
    arrays = [params[name] for name in P]

    def step(Xb, Yb, lr):
        logits, _ = forward(P, Xb, batch_norm_autograd, ninjagrad.tanh)
        loss = F.cross_entropy(logits, ninjagrad.tensor(Yb))
        for t in tensors:
            t.grad = None
        loss.backward()
        for t, array in zip(tensors, arrays, strict=True):
            array -= lr * t.grad.numpy()
        return loss.item()

    return step


# The signals that ask a run to stop: Ctrl-C, `kill`/`timeout`/docker/systemd, a closed
# terminal. Each finishes the current step and saves; the exit status is 128 + the number.
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


class NonFiniteLoss(NinjagradError):
    """The loss became NaN or infinite: the weights are ruined from this step on."""

    def __init__(self, step, loss):
        super().__init__(f"the loss became {loss} at step {step:,}")
        self.step, self.loss = step, loss


class StopRequest:
    """Turns the first SIGINT, SIGTERM or SIGHUP into a request to stop after the current
    step, so the checkpoint never holds half-updated weights. A second Ctrl-C interrupts at
    once; a second SIGTERM or SIGHUP kills the process as it normally would."""

    def __init__(self):
        self.requested = False
        self.signum = None  # the signal that asked, once one has
        self._previous = {}

    def __enter__(self):
        if threading.current_thread() is threading.main_thread():
            for signum in STOP_SIGNALS:
                self._previous[signum] = signal.signal(signum, self._handle)
        return self

    def _handle(self, signum, frame):
        self.requested, self.signum = True, signum
        for other in STOP_SIGNALS:
            signal.signal(other, signal.default_int_handler if other == signal.SIGINT
                          else signal.SIG_DFL)

    def __exit__(self, *exc):
        for signum, previous in self._previous.items():
            signal.signal(signum, previous)
        self._previous = {}  # so that leaving twice is harmless

    def __repr__(self):
        return f"StopRequest(requested={self.requested}, signum={self.signum})"


def train(state, dataset, config, *, on_step=None, on_checkpoint=None, checkpoint_every=0,
          progress=False, stop=None):
    """Run SGD from ``state.step`` up to ``config.max_steps``; return True when it finished,
    False when stopped early (a stop signal, then ``state.stop_signal`` is its number, or
    ``on_step(step, loss)`` returning True).

    ``stop`` is a StopRequest already listening (a caller that also wants the signals that
    arrive before training starts); by default ``train`` listens while it runs.

    ``on_checkpoint(state)`` is called every ``checkpoint_every`` steps (0: never). A loss
    that is not finite raises ``NonFiniteLoss`` at once, before ``state`` takes that step,
    so nothing saved afterwards holds the ruined weights (the caller must not save them).
    """
    import time

    isfinite = math.isfinite

    Xtr, Ytr = dataset.Xtr, dataset.Ytr
    ntr, batch = len(Ytr), config.batch_size
    if ntr < 1:
        raise NinjagradError("the training split is empty")
    if len(state.losses) < config.max_steps:
        state.losses = np.concatenate(
            [state.losses, np.zeros(config.max_steps - len(state.losses), np.float32)]
        )
    step_fn = (manual_step_fn if config.backward == "manual" else autograd_step_fn)(state.params)
    rng, losses = state.rng, state.losses
    half, lr_hi, lr_lo = config.max_steps // 2, config.learning_rate, config.learning_rate / 10
    bar = None
    report_every = 100
    stopped = False
    # From here a stop signal asks to stop after the current step, also while the bar loads
    # (a second or more on a busy machine), so a run stopped that early still saves its step.
    # numpy's overflow warnings would bury the one-line report of a diverging loss; the
    # loss check below is what detects divergence.
    with contextlib.nullcontext(stop) if stop is not None else StopRequest() as stop, \
            np.errstate(over="ignore", invalid="ignore"):
        if progress and state.step < config.max_steps:
            bar = _progress_bar(state.step, config.max_steps)
        start = time.perf_counter()
        try:
            for i in range(state.step, config.max_steps):
                ix = rng.integers(0, ntr, batch)
                loss = step_fn(Xtr[ix], Ytr[ix], lr_hi if i < half else lr_lo)
                if not isfinite(loss):
                    raise NonFiniteLoss(i + 1, loss)
                losses[i] = loss
                state.step = i + 1
                if bar is not None and state.step % report_every == 0:
                    bar.update(report_every)
                    bar.set_postfix_str(f"loss {loss:.4f}", refresh=False)
                if stop.requested or (on_step is not None and on_step(state.step, loss)):
                    stopped = True
                    state.stop_signal = stop.signum
                    break
                if checkpoint_every and on_checkpoint and state.step % checkpoint_every == 0:
                    on_checkpoint(state)
        finally:
            state.elapsed += time.perf_counter() - start
            if bar is not None:
                bar.update(state.step - bar.n)
                bar.close()
    return not stopped


def _progress_bar(initial, total):
    from tqdm.auto import tqdm

    return tqdm(total=total, initial=initial, unit="step", mininterval=0.5, smoothing=0.05,
                dynamic_ncols=True, leave=True)
