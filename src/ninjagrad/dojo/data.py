"""The numbers every backprop-ninja exercise runs on, and the reference gradients.

One batch of the built-in names, the lecture's exercise settings (n_embd 10, n_hidden 64,
block_size 3, batch 32) in float64 so that a right answer agrees with the reference to
~1e-15 and a wrong one stands out clearly. The starters and the grader draw the same
numbers from the same seed, so the learner's forward pass and the reference agree.

The reference gradients come from autograd, never from a hand-written backward: the
chunked forward of ``ninjagrad.makemore.manual`` runs on ninjagrad's tensors (and on
PyTorch's, when installed) with ``retain_grad()`` on every intermediate.
"""

import functools

import numpy as np

SEED = 42
N_EMBD, N_HIDDEN, BLOCK_SIZE, BATCH_SIZE = 10, 64, 3, 32
DTYPE = np.float64

# Exercise 4: a short training run, the same batches for the learner and the reference.
TRAIN_STEPS = 500
LEARNING_RATE = 0.1
LOSS_WINDOW = 50  # exercise 4 is graded on the mean loss of the last LOSS_WINDOW steps


@functools.lru_cache(maxsize=1)
def _dataset():
    from ninjagrad.makemore.data import load_dataset

    return load_dataset()


@functools.lru_cache(maxsize=1)
def _arrays():
    """(params, batches): the initial parameters and TRAIN_STEPS batches, as numpy.

    Batch 0 is the batch of exercises 1-3 and dC: exercise 4's first step is exercise 1's.
    """
    from ninjagrad.makemore.model import ModelConfig, init_params

    ds = _dataset()
    rng = np.random.default_rng(SEED)
    config = ModelConfig(ds.vocab.size, N_EMBD, N_HIDDEN, BLOCK_SIZE)
    params = init_params(config, rng, DTYPE)
    batches = []
    for _ in range(TRAIN_STEPS):
        ix = rng.integers(0, len(ds.Ytr), BATCH_SIZE)
        batches.append((ds.Xtr[ix], ds.Ytr[ix]))
    for a in params.values():
        a.setflags(write=False)  # cached: every caller gets copies
    return params, batches


def ninja_batch():
    """``(params, Xb, Yb)`` for exercises 1-3 and dC: a dict of fresh ninjagrad Tensors
    (``C W1 b1 W2 b2 bngain bnbias``, float64) and the batch's int64 Tensors."""
    import ninjagrad as ng

    params, batches = _arrays()
    Xb, Yb = batches[0]
    return ({k: ng.tensor(v.copy()) for k, v in params.items()}, ng.tensor(Xb), ng.tensor(Yb))


def ninja_training():
    """``(params, batches, lr)`` for exercise 4: fresh parameter Tensors, the list of
    ``(Xb, Yb)`` Tensor batches of the run, and the learning rate."""
    import ninjagrad as ng

    params, batches = _arrays()
    return ({k: ng.tensor(v.copy()) for k, v in params.items()},
            [(ng.tensor(X), ng.tensor(Y)) for X, Y in batches], LEARNING_RATE)


def _reference_with(lib, to_tensor):
    from ninjagrad.makemore.manual import forward_chunked

    params, batches = _arrays()
    Xb, Yb = batches[0]
    P = {k: to_tensor(v.copy(), True) for k, v in params.items()}
    loss, inter = forward_chunked(lib, P, to_tensor(Xb), to_tensor(Yb))
    for t in inter.values():
        t.retain_grad()
    loss.backward()
    grads = {k: t.grad.detach().numpy() for k, t in (*inter.items(), *P.items())}
    values = {k: t.detach().numpy() for k, t in inter.items()}
    return float(loss.item()), values, grads


@functools.lru_cache(maxsize=1)
def ninja_reference():
    """``(loss, values, grads)`` from ninjagrad's autograd: forward values and the gradient
    of every intermediate and parameter (numpy, by the lecture's names)."""
    import ninjagrad as ng

    return _reference_with(ng, lambda a, rg=False: ng.tensor(a, requires_grad=rg))


def upstream_gradient(name):
    """The reference gradient of ``name`` as a fresh Tensor: what exercises 3 and dC start
    from (``dhpreact``, ``demb``), as the lecture takes them from autograd."""
    import ninjagrad as ng

    return ng.tensor(ninja_reference()[2][name].copy())


@functools.lru_cache(maxsize=1)
def torch_reference():
    """The same from PyTorch, or None when PyTorch is not installed."""
    try:
        import torch
    except ImportError:
        return None
    return _reference_with(torch, lambda a, rg=False: torch.tensor(a, requires_grad=rg))


@functools.lru_cache(maxsize=1)
def training_reference():
    """Exercise 4's reference run: the per-step losses of TRAIN_STEPS steps of SGD with the
    gradients of ninjagrad's autograd (the chunked forward, ``loss.backward()``), on the
    learner's batches."""
    import ninjagrad as ng
    from ninjagrad.makemore.manual import forward_chunked

    params, batches, lr = ninja_training()
    for p in params.values():
        p.requires_grad_()
    losses = []
    for Xb, Yb in batches:
        loss, _ = forward_chunked(ng, params, Xb, Yb)
        for p in params.values():
            p.grad = None
        loss.backward()
        with ng.no_grad():
            for p in params.values():
                p.data -= lr * p.grad.data
        losses.append(loss.item())
    return np.array(losses)


def final_loss(losses):
    """What exercise 4 is graded on: the mean loss over the last LOSS_WINDOW steps."""
    return float(np.mean(np.asarray(losses, dtype=np.float64)[-LOSS_WINDOW:]))
