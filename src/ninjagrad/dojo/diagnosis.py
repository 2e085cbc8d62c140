"""What kind of mistake a wrong gradient is, read from its numbers alone.

Each test compares the learner's array with the reference in one specific way and
speaks only when that comparison fits exactly (to the grading tolerance): no guessing
from the code. The classes, in the order they are tried: nan or inf; the wrong shape
(a broadcast not undone, keepdim lost, transposed); all zeros; transposed; off by a
constant factor (the sign, 2, the 1/n of a mean, Bessel's n/(n-1)); one contribution of
a reused variable only (``=`` where ``+=`` was needed); a known wrong formula worked out
exactly (batchnorm without Bessel's n/(n-1), a product rule with the inputs swapped);
right on some rows and wrong on others (indexing).
"""

import numpy as np

RTOL, ATOL = 1e-5, 1e-8


def close(a, b, rtol=RTOL, atol=ATOL):
    return a.shape == b.shape and bool(np.allclose(a, b, rtol=rtol, atol=atol))


def _shape(s):
    return "(" + ", ".join(str(d) for d in s) + ")" if len(s) != 1 else f"({s[0]},)"


def _broadcast_dims(got, want):
    """Dims of ``got`` where ``want`` has size 1 (or none): what the forward broadcast.
    None when the other dims differ too."""
    if len(want) > len(got):
        return None
    padded = (1,) * (len(got) - len(want)) + tuple(want)
    pairs = list(enumerate(zip(got, padded, strict=True)))
    dims = [d for d, (g, w) in pairs if w == 1 and g != 1]
    if not dims or any(g != w for d, (g, w) in pairs if d not in dims):
        return None
    return dims


def wrong_shape(L, R):
    got, want = L.shape, R.shape
    head = f"wrong shape: {_shape(got)}, expected {_shape(want)}"
    if L.ndim == 2 and got == want[::-1] and close(L.T, R):
        return f"{head}: transposed (the values are right as .T)"
    dims = _broadcast_dims(got, want)
    if dims is not None:
        which = " and ".join(str(d) for d in dims)
        summed = L.sum(axis=tuple(dims), keepdims=True).reshape(want)
        fits = " (summed that way, the values are right)" if close(summed, R) else ""
        return (f"{head}: sum over dim {which}, the dimension the forward broadcast"
                f"{', keepdim=True' if len(want) == len(got) else ''}{fits}")
    if L.size == R.size and close(L.reshape(want), R):
        return f"{head}: the values are right; keep the dims (keepdim=True) or .view{_shape(want)}"
    if len(got) == len(want):
        pairs = enumerate(zip(got, want, strict=True))
        diff = [f"dim {d}: {g} vs {w}" for d, (g, w) in pairs if g != w]
        return f"{head} ({', '.join(diff)})"
    return head


def _factor_name(c, n):
    """Words for a constant factor c = learner / reference, or None."""
    sign = c < 0
    m = abs(c)
    known = [(1.0, "")]
    known.append((2.0, "twice the reference: a factor 2 too many (a contribution counted "
                       "twice?)"))
    known.append((0.5, "half the reference: a factor 2 missing (d(x**2)/dx = 2x)"))
    if n:
        known += [
            (float(n), f"n = {n} times the reference: the 1/n is missing (a mean divides by n)"),
            (1.0 / n, f"1/n of the reference (n = {n}): divided by n once too often"),
            ((n - 1) / n, "(n-1)/n times the reference: 1/n where Bessel's correction needs "
                          "1/(n-1)"),
            (n / (n - 1), "n/(n-1) times the reference: 1/(n-1) where it should be 1/n"),
            (float(n - 1), f"n-1 = {n - 1} times the reference: the 1/(n-1) is missing"),
        ]
    for value, words in known:
        if abs(m - value) <= 1e-6 * value:
            if sign and value == 1.0:
                return "the sign is flipped (a minus missing, or one too many)"
            if sign:
                return f"off by a constant factor {c:.6g}: the sign is flipped, and {words}"
            return None if value == 1.0 else f"off by a constant factor {c:.6g}: {words}"
    return f"off by a constant factor {c:.6g}"


def constant_factor(L, R, n):
    r = R.ravel()
    rr = float(r @ r)
    if rr == 0.0:
        return None
    c = float(L.ravel() @ r) / rr
    if c == 0.0 or not close(L, c * R, rtol=1e-6, atol=1e-10 * np.abs(R).max()):
        return None
    return _factor_name(c, n)


def one_branch(L, branches):
    for label, B, words in branches or ():
        if close(L, B):
            return words or (f"one branch missing: it matches {label} alone; the variable "
                             "feeds more than one place in the forward pass, so add every "
                             "contribution (+=, not =)")
    return None


def known_variant(L, variants):
    for words, V in variants or ():
        if close(L, V):
            return words
    return None


def by_rows(L, R, row_uses=None):
    if L.ndim < 2 or L.shape[0] < 2:
        return None
    rows_ok = np.array([np.allclose(a, b, rtol=RTOL, atol=ATOL)
                        for a, b in zip(L, R, strict=True)])
    if rows_ok.all() or not rows_ok.any():
        return None
    bad = np.flatnonzero(~rows_ok)
    shown = ", ".join(str(i) for i in bad[:8]) + (", ..." if len(bad) > 8 else "")
    words = (f"right on {rows_ok.sum()} rows and wrong on {len(bad)} (rows {shown}): an "
             "indexing mistake")
    if row_uses is not None and len(row_uses) == len(rows_ok):
        reused = set(np.flatnonzero(np.asarray(row_uses) > 1))
        if set(bad) == reused:
            words += ("; the wrong rows are exactly those used more than once: each use must "
                      "add its share (+=, or a one-hot matmul), not replace the last one")
    return words


def non_finite(L, R):
    bad = ~np.isfinite(L) & np.isfinite(R)
    if not bad.any():
        return None
    kinds = sorted({"nan" if np.isnan(x) else "inf" for x in L[bad]})
    first = tuple(int(i) for i in np.argwhere(bad)[0])
    return (f"{' and '.join(kinds)} at {int(bad.sum())} of {L.size} entries (first at "
            f"{list(first)}): a division by zero, a log of 0, or an overflow?")


def diagnose(L, R, n=None, branches=None, row_uses=None, variants=None):
    """One sentence on what is wrong with ``L`` against the reference ``R``, or None when
    no known pattern fits. ``n`` is the batch size (for 1/n and Bessel factors),
    ``branches`` a list of (label, array, words or None) contributions summing to ``R``,
    ``row_uses`` how many times each row of ``R`` was used (for an embedding),
    ``variants`` a list of (words, array): known wrong answers worked out exactly."""
    L, R = np.asarray(L, np.float64), np.asarray(R, np.float64)
    if L.shape != R.shape:
        return wrong_shape(L, R)
    words = non_finite(L, R)
    if words:
        return words
    if not L.any() and R.any():
        return "every entry is 0: no gradient reached it"
    if L.ndim == 2 and L.shape[0] == L.shape[1] and not close(L, R) and close(L.T, R):
        return "transposed: the values are right as .T"
    return (constant_factor(L, R, n) or one_branch(L, branches)
            or known_variant(L, variants) or by_rows(L, R, row_uses))
