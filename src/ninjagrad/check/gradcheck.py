"""Check a function's backward pass against central finite differences, in float64.

For every input that requires grad, the numerical Jacobian column of input element ``j`` is
``(f(x + eps e_j) - f(x - eps e_j)) / (2 eps)``, and the analytical Jacobian row of output
element ``q`` is what ``backward`` writes into the inputs' ``.grad`` when seeded with the
unit vector ``e_q``. The two full Jacobians are compared entry by entry, as
``torch.autograd.gradcheck`` does, so a wrong entry is named exactly. PyTorch is not used.
"""

from __future__ import annotations

import numpy as np

from ninjagrad.errors import NinjagradError

__all__ = ["GradcheckError", "gradcheck"]


class GradcheckError(NinjagradError, RuntimeError):
    """Raised by :func:`gradcheck` when an analytical gradient disagrees with the numerical one."""


def _float_outputs(result, Tensor):
    """The outputs of ``fn`` as a list, with the positions of the floating-point ones."""
    outputs = list(result) if isinstance(result, (tuple, list)) else [result]
    for k, out in enumerate(outputs):
        if not isinstance(out, Tensor):
            raise TypeError(
                f"gradcheck: output {k} of the function is a {type(out).__name__}, not a Tensor"
            )
    # Integer outputs (such as max's indices) have no gradient; they are skipped like in torch.
    kept = [k for k, out in enumerate(outputs) if np.issubdtype(out.data.dtype, np.floating)]
    return outputs, kept


def gradcheck(fn, inputs, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True):
    """Return True when ``fn``'s gradients match central finite differences.

    ``fn(*inputs)`` must return a Tensor or a tuple of Tensors. Every input that is a Tensor
    with ``requires_grad=True`` is checked and must be float64 (finite differences in float32
    only measure rounding noise): anything else is rejected with a ``TypeError`` before any
    checking. An entry passes when ``|analytical - numerical| <= atol + rtol * |numerical|``.

    On a mismatch, raises :class:`GradcheckError` naming the output, the input (its index),
    the element (multi-index), the numerical and the analytical value; with
    ``raise_exception=False`` it returns False instead. The inputs' data and ``.grad`` are
    left as they were.
    """
    from ninjagrad.tensors.grad_mode import no_grad
    from ninjagrad.tensors.tensor import Tensor

    inputs = (inputs,) if isinstance(inputs, Tensor) else tuple(inputs)
    checked = [i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x.requires_grad]
    if not checked:
        raise ValueError("gradcheck: no input is a Tensor with requires_grad=True")
    for i in checked:
        if inputs[i].parents:  # a non-leaf's .grad stays None: its gradient would read as 0
            raise ValueError(
                f"gradcheck: input {i} is not a leaf tensor (it was computed by "
                f"'{inputs[i].op}'); pass leaves, e.g. x.detach().requires_grad_()"
            )
        if inputs[i].data.dtype != np.float64:
            raise TypeError(
                f"gradcheck: input {i} requires grad but is {inputs[i].data.dtype}, not "
                "float64; finite differences need double precision (use dtype=float64)"
            )
    if not eps > 0:
        raise ValueError(f"gradcheck: eps must be positive, got {eps}")

    def evaluate():
        with no_grad():
            outputs, kept = _float_outputs(fn(*inputs), Tensor)
        return [outputs[k].detach().numpy().astype(np.float64) for k in kept], kept

    reference, kept = evaluate()
    saved_grads = [inputs[i].grad for i in checked]

    # numerical[(k, i)]: d output k / d input i, shape (output k size, input i size).
    numerical = {(k, i): np.zeros((out.size, inputs[i].data.size)) for k, out in
                 zip(kept, reference, strict=True) for i in checked}
    for i in checked:
        data = inputs[i].detach().numpy()  # the input's own array, perturbed in place
        for j, index in enumerate(np.ndindex(data.shape)):
            original = data[index]
            data[index] = original + eps
            plus, _ = evaluate()
            data[index] = original - eps
            minus, _ = evaluate()
            data[index] = original
            for k, p, m in zip(kept, plus, minus, strict=True):
                numerical[(k, i)][:, j] = ((p - m) / (2 * eps)).ravel()

    analytical = {key: np.zeros_like(value) for key, value in numerical.items()}
    try:
        for k, out_ref in zip(kept, reference, strict=True):
            for q in range(out_ref.size):
                for i in checked:
                    inputs[i].grad = None
                result = fn(*inputs)
                out = result[k] if isinstance(result, (tuple, list)) else result
                if not out.requires_grad:
                    continue  # no checked input reaches this output: its gradient is zero
                seed = np.zeros(out.data.shape, dtype=out.data.dtype)
                seed.flat[q] = 1.0
                out.backward(Tensor(seed))
                for i in checked:
                    grad = inputs[i].grad
                    if grad is None:
                        continue
                    if tuple(grad.shape) != tuple(inputs[i].shape):
                        return _fail(
                            raise_exception,
                            f"gradcheck failed: backward of output {k} produced a gradient of "
                            f"shape {tuple(grad.shape)} for input {i} of shape "
                            f"{tuple(inputs[i].shape)}",
                        )
                    analytical[(k, i)][q, :] = grad.numpy().ravel()
    finally:
        for i, grad in zip(checked, saved_grads, strict=True):
            inputs[i].grad = grad

    for (k, i), num in numerical.items():
        ana = analytical[(k, i)]
        with np.errstate(invalid="ignore"):
            excess = np.abs(ana - num) - (atol + rtol * np.abs(num))
        bad = ~(excess <= 0)  # NaN compares False, so a NaN on either side is a mismatch
        if not bad.any():
            continue
        worst = np.where(bad, np.nan_to_num(excess, nan=np.inf), -np.inf)
        q, j = np.unravel_index(int(np.argmax(worst)), excess.shape)
        out_shape = reference[kept.index(k)].shape
        in_shape = inputs[i].data.shape
        in_index = tuple(int(v) for v in np.unravel_index(j, in_shape))
        out_index = tuple(int(v) for v in np.unravel_index(q, out_shape))
        return _fail(
            raise_exception,
            f"gradcheck failed: Jacobian mismatch for output {k} {tuple(out_shape)} with "
            f"respect to input {i} {tuple(in_shape)} at input element {in_index}, output "
            f"element {out_index}: numerical {num[q, j]:.10g}, analytical {ana[q, j]:.10g} "
            f"(|difference| {abs(ana[q, j] - num[q, j]):.3g} > atol + rtol*|numerical| = "
            f"{atol + rtol * abs(num[q, j]):.3g}); {int(bad.sum())} of {bad.size} entries "
            "differ",
        )
    return True


def _fail(raise_exception, message):
    if raise_exception:
        raise GradcheckError(message)
    return False
