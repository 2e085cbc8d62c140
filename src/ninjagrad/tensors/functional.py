"""``ninjagrad.functional`` (import it as ``F``): PyTorch's functional names for the lecture.

``softmax``, ``log_softmax``, ``cross_entropy`` and ``batch_norm`` are fused ops with
hand-derived backward passes, written like the backprop-ninja lecture: one line per
intermediate, named ``d<name>``. One fused node replaces the dozen a composition of
primitives would build, which is why ``cross_entropy`` and ``batch_norm`` are on the fast
path of a training step. ``one_hot`` and ``embedding`` are plain indexing.

Each is an op like ``Tensor``'s own: its result is made by ``make_node``, its backward sits
right under it. They could be ``Function`` subclasses (a ``Function`` is the same kind of
node), but a ``Function`` wraps every array in and out of a Tensor and a ``ctx``: measured
on the lecture's batch, 5 us more per call forward and 12 us more forward and backward,
about a tenth of the fused training step.

Everything inside is numpy on the tensors' arrays; results keep the input's dtype. The
math of the two fused layers lives in ``ninjagrad.tensors.fused``, which makemore's
hand-written training step calls too; this module adds PyTorch's checks and the graph.
"""

import numpy as np

from ninjagrad.tensors import fused
from ninjagrad.tensors.tensor import OUT, Tensor, _wrap, make_node, saves

_sum_of, _min_of, _max_of = np.add.reduce, np.minimum.reduce, np.maximum.reduce

__all__ = ["batch_norm", "cross_entropy", "embedding", "log_softmax", "one_hot", "softmax"]


def _check_tensor(name, arg, what="input"):
    if not isinstance(arg, Tensor):
        raise TypeError(f"{name}(): {what} must be a Tensor, not {type(arg).__name__}")
    return arg._data


def _check_float(name, arg, what="input"):
    x = _check_tensor(name, arg, what)
    if x.dtype.kind != "f":
        raise TypeError(f"{name}(): {what} must be a floating-point tensor, not {x.dtype}")
    return x


def _dim(name, dim, ndim):
    """``dim`` checked and made non-negative; None for a 0-d tensor, whose one element is
    its own dimension (dim 0 or -1, as in PyTorch)."""
    if not isinstance(dim, (int, np.integer)) or isinstance(dim, bool):
        raise TypeError(f"{name}(): dim must be an int, not {type(dim).__name__}")
    n = max(ndim, 1)
    if not -n <= dim < n:
        raise IndexError(
            f"{name}(): Dimension out of range (expected to be in range of [{-n}, {n - 1}], "
            f"but got {dim})"
        )
    return int(dim) % n if ndim else None


# ------------------------------------------------------------------------ softmax family
def softmax(input, dim):
    """Softmax along ``dim`` (required, as PyTorch recommends): ``exp(x) / sum(exp(x))``,
    shifted by the max so ``exp`` cannot overflow."""
    x = _check_float("softmax", input)
    dim = _dim("softmax", dim, x.ndim)
    if not x.size:  # nothing to normalise (max() of nothing would raise)
        probs = x.copy()
    else:
        probs = np.asarray(x - x.max(axis=dim, keepdims=True))  # 0-d math gives a scalar
        if not probs.flags.c_contiguous:  # contiguous, as PyTorch's softmax result is (numpy
            probs = probs.copy()  # keeps a transposed input's layout; view() would fail)
        np.exp(probs, out=probs)  # in place: one array, not two
        probs /= probs.sum(axis=dim, keepdims=True)
    return make_node(probs, (input,), _softmax_backward, "softmax", {"dim": dim})


@saves(OUT)  # as PyTorch: changing the result in place is refused
def _softmax_backward(node, dprobs, dim):
    # probs_i = e_i / S: dx_j = probs_j * (dprobs_j - sum_i dprobs_i * probs_i)
    probs = node._data
    return (probs * (dprobs - (dprobs * probs).sum(axis=dim, keepdims=True)),)


def log_softmax(input, dim):
    """Log of the softmax along ``dim``, ``x - logsumexp(x)``, computed without forming the
    softmax: exact where ``softmax(x).log()`` underflows."""
    x = _check_float("log_softmax", input)
    dim = _dim("log_softmax", dim, x.ndim)
    if not x.size:
        logprobs = x.copy()
    else:
        shifted = x - x.max(axis=dim, keepdims=True)
        logprobs = np.asarray(shifted - np.log(np.exp(shifted).sum(axis=dim, keepdims=True)))
        if not logprobs.flags.c_contiguous:  # contiguous, as in PyTorch (see softmax)
            logprobs = logprobs.copy()
    return make_node(logprobs, (input,), _log_softmax_backward, "log_softmax", {"dim": dim})


