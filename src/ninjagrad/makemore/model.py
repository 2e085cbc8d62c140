"""The model: the lecture's names MLP, its parameters and its forward pass.

embedding (C) -> concat -> linear (W1, b1) -> batchnorm (bngain, bnbias) -> tanh ->
linear (W2, b2) -> logits. Parameters live in a dict of numpy arrays (float32 for
training) so that the hand-written backward, the checkpoint and the ninjagrad Tensors all
share the same storage.

``forward`` is the model's forward pass, written once, with batchnorm fused: training
with the hand-written backward (``manual.forward``), training with autograd
(``train.autograd_step_fn``, on ninjagrad Tensors) and inference (``logits``, batchnorm
in eval mode with the calibrated statistics) all run it. The other form the lecture
teaches, exercise 1's forward in small steps, is ``manual.forward_chunked``.
"""

from dataclasses import asdict, dataclass

import numpy as np

from ninjagrad import functional as F
from ninjagrad.errors import NinjagradError
from ninjagrad.tensors.fused import batch_norm_forward, cross_entropy_forward

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


def forward(params, X, batch_norm, tanh=np.tanh):
    """The model's forward pass: character contexts ``X`` (n, block_size) -> logits (n, vocab).

    ``params`` are numpy arrays or ninjagrad Tensors; the lines below run on both, and the
    two that differ are given: ``tanh`` (``np.tanh`` or ``ninjagrad.tanh``) and
    ``batch_norm(hprebn, bngain, bnbias) -> (hpreact, saved)``, one of the three below:
    ``batch_norm_train`` (numpy), ``batch_norm_autograd`` (Tensors) or
    ``batch_norm_eval(bnmean, bnvar)`` (numpy, inference). Returns ``(logits,
    intermediates)``, the latter a dict with ``embcat, hprebn, bn`` (the ``saved``) and
    ``h``, what a hand-written backward needs.
    """
    embcat, hprebn = hidden_preactivation(params, X)
    hpreact, bn = batch_norm(hprebn, params["bngain"], params["bnbias"])
    h = tanh(hpreact)
    logits = h @ params["W2"] + params["b2"]
    return logits, {"embcat": embcat, "hprebn": hprebn, "bn": bn, "h": h}


def hidden_preactivation(params, X):
    """The forward up to batchnorm's input: ``(embcat, hprebn)``, the contexts' embeddings
    side by side and the first linear layer's output. Calibration needs hprebn alone."""
    embcat = params["C"][X].reshape(len(X), -1)
    return embcat, embcat @ params["W1"] + params["b1"]


def batch_norm_train(hprebn, bngain, bnbias):
    """Batchnorm with the batch's statistics and Bessel's correction (the lecture's), on
    numpy arrays. Returns ``(hpreact, (bnraw, bnvar_inv))``, what its backward needs."""
    hpreact, bnraw, bnvar_inv = batch_norm_forward(hprebn, bngain, bnbias, None, None,
                                                   True, 0.0, BN_EPS, 1)
    return hpreact, (bnraw, bnvar_inv)


def batch_norm_autograd(hprebn, bngain, bnbias):
    """The same batchnorm on ninjagrad Tensors, one fused node of the graph (``F.batch_norm``
    runs the math of ``batch_norm_train``); the graph keeps what its backward needs."""
    return F.batch_norm(hprebn, None, None, bngain, bnbias, training=True, eps=BN_EPS,
                        correction=1), None


def batch_norm_eval(bnmean, bnvar):
    """Batchnorm in eval mode, with the calibrated statistics: no dependence on the batch."""

    def batch_norm(hprebn, bngain, bnbias):
        hpreact, _, _ = batch_norm_forward(hprebn, bngain, bnbias, bnmean, bnvar, False, 0.0,
                                           BN_EPS, 0)
        return hpreact, None

    return batch_norm


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
        _, hprebn = hidden_preactivation(params, X[i : i + chunk])
        h = hprebn.astype(np.float64)
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


def logits(params, bnmean, bnvar, X):
    """Inference: the model's logits with batchnorm in eval mode (no batch dependence)."""
    return forward(params, X, batch_norm_eval(bnmean, bnvar))[0]


def split_loss(params, bnmean, bnvar, X, Y, chunk=65536):
    """Mean cross-entropy of the whole split, evaluated in chunks (float64 accumulation)."""
    if len(X) == 0:
        return float("nan")
    total = 0.0
    for i in range(0, len(X), chunk):
        x = logits(params, bnmean, bnvar, X[i : i + chunk]).astype(np.float64)
        total += cross_entropy_forward(x, Y[i : i + chunk])[0].sum()
    return float(total / len(X))


def count_parameters(params):
    return sum(p.size for p in params.values())
