"""Draw a computation graph with graphviz: one record per node, one small node per op.

``draw_dot(root)`` works for both engines. A scalar ``Value`` shows ``label | data | grad``;
anything with a ``.shape`` (a ``Tensor``) shows its shape and dtype instead of its numbers.
``save_graph(graph, path)`` renders by the file's suffix and, when graphviz's ``dot``
program is missing, still writes the DOT source and says how to install graphviz.

The ``graphviz`` package is imported only inside these functions, so the engines never pay
for it.
"""

import math
import shutil
from pathlib import Path

from ninjagrad.draw.formulas import formula_text
from ninjagrad.errors import NinjagradError
from ninjagrad.files import write_atomically
from ninjagrad.graph import topological_order

#: Suffixes ``save_graph`` understands; everything but ``.dot``/``.gv`` needs ``dot``.
RENDER_SUFFIXES = (".svg", ".png", ".pdf")
SOURCE_SUFFIXES = (".dot", ".gv")

# Colour scale for color_by_grad: |grad| / max|grad| goes from white (0) to GRAD_HOT (max).
GRAD_COLD = (255, 255, 255)
GRAD_HOT = (214, 39, 40)
NOT_FINITE_COLOR = "#b39ddb"  # a nan or infinite gradient stands out in violet

INSTALL_HINT = (
    "graphviz's 'dot' program is not installed (the Python package alone cannot render). "
    "Install it with 'sudo apt-get install graphviz' (Debian/Ubuntu), "
    "'brew install graphviz' (macOS) or 'conda install -c conda-forge graphviz'."
)


class DrawError(NinjagradError):
    """A graph that cannot be drawn or saved as asked (bad suffix, unwritable file)."""


class DotNotFoundError(DrawError):
    """graphviz's ``dot`` program is missing; ``dot_path`` is where the DOT source went."""

    def __init__(self, message, dot_path=None):
        super().__init__(message)
        self.dot_path = dot_path


def draw_dot(
    root,
    format="svg",
    rankdir="LR",
    color_by_grad=False,
    precision=4,
    labels=None,
    max_nodes=5000,
    formulas=False,
):
    """Return a ``graphviz.Digraph`` of every node that ``root`` was computed from.

    Each node is a record ``label | data ... | grad ...``; each operation is a small
    ellipse (``+``, ``*``, ``tanh``, ...) with edges from its operands into it and from it
    into its result. Nodes with a ``.shape`` (tensors) show ``shape dtype`` in place of the
    data and the gradient's shape (or ``None``) in place of the gradient.

    ``format`` is the graphviz output format used by ``render``/``pipe`` and by Jupyter's
    inline display; ``rankdir`` is ``'LR'`` (left to right) or ``'TB'``.
    ``color_by_grad=True`` fills each record by ``|grad| / max |grad|`` over the graph, from
    white (no gradient) to red (the largest), adds a legend with the scale, and marks nan or
    infinite gradients in violet. For tensors the largest absolute entry of the gradient
    is used. ``precision`` is the number of decimals shown for scalars.
    ``labels`` (a mapping ``name -> node``, e.g. a dict of intermediates) names nodes that
    have no ``.label`` of their own, such as tensors. Graphs with more than ``max_nodes``
    nodes are refused (``dot`` would take minutes and the picture is unreadable); pass
    ``max_nodes=None`` to draw them anyway.
    ``formulas=True`` (``Value`` graphs) writes on each edge into an op its local
    derivative, the formula and its value with the numbers put in, e.g.
    ``∂o/∂n = 1 - out² = 1 - 0.7071² = 0.5`` (from
    ``ninjagrad.scalar.value.local_derivatives``).
    """
    import graphviz

    if rankdir not in ("LR", "TB", "RL", "BT"):
        raise DrawError(f"rankdir must be one of LR, TB, RL, BT, not {rankdir!r}")
    nodes = topological_order(root)
    if formulas and hasattr(root, "shape"):
        raise DrawError(
            "formulas=True draws the local derivatives of a Value graph; tensor graphs "
            "have no per-edge scalar formula (draw without formulas)"
        )
    if max_nodes is not None and len(nodes) > max_nodes:
        raise DrawError(
            f"the graph has {len(nodes)} nodes, more than max_nodes={max_nodes}; draw a "
            "smaller part of it, or pass max_nodes=None to draw it anyway"
        )
    names = {id(node): str(name) for name, node in (labels or {}).items()}
    dot = graphviz.Digraph(format=format, graph_attr={"rankdir": rankdir})
    dot.attr("node", fontname="Helvetica", fontsize="11")

    magnitudes = {id(n): _grad_magnitude(n) for n in nodes} if color_by_grad else {}
    finite = [m for m in magnitudes.values() if m is not None and math.isfinite(m)]
    largest = max(finite, default=0.0)

    for node in nodes:
        uid = str(id(node))
        attrs = {}
        if color_by_grad:
            attrs = {"style": "filled", "fillcolor": _grad_color(magnitudes[id(node)], largest)}
        label = names.get(id(node)) or getattr(node, "label", "") or ""
        dot.node(uid, label=_record_label(node, label, precision), shape="record", **attrs)
        op = _op_name(node)
        if op:
            dot.node(uid + "op", label=op, shape="ellipse")
            dot.edge(uid + "op", uid)
            edge_labels = _formula_labels(node, names, label) if formulas else {}
            for k, parent in enumerate(node.parents):
                dot.edge(str(id(parent)), uid + "op", **edge_labels.get(k, {}))
        else:
            # A node without an op but with parents is unusual; still show where it came from.
            for parent in node.parents:
                dot.edge(str(id(parent)), uid)

    if color_by_grad:
        _add_legend(dot, largest)
    return dot