@saves(OUT)
def _log_softmax_backward(node, dlogprobs, dim):
    # logprobs_j = x_j - log S: dx_j = dlogprobs_j - softmax_j * sum_i dlogprobs_i
    return (dlogprobs - np.exp(node._data) * dlogprobs.sum(axis=dim, keepdims=True),)


# -------------------------------------------------------------------------- cross-entropy
_REDUCTIONS = ("mean", "sum", "none")


def cross_entropy(input, target, reduction="mean"):
    """Cross-entropy of ``input`` logits ``(n, C)`` and class indices ``target`` ``(n,)``:
    the negative log-likelihood of the targets under ``softmax(logits)``, fused (the math,
    forward and the lecture's ``softmax - one_hot`` backward, is ``tensors.fused``'s).

    ``reduction``: 'mean' (default), 'sum' or 'none' (one loss per row), as in PyTorch.
    Class-probability targets are not supported.
    """
    x = _check_float("cross_entropy", input)
    y = _check_tensor("cross_entropy", target, "target")
    if reduction not in _REDUCTIONS:
        raise ValueError(f"cross_entropy(): reduction must be one of {_REDUCTIONS}, "
                         f"not {reduction!r}")
    if x.ndim != 2:
        raise ValueError(f"cross_entropy(): input must be (n, C) logits, got shape {x.shape}")
    if y.dtype.kind not in "iu":
        raise TypeError(
            f"cross_entropy(): target must hold class indices (an integer tensor), not "
            f"{y.dtype}; class-probability targets are not supported"
        )
    if y.shape != (x.shape[0],):
        raise ValueError(
            f"cross_entropy(): target shape {y.shape} does not match input shape {x.shape}: "
            f"expected ({x.shape[0]},)"
        )
    # the reductions themselves: ndarray.min/max are Python wrappers around them
    if y.size and (_min_of(y) < 0 or _max_of(y) >= x.shape[1]):
        bad = y.min() if y.min() < 0 else y.max()
        raise IndexError(
            f"cross_entropy(): target {int(bad)} is out of bounds for {x.shape[1]} classes"
        )
    losses, probs = fused.cross_entropy_forward(x, y)
    if reduction == "none":
        out = losses
    else:
        loss = _sum_of(losses)  # ndarray.mean() costs 4x a sum here
        if reduction == "mean":
            loss = loss / len(y)
        out = np.asarray(loss, dtype=x.dtype)
    return make_node(out, (input, target), _cross_entropy_backward, "cross_entropy",
                     {"probs": probs, "reduction": reduction})


@saves(1)  # as PyTorch: changing the targets in place is refused
def _cross_entropy_backward(node, dloss, probs, reduction):
    target = node.parents[1]._data
    if reduction == "mean":
        dlosses = dloss / len(target)
    elif reduction == "sum":
        dlosses = dloss
    else:
        dlosses = dloss[:, None]
    return fused.cross_entropy_backward(probs, target, dlosses), None


# ---------------------------------------------------------------------------- batch norm
def batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False,
               momentum=0.1, eps=1e-5, *, correction=0):
    """Batch normalisation with PyTorch's semantics, for ``(N, C)`` or ``(N, C, ...)`` input,
    fused over every dimension but 1 (the features): the math (forward and the lecture's
    one-expression backward) is ``tensors.fused``'s.

    Training mode normalises each feature with the batch mean and the batch variance
    ``sum((x - mean)**2) / (m - correction)`` over the ``m = N * ...`` values of that
    feature, backpropagates through those statistics, and updates
    ``running_mean``/``running_var`` in place (when given; either may be None) with
    ``momentum``, putting the unbiased variance into ``running_var`` as PyTorch does. Eval
    mode normalises with the running statistics, which are then constants. ``weight``/``bias``
    hold one value per feature: shape ``(C,)``, or any shape with ``C`` elements such as the
    lecture's ``(1, C)`` (their gradients keep that shape).

    ``correction`` (keyword-only) is a ninjagrad extension named after ``torch.var``'s: 0,
    the default, is the biased variance PyTorch's batch norm uses; 1 is Bessel's correction,
    ``1/(m-1)``, which the backprop-ninja lecture's batchnorm uses.
    """
    x = _check_float("batch_norm", input)
    if x.ndim < 2:
        raise ValueError(f"batch_norm(): expected (N, C) or (N, C, ...) input, got {x.shape}")
    C = x.shape[1]
    if not isinstance(correction, (int, np.integer)) or isinstance(correction, bool) \
            or correction < 0:
        raise ValueError(f"batch_norm(): correction must be a non-negative int, got "
                         f"{correction!r}")
    if not isinstance(momentum, (int, float)) or isinstance(momentum, bool):
        raise TypeError(f"batch_norm(): momentum must be a number (the cumulative average of "
                        f"momentum=None is not supported), got {momentum!r}")
    if training and x.size // max(C, 1) <= max(correction, 1):
        raise ValueError(
            f"batch_norm(): expected more than 1 value per channel when training, got input "
            f"of shape {x.shape}"
        )
    for name, t in (("weight", weight), ("bias", bias), ("running_mean", running_mean),
                    ("running_var", running_var)):
        if t is not None and _check_float("batch_norm", t, name).size != C:
            raise ValueError(f"batch_norm(): {name} has {t._data.size} elements, expected "
                             f"{C} (one per feature, input shape {x.shape})")
    if not training and (running_mean is None or running_var is None):
        raise ValueError("batch_norm(): running_mean and running_var are required in eval mode")
    training, correction = bool(training), int(correction)
    stat_shape = (1, C) + (1,) * (x.ndim - 2)
    gain = None if weight is None else weight._data.reshape(stat_shape)
    beta = None if bias is None else bias._data.reshape(stat_shape)
    out, bnraw, bnvar_inv = fused.batch_norm_forward(
        x, gain, beta, None if running_mean is None else running_mean._data,
        None if running_var is None else running_var._data, training, momentum, eps,
        correction)
    parents = (input,) + (() if weight is None else (weight,)) + (() if bias is None else (bias,))
    saved = {"bnraw": bnraw, "bnvar_inv": bnvar_inv, "gain": gain, "training": training,
             "correction": correction, "biased": bias is not None}
    # as PyTorch: changing the input or the weight in place is refused (not the bias)
    backward = _batch_norm_backward if weight is not None else _batch_norm_backward_unweighted
    return make_node(out, parents, backward, "batch_norm", saved)


