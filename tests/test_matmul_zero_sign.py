"""The sign of zeros from ``@`` and its gradients, compared with PyTorch 2.13.

numpy's matmul sums products from +0.0; PyTorch sometimes writes a zero as the single
product it is (``0 * -1 = -0.0``), and a later division turns the two zeros into opposite
infinities. Every case here runs on both libraries with operands full of +0.0, -0.0, 1 and
-1, and compares values, ``signbit`` of every element, and every gradient the same way
(see ``_signed_products`` in ninjagrad/tensors/ops/operators.py for the rule).
"""

import itertools

import numpy as np
import pytest

import ninjagrad as ng

torch = pytest.importorskip("torch")

VALUES = np.array([0.0, -0.0, 1.0, -1.0])
TORCH_DTYPE = {np.float32: torch.float32, np.float64: torch.float64}


def _base_shape(shape, layout):
    """The shape of the leaf that ``_view(leaf, layout)`` turns into ``shape``."""
    s = list(shape)
    if layout == "mT":
        s[-1], s[-2] = s[-2], s[-1]
    elif layout == "batch-transposed":
        s[0], s[1] = s[1], s[0]
    elif layout == "expanded":
        s[0] = 1
    elif layout == "stepped":
        s[-1] *= 2
    return tuple(s)


def _view(t, layout, shape):
    if layout == "mT":
        return t.transpose(-1, -2)
    if layout == "batch-transposed":
        return t.transpose(0, 1)
    if layout == "expanded":
        return t.expand(*shape)
    if layout == "stepped":
        return t[..., ::2]
    return t


def _run(lib, xs, ys, x_layout, y_layout, x_rg, y_rg, data, g, dtype):
    make = {torch: lambda a, rg: torch.tensor(a, dtype=TORCH_DTYPE[dtype], requires_grad=rg),
            ng: lambda a, rg: ng.tensor(a.astype(dtype), requires_grad=rg)}[lib]
    xl, yl = make(data[0], x_rg), make(data[1], y_rg)
    out = _view(xl, x_layout, xs) @ _view(yl, y_layout, ys)
    results = {"out": np.array(out.tolist(), dtype=dtype)}
    if out.requires_grad:
        out.backward(make(g, False))
        for name, leaf in (("grad x", xl), ("grad y", yl)):
            grad = leaf.grad
            results[name] = None if grad is None else np.array(grad.tolist(), dtype=dtype)
    return results


def _same(xs, ys, x_layout="contiguous", y_layout="contiguous", x_rg=True, y_rg=True,
          dtype=np.float32, seed=0):
    """``x @ y`` (shapes xs, ys, made by the layouts from leaves) on both libraries: same
    values and the same sign bit everywhere, in the result and in both gradients."""
    rng = np.random.default_rng(seed)
    data = [rng.choice(VALUES, size=_base_shape(s, lay))
            for s, lay in ((xs, x_layout), (ys, y_layout))]
    g = rng.choice(VALUES, size=np.matmul(np.zeros(xs), np.zeros(ys)).shape)  # upstream
    args = (xs, ys, x_layout, y_layout, x_rg, y_rg, data, g, dtype)
    theirs = _run(torch, *args)
    ours = _run(ng, *args)
    assert ours.keys() == theirs.keys()
    for name, ref in theirs.items():
        mine = ours[name]
        assert (mine is None) == (ref is None), f"{name}: {mine} vs PyTorch {ref}"
        if ref is None:
            continue
        assert mine.shape == ref.shape, name
        np.testing.assert_array_equal(mine, ref, err_msg=name)
        np.testing.assert_array_equal(np.signbit(mine), np.signbit(ref),
                                      err_msg=f"{name}: signs of zeros")


# ------------------------------------------------------------------- 1-D and 2-D operands
SIZES = (1, 2)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("k", [0, 1, 2])
@pytest.mark.parametrize("rg", [(True, True), (True, False), (False, True), (False, False)])
def test_vectors_and_matrices(k, rg, dtype):
    shapes = [((k,), (k,))]
    shapes += [((m, k), (k,)) for m in SIZES] + [((k,), (k, n)) for n in SIZES]
    shapes += [((m, k), (k, n)) for m in SIZES for n in SIZES]
    for xs, ys in shapes:
        for seed in range(3):
            _same(xs, ys, x_rg=rg[0], y_rg=rg[1], dtype=dtype, seed=seed)


