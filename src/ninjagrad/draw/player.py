"""The backprop player: one self-contained HTML page that plays backpropagation step by step.

``play(root)`` records the forward and backward steps in Python (``ninjagrad.draw.steps``),
draws the graph with graphviz, and returns a ``Player``: ``.save("out.html")`` writes the
page, and in Jupyter it displays inline (an iframe). The page holds the SVG, the recorded
steps as JSON, and a small script and style sheet (``player.js``, ``player.css`` beside
this file), so it needs no network when it is opened.

Text from the graph (labels, formulas) reaches the page in three ways, each escaped: in the
SVG (escaped for graphviz, which writes XML entities), in the JSON (with ``<``, ``>`` and
``&`` as ``\\u`` escapes, so no ``</script>`` can end the block), and from the script
only through ``textContent``.
"""

import html
import json
import re
from importlib import resources
from pathlib import Path

from ninjagrad.draw.dot import (
    INSTALL_HINT,
    DotNotFoundError,
    DrawError,
    _escape_text,
    _write,
    draw_dot,
)
from ninjagrad.graph import topological_order

#: The suffix of the player's page (``ninjagrad graph -o out.html``).
PAGE_SUFFIX = ".html"

#: Graphs with more nodes than this get the static drawing and a message instead. The
#: lecture's MLP(3, [4, 4, 1]) loss over its four examples (about 370 nodes) still plays.
MAX_PLAY_NODES = 500


def play(root, labels=None, max_nodes=MAX_PLAY_NODES, rankdir="LR", precision=4, title=None):
    """Return a ``Player`` that plays backpropagation through ``root``'s graph.

    ``root`` is a ``Value`` or a ``Tensor``. The page shows the forward pass (each node
    gets its value, in topological order), then ``backward()``: the root's grad is set to
    1 and each node's backward rule runs in reverse topological order. For a ``Value`` the
    rule's local derivative is shown as a formula with the numbers put in and each
    parent's update as ``grad += local × upstream``; for a ``Tensor`` the gradient's shape
    and norm. The gradients are those of a fresh ``root.backward()``; the graph's own
    grads are left as they were.

    ``labels`` (name -> node) names nodes without a ``.label``; others are named ``#i``,
    their position in topological order. A graph with more than ``max_nodes`` nodes is
    not played: the page says so and shows the static drawing (``draw_dot``).
    ``rankdir`` and ``precision`` are as for ``draw_dot``; ``title`` names the page.
    """
    from ninjagrad.draw import steps as recorder
    from ninjagrad.scalar.value import Value

    is_tensor = hasattr(root, "shape") and hasattr(root, "parents")
    if not is_tensor and not isinstance(root, Value):
        raise DrawError(f"play() needs a Value or a Tensor, got {type(root).__name__}")
    if max_nodes is not None and (type(max_nodes) is not int or max_nodes < 1):
        raise DrawError(f"max_nodes must be a positive int or None, got {max_nodes!r}")
    order = topological_order(root)
    title = str(title) if title is not None else _default_title(order, labels)
    if max_nodes is not None and len(order) > max_nodes:
        return _static_player(root, order, labels, max_nodes, rankdir, precision, title)
    if is_tensor:
        recording = recorder.record_tensors(root, labels)
    else:
        recording = recorder.record_values(root, labels, precision)
    svg = _render(_player_graph(recording, rankdir))
    return Player(title, svg, recording=recording)


