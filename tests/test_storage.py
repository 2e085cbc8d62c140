"""``Tensor.storage()``, ``untyped_storage()``, ``data_ptr()``, ``storage_offset()``,
``is_contiguous()`` and ``contiguous()`` side by side with PyTorch 2.13: what the makemore
lecture shows about views (``emb.view(32, 6)`` reads the same memory as ``emb``)."""

import warnings

import numpy as np
import pytest

import ninjagrad as ng
import ninjagrad.tensors.storage

torch = pytest.importorskip("torch")


def both(make):
    """``make(lib, array)`` on ninjagrad and on PyTorch, from the same random numbers."""
    rng = np.random.default_rng(0)
    data = rng.standard_normal((27, 2)).astype(np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the TypedStorage deprecation (tested on its own)
        return make(ng, data), make(torch, data)


def printed(s, lib):
    """A storage's printout, with PyTorch's module prefix written as ninjagrad's."""
    return repr(s).replace("torch.", "ninjagrad.") if lib is torch else repr(s)


VIEWS = {
    "emb": lambda L, C: L.tensor(C)[L.tensor([[1, 2, 3], [4, 5, 6]])],
    "emb.view": lambda L, C: L.tensor(C)[L.tensor([[1, 2, 3], [4, 5, 6]])].view(2, 6),
    "row": lambda L, C: L.tensor(C)[3],
    "column": lambda L, C: L.tensor(C)[:, 1],
    "slice": lambda L, C: L.tensor(C)[5:9],
    "transpose": lambda L, C: L.tensor(C).T,
    "arange.view": lambda L, C: L.arange(18).view(3, 6),
    "expand": lambda L, C: L.tensor(C)[0].view(1, 2).expand(4, 2),
    "detach": lambda L, C: L.tensor(C, requires_grad=True).detach()[2:],
    "scalar": lambda L, C: L.tensor(C)[2, 1],
    "empty": lambda L, C: L.zeros(0, 3),
    "int64": lambda L, C: L.tensor([[1, 2], [3, 4]])[1],
    "bool": lambda L, C: L.tensor([True, False, True])[1:],
    "float64": lambda L, C: L.tensor(C, dtype=L.float64)[1:3, 0],
    "abs of a transpose": lambda L, C: L.tensor(C).T.abs(),  # laid out like its input
    "computed": lambda L, C: (L.tensor(C) * 2).sum(1),
}


@pytest.mark.parametrize("name", VIEWS)
def test_a_storage_prints_and_reads_as_pytorchs(name):
    ours, theirs = both(lambda L, C: VIEWS[name](L, C))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        s, t = ours.storage(), theirs.storage()
    assert printed(s, ng) == printed(t, torch)
    assert len(s) == len(t) and s.size() == t.size() and s.nbytes() == t.nbytes()
    assert list(s) == list(t) and s.tolist() == t.tolist()
    assert s.element_size() == t.element_size() == ours.element_size() == theirs.element_size()
    assert repr(s.dtype) == repr(t.dtype).replace("torch.", "ninjagrad.") and str(s.device) == "cpu"
    if len(t):
        assert s[0] == t[0] and s[-1] == t[-1] and type(s[0]) is type(t[0])
    u, v = ours.untyped_storage(), theirs.untyped_storage()
    assert printed(u, ng) == printed(v, torch)
    assert len(u) == len(v) == u.nbytes() and list(u) == list(v)
    # where the tensor starts in its storage, and whether it reads it in row-major order
    assert ours.storage_offset() == theirs.storage_offset()
    assert ours.data_ptr() - s.data_ptr() == theirs.data_ptr() - t.data_ptr()
    assert s.data_ptr() == u.data_ptr()
    assert ours.is_contiguous() == theirs.is_contiguous()


def test_a_view_shares_its_base_storage_and_first_element():
    for lib in (ng, torch):
        emb = lib.randn(32, 3, 2)
        v = emb.view(32, 6)
        assert v.data_ptr() == emb.data_ptr()
        assert v.untyped_storage().data_ptr() == emb.untyped_storage().data_ptr()
        row = emb[1]
        assert row.data_ptr() - emb.data_ptr() == 6 * emb.element_size()
        assert row.untyped_storage().data_ptr() == emb.untyped_storage().data_ptr()
        copy = emb[lib.tensor([1])]
        assert copy.untyped_storage().data_ptr() != emb.untyped_storage().data_ptr()


def test_writing_into_a_storage_changes_every_tensor_on_it():
    for lib in (ng, torch):
        x = lib.arange(6.0).view(2, 3)
        row = x[1]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            row.storage()[4] = 40.0
        assert x.tolist() == [[0.0, 1.0, 2.0], [3.0, 40.0, 5.0]] and row.tolist()[1] == 40.0


def test_storage_warns_once_like_pytorch(monkeypatch):
    """PyTorch 2.13 warns the first time a process asks for a TypedStorage."""
    monkeypatch.setattr(ninjagrad.tensors.storage, "_warned", False)
    x = ng.ones(2)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        x.storage()
        x.storage()
    assert len(caught) == 1 and caught[0].category is UserWarning
    assert str(caught[0].message).startswith("TypedStorage is deprecated.")
    assert "untyped_storage()" in str(caught[0].message)
    assert caught[0].filename == __file__  # attributed to the caller, as PyTorch's is
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        x.untyped_storage()
    assert not caught


def test_storage_refuses_what_it_does_not_do():
    s = ng.arange(6.0).untyped_storage()
    with pytest.raises(IndexError, match="out of range"):
        s[48]
    with pytest.raises(RuntimeError, match="int"):
        s[1:3]  # PyTorch slices an UntypedStorage; ninjagrad's do not
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t = ng.arange(6.0).storage()
    for lib_storage, index in ((t, 6), (t, -7)):
        with pytest.raises(IndexError, match="out of range for storage of size 6"):
            lib_storage[index]
    with pytest.raises(NotImplementedError, match="memory_format"):
        ng.ones(2).is_contiguous(memory_format="channels_last")


def test_contiguous_is_the_tensor_itself_or_a_row_major_copy():
    for lib in (ng, torch):
        x = lib.arange(6.0).view(2, 3).requires_grad_()
        assert x.contiguous() is x
        t = x.T
        c = t.contiguous()
        assert not t.is_contiguous() and c.is_contiguous()
        assert c.tolist() == t.tolist() and c.data_ptr() != t.data_ptr()
        assert c.grad_fn.name() == "CloneBackward0"
        (c * lib.arange(6.0).view(3, 2)).sum().backward()
        assert x.grad.tolist() == [[0.0, 2.0, 4.0], [1.0, 3.0, 5.0]]