def save_graph(graph, path):
    """Write ``graph`` (a ``graphviz.Digraph``) to ``path``, the format chosen by its suffix.

    ``.svg``, ``.png`` and ``.pdf`` are rendered with graphviz's ``dot`` program; ``.dot``
    and ``.gv`` get the DOT source itself. Returns the path written. When ``dot`` is
    missing, the DOT source is written next to ``path`` (same name, suffix ``.dot``) and
    ``DotNotFoundError`` says where it went and how to install graphviz.
    """
    import graphviz

    path = Path(path)
    suffix = path.suffix.lower()
    if suffix in SOURCE_SUFFIXES:
        _write(path, graph.source.encode("utf-8"))
        return path
    if suffix not in RENDER_SUFFIXES:
        known = ", ".join(RENDER_SUFFIXES + SOURCE_SUFFIXES)
        raise DrawError(f"cannot tell the format of {str(path)!r}: use one of {known}")
    if shutil.which("dot") is None:
        raise _missing_dot(graph, path)
    try:
        data = graph.pipe(format=suffix[1:])
    except graphviz.ExecutableNotFound:
        raise _missing_dot(graph, path) from None
    except graphviz.CalledProcessError as exc:
        stderr = (exc.stderr or b"").decode("utf-8", "replace").strip()
        raise DrawError(f"graphviz failed to render {str(path)!r}: {stderr}") from None
    _write(path, data)
    return path


def _missing_dot(graph, path):
    dot_path = path.with_suffix(".dot")
    _write(dot_path, graph.source.encode("utf-8"))
    return DotNotFoundError(
        f"cannot render {str(path)!r}: {INSTALL_HINT} The DOT source was written to "
        f"{str(dot_path)!r}; render it later with 'dot -T{path.suffix[1:].lower()} "
        f"{dot_path} -o {path}'.",
        dot_path=dot_path,
    )


def _write(path, data):
    """Write ``data`` to ``path`` atomically (``ninjagrad.files``)."""
    path = Path(path)
    if not path.parent.is_dir():
        raise DrawError(
            f"cannot write {str(path)!r}: directory {str(path.parent)!r} does not exist"
        )
    write_atomically(path, lambda f: f.write(data), "file", DrawError)


