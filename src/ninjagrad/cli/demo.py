"""``ninjagrad demo``: train the scalar engine's two lecture networks and report.

The flags and the report come first; then the demo's data (the lecture's four examples,
two moons) and its two training loops, which return their history so tests can check them.
"""

import numpy as np

from ninjagrad.errors import NinjagradError
from ninjagrad.scalar.nn import MLP, SGD
from ninjagrad.scalar.value import Value

HELP = "train the scalar-engine MLPs: the lecture's 4 examples and a two-moons classifier"

PARTS = ("all", "lecture", "moons")
MAX_STEPS = 1_000_000
MAX_MOONS = 10_000


def add_arguments(parser):
    parser.add_argument("--part", default="all",
                        help="which demo to run: all (default), lecture or moons")
    # Numbers are parsed in _check, so a bad value is a NinjagradError (exit 1, one line).
    parser.add_argument("--seed", default="0", help="seed for weights and data (0)")
    parser.add_argument("--lecture-steps", default="100", metavar="N",
                        help="SGD steps on the lecture's 4 examples (100)")
    parser.add_argument("--moons-steps", default="100", metavar="N",
                        help="SGD steps on the two-moons data (100)")
    parser.add_argument("--moons", default="100", metavar="N",
                        help="number of two-moons points (100)")
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bars")


def _integer(flag, text, least, most=None):
    try:
        value = int(text)
    except ValueError:
        raise NinjagradError(f"{flag} must be an integer, got {text!r}") from None
    if value < least:
        raise NinjagradError(f"{flag} must be at least {least}, got {value}")
    if most is not None and value > most:
        raise NinjagradError(f"{flag} must be at most {most:,}, got {value:,}")
    return value


def _check(args):
    if args.part not in PARTS:
        raise NinjagradError(f"--part must be one of {', '.join(PARTS)}, got {args.part!r}")
    args.seed = _integer("--seed", args.seed, 0)
    # Upper bounds catch typos: the scalar engine builds a node per operation, so 10,000
    # points already take seconds per step (and far more points failed to allocate).
    args.lecture_steps = _integer("--lecture-steps", args.lecture_steps, 1, MAX_STEPS)
    args.moons_steps = _integer("--moons-steps", args.moons_steps, 1, MAX_STEPS)
    args.moons = _integer("--moons", args.moons, 2, MAX_MOONS)


def run(args):
    _check(args)
    progress = not args.no_progress
    if args.part in ("all", "lecture"):
        model, losses = train_lecture(steps=args.lecture_steps, seed=args.seed,
                                      progress=progress)
        print(f"lecture: {model!r}, {len(losses)} steps, squared-error loss "
              f"{losses[0]:.4f} -> {losses[-1]:.4f}")
        for x, y in zip(LECTURE_XS, LECTURE_YS, strict=True):
            print(f"  x = {x!s:<18} target {y:+.0f}  prediction {model(x).data:+.4f}")
    if args.part in ("all", "moons"):
        model, history = train_moons(n=args.moons, steps=args.moons_steps, seed=args.seed,
                                     progress=progress)
        (first_loss, first_acc), (loss, acc) = history[0], history[-1]
        print(f"moons: {model!r} on {args.moons} points, {len(history)} steps, "
              f"max-margin loss {first_loss:.4f} -> {loss:.4f}, "
              f"training accuracy {first_acc:.0%} -> {acc:.0%}")
    return 0


# ---------------------------------------------------------------- data and training
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
