"""Tensor engine semantics: dtypes, grad bookkeeping, in-place updates, errors, no cycles.

Op-by-op numerical agreement with PyTorch lives in tests/test_ops_vs_torch*.py; here we
check the rules around the ops, against PyTorch where it has the same rule.
"""

import gc

import numpy as np
import pytest

import ninjagrad as ng
from ninjagrad import Tensor

torch = pytest.importorskip("torch")


def t64(x, requires_grad=False):
    return ng.tensor(np.asarray(x, dtype=np.float64), requires_grad=requires_grad)


# ------------------------------------------------------------------------------------ dtypes
@pytest.mark.parametrize(
    "data",
    [1.5, 3, True, [1, 2, 3], [1.0, 2.5], [[1, 2], [3, 4]], [True, False], [1, 2.5],
     np.arange(3, dtype=np.int32), np.ones(2, dtype=np.float64), np.ones(2, dtype=np.float16),
     np.float64(1.5), [np.float64(1.5), 2.0], np.float32(1.5)],
    ids=repr,
)
def test_tensor_infers_dtype_like_torch(data):
    expected = str(torch.tensor(data).dtype).replace("torch.", "")
    assert ng.tensor(data).dtype.name == {"bool": "bool"}.get(expected, expected)


DTYPES = ["float32", "float64", "int64", "int32", "bool"]


def _make(lib, dtype, shape):
    values = np.array([1, 2, 3, 1, 2, 3], dtype=np.float64)[: int(np.prod(shape))]
    arr = values.reshape(shape).astype(dtype)
    return lib.tensor(arr)


@pytest.mark.parametrize("da", DTYPES)
@pytest.mark.parametrize("db", DTYPES)
@pytest.mark.parametrize("shapes", [((3,), (3,)), ((3,), ()), ((), (3,))])
def test_binary_promotion_matches_torch(da, db, shapes):
    sa, sb = shapes
    a, b = _make(ng, da, sa), _make(ng, db, sb)
    ta, tb = _make(torch, da, sa), _make(torch, db, sb)
    for name in ("__add__", "__mul__", "__truediv__"):
        if name == "__add__" and da == db == "bool":
            continue
        expected = getattr(ta, name)(tb)
        got = getattr(a, name)(b)
        assert got.dtype.name == str(expected.dtype).replace("torch.", ""), name
        np.testing.assert_allclose(got.data, expected.numpy(), rtol=1e-6)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("scalar", [2, 0.5, True, np.float64(0.5), np.int64(2)],
                         ids=repr)
def test_scalar_promotion_matches_torch(dtype, scalar):
    a, ta = _make(ng, dtype, (3,)), _make(torch, dtype, (3,))
    pairs = [(a * scalar, ta * scalar), (scalar * a, scalar * ta), (a + scalar, ta + scalar),
             (a / scalar, ta / scalar)]
    if dtype != "bool" and scalar is not True:  # torch refuses subtraction with bools
        pairs.append((a - scalar, ta - scalar))
    for got, expected in pairs:
        assert got.dtype.name == str(expected.dtype).replace("torch.", "")
        np.testing.assert_allclose(got.data, expected.numpy(), rtol=1e-6)


def test_float32_stays_float32_through_the_lecture_arithmetic():
    x = ng.randn(4, 5)
    for y in (x * 0.1, 1 / 32 * x, (x.abs() + 1) ** -0.5, (x + 1e-5) ** 2, 1.0 - x, x.exp(),
              x.mean(0), x.var(0, keepdim=True), ng.tanh(x), x @ ng.randn(5, 2)):
        assert y.dtype == ng.float32


def test_elementwise_math_on_integers_gives_float32():
    i = ng.arange(1, 4)
    assert i.dtype == ng.int64
    assert i.exp().dtype == ng.float32 and ng.sqrt(i).dtype == ng.float32
    assert (i / 2).dtype == ng.float32


# ------------------------------------------------------------------ gradient bookkeeping
def test_nonleaf_grad_is_none_unless_retained():
    x = ng.randn(3, requires_grad=True)
    y = x * 2
    z = y.tanh()
    z.retain_grad()
    z.sum().backward()
    assert y.grad is None
    assert z.grad is not None and np.all(z.grad.data == 1)
    assert x.grad.shape == (3,)
    assert not y.is_leaf and x.is_leaf