def _formula_labels(node, names, label):
    """{operand position: edge attributes} with each parent's local derivative."""
    from ninjagrad.scalar import value as value_module  # looked up on call: one definition

    def name(p):
        return names.get(id(p)) or p.label or "?"

    operands = [name(p) for p in node.parents]
    labels = {}
    for k, term in enumerate(value_module.local_derivatives(node)):
        text = formula_text(label or "out", name(term.parent), term, operands)
        labels[k] = {"label": _escape_text(text), "fontsize": "9", "fontcolor": "#b45309"}
    return labels


def _op_name(node):
    op = getattr(node, "op", "") or ""
    if not isinstance(op, str):  # e.g. a Function class recorded as the op
        op = getattr(op, "__name__", None) or type(op).__name__
    return op


def _record_label(node, label, precision):
    label = _escape(str(label))
    if hasattr(node, "shape"):
        data = f"{_shape(node.shape)} {_dtype(node)}"
        grad = node.grad
        grad_text = "None" if grad is None else _shape(getattr(grad, "shape", ()))
    else:
        data = _number(node.data, precision)
        grad_text = _number(node.grad, precision)
    return f"{{ {label} | data {_escape(data)} | grad {_escape(grad_text)} }}"


def _shape(shape):
    return "(" + ", ".join(str(int(d)) for d in shape) + ")"


def _dtype(node):
    dtype = getattr(node, "dtype", None)
    if dtype is None:
        dtype = getattr(getattr(node, "data", None), "dtype", "")
    return getattr(dtype, "name", str(dtype))  # 'float32', not the repr 'ninjagrad.float32'


def _number(x, precision):
    x = float(x)
    # Fixed point reads like the lecture; tiny or huge numbers switch to exponent form
    # so that a small but non-zero gradient is not shown as 0.0000.
    if x == 0 or not math.isfinite(x) or 10.0**-precision <= abs(x) < 1e6:
        return f"{x:.{precision}f}"
    return f"{x:.{precision}e}"


def _escape(text):
    # graphviz reads entities (&lt;) in every label: '&' first, so a label shows literally.
    text = text.replace("&", "&amp;")
    # Characters with a meaning inside graphviz record labels.
    for ch in '\\{}|<>"':
        text = text.replace(ch, "\\" + ch)
    return text.replace("\n", " ")


def _escape_text(text):
    """A plain (non-record) label shown literally: no entities, escapes or HTML label."""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ")


def _grad_magnitude(node):
    grad = getattr(node, "grad", None)
    if grad is None:
        return None
    if hasattr(node, "shape"):
        import numpy as np

        values = np.abs(np.asarray(getattr(grad, "data", grad), dtype=np.float64))
        if values.size == 0:
            return 0.0
        return float("nan") if not np.isfinite(values).all() else float(values.max())
    return abs(float(grad))


def _grad_color(magnitude, largest):
    if magnitude is None:
        return "white"
    if not math.isfinite(magnitude):
        return NOT_FINITE_COLOR
    t = magnitude / largest if largest > 0 else 0.0
    return _mix(t)


def _mix(t):
    rgb = (round(c0 + (c1 - c0) * t) for c0, c1 in zip(GRAD_COLD, GRAD_HOT, strict=True))
    return "#" + "".join(f"{c:02x}" for c in rgb)


def _add_legend(dot, largest):
    with dot.subgraph(name="cluster_legend") as legend:
        legend.attr(label="fill = |grad|", fontname="Helvetica", fontsize="10", style="dashed")
        for i, t in enumerate((0.0, 0.5, 1.0)):
            legend.node(
                f"legend{i}",
                label=f"|grad| {t * largest:.3g}",
                shape="box",
                style="filled",
                fillcolor=_mix(t),
                fontsize="9",
            )
        legend.node(
            "legend_nan",
            label="nan / inf",
            shape="box",
            style="filled",
            fillcolor=NOT_FINITE_COLOR,
            fontsize="9",
        )
