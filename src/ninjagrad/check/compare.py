"""Compare hand-derived gradients with reference ones: the lecture's ``cmp``, as data.

The backprop-ninja lecture checks each manual gradient ``dt`` against autograd's ``t.grad``
and prints one line per tensor: is it exactly equal, approximately equal (``allclose``), and
the largest absolute difference. Here that check returns a :class:`Comparison` record (easy
to test, to turn into JSON with :meth:`Comparison.asdict`, and to print as a table with
:func:`format_table`), so ``ninjagrad check`` and the tests share one implementation.

Accepted array-likes: ninjagrad Tensors, numpy arrays, Python numbers and nested lists, and
PyTorch tensors (recognised by their methods; torch is never imported here).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

__all__ = ["Comparison", "as_array", "cmp", "compare", "format_table", "print_table"]


@dataclass(frozen=True)
class Comparison:
    """The outcome of comparing one manual result with its reference.

    ``exact``: every element equal (``==``, as the lecture's ``torch.all(dt == t.grad)``);
    ``approximate``: ``allclose`` with ``rtol``/``atol`` (PyTorch's defaults 1e-5/1e-8);
    ``maxdiff``: the largest absolute elementwise difference (0.0 for empty arrays).
    """

    name: str
    exact: bool
    approximate: bool
    maxdiff: float
    shape: tuple

    @property
    def ok(self):
        """True when the manual result is at least approximately right."""
        return self.approximate

    def asdict(self):
        """A JSON-serialisable dict (``shape`` as a list)."""
        record = dataclasses.asdict(self)
        record["shape"] = list(self.shape)
        return record

    def __str__(self):
        # The lecture's line, column for column.
        return (
            f"{self.name:15s} | exact: {str(self.exact):5s} | "
            f"approximate: {str(self.approximate):5s} | maxdiff: {self.maxdiff:.6g}"
        )

    def __repr__(self):
        return (
            f"Comparison({self.name!r}, exact={self.exact}, approximate={self.approximate}, "
            f"maxdiff={self.maxdiff:.3g}, shape={self.shape})"
        )


def as_array(x, what="value"):
    """Return ``x`` as a numpy array without copying when it already is one.

    ninjagrad and PyTorch tensors are detached first (both have ``detach()`` and ``numpy()``;
    a PyTorch tensor on another device is moved to the CPU).
    """
    if isinstance(x, np.ndarray):
        return x
    if x is None:
        raise TypeError(f"{what} is None (a gradient that was never computed?)")
    if hasattr(x, "detach") and hasattr(x, "numpy"):
        x = x.detach()
        if hasattr(x, "cpu"):
            x = x.cpu()
        return np.asarray(x.numpy())
    if isinstance(x, (bool, int, float, complex, np.generic, list, tuple)):
        return np.asarray(x)
    raise TypeError(
        f"{what} must be a Tensor, a numpy array or a number, not {type(x).__name__}"
    )


def compare(name, manual=None, reference=None, *, rtol=1e-5, atol=1e-8):
    """Compare ``manual`` with ``reference``; or, given a list of triples, each of them.

    ``compare("dlogits", dlogits, logits.grad)`` returns one :class:`Comparison`;
    ``compare([("dlogits", dlogits, logits.grad), ...])`` returns a list of them.
    Shapes must match exactly (no broadcasting: a (32, 1) gradient for a (32, 27) tensor
    is a bug, not a match); a mismatch raises ``ValueError`` naming both shapes.
    """
    if manual is None and reference is None and not isinstance(name, str):
        records = []
        for i, triple in enumerate(name):
            if len(triple) != 3:
                raise ValueError(f"item {i}: expected a (name, manual, reference) triple")
            records.append(compare(*triple, rtol=rtol, atol=atol))
        return records
    if not isinstance(name, str):
        raise TypeError(f"name must be a str, not {type(name).__name__}")
    a = as_array(manual, f"{name}: manual")
    b = as_array(reference, f"{name}: reference")
    if a.shape != b.shape:
        raise ValueError(
            f"{name}: shape mismatch: manual {tuple(a.shape)} vs reference {tuple(b.shape)}"
        )
    exact = bool(np.array_equal(a, b))
    if a.size == 0:
        return Comparison(name, exact, True, 0.0, tuple(a.shape))
    # Differences are taken in the wider of the two dtypes so a float32 manual result is
    # not rounded before it is compared with a float64 reference.
    wide = np.result_type(a.dtype, b.dtype, np.float32)
    with np.errstate(invalid="ignore"):  # inf - inf; equal entries count as 0 below
        diff = np.abs(a.astype(wide, copy=False) - b.astype(wide, copy=False))
    maxdiff = float(np.where(a == b, 0, diff).max())
    approximate = bool(np.allclose(a, b, rtol=rtol, atol=atol))
    return Comparison(name, exact, approximate, maxdiff, tuple(a.shape))


def cmp(s, dt, t):
    """The lecture's ``cmp(s, dt, t)``: compare ``dt`` with ``t.grad``, print, and return.

    ``t`` is a ninjagrad or PyTorch tensor whose ``.grad`` was filled by ``backward()``.
    """
    grad = getattr(t, "grad", None)
    if grad is None:
        raise ValueError(f"{s}: the reference tensor has no .grad (call backward() first)")
    record = compare(s, dt, grad)
    print(record)
    return record


def format_table(records):
    """Render comparisons as an aligned text table with a header and a summary line."""
    records = list(records)
    width = max([len("name")] + [len(r.name) for r in records])
    header = f"{'name':<{width}}  {'shape':<14}  {'exact':<5}  {'approx':<6}  maxdiff"
    lines = [header, "-" * len(header)]
    for r in records:
        shape = "x".join(str(d) for d in r.shape) or "scalar"
        lines.append(
            f"{r.name:<{width}}  {shape:<14}  {str(r.exact):<5}  {str(r.approximate):<6}  "
            f"{r.maxdiff:.3e}"
        )
    passed = sum(r.approximate for r in records)
    exact = sum(r.exact for r in records)
    lines.append(f"{passed}/{len(records)} approximately equal, {exact} exactly equal")
    return "\n".join(lines)


def print_table(records, file=None):
    """Print :func:`format_table` to ``file`` (standard output by default)."""
    print(format_table(records), file=file)  # None: standard output