def test_gradients_accumulate_across_backward_calls_like_torch():
    xs = np.array([0.5, -1.0, 2.0])
    x, tx = t64(xs, True), torch.tensor(xs, requires_grad=True)
    for _ in range(3):
        (x * x).sum().backward()
        (tx * tx).sum().backward()
    np.testing.assert_allclose(x.grad.data, tx.grad.numpy(), rtol=1e-12)
    x.grad = None
    (x * 3).sum().backward()
    np.testing.assert_allclose(x.grad.data, [3, 3, 3])


def test_a_tensor_used_twice_gets_both_contributions():
    x = t64([1.0, 2.0], True)
    y = x * x + x  # d/dx = 2x + 1
    y.backward(ng.ones(2, dtype=ng.float64))
    np.testing.assert_allclose(x.grad.data, [3.0, 5.0])


def test_requires_grad_propagates_and_stops_at_constants():
    a = ng.randn(2, requires_grad=True)
    b = ng.randn(2)
    assert (a + b).requires_grad and not (b * 2).requires_grad
    assert (a + b).parents == (a, b) and (a + b).op
    assert b.parents == () and b.op == ""
    c = a + b
    c.sum().backward()
    assert b.grad is None


def test_no_grad_builds_no_graph_as_context_and_decorator():
    a = ng.randn(3, requires_grad=True)
    with ng.no_grad():
        y = a * 2
        assert not ng.is_grad_enabled()
        with ng.enable_grad():
            assert (a * 2).requires_grad
    assert ng.is_grad_enabled()
    assert not y.requires_grad and y.parents == ()

    @ng.no_grad()
    def f(x):
        return x.exp()

    assert not f(a).requires_grad
    assert ng.is_grad_enabled()


def test_detach_shares_data_and_cuts_the_graph():
    a = ng.randn(3, requires_grad=True)
    d = (a * 2).detach()
    assert not d.requires_grad and d.parents == ()
    b = a.detach()
    b.data[0] = 42.0
    assert a.data[0] == 42.0


def test_backward_with_explicit_gradient_matches_torch():
    xs = np.random.default_rng(0).standard_normal((2, 3))
    gs = np.arange(6.0).reshape(2, 3)
    x, tx = t64(xs, True), torch.tensor(xs, requires_grad=True)
    (x.exp() * 2).backward(t64(gs))
    (tx.exp() * 2).backward(torch.tensor(gs))
    np.testing.assert_allclose(x.grad.data, tx.grad.numpy(), rtol=1e-12)


def test_leaf_grad_has_leaf_dtype_and_is_not_shared_between_inputs():
    a = ng.ones(3, requires_grad=True)
    b = ng.ones(3, requires_grad=True)
    (a + b).sum().backward()
    a.grad.data[0] = 7
    assert b.grad.data[0] == 1
    w = ng.ones(3, requires_grad=True)
    (w * t64([1.0, 2.0, 3.0])).sum().backward()  # float64 op, float32 leaf
    assert w.grad.dtype == ng.float32


# ------------------------------------------------------------------------- in-place updates
def test_sgd_update_through_data_with_a_tensor_operand():
    p = ng.tensor([1.0, 2.0], requires_grad=True)
    (p * p).sum().backward()  # grad = 2p
    arr = p.detach().numpy()
    p.data += -0.1 * p.grad
    assert p.detach().numpy() is arr and isinstance(p.data, np.ndarray)  # the same array
    np.testing.assert_allclose(p.data, [0.8, 1.6], rtol=1e-6)
    assert p.dtype == ng.float32
    p.data = p.data - 0.5 * p.grad  # assignment of a Tensor stores its array
    assert isinstance(p.data, np.ndarray)


def test_ndarray_op_tensor_gives_tensor():
    x = ng.tensor([1.0, 2.0], requires_grad=True)
    y = np.array([3.0, 4.0], dtype=np.float32) * x
    assert isinstance(y, Tensor) and y.requires_grad
    y.sum().backward()
    np.testing.assert_allclose(x.grad.data, [3, 4])
    assert isinstance(np.exp(x), Tensor)


def test_inplace_operators_on_tensors_under_no_grad():
    p = ng.ones(2, 2, requires_grad=True)
    with ng.no_grad():
        p -= 0.5
        p *= 4
        p /= 2
        p += ng.ones(2)
    np.testing.assert_allclose(p.data, np.full((2, 2), 2.0))
    assert p.requires_grad and p.is_leaf


