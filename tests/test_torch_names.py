"""The PyTorch names that course code touches outside the ops: dtypes, devices, printing,
``grad_fn``, ``autograd``, histograms and constructors, each side by side with PyTorch."""

import math

import numpy as np
import pytest

import ninjagrad as ng

torch = pytest.importorskip("torch")


def same_name(ours, theirs):
    """``ninjagrad.float32`` against ``torch.float32``: the same name after the prefix."""
    return repr(ours).removeprefix("ninjagrad.") == repr(theirs).removeprefix("torch.")


# ------------------------------------------------------------------------------------ dtypes
@pytest.mark.parametrize("name", ["float", "double", "half", "long", "int", "short", "bool",
                                  "float16", "float32", "float64", "int8", "int16", "int32",
                                  "int64", "uint8", "cfloat", "cdouble"])
def test_dtype_aliases_are_pytorchs(name):
    ours, theirs = getattr(ng, name), getattr(torch, name)
    assert same_name(ours, theirs)
    assert str(ours) == repr(ours) == "ninjagrad." + repr(theirs).removeprefix("torch.")
    assert ours.is_floating_point == theirs.is_floating_point
    assert ours.itemsize == theirs.itemsize
    assert isinstance(ours, ng.dtype)
    t = ng.zeros(2, dtype=ours)
    assert same_name(t.dtype, torch.zeros(2, dtype=theirs).dtype)


def test_dtypes_compare_equal_to_numpys():
    assert ng.float32 == np.float32 and ng.float32 == np.dtype("float32") and ng.float == "float32"
    assert np.dtype(np.float64) == ng.double and ng.int64 != ng.int32
    assert ng.tensor([1.0]).dtype == np.float32 and ng.tensor([1]).dtype is ng.long
    assert {np.dtype(np.float32): "x"}[ng.float32] == "x"  # hashes agree with numpy's
    assert np.zeros(2, dtype=ng.half).dtype == np.float16  # numpy takes a DType as a dtype
    assert repr(ng.tensor([1.0], dtype=ng.double)) == "tensor([1.], dtype=ninjagrad.float64)"
    assert ng.tensor([1, 2], dtype=float).dtype == torch.tensor([1, 2], dtype=float).dtype.__repr__(
    ).removeprefix("torch.")


@pytest.mark.parametrize("method", ["float", "double", "half", "long", "int", "bool"])
def test_cast_methods(method):
    data = [[-1.5, 0.0], [2.25, 3.0]]
    ours, theirs = getattr(ng.tensor(data), method)(), getattr(torch.tensor(data), method)()
    assert same_name(ours.dtype, theirs.dtype)
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


# ------------------------------------------------------------------------------------ devices
def test_cpu_is_accepted_wherever_pytorch_takes_a_device():
    cpu = ng.device("cpu")
    assert repr(cpu) == repr(torch.device("cpu")) and str(cpu) == "cpu" and cpu.type == "cpu"
    assert cpu == ng.device(cpu) and cpu != ng.device("cpu:0") and cpu != "cpu"
    x = ng.ones(2, 3, device="cpu")
    assert x.device == cpu and x.to("cpu") is x and x.cpu() is x and x.to(cpu) is x
    assert x.to("cpu", ng.float64).dtype == ng.float64
    assert x.to(device=cpu, dtype=ng.long).dtype == ng.int64
    assert x.to(ng.ones(1, dtype=ng.double)).dtype == ng.float64
    assert x.to(ng.float32, copy=True) is not x
    made = [ng.tensor([1.0], device=cpu), ng.zeros(2, device=cpu), ng.ones(2, device="cpu"),
            ng.full((2,), 1.0, device=cpu), ng.arange(3, device=cpu),
            ng.linspace(0, 1, 3, device=cpu), ng.randn(2, device=cpu), ng.rand(2, device=cpu),
            ng.randint(0, 3, (2,), device=cpu), ng.empty(2, device=cpu),
            ng.eye(2, device=cpu), ng.zeros_like(x, device=cpu), ng.ones_like(x, device=cpu),
            ng.full_like(x, 2, device=cpu), ng.randn_like(x, device=cpu),
            ng.rand_like(x, device=cpu), ng.empty_like(x, device=cpu)]
    assert all(t.device == cpu for t in made)


