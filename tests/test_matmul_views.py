"""``a @ b`` where PyTorch 2.13 folds a batch into one mm or mv: whether the result is a view
and whether what backward saved is the operand or a copy of it, each run on ninjagrad and
PyTorch (grad_fn.matmul_fold describes the rule).

- A matrix times a batch is computed transposed, ``y.mT @ x.mT``; when the transpose back
  is already contiguous the result is a view of that hidden product, and a write into it
  under ``no_grad()`` gives it a new grad_fn (``retain_grad()`` afterwards sees nothing).
- When folding the batch into one matrix copies it, mm saves the copy: writing into the
  operand afterwards does not stop backward, which uses the values from before the write.
"""

import itertools

import numpy as np
import pytest
import torch
from reference import NG, TH
from test_inplace_views import MODIFIED, leaf, run_both
from test_next_functions import graph

import ninjagrad as ng


# ------------------------------------------------ the fuzzer's findings, written by hand
def test_fuzz_inplace_20261203_6098_a_write_into_the_result_renews_its_grad_fn():
    def program(L):
        a = leaf(L, [[2.0, 2.0, 2.0, 2.0]])
        c = L.tensor([[[1.0], [1.0], [1.0], [1.0]]])
        t = a @ c  # a view of the hidden (1, 1, 1) product
        e = t.exp()
        with L.no_grad():
            t[2:, -1] += -2  # writes nothing, but counts as a write
        t.retain_grad()  # on the new grad_fn, which e's graph does not reach
        e.backward()
        return {"a.grad": a.grad, "t.grad": t.grad, "t": t}

    got = run_both(program)
    assert got["t.grad"] is None and got["a.grad"] is not None


def test_fuzz_inplace_20261130_13782_an_empty_result_is_a_view_too():
    def program(L):
        a = L.zeros(0, 3, dtype=L.float64, requires_grad=True)
        c = L.tensor([[[1.0], [1.0], [1.0]]], dtype=L.float64)
        t = L.matmul(a, c)
        u = t - L.zeros(0, 1)
        with L.no_grad():
            t[1:, ::2, ::2] = 3.0
        t.retain_grad()
        u.sum().backward()
        return {"a.grad": a.grad, "t.grad": t.grad}

    assert run_both(program)["t.grad"] is None


def test_fuzz_inplace_20261202_714_the_folded_batch_is_saved_as_a_copy():
    def program(L):
        a = leaf(L, [[-0.14, 2.27, 1.54], [-0.56, 0.85, -0.24], [1.95, -3.61, -1.61]])
        c = L.tensor([[[-2.22, 1.03], [0.45, -2.57], [0.3, -0.45]],
                      [[1.5, 0.2], [0.7, -1.0], [0.0001, 0.37]]])
        t = L.matmul(a, c)  # mm(c.mT.reshape(-1, 3), a.mT): the reshape copies c
        with L.no_grad():
            c += 1
        t.sum().backward()  # a.grad from c as it was: PyTorch's saved copy
        return {"a.grad": a.grad, "t": t}

    run_both(program)


def test_fuzz_inplace_20261202_1630_a_batch_of_one_is_dropped_then_folded():
    def program(L):
        x = leaf(L, [[[0.49, 1.73], [1.79, -1.06], [2.51, 1.42], [1.09, 0.7]]],
                 dtype=L.float64)  # (1, 4, 2): squeezed to a matrix, as it requires grad
        w = leaf(L, [[[-0.08, -0.6], [0.58, -0.02]], [[1.61, 3.11], [-0.27, 1.09]]],
                 dtype=L.float64)
        t = (x.tanh()) @ w
        with L.no_grad():
            w *= 0.5
        (t * L.arange(16, dtype=L.float64).view(2, 4, 2)).sum().backward()
        return {"x.grad": x.grad, "w.grad": w.grad}

    run_both(program)


def test_fuzz_inplace_20261202_5356_an_empty_write_into_the_batch():
    def program(L):
        a = leaf(L, [[1.44, 0.06, 1.45], [0.26, -2.11, -1.99], [1.67, -0.03, -0.47]],
                 dtype=L.float64)
        c = L.tensor([[[0.77, -0.14], [-0.05, -2.7], [1.84, -0.61]],
                      [[-1.75, 0.4], [-0.48, 1.64], [-0.28, 2.26]]], dtype=L.float64)
        t = a @ c
        c[1, 0:0] = 2
        t.sum().backward()
        return {"a.grad": a.grad}

    run_both(program)


def test_fuzz_inplace_20261202_13043_a_transposed_batch_is_folded_by_a_copy():
    def program(L):
        c = L.tensor(np.linspace(-2, 2, 24).reshape(3, 2, 4))
        w = leaf(L, [[-1.25, 0.52, 0.07], [-2.55, -0.32, -0.38]], dtype=L.float64)
        t = c.transpose(1, -1) @ w  # (3, 4, 2) not contiguous: x.reshape(-1, 2) copies
        c[1:2, 0, :] -= 0.5
        t.exp().sum().backward()
        return {"w.grad": w.grad, "t": t}

    run_both(program)


