"""draw_dot and save_graph: what the drawn graph says, and what happens without `dot`."""

import math
import re
import shutil
import xml.etree.ElementTree as ET

import pytest

pytest.importorskip("graphviz")


from neuron import LECTURE_NAMES, by_hand, neuron  # noqa: E402

from ninjagrad import Value  # noqa: E402
from ninjagrad.draw.dot import DotNotFoundError, DrawError, draw_dot, save_graph  # noqa: E402
from ninjagrad.graph import topological_order  # noqa: E402

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="graphviz 'dot' not installed")

SVG = "{http://www.w3.org/2000/svg}"


def lecture_neuron():
    """The micrograd lecture's neuron, labelled as in the lecture, after ``o.backward()``."""
    o = neuron()  # the lecture's labels are the default
    o.backward()
    return o


def svg_nodes(svg_text):
    """{title: [texts]} for every node group in an SVG rendered by graphviz."""
    root = ET.fromstring(svg_text)
    nodes = {}
    for group in root.iter(f"{SVG}g"):
        if group.get("class") != "node":
            continue
        title = group.find(f"{SVG}title").text
        nodes[title] = [t.text for t in group.iter(f"{SVG}text")]
    return nodes


def dot_edges(source):
    return set(re.findall(r'^\s*"?([\w]+)"?\s*->\s*"?([\w]+)"?', source, flags=re.M))


@needs_dot
def test_lecture_neuron_svg_shows_label_data_and_grad(tmp_path):
    o = lecture_neuron()
    path = save_graph(draw_dot(o), tmp_path / "neuron.svg")
    records = {texts[0]: texts[1:] for texts in svg_nodes(path.read_text()).values()}
    for label, (data, grad) in by_hand(LECTURE_NAMES).items():
        assert records[label] == [f"data {data:.4f}", f"grad {grad:.4f}"], label
    # The figures the lecture shows, spelled out.
    assert records["o"] == ["data 0.7071", "grad 1.0000"]
    assert records["n"] == ["data 0.8814", "grad 0.5000"]
    assert records["x1"][1] == "grad -1.5000"
    assert records["w1"][1] == "grad 1.0000"
    assert records["x2"][1] == "grad 0.5000"
    assert records["w2"][1] == "grad 0.0000"
    # Op nodes: two products, two sums, one tanh.
    ops = sorted(texts[0] for texts in svg_nodes(path.read_text()).values() if len(texts) == 1)
    assert ops == ["*", "*", "+", "+", "tanh"]


def test_graph_structure_op_nodes_feed_their_output():
    o = lecture_neuron()
    graph = draw_dot(o)
    edges = dot_edges(graph.source)
    seen = []
    stack = [o]
    while stack:
        node = stack.pop()
        seen.append(node)
        if node.parents:
            op_id = f"{id(node)}op"
            assert (op_id, str(id(node))) in edges
            for parent in node.parents:
                assert (str(id(parent)), op_id) in edges
            stack.extend(node.parents)
    assert len(edges) == 5 + 9  # one edge out of each op, one per operand
    assert "rankdir=LR" in graph.source


def test_node_ids_are_per_node_not_per_label():
    a1 = Value(1.0, label="a")
    a2 = Value(1.0, label="a")  # same label and value, still a different node
    s = a1 + a2
    t = s * s  # the same node used twice is drawn once, with two edges into the op
    t.backward()
    graph = draw_dot(t)
    records = re.findall(r"^\s*(\d+) \[label=", graph.source, flags=re.M)
    assert sorted(records) == sorted(str(id(v)) for v in (a1, a2, s, t))
    assert graph.source.count(f'{id(s)} -> "{id(t)}op"') == 2


def test_record_labels_are_escaped_and_small_numbers_not_hidden():
    v = Value(2.0, label='weird {|} <"label">')
    w = v * 1e-7
    w.backward()
    source = draw_dot(w).source
    assert r"weird \{\|\} \<\"label\"\>" in source
    assert "grad 1.0000e-07" in source  # a tiny gradient is not shown as 0.0000


@needs_dot
def test_escaped_label_survives_rendering(tmp_path):
    v = Value(2.0, label='a{|}<"b">')
    svg = save_graph(draw_dot(v), tmp_path / "v.svg").read_text()
    assert [['a{|}<"b">', "data 2.0000", "grad 0.0000"]] == list(svg_nodes(svg).values())


def fill_colors(source):
    return {
        node: color
        for node, color in re.findall(
            r'^\s*(\d+) \[label=.*?fillcolor="(#[0-9a-f]{6})"', source, flags=re.M
        )
    }