def _batch_norm_grads(node, dhpreact, bnraw, bnvar_inv, gain, training, correction, biased):
    dhprebn, dgain, dbias = fused.batch_norm_backward(
        dhpreact, bnraw, bnvar_inv, gain, training, correction)
    # dgain and dbias are (1, C, 1, ...): back to the shapes the parameters were given in
    params = node.parents[1:]  # the weight, then the bias, each if given
    grads = [dhprebn]
    if gain is not None:
        grads.append(dgain.reshape(params[0]._data.shape))
    if biased:
        grads.append(dbias.reshape(params[-1]._data.shape))
    return grads


@saves(0, 1)
def _batch_norm_backward(node, dhpreact, **saved):
    return _batch_norm_grads(node, dhpreact, **saved)


@saves(0)
def _batch_norm_backward_unweighted(node, dhpreact, **saved):
    return _batch_norm_grads(node, dhpreact, **saved)


# ------------------------------------------------------------------- one_hot and embedding
def one_hot(tensor, num_classes=-1):
    """Class indices ``(...)`` to int64 one-hot vectors ``(..., num_classes)``.

    ``num_classes=-1`` means one more than the largest index, as in PyTorch.
    """
    y = _check_tensor("one_hot", tensor)
    if y.dtype.kind not in "iu":
        raise TypeError(f"one_hot(): is only applicable to index tensors, not {y.dtype}")
    if y.size and y.min() < 0:
        raise ValueError(f"one_hot(): class values must be non-negative, got {int(y.min())}")
    if num_classes == -1:
        if not y.size:
            raise ValueError("one_hot(): cannot infer num_classes from an empty tensor")
        num_classes = int(y.max()) + 1
    elif y.size and y.max() >= num_classes:
        raise ValueError(
            f"one_hot(): class values must be smaller than num_classes ({num_classes}), "
            f"got {int(y.max())}"
        )
    out = np.zeros(y.shape + (num_classes,), dtype=np.int64)
    np.put_along_axis(out, y[..., None].astype(np.intp), 1, axis=-1)
    return _wrap(out)


def embedding(input, weight):
    """Rows of ``weight`` picked by the integer ``input``: the lecture's ``C[Xb]``.

    Repeated indices accumulate their gradients in ``weight``, as they must.
    """
    x = _check_tensor("embedding", input)
    w = _check_tensor("embedding", weight, "weight")
    if x.dtype.kind not in "iu":
        raise TypeError(f"embedding(): input must be an integer tensor of indices, not {x.dtype}")
    if w.ndim != 2:
        raise ValueError(f"embedding(): weight must be 2-D (num_embeddings, dim), got {w.shape}")
    if x.size and (x.min() < 0 or x.max() >= w.shape[0]):
        bad = int(x.min() if x.min() < 0 else x.max())
        raise IndexError(f"embedding(): index {bad} is out of range for {w.shape[0]} rows")
    out = weight[input]
    if out.parents:
        out.op = "embedding"  # PyTorch's node is EmbeddingBackward0, not IndexBackward0
    return out
