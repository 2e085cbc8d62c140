"""``Value``: a scalar that remembers how it was computed and backpropagates through it.

This is the engine of Karpathy's micrograd lecture, kept recognisable: every primitive
builds its output and, right under it, defines its backward rule, which adds (``+=``)
the output's gradient times the local derivative into the operands. Derived operations
(``-``, the reflected operators) are one-liners over the primitives.

An op is written once, in one shape::

    def __mul__(self, other):                       # forward: build the output node
        ...
        return _node(self.data * other.data, self, other, Value._mul_backward)

    @backward_rule("*", a="b", b="a")               # op name, d out/d a, d out/d b
    def _mul_backward(out):                         # backward: += into the operands
        a, b = out._a, out._b
        a.grad += b.data * out.grad
        b.grad += a.data * out.grad

The decorator records the op's name (``Value.op`` reads it from the node's rule) and
the formula of each local derivative, in terms of ``a`` (first operand), ``b`` (second)
and ``out`` (the node's data); ``local_derivatives(node)`` shows them with the numbers
put in, for the backprop player and ``draw_dot(..., formulas=True)``.

Three things differ from the lecture, all for speed and memory:

* A backward rule is a plain function that receives the node it belongs to, stored in a
  slot, instead of a closure that captures the output. A closure over its own output is
  a reference cycle, which leaves every graph to Python's cycle collector; here
  refcounting frees a graph as soon as it is dropped.
* A node is one object: its operands live in two slots (``_a``, ``_b``) and ``parents``
  builds the tuple when asked. Python's cycle collector then tracks one object per node
  instead of two (the node and its parents tuple), which halves its share of a training
  step (see docs/benchmarks.md).
* ``backward()`` walks an iterative topological order (``ninjagrad.graph``), so graph
  depth is limited by memory, not by the recursion limit.

Numerics follow IEEE 754 and PyTorch instead of raising from inside ``math``:
``log(0) == -inf``, ``log(-1)`` is nan, ``0 ** -1 == inf``, ``1 / 0 == inf``,
``0 / 0`` is nan, ``exp(1000) == inf``, ``(-8) ** (1/3)`` is nan (not a complex number).
"""

import math
import re
from numbers import Real
from typing import NamedTuple

from ninjagrad.graph import topological_order

_inf = math.inf
_nan = math.nan


# ---------------------------------------------------------------------------------------
# Guarded math: IEEE results where Python's float operations and math raise.


def _is_odd_integer(y):
    return y % 2.0 == 1.0


def _pow(x, y):
    """``x ** y`` for floats with IEEE 754 special cases (PyTorch's results)."""
    try:
        return math.pow(x, y)
    except ValueError:  # 0 ** negative, or negative ** non-integer
        if x == 0.0:
            return math.copysign(_inf, x) if _is_odd_integer(y) else _inf
        return _nan
    except OverflowError:
        return -_inf if x < 0.0 and _is_odd_integer(y) else _inf


def _div(x, y):
    """``x / y`` for floats with IEEE 754 division by zero (inf or nan)."""
    try:
        return x / y
    except ZeroDivisionError:
        if x == 0.0 or x != x:
            return _nan
        return math.copysign(_inf, x) * math.copysign(1.0, y)


def _exp(x):
    try:
        return math.exp(x)
    except OverflowError:
        return _inf


def _log(x):
    if x > 0.0:
        return math.log(x)
    return -_inf if x == 0.0 else _nan  # x < 0 or nan


# ---------------------------------------------------------------------------------------
# Turning Python numbers into leaf Values.


def _as_float(data):
    """Check that ``data`` is a real number (not a bool, string or Value) and make it float."""
    if type(data) is float:
        return data
    if isinstance(data, Real) and not isinstance(data, bool):
        return float(data)
    if isinstance(data, bool):
        raise TypeError(
            "Value(data) needs a real number, got bool; "
            "write float(flag) if you mean 0.0 or 1.0"
        )
    if isinstance(data, Value):
        raise TypeError("Value(data) needs a real number, got a Value; use its .data")
    shown = repr(data) if len(repr(data)) <= 40 else repr(data)[:37] + "..."
    raise TypeError(
        f"Value(data) needs a real number (int or float), got {type(data).__name__} {shown}"
    )


def _lift(other):
    """Wrap a number as a leaf Value; NotImplemented for anything else.

    Returning NotImplemented lets Python try the other operand and otherwise raise its
    standard ``TypeError: unsupported operand type(s) for +: 'Value' and 'str'``.
    """
    if isinstance(other, Value):  # a subclass of Value (Value itself never gets here)
        return other
    if type(other) is float or (isinstance(other, Real) and not isinstance(other, bool)):
        return Value(other)
    return NotImplemented


def _node(data, a, b, backward):
    """The output of an op on operands ``a`` and ``b`` (None for a unary op)."""
    out = object.__new__(Value)  # skips __init__'s input checks: data is a float
    out.data = data
    out.grad = 0.0
    out._a = a
    out._b = b
    out._backward = backward
    out._mark = None
    return out