@pytest.mark.parametrize("layouts", [("mT", "contiguous"), ("contiguous", "mT"), ("mT", "mT"),
                                     ("stepped", "stepped")])
@pytest.mark.parametrize("k", [1, 2])
def test_transposed_and_strided_matrices(layouts, k):
    for m, n in itertools.product((1, 2, 3), repeat=2):
        _same((m, k), (k, n), *layouts, seed=m * n)


# ---------------------------------------------------------------------- batched operands
BATCHED = [
    # N-D @ 2-D and 2-D @ N-D: folded into one mm when PyTorch can
    ((2, 2, 1), (1, 2)), ((1, 2, 1), (1, 2)), ((2, 1, 1), (1, 2)), ((3, 2, 1), (1, 1)),
    ((2, 1), (2, 1, 2)), ((1, 1), (2, 1, 2)), ((2, 1), (1, 1, 2)), ((2, 1), (1, 1, 1)),
    ((2, 3, 2, 1), (1, 2)), ((2, 1), (3, 2, 1, 2)), ((1, 1, 1), (1, 2)), ((2, 2, 2), (2, 1)),
    ((1, 1, 2), (2, 2)), ((2, 2), (1, 2, 1)), ((2, 2), (2, 2, 1)),
    # N-D @ 1-D and 1-D @ N-D: mv when folded
    ((2, 2, 1), (1,)), ((2, 2, 2), (2,)), ((1,), (2, 1, 2)), ((2,), (2, 2, 2)),
    ((1,), (1, 1, 2)), ((2, 1, 2), (2,)),
    # N-D @ N-D: bmm, except a batch of one that requires grad against another batch size
    ((2, 2, 1), (2, 1, 2)), ((1, 2, 1), (1, 1, 2)), ((1, 2, 1), (2, 1, 2)),
    ((2, 2, 1), (1, 1, 2)), ((1, 1, 2), (2, 2, 2)), ((2, 2, 2), (1, 2, 1)),
    ((2, 1, 2, 1), (3, 1, 2)), ((1, 2, 1), (2, 2, 1, 2)), ((2, 2, 0), (2, 0, 2)),
    ((1, 2, 1), (3, 1, 2)), ((3, 2, 1), (1, 1, 2)),
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("rg", [(True, True), (True, False), (False, True), (False, False)])
@pytest.mark.parametrize("xs,ys", BATCHED)
def test_batched(xs, ys, rg, dtype):
    for seed in range(3):
        _same(xs, ys, x_rg=rg[0], y_rg=rg[1], dtype=dtype, seed=seed)


@pytest.mark.parametrize("x_layout", ["contiguous", "mT", "batch-transposed", "expanded",
                                      "stepped"])
@pytest.mark.parametrize("rg", [(True, True), (True, False), (False, True), (False, False)])
@pytest.mark.parametrize("xs,ys", [((2, 2, 1), (1, 2)), ((3, 2, 1), (1,)), ((2, 1, 2), (2,)),
                                   ((2, 2, 1), (1, 3)), ((2, 1, 1), (1, 2)),
                                   ((2, 3, 1), (2, 1, 2)), ((1, 2, 1), (1, 2))])
def test_batched_layouts_of_the_bigger_operand(xs, ys, x_layout, rg):
    # PyTorch folds an N-D @ 2-D (or 1-D) product without a grad on the small operand only
    # when the N-D operand's strides allow a view: these layouts exercise both answers
    if x_layout == "expanded" and xs[0] == 1:
        pytest.skip("nothing to expand")
    for seed in range(3):
        _same(xs, ys, x_layout=x_layout, x_rg=rg[0], y_rg=rg[1], seed=seed)


@pytest.mark.parametrize("y_layout", ["contiguous", "mT", "batch-transposed", "stepped"])
@pytest.mark.parametrize("rg", [(True, True), (True, False), (False, True)])
@pytest.mark.parametrize("xs,ys", [((1,), (2, 1, 2)), ((2,), (2, 2, 1)), ((1,), (1, 1, 3)),
                                   ((2, 1), (2, 1, 2)), ((2, 2), (2, 2, 1))])
def test_batched_layouts_of_the_right_operand(xs, ys, y_layout, rg):
    for seed in range(3):
        _same(xs, ys, y_layout=y_layout, x_rg=rg[0], y_rg=rg[1], seed=seed)


@pytest.mark.parametrize("xs,ys", [
    ((1, 20, 1), (1, 1, 20)), ((1, 19, 1), (1, 1, 21)), ((2, 20, 1), (2, 1, 20)),
    ((1, 20, 20), (1, 20, 1)), ((1, 1, 20), (1, 20, 20)), ((1, 20, 2), (1, 2, 1)),
    ((1, 25, 1), (1, 1, 16)), ((30, 1), (1, 1, 20)),
])
@pytest.mark.parametrize("rg", [(True, True), (False, False), (False, True), (True, False)])
def test_large_batches_of_one(xs, ys, rg):
    # bmm of a batch of one with at least 400 elements goes to MKL's gemm, as mm does
    _same(xs, ys, x_rg=rg[0], y_rg=rg[1])


def test_makemore_shapes_keep_numpy_values():
    # the common path: large inner sizes, nothing to change
    _same((32, 30), (30, 200), seed=1)
    _same((32, 200), (200, 27), seed=2)


# --------------------------------------------------------------- found by the fuzzer
def test_fuzz_tensor_229_division_by_a_product_of_zeros():
    # seed 777001, tensor program 229: rows of zeros from relu, times a row of negative
    # weights, divided into a number: PyTorch gets -0.0 from mm (inner size 1), so -inf
    results = []
    for lib in (ng, torch):
        a = lib.tensor([[-2.87], [0.0001]], requires_grad=True)
        w = lib.tensor([[-0.9, 0.66]], requires_grad=True)
        h = lib.cat([a.relu(), a.relu()])
        p = h @ w
        p.retain_grad()
        q = -2 / p
        upstream = lib.tensor([[-3.24, 1.31], [-0.55, 1.24], [3.13, -0.83], [-1.49, 2.11]])
        (q * upstream).sum().backward()
        results.append([np.array(t.tolist()) for t in (p, q, p.grad, a.grad, w.grad)])
    for ours, theirs in zip(*results, strict=True):
        np.testing.assert_allclose(ours, theirs, rtol=1e-6)
        np.testing.assert_array_equal(np.signbit(ours), np.signbit(theirs))


# ------------------------------------------- strides of size-1 dims, which matmul reads
@pytest.mark.parametrize("chain", [
    lambda t: t.expand(3, 2, 1), lambda t: t[:, :1].expand(2, 1, 2),
    lambda t: t.transpose(0, 1).unsqueeze(1), lambda t: t.transpose(0, 1).unsqueeze(-1),
    lambda t: t.unsqueeze(0).expand(2, 1, 2, 1), lambda t: t.transpose(0, 1).squeeze(0),
    lambda t: t.unsqueeze(1).transpose(0, 2).squeeze(1), lambda t: t[0].unsqueeze(0),
])
def test_views_keep_pytorch_strides_in_size_one_dims(chain):
    # numpy gives a size-1 dim of a broadcast stride 0 and its reshape picks strides of its
    # own; PyTorch's matmul folds batches by reading them, so ninjagrad keeps PyTorch's
    base = np.arange(2.0, dtype=np.float32).reshape(1, 2, 1)
    ours, theirs = chain(ng.tensor(base)), chain(torch.tensor(base))
    assert tuple(ours.shape) == tuple(theirs.shape)
    assert tuple(s // 4 for s in ours.data.strides) == theirs.stride()
    np.testing.assert_array_equal(ours.data, theirs.numpy())