class Player:
    """A backprop player page: ``save(path)`` writes it; Jupyter shows it inline.

    ``recording`` holds the nodes and steps (``ninjagrad.draw.steps.Recording``), or is
    None when the graph was too large to play and the page shows the static drawing with
    ``message``.
    """

    def __init__(self, title, svg, recording=None, message=None, node_count=None):
        self.title = title
        self.svg = svg
        self.recording = recording
        self.message = message
        self.node_count = len(recording.nodes) if recording is not None else node_count

    @property
    def steps(self):
        return self.recording.steps if self.recording is not None else ()

    def __repr__(self):
        if self.recording is None:
            return f"Player({self.node_count} nodes, too many to play: static drawing)"
        nodes = "1 node" if self.node_count == 1 else f"{self.node_count} nodes"
        return f"Player({nodes}, {len(self.steps)} steps)"

    def to_html(self):
        """The whole page, as a string."""
        css = _asset("player.css")
        head = (
            '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>{html.escape(self.title)}</title>\n<style>\n{css}</style>\n</head>\n"
        )
        if self.recording is None:
            body = (
                f'<body>\n<div class="ng-player">\n<div class="ng-message" id="ng-message">'
                f"{html.escape(self.message)}</div>\n"
                f'<div class="ng-graph">\n{self.svg}\n</div>\n</div>\n</body>\n</html>\n'
            )
            return head + body
        return head + _PLAYER_BODY.format(
            title=html.escape(self.title),
            last=len(self.steps) - 1,
            svg=self.svg,
            data=_script_json(_payload(self.recording)),
            js=_asset("player.js"),
        )

    def save(self, path):
        """Write the page to ``path`` (written whole, then renamed into place); returns it."""
        path = Path(path)
        _write(path, self.to_html().encode("utf-8"))
        return path

    def _repr_html_(self):
        # An iframe keeps each player's script, ids and keys to itself in a notebook;
        # sandbox lets the script run but not touch the notebook.
        height = max(320, min(1000, _svg_height_px(self.svg) + 250))
        return (
            f'<iframe srcdoc="{html.escape(self.to_html(), quote=True)}" '
            f'sandbox="allow-scripts" title="{html.escape(self.title, quote=True)}" '
            f'style="width: 100%; height: {height}px; border: 1px solid #d8dee4; '
            'border-radius: 8px"></iframe>'
        )


_PLAYER_BODY = """\
<body>
<div class="ng-player">
<div class="ng-bar">
<button id="ng-reset" title="back to the start (Home)">|◀</button>
<button id="ng-prev" title="previous step (←)">◀</button>
<button id="ng-play" title="play or pause (space)">▶ play</button>
<button id="ng-next" title="next step (→)">▶</button>
<button id="ng-end" title="to the end (End)">▶|</button>
<input id="ng-slider" type="range" min="0" max="{last}" value="0" aria-label="step">
<span id="ng-counter">step 0 / {last}</span>
</div>
<div class="ng-panel">
<div class="ng-head"><span id="ng-phase" class="ng-phase">start</span>
<span id="ng-title">{title}</span></div>
<div id="ng-detail"></div>
</div>
<div class="ng-graph">
{svg}
</div>
<div class="ng-keys">keys: ← → step, space play/pause, Home/End. \
Open at a step with #step=N or #step=end.</div>
</div>
<script type="application/json" id="ng-data">{data}</script>
<script>
{js}</script>
</body>
</html>
"""


def _default_title(order, labels):
    from ninjagrad.draw.steps import node_names

    return f"backprop through {node_names(order, labels)[-1]}"


def _static_player(root, order, labels, max_nodes, rankdir, precision, title):
    """The too-large fallback: the final drawing and a message saying why."""
    from ninjagrad.draw.steps import fresh_backward

    message = (
        f"This graph has {len(order):,} nodes, more than the player's limit of "
        f"{max_nodes:,}, so it is not played step by step. Below is the static drawing "
        "with the gradients of a full backward pass. Play a smaller part of the graph, "
        "or pass a larger max_nodes to play() (the page gets slow)."
    )
    if hasattr(root, "shape"):  # a tensor graph is drawn with the grads it has
        svg = _render(draw_dot(root, rankdir=rankdir, precision=precision, labels=labels))
    else:
        with fresh_backward(root, order):
            graph = draw_dot(root, rankdir=rankdir, precision=precision, labels=labels)
            svg = _render(graph)  # rendered here: the drawing reads the grads it shows
    return Player(title, svg, message=message, node_count=len(order))


