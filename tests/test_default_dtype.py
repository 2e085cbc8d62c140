"""``set_default_dtype``/``get_default_dtype`` side by side with PyTorch's, under both defaults:
the dtype (and values) of Python floats in constructors, of integer tensors meeting Python
floats, and of integer tensors in ops that give floats."""

import math
import re

import numpy as np
import pytest

import ninjagrad as ng
import ninjagrad.functional as ngF

torch = pytest.importorskip("torch")
torchF = torch.nn.functional


def name(dtype):
    """``float64`` for ``ninjagrad.float64``, ``torch.float64`` or numpy's float64."""
    if isinstance(dtype, np.dtype):
        return dtype.name
    return repr(dtype).removeprefix("ninjagrad.").removeprefix("torch.")


@pytest.fixture(params=["float32", "float64"])
def default(request):
    """Both libraries' default dtype set to the parameter, and set back to float32 after."""
    ng.set_default_dtype(getattr(ng, request.param))
    torch.set_default_dtype(getattr(torch, request.param))
    try:
        yield request.param
    finally:
        ng.set_default_dtype(ng.float32)
        torch.set_default_dtype(torch.float32)


def same(ours, theirs, exact=True):
    assert name(ours.dtype) == name(theirs.dtype)
    assert tuple(ours.shape) == tuple(theirs.shape)
    if exact:
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    else:  # libm against PyTorch's vectorised kernels: the last bit may differ
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=4e-7 if
                                   name(ours.dtype) == "float32" else 1e-15)


CREATED = {  # constructors that meet Python numbers
    "tensor(1.5)": lambda t: t.tensor(1.5),
    "tensor([1, 2.5])": lambda t: t.tensor([1, 2.5]),
    "tensor([[0.1], [1e-40]])": lambda t: t.tensor([[0.1], [1e-40]]),
    "tensor(3)": lambda t: t.tensor(3),
    "tensor(0.1 + 2j)": lambda t: t.tensor(0.1 + 2j),
    "tensor(float32 array)": lambda t: t.tensor(np.array([0.1], np.float32)),
    "tensor(float64 array)": lambda t: t.tensor(np.array([0.1])),
    "tensor([np.float64(0.1), 2.5])": lambda t: t.tensor([np.float64(0.1), 2.5]),
    "zeros(2, 3)": lambda t: t.zeros(2, 3),
    "ones((2,))": lambda t: t.ones((2,)),
    "empty(0)": lambda t: t.empty(0),
    "eye(3)": lambda t: t.eye(3),
    "full((2,), 0.1)": lambda t: t.full((2,), 0.1),
    "full((2,), 2)": lambda t: t.full((2,), 2),
    "full((2,), 1j)": lambda t: t.full((2,), 1j),
    "arange(0, 1, 0.1)": lambda t: t.arange(0, 1, 0.1),
    "arange(0.0, 3)": lambda t: t.arange(0.0, 3),
    "arange(3)": lambda t: t.arange(3),
    "linspace(-pi, pi, 7)": lambda t: t.linspace(-math.pi, math.pi, 7),
    "linspace(0, 1, 2000)": lambda t: t.linspace(0, 1, 2000),
    "zeros(2, dtype=float32)": lambda t: t.zeros(2, dtype=t.float32),
    "zeros(2, dtype=float)": lambda t: t.zeros(2, dtype=float),
}


# PyTorch's float arange adds multiples of the step in vectors whose width depends on the
# CPU; numpy's differs from it in the last bit (a third of 1,000 values): dtype exact, values
# within an ulp.
ROUNDED = {"arange(0, 1, 0.1)", "arange(0.0, 3)"}


@pytest.mark.parametrize("case", CREATED)
def test_constructors_give_pytorchs_dtype_and_values(default, case):
    same(CREATED[case](ng), CREATED[case](torch), exact=case not in ROUNDED)


@pytest.mark.parametrize("make", ["randn", "rand"])
def test_random_constructors_draw_in_the_default_dtype(default, make):
    ours, theirs = getattr(ng, make)(3, 2), getattr(torch, make)(3, 2)
    assert name(ours.dtype) == name(theirs.dtype) == default  # the values are not PyTorch's


ARITHMETIC = {  # an int64 tensor x, a bool tensor b, a float32 tensor f
    "x * 1.5": lambda x, b, f, t: x * 1.5,
    "0.1 + x": lambda x, b, f, t: 0.1 + x,
    "x / 3": lambda x, b, f, t: x / 3,
    "x / x": lambda x, b, f, t: x / (x + 7),
    "x ** 0.5": lambda x, b, f, t: x ** 0.5,
    "2.5 ** x": lambda x, b, f, t: 2.5 ** x,
    "x % 1.5": lambda x, b, f, t: x % 1.5,
    "x // 0.7": lambda x, b, f, t: x // 0.7,
    "b + 0.1": lambda x, b, f, t: b + 0.1,
    "x + tensor(0.1)": lambda x, b, f, t: x + t.tensor(0.1),
    "f + tensor(0.1)": lambda x, b, f, t: f + t.tensor(0.1),
    "f * 0.1": lambda x, b, f, t: f * 0.1,
    "x * 2": lambda x, b, f, t: x * 2,
    "where(x > 1, 0.1, 2)": lambda x, b, f, t: t.where(x > 1, 0.1, 2),
    "where(x > 1, x, 0.1)": lambda x, b, f, t: t.where(x > 1, x, 0.1),
    "clamp(x, 0.5)": lambda x, b, f, t: x.clamp(0.5),
    "clamp(x, max=1.5)": lambda x, b, f, t: t.clamp(x, max=1.5),
    "x.float()": lambda x, b, f, t: x.float(),
    "x.double()": lambda x, b, f, t: x.double(),
    "cat((x, x * 0.5))": lambda x, b, f, t: t.cat((x, x * 0.5)),
}


