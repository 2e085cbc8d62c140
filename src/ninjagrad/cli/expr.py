"""Turn an arithmetic expression string into a ``Value`` graph, safely.

The string is parsed with :mod:`ast` and the tree is walked by hand; nothing is ever
evaluated by Python itself (no ``eval``, ``exec`` or ``compile``). Allowed:

- numbers (``2``, ``-3.5``, ``1e-3``) and variables given by the caller,
- ``+ - * / **``, unary ``-`` and ``+``, parentheses,
- calls of the engine's functions ``exp log tanh relu sigmoid`` written as ``tanh(x)``.

Everything else is refused with an :class:`ExpressionError` that points at the offending
part: attribute access (also ``x.tanh()``: write ``tanh(x)``), other calls, names that were
not given, strings, subscripts, lambdas, comparisons, and so on. Limits keep the work
bounded: at most ``MAX_LENGTH`` characters, ``MAX_DEPTH`` levels of nesting, exponents of
magnitude at most ``MAX_EXPONENT``, and every intermediate result must be a finite float.
"""

import ast
import math
from dataclasses import dataclass, field

from ninjagrad.errors import NinjagradError

#: The engine's one-argument functions that may be called, as ``name(x)``.
FUNCTIONS = ("exp", "log", "tanh", "relu", "sigmoid")
#: Longest accepted expression, in characters.
MAX_LENGTH = 1000
#: Deepest accepted nesting of the syntax tree (operators, calls, parentheses).
MAX_DEPTH = 100
#: Largest accepted |exponent| for ``**``.
MAX_EXPONENT = 100
#: Intermediate labels longer than this are replaced by ``t1``, ``t2``, ...
MAX_LABEL = 20

_BINARY = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**"}

# Plain-words names for constructs people might try, used in error messages.
_REFUSED = {
    ast.Attribute: "attribute access",
    ast.Subscript: "subscripts",
    ast.Lambda: "lambda",
    ast.ListComp: "comprehensions",
    ast.SetComp: "comprehensions",
    ast.DictComp: "comprehensions",
    ast.GeneratorExp: "generator expressions",
    ast.Compare: "comparisons",
    ast.BoolOp: "'and'/'or'",
    ast.IfExp: "conditional expressions",
    ast.NamedExpr: "assignment expressions",
    ast.JoinedStr: "strings",
    ast.List: "lists",
    ast.Tuple: "tuples",
    ast.Dict: "dicts",
    ast.Set: "sets",
    ast.Starred: "starred arguments",
    ast.Await: "await",
    ast.Yield: "yield",
    ast.YieldFrom: "yield",
    ast.Slice: "slices",
}


class ExpressionError(NinjagradError, ValueError):
    """An expression that cannot be accepted. ``column`` (1-based) and ``segment`` name the
    offending part, when there is one; the message repeats them with a caret line."""

    def __init__(self, reason, source=None, col=None, end_col=None):
        self.reason = reason
        self.column = None if col is None else col + 1
        self.segment = None
        message = reason
        if source is not None and col is not None:
            end_col = max(end_col if end_col is not None else col + 1, col + 1)
            self.segment = source[col:end_col]
            shown = self.segment if len(self.segment) <= 40 else self.segment[:37] + "..."
            line, start = _window(source, col)
            line = "".join(c if c.isprintable() else "?" for c in line)  # keep carets aligned
            width = min(end_col, start + len(line)) - col
            message = (
                f"{reason} at column {col + 1}: {shown!r}\n"
                f"  {line}\n  {' ' * (col - start)}{'^' * max(width, 1)}"
            )
        super().__init__(message)


def _window(source, col, before=30, size=72):
    """The part of a long ``source`` shown around ``col``, and where it starts."""
    if len(source) <= size:
        return source, 0
    start = max(0, col - before)
    return source[start : start + size], start


@dataclass
class Expression:
    """A parsed expression: ``root`` is its output ``Value``; ``variables`` maps each
    variable name given by the caller to its leaf ``Value`` (labelled with the name)."""

    source: str
    root: object
    variables: dict = field(default_factory=dict)

    def __repr__(self):
        return f"Expression({self.source!r}, value={self.root.data:.6g})"


