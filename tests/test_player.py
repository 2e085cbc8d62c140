"""The backprop player, in Python: the recorded steps and the page they go into.

The page itself is tested in a real browser by tests/test_player_browser.py.
"""

import html
import json
import math
import re
import shutil

import numpy as np
import pytest

pytest.importorskip("graphviz")

from neuron import FORMULA_NAMES, by_hand, neuron  # noqa: E402

import ninjagrad  # noqa: E402
from ninjagrad import Value  # noqa: E402
from ninjagrad.draw import Player, play  # noqa: E402
from ninjagrad.draw.dot import DrawError  # noqa: E402
from ninjagrad.draw.steps import record_tensors, record_values  # noqa: E402
from ninjagrad.graph import topological_order  # noqa: E402
from ninjagrad.scalar import value as value_module  # noqa: E402
from ninjagrad.scalar.nn import MLP  # noqa: E402

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="graphviz 'dot' not installed")


def lecture_neuron():
    """The micrograd lecture's neuron, its inner nodes labelled by what they compute (the
    formulas then read ``∂(x1*w1)/∂x1``); no backward yet."""
    return neuron(FORMULA_NAMES)


# --------------------------------------------------------------------------- recording
def test_steps_are_start_forward_seed_backward_in_topological_order():
    o = lecture_neuron()
    order = topological_order(o)
    steps = play(o).steps
    n = len(order)
    assert [s.kind for s in steps] == ["start"] + ["forward"] * n + ["seed"] + ["backward"] * n
    assert [s.node for s in steps[1 : n + 1]] == list(range(n))  # forward: topological order
    assert steps[n + 1].node == n - 1  # the seed is the root, last in topological order
    assert [s.node for s in steps[n + 2 :]] == list(reversed(range(n)))


def test_final_grads_are_the_lectures_and_the_graph_is_left_alone():
    o = lecture_neuron()
    order = topological_order(o)
    recording = play(o).recording
    expected = by_hand(FORMULA_NAMES)
    for node, info, grad in zip(order, recording.nodes, recording.grads, strict=True):
        data, dgrad = expected[node.label]
        assert info.name == node.label
        assert float(info.data) == pytest.approx(data, abs=5e-5)
        assert grad == pytest.approx(dgrad, abs=1e-12)
        assert node.grad == 0.0  # play() put back the grads it found (none yet)
    o.backward()
    before = [node.grad for node in order]
    play(o)
    assert [node.grad for node in order] == before  # and the grads of a backward() too


def test_tanh_step_shows_the_formula_with_numbers_and_the_update():
    o = lecture_neuron()
    steps = play(o).steps
    seed = next(i for i, s in enumerate(steps) if s.kind == "seed")
    tanh_step = steps[seed + 1]
    assert tanh_step.title == "backward rule of o = tanh(n)"
    text = [line for _, line in tanh_step.lines]
    assert text[0] == "∂o/∂n = 1 - out² = 1 - 0.7071² = 0.5"
    assert text[1].startswith("n.grad += 0.5 × 1.0")
    (update,) = tanh_step.updates
    assert (update.before, update.upstream) == (0.0, 1.0)
    assert update.after == pytest.approx(1 - math.tanh(0.8813735870195432) ** 2)


def test_formulas_name_the_operands():
    o = lecture_neuron()
    steps = play(o).steps
    rule = next(s for s in steps if s.title == "backward rule of x1*w1 = x1 * w1")
    formulas = [text for style, text in rule.lines if style == "formula"]
    assert formulas == ["∂(x1*w1)/∂x1 = w1 = (-3)", "∂(x1*w1)/∂w1 = x1 = 2"]


def test_reused_node_accumulates_two_updates():
    a = Value(3.0, label="a")
    b = a + a
    b.label = "b"
    steps = play(b).steps
    rule = next(s for s in steps if s.kind == "backward" and s.node == 1)
    assert [(u.parent, u.before, u.after) for u in rule.updates] == [(0, 0.0, 1.0), (0, 1.0, 2.0)]
    updates = [line for style, line in rule.lines if style == "update"]
    assert updates == ["a.grad += 1.0 × 1.0   (0.0 → 1.0)", "a.grad += 1.0 × 1.0   (1.0 → 2.0)"]
    leaf = next(s for s in steps if s.kind == "backward" and s.node == 0)
    assert "the sum of the 2 updates" in leaf.lines[0][1]


