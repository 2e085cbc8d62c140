"""Tensor-engine speed: per-op overhead and the names-MLP training step, against PyTorch.

Run:  python benchmarks/tensor.py [--quick]

Prints, for the lecture's sizes, the cost of one op (forward, recording the graph) in raw
numpy, ninjagrad and PyTorch CPU (1 thread), then steps per second of the makemore MLP
training step (batch 32, block 3, n_embd 10, n_hidden 200, vocab 27: forward +
``loss.backward()`` + SGD) for ninjagrad and PyTorch measured in the same run, with the ratio.
Three variants of the step, each written once and run by both libraries: "chunked
forward" spells batchnorm and cross-entropy out in primitive ops as the lecture's
exercise 1 does (~30 nodes); "exercise-4 loop" is the lecture's training loop (explicit
batchnorm, ``F.cross_entropy``); "fused" also uses ``F.batch_norm``.
"""

import argparse
import os
import sys
import time

import numpy as np

import ninjagrad as ng
from ninjagrad.makemore import manual

# The lecture's exercise-4 loop is test code (tests/lecture_loop.py), shared with the tests.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests"))
import lecture_loop  # noqa: E402

BATCH, BLOCK, N_EMBD, N_HIDDEN, VOCAB = 32, 3, 10, 200, 27


def best_time(fn, number, repeat):
    """Best per-call seconds over ``repeat`` runs of ``number`` calls (least disturbed run).

    CPU time of this process, not wall time: on a shared machine the time other programs
    hold the cores would otherwise count (both libraries compute on one thread here).
    """
    best = float("inf")
    for _ in range(repeat):
        t0 = time.process_time()
        for _ in range(number):
            fn()
        best = min(best, (time.process_time() - t0) / number)
    return best


# ------------------------------------------------------------------------------- per-op cost
def op_cases(torch):
    rng = np.random.default_rng(0)
    a = rng.standard_normal((32, 30), dtype=np.float32)
    w1 = rng.standard_normal((30, 200), dtype=np.float32)
    h = rng.standard_normal((32, 200), dtype=np.float32)
    b = rng.standard_normal(200, dtype=np.float32)
    w2 = rng.standard_normal((200, 27), dtype=np.float32)
    c = rng.standard_normal((27, 10), dtype=np.float32)
    xb = rng.integers(0, 27, (32, 3))

    def ng_t(x):
        return ng.tensor(x, requires_grad=x.dtype.kind == "f")

    na, nw1, nh, nb, nw2, nc, nxb = map(ng_t, (a, w1, h, b, w2, c, xb))
    cases = {
        "add (32x200)+(200)": (lambda: h + b, lambda: nh + nb),
        "matmul 32x30 @ 30x200": (lambda: a @ w1, lambda: na @ nw1),
        "matmul 32x200 @ 200x27": (lambda: h @ w2, lambda: nh @ nw2),
        "sum(0) of 32x200": (lambda: h.sum(0), lambda: nh.sum(0)),
        "index C[Xb] 27x10[32x3]": (lambda: c[xb], lambda: nc[nxb]),
    }
    if torch is not None:
        def t_t(x):
            return torch.tensor(x, requires_grad=x.dtype.kind == "f")

        ta, tw1, th, tb, tw2, tc, txb = map(t_t, (a, w1, h, b, w2, c, xb))
        torch_ops = [lambda: th + tb, lambda: ta @ tw1, lambda: th @ tw2, lambda: th.sum(0),
                     lambda: tc[txb]]
    else:
        torch_ops = [None] * len(cases)
    return [(name, np_fn, ng_fn, t_fn)
            for (name, (np_fn, ng_fn)), t_fn in zip(cases.items(), torch_ops, strict=True)]


# ----------------------------------------------------------------------------- the MLP step
def make_params(lib, dtype):
    rng = np.random.default_rng(42)
    shapes = {"C": (VOCAB, N_EMBD), "W1": (BLOCK * N_EMBD, N_HIDDEN), "b1": (N_HIDDEN,),
              "W2": (N_HIDDEN, VOCAB),
              "b2": (VOCAB,), "bngain": (1, N_HIDDEN), "bnbias": (1, N_HIDDEN)}
    scale = {"W1": (5 / 3) / (BLOCK * N_EMBD) ** 0.5, "b1": 0.1, "W2": 0.1, "b2": 0.1,
             "bnbias": 0.1}
    params = {}
    for name, shape in shapes.items():
        data = rng.standard_normal(shape) * scale.get(name, 1.0)
        if name == "bngain":
            data = 1.0 + 0.1 * data
        params[name] = lib.tensor(data.astype(dtype), requires_grad=True)
    return params


