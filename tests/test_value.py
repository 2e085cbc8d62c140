"""Value: the lecture's examples, accumulation, bad input, depth and memory behaviour."""

import gc
import math
import subprocess
import sys

import pytest

from ninjagrad import Value

LECTURE_B = 6.8813735870195432


def lecture_neuron(tanh_from_exp=False):
    x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
    w1, w2 = Value(-3.0, label="w1"), Value(1.0, label="w2")
    b = Value(LECTURE_B, label="b")
    n = x1 * w1 + x2 * w2 + b
    if tanh_from_exp:
        e = (2 * n).exp()
        o = (e - 1) / (e + 1)
    else:
        o = n.tanh()
    o.backward()
    return o, {"x1": x1, "x2": x2, "w1": w1, "w2": w2, "b": b}


def test_lecture_neuron():
    o, leaves = lecture_neuron()
    assert o.data == pytest.approx(math.sqrt(0.5), abs=1e-12)  # tanh(0.8813...) = 1/sqrt(2)
    # do/dn = 1 - o**2 = 0.5 by hand, then the chain rule through + and *
    expected = {"x1": -1.5, "w1": 1.0, "x2": 0.5, "w2": 0.0, "b": 0.5}
    for name, grad in expected.items():
        assert leaves[name].grad == pytest.approx(grad, abs=1e-12), name


def test_lecture_neuron_with_tanh_from_exp_agrees():
    o, leaves = lecture_neuron()
    o2, leaves2 = lecture_neuron(tanh_from_exp=True)
    assert abs(o.data - o2.data) < 1e-12
    for name in leaves:
        assert abs(leaves[name].grad - leaves2[name].grad) < 1e-12, name


def test_node_attributes_and_operand_order():
    a, b = Value(2, label="a"), Value(3.5)
    c = a * b
    assert (a.data, a.grad, a.label, a.op, a.parents) == (2.0, 0.0, "a", "", ())
    assert type(a.data) is float
    assert c.op == "*" and c.parents == (a, b) and c.parents[0] is a
    d = b - a
    assert d.data == 1.5
    e = 2 * a
    assert e.parents[1] is a and e.parents[0].data == 2.0  # numbers become leaf Values
    assert (a * 2).parents[0] is a
    assert not hasattr(a, "__dict__")  # __slots__: lean nodes


def test_subclasses_mix_with_values():
    class Named(Value):
        __slots__ = ()

    a, b = Named(2.0), Value(3.0)
    assert (a * b).data == 6.0 and (b + a).data == 5.0 and (a - b).data == -1.0
    (a * b + a).backward()
    assert a.grad == 4.0 and b.grad == 2.0


def test_repr_is_short():
    assert repr(Value(2.0, label="x")) == "Value(x: data=2, grad=0)"
    assert repr(Value(0.5)) == "Value(data=0.5, grad=0)"


def test_same_node_used_twice_accumulates():
    a = Value(3.0)
    b = a + a
    b.backward()
    assert a.grad == 2.0
    c = Value(3.0)
    (c * c).backward()
    assert c.grad == 6.0


def test_backward_twice_accumulates_like_pytorch():
    torch = pytest.importorskip("torch")
    x, y = Value(1.5), Value(-2.0)
    mid = x * y
    out = mid.tanh() + x
    out.backward()
    out.backward()
    tx = torch.tensor(1.5, dtype=torch.float64, requires_grad=True)
    ty = torch.tensor(-2.0, dtype=torch.float64, requires_grad=True)
    tout = (tx * ty).tanh() + tx
    tout.backward(retain_graph=True)
    tout.backward()
    assert x.grad == pytest.approx(tx.grad.item(), rel=1e-12)
    assert y.grad == pytest.approx(ty.grad.item(), rel=1e-12)
    # intermediate nodes hold this call's gradient (1 - tanh(mid)**2), not a doubled one
    assert mid.grad == pytest.approx(1 - math.tanh(-3.0) ** 2, rel=1e-12)


