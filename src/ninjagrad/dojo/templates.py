"""The starter files' text. A line ``@@key@@`` is a blank: the starter shows the
exercise's blank for ``key`` there, the filled version its solution (same indentation).

Each starter runs as it is (the forward pass works) and its docstring says how to check it.
The first line after the docstring names the exercise for ``ninjagrad exercise check``.
"""

_CHECK = """Check your answers with

    ninjagrad exercise check {file}            # a table, the line to fix first on top
    ninjagrad exercise check {file} --hint     # plus the local derivative in words
    ninjagrad exercise check {file} --solution # plus the reference line

The grader runs this file in a separate process, with a time limit, and never changes it."""

_HEADER = '''"""{title}

{intro}

{check}
"""
# ninjagrad exercise: {name}
'''

_NINJA_IMPORTS = """
import ninjagrad as ng
from ninjagrad import functional as F
from ninjagrad.dojo.data import ninja_batch

# The grader's batch and parameters (float64 Tensors, the same on every run).
params, Xb, Yb = ninja_batch()
C, W1, b1, W2, b2 = params["C"], params["W1"], params["b1"], params["W2"], params["b2"]
bngain, bnbias = params["bngain"], params["bnbias"]
n = Yb.shape[0]  # batch size
"""

NINJA1 = _NINJA_IMPORTS + '''
# The forward pass, cut into small steps.
emb = C[Xb]                                         # embed the characters: (n, 3, 10)
embcat = emb.view(emb.shape[0], -1)                 # concatenate the three embeddings
hprebn = embcat @ W1 + b1                           # hidden layer pre-activation
bnmeani = 1 / n * hprebn.sum(0, keepdim=True)       # batchnorm: the batch mean
bndiff = hprebn - bnmeani
bndiff2 = bndiff**2
bnvar = 1 / (n - 1) * bndiff2.sum(0, keepdim=True)  # Bessel's correction: 1/(n-1)
bnvar_inv = (bnvar + 1e-5) ** -0.5
bnraw = bndiff * bnvar_inv
hpreact = bngain * bnraw + bnbias
h = ng.tanh(hpreact)                                # the hidden layer
logits = h @ W2 + b2                                # the output layer
logit_maxes = logits.max(1, keepdim=True).values
norm_logits = logits - logit_maxes                  # the max subtracted, for stability
counts = norm_logits.exp()
counts_sum = counts.sum(1, keepdim=True)
counts_sum_inv = counts_sum**-1
probs = counts * counts_sum_inv
logprobs = probs.log()
loss = -logprobs[range(n), Yb].mean()
print(f"loss {loss.item():.4f}: the forward pass works")

# The backward pass: dX is the gradient of the loss with respect to X, with X's shape.
# Write each line from forward values and the gradients above it; a variable that feeds
# two later steps gets a contribution from each. Tensors work as in PyTorch:
# ng.zeros_like, ng.ones_like, F.one_hot, .sum(dim, keepdim=True), .T, @, indexing.
@@dlogprobs@@
@@dprobs@@
@@dcounts_sum_inv@@
@@dcounts_sum@@
@@dcounts@@
@@dnorm_logits@@
@@dlogit_maxes@@
@@dlogits@@
@@dh@@
@@dW2@@
@@db2@@
@@dhpreact@@
@@dbngain@@
@@dbnbias@@
@@dbnraw@@
@@dbnvar_inv@@
@@dbnvar@@
@@dbndiff2@@
@@dbndiff@@
@@dbnmeani@@
@@dhprebn@@
@@dembcat@@
@@dW1@@
@@db1@@
@@demb@@
@@dC@@
'''

_FORWARD_TO_LOGITS = '''
# The forward pass, with batchnorm in a few lines.
emb = C[Xb]
embcat = emb.view(emb.shape[0], -1)
hprebn = embcat @ W1 + b1
bnmean = hprebn.mean(0, keepdim=True)
bnvar = hprebn.var(0, keepdim=True)                 # unbiased: Bessel's 1/(n-1)
bnvar_inv = (bnvar + 1e-5) ** -0.5
bnraw = (hprebn - bnmean) * bnvar_inv
hpreact = bngain * bnraw + bnbias
h = ng.tanh(hpreact)
logits = h @ W2 + b2
'''

NINJA2 = _NINJA_IMPORTS + _FORWARD_TO_LOGITS + '''loss = F.cross_entropy(logits, Yb)
print(f"loss {loss.item():.4f}: the forward pass works")

# dlogits, the gradient of cross_entropy with respect to logits, in one expression
# (F.softmax and F.one_hot help).
@@dlogits@@
'''