@pytest.mark.parametrize("where", ["cuda", "mps", "cuda:0", "xpu"])
def test_other_devices_are_refused_with_the_reason(where):
    x = ng.ones(2)
    attempts = [lambda: ng.device(where), lambda: x.to(where), lambda: ng.zeros(2, device=where),
                lambda: ng.tensor([1.0], device=where), lambda: ng.set_default_device(where),
                lambda: ng.linspace(0, 1, 5, device=where),
                lambda: ng.full((), 0.0, device=where), lambda: x.cuda(),
                lambda: ng.randn(2, device=where)]
    for attempt in attempts:
        with pytest.raises(RuntimeError, match="ninjagrad computes on the CPU with numpy"):
            attempt()


def test_accelerator_questions_are_answered_truthfully():
    assert ng.cuda.is_available() is False and ng.cuda.device_count() == 0
    assert ng.accelerator.is_available() is False
    assert ng.accelerator.current_accelerator() is None
    ng.set_default_device("cpu")
    ng.set_default_device(ng.device("cpu"))
    assert ng.get_default_device() == ng.device("cpu")
    # the tutorials' device choice runs unchanged and picks the CPU
    acc = ng.accelerator
    device = acc.current_accelerator().type if acc.is_available() else "cpu"
    assert device == "cpu"


# ----------------------------------------------------------------------------------- printing
@pytest.mark.parametrize("spec", ["", ".4f", ".2e", "8.3f", "g"])
def test_format_of_a_0d_tensor_is_the_number(spec):
    for value in (2.4544, -0.001, 3):
        ours, theirs = ng.tensor(value), torch.tensor(value)
        assert format(ours, spec) == format(theirs, spec)
    loss = (ng.tensor([1.5, 2.5], requires_grad=True) ** 2).mean()
    ref = (torch.tensor([1.5, 2.5], requires_grad=True) ** 2).mean()
    assert f"{loss}" == f"{ref}" and f"step 3: {loss:.4f}" == f"step 3: {ref:.4f}"


def test_format_of_other_tensors_is_str_and_refuses_a_spec():
    assert f"{ng.ones(2)}" == "tensor([1., 1.])" == f"{torch.ones(2)}"
    for lib in (ng, torch):
        with pytest.raises(TypeError, match="unsupported format string passed to Tensor"):
            f"{lib.ones(2):.2f}"


def test_shape_and_size_are_a_size():
    ours, theirs = ng.zeros(5, 27), torch.zeros(5, 27)
    pairs = [(ours.shape, theirs.shape), (ours.size(), theirs.size()),
             (ours.shape[1:], theirs.shape[1:]), ((3,) + ours.shape, (3,) + theirs.shape),
             (ours.shape + (2,), theirs.shape + (2,)), (ng.ones(()).shape, torch.ones(()).shape)]
    for a, b in pairs:
        assert isinstance(a, ng.Size) and isinstance(a, tuple)
        assert repr(a) == repr(b).replace("torch.", "ninjagrad.") and str(a) == repr(a)
        assert a == tuple(b) and a.numel() == b.numel()
    assert repr(ours.shape) == "ninjagrad.Size([5, 27])"
    assert ours.shape == (5, 27) and ours.size(1) == 27 and ours.shape[0] == 5


