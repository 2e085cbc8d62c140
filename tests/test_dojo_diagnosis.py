"""Each diagnosis class on made-up arrays, and silence when no pattern fits."""

import numpy as np
import pytest

from ninjagrad.dojo.diagnosis import diagnose

rng = np.random.default_rng(1)
R = rng.standard_normal((8, 5))


@pytest.mark.parametrize("factor, words", [
    (-1.0, "sign is flipped"),
    (2.0, "factor 2 too many"),
    (0.5, "factor 2 missing"),
    (8.0, "1/n is missing"),
    (1 / 8, "divided by n once too often"),
    (7 / 8, "Bessel"),
    (8 / 7, "1/(n-1) where it should be 1/n"),
    (-8.0, "sign is flipped, and n = 8 times"),
    (3.7, "off by a constant factor 3.7"),
])
def test_constant_factors(factor, words):
    assert words in diagnose(factor * R, R, n=8)


def test_shapes():
    assert "sum over dim 0" in diagnose(np.tile(R.sum(0), (3, 1)) / 3, R.sum(0, keepdims=True))
    d = diagnose(np.ones((8, 5)), np.ones((8, 1)) * 5)
    assert "sum over dim 1" in d and "summed that way, the values are right" in d
    assert "transposed" in diagnose(R.T, R)
    assert "keepdim=True" in diagnose(R.sum(0), R.sum(0, keepdims=True))
    assert "dim 1: 4 vs 5" in diagnose(R[:, :4], R)


def test_nan_inf_zero_rows_and_branches():
    L = R.copy()
    L[2, 3] = np.nan
    assert "nan at 1 of 40 entries (first at [2, 3])" in diagnose(L, R)
    assert "every entry is 0" in diagnose(np.zeros_like(R), R)
    L = R.copy()
    L[[1, 4]] += 1.0
    d = diagnose(L, R, row_uses=[1, 2, 1, 1, 2, 1, 0, 1])
    assert "right on 6 rows and wrong on 2 (rows 1, 4)" in d and "used more than once" in d
    A = rng.standard_normal(R.shape)
    d = diagnose(A, A + R, branches=[("the contribution through x", A, None)])
    assert "one branch missing" in d and "through x" in d


def test_no_pattern_is_no_diagnosis():
    assert diagnose(rng.standard_normal(R.shape), R, n=8) is None
