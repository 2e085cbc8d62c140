"""Regressions from issue 13: programs where ninjagrad's ops or ``Function`` gave another
value or gradient than PyTorch 2.13 without an error. Each runs the same program on both
libraries and compares values, dtypes, shapes, ``requires_grad`` and every gradient (nan,
inf and -inf included), or checks that both raise."""

import math
import warnings

import numpy as np
import pytest

import ninjagrad as ng

torch = pytest.importorskip("torch")

INF, NAN = math.inf, math.nan
TORCH_DTYPES = {np.dtype(np.float32): torch.float32, np.dtype(np.float64): torch.float64,
                np.dtype(np.int64): torch.int64, np.dtype(np.int32): torch.int32,
                np.dtype(np.bool_): torch.bool}


def _leaves(lib, arrays):
    out = []
    for a in arrays:
        if not isinstance(a, np.ndarray):
            out.append(a)
            continue
        rg = a.dtype.kind == "f"
        if lib is torch:
            out.append(torch.tensor(a.copy(), dtype=TORCH_DTYPES[a.dtype], requires_grad=rg))
        else:
            out.append(ng.tensor(a.copy(), requires_grad=rg))
    return out


def _array(t):
    return t.detach().numpy() if isinstance(t, torch.Tensor) else t.data


def _run(lib, program, arrays, upstream):
    """Outputs (value, dtype, shape, requires_grad), then input gradients after backward
    from the first output seeded with ``upstream`` everywhere; an exception instead of
    either part."""
    leaves = _leaves(lib, arrays)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # PyTorch warns about correction >= n
            out = program(lib, *leaves)
    except Exception as e:  # noqa: BLE001 - compared with the other library's
        return e, None
    outs = list(out) if isinstance(out, tuple) else [out]
    results = [(_array(o).copy(), str(_array(o).dtype), tuple(o.shape), o.requires_grad)
               for o in outs]
    if upstream is None or not outs[0].requires_grad:
        return results, None
    seed = np.full(tuple(outs[0].shape), upstream, dtype=_array(outs[0]).dtype)
    try:
        outs[0].backward(lib.tensor(seed))
    except Exception as e:  # noqa: BLE001
        return results, e
    return results, [None if not hasattr(x, "grad") or x.grad is None else _array(x.grad)
                     for x in leaves]


def _assert_same_array(what, ours, ref):
    assert ours.shape == ref.shape, f"{what}: shape {ours.shape}, PyTorch {ref.shape}"
    assert ours.dtype == ref.dtype, f"{what}: dtype {ours.dtype}, PyTorch {ref.dtype}"
    if ref.dtype.kind == "f":
        rtol = 1e-6 if ref.dtype == np.float32 else 1e-12
        np.testing.assert_allclose(ours, ref, rtol=rtol, atol=1e-30, equal_nan=True,
                                   err_msg=what)
        zeros = ref == 0  # a later division turns the sign of a zero into that of an inf
        np.testing.assert_array_equal(np.signbit(ours[zeros]), np.signbit(ref[zeros]),
                                      err_msg=f"{what}: signs of zeros")
    else:
        np.testing.assert_array_equal(ours, ref, err_msg=what)


def same(program, *arrays, upstream=(1.0, INF)):
    """Run ``program(lib, *tensors)`` on ninjagrad and PyTorch; same outputs and, for every
    upstream value, the same gradients of every floating input, or the same exception type
    from both."""
    ours = None
    for up in upstream or (None,):  # None: compare the forward only
        ours, ours_grads = _run(ng, program, arrays, up)
        theirs, their_grads = _run(torch, program, arrays, up)
        if isinstance(theirs, Exception) or isinstance(ours, Exception):
            assert isinstance(theirs, Exception), f"ninjagrad raised {ours!r}, PyTorch did not"
            assert isinstance(ours, Exception), f"PyTorch raised {theirs!r}, ninjagrad did not"
            assert type(ours).__name__ == type(theirs).__name__, (ours, theirs)
            return
        assert len(ours) == len(theirs)
        for i, ((a, da, sa, ra), (b, db, sb, rb)) in enumerate(zip(ours, theirs, strict=True)):
            assert (da, sa, ra) == (db.replace("torch.", ""), sb, rb), (i, da, sa, ra, db, sb, rb)
            _assert_same_array(f"output {i}", a, b)
        if isinstance(their_grads, Exception) or isinstance(ours_grads, Exception):
            assert isinstance(their_grads, Exception), f"ninjagrad's backward raised " \
                                                       f"{ours_grads!r}, PyTorch's did not"
            assert isinstance(ours_grads, Exception), f"PyTorch's backward raised " \
                                                      f"{their_grads!r}, ninjagrad's did not"
            continue
        assert (ours_grads is None) == (their_grads is None)
        for i, (g, h) in enumerate(zip(ours_grads or (), their_grads or (), strict=True)):
            assert (g is None) == (h is None), f"input {i}: grad {g} vs PyTorch {h}"
            if g is not None:
                _assert_same_array(f"upstream {up}: grad of input {i}", g, h)
    return ours


def f32(*values):
    return np.array(values, dtype=np.float32)


def f64(*values):
    return np.array(values, dtype=np.float64)


# ---------------------------------------------------------------------------------- relu
@pytest.mark.parametrize("data", [f32(1., -1., 0., NAN, INF, -INF), f64(NAN, -0.0, 2.)])
@pytest.mark.parametrize("upstream", [1.0, INF, -INF, NAN])
def test_relu_masks_its_gradient(data, upstream):
    # PyTorch: 0 where the output is <= 0 even under an inf gradient, the gradient at nan
    same(lambda L, x: x.relu(), data, upstream=(upstream,))
    same(lambda L, x: L.relu(x * 2), data, upstream=(upstream,))


# Found by the long fuzz run, seed 777001 (tensor 3415, 4420, 11111; inplace 18927, 3043):
# PyTorch's relu keeps the sign of a -0.0 input, and a later division shows it as -inf.
@pytest.mark.parametrize("data", [f32(1.39, -0.0, 0.0, -0.47), f64(4.0, -0.0, 0.0)])
def test_relu_keeps_a_negative_zero(data):
    same(lambda L, x: 2 / L.relu(x), data)
    same(lambda L, x: x / x.relu(), data, upstream=(1.0, -2.0))
    same(lambda L, x: (x * 0).relu().sqrt() ** -1, -np.abs(data))  # -0.0 from a product


def test_relu_keeps_a_negative_zero_in_place_and_in_gradients():
    def divide_in_place(L, x):
        h = L.relu(x)
        out = x * 1 + 2  # a non-leaf to divide in place
        out /= h
        return out

    same(divide_in_place, f64(3.75, -0.0, 3.35))
    # the gradient reaching relu's output from log is 1 / relu(x): -inf at -0.0
    grads = []
    for L in (ng, torch):
        x = L.tensor([[-0.0], [0.57]], requires_grad=True)
        h = x.relu()
        h.retain_grad()
        h.log().sum().backward()
        grads.append(np.array(h.grad.tolist()))
    np.testing.assert_array_equal(grads[0], grads[1])


