"""gradcheck: passes on every op in float64, names the culprit when a backward is wrong."""

import re

import numpy as np
import pytest

import ninjagrad as ng
from ninjagrad import Function, gradcheck
from ninjagrad import functional as F
from ninjagrad.check.gradcheck import GradcheckError


def t64(shape, seed, positive=False):
    a = np.random.default_rng(seed).standard_normal(shape)
    if positive:
        a = np.abs(a) + 0.5
    return ng.tensor(a, requires_grad=True)


Y = ng.tensor([2, 0, 2, 4])  # class indices with a repeat
X_IDX = ng.tensor([[1, 2, 1], [0, 1, 1]])

# name -> (function, inputs). Small shapes: gradcheck does 2 forwards per input element.
OPS = {
    "add_broadcast": (lambda a, b: a + b, [(4, 5), (4, 1)]),
    "sub_row": (lambda a, b: a - b, [(5,), (4, 5)]),
    "mul_outer": (lambda a, b: a * b, [(4, 1), (1, 5)]),
    "div": (lambda a, b: a / b, [(4, 5), (5,), "positive"]),
    "scalars": (lambda a: 2.5 - 1 / 3 * a * 4.0 + 1.0, [(3, 2)]),
    "neg": (lambda a: -a, [(3,)]),
    "pow": (lambda a: a**3 + a**-0.5, [(3, 2), "positive"]),
    "exp": (lambda a: a.exp(), [(3, 2)]),
    "log": (lambda a: a.log(), [(3, 2), "positive"]),
    "tanh": (lambda a: ng.tanh(a), [(3, 2)]),
    "relu": (lambda a: a.relu(), [(3, 2)]),
    "sigmoid": (lambda a: a.sigmoid(), [(3, 2)]),
    "sqrt": (lambda a: a.sqrt(), [(3, 2), "positive"]),
    "abs": (lambda a: a.abs(), [(3, 2)]),
    "sum_keepdim": (lambda a: a.sum(1, keepdim=True), [(3, 4)]),
    "sum_all": (lambda a: a.sum(), [(3, 4)]),
    "mean0": (lambda a: a.mean(0), [(3, 4)]),
    "max1": (lambda a: a.max(1), [(3, 4)]),  # (values, indices): indices are skipped
    "max_all": (lambda a: a.max(), [(3, 4)]),
    "var": (lambda a: a.var(0, keepdim=True), [(3, 4)]),
    "var_biased": (lambda a: a.var(1, unbiased=False), [(3, 4)]),
    "matmul": (lambda a, b: a @ b, [(3, 4), (4, 2)]),
    "view": (lambda a: a.view(2, -1) * ng.arange(3).double(), [(3, 2)]),
    "T": (lambda a: a.T @ a, [(3, 2)]),
    "transpose": (lambda a: a.transpose(0, 1), [(3, 2)]),
    "pluck": (lambda a: a[range(4), Y], [(4, 5)]),
    "embedding_index": (lambda C: C[X_IDX], [(3, 2)]),
    "slice": (lambda a: a[1:, ::2], [(3, 4)]),
    "cat": (lambda a, b: ng.cat([a, b], 1), [(2, 3), (2, 1)]),
    "stack": (lambda a, b: ng.stack([a, b]), [(2, 3), (2, 3)]),
    "F.softmax": (lambda a: F.softmax(a, 1), [(3, 4)]),
    "F.log_softmax": (lambda a: F.log_softmax(a, 0), [(3, 4)]),
    "F.cross_entropy": (lambda a: F.cross_entropy(a, Y), [(4, 5)]),
    "F.cross_entropy_none": (lambda a: F.cross_entropy(a, Y, reduction="none"), [(4, 5)]),
    "F.cross_entropy_sum": (lambda a: F.cross_entropy(a, Y, reduction="sum"), [(4, 5)]),
    "F.batch_norm_train": (
        lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True), [(4, 3), (3,), (3,)]
    ),
    "F.batch_norm_bessel": (
        lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True, correction=1),
        [(4, 3), (1, 3), (1, 3)],
    ),
    "F.batch_norm_eval": (
        lambda x, w: F.batch_norm(x, ng.zeros(3).double(), ng.ones(3).double() * 2, w,
                                  training=False),
        [(4, 3), (3,)],
    ),
    "F.batch_norm_3d": (
        lambda x: F.batch_norm(x, None, None, training=True), [(2, 3, 2)]
    ),
    "F.embedding": (lambda C: F.embedding(X_IDX, C), [(3, 2)]),
}