@pytest.mark.parametrize("seed", range(3))
def test_replayed_grads_equal_backward_on_an_mlp_loss(seed):
    import random

    random.seed(seed)
    model = MLP(3, [4, 4, 1], nonlin="tanh")
    xs = [[2.0, 3.0, -1.0], [3.0, -1.0, 0.5], [0.5, 1.0, 1.0], [1.0, 1.0, -1.0]]
    ys = [1.0, -1.0, -1.0, 1.0]
    loss = sum((model(x) - y) ** 2 for x, y in zip(xs, ys, strict=True)) / 4
    loss = loss + (loss.exp().log() - loss).relu() + loss.sigmoid() * 0  # every op once
    order = topological_order(loss)
    recording = record_values(loss)
    loss.backward()  # the engine, from zero grads (none were set before)
    assert list(recording.grads) == pytest.approx(
        [node.grad for node in order], rel=1e-12, nan_ok=True
    )
    assert sum(s.kind == "backward" for s in recording.steps) == len(order)


def test_local_derivatives_that_disagree_with_the_engine_are_refused(monkeypatch):
    real = value_module.local_derivatives

    def off_by_one(node):
        return [t._replace(value=t.value + 1.0) if node.op == "tanh" else t for t in real(node)]

    monkeypatch.setattr(value_module, "local_derivatives", off_by_one)
    with pytest.raises(DrawError, match=r"internal error: replaying .* gives \w+\.grad"):
        play(lecture_neuron())


def test_a_local_derivative_of_zero_masks_an_infinite_gradient():
    # relu(x) at x < 0 has local derivative 0; 0 × inf must not turn into nan (engine: 0)
    x = Value(-1.0, label="x")
    y = x.relu() * math.inf
    y.label = "y"
    recording = record_values(y)
    assert recording.grads[0] == 0.0  # x, first in topological order
    y.backward()
    assert x.grad == 0.0


def test_unlabeled_nodes_are_named_by_position_or_by_labels():
    x = Value(2.0)
    y = x * 3
    p = play(y, labels={"input": x})
    names = [n.name for n in p.recording.nodes]
    assert names == ["#0", "input", "#2"] or names == ["input", "#1", "#2"]
    assert p.steps[-1].title.startswith(("#0 is a leaf", "input is a leaf"))


# --------------------------------------------------------------------------- tensors
def test_tensor_steps_show_shapes_and_gradient_norms_like_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    xs, ws = rng.standard_normal((4, 3)), rng.standard_normal((3, 2))
    x = ninjagrad.tensor(xs)
    W = ninjagrad.tensor(ws, requires_grad=True)
    h = (x @ W).tanh()
    loss = (h * h).sum()
    recording = record_tensors(loss, labels={"x": x, "W": W, "h": h, "loss": loss})
    names = [n.name for n in recording.nodes]

    tx, tW = torch.tensor(xs), torch.tensor(ws, requires_grad=True)
    tpre = tx @ tW
    th = tpre.tanh()
    tsq = th * th
    tloss = tsq.sum()
    for t in (tpre, th, tsq):
        t.retain_grad()
    tloss.backward()
    torch_grads = {"W": tW.grad, "h": th.grad, "loss": torch.ones(())}
    for name, tgrad in torch_grads.items():
        shape_text, norm_text = recording.nodes[names.index(name)].grad.split(" ‖g‖ ")
        assert shape_text == str(tuple(tgrad.shape))
        assert float(norm_text) == pytest.approx(float(tgrad.norm()), abs=5e-5)
        got = recording.grads[names.index(name)]
        np.testing.assert_allclose(got, tgrad.numpy(), rtol=1e-12)
    assert recording.nodes[names.index("x")].grad == "None"  # x does not require grad
    assert recording.nodes[names.index("W")].data == "(3, 2) float64"
    assert W.grad is None and h.grad is None  # the graph's grads were put back


def test_tensor_backward_steps_run_in_reverse_topological_order():
    W = ninjagrad.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    out = (W * W).sum()
    p = play(out, labels={"W": W, "out": out})
    order = topological_order(out)
    backward = [s for s in p.steps if s.kind == "backward"]
    assert [s.node for s in backward] == list(reversed(range(len(order))))
    assert backward[-1].title == "W is a leaf: its gradient is final"
    # d(sum W²)/dW = 2W: norm of [[2, 4], [6, 8]] = sqrt(120)
    assert p.recording.nodes[0].grad == f"(2, 2) ‖g‖ {math.sqrt(120):.4f}"


def test_tensor_graph_without_requires_grad_is_refused():
    x = ninjagrad.tensor([1.0, 2.0])
    with pytest.raises(DrawError, match="does not require grad"):
        play((x * 2).sum())


# --------------------------------------------------------------------------- the page
@needs_dot
def test_page_is_self_contained():
    page = play(lecture_neuron()).to_html()
    assert page.startswith("<!DOCTYPE html>")
    assert "<?xml" not in page and "<!--" not in page
    # nothing is fetched: no src/href attributes, no <link>, no url(); the only http text
    # left is the SVG namespace names, which are identifiers, not downloads
    assert not re.search(r"\s(src|href|xlink:href)\s*=", page)
    assert "<link" not in page and "url(" not in page and "@import" not in page
    assert set(re.findall(r"https?://[^\s\"'<>]+", page)) <= {
        "http://www.w3.org/2000/svg", "http://www.w3.org/1999/xlink"
    }
    assert page.count("<script") == 2  # the JSON data and the player's script, both inline


