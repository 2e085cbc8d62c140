"""Every Tensor op: forward and gradient equal to PyTorch's (and to finite differences in
float64), on shapes drawn by hypothesis, through the one helper in ``tests/reference.py``."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from reference import NG, TH, _check_finite_differences, check

import ninjagrad as ng
import ninjagrad.tensors.tensor

FLOATS = [np.float64, np.float32]
SETTINGS = settings(max_examples=8, deadline=None, derandomize=True)

dims = st.integers(1, 33)
dtypes = st.sampled_from(FLOATS)
seeds = st.integers(0, 2**31 - 1)


def randn(shape, dtype, seed, positive=False):
    a = np.random.default_rng(seed).standard_normal(shape)
    if positive:
        a = np.abs(a) + 0.5  # log, sqrt and fractional powers need x > 0
    return a.astype(dtype)


# --- binary elementwise ops with broadcasting ---------------------------------------------

BINARY = {
    "add": lambda L, a, b: a + b,
    "sub": lambda L, a, b: a - b,
    "mul": lambda L, a, b: a * b,
    "div": lambda L, a, b: a / b,
}
# (left, right) shapes built from n, m: the lecture's (32,27)-(32,1), (27,)+(32,27), ...
BROADCASTS = {
    "same": lambda n, m: ((n, m), (n, m)),
    "column": lambda n, m: ((n, m), (n, 1)),
    "row": lambda n, m: ((m,), (n, m)),
    "keepdim_row": lambda n, m: ((1, m), (n, m)),
    "outer": lambda n, m: ((n, 1), (1, m)),
    "scalar_tensor": lambda n, m: ((n, m), ()),
    "batch_3d": lambda n, m: ((2, n, m), (n, 1)),
}


@pytest.mark.parametrize("op", BINARY)
@pytest.mark.parametrize("pattern", BROADCASTS)
@SETTINGS
@given(n=dims, m=dims, dtype=dtypes, seed=seeds)
def test_binary_broadcasting(op, pattern, n, m, dtype, seed):
    sa, sb = BROADCASTS[pattern](n, m)
    a = randn(sa, dtype, seed)
    b = randn(sb, dtype, seed + 1, positive=(op == "div"))
    check(BINARY[op], a, b)
    check(BINARY[op], b, a if op != "div" else np.abs(a) + 0.5)


@pytest.mark.parametrize(
    "fn",
    [
        lambda L, a: a + 2.5, lambda L, a: 2.5 + a, lambda L, a: a - 1.5, lambda L, a: 1.5 - a,
        lambda L, a: a * -3.0, lambda L, a: -3.0 * a, lambda L, a: a / 4.0,
        lambda L, a: 1 / a, lambda L, a: -a, lambda L, a: 1 / 32 * a,
    ],
    ids=["add", "radd", "sub", "rsub", "mul", "rmul", "div", "rdiv", "neg", "lecture_1/n"],
)
@pytest.mark.parametrize("dtype", FLOATS)
def test_python_scalars_keep_the_tensor_dtype(fn, dtype):
    check(fn, randn((5, 4), dtype, 0, positive=True))


# --- unary elementwise ops ----------------------------------------------------------------

UNARY = {
    "exp": (lambda L, x: x.exp(), False),
    "log": (lambda L, x: x.log(), True),
    "tanh": (lambda L, x: x.tanh(), False),
    "relu": (lambda L, x: x.relu(), False),
    "sigmoid": (lambda L, x: x.sigmoid(), False),
    "sqrt": (lambda L, x: x.sqrt(), True),
    "abs": (lambda L, x: x.abs(), False),
    "ng.tanh": (lambda L, x: L.tanh(x), False),
    "ng.exp": (lambda L, x: L.exp(x), False),
    "ng.sqrt": (lambda L, x: L.sqrt(x), True),
    "pow2": (lambda L, x: x**2, False),
    "pow3": (lambda L, x: x**3, False),
    "pow-1": (lambda L, x: x**-1, True),
    "pow-0.5": (lambda L, x: x**-0.5, True),
    "pow1.5": (lambda L, x: x**1.5, True),
    "one_minus_square": (lambda L, x: 1.0 - x**2, False),
}


@pytest.mark.parametrize("name", UNARY)
@SETTINGS
@given(n=dims, m=dims, dtype=dtypes, seed=seeds)
def test_unary(name, n, m, dtype, seed):
    fn, positive = UNARY[name]
    check(fn, randn((n, m), dtype, seed, positive=positive))


# --- reductions ---------------------------------------------------------------------------

REDUCTIONS = {
    "sum": lambda L, x: x.sum(),
    "mean": lambda L, x: x.mean(),
    "sum0": lambda L, x: x.sum(0),
    "sum1_keepdim": lambda L, x: x.sum(1, keepdim=True),
    "sum0_keepdim": lambda L, x: x.sum(0, keepdim=True),
    "sum-1": lambda L, x: x.sum(-1),
    "sum_keepdims": lambda L, x: x.sum(1, keepdims=True),
    "mean0_keepdim": lambda L, x: x.mean(0, keepdim=True),
    "mean1": lambda L, x: x.mean(1),
    "max1_values": lambda L, x: x.max(1).values,
    "max1_keepdim_values": lambda L, x: x.max(1, keepdim=True).values,
    "max0_values": lambda L, x: x.max(0).values,
    "max1_both": lambda L, x: tuple(x.max(1)),
    "max_all": lambda L, x: x.max(),
    "var0_keepdim": lambda L, x: x.var(0, keepdim=True),
    "var0_biased": lambda L, x: x.var(0, keepdim=True, unbiased=False),
    "var1": lambda L, x: x.var(1),
    "var_all": lambda L, x: x.var(),
}


@pytest.mark.parametrize("name", REDUCTIONS)
@SETTINGS
@given(n=st.integers(2, 33), m=st.integers(2, 33), dtype=dtypes, seed=seeds)
def test_reductions(name, n, m, dtype, seed):
    check(REDUCTIONS[name], randn((n, m), dtype, seed))


def test_max_indices_are_int64_and_match_pytorch():
    x = randn((32, 27), np.float32, 7)
    values, indices = check(lambda L, x: tuple(x.max(1)), x)
    assert indices.data.dtype == np.int64
    np.testing.assert_array_equal(indices.data, x.argmax(1))


# --- matmul -------------------------------------------------------------------------------


@SETTINGS
@given(n=dims, k=dims, m=dims, dtype=dtypes, seed=seeds)
def test_matmul(n, k, m, dtype, seed):
    check(lambda L, a, b: a @ b, randn((n, k), dtype, seed), randn((k, m), dtype, seed + 1))


@pytest.mark.parametrize("dtype", FLOATS)
def test_lecture_linear_layers(dtype):
    # 32x30 @ 30x200 + 200 and 32x200 @ 200x27 + 27, as in the names MLP
    x, W1, b1 = randn((32, 30), dtype, 1), randn((30, 200), dtype, 2), randn(200, dtype, 3)
    check(lambda L, x, W, b: x @ W + b, x, W1, b1)
    h, W2, b2 = randn((32, 200), dtype, 4), randn((200, 27), dtype, 5), randn(27, dtype, 6)
    check(lambda L, h, W, b: L.tanh(h) @ W + b, h, W2, b2)


# --- shapes -------------------------------------------------------------------------------

SHAPES = {
    "view_flat": lambda L, x: x.view(x.shape[0], -1),
    "view_explicit": lambda L, x: x.view(-1),
    "reshape": lambda L, x: x.reshape(x.shape[0] * x.shape[1], x.shape[2]),
    "T": lambda L, x: x.sum(2).T,
    "transpose": lambda L, x: x.transpose(0, 1),
    "T_matmul": lambda L, x: x.sum(2).T @ x.sum(2),
}


@pytest.mark.parametrize("name", SHAPES)
@SETTINGS
@given(n=dims, m=st.integers(1, 5), c=st.integers(1, 10), dtype=dtypes, seed=seeds)
def test_shapes(name, n, m, c, dtype, seed):
    check(SHAPES[name], randn((n, m, c), dtype, seed))


# --- indexing -----------------------------------------------------------------------------


@SETTINGS
@given(n=dims, vocab=st.integers(2, 27), dtype=dtypes, seed=seeds)
def test_pluck_logprobs(n, vocab, dtype, seed):
    # logprobs[range(n), Yb]: one element per row, rows may pick the same column
    Yb = np.random.default_rng(seed).integers(0, vocab, size=n)
    x = randn((n, vocab), dtype, seed)
    check(lambda L, x, Y: -x[range(n), Y].mean(), x, Yb)
    check(lambda L, x, Y: x[range(n), Y], x, Yb)


@SETTINGS
@given(n=dims, vocab=st.integers(1, 27), emb=st.integers(1, 10), dtype=dtypes, seed=seeds)
def test_embedding_lookup_with_repeated_rows(n, vocab, emb, dtype, seed):
    rng = np.random.default_rng(seed)
    Xb = rng.integers(0, vocab, size=(n, 3))
    Xb[0] = Xb[-1]  # guarantee repeats: the backward must add, not overwrite
    C = randn((vocab, emb), dtype, seed)
    check(lambda L, C, X: C[X], C, Xb)
    check(lambda L, C, X: C[X].view(n, -1), C, Xb)


INDEXING = {
    "int": lambda L, x: x[1],
    "negative_int": lambda L, x: x[-1],
    "slice": lambda L, x: x[1:3],
    "int_slice": lambda L, x: x[:, 0],
    "step_slice": lambda L, x: x[::2, 1:],
    "int_list": lambda L, x: x[[0, 2, 0, 0]],
    "int_pair": lambda L, x: x[2, 1],
    # a range that crosses zero wraps around: rows -4..3 of 4 rows select each row twice
    "range_wrapping": lambda L, x: x[range(-4, 4), [0] * 8],
}


@pytest.mark.parametrize("name", INDEXING)
@pytest.mark.parametrize("dtype", FLOATS)
def test_indexing(name, dtype):
    check(INDEXING[name], randn((4, 3), dtype, 11))


# --- cat / stack --------------------------------------------------------------------------


@SETTINGS
@given(n=dims, m=dims, dtype=dtypes, seed=seeds)
def test_cat_and_stack(n, m, dtype, seed):
    a, b = randn((n, m), dtype, seed), randn((n, m), dtype, seed + 1)
    c = randn((2, m), dtype, seed + 2)
    check(lambda L, a, b: L.cat([a, b], 1), a, b)
    check(lambda L, a, c: L.cat([a, c], 0), a, c)
    check(lambda L, a, c: L.cat([a, c]), a, c)
    check(lambda L, a, b: L.stack([a, b]), a, b)
    check(lambda L, a, b: L.stack([a, b], 1), a, b)


# --- compositions the lecture relies on -----------------------------------------------------


@SETTINGS
@given(n=st.integers(2, 33), m=st.integers(2, 33), dtype=dtypes, seed=seeds)
def test_explicit_softmax_chain(n, m, dtype, seed):
    """The lecture's eight-line cross-entropy on its own, with a reused node (logits)."""
    Yb = np.random.default_rng(seed).integers(0, m, size=n)

    def loss(L, logits, Y):
        norm = logits - logits.max(1, keepdim=True).values
        counts = norm.exp()
        probs = counts * counts.sum(1, keepdims=True) ** -1
        return -probs.log()[range(n), Y].mean()

    check(loss, randn((n, m), dtype, seed), Yb)


