"""Running and grading the learner's micrograd ``Value``.

Each rule is tested alone (called on one fresh node), and the derived operations and
``backward()`` are re-run with correct rules put in the learner's place: if they are
right then, they are wrong only because of a rule (``inherits``). Each row's numbers come
from a few fixed points, so wrong answers can be diagnosed from them like tensor
gradients. The reference is ninjagrad's ``Value`` autograd, through its public API.
"""

import ast
import functools
import inspect
import textwrap

import numpy as np

from ninjagrad.dojo import diagnosis
from ninjagrad.dojo.collect import Answer, Collected, describe, error_line
from ninjagrad.dojo.micrograd import LINES, METHODS, PRIMITIVES, RULES, SOLUTIONS

# ---------------------------------------------------------------------------------------
# The probes: the same numbers for the learner's Value and for ninjagrad's.

POINTS = 6


def _points():
    rng = np.random.default_rng(7)
    a = rng.uniform(-2, 2, POINTS)
    b = rng.uniform(-2, 2, POINTS)
    b = np.where(np.abs(b) < 0.3, 0.7, b)  # away from 0, for division
    pos = rng.uniform(0.5, 2.0, POINTS)  # a positive base for fractional exponents
    k = np.array([2.0, 3.0, -1.0, 0.5, 1.5, -2.0])
    pre_a, pre_b, g = rng.uniform(-1, 1, (3, POINTS))
    return a, b, pos, k, pre_a, pre_b, g


def _rule_row(V, op, learner=True):
    """One rule applied to fresh nodes whose inputs already hold a gradient (``pre_*``),
    so that ``=`` instead of ``+=`` shows. Returns the (K, inputs) array of input grads.

    The learner's rule is called directly (``out.backward_rule(out)``); ninjagrad's Value
    gets the same numbers through its public API: ``(out * g).backward()`` adds
    ``g * d out / d a`` to leaves that already hold ``pre_a``.
    """
    a_, b_, pos, k, pre_a, pre_b, g = _points()
    rows = []
    for i in range(POINTS):
        if op == "**":
            a, b = V(pos[i]), None
            out = a ** k[i]
        else:
            a, b = V(a_[i]), V(b_[i])
            out = _forward(op, a, b)
        a.grad = pre_a[i]
        if op in ("+", "*"):
            b.grad = pre_b[i]
        if learner:
            out.grad = g[i]
            out.backward_rule(out)
        else:
            (out * g[i]).backward()
        rows.append([a.grad, b.grad] if op in ("+", "*") else [a.grad])
    return np.array(rows, dtype=np.float64)


def _forward(op, a, b):
    if op == "+":
        return a + b
    if op == "*":
        return a * b
    return a.tanh() if op == "tanh" else a.exp()


def _walk(root):
    """Backpropagate from ``root`` with the grader's own walk (the learner's backward()
    is graded separately): each node's rule in reverse topological order."""
    order, seen, stack = [], set(), [(root, False)]
    while stack:
        node, done = stack.pop()
        if done:
            order.append(node)
        elif id(node) not in seen:
            seen.add(id(node))
            stack.append((node, True))
            stack.extend((p, False) for p in node.parents)
    root.grad = 1.0
    for node in reversed(order):
        if getattr(node, "backward_rule", None) is not None:
            node.backward_rule(node)


def _derived_row(V, op, walk):
    a_, b_, _, _, _, _, _ = _points()
    rows = []
    for i in range(POINTS):
        a, b = V(a_[i]), V(b_[i])
        c = a - b if op == "-" else a / b
        walk(c)
        row = [c.data, a.grad, b.grad]
        if op == "-":
            x = V(a_[i])
            y = -x
            walk(y)
            row += [y.data, x.grad]
        rows.append(row)
    return np.array(rows, dtype=np.float64)


def _graph(x, y):
    """A graph that needs a topological order: x is used three times, z twice, and a
    depth-first order that forgets visited nodes applies rules twice."""
    z = x * y + x
    w = (z.tanh() + z.exp() * y) ** 2 + x
    return z, w


