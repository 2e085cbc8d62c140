"""How the player and ``draw_dot(..., formulas=True)`` write formulas and numbers.

``formula_text`` turns a ``LocalDerivative`` (``ninjagrad.scalar.value.local_derivatives``)
into ``∂o/∂n = 1 - out² = 1 - 0.7071² = 0.5``; ``expression`` writes how a node was made
(``a * b``, ``tanh(a)``); ``short_number`` a number for either.
"""

import math
import re


def expression(op, parents):
    """How a node was computed, from its op and its parents' names: ``a * b``, ``tanh(a)``."""
    if op in ("+", "*", "**", "-", "/", "@") and len(parents) == 2:
        return f"{ref(parents[0])} {op} {ref(parents[1])}"
    return f"{op}({', '.join(parents)})"


def ref(name):
    """A name as part of a formula: in parentheses unless it is one word (``(a*b).grad``)."""
    return name if _WORD.match(name) else f"({name})"


_WORD = re.compile(r"^[\w#.']+$")
# a formula's operand symbols as whole words (not the a of "abs"), as local_derivatives writes
_OPERAND = re.compile(r"(?<![A-Za-z_])(a|b)(?![A-Za-z_])")


def formula_text(name, parent_name, term, operands=()):
    """``∂o/∂n = 1 - out² = 1 - 0.7071² = 0.5``: each form once, the value last.

    ``operands`` are the names of the node's parents: they replace the formula's ``a`` and
    ``b`` (the first and second operand), so ``∂(x1*w1)/∂x1 = b`` reads ``= w1``.
    """

    def operand(match):
        k = "ab".index(match.group(1))
        return ref(operands[k]) if k < len(operands) else match.group(1)

    symbolic = _OPERAND.sub(operand, str(term.symbolic))
    parts = [f"∂{ref(name)}/∂{ref(parent_name)}", symbolic]
    if str(term.numeric) != parts[-1]:
        parts.append(str(term.numeric))
    if not _is_number(parts[-1]):
        parts.append(short_number(term.value))
    return " = ".join(parts)


def _is_number(text):
    try:
        float(text.removeprefix("(").removesuffix(")"))  # negatives come as (-3)
    except ValueError:
        return False
    return True


def short_number(x):
    """A number for a formula: at most 4 decimals, no trailing zeros (0.5, 1.0, -1.5)."""
    x = float(x)
    if not math.isfinite(x):
        return str(x)
    if x != 0 and not 1e-4 <= abs(x) < 1e6:
        return f"{x:.3e}"
    text = f"{x:.4f}".rstrip("0")
    text = text + "0" if text.endswith(".") else text
    return "0.0" if text == "-0.0" else text
