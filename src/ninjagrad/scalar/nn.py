"""A tiny neural-net library on top of ``Value``: neurons, layers, MLPs and plain SGD.

``MLP(2, [16, 16, 1])`` is micrograd's network (relu hidden layers, linear output);
``MLP(3, [4, 4, 1], nonlin='tanh')`` is the lecture's (tanh on every layer, the output
included). Weights start uniform in [-1, 1]: with no ``seed`` they come from Python's
global ``random`` module in micrograd's order (layer by layer, neuron by neuron, weight
by weight; biases start at 0), so ``random.seed(1337); MLP(2, [16, 16, 1])`` is the
network of micrograd's demo, weight for weight.
"""

import random

from ninjagrad.scalar.value import Value

NONLINEARITIES = ("relu", "tanh", "sigmoid", "linear")


def _check_nonlin(nonlin):
    if nonlin not in NONLINEARITIES:
        raise ValueError(f"unknown nonlinearity {nonlin!r}; choose one of {NONLINEARITIES}")
    return nonlin


def _rng(seed):
    """Where the initial weights come from: an int seed or a ``random.Random`` makes them
    reproducible; None draws from the global ``random`` module, as micrograd does."""
    if seed is None or seed is random:  # Layer and MLP hand the choice down to Neuron
        return random
    return seed if isinstance(seed, random.Random) else random.Random(seed)


def _as_values(x, nin, module):
    """Check there are ``nin`` inputs and make them Values (numbers become leaves)."""
    if len(x) != nin:
        raise ValueError(f"{module!r} expects {nin} inputs, got {len(x)}")
    return [xi if isinstance(xi, Value) else Value(xi) for xi in x]


class Module:
    """Something with parameters: a list of leaf ``Value``s that training updates."""

    def parameters(self):
        return []

    def zero_grad(self):
        """Set every parameter's grad to 0.0 (``backward()`` accumulates into them)."""
        for p in self.parameters():
            p.grad = 0.0


class Neuron(Module):
    """``nonlin(w . x + b)`` for ``nin`` inputs; ``nonlin`` is relu, tanh, sigmoid or linear."""

    def __init__(self, nin, nonlin="relu", seed=None):
        rng = _rng(seed)
        self.w = [Value(rng.uniform(-1.0, 1.0)) for _ in range(nin)]
        self.b = Value(0.0)
        self.nonlin = _check_nonlin(nonlin)

    def __call__(self, x):
        return self._forward(_as_values(x, len(self.w), self))

    def _forward(self, x):
        """The neuron on a list of exactly ``nin`` Values (Layer checks that once for all)."""
        act = self.b
        for wi, xi in zip(self.w, x, strict=True):
            act = act + wi * xi
        if self.nonlin == "relu":
            return act.relu()
        if self.nonlin == "tanh":
            return act.tanh()
        if self.nonlin == "sigmoid":
            return act.sigmoid()
        return act

    def parameters(self):
        return self.w + [self.b]

    def __repr__(self):
        return f"Neuron({len(self.w)}, nonlin={self.nonlin!r})"


class Layer(Module):
    """``nout`` independent neurons over the same ``nin`` inputs."""

    def __init__(self, nin, nout, nonlin="relu", seed=None):
        rng = _rng(seed)
        self.neurons = [Neuron(nin, nonlin, rng) for _ in range(nout)]

    def __call__(self, x):
        """A list of outputs, or a single Value when the layer has one neuron."""
        out = self.forward(x)
        return out[0] if len(out) == 1 else out

    def forward(self, x):
        """Always a list of outputs, one per neuron."""
        x = _as_values(x, len(self.neurons[0].w), self)
        return [n._forward(x) for n in self.neurons]

    def parameters(self):
        return [p for n in self.neurons for p in n.parameters()]

    def __repr__(self):
        n = self.neurons[0]
        return f"Layer({len(n.w)}, {len(self.neurons)}, nonlin={n.nonlin!r})"


class MLP(Module):
    """A multi-layer perceptron: ``nin`` inputs, then one layer per entry of ``nouts``.

    Hidden layers use ``nonlin``. The output layer uses ``out_nonlin`` if given;
    otherwise it is linear when ``nonlin='relu'`` (micrograd's MLP, whose output is a
    score) and uses ``nonlin`` itself for 'tanh' and 'sigmoid' (the lecture's tanh MLP).
    ``seed`` (an int or a ``random.Random``) makes the initial weights reproducible; with
    none they come from the global ``random`` module, like micrograd's.
    """

    def __init__(self, nin, nouts, nonlin="relu", out_nonlin=None, seed=None):
        _check_nonlin(nonlin)
        if out_nonlin is None:
            out_nonlin = "linear" if nonlin == "relu" else nonlin
        _check_nonlin(out_nonlin)
        rng = _rng(seed)
        sizes = [nin] + list(nouts)
        last = len(nouts) - 1
        self.layers = [
            Layer(sizes[i], sizes[i + 1], out_nonlin if i == last else nonlin, rng)
            for i in range(len(nouts))
        ]

    def __call__(self, x):
        """A list of outputs, or a single Value when the last layer has one neuron."""
        x = _as_values(x, len(self.layers[0].neurons[0].w), self)
        for layer in self.layers:
            x = [n._forward(x) for n in layer.neurons]
        return x[0] if len(x) == 1 else x

    def parameters(self):
        return [p for layer in self.layers for p in layer.parameters()]

    def __repr__(self):
        sizes = [len(layer.neurons) for layer in self.layers]
        nin = len(self.layers[0].neurons[0].w)
        hidden = self.layers[0].neurons[0].nonlin
        out = self.layers[-1].neurons[0].nonlin
        return f"MLP({nin}, {sizes}, nonlin={hidden!r}, out_nonlin={out!r})"


class SGD:
    """Plain stochastic gradient descent: ``p.data -= lr * p.grad``.

    ``lr`` is an attribute, so a schedule can change it between steps.
    """

    def __init__(self, params, lr=0.1):
        self.params = list(params)
        self.lr = lr

    def zero_grad(self):
        for p in self.params:
            p.grad = 0.0

    def step(self):
        lr = self.lr
        for p in self.params:
            p.data -= lr * p.grad

    def __repr__(self):
        return f"SGD({len(self.params)} parameters, lr={self.lr})"