def backward_rule(op, **derivatives):
    """Tag a backward rule with its op's name and its local derivatives' formulas.

    ``derivatives`` maps each operand, ``a`` (first) and ``b`` (second), to the formula
    of d out / d operand, written with ``a``, ``b`` and ``out`` (the node's data).
    The rule itself is a static method of ``Value``: ``rule(out)`` adds
    ``out.grad`` times each local derivative into the operands' grads.
    """

    def tag(rule):
        rule.op = op
        rule.formulas = tuple(derivatives[k] for k in ("a", "b") if k in derivatives)
        return staticmethod(rule)

    return tag


class Value:
    """A scalar in a computation graph.

    ``data`` is the value (a float), ``grad`` the derivative of the last ``backward()``
    root with respect to it (starts at 0.0), ``label`` a name for drawings, ``op`` the
    operation that produced it ('' for leaves) and ``parents`` its inputs, in operand
    order (an empty tuple for leaves). Python numbers mixed into an expression become
    leaf Values, so ``x * 2`` has parents ``(x, Value(2.0))``.

    ``data`` must be a real number: strings, bools and Values are refused with a
    TypeError (a bool is almost always a comparison used by mistake; write ``float(b)``).
    """

    # _a and _b are the operands (None where an op has fewer); _mark is for the graph
    # walk (ninjagrad.graph); _label stays unset on results until someone names one.
    __slots__ = ("data", "grad", "_a", "_b", "_backward", "_mark", "_label")

    def __init__(self, data, label=""):
        if type(label) is not str:
            raise TypeError(f"Value(data, label): label must be a str, got {type(label).__name__}")
        self.data = _as_float(data)
        self.grad = 0.0
        self._a = self._b = None
        self._backward = Value._leaf_backward
        self._mark = None
        self._label = label

    @property
    def parents(self):
        """The operands this node was computed from, in operand order (() for a leaf)."""
        if self._b is not None:  # most nodes: + and *
            return (self._a, self._b)
        return () if self._a is None else (self._a,)

    @property
    def op(self):
        """The operation that produced this node ('' for a leaf)."""
        return self._backward.op

    @property
    def label(self):
        """A name for drawings ('' until set)."""
        try:
            return self._label
        except AttributeError:
            return ""

    @label.setter
    def label(self, name):
        self._label = name

    def __repr__(self):
        name = f"{self.label}: " if self.label else ""
        return f"Value({name}data={self.data:.6g}, grad={self.grad:.6g})"

    @backward_rule("")
    def _leaf_backward(out):
        pass  # a leaf has no operands to pass its gradient to

    # --- primitives: forward, then its backward rule right under it --------------------
    # A binary op first turns a number operand into a leaf Value (or gives Python back
    # NotImplemented for anything else, so it raises its standard TypeError).

    def __add__(self, other):
        if type(other) is not Value and (other := _lift(other)) is NotImplemented:
            return other
        return _node(self.data + other.data, self, other, Value._add_backward)

    @backward_rule("+", a="1", b="1")
    def _add_backward(out):
        out._a.grad += out.grad
        out._b.grad += out.grad

    def __mul__(self, other):
        if type(other) is not Value and (other := _lift(other)) is NotImplemented:
            return other
        return _node(self.data * other.data, self, other, Value._mul_backward)

    @backward_rule("*", a="b", b="a")
    def _mul_backward(out):
        a, b = out._a, out._b
        a.grad += b.data * out.grad
        b.grad += a.data * out.grad

    def __truediv__(self, other):
        if type(other) is not Value and (other := _lift(other)) is NotImplemented:
            return other
        return _node(_div(self.data, other.data), self, other, Value._div_backward)

    @backward_rule("/", a="1 / b", b="-a / b²")
    def _div_backward(out):
        # d/db = -a / b² computed as -(a / b) / b, as PyTorch does: a / b already is out,
        # and b² would underflow to 0 for |b| < 1e-154 (then 1e-310 / 3e-310 gave inf).
        a, b = out._a, out._b
        a.grad += _div(out.grad, b.data)
        b.grad += -_div(out.data, b.data) * out.grad

    def __pow__(self, other):
        """``self ** other`` for a number or a Value exponent (IEEE results, never raises)."""
        if type(other) is not Value and (other := _lift(other)) is NotImplemented:
            return other
        return _node(_pow(self.data, other.data), self, other, Value._pow_backward)

    @backward_rule("**", a="b × a^(b-1)", b="out × log(a)")
    def _pow_backward(out):
        # Both derivatives are taken as 0 where PyTorch takes them as 0 (b == 0, and
        # a == 0 with b >= 0) instead of 0 * inf.
        a, b = out._a, out._b
        x, y = a.data, b.data
        if y != 0.0:
            a.grad += y * _pow(x, y - 1.0) * out.grad
        if not (x == 0.0 and y >= 0.0):
            b.grad += out.data * _log(x) * out.grad

    def exp(self):
        """e ** self; overflows to inf."""
        return _node(_exp(self.data), self, None, Value._exp_backward)

    @backward_rule("exp", a="out")
    def _exp_backward(out):
        out._a.grad += out.data * out.grad

    def log(self):
        """Natural log: -inf at 0 and nan below 0, as in PyTorch."""
        return _node(_log(self.data), self, None, Value._log_backward)

    @backward_rule("log", a="1 / a")
    def _log_backward(out):
        out._a.grad += _div(out.grad, out._a.data)

    def tanh(self):
        return _node(math.tanh(self.data), self, None, Value._tanh_backward)

    @backward_rule("tanh", a="1 - out²")
    def _tanh_backward(out):
        out._a.grad += (1.0 - out.data * out.data) * out.grad

    def relu(self):
        """max(self, 0); nan stays nan, as in PyTorch."""
        x = self.data
        return _node(0.0 if x <= 0.0 else x, self, None, Value._relu_backward)

    @backward_rule("relu", a="0 if a ≤ 0 else 1")
    def _relu_backward(out):
        if out.data != 0.0:  # a > 0 or nan (then out is nan): the gradient passes, as in PyTorch
            out._a.grad += out.grad

    def sigmoid(self):
        """1 / (1 + exp(-self)), computed without overflow for large |self|."""
        x = self.data
        if x >= 0.0:
            s = 1.0 / (1.0 + _exp(-x))
        else:
            e = _exp(x)
            s = e / (1.0 + e)
        return _node(s, self, None, Value._sigmoid_backward)

    @backward_rule("sigmoid", a="out × (1 - out)")
    def _sigmoid_backward(out):
        out._a.grad += out.data * (1.0 - out.data) * out.grad

    # --- derived operations: one-liners over the primitives ----------------------------

    def __neg__(self):
        return self * -1.0

    def __sub__(self, other):
        other = other if type(other) is Value else _lift(other)
        return other if other is NotImplemented else self + (-other)

    # Reflected operators: ``2 * x`` has parents (Value(2.0), x), in operand order.
    def __radd__(self, other):
        other = _lift(other)
        return other if other is NotImplemented else other + self

    def __rmul__(self, other):
        other = _lift(other)
        return other if other is NotImplemented else other * self

    def __rsub__(self, other):
        other = _lift(other)
        return other if other is NotImplemented else other + (-self)

    def __rtruediv__(self, other):
        other = _lift(other)
        return other if other is NotImplemented else other / self

    def __rpow__(self, other):
        other = _lift(other)
        return other if other is NotImplemented else other**self

    # --- backpropagation ----------------------------------------------------------------

    def backward(self):
        """Backpropagate from this node: d(self)/d(node) into ``node.grad`` for every node.

        Seeds ``self.grad`` with 1.0 and applies each node's backward rule in reverse
        topological order (iteratively, so any depth works). Gradients accumulate into
        leaves, as in PyTorch: calling ``backward()`` twice doubles the leaves' grads
        (the lecture's behaviour: zero them between training steps with
        ``Module.zero_grad()``). Intermediate nodes are reset first and hold the gradient
        of this call only.
        """
        order = topological_order(self)
        for node in order:
            if node._a is not None:
                node.grad = 0.0
        self.grad += 1.0
        for node in reversed(order):
            node._backward(node)


