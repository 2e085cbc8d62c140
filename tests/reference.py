"""The one helper that checks a ninjagrad op against PyTorch and central finite differences.

``check(fn, *arrays)`` runs ``fn(lib, *tensors)`` twice from the same numpy arrays: once with
``lib`` standing for ninjagrad, once for PyTorch (``lib.F`` is the functional module of
each). Because ninjagrad mirrors PyTorch's names, one lambda serves both. It then checks:

1. forward: same shape, same dtype, values equal to PyTorch's (integers exactly);
2. backward, seeded with the same random upstream gradient ``G``: every floating input's
   ``.grad`` equals PyTorch's, with the input's shape and dtype;
3. in float64, the gradient also equals central finite differences of
   ``L(x) = sum(fn(x) * G)`` computed from ninjagrad's forward alone: every element for
   small inputs, random directional derivatives for large ones.

Tolerances are relative to the largest entry of the reference array (``|a - b| <= rel *
max|b|``): elementwise relative error is meaningless for entries that come out of
cancellation (a centred sum is ~1e-17 in one library and 0 in the other).
- float64 vs PyTorch: rel 1e-10; the libraries differ only in rounding and summation order.
- float32 vs PyTorch: rel 1e-6, a few ulps (float32's ulp is 1.2e-7 relative) of the
  largest entry: elementwise kernels differ by an ulp or two, sums of up to a few dozen terms
  in a different order by a few more.
- float64 vs finite differences (eps 1e-6): rel 1e-6; the difference quotient itself carries
  truncation error ~eps^2 and rounding error ~1e-16 * |L| / eps.
"""

import numpy as np
import pytest

import ninjagrad
import ninjagrad.functional

torch = pytest.importorskip("torch")

REL = {np.dtype(np.float64): 1e-10, np.dtype(np.float32): 1e-6}
FD_EPS, FD_REL = 1e-6, 1e-6
FD_ELEMENTWISE_MAX = 64  # inputs up to this size get every partial derivative checked


class Lib:
    """``ninjagrad`` or ``torch`` plus its functional module as ``.F``."""

    def __init__(self, module, functional):
        self.module, self.F = module, functional

    def __getattr__(self, name):
        return getattr(self.module, name)

    def __repr__(self):
        return f"Lib({self.module.__name__})"


NG = Lib(ninjagrad, ninjagrad.functional)
TH = Lib(torch, torch.nn.functional)


def is_float(a):
    return np.issubdtype(np.asarray(a).dtype, np.floating)


def assert_close(what, ours, ref, rel, slack=0.0):
    """``|ours - ref| <= rel * max|ref| + slack`` everywhere; integers exactly."""
    ours, ref = np.asarray(ours), np.asarray(ref)
    assert ours.shape == ref.shape, f"{what}: shape {ours.shape} != reference {ref.shape}"
    if ref.size == 0:
        return
    if not is_float(ref):
        np.testing.assert_array_equal(ours, ref, err_msg=what)
        return
    assert np.array_equal(np.isnan(ours), np.isnan(ref)), f"{what}: NaNs differ"
    finite = ~np.isnan(ref)
    if not finite.any():
        return
    ours, ref = ours[finite].astype(np.float64), ref[finite]
    same = ours == ref  # also equal infinities, whose difference would be nan
    assert np.array_equal(np.isinf(ours) & ~same, np.zeros_like(same)), f"{what}: infs differ"
    scale = float(np.abs(ref[np.isfinite(ref)]).max(initial=0.0))
    err = float(np.where(same, 0.0, np.abs(ours - ref)).max())
    assert err <= rel * scale + slack, (
        f"{what}: max |difference| {err:.3g} exceeds {rel:g} x max|reference| {scale:.3g}"
        + (f" + rounding slack {slack:.3g}" if slack else "")
    )


def _outputs(result):
    """An op's result as a list of tensors (``max(dim)`` gives values and indices)."""
    if isinstance(result, (tuple, list)):
        return list(result)
    return [result]


def _ng_array(t):
    return t.data if isinstance(t, ninjagrad.Tensor) else np.asarray(t)


def _torch_run(fn, arrays, grad, seeds, dtype=None):
    """PyTorch's outputs and input gradients (optionally with floats cast to ``dtype``)."""
    def leaf(i, a):
        if not isinstance(a, np.ndarray):
            return a
        if dtype is not None and is_float(a):
            a = a.astype(dtype)
        return torch.tensor(a.copy(), requires_grad=i in grad)

    inputs = [leaf(i, a) for i, a in enumerate(arrays)]
    outputs = _outputs(fn(TH, *inputs))
    k = next((k for k, t in enumerate(outputs) if t.requires_grad), None)
    grads = {}
    if k is not None and seeds is not None:
        G = seeds[k] if dtype is None else seeds[k].astype(dtype)
        outputs[k].backward(torch.tensor(G))
        grads = {i: inputs[i].grad.numpy() for i in grad}
    return [t.detach().numpy() for t in outputs], grads, k


