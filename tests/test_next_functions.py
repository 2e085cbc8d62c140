"""``grad_fn.next_functions`` against PyTorch 2.13: the same program runs on both libraries
and the graphs reached from its result are walked and compared node by node (names, output
indices, which leaf each ``AccumulateGrad`` belongs to, and which nodes are shared)."""

import numpy as np
import pytest
from reference import NG, TH
from test_gradcheck import make_legendre_p3

import ninjagrad as ng

torch = pytest.importorskip("torch")


def graph(root, leaves):
    """The graph reached from ``root`` (a tensor), in a form both libraries share: the nodes
    in the order a depth-first walk first meets them, each as ``(name, edges)``; an edge is
    ``(node number, output index)``, ``('leaf', name, index)`` for an AccumulateGrad (named
    by the leaf it adds into, from ``leaves``) or ``(None, index)``."""
    names = {id(t): name for name, t in leaves.items()}
    numbers, nodes = {}, []
    keep = []  # PyTorch makes a node's Python object on demand: keep each alive, so ids hold

    def visit(fn):
        if id(fn) in numbers:
            return numbers[id(fn)]
        keep.append(fn)
        number = numbers[id(fn)] = len(nodes)
        nodes.append(None)
        edges = []
        for child, index in fn.next_functions:
            if child is None:
                edges.append((None, index))
            elif child.name() == "torch::autograd::AccumulateGrad":
                assert child.next_functions == ()
                edges.append(("leaf", names[id(child.variable)], index))
            else:
                edges.append((visit(child), index))
        nodes[number] = (fn.name(), tuple(edges))
        return number

    visit(root.grad_fn)
    return nodes


def run(program, lib, seed=0):
    """``program(lib, rng)`` -> (result, {name: leaf}); the same random data on both sides."""
    return program(lib, np.random.default_rng(seed))


def leaf(lib, rng, *shape, grad=True, dtype=np.float64):
    return lib.tensor(rng.standard_normal(shape).astype(dtype), requires_grad=grad)


def assert_same_graph(program):
    ours, ours_leaves = run(program, NG)
    theirs, their_leaves = run(program, TH)
    assert graph(ours, ours_leaves) == graph(theirs, their_leaves)


# ------------------------------------------------------------------------------- programs
def mlp(L, rng):
    """A two-layer MLP with a squared-error loss, as the micrograd lecture's, on tensors."""
    x, y = leaf(L, rng, 8, 3, grad=False), leaf(L, rng, 8, 1, grad=False)
    W1, b1, W2, b2 = leaf(L, rng, 3, 16), leaf(L, rng, 16), leaf(L, rng, 16, 1), leaf(L, rng, 1)
    h = (x @ W1 + b1).tanh()
    out = h @ W2 + b2
    loss = ((out - y) ** 2).mean()
    return loss, {"W1": W1, "b1": b1, "W2": W2, "b2": b2}


def makemore(L, rng):
    """The makemore MLP of part 3 with batch norm by hand and a cross-entropy loss."""
    C = leaf(L, rng, 27, 10, dtype=np.float32)
    W1, b1 = leaf(L, rng, 30, 64, dtype=np.float32), leaf(L, rng, 64, dtype=np.float32)
    bngain, bnbias = leaf(L, rng, 1, 64, dtype=np.float32), leaf(L, rng, 1, 64, dtype=np.float32)
    W2, b2 = leaf(L, rng, 64, 27, dtype=np.float32), leaf(L, rng, 27, dtype=np.float32)
    Xb = L.tensor(rng.integers(0, 27, (32, 3)))
    Yb = L.tensor(rng.integers(0, 27, 32))
    emb = C[Xb]
    embcat = emb.view(emb.shape[0], -1)
    hpreact = embcat @ W1 + b1
    hpreact = bngain * (hpreact - hpreact.mean(0, keepdim=True)) / hpreact.std(0, keepdim=True) \
        + bnbias
    h = L.tanh(hpreact)
    logits = h @ W2 + b2
    loss = L.F.cross_entropy(logits, Yb)
    return loss, {"C": C, "W1": W1, "b1": b1, "bngain": bngain, "bnbias": bnbias, "W2": W2,
                  "b2": b2}


