"""The lecture's ``cmp`` as data: exact / approximate / maxdiff records and their table."""

import json

import numpy as np
import pytest

from ninjagrad.check.compare import Comparison, as_array, cmp, compare, format_table, print_table


def test_identical_arrays_are_exact():
    a = np.arange(6.0).reshape(2, 3)
    r = compare("a", a, a.copy())
    assert (r.name, r.exact, r.approximate, r.maxdiff, r.shape) == ("a", True, True, 0.0, (2, 3))


def test_tiny_difference_is_approximate_but_not_exact():
    a = np.ones((4, 5))
    b = a.copy()
    b[2, 3] += 2.0**-30  # exactly representable, far inside allclose's tolerance
    r = compare("b", a, b)
    assert not r.exact and r.approximate
    assert r.maxdiff == 2.0**-30


def test_large_difference_is_neither():
    a = np.zeros(3)
    b = np.array([0.0, 0.5, -2.0])
    r = compare("c", a, b)
    assert not r.exact and not r.approximate and r.maxdiff == 2.0
    assert not r.ok


def test_tolerances_are_configurable():
    a, b = np.array([1.0]), np.array([1.001])
    assert not compare("x", a, b).approximate
    assert compare("x", a, b, rtol=1e-2).approximate


def test_maxdiff_is_measured_in_the_wider_dtype():
    a = np.array([0.1], dtype=np.float32)
    b = np.array([0.1], dtype=np.float64)
    r = compare("w", a, b)
    assert r.maxdiff == pytest.approx(abs(float(np.float32(0.1)) - 0.1), rel=1e-12)
    assert r.maxdiff > 0 and not r.exact


def test_shape_mismatch_names_both_shapes():
    with pytest.raises(ValueError, match=r"dlogits.*\(32, 27\).*\(32, 1\)"):
        compare("dlogits", np.zeros((32, 27)), np.zeros((32, 1)))


def test_missing_gradient_is_a_clear_error():
    with pytest.raises(TypeError, match="reference is None"):
        compare("dW1", np.zeros(2), None)
    with pytest.raises(TypeError, match="dict"):
        compare("dW1", {}, np.zeros(2))


def test_list_of_triples_and_table():
    records = compare(
        [("dh", np.ones(3), np.ones(3)), ("dW2", np.zeros((2, 2)), np.full((2, 2), 0.25))]
    )
    assert [r.name for r in records] == ["dh", "dW2"]
    assert [r.approximate for r in records] == [True, False]
    table = format_table(records)
    lines = table.splitlines()
    assert lines[0].split() == ["name", "shape", "exact", "approx", "maxdiff"]
    assert lines[2].split()[:4] == ["dh", "3", "True", "True"]
    assert lines[3].split()[:4] == ["dW2", "2x2", "False", "False"]
    assert "2.500e-01" in lines[3]
    assert lines[-1] == "1/2 approximately equal, 1 exactly equal"


def test_bad_triple_is_rejected():
    with pytest.raises(ValueError, match="item 0"):
        compare([("only", np.zeros(1))])


def test_print_table_writes_the_table(capsys):
    records = compare([("a", np.zeros(1), np.zeros(1))])
    print_table(records)
    assert capsys.readouterr().out == format_table(records) + "\n"


def test_records_are_json_serialisable():
    record = compare("emb", np.zeros((2, 3), np.float32), np.zeros((2, 3), np.float32))
    data = json.loads(json.dumps(record.asdict()))
    assert data == {"name": "emb", "exact": True, "approximate": True, "maxdiff": 0.0,
                    "shape": [2, 3]}
    assert isinstance(record, Comparison) and "emb" in repr(record)


def test_lecture_line_format():
    line = str(compare("logprobs", np.zeros(2), np.zeros(2)))
    assert line == f"{'logprobs':15s} | exact: True  | approximate: True  | maxdiff: 0"


def test_scalar_shapes_must_match_too():
    with pytest.raises(ValueError, match=r"\(\) vs reference \(1,\)"):
        compare("s", 1.5, [1.5])
    assert compare("s", 1.5, 1.5).exact


def test_torch_tensors_are_accepted_without_importing_torch_here():
    torch = pytest.importorskip("torch")
    t = torch.tensor([[1.0, 2.0]], requires_grad=True)
    (t * 3).sum().backward()
    r = compare("t", np.full((1, 2), 3.0, np.float32), t.grad)
    assert r.exact
    assert as_array(t).tolist() == [[1.0, 2.0]]  # a tensor needing grad is detached first


def test_cmp_uses_the_reference_tensors_grad(capsys):
    torch = pytest.importorskip("torch")
    t = torch.tensor([1.0, -2.0], dtype=torch.float64, requires_grad=True)
    (t**2).sum().backward()
    r = cmp("t", np.array([2.0, -4.0]), t)
    assert r.exact
    assert capsys.readouterr().out.startswith(f"{'t':15s} | exact: True ")
    fresh = torch.zeros(2, requires_grad=True)
    with pytest.raises(ValueError, match="no .grad"):
        cmp("fresh", np.zeros(2), fresh)


def test_ninjagrad_tensors_are_accepted():
    import ninjagrad as ng

    x = ng.tensor(np.array([1.0, 2.0]), requires_grad=True)
    (x * x).sum().backward()
    r = compare("dx", np.array([2.0, 4.0]), x.grad)
    assert r.exact and r.shape == (2,)
    assert compare("x", x, np.array([1.0, 2.0])).exact  # requires grad: read, not refused
    assert cmp("x", np.array([2.0, 4.0]), x).exact


def test_equal_infinities_differ_by_zero_and_nan_is_never_equal():
    inf = compare("x", np.array([np.inf, -np.inf, 1.0]), np.array([np.inf, -np.inf, 1.5]))
    assert inf.maxdiff == 0.5 and not inf.exact
    nan = compare("y", np.array([np.nan, 1.0]), np.array([np.nan, 1.0]))
    assert np.isnan(nan.maxdiff) and not nan.exact and not nan.approximate
