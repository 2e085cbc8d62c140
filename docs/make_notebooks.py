"""Write the tutorial notebooks in docs/ from the cells below (outputs are never stored).

Run ``python docs/make_notebooks.py`` after editing a cell here; the notebooks are
executed by ``tests/test_notebooks.py``.
"""

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

HERE = Path(__file__).parent


def md(text):
    return new_markdown_cell(text.strip())


def code(text):
    return new_code_cell(text.strip())


MICROGRAD = [
    md("""
# micrograd: from one neuron to an MLP

A `Value` is one number that remembers how it was computed. Calling `backward()` on the
last one walks the graph from the end to the start and leaves in every node's `.grad`
the derivative of the output with respect to that node. This notebook follows the
lecture: one neuron drawn as a graph, its gradients worked out by hand and checked
against `backward()`, `tanh` rebuilt out of `exp`, and finally a small network trained
on four examples.
"""),
    code("""
import math

from ninjagrad import Value
from ninjagrad.draw import draw_dot
"""),
    md("""
## One neuron

Two inputs `x1, x2`, two weights `w1, w2` and a bias `b`; the neuron outputs
`o = tanh(x1*w1 + x2*w2 + b)`. The bias is the lecture's odd-looking number, chosen so
that `n` comes out at `0.8814` and `o` at `1/sqrt(2)`. Each intermediate gets a label
so the drawing is readable.
"""),
    code("""
x1 = Value(2.0, label="x1")
x2 = Value(0.0, label="x2")
w1 = Value(-3.0, label="w1")
w2 = Value(1.0, label="w2")
b = Value(6.8813735870195432, label="b")

x1w1 = x1 * w1; x1w1.label = "x1w1"
x2w2 = x2 * w2; x2w2.label = "x2w2"
x1w1x2w2 = x1w1 + x2w2; x1w1x2w2.label = "x1w1x2w2"
n = x1w1x2w2 + b; n.label = "n"
o = n.tanh(); o.label = "o"
o.backward()
draw_dot(o)
"""),
    md("""
Each box reads `label | data | grad`; the small ovals are the operations. Reading
right to left is exactly what `backward()` did.

## The chain rule by hand

`d tanh(n)/dn = 1 - tanh(n)**2`. A `+` passes its gradient unchanged to both inputs,
and a `*` hands each input the gradient times the *other* input. Written out:
"""),
    code("""
do_dn = 1 - o.data**2          # 0.5
by_hand = {
    "n": do_dn, "b": do_dn, "x1w1x2w2": do_dn, "x1w1": do_dn, "x2w2": do_dn,
    "x1": w1.data * do_dn,     # -1.5
    "w1": x1.data * do_dn,     #  1.0
    "x2": w2.data * do_dn,     #  0.5
    "w2": x2.data * do_dn,     #  0.0: x2 is zero, so w2 cannot matter
}
nodes = {v.label: v for v in (x1, x2, w1, w2, b, x1w1, x2w2, x1w1x2w2, n)}
for label, grad in by_hand.items():
    print(f"{label:>9}: by hand {grad:+.4f}   backward() {nodes[label].grad:+.4f}")
    assert math.isclose(grad, nodes[label].grad, abs_tol=1e-12)
"""),
    md("""
A third opinion needs no calculus at all: nudge one input a little each way and watch
the output move (a central finite difference).
"""),
    code("""
def neuron(x1, x2, w1, w2, b):
    return math.tanh(x1 * w1 + x2 * w2 + b)

point = dict(x1=2.0, x2=0.0, w1=-3.0, w2=1.0, b=6.8813735870195432)
h = 1e-6
for leaf in (x1, x2, w1, w2, b):
    up, down = dict(point), dict(point)
    up[leaf.label] += h
    down[leaf.label] -= h
    numeric = (neuron(**up) - neuron(**down)) / (2 * h)
    print(f"{leaf.label}: numeric {numeric:+.6f}   backward() {leaf.grad:+.6f}")
    assert math.isclose(numeric, leaf.grad, abs_tol=1e-6)
"""),
    md("""
## tanh built from exp

`tanh(n) = (e**(2n) - 1) / (e**(2n) + 1)`. Building it from `exp`, `-`, `+` and `/`
gives a longer graph but the same numbers: the chain rule does not care how finely an
operation is split. Colouring by `|grad|` (white for zero, red for the largest) shows
where the gradient is large.
"""),
    code("""
x1 = Value(2.0, label="x1"); x2 = Value(0.0, label="x2")
w1 = Value(-3.0, label="w1"); w2 = Value(1.0, label="w2")
b = Value(6.8813735870195432, label="b")
n = x1 * w1 + x2 * w2 + b; n.label = "n"
e = (2 * n).exp(); e.label = "e"
o2 = (e - 1) / (e + 1); o2.label = "o"
o2.backward()
for leaf, grad in zip((x1, x2, w1, w2), (-1.5, 0.5, 1.0, 0.0)):
    assert math.isclose(leaf.grad, grad, abs_tol=1e-9), leaf
print(f"o = {o2.data:.4f}; x1.grad = {x1.grad:.4f}, w1.grad = {w1.grad:.4f}")
draw_dot(o2, color_by_grad=True)
"""),
    md("""
## A tiny MLP on four examples

`MLP(3, [4, 4, 1], nonlin="tanh")` is the lecture's network: three inputs, two hidden
layers of four tanh neurons and one tanh output, 41 parameters in all. The loss is
the squared error over the four examples. Each step: forward, zero the gradients
(`backward()` adds into them), backward, and a small step against the gradient.
"""),
    code("""
from ninjagrad.nn import MLP

xs = [[2.0, 3.0, -1.0], [3.0, -1.0, 0.5], [0.5, 1.0, 1.0], [1.0, 1.0, -1.0]]
ys = [1.0, -1.0, -1.0, 1.0]
model = MLP(3, [4, 4, 1], nonlin="tanh", seed=1)
print(model, "with", len(model.parameters()), "parameters")

losses = []
for step in range(100):
    predictions = [model(x) for x in xs]
    loss = sum((p - y) ** 2 for p, y in zip(predictions, ys))
    model.zero_grad()
    loss.backward()
    for p in model.parameters():
        p.data -= 0.05 * p.grad
    losses.append(loss.data)
    if step % 20 == 0:
        print(f"step {step:3d}  loss {loss.data:.4f}")
print("final loss", round(losses[-1], 4))
print("predictions", [round(p.data, 3) for p in predictions], "targets", ys)
assert losses[-1] < 0.1 * losses[0]
"""),
    md("""
The graph of the whole loss is too big to read, but its first neuron is not:
"""),
    code("""
x = [Value(v, label=f"x{i}") for i, v in enumerate(xs[0])]
neuron = model.layers[0].neurons[0]
for i, w in enumerate(neuron.w):
    w.label = f"w{i}"
neuron.b.label = "b"
out = neuron(x); out.label = "out"
out.backward()
draw_dot(out)
"""),
]


