"""The Function API: ctx mechanics, non-tensor arguments, gradient validation, no cycles."""

import gc

import numpy as np
import pytest

import ninjagrad as ng
import ninjagrad.tensors.function
from ninjagrad import Function


def central_diff(f, x, eps=1e-6):
    """Numerical gradient of scalar ``f`` at float64 array ``x``."""
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + eps
        up = f(x)
        x[i] = old - eps
        down = f(x)
        x[i] = old
        grad[i] = (up - down) / (2 * eps)
    return grad


class ScaleShift(Function):
    """y = a * x + shift, with a non-tensor ``shift`` and a record of what backward saw."""

    seen = {}

    @staticmethod
    def forward(ctx, x, a, shift):
        ctx.save_for_backward(x, a)
        ctx.shift = shift
        ScaleShift.seen["forward_grad_enabled"] = ng.is_grad_enabled()
        return a * x + shift

    @staticmethod
    def backward(ctx, grad):
        x, a = ctx.saved_tensors
        ScaleShift.seen["needs"] = ctx.needs_input_grad
        ScaleShift.seen["shift"] = ctx.shift
        gx = grad * a if ctx.needs_input_grad[0] else None
        ga = grad * x if ctx.needs_input_grad[1] else None
        return gx, ga, None


def test_function_ctx_mechanics():
    x = ng.tensor([1.0, 2.0, 3.0], dtype=ng.float64, requires_grad=True)
    a = ng.tensor([2.0], dtype=ng.float64)  # broadcast, and needs no gradient
    y = ScaleShift.apply(x, a, 10.0)
    assert ScaleShift.seen["forward_grad_enabled"] is False
    assert y.requires_grad and y.parents == (x, a) and y.op == "ScaleShift"
    np.testing.assert_allclose(y.data, [12.0, 14.0, 16.0])
    y.sum().backward()
    assert ScaleShift.seen["needs"] == (True, False, False)
    assert ScaleShift.seen["shift"] == 10.0
    np.testing.assert_allclose(x.grad.data, [2.0, 2.0, 2.0])
    assert a.grad is None


def test_function_gradient_broadcast_input_is_summed_back():
    x = ng.tensor([1.0, 2.0, 3.0], dtype=ng.float64)
    a = ng.tensor([2.0], dtype=ng.float64, requires_grad=True)
    ScaleShift.apply(x, a, 0).sum().backward()  # grad*x has shape (3,), a is (1,)
    np.testing.assert_allclose(a.grad.data, [6.0])


def test_function_without_grad_inputs_builds_no_node():
    y = ScaleShift.apply(ng.ones(2), ng.ones(1), 1.0)
    assert not y.requires_grad and y.parents == ()


class WrongShape(Function):
    @staticmethod
    def forward(ctx, x):
        return x * 2

    @staticmethod
    def backward(ctx, grad):
        return ng.ones(5)


class WrongCount(Function):
    @staticmethod
    def forward(ctx, x, k):
        return x * k

    @staticmethod
    def backward(ctx, grad):
        return grad * 2


def test_function_gradient_errors_name_the_problem():
    x = ng.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match=r"Function WrongShapeBackward returned an invalid "
                                           r"gradient at index 0 - got \[5\] but expected "
                                           r"shape compatible with \[3\]"):
        WrongShape.apply(x).sum().backward()
    with pytest.raises(RuntimeError, match=r"incorrect number of gradients \(expected 2, "
                                           r"got 1\)"):
        WrongCount.apply(x, 2.0).sum().backward()


def test_function_forward_must_return_a_tensor():
    class Bad(Function):
        @staticmethod
        def forward(ctx, x):
            return x.data

    with pytest.raises(TypeError, match="must return a Tensor"):
        Bad.apply(ng.ones(2, requires_grad=True))
    with pytest.raises(TypeError, match="save tensors or None"):
        ninjagrad.tensors.function.Context(()).save_for_backward(np.ones(2))


class Cube(Function):
    """x**3 with its output saved (PyTorch allows saving outputs)."""

    @staticmethod
    def forward(ctx, x):
        out = x * x * x
        ctx.save_for_backward(x, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        x, out = ctx.saved_tensors
        return grad * 3 * out / x


def test_function_inside_a_larger_graph_matches_finite_differences():
    rng = np.random.default_rng(0)
    xs = rng.uniform(0.5, 2.0, (3, 4))

    def f(arr):
        x = ng.tensor(arr, requires_grad=True)
        return (Cube.apply(x.tanh() + 1) * ng.tensor(xs)).sum(), x

    loss, x = f(xs.copy())
    loss.backward()
    numeric = central_diff(lambda a: f(a)[0].item(), xs.copy())
    np.testing.assert_allclose(x.grad.data, numeric, rtol=1e-6, atol=1e-8)


def test_function_saving_its_output_leaves_no_garbage():
    gc.collect()
    gc.disable()
    try:
        x = ng.randn(50, requires_grad=True, dtype=ng.float64)
        y = Cube.apply(x)
        (y * 2).sum().backward()
        del x, y
        assert gc.collect() == 0
    finally:
        gc.enable()


def test_function_result_matches_torch():
    torch = pytest.importorskip("torch")

    class TorchCube(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x**3

        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return grad * 3 * x**2

    xs = np.random.default_rng(1).uniform(0.5, 2.0, (4,))
    x = ng.tensor(xs, requires_grad=True)
    tx = torch.tensor(xs, requires_grad=True)
    (Cube.apply(x) * x).sum().backward()
    (TorchCube.apply(tx) * tx).sum().backward()
    np.testing.assert_allclose(x.grad.data, tx.grad.numpy(), rtol=1e-12)