def backprop_ninja(L, rng):
    """Part 4's forward pass broken into its small steps (the loss written out by hand)."""
    n = 32
    logits0 = leaf(L, rng, n, 27)
    Yb = L.tensor(rng.integers(0, 27, n))
    bnraw = leaf(L, rng, n, 64)
    bngain = leaf(L, rng, 1, 64)
    bnvar = bnraw.var(0, keepdim=True, unbiased=True)
    bnvar_inv = (bnvar + 1e-5) ** -0.5
    hpre = bngain * bnraw * bnvar_inv
    h = L.tanh(hpre)
    logits = logits0 + h.sum(1, keepdim=True)
    logit_maxes = logits.max(1, keepdim=True).values
    norm_logits = logits - logit_maxes
    counts = norm_logits.exp()
    counts_sum = counts.sum(1, keepdims=True)
    counts_sum_inv = counts_sum ** -1
    probs = counts * counts_sum_inv
    logprobs = probs.log()
    loss = -logprobs[range(n), Yb].mean()
    return loss, {"logits": logits0, "bnraw": bnraw, "bngain": bngain}


def legendre(L, rng):
    """PyTorch's polynomial tutorial with its custom Function: y = a + b * P3(c + d * x)."""

    LegendrePolynomial3 = make_legendre_p3(L.autograd.Function)
    x = L.linspace(-np.pi, np.pi, 200, dtype=L.float)
    y = L.sin(x)
    a, b, c, d = (L.full((), v, dtype=L.float, requires_grad=True) for v in (0.0, -1.0, 0.0, 0.3))
    P3 = LegendrePolynomial3.apply
    y_pred = a + b * P3(c + d * x)
    loss = (y_pred - y).pow(2).sum()
    return loss, {"a": a, "b": b, "c": c, "d": d}


def split_function(L, rng):
    """A Function with two outputs, used in either order: edges carry the output's index."""

    class Split(L.autograd.Function):
        @staticmethod
        def forward(ctx, a, k, b):
            return a * k, b * 2, a + b

        @staticmethod
        def backward(ctx, ga, gb, gc):
            return ga * 2 + gc, None, gb * 2 + gc

    x, w, c = leaf(L, rng, 3), leaf(L, rng, 3), leaf(L, rng, 3, grad=False)
    p, q, r = Split.apply(x, 2.0, w)
    s, t, _ = Split.apply(c, 3.0, w)
    return (q * p + r - s * t).sum(), {"x": x, "w": w}


def numbers_and_broadcasting(L, rng):
    """Number operands on either side (PyTorch's edge ``(None, 0)``), a constant tensor,
    broadcasting, and the ops PyTorch builds from two nodes (``c / x``)."""
    x, w = leaf(L, rng, 4, 3), leaf(L, rng, 3)
    c = L.tensor(rng.standard_normal(3))
    y = (x * 2 + 1) / 3 - x
    y = y + 2 / (x.abs() + 1) + 1 - w + 2 ** w + c * x + x * c - x.pow(2) + w ** x
    y = y.clamp(-1, 1) + L.maximum(x, w) + L.where(x > 0, x, w) + x.clamp(min=w)
    return y.sum(), {"x": x, "w": w}


def views(L, rng):
    """Views and basic indexing, which PyTorch writes as chains of select/slice nodes."""
    x = leaf(L, rng, 4, 3, 2)
    parts = [x.view(4, 6), x.reshape(-1), x.transpose(1, 2).reshape(4, 6), x.permute(2, 0, 1),
             x[0], x[1:, 0], x[None], x[..., 1], x[:, :], x[1:3], x[0, None], x[:, ::2, 1],
             x[[0, 2]], x[:, [0, 2]], x[1, [0, 2]], x[x > 0], x.unsqueeze(1), x[:1].squeeze(0),
             x[:1].squeeze(), x[:, :1].squeeze((0, 1)), x[0].t(), x[0].T, x[0:1].expand(3, 3, 2),
             x[L.tensor(1)], x[L.tensor(1), [0, 2]], x[[0, 2], L.tensor(1)], x[True],
             x[None, True], x[False], x[1:, None, [0, 1]], x[range(2), [1, 2]], x[True, 0],
             x[0, True], x[..., [1, 0]], x[-1, :, [0, 0]], x[0:1, 0], x[x[:, :, 0] > 0]]
    return sum(p.sum() for p in parts), {"x": x}


def in_place(L, rng):
    """In-place ops on non-leaves and on views of them: PyTorch's edges point at the state
    the tensor had when each op ran."""
    x, w = leaf(L, rng, 3, 4), leaf(L, rng, 4)
    h = x * 2
    first = h.sum()
    h += w
    h.mul_(w)
    h[0] = 5
    h[1] = w
    h[[0, 2]] = w[0]
    v = h[1:, :2]
    v += 1
    h[:, 0].zero_()
    after_view = v.sum()
    g = x + 1
    g.copy_(w)
    g.fill_(w[1])
    g[...] = w
    k = x - 1
    k[:] = 3
    k[1:2] = w[:1]
    k[0:2] = w  # PyTorch views and expands a value of another shape than the part written
    k[0] = w[None]
    k[None] = w[None, None]
    k[...] = w
    k[1, [0, 2]] = w[:1]
    return first + after_view + h.sum() + g.sum() + k.sum(), {"x": x, "w": w}


