"""Training speed of the names MLP: ninjagrad vs PyTorch CPU, in the same run.

    python benchmarks/makemore.py            # 5,000 timed steps per loop, median of 3
    python benchmarks/makemore.py --quick    # smoke test: a few hundred steps
    python benchmarks/makemore.py --full     # plus the wall time of full 200,000-step runs

Peers, all with the lecture's sizes (n_embd 10, n_hidden 200, block_size 3, batch 32):
- ``ninjagrad --backward manual``: ninjagrad's training loop (makemore.train.train) with
  the hand-written backward, against PyTorch running the lecture's exercise-4 loop (manual
  backward under no_grad, vectorised embedding gradient with index_add_);
- ``ninjagrad --backward autograd``: the same loop through ninjagrad Tensors and
  ``loss.backward()``, against PyTorch's ``loss.backward()`` loop;
- raw numpy float32: the same manual step written inline with no library around it, the
  ceiling for a numpy engine (reported for reference).
PyTorch runs with ``torch.set_num_threads(1)``, its best setting on this 2-core machine.
"""

import argparse
import functools
import os
import statistics
import sys
import time

import numpy as np

from ninjagrad.makemore.data import load_dataset
from ninjagrad.makemore.model import ModelConfig, init_params
from ninjagrad.makemore.train import TrainConfig, TrainState, train

# The lecture's exercise-4 loop is test code (tests/lecture_loop.py), shared with the tests.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests"))
import lecture_loop  # noqa: E402

LECTURE_DATA = os.path.normpath(
    os.path.join(os.path.dirname(__file__), "..", "..", "shared", "data", "names.txt")
)
N_EMBD, N_HIDDEN, BLOCK, BATCH, SEED = 10, 200, 3, 32, 2147483647


def ninjagrad_loop(dataset, steps, backward):
    config = TrainConfig(max_steps=steps, backward=backward, seed=SEED)
    state = TrainState.fresh(config, dataset.vocab.size)
    train(state, dataset, config)
    return state.elapsed, float(state.losses[-1])


def numpy_loop(dataset, steps):
    """The manual step inline: the least a numpy implementation can do per step."""
    rng = np.random.default_rng(SEED)
    p = init_params(ModelConfig(dataset.vocab.size, N_EMBD, N_HIDDEN, BLOCK), rng)
    C, W1, b1, W2, b2, g, beta = (p[k] for k in ("C", "W1", "b1", "W2", "b2", "bngain",
                                                  "bnbias"))
    Xtr, Ytr, n = dataset.Xtr, dataset.Ytr, BATCH
    eye, rows = np.eye(C.shape[0], dtype=np.float32), np.arange(n)
    t0 = time.perf_counter()
    for i in range(steps):
        ix = rng.integers(0, len(Ytr), n)
        Xb, Yb = Xtr[ix], Ytr[ix]
        embcat = C[Xb].reshape(n, -1)
        hprebn = embcat @ W1 + b1
        bndiff = hprebn - hprebn.mean(0, keepdims=True)
        bnvar_inv = ((bndiff * bndiff).sum(0, keepdims=True) / (n - 1) + 1e-5) ** -0.5
        bnraw = bndiff * bnvar_inv
        h = np.tanh(g * bnraw + beta)
        logits = h @ W2 + b2
        logits -= logits.max(1, keepdims=True)
        probs = np.exp(logits)
        probs /= probs.sum(1, keepdims=True)
        loss = -np.log(probs[rows, Yb]).mean()
        dlogits = probs
        dlogits[rows, Yb] -= 1
        dlogits /= n
        dh = dlogits @ W2.T
        dW2, db2 = h.T @ dlogits, dlogits.sum(0)
        dhpreact = (1.0 - h * h) * dh
        dg, dbeta = (bnraw * dhpreact).sum(0, keepdims=True), dhpreact.sum(0, keepdims=True)
        dhprebn = g * bnvar_inv / n * (n * dhpreact - dhpreact.sum(0)
                                       - n / (n - 1) * bnraw * (dhpreact * bnraw).sum(0))
        dembcat = dhprebn @ W1.T
        dW1, db1 = embcat.T @ dhprebn, dhprebn.sum(0)
        dC = eye[Xb.reshape(-1)].T @ dembcat.reshape(-1, N_EMBD)
        lr = 0.1 if i < steps // 2 else 0.01
        for q, d in ((C, dC), (W1, dW1), (b1, db1), (W2, dW2), (b2, db2), (g, dg), (beta, dbeta)):
            q -= lr * d
    return time.perf_counter() - t0, float(loss)


