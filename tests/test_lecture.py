"""The backprop-ninja lecture's code, run against ninjagrad and compared with PyTorch.

The lecture's chunked forward pass (``makemore.manual.forward_chunked``) and its exercise-4
training step (``lecture_loop.py`` beside this file) are written once over a ``lib``
namespace (``torch`` or ``ninjagrad``) and its ``F``: ninjagrad mirrors PyTorch's names, so
the same lines run on both, and both start from the same numpy arrays.
"""


import lecture_loop
import numpy as np
import pytest

import ninjagrad
import ninjagrad.functional as ngF
from ninjagrad.makemore import manual
from ninjagrad.makemore.model import PARAM_NAMES

torch = pytest.importorskip("torch")
torchF = torch.nn.functional

VOCAB, N_EMBD, BLOCK, BATCH = 27, 10, 3, 32


def build_dataset(path, block_size=BLOCK):
    """The lecture's (context, next character) pairs, as plain Python lists."""
    with open(path) as f:
        words = f.read().splitlines()
    chars = sorted(set("".join(words)))
    stoi = {s: i + 1 for i, s in enumerate(chars)}
    stoi["."] = 0
    X, Y = [], []
    for w in words:
        context = [0] * block_size
        for ch in w + ".":
            ix = stoi[ch]
            X.append(context)
            Y.append(ix)
            context = context[1:] + [ix]
    return np.array(X, dtype=np.int64), np.array(Y, dtype=np.int64)


def init_arrays(n_hidden, seed, dtype):
    """The lecture's initialisation, drawn once in numpy so both libraries share it."""
    rng = np.random.default_rng(seed)
    fan_in = N_EMBD * BLOCK
    arrays = [
        rng.standard_normal((VOCAB, N_EMBD)),
        rng.standard_normal((fan_in, n_hidden)) * (5 / 3) / fan_in**0.5,
        rng.standard_normal(n_hidden) * 0.1,
        rng.standard_normal((n_hidden, VOCAB)) * 0.1,
        rng.standard_normal(VOCAB) * 0.1,
        rng.standard_normal((1, n_hidden)) * 0.1 + 1.0,
        rng.standard_normal((1, n_hidden)) * 0.1,
    ]
    return [a.astype(dtype) for a in arrays]


def make_params(lib, arrays):
    """The parameters as the lecture names them, leaf tensors that require grad."""
    params = {name: lib.tensor(a.copy()) for name, a in zip(PARAM_NAMES, arrays, strict=True)}
    for p in params.values():
        p.requires_grad = True
    return params


# (rel, abs): |ours - torch| <= rel * max|torch| + abs, per tensor. The two libraries sum in
# different orders, so they agree to rounding: float64 to 1e-10 of each tensor's largest
# entry; float32 to ~100 ulps after ~20 chained ops and sums of 32..64 terms. The absolute
# part covers gradients that are zero in exact arithmetic (db1: batchnorm cancels b1), which
# both libraries leave as rounding noise (~1e-18 in float64, ~1e-9 in float32).
TOLERANCE = {np.float64: (1e-10, 1e-15), np.float32: (2e-5, 1e-7)}


def assert_close(name, ours, theirs, tol):
    rel, atol = tol
    ours = np.asarray(ours)
    theirs = np.asarray(theirs)
    assert ours.shape == theirs.shape, f"{name}: shape {ours.shape} vs {theirs.shape}"
    scale = float(np.abs(theirs).max())
    err = float(np.abs(ours.astype(np.float64) - theirs).max())
    assert err <= rel * scale + atol, f"{name}: max |diff| {err:.3g} > {rel:g} * {scale:.3g}"


def random_batch(n, seed):
    rng = np.random.default_rng(seed)
    Xb = rng.integers(0, VOCAB, size=(n, BLOCK))
    Xb[0] = Xb[1]  # repeated rows of C[Xb]: the embedding backward must accumulate
    Yb = rng.integers(0, VOCAB, size=n)
    return Xb.astype(np.int64), Yb.astype(np.int64)


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
def test_chunked_forward_gradients_match_pytorch(dtype):
    arrays = init_arrays(n_hidden=64, seed=1, dtype=dtype)
    Xb, Yb = random_batch(BATCH, seed=2)
    results = {}
    for name, lib, X, Y in [
        ("ninjagrad", ninjagrad, ninjagrad.tensor(Xb), ninjagrad.tensor(Yb)),
        ("torch", torch, torch.tensor(Xb), torch.tensor(Yb)),
    ]:
        params = make_params(lib, arrays)
        loss, inter = manual.forward_chunked(lib, params, X, Y)
        for t in inter.values():
            t.retain_grad()
        loss.backward()
        grads = {k: t.grad for k, t in inter.items()}
        grads.update({k: p.grad for k, p in params.items()})
        results[name] = (loss.item(), grads, inter)
    tol = TOLERANCE[dtype]
    ng_loss, ng_grads, ng_inter = results["ninjagrad"]
    th_loss, th_grads, th_inter = results["torch"]
    assert ng_loss == pytest.approx(th_loss, rel=tol[0])
    assert set(ng_grads) == set(th_grads)
    for k in th_grads:
        if k in th_inter:
            assert ng_inter[k].data.dtype == th_inter[k].detach().numpy().dtype, k
        assert ng_grads[k] is not None, f"{k}.grad is None"
        assert ng_grads[k].data.dtype == dtype, f"{k}.grad dtype {ng_grads[k].data.dtype}"
        assert_close(k, ng_grads[k].data, th_grads[k].numpy(), tol)