def test_backward_through_a_subgraph_that_was_already_backpropagated():
    a, b = Value(2.0), Value(5.0)
    c = a * b
    c.backward()  # a.grad = 5
    d = c + 1
    d.backward()  # adds another 5, not c's stale grad times b
    assert a.grad == 10.0 and b.grad == 4.0


@pytest.mark.parametrize(
    "make",
    [lambda: Value(1) + "x", lambda: "x" + Value(1), lambda: Value(1) * [1.0],
     lambda: Value(1) - "x", lambda: Value(1) / "x", lambda: Value(1) ** "x",
     lambda: "x" - Value(1), lambda: None * Value(1)],
)
def test_operand_of_the_wrong_type_is_a_type_error_naming_both_types(make):
    with pytest.raises(TypeError) as info:
        make()
    message = str(info.value)
    assert "Value" in message


def test_add_str_names_both_types():
    with pytest.raises(TypeError, match=r"'Value' and 'str'"):
        Value(1) + "x"


@pytest.mark.parametrize(
    "data,needle",
    [("3", "got str"), (None, "got NoneType"), ([1.0], "got list"), (True, "got bool"),
     (Value(1.0), "got a Value"), (1 + 2j, "got complex")],
)
def test_constructor_refuses_non_real_data(data, needle):
    with pytest.raises(TypeError, match=needle):
        Value(data)


def test_label_must_be_a_string():
    with pytest.raises(TypeError, match="label must be a str, got tuple"):
        Value(1.0, (Value(2.0),))  # micrograd's private (data, children) signature


def test_labels_on_results_keep_op_and_backward():
    # the lecture names intermediates (e = a * b; e.label = "e") and renames them
    a, b = Value(2.0, label="a"), Value(-3.0)
    e = a * b
    assert e.label == "" and e.op == "*"
    e.label = "e"
    d = e + a
    d.label = "d"
    d.label = "d2"
    assert (e.label, e.op, d.label, d.op, a.label, a.op) == ("e", "*", "d2", "+", "a", "")
    d.backward()
    assert (a.grad, b.grad, e.grad, d.grad) == (-2.0, 2.0, 1.0, 1.0)
    b.label = "b"
    e.label = ""
    assert (b.label, b.op, e.label, e.op) == ("b", "", "", "*")
    assert repr(d) == "Value(d2: data=-4, grad=1)"


def test_bool_operand_is_refused_but_numeric_types_work():
    with pytest.raises(TypeError):
        Value(1.0) + True
    np = pytest.importorskip("numpy")
    assert (Value(1.0) + np.float32(0.5)).data == 1.5
    assert Value(np.int64(3)).data == 3.0
    from fractions import Fraction

    assert Value(Fraction(1, 4)).data == 0.25


def test_no_reference_cycles():
    """Backward rules receive their node, so a dropped graph is freed by refcounting alone."""
    gc.collect()
    gc.disable()
    try:
        x = Value(0.3)
        y = ((x * 2 + 1).tanh() * x).exp() / (x.relu() + x.sigmoid()) - x.log() + x**x
        y.backward()
        del x, y
        assert gc.collect() == 0
    finally:
        gc.enable()


def test_hundred_thousand_deep_chain_backpropagates():
    x = Value(0.5)
    y = x
    for _ in range(100_000):
        y = y * 1.0 + 0.0
    y.backward()
    assert x.grad == 1.0
    del y  # deleting a deep chain must not overflow the C stack either


def test_deleting_a_million_deep_chain_does_not_crash():
    """CPython frees nested objects recursively; a deep graph must not crash on delete."""
    code = (
        "import gc; gc.disable()\n"
        "from ninjagrad import Value\n"
        "leaf = Value(1.0)\n"
        "y = leaf\n"
        "for _ in range(1_000_000):\n"
        "    y = y + leaf\n"
        "del y\n"
        "print('deleted')\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-500:]
    assert proc.stdout.strip() == "deleted"