def test_a_fold_without_a_copy_still_refuses_a_changed_operand():
    def program(L):
        c = L.tensor(np.linspace(-2, 2, 24).reshape(3, 4, 2))
        w = leaf(L, [[-1.25, 0.52, 0.07], [-2.55, -0.32, -0.38]], dtype=L.float64)
        t = c @ w  # c.reshape(-1, 2) is a view of c: mm saves c itself
        c += 1
        t.sum().backward()

    run_both(program, raises=MODIFIED)


def test_a_write_into_the_view_result_in_a_graph_is_recorded():
    def program(L):
        a = leaf(L, [[1.0, -2.0, 0.5]])
        c = L.tensor(np.linspace(-1, 1, 12).reshape(2, 3, 2).astype(np.float32))
        t = a @ c
        t.mul_(3)  # CopySlices on the hidden product; t becomes a view of its new state
        (t * t).sum().backward()
        return {"a.grad": a.grad, "t": t}

    run_both(program)
    for L in (ng, torch):
        t = leaf(L, [[1.0, -2.0, 0.5]]) @ L.ones(2, 3, 2)
        t.mul_(2)
        assert t.grad_fn.name() == "AsStridedBackward0"


def test_a_recorded_write_into_the_copied_operand_leaves_the_product_alone():
    def program(L):
        w = leaf(L, [[1.0, -2.0, 0.5], [0.3, 0.2, -1.0]])
        c = leaf(L, np.linspace(-1, 1, 12).reshape(2, 3, 2).tolist())
        h = c * 2
        t = w @ h  # mm saves h.mT.reshape(-1, 3), a copy
        h.mul_(3)  # recorded: h's gradient still reaches c through its old state
        (t.exp().sum() + (h * h).sum()).backward()
        return {"w.grad": w.grad, "c.grad": c.grad, "t": t}

    run_both(program)


def test_a_recorded_write_through_a_view_of_the_view_result():
    def program(L):
        w = leaf(L, [[1.0, -2.0, 0.5]])
        c = leaf(L, np.linspace(-1, 1, 12).reshape(2, 3, 2).tolist())
        t = w @ (c * 2)  # a view of the hidden product
        t[0].mul_(3)
        (t.exp().sum()).backward()
        return {"w.grad": w.grad, "c.grad": c.grad, "t": t}

    run_both(program)


def test_a_view_result_made_under_no_grad_refuses_a_recorded_write():
    def program(L):
        a = leaf(L, [[1.0, -2.0, 0.5]])
        with L.no_grad():
            t = a @ L.ones(2, 3, 2)
        t.add_(leaf(L, [1.0]))

    run_both(program, raises="A view was created in no_grad mode")


# ------------------------------------------------------------- the grid, against PyTorch
K = 3


def _operand_shapes(dims, batch, rows, cols):
    """Shapes of x (dims[0]-D) and y (dims[1]-D) for x @ y; a 3-D pair has batches 1 and
    ``batch`` (``dims[2]`` says which is 1)."""
    nx, ny = dims[:2]
    lead = {3: (batch,), 4: (2, batch)}
    x = {1: (K,), 2: (rows, K)}.get(nx) or lead[nx] + (rows, K)
    y = {1: (K,), 2: (K, cols)}.get(ny) or lead[ny] + (K, cols)
    if len(dims) == 3:  # 3-D @ 3-D with different batches
        x, y = ((1,) + x[1:], y) if dims[2] == 0 else (x, (1,) + y[1:])
    return x, y


def _make(L, data, transposed, rg):
    t = L.tensor(data)
    if transposed:  # the same values, laid out as the transpose of a contiguous array
        # (a copy: ascontiguousarray keeps odd strides for size-1 dims, which PyTorch keeps
        # too but ninjagrad.tensor does not, and matmul reads strides)
        t = L.tensor(np.swapaxes(data, -1, -2).copy()).transpose(-1, -2)
    return t.requires_grad_(rg)


CASES = [
    (dims, batch, rows, cols, tx, ty)
    for dims in [(1, 3), (1, 4), (2, 3), (2, 4), (3, 1), (3, 2), (4, 1), (4, 2),
                 (3, 3, 0), (3, 3, 1)]
    for batch, (rows, cols) in itertools.product((1, 2), ((1, 2), (2, 2), (2, 1)))
    for tx, ty in itertools.product((False, True), repeat=2)
    if not (tx and dims[0] == 1) and not (ty and dims[1] == 1)
    and not (len(dims) == 3 and batch == 1)
]


def _id(case):
    dims, batch, rows, cols, tx, ty = case
    return f"{dims}-b{batch}-{rows}x{cols}{'-tx' if tx else ''}{'-ty' if ty else ''}"


@pytest.mark.parametrize("rg", [(True, False), (False, True), (True, True)],
                         ids=["x", "y", "xy"])
