"""The micrograd exercise: the backward rules of a scalar ``Value`` and ``backward()``.

The learner's ``Value`` (from the starter) keeps ``data``, ``grad``, ``parents`` and a
``backward_rule`` that each operation sets on its output; rules are static methods,
looked up on the class when an operation runs. This module holds the exercise's rows,
blanks and solutions; ``micrograd_checks`` runs and grades the learner's class.
"""

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
METHODS = {  # the derived operations: blank key -> the method it fills
    "neg": "__neg__", "sub": "__sub__", "truediv": "__truediv__"}

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
    return "\n".join(f"{METHODS[k]}: {SOLUTIONS[k]}" for k in keys)


LINES = tuple(Line(l.name, l.var, l.deps, l.hint, _solution(l.blank_keys), l.blanks,
                   label=l.name) for l in LINES)

EXERCISE = Exercise(
    "micrograd", "micrograd: the backward rules of Value, and backward() itself",
    "the backward rules of Value (+ * ** tanh exp, then - / from them) and backward() "
    "itself (topological order, accumulation for reused nodes)",
    "micrograd", LINES, SOLUTIONS, BLANKS)
