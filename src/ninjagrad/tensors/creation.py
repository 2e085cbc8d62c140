"""Making tensors: ``tensor``, ``zeros``/``ones``/``arange``..., the seedable ``Generator``,
random constructors and ``multinomial``, plus ``allclose`` (PyTorch's names)."""

import builtins

import numpy as np

from ninjagrad.tensors import dtypes
from ninjagrad.tensors.device import as_device
from ninjagrad.tensors.dtypes import as_dtype
from ninjagrad.tensors.tensor import Tensor, _wrap


def tensor(data, dtype=None, device=None, requires_grad=False):
    """A new leaf tensor holding a copy of ``data`` (numbers, nested lists, an array).

    A numpy array keeps its dtype; Python floats become the default dtype (float32 unless
    ``set_default_dtype`` says otherwise) and ints int64, as in PyTorch.
    Every constructor takes ``device=``: ``'cpu'`` (the default) or an error (see ``device``).
    """
    as_device(device)
    return Tensor(data, dtype=dtype, requires_grad=requires_grad)


def _size(size):
    """Sizes as varargs ``zeros(2, 3)`` or one tuple ``zeros((2, 3))``."""
    if len(size) == 1 and not isinstance(size[0], (int, np.integer)):
        size = tuple(size[0])
    for s in size:
        if not isinstance(s, (int, np.integer)) or s < 0:
            raise ValueError(f"sizes must be non-negative integers, got {size!r}")
    return tuple(int(s) for s in size)


def _leaf(data, requires_grad):
    t = _wrap(data)
    if requires_grad:
        t.requires_grad = True
    return t


def zeros(*size, dtype=None, device=None, requires_grad=False):
    as_device(device)
    data = np.zeros(_size(size), dtype=as_dtype(dtype) or dtypes.default_float)
    return _leaf(data, requires_grad)


def ones(*size, dtype=None, device=None, requires_grad=False):
    as_device(device)
    data = np.ones(_size(size), dtype=as_dtype(dtype) or dtypes.default_float)
    return _leaf(data, requires_grad)


def full(size, fill_value, dtype=None, device=None, requires_grad=False):
    as_device(device)
    if dtype is None:
        if isinstance(fill_value, (bool, np.bool_)):
            dtype = np.bool_
        elif isinstance(fill_value, (int, np.integer)):
            dtype = np.int64
        elif isinstance(fill_value, (complex, np.complexfloating)):
            dtype = dtypes.default_complex
        else:
            dtype = dtypes.default_float
    return _leaf(np.full(_size((size,)), fill_value, dtype=as_dtype(dtype)), requires_grad)


def empty(*size, dtype=None, device=None, requires_grad=False):
    """A tensor whose values are not set (zeros here: reading them is never meaningful)."""
    return zeros(*size, dtype=dtype, device=device, requires_grad=requires_grad)


def eye(n, m=None, *, dtype=None, device=None, requires_grad=False):
    """The ``n`` x ``m`` identity matrix (square if ``m`` is None)."""
    as_device(device)
    data = np.eye(n, n if m is None else m, dtype=as_dtype(dtype) or dtypes.default_float)
    return _leaf(data, requires_grad)


def zeros_like(t, dtype=None, device=None, requires_grad=False):
    as_device(device)
    return _leaf(np.zeros(t.shape, dtype=as_dtype(dtype) or t.dtype), requires_grad)


def ones_like(t, dtype=None, device=None, requires_grad=False):
    as_device(device)
    return _leaf(np.ones(t.shape, dtype=as_dtype(dtype) or t.dtype), requires_grad)


def arange(start, end=None, step=1, dtype=None, device=None, requires_grad=False):
    """``arange(end)`` or ``arange(start, end, step)``; int64 for integer arguments."""
    as_device(device)
    if end is None:
        start, end = 0, start
    if dtype is None:
        ints = builtins.all(isinstance(v, (int, np.integer)) for v in (start, end, step))
        dtype = np.int64 if ints else dtypes.default_float
    return _leaf(np.arange(start, end, step, dtype=as_dtype(dtype)), requires_grad)