def test_color_by_grad_scales_with_abs_grad():
    o = lecture_neuron()
    graph = draw_dot(o, color_by_grad=True)
    colors = fill_colors(graph.source)
    nodes = {n.label: n for n in topological_order(o)}
    assert len(colors) == len(nodes)

    def redness(label):  # white is (255,255,255); hotter means less green and blue
        return 255 - int(colors[str(id(nodes[label]))][3:5], 16)

    assert redness("w2") == 0  # grad 0 -> white
    assert redness("x1") == max(redness(k) for k in nodes)  # |grad| 1.5 is the largest
    assert redness("x1") > redness("o") > redness("n") > redness("w2")  # 1.5 > 1 > 0.5 > 0
    assert redness("n") == redness("b") == redness("x2")  # equal |grad|, equal colour
    assert "fill = |grad|" in graph.source  # the legend names the scale
    assert "|grad| 1.5" in graph.source  # ... and its top


def test_color_by_grad_marks_non_finite_gradients():
    a = Value(1.0, label="a")
    b = a * 2.0
    b.backward()
    a.grad = float("nan")
    colors = fill_colors(draw_dot(b, color_by_grad=True).source)
    assert colors[str(id(a))] not in (colors[str(id(b))], "#ffffff")


def test_without_color_by_grad_nothing_is_filled():
    assert "fillcolor" not in draw_dot(lecture_neuron()).source


def test_rankdir_and_bad_rankdir():
    assert "rankdir=TB" in draw_dot(Value(1.0), rankdir="TB").source
    with pytest.raises(DrawError, match="rankdir"):
        draw_dot(Value(1.0), rankdir="sideways")


class FakeTensor:
    """Anything with .shape is drawn as a tensor (duck typing, no numbers)."""

    def __init__(self, shape, dtype, grad=None, parents=(), op="", label=""):
        self.shape, self.dtype, self.grad = shape, dtype, grad
        self.parents, self.op, self.label = parents, op, label
        self.data = None


def test_tensor_like_nodes_show_shape_and_dtype():
    x = FakeTensor((32, 3), "float32", label="x", grad=FakeTensor((32, 3), "float32"))
    w = FakeTensor((3, 4), "float64", label="w")
    y = FakeTensor((32, 4), "float32", parents=(x, w), op="matmul", label="y")
    source = draw_dot(y).source
    assert "{ x | data (32, 3) float32 | grad (32, 3) }" in source
    assert "{ w | data (3, 4) float64 | grad None }" in source
    assert "label=matmul" in source


def test_real_tensor_graph_shows_shapes():
    ninjagrad = pytest.importorskip("ninjagrad")
    if not hasattr(ninjagrad, "tensor"):
        pytest.skip("the tensor engine has not landed")
    import numpy as np

    x = ninjagrad.tensor(np.ones((2, 3), dtype=np.float32), requires_grad=True)
    y = (x * 2.0).sum()
    y.backward()
    source = draw_dot(y).source
    assert "data (2, 3) float32 | grad (2, 3)" in source
    assert "data () float32" in source
    named = draw_dot(y, labels={"x": x, "loss": y}).source
    assert "{ x | data (2, 3) float32" in named and "{ loss | data () float32" in named


def test_deep_graph_is_drawn_without_recursion_but_huge_ones_need_consent():
    v = Value(0.0)
    for _ in range(5000):
        v = v + 1.0
    with pytest.raises(DrawError, match="10001 nodes, more than max_nodes=5000"):
        draw_dot(v)
    assert draw_dot(v, max_nodes=None).source.count('label="+"') == 5000


@needs_dot
def test_digraph_displays_inline_in_jupyter():
    bundle = draw_dot(lecture_neuron())._repr_mimebundle_()
    assert "image/svg+xml" in bundle
    assert "data 0.7071" in bundle["image/svg+xml"]


@needs_dot
def test_save_png_and_dot(tmp_path):
    graph = draw_dot(lecture_neuron())
    png = save_graph(graph, tmp_path / "n.PNG")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    dot = save_graph(graph, tmp_path / "n.dot")
    assert dot.read_text() == graph.source


def test_dot_source_is_written_without_graphviz(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))  # no `dot` anywhere
    graph = draw_dot(lecture_neuron())
    assert save_graph(graph, tmp_path / "n.gv").read_text() == graph.source