def functional(L, rng):
    """F's fused ops, which ninjagrad computes in one node each as PyTorch mostly does."""
    x, w, b = leaf(L, rng, 6, 4), leaf(L, rng, 4), leaf(L, rng, 4)
    idx = L.tensor(rng.integers(0, 6, (2, 3)))
    y = L.F.softmax(x, 1).sum() + L.F.log_softmax(x, 0).sum()
    y = y + L.F.batch_norm(x, L.zeros(4, dtype=L.double), L.ones(4, dtype=L.double), w, b,
                           training=True).sum()
    y = y + L.F.batch_norm(x, None, None, w, None, training=True).sum()
    y = y + L.F.embedding(idx, x).sum()
    y = y + L.F.cross_entropy(x, L.tensor([0, 1, 2, 3, 0, 1]), reduction="sum")
    return y, {"x": x, "w": w, "b": b}


def matmuls(L, rng):
    """The matmuls PyTorch computes as one node and those it folds into an mm or mv."""
    A, B = leaf(L, rng, 2, 3, 4), leaf(L, rng, 4, 5)
    M, v = leaf(L, rng, 3, 4), leaf(L, rng, 4)
    parts = [M @ B, M @ v, v @ v, v @ B, A @ B, A @ v, A.detach() @ B, A @ B.detach(),
             A.transpose(0, 1) @ B, A[:, :1] @ B, v.detach() @ B]
    return sum(p.sum() for p in parts), {"A": A, "B": B, "M": M, "v": v}


def wavenet(L, rng):
    """Part 5's hierarchy: consecutive characters flattened by a view, then a linear layer on
    a 3-D input, batch norm over two dims by hand."""
    emb = leaf(L, rng, 4, 8, 10)
    W, gain = leaf(L, rng, 20, 16), leaf(L, rng, 16)
    x = emb.view(4, 4, 20) @ W
    mean, var = x.mean((0, 1), keepdim=True), x.var((0, 1), keepdim=True)
    x = gain * (x - mean) / (var + 1e-5) ** 0.5
    x = x.tanh().view(4, 2, 32)
    if x.shape[1] == 1:
        x = x.squeeze(1)
    return x.sum(), {"emb": emb, "W": W, "gain": gain}


PROGRAMS = [mlp, makemore, backprop_ninja, legendre, split_function, numbers_and_broadcasting,
            views, in_place, functional, matmuls, wavenet]


@pytest.mark.parametrize("program", PROGRAMS, ids=lambda p: p.__name__)
def test_the_graph_from_a_result_is_pytorchs(program):
    assert_same_graph(program)


@pytest.mark.parametrize("program", [mlp, makemore, legendre, split_function, in_place],
                         ids=lambda p: p.__name__)
def test_the_graph_is_still_there_after_backward_frees_it(program):
    ours, ours_leaves = run(program, NG)
    theirs, their_leaves = run(program, TH)
    ours.backward()
    theirs.backward()
    assert graph(ours, ours_leaves) == graph(theirs, their_leaves)


def test_the_lecture_program_has_the_expected_shape():
    """A guard that the walk above sees something: the MLP's graph spelled out."""
    loss, leaves = run(mlp, NG)
    nodes = graph(loss, leaves)
    assert nodes[0] == ("MeanBackward0", ((1, 0),))
    assert nodes[1] == ("PowBackward0", ((2, 0),))
    assert nodes[2] == ("SubBackward0", ((3, 0), (None, 0)))
    assert nodes[3] == ("AddBackward0", ((4, 0), ("leaf", "b2", 0)))
    assert nodes[4] == ("MmBackward0", ((5, 0), ("leaf", "W2", 0)))


# -------------------------------------------------------------------------- node objects
def test_accumulate_grad_is_pytorchs():
    for lib in (ng, torch):
        x = lib.ones(2, requires_grad=True)
        acc, index = (x * 2).grad_fn.next_functions[0]
        assert index == 0 and acc.variable is x
        assert acc.name() == "torch::autograd::AccumulateGrad"
        assert acc.next_functions == ()
        assert acc is (x + 1).grad_fn.next_functions[0][0]  # one per leaf
        assert type(acc).__name__ == "AccumulateGrad"
    assert repr(acc).startswith("<AccumulateGrad")


