"""How far rounding alone can move a value: the fuzzer's evidence for the 'rounding' verdict.

Two faithful float implementations of an op (numpy's ``tanh`` and PyTorch's, a sum added in
another order) may differ by an ulp, and a program can amplify that ulp without bound
(``1 - tanh(x)**2`` near 1, ``exp(exp(x))``, ``1 / log_softmax(x)`` near 0). A difference
beyond the fuzzer's plain tolerance is called rounding only if PyTorch itself moves that
far when its own rounding changes. Two kinds of extra PyTorch runs measure that, statement
by statement next to the two compared runs (``run.run_program(..., rounding=seed)``):

- ulp-nudged runs: every floating result of every PyTorch kernel, forward and backward, is
  moved one ulp up or down (Monte Carlo arithmetic); a sum, mean, matrix product or
  softmax backward by an ulp of its terms' size (the same kernel on absolute values), zeros
  included, since a different order of additions errs by that much where terms cancel.
  The direction is a hash of the value's bits and the run's seed, so equal values move
  alike: ties (``max``, ``==``, ``x - x``) stay ties, zeros stay zero, infinities and nan
  stay. Kernels that cannot round (copies, indexing, ``max``, ``relu``, ``where``, ...)
  are left alone.
- the reference run: the same program in float64 (float32 leaves converted exactly, every
  float32 dtype made float64, the default dtype float64). For a float32 program it is
  near the exact result, so ``|PyTorch - reference|`` is PyTorch's own rounding error,
  including the rounding inside fused kernels that nudging results cannot reach.

A float element then passes if ``|ours - theirs| <= tol + SPREAD * rounding``, where
``rounding`` is the largest distance of those runs from PyTorch's value (infinite where a
nudge makes PyTorch's finite value overflow or nan). Everything else is compared exactly as
before: nan places, infinities, dtypes, shapes, ``.grad`` being None. An engine error of
the size of the value is therefore still a mismatch wherever the program does not amplify
rounding to that size; where it does, no comparison with PyTorch could tell them apart.
"""

import contextlib

# ninjagrad may differ from PyTorch by this many times the largest rounding movement seen
# (both sides' rounding errors add, and a few nudged runs see a part of the possible ones)
SPREAD = 4

# how many ulp-nudged PyTorch runs (each with its own directions); they run only for a
# program that fails the plain tolerance. With four, all of them moved one value the same
# way one time in sixteen (function 15775 of seed 20261203: none reached ours across an
# integer under long()); with eight, one in 256.
NUDGED_RUNS = 8

# aten kernels whose floating results are exact (no rounding to model)
EXACT = frozenset((
    "clone", "copy", "copy_", "_to_copy", "to", "lift_fresh_copy", "detach", "alias",
    "neg", "abs", "relu", "threshold_backward", "sign", "sgn", "clamp", "clamp_min",
    "clamp_max", "max", "min", "amax", "amin", "maximum", "minimum", "where", "masked_fill",
    "masked_fill_", "fill", "fill_", "zero_", "zeros", "ones", "full", "empty",
    "zeros_like", "ones_like", "full_like", "empty_like", "empty_strided", "new_zeros",
    "new_ones", "new_full", "new_empty", "new_empty_strided", "scalar_tensor", "index",
    "index_put", "index_put_", "_index_put_impl_", "index_select", "gather", "scatter",
    "select_backward", "slice_backward", "select_scatter", "slice_scatter", "cat", "stack",
    "flip", "repeat", "constant_pad_nd", "_unsafe_view", "view_copy", "masked_select",
    "sort", "topk", "tril", "triu", "squeeze_copy", "unsqueeze_copy", "expand_copy",
    "permute_copy", "t_copy", "transpose_copy", "_reshape_alias_copy", "diagonal_backward",
    "as_strided_scatter", "embedding", "embedding_dense_backward", "one_hot",
    "_local_scalar_dense", "unbind", "split", "split_with_sizes", "chunk", "narrow",
    "lt", "le", "gt", "ge", "eq", "ne", "isnan", "isinf", "isfinite", "logical_not",
))