def linspace(start, end, steps, dtype=None, device=None, requires_grad=False):
    """``steps`` evenly spaced values from ``start`` to ``end``, both included, computed as
    PyTorch does so that the values agree to the last bit (numpy's differ in a third of them).
    """
    as_device(device)
    dtype = as_dtype(dtype) or dtypes.default_float
    if not isinstance(steps, (int, np.integer)) or steps < 0:
        raise RuntimeError(f"linspace(): number of steps must be non-negative, got {steps!r}")
    return _leaf(evenly_spaced(start, end, steps, dtype), requires_grad)


def evenly_spaced(start, end, steps, dtype):
    """PyTorch's linspace: the step in the result's dtype; the first half counted up from
    ``start``, the second half down from ``end`` (so both ends are exact), each value one
    fused multiply-add, emulated here by computing in a wider type and rounding once."""
    if dtype.kind not in "fc":  # integer linspace: computed in float64, truncated
        return evenly_spaced(start, end, steps, np.dtype(np.float64)).astype(dtype)
    kind = dtype.type
    first, last = kind(start), kind(end)
    step = (last - first) / kind(steps - 1) if steps > 1 else kind(0)
    wide = np.float64 if dtype.itemsize < 8 else np.longdouble
    first, last, step = wide(first), wide(last), wide(step)
    i = np.arange(steps)
    upper = wide(last) - step * (steps - 1 - i).astype(wide)
    values = np.where(i < steps // 2, first + step * i.astype(wide), upper)
    return values.astype(dtype)


def empty_like(t, dtype=None, device=None, requires_grad=False):
    return zeros_like(t, dtype=dtype, device=device, requires_grad=requires_grad)


def full_like(t, fill_value, dtype=None, device=None, requires_grad=False):
    """A tensor of ``t``'s shape (and dtype, unless given) filled with ``fill_value``."""
    as_device(device)
    return _leaf(np.full(t.shape, fill_value, dtype=as_dtype(dtype) or t._data.dtype),
                 requires_grad)


# ------------------------------------------------------------------------------- randomness
class Generator:
    """A seedable random stream (numpy's PCG64 underneath).

    ``g = Generator().manual_seed(2147483647)`` reproduces its numbers run after run; the
    numbers are not PyTorch's (PyTorch's stream is not reproduced).
    """

    __slots__ = ("rng", "_seed")

    def __init__(self, seed=None):
        self._seed = seed
        self.rng = np.random.Generator(np.random.PCG64(seed))

    def manual_seed(self, seed):
        """Restart the stream from ``seed``; returns the generator (chainable)."""
        if not isinstance(seed, (int, np.integer)):
            raise TypeError(f"manual_seed expects an int, got {type(seed).__name__}")
        self._seed = int(seed)
        self.rng = np.random.Generator(np.random.PCG64(self._seed))
        return self

    def initial_seed(self):
        return self._seed

    def __repr__(self):
        return f"Generator(seed={self._seed})"


default_generator = Generator()


def manual_seed(seed):
    """Reseed the default generator (used when no ``generator=`` is given)."""
    return default_generator.manual_seed(seed)


def _rng(generator):
    if generator is None:
        return default_generator.rng
    if not isinstance(generator, Generator):
        raise TypeError(f"generator must be a ninjagrad.Generator, got {type(generator)}")
    return generator.rng


def randn(*size, generator=None, dtype=None, device=None, requires_grad=False):
    """Standard normal samples (in the default dtype unless ``dtype`` says otherwise)."""
    as_device(device)
    dtype = as_dtype(dtype) or dtypes.default_float
    if dtype.kind != "f":
        raise RuntimeError(f"randn needs a floating dtype, got {dtype.name}")
    data = _rng(generator).standard_normal(_size(size), dtype=builtins.max(dtype, np.float32))
    return _leaf(data.astype(dtype, copy=False), requires_grad)


def rand(*size, generator=None, dtype=None, device=None, requires_grad=False):
    """Uniform samples on [0, 1)."""
    as_device(device)
    dtype = as_dtype(dtype) or dtypes.default_float
    data = _rng(generator).random(_size(size), dtype=builtins.max(dtype, np.float32))
    return _leaf(data.astype(dtype, copy=False), requires_grad)


def randn_like(t, dtype=None, device=None, requires_grad=False, *, generator=None):
    """Standard normal samples in ``t``'s shape and dtype."""
    return randn(t.shape, generator=generator, dtype=dtype or t._data.dtype, device=device,
                 requires_grad=requires_grad)


def rand_like(t, dtype=None, device=None, requires_grad=False, *, generator=None):
    """Uniform samples on [0, 1) in ``t``'s shape and dtype."""
    return rand(t.shape, generator=generator, dtype=dtype or t._data.dtype, device=device,
                requires_grad=requires_grad)

def randint(low, high=None, size=None, *, generator=None, dtype=None, device=None):
    """Integers in ``[low, high)``: ``randint(high, size)`` or ``randint(low, high, size)``."""
    as_device(device)
    if size is None:  # randint(high, size)
        if high is None:
            raise TypeError("randint() needs a size, e.g. randint(0, 10, (3,))")
        low, high, size = 0, low, high
    if isinstance(size, (int, np.integer)):
        raise TypeError("randint(): size must be a tuple of ints, e.g. (32,)")
    if high <= low:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got {low} >= {high}")
    data = _rng(generator).integers(low, high, size=_size((size,)), dtype=np.int64)
    return _wrap(data.astype(as_dtype(dtype) or np.int64, copy=False))


def multinomial(probs, num_samples, replacement=False, *, generator=None):
    """Draw ``num_samples`` category indices per row of ``probs`` (weights need not sum to 1).

    Works on one distribution (1-D) or a batch of them (2-D); returns int64 indices.
    """
    p = probs._data if isinstance(probs, Tensor) else np.asarray(probs)
    if p.ndim not in (1, 2):
        raise RuntimeError(f"prob_dist must be 1 or 2 dim, got shape {p.shape}")
    rows = p.reshape(1, -1) if p.ndim == 1 else p
    if not np.isfinite(rows).all() or (rows < 0).any():
        raise RuntimeError("invalid multinomial distribution (encountering probability entry < 0,"
                           " inf or nan)")
    n = rows.shape[1]
    if not replacement and num_samples > n:
        raise RuntimeError(
            f"cannot sample n_sample > prob_dist.size(-1) samples without replacement "
            f"({num_samples} > {n})"
        )
    rng = _rng(generator)
    out = np.empty((rows.shape[0], num_samples), dtype=np.int64)
    for r, row in enumerate(rows.astype(np.float64)):
        total = row.sum()
        if total <= 0:
            raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
        if replacement or num_samples == 1:
            # inverse CDF: one uniform per sample; zero-weight categories are never chosen
            cdf = np.cumsum(row)
            picks = np.searchsorted(cdf, rng.random(num_samples) * cdf[-1], side="right")
            out[r] = np.minimum(picks, n - 1)
        else:
            if np.count_nonzero(row) < num_samples:
                raise RuntimeError("invalid multinomial distribution (with replacement=False, "
                                   "not enough non-negative category to sample)")
            out[r] = rng.choice(n, size=num_samples, replace=False, p=row / total)
    return _wrap(out[0] if p.ndim == 1 else out)


# --------------------------------------------------------------------------------- checking
def allclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    """Python bool: ``|input - other| <= atol + rtol * |other|`` everywhere."""
    a = input._data if isinstance(input, Tensor) else np.asarray(input)
    b = other._data if isinstance(other, Tensor) else np.asarray(other)
    return builtins.bool(np.allclose(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan))

