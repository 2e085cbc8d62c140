"""`ninjagrad graph`: draw an expression's computation graph with its gradients."""

from ninjagrad.errors import NinjagradError

HELP = (
    "draw the computation graph of an expression, with every node's value and gradient, "
    "or play its backpropagation step by step (-o out.html)"
)

EPILOG = """\
example (the lecture's neuron):
  ninjagrad graph "tanh(x1*w1 + x2*w2 + b)" --var x1=2 --var x2=0 --var w1=-3 \\
      --var w2=1 --var b=6.8813735870195432 -o neuron.svg


the same, played step by step in the browser (forward, then each backward rule with its
local derivative; one self-contained page, open it with any browser):
  ninjagrad graph "tanh(x1*w1 + x2*w2 + b)" --var x1=2 --var x2=0 --var w1=-3 \
      --var w2=1 --var b=6.8813735870195432 -o neuron.html

The expression may use numbers, the given variables, + - * / **, unary minus,
parentheses and the functions exp log tanh relu sigmoid. It is parsed, never evaluated
by Python. The output format follows the suffix of -o: .svg, .png, .pdf, .html (need
graphviz's 'dot' program) or .dot (the graph source, no graphviz needed). An expression
that starts with '-' goes after '--':  ninjagrad graph --var x=1 -- "-x*2"
"""


def add_arguments(parser):
    import argparse

    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.epilog = EPILOG
    parser.add_argument("expression", help="the expression, e.g. 'tanh(x1*w1 + b)'")
    parser.add_argument(
        "--var",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a variable's value (repeat for each variable)",
    )
    parser.add_argument(
        "-o", "--output", default="graph.svg", help="output file (default: graph.svg)"
    )
    parser.add_argument(
        "--color-by-grad",
        action="store_true",
        help="fill each node by |grad|, white (0) to red (the largest), with a legend "
        "(static drawings only)",
    )
    parser.add_argument(
        "--formulas",
        action="store_true",
        help="write each local derivative on its edge, e.g. 1 - out² = 0.5 "
        "(static drawings; the .html player always shows them)",
    )
    parser.add_argument(
        "--rankdir", choices=("LR", "TB"), default="LR", help="layout direction (default: LR)"
    )


def parse_vars(items):
    """``['x1=2', 'w1=-3']`` -> ``{'x1': 2.0, 'w1': -3.0}``, refusing anything unclear."""
    import math

    from ninjagrad.cli.expr import check_variable_name

    variables = {}
    for item in items:
        name, sep, text = item.partition("=")
        name = name.strip()
        if not sep:
            raise NinjagradError(f"--var {item!r}: expected NAME=VALUE, e.g. --var x1=2")
        check_variable_name(name)
        if name in variables:
            raise NinjagradError(f"--var {item!r}: {name!r} is given more than once")
        try:
            value = float(text)
        except ValueError:
            raise NinjagradError(f"--var {item!r}: {text.strip()!r} is not a number") from None
        if not math.isfinite(value):
            raise NinjagradError(f"--var {item!r}: the value must be finite")
        variables[name] = value
    return variables


def run(args):
    from pathlib import Path

    from ninjagrad.cli.expr import parse_expression
    from ninjagrad.draw.dot import (
        RENDER_SUFFIXES,
        SOURCE_SUFFIXES,
        DotNotFoundError,
        draw_dot,
        save_graph,
    )
    from ninjagrad.draw.player import PAGE_SUFFIX, play
    from ninjagrad.graph import topological_order

    # Check what can be checked before any work, so a typo costs nothing.
    output = Path(args.output)
    suffixes = RENDER_SUFFIXES + (PAGE_SUFFIX,) + SOURCE_SUFFIXES
    if output.suffix.lower() not in suffixes:
        raise NinjagradError(
            f"cannot tell the format of {args.output!r}: use one of {', '.join(suffixes)}"
        )
    page = output.suffix.lower() == PAGE_SUFFIX
    if page and args.color_by_grad:
        raise NinjagradError(
            "--color-by-grad colours a static drawing (.svg .png .pdf .dot); the .html "
            "player colours the node whose rule runs instead"
        )
    if not output.parent.is_dir():
        raise NinjagradError(
            f"cannot write {args.output!r}: directory {str(output.parent)!r} does not exist"
        )
    variables = parse_vars(args.var)

    expression = parse_expression(args.expression, variables)
    root = expression.root
    try:
        root.backward()
    except (ArithmeticError, ValueError) as exc:
        raise NinjagradError(f"the backward pass failed: {exc}") from None

    missing = None
    try:
        if page:
            written = play(root, rankdir=args.rankdir, title=expression.source).save(output)
        else:
            graph = draw_dot(
                root,
                rankdir=args.rankdir,
                color_by_grad=args.color_by_grad,
                formulas=args.formulas,
            )
            written = save_graph(graph, output)
    except DotNotFoundError as exc:
        missing = exc
    else:
        print(f"wrote {written}")
    print(f"{expression.source} = {root.data:.6g}")
    used = {id(node) for node in topological_order(root)}
    width = max((len(name) for name in expression.variables), default=0)
    for name, leaf in expression.variables.items():
        unused = "" if id(leaf) in used else "  (not in the expression)"
        print(f"  {name:<{width}} = {leaf.data:<10.6g} grad {leaf.grad:.6g}{unused}")
    if missing is not None:
        raise missing
    return 0