def _mix(h):
    """A 64-bit integer hash step (wrapping multiplication, xor shifts)."""
    h = h * 6364136223846793005 + 1442695040888963407
    return h ^ (h >> 29)


# aten kernels that add up terms, in an order (and with fused multiply-adds) of their own:
# where the terms cancel, the result's rounding error is an ulp of the terms' size, not of
# the (much smaller, maybe zero) result. Such results are nudged by an ulp of the same
# kernel applied to the terms' absolute values, zeros included.
SUMS = frozenset(("sum", "mean", "nansum", "mm", "bmm", "mv", "dot", "addmm", "addmv",
                  "baddbmm", "_log_softmax_backward_data", "_softmax_backward_data"))


def _nudge(torch, t, seed, size=None):
    """Move every finite nonzero element of float tensor ``t`` one ulp, in place: an ulp of
    ``size`` (a tensor of ``t``'s shape: how large the rounded terms were) if given."""
    bits = t.view(torch.int32 if t.dtype == torch.float32 else torch.int64).to(torch.int64)
    h = _mix(_mix(bits ^ seed))
    up = ((h >> 33) & 1).bool()
    inf = torch.full_like(t, float("inf"))
    if size is None:
        moved = torch.nextafter(t, torch.where(up, inf, -inf))
        t.copy_(torch.where(torch.isfinite(t) & (t != 0), moved, t))
        return
    size = size.abs().to(t.dtype)
    ulp = torch.nextafter(size, inf) - size
    moved = torch.where(up, t + ulp, t - ulp)
    t.copy_(torch.where(torch.isfinite(t) & torch.isfinite(moved), moved, t))


def _terms_size(torch, func, args, kwargs, out):
    """For a kernel of SUMS: the size of the terms it added up (the same kernel on their
    absolute values; for the softmax backward kernels, both of the terms it subtracts)."""
    name = func.overloadpacket.__name__
    try:
        if name == "_log_softmax_backward_data":  # g - exp(out) * sum(g)
            g, output, dim = args[0], args[1], args[2]
            size = g.abs() + output.exp() * g.abs().sum(dim, keepdim=True)
        elif name == "_softmax_backward_data":  # out * (g - sum(g * out))
            g, output, dim = args[0], args[1], args[2]
            size = output * (g.abs() + (g * output).abs().sum(dim, keepdim=True))
        else:  # |x| for every tensor operand (a bias, the matrices), the rest as given
            absolute = [a.abs() if isinstance(a, torch.Tensor) and a.dtype.is_floating_point
                        else a for a in args]
            size = func(*absolute, **kwargs)
    except Exception:  # noqa: BLE001 - an overload this does not understand: no widening
        return None
    return size if isinstance(size, torch.Tensor) and size.shape == out.shape else None


def nudging(seed):
    """A context in which every rounding PyTorch kernel's float results move an ulp."""
    import torch
    from torch.utils._python_dispatch import TorchDispatchMode

    floats = (torch.float32, torch.float64)

    class Nudge(TorchDispatchMode):
        def __torch_dispatch__(self, func, types, args=(), kwargs=None):
            out = func(*args, **(kwargs or {}))
            if func.overloadpacket.__name__ in EXACT:
                return out
            results = out if isinstance(out, (tuple, list)) else (out,)
            summed = func.overloadpacket.__name__ in SUMS
            for ret, t in zip(func._schema.returns, results, strict=False):
                # a view shares its base's (already nudged) elements; an in-place or out=
                # result is written, and is nudged like a new one
                view = ret.alias_info is not None and not ret.alias_info.is_write
                if isinstance(t, torch.Tensor) and t.dtype in floats and t.numel() and not view:
                    size = _terms_size(torch, func, args, kwargs or {}, t) if summed else None
                    _nudge(torch, t, seed, size)
            return out

    return Nudge()


@contextlib.contextmanager
def float64_default():
    """A context in which PyTorch makes float64 where it would make float32 (reference run)."""
    import torch

    previous = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    try:
        yield
    finally:
        torch.set_default_dtype(previous)