# ---------------------------------------------------------------------------------------
# Local derivatives, for showing backpropagation step by step.


class LocalDerivative(NamedTuple):
    """d node / d parent: the formula, the formula with numbers in, and its value."""

    parent: Value
    symbolic: str
    numeric: str
    value: float

    def __repr__(self):
        return f"LocalDerivative({self.symbolic} = {self.numeric} = {self.value:.4g})"


# a, b and out as whole words (not the b of "log"); "²" counts as a letter for \b
_SYMBOL = re.compile(r"(?<![A-Za-z_])(a|b|out)(?![A-Za-z_])")


def _shown(x):
    """A number as the formulas show it: 4 significant digits, negatives in parentheses."""
    text = f"{x:.4g}"
    return f"({text})" if text.startswith("-") else text


def local_derivatives(node):
    """One ``LocalDerivative`` per parent of ``node``, in operand order ([] for a leaf).

    ``symbolic`` is the formula recorded with the op's backward rule (``a`` is the first
    operand, ``b`` the second, ``out`` this node's data), ``numeric`` the same with the
    numbers put in (4 significant digits) and ``value`` the float d node.data / d
    parent.data, computed by running the node's own backward rule on stand-ins of the
    node (grad 1) and of its parents (grad 0), so it is exactly what backward() uses.
    """
    parents = node.parents
    stand_ins = [Value(p.data) for p in parents]
    probe = _node(node.data, *(stand_ins + [None, None])[:2], node._backward)
    probe.grad = 1.0
    node._backward(probe)
    numbers = {"out": node.data}
    numbers.update(zip("ab", (p.data for p in parents), strict=False))  # "ab"[:arity]
    return [
        LocalDerivative(
            parent,
            formula,
            _SYMBOL.sub(lambda m: _shown(numbers[m.group(1)]), formula),
            stand_in.grad,
        )
        for parent, stand_in, formula in zip(
            parents, stand_ins, node._backward.formulas, strict=True
        )
    ]
