"""The gradient table of ``ninjagrad check``: hand-written gradients vs autograd.

For one random batch, the chunked forward runs on a reference framework (ninjagrad or
PyTorch) with ``retain_grad()`` on every intermediate and ``loss.backward()``; the
hand-written backward passes of ``manual`` then run on the same forward values (as numpy
arrays) and each result is compared with the reference's ``.grad``, as the lecture's
``cmp`` does: exact equality, ``allclose``, and the largest difference.
"""

import numpy as np

from ninjagrad.check.compare import compare
from ninjagrad.makemore import manual
from ninjagrad.makemore.model import PARAM_NAMES, ModelConfig, init_params

EXERCISES = {
    1: "exercise 1: backprop through every intermediate",
    2: "exercise 2: fused cross-entropy backward, (softmax - one_hot) / n",
    3: "exercise 3: fused batchnorm backward in one expression",
    4: "exercise 4: the training step's parameter gradients (exercises 2 + 3)",
}

# allclose tolerances per dtype: float32 keeps ~7 digits, and a gradient element that is
# itself the difference of larger terms loses some of them (PyTorch's default atol 1e-8
# fails tiny float32 elements by rounding alone); float64 is held much tighter.
TOLERANCES = {"float32": {"rtol": 1e-4, "atol": 1e-7}, "float64": {"rtol": 1e-7, "atol": 1e-12}}

# Why a row may be approximately but not exactly equal to the reference.
WHY_NOT_EXACT = {
    "ninjagrad": {
        "C": "dC sums the rows of demb with a one-hot matmul (BLAS order); ninjagrad's "
        "indexing backward adds them with bincount: the same sum, rounded in another order",
        "fused": "a fused backward is a different (algebraically equal) expression from the "
        "step-by-step chain autograd evaluates, so it rounds differently (and so does every "
        "gradient computed from it)",
    },
    "torch": {
        "any": "PyTorch's kernels (pow, exp, log, matmul, reductions) round differently from "
        "numpy's in the last bit, and a difference in one gradient flows into every gradient "
        "computed from it",
    },
}


def _frameworks(references):
    """name -> (lib module, to_tensor(array, requires_grad)) for the available references."""
    found = {}
    for name in references:
        if name == "ninjagrad":
            import ninjagrad

            found[name] = (ninjagrad, lambda a, rg=False: ninjagrad.tensor(a, requires_grad=rg))
        elif name == "torch":
            try:
                import torch
            except ImportError:
                continue
            found[name] = (torch, lambda a, rg=False: torch.tensor(a, requires_grad=rg))
        else:
            raise ValueError(f"unknown reference {name!r}")
    return found


def _numpy(t):
    return t.detach().numpy()


def check_gradients(X, Y, vocab_size, *, seed=42, n_embd=10, n_hidden=64, batch_size=32,
                    dtypes=("float32", "float64"), references=("ninjagrad", "torch")):
    """Compare every hand-written gradient with each reference, in each dtype.

    ``X, Y`` are training examples (a batch of ``batch_size`` rows is drawn from them with
    ``seed``). Returns a list of sections: dicts with ``reference``, ``dtype``,
    ``exercise`` (1-4), ``title`` and ``records`` (``ninjagrad.check.compare.Comparison``).
    References that are not installed (PyTorch) are skipped.
    """
    rng = np.random.default_rng(seed)
    config = ModelConfig(vocab_size, n_embd, n_hidden, X.shape[1])
    params64 = init_params(config, rng, np.float64)
    ix = rng.integers(0, len(Y), batch_size)
    Xb, Yb = X[ix], Y[ix]
    sections = []
    for ref, (lib, to_tensor) in _frameworks(references).items():
        for dtype in dtypes:
            params = {k: v.astype(dtype) for k, v in params64.items()}
            P = {k: to_tensor(v, True) for k, v in params.items()}
            loss, inter = manual.forward_chunked(lib, P, to_tensor(Xb), to_tensor(Yb))
            for t in inter.values():
                t.retain_grad()
            loss.backward()
            ref_grads = {**{k: t.grad for k, t in inter.items()},
                         **{k: t.grad for k, t in P.items()}}
            values = {k: _numpy(t) for k, t in inter.items()}
            # The hand-written passes see the reference's own forward values and parameters.
            params = {k: _numpy(t) for k, t in P.items()}

            d1 = manual.backward_chunked(params, values, Xb, Yb)
            d4 = manual.backward(params, values, Xb, Yb)
            dhpreact = _numpy(ref_grads["hpreact"])
            dlogits = manual.cross_entropy_backward(values["probs"], Yb)
            dhprebn = manual.batchnorm_backward(dhpreact, params["bngain"], values["bnraw"],
                                                values["bnvar_inv"])
            rows = {
                1: [(name, d1[name]) for name in manual.INTERMEDIATES],
                2: [("logits", dlogits)],
                3: [("hprebn", dhprebn)],
                4: [(name, d4[name]) for name in PARAM_NAMES],
            }
            for exercise, items in rows.items():
                records = [compare(name, d, ref_grads[name], **TOLERANCES[dtype])
                           for name, d in items]
                sections.append({"reference": ref, "dtype": dtype, "exercise": exercise,
                                 "title": EXERCISES[exercise], "records": records})
    return sections


def explain(section, record):
    """Why ``record`` is not exact (None when it is)."""
    if record.exact:
        return None
    why = WHY_NOT_EXACT.get(section["reference"], {})
    if "any" in why:
        return why["any"]
    if section["exercise"] == 1:
        return why.get(record.name, "unexpected: not explained")
    return why.get("fused")


def as_json(sections):
    """A JSON-serialisable summary of ``check_gradients``' sections."""
    out = []
    for s in sections:
        rows = []
        for r in s["records"]:
            row = r.asdict()
            row["why_not_exact"] = explain(s, r)
            rows.append(row)
        out.append({k: s[k] for k in ("reference", "dtype", "exercise", "title")} | {"rows": rows})
    return {"sections": out, "ok": all(r.approximate for s in sections for r in s["records"])}
