"""The lecture's names MLP: parameters, initialisation, and inference-time forward.

embedding (C) -> concat -> linear (W1, b1) -> batchnorm (bngain, bnbias) -> tanh ->
linear (W2, b2) -> logits. Parameters live in a dict of numpy arrays (float32 for
training) so that the hand-written backward, the checkpoint and the ninjagrad Tensors all
share the same storage.
"""

from dataclasses import asdict, dataclass

import numpy as np

from ninjagrad.errors import NinjagradError

PARAM_NAMES = ("C", "W1", "b1", "W2", "b2", "bngain", "bnbias")
BN_EPS = 1e-5


@dataclass(frozen=True)
class ModelConfig:
    """Sizes of the MLP. Defaults are the lecture's training settings."""

    vocab_size: int
    n_embd: int = 10
    n_hidden: int = 200
    block_size: int = 3

    def __post_init__(self):
        for name, value in asdict(self).items():
            if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < 1:
                raise NinjagradError(f"{name} must be a positive integer, got {value!r}")

    def shapes(self):
        """Parameter name -> shape, in the lecture's order."""
        v, e, h, b = self.vocab_size, self.n_embd, self.n_hidden, self.block_size
        return {
            "C": (v, e),
            "W1": (e * b, h),
            "b1": (h,),
            "W2": (h, v),
            "b2": (v,),
            "bngain": (1, h),
            "bnbias": (1, h),
        }


def init_params(config, rng, dtype=np.float32):
    """The lecture's initialisation, drawn from the numpy Generator ``rng``.

    Values are drawn in float64 and then cast, so float32 and float64 models made from the
    same seed start from the same numbers.
    """
    shapes = config.shapes()

    def randn(name):
        return rng.standard_normal(shapes[name])

    fan_in = config.n_embd * config.block_size
    params = {
        "C": randn("C"),
        "W1": randn("W1") * (5 / 3) / fan_in**0.5,  # kaiming init for tanh
        "b1": randn("b1") * 0.1,  # useless under batchnorm; kept to exercise its gradient
        "W2": randn("W2") * 0.1,
        "b2": randn("b2") * 0.1,
        "bngain": randn("bngain") * 0.1 + 1.0,
        "bnbias": randn("bnbias") * 0.1,
    }
    return {name: np.ascontiguousarray(p, dtype=dtype) for name, p in params.items()}


def hidden_preactivation(params, X):
    """hprebn = concat(C[X]) @ W1 + b1, for any number of rows."""
    emb = params["C"][X]
    return emb.reshape(len(X), -1) @ params["W1"] + params["b1"]


def calibrate_batchnorm(params, X, chunk=65536):
    """Batchnorm mean and (Bessel-corrected) variance of hprebn over all of X.

    The lecture does this once after training, over the whole training set, instead of
    keeping running averages. One pass over float64 chunks, each chunk's mean and sum of
    squared deviations merged into the running ones (Chan et al.'s pairwise update): memory
    stays small and the result does not depend on the chunk size in practice.
    """
    n = len(X)
    if n < 2:
        raise NinjagradError("calibrating batchnorm needs at least 2 examples")
    count, mean, m2 = 0, 0.0, 0.0
    for i in range(0, n, chunk):
        h = hidden_preactivation(params, X[i : i + chunk]).astype(np.float64)
        k = len(h)
        h_mean = h.mean(0)
        h_m2 = ((h - h_mean) ** 2).sum(0)
        delta = h_mean - mean
        mean = mean + delta * (k / (count + k))
        m2 = m2 + h_m2 + delta**2 * (count * k / (count + k))
        count += k
    var = m2 / (n - 1)
    dtype = params["W1"].dtype
    return mean[None, :].astype(dtype), var[None, :].astype(dtype)


def logits_inference(params, bnmean, bnvar, X):
    """Logits with batchnorm using the calibrated statistics (no batch dependence)."""
    hpreact = hidden_preactivation(params, X)
    hpreact = params["bngain"] * (hpreact - bnmean) * (bnvar + BN_EPS) ** -0.5 + params["bnbias"]
    return np.tanh(hpreact) @ params["W2"] + params["b2"]


def split_loss(params, bnmean, bnvar, X, Y, chunk=65536):
    """Mean cross-entropy of the whole split, evaluated in chunks (float64 accumulation)."""
    if len(X) == 0:
        return float("nan")
    total = 0.0
    for i in range(0, len(X), chunk):
        logits = logits_inference(params, bnmean, bnvar, X[i : i + chunk]).astype(np.float64)
        logits -= logits.max(1, keepdims=True)
        logp = logits - np.log(np.exp(logits).sum(1, keepdims=True))
        y = Y[i : i + chunk]
        total -= logp[np.arange(len(y)), y].sum()
    return float(total / len(X))


def count_parameters(params):
    return sum(p.size for p in params.values())