def autograd_grads(lib, F, arrays, Xb, Yb):
    """The exercise-4 forward (with the library's fused cross-entropy), differentiated by
    the library's autograd: (loss, gradients in parameter order)."""
    params = make_params(lib, arrays)
    loss, grads = lecture_loop.autograd_step(lib, F, params, Xb, Yb, lr=0.0)
    return loss, [grads[name] for name in PARAM_NAMES]


def exercise4_step(lib, F, params, Xb, Yb, lr):
    """The lecture's exercise-4 step: (loss, hand-written gradients in parameter order)."""
    loss, grads = lecture_loop.manual_step(lib, F, params, Xb, Yb, lr)
    return loss, [grads[name] for name in PARAM_NAMES]


def test_exercise4_first_batch_matches_autograd():
    arrays = init_arrays(n_hidden=64, seed=3, dtype=np.float64)
    Xb, Yb = random_batch(BATCH, seed=4)
    X, Y = ninjagrad.tensor(Xb), ninjagrad.tensor(Yb)
    manual_loss, by_hand = exercise4_step(ninjagrad, ngF, make_params(ninjagrad, arrays), X, Y,
                                         lr=0.0)
    ng_loss, ng_auto = autograd_grads(ninjagrad, ngF, arrays, X, Y)
    th_loss, th_auto = autograd_grads(torch, torchF, arrays, torch.tensor(Xb), torch.tensor(Yb))
    assert manual_loss == pytest.approx(th_loss, rel=1e-12)
    assert ng_loss == pytest.approx(th_loss, rel=1e-12)
    for name, m, a, t in zip(PARAM_NAMES, by_hand, ng_auto, th_auto, strict=True):
        assert_close(f"d{name} manual vs torch", m.data, t.numpy(), TOLERANCE[np.float64])
        assert_close(f"d{name} autograd vs torch", a.data, t.numpy(), TOLERANCE[np.float64])


def test_exercise4_training_loop_learns(names_path):
    X, Y = build_dataset(names_path)
    arrays = init_arrays(n_hidden=64, seed=5, dtype=np.float32)
    params = make_params(ninjagrad, arrays)
    g = ninjagrad.Generator().manual_seed(2147483647)
    Xtr, Ytr = ninjagrad.tensor(X), ninjagrad.tensor(Y)
    # A fixed evaluation batch, scored with the batch statistics like the training batches.
    rng = np.random.default_rng(6)
    ev = rng.integers(0, len(X), size=2000)
    Xev, Yev = ninjagrad.tensor(X[ev]), ninjagrad.tensor(Y[ev])

    def eval_loss():
        return exercise4_step(ninjagrad, ngF, params, Xev, Yev, lr=0.0)[0]

    before = eval_loss()
    losses = []
    for i in range(300):
        ix = ninjagrad.randint(0, Xtr.shape[0], (BATCH,), generator=g)
        Xb, Yb = Xtr[ix], Ytr[ix]
        if i == 0:
            start = [p.data.copy() for p in params.values()]
        loss, grads = exercise4_step(ninjagrad, ngF, params, Xb, Yb, lr=0.1)
        if i == 0:  # the hand-derived gradients of the first batch are autograd's
            auto_loss, auto = autograd_grads(ninjagrad, ngF, start, Xb, Yb)
            assert loss == pytest.approx(auto_loss, rel=1e-6)
            for name, m, a in zip(PARAM_NAMES, grads, auto, strict=True):
                assert_close(f"d{name}", m.data, a.data, TOLERANCE[np.float32])
        losses.append(loss)
    after = eval_loss()
    # Uniform guessing scores ln 27 = 3.30; PyTorch running this loop from these arrays
    # reaches ~2.6 after 300 steps. Require most of that progress.
    print(f"exercise 4 with ninjagrad: evaluation loss {before:.3f} -> {after:.3f}")
    assert before > 3.0
    assert after < 2.8, f"evaluation loss {before:.3f} -> {after:.3f} after 300 steps"
    assert before - after > 0.4
    assert np.isfinite(losses).all()