def fused_forward(lib, F, p, xb, yb):
    """Embedding, linear, ``F.batch_norm``, tanh, linear, ``F.cross_entropy``."""
    emb = p["C"][xb]
    embcat = emb.view(emb.shape[0], -1)
    hprebn = embcat @ p["W1"] + p["b1"]
    hpreact = F.batch_norm(hprebn, None, None, p["bngain"].view(-1), p["bnbias"].view(-1),
                           training=True)
    h = lib.tanh(hpreact)
    logits = h @ p["W2"] + p["b2"]
    return F.cross_entropy(logits, yb)


def make_step(lib, forward, params, batches):
    plist = list(params.values())
    state = {"i": 0}

    def step():
        xb, yb = batches[state["i"] % len(batches)]
        state["i"] += 1
        loss = forward(params, xb, yb)
        for q in plist:
            q.grad = None
        loss.backward()
        with lib.no_grad():
            for q in plist:
                q.data += -0.1 * q.grad
        return loss

    return step


def batches_for(lib, count=64):
    rng = np.random.default_rng(7)
    out = []
    for _ in range(count):
        xb = rng.integers(0, VOCAB, (BATCH, BLOCK))
        yb = rng.integers(0, VOCAB, (BATCH,))
        out.append((lib.tensor(xb), lib.tensor(yb)))
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a short smoke run")
    args = parser.parse_args(argv)
    number, repeat, steps = (200, 3, 100) if args.quick else (3000, 7, 1500)

    try:
        import torch

        torch.set_num_threads(1)
        import torch.nn.functional as tF
    except ImportError:
        torch = tF = None
        print("PyTorch is not installed: ninjagrad and numpy figures only")
    import ninjagrad.functional as nF

    print(f"load average before: {os.getloadavg()[0]:.2f} (cores: {os.cpu_count()}); "
          f"python {sys.version.split()[0]}, numpy {np.__version__}"
          + (f", torch {torch.__version__} (1 thread)" if torch else ""))
    print("\nper-op cost, forward with graph recording (us/op)")
    print(f"{'op':28s} {'numpy':>8s} {'ninjagrad':>10s} {'torch':>8s} {'torch/ng':>9s}")
    for name, np_fn, ng_fn, t_fn in op_cases(torch):
        t_np = best_time(np_fn, number, repeat) * 1e6
        t_ng = best_time(ng_fn, number, repeat) * 1e6
        t_t = best_time(t_fn, number, repeat) * 1e6 if t_fn else float("nan")
        print(f"{name:28s} {t_np:8.2f} {t_ng:10.2f} {t_t:8.2f} {t_t / t_ng:8.2f}x")

    print(f"\nnames-MLP training step (batch {BATCH}, n_hidden {N_HIDDEN}, float32; "
          "forward + backward + SGD)")
    print(f"{'variant':34s} {'ninjagrad':>10s} {'torch':>10s} {'ratio':>7s}  (steps/s)")
    variants = [("chunked forward (explicit BN + CE)",
                 lambda p, x, y: manual.forward_chunked(ng, p, x, y)[0],
                 lambda p, x, y: manual.forward_chunked(torch, p, x, y)[0]),
                ("exercise-4 loop (F.cross_entropy)",
                 lambda p, x, y: lecture_loop.forward(ng, nF, p, x, y)[0],
                 lambda p, x, y: lecture_loop.forward(torch, tF, p, x, y)[0]),
                ("fused (F.batch_norm + F.c_e)",
                 lambda p, x, y: fused_forward(ng, nF, p, x, y),
                 lambda p, x, y: fused_forward(torch, tF, p, x, y))]
    rates = {}
    ng_batches = batches_for(ng)
    t_batches = batches_for(torch) if torch else None
    for label, ng_fwd, t_fwd in variants:
        ng_step = make_step(ng, ng_fwd, make_params(ng, np.float32), ng_batches)
        if torch:
            t_step = make_step(torch, t_fwd, make_params(torch, np.float32), t_batches)
            # alternate the two so both see the same background load; keep each one's best
            per_ng = per_t = float("inf")
            for _ in range(max(2, repeat // 2)):
                per_ng = min(per_ng, best_time(ng_step, steps, 1))
                per_t = min(per_t, best_time(t_step, steps, 1))
            ratio = per_t / per_ng
            rates[label] = (1 / per_ng, 1 / per_t)
            print(f"{label:34s} {1 / per_ng:10.0f} {1 / per_t:10.0f} {ratio:6.2f}x")
        else:
            per_ng = best_time(ng_step, steps, max(2, repeat // 2))
            print(f"{label:34s} {1 / per_ng:10.0f} {'-':>10s}")
    if rates:
        # The target compares how each library is used to train this model with autograd:
        # ninjagrad with its fused Functions (as `ninjagrad train --backward autograd` does)
        # against PyTorch running the lecture's exercise-4 loop with loss.backward().
        ours, theirs = rates[variants[2][0]][0], rates[variants[1][0]][1]
        print(f"\nninjagrad's autograd step (fused) / PyTorch's exercise-4 loss.backward() step: "
              f"{ours:.0f} / {theirs:.0f} = {ours / theirs:.2f}x (target >= 1.5x)")
    print(f"\nload average after: {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