GRAD_FNS = {
    "mul": lambda L, a, b: a * b, "mul_scalar": lambda L, a, b: a * 2, "add": lambda L, a, b: a + b,
    "sub": lambda L, a, b: a - b, "rsub": lambda L, a, b: 1 - a, "div": lambda L, a, b: a / b,
    "pow": lambda L, a, b: a**2, "pow_tensor": lambda L, a, b: a**b, "neg": lambda L, a, b: -a,
    "exp": lambda L, a, b: a.exp(), "log": lambda L, a, b: a.log(),
    "tanh": lambda L, a, b: a.tanh(),
    "sum": lambda L, a, b: a.sum(), "sum_dim": lambda L, a, b: a.sum(0),
    "mean": lambda L, a, b: a.mean(), "mean_dim": lambda L, a, b: a.mean(1, keepdim=True),
    "view": lambda L, a, b: a.view(-1), "mm": lambda L, a, b: a @ b.T,
    "max_all": lambda L, a, b: a.max(), "max_dim": lambda L, a, b: a.max(1).values,
    "transpose": lambda L, a, b: a.transpose(0, 1), "permute": lambda L, a, b: a.permute(1, 0),
    "cat": lambda L, a, b: L.cat([a, b]), "stack": lambda L, a, b: L.stack([a, b]),
    "clone": lambda L, a, b: a.clone(), "to": lambda L, a, b: a.double(),
    "sin": lambda L, a, b: a.sin(), "cos": lambda L, a, b: L.cos(a),
    "clamp": lambda L, a, b: a.clamp(0, 1), "clamp_min": lambda L, a, b: a.clamp_min(0),
    "clamp_tensors": lambda L, a, b: a.clamp(b, None), "maximum": lambda L, a, b: L.maximum(a, b),
    "where": lambda L, a, b: L.where(a > 0, a, b), "relu": lambda L, a, b: a.relu(),
    "sigmoid": lambda L, a, b: a.sigmoid(), "abs": lambda L, a, b: a.abs(),
    "var": lambda L, a, b: a.var(), "cumsum": lambda L, a, b: a.cumsum(0),
    "prod": lambda L, a, b: a.prod(), "sign": lambda L, a, b: a.sign(),
    "floor": lambda L, a, b: a.floor(), "remainder": lambda L, a, b: a % b,
}


@pytest.mark.parametrize("name", GRAD_FNS)
def test_grad_fn_names_the_op_as_pytorch_does(name):
    fn = GRAD_FNS[name]
    data = [[0.5, 1.5], [2.0, 3.0]]
    a, b = ng.tensor(data, requires_grad=True), ng.tensor(data, requires_grad=True)
    ta, tb = torch.tensor(data, requires_grad=True), torch.tensor(data, requires_grad=True)
    ours, theirs = fn(ng, a, b), fn(torch, ta, tb)
    assert ours.grad_fn.name() == theirs.grad_fn.name()
    assert repr(ours.grad_fn) == f"<{theirs.grad_fn.name()}>"
    assert f"grad_fn=<{theirs.grad_fn.name()}>" in repr(ours)


def test_grad_fn_is_none_for_leaves_and_no_grad_results():
    x = ng.ones(2, requires_grad=True)
    assert x.grad_fn is None and ng.ones(2).grad_fn is None
    with ng.no_grad():
        assert (x * 2).grad_fn is None

    class Cube(ng.autograd.Function):
        @staticmethod
        def forward(ctx, t):
            ctx.save_for_backward(t)
            return t**3

        @staticmethod
        def backward(ctx, g):
            (t,) = ctx.saved_tensors
            return 3 * t**2 * g

    assert Cube.apply(x).grad_fn.name() == "CubeBackward"  # PyTorch's spelling for a Function


# ----------------------------------------------------------------------------------- autograd
def _graph(lib):
    x = lib.tensor(np.array([[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]]), requires_grad=True)
    w = lib.tensor(np.array([0.3, -0.2, 0.9]), requires_grad=True)
    h = lib.tanh(x * w)
    y = (h.sin() * x).sum()
    z = (h**2).mean(1)
    return x, w, h, y, z


def test_autograd_grad_matches_pytorch_and_leaves_grad_alone():
    x, w, h, y, z = _graph(ng)
    tx, tw, th, ty, tz = _graph(torch)
    ours = ng.autograd.grad(y, [x, w, h], retain_graph=True)
    theirs = torch.autograd.grad(ty, [tx, tw, th], retain_graph=True)
    for a, b in zip(ours, theirs, strict=True):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-12, atol=1e-14)
        assert a.dtype == ng.float64
    assert x.grad is None and w.grad is None
    gz = [1.0, -2.0]
    ours = ng.autograd.grad([y, z], (w,), grad_outputs=[None, ng.tensor(gz, dtype=ng.float64)],
                            retain_graph=True)
    theirs = torch.autograd.grad([ty, tz], (tw,), grad_outputs=[None, torch.tensor(
        gz, dtype=torch.float64)], retain_graph=True)
    np.testing.assert_allclose(ours[0].numpy(), theirs[0].numpy(), rtol=1e-12)
    (gw,) = ng.autograd.grad(y, w)  # one tensor works as well as a sequence
    np.testing.assert_allclose(gw.numpy(), torch.autograd.grad(ty, tw)[0].numpy(), rtol=1e-12)