def _backward_row(V, backward):
    a_, b_, _, _, _, _, _ = _points()
    rows = []
    for i in range(POINTS):
        x, y = V(a_[i] * 0.5), V(b_[i] * 0.5)
        z, w = _graph(x, y)
        backward(w)
        rows.append([x.grad, y.grad, z.grad])
    return np.array(rows, dtype=np.float64)


@functools.lru_cache(maxsize=1)
def reference():
    """Row name -> the reference numbers, from ninjagrad's Value."""
    from ninjagrad import Value

    ref = {op: _rule_row(Value, op, learner=False) for op in PRIMITIVES}
    ref["-"] = _derived_row(Value, "-", lambda r: r.backward())
    ref["/"] = _derived_row(Value, "/", lambda r: r.backward())
    ref["backward()"] = _backward_row(Value, lambda r: r.backward())
    return ref


def _before(op):
    _, _, _, _, pre_a, pre_b, _ = _points()
    return np.stack([pre_a, pre_b], 1) if op in ("+", "*") else pre_a[:, None]


# The grader's questions (``grading``; ``ninja_checks`` answers them for the others).


def references(exercise, use_torch):
    return [("ninjagrad Value autograd", reference())]


def tolerance(line):
    return diagnosis.RTOL, diagnosis.ATOL


def batch_size():
    return None


def row_uses(exercise):
    return {}


def consistent_with_inputs(exercise, line, answers):
    return None  # the derived rows and backward() are always re-run with correct rules


def branches(exercise=None):
    """For each rule row: the gradient already there and this operation's contribution
    (the learner who writes ``=`` keeps only the second)."""
    ref = reference()
    out = {}
    for op in PRIMITIVES:
        before = _before(op)
        out[op] = [
            ("the gradient the input already had", before,
             "the inputs keep the gradient they already had: this rule added nothing"),
            ("this operation's contribution", ref[op] - before,
             "one branch missing: it matches this operation's contribution alone, so the "
             "gradient the input already had (from its other uses) was overwritten: add "
             "with +=, not ="),
        ]
    return out


def variants(exercise=None):
    """Known wrong rules, worked out on the probe points: (words, numbers)."""
    a, b, _, _, _, _, g = _points()
    swapped = _before("*") + np.stack([a * g, b * g], 1)
    ref = reference()
    found = {op: [("the sign is flipped: the contribution was subtracted (-=), or the "
                   "local derivative has the wrong sign", 2 * _before(op) - ref[op])]
             for op in PRIMITIVES}
    found["*"].append(("each input got its OWN data times out.grad: d(a * b)/da is b, the "
                       "other input", swapped))
    return found


def explain(exercise, line, L, R):
    """For - and /, whose first column is the forward value: is the forward itself wrong?"""
    op = line.name
    if op not in ("-", "/") or L.shape != R.shape or np.allclose(L[:, 0], R[:, 0]):
        return None
    a, b, *_ = _points()
    return (f"the forward value is wrong: with a = {a[0]:.3g}, b = {b[0]:.3g}, a {op} b "
            f"gives {L[0, 0]:.4g}, expected {R[0, 0]:.4g}")


# ---------------------------------------------------------------------------------------
# Collecting the learner's numbers.


def _reference_rules():
    """The exercise's own solution rules, as static methods for the learner's class (the
    tests grade them against ninjagrad's Value)."""
    rules = {}
    for name in RULES:
        unpack = "a, b = out.parents" if name in RULES[:3] else "(a,) = out.parents"
        body = "\n".join("    " + s for s in (unpack, *SOLUTIONS[name].splitlines()))
        ns = {}
        exec(f"def {name}(out):\n{body}\n", ns)  # noqa: S102 - our own solution text
        rules[name] = staticmethod(ns[name])
    return rules


