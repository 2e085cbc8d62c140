"""``Value``: a scalar that remembers how it was computed and backpropagates through it.

This is the engine of Karpathy's micrograd lecture, kept recognisable: every primitive
builds its output and, right beside it, defines its backward rule, which adds (``+=``)
the output's gradient times the local derivative into the inputs. Derived operations
(``-``, ``/``, the reflected operators) are one-liners over the primitives.

Two things differ from the lecture, both for speed and memory:

* A backward rule is a plain function that receives the node it belongs to
  (``_mul_backward(node)``) and is stored in a slot, instead of a closure that captures
  the output. A closure over its own output is a reference cycle, which leaves every
  graph to Python's cycle collector; here refcounting frees a graph as soon as it is
  dropped.
* ``backward()`` walks an iterative topological order (``ninjagrad.graph``), so graph
  depth is limited by memory, not by the recursion limit.

Numerics follow IEEE 754 and PyTorch instead of raising from inside ``math``:
``log(0) == -inf``, ``log(-1)`` is nan, ``0 ** -1 == inf``, ``exp(1000) == inf``,
``(-8) ** (1/3)`` is nan (not a complex number).
"""

import math
from numbers import Real

from ninjagrad.graph import topological_order

_inf = math.inf
_nan = math.nan
_exp = math.exp
_log = math.log
_tanh = math.tanh


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


def _safe_exp(x):
    try:
        return _exp(x)
    except OverflowError:
        return _inf


def _safe_log(x):
    if x > 0.0:
        return _log(x)
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


_new = object.__new__


def _node(data, parents, backward):
    """Build a result node directly, skipping ``__init__``'s input checks (data is a float)."""
    out = _new(Value)
    out.data = data
    out.grad = 0.0
    out.parents = parents
    out._backward = backward
    return out


