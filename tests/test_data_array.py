"""``t.data`` is a numpy array (DESIGN.md) that answers PyTorch programs as PyTorch's
``.data`` does: each program below runs on both libraries and is compared."""

import numpy as np
import pytest
import torch
from test_inplace_views import run_both

import ninjagrad as ng


def leaf(L, values, dtype=None):
    return L.tensor(values, dtype=dtype, requires_grad=True)


def test_data_is_a_numpy_array_on_the_tensors_memory():
    t = ng.tensor([1.0, 2.0, 3.0], requires_grad=True)
    d = t.data
    assert isinstance(d, np.ndarray)
    d[0] = 7.0
    assert t.tolist() == [7.0, 2.0, 3.0]
    assert np.shares_memory(d, t.detach().numpy())


def test_lecture_update_to_data_ratio():
    # makemore part 3: ((lr * p.grad).std() / p.data.std()).log10() for every parameter
    rng = np.random.default_rng(0)
    w, g = rng.standard_normal((30, 20)).astype(np.float32), rng.standard_normal((30, 20))

    def program(L):
        p = L.tensor(w, requires_grad=True)
        (p * L.tensor(g.astype(np.float32))).sum().backward()
        ratio = ((0.1 * p.grad).std() / p.data.std()).log10()
        return {"ratio": ratio, "std": p.data.std()}

    got = run_both(program)
    assert got["std"].item() == pytest.approx(w.std(ddof=1), rel=1e-6)  # not numpy's ddof=0


@pytest.mark.parametrize("name, call", [
    ("std()", lambda d: d.std()),
    ("var()", lambda d: d.var()),
    ("std(0)", lambda d: d.std(0)),
    ("var(1, keepdim=True)", lambda d: d.var(1, keepdim=True)),
    ("std(correction=0)", lambda d: d.std(correction=0)),
    ("max()", lambda d: d.max()),
    ("max(1).values", lambda d: d.max(1).values),
    ("max(1).indices", lambda d: d.max(1)[1]),
    ("min(0, keepdim=True).values", lambda d: d.min(0, keepdim=True).values),
])
def test_methods_numpy_and_pytorch_name_alike_answer_as_pytorchs(name, call):
    def program(L):
        t = L.tensor([[1.0, 5.0, 2.0], [4.0, 3.0, 0.5]], requires_grad=True)
        return {name: L.tensor(np.asarray(call(t.data)))}

    run_both(program)


@pytest.mark.parametrize("name, make", [
    ("int * 0.5", lambda L, i, f, s: i.data * 0.5),
    ("int / 2", lambda L, i, f, s: i.data / 2),
    ("2 / int", lambda L, i, f, s: 2 / i.data),
    ("float32 + int64", lambda L, i, f, s: f.data + i.data),
    ("float32 * 0-d float64", lambda L, i, f, s: f.data * s.data),
    ("exp(int)", lambda L, i, f, s: np.exp(i.data)),
    ("-int", lambda L, i, f, s: -i.data),
    ("float32 @ float32", lambda L, i, f, s: f.data @ f.data),
    ("int == float", lambda L, i, f, s: i.data == f.data),
])
def test_arithmetic_on_data_gives_pytorchs_dtype(name, make):
    def program(L):
        i = L.tensor([1, 2, 3])
        f = L.tensor([0.5, 1.5, 2.5], requires_grad=True)
        s = L.tensor(2.0, dtype=L.float64)
        return {name: L.tensor(np.asarray(make(L, i, f, s)))}

    run_both(program)


def test_data_times_a_tensor_that_requires_grad_is_in_the_graph():
    def program(L):
        a = leaf(L, [1.0, 2.0])
        b = leaf(L, [3.0, 4.0])
        y = b.data * a
        y.sum().backward()
        return {"y": y, "a.grad": a.grad, "b.grad": b.grad}

    run_both(program)
    a = ng.tensor([1.0, 2.0], requires_grad=True)
    assert (ng.tensor([3.0, 4.0]).data * a).grad_fn is not None


OVERLAP = "refer to a single memory location"