NINJA3 = _NINJA_IMPORTS.replace(
    "from ninjagrad.dojo.data import ninja_batch",
    "from ninjagrad.dojo.data import ninja_batch, upstream_gradient") + '''
# The forward pass up to batchnorm's output.
emb = C[Xb]
embcat = emb.view(emb.shape[0], -1)
hprebn = embcat @ W1 + b1
bnmean = hprebn.mean(0, keepdim=True)
bnvar = hprebn.var(0, keepdim=True)                 # unbiased: Bessel's 1/(n-1)
bnvar_inv = (bnvar + 1e-5) ** -0.5
bnraw = (hprebn - bnmean) * bnvar_inv
hpreact = bngain * bnraw + bnbias
print(f"hpreact {tuple(hpreact.shape)}: the forward pass works")

# The gradient arriving at hpreact from the rest of the network (given).
dhpreact = upstream_gradient("hpreact")

# dhprebn, through the whole batchnorm, in one expression of dhpreact, bngain, bnraw,
# bnvar_inv and n.
@@dhprebn@@
'''

DC = _NINJA_IMPORTS.replace(
    "from ninjagrad.dojo.data import ninja_batch",
    "from ninjagrad.dojo.data import ninja_batch, upstream_gradient") + '''
emb = C[Xb]                                         # (n, 3, 10): row Xb[k, j] of C
print(f"emb {tuple(emb.shape)}: the forward pass works")

# The gradient arriving at emb (given).
demb = upstream_gradient("emb")

# dC, with no Python loop (no for, no while, no comprehension).
@@dC@@
'''

NINJA4 = '''
import ninjagrad as ng
from ninjagrad import functional as F
from ninjagrad.dojo.data import ninja_training

# The grader's initial parameters and batches (float64 Tensors), and the learning rate.
params, batches, lr = ninja_training()


def forward(params, Xb, Yb):
    """The model's forward pass; returns the loss and what the backward pass needs."""
    emb = params["C"][Xb]
    embcat = emb.view(emb.shape[0], -1)
    hprebn = embcat @ params["W1"] + params["b1"]
    bnmean = hprebn.mean(0, keepdim=True)
    bnvar = hprebn.var(0, keepdim=True)             # unbiased: Bessel's 1/(n-1)
    bnvar_inv = (bnvar + 1e-5) ** -0.5
    bnraw = (hprebn - bnmean) * bnvar_inv
    hpreact = params["bngain"] * bnraw + params["bnbias"]
    h = ng.tanh(hpreact)
    logits = h @ params["W2"] + params["b2"]
    loss = F.cross_entropy(logits, Yb)
    cache = {"emb": emb, "embcat": embcat, "bnraw": bnraw, "bnvar_inv": bnvar_inv,
             "h": h, "logits": logits}
    return loss, cache


def backward(params, cache, Xb, Yb):
    """Every parameter's gradient, by hand: no loss.backward() anywhere."""
    C, W1, W2, bngain = params["C"], params["W1"], params["W2"], params["bngain"]
    emb, embcat, bnraw = cache["emb"], cache["embcat"], cache["bnraw"]
    bnvar_inv, h, logits = cache["bnvar_inv"], cache["h"], cache["logits"]
    n = Xb.shape[0]
    @@dlogits@@
    @@dh@@
    @@dW2@@
    @@db2@@
    @@dhpreact@@
    @@dbngain@@
    @@dbnbias@@
    @@dhprebn@@
    @@dembcat@@
    @@dW1@@
    @@db1@@
    @@demb@@
    @@dC@@
    return {"C": dC, "W1": dW1, "b1": db1, "W2": dW2, "b2": db2,
            "bngain": dbngain, "bnbias": dbnbias}


# Training: the same batches as the grader's reference run, plain SGD.
losses = []
for Xb, Yb in batches:
    loss, cache = forward(params, Xb, Yb)
    grads = backward(params, cache, Xb, Yb)
    if any(g is ... for g in grads.values()):
        print(f"loss {loss.item():.4f}: the forward pass works; fill backward() to train")
        break
    for name, p in params.items():
        p -= lr * grads[name]
    losses.append(loss.item())
if losses:
    tail = losses[-50:]
    print(f"{len(losses)} steps, mean loss of the last {len(tail)}: {sum(tail) / len(tail):.4f}")
'''