def test_autograd_grad_errors_read_like_pytorchs():
    def messages(lib):
        x, w, h, y, z = _graph(lib)
        unused = lib.ones(2, requires_grad=True)
        found = []
        for call in [lambda: lib.autograd.grad(y, [x, unused], retain_graph=True),
                     lambda: lib.autograd.grad(y, [lib.ones(2)], retain_graph=True),
                     lambda: lib.autograd.grad(z, [x], retain_graph=True),
                     lambda: lib.autograd.grad(lib.ones(2).sum(), [x])]:
            with pytest.raises(RuntimeError) as e:
                call()
            found.append(str(e.value))
        assert lib.autograd.grad(y, [x, unused], allow_unused=True)[1] is None
        return found

    for ours, theirs in zip(messages(ng), messages(torch), strict=True):
        assert ours.split("(")[0].split(";")[0].strip() == theirs.split("(")[0].strip()


def test_autograd_backward_adds_into_grad_from_several_outputs():
    x, w, h, y, z = _graph(ng)
    tx, tw, th, ty, tz = _graph(torch)
    gz = [0.5, 2.0]
    ng.autograd.backward([y, z], [None, ng.tensor(gz, dtype=ng.float64)])
    torch.autograd.backward([ty, tz], [None, torch.tensor(gz, dtype=torch.float64)])
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(w.grad.numpy(), tw.grad.numpy(), rtol=1e-12)


def test_autograd_namespace_has_function_and_gradcheck():
    assert ng.autograd.Function is ng.Function and ng.autograd.gradcheck is ng.gradcheck
    x = ng.tensor([0.3, -0.7], dtype=ng.float64, requires_grad=True)
    assert ng.autograd.gradcheck(lambda t: (t.sin() * t.clamp(-0.5, 0.5)).cumsum(0), (x,))
    with pytest.raises(NotImplementedError, match="double backward"):
        ng.autograd.grad(x.sin().sum(), x, create_graph=True)


# ---------------------------------------------------------------------------------- histograms
def _both(fn, data, dtype=np.float32):
    ours = fn(ng, ng.tensor(np.asarray(data, dtype=dtype)))
    theirs = fn(torch, torch.tensor(np.asarray(data, dtype=dtype)))
    return ours, theirs


def _assert_identical(ours, theirs):
    ours = ours if isinstance(ours, tuple) else (ours,)
    theirs = theirs if isinstance(theirs, tuple) else (theirs,)
    for a, b in zip(ours, theirs, strict=True):
        assert same_name(a.dtype, b.dtype)
        np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_the_batchnorm_lectures_histograms_agree_with_pytorch():
    """``hy, hx = torch.histogram(h, 50, density=True)`` of tanh activations, plotted from
    ``hx[:-1]`` and ``hy``; and the default 100 bins of ``torch.histogram(t, density=True)``."""
    rng = np.random.default_rng(0)
    # tanh computed once: the two libraries' tanh differ in the last bit, which would move
    # the histogram's range; here the histograms themselves are compared
    h = np.tanh(rng.standard_normal((32, 200)) * 3).astype(np.float32)  # many saturated
    ours, theirs = _both(lambda L, h: L.histogram(h, 50, density=True), h)
    hy, hx = ours
    assert hy.tolist() == theirs.hist.tolist() and hx[:-1].tolist() == theirs[1][:-1].tolist()
    assert ours.hist is hy and ours.bin_edges is hx
    ours, theirs = _both(lambda L, h: L.histogram(h, density=True), h)
    _assert_identical(tuple(ours), tuple(theirs))
    assert hy.shape == (50,) and hx.shape == (51,)
    width = float(hx[1] - hx[0])
    assert math.isclose(float(hy.sum()) * width, 1.0, rel_tol=1e-5)
    # the lecture's loop over layers: outputs that require grad, plotted after .detach()
    out = ng.tanh(ng.tensor(h, requires_grad=True) * 2.0)
    out.retain_grad()
    (out * out).sum().backward()
    for t in (out, out.grad):
        hy, hx = ng.histogram(t, density=True)
        ref = torch.histogram(torch.tensor(t.detach().numpy()), density=True)
        assert hx[:-1].detach().tolist() == ref.bin_edges[:-1].tolist()
        assert hy.detach().tolist() == ref.hist.tolist()