def parse_expression(source, variables):
    """Build the ``Value`` graph of ``source`` with the given ``{name: number}`` variables.

    Returns an :class:`Expression`. Each variable becomes one leaf ``Value`` labelled with
    its name (used as often as the expression mentions it, so gradients accumulate);
    intermediates are labelled with their compact source text (``x1*w1``) or ``t1``,
    ``t2``, ... when that is long. Raises :class:`ExpressionError` for anything refused.
    Call ``root.backward()`` for the gradients.
    """
    from ninjagrad.scalar.value import Value

    if not isinstance(source, str):
        raise ExpressionError(f"the expression must be a string, not {type(source).__name__}")
    if len(source) > MAX_LENGTH:
        raise ExpressionError(
            f"the expression is {len(source)} characters long; the limit is {MAX_LENGTH}"
        )
    if "\n" in source or "\r" in source:
        raise ExpressionError("the expression must be a single line")
    if not source.strip():
        raise ExpressionError("the expression is empty")

    leaves = {}
    for name, number in variables.items():
        check_variable_name(name)
        leaves[name] = Value(_finite_number(number, name), label=name)

    text = source.strip()
    if "\x00" in text:
        raise ExpressionError("the expression contains a NUL character", text, text.index("\x00"))
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError as exc:
        # Python reports offset 0 (or past the end) when the input stops mid-expression.
        col = exc.offset - 1 if exc.offset and 0 < exc.offset <= len(text) else len(text) - 1
        reason = "invalid syntax" if exc.msg == "invalid syntax" else f"invalid syntax: {exc.msg}"
        raise ExpressionError(reason, text, col) from None
    except (RecursionError, MemoryError):
        raise ExpressionError("the expression is nested too deeply") from None
    builder = _Builder(text, leaves, Value)
    builder.check_depth(tree.body)
    root = builder.build(tree.body)
    return Expression(text, root, leaves)


def check_variable_name(name):
    """Refuse names the expression could not mention, or that hide an engine function."""
    if not isinstance(name, str) or not name.isidentifier() or name.startswith("__"):
        raise ExpressionError(f"{name!r} is not a valid variable name")
    import keyword

    if keyword.iskeyword(name):
        raise ExpressionError(f"{name!r} is a Python keyword and cannot be a variable name")
    if name in FUNCTIONS:
        raise ExpressionError(f"{name!r} is an engine function and cannot be a variable name")


def _finite_number(number, what):
    if isinstance(number, bool) or not isinstance(number, int | float):
        raise ExpressionError(f"{what} must be a number, not {type(number).__name__}")
    try:
        number = float(number)
    except OverflowError:
        raise ExpressionError(f"{what} is too large for a float") from None
    if not math.isfinite(number):
        raise ExpressionError(f"{what} must be finite, not {number}")
    return number


