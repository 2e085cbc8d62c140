"""The micrograd lecture's neuron for the drawing and player tests: the graph comes from the
package (``ninjagrad.scalar.examples.neuron``), what every node must show is derived here
by hand, with the chain rule on floats, independently of the engine."""

import math

from ninjagrad.scalar.examples import FORMULA_NAMES, LECTURE_NAMES, neuron  # noqa: F401


def by_hand(names=LECTURE_NAMES):
    """``{label: (data, grad)}`` of every node of ``neuron(names)`` after ``o.backward()``."""
    x1, x2, w1, w2, b = 2.0, 0.0, -3.0, 1.0, 6.8813735870195432
    n = x1 * w1 + x2 * w2 + b
    o = math.tanh(n)
    dn = 1.0 - o * o  # do/dn; b was chosen so that this is 0.5
    products, total = names[:2], names[2]
    return {
        "o": (o, 1.0), "n": (n, dn), "b": (b, dn), total: (x1 * w1 + x2 * w2, dn),
        products[0]: (x1 * w1, dn), products[1]: (x2 * w2, dn),
        "x1": (x1, w1 * dn), "w1": (w1, x1 * dn), "x2": (x2, w2 * dn), "w2": (w2, x2 * dn),
    }  # fmt: skip