EDGE_CASES = {
    "values_on_every_edge": np.linspace(-1, 1, 41),
    "integers_as_floats": [0.0, 1.0, 2.0, 2.0, 3.0, 3.0, 3.0],
    "one_value": [1.0, 1.0, 1.0],
    "empty": [],
    "fine_grid": np.arange(-500, 501) / 333.0,
}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", EDGE_CASES)
def test_histogram_and_histc_bin_edge_values_as_pytorch(name, dtype):
    data = EDGE_CASES[name]
    for fn in [lambda L, x: tuple(L.histogram(x, 10)), lambda L, x: tuple(L.histogram(x, 7)),
               lambda L, x: tuple(L.histogram(x, 4, range=(0.5, 2.5))),
               lambda L, x: tuple(L.histogram(x, 3, density=True)),
               lambda L, x: tuple(L.histogram(x, L.tensor(np.array([-1.0, 0.0, 0.25, 3.0],
                                                                       dtype=dtype)))),
               lambda L, x: x.histc(10), lambda L, x: L.histc(x, 7),
               lambda L, x: x.histc(4, min=0.5, max=2.5), lambda L, x: x.histc(3, -1, 1)]:
        ours, theirs = _both(fn, data, dtype)
        _assert_identical(ours, theirs)


def test_histogram_weights_and_refusals():
    data, weights = [0.0, 1.0, 2.0, 2.0, 3.0], [1.0, 2.0, 3.0, 4.0, 5.0]
    for kw in [{}, {"density": True}, {"range": (0.5, 2.5)}]:
        ours = ng.histogram(ng.tensor(data), 4, weight=ng.tensor(weights), **kw)
        theirs = torch.histogram(torch.tensor(data), 4, weight=torch.tensor(weights), **kw)
        _assert_identical(tuple(ours), tuple(theirs))
    with pytest.raises(NotImplementedError):
        ng.histogram(ng.tensor([1, 2]), 2)
    with pytest.raises(NotImplementedError):
        ng.tensor([1, 2]).histc(2)
    with pytest.raises(RuntimeError, match="same dtype"):
        ng.histogram(ng.tensor(data, dtype=ng.double), 2, weight=ng.tensor(weights))
    with pytest.raises(RuntimeError, match="bins must be > 0"):
        ng.histogram(ng.tensor(data), 0)
    with pytest.raises(RuntimeError, match="not finite"):
        ng.histogram(ng.tensor([float("nan")]), 2)
    with pytest.raises(RuntimeError, match="min should not exceed max"):
        ng.histogram(ng.tensor(data), 2, range=(2.0, 1.0))


# ------------------------------------------------------------------------------- constructors
def test_new_constructors_match_pytorch():
    x = np.arange(6, dtype=np.float64).reshape(2, 3)
    for fn in [lambda L, t: L.full_like(t, 2.5), lambda L, t: L.full_like(t, 2, dtype=L.long),
               lambda L, t: L.eye(3), lambda L, t: L.eye(2, 4, dtype=L.float64),
               lambda L, t: L.empty(2, 3).shape, lambda L, t: L.empty_like(t).dtype,
               lambda L, t: L.randn_like(t).dtype, lambda L, t: L.rand_like(t).shape,
               lambda L, t: L.zeros((27, 27), dtype=L.int32),
               lambda L, t: L.full((), 0.0, dtype=L.float, requires_grad=True),
               lambda L, t: L.linspace(-3, 0, 1000), lambda L, t: L.linspace(-3, 0, 1000) * 2,
               lambda L, t: L.linspace(-math.pi, math.pi, 2000, dtype=L.float64),
               lambda L, t: L.linspace(0.001, 1, 999)]:
        ours, theirs = fn(ng, ng.tensor(x)), fn(torch, torch.tensor(x))
        if isinstance(theirs, torch.Tensor):
            assert same_name(ours.dtype, theirs.dtype)
            assert ours.requires_grad == theirs.requires_grad
            np.testing.assert_array_equal(ours.detach().numpy(), theirs.detach().numpy())
        elif isinstance(theirs, torch.dtype):
            assert same_name(ours, theirs)
        else:
            assert tuple(ours) == tuple(theirs)