NINJA = [
    md("""
# backprop ninja, exercises 1–4

The lecture trains a small character-level language model (makemore's MLP: embedding,
linear, batchnorm, tanh, linear, cross-entropy) and then throws away `loss.backward()`:
every gradient is derived by hand. `ninjagrad.makemore.manual` holds those hand-written
passes; here each one is checked against ninjagrad's autograd with `ninjagrad.check.compare`,
and then the manual backward alone trains the model.
"""),
    code("""
%matplotlib inline
import numpy as np

import ninjagrad
from ninjagrad.check.compare import compare, format_table
from ninjagrad.makemore import manual
from ninjagrad.makemore.data import load_dataset
from ninjagrad.makemore.model import ModelConfig, init_params
from ninjagrad.draw.plots import plot_dlogits, plot_loss

dataset = load_dataset()  # the built-in names list, split 80/10/10
print(dataset)
"""),
    md("""
A model and one batch of 32 examples. The parameters are plain numpy arrays (float32);
for autograd they are wrapped in `ninjagrad.tensor`s.
"""),
    code("""
config = ModelConfig(vocab_size=dataset.vocab.size, n_embd=10, n_hidden=64, block_size=3)
rng = np.random.default_rng(2147483647)
params = init_params(config, rng)
ix = rng.integers(0, len(dataset.Ytr), 32)
Xb, Yb = dataset.Xtr[ix], dataset.Ytr[ix]
{name: p.shape for name, p in params.items()}
"""),
    md("""
## Exercise 1: backprop through every small step

`manual.forward_chunked` is the forward pass broken into the lecture's intermediates
(`logprobs`, `probs`, `counts_sum_inv`, ..., `emb`). Run it on tensors, keep every
intermediate's gradient (`retain_grad`), and let autograd fill them in. Then
`manual.backward_chunked` computes the same gradients by hand, one line per
intermediate, from numpy arrays alone.
"""),
    code("""
P = {name: ninjagrad.tensor(p, requires_grad=True) for name, p in params.items()}
loss, steps = manual.forward_chunked(ninjagrad, P, Xb, Yb)
for t in steps.values():
    t.retain_grad()
loss.backward()
print("loss", loss.item())

by_hand = manual.backward_chunked(params, {k: t.data for k, t in steps.items()}, Xb, Yb)
autograd = {**{k: t.grad for k, t in steps.items()}, **{k: t.grad for k, t in P.items()}}
table = compare([(name, by_hand[name], autograd[name]) for name in manual.INTERMEDIATES])
print(format_table(table))
assert all(row.approximate for row in table)
"""),
    md("""
This is the graph those 26 lines walk backwards through, drawn with shapes instead of
numbers (tensor nodes have no labels of their own, so the names are passed in):
"""),
    code("""
from ninjagrad.draw import draw_dot

draw_dot(loss, rankdir="TB", labels={**steps, **P, "loss": loss})
"""),
    md("""
## Exercise 2: cross-entropy in one step

Going through `logprobs`, `probs`, `counts` ... one at a time is slow and loses
precision. On paper the whole chain from the logits to the mean cross-entropy collapses
to `dlogits = (softmax(logits) - one_hot(Yb)) / n`: every row pushes down each
character in proportion to its probability and pulls the correct one up.
"""),
    code("""
probs = steps["probs"].data
dlogits = manual.cross_entropy_backward(probs, Yb)
print(compare("logits", dlogits, steps["logits"].grad))
print("each row sums to ~0:", np.abs(dlogits.sum(1)).max())
plot_dlogits(dlogits, itos=dataset.vocab.itos)
"""),
    md("""
`ninjagrad.functional.cross_entropy` is built the same way: one op whose backward is
that formula, instead of a chain of small ones.
"""),
    code("""
from ninjagrad import functional as F

logits = ninjagrad.tensor(steps["logits"].data, requires_grad=True)
fused = F.cross_entropy(logits, ninjagrad.tensor(Yb))
fused.backward()
print(f"F.cross_entropy {fused.item():.6f}, step by step {loss.item():.6f}")
print(compare("F.cross_entropy", dlogits, logits.grad))
"""),
    md("""
Blue cells are the correct next characters (negative gradient: raise this logit),
red cells are the wrong guesses the model was most confident in.

## Exercise 3: batchnorm in one expression

The same collapse for batchnorm: from `dhpreact` straight to `dhprebn`, through the
mean, the (Bessel-corrected) variance and the normalisation at once.
"""),
    code("""
dhprebn = manual.batchnorm_backward(
    steps["hpreact"].grad.data, params["bngain"], steps["bnraw"].data, steps["bnvar_inv"].data
)
print(compare("hprebn", dhprebn, steps["hprebn"].grad))

# F.batch_norm with the lecture's Bessel-corrected variance has this backward built in.
hprebn = ninjagrad.tensor(steps["hprebn"].data, requires_grad=True)
hpreact = F.batch_norm(hprebn, None, None, P["bngain"].detach(), P["bnbias"].detach(),
                       training=True, correction=1)
hpreact.backward(steps["hpreact"].grad)
print(compare("F.batch_norm", dhprebn, hprebn.grad))
"""),
    md("""
## Exercise 4: put it together and train without autograd

`manual.forward` and `manual.backward` combine the fused pieces into one training
step on numpy arrays. `manual.forward` is the model's own forward (`model.forward`, which
`--backward autograd` and sampling run too) followed by the fused cross-entropy; the
fused math is the very code `F.cross_entropy` and `F.batch_norm` run. First one more
check of all parameter gradients, then a short run with the manual backward only: a few
hundred steps of SGD, which takes seconds.
"""),
    code("""
fast_loss, cache = manual.forward(params, Xb, Yb)
grads = manual.backward(params, cache, Xb, Yb)
print(f"loss: fused {fast_loss:.6f}, step by step {loss.item():.6f}")
table = compare([(name, grads[name], P[name].grad) for name in params])
print(format_table(table))
assert all(row.approximate for row in table)
"""),
    code("""
from ninjagrad.makemore.train import TrainConfig, TrainState, train

run = TrainConfig(n_hidden=64, max_steps=600, batch_size=32, backward="manual", seed=42)
state = TrainState.fresh(run, dataset.vocab.size)
train(state, dataset, run)
print(f"{state.step} steps, first loss {state.losses[0]:.3f}, "
      f"mean of the last 100 {state.losses[-100:].mean():.3f}")
assert state.losses[-100:].mean() < state.losses[:20].mean()
plot_loss(state.losses, window=50)
"""),
    md("""
After training, batchnorm's mean and variance are measured once over the whole
training split (as in the lecture), so that the model can score and sample one
example at a time.
"""),
    code("""
from ninjagrad.makemore.model import calibrate_batchnorm, split_loss
from ninjagrad.makemore.sample import sample_words

bnmean, bnvar = calibrate_batchnorm(state.params, dataset.Xtr)
for split in ("train", "val"):
    X, Y = dataset.split(split)
    print(f"{split} loss {split_loss(state.params, bnmean, bnvar, X, Y):.4f}")
names = sample_words(state.params, bnmean, bnvar, dataset.vocab, run.block_size, 10,
                     np.random.default_rng(0))
print(", ".join(names))
"""),
    md("""
The names are not great after 600 steps; `ninjagrad train` runs the lecture's full
200,000 steps with the same manual backward and `ninjagrad check` prints the
exercise-1 table against autograd (and PyTorch, when installed).
"""),
]


def write(name, cells):
    notebook = new_notebook(cells=cells)
    for i, cell in enumerate(notebook.cells):
        cell["id"] = f"cell-{i}"  # stable ids, so regenerating gives a clean diff
    notebook.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    notebook.metadata["language_info"] = {"name": "python"}
    nbformat.validate(notebook)
    path = HERE / name
    nbformat.write(notebook, path)
    return path


NOTEBOOKS = {"micrograd.ipynb": MICROGRAD, "backprop_ninja.ipynb": NINJA}

if __name__ == "__main__":
    for name, cells in NOTEBOOKS.items():
        print(write(name, cells))