def test_inplace_on_leaf_requiring_grad_is_refused():
    p = ng.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        p += 1
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        p[0] = 3.0


def test_index_minus_equals_like_the_lecture():
    n, y = 4, [2, 0, 0, 1]
    d = ng.zeros(n, 3)
    d[range(n), y] -= 1
    td = torch.zeros(n, 3)
    td[range(n), y] -= 1
    np.testing.assert_array_equal(d.data, td.numpy())
    dc = ng.zeros(5, 2)
    emb = ng.ones(2)
    for ix in ng.tensor([1, 1, 3]):
        dc[ix] += emb
    np.testing.assert_array_equal(dc.data[:, 0], [0, 2, 0, 1, 0])


def test_inplace_arithmetic_in_a_graph_keeps_earlier_results_right():
    x = t64([1.0, 2.0], True)
    y = x * 3
    z = y + y  # uses y before the in-place update (add saves nothing)
    y += 1
    (z.sum() + y.sum()).backward()  # d/dx = 6 + 3
    np.testing.assert_allclose(x.grad.data, [9.0, 9.0])
    w = x * 3
    z = w * w  # mul saves w: changing it afterwards is refused, as in PyTorch
    w += 1
    with pytest.raises(RuntimeError, match="modified by an inplace operation.*output 0 of Mul,"):
        z.sum().backward()


def test_inplace_on_a_graph_tensor_is_recorded_like_torch():
    xs = np.random.default_rng(1).standard_normal((4, 3))
    y = [2, 0, 0, 1]

    def run(lib, x):
        d = x * 2 + 1  # (torch refuses in-place on an output its backward saved)
        d[range(4), y] -= 1
        d /= 4
        d[:, 0] = x[:, 1] ** 2
        return (d * d).sum()

    x, tx = t64(xs, True), torch.tensor(xs, requires_grad=True)
    run(ng, x).backward()
    run(torch, tx).backward()
    np.testing.assert_allclose(x.grad.data, tx.grad.numpy(), rtol=1e-12)


def test_wrong_dtype_inplace_is_an_error():
    i = ng.arange(3)
    with pytest.raises(RuntimeError, match="int64"):
        i += 0.5


# --------------------------------------------------------------------- indexing gradients
def test_repeated_indices_add_up_like_torch():
    rng = np.random.default_rng(2)
    cs = rng.standard_normal((5, 4))
    xb = np.array([[1, 1, 3], [0, 1, 1]])
    c, tc = t64(cs, True), torch.tensor(cs, requires_grad=True)
    w = rng.standard_normal((2, 3, 4))
    (c[ng.tensor(xb)] * t64(w)).sum().backward()
    (tc[torch.tensor(xb)] * torch.tensor(w)).sum().backward()
    np.testing.assert_allclose(c.grad.data, tc.grad.numpy(), rtol=1e-12)


@pytest.mark.parametrize(
    "index",
    [lambda n: (range(n), [1, 0, 2, 1]), lambda n: ([0, 0, 3], slice(None)),
     lambda n: (slice(1, 3), [2, 2]), lambda n: 2, lambda n: (slice(None), 1),
     lambda n: ([[0, 1], [1, 1]], [0, 2]), lambda n: (range(n), 1)],
    ids=["range_pairs", "rows_repeat", "slice_cols_repeat", "int", "column", "2d_pairs",
         "range_int"],
)
def test_index_backward_matches_torch(index):
    xs = np.random.default_rng(3).standard_normal((4, 3))
    idx = index(4)
    x, tx = t64(xs, True), torch.tensor(xs, requires_grad=True)
    y, ty = x[idx], tx[idx]
    w = np.random.default_rng(4).standard_normal(ty.shape)
    (y * t64(w)).sum().backward()
    (ty * torch.tensor(w)).sum().backward()
    np.testing.assert_allclose(y.data, ty.detach().numpy())
    np.testing.assert_allclose(x.grad.data, tx.grad.numpy(), rtol=1e-12)


def test_max_dim_returns_values_and_indices():
    x = ng.tensor([[1.0, 5.0, 2.0], [7.0, 0.0, 7.0]], requires_grad=True)
    r = x.max(1)
    values, indices = r
    assert r.values is values and r.indices is indices
    np.testing.assert_array_equal(indices.data, [1, 0])
    assert indices.dtype == ng.int64
    r.values.sum().backward()
    np.testing.assert_array_equal(x.grad.data, [[0, 1, 0], [1, 0, 0]])