@pytest.mark.parametrize("write", [
    lambda a, v: a.data[:-1].__imul__(v.data),
    lambda a, v: v.data.__iadd__(a.data[:-1]),
])
def test_overlapping_write_through_data_is_refused(write):
    def program(L):
        a = L.arange(6.0)
        v = a[1:]
        write(a, v)
        return {"a": a}

    run_both(program, raises=OVERLAP)


@pytest.mark.parametrize("slices", [(slice(None), slice(2, 3)), (1, slice(None), 2)])
def test_overlap_with_a_view_with_gaps_is_refused_where_pytorch_guesses(slices):
    # inplace 2828 and 14444 of fuzz seed 20261218: c.data -= c[:, 2:3].data. PyTorch tests
    # the overlap only of dense tensors; for a view with gaps it writes row by row, so rows
    # after row 2 subtract the already-zeroed row. ninjagrad refuses, saying why, and keeps
    # PyTorch's own message where PyTorch refuses too (the dense a.data[:-1] above)
    t = torch.arange(48).reshape(3, 4, 4)
    t.data -= t[slices].data  # no error in PyTorch
    c = ng.arange(48).reshape(3, 4, 4)
    before = c.numpy().copy()
    with pytest.raises(RuntimeError, match="not dense .* ninjagrad refuses") as e:
        c.data -= c[slices].data
    assert str(e.value).startswith("unsupported operation: some elements of the input "
                                   "tensor and the written-to tensor refer to a single memory")
    np.testing.assert_array_equal(c.numpy(), before)  # nothing written
    a = ng.arange(6.0)
    with pytest.raises(RuntimeError) as e:
        a.data[:-1] *= a[1:].data
    assert str(e.value) == (
        "unsupported operation: some elements of the input tensor and the written-to tensor "
        "refer to a single memory location. Please clone() the tensor before performing the "
        "operation.")


def test_transposed_view_times_its_base_through_data_is_refused():
    # fuzzer, inplace seed 20261204 program 11991: t.data *= a.data with t = a.T
    def program(L):
        a = L.tensor([[1.0, 2.0], [3.0, 4.0]])
        t = a.T
        t.data *= a.data
        return {"a": a}

    run_both(program, raises=OVERLAP)


def test_the_same_array_on_both_sides_is_fine():
    def program(L):
        a = leaf(L, [1.0, -2.0, 3.0])
        a.data *= a.data
        a.data += a.data
        return {"a": a}

    run_both(program)


@pytest.mark.parametrize("name, write, raises", [
    ("float - bool", lambda L, f, i, m: f.data.__isub__(m.data), "Subtraction.*bool"),
    ("int /= 2", lambda L, f, i, m: i.data.__itruediv__(2), "can't be cast"),
    ("int += 0.5", lambda L, f, i, m: i.data.__iadd__(0.5), "can't be cast"),
    ("int += float", lambda L, f, i, m: i.data.__iadd__(f.data), "can't be cast"),
    ("grow", lambda L, f, i, m: f.data.__iadd__(L.ones(2, 3).data), "doesn't match the broadcast"),
])
def test_inplace_through_data_refuses_what_pytorch_refuses(name, write, raises):
    def program(L):
        f = L.tensor([1.0, 2.0, 3.0])
        i = L.tensor([1, 2, 3])
        m = L.tensor([True, False, True])
        write(L, f, i, m)
        return {"f": f}

    run_both(program, raises=raises)


@pytest.mark.parametrize("name, write", [
    ("float32 += float64", lambda L, f, i, d: f.data.__iadd__(d.data)),
    ("float32 *= int64", lambda L, f, i, d: f.data.__imul__(i.data)),
    ("int64 *= 3", lambda L, f, i, d: i.data.__imul__(3)),
    ("float32 -= 0-d", lambda L, f, i, d: f.data.__isub__(d.data[0])),
    ("sgd step with a tensor", lambda L, f, i, d: f.data.__iadd__(-0.1 * f)),
    ("broadcast row", lambda L, f, i, d: f.data.__iadd__(L.tensor([[1.0, 2.0, 3.0]]).data[0])),
])
def test_inplace_through_data_matches_pytorch(name, write):
    def program(L):
        f = L.tensor([1.0, 2.5, 16777217.0 / 4])
        i = L.tensor([1, 2, 3])
        d = L.tensor([0.1, 0.2, 0.3], dtype=L.float64)
        write(L, f, i, d)
        return {"f": f, "i": i}

    run_both(program)


