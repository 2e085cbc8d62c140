"""The numpy math of the two fused layers, batchnorm and cross-entropy, forward and backward.

Written once and used twice: by ``batch_norm`` and ``cross_entropy`` of
``ninjagrad.functional`` (which add PyTorch's checks and the graph) and by makemore's
hand-written training step (``ninjagrad.makemore.manual``), which calls it on the model's
arrays directly. The backward passes are the backprop-ninja lecture's exercise 2
(``softmax - one_hot``) and exercise 3 (batchnorm's backward in one expression).

Everything is plain numpy and keeps the input's dtype.
"""

import functools

import numpy as np


@functools.lru_cache(maxsize=16)
def _rows(n):
    return np.arange(n)


# --------------------------------------------------------------------------- cross-entropy
def cross_entropy_forward(logits, target):
    """``logits`` (n, C) and class indices ``target`` (n,) -> ``(losses, probs)``: each
    row's ``-log softmax(logits)[target]`` and the softmax itself, which the backward needs.

    The lecture's eight lines collapsed: logsumexp of the max-shifted logits minus the
    target's shifted logit.
    """
    norm_logits = logits - logits.max(axis=1, keepdims=True)
    picked = norm_logits[_rows(len(target)), target]  # the targets' shifted logits
    counts = np.exp(norm_logits, out=norm_logits)  # in place, like the division below:
    counts_sum = counts.sum(axis=1, keepdims=True)  # one (n, C) array in all
    losses = np.log(counts_sum).ravel() - picked
    counts /= counts_sum  # counts become probs
    return losses, counts


def cross_entropy_backward(probs, target, dlosses):
    """Exercise 2: ``dlogits = (softmax - one_hot(target)) * dlosses``.

    ``dlosses`` is each row's loss gradient: ``1 / n`` for the mean of ``n`` rows, a
    column ``(n, 1)`` for unreduced losses. ``probs`` is not modified.
    """
    dlogits = probs.copy()  # d(logsumexp)/dlogits = softmax
    dlogits[_rows(len(target)), target] -= 1  # d(-logit[target])/dlogits = -one_hot
    dlogits *= dlosses
    return dlogits


# ----------------------------------------------------------------------------- batchnorm
def _feature_axes(x):
    """Every axis but 1 (the features): 0 for the lecture's (n, C), a tuple otherwise."""
    return 0 if x.ndim == 2 else (0, *range(2, x.ndim))


def batch_norm_forward(x, gain, bias, running_mean, running_var, training, momentum, eps,
                       correction):
    """``hpreact = gain * bnraw + bias`` with ``bnraw = (x - mean) * bnvar_inv``, per feature
    (axis 1). Returns ``(hpreact, bnraw, bnvar_inv)``; the last two are what the backward needs.

    Training mode uses the batch's mean and its variance divided by ``m - correction`` (1 is
    the lecture's Bessel correction), and updates ``running_mean``/``running_var`` in place
    when given (the unbiased variance, as PyTorch). Eval mode uses the running statistics.
    ``gain`` and ``bias`` are arrays of shape (1, C, 1, ...) or None; the running statistics
    hold C values in any shape (they are updated in their own shape).
    """
    if training:
        axes = _feature_axes(x)
        m = x.size // x.shape[1]
        # times 1/m, not ndarray.mean(): twice as fast on the lecture's small arrays
        bnmean = x.sum(axis=axes, keepdims=True) * (1.0 / m)
        bndiff = x - bnmean
        bnvar = (bndiff * bndiff).sum(axis=axes, keepdims=True) * (1.0 / (m - correction))
        if running_mean is not None:
            running_mean *= 1 - momentum
            running_mean += momentum * bnmean.reshape(running_mean.shape)
        if running_var is not None:  # PyTorch tracks the unbiased variance here
            running_var *= 1 - momentum
            running_var += (momentum * (m - correction) / max(m - 1, 1)) * bnvar.reshape(
                running_var.shape)
    else:
        stat_shape = (1, x.shape[1]) + (1,) * (x.ndim - 2)
        bndiff = x - running_mean.reshape(stat_shape).astype(x.dtype, copy=False)
        bnvar = running_var.reshape(stat_shape).astype(x.dtype, copy=False)
    bnvar_inv = (bnvar + eps) ** -0.5
    bnraw = bndiff * bnvar_inv
    hpreact = bnraw * gain if gain is not None else bnraw.copy()  # bnraw is kept
    if bias is not None:
        hpreact += bias
    return hpreact, bnraw, bnvar_inv


def batch_norm_backward(dhpreact, bnraw, bnvar_inv, gain, training, correction):
    """Exercise 3: ``(dhprebn, dgain, dbias)`` from ``dhpreact``, with ``dgain`` and ``dbias``
    of shape (1, C, 1, ...). In training mode the batch statistics depend on the input, and
    ``dhprebn`` is the lecture's one expression,

        bngain*bnvar_inv/n * (n*dhpreact - dhpreact.sum(0)
                              - n/(n-1)*bnraw*(dhpreact*bnraw).sum(0)),

    with ``n/(n-1)`` generalised to ``m/(m - correction)``; in eval mode they are constants.
    """
    axes = _feature_axes(dhpreact)
    # the two sums the lecture's expression needs are the parameter gradients themselves
    dbias = dhpreact.sum(axis=axes, keepdims=True)
    dgain = (dhpreact * bnraw).sum(axis=axes, keepdims=True)
    scale = bnvar_inv if gain is None else gain * bnvar_inv
    if not training:
        return dhpreact * scale, dgain, dbias
    m = bnraw.size // bnraw.shape[1]
    # (m/(m - correction) multiplies the (1, C) sum, not the (m, C) bnraw)
    dhprebn = scale / m * (m * dhpreact - dbias - bnraw * (m / (m - correction) * dgain))
    return dhprebn, dgain, dbias
