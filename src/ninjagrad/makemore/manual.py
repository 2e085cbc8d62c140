"""The hand-written backward passes of "becoming a backprop ninja", on numpy arrays.

Written once and used by both ``ninjagrad check`` (against autograd) and training
(``--backward manual``):

- exercise 1: ``forward_chunked`` breaks the forward into the lecture's small steps;
  ``backward_chunked`` inverts it one line per intermediate, each line under a comment
  holding the forward line it inverts, in reverse order.
- exercise 2: ``cross_entropy_backward``, the fused (softmax - one_hot) / n.
- exercise 3: ``batchnorm_backward``, the fused batchnorm backward in one expression.
- exercise 4: ``forward`` + ``backward``, the training step built from exercises 2 and 3:
  the model's own forward (``model.forward``) and the hand-written backward.

The math of the two fused passes is written once, in ``ninjagrad.tensors.fused``, and
serves ``F.cross_entropy`` and ``F.batch_norm`` too. All functions take numpy arrays (a
ninjagrad Tensor's ``.data``) and keep their dtype.
"""

import functools

import numpy as np

from ninjagrad.makemore import model
from ninjagrad.makemore.model import BN_EPS
from ninjagrad.tensors import fused

# Exercise 1 intermediates, from the loss back to the input (the order of the backward pass).
INTERMEDIATES = (
    "logprobs",
    "probs",
    "counts_sum_inv",
    "counts_sum",
    "counts",
    "norm_logits",
    "logit_maxes",
    "logits",
    "h",
    "W2",
    "b2",
    "hpreact",
    "bngain",
    "bnbias",
    "bnraw",
    "bnvar_inv",
    "bnvar",
    "bndiff2",
    "bndiff",
    "bnmeani",
    "hprebn",
    "embcat",
    "W1",
    "b1",
    "emb",
    "C",
)


def forward_chunked(lib, params, Xb, Yb):
    """Exercise 1's forward, in small steps, on ``lib``'s tensors (ninjagrad or torch).

    ``lib`` is the module providing ``tanh`` (``ninjagrad`` or ``torch``); every other
    operation is a PyTorch-named tensor method, so the same text runs on both. Returns
    ``(loss, intermediates)``, the latter a dict name -> tensor.
    """
    C, W1, b1, W2, b2 = params["C"], params["W1"], params["b1"], params["W2"], params["b2"]
    bngain, bnbias = params["bngain"], params["bnbias"]
    n = Yb.shape[0]
    emb = C[Xb]
    embcat = emb.view(emb.shape[0], -1)
    hprebn = embcat @ W1 + b1
    bnmeani = 1 / n * hprebn.sum(0, keepdim=True)
    bndiff = hprebn - bnmeani
    bndiff2 = bndiff**2
    bnvar = 1 / (n - 1) * bndiff2.sum(0, keepdim=True)  # Bessel's correction: 1/(n-1)
    bnvar_inv = (bnvar + BN_EPS) ** -0.5
    bnraw = bndiff * bnvar_inv
    hpreact = bngain * bnraw + bnbias
    h = lib.tanh(hpreact)
    logits = h @ W2 + b2
    logit_maxes = logits.max(1, keepdim=True).values
    norm_logits = logits - logit_maxes  # subtract the max for numerical stability
    counts = norm_logits.exp()
    counts_sum = counts.sum(1, keepdims=True)  # numpy's spelling, as in the lecture
    counts_sum_inv = counts_sum**-1
    probs = counts * counts_sum_inv
    logprobs = probs.log()
    loss = -logprobs[range(n), Yb].mean()
    intermediates = {
        "logprobs": logprobs, "probs": probs, "counts_sum_inv": counts_sum_inv,
        "counts_sum": counts_sum, "counts": counts, "norm_logits": norm_logits,
        "logit_maxes": logit_maxes, "logits": logits, "h": h, "hpreact": hpreact,
        "bnraw": bnraw, "bnvar_inv": bnvar_inv, "bnvar": bnvar, "bndiff2": bndiff2,
        "bndiff": bndiff, "bnmeani": bnmeani, "hprebn": hprebn, "embcat": embcat, "emb": emb,
    }  # fmt: skip
    return loss, intermediates


