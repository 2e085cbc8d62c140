"""How far rounding alone can move a value: the fuzzer's evidence for the 'rounding' verdict.

Two faithful float implementations of an op (numpy's ``tanh`` and PyTorch's, a sum added in
another order) may differ by an ulp, and a program can amplify that ulp without bound
(``1 - tanh(x)**2`` near 1, ``exp(exp(x))``, ``1 / log_softmax(x)`` near 0). A difference
beyond the fuzzer's plain tolerance is called rounding only if PyTorch itself moves that
far when its own rounding changes. Two kinds of extra PyTorch runs measure that, statement
by statement next to the two compared runs (``run.run_program(..., rounding=seed)``):

- ulp-nudged runs: every floating result of every PyTorch kernel, forward and backward, is
  moved one ulp up or down (Monte Carlo arithmetic). The direction is a hash of the value's
  bits and the run's seed, so equal values move alike: ties (``max``, ``==``, ``x - x``)
  stay ties, zeros stay zero, infinities and nan stay. Kernels that cannot round (copies,
  indexing, ``max``, ``relu``, ``where``, ...) are left alone.
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

# how many ulp-nudged PyTorch runs (each with its own directions)
NUDGED_RUNS = 4

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


def _nudge(torch, t, seed):
    """Move every finite nonzero element of float tensor ``t`` one ulp, in place."""
    bits = t.view(torch.int32 if t.dtype == torch.float32 else torch.int64).to(torch.int64)
    h = _mix(_mix(bits ^ seed))
    up = ((h >> 33) & 1).bool()
    inf = torch.full_like(t, float("inf"))
    moved = torch.nextafter(t, torch.where(up, inf, -inf))
    t.copy_(torch.where(torch.isfinite(t) & (t != 0), moved, t))


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
            for ret, t in zip(func._schema.returns, results, strict=False):
                # a view shares its base's (already nudged) elements; an in-place or out=
                # result is written, and is nudged like a new one
                view = ret.alias_info is not None and not ret.alias_info.is_write
                if isinstance(t, torch.Tensor) and t.dtype in floats and t.numel() and not view:
                    _nudge(torch, t, seed)
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
