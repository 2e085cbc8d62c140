"""nn: shapes, nonlinearities, reproducible init, zero_grad and SGD."""

import math
import random

import pytest

from ninjagrad import Value
from ninjagrad.scalar.nn import MLP, SGD, Layer, Module, Neuron


def test_mlp_default_is_micrograds_relu_hidden_linear_output():
    model = MLP(2, [16, 16, 1], seed=0)
    assert len(model.parameters()) == (2 * 16 + 16) + (16 * 16 + 16) + (16 + 1)
    assert [n.nonlin for n in model.layers[0].neurons] == ["relu"] * 16
    assert model.layers[-1].neurons[0].nonlin == "linear"
    out = model([0.5, -1.0])
    assert isinstance(out, Value)
    assert repr(model) == "MLP(2, [16, 16, 1], nonlin='relu', out_nonlin='linear')"


def test_tanh_mlp_is_the_lectures_tanh_everywhere():
    model = MLP(3, [4, 4, 1], nonlin="tanh", seed=1)
    assert all(n.nonlin == "tanh" for layer in model.layers for n in layer.neurons)
    out = model([2.0, 3.0, -1.0])
    assert out.op == "tanh" and -1 < out.data < 1
    assert len(model.parameters()) == 41  # the lecture's count


def test_explicit_output_nonlinearity():
    model = MLP(2, [3, 2], nonlin="tanh", out_nonlin="sigmoid", seed=0)
    outs = model([1.0, 2.0])
    assert isinstance(outs, list) and len(outs) == 2 and all(o.op == "sigmoid" for o in outs)


def test_neuron_computes_its_formula():
    n = Neuron(3, nonlin="tanh", seed=3)
    x = [0.5, -1.0, 2.0]
    expected = math.tanh(sum(w.data * xi for w, xi in zip(n.w, x, strict=True)) + n.b.data)
    assert n(x).data == pytest.approx(expected, abs=1e-15)
    lin = Neuron(2, nonlin="linear", seed=0)
    assert lin([1.0, 1.0]).data == pytest.approx(sum(w.data for w in lin.w) + lin.b.data)
    assert repr(n) == "Neuron(3, nonlin='tanh')"


def test_layer_outputs_and_single_output_unwrapping():
    layer = Layer(2, 3, seed=0)
    assert len(layer([1.0, 2.0])) == 3
    assert isinstance(Layer(2, 1, seed=0)([1.0, 2.0]), Value)
    assert repr(layer) == "Layer(2, 3, nonlin='relu')"
    # a one-neuron hidden layer still feeds the next layer a list
    assert isinstance(MLP(2, [1, 2], seed=0)([1.0, 2.0]), list)


def test_inputs_may_be_values_and_gradients_reach_them():
    model = MLP(2, [4, 1], nonlin="tanh", seed=0)
    x = [Value(0.3), Value(-0.7)]
    model(x).backward()
    assert any(xi.grad != 0.0 for xi in x)


def test_seeded_init_is_reproducible_and_seeds_differ():
    a = [p.data for p in MLP(2, [8, 1], seed=42).parameters()]
    b = [p.data for p in MLP(2, [8, 1], seed=42).parameters()]
    c = [p.data for p in MLP(2, [8, 1], seed=43).parameters()]
    assert a == b and a != c
    rng = random.Random(7)
    assert [p.data for p in Neuron(3, seed=rng).w] != [p.data for p in Neuron(3, seed=rng).w]
    assert all(-1 <= w <= 1 for w in a)


def test_zero_grad_and_sgd_step():
    model = MLP(2, [3, 1], seed=0)
    loss = model([1.0, -2.0]) ** 2
    loss.backward()
    params = model.parameters()
    before = [(p.data, p.grad) for p in params]
    assert any(g != 0.0 for _, g in before)
    opt = SGD(params, lr=0.1)
    opt.step()
    for p, (data, grad) in zip(params, before, strict=True):
        assert p.data == data - 0.1 * grad
    model.zero_grad()
    assert all(p.grad == 0.0 for p in params)
    assert repr(opt) == f"SGD({len(params)} parameters, lr=0.1)"
    assert Module().parameters() == []


def test_bad_arguments():
    with pytest.raises(ValueError, match="unknown nonlinearity 'softmax'"):
        MLP(2, [3, 1], nonlin="softmax")
    with pytest.raises(ValueError, match="expects 3 inputs, got 2"):
        Neuron(3, seed=0)([1.0, 2.0])