@needs_dot
def test_hostile_labels_cannot_leave_the_json_or_the_svg_text():
    evil = '</script><script>alert("x")</script> & <img src=x onerror=alert(1)> \u2028 é'
    x = Value(1.0, label=evil)
    y = x * 2
    y.label = "y"
    page = play(y).to_html()
    assert page.count("<script") == 2 and page.count("</script>") == 2
    assert "<img" not in page
    data = page.split('<script type="application/json" id="ng-data">')[1].split("</script>")[0]
    names = [node["name"] for node in json.loads(data)["nodes"]]
    assert evil in names  # the JSON still carries it exactly


@needs_dot
def test_repr_html_is_a_sandboxed_iframe_holding_the_page():
    p = play(lecture_neuron())
    assert isinstance(p, Player)
    frame = p._repr_html_()
    assert frame.startswith("<iframe srcdoc=\"") and 'sandbox="allow-scripts"' in frame
    srcdoc = frame.split('srcdoc="')[1].split('" sandbox=')[0]
    assert '"' not in srcdoc and "<" not in srcdoc  # all escaped inside the attribute
    assert html.unescape(srcdoc) == p.to_html()
    assert repr(p) == "Player(10 nodes, 22 steps)"


@needs_dot
def test_save_writes_the_page_and_reports_a_missing_directory(tmp_path):
    p = play(lecture_neuron())
    out = p.save(tmp_path / "neuron.html")
    assert out.read_text(encoding="utf-8") == p.to_html()
    assert [f.name for f in tmp_path.iterdir()] == ["neuron.html"]  # no temporary left over
    with pytest.raises(DrawError, match="does not exist"):
        p.save(tmp_path / "missing" / "neuron.html")


@needs_dot
def test_too_large_graph_gets_the_static_drawing_and_a_message():
    x = Value(0.5, label="x")
    y = x
    for _ in range(30):
        y = y * x + 1
    y.label = "y"
    order = topological_order(y)
    p = play(y, max_nodes=50)
    assert p.recording is None and p.steps == ()
    assert repr(p) == f"Player({len(order)} nodes, too many to play: static drawing)"
    page = html.unescape(p.to_html())
    assert f"This graph has {len(order)} nodes, more than the player's limit of 50" in page
    assert "<script" not in page and "<svg" in page
    # the drawing shows the gradient of a full backward pass, and the graph is unchanged
    y.backward()
    assert f"grad {x.grad:.4f}" in page.replace("&#45;", "-")
    assert play(y, max_nodes=None).recording is not None  # None plays any size


def test_bad_arguments_are_refused():
    with pytest.raises(DrawError, match="needs a Value or a Tensor, got float"):
        play(1.5)
    with pytest.raises(DrawError, match="max_nodes must be a positive int"):
        play(Value(1.0), max_nodes=0)


def test_a_single_leaf_plays_in_four_steps():
    x = Value(2.0, label="x")
    p = play(x)
    assert repr(p) == "Player(1 node, 4 steps)"
    assert [s.kind for s in p.steps] == ["start", "forward", "seed", "backward"]
    assert p.recording.grads == (1.0,)  # d x / d x
    assert "set when backward() began" in p.steps[-1].lines[0][1]
    t = ninjagrad.tensor([3.0, 4.0], requires_grad=True)
    q = play(t, labels={"t": t})
    assert q.steps[2].title == "backward() begins: t.grad = ones(2,)"
    np.testing.assert_array_equal(q.recording.grads[0], [1.0, 1.0])
    assert t.grad is None


def test_without_dot_play_says_how_to_install(tmp_path, monkeypatch):
    from ninjagrad.draw.dot import DotNotFoundError

    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(DotNotFoundError, match="cannot make the player page: .*apt-get"):
        play(lecture_neuron())


@needs_dot
def test_the_lectures_mlp_loss_plays_under_the_default_limit():
    import random

    random.seed(1)
    model = MLP(3, [4, 4, 1], nonlin="tanh")
    xs = [[2.0, 3.0, -1.0], [3.0, -1.0, 0.5], [0.5, 1.0, 1.0], [1.0, 1.0, -1.0]]
    ys = [1.0, -1.0, -1.0, 1.0]
    loss = sum((model(x) - y) ** 2 for x, y in zip(xs, ys, strict=True))
    p = play(loss)
    assert p.recording is not None and 300 < p.node_count <= 500
    params = {id(q) for q in model.parameters()}
    names = [n.name for n, node in zip(p.recording.nodes, topological_order(loss), strict=True)
             if id(node) in params]
    assert len(names) == 41  # every weight and bias is a node of the page