def test_both_libraries_are_really_used():
    # guard against the helper silently comparing a library with itself
    assert NG.module is not TH.module and NG.F is not TH.F


# --- the rest of the op set ---------------------------------------------------------------

MORE = {
    "pow_tensor_exponent": (lambda L, a, b: a**b, [(4, 5), (5,)], True),
    "rpow": (lambda L, a: 2.0**a, [(4, 5)], False),
    "log10": (lambda L, a: a.log10(), [(4, 5)], True),
    "min1_values": (lambda L, a: a.min(1).values, [(4, 5)], False),
    "min0_both": (lambda L, a: tuple(a.min(0, keepdim=True)), [(4, 5)], False),
    "clone": (lambda L, a: a.clone() * 2, [(4, 5)], False),
    "permute": (lambda L, a: a.permute(2, 0, 1), [(2, 3, 4)], False),
    "unsqueeze": (lambda L, a: a.unsqueeze(1) * L.ones(1, 3, 1, dtype=a.dtype), [(4, 5)], False),
    "squeeze": (lambda L, a: a.squeeze(1), [(4, 1, 5)], False),
    "squeeze_all": (lambda L, a: a.squeeze(), [(4, 1, 5, 1)], False),
    "top_level": (lambda L, a: L.sum(L.exp(a) * L.sigmoid(a), 1) + L.mean(L.relu(a)), [(4, 5)],
                  False),
    "matmul_vector": (lambda L, a, b: L.matmul(a, b), [(4, 5), (5,)], False),
    "vector_matmul": (lambda L, a, b: a @ b, [(5,), (5, 3)], False),
    "batched_matmul": (lambda L, a, b: a @ b, [(2, 4, 5), (5, 3)], False),
}