def torch_setup(dataset):
    import torch

    torch.set_num_threads(1)
    g = torch.Generator().manual_seed(SEED)
    V = dataset.vocab.size
    params = {
        "C": torch.randn((V, N_EMBD), generator=g),
        "W1": torch.randn((N_EMBD * BLOCK, N_HIDDEN), generator=g) * (5 / 3)
        / (N_EMBD * BLOCK) ** 0.5,
        "b1": torch.randn(N_HIDDEN, generator=g) * 0.1,
        "W2": torch.randn((N_HIDDEN, V), generator=g) * 0.1,
        "b2": torch.randn(V, generator=g) * 0.1,
        "bngain": torch.randn((1, N_HIDDEN), generator=g) * 0.1 + 1.0,
        "bnbias": torch.randn((1, N_HIDDEN), generator=g) * 0.1,
    }
    return torch, g, params, torch.from_numpy(dataset.Xtr), torch.from_numpy(dataset.Ytr)


def index_add_embedding_backward(torch, C, Xb, demb):
    """The vectorised embedding gradient a PyTorch user would write (not the lecture's loop)."""
    return torch.zeros_like(C).index_add_(0, Xb.view(-1), demb.view(-1, C.shape[1]))


def torch_loop(dataset, steps, step_fn, requires_grad=False):
    """PyTorch running the lecture's exercise-4 loop with ``step_fn`` from tests/lecture_loop.py."""
    torch, g, params, Xtr, Ytr = torch_setup(dataset)
    F = torch.nn.functional
    for p in params.values():
        p.requires_grad = requires_grad
    t0 = time.perf_counter()
    for i in range(steps):
        ix = torch.randint(0, Xtr.shape[0], (BATCH,), generator=g)
        lr = 0.1 if i < steps // 2 else 0.01
        loss, _grads = step_fn(torch, F, params, Xtr[ix], Ytr[ix], lr)
    return time.perf_counter() - t0, loss


def torch_manual_loop(dataset, steps):
    """The lecture's exercise 4 in PyTorch: hand-written backward under no_grad."""
    return torch_loop(dataset, steps, functools.partial(
        lecture_loop.manual_step, embedding_backward=index_add_embedding_backward))


def torch_autograd_loop(dataset, steps):
    """The same model trained with PyTorch's loss.backward()."""
    return torch_loop(dataset, steps, lecture_loop.autograd_step, requires_grad=True)


def median_rate(loop, steps, repeats):
    loop(min(steps, 200))  # warm-up: allocator, BLAS, caches
    rates = []
    for _ in range(repeats):
        elapsed, _loss = loop(steps)
        rates.append(steps / elapsed)
    return statistics.median(rates)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-i", "--input-file", default=None,
                        help="word list (default: the lecture's names.txt if present, else the "
                        "built-in names)")
    parser.add_argument("--steps", type=int, default=5000, help="timed steps per repeat")
    parser.add_argument("--repeats", type=int, default=3)
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--quick", action="store_true", help="smoke test: 300 steps, 1 repeat")
    mode.add_argument("--full", action="store_true", help="also time full 200,000-step runs")
    args = parser.parse_args(argv)
    steps, repeats = (300, 1) if args.quick else (args.steps, args.repeats)
    path = args.input_file or (LECTURE_DATA if os.path.exists(LECTURE_DATA) else None)
    dataset = load_dataset(path, block_size=BLOCK)
    try:
        import torch
    except ImportError:
        sys.exit("benchmarks/makemore.py needs PyTorch (pip install -e '.[test]')")

    print(f"names MLP, lecture sizes, batch {BATCH}; data: {dataset.source}")
    print(f"numpy {np.__version__}, torch {torch.__version__} (1 thread); "
          f"{steps:,} timed steps, median of {repeats}\n")
    loops = {
        "ninjagrad --backward manual": lambda s: ninjagrad_loop(dataset, s, "manual"),
        "PyTorch manual (exercise 4)": lambda s: torch_manual_loop(dataset, s),
        "ninjagrad --backward autograd": lambda s: ninjagrad_loop(dataset, s, "autograd"),
        "PyTorch loss.backward()": lambda s: torch_autograd_loop(dataset, s),
        "raw numpy float32 (ceiling)": lambda s: numpy_loop(dataset, s),
    }
    rates = {name: median_rate(loop, steps, repeats) for name, loop in loops.items()}
    width = max(map(len, rates))
    print(f"{'loop':<{width}}  {'steps/s':>9}")
    for name, rate in rates.items():
        print(f"{name:<{width}}  {rate:>9,.0f}")
    manual = rates["ninjagrad --backward manual"]
    auto = rates["ninjagrad --backward autograd"]
    print(f"\nmanual:   ninjagrad / PyTorch manual  = "
          f"{manual / rates['PyTorch manual (exercise 4)']:.2f}x  (target >= 2)")
    print(f"          ninjagrad / raw numpy       = "
          f"{manual / rates['raw numpy float32 (ceiling)']:.2f}   (target >= 0.9)")
    print(f"autograd: ninjagrad / PyTorch backward = "
          f"{auto / rates['PyTorch loss.backward()']:.2f}x  (target >= 1.5)")

    if args.full:
        print("\nfull 200,000-step runs (wall time of the training loop, final batch loss):")
        for name, loop in loops.items():
            elapsed, loss = loop(200_000)
            print(f"{name:<{width}}  {elapsed:7.1f} s   loss {loss:.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
