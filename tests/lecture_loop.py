"""The lecture's exercise-4 training step, written once over a PyTorch-named library.

Test and benchmark code, not the library's: ``tests/test_lecture.py`` runs it on ninjagrad
and compares with PyTorch, and ``benchmarks/`` time PyTorch running it (they import it
from here). ninjagrad's own training step is ``ninjagrad.makemore.manual``, on the model's
forward (``ninjagrad.makemore.model.forward``).

``lib`` is ``ninjagrad`` or ``torch`` and ``F`` its functional module; ``params`` is a dict
of tensors named as in the lecture (``C W1 b1 W2 b2 bngain bnbias``). Because ninjagrad
uses PyTorch's names, the same lines run on both.
"""

from ninjagrad.makemore.model import BN_EPS


def forward(lib, F, params, Xb, Yb):
    """Exercise 4's forward: batchnorm spelled out (Bessel-corrected variance), the
    library's fused cross-entropy. Returns ``(loss, cache)`` for ``manual_backward``."""
    emb = params["C"][Xb]
    embcat = emb.view(emb.shape[0], -1)
    hprebn = embcat @ params["W1"] + params["b1"]
    bnmean = hprebn.mean(0, keepdim=True)
    bnvar = hprebn.var(0, keepdim=True, unbiased=True)
    bnvar_inv = (bnvar + BN_EPS) ** -0.5
    bnraw = (hprebn - bnmean) * bnvar_inv
    hpreact = params["bngain"] * bnraw + params["bnbias"]
    h = lib.tanh(hpreact)
    logits = h @ params["W2"] + params["b2"]
    loss = F.cross_entropy(logits, Yb)
    cache = {"emb": emb, "embcat": embcat, "bnvar_inv": bnvar_inv, "bnraw": bnraw, "h": h,
             "logits": logits}
    return loss, cache


def embedding_backward_loop(lib, C, Xb, demb):
    """The lecture's embedding backward: every position adds its row of demb into dC."""
    dC = lib.zeros_like(C)
    for k in range(Xb.shape[0]):
        for j in range(Xb.shape[1]):
            dC[Xb[k, j]] += demb[k, j]
    return dC


def manual_backward(lib, F, params, cache, Xb, Yb, embedding_backward=embedding_backward_loop):
    """Exercise 4's hand-written backward (exercises 2 and 3 fused). Returns a dict of
    parameter gradients. Call it under ``lib.no_grad()``."""
    W1, W2, bngain = params["W1"], params["W2"], params["bngain"]
    emb, embcat, h, bnraw = cache["emb"], cache["embcat"], cache["h"], cache["bnraw"]
    bnvar_inv = cache["bnvar_inv"]
    n = Xb.shape[0]
    dlogits = F.softmax(cache["logits"], 1)
    dlogits[range(n), Yb] -= 1
    dlogits /= n
    dh = dlogits @ W2.T
    dW2 = h.T @ dlogits
    db2 = dlogits.sum(0)
    dhpreact = (1.0 - h**2) * dh
    dbngain = (bnraw * dhpreact).sum(0, keepdim=True)
    dbnbias = dhpreact.sum(0, keepdim=True)
    dhprebn = bngain * bnvar_inv / n * (
        n * dhpreact - dhpreact.sum(0) - n / (n - 1) * bnraw * (dhpreact * bnraw).sum(0)
    )
    dembcat = dhprebn @ W1.T
    dW1 = embcat.T @ dhprebn
    db1 = dhprebn.sum(0)
    demb = dembcat.view(emb.shape)
    dC = embedding_backward(lib, params["C"], Xb, demb)
    return {"C": dC, "W1": dW1, "b1": db1, "W2": dW2, "b2": db2, "bngain": dbngain,
            "bnbias": dbnbias}


def manual_step(lib, F, params, Xb, Yb, lr, embedding_backward=embedding_backward_loop):
    """One step of exercise 4: forward, the hand-written backward and the SGD update, with
    no graph built. Returns ``(loss, grads)``."""
    with lib.no_grad():
        loss, cache = forward(lib, F, params, Xb, Yb)
        grads = manual_backward(lib, F, params, cache, Xb, Yb, embedding_backward)
        for name, p in params.items():
            p.data += -lr * grads[name]
    return loss.item(), grads


def autograd_step(lib, F, params, Xb, Yb, lr):
    """The same step with the library's ``loss.backward()``. Returns ``(loss, grads)``;
    the parameters must require grad."""
    loss, _ = forward(lib, F, params, Xb, Yb)
    for p in params.values():
        p.grad = None
    loss.backward()
    with lib.no_grad():
        for p in params.values():
            p.data += -lr * p.grad
    return loss.item(), {name: p.grad for name, p in params.items()}