MICROGRAD = '''
import math


class Value:
    """A number that remembers the operation and the inputs it was computed from."""

    def __init__(self, data, parents=(), op=""):
        self.data = float(data)
        self.grad = 0.0
        self.parents = parents  # the Values this one was computed from
        self.op = op  # "+", "*", ... ("" for an input)
        self.backward_rule = None  # set by the operation that made this Value

    def __repr__(self):
        return f"Value(data={self.data:.4g}, grad={self.grad:.4g})"

    # Primitives: each computes its output and names its backward rule. A rule receives
    # the output node `out` and passes out.grad, times the local derivative, on to the
    # gradients of the inputs.

    def __add__(self, other):
        other = other if isinstance(other, Value) else Value(other)
        out = Value(self.data + other.data, (self, other), "+")
        out.backward_rule = Value.add_backward
        return out

    @staticmethod
    def add_backward(out):
        a, b = out.parents
        @@add_backward@@

    def __mul__(self, other):
        other = other if isinstance(other, Value) else Value(other)
        out = Value(self.data * other.data, (self, other), "*")
        out.backward_rule = Value.mul_backward
        return out

    @staticmethod
    def mul_backward(out):
        a, b = out.parents
        @@mul_backward@@

    def __pow__(self, exponent):
        assert isinstance(exponent, (int, float)), "only a constant exponent"
        out = Value(self.data**exponent, (self, Value(exponent)), "**")
        out.backward_rule = Value.pow_backward
        return out

    @staticmethod
    def pow_backward(out):
        a, b = out.parents
        @@pow_backward@@

    def tanh(self):
        out = Value(math.tanh(self.data), (self,), "tanh")
        out.backward_rule = Value.tanh_backward
        return out

    @staticmethod
    def tanh_backward(out):
        (a,) = out.parents
        @@tanh_backward@@

    def exp(self):
        out = Value(math.exp(self.data), (self,), "exp")
        out.backward_rule = Value.exp_backward
        return out

    @staticmethod
    def exp_backward(out):
        (a,) = out.parents
        @@exp_backward@@

    # Derived operations: built from the primitives, so they need no rule of their own.

    def __neg__(self):
        @@neg@@

    def __sub__(self, other):
        @@sub@@

    def __truediv__(self, other):
        @@truediv@@

    def __radd__(self, other):  # 2 + x
        return self + other

    def __rmul__(self, other):  # 2 * x
        return self * other

    def __rsub__(self, other):  # 2 - x
        return Value(other) - self

    def __rtruediv__(self, other):  # 2 / x
        return Value(other) / self

    # Backpropagation: from this Value to every Value it was computed from.

    def backward(self):
        @@backward@@


if __name__ == "__main__":
    x, w, b = Value(2.0), Value(-3.0), Value(6.8813735870195432)
    o = (x * w + b).tanh()
    print(f"o = {o.data:.4f}: the forward pass works")
    o.backward()
    print(f"x.grad = {x.grad:.4f} (-1.5 once backward() and the rules are written)")
'''

INTROS = {
    "micrograd": "A scalar autograd engine with its backward rules left for you. Fill "
                 "each\n`...  # TODO` blank: the rules of + * ** tanh exp, then - and / "
                 "built from them,\nthen backward() itself. Run the file to try the "
                 "forward pass.",
    "ninja1": "The lecture's forward pass, cut into small steps, is complete and runs as "
              "it is.\nBelow it each `dX = ...  # TODO` is yours: the gradient of the loss "
              "with respect\nto X, one line each, in the order of the backward pass.",
    "ninja2": "Cross-entropy's backward in one expression: dlogits from logits and Yb, "
              "without\ngoing through softmax's intermediates.",
    "ninja3": "Batchnorm's backward in one expression: dhprebn from dhpreact, without "
              "going\nthrough the mean and variance one step at a time.",
    "ninja4": "Train the model with your own backward pass only. Fill backward() "
              "(exercises 2 and 3\nhelp) and run the file: it trains on the grader's "
              "batches. The grade is each\ngradient on the first batch and the loss your "
              "run reaches, against the reference\nrun on the same batches.",
    "dC": "The embedding's backward without a Python loop: dC from demb and Xb.",
}

TEMPLATES = {"micrograd": MICROGRAD, "ninja1": NINJA1, "ninja2": NINJA2, "ninja3": NINJA3,
             "ninja4": NINJA4, "dC": DC}
