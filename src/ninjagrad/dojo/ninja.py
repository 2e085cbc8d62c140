"""The backprop-ninja exercises: every gradient line, what it is built from, and why.

Solutions are written with ninjagrad's PyTorch-named tensors, as the starters are; the
grader never trusts them for grading (the reference gradients come from autograd, see
``data``), and the tests check that each starter filled with them grades all ``ok``.
"""

from ninjagrad.dojo.exercises import Exercise, Line

L = Line

EXERCISE1_LINES = (
    L("logprobs", "dlogprobs", (),
      "loss is minus the mean of n entries of logprobs, one per row at the target: each of "
      "those gets -1/n, every other entry 0.",
      "dlogprobs = ng.zeros_like(logprobs)\ndlogprobs[range(n), Yb] = -1.0 / n"),
    L("probs", "dprobs", ("logprobs",),
      "d log(x)/dx = 1/x: dlogprobs divided by probs, elementwise.",
      "dprobs = (1.0 / probs) * dlogprobs"),
    L("counts_sum_inv", "dcounts_sum_inv", ("probs",),
      "probs = counts * counts_sum_inv, the (n, 1) counts_sum_inv broadcast across the "
      "columns: counts * dprobs, then summed over dim 1 (keepdim) to undo the broadcast.",
      "dcounts_sum_inv = (counts * dprobs).sum(1, keepdim=True)"),
    L("counts_sum", "dcounts_sum", ("counts_sum_inv",),
      "d(x**-1)/dx = -x**-2.",
      "dcounts_sum = -counts_sum**-2 * dcounts_sum_inv"),
    L("counts", "dcounts", ("probs", "counts_sum"),
      "counts is used twice: in probs (local derivative counts_sum_inv) and in counts_sum, "
      "a sum over dim 1 whose backward copies dcounts_sum to every column. Add both.",
      "dcounts = counts_sum_inv * dprobs + ng.ones_like(counts) * dcounts_sum"),
    L("norm_logits", "dnorm_logits", ("counts",),
      "d exp(x)/dx = exp(x), which is counts.",
      "dnorm_logits = counts * dcounts"),
    L("logit_maxes", "dlogit_maxes", ("norm_logits",),
      "norm_logits = logits - logit_maxes, logit_maxes broadcast across the columns: minus "
      "dnorm_logits, summed over dim 1 (keepdim).",
      "dlogit_maxes = -dnorm_logits.sum(1, keepdim=True)"),
    L("logits", "dlogits", ("norm_logits", "logit_maxes"),
      "logits is used twice: in norm_logits (local derivative 1) and through each row's "
      "maximum, which passes its row's dlogit_maxes to the entry that was the max "
      "(one_hot of the argmax). Add both.",
      "dlogits = dnorm_logits + F.one_hot(logits.max(1).indices, logits.shape[1]) "
      "* dlogit_maxes"),
    L("h", "dh", ("logits",),
      "logits = h @ W2 + b2: dh = dlogits @ W2.T (the shapes say which side each goes).",
      "dh = dlogits @ W2.T"),
    L("W2", "dW2", ("logits",),
      "logits = h @ W2 + b2: dW2 = h.T @ dlogits.",
      "dW2 = h.T @ dlogits"),
    L("b2", "db2", ("logits",),
      "b2 was broadcast over the n rows: sum dlogits over dim 0.",
      "db2 = dlogits.sum(0)"),
    L("hpreact", "dhpreact", ("h",),
      "d tanh(x)/dx = 1 - tanh(x)**2, and tanh(hpreact) is h.",
      "dhpreact = (1.0 - h**2) * dh"),
    L("bngain", "dbngain", ("hpreact",),
      "hpreact = bngain * bnraw + bnbias, the (1, n_hidden) bngain broadcast over the rows: "
      "bnraw * dhpreact, summed over dim 0 (keepdim).",
      "dbngain = (bnraw * dhpreact).sum(0, keepdim=True)"),
    L("bnbias", "dbnbias", ("hpreact",),
      "bnbias was broadcast over the rows: dhpreact summed over dim 0 (keepdim).",
      "dbnbias = dhpreact.sum(0, keepdim=True)"),
    L("bnraw", "dbnraw", ("hpreact",),
      "the local derivative of bngain * bnraw with respect to bnraw is bngain.",
      "dbnraw = bngain * dhpreact"),
    L("bnvar_inv", "dbnvar_inv", ("bnraw",),
      "bnraw = bndiff * bnvar_inv, bnvar_inv broadcast over the rows: bndiff * dbnraw, "
      "summed over dim 0 (keepdim).",
      "dbnvar_inv = (bndiff * dbnraw).sum(0, keepdim=True)"),
    L("bnvar", "dbnvar", ("bnvar_inv",),
      "d (x + eps)**-0.5 / dx = -0.5 * (x + eps)**-1.5, with eps = 1e-5.",
      "dbnvar = -0.5 * (bnvar + 1e-5) ** -1.5 * dbnvar_inv"),
    L("bndiff2", "dbndiff2", ("bnvar",),
      "bnvar = 1/(n-1) * bndiff2.sum(0): the sum's backward copies dbnvar to every row, "
      "times 1/(n-1) (Bessel's correction, not 1/n).",
      "dbndiff2 = 1.0 / (n - 1) * ng.ones_like(bndiff2) * dbnvar"),
    L("bndiff", "dbndiff", ("bnraw", "bndiff2"),
      "bndiff is used twice: in bnraw (local derivative bnvar_inv) and in bndiff2 = "
      "bndiff**2 (local derivative 2 * bndiff). Add both.",
      "dbndiff = bnvar_inv * dbnraw + 2 * bndiff * dbndiff2"),
    L("bnmeani", "dbnmeani", ("bndiff",),
      "bndiff = hprebn - bnmeani, bnmeani broadcast over the rows: minus dbndiff, summed "
      "over dim 0 (keepdim).",
      "dbnmeani = -dbndiff.sum(0, keepdim=True)"),
    L("hprebn", "dhprebn", ("bndiff", "bnmeani"),
      "hprebn is used twice: in bndiff (local derivative 1) and in bnmeani = 1/n * "
      "hprebn.sum(0), whose backward spreads dbnmeani / n over every row. Add both.",
      "dhprebn = dbndiff + 1.0 / n * ng.ones_like(hprebn) * dbnmeani"),
    L("embcat", "dembcat", ("hprebn",),
      "hprebn = embcat @ W1 + b1: dembcat = dhprebn @ W1.T.",
      "dembcat = dhprebn @ W1.T"),
    L("W1", "dW1", ("hprebn",),
      "hprebn = embcat @ W1 + b1: dW1 = embcat.T @ dhprebn.",
      "dW1 = embcat.T @ dhprebn"),
    L("b1", "db1", ("hprebn",),
      "b1 was broadcast over the rows: dhprebn summed over dim 0.",
      "db1 = dhprebn.sum(0)"),
    L("emb", "demb", ("embcat",),
      "view only rearranges the numbers: view dembcat back to emb's shape.",
      "demb = dembcat.view(emb.shape)"),
    L("C", "dC", ("emb",),
      "emb = C[Xb] copies row Xb[k, j] of C to position (k, j): every position adds its "
      "demb[k, j] back into that row of dC, and a row used at several positions collects "
      "all of them.",
      "dC = ng.zeros_like(C)\n"
      "for k in range(Xb.shape[0]):\n"
      "    for j in range(Xb.shape[1]):\n"
      "        dC[Xb[k, j]] += demb[k, j]"),
)