class _Builder:
    """Walks the syntax tree, building Values; every refusal points at its tree node."""

    def __init__(self, source, leaves, value_type):
        self.source = source
        self.leaves = leaves
        self.Value = value_type
        self.temporaries = 0
        self.encoded = source.encode("utf-8")

    def error(self, reason, node):
        end = getattr(node, "end_col_offset", None)
        if getattr(node, "end_lineno", 1) != getattr(node, "lineno", 1):
            end = None
        col = self.column(node.col_offset)
        raise ExpressionError(reason, self.source, col, None if end is None else self.column(end))

    def column(self, offset):
        """``ast`` counts columns in UTF-8 bytes; the caret and the message count characters."""
        return len(self.encoded[:offset].decode("utf-8", errors="ignore"))

    def check_depth(self, root):
        # Iterative, so that a hostile nesting cannot exhaust the Python stack here; the
        # recursive build below then runs at most MAX_DEPTH deep.
        stack = [(root, 1)]
        while stack:
            node, depth = stack.pop()
            if depth > MAX_DEPTH:
                self.error(f"the expression is nested more than {MAX_DEPTH} levels deep", node)
            if isinstance(node, ast.BinOp) and isinstance(node.left, ast.BinOp):
                # a left-leaning chain (a + b + c + ...) is built in a loop, not by
                # recursion, so its length is no nesting: only MAX_LENGTH bounds it
                stack.append((node.left, depth))
                stack.append((node.right, depth + 1))
                continue
            children = ast.iter_child_nodes(node)
            stack.extend((c, depth + 1) for c in children if isinstance(c, ast.expr))

    def build(self, node):
        if isinstance(node, ast.Constant):
            return self.constant(node)
        if isinstance(node, ast.Name):
            if node.id in self.leaves:
                return self.leaves[node.id]
            if node.id in FUNCTIONS:
                self.error(f"{node.id!r} is a function: call it, as in {node.id}(x)", node)
            self.error(
                f"unknown name {node.id!r} (no value given; on the command line: "
                f"--var {node.id}=VALUE)",
                node,
            )
        if isinstance(node, ast.UnaryOp):
            if isinstance(node.op, ast.UAdd):
                return self.build(node.operand)
            if isinstance(node.op, ast.USub):
                if isinstance(node.operand, ast.Constant):  # a negative literal is one leaf
                    leaf = self.constant(node.operand)
                    return self.Value(-leaf.data, label=self.segment(node))
                operand = self.build(node.operand)
                return self.checked(lambda: -operand, node)
            self.error("only unary '-' and '+' are allowed", node)
        if isinstance(node, ast.BinOp):
            return self.binary(node)
        if isinstance(node, ast.Call):
            return self.call(node)
        what = _REFUSED.get(type(node), type(node).__name__)
        self.error(f"{what} not allowed", node)

    def constant(self, node):
        value = node.value
        if isinstance(value, bool) or not isinstance(value, int | float):
            kinds = {str: "strings", bytes: "bytes", bool: "True/False", complex: "complex numbers"}
            kind = kinds.get(type(value), repr(value))
            self.error(f"{kind} not allowed (only real numbers)", node)
        try:
            number = float(value)
        except OverflowError:
            self.error("number too large for a float", node)
        if not math.isfinite(number):
            self.error("number too large for a float", node)
        return self.Value(number, label=self.segment(node))

    def binary(self, node):
        chain = [node]  # the left-leaning chain a + b + c: built from its innermost node out
        while isinstance(chain[-1].left, ast.BinOp):
            chain.append(chain[-1].left)
        result = self.build(chain[-1].left)
        for link in reversed(chain):
            result = self.apply_binary(link, result, self.build(link.right))
        return result

    def apply_binary(self, node, left, right):
        symbol = _BINARY.get(type(node.op))
        if symbol is None:
            self.error(f"operator {type(node.op).__name__} not allowed (only + - * / **)", node)
        if symbol == "**":
            self.check_exponent(right.data, node.right)
        operations = {
            "+": lambda: left + right,
            "-": lambda: left - right,
            "*": lambda: left * right,
            "/": lambda: left / right,
            "**": lambda: left**right,
        }
        return self.checked(operations[symbol], node)

    def check_exponent(self, exponent, node):
        if not abs(exponent) <= MAX_EXPONENT:
            self.error(
                f"exponent {exponent:g} is out of bounds (|exponent| <= {MAX_EXPONENT})", node
            )

    def call(self, node):
        func = node.func
        if isinstance(func, ast.Attribute):
            method = func.attr in FUNCTIONS and not node.args
            hint = f": write {func.attr}(...) instead" if method else ""
            self.error(f"attribute access not allowed{hint}", func)
        if not isinstance(func, ast.Name):
            self.error("only calls of " + ", ".join(FUNCTIONS) + " are allowed", func)
        if func.id not in FUNCTIONS:
            self.error(
                f"calling {func.id!r} is not allowed (only " + ", ".join(FUNCTIONS) + ")", func
            )
        if node.keywords:
            self.error(f"{func.id}() takes no keyword arguments", node.keywords[0])
        if len(node.args) != 1 or isinstance(node.args[0], ast.Starred):
            self.error(f"{func.id}() takes exactly one argument", node)
        argument = self.build(node.args[0])
        return self.checked(lambda: getattr(argument, func.id)(), node)

    def checked(self, compute, node):
        """Run one operation; refuse results that are not finite real numbers."""
        try:
            result = compute()
        except ExpressionError:
            raise
        except (ArithmeticError, ValueError, TypeError) as exc:
            self.error(f"cannot compute this ({exc})", node)
        data = result.data
        if isinstance(data, complex) or not math.isfinite(data):
            self.error(f"the result is {data}, not a finite real number", node)
        if result.op and not result.label:
            result.label = self.label(node)
        return result

    def label(self, node):
        text = "".join(self.segment(node).split())
        if len(text) > MAX_LABEL:
            self.temporaries += 1
            return f"t{self.temporaries}"
        return text

    def segment(self, node):
        return ast.get_source_segment(self.source, node) or ""
