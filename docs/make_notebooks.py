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


NOTEBOOKS = {"micrograd.ipynb": MICROGRAD}

if __name__ == "__main__":
    for name, cells in NOTEBOOKS.items():
        print(write(name, cells))
