"""The micrograd lecture's neuron, ready to draw, play or differentiate:
``draw_dot(neuron())``, ``play(neuron())``.

    o = tanh(x1*w1 + x2*w2 + b)   with x1 = 2, x2 = 0, w1 = -3, w2 = 1, b = 6.8813735870195432

The lecture picks b so that n = x1*w1 + x2*w2 + b = 0.8814 and o = 0.7071: then
do/dn = 1 - o**2 = 0.5, and the gradients come out as round numbers (x1: -1.5, w1: 1).
"""

from ninjagrad.scalar.value import Value

INPUTS = {"x1": 2.0, "x2": 0.0, "w1": -3.0, "w2": 1.0, "b": 6.8813735870195432}
"""The neuron's inputs, by label."""

LECTURE_NAMES = ("x1w1", "x2w2", "x1w1x2w2")
"""The labels the lecture gives the two products and their sum."""

FORMULA_NAMES = ("x1*w1", "x2*w2", "x1*w1 + x2*w2")
"""The same nodes labelled by what they compute (the backprop player's formulas then read
``∂(x1*w1)/∂x1 = w1``)."""


def neuron(names=LECTURE_NAMES):
    """The lecture's neuron ``o``, built as the lecture builds it and every node labelled:
    the inputs by name, ``names`` for ``x1*w1``, ``x2*w2`` and their sum, then ``n`` and
    ``o``. No backward has run."""
    x1, x2 = Value(INPUTS["x1"], label="x1"), Value(INPUTS["x2"], label="x2")
    w1, w2 = Value(INPUTS["w1"], label="w1"), Value(INPUTS["w2"], label="w2")
    b = Value(INPUTS["b"], label="b")
    x1w1 = x1 * w1
    x2w2 = x2 * w2
    x1w1x2w2 = x1w1 + x2w2
    x1w1.label, x2w2.label, x1w1x2w2.label = names
    n = x1w1x2w2 + b
    n.label = "n"
    o = n.tanh()
    o.label = "o"
    return o