def test_the_mlp_lectures_learning_rate_sweep():
    """``lre = torch.linspace(-3, 0, 1000); lrs = 10**lre``: the exponents agree to the last
    bit; the powers to within an ulp (numpy's and PyTorch's pow round differently)."""
    ours, theirs = 10 ** ng.linspace(-3, 0, 1000), 10 ** torch.linspace(-3, 0, 1000)
    assert same_name(ours.dtype, theirs.dtype)
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=2.5e-7)


# -------------------------------------------------------------------------------- torch.nn
# Run in a fresh interpreter: in this one ``ninjagrad.nn`` is imported already.
FRESH_IMPORTS = {
    "import ninjagrad.nn.functional as F": "F",
    "from ninjagrad.nn import functional as F": "F",
    "import ninjagrad as torch": "torch.nn.functional",
    "import ninjagrad.nn.functional": "ninjagrad.nn.functional",
    "from ninjagrad.nn.functional import cross_entropy": "cross_entropy.__module__",
}


@pytest.mark.parametrize("statement", FRESH_IMPORTS)
def test_nn_functional_is_the_tensor_engines_functional_however_imported(statement):
    import subprocess
    import sys

    code = (f"{statement}\nimport ninjagrad\nx = {FRESH_IMPORTS[statement]}\n"
            "print(x is ninjagrad.functional or x == 'ninjagrad.tensors.functional')")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=False)
    assert out.stdout.strip() == "True", out.stderr


def test_nn_is_an_attribute_of_the_package():
    """``torch.nn.functional`` under ``import ninjagrad as torch``, in a fresh interpreter."""
    import subprocess
    import sys

    code = ("import ninjagrad as torch\n"
            "print(torch.nn.MLP.__module__, torch.nn.functional is torch.functional)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=False)
    assert out.stdout.split() == ["ninjagrad.scalar.nn", "True"], out.stderr


def test_nn_functional_gives_pytorchs_cross_entropy():
    logits = np.array([[2.0, -1.0, 0.5], [0.1, 0.2, 0.3]], np.float32)
    ours = ng.nn.functional.cross_entropy(ng.tensor(logits), ng.tensor([0, 2]))
    theirs = torch.nn.functional.cross_entropy(torch.tensor(logits), torch.tensor([0, 2]))
    assert ng.nn.functional is ng.functional
    assert math.isclose(ours.item(), theirs.item(), rel_tol=1e-6)


@pytest.mark.parametrize("name", ["Linear", "Parameter", "Embedding", "BatchNorm1d", "Tanh",
                                  "Sequential", "CrossEntropyLoss", "init", "utils"])
def test_torch_nn_names_ninjagrad_lacks_say_so(name):
    """A tensor program's ``torch.nn.Linear`` is not silently the scalar engine's anything."""
    assert hasattr(torch.nn, name)  # a real PyTorch name
    assert not hasattr(ng.nn, name)
    with pytest.raises(AttributeError, match=rf"ninjagrad has no torch\.nn\.{name}\b.*scalar "
                                             r"engine's network library"):
        getattr(ng.nn, name)


def test_nn_keeps_the_scalar_engines_classes():
    """The public contract: ``ninjagrad.nn.Module`` is the scalar Module (not PyTorch's)."""
    from ninjagrad.scalar import nn as scalar_nn

    for name in ("Module", "Neuron", "Layer", "MLP", "SGD"):
        assert getattr(ng.nn, name) is getattr(scalar_nn, name)
    out = ng.nn.MLP(2, [3, 1], seed=0)([1.0, -2.0])
    assert isinstance(out, ng.Value)


# ------------------------------------------------------------------ integers where floats go
@pytest.mark.parametrize("dtype", ["int64", "int32", "uint8", "bool"])
@pytest.mark.parametrize("call", ["round()", "round(decimals=1)", "mean()"])
def test_integer_inputs_of_float_ops_answer_as_pytorch(dtype, call):
    """PyTorch rounds integers to themselves only at 0 decimals (never bools) and refuses
    their mean, naming the dtype as its C++ core does (``'Long'``)."""
    def outcome(t):
        x = t.tensor([1, 0, 3]).to(getattr(t, dtype))
        try:
            r = eval(f"x.{call}", {"x": x})  # noqa: S307
        except (RuntimeError, NotImplementedError) as e:
            return type(e).__name__, str(e)
        return repr(r.dtype).split(".")[-1], r.tolist()
    assert outcome(ng) == outcome(torch)