def test_sgd_through_data_keeps_the_parameter_its_own_array():
    p = ng.tensor([1.0, 2.0], requires_grad=True)
    before = p.detach().numpy()
    (p * p).sum().backward()
    p.data += -0.1 * p.grad
    assert type(p._data) is np.ndarray and p.detach().numpy() is before
    assert p.tolist() == pytest.approx([0.8, 1.6])


def test_numpy_keywords_and_functions_keep_numpys_meaning():
    t = ng.tensor([[1.0, 5.0, 2.0], [4.0, 3.0, 0.5]])
    x = t.numpy()
    assert np.std(t.data) == pytest.approx(x.std())  # numpy's biased std, as numpy promises
    assert t.data.std(ddof=0) == pytest.approx(x.std())
    np.testing.assert_array_equal(t.data.max(axis=1), [5.0, 4.0])
    np.testing.assert_array_equal(np.sort(t.data), np.sort(x))
    np.testing.assert_array_equal(np.repeat(t.data[0], 2), [1, 1, 5, 5, 2, 2])
    assert type(t.numpy()) is np.ndarray


@pytest.mark.parametrize("call, says", [
    (lambda d: d.repeat(2), "numpy.tile"),
    (lambda d: d.sort(), "numpy.sort"),
])
def test_methods_that_mean_different_things_raise(call, says):
    t = ng.tensor([3.0, 1.0, 2.0])
    with pytest.raises(NotImplementedError, match=says):
        call(t.data)
    assert t.tolist() == [3.0, 1.0, 2.0]  # not sorted in place


class Double(ng.Function):
    @staticmethod
    def forward(ctx, x):
        return x * 2

    @staticmethod
    def backward(ctx, g):
        return (g * 2).data


@pytest.mark.parametrize("make", [
    lambda d: ng.tensor(d.data),
    lambda d: d + d.data,
    lambda d: d.data + ng.tensor([1.0, 1.0]),
    lambda d: ng.tensor([0.0, 0.0]).__setattr__("data", d.data) or d,
])
def test_a_tensor_never_holds_a_data_array(make):
    d = ng.tensor([1.0, 2.0])
    t = make(d)
    assert type(t._data) is np.ndarray


def test_function_backward_may_return_data():
    x = ng.tensor([1.0, 2.0], requires_grad=True)
    Double.apply(x).sum().backward()
    assert type(x.grad._data) is np.ndarray and x.grad.tolist() == [2.0, 2.0]


def test_assigning_data_gives_the_tensor_that_memory():
    def program(L):
        a = L.tensor([1.0, 2.0, 3.0])
        b = L.tensor([[5.0, 6.0], [7.0, 8.0]])
        a.data = b.data[1]
        b.data[1, 0] = 0.0
        return {"a": a}

    run_both(program)


def test_pytorch_data_has_these_semantics():
    # the reference itself: the checks above rely on what PyTorch's .data does
    t = torch.tensor([[1.0, 5.0, 2.0], [4.0, 3.0, 0.5]])
    assert t.data.std().item() == pytest.approx(np.std(t.numpy(), ddof=1))
    assert (torch.tensor([1, 2]).data * 0.5).dtype == torch.float32


def test_numpys_own_code_works_on_a_bool_data():
    # np.testing subtracts the arrays it compares, which PyTorch's bool operator refuses;
    # on a PyTorch tensor numpy sees a plain array, so ninjagrad gives numpy's answer too
    m = ng.tensor([True, False, True])
    np.testing.assert_allclose(m.data, [1.0, 0.0, 1.0])
    np.testing.assert_array_equal((m.data - np.array([1.0, 1.0, 1.0])), [0.0, -1.0, 0.0])
    with pytest.raises(RuntimeError, match="Subtraction.*bool"):
        m.data -= np.array([True, True, True])  # in place, PyTorch's refusal stays