def test_relu_and_abs_of_bool_are_refused():
    same(lambda L, x: x.relu(), np.array([True, False]))
    same(lambda L, x: x.abs(), np.array([True, False]))


def test_abs_gradient_at_nan_is_zero():
    same(lambda L, x: x.abs(), f32(NAN, 0., -2., 3.))


# ----------------------------------------------------------------------------------- std
@pytest.mark.parametrize("program", [
    lambda L, x: x.std(),
    lambda L, x: x.std(0),
    lambda L, x: x.std(1, keepdim=True),
    lambda L, x: x.std(unbiased=False),
    lambda L, x: x.std(dim=-1, correction=0),
])
def test_std_of_constant_data_has_zero_gradient(program):
    same(program, np.array([[2., 2., 2.], [1., 3., 5.]], dtype=np.float32))
    same(program, np.full((2, 3), 7.0))


# The long fuzz run (tensor, seed 20261204, program 4940): std over dim 0 of three equal
# float64 rows with correction=3 was inf where PyTorch gives nan. Over some dims PyTorch
# computes with Welford's algorithm, whose mean of equal values is exact: their variance is
# exactly 0 (0/0 = nan at correction = n). ninjagrad's sum / n was not exact for 0.1 or
# -0.36, so the variance was 1e-33, std 1e-17, and std's gradient +-0.41 instead of 0.
# var's gradient there is 0 but for rounding: 2 (x - mean) / (n - 1), with PyTorch's mean()
# in x's dtype, whose float32 sum adds in an order numpy does not (2.7 * 10 / 10 is 2.7 in
# PyTorch, 2.7000003 in numpy's order); compared to within that rounding. (At correction
# = n it is 2/0 times that rounding: inf, -inf or nan in either library alike.)
@pytest.mark.parametrize("op", ["var", "std"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("value", [0.1, -0.36, 2.7, 123.456, 1e-40, 3e38])
@pytest.mark.parametrize("n", [3, 7, 10])
def test_var_std_over_a_dim_of_equal_values_is_exactly_zero(op, dtype, value, n):
    x = np.full((n, 2), value, dtype=dtype)
    same(lambda L, t: getattr(t, op)(0, correction=n), x, upstream=None)  # 0/0: nan
    for program in (lambda L, t: getattr(t, op)(0),
                    lambda L, t: getattr(t.view(n, 1, 2), op)(dim=0, correction=1)):
        same(program, x, upstream=None)
        grads = []
        for lib in (ng, torch):
            t = lib.tensor(x, requires_grad=True)
            program(lib, t).sum().backward()
            grads.append(_array(t.grad))
        # std's is 0 in both (masked where the std is 0; the sign of that zero is the
        # rounding's), var's 0 to within the rounding of the mean
        ulp = np.spacing(np.abs(x)).max()
        atol = 0 if op == "std" else 4 * ulp / (n - 1)
        np.testing.assert_allclose(grads[0], grads[1], rtol=0, atol=atol)


# PyTorch's var/std backward takes x - mean(x) with the mean in x's dtype (added up in
# float32 for float16): where a sum of the slice overflows, that mean is inf and the
# gradient -inf or nan, though the variance (Welford's, in float64) is finite. ninjagrad's
# float64 pass gave 0 there (found while reworking var for speed).
@pytest.mark.parametrize("op", ["var", "std"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_var_std_gradient_where_the_mean_overflows(op, dtype):
    big = np.finfo(dtype).max / 2
    for x in (np.full((3, 2), big, dtype=dtype),
              np.array([[big, 1.], [big, 2.], [-big, 3.]], dtype=dtype),  # one column only
              np.array([[INF, 1.], [2., 2.], [3., NAN]], dtype=dtype)):
        same(lambda L, t: getattr(t, op)(0), x, upstream=(1.0,))
        same(lambda L, t: getattr(t, op)(0, keepdim=True, correction=0), x, upstream=(1.0,))


def test_var_std_of_float16_near_its_largest_value():
    # float16's mean adds up in float32 in PyTorch: no overflow, the gradient is 0
    x = np.full((6, 2), 19140.0, dtype=np.float16)
    for op in ("var", "std"):
        ours = ng.tensor(x, requires_grad=True)
        getattr(ours, op)(0).sum().backward()
        ref = torch.tensor(x, requires_grad=True)
        getattr(ref, op)(0).sum().backward()
        np.testing.assert_array_equal(_array(ours.grad), _array(ref.grad))


@pytest.mark.parametrize("op", ["var", "std"])
def test_var_std_of_complex_refuse(op):
    # PyTorch's is real (the variance of the real parts plus that of the imaginary ones);
    # ninjagrad's was a complex number: now a clear error
    x = ng.tensor(np.array([1 + 2j, 3 - 1j, 0.5j], dtype=np.complex64))
    with pytest.raises(NotImplementedError, match=f"{op}\\(\\) of a complex tensor"):
        getattr(x, op)()
    assert torch.tensor(x.numpy()).var().dtype == torch.float32


# ------------------------------------------------------------------------ max() and min()
@pytest.mark.parametrize("data", [
    f32(0., -1.), f32(1., NAN, 3.), f32(NAN, NAN), f32(3., 1., 3.), f32(-INF, -INF),
    f64(2., 2., 2.), np.array(5.0, dtype=np.float32),
])
@pytest.mark.parametrize("op", ["max", "min"])
def test_max_min_without_dim_share_the_gradient_among_ties(data, op):
    same(lambda L, x: getattr(x, op)(), data, upstream=(1.0, INF, -INF, 0.0))


# Where +0.0 and -0.0 tie for the extreme, PyTorch's max()/min() return the zero its
# vectorised kernel keeps (inplace 11401 of seed 20261213: 2 / x.min() was -inf here, inf
# there); ninjagrad returned the first zero. Checked against PyTorch's AVX2 kernels.
@pytest.mark.skipif(torch.backends.cpu.get_cpu_capability() != "AVX2",
                    reason="PyTorch's zero for a tie depends on its vector width")
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_max_min_without_dim_return_pytorchs_zero_where_both_signs_tie(dtype):
    rng = np.random.default_rng(11)
    for _ in range(400):
        shape = tuple(int(n) for n in rng.integers(1, 12, int(rng.integers(1, 4))))
        x = rng.choice(np.array([1.0, 2.0, 0.0, -0.0], dtype=dtype), size=shape)
        if rng.random() < 0.5:
            x = -x
        for op in ("max", "min"):
            for transposed in (False, True):
                got = []
                for lib in (ng, torch):
                    t = lib.tensor(x)
                    if transposed and x.ndim > 1:
                        t = t.transpose(0, -1)
                    got.append(float(getattr(t, op)()))
                assert got[0] == got[1] and math.copysign(1, got[0]) == math.copysign(
                    1, got[1]), (op, x.tolist(), transposed)


def test_max_then_sqrt_under_an_infinite_gradient():
    # d sqrt at 0 is inf: PyTorch gives [inf, 0], never nan for the element that lost
    same(lambda L, x: x.max().sqrt(), f32(0., -1.))
    same(lambda L, x: (-(-x).min()).sqrt(), f32(0., 0., -1.))


# PyTorch's gradient for the divisor is -g * ((x / y) / y). ninjagrad computed
# -g * x / (y * y): the last bit differed for 46% of random inputs, and g * x overflowed
# float32 first: -inf where PyTorch gives -9.9e37 (function 12194 of seed 20261212)
def test_the_divisor_gradient_is_pytorchs_to_the_bit_and_overflows_alike():
    rng = np.random.default_rng(5)
    x, y, g = (rng.standard_normal(2000).astype(np.float32) for _ in range(3))
    grads = []
    for lib in (ng, torch):
        d = lib.tensor(y, requires_grad=True)
        (lib.tensor(x) / d).backward(lib.tensor(g))
        grads.append(_array(d.grad))
    np.testing.assert_array_equal(grads[0], grads[1])
    same(lambda L, x, y: x / y, f32(3e19, -3e19, 1.0), f32(10.0, 10.0, 0.0),
         upstream=(3e19, 1.0))


# ----------------------------------------------------------------------------------- pow
POW_VALUES = [0., -0., -2., 2., -1., 1., 0.5, INF, -INF, NAN, 3.]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_pow_gradients_for_every_base_and_exponent(dtype):
    x = np.repeat(np.array(POW_VALUES, dtype=dtype), len(POW_VALUES))
    y = np.tile(np.array(POW_VALUES + [], dtype=dtype), len(POW_VALUES))
    same(lambda L, a, b: a ** b, x, y, upstream=(1.0, INF, 0.0))


@pytest.mark.parametrize("base", [0, 0.0, -0.0, -2.0, -1, 2, 0.5, 1, INF])
def test_number_to_a_tensor_power(base):
    # c ** x with c <= 0 used to raise "math domain error" in backward
    same(lambda L, x: base ** x, f32(*POW_VALUES), upstream=(1.0, INF))


@pytest.mark.parametrize("exponent", [0, 0.0, 1, 2, 3, -1, -2, 0.5, -0.5, 1.5, -1.5, INF, NAN])
def test_tensor_to_a_number_power(exponent):
    same(lambda L, x: x ** exponent, f32(*POW_VALUES), upstream=(1.0, INF))


def test_integer_powers():
    ints = np.array([0, 1, -1, 2, -2, 3], dtype=np.int64)
    same(lambda L, x: x ** 2, ints)
    same(lambda L, x: x ** -1, ints)  # PyTorch refuses
    for base in (-3, -1, 0, 1, 2):
        same(lambda L, x, base=base: base ** x, ints)
    same(lambda L, x, y: x ** y, ints, np.array([-1, -2, 3, -3, 0, 1], dtype=np.int64))
    same(lambda L, x, y: x ** y, ints.astype(np.int32), np.array([2], dtype=np.int64))
    same(lambda L, x: x ** 2, np.array([True, False]))
    same(lambda L, x: x ** True, np.array([True, False]))
    same(lambda L, x, y: x ** y, np.array([True, False]), np.array([True, True]))


def test_pow_with_a_bool_exponent_refuses_the_gradient_as_pytorch():
    same(lambda L, x, y: x ** y, f32(2., 3.), np.array([True, False]))


# ----------------------------------------------------------- sum/mean/var/std over dim=()
X = np.array([[1., 2., 4.], [3., -1., 0.5]], dtype=np.float32)


@pytest.mark.parametrize("op", ["sum", "mean"])
@pytest.mark.parametrize("keepdim", [False, True])
def test_empty_dim_reduces_everything(op, keepdim):
    same(lambda L, x: getattr(x, op)(dim=(), keepdim=keepdim), X)
    same(lambda L, x: getattr(x, op)(dim=[], keepdim=keepdim), X.astype(np.float64))


@pytest.mark.parametrize("op", ["var", "std"])
def test_var_std_over_empty_dim(op):
    # the value is PyTorch's; PyTorch 2.13's gradient here divides by 1 - correction
    # instead of n - correction (inf), so ninjagrad refuses the backward with a clear error
    same(lambda L, x: getattr(x, op)(dim=()), X, upstream=())
    y = getattr(ng.tensor(X, requires_grad=True), op)(dim=())
    with pytest.raises(RuntimeError, match=r"dim=\(\).*Pass dim=None"):
        y.backward()
    same(lambda L, x: getattr(x, op)(dim=()), f32(3.))  # one element: PyTorch is right


# Found by the long fuzz run, seed 777001 (tensor 9947, function 2176): over dim=() of one
# element with correction >= 1, PyTorch's gradient is the one over dims, 2 / (1 - c)
# times x - mean (-0.0 for c = 2), not the nan of dim=None.
@pytest.mark.parametrize("op", ["var", "std"])
@pytest.mark.parametrize("correction", [0, 1, 2, 3])
@pytest.mark.parametrize("data", [np.full((1, 1), 2.0, np.float32), f32(-1.87),
                                  np.full((1, 1, 1), 1e-4, np.float64), np.float32(3.0)])
def test_var_std_over_empty_dim_of_one_element(op, correction, data):
    data = np.asarray(data)
    for dim in ((), None):
        same(lambda L, x, dim=dim: getattr(x, op)(dim=dim, correction=correction), data,
             upstream=(1.0, -1.0, INF))


def test_repeated_dims_are_refused():
    same(lambda L, x: x.sum((0, -2)), X)
    with pytest.raises(RuntimeError, match="dim 0 appears multiple times"):
        ng.tensor(X).sum((0, 0))


# ------------------------------------------------------- var/std without data to estimate
@pytest.mark.parametrize("op", ["var", "std"])
@pytest.mark.parametrize("correction", [1, 2, 3, 1.5, 7])
@pytest.mark.parametrize("dim", [None, 0, 1])
def test_var_std_with_correction_at_or_beyond_n(op, correction, dim):
    for data in (X, np.full((2, 3), 2.0), f64(NAN, 1., 2.).reshape(1, 3)):
        same(lambda L, x: getattr(x, op)(dim=dim, correction=correction), data,
             upstream=(1.0, -1.0, INF, 0.0))


@pytest.mark.parametrize("op", ["var", "std", "mean", "sum"])
@pytest.mark.parametrize("shape,dim", [((0,), None), ((0,), 0), ((0, 3), 0), ((3, 0), 1),
                                       ((3, 0), None), ((), None), ((), 0)])
def test_reductions_of_nothing(op, shape, dim):
    data = np.full(shape, 1.5, dtype=np.float32)
    same(lambda L, x: getattr(x, op)() if dim is None else getattr(x, op)(dim), data)


@pytest.mark.parametrize("op", ["var", "std", "mean"])
def test_floating_only_reductions_refuse_integers(op):
    same(lambda L, x: getattr(x, op)(), np.array([1, 2, 4], dtype=np.int64))
    same(lambda L, x: getattr(x, op)(0), np.array([True, False]))


def test_integer_and_bool_sums_are_int64():
    same(lambda L, x: x.sum(), np.array([1, 2], dtype=np.int32))
    same(lambda L, x: x.sum(0), np.array([True, True, False]))


def test_argmax_of_bool_is_refused():
    same(lambda L, x: x.argmax(), np.array([True, False]))


# ------------------------------------------------------------------------- cat and stack
@pytest.mark.parametrize("join", ["cat", "stack"])
@pytest.mark.parametrize("a,b", [
    (f32(1.5, -2.), np.array([2, 3], dtype=np.int64)),
    (np.array([2, 3], dtype=np.int32), f32(1.5, -2.)),
    (f32(1.5, -2.), f64(0.1, 0.2)),
    (np.array([True, False]), np.array([2, 3], dtype=np.int32)),
])
def test_cat_stack_promote_like_pytorch(join, a, b):
    same(lambda L, x, y: getattr(L, join)([x, y]), a, b)
    same(lambda L, x, y: getattr(L, join)([y, x, y]), a, b)


def test_stack_of_zero_dim_tensors_promotes():
    same(lambda L, x, y: L.stack([x, y]), np.array(2., dtype=np.float32),
         np.array(3, dtype=np.int64))


# ------------------------------------------------------------------------- bool operands
@pytest.mark.parametrize("program", [
    lambda L, m, x: m - x,
    lambda L, m, x: x - m,
    lambda L, m, x: m - 1,
    lambda L, m, x: 1.5 - m,
    lambda L, m, x: x - True,
    lambda L, m, x: -m,
    lambda L, m, x: m @ m,
    lambda L, m, x: m + x,
    lambda L, m, x: (m * x).sum(),
])
def test_math_on_bool_tensors_as_pytorch(program):
    same(program, np.array([True, False]), f32(1., 2.))


# ----------------------------------------------------------------------------- Function
class TwoOutputs(ng.Function):
    """(2x, x*y): backward gets one gradient per output."""

    @staticmethod
    def forward(ctx, x, y):
        ctx.save_for_backward(x, y)
        return x * 2, x * y

    @staticmethod
    def backward(ctx, g_double, g_product):
        x, y = ctx.saved_tensors
        return g_double * 2 + g_product * y, g_product * x, None  # an extra trailing None


class TorchTwoOutputs(torch.autograd.Function):
    forward = TwoOutputs.forward
    backward = TwoOutputs.backward


def _two(lib):
    return TwoOutputs if lib is ng else TorchTwoOutputs


@pytest.mark.parametrize("use", ["both", "first", "second"])
def test_function_with_several_outputs(use):
    def program(L, x, y):
        a, b = _two(L).apply(x, y)
        assert a.requires_grad and b.requires_grad
        if use == "first":
            return a.sum() * 3
        return (b * b).sum() if use == "second" else (a * 3 + b).sum()

    same(program, f32(1., 2.), f64(3., 4.).astype(np.float32))


def make_select(base):
    """(x * 3, argmax(x), "label") with the index marked non-differentiable, as a Function
    of ``base`` (ninjagrad's or PyTorch's); ``seen`` records what backward receives."""

    class Select(base):
        seen = []

        @staticmethod
        def forward(ctx, x, materialize):
            ctx.set_materialize_grads(materialize)
            index = x.argmax()
            ctx.mark_non_differentiable(index)
            return x * 3, index, "label"

        @staticmethod
        def backward(ctx, g, g_index, g_label):
            Select.seen.append((g is None, None if g_index is None else g_index.tolist(),
                                g_label))
            return (g * 3 if g is not None else None), None

    return Select


@pytest.mark.parametrize("materialize", [True, False])
def test_function_non_differentiable_outputs_and_materialized_grads(materialize):
    Select, TorchSelect = make_select(ng.Function), make_select(torch.autograd.Function)

    def program(L, x):
        fn = Select if L is ng else TorchSelect
        values, index, label = fn.apply(x, materialize)
        assert label == "label" and not index.requires_grad and index.dtype == L.int64
        return values.sum()

    same(program, f32(1., 5., 2.), upstream=(1.0,))
    assert Select.seen == TorchSelect.seen and len(Select.seen) == 1


class Kill(ng.Function):
    """Returns no gradient at all."""

    @staticmethod
    def forward(ctx, x):
        return x * 1

    @staticmethod
    def backward(ctx, g):
        return None


class TorchKill(torch.autograd.Function):
    forward = Kill.forward
    backward = Kill.backward


class Double(ng.Function):
    @staticmethod
    def forward(ctx, x):
        return x * 2

    @staticmethod
    def backward(ctx, g):
        return g * 2


class TorchDouble(torch.autograd.Function):
    forward = Double.forward
    backward = Double.backward


@pytest.mark.parametrize("between", [False, True])
def test_a_function_behind_a_none_gradient_runs_with_zeros(between):
    # PyTorch calls Double.backward with zeros, so x.grad is 0, not None; a built-in op in
    # between does not change that
    def program(L, x):
        kill, double = (Kill, Double) if L is ng else (TorchKill, TorchDouble)
        h = double.apply(x)
        return kill.apply(h * 3 if between else h).sum()

    same(program, f32(1., 2.), upstream=(1.0,))
    same(lambda L, x: (Kill if L is ng else TorchKill).apply(x * 3).sum(), f32(1., 2.),
         upstream=(1.0,))  # no Function behind: x.grad stays None


class TooMany(ng.Function):
    @staticmethod
    def forward(ctx, x, y):
        return x * y

    @staticmethod
    def backward(ctx, g):
        return g, g, g


class TooFew(ng.Function):
    @staticmethod
    def forward(ctx, x, y):
        return x * y

    @staticmethod
    def backward(ctx, g):
        return g


@pytest.mark.parametrize("cls,expected,got", [(TooMany, 2, 3), (TooFew, 2, 1)])
def test_function_wrong_number_of_gradients_in_pytorch_words(cls, expected, got):
    x = ng.tensor([1., 2.], requires_grad=True)
    with pytest.raises(RuntimeError, match=rf"^function {cls.__name__}Backward returned an "
                                           rf"incorrect number of gradients \(expected "
                                           rf"{expected}, got {got}\)$"):
        cls.apply(x, ng.tensor([3., 4.])).sum().backward()


def test_float64_literals_are_not_rounded_through_float32():
    # found by the fuzzer: tensor([0.67], dtype=float64) went through float32 first
    same(lambda L: L.tensor([[0.67, 1e-4], [0.1, 3.3]], dtype=L.float64))
    same(lambda L: L.tensor([0.1, 2.0]))  # still float32 without a dtype


@pytest.mark.parametrize("data", [np.array(-INF), np.array(2.0), f64(INF, 1.), f64(NAN, 1., 1.)])
def test_var_of_too_few_elements_with_infinite_or_nan_data(data):
    # found by the fuzzer: x == mean decides nan or inf, not x - mean == 0 (-inf - -inf)
    same(lambda L, x: x.var(correction=2), data, upstream=(1.0, -1.0, 0.0))
    same(lambda L, x: x.std(correction=3), data, upstream=(1.0, -1.0, 0.0))


# ----------------------------------------------------------------------- softmax family
@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
@pytest.mark.parametrize("data,dim", [
    (np.array(1.5, dtype=np.float32), 0), (np.array(INF, dtype=np.float32), -1),
    (np.zeros((0,), dtype=np.float32), 0), (np.zeros((3, 0)), 1), (np.zeros((0, 3)), 1),
    (np.array([[1., 2., INF], [0., -INF, 3.]]), 1), (np.array(2.0), 1),
])
def test_softmax_of_zero_dim_and_empty_tensors(name, data, dim):
    same(lambda L, x: getattr(L.nn.functional if L is torch else L.functional, name)(x, dim),
         data)


@pytest.mark.parametrize("op", ["var", "std"])
def test_var_std_of_huge_float32_values_do_not_overflow(op):
    # found by the fuzzer: the squares of 2e19 overflow float32; PyTorch accumulates in
    # float64 and gives a finite result
    data = np.array([2e19, 0., 0., 0., 0., 0., 0., 0., 0., 0.], dtype=np.float32)
    same(lambda L, x: getattr(x, op)(), data)
    same(lambda L, x: getattr(x, op)(0, keepdim=True), np.stack([data, data * -1.5], 1))
    same(lambda L, x: getattr(x, op)(), np.full(5, 3e38, dtype=np.float32))
    same(lambda L, x: getattr(x, op)(), np.array([3e38, -3e38, 1.], dtype=np.float32))
    same(lambda L, x: getattr(x, op)(), np.array([1e-30, 2e-30, 3e-30], dtype=np.float32))


def test_log_softmax_of_a_zero_dim_tensor_is_a_tensor_with_an_array():
    # found by the fuzzer: the 0-d result held a numpy scalar, so zero_() failed
    same(lambda L, x: L.functional.log_softmax(x, 0).detach().zero_()
         if L is ng else L.nn.functional.log_softmax(x, 0).detach().zero_(), np.array(1.0))


def grad_for_first_input_only(lib):
    """A Function ``2x + y`` whose backward gives ``y`` no gradient (None)."""

    class GradForFirstOnly(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x, y):
            return x * 2 + y

        @staticmethod
        def backward(ctx, grad_output):
            return grad_output * 2, None

    return GradForFirstOnly


def test_a_none_gradient_into_a_builtin_op_leaves_the_leaf_without_grad():
    # Found by the long fuzz run (function, seed 777001, program 1567): a custom Function
    # returns None for an input made by F.softmax. PyTorch's built-in softmax node passes
    # "no gradient" on, so the leaf's .grad stays None; a user Function there would instead
    # be called with zeros (materialize_grads), which test_function_* cover.
    def program(lib):
        FirstOnly = grad_for_first_input_only(lib)
        functional = torch.nn.functional if lib is torch else ng.functional
        a = lib.tensor(1.0, requires_grad=True)
        b = lib.tensor([0.5, -1.0], requires_grad=True)
        out = FirstOnly.apply(a, functional.softmax(b, dim=0)).sum()
        out.backward()
        return a.grad, b.grad

    (ng_a, ng_b), (t_a, t_b) = program(ng), program(torch)
    assert t_b is None and ng_b is None
    assert ng_a.item() == t_a.item() == 4.0  # 2 for each of the two summed outputs


@pytest.mark.parametrize("op", ["softmax", "log_softmax"])
@pytest.mark.parametrize("size", [0, 3])
def test_no_gradient_through_a_fused_op_into_an_empty_or_full_leaf(op, size):
    # The long fuzz run's function program 4336 (seed 777001), shrunk: a user Function
    # that gives its second input no gradient, fed by softmax of an empty leaf, and an
    # `@` with an empty tensor as the loss. Before d7788fa ninjagrad ran the softmax
    # backward with materialised zeros and gave the leaf a zero .grad; in PyTorch a
    # built-in node that receives no gradient passes none on, so .grad stays None.
    def run(lib, functional):
        GradForFirstOnly = grad_for_first_input_only(lib)
        leaf = lib.arange(size, dtype=lib.float32).requires_grad_()
        other = lib.tensor([1.0], requires_grad=True)
        mixed = GradForFirstOnly.apply(other, getattr(functional, op)(leaf, dim=0))
        loss = mixed @ lib.ones(size)
        loss.backward()
        return leaf.grad, other.grad, loss.item()

    ours = run(ng, ng.functional)
    theirs = run(torch, torch.nn.functional)
    assert theirs[0] is None and ours[0] is None
    assert ours[1].shape == tuple(theirs[1].shape)
    assert np.array_equal(ours[1].numpy(), theirs[1].numpy())
    assert ours[2] == pytest.approx(theirs[2])


ZERO_TIES = np.array([-0.0, 0.0, -0.0, 0.0, -2.0, 3.0])
ZERO_OTHERS = np.array([0.0, -0.0, -0.0, 0.0, 1.0, -1.0])


@pytest.mark.parametrize("name, op", [
    ("relu", lambda L, x, y: x.relu()),
    ("maximum", lambda L, x, y: L.maximum(x, y)),
    ("minimum", lambda L, x, y: L.minimum(x, y)),
    ("clamp min", lambda L, x, y: x.clamp(min=0.0)),
    ("clamp max", lambda L, x, y: x.clamp(max=-0.0)),
    ("clamp min -0", lambda L, x, y: x.clamp(min=-0.0)),
    ("clamp tensors", lambda L, x, y: x.clamp(min=y)),
    ("clamp tensors max", lambda L, x, y: x.clamp(max=y)),
])
def test_ties_between_zeros_keep_pytorchs_sign(name, op):
    # Found by the fuzzer (inplace, seed 8800, program 7): `a / a.relu()` at a = -0.0
    # has the gradient 1 / relu(-0.0), -inf in PyTorch, whose relu keeps -0.0; numpy's
    # maximum(x, 0) returned +0.0. On a tie PyTorch's maximum, minimum and clamp keep the
    # first operand (the input), numpy the second. 1 / result shows the sign of a zero.
    same(lambda L, x, y: 1 / op(L, x, y), ZERO_TIES, ZERO_OTHERS)
    same(lambda L, x, y: x / op(L, x, y), ZERO_TIES, ZERO_OTHERS)


@pytest.mark.parametrize("fn", ["maximum", "minimum"])
def test_maximum_gradient_with_nan_inputs_and_infinite_upstream(fn):
    # PyTorch gives the losing side an exact 0 (an infinite upstream gradient times 0 would
    # be nan), half to each side of a tie, and all of it to both where a nan makes every
    # comparison false
    x = np.array([np.nan, 1.0, 2.0, 5.0, -1.0])
    y = np.array([1.0, np.nan, 2.0, 3.0, 4.0])
    same(lambda L, a, b: getattr(L, fn)(a, b), x, y)


@pytest.mark.parametrize("data", [
    # the fuzzer's (function, seed 8800, program 500): var over a dim, two results
    [[1.82, 2.73, -0.16], [-0.94, 1.36, -2.76]],
    # one result: PyTorch's float32 mean, then float64 deviations
    [[1000.1, 1000.2, 1000.4, 999.7]],
    [[3e4 + 0.01 * i for i in range(7)], [1e-3 * i * i for i in range(7)]],
])
def test_float32_var_and_std_round_like_pytorch(data):
    # Over a dim PyTorch reduces float32 with a float64 accumulator, the mean included;
    # ninjagrad took the mean in float32, whose last ulp showed in the variance (4.2627997
    # vs 4.2628), and exp(exp(var)) made that a difference in the fifth digit. Over every
    # element PyTorch takes the mean in float32 and the deviations in float64.
    x = np.array(data, dtype=np.float32)
    for op in ("var", "std"):
        for dim in (1, None):
            ours = getattr(ng.tensor(x), op)(dim).numpy()
            theirs = getattr(torch.tensor(x), op)(dim).numpy()
            assert ours.dtype == theirs.dtype == np.float32
            assert np.array_equal(ours, theirs), (op, dim, ours, theirs)


# ------------------------------------------ found by the long fuzz run, seed 20261130
@pytest.mark.parametrize("op", ["__eq__", "__ne__", "__lt__", "__le__", "__gt__", "__ge__"])
def test_comparisons_use_pytorchs_result_dtype(op):
    # tensor program 5957: float32 [[-1.32]] != float64 0-d -1.32 is False in PyTorch,
    # which compares in the result dtype (float32: the 0-d operand is weak), and was True
    # here (numpy compared float32(-1.32) with float64(-1.32))
    def program(lib, x, y):
        return getattr(x, op)(y), getattr(y, op)(x)

    same(program, f32(-1.32, 0.1, 16777217.0), np.array(-1.32), upstream=None)
    same(program, f32(-1.32, 0.1, 2.5), f64(-1.32, 0.1, 2.5), upstream=None)
    # an int64 tensor against a Python float: compared in float32, as arithmetic would
    for value in (16777216.5, 2.5):
        same(lambda L, x, v=value: (getattr(x, op)(v),), np.array([16777217, 2]),
             upstream=None)


@pytest.mark.parametrize("upstream", [0.0, 1.0])
def test_sub_gradient_over_a_broadcast_is_a_positive_zero_sum(upstream):
    # tensor program 14412: the gradient of b in `zeros(0, 1) - b` is a sum over nothing,
    # +0.0 in PyTorch (it sums -g from +0.0); negating ninjagrad's sum gave -0.0, and a
    # later SGD step and division turned it into the opposite infinity
    same(lambda L, a, b: a - b, np.zeros((0, 1)), np.array(-0.0), upstream=(upstream,))
    same(lambda L, a, b: a - b, f64(0.0, 0.0), np.array(0.0), upstream=(upstream,))
    same(lambda L, a, b: (a - b) * L.tensor([1.0, -1.0], dtype=L.float64),
         f64(3.0, 3.0), np.array(0.0))  # +1 and -1 cancel: +0.0
    same(lambda L, a, b: a - b, f32(2.0), f32(2.0), upstream=(upstream,))  # no sum: -g


def test_gradients_take_their_inputs_dtype_before_they_add_up():
    # function program 19853, shrunk: x (float32) reaches the loss twice, once through a
    # float64 division. PyTorch casts each gradient to float32 before adding them: exp(142)
    # overflows to inf in float32 one way and -4.7e61 becomes -inf the other, inf + -inf is
    # nan. Adding in float64 first gave inf.
    def program(lib, x):
        one = lib.tensor([1.0], dtype=lib.float64)
        return x.exp().sum() + ((x / one).exp() * -1.0).sum()

    same(program, f32(3.0, 142.0, 0.0))


@pytest.mark.parametrize("exponent", [0.5, -0.5, 2.0, -1.0, 3.0])
def test_power_by_a_zero_dim_tensor_is_cs_pow(exponent):
    # inplace program 826 (seed 20261130): (-inf) ** tensor(0.5) is inf in PyTorch (pow);
    # numpy takes a 0-d exponent 0.5 as a square root (nan), here and in the backward
    bases = f64(-INF, -0.0, 0.0, 4.0, -2.0, INF)
    same(lambda L, x, y: x ** y, bases, np.array(exponent))
    same(lambda L, x, y: x[0] ** y, bases, np.array(exponent))
    same(lambda L, x, y: x ** y, bases, f64(exponent))  # one element, broadcast
    same(lambda L, x, y: x.view(2, 3) ** y, bases, f64(exponent, exponent).reshape(2, 1))


# ------------------------------------------------ found by the fuzzer in session 5 (seed 20261207)
@pytest.mark.parametrize("make", [
    lambda L: L.tensor([2.0, -1.5, 3.0, -3.0]) % L.tensor([-1.0, 0.5, 1.5, -1.5]),
    lambda L: L.tensor([[-1.0, 3.0]]) % -1.5,
    lambda L: L.tensor([[-1, 3]]) % -1.5,
    lambda L: -1.5 % L.tensor([0.5, -0.5, 0.75]),
    lambda L: L.tensor([0.0, -0.0, 4.0], dtype=L.float64) % L.tensor(2.0, dtype=L.float64),
])
def test_a_zero_remainder_has_pytorchs_sign(make):
    # tensor programs 345, 9394 and 13893: 2 / (x % y) was -inf where PyTorch gives inf.
    # PyTorch's remainder is fmod plus the divisor where the signs differ, so an exact 0
    # keeps the dividend's sign; numpy's takes the divisor's
    ours, theirs = make(ng), make(torch)
    assert ours.dtype.name == str(theirs.dtype).removeprefix("torch.")
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    np.testing.assert_array_equal(np.signbit(ours.numpy()), np.signbit(theirs.numpy()))


@pytest.mark.parametrize("values, dim, correction", [
    ([[[1.0, 1.0], [1.0, 1.0]], [[1.0, 1.0], [-math.inf, 1.0]]], 2, 0),
    ([[[1.0, 1.0], [1.0, 1.0]], [[1.0, -math.inf], [1.0, 1.0]]], -2, 2),
    ([[[-math.inf, -math.inf]], [[1.0, 1.0]]], 0, 1),
    ([[[1.0, 1.0], [1.0, 1.0], [1.0, -math.inf]], [[1.0, 1.0], [math.inf, 1.0],
                                                    [math.nan, 1.0]]], 0, 2),
    ([[2.0, math.inf, 2.0], [2.0, 2.0, 2.0]], (0,), 1),
])
@pytest.mark.parametrize("op", ["var", "std"])
def test_variance_over_a_dim_with_infinities_has_pytorchs_gradient(values, dim, correction, op):
    # tensor 3335 and 18661, function 6446, 7662 and 17085: the shift by each slice's first
    # value made x - mean nan where the first value is infinite; PyTorch's backward takes
    # x - mean(x): inf for the finite elements, nan for the infinite ones
    grads = []
    for L in (ng, torch):
        x = L.tensor(values, requires_grad=True)
        y = getattr(x, op)(dim, correction=correction)
        y.sum().backward()
        grads.append((y.detach().numpy(), x.grad.numpy()))
    (y_ng, g_ng), (y_t, g_t) = grads
    np.testing.assert_array_equal(y_ng, y_t)
    np.testing.assert_array_equal(g_ng, g_t)


@pytest.mark.parametrize("make", [
    lambda L: L.tensor(np.arange(12.0, dtype=np.float32).reshape(3, 4).T),
    lambda L: L.tensor(np.asfortranarray(np.ones((2, 3, 4), np.float32))),
    lambda L: L.tensor(L.ones(1, 3, 4).transpose(-1, 1)),
    lambda L: L.tensor(L.ones(1, 3, 4).data.transpose(-1, 1)),
    lambda L: L.tensor(L.ones(3, 1).expand(3, 4)),
])
def test_tensor_of_a_transposed_array_keeps_its_layout(make):
    # inplace 1862: tensor(x.T) kept x.T's strides in PyTorch (its copy preserves a dense
    # layout) but was row-major here, so a reshape was a view here and a copy there, and a
    # write through it showed in one library only
    results = []
    for L in (ng, torch):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # PyTorch: "To copy construct from a tensor..."
            t = make(L)
        flat = t.reshape(-1)
        flat[0] = 7.0
        strides = (t.stride() if L is torch else
                   tuple(n // t.numpy().itemsize for n in t.numpy().strides))
        strides = [s for s, n in zip(strides, t.shape, strict=True) if n > 1]  # (any for 1)
        results.append((strides, t.is_contiguous(), t.numpy().copy()))
    assert results[0][:2] == results[1][:2]
    np.testing.assert_array_equal(results[0][2], results[1][2])


@pytest.mark.parametrize("c", [2, 3, -2, 2.0, 3.0, -1])
def test_small_integer_powers_are_pytorchs_products_to_the_bit(c):
    # function 11106 of seed 20261208: numpy's float32 power made x ** 3 an ulp off
    # PyTorch's x * x * x for a quarter of all inputs, and a variance of t5 / (3 * t5),
    # equal values in PyTorch, came out nan (0 / 0) here and inf there
    x = np.random.default_rng(3).standard_normal(20000).astype(np.float32) * 10
    ours, theirs = ng.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    y_ours, y_theirs = ours ** c, theirs ** c
    np.testing.assert_array_equal(y_ours.detach().numpy(), y_theirs.detach().numpy())
    y_ours.sum().backward()
    y_theirs.sum().backward()
    if c == -2:  # the gradient's x ** -3 is a libm power in both: an ulp apart at times
        np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=2.4e-7)
    else:
        np.testing.assert_array_equal(ours.grad.numpy(), theirs.grad.numpy())


@pytest.mark.parametrize("name, reduce", [
    ("sum(1)", lambda x: x.sum(1)),
    ("sum(1, keepdim)", lambda x: x.sum(1, keepdim=True)),
    ("mean(2)", lambda x: x.mean(2)),
    ("std(1)", lambda x: x.std(1)),
    ("var(2)", lambda x: x.var(2)),
    ("prod(1)", lambda x: x.prod(1)),
    ("cumsum(1)", lambda x: x.cumsum(1)),
    ("all(1)", lambda x: (x > 0).all(1)),
    ("any(2)", lambda x: (x > 0).any(2)),
])
def test_a_reduction_of_a_permuted_tensor_is_row_major_as_in_pytorch(name, reduce):
    # inplace 6217 of seed 20261208: t.sum(dim=2).view(8) of a permuted t refused here (numpy
    # keeps the input's order in a reduction's result; PyTorch's result is row-major)
    x0 = np.random.default_rng(0).standard_normal((2, 3, 4)).astype(np.float32)
    flags = []
    for L in (ng, torch):
        r = reduce(L.tensor(x0).permute(2, 0, 1))
        flags.append((r.is_contiguous(), tuple(r.reshape(-1).shape)))
        r.view(-1)  # refused here before
    assert flags[0] == flags[1] == [(True, flags[1][1])][0]


def _strides_of_long_dims(t):
    """A tensor's strides in elements, for its dimensions of more than one element."""
    if isinstance(t, torch.Tensor):
        strides = t.stride()
    else:
        a = t.detach().numpy()
        strides = tuple(s // a.itemsize for s in a.strides)
    return tuple(s for s, n in zip(strides, t.shape, strict=True) if n > 1)


def _laid_out(L, shape, seed):
    """A float32 tensor of ``shape``: a permuted view, some of its dims cut to one element."""
    r = np.random.default_rng(seed)
    perm = r.permutation(len(shape))
    base = L.tensor(r.standard_normal([shape[i] for i in perm]).astype(np.float32))
    t = base.permute(*[int(i) for i in np.argsort(perm)])
    for d in range(len(shape)):
        if r.random() < 0.3:
            t = t[(slice(None),) * d + (slice(0, 1),)]
    return t


@pytest.mark.parametrize("seed", range(12))
def test_elementwise_results_are_laid_out_as_pytorchs(seed):
    # numpy orders a result of operands laid out differently by rules of its own (a permuted
    # tensor times a broadcast row-major one): a reshape of it then viewed in one library and
    # copied in the other. 283 of 3,000 such random pairs differed; none do now
    rng = np.random.default_rng(seed)
    for _ in range(40):
        shape = tuple(int(n) for n in rng.integers(1, 4, int(rng.integers(2, 5))))
        s1, s2 = (int(s) for s in rng.integers(0, 2**31, 2))
        op = str(rng.choice(["__add__", "__mul__", "__sub__", "__truediv__"]))
        got = [_strides_of_long_dims(getattr(_laid_out(L, shape, s1), op)(_laid_out(L, shape, s2)))
               for L in (ng, torch)]
        assert got[0] == got[1], (shape, op, s1, s2)


@pytest.mark.parametrize("seed", range(6))
def test_a_row_major_operand_of_the_results_shape_decides_the_layout(seed):
    # elementwise's quick test: a row-major first operand of the result's shape, with no
    # dims of size 1, decides PyTorch's layout (row-major) whatever the other operand is;
    # written the other way round the other operand decides, as in PyTorch
    rng = np.random.default_rng(100 + seed)
    for _ in range(40):
        shape = tuple(int(n) for n in rng.integers(2, 5, int(rng.integers(2, 5))))
        s1, s2 = (int(s) for s in rng.integers(0, 2**31, 2))
        op = str(rng.choice(["__add__", "__mul__", "__sub__", "__truediv__"]))
        for first_row_major in (True, False):
            got = []
            for L in (ng, torch):
                plain = L.tensor(np.random.default_rng(s1).standard_normal(shape)
                                 .astype(np.float32))
                other = _laid_out(L, shape, s2)
                a, b = (plain, other) if first_row_major else (other, plain)
                got.append(_strides_of_long_dims(getattr(a, op)(b)))
            assert got[0] == got[1], (shape, op, s1, s2, first_row_major)


def _plain_shape(rng, ndim):
    """A shape without dimensions of size 0 or 1."""
    return tuple(int(n) for n in rng.integers(2, 6, ndim))


@pytest.mark.parametrize("seed", range(4))
def test_numpy_keeps_plain_arrays_row_major(seed):
    # What found_plain's shortcut rests on: for row-major operands without dimensions of
    # size 0 or 1, numpy's ufuncs (broadcasting either way round), reductions and integer
    # indexing return row-major arrays, as PyTorch does; the ops then skip their layout
    # tests. If a numpy release changes this, the shortcut must go.
    rng = np.random.default_rng(seed)
    for _ in range(300):
        ndim = int(rng.integers(0, 5))
        x = rng.standard_normal(_plain_shape(rng, ndim)).astype(np.float32)
        y = rng.standard_normal(x.shape[int(rng.integers(0, ndim + 1)):]).astype(np.float64)
        for fn in (np.add, np.subtract, np.multiply, np.true_divide):
            for out in (fn(x, y), fn(y, x), fn(x.astype(np.float64), y)):
                assert np.asarray(out).flags.c_contiguous, (fn.__name__, x.shape, y.shape)
        if ndim:
            axes = tuple(sorted({int(d) for d in rng.integers(0, ndim, ndim)}))
            for keepdims in (False, True):
                out = np.add.reduce(x, axes, keepdims=keepdims)
                assert np.asarray(out).flags.c_contiguous, (x.shape, axes, keepdims)
            index = rng.integers(0, x.shape[0], _plain_shape(rng, int(rng.integers(1, 3))))
            assert x[index].flags.c_contiguous, (x.shape, index.shape)


def _strides(t):
    if isinstance(t, torch.Tensor):
        return t.stride()
    a = t.detach().numpy()
    return tuple(s // a.itemsize for s in a.strides)


@pytest.mark.parametrize("seed", range(4))
def test_ops_of_plain_tensors_are_laid_out_as_pytorchs(seed):
    # the ops that skip their layout tests for plain tensors (found_plain), and chains of
    # their results: every stride as PyTorch's, the dimensions of size 1 of sums included
    rng = np.random.default_rng(50 + seed)
    for _ in range(40):
        ndim = int(rng.integers(1, 4))
        x0 = rng.standard_normal(_plain_shape(rng, ndim)).astype(np.float32)
        y0 = rng.standard_normal(x0.shape[int(rng.integers(0, ndim)):]).astype(np.float32)
        index = rng.integers(0, x0.shape[0], _plain_shape(rng, 2))
        dim, keepdim = int(rng.integers(0, ndim)), bool(rng.integers(0, 2))
        got = []
        for L in (ng, torch):
            x, y = L.tensor(x0, requires_grad=True), L.tensor(y0, requires_grad=True)
            s = x * y - y / x
            results = [x + y, y - x, s, s + x, (s * s).sum(dim, keepdim=keepdim),
                       x.sum(dim, keepdim=keepdim), x[L.tensor(index)]]
            got.append([(tuple(r.shape), _strides(r), r.is_contiguous()) for r in results])
        assert got[0] == got[1], (x0.shape, y0.shape, dim, keepdim)


@pytest.mark.parametrize("change", ["data", "grad"])
def test_a_tensor_given_new_data_is_looked_at_again(change):
    # _plain is kept per tensor: after `t.data = <a transposed array>` the tensor is not
    # plain any more, and PyTorch's result of t + u follows t's layout (strides (1, 3)),
    # where numpy's would be row-major. The same for a gradient, whose array backward
    # replaces as it adds up.
    got = []
    for L in (ng, torch):
        t = L.tensor(np.ones((3, 4), np.float32), requires_grad=True)
        u = L.tensor(np.full((3, 4), 2.0, np.float32))
        (t + u).sum().backward()  # t and u now known plain here
        if change == "data":
            t.data = L.tensor(np.arange(12.0, dtype=np.float32).reshape(4, 3)).T
            r = t + u
        else:
            t.grad * u  # the gradient known plain too
            t.grad.data = L.tensor(np.arange(12.0, dtype=np.float32).reshape(4, 3)).T
            r = t.grad * u
        got.append((_strides(r), r.is_contiguous(), r.detach().numpy().tolist()))
    assert got[0] == got[1]
    assert got[1][0] == (1, 3)


@pytest.mark.parametrize("c, dtype", [(2.0, np.float32), (0.0, np.float32), (3, np.float32),
                                      (-1.5, np.float64), (2, np.int64)])
def test_a_number_to_a_permuted_tensor_is_row_major_as_in_pytorch(c, dtype):
    # tensor 167 of seed 20261217: t3 = 0.0 ** t2 of a permuted t2, then t3.view(8, 1, -1):
    # PyTorch allocates pow(Scalar, Tensor)'s result row-major (the view works), numpy kept
    # t2's order here (the view refused, and a reshape would copy where PyTorch's views)
    got = []
    for L in (ng, torch):
        t = L.tensor(np.arange(1, 17).astype(dtype).reshape(4, 2, 2)).permute(0, 2, 1)
        r = c ** t
        flat = r.view(8, 1, -1)
        got.append((_strides(r), r.is_contiguous(), flat.shape, flat.numpy().tolist()))
    assert got[0] == got[1]


def test_a_view_of_a_product_of_mixed_layouts_works_where_pytorchs_does():
    # the fuzzer's inplace 6217 pattern: (permuted * row-major).sum(2).view(8) and, on the
    # product itself, reshape(-1) then a write: seen through the product in neither library
    results = []
    for L in (ng, torch):
        x = L.tensor(np.arange(16.0, dtype=np.float32).reshape(2, 4, 2)).permute(2, 1, 0)
        p = x * L.tensor(np.ones((1, 4, 2), np.float32))
        flat = p.reshape(-1)
        flat[0] = 100.0
        results.append((p.is_contiguous(), p.numpy().tolist(), p.sum(2).view(8).tolist()))
    assert results[0] == results[1]
