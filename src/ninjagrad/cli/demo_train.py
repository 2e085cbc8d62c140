"""The scalar demo: the lecture's four-example dataset and a two-moons classifier.

Data generation and training loops only; ``ninjagrad demo`` (``ninjagrad.cli.demo``)
parses flags and prints. Both loops return their history so tests can check them.
"""

import numpy as np

from ninjagrad.scalar.nn import MLP, SGD
from ninjagrad.scalar.value import Value

# The lecture's dataset: four inputs of three features and their desired targets.
LECTURE_XS = [[2.0, 3.0, -1.0], [3.0, -1.0, 0.5], [0.5, 1.0, 1.0], [1.0, 1.0, -1.0]]
LECTURE_YS = [1.0, -1.0, -1.0, 1.0]


def make_moons(n=100, noise=0.1, seed=0):
    """Two interleaving half circles: ``n`` points ``X`` (n, 2) and labels ``y`` in {-1, 1}.

    The upper moon (label -1) is the half circle of radius 1 around (0, 0); the lower
    moon (label 1) is the same half circle flipped and shifted to (1, 0.5). Gaussian
    noise of standard deviation ``noise`` is added to every coordinate.
    """
    if n < 2:
        raise ValueError(f"make_moons needs at least 2 points, got {n}")
    rng = np.random.default_rng(seed)
    n_upper = n // 2
    n_lower = n - n_upper
    t_upper = np.linspace(0.0, np.pi, n_upper)
    t_lower = np.linspace(0.0, np.pi, n_lower)
    upper = np.stack([np.cos(t_upper), np.sin(t_upper)], axis=1)
    lower = np.stack([1.0 - np.cos(t_lower), 0.5 - np.sin(t_lower)], axis=1)
    X = np.concatenate([upper, lower]) + rng.normal(0.0, noise, size=(n, 2))
    y = np.concatenate([-np.ones(n_upper), np.ones(n_lower)])
    order = rng.permutation(n)
    return X[order], y[order]


def squared_error(predictions, targets):
    """Sum of (prediction - target)**2, the lecture's loss."""
    return sum((pred - target) ** 2 for pred, target in zip(predictions, targets, strict=True))


def max_margin_loss(model, inputs, ys, alpha=1e-4):
    """micrograd demo's loss: mean of relu(1 - y * score) plus ``alpha * sum(p * p)``.

    ``inputs`` are rows of Values. Returns ``(loss, accuracy)``: the loss as a Value
    and the fraction of points whose score has the sign of their label.
    """
    scores = [model(row) for row in inputs]
    losses = [(1.0 + -yi * score).relu() for yi, score in zip(ys, scores, strict=True)]
    data_loss = sum(losses) * (1.0 / len(losses))
    reg_loss = sum(p * p for p in model.parameters())
    correct = sum((yi > 0) == (score.data > 0) for yi, score in zip(ys, scores, strict=True))
    return data_loss + alpha * reg_loss, correct / len(scores)


def _steps(steps, progress, desc):
    if not progress:
        return range(steps)
    from tqdm import tqdm

    return tqdm(range(steps), desc=desc, leave=False)


def train_lecture(steps=100, lr=0.05, seed=0, progress=False):
    """Train the lecture's MLP(3, [4, 4, 1]) tanh network on its four examples.

    Plain SGD on the squared error. Returns ``(model, losses)``, one loss per step.
    """
    model = MLP(3, [4, 4, 1], nonlin="tanh", seed=seed)
    opt = SGD(model.parameters(), lr=lr)
    losses = []
    for _ in (bar := _steps(steps, progress, "lecture")):
        loss = squared_error([model(x) for x in LECTURE_XS], LECTURE_YS)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.data)
        if progress:
            bar.set_postfix(loss=f"{loss.data:.4f}", refresh=False)
        del loss  # free this step's graph before the next one is built
    return model, losses


def train_moons(n=100, steps=100, seed=0, noise=0.1, progress=False):
    """Train micrograd's demo classifier, MLP(2, [16, 16, 1]), on ``n`` two-moons points.

    Full batch, max-margin loss with L2, learning rate decaying linearly from 1.0 to
    0.1 as in micrograd's demo. Returns ``(model, history)`` with one
    ``(loss, accuracy)`` pair per step (measured before that step's update).
    """
    X, y = make_moons(n, noise=noise, seed=seed)
    ys = y.tolist()
    model = MLP(2, [16, 16, 1], seed=seed)
    opt = SGD(model.parameters())
    history = []
    for k in (bar := _steps(steps, progress, "moons")):
        inputs = [[Value(a), Value(b)] for a, b in X.tolist()]
        loss, acc = max_margin_loss(model, inputs, ys)
        opt.zero_grad()
        loss.backward()
        opt.lr = 1.0 - 0.9 * k / steps
        opt.step()
        history.append((loss.data, acc))
        if progress:
            bar.set_postfix(loss=f"{loss.data:.4f}", acc=f"{acc:.0%}", refresh=False)
        # Free this step's graph now: alive during the next forward pass, its 60,000 nodes
        # would double the garbage collector's work (the graph itself has no cycles).
        del loss
    return model, history


__all__ = [
    "LECTURE_XS",
    "LECTURE_YS",
    "make_moons",
    "squared_error",
    "max_margin_loss",
    "train_lecture",
    "train_moons",
]