def linear_backward(dout, x, W):
    """out = x @ W + b  ->  (dx, dW, db): a matmul's backward is a matmul with the
    other operand transposed; the bias was broadcast over rows, so its gradient sums them."""
    return dout @ W.T, x.T @ dout, dout.sum(0)


@functools.lru_cache(maxsize=16)
def _eye(n, dtype):
    return np.eye(n, dtype=dtype)


def embedding_backward(X, demb, vocab_size):
    """emb = C[X]  ->  dC. Row C[i] was copied to every position where X == i, so dC[i]
    sums demb over those positions: one_hot(X).T @ demb (no slow np.add.at loop)."""
    onehot = _eye(vocab_size, demb.dtype)[X.reshape(-1)]
    return onehot.T @ demb.reshape(X.size, -1)


def backward_chunked(params, t, Xb, Yb):
    """Exercise 1: the gradient of the loss w.r.t. every intermediate and parameter.

    ``params`` and ``t`` (the intermediates of ``forward_chunked``) are dicts of numpy
    arrays. Returns a dict name -> gradient for every name in ``INTERMEDIATES``.
    """
    C, W1, W2, bngain = params["C"], params["W1"], params["W2"], params["bngain"]
    logprobs, probs, counts, counts_sum = t["logprobs"], t["probs"], t["counts"], t["counts_sum"]
    counts_sum_inv, logits, h, bnraw = t["counts_sum_inv"], t["logits"], t["h"], t["bnraw"]
    bnvar, bnvar_inv, bndiff, bndiff2 = t["bnvar"], t["bnvar_inv"], t["bndiff"], t["bndiff2"]
    hprebn, embcat, emb = t["hprebn"], t["embcat"], t["emb"]
    n = Yb.shape[0]

    # loss = -logprobs[range(n), Yb].mean()
    dlogprobs = np.zeros_like(logprobs)
    dlogprobs[np.arange(n), Yb] = -1.0 / n
    # logprobs = probs.log()
    dprobs = (1.0 / probs) * dlogprobs
    # probs = counts * counts_sum_inv   (counts_sum_inv was broadcast over columns: sum back)
    dcounts_sum_inv = (counts * dprobs).sum(1, keepdims=True)
    dcounts = counts_sum_inv * dprobs
    # counts_sum_inv = counts_sum**-1
    dcounts_sum = (-1.0 / (counts_sum * counts_sum)) * dcounts_sum_inv  # -counts_sum**-2,
    # written as PyTorch computes a power of -2 (numpy's power is an ulp off it at times)
    # counts_sum = counts.sum(1, keepdims=True)   (a sum forward is a broadcast backward)
    dcounts += np.ones_like(counts) * dcounts_sum
    # counts = norm_logits.exp()
    dnorm_logits = counts * dcounts
    # norm_logits = logits - logit_maxes
    dlogits = dnorm_logits.copy()
    dlogit_maxes = (-dnorm_logits).sum(1, keepdims=True)
    # logit_maxes = logits.max(1, keepdim=True).values   (only the max of each row gets it)
    dlogits += _eye(logits.shape[1], logits.dtype)[logits.argmax(1)] * dlogit_maxes
    # logits = h @ W2 + b2
    dh, dW2, db2 = linear_backward(dlogits, h, W2)
    # h = tanh(hpreact)
    dhpreact = (1.0 - h**2) * dh
    # hpreact = bngain * bnraw + bnbias
    dbngain = (bnraw * dhpreact).sum(0, keepdims=True)
    dbnraw = bngain * dhpreact
    dbnbias = dhpreact.sum(0, keepdims=True)
    # bnraw = bndiff * bnvar_inv
    dbndiff = bnvar_inv * dbnraw
    dbnvar_inv = (bndiff * dbnraw).sum(0, keepdims=True)
    # bnvar_inv = (bnvar + 1e-5)**-0.5
    dbnvar = (-0.5 * (bnvar + BN_EPS) ** -1.5) * dbnvar_inv
    # bnvar = 1/(n-1) * bndiff2.sum(0, keepdim=True)
    dbndiff2 = (1.0 / (n - 1)) * np.ones_like(bndiff2) * dbnvar
    # bndiff2 = bndiff**2   (bndiff also feeds bnraw: accumulate)
    dbndiff += (2 * bndiff) * dbndiff2
    # bndiff = hprebn - bnmeani
    dhprebn = dbndiff.copy()
    dbnmeani = (-dbndiff).sum(0, keepdims=True)
    # bnmeani = 1/n * hprebn.sum(0, keepdim=True)
    dhprebn += 1.0 / n * (np.ones_like(hprebn) * dbnmeani)
    # hprebn = embcat @ W1 + b1
    dembcat, dW1, db1 = linear_backward(dhprebn, embcat, W1)
    # embcat = emb.view(emb.shape[0], -1)
    demb = dembcat.reshape(emb.shape)
    # emb = C[Xb]
    dC = embedding_backward(Xb, demb, C.shape[0])

    return {
        "logprobs": dlogprobs, "probs": dprobs, "counts_sum_inv": dcounts_sum_inv,
        "counts_sum": dcounts_sum, "counts": dcounts, "norm_logits": dnorm_logits,
        "logit_maxes": dlogit_maxes, "logits": dlogits, "h": dh, "W2": dW2, "b2": db2,
        "hpreact": dhpreact, "bngain": dbngain, "bnbias": dbnbias, "bnraw": dbnraw,
        "bnvar_inv": dbnvar_inv, "bnvar": dbnvar, "bndiff2": dbndiff2, "bndiff": dbndiff,
        "bnmeani": dbnmeani, "hprebn": dhprebn, "embcat": dembcat, "W1": dW1, "b1": db1,
        "emb": demb, "C": dC,
    }  # fmt: skip