@pytest.mark.parametrize("name, make, raises", [
    # fuzzer data_read, tensor seed 777: numpy gave 0 (with a warning) for an integer // 0
    ("int // 0", lambda L, i, z, m, d: i.data // 0, "ZeroDivisionError"),
    ("int % 0", lambda L, i, z, m, d: i.data % 0, "ZeroDivisionError"),
    ("int % int with a 0", lambda L, i, z, m, d: i.data % z.data, "ZeroDivisionError"),
    ("5 // int with a 0", lambda L, i, z, m, d: 5 // z.data, "ZeroDivisionError"),
    ("tensor int // tensor with a 0", lambda L, i, z, m, d: i // z, "ZeroDivisionError"),
    ("tensor 2 % int with a 0", lambda L, i, z, m, d: 2 % z, "ZeroDivisionError"),
    ("bool // bool", lambda L, i, z, m, d: m.data // m.data, "div_floor_cpu.*Bool"),
    ("tensor bool % bool", lambda L, i, z, m, d: m % m, "remainder_cpu.*Bool"),
    ("bool % True", lambda L, i, z, m, d: m % True, "remainder_cpu.*Bool"),
    # the refusals a .data operator used to swallow into numpy's answer
    ("bool ** bool", lambda L, i, z, m, d: m.data ** m.data, "pow.*Bool"),
    ("bool @ bool", lambda L, i, z, m, d: m.data @ m.data, "dot.*Bool"),
    ("float32 @ float64", lambda L, i, z, m, d: L.tensor([1.0, 2.0, 3.0]).data @ d.data,
     "same dtype"),
])
def test_integer_division_and_operators_refuse_as_pytorch(name, make, raises):
    def program(L):
        i = L.tensor([3, -4, 5])
        z = L.tensor([1, 0, 2])
        m = L.tensor([True, False, True])
        d = L.tensor([0.5, 1.0, 2.0], dtype=L.float64)
        return {name: L.tensor(np.asarray(make(L, i, z, m, d)))}

    run_both(program, raises=raises)


@pytest.mark.parametrize("name, make", [
    ("int // -3", lambda L, i, z, f: i.data // -3),
    ("int % 2", lambda L, i, z, f: i.data % 2),
    ("-7 // int", lambda L, i, z, f: -7 // i.data),
    ("int // 0.0", lambda L, i, z, f: i.data // 0.0),
    ("int % 0.0", lambda L, i, z, f: i.data % 0.0),
    ("float // int with a 0", lambda L, i, z, f: f.data // z.data),
    ("bool // 2", lambda L, i, z, f: L.tensor([True, False]).data // 2),
])
def test_division_by_a_nonzero_or_in_floats_matches_pytorch(name, make):
    def program(L):
        i = L.tensor([3, -4, 5])
        z = L.tensor([1, 0, 2])
        f = L.tensor([1.5, -2.5, 0.0])
        return {name: L.tensor(np.asarray(make(L, i, z, f)))}

    run_both(program)


@pytest.mark.parametrize("name, call", [
    # found probing .data methods next to the fuzzer's data_read: numpy's transpose(0, 1)
    # of a matrix is the matrix itself (a silent shape difference), numpy's sum has no dim=
    # and its mean answers integers that PyTorch refuses
    ("transpose(0, 1)", lambda d: d.transpose(0, 1)),
    ("transpose(-1, 0) of 3-D", lambda d: d.reshape(1, 2, 3).transpose(-1, 0)),
    ("sum(dim=1)", lambda d: d.sum(dim=1)),
    ("sum(0, keepdim=True)", lambda d: d.sum(0, keepdim=True)),
    ("sum()", lambda d: d.sum()),
    ("mean(dim=(0, 1))", lambda d: d.mean(dim=(0, 1))),
    ("mean(1)", lambda d: d.mean(1)),
])
def test_sum_mean_transpose_of_data_answer_as_pytorchs(name, call):
    def program(L):
        t = L.tensor([[1.0, 5.0, 2.0], [4.0, 3.0, 0.5]], requires_grad=True)
        return {name: L.tensor(np.asarray(call(t.data)))}

    run_both(program)


def test_mean_of_integer_data_is_refused_as_pytorch_refuses():
    def program(L):
        return {"mean": L.tensor(np.asarray(L.tensor([1, 2]).data.mean()))}

    run_both(program, raises="mean\\(\\): could not infer output dtype")


def test_transposed_data_is_a_view_and_numpy_keeps_its_transpose():
    t = ng.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    t.data.transpose(0, 1)[2, 0] = 9.0  # a view, as PyTorch's: the write reaches t
    assert t.tolist() == [[1.0, 2.0, 9.0], [4.0, 5.0, 6.0]]
    x = t.numpy()
    np.testing.assert_array_equal(np.transpose(t.data), x.T)
    np.testing.assert_array_equal(np.transpose(t.data, (1, 0)), x.T)
    np.testing.assert_array_equal(t.data.transpose(), x.T)
    assert np.sum(t.data, axis=0).tolist() == [5.0, 7.0, 15.0]
    assert np.mean(ng.tensor([1, 2]).data) == 1.5  # numpy's function, numpy's answer


@pytest.mark.parametrize("name, use", [
    ("grad.data.zero_()", lambda L, p, x: p.grad.data.zero_()),
    ("data.add_(1)", lambda L, p, x: p.data.add_(1.0)),
    ("data.mul_(x)", lambda L, p, x: p.data.mul_(x.data)),
    ("data.fill_(2)", lambda L, p, x: p.data.fill_(2.0)),
    ("data.copy_(x)", lambda L, p, x: p.data.copy_(x)),
    ("data.clone().zero_()", lambda L, p, x: p.data.clone().zero_()),
])
def test_tensor_methods_numpy_lacks_work_on_data_as_in_pytorch(name, use):
    # older PyTorch code zeroes gradients with p.grad.data.zero_(); the writes go into the
    # tensor's memory, uncounted: the second backward uses the new values, as in PyTorch
    def program(L):
        p = leaf(L, [1.0, -2.0, 3.0])
        x = L.tensor([0.5, 0.25, 2.0])
        y = (p * p).sum()
        y.backward(retain_graph=True)
        g = p.grad
        use(L, p, x)
        y2 = (p * x).sum()
        y2.backward()
        return {"p": p, "g": g, "p.grad": p.grad}

    run_both(program)


@pytest.mark.parametrize("name, read", [
    ("abs()", lambda d: d.abs()),
    ("exp()", lambda d: d.exp()),
    ("float()", lambda d: d.float()),
    ("long()", lambda d: d.long()),
    ("unsqueeze(0)", lambda d: d.unsqueeze(0)),
    ("dim()", lambda d: d.dim()),
    ("numel()", lambda d: d.numel()),
    ("requires_grad", lambda d: d.requires_grad),
    ("is_leaf", lambda d: d.is_leaf),
    ("grad_fn", lambda d: d.grad_fn),
])
def test_tensor_reads_numpy_lacks_answer_as_pytorchs(name, read):
    answers = []
    for L in (ng, torch):
        t = L.tensor([[1.5, -2.0], [3.0, 0.25]], dtype=L.float64, requires_grad=True)
        r = read(t.data)
        answers.append(r if r is None or isinstance(r, (bool, int)) else
                       (np.asarray(r).dtype.name if isinstance(r, np.ndarray) else
                        str(r.dtype).removeprefix("torch."), np.asarray(r).tolist()))
    assert answers[0] == answers[1]


def test_a_name_neither_has_is_a_clear_attribute_error():
    with pytest.raises(AttributeError, match="DataArray.*has no attribute 'zero'"):
        ng.tensor([1.0]).data.zero()


@pytest.mark.parametrize("divide", [
    lambda L, e: e // 0,
    lambda L, e: e % 0,
    lambda L, e: 5 // e,
    lambda L, e: e.data // 0,
    lambda L, e: L.ones(3, 1, dtype=L.int64) % L.zeros(0, dtype=L.int64),
])
def test_an_empty_integer_division_by_zero_divides_nothing(divide):
    # inplace 13056 of seed 20261209: T.tensor(c2.data // 0) of an empty c2 raised
    # ZeroDivisionError here; PyTorch checks each element, and there are none
    def program(L):
        e = L.zeros(0, dtype=L.int64)
        return {"r": L.tensor(np.asarray(divide(L, e)))}

    run_both(program)