@pytest.mark.parametrize("name", MORE)
@pytest.mark.parametrize("dtype", FLOATS)
def test_more_ops(name, dtype):
    fn, shapes, positive = MORE[name]
    check(fn, *[randn(s, dtype, i, positive=positive) for i, s in enumerate(shapes)])


@pytest.mark.parametrize("dtype", FLOATS)
def test_casts_between_float_dtypes_carry_gradients(dtype):
    check(lambda L, a: a.double() * 2, randn((3, 4), dtype, 0))
    check(lambda L, a: a.float() * 2, randn((3, 4), dtype, 0))
    check(lambda L, a: a.to(L.float64) + 1, randn((3, 4), dtype, 0))


def test_comparisons_and_argmax_have_no_gradient():
    a, b = randn((4, 5), np.float32, 0), randn((4, 5), np.float32, 1)
    for fn in [lambda L, a, b: a == b, lambda L, a, b: a < b, lambda L, a, b: a >= 0.5,
               lambda L, a, b: a.argmax(1), lambda L, a, b: a.max(1).indices == b.argmax(1),
               lambda L, a, b: (a > b).all(), lambda L, a, b: (a > b).any(1),
               lambda L, a, b: (a > -1.5).all(0, keepdim=True), lambda L, a, b: L.all(a == a),
               lambda L, a, b: L.any(a > 1.0)]:
        out = check(fn, a, b)
        assert not out.requires_grad


def test_in_place_updates_inside_a_graph():
    """``d[range(n), y] -= 1`` and ``d /= n`` on a non-leaf: recorded, gradients flow."""
    Y = np.array([1, 0, 3, 3])

    def fn(L, logits, Y):
        d = L.F.softmax(logits, 1) * 1.0  # torch forbids editing softmax's saved output
        d[range(4), Y] -= 1
        d /= 4
        d *= 3.0
        d += 0.5
        return d

    for dtype in FLOATS:
        check(fn, randn((4, 5), dtype, 3), Y)


def test_setitem_inside_a_graph():
    def fn(L, a, v):
        b = a * 1.0
        b[1] = v
        b[:, 0] = 0.0
        return b.exp()

    for dtype in FLOATS:
        check(fn, randn((3, 4), dtype, 0), randn(4, dtype, 1))


def test_leaf_data_updates_do_not_build_a_graph():
    """The lecture's update: ``p.data += -lr * grad`` on a leaf that requires grad."""
    for L in (NG, TH):
        p = L.tensor(np.ones(3), requires_grad=True)
        g = L.tensor(np.full(3, 2.0))
        p.data += -0.1 * g
        with L.no_grad():
            p -= 0.1 * g
        np.testing.assert_allclose(np.asarray(p.detach()), [0.6, 0.6, 0.6], rtol=1e-15)
        assert p.requires_grad and p.grad is None


# --- the helper itself must be able to fail -------------------------------------------------