@pytest.mark.parametrize("name", OPS)
def test_gradcheck_passes_on_every_op(name):
    fn, spec = OPS[name]
    positive = "positive" in spec
    inputs = [t64(s, i, positive) for i, s in enumerate(spec) if s != "positive"]
    assert gradcheck(fn, inputs) is True


class WrongSquare(Function):
    """x**2 with a deliberately wrong backward: 3x instead of 2x."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return grad_output * 3 * x


def _number(message, label):
    return float(re.search(label + r" (-?[0-9.e+-]+)", message).group(1))


def test_wrong_backward_fails_naming_input_element_and_values():
    x = ng.tensor(np.array([[1.0, 2.0], [3.0, 4.0]]), requires_grad=True)
    with pytest.raises(GradcheckError) as info:
        gradcheck(WrongSquare.apply, (x,))
    message = str(info.value)
    # the worst entry: d out[1,1] / d x[1,1] is 2*4 = 8, the backward says 3*4 = 12
    assert "input 0" in message and "output 0" in message
    assert "input element (1, 1)" in message and "output element (1, 1)" in message
    assert _number(message, "numerical") == pytest.approx(8.0, rel=1e-6)
    assert _number(message, "analytical") == pytest.approx(12.0, rel=1e-12)
    assert "4 of 16 entries differ" in message  # the 4 diagonal entries of the Jacobian


def test_wrong_gradient_of_the_second_input_is_named():
    a = ng.tensor(np.array([0.5, -1.0]), requires_grad=True)
    b = ng.tensor(np.array([2.0, 1.5]), requires_grad=True)
    with pytest.raises(GradcheckError, match=r"with respect to input 1 \(2,\)"):
        gradcheck(lambda a, b: a * 2 + WrongSquare.apply(b), (a, b))


def test_wrong_second_output_is_named():
    x = ng.tensor(np.array([1.0, -2.0]), requires_grad=True)
    with pytest.raises(GradcheckError, match=r"output 1 \(2,\)"):
        gradcheck(lambda x: (x.exp(), WrongSquare.apply(x)), x)


class NanBackward(Function):
    """Doubles its input; the backward returns NaN for the second element."""

    @staticmethod
    def forward(ctx, x):
        return x * 2

    @staticmethod
    def backward(ctx, grad_output):
        return grad_output * ng.tensor(np.array([2.0, np.nan, 2.0]))


def test_nan_gradient_is_a_mismatch_not_a_pass():
    x = ng.tensor(np.array([1.0, 2.0, 3.0]), requires_grad=True)
    with pytest.raises(GradcheckError, match=r"input element \(1,\).*analytical nan"):
        gradcheck(NanBackward.apply, (x,))


def test_raise_exception_false_returns_false():
    x = ng.tensor(np.array([1.0, 2.0]), requires_grad=True)
    assert gradcheck(WrongSquare.apply, (x,), raise_exception=False) is False
    assert gradcheck(lambda x: x * x, (x,), raise_exception=False) is True


def test_tolerances_decide():
    # at x = 1e-3 the wrong backward is off by only 1e-3 per entry: inside atol=1e-2
    x = ng.tensor(np.array([1e-3]), requires_grad=True)
    assert gradcheck(WrongSquare.apply, (x,), atol=1e-2) is True
    assert gradcheck(WrongSquare.apply, (x,), raise_exception=False) is False


def test_float32_inputs_are_rejected_clearly():
    x = ng.tensor(np.ones(3, np.float32), requires_grad=True)
    with pytest.raises(TypeError, match="input 0 requires grad but is float32, not float64"):
        gradcheck(lambda x: x * 2, (x,))


def test_bad_calls_are_rejected():
    x = ng.tensor(np.ones(2))  # no requires_grad
    with pytest.raises(ValueError, match="no input"):
        gradcheck(lambda x: x * 2, (x,))
    y = ng.tensor(np.ones(2), requires_grad=True)
    with pytest.raises(TypeError, match="output 0 of the function is a float"):
        gradcheck(lambda y: 1.0, (y,))
    with pytest.raises(ValueError, match="eps must be positive"):
        gradcheck(lambda y: y, (y,), eps=0)
    with pytest.raises(ValueError, match="input 0 is not a leaf tensor"):
        gradcheck(lambda z: z * 2, (y * 3,))


def test_non_tensor_arguments_pass_through_and_state_is_restored():
    x = ng.tensor(np.array([[0.3, -0.7]]), requires_grad=True)
    before = x.data.copy()
    x.grad = ng.tensor(np.array([[5.0, 6.0]]))
    assert gradcheck(lambda x, k, y: (x * k).tanh() * y, (x, 3.0, ng.tensor(np.ones(2))))
    np.testing.assert_array_equal(x.data, before)
    np.testing.assert_array_equal(x.grad.data, [[5.0, 6.0]])


def test_output_that_ignores_the_input_has_zero_gradient():
    x = ng.tensor(np.ones(2), requires_grad=True)
    assert gradcheck(lambda x: (x * 2, ng.tensor(np.ones(3))), (x,))


# --- the Legendre polynomial P3 as a custom Function ---------------------------------------


def make_legendre_p3(base):
    """P3(x) = 1/2 (5x^3 - 3x) with backward 3/2 (5x^2 - 1), written against ``base`` (either
    ``ninjagrad.Function`` or ``torch.autograd.Function``: the API is the same)."""

    class LegendrePolynomial3(base):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return 0.5 * (5 * x**3 - 3 * x)

        @staticmethod
        def backward(ctx, grad_output):
            (x,) = ctx.saved_tensors
            return grad_output * 1.5 * (5 * x**2 - 1)

    return LegendrePolynomial3


P3 = make_legendre_p3(Function)


def test_legendre_p3_values_and_gradcheck():
    x = ng.tensor(np.linspace(-1, 1, 7), requires_grad=True)
    y = P3.apply(x)
    assert y.op.startswith("LegendrePolynomial3")
    xs = np.linspace(-1, 1, 7)
    np.testing.assert_allclose(y.data, 0.5 * (5 * xs**3 - 3 * xs), rtol=1e-14, atol=1e-15)
    assert gradcheck(P3.apply, (x,))


def test_legendre_p3_in_a_larger_graph_matches_pytorch():
    torch = pytest.importorskip("torch")
    TorchP3 = make_legendre_p3(torch.autograd.Function)
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal(s) * 0.5 for s in [(8, 3), (3, 4), (4,), (4, 2)]]

    def model(lib, P3, x, W1, b1, W2):
        # a hidden layer with P3 as its non-linearity, between two affine maps
        h = P3.apply(lib.tanh(x @ W1 + b1))
        return ((h @ W2) ** 2).mean()

    ng_in = [ng.tensor(a, requires_grad=True) for a in arrays]
    th_in = [torch.tensor(a, requires_grad=True) for a in arrays]
    ng_loss = model(ng, P3, *ng_in)
    th_loss = model(torch, TorchP3, *th_in)
    ng_loss.backward()
    th_loss.backward()
    assert ng_loss.item() == pytest.approx(th_loss.item(), rel=1e-12)
    for a, b in zip(ng_in, th_in, strict=True):
        np.testing.assert_allclose(a.grad.data, b.grad.numpy(), rtol=1e-10, atol=1e-14)
    # and the whole model passes gradcheck with respect to all four inputs
    fresh = [ng.tensor(a, requires_grad=True) for a in arrays]
    assert gradcheck(lambda *ts: model(ng, P3, *ts), fresh)