def _leaf_backward(node):
    pass  # a leaf has no inputs to pass its gradient to


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

    __slots__ = ("data", "grad", "parents", "_backward", "_label")

    def __init__(self, data, label=""):
        if type(label) is not str:
            raise TypeError(f"Value(data, label): label must be a str, got {type(label).__name__}")
        self.data = _as_float(data)
        self.grad = 0.0
        self.parents = ()
        self._backward = _leaf_backward
        self._label = label

    # A result node stores only data, grad, parents and its backward rule: its op is
    # named by the rule, and its label slot stays empty until someone names it.
    @property
    def op(self):
        """The operation that produced this node ('' for a leaf)."""
        return _OP_NAMES[self._backward]

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

    # --- primitives: forward, then the backward rule right beside it -------------------

    def __add__(self, other):
        if type(other) is not Value:
            other = _lift(other)
            if other is NotImplemented:
                return other
        out = _new(Value)  # _node(...) inlined: + and * are most of every graph
        out.data = self.data + other.data
        out.grad = 0.0
        out.parents = (self, other)
        out._backward = _add_backward
        return out

    @staticmethod
    def _add_backward(node):
        a, b = node.parents
        g = node.grad
        a.grad += g
        b.grad += g

    def __mul__(self, other):
        if type(other) is not Value:
            other = _lift(other)
            if other is NotImplemented:
                return other
        out = _new(Value)
        out.data = self.data * other.data
        out.grad = 0.0
        out.parents = (self, other)
        out._backward = _mul_backward
        return out

    @staticmethod
    def _mul_backward(node):
        a, b = node.parents
        g = node.grad
        a.grad += b.data * g
        b.grad += a.data * g

    def __pow__(self, other):
        """``self ** other`` for a number or a Value exponent (IEEE results, never raises)."""
        if type(other) is not Value:
            other = _lift(other)
            if other is NotImplemented:
                return other
        return _node(_pow(self.data, other.data), (self, other), _pow_backward)

    @staticmethod
    def _pow_backward(node):
        # d(a**b)/da = b * a**(b-1), d(a**b)/db = a**b * log(a); both taken as 0 where
        # PyTorch takes them as 0 (b == 0, and a == 0 with b >= 0) instead of 0 * inf.
        a, b = node.parents
        x, y = a.data, b.data
        if y != 0.0:
            a.grad += node.grad * y * _pow(x, y - 1.0)
        if not (x == 0.0 and y >= 0.0):
            b.grad += node.grad * node.data * _safe_log(x)

    def exp(self):
        """e ** self; overflows to inf."""
        return _node(_safe_exp(self.data), (self,), _exp_backward)

    @staticmethod
    def _exp_backward(node):
        (a,) = node.parents
        a.grad += node.data * node.grad

    def log(self):
        """Natural log: -inf at 0 and nan below 0, as in PyTorch."""
        return _node(_safe_log(self.data), (self,), _log_backward)

    @staticmethod
    def _log_backward(node):
        (a,) = node.parents
        a.grad += _div(node.grad, a.data)

    def tanh(self):
        return _node(_tanh(self.data), (self,), _tanh_backward)

    @staticmethod
    def _tanh_backward(node):
        (a,) = node.parents
        t = node.data
        a.grad += (1.0 - t * t) * node.grad

    def relu(self):
        """max(self, 0); nan stays nan, as in PyTorch."""
        x = self.data
        return _node(0.0 if x <= 0.0 else x, (self,), _relu_backward)

    @staticmethod
    def _relu_backward(node):
        if node.data != 0.0:  # the output is positive or nan; nan passes, as in PyTorch
            node.parents[0].grad += node.grad

    def sigmoid(self):
        """1 / (1 + exp(-self)), computed without overflow for large |self|."""
        x = self.data
        if x >= 0.0:
            s = 1.0 / (1.0 + _safe_exp(-x))
        else:
            e = _safe_exp(x)
            s = e / (1.0 + e)
        return _node(s, (self,), _sigmoid_backward)

    @staticmethod
    def _sigmoid_backward(node):
        (a,) = node.parents
        s = node.data
        a.grad += s * (1.0 - s) * node.grad

    # --- derived operations: one-liners over the primitives ----------------------------

    def __neg__(self):
        return self * -1.0

    def __sub__(self, other):
        other = other if type(other) is Value else _lift(other)
        return other if other is NotImplemented else self + (-other)

    def __truediv__(self, other):
        other = other if type(other) is Value else _lift(other)
        return other if other is NotImplemented else self * other**-1.0

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
        return other if other is NotImplemented else other * self**-1.0

    def __rpow__(self, other):
        other = _lift(other)
        return other if other is NotImplemented else other**self

    # --- backpropagation ----------------------------------------------------------------

    def backward(self):
        """Backpropagate from this node: d(self)/d(node) into ``node.grad`` for every node.

        Seeds ``self.grad`` with 1.0 and applies each node's backward rule in reverse
        topological order (iteratively, so any depth works). Gradients accumulate into
        leaves, as in PyTorch: calling ``backward()`` twice doubles the leaves' grads,
        so zero them between training steps (``Module.zero_grad()``). Intermediate nodes
        are reset first and hold the gradient of this call only.
        """
        order = topological_order(self)
        for node in order:
            if node.parents:
                node.grad = 0.0
        self.grad += 1.0
        for node in reversed(order):
            node._backward(node)


# The forward methods name their backward rules as module globals: on every node, a
# global lookup is cheaper than ``Value._add_backward`` (an attribute lookup on a class).
_add_backward = Value._add_backward
_mul_backward = Value._mul_backward
_pow_backward = Value._pow_backward
_exp_backward = Value._exp_backward
_log_backward = Value._log_backward
_tanh_backward = Value._tanh_backward
_relu_backward = Value._relu_backward
_sigmoid_backward = Value._sigmoid_backward

_OP_NAMES = {
    _leaf_backward: "",
    _add_backward: "+",
    _mul_backward: "*",
    _pow_backward: "**",
    _exp_backward: "exp",
    _log_backward: "log",
    _tanh_backward: "tanh",
    _relu_backward: "relu",
    _sigmoid_backward: "sigmoid",
}