class _WrongTanh(ng.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.y = x.tanh()
        return ctx.y

    @staticmethod
    def backward(ctx, g):
        return g * (1 - ctx.y)  # should be 1 - y**2


def test_reference_helper_rejects_a_wrong_gradient():
    def fn(L, x):
        return _WrongTanh.apply(x) if L is NG else L.tanh(x)

    with pytest.raises(AssertionError, match="input 0 gradient vs PyTorch"):
        check(fn, randn((3, 4), np.float64, 0))


def test_reference_helper_rejects_a_wrong_forward_and_dtype():
    with pytest.raises(AssertionError, match="output 0 forward"):
        check(lambda L, x: x * (1.0 + 1e-7) if L is NG else x, randn((3, 4), np.float64, 0))
    with pytest.raises(AssertionError, match="dtype"):
        check(lambda L, x: x.double() if L is NG else x, randn((3, 4), np.float32, 0))


def test_finite_differences_catch_what_pytorch_would_miss():
    x = randn((3, 4), np.float64, 0)
    G = randn((3, 4), np.float64, 1)
    wrong = (1 - np.tanh(x)) * G
    with pytest.raises(AssertionError, match="finite differences"):
        _check_finite_differences(lambda L, x: x.tanh(), [x], 0, 0, G, wrong, None)
    right = (1 - np.tanh(x) ** 2) * G
    _check_finite_differences(lambda L, x: x.tanh(), [x], 0, 0, G, right, None)
    big = randn((20, 30), np.float64, 2)  # large inputs: random directional derivatives
    Gb = randn((20, 30), np.float64, 3)
    rng = np.random.default_rng(0)
    with pytest.raises(AssertionError, match="directional derivative"):
        _check_finite_differences(lambda L, x: x.tanh(), [big], 0, 0, Gb,
                                  (1 - np.tanh(big)) * Gb, rng)


# --- non-differentiable points: PyTorch's conventions (no finite differences there) ----------

KINKS = {
    "max_dim_ties": (lambda L, a: a.max(1).values, [[1.0, 1.0, 0.0], [2.0, 3.0, 3.0]]),
    "max_all_ties_share": (lambda L, a: a.max(), [[1.0, 3.0, 0.0], [2.0, 3.0, 3.0]]),
    "relu_at_0": (lambda L, a: a.relu(), [0.0, 1.0, -1.0]),
    "abs_at_0": (lambda L, a: a.abs(), [0.0, 1.0, -1.0]),
    "sqrt_at_0": (lambda L, a: a.sqrt(), [0.0, 1.0, 4.0]),
    "exp_overflow": (lambda L, a: a.exp(), [100.0, 0.0]),
    "tanh_saturated": (lambda L, a: L.tanh(a), [-800.0, 0.0, 800.0]),
    "sigmoid_saturated": (lambda L, a: a.sigmoid(), [-800.0, 0.0, 800.0]),
    "pow_0_at_0": (lambda L, a: a**0 + a ** L.zeros_like(a) + 2.0**a, [0.0, 1.0, -2.0]),
}


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize("name", KINKS)
@pytest.mark.parametrize("dtype", FLOATS)
def test_non_differentiable_points_follow_pytorch(name, dtype):
    fn, values = KINKS[name]
    check(fn, np.array(values, dtype=dtype), fd=False)


@pytest.mark.parametrize("dtype", FLOATS)
def test_method_spellings(dtype):
    x, W = randn((4, 5), dtype, 0), randn((5, 3), dtype, 1)
    check(lambda L, x: x.std(), x)
    check(lambda L, x: x.std(0, keepdim=True), x)
    check(lambda L, x: x.std(1, unbiased=False), x)
    check(lambda L, x: x.t(), x)
    check(lambda L, x: x.pow(3) + x.pow(2.0), x)
    check(lambda L, x, W: x.matmul(W), x, W)
    check(lambda L, x: L.max(x, 1).values + L.min(x, 1).values + L.sum(x, 1) + L.mean(x, 1), x)
    check(lambda L, x: L.abs(x) + L.log10(L.abs(x) + 1) + L.relu(x) + L.sigmoid(x), x)
    check(lambda L, x: L.transpose(L.reshape(x, (5, 4)), 0, 1) * L.clone(x), x)
    check(lambda L, x: L.var(x, 0).sum() + L.matmul(x, x.T), x)


# --- every registered method, spelled as a method ----------------------------------------

def _setitem(L, a, b):
    h = a * 2
    h[1:, 0] = b[0, :2]
    return h


# One comparison per Tensor method an op registers (``@method``), written with that method,
# and with PyTorch's function form as well where the op is also one (``ninjagrad.sum``).
# Inputs: a, b of shape (3, 4); p positive (3, 4); m (4, 2); f float32 (3, 4).
METHOD_CASES = {
    # in-place ops, on a non-leaf copy (tests/test_inplace_views.py compares their semantics)
    "__iadd__": (lambda L, a, b: (a * 1).__iadd__(b), "ab"),
    "__isub__": (lambda L, a, b: (a * 1).__isub__(b), "ab"),
    "__imul__": (lambda L, a, b: (a * 1).__imul__(b), "ab"),
    "__itruediv__": (lambda L, a, p: (a * 1).__itruediv__(p), "ap"),
    "__ipow__": (lambda L, p: (p * 1).__ipow__(1.5), "p"),
    "add_": (lambda L, a, b: (a * 1).add_(b), "ab"),
    "sub_": (lambda L, a, b: (a * 1).sub_(b), "ab"),
    "mul_": (lambda L, a, b: (a * 1).mul_(b), "ab"),
    "div_": (lambda L, a, p: (a * 1).div_(p), "ap"),
    "pow_": (lambda L, p: (p * 1).pow_(2.5), "p"),
    "__imod__": (lambda L, a, p: (a * 1).__imod__(p), "ap"),
    "remainder_": (lambda L, a: (a * 1).remainder_(0.7), "a"),
    "__ifloordiv__": (lambda L, a, p: (a.detach() * 1).__ifloordiv__(p.detach()), "ap"),
    "floor_divide_": (lambda L, a, p: (a.detach() * 1).floor_divide_(0.5), "ap"),
    "zero_": (lambda L, a, b: (a * 1).zero_() + b, "ab"),
    "fill_": (lambda L, a, b: (a * 1).fill_(2.0) * b, "ab"),
    "copy_": (lambda L, a, b: (a * 1).copy_(b) * a, "ab"),
    "expand": (lambda L, a: a[:, :1].expand(3, 4) + a[0].expand(3, -1), "a"),
    "expand_as": (lambda L, a, b: a[:1].expand_as(b) * b, "ab"),
    "__add__": (lambda L, a, b: a + b, "ab"),
    "__radd__": (lambda L, a: 2.5 + a, "a"),
    "__sub__": (lambda L, a, b: a - b, "ab"),
    "__rsub__": (lambda L, a: 1.5 - a, "a"),
    "__mul__": (lambda L, a, b: a * b, "ab"),
    "__rmul__": (lambda L, a: -3.0 * a, "a"),
    "__truediv__": (lambda L, a, p: a / p + a / 4.0, "ap"),
    "__rtruediv__": (lambda L, p: 1 / p, "p"),
    "__pow__": (lambda L, p, b: p**b + p**1.5, "pb"),
    "__rpow__": (lambda L, a: 2.0**a, "a"),
    "pow": (lambda L, p: p.pow(3) + p.pow(0.5), "p"),
    "__matmul__": (lambda L, a, m: a @ m, "am"),
    "__rmatmul__": (lambda L, a, m: m.__rmatmul__(a), "am"),
    "matmul": (lambda L, a, m: a.matmul(m) + L.matmul(a, m), "am"),
    "__neg__": (lambda L, a: -a, "a"),
    "__abs__": (lambda L, a: abs(a), "a"),
    "abs": (lambda L, a: a.abs() + L.abs(a), "a"),
    "__getitem__": (lambda L, a: a[1:, [0, 2, 2]] + a[0, :3], "a"),
    "__setitem__": (_setitem, "ab"),
    "__eq__": (lambda L, a, b: a == b, "ab"),
    "__ne__": (lambda L, a, b: a != b, "ab"),
    "__lt__": (lambda L, a, b: a < b, "ab"),
    "__le__": (lambda L, a, b: a <= b, "ab"),
    "__gt__": (lambda L, a, b: a > b, "ab"),
    "__ge__": (lambda L, a, b: a >= 0.5, "ab"),
    "exp": (lambda L, a: a.exp() + L.exp(a), "a"),
    "log": (lambda L, p: p.log() + L.log(p), "p"),
    "log10": (lambda L, p: p.log10() + L.log10(p), "p"),
    "tanh": (lambda L, a: a.tanh() + L.tanh(a), "a"),
    "sigmoid": (lambda L, a: a.sigmoid() + L.sigmoid(a), "a"),
    "relu": (lambda L, a: a.relu() + L.relu(a), "a"),
    "sqrt": (lambda L, p: p.sqrt() + L.sqrt(p), "p"),
    "clone": (lambda L, a: a.clone() * L.clone(a), "a"),
    "to": (lambda L, a: a.to(L.float32), "a"),
    "float": (lambda L, a: a.float(), "a"),
    "double": (lambda L, f: f.double(), "f"),
    "int": (lambda L, a: (a * 3).int(), "a"),
    "long": (lambda L, a: (a * 3).long(), "a"),
    "sum": (lambda L, a: a.sum(1) + L.sum(a, 0)[:3] + a.sum(), "a"),
    "mean": (lambda L, a: a.mean(1) + L.mean(a, 0)[:3] + a.mean(), "a"),
    "var": (lambda L, a: a.var(1) + L.var(a, 0)[:3] + a.var(), "a"),
    "std": (lambda L, a: a.std(1) + a.std(), "a"),
    "max": (lambda L, a: a.max(1).values + L.max(a, 0).values[:3] + a.max(), "a"),
    "min": (lambda L, a: a.min(1).values + L.min(a, 0).values[:3] + a.min(), "a"),
    "argmax": (lambda L, a: a.argmax(1) + L.argmax(a), "a"),
    "all": (lambda L, a: [(a > -1).all(1), L.all(a > -3)], "a"),
    "any": (lambda L, a: [(a > 1).any(0), L.any(a > 3)], "a"),
    "view": (lambda L, a: a.view(2, 6), "a"),
    "reshape": (lambda L, a: a.reshape(4, 3) + L.reshape(a, (4, 3)), "a"),
    "transpose": (lambda L, a: a.transpose(0, 1) + L.transpose(a, 1, 0), "a"),
    "t": (lambda L, a: a.t(), "a"),
    "T": (lambda L, a: a.T, "a"),
    "permute": (lambda L, a: a.permute(1, 0) + L.permute(a, (1, 0)), "a"),
    "unsqueeze": (lambda L, a: a.unsqueeze(1) + L.unsqueeze(a, 0).view(3, 1, 4), "a"),
    "squeeze": (lambda L, a: a[:, None].squeeze(1) + a[None].squeeze() + L.squeeze(a[None], 0),
                "a"),
}
INPUTS = {
    "a": randn((3, 4), np.float64, 0),
    "b": randn((3, 4), np.float64, 1),
    "p": randn((3, 4), np.float64, 2, positive=True),
    "m": randn((4, 2), np.float64, 3),
    "f": randn((3, 4), np.float32, 4),
}


class _Calls:
    """Records which registered Tensor methods the compared code calls itself (calls made
    inside an op, such as ``squeeze`` reshaping, do not count) and which names it reads
    from ``ninjagrad``."""

    def __init__(self, monkeypatch):
        self.methods, self.functions, self._depth = set(), set(), 0
        for name, op in ninjagrad.tensors.tensor.OP_METHODS.items():
            wrapped = self._wrap(name, op)
            is_property = isinstance(vars(ng.Tensor)[name], property)
            monkeypatch.setattr(ng.Tensor, name, property(wrapped) if is_property else wrapped)
        lookup = NG.__class__.__getattr__
        monkeypatch.setattr(NG.__class__, "__getattr__",
                            lambda lib, name: self.functions.add(name) or lookup(lib, name))

    def _wrap(self, name, op):
        def recorded(*args, **kwargs):
            if self._depth == 0:
                self.methods.add(name)
            self._depth += 1
            try:
                return op(*args, **kwargs)
            finally:
                self._depth -= 1

        return recorded


@pytest.mark.parametrize("name", sorted(ninjagrad.tensors.tensor.OP_METHODS))
def test_every_registered_tensor_method_is_compared_with_pytorch(name, monkeypatch):
    assert name in METHOD_CASES, f"Tensor.{name} has no PyTorch comparison in METHOD_CASES"
    fn, inputs = METHOD_CASES[name]
    calls = _Calls(monkeypatch)
    check(fn, *(INPUTS[i] for i in inputs))
    assert name in calls.methods, f"the METHOD_CASES entry of {name} never calls Tensor.{name}"
    function_form = getattr(ng, name, None)  # ninjagrad.sum wraps the op Tensor.sum is
    if getattr(function_form, "__wrapped__", None) is ninjagrad.tensors.tensor.OP_METHODS[name]:
        assert name in calls.functions, f"the entry of {name} never calls ninjagrad.{name}"


def test_method_cases_name_only_registered_methods():
    stale = sorted(set(METHOD_CASES) - set(ninjagrad.tensors.tensor.OP_METHODS))
    assert not stale, f"METHOD_CASES entries for methods no op registers: {stale}"


# --- the names PyTorch code reaches for (issue 9): each compared with PyTorch ---------------

# (fn, shapes, positive inputs); floats drawn from a normal distribution
COURSE_UNARY = {
    "sin": (lambda L, x: x.sin(), False),
    "cos": (lambda L, x: L.cos(x), False),
    "ng.sin": (lambda L, x: L.sin(x * 3.0), False),
    "tan": (lambda L, x: (x * 0.4).tan() + L.tan(x * 0.3), False),
    "atan": (lambda L, x: x.atan() + L.atan(x) + x.arctan(), False),
    "sinh": (lambda L, x: x.sinh() + L.sinh(x), False),
    "cosh": (lambda L, x: x.cosh() + L.cosh(x), False),
    "log1p": (lambda L, x: x.log1p() + L.log1p(x), True),
    "expm1": (lambda L, x: x.expm1() + L.expm1(x), False),
    "exp2": (lambda L, x: x.exp2() + L.exp2(x), False),
    "log2": (lambda L, x: x.log2() + L.log2(x), True),
    "rsqrt": (lambda L, x: x.rsqrt() + L.rsqrt(x), True),
    "reciprocal": (lambda L, x: x.reciprocal() + L.reciprocal(x), True),
    "square": (lambda L, x: x.square() + L.square(x), False),
    "neg": (lambda L, x: x.neg() + L.neg(x) + x.negative(), False),
    "pow_function": (lambda L, x: L.pow(x, 3) + L.pow(2.0, x) + L.pow(x, x), True),
    # piecewise constant: the gradient is zero, also at the jumps
    "sign": (lambda L, x: x.sign() * x + L.sign(x), False),
    "floor_ceil": (lambda L, x: (x * 3).floor() + L.ceil(x * 3) + x, False),
    "round_trunc": (lambda L, x: (x * 3).round() + L.trunc(x * 3) + L.round(x, decimals=1), False),
    # clamp with number bounds: one, the other, both, crossed
    "clamp": (lambda L, x: x.clamp(-0.5, 0.5) + L.clamp(x, min=0.2) + x.clamp(max=-0.1), False),
    "clamp_crossed": (lambda L, x: x.clamp(0.5, -0.5), False),
    "clamp_min_max_clip": (lambda L, x: x.clamp_min(0.1) + L.clamp_max(x, 0.3) + x.clip(-1, 1)
                           + L.clamp_min(x, -0.2) + x.clamp_max(0.0) + L.clip(x, max=0.7), False),
    "prod_all": (lambda L, x: x.prod(), False),
    "prod_dim": (lambda L, x: x.prod(1) + L.prod(x, 1), False),
    "prod_keepdim": (lambda L, x: x.prod(0, keepdim=True), False),
    "cumsum": (lambda L, x: x.cumsum(0) + L.cumsum(x, 1) + x.cumsum(-1), False),
    "unbind_cat": (lambda L, x: L.cat(L.unbind(x, 1), 0) * 2, False),
    "unbind_stack": (lambda L, x: L.stack(x.unbind(0), 1), False),
    "squeeze_unsqueeze_functions": (lambda L, x: L.squeeze(L.unsqueeze(x, 1), dim=1)
                                    + L.permute(x, (0, 1)), False),
    "where_self": (lambda L, x: L.where(x > 0, x, x * x), False),
    "where_scalars": (lambda L, x: L.where(x > 0, x, 0.0) + L.where(x < 0.3, 1.5, x), False),
    "where_method": (lambda L, x: x.where(x > 0.1, -x), False),
    "maximum_minimum_self": (lambda L, x: L.maximum(x, x * 0.5)
                             + x.minimum(x * -1.0), False),
}


@pytest.mark.parametrize("name", COURSE_UNARY)
@pytest.mark.parametrize("dtype", FLOATS)
def test_course_unary_ops(name, dtype):
    fn, positive = COURSE_UNARY[name]
    check(fn, randn((5, 4), dtype, 3, positive=positive))


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("shapes", [((4, 5), (4, 5)), ((4, 5), (5,)), ((4, 1), (1, 5)),
                                    ((4, 5), ())], ids=str)
def test_binary_selection_ops_broadcast(dtype, shapes):
    a, b = randn(shapes[0], dtype, 1), randn(shapes[1], dtype, 2)
    check(lambda L, a, b: L.maximum(a, b), a, b)
    check(lambda L, a, b: L.minimum(a, b) + a.maximum(b), a, b)
    check(lambda L, a, b: L.where(a > 0, a, b), a, b)
    check(lambda L, a, b: L.where(b > 0, a, b), a, b)
    check(lambda L, a, b: L.where(b > 0, a * 2, 1.0) + L.where(a > b, -1.0, b), a, b)


@pytest.mark.parametrize("dtype", FLOATS)
def test_clamp_with_tensor_bounds(dtype):
    x, lo, hi = randn((4, 5), dtype, 1), randn((5,), dtype, 2) - 0.5, randn((4, 1), dtype, 3)
    check(lambda L, x, lo, hi: L.clamp(x, lo, hi), x, lo, hi)
    check(lambda L, x, lo: x.clamp(min=lo), x, lo)
    check(lambda L, x, hi: x.clamp(max=hi), x, hi)


# Ties and bounds hit exactly: PyTorch's conventions (maximum/minimum split a tie evenly,
# clamp passes the gradient at a bound, a crossed tensor bound gets it from max).
SELECTION_KINKS = {
    "clamp_at_bounds": (lambda L, x: x.clamp(-1.0, 1.0), [[-2.0, -1.0, 0.0, 1.0, 2.0]]),
    "clamp_min_at_bound": (lambda L, x: x.clamp(min=0.0), [[-1.0, 0.0, 1.0]]),
    "maximum_ties": (lambda L, a, b: L.maximum(a, b), [[1.0, 2.0, 3.0], [1.0, 3.0, 3.0]]),
    "minimum_ties": (lambda L, a, b: L.minimum(a, b), [[1.0, 2.0, 3.0], [1.0, 3.0, 3.0]]),
    "maximum_tie_broadcast": (lambda L, a, b: L.maximum(a, b), [[[1.0, 2.0], [2.0, 2.0]],
                                                                [2.0, 2.0]]),
    "clamp_tensor_bounds_hit": (lambda L, x, lo, hi: L.clamp(x, lo, hi),
                                [[-2.0, -1.0, 0.0, 1.0, 2.0], [-1.0, -1.0, -1.0, 3.0, 0.0],
                                 [1.0, 1.0, 1.0, 1.0, 2.0]]),
    "prod_with_zeros": (lambda L, x: x.prod(1), [[[1.0, 0.0, 2.0], [0.0, 0.0, 3.0],
                                                  [2.0, 3.0, 4.0]]]),
    "prod_all_one_zero": (lambda L, x: x.prod(), [[1.0, 0.0, 2.0, 5.0]]),
    "sign_at_0": (lambda L, x: x.sign() + x, [[-1.0, 0.0, 2.0]]),
    "round_half_even": (lambda L, x: x.round() + x, [[-1.5, -0.5, 0.5, 1.5, 2.5]]),
}


@pytest.mark.parametrize("name", SELECTION_KINKS)
@pytest.mark.parametrize("dtype", FLOATS)
def test_selection_ties_and_bounds_follow_pytorch(name, dtype):
    fn, values = SELECTION_KINKS[name]
    check(fn, *[np.array(v, dtype=dtype) for v in values], fd=False)


@pytest.mark.parametrize("dtype", FLOATS)
def test_casts_and_devices_keep_gradients(dtype):
    x = randn((3, 4), dtype, 0)
    check(lambda L, a: a.half().float() * 2, x)
    check(lambda L, a: a.to("cpu", L.float64) * a.cpu() + a.to(L.device("cpu")), x)
    check(lambda L, a: a.to(dtype=L.double, device="cpu") + a.to(L.ones(1, dtype=L.float64)), x)
    check(lambda L, a: a.bool().long() + (a > 0).int(), x)


def test_integer_and_bool_inputs_get_pytorch_dtypes():
    ints = np.array([[3, -2, 0], [1, 5, -4]])
    for fn in [lambda L, i: i.sign(), lambda L, i: i.floor(), lambda L, i: L.square(i),
               lambda L, i: (i + 10).reciprocal(), lambda L, i: L.exp2(i), lambda L, i: i.sin(),
               lambda L, i: i.clamp(0, 2), lambda L, i: i.clamp(0, 2.5), lambda L, i: i.prod(),
               lambda L, i: i.cumsum(1), lambda L, i: i.argmin(), lambda L, i: i.argmin(1),
               lambda L, i: L.argmin(i, 0, keepdim=True), lambda L, i: (i > 0).prod(1),
               lambda L, i: L.where(i > 0, i, 0), lambda L, i: L.where(i > 0, i, 0.5),
               lambda L, i: L.maximum(i, L.tensor(2)), lambda L, i: i.round(),
               lambda L, i: L.clamp(i, L.tensor([0, 1, 2]), None), lambda L, i: i.neg()]:
        check(fn, ints)


def test_histc_and_histogram_follow_pytorch_values_and_dtypes():
    for dtype in FLOATS:
        x = randn((40, 7), dtype, 5)
        check(lambda L, x: x.histc(10), x, grad=[])
        check(lambda L, x: L.histc(x, bins=7, min=-1, max=1), x, grad=[])
        check(lambda L, x: tuple(L.histogram(x, 9)), x, grad=[])
        check(lambda L, x: tuple(x.histogram(bins=5, range=(-1.0, 2.0), density=True)), x,
              grad=[])




@pytest.mark.parametrize("dtype", FLOATS)
def test_remainder_and_floor_division(dtype):
    a, b = randn((4, 5), dtype, 1) * 3, randn((5,), dtype, 2, positive=True)
    check(lambda L, a, b: a % b + a.remainder(b) + a % 1.5, a, b)
    check(lambda L, a, b: 2.5 % b, a, b, grad=[])
    check(lambda L, a, b: a // b + a.floor_divide(b) + a // 2.0 + 7.0 // b, a, b, grad=[])
    ints = np.array([7, -7, 3, 0])
    check(lambda L, i: i % 3 + i // 2 + i.remainder(4) + 9 % (i + 10) + 9 // (i + 10), ints)


def test_floor_division_refuses_to_differentiate_like_pytorch():
    for L in (NG, TH):
        a = L.tensor([5.0, -3.0], requires_grad=True)
        with pytest.raises(RuntimeError, match="floor_divide"):
            (a // 2).sum().backward()
        with pytest.raises(RuntimeError, match="remainder"):
            (2.5 % a).sum().backward()


# The methods added for PyTorch course code (issue 9), each called as method and function.
METHOD_CASES.update({
    "sin": (lambda L, a: a.sin() + L.sin(a), "a"),
    "cos": (lambda L, a: a.cos() + L.cos(a), "a"),
    "tan": (lambda L, a: (a * 0.4).tan() + L.tan(a * 0.3), "a"),
    "atan": (lambda L, a: a.atan() + L.atan(a), "a"),
    "arctan": (lambda L, a: a.arctan() + L.arctan(a), "a"),
    "sinh": (lambda L, a: a.sinh() + L.sinh(a), "a"),
    "cosh": (lambda L, a: a.cosh() + L.cosh(a), "a"),
    "log1p": (lambda L, p: p.log1p() + L.log1p(p), "p"),
    "expm1": (lambda L, a: a.expm1() + L.expm1(a), "a"),
    "exp2": (lambda L, a: a.exp2() + L.exp2(a), "a"),
    "log2": (lambda L, p: p.log2() + L.log2(p), "p"),
    "square": (lambda L, a: a.square() + L.square(a), "a"),
    "reciprocal": (lambda L, p: p.reciprocal() + L.reciprocal(p), "p"),
    "rsqrt": (lambda L, p: p.rsqrt() + L.rsqrt(p), "p"),
    "sign": (lambda L, a: a.sign() * a + L.sign(a), "a"),
    "floor": (lambda L, a: (a * 3).floor() + L.floor(a * 3) + a, "a"),
    "ceil": (lambda L, a: (a * 3).ceil() + L.ceil(a * 3) + a, "a"),
    "trunc": (lambda L, a: (a * 3).trunc() + L.trunc(a * 3) + a, "a"),
    "round": (lambda L, a: (a * 3).round() + L.round(a, decimals=1) + a, "a"),
    "neg": (lambda L, a: a.neg() + L.neg(a), "a"),
    "negative": (lambda L, a: a.negative() + L.negative(a), "a"),
    "where": (lambda L, a, b: a.where(a > 0, b) + L.where(b > 0, a, 0.5), "ab"),
    "maximum": (lambda L, a, b: a.maximum(b) + L.maximum(a, b[0]), "ab"),
    "minimum": (lambda L, a, b: a.minimum(b) + L.minimum(a[:, :1], b), "ab"),
    "clamp": (lambda L, a, b: a.clamp(-0.5, 0.5) + L.clamp(a, min=b) + a.clamp(max=0.1), "ab"),
    "clip": (lambda L, a: a.clip(-0.5, 0.5) + L.clip(a, max=0.2), "a"),
    "clamp_min": (lambda L, a: a.clamp_min(0.1) + L.clamp_min(a, -0.2), "a"),
    "clamp_max": (lambda L, a: a.clamp_max(0.1) + L.clamp_max(a, -0.2), "a"),
    "argmin": (lambda L, a: a.argmin(1) + L.argmin(a), "a"),
    "prod": (lambda L, a: a.prod(1) + L.prod(a, 0)[:3] + a.prod(), "a"),
    "cumsum": (lambda L, a: a.cumsum(1) + L.cumsum(a, 0), "a"),
    "unbind": (lambda L, a: L.cat(a.unbind(1) + L.unbind(a, 0), 0), "a"),
    "contiguous": (lambda L, a: a.T.contiguous().view(12) + a.contiguous().view(12), "a"),
    "half": (lambda L, a: a.half(), "a"),
    "bool": (lambda L, a: a.bool(), "a"),
    "cpu": (lambda L, a: a.cpu() * 2, "a"),
    # counts carry no gradient (PyTorch's results would refuse a backward): detached inputs
    "histogram": (lambda L, a: tuple(a.detach().histogram(5)), "a"),
    "histc": (lambda L, a: a.detach().histc(5) + L.histc(a.detach(), 5, -1, 1), "a"),
    "__mod__": (lambda L, a, p: a % p + a % 0.7, "ap"),
    "remainder": (lambda L, a, p: a.remainder(p), "ap"),
    "__rmod__": (lambda L, p: (2.5 % p).detach(), "p"),
    "__floordiv__": (lambda L, a, p: (a // p + a // 0.5).detach(), "ap"),
    "floor_divide": (lambda L, a, p: a.detach().floor_divide(p.detach()), "ap"),
    "__rfloordiv__": (lambda L, p: (2.5 // p).detach(), "p"),
})