@pytest.mark.parametrize("kwargs", [{}, {"unbiased": False}, {"correction": 0},
                                    {"unbiased": True}, {"correction": 2}])
def test_var_default_is_unbiased_like_torch(kwargs):
    xs = np.random.default_rng(5).standard_normal((6, 3))
    x, tx = t64(xs, True), torch.tensor(xs, requires_grad=True)
    v, tv = x.var(0, keepdim=True, **kwargs), tx.var(0, keepdim=True, **kwargs)
    np.testing.assert_allclose(v.data, tv.detach().numpy(), rtol=1e-12)
    (v * v).sum().backward()
    (tv * tv).sum().backward()
    np.testing.assert_allclose(x.grad.data, tx.grad.numpy(), rtol=1e-10)


# ----------------------------------------------------------------------------------- errors
def test_matmul_shape_error_names_both_shapes():
    with pytest.raises(RuntimeError, match=r"mat1 and mat2 shapes cannot be multiplied "
                                           r"\(32x30 and 20x200\)"):
        ng.randn(32, 30) @ ng.randn(20, 200)
    with pytest.raises(RuntimeError, match="float32 != float64"):
        ng.randn(2, 3) @ ng.randn(3, 2, dtype=ng.float64)


def test_broadcast_error_names_sizes_and_dimension():
    with pytest.raises(RuntimeError, match=r"size of tensor a \(3\) must match the size of "
                                           r"tensor b \(4\) at non-singleton dimension 1"):
        ng.ones(2, 3) + ng.ones(2, 4)


def test_top_level_functions_are_the_methods_and_check_their_input():
    x = ng.tensor([[0.5, -2.0, 3.0], [1.0, 4.0, -0.25]])
    assert ng.allclose(ng.tanh(x), x.tanh()) and ng.allclose(ng.sum(x, 1), x.sum(1))
    assert ng.max(x, 1).indices.tolist() == [2, 1]
    for name, arg in [("tanh", [1.0]), ("exp", 1.0), ("sum", np.ones(3)), ("max", None),
                      ("reshape", [1.0])]:
        with pytest.raises(TypeError, match=rf"^{name}\(\): argument 'input' must be "
                                            rf"Tensor, not {type(arg).__name__}"):
            getattr(ng, name)(arg)
    with pytest.raises(TypeError, match="cat\\(\\): expected a sequence of Tensors, but "
                                        "element 1 is int"):
        ng.cat([x, 1])


def test_cat_and_stack_errors_name_the_shapes():
    with pytest.raises(RuntimeError, match=r"cat\(\): sizes of tensors must match except in "
                                           r"dimension 0; got shapes \[\(2, 2\), \(3, 3\)\]"):
        ng.cat([ng.ones(2, 2), ng.ones(3, 3)])
    with pytest.raises(RuntimeError, match=r"stack expects each tensor to be equal size, but "
                                           r"got shapes \[\(2,\), \(3,\)\]"):
        ng.stack([ng.ones(2), ng.ones(3)])
    for join in (ng.cat, ng.stack):
        with pytest.raises(RuntimeError, match="expected a non-empty list of Tensors"):
            join([])


@pytest.mark.parametrize(
    "fn",
    [lambda L, x: x.sum(2), lambda L, x: x.max(-3), lambda L, x: x.argmax(5),
     lambda L, x: x.transpose(0, 2), lambda L, x: x.unsqueeze(3), lambda L, x: x.unsqueeze(-4),
     lambda L, x: x.squeeze(5), lambda L, x: x.squeeze(-3), lambda L, x: L.cat([x, x], 2),
     lambda L, x: L.stack([x, x], 3), lambda L, x: L.stack([x, x], -4),
     lambda L, x: (x > 0).all(2), lambda L, x: (x > 0).any(-3)],
    ids=["sum", "max", "argmax", "transpose", "unsqueeze", "unsqueeze_neg", "squeeze",
         "squeeze_neg", "cat", "stack", "stack_neg", "all", "any"],
)
def test_dimension_out_of_range_is_an_index_error_like_torch(fn):
    with pytest.raises(IndexError) as expected:
        fn(torch, torch.ones(2, 3))
    with pytest.raises(IndexError) as got:
        fn(ng, ng.ones(2, 3))
    assert str(got.value) == str(expected.value)


