"""ninjagrad.functional against torch.nn.functional: forward, gradient, running statistics,
numerical stability and error messages."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from reference import NG, check

import ninjagrad as ng
from ninjagrad import functional as F

torch = pytest.importorskip("torch")
torchF = torch.nn.functional

FLOATS = [np.float64, np.float32]
SETTINGS = settings(max_examples=10, deadline=None, derandomize=True)
dims = st.integers(2, 33)
dtypes = st.sampled_from(FLOATS)
seeds = st.integers(0, 2**31 - 1)


def randn(shape, dtype, seed, scale=1.0):
    return (np.random.default_rng(seed).standard_normal(shape) * scale).astype(dtype)


def targets(n, classes, seed):
    return np.random.default_rng(seed + 7).integers(0, classes, size=n)


# --- softmax family -------------------------------------------------------------------------


@pytest.mark.parametrize("dim", [0, 1, -1])
@SETTINGS
@given(n=dims, m=dims, dtype=dtypes, seed=seeds)
def test_softmax_and_log_softmax(dim, n, m, dtype, seed):
    x = randn((n, m), dtype, seed, scale=3.0)
    check(lambda L, x: L.F.softmax(x, dim), x)
    check(lambda L, x: L.F.log_softmax(x, dim), x)
    check(lambda L, x: L.F.softmax(x, dim=dim), randn((2, n, m), dtype, seed))


def test_softmax_is_stable_for_huge_logits():
    x = np.array([[1000.0, 1001.0, -1000.0], [-5e4, -5e4, -5e4]])
    for dtype in FLOATS:
        probs = check(lambda L, x: L.F.softmax(x, 1), x.astype(dtype))
        assert np.isfinite(probs.data).all()
        logp = check(lambda L, x: L.F.log_softmax(x, 1), x.astype(dtype))
        assert logp.data[0, 2] == pytest.approx(-2001.3132616875182, rel=1e-6)


def test_softmax_needs_a_valid_dim():
    x = ng.tensor([[1.0, 2.0]])
    with pytest.raises(IndexError, match=r"Dimension out of range \(expected to be in range "
                                         r"of \[-2, 1\], but got 2\)"):
        F.softmax(x, 2)
    with pytest.raises(TypeError, match="dim must be an int"):
        F.softmax(x, None)
    with pytest.raises(TypeError, match="floating-point"):
        F.log_softmax(ng.tensor([1, 2]), 0)


# --- cross-entropy -------------------------------------------------------------------------


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@SETTINGS
@given(n=st.integers(1, 33), c=dims, dtype=dtypes, seed=seeds)
def test_cross_entropy(reduction, n, c, dtype, seed):
    logits, Y = randn((n, c), dtype, seed, scale=2.0), targets(n, c, seed)
    check(lambda L, x, y: L.F.cross_entropy(x, y, reduction=reduction), logits, Y)


def test_cross_entropy_at_the_lecture_size_with_repeated_targets():
    logits = randn((32, 27), np.float32, 3)
    Y = np.array([5] * 16 + list(range(16)))
    loss = check(lambda L, x, y: L.F.cross_entropy(x, y), logits, Y)
    assert loss.shape == () and loss.dtype == np.float32


def test_cross_entropy_is_stable_for_huge_logits():
    logits = np.array([[1e4, 0.0, -1e4], [0.0, 3e4, 0.0]])
    loss = check(lambda L, x, y: L.F.cross_entropy(x, y, reduction="none"), logits,
                 np.array([1, 1]))
    np.testing.assert_allclose(loss.data, [1e4, 0.0], rtol=1e-12)


def test_cross_entropy_is_one_fused_node():
    x = ng.tensor(randn((4, 5), np.float32, 0), requires_grad=True)
    loss = F.cross_entropy(x, ng.tensor([0, 1, 2, 3]))
    assert loss.op == "cross_entropy" and loss.parents[0] is x


def test_cross_entropy_backward_is_softmax_minus_one_hot_over_n():
    x = ng.tensor(randn((6, 4), np.float64, 1), requires_grad=True)
    y = ng.tensor([0, 3, 3, 1, 2, 0])
    F.cross_entropy(x, y).backward()
    e = np.exp(x.data - x.data.max(1, keepdims=True))
    expected = (e / e.sum(1, keepdims=True) - np.eye(4)[y.data]) / 6
    np.testing.assert_allclose(x.grad.data, expected, rtol=1e-12, atol=1e-15)


def test_cross_entropy_errors():
    x = ng.tensor(np.zeros((3, 4), np.float32), requires_grad=True)
    with pytest.raises(IndexError, match="target 4 is out of bounds for 4 classes"):
        F.cross_entropy(x, ng.tensor([0, 4, 1]))
    with pytest.raises(IndexError, match="target -1"):
        F.cross_entropy(x, ng.tensor([0, -1, 1]))
    with pytest.raises(ValueError, match=r"target shape \(2,\) does not match input shape"):
        F.cross_entropy(x, ng.tensor([0, 1]))
    with pytest.raises(TypeError, match="class indices"):
        F.cross_entropy(x, ng.tensor([0.0, 1.0, 2.0]))
    with pytest.raises(ValueError, match="reduction must be one of"):
        F.cross_entropy(x, ng.tensor([0, 1, 2]), reduction="avg")
    with pytest.raises(ValueError, match=r"\(n, C\) logits"):
        F.cross_entropy(ng.tensor(np.zeros(4, np.float32)), ng.tensor([0]))
    with pytest.raises(TypeError, match="target must be a Tensor, not list"):
        F.cross_entropy(x, [0, 1, 2])


# --- batch norm ----------------------------------------------------------------------------


@pytest.mark.parametrize("affine", [True, False])
@SETTINGS
@given(n=dims, c=st.integers(1, 33), dtype=dtypes, seed=seeds)
def test_batch_norm_training_matches_pytorch(affine, n, c, dtype, seed):
    x = randn((n, c), dtype, seed, scale=2.0) + 1.0
    w, b = randn(c, dtype, seed + 1) + 1.0, randn(c, dtype, seed + 2)
    if affine:
        check(lambda L, x, w, b: L.F.batch_norm(x, None, None, w, b, training=True), x, w, b)
    else:
        check(lambda L, x: L.F.batch_norm(x, None, None, training=True), x)


@SETTINGS
@given(n=dims, c=st.integers(1, 33), dtype=dtypes, seed=seeds)
def test_batch_norm_eval_uses_running_statistics(n, c, dtype, seed):
    x, w, b = randn((n, c), dtype, seed), randn(c, dtype, seed + 1), randn(c, dtype, seed + 2)
    mean, var = randn(c, dtype, seed + 3), np.abs(randn(c, dtype, seed + 4)) + 0.1

    def bn(L, x, w, b, mean, var):
        return L.F.batch_norm(x, mean, var, w, b, training=False)

    check(bn, x, w, b, mean, var, grad=[0, 1, 2])


@pytest.mark.parametrize("dtype", FLOATS)
def test_batch_norm_3d_input_normalises_over_batch_and_length(dtype):
    x, w, b = randn((4, 3, 5), dtype, 0), randn(3, dtype, 1), randn(3, dtype, 2)
    check(lambda L, x, w, b: L.F.batch_norm(x, None, None, w, b, training=True, eps=1e-3),
          x, w, b)


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("training", [True, False])
def test_running_statistics_update_in_place_like_pytorch(dtype, training):
    x = randn((16, 5), dtype, 0, scale=3.0) + 2.0
    stats = {}
    for name, lib, Fn in [("ng", ng, F), ("torch", torch, torchF)]:
        rm, rv = lib.tensor(randn(5, dtype, 1)), lib.tensor(np.abs(randn(5, dtype, 2)) + 0.5)
        rm_data = rm.numpy()
        for _ in range(3):
            Fn.batch_norm(lib.tensor(x), rm, rv, training=training, momentum=0.2)
        assert rm.numpy() is rm_data or name == "torch"  # updated in place, not replaced
        stats[name] = (np.asarray(rm.data), np.asarray(rv.data))
    tol = 1e-12 if dtype == np.float64 else 1e-6
    for ours, theirs in zip(stats["ng"], stats["torch"], strict=True):
        np.testing.assert_allclose(ours, theirs, rtol=tol)
    if not training:  # eval mode leaves them alone
        np.testing.assert_array_equal(stats["ng"][0], randn(5, dtype, 1))


def test_eval_output_keeps_the_input_dtype_with_float64_running_stats():
    x = ng.tensor(randn((4, 3), np.float32, 0))
    out = F.batch_norm(x, ng.zeros(3, dtype=ng.float64), ng.ones(3, dtype=ng.float64))
    assert out.dtype == np.float32
    np.testing.assert_allclose(out.data, x.data / np.sqrt(1 + 1e-5), rtol=1e-6)


def lecture_batchnorm(L, hprebn, bngain, bnbias):
    """The lecture's batchnorm layer with Bessel's correction, spelled out in primitives."""
    n = hprebn.shape[0]
    bnmeani = 1 / n * hprebn.sum(0, keepdim=True)
    bndiff = hprebn - bnmeani
    bnvar = 1 / (n - 1) * (bndiff**2).sum(0, keepdim=True)
    bnraw = bndiff * (bnvar + 1e-5) ** -0.5
    return bngain * bnraw + bnbias


@SETTINGS
@given(n=dims, c=st.integers(1, 64), dtype=dtypes, seed=seeds)
def test_batch_norm_with_bessel_correction_is_the_lectures_batchnorm(n, c, dtype, seed):
    x = randn((n, c), dtype, seed, scale=2.0)
    gain, bias = randn((1, c), dtype, seed + 1) * 0.1 + 1.0, randn((1, c), dtype, seed + 2)

    def bn(L, x, g, b):
        if L is NG:  # the fused Function, lecture-shaped (1, C) parameters
            return L.F.batch_norm(x, None, None, g, b, training=True, correction=1)
        return lecture_batchnorm(L, x, g, b)  # PyTorch: the lecture's explicit formula

    check(bn, x, gain, bias)


def test_batch_norm_is_one_fused_node():
    x = ng.tensor(randn((4, 3), np.float32, 0), requires_grad=True)
    w = ng.tensor(np.ones(3, np.float32), requires_grad=True)
    out = F.batch_norm(x, None, None, w, training=True)
    assert out.op == "batch_norm" and out.parents[0] is x and out.parents[1] is w


def test_batch_norm_errors():
    x = ng.tensor(np.zeros((4, 3), np.float32))
    with pytest.raises(ValueError, match="weight has 4 elements, expected 3"):
        F.batch_norm(x, None, None, ng.ones(4), training=True)
    with pytest.raises(ValueError, match="running_mean and running_var are required"):
        F.batch_norm(x, None, None)
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        F.batch_norm(ng.zeros(1, 3), None, None, training=True)
    with pytest.raises(ValueError, match="correction must be a non-negative int"):
        F.batch_norm(x, None, None, training=True, correction=0.5)
    with pytest.raises(TypeError, match="momentum must be a number"):
        F.batch_norm(x, None, None, training=True, momentum=None)
    with pytest.raises(ValueError, match=r"expected \(N, C\)"):
        F.batch_norm(ng.zeros(3), None, None, training=True)


# --- one_hot and embedding -------------------------------------------------------------------


@SETTINGS
@given(n=st.integers(1, 40), c=st.integers(1, 27), seed=seeds)
def test_one_hot_matches_pytorch(n, c, seed):
    y = targets(n, c, seed)
    for kwargs in ({}, {"num_classes": c + 2}):
        ours = F.one_hot(ng.tensor(y), **kwargs)
        theirs = torchF.one_hot(torch.tensor(y), **kwargs)
        assert ours.dtype == np.int64 and not ours.requires_grad
        np.testing.assert_array_equal(ours.data, theirs.numpy())
    y2 = y.reshape(1, -1)
    np.testing.assert_array_equal(F.one_hot(ng.tensor(y2), c).data,
                                  torchF.one_hot(torch.tensor(y2), c).numpy())


def test_one_hot_errors():
    with pytest.raises(ValueError, match=r"smaller than num_classes \(3\), got 3"):
        F.one_hot(ng.tensor([0, 3]), 3)
    with pytest.raises(ValueError, match="non-negative"):
        F.one_hot(ng.tensor([0, -1]))
    with pytest.raises(TypeError, match="index tensors"):
        F.one_hot(ng.tensor([0.0, 1.0]))


@SETTINGS
@given(n=st.integers(1, 33), vocab=st.integers(1, 27), d=st.integers(1, 10), dtype=dtypes,
       seed=seeds)
def test_embedding_matches_pytorch_with_repeated_rows(n, vocab, d, dtype, seed):
    Xb = np.random.default_rng(seed).integers(0, vocab, size=(n, 3))
    Xb[-1] = Xb[0]
    check(lambda L, C, X: L.F.embedding(X, C), randn((vocab, d), dtype, seed), Xb)


def test_embedding_errors():
    C = ng.tensor(np.zeros((27, 10), np.float32))
    with pytest.raises(IndexError, match="index 27 is out of range for 27 rows"):
        F.embedding(ng.tensor([[1, 27]]), C)
    with pytest.raises(TypeError, match="integer tensor"):
        F.embedding(ng.tensor([1.0]), C)
    with pytest.raises(ValueError, match="must be 2-D"):
        F.embedding(ng.tensor([1]), ng.zeros(3))


def test_fused_functions_leave_no_reference_cycles():
    """Their ctx holds arrays, never the output tensor: a finished graph is freed at once."""
    import gc

    x = ng.tensor(randn((8, 6), np.float32, 0), requires_grad=True)
    w = ng.tensor(np.ones(6, np.float32), requires_grad=True)
    W = ng.tensor(randn((6, 5), np.float32, 1), requires_grad=True)
    y = ng.tensor([0, 1, 2, 3, 4, 0, 1, 2])
    gc.collect()
    gc.disable()
    try:
        for _ in range(3):
            h = F.batch_norm(x, None, None, w, training=True, correction=1).tanh()
            logits = F.log_softmax(h @ W, 1) + F.softmax(h @ W, 1)
            loss = F.cross_entropy(logits, y) + F.embedding(y, W).sum()
            loss.backward()
            del h, logits, loss
        assert gc.collect() == 0
    finally:
        gc.enable()


# --- the fused ops' nodes ---------------------------------------------------------------------
@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("case", ["softmax", "log_softmax", "cross_entropy", "batch_norm"])
def test_each_fused_op_is_one_node_giving_each_input_its_shape_and_dtype(case, dtype):
    """One graph node per fused op, whose backward gives every input that requires grad a
    gradient of that input's shape and dtype (batch_norm's (1, C) weight keeps its shape)."""
    x = ng.tensor(randn((6, 4), dtype, 0), requires_grad=True)
    w = ng.tensor(randn((1, 4), dtype, 1), requires_grad=True)
    b = ng.tensor(randn((4,), dtype, 2), requires_grad=True)
    y = ng.tensor(targets(6, 4, 0))
    out, inputs = {
        "softmax": lambda: (F.softmax(x, 1), (x,)),
        "log_softmax": lambda: (F.log_softmax(x, 1), (x,)),
        "cross_entropy": lambda: (F.cross_entropy(x, y), (x, y)),
        "batch_norm": lambda: (F.batch_norm(x, None, None, w, b, training=True, correction=1),
                               (x, w, b)),
    }[case]()
    assert out.parents == inputs and out.dtype == dtype
    (out * ng.tensor(randn(out.shape, dtype, 3))).sum().backward()
    for t in inputs:
        if t.requires_grad:
            assert type(t.grad) is ng.Tensor, f"{case}: {type(t.grad).__name__}"
            assert t.grad.shape == t.shape and t.grad.dtype == t.dtype
        else:
            assert t.grad is None