def test_one_node_object_per_node_as_in_pytorch():
    for lib in (ng, torch):
        x = lib.ones(3, requires_grad=True)
        h = x * 2
        before = h.grad_fn
        assert h.grad_fn is before
        h += 1  # h now holds the add; its first edge is the mul it was made by
        assert h.grad_fn is not before and h.grad_fn.next_functions[0][0] is before
        assert before.name() == "MulBackward0" and h.grad_fn.name() == "AddBackward0"


def test_outputs_of_one_function_share_its_node():
    def outputs(lib):
        class Two(lib.autograd.Function):
            @staticmethod
            def forward(ctx, a):
                return a * 2, a * 3

            @staticmethod
            def backward(ctx, g1, g2):
                return g1 * 2 + g2 * 3

        x = lib.ones(2, requires_grad=True)
        return Two.apply(x)

    for lib in (ng, torch):
        p, q = outputs(lib)
        assert p.grad_fn is q.grad_fn and p.grad_fn.name() == "TwoBackward"
        edges = (q * p).grad_fn.next_functions
        assert [(fn is p.grad_fn, i) for fn, i in edges] == [(True, 1), (True, 0)]


@pytest.mark.parametrize("program", [
    lambda L, x: x.view(2, 3, 1) @ x.view(2, 1, 3),  # a bmm between expanded operands
    lambda L, x: x[0][None, None] @ x.view(1, 3, 2),
    lambda L, x: x.view(3, 2, 1).transpose(0, 1) @ L.ones(1, 2, dtype=L.double),  # a bmm
])
def test_where_ninjagrad_cannot_tell_pytorchs_structure_it_refuses(program):
    x = ng.ones(2, 3, dtype=ng.double, requires_grad=True)
    y = program(NG, x)
    with pytest.raises(RuntimeError, match="next_functions of"):
        y.grad_fn.next_functions  # noqa: B018
    tx = torch.ones(2, 3, dtype=torch.double, requires_grad=True)
    assert program(TH, tx).grad_fn.name() == y.grad_fn.name()  # the name is still right


def test_the_nodes_of_an_index_outlive_backward_which_frees_the_index():
    for lib in (ng, torch):
        x = lib.ones(4, 3, requires_grad=True)
        y = x[1, [0, 0, 2]]
        y.sum().backward()
        assert y.grad_fn.name() == "IndexBackward0" and "IndexBackward0" in repr(y)
        (select, _), = y.grad_fn.next_functions
        assert select.name() == "SelectBackward0" and select.next_functions[0][0].variable is x


def test_a_zero_dim_integer_tensor_indexes_like_an_int_giving_a_view():
    """As in PyTorch, ``x[tensor(1)]`` is ``x[1]``: a view, which sees changes of x."""
    for lib in (ng, torch):
        x = lib.zeros(3, 2)
        v = x[lib.tensor(1)]
        x += 1
        assert v.tolist() == [1.0, 1.0] and v._version == x._version == 1


def test_two_ops_on_one_tuple_of_inputs_are_two_nodes():
    for lib in (ng, torch):
        x = lib.ones(2, requires_grad=True)
        pair = (x, x * 2)
        first, second = lib.cat(pair), lib.stack(pair)
        again = lib.cat(pair)
        assert first.grad_fn is not again.grad_fn and first.grad_fn is first.grad_fn
        assert second.grad_fn.name() == "StackBackward0"


@pytest.mark.parametrize("category", ["tensor", "inplace", "function"])
def test_the_fuzzers_programs_have_pytorchs_graphs(category):
    """Random programs of the differential fuzzer, run on both libraries: every tensor's
    graph is PyTorch's, or next_functions refuses it with a clear error."""
    import warnings

    from ninjagrad.check.fuzz.features import enabled_features
    from ninjagrad.check.fuzz.run import namespace
    from ninjagrad.check.fuzz.session import program_for

    compared = 0
    for index in range(40):
        program = program_for(category, 2024, index, enabled_features())
        ours, theirs = namespace("ninjagrad"), namespace("torch")
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            try:
                for statement in program.statements:
                    exec(statement.text, theirs)  # noqa: S102 - the fuzzer's program text
                    exec(statement.text, ours)  # noqa: S102
            except Exception:  # noqa: BLE001 - a program PyTorch refuses: the fuzzer's business
                continue
        names = [k for k, v in theirs.items() if isinstance(v, torch.Tensor) and v.grad_fn]
        for name in names:
            leaves = {k: v for k, v in ours.items() if isinstance(v, ng.Tensor)}
            their_leaves = {k: v for k, v in theirs.items() if isinstance(v, torch.Tensor)}
            try:
                mine = graph(ours[name], leaves)
            except RuntimeError as e:
                assert "next_functions of" in str(e), program.origin
                continue
            assert mine == graph(theirs[name], their_leaves), f"{program.origin}: {name}"
            compared += 1
    assert compared > 100
