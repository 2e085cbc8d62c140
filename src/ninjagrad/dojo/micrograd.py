"""The micrograd exercise: the backward rules of a scalar ``Value`` and ``backward()``.

The learner's ``Value`` (from the starter) keeps ``data``, ``grad``, ``parents`` and a
``backward_rule`` that each operation sets on its output; rules are static methods,
looked up on the class when an operation runs. That lets the grader test each rule alone
(call it on one fresh node), and re-run the derived operations and ``backward()`` with
ninjagrad's own rules put in the learner's place: if they are right then, they are
wrong only because of a rule (``inherits``).

Each row's numbers come from a few fixed points, so wrong answers can be diagnosed from
them like tensor gradients. The reference is ninjagrad's ``Value`` autograd.
"""

import ast
import functools
import inspect
import textwrap

import numpy as np

from ninjagrad.dojo import diagnosis
from ninjagrad.dojo.collect import Answer, Collected, describe, error_line
from ninjagrad.dojo.exercises import Exercise, Line

RULES = ("add_backward", "mul_backward", "pow_backward", "tanh_backward", "exp_backward")
PRIMITIVES = ("+", "*", "**", "tanh", "exp")

SOLUTIONS = {
    "add_backward": "a.grad += out.grad\nb.grad += out.grad",
    "mul_backward": "a.grad += b.data * out.grad\nb.grad += a.data * out.grad",
    "pow_backward": "a.grad += b.data * a.data ** (b.data - 1) * out.grad",
    "tanh_backward": "a.grad += (1 - out.data**2) * out.grad",
    "exp_backward": "a.grad += out.data * out.grad",
    "neg": "return self * -1",
    "sub": "return self + (-other)",
    "truediv": "return self * other**-1",
    "backward": """order, visited = [], set()

def visit(node):  # every node after the nodes it was computed from
    if node not in visited:
        visited.add(node)
        for parent in node.parents:
            visit(parent)
        order.append(node)

visit(self)
self.grad = 1.0
for node in reversed(order):
    if node.backward_rule is not None:
        node.backward_rule(node)""",
}
BLANKS = {
    "add_backward": "...  # TODO: pass out.grad on to a.grad and b.grad",
    "mul_backward": "...  # TODO: pass out.grad on to a.grad and b.grad",
    "pow_backward": "...  # TODO: pass out.grad on to a.grad (the exponent b is a constant)",
    "tanh_backward": "...  # TODO: pass out.grad on to a.grad",
    "exp_backward": "...  # TODO: pass out.grad on to a.grad",
    "neg": "...  # TODO: return -self, built from *",
    "sub": "...  # TODO: return self - other, built from + and unary -",
    "truediv": "...  # TODO: return self / other, built from * and **",
    "backward": "...  # TODO: order the nodes, seed self.grad, apply the rules in reverse",
}
_METHOD = {"neg": "__neg__", "sub": "__sub__", "truediv": "__truediv__"}

LINES = (
    Line("+", "add_backward", (),
         "d(a + b)/da = 1 and d(a + b)/db = 1: each input gets out.grad, added (+=) to what "
         "it already has, because a node used twice gets a contribution from each use."),
    Line("*", "mul_backward", (),
         "d(a * b)/da = b and d(a * b)/db = a: each input gets out.grad times the OTHER "
         "input's data, added with +=."),
    Line("**", "pow_backward", (),
         "d(a ** k)/da = k * a ** (k - 1), for a constant exponent k (b.data)."),
    Line("tanh", "tanh_backward", (),
         "d tanh(a)/da = 1 - tanh(a)**2, and tanh(a) is out.data."),
    Line("exp", "exp_backward", (),
         "d exp(a)/da = exp(a), which is out.data."),
    Line("-", "sub", ("+", "*"),
         "no new rule: -x is x * -1 and a - b is a + (-b); their gradients then come from "
         "the + and * rules.", blanks=("neg", "sub")),
    Line("/", "truediv", ("*", "**"),
         "no new rule: a / b is a * b**-1; its gradients come from the * and ** rules."),
    Line("backward()", "backward", PRIMITIVES,
         "order the nodes so each comes after the nodes it was computed from (a "
         "depth-first walk that appends a node after visiting its parents, visiting each "
         "node once), set self.grad = 1.0, then call each node's backward_rule in reverse "
         "order: a node passes its gradient on only once all of its uses have added theirs."),
)


def _solution(keys):
    if len(keys) == 1:
        return SOLUTIONS[keys[0]]
    return "\n".join(f"{_METHOD[k]}: {SOLUTIONS[k]}" for k in keys)


LINES = tuple(Line(l.name, l.var, l.deps, l.hint, _solution(l.blank_keys), l.blanks,
                   label=l.name) for l in LINES)

EXERCISE = Exercise(
    "micrograd", "micrograd: the backward rules of Value, and backward() itself",
    "the backward rules of Value (+ * ** tanh exp, then - / from them) and backward() "
    "itself (topological order, accumulation for reused nodes)",
    "micrograd", LINES, SOLUTIONS, BLANKS)


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
        return (_METHOD.get(key, key)) in blanks

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
            blank = next(_METHOD[k] for k in line.blank_keys if method_blank(k))
            answers[op] = Answer("missing", line=methods[blank][0],
                                 message=f"{blank} is still ...")
            continue
        state, value, lineno, msg = attempt(lambda op=op: _derived_row(V, op, _walk))
        first = methods.get(_METHOD[line.blank_keys[-1]], (None,))[0]
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