@pytest.mark.parametrize(
    "fn",
    [lambda L, x: x.sum(0), lambda L, x: x.mean(-1), lambda L, x: x.max(0).values,
     lambda L, x: x.min(-1).values + x.max(0).indices, lambda L, x: x.unsqueeze(0) * x.argmax(0),
     lambda L, x: x.unsqueeze(-1).squeeze(0) + x.transpose(0, -1)],
)
def test_zero_dimensional_tensors_take_dim_0_like_torch(fn):
    x, xt = t64(1.5, requires_grad=True), torch.tensor(1.5, dtype=torch.float64,
                                                        requires_grad=True)
    out, expected = fn(ng, x), fn(torch, xt)
    assert out.shape == tuple(expected.shape) and out.dtype.name == "float64"
    out.sum().backward()
    expected.sum().backward()
    assert x.grad.item() == xt.grad.item()


def test_max_and_min_results_print_their_own_name():
    x = ng.tensor([[1.0, 2.0]])
    assert repr(x.min(1)).startswith("min(values=") and repr(x.max(1)).startswith("max(")
    assert x.min(1).values.item() == 1.0 and x.min(1).indices.item() == 0


def test_batched_matmul_error_names_the_batch_dimensions():
    with pytest.raises(RuntimeError, match=r"batch dimensions \(2,\) and \(3,\) cannot be "
                                           r"broadcast.*\(2, 3, 4\) and \(3, 4, 5\)"):
        ng.ones(2, 3, 4) @ ng.ones(3, 4, 5)


def test_backward_errors_like_torch():
    x = ng.randn(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="grad can be implicitly created only for scalar "
                                           r"outputs.*\(3,\)"):
        x.exp().backward()
    with pytest.raises(RuntimeError, match="does not require grad"):
        ng.randn(3).sum().backward()
    with pytest.raises(RuntimeError, match="Mismatch in shape"):
        x.exp().backward(ng.ones(4))


def test_index_out_of_range_names_index_dimension_and_size():
    with pytest.raises(IndexError, match=r"index 30 is out of bounds for dimension 0 with "
                                         r"size 27.*\(27, 10\)"):
        ng.randn(27, 10)[ng.tensor([1, 30])]
    with pytest.raises(IndexError, match="long, int or bool"):
        ng.randn(3)[ng.tensor([0.0, 1.0])]


def test_wrong_types_are_type_errors():
    with pytest.raises(TypeError):
        ng.ones(2) + "a"
    with pytest.raises(TypeError):
        ng.tensor("abc")
    with pytest.raises(RuntimeError, match="floating point"):
        ng.arange(3).requires_grad = True
    with pytest.raises(RuntimeError, match="shape '\\[4, 2\\]' is invalid for input of size 6"):
        ng.ones(2, 3).view(4, 2)
    with pytest.raises(RuntimeError, match="elements cannot be converted"):
        ng.ones(2).item()


def test_hash_is_identity_and_eq_is_elementwise():
    a, b = ng.ones(2), ng.ones(2)
    assert len({a, b}) == 2
    eq = a == b
    assert eq.dtype == ng.bool_ and eq.data.tolist() == [True, True]
    assert ng.all(eq).item() is True
    assert ng.allclose(a, b * (1 + 1e-7)) and not ng.allclose(a, b * 1.1)


# ------------------------------------------------------------------ constructors and random
def test_generator_reproduces_its_stream():
    g1 = ng.Generator().manual_seed(2147483647)
    g2 = ng.Generator().manual_seed(2147483647)
    a = ng.randn((3, 4), generator=g1)
    b = ng.randn(3, 4, generator=g2)
    np.testing.assert_array_equal(a.data, b.data)
    assert a.dtype == ng.float32 and a.shape == (3, 4)
    r1 = ng.randint(0, 10, (50,), generator=g1)
    r2 = ng.randint(0, 10, (50,), generator=g2)
    assert r1.dtype == ng.int64 and np.array_equal(r1.data, r2.data)
    assert r1.data.min() >= 0 and r1.data.max() < 10
    assert not np.array_equal(ng.randn(5, generator=g1).data, ng.randn(5, generator=g1).data)