def check(fn, *arrays, grad=None, fd=True, seed=0, rel=None):
    """Check ``fn(lib, *tensors)`` against PyTorch and (float64) finite differences.

    ``arrays`` are numpy arrays (floating ones become leaves with ``requires_grad``, unless
    ``grad`` lists the indices that should) or other objects passed through unchanged.
    Returns the ninjagrad result (a tensor, or a list for several outputs). Floating
    constants belong in ``arrays`` (excluded from ``grad`` if they need no gradient), not in
    ``fn``'s closure, so that the float64 rerun below casts them too.

    In float32, PyTorch's own distance from its float64 result on the same inputs measures
    the rounding this computation accrues (sums with cancellation lose digits in any
    library); four times that distance is added to the tolerance.
    """
    grad = [i for i, a in enumerate(arrays) if isinstance(a, np.ndarray) and is_float(a)] \
        if grad is None else list(grad)

    ng_in = [ninjagrad.tensor(a.copy(), requires_grad=i in grad) if isinstance(a, np.ndarray)
             else a for i, a in enumerate(arrays)]
    ng_out = _outputs(fn(NG, *ng_in))
    th_out, _, _ = _torch_run(fn, arrays, [], None)
    assert len(ng_out) == len(th_out), f"{len(ng_out)} outputs, PyTorch has {len(th_out)}"
    rng = np.random.default_rng([seed, 2**20])  # never the stream a test drew its data from
    seeds = [rng.standard_normal(ref.shape).astype(ref.dtype) if is_float(ref) else None
             for ref in th_out]
    th_out, th_grads, k = _torch_run(fn, arrays, grad, seeds)
    low_precision = any(is_float(a) and a.dtype != np.float64 for a in arrays
                        if isinstance(a, np.ndarray))
    if low_precision:
        wide_out, wide_grads, _ = _torch_run(fn, arrays, grad, seeds, dtype=np.float64)

    def tolerance(ref, wide):
        r = rel if rel is not None else REL.get(np.dtype(ref.dtype), 0)
        if not low_precision or wide is None or not is_float(ref):
            return r, 0.0
        wide32 = ref.astype(np.float64)
        both = np.isfinite(wide32) & np.isfinite(wide)  # overflow is not rounding
        return r, 4 * float(np.abs(wide32[both] - wide[both]).max(initial=0.0))

    for j, (o, ref) in enumerate(zip(ng_out, th_out, strict=True)):
        assert isinstance(o, ninjagrad.Tensor), f"output {j} is a {type(o).__name__}"
        assert o.data.dtype == ref.dtype, f"output {j}: dtype {o.data.dtype} != {ref.dtype}"
        r, slack = tolerance(ref, wide_out[j] if low_precision else None)
        assert_close(f"output {j} forward", o.data, ref, r, slack)

    if k is None or not grad:
        return ng_out[0] if len(ng_out) == 1 else ng_out
    ng_out[k].backward(ninjagrad.tensor(seeds[k].copy()))
    for i in grad:
        a = ng_in[i]
        assert a.grad is not None, f"input {i}: .grad is None after backward"
        g = a.grad.data
        assert g.dtype == arrays[i].dtype, f"input {i}: grad dtype {g.dtype}"
        r, slack = tolerance(th_grads[i], wide_grads[i] if low_precision else None)
        assert_close(f"input {i} gradient vs PyTorch", g, th_grads[i], r, slack)
        # (a float64 input through a float32 output has no float64 difference quotient)
        if fd and arrays[i].dtype == np.float64 and seeds[k].dtype == np.float64:
            _check_finite_differences(fn, arrays, i, k, seeds[k], g, rng)
    return ng_out[0] if len(ng_out) == 1 else ng_out


def _check_finite_differences(fn, arrays, i, k, G, analytic, rng):
    """Compare input ``i``'s gradient of ``L = sum(output_k * G)`` with central differences.

    Besides ``FD_REL`` of the gradient's scale, the difference quotient is allowed its own
    rounding noise: L is known to ~1e-16 of ``sum|output * G|``, divided by ``2 eps``.
    """
    base = [ninjagrad.tensor(a.copy()) if isinstance(a, np.ndarray) else a for a in arrays]
    x = base[i].data

    def L(terms=False):
        with ninjagrad.no_grad():
            products = _ng_array(_outputs(fn(NG, *base))[k]) * G
        return float(np.abs(products).sum()) if terms else float(products.sum())

    noise = 64 * np.finfo(np.float64).eps * L(terms=True) / FD_EPS

    def directional(v):
        orig = x.copy()
        x[...] = orig + FD_EPS * v
        plus = L()
        x[...] = orig - FD_EPS * v
        minus = L()
        x[...] = orig
        return (plus - minus) / (2 * FD_EPS)

    if x.size <= FD_ELEMENTWISE_MAX:
        numeric = np.zeros_like(x)
        for idx in np.ndindex(x.shape):
            e = np.zeros_like(x)
            e[idx] = 1.0
            numeric[idx] = directional(e)
        assert_close(f"input {i} gradient vs finite differences", analytic, numeric, FD_REL,
                     noise)
        return
    for _ in range(3):
        v = rng.standard_normal(x.shape)
        v /= np.linalg.norm(v)
        numeric = directional(v)
        exact = float(np.sum(analytic * v))
        scale = float(np.linalg.norm(analytic))
        assert abs(numeric - exact) <= FD_REL * scale + noise, (
            f"input {i}: directional derivative {exact:.10g} vs finite differences "
            f"{numeric:.10g}"
        )