@pytest.mark.parametrize("case", CASES, ids=_id)
def test_views_copies_and_nodes_are_pytorchs(case, rg):
    dims, batch, rows, cols, tx, ty = case
    sx, sy = _operand_shapes(dims, batch, rows, cols)
    rng = np.random.default_rng(0)
    xd, yd = rng.standard_normal(sx), rng.standard_normal(sy)

    def made(L):
        return _make(L, xd, tx, rg[0]), _make(L, yd, ty, rg[1])

    # the result is a view of a hidden product, or not; contiguous either way; its nodes
    (x, y), (tx_, ty_) = made(NG), made(TH)
    ours, theirs = x @ y, tx_ @ ty_
    is_view = ours._aux is not None and ours._aux.base is not None
    assert is_view == (theirs._base is not None)
    assert ours.is_contiguous() == theirs.is_contiguous()
    assert ours.grad_fn.name() == theirs.grad_fn.name()
    try:
        ours_graph = graph(ours, {"x": x, "y": y})
    except RuntimeError as e:  # a bmm: ninjagrad refuses to give its edges
        assert "BmmBackward0" in str(graph(theirs, {"x": tx_, "y": ty_})), e
    else:
        assert ours_graph == graph(theirs, {"x": tx_, "y": ty_})

    # an operand changed in place after the product: backward refuses, or uses the copy
    for changed in (0, 1):
        def program(L, changed=changed):
            x, y = made(L)
            out = x @ y
            with L.no_grad():
                (x, y)[changed].add_(1)
            out.pow(2).sum().backward()
            return {"x.grad": x.grad, "y.grad": y.grad}

        theirs_raised = False
        try:
            program(TH)
        except RuntimeError as e:
            assert MODIFIED in str(e)
            theirs_raised = True
        if theirs_raised:
            with pytest.raises(RuntimeError, match=MODIFIED):
                program(NG)
        else:
            run_both(program)

    # a write into the result under no_grad: a view gets a new grad_fn
    def written(L):
        x, y = made(L)
        out = x @ y
        loss = (out * 3).sum()  # saves nothing of out, which is written next
        with L.no_grad():
            out.mul_(1)
        out.retain_grad()
        loss.backward()
        return {"x.grad": x.grad, "y.grad": y.grad, "out.grad": out.grad}

    run_both(written)


def test_the_grid_has_views_copies_and_bmms():
    """A guard that the grid above meets each kind of product."""
    kinds = set()
    for case, rg in itertools.product(CASES, [(True, False), (False, True), (True, True)]):
        dims, batch, rows, cols, tx, ty = case
        sx, sy = _operand_shapes(dims, batch, rows, cols)
        x = _make(torch, np.ones(sx), tx, rg[0])
        y = _make(torch, np.ones(sy), ty, rg[1])
        out = x @ y
        kinds.add(out.grad_fn.name())
        if out._base is not None:
            kinds.add("view")
        names = str(graph(out, {"x": x, "y": y}))
        kinds.update(n for n in ("CloneBackward0", "BmmBackward0", "SqueezeBackward1")
                     if n in names)
    assert kinds >= {"view", "TransposeBackward0", "CloneBackward0", "UnsafeViewBackward0",
                     "BmmBackward0", "SqueezeBackward1"}


# ---------------------------------------------------- bmm of batches merged through a copy
@pytest.mark.parametrize("xs,ys,batch_transposed", [
    ((2, 1, 2, 3), (3, 3, 4), False), ((2, 3, 3), (2, 1, 3, 4), False),
    ((2, 1, 2, 3), (1, 3, 3, 4), False), ((1, 3, 2, 3), (2, 1, 3, 4), False),
    ((2, 3, 2, 3), (2, 3, 3, 4), True), ((3, 2, 2, 3), (3, 2, 3, 4), False),
    ((2, 2, 3), (2, 1, 3, 4), False), ((3,), (2, 2, 3, 4), False),
    ((2, 3), (2, 2, 3, 4), False), ((2, 2, 2, 3), (3,), True)])
@pytest.mark.parametrize("rg", [(True, False), (False, True), (True, True)],
                         ids=["x", "y", "xy"])
@pytest.mark.parametrize("changed", [0, 1])
def test_a_bmm_saves_the_copies_it_reads_broadcast_batches_through(xs, ys, batch_transposed,
                                                                   rg, changed):
    """PyTorch expands both operands to the broadcast batch and reshapes each to a single
    batch dim, which copies where batch dims broadcast from size 1 sit next to others or
    are out of order: bmm then saves the copy, and a later write into the operand does
    not stop backward."""
    rng = np.random.default_rng(1)
    xd, yd = rng.standard_normal(xs), rng.standard_normal(ys)

    def program(L):
        x = L.tensor(xd)
        if batch_transposed:  # batch dims out of order
            x = L.tensor(np.swapaxes(xd, 0, 1).copy()).transpose(0, 1)
        x, y = x.requires_grad_(rg[0]), L.tensor(yd).requires_grad_(rg[1])
        out = x @ y
        with L.no_grad():
            (x, y)[changed].add_(1)
        (out * out).sum().backward()
        return {"x.grad": x.grad, "y.grad": y.grad, "out": out}

    try:
        program(TH)
    except RuntimeError as e:
        assert MODIFIED in str(e)
        with pytest.raises(RuntimeError, match=MODIFIED):
            program(NG)
    else:
        run_both(program)
