"""What the grader knows about the backprop-ninja exercises beyond their lines: the
reference gradients, the contributions of variables used twice, known wrong formulas
worked out exactly, and how often each row of C is used (for the indexing diagnosis).

``micrograd_checks`` offers the same functions for its exercise; ``grading`` asks whichever
family the exercise belongs to.
"""

import numpy as np

from ninjagrad.dojo import data, diagnosis

LOSS_ATOL = 1e-3  # exercise 4's loss: the same run agrees far closer than this


def references(exercise, use_torch):
    """[(label, {row name: array})]: ninjagrad's autograd, then PyTorch's if installed."""
    names = [line.name for line in exercise.lines if line.name != "loss"]
    found = [("ninjagrad autograd", data.ninja_reference())]
    if use_torch:
        torch_ref = data.torch_reference()
        if torch_ref is not None:
            found.append(("PyTorch autograd", torch_ref))
    refs = []
    for label, (_, _, grads) in found:
        rows = {name: grads[name] for name in names}
        if exercise.kind == "training":
            rows["loss"] = np.array(data.final_loss(data.training_reference()))
        refs.append((label, rows))
    return refs


def tolerance(line):
    """(rtol, atol) of ``ok`` for a row."""
    return (0.0, LOSS_ATOL) if line.name == "loss" else (diagnosis.RTOL, diagnosis.ATOL)


def batch_size():
    return data.BATCH_SIZE


def branches(exercise):
    """Row -> [(label, contribution, words)] for the four variables exercise 1 uses twice."""
    if exercise.name != "ninja1":
        return {}
    _, v, g = data.ninja_reference()
    n = v["logits"].shape[0]
    onehot = np.eye(v["logits"].shape[1])[v["logits"].argmax(1)]

    def used_twice(row, *paths):
        return [(f"the contribution through {via}", contribution,
                 f"one branch missing: it matches the contribution through {via} alone; "
                 f"{row} feeds two steps of the forward pass, so its gradient is the sum of "
                 "both contributions (+=, not =)") for via, contribution in paths]

    return {
        "counts": used_twice("counts", ("probs", v["counts_sum_inv"] * g["probs"]),
                             ("counts_sum", np.ones_like(v["counts"]) * g["counts_sum"])),
        "logits": used_twice("logits", ("norm_logits", g["norm_logits"]),
                             ("logit_maxes", onehot * g["logit_maxes"])),
        "bndiff": used_twice("bndiff", ("bnraw", v["bnvar_inv"] * g["bnraw"]),
                             ("bndiff2", 2 * v["bndiff"] * g["bndiff2"])),
        "hprebn": used_twice("hprebn", ("bndiff", g["bndiff"]),
                             ("bnmeani", np.ones_like(v["hprebn"]) / n * g["bnmeani"])),
    }


def variants(exercise):
    """Row -> [(words, array)]: batchnorm's backward without Bessel's n/(n-1)."""
    if exercise.name not in ("ninja3", "ninja4"):
        return {}
    params, _ = data._arrays()
    _, v, g = data.ninja_reference()
    dh, bnraw = g["hpreact"], v["bnraw"]
    n = dh.shape[0]
    no_bessel = params["bngain"] * v["bnvar_inv"] / n * (
        n * dh - dh.sum(0) - bnraw * (dh * bnraw).sum(0))
    return {"hprebn": [(
        "it matches the formula without Bessel's correction: the variance divides by n-1, "
        "so the term through the variance needs n/(n-1)", no_bessel)]}


def row_uses(exercise):
    """How many positions of the batch use each row of C."""
    params, batches = data._arrays()
    return {"C": np.bincount(batches[0][0].ravel(), minlength=params["C"].shape[0])}


def explain(exercise, line, value, reference):
    """Words for a wrong row that only this family can say (the loss of exercise 4)."""
    if line.name != "loss":
        return None
    return (f"mean loss of the last {data.LOSS_WINDOW} steps {float(value):.4f}, reference "
            f"{float(reference):.4f}")


def consistent_with_inputs(exercise, line, answers):
    """For answers without code to re-run (a dict from a notebook): does the reference
    line, fed the learner's own upstream gradients, give the learner's value? True, False,
    or None when that cannot be evaluated."""
    if not line.deps or line.name == "loss":
        return None
    import ninjagrad as ng
    from ninjagrad import functional as F

    params, batches = data._arrays()
    _, values, grads = data.ninja_reference()
    ns = {"ng": ng, "F": F, "n": batches[0][1].shape[0], "Xb": ng.tensor(batches[0][0]),
          "Yb": ng.tensor(batches[0][1])}
    ns.update({k: ng.tensor(v.copy()) for k, v in {**params, **values}.items()})
    for dep in line.deps:
        a = answers.get(dep)
        if a is None or a.state != "value":
            return None
        ns[exercise.line(dep).var] = ng.tensor(a.value.copy())
    try:
        exec(line.solution, ns)  # noqa: S102 - our own reference line
        mine = np.asarray(ns[line.var].numpy(), np.float64)
    except Exception:  # noqa: BLE001 - the learner's upstream has a shape the line refuses
        return None
    return diagnosis.close(mine, answers[line.name].value)