def test_multinomial_follows_the_weights_and_skips_zero_weights():
    g = ng.Generator().manual_seed(0)
    probs = ng.tensor([0.0, 1.0, 3.0, 0.0])
    s = ng.multinomial(probs, 4000, replacement=True, generator=g)
    counts = np.bincount(s.data, minlength=4)
    assert counts[0] == counts[3] == 0
    assert 0.70 < counts[2] / 4000 < 0.80  # expected 0.75; 4000 draws: sd ~0.007
    one = ng.multinomial(probs, num_samples=1, generator=g)
    assert one.shape == (1,) and one.item() in (1, 2)
    rows = ng.multinomial(ng.tensor([[1.0, 0.0], [0.0, 1.0]]), 1, generator=g)
    np.testing.assert_array_equal(rows.data, [[0], [1]])
    distinct = ng.multinomial(ng.ones(5), 5, generator=g)
    assert sorted(distinct.tolist()) == [0, 1, 2, 3, 4]
    with pytest.raises(RuntimeError, match="sum of probabilities"):
        ng.multinomial(ng.zeros(3), 1)


def test_constructors_take_varargs_or_a_tuple_and_dtypes():
    assert ng.zeros(2, 3).shape == ng.zeros((2, 3)).shape == (2, 3)
    assert ng.ones(2, dtype=ng.float64).dtype == ng.float64
    assert ng.zeros_like(ng.arange(3)).dtype == ng.int64
    assert ng.ones_like(ng.randn(2, 2), requires_grad=True).requires_grad
    assert ng.arange(5).tolist() == [0, 1, 2, 3, 4] and ng.arange(0.0, 1.0, 0.5).dtype == ng.float32
    assert ng.cat([ng.ones(2, 3), ng.zeros(1, 3)]).shape == (3, 3)
    assert ng.stack([ng.ones(3), ng.zeros(3)], dim=1).shape == (3, 2)
    for fill in (True, 2, 2.5):
        expected = str(torch.full((2,), fill).dtype).replace("torch.", "")
        assert ng.full((2,), fill).dtype.name == expected, fill


# ------------------------------------------------------------------------------ no cycles
def _mlp_step():
    g = ng.Generator().manual_seed(1)
    C = ng.randn(27, 10, generator=g, requires_grad=True)
    W1 = ng.randn(30, 64, generator=g, requires_grad=True)
    W2 = ng.randn(64, 27, generator=g, requires_grad=True)
    xb = ng.randint(0, 27, (32, 3), generator=g)
    yb = ng.randint(0, 27, (32,), generator=g)
    h = ng.tanh(C[xb].view(32, -1) @ W1)
    hn = (h - h.mean(0, keepdim=True)) / (h.var(0, keepdim=True) + 1e-5).sqrt()
    logits = hn @ W2
    logits = logits - logits.max(1, keepdim=True).values
    probs = logits.exp() / logits.exp().sum(1, keepdim=True)
    loss = -probs.log()[range(32), yb].mean()
    loss.backward()
    with ng.no_grad():
        for p in (C, W1, W2):
            p.data += -0.1 * p.grad
    return loss.item()


def test_forward_backward_leaves_no_garbage_for_the_cycle_collector():
    gc.collect()
    gc.disable()
    try:
        _mlp_step()
        assert gc.collect() == 0
    finally:
        gc.enable()


@pytest.mark.parametrize("sa, sb", [((3,), (3, 4)), ((2, 3), (3,)), ((3,), (3,)),
                                    ((5, 2, 3), (3, 4)), ((1, 2, 3), (4, 3, 2))])
def test_matmul_vectors_and_batches_match_torch(sa, sb):
    rng = np.random.default_rng(6)
    xs, ys = rng.standard_normal(sa), rng.standard_normal(sb)
    a, b = t64(xs, True), t64(ys, True)
    ta, tb = torch.tensor(xs, requires_grad=True), torch.tensor(ys, requires_grad=True)
    out, tout = a @ b, ta @ tb
    assert out.shape == tuple(tout.shape)
    w = rng.standard_normal(tout.shape)
    (out * t64(w)).sum().backward()
    (tout * torch.tensor(w)).sum().backward()
    np.testing.assert_allclose(a.grad.data, ta.grad.numpy(), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(b.grad.data, tb.grad.numpy(), rtol=1e-12, atol=1e-14)


def test_a_method_name_is_registered_once():
    from ninjagrad.tensors.tensor import method

    with pytest.raises(RuntimeError, match=r"Tensor\.sum is registered twice"):
        method("sum")(lambda a: a)
    assert ng.tensor([1.0, 2.0]).sum().item() == 3.0