@pytest.mark.parametrize("how", ["no dot on PATH", "graphviz raises ExecutableNotFound"])
def test_missing_dot_writes_source_and_says_how_to_install(tmp_path, monkeypatch, how):
    empty = tmp_path / "empty"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    if how == "graphviz raises ExecutableNotFound":
        # Pretend the lookup succeeds so that graphviz itself fails to run `dot`.
        monkeypatch.setattr("ninjagrad.draw.dot.shutil.which", lambda name: "/usr/bin/dot")
    graph = draw_dot(lecture_neuron())
    with pytest.raises(DotNotFoundError) as info:
        save_graph(graph, tmp_path / "neuron.svg")
    message = str(info.value)
    for hint in ("apt-get install graphviz", "brew install graphviz", "conda"):
        assert hint in message
    assert str(tmp_path / "neuron.dot") in message
    assert (tmp_path / "neuron.dot").read_text() == graph.source
    assert info.value.dot_path == tmp_path / "neuron.dot"
    assert not (tmp_path / "neuron.svg").exists()


def test_unknown_suffix_is_refused(tmp_path):
    with pytest.raises(DrawError, match=r"\.svg, \.png"):
        save_graph(draw_dot(Value(1.0)), tmp_path / "graph.jpeg")
    with pytest.raises(DrawError, match="cannot tell the format"):
        save_graph(draw_dot(Value(1.0)), tmp_path / "graph")


def test_unwritable_path_is_refused(tmp_path):
    with pytest.raises(DrawError, match="does not exist"):
        save_graph(draw_dot(Value(1.0)), tmp_path / "no" / "such" / "graph.dot")
    (tmp_path / "taken.dot").mkdir()  # a directory where the file should go
    with pytest.raises(DrawError, match="cannot write"):
        save_graph(draw_dot(Value(1.0)), tmp_path / "taken.dot")


def edge_labels(source):
    """{(tail, head): [labels]} of every labelled edge in the DOT source."""
    found = {}
    for tail, head, label in re.findall(
        r'^\s*"?(\w+)"?\s*->\s*"?(\w+)"?\s*\[.*?label="((?:[^"\\]|\\.)*)"', source, flags=re.M
    ):
        found.setdefault((tail, head), []).append(label)
    return found


def test_formulas_put_each_local_derivative_on_its_edge():
    o = lecture_neuron()
    n = o.parents[0]
    labels = edge_labels(draw_dot(o, formulas=True).source)
    t = math.tanh(n.data)
    (tanh_label,) = labels[(str(id(n)), f"{id(o)}op")]
    assert tanh_label.startswith(f"∂o/∂n = 1 - out² = 1 - {t:.4f}² = ")
    assert float(tanh_label.rsplit("= ", 1)[1]) == pytest.approx(1 - t * t, abs=5e-5)
    x1w1 = next(p for p in topological_order(o) if p.label == "x1w1")
    x1, w1 = x1w1.parents
    (dx1,) = labels[(str(id(x1)), f"{id(x1w1)}op")]
    (dw1,) = labels[(str(id(w1)), f"{id(x1w1)}op")]
    # d(x1*w1)/dx1 = w1: the formula names the other operand, then gives its value
    assert dx1.startswith("∂x1w1/∂x1 = w1 = ") and dw1.startswith("∂x1w1/∂w1 = x1 = ")
    assert float(dx1.rsplit("= ", 1)[1].strip("()")) == -3.0
    assert float(dw1.rsplit("= ", 1)[1].strip("()")) == 2.0
    assert edge_labels(draw_dot(o).source) == {}  # without formulas, no edge labels


def test_formulas_label_both_edges_of_a_reused_node():
    a = Value(3.0, label="a")
    b = a + a
    b.label = "b"
    labels = edge_labels(draw_dot(b, formulas=True).source)
    assert labels[(str(id(a)), f"{id(b)}op")] == ["∂b/∂a = 1", "∂b/∂a = 1"]


def test_formulas_are_for_value_graphs():
    import ninjagrad as ng

    w = ng.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(DrawError, match="formulas=True draws the local derivatives"):
        draw_dot((w * w).sum(), formulas=True)


@needs_dot
def test_labels_with_entities_show_literally(tmp_path):
    label = "&lt;b&gt; & &amp; α β"  # graphviz would turn &lt; into '<' if not escaped
    v = Value(1.0, label=label)
    svg = save_graph(draw_dot(v), tmp_path / "v.svg").read_text(encoding="utf-8")
    assert list(svg_nodes(svg).values())[0][0].replace(" ", "") == label.replace(" ", "")
    # (graphviz 2.43's record parser drops the spaces next to non-ASCII letters)


@needs_dot
def test_save_leaves_no_temporary_file(tmp_path):
    v = Value(1.0, label="v")
    save_graph(draw_dot(v), tmp_path / "v.svg")
    save_graph(draw_dot(v), tmp_path / "v.svg")  # over an existing file
    assert [f.name for f in tmp_path.iterdir()] == ["v.svg"]