@pytest.mark.parametrize("case", ARITHMETIC)
def test_integers_meeting_python_floats_give_the_default_dtype(default, case):
    def run(t):
        return ARITHMETIC[case](t.tensor([0, 1, 2, 5]), t.tensor([True, False, True, True]),
                                t.tensor(np.array([0.5, 1, 2, 3], np.float32)), t)
    same(run(ng), run(torch), exact=False)


FLOAT_OPS = ["exp", "log", "sqrt", "tanh", "sigmoid", "sin", "rsqrt", "log1p", "reciprocal"]


@pytest.mark.filterwarnings("ignore:divide by zero")  # numpy's warning at log(0); not PyTorch's
@pytest.mark.parametrize("op", FLOAT_OPS)
def test_float_ops_on_integers_give_the_default_dtype(default, op):
    same(getattr(ng.tensor([1, 2, 7]), op)(), getattr(torch.tensor([1, 2, 7]), op)(),
         exact=False)
    same(getattr(ng, op)(ng.tensor([True, False])), getattr(torch, op)(torch.tensor([True, False])),
         exact=False)


def test_mean_of_integers_is_refused_under_either_default(default):
    with pytest.raises(RuntimeError, match="could not infer output dtype") as theirs:
        torch.tensor([1, 2]).mean()
    with pytest.raises(RuntimeError, match="could not infer output dtype"):
        ng.tensor([1, 2]).mean()
    assert "Input dtype must be either a floating point or complex dtype" in str(theirs.value)


def test_a_program_trains_in_the_default_dtype(default):
    """A leaf made from Python floats, int data, cross_entropy: every result and gradient
    in the default dtype, the numbers PyTorch's."""
    def run(t, F):
        w = t.tensor([[0.1, -0.2, 0.3], [0.5, 0.25, -1.0]], requires_grad=True)
        x = t.tensor([[1, 2], [3, 4], [0, 1]])
        logits = (x / 2) @ w + 0.1
        loss = F.cross_entropy(logits, t.tensor([0, 2, 1])) + (w ** 2).mean() * 1e-3
        loss.backward()
        return loss, w.grad, logits
    for ours, theirs in zip(run(ng, ngF), run(torch, torchF), strict=True):
        assert name(ours.dtype) == default
        same(ours.detach(), theirs.detach(), exact=False)


@pytest.mark.parametrize("update", ["x += 1.5", "x.mul_(0.5)"])
def test_an_integer_tensor_refuses_a_float_in_place_naming_the_default(default, update):
    """PyTorch names the float it would have made: Float, or Double under float64."""
    def refused(t):
        with pytest.raises(RuntimeError) as info:
            exec(update, {"x": t.tensor([1, 2])})  # noqa: S102
        return str(info.value)
    theirs = refused(torch)
    assert ("Double" if default == "float64" else "Float") in theirs
    assert refused(ng).startswith(theirs)


def test_data_arithmetic_follows_the_default(default):
    ours, theirs = ng.tensor([1, 2]).data * 0.5, torch.tensor([1, 2]).data * 0.5
    assert name(ours.dtype) == name(theirs.dtype) == default


def test_repr_names_every_dtype_but_the_default(default):
    for data, dtype in [([1.5], None), ([1.5], "float32"), ([1.5], "float64"), ([1], None)]:
        ours = ng.tensor(data, dtype=dtype and getattr(ng, dtype))
        theirs = torch.tensor(data, dtype=dtype and getattr(torch, dtype))
        # (the numbers print as numpy prints them: only the dtype part is compared)
        assert re.findall(r"dtype=ninjagrad\.(\w+)", repr(ours)) == re.findall(
            r"dtype=torch\.(\w+)", repr(theirs))


def test_get_default_dtype_is_pytorchs(default):
    assert name(ng.get_default_dtype()) == name(torch.get_default_dtype()) == default
    assert ng.get_default_dtype() is getattr(ng, default)
    # the aliases stay what they name, whatever the default
    assert name(ng.float) == name(torch.float) == "float32"
    assert name(ng.double) == name(torch.double) == "float64"


@pytest.mark.parametrize("bad", ["int64", "complex64", "bool", "'float64'", "float", "None",
                                 "np.float64"])
def test_non_float_defaults_are_refused_in_pytorchs_words(bad):
    def value(t):
        others = {"'float64'": "float64", "float": float, "None": None, "np.float64": np.float64}
        return others[bad] if bad in others else getattr(t, bad)
    with pytest.raises(TypeError) as theirs:
        torch.set_default_dtype(value(torch))
    with pytest.raises(TypeError) as ours:
        ng.set_default_dtype(value(ng))
    assert str(ours.value) == str(theirs.value)
    assert ng.get_default_dtype() is ng.float32 and torch.get_default_dtype() is torch.float32


def test_float16_default_is_refused_clearly():
    """PyTorch accepts float16; ninjagrad refuses it rather than compute half precision with
    numpy's arithmetic, which is not PyTorch's."""
    with pytest.raises(TypeError, match="float32 and float64 .* not ninjagrad.float16"):
        ng.set_default_dtype(ng.float16)
    assert ng.get_default_dtype() is ng.float32
    assert ng.tensor(0.1).dtype is ng.float32


def test_the_default_is_float32_as_pytorchs():
    assert ng.get_default_dtype() is ng.float32 and torch.get_default_dtype() is torch.float32
    ng.set_default_dtype(ng.float64)
    try:
        assert ng.tensor(0.1).numpy().item() == 0.1  # exactly the Python float
    finally:
        ng.set_default_dtype(ng.float32)
    assert ng.tensor(0.1).numpy().item() == np.float32(0.1)