def _player_graph(recording, rankdir):
    """The drawing the page animates: ids on every node, op and edge for the script."""
    import graphviz

    if rankdir not in ("LR", "TB", "RL", "BT"):
        raise DrawError(f"rankdir must be one of LR, TB, RL, BT, not {rankdir!r}")
    layout = {"rankdir": rankdir, "bgcolor": "transparent", "nodesep": "0.2", "ranksep": "0.35"}
    dot = graphviz.Digraph(graph_attr=layout)
    dot.attr("node", fontname="Helvetica", fontsize="12", margin="0.05,0.03")
    dot.attr("edge", color="#57606a", arrowsize="0.7")
    for i, node in enumerate(recording.nodes):
        # Laid out with the widest text each field will show, so no text outgrows its box.
        # An HTML-like table, not a record: graphviz's record parser drops spaces next to
        # non-ASCII letters ('α β' became 'αβ').
        label = (
            '<<TABLE BORDER="0" CELLBORDER="1" CELLSPACING="0" CELLPADDING="3">'
            f"<TR><TD>{_html_text(node.name)}</TD></TR>"
            f"<TR><TD>{_html_text('data ' + node.data)}</TD></TR>"
            f"<TR><TD>{_html_text('grad ' + node.grad)}</TD></TR></TABLE>>"
        )
        dot.node(f"n{i}", label=label, shape="plain", id=f"ng-node-{i}")
        if node.op:
            dot.node(f"n{i}op", label=_escape_text(node.op), shape="ellipse", id=f"ng-op-{i}")
            dot.edge(f"n{i}op", f"n{i}", id=f"ng-edge-{i}-out")
            for k, parent in enumerate(node.parents):
                dot.edge(f"n{parent}", f"n{i}op", id=f"ng-edge-{i}-{k}")
    return dot


def _html_text(text):
    """Text inside a graphviz HTML-like label, shown literally (graphviz reads entities)."""
    text = html.escape(str(text), quote=False).replace('"', "&quot;").replace("'", "&#39;")
    return text.replace("\\", "&#92;").replace("\n", " ").replace("\r", " ")


def _render(graph):
    """The SVG element alone (no XML prolog, doctype or comments), ready to inline."""
    import graphviz

    try:
        svg = graph.pipe(format="svg").decode("utf-8")
    except graphviz.ExecutableNotFound:
        raise DotNotFoundError(f"cannot make the player page: {INSTALL_HINT}") from None
    except graphviz.CalledProcessError as exc:
        stderr = (exc.stderr or b"").decode("utf-8", "replace").strip()
        raise DrawError(f"graphviz failed to draw the graph: {stderr}") from None
    svg = svg[svg.index("<svg"):]
    # comments and <title>s carry graphviz's node ids (n3, n3op): tooltips that mean nothing
    return re.sub(r"<!--.*?-->\n?|<title>.*?</title>\n?", "", svg, flags=re.S).strip()


def _svg_height_px(svg):
    match = re.search(r'<svg[^>]*\sheight="([\d.]+)pt"', svg)
    return int(float(match.group(1)) * 4 / 3) if match else 400


def _payload(recording):
    return {
        "kind": recording.kind,
        "nodes": [{"name": n.name, "parents": list(n.parents)} for n in recording.nodes],
        "steps": [
            {
                "kind": s.kind,
                "node": s.node,
                "title": s.title,
                "lines": [list(line) for line in s.lines],
                "changes": [list(change) for change in s.changes],
                "receivers": list(s.receivers),
            }
            for s in recording.steps
        ],
    }


def _script_json(data):
    """JSON that is safe inside <script>: no '<', '>' or '&' can start markup there."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    for ch, escaped in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"),
                        ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
        text = text.replace(ch, escaped)
    return text


def _asset(name):
    return resources.files("ninjagrad.draw").joinpath(name).read_text(encoding="utf-8")
