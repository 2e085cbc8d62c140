"""nn: shapes, nonlinearities, reproducible init, zero_grad and SGD."""

import gc
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


# --- micrograd 0.1.0's demo, reproduced weight for weight and step for step (issue 9) ---


def two_moons(n=100, noise=0.1, seed=0):
    """Two interleaving half circles with labels -1/1, made here with numpy (no sklearn)."""
    np = pytest.importorskip("numpy")
    rng = np.random.default_rng(seed)
    t = np.linspace(0.0, np.pi, n // 2)
    upper = np.stack([np.cos(t), np.sin(t)], axis=1)
    lower = np.stack([1.0 - np.cos(t), 0.5 - np.sin(t)], axis=1)
    X = np.concatenate([upper, lower]) + rng.normal(0.0, noise, size=(n, 2))
    y = np.concatenate([-np.ones(n // 2), np.ones(n // 2)])
    return X.tolist(), y.tolist()


def demo_losses(Value, model, X, y, steps):
    """micrograd demo's training: max-margin loss + 1e-4 L2, lr 1.0 - 0.9 k / 100, full batch.

    The automatic collector is off and garbage collected every 10 steps: micrograd's graphs
    are reference cycles, and collecting them as they are built makes its 100 steps
    several times slower (minutes on a busy machine).
    """
    losses = []
    gc.disable()
    try:
        for k in range(steps):
            losses.append(demo_step(Value, model, X, y, k))
            if k % 10 == 9:
                gc.collect()
    finally:
        gc.enable()
    return losses


def demo_step(Value, model, X, y, k):
    scores = [model([Value(a), Value(b)]) for a, b in X]
    data_loss = sum((1 + -yi * s).relu() for yi, s in zip(y, scores, strict=True))
    data_loss = data_loss * (1.0 / len(scores))
    loss = data_loss + 1e-4 * sum(p * p for p in model.parameters())
    model.zero_grad()
    loss.backward()
    lr = 1.0 - 0.9 * k / 100
    for p in model.parameters():
        p.data -= lr * p.grad
    return loss.data


def test_unseeded_mlp_draws_micrograds_weights_from_the_global_random():
    mg_nn = pytest.importorskip("micrograd.nn")
    random.seed(1337)
    theirs = [p.data for p in mg_nn.MLP(2, [16, 16, 1]).parameters()]
    random.seed(1337)
    ours = [p.data for p in MLP(2, [16, 16, 1]).parameters()]
    assert ours == theirs  # every weight bit for bit, biases 0 in the same places
    assert len(set(ours)) > 300
    random.seed(1338)
    assert [p.data for p in MLP(2, [16, 16, 1]).parameters()] != theirs


def test_explicit_seed_does_not_touch_the_global_random():
    random.seed(5)
    state = random.getstate()
    MLP(2, [4, 1], seed=3)
    assert random.getstate() == state


def test_micrograd_demo_gives_the_same_loss_at_every_step():
    mg_engine = pytest.importorskip("micrograd.engine")
    mg_nn = pytest.importorskip("micrograd.nn")
    X, y = two_moons()
    random.seed(1337)
    theirs = demo_losses(mg_engine.Value, mg_nn.MLP(2, [16, 16, 1]), X, y, 100)
    random.seed(1337)
    ours = demo_losses(Value, MLP(2, [16, 16, 1]), X, y, 100)
    assert theirs[-1] < 0.05 < theirs[0]  # the demo trains
    for k, (a, b) in enumerate(zip(ours, theirs, strict=True)):
        assert abs(a - b) <= 1e-12, f"step {k}: ninjagrad {a!r}, micrograd {b!r}"