DLOGITS_FUSED = L(
    "logits", "dlogits", (),
    "cross_entropy is the mean over the n rows of -log(softmax(row)[target]); one row's "
    "gradient is softmax(row) minus 1 at the target, and the mean divides by n.",
    "dlogits = (F.softmax(logits, 1) - F.one_hot(Yb, logits.shape[1])) / n")

DHPREBN_FUSED = L(
    "hprebn", "dhprebn", (),
    "every row of hprebn moves the batch mean and variance, so dhprebn has three terms: "
    "the direct path bngain * bnvar_inv * dhpreact; minus its mean over the rows (through "
    "the mean); and minus bnraw times the row-mean of dhpreact * bnraw, times n/(n-1) "
    "(through the Bessel-corrected variance).",
    "dhprebn = bngain * bnvar_inv / n * (n * dhpreact - dhpreact.sum(0) "
    "- n / (n - 1) * bnraw * (dhpreact * bnraw).sum(0))")

DC_VECTORISED = L(
    "C", "dC", (),
    "F.one_hot(Xb) has a 1 at (position, row of C) for every position of the batch: its "
    "transpose times demb (positions flattened to rows) adds each position's gradient "
    "into its row of C.",
    "dC = F.one_hot(Xb.view(-1), C.shape[0]).double().T @ demb.view(-1, C.shape[1])",
    no_loop=True)

# Exercise 4: the training step's backward, exercises 2 and 3 fused in and dC vectorised;
# graded on the same batch as exercise 1, then on the loss the training run reaches.
_EX1 = {line.name: line for line in EXERCISE1_LINES}
EXERCISE4_LINES = (
    DLOGITS_FUSED,
    *(_EX1[name] for name in ("h", "W2", "b2", "hpreact", "bngain", "bnbias")),
    Line("hprebn", "dhprebn", ("hpreact",), DHPREBN_FUSED.hint, DHPREBN_FUSED.solution),
    *(_EX1[name] for name in ("embcat", "W1", "b1", "emb")),
    Line("C", "dC", ("emb",), DC_VECTORISED.hint, DC_VECTORISED.solution),
    Line("loss", "losses", ("logits", "h", "W2", "b2", "hpreact", "bngain", "bnbias",
                            "hprebn", "embcat", "W1", "b1", "emb", "C"),
         "with every gradient right, your run follows the reference run step for step: "
         "fix the gradient rows first.",
         "the starter's training loop, unchanged", ("losses",), label="loss"),
)


def _blank(var):
    return f"{var} = ...  # TODO"


def _lines_exercise(name, title, summary, lines, kind="lines", solutions=None):
    solutions = solutions or {line.var: line.solution for line in lines}
    return Exercise(name, title, summary, kind, tuple(lines), solutions,
                    {key: _blank(key) for key in solutions})


EXERCISES = [
    _lines_exercise(
        "ninja1", "backprop ninja 1: every intermediate, one line each",
        "backprop through every intermediate of the chunked forward, one line each "
        "(dlogprobs, dprobs, dcounts_sum_inv, ..., dC)",
        EXERCISE1_LINES),
    _lines_exercise(
        "ninja2", "backprop ninja 2: cross-entropy's backward in one expression",
        "cross-entropy's backward in one expression (dlogits)", [DLOGITS_FUSED]),
    _lines_exercise(
        "ninja3", "backprop ninja 3: batchnorm's backward in one expression",
        "batchnorm's backward in one expression (dhprebn)", [DHPREBN_FUSED]),
    _lines_exercise(
        "ninja4", "backprop ninja 4: train with your own backward only",
        "train the model with your own backward only; graded on the loss reached against "
        "the reference run on the same batches",
        EXERCISE4_LINES, kind="training",
        solutions={line.var: line.solution for line in EXERCISE4_LINES[:-1]}),
    _lines_exercise(
        "dC", "dC vectorised: the embedding gradient without a Python loop",
        "the embedding gradient dC without a Python loop", [DC_VECTORISED]),
]