def cross_entropy_backward(probs, Yb):
    """Exercise 2: loss = cross_entropy(logits, Yb)  ->  dlogits = (softmax - one_hot) / n.

    ``probs`` is softmax(logits), which the forward computes anyway; it is not modified.
    The math is ``F.cross_entropy``'s own (``ninjagrad.tensors.fused``).
    """
    return fused.cross_entropy_backward(probs, Yb, 1.0 / len(Yb))


def batchnorm_backward(dhpreact, bngain, bnraw, bnvar_inv):
    """Exercise 3: hpreact = bngain * batchnorm(hprebn) + bnbias  ->  dhprebn, in one
    expression (Bessel-corrected variance, so n/(n-1) appears). The math is
    ``F.batch_norm``'s own (``ninjagrad.tensors.fused``)."""
    return fused.batch_norm_backward(dhpreact, bnraw, bnvar_inv, bngain, True, 1)[0]


def forward(params, Xb, Yb):
    """Exercise 4's forward in numpy: returns (loss, cache) for ``backward``.

    The model's forward (``model.forward``) with training-mode batchnorm, then the
    fused cross-entropy, keeping what the fused backward passes need.
    """
    logits, inter = model.forward(params, Xb, model.batch_norm_train)
    losses, probs = fused.cross_entropy_forward(logits, Yb)
    bnraw, bnvar_inv = inter["bn"]
    cache = {"embcat": inter["embcat"], "bnraw": bnraw, "bnvar_inv": bnvar_inv,
             "h": inter["h"], "probs": probs}
    return float(losses.sum()) / len(Yb), cache


def backward(params, cache, Xb, Yb):
    """Exercise 4's backward: exercises 2 and 3 plus the layers between them.

    ``cache`` needs ``probs, h, bnraw, bnvar_inv, embcat`` (from ``forward``, or the
    same-named intermediates of ``forward_chunked`` with ``probs`` = softmax(logits)).
    Returns the parameter gradients plus ``logits`` and ``hprebn``.
    """
    h, bnraw, bnvar_inv, embcat = cache["h"], cache["bnraw"], cache["bnvar_inv"], cache["embcat"]
    dlogits = cross_entropy_backward(cache["probs"], Yb)
    dh, dW2, db2 = linear_backward(dlogits, h, params["W2"])
    dhpreact = (1.0 - h * h) * dh
    dhprebn, dbngain, dbnbias = fused.batch_norm_backward(dhpreact, bnraw, bnvar_inv,
                                                         params["bngain"], True, 1)
    dembcat, dW1, db1 = linear_backward(dhprebn, embcat, params["W1"])
    dC = embedding_backward(Xb, dembcat, params["C"].shape[0])
    return {
        "C": dC, "W1": dW1, "b1": db1, "W2": dW2, "b2": db2, "bngain": dbngain,
        "bnbias": dbnbias, "logits": dlogits, "hprebn": dhprebn,
    }  # fmt: skip