class _ReferenceRules:
    """Put correct rules on the learner's class for a while (derived ops and backward()
    recomputed from correct rules)."""

    def __init__(self, V):
        self.V = V

    def __enter__(self):
        self.saved = {r: self.V.__dict__.get(r) for r in RULES}
        for r, rule in _reference_rules().items():
            setattr(self.V, r, rule)

    def __exit__(self, *exc):
        for r, rule in self.saved.items():
            if rule is None:
                delattr(self.V, r)
            else:
                setattr(self.V, r, rule)


def _method_trees(V, tree):
    """The learner's methods as ASTs: from the file's ``class Value``, or else one by one
    from their source (a class typed into a notebook has no source of its own, but its
    methods do)."""
    if tree is not None:
        for node in tree.body:
            if isinstance(node, ast.ClassDef) and node.name == "Value":
                return [f for f in node.body if isinstance(f, ast.FunctionDef)]
    found = []
    for attr in vars(V).values():
        fn = getattr(attr, "__func__", attr)  # a staticmethod's function
        if not inspect.isfunction(fn):
            continue
        try:
            lines, first = inspect.getsourcelines(fn)
            node = ast.parse(textwrap.dedent("".join(lines))).body[0]
        except (OSError, TypeError, SyntaxError, IndexError):
            continue
        ast.increment_lineno(node, first - 1)
        if isinstance(node, ast.FunctionDef):
            found.append(node)
    return found


def _methods(V, tree):
    """{method name: (first line of its body, has a ``...`` blank)}."""
    found = {}
    for node in _method_trees(V, tree):
        blank = any(isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant)
                    and s.value.value is Ellipsis for s in node.body)
        found[node.name] = (node.body[0].lineno, blank)
    return found


def collect(ns, filename, tree=None):
    """Answers for every row from the learner's ``Value`` class in ``ns`` (``tree``: the
    file's AST, for blanks and line numbers)."""
    V = ns.get("Value")
    if not isinstance(V, type):
        return Collected(fatal="no class Value found (keep the starter's class Value)")
    methods = _methods(V, tree)
    blanks = {name for name, (_, blank) in methods.items() if blank}
    answers = {}

    def attempt(fn):
        try:
            return "value", fn(), None, None
        except Exception as exc:  # noqa: BLE001 - the learner's error, with its line
            return "error", None, error_line(exc, filename), describe(exc)

    def method_blank(key):
        return (METHODS.get(key, key)) in blanks

    for line, op in zip(LINES[:5], PRIMITIVES, strict=True):
        if method_blank(line.var):
            answers[op] = Answer("missing", line=methods[line.var][0],
                                 message=f"{line.var} is still ...")
            continue
        state, value, lineno, msg = attempt(lambda op=op: _rule_row(V, op))
        answers[op] = Answer(state, value, lineno or methods.get(line.var, (None,))[0], msg)
        answers[op].recomputed = value  # a rule has no inputs but its own node
    for line, op in ((LINES[5], "-"), (LINES[6], "/")):
        if any(method_blank(k) for k in line.blank_keys):
            blank = next(METHODS[k] for k in line.blank_keys if method_blank(k))
            answers[op] = Answer("missing", line=methods[blank][0],
                                 message=f"{blank} is still ...")
            continue
        state, value, lineno, msg = attempt(lambda op=op: _derived_row(V, op, _walk))
        first = methods.get(METHODS[line.blank_keys[-1]], (None,))[0]
        answers[op] = Answer(state, value, lineno or first, msg)
        with _ReferenceRules(V):
            s2, v2, _, m2 = attempt(lambda op=op: _derived_row(V, op, _walk))
        answers[op].recomputed, answers[op].recompute_error = v2, m2
    if "backward" in blanks:
        answers["backward()"] = Answer("missing", line=methods["backward"][0],
                                       message="backward() is still ...")
    else:
        state, value, lineno, msg = attempt(lambda: _backward_row(V, lambda r: r.backward()))
        answer = Answer(state, value, lineno or methods.get("backward", (None,))[0], msg)
        with _ReferenceRules(V):
            s2, v2, _, m2 = attempt(lambda: _backward_row(V, lambda r: r.backward()))
        answer.recomputed, answer.recompute_error = v2, m2
        answers["backward()"] = answer
    return Collected(answers)

